/*
 * explain.c -- what an analyst reads about a campaign: its indicators (the
 * things its accounts share, with how many accounts outside share them
 * too) and its evidence sentences, each with the numbers behind it.
 *
 * Indicators are chosen from the members' bounded sets (profile.h): a
 * value at least two members hold, the most shared first, at most
 * MAX_INDICATORS_PER_TYPE per type; "outside" counts every other account
 * holding it, found in one pass over all profiles.  Values are printed
 * from the observer's dictionary, or as a hash when the dictionary did not
 * keep them.  Nothing here is prompt text: templates and system prompts
 * are printed as their hashes.
 */
#include "score/explain.h"
#include "core/alloc.h"
#include "core/hash.h"
#include "core/sort.h"
#include "link/pairs.h"
#include "score/params.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Indicators listed per campaign and type: the most shared first. */
#define MAX_INDICATORS_PER_TYPE 12u

/* ---- indicators -------------------------------------------------------------- */

enum ind_type { IND_IP, IND_PREFIX, IND_ASN, IND_PAYMENT, IND_CLIENT_FP, IND_HEADERS_FP,
                IND_UA, IND_TEMPLATE, IND_SYSTEM, IND_TOOLS, IND_COUNT };

static const struct { const char *name; int pset; enum hu_dict_kind dict; } ind_info[IND_COUNT] = {
    [IND_IP] = { "ip", HU_PSET_IP, HU_DICT_IP },
    [IND_PREFIX] = { "prefix", HU_PSET_PREFIX, HU_DICT_PREFIX },
    [IND_ASN] = { "asn", HU_PSET_ASN, HU_DICT_KIND_COUNT },
    [IND_PAYMENT] = { "payment_fp", HU_PSET_PAYMENT, HU_DICT_PAYMENT },
    [IND_CLIENT_FP] = { "client_fp", HU_PSET_CLIENT_FP, HU_DICT_CLIENT_FP },
    [IND_HEADERS_FP] = { "headers_fp", HU_PSET_HEADERS_FP, HU_DICT_HEADERS_FP },
    [IND_UA] = { "user_agent", HU_PSET_UA, HU_DICT_USER_AGENT },
    [IND_TEMPLATE] = { "template", -1, HU_DICT_KIND_COUNT },
    [IND_SYSTEM] = { "system_prompt", HU_PSET_SYSTEM, HU_DICT_KIND_COUNT },
    [IND_TOOLS] = { "tools", HU_PSET_TOOLS, HU_DICT_KIND_COUNT },
};

/* A counting map from (type, hash) to a count, open addressing. */
struct cmap {
    uint64_t *key;     /* 0 = empty */
    uint32_t *count;
    uint8_t  *type;
    uint64_t *hash;
    size_t n, cap;
};

static uint64_t ind_key(enum ind_type t, uint64_t h)
{
    uint64_t k = hu_hash_combine(h, (uint64_t)t + 101);
    return k ? k : 1;
}

static void cmap_free(struct cmap *m)
{
    hu_free(m->key); hu_free(m->count); hu_free(m->type); hu_free(m->hash);
    memset(m, 0, sizeof *m);
}

static int cmap_grow(struct cmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 256;
    struct cmap n = { hu_calloc(cap, 8), hu_calloc(cap, 4), hu_calloc(cap, 1), hu_calloc(cap, 8), m->n, cap };
    if (!n.key || !n.count || !n.type || !n.hash) {
        cmap_free(&n);
        return HU_ENOMEM;
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->key[i]) continue;
        size_t j = m->key[i] & (cap - 1);
        while (n.key[j]) j = (j + 1) & (cap - 1);
        n.key[j] = m->key[i]; n.count[j] = m->count[i]; n.type[j] = m->type[i]; n.hash[j] = m->hash[i];
    }
    cmap_free(m);
    *m = n;
    return HU_OK;
}

/* Add `by` to (t, h); create only if `create`.  Returns the slot or -1. */
static long cmap_add(struct cmap *m, enum ind_type t, uint64_t h, uint32_t by, int create)
{
    if (!h)
        return -1;
    if (create && (m->n + 1) * 2 > m->cap && cmap_grow(m))
        return -2;
    if (!m->cap)
        return -1;
    uint64_t k = ind_key(t, h);
    size_t i = k & (m->cap - 1);
    while (m->key[i]) {
        if (m->key[i] == k) { m->count[i] += by; return (long)i; }
        i = (i + 1) & (m->cap - 1);
    }
    if (!create)
        return -1;
    m->key[i] = k; m->count[i] = by; m->type[i] = (uint8_t)t; m->hash[i] = h;
    m->n++;
    return (long)i;
}

