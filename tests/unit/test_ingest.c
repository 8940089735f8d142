/* test_ingest.c -- the event contract parser, reader, codecs, --map, ingest. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>
#include <cmocka.h>

#include "core/alloc.h"
#include "core/u64set.h"
#include "ingest/event.h"
#include "ingest/ingest.h"
#include "ingest/json_shim.h"
#include "ingest/map.h"
#include "ingest/reader.h"

/* ---- helpers ------------------------------------------------------------- */

static struct hu_line_parser *LP;
static struct hu_event EV;

static enum hu_reject parse(const char *s)
{
    /* an exact-size heap copy: ASan catches any read past its end */
    size_t n = strlen(s);
    char *copy = malloc(n ? n : 1);
    memcpy(copy, s, n);
    enum hu_reject r = hu_line_parse(LP, copy, n, &EV);
    free(copy);
    return r;
}

static int span_is(struct hu_span s, const char *want)
{
    if (!want)
        return s.ptr == NULL;
    return s.ptr && s.len == strlen(want) && !memcmp(s.ptr, want, s.len);
}
#define assert_span(s, want)                                                     \
    do {                                                                         \
        if (!span_is((s), (want))) {                                             \
            fail_msg("span %s: got '%.*s' (%s), want '%s'", #s, (int)(s).len,      \
                     (s).ptr ? (s).ptr : "", (s).ptr ? "present" : "absent",     \
                     (want) ? (want) : "(absent)");                              \
        }                                                                        \
    } while (0)

static char tmpdir[256];

static const char *tmp_path(const char *name)
{
    static char buf[8][512];
    static int k;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
    return buf[k];
}

static void write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    fclose(f);
}

static void *gzip_bytes(const char *s, size_t n, size_t *out_n)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = deflateBound(&z, n) + 64;
    unsigned char *out = malloc(cap);
    z.next_in = (Bytef *)s;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    *out_n = cap - z.avail_out;
    deflateEnd(&z);
    return out;
}

static void *zstd_bytes(const char *s, size_t n, size_t *out_n)
{
    size_t cap = ZSTD_compressBound(n);
    void *out = malloc(cap);
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1);   /* as the zstd CLI does */
    size_t k = ZSTD_compress2(cc, out, cap, s, n);
    ZSTD_freeCCtx(cc);
    assert_false(ZSTD_isError(k));
    *out_n = k;
    return out;
}

/* n lines "{"ts":1700000000+i,"account_id":"a<i%7>","prompt":"<i>..."}" */
static char *make_lines(int n, size_t *len)
{
    size_t cap = (size_t)n * 200 + 1;
    char *s = malloc(cap);
    size_t k = 0;
    for (int i = 0; i < n; i++)
        k += (size_t)snprintf(s + k, cap - k,
                              "{\"ts\":%d,\"account_id\":\"a%d\",\"prompt\":\"line %d \\u00e9\"}\n",
                              1700000000 + i, i % 7, i);
    *len = k;
    return s;
}

/* Read every line of a file through hu_ingest; returns events, fills counters. */
static long ingest_count(const char *path, struct hu_ingest_counters *c, int *status)
{
    struct hu_ingest *ing;
    struct hu_ingest_opts o = { .quiet = 1 };
    const char *paths[1] = { path };
    assert_int_equal(hu_ingest_create(&ing, paths, 1, &o), HU_OK);
    struct hu_event ev;
    long n = 0;
    int rc;
    while ((rc = hu_ingest_next(ing, &ev)) == 1) {
        /* check the spans survive until the next call */
        assert_true(ev.account_id.len >= 2 && ev.account_id.ptr[0] == 'a');
        n++;
    }
    assert_int_equal(rc, 0);
    if (c)
        *c = *hu_ingest_totals(ing);
    if (status)
        *status = hu_ingest_source_view(ing, 0)->status;
    hu_ingest_destroy(ing);
    return n;
}

/* ---- timestamps ------------------------------------------------------------ */

