/*
 * campaign.c -- campaigns from strong links, scores and reasons; see
 * campaign.h for the steps and params.h for every number.
 *
 * Invariants after hu_campaigns_build():
 *   - every campaign has >= HU_MIN_CAMPAIGN members, listed ascending;
 *   - an account belongs to at most one campaign, and
 *     accounts[i].campaign == c + 1 iff i is in campaigns[c].members;
 *   - campaigns are sorted by score, then by smallest member: the same
 *     input gives the same order and the same ids.
 */
#include "score/campaign.h"
#include "core/alloc.h"
#include "core/hash.h"
#include "link/uf.h"
#include "score/params.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Link kinds that only say "same network path": what a proxy service's
 * customers share with the campaigns it also carries. */
#define INFRA_KINDS ((1u << HU_LINK_IP) | (1u << HU_LINK_PREFIX) | (1u << HU_LINK_USER_AGENT) \
                     | (1u << HU_LINK_CLIENT_FP) | (1u << HU_LINK_HEADERS_FP))

double hu_campaign_score(double behaviour, double coordination, uint32_t size, int org_fleet)
{
    double s = 1.0 - exp(-((double)size - 1.0) / HU_CS_SIZE_SCALE);
    double z = HU_CS_BIAS + HU_CS_W_B * behaviour + HU_CS_W_K * coordination + HU_CS_W_S * s;
    if (org_fleet)
        z -= HU_CS_ORG_DISCOUNT;
    return 1.0 / (1.0 + exp(-z));
}

struct camp_tmp {
    uint32_t root;
    uint32_t n;
    double   score;
    uint32_t min_member;
    double   behaviour, coordination;
    int      org_fleet;
};

static int cmp_camp(const void *x, const void *y)
{
    const struct camp_tmp *a = x, *b = y;
    if (a->score != b->score) return a->score > b->score ? -1 : 1;
    return (a->min_member > b->min_member) - (a->min_member < b->min_member);
}

/* Request-weighted behaviour per union-find root. */
static void group_behaviour(const struct hu_campaign_input *in, struct hu_uf *uf,
                            double *wsum, double *rsum, double *out_b)
{
    memset(wsum, 0, in->n * sizeof *wsum);
    memset(rsum, 0, in->n * sizeof *rsum);
    for (size_t i = 0; i < in->n; i++) {
        uint32_t r = hu_uf_find(uf, (uint32_t)i);
        double w = (double)(in->usage[i].requests ? in->usage[i].requests : 1);
        wsum[r] += w * in->behaviour[i];
        rsum[r] += w;
    }
    for (size_t i = 0; i < in->n; i++) {
        uint32_t r = hu_uf_find(uf, (uint32_t)i);
        out_b[i] = rsum[r] > 0 ? wsum[r] / rsum[r] : 0;
    }
}

int hu_campaigns_build(const struct hu_campaign_input *in, const struct hu_policy *policy,
                       struct hu_results *out)
{
    const size_t n = in->n;
    const struct hu_pairs *P = in->pairs;
    int rc = HU_ENOMEM;
    struct hu_uf uf = { 0 };
    uint32_t *kinds = NULL, *camp_of_root = NULL;
    uint16_t (*kind_edges)[HU_LINK_KIND_COUNT] = NULL;
    double *wsum = NULL, *rsum = NULL, *grp_b = NULL, *k_sum = NULL;
    uint8_t *weak = NULL, *strong = NULL;
    struct camp_tmp *camps = NULL;
    size_t n_camps = 0;

    memset(out, 0, sizeof *out);
    kinds = hu_calloc(n ? n : 1, sizeof *kinds);
    kind_edges = hu_calloc(n ? n : 1, sizeof *kind_edges);
    wsum = hu_malloc((n ? n : 1) * sizeof *wsum);
    rsum = hu_malloc((n ? n : 1) * sizeof *rsum);
    grp_b = hu_malloc((n ? n : 1) * sizeof *grp_b);
    k_sum = hu_calloc(n ? n : 1, 2 * sizeof *k_sum);
    weak = hu_calloc(n ? n : 1, 1);
    strong = hu_calloc(P->n ? P->n : 1, 1);
    out->accounts = hu_calloc(n ? n : 1, sizeof *out->accounts);
    if (!kinds || !kind_edges || !wsum || !rsum || !grp_b || !k_sum || !weak || !strong || !out->accounts)
        goto fail;
    if (hu_uf_init(&uf, (uint32_t)n))
        goto fail;
    out->n_accounts = n;

