/*
 * profile.h -- what huella remembers about one account, in fixed memory.
 *
 * A struct hu_profile summarises every request and account event of one
 * account (DESIGN.md "profiles"): counters, activity over the day and the
 * week, inter-arrival regularity, distinct and heaviest prompt templates,
 * MinHash signatures of its template set and of its active time slots,
 * bounded sets of the addresses, networks and fingerprints it used, the
 * share of each extraction target, traffic per model over time, and the
 * facts of its `account` events.  It is a fixed-size, pointer-free record
 * (sizeof(struct hu_profile), 1,936 bytes, see docs/internals/profile.md)
 * whatever the number of requests, so profiles come from pools, can be
 * memcpy'd, and a million of them fit in a few GiB.
 *
 * Streaming and order.  Events arrive roughly in time order with minutes of
 * disorder.  Every field is either order-free (counts, sums, maxima,
 * sketches) or defined on stream order in a way that merge reproduces:
 *
 *     observe(A); observe(B)   ==   merge(observe(A), observe(B))
 *
 * byte for byte (hu_profile_serialize output) whenever the sketches allow
 * it: always, except (1) space-saving, whose merge keeps its error bounds
 * but not its exact state, (2) more than HU_PROFILE_NMODELS models in the
 * union, (3) inter-arrival gaps when B's requests are not all at or
 * after A's latest one (the gap across the seam is then left out, as
 * observe() itself leaves out gaps to late events), and (4) the set pool
 * once it overflowed: when the 11 bounded sets together hold more than
 * HU_PROFILE_SET_POOL items, in A, in B or in the merged union, the sets
 * are reduced (see "Bounded sets" below) at different moments in the two
 * orders; both are valid coordinated bottom-k samples, not the same ones.
 * test_profile and test_profile_sets check this equivalence.
 *
 * Bounded sets.  The 11 sets (HU_PSET_MAP) share one inline pool of
 * HU_PROFILE_SET_POOL (34) item hashes: set 0's items, then set 1's, ...,
 * each in rank order (struct hu_kmv's order), set_n[s] items each, and
 * bit s of set_sampled when set s is a sample.  Each set still holds at
 * most HU_KMV_K (8).  While the pool has room every set is exactly a
 * struct hu_kmv.  When an add would overflow the pool, the first set in
 * the order api_key, system, tools, ua_family, ua, headers_fp, client_fp,
 * asn, payment, prefix, ip (least linkage value first) that holds more
 * than HU_PROFILE_SET_FLOOR (3) items drops its item of largest rank and
 * becomes a bottom-k' sample with k' = its items (kmv.h "Reduced
 * samples"); a sampled set only takes an item ranking below its largest.  Readers never touch the pool:
 * hu_profile_set() gives a set as a struct hu_kmv.  On the simulator's
 * seed-2026 accounts hold 23.5 set items on average and 34 at most, so
 * reduction is for hostile or unusual accounts (docs/internals/profile.md).
 *
 * Threading: a profile has one writer.  Shard accounts across threads and
 * merge partial profiles (or whole tables) afterwards.
 */
#ifndef HU_PROFILE_PROFILE_H
#define HU_PROFILE_PROFILE_H

#include <stddef.h>
#include <stdint.h>
#include "huella/hu_status.h"
#include "ingest/event.h"
#include "features/features.h"
#include "sketch/hll.h"
#include "sketch/minhash.h"
#include "sketch/spacesaving.h"
#include "sketch/kmv.h"
#include "profile/params.h"

#define HU_PROFILE_VERSION 2   /* 2: top_sentences (the set pool kept the format) */

/* Bounded sets kept per account: name (used in reports and evidence codes;
 * never rename one), and what feeds it. */
#define HU_PSET_MAP(X)                                                   \
    X(IP,         "ip",          "client address (features ip_hash)")    \
    X(PREFIX,     "prefix",      "IPv4 /24 or IPv6 /48")                 \
    X(ASN,        "asn",         "autonomous system number")             \
    X(CLIENT_FP,  "client_fp",   "TLS/HTTP2 client fingerprint")         \
    X(HEADERS_FP, "headers_fp",  "header names and order")               \
    X(UA,         "ua",          "exact user agent")                     \
    X(UA_FAMILY,  "ua_family",   "user agent product/major version")     \
    X(PAYMENT,    "payment",     "payment fingerprint (requests and account events)") \
    X(SYSTEM,     "system",      "system prompt template")               \
    X(TOOLS,      "tools",       "declared tool set")                    \
    X(API_KEY,    "api_key",     "API key id")

enum hu_pset {
#define HU__PSET_ENUM(name, code, desc) HU_PSET_##name,
    HU_PSET_MAP(HU__PSET_ENUM)
#undef HU__PSET_ENUM
    HU_PSET_COUNT
};
const char *hu_pset_name(enum hu_pset s);

