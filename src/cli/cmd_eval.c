/*
 * cmd_eval.c -- `huella eval EVENTS... --results DIR`: how good was a run?
 *
 * Ground truth is the `label` of the events (EVENTS.md): everything before
 * the first '/' says honest ("benign") or names the campaign; the whole
 * label is the group results are broken down by.  An account is a campaign
 * account if any of its lines carries a campaign label (a campaign account
 * that mixes in honest-looking requests is still a campaign account), and
 * its group is then that campaign label; otherwise its group is its first
 * benign label.  Accounts without any label are not scored (counted).
 */
#include "cli/cli.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/hash.h"
#include "eval/metrics.h"
#include "ingest/ingest.h"
#include "score/analysis.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char hu_cmd_eval_help[] =
    "usage: huella eval [--format table|json] --results DIR EVENTS...\n"
    "       huella eval --ablate [--asn FILE] EVENTS...\n\n"
    "Compare an analysis (DIR/accounts.csv from `huella analyze --out DIR`)\n"
    "with the ground-truth `label`s of the events it was run on, and print\n"
    "account-level precision, recall, F1, ROC AUC of the score, the benign\n"
    "false-positive rate overall and per benign group, recall per campaign,\n"
    "how many predicted campaigns each true campaign is split over, and the\n"
    "purity of the predicted campaigns.  When DIR/bindings.csv exists (analyze\n"
    "--known), also per group: accounts bound to a known campaign, bound to the\n"
    "right one (the true campaign of most accounts bound to it), within 50\n"
    "requests, the median and 90th percentile of requests-to-bind, and for\n"
    "benign groups the share bound to any campaign.\n\n"
    "  --results DIR      output directory of huella analyze\n"
    "  --format FMT       table (default) or json\n"
    "  --map FILE         read EVENTS through a --map file, as analyze did\n"
    "  --ablate           instead of reading DIR, analyse EVENTS in-process once\n"
    "                     with every signal family and once with each family\n"
    "                     (content, template, timing, network, payment, script, pivot)\n"
    "                     switched off, and print the metrics of each run\n"
    "  --asn FILE, --geo FILE, --cidr FILE   address databases for --ablate runs\n";

/* ---- small string interning (names of campaigns, groups, predictions) -- */

struct names {
    char **v;
    size_t n, cap;
};

static int names_find_or_add(struct names *t, const char *s, size_t len, uint32_t *idx)
{
    for (size_t i = 0; i < t->n; i++)
        if (strlen(t->v[i]) == len && !memcmp(t->v[i], s, len)) { *idx = (uint32_t)i; return HU_OK; }
    if (hu_grow((void **)&t->v, &t->cap, t->n + 1, sizeof *t->v, 16))
        return HU_ENOMEM;
    t->v[t->n] = hu_strndup(s, len);
    if (!t->v[t->n])
        return HU_ENOMEM;
    *idx = (uint32_t)t->n++;
    return HU_OK;
}

static void names_free(struct names *t)
{
    for (size_t i = 0; i < t->n; i++)
        hu_free(t->v[i]);
    hu_free(t->v);
    memset(t, 0, sizeof *t);
}

/* ---- accounts: open addressing on hu_hash(account_id) ------------------- */

struct acct {
    uint64_t h;          /* 0 = empty slot */
    char *id;
    uint32_t truth;      /* names index + 1 of the campaign, 0 benign */
    uint32_t group;      /* names index + 1, 0 unknown */
    uint32_t pred;       /* predicted campaign index + 1 */
    int labelled, flagged, in_results;
    double score;
    uint32_t known;      /* DIR/bindings.csv: known campaign index + 1, 0 unbound */
    uint32_t bound_at;   /* request index at which it was bound */
};

struct table {
    struct acct *v;
    size_t n, cap;       /* cap: power of two */
};

