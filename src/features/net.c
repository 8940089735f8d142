/*
 * net.c -- textual addresses: parse, hash, print.
 *
 * The parser is hand-written rather than inet_pton() because the input is a
 * (ptr, len) span from a log line, not a C string: inet_pton would need a
 * copy into a NUL-terminated buffer first, and its accepted forms differ
 * between libcs.  This one is strict, allocation-free and reads at most
 * `len` bytes:
 *
 *   IPv4  exactly four decimal parts 0..255, 1-3 digits each, no leading
 *         zeros ("01.2.3.4" is rejected: BSD-style parsers read it as octal,
 *         so two systems would disagree on which address it names), no
 *         shorthand ("127.1"), no hex, no surrounding blanks.
 *   IPv6  RFC 4291 section 2.2: eight groups of 1-4 hex digits, at most one
 *         "::" standing for one or more zero groups, an optional dotted
 *         IPv4 tail in the last 32 bits.  A zone id ("fe80::1%eth0") is
 *         stripped: it names an interface of the logging host and says
 *         nothing about the client.  Brackets and ports are rejected.
 *   IPv4-mapped IPv6 (::ffff:a.b.c.d, ::ffff:0102:0304) becomes the IPv4
 *         address, so a dual-stack gateway logging either form links the
 *         same client.  Other embeddings (NAT64 64:ff9b::/96, 6to4
 *         2002::/16, the deprecated ::a.b.c.d) stay IPv6: they are distinct
 *         routes, and their /48 already groups them.
 *
 * The struct hu_ip always has every unused byte zeroed, so it can be hashed
 * or compared bytewise.
 *
 * Hashes (hu_hash, seeded XXH3) run over a tag byte and the significant
 * bytes: tag 4 + 4 bytes for an IPv4 address, 6 + 16 for IPv6, 0x24 + 3
 * bytes for an IPv4 /24 and 0x48 + 6 bytes for an IPv6 /48.  The tags keep
 * the four kinds apart if one entity table ever holds several.
 *
 * Measured (bench/bench_net.c, 2-vCPU KVM of DEPENDENCIES.md, -O2, random
 * addresses): IPv4 26 ns, IPv6 21 ns per parse; a bounded copy + glibc
 * inet_pton takes 26 / 86 ns.  The IPv6 gain is the hex-digit table: the
 * branchy digit test cost 87 ns in mispredictions.  Hashes: 15 ns for an
 * address hash plus a prefix hash.  More in docs/internals/net.md.
 */
#include <string.h>
#include <stdio.h>

#include "features/net.h"
#include "core/hash.h"

/* Longest text accepted: an IPv6 address with an IPv4 tail is at most 45
 * characters; a zone id may add up to 32 more ("%" + interface name). */
#define IP_MAX_TEXT   45u
#define IP_MAX_ZONE   32u

/* ---- parsing ------------------------------------------------------------ */

/* Parse exactly p[0..len) as a dotted quad into out[0..3]. */
static int parse_v4(const char *p, size_t len, uint8_t out[4])
{
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part > 0) {
            if (i >= len || p[i] != '.')
                return HU_EPARSE;
            i++;
        }
        size_t start = i;
        unsigned v = 0;
        while (i < len && p[i] >= '0' && p[i] <= '9' && i - start < 3) {
            v = v * 10 + (unsigned)(p[i] - '0');
            i++;
        }
        size_t nd = i - start;
        if (nd == 0 || v > 255 || (nd > 1 && p[start] == '0'))
            return HU_EPARSE;
        out[part] = (uint8_t)v;
    }
    return i == len ? HU_OK : HU_EPARSE;
}

