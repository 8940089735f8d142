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

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char hu_cmd_eval_help[] =
    "usage: huella eval [--format table|json] --results DIR EVENTS...\n\n"
    "Compare an analysis (DIR/accounts.csv from `huella analyze --out DIR`)\n"
    "with the ground-truth `label`s of the events it was run on, and print\n"
    "account-level precision, recall, F1, ROC AUC of the score, the benign\n"
    "false-positive rate overall and per benign group, recall per campaign,\n"
    "how many predicted campaigns each true campaign is split over, and the\n"
    "purity of the predicted campaigns.\n\n"
    "  --results DIR      output directory of huella analyze\n"
    "  --format FMT       table (default) or json\n"
    "  --map FILE         read EVENTS through a --map file, as analyze did\n";

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
    printf("],\"unlabelled\":%llu,\"missing_from_results\":%llu}\n",
           (unsigned long long)unlabelled, (unsigned long long)missing);
}

int hu_cmd_eval(int argc, char **argv)
{
    static const struct option opts[] = {
        { "results", required_argument, NULL, 'r' },
        { "format", required_argument, NULL, 'f' },
        { "map", required_argument, NULL, 'm' },
        { "quiet", no_argument, NULL, 'q' },
        { NULL, 0, NULL, 0 },
    };
    const char *results = NULL, *map = NULL;
    int format = HU_FORMAT_TABLE, c;
    optind = 1;
    for (;;) {
        c = getopt_long(argc, argv, "r:f:m:q", opts, NULL);
        if (c == -1)
            break;
        switch (c) {
        case 'r': results = optarg; break;
        case 'm': map = optarg; break;
        case 'q': break;
        case 'f':
            format = hu_cli_parse_format(optarg);
            if (format < 0)
                return hu_cli_usage_error("eval", "--format must be table or json");
            break;
        default: return hu_cli_usage_error("eval", "unknown option");
        }
    }
    if (!results)
        return hu_cli_usage_error("eval", "--results DIR is required");
    if (optind >= argc)
        return hu_cli_usage_error("eval", "no event files");

    struct table t = { 0 };
    struct names camps = { 0 }, groups = { 0 }, preds = { 0 };
    struct hu_eval_item *items = NULL;
    struct hu_ingest *ing = NULL;
    int rc = read_results(results, &t, &preds);
    if (rc != HU_EXIT_OK)
        goto out;
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
    items = hu_calloc(t.n ? t.n : 1, sizeof *items);
    if (!items) { rc = eval_oom(); goto out; }
    size_t n = 0;
    uint64_t unlabelled = 0, missing = 0;
    for (size_t i = 0; i < t.cap; i++) {
        const struct acct *a = &t.v[i];
        if (!a->h) continue;
        if (!a->labelled) { unlabelled++; continue; }
        if (!a->in_results) missing++;
        items[n++] = (struct hu_eval_item){ a->truth, a->group - 1, a->pred, a->flagged, a->score };
    }
    struct hu_eval_result r;
    if (hu_eval_compute(items, n, (uint32_t)camps.n, (uint32_t)preds.n, (uint32_t)groups.n, &r) != HU_OK) {
        rc = eval_oom();
        goto out;
    }
    if (format == HU_FORMAT_JSON) print_json(&r, &camps, &groups, unlabelled, missing);
    else print_table(&r, &camps, &groups, unlabelled, missing);
    hu_eval_result_fini(&r);
out:
    hu_ingest_destroy(ing);
    hu_free(items);
    table_free(&t);
    names_free(&camps);
    names_free(&groups);
    names_free(&preds);
    return rc;
}
