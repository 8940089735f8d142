/*
 * analysis.h -- the whole batch pipeline behind `huella analyze`: events
 * in, struct hu_results out.
 *
 *     struct hu_analysis *a;
 *     hu_analysis_create(&cfg, &a, err, sizeof err);
 *     while (hu_ingest_next(ing, &ev) == 1) hu_analysis_observe(a, &ev);
 *     hu_analysis_finish(a, &results);      // linkage, campaigns, evidence
 *     ... write outputs ...
 *     hu_results_fini(&results); hu_analysis_destroy(a);
 *
 * observe() is the per-event path (features, profile, indicator
 * dictionary): O(event) and no allocation once the account exists.
 * finish() works on profiles only: postings, candidate pairs (bounded, see
 * link/pairs.h), campaigns (score/campaign.h), then indicators and evidence
 * sentences.  Results borrow account ids from the analysis: destroy the
 * analysis after the results.
 */
#ifndef HU_SCORE_ANALYSIS_H
#define HU_SCORE_ANALYSIS_H

#include <stddef.h>
#include <stdint.h>
#include "features/features.h"
#include "ingest/event.h"
#include "profile/profile_table.h"
#include "score/policy.h"
#include "score/results.h"

/* Signal families that `huella eval --ablate` switches off one at a time. */
#define HU_FAMILY_MAP(X)                                                        \
    X(CONTENT,  "content",  "what prompts aim at (extraction targets)")         \
    X(TEMPLATE, "template", "template reuse and similar template sets")         \
    X(TIMING,   "timing",   "synchronised activity and round-the-clock use")    \
    X(NETWORK,  "network",  "shared addresses, prefixes, client fingerprints")  \
    X(IDENTITY, "identity", "shared payment, sign-up network, e-mail domain, system prompt, tools") \
    X(PIVOT,    "pivot",    "the same move to a newly released model")

enum hu_family {
#define HU__FAM_ENUM(name, code, desc) HU_FAMILY_##name,
    HU_FAMILY_MAP(HU__FAM_ENUM)
#undef HU__FAM_ENUM
    HU_FAMILY_COUNT
};
const char *hu_family_code(enum hu_family f);
const char *hu_family_desc(enum hu_family f);

struct hu_analysis_config {
    struct hu_features_config features;
    const struct hu_policy *policy;      /* borrowed; NULL = default policy */
    uint32_t disabled_families;          /* bit per enum hu_family */
    /* --dump-graph: write the weighted account graph (every candidate pair
     * with its strength and evidence) to this file; NULL: don't. */
    const char *dump_graph_path;
    /* --max-accounts: bound on profiles held (0: unbounded); beyond it the
     * least valuable accounts are evicted (profile_table.h). */
    size_t max_accounts;
};

/* Wall-clock seconds spent per stage, for `--timings` and benchmarks. */
struct hu_analysis_timings {
    double observe, postings, pairs, campaigns, evidence;
};

struct hu_analysis;

HU_MUST_CHECK int hu_analysis_create(const struct hu_analysis_config *cfg, struct hu_analysis **out,
                                     char *errbuf, size_t errcap);
void hu_analysis_destroy(struct hu_analysis *a);

/* Fold one event in.  HU_OK, or HU_ENOMEM / HU_EFULL (the event is lost,
 * counted).  Never fails on bad content. */
int hu_analysis_observe(struct hu_analysis *a, const struct hu_event *ev);

/* Link, cluster, score and explain.  HU_OK or HU_ENOMEM. */
HU_MUST_CHECK int hu_analysis_finish(struct hu_analysis *a, struct hu_results *out);

const struct hu_profile_table *hu_analysis_profiles(const struct hu_analysis *a);
const struct hu_analysis_timings *hu_analysis_timings(const struct hu_analysis *a);
/* Candidate pairs considered and strong links, after finish(). */
void hu_analysis_link_counts(const struct hu_analysis *a, uint64_t *pairs, uint64_t *postings);
/* Events lost to resource limits during observe(). */
uint64_t hu_analysis_lost_events(const struct hu_analysis *a);
/* Accounts evicted by the --max-accounts bound and new accounts refused
 * (profile_table.h); either pointer may be NULL. */
void hu_analysis_evictions(const struct hu_analysis *a, uint64_t *evicted, uint64_t *refused);

#endif
