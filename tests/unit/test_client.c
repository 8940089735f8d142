/* test_client.c -- the decision client (src/lib/client.c) against a fake
 * service on loopback: what is sent, how each kind of answer maps to an
 * action and a status, the fail action on timeouts, refusals and foreign
 * answers, and one client shared by threads without crossed answers.
 * The real service is exercised by tests/cli/test_install.sh. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "huella/huella.h"

/* ---- a fake huella serve -------------------------------------------------------------- */

enum mode {
    M_ALLOW, M_BLOCK, M_THROTTLE, M_WITHHOLD_SHADOW, M_503, M_400, M_HANG, M_CLOSE,
    M_LONG_ID, M_BIG_BODY, M_BAD_ACTION, M_ECHO, M_LONG_REASONS,
};

#define MAX_CONNS 64

struct fake {
    int lfd;
    int port;
    atomic_int stop;              /* the test thread writes, server threads read */
    atomic_int mode;
    pthread_t acceptor;
    pthread_t conns[MAX_CONNS];
    pthread_mutex_t mu;       /* guards what follows */
    int n_conns;
    int n_accepted;
    char last_req[8192];      /* request line + headers + body of the last request */
    char last_body[4096];
    int n_requests;
};

struct conn_arg {
    struct fake *f;
    int fd;
};

static int wait_readable(struct fake *f, int fd)
{
    while (!f->stop) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int r = poll(&p, 1, 20);
        if (r > 0)
            return 1;
        if (r < 0)
            return 0;
    }
    return 0;
}

static void send_all(int fd, const char *p, size_t len)
{
    while (len) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n <= 0)
            return;
        p += n;
        len -= (size_t)n;
    }
}

static void answer(struct fake *f, int fd, const char *body_in)
{
    char out[16384], body[12000];
    const char *status = "200 OK", *hdrs = "";
    char hbuf[1024];
    int mode = f->mode;
    body[0] = 0;
    switch (mode) {
    case M_ALLOW:
        hdrs = "X-Huella-Decision: allow\r\nX-Huella-Decision-Id: d-0000000000aa-000001\r\n"
               "X-Huella-Score: 0.012\r\n";
        snprintf(body, sizeof body, "{\"decision_id\":\"d-0000000000aa-000001\",\"action\":\"allow\","
                 "\"would\":\"allow\",\"score\":0.0123,\"campaign\":null,\"reasons\":[],"
                 "\"source\":\"policy\",\"withhold_reasoning\":false,\"shadow\":false}\n");
        break;
    case M_BLOCK:
        status = "403 Forbidden";
        hdrs = "X-Huella-Decision: block\r\nX-Huella-Decision-Id: d-0000000000aa-000002\r\n"
               "X-Huella-Score: 0.912\r\nX-Huella-Reason: fleet,template_reuse\r\n"
               "X-Huella-Campaign: C-0123456789ab\r\n";
        snprintf(body, sizeof body, "{\"error\":{\"type\":\"permission_error\",\"code\":\"account_blocked\","
                 "\"message\":\"x\",\"decision_id\":\"d-0000000000aa-000002\"}}\n");
        break;
    case M_THROTTLE:
        status = "429 Too Many Requests";
        hdrs = "x-huella-decision: throttle\r\nx-huella-decision-id: d-0000000000aa-000003\r\n"
               "x-huella-score: 0.700\r\nRetry-After: 17\r\n";
        snprintf(body, sizeof body, "{\"error\":{}}\n");
        break;
    case M_WITHHOLD_SHADOW:
        hdrs = "X-Huella-Decision: withhold_reasoning\r\nX-Huella-Decision-Id: d-0000000000aa-000004\r\n"
               "X-Huella-Score: 0.650\r\nX-Huella-Withhold-Reasoning: 1\r\nX-Huella-Shadow: block\r\n";
        snprintf(body, sizeof body, "{\"score\":0.6512}\n");
        break;
    case M_503:
        status = "503 Service Unavailable";
        hdrs = "Retry-After: 1\r\n";
        snprintf(body, sizeof body, "{\"error\":{\"type\":\"service_unavailable\"}}\n");
        break;
    case M_400:
        status = "400 Bad Request";
        snprintf(body, sizeof body, "{\"error\":{\"type\":\"invalid_request_error\"}}\n");
        break;
    case M_LONG_ID:
        hdrs = "X-Huella-Decision: block\r\nX-Huella-Decision-Id: d-0000000000aa-000005-and-much-longer\r\n";
        break;
    case M_BIG_BODY:
        hdrs = "X-Huella-Decision: allow\r\nX-Huella-Decision-Id: d-0000000000aa-000006\r\n";
        memset(body, 'x', 10000);
        body[10000] = 0;
        break;
    case M_LONG_REASONS: {
        /* 30 codes of 9 bytes: 299 bytes, longer than the field */
        size_t o = (size_t)snprintf(hbuf, sizeof hbuf, "X-Huella-Decision: verify\r\n"
                                    "X-Huella-Decision-Id: d-0000000000aa-000008\r\nX-Huella-Reason: ");
        for (int i = 0; i < 30; i++)
            o += (size_t)snprintf(hbuf + o, sizeof hbuf - o, "%sreason_%02d", i ? "," : "", i);
        snprintf(hbuf + o, sizeof hbuf - o, "\r\n");
        hdrs = hbuf;
        status = "403 Forbidden";
        break;
    }
    case M_BAD_ACTION:
        hdrs = "X-Huella-Decision: obliterate\r\nX-Huella-Decision-Id: d-0000000000aa-000007\r\n";
        break;
    case M_ECHO: {
        /* the decision id is the account id: crossed answers would show */
        const char *a = strstr(body_in, "\"account_id\":\"");
        char acct[64] = "";
        if (a) {
            a += 14;
            size_t n = strcspn(a, "\"");
            if (n < sizeof acct) {
                memcpy(acct, a, n);
                acct[n] = 0;
            }
        }
        snprintf(hbuf, sizeof hbuf, "X-Huella-Decision: monitor\r\nX-Huella-Decision-Id: %s\r\n", acct);
        hdrs = hbuf;
        break;
    }
    default:
        break;
    }
    int n = snprintf(out, sizeof out, "HTTP/1.1 %s\r\n%sContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\n\r\n%s", status, hdrs, strlen(body), body);
    send_all(fd, out, (size_t)n);
}

