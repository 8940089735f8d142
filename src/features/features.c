/*
 * features.c -- the per-request feature stage (features.h is the manual).
 *
 * One call, one event, a fixed-size struct of hashes and small numbers:
 *
 *   prompt ──► hu__text_normalise_tokens ──► template text ──► template_hash (XXH3)
 *                                         │  + its tokens    ├─► simhash (unless off), head/tail, lang
 *                                         │  and their hashes└─► linear model (if loaded)
 *                                         └► scan text ─────► Hyperscan phrase table
 *   event shape (tools, images, tool blocks, thinking) ─► target hints
 *   ip ─► hu_ip_parse ─► ip_hash, prefix_hash, netdb: asn, class, country
 *   user agent, fingerprints, payment, model ─► hu_hash of the raw bytes
 *
 * Cost per event is O(prompt bytes) (capped at HU_MAX_FIELD_BYTES) plus
 * O(log n) per address lookup; nothing is allocated after the worker is
 * created.  Prompt text never leaves this file: only hashes and scores do.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "features/features.h"
#include "features/net.h"
#include "features/text.h"
#include "features/simhash.h"
#include "features/lang.h"
#include "features/targets.h"
#include "features/linear.h"
#include "features/featurized.h"
#include "core/alloc.h"
#include "core/hash.h"

/* ---- target table --------------------------------------------------------- */

static const char *const target_codes[] = {
#define HU__TARGET_CODE(name, code, desc) code,
    HU_TARGET_MAP(HU__TARGET_CODE)
#undef HU__TARGET_CODE
};
static const char *const target_descs[] = {
#define HU__TARGET_DESC(name, code, desc) desc,
    HU_TARGET_MAP(HU__TARGET_DESC)
#undef HU__TARGET_DESC
};

const char *hu_target_code(enum hu_target t)
{
    return ((unsigned)t < HU_TARGET_COUNT) ? target_codes[t] : "unknown";
}

const char *hu_target_desc(enum hu_target t)
{
    return ((unsigned)t < HU_TARGET_COUNT) ? target_descs[t] : "unknown target";
}

/* ---- shared context ------------------------------------------------------- */

struct hu_features {
    struct hu_netdb *net;             /* never NULL after create */
    struct hu_targets *targets;       /* compiled phrase table */
    struct hu_linear_model *model;    /* NULL: patterns and hints only */
    const struct hu_fkey *kp;         /* &key when keyed (--feature-key), else NULL */
    struct hu_fkey key;
};

/* ---- exact-duplicate caches ---------------------------------------------
 *
 * Traffic repeats itself: an app sends the same system prompt with every
 * request (in seed-2026, 71% of requests carry one of 17 system prompts,
 * and templating them cost more than templating the prompts), and
 * benchmark suites, retries and campaigns resend identical prompts.  Every
 * text feature is a pure function of the text's bytes, so each worker
 * keeps a small direct-mapped cache: slot = hash(raw bytes); a hit needs
 * the same length and the same bytes (memcmp), so a hit returns exactly
 * what the computation would and a hash collision only costs a miss.
 * Texts longer than FX_CACHE_MAX_BYTES are not cached (hashing and
 * comparing them would approach the cost of the work saved); memory per
 * worker is at most (FX_PROMPT_SLOTS + FX_SYSTEM_SLOTS + FX_UA_SLOTS) *
 * FX_CACHE_MAX_BYTES (2.6 MiB).  User agents are cached the same way
 * (parsing one into a family costs about as much as hashing it ten times),
 * and so are tool lists (an agent declares the same tools with every
 * request; the key is the list itself, each name length-prefixed, and
 * the cached results are the tool-set hash and the tool word lists hit).  Measured numbers in docs/performance.md. */
#define FX_PROMPT_SLOTS     1024u     /* power of two */
#define FX_SYSTEM_SLOTS     64u       /* power of two */
#define FX_UA_SLOTS         256u      /* power of two; user agent -> family */
#define FX_TOOLS_SLOTS      64u       /* power of two; tool list -> hash, word lists */
#define FX_CACHE_MAX_BYTES  2048u
/* Tokens of one normalised prompt, found while it is normalised, kept for
 * SimHash, head/tail and language; a longer prompt walks three times. */
