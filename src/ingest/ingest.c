/*
 * ingest.c -- sources in, events out: the streaming ingest and the line
 * parser.  See ingest.h for the contract and docs/internals/ingest.md for
 * the design and the measured numbers.
 *
 * Per line the work is: memchr to frame it (reader.c), a fast bracket
 * count for the depth cap, simdjson On-Demand over its fields
 * (json_shim.cpp), and a few counter increments.  Nothing is allocated per
 * line: the reader's buffer, simdjson's buffers and the scratch buffers
 * are reused; spans point into them.
 */
#include "ingest/ingest.h"
#include "ingest/json_shim.h"
#include "ingest/map.h"
#include "ingest/reader.h"
#include "core/alloc.h"
#include "core/buf.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- names -------------------------------------------------------------- */

static const char *const reject_names[HU_REJECT_COUNT] = {
    "none",
#define HU__REJECT_NAME(id, name, desc) name,
    HU_REJECT_MAP(HU__REJECT_NAME)
#undef HU__REJECT_NAME
};

static const char *const reject_descs[HU_REJECT_COUNT] = {
    "accepted",
#define HU__REJECT_DESC(id, name, desc) desc,
    HU_REJECT_MAP(HU__REJECT_DESC)
#undef HU__REJECT_DESC
};

const char *hu_reject_name(enum hu_reject r)
{
    return (unsigned)r < HU_REJECT_COUNT ? reject_names[r] : "unknown";
}

const char *hu_reject_desc(enum hu_reject r)
{
    return (unsigned)r < HU_REJECT_COUNT ? reject_descs[r] : "unknown reason";
}

void hu_ingest_counters_add(struct hu_ingest_counters *a, const struct hu_ingest_counters *b)
{
    a->lines += b->lines;
    a->bytes += b->bytes;
    a->bytes_in += b->bytes_in;
    a->blank_lines += b->blank_lines;
    a->events += b->events;
    for (int i = 0; i < 3; i++)
        a->events_by_kind[i] += b->events_by_kind[i];
    a->rejects += b->rejects;
    for (int i = 0; i < HU_REJECT_COUNT; i++)
        a->rejects_by_reason[i] += b->rejects_by_reason[i];
    a->fields_truncated += b->fields_truncated;
    a->tools_dropped += b->tools_dropped;
}

/* ---- the line parser ------------------------------------------------------ */

struct hu_line_parser {
    struct hu__json *json;
    const struct hu_map *map;   /* borrowed, NULL: the contract */
    char *pad;                  /* copy of the line + HU_JSON_PADDING */
    size_t pad_cap;
    const char *reject_field;
};

int hu_line_parser_create(struct hu_line_parser **out, const struct hu_map *map)
{
    if (!out)
        return HU_EINVAL;
    *out = NULL;
    struct hu_line_parser *lp = hu_calloc(1, sizeof *lp);
    if (!lp)
        return HU_ENOMEM;
    if (hu__json_create(&lp->json) != HU_OK) {
        hu_free(lp);
        return HU_ENOMEM;
    }
    lp->map = map;
    *out = lp;
    return HU_OK;
}

void hu_line_parser_destroy(struct hu_line_parser *lp)
{
    if (!lp)
        return;
    hu__json_destroy(lp->json);
    hu_free(lp->pad);
    hu_free(lp);
}

const char *hu_line_parser_reject_field(const struct hu_line_parser *lp)
{
    return lp ? lp->reject_field : NULL;
}

/* Blank: nothing but JSON whitespace.  Such lines are skipped, not
 * rejected (a trailing empty line is not an error). */
static int is_blank(const char *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
            return 0;
    return 1;
}

/* HU_REJECT_COUNT from the shim means out of memory: reported upwards by
 * the streaming ingest; the buffer entry point calls it not_json. */
static enum hu_reject parse_padded(struct hu_line_parser *lp, const char *buf, size_t len,
                                   struct hu_event *ev)
{
    lp->reject_field = NULL;
    if (len > HU_MAX_LINE_BYTES)
        return HU_REJECT_LINE_TOO_LONG;
    if (lp->map)
        return hu__json_parse_mapped(lp->json, lp->map, buf, len, ev, &lp->reject_field);
    return hu__json_parse(lp->json, buf, len, ev, &lp->reject_field);
}

