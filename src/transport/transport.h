/*
 * transport.h -- the distributed log under `huella publish|worker|linker|
 * cluster`: one small interface, one implementation per log.
 *
 * What huella needs from a log (docs/scale-out.md):
 *
 *   streams      append-only, replicated, partitioned by subject; a stream
 *                sequence number per message, increasing in append order
 *                across all of the stream's subjects
 *   publish      asynchronous, with a per-message id the log uses to drop
 *                a republished duplicate (NATS: Nats-Msg-Id and the
 *                stream's duplicate window; Kafka: an idempotent producer)
 *   consume      a named (durable) cursor per partition, pulled in batches
 *                in append order, acknowledged explicitly ("everything up
 *                to here is done")
 *   key-value    small replicated values with revisions, compare-and-set
 *                and a time-to-live (leases, decisions)
 *
 * The only implementation today is NATS JetStream (transport/nats.c, the
 * Debian package libnats-dev); Kafka fits the same calls (a stream is a
 * topic, a subject a partition key, a consumer a group member with manual
 * offset commits, the key-value bucket a compacted topic).
 *
 * Threads: a struct hu_tp is used from one thread at a time; the client
 * library runs its own I/O threads underneath.  Every call blocks for at
 * most the timeout it is given (or HU_TP_TIMEOUT_MS).  Statuses: HU_OK;
 * HU_EIO (the log did not answer or refused; a reason is in
 * hu_tp_error()); HU_ENOENT (no such stream, consumer or key); HU_EEXIST
 * (compare-and-set lost); HU_EINVAL; HU_ENOMEM.
 */
#ifndef HU_TRANSPORT_TRANSPORT_H
#define HU_TRANSPORT_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>
#include "huella/hu_status.h"

/* Default wait for one request to the log. */
#define HU_TP_TIMEOUT_MS 5000

struct hu_tp;
struct hu_tp_consumer;
struct hu_tp_kv;

/* Connect to `urls` (comma-separated, e.g. "nats://127.0.0.1:4222,
 * nats://127.0.0.1:4223"): the client fails over between them and
 * reconnects for ever.  HU_OK or HU_EIO with a reason in err. */
HU_MUST_CHECK int hu_tp_connect(const char *urls, struct hu_tp **out, char *err, size_t errcap);
/* Flush and close; NULL is a no-op. */
void hu_tp_close(struct hu_tp *tp);
/* The reason for the last HU_EIO (borrowed, until the next call). */
const char *hu_tp_error(const struct hu_tp *tp);

/* ---- streams ------------------------------------------------------------ */

struct hu_tp_stream_cfg {
    const char *name;
    const char *const *subjects;
    size_t n_subjects;
    int replicas;                 /* 1..5; clamped to the servers present */
    int64_t dedup_window_ms;      /* 0: the log's default */
    int64_t max_per_subject;      /* 0: unlimited; 1: keep the last (a changelog) */
    int64_t max_age_ms;           /* 0: keep for ever */
};

/* Create the stream if no stream of that name exists (HU_OK either way;
 * an existing stream's configuration is not compared).  On a single
 * server that is not clustered, replicas fall back to 1.  HU_EIO
 * otherwise. */
HU_MUST_CHECK int hu_tp_stream_ensure(struct hu_tp *tp, const struct hu_tp_stream_cfg *cfg);
/* Messages and last sequence of a stream.  HU_ENOENT if it does not exist. */
HU_MUST_CHECK int hu_tp_stream_state(struct hu_tp *tp, const char *stream, uint64_t *msgs,
                                     uint64_t *last_seq);
/* The last message on `subject` of `stream`, copied into *data (hu_malloc,
 * caller frees) and its sequence.  HU_ENOENT if none. */
HU_MUST_CHECK int hu_tp_stream_last(struct hu_tp *tp, const char *stream, const char *subject,
                                    char **data, size_t *len, uint64_t *seq);

/* ---- publish ------------------------------------------------------------ */

/* Queue one message; `msg_id` (may be NULL) is its deduplication id.
 * Returns when the message is handed to the client (it may wait while
 * too many are unconfirmed).  Confirmation comes with hu_tp_publish_wait. */
HU_MUST_CHECK int hu_tp_publish(struct hu_tp *tp, const char *subject, const void *data, size_t len,
                                const char *msg_id);
/* Wait until every queued message is confirmed stored by the log.  HU_OK;
 * HU_EIO if any was refused or the wait timed out (the caller publishes
 * again: ids make that safe).  *dups (may be NULL) += messages the log
 * reported as duplicates. */
HU_MUST_CHECK int hu_tp_publish_wait(struct hu_tp *tp, int64_t timeout_ms, uint64_t *dups);

/* ---- consume ------------------------------------------------------------ */

struct hu_tp_consumer_cfg {
    const char *stream;
    const char *durable;          /* NULL: ephemeral */
    const char *filter;           /* subject filter, may hold wildcards */
    uint64_t start_seq;           /* > 0: (re)create the cursor at this stream sequence */
    int last_per_subject;         /* 1: only the newest message of each subject */
    int64_t ack_wait_ms;          /* 0: 30 s */
};

/* One delivered message: payload and sequences.  `stream_seq` is the
 * message's place in the stream, `consumer_seq` its delivery number on
 * this cursor (1, 2, 3 ... for first deliveries), `delivered` how many
 * times it was delivered (> 1: a redelivery). */
