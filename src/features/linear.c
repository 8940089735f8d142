/*
 * linear.c -- hashed n-gram logistic model: scoring, file format, fitting.
 *
 * Why a linear model next to the phrase table: patterns catch the phrasing
 * we thought of; a campaign that rewords its template ("lay out the
 * thinking that must have produced this answer") slips past them but still
 * shares vocabulary with labelled examples.  A hashed linear model is the
 * cheapest thing that generalises from labelled traffic: scoring costs one
 * cache line per n-gram, the file is a flat array, and fitting is plain
 * SGD that `huella train` can run on a day of labelled events in seconds.
 *
 * Determinism: the n-gram hash is XXH3 with the fixed seed, the example
 * order a seeded Fisher-Yates permutation per epoch, and floating-point
 * updates happen in one fixed order, so one input gives one model file
 * byte for byte on a given platform.
 *
 * Hostile model files: hu_linear_load_buf() checks magic, version, target
 * codes, size arithmetic (no overflow: log2 <= 22), exact length, checksum,
 * and every weight before anything uses them.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "features/linear.h"
#include "features/text.h"
#include "core/alloc.h"
#include "core/hash.h"

#define NT HU_TARGET_COUNT
#define HDR_BYTES 32u
#define CODE_BYTES 16u

/* ---- features ------------------------------------------------------------- */

static inline uint32_t bucket(uint64_t h, uint32_t log2)
{
    return (uint32_t)(hu_hash_mix(h) >> (64 - log2));
}

/* Calls back f(bucket) for each unigram and bigram of the template text. */
#define FOR_EACH_NGRAM(norm, len, log2, B, BODY)                                  \
    do {                                                                          \
        size_t pos_ = 0, st_ = 0;                                                 \
        int cjk_ = 0, havep_ = 0;                                                 \
        uint64_t prev_ = 0;                                                       \
        while (hu__next_token((norm), (len), &pos_, &st_, &cjk_)) {               \
            uint64_t h_ = hu_hash((norm) + st_, pos_ - st_);                      \
            uint32_t B;                                                           \
            B = bucket(h_, (log2));                                               \
            BODY;                                                                 \
            if (havep_) {                                                         \
                B = bucket(hu_hash_combine(prev_, h_), (log2));                   \
                BODY;                                                             \
            }                                                                     \
            prev_ = h_;                                                           \
            havep_ = 1;                                                           \
        }                                                                         \
    } while (0)

size_t hu_linear_features(const char *norm, size_t len, uint32_t log2_buckets, uint32_t *idx,
                          size_t cap)
{
    size_t n = 0;
    if (norm == NULL || log2_buckets < 1 || log2_buckets > 31)
        return 0;
    FOR_EACH_NGRAM(norm, len, log2_buckets, b, {
        if (n < cap)
            idx[n] = b;
        n++;
    });
    return n;
}

static inline float sigmoid(float z)
{
    if (z > 30.f)
        return 1.f;
    if (z < -30.f)
        return 0.f;
    return 1.f / (1.f + expf(-z));
}

/* ---- scoring --------------------------------------------------------------
 *
 * A prompt's score adds one weight row (NT = 7 floats) per n-gram, at a
 * bucket the hash makes random.  On real prompt text (a vocabulary of tens
 * of thousands of words) those rows are spread over the whole table, 7.3 MB
 * at the default size, and nearly every read misses the L2 cache; the
 * plain loop met them one after another.  So the scorer works in blocks of
 * SCORE_BLOCK tokens: it hashes a block's tokens, computes and prefetches
 * their rows, then adds the rows of the block before, which have been
 * arriving meanwhile.
 *
 * The sums are kept in two vectors of four lanes, in registers: lanes 0-6
 * are the targets, lane 7 takes the next row's first float (or the table's
 * padding float) and is never read.  Each lane adds its target's weights
 * in n-gram order, as the scalar loop over z[] in memory did, so every
 * score is the same float bit for bit (tests/unit/test_linear.c holds both
 * scorers to that loop).  The scalar loop also stored and reloaded each sum
 * at every row -- the weights could alias z[].  Four lanes, not eight:
 * without AVX in the build GCC spills an 8-lane vector to the stack at
 * every add.  Measured (mine, bench_json's real-prompts file, the row
 * with the target model): docs/performance.md. */

typedef float score_v4 __attribute__((vector_size(4 * sizeof(float))));
_Static_assert(NT == 7, "the scorer reads a row as 8 floats");

