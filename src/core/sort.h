/*
 * sort.h -- qsort that accepts an empty or NULL array.
 *
 * C's qsort requires a valid pointer even for zero elements (UBSan flags
 * qsort(NULL, 0, ...)); arrays that are still empty are NULL in huella, so
 * every sort goes through here.
 */
#ifndef HU_CORE_SORT_H
#define HU_CORE_SORT_H

#include <stdlib.h>

static inline void hu_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    if (base && n > 1)
        qsort(base, n, size, cmp);
}

#endif
