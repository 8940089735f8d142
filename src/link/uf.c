/* uf.c -- union-find, see uf.h. */
#include "link/uf.h"
#include "core/alloc.h"

int hu_uf_init(struct hu_uf *uf, uint32_t n)
{
    uf->n = n;
    uf->parent = hu_malloc((size_t)n * sizeof *uf->parent);
    uf->size = hu_malloc((size_t)n * sizeof *uf->size);
    uf->min = hu_malloc((size_t)n * sizeof *uf->min);
    if (!uf->parent || !uf->size || !uf->min) {
        hu_uf_fini(uf);
        return HU_ENOMEM;
    }
    for (uint32_t i = 0; i < n; i++) {
        uf->parent[i] = i;
        uf->size[i] = 1;
        uf->min[i] = i;
    }
    return HU_OK;
}

void hu_uf_fini(struct hu_uf *uf)
{
    hu_free(uf->parent);
    hu_free(uf->size);
    hu_free(uf->min);
    uf->parent = uf->size = uf->min = NULL;
    uf->n = 0;
}

uint32_t hu_uf_find(struct hu_uf *uf, uint32_t x)
{
    while (uf->parent[x] != x) {
        uf->parent[x] = uf->parent[uf->parent[x]];   /* path halving */
        x = uf->parent[x];
    }
    return x;
}

int hu_uf_union(struct hu_uf *uf, uint32_t a, uint32_t b)
{
    a = hu_uf_find(uf, a);
    b = hu_uf_find(uf, b);
    if (a == b)
        return 0;
    if (uf->size[a] < uf->size[b] || (uf->size[a] == uf->size[b] && a > b)) {
        uint32_t t = a; a = b; b = t;
    }
    uf->parent[b] = a;
    uf->size[a] += uf->size[b];
    if (uf->min[b] < uf->min[a])
        uf->min[a] = uf->min[b];
    return 1;
}

uint32_t hu_uf_canonical(struct hu_uf *uf, uint32_t x)
{
    return uf->min[hu_uf_find(uf, x)];
}

uint32_t hu_uf_set_size(struct hu_uf *uf, uint32_t x)
{
    return uf->size[hu_uf_find(uf, x)];
}