#define FX_TOKENS           4096u

struct fx_slot {
    uint64_t h;
    char *bytes;                      /* NULL: empty */
    uint32_t len, cap;
    /* results: prompt slots use all; system slots only template_hash */
    uint64_t template_hash, simhash, head_hash, tail_hash;
    uint32_t prompt_chars;
    uint8_t lang, have_model, no_simhash;   /* no_simhash: stored while it was off */
    float sum[HU_TARGET_COUNT], model[HU_TARGET_COUNT];
};

struct hu_fx_worker {
    const struct hu_features *fx;
    struct hu_targets_scratch *scratch;
    char *tpl, *scan;                 /* HU_TEXT_OUT_CAP(HU_MAX_FIELD_BYTES) each */
    size_t cap;
    struct fx_slot prompt_cache[FX_PROMPT_SLOTS];
    struct fx_slot system_cache[FX_SYSTEM_SLOTS];
    struct fx_slot ua_cache[FX_UA_SLOTS];
    struct fx_slot tools_cache[FX_TOOLS_SLOTS];
    char tools_key[FX_CACHE_MAX_BYTES];
    struct hu__token toks[FX_TOKENS];     /* one tokenisation per prompt */
    uint64_t tok_hash[FX_TOKENS];         /* and its tokens' shingle hashes */
    uint64_t hits, lookups;
    struct hu_fz_reader *fz;          /* reads `features` objects */
    struct hu_fx_counts counts;
    int text_only;                    /* hu_fx_worker_text_only() */
    int no_simhash;                   /* hu_fx_worker_simhash(w, 0) */
};

/* The slot holding exactly (p, len), or NULL.  *slot gets the slot where
 * the text belongs (for fx_cache_store). */
static struct fx_slot *fx_cache_find(struct fx_slot *tab, uint32_t n_slots, const char *p, size_t len,
                                     uint64_t *h_out, struct fx_slot **slot)
{
    uint64_t h = hu_hash(p, len);
    struct fx_slot *sl = &tab[h & (n_slots - 1)];
    *h_out = h;
    *slot = sl;
    if (sl->bytes && sl->h == h && sl->len == len && memcmp(sl->bytes, p, len) == 0)
        return sl;
    return NULL;
}

/* Make sl hold (p, len); 0 on success, -1 (slot left empty) if out of memory. */
static int fx_cache_store(struct fx_slot *sl, uint64_t h, const char *p, size_t len)
{
    if (sl->cap < len || !sl->bytes) {
        uint32_t cap = len < 256 ? 256 : (uint32_t)len;
        char *b = hu_realloc(sl->bytes, cap);
        if (!b) {
            hu_free(sl->bytes);
            sl->bytes = NULL;
            sl->cap = 0;
            return -1;
        }
        sl->bytes = b;
        sl->cap = cap;
    }
    memcpy(sl->bytes, p, len);
    sl->len = (uint32_t)len;
    sl->h = h;
    return 0;
}

int hu_features_create(const struct hu_features_config *cfg, struct hu_features **out,
                       char *errbuf, size_t errcap)
{
    struct hu_features *fx = NULL;
    int rc;

    if (out == NULL)
        return HU_EINVAL;
    *out = NULL;
    if (errbuf && errcap)
        errbuf[0] = 0;
    fx = hu_calloc(1, sizeof *fx);
    if (fx == NULL)
        return HU_ENOMEM;
    rc = hu_netdb_create(&fx->net);
    if (rc != HU_OK)
        goto fail;
    if (cfg != NULL) {
        for (size_t i = 0; i < cfg->n_asn_files; i++) {
            rc = hu_netdb_load_asn(fx->net, cfg->asn_files[i], errbuf, errcap);
            if (rc != HU_OK)
                goto fail;
        }
        if (cfg->geo_file != NULL) {
            rc = hu_netdb_load_geo(fx->net, cfg->geo_file, errbuf, errcap);
            if (rc != HU_OK)
                goto fail;
        }
        for (size_t i = 0; i < cfg->n_cidr_files; i++) {
            rc = hu_netdb_load_cidr(fx->net, cfg->cidr_files[i], errbuf, errcap);
            if (rc != HU_OK)
                goto fail;
        }
        if (cfg->model_file != NULL) {
            rc = hu_linear_load(cfg->model_file, &fx->model, errbuf, errcap);
            if (rc != HU_OK)
                goto fail;
        }
        if (cfg->feature_key_file != NULL || cfg->feature_key_len > 0) {
            if (cfg->feature_key_file != NULL)
                rc = hu_fkey_load(cfg->feature_key_file, &fx->key, errbuf, errcap);
            else
                rc = hu_fkey_derive(cfg->feature_key, cfg->feature_key_len, &fx->key);
            if (rc != HU_OK) {
                if (errbuf && errcap && !errbuf[0])
                    snprintf(errbuf, errcap, "feature key must hold %u to %u bytes",
                             HU_FKEY_MIN_BYTES, HU_FKEY_MAX_BYTES);
                goto fail;
            }
            fx->kp = &fx->key;
        }
    }
    rc = hu_targets_create(&fx->targets, errbuf, errcap);
    if (rc != HU_OK)
        goto fail;
    *out = fx;
    return HU_OK;
fail:
    hu_features_destroy(fx);
    return rc;
}

