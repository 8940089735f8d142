/*
 * stix.c -- campaigns.json to a STIX 2.1 bundle, and its self-check.
 *
 * Design.  The input is read with the JSON tree of features/ioc_json.h
 * (simdjson underneath), never by string scanning.  The bundle is written
 * straight into a capped hu_buf in a fixed order (markings, identities,
 * extension definition, then per campaign: campaign, indicators,
 * relationships), one object per line, with keys in a fixed order, so it
 * is byte-stable.  Ids are UUIDv5 over a readable name (stix_id.h):
 *   identity--     "identity|" NAME
 *   campaign--     "campaign|" PRODUCER "|" C-ID
 *   indicator--    "indicator|" PRODUCER "|" C-ID "|" PATTERN
 *   relationship-- "relationship|indicates|" INDICATOR-ID "|" CAMPAIGN-ID
 *   bundle--       "bundle|" then "ID|MODIFIED\n" for every object
 * so re-exporting the same campaign gives the same ids, and a new
 * analysis run of a campaign that kept its C-id updates the same objects
 * (a later `modified`), as STIX versioning intends.
 *
 * Privacy.  Account ids are never written.  Evidence sentences are copied
 * into the campaign description with every account id of the campaign and
 * every raw payment fingerprint replaced by "[redacted]".  Payment
 * fingerprints are written only as HMAC-SHA256 under the share key.
 * Template, system-prompt and tool-set values are written only if they look
 * like hashes ([0-9A-Za-z_:.-], at most 128 bytes): campaigns.json holds
 * hashes there, and this guard keeps a future format change from leaking
 * prompt text.
 */
#include "report/stix.h"
#include "report/stix_id.h"
#include "features/ioc_json.h"
#include "features/ioc_pattern.h"
#include "features/ioc_sign.h"
#include "core/alloc.h"
#include "core/hash.h"
#include "core/limits.h"

#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static const struct { const char *name, *id, *code; } tlp_defs[] = {
    { "TLP:CLEAR", "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", "clear" },
    { "TLP:GREEN", "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", "green" },
    { "TLP:AMBER", "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", "amber" },
    { "TLP:AMBER+STRICT", "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", "amber+strict" },
    { "TLP:RED", "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", "red" },
};
#define TLP_EXT "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
#define UA_PATH "network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'"
#define EXT_SCHEMA_URL "https://github.com/huella/huella/blob/main/docs/formats/stix-extension.md"

int hu_tlp_parse(const char *s)
{
    for (int i = 0; s && i < 5; i++)
        if (!strcmp(s, tlp_defs[i].code))
            return i;
    return -1;
}

/* ---- small writers ---------------------------------------------------- */

struct w {
    struct hu_buf *b;
    int rc;
    struct hu_sha1 bundle_hash;     /* over "ID|MODIFIED\n" of every object */
};

static void put(struct w *w, const char *s)
{
    if (!w->rc) w->rc = hu_buf_adds(w->b, s);
}

static void putn(struct w *w, const char *s, size_t n)
{
    if (!w->rc) w->rc = hu_buf_add(w->b, s, n);
}

static void str(struct w *w, const char *s, size_t n)
{
    if (!w->rc) w->rc = hu_buf_addc(w->b, '"');
    if (!w->rc) w->rc = hu_buf_add_json_str(w->b, s, n);
    if (!w->rc) w->rc = hu_buf_addc(w->b, '"');
}

static void kv(struct w *w, const char *key, const char *val)
{
    put(w, ",\"");
    put(w, key);
    put(w, "\":");
    str(w, val, strlen(val));
}

static void begin(struct w *w, const char *type, const char *id, const char *created,
                  const char *modified, int first)
{
    put(w, first ? "\n{\"type\":\"" : ",\n{\"type\":\"");
    put(w, type);
    put(w, "\",\"spec_version\":\"2.1\"");
    kv(w, "id", id);
    if (created) kv(w, "created", created);
    if (modified) kv(w, "modified", modified);
    hu_sha1_update(&w->bundle_hash, id, strlen(id));
    hu_sha1_update(&w->bundle_hash, "|", 1);
    if (modified) hu_sha1_update(&w->bundle_hash, modified, strlen(modified));
    hu_sha1_update(&w->bundle_hash, "\n", 1);
}

static void make_id(char *out, size_t cap, const char *type, const char *name, size_t len)
{
    char u[37];
    hu_uuid5(hu_stix_ns_huella, name, len, u);
    snprintf(out, cap, "%s--%s", type, u);
}

static void marking(struct w *w, enum hu_tlp t)
{
    put(w, ",\"object_marking_refs\":[");
    str(w, tlp_defs[t].id, strlen(tlp_defs[t].id));
    put(w, "]");
}

/* ---- campaign pieces -------------------------------------------------- */

