/*
 * profile_mapped.h -- the one way a profile blob may differ from what it
 * loads to (shared by fuzz/fuzz_profile.c and tests/unit/test_sketch_fuzz.c,
 * which hold every accepted blob to it).
 */
#ifndef HU_FUZZ_PROFILE_MAPPED_H
#define HU_FUZZ_PROFILE_MAPPED_H

#include <stddef.h>
#include <stdint.h>
#include "profile/profile.h"
#include "sketch/sketch_io.h"

/* Where a profile blob differs from what it loads to: the format-2 u32
 * probation tags keep their low 16 bits (a nonzero tag with low half 0
 * becomes 1; profile.h), and the checksum follows.  1 if out (what p
 * re-serializes to, n bytes) is b with exactly that mapping applied.  The
 * tags sit after the fixed head (docs/formats/profile.md) and the three
 * sketches templates, top_templates, top_sentences. */
static int prof_same_mapped(const struct hu_profile *p, const uint8_t *b, const uint8_t *out, size_t n)
{
    size_t off = HU__SKETCH_HDR + 364u + 8u * HU_TARGET_COUNT + hu_hll_serialized_size(&p->templates) +
                 hu_ss_serialized_size(&p->top_templates) + hu_ss_serialized_size(&p->top_sentences);
    if (off + 4u * HU_PROFILE_PROBATION > n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (i >= 12 && i < 16)
            continue;                                   /* checksum */
        if (i >= off && i < off + 4u * HU_PROFILE_PROBATION) {
            if (((i - off) & 3) == 0) {
                uint32_t t = hu__get_u32(b + i), m = t && !(uint16_t)t ? 1u : (uint16_t)t;
                if (hu__get_u32(out + i) != m)
                    return 0;
            }
            continue;
        }
        if (out[i] != b[i])
            return 0;
    }
    return 1;
}

#endif
