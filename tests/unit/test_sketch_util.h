/*
 * test_sketch_util.h -- shared checks for serialized sketches and
 * profiles: every truncation and every single-bit flip of a valid blob
 * must be rejected, never crash, never read past the length (ASan checks
 * that: each attempt gets its own exact-size heap copy).
 */
#ifndef HU_TEST_SKETCH_UTIL_H
#define HU_TEST_SKETCH_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef int (*test_deser_fn)(void *obj, const void *buf, size_t len);

/* Returns the number of accepted damaged blobs (must be 0). */
static inline size_t test_damage_accepted(const uint8_t *blob, size_t len, test_deser_fn f,
                                          void *scratch, int flip_bits)
{
    size_t accepted = 0;
    for (size_t l = 0; l < len; l++) {
        uint8_t *cp = malloc(l ? l : 1);
        memcpy(cp, blob, l);
        if (f(scratch, cp, l) >= 0)
            accepted++;
        free(cp);
    }
    if (flip_bits) {
        uint8_t *cp = malloc(len);
        for (size_t i = 0; i < len; i++) {
            for (int b = 0; b < 8; b++) {
                memcpy(cp, blob, len);
                cp[i] ^= (uint8_t)(1u << b);
                if (f(scratch, cp, len) >= 0)
                    accepted++;
            }
        }
        free(cp);
    }
    return accepted;
}

#endif
