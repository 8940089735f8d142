/*
 * server.c -- libmicrohttpd glue: routing, body limits, admin tokens,
 * metrics.  Every answer is built by decide.c or engine.c; this file only
 * moves bytes.
 *
 * The access handler follows libmicrohttpd's canonical pattern: the first
 * call for a request only allocates its context and returns MHD_YES; body
 * bytes arrive in the following calls; the answer is queued on the call
 * with no more upload data.  Answering on the first call makes
 * libmicrohttpd 0.9.75 close the connection (DEPENDENCIES.md section 5:
 * 4.5x fewer requests per second), so only refusals that must not read a
 * body (413 on a declared oversized Content-Length) answer early.
 *
 * Hostile clients.  libmicrohttpd gives an idle timeout (reset by every
 * byte), a per-connection memory pool (headers beyond HU_SERVE_CONN_MEMORY
 * are refused) and a hard connection limit that just stops accepting.
 * That leaves four holes, closed here:
 *
 *   - slowloris: a client sending one byte per idle period is never idle.
 *     Every connection carries a deadline (--request-timeout from its
 *     opening or from its previous answer); a watchdog thread walks the
 *     open connections five times a second and shuts down the socket of
 *     any that is still receiving past its deadline.  libmicrohttpd then
 *     reads EOF and closes it in its own thread.  The watchdog only calls
 *     shutdown(2), never close(2), and it does so under the connection
 *     table's mutex, which the CLOSED notification also takes before
 *     libmicrohttpd closes the descriptor: a reused descriptor cannot be
 *     hit.  A per-connection state word (receiving -> body -> handling,
 *     or -> killed by the watchdog) is moved by compare-and-swap so a
 *     request being answered is never cut, and a cut one is never answered.
 *   - silent queueing at the connection limit: our cap (--max-connections)
 *     and per-address cap (--max-conns-per-ip) sit below libmicrohttpd's
 *     limit by HU_SERVE_CONN_RESERVE.  A connection over either cap is
 *     still accepted, answered 503 with Retry-After and closed, within
 *     HU_SERVE_SHED_GRACE_MS; /healthz and /metrics are answered even
 *     there so the on-call engineer can see the overload.
 *   - a burst of event uploads: at most HU_SERVE_MAX_EVENTS_INFLIGHT
 *     POST /v1/events between headers and answer; more get 503 before
 *     their body is read.  Body bytes held by all connections are capped
 *     too (HU_SERVE_MAX_INFLIGHT_BODY -> 503).
 *   - oversized bodies: a declared Content-Length over the route's cap is
 *     answered 413 before any body byte is read; an undeclared (chunked)
 *     body is cut as soon as it passes the cap (libmicrohttpd 0.9.75
 *     cannot queue an answer in the middle of an upload).
 *
 * Two parsing gaps of libmicrohttpd 0.9.75 are closed as well: framing a
 * smuggler plays with (two Content-Length values, Content-Length with
 * Transfer-Encoding: 400; a coding other than chunked: 501), and "%00" in
 * a path, which its unescaper turned into a NUL that cut the path into a
 * known route (now left undecoded: 404).
 *
 * Cost on the decision path: two compare-and-swaps, one coarse clock read
 * and one pass over the request headers per request; the table mutex is
 * taken only when a connection opens or closes.
 */
#include "serve/server.h"
#include "serve/backend.h"
#include "core/alloc.h"
#include "core/hash.h"
#include "core/log.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ROUTE_MAP(X)                                   \
    X(NOT_FOUND, "not_found") X(HEALTHZ, "healthz")    \
    X(METRICS, "metrics") X(EVENTS, "events")          \
    X(DECIDE, "decide") X(CHECK, "check")              \
    X(SIGNUP, "signup") X(ACCOUNT, "account")          \
    X(ACCOUNT_ADMIN, "account_admin")                  \
    X(CAMPAIGNS, "campaigns") X(CAMPAIGN, "campaign")  \
    X(ALLOWLIST, "allowlist") X(OVERRIDES, "overrides") \
    X(AUDIT, "audit") X(RELOAD, "policy_reload")       \
    X(DECISION, "decision")

enum route {
#define R_ENUM(name, str) R_##name,
    ROUTE_MAP(R_ENUM)
#undef R_ENUM
    R_COUNT
};
static const char *const route_names[] = {
#define R_NAME(name, str) str,
    ROUTE_MAP(R_NAME)
#undef R_NAME
};

/* status codes counted per route (anything else is "other") */
static const unsigned codes[] = { 200, 202, 400, 401, 403, 404, 405, 413, 429, 500, 501, 503 };
#define N_CODES (sizeof codes / sizeof codes[0])

/* decide latency buckets, seconds (ECOSYSTEM.md 4.1: 0.0005 ... 0.2) */
static const double lat_le[] = { 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                 0.01, 0.025, 0.05, 0.1, 0.2 };
#define N_LAT (sizeof lat_le / sizeof lat_le[0])

struct token {
    char name[64];
    char tok[256];
};

/* ---- connection guard: types ---------------------------------------------------------- */

/* Why a connection or request was refused with 503 (huella_http_shed_total). */
#define SHED_MAP(X)                                                          \
    X(MAX_CONN, "max_connections") X(PER_IP, "per_ip")                       \
    X(EVENTS, "events_inflight") X(BODY_BYTES, "body_bytes")
enum shed {
#define S_ENUM(name, str) SHED_##name,
    SHED_MAP(S_ENUM)
#undef S_ENUM
    SHED_COUNT,
    SHED_NONE = -1
};
static const char *const shed_names[] = {
#define S_NAME(name, str) str,
    SHED_MAP(S_NAME)
#undef S_NAME
};

/* Why a connection was closed for slowness (huella_http_timeouts_total):
 * the watchdog's deadline before the headers were complete or during the
 * body, or libmicrohttpd's idle timeout in the middle of a request. */
enum timeout_kind { TO_HEADERS, TO_BODY, TO_IDLE, TO_COUNT };
static const char *const timeout_names[] = { "headers", "body", "idle" };

/* Connection states; moved by compare-and-swap only (see the essay). */
enum conn_state { CS_RECEIVING, CS_BODY, CS_HANDLING, CS_KILLED };

/* Open connections per client address, chained in s->ip_tab. */
struct ip_slot {
    struct ip_slot *next;
    uint32_t n;                 /* admitted connections open from this address */
    uint8_t len;                /* 4 (IPv4) or 8 (IPv6 /64); 0: address unknown */
    unsigned char addr[16];
};

/* One per open connection (libmicrohttpd's socket context).  Linked in
 * s->conns under s->guard_mu from STARTED to CLOSED; `fd` stays open for
 * all that time. */
struct conn {
    struct conn *prev, *next;
    struct ip_slot *ip;         /* NULL: not admitted (shed) */
    int fd;
    int shed;                   /* enum shed, or SHED_NONE */
    atomic_int state;           /* enum conn_state */
    atomic_int_fast64_t deadline_ms;   /* CLOCK_MONOTONIC ms; checked in RECEIVING/BODY */
};

#define IP_BUCKETS 4096u

struct hu_server {
    struct hu_engine *e;
    struct hu_server_opts o;
    struct MHD_Daemon *d;
    int fd;
    unsigned port;
    struct token *tokens;
    size_t n_tokens;
    int admin_on;
    atomic_size_t inflight;
    atomic_uint_fast64_t http[R_COUNT][N_CODES + 1];
    atomic_uint_fast64_t decisions[HU_ACTION_COUNT][2];    /* [action][shadow] */
    atomic_uint_fast64_t sources[HU_SOURCE_COUNT];
    atomic_uint_fast64_t lat[N_LAT + 1];
    atomic_uint_fast64_t lat_sum_ns, lat_count;
    atomic_uint_fast64_t too_big, internal_errors, bad_requests;
    atomic_int_fast64_t log_sec;
    atomic_uint_fast64_t log_used, log_dropped_window, log_dropped;
    int64_t started_ms;
    /* connection guard */
    pthread_mutex_t guard_mu;   /* conns, ip_tab, n_admitted, guard_stop */
    pthread_cond_t guard_cv;
    pthread_t guard_thread;
    int guard_init, guard_started, guard_stop;
    struct conn *conns;
    struct ip_slot **ip_tab;    /* IP_BUCKETS chains */
    uint64_t ip_seed;
    size_t n_admitted;
    unsigned max_conn, max_per_ip;   /* max_per_ip 0: no cap */
    int64_t req_timeout_ms;
    atomic_size_t conns_open, events_inflight;
    atomic_uint_fast64_t shed[SHED_COUNT], timeouts[TO_COUNT];
};

