/*
 * cluster.h -- huella over a distributed log: names, the shard function
 * and the summary wire format shared by `huella publish`, `worker`,
 * `linker`, `cluster status` (and `serve --nats`).  docs/scale-out.md is
 * the design; this header is the contract between the processes.
 *
 * Streams and buckets (NATS JetStream, through transport/transport.h):
 *
 *   HUELLA_EVENTS    subjects huella.events.<shard>: contract lines as
 *                    published, one per message, Nats-Msg-Id = event id,
 *                    duplicate window HU_CLUSTER_DEDUP_MS
 *   HUELLA_SUMMARY   subjects huella.summary.<shard>.a.<account hash> (a
 *                    profile summary, struct below) and
 *                    huella.summary.<shard>.ckpt (the shard's checkpoint
 *                    marker); one message kept per subject: a compacted
 *                    changelog of every profile, which is also how a shard's
 *                    state moves to a new worker
 *   huella_cluster   KV: "shards" = N, fixed when the event stream is created
 *   huella_leases    KV with TTL HU_CLUSTER_LEASE_MS: shard.<k> = worker id
 *                    (the owner), worker.<id> = heartbeat, linker = heartbeat
 *   huella_decisions KV: acct.<account hash> = decision line, campaign.<id>
 *                    = campaign JSON, state = the linker's last generation
 *
 * Shard of an account: hu_hash(account_id) % N (model_release lines, which
 * have no account, hash the empty id).  N never changes for a stream:
 * moving accounts between shards would move their profiles; more
 * processors are added by giving each worker fewer shards, so N is chosen
 * for the largest cluster foreseen (docs/scale-out.md: sizing).
 */
#ifndef HU_CLUSTER_CLUSTER_H
#define HU_CLUSTER_CLUSTER_H

#include <stddef.h>
#include <stdint.h>
#include "core/hash.h"
#include "huella/hu_status.h"
#include "profile/entity_dict.h"
#include "profile/observer.h"
#include "profile/profile.h"

#define HU_CLUSTER_EVENTS        "HUELLA_EVENTS"
#define HU_CLUSTER_SUMMARY       "HUELLA_SUMMARY"
#define HU_CLUSTER_KV_CONFIG     "huella_cluster"
#define HU_CLUSTER_KV_LEASES     "huella_leases"
#define HU_CLUSTER_KV_DECISIONS  "huella_decisions"

/* Shards of a new event stream unless --shards-total says otherwise. */
#define HU_CLUSTER_DEFAULT_SHARDS 16u
/* Most shards: shard numbers are printed in subjects and held in bitmaps. */
#define HU_CLUSTER_MAX_SHARDS     1024u
/* How long the event stream remembers message ids: a publisher that
 * crashed and republishes its file within this window cannot double an
 * event (JetStream keeps one id per message of the window in memory). */
#define HU_CLUSTER_DEDUP_MS       (10 * 60 * 1000)
/* A worker that stops renewing its leases loses them after this long;
 * renewed every HU_CLUSTER_RENEW_MS and after each shard it takes (taking
 * a shard waits on the log: up to HU_TP_TIMEOUT_MS during an election). */
#define HU_CLUSTER_LEASE_MS       15000
#define HU_CLUSTER_RENEW_MS       2000
/* Copies of every stream and bucket (three-node cluster). */
#define HU_CLUSTER_REPLICAS       3

static inline unsigned hu_cluster_shard(const char *account_id, size_t len, unsigned n_shards)
{
    return (unsigned)(hu_hash(account_id ? account_id : "", account_id ? len : 0) % n_shards);
}

/* An event's subject and id (Nats-Msg-Id) on the event stream, shared by
 * `huella publish` (tag = hash of the file's base name) and `serve
 * --publish-events` (tag = hash of the request body): "huella.events.<k>"
 * and "<16 hex of hash(tag, line bytes)>-<lineno>".  The same line at the
 * same place of the same source gets the same id, so a republished file
 * or a retried POST stores nothing twice within HU_CLUSTER_DEDUP_MS.
 * subj needs 40 bytes, id 48. */
