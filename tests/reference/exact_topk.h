/*
 * exact_topk.h -- exact heavy hitters for checking space-saving: every
 * key's true count (exact_set.h), and the k-th largest count.
 */
#ifndef HU_REF_EXACT_TOPK_H
#define HU_REF_EXACT_TOPK_H

#include "exact_set.h"

static inline int ref_cmp_desc_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* The k-th largest true count (1-based), 0 if fewer than k keys. */
static inline uint64_t ref_topk_kth(const struct ref_set *s, size_t k)
{
    if (s->n < k || k == 0)
        return 0;
    uint64_t *c = malloc(s->n * sizeof *c);
    size_t j = 0;
    for (size_t i = 0; i < s->cap; i++)
        if (s->cnt[i])
            c[j++] = s->cnt[i];
    qsort(c, j, sizeof *c, ref_cmp_desc_u64);
    uint64_t v = c[k - 1];
    free(c);
    return v;
}

#endif