struct req {
    enum route route;
    struct conn *conn;          /* the connection's guard entry; NULL if untracked */
    int events_counted;         /* holds one of s->events_inflight */
    char *tail;                 /* path after the route prefix (account id, campaign id) */
    struct hu_buf body;
    size_t reserved;            /* bytes counted in s->inflight */
    int too_big;
    int busy;                   /* in-flight body budget exhausted */
    int answered;               /* refused on the first call already */
    struct timespec t0;
};

/* ---- answers --------------------------------------------------------------------- */

static enum MHD_Result send_answer(struct hu_server *s, struct MHD_Connection *c, enum route r,
                                   unsigned status, const char *ctype, const char *body,
                                   size_t len, const struct hu_answer *hdrs)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", ctype ? ctype : "application/json");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    for (size_t i = 0; hdrs && i < hdrs->n_headers; i++)
        MHD_add_response_header(resp, hdrs->headers[i].name, hdrs->headers[i].value);
    enum MHD_Result ok = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    size_t k = N_CODES;
    for (size_t i = 0; i < N_CODES; i++)
        if (codes[i] == status)
            k = i;
    atomic_fetch_add_explicit(&s->http[r][k], 1, memory_order_relaxed);
    return ok;
}

static enum MHD_Result send_error(struct hu_server *s, struct MHD_Connection *c, enum route r,
                                  unsigned status, const char *type, const char *code,
                                  const char *msg)
{
    char body[512];
    int n = snprintf(body, sizeof body,
                     "{\"error\":{\"type\":\"%s\",\"code\":\"%s\",\"message\":\"%s\"}}\n", type,
                     code, msg);
    if (n < 0 || (size_t)n >= sizeof body)
        n = (int)strlen(body);
    struct hu_answer h;
    memset(&h, 0, sizeof h);
    if (status == 503) {
        h.headers[0].name = "Retry-After";
        snprintf(h.headers[0].value, sizeof h.headers[0].value, "1");
        h.n_headers = 1;
    }
    if (status == 401) {
        h.headers[0].name = "WWW-Authenticate";
        snprintf(h.headers[0].value, sizeof h.headers[0].value, "Bearer realm=\"huella\"");
        h.n_headers = 1;
    }
    return send_answer(s, c, r, status, NULL, body, (size_t)n, &h);
}

static enum MHD_Result send_buf(struct hu_server *s, struct MHD_Connection *c, enum route r,
                                unsigned status, struct hu_buf *b)
{
    return send_answer(s, c, r, status, NULL, b->ptr ? b->ptr : "", b->len, NULL);
}

static enum MHD_Result send_internal(struct hu_server *s, struct MHD_Connection *c, enum route r,
                                     const char *code)
{
    struct hu_answer a;
    hu_answer_internal_error(code, &a);
    atomic_fetch_add(&s->internal_errors, 1);
    return send_answer(s, c, r, a.status, NULL, a.body, a.body_len, &a);
}

/* ---- connection guard ------------------------------------------------------------------ */

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The client address as a key for the per-address cap: the 4 bytes of an
 * IPv4 (or IPv4-mapped) address, the first 8 bytes of an IPv6 one -- one
 * host usually holds a whole /64, so capping per /128 would cap nothing. */
static uint8_t addr_key(const struct sockaddr *sa, unsigned char out[16])
{
    if (!sa)
        return 0;
    if (sa->sa_family == AF_INET) {
        memcpy(out, &((const struct sockaddr_in *)sa)->sin_addr, 4);
        return 4;
    }
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a)) {
            memcpy(out, a->s6_addr + 12, 4);
            return 4;
        }
        memcpy(out, a->s6_addr, 8);
        return 8;
    }
    return 0;
}

/* The slot of an address, created when `create`; NULL if absent or out of
 * memory.  Caller holds guard_mu.  O(chain). */
static struct ip_slot *ip_find(struct hu_server *s, const unsigned char *key, uint8_t len, int create)
{
    size_t b = (size_t)(hu_hash_seeded(key, len, s->ip_seed) & (IP_BUCKETS - 1));
    for (struct ip_slot *p = s->ip_tab[b]; p; p = p->next)
        if (p->len == len && !memcmp(p->addr, key, len))
            return p;
    if (!create)
        return NULL;
    struct ip_slot *p = hu_calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->len = len;
    memcpy(p->addr, key, len);
    p->next = s->ip_tab[b];
    s->ip_tab[b] = p;
    return p;
}

static void ip_release(struct hu_server *s, struct ip_slot *slot)
{
    if (--slot->n)
        return;
    size_t b = (size_t)(hu_hash_seeded(slot->addr, slot->len, s->ip_seed) & (IP_BUCKETS - 1));
    for (struct ip_slot **pp = &s->ip_tab[b]; *pp; pp = &(*pp)->next)
        if (*pp == slot) {
            *pp = slot->next;
            break;
        }
    hu_free(slot);
}

/* MHD_OPTION_NOTIFY_CONNECTION: admit or mark for shedding on STARTED,
 * unlink on CLOSED (libmicrohttpd closes the descriptor after this
 * returns, see the essay). */
static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    struct hu_server *s = cls;
    if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        struct conn *k = *socket_context;
        if (!k)
            return;
        pthread_mutex_lock(&s->guard_mu);
        if (k->prev)
            k->prev->next = k->next;
        else
            s->conns = k->next;
        if (k->next)
            k->next->prev = k->prev;
        if (k->ip) {
            ip_release(s, k->ip);
            s->n_admitted--;
            atomic_store_explicit(&s->conns_open, s->n_admitted, memory_order_relaxed);
        }
        pthread_mutex_unlock(&s->guard_mu);
        hu_free(k);
        *socket_context = NULL;
        return;
    }
    if (code != MHD_CONNECTION_NOTIFY_STARTED)
        return;
    struct conn *k = hu_calloc(1, sizeof *k);
    *socket_context = k;
    if (!k)
        return;   /* untracked: its requests are shed (see on_request) */
    const union MHD_ConnectionInfo *fi = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    const union MHD_ConnectionInfo *ai = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    k->fd = fi ? fi->connect_fd : -1;
    k->shed = SHED_NONE;
    unsigned char key[16];
    uint8_t klen = addr_key(ai ? ai->client_addr : NULL, key);
    int64_t now = mono_ms();
    pthread_mutex_lock(&s->guard_mu);
    struct ip_slot *slot = NULL;
    if (s->n_admitted >= s->max_conn) {
        k->shed = SHED_MAX_CONN;
    } else {
        slot = ip_find(s, key, klen, 1);
        if (!slot)
            k->shed = SHED_MAX_CONN;   /* out of memory: refuse as if full */
        else if (s->max_per_ip && slot->n >= s->max_per_ip)
            k->shed = SHED_PER_IP;
    }
    if (k->shed == SHED_NONE) {
        slot->n++;
        k->ip = slot;
        s->n_admitted++;
        atomic_store_explicit(&s->conns_open, s->n_admitted, memory_order_relaxed);
    } else if (slot && !slot->n) {
        slot->n = 1;
        ip_release(s, slot);   /* frees a slot created for nothing */
    }
    atomic_store_explicit(&k->deadline_ms,
                          now + (k->shed == SHED_NONE ? s->req_timeout_ms : (int64_t)HU_SERVE_SHED_GRACE_MS),
                          memory_order_relaxed);
    k->next = s->conns;
    if (s->conns)
        s->conns->prev = k;
    s->conns = k;
    pthread_mutex_unlock(&s->guard_mu);
    if (k->shed != SHED_NONE)
        atomic_fetch_add_explicit(&s->shed[k->shed], 1, memory_order_relaxed);
}

/* The watchdog: every 200 ms, shut down connections still receiving a
 * request past their deadline.  O(open connections) per turn under
 * guard_mu (about 0.1 ms for 16k connections). */