static struct acct *table_get(struct table *t, const char *id, size_t len, int create)
{
    if (create && (t->n + 1) * 2 > t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 1024;
        struct acct *nv = hu_calloc(ncap, sizeof *nv);
        if (!nv)
            return NULL;
        for (size_t i = 0; i < t->cap; i++) {
            if (!t->v[i].h) continue;
            size_t j = t->v[i].h & (ncap - 1);
            while (nv[j].h) j = (j + 1) & (ncap - 1);
            nv[j] = t->v[i];
        }
        hu_free(t->v);
        t->v = nv;
        t->cap = ncap;
    }
    if (!t->cap)
        return NULL;
    uint64_t h = hu_hash(id, len) | 1;
    size_t i = h & (t->cap - 1);
    while (t->v[i].h) {
        if (t->v[i].h == h && strlen(t->v[i].id) == len && !memcmp(t->v[i].id, id, len))
            return &t->v[i];
        i = (i + 1) & (t->cap - 1);
    }
    if (!create)
        return NULL;
    char *copy = hu_strndup(id, len);
    if (!copy)
        return NULL;
    memset(&t->v[i], 0, sizeof t->v[i]);
    t->v[i].h = h;
    t->v[i].id = copy;
    t->n++;
    return &t->v[i];
}

static void table_free(struct table *t)
{
    for (size_t i = 0; i < t->cap; i++)
        if (t->v[i].h)
            hu_free(t->v[i].id);
    hu_free(t->v);
    memset(t, 0, sizeof *t);
}

/* ---- accounts.csv ------------------------------------------------------- */

/* Split one RFC 4180 record into fields (quotes removed, "" unescaped in
 * place).  Returns the number of fields, at most max. */
static int csv_split(char *line, char **f, size_t *flen, int max)
{
    int n = 0;
    char *p = line;
    for (;;) {
        if (n == max)
            return n;
        if (*p == '"') {
            char *w = ++p, *start = p;
            for (;;) {
                if (!*p) break;
                if (*p == '"') {
                    if (p[1] == '"') { *w++ = '"'; p += 2; continue; }
                    p++;
                    break;
                }
                *w++ = *p++;
            }
            f[n] = start;
            flen[n] = (size_t)(w - start);
        } else {
            f[n] = p;
            while (*p && *p != ',' && *p != '\n' && *p != '\r') p++;
            flen[n] = (size_t)(p - f[n]);
        }
        n++;
        if (*p != ',')
            return n;
        p++;
    }
}

/* Every silent HU_EXIT_FAIL below is an allocation failure: say so
 * (exit 1 always comes with a message; tests/torture.sh). */
static int eval_oom(void)
{
    fprintf(stderr, "huella eval: out of memory\n");
    return HU_EXIT_FAIL;
}

static int read_results(const char *dir, struct table *t, struct names *preds)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/accounts.csv", dir);
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "huella eval: %s: %s\n", path, strerror(errno));
        return HU_EXIT_USAGE;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    long lineno = 0;
    int rc = HU_EXIT_OK;
    for (;;) {
        got = getline(&line, &cap, f);
        if (got <= 0)
            break;
        lineno++;
        if (lineno == 1) {
            static const char header[] = "account_id,score,flagged,action,campaign_id,requests,reasons";
            if (strncmp(line, header, sizeof header - 1)) {
                fprintf(stderr, "huella eval: %s: not an accounts.csv (unexpected header)\n", path);
                rc = HU_EXIT_USAGE;
                break;
            }
            continue;
        }
        /* a quoted field may span lines: join until quotes balance */
        size_t quotes = 0;
        for (ssize_t i = 0; i < got; i++) quotes += line[i] == '"';
        while (quotes % 2) {
            char *more = NULL;
            size_t mcap = 0;
            ssize_t m = getline(&more, &mcap, f);
            if (m <= 0) { free(more); break; }
            char *joined = realloc(line, (size_t)got + (size_t)m + 1);   /* getline's buffer: libc */
            if (!joined) { free(more); rc = HU_EXIT_FAIL; break; }
            line = joined;
            memcpy(line + got, more, (size_t)m + 1);
            got += m;
            cap = (size_t)got + 1;
            for (ssize_t i = 0; i < m; i++) quotes += more[i] == '"';
            free(more);
        }
        char *fld[7];
        size_t fl[7];
        int nf = csv_split(line, fld, fl, 7);
        if (nf < 6) {
            fprintf(stderr, "huella eval: %s:%ld: expected 7 columns\n", path, lineno);
            continue;
        }
        struct acct *a = table_get(t, fld[0], fl[0], 1);
        if (!a) { rc = eval_oom(); break; }
        a->in_results = 1;
        char num[64];
        snprintf(num, sizeof num, "%.*s", (int)(fl[1] < 63 ? fl[1] : 63), fld[1]);
        a->score = strtod(num, NULL);
        a->flagged = fl[2] == 1 && fld[2][0] == '1';
        a->pred = 0;
        if (fl[4]) {
            uint32_t idx;
            if (names_find_or_add(preds, fld[4], fl[4], &idx)) { rc = eval_oom(); break; }
            a->pred = idx + 1;
        }
    }
    free(line);
    fclose(f);
    return rc;
}

