/*
 * serve_pub.h -- `huella serve --nats URL --publish-events`: POST
 * /v1/events onto the cluster's event stream instead of the service's own
 * journal (serve/engine.h, hu_engine_set_events_sink).
 *
 * Each good line of a body is published unchanged on huella.events.<shard
 * of its account> with the event id hu_cluster_event_names() gives for
 * (hash of the body, line, line number): a client that retries a body it
 * got no answer for (or a 503 for) stores nothing twice within the
 * stream's duplicate window (HU_CLUSTER_DEDUP_MS), exactly as `huella
 * publish` of the same file twice.  The request is answered 202 only once
 * JetStream has confirmed every line stored (on R=3 streams: on a quorum
 * of servers); that confirmation is the durability, the service keeps no
 * copy.  No confirmation within HU_TP_TIMEOUT_MS (no server reachable, no
 * stream leader) -> HU_EIO -> 503 with Retry-After, counted in
 * huella_cluster_publish_failures_total.
 *
 * One connection; bodies are published one at a time under a mutex (one
 * asynchronous batch and one wait per body), so concurrent posts queue.
 * Cost per line: one parse (the shard needs the account) and one
 * publish; per body one round trip to the stream leader.
 */
#ifndef HU_CLUSTER_SERVE_PUB_H
#define HU_CLUSTER_SERVE_PUB_H

#include <stddef.h>
#include <stdint.h>
#include "huella/hu_status.h"

struct hu_serve_pub;
struct hu_buf;

/* Connect, create the streams if missing, read the shard count (creating
 * the cluster with HU_CLUSTER_DEFAULT_SHARDS if it does not exist).
 * HU_OK; HU_EIO with a reason in err; HU_ENOMEM. */
HU_MUST_CHECK int hu_serve_pub_start(const char *urls, struct hu_serve_pub **out, char *err, size_t errcap);
/* Close the connection; NULL is a no-op. */
void hu_serve_pub_stop(struct hu_serve_pub *p);

/* hu_engine_sink_fn: publish lines[0..n) and wait for the stream's
 * confirmation.  HU_OK (all stored, duplicates included), HU_EIO, HU_ENOMEM.
 * Thread-safe. */
int hu_serve_pub_lines(void *ctx, const char *body, size_t body_len, const char *const *lines,
                       const size_t *lens, const uint64_t *line_nos, size_t n);
/* hu_engine_sink_metrics_fn: huella_cluster_publish_* families. */
int hu_serve_pub_metrics(void *ctx, struct hu_buf *out);

#endif