static void *guard_main(void *arg)
{
    struct hu_server *s = arg;
    pthread_mutex_lock(&s->guard_mu);
    while (!s->guard_stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 200 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&s->guard_cv, &s->guard_mu, &ts);
        if (s->guard_stop)
            break;
        int64_t now = mono_ms();
        for (struct conn *k = s->conns; k; k = k->next) {
            if (atomic_load_explicit(&k->deadline_ms, memory_order_relaxed) > now)
                continue;
            int st = atomic_load(&k->state);
            if (st != CS_RECEIVING && st != CS_BODY)
                continue;
            if (!atomic_compare_exchange_strong(&k->state, &st, CS_KILLED))
                continue;
            if (k->fd >= 0)
                shutdown(k->fd, SHUT_RDWR);
            atomic_fetch_add_explicit(&s->timeouts[st == CS_BODY ? TO_BODY : TO_HEADERS], 1,
                                      memory_order_relaxed);
        }
    }
    pthread_mutex_unlock(&s->guard_mu);
    return NULL;
}

/* Framing headers a request smuggler plays with (RFC 9112 section 6.3):
 * several Content-Length values, Content-Length with Transfer-Encoding, a
 * transfer coding other than chunked.  One pass over the headers. */
struct framing {
    const char *cl;
    int n_cl, cl_conflict, te, te_other;
};

static enum MHD_Result scan_framing(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
    struct framing *f = cls;
    (void)kind;
    if (!key || !value)
        return MHD_YES;
    if (!strcasecmp(key, "Content-Length")) {
        if (f->n_cl++ && strcmp(f->cl, value))
            f->cl_conflict = 1;
        f->cl = value;
    } else if (!strcasecmp(key, "Transfer-Encoding")) {
        f->te++;
        if (strcasecmp(value, "chunked"))
            f->te_other = 1;
    }
    return MHD_YES;
}

/* URL unescaping for libmicrohttpd: %XX decoded except %00, which stays
 * as the three characters so "/v1/decide%00x" cannot alias a route (the
 * default unescaper would cut the path at the NUL).  In place; returns the
 * new length. */
static size_t unescape(void *cls, struct MHD_Connection *c, char *str)
{
    (void)cls;
    (void)c;
    char *w = str;
    const char *r = str;
    while (*r) {
        if (r[0] == '%' && isxdigit((unsigned char)r[1]) && isxdigit((unsigned char)r[2])) {
            char hx[3] = { r[1], r[2], 0 };
            unsigned v = (unsigned)strtoul(hx, NULL, 16);
            if (v) {
                *w++ = (char)v;
                r += 3;
                continue;
            }
        }
        *w++ = *r++;
    }
    *w = 0;
    return (size_t)(w - str);
}

/* The request is about to be answered: the watchdog must leave it alone.
 * 0 when the watchdog has already cut the connection (do not answer). */
static int enter_handling(struct req *q)
{
    if (!q->conn)
        return 1;
    int st = CS_BODY;
    return atomic_compare_exchange_strong(&q->conn->state, &st, CS_HANDLING);
}

/* ---- routing ----------------------------------------------------------------------- */

static int prefix(const char *url, const char *p, const char **rest)
{
    size_t n = strlen(p);
    if (strncmp(url, p, n))
        return 0;
    *rest = url + n;
    return 1;
}

static enum route route_of(const char *url, const char **tail)
{
    const char *rest;
    *tail = NULL;
    if (!strcmp(url, "/healthz")) return R_HEALTHZ;
    if (!strcmp(url, "/metrics")) return R_METRICS;
    if (!strcmp(url, "/v1/events")) return R_EVENTS;
    if (!strcmp(url, "/v1/decide")) return R_DECIDE;
    if (!strcmp(url, "/v1/check")) return R_CHECK;
    /* Envoy ext_authz appends the original path to path_prefix */
    if (prefix(url, "/v1/check/", &rest)) return R_CHECK;
    if (!strcmp(url, "/v1/signup")) return R_SIGNUP;
    if (!strcmp(url, "/v1/campaigns")) return R_CAMPAIGNS;
    if (!strcmp(url, "/v1/allowlist")) return R_ALLOWLIST;
    if (!strcmp(url, "/v1/overrides")) return R_OVERRIDES;
    if (!strcmp(url, "/v1/audit")) return R_AUDIT;
    if (!strcmp(url, "/v1/policy/reload")) return R_RELOAD;
    if (prefix(url, "/v1/decisions/", &rest) && *rest && !strchr(rest, '/')) {
        *tail = rest;
        return R_DECISION;
    }
    if (prefix(url, "/v1/campaigns/", &rest) && *rest && !strchr(rest, '/')) {
        *tail = rest;
        return R_CAMPAIGN;
    }
    if (prefix(url, "/v1/accounts/", &rest) && *rest) {
        const char *slash = strrchr(rest, '/');
        *tail = rest;
        if (slash && (!strcmp(slash, "/unblock") || !strcmp(slash, "/override") ||
                      !strcmp(slash, "/clear")))
            return R_ACCOUNT_ADMIN;
        return R_ACCOUNT;
    }
    return R_NOT_FOUND;
}

static size_t body_cap(enum route r)
{
    return r == R_EVENTS ? HU_SERVE_MAX_EVENTS_BODY : HU_SERVE_MAX_SMALL_BODY;
}

/* ---- admin tokens ---------------------------------------------------------------------- */

static int load_tokens(struct hu_server *s, const char *path, char *errbuf, size_t errcap)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(errbuf, errcap, "%s: %s", path, strerror(errno));
        return HU_EIO;
    }
    char line[512];
    unsigned lineno = 0;
    int rc = HU_OK;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        size_t len = strlen(line);
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' '))
            line[--len] = 0;
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p || *p == '#')
            continue;
        char *sp = strpbrk(p, " \t");
        const char *name = "admin", *tok = p;
        if (sp) {
            *sp = 0;
            name = p;
            tok = sp + 1;
            while (*tok == ' ' || *tok == '\t')
                tok++;
        }
        if (strlen(tok) < 16 || strlen(tok) >= sizeof s->tokens[0].tok ||
            strlen(name) >= sizeof s->tokens[0].name) {
            snprintf(errbuf, errcap, "%s:%u: a token must be 16 to 255 characters "
                     "(\"NAME TOKEN\" or \"TOKEN\" per line)", path, lineno);
            rc = HU_EPARSE;
            break;
        }
        size_t cap = s->n_tokens;
        struct token *nt = hu_realloc(s->tokens, (cap + 1) * sizeof *nt);
        if (!nt) {
            rc = HU_ENOMEM;
            break;
        }
        s->tokens = nt;
        /* lengths were checked above */
        memcpy(nt[s->n_tokens].name, name, strlen(name) + 1);
        memcpy(nt[s->n_tokens].tok, tok, strlen(tok) + 1);
        s->n_tokens++;
    }
    fclose(f);
    if (rc == HU_OK && !s->n_tokens) {
        snprintf(errbuf, errcap, "%s: no token in the file", path);
        rc = HU_EPARSE;
    }
    return rc;
}

/* Constant-time comparison: the time does not depend on where they differ. */
static int ct_equal(const char *a, size_t alen, const char *b, size_t blen)
{
    unsigned char d = (unsigned char)(alen != blen);
    size_t n = alen < blen ? alen : blen;
    for (size_t i = 0; i < n; i++)
        d |= (unsigned char)(a[i] ^ b[i]);
    return d == 0;
}

/* The name of the token presented, or NULL. */
static const char *admin_of(struct hu_server *s, struct MHD_Connection *c)
{
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    if (!h || strncasecmp(h, "Bearer ", 7))
        return NULL;
    const char *t = h + 7;
    size_t tl = strlen(t);
    const char *who = NULL;
    for (size_t i = 0; i < s->n_tokens; i++)
        if (ct_equal(t, tl, s->tokens[i].tok, strlen(s->tokens[i].tok)))
            who = s->tokens[i].name;
    return who;
}

/* ---- handlers ------------------------------------------------------------------------------ */

static const char *hdr(void *ctx, const char *name)
{
    return MHD_lookup_connection_value((struct MHD_Connection *)ctx, MHD_HEADER_KIND, name);
}

/* Copy `in` for a log line: printable ASCII only, so a hostile id cannot
 * forge log lines or escape sequences. */
