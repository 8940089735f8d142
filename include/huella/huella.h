/*
 * huella.h -- libhuella, the one public header: featurize LLM API events
 * in process (docs/featurize.md, docs/formats/features.md).
 *
 * A gateway that must not keep prompt text hands each request, as one line
 * of huella's event contract (JSON), to libhuella and logs what comes back:
 * the same event with `system`, `prompt` and `messages` replaced by a
 * `features` object of keyed hashes and scores.  `huella analyze` reaches
 * the same verdicts on those lines as on the raw ones.
 *
 *     #include <huella/huella.h>
 *
 *     struct hu_featurizer_options opt = HU_FEATURIZER_OPTIONS_INIT;
 *     opt.key_file = "/etc/huella/feature.key";
 *     struct hu_featurizer *fz;                      // once per process
 *     if (hu_featurizer_create(&opt, &fz, err, sizeof err) != HU_OK) ...
 *     struct hu_fz_session *s;                       // once per thread
 *     if (hu_fz_session_create(fz, &s) != HU_OK) ...
 *     const char *out; size_t out_len;
 *     int rc = hu_fz_session_line(s, line, len, &out, &out_len);
 *     if (rc > 0) log(out, out_len);                 // HU_LINE_*
 *     else if (rc == HU_EPARSE) count(hu_fz_session_reject_reason(s));
 *     hu_fz_session_destroy(s);
 *     hu_featurizer_destroy(fz);
 *
 * ABI.  The library is libhuella.so.HU_ABI_VERSION; it exports only the
 * functions below (a linker version script hides the engine), under
 * symbol versions: HUELLA_1 (0.1: the featurizer) and HUELLA_1.1 (0.2: the
 * decision client).  Compatible additions keep the soname and go into a
 * new version node, raising the minor version (huella.pc, hu_version());
 * a program that uses a newer node fails to load against an older
 * library, by name, rather than at the first call.  A change that breaks
 * callers bumps HU_ABI_VERSION.  Option structs start with
 * their size (struct_size), so new fields can be appended without breaking
 * programs built against an older header.  hu_abi_version() tells a
 * program which ABI it was loaded with.
 *
 * Threads.  A struct hu_featurizer is immutable once created: any number
 * of threads may use it at once.  A struct hu_fz_session is one thread's
 * scratch (parser, buffers): never use one from two threads at a time.
 * No call blocks, sleeps, or does I/O, except hu_featurizer_create (reads
 * key_file) and the first create in a process (compiles the phrase table,
 * 0.3-0.7 s).  There is no mutable global state: the compiled phrase
 * table is shared between featurizers of one process, immutable, with a
 * reference count under a mutex, and a few constant lookup tables are
 * built once (pthread_once).
 *
 * Ownership.  Every struct is allocated by its create and freed by its
 * destroy (destroy(NULL) does nothing).  Strings passed in are borrowed for
 * the call only.  Strings returned (out, obj, reason) are owned by the
 * session and stay valid until the session's next call or its destroy.
 *
 * Errors.  Functions return HU_OK (0), a positive outcome (HU_LINE_*), or a
 * negative status of hu_status.h; hu_status_str() says it in words.
 * Messages never contain the event's text.
 */
#ifndef HUELLA_H
#define HUELLA_H

#include <stddef.h>
#include <stdint.h>
#include "huella/hu_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI this header describes (the soname's number). */
#define HU_ABI_VERSION 1

/* HU_ABI_VERSION of the library actually loaded. */
int hu_abi_version(void);
/* Version of the library ("0.1.0"); static storage. */
const char *hu_version(void);

/* ---- the featurizer: one per process, shared by threads ------------------ */

struct hu_featurizer;

