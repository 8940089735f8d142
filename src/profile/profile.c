/*
 * profile.c -- per-account profiles: observe, merge, derived values,
 * serialization.
 *
 * Design.  A profile is a fixed-size record of integers and sketches
 * (profile.h lists every field; docs/internals/profile.md draws the
 * layout).  Three rules make it safe to shard, merge and store:
 *
 *  1. Integers only.  Floats that arrive per request (target scores) are
 *     quantised to 1/65535 and summed as integers; gap moments are kept in
 *     10 ms units and a fixed-point log2.  Integer sums are associative, so
 *     a profile built in two pieces and merged equals one built in one go,
 *     bit for bit, and stores compare by bytes.
 *  2. Every counter saturates instead of wrapping.  Saturating addition of
 *     non-negative numbers is still associative and commutative, so rule 1
 *     survives even when an attacker pushes a counter to its limit.
 *  3. Anything defined by stream order (the first request, the last org id,
 *     the latest account facts, the model slot order) is defined so that
 *     "dst then src" in merge means "dst's events then src's events".
 *
 * Bounded sets share one inline pool of HU_PROFILE_SET_POOL items (see
 * "the set pool" below for why a set may shrink to a bottom-k' sample and
 * why that is still a KMV sketch).  Outputs on the simulator are
 * byte-identical to the 11 separate struct hu_kmv it replaced: no account
 * there holds more than 34 set items.  The sentence-probation tags are 16
 * bits (profile.h says what a false match costs).
 *
 * Out-of-order events.  A gap is measured from the largest earlier ts; an
 * event older than that is counted in n_late and contributes no gap (the
 * gap it would split was already recorded).  Order-free fields (hour, day,
 * buckets, sets) take late events normally; the model ring drops events
 * older than its 4-day window (they stay in the model totals).
 *
 * Cost per request (bench_sketch, this machine): see
 * docs/internals/profile.md.  The two MinHash updates, the only O(64)
 * steps, are skipped when the template is among the 8 heaviest already
 * (then it is in the set) and when the 10-minute slot did not change.
 */
#include <math.h>
#include <string.h>
#include "profile/profile.h"
#include "sketch/sketch_io.h"
#include "core/hash.h"
#include "core/assert.h"

_Static_assert(HU_KMV_K == HU_PROFILE_SET_K, "sketch and profile disagree on set size");
_Static_assert(HU_SS_K == HU_PROFILE_TOP_TEMPLATES, "sketch and profile disagree on top-k");
_Static_assert(HU_LANG_OTHER < HU_PROFILE_NLANG, "language enum grew");
_Static_assert(HU_NET_EDUCATION < HU_PROFILE_NNET, "net class enum grew");
_Static_assert(HU_PSET_COUNT <= 32, "set count must fit the serialized byte");
_Static_assert(HU_PSET_COUNT <= 16, "set_sampled is 16 bits");
_Static_assert(HU_PSET_COUNT * HU_PROFILE_SET_FLOOR < HU_PROFILE_SET_POOL,
               "an overflowing pool must have a set above its floor");
_Static_assert(HU_PROFILE_SET_FLOOR >= 3 && HU_PROFILE_SET_FLOOR < HU_KMV_K,
               "a reduced sample keeps at least 3 items (the estimator needs k >= 3)");

static const char *const pset_names[] = {
#define HU__PSET_NAME(name, code, desc) code,
    HU_PSET_MAP(HU__PSET_NAME)
#undef HU__PSET_NAME
};

const char *hu_pset_name(enum hu_pset s)
{
    return (unsigned)s < HU_PSET_COUNT ? pset_names[s] : "";
}

static const char *const acct_names[] = {
    "", "individual", "startup", "education", "research", "enterprise", "other"
};
static const char *const verif_names[] = {
    "", "none", "email", "phone", "id", "business", "other"
};

const char *hu_account_type_name(enum hu_account_type t)
{
    return (unsigned)t <= HU_ACCT_OTHER ? acct_names[t] : "";
}

const char *hu_verification_name(enum hu_verification v)
{
    return (unsigned)v <= HU_VERIF_OTHER ? verif_names[v] : "";
}

/* ---- small helpers ------------------------------------------------------- */

static inline uint64_t sat64(uint64_t a, uint64_t b)
{
    uint64_t s = a + b;
    return s < a ? UINT64_MAX : s;
}
static inline uint32_t sat32(uint32_t a, uint32_t b)
{
    uint32_t s = a + b;
    return s < a ? UINT32_MAX : s;
}
static inline uint16_t sat16(uint16_t a, uint16_t b)
{
    uint32_t s = (uint32_t)a + b;
    return s > UINT16_MAX ? UINT16_MAX : (uint16_t)s;
}
static inline void inc32(uint32_t *x) { *x = sat32(*x, 1); }

static inline int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* log2(x) in 1/256 units, piecewise linear between powers of two. */
static uint64_t lg_fixed(uint64_t x)
{
    if (x == 0)
        return 0;
    unsigned b = 63u - (unsigned)__builtin_clzll(x);
    uint64_t frac = b >= 8 ? (x >> (b - 8)) & 255u : (x << (8 - b)) & 255u;
    return (uint64_t)b * HU_PROFILE_LG_ONE + frac;
}

static uint64_t span_hash(struct hu_span s)
{
    return hu_span_present(s) && s.len ? hu_hash(s.ptr, s.len) : 0;
}

static int span_ieq(struct hu_span s, const char *lit)
{
    size_t n = strlen(lit);
    if (s.len != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s.ptr[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != lit[i])
            return 0;
    }
    return 1;
}

/* ---- init ---------------------------------------------------------------- */

void hu_profile_init(struct hu_profile *p, uint64_t account_hash)
{
    memset(p, 0, sizeof *p);
    p->account_hash = account_hash;
    p->first_ts = INT64_MAX;
    p->last_ts = INT64_MIN;
    p->head_ts = INT64_MIN;
    p->last_slot = INT64_MIN;
    p->ring_end = INT64_MIN;
    hu_hll_init(&p->templates);
    hu_ss_init(&p->top_templates);
    hu_ss_init(&p->top_sentences);
    hu_minhash_init(&p->template_mh);
    hu_minhash_init(&p->slot_mh);
    p->facts.signup_ts = INT64_MAX;     /* the set pool is all zeros: 11 empty sets */
}