struct camp {
    const struct hu_jv *c;
    const char *cid;                    /* "C-..." */
    char created[25], modified[25];
    char stix_id[64];
    int confidence;
};

/* Copy `s` into `out` with every needle (account ids, payment fps)
 * replaced by "[redacted]".  Needles shorter than 3 bytes are ignored
 * (they would redact ordinary words).  Cost O(len * needles). */
static int redact(const char *s, size_t len, const struct hu_jv *const *lists, int n_lists,
                  struct hu_buf *out, uint32_t *count)
{
    hu_buf_reset(out);
    int rc = hu_buf_add(out, s, len);
    for (int l = 0; l < n_lists && !rc; l++) {
        const struct hu_jv *a = lists[l];
        for (uint32_t i = 0; a && a->type == HU_JV_ARR && i < a->n && !rc; i++) {
            const struct hu_jv *v = &a->kids[i];
            if (v->type != HU_JV_STR || v->n < 3)
                continue;
            char *hit;
            while (!rc && (hit = memmem(out->ptr, out->len, v->s, v->n))) {
                size_t at = (size_t)(hit - out->ptr), tail = out->len - at - v->n;
                struct hu_buf tmp;
                hu_buf_init(&tmp, out->max);
                rc = hu_buf_add(&tmp, out->ptr, at);
                if (!rc) rc = hu_buf_adds(&tmp, "[redacted]");
                if (!rc) rc = hu_buf_add(&tmp, hit + v->n, tail);
                if (!rc) {
                    hu_buf_reset(out);
                    rc = hu_buf_add(out, tmp.ptr, tmp.len);
                }
                hu_buf_fini(&tmp);
                (*count)++;
            }
        }
    }
    return rc;
}

static int hashlike(const char *s, size_t n)
{
    if (n == 0 || n > 128)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              c == ':' || c == '.' || c == '-'))
            return 0;
    }
    return 1;
}

/* accounts / outside counts of an indicator from indicator_detail. */
static void detail(const struct hu_jv *c, const char *type, const char *val, size_t n,
                   long *acc, long *outside)
{
    *acc = *outside = -1;
    const struct hu_jv *d = hu_jv_get(c, "indicator_detail");
    for (uint32_t i = 0; d && d->type == HU_JV_ARR && i < d->n; i++) {
        const struct hu_jv *e = &d->kids[i];
        const struct hu_jv *v = hu_jv_get(e, "value");
        if (!hu_jv_is(hu_jv_get(e, "type"), type) || !v || v->type != HU_JV_STR || v->n != n ||
            memcmp(v->s, val, n))
            continue;
        const struct hu_jv *a = hu_jv_get(e, "accounts"), *o = hu_jv_get(e, "outside");
        if (a && a->type == HU_JV_NUM) *acc = (long)a->d;
        if (o && o->type == HU_JV_NUM) *outside = (long)o->d;
        return;
    }
}

struct ctx {
    struct w *w;
    const struct hu_stix_opts *o;
    const char *producer, *producer_id;
    struct hu_stix_stats *st;
    struct hu_buf rels;                 /* relationships of the current campaign */
    char key_id[17];
};

/* Write one indicator (and queue its relationship).  `label` is the
 * human kind, `pattern` the full STIX pattern. */
