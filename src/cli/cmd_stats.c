/*
 * cmd_stats.c -- `huella stats [--format table|json] EVENTS...`
 *
 * One pass over the input through hu_ingest: what a file holds before you
 * analyse it.  Exact distinct accounts (a u64 set of hu_hash(account_id),
 * 16-32 bytes per account), time span (min/max ts: input order is only
 * roughly chronological), requests per model (top 10) and events per label
 * prefix (the part before '/').  Model and label tables are capped
 * (STATS_MAX_NAMES) so hostile input with a million model names costs
 * bounded memory; the overflow is reported as "other".
 *
 * Exit status: 0 when every input was read; 2 for bad usage, an unreadable
 * input or map file, or an input that turned out truncated/corrupt (the
 * numbers for what was readable are still printed); 1 internal failure.
 */
#include "cli/cli.h"
#include "core/clock.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/hash.h"
#include "core/u64set.h"
#include "ingest/ingest.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char hu_cmd_stats_help[] =
    "usage: huella stats [--format table|json] [--map FILE] [--rejects FILE] EVENTS...\n\n"
    "Print what the input holds: lines, bytes, events by kind, rejected lines\n"
    "by reason, distinct accounts, time span, top models and labels.\n\n"
    "EVENTS are JSON Lines files (plain, gzip or zstd, detected from the\n"
    "content); '-' is standard input.\n\n"
    "  --format table|json  output format (default table; json has\n"
    "                       \"schema_version\":1)\n"
    "  --map FILE           read a foreign log shape: lines 'field = json.path'\n"
    "  --rejects FILE       write every rejected line's source, line number and\n"
    "                       reason (never its content) as JSON Lines\n"
    "  -q, --quiet          no per-line reports or progress on stderr\n\n"
    "Exit status: 0 all input read; 2 bad usage, unreadable or truncated input;\n"
    "1 internal failure.\n";

/* ---- a small capped counter table keyed by string ---------------------- */

#define STATS_MAX_NAMES 4096u

struct name_count {
    uint64_t hash;
    uint64_t count;
    char *name;                  /* NULL: empty slot */
};

struct name_table {
    struct name_count *slots;    /* cap = 2 * STATS_MAX_NAMES, never grows */
    size_t cap, n;
    uint64_t other;              /* counts of names past the cap */
};

static int names_init(struct name_table *t)
{
    t->cap = 2 * STATS_MAX_NAMES;
    t->n = 0;
    t->other = 0;
    t->slots = hu_calloc(t->cap, sizeof *t->slots);
    return t->slots ? HU_OK : HU_ENOMEM;
}

static void names_fini(struct name_table *t)
{
    if (t->slots)
        for (size_t i = 0; i < t->cap; i++)
            hu_free(t->slots[i].name);
    hu_free(t->slots);
    t->slots = NULL;
}

static int names_add(struct name_table *t, const char *s, size_t len)
{
    uint64_t h = hu_hash(s, len);
    size_t i = (size_t)(h & (t->cap - 1));
    while (t->slots[i].name) {
        if (t->slots[i].hash == h && strlen(t->slots[i].name) == len &&
            !memcmp(t->slots[i].name, s, len)) {
            t->slots[i].count++;
            return HU_OK;
        }
        i = (i + 1) & (t->cap - 1);
    }
    if (t->n >= STATS_MAX_NAMES) {
        t->other++;
        return HU_OK;
    }
    t->slots[i].name = hu_strndup(s, len);
    if (!t->slots[i].name)
        return HU_ENOMEM;
    t->slots[i].hash = h;
    t->slots[i].count = 1;
    t->n++;
    return HU_OK;
}

static int by_count_desc(const void *a, const void *b)
{
    const struct name_count *x = a, *y = b;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    return strcmp(x->name, y->name);     /* ties: by name, reproducible */
}

/* Pack the used slots to the front, sorted by count (the table is no
 * longer usable for lookups afterwards). */
static void names_sort(struct name_table *t)
{
    size_t k = 0;
    for (size_t i = 0; i < t->cap; i++)
        if (t->slots[i].name)
            t->slots[k++] = t->slots[i];
    for (size_t i = k; i < t->cap; i++)
        t->slots[i].name = NULL;
    qsort(t->slots, k, sizeof *t->slots, by_count_desc);
}

