/*
 * bench_featurize.c -- featurization against analysis, per core.
 *
 *   build/release/bench/bench_featurize EVENTS [max-lines] [reps]
 *
 * Loads up to max-lines (default 200000) lines of EVENTS (plain, gz or zst)
 * into memory, then measures, in CPU seconds of this process (one thread,
 * so per core), the median of `reps` (default 3) runs of:
 *
 *   featurize   hu_fz_line on every line (parse, features, rewrite; keyed),
 *               what `huella featurize` and libhuella do per request;
 *   analyze     hu_line_parse_padded + hu_analysis_observe on every line,
 *               then hu_analysis_finish (linkage, campaigns, evidence):
 *               what `huella analyze` does, minus reading the file;
 *   analyze-fz  the same on the featurized lines.
 *
 * The requirement is featurize >= analyze in lines per CPU second:
 * featurization sits in the request path.  bench/run.sh simulates the
 * input (seed-2026 at scale 0.01) first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "features/featurized.h"
#include "ingest/ingest.h"
#include "ingest/reader.h"
#include "score/analysis.h"

static double cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

struct lines {
    char **p;
    size_t *len;
    size_t n;
    uint64_t bytes;
};

static int add_line(struct lines *L, const char *p, size_t len, size_t max)
{
    if (L->n == max)
        return 0;
    char *c = malloc(len + HU_JSON_PADDING);
    if (!c)
        return -1;
    memcpy(c, p, len);
    memset(c + len, 0, HU_JSON_PADDING);
    L->p[L->n] = c;
    L->len[L->n++] = len;
    L->bytes += len + 1;
    return 1;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return v[n / 2];
}

static double run_analyze(const struct lines *L)
{
    struct hu_analysis *an = NULL;
    struct hu_line_parser *lp = NULL;
    struct hu_results res = { 0 };
    struct hu_analysis_config cfg = { .features = { 0 } };
    char err[256];
    if (hu_analysis_create(&cfg, &an, err, sizeof err) != HU_OK || hu_line_parser_create(&lp, NULL) != HU_OK) {
        fprintf(stderr, "setup failed: %s\n", err);
        exit(1);
    }
    struct hu_event ev;
    double t0 = cpu();
    for (size_t i = 0; i < L->n; i++)
        if (hu_line_parse_padded(lp, L->p[i], L->len[i], &ev) == HU_REJECT_NONE)
            (void)hu_analysis_observe(an, &ev);
    if (hu_analysis_finish(an, &res) != HU_OK)
        exit(1);
    double t = cpu() - t0;
    hu_results_fini(&res);
    hu_analysis_destroy(an);
    hu_line_parser_destroy(lp);
    return t;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_featurize EVENTS [max-lines] [reps]\n");
        return 2;
    }
    size_t max = argc > 2 ? (size_t)strtoull(argv[2], NULL, 10) : 200000;
    int reps = argc > 3 ? atoi(argv[3]) : 3;
    if (reps < 1 || reps > 15)
        reps = 3;
    struct lines L = { malloc(max * sizeof(char *)), malloc(max * sizeof(size_t)), 0, 0 };
    struct lines F = { malloc(max * sizeof(char *)), malloc(max * sizeof(size_t)), 0, 0 };
    struct hu_reader rd;
    struct hu_line line;
    if (!L.p || !L.len || !F.p || !F.len || hu_reader_open(&rd, argv[1]) != HU_OK) {
        fprintf(stderr, "cannot read %s\n", argv[1]);
        return 2;
    }
    while (hu_reader_next(&rd, &line) == 1)
        if (!line.too_long && add_line(&L, line.ptr, line.len, max) <= 0)
            break;
    hu_reader_fini(&rd);

    static const char key[] = "bench-feature-key-32-bytes......";
    struct hu_fkey k;
    struct hu_features *fx = NULL;
    struct hu_fx_worker *w = NULL;
    struct hu_fz_reader *r = NULL;
    struct hu_line_parser *lp = NULL;
    struct hu_features_config fcfg = { .feature_key = key, .feature_key_len = sizeof key - 1 };
    char err[256];
    if (hu_fkey_derive(key, sizeof key - 1, &k) != HU_OK || hu_features_create(&fcfg, &fx, err, sizeof err) ||
        hu_fx_worker_create(fx, &w) || hu_fz_reader_create(&r) || hu_line_parser_create(&lp, NULL)) {
        fprintf(stderr, "setup failed\n");
        return 1;
    }
    struct hu_buf out;
    hu_buf_init(&out, 2 * (size_t)HU_MAX_LINE_BYTES);
    double tf[15], ta[15], tz[15];
    size_t featurized = 0;
    for (int rep = 0; rep < reps; rep++) {
        int why;
        double t0 = cpu();
        for (size_t i = 0; i < L.n; i++) {
            int o = hu_fz_line(w, r, lp, &k, L.p[i], L.len[i], 1, &out, NULL, 0, NULL, &why);
            if (rep == 0 && o > 0 && add_line(&F, out.ptr, out.len, max) < 0)
                return 1;
            featurized += rep == 0 && o == HU_FZ_FEATURIZED;
        }
        tf[rep] = cpu() - t0;
    }
    for (int rep = 0; rep < reps; rep++)
        ta[rep] = run_analyze(&L);
    for (int rep = 0; rep < reps; rep++)
        tz[rep] = run_analyze(&F);
    double mf = median(tf, reps), ma = median(ta, reps), mz = median(tz, reps);
    printf("input: %s, %zu lines (%.1f MB), %zu with text; featurized %.1f MB (%.0f%%)\n", argv[1], L.n,
           L.bytes / 1e6, featurized, F.bytes / 1e6, 100.0 * F.bytes / (L.bytes ? L.bytes : 1));
    printf("%-12s %10s %12s %10s\n", "path", "cpu s", "lines/cpu-s", "us/line");
    printf("%-12s %10.3f %12.0f %10.2f\n", "featurize", mf, L.n / mf, 1e6 * mf / L.n);
    printf("%-12s %10.3f %12.0f %10.2f\n", "analyze", ma, L.n / ma, 1e6 * ma / L.n);
    printf("%-12s %10.3f %12.0f %10.2f\n", "analyze-fz", mz, F.n / mz, 1e6 * mz / F.n);
    printf("featurize / analyze throughput: %.2fx (requirement: >= 1)\n", ma / mf);
    hu_buf_fini(&out);
    hu_line_parser_destroy(lp);
    hu_fz_reader_destroy(r);
    hu_fx_worker_destroy(w);
    hu_features_destroy(fx);
    return 0;
}
