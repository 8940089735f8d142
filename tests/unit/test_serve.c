/* test_serve.c -- the decision service without a network: request facts
 * from headers and bodies, answer mapping (native vs nginx, 200/429/403/
 * 503), decision ids, and the engine (journal -> worker -> snapshot,
 * overrides and allowlist, restart, policy reload refusal). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/alloc.h"
#include "core/log.h"
#include "serve/decide.h"
#include "serve/engine.h"

/* ---- headers --------------------------------------------------------------------- */

struct hdrs {
    const char *kv[16][2];
};

static const char *get_hdr(void *ctx, const char *name)
{
    struct hdrs *h = ctx;
    for (int i = 0; i < 16 && h->kv[i][0]; i++)
        if (!strcasecmp(h->kv[i][0], name))
            return h->kv[i][1];
    return NULL;
}

static void headers_basic(void **state)
{
    (void)state;
    struct hdrs h = { { { "x-account-id", "acct-2" },
                        { "X-Huella-Account", "acct-1" },
                        { "X-Forwarded-For", " 203.0.113.9 , 10.0.0.1" },
                        { "X-JA4", "t13d1516h2_8daaf6152771_02713d6af862" },
                        { "X-Huella-Model", "model-x" },
                        { "X-Huella-Thinking", "2048" },
                        { "X-Huella-Tools", "a,b,c" },
                        { "X-Org-Id", "org-9" } } };
    struct hu_decide_req r;
    const char *what = "x";
    assert_int_equal(hu_decide_req_from_headers(&r, get_hdr, &h, &what), HU_OK);
    assert_null(what);
    assert_string_equal(r.account_id, "acct-1");   /* X-Huella-Account wins */
    assert_string_equal(r.ip, "203.0.113.9");       /* first hop, trimmed */
    assert_string_equal(r.client_fp, "t13d1516h2_8daaf6152771_02713d6af862");
    assert_string_equal(r.model, "model-x");
    assert_string_equal(r.org_id, "org-9");
    assert_int_equal(r.thinking, 1);
    assert_int_equal(r.n_tools, 3);
    assert_string_equal(r.api_key_id, "");

    struct hdrs h2 = { { { "X-Real-IP", "198.51.100.1" }, { "X-Forwarded-For", "1.1.1.1" },
                         { "X-Huella-Thinking", "false" }, { "X-Huella-Tools", "7" } } };
    assert_int_equal(hu_decide_req_from_headers(&r, get_hdr, &h2, &what), HU_OK);
    assert_string_equal(r.ip, "198.51.100.1");
    assert_string_equal(r.account_id, "");
    assert_int_equal(r.thinking, 0);
    assert_int_equal(r.n_tools, 7);

    /* no headers at all */
    struct hdrs none = { { { NULL, NULL } } };
    assert_int_equal(hu_decide_req_from_headers(&r, get_hdr, &none, &what), HU_OK);
    assert_int_equal(r.thinking, -1);
    assert_int_equal(r.n_tools, -1);
}

static void headers_too_long(void **state)
{
    (void)state;
    char *big = malloc(HU_MAX_ID_BYTES + 2);
    memset(big, 'a', HU_MAX_ID_BYTES + 1);
    big[HU_MAX_ID_BYTES + 1] = 0;
    struct hdrs h = { { { "X-Huella-Account", big } } };
    struct hu_decide_req r;
    const char *what = NULL;
    assert_int_equal(hu_decide_req_from_headers(&r, get_hdr, &h, &what), HU_ETOOBIG);
    assert_string_equal(what, "X-Huella-Account");
    big[HU_MAX_ID_BYTES] = 0;   /* exactly the limit is fine */
    assert_int_equal(hu_decide_req_from_headers(&r, get_hdr, &h, &what), HU_OK);
    assert_int_equal(strlen(r.account_id), HU_MAX_ID_BYTES);
    free(big);
}

static int from_json(struct hu_decide_req *r, const char *body, const char **what)
{
    return hu_decide_req_from_json(r, body, strlen(body), what);
}

static void body_over_headers(void **state)
{
    (void)state;
    struct hdrs h = { { { "X-Huella-Account", "from-header" }, { "X-Real-IP", "192.0.2.1" } } };
    struct hu_decide_req r;
    const char *what;
    assert_int_equal(hu_decide_req_from_headers(&r, get_hdr, &h, &what), HU_OK);
    assert_int_equal(from_json(&r, "{\"account_id\":\"from-body\",\"thinking\":{\"type\":\"enabled\","
                                   "\"budget_tokens\":1024},\"tools\":[{\"name\":\"a\"},{\"name\":\"b\"}],"
                                   "\"model\":null}  \n", &what), HU_OK);
    assert_string_equal(r.account_id, "from-body");
    assert_string_equal(r.ip, "192.0.2.1");          /* absent in body: header kept */
    assert_int_equal(r.thinking, 1);
    assert_int_equal(r.n_tools, 2);
    assert_string_equal(r.model, "");
    /* empty and whitespace bodies mean "headers only" */
    assert_int_equal(from_json(&r, "", &what), HU_OK);
    assert_int_equal(from_json(&r, " \r\n", &what), HU_OK);
    assert_string_equal(r.account_id, "from-body");
}

