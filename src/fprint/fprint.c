/*
 * fprint.c -- campaign fingerprints: keyed tokens, the library index, the
 * per-request likelihood ratio and the sequential test that binds accounts.
 *
 * Why a sequential test.  A fresh account has no history, and each of its
 * requests is weak evidence on its own: an honest coding-agent user also
 * declares tools, an honest Python user has the same SDK fingerprint.  What
 * separates a regrown campaign account is that request after request
 * matches the campaign's habits *more than the background's*.  Summing the
 * per-request log-likelihood ratios and stopping at a bound is Wald's SPRT;
 * and makes an honest account's
 * statistic a random walk with negative drift.  A pure CUSUM (flooring at
 * 0) turned out to bind long-lived honest accounts by chance excursions, so
 * the test is Wald's: a lower boundary -HU_FP_REJECT rejects the candidate
 * for the account for good; an account taken over after being rejected is
 * then left to ordinary discovery.  The maxima of benign sums are what
 * hu_fp_lib_calibrate measures.
 *
 * The model.  For an entry C and a request r:
 *
 *   llr(r) = sum over token types t present in r of
 *              log pc(v)/pb(v)                       if v is one of C's values
 *              log (1 - mass_c[t]) / (1 - mass_b[t])  otherwise
 *          + log hour_c[h] / hour_b[h]
 *          + log (sum_k r.cat[k] target_c[k]) / (sum_k r.cat[k] target_b[k])
 *          + log of thinking and prompt-length likelihoods
 *
 * each term clamped (params.h), the total clamped to +-HU_FP_REQ_MAX.  The
 * token term is an exact likelihood ratio of a coarsened variable (one of
 * C's values, each by itself, or "anything else"), so it needs the
 * background only at C's own values: that is all the library stores.
 * Naive Bayes over correlated parts (client fingerprint, headers and user
 * agent move together) over-counts evidence; the clamps and the calibrated
 * threshold absorb that, and the eval measures what remains.
 *
 * Cost.  The candidate entries of a request are found through an index
 * keyed by token (postings sorted by key, a hash map to the first); an
 * account keeps HU_FP_CANDIDATES candidates, so a request costs seven keyed
 * hashes, seven lookups and at most a handful of llr evaluations, whatever
 * the library size (bench/bench_fprint.c).
 */
#include "fprint/fprint.h"
#include "core/alloc.h"
#include "core/hash.h"
#include "core/limits.h"
#include "core/sort.h"
#include "fprint/params.h"

#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

static const char *const tok_codes[] = {
#define HU__FPT_CODE(name, code, desc) code,
    HU_FP_TOK_MAP(HU__FPT_CODE)
#undef HU__FPT_CODE
};
const char *hu_fp_tok_code(enum hu_fp_tok t) { return (unsigned)t < HU_FP_TOK_COUNT ? tok_codes[t] : "?"; }

/* ---- keys ------------------------------------------------------------------ */

void hu_fp_key_default(struct hu_fp_key *key)
{
    /* "huella-test-key!" -- documented as insecure in docs/fingerprints.md */
    memcpy(key->k, "huella-test-key!", 16);
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int hu_fp_key_load(const char *path, struct hu_fp_key *key, char *err, size_t errcap)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (err) snprintf(err, errcap, "cannot open key file %s", path);
        return HU_EIO;
    }
    uint8_t buf[4096];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    size_t m = n;
    while (m && (buf[m - 1] == '\n' || buf[m - 1] == '\r' || buf[m - 1] == ' '))
        m--;
    if (m == 32) {
        int ok = 1;
        for (size_t i = 0; i < 16 && ok; i++) {
            int hi = hexval(buf[2 * i]), lo = hexval(buf[2 * i + 1]);
            if (hi < 0 || lo < 0) ok = 0;
            else key->k[i] = (uint8_t)(hi << 4 | lo);
        }
        if (ok)
            return HU_OK;
    }
    if (n < 16) {
        if (err) snprintf(err, errcap, "key file %s holds %zu bytes, need 32 hex digits or >= 16 bytes", path, n);
        return HU_EINVAL;
    }
    /* any longer secret: its generic hash, truncated to the key size */
    uint8_t h[16];
    crypto_generichash(h, sizeof h, buf, n, NULL, 0);
    memcpy(key->k, h, 16);
    sodium_memzero(buf, sizeof buf);
    return HU_OK;
}

uint64_t hu_fp_key_id(const struct hu_fp_key *key)
{
    static const uint8_t msg[] = "huella fingerprint key id";
    uint8_t out[crypto_shorthash_BYTES];
    crypto_shorthash(out, msg, sizeof msg - 1, key->k);
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | out[i];
    return v;
}

uint64_t hu_fp_token(const struct hu_fp_key *key, enum hu_fp_tok t, uint64_t item)
{
    uint8_t in[9], out[crypto_shorthash_BYTES];
    in[0] = (uint8_t)t;
    for (int i = 0; i < 8; i++) in[1 + i] = (uint8_t)(item >> (8 * i));
    crypto_shorthash(out, in, sizeof in, key->k);
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | out[i];
    return v ? v : 1;
}

/* ---- the library ------------------------------------------------------------ */

