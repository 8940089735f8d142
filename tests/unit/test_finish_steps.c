/* test_finish_steps.c -- the analysis's finish() in bounded steps (the
 * service's relink) gives exactly the one-call finish(), whatever the
 * budget; events may arrive between steps on an unbounded table, and are
 * refused on a bounded one. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ingest/ingest.h"
#include "report/outputs.h"
#include "score/analysis.h"

/* Two fleets that share a card and addresses and reuse one template, and
 * honest accounts that share nothing: enough for pairs, campaigns and
 * evidence to exist. */
static int make_line(char *buf, size_t cap, unsigned acct, unsigned req)
{
    unsigned fleet = acct < 12 ? 1 : acct < 24 ? 2 : 0;
    char ip[32];
    if (fleet)
        snprintf(ip, sizeof ip, "203.0.%u.%u", 100 + fleet, 1 + req % 3);
    else
        snprintf(ip, sizeof ip, "10.%u.%u.%u", acct % 200, req % 250, 7);
    const char *prompt = fleet ? "Solve step by step and show all reasoning for problem %u: integrate x^%u"
                               : "hi, can you help me plan a trip to city %u in month %u";
    char text[160];
    snprintf(text, sizeof text, prompt, req * 7 + acct, req % 9);
    return snprintf(buf, cap,
        "{\"ts\":%llu,\"account_id\":\"acct_%03u\",\"ip\":\"%s\",\"model\":\"m-1\","
        "\"payment_fp\":\"%s\",\"client_fp\":\"%s\",\"input_tokens\":%u,\"output_tokens\":%u,"
        "\"thinking\":%s,\"prompt\":\"%s\"}",
        (unsigned long long)(1767225600000ull + (uint64_t)req * (fleet ? 60000u : 3600000u) + acct * 1000u),
        acct, ip, fleet ? (fleet == 1 ? "card_aaaa" : "card_bbbb") : "card_own", fleet ? "fleet_fp" : "browser",
        40 + req % 17, fleet ? 2000 : 300, fleet ? "true" : "false", text);
}

static void observe_all(struct hu_analysis *a, struct hu_line_parser *lp, unsigned from, unsigned to)
{
    char line[1024];
    for (unsigned req = 0; req < 40; req++)
        for (unsigned acct = from; acct < to; acct++) {
            int n = make_line(line, sizeof line, acct, req);
            struct hu_event ev;
            assert_int_equal(hu_line_parse(lp, line, (size_t)n, &ev), HU_REJECT_NONE);
            assert_int_equal(hu_analysis_observe(a, &ev), HU_OK);
        }
}

static char *render(const struct hu_results *r, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    assert_non_null(f);
    assert_int_equal(hu_write_accounts_csv(f, r), HU_OK);
    assert_int_equal(hu_write_campaigns_json(f, r), HU_OK);
    assert_int_equal(fclose(f), 0);
    return buf;
}

static struct hu_analysis *fresh(size_t max_accounts, struct hu_line_parser *lp, unsigned n_acct)
{
    struct hu_analysis_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.max_accounts = max_accounts;
    struct hu_analysis *a = NULL;
    char err[256];
    assert_int_equal(hu_analysis_create(&cfg, &a, err, sizeof err), HU_OK);
    observe_all(a, lp, 0, n_acct);
    return a;
}

