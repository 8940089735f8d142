/* test_net.c -- addresses, address databases, user-agent families.
 *
 * Reference checks: hu_ip_parse against glibc inet_pton on random strings;
 * the range merge against a brute-force "best covering range" per address;
 * the .mmdb conversion against libmaxminddb's own lookup on the real
 * iptoasn country database.  Real data (../shared/data/ip) is used when
 * present and skipped otherwise. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <maxminddb.h>
#include <zlib.h>
#include <cmocka.h>

#include "features/net.h"
#include "features/features.h"
#include "core/alloc.h"
#include "core/hash.h"
#include "huella/hu_status.h"

#define CASES "tests/cases/net/"
#define REAL "../shared/data/ip/"

static uint64_t rng_state = 0x243f6a8885a308d3ull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static int file_exists(const char *p)
{
    return access(p, R_OK) == 0;
}

/* A scratch file name under TMPDIR; the file is removed by the caller. */
static void tmpname(char *buf, size_t cap, const char *suffix)
{
    static int n;
    const char *d = getenv("TMPDIR");
    snprintf(buf, cap, "%s/hu_test_net_%d_%d%s", d ? d : "/tmp", (int)getpid(), n++, suffix);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    fclose(f);
}

/* ---- hu_ip_parse --------------------------------------------------------- */

struct parse_case {
    const char *in;
    int ok;
    int v6;
    const char *canon;   /* hu_ip_str of the result */
};

static const struct parse_case parse_cases[] = {
    {"0.0.0.0", 1, 0, "0.0.0.0"},
    {"255.255.255.255", 1, 0, "255.255.255.255"},
    {"203.0.113.7", 1, 0, "203.0.113.7"},
    {"1.2.3.04", 0, 0, NULL},            /* leading zero: octal ambiguity */
    {"01.2.3.4", 0, 0, NULL},
    {"1.2.3.256", 0, 0, NULL},
    {"1.2.3", 0, 0, NULL},
    {"1.2.3.4.5", 0, 0, NULL},
    {"1..3.4", 0, 0, NULL},
    {"1.2.3.4.", 0, 0, NULL},
    {".1.2.3.4", 0, 0, NULL},
    {" 1.2.3.4", 0, 0, NULL},
    {"1.2.3.4 ", 0, 0, NULL},
    {"1.2.3.-4", 0, 0, NULL},
    {"1.2.3.0x4", 0, 0, NULL},
    {"1234.1.1.1", 0, 0, NULL},
    {"127.1", 0, 0, NULL},
    {"", 0, 0, NULL},
    {"::", 1, 1, "::"},
    {"::1", 1, 1, "::1"},
    {"1::", 1, 1, "1::"},
    {"2001:db8::1", 1, 1, "2001:db8::1"},
    {"2001:DB8:0:0:0:0:0:1", 1, 1, "2001:db8::1"},
    {"2001:0db8:0000:0000:0001:0000:0000:0001", 1, 1, "2001:db8::1:0:0:1"},
    {"1:2:3:4:5:6:7:8", 1, 1, "1:2:3:4:5:6:7:8"},
    {"1:2:3:4:5:6:7::", 1, 1, "1:2:3:4:5:6:7:0"},
    {"::2:3:4:5:6:7:8", 1, 1, "0:2:3:4:5:6:7:8"},
    {"1:0:0:2::3", 1, 1, "1:0:0:2::3"},
    {"fe80::1%eth0", 1, 1, "fe80::1"},     /* zone id stripped */
    {"fe80::1%", 0, 0, NULL},
    {"fe80::1%a b", 0, 0, NULL},
    {"::ffff:192.0.2.1", 1, 0, "192.0.2.1"}, /* IPv4-mapped -> IPv4 */
    {"::FFFF:c000:0201", 1, 0, "192.0.2.1"},
    {"0:0:0:0:0:ffff:192.0.2.1", 1, 0, "192.0.2.1"},
    {"64:ff9b::192.0.2.1", 1, 1, "64:ff9b::c000:201"},  /* NAT64 stays IPv6 */
    {"::192.0.2.1", 1, 1, "::c000:201"},
    {"1:2:3:4:5:6:1.2.3.4", 1, 1, "1:2:3:4:5:6:102:304"},
    {"1:2:3:4:5:6:7:1.2.3.4", 0, 0, NULL},
    {"::1.2.3", 0, 0, NULL},
    {"::1.2.3.04", 0, 0, NULL},
    {"::1.2.3.4:5", 0, 0, NULL},
    {"1.2.3.4::", 0, 0, NULL},
    {":", 0, 0, NULL},
    {":::", 0, 0, NULL},
    {":1::2", 0, 0, NULL},
    {"1::2:", 0, 0, NULL},
    {"1:", 0, 0, NULL},
    {"1::2::3", 0, 0, NULL},
    {"12345::", 0, 0, NULL},
    {"1:2:3:4:5:6:7:8:9", 0, 0, NULL},
    {"1:2:3:4:5:6:7:8::", 0, 0, NULL},
    {"::1:2:3:4:5:6:7:8", 0, 0, NULL},
    {"1:2:3:4:5:6:7", 0, 0, NULL},
    {"g::1", 0, 0, NULL},
    {"[::1]", 0, 0, NULL},
    {"::1/128", 0, 0, NULL},
    {"2001:db8::1 ", 0, 0, NULL},
};

/* Copy s to the very end of a page followed by an inaccessible page: a read
 * past len faults (picohttpparser's test trick). */
static char *guard_page;
static long page_size;

static const char *at_guard(const char *s, size_t len)
{
    if (!guard_page) {
        page_size = sysconf(_SC_PAGESIZE);
        guard_page = mmap(NULL, (size_t)page_size * 2, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        assert_true(guard_page != MAP_FAILED);
        assert_int_equal(mprotect(guard_page + page_size, (size_t)page_size, PROT_NONE), 0);
    }
    char *p = guard_page + page_size - len;
    memcpy(p, s, len);
    return p;
}

static void ip_parse_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
        const struct parse_case *c = &parse_cases[i];
        size_t len = strlen(c->in);
        struct hu_ip ip;
        const char *p = at_guard(c->in, len);
        int rc = hu_ip_parse(p, len, &ip);
        if (rc != (c->ok ? HU_OK : HU_EPARSE))
            fail_msg("case %zu \"%s\": got %d", i, c->in, rc);
        if (!c->ok)
            continue;
        char s[64];
        hu_ip_str(&ip, s, sizeof s);
        if (ip.v6 != c->v6 || strcmp(s, c->canon) != 0)
            fail_msg("case \"%s\": v6=%d \"%s\", want v6=%d \"%s\"", c->in, ip.v6, s, c->v6,
                     c->canon);
        if (!ip.v6)
            for (int k = 4; k < 16; k++)
                assert_int_equal(ip.bytes[k], 0);
        /* a valid address followed by more bytes, not counted in len */
        char ext[80];
        snprintf(ext, sizeof ext, "%s9:9", c->in);
        struct hu_ip ip2;
        assert_int_equal(hu_ip_parse(ext, len, &ip2), HU_OK);
        assert_memory_equal(&ip, &ip2, sizeof ip);
    }
    struct hu_ip ip;
    assert_int_equal(hu_ip_parse(NULL, 0, &ip), HU_EPARSE);
    assert_int_equal(hu_ip_parse("1.2.3.4", 7, NULL), HU_EINVAL);
    /* an embedded NUL inside len is not a terminator */
    assert_int_equal(hu_ip_parse("1.2.3.4\0", 8, &ip), HU_EPARSE);
}

/* glibc's inet_pton as the reference on random strings over the address
 * alphabet.  Known, intended differences: IPv4-mapped IPv6 becomes IPv4. */