void hu_fp_lib_init(struct hu_fp_lib *lib)
{
    memset(lib, 0, sizeof *lib);
    lib->half_life_days = (float)HU_FP_HALF_LIFE_DAYS;
    lib->threshold = (float)log(1.0 / HU_FP_ALPHA);
}

void hu_fp_lib_fini(struct hu_fp_lib *lib)
{
    if (!lib)
        return;
    hu_free(lib->e);
    hu_free(lib->tok);
    hu_free(lib->post);
    if (lib->index.keys)
        hu_u64map_fini(&lib->index);
    memset(lib, 0, sizeof *lib);
}

int hu_fp_lib_add(struct hu_fp_lib *lib, const struct hu_fp_entry *e, const struct hu_fp_token *tok,
                  size_t n_tok)
{
    if (lib->n >= HU_MAX_FP_ENTRIES || lib->n_tok + n_tok > HU_MAX_FP_TOKENS)
        return HU_EFULL;
    if (hu_grow((void **)&lib->e, &lib->cap, lib->n + 1, sizeof *lib->e, 16))
        return HU_ENOMEM;
    if (n_tok && hu_grow((void **)&lib->tok, &lib->cap_tok, lib->n_tok + n_tok, sizeof *lib->tok, 256))
        return HU_ENOMEM;
    struct hu_fp_entry *d = &lib->e[lib->n];
    *d = *e;
    d->id[sizeof d->id - 1] = 0;
    d->tok_off = (uint32_t)lib->n_tok;
    d->n_tok = (uint32_t)n_tok;
    if (n_tok)
        memcpy(lib->tok + lib->n_tok, tok, n_tok * sizeof *tok);
    lib->n_tok += n_tok;
    lib->n++;
    lib->finished = 0;
    return HU_OK;
}

static int cmp_tok(const void *x, const void *y)
{
    const struct hu_fp_token *a = x, *b = y;
    return (a->key > b->key) - (a->key < b->key);
}

static int cmp_post(const void *x, const void *y)
{
    const struct hu_fp_posting *a = x, *b = y;
    if (a->key != b->key) return (a->key > b->key) - (a->key < b->key);
    if (a->entry != b->entry) return (a->entry > b->entry) - (a->entry < b->entry);
    return (a->tok > b->tok) - (a->tok < b->tok);
}

int hu_fp_lib_finish(struct hu_fp_lib *lib)
{
    hu_free(lib->post);
    lib->post = NULL;
    lib->n_post = 0;
    if (lib->index.keys)
        hu_u64map_fini(&lib->index);
    memset(&lib->index, 0, sizeof lib->index);
    for (size_t i = 0; i < lib->n; i++) {
        struct hu_fp_entry *e = &lib->e[i];
        struct hu_fp_token *t = lib->tok + e->tok_off;
        hu_sort(t, e->n_tok, sizeof *t, cmp_tok);
        for (int k = 0; k < HU_FP_TOK_COUNT; k++)
            e->mass_c[k] = e->mass_b[k] = 0;
        for (uint32_t j = 0; j < e->n_tok; j++) {
            e->mass_c[t[j].type] += t[j].pc;
            e->mass_b[t[j].type] += t[j].pb;
        }
        snprintf(e->reason_code, sizeof e->reason_code, "known_campaign=%s;sprt_llr", e->id);
    }
    lib->post = hu_malloc((lib->n_tok ? lib->n_tok : 1) * sizeof *lib->post);
    if (!lib->post)
        return HU_ENOMEM;
    for (size_t i = 0; i < lib->n; i++)
        for (uint32_t j = 0; j < lib->e[i].n_tok; j++)
            lib->post[lib->n_post++] = (struct hu_fp_posting){ lib->tok[lib->e[i].tok_off + j].key,
                                                               (uint32_t)i, lib->e[i].tok_off + j };
    hu_sort(lib->post, lib->n_post, sizeof *lib->post, cmp_post);
    if (hu_u64map_init(&lib->index, lib->n_post + 16))
        return HU_ENOMEM;
    for (size_t i = 0; i < lib->n_post; i++)
        if (i == 0 || lib->post[i].key != lib->post[i - 1].key)
            if (hu_u64map_add(&lib->index, lib->post[i].key, (uint32_t)(i + 1)))
                return HU_ENOMEM;
    lib->finished = 1;
    return HU_OK;
}

long hu_fp_lib_find(const struct hu_fp_lib *lib, const char *id)
{
    for (size_t i = 0; i < lib->n; i++)
        if (!strcmp(lib->e[i].id, id))
            return (long)i;
    return -1;
}

/* The token of entry ei with this key, or NULL: binary search. */
static const struct hu_fp_token *entry_token(const struct hu_fp_lib *lib, size_t ei, uint64_t key)
{
    const struct hu_fp_token *t = lib->tok + lib->e[ei].tok_off;
    size_t lo = 0, hi = lib->e[ei].n_tok;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t[mid].key < key) lo = mid + 1;
        else hi = mid;
    }
    return lo < lib->e[ei].n_tok && t[lo].key == key ? &t[lo] : NULL;
}

/* ---- the per-request likelihood ratio -------------------------------------- */

static double clampd(double x, double lo, double hi) { return x < lo ? lo : x > hi ? hi : x; }