static void *conn_main(void *p)
{
    struct conn_arg *ca = p;
    struct fake *f = ca->f;
    int fd = ca->fd;
    free(ca);
    char buf[16384];
    size_t have = 0;
    for (;;) {
        if (!wait_readable(f, fd))
            break;
        ssize_t n = recv(fd, buf + have, sizeof buf - 1 - have, 0);
        if (n <= 0)
            break;
        have += (size_t)n;
        buf[have] = 0;
        char *end = strstr(buf, "\r\n\r\n");
        if (end == NULL)
            continue;
        size_t hlen = (size_t)(end + 4 - buf);
        const char *cl = strcasestr(buf, "Content-Length:");
        size_t blen = cl && cl < end ? strtoul(cl + 15, NULL, 10) : 0;
        if (have < hlen + blen)
            continue;
        char body[4096];
        size_t bl = blen < sizeof body - 1 ? blen : sizeof body - 1;
        memcpy(body, buf + hlen, bl);
        body[bl] = 0;
        pthread_mutex_lock(&f->mu);
        snprintf(f->last_req, sizeof f->last_req, "%.*s", (int)(hlen + blen), buf);
        snprintf(f->last_body, sizeof f->last_body, "%s", body);
        f->n_requests++;
        pthread_mutex_unlock(&f->mu);
        memmove(buf, buf + hlen + blen, have - hlen - blen);
        have -= hlen + blen;
        if (f->mode == M_HANG) {
            while (!f->stop)
                poll(NULL, 0, 20);
            break;
        }
        if (f->mode == M_CLOSE)
            break;
        answer(f, fd, body);
    }
    close(fd);
    return NULL;
}

static void *accept_main(void *p)
{
    struct fake *f = p;
    while (!f->stop) {
        if (!wait_readable(f, f->lfd))
            break;
        int fd = accept(f->lfd, NULL, NULL);
        if (fd < 0)
            continue;
        struct conn_arg *ca = malloc(sizeof *ca);
        pthread_mutex_lock(&f->mu);
        int slot = f->n_conns < MAX_CONNS && ca ? f->n_conns++ : -1;
        f->n_accepted++;
        pthread_mutex_unlock(&f->mu);
        if (slot < 0) {
            free(ca);
            close(fd);
            continue;
        }
        ca->f = f;
        ca->fd = fd;
        if (pthread_create(&f->conns[slot], NULL, conn_main, ca) != 0) {
            free(ca);
            close(fd);
            f->conns[slot] = pthread_self();  /* marker: nothing to join */
        }
    }
    return NULL;
}

