/*
 * entity_dict.c -- hash -> value table for indicators, see entity_dict.h.
 *
 * Open addressing with linear probing over 16-byte slots {key, offset};
 * values live in an append-only arena of 1 MiB blocks.  The key mixes the
 * kind into the hash, so one table serves every kind; key 0 marks an empty
 * slot (a real key of 0 is remapped to 1: a collision of 2^-64).
 */
#include "profile/entity_dict.h"
#include "core/alloc.h"
#include "core/arena.h"
#include "core/hash.h"

#include <string.h>

struct slot {
    uint64_t key;
    const char *value;
};

struct hu_entity_dict {
    struct slot *slots;
    size_t n_slots;        /* power of two */
    size_t n;
    size_t bytes;
    uint64_t dropped;
    struct hu_arena arena;
    uint64_t *order;       /* keys in insertion order (hu_dict_entry) */
    size_t order_cap;
};

int hu_dict_create(struct hu_entity_dict **out)
{
    struct hu_entity_dict *d = hu_calloc(1, sizeof *d);
    if (!d)
        return HU_ENOMEM;
    d->n_slots = 1024;
    d->slots = hu_calloc(d->n_slots, sizeof *d->slots);
    if (!d->slots) {
        hu_free(d);
        return HU_ENOMEM;
    }
    hu_arena_init(&d->arena, 1u << 20);
    *out = d;
    return HU_OK;
}

void hu_dict_destroy(struct hu_entity_dict *d)
{
    if (!d)
        return;
    hu_arena_fini(&d->arena);
    hu_free(d->slots);
    hu_free(d->order);
    hu_free(d);
}

static uint64_t make_key(enum hu_dict_kind kind, uint64_t hash)
{
    uint64_t k = hu_hash_combine(hash, (uint64_t)kind + 1);
    return k ? k : 1;
}

static int grow(struct hu_entity_dict *d)
{
    size_t n_slots = d->n_slots * 2;
    struct slot *s = hu_calloc(n_slots, sizeof *s);
    if (!s)
        return HU_ENOMEM;
    for (size_t i = 0; i < d->n_slots; i++) {
        if (!d->slots[i].key)
            continue;
        size_t j = d->slots[i].key & (n_slots - 1);
        while (s[j].key)
            j = (j + 1) & (n_slots - 1);
        s[j] = d->slots[i];
    }
    hu_free(d->slots);
    d->slots = s;
    d->n_slots = n_slots;
    return HU_OK;
}

static const char *get_key(const struct hu_entity_dict *d, uint64_t key)
{
    size_t i = key & (d->n_slots - 1);
    while (d->slots[i].key) {
        if (d->slots[i].key == key)
            return d->slots[i].value;
        i = (i + 1) & (d->n_slots - 1);
    }
    return NULL;
}

static int put_key(struct hu_entity_dict *d, uint64_t key, const char *value, size_t len)
{
    if (get_key(d, key))
        return HU_OK;
    /* keep the load at most 1/2 so probes stay short and a slot is always free */
    if ((d->n + 1) * 2 > d->n_slots && grow(d) != HU_OK) {
        d->dropped++;
        return HU_ENOMEM;
    }
    size_t i = key & (d->n_slots - 1);
    while (d->slots[i].key)
        i = (i + 1) & (d->n_slots - 1);
    if (len > 255)
        len = 255;
    if (d->n >= HU_DICT_MAX_ENTRIES || d->bytes + len + 1 > HU_DICT_MAX_BYTES) {
        d->dropped++;
        return HU_EFULL;
    }
    if (d->n == d->order_cap) {
        size_t cap = d->order_cap ? d->order_cap * 2 : 1024;
        uint64_t *o = hu_realloc(d->order, cap * sizeof *o);
        if (!o) {
            d->dropped++;
            return HU_ENOMEM;
        }
        d->order = o;
        d->order_cap = cap;
    }
    char *v = hu_arena_strndup(&d->arena, value, len);
    if (!v) {
        d->dropped++;
        return HU_ENOMEM;
    }
    d->order[d->n] = key;
    d->slots[i].key = key;
    d->slots[i].value = v;
    d->n++;
    d->bytes += len + 1;
    return HU_OK;
}

int hu_dict_put(struct hu_entity_dict *d, enum hu_dict_kind kind, uint64_t hash,
                const char *value, size_t len)
{
    return put_key(d, make_key(kind, hash), value, len);
}

int hu_dict_merge(struct hu_entity_dict *dst, const struct hu_entity_dict *src)
{
    int rc = HU_OK;
    for (size_t i = 0; i < src->n_slots; i++) {
        if (!src->slots[i].key)
            continue;
        int r = put_key(dst, src->slots[i].key, src->slots[i].value, strlen(src->slots[i].value));
        if (r == HU_ENOMEM)
            return r;
        if (r)
            rc = r;
    }
    dst->dropped += src->dropped;
    return rc;
}

const char *hu_dict_get(const struct hu_entity_dict *d, enum hu_dict_kind kind, uint64_t hash)
{
    return get_key(d, make_key(kind, hash));
}

size_t   hu_dict_count(const struct hu_entity_dict *d)   { return d->n; }
uint64_t hu_dict_dropped(const struct hu_entity_dict *d) { return d->dropped; }
size_t   hu_dict_bytes(const struct hu_entity_dict *d)   { return d->bytes; }

const char *hu_dict_entry(const struct hu_entity_dict *d, size_t i, uint64_t *key)
{
    if (i >= d->n)
        return NULL;
    *key = d->order[i];
    return get_key(d, d->order[i]);
}

int hu_dict_put_key(struct hu_entity_dict *d, uint64_t key, const char *value, size_t len)
{
    return put_key(d, key ? key : 1, value, len);
}
