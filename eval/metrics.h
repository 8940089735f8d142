/*
 * metrics.h -- detection quality from ground truth: the numbers `huella
 * eval` prints.
 *
 * Input is one struct hu_eval_item per account: its true campaign (0 for
 * benign), its group (for break-downs: "benign/university" is one group),
 * and what huella said (score, flagged, predicted campaign).  All metrics
 * are exact (no sampling); ROC AUC is the Mann-Whitney statistic with ties
 * counted as one half.  Cost O(n log n) for the AUC sort, O(n) otherwise.
 */
#ifndef HU_EVAL_METRICS_H
#define HU_EVAL_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct hu_eval_item {
    uint32_t truth;      /* 0 benign, 1..n_true true campaign */
    uint32_t group;      /* 0..n_groups-1 */
    uint32_t pred;       /* 0 none, 1..n_pred predicted campaign */
    int      flagged;
    double   score;
};

struct hu_eval_campaign {     /* one true campaign */
    uint64_t accounts;
    uint64_t flagged;         /* true positives among them */
    double   recall;
    uint32_t split;           /* predicted campaigns holding >= 1 of its flagged accounts */
    uint32_t main_pred;       /* predicted campaign holding most of them (0: none) */
    double   main_share;      /* share of its flagged accounts in main_pred */
};

struct hu_eval_pred {         /* one predicted campaign */
    uint64_t accounts;
    uint32_t majority_truth;  /* most common truth among members (0 = benign) */
    double   purity;          /* share of members with that truth */
};

struct hu_eval_group {
    uint64_t accounts, flagged;
    double   flag_rate;       /* FPR for benign groups, recall for campaign groups */
};

struct hu_eval_result {
    uint64_t n, positives, negatives;
    uint64_t tp, fp, fn, tn;
    double precision, recall, f1, fpr, auc;
    /* purity over predicted campaigns, weighted by size; 1 if none */
    double purity;
    struct hu_eval_campaign *campaigns;   /* [n_true + 1], index 0 unused */
    struct hu_eval_pred *preds;           /* [n_pred + 1], index 0 unused */
    struct hu_eval_group *groups;         /* [n_groups] */
    uint32_t n_true, n_pred, n_groups;
};

/* Compute every metric.  `items` is not modified.  Returns HU_OK or
 * HU_ENOMEM; on success free the arrays with hu_eval_result_fini(). */
int  hu_eval_compute(const struct hu_eval_item *items, size_t n,
                     uint32_t n_true, uint32_t n_pred, uint32_t n_groups,
                     struct hu_eval_result *out);
void hu_eval_result_fini(struct hu_eval_result *r);

/* ROC AUC of `score` for positives (truth != 0) against negatives: the
 * probability that a random positive outscores a random negative.  0.5
 * when either class is empty. */
double hu_eval_auc(const struct hu_eval_item *items, size_t n);

#endif
