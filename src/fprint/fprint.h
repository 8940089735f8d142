/*
 * fprint.h -- campaign fingerprints: a library of the usage habits of known
 * campaigns, and a sequential test that binds new accounts to them.
 *
 * When a provider bans a campaign's accounts, its operator comes back on
 * fresh accounts, cards and addresses -- but with the same scripts: the same
 * system prompts, tool sets, client builds and user agents, the same prompt
 * templates, the same mix of targets, the same hours and request shapes.  A
 * struct hu_fp_lib keeps, per campaign, the distribution of those habits
 * over its members (never prompt text, never a raw identifier: tokens are
 * keyed hashes, the rest are histograms), plus the same distributions over
 * benign traffic (the background).
 *
 * Matching is online.  Each request of an account yields, against every
 * campaign C it could belong to, a log-likelihood ratio
 *     llr = log P(request | C) / P(request | background)
 * (naive Bayes over token types, hour of day, dominant target, thinking and
 * prompt length, each clamped; positive only when the request carries one of
 * C's selective values).  The account's statistic per candidate is Wald's
 * SPRT sum S += w * llr, w the age weight of C's entry: the account is bound
 * to C when S >= the library threshold A, and C is rejected for the account
 * (never proposed again) when S <= -HU_FP_REJECT.  The threshold is
 * set from benign traffic only (hu_fp_lib_calibrate): the largest S any
 * benign account reached, plus a margin, and never below Wald's bound
 * log(1/alpha).  Expected requests-to-bind are threshold / E[llr | C].
 *
 * Ownership: a library owns its entries, tokens and index.  Thread-safety:
 * a finished library is read-only and can be shared; a struct hu_fp_online
 * has one writer.  File format: docs/formats/fingerprint-library.md.
 */
#ifndef HU_FPRINT_FPRINT_H
#define HU_FPRINT_FPRINT_H

#include <stddef.h>
#include <stdint.h>
#include "huella/hu_status.h"
#include "core/u64map.h"
#include "features/features.h"
#include "ingest/event.h"
#include "profile/profile.h"
#include "score/results.h"

/* Token types of a fingerprint.  Codes appear in reasons (fp_<code>) and in
 * the file format: never renumber.  Payment, IP and prefix are left out on
 * purpose: a regrown campaign has fresh cards and addresses. */
#define HU_FP_TOK_MAP(X)                                   \
    X(SYSTEM,     "system",     "system prompt template") \
    X(TOOLS,      "tools",      "declared tool set")       \
    X(CLIENT_FP,  "client_fp",  "TLS/HTTP2 client fingerprint") \
    X(HEADERS_FP, "headers_fp", "header names and order")  \
    X(UA,         "ua",         "exact user agent")        \
    X(ASN,        "asn",        "autonomous system")       \
    X(TEMPLATE,   "template",   "prompt template")         \
    X(HEAD,       "head",       "first sentence of the prompt template (wrapper wording)") \
    X(TAIL,       "tail",       "last sentence of the prompt template (wrapper wording)")

enum hu_fp_tok {
#define HU__FPT_ENUM(name, code, desc) HU_FP_TOK_##name,
    HU_FP_TOK_MAP(HU__FPT_ENUM)
#undef HU__FPT_ENUM
    HU_FP_TOK_COUNT
};
const char *hu_fp_tok_code(enum hu_fp_tok t);

/* Target categories: one per enum hu_target, and "none".  A request's
 * target scores, with none = max(0, 1 - their sum), normalised, are its soft
 * category; a population's distribution is built the same way from its
 * profiles' mean target scores, so both sides of the ratio agree. */
#define HU_FP_NCAT (HU_TARGET_COUNT + 1)

/* A keyed hash key (SipHash-2-4): a deployment secret, so a library holds
 * no raw identifiers and cannot be matched against without the key. */
struct hu_fp_key {
    uint8_t k[16];
};
/* The documented testing key (docs/fingerprints.md): INSECURE, anyone can
 * recompute it.  Use --fingerprint-key in production. */