/* Account types and verification levels of `account` events (EVENTS.md);
 * 0 = never stated, OTHER = a value outside the contract. */
enum hu_account_type {
    HU_ACCT_UNKNOWN = 0, HU_ACCT_INDIVIDUAL, HU_ACCT_STARTUP, HU_ACCT_EDUCATION,
    HU_ACCT_RESEARCH, HU_ACCT_ENTERPRISE, HU_ACCT_OTHER
};
enum hu_verification {
    HU_VERIF_UNKNOWN = 0, HU_VERIF_NONE, HU_VERIF_EMAIL, HU_VERIF_PHONE, HU_VERIF_ID,
    HU_VERIF_BUSINESS, HU_VERIF_OTHER
};
const char *hu_account_type_name(enum hu_account_type t);   /* "education", "" for unknown */
const char *hu_verification_name(enum hu_verification v);

#define HU_PROFILE_NLANG  5   /* enum hu_lang */
#define HU_PROFILE_NNET   6   /* enum hu_net_class */

/* One model the account used.  ring[b % HU_PROFILE_RING] counts requests
 * in 6-hour bucket b for the buckets (ring_end - RING, ring_end] of the
 * owning profile; counts saturate at 65535. */
struct hu_profile_model {
    uint64_t model_hash;        /* 0 = slot free */
    int64_t  first_ts, last_ts; /* ms; min and max ts of its requests */
    uint32_t n;                 /* requests (saturating) */
    uint32_t pad_;
    uint16_t ring[HU_PROFILE_RING];
};

/* Facts from `account` events.  Hash fields are 0 when never stated; a
 * stated field overwrites the previous value (stream order: last write
 * wins).  signup_* come from the earliest account event by ts. */
struct hu_profile_facts {
    uint64_t email_domain_hash;   /* hu_hash of the lower-cased domain */
    uint64_t payment_hash;        /* payment instrument on file */
    uint64_t org_hash;
    uint64_t signup_ip_hash;      /* from features, 0 without them */
    uint64_t signup_prefix_hash;
    int64_t  signup_ts;           /* INT64_MAX until an account event */
    uint32_t n_events;
    uint8_t  type;                /* enum hu_account_type */
    uint8_t  verification;        /* enum hu_verification */
    char     country[2];          /* ISO alpha-2 upper case, zeros if none */
};

/* Invariants (hu_profile_validate): every count of requests with a
 * property is <= n_req; n_req == 0 implies first_ts == INT64_MAX and
 * last_ts == INT64_MIN; otherwise first_ts <= head_ts <= last_ts; each
 * sketch is valid; model slots in use come first and have distinct
 * hashes. */
struct hu_profile {
    uint64_t account_hash;      /* hu_hash(account_id) */
    uint64_t org_hash;          /* last org_id seen on a request (account events: facts) */

    /* ---- requests: counters (saturating) ---- */
    uint64_t n_req;
    uint64_t input_tokens, output_tokens;
    uint64_t thinking_budget_sum;
    uint64_t max_tokens_sum;
    uint64_t prompt_chars_sum, prompt_chars_sumsq;
    uint32_t n_thinking;        /* thinking requested */
    uint32_t n_tools;           /* tools declared */
    uint32_t n_images;          /* image blocks in the messages */
    uint32_t n_max_tokens;      /* max_tokens stated */
    uint32_t max_tokens_max;
    uint32_t n_prompt;          /* requests with prompt text or features */
    uint32_t prompt_chars_max;
    uint32_t n_status;          /* status stated */
    uint32_t n_4xx, n_429, n_5xx;
    uint32_t lang[HU_PROFILE_NLANG];
    uint32_t net[HU_PROFILE_NNET];

    /* ---- time ---- */
    int64_t  first_ts, last_ts; /* min and max request ts, ms */
    int64_t  head_ts;           /* ts of the first request in stream order */
    uint32_t hour[24];          /* requests per UTC hour of day */
    uint32_t dow[7];            /* requests per UTC day of week, Monday = 0 */
    /* inter-arrival: a gap is ts - (largest earlier ts), taken only when
     * ts >= that (a late event is counted in n_late instead) */
    uint32_t n_late;            /* requests older than an earlier one */
    uint32_t n_gaps;            /* gaps <= HU_PROFILE_SESSION_GAP_MS */
    uint32_t n_burst_gaps;      /* gaps < HU_PROFILE_BURST_GAP_MS */
    uint32_t n_breaks;          /* gaps > HU_PROFILE_SESSION_GAP_MS */
    uint32_t n_model_evictions; /* model slots given up (see model[]) */
    uint64_t gap_sum, gap_sumsq;/* of in-session gaps, 10 ms units */
    uint64_t lg_sum, lg_sumsq;  /* of log2(1+gap ms), 1/256 units */

