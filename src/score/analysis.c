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
#include "core/hash.h"
#include "fprint/fprint.h"
#include "link/pairs.h"
#include "link/params.h"
#include "link/postings.h"
#include "profile/observer.h"
#include "score/explain.h"
#include "score/fingerprint.h"
#include "score/ioc_match.h"
#include "core/arena.h"
#include "score/campaign.h"
#include "score/params.h"
#include "score/tz.h"
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

struct hu_analysis {
    struct hu_analysis_config cfg;
    struct hu_policy *own_policy;
    const struct hu_policy *policy;
    struct hu_observer *obs;
    uint64_t n_pairs, n_postings;
    struct hu_analysis_timings t;
    struct hu_fp_online fp_on;      /* cfg.known: online matching */
    int fp_on_active;
    struct hu_fp_side fp_side;      /* cfg.fp_build: prompt heads and tails per account */
    int fp_side_active;
    /* finish() scratch kept for the similarity callback */
    struct hu_profile **prof;
    struct hu_finish_job *job;      /* a finish in steps, or NULL */
    double finish_longest_step;
    struct hu_arena codes;          /* reason codes made at run time (ioc_*@producer) */
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
    hu_arena_init(&a->codes, 4096);
    int rc = HU_ENOMEM;
    if (cfg->policy) {
        a->policy = cfg->policy;
    } else {
        a->own_policy = hu_policy_default();
        if (!a->own_policy)
            goto fail;
        a->policy = a->own_policy;
    }
    struct hu_observer_config oc = {
        .features = cfg->features,
        .zero_targets = (cfg->disabled_families & (1u << HU_FAMILY_CONTENT)) != 0,
    };
    rc = hu_observer_create(&oc, &a->obs, errbuf, errcap);
    if (rc)
        goto fail;
    if (cfg->known || cfg->fp_build) {
        rc = HU_EINVAL;
        if (!cfg->fp_key) {
            if (errbuf && errcap)
                snprintf(errbuf, errcap, "a fingerprint library needs a key");
            goto fail;
        }
    }
    if (cfg->fp_build) {
        rc = hu_fp_side_init(&a->fp_side);
        if (rc)
            goto fail;
        a->fp_side.max = cfg->max_accounts;
        a->fp_side_active = 1;
    }
    if (cfg->known) {
        rc = hu_fp_online_init(&a->fp_on, cfg->known, cfg->fp_key);
        if (rc)
            goto fail;
        a->fp_on.max = cfg->max_accounts;
        a->fp_on_active = 1;
    }
    hu_profile_table_set_max(hu_observer_table(a->obs), cfg->max_accounts);
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
    hu_observer_destroy(a->obs);
    if (a->fp_on_active)
        hu_fp_online_fini(&a->fp_on);
    if (a->fp_side_active)
        hu_fp_side_fini(&a->fp_side);
    hu_policy_destroy(a->own_policy);
    hu_analysis_finish_abort(a);
    hu_free(a->prof);
    hu_arena_fini(&a->codes);
    hu_free(a);
}

/* "ioc_<kind>@<producer>": the producer name comes from a partner's file,
 * so only [A-Za-z0-9._-] survive and it is cut at 40 bytes -- a reason
 * code can never carry a ';', '=', quote or newline into accounts.csv. */
static const char *ioc_code(struct hu_analysis *a, const char *kind, const char *producer)
{
    char buf[96];
    size_t n = (size_t)snprintf(buf, sizeof buf, "ioc_%s@", kind);
    for (const char *p = producer; p && *p && n < sizeof buf - 1 && n < 60; p++) {
        char c = *p;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_')
            buf[n++] = c;
        else if (c == ' ')
            buf[n++] = '_';
    }
    buf[n] = '\0';
    return hu_arena_strndup(&a->codes, buf, n);
}