/* Copies of the shared records, under the lock. */
static int fake_requests(struct fake *f)
{
    pthread_mutex_lock(&f->mu);
    int n = f->n_requests;
    pthread_mutex_unlock(&f->mu);
    return n;
}

static int fake_accepted(struct fake *f)
{
    pthread_mutex_lock(&f->mu);
    int n = f->n_accepted;
    pthread_mutex_unlock(&f->mu);
    return n;
}

static void fake_last(struct fake *f, char *req, size_t rcap, char *body, size_t bcap)
{
    pthread_mutex_lock(&f->mu);
    snprintf(req, rcap, "%s", f->last_req);
    snprintf(body, bcap, "%s", f->last_body);
    pthread_mutex_unlock(&f->mu);
}

static struct fake *fake_start(int mode)
{
    struct fake *f = calloc(1, sizeof *f);
    assert_non_null(f);
    pthread_mutex_init(&f->mu, NULL);
    f->mode = mode;
    f->lfd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(f->lfd >= 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(f->lfd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(f->lfd, 64), 0);
    socklen_t al = sizeof a;
    assert_int_equal(getsockname(f->lfd, (struct sockaddr *)&a, &al), 0);
    f->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&f->acceptor, NULL, accept_main, f), 0);
    return f;
}

static void fake_stop(struct fake *f)
{
    f->stop = 1;
    pthread_join(f->acceptor, NULL);
    pthread_mutex_lock(&f->mu);
    int n = f->n_conns;
    pthread_mutex_unlock(&f->mu);
    for (int i = 0; i < n; i++)
        if (!pthread_equal(f->conns[i], pthread_self()))
            pthread_join(f->conns[i], NULL);
    close(f->lfd);
    pthread_mutex_destroy(&f->mu);
    free(f);
}

static struct hu_client *client_for(int port, unsigned timeout_ms, int fail_action, const char *token_file)
{
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
    struct hu_client_config cc = HU_CLIENT_CONFIG_INIT;
    cc.base_url = url;
    cc.timeout_ms = timeout_ms;
    cc.fail_action = fail_action;
    cc.token_file = token_file;
    struct hu_client *c = NULL;
    char err[256];
    int rc = hu_client_create(&cc, &c, err, sizeof err);
    if (rc != HU_OK)
        fprintf(stderr, "client: %s\n", err);
    assert_int_equal(rc, HU_OK);
    return c;
}

/* ---- tests ---------------------------------------------------------------------------- */

static void create_rejects_bad_configs(void **state)
{
    (void)state;
    struct hu_client *c = (struct hu_client *)1;
    char err[256];
    struct hu_client_config cc = HU_CLIENT_CONFIG_INIT;
    assert_int_equal(hu_client_create(&cc, &c, err, sizeof err), HU_EINVAL);   /* no URL */
    assert_null(c);
    assert_true(strlen(err) > 0);
    cc.base_url = "ftp://127.0.0.1:1";
    assert_int_equal(hu_client_create(&cc, &c, err, sizeof err), HU_EINVAL);
    cc.base_url = "http://127.0.0.1:1/x?y";
    assert_int_equal(hu_client_create(&cc, &c, err, sizeof err), HU_EINVAL);
    cc.base_url = "http://127.0.0.1:1";
    cc.fail_action = 6;
    assert_int_equal(hu_client_create(&cc, &c, err, sizeof err), HU_EINVAL);
    cc.fail_action = -1;
    assert_int_equal(hu_client_create(&cc, &c, err, sizeof err), HU_EINVAL);
    cc.fail_action = HU_DECISION_BLOCK;
    cc.timeout_ms = 60001;
    assert_int_equal(hu_client_create(&cc, &c, err, sizeof err), HU_EINVAL);
    cc.timeout_ms = 0;
    cc.token_file = "/nonexistent/token";
    assert_int_equal(hu_client_create(&cc, &c, err, sizeof err), HU_ENOENT);
    char path[] = "/tmp/hu_client_tokXXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "\n", 1), 1);
    close(fd);
    cc.token_file = path;
    assert_int_equal(hu_client_create(&cc, &c, err, sizeof err), HU_EPARSE);   /* empty line */
    unlink(path);
    cc.token_file = NULL;
    cc.struct_size = 8;
    assert_int_equal(hu_client_create(&cc, &c, err, sizeof err), HU_EINVAL);
    assert_int_equal(hu_client_create(NULL, &c, err, sizeof err), HU_EINVAL);
    cc.struct_size = sizeof cc;
    assert_int_equal(hu_client_create(&cc, &c, NULL, 0), HU_OK);   /* no connection made */
    hu_client_destroy(c);
    hu_client_destroy(NULL);
    assert_string_equal(hu_decision_action_name(HU_DECISION_WITHHOLD_REASONING), "withhold_reasoning");
    assert_string_equal(hu_decision_action_name(99), "unknown");
    assert_string_equal(hu_status_name(HU_ETIMEDOUT), "ETIMEDOUT");
    assert_string_equal(hu_status_name(HU_EUNAVAIL), "EUNAVAIL");
}