static void body_refusals(void **state)
{
    (void)state;
    struct hu_decide_req r;
    const char *what = NULL;
    memset(&r, 0, sizeof r);
    assert_int_equal(from_json(&r, "{\"account_id\":", &what), HU_EPARSE);
    assert_int_equal(from_json(&r, "[1,2]", &what), HU_EPARSE);
    assert_int_equal(from_json(&r, "{} {}", &what), HU_EPARSE);
    assert_int_equal(from_json(&r, "{\"a\":1} x", &what), HU_EPARSE);
    assert_int_equal(from_json(&r, "{\"account_id\":5}", &what), HU_ETYPE);
    assert_string_equal(what, "account_id");
    assert_int_equal(from_json(&r, "{\"thinking\":\"yes\"}", &what), HU_ETYPE);
    assert_string_equal(what, "thinking");
    assert_int_equal(from_json(&r, "{\"tools\":\"x\"}", &what), HU_ETYPE);
    assert_int_equal(from_json(&r, "{\"ip\":\"\xff\xfe\"}", &what), HU_EPARSE);   /* bad UTF-8 */
    /* deeper than the nesting cap */
    char deep[400];
    size_t n = 0;
    deep[n++] = '{';
    memcpy(deep + n, "\"x\":", 4);
    n += 4;
    for (int i = 0; i < 150; i++)
        deep[n++] = '[';
    deep[n] = 0;
    assert_int_equal(from_json(&r, deep, &what), HU_EPARSE);
    char big[HU_DECIDE_SHORT + 40];
    snprintf(big, sizeof big, "{\"model\":\"%0*d\"}", HU_DECIDE_SHORT, 7);
    assert_int_equal(from_json(&r, big, &what), HU_ETOOBIG);
    assert_string_equal(what, "model");
}

/* ---- answers ---------------------------------------------------------------------- */

static const char *hval(const struct hu_answer *a, const char *name)
{
    for (size_t i = 0; i < a->n_headers; i++)
        if (!strcasecmp(a->headers[i].name, name))
            return a->headers[i].value;
    return NULL;
}

static struct hu_served_decision mk(enum hu_action act)
{
    struct hu_served_decision d;
    memset(&d, 0, sizeof d);
    snprintf(d.id, sizeof d.id, "d-000000000001-000002");
    d.action = d.would = act;
    d.score = 0.5;
    snprintf(d.reasons, sizeof d.reasons, "shared_payment=12;reasoning=0.87");
    snprintf(d.campaign, sizeof d.campaign, "C-0123456789ab");
    d.quota = 10;
    d.window_s = 60;
    d.reset_s = 42;
    d.remaining = 3;
    return d;
}

static void answers_native(void **state)
{
    (void)state;
    struct hu_answer a;
    struct hu_served_decision d = mk(HU_ACTION_ALLOW);
    hu_answer_decision(&d, HU_MODE_NATIVE, 0, &a);
    assert_int_equal(a.status, 200);
    assert_string_equal(hval(&a, "X-Huella-Decision"), "allow");
    assert_string_equal(hval(&a, "X-Huella-Decision-Id"), d.id);
    assert_string_equal(hval(&a, "X-Huella-Reason"), "shared_payment,reasoning");
    assert_null(hval(&a, "Retry-After"));
    assert_null(hval(&a, "X-Huella-Withhold-Reasoning"));
    assert_non_null(strstr(a.body, "\"reasons\":[\"shared_payment\",\"reasoning\"]"));

    d = mk(HU_ACTION_MONITOR);
    hu_answer_decision(&d, HU_MODE_NATIVE, 0, &a);
    assert_int_equal(a.status, 200);

    d = mk(HU_ACTION_THROTTLE);
    hu_answer_decision(&d, HU_MODE_NATIVE, 1, &a);
    assert_int_equal(a.status, 429);
    assert_string_equal(hval(&a, "Retry-After"), "42");
    assert_string_equal(hval(&a, "RateLimit-Policy"), "\"huella-throttle\";q=10;w=60");
    assert_string_equal(hval(&a, "RateLimit"), "\"huella-throttle\";r=0;t=42");
    assert_non_null(strstr(a.body, "\"type\":\"rate_limit_error\""));
    assert_non_null(strstr(a.body, "\"code\":\"account_throttled\""));
    assert_non_null(strstr(a.body, "\"decision_id\":\"d-000000000001-000002\""));
    assert_null(strstr(a.body, "shared_payment"));   /* no internals to the client */
    /* under quota: allowed, with the remaining budget */
    hu_answer_decision(&d, HU_MODE_NATIVE, 0, &a);
    assert_int_equal(a.status, 200);
    assert_null(hval(&a, "Retry-After"));
    assert_string_equal(hval(&a, "RateLimit"), "\"huella-throttle\";r=3;t=42");

    d = mk(HU_ACTION_VERIFY);
    hu_answer_decision(&d, HU_MODE_NATIVE, 0, &a);
    assert_int_equal(a.status, 403);
    assert_non_null(strstr(a.body, "\"code\":\"verification_required\""));

    d = mk(HU_ACTION_WITHHOLD);
    hu_answer_decision(&d, HU_MODE_NATIVE, 0, &a);
    assert_int_equal(a.status, 200);
    assert_string_equal(hval(&a, "X-Huella-Withhold-Reasoning"), "1");

    d = mk(HU_ACTION_BLOCK);
    hu_answer_decision(&d, HU_MODE_NATIVE, 0, &a);
    assert_int_equal(a.status, 403);
    assert_non_null(strstr(a.body, "\"code\":\"account_blocked\""));
    assert_non_null(strstr(a.body, "\"type\":\"permission_error\""));
    assert_int_equal(a.body_len, strlen(a.body));

    /* shadow: enforced allow, the header says what would have happened */
    d = mk(HU_ACTION_ALLOW);
    d.would = HU_ACTION_BLOCK;
    d.shadow = 1;
    hu_answer_decision(&d, HU_MODE_NATIVE, 0, &a);
    assert_int_equal(a.status, 200);
    assert_string_equal(hval(&a, "X-Huella-Shadow"), "block");
}

