/*
 * decide.c -- libhuella in a gateway, one request in miniature: featurize
 * the request for the log, then ask `huella serve` what to do with it.
 *
 *   cc decide.c $(pkg-config --cflags --libs huella) -o decide
 *   ./decide [--timeout-ms N] [--fail-closed] [--token-file F] \
 *            URL KEY_FILE ACCOUNT IP [MODEL] < prompt.txt
 *
 * Standard output: the featurized event (what the gateway logs, or POSTs
 * to /v1/events: no prompt text in it), then one line with the decision:
 *
 *   decision action=block served=1 status=OK http=403 score=0.000 id=d-... campaign=- reasons=- retry_after=0 withhold_reasoning=0
 *
 * `status` is OK when huella decided; otherwise the fail action (allow, or
 * block with --fail-closed) was applied and the status says why
 * (ETIMEDOUT, EUNAVAIL, EPARSE).  A real gateway creates the featurizer
 * and the client once, shares the client between its threads, takes one
 * featurizer session per thread, and enforces `action` on every request.
 * Exit status: 0 when a decision (huella's or the fail action) was
 * reached, 1 on an internal error, 2 on bad usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <huella/huella.h>

#define MAX_PROMPT (64 * 1024)

/* Append s as a JSON string body (quotes, backslashes, control bytes). */
static size_t json_escape(char *out, size_t cap, const char *s)
{
    size_t o = 0;
    for (; *s && o + 7 < cap; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') {
            out[o++] = '\\';
            out[o++] = (char)ch;
        } else if (ch < 0x20) {
            o += (size_t)snprintf(out + o, cap - o, "\\u%04x", ch);
        } else {
            out[o++] = (char)ch;
        }
    }
    out[o] = 0;
    return o;
}

static int usage(const char *argv0)
{
    fprintf(stderr, "usage: %s [--timeout-ms N] [--fail-closed] [--token-file F] URL KEY_FILE ACCOUNT IP [MODEL] "
                    "< prompt.txt\n", argv0);
    return 2;
}

int main(int argc, char **argv)
{
    struct hu_client_config cc = HU_CLIENT_CONFIG_INIT;
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
        if (!strcmp(argv[i], "--timeout-ms") && i + 1 < argc)
            cc.timeout_ms = (unsigned)strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--fail-closed"))
            cc.fail_action = HU_DECISION_BLOCK;
        else if (!strcmp(argv[i], "--token-file") && i + 1 < argc)
            cc.token_file = argv[++i];
        else
            return usage(argv[0]);
    }
    if (argc - i != 4 && argc - i != 5)
        return usage(argv[0]);
    cc.base_url = argv[i];
    const char *key_file = argv[i + 1], *account = argv[i + 2], *ip = argv[i + 3];
    const char *model = argc - i == 5 ? argv[i + 4] : NULL;

    /* the request as it reaches the gateway */
    static char prompt[MAX_PROMPT + 1], esc[6 * MAX_PROMPT + 1], line[7 * MAX_PROMPT + 4096];
    size_t n = fread(prompt, 1, MAX_PROMPT, stdin);
    prompt[n] = 0;
    char acct_esc[1024], ip_esc[256], model_esc[256];
    json_escape(esc, sizeof esc, prompt);
    json_escape(acct_esc, sizeof acct_esc, account);
    json_escape(ip_esc, sizeof ip_esc, ip);
    json_escape(model_esc, sizeof model_esc, model ? model : "");
    int len = snprintf(line, sizeof line, "{\"ts\":%lld,\"account_id\":\"%s\",\"ip\":\"%s\"%s%s%s,\"prompt\":\"%s\"}",
                       (long long)time(NULL), acct_esc, ip_esc, model ? ",\"model\":\"" : "",
                       model ? model_esc : "", model ? "\"" : "", esc);

    /* once per process: the featurizer and the client */
    char err[256];
    struct hu_featurizer_options fo = HU_FEATURIZER_OPTIONS_INIT;
    fo.key_file = key_file;
    struct hu_featurizer *fz = NULL;
    struct hu_fz_session *s = NULL;
    struct hu_client *client = NULL;
    int rc = hu_featurizer_create(&fo, &fz, err, sizeof err);
    if (rc != HU_OK) {
        fprintf(stderr, "featurizer: %s (%s)\n", err, hu_status_str(rc));
        return 2;
    }
    rc = hu_client_create(&cc, &client, err, sizeof err);
    if (rc != HU_OK) {
        fprintf(stderr, "client: %s (%s)\n", err, hu_status_str(rc));
        hu_featurizer_destroy(fz);
        return 2;
    }
    int exit_code = 0;
    if (hu_fz_session_create(fz, &s) != HU_OK) {
        fprintf(stderr, "session: out of memory\n");
        exit_code = 1;
        goto done;
    }

    /* per request: featurize for the log ... */
    const char *out;
    size_t out_len;
    rc = hu_fz_session_line(s, line, (size_t)len, &out, &out_len);
    if (rc > 0) {
        fwrite(out, 1, out_len, stdout);
        fputc('\n', stdout);
    } else {
        const char *why = hu_fz_session_reject_reason(s);
        fprintf(stderr, "not featurized: %s\n", why ? why : hu_status_str(rc));
    }

    /* ... and ask for a decision, which is always reached */
    struct hu_decide_request rq = HU_DECIDE_REQUEST_INIT;
    rq.account_id = account;
    rq.ip = ip;
    rq.model = model;
    struct hu_client_decision d = HU_CLIENT_DECISION_INIT;
    rc = hu_client_decide(client, &rq, &d);
    if (rc == HU_EINVAL || rc == HU_ENOMEM || rc == HU_EUTF8 || rc == HU_ETOOBIG)
        exit_code = rc == HU_ENOMEM ? 1 : 2;
    printf("decision action=%s served=%d status=%s http=%d score=%.4f id=%s campaign=%s reasons=%s "
           "retry_after=%u withhold_reasoning=%d\n",
           hu_decision_action_name(d.action), d.served, hu_status_name(rc), d.http_status, d.score,
           d.decision_id[0] ? d.decision_id : "-", d.campaign[0] ? d.campaign : "-",
           d.reasons[0] ? d.reasons : "-", d.retry_after_s, d.withhold_reasoning);
done:
    hu_fz_session_destroy(s);
    hu_client_destroy(client);
    hu_featurizer_destroy(fz);
    return exit_code;
}
