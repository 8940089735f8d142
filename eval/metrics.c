/*
 * metrics.c -- see metrics.h.
 *
 * Split and purity follow the usual clustering definitions: a true
 * campaign is "split" over the predicted campaigns that hold any of its
 * flagged accounts; a predicted campaign's purity is the share of its
 * members whose truth is the majority truth (benign members count as their
 * own class, so a predicted campaign full of honest accounts has high
 * purity but a benign majority: report both).
 */
#include "eval/metrics.h"
#include "core/alloc.h"
#include "core/sort.h"
#include "huella/hu_status.h"

#include <stdlib.h>
#include <string.h>

struct scored { double score; int pos; };

static int cmp_scored(const void *a, const void *b)
{
    double x = ((const struct scored *)a)->score, y = ((const struct scored *)b)->score;
    return (x > y) - (x < y);
}

double hu_eval_auc(const struct hu_eval_item *items, size_t n)
{
    size_t npos = 0;
    for (size_t i = 0; i < n; i++)
        npos += items[i].truth != 0;
    size_t nneg = n - npos;
    if (!npos || !nneg)
        return 0.5;
    struct scored *s = hu_malloc(n * sizeof *s);
    if (!s)
        return -1.0;
    for (size_t i = 0; i < n; i++) {
        s[i].score = items[i].score;
        s[i].pos = items[i].truth != 0;
    }
    hu_sort(s, n, sizeof *s, cmp_scored);
    /* rank-sum of positives, ties sharing the average rank */
    double rank_sum = 0;
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && s[j].score == s[i].score)
            j++;
        double avg_rank = (double)(i + 1 + j) / 2.0;   /* ranks i+1..j */
        for (size_t k = i; k < j; k++)
            if (s[k].pos)
                rank_sum += avg_rank;
        i = j;
    }
    hu_free(s);
    double u = rank_sum - (double)npos * (double)(npos + 1) / 2.0;
    return u / ((double)npos * (double)nneg);
}

int hu_eval_compute(const struct hu_eval_item *items, size_t n,
                    uint32_t n_true, uint32_t n_pred, uint32_t n_groups,
                    struct hu_eval_result *r)
{
    memset(r, 0, sizeof *r);
    r->n_true = n_true;
    r->n_pred = n_pred;
    r->n_groups = n_groups;
    uint64_t *cross = NULL;   /* [(n_true+1) x (n_pred+1)] flagged/member counts */
    r->campaigns = hu_calloc(n_true + 1, sizeof *r->campaigns);
    r->preds = hu_calloc(n_pred + 1, sizeof *r->preds);
    r->groups = hu_calloc(n_groups ? n_groups : 1, sizeof *r->groups);
    cross = hu_calloc((size_t)(n_true + 1) * (n_pred + 1), sizeof *cross);
    if (!r->campaigns || !r->preds || !r->groups || !cross)
        goto fail;

    for (size_t i = 0; i < n; i++) {
        const struct hu_eval_item *it = &items[i];
        if (it->truth > n_true || it->pred > n_pred || (n_groups && it->group >= n_groups))
            goto fail_inval;
        r->n++;
        int pos = it->truth != 0;
        if (pos) {
            r->positives++;
            r->campaigns[it->truth].accounts++;
            if (it->flagged) { r->tp++; r->campaigns[it->truth].flagged++; }
            else r->fn++;
        } else {
            r->negatives++;
            if (it->flagged) r->fp++; else r->tn++;
        }
        if (n_groups) {
            r->groups[it->group].accounts++;
            r->groups[it->group].flagged += it->flagged != 0;
        }
        if (it->pred) {
            r->preds[it->pred].accounts++;
            cross[(size_t)it->truth * (n_pred + 1) + it->pred]++;
        }
    }
    r->precision = (r->tp + r->fp) ? (double)r->tp / (double)(r->tp + r->fp) : 1.0;
    r->recall = r->positives ? (double)r->tp / (double)r->positives : 1.0;
    r->f1 = (r->precision + r->recall) > 0
          ? 2 * r->precision * r->recall / (r->precision + r->recall) : 0;
    r->fpr = r->negatives ? (double)r->fp / (double)r->negatives : 0;
    r->auc = hu_eval_auc(items, n);
    if (r->auc < 0)
        goto fail;
    for (uint32_t g = 0; g < n_groups; g++)
        r->groups[g].flag_rate = r->groups[g].accounts
            ? (double)r->groups[g].flagged / (double)r->groups[g].accounts : 0;

    /* true campaigns: recall and split, counting flagged members only */
    for (uint32_t t = 1; t <= n_true; t++) {
        struct hu_eval_campaign *c = &r->campaigns[t];
        c->recall = c->accounts ? (double)c->flagged / (double)c->accounts : 0;
        uint64_t best = 0, in_preds = 0;
        for (uint32_t p = 1; p <= n_pred; p++) {
            uint64_t k = cross[(size_t)t * (n_pred + 1) + p];
            if (!k) continue;
            c->split++;
            in_preds += k;
            if (k > best) { best = k; c->main_pred = p; }
        }
        c->main_share = in_preds ? (double)best / (double)in_preds : 0;
    }
    /* predicted campaigns: purity against the majority truth */
    uint64_t pure = 0, members = 0;
    for (uint32_t p = 1; p <= n_pred; p++) {
        struct hu_eval_pred *pc = &r->preds[p];
        uint64_t best = 0;
        for (uint32_t t = 0; t <= n_true; t++) {
            uint64_t k = cross[(size_t)t * (n_pred + 1) + p];
            if (k > best) { best = k; pc->majority_truth = t; }
        }
        pc->purity = pc->accounts ? (double)best / (double)pc->accounts : 1.0;
        pure += best;
        members += pc->accounts;
    }
    r->purity = members ? (double)pure / (double)members : 1.0;
    hu_free(cross);
    return HU_OK;

fail_inval:
    hu_free(cross);
    hu_eval_result_fini(r);
    return HU_EINVAL;
fail:
    hu_free(cross);
    hu_eval_result_fini(r);
    return HU_ENOMEM;
}

void hu_eval_result_fini(struct hu_eval_result *r)
{
    hu_free(r->campaigns);
    hu_free(r->preds);
    hu_free(r->groups);
    r->campaigns = NULL;
    r->preds = NULL;
    r->groups = NULL;
}
