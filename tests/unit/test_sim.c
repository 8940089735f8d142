/* test_sim.c -- the simulator: determinism, contract shape, counts against
 * what --list promises, order, knobs, and its random numbers against exact
 * references. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>

#include "core/alloc.h"
#include "sim/sim.h"
#include "sim/sim_rng.h"

struct sink {
    char  *p;
    size_t len, cap;
    int    fail_after;    /* stop the run after this many calls (-1 never) */
    int    calls;
};

static int sink_write(void *ctx, const char *p, size_t len)
{
    struct sink *s = ctx;
    if (s->fail_after >= 0 && s->calls++ >= s->fail_after)
        return -1;
    if (s->len + len > s->cap) {
        size_t nc = (s->len + len) * 2;
        char *q = realloc(s->p, nc);
        if (!q)
            return -1;
        s->p = q;
        s->cap = nc;
    }
    memcpy(s->p + s->len, p, len);
    s->len += len;
    return 0;
}

static void run(const char *scenario, double scale, uint64_t seed, unsigned evade, struct sink *out,
                struct hu_sim_counts *n)
{
    struct hu_sim_opts o = {scenario, scale, seed, evade, NULL};
    struct hu_sim *sim = NULL;
    char err[256];
    assert_int_equal(hu_sim_create(&o, &sim, err, sizeof err), HU_OK);
    memset(out, 0, sizeof *out);
    out->fail_after = -1;
    assert_int_equal(hu_sim_run(sim, sink_write, out, n), HU_OK);
    hu_sim_destroy(sim);
}

static void same_seed_same_bytes(void **state)
{
    (void)state;
    struct sink a, b, c;
    struct hu_sim_counts na, nb, nc;
    run("smoke", 1.0, 7, 0, &a, &na);
    run("smoke", 1.0, 7, 0, &b, &nb);
    run("smoke", 1.0, 8, 0, &c, &nc);
    assert_true(a.len > 1000000);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.p, b.p, a.len);
    assert_true(a.len != c.len || memcmp(a.p, c.p, a.len) != 0);
    assert_int_equal(na.bytes, a.len);
    assert_int_equal(na.lines, na.requests + na.accounts + na.releases);
    free(a.p);
    free(b.p);
    free(c.p);
}

/* Find `"key":"` in [p, e) and return the value's span. */
static int field(const char *p, const char *e, const char *key, const char **v, size_t *vl)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":\"", key);
    size_t pl = strlen(pat);
    const char *k = memmem(p, (size_t)(e - p), pat, pl);
    if (!k)
        return 0;
    *v = k + pl;
    const char *q = memchr(*v, '"', (size_t)(e - *v));
    if (!q)
        return 0;
    *vl = (size_t)(q - *v);
    return 1;
}

/* Every line: one object, no raw control bytes, ts sorted, a label;
 * counts per label against hu_sim_expected(). */
