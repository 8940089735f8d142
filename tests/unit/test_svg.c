/* test_svg.c -- huella's SVG writer (escaping, numbers, determinism, sticky
 * errors) and report.html built from a small synthetic result with hostile
 * account ids. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "profile/profile_table.h"
#include "report/html.h"
#include "report/svg.h"
#include "score/results.h"

/* ---- escaping against a slow reference ---------------------------------- */

/* Encode cp as UTF-8; returns the length. */
static size_t enc(uint32_t cp, unsigned char *o)
{
    if (cp < 0x80) { o[0] = (unsigned char)cp; return 1; }
    if (cp < 0x800) { o[0] = (unsigned char)(0xC0 | cp >> 6); o[1] = (unsigned char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | cp >> 12); o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F)); return 3;
    }
    o[0] = (unsigned char)(0xF0 | cp >> 18); o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F)); o[3] = (unsigned char)(0x80 | (cp & 0x3F)); return 4;
}

/* Reference: at each position try every length 1..4, decode loosely, and
 * accept when re-encoding the code point gives the same bytes (so overlong
 * forms fail) and the code point is a scalar value; controls other than
 * tab and newline become one U+FFFD each, invalid bytes one U+FFFD per byte. */
static void ref_escape(const unsigned char *s, size_t len, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        int done = 0;
        for (size_t n = 1; n <= 4 && i + n <= len && !done; n++) {
            uint32_t cp;
            if (n == 1) cp = s[i];
            else {
                cp = s[i] & (0xFF >> (n + 1));
                for (size_t k = 1; k < n; k++) cp = cp << 6 | (s[i + k] & 0x3F);
            }
            unsigned char e[4];
            if (cp > 0x10FFFF || enc(cp, e) != n || memcmp(e, s + i, n)) continue;
            if (cp >= 0xD800 && cp <= 0xDFFF) break;
            if ((cp < 0x20 && cp != 9 && cp != 10) || (cp >= 0x7F && cp < 0xA0)) {
                /* a control character: one replacement for the sequence */
                memcpy(out + o, "\xEF\xBF\xBD", 3); o += 3; i += n; done = 1;
                break;
            }
            const char *ent = cp == '&' ? "&amp;" : cp == '<' ? "&lt;" : cp == '>' ? "&gt;"
                            : cp == '"' ? "&quot;" : cp == '\'' ? "&#39;" : NULL;
            if (ent) { strcpy(out + o, ent); o += strlen(ent); }
            else { memcpy(out + o, s + i, n); o += n; }
            i += n;
            done = 1;
        }
        if (!done) { memcpy(out + o, "\xEF\xBF\xBD", 3); o += 3; i++; }
    }
    out[o] = 0;
}

static void escape_matches_reference(void **state)
{
    (void)state;
    uint64_t x = 0x9E3779B97F4A7C15ull;
    static const unsigned char alphabet[] = { 'a', '<', '>', '&', '"', '\'', 0, 1, 9, 10, 13, 0x7F,
                                              0x80, 0xBF, 0xC0, 0xC2, 0xDF, 0xE0, 0xED, 0xEF, 0xF0,
                                              0xF4, 0xF5, 0xFF, 0xA0, 0x9F, 0x90, 0xA9 };
    struct hu_buf b;
    hu_buf_init(&b, 1 << 16);
    for (int iter = 0; iter < 20000; iter++) {
        unsigned char s[24];
        size_t len = (size_t)(iter % 24);
        for (size_t i = 0; i < len; i++) {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            s[i] = (x >> 8) % 3 ? alphabet[x % sizeof alphabet] : (unsigned char)(x >> 24);
        }
        char want[24 * 8 + 1];
        ref_escape(s, len, want);
        hu_buf_reset(&b);
        assert_int_equal(hu_xml_escape(&b, (const char *)s, len), HU_OK);
        assert_int_equal(b.len, strlen(want));
        assert_memory_equal(b.len ? b.ptr : "", want, b.len);
    }
    hu_buf_fini(&b);
}

