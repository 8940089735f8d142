/*
 * uf.h -- union-find over account indexes 0..n-1.
 *
 * Path halving and union by size: near-constant amortised cost per
 * operation (70M edges/s measured in shared/docs/DEPENDENCIES.md section 6).
 * The representative returned by hu_uf_canonical() is the SMALLEST index in
 * the set, whatever order the unions came in, so clusters are named the
 * same on every run (STYLE.md 22).
 */
#ifndef HU_LINK_UF_H
#define HU_LINK_UF_H

#include <stdint.h>
#include "huella/hu_status.h"

struct hu_uf {
    uint32_t *parent;
    uint32_t *size;      /* valid at roots */
    uint32_t *min;       /* smallest member, valid at roots */
    uint32_t n;
};

HU_MUST_CHECK int hu_uf_init(struct hu_uf *uf, uint32_t n);
void     hu_uf_fini(struct hu_uf *uf);
uint32_t hu_uf_find(struct hu_uf *uf, uint32_t x);
/* Join the sets of a and b; returns 1 if they were distinct. */
int      hu_uf_union(struct hu_uf *uf, uint32_t a, uint32_t b);
/* Smallest index in x's set: a canonical, order-independent name. */
uint32_t hu_uf_canonical(struct hu_uf *uf, uint32_t x);
uint32_t hu_uf_set_size(struct hu_uf *uf, uint32_t x);

#endif
