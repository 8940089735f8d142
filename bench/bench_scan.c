/*
 * bench_scan.c -- what the phrase scan (hu_targets_scan) costs, and what
 * each row of the table costs, on real prompt text and on bench_json's
 * word salad.
 *
 *   bench_scan [runs] [mode] [prompts dir]
 *     runs    passes over each text set; the minimum is printed (default 5);
 *             timed with the thread's CPU clock (the machine is shared),
 *             a table and the whole table interleaved when compared
 *     mode    "total" (default): us per line of hu_targets_scan on both sets;
 *             "rows": the same with each row left out of the whole table
 *             (cost of the row in context, in ns per line), sorted;
 *             "alone": each row compiled alone (ns per line);
 *             "real", "salad": the whole table on one set only (for perf);
 *             "<i>[,<j>...]": the table without rows i, j, ... only
 *     dir     the prompts corpus (default ../shared/data/prompts)
 *
 * The texts are made as bench_json makes its two files (not byte for
 * byte): a real line joins two or more corpus texts of <= 2 KB with a
 * blank line until it reaches 150..1150 bytes (~0.95 KB a line here:
 * bench_json's lines add ~0.35 KB of JSON fields); a salad line draws
 * bench_json's 29 words.  20,000 lines of each.  Both go through
 * hu_text_normalise once, before timing, so only the scan is timed.
 *
 * This file includes src/features/targets.c to reach its compile step
 * (compile_rows with a skip mask): the library's copy of targets.o is then
 * not linked in.  No assertion on speed here: numbers go to the docs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../src/features/targets.c"
#include "features/text.h"
#include "../tests/unit/corpus_text.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next_u64(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}
static unsigned below(unsigned n) { return (unsigned)(next_u64() % n); }

#define N_LINES 20000u
#define TEXT_MAX 2048u

struct set {
    char **scan;
    size_t *len, n, bytes;
};

static char **texts;
static size_t *text_lens, n_texts, texts_cap;

static void keep_text(void *ctx, const char *t, size_t n, size_t index)
{
    (void)ctx, (void)index;
    if (n == 0 || n > TEXT_MAX)
        return;
    if (n_texts == texts_cap) {
        texts_cap = texts_cap ? 2 * texts_cap : 65536;
        texts = realloc(texts, texts_cap * sizeof *texts);
        text_lens = realloc(text_lens, texts_cap * sizeof *text_lens);
        if (!texts || !text_lens)
            exit(1);
    }
    texts[n_texts] = malloc(n);
    if (texts[n_texts] == NULL)
        exit(1);
    memcpy(texts[n_texts], t, n);
    text_lens[n_texts++] = n;
}

static const char *const words[] = {
    "explain", "the", "reasoning", "step", "by", "step", "for", "this", "answer", "grade",
    "rubric", "function", "return", "value", "code", "python", "tool", "call", "result",
    "caf\xc3\xa9", "na\xc3\xafve", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82",
    "\"quoted\"", "line\nbreak", "tab\there", "\xf0\x9f\x98\x80", "data", "analysis",
};
#define N_WORDS (sizeof words / sizeof words[0])

static void make_set(struct set *s, int real)
{
    static char raw[4 * TEXT_MAX + 4096], tpl[HU_TEXT_OUT_CAP(sizeof raw)], scan[HU_TEXT_OUT_CAP(sizeof raw)];
    s->n = N_LINES;
    s->bytes = 0;
    s->scan = malloc(N_LINES * sizeof *s->scan);
    s->len = malloc(N_LINES * sizeof *s->len);
    if (!s->scan || !s->len)
        exit(1);
    for (size_t i = 0; i < N_LINES; i++) {
        size_t target = 150 + below(1000), k = 0;
        if (real) {
            for (int parts = 0; parts < 2 || k < target; parts++) {
                if (parts) {
                    memcpy(raw + k, "\n\n", 2);
                    k += 2;
                }
                size_t t = below((unsigned)n_texts);
                memcpy(raw + k, texts[t], text_lens[t]);
                k += text_lens[t];
                if (k > 3 * TEXT_MAX)
                    break;
            }
        } else {
            while (k < target) {
                const char *w = words[below(N_WORDS)];
                size_t n = strlen(w);
                memcpy(raw + k, w, n);
                k += n;
                raw[k++] = ' ';
            }
        }
        s->bytes += k;
        size_t sl = 0;
        hu_text_normalise(raw, k, tpl, sizeof tpl, scan, sizeof scan, &sl);
        s->scan[i] = malloc(sl + 1);
        if (s->scan[i] == NULL)
            exit(1);
        memcpy(s->scan[i], scan, sl);
        s->len[i] = sl;
    }
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);  /* not the time others hold the core */
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static volatile size_t sink;

/* ns per line, minimum of runs passes; *hits: rows matched in all. */
static double time_set(const struct hu_targets *t, const struct set *s, int runs, size_t *hits)
{
    struct hu_targets_scratch *scr = NULL;
    if (hu_targets_scratch_create(t, &scr) != HU_OK)
        exit(1);
    double best = 1e30;
    for (int r = 0; r < runs; r++) {
        size_t h = 0;
        double t0 = now();
        for (size_t i = 0; i < s->n; i++) {
            float sum[HU_TARGET_COUNT] = { 0 };
            h += hu_targets_scan(t, scr, s->scan[i], s->len[i], sum, NULL, 0);
        }
        double dt = now() - t0;
        if (dt < best)
            best = dt;
        if (hits)
            *hits = h;
        sink += h;
    }
    hu_targets_scratch_destroy(scr);
    return best * 1e9 / (double)s->n;
}

