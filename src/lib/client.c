/*
 * client.c -- libhuella's decision client: POST /v1/decide of `huella
 * serve` from a gateway's C code (include/huella/huella.h, "the decision
 * client"; docs/featurize.md, "Asking for a decision").
 *
 * What a gateway needs from this is not HTTP but a guarantee: every call
 * ends, within its time budget, with an action to enforce.  So the call
 * cannot fail in the usual sense.  It either carries huella's decision
 * (HU_OK) or the configured fail action, with a status that names why
 * there was no decision:
 *
 *   what happened                          status        action
 *   200 / 403 / 429 with X-Huella-Decision HU_OK         huella's
 *   no answer within timeout_ms            HU_ETIMEDOUT  fail action
 *   refused, reset, 5xx (503 + Retry-After) HU_EUNAVAIL  fail action
 *   an answer without a decision (4xx,     HU_EPARSE     fail action
 *   a proxy's error page, a bad header)
 *
 * The decision is read from the answer's headers, not its body: the
 * service sets X-Huella-Decision, -Decision-Id, -Score, -Reason,
 * -Campaign, -Withhold-Reasoning, -Shadow and Retry-After on every answer
 * (allow, refusals and nginx mode alike), while refusal bodies are
 * OpenAI-style errors without the score (decide.c, hu_answer_decision).
 * The only body read is a 200's `"score":` (4 decimals against the
 * header's 3); the body is capped at HU_CLIENT_MAX_BODY and never
 * otherwise parsed.  A decision id or campaign longer than its field makes
 * the answer HU_EPARSE rather than truncated (a truncated decision id
 * would send an appeal to the wrong decision); the reason list, advisory,
 * is cut after its last whole code that fits.
 *
 * Threads.  A libcurl easy handle must not be used by two threads at
 * once, and a new handle per call would open a connection per call.  So
 * the client keeps a stack of idle handles (each with its own kept-alive
 * connection) under a mutex held only to pop or push a pointer.  A call
 * pops a handle, or makes one when the stack is empty, and pushes it back
 * afterwards, or closes it when max_idle are already idle.  Everything
 * else the handles share is immutable after create (the URL, the header
 * list with the token), so no lock is held during I/O and N threads make
 * N requests at once.
 *
 * libcurl's global init: curl_global_init() per client, and
 * curl_global_cleanup() per destroy.  libcurl reference-counts them and,
 * from 7.84 (CURL_VERSION_THREADSAFE), makes them thread-safe; huella.h
 * says what an older libcurl asks of the application.  No static state
 * here: two clients share nothing.
 *
 * Measured against `huella serve` on loopback (docs/featurize.md): one
 * thread, 40,000 decisions a second, p50 24 us, p99 45 us; four threads on
 * one client, 38,000 a second, p50 61 us (2 cores shared with the
 * service).  tests/unit/test_client.c and tests/cli/test_install.sh check
 * behaviour, not speed.
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "huella/huella.h"
#include "core/alloc.h"
#include "core/buf.h"

/* Field caps of a request: the service refuses ids over HU_MAX_ID_BYTES
 * (512) anyway; 1024 bounds the body at a few KB even when escaped. */
#define HU_CLIENT_MAX_FIELD 1024u
/* A decision answer is under 1 KB (decide.c, struct hu_answer body[1024]);
 * more is not huella: read no further. */
#define HU_CLIENT_MAX_BODY 4096u
#define HU_CLIENT_MAX_TOKEN 4096u
#define HU_CLIENT_MAX_URL 2048u
#define HU_CLIENT_DEFAULT_TIMEOUT_MS 250u
#define HU_CLIENT_MAX_TIMEOUT_MS 60000u
#define HU_CLIENT_DEFAULT_IDLE 16u

#ifndef HU_VERSION
#define HU_VERSION "0.0.0"
#endif

struct hu_client {
    char url[HU_CLIENT_MAX_URL + 32];   /* base_url + "/v1/decide?mode=native" */
    unsigned timeout_ms;
    int fail_action;
    struct curl_slist *headers;         /* immutable after create; shared by handles */
    pthread_mutex_t mu;                 /* guards idle / n_idle only */
    CURL **idle;                        /* stack of max_idle handles */
    unsigned n_idle, max_idle;
};