/* ---- the set pool ---------------------------------------------------------
 *
 * Eleven bounded sets in HU_PROFILE_SET_POOL shared slots (profile.h
 * "Bounded sets").  Why it is correct to shrink a set's k when the pool
 * is full: the KMV argument (kmv.c) never needs k to be the same for all
 * sets.  A set holding the k' items of smallest rank of everything added
 * to it is a bottom-k' sample: its count estimate is (k'-1) 2^64 /
 * rank(max), membership is certain below its largest rank, and for two
 * sets the bottom-min(k'_a, k'_b) of the union of their samples is the
 * bottom-min(k') of the union of the sets, which is what the Jaccard
 * estimator needs.  Because ranks are the same function everywhere
 * (coordinated sampling), two accounts sharing entities still both keep
 * the shared ones of smallest rank: linkage on shared IPs keeps working
 * for accounts whose pools overflowed, with fewer candidates each.
 *
 * Overflow rule (the only place k shrinks): the first set in pool_order
 * holding more than HU_PROFILE_SET_FLOOR items drops its item of largest
 * rank and becomes sampled with k' = its remaining items.  Applied once
 * per item past the pool, in hu_profile_set_add, and repeatedly after a
 * merge or a load (pool_load).  Adds never allocate; the pool moves at
 * most 34 items.
 *
 * Why an order and not "the set holding the most items": measured on
 * scripts/eval-sweep.sh 0.02, --evade paraphrase fills the pool of 465 of
 * 4,566 accounts (paraphrased system prompts: 8 distinct each, beside 8
 * IPs and 8 prefixes).  Taking from the largest set reduced ip and prefix,
 * the backbone of linkage, and recall fell from 0.9979 to 0.9938; taking
 * from system first (distinct per account, so never shared) keeps the
 * row's metrics exactly.  The floor keeps k' >= 3, where the count
 * estimator is still defined, and 11 x 3 < 34 guarantees a victim. */

static unsigned pool_off(const struct hu_profile *p, unsigned s)
{
    unsigned off = 0;
    for (unsigned i = 0; i < s; i++)
        off += p->set_n[i];
    return off;
}

/* Victim order: sets of least linkage value first.  api_key is never a
 * linkage key; system and tools are what a paraphrasing campaign varies
 * (many distinct items, none shared); then user agents and client
 * fingerprints; asn (only counted); payment, prefix and ip, the
 * backbone of linkage, last. */
static const uint8_t pool_order[HU_PSET_COUNT] = {
    HU_PSET_API_KEY, HU_PSET_SYSTEM, HU_PSET_TOOLS, HU_PSET_UA_FAMILY, HU_PSET_UA,
    HU_PSET_HEADERS_FP, HU_PSET_CLIENT_FP, HU_PSET_ASN, HU_PSET_PAYMENT, HU_PSET_PREFIX, HU_PSET_IP,
};

/* The overflow victim among counts n[] (their sum is over the pool): the
 * first set in pool_order holding more than HU_PROFILE_SET_FLOOR items.
 * One always exists: 11 sets of at most 3 hold 33 < 34 items. */
static unsigned pool_victim(const unsigned n[HU_PSET_COUNT])
{
    for (unsigned i = 0; i < HU_PSET_COUNT; i++)
        if (n[pool_order[i]] > HU_PROFILE_SET_FLOOR)
            return pool_order[i];
    hu_assert(0 && "pool over with every set at its floor");
    return HU_PSET_IP;
}

const struct hu_kmv *hu_profile_set(const struct hu_profile *p, enum hu_pset s,
                                    struct hu_kmv *tmp)
{
    hu_kmv_init(tmp);
    if ((unsigned)s >= HU_PSET_COUNT)
        return tmp;
    unsigned off = pool_off(p, s), n = p->set_n[s];
    if (n > HU_KMV_K || off + n > HU_PROFILE_SET_POOL)   /* only an invalid record */
        return tmp;
    memcpy(tmp->h, &p->set_pool[off], n * sizeof(uint64_t));
    tmp->n = (uint8_t)n;
    tmp->sampled = (uint8_t)((p->set_sampled >> s) & 1u);
    return tmp;
}

unsigned hu_profile_set_used(const struct hu_profile *p)
{
    return p->set_used;
}

/* Write the 11 sets k[] into the pool, first reducing them by the
 * overflow rule until they fit.  k[] is modified. */
static void pool_load(struct hu_profile *p, struct hu_kmv k[HU_PSET_COUNT])
{
    unsigned n[HU_PSET_COUNT], total = 0;
    for (unsigned s = 0; s < HU_PSET_COUNT; s++)
        total += n[s] = k[s].n;
    while (total > HU_PROFILE_SET_POOL) {
        unsigned v = pool_victim(n);
        k[v].h[--n[v]] = 0;
        k[v].n = (uint8_t)n[v];
        k[v].sampled = 1;
        total--;
    }
    memset(p->set_pool, 0, sizeof p->set_pool);
    p->set_sampled = 0;
    unsigned off = 0;
    for (unsigned s = 0; s < HU_PSET_COUNT; s++) {
        memcpy(&p->set_pool[off], k[s].h, n[s] * sizeof(uint64_t));
        off += n[s];
        p->set_n[s] = (uint8_t)n[s];
        p->set_sampled = (uint16_t)(p->set_sampled | (k[s].sampled ? 1u << s : 0u));
    }
    p->set_used = (uint16_t)off;
}

int hu_profile_set_add(struct hu_profile *p, enum hu_pset s, uint64_t item)
{
    if ((unsigned)s >= HU_PSET_COUNT)
        return 0;
    unsigned off = pool_off(p, s), n = p->set_n[s], used = p->set_used;
    const uint16_t bit = (uint16_t)(1u << s);
    uint64_t *h = &p->set_pool[off];
    unsigned pos;
    if (hu_kmv_locate(h, n, item, &pos))
        return 0;
    unsigned cap = (p->set_sampled & bit) ? n : HU_KMV_K;
    if (n == cap || used == HU_PROFILE_SET_POOL) {
        unsigned v = s;
        if (n < cap) {               /* the pool is full: who gives an item up? */
            unsigned cnt[HU_PSET_COUNT];
            for (unsigned i = 0; i < HU_PSET_COUNT; i++)
                cnt[i] = p->set_n[i];
            cnt[s]++;
            v = pool_victim(cnt);
        }
        if (v == s) {
            /* s keeps its n items of smallest rank among n + 1 */
            p->set_sampled = (uint16_t)(p->set_sampled | bit);
            if (pos == n)
                return 0;
            memmove(&h[pos + 1], &h[pos], (n - 1 - pos) * sizeof(uint64_t));
            h[pos] = item;
            return 1;
        }
        /* set v drops its largest-rank item and becomes a sample */
        unsigned vend = pool_off(p, v) + p->set_n[v];
        memmove(&p->set_pool[vend - 1], &p->set_pool[vend], (used - vend) * sizeof(uint64_t));
        p->set_pool[--used] = 0;
        p->set_n[v]--;
        p->set_sampled = (uint16_t)(p->set_sampled | (1u << v));
        if (v < s) {
            off--;
            h = &p->set_pool[off];
        }
    }
    memmove(&h[pos + 1], &h[pos], (used - off - pos) * sizeof(uint64_t));
    h[pos] = item;
    p->set_n[s] = (uint8_t)(n + 1);
    p->set_used = (uint16_t)(used + 1);
    return 1;
}

/* ---- inter-arrival ----------------------------------------------------- */

/* later - earlier for later >= earlier, without signed overflow. */
static inline uint64_t ts_diff(int64_t later, int64_t earlier)
{
    return (uint64_t)later - (uint64_t)earlier;
}

