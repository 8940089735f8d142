/*
 * ioc_pattern.c -- recursive-descent parser for a subset of STIX 2.1
 * patterns (see ioc_pattern.h).
 *
 * Grammar (whitespace allowed between tokens):
 *   pattern  := obs (('AND' | 'OR' | 'FOLLOWEDBY') obs)*
 *   obs      := '(' pattern ')' | '[' cmpexp ']'
 *   cmpexp   := cmp (('AND' | 'OR') cmp)*
 *   cmp      := '(' cmpexp ')' | path ['NOT'] op value
 *   path     := type ':' step ('.' step | '[' (digits | '*') ']')*
 *   type     := [a-z0-9-]+     step := [a-z0-9_]+ | quoted
 *   value    := quoted | ['-'] digits ['.' digits] | 'true' | 'false'
 *             | [thb] quoted | '(' value (',' value)* ')'   (IN only)
 * Nesting of parentheses is bounded by a depth of 16; every loop advances
 * the cursor, so work is O(len).
 */
#include "features/ioc_pattern.h"

#include <stdio.h>
#include <string.h>

#define MAX_PAREN_DEPTH 16

struct ps {
    const char *p, *end, *start;
    struct hu_pattern *out;
    char *err;
    size_t errcap;
    int depth;
    int rc;
};

static int fail(struct ps *s, const char *what)
{
    if (s->rc == HU_OK) {
        s->rc = HU_EPARSE;
        if (s->err && s->errcap)
            snprintf(s->err, s->errcap, "pattern offset %zu: %s", (size_t)(s->p - s->start), what);
    }
    return s->rc;
}

static void ws(struct ps *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static int kw(struct ps *s, const char *k)
{
    size_t n = strlen(k);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, k, n))
        return 0;
    if (s->p + n < s->end) {
        char c = s->p[n];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')
            return 0;
    }
    s->p += n;
    return 1;
}

static int lit(struct ps *s, char c)
{
    ws(s);
    if (s->p < s->end && *s->p == c) {
        s->p++;
        return 1;
    }
    return 0;
}

static char *store(struct ps *s, size_t n)
{
    struct hu_pattern *o = s->out;
    if (o->store_len + n + 1 > sizeof o->store)
        return NULL;
    char *d = o->store + o->store_len;
    o->store_len += n + 1;
    d[n] = '\0';
    return d;
}

/* 'string' with \' and \\ escapes; writes the unescaped body to the store. */
static int quoted(struct ps *s, const char **val, uint32_t *vlen)
{
    if (s->p >= s->end || *s->p != '\'')
        return fail(s, "expected a quoted string");
    s->p++;
    const char *q = s->p;
    size_t n = 0;
    while (q < s->end && *q != '\'') {
        if (*q == '\\') {
            if (q + 1 >= s->end || (q[1] != '\'' && q[1] != '\\')) {
                s->p = q;
                return fail(s, "bad escape in string (only \\' and \\\\ are allowed)");
            }
            q++;
        }
        q++;
        n++;
    }
    if (q >= s->end)
        return fail(s, "unterminated string");
    char *d = store(s, n);
    if (!d)
        return fail(s, "pattern too long");
    for (size_t i = 0; s->p < q; i++) {
        if (*s->p == '\\') s->p++;
        d[i] = *s->p++;
    }
    s->p++; /* closing quote */
    *val = d;
    *vlen = (uint32_t)n;
    return HU_OK;
}

