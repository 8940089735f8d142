/*
 * analysis.c -- the batch pipeline, see analysis.h.
 *
 * Stage order and data: events -> (features, profile, dictionary) ->
 * profiles -> postings -> candidate pairs -> campaigns -> indicators and
 * evidence.  Every stage after observe() is a function of the profile
 * table alone, which is what lets the service run the same code over its
 * stored profiles.
 */
#include "score/analysis.h"
#include "core/alloc.h"
#include "core/sort.h"
#include "core/buf.h"
#include "core/hash.h"
#include "core/u64map.h"
#include "features/net.h"
#include "link/pairs.h"
#include "link/params.h"
#include "link/postings.h"
#include "profile/entity_dict.h"
#include "score/campaign.h"
#include "score/params.h"
#include "score/usage.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const family_codes[] = {
#define HU__FAM_CODE(name, code, desc) code,
    HU_FAMILY_MAP(HU__FAM_CODE)
#undef HU__FAM_CODE
};
static const char *const family_descs[] = {
#define HU__FAM_DESC(name, code, desc) desc,
    HU_FAMILY_MAP(HU__FAM_DESC)
#undef HU__FAM_DESC
};
const char *hu_family_code(enum hu_family f) { return (unsigned)f < HU_FAMILY_COUNT ? family_codes[f] : "unknown"; }
const char *hu_family_desc(enum hu_family f) { return (unsigned)f < HU_FAMILY_COUNT ? family_descs[f] : "unknown"; }

/* Most model releases remembered (a release a day for a year). */
#define MAX_RELEASES 512u
/* Indicators listed per campaign and type: the most shared first. */
#define MAX_INDICATORS_PER_TYPE 12u