static void lines_counts_and_order(void **state)
{
    (void)state;
    struct sink s;
    struct hu_sim_counts n;
    run("smoke", 1.0, 2026, 0, &s, &n);
    struct hu_sim_expect ex[32];
    int rows = hu_sim_expected("smoke", 1.0, ex, 32);
    assert_true(rows > 8 && rows <= 32);
    uint64_t req[32] = {0}, acc[32] = {0}, lines = 0, releases = 0;
    char last_ts[32] = "";
    const char *p = s.p, *end = s.p + s.len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        assert_non_null(nl);
        lines++;
        assert_true(p[0] == '{' && nl[-1] == '}');
        for (const char *q = p; q < nl; q++)
            assert_true((unsigned char)*q >= 0x20);
        const char *v;
        size_t vl;
        assert_true(field(p, nl, "ts", &v, &vl));
        assert_int_equal(vl, 24);                      /* 2026-01-12T00:00:00.000Z */
        char ts[32];
        memcpy(ts, v, vl);
        ts[vl] = 0;
        assert_true(strcmp(last_ts, ts) <= 0);         /* sorted to the millisecond */
        memcpy(last_ts, ts, sizeof ts);
        assert_true(field(p, nl, "label", &v, &vl));
        int kind_account = !strncmp(p, "{\"kind\":\"account\"", 17);
        int kind_release = !strncmp(p, "{\"kind\":\"model_release\"", 23);
        if (kind_release) {
            releases++;
        } else {
            int r;
            for (r = 0; r < rows; r++)
                if (strlen(ex[r].label) == vl && !memcmp(ex[r].label, v, vl))
                    break;
            assert_true(r < rows);
            if (kind_account)
                acc[r]++;
            else {
                req[r]++;
                assert_true(field(p, nl, "account_id", &v, &vl));
                assert_true(field(p, nl, "model", &v, &vl));
                assert_true(field(p, nl, "ip", &v, &vl));
            }
        }
        p = nl + 1;
    }
    assert_int_equal(lines, n.lines);
    assert_int_equal(releases, 1);
    for (int r = 0; r < rows; r++) {
        /* accounts exactly; requests within max(10%, 4 sd of a session-lumpy Poisson) */
        assert_int_equal(acc[r], ex[r].accounts);
        double e = (double)ex[r].requests, tol = fmax(0.10 * e, 4.0 * sqrt(e * 8.0));
        if (fabs((double)req[r] - e) > tol)
            fail_msg("%s: %llu requests, expected %llu +- %.0f", ex[r].label, (unsigned long long)req[r],
                     (unsigned long long)ex[r].requests, tol);
    }
    free(s.p);
}

/* Seconds since the window start of a "2026-01-DDTHH:MM:SS.mmmZ" stamp
 * (the scenarios all start on 2026-01-12 and last < 20 days). */
static double ts_rel(const char *v)
{
    int d = (v[8] - '0') * 10 + (v[9] - '0');
    int h = (v[11] - '0') * 10 + (v[12] - '0'), m = (v[14] - '0') * 10 + (v[15] - '0');
    int sec = (v[17] - '0') * 10 + (v[18] - '0');
    return (d - 12) * 86400.0 + h * 3600.0 + m * 60.0 + sec;
}

static int line_has(const char *p, const char *nl, const char *s)
{
    return memmem(p, (size_t)(nl - p), s, strlen(s)) != NULL;
}

/* The behaviours the scenario promises, measured on its output: the
 * release pivot, farmed sign-up waves, cot-harvest's shifts, and what the
 * residential and jitter knobs take away. */
