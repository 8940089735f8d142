/*
 * params.h -- weights and bounds of linkage, with their reasons (STYLE.md
 * 23).  Scoring's own constants are in score/params.h.
 */
#ifndef HU_LINK_PARAMS_H
#define HU_LINK_PARAMS_H

/* ---- linkage: base weight of each shared thing ------------------------- */

/* A payment instrument is the strongest link: two accounts paid by one card
 * are run by one payer.  Honest companies do share a card, inside one org;
 * the campaign score (not the link) tells them apart by behaviour. */
#define HU_W_PAYMENT      0.85f
/* TLS/HTTP client fingerprints: shared by every user of one SDK build, so
 * only rare ones mean anything (rarity below). */
#define HU_W_CLIENT_FP    0.30f
#define HU_W_HEADERS_FP   0.30f
/* One exact address: proxies rotate, NATs share; rare addresses matter. */
#define HU_W_IP           0.45f
#define HU_W_PREFIX       0.20f
#define HU_W_USER_AGENT   0.10f
/* The same system prompt template: an app reuses its own; a campaign's
 * harvesting script reuses one across hundreds of accounts. */
#define HU_W_SYSTEM       0.40f
#define HU_W_TOOLS        0.25f
#define HU_W_SIGNUP_NET   0.40f
#define HU_W_EMAIL_DOM    0.30f
/* Behavioural similarity, multiplied by the measured similarity. */
#define HU_W_TEMPLATES    0.70f
#define HU_W_SYNC         0.55f
#define HU_W_PIVOT        0.50f
#define HU_W_SHAPE        0.20f

/* Group size up to which a shared thing keeps its full weight.  Payment:
 * a card paying for many accounts is the anomaly itself, so it never
 * decays below ~1000.  Addresses: a handful of accounts behind one address
 * is a household or a small office; beyond it, a NAT or a proxy exit. */
#define HU_FREE_PAYMENT      1000u
#define HU_FREE_CLIENT_FP    8u
#define HU_FREE_HEADERS_FP   8u
#define HU_FREE_IP           4u
#define HU_FREE_PREFIX       8u
#define HU_FREE_USER_AGENT   4u
#define HU_FREE_SYSTEM       16u
#define HU_FREE_TOOLS        16u
#define HU_FREE_SIGNUP_NET   8u
#define HU_FREE_EMAIL_DOM    16u
#define HU_FREE_SIMILARITY   64u

/* Groups up to this size make every pair (at most 32*31/2 = 496 pairs per
 * group); larger ones become rings per sub-group (pairs.h). */
#define HU_PAIR_CAP          32u
/* A thing shared by more accounts than this links nobody: the default
 * fingerprint of the most popular SDK, a carrier's NAT. */
#define HU_HUB_MAX           50000u

/* LSH over the template and time-slot MinHash signatures (k = 64): 16
 * bands of 4 rows.  Two sets of Jaccard 0.5 collide with probability
 * 1-(1-0.5^4)^16 = 0.64 per comparison and 0.3 with 0.02; Jaccard 0.7:
 * 0.98.  The exact estimate then confirms. */
#define HU_LSH_BANDS         16u
#define HU_LSH_ROWS          4u
/* Minimum estimated Jaccard for a similarity link; below it, no evidence. */
#define HU_SIM_MIN_JACCARD   0.35f
/* Accounts with fewer requests than this have too few templates or time
 * slots for their MinHash to mean anything. */
#define HU_SIM_MIN_REQUESTS  5u

#endif
