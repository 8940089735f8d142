/* outputs.c -- accounts.csv and campaigns.json, see outputs.h. */
#include "report/outputs.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "link/pairs.h"

#include <math.h>
#include <string.h>

/* Flush the buffer to the file when it passes this size. */
#define FLUSH_AT (1u << 20)
/* Cap of the output buffer: one campaign object with 100k member ids fits. */
#define OUT_BUF_MAX (64u << 20)

static int flush(FILE *out, struct hu_buf *b)
{
    if (b->len && fwrite(b->ptr, 1, b->len, out) != b->len)
        return HU_EIO;
    hu_buf_reset(b);
    return HU_OK;
}

int hu_csv_field(struct hu_buf *b, const char *s, size_t len)
{
    int quote = 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r') { quote = 1; break; }
    if (!quote)
        return hu_buf_add(b, s, len);
    int rc = hu_buf_addc(b, '"');
    for (size_t i = 0; i < len && !rc; i++)
        rc = s[i] == '"' ? hu_buf_add(b, "\"\"", 2) : hu_buf_addc(b, s[i]);
    return rc ? rc : hu_buf_addc(b, '"');
}

/* Numbers in outputs: at most 4 decimals, no trailing zeros, never
 * "nan" or "inf" (JSON has neither). */
static int add_num(struct hu_buf *b, double v)
{
    if (!isfinite(v))
        v = 0;
    char tmp[48];
    int n = snprintf(tmp, sizeof tmp, "%.4f", v);
    while (n > 1 && tmp[n - 1] == '0') n--;
    if (n > 1 && tmp[n - 1] == '.') n--;
    if (n == 2 && tmp[0] == '-' && tmp[1] == '0') { tmp[0] = '0'; n = 1; }
    return hu_buf_add(b, tmp, (size_t)n);
}

int hu_format_reasons(struct hu_buf *b, const struct hu_account_result *a)
{
    int rc = HU_OK;
    for (unsigned i = 0; i < a->n_reasons && !rc; i++) {
        if (i) rc = hu_buf_addc(b, ';');
        if (!rc) rc = hu_buf_adds(b, a->reasons[i].code);
        if (!rc) rc = hu_buf_addc(b, '=');
        if (!rc) rc = add_num(b, a->reasons[i].value);
    }
    return rc;
}

int hu_write_accounts_csv(FILE *out, const struct hu_results *r)
{
    struct hu_buf b, reasons;
    hu_buf_init(&b, OUT_BUF_MAX);
    hu_buf_init(&reasons, 1u << 16);
    int rc = hu_buf_adds(&b, "account_id,score,flagged,action,campaign_id,requests,reasons\n");
    for (size_t i = 0; i < r->n_accounts && !rc; i++) {
        const struct hu_account_result *a = &r->accounts[i];
        rc = hu_csv_field(&b, a->account_id, a->account_id_len);
        if (!rc) rc = hu_buf_printf(&b, ",%.4f,%d,%s,", a->score, hu_action_flagged(a->would),
                                    hu_action_name(a->action));
        if (!rc && a->campaign) rc = hu_buf_adds(&b, r->campaigns[a->campaign - 1].id);
        if (!rc) rc = hu_buf_printf(&b, ",%llu,", (unsigned long long)a->requests);
        hu_buf_reset(&reasons);
        if (!rc) rc = hu_format_reasons(&reasons, a);
        if (!rc) rc = hu_csv_field(&b, reasons.ptr ? reasons.ptr : "", reasons.len);
        if (!rc) rc = hu_buf_addc(&b, '\n');
        if (!rc && b.len > FLUSH_AT) rc = flush(out, &b);
    }
    if (!rc) rc = flush(out, &b);
    hu_buf_fini(&b);
    hu_buf_fini(&reasons);
    return rc;
}

static int add_str(struct hu_buf *b, const char *s, size_t len)
{
    int rc = hu_buf_addc(b, '"');
    if (!rc) rc = hu_buf_add_json_str(b, s, len);
    return rc ? rc : hu_buf_addc(b, '"');
}

static int add_ts(struct hu_buf *b, int64_t ms)
{
    char t[40];
    hu_format_rfc3339(ms, t, sizeof t);
    return add_str(b, t, strlen(t));
}

/* Indicator types grouped under one key of `indicators`. */
static const struct { const char *type, *key; int numeric; } ind_keys[] = {
    { "ip", "ips", 0 }, { "prefix", "prefixes", 0 }, { "asn", "asns", 1 },
    { "payment_fp", "payment_fps", 0 }, { "client_fp", "client_fps", 0 },
    { "headers_fp", "headers_fps", 0 }, { "user_agent", "user_agents", 0 },
    { "template", "templates", 0 }, { "system_prompt", "system_prompts", 0 },
    { "tools", "tool_sets", 0 },
};