static void behaviours(void **state)
{
    (void)state;
    int64_t t0, rel;
    int days;
    assert_int_equal(hu_sim_scenario_window("smoke", &t0, &days, &rel), HU_OK);
    double r = (double)(rel - t0);
    struct sink s;
    struct hu_sim_counts n;
    run("smoke", 1.0, 2026, 0, &s, &n);
    unsigned cs_new = 0, cs_all = 0, ind_new = 0, ind_all = 0, before_new = 0, waves_bad = 0, farmed = 0;
    unsigned cot_all = 0, cot_shift = 0;
    const char *p = s.p, *end = s.p + s.len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *v;
        size_t vl;
        field(p, nl, "ts", &v, &vl);
        double t = ts_rel(v);
        int acct = !strncmp(p, "{\"kind\":\"account\"", 17), req = p[2] == 't';
        int newm = line_has(p, nl, "\"model\":\"helix-3\"");
        if (req && newm && t < r)
            before_new++;
        if (req && t > r + 18 * 3600 && t < r + 36 * 3600) {
            if (line_has(p, nl, "\"label\":\"code-sweep/")) { cs_all++; cs_new += newm; }
            if (line_has(p, nl, "\"label\":\"benign/individual\"")) { ind_all++; ind_new += newm; }
        }
        if (acct && line_has(p, nl, "code-sweep/farmed")) {
            /* smoke: 2 waves of 3 h from day 0.2, the second 1.5 days later */
            double w0 = 0.2 * 86400, w1 = w0 + 0.75 * 2.8 * 86400 / 2;
            int in0 = t >= w0 && t < w0 + 3 * 3600, in1 = t >= w1 && t < w1 + 3 * 3600;
            waves_bad += !(in0 || in1);
            farmed++;
        }
        if (req && line_has(p, nl, "\"label\":\"cot-harvest/")) {
            int uh = (int)(t / 3600) % 24;
            cot_all++;
            cot_shift += (uh >= 1 && uh < 9) || (uh >= 13 && uh < 17);
        }
        p = nl + 1;
    }
    assert_int_equal(before_new, 0);
    assert_true(cs_all > 200 && ind_all > 50);
    double cs_share = (double)cs_new / cs_all, ind_share = (double)ind_new / ind_all;
    if (cs_share < 0.38 || cs_share > 0.62 || ind_share > 0.3)
        fail_msg("new-model share 18-36 h after release: campaign %.2f, people %.2f", cs_share, ind_share);
    assert_int_equal(farmed, 12);
    assert_int_equal(waves_bad, 0);
    assert_true(cot_shift > 0.9 * cot_all);
    free(s.p);

    /* --evade residential: no campaign request from hosting, cloud or proxy-dc space;
     * --evade jitter: cot-harvest leaves its shifts */
    run("smoke", 1.0, 2026, HU_SIM_EVADE_RESIDENTIAL | HU_SIM_EVADE_JITTER, &s, &n);
    unsigned dc = 0, camp = 0;
    cot_all = cot_shift = 0;
    p = s.p;
    end = s.p + s.len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *v;
        size_t vl;
        if (p[2] == 't' && !line_has(p, nl, "\"label\":\"benign")) {
            camp++;
            field(p, nl, "ip", &v, &vl);
            dc += !strncmp(v, "45.", 3) || !strncmp(v, "52.", 3) || !strncmp(v, "185.", 4) || !strncmp(v, "37.", 3);
            if (line_has(p, nl, "\"label\":\"cot-harvest/")) {
                field(p, nl, "ts", &v, &vl);
                int uh = (int)(ts_rel(v) / 3600) % 24;
                cot_all++;
                cot_shift += (uh >= 1 && uh < 9) || (uh >= 13 && uh < 17);
            }
        }
        p = nl + 1;
    }
    assert_true(camp > 1000);
    assert_int_equal(dc, 0);
    assert_true(cot_shift < 0.8 * cot_all);
    free(s.p);
}

/* Evasion knobs change the output; unique-payment gives each campaign
 * account its own card. */
static void evade_knobs(void **state)
{
    (void)state;
    unsigned bits = 0;
    char bad[32];
    assert_int_equal(hu_sim_parse_evade("paraphrase,slow", &bits, bad, sizeof bad), HU_OK);
    assert_int_equal(bits, HU_SIM_EVADE_PARAPHRASE | HU_SIM_EVADE_SLOW);
    assert_int_equal(hu_sim_parse_evade("paraphrase,bogus", &bits, bad, sizeof bad), HU_EINVAL);
    assert_string_equal(bad, "bogus");
    bits = 0;
    assert_int_equal(hu_sim_parse_evade("all", &bits, bad, sizeof bad), HU_OK);
    assert_int_equal(bits, 63u);

    static const unsigned knobs[] = {HU_SIM_EVADE_PARAPHRASE, HU_SIM_EVADE_JITTER, HU_SIM_EVADE_RESIDENTIAL,
                                     HU_SIM_EVADE_UNIQUE_PAY, HU_SIM_EVADE_MIX, HU_SIM_EVADE_SLOW, 63u};
    struct sink base, k;
    struct hu_sim_counts n;
    run("smoke", 0.5, 3, 0, &base, &n);
    for (size_t i = 0; i < sizeof knobs / sizeof knobs[0]; i++) {
        run("smoke", 0.5, 3, knobs[i], &k, &n);
        assert_true(k.len != base.len || memcmp(k.p, base.p, k.len) != 0);
        if (knobs[i] == HU_SIM_EVADE_UNIQUE_PAY) {
            /* cot-harvest account lines: every payment_fp distinct */
            char seen[64][20];
            int ns = 0;
            const char *p = k.p, *end = k.p + k.len;
            while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                const char *v;
                size_t vl;
                if (!strncmp(p, "{\"kind\":\"account\"", 17) && memmem(p, (size_t)(nl - p), "cot-harvest", 11) &&
                    field(p, nl, "payment_fp", &v, &vl)) {
                    assert_true(vl < 20 && ns < 64);
                    for (int j = 0; j < ns; j++)
                        assert_false(strlen(seen[j]) == vl && !memcmp(seen[j], v, vl));
                    memcpy(seen[ns], v, vl);
                    seen[ns++][vl] = 0;
                }
                p = nl + 1;
            }
            assert_true(ns >= 4);
        }
        free(k.p);
    }
    free(base.p);
}