static void rfc3339_forms(void **state)
{
    (void)state;
    int64_t ms;
    assert_int_equal(hu_parse_rfc3339("2026-02-10T14:03:22.123Z", 24, &ms), HU_OK);
    assert_int_equal(ms, INT64_C(1770732202123));
    assert_int_equal(hu_parse_rfc3339("2026-02-10T15:03:22.123+01:00", 29, &ms), HU_OK);
    assert_int_equal(ms, INT64_C(1770732202123));
    assert_int_equal(hu_parse_rfc3339("2026-02-10T09:33:22.123-04:30", 29, &ms), HU_OK);
    assert_int_equal(ms, INT64_C(1770732202123));
    assert_int_equal(hu_parse_rfc3339("2026-02-10 14:03:22z", 20, &ms), HU_OK);
    assert_int_equal(ms, INT64_C(1770732202000));
    assert_int_equal(hu_parse_rfc3339("2026-02-10T14:03:22", 19, &ms), HU_OK);  /* no offset: UTC */
    assert_int_equal(ms, INT64_C(1770732202000));
    assert_int_equal(hu_parse_rfc3339("2026-02-10T14:03:22.123456789Z", 30, &ms), HU_OK);
    assert_int_equal(ms, INT64_C(1770732202123));
    assert_int_equal(hu_parse_rfc3339("2024-02-29T00:00:00Z", 20, &ms), HU_OK);
    assert_int_equal(ms, INT64_C(1709164800000));
    assert_int_equal(hu_parse_rfc3339("1970-01-01T00:00:00Z", 20, &ms), HU_OK);
    assert_int_equal(ms, 0);
    static const char *bad[] = {
        "2023-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-02-10T24:00:00Z",
        "2026-02-10T14:03:22.Z", "2026-02-10T14:03:22+0100", "2026-02-10X14:03:22Z",
        "2026-02-10T14:03:22Zjunk", "1969-12-31T23:59:59Z", "26-02-10T14:03:22Z", "",
        "2026-02-10T14:03", "2026-02-10T14:03:22+25:00",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (hu_parse_rfc3339(bad[i], strlen(bad[i]), &ms) != HU_EPARSE)
            fail_msg("accepted bad timestamp '%s'", bad[i]);
}

/* Round trip through format and parse over random instants, checked
 * against libc's gmtime_r (the slow, obvious reference). */
static void rfc3339_roundtrip_vs_gmtime(void **state)
{
    (void)state;
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        int64_t ms = (int64_t)(x % UINT64_C(253402300799999));
        char buf[32];
        hu_format_rfc3339(ms, buf, sizeof buf);
        time_t t = (time_t)(ms / 1000);
        struct tm tm;
        gmtime_r(&t, &tm);
        char ref[64];
        snprintf(ref, sizeof ref, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
        assert_string_equal(buf, ref);
        int64_t back;
        assert_int_equal(hu_parse_rfc3339(buf, strlen(buf), &back), HU_OK);
        assert_int_equal(back, ms);
    }
}

static void ts_numbers(void **state)
{
    (void)state;
    assert_int_equal(hu_ts_from_number(1707573802), INT64_C(1707573802000));
    assert_int_equal(hu_ts_from_number(1707573802.123), INT64_C(1707573802123));
    assert_int_equal(hu_ts_from_number(1707573802123.0), INT64_C(1707573802123));
    assert_int_equal(hu_ts_from_number(1e11), INT64_C(100000000000000));   /* seconds */
    assert_int_equal(hu_ts_from_number(1e11 + 1), INT64_C(100000000001)); /* ms */
    assert_int_equal(hu_ts_from_number(-1), HU_EV_ABSENT);
    assert_int_equal(hu_ts_from_number(1e300), HU_EV_ABSENT);
    assert_int_equal(hu_ts_from_number(0.0 / 0.0), HU_EV_ABSENT);

    assert_int_equal(parse("{\"ts\":1707573802,\"account_id\":\"a\"}"), HU_REJECT_NONE);
    assert_int_equal(EV.ts_ms, INT64_C(1707573802000));
    assert_int_equal(parse("{\"ts\":1707573802123,\"account_id\":\"a\"}"), HU_REJECT_NONE);
    assert_int_equal(EV.ts_ms, INT64_C(1707573802123));
    assert_int_equal(parse("{\"ts\":1707573802.5,\"account_id\":\"a\"}"), HU_REJECT_NONE);
    assert_int_equal(EV.ts_ms, INT64_C(1707573802500));
    assert_int_equal(parse("{\"ts\":\"1707573802\",\"account_id\":\"a\"}"), HU_REJECT_NONE);
    assert_int_equal(EV.ts_ms, INT64_C(1707573802000));
    assert_int_equal(parse("{\"ts\":\"2026-02-10T14:03:22.123+00:00\",\"account_id\":\"a\"}"),
                     HU_REJECT_NONE);
    assert_int_equal(EV.ts_ms, INT64_C(1770732202123));
}

/* ---- fields ------------------------------------------------------------------ */

static const char FULL[] =
    "{\"ts\":\"2026-02-10T14:03:22.123Z\",\"account_id\":\"acct-1\",\"org_id\":\"org-9\","
    "\"api_key_id\":\"key-3\",\"ip\":\"203.0.113.7\",\"country\":\"DE\","
    "\"user_agent\":\"curl/8.0\",\"client_fp\":\"t13d1516h2_8daaf6152771_b186095e22b6\","
    "\"headers_fp\":\"hf1\",\"endpoint\":\"/v1/messages\",\"model\":\"m-large\","
    "\"system\":\"be terse\",\"prompt\":\"say \\\"hi\\\"\\n\",\"tools\":[\"bash\",\"edit\"],"
    "\"thinking\":true,\"max_tokens\":1024,\"input_tokens\":12,\"output_tokens\":340,"
    "\"status\":200,\"payment_fp\":\"pay-7\",\"features\":{\"tk\":\"abc\",\"n\":[1,2]},"
    "\"label\":\"code-sweep/hydra\",\"unknown\":{\"x\":[1,{\"y\":2}]},\"kind\":\"request\"}";

static void every_request_field(void **state)
{
    (void)state;
    assert_int_equal(parse(FULL), HU_REJECT_NONE);
    assert_int_equal(EV.kind, HU_EV_REQUEST);
    assert_int_equal(EV.ts_ms, INT64_C(1770732202123));
    assert_span(EV.account_id, "acct-1");
    assert_span(EV.org_id, "org-9");
    assert_span(EV.api_key_id, "key-3");
    assert_span(EV.ip, "203.0.113.7");
    assert_span(EV.country, "DE");
    assert_span(EV.user_agent, "curl/8.0");
    assert_span(EV.client_fp, "t13d1516h2_8daaf6152771_b186095e22b6");
    assert_span(EV.headers_fp, "hf1");
    assert_span(EV.endpoint, "/v1/messages");
    assert_span(EV.model, "m-large");
    assert_span(EV.system, "be terse");
    assert_span(EV.prompt, "say \"hi\"\n");
    assert_int_equal(EV.n_tools, 2);
    assert_int_equal(EV.tools_total, 2);
    assert_span(EV.tools[0], "bash");
    assert_span(EV.tools[1], "edit");
    assert_int_equal(EV.thinking, 1);
    assert_int_equal(EV.thinking_budget, HU_EV_ABSENT);
    assert_int_equal(EV.max_tokens, 1024);
    assert_int_equal(EV.input_tokens, 12);
    assert_int_equal(EV.output_tokens, 340);
    assert_int_equal(EV.status, 200);
    assert_span(EV.payment_fp, "pay-7");
    assert_span(EV.features_json, "{\"tk\":\"abc\",\"n\":[1,2]}");
    assert_span(EV.label, "code-sweep/hydra");
    assert_int_equal(EV.n_truncated, 0);
}

static void account_and_release_lines(void **state)
{
    (void)state;
    assert_int_equal(parse("{\"kind\":\"account\",\"ts\":1,\"account_id\":\"a\",\"type\":\"education\","
                           "\"email_domain\":\"uni.example\",\"payment_fp\":\"p\",\"country\":\"CN\","
                           "\"verification\":\"email\",\"ip\":\"::1\",\"label\":\"benign\"}"),
                     HU_REJECT_NONE);
    assert_int_equal(EV.kind, HU_EV_ACCOUNT);
    assert_span(EV.account_type, "education");
    assert_span(EV.email_domain, "uni.example");
    assert_span(EV.verification, "email");
    assert_span(EV.ip, "::1");
    assert_int_equal(parse("{\"ts\":5,\"model\":\"m2\",\"kind\":\"model_release\"}"), HU_REJECT_NONE);
    assert_int_equal(EV.kind, HU_EV_MODEL_RELEASE);
    assert_span(EV.model, "m2");
    assert_span(EV.account_id, NULL);
    assert_int_equal(parse("{\"ts\":5,\"kind\":\"model_release\"}"), HU_REJECT_MISSING_MODEL);
    assert_int_equal(parse("{\"ts\":5,\"kind\":\"model_release\",\"model\":\"\"}"), HU_REJECT_MISSING_MODEL);
}

static void nulls_are_absent_and_order_is_free(void **state)
{
    (void)state;
    assert_int_equal(parse("{\"account_id\":\"a\",\"ip\":null,\"max_tokens\":null,\"kind\":null,"
                           "\"thinking\":null,\"tools\":null,\"ts\":3}"), HU_REJECT_NONE);
    assert_span(EV.ip, NULL);
    assert_int_equal(EV.max_tokens, HU_EV_ABSENT);
    assert_int_equal(EV.thinking, -1);
    assert_int_equal(EV.kind, HU_EV_REQUEST);
    assert_int_equal(EV.n_tools, 0);
    assert_int_equal(EV.ts_ms, 3000);
    /* empty strings are present and empty */
    assert_int_equal(parse("{\"ts\":3,\"account_id\":\"a\",\"org_id\":\"\"}"), HU_REJECT_NONE);
    assert_non_null(EV.org_id.ptr);
    assert_int_equal(EV.org_id.len, 0);
    /* integral floats are integers; fractions are not */
    assert_int_equal(parse("{\"ts\":3,\"account_id\":\"a\",\"max_tokens\":100.0}"), HU_REJECT_NONE);
    assert_int_equal(EV.max_tokens, 100);
    assert_int_equal(parse("{\"ts\":3,\"account_id\":\"a\",\"max_tokens\":100.5}"), HU_REJECT_WRONG_TYPE);
    assert_string_equal(hu_line_parser_reject_field(LP), "max_tokens");
    /* escaped key still matches */
    assert_int_equal(parse("{\"\\u0074s\":3,\"account_id\":\"a\"}"), HU_REJECT_NONE);
}

static void messages_string_and_blocks(void **state)
{
    (void)state;
    assert_int_equal(parse("{\"ts\":1,\"account_id\":\"a\",\"messages\":["
                           "{\"role\":\"system\",\"content\":\"sys text\"},"
                           "{\"role\":\"user\",\"content\":\"first\"},"
                           "{\"role\":\"assistant\",\"content\":\"ok\"},"
                           "{\"content\":[{\"type\":\"text\",\"text\":\"part1\"},{\"type\":\"image\",\"source\":{}},"
                           "{\"text\":\"part2\",\"type\":\"text\"},{\"type\":\"tool_result\",\"content\":\"r\"}],"
                           "\"role\":\"user\"},"
                           "{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"name\":\"bash\"}]},"
                           "{\"role\":\"tool\",\"content\":\"out\"}]}"),
                     HU_REJECT_NONE);
    assert_int_equal(EV.n_messages, 6);
    assert_int_equal(EV.n_user_msgs, 2);
    assert_int_equal(EV.n_assistant_msgs, 2);
    assert_int_equal(EV.n_tool_msgs, 1);
    assert_int_equal(EV.n_image_blocks, 1);
    assert_int_equal(EV.n_tool_use_blocks, 1);
    assert_int_equal(EV.n_tool_result_blocks, 1);
    assert_span(EV.prompt, "part1\npart2");
    assert_span(EV.system, "sys text");

    /* explicit prompt wins, whichever comes first */
    assert_int_equal(parse("{\"prompt\":\"explicit\",\"ts\":1,\"account_id\":\"a\",\"messages\":["
                           "{\"role\":\"user\",\"content\":\"from messages\"}]}"), HU_REJECT_NONE);
    assert_span(EV.prompt, "explicit");
    assert_int_equal(parse("{\"ts\":1,\"account_id\":\"a\",\"messages\":["
                           "{\"role\":\"user\",\"content\":\"from messages\"}],\"prompt\":\"explicit\"}"),
                     HU_REJECT_NONE);
    assert_span(EV.prompt, "explicit");
    /* later user message with blocks does not clobber an earlier system from blocks */
    assert_int_equal(parse("{\"ts\":1,\"account_id\":\"a\",\"messages\":["
                           "{\"role\":\"system\",\"content\":[{\"type\":\"text\",\"text\":\"S\"}]},"
                           "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"U1\"}]},"
                           "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"U2\"}]},"
                           "{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"A\"}]}]}"),
                     HU_REJECT_NONE);
    assert_span(EV.system, "S");
    assert_span(EV.prompt, "U2");
    /* prompt given as blocks */
    assert_int_equal(parse("{\"ts\":1,\"account_id\":\"a\",\"prompt\":[{\"type\":\"text\",\"text\":\"x\"},\"y\"]}"),
                     HU_REJECT_NONE);
    assert_span(EV.prompt, "x\ny");
    assert_int_equal(parse("{\"ts\":1,\"account_id\":\"a\",\"messages\":{}}"), HU_REJECT_WRONG_TYPE);
    assert_int_equal(parse("{\"ts\":1,\"account_id\":\"a\",\"messages\":[3]}"), HU_REJECT_WRONG_TYPE);
    assert_int_equal(parse("{\"ts\":1,\"account_id\":\"a\",\"messages\":[{\"role\":1}]}"), HU_REJECT_WRONG_TYPE);
}

static void tools_both_forms_and_cap(void **state)
{
    (void)state;
    assert_int_equal(parse("{\"ts\":1,\"account_id\":\"a\",\"tools\":[\"t1\",{\"name\":\"t2\",\"input_schema\":{}},"
                           "{\"type\":\"function\",\"function\":{\"name\":\"t3\",\"parameters\":{}}},{\"x\":1}]}"),
                     HU_REJECT_NONE);
    assert_int_equal(EV.n_tools, 3);
    assert_int_equal(EV.tools_total, 4);
    assert_span(EV.tools[0], "t1");
    assert_span(EV.tools[1], "t2");
    assert_span(EV.tools[2], "t3");
    /* 300 tools: HU_MAX_TOOLS kept, all counted */
    char *s = malloc(10000);
    size_t k = (size_t)sprintf(s, "{\"ts\":1,\"account_id\":\"a\",\"tools\":[");
    for (int i = 0; i < 300; i++)
        k += (size_t)sprintf(s + k, "%s\"tool%d\"", i ? "," : "", i);
    sprintf(s + k, "]}");
    assert_int_equal(parse(s), HU_REJECT_NONE);
    assert_int_equal(EV.n_tools, HU_MAX_TOOLS);
    assert_int_equal(EV.tools_total, 300);
    assert_span(EV.tools[HU_MAX_TOOLS - 1], "tool255");
    free(s);
    assert_int_equal(parse("{\"ts\":1,\"account_id\":\"a\",\"tools\":[1]}"), HU_REJECT_WRONG_TYPE);
    assert_int_equal(parse("{\"ts\":1,\"account_id\":\"a\",\"tools\":\"bash\"}"), HU_REJECT_WRONG_TYPE);
}

static void thinking_forms(void **state)
{
    (void)state;
    assert_int_equal(parse("{\"ts\":1,\"account_id\":\"a\",\"thinking\":false}"), HU_REJECT_NONE);
    assert_int_equal(EV.thinking, 0);
    assert_int_equal(parse("{\"ts\":1,\"account_id\":\"a\",\"thinking\":8000}"), HU_REJECT_NONE);
    assert_int_equal(EV.thinking, 1);
    assert_int_equal(EV.thinking_budget, 8000);
    assert_int_equal(parse("{\"ts\":1,\"account_id\":\"a\",\"thinking\":0}"), HU_REJECT_NONE);
    assert_int_equal(EV.thinking, 0);
    assert_int_equal(parse("{\"ts\":1,\"account_id\":\"a\",\"thinking\":{\"budget_tokens\":2048,\"type\":\"enabled\"}}"),
                     HU_REJECT_NONE);
    assert_int_equal(EV.thinking, 1);
    assert_int_equal(EV.thinking_budget, 2048);
    assert_int_equal(parse("{\"ts\":1,\"account_id\":\"a\",\"thinking\":{\"type\":\"disabled\"}}"), HU_REJECT_NONE);
    assert_int_equal(EV.thinking, 0);
    assert_int_equal(parse("{\"ts\":1,\"account_id\":\"a\",\"thinking\":[1]}"), HU_REJECT_WRONG_TYPE);
}

/* One line per reason (line_too_long is in the reader test). */
static void every_reject_reason(void **state)
{
    (void)state;
    static const struct { const char *line; enum hu_reject want; const char *field; } cases[] = {
        { "not json", HU_REJECT_NOT_JSON, NULL },
        { "{\"ts\":1,\"account_id\":\"a\"", HU_REJECT_NOT_JSON, NULL },
        { "{\"ts\":1,\"account_id\":\"a\"} x", HU_REJECT_NOT_JSON, NULL },
        { "{\"ts\":1,\"account_id\":\"a\",\"max_tokens\":01}", HU_REJECT_NOT_JSON, NULL },
        { "", HU_REJECT_NOT_JSON, NULL },
        { "[1,2]", HU_REJECT_NOT_OBJECT, NULL },
        { "\"str\"", HU_REJECT_NOT_OBJECT, NULL },
        { "{\"ts\":1,\"account_id\":\"a\xff\"}", HU_REJECT_INVALID_UTF8, NULL },
        { "{\"ts\":1,\"account_id\":\"a\",\"x\":\"\xc3\x28\"}", HU_REJECT_INVALID_UTF8, NULL },
        { "{\"account_id\":\"a\"}", HU_REJECT_MISSING_TS, "ts" },
        { "{\"ts\":null,\"account_id\":\"a\"}", HU_REJECT_MISSING_TS, "ts" },
        { "{\"ts\":\"yesterday\",\"account_id\":\"a\"}", HU_REJECT_BAD_TS, "ts" },
        { "{\"ts\":-5,\"account_id\":\"a\"}", HU_REJECT_BAD_TS, "ts" },
        { "{\"ts\":true,\"account_id\":\"a\"}", HU_REJECT_WRONG_TYPE, "ts" },
        { "{\"ts\":1}", HU_REJECT_MISSING_ACCOUNT_ID, "account_id" },
        { "{\"ts\":1,\"account_id\":\"\"}", HU_REJECT_MISSING_ACCOUNT_ID, "account_id" },
        { "{\"ts\":1,\"kind\":\"account\"}", HU_REJECT_MISSING_ACCOUNT_ID, "account_id" },
        { "{\"ts\":1,\"kind\":\"model_release\"}", HU_REJECT_MISSING_MODEL, "model" },
        { "{\"ts\":1,\"account_id\":7}", HU_REJECT_WRONG_TYPE, "account_id" },
        { "{\"ts\":1,\"account_id\":\"a\",\"status\":\"200\"}", HU_REJECT_WRONG_TYPE, "status" },
        { "{\"ts\":1,\"account_id\":\"a\",\"features\":[1]}", HU_REJECT_WRONG_TYPE, "features" },
        { "{\"ts\":1,\"account_id\":\"a\",\"prompt\":5}", HU_REJECT_WRONG_TYPE, "prompt" },
        { "{\"ts\":1,\"account_id\":\"a\",\"kind\":5}", HU_REJECT_WRONG_TYPE, "kind" },
        { "{\"ts\":1,\"account_id\":\"a\",\"kind\":\"refund\"}", HU_REJECT_UNKNOWN_KIND, "kind" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        enum hu_reject r = parse(cases[i].line);
        if (r != cases[i].want)
            fail_msg("case %zu: got %s, want %s", i, hu_reject_name(r), hu_reject_name(cases[i].want));
        const char *f = hu_line_parser_reject_field(LP);
        if (cases[i].field && (!f || strcmp(f, cases[i].field)))
            fail_msg("case %zu: field %s, want %s", i, f ? f : "(none)", cases[i].field);
    }
    /* id_too_long: 513-byte account id; 512 is fine */
    char *s = malloc(2000);
    sprintf(s, "{\"ts\":1,\"account_id\":\"%0513d\"}", 0);
    assert_int_equal(parse(s), HU_REJECT_ID_TOO_LONG);
    sprintf(s, "{\"ts\":1,\"account_id\":\"%0512d\"}", 0);
    assert_int_equal(parse(s), HU_REJECT_NONE);
    assert_int_equal(EV.account_id.len, 512);
    sprintf(s, "{\"ts\":1,\"account_id\":\"a\",\"tools\":[\"%0600d\"]}", 0);
    assert_int_equal(parse(s), HU_REJECT_ID_TOO_LONG);
    free(s);
    /* names of the table */
    assert_string_equal(hu_reject_name(HU_REJECT_NOT_JSON), "not_json");
    assert_string_equal(hu_reject_name(HU_REJECT_UNKNOWN_KIND), "unknown_kind");
    assert_string_equal(hu_reject_name(HU_REJECT_COUNT), "unknown");
}

static void depth_limit(void **state)
{
    (void)state;
    char *s = malloc(4000);
    for (unsigned depth = HU_MAX_JSON_DEPTH - 2; depth <= HU_MAX_JSON_DEPTH + 1; depth++) {
        /* the outer object is level 1: the junk array adds depth-1 levels */
        size_t k = (size_t)sprintf(s, "{\"ts\":1,\"account_id\":\"a\",\"junk\":");
        for (unsigned i = 1; i < depth; i++)
            s[k++] = '[';
        for (unsigned i = 1; i < depth; i++)
            s[k++] = ']';
        s[k++] = '}';
        s[k] = 0;
        enum hu_reject want = depth > HU_MAX_JSON_DEPTH ? HU_REJECT_TOO_DEEP : HU_REJECT_NONE;
        assert_int_equal(parse(s), want);
    }
    /* brackets inside strings do not count, escaped quotes do not end strings */
    size_t k = (size_t)sprintf(s, "{\"ts\":1,\"account_id\":\"a\",\"prompt\":\"\\\"");
    for (int i = 0; i < 200; i++)
        s[k++] = '[';
    sprintf(s + k, "\"}");
    assert_int_equal(parse(s), HU_REJECT_NONE);
    assert_int_equal(hu__json_too_deep(s, strlen(s), HU_MAX_JSON_DEPTH), 0);
    free(s);
}

static void long_text_is_truncated_on_utf8_boundary(void **state)
{
    (void)state;
    size_t n = HU_MAX_FIELD_BYTES + 1000;
    char *s = malloc(n + 200);
    size_t k = (size_t)sprintf(s, "{\"ts\":1,\"account_id\":\"a\",\"prompt\":\"x");
    /* "x" then 2-byte é's: the cut at HU_MAX_FIELD_BYTES falls mid-character */
    while (k < n) {
        s[k++] = '\xc3';
        s[k++] = '\xa9';
    }
    sprintf(s + k, "\"}");
    assert_int_equal(parse(s), HU_REJECT_NONE);
    assert_int_equal(EV.n_truncated, 1);
    assert_true(EV.prompt.len <= HU_MAX_FIELD_BYTES);
    assert_true(EV.prompt.len >= HU_MAX_FIELD_BYTES - 1);
    assert_int_equal(EV.prompt.len % 2, 1);                      /* "x" + whole é's */
    assert_int_equal((unsigned char)EV.prompt.ptr[EV.prompt.len - 1], 0xa9);
    free(s);
}

/* ---- reader and codecs ------------------------------------------------------- */

static void plain_gzip_zstd_same_events(void **state)
{
    (void)state;
    size_t n;
    char *text = make_lines(5000, &n);
    write_file(tmp_path("p.jsonl"), text, n);
    size_t gz_n, zs_n;
    void *gz = gzip_bytes(text, n, &gz_n);
    void *zs = zstd_bytes(text, n, &zs_n);
    write_file(tmp_path("p.jsonl.gz"), gz, gz_n);
    write_file(tmp_path("p-no-extension"), zs, zs_n);   /* magic bytes, not the name */
    struct hu_ingest_counters c;
    int status;
    assert_int_equal(ingest_count(tmp_path("p.jsonl"), &c, &status), 5000);
    assert_int_equal(c.bytes, n);
    assert_int_equal(ingest_count(tmp_path("p.jsonl.gz"), &c, &status), 5000);
    assert_int_equal(c.bytes, n);
    assert_int_equal(c.bytes_in, gz_n);
    assert_int_equal(status, HU_OK);
    assert_int_equal(ingest_count(tmp_path("p-no-extension"), &c, &status), 5000);
    assert_int_equal(c.bytes_in, zs_n);
    assert_int_equal(status, HU_OK);
    /* two gzip members back to back (cat a.gz b.gz) */
    char *two = malloc(2 * gz_n);
    memcpy(two, gz, gz_n);
    memcpy(two + gz_n, gz, gz_n);
    write_file(tmp_path("two.gz"), two, 2 * gz_n);
    assert_int_equal(ingest_count(tmp_path("two.gz"), NULL, &status), 10000);
    assert_int_equal(status, HU_OK);
    /* truncated: the complete lines before the cut are kept, the source says so */
    write_file(tmp_path("cut.gz"), gz, gz_n / 2);
    long got = ingest_count(tmp_path("cut.gz"), &c, &status);
    assert_int_equal(status, HU_ECORRUPT);
    assert_true(got > 1000 && got < 5000);
    assert_int_equal(c.rejects, 0);          /* the cut partial line is dropped, not rejected */
    write_file(tmp_path("cut.zst"), zs, zs_n / 2);
    got = ingest_count(tmp_path("cut.zst"), &c, &status);
    assert_int_equal(status, HU_ECORRUPT);
    assert_true(got > 1000 && got < 5000);
    /* corrupt in the middle */
    unsigned char *bad = malloc(zs_n);
    memcpy(bad, zs, zs_n);
    for (size_t i = zs_n / 2; i < zs_n / 2 + 64; i++)
        bad[i] ^= 0x5a;
    write_file(tmp_path("bad.zst"), bad, zs_n);
    got = ingest_count(tmp_path("bad.zst"), &c, &status);
    assert_int_equal(status, HU_ECORRUPT);
    assert_true(got < 5000);
    /* the message names the file, the codec and the line count */
    struct hu_reader r;
    assert_int_equal(hu_reader_open(&r, tmp_path("cut.zst")), HU_OK);
    struct hu_line line;
    int rc;
    long lines = 0;
    while ((rc = hu_reader_next(&r, &line)) == 1)
        lines++;
    assert_int_equal(rc, HU_ECORRUPT);
    char want[600];
    snprintf(want, sizeof want, "%s: truncated zstd frame after %ld lines", tmp_path("cut.zst"), lines);
    assert_string_equal(r.errmsg, want);
    hu_reader_fini(&r);
    free(bad);
    free(two);
    free(gz);
    free(zs);
    free(text);
}

static void reader_framing_and_long_lines(void **state)
{
    (void)state;
    /* CRLF, no final newline, an over-long line in the middle */
    size_t big = (size_t)HU_MAX_LINE_BYTES + 10;
    size_t cap = big + 1000;
    char *s = malloc(cap);
    size_t k = (size_t)sprintf(s, "{\"ts\":1,\"account_id\":\"a1\"}\r\n");
    memset(s + k, 'x', big);
    k += big;
    s[k++] = '\n';
    k += (size_t)sprintf(s + k, "{\"ts\":2,\"account_id\":\"a2\"}\n\n   \n{\"ts\":3,\"account_id\":\"a3\"}");
    write_file(tmp_path("frame.jsonl"), s, k);
    struct hu_ingest_counters c;
    assert_int_equal(ingest_count(tmp_path("frame.jsonl"), &c, NULL), 3);
    assert_int_equal(c.lines, 6);
    assert_int_equal(c.blank_lines, 2);
    assert_int_equal(c.rejects, 1);
    assert_int_equal(c.rejects_by_reason[HU_REJECT_LINE_TOO_LONG], 1);
    assert_int_equal(c.bytes, k);
    /* the buffer entry point refuses it too */
    assert_int_equal(hu_line_parse(LP, s, big + 10, &EV), HU_REJECT_LINE_TOO_LONG);
    free(s);
    /* a line far over the cap (past the buffer's maximum): skipped in O(1)
     * memory, its bytes still counted, the next line read */
    size_t huge = (size_t)HU_MAX_LINE_BYTES + (4u << 20);
    s = malloc(huge + 100);
    memset(s, 'z', huge);
    s[huge] = '\n';
    k = huge + 1 + (size_t)sprintf(s + huge + 1, "{\"ts\":9,\"account_id\":\"a9\"}\n");
    write_file(tmp_path("huge.jsonl"), s, k);
    assert_int_equal(ingest_count(tmp_path("huge.jsonl"), &c, NULL), 1);
    assert_int_equal(c.lines, 2);
    assert_int_equal(c.rejects_by_reason[HU_REJECT_LINE_TOO_LONG], 1);
    assert_int_equal(c.bytes, k);
    free(s);
    /* an over-long line at the end without a newline */
    s = malloc(big + 100);
    k = (size_t)sprintf(s, "{\"ts\":1,\"account_id\":\"a1\"}\n");
    memset(s + k, 'y', big);
    write_file(tmp_path("tail.jsonl"), s, k + big);
    assert_int_equal(ingest_count(tmp_path("tail.jsonl"), &c, NULL), 1);
    assert_int_equal(c.rejects_by_reason[HU_REJECT_LINE_TOO_LONG], 1);
    free(s);
}

static void ingest_rejects_file_and_errors(void **state)
{
    (void)state;
    const char *in = tmp_path("rj.jsonl");
    const char *text = "{\"ts\":1,\"account_id\":\"a\"}\nsecret prompt text\n{\"ts\":1}\n";
    write_file(in, text, strlen(text));
    struct hu_ingest *ing;
    FILE *err = tmpfile();
    struct hu_ingest_opts o = { .rejects_path = tmp_path("rejects.jsonl"), .err = err };
    const char *paths[] = { in };
    assert_int_equal(hu_ingest_create(&ing, paths, 1, &o), HU_OK);
    struct hu_event ev;
    int rc, n = 0;
    while ((rc = hu_ingest_next(ing, &ev)) == 1)
        n++;
    assert_int_equal(rc, 0);
    assert_int_equal(n, 1);
    assert_int_equal(hu_ingest_totals(ing)->rejects, 2);
    assert_int_equal(hu_ingest_source_view(ing, 0)->c.rejects_by_reason[HU_REJECT_NOT_JSON], 1);
    hu_ingest_destroy(ing);
    char buf[1024];
    FILE *f = fopen(o.rejects_path, "r");
    size_t got = fread(buf, 1, sizeof buf - 1, f);
    buf[got] = 0;
    fclose(f);
    char want[1024];
    snprintf(want, sizeof want,
             "{\"source\":\"%s\",\"line\":2,\"reason\":\"not_json\"}\n"
             "{\"source\":\"%s\",\"line\":3,\"reason\":\"missing_account_id\",\"field\":\"account_id\"}\n",
             in, in);
    assert_string_equal(buf, want);
    /* stderr names file:line and reason, never the content */
    rewind(err);
    got = fread(buf, 1, sizeof buf - 1, err);
    buf[got] = 0;
    fclose(err);
    assert_non_null(strstr(buf, ":2: rejected: not_json"));
    assert_null(strstr(buf, "secret"));

    /* a missing file fails at create, naming it */
    const char *missing[] = { in, tmp_path("nope.jsonl") };
    o.err = tmpfile();
    o.rejects_path = NULL;
    assert_int_equal(hu_ingest_create(&ing, missing, 2, &o), HU_ENOENT);
    assert_null(ing);
    fclose(o.err);
    const char *twice[] = { "-", "-" };
    o.quiet = 1;
    assert_int_equal(hu_ingest_create(&ing, twice, 2, &o), HU_EINVAL);
    assert_int_equal(hu_ingest_create(&ing, twice, 0, &o), HU_EINVAL);
}

/* ---- --map ---------------------------------------------------------------------- */

static void map_litellm_shape(void **state)
{
    (void)state;
    const char *mt =
        "# LiteLLM StandardLoggingPayload\n"
        "ts = startTime\n"
        "account_id = metadata.user_api_key_hash   # hashed virtual key\n"
        "org_id     = metadata.user_api_key_org_id\n"
        "model = model\n"
        "prompt = messages[-1].content\n"
        "system = messages[0].content\n"
        "ip = requester_ip_address\n"
        "max_tokens = model_parameters.max_tokens\n"
        "input_tokens = prompt_tokens\n"
        "output_tokens = completion_tokens\n"
        "label = metadata[\"x.label\"]\n";
    struct hu_map *m;
    char err[256];
    assert_int_equal(hu_map_parse(&m, mt, strlen(mt), "lite.map", err, sizeof err), HU_OK);
    assert_int_equal(m->n_rules, 11);
    struct hu_line_parser *lp;
    assert_int_equal(hu_line_parser_create(&lp, m), HU_OK);
    const char *line =
        "{\"id\":\"r1\",\"status\":\"success\",\"startTime\":1739196202.5,\"model\":\"gpt-4o\","
        "\"prompt_tokens\":12,\"completion_tokens\":40,\"requester_ip_address\":\"10.0.0.1\","
        "\"metadata\":{\"user_api_key_hash\":\"88dc28d0\",\"user_api_key_org_id\":null,\"x.label\":\"benign\"},"
        "\"model_parameters\":{\"max_tokens\":\"256\"},"
        "\"messages\":[{\"role\":\"system\",\"content\":\"be nice\"},"
        "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"think step by step\"}]}]}";
    assert_int_equal(hu_line_parse(lp, line, strlen(line), &EV), HU_REJECT_NONE);
    assert_int_equal(EV.ts_ms, INT64_C(1739196202500));
    assert_span(EV.account_id, "88dc28d0");
    assert_span(EV.org_id, NULL);
    assert_span(EV.model, "gpt-4o");
    assert_span(EV.prompt, "think step by step");
    assert_span(EV.system, "be nice");
    assert_span(EV.ip, "10.0.0.1");
    assert_int_equal(EV.max_tokens, 256);               /* numeric string coerced */
    assert_int_equal(EV.input_tokens, 12);
    assert_int_equal(EV.output_tokens, 40);
    assert_int_equal(EV.status, HU_EV_ABSENT);          /* not mapped: "success" ignored */
    assert_span(EV.label, "benign");
    /* a line where the path does not resolve */
    const char *l2 = "{\"startTime\":1739196203,\"metadata\":{}}";
    assert_int_equal(hu_line_parse(lp, l2, strlen(l2), &EV), HU_REJECT_MISSING_ACCOUNT_ID);
    hu_line_parser_destroy(lp);
    hu_map_destroy(m);
}

static void map_nginx_shape(void **state)
{
    (void)state;
    const char *mt =
        "ts = time_iso8601\n"
        "account_id = http_x_account\n"
        "ip = remote_addr\n"
        "user_agent = http_user_agent\n"
        "endpoint = request_uri\n"
        "status = status\n"
        "client_fp = http_ssl_ja4\n"
        "headers_fp = $.hdr[1]\n";
    const char *path = tmp_path("nginx.map");
    write_file(path, mt, strlen(mt));
    struct hu_map *m;
    char err[256];
    assert_int_equal(hu_map_load(&m, path, err, sizeof err), HU_OK);
    const char *line =
        "{\"time_iso8601\":\"2026-02-10T15:03:22+01:00\",\"remote_addr\":\"198.51.100.4\","
        "\"http_x_account\":12345,\"request_uri\":\"/v1/messages\",\"status\":\"200\","
        "\"http_user_agent\":\"python-httpx/0.27\",\"http_ssl_ja4\":\"t13d1516h2_8daaf6152771_b186095e22b6\","
        "\"hdr\":[\"a\",\"b\"],\"request_time\":\"0.123\"}";
    struct hu_line_parser *lp;
    assert_int_equal(hu_line_parser_create(&lp, m), HU_OK);
    assert_int_equal(hu_line_parse(lp, line, strlen(line), &EV), HU_REJECT_NONE);
    assert_int_equal(EV.ts_ms, INT64_C(1770732202000));
    assert_span(EV.account_id, "12345");                /* number -> id text */
    assert_span(EV.ip, "198.51.100.4");
    assert_span(EV.endpoint, "/v1/messages");
    assert_int_equal(EV.status, 200);
    assert_span(EV.user_agent, "python-httpx/0.27");
    assert_span(EV.headers_fp, "b");
    /* map mode still rejects bad lines with reasons */
    assert_int_equal(hu_line_parse(lp, "nope", 4, &EV), HU_REJECT_NOT_JSON);
    const char *badts = "{\"time_iso8601\":\"x\",\"http_x_account\":\"a\"}";
    assert_int_equal(hu_line_parse(lp, badts, strlen(badts), &EV), HU_REJECT_BAD_TS);
    hu_line_parser_destroy(lp);
    hu_map_destroy(m);
}

static void map_errors(void **state)
{
    (void)state;
    static const struct { const char *text; const char *msg; } cases[] = {
        { "ts = a\nacount_id = b\n", "m:2: unknown field 'acount_id'" },
        { "ts a\n", "m:1: expected 'field = json.path'" },
        { "ts = \n", "m:1: no path after '='" },
        { "ts = a\nts = b\n", "m:2: field 'ts' mapped twice (first on line 1)" },
        { "ts = a..b\n", "m:1: bad path for 'ts': empty key in path" },
        { "ts = a[x]\n", "m:1: bad path for 'ts': expected [N], [-N] or [\"key\"]" },
        { "ts = a[-0]\n", "m:1: bad path for 'ts'" },
        { "ts = a.\n", "m:1: bad path for 'ts': path ends with '.'" },
        { "ts = a b\n", "m:1: space inside a path" },
        { "ts = a[\"b\n", "m:1: bad path for 'ts': unterminated" },
        { "account_id = a\n", "m: the map must say where `ts` is" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct hu_map *m = (struct hu_map *)1;
        char err[256] = "";
        int rc = hu_map_parse(&m, cases[i].text, strlen(cases[i].text), "m", err, sizeof err);
        if (rc == HU_OK)
            fail_msg("case %zu accepted", i);
        assert_null(m);
        if (strncmp(err, cases[i].msg, strlen(cases[i].msg)))
            fail_msg("case %zu: message '%s', want prefix '%s'", i, err, cases[i].msg);
    }
    struct hu_map *m;
    char err[256];
    assert_int_equal(hu_map_load(&m, tmp_path("no-such.map"), err, sizeof err), HU_ENOENT);
    /* ingest with a bad map fails at create */
    write_file(tmp_path("bad.map"), "ts = a\nfoo = b\n", strlen("ts = a\nfoo = b\n"));
    write_file(tmp_path("one.jsonl"), "{}\n", 3);
    struct hu_ingest *ing;
    struct hu_ingest_opts o = { .map_path = tmp_path("bad.map"), .quiet = 1 };
    const char *paths[] = { tmp_path("one.jsonl") };
    assert_int_equal(hu_ingest_create(&ing, paths, 1, &o), HU_EPARSE);
}

/* ---- the buffer entry point and allocation failure ------------------------ */

static void buffer_entry_point(void **state)
{
    (void)state;
    struct hu_line_parser *lp;
    assert_int_equal(hu_line_parser_create(&lp, NULL), HU_OK);
    /* trailing newline ignored; input freed right after, spans stay valid */
    const char *l = "{\"ts\":1,\"account_id\":\"a\\u00e9\",\"model\":\"m\"}\r\n";
    char *copy = strdup(l);
    assert_int_equal(hu_line_parse(lp, copy, strlen(copy), &EV), HU_REJECT_NONE);
    memset(copy, 'z', strlen(copy));
    free(copy);
    assert_span(EV.account_id, "a\xc3\xa9");
    assert_span(EV.model, "m");
    /* padded variant */
    char buf[256];
    memset(buf, 0, sizeof buf);
    strcpy(buf, "{\"ts\":2,\"account_id\":\"b\"}");
    assert_int_equal(hu_line_parse_padded(lp, buf, strlen(buf), &EV), HU_REJECT_NONE);
    assert_span(EV.account_id, "b");
    assert_int_equal(hu_line_parse(lp, NULL, 0, &EV), HU_REJECT_NOT_JSON);
    hu_line_parser_destroy(lp);
    hu_line_parser_destroy(NULL);
    hu_ingest_destroy(NULL);
    hu_map_destroy(NULL);
}

static void allocation_failures_are_clean(void **state)
{
    (void)state;
    const char *oom = "{\"ts\":1,\"account_id\":\"a\",\"prompt\":[\"x\"]}\n";
    write_file(tmp_path("oom.jsonl"), oom, strlen(oom));
    const char *paths[] = { tmp_path("oom.jsonl") };
    struct hu_ingest_opts o = { .quiet = 1 };
    int ok = 0;
    for (long n = 0; n < 40 && !ok; n++) {
        struct hu_ingest *ing = NULL;
        hu_alloc_fail_after(n);
        int rc = hu_ingest_create(&ing, paths, 1, &o);
        if (rc == HU_OK) {
            struct hu_event ev;
            int k = hu_ingest_next(ing, &ev);
            assert_true(k == 1 || k == HU_ENOMEM);
            ok = k == 1;
            hu_ingest_destroy(ing);
        } else {
            assert_int_equal(rc, HU_ENOMEM);
        }
        hu_alloc_fail_after(-1);
    }
    assert_true(ok);
}


/* Random byte edits of valid lines, in both modes: never a crash, never a
 * read past the line (ASan run), always an event or a reason, and an
 * accepted event keeps the invariants of event.h. */
static void mutated_lines_never_crash(void **state)
{
    (void)state;
    const char *mt = "ts = ts\naccount_id = account_id\nprompt = messages[-1].content\n"
                     "tools = tools\nmodel = model\nstatus = status\n";
    struct hu_map *m;
    char err[128];
    assert_int_equal(hu_map_parse(&m, mt, strlen(mt), "m", err, sizeof err), HU_OK);
    struct hu_line_parser *mlp;
    assert_int_equal(hu_line_parser_create(&mlp, m), HU_OK);
    static const char *seeds[] = {
        FULL,
        "{\"ts\":1,\"account_id\":\"a\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\","
        "\"text\":\"x\\u00e9\"}]}],\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":5}}",
    };
    static const char alphabet[] = "{}[]\",:\\0123456789.-eE ntrfu\xc3\xa9\xff\x00";
    uint64_t x = 0x2545F4914F6CDD1Dull;
    char buf[2048];
    for (int it = 0; it < 20000; it++) {
        const char *seed = seeds[it % 2];
        size_t n = strlen(seed);
        memcpy(buf, seed, n);
        int edits = 1 + it % 4;
        for (int e = 0; e < edits; e++) {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            size_t at = (size_t)(x % n);
            int op = (int)((x >> 32) % 3);
            char c = alphabet[(x >> 40) % (sizeof alphabet - 1)];
            if (op == 0) {
                buf[at] = c;
            } else if (op == 1 && n + 1 < sizeof buf) {
                memmove(buf + at + 1, buf + at, n - at);
                buf[at] = c;
                n++;
            } else if (n > 1) {
                memmove(buf + at, buf + at + 1, n - at - 1);
                n--;
            }
        }
        char *copy = malloc(n);
        memcpy(copy, buf, n);
        struct hu_line_parser *p = (it & 1) ? mlp : LP;
        enum hu_reject r = hu_line_parse(p, copy, n, &EV);
        assert_true(r >= HU_REJECT_NONE && r < HU_REJECT_COUNT);
        if (r == HU_REJECT_NONE) {
            assert_true(EV.ts_ms >= 0);
            if (EV.kind != HU_EV_MODEL_RELEASE)
                assert_true(EV.account_id.len >= 1 && EV.account_id.len <= HU_MAX_ID_BYTES);
            assert_true(EV.n_tools <= HU_MAX_TOOLS && EV.n_tools <= EV.tools_total);
            assert_true(!EV.prompt.ptr || EV.prompt.len <= HU_MAX_FIELD_BYTES);
        }
        free(copy);
    }
    hu_line_parser_destroy(mlp);
    hu_map_destroy(m);
}

/* Contract input and the same input through an identity map give the same
 * event (the map path reuses the contract parser). */
static void identity_map_matches_contract(void **state)
{
    (void)state;
    char mt[2048];
    size_t k = 0;
    static const char *f[] = { "kind", "ts", "account_id", "org_id", "api_key_id", "ip", "country",
                               "user_agent", "client_fp", "headers_fp", "endpoint", "model", "system",
                               "prompt", "tools", "thinking", "max_tokens", "input_tokens",
                               "output_tokens", "status", "payment_fp", "features", "label" };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        k += (size_t)snprintf(mt + k, sizeof mt - k, "%s = %s\n", f[i], f[i]);
    struct hu_map *m;
    char err[128];
    assert_int_equal(hu_map_parse(&m, mt, k, "id", err, sizeof err), HU_OK);
    struct hu_line_parser *mlp;
    assert_int_equal(hu_line_parser_create(&mlp, m), HU_OK);
    struct hu_event a, b;
    assert_int_equal(hu_line_parse(LP, FULL, strlen(FULL), &a), HU_REJECT_NONE);
    assert_int_equal(hu_line_parse(mlp, FULL, strlen(FULL), &b), HU_REJECT_NONE);
    assert_int_equal(a.ts_ms, b.ts_ms);
    assert_int_equal(a.kind, b.kind);
    struct hu_span *sa = &a.account_id, *sb = &b.account_id;
    /* every span member from account_id to features_json */
    size_t n_spans = (size_t)(&a.features_json - &a.account_id) + 1;
    for (size_t i = 0; i < n_spans; i++) {
        assert_int_equal(sa[i].len, sb[i].len);
        assert_int_equal(sa[i].ptr == NULL, sb[i].ptr == NULL);
        if (sa[i].ptr && memcmp(sa[i].ptr, sb[i].ptr, sa[i].len))
            fail_msg("span %zu differs", i);
    }
    assert_int_equal(a.n_tools, b.n_tools);
    assert_int_equal(a.max_tokens, b.max_tokens);
    assert_int_equal(a.thinking, b.thinking);
    assert_int_equal(a.status, b.status);
    hu_line_parser_destroy(mlp);
    hu_map_destroy(m);
}

/* ---- u64set vs a sorted-array reference ------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void u64set_matches_reference(void **state)
{
    (void)state;
    struct hu_u64set s;
    hu_u64set_init(&s);
    enum { N = 50000 };
    uint64_t *all = malloc(N * sizeof *all);
    uint64_t x = 12345;
    for (int i = 0; i < N; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        all[i] = (i % 5 == 0) ? (uint64_t)(i % 1000) : (x >> 20);   /* duplicates and a 0 */
        int rc = hu_u64set_add(&s, all[i]);
        assert_true(rc == 0 || rc == 1);
    }
    qsort(all, N, sizeof *all, cmp_u64);
    size_t distinct = 0;
    for (int i = 0; i < N; i++)
        if (i == 0 || all[i] != all[i - 1])
            distinct++;
    assert_int_equal(hu_u64set_count(&s), distinct);
    for (int i = 0; i < N; i += 7)
        assert_true(hu_u64set_has(&s, all[i]));
    assert_false(hu_u64set_has(&s, UINT64_C(0xdeadbeefdeadbeef)));
    assert_int_equal(hu_u64set_add(&s, 0), 0);
    hu_u64set_fini(&s);
    free(all);
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/hu_test_ingest_XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    return hu_line_parser_create(&LP, NULL) == HU_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    hu_line_parser_destroy(LP);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rfc3339_forms),
        cmocka_unit_test(rfc3339_roundtrip_vs_gmtime),
        cmocka_unit_test(ts_numbers),
        cmocka_unit_test(every_request_field),
        cmocka_unit_test(account_and_release_lines),
        cmocka_unit_test(nulls_are_absent_and_order_is_free),
        cmocka_unit_test(messages_string_and_blocks),
        cmocka_unit_test(tools_both_forms_and_cap),
        cmocka_unit_test(thinking_forms),
        cmocka_unit_test(every_reject_reason),
        cmocka_unit_test(depth_limit),
        cmocka_unit_test(long_text_is_truncated_on_utf8_boundary),
        cmocka_unit_test(plain_gzip_zstd_same_events),
        cmocka_unit_test(reader_framing_and_long_lines),
        cmocka_unit_test(ingest_rejects_file_and_errors),
        cmocka_unit_test(map_litellm_shape),
        cmocka_unit_test(map_nginx_shape),
        cmocka_unit_test(map_errors),
        cmocka_unit_test(buffer_entry_point),
        cmocka_unit_test(allocation_failures_are_clean),
        cmocka_unit_test(mutated_lines_never_crash),
        cmocka_unit_test(identity_map_matches_contract),
        cmocka_unit_test(u64set_matches_reference),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
