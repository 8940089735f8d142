/*
 * decide.h -- the pure half of a decision: what a request says about
 * itself (headers a gateway forwards, or a JSON body), and how a decision
 * becomes an HTTP answer (native or nginx mode).  No I/O, no locks, no
 * global state, so every mapping is unit-tested without a server
 * (tests/unit/test_serve.c); serve/server.c glues it to libmicrohttpd and
 * serve/engine.c supplies the decision itself.
 *
 * Answer mapping (docs/serve.md has the table with examples):
 *
 *   action              native                         nginx mode
 *   allow, monitor      200                            200
 *   withhold_reasoning  200 + X-Huella-Withhold-Reasoning: 1   (same)
 *   throttle (over q)   429 + Retry-After + RateLimit*  403 + X-Huella-Decision: throttle + Retry-After
 *   throttle (under q)  200 + RateLimit*                200
 *   verify, block       403 + OpenAI-style error        403
 *   internal error      503 + Retry-After (never 403, so fail-open works)
 */
#ifndef HU_SERVE_DECIDE_H
#define HU_SERVE_DECIDE_H

#include <stddef.h>
#include <stdint.h>
#include "core/limits.h"
#include "huella/hu_status.h"
#include "score/policy.h"

/* ---- the request ------------------------------------------------------ */

/* Short fixed fields: a value longer than its field is refused (HU_ETOOBIG
 * -> 400) rather than truncated, so two long ids never collide. */
#define HU_DECIDE_SHORT 256u

struct hu_decide_req {
    char account_id[HU_MAX_ID_BYTES + 1];
    char org_id[HU_MAX_ID_BYTES + 1];
    char api_key_id[HU_MAX_ID_BYTES + 1];
    char ip[HU_DECIDE_SHORT];
    char client_fp[HU_DECIDE_SHORT];
    char model[HU_DECIDE_SHORT];
    int thinking;               /* -1 unknown, 0 off, 1 on */
    int n_tools;                /* -1 unknown */
};

/* Header lookup: the value of header `name` (case-insensitive), or NULL. */
typedef const char *(*hu_header_fn)(void *ctx, const char *name);

/* Fill `r` from forwarded headers (X-Huella-Account / X-Account-Id,
 * X-Huella-Org, X-Huella-Key / X-Api-Key-Id, X-Huella-Ip / X-Real-IP /
 * first X-Forwarded-For hop, X-Huella-Client-Fp / X-JA4, X-Huella-Model,
 * X-Huella-Thinking, X-Huella-Tools).  Resets `r` first.  HU_OK or
 * HU_ETOOBIG naming the header in `what`. */
HU_MUST_CHECK int hu_decide_req_from_headers(struct hu_decide_req *r, hu_header_fn get,
                                             void *ctx, const char **what);

/* Overlay the JSON body (an object: account_id, org_id, api_key_id, ip,
 * client_fp, model, thinking (bool or number), tools (array or number))
 * on `r`: a field present in the body wins over its header.  HU_OK;
 * HU_EPARSE (not JSON, not an object), HU_ETYPE (a field of the wrong
 * type) or HU_ETOOBIG, naming the field in `what`.  O(len); len is
 * capped by the caller (HU_SERVE_MAX_SMALL_BODY). */
HU_MUST_CHECK int hu_decide_req_from_json(struct hu_decide_req *r, const char *body, size_t len,
                                          const char **what);

/* ---- the decision ----------------------------------------------------- */

/* Where the action came from, strongest first when several apply. */
#define HU_SOURCE_MAP(X)                                                    \
    X(POLICY,    "policy")     /* score and policy thresholds */            \
    X(OVERRIDE,  "override")   /* an analyst's block/throttle/verify */     \
    X(UNBLOCK,   "unblock")    /* an analyst's unblock (allow) */           \
    X(ALLOWLIST, "allowlist")  /* policy file or runtime allowlist */       \
    X(UNKNOWN,   "unknown_account")

enum hu_decision_source {
#define HU__SRC_ENUM(name, str) HU_SOURCE_##name,
    HU_SOURCE_MAP(HU__SRC_ENUM)
#undef HU__SRC_ENUM
    HU_SOURCE_COUNT
};
const char *hu_decision_source_name(enum hu_decision_source s);

struct hu_served_decision {
    char id[32];                    /* decision id, see hu_decision_id_format */
    enum hu_action action;          /* enforced */
    enum hu_action would;           /* before shadow mode */
    enum hu_decision_source source;
    int shadow;                     /* policy in shadow mode: action was lowered */
    int known;                      /* the account is in the snapshot */
    double score;
    char campaign[24];              /* "" none */
    char reasons[256];              /* "code=value;code=value" strongest first */
    /* throttle window state (filled for throttle) */
    uint32_t quota, remaining, window_s, reset_s;
};

/* Format a sortable, unique decision id from a wall-clock time in ms and
 * a process-wide counter: "d-" 12 hex digits of ms "-" 6 hex digits of the
 * counter.  Lexicographic order is time order. */
void hu_decision_id_format(char *out, size_t cap, int64_t now_ms, uint64_t counter);

/* ---- the answer ------------------------------------------------------- */

enum hu_answer_mode { HU_MODE_NATIVE = 0, HU_MODE_NGINX = 1 };

#define HU_ANSWER_MAX_HEADERS 12

struct hu_answer {
    unsigned status;
    size_t n_headers;
    struct { const char *name; char value[288]; } headers[HU_ANSWER_MAX_HEADERS];
    char body[1024];
    size_t body_len;
};

/* Map a decision to status, headers and a JSON body.  Pure.  The body of a
 * refusal is OpenAI-style: {"error":{"type","code","message","decision_id"}};
 * it names a public reason code, never detection internals. */
void hu_answer_decision(const struct hu_served_decision *d, enum hu_answer_mode mode,
                        int over_quota, struct hu_answer *out);

/* The answer to an internal failure: 503, Retry-After: 1, an error body.
 * Used in every mode (a gateway's fail-open applies to 5xx only). */
void hu_answer_internal_error(const char *code, struct hu_answer *out);

/* Public error code for an action ("account_blocked", ...). */
const char *hu_answer_error_code(enum hu_action a);

#endif