static void bad_options(void **state)
{
    (void)state;
    struct hu_sim *sim = (struct hu_sim *)1;
    char err[256];
    struct hu_sim_opts o = {"no-such-scenario", 1.0, 1, 0, NULL};
    assert_int_equal(hu_sim_create(&o, &sim, err, sizeof err), HU_ENOENT);
    assert_null(sim);
    assert_non_null(strstr(err, "no-such-scenario"));
    o.scenario = "smoke";
    o.scale = 0;
    assert_int_equal(hu_sim_create(&o, &sim, err, sizeof err), HU_EINVAL);
    o.scale = 1e9;
    assert_int_equal(hu_sim_create(&o, &sim, err, sizeof err), HU_EINVAL);
    o.scale = 1;
    o.text_from = "/nonexistent/dir";
    assert_int_equal(hu_sim_create(&o, &sim, err, sizeof err), HU_ENOENT);
    struct hu_sim_expect ex[4];
    assert_int_equal(hu_sim_expected("nope", 1.0, ex, 4), HU_ENOENT);
    assert_int_equal(hu_sim_expected("smoke", -1.0, ex, 4), HU_EINVAL);
    hu_sim_destroy(NULL);
    assert_int_equal(hu_sim_out_close(NULL), HU_OK);
}

/* The sink stopping the run stops it with HU_EIO. */
static void sink_failure_stops(void **state)
{
    (void)state;
    struct hu_sim_opts o = {"smoke", 1.0, 1, 0, NULL};
    struct hu_sim *sim = NULL;
    char err[256];
    assert_int_equal(hu_sim_create(&o, &sim, err, sizeof err), HU_OK);
    struct sink s;
    memset(&s, 0, sizeof s);
    s.fail_after = 2;
    assert_int_equal(hu_sim_run(sim, sink_write, &s, NULL), HU_EIO);
    hu_sim_destroy(sim);
    free(s.p);
}

/* seed-2026 at scale 1 holds the public record's figures. */
static void seed_2026_figures(void **state)
{
    (void)state;
    struct hu_sim_expect ex[32];
    int rows = hu_sim_expected("seed-2026", 1.0, ex, 32);
    assert_true(rows > 0);
    uint64_t ca = 0, cr = 0, ba = 0, br = 0, c1 = 0, c2 = 0, c3 = 0;
    for (int r = 0; r < rows; r++) {
        int benign = !strncmp(ex[r].label, "benign", 6);
        if (benign) {
            ba += ex[r].accounts;
            br += ex[r].requests;
        } else {
            ca += ex[r].accounts;
            cr += ex[r].requests;
        }
        if (!strncmp(ex[r].label, "cot-harvest", 11)) c1 += ex[r].requests;
        if (!strncmp(ex[r].label, "agentic-mix", 11)) c2 += ex[r].requests;
        if (!strncmp(ex[r].label, "code-sweep", 10)) c3 += ex[r].requests;
    }
    assert_int_equal(ca, 24000);
    assert_true(cr > 16000000);
    assert_true(ba >= 200000);
    assert_true(br > cr);
    assert_int_equal(c1, 150000);
    assert_int_equal(c2, 3400000);
    assert_int_equal(c3, 13000000);
    int64_t t0, rel;
    int days;
    assert_int_equal(hu_sim_scenario_window("seed-2026", &t0, &days, &rel), HU_OK);
    assert_true(days >= 14 && days <= 28);
    assert_true(rel > t0 && rel < t0 + days * 86400);
    /* scale shrinks every row in proportion (floors aside) */
    struct hu_sim_expect sm[32];
    assert_int_equal(hu_sim_expected("seed-2026", 0.1, sm, 32), rows);
    for (int r = 0; r < rows; r++) {
        uint64_t want = (uint64_t)floor(ex[r].accounts * 0.1 + 0.5);
        assert_true(sm[r].accounts >= want);
        assert_true(sm[r].accounts == want || sm[r].accounts <= 64);   /* only floors raise it */
    }
}