const struct hu_profile_table *hu_analysis_profiles(const struct hu_analysis *a)
{
    return hu_observer_table(a->obs);
}
struct hu_observer *hu_analysis_observer(struct hu_analysis *a) { return a->obs; }
const struct hu_entity_dict *hu_analysis_dict(const struct hu_analysis *a) { return hu_observer_dict(a->obs); }
const struct hu_analysis_timings *hu_analysis_timings(const struct hu_analysis *a) { return &a->t; }
uint64_t hu_analysis_lost_events(const struct hu_analysis *a)
{
    struct hu_observer_counts c;
    hu_observer_counts(a->obs, &c);
    return c.lost;
}
void hu_analysis_evictions(const struct hu_analysis *a, uint64_t *evicted, uint64_t *refused)
{
    const struct hu_profile_table *t = hu_observer_table(a->obs);
    if (evicted) *evicted = hu_profile_table_evicted(t);
    if (refused) *refused = hu_profile_table_refused(t);
}
void hu_analysis_link_counts(const struct hu_analysis *a, uint64_t *pairs, uint64_t *postings)
{
    if (pairs) *pairs = a->n_pairs;
    if (postings) *postings = a->n_postings;
}

const struct hu_fp_online *hu_analysis_fp_online(const struct hu_analysis *a)
{
    return a->fp_on_active ? &a->fp_on : NULL;
}

struct hu_fp_online *hu_analysis_fp_online_mut(struct hu_analysis *a)
{
    return a->fp_on_active ? &a->fp_on : NULL;
}

int hu_analysis_observe(struct hu_analysis *a, const struct hu_event *ev)
{
    /* a bounded table reuses an evicted account's record: a finish in
     * steps would then read another account under the same number */
    if (a->job && a->cfg.max_accounts)
        return HU_EINVAL;
    int rc = hu_observer_observe(a->obs, ev);
    if (rc || (!a->fp_on_active && !a->fp_side_active))
        return rc;
    const struct hu_profile *p;
    const struct hu_req_features *f = hu_observer_last_request(a->obs, &p);
    if (f && a->fp_side_active) {
        rc = hu_fp_side_observe(&a->fp_side, p->account_hash, f);
        if (rc == HU_EFULL)
            rc = HU_OK;
        if (rc)
            return rc;
    }
    if (f && a->fp_on_active) {
        struct hu_fp_req r;
        hu_fp_req_from(&r, a->cfg.fp_key, ev, f);
        rc = hu_fp_online_observe(&a->fp_on, p->account_hash, &r);
        if (rc == HU_EFULL)
            rc = HU_OK;   /* the matcher is full: this account is not matched (limits.h) */
    }
    return rc;
}

/* Fingerprint state per observer shard: each shard's requests go to its
 * own side table and matcher (an account's requests all reach one shard,
 * in input order), merged when the run ends. */
struct fp_shards {
    const struct hu_fp_key *key;
    struct hu_fp_side *side;     /* [n] or NULL */
    struct hu_fp_online *on;     /* [n] or NULL */
    const struct hu_ioc_set *iocs;   /* --iocs: pin the accounts they name; NULL: none */
};

/* 1 if a partner's indicator names this request's address, network, client
 * fingerprint or user agent.  Only with --iocs: up to 33 probes for an
 * address, one for each other kind. */
static int ioc_names(const struct hu_ioc_set *set, const struct hu_event *ev, const struct hu_req_features *f)
{
    struct hu_ioc_match m;
    struct hu_ip ip;
    if (ev->ip.ptr && hu_ip_parse(ev->ip.ptr, ev->ip.len, &ip) == HU_OK && hu_ioc_lookup_ip(set, &ip, &m))
        return 1;
    if (f->asn && hu_ioc_lookup_asn(set, f->asn, &m))
        return 1;
    if (ev->client_fp.len && hu_ioc_lookup_client_fp(set, ev->client_fp.ptr, ev->client_fp.len, &m))
        return 1;
    return ev->user_agent.len && hu_ioc_lookup_user_agent(set, ev->user_agent.ptr, ev->user_agent.len, &m);
}

