/* test_stix.c -- STIX export and import: SHA-1/UUIDv5 against published
 * vectors, timestamps against gmtime, the pattern parser, the exporter's
 * privacy and determinism, and the indicator loader on good, truncated,
 * garbage and unsigned bundles. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "features/ioc.h"
#include "features/ioc_pattern.h"
#include "features/ioc_sign.h"
#include "report/stix.h"
#include "report/stix_id.h"

#include <sodium.h>

static char *slurp(const char *path, size_t *len)
{
    char *b = NULL;
    assert_int_equal(hu_ioc_read_file(path, 1u << 24, &b, len), HU_OK);
    return b;
}

static void sha1_vectors(void **state)
{
    (void)state;
    static const struct { const char *in, *hex; } v[] = {
        { "", "da39a3ee5e6b4b0d3255bfef95601890afd80709" },
        { "abc", "a9993e364706816aba3e25717850c26c9cd0d89d" },
        { "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "84983e441c3bd26ebaae4aa1f95129e5e54670f1" },
    };
    for (size_t i = 0; i < 3; i++) {
        struct hu_sha1 c;
        uint8_t d[20];
        char hex[41];
        hu_sha1_init(&c);
        /* feed one byte at a time to exercise block boundaries */
        for (size_t j = 0; j < strlen(v[i].in); j++) hu_sha1_update(&c, v[i].in + j, 1);
        hu_sha1_final(&c, d);
        for (int j = 0; j < 20; j++) snprintf(hex + 2 * j, 3, "%02x", d[j]);
        assert_string_equal(hex, v[i].hex);
    }
}

static void uuid5_vectors(void **state)
{
    (void)state;
    static const uint8_t ns_dns[16] = { 0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1,
                                        0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8 };
    static const uint8_t ns_url[16] = { 0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1,
                                        0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8 };
    char u[37];
    /* Python: uuid.uuid5(uuid.NAMESPACE_DNS, "www.example.com") */
    hu_uuid5(ns_dns, "www.example.com", 15, u);
    assert_string_equal(u, "2ed6657d-e927-568b-95e1-2665a8aea6a2");
    /* the huella namespace is derived as documented */
    const char *name = "https://huella.dev/stix/namespace";
    hu_uuid5(ns_url, name, strlen(name), u);
    assert_string_equal(u, "b52ac2ef-c32b-5c37-a72e-a1a981ef3753");
    hu_uuid5(hu_stix_ns_huella, "identity|huella", 15, u);
    assert_string_equal(u, "c6a9b8dc-6e57-5379-97c6-6ed0445812e4");
    hu_uuid5(hu_stix_ns_huella, "extension-definition|huella-fingerprint|1.0", 43, u);
    assert_string_equal(u, HU_STIX_EXT_ID + strlen("extension-definition--"));
}