static void indicator(struct ctx *x, const struct camp *cp, const char *kind, const char *pattern,
                      long acc, long outside)
{
    struct w *w = x->w;
    /* A value more accounts outside the campaign share than inside it (a
     * popular SDK's fingerprint, a big NAT) would make partners flag honest
     * users: not an indicator of this campaign. */
    if (acc > 0 && outside > acc) {
        x->st->unspecific++;
        return;
    }
    char pbuf[HU_MAX_STIX_PATTERN + 256];
    int n = snprintf(pbuf, sizeof pbuf, "indicator|%s|%s|%s", x->producer, cp->cid, pattern);
    if (n < 0 || (size_t)n >= sizeof pbuf) { x->st->skipped_values++; return; }
    char id[80];
    make_id(id, sizeof id, "indicator", pbuf, (size_t)n);
    begin(w, "indicator", id, cp->created, cp->modified, 0);
    kv(w, "created_by_ref", x->producer_id);
    char name[160];
    snprintf(name, sizeof name, "%s shared by huella campaign %s", kind, cp->cid);
    kv(w, "name", name);
    char desc[300] = "";
    if (acc >= 0)
        snprintf(desc, sizeof desc, "Shared by %ld account(s) of the campaign and %ld account(s) outside it.",
                 acc, outside < 0 ? 0 : outside);
    if (!strcmp(kind, "payment_hmac")) {
        size_t dl = strlen(desc);
        snprintf(desc + dl, sizeof desc - dl, "%sThe value is HMAC-SHA256 of a payment fingerprint under the "
                 "share key with key id %s.", dl ? " " : "", x->key_id);
    } else if (!strcmp(kind, "usage")) {
        snprintf(desc, sizeof desc, "Usage profile of the campaign: share of requests per capability targeted.");
    }
    if (desc[0])
        kv(w, "description", desc);
    put(w, ",\"indicator_types\":[\"malicious-activity\"]");
    kv(w, "pattern", pattern);
    put(w, ",\"pattern_type\":\"stix\",\"pattern_version\":\"2.1\"");
    kv(w, "valid_from", cp->created);
    int conf = cp->confidence;
    if (acc > 0 && outside > 0)
        conf = (int)((double)conf * (double)acc / (double)(acc + outside));
    char num[32];
    snprintf(num, sizeof num, ",\"confidence\":%d", conf);
    put(w, num);
    put(w, ",\"labels\":[\"huella\",");
    str(w, kind, strlen(kind));
    put(w, "]");
    marking(w, x->o->tlp);
    put(w, "}");
    x->st->indicators++;

    /* relationship, written after the campaign's indicators */
    char rname[200], rid[80];
    n = snprintf(rname, sizeof rname, "relationship|indicates|%s|%s", id, cp->stix_id);
    make_id(rid, sizeof rid, "relationship", rname, (size_t)n);
    struct w rw = *w;
    rw.b = &x->rels;
    begin(&rw, "relationship", rid, cp->created, cp->modified, 0);
    put(&rw, ",\"relationship_type\":\"indicates\"");
    kv(&rw, "source_ref", id);
    kv(&rw, "target_ref", cp->stix_id);
    kv(&rw, "created_by_ref", x->producer_id);
    marking(&rw, x->o->tlp);
    put(&rw, "}");
    w->bundle_hash = rw.bundle_hash;
    if (rw.rc && !w->rc) w->rc = rw.rc;
    x->st->relationships++;
}

static void fp_indicator(struct ctx *x, const struct camp *cp, const char *kind, const char *val, size_t n,
                         long acc, long outside)
{
    char q[HU_MAX_STIX_PATTERN / 2], pat[HU_MAX_STIX_PATTERN + 128];
    if (hu_pattern_quote(val, n, q, sizeof q) >= sizeof q) { x->st->skipped_values++; return; }
    int m = snprintf(pat, sizeof pat, "[huella-fingerprint:kind = '%s' AND huella-fingerprint:value = '%s']",
                     kind, q);
    if (m < 0 || (size_t)m >= sizeof pat) { x->st->skipped_values++; return; }
    indicator(x, cp, kind, pat, acc, outside);
}