static int path(struct ps *s, struct hu_pat_cmp *c)
{
    ws(s);
    const char *b = s->p;
    while (s->p < s->end && ((*s->p >= 'a' && *s->p <= 'z') || (*s->p >= '0' && *s->p <= '9') || *s->p == '-'))
        s->p++;
    if (s->p == b)
        return fail(s, "expected an object type");
    if (s->p >= s->end || *s->p != ':')
        return fail(s, "expected ':' after the object type");
    s->p++;
    int first = 1;
    for (;;) {
        if (!first) {
            if (s->p < s->end && *s->p == '.') {
                s->p++;
            } else if (s->p < s->end && *s->p == '[') {
                s->p++;
                const char *d = s->p;
                if (s->p < s->end && *s->p == '*') s->p++;
                else while (s->p < s->end && *s->p >= '0' && *s->p <= '9') s->p++;
                if (s->p == d || s->p >= s->end || *s->p != ']')
                    return fail(s, "bad list index in object path");
                s->p++;
                continue;
            } else {
                break;
            }
        }
        first = 0;
        if (s->p < s->end && *s->p == '\'') {
            const char *v; uint32_t vl;
            if (quoted(s, &v, &vl)) return s->rc;
            if (vl == 0) return fail(s, "empty quoted property name");
        } else {
            const char *d = s->p;
            while (s->p < s->end && ((*s->p >= 'a' && *s->p <= 'z') || (*s->p >= 'A' && *s->p <= 'Z') ||
                                     (*s->p >= '0' && *s->p <= '9') || *s->p == '_' || *s->p == '-'))
                s->p++;
            if (s->p == d)
                return fail(s, "expected a property name");
        }
    }
    size_t n = (size_t)(s->p - b);
    char *d = store(s, n);
    if (!d)
        return fail(s, "pattern too long");
    memcpy(d, b, n);
    c->path = d;
    c->path_len = (uint32_t)n;
    return HU_OK;
}

static int op(struct ps *s, struct hu_pat_cmp *c)
{
    ws(s);
    if (kw(s, "NOT")) { c->negated = 1; ws(s); }
    static const struct { const char *t; uint8_t op; } ops[] = {
        { "!=", HU_PAT_NE }, { "<=", HU_PAT_LE }, { ">=", HU_PAT_GE }, { "=", HU_PAT_EQ },
        { "<", HU_PAT_LT }, { ">", HU_PAT_GT },
    };
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        size_t n = strlen(ops[i].t);
        if ((size_t)(s->end - s->p) >= n && !memcmp(s->p, ops[i].t, n)) {
            s->p += n;
            c->op = ops[i].op;
            return HU_OK;
        }
    }
    static const struct { const char *t; uint8_t op; } words[] = {
        { "ISSUBSET", HU_PAT_ISSUBSET }, { "ISSUPERSET", HU_PAT_ISSUPERSET }, { "LIKE", HU_PAT_LIKE },
        { "MATCHES", HU_PAT_MATCHES }, { "IN", HU_PAT_IN },
    };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (kw(s, words[i].t)) { c->op = words[i].op; return HU_OK; }
    return fail(s, "expected a comparison operator");
}

static int scalar(struct ps *s, struct hu_pat_cmp *c)
{
    ws(s);
    if (s->p >= s->end)
        return fail(s, "expected a value");
    char ch = *s->p;
    if (ch == '\'') {
        c->vtype = HU_PAT_STR;
        return quoted(s, &c->val, &c->val_len);
    }
    if ((ch == 't' || ch == 'h' || ch == 'b') && s->p + 1 < s->end && s->p[1] == '\'') {
        s->p++;
        c->vtype = HU_PAT_OTHER;   /* timestamp, hex or binary literal */
        return quoted(s, &c->val, &c->val_len);
    }
    if (kw(s, "true") || kw(s, "false")) {
        c->vtype = HU_PAT_BOOL;
        c->ival = s->p[-1] == 'e' && s->p[-2] == 'u';
        return HU_OK;
    }
    const char *b = s->p;
    if (*s->p == '-') s->p++;
    const char *d = s->p;
    int64_t v = 0;
    int overflow = 0;
    while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
        if (v > (INT64_MAX - 9) / 10) overflow = 1;
        else v = v * 10 + (*s->p - '0');
        s->p++;
    }
    if (s->p == d)
        return fail(s, "expected a value");
    c->vtype = HU_PAT_INT;
    if (s->p < s->end && *s->p == '.') {
        s->p++;
        const char *f = s->p;
        while (s->p < s->end && *s->p >= '0' && *s->p <= '9') s->p++;
        if (s->p == f) return fail(s, "bad number");
        c->vtype = HU_PAT_FLOAT;
    } else if (overflow) {
        return fail(s, "integer out of range");
    }
    c->ival = *b == '-' ? -v : v;
    size_t n = (size_t)(s->p - b);
    char *t = store(s, n);
    if (!t) return fail(s, "pattern too long");
    memcpy(t, b, n);
    c->val = t;
    c->val_len = (uint32_t)n;
    return HU_OK;
}

