/*
 * libexport.c -- the service's fingerprint library (serve
 * --fingerprints-out FILE), made exactly as `huella analyze` makes
 * DIR/fingerprints.hfl, from the journal instead of files.
 *
 * Why a second analysis and not the running one: a library needs, per
 * account, the prompt heads and tails and the system prompts of its
 * requests (fprint's side table), and the calibration needs a second pass
 * over every request.  The running analysis holds neither after a restart
 * from a checkpoint, and keeping the side table in every checkpoint would
 * cost more than reading the journal again now and then.  The journal
 * holds every acknowledged event in order, so reading it twice gives the
 * library `analyze` would give on the same lines: the test
 * (tests/cli/test_serve_library.sh) holds the two byte-identical.
 *
 * Cost: two passes over the journal and a second set of profiles while it
 * runs (peak memory about twice the service's profiles).  It runs on its
 * own thread, reading the journal through the store's reader connection
 * in batches, so decisions, ingest and relinks go on meanwhile; how often
 * is the operator's choice (--fingerprints-every).
 */
#include "serve/backend.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/limits.h"
#include "fprint/fprint.h"
#include "ingest/ingest.h"
#include "score/analysis.h"
#include "score/policy.h"
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* journal rows read per store call (the reader lock is held for one) */
#define JOURNAL_BATCH 1024u

/* An event source over journal rows 1..upto (hu_event_next_fn). */
struct journal_src {
    struct hu_store *st;
    uint64_t upto, after;       /* last seq wanted; last seq read */
    struct hu_line_parser *lp;
    struct hu_buf lines;        /* this batch's lines, back to back */
    size_t *off;                /* JOURNAL_BATCH + 1 offsets into lines */
    size_t n, pos;
    int failed;                 /* a batch could not be held (ENOMEM) */
    int end;
    uint64_t skipped;           /* rows that failed their checksum or no longer parse */
    int (*cancel)(void *ctx);
    void *cancel_ctx;
};

static int collect_row(void *ctx, uint64_t seq, const char *line, size_t len)
{
    struct journal_src *j = ctx;
    if (seq > j->upto) {
        j->end = 1;
        return 1;
    }
    j->after = seq;
    if (!line) {                /* a damaged row: never folded in, counted */
        j->skipped++;
        return 0;
    }
    if (hu_buf_add(&j->lines, line, len) != HU_OK) {
        j->failed = 1;
        return 1;
    }
    j->off[++j->n] = j->lines.len;
    return 0;
}

static int journal_next(void *ctx, struct hu_event *ev)
{
    struct journal_src *j = ctx;
    for (;;) {
        while (j->pos < j->n) {
            size_t a = j->off[j->pos], b = j->off[j->pos + 1];
            j->pos++;
            /* lines were checked before they were journaled; one that
             * fails now (a parser change between versions) is skipped, as
             * the engine's apply skips it */
            if (hu_line_parse(j->lp, j->lines.ptr + a, b - a, ev) == HU_REJECT_NONE)
                return 1;
            j->skipped++;
        }
        if (j->end || j->after >= j->upto)
            return 0;
        if (j->cancel && j->cancel(j->cancel_ctx))
            return HU_EUNAVAIL;
        hu_buf_reset(&j->lines);
        j->n = j->pos = 0;
        j->off[0] = 0;
        int n = hu_store_journal_read(j->st, j->after, JOURNAL_BATCH, collect_row, j);
        if (j->failed)
            return HU_ENOMEM;
        if (n < 0)
            return n;
        if (n == 0)
            j->end = 1;
    }
}

static int journal_src_open(struct journal_src *j, const struct hu__be_export *x, struct hu_store *st,
                            uint64_t upto)
{
    memset(j, 0, sizeof *j);
    j->cancel = x->cancel;
    j->cancel_ctx = x->cancel_ctx;
    j->st = st;
    j->upto = upto;
    hu_buf_init(&j->lines, (size_t)JOURNAL_BATCH * (HU_MAX_LINE_BYTES + 1));
    j->off = hu_malloc((JOURNAL_BATCH + 1) * sizeof *j->off);
    int rc = j->off ? hu_line_parser_create(&j->lp, NULL) : HU_ENOMEM;
    if (rc != HU_OK) {
        hu_free(j->off);
        hu_buf_fini(&j->lines);
    }
    return rc;
}

static void journal_src_close(struct journal_src *j)
{
    hu_line_parser_destroy(j->lp);
    hu_free(j->off);
    hu_buf_fini(&j->lines);
}

int hu__be_export_library(const struct hu__be_export *x, struct hu_store *st, uint64_t upto,
                          struct hu__be_export_stats *stats, char *errbuf, size_t errcap)
{
    memset(stats, 0, sizeof *stats);
    if (errbuf && errcap)
        errbuf[0] = 0;
    struct hu_policy *policy = NULL;
    if (x->policy_path) {
        int prc = hu_policy_load(x->policy_path, &policy, errbuf, errcap);
        if (prc != HU_OK)
            return prc;
    }
    struct hu_fp_lib built;
    hu_fp_lib_init(&built);
    struct hu_analysis_config cfg;
    memset(&cfg, 0, sizeof cfg);
    if (x->features)
        cfg.features = *x->features;
    cfg.policy = policy;
    cfg.known = x->known;
    cfg.fp_key = x->key;
    cfg.fp_build = &built;
    struct hu_analysis *a = NULL;
    struct hu_results res;
    memset(&res, 0, sizeof res);
    struct journal_src j;
    int rc = hu_analysis_create(&cfg, &a, errbuf, errcap);
    if (rc == HU_OK) {
        rc = journal_src_open(&j, x, st, upto);
        if (rc == HU_OK) {
            rc = hu_analysis_observe_all(a, journal_next, &j, x->threads, NULL);
            stats->skipped = j.skipped;
            journal_src_close(&j);
        }
    }
    if (rc == HU_OK)
        rc = hu_analysis_finish(a, &res);
    struct hu_library_finish lf;
    if (rc == HU_OK) {
        rc = journal_src_open(&j, x, st, upto);
        if (rc == HU_OK) {
            rc = hu_analysis_library_finish(a, &res, journal_next, &j, x->threads, &lf);
            journal_src_close(&j);
        }
    }
    if (rc == HU_OK) {
        /* readers of the file (a gateway's next `serve --known`, a partner)
         * see the old library or the new one, never half of one */
        char tmp[4096];
        int n = snprintf(tmp, sizeof tmp, "%s.tmp", x->path);
        rc = n > 0 && (size_t)n < sizeof tmp ? hu_fp_lib_save(&built, tmp) : HU_EINVAL;
        if (rc == HU_OK && rename(tmp, x->path) != 0)
            rc = HU_EIO;
        if (rc != HU_OK) {
            snprintf(errbuf, errcap, "cannot write %s: %s", x->path,
                     rc == HU_EIO ? strerror(errno) : hu_status_str(rc));
            remove(tmp);
        }
    } else if (errbuf && errcap && !errbuf[0]) {
        snprintf(errbuf, errcap, "%s", hu_status_str(rc));
    }
    if (rc == HU_OK) {
        stats->campaigns = built.n;
        stats->accounts = res.n_accounts;
        stats->threshold = lf.threshold;
        stats->calibrated = lf.calibrated;
    }
    hu_results_fini(&res);
    hu_analysis_destroy(a);
    hu_fp_lib_fini(&built);
    hu_policy_destroy(policy);
    return rc;
}
