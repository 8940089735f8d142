/*
 * decide.c -- request facts in, HTTP answer out; see decide.h.
 *
 * JSON bodies are parsed with json-c (Debian libjson-c5, DEPENDENCIES.md
 * section 1: the pure-C choice, with string lengths and int64).  Decision
 * bodies are small (capped at HU_SERVE_MAX_SMALL_BODY before they get
 * here), so json-c's 143 MB/s is ~2 us for a typical 300-byte body.
 */
#include "serve/decide.h"

#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const source_names[] = {
#define HU__SRC_NAME(name, str) str,
    HU_SOURCE_MAP(HU__SRC_NAME)
#undef HU__SRC_NAME
};

const char *hu_decision_source_name(enum hu_decision_source s)
{
    return (unsigned)s < HU_SOURCE_COUNT ? source_names[s] : "unknown";
}

/* ---- request facts ----------------------------------------------------------- */

static int set_field(char *dst, size_t cap, const char *src, size_t len)
{
    if (len >= cap)
        return HU_ETOOBIG;
    memcpy(dst, src, len);
    dst[len] = 0;
    return HU_OK;
}

static int trim_span(const char **p, size_t *len)
{
    while (*len && (**p == ' ' || **p == '\t')) {
        (*p)++;
        (*len)--;
    }
    while (*len && ((*p)[*len - 1] == ' ' || (*p)[*len - 1] == '\t'))
        (*len)--;
    return *len > 0;
}

static int parse_bool_or_budget(const char *v)
{
    if (!v)
        return -1;
    if (!strcasecmp(v, "true") || !strcasecmp(v, "on") || !strcasecmp(v, "yes") ||
        !strcmp(v, "1"))
        return 1;
    if (!strcasecmp(v, "false") || !strcasecmp(v, "off") || !strcasecmp(v, "no") ||
        !strcmp(v, "0"))
        return 0;
    char *end = NULL;
    long long n = strtoll(v, &end, 10);
    if (end != v && *end == 0)
        return n > 0;
    return -1;
}

/* Set `dst` from the first present header of `names`. */
static int from_headers(char *dst, size_t cap, hu_header_fn get, void *ctx,
                        const char *const *names, int first_hop, const char **what)
{
    for (size_t i = 0; names[i]; i++) {
        const char *v = get(ctx, names[i]);
        if (!v)
            continue;
        size_t len = strlen(v);
        if (first_hop) {
            const char *comma = memchr(v, ',', len);
            if (comma)
                len = (size_t)(comma - v);
        }
        if (!trim_span(&v, &len))
            continue;
        if (set_field(dst, cap, v, len) != HU_OK) {
            *what = names[i];
            return HU_ETOOBIG;
        }
        return HU_OK;
    }
    return HU_OK;
}

int hu_decide_req_from_headers(struct hu_decide_req *r, hu_header_fn get, void *ctx,
                               const char **what)
{
    static const char *const h_account[] = { "X-Huella-Account", "X-Account-Id", NULL };
    static const char *const h_org[] = { "X-Huella-Org", "X-Org-Id", NULL };
    static const char *const h_key[] = { "X-Huella-Key", "X-Api-Key-Id", NULL };
    static const char *const h_ip[] = { "X-Huella-Ip", "X-Real-IP", "X-Forwarded-For", NULL };
    static const char *const h_fp[] = { "X-Huella-Client-Fp", "X-JA4",
                                        "CloudFront-Viewer-JA4-Fingerprint", NULL };
    static const char *const h_model[] = { "X-Huella-Model", NULL };
    const char *unasked;        /* where *what goes when the caller did not ask */
    if (!what)
        what = &unasked;
    *what = NULL;
    memset(r, 0, sizeof *r);
    r->thinking = -1;
    r->n_tools = -1;
    if (!get)
        return HU_OK;
    struct { char *dst; size_t cap; const char *const *names; int first_hop; } f[] = {
        { r->account_id, sizeof r->account_id, h_account, 0 },
        { r->org_id, sizeof r->org_id, h_org, 0 },
        { r->api_key_id, sizeof r->api_key_id, h_key, 0 },
        { r->ip, sizeof r->ip, h_ip, 1 },
        { r->client_fp, sizeof r->client_fp, h_fp, 0 },
        { r->model, sizeof r->model, h_model, 0 },
    };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        int rc = from_headers(f[i].dst, f[i].cap, get, ctx, f[i].names, f[i].first_hop, what);
        if (rc != HU_OK)
            return rc;
    }
    r->thinking = parse_bool_or_budget(get(ctx, "X-Huella-Thinking"));
    const char *tools = get(ctx, "X-Huella-Tools");
    if (tools) {
        /* a count, or a comma-separated list of names */
        char *end = NULL;
        long n = strtol(tools, &end, 10);
        if (end != tools && *end == 0 && n >= 0) {
            r->n_tools = n > 100000 ? 100000 : (int)n;
        } else {
            int k = 0;
            const char *p = tools;
            while (*p == ' ')
                p++;
            if (*p) {
                k = 1;
                for (; *p; p++)
                    k += *p == ',';
            }
            r->n_tools = k;
        }
    }
    return HU_OK;
}