static int known_tap(void *ctx, unsigned shard, const struct hu_event *ev, const struct hu_profile *p,
                  const struct hu_req_features *f)
{
    const struct fp_shards *fs = ctx;
    int rc = HU_OK;
    /* the replay observes features only: no profile, the same hash */
    uint64_t account = p ? p->account_hash
                         : hu_hash(ev->account_id.ptr ? ev->account_id.ptr : "", ev->account_id.len);
    if (fs->side) {
        rc = hu_fp_side_observe(&fs->side[shard], account, f);
        if (rc == HU_EFULL)
            rc = HU_OK;     /* bounded like the profile table (limits.h) */
        if (rc)
            return rc;
    }
    if (fs->on) {
        struct hu_fp_req r;
        hu_fp_req_from(&r, fs->key, ev, f);
        rc = hu_fp_online_observe(&fs->on[shard], account, &r);
        if (rc == HU_EFULL)
            rc = HU_OK;     /* the matcher is full: this account is not matched */
        if (rc)
            return rc;
        /* a known campaign's account is pinned once, by the request that
         * binds it (binding is final; the pin lasts) */
        const struct hu_fp_account *st = hu_fp_online_get(&fs->on[shard], account);
        if (p && st && st->bound_at && st->bound_at == st->n_req)
            return HU_OBSERVER_TAP_PIN;
    }
    if (p && fs->iocs && ioc_names(fs->iocs, ev, f))
        return HU_OBSERVER_TAP_PIN;
    return rc;
}

int hu_analysis_observe_all(struct hu_analysis *a, hu_event_next_fn next, void *ctx, unsigned n_threads,
                            struct hu_observer_run_stats *stats)
{
    /* partners' indicators pin the accounts they name only where eviction
     * can happen (--max-accounts) */
    const struct hu_ioc_set *pin_iocs = a->cfg.max_accounts ? a->cfg.iocs : NULL;
    if (!a->fp_on_active && !a->fp_side_active && !pin_iocs)
        return hu_observer_run(a->obs, next, ctx, n_threads, stats);
    unsigned n = hu_observer_threads(n_threads);
    struct fp_shards fs = { .key = a->cfg.fp_key, .iocs = pin_iocs };
    struct hu_observer_tap tap = { known_tap, &fs };
    if (!a->fp_on_active && !a->fp_side_active)
        return hu_observer_run_tap(a->obs, next, ctx, n, &tap, stats);   /* iocs only: no shard state */
    if (n == 1) {
        fs.side = a->fp_side_active ? &a->fp_side : NULL;
        fs.on = a->fp_on_active ? &a->fp_on : NULL;
        return hu_observer_run_tap(a->obs, next, ctx, 1, &tap, stats);
    }
    /* each shard holds its share of the account bound, as the profile
     * table's shards do */
    size_t max = a->cfg.max_accounts ? (a->cfg.max_accounts + n - 1) / n : 0;
    int rc = HU_OK;
    unsigned ready = 0;
    if (a->fp_side_active && !(fs.side = hu_calloc(n, sizeof *fs.side)))
        rc = HU_ENOMEM;
    if (!rc && a->fp_on_active && !(fs.on = hu_calloc(n, sizeof *fs.on)))
        rc = HU_ENOMEM;
    for (; !rc && ready < n; ready++) {
        if (fs.side) {
            rc = hu_fp_side_init(&fs.side[ready]);
            if (rc)
                break;
            fs.side[ready].max = max;
        }
        if (fs.on) {
            rc = hu_fp_online_init(&fs.on[ready], a->cfg.known, a->cfg.fp_key);
            if (rc) {
                if (fs.side)
                    hu_fp_side_fini(&fs.side[ready]);
                break;
            }
            fs.on[ready].max = max;
        }
    }
    if (!rc)
        rc = hu_observer_run_tap(a->obs, next, ctx, n, &tap, stats);
    for (unsigned s = 0; s < ready; s++) {
        int r = HU_OK;
        if (fs.side) {
            if (!rc)
                r = hu_fp_side_absorb(&a->fp_side, &fs.side[s]);
            hu_fp_side_fini(&fs.side[s]);
        }
        if (fs.on) {
            if (!rc && !r)
                r = hu_fp_online_absorb(&a->fp_on, &fs.on[s]);
            hu_fp_online_fini(&fs.on[s]);
        }
        if (r == HU_ENOMEM)
            rc = r;     /* HU_EFULL: the bound, as when observing */
    }
    hu_free(fs.side);
    hu_free(fs.on);
    return rc;
}