static const char *const action_names[] = {
    "allow", "monitor", "throttle", "verify", "withhold_reasoning", "block",
};
#define N_ACTIONS (sizeof action_names / sizeof action_names[0])

const char *hu_decision_action_name(int action)
{
    if (action < 0 || (unsigned)action >= N_ACTIONS)
        return "unknown";
    return action_names[action];
}

static int action_parse(const char *s, size_t len)
{
    for (unsigned i = 0; i < N_ACTIONS; i++)
        if (strlen(action_names[i]) == len && !memcmp(action_names[i], s, len))
            return (int)i;
    return -1;
}

/* ---- the decision, written up to the caller's struct_size -------------------------- */

/* Fields are copied one by one into a local whole struct, then the prefix
 * the caller has room for is copied out: a caller built against an older,
 * shorter struct gets no byte past its end. */
static void decision_publish(struct hu_client_decision *out, const struct hu_client_decision *d)
{
    size_t n = out->struct_size < sizeof *d ? out->struct_size : sizeof *d;
    size_t keep = out->struct_size;
    memcpy(out, d, n);
    out->struct_size = keep;
}

static void decision_fail(struct hu_client_decision *d, int fail_action, int http_status)
{
    size_t keep = d->struct_size;
    memset(d, 0, sizeof *d);
    d->struct_size = keep;
    d->action = fail_action;
    d->would = fail_action;
    d->http_status = http_status;
}

/* ---- creating ---------------------------------------------------------------------- */

static void errf(char *errbuf, size_t errcap, const char *msg)
{
    if (errbuf && errcap)
        snprintf(errbuf, errcap, "%s", msg);
}

/* The first line of `path`, trimmed, into tok (cap HU_CLIENT_MAX_TOKEN+1). */
static int read_token(const char *path, char *tok, size_t cap, char *errbuf, size_t errcap)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        if (errbuf && errcap)
            snprintf(errbuf, errcap, "%s: %s", path, strerror(errno));
        return errno == ENOENT ? HU_ENOENT : HU_EIO;
    }
    size_t n = fread(tok, 1, cap - 1, f);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        errf(errbuf, errcap, "token file: read error");
        return HU_EIO;
    }
    tok[n] = 0;
    char *nl = strpbrk(tok, "\r\n");
    if (nl)
        *nl = 0;
    else if (n == cap - 1) {
        errf(errbuf, errcap, "token file: the token is longer than 4096 characters");
        return HU_EPARSE;
    }
    size_t len = strlen(tok);
    while (len && (tok[len - 1] == ' ' || tok[len - 1] == '\t'))
        tok[--len] = 0;
    size_t lead = strspn(tok, " \t");
    memmove(tok, tok + lead, len - lead + 1);
    len -= lead;
    if (len == 0) {
        errf(errbuf, errcap, "token file: no token on the first line");
        return HU_EPARSE;
    }
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)tok[i] <= 0x20 || (unsigned char)tok[i] >= 0x7f) {
            errf(errbuf, errcap, "token file: a token is visible ASCII without spaces");
            return HU_EPARSE;
        }
    return HU_OK;
}

