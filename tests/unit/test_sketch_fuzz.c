/*
 * test_sketch_fuzz.c -- hostile bytes into every deserializer.
 *
 * Random payloads are sealed in a VALID envelope (right magic, version,
 * length and checksum), so they reach the payload parsers and validators
 * instead of bouncing off the checksum.  Whatever is accepted must pass
 * validate() and re-serialize to exactly the same bytes (one canonical
 * form per state), and nothing may crash or read past the length (the
 * sanitizer pass checks that: each blob is an exact-size heap copy).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sketch/hll.h"
#include "sketch/kmv.h"
#include "sketch/minhash.h"
#include "sketch/spacesaving.h"
#include "sketch/sketch_io.h"
#include "profile/profile.h"
#include "tests/reference/rng.h"
#include "fuzz/profile_mapped.h"

/* Fill a blob: a valid envelope around `pl` payload bytes drawn from a few
 * shapes (random, small values, copies of a real payload with edits). */
static uint8_t *seal(struct ref_rng *r, const char magic[4], uint8_t version, uint8_t param,
                     uint8_t flags, const uint8_t *model, size_t model_len, size_t pl)
{
    uint8_t *b = malloc(16 + pl + 1);
    int shape = (int)ref_rng_below(r, 3);
    for (size_t i = 0; i < pl; i++) {
        if (shape == 0)
            b[16 + i] = (uint8_t)ref_rng_next(r);
        else if (shape == 1)
            b[16 + i] = (uint8_t)ref_rng_below(r, 3);
        else
            b[16 + i] = i < model_len ? model[i] : (uint8_t)ref_rng_next(r);
    }
    if (shape == 2 && pl)
        for (int k = 0; k < 3; k++)
            b[16 + ref_rng_below(r, pl)] ^= (uint8_t)(1u << ref_rng_below(r, 8));
    hu__sketch_hdr_put(b, magic, version, param, flags, (uint32_t)pl);
    return b;
}

static int same_bytes(const void *obj, const uint8_t *b, const uint8_t *out, size_t n)
{
    (void)obj;
    return memcmp(b, out, n) == 0;
}
static int prof_same(const void *obj, const uint8_t *b, const uint8_t *out, size_t n)
{
    return prof_same_mapped((const struct hu_profile *)obj, b, out, n);
}

/* SAME: an accepted blob re-serializes to itself (profiles: up to the
 * probation-tag mapping, see prof_same_mapped) */
#define FUZZ_ONE(NAME, TYPE, MAGIC, VER, PARAM, MAXPL, FLAGS, DESER, VALIDATE, SERIALIZE, SEED_OBJ, SAME) \
    static void NAME(void **state)                                                       \
    {                                                                                    \
        (void)state;                                                                     \
        struct ref_rng r = { 0x5eed + PARAM };                                           \
        TYPE *obj = malloc(sizeof(TYPE));                                                \
        uint8_t *model = malloc(16 + (MAXPL) + 64);                                      \
        size_t model_len = SEED_OBJ(model) - 16;                                         \
        uint8_t *out = malloc(16 + (MAXPL) + 64);                                        \
        unsigned accepted = 0, mapped = 0;                                               \
        for (unsigned it = 0; it < 20000; it++) {                                        \
            size_t pl = (size_t)ref_rng_below(&r, (MAXPL) + 2);                          \
            if (ref_rng_below(&r, 2))                                                    \
                pl = model_len;                                                          \
            uint8_t *b = seal(&r, MAGIC, VER, PARAM, (uint8_t)ref_rng_below(&r, FLAGS),  \
                              model + 16, model_len, pl);                                \
            int rc = DESER(obj, b, 16 + pl);                                             \
            if (rc >= 0) {                                                               \
                accepted++;                                                              \
                assert_int_equal(rc, (int)(16 + pl));                                    \
                assert_null(VALIDATE(obj));                                              \
                size_t n = SERIALIZE(obj, out);                                          \
                assert_int_equal(n, 16 + pl);                                            \
                assert_true(SAME(obj, b, out, n));                                       \
                if (memcmp(out, b, n) != 0) {   /* mapped once: stable from then on */   \
                    memcpy(b, out, n);                                                   \
                    assert_int_equal(DESER(obj, b, n), (int)n);                          \
                    assert_int_equal(SERIALIZE(obj, out), n);                            \
                    assert_memory_equal(out, b, n);                                      \
                    mapped++;                                                            \
                }                                                                        \
            }                                                                            \
            free(b);                                                                     \
        }                                                                                \
        printf("# %s: %u of 20000 sealed random blobs accepted (%u mapped)\n", #NAME,    \
               accepted, mapped);                                                        \
        free(obj);                                                                       \
        free(model);                                                                     \
        free(out);                                                                       \
    }