/* Minimum ns per line of a and of b over runs passes each, interleaved
 * (a, b, a, b, ...), so that a busy moment of the shared machine falls on
 * both: their difference is what b leaves out. */
static void time_pair(const struct hu_targets *a, const struct hu_targets *b, const struct set *s, int runs,
                      double *ta, double *tb)
{
    *ta = *tb = 1e30;
    for (int r = 0; r < runs; r++) {
        double x = time_set(a, s, 1, NULL), y = time_set(b, s, 1, NULL);
        *ta = x < *ta ? x : *ta;
        *tb = y < *tb ? y : *tb;
    }
}

static void free_targets(struct hu_targets *t)
{
    if (t == NULL)
        return;
    hs_free_database(t->db);
    hs_free_database(t->db_paren);
    hu_free(t);
}

static struct hu_targets *compile_skip(const unsigned char *skip)
{
    struct hu_targets *t = NULL;
    char err[256];
    if (compile_rows(&t, skip, err, sizeof err) != HU_OK) {
        fprintf(stderr, "bench_scan: %s\n", err);
        exit(1);
    }
    return t;
}

struct row_cost {
    size_t row;
    double salad, real;
};

static int by_real(const void *a, const void *b)
{
    const struct row_cost *x = a, *y = b;
    return x->real < y->real ? 1 : x->real > y->real ? -1 : 0;
}

static void short_re(size_t row, char *o, size_t cap)
{
    snprintf(o, cap, "%s", table[row].re);
    if (strlen(table[row].re) >= cap && cap > 4)
        memcpy(o + cap - 4, "...", 4);
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 5;
    const char *mode = argc > 2 ? argv[2] : "total";
    const char *dir = argc > 3 ? argv[3] : "../shared/data/prompts";
    static char buf[1 << 20];
    size_t files = 0;
    if (runs < 1)
        runs = 1;
    if (corpus_each(dir, buf, sizeof buf, &files, keep_text, NULL) < 0 || n_texts == 0) {
        fprintf(stderr, "bench_scan: no texts in %s\n", dir);
        return 1;
    }
    struct set salad, real;
    make_set(&salad, 0);
    make_set(&real, 1);
    printf("bench_scan: %zu lines each; salad %.0f B/line, real %.0f B/line (%zu texts of %s); min of %d runs\n",
           (size_t)N_LINES, (double)salad.bytes / N_LINES, (double)real.bytes / N_LINES, n_texts, dir, runs);

    double t0 = now();
    struct hu_targets *all = compile_skip(NULL);
    double ct = now() - t0;
    if (strcmp(mode, "salad") == 0) {        /* for perf record: the salad only */
        printf("whole table: salad %.3f us/line\n", time_set(all, &salad, runs, NULL) / 1e3);
        free_targets(all);
        return 0;
    }
    if (strcmp(mode, "real") == 0) {         /* for perf record: the real set only */
        printf("whole table: real %.3f us/line\n", time_set(all, &real, runs, NULL) / 1e3);
        free_targets(all);
        return 0;
    }
    size_t hs_, hr;
    double base_s = time_set(all, &salad, runs, &hs_), base_r = time_set(all, &real, runs, &hr);
    printf("whole table: salad %.3f us/line (%zu hits), real %.3f us/line (%zu hits); compile %.0f ms\n",
           base_s / 1e3, hs_, base_r / 1e3, hr, ct * 1e3);

    if (strcmp(mode, "total") == 0) {
        free_targets(all);
        return 0;
    }
    static unsigned char skip[N_PATTERNS];
    static struct row_cost cost[N_PATTERNS];
    char re[100];
    if (strcmp(mode, "rows") == 0 || strcmp(mode, "alone") == 0) {
        int alone = mode[0] == 'a';
        for (size_t r = 0; r < N_PATTERNS; r++) {
            for (size_t i = 0; i < N_PATTERNS; i++)
                skip[i] = alone ? (i != r) : (i == r);
            struct hu_targets *t = compile_skip(skip);
            double fs = base_s, fr = base_r, s, q;
            if (alone) {
                s = time_set(t, &salad, runs, NULL);
                q = time_set(t, &real, runs, NULL);
            } else {
                time_pair(all, t, &salad, runs, &fs, &s);
                time_pair(all, t, &real, runs, &fr, &q);
            }
            free_targets(t);
            cost[r].row = r;
            cost[r].salad = alone ? s : fs - s;
            cost[r].real = alone ? q : fr - q;
        }
        qsort(cost, N_PATTERNS, sizeof cost[0], by_real);
        printf("%s, ns per line, by real-text cost:\n  row    real   salad  regex\n",
               alone ? "each row alone" : "each row left out (whole - without)");
        for (size_t k = 0; k < N_PATTERNS; k++) {
            short_re(cost[k].row, re, sizeof re);
            printf("  %3zu %7.1f %7.1f  %s\n", cost[k].row, cost[k].real, cost[k].salad, re);
        }
    } else {
        for (const char *p = mode; *p;) {
            char *e;
            unsigned long r = strtoul(p, &e, 10);
            if (e == p || r >= N_PATTERNS) {
                fprintf(stderr, "bench_scan: bad row list %s\n", mode);
                return 2;
            }
            skip[r] = 1;
            p = *e == ',' ? e + 1 : e;
        }
        struct hu_targets *t = compile_skip(skip);
        double s, q;
        time_pair(all, t, &salad, runs, &base_s, &s);
        time_pair(all, t, &real, runs, &base_r, &q);
        free_targets(t);
        printf("without %s: salad %.3f us/line (-%.1f ns), real %.3f us/line (-%.1f ns)\n", mode, s / 1e3,
               base_s - s, q / 1e3, base_r - q);
    }
    free_targets(all);
    return 0;
}
