/* arena.c -- bump allocator, see arena.h. */
#include "core/arena.h"
#include "core/alloc.h"

#include <stdint.h>
#include <string.h>

struct hu_arena_block {
    struct hu_arena_block *next;
    size_t size;                   /* usable bytes in data[] */
    size_t used;
    _Alignas(16) unsigned char data[];
};

void hu_arena_init(struct hu_arena *a, size_t block_size)
{
    a->head = NULL;
    a->block_size = block_size ? block_size : (64u << 10);
    a->used_total = 0;
}

void hu_arena_fini(struct hu_arena *a)
{
    struct hu_arena_block *b = a->head;
    while (b) {
        struct hu_arena_block *next = b->next;
        hu_free(b);
        b = next;
    }
    a->head = NULL;
    a->used_total = 0;
}

void hu_arena_reset(struct hu_arena *a)
{
    struct hu_arena_block *b = a->head;
    if (!b)
        return;
    /* keep the oldest block (the tail): it has the default size */
    while (b->next) {
        struct hu_arena_block *next = b->next;
        hu_free(b);
        b = next;
    }
    b->used = 0;
    a->head = b;
    a->used_total = 0;
}

void *hu_arena_alloc(struct hu_arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    struct hu_arena_block *b = a->head;
    if (!b || b->size - b->used < n) {
        size_t size = n > a->block_size ? n : a->block_size;
        if (size > SIZE_MAX - sizeof *b)
            return NULL;
        struct hu_arena_block *nb = hu_malloc(sizeof *nb + size);
        if (!nb)
            return NULL;
        nb->size = size;
        nb->used = 0;
        nb->next = b;
        a->head = b = nb;
    }
    void *p = b->data + b->used;
    b->used += n;
    a->used_total += n;
    return p;
}

char *hu_arena_strndup(struct hu_arena *a, const char *s, size_t len)
{
    char *d = hu_arena_alloc(a, len + 1);
    if (!d)
        return NULL;
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}