static void campaign_indicators(struct ctx *x, const struct camp *cp)
{
    const struct hu_jv *ind = hu_jv_get(cp->c, "indicators");
    char pat[HU_MAX_STIX_PATTERN + 128], q[HU_MAX_STIX_PATTERN / 2];
    long acc, outside;
    const struct hu_jv *a = hu_jv_get(ind, "ips");
    for (uint32_t i = 0; a && a->type == HU_JV_ARR && i < a->n; i++) {
        const struct hu_jv *v = &a->kids[i];
        uint8_t b[16];
        if (v->type != HU_JV_STR || v->n > 60 ||
            (inet_pton(AF_INET, v->s, b) != 1 && inet_pton(AF_INET6, v->s, b) != 1)) {
            x->st->skipped_values++;
            continue;
        }
        int v6 = memchr(v->s, ':', v->n) != NULL;
        snprintf(pat, sizeof pat, "[%s:value = '%s']", v6 ? "ipv6-addr" : "ipv4-addr", v->s);
        detail(cp->c, "ip", v->s, v->n, &acc, &outside);
        indicator(x, cp, "ip", pat, acc, outside);
    }
    a = hu_jv_get(ind, "prefixes");
    for (uint32_t i = 0; a && a->type == HU_JV_ARR && i < a->n; i++) {
        const struct hu_jv *v = &a->kids[i];
        char addr[64];
        uint8_t b[16];
        const char *slash = v->type == HU_JV_STR ? memchr(v->s, '/', v->n) : NULL;
        size_t al = slash ? (size_t)(slash - v->s) : 0;
        int ok = slash && al < sizeof addr && v->n - al >= 2 && v->n - al <= 4;
        if (ok) {
            memcpy(addr, v->s, al);
            addr[al] = '\0';
            ok = inet_pton(AF_INET, addr, b) == 1 || inet_pton(AF_INET6, addr, b) == 1;
            for (size_t j = al + 1; ok && j < v->n; j++) ok = v->s[j] >= '0' && v->s[j] <= '9';
        }
        if (!ok) { x->st->skipped_values++; continue; }
        int v6 = memchr(addr, ':', al) != NULL;
        snprintf(pat, sizeof pat, "[%s:value ISSUBSET '%s']", v6 ? "ipv6-addr" : "ipv4-addr", v->s);
        detail(cp->c, "prefix", v->s, v->n, &acc, &outside);
        indicator(x, cp, "prefix", pat, acc, outside);
    }
    a = hu_jv_get(ind, "asns");
    for (uint32_t i = 0; a && a->type == HU_JV_ARR && i < a->n; i++) {
        const struct hu_jv *v = &a->kids[i];
        int64_t asn = -1;
        if (v->type == HU_JV_NUM && v->is_int) asn = v->i;
        else if (v->type == HU_JV_STR) {
            const char *p = v->s;
            if (v->n > 2 && (p[0] == 'A' || p[0] == 'a') && (p[1] == 'S' || p[1] == 's')) p += 2;
            asn = 0;
            for (; *p && asn >= 0; p++) asn = (*p >= '0' && *p <= '9' && asn < 1000000000000LL) ? asn * 10 + (*p - '0') : -1;
        }
        if (asn < 0 || asn > 4294967295LL) { x->st->skipped_values++; continue; }
        snprintf(pat, sizeof pat, "[autonomous-system:number = %lld]", (long long)asn);
        char as[24];
        int asl = snprintf(as, sizeof as, "%lld", (long long)asn);
        detail(cp->c, "asn", as, (size_t)asl, &acc, &outside);
        indicator(x, cp, "asn", pat, acc, outside);
    }
    a = hu_jv_get(ind, "user_agents");
    for (uint32_t i = 0; a && a->type == HU_JV_ARR && i < a->n; i++) {
        const struct hu_jv *v = &a->kids[i];
        if (v->type != HU_JV_STR || !v->n || v->n > 1024 || memchr(v->s, '\0', v->n) ||
            hu_pattern_quote(v->s, v->n, q, sizeof q) >= sizeof q) {
            x->st->skipped_values++;
            continue;
        }
        snprintf(pat, sizeof pat, "[" UA_PATH " = '%s']", q);
        detail(cp->c, "user_agent", v->s, v->n, &acc, &outside);
        indicator(x, cp, "user_agent", pat, acc, outside);
    }
    static const struct { const char *key, *type, *kind; int hashed; } fps[] = {
        { "client_fps", "client_fp", "client_fp", 0 },
        { "headers_fps", "headers_fp", "headers_fp", 0 },
        { "templates", "template", "template", 1 },
        { "system_prompts", "system_prompt", "system_prompt", 1 },
        { "tool_sets", "tools", "tool_set", 1 },
    };
    for (size_t k = 0; k < sizeof fps / sizeof fps[0]; k++) {
        a = hu_jv_get(ind, fps[k].key);
        for (uint32_t i = 0; a && a->type == HU_JV_ARR && i < a->n; i++) {
            const struct hu_jv *v = &a->kids[i];
            if (v->type != HU_JV_STR || !v->n || v->n > 512 || memchr(v->s, '\0', v->n) ||
                (fps[k].hashed && !hashlike(v->s, v->n))) {
                x->st->skipped_values++;
                continue;
            }
            detail(cp->c, fps[k].type, v->s, v->n, &acc, &outside);
            fp_indicator(x, cp, fps[k].kind, v->s, v->n, acc, outside);
        }
    }
    a = hu_jv_get(ind, "payment_fps");
    for (uint32_t i = 0; a && a->type == HU_JV_ARR && i < a->n; i++) {
        const struct hu_jv *v = &a->kids[i];
        if (v->type != HU_JV_STR || !v->n) { x->st->skipped_values++; continue; }
        if (!x->o->share_key) { x->st->omitted_payment++; continue; }
        char h[65];
        hu_keyed_hash(x->o->share_key, x->o->share_key_len, v->s, v->n, h);
        detail(cp->c, "payment_fp", v->s, v->n, &acc, &outside);
        fp_indicator(x, cp, "payment_hmac", h, 64, acc, outside);
    }
    /* Usage fingerprint: targets with a share >= 0.1, rounded to 0.1,
     * sorted by code: "coding=0.6;reasoning=0.3".  Coarse on purpose, so
     * two providers seeing the same operation compute the same string. */
    const struct hu_jv *t = hu_jv_get(cp->c, "targets");
    char usage[512];
    size_t ul = 0;
    const char *last = "";
    for (;;) {  /* selection sort by key over at most a few dozen targets */
        const struct hu_jv *best = NULL;
        for (uint32_t i = 0; t && t->type == HU_JV_OBJ && i < t->n && i < 64; i++) {
            const struct hu_jv *e = &t->kids[i];
            if (e->type != HU_JV_NUM || !isfinite(e->d) || e->d < 0.1 || !hashlike(e->key, e->key_len)) continue;
            if (strcmp(e->key, last) <= 0) continue;
            if (!best || strcmp(e->key, best->key) < 0) best = e;
        }
        if (!best) break;
        int m = snprintf(usage + ul, sizeof usage - ul, "%s%s=%.1f", ul ? ";" : "", best->key,
                         floor(best->d * 10 + 0.5) / 10);
        if (m < 0 || (size_t)m >= sizeof usage - ul) break;
        ul += (size_t)m;
        last = best->key;
    }
    if (ul)
        fp_indicator(x, cp, "usage", usage, ul, -1, -1);
}