#define SCORE_BLOCK 32u     /* tokens per block: up to 63 rows prefetched */

struct score_acc {
    score_v4 lo, hi;        /* targets 0-3, 4-6 (lane 7 unused) */
    size_t n;               /* n-grams added */
    uint64_t prev;          /* hash of the previous token */
    int have_prev;
    uint32_t row[2][2 * SCORE_BLOCK];   /* rows of two blocks: one prefetched, one to add */
    size_t n_row[2];
    unsigned pending;       /* row[pending]: prefetched, not yet added */
};

static void score_init(struct score_acc *a)
{
    memset(&a->lo, 0, sizeof a->lo);
    memset(&a->hi, 0, sizeof a->hi);
    a->n = 0;
    a->prev = 0;
    a->have_prev = 0;
    a->n_row[0] = a->n_row[1] = 0;
    a->pending = 0;
}

/* Adds the rows of block `which`, in order, into sums held in registers. */
static void score_add(const struct hu_linear_model *m, struct score_acc *a, unsigned which)
{
    score_v4 lo = a->lo, hi = a->hi;
    const uint32_t *r = a->row[which];
    for (size_t i = 0; i < a->n_row[which]; i++) {
        const float *w = m->w + (size_t)r[i] * NT;
        score_v4 w0, w1;
        memcpy(&w0, w, sizeof w0);
        memcpy(&w1, w + 4, sizeof w1);
        lo += w0;
        hi += w1;
    }
    a->lo = lo;
    a->hi = hi;
    a->n += a->n_row[which];
    a->n_row[which] = 0;
}

/* Takes the next k tokens (hashes h[0..k)): computes and prefetches the
 * rows of their n-grams (each token's unigram, then its bigram with the
 * token before it), then adds the rows of the block before. */
static void score_block(const struct hu_linear_model *m, struct score_acc *a, const uint64_t *h,
                        size_t k)
{
    unsigned nx = a->pending ^ 1u;
    uint32_t *r = a->row[nx];
    size_t n = 0;
    for (size_t i = 0; i < k; i++) {
        r[n++] = bucket(h[i], m->log2_buckets);
        if (a->have_prev)
            r[n++] = bucket(hu_hash_combine(a->prev, h[i]), m->log2_buckets);
        a->prev = h[i];
        a->have_prev = 1;
    }
    for (size_t i = 0; i < n; i++) {
        const char *w = (const char *)(m->w + (size_t)r[i] * NT);
        __builtin_prefetch(w);
        __builtin_prefetch(w + 8 * sizeof(float) - 1);     /* a row may span two lines */
    }
    a->n_row[nx] = n;
    score_add(m, a, a->pending);
    a->pending = nx;
}

static void score_finish(const struct hu_linear_model *m, struct score_acc *a,
                         float out[HU_TARGET_COUNT])
{
    score_add(m, a, a->pending);
    float z[8];
    memcpy(z, &a->lo, sizeof a->lo);
    memcpy(z + 4, &a->hi, sizeof a->hi);
    float s = a->n ? 1.0f / sqrtf((float)a->n) : 0.f;
    for (int t = 0; t < NT; t++)
        out[t] = sigmoid(m->bias[t] + z[t] * s);
}

void hu_linear_score(const struct hu_linear_model *m, const char *norm, size_t len,
                     float out[HU_TARGET_COUNT])
{
    if (m == NULL || norm == NULL) {
        for (int t = 0; t < NT; t++)
            out[t] = 0;
        return;
    }
    struct score_acc a;
    score_init(&a);
    uint64_t h[SCORE_BLOCK];
    size_t k = 0, pos = 0, st = 0;
    int cjk = 0;
    while (hu__next_token(norm, len, &pos, &st, &cjk)) {
        h[k++] = hu_hash(norm + st, pos - st);
        if (k == SCORE_BLOCK) {
            score_block(m, &a, h, k);
            k = 0;
        }
    }
    score_block(m, &a, h, k);
    score_finish(m, &a, out);
}

void hu_linear_score_tokens(const struct hu_linear_model *m, const char *norm,
                            const struct hu__token *toks, size_t n, float out[HU_TARGET_COUNT])
{
    if (m == NULL || norm == NULL) {
        for (int t = 0; t < NT; t++)
            out[t] = 0;
        return;
    }
    struct score_acc a;
    score_init(&a);
    uint64_t h[SCORE_BLOCK];
    for (size_t i = 0; i < n; i += SCORE_BLOCK) {
        size_t k = n - i < SCORE_BLOCK ? n - i : SCORE_BLOCK;
        for (size_t j = 0; j < k; j++)
            h[j] = hu_hash(norm + toks[i + j].start, toks[i + j].end - toks[i + j].start);
        score_block(m, &a, h, k);
    }
    score_finish(m, &a, out);
}

