/* u64set.c -- open-addressing set of u64, see u64set.h. */
#include "core/u64set.h"
#include "core/alloc.h"
#include "core/hash.h"

void hu_u64set_init(struct hu_u64set *s)
{
    s->slots = NULL;
    s->cap = 0;
    s->n = 0;
    s->has_zero = 0;
}

void hu_u64set_fini(struct hu_u64set *s)
{
    hu_free(s->slots);
    hu_u64set_init(s);
}

/* Keys are often hashes already, but not always: mix so that sequential
 * keys do not cluster. */
static size_t slot_of(uint64_t key, size_t cap)
{
    return (size_t)(hu_hash_mix(key) & (cap - 1));
}

static void insert_raw(uint64_t *slots, size_t cap, uint64_t key)
{
    size_t i = slot_of(key, cap);
    while (slots[i])
        i = (i + 1) & (cap - 1);
    slots[i] = key;
}

static int grow(struct hu_u64set *s)
{
    size_t ncap = s->cap ? s->cap * 2 : 64;
    if (ncap < s->cap || ncap > SIZE_MAX / sizeof(uint64_t))
        return HU_ENOMEM;
    uint64_t *ns = hu_calloc(ncap, sizeof *ns);
    if (!ns)
        return HU_ENOMEM;
    for (size_t i = 0; i < s->cap; i++)
        if (s->slots[i])
            insert_raw(ns, ncap, s->slots[i]);
    hu_free(s->slots);
    s->slots = ns;
    s->cap = ncap;
    return HU_OK;
}

int hu_u64set_add(struct hu_u64set *s, uint64_t key)
{
    if (key == 0) {
        if (s->has_zero)
            return 0;
        s->has_zero = 1;
        return 1;
    }
    if (hu_u64set_has(s, key))
        return 0;
    if ((s->n + 1) * 2 > s->cap) {
        int rc = grow(s);
        if (rc != HU_OK)
            return rc;
    }
    insert_raw(s->slots, s->cap, key);
    s->n++;
    return 1;
}

int hu_u64set_has(const struct hu_u64set *s, uint64_t key)
{
    if (key == 0)
        return s->has_zero;
    if (!s->cap)
        return 0;
    size_t i = slot_of(key, s->cap);
    while (s->slots[i]) {
        if (s->slots[i] == key)
            return 1;
        i = (i + 1) & (s->cap - 1);
    }
    return 0;
}

size_t hu_u64set_count(const struct hu_u64set *s)
{
    return s->n + (size_t)s->has_zero;
}
