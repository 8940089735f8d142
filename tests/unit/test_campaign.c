/* test_campaign.c -- campaign assembly on small hand-built graphs: a
 * harvesting ring is found and flagged; a company's shared-card fleet is
 * found but not flagged; a proxy's honest customers linked only by the
 * network are cut loose; a lone heavy user is never flagged. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/alloc.h"
#include "score/campaign.h"
#include "score/fingerprint.h"
#include "score/params.h"

enum { N = 24 };
/* 0..9 ring, 10..15 company, 16..18 proxy customers, 19 lone heavy user,
 * 20..23 unrelated individuals */
static char ids[N][16];
static const char *idp[N];
static uint32_t idl[N];
static struct hu_usage usage[N];
static double beh[N];
static double conceal[N];
static uint64_t org[N];

static void setup_accounts(void)
{
    for (int i = 0; i < N; i++) {
        snprintf(ids[i], sizeof ids[i], "a%02d", i);
        idp[i] = ids[i];
        idl[i] = 3;
        memset(&usage[i], 0, sizeof usage[i]);
        usage[i].requests = 50;
        usage[i].first_ms = 1000 * i;
        usage[i].last_ms = 1000 * i + 500;
        beh[i] = 0.1;
        conceal[i] = 0.0;
        org[i] = 0;
    }
    for (int i = 0; i < 10; i++) { beh[i] = 0.8; conceal[i] = 0.8; usage[i].requests = 600; usage[i].target_share[HU_TARGET_COT] = 0.9; }
    for (int i = 10; i < 16; i++) { beh[i] = 0.15; org[i] = 77; usage[i].verified_id = 1; }
    beh[19] = 1.0;
}

static void link(struct hu_pairs *p, int a, int b, enum hu_link_kind k, float w)
{
    assert_int_equal(hu_pairs_add(p, (uint32_t)a, (uint32_t)b, k, w), HU_OK);
}

static void ring_company_proxy_and_loner(void **state)
{
    (void)state;
    setup_accounts();
    struct hu_pairs p;
    memset(&p, 0, sizeof p);
    for (int i = 0; i < 9; i++) link(&p, i, i + 1, HU_LINK_PAYMENT, 0.85f);
    for (int i = 10; i < 15; i++) link(&p, i, i + 1, HU_LINK_PAYMENT, 0.85f);
    for (int i = 16; i < 19; i++) {         /* proxy customers: network only */
        conceal[i] = 0.9;
        link(&p, i, i - 16, HU_LINK_IP, 0.45f);
        link(&p, i, i - 16, HU_LINK_PREFIX, 0.2f);
        link(&p, i, i - 16, HU_LINK_CLIENT_FP, 0.3f);
        link(&p, i, i - 16, HU_LINK_USER_AGENT, 0.1f);
    }
    link(&p, 20, 21, HU_LINK_PREFIX, 0.2f);  /* weak: never joins */

    struct hu_campaign_input in = { .n = N, .usage = usage, .behaviour = beh, .concealment = conceal, .org_hash = org,
                                    .account_ids = idp, .account_id_lens = idl, .pairs = &p };
    struct hu_policy *pol = hu_policy_default();
    struct hu_results r;
    assert_int_equal(hu_campaigns_build(&in, pol, &r), HU_OK);
    assert_int_equal(r.n_campaigns, 2);
    /* strongest first: the ring */
    const struct hu_campaign_result *ring = &r.campaigns[0];
    assert_int_equal(ring->n_members, 10);
    for (uint32_t i = 0; i < 10; i++)
        assert_int_equal(ring->members[i], i);
    assert_true(ring->score >= 0.9);
    assert_true(ring->link_kinds & (1u << HU_LINK_PAYMENT));
    assert_float_equal(ring->targets[HU_TARGET_COT], 0.9, 1e-9);
    assert_int_equal(ring->requests, 6000);
    for (int i = 0; i < 10; i++) {
        assert_int_equal(r.accounts[i].campaign, 1);
        assert_true(hu_action_flagged(r.accounts[i].would));
    }
    /* the company fleet is a group, but not flagged */
    const struct hu_campaign_result *co = &r.campaigns[1];
    assert_int_equal(co->n_members, 6);
    assert_true(co->score < 0.30);
    for (int i = 10; i < 16; i++)
        assert_false(hu_action_flagged(r.accounts[i].would));
    /* proxy customers are cut loose */
    for (int i = 16; i < 19; i++) {
        assert_int_equal(r.accounts[i].campaign, 0);
        assert_false(hu_action_flagged(r.accounts[i].would));
    }
    /* a lone heavy user is at most monitored */
    assert_int_equal(r.accounts[19].campaign, 0);
    assert_true(r.accounts[19].score <= HU_SOLO_SCALE + 1e-9);
    assert_false(hu_action_flagged(r.accounts[19].would));
    /* reasons name the link kind with a number */
    int found = 0;
    for (int k = 0; k < r.accounts[3].n_reasons; k++)
        found |= !strcmp(r.accounts[3].reasons[k].code, "shared_payment") && r.accounts[3].reasons[k].value == 2;
    assert_true(found);
    /* ids are derived from the smallest member and stable */
    char id0[24];
    memcpy(id0, ring->id, sizeof id0);
    hu_results_fini(&r);
    assert_int_equal(hu_campaigns_build(&in, pol, &r), HU_OK);
    assert_string_equal(r.campaigns[0].id, id0);
    hu_results_fini(&r);
    hu_policy_destroy(pol);
    hu_pairs_fini(&p);
}

