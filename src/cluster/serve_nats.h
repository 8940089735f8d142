/*
 * serve_nats.h -- `huella serve --nats URL`: a local, always-current copy
 * of the linker's decisions bucket (huella_decisions, cluster.h), so that
 * /v1/decide answers for every account the cluster linked from memory and
 * never waits on the network.
 *
 * A background thread keeps a KV watch on acct.> open (the client
 * reconnects across server failures; a watch first replays every current
 * value, then each change) and folds each value into an in-memory map
 * under a rwlock.  hu_serve_nats_lookup() is the engine's lookup hook
 * (serve/engine.h, hu_engine_set_lookup): O(1), a read lock, no I/O.
 * Memory: ~330 bytes per account (id, score, campaign, reasons).
 */
#ifndef HU_CLUSTER_SERVE_NATS_H
#define HU_CLUSTER_SERVE_NATS_H

#include <stddef.h>
#include <stdint.h>
#include "huella/hu_status.h"

struct hu_serve_nats;

/* Connect and start the watch thread.  HU_OK, HU_EIO (reason in err),
 * HU_ENOMEM. */
HU_MUST_CHECK int hu_serve_nats_start(const char *urls, struct hu_serve_nats **out, char *err, size_t errcap);
/* Stop the thread, free everything; NULL is a no-op. */
void hu_serve_nats_stop(struct hu_serve_nats *s);
/* Accounts held and changes applied so far. */
void hu_serve_nats_counts(struct hu_serve_nats *s, uint64_t *accounts, uint64_t *updates);

/* The cluster's state of account id: 1 and the outputs filled, or 0 if the
 * bucket has no such account.  Thread-safe; never blocks on the network. */
int hu_serve_nats_lookup(void *ctx, const char *id, size_t len, double *score, char *campaign, size_t ccap,
                         char *reasons, size_t rcap);

#endif
