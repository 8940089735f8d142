/*
 * fields.h -- the contract's fields as one table (internal to ingest).
 *
 * One row per field of shared/docs/EVENTS.md.  The JSON parser dispatches
 * keys through it, the --map parser checks field names against it, and the
 * docs list it, so the three can never disagree.  `type` says how a value
 * is read:
 *   KIND      "request" | "account" | "model_release"
 *   TS        RFC 3339 string or epoch number (seconds, or ms above 1e11)
 *   ID        identifier string, at most HU_MAX_ID_BYTES (longer: id_too_long)
 *   TEXT      free text, truncated to HU_MAX_FIELD_BYTES (counted)
 *   PROSE     TEXT that may also be an array of content blocks (prompt, system)
 *   INT       integer (an integral float such as 100.0 is accepted)
 *   THINKING  bool, number (budget) or {"type":..,"budget_tokens":N}
 *   MESSAGES  array of {role, content}
 *   TOOLS     array of names or objects with `name` (or function.name)
 *   FEATURES  object, kept as its raw JSON text
 * `member` names the struct hu_event member for span and integer fields
 * (the dummy `kind` for the others; it is never used for them).
 */
#ifndef HU_INGEST_FIELDS_H
#define HU_INGEST_FIELDS_H

#define HU_FIELD_MAP(X)                                   \
    X(KIND,          "kind",          KIND,     kind)          \
    X(TS,            "ts",            TS,       ts_ms)         \
    X(ACCOUNT_ID,    "account_id",    ID,       account_id)    \
    X(ORG_ID,        "org_id",        ID,       org_id)        \
    X(API_KEY_ID,    "api_key_id",    ID,       api_key_id)    \
    X(IP,            "ip",            ID,       ip)            \
    X(COUNTRY,       "country",       ID,       country)       \
    X(USER_AGENT,    "user_agent",    TEXT,     user_agent)    \
    X(CLIENT_FP,     "client_fp",     ID,       client_fp)     \
    X(HEADERS_FP,    "headers_fp",    ID,       headers_fp)    \
    X(ENDPOINT,      "endpoint",      ID,       endpoint)      \
    X(MODEL,         "model",         ID,       model)         \
    X(SYSTEM,        "system",        PROSE,    system)        \
    X(PROMPT,        "prompt",        PROSE,    prompt)        \
    X(MESSAGES,      "messages",      MESSAGES, kind)          \
    X(TOOLS,         "tools",         TOOLS,    kind)          \
    X(THINKING,      "thinking",      THINKING, kind)          \
    X(MAX_TOKENS,    "max_tokens",    INT,      max_tokens)    \
    X(INPUT_TOKENS,  "input_tokens",  INT,      input_tokens)  \
    X(OUTPUT_TOKENS, "output_tokens", INT,      output_tokens) \
    X(STATUS,        "status",        INT,      status)        \
    X(PAYMENT_FP,    "payment_fp",    ID,       payment_fp)    \
    X(FEATURES,      "features",      FEATURES, features_json) \
    X(LABEL,         "label",         ID,       label)         \
    X(TYPE,          "type",          ID,       account_type)  \
    X(EMAIL_DOMAIN,  "email_domain",  ID,       email_domain)  \
    X(VERIFICATION,  "verification",  ID,       verification)

enum hu__field {
#define HU__FIELD_ENUM(id, name, type, member) HU__F_##id,
    HU_FIELD_MAP(HU__FIELD_ENUM)
#undef HU__FIELD_ENUM
    HU__F_COUNT
};

enum hu__ftype {
    HU__FT_KIND, HU__FT_TS, HU__FT_ID, HU__FT_TEXT, HU__FT_PROSE, HU__FT_INT,
    HU__FT_THINKING, HU__FT_MESSAGES, HU__FT_TOOLS, HU__FT_FEATURES
};

#endif