    /* ---- what the prompts aim at ---- */
    uint64_t target_sum[HU_TARGET_COUNT];   /* in 1/65535 units */

    /* ---- sketches ---- */
    int64_t  last_slot;         /* last time slot added to slot_mh (cache) */
    struct hu_hll     templates;      /* distinct template_hash */
    struct hu_ss      top_templates;  /* heaviest template_hash */
    struct hu_ss      top_sentences;  /* heaviest first/last sentences (head_hash,
                                       * tail_hash) seen at least twice: a
                                       * script's wrapper */
    struct hu_minhash template_mh;    /* MinHash of the template set */
    struct hu_minhash slot_mh;        /* MinHash of active 10-minute slots */

    /* The bounded sets (see "Bounded sets" above; read them with
     * hu_profile_set(), write with hu_profile_set_add()). */
    uint8_t  set_n[HU_PSET_COUNT];    /* items of set s in the pool, <= HU_KMV_K */
    uint8_t  sent_probation_pos;      /* next probation slot, < HU_PROFILE_PROBATION */
    uint16_t set_sampled;             /* bit s: set s is a sample */
    uint16_t set_used;                /* items in set_pool (sum of set_n) */
    /* Sentences seen once recently (16-bit tags: the low 16 bits of the
     * hash with bit 0 set, so never 0 = empty slot, and equal to the low
     * half of the 32-bit tags main kept: probation loaded from an old blob
     * still matches).  A sentence enters top_sentences on its second
     * sighting, so one-off task lines cannot churn the wrapper out of the 8
     * counters (a 2-hit admission filter, as in TinyLFU).  A false tag
     * match only admits a sentence one sighting early, with probability at
     * most 16/32768 per sighting (15 free bits, 16 slots). */
    uint16_t sent_probation[HU_PROFILE_PROBATION];
    uint64_t set_pool[HU_PROFILE_SET_POOL];   /* unused tail slots are 0 */

    /* ---- traffic per model over time ---- */
    int64_t  ring_end;          /* newest 6-hour bucket index; INT64_MIN if none */
    uint16_t ring_total[HU_PROFILE_RING];   /* all requests per bucket */
    struct hu_profile_model model[HU_PROFILE_NMODELS];

    struct hu_profile_facts facts;
};

/* Empty profile for account_hash (caller memory).  O(sizeof). */
void hu_profile_init(struct hu_profile *p, uint64_t account_hash);

/* Fold one request in.  ev must be a request (ts_ms valid); feat may be
 * NULL (only event fields are used then).  Never fails: absent fields are
 * skipped.  Cost: O(1) counters plus O(k) sketch updates; the MinHash
 * updates (64 multiply-adds) run only for a template not among the
 * account's heaviest and for a new time slot. */
void hu_profile_observe_request(struct hu_profile *p, const struct hu_event *ev,
                                const struct hu_req_features *feat);

/* Fold one `account` event in.  feat (may be NULL) supplies the sign-up
 * address hashes and payment hash as features computes them; without it
 * payment_hash is hu_hash(payment_fp) and the address facts stay 0. */
void hu_profile_observe_account(struct hu_profile *p, const struct hu_event *ev,
                                const struct hu_req_features *feat);

/* dst := dst followed by src (see "Streaming and order" above for when the
 * result is exact).  HU_OK, or HU_EINVAL if the account hashes differ.
 * O(sizeof). */
HU_MUST_CHECK int hu_profile_merge(struct hu_profile *dst, const struct hu_profile *src);

/* ---- derived values used by scoring ------------------------------------- */

double   hu_profile_template_distinct(const struct hu_profile *p);
/* Share of requests on the heaviest template (its lower bound count - err
 * over n_req); 0 without templates. */
double   hu_profile_top_template_share(const struct hu_profile *p);
/* Coefficient of variation (stddev/mean) of in-session gaps; -1 if fewer
 * than 2 gaps or a zero mean.  Bots on a timer score near 0, humans >= 1. */
double   hu_profile_interarrival_cv(const struct hu_profile *p);
/* Mean and stddev of log2(1 + gap ms); -1 if fewer than 2 gaps. */
double   hu_profile_log_gap_mean(const struct hu_profile *p);
double   hu_profile_log_gap_std(const struct hu_profile *p);
/* Share of gaps below 1 s among all gaps. */
double   hu_profile_burst_share(const struct hu_profile *p);
/* Mean target score of target t over the account's requests, 0..1. */
double   hu_profile_target_share(const struct hu_profile *p, enum hu_target t);
/* Hour-of-day histogram shifted to local time: out[h] = requests at local
 * hour h for a UTC offset of offset_minutes (whole hours used, rounded
 * toward zero). */