void hu_fp_key_default(struct hu_fp_key *key);
/* Read a key file: 32 hex digits (a trailing newline allowed), or at least
 * 16 bytes of which the keyed hash of all bytes is used.  HU_OK, HU_EIO
 * (unreadable, reason in err), HU_EINVAL (too short). */
HU_MUST_CHECK int hu_fp_key_load(const char *path, struct hu_fp_key *key, char *err, size_t errcap);
/* A public identifier of the key (stored in libraries to refuse matching
 * with the wrong key); reveals nothing of the key. */
uint64_t hu_fp_key_id(const struct hu_fp_key *key);
/* The keyed token of item (a feature hash) of type t.  O(1), ~20 ns. */
uint64_t hu_fp_token(const struct hu_fp_key *key, enum hu_fp_tok t, uint64_t item);

/* One value a campaign uses: pc = share of the campaign's requests (with a
 * value of this type) that carry it, pb = the same over background
 * traffic (0 = never seen there). */
struct hu_fp_token {
    uint64_t key;
    float pc, pb;
    uint8_t type;               /* enum hu_fp_tok */
    uint8_t pad_[7];
};

/* Distributions of one population (a campaign, or the background). */
struct hu_fp_dist {
    float hour[24];             /* share of requests per UTC hour, smoothed, sums to 1 */
    float target[HU_FP_NCAT];   /* soft target category distribution, smoothed */
    float thinking;             /* share of requests with thinking, in [0.005, 0.995] */
    float plen_mu, plen_sd;     /* prompt length, code points: mean, sd (>= 8) */
    float present[HU_FP_TOK_COUNT];  /* share of requests carrying a value of each
                                      * type, in [0.005, 0.995] (system, tools: an
                                      * account that never declares the campaign's
                                      * tools is evidence against it) */
};

struct hu_fp_entry {
    char id[24];                /* campaign id ("C-" + 12 hex) */
    int64_t first_seen_ms, last_seen_ms;
    int64_t confirmed_ms;       /* last time the campaign was seen or re-bound */
    uint32_t members;           /* accounts that built it (or were bound since) */
    uint32_t action;            /* enum hu_action of its members (the commonest flagged) */
    uint64_t requests;
    float score;                /* campaign score when built */
    struct hu_fp_dist d;
    uint32_t tok_off, n_tok;    /* tokens: lib->tok[tok_off .. tok_off + n_tok), sorted by key */
    /* derived on finish (not stored): per type, mass of the campaign's own
     * values in the campaign and in the background */
    float mass_c[HU_FP_TOK_COUNT], mass_b[HU_FP_TOK_COUNT];
    char reason_code[48];       /* "known_campaign=<id>;sprt_llr", see hu_fp_bind_reasons */
};

struct hu_fp_posting {
    uint64_t key;
    uint32_t entry, tok;
};

struct hu_fp_lib {
    uint64_t key_id;            /* hu_fp_key_id of the key the tokens were made with */
    int64_t created_ms;
    float threshold;            /* SPRT upper bound (nats) */
    float half_life_days;       /* age decay of matching weights */
    uint64_t bg_accounts, bg_requests;
    struct hu_fp_dist bg;       /* background */
    struct hu_fp_entry *e;
    size_t n, cap;
    struct hu_fp_token *tok;
    size_t n_tok, cap_tok;
    /* index (hu_fp_lib_finish): postings sorted by key; map key -> first+1 */
    struct hu_fp_posting *post;
    size_t n_post;
    struct hu_u64map index;
    int finished;
};

void hu_fp_lib_init(struct hu_fp_lib *lib);
void hu_fp_lib_fini(struct hu_fp_lib *lib);
/* Append entry e with its tokens (copied).  HU_OK, HU_ENOMEM, HU_EFULL
 * (HU_MAX_FP_ENTRIES / HU_MAX_FP_TOKENS).  The library must be finished
 * again before matching. */