int hu_analysis_fp_replay(const struct hu_analysis_config *cfg,
                          hu_event_next_fn next, void *ctx, unsigned n_threads,
                          struct hu_fp_online *on)
{
    struct hu_observer_config oc = {
        .features = cfg->features, .features_only = 1,
        .zero_targets = (cfg->disabled_families & (1u << HU_FAMILY_CONTENT)) != 0,
    };
    struct hu_observer *obs = NULL;
    int rc = hu_observer_create(&oc, &obs, NULL, 0);
    if (rc)
        return rc;
    unsigned n = hu_observer_threads(n_threads);
    struct fp_shards fs = { .key = &on->key };
    struct hu_observer_tap tap = { known_tap, &fs };
    unsigned ready = 0;
    if (n == 1) {
        fs.on = on;
        rc = hu_observer_run_tap(obs, next, ctx, 1, &tap, NULL);
        hu_observer_destroy(obs);
        return rc;
    }
    if (!(fs.on = hu_calloc(n, sizeof *fs.on)))
        rc = HU_ENOMEM;
    for (; !rc && ready < n; ready++) {
        rc = hu_fp_online_init(&fs.on[ready], on->lib, &on->key);
        if (rc)
            break;
        fs.on[ready].threshold = on->threshold;
        fs.on[ready].max = on->max ? (on->max + n - 1) / n : 0;
    }
    if (!rc)
        rc = hu_observer_run_tap(obs, next, ctx, n, &tap, NULL);
    for (unsigned s = 0; s < ready; s++) {
        if (!rc) {
            int r = hu_fp_online_absorb(on, &fs.on[s]);
            if (r == HU_ENOMEM)
                rc = r;
        }
        hu_fp_online_fini(&fs.on[s]);
    }
    hu_free(fs.on);
    hu_observer_destroy(obs);
    return rc;
}

/* A binding confirms the known campaign: copy each known entry that bound
 * accounts in this run into this run's library, confirmed at the latest
 * request of its bound accounts, so that `huella fingerprints merge` of the
 * two libraries keeps the campaign young (fingerprints.md "Ageing"). */
static int reconfirm_known(struct hu_fp_lib *built, const struct hu_fp_lib *known, const struct hu_results *res,
                           const struct hu_profile_table *t, const struct hu_fp_online *on)
{
    if (!on || !known || !known->n)
        return HU_OK;
    uint32_t *cnt = hu_calloc(known->n, sizeof *cnt);
    int64_t *last = hu_calloc(known->n, sizeof *last);
    uint64_t *reqs = hu_calloc(known->n, sizeof *reqs);
    int rc = cnt && last && reqs ? HU_OK : HU_ENOMEM;
    for (size_t i = 0; i < res->n_accounts && !rc; i++) {
        const struct hu_profile *p = hu_profile_table_at(t, i);
        const struct hu_fp_account *st = hu_fp_online_get(on, p->account_hash);
        if (!st || !st->bound_at)
            continue;
        size_t k = st->bound.entry - 1;
        if (!cnt[k]++ || p->last_ts > last[k])
            last[k] = p->last_ts;
        reqs[k] += p->n_req;
    }
    for (size_t k = 0; k < known->n && !rc; k++) {
        if (!cnt[k] || hu_fp_lib_find(built, known->e[k].id) >= 0)
            continue;
        struct hu_fp_entry e = known->e[k];
        if (last[k] > e.confirmed_ms) e.confirmed_ms = last[k];
        if (last[k] > e.last_seen_ms) e.last_seen_ms = last[k];
        e.members = cnt[k];
        e.requests = reqs[k];
        rc = hu_fp_lib_add(built, &e, known->tok + e.tok_off, e.n_tok);
    }
    if (!rc)
        rc = hu_fp_lib_finish(built);
    hu_free(cnt);
    hu_free(last);
    hu_free(reqs);
    return rc;
}