/* ---- the run ------------------------------------------------------------- */

struct stats {
    struct hu_u64set accounts, req_accounts;
    struct name_table models, labels;
    int64_t ts_min, ts_max;
};

static const char *const kind_names[3] = { "request", "account", "model_release" };

static void json_str(FILE *out, const char *s)
{
    struct hu_buf b;
    hu_buf_init(&b, 1u << 16);
    if (hu_buf_add_json_str(&b, s, strlen(s)) == HU_OK)
        fprintf(out, "\"%s\"", b.ptr);
    else
        fputs("\"\"", out);
    hu_buf_fini(&b);
}

static void print_json(FILE *out, struct hu_ingest *ing, struct stats *st)
{
    const struct hu_ingest_counters *c = hu_ingest_totals(ing);
    char t0[32] = "", t1[32] = "";
    if (c->events) {
        hu_format_rfc3339(st->ts_min, t0, sizeof t0);
        hu_format_rfc3339(st->ts_max, t1, sizeof t1);
    }
    fprintf(out, "{\"schema_version\":1,\"sources\":[");
    for (size_t i = 0; i < hu_ingest_n_sources(ing); i++) {
        const struct hu_ingest_source *s = hu_ingest_source_view(ing, i);
        fprintf(out, "%s{\"name\":", i ? "," : "");
        json_str(out, s->name);
        fprintf(out, ",\"codec\":\"%s\",\"status\":\"%s\",\"lines\":%llu,\"bytes\":%llu,"
                     "\"bytes_in\":%llu,\"events\":%llu,\"rejects\":%llu}",
                hu_codec_name(s->codec), s->status == HU_OK ? "ok" : hu_status_name(s->status),
                (unsigned long long)s->c.lines, (unsigned long long)s->c.bytes,
                (unsigned long long)s->c.bytes_in, (unsigned long long)s->c.events,
                (unsigned long long)s->c.rejects);
    }
    fprintf(out, "],\"lines\":%llu,\"bytes\":%llu,\"bytes_in\":%llu,\"blank_lines\":%llu,"
                 "\"events\":%llu,\"events_by_kind\":{",
            (unsigned long long)c->lines, (unsigned long long)c->bytes,
            (unsigned long long)c->bytes_in, (unsigned long long)c->blank_lines,
            (unsigned long long)c->events);
    for (int k = 0; k < 3; k++)
        fprintf(out, "%s\"%s\":%llu", k ? "," : "", kind_names[k],
                (unsigned long long)c->events_by_kind[k]);
    fprintf(out, "},\"rejects\":%llu,\"rejects_by_reason\":{", (unsigned long long)c->rejects);
    for (int r = 1; r < HU_REJECT_COUNT; r++)
        fprintf(out, "%s\"%s\":%llu", r > 1 ? "," : "", hu_reject_name((enum hu_reject)r),
                (unsigned long long)c->rejects_by_reason[r]);
    fprintf(out, "},\"fields_truncated\":%llu,\"tools_dropped\":%llu,"
                 "\"accounts\":%zu,\"accounts_with_requests\":%zu,",
            (unsigned long long)c->fields_truncated, (unsigned long long)c->tools_dropped,
            hu_u64set_count(&st->accounts), hu_u64set_count(&st->req_accounts));
    if (c->events)
        fprintf(out, "\"first_ts\":\"%s\",\"last_ts\":\"%s\",", t0, t1);
    else
        fprintf(out, "\"first_ts\":null,\"last_ts\":null,");
    fprintf(out, "\"top_models\":[");
    for (size_t i = 0; i < 10 && i < st->models.n; i++) {
        fprintf(out, "%s{\"model\":", i ? "," : "");
        json_str(out, st->models.slots[i].name);
        fprintf(out, ",\"requests\":%llu}", (unsigned long long)st->models.slots[i].count);
    }
    fprintf(out, "],\"models\":%zu,\"labels\":{", st->models.n);
    for (size_t i = 0; i < st->labels.n; i++) {
        fputs(i ? "," : "", out);
        json_str(out, st->labels.slots[i].name);
        fprintf(out, ":%llu", (unsigned long long)st->labels.slots[i].count);
    }
    fprintf(out, "}}\n");
}

