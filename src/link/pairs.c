/* pairs.c -- candidate pairs from shared keys, see pairs.h. */
#include "link/pairs.h"
#include "core/alloc.h"
#include "core/sort.h"
#include "core/assert.h"
#include "core/hash.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_codes[] = {
#define HU__LK_CODE(name, code, desc) code,
    HU_LINK_KIND_MAP(HU__LK_CODE)
#undef HU__LK_CODE
};
static const char *const kind_descs[] = {
#define HU__LK_DESC(name, code, desc) desc,
    HU_LINK_KIND_MAP(HU__LK_DESC)
#undef HU__LK_DESC
};

const char *hu_link_kind_code(enum hu_link_kind k)
{
    return (unsigned)k < HU_LINK_KIND_COUNT ? kind_codes[k] : "unknown";
}

const char *hu_link_kind_desc(enum hu_link_kind k)
{
    return (unsigned)k < HU_LINK_KIND_COUNT ? kind_descs[k] : "unknown";
}

float hu_link_rarity(const struct hu_pairs_config *cfg, enum hu_link_kind kind, uint32_t m)
{
    uint32_t free_size = cfg->rarity_free[kind] ? cfg->rarity_free[kind] : 1;
    if (m <= free_size)
        return 1.0f;
    return 1.0f / (1.0f + log2f((float)m / (float)free_size));
}

static int cmp_posting(const void *x, const void *y)
{
    const struct hu_posting *a = x, *b = y;
    if (a->kind != b->kind) return a->kind < b->kind ? -1 : 1;
    if (a->key != b->key) return a->key < b->key ? -1 : 1;
    if (a->sub != b->sub) return a->sub < b->sub ? -1 : 1;
    if (a->account != b->account) return a->account < b->account ? -1 : 1;
    return 0;
}

static int cmp_pair(const void *x, const void *y)
{
    const struct hu_pair *a = x, *b = y;
    if (a->a != b->a) return a->a < b->a ? -1 : 1;
    if (a->b != b->b) return a->b < b->b ? -1 : 1;
    return 0;
}

static int rehash(struct hu_pairs *p, size_t n_slots)
{
    uint32_t *slots = hu_calloc(n_slots, sizeof *slots);
    if (!slots)
        return HU_ENOMEM;
    for (size_t i = 0; i < p->n; i++) {
        uint64_t key = (uint64_t)p->pairs[i].a << 32 | p->pairs[i].b;
        size_t s = hu_hash_mix(key) & (n_slots - 1);
        while (slots[s])
            s = (s + 1) & (n_slots - 1);
        slots[s] = (uint32_t)i + 1;
    }
    hu_free(p->slots);
    p->slots = slots;
    p->n_slots = n_slots;
    return HU_OK;
}

static uint8_t quantize(float w)
{
    if (!(w > 0.0f)) return 0;
    if (w >= 1.0f) return 255;
    uint8_t q = (uint8_t)(w * 255.0f + 0.5f);
    return q ? q : 1;     /* any evidence stays visible */
}

int hu_pairs_add(struct hu_pairs *p, uint32_t a, uint32_t b, enum hu_link_kind kind, float wf)
{
    if (a == b || (unsigned)kind >= HU_LINK_KIND_COUNT)
        return HU_EINVAL;
    uint8_t w = quantize(wf);
    if (a > b) { uint32_t t = a; a = b; b = t; }
    if ((p->n + 1) * 2 > p->n_slots) {
        if (p->n >= UINT32_MAX - 1)
            return HU_EFULL;
        int rc = rehash(p, p->n_slots ? p->n_slots * 2 : 1024);
        if (rc)
            return rc;
    }
    uint64_t key = (uint64_t)a << 32 | b;
    size_t s = hu_hash_mix(key) & (p->n_slots - 1);
    while (p->slots[s]) {
        struct hu_pair *pr = &p->pairs[p->slots[s] - 1];
        if (pr->a == a && pr->b == b) {
            pr->kinds |= 1u << kind;
            if (w > pr->w[kind])
                pr->w[kind] = w;
            return HU_OK;
        }
        s = (s + 1) & (p->n_slots - 1);
    }
    int rc = hu_grow((void **)&p->pairs, &p->cap, p->n + 1, sizeof *p->pairs, 1024);
    if (rc)
        return rc;
    struct hu_pair *pr = &p->pairs[p->n];
    memset(pr, 0, sizeof *pr);
    pr->a = a;
    pr->b = b;
    pr->kinds = 1u << kind;
    pr->w[kind] = w;
    p->slots[s] = (uint32_t)++p->n;
    return HU_OK;
}

static int emit(struct hu_pairs *p, const struct hu_pairs_config *cfg,
                enum hu_link_kind kind, uint32_t a, uint32_t b, float w)
{
    if (cfg->sim && (cfg->similarity_kinds & (1u << kind))) {
        float s = cfg->sim(cfg->sim_ctx, kind, a, b);
        if (s <= 0.0f)
            return HU_OK;
        w *= s;
    }
    return hu_pairs_add(p, a, b, kind, w);
}