HU_MUST_CHECK int hu_fp_lib_add(struct hu_fp_lib *lib, const struct hu_fp_entry *e,
                                const struct hu_fp_token *tok, size_t n_tok);
/* Sort tokens, derive the per-type masses and reason codes, build the
 * index.  HU_OK or HU_ENOMEM.  O(tokens log tokens). */
HU_MUST_CHECK int hu_fp_lib_finish(struct hu_fp_lib *lib);
/* Index of the entry with this id, or -1. */
long hu_fp_lib_find(const struct hu_fp_lib *lib, const char *id);

/* ---- building from an analysis ------------------------------------------ */

/* What profiles do not keep but fingerprints need: per account, the
 * heaviest prompt heads and tails (the wrapper wording around a campaign's
 * varying questions).  Fed per request during the library-building run;
 * ~600 bytes per account. */
struct hu_fp_side {
    struct hu_u64map idx;        /* account_hash -> slot + 1 */
    struct hu_ss *head, *tail;
    uint32_t *n_prompt;
    size_t n, cap;
    size_t max;                  /* accounts held at most (0: HU_MAX_FP_ONLINE); set it to
                                  * the analysis's --max-accounts so the side table shares
                                  * the profile table's memory bound */
};
HU_MUST_CHECK int hu_fp_side_init(struct hu_fp_side *s);
void hu_fp_side_fini(struct hu_fp_side *s);
/* Fold one request's features in.  HU_OK, HU_ENOMEM, HU_EFULL.  O(1). */
HU_MUST_CHECK int hu_fp_side_observe(struct hu_fp_side *s, uint64_t account_hash, const struct hu_req_features *f);
/* Add every account of src to dst (the side tables of observer shards,
 * which hold disjoint accounts; an account already in dst has src's
 * counts merged in).  Lookups are by account hash, so the result answers
 * as a single table fed in input order would.  HU_OK, HU_ENOMEM, HU_EFULL
 * (dst's bound reached: the rest of src is not added).  O(src accounts). */
HU_MUST_CHECK int hu_fp_side_absorb(struct hu_fp_side *dst, const struct hu_fp_side *src);

/* Build a library from an analysis: one entry per campaign that has
 * flagged members, from its flagged members' profiles; the background from
 * every account that is not flagged.  prof[i] is results->accounts[i]'s
 * profile.  now_ms stamps first/last/confirmed.  The threshold is Wald's
 * bound until hu_fp_lib_calibrate.  HU_OK, HU_ENOMEM, HU_EFULL.
 * O(accounts x set sizes). */
HU_MUST_CHECK int hu_fp_lib_build(struct hu_fp_lib *lib, const struct hu_fp_key *key,
                                  const struct hu_results *res, struct hu_profile *const *prof,
                                  size_t n_prof, const struct hu_fp_side *side);

/* ---- online matching ----------------------------------------------------- */

/* One request as the matcher sees it. */
struct hu_fp_req {
    int64_t ts_ms;
    uint64_t tok[HU_FP_TOK_COUNT];   /* keyed tokens, 0 = absent */
    float cat[HU_FP_NCAT];           /* soft target category: target scores, and
                                      * "none" = max(0, 1 - their sum), normalised */
    int8_t thinking;                 /* -1 unknown, 0, 1 */
    uint8_t hour;                    /* UTC hour */
    uint32_t prompt_chars;           /* 0 = no prompt */
};
/* Fill r from an event and its features.  O(1): seven keyed hashes. */
void hu_fp_req_from(struct hu_fp_req *r, const struct hu_fp_key *key, const struct hu_event *ev,
                    const struct hu_req_features *f);

