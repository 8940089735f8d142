/*
 * fuzz_text.c -- text normalisation, template keys, head/tail keys, language
 * guess, SimHash, the phrase-pattern scan (Hyperscan) and the linear model
 * on arbitrary bytes (invalid and overlong UTF-8, NULs, anything).
 *
 * Byte 0 picks a cut for the output buffers (so truncation at a code point
 * is exercised as well as the full-size buffers); the rest is the text.
 * Properties: outputs never exceed their caps; a full-size normalisation
 * equals hu_text_template(); a truncated output is a prefix-free cut (its
 * length is at most the cap); the scan reports at most the table's rows.
 */
#include <string.h>

#include "features/lang.h"
#include "features/linear.h"
#include "features/simhash.h"
#include "features/targets.h"
#include "features/text.h"
#include "fuzz/fuzz.h"

static struct hu_targets *tg;
static struct hu_targets_scratch *sc;
static struct hu_linear_model *lm;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char err[256];
    if (hu_targets_create(&tg, err, sizeof err) != HU_OK ||
        hu_targets_scratch_create(tg, &sc) != HU_OK) {
        fprintf(stderr, "fuzz_text: %s\n", err);
        abort();
    }
    if (hu_linear_create(HU_LINEAR_MIN_LOG2, &lm) != HU_OK)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *p = (const char *)data + 1;
    size_t len = size - 1;
    size_t cap = HU_TEXT_OUT_CAP(len);
    char *out = malloc(cap), *scan = malloc(cap), *tmpl = malloc(cap);
    if (!out || !scan || !tmpl)
        abort();
    size_t scan_len = 0;
    size_t n = hu_text_normalise(p, len, out, cap, scan, cap, &scan_len);
    FUZZ_CHECK(n <= cap && scan_len <= cap);
    size_t nt = hu_text_template(p, len, tmpl, cap);
    FUZZ_CHECK(nt == n && memcmp(tmpl, out, n) == 0);

    /* A cut buffer: as long as byte 0 says, at most the full size. */
    size_t cut = data[0] % 64;
    if (cut > cap)
        cut = cap;
    size_t nc = hu_text_template(p, len, tmpl, cut);
    FUZZ_CHECK(nc <= cut);

    uint64_t head, tail;
    hu_text_head_tail(out, n, &head, &tail);
    (void)hu_text_chars(p, len);
    (void)hu_lang_guess(out, n);
    (void)hu_text_simhash(out, n);
    size_t pos = 0, start;
    int cjk, guard = 0;
    while (hu__next_token(out, n, &pos, &start, &cjk)) {
        FUZZ_CHECK(start < pos && pos <= n);
        FUZZ_CHECK(++guard <= (int)n + 1);
    }

    float sum[HU_TARGET_COUNT] = { 0 };
    uint32_t hits[16];
    size_t nrows = 0;
    (void)hu_targets_table(&nrows);
    size_t nh = hu_targets_scan(tg, sc, scan, scan_len, sum, hits, 16);
    FUZZ_CHECK(nh <= nrows);
    /* Raw bytes straight into the scanner too (the service may skip masking). */
    (void)hu_targets_scan(tg, sc, p, len, sum, NULL, 0);
    float prob[HU_TARGET_COUNT];
    hu_linear_score(lm, out, n, prob);
    free(out);
    free(scan);
    free(tmpl);
    return 0;
}