/* Hex digit value + 1; 0 for every other byte. */
static const uint8_t hex_tab[256] = {
    ['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5,
    ['5'] = 6, ['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
    ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
    ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

static int hexval(char c)
{
    return (int)hex_tab[(unsigned char)c] - 1;
}

/* Parse exactly p[0..len) as an IPv6 address (no zone) into out[16]. */
static int parse_v6(const char *p, size_t len, uint8_t out[16])
{
    uint8_t b[16];
    int nb = 0;          /* bytes written */
    int gap = -1;        /* byte index where "::" stands */
    size_t i = 0;

    memset(b, 0, sizeof b);
    if (len < 2)
        return HU_EPARSE;
    if (p[0] == ':') {
        if (p[1] != ':')
            return HU_EPARSE;      /* a single leading ':' */
        gap = 0;
        i = 2;
        if (i == len)
            goto done;             /* "::" */
    }
    for (;;) {
        /* one group: 1-4 hex digits, or the IPv4 tail */
        size_t start = i;
        unsigned v = 0;
        while (i < len && i - start < 4) {
            int h = hexval(p[i]);
            if (h < 0)
                break;
            v = (v << 4) | (unsigned)h;
            i++;
        }
        if (i < len && p[i] == '.') {
            /* dotted tail: must end the address and fit in 4 bytes */
            if (nb > 12 || parse_v4(p + start, len - start, b + nb) != HU_OK)
                return HU_EPARSE;
            nb += 4;
            break;
        }
        if (i == start || nb > 14)
            return HU_EPARSE;      /* empty group, 5+ digits, or a 9th group */
        b[nb++] = (uint8_t)(v >> 8);
        b[nb++] = (uint8_t)v;
        if (i == len)
            break;
        if (p[i] != ':')
            return HU_EPARSE;
        i++;
        if (i < len && p[i] == ':') {
            if (gap >= 0)
                return HU_EPARSE;  /* a second "::" */
            gap = nb;
            i++;
            if (i == len)
                break;             /* trailing "::" */
        } else if (i == len) {
            return HU_EPARSE;      /* a single trailing ':' */
        }
    }
done:
    if (gap >= 0) {
        if (nb > 14)
            return HU_EPARSE;      /* "::" must stand for at least one group */
        int tail = nb - gap;
        memset(out, 0, 16);
        memcpy(out, b, (size_t)gap);
        memcpy(out + 16 - tail, b + gap, (size_t)tail);
    } else {
        if (nb != 16)
            return HU_EPARSE;
        memcpy(out, b, 16);
    }
    return HU_OK;
}

static const uint8_t v4mapped_prefix[12] = {0,0,0,0,0,0,0,0,0,0,0xff,0xff};

int hu_ip_parse(const char *p, size_t len, struct hu_ip *out)
{
    if (!out)
        return HU_EINVAL;
    memset(out, 0, sizeof *out);
    if (!p || len == 0 || len > IP_MAX_TEXT + 1 + IP_MAX_ZONE)
        return HU_EPARSE;

    /* IPv4 if there is no ':' in the first 16 bytes (a dotted quad is at
     * most 15 characters, an IPv6 address has a ':' within its first 5). */
    const char *colon = memchr(p, ':', len < 16 ? len : 16);
    if (!colon) {
        if (len > 15)
            return HU_EPARSE;
        return parse_v4(p, len, out->bytes) == HU_OK ? HU_OK : HU_EPARSE;
    }

    const char *pct = memchr(p, '%', len);
    if (pct) {
        size_t zlen = len - (size_t)(pct - p) - 1;
        if (zlen == 0 || zlen > IP_MAX_ZONE)
            return HU_EPARSE;
        for (size_t i = 1; i <= zlen; i++) {
            unsigned char c = (unsigned char)pct[i];
            if (c <= ' ' || c >= 0x7f || c == '%' || c == '/' || c == ']')
                return HU_EPARSE;
        }
        len = (size_t)(pct - p);
    }
    if (len > IP_MAX_TEXT)
        return HU_EPARSE;
    uint8_t b[16];
    if (parse_v6(p, len, b) != HU_OK)
        return HU_EPARSE;
    if (memcmp(b, v4mapped_prefix, 12) == 0) {
        memcpy(out->bytes, b + 12, 4);
        return HU_OK;
    }
    out->v6 = 1;
    memcpy(out->bytes, b, 16);
    return HU_OK;
}

/* ---- hashing ------------------------------------------------------------ */

uint64_t hu_ip_hash(const struct hu_ip *ip)
{
    if (!ip)
        return 0;
    uint8_t k[17];
    size_t n = ip->v6 ? 16 : 4;
    k[0] = ip->v6 ? 6 : 4;
    memcpy(k + 1, ip->bytes, n);
    return hu_hash(k, n + 1);
}

uint64_t hu_ip_prefix_hash(const struct hu_ip *ip)
{
    if (!ip)
        return 0;
    uint8_t k[7];
    size_t n = ip->v6 ? 6 : 3;
    k[0] = ip->v6 ? 0x48 : 0x24;
    memcpy(k + 1, ip->bytes, n);
    return hu_hash(k, n + 1);
}

/* ---- printing ----------------------------------------------------------- */

/* RFC 5952 text of 16 bytes: lower-case hex, no leading zeros, the longest
 * run of two or more zero groups (the first of equal runs) as "::". */
static void fmt_v6(const uint8_t b[16], char *tmp /* >= 40 */)
{
    unsigned g[8];
    for (int i = 0; i < 8; i++)
        g[i] = (unsigned)b[2 * i] << 8 | b[2 * i + 1];
    int best = -1, bestlen = 1;
    for (int i = 0; i < 8;) {
        if (g[i] != 0) {
            i++;
            continue;
        }
        int j = i;
        while (j < 8 && g[j] == 0)
            j++;
        if (j - i > bestlen) {
            best = i;
            bestlen = j - i;
        }
        i = j;
    }
    char *o = tmp;
    for (int i = 0; i < 8; i++) {
        if (i == best) {
            *o++ = ':';
            *o++ = ':';
            i += bestlen - 1;
            continue;
        }
        if (i > 0 && i != best + bestlen)
            *o++ = ':';
        o += snprintf(o, 5, "%x", g[i]);
    }
    *o = 0;
}

static void copy_out(char *buf, size_t cap, const char *s)
{
    if (!buf || cap == 0)
        return;
    size_t n = strlen(s);
    if (n >= cap)
        n = cap - 1;
    memcpy(buf, s, n);
    buf[n] = 0;
}

void hu_ip_prefix_str(const struct hu_ip *ip, char *buf, size_t cap)
{
    char tmp[64];
    if (!ip) {
        copy_out(buf, cap, "");
        return;
    }
    if (!ip->v6) {
        snprintf(tmp, sizeof tmp, "%u.%u.%u.0/24", ip->bytes[0], ip->bytes[1], ip->bytes[2]);
    } else {
        uint8_t b[16] = {0};
        memcpy(b, ip->bytes, 6);
        char t6[48];
        fmt_v6(b, t6);
        snprintf(tmp, sizeof tmp, "%s/48", t6);
    }
    copy_out(buf, cap, tmp);
}

void hu_ip_str(const struct hu_ip *ip, char *buf, size_t cap)
{
    char tmp[64];
    if (!ip) {
        copy_out(buf, cap, "");
        return;
    }
    if (!ip->v6)
        snprintf(tmp, sizeof tmp, "%u.%u.%u.%u", ip->bytes[0], ip->bytes[1], ip->bytes[2], ip->bytes[3]);
    else
        fmt_v6(ip->bytes, tmp);
    copy_out(buf, cap, tmp);
}