static void ip_parse_vs_inet_pton(void **state)
{
    (void)state;
    static const char alpha[] = "0123456789abcdefABCDEF:.";
    static const char *frags[] = {"::", ":", ".", "0", "1", "255", "ffff", "db8", "1.2.3.4",
                                  "::ffff:", "256", "00", "12345", "2001"};
    int agree_ok = 0, agree_bad = 0;
    for (int iter = 0; iter < 200000; iter++) {
        char s[64];
        size_t n = 0;
        int nparts = 1 + (int)(rnd() % 10);
        for (int k = 0; k < nparts && n < 46; k++) {
            if (rnd() % 2) {
                const char *f = frags[rnd() % (sizeof frags / sizeof frags[0])];
                size_t fl = strlen(f);
                if (n + fl > 46)
                    break;
                memcpy(s + n, f, fl);
                n += fl;
            } else {
                s[n++] = alpha[rnd() % (sizeof alpha - 1)];
            }
        }
        s[n] = 0;
        struct hu_ip ip;
        int mine = hu_ip_parse(at_guard(s, n), n, &ip) == HU_OK;
        unsigned char ref[16];
        int af = strchr(s, ':') ? AF_INET6 : AF_INET;
        int theirs = inet_pton(af, s, ref) == 1;
        if (mine != theirs)
            fail_msg("\"%s\": hu_ip_parse %d, inet_pton %d", s, mine, theirs);
        if (!mine) {
            agree_bad++;
            continue;
        }
        agree_ok++;
        if (af == AF_INET) {
            assert_int_equal(ip.v6, 0);
            assert_memory_equal(ip.bytes, ref, 4);
        } else if (ip.v6) {
            assert_memory_equal(ip.bytes, ref, 16);
        } else {
            static const uint8_t mapped[12] = {0,0,0,0,0,0,0,0,0,0,0xff,0xff};
            assert_memory_equal(ref, mapped, 12);
            assert_memory_equal(ip.bytes, ref + 12, 4);
        }
    }
    /* the generator must exercise both outcomes */
    assert_true(agree_ok > 1000);
    assert_true(agree_bad > 1000);
}

/* ---- hashes and prefixes ------------------------------------------------- */

static struct hu_ip ip_of(const char *s)
{
    struct hu_ip ip;
    assert_int_equal(hu_ip_parse(s, strlen(s), &ip), HU_OK);
    return ip;
}

static void prefix_hash_groups(void **state)
{
    (void)state;
    struct hu_ip a = ip_of("203.0.113.1"), b = ip_of("203.0.113.254"), c = ip_of("203.0.114.1");
    assert_int_equal(hu_ip_prefix_hash(&a), hu_ip_prefix_hash(&b));
    assert_int_not_equal(hu_ip_prefix_hash(&a), hu_ip_prefix_hash(&c));
    assert_int_not_equal(hu_ip_hash(&a), hu_ip_hash(&b));
    struct hu_ip m = ip_of("::ffff:203.0.113.1");
    assert_int_equal(hu_ip_hash(&a), hu_ip_hash(&m));
    struct hu_ip x = ip_of("2001:db8:1:ffff::1"), y = ip_of("2001:db8:1::2"),
                 z = ip_of("2001:db8:2::1");
    assert_int_equal(hu_ip_prefix_hash(&x), hu_ip_prefix_hash(&y));
    assert_int_not_equal(hu_ip_prefix_hash(&x), hu_ip_prefix_hash(&z));
    assert_int_not_equal(hu_ip_hash(&x), hu_ip_hash(&y));
    /* an IPv4 /24 and an IPv6 /48 with the same leading bytes differ */
    struct hu_ip v4 = ip_of("32.1.13.0"), v6 = ip_of("2001:d00::");
    assert_int_not_equal(hu_ip_prefix_hash(&v4), hu_ip_prefix_hash(&v6));
    /* same /24 <=> same hash, over random pairs (exact reference: bytes) */
    for (int i = 0; i < 20000; i++) {
        struct hu_ip p = {0, {0}}, q = {0, {0}};
        uint32_t r = (uint32_t)rnd(), s = (rnd() % 2) ? r ^ (uint32_t)(rnd() % 256)
                                                      : (uint32_t)rnd();
        for (int k = 0; k < 4; k++) {
            p.bytes[k] = (uint8_t)(r >> (24 - 8 * k));
            q.bytes[k] = (uint8_t)(s >> (24 - 8 * k));
        }
        int same = (r >> 8) == (s >> 8);
        assert_int_equal(hu_ip_prefix_hash(&p) == hu_ip_prefix_hash(&q), same);
    }
}

static void prefix_strings(void **state)
{
    (void)state;
    static const char *cases[][2] = {
        {"203.0.113.77", "203.0.113.0/24"},
        {"::ffff:10.1.2.3", "10.1.2.0/24"},
        {"2001:db8:1:2:3:4:5:6", "2001:db8:1::/48"},
        {"2001:db8::1", "2001:db8::/48"},
        {"2001::1", "2001::/48"},
        {"::1", "::/48"},
        {"0:1:0:ffff::1", "0:1::/48"},
        {"abcd:ef01:2345:6789::", "abcd:ef01:2345::/48"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct hu_ip ip = ip_of(cases[i][0]);
        char buf[64];
        hu_ip_prefix_str(&ip, buf, sizeof buf);
        assert_string_equal(buf, cases[i][1]);
    }
    struct hu_ip ip = ip_of("203.0.113.77");
    char small[6];
    hu_ip_prefix_str(&ip, small, sizeof small);
    assert_string_equal(small, "203.0");          /* truncated, terminated */
    hu_ip_str(&ip, small, 1);
    assert_string_equal(small, "");
}

/* ---- CSV ASN tables ------------------------------------------------------ */

struct lookup_case {
    const char *ip;
    uint32_t asn;
    const char *org;     /* NULL: none */
    uint8_t cls;
};

static void check_lookups(const struct hu_netdb *db, const struct lookup_case *lc, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct hu_ip ip = ip_of(lc[i].ip);
        struct hu_net_info ni;
        hu_netdb_lookup(db, &ip, &ni);
        if (ni.asn != lc[i].asn)
            fail_msg("%s: asn %u, want %u", lc[i].ip, ni.asn, lc[i].asn);
        if (lc[i].org)
            assert_string_equal(ni.org ? ni.org : "(null)", lc[i].org);
        else
            assert_null(ni.org);
        if (ni.net_class != lc[i].cls)
            fail_msg("%s: class %s, want %s", lc[i].ip, hu_net_class_name(ni.net_class),
                     hu_net_class_name(lc[i].cls));
    }
}

