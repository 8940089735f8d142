/*
 * fingerprint.c -- usage-fingerprint tokens: what a harvesting account's
 * way of working is recognised by, across new cards and new addresses.
 */
#include "score/fingerprint.h"
#include "core/alloc.h"
#include "core/hash.h"
#include "core/sort.h"
#include "core/u64map.h"
#include "score/params.h"


/* The things an account's usage is recognised by, as typed tokens: the
 * client and header fingerprints, exact user agents, ASNs, system prompt
 * templates, tool sets and payment instruments it used. */
/* Pseudo set number of sentence tokens (after the real enum hu_pset). */
#define FP_SENTENCES 31

static const int fp_sets[] = { HU_PSET_CLIENT_FP, HU_PSET_HEADERS_FP, HU_PSET_UA, HU_PSET_ASN,
                               HU_PSET_SYSTEM, HU_PSET_TOOLS, HU_PSET_PAYMENT };

static int cmp_u64_tok(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return (a > b) - (a < b);
}

static uint64_t fp_token(int set, uint64_t item)
{
    uint64_t t = hu_hash_combine(item, 0x46500000u + (uint64_t)set) & ~(HU_FP_OPERATOR_BIT | HU_FP_EXCLUSIVE_BIT);
    if (set == HU_PSET_SYSTEM || set == HU_PSET_TOOLS || set == HU_PSET_PAYMENT || set == FP_SENTENCES)
        t |= HU_FP_OPERATOR_BIT;
    return t;
}

/* Most tokens one account contributes: every bounded set, plus its
 * heaviest sentences. */
#define FP_MAX_ACCOUNT_TOKENS (HU_PSET_COUNT * HU_KMV_K + HU_SS_K)

/* An account's raw tokens (before the crowd filter) into out[]; returns
 * how many.  A sentence counts when the account sent it at least
 * HU_SENTENCE_MIN_USES times and in at least HU_SENTENCE_MIN_SHARE of its
 * requests with text: a wrapper, not a phrase that happened twice. */
static size_t account_tokens(const struct hu_profile *p, uint32_t sets, uint64_t *out)
{
    struct hu_kmv ks_;
    size_t n = 0;
    for (size_t s = 0; s < sizeof fp_sets / sizeof fp_sets[0]; s++) {
        if (!(sets >> fp_sets[s] & 1))
            continue;
        const struct hu_kmv *ks = hu_profile_set(p, fp_sets[s], &ks_);
        for (unsigned k = 0; k < ks->n; k++)
            out[n++] = fp_token(fp_sets[s], ks->h[k]);
    }
    if (sets & HU_FP_SET_SENTENCES) {
        for (unsigned k = 0; k < HU_SS_K; k++) {
            const struct hu_ss_entry *e = &p->top_sentences.e[k];
            uint32_t lower = e->count - e->err;
            if (e->count && lower >= HU_SENTENCE_MIN_USES
                && (double)lower >= HU_SENTENCE_MIN_SHARE * (double)p->n_prompt)
                out[n++] = fp_token(FP_SENTENCES, e->key);
        }
    }
    return n;
}

/* Per-account fingerprint tokens (CSR, sorted and distinct per account)
 * that identify a way of working rather than a crowd: a token is kept when
 * at least two accounts use it and either few accounts do (<=
 * HU_TOKEN_MIN_DF_FLOOR) or most of its users (>= HU_TOKEN_HARVEST_SHARE)
 * harvest themselves (behaviour >= HU_MERGE_MIN_BEHAVIOUR).  The default
 * fingerprint of a popular SDK, used by thousands of ordinary accounts, is
 * dropped; the tool set of a harvesting script, used by thousands of
 * campaign accounts, is kept.  Only harvesting accounts get tokens: only
 * they ever merge. */
int hu_fingerprint_tokens(struct hu_profile *const *prof, size_t n, const double *beh,
                          uint32_t sets, uint64_t **tokens_out, uint32_t **off_out)
{
    struct hu_u64map df, dfh;
    uint64_t *tok = NULL;
    uint32_t *off = NULL;
    size_t n_tok = 0, cap_tok = 0;
    if (hu_u64map_init(&df, n * 4))
        return HU_ENOMEM;
    if (hu_u64map_init(&dfh, n)) {
        hu_u64map_fini(&df);
        return HU_ENOMEM;
    }
    int rc = HU_OK;
    uint64_t raw[FP_MAX_ACCOUNT_TOKENS];
    for (size_t i = 0; i < n && !rc; i++) {
        int harvesting = beh[i] >= HU_MERGE_MIN_BEHAVIOUR;
        size_t m = account_tokens(prof[i], sets, raw);
        for (size_t k = 0; k < m && !rc; k++) {
            rc = hu_u64map_add(&df, raw[k], 1);
            if (!rc && harvesting)
                rc = hu_u64map_add(&dfh, raw[k], 1);
        }
    }
    off = hu_malloc((n + 1) * sizeof *off);
    if (!off)
        rc = HU_ENOMEM;
    for (size_t i = 0; i < n && !rc; i++) {
        off[i] = (uint32_t)n_tok;
        if (beh[i] < HU_MERGE_MIN_BEHAVIOUR)
            continue;
        size_t m = account_tokens(prof[i], sets, raw);
        for (size_t k = 0; k < m && !rc; k++) {
                uint64_t t = raw[k];
                uint32_t c = hu_u64map_get(&df, t);
                uint32_t ch = hu_u64map_get(&dfh, t);
                if (c < 2 || (c > HU_TOKEN_MIN_DF_FLOOR && ch < HU_TOKEN_HARVEST_SHARE * c))
                    continue;
                if (ch >= HU_TOKEN_EXCLUSIVE_SHARE * c)
                    t |= HU_FP_EXCLUSIVE_BIT;
                if (hu_grow((void **)&tok, &cap_tok, n_tok + 1, sizeof *tok, 4096)) {
                    rc = HU_ENOMEM;
                    break;
                }
                tok[n_tok++] = t;
            }
        /* sorted and distinct: items of one set are distinct, tokens of
         * different sets differ by construction, and so do a sketch's keys */
        hu_sort(tok + off[i], n_tok - off[i], sizeof *tok, cmp_u64_tok);
    }
    if (!rc)
        off[n] = (uint32_t)n_tok;
    hu_u64map_fini(&df);
    hu_u64map_fini(&dfh);
    if (rc) {
        hu_free(tok);
        hu_free(off);
        return rc;
    }
    *tokens_out = tok;
    *off_out = off;
    return HU_OK;
}