struct hu_analysis {
    struct hu_analysis_config cfg;
    struct hu_policy *own_policy;
    const struct hu_policy *policy;
    struct hu_features *fx;
    struct hu_fx_worker *worker;
    struct hu_profile_table *table;
    struct hu_entity_dict *dict;
    struct hu_release releases[MAX_RELEASES];
    size_t n_releases;
    uint64_t lost;
    uint64_t total_requests;
    int64_t first_ts, last_ts;
    uint64_t n_pairs, n_postings;
    struct hu_analysis_timings t;
    /* finish() scratch kept for the similarity callback */
    struct hu_profile **prof;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int hu_analysis_create(const struct hu_analysis_config *cfg, struct hu_analysis **out,
                       char *errbuf, size_t errcap)
{
    struct hu_analysis *a = hu_calloc(1, sizeof *a);
    if (!a)
        return HU_ENOMEM;
    a->cfg = *cfg;
    a->first_ts = INT64_MAX;
    a->last_ts = INT64_MIN;
    int rc = HU_ENOMEM;
    if (cfg->policy) {
        a->policy = cfg->policy;
    } else {
        a->own_policy = hu_policy_default();
        if (!a->own_policy)
            goto fail;
        a->policy = a->own_policy;
    }
    rc = hu_features_create(&cfg->features, &a->fx, errbuf, errcap);
    if (rc)
        goto fail;
    rc = hu_fx_worker_create(a->fx, &a->worker);
    if (rc)
        goto fail;
    rc = hu_profile_table_create(0, &a->table);
    if (rc)
        goto fail;
    rc = hu_dict_create(&a->dict);
    if (rc)
        goto fail;
    *out = a;
    return HU_OK;
fail:
    if (rc == HU_ENOMEM && errbuf && errcap && !errbuf[0])
        snprintf(errbuf, errcap, "out of memory");
    hu_analysis_destroy(a);
    return rc;
}

void hu_analysis_destroy(struct hu_analysis *a)
{
    if (!a)
        return;
    hu_dict_destroy(a->dict);
    hu_profile_table_destroy(a->table);
    hu_fx_worker_destroy(a->worker);
    hu_features_destroy(a->fx);
    hu_policy_destroy(a->own_policy);
    hu_free(a->prof);
    hu_free(a);
}

const struct hu_profile_table *hu_analysis_profiles(const struct hu_analysis *a) { return a->table; }
const struct hu_analysis_timings *hu_analysis_timings(const struct hu_analysis *a) { return &a->t; }
uint64_t hu_analysis_lost_events(const struct hu_analysis *a) { return a->lost; }
void hu_analysis_link_counts(const struct hu_analysis *a, uint64_t *pairs, uint64_t *postings)
{
    if (pairs) *pairs = a->n_pairs;
    if (postings) *postings = a->n_postings;
}

/* ---- per event ------------------------------------------------------------ */

static void remember(struct hu_analysis *a, enum hu_dict_kind kind, uint64_t hash, struct hu_span s)
{
    if (hash && s.ptr && s.len)
        (void)hu_dict_put(a->dict, kind, hash, s.ptr, s.len);   /* a full dictionary only loses pretty-printing */
}

static void remember_network(struct hu_analysis *a, const struct hu_event *ev,
                             const struct hu_req_features *f)
{
    if (!f->ip_hash || hu_dict_get(a->dict, HU_DICT_IP, f->ip_hash))
        return;
    struct hu_ip ip;
    if (!ev->ip.ptr || hu_ip_parse(ev->ip.ptr, ev->ip.len, &ip) != HU_OK)
        return;
    char buf[64];
    hu_ip_str(&ip, buf, sizeof buf);
    (void)hu_dict_put(a->dict, HU_DICT_IP, f->ip_hash, buf, strlen(buf));
    if (f->prefix_hash && !hu_dict_get(a->dict, HU_DICT_PREFIX, f->prefix_hash)) {
        hu_ip_prefix_str(&ip, buf, sizeof buf);
        (void)hu_dict_put(a->dict, HU_DICT_PREFIX, f->prefix_hash, buf, strlen(buf));
    }
}

int hu_analysis_observe(struct hu_analysis *a, const struct hu_event *ev)
{
    if (ev->kind == HU_EV_MODEL_RELEASE) {
        uint64_t mh = hu_hash(ev->model.ptr, ev->model.len);
        remember(a, HU_DICT_MODEL, mh, ev->model);
        for (size_t i = 0; i < a->n_releases; i++)
            if (a->releases[i].model_hash == mh) {
                if (ev->ts_ms < a->releases[i].ts_ms)
                    a->releases[i].ts_ms = ev->ts_ms;
                return HU_OK;
            }
        if (a->n_releases < MAX_RELEASES)
            a->releases[a->n_releases++] = (struct hu_release){ mh, ev->ts_ms };
        return HU_OK;
    }
    struct hu_profile *p;
    int created;
    int rc = hu_profile_table_get(a->table, ev->account_id.ptr, ev->account_id.len, &p, &created);
    if (rc) {
        a->lost++;
        return rc;
    }
    struct hu_req_features f;
    hu_features_extract(a->worker, ev, &f);
    if (a->cfg.disabled_families & (1u << HU_FAMILY_CONTENT))
        memset(f.target, 0, sizeof f.target);
    if (ev->kind == HU_EV_ACCOUNT) {
        hu_profile_observe_account(p, ev, &f);
    } else {
        hu_profile_observe_request(p, ev, &f);
        a->total_requests++;
        if (ev->ts_ms < a->first_ts) a->first_ts = ev->ts_ms;
        if (ev->ts_ms > a->last_ts) a->last_ts = ev->ts_ms;
    }
    remember_network(a, ev, &f);
    remember(a, HU_DICT_CLIENT_FP, f.client_fp_hash, ev->client_fp);
    remember(a, HU_DICT_HEADERS_FP, f.headers_fp_hash, ev->headers_fp);
    remember(a, HU_DICT_USER_AGENT, f.ua_hash, ev->user_agent);
    remember(a, HU_DICT_PAYMENT, f.payment_hash, ev->payment_fp);
    remember(a, HU_DICT_MODEL, f.model_hash, ev->model);
    return HU_OK;
}

/* ---- usage ---------------------------------------------------------------- */

static enum hu_program program_of(uint8_t type)
{
    switch (type) {
    case HU_ACCT_INDIVIDUAL: return HU_PROGRAM_INDIVIDUAL;
    case HU_ACCT_STARTUP:    return HU_PROGRAM_STARTUP;
    case HU_ACCT_EDUCATION:  return HU_PROGRAM_EDUCATION;
    case HU_ACCT_RESEARCH:   return HU_PROGRAM_RESEARCH;
    case HU_ACCT_ENTERPRISE: return HU_PROGRAM_ENTERPRISE;
    default:                 return HU_PROGRAM_UNKNOWN;
    }
}

static void usage_of(const struct hu_analysis *a, const struct hu_profile *p, struct hu_usage *u)
{
    memset(u, 0, sizeof *u);
    uint32_t off = a->cfg.disabled_families;
    u->requests = p->n_req;
    for (int t = 0; t < HU_TARGET_COUNT; t++)
        u->target_share[t] = hu_profile_target_share(p, (enum hu_target)t);
    u->distinct_templates = (off & (1u << HU_FAMILY_TEMPLATE)) ? (double)p->n_req
                                                                : hu_profile_template_distinct(p);
    u->top_template_share = hu_profile_top_template_share(p);
    u->thinking_share = hu_profile_thinking_share(p);
    u->tools_share = hu_profile_tools_share(p);
    if (p->n_req) {
        u->mean_input_tokens = (double)p->input_tokens / (double)p->n_req;
        u->mean_output_tokens = (double)p->output_tokens / (double)p->n_req;
    }
    u->hour_spread = (off & (1u << HU_FAMILY_TIMING)) ? 0 : hu_profile_hour_entropy(p) / log2(24.0);
    u->gap_cv = hu_profile_interarrival_cv(p);
    if (!(off & (1u << HU_FAMILY_PIVOT)))
        for (size_t r = 0; r < a->n_releases; r++) {
            double s = hu_postings_pivot_share(p, &a->releases[r]);
            if (s > u->pivot_share) u->pivot_share = s;
        }
    u->distinct_ips = hu_profile_set_count(p, HU_PSET_IP);
    u->distinct_prefixes = hu_profile_set_count(p, HU_PSET_PREFIX);
    /* ASN 0 (unknown) is never added to the set, so no database -> 0 */
    u->distinct_asns = hu_profile_set_count(p, HU_PSET_ASN);
    u->first_ms = p->n_req ? p->first_ts : HU_EV_ABSENT;
    u->last_ms = p->n_req ? p->last_ts : HU_EV_ABSENT;
    u->signup_ms = p->facts.signup_ts == INT64_MAX ? HU_EV_ABSENT : p->facts.signup_ts;
    u->program = program_of(p->facts.type);
    u->verified_id = p->facts.verification == HU_VERIF_ID || p->facts.verification == HU_VERIF_BUSINESS;
    u->weak_identity = p->facts.verification == HU_VERIF_NONE || p->facts.verification == HU_VERIF_EMAIL ? 2
                     : p->facts.verification == HU_VERIF_PHONE ? 1 : 0;
    u->has_org = p->org_hash != 0;
}

/* ---- linkage --------------------------------------------------------------- */

static float similarity(void *ctx, enum hu_link_kind kind, uint32_t x, uint32_t y)
{
    struct hu_analysis *a = ctx;
    const struct hu_profile *p = a->prof[x], *q = a->prof[y];
    double j = kind == HU_LINK_TEMPLATES ? hu_minhash_jaccard(&p->template_mh, &q->template_mh)
                                         : hu_minhash_jaccard(&p->slot_mh, &q->slot_mh);
    return j >= HU_SIM_MIN_JACCARD ? (float)j : 0.0f;
}

static uint32_t enabled_kinds(uint32_t off)
{
    uint32_t k = (1u << HU_LINK_KIND_COUNT) - 1;
    if (off & (1u << HU_FAMILY_TEMPLATE)) k &= ~(1u << HU_LINK_TEMPLATES);
    if (off & (1u << HU_FAMILY_TIMING))   k &= ~(1u << HU_LINK_SYNC);
    if (off & (1u << HU_FAMILY_PIVOT))    k &= ~(1u << HU_LINK_PIVOT);
    if (off & (1u << HU_FAMILY_NETWORK))
        k &= ~((1u << HU_LINK_IP) | (1u << HU_LINK_PREFIX) | (1u << HU_LINK_USER_AGENT)
               | (1u << HU_LINK_CLIENT_FP) | (1u << HU_LINK_HEADERS_FP));
    if (off & (1u << HU_FAMILY_IDENTITY))
        k &= ~((1u << HU_LINK_PAYMENT) | (1u << HU_LINK_SIGNUP_NET) | (1u << HU_LINK_EMAIL_DOM)
               | (1u << HU_LINK_SYSTEM) | (1u << HU_LINK_TOOLS));
    k &= ~(1u << HU_LINK_SHAPE);     /* not produced yet */
    return k;
}

static void pairs_config(struct hu_pairs_config *c, struct hu_analysis *a)
{
    memset(c, 0, sizeof *c);
    static const struct { enum hu_link_kind k; float w; uint32_t free_size; } rows[] = {
        { HU_LINK_PAYMENT, HU_W_PAYMENT, HU_FREE_PAYMENT },
        { HU_LINK_CLIENT_FP, HU_W_CLIENT_FP, HU_FREE_CLIENT_FP },
        { HU_LINK_HEADERS_FP, HU_W_HEADERS_FP, HU_FREE_HEADERS_FP },
        { HU_LINK_IP, HU_W_IP, HU_FREE_IP },
        { HU_LINK_PREFIX, HU_W_PREFIX, HU_FREE_PREFIX },
        { HU_LINK_USER_AGENT, HU_W_USER_AGENT, HU_FREE_USER_AGENT },
        { HU_LINK_SYSTEM, HU_W_SYSTEM, HU_FREE_SYSTEM },
        { HU_LINK_TOOLS, HU_W_TOOLS, HU_FREE_TOOLS },
        { HU_LINK_SIGNUP_NET, HU_W_SIGNUP_NET, HU_FREE_SIGNUP_NET },
        { HU_LINK_EMAIL_DOM, HU_W_EMAIL_DOM, HU_FREE_EMAIL_DOM },
        { HU_LINK_TEMPLATES, HU_W_TEMPLATES, HU_FREE_SIMILARITY },
        { HU_LINK_SYNC, HU_W_SYNC, HU_FREE_SIMILARITY },
        { HU_LINK_PIVOT, HU_W_PIVOT, HU_FREE_SIMILARITY },
        { HU_LINK_SHAPE, HU_W_SHAPE, HU_FREE_SIMILARITY },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        c->base_weight[rows[i].k] = rows[i].w;
        c->rarity_free[rows[i].k] = rows[i].free_size;
    }
    c->pair_cap = HU_PAIR_CAP;
    c->hub_max = HU_HUB_MAX;
    c->similarity_kinds = (1u << HU_LINK_TEMPLATES) | (1u << HU_LINK_SYNC);
    c->sim = similarity;
    c->sim_ctx = a;
}

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
    for (int t = 0; t < IND_COUNT; t++) {
        if (ind_info[t].pset >= 0) {
            const struct hu_kmv *s = &p->set[ind_info[t].pset];
            for (unsigned i = 0; i < s->n; i++)
                if (cmap_add(m, (enum ind_type)t, s->h[i], 1, create) == -2)
                    return HU_ENOMEM;
        }
    }
    if (p->facts.payment_hash && !hu_kmv_contains(&p->set[HU_PSET_PAYMENT], p->facts.payment_hash)
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

static char *format_indicator(const struct hu_analysis *a, enum ind_type t, uint64_t h)
{
    char buf[320];
    const char *v = ind_info[t].dict < HU_DICT_KIND_COUNT ? hu_dict_get(a->dict, ind_info[t].dict, h) : NULL;
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
static int build_indicators(struct hu_analysis *a, struct hu_results *r)
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
            rc = feed_profile(&m, a->prof[cr->members[i]], 1);
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
    size_t n_acc = hu_profile_table_count(a->table);
    for (size_t i = 0; i < n_acc && !rc; i++)
        rc = feed_profile(&global, a->prof[i], 0);
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
            ind->value = format_indicator(a, (enum ind_type)pk->type, pk->hash);
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

static int build_evidence(struct hu_analysis *a, struct hu_results *r, const struct hu_usage *usage)
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
        if (!rc && c->org_fleet)
            rc = add_evidence(c, 0.1, "%u of %u accounts belong to one declared organisation and %u are verified by id or as a business: "
                              "an identified customer's fleet, so the score is discounted.",
                              c->org_members, c->n_members, c->verified_members);
        if (!rc)
            hu_sort(c->evidence, c->n_evidence, sizeof *c->evidence, cmp_evidence);
    }
    (void)a;
    return rc;
}

/* ---- usage fingerprints ------------------------------------------------------------ */

/* The things an account's usage is recognised by, as typed tokens: the
 * client and header fingerprints, exact user agents, ASNs, system prompt
 * templates, tool sets and payment instruments it used. */
static const int fp_sets[] = { HU_PSET_CLIENT_FP, HU_PSET_HEADERS_FP, HU_PSET_UA, HU_PSET_ASN,
                               HU_PSET_SYSTEM, HU_PSET_TOOLS, HU_PSET_PAYMENT };

static int cmp_u64_tok(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return (a > b) - (a < b);
}

static uint64_t fp_token(int set, uint64_t item)
{
    return hu_hash_combine(item, 0x46500000u + (uint64_t)set);
}

/* Per-account fingerprint tokens (CSR, sorted and distinct per account)
 * that identify a way of working rather than a crowd: a token is kept when
 * at least two accounts use it and either few accounts do (<=
 * HU_TOKEN_MIN_DF_FLOOR) or most of its users (>= HU_TOKEN_HARVEST_SHARE)
 * harvest themselves (behaviour >= HU_MERGE_MIN_BEHAVIOUR).  The default
 * fingerprint of a popular SDK, used by thousands of ordinary accounts, is
 * dropped; the tool set of a harvesting script, used by thousands of
 * campaign accounts, is kept.  Only harvesting accounts get tokens: only
 * they ever merge. */
static int build_fingerprints(struct hu_analysis *a, size_t n, const double *beh,
                              uint64_t **tokens_out, uint32_t **off_out)
{
    struct hu_u64map df, dfh;
    uint64_t *tok = NULL;
    uint32_t *off = NULL;
    size_t n_tok = 0, cap_tok = 0;
    if (hu_u64map_init(&df, n * 4))
        return HU_ENOMEM;
    if (hu_u64map_init(&dfh, n)) {
        hu_u64map_fini(&df);
        return HU_ENOMEM;
    }
    int rc = HU_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        const struct hu_profile *p = a->prof[i];
        int harvesting = beh[i] >= HU_MERGE_MIN_BEHAVIOUR;
        for (size_t s = 0; s < sizeof fp_sets / sizeof fp_sets[0] && !rc; s++)
            for (unsigned k = 0; k < p->set[fp_sets[s]].n && !rc; k++) {
                uint64_t t = fp_token(fp_sets[s], p->set[fp_sets[s]].h[k]);
                rc = hu_u64map_add(&df, t, 1);
                if (!rc && harvesting)
                    rc = hu_u64map_add(&dfh, t, 1);
            }
    }
    off = hu_malloc((n + 1) * sizeof *off);
    if (!off)
        rc = HU_ENOMEM;
    for (size_t i = 0; i < n && !rc; i++) {
        const struct hu_profile *p = a->prof[i];
        off[i] = (uint32_t)n_tok;
        if (beh[i] < HU_MERGE_MIN_BEHAVIOUR)
            continue;
        for (size_t s = 0; s < sizeof fp_sets / sizeof fp_sets[0] && !rc; s++)
            for (unsigned k = 0; k < p->set[fp_sets[s]].n && !rc; k++) {
                uint64_t t = fp_token(fp_sets[s], p->set[fp_sets[s]].h[k]);
                uint32_t c = hu_u64map_get(&df, t);
                uint32_t ch = hu_u64map_get(&dfh, t);
                if (c < 2 || (c > HU_TOKEN_MIN_DF_FLOOR && ch < HU_TOKEN_HARVEST_SHARE * c))
                    continue;
                if (hu_grow((void **)&tok, &cap_tok, n_tok + 1, sizeof *tok, 4096)) {
                    rc = HU_ENOMEM;
                    break;
                }
                tok[n_tok++] = t;
            }
        /* sorted and distinct (a profile's sets hold distinct items per set,
         * and tokens of different sets differ by construction) */
        hu_sort(tok + off[i], n_tok - off[i], sizeof *tok, cmp_u64_tok);
    }
    if (!rc)
        off[n] = (uint32_t)n_tok;
    hu_u64map_fini(&df);
    hu_u64map_fini(&dfh);
    if (rc) {
        hu_free(tok);
        hu_free(off);
        return rc;
    }
    *tokens_out = tok;
    *off_out = off;
    return HU_OK;
}

