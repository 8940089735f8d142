/*
 * bench_floor.c -- the floor under `huella analyze` on one file: what it
 * costs to read the file at all, with no huella work.  Used by
 * bench/bench_scale.sh (make bench-scale), which divides analyze's time by
 * these.
 *
 *   build/release/bench/bench_floor MODE FILE
 *
 * MODE is one of
 *   frame    decompress (plain, gzip or zstd, by content) and frame lines:
 *            hu_reader, one thread (read + ZSTD_decompressStream + memchr)
 *   parse    frame + simdjson On-Demand visiting every value of every line
 *            (strings and numbers decoded, as a DOM parser would): the
 *            chosen JSON parser alone, no contract mapping, no huella work
 *   ingest   hu_ingest_next over the file: the contract fields into struct
 *            hu_event (what analyze's reader thread pays)
 *
 * Prints one JSON line: {"mode":..,"seconds":..,"cpu":..,"lines":..,
 * "bytes":..} with wall and CPU seconds of the pass.  No assertion on
 * speed: numbers go to docs/performance.md.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ingest/ingest.h"
#include "ingest/json_shim.h"
#include "ingest/reader.h"

static double now_s(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: bench_floor frame|parse|ingest FILE\n");
        return 2;
    }
    const char *mode = argv[1], *path = argv[2];
    uint64_t lines = 0, bytes = 0, check = 0;
    double w0 = now_s(CLOCK_MONOTONIC), c0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
    if (!strcmp(mode, "ingest")) {
        struct hu_ingest *ing = NULL;
        struct hu_ingest_opts io = { .quiet = 1 };
        const char *paths[1] = { path };
        if (hu_ingest_create(&ing, paths, 1, &io) != HU_OK)
            return 1;
        struct hu_event ev;
        while (hu_ingest_next(ing, &ev) == 1)
            check += ev.prompt.len + ev.n_tools;
        lines = hu_ingest_totals(ing)->lines;
        bytes = hu_ingest_totals(ing)->bytes;
        hu_ingest_destroy(ing);
    } else if (!strcmp(mode, "frame") || !strcmp(mode, "parse")) {
        int parse = !strcmp(mode, "parse");
        struct hu_reader r;
        if (hu_reader_open(&r, path) != HU_OK) {
            fprintf(stderr, "bench_floor: cannot open %s\n", path);
            return 1;
        }
        struct hu__json *j = NULL;
        if (parse && hu__json_create(&j) != HU_OK)
            return 1;
        struct hu_line line;
        while (hu_reader_next(&r, &line) == 1) {
            lines++;
            bytes += line.raw_len;
            if (!line.ptr)
                continue;
            if (parse)
                check += (uint64_t)hu__json_walk_all(j, line.ptr, line.len);
            else
                check += line.len;
        }
        hu__json_destroy(j);
        hu_reader_fini(&r);
    } else {
        fprintf(stderr, "bench_floor: unknown mode %s\n", mode);
        return 2;
    }
    double wall = now_s(CLOCK_MONOTONIC) - w0, cpu = now_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
    printf("{\"mode\":\"%s\",\"seconds\":%.3f,\"cpu\":%.3f,\"lines\":%llu,\"bytes\":%llu,\"check\":%llu}\n",
           mode, wall, cpu, (unsigned long long)lines, (unsigned long long)bytes,
           (unsigned long long)check);
    return 0;
}