int hu_client_create(const struct hu_client_config *cfg, struct hu_client **out, char *errbuf,
                     size_t errcap)
{
    struct hu_client_config o = HU_CLIENT_CONFIG_INIT;
    struct hu_client *c = NULL;
    char *tok = NULL;
    int rc = HU_EINVAL;

    if (errbuf && errcap)
        errbuf[0] = 0;
    if (out == NULL)
        return HU_EINVAL;
    *out = NULL;
    if (cfg == NULL || cfg->struct_size < offsetof(struct hu_client_config, fail_action) + sizeof(int)) {
        errf(errbuf, errcap, "config missing or struct_size too small");
        return HU_EINVAL;
    }
    memcpy(&o, cfg, cfg->struct_size < sizeof o ? cfg->struct_size : sizeof o);
    if (o.base_url == NULL || (strncmp(o.base_url, "http://", 7) && strncmp(o.base_url, "https://", 8))) {
        errf(errbuf, errcap, "base_url must start with http:// or https://");
        return HU_EINVAL;
    }
    size_t ulen = strlen(o.base_url);
    while (ulen && o.base_url[ulen - 1] == '/')
        ulen--;
    if (ulen > HU_CLIENT_MAX_URL || strpbrk(o.base_url, " \t\r\n?#")) {
        errf(errbuf, errcap, "base_url: too long, or holds a space, '?' or '#'");
        return HU_EINVAL;
    }
    if (o.timeout_ms > HU_CLIENT_MAX_TIMEOUT_MS) {
        errf(errbuf, errcap, "timeout_ms: at most 60000");
        return HU_EINVAL;
    }
    if (o.fail_action < 0 || (unsigned)o.fail_action >= N_ACTIONS) {
        errf(errbuf, errcap, "fail_action: not an action of enum hu_decision_action");
        return HU_EINVAL;
    }

    /* libcurl's reference-counted global init; undone by destroy */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        errf(errbuf, errcap, "libcurl failed to initialise");
        return HU_EINTERNAL;
    }
    c = hu_calloc(1, sizeof *c);
    if (c == NULL) {
        curl_global_cleanup();
        return HU_ENOMEM;
    }
    if (pthread_mutex_init(&c->mu, NULL) != 0) {
        hu_free(c);
        curl_global_cleanup();
        return HU_EINTERNAL;
    }
    snprintf(c->url, sizeof c->url, "%.*s/v1/decide?mode=native", (int)ulen, o.base_url);
    c->timeout_ms = o.timeout_ms ? o.timeout_ms : HU_CLIENT_DEFAULT_TIMEOUT_MS;
    c->fail_action = o.fail_action;
    c->max_idle = o.max_idle ? o.max_idle : HU_CLIENT_DEFAULT_IDLE;
    if (c->max_idle > 1024)
        c->max_idle = 1024;
    c->idle = hu_calloc(c->max_idle, sizeof *c->idle);
    if (c->idle == NULL) {
        rc = HU_ENOMEM;
        goto fail;
    }

    /* "Expect:" off: no 100-continue round trip (bodies are small anyway) */
    const char *fixed[] = { "Content-Type: application/json", "Accept: application/json", "Expect:" };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        struct curl_slist *h = curl_slist_append(c->headers, fixed[i]);
        if (h == NULL) {
            rc = HU_ENOMEM;
            goto fail;
        }
        c->headers = h;
    }
    if (o.token_file) {
        size_t cap = HU_CLIENT_MAX_TOKEN + 32;
        tok = hu_malloc(cap);
        if (tok == NULL) {
            rc = HU_ENOMEM;
            goto fail;
        }
        memcpy(tok, "Authorization: Bearer ", 22);
        rc = read_token(o.token_file, tok + 22, HU_CLIENT_MAX_TOKEN + 1, errbuf, errcap);
        if (rc != HU_OK)
            goto fail;
        struct curl_slist *h = curl_slist_append(c->headers, tok);
        if (h == NULL) {
            rc = HU_ENOMEM;
            goto fail;
        }
        c->headers = h;
        memset(tok, 0, cap);
        hu_free(tok);
        tok = NULL;
    }
    *out = c;
    return HU_OK;
fail:
    if (tok) {
        memset(tok, 0, HU_CLIENT_MAX_TOKEN + 32);
        hu_free(tok);
    }
    hu_client_destroy(c);
    return rc;
}

void hu_client_destroy(struct hu_client *c)
{
    if (c == NULL)
        return;
    for (unsigned i = 0; i < c->n_idle; i++)
        curl_easy_cleanup(c->idle[i]);
    hu_free(c->idle);
    /* the token is in the list: curl_slist_free_all frees without zeroing,
     * so wipe each string first */
    for (struct curl_slist *h = c->headers; h; h = h->next)
        if (h->data)
            memset(h->data, 0, strlen(h->data));
    curl_slist_free_all(c->headers);
    pthread_mutex_destroy(&c->mu);
    hu_free(c);
    curl_global_cleanup();
}

