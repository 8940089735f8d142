/*
 * sketch_io.h -- the envelope shared by every serialized sketch (internal).
 *
 * Every sketch serializes as a 16-byte header followed by its payload, all
 * integers little-endian whatever the host:
 *
 *   offset 0      4        5       6       7         8            12          16
 *          +------+--------+-------+-------+---------+------------+-----------+----------
 *          | magic| version| param | flags | reserved| payload_len| check     | payload
 *          | u32  | u8     | u8    | u8    | u8 = 0  | u32        | u32       | ...
 *          +------+--------+-------+-------+---------+------------+-----------+----------
 *
 * magic names the sketch ("HUhl", "HUmh", "HUss", "HUkv", "HUpf"); param is
 * its size parameter (p, k) and must equal the compiled one; check is the
 * low 32 bits of an XXH3 of bytes 0..11 and the payload, so a flipped bit or a truncated blob is
 * rejected before the payload is even parsed.  Readers never read past the
 * length they are given (STYLE.md 11).
 */
#ifndef HU_SKETCH_SKETCH_IO_H
#define HU_SKETCH_SKETCH_IO_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "core/hash.h"
#include "huella/hu_status.h"

#define HU__SKETCH_HDR 16u

static inline void hu__put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8);
}
static inline void hu__put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline void hu__put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint16_t hu__get_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t hu__get_u32(const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}
static inline uint64_t hu__get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

static inline uint32_t hu__magic(const char m[4])
{
    return (uint32_t)(uint8_t)m[0] | (uint32_t)(uint8_t)m[1] << 8 |
           (uint32_t)(uint8_t)m[2] << 16 | (uint32_t)(uint8_t)m[3] << 24;
}

/* Checksum of header bytes 0..11 and the payload: a flipped flag byte is
 * caught as surely as a flipped payload byte. */
static inline uint32_t hu__sketch_check(const uint8_t *buf, uint32_t payload_len)
{
    return (uint32_t)hu_hash_seeded(buf + HU__SKETCH_HDR, payload_len, hu_hash(buf, 12));
}

/* Write the header for a payload already written at buf + 16. */
static inline void hu__sketch_hdr_put(uint8_t *buf, const char magic[4], uint8_t version,
                                      uint8_t param, uint8_t flags, uint32_t payload_len)
{
    hu__put_u32(buf, hu__magic(magic));
    buf[4] = version;
    buf[5] = param;
    buf[6] = flags;
    buf[7] = 0;
    hu__put_u32(buf + 8, payload_len);
    hu__put_u32(buf + 12, hu__sketch_check(buf, payload_len));
}

/* Check the envelope: HU_OK with *flags and *payload_len set, or
 * HU_ECORRUPT (bad magic, short buffer, bad length or checksum) or
 * HU_EVERSION.  `min_len`/`max_len` bound the payload length. */
static inline int hu__sketch_hdr_get(const uint8_t *buf, size_t len, const char magic[4],
                                     uint8_t version, uint8_t param, uint8_t *flags,
                                     uint32_t *payload_len, uint32_t min_len, uint32_t max_len)
{
    if (!buf || len < HU__SKETCH_HDR)
        return HU_ECORRUPT;
    if (hu__get_u32(buf) != hu__magic(magic))
        return HU_ECORRUPT;
    if (buf[4] != version)
        return HU_EVERSION;
    if (buf[5] != param || buf[7] != 0)
        return HU_ECORRUPT;
    uint32_t pl = hu__get_u32(buf + 8);
    if (pl < min_len || pl > max_len || pl > len - HU__SKETCH_HDR)
        return HU_ECORRUPT;
    if (hu__get_u32(buf + 12) != hu__sketch_check(buf, pl))
        return HU_ECORRUPT;
    *flags = buf[6];
    *payload_len = pl;
    return HU_OK;
}

#endif