static void steps_equal_one_finish(void **state)
{
    (void)state;
    struct hu_line_parser *lp;
    assert_int_equal(hu_line_parser_create(&lp, NULL), HU_OK);
    struct hu_analysis *a = fresh(0, lp, 600);
    struct hu_results one;
    assert_int_equal(hu_analysis_finish(a, &one), HU_OK);
    assert_true(one.n_campaigns >= 1);
    size_t one_len;
    char *want = render(&one, &one_len);
    hu_results_fini(&one);
    /* budgets of 0 (one item per sliced step), tiny and generous */
    const double budgets[] = { 0.0, 1e-6, 1.0 };
    for (size_t b = 0; b < sizeof budgets / sizeof budgets[0]; b++) {
        struct hu_results r;
        memset(&r, 0, sizeof r);
        assert_int_equal(hu_analysis_finish_begin(a), HU_OK);
        assert_int_equal(hu_analysis_finish_begin(a), HU_EINVAL);   /* one job at a time */
        int rc, steps = 0;
        while ((rc = hu_analysis_finish_step(a, budgets[b], &r)) == HU_EAGAIN)
            steps++;
        assert_int_equal(rc, HU_OK);
        if (budgets[b] == 0.0)
            assert_true(steps > 5);   /* 600 accounts in slices of 256: more steps than phases */
        size_t len;
        char *got = render(&r, &len);
        assert_int_equal(len, one_len);
        assert_memory_equal(got, want, one_len);
        free(got);
        hu_results_fini(&r);
        assert_int_equal(hu_analysis_finish_step(a, 1.0, &r), HU_EINVAL);   /* no job */
    }
    free(want);
    hu_analysis_destroy(a);
    hu_line_parser_destroy(lp);
}

/* Events between steps: the job covers the accounts it began with; a
 * finish afterwards covers everyone, as if nothing had been interleaved. */
static void events_between_steps(void **state)
{
    (void)state;
    struct hu_line_parser *lp;
    assert_int_equal(hu_line_parser_create(&lp, NULL), HU_OK);
    struct hu_analysis *a = fresh(0, lp, 40);
    struct hu_results r;
    memset(&r, 0, sizeof r);
    assert_int_equal(hu_analysis_finish_begin(a), HU_OK);
    assert_int_equal(hu_analysis_finish_step(a, 0.0, &r), HU_EAGAIN);
    observe_all(a, lp, 40, 60);   /* 20 new accounts meanwhile */
    int rc;
    while ((rc = hu_analysis_finish_step(a, 0.0, &r)) == HU_EAGAIN)
        ;
    assert_int_equal(rc, HU_OK);
    assert_int_equal(r.n_accounts, 40);
    hu_results_fini(&r);
    struct hu_results all;
    assert_int_equal(hu_analysis_finish(a, &all), HU_OK);
    assert_int_equal(all.n_accounts, 60);
    size_t l1, l2;
    char *got = render(&all, &l1);
    hu_results_fini(&all);
    struct hu_analysis *b = fresh(0, lp, 60);
    assert_int_equal(hu_analysis_finish(b, &all), HU_OK);
    char *want = render(&all, &l2);
    hu_results_fini(&all);
    assert_int_equal(l1, l2);
    assert_memory_equal(got, want, l1);
    free(got);
    free(want);
    hu_analysis_destroy(a);
    hu_analysis_destroy(b);
    hu_line_parser_destroy(lp);
}

/* A bounded table reuses records: no event while a job runs. */
static void bounded_table_refuses_events_during_a_job(void **state)
{
    (void)state;
    struct hu_line_parser *lp;
    assert_int_equal(hu_line_parser_create(&lp, NULL), HU_OK);
    struct hu_analysis *a = fresh(100, lp, 30);
    assert_int_equal(hu_analysis_finish_begin(a), HU_OK);
    char line[1024];
    int n = make_line(line, sizeof line, 77, 0);
    struct hu_event ev;
    assert_int_equal(hu_line_parse(lp, line, (size_t)n, &ev), HU_REJECT_NONE);
    assert_int_equal(hu_analysis_observe(a, &ev), HU_EINVAL);
    hu_analysis_finish_abort(a);
    assert_int_equal(hu_analysis_observe(a, &ev), HU_OK);
    /* abort left nothing behind: a new job runs to the end */
    struct hu_results r;
    assert_int_equal(hu_analysis_finish(a, &r), HU_OK);
    assert_int_equal(r.n_accounts, 31);
    hu_results_fini(&r);
    hu_analysis_destroy(a);
    hu_line_parser_destroy(lp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(steps_equal_one_finish),
        cmocka_unit_test(events_between_steps),
        cmocka_unit_test(bounded_table_refuses_events_during_a_job),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