static const char *log_safe(const char *in, char *out, size_t cap)
{
    size_t o = 0;
    for (const char *p = in; *p && o + 1 < cap; p++)
        out[o++] = (*p >= 0x21 && *p < 0x7f) ? *p : '?';
    out[o] = 0;
    return o ? out : "-";
}

/* At most --decision-log-rate decision lines per second; the rest are
 * counted (an attacker hammering a blocked account must not turn the
 * service into a log flood). */
static int log_slot(struct hu_server *s)
{
    if (!s->o.decision_log_rate)
        return 1;
    int64_t sec = hu_engine_now_ms() / 1000;
    int64_t cur = atomic_load_explicit(&s->log_sec, memory_order_relaxed);
    if (cur != sec && atomic_compare_exchange_strong(&s->log_sec, &cur, sec)) {
        uint64_t dropped = atomic_exchange(&s->log_dropped_window, 0);
        atomic_store(&s->log_used, 0);
        if (dropped)
            hu_warn("decision log: %llu lines suppressed in the last second (--decision-log-rate %u)",
                    (unsigned long long)dropped, s->o.decision_log_rate);
    }
    if (atomic_fetch_add_explicit(&s->log_used, 1, memory_order_relaxed) < s->o.decision_log_rate)
        return 1;
    atomic_fetch_add_explicit(&s->log_dropped_window, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->log_dropped, 1, memory_order_relaxed);
    return 0;
}

static enum MHD_Result do_decide(struct hu_server *s, struct MHD_Connection *c, struct req *q)
{
    struct hu_decide_req r;
    const char *what = NULL;
    enum hu_answer_mode mode = s->o.check_mode;
    const char *m = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "mode");
    if (m)
        mode = !strcmp(m, "nginx") ? HU_MODE_NGINX : HU_MODE_NATIVE;
    int rc = hu_decide_req_from_headers(&r, hdr, c, &what);
    if (rc == HU_OK && q->route == R_DECIDE && q->body.len)
        rc = hu_decide_req_from_json(&r, q->body.ptr, q->body.len, &what);
    if (rc == HU_ENOMEM)
        return send_internal(s, c, q->route, "out_of_memory");
    if (rc != HU_OK) {
        char msg[160];
        snprintf(msg, sizeof msg, "%s: %s", what ? what : "request", hu_status_str(rc));
        atomic_fetch_add(&s->bad_requests, 1);
        /* nginx mode knows 200 and 403 only (anything else becomes 500):
         * a request whose facts cannot be read is refused with 403 */
        return send_error(s, c, q->route, mode == HU_MODE_NGINX ? 403 : 400,
                          "invalid_request_error", "bad_request", msg);
    }
    struct hu_served_decision d;
    int over = 0;
    if (hu_engine_decide(s->e, &r, &d, &over) != HU_OK)
        return send_internal(s, c, q->route, "decision_unavailable");
    struct hu_answer a;
    hu_answer_decision(&d, mode, over, &a);
    atomic_fetch_add_explicit(&s->decisions[d.action][d.shadow ? 1 : 0], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->sources[d.source], 1, memory_order_relaxed);
    if ((d.action != HU_ACTION_ALLOW || d.shadow || s->o.log_allow) && log_slot(s)) {
        /* the decision log: ids and codes, never request content */
        char acct[128];
        hu_info("decision id=%s account=%s action=%s would=%s source=%s score=%.3f campaign=%s "
                "reasons=%s status=%u%s",
                d.id, log_safe(r.account_id, acct, sizeof acct), hu_action_name(d.action),
                hu_action_name(d.would), hu_decision_source_name(d.source), d.score,
                d.campaign[0] ? d.campaign : "-", d.reasons[0] ? d.reasons : "-", a.status,
                d.shadow ? " shadow=1" : "");
    }
    enum MHD_Result ok = send_answer(s, c, q->route, a.status, NULL, a.body, a.body_len, &a);
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    uint64_t ns = (uint64_t)((t1.tv_sec - q->t0.tv_sec) * 1000000000LL + (t1.tv_nsec - q->t0.tv_nsec));
    double sec = (double)ns / 1e9;
    size_t b = N_LAT;
    for (size_t i = 0; i < N_LAT; i++)
        if (sec <= lat_le[i]) {
            b = i;
            break;
        }
    atomic_fetch_add_explicit(&s->lat[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->lat_sum_ns, ns, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->lat_count, 1, memory_order_relaxed);
    return ok;
}

static enum MHD_Result do_events(struct hu_server *s, struct MHD_Connection *c, struct req *q)
{
    struct hu_events_result *res = hu_malloc(sizeof *res);
    if (!res)
        return send_internal(s, c, q->route, "out_of_memory");
    int rc = hu_engine_post_events(s->e, q->body.ptr, q->body.len, res);
    if (rc != HU_OK) {
        hu_free(res);
        return send_internal(s, c, q->route, rc == HU_EIO ? "storage_unavailable" : "out_of_memory");
    }
    struct hu_buf b;
    hu_buf_init(&b, 1u << 20);
    unsigned status = res->accepted ? 202 : 400;
    int brc = hu_buf_printf(&b, "{\"accepted\":%llu,\"rejected\":%llu,\"blank\":%llu,\"lines\":%llu",
                            (unsigned long long)res->accepted, (unsigned long long)res->rejected,
                            (unsigned long long)res->blank, (unsigned long long)res->lines);
    if (brc == HU_OK && res->accepted && res->last_seq)   /* journal seqs (none with --publish-events) */
        brc = hu_buf_printf(&b, ",\"first_seq\":%llu,\"last_seq\":%llu",
                            (unsigned long long)res->first_seq, (unsigned long long)res->last_seq);
    if (brc == HU_OK)
        brc = hu_buf_adds(&b, ",\"errors\":[");
    for (size_t i = 0; brc == HU_OK && i < res->n_errors; i++) {
        const struct hu_line_error *le = &res->errors[i];
        brc = hu_buf_printf(&b, "%s{\"line\":%llu,\"reason\":\"%s\"", i ? "," : "",
                            (unsigned long long)le->line, le->reason);
        if (brc == HU_OK && le->field)
            brc = hu_buf_printf(&b, ",\"field\":\"%s\"", le->field);
        if (brc == HU_OK)
            brc = hu_buf_addc(&b, '}');
    }
    if (brc == HU_OK)
        brc = hu_buf_printf(&b, "],\"errors_truncated\":%s}\n",
                            res->rejected > res->n_errors ? "true" : "false");
    if (brc == HU_OK && !res->accepted && !res->rejected)
        status = 400;   /* empty body */
    hu_free(res);
    enum MHD_Result ok = brc == HU_OK ? send_buf(s, c, q->route, status, &b)
                                      : send_internal(s, c, q->route, "out_of_memory");
    hu_buf_fini(&b);
    return ok;
}

static enum MHD_Result do_healthz(struct hu_server *s, struct MHD_Connection *c, struct req *q)
{
    struct hu_engine_status st;
    hu_engine_status(s->e, &st);
    char body[640];
    const char *state = st.degraded ? "degraded" : st.replaying ? "replaying" : "ok";
    int n = snprintf(body, sizeof body,
                     "{\"status\":\"%s\",\"version\":\"%s\",\"journal_seq\":%llu,"
                     "\"applied_seq\":%llu,\"snapshot_seq\":%llu,\"accounts\":%llu,"
                     "\"campaigns\":%llu,\"replaying\":%s,\"store_degraded\":%s,\"shadow\":%s,"
                     "\"policy_digest\":\"%016llx\",\"snapshot_age_ms\":%lld,\"relinks\":%llu,"
                     "\"analysis\":\"%s\"}\n",
                     state, HU_VERSION, (unsigned long long)st.journal_seq,
                     (unsigned long long)st.applied_seq, (unsigned long long)st.snapshot_seq,
                     (unsigned long long)st.accounts, (unsigned long long)st.campaigns,
                     st.replaying ? "true" : "false", st.degraded ? "true" : "false",
                     st.shadow ? "true" : "false", (unsigned long long)st.policy_digest,
                     (long long)st.snapshot_age_ms, (unsigned long long)st.relinks, hu__be_name());
    if (n < 0 || (size_t)n >= sizeof body)
        n = (int)strlen(body);
    /* degraded storage: decisions still work, events do not -> 503 so a
     * load balancer's health check sees it */
    return send_answer(s, c, q->route, st.degraded ? 503 : 200, NULL, body, (size_t)n, NULL);
}