/* ---- --dump-graph ---------------------------------------------------------------- */

/* The graph huella clustered, as a TSV edge list another tool can read
 * (igraph's Graph.Read_Ncol reads the first three columns):
 *   account_a <TAB> account_b <TAB> strength <TAB> kind=weight,kind=weight */
static int dump_graph(const char *path, const struct hu_pairs *pairs, const char *const *ids,
                      const uint32_t *id_lens)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return HU_EIO;
    for (size_t e = 0; e < pairs->n; e++) {
        const struct hu_pair *pr = &pairs->pairs[e];
        fprintf(f, "%.*s\t%.*s\t%.4f\t", (int)id_lens[pr->a], ids[pr->a], (int)id_lens[pr->b], ids[pr->b],
                hu_pair_strength(pr));
        int first = 1;
        for (int k = 0; k < HU_LINK_KIND_COUNT; k++)
            if (pr->kinds & (1u << k)) {
                fprintf(f, "%s%s=%.3f", first ? "" : ",", hu_link_kind_code((enum hu_link_kind)k),
                        hu_pair_weight(pr, (enum hu_link_kind)k));
                first = 0;
            }
        fputc('\n', f);
    }
    return fclose(f) == 0 ? HU_OK : HU_EIO;
}

/* ---- finish -------------------------------------------------------------------- */