void hu_fp_req_from(struct hu_fp_req *r, const struct hu_fp_key *key, const struct hu_event *ev,
                    const struct hu_req_features *f)
{
    memset(r, 0, sizeof *r);
    r->ts_ms = ev->ts_ms;
    int64_t h = (ev->ts_ms / 3600000) % 24;
    r->hour = (uint8_t)(h < 0 ? h + 24 : h);
    r->thinking = (int8_t)(ev->thinking < 0 ? -1 : ev->thinking > 0);
    r->prompt_chars = f->prompt_chars;
    const uint64_t items[HU_FP_TOK_COUNT] = {
        [HU_FP_TOK_SYSTEM] = f->system_hash, [HU_FP_TOK_TOOLS] = f->tools_hash,
        [HU_FP_TOK_CLIENT_FP] = f->client_fp_hash, [HU_FP_TOK_HEADERS_FP] = f->headers_fp_hash,
        [HU_FP_TOK_UA] = f->ua_hash, [HU_FP_TOK_ASN] = f->asn, [HU_FP_TOK_TEMPLATE] = f->template_hash,
        [HU_FP_TOK_HEAD] = f->head_hash, [HU_FP_TOK_TAIL] = f->tail_hash,
    };
    for (int t = 0; t < HU_FP_TOK_COUNT; t++)
        r->tok[t] = items[t] ? hu_fp_token(key, (enum hu_fp_tok)t, items[t]) : 0;
    double sum = 0;
    for (int t = 0; t < HU_TARGET_COUNT; t++) {
        double v = f->target[t] > 0 ? f->target[t] : 0;
        r->cat[t] = (float)v;
        sum += v;
    }
    r->cat[HU_TARGET_COUNT] = (float)(sum < 1 ? 1 - sum : 0);
    double tot = sum + r->cat[HU_TARGET_COUNT];
    for (int t = 0; t < HU_FP_NCAT; t++)
        r->cat[t] = (float)(r->cat[t] / tot);
}

static double log_normal_ratio(double x, double mc, double sc, double mb, double sb)
{
    double zc = (x - mc) / sc, zb = (x - mb) / sb;
    return -0.5 * zc * zc - log(sc) + 0.5 * zb * zb + log(sb);
}

void hu_fp_llr(const struct hu_fp_lib *lib, size_t ei, const struct hu_fp_req *r, struct hu_fp_llr *o)
{
    const struct hu_fp_entry *e = &lib->e[ei];
    memset(o, 0, sizeof *o);
    double total = 0, client = 0, wording = -1e9;
    int n_client = 0, selective = 0;
    for (int t = 0; t < HU_FP_TOK_COUNT; t++) {
        if (!r->tok[t] || e->mass_c[t] <= 0)
            continue;   /* absent in the request, or the campaign never showed this type */
        const struct hu_fp_token *tk = entry_token(lib, ei, r->tok[t]);
        double l;
        if (tk) {
            double pc = tk->pc > HU_FP_PC_FLOOR ? tk->pc : HU_FP_PC_FLOOR;
            double pb = tk->pb > HU_FP_PB_FLOOR ? tk->pb : HU_FP_PB_FLOOR;
            l = clampd(log(pc / pb), HU_FP_HIT_MIN, HU_FP_HIT_MAX);
            o->hit[t] = 1;
            selective |= tk->pb < HU_FP_CAND_MAX_PB;
        } else {
            double oc = 1.0 - e->mass_c[t], ob = 1.0 - e->mass_b[t];
            if (oc < HU_FP_OTHER_FLOOR) oc = HU_FP_OTHER_FLOOR;
            if (ob < HU_FP_OTHER_FLOOR) ob = HU_FP_OTHER_FLOOR;
            l = clampd(log(oc / ob), HU_FP_MISS_MIN, HU_FP_MISS_MAX);
        }
        o->tok[t] = (float)l;
        /* the client fingerprint, header order and user agent come from
         * one piece of software and move together: they count as one
         * piece of evidence (their mean), not three */
        if (t == HU_FP_TOK_CLIENT_FP || t == HU_FP_TOK_HEADERS_FP || t == HU_FP_TOK_UA) {
            client += l;
            n_client++;
        } else if (t == HU_FP_TOK_TEMPLATE || t == HU_FP_TOK_HEAD || t == HU_FP_TOK_TAIL) {
            /* template, head and tail are views of one wording: the best
             * of them counts (a question in a known wrapper is a new
             * template but a known head or tail) */
            if (l > wording) wording = l;
        } else {
            total += l;
        }
    }
    if (n_client)
        total += client / n_client;
    if (wording > -1e9)
        total += wording;
    const struct hu_fp_dist *c = &e->d, *b = &lib->bg;
    for (int t = HU_FP_TOK_SYSTEM; t <= HU_FP_TOK_TOOLS; t++) {
        if (e->mass_c[t] <= 0)
            continue;
        double pc = r->tok[t] ? c->present[t] : 1 - c->present[t];
        double pb = r->tok[t] ? b->present[t] : 1 - b->present[t];
        o->presence += (float)clampd(log(pc / pb), HU_FP_PRESENT_MIN, HU_FP_PRESENT_MAX);
    }
    total += o->presence;
    o->hour = (float)clampd(log(c->hour[r->hour % 24] / b->hour[r->hour % 24]), -HU_FP_HOUR_MAX, HU_FP_HOUR_MAX);
    double pc = 0, pb = 0;
    for (int k = 0; k < HU_FP_NCAT; k++) {
        pc += r->cat[k] * c->target[k];
        pb += r->cat[k] * b->target[k];
    }
    if (pc > 0 && pb > 0)
        o->target = (float)clampd(log(pc / pb), -HU_FP_TARGET_MAX, HU_FP_TARGET_MAX);
    if (r->thinking >= 0) {
        double tc = r->thinking ? c->thinking : 1 - c->thinking;
        double tb = r->thinking ? b->thinking : 1 - b->thinking;
        o->thinking = (float)clampd(log(tc / tb), -HU_FP_THINK_MAX, HU_FP_THINK_MAX);
    }
    if (r->prompt_chars)
        o->plen = (float)clampd(log_normal_ratio((double)r->prompt_chars, c->plen_mu, c->plen_sd, b->plen_mu,
                                                 b->plen_sd), -HU_FP_PLEN_MAX, HU_FP_PLEN_MAX);
    total += o->hour + o->target + o->thinking + o->plen;
    /* Binding means "the same operator": a request is evidence for C only
     * if it carries one of C's selective values (rare outside C).  Without
     * one, what it aims at, when and how it asks can only count against C:
     * an honest coding-agent product codes all day like a coding sweep,
     * but not with the sweep's tools or wording. */
    if (!selective && total > 0)
        total = 0;
    o->selective = (uint8_t)selective;
    o->total = (float)clampd(total, HU_FP_REQ_MIN, HU_FP_REQ_MAX);
}