static void fingerprints_merge_harvesting_fragments_only(void **state)
{
    (void)state;
    setup_accounts();
    /* two harvesting pairs (0-1 and 2-3 on their own cards) share two
     * fingerprint tokens: one campaign of four.  Two honest pairs (10-11,
     * 12-13) share the same tokens but do not harvest: they stay apart. */
    for (int i = 0; i < 4; i++) { beh[i] = 0.85; conceal[i] = 0.7; }
    struct hu_pairs p;
    memset(&p, 0, sizeof p);
    link(&p, 0, 1, HU_LINK_PAYMENT, 0.85f);
    link(&p, 2, 3, HU_LINK_PAYMENT, 0.85f);
    link(&p, 10, 11, HU_LINK_PAYMENT, 0.85f);
    link(&p, 12, 13, HU_LINK_PAYMENT, 0.85f);
    static uint64_t tok[N * 2];
    static uint32_t off[N + 1];
    uint32_t k = 0;
    for (int i = 0; i < N; i++) {
        off[i] = k;
        if (i < 4 || (i >= 10 && i < 14)) { tok[k++] = 111; tok[k++] = 222 | HU_FP_OPERATOR_BIT; }
    }
    off[N] = k;
    struct hu_campaign_input in = { .n = N, .usage = usage, .behaviour = beh, .concealment = conceal,
                                    .org_hash = NULL, .account_ids = idp, .account_id_lens = idl,
                                    .pairs = &p, .fp_tokens = tok, .fp_off = off };
    struct hu_policy *pol = hu_policy_default();
    struct hu_results r;
    assert_int_equal(hu_campaigns_build(&in, pol, &r), HU_OK);
    assert_int_equal(r.n_campaigns, 1);
    assert_int_equal(r.campaigns[0].n_members, 4);
    assert_true(r.campaigns[0].link_kinds & (1u << HU_LINK_FINGERPRINT));
    for (int i = 10; i < 14; i++)
        assert_int_equal(r.accounts[i].campaign, 0);
    hu_results_fini(&r);
    /* without fingerprints the harvesting pairs stay two groups of two:
     * too small to be campaigns */
    in.fp_off = NULL;
    assert_int_equal(hu_campaigns_build(&in, pol, &r), HU_OK);
    assert_int_equal(r.n_campaigns, 0);
    hu_results_fini(&r);
    hu_policy_destroy(pol);
    hu_pairs_fini(&p);
}

static void score_is_monotone(void **state)
{
    (void)state;
    assert_true(hu_campaign_score(0.8, 0.5, 0.9, 50, 0) > hu_campaign_score(0.5, 0.5, 0.9, 50, 0));
    assert_true(hu_campaign_score(0.8, 0.5, 0.9, 50, 0) > hu_campaign_score(0.8, 0.2, 0.9, 50, 0));
    assert_true(hu_campaign_score(0.8, 0.5, 0.9, 50, 0) > hu_campaign_score(0.8, 0.5, 0.6, 50, 0));
    assert_true(hu_campaign_score(0.8, 0.5, 0.9, 50, 0) > hu_campaign_score(0.8, 0.5, 0.9, 5, 0));
    assert_true(hu_campaign_score(0.8, 0.5, 0.9, 50, 0) > hu_campaign_score(0.8, 0.5, 0.9, 50, 1));
    /* a crowd of independent heavy users (no coordination, no hiding) is
     * not a campaign however large */
    assert_true(hu_campaign_score(0.8, 0.0, 0.0, 5000, 0) < 0.5);
}

static void allocation_failures_are_clean(void **state)
{
    (void)state;
    setup_accounts();
    struct hu_pairs p;
    memset(&p, 0, sizeof p);
    for (int i = 0; i < 9; i++) link(&p, i, i + 1, HU_LINK_PAYMENT, 0.85f);
    struct hu_campaign_input in = { .n = N, .usage = usage, .behaviour = beh, .concealment = conceal, .org_hash = org,
                                    .account_ids = idp, .account_id_lens = idl, .pairs = &p };
    struct hu_policy *pol = hu_policy_default();
    for (long k = 0; k < 30; k++) {
        struct hu_results r;
        hu_alloc_fail_after(k);
        int rc = hu_campaigns_build(&in, pol, &r);
        hu_alloc_fail_after(-1);
        if (rc == HU_OK) { assert_int_equal(r.n_campaigns, 1); hu_results_fini(&r); }
        else { assert_int_equal(rc, HU_ENOMEM); assert_int_equal(r.n_campaigns, 0); }
    }
    hu_policy_destroy(pol);
    hu_pairs_fini(&p);
}