/* One group: postings[lo..hi) share (kind, key), sorted by (sub, account). */
static int do_group(struct hu_pairs *p, const struct hu_pairs_config *cfg,
                    const struct hu_posting *g, size_t m)
{
    enum hu_link_kind kind = (enum hu_link_kind)g[0].kind;
    p->groups++;
    if (m > cfg->hub_max) {
        p->ignored_groups++;
        p->ignored_per_kind[kind]++;
        return HU_OK;
    }
    float w = cfg->base_weight[kind] * hu_link_rarity(cfg, kind, (uint32_t)m);
    if (w <= 0.0f)
        return HU_OK;
    int rc = HU_OK;
    if (m <= cfg->pair_cap) {
        for (size_t i = 0; i < m && !rc; i++)
            for (size_t j = i + 1; j < m && !rc; j++)
                rc = emit(p, cfg, kind, g[i].account, g[j].account, w);
        return rc;
    }
    /* hub: ring within each sub-group */
    p->hub_groups++;
    size_t i = 0;
    while (i < m && !rc) {
        size_t j = i;
        while (j < m && g[j].sub == g[i].sub)
            j++;
        size_t sm = j - i;
        if (sm <= cfg->pair_cap) {
            for (size_t x = i; x < j && !rc; x++)
                for (size_t y = x + 1; y < j && !rc; y++)
                    rc = emit(p, cfg, kind, g[x].account, g[y].account, w);
        } else {
            for (size_t x = i; x < j && !rc; x++) {
                if (x + 1 < j) rc = emit(p, cfg, kind, g[x].account, g[x + 1].account, w);
                if (!rc && x + 2 < j) rc = emit(p, cfg, kind, g[x].account, g[x + 2].account, w);
            }
        }
        i = j;
    }
    return rc;
}

/* The postings are cut into HU_PAIRS_BUCKETS buckets by a byte of a hash
 * of (kind, key), in place (an American-flag partition: one counting pass,
 * one pass of swaps, no second array), so that every group lies inside
 * one bucket.  Each bucket is then sorted and linked on its own, in a
 * step of its own: a step never sorts more than one bucket (about P/256
 * postings), where one sort of all P postings would be the longest step
 * of a relink at scale (0.18 s at 2.3 M postings).  Linking is
 * order-independent (max weight per kind, pairs sorted at the end), so
 * the result is the one a global sort gives. */
static unsigned bucket_of(const struct hu_posting *x)
{
    return (unsigned)(hu_hash_mix(x->key ^ ((uint64_t)x->kind << 56)) >> 56);
}

int hu_pairs_begin(struct hu_pairs *p, const struct hu_pairs_config *cfg,
                   struct hu_posting *postings, size_t n_postings)
{
    memset(p, 0, sizeof *p);
    p->cfg = cfg;
    p->postings = n_postings;
    size_t count[HU_PAIRS_BUCKETS] = { 0 }, next[HU_PAIRS_BUCKETS];
    for (size_t i = 0; i < n_postings; i++)
        count[bucket_of(&postings[i])]++;
    size_t at = 0;
    for (unsigned b = 0; b < HU_PAIRS_BUCKETS; b++) {
        p->bstart[b] = next[b] = at;
        at += count[b];
    }
    p->bstart[HU_PAIRS_BUCKETS] = at;
    for (unsigned b = 0; b < HU_PAIRS_BUCKETS; b++)
        while (next[b] < p->bstart[b + 1]) {
            unsigned d = bucket_of(&postings[next[b]]);
            if (d == b) {
                next[b]++;
            } else {   /* send it home, take what was there */
                struct hu_posting t = postings[next[d]];
                postings[next[d]++] = postings[next[b]];
                postings[next[b]] = t;
            }
        }
    p->post = postings;
    p->n_post = n_postings;
    return HU_OK;
}

/* Sort bucket p->bucket by (kind, key, sub, account) and drop duplicate
 * (kind, key, account) postings, keeping the first sub. */
static void bucket_prepare(struct hu_pairs *p)
{
    struct hu_posting *v = (struct hu_posting *)p->post + p->bstart[p->bucket];
    size_t n = p->bstart[p->bucket + 1] - p->bstart[p->bucket];
    hu_sort(v, n, sizeof *v, cmp_posting);
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        if (w && v[w - 1].kind == v[i].kind && v[w - 1].key == v[i].key && v[w - 1].account == v[i].account)
            continue;
        v[w++] = v[i];
    }
    p->next = p->bstart[p->bucket];
    p->bend = p->next + w;
    p->bucket_ready = 1;
}

/* Pairs are cut by a into HU_PAIRS_BUCKETS contiguous ranges of account
 * numbers (an American-flag partition, as the postings): sorting each
 * range by (a, b) then sorts them all, and no step sorts more than one
 * range (7.4 M pairs at scale 1: a single sort took a 1.0 s step). */
static unsigned pair_bucket(const struct hu_pairs *p, uint32_t a)
{
    return (unsigned)(((uint64_t)a * HU_PAIRS_BUCKETS) / ((uint64_t)p->max_a + 1));
}