static void json_str(const char *s)
{
    struct hu_buf b;
    hu_buf_init(&b, 1 << 16);
    if (hu_buf_add_json_str(&b, s, strlen(s)) == HU_OK)
        printf("\"%s\"", b.ptr ? b.ptr : "");
    else
        printf("\"\"");
    hu_buf_fini(&b);
}

/* ---- bindings.csv (huella analyze --known) ---------------------------------- */

/* Read DIR/bindings.csv if it exists: 1 read, 0 absent, <0 failure. */
static int read_bindings(const char *dir, struct table *t, struct names *known)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/bindings.csv", dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char *line = NULL;
    size_t cap = 0;
    long lineno = 0;
    int rc = 1;
    while (getline(&line, &cap, f) > 0) {
        if (++lineno == 1)
            continue;
        char *fld[3];
        size_t fl[3];
        if (csv_split(line, fld, fl, 3) < 3)
            continue;
        struct acct *a = table_get(t, fld[0], fl[0], 1);
        uint32_t idx;
        if (!a || names_find_or_add(known, fld[1], fl[1], &idx)) { rc = -1; break; }
        char num[32];
        snprintf(num, sizeof num, "%.*s", (int)(fl[2] < 31 ? fl[2] : 31), fld[2]);
        a->known = idx + 1;
        a->bound_at = (uint32_t)strtoul(num, NULL, 10);
    }
    free(line);
    fclose(f);
    return rc;
}

static int cmp_u32(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return (a > b) - (a < b);
}

/* Per group: accounts bound, bound to the right known campaign (the one
 * most of its bound accounts truly belong to), bound within 50 requests,
 * median and 90th percentile of requests-to-bind; for benign groups the
 * share bound to any campaign. */
static int report_bindings(const struct table *t, const struct names *known, const struct names *camps,
                           const struct names *groups, int json)
{
    size_t nk = known->n, nc = camps->n + 1, ng = groups->n;
    uint64_t *votes = hu_calloc(nk * nc + 1, sizeof *votes);
    uint32_t *maj = hu_calloc(nk + 1, sizeof *maj);
    uint32_t *at = hu_calloc(t->n + 1, sizeof *at);
    if (!votes || !maj || !at) {
        hu_free(votes); hu_free(maj); hu_free(at);
        return HU_EXIT_FAIL;
    }
    for (size_t i = 0; i < t->cap; i++)
        if (t->v[i].h && t->v[i].labelled && t->v[i].known)
            votes[(t->v[i].known - 1) * nc + t->v[i].truth]++;
    for (size_t k = 0; k < nk; k++) {
        uint32_t best = 0;
        for (uint32_t c = 1; c < nc; c++)
            if (votes[k * nc + c] > votes[k * nc + best]) best = c;
        maj[k] = best;
    }
    if (json)
        printf(",\"bindings\":[");
    else
        printf("\nknown-campaign bindings (DIR/bindings.csv)\n%-28s %9s %7s %7s %9s %7s %7s %10s\n", "group", "accounts",
               "bound", "right", "right<=50", "median", "p90", "bound_rate");
    for (size_t g = 0; g < ng; g++) {
        uint64_t acc = 0, bound = 0, right = 0, w50 = 0;
        size_t n_at = 0;
        for (size_t i = 0; i < t->cap; i++) {
            const struct acct *a = &t->v[i];
            if (!a->h || !a->labelled || a->group != g + 1)
                continue;
            acc++;
            if (!a->known)
                continue;
            bound++;
            if (a->truth && maj[a->known - 1] == a->truth) {
                right++;
                w50 += a->bound_at <= 50;
                at[n_at++] = a->bound_at;
            }
        }
        qsort(at, n_at, sizeof *at, cmp_u32);
        long med = n_at ? (long)at[(n_at - 1) / 2] : -1, p90 = n_at ? (long)at[(size_t)((double)(n_at - 1) * 0.9)] : -1;
        int benign = !strncmp(groups->v[g], "benign", 6);
        double rate = acc ? (double)(benign ? bound : w50) / (double)acc : 0;
        if (json) {
            printf("%s{\"group\":", g ? "," : "");
            json_str(groups->v[g]);
            printf(",\"benign\":%s,\"accounts\":%llu,\"bound\":%llu,\"bound_right\":%llu,\"bound_right_within_50\":%llu,"
                   "\"requests_to_bind_median\":%ld,\"requests_to_bind_p90\":%ld,\"rate\":%.6f}",
                   benign ? "true" : "false", (unsigned long long)acc, (unsigned long long)bound,
                   (unsigned long long)right, (unsigned long long)w50, med, p90, rate);
        } else {
            char m[16] = "-", p[16] = "-";
            if (n_at) { snprintf(m, sizeof m, "%ld", med); snprintf(p, sizeof p, "%ld", p90); }
            printf("%-28s %9llu %7llu %7llu %9llu %7s %7s %10.5f %s\n", groups->v[g], (unsigned long long)acc,
                   (unsigned long long)bound, (unsigned long long)right, (unsigned long long)w50, m, p,
                   rate, benign ? "(bound)" : "(right within 50)");
        }
    }
    if (json)
        printf("]");
    hu_free(votes);
    hu_free(maj);
    hu_free(at);
    return HU_EXIT_OK;
}

