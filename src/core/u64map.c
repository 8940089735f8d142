/* u64map.c -- counting hash map, see u64map.h. */
#include "core/u64map.h"
#include "core/alloc.h"
#include "core/hash.h"

#include <string.h>

static size_t slot_of(uint64_t key, size_t cap) { return hu_hash_mix(key) & (cap - 1); }

int hu_u64map_init(struct hu_u64map *m, size_t expect)
{
    size_t cap = 64;
    while (cap < expect * 2)
        cap *= 2;
    m->keys = hu_calloc(cap, sizeof *m->keys);
    m->vals = hu_calloc(cap, sizeof *m->vals);
    m->n = 0;
    m->cap = cap;
    if (!m->keys || !m->vals) {
        hu_u64map_fini(m);
        return HU_ENOMEM;
    }
    return HU_OK;
}

void hu_u64map_fini(struct hu_u64map *m)
{
    hu_free(m->keys);
    hu_free(m->vals);
    memset(m, 0, sizeof *m);
}

static int grow(struct hu_u64map *m)
{
    size_t cap = m->cap * 2;
    uint64_t *keys = hu_calloc(cap, sizeof *keys);
    uint32_t *vals = hu_calloc(cap, sizeof *vals);
    if (!keys || !vals) {
        hu_free(keys);
        hu_free(vals);
        return HU_ENOMEM;
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->keys[i])
            continue;
        size_t j = slot_of(m->keys[i], cap);
        while (keys[j])
            j = (j + 1) & (cap - 1);
        keys[j] = m->keys[i];
        vals[j] = m->vals[i];
    }
    hu_free(m->keys);
    hu_free(m->vals);
    m->keys = keys;
    m->vals = vals;
    m->cap = cap;
    return HU_OK;
}

int hu_u64map_add(struct hu_u64map *m, uint64_t key, uint32_t by)
{
    if (!key)
        key = 1;
    if (!m->cap)
        return HU_EINVAL;
    size_t i = slot_of(key, m->cap);
    while (m->keys[i]) {
        if (m->keys[i] == key) {
            m->vals[i] = m->vals[i] > UINT32_MAX - by ? UINT32_MAX : m->vals[i] + by;
            return HU_OK;
        }
        i = (i + 1) & (m->cap - 1);
    }
    if ((m->n + 1) * 2 > m->cap) {
        if (grow(m))
            return HU_ENOMEM;
        i = slot_of(key, m->cap);
        while (m->keys[i])
            i = (i + 1) & (m->cap - 1);
    }
    m->keys[i] = key;
    m->vals[i] = by;
    m->n++;
    return HU_OK;
}

uint32_t hu_u64map_get(const struct hu_u64map *m, uint64_t key)
{
    if (!key)
        key = 1;
    if (!m->cap)
        return 0;
    size_t i = slot_of(key, m->cap);
    while (m->keys[i]) {
        if (m->keys[i] == key)
            return m->vals[i];
        i = (i + 1) & (m->cap - 1);
    }
    return 0;
}