static int write_campaign(struct hu_buf *b, const struct hu_results *r,
                          const struct hu_campaign_result *c)
{
    int rc = hu_buf_adds(b, "{\"id\":");
    if (!rc) rc = add_str(b, c->id, strlen(c->id));
    if (!rc) rc = hu_buf_adds(b, ",\"accounts\":[");
    for (uint32_t i = 0; i < c->n_members && !rc; i++) {
        const struct hu_account_result *a = &r->accounts[c->members[i]];
        if (i) rc = hu_buf_addc(b, ',');
        if (!rc) rc = add_str(b, a->account_id, a->account_id_len);
    }
    if (!rc) rc = hu_buf_printf(b, "],\"n_accounts\":%u,\"requests\":%llu,\"score\":",
                                c->n_members, (unsigned long long)c->requests);
    if (!rc) rc = add_num(b, c->score);
    if (!rc) rc = hu_buf_adds(b, ",\"score_parts\":{\"behaviour\":");
    if (!rc) rc = add_num(b, c->behaviour);
    if (!rc) rc = hu_buf_adds(b, ",\"concealment\":");
    if (!rc) rc = add_num(b, c->concealment);
    if (!rc) rc = hu_buf_adds(b, ",\"coordination\":");
    if (!rc) rc = add_num(b, c->coordination);
    if (!rc) rc = hu_buf_printf(b, ",\"org_fleet\":%s}", c->org_fleet ? "true" : "false");
    if (!rc) rc = hu_buf_adds(b, ",\"first_seen\":");
    if (!rc) rc = add_ts(b, c->first_seen_ms);
    if (!rc) rc = hu_buf_adds(b, ",\"last_seen\":");
    if (!rc) rc = add_ts(b, c->last_seen_ms);
    if (!rc) rc = hu_buf_adds(b, ",\"targets\":{");
    for (int t = 0; t < HU_TARGET_COUNT && !rc; t++) {
        if (t) rc = hu_buf_addc(b, ',');
        if (!rc) rc = hu_buf_printf(b, "\"%s\":", hu_target_code((enum hu_target)t));
        if (!rc) rc = add_num(b, c->targets[t]);
    }
    if (!rc) rc = hu_buf_adds(b, "},\"indicators\":{");
    for (size_t k = 0; k < sizeof ind_keys / sizeof ind_keys[0] && !rc; k++) {
        if (k) rc = hu_buf_addc(b, ',');
        if (!rc) rc = hu_buf_printf(b, "\"%s\":[", ind_keys[k].key);
        int first = 1;
        for (uint32_t i = 0; i < c->n_indicators && !rc; i++) {
            const struct hu_indicator *ind = &c->indicators[i];
            if (strcmp(ind->type, ind_keys[k].type))
                continue;
            if (!first) rc = hu_buf_addc(b, ',');
            first = 0;
            if (!rc) rc = ind_keys[k].numeric ? hu_buf_adds(b, ind->value)
                                              : add_str(b, ind->value, strlen(ind->value));
        }
        if (!rc) rc = hu_buf_addc(b, ']');
    }
    if (!rc) rc = hu_buf_adds(b, "},\"indicator_detail\":[");
    for (uint32_t i = 0; i < c->n_indicators && !rc; i++) {
        const struct hu_indicator *ind = &c->indicators[i];
        if (i) rc = hu_buf_addc(b, ',');
        if (!rc) rc = hu_buf_printf(b, "{\"type\":\"%s\",\"value\":", ind->type);
        if (!rc) rc = add_str(b, ind->value, strlen(ind->value));
        if (!rc) rc = hu_buf_printf(b, ",\"accounts\":%u,\"outside\":%u}", ind->accounts, ind->outside);
    }
    if (!rc) rc = hu_buf_adds(b, "],\"links\":[");
    int first = 1;
    for (int k = 0; k < HU_LINK_KIND_COUNT && !rc; k++) {
        if (!(c->link_kinds & (1u << k)))
            continue;
        if (!first) rc = hu_buf_addc(b, ',');
        first = 0;
        if (!rc) rc = hu_buf_printf(b, "\"%s\"", hu_link_kind_code((enum hu_link_kind)k));
    }
    if (!rc) rc = hu_buf_adds(b, "],\"evidence\":[");
    for (uint32_t i = 0; i < c->n_evidence && !rc; i++) {
        if (i) rc = hu_buf_addc(b, ',');
        if (!rc) rc = add_str(b, c->evidence[i].text, strlen(c->evidence[i].text));
    }
    if (!rc) rc = hu_buf_adds(b, "]}");
    return rc;
}

int hu_write_campaigns_json(FILE *out, const struct hu_results *r)
{
    struct hu_buf b;
    hu_buf_init(&b, OUT_BUF_MAX);
    int rc = hu_buf_addc(&b, '[');
    for (size_t i = 0; i < r->n_campaigns && !rc; i++) {
        rc = hu_buf_adds(&b, i ? ",\n" : "\n");
        if (!rc) rc = write_campaign(&b, r, &r->campaigns[i]);
        if (!rc && b.len > FLUSH_AT) rc = flush(out, &b);
    }
    if (!rc) rc = hu_buf_adds(&b, "\n]\n");
    if (!rc) rc = flush(out, &b);
    hu_buf_fini(&b);
    return rc;
}