static void csv_small(void **state)
{
    (void)state;
    struct hu_netdb *db;
    char err[256];
    assert_int_equal(hu_netdb_create(&db), HU_OK);
    assert_int_equal(hu_netdb_load_asn(db, CASES "asn_small.csv", err, sizeof err), HU_OK);
    assert_string_equal(err, "");
    static const struct lookup_case lc[] = {
        {"10.0.0.1", 64500, "Example Carrier Telecom", HU_NET_RESIDENTIAL},
        {"10.0.0.128", 64504, NULL, HU_NET_UNKNOWN},    /* narrower wins; empty org */
        {"10.0.0.191", 64504, NULL, HU_NET_UNKNOWN},
        {"10.0.0.192", 64500, "Example Carrier Telecom", HU_NET_RESIDENTIAL},
        {"10.0.1.9", 64501, "Quote \"Co\", Hosting, Inc.", HU_NET_DATACENTER},
        {"10.0.2.0", 64500, "Example Carrier Telecom", HU_NET_RESIDENTIAL},
        {"10.0.255.255", 64500, "Example Carrier Telecom", HU_NET_RESIDENTIAL},
        {"10.1.0.0", 0, NULL, HU_NET_UNKNOWN},
        {"192.0.2.127", 64502, "Plain Org Name", HU_NET_UNKNOWN},
        {"192.0.2.128", 0, NULL, HU_NET_UNKNOWN},
        {"198.51.100.200", 64503, "Big University, Dept. of CS", HU_NET_EDUCATION},
        {"2001:db8::5", 64510, "V6 Mobile Wireless", HU_NET_MOBILE},
        {"2001:db8:1:abcd::5", 64511, "DigitalOcean, LLC", HU_NET_DATACENTER},
        {"2001:db8:2::", 64510, "V6 Mobile Wireless", HU_NET_MOBILE},
        {"2001:db9::", 0, NULL, HU_NET_UNKNOWN},
        {"172.16.1.1", 64505, "Same Name", HU_NET_UNKNOWN},
        {"1.0.0.1", 13335, "Cloudflare, Inc.", HU_NET_DATACENTER},
        {"::ffff:1.0.0.1", 13335, "Cloudflare, Inc.", HU_NET_DATACENTER},
    };
    check_lookups(db, lc, sizeof lc / sizeof lc[0]);
    size_t na, no;
    hu_netdb_counts(db, &na, NULL, NULL, &no);
    assert_int_equal(na, 12);    /* 9 IPv4 pieces (two adjacent equal merged) + 3 IPv6 */
    assert_int_equal(no, 8);     /* "Same Name" interned once */

    /* a second file fills gaps only */
    assert_int_equal(hu_netdb_load_asn(db, CASES "asn_fill.csv", err, sizeof err), HU_OK);
    static const struct lookup_case lc2[] = {
        {"10.0.0.1", 64500, "Example Carrier Telecom", HU_NET_RESIDENTIAL},
        {"10.0.0.130", 64504, NULL, HU_NET_UNKNOWN},
        {"10.1.0.0", 65000, "Filler Net", HU_NET_UNKNOWN},
        {"10.255.255.255", 65000, "Filler Net", HU_NET_UNKNOWN},
        {"203.0.113.5", 65001, "Second File Org", HU_NET_UNKNOWN},
        {"2001:db8::5", 64510, "V6 Mobile Wireless", HU_NET_MOBILE},
    };
    check_lookups(db, lc2, sizeof lc2 / sizeof lc2[0]);
    hu_netdb_destroy(db);
    hu_netdb_destroy(NULL);
}

static void csv_gzip(void **state)
{
    (void)state;
    char path[256];
    tmpname(path, sizeof path, ".csv.gz");
    gzFile g = gzopen(path, "wb");
    assert_non_null(g);
    /* no header, no trailing newline */
    gzputs(g, "2001:db8::,2001:db8::ff,7,\"G, Z\"\n8.8.8.0,8.8.8.255,15169,Google LLC");
    gzclose(g);
    struct hu_netdb *db;
    char err[256];
    assert_int_equal(hu_netdb_create(&db), HU_OK);
    assert_int_equal(hu_netdb_load_asn(db, path, err, sizeof err), HU_OK);
    static const struct lookup_case lc[] = {
        {"8.8.8.8", 15169, "Google LLC", HU_NET_DATACENTER},
        {"2001:db8::80", 7, "G, Z", HU_NET_UNKNOWN},
        {"2001:db8::100", 0, NULL, HU_NET_UNKNOWN},
    };
    check_lookups(db, lc, sizeof lc / sizeof lc[0]);
    hu_netdb_destroy(db);
    unlink(path);
}

static void csv_bad_lines(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        const char *want;   /* substring of the error */
    } cases[] = {
        {CASES "asn_bad_addr.csv", "asn_bad_addr.csv:3: bad end address"},
        {CASES "asn_bad_order.csv", "asn_bad_order.csv:3: end address below start"},
        {CASES "asn_bad_quote.csv", "asn_bad_quote.csv:2: unterminated quoted field"},
        {CASES "asn_bad_asn.csv", "asn_bad_asn.csv:4: bad AS number"},
        {CASES "asn_bad_family.csv", "asn_bad_family.csv:1: start and end are of different"},
        {CASES "asn_bad_afterquote.csv", "asn_bad_afterquote.csv:1: text after a closing quote"},
        {CASES "no_such_file.csv", "no_such_file.csv: "},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct hu_netdb *db;
        char err[256];
        assert_int_equal(hu_netdb_create(&db), HU_OK);
        int rc = hu_netdb_load_asn(db, cases[i].file, err, sizeof err);
        assert_int_not_equal(rc, HU_OK);
        if (!strstr(err, cases[i].want))
            fail_msg("%s: error \"%s\", want \"%s\"", cases[i].file, err, cases[i].want);
        /* a failed load leaves the db usable and empty */
        size_t na;
        hu_netdb_counts(db, &na, NULL, NULL, NULL);
        assert_int_equal(na, 0);
        hu_netdb_destroy(db);
    }
    /* a line over the limit */
    char path[256];
    tmpname(path, sizeof path, ".csv");
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs("1.0.0.0,1.0.0.255,1,a\n1.0.1.0,1.0.1.255,2,\"", f);
    for (int i = 0; i < 10000; i++)
        fputc('x', f);
    fputs("\"\n", f);
    fclose(f);
    struct hu_netdb *db;
    char err[256];
    assert_int_equal(hu_netdb_create(&db), HU_OK);
    assert_int_equal(hu_netdb_load_asn(db, path, err, sizeof err), HU_ETOOBIG);
    assert_non_null(strstr(err, ":2: line too long"));
    /* an over-long address field is an error, not a truncated address */
    write_file(path, "1.0.0.0,1.0.0.255,1,a\n"
                     "fe80::1%aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,"
                     "fe80::2,2,b\n");
    assert_int_equal(hu_netdb_load_asn(db, path, err, sizeof err), HU_EPARSE);
    assert_non_null(strstr(err, ":2: bad start address"));
    /* a binary file is refused, not misread */
    write_file(path, "1.0.0.0,1.0.0.255,1,a\n\x01\x02\x00\x03,zz\n");
    assert_int_equal(hu_netdb_load_asn(db, path, err, sizeof err), HU_EPARSE);
    assert_non_null(strstr(err, ":2: "));
    hu_netdb_destroy(db);
    unlink(path);
}

/* Random overlapping ranges over a small space, in several files: the
 * table must give every address the value of the best covering range by
 * (file, width, line) -- computed here by brute force. */
struct rr {
    uint32_t lo, hi, asn;
};