static enum MHD_Result do_metrics(struct hu_server *s, struct MHD_Connection *c, struct req *q)
{
    struct hu_buf b;
    hu_buf_init(&b, 1u << 22);
    int rc = hu_buf_printf(&b,
                           "# HELP huella_build_info Build of the running service.\n"
                           "# TYPE huella_build_info gauge\n"
                           "huella_build_info{version=\"%s\",revision=\"%s\"} 1\n"
                           "# HELP huella_start_time_seconds Unix time the service started.\n"
                           "# TYPE huella_start_time_seconds gauge\n"
                           "huella_start_time_seconds %.3f\n"
                           "# HELP huella_http_requests_total HTTP answers by route and status code.\n"
                           "# TYPE huella_http_requests_total counter\n",
                           HU_VERSION, HU_GIT_REV, (double)s->started_ms / 1000.0);
    for (int r = 0; rc == HU_OK && r < R_COUNT; r++)
        for (size_t k = 0; rc == HU_OK && k <= N_CODES; k++) {
            uint64_t v = atomic_load_explicit(&s->http[r][k], memory_order_relaxed);
            if (!v)
                continue;
            if (k < N_CODES)
                rc = hu_buf_printf(&b, "huella_http_requests_total{route=\"%s\",code=\"%u\"} %llu\n",
                                   route_names[r], codes[k], (unsigned long long)v);
            else
                rc = hu_buf_printf(&b, "huella_http_requests_total{route=\"%s\",code=\"other\"} %llu\n",
                                   route_names[r], (unsigned long long)v);
        }
    if (rc == HU_OK)
        rc = hu_buf_adds(&b, "# HELP huella_decisions_total Decisions by enforced action and mode.\n"
                             "# TYPE huella_decisions_total counter\n");
    for (int a = 0; rc == HU_OK && a < HU_ACTION_COUNT; a++)
        for (int m = 0; rc == HU_OK && m < 2; m++)
            rc = hu_buf_printf(&b, "huella_decisions_total{action=\"%s\",mode=\"%s\"} %llu\n",
                               hu_action_name((enum hu_action)a), m ? "shadow" : "enforce",
                               (unsigned long long)atomic_load(&s->decisions[a][m]));
    if (rc == HU_OK)
        rc = hu_buf_adds(&b, "# HELP huella_decision_source_total Decisions by what decided them.\n"
                             "# TYPE huella_decision_source_total counter\n");
    for (int k = 0; rc == HU_OK && k < HU_SOURCE_COUNT; k++)
        rc = hu_buf_printf(&b, "huella_decision_source_total{source=\"%s\"} %llu\n",
                           hu_decision_source_name((enum hu_decision_source)k),
                           (unsigned long long)atomic_load(&s->sources[k]));
    if (rc == HU_OK)
        rc = hu_buf_adds(&b, "# HELP huella_decide_duration_seconds Time from request to answer "
                             "queued, for /v1/decide and /v1/check.\n"
                             "# TYPE huella_decide_duration_seconds histogram\n");
    uint64_t cum = 0;
    for (size_t i = 0; rc == HU_OK && i < N_LAT; i++) {
        cum += atomic_load(&s->lat[i]);
        rc = hu_buf_printf(&b, "huella_decide_duration_seconds_bucket{le=\"%g\"} %llu\n", lat_le[i],
                           (unsigned long long)cum);
    }
    cum += atomic_load(&s->lat[N_LAT]);
    if (rc == HU_OK)
        rc = hu_buf_printf(&b, "huella_decide_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
                               "huella_decide_duration_seconds_sum %.9f\n"
                               "huella_decide_duration_seconds_count %llu\n",
                           (unsigned long long)cum, (double)atomic_load(&s->lat_sum_ns) / 1e9,
                           (unsigned long long)cum);
    if (rc == HU_OK)
        rc = hu_buf_printf(&b,
                           "# HELP huella_http_body_too_large_total Requests refused for their body size.\n"
                           "# TYPE huella_http_body_too_large_total counter\n"
                           "huella_http_body_too_large_total %llu\n"
                           "# HELP huella_internal_errors_total Answers 503 for the service's own failures.\n"
                           "# TYPE huella_internal_errors_total counter\n"
                           "huella_internal_errors_total %llu\n"
                           "# HELP huella_http_bad_requests_total Decision requests whose facts could not be read.\n"
                           "# TYPE huella_http_bad_requests_total counter\n"
                           "huella_http_bad_requests_total %llu\n"
                           "# HELP huella_decision_log_suppressed_total Decision log lines dropped by --decision-log-rate.\n"
                           "# TYPE huella_decision_log_suppressed_total counter\n"
                           "huella_decision_log_suppressed_total %llu\n"
                           "# HELP huella_http_inflight_body_bytes Request body bytes held right now.\n"
                           "# TYPE huella_http_inflight_body_bytes gauge\n"
                           "huella_http_inflight_body_bytes %zu\n"
                           "# HELP huella_http_connections Open client connections admitted under the caps.\n"
                           "# TYPE huella_http_connections gauge\n"
                           "huella_http_connections %zu\n"
                           "# HELP huella_http_connections_limit Connection caps in force (per_ip 0: none).\n"
                           "# TYPE huella_http_connections_limit gauge\n"
                           "huella_http_connections_limit{kind=\"total\"} %u\n"
                           "huella_http_connections_limit{kind=\"per_ip\"} %u\n"
                           "# HELP huella_http_events_inflight POST /v1/events requests between headers and answer.\n"
                           "# TYPE huella_http_events_inflight gauge\n"
                           "huella_http_events_inflight %zu\n"
                           "# HELP huella_http_request_timeout_seconds Whole-request deadline (--request-timeout).\n"
                           "# TYPE huella_http_request_timeout_seconds gauge\n"
                           "huella_http_request_timeout_seconds %.3f\n"
                           "# HELP huella_http_shed_total Connections and requests refused with 503 for capacity, by reason.\n"
                           "# TYPE huella_http_shed_total counter\n",
                           (unsigned long long)atomic_load(&s->too_big),
                           (unsigned long long)atomic_load(&s->internal_errors),
                           (unsigned long long)atomic_load(&s->bad_requests),
                           (unsigned long long)atomic_load(&s->log_dropped),
                           (size_t)atomic_load(&s->inflight), (size_t)atomic_load(&s->conns_open),
                           s->max_conn, s->max_per_ip, (size_t)atomic_load(&s->events_inflight),
                           (double)s->req_timeout_ms / 1000.0);
    for (int k = 0; rc == HU_OK && k < SHED_COUNT; k++)
        rc = hu_buf_printf(&b, "huella_http_shed_total{reason=\"%s\"} %llu\n", shed_names[k],
                           (unsigned long long)atomic_load(&s->shed[k]));
    if (rc == HU_OK)
        rc = hu_buf_adds(&b, "# HELP huella_http_timeouts_total Connections closed for slowness: "
                             "request deadline passed before the headers or during the body, "
                             "or idle timeout in the middle of a request.\n"
                             "# TYPE huella_http_timeouts_total counter\n");
    for (int k = 0; rc == HU_OK && k < TO_COUNT; k++)
        rc = hu_buf_printf(&b, "huella_http_timeouts_total{phase=\"%s\"} %llu\n", timeout_names[k],
                           (unsigned long long)atomic_load(&s->timeouts[k]));
    if (rc == HU_OK)
        rc = hu_engine_metrics(s->e, &b);
    enum MHD_Result ok =
        rc == HU_OK ? send_answer(s, c, q->route, 200, "text/plain; version=0.0.4; charset=utf-8",
                                  b.ptr, b.len, NULL)
                    : send_internal(s, c, q->route, "out_of_memory");
    hu_buf_fini(&b);
    return ok;
}

/* {"reason": "...", "action": "...", "account_id": "...", "op": "add|remove", "actor": "..."} */
struct admin_body {
    char reason[512], action[32], account_id[HU_MAX_ID_BYTES + 1], op[16], actor[64];
};

