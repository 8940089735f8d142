/*
 * fprint_build.c -- a fingerprint library from an analysis.
 *
 * For each campaign with flagged members, the distribution of its members'
 * habits, request-weighted: a member with n requests and k distinct values
 * of a type (a KMV set, exact up to 8 values) gives each value n/k
 * requests; prompt templates use the member's heaviest-template counts.
 * pc(v) is then the share of the campaign's requests (of members that show
 * the type) carrying v.  The background is the same over every account
 * that was not flagged, computed only at the campaign values (that is all
 * the matcher needs, see fprint.c).  Hours, soft target categories,
 * thinking and prompt length come from the profiles' counters.
 *
 * Nothing stored is prompt text or a raw identifier: tokens are keyed
 * hashes (hu_fp_token) of feature hashes, the rest are histograms.
 */
#include "fprint/fprint.h"
#include "core/alloc.h"
#include "core/sort.h"
#include "fprint/params.h"

#include <math.h>
#include <string.h>

/* ---- a small float accumulator map ------------------------------------------- */

struct facc {
    uint64_t *k;
    double *v;
    uint8_t *t;
    size_t n, cap;   /* cap power of two */
};

static int facc_init(struct facc *m, size_t expect)
{
    size_t cap = 64;
    while (cap < expect * 2) cap *= 2;
    m->k = hu_calloc(cap, sizeof *m->k);
    m->v = hu_calloc(cap, sizeof *m->v);
    m->t = hu_calloc(cap, sizeof *m->t);
    m->n = 0;
    m->cap = cap;
    return m->k && m->v && m->t ? HU_OK : HU_ENOMEM;
}

static void facc_fini(struct facc *m)
{
    hu_free(m->k);
    hu_free(m->v);
    hu_free(m->t);
    memset(m, 0, sizeof *m);
}

static double *facc_slot(struct facc *m, uint64_t key, uint8_t type, int create)
{
    if (create && (m->n + 1) * 2 > m->cap) {
        struct facc g;
        if (facc_init(&g, m->cap))
            return NULL;
        for (size_t i = 0; i < m->cap; i++)
            if (m->k[i]) {
                size_t j = m->k[i] & (g.cap - 1);
                while (g.k[j]) j = (j + 1) & (g.cap - 1);
                g.k[j] = m->k[i];
                g.v[j] = m->v[i];
                g.t[j] = m->t[i];
            }
        g.n = m->n;
        facc_fini(m);
        *m = g;
    }
    size_t i = key & (m->cap - 1);
    while (m->k[i]) {
        if (m->k[i] == key)
            return &m->v[i];
        i = (i + 1) & (m->cap - 1);
    }
    if (!create)
        return NULL;
    m->k[i] = key;
    m->t[i] = type;
    m->v[i] = 0;
    m->n++;
    return &m->v[i];
}

/* ---- distributions ------------------------------------------------------------ */

struct dacc {
    double hour[24], target[HU_FP_NCAT];
    double req, think, np, psum, psumsq, tools;
    double den[HU_FP_TOK_COUNT];
};

static const int tok_pset[HU_FP_TOK_COUNT] = {
    [HU_FP_TOK_SYSTEM] = HU_PSET_SYSTEM, [HU_FP_TOK_TOOLS] = HU_PSET_TOOLS,
    [HU_FP_TOK_CLIENT_FP] = HU_PSET_CLIENT_FP, [HU_FP_TOK_HEADERS_FP] = HU_PSET_HEADERS_FP,
    [HU_FP_TOK_UA] = HU_PSET_UA, [HU_FP_TOK_ASN] = HU_PSET_ASN, [HU_FP_TOK_TEMPLATE] = -1,
    [HU_FP_TOK_HEAD] = -2, [HU_FP_TOK_TAIL] = -2,
};

/* ---- the side table: heads and tails per account ---------------------------- */

int hu_fp_side_init(struct hu_fp_side *s)
{
    memset(s, 0, sizeof *s);
    return hu_u64map_init(&s->idx, 1024);
}

void hu_fp_side_fini(struct hu_fp_side *s)
{
    if (!s)
        return;
    if (s->idx.keys)
        hu_u64map_fini(&s->idx);
    hu_free(s->head);
    hu_free(s->tail);
    hu_free(s->n_prompt);
    memset(s, 0, sizeof *s);
}