void hu_features_destroy(struct hu_features *fx)
{
    if (fx == NULL)
        return;
    hu_targets_destroy(fx->targets);
    hu_linear_destroy(fx->model);
    hu_netdb_destroy(fx->net);
    hu_free(fx);
}

int hu_fx_worker_create(const struct hu_features *fx, struct hu_fx_worker **out)
{
    struct hu_fx_worker *w = NULL;
    int rc;

    if (fx == NULL || out == NULL)
        return HU_EINVAL;
    *out = NULL;
    w = hu_calloc(1, sizeof *w);
    if (w == NULL)
        return HU_ENOMEM;
    w->fx = fx;
    w->cap = HU_TEXT_OUT_CAP(HU_MAX_FIELD_BYTES);
    rc = HU_ENOMEM;
    w->tpl = hu_malloc(w->cap);
    w->scan = hu_malloc(w->cap);
    if (w->tpl == NULL || w->scan == NULL)
        goto fail;
    rc = hu_targets_scratch_create(fx->targets, &w->scratch);
    if (rc != HU_OK)
        goto fail;
    rc = hu_fz_reader_create(&w->fz);
    if (rc != HU_OK)
        goto fail;
    *out = w;
    return HU_OK;
fail:
    hu_fx_worker_destroy(w);
    return rc;
}

void hu_fx_worker_destroy(struct hu_fx_worker *w)
{
    if (w == NULL)
        return;
    hu_targets_scratch_destroy(w->scratch);
    for (size_t i = 0; i < FX_PROMPT_SLOTS; i++)
        hu_free(w->prompt_cache[i].bytes);
    for (size_t i = 0; i < FX_SYSTEM_SLOTS; i++)
        hu_free(w->system_cache[i].bytes);
    for (size_t i = 0; i < FX_UA_SLOTS; i++)
        hu_free(w->ua_cache[i].bytes);
    for (size_t i = 0; i < FX_TOOLS_SLOTS; i++)
        hu_free(w->tools_cache[i].bytes);
    hu_fz_reader_destroy(w->fz);
    hu_free(w->tpl);
    hu_free(w->scan);
    hu_free(w);
}

/* ---- helpers -------------------------------------------------------------- */

/* Hash of a present, non-empty field; 0 when absent or empty.  A real hash
 * of 0 is moved to 1 so that 0 keeps meaning "absent". */