#include <json-c/json.h>
static int parse_admin_body(const char *p, size_t len, struct admin_body *ab)
{
    memset(ab, 0, sizeof *ab);
    if (!len)
        return HU_EPARSE;
    struct json_tokener *tok = json_tokener_new_ex((int)HU_MAX_JSON_DEPTH);
    if (!tok)
        return HU_ENOMEM;
    struct json_object *o = json_tokener_parse_ex(tok, p, (int)len);
    int rc = HU_OK;
    if (!o || json_tokener_get_error(tok) != json_tokener_success ||
        !json_object_is_type(o, json_type_object)) {
        rc = HU_EPARSE;
        goto out;
    }
    struct { const char *k; char *dst; size_t cap; } f[] = {
        { "reason", ab->reason, sizeof ab->reason }, { "action", ab->action, sizeof ab->action },
        { "account_id", ab->account_id, sizeof ab->account_id }, { "op", ab->op, sizeof ab->op },
        { "actor", ab->actor, sizeof ab->actor },
    };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        struct json_object *v = NULL;
        if (!json_object_object_get_ex(o, f[i].k, &v) || !v)
            continue;
        if (!json_object_is_type(v, json_type_string) ||
            (size_t)json_object_get_string_len(v) >= f[i].cap) {
            rc = HU_ETYPE;
            goto out;
        }
        memcpy(f[i].dst, json_object_get_string(v), (size_t)json_object_get_string_len(v) + 1);
    }
out:
    if (o)
        json_object_put(o);
    json_tokener_free(tok);
    return rc;
}

static enum MHD_Result do_admin(struct hu_server *s, struct MHD_Connection *c, struct req *q,
                                const char *who)
{
    struct admin_body ab;
    int rc = parse_admin_body(q->body.ptr, q->body.len, &ab);
    if (rc == HU_ENOMEM)
        return send_internal(s, c, q->route, "out_of_memory");
    if (rc != HU_OK || !ab.reason[0])
        return send_error(s, c, q->route, 400, "invalid_request_error", "reason_required",
                          "the body must be a JSON object with a non-empty \\\"reason\\\"");
    char actor[160];
    if (ab.actor[0])
        snprintf(actor, sizeof actor, "%s (%s)", who, ab.actor);
    else
        snprintf(actor, sizeof actor, "%s", who);
    enum hu_store_list list = HU_STORE_OVERRIDE;
    const char *verb;
    int action;
    char account[HU_MAX_ID_BYTES + 1];
    if (q->route == R_ACCOUNT_ADMIN) {
        const char *slash = strrchr(q->tail, '/');
        size_t alen = (size_t)(slash - q->tail);
        if (!alen || alen > HU_MAX_ID_BYTES)
            return send_error(s, c, q->route, 400, "invalid_request_error", "bad_account",
                              "account id missing or too long");
        memcpy(account, q->tail, alen);
        account[alen] = 0;
        verb = slash + 1;
        if (!strcmp(verb, "unblock")) {
            action = HU_ACTION_ALLOW;
        } else if (!strcmp(verb, "clear")) {
            action = -1;
        } else {
            action = hu_action_parse(ab.action, strlen(ab.action));
            if (action < 0)
                return send_error(s, c, q->route, 400, "invalid_request_error", "bad_action",
                                  "action must be allow, monitor, throttle, verify, "
                                  "withhold_reasoning or block");
        }
    } else {   /* R_ALLOWLIST */
        list = HU_STORE_ALLOWLIST;
        if (!ab.account_id[0])
            return send_error(s, c, q->route, 400, "invalid_request_error", "bad_account",
                              "account_id is required");
        snprintf(account, sizeof account, "%s", ab.account_id);
        if (!strcmp(ab.op, "remove")) {
            action = -1;
            verb = "allowlist_remove";
        } else if (!ab.op[0] || !strcmp(ab.op, "add")) {
            action = HU_ACTION_ALLOW;
            verb = "allowlist_add";
        } else {
            return send_error(s, c, q->route, 400, "invalid_request_error", "bad_op",
                              "op must be add or remove");
        }
    }
    rc = hu_engine_account_set(s->e, list, account, action, actor, verb, ab.reason);
    if (rc == HU_EFULL)
        return send_error(s, c, q->route, 400, "invalid_request_error", "too_many_overrides",
                          "the override table is full");
    if (rc != HU_OK)
        return send_internal(s, c, q->route, "storage_unavailable");
    struct hu_buf b;
    hu_buf_init(&b, 1u << 20);
    rc = list == HU_STORE_ALLOWLIST ? hu_engine_lists_json(s->e, list, &b)
                                    : hu_engine_account_json(s->e, account, strlen(account), &b);
    enum MHD_Result ok = rc == HU_OK ? send_buf(s, c, q->route, 200, &b)
                                     : send_internal(s, c, q->route, "out_of_memory");
    hu_buf_fini(&b);
    return ok;
}

