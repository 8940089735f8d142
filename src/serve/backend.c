/*
 * backend.c -- see backend.h.  Each half (line parser, analysis) is chosen
 * at compile time: the real stage when its header is in the tree, else a
 * stand-in that keeps the service buildable and testable.  The stand-ins
 * are the `#else` branches below; delete them once score/analysis.c is
 * merged (ingest/ already is, so its stand-in is dead code today).
 */
#include "serve/backend.h"
#include "core/alloc.h"
#include "core/hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__has_include)
#if __has_include("ingest/ingest.h")
#define HU_SERVE_HAVE_INGEST 1
#endif
#if __has_include("score/analysis.h")
#define HU_SERVE_HAVE_ANALYSIS 1
#endif
#endif

/* ======================================================================
 * event lines
 * ====================================================================== */
#ifdef HU_SERVE_HAVE_INGEST
#include "ingest/ingest.h"

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

#else
/* stand-in until ingest/ is in the tree: json-c, the contract's required
 * fields only */
#include <json-c/json.h>

struct hu__be_parser {
    struct json_tokener *tok;
    struct json_object *last;       /* owns the spans of the last event */
};

int hu__be_parser_create(struct hu__be_parser **out)
{
    struct hu__be_parser *p = hu_calloc(1, sizeof *p);
    if (!p)
        return HU_ENOMEM;
    p->tok = json_tokener_new_ex((int)HU_MAX_JSON_DEPTH);
    if (!p->tok) {
        hu_free(p);
        return HU_ENOMEM;
    }
    json_tokener_set_flags(p->tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    *out = p;
    return HU_OK;
}

void hu__be_parser_destroy(struct hu__be_parser *p)
{
    if (!p)
        return;
    if (p->last)
        json_object_put(p->last);
    json_tokener_free(p->tok);
    hu_free(p);
}

static int str_field(struct json_object *o, const char *k, struct hu_span *s)
{
    struct json_object *v = NULL;
    *s = HU_SPAN_NULL;
    if (!json_object_object_get_ex(o, k, &v) || !v)
        return 0;
    if (!json_object_is_type(v, json_type_string))
        return -1;
    s->ptr = json_object_get_string(v);
    s->len = (size_t)json_object_get_string_len(v);
    return 1;
}

const char *hu__be_parse(struct hu__be_parser *p, const char *line, size_t len,
                         struct hu_event *ev, const char **field)
{
    *field = NULL;
    if (p->last) {
        json_object_put(p->last);
        p->last = NULL;
    }
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        len--;
    if (len > HU_MAX_LINE_BYTES)
        return "line_too_long";
    json_tokener_reset(p->tok);
    struct json_object *o = json_tokener_parse_ex(p->tok, line, (int)len);
    if (!o || json_tokener_get_error(p->tok) != json_tokener_success ||
        json_tokener_get_parse_end(p->tok) != len) {
        if (o)
            json_object_put(o);
        return "not_json";
    }
    p->last = o;
    if (!json_object_is_type(o, json_type_object))
        return "not_object";
    memset(ev, 0, sizeof *ev);
    ev->thinking = -1;
    struct hu_span kind;
    if (str_field(o, "kind", &kind) < 0) {
        *field = "kind";
        return "wrong_type";
    }
    ev->kind = HU_EV_REQUEST;
    if (kind.ptr) {
        if (kind.len == 7 && !memcmp(kind.ptr, "account", 7))
            ev->kind = HU_EV_ACCOUNT;
        else if (kind.len == 13 && !memcmp(kind.ptr, "model_release", 13))
            ev->kind = HU_EV_MODEL_RELEASE;
        else if (!(kind.len == 7 && !memcmp(kind.ptr, "request", 7))) {
            *field = "kind";
            return "unknown_kind";
        }
    }
    struct json_object *ts = NULL;
    if (!json_object_object_get_ex(o, "ts", &ts) || !ts) {
        *field = "ts";
        return "missing_ts";
    }
    /* the stand-in does not use time: presence and type only */
    if (json_object_is_type(ts, json_type_string) && json_object_get_string_len(ts) > 0) {
        ev->ts_ms = 0;
    } else if (json_object_is_type(ts, json_type_int) || json_object_is_type(ts, json_type_double)) {
        double v = json_object_get_double(ts);
        ev->ts_ms = (int64_t)(v > 1e11 ? v : v * 1000.0);
    } else {
        *field = "ts";
        return "bad_ts";
    }
    static const struct { const char *k; size_t off; } spans[] = {
        { "account_id", offsetof(struct hu_event, account_id) },
        { "org_id", offsetof(struct hu_event, org_id) },
        { "ip", offsetof(struct hu_event, ip) },
        { "payment_fp", offsetof(struct hu_event, payment_fp) },
        { "email_domain", offsetof(struct hu_event, email_domain) },
        { "type", offsetof(struct hu_event, account_type) },
        { "verification", offsetof(struct hu_event, verification) },
        { "model", offsetof(struct hu_event, model) },
        { "client_fp", offsetof(struct hu_event, client_fp) },
    };
    for (size_t i = 0; i < sizeof spans / sizeof spans[0]; i++) {
        if (str_field(o, spans[i].k, (struct hu_span *)((char *)ev + spans[i].off)) < 0) {
            *field = spans[i].k;
            return "wrong_type";
        }
    }
    if (ev->kind != HU_EV_MODEL_RELEASE && !ev->account_id.len) {
        *field = "account_id";
        return "missing_account_id";
    }
    if (ev->account_id.len > HU_MAX_ID_BYTES) {
        *field = "account_id";
        return "id_too_long";
    }
    if (ev->kind == HU_EV_MODEL_RELEASE && !ev->model.len) {
        *field = "model";
        return "missing_model";
    }
    return NULL;
}

#endif

/* ======================================================================
 * the analysis
 * ====================================================================== */
#ifdef HU_SERVE_HAVE_ANALYSIS
#include "report/outputs.h"
#include "score/analysis.h"

const char *hu__be_name(void) { return "pipeline"; }

struct hu__be { struct hu_analysis *a; };

int hu__be_create(struct hu__be **out, char *errbuf, size_t errcap)
{
    struct hu__be *b = hu_calloc(1, sizeof *b);
    if (!b)
        return HU_ENOMEM;
    struct hu_analysis_config cfg;
    memset(&cfg, 0, sizeof cfg);
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

#else
/* stand-in until score/analysis.c is in the tree: per-account request
 * counts, score 0, no campaigns */

const char *hu__be_name(void) { return "stand-in analysis"; }

struct sacct {
    uint64_t hash;
    char *id;
    uint32_t len;
    uint64_t requests;
};

struct hu__be {
    struct sacct *acc;        /* insertion order */
    size_t n, cap;
    uint32_t *slots;          /* index + 1, open addressing */
    size_t mask;
};

int hu__be_create(struct hu__be **out, char *errbuf, size_t errcap)
{
    (void)errbuf;
    (void)errcap;
    struct hu__be *b = hu_calloc(1, sizeof *b);
    if (!b)
        return HU_ENOMEM;
    b->mask = 1023;
    b->slots = hu_calloc(b->mask + 1, sizeof *b->slots);
    if (!b->slots) {
        hu_free(b);
        return HU_ENOMEM;
    }
    *out = b;
    return HU_OK;
}

void hu__be_destroy(struct hu__be *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n; i++)
        hu_free(b->acc[i].id);
    hu_free(b->acc);
    hu_free(b->slots);
    hu_free(b);
}

static int rehash(struct hu__be *b)
{
    size_t nm = (b->mask + 1) * 2 - 1;
    uint32_t *ns = hu_calloc(nm + 1, sizeof *ns);
    if (!ns)
        return HU_ENOMEM;
    for (size_t i = 0; i < b->n; i++) {
        size_t s = b->acc[i].hash & nm;
        while (ns[s])
            s = (s + 1) & nm;
        ns[s] = (uint32_t)i + 1;
    }
    hu_free(b->slots);
    b->slots = ns;
    b->mask = nm;
    return HU_OK;
}

int hu__be_observe(struct hu__be *b, const struct hu_event *ev)
{
    if (ev->kind == HU_EV_MODEL_RELEASE)
        return HU_OK;
    uint64_t h = hu_hash(ev->account_id.ptr, ev->account_id.len);
    size_t s = h & b->mask;
    while (b->slots[s]) {
        struct sacct *a = &b->acc[b->slots[s] - 1];
        if (a->hash == h && a->len == ev->account_id.len &&
            !memcmp(a->id, ev->account_id.ptr, a->len)) {
            a->requests += ev->kind == HU_EV_REQUEST;
            return HU_OK;
        }
        s = (s + 1) & b->mask;
    }
    if ((b->n + 1) * 2 > b->mask + 1) {
        if (rehash(b) != HU_OK)
            return HU_ENOMEM;
        return hu__be_observe(b, ev);
    }
    if (hu_grow((void **)&b->acc, &b->cap, b->n + 1, sizeof *b->acc, 64) != HU_OK)
        return HU_ENOMEM;
    char *id = hu_strndup(ev->account_id.ptr, ev->account_id.len);
    if (!id)
        return HU_ENOMEM;
    b->acc[b->n] = (struct sacct){ h, id, (uint32_t)ev->account_id.len,
                                   ev->kind == HU_EV_REQUEST ? 1u : 0u };
    b->slots[s] = (uint32_t)++b->n;
    return HU_OK;
}

int hu__be_finish(struct hu__be *b, struct hu_results *out)
{
    memset(out, 0, sizeof *out);
    if (!b->n)
        return HU_OK;
    out->accounts = hu_calloc(b->n, sizeof *out->accounts);
    if (!out->accounts)
        return HU_ENOMEM;
    out->n_accounts = b->n;
    for (size_t i = 0; i < b->n; i++) {
        struct hu_account_result *r = &out->accounts[i];
        r->account_id = b->acc[i].id;
        r->account_id_len = b->acc[i].len;
        r->requests = b->acc[i].requests;
        out->total_requests += r->requests;
    }
    return HU_OK;
}

int hu__be_campaigns_json(const struct hu_results *r, struct hu_buf *out)
{
    (void)r;
    return hu_buf_adds(out, "[]");
}
#endif