    /* 1. strong links */
    for (size_t e = 0; e < P->n; e++) {
        const struct hu_pair *pr = &P->pairs[e];
        if (hu_pair_strength(pr) < HU_STRONG_LINK)
            continue;
        strong[e] = 1;
        kinds[pr->a] |= pr->kinds;
        kinds[pr->b] |= pr->kinds;
        for (int k = 0; k < HU_LINK_KIND_COUNT; k++) {
            if (!(pr->kinds & (1u << k)))
                continue;
            if (kind_edges[pr->a][k] < UINT16_MAX) kind_edges[pr->a][k]++;
            if (kind_edges[pr->b][k] < UINT16_MAX) kind_edges[pr->b][k]++;
        }
        hu_uf_union(&uf, pr->a, pr->b);
    }
    /* 2. refinement: cut network-only members that do not share the work */
    group_behaviour(in, &uf, wsum, rsum, grp_b);
    for (size_t i = 0; i < n; i++)
        weak[i] = kinds[i] && !(kinds[i] & ~INFRA_KINDS)
                  && in->behaviour[i] < HU_MEMBER_INFRA_ONLY_MIN * grp_b[i];
    hu_uf_fini(&uf);
    if (hu_uf_init(&uf, (uint32_t)n))
        goto fail;
    for (size_t e = 0; e < P->n; e++)
        if (strong[e] && !weak[P->pairs[e].a] && !weak[P->pairs[e].b])
            hu_uf_union(&uf, P->pairs[e].a, P->pairs[e].b);
    group_behaviour(in, &uf, wsum, rsum, grp_b);
    /* coordination: mean strength of strong links inside each group */
    for (size_t e = 0; e < P->n; e++) {
        const struct hu_pair *pr = &P->pairs[e];
        if (!strong[e] || weak[pr->a] || weak[pr->b])
            continue;
        uint32_t r = hu_uf_find(&uf, pr->a);
        k_sum[2 * r] += hu_pair_strength(pr);
        k_sum[2 * r + 1] += 1;
    }