static void answers_nginx(void **state)
{
    (void)state;
    /* every action, over quota or not: only 200 or 403 */
    for (int act = 0; act < HU_ACTION_COUNT; act++) {
        for (int over = 0; over < 2; over++) {
            struct hu_served_decision d = mk((enum hu_action)act);
            struct hu_answer a;
            hu_answer_decision(&d, HU_MODE_NGINX, over, &a);
            assert_true(a.status == 200 || a.status == 403);
            assert_string_equal(hval(&a, "X-Huella-Decision"), hu_action_name((enum hu_action)act));
            int refused = act == HU_ACTION_BLOCK || act == HU_ACTION_VERIFY ||
                          (act == HU_ACTION_THROTTLE && over);
            assert_int_equal(a.status, refused ? 403 : 200);
            if (act == HU_ACTION_THROTTLE && over)
                assert_string_equal(hval(&a, "Retry-After"), "42");
            assert_null(hval(&a, "RateLimit"));
        }
    }
    struct hu_answer e;
    hu_answer_internal_error(NULL, &e);
    assert_int_equal(e.status, 503);   /* never 403: fail-open must work */
    assert_string_equal(hval(&e, "Retry-After"), "1");
    assert_non_null(strstr(e.body, "internal_error"));
}

static void decision_ids(void **state)
{
    (void)state;
    char a[32], b[32], c[32];
    hu_decision_id_format(a, sizeof a, 1700000000000, 5);
    hu_decision_id_format(b, sizeof b, 1700000000000, 6);
    hu_decision_id_format(c, sizeof c, 1700000000001, 0);
    assert_int_equal(strlen(a), 21);
    assert_true(strcmp(a, b) < 0);
    assert_true(strcmp(b, c) < 0);
    assert_string_equal(a, "d-018bcfe56800-000005");
}

/* ---- the engine ------------------------------------------------------------------- */

static char dir[64];

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void wait_caught_up(struct hu_engine *e)
{
    struct hu_engine_status st;
    for (int i = 0; i < 500; i++) {   /* at most 5 s */
        hu_engine_status(e, &st);
        if (st.snapshot_seq == st.journal_seq && st.applied_seq == st.journal_seq && !st.replaying)
            return;
        struct timespec ts = { 0, 10 * 1000000L };
        nanosleep(&ts, NULL);
    }
    fail_msg("the worker did not catch up: journal %llu applied %llu snapshot %llu",
             (unsigned long long)st.journal_seq, (unsigned long long)st.applied_seq,
             (unsigned long long)st.snapshot_seq);
}

static enum hu_action decide_for(struct hu_engine *e, const char *acct, struct hu_served_decision *d)
{
    struct hu_decide_req r;
    memset(&r, 0, sizeof r);
    snprintf(r.account_id, sizeof r.account_id, "%s", acct);
    int over;
    assert_int_equal(hu_engine_decide(e, &r, d, &over), HU_OK);
    return d->action;
}

