/*
 * features.c -- the per-request feature stage (features.h is the manual).
 *
 * One call, one event, a fixed-size struct of hashes and small numbers:
 *
 *   prompt ──► hu_text_normalise ──► template text ──► template_hash (XXH3)
 *                                  │                 ├─► simhash, lang
 *                                  │                 └─► linear model (if loaded)
 *                                  └► scan text ─────► Hyperscan phrase table
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

struct hu_fx_worker {
    const struct hu_features *fx;
    struct hu_targets_scratch *scratch;
    char *tpl, *scan;                 /* HU_TEXT_OUT_CAP(HU_MAX_FIELD_BYTES) each */
    size_t cap;
    struct hu_fz_reader *fz;          /* reads `features` objects */
    struct hu_fx_counts counts;
    int text_only;                    /* hu_fx_worker_text_only() */
};

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
        size_t chars = hu_text_chars(ev->prompt.ptr, len);
        out->prompt_chars = chars > UINT32_MAX ? UINT32_MAX : (uint32_t)chars;
        if (len > HU_MAX_FIELD_BYTES)
            len = HU_MAX_FIELD_BYTES;
        size_t sl = 0;
        size_t tl = hu_text_normalise(ev->prompt.ptr, len, w->tpl, w->cap, w->scan, w->cap, &sl);
        const struct hu_fkey *k = w->fx->kp;
        out->template_hash = hu_fkey_hash(k, text_hash(w->tpl, tl));
        out->simhash = k ? hu_text_simhash_seeded(w->tpl, tl, k->simhash_seed) : hu_text_simhash(w->tpl, tl);
        hu_text_head_tail(w->tpl, tl, &out->head_hash, &out->tail_hash);
        out->head_hash = hu_fkey_hash(k, out->head_hash);
        out->tail_hash = hu_fkey_hash(k, out->tail_hash);
        out->lang = (uint8_t)hu_lang_guess(w->tpl, tl);
        hu_targets_scan(w->fx->targets, w->scratch, w->scan, sl, sum, NULL, 0);
        if (w->fx->model != NULL) {
            hu_linear_score(w->fx->model, w->tpl, tl, model);
            have_model = 1;
        }
    }
    if (ev->system.ptr != NULL) {
        size_t len = ev->system.len > HU_MAX_FIELD_BYTES ? HU_MAX_FIELD_BYTES : ev->system.len;
        size_t tl = hu_text_template(ev->system.ptr, len, w->tpl, w->cap);
        out->system_hash = hu_fkey_hash(w->fx->kp, text_hash(w->tpl, tl));
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
    if (ev->kind == HU_EV_REQUEST && fz && ev->prompt.ptr == NULL && (fo.has & HU_FZ_HAS_TARGETS)) {
        memcpy(out->target, fo.target, sizeof out->target);   /* final scores, shape included */
    } else if (ev->kind == HU_EV_REQUEST) {
        hu_targets_shape(ev, sum);
        hu_targets_saturate(sum, out->target);
        if (have_model)
            for (int t = 0; t < HU_TARGET_COUNT; t++)
                if (model[t] > out->target[t])
                    out->target[t] = model[t];
    }
    if (w->text_only)
        return;                        /* featurize: the rest stays in the event */
    out->tools_hash = tools_hash(ev);

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
        char fam[128];
        out->ua_family_hash = hu_ua_family(ev->user_agent.ptr, ev->user_agent.len, fam, sizeof fam);
    }
    out->client_fp_hash = field_hash(ev->client_fp);
    out->headers_fp_hash = field_hash(ev->headers_fp);
    out->payment_hash = field_hash(ev->payment_fp);
    out->model_hash = field_hash(ev->model);
}
