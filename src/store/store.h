/*
 * store.h -- the service's durable state in one SQLite file (WAL).
 *
 * What is kept (schema: docs/formats/sqlite-schema.md):
 *
 *   journal      every accepted event line, in arrival order, under an
 *                append-order integer key `seq` (DEPENDENCIES.md section 4:
 *                integer keys append 12-15x faster than text keys).  The
 *                journal is the service's input queue: a POST commits its
 *                lines here, then answers 202; the engine's worker reads
 *                them back by seq and folds them into the analysis.
 *   checkpoint   the last published decision snapshot (every account's
 *                score, action, campaign and reasons; every campaign as
 *                JSON) with the journal seq it covers.  On restart the
 *                service answers from it at once, before the replay is done.
 *   ckpt_*       the analysis state (profiles as hu_profile_serialize
 *                blobs, the indicator dictionary, counters) with the
 *                journal seq it covers (`profile_seq`): a restart loads it
 *                and replays only the journal after it.  Profiles and
 *                dictionary entries are written when they changed, so a
 *                checkpoint costs O(changes), not O(accounts).
 *   decisions    a bounded record of the decisions worth appealing, by id.
 *   overrides    manual actions per account (unblock = "allow", or an
 *                analyst's block/throttle/verify), audited.
 *   allowlist    accounts never acted on, audited.
 *   audit        who changed what, when and why (admin endpoints).
 *
 * Durability: `synchronous=FULL` by default.  In WAL mode NORMAL already
 * survives a killed process (SIGKILL: the WAL is in the OS page cache), but
 * a power loss or kernel crash may roll back the last commits, and those
 * were acknowledged with 202.  FULL fsyncs the WAL on every commit, so an
 * acknowledged event survives that too; the cost is one fsync per POST,
 * amortised by batching many lines per POST.  `--sync normal` trades that
 * for throughput and is documented as such.
 *
 * Threads: a store may be used from any thread; each connection is behind
 * its own mutex.  There are two connections, so the engine's worker can
 * read the journal while request threads append to it (WAL readers never
 * block the writer).
 */
#ifndef HU_STORE_STORE_H
#define HU_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "huella/hu_status.h"

struct hu_store;

struct hu_store_opts {
    int sync_normal;        /* 1: synchronous=NORMAL (see above); 0: FULL */
    int no_check;           /* 1: skip PRAGMA quick_check at open */
};

/* After SQLITE_FULL, writes are refused without touching the disk for
 * this long, then tried again (a full disk is not sticky: an operator
 * frees space and the service resumes). */
#define HU_STORE_FULL_RETRY_MS 1000

/* Open or create the database at `path` and bring its schema up to date
 * (a version-1 file is migrated).  Refuses, with a one-line reason in
 * errbuf: a directory it cannot write in (read-only mount, permissions:
 * checked by creating a file, since root passes access()), a read-only
 * database file, a file that is not a database, and (unless
 * opts->no_check) a database that fails PRAGMA quick_check.  `opts` may
 * be NULL.  HU_OK; HU_EIO; HU_ECORRUPT; HU_EVERSION (written by a newer
 * huella); HU_ENOMEM.  On failure *out is NULL.  Cost: quick_check reads
 * every page, O(file size). */
HU_MUST_CHECK int hu_store_open(const char *path, const struct hu_store_opts *opts,
                                struct hu_store **out, char *errbuf, size_t errcap);
/* NULL is a no-op.  Checkpoints the WAL into the main file. */
void hu_store_close(struct hu_store *s);
/* 1 after a storage error that the store could not recover from (disk
 * full, I/O error): the service reports it on /healthz (sticky). */
int hu_store_degraded(const struct hu_store *s);
/* 1 within HU_STORE_FULL_RETRY_MS of a write that failed because the disk
 * (or the file system) was full; writes failed whole and nothing was
 * acknowledged. */
int hu_store_full(const struct hu_store *s);
/* Rows read that failed their checksum (each also sets degraded). */
uint64_t hu_store_corrupt_rows(const struct hu_store *s);

/* ---- journal ----------------------------------------------------------- */

