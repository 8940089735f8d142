/*
 * server.h -- the HTTP face of the engine, on libmicrohttpd (Debian
 * libmicrohttpd12, DEPENDENCIES.md section 5): epoll, an internal thread
 * pool, answers on the second callback so keep-alive survives.  Routes and
 * their answers are documented in docs/serve.md.
 *
 * Hostile clients (docs/serve.md "Hostile input"): a connection cap and a
 * per-address cap answered with 503 + Retry-After, an idle timeout
 * (libmicrohttpd) plus a whole-request deadline enforced by a watchdog
 * thread (slowloris), a cap on event uploads in flight, body caps.  Each
 * refusal is counted on /metrics (huella_http_shed_total,
 * huella_http_timeouts_total).
 */
#ifndef HU_SERVE_SERVER_H
#define HU_SERVE_SERVER_H

#include <stddef.h>
#include "serve/decide.h"
#include "serve/engine.h"

struct hu_server;

struct hu_server_opts {
    const char *host;               /* numeric IPv4/IPv6; NULL: 127.0.0.1 */
    unsigned port;                  /* 0: any free port (see hu_server_port) */
    unsigned threads;               /* pool size; 0: 2 */
    enum hu_answer_mode check_mode; /* default mode of /v1/check and /v1/decide */
    const char *token_file;         /* admin tokens, "NAME TOKEN" per line; NULL: admin off */
    int log_allow;                  /* 1: log allow decisions too (default: only others) */
    unsigned decision_log_rate;     /* decision log lines per second; 0: unlimited */
    unsigned conn_timeout_s;        /* idle/slow connection timeout; 0: HU_SERVE_CONN_TIMEOUT_S */
    unsigned request_timeout_s;     /* whole-request deadline; 0: HU_SERVE_REQUEST_TIMEOUT_S;
                                     * raised to conn_timeout_s if below it */
    unsigned max_connections;       /* 0: HU_SERVE_MAX_CONNECTIONS */
    int max_conns_per_ip;           /* 0: HU_SERVE_MAX_CONNS_PER_IP; < 0: no per-address cap */
};

/* Bind, listen and start serving (libmicrohttpd's threads plus one
 * watchdog thread).  HU_OK; HU_EIO (cannot bind: reason in errbuf),
 * HU_EPARSE (bad token file), HU_ENOMEM. The engine is borrowed and must
 * outlive the server. */
HU_MUST_CHECK int hu_server_start(struct hu_engine *e, const struct hu_server_opts *o,
                                  struct hu_server **out, char *errbuf, size_t errcap);
/* The port actually bound. */
unsigned hu_server_port(const struct hu_server *s);
/* Stop accepting, finish requests in flight, free.  NULL is a no-op. */
void hu_server_stop(struct hu_server *s);

#endif