static void engine_events_overrides_restart(void **state)
{
    (void)state;
    char db[128];
    snprintf(db, sizeof db, "%s/e.db", dir);
    struct hu_engine_opts o = { .db_path = db, .relink_ms = 10, .checkpoint_ms = 10 };
    struct hu_engine *e = NULL;
    char err[512];
    assert_int_equal(hu_engine_create(&o, &e, err, sizeof err), HU_OK);
    assert_int_equal(hu_engine_start(e), HU_OK);

    const char body[] = "{\"ts\":1700000000,\"account_id\":\"a1\"}\n"
                        "not json\n"
                        "\n"
                        "{\"ts\":1700000001,\"account_id\":\"a2\"}\r\n"
                        "{\"account_id\":\"a3\"}\n"
                        "{\"ts\":1700000002,\"account_id\":\"a1\"}";
    struct hu_events_result *res = malloc(sizeof *res);
    assert_int_equal(hu_engine_post_events(e, body, sizeof body - 1, res), HU_OK);
    assert_int_equal(res->lines, 6);
    assert_int_equal(res->accepted, 3);
    assert_int_equal(res->rejected, 2);
    assert_int_equal(res->blank, 1);
    assert_int_equal(res->n_errors, 2);
    assert_int_equal(res->errors[0].line, 2);
    assert_int_equal(res->errors[1].line, 5);
    assert_string_equal(res->errors[1].reason, "missing_ts");
    assert_int_equal(res->first_seq, 1);
    assert_int_equal(res->last_seq, 3);
    wait_caught_up(e);

    struct hu_served_decision d;
    assert_int_equal(decide_for(e, "a1", &d), HU_ACTION_ALLOW);
    assert_true(d.known);
    assert_int_equal(d.source, HU_SOURCE_POLICY);
    assert_int_equal(decide_for(e, "nobody", &d), HU_ACTION_ALLOW);   /* unknown: allow, 0 */
    assert_false(d.known);
    assert_int_equal(d.source, HU_SOURCE_UNKNOWN);
    assert_true(d.score == 0.0);

    struct hu_buf b;
    hu_buf_init(&b, 1 << 20);
    assert_int_equal(hu_engine_account_json(e, "a1", 2, &b), HU_OK);
    assert_non_null(strstr(b.ptr, "\"requests\":2"));
    assert_non_null(strstr(b.ptr, "\"known\":true"));
    hu_buf_reset(&b);

    /* manual actions, audited, durable */
    assert_int_equal(hu_engine_account_set(e, HU_STORE_OVERRIDE, "a2", HU_ACTION_BLOCK, "alice",
                                           "override", "ticket 1"), HU_OK);
    assert_int_equal(decide_for(e, "a2", &d), HU_ACTION_BLOCK);
    assert_int_equal(d.source, HU_SOURCE_OVERRIDE);
    assert_int_equal(hu_engine_account_set(e, HU_STORE_OVERRIDE, "a3", HU_ACTION_THROTTLE, "alice",
                                           "override", "ticket 2"), HU_OK);
    int over = 0;
    struct hu_decide_req r;
    memset(&r, 0, sizeof r);
    snprintf(r.account_id, sizeof r.account_id, "a3");
    assert_int_equal(hu_engine_decide(e, &r, &d, &over), HU_OK);
    assert_int_equal(d.action, HU_ACTION_THROTTLE);
    assert_int_equal(over, 1);   /* quota 0: every request over */
    assert_true(d.reset_s >= 1 && d.reset_s <= 60);
    assert_int_equal(hu_engine_account_set(e, HU_STORE_ALLOWLIST, "a3", HU_ACTION_ALLOW, "bob",
                                           "allowlist_add", "partner"), HU_OK);
    assert_int_equal(decide_for(e, "a3", &d), HU_ACTION_THROTTLE);   /* override beats allowlist */
    assert_int_equal(hu_engine_account_set(e, HU_STORE_OVERRIDE, "a3", -1, "bob", "clear",
                                           "done"), HU_OK);
    assert_int_equal(decide_for(e, "a3", &d), HU_ACTION_ALLOW);
    assert_int_equal(d.source, HU_SOURCE_ALLOWLIST);
    assert_int_equal(hu_engine_account_set(e, HU_STORE_OVERRIDE, "", HU_ACTION_BLOCK, "x", "y",
                                           "z"), HU_EINVAL);
    hu_engine_destroy(e);

    /* restart: overrides, allowlist and the checkpoint are back at once */
    e = NULL;
    assert_int_equal(hu_engine_create(&o, &e, err, sizeof err), HU_OK);
    assert_int_equal(decide_for(e, "a2", &d), HU_ACTION_BLOCK);
    assert_int_equal(decide_for(e, "a3", &d), HU_ACTION_ALLOW);
    assert_int_equal(d.source, HU_SOURCE_ALLOWLIST);
    assert_int_equal(decide_for(e, "a1", &d), HU_ACTION_ALLOW);
    assert_true(d.known);   /* from the checkpoint, before any replay */
    struct hu_engine_status st;
    hu_engine_status(e, &st);
    assert_int_equal(st.journal_seq, 3);
    assert_int_equal(st.snapshot_seq, 3);
    assert_int_equal(st.applied_seq, 3);   /* profiles restored from the checkpoint */
    assert_false(st.replaying);            /* nothing after it to replay */
    assert_int_equal(hu_engine_start(e), HU_OK);
    wait_caught_up(e);
    assert_int_equal(hu_engine_account_json(e, "a1", 2, &b), HU_OK);
    assert_non_null(strstr(b.ptr, "\"requests\":2"));   /* restored, not doubled */
    hu_buf_reset(&b);
    assert_int_equal(hu_engine_audit_json(e, 0, &b), HU_OK);
    assert_non_null(strstr(b.ptr, "\"actor\":\"alice\",\"verb\":\"override\",\"account_id\":\"a2\","
                                  "\"reason\":\"ticket 1\""));
    hu_buf_fini(&b);
    hu_engine_destroy(e);
    free(res);
}