double hu_fp_age_weight(const struct hu_fp_lib *lib, size_t ei, int64_t ts_ms)
{
    int64_t age = ts_ms - lib->e[ei].confirmed_ms;
    if (age <= 0 || lib->half_life_days <= 0)
        return 1.0;
    double w = pow(0.5, (double)age / 86400000.0 / lib->half_life_days);
    return w < HU_FP_AGE_FLOOR ? HU_FP_AGE_FLOOR : w;
}

/* ---- online matching --------------------------------------------------------- */

int hu_fp_online_init(struct hu_fp_online *on, const struct hu_fp_lib *lib, const struct hu_fp_key *key)
{
    memset(on, 0, sizeof *on);
    if (!lib->finished)
        return HU_EINVAL;
    on->lib = lib;
    on->key = *key;
    on->threshold = lib->threshold;
    return hu_u64map_init(&on->idx, 1024);
}

void hu_fp_online_fini(struct hu_fp_online *on)
{
    if (!on)
        return;
    if (on->idx.keys)
        hu_u64map_fini(&on->idx);
    hu_free(on->acct);
    memset(on, 0, sizeof *on);
}

const struct hu_fp_account *hu_fp_online_get(const struct hu_fp_online *on, uint64_t account_hash)
{
    uint32_t slot = hu_u64map_get(&on->idx, account_hash);
    return slot ? &on->acct[slot - 1] : NULL;
}

int hu_fp_online_absorb(struct hu_fp_online *dst, const struct hu_fp_online *src)
{
    for (size_t i = 0; i < src->n; i++) {
        const struct hu_fp_account *a = &src->acct[i];
        if (hu_u64map_get(&dst->idx, a->account_hash))
            continue;
        if (dst->n >= HU_MAX_FP_ONLINE || (dst->max && dst->n >= dst->max))
            return HU_EFULL;
        if (hu_grow((void **)&dst->acct, &dst->cap, dst->n + 1, sizeof *dst->acct, 1024))
            return HU_ENOMEM;
        if (hu_u64map_add(&dst->idx, a->account_hash, (uint32_t)(dst->n + 1)))
            return HU_ENOMEM;
        dst->acct[dst->n++] = *a;
    }
    return HU_OK;
}

/* hu_fp_online_save layout: this header, then n struct hu_fp_account. */
#define FP_ONLINE_MAGIC UINT64_C(0x316e6f6170667568)   /* "hufpaon1" */

struct fp_online_head {
    uint64_t magic;
    uint64_t key_id;            /* the library's */
    uint64_t n_entries, n_tok;  /* the library's */
    uint64_t acct_size;         /* sizeof(struct hu_fp_account) */
    uint64_t n;
};

size_t hu_fp_online_save(const struct hu_fp_online *on, void *out, size_t cap)
{
    size_t need = sizeof(struct fp_online_head) + on->n * sizeof *on->acct;
    if (need > cap)
        return need;
    struct fp_online_head h = {
        .magic = FP_ONLINE_MAGIC, .key_id = on->lib->key_id, .n_entries = on->lib->n,
        .n_tok = on->lib->n_tok, .acct_size = sizeof *on->acct, .n = on->n,
    };
    memcpy(out, &h, sizeof h);
    if (on->n)
        memcpy((unsigned char *)out + sizeof h, on->acct, on->n * sizeof *on->acct);
    return need;
}

static int cand_valid(const struct hu_fp_cand *c, size_t n_entries)
{
    return c->entry <= n_entries && isfinite(c->s) && isfinite(c->s_max) && isfinite(c->llr_tok) &&
           isfinite(c->llr_hour) && isfinite(c->llr_target) && isfinite(c->llr_shape);
}