static void escape_hostile(void **state)
{
    (void)state;
    struct hu_buf b;
    hu_buf_init(&b, 4096);
    assert_int_equal(hu_xml_escapes(&b, "<script>alert(1)</script>"), HU_OK);
    assert_string_equal(b.ptr, "&lt;script&gt;alert(1)&lt;/script&gt;");
    hu_buf_reset(&b);
    assert_int_equal(hu_xml_escapes(&b, "\"><img src=x onerror='alert(1)'>"), HU_OK);
    assert_string_equal(b.ptr, "&quot;&gt;&lt;img src=x onerror=&#39;alert(1)&#39;&gt;");
    hu_buf_reset(&b);
    assert_int_equal(hu_xml_escape(&b, "a\0b\x1b" "c\xc3\xa9\xe2\x80", 9), HU_OK);
    assert_string_equal(b.ptr, "a\xEF\xBF\xBD" "b\xEF\xBF\xBD" "c\xc3\xa9\xEF\xBF\xBD\xEF\xBF\xBD");
    hu_buf_reset(&b);
    /* text and attributes of shapes are escaped too */
    struct hu_svg s;
    hu_svg_begin(&s, &b, 10, 10, "c\"x", "l<b>");
    hu_svg_rect(&s, 0, 0, 1, 1, "k", "#fff\"/><script>", "</title><script>x</script>");
    hu_svg_texts(&s, 1, 1, "end", NULL, "</text><script>");
    assert_int_equal(hu_svg_end(&s), HU_OK);
    assert_null(strstr(b.ptr, "<script"));
    assert_non_null(strstr(b.ptr, "class=\"c&quot;x\""));
    assert_non_null(strstr(b.ptr, "<title>&lt;/title&gt;&lt;script&gt;x&lt;/script&gt;</title>"));
    hu_buf_fini(&b);
}

/* ---- numbers ------------------------------------------------------------- */

static void numbers(void **state)
{
    (void)state;
    static const struct { double v; const char *want; } cases[] = {
        { 0, "0" }, { -0.0, "0" }, { 1, "1" }, { -1, "-1" }, { 1.5, "1.5" }, { 1.25, "1.25" },
        { 1.2, "1.2" }, { 0.004, "0" }, { -0.004, "0" }, { 0.005, "0.01" }, { -0.005, "-0.01" },
        { 12345.678, "12345.68" }, { 1e12, "1000000000" }, { -1e12, "-1000000000" },
        { 0.1 + 0.2, "0.3" }, { 99.999, "100" }, { 2.10, "2.1" },
    };
    char t[32];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hu_svg_fmt(cases[i].v, t, sizeof t);
        assert_string_equal(t, cases[i].want);
    }
    hu_svg_fmt(NAN, t, sizeof t);
    assert_string_equal(t, "0");
    hu_svg_fmt(INFINITY, t, sizeof t);
    assert_string_equal(t, "0");
    /* against printf on a sweep (printf rounds half to even on binary
     * values; ours half away from zero: compare away from ties) */
    for (int i = -100000; i <= 100000; i += 7) {
        double v = i / 1000.0 + 0.0003;
        char ref[48];
        snprintf(ref, sizeof ref, "%.2f", v);
        size_t n = strlen(ref);
        while (ref[n - 1] == '0') ref[--n] = 0;
        if (ref[n - 1] == '.') ref[--n] = 0;
        if (!strcmp(ref, "-0")) strcpy(ref, "0");
        hu_svg_fmt(v, t, sizeof t);
        assert_string_equal(t, ref);
    }
}

static void deterministic_and_sticky(void **state)
{
    (void)state;
    struct hu_buf a, b;
    hu_buf_init(&a, 1 << 16);
    hu_buf_init(&b, 1 << 16);
    double xs[3] = { 0, 10.5, 20 }, ys[3] = { 5, 2.25, 7 };
    for (int k = 0; k < 2; k++) {
        struct hu_svg s;
        hu_svg_begin(&s, k ? &b : &a, 100, 50, "chart", "a chart");
        hu_svg_group(&s, "g");
        hu_svg_line(&s, 0, 0, 1.111, 2.226, "axis");
        hu_svg_circle(&s, 3, 4, 2, "acct", "id-1");
        hu_svg_polyline(&s, xs, ys, 3, "l");
        hu_svg_area(&s, xs, ys, 3, 10, "a");
        hu_svg_polyline(&s, xs, ys, 1, "never");
        hu_svg_group_end(&s);
        assert_int_equal(hu_svg_end(&s), HU_OK);
    }
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.ptr, b.ptr, a.len);
    assert_string_equal(a.ptr,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 100 50\" width=\"100\" height=\"50\" "
        "class=\"chart\" aria-label=\"a chart\" role=\"img\"><g class=\"g\">"
        "<line x1=\"0\" y1=\"0\" x2=\"1.11\" y2=\"2.23\" class=\"axis\"/>"
        "<circle cx=\"3\" cy=\"4\" r=\"2\" class=\"acct\"><title>id-1</title></circle>"
        "<polyline points=\"0,5 10.5,2.25 20,7\" class=\"l\"/>"
        "<polygon points=\"0,10 0,5 10.5,2.25 20,7 20,10\" class=\"a\"/></g></svg>");
    /* a full buffer: the first error sticks, later calls do nothing */
    struct hu_buf small;
    hu_buf_init(&small, 40);
    struct hu_svg s;
    hu_svg_begin(&s, &small, 1, 1, NULL, NULL);
    hu_svg_rect(&s, 0, 0, 1, 1, NULL, NULL, NULL);
    assert_int_equal(s.rc, HU_ETOOBIG);
    hu_svg_rect(&s, 0, 0, 1, 1, NULL, NULL, NULL);
    assert_int_equal(hu_svg_end(&s), HU_ETOOBIG);
    hu_buf_fini(&small);
    hu_buf_fini(&a);
    hu_buf_fini(&b);
}