struct hu_tp_msg {
    const char *subject;
    const char *data;
    size_t len;
    uint64_t stream_seq, consumer_seq, delivered, pending;
};
/* Called per message of a batch; return non-zero to stop the batch. */
typedef int (*hu_tp_msg_fn)(void *ctx, const struct hu_tp_msg *m);

/* Open (create or bind) a pull cursor.  With start_seq > 0 an existing
 * durable of that name is deleted first, so delivery restarts exactly at
 * start_seq in stream order with nothing pending from before. */
HU_MUST_CHECK int hu_tp_consumer_open(struct hu_tp *tp, const struct hu_tp_consumer_cfg *cfg,
                                      struct hu_tp_consumer **out);
void hu_tp_consumer_close(struct hu_tp_consumer *c);
/* Pull up to `max` messages (plus, first, any left over from an earlier
 * fetch): what is there now, or if the cursor is empty the first ones to
 * come within timeout_ms; calls fn for each in delivery order.  Returns
 * the number delivered (0 on timeout) or HU_EIO.  The messages stay
 * unacknowledged. */
int hu_tp_fetch(struct hu_tp_consumer *c, int max, int64_t timeout_ms, hu_tp_msg_fn fn, void *ctx);
/* The shortest wait hu_tp_fetch uses (a smaller timeout_ms is raised to
 * it): longer than the server keeps a pull request, so no batch is left
 * in flight for the next fetch (nats.c before 3.8.1 mishandles those,
 * see nats.c).  Only an empty cursor waits; one with messages answers at
 * once. */
#define HU_TP_FETCH_MIN_MS 50
/* Acknowledge every message fetched so far on this cursor (one ack of the
 * last, the cursor acks all before it).  HU_OK or HU_EIO. */
HU_MUST_CHECK int hu_tp_ack_all(struct hu_tp_consumer *c);

struct hu_tp_consumer_state {
    uint64_t pending;             /* not yet delivered */
    uint64_t ack_pending;         /* delivered, not acknowledged */
    uint64_t redelivered;         /* delivered more than once, unacknowledged */
    uint64_t ack_floor_stream;    /* every message up to this stream seq is acknowledged */
    uint64_t delivered_stream;    /* last delivered stream seq */
};
/* State of a durable cursor.  HU_ENOENT if it does not exist. */
HU_MUST_CHECK int hu_tp_consumer_state(struct hu_tp *tp, const char *stream, const char *durable,
                                       struct hu_tp_consumer_state *st);

/* ---- key-value ------------------------------------------------------------ */

/* Create or bind bucket `name`; ttl_ms > 0 expires values that old. */
HU_MUST_CHECK int hu_tp_kv_open(struct hu_tp *tp, const char *name, int64_t ttl_ms, int replicas,
                                struct hu_tp_kv **out);
void hu_tp_kv_close(struct hu_tp_kv *kv);
/* Write; *rev (may be NULL) gets the new revision. */
HU_MUST_CHECK int hu_tp_kv_put(struct hu_tp_kv *kv, const char *key, const void *data, size_t len,
                               uint64_t *rev);
/* Write only if the key does not exist (HU_EEXIST otherwise). */
HU_MUST_CHECK int hu_tp_kv_create(struct hu_tp_kv *kv, const char *key, const void *data, size_t len,
                                  uint64_t *rev);
/* Write only if the key's revision is still `last` (HU_EEXIST otherwise). */
HU_MUST_CHECK int hu_tp_kv_update(struct hu_tp_kv *kv, const char *key, const void *data, size_t len,
                                  uint64_t last, uint64_t *rev);
/* Read into *data (hu_malloc, NUL-terminated, caller frees).  HU_ENOENT if
 * absent or deleted. */
HU_MUST_CHECK int hu_tp_kv_get(struct hu_tp_kv *kv, const char *key, char **data, size_t *len,
                               uint64_t *rev);
HU_MUST_CHECK int hu_tp_kv_delete(struct hu_tp_kv *kv, const char *key);

/* Called per live key and value (borrowed for the call); non-zero stops. */
typedef int (*hu_tp_kv_fn)(void *ctx, const char *key, const char *data, size_t len, uint64_t rev);
/* Every live key of the bucket whose name matches `keys` (wildcards '*'
 * and '>'; NULL: all), with its value.  Returns the number visited or
 * HU_EIO. */
int hu_tp_kv_scan(struct hu_tp_kv *kv, const char *keys, hu_tp_kv_fn fn, void *ctx);

/* A live copy: watch(keys) first delivers every current value, then each
 * change as it happens (deletes with len 0 and data NULL). */
struct hu_tp_kv_watch;
HU_MUST_CHECK int hu_tp_kv_watch(struct hu_tp_kv *kv, const char *keys, struct hu_tp_kv_watch **out);
/* Next change, waiting at most timeout_ms: 1 and fn called, 0 on timeout,
 * HU_EIO. */
int hu_tp_kv_watch_next(struct hu_tp_kv_watch *w, int64_t timeout_ms, hu_tp_kv_fn fn, void *ctx);
void hu_tp_kv_watch_close(struct hu_tp_kv_watch *w);

#endif