static void time_matches_gmtime(void **state)
{
    (void)state;
    uint64_t s = 12345;
    for (int i = 0; i < 20000; i++) {
        s ^= s << 13; s ^= s >> 7; s ^= s << 17;
        int64_t ms = (int64_t)(s % 253402300799000ull);   /* 1970 .. 9999 */
        char t[25], ref[64];
        hu_stix_time(ms, t);
        time_t secs = (time_t)(ms / 1000);
        struct tm tm;
        gmtime_r(&secs, &tm);
        snprintf(ref, sizeof ref, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
        assert_string_equal(t, ref);
        int64_t back = -1;
        assert_int_equal(hu_stix_parse_time(t, strlen(t), &back), 0);
        assert_int_equal(back, ms);
        assert_true(hu_stix_time_is_ms(t, strlen(t)));
    }
    int64_t ms;
    assert_int_equal(hu_stix_parse_time("2026-02-11T06:30:00+02:00", 25, &ms), 0);
    char t[25];
    hu_stix_time(ms, t);
    assert_string_equal(t, "2026-02-11T04:30:00.000Z");
    static const char *bad[] = { "2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z", "2026-02-10 14:03:22",
                                 "2026-02-10T14:03:22.Z", "2026-02-10T24:00:00Z", "garbage" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(hu_stix_parse_time(bad[i], strlen(bad[i]), &ms), -1);
    assert_false(hu_stix_time_is_ms("2026-02-10T14:03:22Z", 20));
    assert_false(hu_stix_time_is_ms("2026-02-10T14:03:22.1234Z", 25));
    assert_true(hu_stix_time_is_ms("2024-02-29T14:03:22.123Z", 24));
    assert_false(hu_stix_time_is_ms("2023-02-29T14:03:22.123Z", 24));
}

static void pattern_parser(void **state)
{
    (void)state;
    struct hu_pattern *p = malloc(sizeof *p);
    char err[200];
    static const char *good[] = {
        "[ipv4-addr:value = '1.2.3.4']",
        "[ipv6-addr:value ISSUBSET '2001:db8::/32']",
        "[autonomous-system:number = 64500]",
        "[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = 'a\\'b\\\\c']",
        "[huella-fingerprint:kind = 'client_fp' AND huella-fingerprint:value = 'x']",
        "[file:hashes.'SHA-256' = 'aa'] OR [ipv4-addr:value = '1.1.1.1']",
        "([ipv4-addr:value = '1.1.1.1' OR ipv4-addr:value != '2.2.2.2'])",
        "[x:y[*].z NOT IN ('a', 'b')]",
        "[x:n >= -3.5 AND x:b = true]",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_int_equal(hu_pattern_parse(good[i], strlen(good[i]), p, err, sizeof err), HU_OK);
    assert_int_equal(hu_pattern_parse(good[3], strlen(good[3]), p, err, sizeof err), HU_OK);
    assert_int_equal(p->n, 1);
    assert_int_equal(p->cmp[0].val_len, 5);
    assert_memory_equal(p->cmp[0].val, "a'b\\c", 5);
    assert_int_equal(hu_pattern_parse(good[4], strlen(good[4]), p, err, sizeof err), HU_OK);
    assert_int_equal(p->n, 2);
    assert_true(p->cmp[1].join_and);
    static const char *bad[] = {
        "", "[", "[]", "ipv4-addr:value = '1.2.3.4'", "[ipv4-addr:value = '1.2.3.4'",
        "[ipv4-addr:value = '1.2.3.4]", "[ipv4-addr:value = 'a\\nb']", "[ipv4-addr:value == '1']",
        "[IPV4:value = '1']", "[ipv4-addr value = '1']", "[ipv4-addr:value = '1'] WITHIN 5 SECONDS",
        "[ipv4-addr:value = '1'] junk", "[a:b = 99999999999999999999]", "[a:b = ']",
        "[a:b = 'x' AND]", "((((((((((((((((([a:b = 1])))))))))))))))))",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_not_equal(hu_pattern_parse(bad[i], strlen(bad[i]), p, err, sizeof err), HU_OK);
    /* quote then parse gives the original bytes back, for random strings */
    uint64_t s = 7;
    for (int r = 0; r < 2000; r++) {
        char raw[64], q[200], pat[300];
        size_t n = (size_t)(r % 60);
        for (size_t i = 0; i < n; i++) {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            static const char alpha[] = "ab'\\ ]['\"x";
            raw[i] = alpha[s % 10];
        }
        size_t ql = hu_pattern_quote(raw, n, q, sizeof q);
        assert_true(ql < sizeof q);
        int m = snprintf(pat, sizeof pat, "[x:y = '%s']", q);
        assert_int_equal(hu_pattern_parse(pat, (size_t)m, p, err, sizeof err), HU_OK);
        assert_int_equal(p->cmp[0].val_len, n);
        assert_memory_equal(p->cmp[0].val, raw, n);
    }
    /* too long / too many */
    char *big = malloc(HU_MAX_STIX_PATTERN + 100);
    memset(big, 'a', HU_MAX_STIX_PATTERN + 99);
    memcpy(big, "[a:b = '", 8);
    memcpy(big + HU_MAX_STIX_PATTERN + 97, "']", 2);
    assert_int_equal(hu_pattern_parse(big, HU_MAX_STIX_PATTERN + 99, p, err, sizeof err), HU_ETOOBIG);
    free(big);
    free(p);
}

static int export_file(const char *path, const uint8_t *key, size_t key_len, struct hu_buf *out,
                       struct hu_stix_stats *st)
{
    size_t len;
    char *json = slurp(path, &len);
    struct hu_stix_opts o = { "Example AI", HU_TLP_AMBER, key, key_len, -1, 0.5 };
    char err[300];
    hu_buf_init(out, 1u << 26);
    int rc = hu_stix_export(json, len, &o, out, st, err, sizeof err);
    hu_free(json);
    return rc;
}

static const uint8_t KEY[] = "partners-shared-secret-2026";

static void export_is_private_and_deterministic(void **state)
{
    (void)state;
    struct hu_buf a, b;
    struct hu_stix_stats st;
    assert_int_equal(export_file("tests/cases/stix/basic/campaigns.json", NULL, 0, &a, &st), HU_OK);
    assert_int_equal(st.campaigns, 2);
    assert_int_equal(st.omitted_payment, 1);
    assert_int_equal(st.indicators, st.relationships);
    assert_true(st.redactions >= 3);
    assert_null(strstr(a.ptr, "acct-"));
    assert_null(strstr(a.ptr, "pfp-9f8e7d6c5b4a"));
    assert_null(strstr(a.ptr, "payment_hmac"));
    assert_int_equal(export_file("tests/cases/stix/basic/campaigns.json", NULL, 0, &b, &st), HU_OK);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.ptr, b.ptr, a.len);
    hu_buf_fini(&b);
    char err[300];
    assert_int_equal(hu_stix_check(a.ptr, a.len, err, sizeof err), HU_OK);
    /* with the key: the payment indicator is the HMAC, and ids do not move */
    assert_int_equal(export_file("tests/cases/stix/basic/campaigns.json", KEY, sizeof KEY - 1, &b, &st), HU_OK);
    char h[65];
    hu_keyed_hash(KEY, sizeof KEY - 1, "pfp-9f8e7d6c5b4a", 16, h);
    assert_non_null(strstr(b.ptr, h));
    assert_null(strstr(b.ptr, "pfp-9f8e7d6c5b4a"));
    assert_int_equal(st.omitted_payment, 0);
    const char *cid = strstr(a.ptr, "\"campaign--");
    assert_non_null(cid);
    char idbuf[48];
    memcpy(idbuf, cid + 1, 46);
    idbuf[46] = '\0';
    assert_non_null(strstr(b.ptr, idbuf));
    hu_buf_fini(&b);
    /* the hostile fixture: text template and malformed values are dropped */
    assert_int_equal(export_file("tests/cases/stix/hostile/campaigns.json", NULL, 0, &b, &st), HU_OK);
    assert_null(strstr(b.ptr, "reasoning step by step"));
    assert_true(st.skipped_values >= 6);
    assert_int_equal(hu_stix_check(b.ptr, b.len, err, sizeof err), HU_OK);
    hu_buf_fini(&b);
    /* the check catches what the schemas cannot */
    char *bad = hu_strndup(a.ptr, a.len);
    char *m = strstr(bad, "\"created_by_ref\":\"identity--");
    m[strlen("\"created_by_ref\":\"identity--")] ^= 1;
    assert_int_equal(hu_stix_check(bad, a.len, err, sizeof err), HU_ECORRUPT);
    assert_non_null(strstr(err, "created_by_ref"));
    hu_free(bad);
    bad = hu_strndup(a.ptr, a.len);
    m = strstr(bad, "\"valid_from\":\"2026-02-10T14:03:22.123Z\"");
    memcpy(m + strlen("\"valid_from\":\"2026-02-10T14:03:22"), ".12Z ", 5);
    assert_int_equal(hu_stix_check(bad, a.len, err, sizeof err), HU_ECORRUPT);
    hu_free(bad);
    hu_buf_fini(&a);
    /* not campaigns.json */
    struct hu_stix_opts o = { NULL, HU_TLP_RED, NULL, 0, -1, 0.5 };
    hu_buf_init(&a, 1u << 20);
    assert_int_equal(hu_stix_export("{\"a\":1}", 7, &o, &a, &st, err, sizeof err), HU_EPARSE);
    assert_int_not_equal(hu_stix_export("[{\"id\":", 7, &o, &a, &st, err, sizeof err), HU_OK);
    assert_int_equal(hu_stix_export("[{\"id\":\"C-1\"}]", 14, &o, &a, &st, err, sizeof err), HU_EPARSE);
    hu_buf_fini(&a);
}

static void loader_round_trip(void **state)
{
    (void)state;
    struct hu_buf a;
    struct hu_stix_stats st;
    assert_int_equal(export_file("tests/cases/stix/basic/campaigns.json", KEY, sizeof KEY - 1, &a, &st), HU_OK);
    struct hu_ioc_set *s;
    char err[300];
    assert_int_equal(hu_ioc_set_create(&s), HU_OK);
    assert_int_equal(hu_ioc_set_load_buf(s, a.ptr, a.len, "a.json", NULL, 0, NULL, err, sizeof err), HU_OK);
    const struct hu_ioc_stats *is = hu_ioc_set_stats(s);
    assert_int_equal(is->indicators, st.indicators);
    assert_int_equal(is->skipped_unsupported, 0);
    struct hu_ioc_match m;
    struct hu_ip ip = { 0, { 198, 51, 100, 7 } };
    assert_true(hu_ioc_lookup_ip(s, &ip, &m));
    assert_int_equal(m.kind, HU_IOC_IP);
    assert_string_equal(m.producer, "Example AI");
    assert_memory_equal(m.indicator_id, "indicator--", 11);
    ip.bytes[3] = 200;      /* inside 198.51.100.0/24 */
    assert_true(hu_ioc_lookup_ip(s, &ip, &m));
    assert_int_equal(m.kind, HU_IOC_PREFIX);
    assert_string_equal(m.value, "198.51.100.0/24");
    ip.bytes[2] = 101;
    assert_false(hu_ioc_lookup_ip(s, &ip, &m));
    /* AS64502 is shared by 500 accounts outside the campaign and 1 inside:
     * not specific to it, so never exported */
    assert_false(hu_ioc_lookup_asn(s, 64502, &m));
    assert_true(st.unspecific >= 1);
    struct hu_ip ip6 = { 1, { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0xab, 0xcd, 0, 0, 0, 0, 0, 0, 0, 9 } };
    assert_true(hu_ioc_lookup_ip(s, &ip6, &m));
    assert_int_equal(m.kind, HU_IOC_PREFIX);
    ip6.bytes[5] = 2;
    assert_false(hu_ioc_lookup_ip(s, &ip6, &m));
    assert_true(hu_ioc_lookup_asn(s, 64500, &m));
    assert_false(hu_ioc_lookup_asn(s, 64502, &m));
    const char *ua = "Bob's \\client\\ \"v1\"";
    assert_true(hu_ioc_lookup_user_agent(s, ua, strlen(ua), &m));
    assert_true(hu_ioc_lookup_client_fp(s, "t13d1516h2_8daaf6152771_e5627efa2ab1", 36, &m));
    assert_true(hu_ioc_lookup_template(s, "tpl:77aa88bb99cc00dd", 20, &m));
    assert_false(hu_ioc_lookup_template(s, "tpl:77aa88bb99cc00de", 20, &m));
    char h[65];
    hu_keyed_hash(KEY, sizeof KEY - 1, "pfp-9f8e7d6c5b4a", 16, h);
    assert_true(hu_ioc_lookup_payment_hash(s, h, 64, &m));
    for (int i = 0; i < 64; i++) if (h[i] >= 'a' && h[i] <= 'f') h[i] -= 32;
    assert_true(hu_ioc_lookup_payment_hash(s, h, 64, &m));
    hu_keyed_hash((const uint8_t *)"another-key-of-16-bytes", 23, "pfp-9f8e7d6c5b4a", 16, h);
    assert_false(hu_ioc_lookup_payment_hash(s, h, 64, &m));
    assert_true(hu_ioc_lookup(s, HU_IOC_USAGE, "coding=0.9", 10, &m));
    /* loading the same bundle again adds nothing new */
    size_t before = is->values;
    assert_int_equal(hu_ioc_set_load_buf(s, a.ptr, a.len, "b.json", NULL, 0, NULL, err, sizeof err), HU_OK);
    assert_int_equal(is->values, before);
    assert_int_equal(is->duplicates, before);
    hu_ioc_set_destroy(s);
    hu_buf_fini(&a);
}

static void loader_rejects_bad_bundles(void **state)
{
    (void)state;
    struct hu_buf a;
    struct hu_stix_stats st;
    assert_int_equal(export_file("tests/cases/stix/basic/campaigns.json", NULL, 0, &a, &st), HU_OK);
    struct hu_ioc_set *s;
    char err[300];
    assert_int_equal(hu_ioc_set_create(&s), HU_OK);
    /* every truncation is rejected (a step of 7 bytes keeps this quick) */
    for (size_t cut = 0; cut + 1 < a.len; cut += 7) {
        err[0] = '\0';
        assert_int_not_equal(hu_ioc_set_load_buf(s, a.ptr, cut, "t.json", NULL, 0, NULL, err, sizeof err), HU_OK);
        assert_true(err[0] != '\0');
    }
    assert_int_equal(hu_ioc_set_stats(s)->values, 0);
    /* garbage */
    uint64_t r = 99;
    char junk[4096];
    for (int round = 0; round < 200; round++) {
        for (size_t i = 0; i < sizeof junk; i++) { r ^= r << 13; r ^= r >> 7; r ^= r << 17; junk[i] = (char)r; }
        assert_int_not_equal(hu_ioc_set_load_buf(s, junk, (size_t)(r % sizeof junk), "g", NULL, 0, NULL, err, sizeof err), HU_OK);
    }
    static const char *bad[] = {
        "[]", "{\"type\":\"bundle\",\"objects\":{}}", "{\"type\":\"nope\",\"objects\":[]}",
        "{\"type\":\"bundle\",\"objects\":[1]}",
        "{\"type\":\"bundle\",\"objects\":[{\"type\":\"indicator\",\"pattern\":\"[a:b = 1]\",\"pattern_type\":\"stix\"}]}",
        "{\"type\":\"bundle\",\"objects\":[{\"type\":\"indicator\",\"id\":\"indicator--1234\",\"pattern\":\"[a:b = 'x\",\"pattern_type\":\"stix\"}]}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_not_equal(hu_ioc_set_load_buf(s, bad[i], strlen(bad[i]), "b", NULL, 0, NULL, err, sizeof err), HU_OK);
    /* a valid bundle with one unsupported and one revoked indicator */
    const char *ok = "{\"type\":\"bundle\",\"objects\":["
        "{\"type\":\"indicator\",\"id\":\"indicator--0001\",\"pattern\":\"[file:name = 'x']\",\"pattern_type\":\"stix\"},"
        "{\"type\":\"indicator\",\"id\":\"indicator--0002\",\"revoked\":true,\"pattern\":\"[ipv4-addr:value = '9.9.9.9']\",\"pattern_type\":\"stix\"},"
        "{\"type\":\"indicator\",\"id\":\"indicator--0003\",\"pattern\":\"[ipv4-addr:value = '8.8.8.8' OR ipv4-addr:value = '10.0.0.0/8']\",\"pattern_type\":\"stix\"}]}";
    assert_int_equal(hu_ioc_set_load_buf(s, ok, strlen(ok), "ok", NULL, 0, NULL, err, sizeof err), HU_OK);
    assert_int_equal(hu_ioc_set_stats(s)->skipped_unsupported, 1);
    assert_int_equal(hu_ioc_set_stats(s)->skipped_revoked, 1);
    struct hu_ioc_match m;
    struct hu_ip ip = { 0, { 10, 20, 30, 40 } };
    assert_true(hu_ioc_lookup_ip(s, &ip, &m));
    assert_string_equal(m.producer, "unknown producer");
    struct hu_ip nine = { 0, { 9, 9, 9, 9 } };
    assert_false(hu_ioc_lookup_ip(s, &nine, &m));
    /* signatures */
    assert_int_equal(sodium_init() >= 0, 1);
    uint8_t pk[32], sk[64], pk2[32], sk2[64];
    crypto_sign_keypair(pk, sk);
    crypto_sign_keypair(pk2, sk2);
    char line[300];
    assert_int_equal(hu_sign_line(sk, a.ptr, a.len, line, sizeof line), HU_OK);
    const uint8_t (*keys)[32] = (const uint8_t (*)[32])pk;
    struct hu_ioc_opts o = { keys, 1 };
    assert_int_equal(hu_ioc_set_load_buf(s, a.ptr, a.len, "u", NULL, 0, &o, err, sizeof err), HU_ECORRUPT);
    assert_non_null(strstr(err, "unsigned"));
    assert_int_equal(hu_ioc_set_load_buf(s, a.ptr, a.len, "s", line, strlen(line), &o, err, sizeof err), HU_OK);
    struct hu_ioc_opts o2 = { (const uint8_t (*)[32])pk2, 1 };
    assert_int_equal(hu_ioc_set_load_buf(s, a.ptr, a.len, "w", line, strlen(line), &o2, err, sizeof err), HU_ECORRUPT);
    a.ptr[100] ^= 1;
    assert_int_equal(hu_ioc_set_load_buf(s, a.ptr, a.len, "x", line, strlen(line), &o, err, sizeof err), HU_ECORRUPT);
    assert_int_equal(hu_ioc_set_load_buf(s, a.ptr, a.len, "y", "huella-ed25519-signature-v1 zz", 30, &o, err, sizeof err), HU_ECORRUPT);
    a.ptr[100] ^= 1;
    hu_ioc_set_destroy(s);
    hu_buf_fini(&a);
}

static void loader_survives_allocation_failures(void **state)
{
    (void)state;
    struct hu_buf a;
    struct hu_stix_stats st;
    assert_int_equal(export_file("tests/cases/stix/basic/campaigns.json", KEY, sizeof KEY - 1, &a, &st), HU_OK);
    char err[300];
    int done = 0;
    for (long n = 0; n < 2000 && !done; n++) {
        struct hu_ioc_set *s = NULL;
        hu_alloc_fail_after(n);
        int rc = hu_ioc_set_create(&s);
        if (!rc) rc = hu_ioc_set_load_buf(s, a.ptr, a.len, "a", NULL, 0, NULL, err, sizeof err);
        hu_alloc_fail_after(-1);
        if (rc == HU_OK) {
            struct hu_ioc_match m;
            assert_true(hu_ioc_lookup_asn(s, 64501, &m));
            done = 1;
        } else {
            assert_int_equal(rc, HU_ENOMEM);
            if (s) assert_int_equal(hu_ioc_set_stats(s)->values, 0);
        }
        hu_ioc_set_destroy(s);
    }
    assert_true(done);
    hu_buf_fini(&a);
}

static void export_rejects_hostile_input(void **state)
{
    (void)state;
    size_t len;
    char *json = slurp("tests/cases/stix/basic/campaigns.json", &len);
    struct hu_stix_opts o = { NULL, HU_TLP_AMBER, KEY, sizeof KEY - 1, -1, 0.5 };
    struct hu_stix_stats st;
    char err[300];
    struct hu_buf b;
    hu_buf_init(&b, 1u << 24);
    for (size_t cut = 0; cut + 2 < len; cut += 5) {   /* every truncation fails cleanly */
        hu_buf_reset(&b);
        err[0] = '\0';
        assert_int_not_equal(hu_stix_export(json, cut, &o, &b, &st, err, sizeof err), HU_OK);
        assert_true(err[0] != '\0');
    }
    /* wrong types everywhere: still a valid, checked bundle or a clean error */
    static const char *odd[] = {
        "[{\"id\":\"C-1\",\"first_seen\":\"2026-01-01T00:00:00Z\",\"last_seen\":\"2026-01-01T00:00:00Z\","
        "\"indicators\":{\"ips\":[1,null,{}],\"asns\":[\"x\",1.5,{}],\"user_agents\":[[]],\"templates\":7},"
        "\"targets\":[],\"evidence\":{},\"accounts\":7,\"score\":\"high\"}]",
        "[{\"id\":\"C-1\",\"first_seen\":\"2026-01-01T00:00:00Z\",\"last_seen\":\"2026-01-01T00:00:00Z\","
        "\"indicators\":[],\"targets\":{\"\\u0000\":0.5},\"evidence\":[\"\\u0000\"]}]",
        "[1]", "[{\"id\":\"\\u0000\",\"first_seen\":\"2026-01-01T00:00:00Z\",\"last_seen\":\"2026-01-01T00:00:00Z\"}]",
    };
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
        hu_buf_reset(&b);
        int rc = hu_stix_export(odd[i], strlen(odd[i]), &o, &b, &st, err, sizeof err);
        assert_true(rc == HU_OK || rc == HU_EPARSE);
        if (rc == HU_OK) assert_int_equal(hu_stix_check(b.ptr, b.len, err, sizeof err), HU_OK);
    }
    /* allocation failures: a clean status every time, then success */
    int done = 0;
    for (long n = 0; n < 5000 && !done; n++) {
        hu_buf_fini(&b);
        hu_buf_init(&b, 1u << 24);
        hu_alloc_fail_after(n);
        int rc = hu_stix_export(json, len, &o, &b, &st, err, sizeof err);
        hu_alloc_fail_after(-1);
        if (rc == HU_OK) done = 1;
        else assert_int_equal(rc, HU_ENOMEM);
    }
    assert_true(done);
    hu_buf_fini(&b);
    hu_free(json);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sha1_vectors),
        cmocka_unit_test(uuid5_vectors),
        cmocka_unit_test(time_matches_gmtime),
        cmocka_unit_test(pattern_parser),
        cmocka_unit_test(export_is_private_and_deterministic),
        cmocka_unit_test(export_rejects_hostile_input),
        cmocka_unit_test(loader_round_trip),
        cmocka_unit_test(loader_rejects_bad_bundles),
        cmocka_unit_test(loader_survives_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