static void add_gap(struct hu_profile *p, uint64_t g)
{
    if (g > HU_PROFILE_SESSION_GAP_MS) {
        inc32(&p->n_breaks);
        return;
    }
    inc32(&p->n_gaps);
    if (g < HU_PROFILE_BURST_GAP_MS)
        inc32(&p->n_burst_gaps);
    uint64_t u = g / HU_PROFILE_GAP_UNIT_MS;
    p->gap_sum = sat64(p->gap_sum, u);
    p->gap_sumsq = sat64(p->gap_sumsq, u * u);
    uint64_t lg = lg_fixed(g + 1);
    p->lg_sum = sat64(p->lg_sum, lg);
    p->lg_sumsq = sat64(p->lg_sumsq, lg * lg);
}

/* ---- model ring -------------------------------------------------------- */

static inline unsigned ring_idx(int64_t bucket)
{
    return (unsigned)(uint64_t)bucket % HU_PROFILE_RING;
}

/* Is bucket inside the ring window (ring_end - RING, ring_end]? */
static inline int ring_holds(const struct hu_profile *p, int64_t bucket)
{
    return p->ring_end != INT64_MIN && bucket <= p->ring_end &&
           bucket > p->ring_end - (int64_t)HU_PROFILE_RING;
}

/* Move the window so it ends at `bucket` if that is newer, zeroing the
 * buckets that enter it.  O(RING x models). */
static void ring_advance(struct hu_profile *p, int64_t bucket)
{
    if (p->ring_end != INT64_MIN && bucket <= p->ring_end)
        return;
    int64_t from = p->ring_end == INT64_MIN || bucket - p->ring_end >= (int64_t)HU_PROFILE_RING
                       ? bucket - (int64_t)HU_PROFILE_RING + 1
                       : p->ring_end + 1;
    for (int64_t b = from; b <= bucket; b++) {
        unsigned i = ring_idx(b);
        p->ring_total[i] = 0;
        for (unsigned m = 0; m < HU_PROFILE_NMODELS; m++)
            p->model[m].ring[i] = 0;
    }
    p->ring_end = bucket;
}

/* The slot of model_hash, taking a free one or evicting the least used
 * (ties: least recently used, then smallest hash). */
static struct hu_profile_model *model_slot(struct hu_profile *p, uint64_t mh)
{
    unsigned freei = HU_PROFILE_NMODELS;
    for (unsigned m = 0; m < HU_PROFILE_NMODELS; m++) {
        if (p->model[m].model_hash == mh)
            return &p->model[m];
        if (p->model[m].model_hash == 0 && freei == HU_PROFILE_NMODELS)
            freei = m;
    }
    if (freei == HU_PROFILE_NMODELS) {
        freei = 0;
        for (unsigned m = 1; m < HU_PROFILE_NMODELS; m++) {
            const struct hu_profile_model *a = &p->model[m], *b = &p->model[freei];
            if (a->n < b->n || (a->n == b->n && (a->last_ts < b->last_ts ||
                (a->last_ts == b->last_ts && a->model_hash < b->model_hash))))
                freei = m;
        }
        inc32(&p->n_model_evictions);
    }
    struct hu_profile_model *s = &p->model[freei];
    memset(s, 0, sizeof *s);
    s->model_hash = mh;
    s->first_ts = INT64_MAX;
    s->last_ts = INT64_MIN;
    return s;
}

/* ---- observe ----------------------------------------------------------- */

static uint64_t quantise_target(float t)
{
    if (!(t > 0.0f))              /* also NaN */
        return 0;
    if (t >= 1.0f)
        return HU_PROFILE_TARGET_ONE;
    return (uint64_t)(t * (float)HU_PROFILE_TARGET_ONE + 0.5f);
}

static inline uint64_t tokens(int64_t v)
{
    return v == HU_EV_ABSENT || v < 0 ? 0 : (uint64_t)v;
}

/* Count a sentence in top_sentences if it is already counted there or
 * was seen once recently; otherwise remember it on probation. */
static void observe_sentence(struct hu_profile *p, uint64_t h)
{
    uint32_t c, e;
    if (hu_ss_get(&p->top_sentences, h, &c, &e)) {
        (void)hu_ss_update(&p->top_sentences, h, 1);
        return;
    }
    /* 16-bit tag, odd so never 0 (0 marks an empty slot) and equal to the
     * low 16 bits of the 32-bit tag main kept, (uint32_t)h | 1: probation
     * loaded from an old blob still matches the same sentences */
    uint16_t tag = (uint16_t)((uint16_t)h | 1u);
    for (unsigned i = 0; i < HU_PROFILE_PROBATION; i++) {
        if (p->sent_probation[i] == tag) {
            p->sent_probation[i] = 0;
            (void)hu_ss_update(&p->top_sentences, h, 2);   /* both sightings */
            return;
        }
    }
    p->sent_probation[p->sent_probation_pos % HU_PROFILE_PROBATION] = tag;
    p->sent_probation_pos = (uint8_t)((p->sent_probation_pos + 1) % HU_PROFILE_PROBATION);
}