enum hu_reject hu_line_parse_padded(struct hu_line_parser *lp, const char *buf, size_t len,
                                    struct hu_event *ev)
{
    if (!lp || !ev || (!buf && len))
        return HU_REJECT_NOT_JSON;
    while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
        len--;
    enum hu_reject r = parse_padded(lp, buf ? buf : "", len, ev);
    return r == HU_REJECT_COUNT ? HU_REJECT_NOT_JSON : r;
}

enum hu_reject hu_line_parse(struct hu_line_parser *lp, const char *buf, size_t len,
                             struct hu_event *ev)
{
    if (!lp || !ev || (!buf && len))
        return HU_REJECT_NOT_JSON;
    while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
        len--;
    if (len > HU_MAX_LINE_BYTES) {
        lp->reject_field = NULL;
        return HU_REJECT_LINE_TOO_LONG;
    }
    if (len + HU_JSON_PADDING > lp->pad_cap) {
        size_t cap = lp->pad_cap ? lp->pad_cap : 4096;
        while (cap < len + HU_JSON_PADDING)
            cap *= 2;
        char *np = hu_realloc(lp->pad, cap);
        if (!np)
            return HU_REJECT_NOT_JSON;
        lp->pad = np;
        lp->pad_cap = cap;
    }
    if (len)
        memcpy(lp->pad, buf, len);
    memset(lp->pad + len, 0, HU_JSON_PADDING);
    enum hu_reject r = parse_padded(lp, lp->pad, len, ev);
    return r == HU_REJECT_COUNT ? HU_REJECT_NOT_JSON : r;
}

/* ---- the streaming ingest -------------------------------------------------- */

struct hu_ingest {
    size_t n_sources;
    struct hu_ingest_source *src;    /* names owned (hu_strdup) */
    size_t cur;                      /* source being read */
    int rd_open;
    struct hu_reader rd;
    uint64_t rd_bytes_in_seen;       /* bytes_in of rd already counted */
    uint64_t rd_framed_seen;         /* bytes_framed of rd already counted */

    struct hu_line_parser *lp;
    struct hu_map *own_map;          /* from opts.map_path */

    int rejects_fd;                  /* -1: none */
    char *rejects_path;
    struct hu_buf rej;               /* pending rejects-file output */

    FILE *err;
    int quiet;
    unsigned max_shown;
    uint64_t shown;
    size_t n_failed;

    struct hu_ingest_counters total;
};

static void report(struct hu_ingest *ing, const char *fmt, ...) HU_PRINTF(2, 3);

static void report(struct hu_ingest *ing, const char *fmt, ...)
{
    if (ing->quiet)
        return;
    va_list ap;
    fputs("huella: ", ing->err);
    va_start(ap, fmt);
    vfprintf(ing->err, fmt, ap);
    va_end(ap);
    fputc('\n', ing->err);
}

static int flush_rejects(struct hu_ingest *ing)
{
    size_t off = 0;
    while (off < ing->rej.len) {
        ssize_t k = write(ing->rejects_fd, ing->rej.ptr + off, ing->rej.len - off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            hu_buf_reset(&ing->rej);
            return HU_EIO;
        }
        off += (size_t)k;
    }
    hu_buf_reset(&ing->rej);
    return HU_OK;
}

int hu_ingest_create(struct hu_ingest **out, const char *const *paths, size_t n,
                     const struct hu_ingest_opts *opts)
{
    return hu_ingest_create_with_map(out, paths, n, opts, NULL);
}