int hu_analysis_library_finish(struct hu_analysis *a, const struct hu_results *res,
                               hu_event_next_fn replay, void *replay_ctx, unsigned n_threads,
                               struct hu_library_finish *out)
{
    struct hu_fp_lib *lib = a->cfg.fp_build;
    memset(out, 0, sizeof *out);
    if (!lib)
        return HU_EINVAL;
    const struct hu_profile_table *t = hu_observer_table(a->obs);
    int rc = reconfirm_known(lib, a->cfg.known, res, t, hu_analysis_fp_online(a));
    if (rc != HU_OK || !replay || !lib->n) {
        out->threshold = lib->threshold;
        return rc;
    }
    struct hu_fp_online on;
    rc = hu_fp_online_init(&on, lib, a->cfg.fp_key);
    if (rc != HU_OK)
        return rc;
    on.threshold = INFINITY;
    on.max = a->cfg.max_accounts;
    rc = hu_analysis_fp_replay(&a->cfg, replay, replay_ctx, n_threads, &on);
    uint64_t *benign = hu_malloc((res->n_accounts ? res->n_accounts : 1) * sizeof *benign);
    if (!benign && rc == HU_OK)
        rc = HU_ENOMEM;
    size_t n_benign = 0;
    for (size_t i = 0; i < res->n_accounts && rc == HU_OK; i++)
        if (!hu_action_flagged(res->accounts[i].would))
            benign[n_benign++] = hu_profile_table_at(t, i)->account_hash;
    if (rc == HU_OK) {
        out->threshold = hu_fp_lib_calibrate(lib, &on, benign, n_benign);
        out->n_benign = n_benign;
        out->calibrated = 1;
    }
    hu_free(benign);
    hu_fp_online_fini(&on);
    return rc;
}

/* ---- usage ---------------------------------------------------------------- */

enum hu_program hu_program_of_account_type(uint8_t type)
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

static void usage_of(const struct hu_analysis *a, const struct hu_release *rel, size_t n_rel,
                     const struct hu_profile *p, struct hu_usage *u)
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
        for (size_t r = 0; r < n_rel; r++) {
            double s = hu_postings_pivot_share(p, &rel[r]);
            if (s > u->pivot_share) u->pivot_share = s;
        }
    u->distinct_ips = hu_profile_set_count(p, HU_PSET_IP);
    u->distinct_prefixes = hu_profile_set_count(p, HU_PSET_PREFIX);
    /* ASN 0 (unknown) is never added to the set, so no database -> 0 */
    u->distinct_asns = hu_profile_set_count(p, HU_PSET_ASN);
    u->first_ms = p->n_req ? p->first_ts : HU_EV_ABSENT;
    u->last_ms = p->n_req ? p->last_ts : HU_EV_ABSENT;
    u->signup_ms = p->facts.signup_ts == INT64_MAX ? HU_EV_ABSENT : p->facts.signup_ts;
    u->program = hu_program_of_account_type(p->facts.type);
    u->verified_id = p->facts.verification == HU_VERIF_ID || p->facts.verification == HU_VERIF_BUSINESS;
    u->night_share = -1;
    int known = 0;
    int off_h = p->facts.country[0] ? hu_tz_offset_hours(p->facts.country, &known) : 0;
    if (known && p->n_req >= HU_NIGHT_MIN_REQUESTS) {
        uint32_t local[24], night = 0, all = 0;
        hu_profile_hours_local(p, off_h * 60, local);
        for (int h = 0; h < 24; h++) {
            all += local[h];
            night += h < 6 ? local[h] : 0;
        }
        u->night_share = all ? (double)night / all : -1;
    }
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
    if (off & (1u << HU_FAMILY_PAYMENT))
        k &= ~((1u << HU_LINK_PAYMENT) | (1u << HU_LINK_SIGNUP_NET) | (1u << HU_LINK_EMAIL_DOM));
    if (off & (1u << HU_FAMILY_SCRIPT))
        k &= ~((1u << HU_LINK_SYSTEM) | (1u << HU_LINK_TOOLS));
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

/* finish() as a job of bounded steps (analysis.h, hu_analysis_finish_step):
 *
 *   PROFILES  per account: usage, behaviour, concealment, postings   sliced by accounts
 *   TOKENS    fingerprint tokens of every account                     one step
 *   SORT      postings cut into buckets in place (hu_pairs_begin)     one step, O(P)
 *   PAIRS     each bucket sorted, then linked group by group;         sliced by buckets and pairs
 *             then the pairs cut by account range, a range sorted     one step each
 *             per step
 *   PAIRS_END the graph dumped if asked                               one step
 *   CAMPAIGNS partners' indicators, campaigns, scores                 one step
 *   EVIDENCE  indicators, evidence, bindings, this run's library      one step
 *
 * The sliced phases check the clock every few hundred items.  Steps never
 * change the result: begin, steps to the end, gives what one finish()
 * gives, and finish() is exactly that loop with an unbounded budget. */