/* ---- output ------------------------------------------------------------- */

static void print_table(const struct hu_eval_result *r, const struct names *camps,
                        const struct names *groups, uint64_t unlabelled, uint64_t missing)
{
    printf("accounts          %llu (%llu campaign, %llu benign)\n", (unsigned long long)r->n,
           (unsigned long long)r->positives, (unsigned long long)r->negatives);
    printf("precision         %.4f\n", r->precision);
    printf("recall            %.4f\n", r->recall);
    printf("f1                %.4f\n", r->f1);
    printf("roc_auc           %.4f\n", r->auc);
    printf("benign_fpr        %.5f  (%llu of %llu)\n", r->fpr, (unsigned long long)r->fp,
           (unsigned long long)r->negatives);
    printf("purity            %.4f\n", r->purity);
    printf("\n%-28s %9s %9s %8s %6s %10s\n", "campaign", "accounts", "flagged", "recall", "split", "main_share");
    for (uint32_t t = 1; t <= r->n_true; t++) {
        const struct hu_eval_campaign *c = &r->campaigns[t];
        printf("%-28s %9llu %9llu %8.4f %6u %10.4f\n", camps->v[t - 1], (unsigned long long)c->accounts,
               (unsigned long long)c->flagged, c->recall, c->split, c->main_share);
    }
    printf("\n%-28s %9s %9s %10s\n", "group", "accounts", "flagged", "rate");
    for (uint32_t g = 0; g < r->n_groups; g++) {
        const struct hu_eval_group *gr = &r->groups[g];
        int benign = !strncmp(groups->v[g], "benign", 6);
        printf("%-28s %9llu %9llu %10.5f %s\n", groups->v[g], (unsigned long long)gr->accounts,
               (unsigned long long)gr->flagged, gr->flag_rate, benign ? "(fpr)" : "(recall)");
    }
    if (unlabelled || missing)
        printf("\n%llu accounts without a label were not scored; %llu labelled accounts were missing from the results (counted as not flagged)\n",
               (unsigned long long)unlabelled, (unsigned long long)missing);
}


