/*
 * bench_sim.c -- how fast `huella simulate` writes events.
 *
 *   build/release/bench/bench_sim [SCALE...]      (default 0.01 0.1)
 *
 * Runs scenario seed-2026 at each scale into a sink that discards the
 * bytes (the /dev/null case: generation and rendering only, no I/O), and
 * prints lines per second of wall time and per second of CPU time (the
 * machine is shared: when other work takes the core, wall time stretches,
 * CPU time does not), MB/s and bytes per line.  The floor is 1 M
 * events/s per core, i.e. per CPU second.  Memory is reported as the peak RSS of the process
 * (getrusage), which must not grow with the scale.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "sim/sim.h"

static int discard(void *ctx, const char *p, size_t len)
{
    (void)p;
    *(size_t *)ctx += len;
    return 0;
}

static double now(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    const char *def[] = {"0.01", "0.1"};
    int n = argc > 1 ? argc - 1 : 2;
    printf("%-8s %10s %8s %8s %12s %12s %8s %10s %9s\n", "scale", "lines", "wall s", "cpu s", "M lines/s",
           "M lines/cpu-s", "MB/cpu-s", "bytes/line", "peak RSS");
    for (int i = 0; i < n; i++) {
        double scale = strtod(argc > 1 ? argv[i + 1] : def[i], NULL);
        struct hu_sim_opts o = {"seed-2026", scale, 2026, 0, NULL};
        struct hu_sim *sim = NULL;
        char err[256];
        if (hu_sim_create(&o, &sim, err, sizeof err) != HU_OK) {
            fprintf(stderr, "bench_sim: %s\n", err);
            return 1;
        }
        size_t bytes = 0;
        struct hu_sim_counts c;
        double t = now(CLOCK_MONOTONIC), cpu = now(CLOCK_PROCESS_CPUTIME_ID);
        int rc = hu_sim_run(sim, discard, &bytes, &c);
        t = now(CLOCK_MONOTONIC) - t;
        cpu = now(CLOCK_PROCESS_CPUTIME_ID) - cpu;
        hu_sim_destroy(sim);
        if (rc != HU_OK) {
            fprintf(stderr, "bench_sim: run failed (%s)\n", hu_status_str(rc));
            return 1;
        }
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        double lps = (double)c.lines / cpu;
        /* reported, not failed: a timed assertion on a shared machine would flap */
        printf("%-8g %10llu %8.2f %8.2f %12.2f %12.2f %8.0f %10.0f %6ld MB%s\n", scale,
               (unsigned long long)c.lines, t, cpu, (double)c.lines / t / 1e6, lps / 1e6,
               (double)bytes / cpu / 1e6, (double)bytes / (double)c.lines, ru.ru_maxrss / 1024,
               lps < 1e6 ? "  below the 1 M/s floor" : "");
    }
    return 0;
}
