/*
 * stix_id.c -- SHA-1 (FIPS 180-4), UUIDv5 and STIX timestamps.
 * SHA-1 is checked in tests against the FIPS vectors and UUIDv5 against
 * Python's uuid.uuid5 (tests/unit/test_stix.c).
 */
#include "report/stix_id.h"

#include <stdio.h>
#include <string.h>

const uint8_t hu_stix_ns_huella[16] = { 0xb5, 0x2a, 0xc2, 0xef, 0xc3, 0x2b, 0x5c, 0x37,
                                        0xa7, 0x2e, 0xa1, 0xa9, 0x81, 0xef, 0x37, 0x53 };
const uint8_t hu_stix_ns_sco[16] = { 0x00, 0xab, 0xed, 0xb4, 0xaa, 0x42, 0x46, 0x6c,
                                     0x9c, 0x01, 0xfe, 0xd2, 0x33, 0x15, 0xa9, 0xb7 };

static uint32_t rol(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

static void sha1_block(struct hu_sha1 *c, const uint8_t *b)
{
    uint32_t w[80];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)b[4 * i] << 24 | (uint32_t)b[4 * i + 1] << 16 | (uint32_t)b[4 * i + 2] << 8 | b[4 * i + 3];
    for (int i = 16; i < 80; i++)
        w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = c->h[0], bb = c->h[1], cc = c->h[2], d = c->h[3], e = c->h[4];
    for (int i = 0; i < 80; i++) {
        uint32_t f, k;
        if (i < 20) { f = (bb & cc) | (~bb & d); k = 0x5a827999; }
        else if (i < 40) { f = bb ^ cc ^ d; k = 0x6ed9eba1; }
        else if (i < 60) { f = (bb & cc) | (bb & d) | (cc & d); k = 0x8f1bbcdc; }
        else { f = bb ^ cc ^ d; k = 0xca62c1d6; }
        uint32_t t = rol(a, 5) + f + e + k + w[i];
        e = d; d = cc; cc = rol(bb, 30); bb = a; a = t;
    }
    c->h[0] += a; c->h[1] += bb; c->h[2] += cc; c->h[3] += d; c->h[4] += e;
}

void hu_sha1_init(struct hu_sha1 *c)
{
    static const uint32_t iv[5] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0 };
    memcpy(c->h, iv, sizeof iv);
    c->n = 0;
    c->used = 0;
}

void hu_sha1_update(struct hu_sha1 *c, const void *p, size_t len)
{
    const uint8_t *s = p;
    c->n += len;
    while (len) {
        size_t take = 64 - c->used < len ? 64 - c->used : len;
        memcpy(c->block + c->used, s, take);
        c->used += take;
        s += take;
        len -= take;
        if (c->used == 64) {
            sha1_block(c, c->block);
            c->used = 0;
        }
    }
}

void hu_sha1_final(struct hu_sha1 *c, uint8_t out[20])
{
    uint64_t bits = c->n * 8;
    uint8_t pad = 0x80;
    hu_sha1_update(c, &pad, 1);
    pad = 0;
    while (c->used != 56)
        hu_sha1_update(c, &pad, 1);
    uint8_t len[8];
    for (int i = 0; i < 8; i++) len[i] = (uint8_t)(bits >> (56 - 8 * i));
    hu_sha1_update(c, len, 8);
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 4; j++) out[4 * i + j] = (uint8_t)(c->h[i] >> (24 - 8 * j));
}

void hu_uuid5_start(struct hu_sha1 *c, const uint8_t ns[16])
{
    hu_sha1_init(c);
    hu_sha1_update(c, ns, 16);
}

void hu_uuid5_finish(struct hu_sha1 *c, char out[37])
{
    uint8_t d[20];
    hu_sha1_final(c, d);
    d[6] = (uint8_t)((d[6] & 0x0f) | 0x50);
    d[8] = (uint8_t)((d[8] & 0x3f) | 0x80);
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out[o++] = '-';
        out[o++] = hex[d[i] >> 4];
        out[o++] = hex[d[i] & 15];
    }
    out[o] = '\0';
}

void hu_uuid5(const uint8_t ns[16], const void *name, size_t len, char out[37])
{
    struct hu_sha1 c;
    hu_uuid5_start(&c, ns);
    hu_sha1_update(&c, name, len);
    hu_uuid5_finish(&c, out);
}

/* Howard Hinnant's days_from_civil / civil_from_days. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void hu_stix_time(int64_t ms, char out[25])
{
    int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
    int msr = (int)(ms - secs * 1000);
    int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
    int sod = (int)(secs - days * 86400);
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    if (y < 0 || y > 9999) { y = y < 0 ? 0 : 9999; }
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ", (unsigned)y, m % 13, d % 32,
             (unsigned)sod / 3600 % 24, (unsigned)sod / 60 % 60, (unsigned)sod % 60, (unsigned)msr % 1000);
    memcpy(out, tmp, 24);
    out[24] = '\0';
}

static int digits(const char *s, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        *v = *v * 10 + (s[i] - '0');
    }
    return 0;
}

static int days_in_month(int y, int m)
{
    static const int dm[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 ? 28 + leap : dm[m - 1];
}

int hu_stix_parse_time(const char *s, size_t len, int64_t *ms)
{
    int y, mo, d, h, mi, se, frac = 0;
    if (len < 20 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
        digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || digits(s + 11, 2, &h) ||
        s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' || digits(s + 17, 2, &se))
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || se > 60)
        return -1;
    size_t i = 19;
    if (i < len && s[i] == '.') {
        i++;
        size_t f0 = i;
        int scale = 100;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            frac += (s[i] - '0') * scale;
            scale /= 10;
            i++;
        }
        if (i == f0 || i - f0 > 9) return -1;
    }
    int off = 0;
    if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i + 6 == len && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
        int oh, om;
        if (digits(s + i + 1, 2, &oh) || digits(s + i + 4, 2, &om) || oh > 23 || om > 59) return -1;
        off = (oh * 60 + om) * (s[i] == '-' ? -1 : 1);
        i += 6;
    } else {
        return -1;
    }
    if (i != len) return -1;
    if (se == 60) se = 59;  /* leap second: clamp */
    int64_t t = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se - off * 60;
    *ms = t * 1000 + frac;
    return 0;
}

int hu_stix_time_is_ms(const char *s, size_t len)
{
    int64_t ms;
    return len == 24 && s[19] == '.' && s[23] == 'Z' && s[10] == 'T' && s[20] >= '0' && s[20] <= '9' &&
           s[21] >= '0' && s[21] <= '9' && s[22] >= '0' && s[22] <= '9' && hu_stix_parse_time(s, len, &ms) == 0;
}
