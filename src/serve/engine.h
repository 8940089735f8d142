/*
 * engine.h -- the service's state: journal, analysis, decision snapshot,
 * overrides, policy.  serve/server.c is its only HTTP caller; tests drive
 * it directly.
 *
 *   request threads                       worker thread (one)
 *   ---------------                       -------------------
 *   POST /v1/events: validate lines,      read the journal after
 *     journal them (one SQLite txn),        `applied_seq` in slices of
 *     answer 202 -- durable first           `slice` lines, observe() each
 *   decide: read lock, snapshot lookup,   every `relink_ms`, when new
 *     policy, overrides, unlock             events were applied and the
 *                                           start-up replay is done:
 *                                           finish() (linkage, campaigns)
 *                                           in steps of `relink_step_ms`
 *                                           between journal slices, then
 *                                           build a new snapshot, swap it
 *                                           in under the write lock (a
 *                                           pointer swap), checkpoint it
 *                                           to SQLite every `checkpoint_ms`
 *
 * The worker is the only thread that touches the analysis, so the analysis
 * needs no lock at all and finish() never blocks a decision or an ingest:
 * decide reads the immutable snapshot of the last finish() under a cheap
 * read lock (writer-preferring rwlock held for a lookup, never across
 * I/O), and POST /v1/events only appends to the journal.  Decision latency
 * therefore does not depend on the graph size; what does is the staleness
 * of the snapshot (one finish() run, reported as
 * huella_relink_duration_seconds).
 *
 * Checkpoints (every `checkpoint_ms`, and at a clean stop): one SQLite
 * transaction holds the snapshot (when a newer one was published), the
 * profiles that changed and the dictionary entries added since the last
 * checkpoint, the counters and sign-up counts, and the journal seq they
 * cover (store.h).
 *
 * Restart: the last checkpointed snapshot is served at once; the
 * checkpointed analysis state is loaded (every row checked) and the worker
 * replays only the journal after it (the analysis is a function of its
 * events, and finish() of its profile table, so the result is the state of
 * one uninterrupted life), and publishes only when the replay has caught
 * up with the journal as it was at start-up, so no half-replayed state is
 * ever served.
 */
#ifndef HU_SERVE_ENGINE_H
#define HU_SERVE_ENGINE_H

#include <stddef.h>
#include <stdint.h>
#include "core/buf.h"
#include "core/limits.h"
#include "serve/decide.h"
#include "store/store.h"

struct hu_engine;

struct hu_engine_opts {
    const char *db_path;            /* required */
    int sync_normal;                /* see store.h */
    const char *policy_path;        /* NULL: built-in default policy */
    unsigned relink_ms;             /* 0: 1000 */
    unsigned relink_step_ms;        /* one linkage step's budget; 0: HU_SERVE_RELINK_STEP_MS */
    unsigned checkpoint_ms;         /* 0: 10000 */
    unsigned slice;                 /* journal lines per worker slice; 0: 4096 */
    uint32_t throttle_quota;        /* requests allowed per window while throttled */
    uint32_t throttle_window_s;     /* 0: 60 */
    /* address databases for the analysis, as `analyze --asn/--geo/--cidr`
     * (borrowed for hu_engine_create only) */
    const char *const *asn_files; size_t n_asn_files;
    const char *geo_file;
    const char *const *cidr_files; size_t n_cidr_files;
    const char *model_file;         /* as `analyze --model`; NULL: built in */
    uint64_t decisions_keep;        /* decision records kept; 0: HU_SERVE_DECISIONS_KEEP */
    int no_store_check;             /* 1: skip PRAGMA quick_check at open (store.h) */
    /* `serve --known LIB`: a fingerprint library every account's requests
     * are matched against as they arrive (as `analyze --known`); bound
     * accounts carry the known campaign in their reasons.  fp_key_path:
     * its key (NULL: the default key).  Both NULL: no library. */
    const char *known_path;
    const char *fp_key_path;
    /* `serve --fingerprints-out FILE`: every fingerprints_every_ms (0:
     * HU_SERVE_FINGERPRINTS_EVERY_MS) that the journal grew, write the
     * fingerprint library `analyze` would write for everything journaled
     * (serve/libexport.c).  NULL: none. */
    const char *fingerprints_out;
    uint64_t fingerprints_every_ms;
};
#define HU_SERVE_FINGERPRINTS_EVERY_MS (3600u * 1000u)
#define HU_SERVE_RELINK_STEP_MS 20u