static size_t hll_model(uint8_t *b)
{
    struct hu_hll h;
    hu_hll_init(&h);
    for (uint64_t i = 0; i < 20; i++)
        hu_hll_add(&h, i);
    return hu_hll_serialize(&h, b);
}
static size_t mh_model(uint8_t *b)
{
    struct hu_minhash m;
    hu_minhash_init(&m);
    hu_minhash_update(&m, 1);
    return hu_minhash_serialize(&m, b);
}
static size_t ss_model(uint8_t *b)
{
    struct hu_ss s;
    hu_ss_init(&s);
    for (uint64_t i = 0; i < 40; i++)
        hu_ss_update(&s, i % 11, 1);
    return hu_ss_serialize(&s, b);
}
static size_t kmv_model(uint8_t *b)
{
    struct hu_kmv s;
    hu_kmv_init(&s);
    for (uint64_t i = 0; i < 5; i++)
        hu_kmv_add(&s, i);
    return hu_kmv_serialize(&s, b);
}
static size_t prof_model(uint8_t *b)
{
    struct hu_profile *p = malloc(sizeof *p);
    hu_profile_init(p, 9);
    size_t n = hu_profile_serialize(p, b, HU_PROFILE_SERIALIZED_MAX);
    free(p);
    return n;
}
static size_t prof_ser(const struct hu_profile *p, void *b)
{
    return hu_profile_serialize(p, b, HU_PROFILE_SERIALIZED_MAX);
}

FUZZ_ONE(fuzz_hll, struct hu_hll, "HUhl", HU_HLL_VERSION, HU_HLL_P, HU_HLL_M, 3,
         hu_hll_deserialize_safe, hu_hll_validate, hu_hll_serialize, hll_model, same_bytes)
FUZZ_ONE(fuzz_minhash, struct hu_minhash, "HUmh", HU_MINHASH_VERSION, HU_MINHASH_K,
         4 * HU_MINHASH_K, 2, hu_minhash_deserialize_safe, hu_minhash_validate,
         hu_minhash_serialize, mh_model, same_bytes)
FUZZ_ONE(fuzz_ss, struct hu_ss, "HUss", HU_SS_VERSION, HU_SS_K, 12 + 16 * HU_SS_K, 2,
         hu_ss_deserialize_safe, hu_ss_validate, hu_ss_serialize, ss_model, same_bytes)
FUZZ_ONE(fuzz_kmv, struct hu_kmv, "HUkv", HU_KMV_VERSION, HU_KMV_K, 8 * HU_KMV_K, 3,
         hu_kmv_deserialize_safe, hu_kmv_validate, hu_kmv_serialize, kmv_model, same_bytes)
/* reduced bottom-n samples (a profile's set pool was full): version 2 */
FUZZ_ONE(fuzz_kmv_reduced, struct hu_kmv, "HUkv", HU_KMV_VERSION_REDUCED, HU_KMV_K, 8 * HU_KMV_K, 3,
         hu_kmv_deserialize_safe, hu_kmv_validate, hu_kmv_serialize, kmv_model, same_bytes)
FUZZ_ONE(fuzz_profile, struct hu_profile, "HUpf", HU_PROFILE_VERSION, HU_PSET_COUNT, 2200, 2,
         hu_profile_deserialize_safe, hu_profile_validate, prof_ser, prof_model, prof_same)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fuzz_hll),
        cmocka_unit_test(fuzz_minhash),
        cmocka_unit_test(fuzz_ss),
        cmocka_unit_test(fuzz_kmv),
        cmocka_unit_test(fuzz_kmv_reduced),
        cmocka_unit_test(fuzz_profile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
