/*
 * profile_table.c -- account id -> profile, open addressing over pages.
 *
 * Invariants:
 *   - records 0..n-1 are in use; record i lives in page i / PAGE at slot
 *     i % PAGE and never moves; hash[i] == hu_hash(id of i) and
 *     profile(i)->account_hash == hash[i];
 *   - index has index_cap (a power of two) u32 entries, 0 = empty, else
 *     record + 1; n <= index_cap / 2; every record is reachable from
 *     index[hash & (cap-1)] by linear probing without crossing an empty
 *     entry (no deletions, so no tombstones).
 * Lookups compare the 64-bit hash first and the id bytes only on a hash
 * match, so a colliding pair of ids still gets two records.
 */
#include <string.h>
#include "profile/profile_table.h"
#include "core/alloc.h"
#include "core/arena.h"
#include "core/hash.h"
#include "core/limits.h"

#define PT_PAGE 256u

struct pt_id {
    const char *ptr;
    size_t len;
};

struct hu_profile_table {
    struct hu_profile **pages;
    size_t n_pages, cap_pages;
    uint64_t *hash;             /* per record */
    struct pt_id *ids;          /* per record, strings in `names` */
    size_t cap_rec;             /* capacity of hash[] and ids[] */
    uint32_t *index;
    size_t index_cap;
    size_t n;
    struct hu_arena names;
};

int hu_profile_table_create(size_t expect, struct hu_profile_table **out)
{
    if (!out)
        return HU_EINVAL;
    *out = NULL;
    struct hu_profile_table *t = hu_calloc(1, sizeof *t);
    if (!t)
        return HU_ENOMEM;
    size_t cap = 64;
    while (cap < 2 * expect && cap < 2 * (size_t)HU_PROFILE_TABLE_MAX)
        cap *= 2;
    t->index = hu_calloc(cap, sizeof *t->index);
    if (!t->index) {
        hu_free(t);
        return HU_ENOMEM;
    }
    t->index_cap = cap;
    hu_arena_init(&t->names, 0);
    *out = t;
    return HU_OK;
}

void hu_profile_table_destroy(struct hu_profile_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n_pages; i++)
        hu_free(t->pages[i]);
    hu_free(t->pages);
    hu_free(t->hash);
    hu_free(t->ids);
    hu_free(t->index);
    hu_arena_fini(&t->names);
    hu_free(t);
}

static inline struct hu_profile *pt_rec(const struct hu_profile_table *t, size_t i)
{
    return &t->pages[i / PT_PAGE][i % PT_PAGE];
}

/* Index slot holding id, or the empty slot where it would go. */
static size_t pt_probe(const struct hu_profile_table *t, uint64_t h, const char *id, size_t len)
{
    size_t mask = t->index_cap - 1, i = (size_t)h & mask;
    for (;;) {
        uint32_t e = t->index[i];
        if (e == 0)
            return i;
        size_t r = e - 1;
        if (t->hash[r] == h && t->ids[r].len == len && memcmp(t->ids[r].ptr, id, len) == 0)
            return i;
        i = (i + 1) & mask;
    }
}

/* Double the index; on failure the table is unchanged. */
static int pt_grow_index(struct hu_profile_table *t)
{
    size_t ncap = t->index_cap * 2;
    uint32_t *ni = hu_calloc(ncap, sizeof *ni);
    if (!ni)
        return HU_ENOMEM;
    for (size_t r = 0; r < t->n; r++) {
        size_t i = (size_t)t->hash[r] & (ncap - 1);
        while (ni[i])
            i = (i + 1) & (ncap - 1);
        ni[i] = (uint32_t)(r + 1);
    }
    hu_free(t->index);
    t->index = ni;
    t->index_cap = ncap;
    return HU_OK;
}

struct hu_profile *hu_profile_table_find(const struct hu_profile_table *t, const char *id,
                                         size_t len)
{
    if (!t || !id || len == 0 || len > HU_MAX_ID_BYTES)
        return NULL;
    uint32_t e = t->index[pt_probe(t, hu_hash(id, len), id, len)];
    return e ? pt_rec(t, e - 1) : NULL;
}

