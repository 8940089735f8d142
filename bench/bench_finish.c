/*
 * bench_finish.c -- linkage and campaigns in bounded steps (the service's
 * relink, analysis.h hu_analysis_finish_step) against one finish() call.
 *
 * Observes FILE (the event contract, any compression ingest reads) on all
 * cores, then runs finish() once, then the same job in steps of BUDGET ms,
 * and prints: the one-call time, the stepped total, the number of steps,
 * the longest step and the share of steps over budget.  The longest step
 * is what the service's ingest waits for at most between two journal
 * slices (instead of the whole finish()).  Not run by make bench (it
 * needs a large input to mean anything): bench/bench_scale.sh's cached
 * files fit, e.g.
 *   build/release/bench_finish build/bench-scale/seed-2026-s0.1.jsonl.zst 20 --asn PLAN
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ingest/ingest.h"
#include "score/analysis.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int next_event(void *ctx, struct hu_event *ev)
{
    return hu_ingest_next(ctx, ev);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_finish FILE BUDGET_MS [--asn PLAN]\n");
        return 2;
    }
    double budget = atof(argv[2]) / 1000.0;
    const char *asn[1];
    struct hu_analysis_config cfg;
    memset(&cfg, 0, sizeof cfg);
    if (argc >= 5 && !strcmp(argv[3], "--asn")) {
        asn[0] = argv[4];
        cfg.features.asn_files = asn;
        cfg.features.n_asn_files = 1;
    }
    char err[256];
    struct hu_analysis *a;
    if (hu_analysis_create(&cfg, &a, err, sizeof err) != HU_OK) {
        fprintf(stderr, "bench_finish: %s\n", err);
        return 1;
    }
    struct hu_ingest_opts io;
    memset(&io, 0, sizeof io);
    io.quiet = 1;
    struct hu_ingest *ing;
    const char *paths[1] = { argv[1] };
    if (hu_ingest_create(&ing, paths, 1, &io) != HU_OK) {
        fprintf(stderr, "bench_finish: cannot read %s\n", argv[1]);
        return 1;
    }
    double t = now_s();
    if (hu_analysis_observe_all(a, next_event, ing, 0, NULL) != HU_OK) {
        fprintf(stderr, "bench_finish: observe failed\n");
        return 1;
    }
    double observe = now_s() - t;
    hu_ingest_destroy(ing);

    struct hu_results r;
    t = now_s();
    if (hu_analysis_finish(a, &r) != HU_OK)
        return 1;
    double one = now_s() - t;
    size_t n_acc = r.n_accounts, n_camp = r.n_campaigns;
    hu_results_fini(&r);

    /* the stepped job: every step timed here, as the service's worker sees it */
    size_t steps = 0, over = 0;
    double longest = 0, total = 0;
    t = now_s();
    int rc = hu_analysis_finish_begin(a);
    total += now_s() - t;
    while (rc == HU_OK || rc == HU_EAGAIN) {
        double s0 = now_s();
        const char *phase = hu_analysis_finish_phase(a);
        rc = hu_analysis_finish_step(a, budget, &r);
        double d = now_s() - s0;
        total += d;
        steps++;
        if (d > longest) longest = d;
        if (d > 2 * budget) {
            over++;
            printf("  step %zu (%s): %.3f s\n", steps, phase, d);
        }
        if (rc != HU_EAGAIN)
            break;
    }
    if (rc != HU_OK)
        return 1;
    hu_results_fini(&r);
    printf("accounts %zu, campaigns %zu, observe %.2f s\n", n_acc, n_camp, observe);
    printf("finish, one call:        %.3f s\n", one);
    printf("finish in %g ms steps:   %.3f s in %zu steps; longest step %.3f s; %zu steps over 2x budget\n",
           budget * 1000, total, steps, longest, over);
    hu_analysis_destroy(a);
    return 0;
}