/* Open the store, load the policy and the checkpoint.  The worker is not
 * running until hu_engine_start().  HU_OK; otherwise a status and a reason
 * in errbuf (bad policy file, unusable database). */
HU_MUST_CHECK int hu_engine_create(const struct hu_engine_opts *o, struct hu_engine **out,
                                   char *errbuf, size_t errcap);
HU_MUST_CHECK int hu_engine_start(struct hu_engine *e);
/* Stop the worker (it finishes its slice), write a last checkpoint, close
 * the store.  NULL is a no-op. */
void hu_engine_destroy(struct hu_engine *e);

/* ---- events ------------------------------------------------------------ */

struct hu_line_error {
    uint64_t line;                  /* 1-based line of the body */
    const char *reason;             /* static: "not_json", "missing_ts", ... */
    const char *field;              /* static or NULL */
};

struct hu_events_result {
    uint64_t lines, accepted, rejected, blank;
    uint64_t first_seq, last_seq;   /* journal seqs of the accepted lines */
    size_t n_errors;                /* listed; at most HU_SERVE_MAX_LINE_ERRORS */
    struct hu_line_error errors[HU_SERVE_MAX_LINE_ERRORS];
};

/* Validate every line of a JSON Lines body, journal the good ones in one
 * transaction, wake the worker.  Bad lines are reported and never drop the
 * good ones.  HU_OK: the accepted lines are durable.  HU_EIO: storage
 * failed, nothing was accepted (answer 503).  HU_ENOMEM.  Thread-safe.
 * Cost: O(len) plus one commit. */
HU_MUST_CHECK int hu_engine_post_events(struct hu_engine *e, const char *body, size_t len,
                                        struct hu_events_result *out);

/* An events sink instead of the journal (`huella serve --nats URL
 * --publish-events`: the cluster's event stream, src/cluster/serve_pub.h).
 * When set, hu_engine_post_events validates every line as before and hands
 * the good ones -- lines[i] of lens[i] bytes, line_nos[i] its 1-based line
 * in the body -- to fn, with the whole body (for event ids), instead of
 * journaling them; the engine's own analysis then never sees them.  fn
 * returns HU_OK once the lines are durable in the sink (they are then
 * "accepted", 202), HU_EIO when they are not (nothing is accepted; the
 * answer is 503, Retry-After), HU_ENOMEM.  fn is called from the request
 * threads concurrently: it must be thread-safe.  metrics_fn (may be NULL)
 * appends the sink's metric families to hu_engine_metrics' output.  Set
 * before hu_server_start. */
struct hu_buf;
typedef int (*hu_engine_sink_fn)(void *ctx, const char *body, size_t body_len, const char *const *lines,
                                 const size_t *lens, const uint64_t *line_nos, size_t n);
typedef int (*hu_engine_sink_metrics_fn)(void *ctx, struct hu_buf *out);
void hu_engine_set_events_sink(struct hu_engine *e, hu_engine_sink_fn fn, hu_engine_sink_metrics_fn metrics_fn,
                               void *ctx);

/* ---- decisions --------------------------------------------------------- */

/* The decision for one request.  Never blocks on the worker.  *over_quota
 * is 1 when a throttled account has used its window.  HU_OK, or
 * HU_EINTERNAL when the engine cannot decide (answer 503).  Thread-safe. */
HU_MUST_CHECK int hu_engine_decide(struct hu_engine *e, const struct hu_decide_req *r,
                                   struct hu_served_decision *out, int *over_quota);

/* A second source of account state, consulted for accounts the engine's
 * own snapshot does not hold (`huella serve --nats`: the cluster linker's
 * decisions, src/cluster/serve_nats.h).  fn fills the score, campaign id
 * and reasons and returns 1, or returns 0 if it does not know the account;
 * it is called under the engine's read lock, so it must be thread-safe and
 * never block on I/O.  The policy, allowlist and overrides apply to its
 * score as to the engine's own.  Set before hu_server_start. */