static void campaign(struct ctx *x, struct camp *cp, struct hu_buf *scratch)
{
    struct w *w = x->w;
    const struct hu_jv *c = cp->c;
    begin(w, "campaign", cp->stix_id, cp->created, cp->modified, 0);
    kv(w, "created_by_ref", x->producer_id);
    char name[96];
    snprintf(name, sizeof name, "huella campaign %s", cp->cid);
    kv(w, "name", name);
    /* description: counts, targets, evidence (redacted) */
    struct hu_buf d;
    hu_buf_init(&d, 1u << 20);
    const struct hu_jv *na = hu_jv_get(c, "n_accounts"), *rq = hu_jv_get(c, "requests"),
                       *sc = hu_jv_get(c, "score");
    int rc = hu_buf_printf(&d, "Distillation campaign found by huella: %.0f accounts, %.0f requests, score %.2f.",
                           na && na->type == HU_JV_NUM ? na->d : 0, rq && rq->type == HU_JV_NUM ? rq->d : 0,
                           sc && sc->type == HU_JV_NUM ? sc->d : 0);
    const struct hu_jv *t = hu_jv_get(c, "targets");
    int first = 1;
    for (uint32_t i = 0; !rc && t && t->type == HU_JV_OBJ && i < t->n; i++) {
        const struct hu_jv *e = &t->kids[i];
        if (e->type != HU_JV_NUM || e->d < 0.005 || !hashlike(e->key, e->key_len)) continue;
        rc = hu_buf_printf(&d, "%s %s %.0f%%", first ? " Targets:" : ",", e->key, e->d * 100);
        first = 0;
    }
    if (!rc && !first) rc = hu_buf_addc(&d, '.');
    const struct hu_jv *ev = hu_jv_get(c, "evidence");
    const struct hu_jv *lists[2] = { hu_jv_get(c, "accounts"), hu_jv_get(hu_jv_get(c, "indicators"), "payment_fps") };
    for (uint32_t i = 0; !rc && ev && ev->type == HU_JV_ARR && i < ev->n; i++) {
        const struct hu_jv *e = &ev->kids[i];
        if (e->type != HU_JV_STR) continue;
        rc = redact(e->s, e->n, lists, 2, scratch, &x->st->redactions);
        if (!rc) rc = hu_buf_addc(&d, ' ');
        if (!rc) rc = hu_buf_add(&d, scratch->ptr ? scratch->ptr : "", scratch->len);
    }
    if (rc && !w->rc) w->rc = rc;
    put(w, ",\"description\":");
    str(w, d.ptr ? d.ptr : "", d.len);
    hu_buf_fini(&d);
    put(w, ",\"aliases\":[");
    str(w, cp->cid, strlen(cp->cid));
    put(w, "]");
    kv(w, "first_seen", cp->created);
    uint32_t ll = 0;
    const char *ls = hu_jv_str(c, "last_seen", &ll);
    int64_t lms;
    char lts[25];
    if (ls && hu_stix_parse_time(ls, ll, &lms) == 0) {
        hu_stix_time(lms, lts);
        kv(w, "last_seen", lts);
    }
    /* objective: what the campaign harvests, strongest target first */
    const struct hu_jv *best = NULL;
    for (uint32_t i = 0; t && t->type == HU_JV_OBJ && i < t->n; i++)
        if (t->kids[i].type == HU_JV_NUM && hashlike(t->kids[i].key, t->kids[i].key_len) &&
            (!best || t->kids[i].d > best->d))
            best = &t->kids[i];
    char obj[200];
    if (best && best->d > 0)
        snprintf(obj, sizeof obj, "Harvest model outputs to train another model (distillation); main target: %s",
                 best->key);
    else
        snprintf(obj, sizeof obj, "Harvest model outputs to train another model (distillation)");
    kv(w, "objective", obj);
    char num[32];
    snprintf(num, sizeof num, ",\"confidence\":%d", cp->confidence);
    put(w, num);
    marking(w, x->o->tlp);
    put(w, "}");
    x->st->campaigns++;
}

static void set_err(char *err, size_t cap, const char *msg)
{
    if (err && cap) snprintf(err, cap, "%s", msg);
}