/* ---- the pool ---------------------------------------------------------------------- */

static CURL *handle_take(struct hu_client *c)
{
    CURL *h = NULL;
    pthread_mutex_lock(&c->mu);
    if (c->n_idle)
        h = c->idle[--c->n_idle];
    pthread_mutex_unlock(&c->mu);
    if (h)
        return h;
    h = curl_easy_init();
    if (h == NULL)
        return NULL;
    /* everything that never changes between calls */
    if (curl_easy_setopt(h, CURLOPT_URL, c->url) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->headers) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)c->timeout_ms) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)c->timeout_ms) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_USERAGENT, "libhuella/" HU_VERSION) != CURLE_OK) {
        curl_easy_cleanup(h);
        return NULL;
    }
    return h;
}

static void handle_give(struct hu_client *c, CURL *h)
{
    pthread_mutex_lock(&c->mu);
    if (c->n_idle < c->max_idle) {
        c->idle[c->n_idle++] = h;
        h = NULL;
    }
    pthread_mutex_unlock(&c->mu);
    if (h)
        curl_easy_cleanup(h);
}

/* ---- the request body -------------------------------------------------------------- */

/* RFC 3629 well-formedness: no overlongs, no surrogates, at most U+10FFFF. */
static int utf8_valid(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char b = s[i];
        size_t n;
        unsigned cp;
        if (b < 0x80) {
            i++;
            continue;
        } else if (b >= 0xc2 && b <= 0xdf) {
            n = 1;
            cp = b & 0x1f;
        } else if (b >= 0xe0 && b <= 0xef) {
            n = 2;
            cp = b & 0x0f;
        } else if (b >= 0xf0 && b <= 0xf4) {
            n = 3;
            cp = b & 0x07;
        } else {
            return 0;
        }
        if (len - i <= n)
            return 0;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += n + 1;
    }
    return 1;
}

static int add_field(struct hu_buf *b, const char *name, const char *v, int *first)
{
    if (v == NULL)
        return HU_OK;
    size_t len = strlen(v);
    if (len > HU_CLIENT_MAX_FIELD)
        return HU_ETOOBIG;
    if (!utf8_valid((const unsigned char *)v, len))
        return HU_EUTF8;
    int rc = hu_buf_printf(b, "%s\"%s\":\"", *first ? "" : ",", name);
    if (rc == HU_OK)
        rc = hu_buf_add_json_str(b, v, len);
    if (rc == HU_OK)
        rc = hu_buf_addc(b, '"');
    *first = 0;
    return rc;
}

static int build_body(struct hu_buf *b, const struct hu_decide_request *rq)
{
    int first = 1;
    int rc = hu_buf_addc(b, '{');
    if (rc == HU_OK)
        rc = add_field(b, "account_id", rq->account_id, &first);
    if (rc == HU_OK)
        rc = add_field(b, "org_id", rq->org_id, &first);
    if (rc == HU_OK)
        rc = add_field(b, "api_key_id", rq->api_key_id, &first);
    if (rc == HU_OK)
        rc = add_field(b, "ip", rq->ip, &first);
    if (rc == HU_OK)
        rc = add_field(b, "client_fp", rq->client_fp, &first);
    if (rc == HU_OK)
        rc = add_field(b, "model", rq->model, &first);
    if (rc == HU_OK && rq->thinking >= 0)
        rc = hu_buf_printf(b, ",\"thinking\":%s", rq->thinking ? "true" : "false");
    if (rc == HU_OK && rq->n_tools >= 0)
        rc = hu_buf_printf(b, ",\"tools\":%d", rq->n_tools);
    if (rc == HU_OK)
        rc = hu_buf_addc(b, '}');
    return rc;
}

/* ---- the answer -------------------------------------------------------------------- */

struct answer {
    struct hu_client_decision d;  /* whole, filled from the headers */
    int has_action, has_id, has_would;
    int bad;                      /* a header did not fit or parse */
    char body[HU_CLIENT_MAX_BODY + 1];
    size_t body_len;
};