static void print_json(const struct hu_eval_result *r, const struct names *camps,
                       const struct names *groups, uint64_t unlabelled, uint64_t missing)
{
    printf("{\"schema_version\":1,\"accounts\":%llu,\"positives\":%llu,\"negatives\":%llu,"
           "\"tp\":%llu,\"fp\":%llu,\"fn\":%llu,\"tn\":%llu,"
           "\"precision\":%.6f,\"recall\":%.6f,\"f1\":%.6f,\"roc_auc\":%.6f,\"benign_fpr\":%.6f,\"purity\":%.6f,",
           (unsigned long long)r->n, (unsigned long long)r->positives, (unsigned long long)r->negatives,
           (unsigned long long)r->tp, (unsigned long long)r->fp, (unsigned long long)r->fn,
           (unsigned long long)r->tn, r->precision, r->recall, r->f1, r->auc, r->fpr, r->purity);
    printf("\"campaigns\":[");
    for (uint32_t t = 1; t <= r->n_true; t++) {
        const struct hu_eval_campaign *c = &r->campaigns[t];
        printf("%s{\"name\":", t > 1 ? "," : "");
        json_str(camps->v[t - 1]);
        printf(",\"accounts\":%llu,\"flagged\":%llu,\"recall\":%.6f,\"split\":%u,\"main_share\":%.6f}",
               (unsigned long long)c->accounts, (unsigned long long)c->flagged, c->recall, c->split, c->main_share);
    }
    printf("],\"groups\":[");
    for (uint32_t g = 0; g < r->n_groups; g++) {
        const struct hu_eval_group *gr = &r->groups[g];
        printf("%s{\"name\":", g ? "," : "");
        json_str(groups->v[g]);
        printf(",\"benign\":%s,\"accounts\":%llu,\"flagged\":%llu,\"rate\":%.6f}",
               strncmp(groups->v[g], "benign", 6) ? "false" : "true",
               (unsigned long long)gr->accounts, (unsigned long long)gr->flagged, gr->flag_rate);
    }
    printf("],\"predicted\":[");
    for (uint32_t p = 1; p <= r->n_pred; p++) {
        const struct hu_eval_pred *pc = &r->preds[p];
        printf("%s{\"accounts\":%llu,\"majority\":", p > 1 ? "," : "", (unsigned long long)pc->accounts);
        json_str(pc->majority_truth ? camps->v[pc->majority_truth - 1] : "benign");
        printf(",\"purity\":%.6f}", pc->purity);
    }
    printf("],\"unlabelled\":%llu,\"missing_from_results\":%llu",
           (unsigned long long)unlabelled, (unsigned long long)missing);
}

/* Build the metric items from the table (labelled accounts only). */
static int compute(const struct table *t, const struct names *camps, const struct names *groups,
                   const struct names *preds, struct hu_eval_result *r, uint64_t *unlabelled,
                   uint64_t *missing)
{
    struct hu_eval_item *items = hu_calloc(t->n ? t->n : 1, sizeof *items);
    if (!items)
        return HU_ENOMEM;
    size_t n = 0;
    *unlabelled = *missing = 0;
    for (size_t i = 0; i < t->cap; i++) {
        const struct acct *a = &t->v[i];
        if (!a->h) continue;
        if (!a->labelled) { (*unlabelled)++; continue; }
        if (!a->in_results) (*missing)++;
        items[n++] = (struct hu_eval_item){ a->truth, a->group - 1, a->pred, a->flagged, a->score };
    }
    int rc = hu_eval_compute(items, n, (uint32_t)camps->n, (uint32_t)preds->n, (uint32_t)groups->n, r);
    hu_free(items);
    return rc;
}

/* Copy an in-memory analysis into the table (ablation runs). */
static int apply_results(struct table *t, const struct hu_results *res, struct names *preds)
{
    for (size_t i = 0; i < t->cap; i++)
        if (t->v[i].h) { t->v[i].in_results = 0; t->v[i].flagged = 0; t->v[i].score = 0; t->v[i].pred = 0; }
    for (size_t i = 0; i < res->n_accounts; i++) {
        const struct hu_account_result *ar = &res->accounts[i];
        struct acct *a = table_get(t, ar->account_id, ar->account_id_len, 1);
        if (!a)
            return HU_ENOMEM;
        a->in_results = 1;
        a->score = ar->score;
        a->flagged = hu_action_flagged(ar->would);
        a->pred = 0;
        if (ar->campaign) {
            const char *id = res->campaigns[ar->campaign - 1].id;
            uint32_t idx;
            if (names_find_or_add(preds, id, strlen(id), &idx))
                return HU_ENOMEM;
            a->pred = idx + 1;
        }
    }
    return HU_OK;
}

/* One in-process analysis of the event files with some families off. */
static int run_analysis(char **paths, size_t n_paths, const char *map,
                        const struct hu_features_config *fc, uint32_t disabled,
                        struct hu_analysis **an_out, struct hu_results *res)
{
    struct hu_ingest *ing = NULL;
    struct hu_analysis *an = NULL;
    char err[512] = "";
    struct hu_ingest_opts io = { .map_path = map, .quiet = 1 };
    if (hu_ingest_create(&ing, (const char *const *)paths, n_paths, &io) != HU_OK)
        return HU_EIO;
    struct hu_analysis_config cfg = { .features = *fc, .disabled_families = disabled };
    int rc = hu_analysis_create(&cfg, &an, err, sizeof err);
    if (rc) {
        fprintf(stderr, "huella eval: %s\n", err);
        hu_ingest_destroy(ing);
        return rc;
    }
    struct hu_event ev;
    for (;;) {
        int got = hu_ingest_next(ing, &ev);
        if (got <= 0) { rc = got; break; }
        if (hu_analysis_observe(an, &ev) == HU_ENOMEM) { rc = HU_ENOMEM; break; }
    }
    hu_ingest_destroy(ing);
    if (!rc)
        rc = hu_analysis_finish(an, res);
    if (rc) {
        hu_analysis_destroy(an);
        return rc;
    }
    *an_out = an;
    return HU_OK;
}