    /* 3. campaigns */
    camp_of_root = hu_calloc(n ? n : 1, sizeof *camp_of_root);
    camps = hu_calloc(n ? n : 1, sizeof *camps);
    if (!camp_of_root || !camps)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        uint32_t r = (uint32_t)i;
        if (hu_uf_find(&uf, r) != r || uf.size[r] < HU_MIN_CAMPAIGN)
            continue;
        struct camp_tmp *c = &camps[n_camps++];
        c->root = r;
        c->n = uf.size[r];
        c->min_member = hu_uf_canonical(&uf, r);
        double coord = k_sum[2 * r + 1] > 0 ? k_sum[2 * r] / k_sum[2 * r + 1] : 0;
        c->behaviour = grp_b[r];
        c->coordination = coord;
        c->score = hu_campaign_score(grp_b[r], coord, c->n, 0);
    }
    /* org fleets: nearly all members in one declared, verified organisation.
     * Majority vote per group (Boyer-Moore), then one counting pass: O(n). */
    if (in->org_hash && n_camps) {
        uint64_t *cand = hu_calloc(n, sizeof *cand);
        uint32_t *cand_n = hu_calloc(n, sizeof *cand_n);
        uint32_t *top_n = hu_calloc(n, sizeof *top_n);
        uint32_t *verified = hu_calloc(n, sizeof *verified);
        if (!cand || !cand_n || !top_n || !verified) {
            hu_free(cand); hu_free(cand_n); hu_free(top_n); hu_free(verified);
            goto fail;
        }
        for (size_t i = 0; i < n; i++) {
            uint32_t r = hu_uf_find(&uf, (uint32_t)i);
            if (!cand_n[r]) { cand[r] = in->org_hash[i]; cand_n[r] = 1; }
            else if (in->org_hash[i] == cand[r]) cand_n[r]++;
            else cand_n[r]--;
        }
        for (size_t i = 0; i < n; i++) {
            uint32_t r = hu_uf_find(&uf, (uint32_t)i);
            top_n[r] += cand[r] && in->org_hash[i] == cand[r];
            verified[r] += in->usage[i].verified_id != 0;
        }
        for (size_t c = 0; c < n_camps; c++) {
            uint32_t r = camps[c].root;
            if (top_n[r] >= HU_CS_ORG_SHARE * camps[c].n && verified[r] * 2 >= camps[c].n) {
                double coord = k_sum[2 * r + 1] > 0 ? k_sum[2 * r] / k_sum[2 * r + 1] : 0;
                camps[c].score = hu_campaign_score(grp_b[r], coord, camps[c].n, 1);
                camps[c].org_fleet = 1;
            }
        }
        hu_free(cand); hu_free(cand_n); hu_free(top_n); hu_free(verified);
    }
    qsort(camps, n_camps, sizeof *camps, cmp_camp);
    out->campaigns = hu_calloc(n_camps ? n_camps : 1, sizeof *out->campaigns);
    if (!out->campaigns)
        goto fail;
    out->n_campaigns = n_camps;
    for (size_t c = 0; c < n_camps; c++) {
        struct hu_campaign_result *cr = &out->campaigns[c];
        camp_of_root[camps[c].root] = (uint32_t)c + 1;
        cr->members = hu_malloc(camps[c].n * sizeof *cr->members);
        if (!cr->members)
            goto fail;
        cr->score = camps[c].score;
        cr->behaviour = camps[c].behaviour;
        cr->coordination = camps[c].coordination;
        cr->org_fleet = camps[c].org_fleet;
        cr->first_seen_ms = INT64_MAX;
        cr->last_seen_ms = INT64_MIN;
        uint32_t m = camps[c].min_member;
        uint64_t h = hu_hash(in->account_ids[m], in->account_id_lens[m]);
        snprintf(cr->id, sizeof cr->id, "C-%012llx", (unsigned long long)(h >> 16));
    }

    /* 4. accounts: membership, scores, reasons */
    for (size_t i = 0; i < n; i++) {
        struct hu_account_result *a = &out->accounts[i];
        const struct hu_usage *u = &in->usage[i];
        a->account_id = in->account_ids[i];
        a->account_id_len = in->account_id_lens[i];
        a->requests = u->requests;
        a->behaviour = in->behaviour[i];
        uint32_t c = camp_of_root[hu_uf_find(&uf, (uint32_t)i)];
        if (c) {
            struct hu_campaign_result *cr = &out->campaigns[c - 1];
            cr->members[cr->n_members++] = (uint32_t)i;
            cr->requests += u->requests;
            if (u->first_ms < cr->first_seen_ms) cr->first_seen_ms = u->first_ms;
            if (u->last_ms > cr->last_seen_ms) cr->last_seen_ms = u->last_ms;
            for (int t = 0; t < HU_TARGET_COUNT; t++)
                cr->targets[t] += u->target_share[t] * (double)u->requests;
            cr->link_kinds |= kinds[i];
            for (int k = 0; k < HU_LINK_KIND_COUNT; k++)
                cr->kind_members[k] += kind_edges[i][k] != 0;
            a->campaign = c;
            double share = grp_b[i] > 0 ? in->behaviour[i] / grp_b[i] : 1;
            if (share > 1) share = 1;
            a->score = cr->score * (0.7 + 0.3 * share);
            hu_account_add_reason(a, "campaign_score", cr->score, cr->score);
            hu_account_add_reason(a, "campaign_size", camps[c - 1].n, 0.5 * cr->score);
            for (int k = 0; k < HU_LINK_KIND_COUNT; k++)
                if (kind_edges[i][k])
                    hu_account_add_reason(a, hu_link_kind_code((enum hu_link_kind)k),
                                          kind_edges[i][k], 0.3 * cr->score);
        } else {
            a->score = HU_SOLO_SCALE * in->behaviour[i];
        }
        if (in->parts)
            for (int p = 0; p < HU_BEHAVIOUR_PARTS; p++)
                if (in->parts[i][p].contribution >= 0.02)
                    hu_account_add_reason(a, in->parts[i][p].code, in->parts[i][p].value,
                                          in->parts[i][p].contribution);
        struct hu_decision_facts f = {
            .score = a->score, .account_id = a->account_id, .account_id_len = a->account_id_len,
            .org_id = in->org_ids ? in->org_ids[i] : NULL,
            .org_id_len = in->org_ids && in->org_ids[i] ? in->org_id_lens[i] : 0,
            .program = u->program, .verified_id = u->verified_id,
        };
        struct hu_decision d;
        hu_policy_decide(policy, &f, &d);
        a->action = d.action;
        a->would = d.would;
    }
    for (size_t e = 0; e < P->n; e++) {
        const struct hu_pair *pr = &P->pairs[e];
        if (!strong[e] || weak[pr->a] || weak[pr->b] || !out->accounts[pr->a].campaign)
            continue;
        struct hu_campaign_result *cr = &out->campaigns[out->accounts[pr->a].campaign - 1];
        for (int k = 0; k < HU_LINK_KIND_COUNT; k++)
            if (pr->kinds & (1u << k))
                cr->kind_links[k]++;
    }
    for (size_t c = 0; c < n_camps; c++) {
        struct hu_campaign_result *cr = &out->campaigns[c];
        for (int t = 0; t < HU_TARGET_COUNT; t++)
            cr->targets[t] = cr->requests ? cr->targets[t] / (double)cr->requests : 0;
    }
    rc = HU_OK;
    goto done;
fail:
    hu_results_fini(out);
done:
    hu_uf_fini(&uf);
    hu_free(kinds);
    hu_free(kind_edges);
    hu_free(wsum);
    hu_free(rsum);
    hu_free(grp_b);
    hu_free(k_sum);
    hu_free(weak);
    hu_free(strong);
    hu_free(camp_of_root);
    hu_free(camps);
    return rc;
}