/* Append lines[0..n) (each lens[i] bytes, no newline) in ONE transaction
 * stamped `now_ms`.  When this returns HU_OK the lines are durable (as the
 * sync mode promises) and *first_seq / *last_seq (either may be NULL) name
 * them.  HU_EIO on a storage error (nothing was written).  n == 0 is HU_OK
 * and writes nothing.  Cost: O(total bytes) plus one commit. */
HU_MUST_CHECK int hu_store_journal_append(struct hu_store *s, const char *const *lines,
                                          const size_t *lens, size_t n, int64_t now_ms,
                                          uint64_t *first_seq, uint64_t *last_seq);

/* Called per journal row in seq order; return non-zero to stop.  `line`
 * is NULL (and len 0) for a row whose bytes fail their checksum: the
 * row is counted in hu_store_corrupt_rows() and the store is degraded. */
typedef int (*hu_store_line_fn)(void *ctx, uint64_t seq, const char *line, size_t len);

/* Read at most `max` rows with seq > after_seq, in order, into fn.  Returns
 * the number of rows delivered (>= 0) or HU_EIO.  Uses the reader
 * connection: never waits for appends. */
int hu_store_journal_read(struct hu_store *s, uint64_t after_seq, size_t max,
                          hu_store_line_fn fn, void *ctx);
/* Highest seq in the journal (0 when empty). */
uint64_t hu_store_journal_last(struct hu_store *s);

/* ---- checkpoint of the decision snapshot -------------------------------- */

struct hu_store_account_row {
    const char *account_id; size_t account_id_len;
    double score;
    int action, would;          /* enum hu_action */
    const char *campaign;       /* "" when none */
    uint64_t requests;
    const char *reasons;        /* "code=value;..." */
};

struct hu_store_campaign_row {
    const char *id;
    double score;
    uint32_t n_members;
    const char *json; size_t json_len;   /* the campaign as served on the API */
};

/* Replace the checkpoint in one transaction: begin, put rows, commit.
 * Between begin and commit/abort the writer connection is held: call them
 * from one thread, quickly.  All HU_OK or HU_EIO (the old checkpoint then
 * stays). */
HU_MUST_CHECK int hu_store_checkpoint_begin(struct hu_store *s, uint64_t applied_seq,
                                            uint64_t policy_digest, int64_t now_ms);

/* The general form of begin: what the transaction replaces. */
struct hu_store_ckpt_head {
    int replace_snapshot;       /* 1: the snapshot rows are replaced (put them all) */
    uint64_t snapshot_seq;      /* journal seq the snapshot covers */
    uint64_t profile_seq;       /* journal seq the analysis state covers; 0: unchanged */
    uint64_t policy_digest;
    int64_t now_ms;
};
HU_MUST_CHECK int hu_store_checkpoint_start(struct hu_store *s, const struct hu_store_ckpt_head *h);
/* Inside a checkpoint: put (replace) profile record `rec` (its account id
 * and hu_profile_serialize bytes), dictionary entry i, a named blob.  A
 * checksum of the row is stored with it.  HU_OK; HU_EIO; HU_EINVAL. */
HU_MUST_CHECK int hu_store_checkpoint_profile(struct hu_store *s, uint64_t rec, const char *id,
                                              size_t id_len, const void *blob, size_t len);
HU_MUST_CHECK int hu_store_checkpoint_dict(struct hu_store *s, uint64_t i, uint64_t key,
                                           const char *value, size_t len);
HU_MUST_CHECK int hu_store_checkpoint_blob(struct hu_store *s, const char *name, const void *data,
                                           size_t len);
HU_MUST_CHECK int hu_store_checkpoint_account(struct hu_store *s,
                                              const struct hu_store_account_row *r);
HU_MUST_CHECK int hu_store_checkpoint_campaign(struct hu_store *s,
                                               const struct hu_store_campaign_row *r);
HU_MUST_CHECK int hu_store_checkpoint_commit(struct hu_store *s);
void hu_store_checkpoint_abort(struct hu_store *s);

typedef int (*hu_store_account_fn)(void *ctx, const struct hu_store_account_row *r);
typedef int (*hu_store_campaign_fn)(void *ctx, const struct hu_store_campaign_row *r);

