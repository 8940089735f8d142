/*
 * featurized.c -- deployment keys and the writer of the `features` object
 * (featurized.h is the manual; featurized_json.cpp reads it back).
 *
 * Why the object carries *final* target scores and not the phrase sums:
 * the optional linear model scores the text itself, so it can only run
 * where the text is; and the request-shape hints come from `messages`,
 * which the featurized event no longer has.  The counts of messages and
 * content blocks are written too, because ingest puts them back into the
 * event (profiles count images, tool turns) -- see docs/formats/features.md.
 *
 * Exactness: hashes are written as 16 hex digits, counts as integers,
 * scores as "%.9g" (9 significant digits identify a binary32 float
 * uniquely: reading the decimal to double and rounding to float gives the
 * float back, since the decimal lies within 10^-9 relative of it and the
 * nearest rounding midpoint is 2^-25 relative away).  So reading what was
 * written gives the same struct, bit for bit (tests/unit/test_featurized.c
 * checks 10^5 random floats and every written field).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "features/featurized.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "ingest/ingest.h"

/* ---- keys ------------------------------------------------------------------ */

static uint64_t le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* BLAKE2b(key = master, msg = label) truncated to outlen bytes. */
static void subkey(const unsigned char master[32], const char *label, unsigned char *out, size_t outlen)
{
    crypto_generichash(out, outlen, (const unsigned char *)label, strlen(label), master, 32);
}

int hu_fkey_derive(const void *p, size_t len, struct hu_fkey *out)
{
    static const char domain[] = "huella feature-key v1";
    unsigned char master[32], b[8];
    crypto_generichash_state st;

    if (p == NULL || out == NULL || len < HU_FKEY_MIN_BYTES || len > HU_FKEY_MAX_BYTES)
        return HU_EINVAL;
    crypto_generichash_init(&st, NULL, 0, sizeof master);
    crypto_generichash_update(&st, (const unsigned char *)domain, sizeof domain);
    crypto_generichash_update(&st, (const unsigned char *)p, len);
    crypto_generichash_final(&st, master, sizeof master);
    subkey(master, "siphash", out->sip, sizeof out->sip);
    subkey(master, "simhash", b, sizeof b);
    out->simhash_seed = le64(b);
    subkey(master, "id", b, sizeof b);
    out->id = le64(b) ? le64(b) : 1;
    sodium_memzero(master, sizeof master);
    return HU_OK;
}

int hu_fkey_load(const char *path, struct hu_fkey *out, char *errbuf, size_t errcap)
{
    unsigned char buf[HU_FKEY_MAX_BYTES + 1];
    size_t n = 0;
    int rc;

    if (path == NULL || out == NULL)
        return HU_EINVAL;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        if (errbuf)
            snprintf(errbuf, errcap, "cannot read feature key %s: %s", path, strerror(errno));
        return errno == ENOENT ? HU_ENOENT : HU_EIO;
    }
    n = fread(buf, 1, sizeof buf, f);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        if (errbuf)
            snprintf(errbuf, errcap, "cannot read feature key %s", path);
        sodium_memzero(buf, sizeof buf);
        return HU_EIO;
    }
    rc = hu_fkey_derive(buf, n, out);
    sodium_memzero(buf, sizeof buf);
    if (rc != HU_OK && errbuf)
        snprintf(errbuf, errcap, "feature key %s must hold %u to %u bytes (it holds %s%zu)", path,
                 HU_FKEY_MIN_BYTES, HU_FKEY_MAX_BYTES, n > HU_FKEY_MAX_BYTES ? "more than " : "",
                 n > HU_FKEY_MAX_BYTES ? (size_t)HU_FKEY_MAX_BYTES : n);
    return rc;
}

int hu_fkey_generate(const char *path, char *errbuf, size_t errcap)
{
    unsigned char key[32];
    if (path == NULL)
        return HU_EINVAL;
    if (sodium_init() < 0)
        return HU_EINTERNAL;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) {
        if (errbuf)
            snprintf(errbuf, errcap, "cannot create %s: %s", path, strerror(errno));
        return errno == EEXIST ? HU_EEXIST : HU_EIO;
    }
    randombytes_buf(key, sizeof key);
    ssize_t w = write(fd, key, sizeof key);
    sodium_memzero(key, sizeof key);
    if (w != (ssize_t)sizeof key || fsync(fd) != 0 || close(fd) != 0) {
        if (errbuf)
            snprintf(errbuf, errcap, "cannot write %s", path);
        return HU_EIO;
    }
    return HU_OK;
}