void hu_profile_observe_request(struct hu_profile *p, const struct hu_event *ev,
                                const struct hu_req_features *f)
{
    hu_assert(p && ev);
    const int64_t ts = ev->ts_ms;

    /* time and inter-arrival */
    if (p->n_req == 0) {
        p->head_ts = ts;
        p->last_ts = ts;
    } else if (ts >= p->last_ts) {
        add_gap(p, ts_diff(ts, p->last_ts));
        p->last_ts = ts;
    } else {
        inc32(&p->n_late);
    }
    if (ts < p->first_ts)
        p->first_ts = ts;
    p->n_req = sat64(p->n_req, 1);
    int64_t secs = floor_div(ts, 1000);
    int64_t day = floor_div(secs, 86400);
    inc32(&p->hour[(secs - day * 86400) / 3600]);
    inc32(&p->dow[(unsigned)((day % 7 + 7 + 3) % 7)]);   /* 1970-01-01 was a Thursday */

    int64_t slot = floor_div(ts, HU_PROFILE_SLOT_MS);
    if (slot != p->last_slot) {
        hu_minhash_update(&p->slot_mh, hu_hash_mix((uint64_t)slot ^ HU_PROFILE_SLOT_SEED));
        p->last_slot = slot;
    }

    /* request shape */
    p->input_tokens = sat64(p->input_tokens, tokens(ev->input_tokens));
    p->output_tokens = sat64(p->output_tokens, tokens(ev->output_tokens));
    if (ev->thinking == 1) {
        inc32(&p->n_thinking);
        p->thinking_budget_sum = sat64(p->thinking_budget_sum, tokens(ev->thinking_budget));
    }
    if (ev->tools_total > 0 || (f && f->tools_hash))
        inc32(&p->n_tools);
    if (ev->n_image_blocks > 0)
        inc32(&p->n_images);
    if (ev->max_tokens != HU_EV_ABSENT && ev->max_tokens > 0) {
        uint64_t mt = (uint64_t)ev->max_tokens;
        inc32(&p->n_max_tokens);
        p->max_tokens_sum = sat64(p->max_tokens_sum, mt);
        uint32_t mt32 = mt > UINT32_MAX ? UINT32_MAX : (uint32_t)mt;
        if (mt32 > p->max_tokens_max)
            p->max_tokens_max = mt32;
    }
    if (ev->status != HU_EV_ABSENT) {
        inc32(&p->n_status);
        if (ev->status == 429)
            inc32(&p->n_429);
        if (ev->status >= 400 && ev->status < 500)
            inc32(&p->n_4xx);
        else if (ev->status >= 500 && ev->status < 600)
            inc32(&p->n_5xx);
    }
    if (hu_span_present(ev->org_id) && ev->org_id.len)
        p->org_hash = span_hash(ev->org_id);
    uint64_t key = span_hash(ev->api_key_id);
    if (key)
        (void)hu_profile_set_add(p, HU_PSET_API_KEY, key);

    /* model traffic */
    uint64_t mh = f && f->model_hash ? f->model_hash : span_hash(ev->model);
    int64_t bucket = floor_div(ts, HU_PROFILE_BUCKET_MS);
    ring_advance(p, bucket);
    int in_ring = ring_holds(p, bucket);
    if (in_ring)
        p->ring_total[ring_idx(bucket)] = sat16(p->ring_total[ring_idx(bucket)], 1);
    if (mh) {
        struct hu_profile_model *m = model_slot(p, mh);
        inc32(&m->n);
        if (ts < m->first_ts)
            m->first_ts = ts;
        if (ts > m->last_ts)
            m->last_ts = ts;
        if (in_ring)
            m->ring[ring_idx(bucket)] = sat16(m->ring[ring_idx(bucket)], 1);
    }

    if (!f)
        return;

    /* text */
    if (f->template_hash) {
        hu_hll_add(&p->templates, f->template_hash);
        if (!hu_ss_update(&p->top_templates, f->template_hash, 1))
            hu_minhash_update(&p->template_mh, f->template_hash);
        /* The first and last sentences join the template set as items of
         * their own: a harvesting script wraps every swept item in the same
         * instruction sentences, so accounts running it share them even
         * when every item (and so every template key) differs.  MinHash
         * updates are idempotent: a repeated sentence costs one pass. */
        if (f->head_hash && f->head_hash != f->template_hash) {
            uint64_t h = hu_hash_combine(f->head_hash, UINT64_C(0x48454144));
            hu_minhash_update(&p->template_mh, h);
            observe_sentence(p, h);
        }
        if (f->tail_hash && f->tail_hash != f->template_hash && f->tail_hash != f->head_hash) {
            uint64_t h = hu_hash_combine(f->tail_hash, UINT64_C(0x5441494c));
            hu_minhash_update(&p->template_mh, h);
            observe_sentence(p, h);
        }
    }
    if (f->template_hash || f->prompt_chars) {
        uint64_t c = f->prompt_chars > (1u << 24) ? (1u << 24) : f->prompt_chars;
        inc32(&p->n_prompt);
        p->prompt_chars_sum = sat64(p->prompt_chars_sum, c);
        p->prompt_chars_sumsq = sat64(p->prompt_chars_sumsq, c * c);
        if (f->prompt_chars > p->prompt_chars_max)
            p->prompt_chars_max = f->prompt_chars;
    }
    if (f->lang < HU_PROFILE_NLANG)
        inc32(&p->lang[f->lang]);
    if (f->net_class < HU_PROFILE_NNET)
        inc32(&p->net[f->net_class]);
    for (unsigned t = 0; t < HU_TARGET_COUNT; t++)
        p->target_sum[t] = sat64(p->target_sum[t], quantise_target(f->target[t]));

    /* sets */
    const uint64_t items[HU_PSET_COUNT] = {
        [HU_PSET_IP] = f->ip_hash,             [HU_PSET_PREFIX] = f->prefix_hash,
        [HU_PSET_ASN] = f->asn,                [HU_PSET_CLIENT_FP] = f->client_fp_hash,
        [HU_PSET_HEADERS_FP] = f->headers_fp_hash, [HU_PSET_UA] = f->ua_hash,
        [HU_PSET_UA_FAMILY] = f->ua_family_hash,   [HU_PSET_PAYMENT] = f->payment_hash,
        [HU_PSET_SYSTEM] = f->system_hash,     [HU_PSET_TOOLS] = f->tools_hash,
        [HU_PSET_API_KEY] = 0,
    };
    for (unsigned s = 0; s < HU_PSET_COUNT; s++)
        if (items[s])
            (void)hu_profile_set_add(p, (enum hu_pset)s, items[s]);
}

