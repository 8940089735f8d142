/* alloc.c -- allocation hooks with N-th-failure injection. See alloc.h. */
#include "core/alloc.h"
#include "huella/hu_status.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Atomic long     fail_budget = -1;   /* <0: never fail */
static _Atomic uint64_t n_alloc;
static _Atomic uint64_t n_failed;
static atomic_flag      env_checked = ATOMIC_FLAG_INIT;

/* HUELLA_ALLOC_STATS=1: print the allocation counters to stderr at exit
 * (tests/torture.sh reads how many allocations a run makes). */
static void print_stats(void)
{
    fprintf(stderr, "huella-alloc: %llu allocations, %llu failed\n",
            (unsigned long long)atomic_load(&n_alloc), (unsigned long long)atomic_load(&n_failed));
}

static int should_fail(void)
{
    if (!atomic_flag_test_and_set(&env_checked)) {
        const char *e = getenv("HUELLA_FAIL_ALLOC");
        if (e && *e)
            atomic_store(&fail_budget, strtol(e, NULL, 10));
        e = getenv("HUELLA_ALLOC_STATS");
        if (e && *e == '1')
            atexit(print_stats);
    }
    atomic_fetch_add_explicit(&n_alloc, 1, memory_order_relaxed);
    long b = atomic_load_explicit(&fail_budget, memory_order_relaxed);
    if (b < 0)
        return 0;
    if (b == 0) {
        atomic_fetch_add_explicit(&n_failed, 1, memory_order_relaxed);
        return 1;
    }
    atomic_fetch_sub_explicit(&fail_budget, 1, memory_order_relaxed);
    return 0;
}

void *hu_malloc(size_t n)
{
    return should_fail() ? NULL : malloc(n ? n : 1);
}

void *hu_calloc(size_t count, size_t size)
{
    return should_fail() ? NULL : calloc(count ? count : 1, size ? size : 1);
}

void *hu_realloc(void *p, size_t n)
{
    return should_fail() ? NULL : realloc(p, n ? n : 1);
}

void hu_free(void *p)
{
    free(p);
}

char *hu_strndup(const char *s, size_t len)
{
    char *d = hu_malloc(len + 1);
    if (!d)
        return NULL;
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

char *hu_strdup(const char *s)
{
    return hu_strndup(s, strlen(s));
}

void hu_alloc_fail_after(long n)
{
    atomic_flag_test_and_set(&env_checked);
    atomic_store(&fail_budget, n);
}

uint64_t hu_alloc_count(void)  { return atomic_load(&n_alloc); }
uint64_t hu_alloc_failed(void) { return atomic_load(&n_failed); }

int hu_grow(void **arr, size_t *cap, size_t need, size_t elem, size_t min_cap)
{
    if (need <= *cap)
        return HU_OK;
    size_t ncap = *cap ? *cap : (min_cap ? min_cap : 4);
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2 / elem)
            return HU_ENOMEM;
        ncap *= 2;
    }
    void *p = hu_realloc(*arr, ncap * elem);
    if (!p)
        return HU_ENOMEM;
    *arr = p;
    *cap = ncap;
    return HU_OK;
}