static int copy_value(char *dst, size_t cap, const char *v, size_t len)
{
    if (len >= cap)
        return -1;
    memcpy(dst, v, len);
    dst[len] = 0;
    return 0;
}

/* Whole unsigned decimal of at most 9 digits; -1 otherwise. */
static long parse_uint(const char *v, size_t len)
{
    if (len == 0 || len > 9)
        return -1;
    long x = 0;
    for (size_t i = 0; i < len; i++) {
        if (v[i] < '0' || v[i] > '9')
            return -1;
        x = x * 10 + (v[i] - '0');
    }
    return x;
}

/* A score as the service writes it: "0.123" (0..1).  -1 otherwise. */
static double parse_score(const char *v, size_t len)
{
    char tmp[32];
    if (len == 0 || len >= sizeof tmp)
        return -1;
    for (size_t i = 0; i < len; i++)
        if (!(isdigit((unsigned char)v[i]) || v[i] == '.'))
            return -1;
    memcpy(tmp, v, len);
    tmp[len] = 0;
    char *end;
    double x = strtod(tmp, &end);
    if (*end || !(x >= 0.0 && x <= 1.0))
        return -1;
    return x;
}

static size_t on_header(char *p, size_t size, size_t n, void *ctx)
{
    struct answer *a = ctx;
    size_t len = size * n;
    if (len >= 5 && !memcmp(p, "HTTP/", 5)) {
        /* a new status line (after a 100 Continue, say): start over */
        size_t keep = a->d.struct_size;
        memset(&a->d, 0, sizeof a->d);
        a->d.struct_size = keep;
        a->has_action = a->has_id = a->has_would = a->bad = 0;
        return len;
    }
    const char *colon = memchr(p, ':', len);
    if (colon == NULL)
        return len;
    size_t nlen = (size_t)(colon - p);
    const char *v = colon + 1;
    size_t vlen = len - nlen - 1;
    while (vlen && (*v == ' ' || *v == '\t'))
        v++, vlen--;
    while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
        vlen--;
#define IS(name) (nlen == sizeof(name) - 1 && !strncasecmp(p, name, nlen))
    if (IS("X-Huella-Decision")) {
        int act = action_parse(v, vlen);
        if (act < 0)
            a->bad = 1;
        else {
            a->d.action = act;
            a->has_action = 1;
        }
    } else if (IS("X-Huella-Decision-Id")) {
        if (copy_value(a->d.decision_id, sizeof a->d.decision_id, v, vlen))
            a->bad = 1;
        else
            a->has_id = 1;
    } else if (IS("X-Huella-Score")) {
        double s = parse_score(v, vlen);
        if (s < 0)
            a->bad = 1;
        else
            a->d.score = s;
    } else if (IS("X-Huella-Reason")) {
        /* advisory, strongest first: cut at a code boundary rather than
         * lose the decision (the service's list can reach 259 bytes) */
        size_t cap = sizeof a->d.reasons - 1;
        if (vlen > cap) {
            vlen = cap;
            while (vlen && v[vlen] != ',')
                vlen--;
        }
        (void)copy_value(a->d.reasons, sizeof a->d.reasons, v, vlen);
    } else if (IS("X-Huella-Campaign")) {
        if (copy_value(a->d.campaign, sizeof a->d.campaign, v, vlen))
            a->bad = 1;
    } else if (IS("X-Huella-Withhold-Reasoning")) {
        a->d.withhold_reasoning = vlen == 1 && v[0] == '1';
    } else if (IS("X-Huella-Shadow")) {
        int would = action_parse(v, vlen);
        if (would < 0)
            a->bad = 1;
        else {
            a->d.would = would;
            a->has_would = 1;
        }
    } else if (IS("Retry-After")) {
        long s = parse_uint(v, vlen);
        a->d.retry_after_s = s < 0 ? 0 : (unsigned)s;   /* an HTTP date: ignored */
    }
#undef IS
    return len;
}

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
    struct answer *a = ctx;
    size_t len = size * n;
    size_t room = HU_CLIENT_MAX_BODY - a->body_len;
    if (len > room)
        return 0;   /* not a decision: abort the transfer (CURLE_WRITE_ERROR) */
    memcpy(a->body + a->body_len, p, len);
    a->body_len += len;
    a->body[a->body_len] = 0;
    return len;
}

