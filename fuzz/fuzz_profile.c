/*
 * fuzz_profile.c -- hu_profile_deserialize_safe on hostile bytes.
 *
 * Byte 0 bit 0 set: the rest is taken raw (envelope checks).  Otherwise the
 * rest is sealed as the payload of a valid "HUpf" envelope so the nested
 * sketch readers and hu_profile_validate() are reached.  Property: an
 * accepted blob validates, re-serialises to the same bytes up to the two
 * documented mappings (probation tags keep their low 16 bits; sets past
 * the pool are reduced, a shorter blob), re-serialises stably after that,
 * and every derived statistic can be computed (no division by zero, no
 * NaN trap).
 */
#include <string.h>

#include "fuzz/fuzz.h"
#include "profile/profile.h"
#include "sketch/sketch_io.h"
#include "fuzz/profile_mapped.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t out[HU_PROFILE_SERIALIZED_MAX + 64];
    static struct hu_profile p;
    if (size < 2)
        return 0;
    size_t len;
    uint8_t *b;
    if (data[0] & 1) {
        len = size - 1;
        b = malloc(len ? len : 1);
        if (b == NULL)
            return 0;
        memcpy(b, data + 1, len);
    } else {
        size_t pl = size - 2;
        if (pl > HU_PROFILE_SERIALIZED_MAX)
            pl = HU_PROFILE_SERIALIZED_MAX;
        len = HU__SKETCH_HDR + pl;
        b = malloc(len);
        if (b == NULL)
            return 0;
        memcpy(b + HU__SKETCH_HDR, data + 2, pl);
        hu__sketch_hdr_put(b, "HUpf", HU_PROFILE_VERSION, HU_PSET_COUNT, data[1], (uint32_t)pl);
    }
    int rc = hu_profile_deserialize_safe(&p, b, len);
    if (rc > 0) {
        FUZZ_CHECK((size_t)rc <= len);
        FUZZ_CHECK(hu_profile_validate(&p) == NULL);
        size_t n = hu_profile_serialize(&p, out, sizeof out);
        FUZZ_CHECK(n > 0 && n <= (size_t)rc);
        if (n == (size_t)rc)
            FUZZ_CHECK(prof_same_mapped(&p, b, out, n));
        FUZZ_CHECK(hu_profile_serialized_size(&p) == n);
        static struct hu_profile q;
        static uint8_t out2[HU_PROFILE_SERIALIZED_MAX + 64];
        FUZZ_CHECK(hu_profile_deserialize_safe(&q, out, n) == (int)n);
        FUZZ_CHECK(hu_profile_serialize(&q, out2, sizeof out2) == n);
        FUZZ_CHECK(memcmp(out, out2, n) == 0);
        volatile double sink = 0;
        sink += hu_profile_template_distinct(&p);
        sink += hu_profile_top_template_share(&p);
        sink += hu_profile_interarrival_cv(&p);
        sink += hu_profile_log_gap_mean(&p) + hu_profile_log_gap_std(&p);
        sink += hu_profile_burst_share(&p) + hu_profile_hour_entropy(&p);
        sink += hu_profile_thinking_share(&p) + hu_profile_tools_share(&p);
        sink += hu_profile_error_share(&p) + hu_profile_prompt_chars_mean(&p);
        sink += hu_profile_prompt_chars_std(&p) + hu_profile_output_input_ratio(&p);
        sink += hu_profile_max_tokens_mean(&p);
        for (int t = 0; t < HU_TARGET_COUNT; t++)
            sink += hu_profile_target_share(&p, (enum hu_target)t);
        for (int s = 0; s < HU_PSET_COUNT; s++)
            sink += hu_profile_set_count(&p, (enum hu_pset)s);
        uint32_t hours[24];
        hu_profile_hours_local(&p, (int)(data[1] % 25) * 60 - 720, hours);
        double before, after;
        if (hu_profile_model_pivot(&p, p.account_hash, 0, 24, &before, &after) == HU_OK)
            sink += before + after;
        (void)sink;
    }
    free(b);
    return 0;
}
