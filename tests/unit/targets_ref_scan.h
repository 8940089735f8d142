/*
 * targets_ref_scan.h -- the frozen phrase table (targets_ref.h) compiled
 * as hu_targets_scan compiled it before the speed work (every row with
 * CASELESS | UTF8 | SINGLEMATCH, one block-mode database), and one scan of
 * it with the sums added in Hyperscan's report order.  test_targets_equiv
 * and test_targets_edges hold hu_targets_scan to it (ref_check).
 * Header-only, included after <cmocka.h>: each test is its own binary.
 */
#ifndef HU_TESTS_TARGETS_REF_SCAN_H
#define HU_TESTS_TARGETS_REF_SCAN_H

#include <hs.h>
#include <stdio.h>
#include <string.h>

#include "features/targets.h"
#include "targets_ref.h"

static hs_database_t *ref_db;
static hs_scratch_t *ref_scr;

/* Compile the reference; 0 on success (cmocka set-up convention). */
static int ref_open(void)
{
    const char *ex[REF_ROWS];
    unsigned fl[REF_ROWS], ids[REF_ROWS];
    for (size_t i = 0; i < REF_ROWS; i++) {
        ex[i] = ref_table[i].re;
        fl[i] = HS_FLAG_CASELESS | HS_FLAG_UTF8 | HS_FLAG_SINGLEMATCH;
        ids[i] = (unsigned)i;
    }
    hs_compile_error_t *ce = NULL;
    if (hs_compile_multi(ex, fl, ids, (unsigned)REF_ROWS, HS_MODE_BLOCK, NULL, &ref_db, &ce) != HS_SUCCESS) {
        fprintf(stderr, "reference table does not compile: %s\n", ce ? ce->message : "?");
        hs_free_compile_error(ce);
        return -1;
    }
    return hs_alloc_scratch(ref_db, &ref_scr) == HS_SUCCESS ? 0 : -1;
}

static void ref_close(void)
{
    hs_free_scratch(ref_scr);
    hs_free_database(ref_db);
    ref_scr = NULL;
    ref_db = NULL;
}

/* What one reference scan found: rows in report order, sums as added. */
struct ref_ctx {
    float sum[HU_TARGET_COUNT];
    uint32_t hits[REF_ROWS];
    size_t n;
};

static int ref_on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned fl, void *ctx)
{
    struct ref_ctx *c = ctx;
    (void)from, (void)to, (void)fl;
    c->sum[ref_table[id].target] += ref_table[id].weight;
    if (c->n < REF_ROWS)
        c->hits[c->n] = id;
    c->n++;
    return 0;
}

/* Scan s[0..n) with the reference into *r; HS_SUCCESS or Hyperscan's error. */
static int ref_scan(const char *s, size_t n, struct ref_ctx *r)
{
    memset(r, 0, sizeof *r);
    return n > 0 ? hs_scan(ref_db, s, (unsigned)n, 0, ref_scr, ref_on_match, r) : HS_SUCCESS;
}

/* 1 when hits[0..got) are the reference's rows, in any order. */
static int ref_same_rows(const uint32_t *hits, size_t got, const struct ref_ctx *r)
{
    if (got != r->n)
        return 0;
    for (size_t i = 0; i < got; i++) {
        size_t j = 0;
        while (j < r->n && r->hits[j] != hits[i])
            j++;
        if (j == r->n)
            return 0;
    }
    return 1;
}

/* Scan s[0..n) with hu_targets_scan (db, scr) and with the reference into
 * *r; fail the test unless both report the same rows (in any order: rows
 * that end at one offset may come in another order, which Hyperscan leaves
 * unspecified) and per-target sums equal bit for bit.  On failure the rows,
 * the sums and, with show_text, the text's bytes are printed.  Returns 1
 * when the rows also came in the reference's order. */
static int ref_check(const struct hu_targets *db, struct hu_targets_scratch *scr, const char *s, size_t n,
                     int show_text, struct ref_ctx *r)
{
    assert_int_equal(ref_scan(s, n, r), HS_SUCCESS);
    float sum[HU_TARGET_COUNT] = { 0 };
    uint32_t hits[REF_ROWS];
    size_t got = hu_targets_scan(db, scr, s, n, sum, hits, REF_ROWS);
    if (!ref_same_rows(hits, got, r) || memcmp(sum, r->sum, sizeof sum) != 0) {
        print_error("scan of %zu bytes: %zu rows (reference %zu)\n", n, got, r->n);
        if (show_text) {
            print_error("  text \"");
            for (size_t i = 0; i < n; i++)
                print_error((unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f ? "%c" : "\\x%02x",
                            (unsigned char)s[i]);
            print_error("\"\n");
        }
        for (size_t i = 0; i < got || i < r->n; i++)
            print_error("  hit %zu: row %d (reference row %d)\n", i, i < got ? (int)hits[i] : -1,
                        i < r->n ? (int)r->hits[i] : -1);
        for (int t = 0; t < HU_TARGET_COUNT; t++)
            print_error("  sum[%d] %.9g (reference %.9g)\n", t, (double)sum[t], (double)r->sum[t]);
        fail();
    }
    return got == r->n && memcmp(hits, r->hits, r->n * sizeof hits[0]) == 0;
}

#endif
