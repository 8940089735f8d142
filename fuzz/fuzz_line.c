/*
 * fuzz_line.c -- one JSON Lines event: hu_line_parse() (simdjson shim,
 * contract fields, RFC 3339 times, messages, tools) and, for an accepted
 * line, hu_features_extract() (text, targets, net, client features) --
 * exactly what the HTTP service will do with a request body.
 *
 * Properties: an accepted event's spans lie inside the parser's copy or
 * are empty, every text span is at most HU_MAX_FIELD_BYTES, at most
 * HU_MAX_TOOLS names are stored.
 */
#include <string.h>

#include "core/limits.h"
#include "features/features.h"
#include "fuzz/fuzz.h"
#include "ingest/ingest.h"

static struct hu_line_parser *lp;
static struct hu_features *fx;
static struct hu_fx_worker *w;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char err[256];
    struct hu_features_config cfg;
    memset(&cfg, 0, sizeof cfg);
    if (hu_line_parser_create(&lp, NULL) != HU_OK ||
        hu_features_create(&cfg, &fx, err, sizeof err) != HU_OK ||
        hu_fx_worker_create(fx, &w) != HU_OK) {
        fprintf(stderr, "fuzz_line: setup failed\n");
        abort();
    }
    return 0;
}

static void check_span(struct hu_span s, size_t max)
{
    FUZZ_CHECK(s.len <= max);
    if (s.len)
        FUZZ_CHECK(s.ptr != NULL);
    /* Touch every byte: ASan reports a span pointing outside its buffer. */
    volatile unsigned char x = 0;
    for (size_t i = 0; i < s.len; i++)
        x ^= (unsigned char)s.ptr[i];
    (void)x;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hu_event ev;
    enum hu_reject r = hu_line_parse(lp, (const char *)data, size, &ev);
    if (r != HU_REJECT_NONE) {
        (void)hu_line_parser_reject_field(lp);
        return 0;
    }
    check_span(ev.account_id, HU_MAX_ID_BYTES);
    check_span(ev.ip, HU_MAX_ID_BYTES);
    check_span(ev.prompt, HU_MAX_FIELD_BYTES);
    check_span(ev.system, HU_MAX_FIELD_BYTES);
    check_span(ev.user_agent, HU_MAX_FIELD_BYTES);
    check_span(ev.features_json, HU_MAX_LINE_BYTES);
    FUZZ_CHECK(ev.n_tools <= HU_MAX_TOOLS && ev.n_tools <= ev.tools_total);
    for (uint32_t i = 0; i < ev.n_tools; i++)
        check_span(ev.tools[i], HU_MAX_FIELD_BYTES);
    if (ev.kind == HU_EV_REQUEST) {
        struct hu_req_features f;
        hu_features_extract(w, &ev, &f);
        for (int t = 0; t < HU_TARGET_COUNT; t++)
            FUZZ_CHECK(f.target[t] >= 0.0f && f.target[t] <= 1.0f);
    }
    return 0;
}