static void sends_the_request_as_json(void **state)
{
    (void)state;
    struct fake *f = fake_start(M_ALLOW);
    char path[] = "/tmp/hu_client_tokXXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "  s3cret-token-0123456789 \nignored\n", 35), 35);
    close(fd);
    struct hu_client *c = client_for(f->port, 5000, HU_DECISION_ALLOW, path);
    unlink(path);
    struct hu_decide_request rq = HU_DECIDE_REQUEST_INIT;
    rq.account_id = "acct-\"q\"\\\n\xc3\xa9";
    rq.ip = "203.0.113.7";
    rq.model = "m-1";
    rq.thinking = 1;
    rq.n_tools = 3;
    struct hu_client_decision d = HU_CLIENT_DECISION_INIT;
    assert_int_equal(hu_client_decide(c, &rq, &d), HU_OK);
    static char req[8192], body[4096];
    fake_last(f, req, sizeof req, body, sizeof body);
    assert_string_equal(body, "{\"account_id\":\"acct-\\\"q\\\"\\\\\\n\xc3\xa9\","
                                      "\"ip\":\"203.0.113.7\",\"model\":\"m-1\",\"thinking\":true,\"tools\":3}");
    assert_non_null(strstr(req, "POST /v1/decide?mode=native HTTP/1.1\r\n"));
    assert_non_null(strstr(req, "\r\nAuthorization: Bearer s3cret-token-0123456789\r\n"));
    assert_non_null(strstr(req, "\r\nContent-Type: application/json\r\n"));
    /* unknown fields are not sent */
    rq.ip = rq.model = NULL;
    rq.thinking = 0;
    rq.n_tools = -1;
    rq.account_id = "a";
    rq.org_id = "o";
    assert_int_equal(hu_client_decide(c, &rq, &d), HU_OK);
    fake_last(f, req, sizeof req, body, sizeof body);
    assert_string_equal(body, "{\"account_id\":\"a\",\"org_id\":\"o\",\"thinking\":false}");
    /* refused before sending: not UTF-8, too long, no account */
    int before = fake_requests(f);
    rq.account_id = "bad\xc3(";
    assert_int_equal(hu_client_decide(c, &rq, &d), HU_EUTF8);
    assert_int_equal(d.action, HU_DECISION_ALLOW);
    assert_int_equal(d.served, 0);
    rq.account_id = "\xed\xa0\x80";   /* a surrogate */
    assert_int_equal(hu_client_decide(c, &rq, &d), HU_EUTF8);
    char big[1100];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = 0;
    rq.account_id = big;
    assert_int_equal(hu_client_decide(c, &rq, &d), HU_ETOOBIG);
    rq.account_id = "";
    assert_int_equal(hu_client_decide(c, &rq, &d), HU_EINVAL);
    assert_int_equal(hu_client_decide(c, NULL, &d), HU_EINVAL);
    assert_int_equal(hu_client_decide(c, &rq, NULL), HU_EINVAL);
    assert_int_equal(fake_requests(f), before);
    hu_client_destroy(c);
    fake_stop(f);
}