enum finish_phase { PH_IDLE, PH_PROFILES, PH_TOKENS, PH_SORT, PH_PAIRS, PH_PAIRS_END, PH_CAMPAIGNS,
                    PH_EVIDENCE };

struct hu_finish_job {
    enum finish_phase phase;
    size_t n, next;                 /* accounts in the job; next to do (PROFILES) */
    struct hu_release rel[HU_MAX_RELEASES];   /* copied: events may add releases between steps */
    size_t n_rel;
    struct hu_observer_counts oc;
    uint32_t kinds;
    struct hu_usage *usage;
    double *beh, *conceal;
    uint64_t *fp_tokens;
    uint32_t *fp_off;
    struct hu_behaviour_part (*parts)[HU_BEHAVIOUR_PARTS];
    uint64_t *org;
    const char **ids;
    uint32_t *id_lens;
    struct hu_postings post;
    struct hu_pairs_config pc;
    struct hu_pairs pairs;
    struct hu_results res;          /* filled by CAMPAIGNS and EVIDENCE, handed over at the end */
    double longest_step;            /* seconds, for the service's metrics */
};

static void job_free(struct hu_finish_job *j)
{
    if (!j)
        return;
    hu_postings_fini(&j->post);
    hu_pairs_fini(&j->pairs);
    hu_results_fini(&j->res);
    hu_free(j->usage);
    hu_free(j->beh);
    hu_free(j->conceal);
    hu_free(j->fp_tokens);
    hu_free(j->fp_off);
    hu_free(j->parts);
    hu_free(j->org);
    hu_free(j->ids);
    hu_free(j->id_lens);
    hu_free(j);
}

void hu_analysis_finish_abort(struct hu_analysis *a)
{
    job_free(a->job);
    a->job = NULL;
}

int hu_analysis_finish_begin(struct hu_analysis *a)
{
    if (a->job)
        return HU_EINVAL;
    struct hu_finish_job *j = hu_calloc(1, sizeof *j);
    if (!j)
        return HU_ENOMEM;
    struct hu_profile_table *table = hu_observer_table(a->obs);
    size_t n = j->n = hu_profile_table_count(table);
    const struct hu_release *rel = hu_observer_releases(a->obs, &j->n_rel);
    memcpy(j->rel, rel, j->n_rel * sizeof *rel);
    hu_observer_counts(a->obs, &j->oc);
    j->kinds = enabled_kinds(a->cfg.disabled_families);
    hu_free(a->prof);
    a->prof = hu_malloc((n ? n : 1) * sizeof *a->prof);
    j->usage = hu_calloc(n ? n : 1, sizeof *j->usage);
    j->beh = hu_calloc(n ? n : 1, sizeof *j->beh);
    j->conceal = hu_calloc(n ? n : 1, sizeof *j->conceal);
    j->parts = hu_calloc(n ? n : 1, sizeof *j->parts);
    j->org = hu_calloc(n ? n : 1, sizeof *j->org);
    j->ids = hu_calloc(n ? n : 1, sizeof *j->ids);
    j->id_lens = hu_calloc(n ? n : 1, sizeof *j->id_lens);
    if (!a->prof || !j->usage || !j->beh || !j->conceal || !j->parts || !j->org || !j->ids || !j->id_lens) {
        job_free(j);
        return HU_ENOMEM;
    }
    a->t.postings = a->t.pairs = a->t.campaigns = a->t.evidence = 0;
    j->phase = PH_PROFILES;
    a->job = j;
    return HU_OK;
}

/* The pair build's index freed (hu_pairs_end), the graph dumped if asked. */
static int finish_pairs_end(struct hu_analysis *a, struct hu_finish_job *j)
{
    double t0 = now_s();
    hu_pairs_end(&j->pairs);
    a->n_pairs = j->pairs.n;
    int rc = HU_OK;
    if (a->cfg.dump_graph_path)
        rc = dump_graph(a->cfg.dump_graph_path, &j->pairs, j->ids, j->id_lens);
    hu_postings_fini(&j->post);
    a->t.pairs += now_s() - t0;
    return rc;
}

