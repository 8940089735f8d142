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
#include "features/ioc.h"
#include "ingest/event.h"
#include "profile/entity_dict.h"
#include "profile/observer.h"
#include "profile/profile_table.h"
#include "score/policy.h"
#include "score/results.h"

struct hu_fp_lib;
struct hu_fp_key;
struct hu_fp_online;

/* Signal families that `huella eval --ablate` switches off one at a time. */
#define HU_FAMILY_MAP(X)                                                        \
    X(CONTENT,  "content",  "what prompts aim at (extraction targets)")         \
    X(TEMPLATE, "template", "template reuse and similar template sets")         \
    X(TIMING,   "timing",   "synchronised activity and round-the-clock use")    \
    X(NETWORK,  "network",  "shared addresses, prefixes, client fingerprints")  \
    X(PAYMENT,  "payment",  "shared payment instruments, sign-up networks, e-mail domains") \
    X(SCRIPT,   "script",   "shared system prompts and tool sets (the operator's harness)") \
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
    /* --iocs: partners' indicators (borrowed; NULL: none) and the sharing
     * key their payment hashes are keyed with (NULL: payment indicators
     * cannot match). */
    const struct hu_ioc_set *iocs;
    const uint8_t *share_key;
    size_t share_key_len;
    /* Campaign fingerprints (src/fprint/, docs/fingerprints.md).  known:
     * a finished library (borrowed, outlives the analysis): every request
     * is matched online and bound accounts get the known campaign's action
     * and reasons in finish().  fp_build: an initialised library that
     * finish() fills with the campaigns it found.  fp_key: the keyed-hash
     * key of both (borrowed; required when either is set). */
    const struct hu_fp_lib *known;
    struct hu_fp_lib *fp_build;
    const struct hu_fp_key *fp_key;
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

/* Observe every event of `next` (e.g. hu_ingest_next over a struct
 * hu_ingest) on n_threads threads (0: one per online processor), the
 * per-event stages sharded by account with no lock per event; the result
 * is identical to calling hu_analysis_observe() on each event in order
 * (profile/observer.h, hu_observer_run).  Call before finish(), at most
 * once, on an analysis that observed nothing yet.  HU_OK, HU_ENOMEM, or
 * next()'s negative status.  `stats` (may be NULL) says where the time
 * went. */
HU_MUST_CHECK int hu_analysis_observe_all(struct hu_analysis *a, hu_event_next_fn next, void *ctx,
                                          unsigned n_threads, struct hu_observer_run_stats *stats);

/* The fingerprint calibration replay (cmd_analyze, after the library is
 * built): score every request of `next` against on->lib, features only,
 * on n_threads threads as hu_analysis_observe_all() does, into `on`
 * (initialised by the caller, usually with threshold INFINITY so that
 * nothing binds and every account's largest S is recorded).  Features
 * are extracted as the analysis configured by cfg extracts them.  HU_OK,
 * HU_ENOMEM, HU_EINVAL or next()'s negative status. */
HU_MUST_CHECK int hu_analysis_fp_replay(const struct hu_analysis_config *cfg,
                                        hu_event_next_fn next, void *ctx, unsigned n_threads,
                                        struct hu_fp_online *on);

/* Finish the library this run built into cfg.fp_build after finish():
 * add the known entries (cfg.known) that this run's accounts were bound
 * to, confirmed now; then, with `replay` (a second pass over the same
 * events, e.g. the input files opened again), set its threshold from this
 * run's benign (not flagged) accounts by hu_analysis_fp_replay and
 * hu_fp_lib_calibrate.  replay NULL (standard input, which cannot be read
 * twice): the library keeps Wald's bound.  Used by `huella analyze` and
 * the service's library export, so both write the same library.  HU_OK,
 * HU_EINVAL (no fp_build), HU_ENOMEM, HU_EFULL or replay's status. */
struct hu_library_finish {
    double threshold;           /* the library's threshold afterwards (nats) */
    size_t n_benign;            /* accounts it was calibrated on */
    int calibrated;             /* 0: Wald's bound kept */
};
HU_MUST_CHECK int hu_analysis_library_finish(struct hu_analysis *a, const struct hu_results *res,
                                             hu_event_next_fn replay, void *replay_ctx, unsigned n_threads,
                                             struct hu_library_finish *out);