static enum MHD_Result dispatch(struct hu_server *s, struct MHD_Connection *c, struct req *q,
                                const char *method)
{
    int get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
    int post = !strcmp(method, "POST");
    enum route r = q->route;
    if (!enter_handling(q))
        return MHD_NO;   /* the watchdog cut this connection */
    if (q->busy) {
        atomic_fetch_add_explicit(&s->shed[SHED_BODY_BYTES], 1, memory_order_relaxed);
        return send_error(s, c, r, 503, "service_unavailable", "busy",
                          "too many request bodies in flight; retry");
    }
    if (q->too_big) {
        atomic_fetch_add(&s->too_big, 1);
        return send_error(s, c, r, 413, "invalid_request_error", "body_too_large",
                          "request body exceeds the limit for this endpoint");
    }
    /* admin: reads need a token when tokens are configured, writes always */
    int needs_admin = r == R_ACCOUNT_ADMIN || r == R_RELOAD || (r == R_ALLOWLIST && post) ||
                      (s->admin_on && (r == R_ACCOUNT || r == R_CAMPAIGNS || r == R_CAMPAIGN ||
                                       r == R_DECISION ||
                                       r == R_ALLOWLIST || r == R_OVERRIDES || r == R_AUDIT));
    const char *who = NULL;
    if (needs_admin) {
        if (!s->admin_on)
            return send_error(s, c, r, 403, "permission_error", "admin_disabled",
                              "admin endpoints are off: start huella serve with --admin-token-file");
        who = admin_of(s, c);
        if (!who)
            return send_error(s, c, r, 401, "authentication_error", "bad_token",
                              "a valid bearer token is required");
    }
    struct hu_buf b;
    enum MHD_Result ok;
    int rc;
    switch (r) {
    case R_HEALTHZ:
        if (!get) break;
        return do_healthz(s, c, q);
    case R_METRICS:
        if (!get) break;
        return do_metrics(s, c, q);
    case R_EVENTS:
        if (!post) break;
        return do_events(s, c, q);
    case R_DECIDE:
        if (!post) break;
        return do_decide(s, c, q);
    case R_CHECK:
        /* any method: nginx's auth subrequest keeps the client's method */
        return do_decide(s, c, q);
    case R_SIGNUP: {
        if (!post) break;
        const char *what = NULL;
        hu_buf_init(&b, 1u << 16);
        rc = hu_engine_signup(s->e, q->body.ptr ? q->body.ptr : "", q->body.len, &b, &what);
        if (rc == HU_OK)
            ok = send_buf(s, c, r, 200, &b);
        else if (rc == HU_ENOMEM)
            ok = send_internal(s, c, r, "out_of_memory");
        else {
            char msg[160];
            snprintf(msg, sizeof msg, "%s: %s", what ? what : "body", hu_status_str(rc));
            ok = send_error(s, c, r, 400, "invalid_request_error", "bad_request", msg);
        }
        hu_buf_fini(&b);
        return ok;
    }
    case R_ACCOUNT:
        if (!get) break;
        if (strlen(q->tail) > HU_MAX_ID_BYTES)
            return send_error(s, c, r, 400, "invalid_request_error", "bad_account", "account id too long");
        hu_buf_init(&b, 64u << 20);
        rc = hu_engine_account_json(s->e, q->tail, strlen(q->tail), &b);
        ok = rc == HU_OK ? send_buf(s, c, r, 200, &b) : send_internal(s, c, r, "out_of_memory");
        hu_buf_fini(&b);
        return ok;
    case R_CAMPAIGNS:
    case R_CAMPAIGN:
    case R_OVERRIDES:
    case R_AUDIT:
        if (!get) break;
        hu_buf_init(&b, (size_t)1 << 30);
        if (r == R_CAMPAIGNS)
            rc = hu_engine_campaigns_json(s->e, &b);
        else if (r == R_CAMPAIGN)
            rc = hu_engine_campaign_json(s->e, q->tail, &b);
        else if (r == R_OVERRIDES)
            rc = hu_engine_lists_json(s->e, HU_STORE_OVERRIDE, &b);
        else {
            const char *after = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "after");
            rc = hu_engine_audit_json(s->e, after ? strtoull(after, NULL, 10) : 0, &b);
        }
        if (rc == HU_OK)
            ok = send_buf(s, c, r, 200, &b);
        else if (rc == HU_ENOENT)
            ok = send_error(s, c, r, 404, "not_found_error", "no_such_campaign", "no campaign with that id");
        else
            ok = send_internal(s, c, r, "out_of_memory");
        hu_buf_fini(&b);
        return ok;
    case R_ALLOWLIST:
        if (get) {
            hu_buf_init(&b, (size_t)1 << 30);
            rc = hu_engine_lists_json(s->e, HU_STORE_ALLOWLIST, &b);
            ok = rc == HU_OK ? send_buf(s, c, r, 200, &b) : send_internal(s, c, r, "out_of_memory");
            hu_buf_fini(&b);
            return ok;
        }
        if (!post) break;
        return do_admin(s, c, q, who);
    case R_ACCOUNT_ADMIN:
        if (!post) break;
        return do_admin(s, c, q, who);
    case R_RELOAD: {
        if (!post) break;
        char err[512] = "";
        rc = hu_engine_reload_policy(s->e, err, sizeof err);
        if (rc == HU_OK) {
            hu_info("policy reloaded by %s", who);
            static const char okb[] = "{\"reloaded\":true}\n";
            return send_answer(s, c, r, 200, NULL, okb, sizeof okb - 1, NULL);
        }
        hu_warn("policy reload refused, the old policy stays: %s", err);
        hu_buf_init(&b, 4096);
        int brc = hu_buf_adds(&b, "{\"reloaded\":false,\"error\":\"");
        if (brc == HU_OK) brc = hu_buf_add_json_str(&b, err, strlen(err));
        if (brc == HU_OK) brc = hu_buf_adds(&b, "\"}\n");
        ok = brc == HU_OK ? send_buf(s, c, r, 400, &b) : send_internal(s, c, r, "out_of_memory");
        hu_buf_fini(&b);
        return ok;
    }
    case R_DECISION:
        /* the record of a decision, for appeals (engine.h: what is kept) */
        if (!get) break;
        hu_buf_init(&b, 1u << 16);
        rc = hu_engine_decision_json(s->e, q->tail, &b);
        if (rc == HU_OK)
            ok = send_buf(s, c, r, 200, &b);
        else if (rc == HU_ENOENT)
            ok = send_error(s, c, r, 404, "not_found_error", "no_such_decision",
                            "no recorded decision with that id (allow decisions are not recorded;"
                            " see the retention in docs/serve.md)");
        else
            ok = send_internal(s, c, r, rc == HU_EIO ? "storage_unavailable" : "out_of_memory");
        hu_buf_fini(&b);
        return ok;
    case R_NOT_FOUND:
    default:
        return send_error(s, c, R_NOT_FOUND, 404, "not_found_error", "no_such_route",
                          "no such endpoint");
    }
    return send_error(s, c, r, 405, "invalid_request_error", "method_not_allowed",
                      "method not allowed on this endpoint");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_size, void **con_cls)
{
    struct hu_server *s = cls;
    (void)version;
    struct req *q = *con_cls;
    if (!q) {
        q = hu_calloc(1, sizeof *q);
        if (!q)
            return MHD_NO;
        clock_gettime(CLOCK_MONOTONIC, &q->t0);
        const char *tail;
        q->route = route_of(url, &tail);
        if (tail) {
            q->tail = hu_strdup(tail);
            if (!q->tail) {
                hu_free(q);
                return MHD_NO;
            }
        }
        hu_buf_init(&q->body, body_cap(q->route));
        *con_cls = q;
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        q->conn = ci ? ci->socket_context : NULL;
        if (q->conn) {
            /* RECEIVING normally; anything but KILLED (cut by the watchdog)
             * is taken as stale rather than trusted to libmicrohttpd's
             * completion callback order */
            int st = atomic_load(&q->conn->state);
            do {
                if (st == CS_KILLED)
                    return MHD_NO;
            } while (!atomic_compare_exchange_weak(&q->conn->state, &st, CS_BODY));
        }
        /* over the connection caps (or untracked): 503 now, and the
         * connection closes; health and metrics are still answered */
        int shed = q->conn ? q->conn->shed : SHED_MAX_CONN;
        if (shed != SHED_NONE && (q->route == R_HEALTHZ || q->route == R_METRICS)) {
            q->answered = 1;   /* answered now: the connection closes after it */
            return dispatch(s, c, q, method);
        }
        if (shed != SHED_NONE) {
            q->answered = 1;
            enter_handling(q);
            return send_error(s, c, q->route, 503, "service_unavailable", "overloaded",
                              shed == SHED_PER_IP ? "too many connections from this address; retry"
                                                  : "too many connections; retry");
        }
        struct framing fr = { 0 };
        MHD_get_connection_values(c, MHD_HEADER_KIND, scan_framing, &fr);
        if (fr.cl_conflict || (fr.n_cl && fr.te) || fr.te_other) {
            q->answered = 1;
            enter_handling(q);
            atomic_fetch_add(&s->bad_requests, 1);
            if (fr.te_other && !fr.cl_conflict && !fr.n_cl)
                return send_error(s, c, q->route, 501, "invalid_request_error", "bad_framing",
                                  "only the chunked transfer coding is supported");
            return send_error(s, c, q->route, 400, "invalid_request_error", "bad_framing",
                              "conflicting Content-Length / Transfer-Encoding headers");
        }
        /* a declared oversized body is refused before it is sent */
        const char *cl = fr.cl;
        if (cl && strtoull(cl, NULL, 10) > body_cap(q->route)) {
            q->too_big = 1;
            q->answered = 1;
            enter_handling(q);
            atomic_fetch_add(&s->too_big, 1);
            return send_error(s, c, q->route, 413, "invalid_request_error", "body_too_large",
                              "request body exceeds the limit for this endpoint");
        }
        if (q->route == R_EVENTS && !strcmp(method, "POST")) {
            q->events_counted = 1;
            if (atomic_fetch_add(&s->events_inflight, 1) >= HU_SERVE_MAX_EVENTS_INFLIGHT) {
                q->answered = 1;
                enter_handling(q);
                atomic_fetch_add_explicit(&s->shed[SHED_EVENTS], 1, memory_order_relaxed);
                return send_error(s, c, q->route, 503, "service_unavailable", "busy",
                                  "too many event uploads in flight; retry");
            }
        }
        return MHD_YES;
    }
    if (q->answered) {
        *upload_size = 0;
        return MHD_YES;
    }
    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (q->too_big || q->busy)
            return MHD_YES;   /* drain */
        if (q->body.len + n > body_cap(q->route)) {
            /* an undeclared body past the cap: stop reading now (an answer
             * cannot be queued mid-upload, so the connection is closed) */
            q->too_big = 1;
            atomic_fetch_add(&s->too_big, 1);
            return MHD_NO;
        }
        size_t now = atomic_fetch_add(&s->inflight, n) + n;
        q->reserved += n;
        if (now > HU_SERVE_MAX_INFLIGHT_BODY) {
            q->busy = 1;
            return MHD_YES;
        }
        if (hu_buf_add(&q->body, upload_data, n) != HU_OK)
            q->busy = 1;
        return MHD_YES;
    }
    return dispatch(s, c, q, method);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct hu_server *s = cls;
    (void)c;
    struct req *q = *con_cls;
    if (toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED)
        atomic_fetch_add_explicit(&s->timeouts[TO_IDLE], 1, memory_order_relaxed);
    if (!q)
        return;
    if (q->conn) {
        /* the next request on this connection gets a fresh deadline */
        atomic_store_explicit(&q->conn->deadline_ms, mono_ms() + s->req_timeout_ms,
                              memory_order_relaxed);
        int st = atomic_load(&q->conn->state);
        while (st != CS_KILLED && !atomic_compare_exchange_weak(&q->conn->state, &st, CS_RECEIVING))
            ;
    }
    if (q->events_counted)
        atomic_fetch_sub(&s->events_inflight, 1);
    if (q->reserved)
        atomic_fetch_sub(&s->inflight, q->reserved);
    hu_buf_fini(&q->body);
    hu_free(q->tail);
    hu_free(q);
    *con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && msg[n - 1] == '\n')
        msg[--n] = 0;
    hu_debug("http: %s", msg);
}

