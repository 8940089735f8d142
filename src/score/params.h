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

#include "link/params.h"

/* ---- campaigns --------------------------------------------------------- */

/* A pair is a strong link (joins a campaign) at this noisy-OR strength:
 * above what addresses and user agents alone can reach (0.45+0.2+0.1 ->
 * 0.6 before rarity), below one card (0.85) or template similarity plus
 * synchrony (0.7*0.6 + 0.55*0.6 -> 0.6). */
#define HU_STRONG_LINK       0.60f
/* Fewest accounts in a campaign: a campaign is many accounts by definition;
 * two or three accounts of one person are not one. */
#define HU_MIN_CAMPAIGN      4u


/* ---- partners' indicators (score/ioc_match.c) ---------------------------- */

/* What one hit on a partner's indicator adds to an account's score
 * (combined as a noisy-OR over hits, capped at HU_IOC_MAX).  A payment
 * instrument another provider saw in a campaign is near proof of the same
 * operator; a proxy address or an ASN is shared with honest users of the
 * same network, so it only tips an account that is already suspicious.
 * The cap keeps partner evidence alone below block: a partner's error
 * must not lock a customer out without huella's own evidence. */
#define HU_IOC_W_PAYMENT   0.70
#define HU_IOC_W_TEMPLATE  0.45
#define HU_IOC_W_CLIENT    0.15
#define HU_IOC_W_ADDRESS   0.20
#define HU_IOC_W_ASN       0.05
#define HU_IOC_W_UA        0.05
#define HU_IOC_MAX         0.85
/* Hits on network and client indicators (address, ASN, user agent, TLS and
 * header fingerprints) together add at most this: alone they move an
 * honest account to `monitor` at most, never to an action. */
#define HU_IOC_WEAK_MAX    0.30

/* Campaign evidence (explain.c): an account that sent its first request
 * within this long of opening is a throwaway candidate.  Evidence only,
 * never a score input. */
#define HU_FRESH_ACCOUNT_MS (48LL * 3600 * 1000)

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

/* ---- concealment (score/usage.c) ----------------------------------------- */

/* Networks (/24 or /48) an honest account plausibly uses: home, mobile,
 * office.  Beyond them, each further network adds to the rotation part,
 * reaching 1 - 1/e at ROTATION_SCALE more. */
#define HU_ROTATION_FREE_PREFIXES 3.0
#define HU_ROTATION_SCALE         8.0
/* Autonomous systems an honest account plausibly uses (home ISP, mobile
 * carrier; an app's one cloud).  An app on a cloud egress pool changes
 * /24s all day inside one AS; a residential proxy pool changes AS.  So
 * rotation is measured in ASNs when an ASN database is loaded, and in
 * prefixes, at half weight, when not. */
#define HU_ROTATION_FREE_ASNS     2.0
#define HU_ROTATION_ASN_SCALE     3.0
#define HU_ROTATION_PREFIX_ONLY   0.5
/* Address rotation weighs most; an unverified identity less (most honest
 * individuals verify by e-mail only); a rhythm foreign to the claimed
 * country least (night owls exist; the country offset is approximate). */
#define HU_CW_ROTATION  0.6
#define HU_CW_IDENTITY  0.25
#define HU_CW_RHYTHM    0.15
/* Night share (00:00-06:00 local to the claimed country) that is free, and
 * that counts fully: people send a few percent of their traffic at night,
 * a round-the-clock script 25%, someone on another continent's day more. */
#define HU_NIGHT_FREE   0.10
#define HU_NIGHT_FULL   0.35
/* Requests before the night share is measured at all. */
#define HU_NIGHT_MIN_REQUESTS 20

/* ---- campaign score (score/campaign.c) ---------------------------------- */

/* Logistic combination: z = BIAS + B*W_B + C*W_C + K*W_K + S*W_S, score
 * = 1/(1+e^-z).  B is the members' request-weighted behaviour, C their
 * mean concealment, K the coordination (share of members with a strong
 * link inside, times the mean strength of those links), S the size factor.
 * With no coordination and no concealment, behaviour alone (even 0.8 over
 * hundreds of accounts) stays below the throttle threshold: a crowd of
 * independent heavy users of one popular tool is not a campaign.  Behaviour has the largest weight: linked accounts that do
 * nothing a distiller needs (a company's accounts on one card, students
 * behind one NAT) must stay below the throttle threshold however tightly
 * linked; linked accounts harvesting at scale must reach block.
 * Concealment separates a campaign from an honest heavy user of the same
 * capability (a coding-agent product): the campaign hides. */