/* `--ablate`: the metrics with every family on, then with each off. */
static int ablate(struct table *t, const struct names *camps, const struct names *groups,
                  char **paths, size_t n_paths, const char *map, const struct hu_features_config *fc,
                  int format)
{
    if (format == HU_FORMAT_JSON)
        printf("{\"schema_version\":1,\"ablation\":[");
    else
        printf("%-10s %9s %9s %9s %11s %11s %8s\n", "off", "precision", "recall", "f1", "benign_fpr",
               "worst_group", "purity");
    for (int f = -1; f < HU_FAMILY_COUNT; f++) {
        struct names preds = { 0 };
        struct hu_results res = { 0 };
        struct hu_analysis *an = NULL;
        uint32_t disabled = f < 0 ? 0 : 1u << f;
        int rc = run_analysis(paths, n_paths, map, fc, disabled, &an, &res);
        if (!rc)
            rc = apply_results(t, &res, &preds);
        struct hu_eval_result r;
        uint64_t unl, miss;
        if (!rc)
            rc = compute(t, camps, groups, &preds, &r, &unl, &miss);
        hu_results_fini(&res);
        hu_analysis_destroy(an);
        names_free(&preds);
        if (rc) {
            fprintf(stderr, "huella eval: ablation run failed: %s\n", hu_status_str(rc));
            return HU_EXIT_FAIL;
        }
        double worst = 0;
        for (uint32_t g = 0; g < r.n_groups; g++)
            if (!strncmp(groups->v[g], "benign", 6) && r.groups[g].flag_rate > worst)
                worst = r.groups[g].flag_rate;
        const char *name = f < 0 ? "none" : hu_family_code((enum hu_family)f);
        if (format == HU_FORMAT_JSON)
            printf("%s{\"off\":\"%s\",\"precision\":%.6f,\"recall\":%.6f,\"f1\":%.6f,\"benign_fpr\":%.6f,"
                   "\"worst_benign_group_fpr\":%.6f,\"purity\":%.6f}", f < 0 ? "" : ",", name, r.precision,
                   r.recall, r.f1, r.fpr, worst, r.purity);
        else
            printf("%-10s %9.4f %9.4f %9.4f %11.5f %11.5f %8.4f\n", name, r.precision, r.recall, r.f1, r.fpr,
                   worst, r.purity);
        fflush(stdout);
        hu_eval_result_fini(&r);
    }
    if (format == HU_FORMAT_JSON)
        printf("]}\n");
    return HU_EXIT_OK;
}