typedef int (*hu_engine_lookup_fn)(void *ctx, const char *id, size_t len, double *score, char *campaign,
                                   size_t ccap, char *reasons, size_t rcap);
void hu_engine_set_lookup(struct hu_engine *e, hu_engine_lookup_fn fn, void *ctx);
/* Decision records.  Every decision that refuses, or would refuse in
 * shadow mode (action or would other than allow), is queued by
 * hu_engine_decide (a copy under a mutex, no I/O) and written by a
 * recorder thread in one transaction per batch (every 100 ms, or when
 * the queue is half full), so appeals can quote the id.  Kept: the newest
 * opts.decisions_keep rows and at most HU_SERVE_DECISIONS_DAYS days.  A
 * full queue drops the record (counted), never delays the decision.
 * Allow decisions are not recorded.
 *
 * The record of decision `id` as JSON into `out` (found in the queue or
 * in the store).  HU_OK; HU_ENOENT (unknown, malformed, not recorded or
 * past retention); HU_EIO; HU_ENOMEM. */
HU_MUST_CHECK int hu_engine_decision_json(struct hu_engine *e, const char *id,
                                          struct hu_buf *out);

/* Sign-up risk for the JSON body of POST /v1/signup, written as JSON into
 * `out`.  HU_OK; HU_EPARSE / HU_ETYPE with a reason in `what`. */
HU_MUST_CHECK int hu_engine_signup(struct hu_engine *e, const char *body, size_t len,
                                   struct hu_buf *out, const char **what);

/* ---- state (JSON into `out`) -------------------------------------------- */

/* An account: known or not (unknown accounts are answered, with
 * "known":false).  HU_OK or HU_ENOMEM. */
HU_MUST_CHECK int hu_engine_account_json(struct hu_engine *e, const char *id, size_t len,
                                         struct hu_buf *out);
HU_MUST_CHECK int hu_engine_campaigns_json(struct hu_engine *e, struct hu_buf *out);
/* HU_ENOENT when there is no campaign with that id. */
HU_MUST_CHECK int hu_engine_campaign_json(struct hu_engine *e, const char *id,
                                          struct hu_buf *out);
HU_MUST_CHECK int hu_engine_lists_json(struct hu_engine *e, enum hu_store_list list,
                                       struct hu_buf *out);
HU_MUST_CHECK int hu_engine_audit_json(struct hu_engine *e, uint64_t after, struct hu_buf *out);

/* ---- admin ------------------------------------------------------------- */

/* Set (action >= 0, an enum hu_action) or clear (action < 0) an account's
 * override or allowlist entry, audited with actor, verb and reason.
 * Durable before it takes effect.  HU_OK; HU_EINVAL; HU_EFULL
 * (HU_SERVE_MAX_OVERRIDES); HU_EIO. */
HU_MUST_CHECK int hu_engine_account_set(struct hu_engine *e, enum hu_store_list list,
                                        const char *account_id, int action, const char *actor,
                                        const char *verb, const char *reason);

/* Load the policy file again.  On refusal the old policy stays and
 * errbuf says why ("FILE:LINE: reason").  HU_OK or the loader's status.
 * Decisions in flight finish with the policy they started with. */
HU_MUST_CHECK int hu_engine_reload_policy(struct hu_engine *e, char *errbuf, size_t errcap);

/* ---- status and metrics ------------------------------------------------- */

struct hu_engine_status {
    uint64_t journal_seq, applied_seq, snapshot_seq;
    uint64_t accounts, campaigns;
    int degraded, replaying, shadow;
    uint64_t policy_digest;
    uint64_t relinks;
    double last_relink_s;
    int64_t snapshot_age_ms;        /* since the snapshot was built; -1 none */
};
void hu_engine_status(struct hu_engine *e, struct hu_engine_status *st);

/* Append the engine's metric families (Prometheus text) to `out`. */
HU_MUST_CHECK int hu_engine_metrics(struct hu_engine *e, struct hu_buf *out);

/* Wall-clock ms (CLOCK_REALTIME). */
int64_t hu_engine_now_ms(void);

#endif
