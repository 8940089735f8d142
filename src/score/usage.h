/*
 * usage.h -- an account's usage in numbers, and how much it looks like
 * harvesting.
 *
 * struct hu_usage is derived from a profile (score/analysis.c) once, after
 * ingest: plain numbers that scoring, explanations and reports read.  The
 * behaviour score hu_usage_behaviour() says how much an account's OWN usage
 * looks like what distillation needs -- it is never enough to act on (an
 * honest benchmark runner or coding agent scores high too); campaigns
 * decide (campaign.h).
 */
#ifndef HU_SCORE_USAGE_H
#define HU_SCORE_USAGE_H

#include <stdint.h>
#include "features/features.h"
#include "score/policy.h"

struct hu_usage {
    uint64_t requests;
    double   target_share[HU_TARGET_COUNT];  /* mean per-request target score, 0..1 */
    double   distinct_templates;             /* estimated distinct prompt templates */
    double   top_template_share;             /* share of requests with its commonest template */
    double   thinking_share;                 /* requests with extended reasoning */
    double   tools_share;                    /* requests declaring tools */
    double   mean_input_tokens, mean_output_tokens;
    double   hour_spread;                    /* normalised entropy of hour-of-day, 0..1 */
    double   gap_cv;                         /* coefficient of variation of inter-arrival gaps */
    double   pivot_share;                    /* share of traffic moved to a new model in the
                                              * 24 h after its release (0 if no release) */
    double   distinct_ips, distinct_prefixes, distinct_asns;  /* asns: 0 without a database */
    int64_t  first_ms, last_ms, signup_ms;   /* signup_ms: HU_EV_ABSENT if unknown */
    enum hu_program program;
    int      verified_id;                    /* verification id or business */
    int      has_org;
    int      weak_identity;                  /* verification none or email: 1; phone: 0.5
                                              * (stored x2); id, business or unknown: 0 */
};

/* One component of the behaviour score, for explanations. */
struct hu_behaviour_part {
    const char *code;     /* reason code: "reasoning", "template_reuse", ... */
    double value;         /* the measured number */
    double contribution;  /* 0..1 added to the score */
};

#define HU_BEHAVIOUR_PARTS 6

/* Behaviour score in 0..1 and its parts (parts may be NULL).  Pure. */
double hu_usage_behaviour(const struct hu_usage *u, struct hu_behaviour_part parts[HU_BEHAVIOUR_PARTS]);

/* Concealment score in 0..1: how much the account hides who runs it --
 * addresses rotated across many networks (a proxy pool), and an identity
 * nobody checked.  Honest heavy users (an app on its cloud egress, a
 * company fleet) are stable and verified; hydra accounts are neither.
 * `part` (may be NULL) receives the address-rotation part. */
double hu_usage_concealment(const struct hu_usage *u, struct hu_behaviour_part *part);

#endif