/* The generators against exact references. */
static void rng_against_reference(void **state)
{
    (void)state;
    struct sim_rng r;
    sim_rng_seed(&r, 42);
    /* sim_below: uniform, never out of range; chi-square over 10 bins */
    uint32_t bins[10] = {0};
    for (int i = 0; i < 100000; i++) {
        uint32_t v = sim_below(&r, 10);
        assert_true(v < 10);
        bins[v]++;
    }
    double chi = 0;
    for (int i = 0; i < 10; i++)
        chi += (bins[i] - 10000.0) * (bins[i] - 10000.0) / 10000.0;
    assert_true(chi < 40);   /* 9 dof: p < 1e-5 */
    /* Poisson mean and variance for a small and a large mean */
    const double lams[2] = {3.5, 250.0};
    for (int j = 0; j < 2; j++) {
        double s = 0, s2 = 0;
        const int n = 20000;
        for (int i = 0; i < n; i++) {
            double k = sim_poisson(&r, lams[j]);
            s += k;
            s2 += k * k;
        }
        double mean = s / n, var = s2 / n - mean * mean;
        assert_true(fabs(mean - lams[j]) < 5 * sqrt(lams[j] / n));
        assert_true(fabs(var / lams[j] - 1.0) < 0.06);
    }
    /* truncated geometric: exact mean (1-(1-p)^cap)/p */
    double s = 0;
    for (int i = 0; i < 50000; i++)
        s += sim_geom(&r, 4.0, 14);
    double exact = (1.0 - pow(0.75, 14)) / 0.25;
    assert_true(fabs(s / 50000 - exact) < 0.05);
    /* u01 in [0,1) */
    for (int i = 0; i < 1000; i++) {
        double u = sim_u01(&r);
        assert_true(u >= 0 && u < 1);
    }
}

/* The address plan as CSV: sorted, non-overlapping IPv4 ranges. */
static void address_plan_csv(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(hu_sim_write_asn_csv(f), HU_OK);
    fclose(f);
    unsigned prev_end = 0, rows = 0;
    char *line = buf;
    while (line && *line) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = 0;
        unsigned a, b, c, d, e, g, h, i;
        if (sscanf(line, "%u.%u.%u.%u,%u.%u.%u.%u,", &a, &b, &c, &d, &e, &g, &h, &i) == 8) {
            unsigned s = (a << 24) | (b << 16) | (c << 8) | d, t = (e << 24) | (g << 16) | (h << 8) | i;
            assert_true(s <= t);
            assert_true(rows == 0 || s > prev_end);
            prev_end = t;
            rows++;
        }
        assert_non_null(strstr(line, ",\""));
        line = nl ? nl + 1 : NULL;
    }
    assert_true(rows > 50);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_seed_same_bytes),
        cmocka_unit_test(lines_counts_and_order),
        cmocka_unit_test(behaviours),
        cmocka_unit_test(evade_knobs),
        cmocka_unit_test(bad_options),
        cmocka_unit_test(sink_failure_stops),
        cmocka_unit_test(seed_2026_figures),
        cmocka_unit_test(rng_against_reference),
        cmocka_unit_test(address_plan_csv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