static int value(struct ps *s, struct hu_pat_cmp *c)
{
    if (c->op != HU_PAT_IN)
        return scalar(s, c);
    if (!lit(s, '('))
        return fail(s, "IN needs a parenthesised list");
    do {
        if (scalar(s, c)) return s->rc;
    } while (lit(s, ','));
    if (!lit(s, ')'))
        return fail(s, "expected ')' closing the IN list");
    c->vtype = HU_PAT_OTHER;
    return HU_OK;
}

static int cmpexp(struct ps *s, uint16_t obs);

static int cmp(struct ps *s, uint16_t obs, int join_and)
{
    ws(s);
    if (lit(s, '(')) {
        if (++s->depth > MAX_PAREN_DEPTH) return fail(s, "parentheses nested too deeply");
        s->out->grouped = 1;
        if (cmpexp(s, obs)) return s->rc;
        s->depth--;
        if (!lit(s, ')')) return fail(s, "expected ')'");
        return HU_OK;
    }
    struct hu_pattern *o = s->out;
    if (o->n >= HU_MAX_STIX_COMPARISONS) {
        s->rc = HU_ETOOBIG;
        if (s->err && s->errcap) snprintf(s->err, s->errcap, "more than %u comparisons", HU_MAX_STIX_COMPARISONS);
        return s->rc;
    }
    struct hu_pat_cmp *c = &o->cmp[o->n];
    memset(c, 0, sizeof *c);
    c->obs = obs;
    c->join_and = (uint8_t)join_and;
    if (path(s, c) || op(s, c) || value(s, c))
        return s->rc;
    o->n++;
    return HU_OK;
}

static int cmpexp(struct ps *s, uint16_t obs)
{
    if (cmp(s, obs, 0)) return s->rc;
    for (;;) {
        ws(s);
        int a;
        if (kw(s, "AND")) a = 1;
        else if (kw(s, "OR")) a = 0;
        else return HU_OK;
        if (cmp(s, obs, a)) return s->rc;
    }
}

static int obs(struct ps *s)
{
    ws(s);
    if (lit(s, '(')) {
        if (++s->depth > MAX_PAREN_DEPTH) return fail(s, "parentheses nested too deeply");
        s->out->grouped = 1;
        if (obs(s)) return s->rc;
        for (;;) {
            ws(s);
            if (!(kw(s, "AND") || kw(s, "OR") || kw(s, "FOLLOWEDBY"))) break;
            if (obs(s)) return s->rc;
        }
        s->depth--;
        if (!lit(s, ')')) return fail(s, "expected ')'");
        return HU_OK;
    }
    if (!lit(s, '['))
        return fail(s, "expected '[' opening an observation expression");
    uint16_t k = s->out->n_obs++;
    if (cmpexp(s, k)) return s->rc;
    if (!lit(s, ']'))
        return fail(s, "expected ']' closing the observation expression");
    ws(s);
    if (kw(s, "WITHIN") || kw(s, "REPEATS") || kw(s, "START"))
        return fail(s, "qualifiers are not supported");
    return HU_OK;
}

int hu_pattern_parse(const char *p, size_t len, struct hu_pattern *out, char *err, size_t errcap)
{
    if (!p || !out)
        return HU_EINVAL;
    out->n = 0;
    out->n_obs = 0;
    out->grouped = 0;
    out->store_len = 0;
    if (len > HU_MAX_STIX_PATTERN) {
        if (err && errcap) snprintf(err, errcap, "pattern longer than %u bytes", HU_MAX_STIX_PATTERN);
        return HU_ETOOBIG;
    }
    struct ps s = { p, p + len, p, out, err, errcap, 0, HU_OK };
    if (obs(&s)) return s.rc;
    for (;;) {
        ws(&s);
        if (s.p >= s.end) break;
        if (!(kw(&s, "AND") || kw(&s, "OR") || kw(&s, "FOLLOWEDBY")))
            return fail(&s, "unexpected text after the pattern");
        if (obs(&s)) return s.rc;
    }
    return HU_OK;
}

size_t hu_pattern_quote(const char *s, size_t len, char *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\'' || s[i] == '\\') {
            if (n + 1 < cap) out[n] = '\\';
            n++;
        }
        if (n + 1 < cap) out[n] = s[i];
        n++;
    }
    if (cap) out[n < cap ? n : cap - 1] = '\0';
    return n;
}