static void engine_throttle_window(void **state)
{
    (void)state;
    char db[128];
    snprintf(db, sizeof db, "%s/t.db", dir);
    struct hu_engine_opts o = { .db_path = db, .throttle_quota = 3, .throttle_window_s = 86400 };
    struct hu_engine *e = NULL;
    assert_int_equal(hu_engine_create(&o, &e, NULL, 0), HU_OK);
    assert_int_equal(hu_engine_account_set(e, HU_STORE_OVERRIDE, "slow", HU_ACTION_THROTTLE, "t",
                                           "override", "r"), HU_OK);
    assert_int_equal(hu_engine_account_set(e, HU_STORE_OVERRIDE, "slow2", HU_ACTION_THROTTLE, "t",
                                           "override", "r"), HU_OK);
    struct hu_decide_req r;
    memset(&r, 0, sizeof r);
    snprintf(r.account_id, sizeof r.account_id, "slow");
    struct hu_served_decision d;
    int over;
    /* 3 per window, then over; the quota is per account */
    for (int i = 0; i < 3; i++) {
        assert_int_equal(hu_engine_decide(e, &r, &d, &over), HU_OK);
        assert_int_equal(over, 0);
        assert_int_equal(d.remaining, (uint32_t)(2 - i));
        assert_int_equal(d.quota, 3);
        assert_int_equal(d.window_s, 86400);
    }
    assert_int_equal(hu_engine_decide(e, &r, &d, &over), HU_OK);
    assert_int_equal(over, 1);
    assert_int_equal(d.remaining, 0);
    snprintf(r.account_id, sizeof r.account_id, "slow2");
    assert_int_equal(hu_engine_decide(e, &r, &d, &over), HU_OK);
    assert_int_equal(over, 0);
    struct hu_answer a;
    hu_answer_decision(&d, HU_MODE_NATIVE, over, &a);
    assert_int_equal(a.status, 200);
    hu_engine_destroy(e);
}

/* hu_engine_set_events_sink (serve --publish-events): the good lines go to
 * the sink with their line numbers, trimmed, never to the journal; a sink
 * failure accepts nothing (503); the sink's metrics are appended. */
struct sink_rec {
    int fail;
    size_t calls, n;
    char lines[4][64];
    uint64_t nos[4];
    size_t body_len;
};

static int fake_sink(void *ctx, const char *body, size_t body_len, const char *const *lines, const size_t *lens,
                     const uint64_t *line_nos, size_t n)
{
    struct sink_rec *r = ctx;
    (void)body;
    r->calls++;
    r->body_len = body_len;
    if (r->fail)
        return HU_EIO;
    r->n = n;
    for (size_t i = 0; i < n && i < 4; i++) {
        snprintf(r->lines[i], sizeof r->lines[i], "%.*s", (int)lens[i], lines[i]);
        r->nos[i] = line_nos[i];
    }
    return HU_OK;
}

static int fake_sink_metrics(void *ctx, struct hu_buf *out)
{
    (void)ctx;
    return hu_buf_adds(out, "fake_sink_metric 1\n");
}

static void engine_events_sink(void **state)
{
    (void)state;
    char db[128];
    snprintf(db, sizeof db, "%s/sink.db", dir);
    struct hu_engine_opts o = { .db_path = db };
    struct hu_engine *e = NULL;
    assert_int_equal(hu_engine_create(&o, &e, NULL, 0), HU_OK);
    struct sink_rec rec = { .fail = 1 };
    hu_engine_set_events_sink(e, fake_sink, fake_sink_metrics, &rec);
    static const char body[] = "{\"ts\":1770000000,\"account_id\":\"a1\"}\n"
                               "\n"
                               "{\"account_id\":\"no-ts\"}\n"
                               "{\"ts\":1770000001,\"account_id\":\"a2\"}\r\n";
    struct hu_events_result *res = malloc(sizeof *res);
    assert_non_null(res);
    assert_int_equal(hu_engine_post_events(e, body, sizeof body - 1, res), HU_EIO);
    assert_int_equal(rec.calls, 1);
    assert_int_equal(rec.body_len, sizeof body - 1);
    rec.fail = 0;
    assert_int_equal(hu_engine_post_events(e, body, sizeof body - 1, res), HU_OK);
    assert_int_equal(res->accepted, 2);
    assert_int_equal(res->rejected, 1);
    assert_int_equal(res->blank, 1);
    assert_int_equal(res->n_errors, 1);
    assert_int_equal(res->errors[0].line, 3);
    assert_int_equal(rec.n, 2);
    assert_string_equal(rec.lines[0], "{\"ts\":1770000000,\"account_id\":\"a1\"}");
    assert_string_equal(rec.lines[1], "{\"ts\":1770000001,\"account_id\":\"a2\"}");
    assert_int_equal(rec.nos[0], 1);
    assert_int_equal(rec.nos[1], 4);
    /* nothing journaled */
    struct hu_engine_status st;
    hu_engine_status(e, &st);
    assert_int_equal(st.journal_seq, 0);
    /* a body with no good line never reaches the sink */
    rec.calls = 0;
    assert_int_equal(hu_engine_post_events(e, "nope\n", 5, res), HU_OK);
    assert_int_equal(res->accepted, 0);
    assert_int_equal(rec.calls, 0);
    struct hu_buf b;
    hu_buf_init(&b, 1u << 20);
    assert_int_equal(hu_engine_metrics(e, &b), HU_OK);
    assert_non_null(strstr(b.ptr, "\nfake_sink_metric 1\n"));
    hu_buf_fini(&b);
    hu_engine_destroy(e);
    free(res);
}

