/*
 * worker_store.h -- a profile worker's own checkpoint, one SQLite file.
 *
 *   shard(shard PK, seq, published, marker BLOB)
 *       seq: every event of the shard up to this stream sequence is folded
 *       into the account rows below; published: the summaries up to this
 *       seq are confirmed stored on the summary stream; marker: the
 *       shard's checkpoint marker (cluster.h) as of seq
 *   account(id PK, shard, last_seq, summary BLOB)
 *       summary: the account's summary message (cluster.h), so restoring a
 *       profile and republishing it read the same bytes
 *
 * One checkpoint is one transaction (begin, put_account..., put_shard,
 * commit) with synchronous=FULL in WAL mode: when commit returns HU_OK the
 * checkpoint survives a killed process and a power loss, and only then
 * does the worker acknowledge the events it covers.
 *
 * One thread.  Statuses: HU_OK, HU_EIO (reason in the last errbuf or
 * hu_wstore_error), HU_ENOENT, HU_ENOMEM.
 */
#ifndef HU_CLUSTER_WORKER_STORE_H
#define HU_CLUSTER_WORKER_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "huella/hu_status.h"

struct hu_wstore;

HU_MUST_CHECK int hu_wstore_open(const char *path, struct hu_wstore **out, char *err, size_t errcap);
void hu_wstore_close(struct hu_wstore *s);
const char *hu_wstore_error(const struct hu_wstore *s);

HU_MUST_CHECK int hu_wstore_begin(struct hu_wstore *s);
HU_MUST_CHECK int hu_wstore_commit(struct hu_wstore *s);
void hu_wstore_rollback(struct hu_wstore *s);

HU_MUST_CHECK int hu_wstore_put_account(struct hu_wstore *s, unsigned shard, const char *id, size_t id_len,
                                        uint64_t last_seq, const void *summary, size_t len);
/* Forget one account (evicted by --max-accounts).  HU_OK (also when
 * absent) or HU_EIO. */
HU_MUST_CHECK int hu_wstore_delete_account(struct hu_wstore *s, const char *id, size_t id_len);
HU_MUST_CHECK int hu_wstore_put_shard(struct hu_wstore *s, unsigned shard, uint64_t seq,
                                      const void *marker, size_t len);
/* Outside a transaction: the shard's summaries up to seq are published. */
HU_MUST_CHECK int hu_wstore_set_published(struct hu_wstore *s, unsigned shard, uint64_t seq);
/* The shard row; *marker is hu_malloc'd (caller frees).  HU_ENOENT if none. */
HU_MUST_CHECK int hu_wstore_get_shard(struct hu_wstore *s, unsigned shard, uint64_t *seq, uint64_t *published,
                                      char **marker, size_t *len);
/* Every account row of the shard (summary borrowed for the call), in rowid
 * order; fn non-zero stops.  Returns rows visited or HU_EIO. */
typedef int (*hu_wstore_fn)(void *ctx, uint64_t last_seq, const void *summary, size_t len);
int hu_wstore_scan_shard(struct hu_wstore *s, unsigned shard, hu_wstore_fn fn, void *ctx);
/* Forget a shard (its rows), e.g. before restoring it from the summary
 * stream because another worker owned it since. */
HU_MUST_CHECK int hu_wstore_drop_shard(struct hu_wstore *s, unsigned shard);

#endif