/* Per-component contributions of a request to one entry's llr. */
struct hu_fp_llr {
    float tok[HU_FP_TOK_COUNT];
    float hour, target, thinking, plen, presence;
    float total;                     /* clamped sum, before age weight */
    uint8_t hit[HU_FP_TOK_COUNT];    /* 1: the token is one of the entry's */
    uint8_t selective;               /* 1: a hit on a value rare outside the entry
                                      * (pb < HU_FP_CAND_MAX_PB); without one the
                                      * total is at most 0 */
};
/* The llr of r under entry ei vs the background.  O(tokens of r x log). */
void hu_fp_llr(const struct hu_fp_lib *lib, size_t ei, const struct hu_fp_req *r,
               struct hu_fp_llr *out);
/* Age weight of entry ei at time ts_ms: 0.5^(age / half-life), 1 when
 * not older than confirmed_ms; floored at 0.05. */
double hu_fp_age_weight(const struct hu_fp_lib *lib, size_t ei, int64_t ts_ms);

#define HU_FP_CANDIDATES 4

/* What an account accumulated against one candidate entry. */
struct hu_fp_cand {
    uint32_t entry;              /* entry index + 1; 0 free */
    uint32_t n;                  /* requests scored against it */
    float s, s_max;              /* SPRT sum and its maximum */
    uint16_t seen[HU_FP_TOK_COUNT], hit[HU_FP_TOK_COUNT];
    float llr_tok, llr_hour, llr_target, llr_shape;   /* sums since candidate */
};

struct hu_fp_account {
    uint64_t account_hash;
    uint32_t n_req;
    uint32_t bound_at;           /* request index (1-based) of the binding; 0 unbound */
    float s_max;                 /* largest S over candidates and time */
    uint32_t n_rejected;         /* candidates rejected so far */
    struct hu_fp_cand c[HU_FP_CANDIDATES];
    uint32_t rejected[HU_FP_CANDIDATES];   /* entry + 1 of the last rejected (ring) */
    struct hu_fp_cand bound;     /* the candidate at binding time (bound.entry) */
};

struct hu_fp_online {
    const struct hu_fp_lib *lib;     /* borrowed, finished */
    struct hu_fp_key key;
    float threshold;                 /* lib->threshold, or INFINITY to never bind (calibration) */
    struct hu_u64map idx;            /* account_hash -> slot + 1 */
    struct hu_fp_account *acct;
    size_t n, cap;
    size_t max;                      /* accounts held at most (0: HU_MAX_FP_ONLINE) */
};

HU_MUST_CHECK int hu_fp_online_init(struct hu_fp_online *on, const struct hu_fp_lib *lib,
                                    const struct hu_fp_key *key);
void hu_fp_online_fini(struct hu_fp_online *on);
/* Score one request of account_hash.  HU_OK, HU_ENOMEM or HU_EFULL (more
 * than HU_MAX_FP_ONLINE accounts; the request is not scored).  Cost: one
 * hash lookup per token, then O(candidates) llr evaluations -- a few
 * microseconds at most, whatever the library size. */
HU_MUST_CHECK int hu_fp_online_observe(struct hu_fp_online *on, uint64_t account_hash,
                                       const struct hu_fp_req *r);
/* The account's state, or NULL if it never sent a request. */
const struct hu_fp_account *hu_fp_online_get(const struct hu_fp_online *on, uint64_t account_hash);
/* Add every account state of src to dst (matchers of observer shards:
 * disjoint accounts, each scored in its own input order, so the states
 * are those one matcher would have reached).  An account already in dst
 * keeps dst's state.  HU_OK, HU_ENOMEM, HU_EFULL.  O(src accounts). */
HU_MUST_CHECK int hu_fp_online_absorb(struct hu_fp_online *dst, const struct hu_fp_online *src);

/* The matcher's per-account states as bytes, for a service checkpoint
 * (serve/backend.c): without them a restart that resumes from a
 * checkpoint would forget every binding made before it.  The layout is
 * the host's (the bytes never leave the host that wrote them); a header
 * names the library (key id, entries, tokens) so that states are never
 * put back against another library.  Returns the size written, or the
 * size needed when it exceeds cap (nothing written then). */