static void engine_policy_reload(void **state)
{
    (void)state;
    char db[128], pol[128];
    snprintf(db, sizeof db, "%s/p.db", dir);
    snprintf(pol, sizeof pol, "%s/policy.yaml", dir);
    write_file(pol, "version: 1\nshadow: false\n");
    struct hu_engine_opts o = { .db_path = db, .policy_path = pol };
    struct hu_engine *e = NULL;
    char err[512] = "";
    assert_int_equal(hu_engine_create(&o, &e, err, sizeof err), HU_OK);
    struct hu_engine_status st;
    hu_engine_status(e, &st);
    uint64_t digest = st.policy_digest;
    assert_false(st.shadow);
    assert_int_equal(hu_engine_account_set(e, HU_STORE_OVERRIDE, "x", HU_ACTION_BLOCK, "t", "override",
                                           "r"), HU_OK);

    /* a broken file is refused with its reason; the old policy stays */
    write_file(pol, "version: 1\nthresholds:\n  block: [oops\n");
    err[0] = 0;
    assert_int_not_equal(hu_engine_reload_policy(e, err, sizeof err), HU_OK);
    assert_non_null(strstr(err, "policy.yaml"));
    hu_engine_status(e, &st);
    assert_true(st.policy_digest == digest);
    struct hu_served_decision d;
    assert_int_equal(decide_for(e, "x", &d), HU_ACTION_BLOCK);   /* still deciding */

    write_file(pol, "version: 1\nshadow: true\n");
    assert_int_equal(hu_engine_reload_policy(e, err, sizeof err), HU_OK);
    hu_engine_status(e, &st);
    assert_true(st.policy_digest != digest);
    assert_true(st.shadow);
    assert_int_equal(decide_for(e, "x", &d), HU_ACTION_BLOCK);   /* analysts' overrides enforce */
    hu_engine_destroy(e);

    /* a broken policy at start is an error with the reason */
    write_file(pol, "version: 7\n");
    e = NULL;
    err[0] = 0;
    assert_int_not_equal(hu_engine_create(&o, &e, err, sizeof err), HU_OK);
    assert_null(e);
    assert_true(err[0] != 0);
}

static void engine_signup(void **state)
{
    (void)state;
    char db[128];
    snprintf(db, sizeof db, "%s/s.db", dir);
    struct hu_engine_opts o = { .db_path = db, .relink_ms = 10 };
    struct hu_engine *e = NULL;
    assert_int_equal(hu_engine_create(&o, &e, NULL, 0), HU_OK);
    assert_int_equal(hu_engine_start(e), HU_OK);
    struct hu_buf b;
    hu_buf_init(&b, 1 << 16);
    const char *what;
    const char *q = "{\"program\":\"education\",\"payment_fp\":\"pf-1\",\"ip\":\"203.0.113.5\"}";
    assert_int_equal(hu_engine_signup(e, q, strlen(q), &b, &what), HU_OK);
    assert_non_null(strstr(b.ptr, "\"verification\":\"email\""));
    assert_non_null(strstr(b.ptr, "\"payment_fp\":0.00"));
    /* five earlier sign-ups on the same card, now */
    char body[2048];
    size_t n = 0;
    long long now = (long long)time(NULL);
    for (int i = 0; i < 5; i++)
        n += (size_t)snprintf(body + n, sizeof body - n,
                              "{\"kind\":\"account\",\"ts\":%lld,\"account_id\":\"s%d\",\"type\":"
                              "\"education\",\"payment_fp\":\"pf-1\"}\n", now, i);
    struct hu_events_result *res = malloc(sizeof *res);
    assert_int_equal(hu_engine_post_events(e, body, n, res), HU_OK);
    assert_int_equal(res->accepted, 5);
    wait_caught_up(e);
    hu_buf_reset(&b);
    assert_int_equal(hu_engine_signup(e, q, strlen(q), &b, &what), HU_OK);
    assert_non_null(strstr(b.ptr, "\"verification\":\"id\""));
    assert_non_null(strstr(b.ptr, "shared_payment"));
    hu_buf_reset(&b);
    assert_int_equal(hu_engine_signup(e, "{\"payment_fp\":3}", 16, &b, &what), HU_ETYPE);
    assert_int_equal(hu_engine_signup(e, "[]", 2, &b, &what), HU_EPARSE);
    hu_buf_fini(&b);
    free(res);
    hu_engine_destroy(e);
}