int hu_fp_online_load(struct hu_fp_online *on, const void *bytes, size_t len)
{
    struct fp_online_head h;
    if (on->n || len < sizeof h)
        return HU_ECORRUPT;
    memcpy(&h, bytes, sizeof h);
    if (h.magic != FP_ONLINE_MAGIC)
        return HU_ECORRUPT;
    if (h.key_id != on->lib->key_id || h.n_entries != on->lib->n || h.n_tok != on->lib->n_tok ||
        h.acct_size != sizeof(struct hu_fp_account))
        return HU_EVERSION;
    if (h.n > HU_MAX_FP_ONLINE || len != sizeof h + h.n * sizeof(struct hu_fp_account))
        return HU_ECORRUPT;
    const unsigned char *p = (const unsigned char *)bytes + sizeof h;
    /* check everything first, so that bad bytes leave the matcher empty */
    for (uint64_t i = 0; i < h.n; i++) {
        struct hu_fp_account a;
        memcpy(&a, p + i * sizeof a, sizeof a);
        int ok = a.account_hash != 0 && isfinite(a.s_max) && cand_valid(&a.bound, on->lib->n) &&
                 (!a.bound_at || (a.bound.entry && a.bound_at <= a.n_req));
        for (int k = 0; ok && k < HU_FP_CANDIDATES; k++)
            ok = cand_valid(&a.c[k], on->lib->n) && a.rejected[k] <= on->lib->n;
        if (!ok)
            return HU_ECORRUPT;
    }
    if (on->max && h.n > on->max)
        return HU_EFULL;
    for (uint64_t i = 0; i < h.n; i++) {
        struct hu_fp_account a;
        memcpy(&a, p + i * sizeof a, sizeof a);
        if (hu_u64map_get(&on->idx, a.account_hash))
            return HU_ECORRUPT;   /* an account twice (the states before it stay) */
        if (hu_grow((void **)&on->acct, &on->cap, on->n + 1, sizeof *on->acct, 1024) ||
            hu_u64map_add(&on->idx, a.account_hash, (uint32_t)(on->n + 1)))
            return HU_ENOMEM;
        on->acct[on->n++] = a;
    }
    return HU_OK;
}

static void cand_update(struct hu_fp_cand *c, const struct hu_fp_req *r, const struct hu_fp_llr *l, double w)
{
    double x = l->total > 0 ? w * l->total : l->total;
    c->s = (float)(c->s + x);
    if (c->s > c->s_max)
        c->s_max = c->s;
    c->n++;
    for (int t = 0; t < HU_FP_TOK_COUNT; t++)
        if (r->tok[t]) {
            c->seen[t] = (uint16_t)(c->seen[t] < UINT16_MAX ? c->seen[t] + 1 : c->seen[t]);
            if (l->hit[t])
                c->hit[t] = (uint16_t)(c->hit[t] < UINT16_MAX ? c->hit[t] + 1 : c->hit[t]);
            c->llr_tok += l->tok[t];
        }
    c->llr_hour += l->hour;
    c->llr_target += l->target;
    c->llr_shape += l->thinking + l->plen;
    c->llr_tok += l->presence;
}

