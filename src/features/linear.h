/*
 * linear.h -- a small linear model over hashed word n-grams, one logistic
 * regression per extraction target.
 *
 * Features: the unigrams and bigrams of the template text (hu_text_template
 * output: lower case, numbers/names/quotes/code masked), each hashed into
 * 2^b buckets (feature hashing, Weinberger et al. 2009); a prompt's vector
 * is its bucket counts scaled by 1/sqrt(n-grams), so long and short
 * prompts weigh alike.  score_t = sigmoid(bias_t + sum_i x_i * w[i][t]).
 * Weights are stored bucket-major (the 7 targets of one bucket are
 * adjacent) so that one n-gram costs one cache line.
 *
 * Model file (little-endian), written by hu_linear_save*(), read by
 * hu_linear_load*() which validates everything before use:
 *
 *   offset  size        field
 *   0       8           magic "HUELLALM"
 *   8       4           version (1)
 *   12      4           n_targets (must equal HU_TARGET_COUNT)
 *   16      4           log2_buckets (8..22)
 *   20      4           reserved (0)
 *   24      8           total file length in bytes
 *   32      16*T        target codes, NUL-padded (must match hu_target_code)
 *   ..      4*T         bias per target (float32)
 *   ..      4*T*2^b     weights, bucket-major (float32)
 *   end-8   8           XXH3-64 (HU_HASH_SEED) of all preceding bytes
 *
 * Every float must be finite and |w| <= 1e4 (HU_LINEAR_MAX_WEIGHT).
 */
#ifndef HU_FEATURES_LINEAR_H
#define HU_FEATURES_LINEAR_H

#include <stddef.h>
#include <stdint.h>
#include "huella/hu_status.h"
#include "core/buf.h"
#include "features/features.h"

#define HU_LINEAR_MAGIC       "HUELLALM"
#define HU_LINEAR_VERSION     1u
#define HU_LINEAR_MIN_LOG2    8u
#define HU_LINEAR_MAX_LOG2    22u     /* 4M buckets * 7 * 4 B = 117 MB: the cap on a model file */
#define HU_LINEAR_MAX_WEIGHT  1e4f
#define HU_LINEAR_DEFAULT_LOG2 18u

struct hu_linear_model {
    uint32_t log2_buckets;
    float bias[HU_TARGET_COUNT];
    float *w;                /* [2^log2_buckets][HU_TARGET_COUNT] and one 0.0f
                              * of padding (the scorer reads rows as 8), owned */
};

/* An all-zero model (every score 0.5 before training... see fit).  */
HU_MUST_CHECK int hu_linear_create(uint32_t log2_buckets, struct hu_linear_model **out);
void hu_linear_destroy(struct hu_linear_model *m);

/* Validate and load a model from untrusted bytes.  HU_OK, HU_ECORRUPT (bad
 * magic, length, checksum, non-finite or huge weight, unknown target),
 * HU_EVERSION, HU_ENOMEM.  *reason (if not NULL) gets a static string
 * saying what was wrong.  O(len). */
HU_MUST_CHECK int hu_linear_load_buf(const void *buf, size_t len, struct hu_linear_model **out,
                                     const char **reason);
/* The same from a file; errbuf gets "<path>: <reason>". */
HU_MUST_CHECK int hu_linear_load(const char *path, struct hu_linear_model **out, char *errbuf,
                                 size_t errcap);
/* Serialise into b (appended).  HU_OK, HU_ENOMEM, HU_ETOOBIG. */
HU_MUST_CHECK int hu_linear_save_buf(const struct hu_linear_model *m, struct hu_buf *b);
HU_MUST_CHECK int hu_linear_save(const struct hu_linear_model *m, const char *path);

/* Probabilities in 0..1 per target for template text norm[0..len).
 * O(len + 7 * n-grams), no allocation.  m == NULL: all 0. */
void hu_linear_score(const struct hu_linear_model *m, const char *norm, size_t len,
                     float out[HU_TARGET_COUNT]);

/* The same scores, bit for bit, from the tokens of norm already found:
 * toks[0..n) must be all of hu__tokenize(norm, ...)'s tokens (text.h; the
 * normaliser's struct hu__tokbuf gives them when it did not overflow).
 * Saves the walk over the text.  O(7 * n-grams), no allocation. */
struct hu__token;
void hu_linear_score_tokens(const struct hu_linear_model *m, const char *norm,
                            const struct hu__token *toks, size_t n, float out[HU_TARGET_COUNT]);

/* ---- training ------------------------------------------------------------ */

struct hu_linear_example {
    const char *text;      /* RAW prompt text (normalised inside, as at scoring) */
    size_t len;
    uint32_t labels;       /* bit t set: the prompt aims at target t */
};

struct hu_linear_fit_params {
    uint32_t log2_buckets;   /* 0: HU_LINEAR_DEFAULT_LOG2 */
    uint32_t epochs;         /* 0: 10 */
    float lr;                /* initial learning rate; 0: 0.5 */
    float l2;                /* L2 penalty per step on touched weights; 0: 1e-6 */
    uint64_t seed;           /* example order; same seed + data = same model */
};

/* Fit per-target logistic regressions by SGD over hashed n-grams.
 * Deterministic: examples are visited in a seeded permutation each epoch,
 * learning rate lr / (1 + epoch).  Targets no example is labelled with
 * keep a strongly negative bias.  HU_OK, HU_EINVAL (n == 0, NULL),
 * HU_ENOMEM.  Cost O(epochs * total n-grams * 7); memory 28 B * 2^b plus
 * 4 B per n-gram of the set. */
HU_MUST_CHECK int hu_linear_fit(const struct hu_linear_example *ex, size_t n,
                                const struct hu_linear_fit_params *params,
                                struct hu_linear_model **out);

/* Hashed features of template text: writes the first min(n, cap) bucket
 * indexes into idx and returns n, the number of n-grams (call with cap 0
 * to count).  Exposed for tests and for fitting. */
size_t hu_linear_features(const char *norm, size_t len, uint32_t log2_buckets, uint32_t *idx,
                          size_t cap);

#endif