static void csv_overlap_vs_reference(void **state)
{
    (void)state;
    enum { SPACE = 2048, BASE = 0x0a000000 };
    for (int round = 0; round < 25; round++) {
        int nfiles = 1 + (int)(rnd() % 3);
        struct rr ranges[3][40];
        int nr[3];
        char paths[3][256];
        struct hu_netdb *db;
        char err[256];
        assert_int_equal(hu_netdb_create(&db), HU_OK);
        for (int fi = 0; fi < nfiles; fi++) {
            nr[fi] = 1 + (int)(rnd() % 40);
            tmpname(paths[fi], sizeof paths[fi], ".csv");
            FILE *f = fopen(paths[fi], "wb");
            assert_non_null(f);
            for (int k = 0; k < nr[fi]; k++) {
                uint32_t a = (uint32_t)(rnd() % SPACE);
                uint32_t w = (uint32_t)(rnd() % (rnd() % 2 ? 16 : SPACE / 2));
                uint32_t b = a + w < SPACE ? a + w : SPACE - 1;
                uint32_t asn = 1 + (uint32_t)(rnd() % 6);   /* repeats: tests merging */
                ranges[fi][k] = (struct rr){a, b, asn};
                uint32_t A = BASE + a, B = BASE + b;
                fprintf(f, "%u.%u.%u.%u,%u.%u.%u.%u,%u,Org %u\n", A >> 24, (A >> 16) & 255,
                        (A >> 8) & 255, A & 255, B >> 24, (B >> 16) & 255, (B >> 8) & 255,
                        B & 255, asn, asn);
            }
            fclose(f);
            assert_int_equal(hu_netdb_load_asn(db, paths[fi], err, sizeof err), HU_OK);
        }
        for (uint32_t x = 0; x < SPACE + 8; x++) {
            uint32_t want = 0;
            for (int fi = 0; fi < nfiles && !want; fi++) {
                int best = -1;
                for (int k = 0; k < nr[fi]; k++) {
                    const struct rr *r = &ranges[fi][k];
                    if (x < r->lo || x > r->hi)
                        continue;
                    if (best < 0 || r->hi - r->lo < ranges[fi][best].hi - ranges[fi][best].lo)
                        best = k;
                }
                if (best >= 0)
                    want = ranges[fi][best].asn;
            }
            uint32_t X = BASE + x;
            struct hu_ip ip = {0, {(uint8_t)(X >> 24), (uint8_t)(X >> 16), (uint8_t)(X >> 8),
                                   (uint8_t)X}};
            struct hu_net_info ni;
            hu_netdb_lookup(db, &ip, &ni);
            if (ni.asn != want)
                fail_msg("round %d addr +%u: asn %u, want %u", round, x, ni.asn, want);
            if (want) {
                char o[32];
                snprintf(o, sizeof o, "Org %u", want);
                assert_string_equal(ni.org, o);
            }
        }
        hu_netdb_destroy(db);
        for (int fi = 0; fi < nfiles; fi++)
            unlink(paths[fi]);
    }
}

/* ---- CIDR lists and geo CSV ---------------------------------------------- */

static void cidr_lists(void **state)
{
    (void)state;
    struct hu_netdb *db;
    char err[256];
    assert_int_equal(hu_netdb_create(&db), HU_OK);
    assert_int_equal(hu_netdb_load_asn(db, CASES "asn_small.csv", err, sizeof err), HU_OK);
    assert_int_equal(hu_netdb_load_cidr(db, CASES "cidr_small.txt", err, sizeof err), HU_OK);
    assert_int_equal(hu_netdb_load_cidr(db, CASES "cidr_noclass.txt", err, sizeof err), HU_OK);
    static const struct {
        const char *ip;
        uint8_t cls;
    } cases[] = {
        {"203.0.113.1", HU_NET_DATACENTER},
        {"203.0.113.64", HU_NET_PROXY},      /* narrower prefix wins */
        {"203.0.113.127", HU_NET_PROXY},
        {"203.0.113.128", HU_NET_DATACENTER},
        {"10.1.0.0", HU_NET_RESIDENTIAL},    /* host bits of 10.1.2.3/16 ignored */
        {"10.1.255.255", HU_NET_RESIDENTIAL},
        {"10.0.0.1", HU_NET_RESIDENTIAL},    /* from the AS name (telecom) */
        {"198.51.100.7", HU_NET_PROXY},      /* bare address, no class */
        {"198.51.100.8", HU_NET_EDUCATION},  /* AS name: university */
        {"2001:db8:1:ffff::1", HU_NET_PROXY},/* vpn -> proxy, over the AS's datacenter */
        {"192.0.2.1", HU_NET_EDUCATION},
        {"100.127.255.255", HU_NET_MOBILE},
        {"198.19.0.1", HU_NET_PROXY},        /* list without a class column */
        {"2001:db8:2::1", HU_NET_PROXY},
        {"8.8.8.8", HU_NET_UNKNOWN},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct hu_ip ip = ip_of(cases[i].ip);
        struct hu_net_info ni;
        hu_netdb_lookup(db, &ip, &ni);
        if (ni.net_class != cases[i].cls)
            fail_msg("%s: %s, want %s", cases[i].ip, hu_net_class_name(ni.net_class),
                     hu_net_class_name(cases[i].cls));
    }
    assert_int_equal(hu_netdb_load_cidr(db, CASES "cidr_bad_class.txt", err, sizeof err), HU_EPARSE);
    assert_non_null(strstr(err, "cidr_bad_class.txt:3: unknown class"));
    char path[256];
    tmpname(path, sizeof path, ".txt");
    static const char *bad[] = {"1.2.3.0/33\n", "1.2.3.0/\n", "::/129\n", "1.2.3.0/2x\n",
                                "::ffff:1.2.3.0/64\n", "x.y\n1.2.3.4\n"};
    static const int bad_line[] = {1, 1, 1, 1, 1, 1};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_file(path, bad[i]);
        int rc = hu_netdb_load_cidr(db, path, err, sizeof err);
        if (i == 5) {           /* "x.y" on line 1 is a header */
            assert_int_equal(rc, HU_OK);
            continue;
        }
        assert_int_equal(rc, HU_EPARSE);
        char want[16];
        snprintf(want, sizeof want, ":%d: bad CIDR", bad_line[i]);
        assert_non_null(strstr(err, want));
    }
    write_file(path, "::ffff:5.6.7.0/120,datacenter\n0.0.0.0/0,residential\n");
    assert_int_equal(hu_netdb_load_cidr(db, path, err, sizeof err), HU_OK);
    struct hu_ip ip = ip_of("5.6.7.8");
    struct hu_net_info ni;
    hu_netdb_lookup(db, &ip, &ni);
    assert_int_equal(ni.net_class, HU_NET_DATACENTER);
    ip = ip_of("8.8.8.8");                    /* 0.0.0.0/0 fills every gap */
    hu_netdb_lookup(db, &ip, &ni);
    assert_int_equal(ni.net_class, HU_NET_RESIDENTIAL);
    ip = ip_of("203.0.113.64");               /* ...but earlier lists win */
    hu_netdb_lookup(db, &ip, &ni);
    assert_int_equal(ni.net_class, HU_NET_PROXY);
    unlink(path);
    hu_netdb_destroy(db);
}

static void geo_csv(void **state)
{
    (void)state;
    struct hu_netdb *db;
    char err[256];
    assert_int_equal(hu_netdb_create(&db), HU_OK);
    assert_int_equal(hu_netdb_load_geo(db, CASES "geo_small.csv", err, sizeof err), HU_OK);
    struct hu_net_info ni;
    struct hu_ip ip = ip_of("10.0.3.4");
    hu_netdb_lookup(db, &ip, &ni);
    assert_memory_equal(ni.country, "NL", 2);
    assert_int_equal(ni.asn, 0);
    ip = ip_of("2001:db8:5::1");
    hu_netdb_lookup(db, &ip, &ni);
    assert_memory_equal(ni.country, "JP", 2);
    ip = ip_of("192.0.2.1");                  /* "--": unknown */
    hu_netdb_lookup(db, &ip, &ni);
    assert_int_equal(ni.country[0], 0);
    assert_int_equal(ni.country[1], 0);
    hu_netdb_destroy(db);
    /* no database at all: zeros */
    hu_netdb_lookup(NULL, &ip, &ni);
    assert_int_equal(ni.asn, 0);
    assert_null(ni.org);
}

/* ---- a small MaxMind DB writer (test only) ------------------------------- */

struct mmw {
    int64_t (*rec)[2];     /* per node: >= 0 node, -1 empty, <= -2: data id -(id + 2) */
    int n, cap;
    uint8_t data[4096];
    size_t dlen;
    size_t doff[16];       /* offset of data id */
};

