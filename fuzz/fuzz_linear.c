/*
 * fuzz_linear.c -- hu_linear_load_buf on hostile model files.
 *
 * Byte 0 bit 0 set: the rest is the file, raw.  Otherwise the rest is the
 * file with its trailing 8-byte checksum recomputed (when it is long
 * enough to hold one), so the header, code and weight checks are reached.
 * An accepted model must score text without producing NaN.
 */
#include <math.h>
#include <string.h>

#include "core/hash.h"
#include "features/linear.h"
#include "fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t len = size - 1;
    uint8_t *b = malloc(len ? len : 1);
    if (b == NULL)
        return 0;
    memcpy(b, data + 1, len);
    if (!(data[0] & 1) && len >= 40) {
        uint64_t h = hu_hash(b, len - 8);
        for (int i = 0; i < 8; i++)
            b[len - 8 + i] = (uint8_t)(h >> (8 * i));
    }
    struct hu_linear_model *m = NULL;
    const char *why = NULL;
    int rc = hu_linear_load_buf(b, len, &m, &why);
    if (rc == HU_OK) {
        FUZZ_CHECK(m != NULL);
        float prob[HU_TARGET_COUNT];
        static const char txt[] = "walk through your reasoning step by step <num>";
        hu_linear_score(m, txt, sizeof txt - 1, prob);
        for (int t = 0; t < HU_TARGET_COUNT; t++)
            FUZZ_CHECK(prob[t] >= 0.0f && prob[t] <= 1.0f);
    } else {
        FUZZ_CHECK(m == NULL);
        FUZZ_CHECK(why != NULL);
    }
    hu_linear_destroy(m);
    free(b);
    return 0;
}