/* The slot (1-based) of account_hash, created empty if new.  HU_OK,
 * HU_EFULL (the bound), HU_ENOMEM. */
static int side_slot(struct hu_fp_side *s, uint64_t account_hash, uint32_t *out)
{
    uint32_t slot = hu_u64map_get(&s->idx, account_hash);
    if (!slot) {
        if (s->n >= HU_MAX_FP_ONLINE || (s->max && s->n >= s->max))
            return HU_EFULL;
        if (s->n == s->cap) {
            size_t ncap = s->cap ? s->cap * 2 : 1024;
            struct hu_ss *h = hu_realloc(s->head, ncap * sizeof *h);
            if (!h) return HU_ENOMEM;
            s->head = h;
            struct hu_ss *t = hu_realloc(s->tail, ncap * sizeof *t);
            if (!t) return HU_ENOMEM;
            s->tail = t;
            uint32_t *np = hu_realloc(s->n_prompt, ncap * sizeof *np);
            if (!np) return HU_ENOMEM;
            s->n_prompt = np;
            s->cap = ncap;
        }
        if (hu_u64map_add(&s->idx, account_hash, (uint32_t)(s->n + 1)))
            return HU_ENOMEM;
        hu_ss_init(&s->head[s->n]);
        hu_ss_init(&s->tail[s->n]);
        s->n_prompt[s->n] = 0;
        slot = (uint32_t)++s->n;
    }
    *out = slot;
    return HU_OK;
}

int hu_fp_side_observe(struct hu_fp_side *s, uint64_t account_hash, const struct hu_req_features *f)
{
    if (!f->head_hash && !f->tail_hash)
        return HU_OK;
    uint32_t slot;
    int rc = side_slot(s, account_hash, &slot);
    if (rc)
        return rc;
    s->n_prompt[slot - 1]++;
    if (f->head_hash)
        (void)hu_ss_update(&s->head[slot - 1], f->head_hash, 1);
    if (f->tail_hash)
        (void)hu_ss_update(&s->tail[slot - 1], f->tail_hash, 1);
    return HU_OK;
}

int hu_fp_side_absorb(struct hu_fp_side *dst, const struct hu_fp_side *src)
{
    for (size_t k = 0; src->idx.keys && k < src->idx.cap; k++) {
        if (!src->idx.keys[k])
            continue;
        uint32_t from = src->idx.vals[k] - 1, slot;
        size_t before = dst->n;
        int rc = side_slot(dst, src->idx.keys[k], &slot);
        if (rc)
            return rc;
        if (dst->n > before) {          /* new here: the shard's state, exactly */
            dst->head[slot - 1] = src->head[from];
            dst->tail[slot - 1] = src->tail[from];
        } else {
            hu_ss_merge(&dst->head[slot - 1], &src->head[from]);
            hu_ss_merge(&dst->tail[slot - 1], &src->tail[from]);
        }
        dst->n_prompt[slot - 1] += src->n_prompt[from];
    }
    return HU_OK;
}

/* Add profile p's distributions; its tokens go to m (create: add new keys;
 * else only keys already there). */