static int mmw_node(struct mmw *w)
{
    if (w->n == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 256;
        w->rec = realloc(w->rec, (size_t)w->cap * sizeof *w->rec);
        assert_non_null(w->rec);
    }
    w->rec[w->n][0] = w->rec[w->n][1] = -1;
    return w->n++;
}

/* Set the record at prefix/plen (IPv6 bits) to `value` (node or data). */
static void mmw_set(struct mmw *w, const uint8_t pfx[16], int plen, int64_t value)
{
    int node = 0;
    for (int d = 0; d < plen; d++) {
        int bit = (pfx[d / 8] >> (7 - d % 8)) & 1;
        if (d == plen - 1) {
            w->rec[node][bit] = value;
            return;
        }
        if (w->rec[node][bit] < 0) {
            int nn = mmw_node(w);
            w->rec[node][bit] = nn;
        }
        node = (int)w->rec[node][bit];
    }
}

static int mmw_find(struct mmw *w, const uint8_t pfx[16], int depth)
{
    int node = 0;
    for (int d = 0; d < depth; d++)
        node = (int)w->rec[node][(pfx[d / 8] >> (7 - d % 8)) & 1];
    return node;
}

static void put8(uint8_t *b, size_t *n, uint8_t v)
{
    b[(*n)++] = v;
}

static void enc_str(uint8_t *b, size_t *n, const char *s)
{
    size_t l = strlen(s);
    if (l < 29) {
        put8(b, n, (uint8_t)(2 << 5 | l));
    } else {                    /* sizes 29..284: one extra size byte */
        put8(b, n, (uint8_t)(2 << 5 | 29));
        put8(b, n, (uint8_t)(l - 29));
    }
    memcpy(b + *n, s, l);
    *n += l;
}

static void enc_uint(uint8_t *b, size_t *n, int type, uint64_t v)
{
    int bytes = 0;
    for (uint64_t t = v; t; t >>= 8)
        bytes++;
    if (type <= 7) {
        put8(b, n, (uint8_t)(type << 5 | bytes));
    } else {
        put8(b, n, (uint8_t)bytes);
        put8(b, n, (uint8_t)(type - 7));
    }
    for (int i = bytes - 1; i >= 0; i--)
        put8(b, n, (uint8_t)(v >> (8 * i)));
}

static void enc_map(uint8_t *b, size_t *n, int pairs)
{
    put8(b, n, (uint8_t)(7 << 5 | pairs));
}

/* Write a small .mmdb (IPv6 tree with IPv4 under ::/96 and an alias, or
 * an IPv4-only tree); asserts on failure. */
static void mmdb_write(const char *path, int ip_version)
{
    struct mmw w = {0};
    mmw_node(&w);
    /* data 0: Google (asn, org) */
    w.doff[0] = w.dlen;
    enc_map(w.data, &w.dlen, 2);
    enc_str(w.data, &w.dlen, "autonomous_system_number");
    enc_uint(w.data, &w.dlen, 6, 15169);
    enc_str(w.data, &w.dlen, "autonomous_system_organization");
    enc_str(w.data, &w.dlen, "Google LLC");
    /* data 1: Cloudflare with a MaxMind-style country map */
    w.doff[1] = w.dlen;
    enc_map(w.data, &w.dlen, 3);
    enc_str(w.data, &w.dlen, "autonomous_system_number");
    enc_uint(w.data, &w.dlen, 6, 13335);
    enc_str(w.data, &w.dlen, "autonomous_system_organization");
    enc_str(w.data, &w.dlen, "Cloudflare, Inc.");
    enc_str(w.data, &w.dlen, "country");
    enc_map(w.data, &w.dlen, 1);
    enc_str(w.data, &w.dlen, "iso_code");
    enc_str(w.data, &w.dlen, "AU");
    /* data 2: a record with neither key (ignored) */
    w.doff[2] = w.dlen;
    enc_map(w.data, &w.dlen, 1);
    enc_str(w.data, &w.dlen, "other");
    enc_str(w.data, &w.dlen, "x");

    uint8_t p[16] = {0};
    if (ip_version == 4) {
        p[0] = 8; p[1] = 8; p[2] = 8;                  /* 8.8.8.0/24 */
        mmw_set(&w, p, 24, -2 - 0);
        memset(p, 0, 16);
        p[0] = 1;                                      /* 1.0.0.0/24 */
        mmw_set(&w, p, 24, -2 - 1);
        memset(p, 0, 16);
        p[0] = 9;                                      /* 9.0.0.0/8 */
        mmw_set(&w, p, 8, -2 - 2);
        memset(p, 0, 16);
        p[0] = 255; p[1] = 255; p[2] = 255; p[3] = 255; /* 255.255.255.255/32 */
        mmw_set(&w, p, 32, -2 - 0);
        goto write;
    }
    p[12] = 8; p[13] = 8; p[14] = 8;                   /* ::8.8.8.0/120 */
    mmw_set(&w, p, 120, -2 - 0);
    memset(p, 0, 16);
    p[12] = 1;                                         /* ::1.0.0.0/120 */
    mmw_set(&w, p, 120, -2 - 1);
    memset(p, 0, 16);
    p[12] = 9;                                         /* ::9.0.0.0/104 */
    mmw_set(&w, p, 104, -2 - 2);
    memset(p, 0, 16);
    p[0] = 0x20; p[1] = 0x01; p[2] = 0x48; p[3] = 0x60; /* 2001:4860::/32 */
    mmw_set(&w, p, 32, -2 - 0);
    /* alias ::ffff:0:0/96 -> the IPv4 subtree, as MaxMind's writer does */
    memset(p, 0, 16);
    int v4start = mmw_find(&w, p, 96);
    p[10] = p[11] = 0xff;
    mmw_set(&w, p, 96, v4start);

write:;
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    for (int i = 0; i < w.n; i++) {
        for (int k = 0; k < 2; k++) {
            int64_t r = w.rec[i][k];
            uint32_t v = r >= 0 ? (uint32_t)r
                       : r == -1 ? (uint32_t)w.n
                                 : (uint32_t)(w.n + 16 + w.doff[-r - 2]);
            fputc((int)(v >> 16) & 255, f);
            fputc((int)(v >> 8) & 255, f);
            fputc((int)v & 255, f);
        }
    }
    for (int i = 0; i < 16; i++)
        fputc(0, f);
    fwrite(w.data, 1, w.dlen, f);
    fwrite("\xab\xcd\xefMaxMind.com", 1, 14, f);
    uint8_t m[512];
    size_t mn = 0;
    enc_map(m, &mn, 9);
    enc_str(m, &mn, "node_count");
    enc_uint(m, &mn, 6, (uint64_t)w.n);
    enc_str(m, &mn, "record_size");
    enc_uint(m, &mn, 5, 24);
    enc_str(m, &mn, "ip_version");
    enc_uint(m, &mn, 5, (uint64_t)ip_version);
    enc_str(m, &mn, "database_type");
    enc_str(m, &mn, "huella-test-asn");
    enc_str(m, &mn, "languages");
    put8(m, &mn, 0);            /* array (extended type 11), 0 items */
    put8(m, &mn, 4);
    enc_str(m, &mn, "binary_format_major_version");
    enc_uint(m, &mn, 5, 2);
    enc_str(m, &mn, "binary_format_minor_version");
    enc_uint(m, &mn, 5, 0);
    enc_str(m, &mn, "build_epoch");
    enc_uint(m, &mn, 9, 1700000000);
    enc_str(m, &mn, "description");
    enc_map(m, &mn, 0);
    fwrite(m, 1, mn, f);
    fclose(f);
    free(w.rec);
}

