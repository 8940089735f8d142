/*
 * pairs.h -- from "accounts share key K" to a weighted account graph, in
 * linear space whatever the keys' popularity.
 *
 * Input is a list of postings (kind, key, account): "account 17 paid with
 * card #ab12", "account 17's template MinHash falls in LSH bucket #9f..".
 * Grouping the postings by (kind, key) gives, for every shared thing, the
 * accounts that share it.  A group of m accounts could make m(m-1)/2 pairs:
 * a mobile carrier's NAT shared by 100,000 honest accounts would make five
 * billion.  So:
 *
 *   m <= HU_LINK_PAIR_CAP      every pair is emitted (at most CAP^2/2);
 *   m >  HU_LINK_PAIR_CAP      the group is a "hub": members are split by a
 *                              secondary key the caller supplies (what the
 *                              account does, e.g. its first template band),
 *                              and each sub-group is linked as a ring
 *                              (i -> i+1 and i -> i+2 in account order):
 *                              at most 2m edges, connected, deterministic.
 *   m >  HU_LINK_HUB_MAX       nothing is emitted; the key is counted as
 *                              too common to mean anything by itself.
 *
 * So the number of candidate pairs is bounded by
 *   sum over groups of min(m^2/2, 2m)  <=  2 * CAP/2 * (number of postings)
 * -- linear in the input (docs/internals/link.md states the bound).
 *
 * Each emitted pair accumulates evidence: a bit per kind and a weight per
 * kind that is the kind's base weight times a rarity factor of the group
 * size, RARITY(m) = 1 / (1 + log2(m / RARITY_FREE)) once m exceeds
 * RARITY_FREE (shared by a handful: full weight; by thousands: a fraction).
 * A pair's strength is the noisy-OR of its per-kind weights, so two weak
 * independent pieces of evidence add up while the same piece seen twice
 * does not (max per kind, not sum).
 */
#ifndef HU_LINK_PAIRS_H
#define HU_LINK_PAIRS_H

#include <stddef.h>
#include <stdint.h>
#include "huella/hu_status.h"

/* What two accounts can share.  Codes appear in campaign evidence. */
#define HU_LINK_KIND_MAP(X)                                                    \
    X(PAYMENT,    "shared_payment",   "the same payment instrument")           \
    X(CLIENT_FP,  "shared_client_fp", "the same TLS/HTTP client fingerprint")  \
    X(HEADERS_FP, "shared_headers_fp","the same header names and order")       \
    X(IP,         "shared_ip",        "the same IP address")                   \
    X(PREFIX,     "shared_prefix",    "the same /24 or /48 network")           \
    X(USER_AGENT, "shared_ua",        "the same exact user agent")             \
    X(SYSTEM,     "shared_system",    "the same system prompt template")       \
    X(TOOLS,      "shared_tools",     "the same declared tool set")            \
    X(SIGNUP_NET, "shared_signup_net","sign-ups from the same network")        \
    X(EMAIL_DOM,  "shared_email_dom", "the same uncommon e-mail domain")       \
    X(TEMPLATES,  "similar_templates","overlapping sets of prompt templates")  \
    X(SYNC,       "synchronised",     "activity in the same time slots")       \
    X(PIVOT,      "same_pivot",       "the same move to a new model at the same time") \
    X(SHAPE,      "same_shape",       "identical request shape (model, limits, tools, thinking)") \
    X(FINGERPRINT,"same_fingerprint", "the same usage fingerprint (clients, networks, prompts, tools)")

enum hu_link_kind {
#define HU__LK_ENUM(name, code, desc) HU_LINK_##name,
    HU_LINK_KIND_MAP(HU__LK_ENUM)
#undef HU__LK_ENUM
    HU_LINK_KIND_COUNT
};
/* Kinds are bits of a uint32_t mask everywhere. */
_Static_assert(HU_LINK_KIND_COUNT <= 32, "link kinds must fit a 32-bit mask");

const char *hu_link_kind_code(enum hu_link_kind k);
const char *hu_link_kind_desc(enum hu_link_kind k);

struct hu_posting {
    uint64_t key;        /* hash of the shared thing */
    uint32_t account;    /* account index */
    uint32_t sub;        /* secondary key for hub splitting (0: none) */
    uint8_t  kind;       /* enum hu_link_kind */
};

/* One candidate pair and its evidence. */
struct hu_pair {
    uint32_t a, b;                       /* a < b */
    uint32_t kinds;                      /* bit per enum hu_link_kind */
    uint8_t  w[HU_LINK_KIND_COUNT];      /* best weight seen per kind, 0..1 in 1/255 steps
                                          * (a byte, not a float: pairs are the
                                          * largest structure at scale) */
};