void hu_cluster_event_names(const char *account_id, size_t id_len, unsigned n_shards, uint64_t tag,
                            const char *line, size_t len, uint64_t lineno, char subj[40], char id[48]);

/* Read (or, with create_n > 0, create) the cluster's shard count from the
 * huella_cluster bucket.  HU_OK with *n set; HU_ENOENT if unset and
 * create_n == 0; HU_EINVAL if create_n disagrees with the stored N. */
struct hu_tp;
HU_MUST_CHECK int hu_cluster_shards(struct hu_tp *tp, unsigned create_n, unsigned *n);
/* Create the event and summary streams if missing. */
HU_MUST_CHECK int hu_cluster_ensure_streams(struct hu_tp *tp);

/* Parse "0-3,8,10-11" into a bitmap of shards below n.  HU_OK or HU_EINVAL. */
HU_MUST_CHECK int hu_cluster_parse_shards(const char *s, unsigned n, uint8_t *bits);

/* ---- summary wire format (little-endian) ----------------------------------
 *
 *   "HUS1"  u32 shard  u64 first_seq  u64 last_seq  u16 id_len  id bytes
 *   u32 profile_len  profile (hu_profile_serialize)
 *   u16 n_entities  n x { u8 kind, u64 hash, u8 len, value bytes }
 *
 * first_seq: stream sequence of the account's first event (the linker
 * orders accounts by it, which is the first-seen order of one process);
 * last_seq: of the last event folded in (a replayed event at or below it
 * is skipped: exactly-once per account).  Entities: the printable values
 * of the hashes in the profile's address, fingerprint, user-agent and
 * payment sets, so the linker can print indicators.  Never prompt text. */

#define HU_SUMMARY_MAX_ENTITIES 96u

struct hu_summary_entity {
    uint8_t kind;            /* enum hu_dict_kind */
    uint8_t len;
    uint64_t hash;
    const char *value;       /* borrowed */
};

struct hu_summary {
    uint32_t shard;
    uint64_t first_seq, last_seq;
    const char *id;          /* borrowed */
    size_t id_len;
    struct hu_profile prof;
    size_t n_ent;
    struct hu_summary_entity ent[HU_SUMMARY_MAX_ENTITIES];
};

/* Fill s->ent from the profile's sets, looking values up in dicts[0..n)
 * (first hit wins).  O(set sizes). */
void hu_summary_collect_entities(struct hu_summary *s, const struct hu_entity_dict *const *dicts, size_t n);
/* Append the encoding of s to out (hu_malloc'd, grown); HU_OK/HU_ENOMEM. */
struct hu_buf;
HU_MUST_CHECK int hu_summary_encode(const struct hu_summary *s, struct hu_buf *out);
/* Decode untrusted bytes; s borrows id and values from buf.  HU_OK or
 * HU_ECORRUPT (never reads past len). */
HU_MUST_CHECK int hu_summary_decode(struct hu_summary *s, const void *buf, size_t len);

/* ---- checkpoint marker --------------------------------------------------------
 *
 *   "HUM1"  u32 shard  u64 seq  u64 requests  u64 account_events  u64 lost
 *   i64 first_ts  i64 last_ts  u32 n_releases  n x { u64 model, i64 ts }
 *   u16 worker_len  worker id
 *
 * seq: every event of the shard up to this stream sequence is in the
 * shard's published summaries. */
struct hu_marker {
    uint32_t shard;
    uint64_t seq;
    struct hu_observer_counts c;
    size_t n_rel;
    struct hu_release rel[HU_MAX_RELEASES];
    char worker[64];
};
HU_MUST_CHECK int hu_marker_encode(const struct hu_marker *m, struct hu_buf *out);
HU_MUST_CHECK int hu_marker_decode(struct hu_marker *m, const void *buf, size_t len);

#endif