/* ---- lifetime ------------------------------------------------------------- */

int hu_linear_create(uint32_t log2_buckets, struct hu_linear_model **out)
{
    if (out == NULL || log2_buckets < HU_LINEAR_MIN_LOG2 || log2_buckets > HU_LINEAR_MAX_LOG2)
        return HU_EINVAL;
    *out = NULL;
    struct hu_linear_model *m = hu_calloc(1, sizeof *m);
    if (m == NULL)
        return HU_ENOMEM;
    m->log2_buckets = log2_buckets;
    /* + one float: the scorer reads the last row as 8 */
    size_t bytes = ((size_t)1 << log2_buckets) * NT * sizeof(float);
    m->w = hu_calloc(1, bytes + sizeof(float));
    if (m->w == NULL) {
        hu_free(m);
        return HU_ENOMEM;
    }
    *out = m;
    return HU_OK;
}

void hu_linear_destroy(struct hu_linear_model *m)
{
    if (m == NULL)
        return;
    hu_free(m->w);
    hu_free(m);
}

/* ---- file format ---------------------------------------------------------- */

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}
static void put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}
static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get64(const unsigned char *p)
{
    return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}
static void putf(unsigned char *p, float f)
{
    uint32_t v;
    memcpy(&v, &f, 4);
    put32(p, v);
}
static float getf(const unsigned char *p)
{
    uint32_t v = get32(p);
    float f;
    memcpy(&f, &v, 4);
    return f;
}

static size_t file_bytes(uint32_t log2)
{
    return HDR_BYTES + (size_t)CODE_BYTES * NT + 4u * NT + 4u * NT * ((size_t)1 << log2) + 8u;
}

int hu_linear_save_buf(const struct hu_linear_model *m, struct hu_buf *b)
{
    if (m == NULL || b == NULL || m->w == NULL)
        return HU_EINVAL;
    size_t total = file_bytes(m->log2_buckets);
    unsigned char *p = (unsigned char *)hu_buf_reserve(b, total);
    if (p == NULL)
        return HU_ENOMEM;
    memset(p, 0, total);
    memcpy(p, HU_LINEAR_MAGIC, 8);
    put32(p + 8, HU_LINEAR_VERSION);
    put32(p + 12, NT);
    put32(p + 16, m->log2_buckets);
    put64(p + 24, total);
    unsigned char *q = p + HDR_BYTES;
    for (int t = 0; t < NT; t++, q += CODE_BYTES) {
        const char *code = hu_target_code((enum hu_target)t);
        size_t n = strlen(code);
        memcpy(q, code, n < CODE_BYTES - 1 ? n : CODE_BYTES - 1);
    }
    for (int t = 0; t < NT; t++, q += 4)
        putf(q, m->bias[t]);
    size_t nw = (size_t)NT << m->log2_buckets;
    for (size_t i = 0; i < nw; i++, q += 4)
        putf(q, m->w[i]);
    put64(q, hu_hash(p, total - 8));
    hu_buf_commit(b, total);
    return HU_OK;
}

int hu_linear_save(const struct hu_linear_model *m, const char *path)
{
    struct hu_buf b;
    int rc;
    if (path == NULL)
        return HU_EINVAL;
    hu_buf_init(&b, file_bytes(HU_LINEAR_MAX_LOG2));
    rc = hu_linear_save_buf(m, &b);
    if (rc == HU_OK) {
        FILE *f = fopen(path, "wb");
        if (f == NULL) {
            rc = HU_EIO;
        } else {
            if (fwrite(b.ptr, 1, b.len, f) != b.len)
                rc = HU_EIO;
            if (fclose(f) != 0)
                rc = HU_EIO;
        }
    }
    hu_buf_fini(&b);
    return rc;
}

