/*
 * backend.c -- see backend.h: the service's thin seam onto ingest's line
 * parser and the batch analysis.
 */
#include "serve/backend.h"
#include "core/alloc.h"
#include "ingest/ingest.h"
#include "report/outputs.h"
#include "score/analysis.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *hu__be_name(void) { return "pipeline"; }

/* ---- event lines --------------------------------------------------------- */

struct hu__be_parser { struct hu_line_parser *lp; };

int hu__be_parser_create(struct hu__be_parser **out)
{
    struct hu__be_parser *p = hu_calloc(1, sizeof *p);
    if (!p)
        return HU_ENOMEM;
    int rc = hu_line_parser_create(&p->lp, NULL);
    if (rc != HU_OK) {
        hu_free(p);
        return rc;
    }
    *out = p;
    return HU_OK;
}

void hu__be_parser_destroy(struct hu__be_parser *p)
{
    if (!p)
        return;
    hu_line_parser_destroy(p->lp);
    hu_free(p);
}

const char *hu__be_parse(struct hu__be_parser *p, const char *line, size_t len,
                         struct hu_event *ev, const char **field)
{
    enum hu_reject r = hu_line_parse(p->lp, line, len, ev);
    *field = NULL;
    if (r == HU_REJECT_NONE)
        return NULL;
    *field = hu_line_parser_reject_field(p->lp);
    return hu_reject_name(r);
}


/* ---- the analysis ---------------------------------------------------------- */

struct hu__be { struct hu_analysis *a; };

int hu__be_create(const struct hu_features_config *fx, struct hu__be **out, char *errbuf,
                  size_t errcap)
{
    struct hu__be *b = hu_calloc(1, sizeof *b);
    if (!b)
        return HU_ENOMEM;
    /* The analysis keeps the default policy: the service applies its own
     * (reloadable) policy at decide time to the analysis's scores, so a
     * reload never leaves the analysis with a freed policy. */
    struct hu_analysis_config cfg;
    memset(&cfg, 0, sizeof cfg);
    if (fx)
        cfg.features = *fx;
    int rc = hu_analysis_create(&cfg, &b->a, errbuf, errcap);
    if (rc != HU_OK) {
        hu_free(b);
        return rc;
    }
    *out = b;
    return HU_OK;
}

void hu__be_destroy(struct hu__be *b)
{
    if (!b)
        return;
    hu_analysis_destroy(b->a);
    hu_free(b);
}

int hu__be_observe(struct hu__be *b, const struct hu_event *ev)
{
    return hu_analysis_observe(b->a, ev);
}

int hu__be_finish(struct hu__be *b, struct hu_results *out)
{
    return hu_analysis_finish(b->a, out);
}

int hu__be_campaigns_json(const struct hu_results *r, struct hu_buf *out)
{
    char *mem = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&mem, &n);
    if (!f)
        return HU_ENOMEM;
    int rc = hu_write_campaigns_json(f, r);
    if (fclose(f) != 0 && rc == HU_OK)
        rc = HU_EIO;
    if (rc == HU_OK)
        rc = hu_buf_add(out, mem, n);
    free(mem);   /* open_memstream memory comes from libc */
    return rc;
}

