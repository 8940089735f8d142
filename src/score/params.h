/*
 * params.h -- every weight and threshold of linkage and scoring, with its
 * reason (STYLE.md 23; CRoaring perfparameters.h).
 *
 * These values follow from how distillation works, not from one
 * simulator run: each comment says which property of a campaign or of an
 * honest look-alike the value encodes.  When a value was checked against
 * an evaluation, the comment names the run (`huella eval` on which
 * scenario, seed and scale).
 */
#ifndef HU_SCORE_PARAMS_H
#define HU_SCORE_PARAMS_H

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

/* ---- campaigns --------------------------------------------------------- */

/* A pair is a strong link (joins a campaign) at this noisy-OR strength:
 * above what addresses and user agents alone can reach (0.45+0.2+0.1 ->
 * 0.6 before rarity), below one card (0.85) or template similarity plus
 * synchrony (0.7*0.6 + 0.55*0.6 -> 0.6). */
#define HU_STRONG_LINK       0.60f
/* Fewest accounts in a campaign: a campaign is many accounts by definition;
 * two or three accounts of one person are not one. */
#define HU_MIN_CAMPAIGN      4u

#endif

/* ---- behaviour score (score/usage.c) ------------------------------------ */

/* Weights of the behaviour parts; they sum to 1.  Extraction focus weighs
 * most: it is what distillation is for (the public record's "narrow
 * extraction targets").  Volume: harvesting needs many answers per account
 * (~670 per account in the public record) while most honest accounts send
 * tens.  Template reuse: a harvesting script fills slots of a few
 * templates.  Thinking, round-the-clock activity and output-heavy requests
 * are weaker hints that honest automation shares. */
#define HU_BW_EXTRACTION   0.40
#define HU_BW_VOLUME       0.15
#define HU_BW_TEMPLATES    0.15
#define HU_BW_THINKING     0.10
#define HU_BW_CLOCK        0.10
#define HU_BW_OUTPUT       0.10
/* Requests at which the volume part reaches 1 - 1/e. */
#define HU_VOLUME_SCALE    200.0
/* Fewest requests before template reuse is measured at all. */
#define HU_TEMPLATE_MIN_REQUESTS 10

/* ---- campaign score (score/campaign.c) ---------------------------------- */

/* Logistic combination: z = BIAS + B*W_B + K*W_K + S*W_S, score =
 * 1/(1+e^-z).  B is the members' request-weighted behaviour, K the mean
 * strength of the strong links inside, S the size factor.  Behaviour has
 * the largest weight: linked accounts that do nothing a distiller needs
 * (a company's accounts on one card, students behind one NAT) must stay
 * below the throttle threshold however tightly linked; and linked accounts
 * harvesting at scale must reach block. */
#define HU_CS_BIAS   (-7.0)
#define HU_CS_W_B    9.0
#define HU_CS_W_K    2.0
#define HU_CS_W_S    2.0
/* S = 1 - exp(-(n - 1) / SIZE_SCALE): 4 accounts 0.31, 10 0.68, 30 0.97. */
#define HU_CS_SIZE_SCALE 8.0
/* A campaign whose members nearly all (>= 90 %) belong to one declared,
 * verified organisation is a customer's own fleet: its z is lowered by
 * this much, so only strongly harvesting fleets stay flagged. */
#define HU_CS_ORG_SHARE     0.90
#define HU_CS_ORG_DISCOUNT  2.0

/* Membership refinement: a member linked to its campaign only through
 * shared network things (address, prefix, user agent, TLS fingerprint) --
 * the position of a proxy service's ordinary customer -- stays a member
 * only if its own behaviour reaches this fraction of the campaign's. */
#define HU_MEMBER_INFRA_ONLY_MIN 0.6
/* An account outside any campaign is scored from its own behaviour only,
 * scaled so that behaviour alone never reaches the throttle threshold:
 * a single account is never a campaign. */
#define HU_SOLO_SCALE 0.45
