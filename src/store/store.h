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
};

/* Open or create the database at `path` and bring its schema up to date.
 * `opts` may be NULL.  HU_OK; HU_EIO (cannot open, not a database, locked)
 * or HU_EVERSION (written by a newer huella) with a reason in errbuf;
 * HU_ENOMEM.  On failure *out is NULL. */
HU_MUST_CHECK int hu_store_open(const char *path, const struct hu_store_opts *opts,
                                struct hu_store **out, char *errbuf, size_t errcap);
/* NULL is a no-op.  Checkpoints the WAL into the main file. */
void hu_store_close(struct hu_store *s);
/* 1 after a storage error that the store could not recover from (disk
 * full, I/O error): the service reports it on /healthz (sticky). */
int hu_store_degraded(const struct hu_store *s);

/* ---- journal ----------------------------------------------------------- */

/* Append lines[0..n) (each lens[i] bytes, no newline) in ONE transaction
 * stamped `now_ms`.  When this returns HU_OK the lines are durable (as the
 * sync mode promises) and *first_seq / *last_seq (either may be NULL) name
 * them.  HU_EIO on a storage error (nothing was written).  n == 0 is HU_OK
 * and writes nothing.  Cost: O(total bytes) plus one commit. */
HU_MUST_CHECK int hu_store_journal_append(struct hu_store *s, const char *const *lines,
                                          const size_t *lens, size_t n, int64_t now_ms,
                                          uint64_t *first_seq, uint64_t *last_seq);

/* Called per journal row in seq order; return non-zero to stop. */
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