uint64_t hu_fkey_hash(const struct hu_fkey *k, uint64_t h)
{
    unsigned char m[8], o[crypto_shorthash_BYTES];
    if (k == NULL || h == 0)
        return h;
    for (int i = 0; i < 8; i++)
        m[i] = (unsigned char)(h >> (8 * i));
    crypto_shorthash(o, m, sizeof m, k->sip);
    uint64_t r = le64(o);
    return r ? r : 1;
}

/* ---- languages ------------------------------------------------------------- */

static const char *const lang_codes[] = {
    [HU_LANG_NONE] = NULL, [HU_LANG_EN] = "en", [HU_LANG_ZH] = "zh",
    [HU_LANG_ES] = "es", [HU_LANG_OTHER] = "other",
};

const char *hu_lang_code(int lang)
{
    if (lang < 0 || (size_t)lang >= sizeof lang_codes / sizeof lang_codes[0])
        return NULL;
    return lang_codes[lang];
}

int hu_lang_from_code(const char *s, size_t len)
{
    for (size_t i = 0; i < sizeof lang_codes / sizeof lang_codes[0]; i++)
        if (lang_codes[i] && strlen(lang_codes[i]) == len && !memcmp(lang_codes[i], s, len))
            return (int)i;
    return -1;
}

/* ---- object ---------------------------------------------------------------- */

void hu_fz_object_from(const struct hu_event *ev, const struct hu_req_features *f,
                       const struct hu_fkey *k, struct hu_fz_object *o)
{
    memset(o, 0, sizeof *o);
    if (k != NULL) {
        o->has |= HU_FZ_HAS_KEY;
        o->key_id = k->id;
    }
    if (ev->prompt.ptr != NULL) {
        o->has |= HU_FZ_HAS_PROMPT;
        o->template_hash = f->template_hash;
        o->simhash = f->simhash;
        o->head_hash = f->head_hash;
        o->tail_hash = f->tail_hash;
        o->prompt_chars = f->prompt_chars;
        o->lang = f->lang;
    }
    if (ev->system.ptr != NULL) {
        o->has |= HU_FZ_HAS_SYSTEM;
        o->system_hash = f->system_hash;
    }
    o->has |= HU_FZ_HAS_TARGETS;
    memcpy(o->target, f->target, sizeof o->target);
    if (ev->n_messages || ev->n_image_blocks || ev->n_tool_use_blocks || ev->n_tool_result_blocks) {
        o->has |= HU_FZ_HAS_MSGS;
        o->msgs = (struct hu_fz_msgs){ ev->n_messages, ev->n_user_msgs, ev->n_assistant_msgs,
                                       ev->n_tool_msgs, ev->n_image_blocks, ev->n_tool_use_blocks,
                                       ev->n_tool_result_blocks };
    }
}

/* A tiny bounded writer: counts what it would need past the cap. */
struct w {
    char *p;
    size_t cap, len;
};

static void put(struct w *w, const char *s, size_t n)
{
    if (w->len + n < w->cap)
        memcpy(w->p + w->len, s, n);
    w->len += n;
}

static void puts_(struct w *w, const char *s) { put(w, s, strlen(s)); }