#define HU_CS_BIAS   (-9.0)
#define HU_CS_W_B    8.0
#define HU_CS_W_C    3.0
#define HU_CS_W_K    2.0
#define HU_CS_W_S    2.0
/* S = 1 - exp(-(n - 1) / SIZE_SCALE): 4 accounts 0.31, 10 0.68, 30 0.97. */
#define HU_CS_SIZE_SCALE 8.0
/* A group whose members nearly all (>= 90 %) belong to one declared,
 * mostly verified organisation is a customer's own fleet; so is a group
 * whose members nearly all belong to declared organisations and are
 * verified by id or as a business (several identified customers linked by
 * the same public benchmark).  Its z is lowered by this much: identified
 * customers are answered by contract, not silently throttled.  A campaign
 * would have to pass business verification for every account to get it --
 * the verification the public record says farmed programs lacked. */
#define HU_CS_ORG_SHARE     0.90
#define HU_CS_ORG_DISCOUNT  5.0

/* Fragment merge (level 2).  Groups of strongly linked accounts -- and
 * single accounts -- whose own usage looks like harvesting (behaviour >=
 * MERGE_MIN_BEHAVIOUR) are joined when their usage fingerprints (the set of
 * client and header fingerprints, user agents, ASNs, system prompts, tool
 * sets and payment instruments they use, each rare enough to mean
 * something) overlap by at least MERGE_MIN_JACCARD.  This is what joins the
 * pieces of a campaign run on many cards and rotating addresses, while
 * honest groups (low behaviour) never merge, and a declared, verified
 * organisation's fleet stays its own group. */
#define HU_MERGE_MIN_BEHAVIOUR 0.50
/* Two groups join when they share an exclusive operator token (a system
 * prompt or tool set only harvesting accounts use), or at least
 * MIN_SHARED tokens including an operator token, covering MIN_OVERLAP of
 * the smaller group's tokens.  Client fingerprints, user agents and ASNs
 * alone never join groups: everyone on one SDK release shares them. */
#define HU_MERGE_MIN_SHARED    2
#define HU_MERGE_MIN_OVERLAP   0.5
/* Tokens kept per fragment (the most used inside it first): a fragment of
 * thousands of accounts has a bounded fingerprint. */
#define HU_MERGE_MAX_TOKENS    128
/* A fingerprint token (a client fingerprint, a tool set, ...) used by more
 * than MIN_DF_FLOOR accounts identifies a way of working only if at least
 * HARVEST_SHARE of its users harvest: otherwise it is a crowd (the default
 * fingerprint of a popular SDK, a popular agent's system prompt) and is
 * left out.  A token of one account is left out too: it links nobody. */
#define HU_TOKEN_MIN_DF_FLOOR  50
#define HU_TOKEN_HARVEST_SHARE 0.5
/* A token at least this share of whose users harvest is "exclusive"
 * (fingerprint.h): sharing one exclusive operator token joins groups. */
#define HU_TOKEN_EXCLUSIVE_SHARE 0.9
/* A sentence is part of an account's fingerprint (its wrapper) when it
 * begins or ends at least MIN_USES and MIN_SHARE of the account's requests
 * with text (a script rotates a few wrappers, each well above noise). */
#define HU_SENTENCE_MIN_USES   5
#define HU_SENTENCE_MIN_SHARE  0.02

/* Membership refinement: a member linked to its campaign only through
 * shared network things (address, prefix, user agent, TLS fingerprint) --
 * the position of a proxy service's ordinary customer -- stays a member
 * only if its own behaviour reaches this fraction of the campaign's. */
#define HU_MEMBER_INFRA_ONLY_MIN 0.6
/* An account outside any campaign is scored from its own behaviour only,
 * scaled so that behaviour alone never reaches the throttle threshold:
 * a single account is never a campaign. */
#define HU_SOLO_SCALE 0.45
