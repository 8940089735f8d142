/*
 * fuzz.h -- what every fuzz target in fuzz/ shares.
 *
 * Each fuzz/fuzz_<target>.c defines LLVMFuzzerTestOneInput() and may define
 * LLVMFuzzerInitialize().  It is built two ways:
 *   - `make fuzz`: clang -fsanitize=fuzzer,address,undefined into
 *     build/fuzz/fuzz_<target> (a libFuzzer binary: corpus in, crashes out);
 *   - every normal build (release, san): linked with fuzz/replay_main.c into
 *     $(B)/fuzz/replay_<target>, a plain program that feeds the files named
 *     on its command line (or every file of a directory) to the target once.
 *     `make test` replays fuzz/regressions/<target>/ and fuzz/corpus/<target>/
 *     with it (tests/cli/test_fuzz_regressions.sh), so a crash found once
 *     stays fixed without libFuzzer being run.
 * FUZZ_CHECK() is a property the target asserts (round trips, invariants):
 * a violation aborts, which libFuzzer reports like a crash.
 */
#ifndef HU_FUZZ_FUZZ_H
#define HU_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_CHECK(cond)                                                       \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: FUZZ_CHECK(%s) failed\n", __FILE__,        \
                    __LINE__, #cond);                                          \
            abort();                                                           \
        }                                                                      \
    } while (0)

#endif
