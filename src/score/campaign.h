/*
 * campaign.h -- from a graph of linked accounts to campaigns, scores and
 * reasons.
 *
 * Input: per account its usage and behaviour score (usage.h), its org, and
 * the candidate pairs of link/pairs.h.  Steps (all O(accounts + pairs)):
 *
 *   1. strong links (strength >= HU_STRONG_LINK) join accounts (union-find);
 *   2. refinement: a member whose strong links are network-only (address,
 *      prefix, user agent, TLS/header fingerprint) and whose own behaviour
 *      is below HU_MEMBER_INFRA_ONLY_MIN of its group's is cut loose -- the
 *      proxy service's honest customers share the pool, not the work;
 *      union-find is then run again without its links;
 *   2b. dense parts: a network-only strong link whose removal would
 *      disconnect its group (a bridge: Tarjan's low links, O(accounts +
 *      links)) with at least HU_MIN_CAMPAIGN accounts on each side is cut
 *      -- two fleets that touched once through one proxy exit are two
 *      groups; the 2-edge-connected pieces are what linkage vouches for;
 *   3. fragment merge: groups (and single accounts) that harvest and share
 *      a usage fingerprint are joined: an inverted index from fingerprint
 *      token to fragments gives candidate fragment pairs (bounded like
 *      link/pairs.h: all pairs up to a cap, rings beyond), joined when
 *      they share at least HU_MERGE_MIN_SHARED tokens and that is at least
 *      HU_MERGE_MIN_OVERLAP of the smaller fragment's tokens;
 *   4. groups of at least HU_MIN_CAMPAIGN accounts are campaigns, scored by
 *      behaviour, concealment, coordination and size (params.h);
 *   5. every account gets a score (campaign score scaled by how much of the
 *      campaign's behaviour it shares; or its own behaviour, capped, when
 *      it is in no campaign) and reasons.
 *
 * Indicators and evidence sentences that need profiles are added by the
 * caller (analysis.c) after this step.
 */
#ifndef HU_SCORE_CAMPAIGN_H
#define HU_SCORE_CAMPAIGN_H

#include <stddef.h>
#include <stdint.h>
#include "link/pairs.h"
#include "score/results.h"
#include "score/usage.h"

struct hu_campaign_input {
    size_t n;                           /* accounts */
    const struct hu_usage *usage;       /* [n] */
    const double *behaviour;            /* [n], hu_usage_behaviour() */
    const double *concealment;          /* [n], hu_usage_concealment(); may be NULL */
    /* Usage-fingerprint tokens per account for the fragment merge, in CSR
     * form: account i's sorted, distinct tokens are
     * fp_tokens[fp_off[i] .. fp_off[i+1]).  fp_off == NULL: no merge. */
    const uint64_t *fp_tokens;
    const uint32_t *fp_off;                /* [n + 1] */
    /* Outside evidence per account, 0..1, combined with the account's score
     * as a noisy-OR before the policy decides (partners' indicators,
     * ioc_match.h); may be NULL. */
    const double *external;
    const struct hu_behaviour_part (*parts)[HU_BEHAVIOUR_PARTS]; /* [n], may be NULL */
    const uint64_t *org_hash;           /* [n], 0 = none; may be NULL */
    const char *const *account_ids;     /* [n], borrowed */
    const uint32_t *account_id_lens;    /* [n] */
    const char *const *org_ids;         /* [n], NULL entries for none; may be NULL */
    const uint32_t *org_id_lens;        /* [n] */
    const struct hu_pairs *pairs;
};

/* Fill `out` (accounts in input order; campaigns strongest first, ids
 * stable: derived from the smallest member's account id).  The policy
 * decides actions.  HU_OK or HU_ENOMEM (out is then empty). */
HU_MUST_CHECK int hu_campaigns_build(const struct hu_campaign_input *in,
                                     const struct hu_policy *policy,
                                     struct hu_results *out);

/* Campaign score from its parts (exposed for tests and explanations). */
double hu_campaign_score(double behaviour, double concealment, double coordination,
                         uint32_t size, int org_fleet);

#endif