static void putf(struct w *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct w *w, const char *fmt, ...)
{
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        put(w, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* ,"key":"<16 hex digits>" without printf (the writer is on the request
 * path: printf costs ~80 ns a call, this ~10). */
static void put_hash(struct w *w, const char *key, uint64_t h)
{
    static const char hex[] = "0123456789abcdef";
    char tmp[48];
    size_t kl = strlen(key), n = 0;
    if (kl > 24)
        kl = 24;
    tmp[n++] = ',';
    tmp[n++] = '"';
    memcpy(tmp + n, key, kl);
    n += kl;
    tmp[n++] = '"';
    tmp[n++] = ':';
    tmp[n++] = '"';
    for (int i = 15; i >= 0; i--)
        tmp[n++] = hex[(h >> (4 * i)) & 15];
    tmp[n++] = '"';
    put(w, tmp, n);
}

/* ,"key":<decimal> (sep is the separator before the key, "" or ","). */
static void put_u32(struct w *w, const char *sep, const char *key, uint32_t v)
{
    char num[12];
    size_t n = sizeof num;
    do {
        num[--n] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    puts_(w, sep);
    put(w, "\"", 1);
    puts_(w, key);
    put(w, "\":", 2);
    put(w, num + n, sizeof num - n);
}

/* A positive float with 9 significant digits, without printf (%.9g took
 * ~200 ns a score, most of the object's cost).  For 1e-5 <= x < 1e9 the
 * decimal is computed exactly enough in double: x * 10^(8-e) with an exact
 * power of ten (|8-e| <= 13) is off by at most half an ulp of the double,
 * so the 9-digit integer m is the correctly rounded one, or one unit away
 * when the product lies within 1e-7 of a .5 tie.  Either way |m*10^(e-8) -
 * x| <= 0.51e-8 * 10^e <= 5.1e-9 x, far below half the spacing of floats
 * (2^-25 x = 2.98e-8 x), so reading the decimal back to the nearest
 * double and rounding to float gives x again (tests/unit/test_featurized.c,
 * floats_round_trip, checks it over every magnitude).  Trailing zeros are
 * dropped ("0.5", "1").  Anything else goes through %.9g. */
static void put_float9(struct w *w, float xf)
{
    static const double p10[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13 };
    double x = (double)xf;
    if (!(x >= 1e-5 && x < 1e9)) {
        putf(w, "%.9g", x);
        return;
    }
    int e = 0;                              /* 10^e <= x < 10^(e+1) */
    while (e < 8 && x >= p10[e + 1])
        e++;
    while (e > -5 && x < 1.0 / p10[-e])     /* 1/10^k: only compares, no digits from it */
        e--;
    int k = 8 - e;                          /* 0..13 */
    uint64_t m = (uint64_t)(x * p10[k] + 0.5);
    if (m >= 1000000000u) {                 /* rounded up to 10^9 */
        m /= 10;
        e++;
        k--;
    }
    if (m < 100000000u) {                   /* x sat just under 10^e: one digit more */
        m = (uint64_t)(x * p10[k + 1] + 0.5);
        e--;
        k++;
    }
    char dig[9];
    for (int i = 8; i >= 0; i--) {
        dig[i] = (char)('0' + m % 10);
        m /= 10;
    }
    int nd = 9;
    while (nd > 1 && dig[nd - 1] == '0')
        nd--;
    char tmp[32];
    size_t n = 0;
    if (e < 0) {                            /* 0.000ddd */
        tmp[n++] = '0';
        tmp[n++] = '.';
        for (int i = -1; i > e; i--)
            tmp[n++] = '0';
        for (int i = 0; i < nd; i++)
            tmp[n++] = dig[i];
    } else {                                /* ddd.ddd */
        for (int i = 0; i <= e; i++)
            tmp[n++] = i < nd ? dig[i] : '0';
        if (nd > e + 1) {
            tmp[n++] = '.';
            for (int i = e + 1; i < nd; i++)
                tmp[n++] = dig[i];
        }
    }
    put(w, tmp, n);
}

size_t hu_fz_object_write(const struct hu_fz_object *o, char *out, size_t cap)
{
    struct w w = { out, cap, 0 };
    put_u32(&w, "{", "v", HU_FEATURES_FORMAT);
    if (o->has & HU_FZ_HAS_KEY)
        put_hash(&w, "key", o->key_id);
    if (o->has & HU_FZ_HAS_PROMPT) {
        put_hash(&w, "template", o->template_hash);
        put_hash(&w, "simhash", o->simhash);
        put_hash(&w, "head", o->head_hash);
        put_hash(&w, "tail", o->tail_hash);
        put_u32(&w, ",", "prompt_chars", o->prompt_chars);
        const char *lc = hu_lang_code(o->lang);
        if (lc) {
            puts_(&w, ",\"lang\":\"");
            puts_(&w, lc);
            puts_(&w, "\"");
        }
    }
    if (o->has & HU_FZ_HAS_SYSTEM)
        put_hash(&w, "system", o->system_hash);
    if (o->has & HU_FZ_HAS_TARGETS) {
        puts_(&w, ",\"targets\":{");
        int first = 1;
        for (int t = 0; t < HU_TARGET_COUNT; t++) {
            if (!(o->target[t] > 0.0f))
                continue;
            if (!first)
                put(&w, ",", 1);
            put(&w, "\"", 1);
            puts_(&w, hu_target_code((enum hu_target)t));
            put(&w, "\":", 2);
            put_float9(&w, o->target[t]);
            first = 0;
        }
        puts_(&w, "}");
    }
    if (o->has & HU_FZ_HAS_MSGS) {
        const struct hu_fz_msgs *m = &o->msgs;
        puts_(&w, ",\"messages\":{");
        put_u32(&w, "", "n", m->n);
        put_u32(&w, ",", "user", m->user);
        put_u32(&w, ",", "assistant", m->assistant);
        put_u32(&w, ",", "tool", m->tool);
        put_u32(&w, ",", "image", m->image);
        put_u32(&w, ",", "tool_use", m->tool_use);
        put_u32(&w, ",", "tool_result", m->tool_result);
        puts_(&w, "}");
    }
    puts_(&w, "}");
    if (w.len < cap)
        out[w.len] = 0;
    return w.len;
}

/* ---- one line -------------------------------------------------------------- */

/* Parse a line and compute its object: the part hu_fz_line and
 * hu_fz_line_mapped share.  Returns HU_FZ_* with *op / *on the object
 * (NULL for HU_FZ_NO_TEXT; into ob, or into lp's buffer when KEPT), or a
 * negative status. */
static int fz_compute(struct hu_fx_worker *w, struct hu_line_parser *lp, const struct hu_fkey *k,
                      const char *line, size_t len, int padded, struct hu_event *ev, char *ob,
                      size_t obcap, const char **op, size_t *on, char *obj, size_t objcap,
                      size_t *olen, int *why)
{
    struct hu_req_features f;
    struct hu_fz_object o;
    int outcome;

    *op = NULL;
    *on = 0;
    enum hu_reject rj = padded ? hu_line_parse_padded(lp, line, len, ev)
                               : hu_line_parse(lp, line, len, ev);
    if (rj != HU_REJECT_NONE) {
        if (why)
            *why = (int)rj;
        return rj == HU_REJECT_COUNT ? HU_ENOMEM : HU_EPARSE;
    }
    if (ev->kind == HU_EV_REQUEST && ev->features_json.ptr != NULL && ev->prompt.ptr == NULL &&
        ev->system.ptr == NULL) {
        *op = ev->features_json.ptr;             /* already featurized */
        *on = ev->features_json.len;
        outcome = HU_FZ_KEPT;
    } else if (ev->kind == HU_EV_REQUEST &&
               (ev->prompt.ptr != NULL || ev->system.ptr != NULL || ev->n_messages > 0)) {
        int was = hu_fx_worker_text_only(w, 1);     /* the object needs text features only */
        hu_features_extract(w, ev, &f);
        (void)hu_fx_worker_text_only(w, was);
        hu_fz_object_from(ev, &f, k, &o);
        *on = hu_fz_object_write(&o, ob, obcap);
        if (*on >= obcap)
            return HU_EINTERNAL;                 /* cannot happen: 1024 covers every field */
        *op = ob;
        outcome = HU_FZ_FEATURIZED;
    } else {
        outcome = HU_FZ_NO_TEXT;
    }
    if (obj != NULL && *op != NULL && *on < objcap) {
        memcpy(obj, *op, *on);
        obj[*on] = 0;
        if (olen)
            *olen = *on;
    }
    return outcome;
}

int hu_fz_line(struct hu_fx_worker *w, struct hu_fz_reader *r, struct hu_line_parser *lp,
               const struct hu_fkey *k, const char *line, size_t len, int padded,
               struct hu_buf *out, char *obj, size_t objcap, size_t *olen, int *why)
{
    struct hu_event ev;
    char ob[1024];
    const char *op;
    size_t on;

    if (olen)
        *olen = 0;
    if (why)
        *why = HU_REJECT_NONE;
    if (w == NULL || r == NULL || lp == NULL || line == NULL || out == NULL)
        return HU_EINVAL;
    int outcome = fz_compute(w, lp, k, line, len, padded, &ev, ob, sizeof ob, &op, &on, obj, objcap,
                             olen, why);
    if (outcome < 0)
        return outcome;
    /* The line's bytes are re-read by the rewriter (its own padded copy):
     * the event's spans are not needed any more, except op when KEPT,
     * which points into lp's buffer and stays valid until lp's next parse. */
    int rc = padded ? hu_fz_rewrite_padded(r, line, len, op, on, out)
                    : hu_fz_rewrite(r, line, len, op, on, out);
    return rc == HU_OK ? outcome : rc;
}

/* ---- a contract line from an event (--map) ----------------------------------- */

static int put_span(struct hu_buf *b, const char *name, struct hu_span s)
{
    if (s.ptr == NULL)
        return HU_OK;
    int rc = hu_buf_printf(b, ",\"%s\":\"", name);
    if (rc == HU_OK)
        rc = hu_buf_add_json_str(b, s.ptr, s.len);
    if (rc == HU_OK)
        rc = hu_buf_addc(b, '"');
    return rc;
}

static int put_int(struct hu_buf *b, const char *name, int64_t v)
{
    if (v == HU_EV_ABSENT)
        return HU_OK;
    return hu_buf_printf(b, ",\"%s\":%lld", name, (long long)v);
}

int hu_fz_event_write(const struct hu_event *ev, const char *obj, size_t olen, struct hu_buf *out)
{
    char ts[40];
    int rc;

    if (ev == NULL || out == NULL)
        return HU_EINVAL;
    hu_buf_reset(out);
    hu_format_rfc3339(ev->ts_ms, ts, sizeof ts);
    rc = hu_buf_printf(out, "{\"ts\":\"%s\"", ts);
    if (rc == HU_OK && ev->kind != HU_EV_REQUEST)
        rc = hu_buf_printf(out, ",\"kind\":\"%s\"",
                           ev->kind == HU_EV_ACCOUNT ? "account" : "model_release");
    /* the order of EVENTS.md; text (system, prompt, messages) never */
    const struct { const char *name; struct hu_span s; } spans[] = {
        { "account_id", ev->account_id }, { "org_id", ev->org_id },   { "api_key_id", ev->api_key_id },
        { "ip", ev->ip },                 { "country", ev->country }, { "user_agent", ev->user_agent },
        { "client_fp", ev->client_fp },   { "headers_fp", ev->headers_fp },
        { "endpoint", ev->endpoint },     { "model", ev->model },     { "payment_fp", ev->payment_fp },
        { "type", ev->account_type },     { "email_domain", ev->email_domain },
        { "verification", ev->verification },
    };
    for (size_t i = 0; rc == HU_OK && i < sizeof spans / sizeof spans[0]; i++)
        rc = put_span(out, spans[i].name, spans[i].s);
    if (rc == HU_OK && ev->n_tools > 0) {
        rc = hu_buf_adds(out, ",\"tools\":[");
        for (uint32_t i = 0; rc == HU_OK && i < ev->n_tools; i++) {
            rc = hu_buf_adds(out, i ? ",\"" : "\"");
            if (rc == HU_OK)
                rc = hu_buf_add_json_str(out, ev->tools[i].ptr ? ev->tools[i].ptr : "",
                                         ev->tools[i].len);
            if (rc == HU_OK)
                rc = hu_buf_addc(out, '"');
        }
        if (rc == HU_OK)
            rc = hu_buf_addc(out, ']');
    }
    /* thinking: the object form keeps a budget and the switch apart
     * ({"type":"disabled","budget_tokens":N} is off with a budget) */
    if (rc == HU_OK && ev->thinking_budget != HU_EV_ABSENT)
        rc = hu_buf_printf(out, ",\"thinking\":{\"type\":\"%s\",\"budget_tokens\":%lld}",
                           ev->thinking > 0 ? "enabled" : "disabled", (long long)ev->thinking_budget);
    else if (rc == HU_OK && ev->thinking >= 0)
        rc = hu_buf_printf(out, ",\"thinking\":%s", ev->thinking ? "true" : "false");
    if (rc == HU_OK)
        rc = put_int(out, "max_tokens", ev->max_tokens);
    if (rc == HU_OK)
        rc = put_int(out, "input_tokens", ev->input_tokens);
    if (rc == HU_OK)
        rc = put_int(out, "output_tokens", ev->output_tokens);
    if (rc == HU_OK)
        rc = put_int(out, "status", ev->status);
    if (rc == HU_OK)
        rc = put_span(out, "label", ev->label);
    if (rc == HU_OK && obj != NULL) {
        rc = hu_buf_adds(out, ",\"features\":");
        if (rc == HU_OK)
            rc = hu_buf_add(out, obj, olen);
    }
    if (rc == HU_OK)
        rc = hu_buf_addc(out, '}');
    return rc;
}

int hu_fz_line_mapped(struct hu_fx_worker *w, struct hu_line_parser *lp, const struct hu_fkey *k,
                      const char *line, size_t len, int padded, struct hu_buf *out, char *obj,
                      size_t objcap, size_t *olen, int *why)
{
    struct hu_event ev;
    char ob[1024];
    const char *op;
    size_t on;

    if (olen)
        *olen = 0;
    if (why)
        *why = HU_REJECT_NONE;
    if (w == NULL || lp == NULL || line == NULL || out == NULL)
        return HU_EINVAL;
    int outcome = fz_compute(w, lp, k, line, len, padded, &ev, ob, sizeof ob, &op, &on, obj, objcap,
                             olen, why);
    if (outcome < 0)
        return outcome;
    /* the event's spans point into lp's buffers: still valid here */
    int rc = hu_fz_event_write(&ev, op, on, out);
    return rc == HU_OK ? outcome : rc;
}