int hu_cmd_eval(int argc, char **argv)
{
    static const struct option opts[] = {
        { "results", required_argument, NULL, 'r' },
        { "format", required_argument, NULL, 'f' },
        { "map", required_argument, NULL, 'm' },
        { "quiet", no_argument, NULL, 'q' },
        { "ablate", no_argument, NULL, 'A' },
        { "asn", required_argument, NULL, 'a' },
        { "geo", required_argument, NULL, 'g' },
        { "cidr", required_argument, NULL, 'c' },
        { NULL, 0, NULL, 0 },
    };
    const char *results = NULL, *map = NULL, *asn[64], *cidr[64], *geo = NULL;
    size_t n_asn = 0, n_cidr = 0;
    int format = HU_FORMAT_TABLE, c, do_ablate = 0;
    optind = 1;
    for (;;) {
        c = getopt_long(argc, argv, "r:f:m:qAa:g:c:", opts, NULL);
        if (c == -1)
            break;
        switch (c) {
        case 'r': results = optarg; break;
        case 'm': map = optarg; break;
        case 'q': break;
        case 'A': do_ablate = 1; break;
        case 'a':
            if (n_asn == 64) return hu_cli_usage_error("eval", "too many --asn files");
            asn[n_asn++] = optarg;
            break;
        case 'c':
            if (n_cidr == 64) return hu_cli_usage_error("eval", "too many --cidr files");
            cidr[n_cidr++] = optarg;
            break;
        case 'g': geo = optarg; break;
        case 'f':
            format = hu_cli_parse_format(optarg);
            if (format < 0)
                return hu_cli_usage_error("eval", "--format must be table or json");
            break;
        default: return hu_cli_usage_error("eval", "unknown option");
        }
    }
    if (!results && !do_ablate)
        return hu_cli_usage_error("eval", "--results DIR (or --ablate) is required");
    if (optind >= argc)
        return hu_cli_usage_error("eval", "no event files");

    struct table t = { 0 };
    struct names camps = { 0 }, groups = { 0 }, preds = { 0 };
    struct hu_ingest *ing = NULL;
    struct names known = { 0 };
    int rc = results ? read_results(results, &t, &preds) : HU_EXIT_OK;
    if (rc != HU_EXIT_OK)
        goto out;
    int has_bindings = results ? read_bindings(results, &t, &known) : 0;
    if (has_bindings < 0) { rc = HU_EXIT_FAIL; goto out; }
    struct hu_ingest_opts io = { .map_path = map, .quiet = 1 };
    int ist = hu_ingest_create(&ing, (const char *const *)argv + optind, (size_t)(argc - optind), &io);
    if (ist != HU_OK) {
        fprintf(stderr, "huella eval: %s\n", ist == HU_ENOMEM ? "out of memory" : "cannot read the event files");
        rc = ist == HU_ENOMEM ? HU_EXIT_FAIL : HU_EXIT_USAGE;
        goto out;
    }
    struct hu_event ev;
    int got;
    for (;;) {
        got = hu_ingest_next(ing, &ev);
        if (got != 1)
            break;
        if (ev.kind == HU_EV_MODEL_RELEASE || !ev.label.ptr || !ev.label.len)
            continue;
        struct acct *a = table_get(&t, ev.account_id.ptr, ev.account_id.len, 1);
        if (!a) { rc = eval_oom(); goto out; }
        const char *slash = memchr(ev.label.ptr, '/', ev.label.len);
        size_t cls_len = slash ? (size_t)(slash - ev.label.ptr) : ev.label.len;
        int benign = cls_len == 6 && !memcmp(ev.label.ptr, "benign", 6);
        if (a->labelled && (a->truth || benign))
            continue;               /* truth already decided */
        uint32_t gi;
        if (names_find_or_add(&groups, ev.label.ptr, ev.label.len, &gi)) { rc = eval_oom(); goto out; }
        a->labelled = 1;
        a->group = gi + 1;
        if (!benign) {
            uint32_t ci;
            if (names_find_or_add(&camps, ev.label.ptr, cls_len, &ci)) { rc = eval_oom(); goto out; }
            a->truth = ci + 1;
        }
    }
    if (got < 0) {
        fprintf(stderr, "huella eval: reading events failed: %s\n", hu_status_str(got));
        rc = HU_EXIT_FAIL;
        goto out;
    }
    hu_ingest_destroy(ing);
    ing = NULL;
    if (do_ablate) {
        struct hu_features_config fc = { .asn_files = asn, .n_asn_files = n_asn, .geo_file = geo,
                                         .cidr_files = cidr, .n_cidr_files = n_cidr };
        rc = ablate(&t, &camps, &groups, argv + optind, (size_t)(argc - optind), map, &fc, format);
        goto out;
    }
    uint64_t unlabelled = 0, missing = 0;
    struct hu_eval_result r;
    if (compute(&t, &camps, &groups, &preds, &r, &unlabelled, &missing) != HU_OK) {
        rc = eval_oom();
        goto out;
    }
    if (format == HU_FORMAT_JSON) print_json(&r, &camps, &groups, unlabelled, missing);
    else print_table(&r, &camps, &groups, unlabelled, missing);
    if (has_bindings)
        rc = report_bindings(&t, &known, &camps, &groups, format == HU_FORMAT_JSON);
    if (format == HU_FORMAT_JSON)
        printf("}\n");
    hu_eval_result_fini(&r);
out:
    hu_ingest_destroy(ing);
    table_free(&t);
    names_free(&camps);
    names_free(&groups);
    names_free(&preds);
    names_free(&known);
    return rc;
}