/* Partners' indicators, campaigns and scores into j->res. */
static int finish_campaigns(struct hu_analysis *a, struct hu_finish_job *j)
{
    size_t n = j->n;
    struct hu_ioc_hit *ioc = NULL;
    double *ext = NULL;
    double t0 = now_s();
    int rc = HU_OK;
    if (a->cfg.iocs) {
        ioc = hu_calloc(n ? n : 1, sizeof *ioc);
        ext = hu_calloc(n ? n : 1, sizeof *ext);
        if (!ioc || !ext)
            rc = HU_ENOMEM;
        if (!rc) {
            hu_ioc_match_accounts(a->cfg.iocs, a->prof, n, hu_observer_dict(a->obs), a->cfg.share_key,
                                  a->cfg.share_key_len, ioc);
            for (size_t i = 0; i < n; i++)
                ext[i] = ioc[i].score;
        }
    }
    struct hu_results *out = &j->res;
    if (!rc) {
        struct hu_campaign_input in = {
            .n = n, .usage = j->usage, .behaviour = j->beh, .concealment = j->conceal,
            .fp_tokens = j->fp_tokens, .fp_off = j->fp_off, .external = ext,
            .parts = (const struct hu_behaviour_part (*)[HU_BEHAVIOUR_PARTS])j->parts,
            .org_hash = j->org, .account_ids = j->ids, .account_id_lens = j->id_lens, .pairs = &j->pairs,
        };
        rc = hu_campaigns_build(&in, a->policy, out);
    }
    for (size_t i = 0; !rc && ioc && i < n; i++)
        for (unsigned k = 0; k < ioc[i].n; k++) {
            const char *code = ioc_code(a, ioc[i].hit[k].kind, ioc[i].hit[k].producer);
            if (code)
                hu_account_add_reason(&out->accounts[i], code, 1, ioc[i].score);
        }
    hu_free(ioc);
    hu_free(ext);
    if (rc)
        return rc;
    out->total_requests = j->oc.requests;
    out->first_ts_ms = j->oc.first_ts;
    out->last_ts_ms = j->oc.last_ts;
    out->policy_digest = hu_policy_digest(a->policy);
    a->t.campaigns = now_s() - t0;
    return HU_OK;
}

/* Indicators, evidence, bindings to known campaigns, this run's library. */
static int finish_evidence(struct hu_analysis *a, struct hu_finish_job *j)
{
    size_t n = j->n;
    struct hu_results *out = &j->res;
    double t0 = now_s();
    int rc = hu_explain_indicators(out, a->prof, n, hu_observer_dict(a->obs));
    if (!rc)
        rc = hu_explain_evidence(out, j->usage);
    /* fingerprints: bind accounts to known campaigns, then (after the
     * bindings, which change flags) build this run's library */
    if (!rc && a->fp_on_active)
        for (size_t i = 0; i < n; i++)
            hu_fp_bind_result(a->cfg.known, hu_fp_online_get(&a->fp_on, a->prof[i]->account_hash),
                              &out->accounts[i], hu_policy_shadow(a->policy));
    if (!rc && a->cfg.fp_build)
        rc = hu_fp_lib_build(a->cfg.fp_build, a->cfg.fp_key, out, a->prof, n, &a->fp_side);
    a->t.evidence = now_s() - t0;
    return rc;
}

/* Items of a sliced phase between two looks at the clock. */
#define STEP_CHECK_EVERY 256u

