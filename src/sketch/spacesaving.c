/*
 * spacesaving.c -- Metwally's space-saving top-k, mergeable.
 *
 * What.  k counters (key, count, err).  A tracked key's counter grows by
 * the weight; a new key takes over the smallest counter c_min, starting at
 * c_min + w with err = c_min: it may have been seen up to c_min times while
 * untracked.  Hence count - err <= true <= count for every tracked key and
 * true <= c_min for every untracked one; since counts sum to N, c_min <=
 * N/k and every key above N/k is tracked.
 *
 * Why k = 8 and linear scans.  Profiles need the few templates that
 * dominate an account (campaigns reuse a handful); 8 entries of 16 bytes
 * fit in three cache lines, and a linear scan over 8 keys beats any index.
 * Eviction ties go to the lowest slot, so the same stream always gives the
 * same bytes (STYLE.md 22).
 *
 * Layout (struct hu_ss, 144 bytes):
 *
 *   0          8       12      16                               144
 *   +----------+-------+-------+--------------------------------+
 *   | total u64| n u32 | pad   | 8 x { key u64, count u32, err u32 }
 *   +----------+-------+-------+--------------------------------+
 *
 * Merge.  For each key in either summary, count = (its count on side A, or
 * A's minimum if A is full and lacks it, or 0) + (the same for B), and err
 * likewise; then keep the k largest.  A dropped key's upper bound is below
 * every kept count, and a key neither side tracks has true <= minA + minB
 * <= every kept count, so the invariants survive (test_sketch_ss checks
 * them against an exact counter after random merge trees).
 */
#include <string.h>
#include "sketch/spacesaving.h"
#include "sketch/sketch_io.h"

static inline uint32_t sat_add32(uint32_t a, uint32_t b)
{
    uint32_t s = a + b;
    return s < a ? UINT32_MAX : s;
}

void hu_ss_init(struct hu_ss *ss)
{
    memset(ss, 0, sizeof *ss);
}

int hu_ss_update(struct hu_ss *ss, uint64_t key, uint32_t w)
{
    if (w == 0)
        return 0;
    uint64_t t = ss->total + w;
    ss->total = t < ss->total ? UINT64_MAX : t;
    for (uint32_t i = 0; i < ss->n; i++) {
        if (ss->e[i].key == key) {
            ss->e[i].count = sat_add32(ss->e[i].count, w);
            return 1;
        }
    }
    if (ss->n < HU_SS_K) {
        ss->e[ss->n].key = key;
        ss->e[ss->n].count = w;
        ss->e[ss->n].err = 0;
        ss->n++;
        return 0;
    }
    uint32_t m = 0;
    for (uint32_t i = 1; i < HU_SS_K; i++)
        if (ss->e[i].count < ss->e[m].count)
            m = i;
    uint32_t cmin = ss->e[m].count;
    ss->e[m].key = key;
    ss->e[m].err = cmin;
    ss->e[m].count = sat_add32(cmin, w);
    return 0;
}

int hu_ss_get(const struct hu_ss *ss, uint64_t key, uint32_t *count, uint32_t *err)
{
    for (uint32_t i = 0; i < ss->n; i++) {
        if (ss->e[i].key == key) {
            if (count)
                *count = ss->e[i].count;
            if (err)
                *err = ss->e[i].err;
            return 1;
        }
    }
    return 0;
}

uint32_t hu_ss_min_count(const struct hu_ss *ss)
{
    if (ss->n < HU_SS_K)
        return 0;
    uint32_t m = ss->e[0].count;
    for (uint32_t i = 1; i < ss->n; i++)
        if (ss->e[i].count < m)
            m = ss->e[i].count;
    return m;
}

/* Order: count desc, err asc, key asc. */
static int ss_before(const struct hu_ss_entry *a, const struct hu_ss_entry *b)
{
    if (a->count != b->count)
        return a->count > b->count;
    if (a->err != b->err)
        return a->err < b->err;
    return a->key < b->key;
}

static void ss_sort(struct hu_ss_entry *e, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        struct hu_ss_entry x = e[i];
        size_t j = i;
        while (j > 0 && ss_before(&x, &e[j - 1])) {
            e[j] = e[j - 1];
            j--;
        }
        e[j] = x;
    }
}

size_t hu_ss_top(const struct hu_ss *ss, struct hu_ss_entry *out, size_t cap)
{
    struct hu_ss_entry tmp[HU_SS_K];
    memcpy(tmp, ss->e, ss->n * sizeof tmp[0]);
    ss_sort(tmp, ss->n);
    size_t n = ss->n < cap ? ss->n : cap;
    memcpy(out, tmp, n * sizeof tmp[0]);
    return n;
}