static int json_str_field(struct json_object *o, const char *key, char *dst, size_t cap,
                          const char **what)
{
    struct json_object *v = NULL;
    if (!json_object_object_get_ex(o, key, &v) || !v)
        return HU_OK;   /* absent or null: keep the header's value */
    if (!json_object_is_type(v, json_type_string)) {
        *what = key;
        return HU_ETYPE;
    }
    size_t len = (size_t)json_object_get_string_len(v);
    if (len == 0)
        return HU_OK;
    if (set_field(dst, cap, json_object_get_string(v), len) != HU_OK) {
        *what = key;
        return HU_ETOOBIG;
    }
    return HU_OK;
}

int hu_decide_req_from_json(struct hu_decide_req *r, const char *body, size_t len,
                            const char **what)
{
    const char *unasked;        /* where *what goes when the caller did not ask */
    if (!what)
        what = &unasked;
    *what = NULL;
    if (!r || (!body && len))
        return HU_EINVAL;
    /* an empty body means "headers only" */
    size_t i = 0;
    while (i < len && (body[i] == ' ' || body[i] == '\n' || body[i] == '\r' || body[i] == '\t'))
        i++;
    if (i == len)
        return HU_OK;
    struct json_tokener *tok = json_tokener_new_ex((int)HU_MAX_JSON_DEPTH);
    if (!tok)
        return HU_ENOMEM;
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    struct json_object *o = json_tokener_parse_ex(tok, body, (int)len);
    int rc = HU_OK;
    if (!o || json_tokener_get_error(tok) != json_tokener_success ||
        json_tokener_get_parse_end(tok) != len) {
        /* trailing whitespace after the object is fine */
        size_t end = json_tokener_get_parse_end(tok);
        int trailing_ok = o && json_tokener_get_error(tok) == json_tokener_success;
        for (size_t k = end; trailing_ok && k < len; k++)
            if (body[k] != ' ' && body[k] != '\n' && body[k] != '\r' && body[k] != '\t')
                trailing_ok = 0;
        if (!trailing_ok) {
            *what = "body";
            rc = HU_EPARSE;
            goto out;
        }
    }
    if (!json_object_is_type(o, json_type_object)) {
        *what = "body";
        rc = HU_EPARSE;
        goto out;
    }
    struct { const char *key; char *dst; size_t cap; } f[] = {
        { "account_id", r->account_id, sizeof r->account_id },
        { "org_id", r->org_id, sizeof r->org_id },
        { "api_key_id", r->api_key_id, sizeof r->api_key_id },
        { "ip", r->ip, sizeof r->ip },
        { "client_fp", r->client_fp, sizeof r->client_fp },
        { "model", r->model, sizeof r->model },
    };
    for (size_t k = 0; k < sizeof f / sizeof f[0]; k++) {
        rc = json_str_field(o, f[k].key, f[k].dst, f[k].cap, what);
        if (rc != HU_OK)
            goto out;
    }
    struct json_object *v = NULL;
    if (json_object_object_get_ex(o, "thinking", &v) && v) {
        if (json_object_is_type(v, json_type_boolean))
            r->thinking = json_object_get_boolean(v) ? 1 : 0;
        else if (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double))
            r->thinking = json_object_get_double(v) > 0;
        else if (json_object_is_type(v, json_type_object))
            r->thinking = 1;   /* Anthropic's {"type":"enabled","budget_tokens":N} */
        else {
            *what = "thinking";
            rc = HU_ETYPE;
            goto out;
        }
    }
    v = NULL;
    if (json_object_object_get_ex(o, "tools", &v) && v) {
        if (json_object_is_type(v, json_type_array)) {
            size_t n = json_object_array_length(v);
            r->n_tools = n > 100000 ? 100000 : (int)n;
        } else if (json_object_is_type(v, json_type_int)) {
            int64_t n = json_object_get_int64(v);
            r->n_tools = n < 0 ? 0 : n > 100000 ? 100000 : (int)n;
        } else {
            *what = "tools";
            rc = HU_ETYPE;
            goto out;
        }
    }