int hu_analysis_finish_step(struct hu_analysis *a, double budget_s, struct hu_results *out)
{
    struct hu_finish_job *j = a->job;
    if (!j)
        return HU_EINVAL;
    double t0 = now_s(), deadline = t0 + budget_s;
    int rc = HU_OK;
    switch (j->phase) {
    case PH_PROFILES: {
        struct hu_profile_table *table = hu_observer_table(a->obs);
        size_t i = j->next;
        for (; i < j->n && !rc; i++) {
            if (i > j->next && (i - j->next) % STEP_CHECK_EVERY == 0 && now_s() >= deadline)
                break;
            struct hu_profile *p = hu_profile_table_at(table, i);
            size_t len;
            a->prof[i] = p;
            j->ids[i] = hu_profile_table_id(table, i, &len);
            j->id_lens[i] = (uint32_t)len;
            j->org[i] = p->org_hash;
            usage_of(a, j->rel, j->n_rel, p, &j->usage[i]);
            j->beh[i] = hu_usage_behaviour(&j->usage[i], j->parts[i]);
            j->conceal[i] = hu_usage_concealment(&j->usage[i], NULL);
            rc = hu_postings_add_profile(&j->post, p, (uint32_t)i, j->rel, j->n_rel, j->kinds);
        }
        j->next = i;
        if (i >= j->n)
            j->phase = PH_TOKENS;
        a->t.postings += now_s() - t0;
        break;
    }
    case PH_TOKENS: {
        /* fingerprint tokens of the families that are on */
        uint32_t off = a->cfg.disabled_families, sets = 0;
        if (!(off & (1u << HU_FAMILY_NETWORK)))
            sets |= (1u << HU_PSET_CLIENT_FP) | (1u << HU_PSET_HEADERS_FP) | (1u << HU_PSET_UA) | (1u << HU_PSET_ASN);
        if (!(off & (1u << HU_FAMILY_SCRIPT)))
            sets |= (1u << HU_PSET_SYSTEM) | (1u << HU_PSET_TOOLS);
        if (!(off & (1u << HU_FAMILY_PAYMENT)))
            sets |= 1u << HU_PSET_PAYMENT;
        if (!(off & (1u << HU_FAMILY_TEMPLATE)))
            sets |= HU_FP_SET_SENTENCES;
        rc = hu_fingerprint_tokens(a->prof, j->n, j->beh, sets, &j->fp_tokens, &j->fp_off);
        j->phase = PH_SORT;
        a->n_postings = j->post.n;
        a->t.postings += now_s() - t0;
        break;
    }
    case PH_SORT:
        pairs_config(&j->pc, a);
        rc = hu_pairs_begin(&j->pairs, &j->pc, j->post.v, j->post.n);
        j->phase = PH_PAIRS;
        a->t.pairs += now_s() - t0;
        break;
    case PH_PAIRS: {
        int done = 0;
        /* pair evaluations between looks at the clock: a few ms of work */
        while (rc == HU_OK && !done) {
            rc = hu_pairs_step(&j->pairs, 1u << 14, &done);
            if (now_s() >= deadline)
                break;
        }
        if (done)
            j->phase = PH_PAIRS_END;
        a->t.pairs += now_s() - t0;
        break;
    }
    case PH_PAIRS_END:
        rc = finish_pairs_end(a, j);
        j->phase = PH_CAMPAIGNS;
        break;
    case PH_CAMPAIGNS:
        rc = finish_campaigns(a, j);
        j->phase = PH_EVIDENCE;
        break;
    case PH_EVIDENCE:
        rc = finish_evidence(a, j);
        if (rc == HU_OK) {
            *out = j->res;   /* handed over: the job no longer owns it */
            memset(&j->res, 0, sizeof j->res);
        }
        j->phase = PH_IDLE;
        break;
    case PH_IDLE:
        rc = HU_EINVAL;
        break;
    }
    double took = now_s() - t0;
    if (took > j->longest_step)
        j->longest_step = took;
    a->finish_longest_step = j->longest_step;
    if (rc || j->phase == PH_IDLE) {
        hu_analysis_finish_abort(a);
        return rc;
    }
    return HU_EAGAIN;
}

const char *hu_analysis_finish_phase(const struct hu_analysis *a)
{
    static const char *const names[] = { "idle", "profiles", "tokens", "sort", "pairs", "pairs_end",
                                         "campaigns", "evidence" };
    return names[a->job ? a->job->phase : PH_IDLE];
}

double hu_analysis_finish_longest_step(const struct hu_analysis *a)
{
    return a->finish_longest_step;
}

int hu_analysis_finish(struct hu_analysis *a, struct hu_results *out)
{
    memset(out, 0, sizeof *out);
    int rc = hu_analysis_finish_begin(a);
    while (rc == HU_OK || rc == HU_EAGAIN) {
        rc = hu_analysis_finish_step(a, INFINITY, out);
        if (rc != HU_EAGAIN)
            break;
    }
    return rc;
}