struct hu_featurizer_options {
    size_t struct_size;      /* sizeof(struct hu_featurizer_options) */
    /* The deployment key (16..4096 bytes of secret material, used as is):
     * from a file, or from memory when key_file is NULL.  The same key must
     * be given to `huella analyze --feature-key` for raw traffic of the
     * deployment to link with featurized traffic. */
    const char *key_file;
    const void *key;
    size_t key_len;
    /* 1: no key, plain hashes.  Must be set explicitly when no key is
     * given: unkeyed hashes of text can be tested against a dictionary of
     * common prompts by whoever holds them. */
    int unkeyed;
    /* The extraction-target model file (`huella train`; `make` builds
     * build/targets.model, `make install` puts it in
     * PREFIX/share/huella/targets.model); NULL: none, the phrase patterns
     * and request-shape hints alone.  Give the model `huella analyze` uses
     * (its default is the installed one), or the verdicts on featurized
     * traffic differ from those on raw traffic.  Since 0.3 (no new symbol);
     * an older caller's smaller struct_size leaves it NULL. */
    const char *model_file;
};
#define HU_FEATURIZER_OPTIONS_INIT { sizeof(struct hu_featurizer_options), NULL, NULL, 0, 0, NULL }

/* Create a featurizer.  HU_OK; HU_EINVAL (bad options: no key and not
 * unkeyed, a key of the wrong size, struct_size too small); HU_ENOENT /
 * HU_EIO (key file unreadable); HU_ENOMEM; HU_EINTERNAL.  On failure *out
 * is NULL and errbuf (if given) holds a reason.  Cost: reads the key; the
 * first featurizer of a process compiles the phrase table (0.3-0.7 s). */
HU_MUST_CHECK int hu_featurizer_create(const struct hu_featurizer_options *opt,
                                       struct hu_featurizer **out, char *errbuf, size_t errcap);
void hu_featurizer_destroy(struct hu_featurizer *fz);

/* Public id of the key (the `key` of every features object it writes),
 * 0 when unkeyed.  It reveals nothing about the key. */
uint64_t hu_featurizer_key_id(const struct hu_featurizer *fz);

/* ---- sessions: one per thread -------------------------------------------- */

struct hu_fz_session;

/* HU_OK, HU_EINVAL, HU_ENOMEM.  The featurizer must outlive the session. */
HU_MUST_CHECK int hu_fz_session_create(const struct hu_featurizer *fz, struct hu_fz_session **out);
void hu_fz_session_destroy(struct hu_fz_session *s);

/* Outcomes of hu_fz_session_line (positive). */
#define HU_LINE_FEATURIZED 1  /* text replaced by a new features object */
#define HU_LINE_KEPT       2  /* already featurized: copied as it is */
#define HU_LINE_NO_TEXT    3  /* no text to replace: copied */

/* Featurize one event line, line[0..len) (one JSON object of the event
 * contract; a trailing newline is allowed; no padding needed).  On success
 * *out / *out_len is the new line, without newline, NUL-terminated, owned
 * by the session.  Returns HU_LINE_*; HU_EPARSE when the line is not a
 * usable event (hu_fz_session_reject_reason says why; do not log the line:
 * it may hold text); HU_EINVAL; HU_ENOMEM; HU_ETOOBIG (line over 16 MiB).
 * Cost: O(len), about 6 us for a 1 KB request on one core
 * (bench/bench_featurize.c); no allocation in the steady state. */
HU_MUST_CHECK int hu_fz_session_line(struct hu_fz_session *s, const char *line, size_t len,
                                     const char **out, size_t *out_len);

/* The `features` object of the last successful line (for gateways that
 * write their own log lines): *obj / *len, NUL-terminated, owned by the
 * session; HU_OK, or HU_ENOENT when that line had none (HU_LINE_NO_TEXT). */
HU_MUST_CHECK int hu_fz_session_features(const struct hu_fz_session *s, const char **obj, size_t *len);

/* Why the last line was rejected ("missing_ts", "not_json", ...; the
 * reasons of docs/events.md), or NULL if it was not. */
const char *hu_fz_session_reject_reason(const struct hu_fz_session *s);