int hu_linear_load_buf(const void *buf, size_t len, struct hu_linear_model **out,
                       const char **reason)
{
    const unsigned char *p = buf;
    const char *why = NULL;
    int rc = HU_ECORRUPT;
    struct hu_linear_model *m = NULL;

    if (out == NULL)
        return HU_EINVAL;
    *out = NULL;
    if (p == NULL || len < HDR_BYTES) {
        why = "shorter than the header";
        goto fail;
    }
    if (memcmp(p, HU_LINEAR_MAGIC, 8) != 0) {
        why = "bad magic (not a huella linear model)";
        goto fail;
    }
    if (get32(p + 8) != HU_LINEAR_VERSION) {
        why = "unsupported version";
        rc = HU_EVERSION;
        goto fail;
    }
    if (get32(p + 12) != NT) {
        why = "target count differs from this build";
        goto fail;
    }
    uint32_t log2 = get32(p + 16);
    if (log2 < HU_LINEAR_MIN_LOG2 || log2 > HU_LINEAR_MAX_LOG2) {
        why = "bucket count out of range";
        goto fail;
    }
    if (get32(p + 20) != 0) {
        why = "reserved field not zero";
        goto fail;
    }
    size_t total = file_bytes(log2);
    if (get64(p + 24) != total || len != total) {
        why = "length does not match the header";
        goto fail;
    }
    if (get64(p + total - 8) != hu_hash(p, total - 8)) {
        why = "checksum mismatch";
        goto fail;
    }
    const unsigned char *q = p + HDR_BYTES;
    for (int t = 0; t < NT; t++, q += CODE_BYTES) {
        const char *code = hu_target_code((enum hu_target)t);
        size_t n = strlen(code);
        if (n >= CODE_BYTES || memcmp(q, code, n) != 0 || q[n] != 0) {
            why = "target codes differ from this build";
            goto fail;
        }
    }
    rc = hu_linear_create(log2, &m);
    if (rc != HU_OK) {
        why = "out of memory";
        goto fail;
    }
    rc = HU_ECORRUPT;
    for (int t = 0; t < NT; t++, q += 4) {
        float f = getf(q);
        if (!isfinite(f) || fabsf(f) > HU_LINEAR_MAX_WEIGHT) {
            why = "bias not finite or too large";
            goto fail;
        }
        m->bias[t] = f;
    }
    size_t nw = (size_t)NT << log2;
    for (size_t i = 0; i < nw; i++, q += 4) {
        float f = getf(q);
        if (!isfinite(f) || fabsf(f) > HU_LINEAR_MAX_WEIGHT) {
            why = "weight not finite or too large";
            goto fail;
        }
        m->w[i] = f;
    }
    *out = m;
    if (reason)
        *reason = NULL;
    return HU_OK;
fail:
    hu_linear_destroy(m);
    if (reason)
        *reason = why;
    return rc;
}

int hu_linear_load(const char *path, struct hu_linear_model **out, char *errbuf, size_t errcap)
{
    FILE *f = NULL;
    unsigned char *data = NULL;
    const char *why = NULL;
    int rc;
    long sz;

    if (path == NULL || out == NULL)
        return HU_EINVAL;
    *out = NULL;
    f = fopen(path, "rb");
    if (f == NULL) {
        rc = HU_ENOENT;
        why = "cannot open";
        goto fail;
    }
    sz = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (sz < 0 || fseek(f, 0, SEEK_SET) != 0) {
        rc = HU_EIO;
        why = "cannot read";
        goto fail;
    }
    if ((size_t)sz > file_bytes(HU_LINEAR_MAX_LOG2)) {
        rc = HU_ETOOBIG;
        why = "larger than the biggest model";
        goto fail;
    }
    data = hu_malloc((size_t)sz + 1);
    if (data == NULL) {
        rc = HU_ENOMEM;
        why = "out of memory";
        goto fail;
    }
    if (fread(data, 1, (size_t)sz, f) != (size_t)sz) {
        rc = HU_EIO;
        why = "short read";
        goto fail;
    }
    rc = hu_linear_load_buf(data, (size_t)sz, out, &why);
fail:
    if (rc != HU_OK && errbuf && errcap)
        snprintf(errbuf, errcap, "%s: %s", path, why ? why : hu_status_str(rc));
    hu_free(data);
    if (f)
        fclose(f);
    return rc;
}

/* ---- fitting -------------------------------------------------------------- */