void     hu_profile_hours_local(const struct hu_profile *p, int offset_minutes, uint32_t out[24]);
/* Shannon entropy of the hour-of-day histogram, bits (0..log2 24 = 4.58):
 * round-the-clock scripts score high, people low. */
double   hu_profile_hour_entropy(const struct hu_profile *p);
/* Fractions of n_req; 0 when n_req == 0. */
double   hu_profile_thinking_share(const struct hu_profile *p);
double   hu_profile_tools_share(const struct hu_profile *p);
double   hu_profile_error_share(const struct hu_profile *p);   /* 4xx + 5xx over stated statuses */
/* Prompt length in code points over requests with a prompt: mean and
 * standard deviation (0 without prompts).  Harvesting scripts send
 * templated prompts of near-constant length. */
double   hu_profile_prompt_chars_mean(const struct hu_profile *p);
double   hu_profile_prompt_chars_std(const struct hu_profile *p);
/* Output tokens per input token over the account (0 if no input tokens):
 * distillation wants long answers to short prompts. */
double   hu_profile_output_input_ratio(const struct hu_profile *p);
/* Mean max_tokens over requests that stated it (0 if none). */
double   hu_profile_max_tokens_mean(const struct hu_profile *p);
/* Estimated distinct items of a bounded set (hu_kmv_count of it). O(k). */
double   hu_profile_set_count(const struct hu_profile *p, enum hu_pset s);
/* Set s as a struct hu_kmv, materialised into the caller's *tmp (copied
 * out of the pool; nothing keeps pointing into p).  Returns tmp; an empty
 * set for s out of range.  O(HU_PSET_COUNT + k). */
const struct hu_kmv *hu_profile_set(const struct hu_profile *p, enum hu_pset s,
                                    struct hu_kmv *tmp);
/* Add item to set s (observe does this; for code that builds profiles by
 * hand: tests, benchmarks).  Returns 1 if the held items changed, 0 if not
 * (duplicate, rank too large for a full or sampled set, s out of range).
 * May reduce another set when the pool is full (see "Bounded sets").
 * Never allocates.  O(HU_PROFILE_SET_POOL). */
int      hu_profile_set_add(struct hu_profile *p, enum hu_pset s, uint64_t item);
/* Items held by all sets together (<= HU_PROFILE_SET_POOL). */
unsigned hu_profile_set_used(const struct hu_profile *p);
/* The model slot of model_hash, or NULL. */
const struct hu_profile_model *hu_profile_model_find(const struct hu_profile *p,
                                                      uint64_t model_hash);
/* Release pivot: share of the account's requests that went to model_hash
 * in the `hours` after release_ts (rounded to whole 6-hour buckets,
 * starting with the bucket that holds release_ts) and in the same span
 * before it.  HU_OK; HU_ENOENT if the model is not tracked; HU_EINVAL if
 * hours is 0 or the two windows do not fit inside the ring (4 days ending
 * at the account's latest request).  A share is -1 when the account sent
 * nothing in that window.  O(ring). */
HU_MUST_CHECK int hu_profile_model_pivot(const struct hu_profile *p, uint64_t model_hash,
                                         int64_t release_ts, unsigned hours,
                                         double *share_before, double *share_after);

/* ---- serialization (docs/formats/profile.md) ----------------------------- */

#define HU_PROFILE_SERIALIZED_MAX 4096u
/* Bytes hu_profile_serialize() writes (<= HU_PROFILE_SERIALIZED_MAX). */
size_t hu_profile_serialized_size(const struct hu_profile *p);
/* Write p into buf (cap bytes).  Returns bytes written, or 0 if cap is too
 * small.  The bytes are a function of the profile's state only (padding is
 * never written), so equal profiles give equal bytes. */
size_t hu_profile_serialize(const struct hu_profile *p, void *buf, size_t cap);
/* Read untrusted bytes: never past len; checks envelope, checksum, every
 * nested sketch and hu_profile_validate().  Bytes consumed (> 0) or
 * HU_ECORRUPT / HU_EVERSION / HU_EINVAL; on failure *p is zeroed.
 * Deterministic mappings of what the record cannot hold: sets holding
 * more than HU_PROFILE_SET_POOL items together are reduced by the
 * overflow rule ("Bounded sets"); a probation tag written by main as 32
 * bits keeps its low 16 (0 mapped to 1).  Anything this code writes reads
 * back and re-serializes byte for byte. */
int hu_profile_deserialize_safe(struct hu_profile *p, const void *buf, size_t len);
/* NULL if the invariants hold, else a static reason. */
const char *hu_profile_validate(const struct hu_profile *p);

#endif