/* Refusals are recorded and can be looked up by id: from the queue at
 * once, from the store after a restart; allow decisions are not; the row
 * bound keeps the newest records. */
static void engine_decision_records(void **state)
{
    (void)state;
    char db[128];
    snprintf(db, sizeof db, "%s/dr.db", dir);
    struct hu_engine_opts o = { .db_path = db, .decisions_keep = 5 };
    struct hu_engine *e = NULL;
    char err[512];
    assert_int_equal(hu_engine_create(&o, &e, err, sizeof err), HU_OK);
    assert_int_equal(hu_engine_start(e), HU_OK);
    assert_int_equal(hu_engine_account_set(e, HU_STORE_OVERRIDE, "bad\"one", HU_ACTION_BLOCK,
                                           "alice", "override", "ticket"), HU_OK);
    struct hu_served_decision d;
    char ids[20][32];
    for (int i = 0; i < 20; i++) {
        assert_int_equal(decide_for(e, "bad\"one", &d), HU_ACTION_BLOCK);
        snprintf(ids[i], sizeof ids[i], "%s", d.id);
    }
    struct hu_buf b;
    hu_buf_init(&b, 1 << 20);
    /* at once (queue or store), with the account escaped */
    assert_int_equal(hu_engine_decision_json(e, ids[19], &b), HU_OK);
    assert_non_null(strstr(b.ptr, "\"account_id\":\"bad\\\"one\",\"action\":\"block\""));
    assert_non_null(strstr(b.ptr, "\"source\":\"override\""));
    char want[64];
    snprintf(want, sizeof want, "{\"decision_id\":\"%s\"", ids[19]);
    assert_ptr_equal(strstr(b.ptr, want), b.ptr);
    hu_buf_reset(&b);
    assert_int_equal(decide_for(e, "fine", &d), HU_ACTION_ALLOW);
    assert_int_equal(hu_engine_decision_json(e, d.id, &b), HU_ENOENT);   /* allow: not recorded */
    assert_int_equal(hu_engine_decision_json(e, "d-zz", &b), HU_ENOENT);
    assert_int_equal(hu_engine_decision_json(e, "x", &b), HU_ENOENT);
    assert_int_equal(hu_engine_decision_json(e, "d-0000000000000-00000000000000000000000000", &b),
                     HU_ENOENT);
    /* account lookups are not decisions: no record, no quota */
    assert_int_equal(hu_engine_account_json(e, "bad\"one", 7, &b), HU_OK);
    hu_buf_reset(&b);
    hu_engine_destroy(e);   /* the recorder flushes its queue */

    e = NULL;
    assert_int_equal(hu_engine_create(&o, &e, err, sizeof err), HU_OK);
    for (int i = 0; i < 20; i++) {
        int rc = hu_engine_decision_json(e, ids[i], &b);
        /* the newest 5 are kept (each flush prunes to the bound) */
        if (i >= 15)
            assert_int_equal(rc, HU_OK);
        else
            assert_int_equal(rc, HU_ENOENT);
        hu_buf_reset(&b);
    }
    hu_buf_fini(&b);
    hu_engine_destroy(e);
}

/* A checkpoint covers part of the journal; lines appended after it (as a
 * crash would leave them) are replayed on top of the restored profiles,
 * and the result equals a service that saw everything in one life. */
