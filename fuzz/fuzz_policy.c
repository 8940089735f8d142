/*
 * fuzz_policy.c -- policy files (hu_policy_parse) and decisions under an
 * accepted policy.  Properties: a rejected file leaves *out untouched
 * (NULL) with a message; an accepted policy decides any score in 0..1 to a
 * known action, and the enforced action is allow in shadow mode.
 */
#include <string.h>

#include "fuzz/fuzz.h"
#include "score/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hu_policy *p = NULL;
    char err[256];
    err[0] = 0;
    int rc = hu_policy_parse((const char *)data, size, "fuzz.policy", &p, err, sizeof err);
    if (rc != HU_OK) {
        FUZZ_CHECK(p == NULL);
        FUZZ_CHECK(err[0] != 0);
        return 0;
    }
    (void)hu_policy_digest(p);
    static const char *ids[] = { "acct-1", "org-1", "", "a" };
    for (int i = 0; i <= 10; i++) {
        struct hu_decision_facts f;
        memset(&f, 0, sizeof f);
        f.score = i / 10.0;
        f.account_id = ids[i & 3];
        f.account_id_len = strlen(ids[i & 3]);
        f.org_id = (i & 1) ? ids[(i + 1) & 3] : NULL;
        f.org_id_len = f.org_id ? strlen(f.org_id) : 0;
        f.program = (enum hu_program)(i % HU_PROGRAM_COUNT);
        f.verified_id = i & 1;
        struct hu_decision d;
        hu_policy_decide(p, &f, &d);
        FUZZ_CHECK((int)d.action >= 0 && (int)d.action < HU_ACTION_COUNT);
        FUZZ_CHECK((int)d.would >= 0 && (int)d.would < HU_ACTION_COUNT);
        if (hu_policy_shadow(p))
            FUZZ_CHECK(d.action == HU_ACTION_ALLOW);
    }
    hu_policy_destroy(p);
    return 0;
}
