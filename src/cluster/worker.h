/*
 * worker.h -- `huella worker`: a profile worker of the cluster.
 *
 * A worker owns some shards of the event stream (leases in the
 * huella_leases bucket), folds their events into account profiles with
 * the same observer as `huella analyze`, checkpoints profiles and the
 * shard position in its own SQLite store, publishes every changed
 * profile's summary, and only then acknowledges the events.  See
 * docs/scale-out.md for the protocol and why it neither loses nor doubles
 * an acknowledged event.
 */
#ifndef HU_CLUSTER_WORKER_H
#define HU_CLUSTER_WORKER_H

#include <stddef.h>
#include <stdint.h>
#include "features/features.h"
#include "huella/hu_status.h"

struct hu_worker_opts {
    const char *urls;             /* NATS servers */
    const char *shards;           /* "0-7", "all": shards this worker may own */
    const char *db;               /* its SQLite store */
    const char *id;               /* worker name (default: host-pid) */
    struct hu_features_config features;
    int batch;                    /* messages per pull (default 1000) */
    int checkpoint_ms;            /* longest time between checkpoints (default 500) */
    int idle_exit_ms;             /* > 0: exit after this long with nothing to do (tests, batch jobs) */
    int max_events;               /* > 0: stop hard (as kill -9) after this many events (tests) */
    size_t max_accounts;          /* > 0: hold at most this many profiles, evicting as analyze does */
    int quiet;
};

/* Run until SIGINT/SIGTERM (or idle_exit_ms).  Returns a process exit
 * status (0 ok, 1 failure, 2 usage). */
int hu_worker_run(const struct hu_worker_opts *o);

#endif