size_t hu_fp_online_save(const struct hu_fp_online *on, void *out, size_t cap);
/* Put back the states hu_fp_online_save() wrote, into a matcher over the
 * same library that holds no state yet.  HU_EVERSION: the states were
 * made against another library (nothing loaded).  Every field is checked:
 * a state naming an entry the library does not have, or a count that does
 * not fit the length, is HU_ECORRUPT, and the
 * matcher is left empty (except for an account saved twice: the states
 * before it stay); HU_ENOMEM (partly loaded: discard the matcher),
 * HU_EFULL (more accounts than on->max).  O(accounts). */
HU_MUST_CHECK int hu_fp_online_load(struct hu_fp_online *on, const void *bytes, size_t len);

/* Set lib->threshold from benign traffic only: on is a calibration replay
 * (threshold INFINITY) of the library-building run, benign_hash the
 * accounts that were not flagged.  threshold = max(log(1/alpha), largest
 * s_max of a benign account + margin).  Returns the threshold. */
double hu_fp_lib_calibrate(struct hu_fp_lib *lib, const struct hu_fp_online *on,
                           const uint64_t *benign_hash, size_t n_benign);

/* ---- bound accounts ---------------------------------------------------- */

/* Mark a bound account in an analysis result: reasons naming the campaign
 * and the matching features with numbers (known_campaign=<id>;sprt_llr=..,
 * fp_system=.., ...), score raised to the campaign's, action at least the
 * campaign's (shadow: would only).  The reason code of the campaign points
 * into lib: keep lib alive while the results are written. */
void hu_fp_bind_result(const struct hu_fp_lib *lib, const struct hu_fp_account *st,
                       struct hu_account_result *ar, int shadow);

/* Profile-level match (the fast path on a profile update, and the
 * benchmark): the expected llr per request of the account's whole profile
 * against every entry sharing a token with it, best first.  *best_entry =
 * entry index or -1; returns the best llr per request (0 if none).
 * O(profile set items x postings). */
double hu_fp_match_profile(const struct hu_fp_lib *lib, const struct hu_fp_key *key,
                           const struct hu_profile *p, long *best_entry);

/* ---- library management ------------------------------------------------- */

/* dst += src: entries with an id already in dst are merged (the later
 * confirmation and last_seen, members and requests added, distributions
 * request-weighted, tokens united); others are appended.  Both must use
 * the same key (HU_EINVAL otherwise).  dst must be finished again. */
HU_MUST_CHECK int hu_fp_lib_merge(struct hu_fp_lib *dst, const struct hu_fp_lib *src);
/* Drop entries not confirmed since cutoff_ms; returns how many. */
size_t hu_fp_lib_prune(struct hu_fp_lib *lib, int64_t cutoff_ms);

/* ---- file format (docs/formats/fingerprint-library.md) ------------------- */

/* Serialize a finished library into a new buffer (*out, hu_free).  HU_OK or
 * HU_ENOMEM. */
HU_MUST_CHECK int hu_fp_lib_serialize(const struct hu_fp_lib *lib, uint8_t **out, size_t *len);
/* Load untrusted bytes: never reads past len; checks magic, version,
 * lengths, checksum, every count against limits.h and every value
 * (hu_fp_lib_validate); the library comes back finished.  HU_OK,
 * HU_ECORRUPT, HU_EVERSION, HU_ENOMEM; *why says what was wrong. */
HU_MUST_CHECK int hu_fp_lib_deserialize_safe(struct hu_fp_lib *lib, const void *buf, size_t len,
                                             const char **why);
/* NULL if the library's invariants hold, else a static reason. */
const char *hu_fp_lib_validate(const struct hu_fp_lib *lib);
/* File helpers (HU_EIO with errno on I/O failure; reads at most
 * HU_MAX_FP_FILE_BYTES). */
HU_MUST_CHECK int hu_fp_lib_save(const struct hu_fp_lib *lib, const char *path);
HU_MUST_CHECK int hu_fp_lib_load(struct hu_fp_lib *lib, const char *path, const char **why);

#endif