static void mmdb_asn_generated(void **state)
{
    (void)state;
    char path[256];
    tmpname(path, sizeof path, ".mmdb");
    mmdb_write(path, 6);
    /* the writer itself, checked by libmaxminddb */
    MMDB_s mm;
    assert_int_equal(MMDB_open(path, MMDB_MODE_MMAP, &mm), MMDB_SUCCESS);
    int ge, me;
    MMDB_lookup_result_s r = MMDB_lookup_string(&mm, "8.8.8.8", &ge, &me);
    assert_true(r.found_entry);
    MMDB_close(&mm);

    struct hu_netdb *db;
    char err[256];
    assert_int_equal(hu_netdb_create(&db), HU_OK);
    assert_int_equal(hu_netdb_load_asn(db, path, err, sizeof err), HU_OK);
    static const struct lookup_case lc[] = {
        {"8.8.8.8", 15169, "Google LLC", HU_NET_DATACENTER},
        {"::ffff:8.8.8.200", 15169, "Google LLC", HU_NET_DATACENTER},
        {"8.8.9.0", 0, NULL, HU_NET_UNKNOWN},
        {"1.0.0.1", 13335, "Cloudflare, Inc.", HU_NET_DATACENTER},
        {"9.9.9.9", 0, NULL, HU_NET_UNKNOWN},
        {"2001:4860:4860::8888", 15169, "Google LLC", HU_NET_DATACENTER},
        {"2001:4861::", 0, NULL, HU_NET_UNKNOWN},
    };
    check_lookups(db, lc, sizeof lc / sizeof lc[0]);
    struct hu_net_info ni;
    struct hu_ip ip = ip_of("1.0.0.1");
    hu_netdb_lookup(db, &ip, &ni);
    assert_memory_equal(ni.country, "AU", 2);   /* the ASN db carries country */
    size_t na, no;
    hu_netdb_counts(db, &na, NULL, NULL, &no);
    assert_int_equal(na, 3);   /* two IPv4 ranges, one IPv6; the alias adds none */
    assert_int_equal(no, 2);
    /* a CSV loaded after the mmdb only fills its gaps */
    assert_int_equal(hu_netdb_load_asn(db, CASES "asn_small.csv", err, sizeof err), HU_OK);
    static const struct lookup_case lc2[] = {
        {"1.0.0.1", 13335, "Cloudflare, Inc.", HU_NET_DATACENTER},
        {"10.0.0.1", 64500, "Example Carrier Telecom", HU_NET_RESIDENTIAL},
        {"8.8.8.8", 15169, "Google LLC", HU_NET_DATACENTER},
    };
    check_lookups(db, lc2, sizeof lc2 / sizeof lc2[0]);
    hu_netdb_destroy(db);

    /* the same file without the .mmdb extension is still recognised */
    char path2[256];
    tmpname(path2, sizeof path2, ".db");
    assert_int_equal(rename(path, path2), 0);
    assert_int_equal(hu_netdb_create(&db), HU_OK);
    assert_int_equal(hu_netdb_load_asn(db, path2, err, sizeof err), HU_OK);
    check_lookups(db, lc, 2);
    hu_netdb_destroy(db);
    /* a truncated .mmdb is an error naming the file */
    write_file(path, "not a maxmind db");
    assert_int_equal(hu_netdb_create(&db), HU_OK);
    assert_int_not_equal(hu_netdb_load_asn(db, path, err, sizeof err), HU_OK);
    assert_non_null(strstr(err, path));
    hu_netdb_destroy(db);
    unlink(path);
    unlink(path2);
}

static void mmdb_ipv4_tree(void **state)
{
    (void)state;
    char path[256];
    tmpname(path, sizeof path, ".mmdb");
    mmdb_write(path, 4);
    struct hu_netdb *db;
    char err[256];
    assert_int_equal(hu_netdb_create(&db), HU_OK);
    assert_int_equal(hu_netdb_load_asn(db, path, err, sizeof err), HU_OK);
    static const struct lookup_case lc[] = {
        {"8.8.8.8", 15169, "Google LLC", HU_NET_DATACENTER},
        {"8.8.7.255", 0, NULL, HU_NET_UNKNOWN},
        {"1.0.0.255", 13335, "Cloudflare, Inc.", HU_NET_DATACENTER},
        {"255.255.255.255", 15169, "Google LLC", HU_NET_DATACENTER},
        {"255.255.255.254", 0, NULL, HU_NET_UNKNOWN},
        {"9.1.2.3", 0, NULL, HU_NET_UNKNOWN},
        {"2001:4860::1", 0, NULL, HU_NET_UNKNOWN},
    };
    check_lookups(db, lc, sizeof lc / sizeof lc[0]);
    size_t na;
    hu_netdb_counts(db, &na, NULL, NULL, NULL);
    assert_int_equal(na, 3);
    hu_netdb_destroy(db);
    unlink(path);
}

/* Failing each allocation in turn: every load either succeeds or returns
 * a status, never crashes or leaks (ASan checks the leaks). */
static void load_alloc_failures(void **state)
{
    (void)state;
    char path[256];
    tmpname(path, sizeof path, ".mmdb");
    mmdb_write(path, 6);
    int succeeded = 0;
    for (long n = 0; n < 400 && !succeeded; n++) {
        struct hu_netdb *db = NULL;
        char err[256];
        hu_alloc_fail_after(n);
        int rc = hu_netdb_create(&db);
        if (rc == HU_OK) {
            int a = hu_netdb_load_asn(db, CASES "asn_small.csv", err, sizeof err);
            int b = hu_netdb_load_cidr(db, CASES "cidr_small.txt", err, sizeof err);
            int c = hu_netdb_load_asn(db, path, err, sizeof err);
            int d = hu_netdb_load_geo(db, CASES "geo_small.csv", err, sizeof err);
            succeeded = a == HU_OK && b == HU_OK && c == HU_OK && d == HU_OK;
            struct hu_ip ip = ip_of("10.0.0.1");
            struct hu_net_info ni;
            hu_netdb_lookup(db, &ip, &ni);   /* whatever loaded must be consistent */
        }
        hu_alloc_fail_after(-1);
        hu_netdb_destroy(db);
    }
    assert_true(succeeded);
    unlink(path);
}

/* Random bytes and mangled lines: every load either succeeds or names a
 * line, and never crashes (ASan/UBSan run this too). */
static void loaders_on_garbage(void **state)
{
    (void)state;
    static const char *pieces[] = {
        "1.0.0.0", "1.0.0.255", "2001:db8::", "2001:db8::ff", ",", ",", "\"", "\"\"", "AS",
        "13335", "4294967296", "\n", "\r\n", "#", "/24", "/", "datacenter", "proxy", " ",
        "::ffff:1.2.3.4", "x", "\t", "999.1.1.1",
    };
    char path[256];
    tmpname(path, sizeof path, ".csv");
    int ok = 0, bad = 0;
    for (int iter = 0; iter < 400; iter++) {
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        int n = (int)(rnd() % 60);
        for (int k = 0; k < n; k++) {
            if (rnd() % 8 == 0)
                fputc((int)(rnd() & 0xff), f);
            else
                fputs(pieces[rnd() % (sizeof pieces / sizeof pieces[0])], f);
        }
        fclose(f);
        struct hu_netdb *db;
        char err[3][256];
        int rcs[3];
        assert_int_equal(hu_netdb_create(&db), HU_OK);
        rcs[0] = hu_netdb_load_asn(db, path, err[0], sizeof err[0]);
        rcs[1] = hu_netdb_load_cidr(db, path, err[1], sizeof err[1]);
        rcs[2] = hu_netdb_load_geo(db, path, err[2], sizeof err[2]);
        for (int k = 0; k < 3; k++) {
            if (rcs[k] == HU_OK) {
                ok++;
                assert_string_equal(err[k], "");
            } else {
                bad++;
                if (!strstr(err[k], path))
                    fail_msg("loader %d rc %d err \"%s\"", k, rcs[k], err[k]);
            }
        }
        struct hu_ip ip = ip_of("1.0.0.7");
        struct hu_net_info ni;
        hu_netdb_lookup(db, &ip, &ni);
        hu_netdb_destroy(db);
    }
    assert_true(ok > 0);
    assert_true(bad > 0);
    unlink(path);
}