/* ---- the decision client (HUELLA_1.1) -------------------------------------
 *
 * Ask `huella serve` what to do with a request (POST /v1/decide,
 * docs/serve.md) from the gateway's own C code:
 *
 *     struct hu_client_config cc = HU_CLIENT_CONFIG_INIT;
 *     cc.base_url = "http://127.0.0.1:8787";
 *     cc.timeout_ms = 50;                            // in the request path
 *     cc.fail_action = HU_DECISION_ALLOW;            // fail open
 *     struct hu_client *c;                           // once per process
 *     if (hu_client_create(&cc, &c, err, sizeof err) != HU_OK) ...
 *     struct hu_decide_request rq = HU_DECIDE_REQUEST_INIT;
 *     rq.account_id = "acct-123"; rq.ip = "203.0.113.7";
 *     struct hu_client_decision d = HU_CLIENT_DECISION_INIT;
 *     int rc = hu_client_decide(c, &rq, &d);        // any thread
 *     enforce(d.action);              // always set, whatever rc says
 *     if (rc != HU_OK) count(hu_status_name(rc));    // fail action applied
 *     hu_client_destroy(c);
 *
 * Every call fills the decision: with huella's answer (rc == HU_OK,
 * served == 1), or with the configured fail action (served == 0) and a
 * status saying why: HU_ETIMEDOUT (no answer within timeout_ms: a hung or
 * overloaded service, an unreachable host), HU_EUNAVAIL (connection
 * refused or reset, or the service answered 503: it is up but cannot
 * decide), HU_EPARSE (an answer that is not a decision: 400/401/404, a
 * proxy's page).  A gateway enforces d.action in every case and alerts on
 * the status.
 *
 * Threads.  One struct hu_client serves any number of threads at once:
 * each call borrows an idle connection (libcurl easy handle) from the
 * client's pool under a mutex held for the borrow only, never during I/O,
 * and returns it afterwards, so keep-alive connections are reused and
 * calls never wait for each other.  hu_client_decide blocks for at most
 * about timeout_ms (plus name resolution when base_url is a host name:
 * use a numeric address in the request path).  No signals are used
 * (CURLOPT_NOSIGNAL).
 *
 * libcurl's global state.  libcurl needs curl_global_init() before use and
 * curl_global_cleanup() after.  hu_client_create calls curl_global_init
 * and hu_client_destroy calls curl_global_cleanup, once each per client.
 * libcurl counts these calls, so clients, and the application's own use
 * of libcurl, can come and go in any order; with libcurl 7.84 or later
 * built thread-safe (CURL_VERSION_THREADSAFE; Debian 12's libcurl is)
 * they may also be created and destroyed from any thread at any time.
 * With an older libcurl the two calls are not thread-safe: create clients
 * before starting threads, or call curl_global_init yourself first.
 * libhuella keeps no state of its own for this (no library-wide lock).
 *
 * Ownership.  The config and request strings are borrowed for the call
 * only (the token file is read once, by create).  The decision is the
 * caller's memory, filled in place: no free needed.  Nothing of the
 * request is logged; nothing but the fields of the request is sent.
 */

/* What to enforce: the actions of docs/policy.md, mildest first. */
enum hu_decision_action {
    HU_DECISION_ALLOW = 0,
    HU_DECISION_MONITOR = 1,
    HU_DECISION_THROTTLE = 2,
    HU_DECISION_VERIFY = 3,
    HU_DECISION_WITHHOLD_REASONING = 4,   /* keep access, strip reasoning blocks */
    HU_DECISION_BLOCK = 5
};

/* "allow", "monitor", ...; "unknown" outside the enum.  Static storage. */
const char *hu_decision_action_name(int action);

struct hu_client;

struct hu_client_config {
    size_t struct_size;      /* sizeof(struct hu_client_config) */
    /* Where huella serve listens: "http://127.0.0.1:8787" (http or https,
     * no path).  Required. */
    const char *base_url;
    /* The most a decision may take, connect included, in ms; 0 means 250.
     * At most 60000. */
    unsigned timeout_ms;
    /* The action when there is no decision (timeout, service down, a bad
     * answer): HU_DECISION_ALLOW fails open (the default), HU_DECISION_BLOCK
     * fails closed; any action of the enum is accepted. */
    int fail_action;
    /* Optional: a file whose first line is a bearer token, sent as
     * `Authorization: Bearer TOKEN` (for a proxy or service in front that
     * requires one).  1..4096 visible ASCII characters. */
    const char *token_file;
    /* Idle connections kept for reuse; 0 means 16.  Threads beyond it
     * still get a connection, which is closed after their call. */
    unsigned max_idle;
};
#define HU_CLIENT_CONFIG_INIT { sizeof(struct hu_client_config), NULL, 0, HU_DECISION_ALLOW, NULL, 0 }

