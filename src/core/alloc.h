/*
 * alloc.h -- every allocation in huella goes through these four calls.
 *
 * Why: so that tests can fail the N-th allocation (SQLite fault.c, libuv
 * test-loop-oom.c) and so that memory per stage can be counted.  The
 * functions behave like their libc namesakes: hu_malloc(0) may return NULL
 * or a unique pointer, hu_free(NULL) does nothing, hu_realloc() leaves the
 * old block untouched when it fails.
 *
 * Failure injection: hu_alloc_fail_after(n) makes the (n+1)-th allocation
 * from now and every later one fail until hu_alloc_fail_after(-1).  The
 * environment variable HUELLA_FAIL_ALLOC=N does the same from process start
 * (used by `make torture`); HUELLA_ALLOC_STATS=1 prints the counters to
 * stderr at exit.  Counters are process-wide and use relaxed
 * atomics: the cost is one atomic add per allocation.
 */
#ifndef HU_CORE_ALLOC_H
#define HU_CORE_ALLOC_H

#include <stddef.h>
#include <stdint.h>

void *hu_malloc(size_t n);
void *hu_calloc(size_t count, size_t size);
void *hu_realloc(void *p, size_t n);
void  hu_free(void *p);
/* Duplicate `len` bytes of `s` and add a NUL; NULL on failure. */
char *hu_strndup(const char *s, size_t len);
char *hu_strdup(const char *s);

/* Fail every allocation after the next `n` (n < 0: never fail). */
void     hu_alloc_fail_after(long n);
/* Allocations attempted since process start (for torture loops). */
uint64_t hu_alloc_count(void);
/* Allocations that were made to fail. */
uint64_t hu_alloc_failed(void);

/* Grow an array of `elem` sized items to hold at least `need` items.
 * On success *arr and *cap are updated; on failure both are untouched and
 * HU_ENOMEM is returned.  Growth is geometric (x2), starting at `min_cap`. */
int hu_grow(void **arr, size_t *cap, size_t need, size_t elem, size_t min_cap);

#endif