/* Feed every indicator-able thing of profile p into map m. */
static int feed_profile(struct cmap *m, const struct hu_profile *p, int create)
{
    struct hu_kmv ks_;
    for (int t = 0; t < IND_COUNT; t++) {
        if (ind_info[t].pset >= 0) {
            const struct hu_kmv *s = hu_profile_set(p, ind_info[t].pset, &ks_);
            for (unsigned i = 0; i < s->n; i++)
                if (cmap_add(m, (enum ind_type)t, s->h[i], 1, create) == -2)
                    return HU_ENOMEM;
        }
    }
    if (p->facts.payment_hash && !hu_kmv_contains(hu_profile_set(p, HU_PSET_PAYMENT, &ks_), p->facts.payment_hash)
        && cmap_add(m, IND_PAYMENT, p->facts.payment_hash, 1, create) == -2)
        return HU_ENOMEM;
    for (unsigned i = 0; i < HU_SS_K; i++)
        if (p->top_templates.e[i].count >= 2
            && cmap_add(m, IND_TEMPLATE, p->top_templates.e[i].key, 1, create) == -2)
            return HU_ENOMEM;
    return HU_OK;
}

struct ind_pick { uint64_t hash; uint32_t count; uint8_t type; };

static int cmp_pick(const void *x, const void *y)
{
    const struct ind_pick *a = x, *b = y;
    if (a->type != b->type) return a->type < b->type ? -1 : 1;
    if (a->count != b->count) return a->count > b->count ? -1 : 1;
    return (a->hash > b->hash) - (a->hash < b->hash);
}

static char *format_indicator(const struct hu_entity_dict *dict, enum ind_type t, uint64_t h)
{
    char buf[320];
    const char *v = ind_info[t].dict < HU_DICT_KIND_COUNT ? hu_dict_get(dict, ind_info[t].dict, h) : NULL;
    if (v)
        snprintf(buf, sizeof buf, "%s", v);
    else if (t == IND_ASN)
        snprintf(buf, sizeof buf, "%llu", (unsigned long long)h);
    else if (t == IND_TEMPLATE)
        snprintf(buf, sizeof buf, "tpl:%016llx", (unsigned long long)h);
    else if (t == IND_SYSTEM)
        snprintf(buf, sizeof buf, "sys:%016llx", (unsigned long long)h);
    else if (t == IND_TOOLS)
        snprintf(buf, sizeof buf, "tools:%016llx", (unsigned long long)h);
    else
        snprintf(buf, sizeof buf, "#%016llx", (unsigned long long)h);
    return hu_strdup(buf);
}

/* Choose each campaign's indicators: things at least two members share,
 * the most shared first, at most MAX_INDICATORS_PER_TYPE per type. */
