/* postings.c -- profile -> postings, see postings.h. */
#include "link/postings.h"
#include "core/alloc.h"
#include "core/hash.h"
#include "link/params.h"

#include <string.h>

#define POST_BANDS HU_LSH_BANDS
#define POST_ROWS  HU_LSH_ROWS
#define POST_MIN_REQUESTS HU_SIM_MIN_REQUESTS

void hu_postings_fini(struct hu_postings *out)
{
    hu_free(out->v);
    memset(out, 0, sizeof *out);
}

static int push(struct hu_postings *o, enum hu_link_kind kind, uint64_t key, uint32_t idx, uint32_t sub)
{
    if (!key)
        return HU_OK;
    if (hu_grow((void **)&o->v, &o->cap, o->n + 1, sizeof *o->v, 1024))
        return HU_ENOMEM;
    /* the key is salted with the kind: equal hashes of different kinds
     * (an IP hash and a fingerprint hash) never meet */
    o->v[o->n++] = (struct hu_posting){ hu_hash_combine(key, (uint64_t)kind + 1), idx, sub, (uint8_t)kind };
    return HU_OK;
}

static int push_set(struct hu_postings *o, enum hu_link_kind kind, const struct hu_kmv *s,
                    uint32_t idx, uint32_t sub)
{
    int rc = HU_OK;
    for (unsigned i = 0; i < s->n && !rc; i++)
        rc = push(o, kind, s->h[i], idx, sub);
    return rc;
}

double hu_postings_pivot_share(const struct hu_profile *p, const struct hu_release *rel)
{
    const struct hu_profile_model *m = hu_profile_model_find(p, rel->model_hash);
    if (!m || !p->n_req)
        return 0;
    if (m->first_ts < rel->ts_ms || m->first_ts > rel->ts_ms + HU_PIVOT_WINDOW_MS)
        return 0;
    /* requests from the release on: the account's whole traffic is the
     * denominator's upper bound, so the share is conservative */
    return (double)m->n / (double)p->n_req;
}

int hu_postings_add_profile(struct hu_postings *o, const struct hu_profile *p, uint32_t idx,
                            const struct hu_release *rel, size_t n_rel, uint32_t kinds)
{
    size_t start = o->n;
    struct hu_kmv ks_;     /* hu_profile_set() scratch, one set at a time */
    int rc = HU_OK;
    uint64_t bands[POST_BANDS];
    int have_templates = p->n_req >= POST_MIN_REQUESTS && !hu_minhash_is_empty(&p->template_mh);
    uint32_t sub = 0;
    if (have_templates && hu_minhash_bands(&p->template_mh, POST_BANDS, POST_ROWS, bands) == HU_OK)
        sub = (uint32_t)(bands[0] >> 32) | 1u;

#define WANT(k) (kinds & (1u << (k)))
    if (WANT(HU_LINK_PAYMENT)) {
        rc = push_set(o, HU_LINK_PAYMENT, hu_profile_set(p, HU_PSET_PAYMENT, &ks_), idx, sub);
        if (!rc && p->facts.payment_hash && !hu_kmv_contains(hu_profile_set(p, HU_PSET_PAYMENT, &ks_), p->facts.payment_hash))
            rc = push(o, HU_LINK_PAYMENT, p->facts.payment_hash, idx, sub);
    }
    if (!rc && WANT(HU_LINK_CLIENT_FP)) rc = push_set(o, HU_LINK_CLIENT_FP, hu_profile_set(p, HU_PSET_CLIENT_FP, &ks_), idx, sub);
    if (!rc && WANT(HU_LINK_HEADERS_FP)) rc = push_set(o, HU_LINK_HEADERS_FP, hu_profile_set(p, HU_PSET_HEADERS_FP, &ks_), idx, sub);
    if (!rc && WANT(HU_LINK_IP)) rc = push_set(o, HU_LINK_IP, hu_profile_set(p, HU_PSET_IP, &ks_), idx, sub);
    if (!rc && WANT(HU_LINK_PREFIX)) rc = push_set(o, HU_LINK_PREFIX, hu_profile_set(p, HU_PSET_PREFIX, &ks_), idx, sub);
    if (!rc && WANT(HU_LINK_USER_AGENT)) rc = push_set(o, HU_LINK_USER_AGENT, hu_profile_set(p, HU_PSET_UA, &ks_), idx, sub);
    if (!rc && WANT(HU_LINK_SYSTEM)) rc = push_set(o, HU_LINK_SYSTEM, hu_profile_set(p, HU_PSET_SYSTEM, &ks_), idx, sub);
    if (!rc && WANT(HU_LINK_TOOLS)) rc = push_set(o, HU_LINK_TOOLS, hu_profile_set(p, HU_PSET_TOOLS, &ks_), idx, sub);
    if (!rc && WANT(HU_LINK_SIGNUP_NET)) rc = push(o, HU_LINK_SIGNUP_NET, p->facts.signup_prefix_hash, idx, sub);
    if (!rc && WANT(HU_LINK_EMAIL_DOM)) rc = push(o, HU_LINK_EMAIL_DOM, p->facts.email_domain_hash, idx, sub);
    if (!rc && WANT(HU_LINK_TEMPLATES) && have_templates)
        for (unsigned b = 0; b < POST_BANDS && !rc; b++)
            rc = push(o, HU_LINK_TEMPLATES, bands[b], idx, sub);
    if (!rc && WANT(HU_LINK_SYNC) && p->n_req >= POST_MIN_REQUESTS && !hu_minhash_is_empty(&p->slot_mh)) {
        uint64_t sb[POST_BANDS];
        if (hu_minhash_bands(&p->slot_mh, POST_BANDS, POST_ROWS, sb) == HU_OK)
            for (unsigned b = 0; b < POST_BANDS && !rc; b++)
                rc = push(o, HU_LINK_SYNC, sb[b], idx, sub);
    }
    if (!rc && WANT(HU_LINK_PIVOT)) {
        for (size_t r = 0; r < n_rel && !rc; r++) {
            const struct hu_profile_model *m = hu_profile_model_find(p, rel[r].model_hash);
            if (!m || m->first_ts < rel[r].ts_ms || m->first_ts > rel[r].ts_ms + HU_PIVOT_WINDOW_MS)
                continue;
            /* only a real move counts: a sizeable share of the traffic */
            if ((double)m->n < 0.2 * (double)p->n_req)
                continue;
            uint64_t bucket = (uint64_t)((m->first_ts - rel[r].ts_ms) / (6LL * 3600 * 1000));
            rc = push(o, HU_LINK_PIVOT, hu_hash_combine(rel[r].model_hash, bucket + 1), idx, sub);
        }
    }
#undef WANT
    if (rc)
        o->n = start;
    return rc;
}