int hu_linear_fit(const struct hu_linear_example *ex, size_t n,
                  const struct hu_linear_fit_params *params, struct hu_linear_model **out)
{
    struct hu_linear_fit_params pr = { 0 };
    struct hu_linear_model *m = NULL;
    size_t *off = NULL, *order = NULL, total = 0, cap = 0, maxlen = 0;
    uint32_t *idx = NULL;
    char *norm = NULL;
    int rc;

    if (ex == NULL || n == 0 || out == NULL)
        return HU_EINVAL;
    *out = NULL;
    if (params)
        pr = *params;
    if (pr.log2_buckets == 0)
        pr.log2_buckets = HU_LINEAR_DEFAULT_LOG2;
    if (pr.epochs == 0)
        pr.epochs = 10;
    if (!(pr.lr > 0))
        pr.lr = 0.5f;
    if (!(pr.l2 > 0))
        pr.l2 = 1e-6f;

    rc = hu_linear_create(pr.log2_buckets, &m);
    if (rc != HU_OK)
        goto fail;
    rc = HU_ENOMEM;
    off = hu_calloc(n + 1, sizeof *off);
    order = hu_calloc(n, sizeof *order);
    if (off == NULL || order == NULL)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        if (ex[i].text == NULL && ex[i].len) {
            rc = HU_EINVAL;
            goto fail;
        }
        size_t l = ex[i].len > HU_MAX_FIELD_BYTES ? HU_MAX_FIELD_BYTES : ex[i].len;
        if (l > maxlen)
            maxlen = l;
    }
    norm = hu_malloc(HU_TEXT_OUT_CAP(maxlen));
    if (norm == NULL)
        goto fail;

    /* Featurise once: the n-grams of every example, concatenated. */
    for (size_t i = 0; i < n; i++) {
        size_t l = ex[i].len > HU_MAX_FIELD_BYTES ? HU_MAX_FIELD_BYTES : ex[i].len;
        size_t nl = hu_text_template(ex[i].text, l, norm, HU_TEXT_OUT_CAP(maxlen));
        size_t k = hu_linear_features(norm, nl, pr.log2_buckets, NULL, 0);
        if (hu_grow((void **)&idx, &cap, total + k + 1, sizeof *idx, 1024) != HU_OK)
            goto fail;
        hu_linear_features(norm, nl, pr.log2_buckets, idx + total, k);
        off[i] = total;
        total += k;
    }
    off[n] = total;

    uint64_t rng = pr.seed ^ UINT64_C(0x5eed5eed5eed5eed);
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    for (uint32_t e = 0; e < pr.epochs; e++) {
        for (size_t i = n - 1; i > 0; i--) {          /* Fisher-Yates, seeded */
            rng = hu_hash_mix(rng);
            size_t j = (size_t)(rng % (i + 1));
            size_t tmp = order[i];
            order[i] = order[j];
            order[j] = tmp;
        }
        float lr = pr.lr / (1.0f + (float)e);
        for (size_t r = 0; r < n; r++) {
            size_t i = order[r];
            size_t a = off[i], b = off[i + 1];
            float s = b > a ? 1.0f / sqrtf((float)(b - a)) : 0.f;
            float z[NT];
            for (int t = 0; t < NT; t++)
                z[t] = 0;
            for (size_t k = a; k < b; k++) {
                const float *w = m->w + (size_t)idx[k] * NT;
                for (int t = 0; t < NT; t++)
                    z[t] += w[t];
            }
            float g[NT];
            for (int t = 0; t < NT; t++) {
                float y = (ex[i].labels >> t) & 1 ? 1.f : 0.f;
                g[t] = sigmoid(m->bias[t] + z[t] * s) - y;
                m->bias[t] -= lr * g[t];
            }
            for (size_t k = a; k < b; k++) {
                float *w = m->w + (size_t)idx[k] * NT;
                for (int t = 0; t < NT; t++) {
                    w[t] -= lr * (g[t] * s + pr.l2 * w[t]);
                    if (w[t] > HU_LINEAR_MAX_WEIGHT)
                        w[t] = HU_LINEAR_MAX_WEIGHT;
                    else if (w[t] < -HU_LINEAR_MAX_WEIGHT)
                        w[t] = -HU_LINEAR_MAX_WEIGHT;
                }
            }
            for (int t = 0; t < NT; t++) {
                if (m->bias[t] > HU_LINEAR_MAX_WEIGHT)
                    m->bias[t] = HU_LINEAR_MAX_WEIGHT;
                else if (m->bias[t] < -HU_LINEAR_MAX_WEIGHT)
                    m->bias[t] = -HU_LINEAR_MAX_WEIGHT;
            }
        }
    }
    *out = m;
    m = NULL;
    rc = HU_OK;
fail:
    hu_free(norm);
    hu_free(idx);
    hu_free(order);
    hu_free(off);
    hu_linear_destroy(m);
    return rc;
}