void hu_profile_observe_account(struct hu_profile *p, const struct hu_event *ev,
                                const struct hu_req_features *f)
{
    hu_assert(p && ev);
    struct hu_profile_facts *a = &p->facts;
    inc32(&a->n_events);
    if (ev->ts_ms < a->signup_ts) {
        a->signup_ts = ev->ts_ms;
        a->signup_ip_hash = f ? f->ip_hash : 0;
        a->signup_prefix_hash = f ? f->prefix_hash : 0;
    }
    if (hu_span_present(ev->account_type) && ev->account_type.len) {
        a->type = HU_ACCT_OTHER;
        for (unsigned t = HU_ACCT_INDIVIDUAL; t < HU_ACCT_OTHER; t++)
            if (span_ieq(ev->account_type, acct_names[t]))
                a->type = (uint8_t)t;
    }
    if (hu_span_present(ev->verification) && ev->verification.len) {
        a->verification = HU_VERIF_OTHER;
        for (unsigned v = HU_VERIF_NONE; v < HU_VERIF_OTHER; v++)
            if (span_ieq(ev->verification, verif_names[v]))
                a->verification = (uint8_t)v;
    }
    if (hu_span_present(ev->email_domain) && ev->email_domain.len &&
        ev->email_domain.len <= HU_MAX_ID_BYTES) {
        char low[HU_MAX_ID_BYTES];
        for (size_t i = 0; i < ev->email_domain.len; i++) {
            char c = ev->email_domain.ptr[i];
            low[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
        }
        a->email_domain_hash = hu_hash(low, ev->email_domain.len);
    }
    uint64_t pay = f && f->payment_hash ? f->payment_hash : span_hash(ev->payment_fp);
    if (pay) {
        a->payment_hash = pay;
        (void)hu_profile_set_add(p, HU_PSET_PAYMENT, pay);
    }
    uint64_t org = span_hash(ev->org_id);
    if (org)
        a->org_hash = org;
    if (hu_span_present(ev->country) && ev->country.len == 2) {
        char c0 = ev->country.ptr[0], c1 = ev->country.ptr[1];
        if (c0 >= 'a' && c0 <= 'z') c0 = (char)(c0 - 32);
        if (c1 >= 'a' && c1 <= 'z') c1 = (char)(c1 - 32);
        if (c0 >= 'A' && c0 <= 'Z' && c1 >= 'A' && c1 <= 'Z') {
            a->country[0] = c0;
            a->country[1] = c1;
        }
    }
}

/* ---- merge ------------------------------------------------------------- */

static void merge_facts(struct hu_profile_facts *d, const struct hu_profile_facts *s)
{
    d->n_events = sat32(d->n_events, s->n_events);
    if (s->signup_ts < d->signup_ts) {
        d->signup_ts = s->signup_ts;
        d->signup_ip_hash = s->signup_ip_hash;
        d->signup_prefix_hash = s->signup_prefix_hash;
    }
    if (s->type) d->type = s->type;
    if (s->verification) d->verification = s->verification;
    if (s->email_domain_hash) d->email_domain_hash = s->email_domain_hash;
    if (s->payment_hash) d->payment_hash = s->payment_hash;
    if (s->org_hash) d->org_hash = s->org_hash;
    if (s->country[0]) {
        d->country[0] = s->country[0];
        d->country[1] = s->country[1];
    }
}

int hu_profile_merge(struct hu_profile *d, const struct hu_profile *s)
{
    if (!d || !s || d->account_hash != s->account_hash)
        return HU_EINVAL;
    merge_facts(&d->facts, &s->facts);
    /* sets: each the union's bottom-min(k) (kmv merge), then the overflow
     * rule; account events feed PAYMENT too, so this runs first */
    struct hu_kmv ks[HU_PSET_COUNT], tk;
    for (unsigned i = 0; i < HU_PSET_COUNT; i++) {
        (void)hu_profile_set(d, (enum hu_pset)i, &ks[i]);      /* fills ks[i] */
        hu_kmv_merge(&ks[i], hu_profile_set(s, (enum hu_pset)i, &tk));
    }
    pool_load(d, ks);
    if (s->n_req == 0)
        return HU_OK;
    if (s->org_hash)
        d->org_hash = s->org_hash;

    /* time and gaps: the seam gap is src's first request minus dst's latest */
    if (d->n_req == 0) {
        d->head_ts = s->head_ts;
        d->last_ts = s->last_ts;
    } else {
        if (s->head_ts >= d->last_ts)
            add_gap(d, ts_diff(s->head_ts, d->last_ts));
        else
            inc32(&d->n_late);
        if (s->last_ts > d->last_ts)
            d->last_ts = s->last_ts;
    }
    if (s->first_ts < d->first_ts)
        d->first_ts = s->first_ts;
    d->n_late = sat32(d->n_late, s->n_late);
    d->n_gaps = sat32(d->n_gaps, s->n_gaps);
    d->n_burst_gaps = sat32(d->n_burst_gaps, s->n_burst_gaps);
    d->n_breaks = sat32(d->n_breaks, s->n_breaks);
    d->gap_sum = sat64(d->gap_sum, s->gap_sum);
    d->gap_sumsq = sat64(d->gap_sumsq, s->gap_sumsq);
    d->lg_sum = sat64(d->lg_sum, s->lg_sum);
    d->lg_sumsq = sat64(d->lg_sumsq, s->lg_sumsq);
    for (unsigned i = 0; i < 24; i++)
        d->hour[i] = sat32(d->hour[i], s->hour[i]);
    for (unsigned i = 0; i < 7; i++)
        d->dow[i] = sat32(d->dow[i], s->dow[i]);

    /* counters */
    d->n_req = sat64(d->n_req, s->n_req);
    d->input_tokens = sat64(d->input_tokens, s->input_tokens);
    d->output_tokens = sat64(d->output_tokens, s->output_tokens);
    d->thinking_budget_sum = sat64(d->thinking_budget_sum, s->thinking_budget_sum);
    d->max_tokens_sum = sat64(d->max_tokens_sum, s->max_tokens_sum);
    d->prompt_chars_sum = sat64(d->prompt_chars_sum, s->prompt_chars_sum);
    d->prompt_chars_sumsq = sat64(d->prompt_chars_sumsq, s->prompt_chars_sumsq);
    d->n_thinking = sat32(d->n_thinking, s->n_thinking);
    d->n_tools = sat32(d->n_tools, s->n_tools);
    d->n_images = sat32(d->n_images, s->n_images);
    d->n_max_tokens = sat32(d->n_max_tokens, s->n_max_tokens);
    if (s->max_tokens_max > d->max_tokens_max)
        d->max_tokens_max = s->max_tokens_max;
    d->n_prompt = sat32(d->n_prompt, s->n_prompt);
    if (s->prompt_chars_max > d->prompt_chars_max)
        d->prompt_chars_max = s->prompt_chars_max;
    d->n_status = sat32(d->n_status, s->n_status);
    d->n_4xx = sat32(d->n_4xx, s->n_4xx);
    d->n_429 = sat32(d->n_429, s->n_429);
    d->n_5xx = sat32(d->n_5xx, s->n_5xx);
    for (unsigned i = 0; i < HU_PROFILE_NLANG; i++)
        d->lang[i] = sat32(d->lang[i], s->lang[i]);
    for (unsigned i = 0; i < HU_PROFILE_NNET; i++)
        d->net[i] = sat32(d->net[i], s->net[i]);
    for (unsigned t = 0; t < HU_TARGET_COUNT; t++)
        d->target_sum[t] = sat64(d->target_sum[t], s->target_sum[t]);

    /* sketches */
    d->last_slot = s->last_slot;
    hu_hll_merge(&d->templates, &s->templates);
    hu_ss_merge(&d->top_templates, &s->top_templates);
    hu_ss_merge(&d->top_sentences, &s->top_sentences);
    hu_minhash_merge(&d->template_mh, &s->template_mh);
    hu_minhash_merge(&d->slot_mh, &s->slot_mh);

    /* models: align the rings on absolute buckets */
    if (s->ring_end != INT64_MIN) {
        ring_advance(d, s->ring_end);
        for (int64_t b = s->ring_end - (int64_t)HU_PROFILE_RING + 1; b <= s->ring_end; b++)
            if (ring_holds(d, b))
                d->ring_total[ring_idx(b)] =
                    sat16(d->ring_total[ring_idx(b)], s->ring_total[ring_idx(b)]);
    }
    d->n_model_evictions = sat32(d->n_model_evictions, s->n_model_evictions);
    for (unsigned m = 0; m < HU_PROFILE_NMODELS; m++) {
        const struct hu_profile_model *sm = &s->model[m];
        if (!sm->model_hash)
            continue;
        struct hu_profile_model *dm = model_slot(d, sm->model_hash);
        dm->n = sat32(dm->n, sm->n);
        if (sm->first_ts < dm->first_ts)
            dm->first_ts = sm->first_ts;
        if (sm->last_ts > dm->last_ts)
            dm->last_ts = sm->last_ts;
        if (s->ring_end == INT64_MIN)
            continue;
        for (int64_t b = s->ring_end - (int64_t)HU_PROFILE_RING + 1; b <= s->ring_end; b++)
            if (ring_holds(d, b))
                dm->ring[ring_idx(b)] = sat16(dm->ring[ring_idx(b)], sm->ring[ring_idx(b)]);
    }
    return HU_OK;
}

/* ---- derived values ---------------------------------------------------- */

static double frac(uint64_t a, uint64_t b)
{
    return b ? (double)a / (double)b : 0.0;
}

double hu_profile_template_distinct(const struct hu_profile *p)
{
    return hu_hll_count(&p->templates);
}

double hu_profile_top_template_share(const struct hu_profile *p)
{
    struct hu_ss_entry top[1];
    if (!hu_ss_top(&p->top_templates, top, 1))
        return 0.0;
    return frac(top[0].count - top[0].err, p->n_req);
}

double hu_profile_interarrival_cv(const struct hu_profile *p)
{
    if (p->n_gaps < 2)
        return -1.0;
    double n = p->n_gaps, mean = (double)p->gap_sum / n;
    if (mean <= 0.0)
        return -1.0;
    double var = (double)p->gap_sumsq / n - mean * mean;
    return sqrt(var > 0 ? var : 0) / mean;
}

double hu_profile_log_gap_mean(const struct hu_profile *p)
{
    if (p->n_gaps < 2)
        return -1.0;
    return (double)p->lg_sum / p->n_gaps / HU_PROFILE_LG_ONE;
}

double hu_profile_log_gap_std(const struct hu_profile *p)
{
    if (p->n_gaps < 2)
        return -1.0;
    double n = p->n_gaps, mean = (double)p->lg_sum / n;
    double var = (double)p->lg_sumsq / n - mean * mean;
    return sqrt(var > 0 ? var : 0) / HU_PROFILE_LG_ONE;
}

double hu_profile_burst_share(const struct hu_profile *p)
{
    return frac(p->n_burst_gaps, (uint64_t)p->n_gaps + p->n_breaks);
}

double hu_profile_target_share(const struct hu_profile *p, enum hu_target t)
{
    if ((unsigned)t >= HU_TARGET_COUNT || !p->n_req)
        return 0.0;
    return (double)p->target_sum[t] / HU_PROFILE_TARGET_ONE / (double)p->n_req;
}

void hu_profile_hours_local(const struct hu_profile *p, int offset_minutes, uint32_t out[24])
{
    int sh = ((offset_minutes / 60) % 24 + 24) % 24;
    for (int h = 0; h < 24; h++)
        out[(h + sh) % 24] = p->hour[h];
}

double hu_profile_hour_entropy(const struct hu_profile *p)
{
    uint64_t tot = 0;
    for (unsigned h = 0; h < 24; h++)
        tot += p->hour[h];
    if (!tot)
        return 0.0;
    double e = 0;
    for (unsigned h = 0; h < 24; h++) {
        if (!p->hour[h])
            continue;
        double q = (double)p->hour[h] / (double)tot;
        e -= q * log2(q);
    }
    return e;
}

double hu_profile_thinking_share(const struct hu_profile *p) { return frac(p->n_thinking, p->n_req); }
double hu_profile_tools_share(const struct hu_profile *p) { return frac(p->n_tools, p->n_req); }
double hu_profile_error_share(const struct hu_profile *p)
{
    return frac((uint64_t)p->n_4xx + p->n_5xx, p->n_status);
}

double hu_profile_prompt_chars_mean(const struct hu_profile *p)
{
    return frac(p->prompt_chars_sum, p->n_prompt);
}

double hu_profile_prompt_chars_std(const struct hu_profile *p)
{
    if (!p->n_prompt)
        return 0.0;
    double n = p->n_prompt, mean = (double)p->prompt_chars_sum / n;
    double var = (double)p->prompt_chars_sumsq / n - mean * mean;
    return sqrt(var > 0 ? var : 0);
}

double hu_profile_output_input_ratio(const struct hu_profile *p)
{
    return frac(p->output_tokens, p->input_tokens);
}

double hu_profile_max_tokens_mean(const struct hu_profile *p)
{
    return frac(p->max_tokens_sum, p->n_max_tokens);
}

double hu_profile_set_count(const struct hu_profile *p, enum hu_pset s)
{
    struct hu_kmv t;
    return (unsigned)s < HU_PSET_COUNT ? hu_kmv_count(hu_profile_set(p, s, &t)) : 0.0;
}

const struct hu_profile_model *hu_profile_model_find(const struct hu_profile *p, uint64_t mh)
{
    for (unsigned m = 0; m < HU_PROFILE_NMODELS; m++)
        if (mh && p->model[m].model_hash == mh)
            return &p->model[m];
    return NULL;
}

int hu_profile_model_pivot(const struct hu_profile *p, uint64_t model_hash, int64_t release_ts,
                           unsigned hours, double *share_before, double *share_after)
{
    const struct hu_profile_model *m = hu_profile_model_find(p, model_hash);
    if (!m)
        return HU_ENOENT;
    int64_t span = ((int64_t)hours * 3600000 + HU_PROFILE_BUCKET_MS - 1) / HU_PROFILE_BUCKET_MS;
    int64_t rb = floor_div(release_ts, HU_PROFILE_BUCKET_MS);
    if (hours == 0 || span > (int64_t)HU_PROFILE_RING / 2 || p->ring_end == INT64_MIN ||
        !ring_holds(p, rb - span) || rb + span - 1 > p->ring_end + (int64_t)HU_PROFILE_RING)
        return HU_EINVAL;
    uint64_t tb = 0, mb = 0, ta = 0, ma = 0;
    for (int64_t b = rb - span; b < rb + span; b++) {
        if (!ring_holds(p, b))
            continue;                  /* future buckets: nothing sent yet */
        uint64_t t = p->ring_total[ring_idx(b)], x = m->ring[ring_idx(b)];
        if (b < rb) { tb += t; mb += x; } else { ta += t; ma += x; }
    }
    if (share_before)
        *share_before = tb ? (double)mb / (double)tb : -1.0;
    if (share_after)
        *share_after = ta ? (double)ma / (double)ta : -1.0;
    return HU_OK;
}

/* ---- serialization ------------------------------------------------------
 *
 * One visitor lists every field once, in order; it counts, writes or reads
 * depending on the cursor's mode, so the three can never disagree.  Nested
 * sketches carry their own envelopes (and are validated on read). */

enum { PIO_COUNT, PIO_WRITE, PIO_READ };

struct pio {
    int mode, err;
    uint8_t *w;
    const uint8_t *r;
    size_t len, pos;
};

static void io_n(struct pio *c, void *v, size_t n)
{
    if (c->err)
        return;
    if (c->mode == PIO_READ) {
        if (n > c->len - c->pos) {
            c->err = 1;
            return;
        }
        uint64_t x = 0;
        for (size_t i = n; i > 0; i--)
            x = (x << 8) | c->r[c->pos + i - 1];
        if (n == 8) *(uint64_t *)v = x;
        else if (n == 4) *(uint32_t *)v = (uint32_t)x;
        else if (n == 2) *(uint16_t *)v = (uint16_t)x;
        else *(uint8_t *)v = (uint8_t)x;
    } else if (c->mode == PIO_WRITE) {
        uint64_t x = n == 8 ? *(uint64_t *)v : n == 4 ? *(uint32_t *)v
                   : n == 2 ? *(uint16_t *)v : *(uint8_t *)v;
        for (size_t i = 0; i < n; i++)
            c->w[c->pos + i] = (uint8_t)(x >> (8 * i));
    }
    c->pos += n;
}
#define IO64(c, f) io_n((c), &(f), 8)
#define IOI64(c, f) io_n((c), (uint64_t *)&(f), 8)
#define IO32(c, f) io_n((c), &(f), 4)
#define IO16(c, f) io_n((c), &(f), 2)
#define IO8(c, f)  io_n((c), &(f), 1)

typedef size_t (*ser_fn)(const void *, void *);
typedef size_t (*size_fn)(const void *);
typedef int (*deser_fn)(void *, const void *, size_t);

static void io_sketch(struct pio *c, void *sk, size_fn sz, ser_fn ser, deser_fn de)
{
    if (c->err)
        return;
    if (c->mode == PIO_COUNT) {
        c->pos += sz(sk);
    } else if (c->mode == PIO_WRITE) {
        c->pos += ser(sk, c->w + c->pos);
    } else {
        int rc = de(sk, c->r + c->pos, c->len - c->pos);
        if (rc < 0)
            c->err = 1;
        else
            c->pos += (size_t)rc;
    }
}

/* Typed adapters, so no function is called through a mismatched pointer. */
#define HU__IO_ADAPT(pre, type)                                                     \
    static size_t pre##_sz_(const void *x) { return pre##_serialized_size((const type *)x); } \
    static size_t pre##_ser_(const void *x, void *b) { return pre##_serialize((const type *)x, b); } \
    static int pre##_de_(void *x, const void *b, size_t n) { return pre##_deserialize_safe((type *)x, b, n); }
HU__IO_ADAPT(hu_hll, struct hu_hll)
HU__IO_ADAPT(hu_ss, struct hu_ss)
HU__IO_ADAPT(hu_minhash, struct hu_minhash)
HU__IO_ADAPT(hu_kmv, struct hu_kmv)
#define IO_SK(c, obj, pre) io_sketch((c), (obj), pre##_sz_, pre##_ser_, pre##_de_)

static void profile_visit(struct pio *c, struct hu_profile *p)
{
    IO64(c, p->account_hash);
    IO64(c, p->org_hash);
    IO64(c, p->n_req);
    IO64(c, p->input_tokens);
    IO64(c, p->output_tokens);
    IO64(c, p->thinking_budget_sum);
    IO64(c, p->max_tokens_sum);
    IO64(c, p->prompt_chars_sum);
    IO64(c, p->prompt_chars_sumsq);
    IO32(c, p->n_thinking);
    IO32(c, p->n_tools);
    IO32(c, p->n_images);
    IO32(c, p->n_max_tokens);
    IO32(c, p->max_tokens_max);
    IO32(c, p->n_prompt);
    IO32(c, p->prompt_chars_max);
    IO32(c, p->n_status);
    IO32(c, p->n_4xx);
    IO32(c, p->n_429);
    IO32(c, p->n_5xx);
    for (unsigned i = 0; i < HU_PROFILE_NLANG; i++)
        IO32(c, p->lang[i]);
    for (unsigned i = 0; i < HU_PROFILE_NNET; i++)
        IO32(c, p->net[i]);
    IOI64(c, p->first_ts);
    IOI64(c, p->last_ts);
    IOI64(c, p->head_ts);
    for (unsigned i = 0; i < 24; i++)
        IO32(c, p->hour[i]);
    for (unsigned i = 0; i < 7; i++)
        IO32(c, p->dow[i]);
    IO32(c, p->n_late);
    IO32(c, p->n_gaps);
    IO32(c, p->n_burst_gaps);
    IO32(c, p->n_breaks);
    IO64(c, p->gap_sum);
    IO64(c, p->gap_sumsq);
    IO64(c, p->lg_sum);
    IO64(c, p->lg_sumsq);
    for (unsigned t = 0; t < HU_TARGET_COUNT; t++)
        IO64(c, p->target_sum[t]);
    IOI64(c, p->last_slot);
    IO_SK(c, &p->templates, hu_hll);
    IO_SK(c, &p->top_templates, hu_ss);
    IO_SK(c, &p->top_sentences, hu_ss);
    /* probation tags: 16 bits in memory, zero-extended into the u32 fields
     * of format 2; a tag main wrote (32 bits, odd) keeps its low 16, a
     * nonzero one whose low 16 bits are 0 (never written) becomes 1 */
    for (unsigned i = 0; i < HU_PROFILE_PROBATION; i++) {
        uint32_t tag = p->sent_probation[i];
        IO32(c, tag);
        p->sent_probation[i] = (uint16_t)(tag && !(uint16_t)tag ? 1u : (uint16_t)tag);
    }
    uint32_t pos = p->sent_probation_pos;
    IO32(c, pos);
    if (pos >= HU_PROFILE_PROBATION)
        c->err = 1;                 /* main only ever wrote 0..15 */
    else
        p->sent_probation_pos = (uint8_t)pos;
    IO_SK(c, &p->template_mh, hu_minhash);
    IO_SK(c, &p->slot_mh, hu_minhash);
    /* the 11 sets as 11 kmv sketches, as before the pool; loading applies
     * the overflow rule should they hold more than the pool */
    struct hu_kmv ks[HU_PSET_COUNT];
    for (unsigned i = 0; i < HU_PSET_COUNT; i++) {
        if (c->mode != PIO_READ)
            hu_profile_set(p, (enum hu_pset)i, &ks[i]);
        IO_SK(c, &ks[i], hu_kmv);
    }
    if (c->mode == PIO_READ && !c->err)
        pool_load(p, ks);
    IOI64(c, p->ring_end);
    for (unsigned i = 0; i < HU_PROFILE_RING; i++)
        IO16(c, p->ring_total[i]);
    IO32(c, p->n_model_evictions);
    for (unsigned m = 0; m < HU_PROFILE_NMODELS; m++) {
        struct hu_profile_model *x = &p->model[m];
        IO64(c, x->model_hash);
        IOI64(c, x->first_ts);
        IOI64(c, x->last_ts);
        IO32(c, x->n);
        for (unsigned i = 0; i < HU_PROFILE_RING; i++)
            IO16(c, x->ring[i]);
    }
    struct hu_profile_facts *a = &p->facts;
    IO64(c, a->email_domain_hash);
    IO64(c, a->payment_hash);
    IO64(c, a->org_hash);
    IO64(c, a->signup_ip_hash);
    IO64(c, a->signup_prefix_hash);
    IOI64(c, a->signup_ts);
    IO32(c, a->n_events);
    IO8(c, a->type);
    IO8(c, a->verification);
    IO8(c, a->country[0]);
    IO8(c, a->country[1]);
}

size_t hu_profile_serialized_size(const struct hu_profile *p)
{
    struct pio c = { .mode = PIO_COUNT };
    profile_visit(&c, (struct hu_profile *)p);   /* count mode never writes */
    return HU__SKETCH_HDR + c.pos;
}

size_t hu_profile_serialize(const struct hu_profile *p, void *buf, size_t cap)
{
    size_t need = hu_profile_serialized_size(p);
    if (!buf || cap < need || need - HU__SKETCH_HDR > UINT32_MAX)
        return 0;
    struct pio c = { .mode = PIO_WRITE, .w = (uint8_t *)buf + HU__SKETCH_HDR };
    profile_visit(&c, (struct hu_profile *)p);   /* write mode only reads *p */
    hu__sketch_hdr_put(buf, "HUpf", HU_PROFILE_VERSION, HU_PSET_COUNT, 0, (uint32_t)c.pos);
    return HU__SKETCH_HDR + c.pos;
}

int hu_profile_deserialize_safe(struct hu_profile *p, const void *buf, size_t len)
{
    if (!p)
        return HU_EINVAL;
    memset(p, 0, sizeof *p);
    uint8_t flags;
    uint32_t pl;
    int rc = hu__sketch_hdr_get(buf, len, "HUpf", HU_PROFILE_VERSION, HU_PSET_COUNT, &flags,
                                &pl, 0, HU_PROFILE_SERIALIZED_MAX);
    if (rc != HU_OK)
        return rc;
    if (flags != 0)
        return HU_ECORRUPT;
    hu_profile_init(p, 0);
    struct pio c = { .mode = PIO_READ, .r = (const uint8_t *)buf + HU__SKETCH_HDR, .len = pl };
    profile_visit(&c, p);
    if (c.err || c.pos != pl || hu_profile_validate(p)) {
        memset(p, 0, sizeof *p);
        return HU_ECORRUPT;
    }
    return (int)(HU__SKETCH_HDR + pl);
}

const char *hu_profile_validate(const struct hu_profile *p)
{
    if (!p)
        return "null profile";
    const char *why[5 + HU_PSET_COUNT] = {
        hu_hll_validate(&p->templates), hu_ss_validate(&p->top_templates),
        hu_minhash_validate(&p->template_mh), hu_minhash_validate(&p->slot_mh),
        hu_ss_validate(&p->top_sentences),
    };
    unsigned used = 0;
    for (unsigned i = 0; i < HU_PSET_COUNT; i++) {
        if (p->set_n[i] > HU_KMV_K)
            return "set holds more than k items";
        used += p->set_n[i];
    }
    if (used != p->set_used || used > HU_PROFILE_SET_POOL)
        return "set pool count inconsistent";
    if (p->set_sampled >> HU_PSET_COUNT)
        return "sampled bit of a set that does not exist";
    for (unsigned i = used; i < HU_PROFILE_SET_POOL; i++)
        if (p->set_pool[i])
            return "unused set pool slot not zero";
    if (p->sent_probation_pos >= HU_PROFILE_PROBATION)
        return "probation position out of range";
    struct hu_kmv t;
    for (unsigned i = 0; i < HU_PSET_COUNT; i++)
        why[5 + i] = hu_kmv_validate(hu_profile_set(p, (enum hu_pset)i, &t));
    for (size_t i = 0; i < HU_ARRAY_LEN(why); i++)
        if (why[i])
            return why[i];
    uint64_t n = p->n_req;
    const uint32_t per_req[] = { p->n_thinking, p->n_tools, p->n_images, p->n_max_tokens,
                                 p->n_prompt, p->n_status, p->n_4xx, p->n_429, p->n_5xx,
                                 p->n_late };
    for (size_t i = 0; i < HU_ARRAY_LEN(per_req); i++)
        if (per_req[i] > n)
            return "a request counter exceeds n_req";
    if (p->n_429 > p->n_4xx || (uint64_t)p->n_4xx + p->n_5xx > p->n_status)
        return "status counters inconsistent";
    uint64_t sh = 0, sd = 0, sl = 0, sn = 0;
    for (unsigned i = 0; i < 24; i++) sh += p->hour[i];
    for (unsigned i = 0; i < 7; i++) sd += p->dow[i];
    for (unsigned i = 0; i < HU_PROFILE_NLANG; i++) sl += p->lang[i];
    for (unsigned i = 0; i < HU_PROFILE_NNET; i++) sn += p->net[i];
    if (n < UINT32_MAX && (sh != n || sd != n))
        return "hour or day histogram does not sum to n_req";
    if (sl > n || sn > n)
        return "language or network counts exceed n_req";
    if (n == 0) {
        if (p->first_ts != INT64_MAX || p->last_ts != INT64_MIN || p->head_ts != INT64_MIN)
            return "times set on a profile without requests";
        if (p->n_gaps || p->n_breaks || p->gap_sum || p->lg_sum || p->ring_end != INT64_MIN)
            return "gaps or ring on a profile without requests";
    } else {
        if (p->first_ts > p->head_ts || p->head_ts > p->last_ts)
            return "first_ts <= head_ts <= last_ts violated";
        if ((uint64_t)p->n_gaps + p->n_breaks + p->n_late > n - 1 && n < UINT32_MAX)
            return "more gaps than requests";
        /* also keeps ring arithmetic far from overflow on loaded bytes */
        if (p->ring_end != floor_div(p->last_ts, HU_PROFILE_BUCKET_MS))
            return "ring does not end at the latest request";
    }
    if (p->n_burst_gaps > p->n_gaps)
        return "burst gaps exceed gaps";
    int free_seen = 0;
    for (unsigned m = 0; m < HU_PROFILE_NMODELS; m++) {
        const struct hu_profile_model *x = &p->model[m];
        if (!x->model_hash) {
            free_seen = 1;
            if (x->n || x->first_ts || x->last_ts)
                return "free model slot not empty";
            for (unsigned i = 0; i < HU_PROFILE_RING; i++)
                if (x->ring[i])
                    return "free model slot not empty";
            continue;
        }
        if (free_seen)
            return "model slot after a free one";
        if (x->n == 0 || x->n > n || x->first_ts > x->last_ts)
            return "model slot counts or times inconsistent";
        for (unsigned j = 0; j < m; j++)
            if (p->model[j].model_hash == x->model_hash)
                return "duplicate model slot";
        for (unsigned i = 0; i < HU_PROFILE_RING; i++)
            if (x->ring[i] > p->ring_total[i])
                return "model bucket above the account's total";
    }
    if (p->facts.type > HU_ACCT_OTHER || p->facts.verification > HU_VERIF_OTHER)
        return "unknown account type or verification";
    if ((p->facts.n_events == 0) != (p->facts.signup_ts == INT64_MAX))
        return "signup time without account events";
    return NULL;
}