/* ---- start / stop ------------------------------------------------------------------------- */

static int bind_socket(const char *host, unsigned port, int *fd_out, unsigned *port_out,
                       char *errbuf, size_t errcap)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        sl = sizeof *v4;
    } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        sl = sizeof *v6;
    } else {
        snprintf(errbuf, errcap, "--listen: %s is not a numeric IPv4 or IPv6 address", host);
        return HU_EINVAL;
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(errbuf, errcap, "socket: %s", strerror(errno));
        return HU_EIO;
    }
    int one = 1;
    /* SO_REUSEADDR only (restart after TIME_WAIT); never SO_REUSEPORT, so a
     * second instance on the same port fails loudly instead of sharing it */
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, 4096) != 0) {
        snprintf(errbuf, errcap, "cannot listen on %s:%u: %s", host, port, strerror(errno));
        close(fd);
        return HU_EIO;
    }
    struct sockaddr_storage got;
    socklen_t gl = sizeof got;
    getsockname(fd, (struct sockaddr *)&got, &gl);
    *port_out = got.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)&got)->sin_port)
                                         : ntohs(((struct sockaddr_in6 *)&got)->sin6_port);
    *fd_out = fd;
    return HU_OK;
}

int hu_server_start(struct hu_engine *e, const struct hu_server_opts *o, struct hu_server **out,
                    char *errbuf, size_t errcap)
{
    if (!e || !o || !out)
        return HU_EINVAL;
    *out = NULL;
    struct hu_server *s = hu_calloc(1, sizeof *s);
    if (!s)
        return HU_ENOMEM;
    s->e = e;
    s->o = *o;
    s->fd = -1;
    s->started_ms = hu_engine_now_ms();
    int rc;
    if (o->token_file) {
        rc = load_tokens(s, o->token_file, errbuf, errcap);
        if (rc != HU_OK)
            goto fail;
        s->admin_on = 1;
    }
    rc = bind_socket(o->host ? o->host : "127.0.0.1", o->port, &s->fd, &s->port, errbuf, errcap);
    if (rc != HU_OK)
        goto fail;
    /* thousands of idle connections need file descriptors */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    /* our caps, then libmicrohttpd's limit above them by the shedding
     * reserve; all of it under RLIMIT_NOFILE less 64 for the store and logs */
    unsigned max_conn = o->max_connections ? o->max_connections : HU_SERVE_MAX_CONNECTIONS;
    unsigned reserve = HU_SERVE_CONN_RESERVE;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        rl.rlim_cur < (rlim_t)max_conn + reserve + 64) {
        unsigned avail = rl.rlim_cur > 192 ? (unsigned)rl.rlim_cur - 64 : 128;
        if (reserve > avail / 8)
            reserve = avail / 8;
        if (max_conn > avail - reserve) {
            hu_warn("serve: connection cap lowered from %u to %u by RLIMIT_NOFILE (%llu)", max_conn,
                    avail - reserve, (unsigned long long)rl.rlim_cur);
            max_conn = avail - reserve;
        }
    }
    s->max_conn = max_conn;
    s->max_per_ip = o->max_conns_per_ip < 0 ? 0
                    : o->max_conns_per_ip ? (unsigned)o->max_conns_per_ip : HU_SERVE_MAX_CONNS_PER_IP;
    unsigned conn_to = o->conn_timeout_s ? o->conn_timeout_s : (unsigned)HU_SERVE_CONN_TIMEOUT_S;
    unsigned req_to = o->request_timeout_s ? o->request_timeout_s : (unsigned)HU_SERVE_REQUEST_TIMEOUT_S;
    if (req_to < conn_to)
        req_to = conn_to;
    s->req_timeout_ms = (int64_t)req_to * 1000;
    struct timespec seed_ts;
    clock_gettime(CLOCK_MONOTONIC, &seed_ts);
    s->ip_seed = hu_hash_mix((uint64_t)seed_ts.tv_nsec ^ ((uint64_t)getpid() << 32) ^ (uintptr_t)s);
    s->ip_tab = hu_calloc(IP_BUCKETS, sizeof *s->ip_tab);
    if (!s->ip_tab) {
        rc = HU_ENOMEM;
        goto fail;
    }
    if (pthread_mutex_init(&s->guard_mu, NULL) != 0) {
        rc = HU_ENOMEM;
        goto fail;
    }
    if (pthread_cond_init(&s->guard_cv, NULL) != 0) {
        pthread_mutex_destroy(&s->guard_mu);
        rc = HU_ENOMEM;
        goto fail;
    }
    s->guard_init = 1;
    unsigned threads = o->threads ? o->threads : 2;
    s->d = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG, 0,
                            NULL, NULL,
                            on_request, s,
                            MHD_OPTION_LISTEN_SOCKET, s->fd,
                            MHD_OPTION_THREAD_POOL_SIZE, threads,
                            MHD_OPTION_CONNECTION_LIMIT, max_conn + reserve,
                            MHD_OPTION_CONNECTION_TIMEOUT, conn_to,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HU_SERVE_CONN_MEMORY,
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                            MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
                            MHD_OPTION_UNESCAPE_CALLBACK, unescape, s,
                            MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
                            MHD_OPTION_END);
    if (!s->d) {
        snprintf(errbuf, errcap, "libmicrohttpd could not start on port %u", s->port);
        rc = HU_EIO;
        goto fail;
    }
    s->fd = -1;   /* the daemon owns the listening socket now */
    if (pthread_create(&s->guard_thread, NULL, guard_main, s) != 0) {
        snprintf(errbuf, errcap, "cannot start the connection watchdog thread");
        rc = HU_ENOMEM;
        goto fail;
    }
    s->guard_started = 1;
    *out = s;
    return HU_OK;
fail:
    hu_server_stop(s);
    return rc;
}

unsigned hu_server_port(const struct hu_server *s)
{
    return s ? s->port : 0;
}

void hu_server_stop(struct hu_server *s)
{
    if (!s)
        return;
    if (s->guard_started) {
        pthread_mutex_lock(&s->guard_mu);
        s->guard_stop = 1;
        pthread_cond_signal(&s->guard_cv);
        pthread_mutex_unlock(&s->guard_mu);
        pthread_join(s->guard_thread, NULL);
    }
    if (s->d) {
        /* stop accepting, let requests in flight finish (at most ~1 s:
         * idle keep-alive connections would otherwise hold the stop) */
        MHD_socket lfd = MHD_quiesce_daemon(s->d);
        if (lfd != MHD_INVALID_SOCKET)
            close(lfd);
        for (int i = 0; i < 100; i++) {
            const union MHD_DaemonInfo *di =
                MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
            if (!di || di->num_connections == 0)
                break;
            struct timespec ts = { 0, 10 * 1000000L };
            nanosleep(&ts, NULL);
        }
        MHD_stop_daemon(s->d);
    }
    if (s->fd >= 0)
        close(s->fd);
    /* MHD_stop_daemon sent CLOSED for every connection; anything left is a bug */
    if (s->ip_tab) {
        for (size_t b = 0; b < IP_BUCKETS; b++)
            while (s->ip_tab[b]) {
                struct ip_slot *p = s->ip_tab[b];
                s->ip_tab[b] = p->next;
                hu_free(p);
            }
        hu_free(s->ip_tab);
    }
    if (s->guard_init) {
        pthread_cond_destroy(&s->guard_cv);
        pthread_mutex_destroy(&s->guard_mu);
    }
    hu_free(s->tokens);
    hu_free(s);
}