int hu_profile_table_get(struct hu_profile_table *t, const char *id, size_t len,
                         struct hu_profile **out, int *created)
{
    if (!t || !id || !out || len == 0 || len > HU_MAX_ID_BYTES)
        return HU_EINVAL;
    if (created)
        *created = 0;
    uint64_t h = hu_hash(id, len);
    size_t slot = pt_probe(t, h, id, len);
    if (t->index[slot]) {
        *out = pt_rec(t, t->index[slot] - 1);
        return HU_OK;
    }
    if (t->n >= HU_PROFILE_TABLE_MAX)
        return HU_EFULL;
    /* reserve everything first, then commit: a failure changes nothing */
    if (2 * (t->n + 1) > t->index_cap) {
        if (pt_grow_index(t) != HU_OK)
            return HU_ENOMEM;
        slot = pt_probe(t, h, id, len);
    }
    size_t cr = t->cap_rec;
    if (hu_grow((void **)&t->hash, &cr, t->n + 1, sizeof *t->hash, PT_PAGE) != HU_OK)
        return HU_ENOMEM;
    cr = t->cap_rec;
    if (hu_grow((void **)&t->ids, &cr, t->n + 1, sizeof *t->ids, PT_PAGE) != HU_OK)
        return HU_ENOMEM;
    t->cap_rec = cr;   /* both arrays now hold >= cr entries */
    if (t->n / PT_PAGE >= t->n_pages) {
        if (hu_grow((void **)&t->pages, &t->cap_pages, t->n_pages + 1, sizeof *t->pages, 16) !=
            HU_OK)
            return HU_ENOMEM;
        struct hu_profile *pg = hu_malloc(PT_PAGE * sizeof *pg);
        if (!pg)
            return HU_ENOMEM;
        t->pages[t->n_pages++] = pg;
    }
    char *name = hu_arena_strndup(&t->names, id, len);
    if (!name)
        return HU_ENOMEM;
    size_t r = t->n++;
    t->hash[r] = h;
    t->ids[r].ptr = name;
    t->ids[r].len = len;
    t->index[slot] = (uint32_t)(r + 1);
    struct hu_profile *p = pt_rec(t, r);
    hu_profile_init(p, h);
    *out = p;
    if (created)
        *created = 1;
    return HU_OK;
}

size_t hu_profile_table_count(const struct hu_profile_table *t)
{
    return t ? t->n : 0;
}

struct hu_profile *hu_profile_table_at(const struct hu_profile_table *t, size_t i)
{
    return t && i < t->n ? pt_rec(t, i) : NULL;
}

const char *hu_profile_table_id(const struct hu_profile_table *t, size_t i, size_t *len)
{
    if (!t || i >= t->n)
        return NULL;
    if (len)
        *len = t->ids[i].len;
    return t->ids[i].ptr;
}

size_t hu_profile_table_memory(const struct hu_profile_table *t)
{
    if (!t)
        return 0;
    return sizeof *t + t->n_pages * PT_PAGE * sizeof(struct hu_profile) +
           t->cap_pages * sizeof *t->pages + t->cap_rec * (sizeof *t->hash + sizeof *t->ids) +
           t->index_cap * sizeof *t->index + t->names.used_total;
}

int hu_profile_table_merge(struct hu_profile_table *dst, const struct hu_profile_table *src)
{
    if (!dst || !src)
        return HU_EINVAL;
    for (size_t i = 0; i < src->n; i++) {
        struct hu_profile *d;
        int rc = hu_profile_table_get(dst, src->ids[i].ptr, src->ids[i].len, &d, NULL);
        if (rc != HU_OK)
            return rc;
        rc = hu_profile_merge(d, pt_rec(src, i));
        if (rc != HU_OK)
            return rc;
    }
    return HU_OK;
}
