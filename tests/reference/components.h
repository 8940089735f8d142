/* components.h -- O(n*m) connected components by repeated label
 * propagation: slow and obviously correct, the reference for link/uf.c.
 * label[i] = smallest index reachable from i. */
#ifndef HU_TEST_REF_COMPONENTS_H
#define HU_TEST_REF_COMPONENTS_H
#include <stdint.h>
#include <stddef.h>
static void ref_components(uint32_t n, const uint32_t (*edges)[2], size_t m, uint32_t *label)
{
    for (uint32_t i = 0; i < n; i++) label[i] = i;
    int changed = 1;
    while (changed) {
        changed = 0;
        for (size_t e = 0; e < m; e++) {
            uint32_t a = edges[e][0], b = edges[e][1];
            uint32_t l = label[a] < label[b] ? label[a] : label[b];
            if (label[a] != l) { label[a] = l; changed = 1; }
            if (label[b] != l) { label[b] = l; changed = 1; }
        }
    }
}
#endif