static void maps_answers(void **state)
{
    (void)state;
    struct fake *f = fake_start(M_ALLOW);
    struct hu_client *c = client_for(f->port, 5000, HU_DECISION_VERIFY, NULL);
    struct hu_decide_request rq = HU_DECIDE_REQUEST_INIT;
    rq.account_id = "acct-1";
    struct hu_client_decision d = HU_CLIENT_DECISION_INIT;

    assert_int_equal(hu_client_decide(c, &rq, &d), HU_OK);
    assert_int_equal(d.action, HU_DECISION_ALLOW);
    assert_int_equal(d.would, HU_DECISION_ALLOW);
    assert_int_equal(d.served, 1);
    assert_int_equal(d.http_status, 200);
    assert_string_equal(d.decision_id, "d-0000000000aa-000001");
    assert_true(d.score > 0.01229 && d.score < 0.01231);   /* the body's 4 decimals */
    assert_string_equal(d.campaign, "");
    assert_string_equal(d.reasons, "");

    f->mode = M_BLOCK;
    assert_int_equal(hu_client_decide(c, &rq, &d), HU_OK);
    assert_int_equal(d.action, HU_DECISION_BLOCK);
    assert_int_equal(d.http_status, 403);
    assert_true(d.score > 0.9119 && d.score < 0.9121);      /* from the header */
    assert_string_equal(d.reasons, "fleet,template_reuse");
    assert_string_equal(d.campaign, "C-0123456789ab");
    assert_string_equal(d.decision_id, "d-0000000000aa-000002");

    f->mode = M_THROTTLE;
    assert_int_equal(hu_client_decide(c, &rq, &d), HU_OK);
    assert_int_equal(d.action, HU_DECISION_THROTTLE);
    assert_int_equal(d.http_status, 429);
    assert_int_equal(d.retry_after_s, 17);
    assert_string_equal(d.reasons, "");     /* nothing left from the block before */
    assert_string_equal(d.campaign, "");

    f->mode = M_WITHHOLD_SHADOW;
    assert_int_equal(hu_client_decide(c, &rq, &d), HU_OK);
    assert_int_equal(d.action, HU_DECISION_WITHHOLD_REASONING);
    assert_int_equal(d.would, HU_DECISION_BLOCK);
    assert_int_equal(d.withhold_reasoning, 1);
    assert_int_equal(d.retry_after_s, 0);
    assert_true(d.score > 0.6511 && d.score < 0.6513);

    /* no decision: the fail action (verify), each with its status */
    f->mode = M_503;
    assert_int_equal(hu_client_decide(c, &rq, &d), HU_EUNAVAIL);
    assert_int_equal(d.action, HU_DECISION_VERIFY);
    assert_int_equal(d.served, 0);
    assert_int_equal(d.http_status, 503);
    assert_int_equal(d.retry_after_s, 1);
    assert_string_equal(d.decision_id, "");
    f->mode = M_400;
    assert_int_equal(hu_client_decide(c, &rq, &d), HU_EPARSE);
    assert_int_equal(d.action, HU_DECISION_VERIFY);
    assert_int_equal(d.http_status, 400);
    f->mode = M_LONG_ID;
    assert_int_equal(hu_client_decide(c, &rq, &d), HU_EPARSE);
    assert_int_equal(d.action, HU_DECISION_VERIFY);
    assert_string_equal(d.decision_id, "");
    f->mode = M_BIG_BODY;
    assert_int_equal(hu_client_decide(c, &rq, &d), HU_EPARSE);
    f->mode = M_LONG_REASONS;      /* advisory: cut at a code, the decision kept */
    assert_int_equal(hu_client_decide(c, &rq, &d), HU_OK);
    assert_int_equal(d.action, HU_DECISION_VERIFY);
    assert_int_equal(strlen(d.reasons), 25 * 10 - 1);
    assert_true(!strncmp(d.reasons, "reason_00,reason_01,", 20));
    assert_string_equal(d.reasons + strlen(d.reasons) - 9, "reason_24");
    f->mode = M_BAD_ACTION;
    assert_int_equal(hu_client_decide(c, &rq, &d), HU_EPARSE);
    assert_int_equal(d.action, HU_DECISION_VERIFY);
    f->mode = M_CLOSE;
    assert_int_equal(hu_client_decide(c, &rq, &d), HU_EUNAVAIL);
    assert_int_equal(d.action, HU_DECISION_VERIFY);
    assert_int_equal(d.http_status, 0);
    /* and back: the client recovers */
    f->mode = M_ALLOW;
    assert_int_equal(hu_client_decide(c, &rq, &d), HU_OK);
    assert_int_equal(d.action, HU_DECISION_ALLOW);
    assert_int_equal(d.served, 1);
    hu_client_destroy(c);
    fake_stop(f);
}

