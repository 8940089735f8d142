/* test_policy.c -- policy files: defaults, thresholds, programs,
 * allowlists, shadow mode, and refusal of bad files with a reason. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/alloc.h"
#include "score/policy.h"

static enum hu_action decide(const struct hu_policy *p, double score, const char *acct,
                             const char *org, enum hu_program prog, int verified)
{
    struct hu_decision_facts f = { score, acct, acct ? strlen(acct) : 0, org, org ? strlen(org) : 0, prog, verified };
    struct hu_decision d;
    hu_policy_decide(p, &f, &d);
    return d.action;
}

static void default_thresholds(void **state)
{
    (void)state;
    struct hu_policy *p = hu_policy_default();
    assert_non_null(p);
    assert_int_equal(decide(p, 0.0, "a", NULL, 0, 0), HU_ACTION_ALLOW);
    assert_int_equal(decide(p, 0.3, "a", NULL, 0, 0), HU_ACTION_MONITOR);
    assert_int_equal(decide(p, 0.55, "a", NULL, 0, 0), HU_ACTION_THROTTLE);
    assert_int_equal(decide(p, 0.95, "a", NULL, 0, 0), HU_ACTION_BLOCK);
    /* farmed programs are capped at verify unless verified by id */
    assert_int_equal(decide(p, 0.95, "a", NULL, HU_PROGRAM_EDUCATION, 0), HU_ACTION_VERIFY);
    assert_int_equal(decide(p, 0.95, "a", NULL, HU_PROGRAM_EDUCATION, 1), HU_ACTION_BLOCK);
    assert_int_equal(decide(p, 0.55, "a", NULL, HU_PROGRAM_STARTUP, 0), HU_ACTION_THROTTLE);
    hu_policy_destroy(p);
}

static void file_with_allowlists_and_shadow(void **state)
{
    (void)state;
    const char y[] =
        "version: 1\nshadow: true\nthresholds:\n  block: 0.99\n"
        "programs:\n  education: none\n"
        "allow:\n  accounts: [zed, acct-1, acct-1]\n  orgs:\n    - org-9\n";
    struct hu_policy *p = NULL;
    char err[256] = "";
    assert_int_equal(hu_policy_parse(y, sizeof y - 1, "t.yaml", &p, err, sizeof err), HU_OK);
    assert_true(hu_policy_shadow(p));
    struct hu_decision_facts f = { 0.95, "x", 1, NULL, 0, HU_PROGRAM_EDUCATION, 0 };
    struct hu_decision d;
    hu_policy_decide(p, &f, &d);
    assert_int_equal(d.would, HU_ACTION_WITHHOLD);   /* block needs 0.99; no program cap */
    assert_int_equal(d.action, HU_ACTION_ALLOW);     /* shadow */
    f.account_id = "acct-1"; f.account_id_len = 6;
    hu_policy_decide(p, &f, &d);
    assert_true(d.allowlisted);
    assert_int_equal(d.would, HU_ACTION_ALLOW);
    f.account_id = "acct-10"; f.account_id_len = 7;   /* prefix of nothing */
    hu_policy_decide(p, &f, &d);
    assert_false(d.allowlisted);
    f.account_id = "acct-10"; f.account_id_len = 6;   /* span "acct-1" */
    hu_policy_decide(p, &f, &d);
    assert_true(d.allowlisted);
    f.account_id = "q"; f.account_id_len = 1; f.org_id = "org-9"; f.org_id_len = 5;
    hu_policy_decide(p, &f, &d);
    assert_true(d.allowlisted);
    hu_policy_destroy(p);
}

static void bad_files_are_refused_with_a_reason(void **state)
{
    (void)state;
    static const struct { const char *yaml; const char *want; } cases[] = {
        { "treshold: 1\n", "unknown key 'treshold'" },
        { "thresholds:\n  block: 1.5\n", "between 0 and 1" },
        { "thresholds:\n  throttle: 0.9\n  verify: 0.5\n", "must not decrease" },
        { "thresholds:\n  nuke: 0.5\n", "unknown action" },
        { "version: 7\n", "unsupported policy version" },
        { "shadow: maybe\n", "true or false" },
        { "allow:\n  accounts: notalist\n", "list of ids" },
        { "programs:\n  school: verify\n", "unknown account type" },
        { "thresholds: [\n", "YAML error" },
        { "- a\n- b\n", "must be a mapping" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct hu_policy *p = (struct hu_policy *)0x1;
        char err[256] = "";
        int rc = hu_policy_parse(cases[i].yaml, strlen(cases[i].yaml), "bad.yaml", &p, err, sizeof err);
        assert_int_not_equal(rc, HU_OK);
        assert_ptr_equal(p, (struct hu_policy *)0x1);    /* untouched */
        if (!strstr(err, cases[i].want) || strncmp(err, "bad.yaml:", 9)) {
            print_error("case %zu: got '%s', want '%s'\n", i, err, cases[i].want);
            fail();
        }
    }
}

static void example_file_equals_default(void **state)
{
    (void)state;
    struct hu_policy *p = NULL, *d = hu_policy_default();
    char err[256] = "";
    int rc = hu_policy_load("config/policy.example.yaml", &p, err, sizeof err);
    if (rc) print_error("%s\n", err);
    assert_int_equal(rc, HU_OK);
    assert_true(hu_policy_digest(p) == hu_policy_digest(d));
    hu_policy_destroy(p);
    hu_policy_destroy(d);
}

static void allocation_failures_are_clean(void **state)
{
    (void)state;
    const char y[] = "allow:\n  accounts: [a, b, c, d, e]\n  orgs: [x]\n";
    for (long n = 0; n < 40; n++) {
        struct hu_policy *p = NULL;
        hu_alloc_fail_after(n);
        int rc = hu_policy_parse(y, sizeof y - 1, "t", &p, NULL, 0);
        hu_alloc_fail_after(-1);
        if (rc == HU_OK) hu_policy_destroy(p);
        else assert_true(rc == HU_ENOMEM || rc == HU_EPARSE);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(default_thresholds),
        cmocka_unit_test(file_with_allowlists_and_shadow),
        cmocka_unit_test(bad_files_are_refused_with_a_reason),
        cmocka_unit_test(example_file_equals_default),
        cmocka_unit_test(allocation_failures_are_clean),
    };
    return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