/* Two harvesting fleets of five (each on its own card) that touched once
 * through one shared address: a bridge, cut; the same fleets joined by a
 * shared card, or touching through two addresses, are one campaign. */
static int n_campaigns_with(void (*extra)(struct hu_pairs *), uint32_t *largest)
{
    setup_accounts();
    for (int i = 0; i < 10; i++) { beh[i] = 0.85; conceal[i] = 0.7; }
    struct hu_pairs p;
    memset(&p, 0, sizeof p);
    for (int base = 0; base < 10; base += 5)
        for (int i = base; i < base + 5; i++)
            for (int j = i + 1; j < base + 5; j++)
                link(&p, i, j, HU_LINK_PAYMENT, 0.85f);
    extra(&p);
    struct hu_campaign_input in = { .n = N, .usage = usage, .behaviour = beh, .concealment = conceal,
                                    .org_hash = NULL, .account_ids = idp, .account_id_lens = idl, .pairs = &p };
    struct hu_policy *pol = hu_policy_default();
    struct hu_results r;
    assert_int_equal(hu_campaigns_build(&in, pol, &r), HU_OK);
    int n = (int)r.n_campaigns;
    *largest = 0;
    for (size_t c = 0; c < r.n_campaigns; c++)
        if (r.campaigns[c].n_members > *largest)
            *largest = r.campaigns[c].n_members;
    hu_results_fini(&r);
    hu_policy_destroy(pol);
    hu_pairs_fini(&p);
    return n;
}
static void one_address(struct hu_pairs *p) { link(p, 4, 5, HU_LINK_IP, 0.7f); }
static void one_card(struct hu_pairs *p) { link(p, 4, 5, HU_LINK_PAYMENT, 0.85f); }
static void two_addresses(struct hu_pairs *p) { link(p, 4, 5, HU_LINK_IP, 0.7f); link(p, 3, 6, HU_LINK_IP, 0.7f); }
static void nothing(struct hu_pairs *p) { (void)p; }

static void network_only_bridge_is_cut(void **state)
{
    (void)state;
    uint32_t big;
    assert_int_equal(n_campaigns_with(nothing, &big), 2);
    assert_int_equal(big, 5);
    assert_int_equal(n_campaigns_with(one_address, &big), 2);     /* the bridge is cut */
    assert_int_equal(big, 5);
    assert_int_equal(n_campaigns_with(one_card, &big), 1);        /* the operator's own evidence */
    assert_int_equal(big, 10);
    assert_int_equal(n_campaigns_with(two_addresses, &big), 1);   /* not a bridge */
    assert_int_equal(big, 10);
}

/* A ring wired as link/pairs.h wires a large group (i to i+1 and i+2) by
 * one shared network has no bridge: one campaign, whatever its length. */
static void ring_wiring_has_no_bridge(void **state)
{
    (void)state;
    setup_accounts();
    for (int i = 0; i < 16; i++) { beh[i] = 0.85; conceal[i] = 0.8; usage[i].target_share[HU_TARGET_COT] = 0.9; }
    struct hu_pairs p;
    memset(&p, 0, sizeof p);
    for (int i = 0; i < 16; i++) {
        if (i + 1 < 16) link(&p, i, i + 1, HU_LINK_IP, 0.7f);
        if (i + 2 < 16) link(&p, i, i + 2, HU_LINK_IP, 0.7f);
    }
    struct hu_campaign_input in = { .n = N, .usage = usage, .behaviour = beh, .concealment = conceal,
                                    .org_hash = NULL, .account_ids = idp, .account_id_lens = idl, .pairs = &p };
    struct hu_policy *pol = hu_policy_default();
    struct hu_results r;
    assert_int_equal(hu_campaigns_build(&in, pol, &r), HU_OK);
    assert_int_equal(r.n_campaigns, 1);
    assert_int_equal(r.campaigns[0].n_members, 16);
    hu_results_fini(&r);
    hu_policy_destroy(pol);
    hu_pairs_fini(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ring_company_proxy_and_loner),
        cmocka_unit_test(fingerprints_merge_harvesting_fragments_only),
        cmocka_unit_test(network_only_bridge_is_cut),
        cmocka_unit_test(ring_wiring_has_no_bridge),
        cmocka_unit_test(score_is_monotone),
        cmocka_unit_test(allocation_failures_are_clean),
    };
    return cmocka_run_group_tests_name("campaign", tests, NULL, NULL);
}