int hu_ingest_create_with_map(struct hu_ingest **out, const char *const *paths, size_t n,
                              const struct hu_ingest_opts *opts, const struct hu_map *map)
{
    static const struct hu_ingest_opts defaults;
    if (!out)
        return HU_EINVAL;
    *out = NULL;
    if (!opts)
        opts = &defaults;
    if (!paths || n == 0)
        return HU_EINVAL;
    FILE *err = opts->err ? opts->err : stderr;
    int rc = HU_ENOMEM;
    struct hu_ingest *ing = hu_calloc(1, sizeof *ing);
    if (!ing)
        return HU_ENOMEM;
    ing->rejects_fd = -1;
    ing->err = err;
    ing->quiet = opts->quiet;
    ing->max_shown = opts->max_rejects_shown ? opts->max_rejects_shown : HU_MAX_REJECTS_SHOWN;
    hu_buf_init(&ing->rej, 1u << 20);
    ing->src = hu_calloc(n, sizeof *ing->src);
    if (!ing->src)
        goto fail;
    ing->n_sources = n;
    int stdin_seen = 0;
    for (size_t i = 0; i < n; i++) {
        ing->src[i].name = hu_strdup(paths[i]);
        if (!ing->src[i].name)
            goto fail;
        if (!strcmp(paths[i], "-")) {
            if (stdin_seen++) {
                report(ing, "standard input ('-') given twice");
                rc = HU_EINVAL;
                goto fail;
            }
            continue;
        }
        /* Check now, to fail on a typo before any work; open later, in
         * order.  stat + access, never open: opening and closing a FIFO
         * (`<(zcat x)`) would make its writer lose its data. */
        struct stat st;
        int e = 0;
        if (stat(paths[i], &st) != 0)
            e = errno;
        else if (S_ISDIR(st.st_mode))
            e = EISDIR;
        else if (access(paths[i], R_OK) != 0)
            e = errno;
        if (e) {
            report(ing, "cannot read %s: %s", paths[i], strerror(e));
            rc = e == ENOENT ? HU_ENOENT : HU_EIO;
            goto fail;
        }
    }
    if (!map && opts->map_path) {
        char msg[512];
        rc = hu_map_load(&ing->own_map, opts->map_path, msg, sizeof msg);
        if (rc != HU_OK) {
            if (rc != HU_ENOMEM)
                report(ing, "bad map file: %s", msg);
            goto fail;
        }
        map = ing->own_map;
    }
    rc = hu_line_parser_create(&ing->lp, map);
    if (rc != HU_OK)
        goto fail;
    if (opts->rejects_path) {
        ing->rejects_fd = open(opts->rejects_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (ing->rejects_fd < 0) {
            report(ing, "cannot write rejects file %s: %s", opts->rejects_path, strerror(errno));
            rc = HU_EIO;
            goto fail;
        }
    }
    *out = ing;
    return HU_OK;

fail:
    hu_ingest_destroy(ing);
    return rc;
}

void hu_ingest_destroy(struct hu_ingest *ing)
{
    if (!ing)
        return;
    if (ing->rd_open)
        hu_reader_fini(&ing->rd);
    if (ing->rejects_fd >= 0) {
        (void)flush_rejects(ing);
        close(ing->rejects_fd);
    }
    hu_buf_fini(&ing->rej);
    hu_line_parser_destroy(ing->lp);
    hu_map_destroy(ing->own_map);
    if (ing->src)
        for (size_t i = 0; i < ing->n_sources; i++)
            hu_free((char *)ing->src[i].name);
    hu_free(ing->src);
    hu_free(ing);
}

static void count_bytes_in(struct hu_ingest *ing, struct hu_ingest_source *s)
{
    uint64_t d = ing->rd.bytes_in - ing->rd_bytes_in_seen;
    ing->rd_bytes_in_seen = ing->rd.bytes_in;
    s->c.bytes_in += d;
    ing->total.bytes_in += d;
}

/* Line bytes come from the reader's own count, so that the discarded tail
 * of an over-long line is counted too. */
static void count_framed(struct hu_ingest *ing, struct hu_ingest_source *s)
{
    uint64_t d = ing->rd.bytes_framed - ing->rd_framed_seen;
    ing->rd_framed_seen = ing->rd.bytes_framed;
    s->c.bytes += d;
    ing->total.bytes += d;
}

static void end_source(struct hu_ingest *ing, int status)
{
    struct hu_ingest_source *s = &ing->src[ing->cur];
    if (ing->rd_open) {
        count_bytes_in(ing, s);
        count_framed(ing, s);
        hu_reader_fini(&ing->rd);
        ing->rd_open = 0;
    }
    s->status = status;
    s->done = 1;
    if (status != HU_OK)
        ing->n_failed++;
    ing->cur++;
}

static int reject(struct hu_ingest *ing, struct hu_ingest_source *s, uint64_t line_no,
                  enum hu_reject r, const char *field)
{
    s->c.rejects++;
    s->c.rejects_by_reason[r]++;
    ing->total.rejects++;
    ing->total.rejects_by_reason[r]++;
    if (ing->shown < ing->max_shown) {
        ing->shown++;
        if (field)
            report(ing, "%s:%llu: rejected: %s (%s)", s->name, (unsigned long long)line_no,
                   hu_reject_name(r), field);
        else
            report(ing, "%s:%llu: rejected: %s", s->name, (unsigned long long)line_no,
                   hu_reject_name(r));
        if (ing->shown == ing->max_shown)
            report(ing, "further rejected lines are counted, not shown%s",
                   ing->rejects_fd >= 0 ? " (all are in the rejects file)" : " (see --rejects FILE)");
    }
    if (ing->rejects_fd < 0)
        return HU_OK;
    int rc = hu_buf_adds(&ing->rej, "{\"source\":\"");
    if (rc == HU_OK)
        rc = hu_buf_add_json_str(&ing->rej, s->name, strlen(s->name));
    if (rc == HU_OK)
        rc = hu_buf_printf(&ing->rej, "\",\"line\":%llu,\"reason\":\"%s\"",
                           (unsigned long long)line_no, hu_reject_name(r));
    if (rc == HU_OK && field)
        rc = hu_buf_printf(&ing->rej, ",\"field\":\"%s\"", field);
    if (rc == HU_OK)
        rc = hu_buf_adds(&ing->rej, "}\n");
    if (rc != HU_OK)
        return rc;
    if (ing->rej.len > (64u << 10))
        return flush_rejects(ing);
    return HU_OK;
}

int hu_ingest_next(struct hu_ingest *ing, struct hu_event *ev)
{
    if (!ing || !ev)
        return HU_EINVAL;
    while (ing->cur < ing->n_sources) {
        struct hu_ingest_source *s = &ing->src[ing->cur];
        if (!ing->rd_open) {
            int rc = hu_reader_open(&ing->rd, s->name);
            if (rc == HU_ENOMEM)
                return rc;
            if (rc != HU_OK) {
                report(ing, "cannot read %s", ing->rd.errmsg);
                end_source(ing, rc);
                continue;
            }
            ing->rd_open = 1;
            ing->rd_bytes_in_seen = 0;
            ing->rd_framed_seen = 0;
            s->codec = ing->rd.codec;
        }
        struct hu_line line;
        int rc = hu_reader_next(&ing->rd, &line);
        if (rc == 0) {
            end_source(ing, HU_OK);
            continue;
        }
        if (rc < 0) {
            if (rc == HU_ENOMEM)
                return rc;
            report(ing, "%s", ing->rd.errmsg);
            end_source(ing, rc);
            continue;
        }
        uint64_t line_no = ing->rd.lines;
        s->c.lines++;
        ing->total.lines++;
        count_framed(ing, s);
        if ((line_no & 1023) == 0)
            count_bytes_in(ing, s);
        if (line.too_long) {
            rc = reject(ing, s, line_no, HU_REJECT_LINE_TOO_LONG, NULL);
            if (rc != HU_OK)
                return rc;
            continue;
        }
        if (line.len == 0 || (line.ptr[0] != '{' && is_blank(line.ptr, line.len))) {
            s->c.blank_lines++;
            ing->total.blank_lines++;
            continue;
        }
        enum hu_reject r = parse_padded(ing->lp, line.ptr, line.len, ev);
        if (r == HU_REJECT_COUNT)
            return HU_ENOMEM;
        if (r != HU_REJECT_NONE) {
            rc = reject(ing, s, line_no, r, ing->lp->reject_field);
            if (rc != HU_OK)
                return rc;
            continue;
        }
        ev->line_no = line_no;
        s->c.events++;
        s->c.events_by_kind[ev->kind]++;
        ing->total.events++;
        ing->total.events_by_kind[ev->kind]++;
        if (ev->n_truncated) {
            s->c.fields_truncated += ev->n_truncated;
            ing->total.fields_truncated += ev->n_truncated;
        }
        if (ev->tools_total > ev->n_tools) {
            s->c.tools_dropped += ev->tools_total - ev->n_tools;
            ing->total.tools_dropped += ev->tools_total - ev->n_tools;
        }
        return 1;
    }
    if (ing->rejects_fd >= 0 && ing->rej.len)
        return flush_rejects(ing) == HU_OK ? 0 : HU_EIO;
    return 0;
}

const struct hu_ingest_counters *hu_ingest_totals(const struct hu_ingest *ing)
{
    return &ing->total;
}

size_t hu_ingest_n_sources(const struct hu_ingest *ing)
{
    return ing->n_sources;
}

const struct hu_ingest_source *hu_ingest_source_view(const struct hu_ingest *ing, size_t i)
{
    return i < ing->n_sources ? &ing->src[i] : NULL;
}

size_t hu_ingest_n_failed_sources(const struct hu_ingest *ing)
{
    return ing->n_failed;
}

size_t hu_ingest_current_source(const struct hu_ingest *ing)
{
    return ing->cur;
}