static void bucket_width(void **state)
{
    (void)state;
    const int64_t h = 3600000;
    assert_int_equal(hu_report_bucket_ms(0), h);
    assert_int_equal(hu_report_bucket_ms(399 * h), h);
    assert_int_equal(hu_report_bucket_ms(400 * h), 2 * h);
    assert_int_equal(hu_report_bucket_ms(21 * 24 * h), 2 * h);
    assert_int_equal(hu_report_bucket_ms(365 * 24 * h), 24 * h);
    for (int64_t span = 0; span < 40000 * h; span += 977 * h / 10)
        assert_true(span / hu_report_bucket_ms(span) + 1 <= HU_REPORT_MAX_BUCKETS);
}

/* ---- the page from a synthetic result ----------------------------------- */

static const char *const hostile[] = {
    "<script>alert(1)</script>", "\"><img src=x onerror=alert(2)>", "'><svg onload=alert(3)>",
    "</script><script>alert(4)</script>", "acct-&amp;-5", "acct-6",
};
#define N_HOST (sizeof hostile / sizeof hostile[0])

static char *render(struct hu_profile_table *t, struct hu_results *r)
{
    struct hu_report_input in = { .res = r, .profiles = t };
    char *mem = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&mem, &len);
    assert_non_null(f);
    assert_int_equal(hu_report_html_write(f, &in), HU_OK);
    assert_int_equal(fclose(f), 0);
    return mem;
}

static void page_escapes_hostile_ids(void **state)
{
    (void)state;
    struct hu_profile_table *t;
    assert_int_equal(hu_profile_table_create(0, &t), HU_OK);
    struct hu_account_result acc[N_HOST];
    uint32_t members[N_HOST];
    memset(acc, 0, sizeof acc);
    for (size_t i = 0; i < N_HOST; i++) {
        struct hu_profile *p;
        int created;
        assert_int_equal(hu_profile_table_get(t, hostile[i], strlen(hostile[i]), &p, &created), HU_OK);
        p->n_req = 10;
        p->hour[3] = 10;
        p->dow[1] = 10;
        (void)hu_profile_set_add(p, HU_PSET_PAYMENT, 0x1234);   /* one shared payment */
        acc[i].account_id = hostile[i];
        acc[i].account_id_len = (uint32_t)strlen(hostile[i]);
        acc[i].campaign = 1;
        acc[i].requests = 10;
        acc[i].score = 0.9 - 0.01 * (double)i;
        acc[i].action = acc[i].would = HU_ACTION_BLOCK;
        hu_account_add_reason(&acc[i], "shared_payment", 6, 1);
        members[i] = (uint32_t)i;
    }
    struct hu_indicator ind = { "user_agent", (char *)"<b onmouseover=alert(5)>ua</b>", 6, 0 };
    struct hu_evidence ev = { (char *)"6 accounts <i>share</i> a card", 1 };
    struct hu_campaign_result c = { .id = "C-0123456789ab", .members = members, .n_members = N_HOST,
                                    .requests = 60, .score = 0.95, .first_seen_ms = 1767225600000LL,
                                    .last_seen_ms = 1767225600000LL + 3600000, .indicators = &ind,
                                    .n_indicators = 1, .evidence = &ev, .n_evidence = 1, .link_kinds = 1 };
    c.targets[0] = 0.5;
    struct hu_results r = { .accounts = acc, .n_accounts = N_HOST, .campaigns = &c, .n_campaigns = 1,
                            .first_ts_ms = c.first_seen_ms, .last_ts_ms = c.last_seen_ms, .total_requests = 60,
                            .policy_digest = 0xabcdef };
    char *p1 = render(t, &r), *p2 = render(t, &r);
    assert_string_equal(p1, p2);                                 /* deterministic */
    assert_null(strstr(p1, "alert(1)</script>"));
    assert_null(strstr(p1, "<img"));
    assert_null(strstr(p1, "<svg onload"));
    assert_null(strstr(p1, "<b onmouseover"));
    assert_null(strstr(p1, "<i>share"));
    assert_non_null(strstr(p1, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_non_null(strstr(p1, "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"));
    assert_non_null(strstr(p1, "acct-&amp;amp;-5"));
    /* in the JSON block: < > & as \u escapes, so </script> cannot close it */
    assert_non_null(strstr(p1, "\\u003c/script\\u003e\\u003cscript\\u003ealert(4)"));
    /* exactly two script elements: the data block and the page's own */
    size_t n_script = 0;
    for (const char *q = p1; (q = strstr(q, "<script")); q++) n_script++;
    assert_int_equal(n_script, 2);
    assert_non_null(strstr(p1, "id=\"C-0123456789ab\""));
    assert_non_null(strstr(p1, "<table id=\"flagged\">"));
    assert_non_null(strstr(p1, "policy digest <code>0000000000abcdef</code>"));
    /* one shared payment: the graph draws it */
    assert_non_null(strstr(p1, "class=\"ent e-pay\""));
    free(p1);
    free(p2);
    hu_profile_table_destroy(t);
}

/* 2,500 flagged accounts in one campaign, holding entities of ten kinds
 * shared by ~25 accounts each: the table stops at HU_REPORT_MAX_FLAGGED rows,
 * the graph at HU_REPORT_MAX_GRAPH_NODES nodes, and the page says so. */
static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *q = hay; (q = strstr(q, needle)); q++) n++;
    return n;
}