/* The body's "score":N of a native 200 (4 decimals), if present. */
static void score_from_body(struct answer *a)
{
    const char *p = strstr(a->body, "\"score\":");
    if (p == NULL)
        return;
    p += 8;
    size_t len = strspn(p, "0123456789.");
    double s = parse_score(p, len);
    if (s >= 0)
        a->d.score = s;
}

/* ---- deciding ---------------------------------------------------------------------- */

int hu_client_decide(struct hu_client *c, const struct hu_decide_request *req,
                     struct hu_client_decision *out)
{
    if (out == NULL || out->struct_size < offsetof(struct hu_client_decision, score))
        return HU_EINVAL;
    struct hu_client_decision d;
    d.struct_size = out->struct_size;
    decision_fail(&d, c ? c->fail_action : HU_DECISION_ALLOW, 0);
    decision_publish(out, &d);
    if (c == NULL || req == NULL ||
        req->struct_size < offsetof(struct hu_decide_request, n_tools) + sizeof(int) ||
        req->account_id == NULL || req->account_id[0] == 0)
        return HU_EINVAL;

    struct hu_buf body;
    hu_buf_init(&body, 64 * 1024);   /* 6 fields of 1024 bytes, escaped: < 40 KB */
    int rc = build_body(&body, req);
    if (rc != HU_OK) {
        hu_buf_fini(&body);
        return rc;
    }
    struct answer *a = hu_calloc(1, sizeof *a);
    CURL *h = a ? handle_take(c) : NULL;
    if (h == NULL) {
        hu_free(a);
        hu_buf_fini(&body);
        return HU_ENOMEM;
    }
    a->d.struct_size = out->struct_size;
    CURLcode cc = CURLE_OK;
    if (curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.ptr) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)body.len) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_HEADERDATA, a) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_WRITEDATA, a) != CURLE_OK)
        cc = CURLE_FAILED_INIT;
    else
        cc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    /* no pointer into this call's memory may stay in a pooled handle */
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, NULL);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, NULL);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, NULL);
    if (cc == CURLE_OK)
        handle_give(c, h);
    else
        curl_easy_cleanup(h);   /* a timed-out connection may be mid-answer */
    hu_buf_fini(&body);

    unsigned retry = a->d.retry_after_s;
    if (cc == CURLE_OPERATION_TIMEDOUT) {
        rc = HU_ETIMEDOUT;
    } else if (cc == CURLE_FAILED_INIT || cc == CURLE_OUT_OF_MEMORY) {
        rc = cc == CURLE_OUT_OF_MEMORY ? HU_ENOMEM : HU_EINTERNAL;
    } else if (cc == CURLE_WRITE_ERROR || cc == CURLE_WEIRD_SERVER_REPLY ||
               cc == CURLE_UNSUPPORTED_PROTOCOL || cc == CURLE_URL_MALFORMAT) {
        rc = HU_EPARSE;       /* an answer, or a URL, that is not huella's */
    } else if (cc != CURLE_OK) {
        rc = HU_EUNAVAIL;     /* refused, reset, no route, DNS, TLS */
    } else if (status >= 500) {
        rc = HU_EUNAVAIL;     /* up, but cannot decide (storage, replay) */
    } else if ((status == 200 || status == 403 || status == 429) && a->has_action && a->has_id &&
               !a->bad) {
        rc = HU_OK;
    } else {
        rc = HU_EPARSE;       /* 4xx without a decision, a proxy's page */
    }

    if (rc == HU_OK) {
        if (!a->has_would)
            a->d.would = a->d.action;
        a->d.served = 1;
        a->d.http_status = (int)status;
        if (status == 200)
            score_from_body(a);
        decision_publish(out, &a->d);
    } else {
        decision_fail(&d, c->fail_action, (int)status);
        if (rc == HU_EUNAVAIL)
            d.retry_after_s = retry;
        decision_publish(out, &d);
    }
    hu_free(a);
    return rc;
}