int hu_stix_export(const char *json, size_t len, const struct hu_stix_opts *o, struct hu_buf *out,
                   struct hu_stix_stats *st, char *err, size_t errcap)
{
    if (!json || !o || !out || (unsigned)o->tlp > HU_TLP_RED)
        return HU_EINVAL;
    struct hu_stix_stats unasked;   /* the counts when the caller did not ask */
    if (!st) st = &unasked;
    memset(st, 0, sizeof *st);
    if (len > HU_MAX_STIX_BYTES) {
        set_err(err, errcap, "campaigns.json is larger than HU_MAX_STIX_BYTES");
        return HU_ETOOBIG;
    }
    struct hu_jtree *tree = NULL;
    char jerr[128];
    int rc = hu_jtree_parse(json, len, HU_MAX_JSON_DEPTH, &tree, jerr, sizeof jerr);
    if (rc) {
        char m[200];
        snprintf(m, sizeof m, "campaigns.json is not valid JSON: %s", jerr);
        set_err(err, errcap, m);
        return rc;
    }
    const struct hu_jv *root = hu_jtree_root(tree);
    if (root->type != HU_JV_ARR) {
        hu_jtree_destroy(tree);
        set_err(err, errcap, "campaigns.json is not an array of campaigns");
        return HU_EPARSE;
    }
    struct camp *cps = hu_calloc(root->n ? root->n : 1, sizeof *cps);
    if (!cps) { hu_jtree_destroy(tree); return HU_ENOMEM; }
    const char *producer = o->producer && *o->producer ? o->producer : "huella";
    int64_t min_first = INT64_MAX, now = o->now_ms;
    for (uint32_t i = 0; i < root->n; i++) {
        struct camp *cp = &cps[i];
        const struct hu_jv *c = &root->kids[i];
        cp->c = c;
        uint32_t idl = 0, fl = 0, ll = 0;
        cp->cid = hu_jv_str(c, "id", &idl);
        const char *fs = hu_jv_str(c, "first_seen", &fl), *ls = hu_jv_str(c, "last_seen", &ll);
        int64_t f, l;
        if (c->type != HU_JV_OBJ || !cp->cid || !idl || idl > 64 || memchr(cp->cid, '\0', idl) || !fs || !ls ||
            hu_stix_parse_time(fs, fl, &f) || hu_stix_parse_time(ls, ll, &l)) {
            char m[160];
            snprintf(m, sizeof m, "campaign %u of campaigns.json lacks a valid id, first_seen or last_seen", i + 1);
            set_err(err, errcap, m);
            hu_free(cps);
            hu_jtree_destroy(tree);
            return HU_EPARSE;
        }
        if (l < f) l = f;
        if (now >= 0) l = now > f ? now : f;
        hu_stix_time(f, cp->created);
        hu_stix_time(l, cp->modified);
        if (f < min_first) min_first = f;
        char nm[200];
        int n = snprintf(nm, sizeof nm, "campaign|%s|%s", producer, cp->cid);
        if (n >= (int)sizeof nm) n = (int)sizeof nm - 1;
        make_id(cp->stix_id, sizeof cp->stix_id, "campaign", nm, (size_t)n);
        const struct hu_jv *sc = hu_jv_get(c, "score");
        double s = sc && sc->type == HU_JV_NUM && isfinite(sc->d) ? sc->d : 0;
        cp->confidence = (int)floor((s < 0 ? 0 : s > 1 ? 1 : s) * 100 + 0.5);
    }
    (void)min_first;

    struct w w = { out, HU_OK, { { 0 }, 0, { 0 }, 0 } };
    hu_uuid5_start(&w.bundle_hash, hu_stix_ns_huella);
    hu_sha1_update(&w.bundle_hash, "bundle|", 7);
    size_t start = out->len;
    /* The bundle id is known only at the end: write a placeholder of the
     * same length and patch it. */
    put(&w, "{\"type\":\"bundle\",\"id\":\"bundle--00000000-0000-5000-8000-000000000000\",\"objects\":[");
    size_t id_at = start + strlen("{\"type\":\"bundle\",\"id\":\"bundle--");

    /* TLP marking: the standard TLP 2.0 object, verbatim. */
    const char *tid = tlp_defs[o->tlp].id;
    begin(&w, "marking-definition", tid, "2022-10-01T00:00:00.000Z", NULL, 1);
    kv(&w, "name", tlp_defs[o->tlp].name);
    put(&w, ",\"extensions\":{\"" TLP_EXT "\":{\"extension_type\":\"property-extension\",\"tlp_2_0\":");
    str(&w, tlp_defs[o->tlp].code, strlen(tlp_defs[o->tlp].code));
    put(&w, "}}}");