int hu_analysis_finish(struct hu_analysis *a, struct hu_results *out)
{
    memset(out, 0, sizeof *out);
    size_t n = hu_profile_table_count(a->table);
    int rc = HU_ENOMEM;
    struct hu_usage *usage = NULL;
    double *beh = NULL, *conceal = NULL;
    uint64_t *fp_tokens = NULL;
    uint32_t *fp_off = NULL;
    struct hu_behaviour_part (*parts)[HU_BEHAVIOUR_PARTS] = NULL;
    uint64_t *org = NULL;
    const char **ids = NULL;
    uint32_t *id_lens = NULL;
    struct hu_postings post = { 0 };
    struct hu_pairs pairs = { 0 };
    double t0 = now_s();

    hu_free(a->prof);
    a->prof = hu_malloc((n ? n : 1) * sizeof *a->prof);
    usage = hu_calloc(n ? n : 1, sizeof *usage);
    beh = hu_calloc(n ? n : 1, sizeof *beh);
    conceal = hu_calloc(n ? n : 1, sizeof *conceal);
    parts = hu_calloc(n ? n : 1, sizeof *parts);
    org = hu_calloc(n ? n : 1, sizeof *org);
    ids = hu_calloc(n ? n : 1, sizeof *ids);
    id_lens = hu_calloc(n ? n : 1, sizeof *id_lens);
    if (!a->prof || !usage || !beh || !conceal || !parts || !org || !ids || !id_lens)
        goto out;
    uint32_t kinds = enabled_kinds(a->cfg.disabled_families);
    for (size_t i = 0; i < n; i++) {
        struct hu_profile *p = hu_profile_table_at(a->table, i);
        size_t len;
        a->prof[i] = p;
        ids[i] = hu_profile_table_id(a->table, i, &len);
        id_lens[i] = (uint32_t)len;
        org[i] = p->org_hash;
        usage_of(a, p, &usage[i]);
        beh[i] = hu_usage_behaviour(&usage[i], parts[i]);
        conceal[i] = hu_usage_concealment(&usage[i], NULL);
        rc = hu_postings_add_profile(&post, p, (uint32_t)i, a->releases, a->n_releases, kinds);
        if (rc)
            goto out;
    }
    if (!(a->cfg.disabled_families & (1u << HU_FAMILY_IDENTITY))) {
        rc = build_fingerprints(a, n, beh, &fp_tokens, &fp_off);
        if (rc)
            goto out;
    }
    double t1 = now_s();
    a->t.postings = t1 - t0;
    a->n_postings = post.n;
    struct hu_pairs_config pc;
    pairs_config(&pc, a);
    rc = hu_pairs_build(&pairs, &pc, post.v, post.n);
    if (rc)
        goto out;
    a->n_pairs = pairs.n;
    if (a->cfg.dump_graph_path) {
        rc = dump_graph(a->cfg.dump_graph_path, &pairs, ids, id_lens);
        if (rc)
            goto out;
    }
    hu_postings_fini(&post);
    double t2 = now_s();
    a->t.pairs = t2 - t1;
    struct hu_campaign_input in = {
        .n = n, .usage = usage, .behaviour = beh, .concealment = conceal,
        .fp_tokens = fp_tokens, .fp_off = fp_off,
        .parts = (const struct hu_behaviour_part (*)[HU_BEHAVIOUR_PARTS])parts,
        .org_hash = org, .account_ids = ids, .account_id_lens = id_lens, .pairs = &pairs,
    };
    rc = hu_campaigns_build(&in, a->policy, out);
    if (rc)
        goto out;
    out->total_requests = a->total_requests;
    out->first_ts_ms = a->first_ts;
    out->last_ts_ms = a->last_ts;
    out->policy_digest = hu_policy_digest(a->policy);
    double t3 = now_s();
    a->t.campaigns = t3 - t2;
    rc = build_indicators(a, out);
    if (!rc)
        rc = build_evidence(a, out, usage);
    a->t.evidence = now_s() - t3;
out:
    if (rc)
        hu_results_fini(out);
    hu_postings_fini(&post);
    hu_pairs_fini(&pairs);
    hu_free(usage);
    hu_free(beh);
    hu_free(conceal);
    hu_free(fp_tokens);
    hu_free(fp_off);
    hu_free(parts);
    hu_free(org);
    hu_free(ids);
    hu_free(id_lens);
    return rc;
}