static int dacc_add(struct dacc *d, struct facc *m, int create, const struct hu_fp_key *key,
                    const struct hu_profile *p, const struct hu_fp_side *side)
{
    double n = (double)p->n_req;
    if (!n)
        return HU_OK;
    d->req += n;
    for (int h = 0; h < 24; h++) d->hour[h] += p->hour[h];
    double sum = 0;
    for (int t = 0; t < HU_TARGET_COUNT; t++) {
        double s = hu_profile_target_share(p, (enum hu_target)t);
        d->target[t] += n * s;
        sum += s;
    }
    d->target[HU_TARGET_COUNT] += n * (sum < 1 ? 1 - sum : 0);
    d->think += p->n_thinking;
    d->tools += p->n_tools;
    d->np += p->n_prompt;
    d->psum += (double)p->prompt_chars_sum;
    d->psumsq += (double)p->prompt_chars_sumsq;
    uint32_t sslot = side ? hu_u64map_get(&side->idx, p->account_hash) : 0;
    struct hu_kmv ks_;
    for (int t = 0; t < HU_FP_TOK_COUNT; t++) {
        if (tok_pset[t] < 0) {
            struct hu_ss_entry top[HU_SS_K];
            const struct hu_ss *ss = &p->top_templates;
            double np = (double)p->n_prompt;
            if (tok_pset[t] == -2) {
                if (!sslot)
                    continue;
                ss = t == HU_FP_TOK_HEAD ? &side->head[sslot - 1] : &side->tail[sslot - 1];
                np = side->n_prompt[sslot - 1];
            }
            size_t k = hu_ss_top(ss, top, HU_SS_K);
            if (!k || !np)
                continue;
            d->den[t] += np;
            for (size_t j = 0; j < k; j++) {
                double *v = facc_slot(m, hu_fp_token(key, (enum hu_fp_tok)t, top[j].key), (uint8_t)t, create);
                if (create && !v)
                    return HU_ENOMEM;
                if (v) *v += top[j].count;
            }
            continue;
        }
        const struct hu_kmv *s = hu_profile_set(p, tok_pset[t], &ks_);
        if (!s->n)
            continue;
        double cnt = hu_profile_set_count(p, (enum hu_pset)tok_pset[t]);
        if (cnt < s->n) cnt = s->n;
        d->den[t] += n;
        for (unsigned j = 0; j < s->n; j++) {
            double *v = facc_slot(m, hu_fp_token(key, (enum hu_fp_tok)t, s->h[j]), (uint8_t)t, create);
            if (create && !v)
                return HU_ENOMEM;
            if (v) *v += n / cnt;
        }
    }
    return HU_OK;
}

static void dacc_dist(const struct dacc *a, struct hu_fp_dist *d)
{
    double tot = 0;
    for (int h = 0; h < 24; h++) tot += a->hour[h];
    for (int h = 0; h < 24; h++) d->hour[h] = (float)((a->hour[h] + 1.0) / (tot + 24.0));
    tot = 0;
    for (int k = 0; k < HU_FP_NCAT; k++) tot += a->target[k];
    for (int k = 0; k < HU_FP_NCAT; k++)
        d->target[k] = (float)((a->target[k] + 0.01 * (tot + 1)) / (tot + 0.01 * (tot + 1) * HU_FP_NCAT));
    double th = a->req > 0 ? a->think / a->req : 0;
    d->thinking = (float)(th < 0.005 ? 0.005 : th > 0.995 ? 0.995 : th);
    double mu = a->np > 0 ? a->psum / a->np : 0;
    double var = a->np > 0 ? a->psumsq / a->np - mu * mu : 0;
    double sd = var > 0 ? sqrt(var) : 0;
    d->plen_mu = (float)mu;
    d->plen_sd = (float)(sd < 8 ? 8 : sd);
    for (int t = 0; t < HU_FP_TOK_COUNT; t++) {
        double pr = a->req > 0 ? a->den[t] / a->req : 0;
        if (t == HU_FP_TOK_TOOLS)
            pr = a->req > 0 ? a->tools / a->req : 0;
        d->present[t] = (float)(pr < 0.005 ? 0.005 : pr > 0.995 ? 0.995 : pr);
    }
}

static int cmp_tok_pc(const void *x, const void *y)
{
    const struct hu_fp_token *a = x, *b = y;
    if (a->type != b->type) return a->type - b->type;
    if (a->pc != b->pc) return a->pc < b->pc ? 1 : -1;
    return (a->key > b->key) - (a->key < b->key);
}