static void pairs_partition(struct hu_pairs *p)
{
    hu_free(p->slots);   /* the index is done with: every pair exists */
    p->slots = NULL;
    p->n_slots = 0;
    p->max_a = 0;
    for (size_t i = 0; i < p->n; i++)
        if (p->pairs[i].a > p->max_a)
            p->max_a = p->pairs[i].a;
    size_t count[HU_PAIRS_BUCKETS] = { 0 }, next[HU_PAIRS_BUCKETS];
    for (size_t i = 0; i < p->n; i++)
        count[pair_bucket(p, p->pairs[i].a)]++;
    size_t at = 0;
    for (unsigned b = 0; b < HU_PAIRS_BUCKETS; b++) {
        p->sstart[b] = next[b] = at;
        at += count[b];
    }
    p->sstart[HU_PAIRS_BUCKETS] = at;
    for (unsigned b = 0; b < HU_PAIRS_BUCKETS; b++)
        while (next[b] < p->sstart[b + 1]) {
            unsigned d = pair_bucket(p, p->pairs[next[b]].a);
            if (d == b) {
                next[b]++;
            } else {
                struct hu_pair t = p->pairs[next[d]];
                p->pairs[next[d]++] = p->pairs[next[b]];
                p->pairs[next[b]] = t;
            }
        }
    p->sorting = 1;
    p->sbucket = 0;
}

static void pairs_sort_bucket(struct hu_pairs *p)
{
    size_t lo = p->sstart[p->sbucket], hi = p->sstart[p->sbucket + 1];
    if (hi > lo + 1)
        hu_sort(p->pairs + lo, hi - lo, sizeof *p->pairs, cmp_pair);
    p->sbucket++;
}

int hu_pairs_step(struct hu_pairs *p, uint64_t budget, int *done)
{
    uint64_t spent = 0;
    int rc = HU_OK;
    while (p->bucket < HU_PAIRS_BUCKETS && spent < budget && !rc) {
        if (!p->bucket_ready) {
            if (spent)   /* a sort is a step's whole work, or its first */
                break;
            bucket_prepare(p);
            spent += p->bend - p->next + 1;
        }
        const struct hu_posting *post = p->post;
        size_t i = p->next, n = p->bend;
        while (i < n && spent < budget && !rc) {
            size_t j = i + 1;
            while (j < n && post[j].kind == post[i].kind && post[j].key == post[i].key)
                j++;
            size_t m = j - i;
            if (m >= 2) {
                rc = do_group(p, p->cfg, post + i, m);
                /* what do_group evaluates, at most: every pair of a small
                 * group, two per member of a hub */
                spent += m <= p->cfg->pair_cap ? (uint64_t)m * (m - 1) / 2 : 2 * (uint64_t)m;
            }
            spent++;
            i = j;
        }
        p->next = i;
        if (i >= n) {
            p->bucket++;
            p->bucket_ready = 0;
        }
    }
    if (rc) {
        hu_pairs_fini(p);
        return rc;
    }
    /* every group linked: the pairs are sorted by (a, b) the same way,
     * cut by a's range into buckets in place, one bucket sorted per step */
    if (p->bucket >= HU_PAIRS_BUCKETS && !spent) {
        if (!p->sorting)
            pairs_partition(p);
        else if (p->sbucket < HU_PAIRS_BUCKETS)
            pairs_sort_bucket(p);
    }
    *done = p->bucket >= HU_PAIRS_BUCKETS && p->sorting && p->sbucket >= HU_PAIRS_BUCKETS;
    return HU_OK;
}

void hu_pairs_end(struct hu_pairs *p)
{
    hu_free(p->slots);
    p->slots = NULL;
    p->n_slots = 0;
    p->post = NULL;
    p->n_post = p->next = p->bend = 0;
    /* steps not taken to the end: sort what is left at once */
    if (!p->sorting && p->n)
        hu_sort(p->pairs, p->n, sizeof *p->pairs, cmp_pair);
    else
        while (p->sbucket < HU_PAIRS_BUCKETS)
            pairs_sort_bucket(p);
}

int hu_pairs_build(struct hu_pairs *p, const struct hu_pairs_config *cfg,
                   struct hu_posting *postings, size_t n_postings)
{
    int rc = hu_pairs_begin(p, cfg, postings, n_postings), done = 0;
    while (rc == HU_OK && !done)
        rc = hu_pairs_step(p, UINT64_MAX, &done);
    if (rc == HU_OK)
        hu_pairs_end(p);
    return rc;
}

float hu_pair_strength(const struct hu_pair *pr)
{
    float keep = 1.0f;
    for (int k = 0; k < HU_LINK_KIND_COUNT; k++)
        if (pr->kinds & (1u << k))
            keep *= 1.0f - hu_pair_weight(pr, (enum hu_link_kind)k);
    return 1.0f - keep;
}

void hu_pairs_fini(struct hu_pairs *p)
{
    hu_free(p->pairs);
    hu_free(p->slots);
    memset(p, 0, sizeof *p);
}