int hu_fp_online_observe(struct hu_fp_online *on, uint64_t account_hash, const struct hu_fp_req *r)
{
    const struct hu_fp_lib *lib = on->lib;
    uint32_t slot = hu_u64map_get(&on->idx, account_hash);
    if (!slot) {
        if (on->n >= HU_MAX_FP_ONLINE || (on->max && on->n >= on->max))
            return HU_EFULL;
        if (hu_grow((void **)&on->acct, &on->cap, on->n + 1, sizeof *on->acct, 1024))
            return HU_ENOMEM;
        if (hu_u64map_add(&on->idx, account_hash, (uint32_t)(on->n + 1)))
            return HU_ENOMEM;
        memset(&on->acct[on->n], 0, sizeof on->acct[on->n]);
        on->acct[on->n].account_hash = account_hash;
        slot = (uint32_t)++on->n;
    }
    struct hu_fp_account *a = &on->acct[slot - 1];
    a->n_req++;
    if (a->bound_at || !lib->n)
        return HU_OK;   /* binding is final; the evidence at binding time is kept */

    /* candidates of this request: entries sharing one of its selective
     * tokens -- rare outside the campaign and in few entries -- so that a
     * popular SDK shared by every campaign costs nothing (prefilter, STYLE
     * 21); the account's current candidates are scored whatever the tokens */
    uint32_t cand[HU_FP_TOK_COUNT * 8];
    size_t n_cand = 0;
    for (int t = 0; t < HU_FP_TOK_COUNT; t++) {
        if (!r->tok[t])
            continue;
        uint32_t first = hu_u64map_get(&lib->index, r->tok[t]);
        if (!first)
            continue;
        size_t p0 = first - 1, p1 = p0;
        while (p1 < lib->n_post && lib->post[p1].key == r->tok[t] && p1 - p0 <= HU_FP_CAND_MAX_POSTINGS)
            p1++;
        if (p1 - p0 > HU_FP_CAND_MAX_POSTINGS)
            continue;
        for (size_t p = p0; p < p1 && n_cand < sizeof cand / sizeof cand[0]; p++) {
            if (lib->tok[lib->post[p].tok].pb >= HU_FP_CAND_MAX_PB)
                continue;
            uint32_t e = lib->post[p].entry + 1;
            int dup = 0;
            for (size_t j = 0; j < n_cand && !dup; j++) dup = cand[j] == e;
            if (!dup) cand[n_cand++] = e;
        }
    }
    /* update the account's candidates; add new ones in free or weakest slots */
    struct hu_fp_llr l;
    for (int k = 0; k < HU_FP_CANDIDATES; k++) {
        struct hu_fp_cand *c = &a->c[k];
        if (!c->entry)
            continue;
        hu_fp_llr(lib, c->entry - 1, r, &l);
        cand_update(c, r, &l, hu_fp_age_weight(lib, c->entry - 1, r->ts_ms));
        for (size_t j = 0; j < n_cand; j++)
            if (cand[j] == c->entry) cand[j] = 0;
        if (c->s <= -HU_FP_REJECT) {
            /* Wald's lower boundary: not this campaign, for good */
            a->rejected[a->n_rejected++ % HU_FP_CANDIDATES] = c->entry;
            memset(c, 0, sizeof *c);
        }
    }
    for (size_t j = 0; j < n_cand; j++) {
        if (!cand[j])
            continue;
        int was_rejected = 0;
        for (int k = 0; k < HU_FP_CANDIDATES && !was_rejected; k++)
            was_rejected = a->rejected[k] == cand[j];
        if (was_rejected)
            continue;
        hu_fp_llr(lib, cand[j] - 1, r, &l);
        if (l.total <= 0)
            continue;
        struct hu_fp_cand fresh;
        memset(&fresh, 0, sizeof fresh);
        fresh.entry = cand[j];
        cand_update(&fresh, r, &l, hu_fp_age_weight(lib, cand[j] - 1, r->ts_ms));
        int worst = 0;
        for (int k = 1; k < HU_FP_CANDIDATES; k++)
            if (!a->c[k].entry || (a->c[worst].entry && a->c[k].s < a->c[worst].s))
                worst = k;
        if (!a->c[worst].entry || a->c[worst].s < fresh.s)
            a->c[worst] = fresh;
    }
    int best = -1;
    for (int k = 0; k < HU_FP_CANDIDATES; k++) {
        if (!a->c[k].entry) continue;
        if (a->c[k].s > a->s_max) a->s_max = a->c[k].s;
        if (best < 0 || a->c[k].s > a->c[best].s) best = k;
    }
    if (best >= 0 && a->c[best].s >= on->threshold) {
        a->bound_at = a->n_req;
        a->bound = a->c[best];
    }
    return HU_OK;
}

static int cmp_float(const void *x, const void *y)
{
    float a = *(const float *)x, b = *(const float *)y;
    return (a > b) - (a < b);
}

double hu_fp_lib_calibrate(struct hu_fp_lib *lib, const struct hu_fp_online *on, const uint64_t *benign_hash,
                           size_t n_benign)
{
    double wald = log(1.0 / HU_FP_ALPHA), worst = 0;
    float *v = hu_malloc((n_benign ? n_benign : 1) * sizeof *v);
    size_t n = 0;
    for (size_t i = 0; i < n_benign; i++) {
        const struct hu_fp_account *a = hu_fp_online_get(on, benign_hash[i]);
        if (!a)
            continue;
        if (v)
            v[n++] = a->s_max;
        else if (a->s_max > worst)
            worst = a->s_max;   /* no memory for the quantile: the maximum */
    }
    if (v && n) {
        hu_sort(v, n, sizeof *v, cmp_float);
        size_t k = (size_t)floor((double)(n - 1) * HU_FP_CALIB_QUANTILE);
        worst = v[k];
    }
    hu_free(v);
    double th = worst + HU_FP_MARGIN;
    if (th < wald)
        th = wald;
    lib->threshold = (float)th;
    return th;
}

/* ---- bound accounts ------------------------------------------------------------ */

void hu_fp_bind_result(const struct hu_fp_lib *lib, const struct hu_fp_account *st, struct hu_account_result *ar,
                       int shadow)
{
    if (!st || !st->bound_at || !st->bound.entry || st->bound.entry > lib->n)
        return;
    const struct hu_fp_entry *e = &lib->e[st->bound.entry - 1];
    const struct hu_fp_cand *c = &st->bound;
    /* the campaign first, then each matching token type with the share of
     * requests that carried one of the campaign's values, then the
     * behaviour parts as mean llr per request */
    hu_account_add_reason(ar, e->reason_code, round(c->s * 10) / 10, 1e6);
    for (int t = 0; t < HU_FP_TOK_COUNT; t++) {
        if (!c->seen[t] || !c->hit[t])
            continue;
        static const char *const codes[HU_FP_TOK_COUNT] = {
            "fp_system", "fp_tools", "fp_client_fp", "fp_headers_fp", "fp_ua", "fp_asn", "fp_template",
            "fp_head", "fp_tail",
        };
        double share = (double)c->hit[t] / c->seen[t];
        hu_account_add_reason(ar, codes[t], round(share * 100) / 100, 1e5 + share * (HU_FP_TOK_COUNT - t));
    }
    double n = c->n ? c->n : 1;
    if (c->llr_target > 0)
        hu_account_add_reason(ar, "fp_targets_llr", round(c->llr_target / n * 100) / 100, 5e4);
    if (c->llr_hour > 0)
        hu_account_add_reason(ar, "fp_hours_llr", round(c->llr_hour / n * 100) / 100, 4e4);
    if (ar->score < e->score)
        ar->score = e->score;
    enum hu_action act = e->action > HU_ACTION_MONITOR && e->action < HU_ACTION_COUNT ? (enum hu_action)e->action
                                                                                       : HU_ACTION_VERIFY;
    if (ar->would < act)
        ar->would = act;
    if (!shadow && ar->action < act)
        ar->action = act;
}