static void print_table(FILE *out, struct hu_ingest *ing, struct stats *st)
{
    const struct hu_ingest_counters *c = hu_ingest_totals(ing);
    for (size_t i = 0; i < hu_ingest_n_sources(ing); i++) {
        const struct hu_ingest_source *s = hu_ingest_source_view(ing, i);
        fprintf(out, "source           %s (%s%s%s)\n", s->name, hu_codec_name(s->codec),
                s->status == HU_OK ? "" : ", ", s->status == HU_OK ? "" : hu_status_str(s->status));
    }
    fprintf(out, "lines            %llu (%llu blank)\n", (unsigned long long)c->lines,
            (unsigned long long)c->blank_lines);
    fprintf(out, "bytes            %llu (%.1f MB", (unsigned long long)c->bytes, c->bytes / 1e6);
    if (c->bytes_in != c->bytes)
        fprintf(out, ", %.1f MB read", c->bytes_in / 1e6);
    fprintf(out, ")\n");
    fprintf(out, "events           %llu\n", (unsigned long long)c->events);
    for (int k = 0; k < 3; k++)
        fprintf(out, "  %-14s %llu\n", kind_names[k], (unsigned long long)c->events_by_kind[k]);
    fprintf(out, "rejected         %llu\n", (unsigned long long)c->rejects);
    for (int r = 1; r < HU_REJECT_COUNT; r++)
        if (c->rejects_by_reason[r])
            fprintf(out, "  %-18s %llu\n", hu_reject_name((enum hu_reject)r),
                    (unsigned long long)c->rejects_by_reason[r]);
    if (c->fields_truncated)
        fprintf(out, "fields truncated %llu\n", (unsigned long long)c->fields_truncated);
    if (c->tools_dropped)
        fprintf(out, "tools not kept   %llu\n", (unsigned long long)c->tools_dropped);
    fprintf(out, "accounts         %zu (%zu with requests)\n", hu_u64set_count(&st->accounts),
            hu_u64set_count(&st->req_accounts));
    if (c->events) {
        char t0[32], t1[32];
        hu_format_rfc3339(st->ts_min, t0, sizeof t0);
        hu_format_rfc3339(st->ts_max, t1, sizeof t1);
        double hours = (double)(st->ts_max - st->ts_min) / 3.6e6;
        fprintf(out, "time span        %s .. %s (%.1f h)\n", t0, t1, hours);
    }
    if (st->models.n) {
        fprintf(out, "top models       (requests)\n");
        for (size_t i = 0; i < 10 && i < st->models.n; i++)
            fprintf(out, "  %-30s %llu\n", st->models.slots[i].name,
                    (unsigned long long)st->models.slots[i].count);
        if (st->models.n > 10)
            fprintf(out, "  (%zu models in all)\n", st->models.n);
    }
    if (st->labels.n) {
        fprintf(out, "labels           (events per label prefix)\n");
        for (size_t i = 0; i < st->labels.n; i++)
            fprintf(out, "  %-30s %llu\n", st->labels.slots[i].name,
                    (unsigned long long)st->labels.slots[i].count);
    }
}

static int observe(struct stats *st, const struct hu_event *ev)
{
    if (ev->ts_ms < st->ts_min)
        st->ts_min = ev->ts_ms;
    if (ev->ts_ms > st->ts_max)
        st->ts_max = ev->ts_ms;
    if (ev->kind != HU_EV_MODEL_RELEASE) {
        uint64_t h = hu_hash(ev->account_id.ptr, ev->account_id.len);
        if (hu_u64set_add(&st->accounts, h) < 0)
            return HU_ENOMEM;
        if (ev->kind == HU_EV_REQUEST && hu_u64set_add(&st->req_accounts, h) < 0)
            return HU_ENOMEM;
    }
    if (ev->kind == HU_EV_REQUEST && ev->model.ptr &&
        names_add(&st->models, ev->model.ptr, ev->model.len) != HU_OK)
        return HU_ENOMEM;
    if (ev->label.ptr) {
        const char *slash = memchr(ev->label.ptr, '/', ev->label.len);
        size_t n = slash ? (size_t)(slash - ev->label.ptr) : ev->label.len;
        if (names_add(&st->labels, ev->label.ptr, n) != HU_OK)
            return HU_ENOMEM;
    }
    return HU_OK;
}