static uint64_t field_hash(struct hu_span s)
{
    if (s.ptr == NULL || s.len == 0)
        return 0;
    uint64_t h = hu_hash(s.ptr, s.len);
    return h ? h : 1;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Order-independent hash of the declared tool names: hash each name, sort,
 * drop duplicates (a tool declared twice is the same tool set), hash the
 * sorted array.  0 without tools. */
static uint64_t tools_hash(const struct hu_event *ev)
{
    uint64_t h[HU_MAX_TOOLS];
    size_t n = 0, k = 0;
    for (uint32_t i = 0; i < ev->n_tools && i < HU_MAX_TOOLS; i++)
        if (ev->tools[i].ptr != NULL)
            h[n++] = hu_hash(ev->tools[i].ptr, ev->tools[i].len);
    if (n == 0)
        return 0;
    qsort(h, n, sizeof h[0], cmp_u64);
    for (size_t i = 0; i < n; i++)
        if (k == 0 || h[i] != h[k - 1])
            h[k++] = h[i];
    uint64_t r = hu_hash(h, k * sizeof h[0]);
    return r ? r : 1;
}

/* tools_hash(ev) and hu_targets_tool_kinds(ev), through the tools cache. */
static void tools_features(struct hu_fx_worker *w, const struct hu_event *ev, uint64_t *th, unsigned *kinds)
{
    size_t n = 0;
    int cacheable = ev->n_tools > 0;
    for (uint32_t i = 0; i < ev->n_tools && i < HU_MAX_TOOLS && cacheable; i++) {
        const struct hu_span *t = &ev->tools[i];
        size_t need = 1 + (t->ptr ? 4 + t->len : 0);
        if (n + need > sizeof w->tools_key) {
            cacheable = 0;
            break;
        }
        w->tools_key[n++] = t->ptr != NULL;
        if (t->ptr) {
            uint32_t l = (uint32_t)t->len;
            memcpy(w->tools_key + n, &l, 4);
            memcpy(w->tools_key + n + 4, t->ptr, t->len);
            n += 4 + t->len;
        }
    }
    struct fx_slot *hit = NULL, *slot = NULL;
    uint64_t h = 0;
    if (cacheable)
        hit = fx_cache_find(w->tools_cache, FX_TOOLS_SLOTS, w->tools_key, n, &h, &slot);
    if (hit) {
        *th = hit->template_hash;
        *kinds = hit->lang;
        return;
    }
    *th = tools_hash(ev);
    *kinds = hu_targets_tool_kinds(ev);
    if (slot && fx_cache_store(slot, h, w->tools_key, n) == 0) {
        slot->template_hash = *th;
        slot->lang = (uint8_t)*kinds;
    }
}

static uint64_t text_hash(const char *p, size_t len)
{
    uint64_t h = hu_hash(p, len);
    return h ? h : 1;
}

uint64_t hu_features_key_id(const struct hu_features *fx)
{
    return fx && fx->kp ? fx->kp->id : 0;
}

int hu_fx_worker_text_only(struct hu_fx_worker *w, int on)
{
    int was = w->text_only;
    w->text_only = on != 0;
    return was;
}

int hu_fx_worker_simhash(struct hu_fx_worker *w, int on)
{
    int was = !w->no_simhash;
    w->no_simhash = on == 0;
    return was;
}

void hu_fx_worker_counts(const struct hu_fx_worker *w, struct hu_fx_counts *out)
{
    *out = w->counts;
}

/* The `features` object of an event without prompt or system text
 * (huella featurize): 1 and *o filled when it can be used. */
static int read_featurized(struct hu_fx_worker *w, const struct hu_event *ev, struct hu_fz_object *o)
{
    if (ev->features_json.ptr == NULL || (ev->prompt.ptr != NULL && ev->system.ptr != NULL))
        return 0;
    if (hu_fz_read(w->fz, ev->features_json.ptr, ev->features_json.len, o) != HU_OK) {
        w->counts.bad++;
        return 0;
    }
    return 1;
}

/* Count an object whose features were used; one made under another key
 * (or keyed vs unkeyed) is used all the same: such events still link
 * among themselves, not with this deployment's raw text. */
static void count_featurized(struct hu_fx_worker *w, const struct hu_fz_object *o)
{
    uint64_t mine = hu_features_key_id(w->fx), theirs = (o->has & HU_FZ_HAS_KEY) ? o->key_id : 0;
    if (mine != theirs)
        w->counts.key_mismatch++;
    w->counts.featurized++;
}

/* ---- extract -------------------------------------------------------------- */

void hu_features_extract(struct hu_fx_worker *w, const struct hu_event *ev,
                         struct hu_req_features *out)
{
    float sum[HU_TARGET_COUNT] = { 0 }, model[HU_TARGET_COUNT] = { 0 };
    int have_model = 0;

    if (out == NULL)
        return;
    memset(out, 0, sizeof *out);
    if (w == NULL || ev == NULL)
        return;

    /* ---- text ---- */
    if (ev->prompt.ptr != NULL) {
        size_t len = ev->prompt.len;
        struct fx_slot *hit = NULL, *slot = NULL;
        uint64_t h = 0;
        if (len <= FX_CACHE_MAX_BYTES) {
            w->lookups++;
            hit = fx_cache_find(w->prompt_cache, FX_PROMPT_SLOTS, ev->prompt.ptr, len, &h, &slot);
            if (hit && hit->no_simhash && !w->no_simhash)
                hit = NULL;            /* stored without the SimHash now wanted */
        }
        if (hit) {
            w->hits++;
            out->prompt_chars = hit->prompt_chars;
            out->template_hash = hit->template_hash;
            out->simhash = hit->simhash;
            out->head_hash = hit->head_hash;
            out->tail_hash = hit->tail_hash;
            out->lang = hit->lang;
            memcpy(sum, hit->sum, sizeof sum);
            memcpy(model, hit->model, sizeof model);
            have_model = hit->have_model;
        } else {
            size_t chars = hu_text_chars(ev->prompt.ptr, len);
            out->prompt_chars = chars > UINT32_MAX ? UINT32_MAX : (uint32_t)chars;
            if (len > HU_MAX_FIELD_BYTES)
                len = HU_MAX_FIELD_BYTES;
            size_t sl = 0;
            const struct hu_fkey *k = w->fx->kp;
            /* the template is tokenised and its tokens hashed as it is
             * written; a deployment key seeds the shingle hashes
             * (featurized.h) */
            struct hu__tokbuf tb = { .toks = w->toks, .hs = w->no_simhash ? NULL : w->tok_hash, .cap = FX_TOKENS,
                                     .seed = k ? k->simhash_seed : HU_HASH_SEED };
            size_t tl = hu__text_normalise_tokens(ev->prompt.ptr, len, w->tpl, w->cap, w->scan, w->cap, &sl, &tb);
            out->template_hash = hu_fkey_hash(k, text_hash(w->tpl, tl));
            struct hu__text_feats tf;
            hu__text_feats_tokbuf(w->tpl, tl, &tb, &tf);
            out->simhash = tf.simhash;
            out->head_hash = tf.head;
            out->tail_hash = tf.tail;
            out->lang = (uint8_t)tf.lang;
            out->head_hash = hu_fkey_hash(k, out->head_hash);
            out->tail_hash = hu_fkey_hash(k, out->tail_hash);
            hu_targets_scan(w->fx->targets, w->scratch, w->scan, sl, sum, NULL, 0);
            if (w->fx->model != NULL) {
                if (tb.overflow)           /* more tokens than toks holds: walk */
                    hu_linear_score(w->fx->model, w->tpl, tl, model);
                else
                    hu_linear_score_tokens(w->fx->model, w->tpl, tb.toks, tb.n, model);
                have_model = 1;
            }
            if (slot && fx_cache_store(slot, h, ev->prompt.ptr, ev->prompt.len) == 0) {
                slot->prompt_chars = out->prompt_chars;
                slot->template_hash = out->template_hash;
                slot->simhash = out->simhash;
                slot->head_hash = out->head_hash;
                slot->tail_hash = out->tail_hash;
                slot->lang = out->lang;
                memcpy(slot->sum, sum, sizeof sum);
                memcpy(slot->model, model, sizeof model);
                slot->have_model = (uint8_t)have_model;
                slot->no_simhash = (uint8_t)w->no_simhash;
            }
        }
    }
    if (ev->system.ptr != NULL) {
        size_t len = ev->system.len > HU_MAX_FIELD_BYTES ? HU_MAX_FIELD_BYTES : ev->system.len;
        struct fx_slot *hit = NULL, *slot = NULL;
        uint64_t h = 0;
        if (len <= FX_CACHE_MAX_BYTES)
            hit = fx_cache_find(w->system_cache, FX_SYSTEM_SLOTS, ev->system.ptr, len, &h, &slot);
        if (hit) {
            out->system_hash = hit->template_hash;
        } else {
            size_t tl = hu_text_template(ev->system.ptr, len, w->tpl, w->cap);
            out->system_hash = hu_fkey_hash(w->fx->kp, text_hash(w->tpl, tl));
            if (slot && fx_cache_store(slot, h, ev->system.ptr, len) == 0)
                slot->template_hash = out->system_hash;
        }
    }
    /* featurized event (huella featurize): what the text would have given */
    struct hu_fz_object fo = { 0 };
    int fz = read_featurized(w, ev, &fo);
    if (fz && ev->prompt.ptr == NULL && (fo.has & HU_FZ_HAS_PROMPT)) {
        out->template_hash = fo.template_hash;
        out->simhash = fo.simhash;
        out->head_hash = fo.head_hash;
        out->tail_hash = fo.tail_hash;
        out->prompt_chars = fo.prompt_chars;
        out->lang = fo.lang;
    }
    if (fz && ev->system.ptr == NULL && (fo.has & HU_FZ_HAS_SYSTEM))
        out->system_hash = fo.system_hash;
    if (fz && ((ev->prompt.ptr == NULL && (fo.has & (HU_FZ_HAS_PROMPT | HU_FZ_HAS_TARGETS))) ||
               (ev->system.ptr == NULL && (fo.has & HU_FZ_HAS_SYSTEM))))
        count_featurized(w, &fo);

    /* ---- targets ---- */
    uint64_t th;
    unsigned tool_kinds;
    tools_features(w, ev, &th, &tool_kinds);
    if (ev->kind == HU_EV_REQUEST && fz && ev->prompt.ptr == NULL && (fo.has & HU_FZ_HAS_TARGETS)) {
        memcpy(out->target, fo.target, sizeof out->target);   /* final scores, shape included */
    } else if (ev->kind == HU_EV_REQUEST) {
        hu_targets_shape_with(ev, tool_kinds, sum);
        hu_targets_saturate(sum, out->target);
        if (have_model)
            for (int t = 0; t < HU_TARGET_COUNT; t++)
                if (model[t] > out->target[t])
                    out->target[t] = model[t];
    }
    if (w->text_only)
        return;                        /* featurize: the rest stays in the event */
    out->tools_hash = th;

    /* ---- network ---- */
    struct hu_ip ip;
    struct hu_net_info ni;
    memset(&ni, 0, sizeof ni);
    if (ev->ip.ptr != NULL && ev->ip.len > 0 && hu_ip_parse(ev->ip.ptr, ev->ip.len, &ip) == HU_OK) {
        out->ip_hash = hu_ip_hash(&ip);
        out->prefix_hash = hu_ip_prefix_hash(&ip);
        hu_netdb_lookup(w->fx->net, &ip, &ni);
        out->asn = ni.asn;
        out->net_class = ni.net_class;
    }
    if (ev->country.ptr != NULL && ev->country.len == 2) {
        for (int i = 0; i < 2; i++) {
            char c = ev->country.ptr[i];
            if (c >= 'a' && c <= 'z')
                c = (char)(c - 32);
            out->country[i] = (c >= 'A' && c <= 'Z') ? c : 0;
        }
        if (out->country[0] == 0 || out->country[1] == 0)
            out->country[0] = out->country[1] = 0;
    }
    if (out->country[0] == 0 && ni.country[0] != 0) {
        out->country[0] = ni.country[0];
        out->country[1] = ni.country[1];
    }

    /* ---- client, payment, model ---- */
    out->ua_hash = field_hash(ev->user_agent);
    if (ev->user_agent.ptr != NULL && ev->user_agent.len > 0) {
        struct fx_slot *hit = NULL, *slot = NULL;
        uint64_t h = 0;
        if (ev->user_agent.len <= FX_CACHE_MAX_BYTES)
            hit = fx_cache_find(w->ua_cache, FX_UA_SLOTS, ev->user_agent.ptr, ev->user_agent.len, &h, &slot);
        if (hit) {
            out->ua_family_hash = hit->template_hash;
        } else {
            char fam[128];
            out->ua_family_hash = hu_ua_family(ev->user_agent.ptr, ev->user_agent.len, fam, sizeof fam);
            if (slot && fx_cache_store(slot, h, ev->user_agent.ptr, ev->user_agent.len) == 0)
                slot->template_hash = out->ua_family_hash;
        }
    }
    out->client_fp_hash = field_hash(ev->client_fp);
    out->headers_fp_hash = field_hash(ev->headers_fp);
    out->payment_hash = field_hash(ev->payment_fp);
    out->model_hash = field_hash(ev->model);
}