int hu_fp_lib_build(struct hu_fp_lib *lib, const struct hu_fp_key *key, const struct hu_results *res,
                    struct hu_profile *const *prof, size_t n_prof, const struct hu_fp_side *side)
{
    int rc = HU_OK;
    struct facc m = { 0 }, bgm = { 0 };
    struct hu_fp_token *tok = NULL;
    size_t cap_tok = 0;
    lib->key_id = hu_fp_key_id(key);
    lib->created_ms = res->last_ts_ms;
    if (res->n_accounts != n_prof)
        return HU_EINVAL;
    size_t first_entry = lib->n;
    for (size_t c = 0; c < res->n_campaigns && !rc; c++) {
        const struct hu_campaign_result *cp = &res->campaigns[c];
        struct dacc d;
        memset(&d, 0, sizeof d);
        rc = facc_init(&m, 256);
        uint32_t members = 0, votes[HU_ACTION_COUNT] = { 0 };
        uint64_t reqs = 0;
        for (uint32_t k = 0; k < cp->n_members && !rc; k++) {
            uint32_t i = cp->members[k];
            if (i >= n_prof || !hu_action_flagged(res->accounts[i].would))
                continue;
            members++;
            votes[res->accounts[i].would]++;
            reqs += prof[i]->n_req;
            rc = dacc_add(&d, &m, 1, key, prof[i], side);
        }
        if (rc || !members) {
            facc_fini(&m);
            continue;
        }
        struct hu_fp_entry e;
        memset(&e, 0, sizeof e);
        memcpy(e.id, cp->id, sizeof e.id);
        e.id[sizeof e.id - 1] = 0;
        e.first_seen_ms = cp->first_seen_ms;
        e.last_seen_ms = e.confirmed_ms = cp->last_seen_ms;
        e.members = members;
        e.requests = reqs;
        e.score = (float)cp->score;
        uint32_t best = HU_ACTION_THROTTLE;
        for (uint32_t a = HU_ACTION_THROTTLE; a < HU_ACTION_COUNT; a++)
            if (votes[a] > votes[best]) best = a;
        e.action = best;
        dacc_dist(&d, &e.d);
        /* tokens: pc per type, the heaviest HU_FP_TOK_PER_TYPE above the floor */
        size_t nt = 0;
        for (size_t s = 0; s < m.cap && !rc; s++) {
            if (!m.k[s] || d.den[m.t[s]] <= 0)
                continue;
            double pc = m.v[s] / d.den[m.t[s]];
            if (pc < HU_FP_TOK_MIN_PC)
                continue;
            if (hu_grow((void **)&tok, &cap_tok, nt + 1, sizeof *tok, 256)) {
                rc = HU_ENOMEM;
                break;
            }
            memset(&tok[nt], 0, sizeof tok[nt]);
            tok[nt].key = m.k[s];
            tok[nt].type = m.t[s];
            tok[nt].pc = (float)(pc > 1 ? 1 : pc);
            nt++;
        }
        facc_fini(&m);
        if (rc)
            break;
        hu_sort(tok, nt, sizeof *tok, cmp_tok_pc);
        size_t w = 0;
        for (size_t j = 0, run = 0; j < nt; j++) {
            run = j && tok[j].type == tok[j - 1].type ? run + 1 : 0;
            if (run < HU_FP_TOK_PER_TYPE)
                tok[w++] = tok[j];
        }
        rc = hu_fp_lib_add(lib, &e, tok, w);
    }
    facc_fini(&m);
    /* background: every account not flagged, only at the campaigns' values */
    if (!rc)
        rc = facc_init(&bgm, lib->n_tok + 16);
    for (size_t j = first_entry; j < lib->n && !rc; j++)
        for (uint32_t k = 0; k < lib->e[j].n_tok && !rc; k++) {
            const struct hu_fp_token *t = &lib->tok[lib->e[j].tok_off + k];
            if (!facc_slot(&bgm, t->key, t->type, 1))
                rc = HU_ENOMEM;
        }
    struct dacc bg;
    memset(&bg, 0, sizeof bg);
    uint64_t bg_acc = 0;
    for (size_t i = 0; i < n_prof && !rc; i++) {
        if (hu_action_flagged(res->accounts[i].would) || !prof[i]->n_req)
            continue;
        bg_acc++;
        rc = dacc_add(&bg, &bgm, 0, key, prof[i], side);
    }
    if (!rc) {
        dacc_dist(&bg, &lib->bg);
        lib->bg_accounts = bg_acc;
        lib->bg_requests = (uint64_t)bg.req;
        for (size_t j = first_entry; j < lib->n; j++)
            for (uint32_t k = 0; k < lib->e[j].n_tok; k++) {
                struct hu_fp_token *t = &lib->tok[lib->e[j].tok_off + k];
                double *v = facc_slot(&bgm, t->key, t->type, 0);
                t->pb = v && bg.den[t->type] > 0 ? (float)(*v / bg.den[t->type]) : 0.0f;
            }
        rc = hu_fp_lib_finish(lib);
    }
    facc_fini(&bgm);
    hu_free(tok);
    return rc;
}
