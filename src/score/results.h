/*
 * results.h -- what an analysis concluded: every account's score, action
 * and reasons, and every campaign with its evidence.  Produced by
 * score/analysis.c, consumed by report/ (accounts.csv, campaigns.json,
 * report.html), the service and the fingerprint library.
 *
 * Reasons are codes with values ("shared_payment=312;reasoning=0.87"):
 * stable identifiers an analyst can search for, documented in
 * docs/signals.md.  A struct hu_reason list is kept sorted by strength,
 * strongest first, at most HU_MAX_REASONS per account.
 */
#ifndef HU_SCORE_RESULTS_H
#define HU_SCORE_RESULTS_H

#include <stddef.h>
#include <stdint.h>
#include "features/features.h"
#include "score/policy.h"

#define HU_MAX_REASONS 8

struct hu_reason {
    const char *code;       /* static string, e.g. "shared_payment" */
    double value;           /* the number behind it */
    double strength;        /* contribution to the score, for ordering */
};

struct hu_account_result {
    const char *account_id;         /* borrowed from the profile table */
    uint32_t account_id_len;
    uint32_t campaign;              /* index into campaigns + 1; 0 none */
    uint64_t requests;
    double score;                   /* 0..1 */
    double behaviour;               /* the account's own usage score, 0..1 */
    enum hu_action action;          /* after policy (shadow: allow) */
    enum hu_action would;           /* before shadow */
    uint8_t n_reasons;
    struct hu_reason reasons[HU_MAX_REASONS];
};

/* One indicator of a campaign: a thing its accounts share.  Values are
 * printable and never prompt text: addresses, prefixes, ASNs, fingerprints
 * and hashes (template keys are hashes). */
struct hu_indicator {
    const char *type;       /* "ipv4-addr", "prefix", "asn", "payment_fp", "client_fp",
                             * "headers_fp", "user_agent", "template", "system_prompt", "tools" */
    char *value;            /* owned */
    uint32_t accounts;      /* campaign accounts that share it */
    uint32_t outside;       /* accounts outside the campaign that share it */
};

struct hu_evidence {
    char *text;             /* owned, one sentence with its numbers */
    double strength;
};

struct hu_campaign_result {
    char id[24];                    /* "C-" + 12 hex digits: stable across runs */
    uint32_t *members;              /* account indexes, ascending */
    uint32_t n_members;
    uint64_t requests;
    double score;
    int64_t first_seen_ms, last_seen_ms;
    double targets[HU_TARGET_COUNT];   /* share of requests per target */
    struct hu_indicator *indicators;
    uint32_t n_indicators;
    struct hu_evidence *evidence;
    uint32_t n_evidence;
    uint32_t link_kinds;            /* bit per enum hu_link_kind seen inside */
    uint32_t kind_members[32];      /* members with a strong link of each kind
                                     * (indexed by enum hu_link_kind) */
    uint64_t kind_links[32];        /* strong links inside, per kind */
    double   behaviour;             /* members' request-weighted behaviour score */
    double   coordination;          /* mean strength of the strong links inside */
    double   concealment;           /* members' mean concealment score */
    int      org_fleet;             /* one declared, verified organisation */
    uint32_t org_members;           /* members in the campaign's commonest organisation */
    uint32_t verified_members;      /* members verified by id or as a business */
};

struct hu_results {
    struct hu_account_result *accounts;   /* in profile-table order */
    size_t n_accounts;
    struct hu_campaign_result *campaigns; /* strongest first */
    size_t n_campaigns;
    int64_t first_ts_ms, last_ts_ms;
    uint64_t total_requests;
    uint64_t policy_digest;
};

void hu_results_fini(struct hu_results *r);

/* Add a reason to an account, keeping the strongest HU_MAX_REASONS. */
void hu_account_add_reason(struct hu_account_result *a, const char *code, double value,
                           double strength);

#endif