int hu_cmd_stats(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "format",  required_argument, NULL, 'f' },
        { "map",     required_argument, NULL, 'm' },
        { "rejects", required_argument, NULL, 'r' },
        { "quiet",   no_argument,       NULL, 'q' },
        { NULL, 0, NULL, 0 },
    };
    int format = HU_FORMAT_TABLE;
    struct hu_ingest_opts opts = { 0 };
    opts.quiet = hu_cli_quiet;
    optind = 1;
    opterr = 0;
    for (;;) {
        int ch = getopt_long(argc, argv, "+f:m:r:q", longopts, NULL);
        if (ch == -1)
            break;
        switch (ch) {
        case 'f':
            format = hu_cli_parse_format(optarg);
            if (format < 0)
                return hu_cli_usage_error("stats", "--format must be table or json, not '%s'", optarg);
            break;
        case 'm': opts.map_path = optarg; break;
        case 'r': opts.rejects_path = optarg; break;
        case 'q': opts.quiet = 1; break;
        default:
            return hu_cli_usage_error("stats", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return hu_cli_usage_error("stats", "no input files (use '-' for standard input)");

    struct hu_ingest *ing = NULL;
    int rc = hu_ingest_create(&ing, (const char *const *)(argv + optind), (size_t)(argc - optind), &opts);
    if (rc == HU_ENOMEM || rc == HU_EINTERNAL) {
        fprintf(stderr, "huella stats: %s\n", hu_status_str(rc));
        return HU_EXIT_FAIL;
    }
    if (rc != HU_OK)
        return HU_EXIT_USAGE;   /* the ingest named the file and the reason */

    struct stats st;
    memset(&st, 0, sizeof st);
    hu_u64set_init(&st.accounts);
    hu_u64set_init(&st.req_accounts);
    st.ts_min = INT64_MAX;
    st.ts_max = INT64_MIN;
    int exit_code = HU_EXIT_OK;
    if (names_init(&st.models) != HU_OK || names_init(&st.labels) != HU_OK) {
        fprintf(stderr, "huella stats: out of memory\n");
        exit_code = HU_EXIT_FAIL;
        goto out;
    }
    int progress = !opts.quiet && hu_cli_progress_enabled();
    double last = hu_mono_s();
    struct hu_event ev;
    uint64_t n = 0;
    for (;;) {
        rc = hu_ingest_next(ing, &ev);
        if (rc != 1)
            break;
        if (observe(&st, &ev) != HU_OK) {
            rc = HU_ENOMEM;
            break;
        }
        if (progress && (++n & 0xffff) == 0 && hu_mono_s() - last > 0.5) {
            const struct hu_ingest_counters *c = hu_ingest_totals(ing);
            fprintf(stderr, "\r%llu lines, %.0f MB ...", (unsigned long long)c->lines, c->bytes / 1e6);
            last = hu_mono_s();
        }
    }
    if (progress && n >= 0x10000)
        fprintf(stderr, "\r%60s\r", "");
    if (rc < 0) {
        fprintf(stderr, "huella stats: %s\n", hu_status_str(rc));
        exit_code = HU_EXIT_FAIL;
        goto out;
    }
    names_sort(&st.models);
    names_sort(&st.labels);
    if (format == HU_FORMAT_JSON)
        print_json(stdout, ing, &st);
    else
        print_table(stdout, ing, &st);
    if (hu_ingest_n_failed_sources(ing))
        exit_code = HU_EXIT_USAGE;
out:
    names_fini(&st.models);
    names_fini(&st.labels);
    hu_u64set_fini(&st.accounts);
    hu_u64set_fini(&st.req_accounts);
    hu_ingest_destroy(ing);
    if (fflush(stdout) != 0 && exit_code == HU_EXIT_OK)
        exit_code = HU_EXIT_FAIL;
    return exit_code;
}