out:
    if (o)
        json_object_put(o);
    json_tokener_free(tok);
    return rc;
}

/* ---- decision ids ------------------------------------------------------------- */

void hu_decision_id_format(char *out, size_t cap, int64_t now_ms, uint64_t counter)
{
    snprintf(out, cap, "d-%012llx-%06llx", (unsigned long long)now_ms & 0xffffffffffffULL,
             (unsigned long long)counter & 0xffffffULL);
}

/* ---- answers ------------------------------------------------------------------- */

const char *hu_answer_error_code(enum hu_action a)
{
    switch (a) {
    case HU_ACTION_THROTTLE: return "account_throttled";
    case HU_ACTION_VERIFY:   return "verification_required";
    case HU_ACTION_BLOCK:    return "account_blocked";
    default:                 return "none";
    }
}

static void add_header(struct hu_answer *a, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void add_header(struct hu_answer *a, const char *name, const char *fmt, ...)
{
    if (a->n_headers >= HU_ANSWER_MAX_HEADERS)
        return;
    va_list ap;
    va_start(ap, fmt);
    a->headers[a->n_headers].name = name;
    vsnprintf(a->headers[a->n_headers].value, sizeof a->headers[0].value, fmt, ap);
    va_end(ap);
    a->n_headers++;
}

static void set_body(struct hu_answer *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_body(struct hu_answer *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(a->body, sizeof a->body, fmt, ap);
    va_end(ap);
    a->body_len = n < 0 ? 0 : (size_t)n >= sizeof a->body ? sizeof a->body - 1 : (size_t)n;
}

/* Reason codes as a JSON array of strings: "a=1;b=2" -> ["a","b"].  Codes
 * are [a-z0-9_] (static strings of score/params.h), so no escaping. */
static void reasons_json(const char *reasons, char *out, size_t cap)
{
    size_t o = 0;
    out[o++] = '[';
    const char *p = reasons;
    int first = 1;
    while (*p && o + 4 < cap) {
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        size_t clen = eq ? (size_t)(eq - p) : len;
        if (clen && o + clen + 4 < cap) {
            if (!first)
                out[o++] = ',';
            out[o++] = '"';
            for (size_t i = 0; i < clen; i++) {
                char c = p[i];
                out[o++] = (c == '"' || c == '\\' || (unsigned char)c < 0x20) ? '_' : c;
            }
            out[o++] = '"';
            first = 0;
        }
        p += len;
        if (*p == ';')
            p++;
    }
    out[o++] = ']';
    out[o] = 0;
}

/* Reason codes for a header: "a,b,c". */
static void reasons_header(const char *reasons, char *out, size_t cap)
{
    size_t o = 0;
    const char *p = reasons;
    while (*p && o + 2 < cap) {
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        size_t clen = eq ? (size_t)(eq - p) : len;
        if (clen && o + clen + 2 < cap) {
            if (o)
                out[o++] = ',';
            memcpy(out + o, p, clen);
            o += clen;
        }
        p += len;
        if (*p == ';')
            p++;
    }
    out[o] = 0;
}

void hu_answer_decision(const struct hu_served_decision *d, enum hu_answer_mode mode,
                        int over_quota, struct hu_answer *out)
{
    memset(out, 0, sizeof *out);
    char rj[300], rh[260];
    reasons_json(d->reasons, rj, sizeof rj);
    reasons_header(d->reasons, rh, sizeof rh);
    enum hu_action act = d->action;
    int refuse = act == HU_ACTION_BLOCK || act == HU_ACTION_VERIFY ||
                 (act == HU_ACTION_THROTTLE && over_quota);
    int withhold = act == HU_ACTION_WITHHOLD;

    add_header(out, "X-Huella-Decision", "%s", hu_action_name(act));
    add_header(out, "X-Huella-Decision-Id", "%s", d->id);
    add_header(out, "X-Huella-Score", "%.3f", d->score);
    if (rh[0])
        add_header(out, "X-Huella-Reason", "%s", rh);
    if (d->campaign[0])
        add_header(out, "X-Huella-Campaign", "%s", d->campaign);
    if (withhold)
        add_header(out, "X-Huella-Withhold-Reasoning", "1");
    if (d->shadow && d->would != act)
        add_header(out, "X-Huella-Shadow", "%s", hu_action_name(d->would));
    if (act == HU_ACTION_THROTTLE) {
        /* draft-ietf-httpapi-ratelimit-headers: quoted policy name, q/w on
         * the policy, r/t on the state; Retry-After equals t and wins. */
        unsigned t = d->reset_s ? d->reset_s : 1;
        if (over_quota)
            add_header(out, "Retry-After", "%u", t);
        if (mode == HU_MODE_NATIVE) {
            add_header(out, "RateLimit-Policy", "\"huella-throttle\";q=%u;w=%u", d->quota,
                       d->window_s);
            add_header(out, "RateLimit", "\"huella-throttle\";r=%u;t=%u",
                       over_quota ? 0 : d->remaining, t);
        }
    }

    if (mode == HU_MODE_NGINX) {
        /* auth_request knows 2xx and 401/403 only: everything else is 500 */
        out->status = refuse ? 403 : 200;
        set_body(out, "{\"decision_id\":\"%s\",\"action\":\"%s\"}\n", d->id, hu_action_name(act));
        return;
    }
    if (!refuse) {
        out->status = 200;
        set_body(out,
                 "{\"decision_id\":\"%s\",\"action\":\"%s\",\"would\":\"%s\",\"score\":%.4f,"
                 "\"campaign\":%s%s%s,\"reasons\":%s,\"source\":\"%s\",\"withhold_reasoning\":%s,"
                 "\"shadow\":%s}\n",
                 d->id, hu_action_name(act), hu_action_name(d->would), d->score,
                 d->campaign[0] ? "\"" : "", d->campaign[0] ? d->campaign : "null",
                 d->campaign[0] ? "\"" : "", rj, hu_decision_source_name(d->source),
                 withhold ? "true" : "false", d->shadow ? "true" : "false");
        return;
    }
    const char *type, *msg;
    if (act == HU_ACTION_THROTTLE) {
        out->status = 429;
        type = "rate_limit_error";
        msg = "This account is temporarily rate limited. Retry after the time in Retry-After. "
              "To appeal, quote the decision id.";
    } else if (act == HU_ACTION_VERIFY) {
        out->status = 403;
        type = "permission_error";
        msg = "This account must complete verification before it can continue. "
              "To appeal, quote the decision id.";
    } else {
        out->status = 403;
        type = "permission_error";
        msg = "This account is suspended for violating the usage policies. "
              "To appeal, quote the decision id.";
    }
    set_body(out,
             "{\"error\":{\"type\":\"%s\",\"code\":\"%s\",\"message\":\"%s\","
             "\"decision_id\":\"%s\"}}\n",
             type, hu_answer_error_code(act), msg, d->id);
}

void hu_answer_internal_error(const char *code, struct hu_answer *out)
{
    memset(out, 0, sizeof *out);
    out->status = 503;
    add_header(out, "Retry-After", "1");
    set_body(out,
             "{\"error\":{\"type\":\"service_unavailable\",\"code\":\"%s\",\"message\":"
             "\"The decision service is unavailable; the gateway's fail-open or fail-closed "
             "setting applies.\"}}\n",
             code ? code : "internal_error");
}