/* An older caller's shorter struct: nothing is written past its end. */
static void respects_struct_size(void **state)
{
    (void)state;
    struct fake *f = fake_start(M_BLOCK);
    struct hu_client *c = client_for(f->port, 5000, HU_DECISION_ALLOW, NULL);
    struct hu_decide_request rq = HU_DECIDE_REQUEST_INIT;
    rq.account_id = "acct-1";
    unsigned char mem[sizeof(struct hu_client_decision) + 16];
    memset(mem, 0xa5, sizeof mem);
    struct hu_client_decision *d = (struct hu_client_decision *)mem;
    size_t short_size = offsetof(struct hu_client_decision, campaign);
    d->struct_size = short_size;
    assert_int_equal(hu_client_decide(c, &rq, d), HU_OK);
    assert_int_equal(d->action, HU_DECISION_BLOCK);
    assert_string_equal(d->decision_id, "d-0000000000aa-000002");
    for (size_t i = short_size; i < sizeof mem; i++)
        assert_int_equal(mem[i], 0xa5);
    hu_client_destroy(c);
    fake_stop(f);
}

static void timeout_and_refused_give_the_fail_action(void **state)
{
    (void)state;
    struct fake *f = fake_start(M_HANG);
    struct hu_client *c = client_for(f->port, 150, HU_DECISION_BLOCK, NULL);   /* fail closed */
    struct hu_decide_request rq = HU_DECIDE_REQUEST_INIT;
    rq.account_id = "acct-1";
    struct hu_client_decision d = HU_CLIENT_DECISION_INIT;
    assert_int_equal(hu_client_decide(c, &rq, &d), HU_ETIMEDOUT);
    assert_int_equal(d.action, HU_DECISION_BLOCK);
    assert_int_equal(d.served, 0);
    assert_int_equal(d.http_status, 0);
    hu_client_destroy(c);
    int port = f->port;
    fake_stop(f);

    /* the port is closed now: refused */
    c = client_for(port, 1000, HU_DECISION_ALLOW, NULL);
    assert_int_equal(hu_client_decide(c, &rq, &d), HU_EUNAVAIL);
    assert_int_equal(d.action, HU_DECISION_ALLOW);
    assert_int_equal(d.served, 0);
    hu_client_destroy(c);
}

#define N_THREADS 6
#define N_CALLS 60

struct worker {
    struct hu_client *c;
    int id;
    int wrong;
    int failed;
};

static void *worker_main(void *p)
{
    struct worker *w = p;
    for (int i = 0; i < N_CALLS; i++) {
        char acct[32];
        snprintf(acct, sizeof acct, "t%d-%d", w->id, i);
        struct hu_decide_request rq = HU_DECIDE_REQUEST_INIT;
        rq.account_id = acct;
        struct hu_client_decision d = HU_CLIENT_DECISION_INIT;
        int rc = hu_client_decide(w->c, &rq, &d);
        if (rc != HU_OK)
            w->failed++;
        else if (strcmp(d.decision_id, acct) || d.action != HU_DECISION_MONITOR)
            w->wrong++;
    }
    return NULL;
}

static void one_client_many_threads(void **state)
{
    (void)state;
    struct fake *f = fake_start(M_ECHO);
    struct hu_client *c = client_for(f->port, 10000, HU_DECISION_ALLOW, NULL);
    struct worker w[N_THREADS];
    pthread_t t[N_THREADS];
    for (int i = 0; i < N_THREADS; i++) {
        w[i] = (struct worker){ .c = c, .id = i };
        assert_int_equal(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
    }
    for (int i = 0; i < N_THREADS; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < N_THREADS; i++) {
        assert_int_equal(w[i].failed, 0);
        assert_int_equal(w[i].wrong, 0);
    }
    assert_int_equal(fake_requests(f), N_THREADS * N_CALLS);
    /* connections are kept alive and reused: at most one per thread */
    assert_true(fake_accepted(f) <= N_THREADS);
    hu_client_destroy(c);
    fake_stop(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(create_rejects_bad_configs),
        cmocka_unit_test(sends_the_request_as_json),
        cmocka_unit_test(maps_answers),
        cmocka_unit_test(respects_struct_size),
        cmocka_unit_test(timeout_and_refused_give_the_fail_action),
        cmocka_unit_test(one_client_many_threads),
    };
    return cmocka_run_group_tests_name("client", tests, NULL, NULL);
}