static void page_caps(void **state)
{
    (void)state;
    enum { N = 2500 };
    static const int kinds[] = { HU_PSET_PAYMENT, HU_PSET_IP, HU_PSET_PREFIX, HU_PSET_CLIENT_FP,
                                 HU_PSET_HEADERS_FP, HU_PSET_UA, HU_PSET_API_KEY, HU_PSET_SYSTEM,
                                 HU_PSET_TOOLS, HU_PSET_ASN };
    struct hu_profile_table *t;
    assert_int_equal(hu_profile_table_create(N, &t), HU_OK);
    struct hu_account_result *acc = calloc(N, sizeof *acc);
    uint32_t *members = calloc(N, sizeof *members);
    char (*ids)[16] = calloc(N, sizeof *ids);
    assert_non_null(acc); assert_non_null(members); assert_non_null(ids);
    for (size_t i = 0; i < N; i++) {
        snprintf(ids[i], sizeof ids[i], "a%05zu", i);
        struct hu_profile *p;
        int created;
        assert_int_equal(hu_profile_table_get(t, ids[i], strlen(ids[i]), &p, &created), HU_OK);
        for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
            (void)hu_profile_set_add(p, (enum hu_pset)kinds[k], 1000 * (k + 1) + i % 97 + 1);
        acc[i] = (struct hu_account_result){ .account_id = ids[i], .account_id_len = (uint32_t)strlen(ids[i]),
                                             .campaign = 1, .requests = 1 + i % 13, .score = 0.9,
                                             .action = HU_ACTION_BLOCK, .would = HU_ACTION_BLOCK };
        members[i] = (uint32_t)i;
    }
    struct hu_campaign_result c = { .id = "C-00000000cafe", .members = members, .n_members = N,
                                    .requests = 17500, .score = 0.97, .first_seen_ms = 0, .last_seen_ms = 3600000 };
    struct hu_results r = { .accounts = acc, .n_accounts = N, .campaigns = &c, .n_campaigns = 1,
                            .first_ts_ms = 0, .last_ts_ms = 3600000, .total_requests = 17500 };
    char *page = render(t, &r);
    assert_int_equal(count(page, "<td class=\"acct\">"), HU_REPORT_MAX_FLAGGED);
    assert_non_null(strstr(page, "the 2,000 highest-scoring of 2,500 flagged accounts"));
    assert_int_equal(count(page, "{\"account_id\":"), HU_REPORT_MAX_FLAGGED);
    const char *g = strstr(page, "class=\"chart graph-svg\"");
    assert_non_null(g);
    const char *g_end = strstr(g, "</svg>");
    size_t circles = 0;
    for (const char *q = g; (q = strstr(q, "<circle")) && q < g_end; q++) circles++;
    assert_true(circles <= HU_REPORT_MAX_GRAPH_NODES);
    assert_true(circles >= HU_REPORT_MAX_GRAPH_NODES - 10);
    assert_non_null(strstr(page, "at most 200 nodes"));
    /* deterministic with the caps too */
    char *again = render(t, &r);
    assert_string_equal(page, again);
    free(again);
    free(page);
    free(ids); free(members); free(acc);
    hu_profile_table_destroy(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(escape_matches_reference),
        cmocka_unit_test(escape_hostile),
        cmocka_unit_test(numbers),
        cmocka_unit_test(deterministic_and_sticky),
        cmocka_unit_test(bucket_width),
        cmocka_unit_test(page_escapes_hostile_ids),
        cmocka_unit_test(page_caps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