    char huella_id[80], producer_id[80], nm[300];
    int n = snprintf(nm, sizeof nm, "identity|%s", "huella");
    make_id(huella_id, sizeof huella_id, "identity", nm, (size_t)n);
    n = snprintf(nm, sizeof nm, "identity|%s", producer);
    if (n >= (int)sizeof nm) n = (int)sizeof nm - 1;
    make_id(producer_id, sizeof producer_id, "identity", nm, (size_t)n);
    begin(&w, "identity", huella_id, HU_STIX_FIXED_TIME, HU_STIX_FIXED_TIME, 0);
    kv(&w, "name", "huella");
    kv(&w, "description", "huella, open-source detector of distillation campaigns; author of the huella-fingerprint STIX extension.");
    put(&w, ",\"identity_class\":\"organization\"}");
    if (strcmp(producer_id, huella_id)) {
        begin(&w, "identity", producer_id, HU_STIX_FIXED_TIME, HU_STIX_FIXED_TIME, 0);
        kv(&w, "name", producer);
        put(&w, ",\"identity_class\":\"organization\"}");
    }
    begin(&w, "extension-definition", HU_STIX_EXT_ID, HU_STIX_FIXED_TIME, HU_STIX_FIXED_TIME, 0);
    kv(&w, "created_by_ref", huella_id);
    kv(&w, "name", "huella-fingerprint");
    kv(&w, "description", "A new SCO, huella-fingerprint {kind, value}, naming a fingerprint of an LLM API client, "
                          "payment instrument (keyed HMAC-SHA256), prompt template, system prompt, tool set or "
                          "usage profile, so that STIX patterns can match on it.");
    kv(&w, "schema", EXT_SCHEMA_URL);
    put(&w, ",\"version\":\"1.0\",\"extension_types\":[\"new-sco\"]}");

    struct ctx x = { &w, o, producer, producer_id, st, { 0 }, "" };
    if (o->share_key)
        hu_share_key_id(o->share_key, o->share_key_len, x.key_id);
    hu_buf_init(&x.rels, out->max);
    struct hu_buf scratch;
    hu_buf_init(&scratch, 1u << 20);
    for (uint32_t i = 0; i < root->n && !w.rc; i++) {
        /* linked groups below the flag threshold (a company's fleet, a
         * crowd) are in campaigns.json for transparency, never shared */
        if (cps[i].confidence < (int)floor(o->min_score * 100 + 0.5)) {
            x.st->below_min_score++;
            continue;
        }
        campaign(&x, &cps[i], &scratch);
        hu_buf_reset(&x.rels);
        campaign_indicators(&x, &cps[i]);
        if (x.rels.len) putn(&w, x.rels.ptr, x.rels.len);
    }
    put(&w, "\n]}\n");
    hu_buf_fini(&scratch);
    hu_buf_fini(&x.rels);
    if (!w.rc) {
        char u[37];
        hu_uuid5_finish(&w.bundle_hash, u);
        memcpy(out->ptr + id_at, u, 36);
    }
    rc = w.rc;
    hu_free(cps);
    hu_jtree_destroy(tree);
    if (rc) {
        set_err(err, errcap, rc == HU_ETOOBIG ? "the bundle would pass the output cap (HU_MAX_STIX_BYTES for the "
                                            "CLI: what a partner's huella loads); export fewer campaigns"
                                          : hu_status_str(rc));
        return rc;
    }
    char cerr[300];
    rc = hu_stix_check(out->ptr + start, out->len - start, cerr, sizeof cerr);
    if (rc == HU_ENOMEM) {
        set_err(err, errcap, hu_status_str(rc));
        return rc;
    }
    if (rc != HU_OK) {
        char m[360];
        snprintf(m, sizeof m, "internal: exported bundle fails its own check: %s", cerr);
        set_err(err, errcap, m);
        return HU_EINTERNAL;
    }
    return HU_OK;
}

/* ---- check ------------------------------------------------------------ */

/* Ids of a bundle in an open-addressing table (indexes + 1 into objs;
 * load <= 1/2), so the check is O(objects + references). */
struct idset {
    const struct hu_jv *objs;
    uint32_t *t;
    size_t cap;
};

static const char *obj_id(const struct hu_jv *objs, uint32_t i, uint32_t *len)
{
    return hu_jv_str(&objs->kids[i], "id", len);
}

/* Insert object i: 1 inserted, 0 duplicate. */
static int idset_add(struct idset *s, uint32_t i)
{
    uint32_t l = 0;
    const char *id = obj_id(s->objs, i, &l);
    size_t h = hu_hash(id, l) & (s->cap - 1);
    for (; s->t[h]; h = (h + 1) & (s->cap - 1)) {
        uint32_t jl = 0;
        const char *jd = obj_id(s->objs, s->t[h] - 1, &jl);
        if (jl == l && !memcmp(jd, id, l))
            return 0;
    }
    s->t[h] = i + 1;
    return 1;
}

static int has_id(const struct idset *s, const char *id, uint32_t n)
{
    for (size_t h = hu_hash(id, n) & (s->cap - 1); s->t[h]; h = (h + 1) & (s->cap - 1)) {
        uint32_t jl = 0;
        const char *jd = obj_id(s->objs, s->t[h] - 1, &jl);
        if (jl == n && !memcmp(jd, id, n))
            return 1;
    }
    return 0;
}