static void engine_checkpoint_tail(void **state)
{
    (void)state;
    char db1[128], db2[128];
    snprintf(db1, sizeof db1, "%s/ct1.db", dir);
    snprintf(db2, sizeof db2, "%s/ct2.db", dir);
    char body1[8192], body2[8192];
    size_t n1 = 0, n2 = 0;
    for (int i = 0; i < 60; i++)
        n1 += (size_t)snprintf(body1 + n1, sizeof body1 - n1,
                               "{\"ts\":%d,\"account_id\":\"u%d\",\"ip\":\"10.0.%d.1\",\"model\":\"m\"}\n",
                               1700000000 + i * 7, i % 6, i % 3);
    /* a sign-up a minute ago: the sign-up counts decay with a day's half-life */
    n1 += (size_t)snprintf(body1 + n1, sizeof body1 - n1,
                           "{\"ts\":%lld,\"kind\":\"account\",\"account_id\":\"u1\","
                           "\"account_type\":\"education\",\"payment_fp\":\"pf\"}\n",
                           (long long)time(NULL) - 60);
    for (int i = 0; i < 40; i++)
        n2 += (size_t)snprintf(body2 + n2, sizeof body2 - n2,
                               "{\"ts\":%d,\"account_id\":\"u%d\",\"ip\":\"10.1.%d.1\",\"model\":\"m2\"}\n",
                               1700001000 + i * 5, i % 9, i % 4);
    struct hu_events_result *res = malloc(sizeof *res);
    char err[512];

    /* life 1: body1, clean stop (checkpoint at its end) */
    struct hu_engine_opts o = { .db_path = db1, .relink_ms = 10, .checkpoint_ms = 100000 };
    struct hu_engine *e = NULL;
    assert_int_equal(hu_engine_create(&o, &e, err, sizeof err), HU_OK);
    assert_int_equal(hu_engine_start(e), HU_OK);
    assert_int_equal(hu_engine_post_events(e, body1, n1, res), HU_OK);
    wait_caught_up(e);
    hu_engine_destroy(e);
    /* body2 lands in the journal behind the checkpoint's back */
    struct hu_store *st = NULL;
    assert_int_equal(hu_store_open(db1, NULL, &st, err, sizeof err), HU_OK);
    const char *lines[64];
    size_t lens[64], n = 0;
    for (const char *p = body2; p < body2 + n2; n++) {
        const char *nl = strchr(p, '\n');
        lines[n] = p;
        lens[n] = (size_t)(nl - p);
        p = nl + 1;
    }
    assert_int_equal(hu_store_journal_append(st, lines, lens, n, 1, NULL, NULL), HU_OK);
    hu_store_close(st);
    /* life 2: restores at body1's end, replays body2 only */
    e = NULL;
    assert_int_equal(hu_engine_create(&o, &e, err, sizeof err), HU_OK);
    struct hu_engine_status s1;
    hu_engine_status(e, &s1);
    assert_int_equal(s1.applied_seq, 61);
    assert_int_equal(s1.journal_seq, 101);
    assert_true(s1.replaying);
    assert_int_equal(hu_engine_start(e), HU_OK);
    wait_caught_up(e);

    /* one life: both bodies */
    struct hu_engine_opts o2 = { .db_path = db2, .relink_ms = 10 };
    struct hu_engine *f = NULL;
    assert_int_equal(hu_engine_create(&o2, &f, err, sizeof err), HU_OK);
    assert_int_equal(hu_engine_start(f), HU_OK);
    assert_int_equal(hu_engine_post_events(f, body1, n1, res), HU_OK);
    assert_int_equal(hu_engine_post_events(f, body2, n2, res), HU_OK);
    wait_caught_up(f);
    struct hu_buf a, b;
    hu_buf_init(&a, 1 << 20);
    hu_buf_init(&b, 1 << 20);
    for (int i = 0; i < 9; i++) {
        char id[16];
        snprintf(id, sizeof id, "u%d", i);
        assert_int_equal(hu_engine_account_json(e, id, strlen(id), &a), HU_OK);
        assert_int_equal(hu_engine_account_json(f, id, strlen(id), &b), HU_OK);
    }
    assert_int_equal(hu_engine_campaigns_json(e, &a), HU_OK);
    assert_int_equal(hu_engine_campaigns_json(f, &b), HU_OK);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.ptr, b.ptr, a.len);
    assert_non_null(strstr(a.ptr, "\"account_id\":\"u1\",\"known\":true"));
    /* the sign-up counts came back with the checkpoint */
    hu_buf_reset(&a);
    hu_buf_reset(&b);
    const char sg[] = "{\"program\":\"education\",\"payment_fp\":\"pf\"}";
    const char *what;
    assert_int_equal(hu_engine_signup(e, sg, sizeof sg - 1, &a, &what), HU_OK);
    assert_int_equal(hu_engine_signup(f, sg, sizeof sg - 1, &b, &what), HU_OK);
    assert_non_null(strstr(a.ptr, "\"payment_fp\":1.00"));
    assert_non_null(strstr(b.ptr, "\"payment_fp\":1.00"));
    hu_buf_fini(&a);
    hu_buf_fini(&b);
    hu_engine_destroy(e);
    hu_engine_destroy(f);
    free(res);
}

int main(void)
{
    hu_log_set_level(HU_LOG_ERROR);
    snprintf(dir, sizeof dir, "/tmp/hu-test-serve-XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(headers_basic),
        cmocka_unit_test(headers_too_long),
        cmocka_unit_test(body_over_headers),
        cmocka_unit_test(body_refusals),
        cmocka_unit_test(answers_native),
        cmocka_unit_test(answers_nginx),
        cmocka_unit_test(decision_ids),
        cmocka_unit_test(engine_events_overrides_restart),
        cmocka_unit_test(engine_throttle_window),
        cmocka_unit_test(engine_events_sink),
        cmocka_unit_test(engine_policy_reload),
        cmocka_unit_test(engine_signup),
        cmocka_unit_test(engine_decision_records),
        cmocka_unit_test(engine_checkpoint_tail),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return rc;
}
