/*
 * fuzz_sketch.c -- hu_{hll,kmv,minhash,ss}_deserialize_safe on hostile bytes.
 *
 * Input: byte 0 picks the sketch (low 2 bits) and whether the rest is taken
 * raw (bit 2 set: exercises the envelope checks) or sealed (the default: the
 * target writes a valid header and checksum around bytes 3.. as payload, with
 * byte 1 as the flags byte and byte 2 xor-ed into the version, so the payload
 * parsers and validators are reached; for the MinHash, bit 1 of byte 2
 * seals it as a version-1 blob instead).  Property: an accepted blob passes
 * validate() and re-serialises to the same bytes (one canonical form); a
 * version-1 MinHash re-serialises as version 2, and that blob must load back
 * to the same signature and re-serialise to itself.
 */
#include <string.h>

#include "fuzz/fuzz.h"
#include "sketch/hll.h"
#include "sketch/kmv.h"
#include "sketch/minhash.h"
#include "sketch/spacesaving.h"
#include "sketch/sketch_io.h"

#define MAXPL 4096u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t blob[HU__SKETCH_HDR + MAXPL], out[HU__SKETCH_HDR + MAXPL + 64];
    if (size < 3)
        return 0;
    int kind = data[0] & 3, raw = data[0] & 4;
    static const char *magic[4] = { "HUhl", "HUkv", "HUmh", "HUss" };
    static const uint8_t ver[4] = { HU_HLL_VERSION, HU_KMV_VERSION, HU_MINHASH_VERSION,
                                    HU_SS_VERSION };
    static const uint8_t param[4] = { HU_HLL_P, HU_KMV_K, HU_MINHASH_K, HU_SS_K };
    const uint8_t *b;
    size_t len;
    uint8_t *heap = NULL;
    if (raw) {
        len = size - 1;
        heap = malloc(len ? len : 1);
        if (heap == NULL)
            return 0;
        memcpy(heap, data + 1, len);
        b = heap;
    } else {
        size_t pl = size - 3;
        if (pl > MAXPL)
            pl = MAXPL;
        memcpy(blob + HU__SKETCH_HDR, data + 3, pl);
        uint8_t v = (uint8_t)(ver[kind] ^ (data[2] & 1));
        if (kind == 2 && (data[2] & 2))
            v = HU_MINHASH_VERSION_V1;
        hu__sketch_hdr_put(blob, magic[kind], v, param[kind], data[1], (uint32_t)pl);
        len = HU__SKETCH_HDR + pl;
        heap = malloc(len);
        if (heap == NULL)
            return 0;
        memcpy(heap, blob, len);
        b = heap;
    }
    int rc, legacy = 0;
    size_t n = 0;
    switch (kind) {
    case 0: {
        static struct hu_hll h;
        rc = hu_hll_deserialize_safe(&h, b, len);
        if (rc > 0) {
            FUZZ_CHECK(hu_hll_validate(&h) == NULL);
            n = hu_hll_serialize(&h, out);
            (void)hu_hll_count(&h);
        }
        break;
    }
    case 1: {
        static struct hu_kmv s;
        rc = hu_kmv_deserialize_safe(&s, b, len);
        if (rc > 0) {
            FUZZ_CHECK(hu_kmv_validate(&s) == NULL);
            n = hu_kmv_serialize(&s, out);
            (void)hu_kmv_count(&s);
        }
        break;
    }
    case 2: {
        static struct hu_minhash mh;
        rc = hu_minhash_deserialize_safe(&mh, b, len);
        if (rc > 0) {
            FUZZ_CHECK(hu_minhash_validate(&mh) == NULL);
            n = hu_minhash_serialize(&mh, out);
            legacy = b[4] == HU_MINHASH_VERSION_V1;
            if (legacy) {
                static struct hu_minhash again;
                static uint8_t out2[HU_MINHASH_SERIALIZED_MAX];
                FUZZ_CHECK(hu_minhash_deserialize_safe(&again, out, n) == (int)n);
                FUZZ_CHECK(memcmp(&again, &mh, sizeof mh) == 0);
                FUZZ_CHECK(hu_minhash_serialize(&again, out2) == n);
                FUZZ_CHECK(memcmp(out2, out, n) == 0);
            }
        }
        break;
    }
    default: {
        static struct hu_ss ss;
        rc = hu_ss_deserialize_safe(&ss, b, len);
        if (rc > 0) {
            FUZZ_CHECK(hu_ss_validate(&ss) == NULL);
            n = hu_ss_serialize(&ss, out);
        }
        break;
    }
    }
    if (rc > 0)
        FUZZ_CHECK((size_t)rc <= len);
    if (rc > 0 && !legacy) {
        FUZZ_CHECK(n == (size_t)rc);
        FUZZ_CHECK(memcmp(out, b, n) == 0);
    }
    free(heap);
    return 0;
}