/* Exact similarity of a candidate pair for kinds found through LSH
 * buckets (TEMPLATES, SYNC): 0..1, multiplies the kind's weight. */
typedef float (*hu_pair_similarity_fn)(void *ctx, enum hu_link_kind kind,
                                       uint32_t a, uint32_t b);

struct hu_pairs_config {
    float    base_weight[HU_LINK_KIND_COUNT];
    uint32_t rarity_free[HU_LINK_KIND_COUNT]; /* groups up to this size: full weight */
    uint32_t pair_cap;        /* groups up to this size: all pairs */
    uint32_t hub_max;         /* groups above this size: ignored */
    uint32_t similarity_kinds;                /* bit per kind that needs sim() */
    hu_pair_similarity_fn sim;                /* may be NULL */
    void    *sim_ctx;
};

/* Buckets the postings are cut into for the stepped build (pairs.c). */
#define HU_PAIRS_BUCKETS 256u

struct hu_pairs {
    struct hu_pair *pairs;    /* sorted by (a, b) after build */
    size_t n, cap;
    /* open-addressing index from a<<32|b to pairs[] while building;
     * slot value 0 = empty, else pair index + 1 */
    uint32_t *slots;
    size_t n_slots;           /* power of two */
    /* diagnostics */
    uint64_t groups, hub_groups, ignored_groups, postings;
    uint64_t ignored_per_kind[HU_LINK_KIND_COUNT];
    const struct hu_pairs_config *cfg;
    /* between hu_pairs_begin and hu_pairs_end: the postings (borrowed),
     * cut into buckets [bstart[b], bstart[b+1]); the bucket being linked,
     * its end after deduplication, and the next group in it */
    const struct hu_posting *post;
    size_t n_post;
    size_t bstart[HU_PAIRS_BUCKETS + 1];
    unsigned bucket;
    int bucket_ready;
    size_t bend, next;
    /* then the pairs' sort: cut by a into ranges [sstart[b], sstart[b+1]),
     * sbucket the next range to sort */
    int sorting;
    unsigned sbucket;
    uint32_t max_a;
    size_t sstart[HU_PAIRS_BUCKETS + 1];
};

/* Rarity factor of a group of m accounts sharing a thing of `kind`. */
float hu_link_rarity(const struct hu_pairs_config *cfg, enum hu_link_kind kind, uint32_t m);

/* Build candidate pairs from postings.  `postings` is reordered in place.
 * Out: p (caller-owned struct, free with hu_pairs_fini).
 * Cost O(P log P) for P postings, memory O(pairs). */
HU_MUST_CHECK int hu_pairs_build(struct hu_pairs *p, const struct hu_pairs_config *cfg,
                                 struct hu_posting *postings, size_t n_postings);
/* The same build in bounded steps, for a caller that must do other work
 * in between (the service's worker, score/analysis.h):
 *   begin  cuts the postings into HU_PAIRS_BUCKETS buckets in place, so
 *          that every group (kind, key) lies in one bucket (O(P), one call);
 *   step   sorts and deduplicates the next bucket (a step does at most one
 *          such sort, O(P/256 log)), then links its groups until about
 *          `budget` postings and candidate pairs were handled (a group is
 *          never split: at most pair_cap^2/2 or 2 x hub_max evaluations
 *          over the budget); after the last bucket, one step cuts the
 *          pairs by account range in place (O(pairs)) and each later step
 *          sorts one range; *done = 1 when the pairs are sorted;
 *   end    frees the build's index (and sorts whatever the steps did not,
 *          so that an end after any step leaves sorted pairs).
 * begin, steps until done, end give exactly hu_pairs_build's result, and
 * the postings must stay alive and unchanged until end.  HU_OK or
 * HU_ENOMEM (p is then freed: call nothing else but hu_pairs_fini). */
HU_MUST_CHECK int hu_pairs_begin(struct hu_pairs *p, const struct hu_pairs_config *cfg,
                                 struct hu_posting *postings, size_t n_postings);
HU_MUST_CHECK int hu_pairs_step(struct hu_pairs *p, uint64_t budget, int *done);
void hu_pairs_end(struct hu_pairs *p);
/* Add evidence of one kind to a pair directly (used by similarity passes
 * that compute an exact weight for an LSH candidate). */
HU_MUST_CHECK int hu_pairs_add(struct hu_pairs *p, uint32_t a, uint32_t b,
                               enum hu_link_kind kind, float w);
/* Weight of one kind on a pair, 0..1. */
static inline float hu_pair_weight(const struct hu_pair *pr, enum hu_link_kind k)
{
    return (float)pr->w[k] / 255.0f;
}

/* Noisy-OR strength of a pair's evidence, 0..1. */
float hu_pair_strength(const struct hu_pair *pr);
void  hu_pairs_fini(struct hu_pairs *p);

#endif