/* ---- real data ----------------------------------------------------------- */

/* Every 97th row of a real CSV: its start and end addresses must look up
 * to its AS number (the files have no overlaps, so every row survives the
 * merge intact).  Returns the rows checked. */
static int check_rows(const struct hu_netdb *db, const char *path)
{
    gzFile g = gzopen(path, "rb");
    assert_non_null(g);
    char line[1024];
    int n = 0, checked = 0;
    while (gzgets(g, line, sizeof line)) {
        if (n++ % 97 != 0)
            continue;
        char *c1 = strchr(line, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL,
             *c3 = c2 ? strchr(c2 + 1, ',') : NULL;
        assert_non_null(c3);
        struct hu_ip a, b;
        assert_int_equal(hu_ip_parse(line, (size_t)(c1 - line), &a), HU_OK);
        assert_int_equal(hu_ip_parse(c1 + 1, (size_t)(c2 - c1 - 1), &b), HU_OK);
        uint32_t asn = (uint32_t)strtoul(c2 + 1, NULL, 10);
        struct hu_net_info na, nb;
        hu_netdb_lookup(db, &a, &na);
        hu_netdb_lookup(db, &b, &nb);
        if (na.asn != asn || nb.asn != asn)
            fail_msg("%s row %d: asn %u / %u, want %u", path, n, na.asn, nb.asn, asn);
        assert_non_null(na.org);
        checked++;
    }
    gzclose(g);
    return checked;
}

static void real_asn_csv(void **state)
{
    (void)state;
    if (!file_exists(REAL "asn-ipv4.csv.gz")) {
        skip();
        return;
    }
    struct hu_netdb *db;
    char err[256];
    assert_int_equal(hu_netdb_create(&db), HU_OK);
    assert_int_equal(hu_netdb_load_asn(db, REAL "asn-ipv4.csv.gz", err, sizeof err), HU_OK);
    static const struct lookup_case lc[] = {
        {"1.0.0.1", 13335, "Cloudflare, Inc.", HU_NET_DATACENTER},
        {"1.1.1.1", 13335, "Cloudflare, Inc.", HU_NET_DATACENTER},
        {"8.8.8.8", 15169, "Google LLC", HU_NET_DATACENTER},
    };
    check_lookups(db, lc, sizeof lc / sizeof lc[0]);
    size_t na, no;
    hu_netdb_counts(db, &na, NULL, NULL, &no);
    assert_true(na > 300000);
    assert_true(no > 10000);
    if (file_exists(REAL "asn-ipv6.csv.gz")) {
        assert_int_equal(hu_netdb_load_asn(db, REAL "asn-ipv6.csv.gz", err, sizeof err), HU_OK);
        struct hu_ip ip = ip_of("2001:4860:4860::8888");
        struct hu_net_info ni;
        hu_netdb_lookup(db, &ip, &ni);
        assert_int_equal(ni.asn, 15169);
        ip = ip_of("2606:4700:4700::1111");
        hu_netdb_lookup(db, &ip, &ni);
        assert_int_equal(ni.asn, 13335);
        check_lookups(db, lc, sizeof lc / sizeof lc[0]);   /* IPv4 untouched */
        assert_true(check_rows(db, REAL "asn-ipv6.csv.gz") > 1000);
    }
    assert_true(check_rows(db, REAL "asn-ipv4.csv.gz") > 4000);
    hu_netdb_destroy(db);
}

/* Our table built from the .mmdb against libmaxminddb's lookup, on random
 * IPv4 and IPv6 addresses. */
static void real_mmdb_vs_libmaxminddb(void **state)
{
    (void)state;
    const char *path = REAL "iptoasn-country.mmdb";
    if (!file_exists(path)) {
        skip();
        return;
    }
    struct hu_netdb *db;
    char err[256];
    assert_int_equal(hu_netdb_create(&db), HU_OK);
    assert_int_equal(hu_netdb_load_geo(db, path, err, sizeof err), HU_OK);
    struct hu_net_info ni;
    struct hu_ip ip = ip_of("8.8.8.8");
    hu_netdb_lookup(db, &ip, &ni);
    assert_memory_equal(ni.country, "US", 2);
    ip = ip_of("81.2.69.160");
    hu_netdb_lookup(db, &ip, &ni);
    assert_memory_equal(ni.country, "GB", 2);
    ip = ip_of("10.0.0.1");
    hu_netdb_lookup(db, &ip, &ni);
    assert_int_equal(ni.country[0], 0);

    MMDB_s mm;
    assert_int_equal(MMDB_open(path, MMDB_MODE_MMAP, &mm), MMDB_SUCCESS);
    int found = 0;
    for (int i = 0; i < 60000; i++) {
        struct sockaddr_storage ss;
        memset(&ss, 0, sizeof ss);
        memset(&ip, 0, sizeof ip);
        if (i % 2 == 0) {
            struct sockaddr_in *sa = (struct sockaddr_in *)&ss;
            sa->sin_family = AF_INET;
            uint32_t a = (uint32_t)rnd();
            for (int k = 0; k < 4; k++)
                ip.bytes[k] = (uint8_t)(a >> (24 - 8 * k));
            memcpy(&sa->sin_addr, ip.bytes, 4);
        } else {
            struct sockaddr_in6 *sa = (struct sockaddr_in6 *)&ss;
            sa->sin6_family = AF_INET6;
            ip.v6 = 1;
            uint64_t a = rnd(), b = rnd();
            static const uint8_t tops[] = {0x20, 0x24, 0x26, 0x2a, 0x28, 0x2c, 0x24};
            a = (a & 0x00ffffffffffffffull) | (uint64_t)tops[rnd() % sizeof tops] << 56;
            if (i % 6 == 1)   /* dense part: 2001:0db8.. / 2400:: etc. */
                a &= 0xffff0fffffffffffull;
            for (int k = 0; k < 8; k++) {
                ip.bytes[k] = (uint8_t)(a >> (56 - 8 * k));
                ip.bytes[8 + k] = (uint8_t)(b >> (56 - 8 * k));
            }
            memcpy(&sa->sin6_addr, ip.bytes, 16);
        }
        int e;
        MMDB_lookup_result_s r = MMDB_lookup_sockaddr(&mm, (struct sockaddr *)&ss, &e);
        assert_int_equal(e, MMDB_SUCCESS);
        char want[2] = {0, 0};
        if (r.found_entry) {
            MMDB_entry_data_s d;
            if (MMDB_get_value(&r.entry, &d, "country_code", NULL) == MMDB_SUCCESS &&
                d.has_data && d.data_size == 2) {
                want[0] = d.utf8_string[0];
                want[1] = d.utf8_string[1];
                found++;
            }
        }
        hu_netdb_lookup(db, &ip, &ni);
        if (memcmp(ni.country, want, 2) != 0) {
            char s[64];
            hu_ip_str(&ip, s, sizeof s);
            fail_msg("%s: country '%.2s', libmaxminddb '%.2s'", s, ni.country, want);
        }
    }
    assert_true(found > 10000);
    MMDB_close(&mm);

    /* the country db given as --asn: country comes from it, asn stays 0 */
    struct hu_netdb *db2;
    assert_int_equal(hu_netdb_create(&db2), HU_OK);
    assert_int_equal(hu_netdb_load_asn(db2, path, err, sizeof err), HU_OK);
    ip = ip_of("8.8.8.8");
    hu_netdb_lookup(db2, &ip, &ni);
    assert_memory_equal(ni.country, "US", 2);
    assert_int_equal(ni.asn, 0);
    hu_netdb_destroy(db2);
    hu_netdb_destroy(db);
}

/* ---- classes and user agents --------------------------------------------- */

static void class_heuristic(void **state)
{
    (void)state;
    static const struct {
        const char *org;
        uint8_t cls;
    } cases[] = {
        {"Amazon.com, Inc.", HU_NET_DATACENTER},
        {"AMAZON-02", HU_NET_DATACENTER},
        {"Google LLC", HU_NET_DATACENTER},
        {"Google Fiber Inc.", HU_NET_RESIDENTIAL},
        {"Microsoft Corporation", HU_NET_DATACENTER},
        {"DigitalOcean, LLC", HU_NET_DATACENTER},
        {"OVH SAS", HU_NET_DATACENTER},
        {"Hetzner Online GmbH", HU_NET_DATACENTER},
        {"Hangzhou Alibaba Advertising Co.,Ltd.", HU_NET_DATACENTER},
        {"Shenzhen Tencent Computer Systems Company Limited", HU_NET_DATACENTER},
        {"Akamai Connected Cloud", HU_NET_DATACENTER},
        {"The Constant Company, LLC", HU_NET_DATACENTER},
        {"Some Web Hosting Ltd", HU_NET_DATACENTER},
        {"Massachusetts Institute of Technology", HU_NET_EDUCATION},
        {"Stanford University", HU_NET_EDUCATION},
        {"Universidad de Chile", HU_NET_EDUCATION},
        {"Boston College", HU_NET_EDUCATION},
        {"CERNET EDU network", HU_NET_EDUCATION},
        {"T-Mobile USA, Inc.", HU_NET_MOBILE},
        {"Verizon Wireless", HU_NET_MOBILE},
        {"China Mobile communications corporation", HU_NET_MOBILE},
        {"Deutsche Telekom AG", HU_NET_RESIDENTIAL},
        {"China Telecom", HU_NET_RESIDENTIAL},
        {"Comcast Cable Communications, LLC", HU_NET_RESIDENTIAL},
        {"Reduced Cost Networks", HU_NET_UNKNOWN},    /* "edu" only as a word */
        {"Lovps Inc", HU_NET_UNKNOWN},                /* "vps" only as a word */
        {"Hurricane Electric LLC", HU_NET_UNKNOWN},
        {"", HU_NET_UNKNOWN},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t c = hu_net_class_guess(cases[i].org, strlen(cases[i].org));
        if (c != cases[i].cls)
            fail_msg("\"%s\": %s, want %s", cases[i].org, hu_net_class_name(c),
                     hu_net_class_name(cases[i].cls));
    }
    assert_int_equal(hu_net_class_guess(NULL, 5), HU_NET_UNKNOWN);
    assert_string_equal(hu_net_class_name(HU_NET_PROXY), "proxy");
    assert_string_equal(hu_net_class_name(99), "unknown");
}

static void ua_families(void **state)
{
    (void)state;
    static const char *cases[][2] = {
        {"python-httpx/0.27.0", "python-httpx/0"},
        {"python-requests/2.31.0", "python-requests/2"},
        {"Python/3.11 aiohttp/3.9.1", "aiohttp/3"},
        {"OpenAI/Python 1.35.0", "openai-python/1"},
        {"AsyncOpenAI/Python 1.35.0", "openai-python/1"},
        {"OpenAI/JS 4.52.0", "openai-js/4"},
        {"Anthropic/Python 0.34.2", "anthropic-python/0"},
        {"anthropic-typescript/0.24", "anthropic-typescript/0"},
        {"curl/8.5.0", "curl/8"},
        {"Go-http-client/1.1", "go-http-client/1"},
        {"Go-http-client/2.0", "go-http-client/2"},
        {"node-fetch/1.0 (+https://github.com/bitinn/node-fetch)", "node-fetch/1"},
        {"okhttp/4.12.0", "okhttp/4"},
        {"Dalvik/2.1.0 (Linux; U; Android 11) okhttp/4.9.0", "okhttp/4"},
        {"Java/17.0.2", "java/17"},
        {"axios/1.6.8", "axios/1"},
        {"MyScraper/v2.3-beta python-requests/2.31", "myscraper/2"},
        {"curl", "curl"},
        {"  curl/7.88.1  ", "curl/7"},
        {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/126.0.0.0 Safari/537.36", "chrome/126"},
        {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.87", "edge/126"},
        {"Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0", "firefox/127"},
        {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like "
         "Gecko) Version/17.4.1 Safari/605.1.15", "safari/17"},
        {"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
         "like Gecko) CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1", "chrome/126"},
        {"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
         "HeadlessChrome/125.0.0.0 Safari/537.36", "headlesschrome/125"},
        {"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "googlebot/2"},
        {"Mozilla/5.0", "mozilla/5"},
        {"(((", ""},
        {"", ""},
        {"   ", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[64];
        size_t len = strlen(cases[i][0]);
        uint64_t h = hu_ua_family(at_guard(cases[i][0], len), len, buf, sizeof buf);
        if (strcmp(buf, cases[i][1]) != 0)
            fail_msg("\"%s\": \"%s\", want \"%s\"", cases[i][0], buf, cases[i][1]);
        if (cases[i][1][0])
            assert_int_equal(h, hu_hash(cases[i][1], strlen(cases[i][1])));
        else
            assert_int_equal(h, 0);
    }
    /* patch versions link, majors split */
    char a[64], b[64];
    assert_int_equal(hu_ua_family("python-httpx/0.27.0", 19, a, sizeof a),
                     hu_ua_family("python-httpx/0.25.2", 19, b, sizeof b));
    assert_int_not_equal(hu_ua_family("python-httpx/0.27.0", 19, a, sizeof a),
                         hu_ua_family("python-httpx/1.0.0", 18, b, sizeof b));
    /* small buffers truncate, stay terminated */
    char s[6];
    hu_ua_family("python-httpx/0.27.0", 19, s, sizeof s);
    assert_string_equal(s, "pytho");
    /* random bytes never crash and always terminate */
    for (int i = 0; i < 20000; i++) {
        char in[96];
        size_t n = rnd() % sizeof in;
        for (size_t k = 0; k < n; k++)
            in[k] = (char)("Mozilla/5.0 ();,Chrome/Safari/Version/ abc123.v-"[rnd() % 48] ^
                           (rnd() % 16 == 0 ? (int)(rnd() & 0xff) : 0));
        char out[32];
        hu_ua_family(at_guard(in, n), n, out, sizeof out);
        assert_true(strlen(out) < sizeof out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ip_parse_table),
        cmocka_unit_test(ip_parse_vs_inet_pton),
        cmocka_unit_test(prefix_hash_groups),
        cmocka_unit_test(prefix_strings),
        cmocka_unit_test(csv_small),
        cmocka_unit_test(csv_gzip),
        cmocka_unit_test(csv_bad_lines),
        cmocka_unit_test(csv_overlap_vs_reference),
        cmocka_unit_test(cidr_lists),
        cmocka_unit_test(geo_csv),
        cmocka_unit_test(mmdb_asn_generated),
        cmocka_unit_test(mmdb_ipv4_tree),
        cmocka_unit_test(load_alloc_failures),
        cmocka_unit_test(loaders_on_garbage),
        cmocka_unit_test(real_asn_csv),
        cmocka_unit_test(real_mmdb_vs_libmaxminddb),
        cmocka_unit_test(class_heuristic),
        cmocka_unit_test(ua_families),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
