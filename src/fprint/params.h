/*
 * params.h -- tuning constants of campaign fingerprints and the sequential
 * binding test, with their reasons (STYLE.md 23).  Values marked "regrowth
 * 0.02" come from `huella simulate --scenario regrowth --scale 0.02 --seed 1`
 * split at day 9 (docs/fingerprints.md has the commands and the numbers).
 */
#ifndef HU_FPRINT_PARAMS_H
#define HU_FPRINT_PARAMS_H

/* Per-request llr clamps, nats.  No single request may decide: a token the
 * background never showed is worth at most HU_FP_HIT_MAX (e^4 = 55x), and
 * a whole request at most HU_FP_REQ_MAX, so binding always takes several
 * requests and one odd coincidence cannot bind an honest account. */
#define HU_FP_HIT_MAX        4.0
#define HU_FP_HIT_MIN       -1.0     /* a campaign value that is commoner outside it */
#define HU_FP_MISS_MIN      -5.0     /* a value the campaign never used */
#define HU_FP_MISS_MAX       1.0
#define HU_FP_HOUR_MAX       1.0
#define HU_FP_TARGET_MAX     2.0
#define HU_FP_THINK_MAX      1.0
#define HU_FP_PLEN_MAX       1.5
#define HU_FP_REQ_MAX        8.0
#define HU_FP_REQ_MIN       -8.0

/* Presence of an operator token type (system prompt, tools) in a request
 * vs the campaign's habit: an account that never sends a system prompt
 * when the campaign always does. */
#define HU_FP_PRESENT_MIN   -4.0
#define HU_FP_PRESENT_MAX    1.0

/* Probability floors: a campaign's share of a value and the background's,
 * so that ratios stay finite. */
#define HU_FP_PC_FLOOR       1e-3
#define HU_FP_PB_FLOOR       1e-5
#define HU_FP_OTHER_FLOOR    0.005

/* Wald's lower boundary, nats: a candidate whose sum falls to -REJECT is
 * rejected for the account for good.  Without it (Page's CUSUM, reflected at
 * 0) an honest account with thousands of requests and a negative drift
 * still wanders over any threshold now and then: regrowth 0.05 seed 2 bound
 * 2 of 45 coding-agent products and 1 of 500 company accounts that way,
 * after 144..3788 requests. */
#define HU_FP_REJECT         10.0

/* Wald's bound: an account is never bound below log(1/alpha) nats, so that
 * under the model each account has a false-match probability <= alpha per
 * candidate.  1e-5 (11.5 nats), not 1e-4 (9.2): with 10^4..10^6 benign
 * accounts and up to 4 candidates each, it keeps false binds under 0.1% even
 * if the naive-Bayes model overstates the evidence tenfold.  At 1e-4, 2 of
 * 600 students were bound under --evade paraphrase (regrowth 0.05 seed 2):
 * the paraphraser's sentences resemble homework, at 9.9 and 10.2 nats. */
#define HU_FP_ALPHA          1e-5
/* Which benign account sets the threshold: the 99.9th percentile of the
 * largest SPRT sum each reached (not the maximum: the library-building run's
 * "benign" accounts include the few campaign accounts it missed, and one of
 * them would set the threshold at thousands of nats).  The target is at most
 * 0.1% of benign accounts bound; the margin below keeps well under it. */
#define HU_FP_CALIB_QUANTILE 0.999
/* Nats above the quantile of the largest sum any benign account reached in the
 * library-building run (hu_fp_lib_calibrate). */
#define HU_FP_MARGIN         2.0

/* Age decay of matching weights: an entry not confirmed for a half-life
 * counts half; floored so that an old entry still binds on strong evidence. */
#define HU_FP_HALF_LIFE_DAYS 30.0
#define HU_FP_AGE_FLOOR      0.05

/* Selective values: carried by under 0.1% of background requests.  Only
 * they make a request positive evidence (fprint.c), and only they propose
 * candidates, if listed by at most 32 entries.  1% was too loose: closing
 * phrases of the cot campaign's prompts (0.5% of benign requests) bound 2
 * of 500 company accounts in regrowth 0.05 seed 2.  The popular SDK every campaign also
 * uses would otherwise propose all of them on every request (bench_fprint:
 * 132 us per request at 1,000 entries without it). */
#define HU_FP_CAND_MAX_PB        0.001
#define HU_FP_CAND_MAX_POSTINGS  32

/* Tokens kept per type per entry: the heaviest ones (by pc).  A campaign
 * rotating thousands of user agents needs no more than its commonest. */
#define HU_FP_TOK_PER_TYPE   64
/* A token enters a fingerprint only if at least this share of the
 * campaign's requests carry it (noise from a single member stays out). */
#define HU_FP_TOK_MIN_PC     0.002

#endif