int hu_explain_indicators(struct hu_results *r, struct hu_profile *const *prof, size_t n_acc,
                          const struct hu_entity_dict *dict)
{
    struct cmap global = { 0 };
    int rc = HU_OK;
    /* per campaign picks first; `global` then counts every account */
    struct ind_pick **picks = hu_calloc(r->n_campaigns ? r->n_campaigns : 1, sizeof *picks);
    size_t *n_picks = hu_calloc(r->n_campaigns ? r->n_campaigns : 1, sizeof *n_picks);
    if (!picks || !n_picks) { rc = HU_ENOMEM; goto out; }
    for (size_t c = 0; c < r->n_campaigns && !rc; c++) {
        struct hu_campaign_result *cr = &r->campaigns[c];
        struct cmap m = { 0 };
        for (uint32_t i = 0; i < cr->n_members && !rc; i++)
            rc = feed_profile(&m, prof[cr->members[i]], 1);
        size_t n = 0;
        for (size_t i = 0; i < m.cap; i++)
            n += m.key && m.key[i] && m.count[i] >= 2;
        picks[c] = hu_malloc((n ? n : 1) * sizeof **picks);
        if (!picks[c]) rc = HU_ENOMEM;
        for (size_t i = 0; i < m.cap && !rc; i++)
            if (m.key[i] && m.count[i] >= 2)
                picks[c][n_picks[c]++] = (struct ind_pick){ m.hash[i], m.count[i], m.type[i] };
        cmap_free(&m);
        if (rc) break;
        hu_sort(picks[c], n_picks[c], sizeof **picks, cmp_pick);
        /* keep the first MAX per type */
        size_t w = 0, run = 0;
        for (size_t i = 0; i < n_picks[c]; i++) {
            run = (i && picks[c][i].type == picks[c][i - 1].type) ? run + 1 : 0;
            if (run < MAX_INDICATORS_PER_TYPE)
                picks[c][w++] = picks[c][i];
        }
        n_picks[c] = w;
        for (size_t i = 0; i < w && !rc; i++)
            if (cmap_add(&global, (enum ind_type)picks[c][i].type, picks[c][i].hash, 0, 1) == -2)
                rc = HU_ENOMEM;
    }
    if (rc) goto out;
    /* total accounts holding each picked thing */
    for (size_t i = 0; i < n_acc && !rc; i++)
        rc = feed_profile(&global, prof[i], 0);
    for (size_t c = 0; c < r->n_campaigns && !rc; c++) {
        struct hu_campaign_result *cr = &r->campaigns[c];
        cr->indicators = hu_calloc(n_picks[c] ? n_picks[c] : 1, sizeof *cr->indicators);
        if (!cr->indicators) { rc = HU_ENOMEM; break; }
        for (size_t i = 0; i < n_picks[c]; i++) {
            const struct ind_pick *pk = &picks[c][i];
            long slot = cmap_add(&global, (enum ind_type)pk->type, pk->hash, 0, 0);
            uint32_t total = slot >= 0 ? global.count[slot] : pk->count;
            struct hu_indicator *ind = &cr->indicators[cr->n_indicators];
            ind->type = ind_info[pk->type].name;
            ind->value = format_indicator(dict, (enum ind_type)pk->type, pk->hash);
            if (!ind->value) { rc = HU_ENOMEM; break; }
            ind->accounts = pk->count;
            ind->outside = total > pk->count ? total - pk->count : 0;
            cr->n_indicators++;
        }
    }
out:
    if (picks)
        for (size_t c = 0; c < r->n_campaigns; c++)
            hu_free(picks[c]);
    hu_free(picks);
    hu_free(n_picks);
    cmap_free(&global);
    return rc;
}

/* ---- evidence ---------------------------------------------------------------- */