/* ---- profile-level match --------------------------------------------------------- */

static const int tok_pset[HU_FP_TOK_COUNT] = {
    [HU_FP_TOK_SYSTEM] = HU_PSET_SYSTEM, [HU_FP_TOK_TOOLS] = HU_PSET_TOOLS,
    [HU_FP_TOK_CLIENT_FP] = HU_PSET_CLIENT_FP, [HU_FP_TOK_HEADERS_FP] = HU_PSET_HEADERS_FP,
    [HU_FP_TOK_UA] = HU_PSET_UA, [HU_FP_TOK_ASN] = HU_PSET_ASN, [HU_FP_TOK_TEMPLATE] = -1,
    [HU_FP_TOK_HEAD] = -2, [HU_FP_TOK_TAIL] = -2,
};

double hu_fp_match_profile(const struct hu_fp_lib *lib, const struct hu_fp_key *key, const struct hu_profile *p,
                           long *best_entry)
{
    *best_entry = -1;
    if (!lib->finished || !p->n_req)
        return 0;
    /* the profile's tokens with their request shares */
    uint64_t tk[HU_FP_TOK_COUNT * 8];
    float share[HU_FP_TOK_COUNT * 8];
    uint8_t type[HU_FP_TOK_COUNT * 8];
    struct hu_kmv ks_;
    size_t n = 0;
    for (int t = 0; t < HU_FP_TOK_COUNT; t++) {
        if (tok_pset[t] == -2)
            continue;   /* heads and tails are not in profiles */
        if (tok_pset[t] < 0) {
            struct hu_ss_entry top[HU_SS_K];
            size_t m = hu_ss_top(&p->top_templates, top, HU_SS_K);
            for (size_t j = 0; j < m && n < sizeof tk / sizeof tk[0]; j++) {
                tk[n] = hu_fp_token(key, (enum hu_fp_tok)t, top[j].key);
                share[n] = p->n_prompt ? (float)top[j].count / (float)p->n_prompt : 0;
                type[n++] = (uint8_t)t;
            }
            continue;
        }
        const struct hu_kmv *s = hu_profile_set(p, tok_pset[t], &ks_);
        for (unsigned j = 0; j < s->n && n < sizeof tk / sizeof tk[0]; j++) {
            tk[n] = hu_fp_token(key, (enum hu_fp_tok)t, s->h[j]);
            share[n] = 1.0f / (float)s->n;
            type[n++] = (uint8_t)t;
        }
    }
    /* candidate entries */
    uint32_t cand[64];
    size_t n_cand = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t first = hu_u64map_get(&lib->index, tk[i]);
        for (size_t q = first ? first - 1 : lib->n_post; q < lib->n_post && lib->post[q].key == tk[i]; q++) {
            uint32_t e = lib->post[q].entry;
            int dup = 0;
            for (size_t j = 0; j < n_cand && !dup; j++) dup = cand[j] == e;
            if (!dup && n_cand < sizeof cand / sizeof cand[0]) cand[n_cand++] = e;
        }
    }
    double best = 0;
    double nr = (double)p->n_req;
    for (size_t j = 0; j < n_cand; j++) {
        const struct hu_fp_entry *e = &lib->e[cand[j]];
        double l = 0;
        double hit_share[HU_FP_TOK_COUNT] = { 0 };
        int any[HU_FP_TOK_COUNT] = { 0 };
        for (size_t i = 0; i < n; i++) {
            if (e->mass_c[type[i]] <= 0)
                continue;
            any[type[i]] = 1;
            const struct hu_fp_token *t = entry_token(lib, cand[j], tk[i]);
            if (!t)
                continue;
            double pc = t->pc > HU_FP_PC_FLOOR ? t->pc : HU_FP_PC_FLOOR;
            double pb = t->pb > HU_FP_PB_FLOOR ? t->pb : HU_FP_PB_FLOOR;
            l += share[i] * clampd(log(pc / pb), HU_FP_HIT_MIN, HU_FP_HIT_MAX);
            hit_share[type[i]] += share[i];
        }
        for (int t = 0; t < HU_FP_TOK_COUNT; t++) {
            if (!any[t])
                continue;
            double rest = 1 - hit_share[t];
            if (rest <= 0)
                continue;
            double oc = 1.0 - e->mass_c[t], ob = 1.0 - e->mass_b[t];
            if (oc < HU_FP_OTHER_FLOOR) oc = HU_FP_OTHER_FLOOR;
            if (ob < HU_FP_OTHER_FLOOR) ob = HU_FP_OTHER_FLOOR;
            l += rest * clampd(log(oc / ob), HU_FP_MISS_MIN, HU_FP_MISS_MAX);
        }
        for (int h = 0; h < 24; h++)
            if (p->hour[h])
                l += (double)p->hour[h] / nr
                     * clampd(log(e->d.hour[h] / lib->bg.hour[h]), -HU_FP_HOUR_MAX, HU_FP_HOUR_MAX);
        if (l > best || *best_entry < 0) {
            best = l;
            *best_entry = (long)cand[j];
        }
    }
    return best;
}

