/* test_eval.c -- evaluation metrics against hand-computed values and a
 * brute-force AUC (all positive/negative pairs). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "eval/metrics.h"
#include "huella/hu_status.h"

static double auc_bruteforce(const struct hu_eval_item *it, size_t n)
{
    double wins = 0, pairs = 0;
    for (size_t i = 0; i < n; i++) {
        if (!it[i].truth) continue;
        for (size_t j = 0; j < n; j++) {
            if (it[j].truth) continue;
            pairs++;
            if (it[i].score > it[j].score) wins += 1;
            else if (it[i].score == it[j].score) wins += 0.5;
        }
    }
    return pairs ? wins / pairs : 0.5;
}

static void confusion_and_rates(void **state)
{
    (void)state;
    /* 4 campaign accounts (3 flagged), 6 benign (1 flagged) */
    const struct hu_eval_item it[] = {
        { 1, 1, 1, 1, 0.9 }, { 1, 1, 1, 1, 0.8 }, { 2, 2, 2, 1, 0.95 }, { 2, 2, 0, 0, 0.3 },
        { 0, 0, 0, 0, 0.1 }, { 0, 0, 0, 0, 0.2 }, { 0, 0, 1, 1, 0.85 }, { 0, 3, 0, 0, 0.05 },
        { 0, 3, 0, 0, 0.3 }, { 0, 3, 0, 0, 0.0 },
    };
    struct hu_eval_result r;
    assert_int_equal(hu_eval_compute(it, 10, 2, 2, 4, &r), HU_OK);
    assert_int_equal(r.tp, 3);
    assert_int_equal(r.fp, 1);
    assert_int_equal(r.fn, 1);
    assert_int_equal(r.tn, 5);
    assert_float_equal(r.precision, 0.75, 1e-12);
    assert_float_equal(r.recall, 0.75, 1e-12);
    assert_float_equal(r.fpr, 1.0 / 6.0, 1e-12);
    assert_float_equal(r.groups[0].flag_rate, 1.0 / 3.0, 1e-12);
    assert_float_equal(r.groups[3].flag_rate, 0.0, 1e-12);
    assert_float_equal(r.campaigns[1].recall, 1.0, 1e-12);
    assert_float_equal(r.campaigns[2].recall, 0.5, 1e-12);
    assert_int_equal(r.campaigns[1].split, 1);
    /* predicted campaign 1 holds two of campaign 1 and one benign */
    assert_int_equal(r.preds[1].majority_truth, 1);
    assert_float_equal(r.preds[1].purity, 2.0 / 3.0, 1e-12);
    assert_float_equal(r.purity, 3.0 / 4.0, 1e-12);
    assert_float_equal(r.auc, auc_bruteforce(it, 10), 1e-12);
    hu_eval_result_fini(&r);
}

static void auc_matches_bruteforce_with_ties(void **state)
{
    (void)state;
    enum { N = 500 };
    struct hu_eval_item it[N];
    uint64_t x = 12345;
    for (int i = 0; i < N; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        it[i].truth = (x >> 60) & 1;
        it[i].score = (double)((x >> 33) % 20) / 20.0;   /* many ties */
        it[i].group = 0; it[i].pred = 0; it[i].flagged = 0;
    }
    assert_float_equal(hu_eval_auc(it, N), auc_bruteforce(it, N), 1e-12);
}

static void split_counts_predicted_campaigns(void **state)
{
    (void)state;
    const struct hu_eval_item it[] = {
        { 1, 0, 1, 1, 1 }, { 1, 0, 1, 1, 1 }, { 1, 0, 2, 1, 1 }, { 1, 0, 3, 1, 1 },
    };
    struct hu_eval_result r;
    assert_int_equal(hu_eval_compute(it, 4, 1, 3, 1, &r), HU_OK);
    assert_int_equal(r.campaigns[1].split, 3);
    assert_int_equal(r.campaigns[1].main_pred, 1);
    assert_float_equal(r.campaigns[1].main_share, 0.5, 1e-12);
    hu_eval_result_fini(&r);
}

static void out_of_range_is_rejected(void **state)
{
    (void)state;
    const struct hu_eval_item it[] = { { 5, 0, 0, 0, 0 } };
    struct hu_eval_result r;
    assert_int_equal(hu_eval_compute(it, 1, 1, 0, 1, &r), HU_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(confusion_and_rates),
        cmocka_unit_test(auc_matches_bruteforce_with_ties),
        cmocka_unit_test(split_counts_predicted_campaigns),
        cmocka_unit_test(out_of_range_is_rejected),
    };
    return cmocka_run_group_tests_name("eval", tests, NULL, NULL);
}