static int add_evidence(struct hu_campaign_result *c, double strength, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int add_evidence(struct hu_campaign_result *c, double strength, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    struct hu_evidence *e = hu_realloc(c->evidence, (c->n_evidence + 1) * sizeof *e);
    if (!e)
        return HU_ENOMEM;
    c->evidence = e;
    e[c->n_evidence].text = hu_strdup(buf);
    if (!e[c->n_evidence].text)
        return HU_ENOMEM;
    e[c->n_evidence].strength = strength;
    c->n_evidence++;
    return HU_OK;
}

static int cmp_evidence(const void *x, const void *y)
{
    const struct hu_evidence *a = x, *b = y;
    return (a->strength < b->strength) - (a->strength > b->strength);
}

int hu_explain_evidence(struct hu_results *r, const struct hu_usage *usage)
{
    int rc = HU_OK;
    char t0[40], t1[40];
    for (size_t ci = 0; ci < r->n_campaigns && !rc; ci++) {
        struct hu_campaign_result *c = &r->campaigns[ci];
        hu_format_rfc3339(c->first_seen_ms, t0, sizeof t0);
        hu_format_rfc3339(c->last_seen_ms, t1, sizeof t1);
        double share = r->total_requests ? 100.0 * (double)c->requests / (double)r->total_requests : 0;
        rc = add_evidence(c, 1.0, "%u accounts sent %llu requests (%.1f%% of all traffic, %.0f per account) between %s and %s.",
                          c->n_members, (unsigned long long)c->requests, share,
                          (double)c->requests / c->n_members, t0, t1);
        /* the top target */
        int top = 0;
        for (int t = 1; t < HU_TARGET_COUNT; t++)
            if (c->targets[t] > c->targets[top]) top = t;
        if (!rc && c->targets[top] >= 0.05)
            rc = add_evidence(c, c->targets[top], "%.0f%% of its requests aim at %s (%s).",
                              100.0 * c->targets[top], hu_target_code((enum hu_target)top),
                              hu_target_desc((enum hu_target)top));
        for (int k = 0; k < HU_LINK_KIND_COUNT && !rc; k++) {
            if (!c->kind_members[k])
                continue;
            if (k == HU_LINK_FINGERPRINT)
                rc = add_evidence(c, 0.5 + 0.5 * (double)c->kind_members[k] / c->n_members,
                                  "%u of %u accounts were joined through %s: groups that never share a card or an address "
                                  "still share rare system prompts, tool sets and clients.",
                                  c->kind_members[k], c->n_members, hu_link_kind_desc((enum hu_link_kind)k));
            else
                rc = add_evidence(c, 0.5 + 0.5 * (double)c->kind_members[k] / c->n_members,
                                  "%u of %u accounts are linked by %s (%llu strong links).",
                                  c->kind_members[k], c->n_members, hu_link_kind_desc((enum hu_link_kind)k),
                                  (unsigned long long)c->kind_links[k]);
        }
        /* behaviour aggregates */
        double reuse = 0, thinking = 0, spread = 0, pivot = 0;
        uint32_t pivoted = 0;
        for (uint32_t i = 0; i < c->n_members; i++) {
            const struct hu_usage *u = &usage[c->members[i]];
            reuse += u->distinct_templates > 0 ? (double)u->requests / u->distinct_templates : 0;
            thinking += u->thinking_share;
            spread += u->hour_spread;
            if (u->pivot_share > 0.2) { pivoted++; pivot += u->pivot_share; }
        }
        double n = c->n_members;
        if (!rc)
            rc = add_evidence(c, c->behaviour, "Members' usage scores %.2f on average for harvesting behaviour; "
                              "each template is reused %.1f times per account, %.0f%% of requests ask for extended reasoning.",
                              c->behaviour, reuse / n, 100.0 * thinking / n);
        if (!rc && spread / n > 0.85)
            rc = add_evidence(c, 0.4, "Activity runs round the clock: hour-of-day spread %.2f of the maximum.", spread / n);
        if (!rc && pivoted)
            rc = add_evidence(c, 0.6 + 0.4 * pivoted / n,
                              "%u of %u accounts moved %.0f%% of their traffic to a newly released model within 24 hours of its release.",
                              pivoted, c->n_members, 100.0 * pivot / pivoted);
        /* sign-up facts: throwaway accounts opened for the run, through
         * the programs the public record says were farmed.  Evidence for the
         * analyst, not a score input: every honest user is new once. */
        uint32_t known = 0, fresh = 0, farmed = 0;
        for (uint32_t i = 0; i < c->n_members; i++) {
            const struct hu_usage *u = &usage[c->members[i]];
            if (u->signup_ms != HU_EV_ABSENT && u->first_ms != HU_EV_ABSENT && u->first_ms >= u->signup_ms) {
                known++;
                fresh += u->first_ms - u->signup_ms < HU_FRESH_ACCOUNT_MS;
            }
            farmed += (u->program == HU_PROGRAM_EDUCATION || u->program == HU_PROGRAM_RESEARCH
                       || u->program == HU_PROGRAM_STARTUP) && u->weak_identity == 2;   /* none or e-mail */
        }
        if (!rc && known && fresh * 2 >= known)
            rc = add_evidence(c, 0.3 + 0.3 * fresh / n,
                              "%u of the %u accounts with a known sign-up sent their first request within %d hours of opening the account.",
                              fresh, known, (int)(HU_FRESH_ACCOUNT_MS / 3600000));
        if (!rc && farmed * 2 >= c->n_members)
            rc = add_evidence(c, 0.3 + 0.3 * farmed / n,
                              "%u of %u accounts signed up through an education, research or start-up program with at most e-mail verification.",
                              farmed, c->n_members);
        if (!rc && c->org_fleet)
            rc = add_evidence(c, 0.1, "%u of %u accounts belong to one declared organisation and %u are verified by id or as a business: "
                              "an identified customer's fleet, so the score is discounted.",
                              c->org_members, c->n_members, c->verified_members);
        if (!rc)
            hu_sort(c->evidence, c->n_evidence, sizeof *c->evidence, cmp_evidence);
    }
    return rc;
}