/* ---- management ------------------------------------------------------------------ */

static void dist_mix(struct hu_fp_dist *d, const struct hu_fp_dist *s, double wd, double ws)
{
    double w = wd + ws > 0 ? wd + ws : 1;
    for (int h = 0; h < 24; h++) d->hour[h] = (float)((d->hour[h] * wd + s->hour[h] * ws) / w);
    for (int k = 0; k < HU_FP_NCAT; k++) d->target[k] = (float)((d->target[k] * wd + s->target[k] * ws) / w);
    d->thinking = (float)((d->thinking * wd + s->thinking * ws) / w);
    double mu = (d->plen_mu * wd + s->plen_mu * ws) / w;
    double var = (wd * (d->plen_sd * d->plen_sd + (d->plen_mu - mu) * (d->plen_mu - mu))
                  + ws * (s->plen_sd * s->plen_sd + (s->plen_mu - mu) * (s->plen_mu - mu))) / w;
    d->plen_mu = (float)mu;
    d->plen_sd = (float)sqrt(var);
}

int hu_fp_lib_merge(struct hu_fp_lib *dst, const struct hu_fp_lib *src)
{
    if (dst->n && src->n && dst->key_id != src->key_id)
        return HU_EINVAL;
    if (!dst->n) {
        dst->key_id = src->key_id;
        dst->bg = src->bg;
        dst->bg_accounts = src->bg_accounts;
        dst->bg_requests = src->bg_requests;
        dst->threshold = src->threshold;
        dst->half_life_days = src->half_life_days;
    } else {
        dist_mix(&dst->bg, &src->bg, (double)dst->bg_requests, (double)src->bg_requests);
        dst->bg_accounts += src->bg_accounts;
        dst->bg_requests += src->bg_requests;
        if (src->threshold > dst->threshold)
            dst->threshold = src->threshold;   /* the stricter calibration */
    }
    if (src->created_ms > dst->created_ms)
        dst->created_ms = src->created_ms;
    for (size_t i = 0; i < src->n; i++) {
        const struct hu_fp_entry *s = &src->e[i];
        const struct hu_fp_token *st = src->tok + s->tok_off;
        long j = hu_fp_lib_find(dst, s->id);
        if (j < 0) {
            int rc = hu_fp_lib_add(dst, s, st, s->n_tok);
            if (rc)
                return rc;
            continue;
        }
        /* merge into a rebuilt token list appended at the end of dst->tok */
        struct hu_fp_entry *d = &dst->e[j];
        double wd = (double)d->requests, ws = (double)s->requests;
        double w = wd + ws > 0 ? wd + ws : 1;
        size_t need = dst->n_tok + d->n_tok + s->n_tok;
        if (need > HU_MAX_FP_TOKENS)
            return HU_EFULL;
        if (hu_grow((void **)&dst->tok, &dst->cap_tok, need, sizeof *dst->tok, 256))
            return HU_ENOMEM;
        d = &dst->e[j];
        size_t off = dst->n_tok, m = 0;
        for (uint32_t k = 0; k < d->n_tok; k++) {
            struct hu_fp_token t = dst->tok[d->tok_off + k];
            t.pc = (float)(t.pc * wd / w);
            dst->tok[off + m++] = t;
        }
        for (uint32_t k = 0; k < s->n_tok; k++) {
            int found = 0;
            for (size_t q = 0; q < m && !found; q++)
                if (dst->tok[off + q].key == st[k].key) {
                    dst->tok[off + q].pc += (float)(st[k].pc * ws / w);
                    if (st[k].pb > dst->tok[off + q].pb) dst->tok[off + q].pb = st[k].pb;
                    found = 1;
                }
            if (!found) {
                struct hu_fp_token t = st[k];
                t.pc = (float)(t.pc * ws / w);
                dst->tok[off + m++] = t;
            }
        }
        d->tok_off = (uint32_t)off;
        d->n_tok = (uint32_t)m;
        dst->n_tok = off + m;
        dist_mix(&d->d, &s->d, wd, ws);
        if (s->first_seen_ms < d->first_seen_ms) d->first_seen_ms = s->first_seen_ms;
        if (s->last_seen_ms > d->last_seen_ms) d->last_seen_ms = s->last_seen_ms;
        if (s->confirmed_ms > d->confirmed_ms) d->confirmed_ms = s->confirmed_ms;
        if (s->score > d->score) d->score = s->score;
        if (s->action > d->action) d->action = s->action;
        d->members += s->members;
        d->requests += s->requests;
    }
    dst->finished = 0;
    /* compact: tokens orphaned by merged entries are dropped on the next
     * save/load round trip; the index only references live ranges */
    return HU_OK;
}

size_t hu_fp_lib_prune(struct hu_fp_lib *lib, int64_t cutoff_ms)
{
    size_t w = 0, dropped = 0;
    for (size_t i = 0; i < lib->n; i++) {
        if (lib->e[i].confirmed_ms < cutoff_ms) {
            dropped++;
            continue;
        }
        lib->e[w++] = lib->e[i];
    }
    lib->n = w;
    lib->finished = 0;
    return dropped;
}