void hu_ss_merge(struct hu_ss *dst, const struct hu_ss *src)
{
    /* an empty side makes the merge an exact copy (sharded profiles are
     * merged into empty ones and must come out unchanged) */
    if (src->total == 0)
        return;
    if (dst->total == 0) {
        *dst = *src;
        return;
    }
    struct hu_ss_entry cand[2 * HU_SS_K];
    size_t nc = 0;
    uint32_t min_d = hu_ss_min_count(dst), min_s = hu_ss_min_count(src);
    for (uint32_t i = 0; i < dst->n; i++) {
        struct hu_ss_entry c = dst->e[i];
        uint32_t sc, se;
        if (hu_ss_get(src, c.key, &sc, &se)) {
            c.count = sat_add32(c.count, sc);
            c.err = sat_add32(c.err, se);
        } else {
            c.count = sat_add32(c.count, min_s);
            c.err = sat_add32(c.err, min_s);
        }
        cand[nc++] = c;
    }
    for (uint32_t i = 0; i < src->n; i++) {
        if (hu_ss_get(dst, src->e[i].key, NULL, NULL))
            continue;
        struct hu_ss_entry c = src->e[i];
        c.count = sat_add32(c.count, min_d);
        c.err = sat_add32(c.err, min_d);
        cand[nc++] = c;
    }
    ss_sort(cand, nc);
    uint64_t t = dst->total + src->total;
    uint64_t total = t < dst->total ? UINT64_MAX : t;
    hu_ss_init(dst);
    dst->total = total;
    dst->n = (uint32_t)(nc < HU_SS_K ? nc : HU_SS_K);
    memcpy(dst->e, cand, dst->n * sizeof cand[0]);
}

/* ---- serialization ------------------------------------------------------ */

size_t hu_ss_serialized_size(const struct hu_ss *ss)
{
    return HU__SKETCH_HDR + 12u + 16u * ss->n;
}

size_t hu_ss_serialize(const struct hu_ss *ss, void *buf)
{
    uint8_t *p = (uint8_t *)buf + HU__SKETCH_HDR;
    hu__put_u64(p, ss->total);
    hu__put_u32(p + 8, ss->n);
    for (uint32_t i = 0; i < ss->n; i++) {
        hu__put_u64(p + 12 + 16 * i, ss->e[i].key);
        hu__put_u32(p + 20 + 16 * i, ss->e[i].count);
        hu__put_u32(p + 24 + 16 * i, ss->e[i].err);
    }
    uint32_t pl = 12u + 16u * ss->n;
    hu__sketch_hdr_put(buf, "HUss", HU_SS_VERSION, HU_SS_K, 0, pl);
    return HU__SKETCH_HDR + pl;
}

const char *hu_ss_validate(const struct hu_ss *ss)
{
    if (!ss)
        return "null summary";
    if (ss->n > HU_SS_K)
        return "more entries than counters";
    for (uint32_t i = 0; i < ss->n; i++) {
        const struct hu_ss_entry *e = &ss->e[i];
        if (e->count == 0)
            return "entry with zero count";
        if (e->err > e->count)
            return "error bound above count";
        if (e->count > ss->total)
            return "count above stream total";
        for (uint32_t j = 0; j < i; j++)
            if (ss->e[j].key == e->key)
                return "duplicate key";
    }
    for (uint32_t i = ss->n; i < HU_SS_K; i++)
        if (ss->e[i].key || ss->e[i].count || ss->e[i].err)
            return "unused entry not zero";
    return NULL;
}

int hu_ss_deserialize_safe(struct hu_ss *ss, const void *buf, size_t len)
{
    if (!ss)
        return HU_EINVAL;
    hu_ss_init(ss);
    uint8_t flags;
    uint32_t pl;
    int rc = hu__sketch_hdr_get(buf, len, "HUss", HU_SS_VERSION, HU_SS_K, &flags, &pl,
                                12u, 12u + 16u * HU_SS_K);
    if (rc != HU_OK)
        return rc;
    const uint8_t *p = (const uint8_t *)buf + HU__SKETCH_HDR;
    uint32_t n = hu__get_u32(p + 8);
    if (flags != 0 || n > HU_SS_K || pl != 12u + 16u * n)
        return HU_ECORRUPT;
    ss->total = hu__get_u64(p);
    ss->n = n;
    for (uint32_t i = 0; i < n; i++) {
        ss->e[i].key = hu__get_u64(p + 12 + 16 * i);
        ss->e[i].count = hu__get_u32(p + 20 + 16 * i);
        ss->e[i].err = hu__get_u32(p + 24 + 16 * i);
    }
    if (hu_ss_validate(ss)) {
        hu_ss_init(ss);
        return HU_ECORRUPT;
    }
    return (int)(HU__SKETCH_HDR + pl);
}
