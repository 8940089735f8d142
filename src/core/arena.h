/*
 * arena.h -- bump allocation for things that die together.
 *
 * One arena per ingest batch or per HTTP request (STYLE.md 12): allocation
 * is a pointer bump, and hu_arena_reset() frees everything in one call while
 * keeping the first block for reuse.  Blocks come from hu_malloc, so
 * failure injection reaches arenas too.  Not thread-safe: one owner.
 */
#ifndef HU_CORE_ARENA_H
#define HU_CORE_ARENA_H

#include <stddef.h>

struct hu_arena_block;

struct hu_arena {
    struct hu_arena_block *head;   /* current block, newest first */
    size_t block_size;             /* default size of a new block */
    size_t used_total;             /* bytes handed out since last reset */
};

/* Caller-owned struct.  block_size 0 means 64 KiB. */
void  hu_arena_init(struct hu_arena *a, size_t block_size);
void  hu_arena_fini(struct hu_arena *a);
/* Free all but the first block; every pointer handed out becomes invalid. */
void  hu_arena_reset(struct hu_arena *a);
/* 16-byte aligned allocation; NULL on failure.  O(1) amortised. */
void *hu_arena_alloc(struct hu_arena *a, size_t n);
/* Copy len bytes plus a NUL into the arena. */
char *hu_arena_strndup(struct hu_arena *a, const char *s, size_t len);

#endif