/* The facts of one request (docs/serve.md, "POST /v1/decide").  Strings
 * are NUL-terminated UTF-8, NULL when unknown (not sent). */
struct hu_decide_request {
    size_t struct_size;      /* sizeof(struct hu_decide_request) */
    const char *account_id;  /* required: from the gateway's own auth, never a client header */
    const char *org_id;
    const char *api_key_id;
    const char *ip;
    const char *client_fp;   /* JA4 or similar */
    const char *model;
    int thinking;            /* -1 unknown, 0 off, 1 on */
    int n_tools;             /* tools declared; -1 unknown */
};
#define HU_DECIDE_REQUEST_INIT \
    { sizeof(struct hu_decide_request), NULL, NULL, NULL, NULL, NULL, NULL, -1, -1 }

/* A decision, the caller's memory.  Set struct_size (the INIT macro does):
 * the library writes no byte past it. */
struct hu_client_decision {
    size_t struct_size;      /* sizeof(struct hu_client_decision) */
    int action;              /* enum hu_decision_action: enforce this, always set */
    int would;               /* what the policy decided (differs in shadow mode) */
    int served;              /* 1: huella decided; 0: the fail action */
    int http_status;         /* of the answer; 0 when there was none */
    double score;            /* 0..1; 0 when not served */
    char decision_id[32];    /* "d-..." (quote it in appeals); "" when not served */
    char campaign[32];       /* "C-..." or "" */
    char reasons[256];       /* reason codes, comma-separated, strongest first; "" none */
    unsigned retry_after_s;  /* Retry-After (throttled, or 503), 0 when absent */
    int withhold_reasoning;  /* 1: strip or summarise reasoning in the answer relayed */
};
#define HU_CLIENT_DECISION_INIT { sizeof(struct hu_client_decision), 0, 0, 0, 0, 0.0, "", "", "", 0, 0 }

/* Create a client.  HU_OK; HU_EINVAL (no base_url, a URL that is not
 * http(s)://, timeout over 60000 ms, a fail_action outside the enum,
 * struct_size too small); HU_ENOENT / HU_EIO / HU_EPARSE (token file
 * unreadable, empty or not a token); HU_ENOMEM; HU_EINTERNAL (libcurl
 * failed to initialise).  On failure *out is NULL and errbuf (if given)
 * says why.  No connection is made: a service down at start-up is found
 * by the first decide.  Cost: reads the token file. */
HU_MUST_CHECK int hu_client_create(const struct hu_client_config *cfg, struct hu_client **out,
                                   char *errbuf, size_t errcap);
/* Close the connections and free the client.  No call on it may be in
 * flight.  NULL does nothing. */
void hu_client_destroy(struct hu_client *c);

/* Ask for a decision: POST {base_url}/v1/decide?mode=native with the
 * request's fields as JSON.  Fills *out (see above) and returns HU_OK
 * (served), HU_ETIMEDOUT, HU_EUNAVAIL, HU_EPARSE (not served: the fail
 * action), or, without asking, HU_EINVAL (NULL arguments, no account_id,
 * struct_size too small; out is still filled with the fail action when
 * it can be), HU_EUTF8 (a field is not UTF-8), HU_ETOOBIG (a field over
 * 1024 bytes), HU_ENOMEM.  Thread-safe; blocks up to about timeout_ms.
 * Cost: one HTTP round trip on a kept-alive connection (on loopback, p50
 * 24 us and p99 45 us from one thread, docs/featurize.md), plus a connect
 * when no idle connection is left. */
HU_MUST_CHECK int hu_client_decide(struct hu_client *c, const struct hu_decide_request *req,
                                   struct hu_client_decision *out);

#ifdef __cplusplus
}
#endif

#endif