/* Load the checkpoint: *applied_seq (0 and no rows when there is none),
 * then every account and campaign row in the order they were put.  HU_OK
 * or HU_EIO. */
HU_MUST_CHECK int hu_store_checkpoint_load(struct hu_store *s, uint64_t *applied_seq,
                                           hu_store_account_fn afn, hu_store_campaign_fn cfn,
                                           void *ctx);

/* The analysis state: callbacks (each may be NULL) get the named blobs,
 * then the dictionary entries by i, then the profiles by rec, each row
 * after its checksum was verified; return non-zero to stop.  HU_OK;
 * HU_ECORRUPT (a row fails its checksum: the store is degraded and the
 * reason logged); HU_EIO.  *profile_seq is 0 when there is no state. */
struct hu_store_state_fns {
    int (*blob)(void *ctx, const char *name, const void *data, size_t len);
    int (*dict)(void *ctx, uint64_t i, uint64_t key, const char *value, size_t len);
    int (*profile)(void *ctx, uint64_t rec, const char *id, size_t id_len, const void *blob,
                   size_t len);
};
HU_MUST_CHECK int hu_store_state_load(struct hu_store *s, uint64_t *profile_seq,
                                      const struct hu_store_state_fns *fns, void *ctx);

/* ---- decision records (GET /v1/decisions/{id}) --------------------------- */

struct hu_store_decision {
    const char *id;             /* "d-..." (decide.h) */
    int64_t ts_ms;
    const char *account_id;
    int action, would, source;  /* enum hu_action, enum hu_decision_source */
    int over_quota, shadow;
    double score;
    const char *campaign;       /* "" none */
    const char *reasons;        /* "code=value;..." */
    uint64_t snapshot_seq;      /* the snapshot the decision read */
    uint64_t policy_digest;
};

/* Insert n records in one transaction, then prune: keep the newest
 * `keep_rows` (0: no row bound) and drop rows older than keep_after_ms
 * (0: no age bound; at most 10,000 of the oldest rows are examined per
 * call, so a prune is bounded work).  HU_OK or HU_EIO. */
HU_MUST_CHECK int hu_store_decisions_put(struct hu_store *s, const struct hu_store_decision *d,
                                         size_t n, uint64_t keep_rows, int64_t keep_after_ms);
typedef void (*hu_store_decision_fn)(void *ctx, const struct hu_store_decision *d);
/* The record with that id into fn.  HU_OK, HU_ENOENT, HU_EIO.  O(log n). */
HU_MUST_CHECK int hu_store_decision_get(struct hu_store *s, const char *id,
                                        hu_store_decision_fn fn, void *ctx);
uint64_t hu_store_decisions_count(struct hu_store *s);

/* ---- overrides, allowlist, audit --------------------------------------- */

enum hu_store_list { HU_STORE_OVERRIDE = 0, HU_STORE_ALLOWLIST = 1 };

/* Set (action != NULL) or clear (action == NULL) an account's entry in the
 * override table (action: "allow", "block", ...) or the allowlist (action
 * "allow"), and add the audit row {actor, verb, account, reason} in the
 * same transaction.  Strings are NUL-terminated.  HU_OK or HU_EIO. */
HU_MUST_CHECK int hu_store_account_set(struct hu_store *s, enum hu_store_list list,
                                       const char *account_id, const char *action,
                                       const char *actor, const char *verb, const char *reason,
                                       int64_t now_ms);

typedef int (*hu_store_entry_fn)(void *ctx, const char *account_id, const char *action,
                                 const char *actor, const char *reason, int64_t ts_ms);
/* Every entry of a list, oldest first.  HU_OK or HU_EIO. */
HU_MUST_CHECK int hu_store_list_load(struct hu_store *s, enum hu_store_list list,
                                     hu_store_entry_fn fn, void *ctx);

typedef int (*hu_store_audit_fn)(void *ctx, uint64_t seq, int64_t ts_ms, const char *actor,
                                 const char *verb, const char *target, const char *reason);
/* Audit rows with seq > after, oldest first, at most max.  Returns the
 * number delivered or HU_EIO. */
int hu_store_audit_read(struct hu_store *s, uint64_t after, size_t max,
                        hu_store_audit_fn fn, void *ctx);

#endif