int hu_stix_check(const char *json, size_t len, char *err, size_t errcap)
{
    struct hu_jtree *t = NULL;
    struct idset ids = { NULL, NULL, 0 };
    struct hu_pattern *pt = NULL;
    char m[300];
    int rc = hu_jtree_parse(json, len, HU_MAX_JSON_DEPTH, &t, m, sizeof m);
    if (rc) { set_err(err, errcap, m); return rc == HU_ENOMEM ? rc : HU_EPARSE; }
    const struct hu_jv *root = hu_jtree_root(t), *objs = hu_jv_get(root, "objects");
    rc = HU_ECORRUPT;
    if (!hu_jv_is(hu_jv_get(root, "type"), "bundle") || !objs || objs->type != HU_JV_ARR) {
        set_err(err, errcap, "not a bundle with an objects array");
        goto out;
    }
    static const char *const times[] = { "created", "modified", "valid_from", "valid_until",
                                         "first_seen", "last_seen", "published" };
    static const char *const refs[] = { "created_by_ref", "source_ref", "target_ref", "sighting_of_ref" };
    static const char *const ref_lists[] = { "object_marking_refs", "object_refs", "where_sighted_refs" };
    ids.objs = objs;
    ids.cap = 16;
    while (ids.cap < (size_t)objs->n * 2) ids.cap *= 2;
    ids.t = hu_calloc(ids.cap, sizeof *ids.t);
    if (!ids.t) { rc = HU_ENOMEM; goto out; }
    for (uint32_t i = 0; i < objs->n; i++) {
        uint32_t il = 0;
        const char *id = hu_jv_str(&objs->kids[i], "id", &il);
        if (!id) { snprintf(m, sizeof m, "object %u has no id", i); set_err(err, errcap, m); goto out; }
        if (!idset_add(&ids, i)) {
            snprintf(m, sizeof m, "duplicate id %.80s", id); set_err(err, errcap, m); goto out;
        }
    }
    for (uint32_t i = 0; i < objs->n; i++) {
        const struct hu_jv *ob = &objs->kids[i];
        uint32_t il = 0;
        const char *id = hu_jv_str(ob, "id", &il);
        for (size_t k = 0; k < sizeof times / sizeof times[0]; k++) {
            uint32_t tl = 0;
            const struct hu_jv *tv = hu_jv_get(ob, times[k]);
            const char *ts = hu_jv_str(ob, times[k], &tl);
            if (tv && (!ts || !hu_stix_time_is_ms(ts, tl))) {
                snprintf(m, sizeof m, "%.80s: %s is not a millisecond UTC timestamp", id, times[k]);
                set_err(err, errcap, m); goto out;
            }
        }
        uint32_t cl = 0, ml = 0;
        const char *cr = hu_jv_str(ob, "created", &cl), *mo = hu_jv_str(ob, "modified", &ml);
        if (cr && mo && strcmp(mo, cr) < 0) {
            snprintf(m, sizeof m, "%.80s: modified is before created", id); set_err(err, errcap, m); goto out;
        }
        for (size_t k = 0; k < sizeof refs / sizeof refs[0]; k++) {
            const struct hu_jv *r = hu_jv_get(ob, refs[k]);
            if (r && (r->type != HU_JV_STR || !has_id(&ids, r->s, r->n))) {
                snprintf(m, sizeof m, "%.80s: %s does not resolve in the bundle", id, refs[k]);
                set_err(err, errcap, m); goto out;
            }
        }
        for (size_t k = 0; k < sizeof ref_lists / sizeof ref_lists[0]; k++) {
            const struct hu_jv *r = hu_jv_get(ob, ref_lists[k]);
            for (uint32_t j = 0; r && j < (r->type == HU_JV_ARR ? r->n : 1); j++) {
                const struct hu_jv *e = r->type == HU_JV_ARR ? &r->kids[j] : r;
                if (e->type != HU_JV_STR || !has_id(&ids, e->s, e->n)) {
                    snprintf(m, sizeof m, "%.80s: %s[%u] does not resolve in the bundle", id, ref_lists[k], j);
                    set_err(err, errcap, m); goto out;
                }
            }
        }
        if (hu_jv_is(hu_jv_get(ob, "type"), "indicator") && hu_jv_is(hu_jv_get(ob, "pattern_type"), "stix")) {
            uint32_t pl = 0;
            const char *p = hu_jv_str(ob, "pattern", &pl);
            if (!pt && !(pt = hu_malloc(sizeof *pt))) { rc = HU_ENOMEM; goto out; }
            char perr[200] = "no pattern";
            int prc = p ? hu_pattern_parse(p, pl, pt, perr, sizeof perr) : HU_EPARSE;
            if (prc) {
                snprintf(m, sizeof m, "%.80s: bad pattern: %s", id, perr); set_err(err, errcap, m); goto out;
            }
        }
    }
    rc = HU_OK;
out:
    hu_free(pt);
    hu_free(ids.t);
    hu_jtree_destroy(t);
    return rc;
}