/* The policy's program of an account type (enum hu_account_type of
 * profile.h): what `programs:` rules in a policy file match. */
enum hu_program hu_program_of_account_type(uint8_t type);

/* Link, cluster, score and explain.  HU_OK or HU_ENOMEM. */
HU_MUST_CHECK int hu_analysis_finish(struct hu_analysis *a, struct hu_results *out);

/* finish() in bounded steps, for the service's worker, which must go on
 * applying events while linkage runs over a graph of any size:
 *
 *   begin  takes the accounts observed so far (O(accounts) allocation);
 *   step   works for about budget_s seconds and returns HU_EAGAIN while
 *          more is left, HU_OK once *out holds the results (as finish()
 *          fills it), or HU_ENOMEM (the job is dropped);
 *   abort  drops a job (no-op without one; destroy() aborts too).
 *
 * Accounts, postings and pairs are sliced; a few steps are whole (the
 * fingerprint tokens, the postings' and the pairs' partitions, campaign
 * assembly, evidence), so a step can exceed its budget by one of those,
 * each about linear in accounts or pairs (0.11-0.23 s at 228,200
 * accounts);
 * hu_analysis_finish_longest_step() says by how much.  Without events in between, the steps give exactly
 * finish()'s result.  Events may be observed between steps only when the
 * analysis has no cfg.max_accounts bound (observe() returns HU_EINVAL
 * otherwise): a bounded table reuses an evicted account's record, an
 * unbounded one never moves a profile.  Accounts that arrive meanwhile
 * wait for the next job; those already taken are read as they are when
 * their step runs.  One job at a time: begin with one running is
 * HU_EINVAL. */
HU_MUST_CHECK int hu_analysis_finish_begin(struct hu_analysis *a);
HU_MUST_CHECK int hu_analysis_finish_step(struct hu_analysis *a, double budget_s, struct hu_results *out);
void hu_analysis_finish_abort(struct hu_analysis *a);
/* The phase the next step of the running job works on ("profiles",
 * "tokens", "sort", "pairs", "pairs_end", "campaigns", "evidence"), "idle"
 * without a job. */
const char *hu_analysis_finish_phase(const struct hu_analysis *a);
/* The longest step of the last (or running) job, in seconds. */
double hu_analysis_finish_longest_step(const struct hu_analysis *a);

const struct hu_profile_table *hu_analysis_profiles(const struct hu_analysis *a);
/* The observer that holds the analysis's per-event state: for a caller
 * that imports profiles built elsewhere (hu_observer_import_*, the cluster
 * linker) instead of observing events, then calls finish(); and for the
 * service's checkpoints (serve/engine.c), which save and restore profiles,
 * the dictionary, counters and releases through it. */
struct hu_observer *hu_analysis_observer(struct hu_analysis *a);
/* Printable values of entity hashes (addresses, fingerprints, user agents)
 * recorded during observe(); borrowed, lives as long as the analysis.
 * Used by report.html to label graph nodes. */
const struct hu_entity_dict *hu_analysis_dict(const struct hu_analysis *a);
const struct hu_analysis_timings *hu_analysis_timings(const struct hu_analysis *a);
/* Candidate pairs considered and strong links, after finish(). */
void hu_analysis_link_counts(const struct hu_analysis *a, uint64_t *pairs, uint64_t *postings);
/* The online matcher's state (NULL without cfg.known): per account, the
 * request index at which it was bound and the evidence. */
const struct hu_fp_online *hu_analysis_fp_online(const struct hu_analysis *a);
/* The same, writable: for the service's checkpoints, which save the
 * matcher's states and put them back at restart (serve/backend.c). */
struct hu_fp_online *hu_analysis_fp_online_mut(struct hu_analysis *a);
/* Events lost to resource limits during observe(). */
uint64_t hu_analysis_lost_events(const struct hu_analysis *a);
/* Accounts evicted by the --max-accounts bound and new accounts refused
 * (profile_table.h); either pointer may be NULL. */
void hu_analysis_evictions(const struct hu_analysis *a, uint64_t *evicted, uint64_t *refused);

#endif
