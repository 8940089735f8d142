/*
 * event.h -- one line of the event contract, parsed and normalised.
 *
 * This is what ingest hands to every later stage (shared/docs/EVENTS.md,
 * contract v1).  All strings are spans (pointer + length, not
 * NUL-terminated) that stay valid until the reader parses the next line:
 * a stage that keeps a string must hash or copy it.  A span with ptr ==
 * NULL means the field was absent or null; an empty string has ptr != NULL
 * and len == 0.  Numbers that were absent are HU_EV_ABSENT.
 *
 * Invariants once ingest returns an event:
 *   - kind is set; ts_ms is a valid epoch time in milliseconds;
 *   - request/account: account_id.len in 1..HU_MAX_ID_BYTES;
 *   - model_release: model.len >= 1;
 *   - every span is valid UTF-8 (simdjson validates the whole line);
 *   - text spans are at most HU_MAX_FIELD_BYTES, ids at most
 *     HU_MAX_ID_BYTES (longer ones reject the line, see ingest.h);
 *   - n_tools <= HU_MAX_TOOLS (tools_total counts all of them).
 */
#ifndef HU_INGEST_EVENT_H
#define HU_INGEST_EVENT_H

#include <stdint.h>
#include <stddef.h>
#include "core/limits.h"

struct hu_span {
    const char *ptr;
    size_t len;
};

#define HU_SPAN_NULL ((struct hu_span){ NULL, 0 })
#define hu_span_present(s) ((s).ptr != NULL)

enum hu_event_kind {
    HU_EV_REQUEST = 0,
    HU_EV_ACCOUNT,
    HU_EV_MODEL_RELEASE
};

/* Absent integer field. */
#define HU_EV_ABSENT INT64_MIN

struct hu_event {
    enum hu_event_kind kind;
    int64_t ts_ms;                 /* epoch milliseconds, UTC */
    uint64_t line_no;              /* 1-based line in its source */

    /* identity (request and account) */
    struct hu_span account_id, org_id, api_key_id;
    /* network and client */
    struct hu_span ip, country, user_agent, client_fp, headers_fp;
    /* request */
    struct hu_span endpoint, model, system, prompt;
    struct hu_span payment_fp;
    struct hu_span label;          /* ground truth (evaluation data only) */
    /* account lines */
    struct hu_span account_type;   /* "type": individual, startup, education, ... */
    struct hu_span email_domain, verification;

    /* `features` object as raw JSON (featurized input, see huella featurize);
     * ptr == NULL when absent. */
    struct hu_span features_json;

    /* request shape */
    int     thinking;              /* -1 absent, 0 off, 1 on */
    int64_t thinking_budget;       /* tokens when `thinking` was a number, else ABSENT */
    int64_t max_tokens, input_tokens, output_tokens;
    int64_t status;

    /* messages: count by role; the prompt span is the last user turn when
     * `prompt` itself was absent. */
    uint32_t n_messages, n_user_msgs, n_assistant_msgs, n_tool_msgs;
    /* content blocks of types other than text seen in the messages
     * (image, tool_use, tool_result, ...): count per family */
    uint32_t n_image_blocks, n_tool_use_blocks, n_tool_result_blocks;

    /* tools: the names of the first HU_MAX_TOOLS declared tools */
    uint32_t n_tools;              /* names stored in tools[] */
    uint32_t tools_total;          /* tools declared, including ones not stored */
    struct hu_span tools[HU_MAX_TOOLS];

    /* text fields of this line cut to HU_MAX_FIELD_BYTES (at a UTF-8
     * boundary); the cut spans are still valid UTF-8. */
    uint32_t n_truncated;
};

/* Reset every field to absent (the state before parsing a line). */
void hu_event_clear(struct hu_event *ev);

/* Parse an RFC 3339 timestamp ("2026-02-10T14:03:22.123Z", any offset,
 * 'T' or ' ' separator, optional fraction) into epoch milliseconds.
 * HU_OK or HU_EPARSE.  Pure, allocation-free. */
int hu_parse_rfc3339(const char *p, size_t len, int64_t *ms_out);

/* Interpret a numeric `ts`: above 1e11 it is epoch milliseconds, else
 * epoch seconds (fractions kept to the millisecond).  HU_EV_ABSENT when v
 * is not finite, negative, or after 9999-12-31T23:59:59.999Z. */
int64_t hu_ts_from_number(double v);

/* Format epoch ms as "2026-02-10T14:03:22.123Z" into buf (>= 25 bytes). */
void hu_format_rfc3339(int64_t ms, char *buf, size_t cap);

#endif
