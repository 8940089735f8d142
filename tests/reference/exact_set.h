/*
 * exact_set.h -- the slow, obvious reference for distinct counts,
 * membership and Jaccard: an open-addressing hash map from u64 keys to u64
 * counts.  Used only by tests; plain malloc on purpose (it must not share
 * failure injection or code with what it checks).
 */
#ifndef HU_REF_EXACT_SET_H
#define HU_REF_EXACT_SET_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct ref_set {
    uint64_t *key;
    uint64_t *cnt;      /* 0 = empty slot */
    size_t cap, n;
};

static inline uint64_t ref_set_slot(uint64_t k)
{
    k ^= k >> 33; k *= UINT64_C(0xff51afd7ed558ccd); k ^= k >> 33;
    return k;
}

static inline void ref_set_init(struct ref_set *s)
{
    s->cap = 64;
    s->n = 0;
    s->key = calloc(s->cap, sizeof *s->key);
    s->cnt = calloc(s->cap, sizeof *s->cnt);
}

static inline void ref_set_fini(struct ref_set *s)
{
    free(s->key);
    free(s->cnt);
    memset(s, 0, sizeof *s);
}

static inline size_t ref_set_find(const struct ref_set *s, uint64_t k)
{
    size_t i = ref_set_slot(k) & (s->cap - 1);
    while (s->cnt[i] && s->key[i] != k)
        i = (i + 1) & (s->cap - 1);
    return i;
}

static inline void ref_set_add_n(struct ref_set *s, uint64_t k, uint64_t w);

static inline void ref_set_grow(struct ref_set *s)
{
    struct ref_set old = *s;
    s->cap *= 2;
    s->n = 0;
    s->key = calloc(s->cap, sizeof *s->key);
    s->cnt = calloc(s->cap, sizeof *s->cnt);
    for (size_t i = 0; i < old.cap; i++)
        if (old.cnt[i])
            ref_set_add_n(s, old.key[i], old.cnt[i]);
    free(old.key);
    free(old.cnt);
}

/* Count w occurrences of k. */
static inline void ref_set_add_n(struct ref_set *s, uint64_t k, uint64_t w)
{
    if ((s->n + 1) * 2 > s->cap)
        ref_set_grow(s);
    size_t i = ref_set_find(s, k);
    if (!s->cnt[i]) {
        s->key[i] = k;
        s->n++;
    }
    s->cnt[i] += w;
}

static inline void ref_set_add(struct ref_set *s, uint64_t k) { ref_set_add_n(s, k, 1); }

static inline uint64_t ref_set_count_of(const struct ref_set *s, uint64_t k)
{
    return s->cnt[ref_set_find(s, k)];
}

static inline int ref_set_has(const struct ref_set *s, uint64_t k)
{
    return ref_set_count_of(s, k) != 0;
}

/* Exact |A n B| / |A u B|; 0 when both are empty. */
static inline double ref_set_jaccard(const struct ref_set *a, const struct ref_set *b)
{
    size_t inter = 0;
    for (size_t i = 0; i < a->cap; i++)
        if (a->cnt[i] && ref_set_has(b, a->key[i]))
            inter++;
    size_t uni = a->n + b->n - inter;
    return uni ? (double)inter / (double)uni : 0.0;
}

#endif
