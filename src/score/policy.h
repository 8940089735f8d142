/*
 * policy.h -- from a score and a few facts to an action.
 *
 * The policy file is YAML (libyaml), shared by `huella analyze` and `huella
 * serve` (which reloads it on SIGHUP and keeps the old one when the new one
 * is refused).  Every key is optional; docs/policy.md documents each one
 * and config/policy.example.yaml is the default, spelled out:
 *
 *   version: 1
 *   shadow: false            # decide, log, but enforce `allow`
 *   thresholds:              # lowest score for each action
 *     monitor: 0.30
 *     throttle: 0.50
 *     verify: 0.65
 *     withhold_reasoning: 0.80
 *     block: 0.90
 *   programs:                # sign-up programs that are farmed: a flagged
 *     education: verify      #   account of this type whose verification is
 *     research: verify       #   below `id` gets at most this action, so a
 *     startup: verify        #   real student can prove who they are
 *   allow:
 *     accounts: [acct-123]   # never acted on, whatever the score
 *     orgs: [org-9]
 *
 * Actions are ordered allow < monitor < throttle < verify <
 * withhold_reasoning < block; "flagged" means stronger than monitor
 * (shared/docs/EVENTS.md).
 */
#ifndef HU_SCORE_POLICY_H
#define HU_SCORE_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include "huella/hu_status.h"

#define HU_ACTION_MAP(X) \
    X(ALLOW, "allow") X(MONITOR, "monitor") X(THROTTLE, "throttle") \
    X(VERIFY, "verify") X(WITHHOLD, "withhold_reasoning") X(BLOCK, "block")

enum hu_action {
#define HU__ACT_ENUM(name, str) HU_ACTION_##name,
    HU_ACTION_MAP(HU__ACT_ENUM)
#undef HU__ACT_ENUM
    HU_ACTION_COUNT
};

const char *hu_action_name(enum hu_action a);
/* Parse an action name; -1 if unknown. */
int hu_action_parse(const char *s, size_t len);
static inline int hu_action_flagged(enum hu_action a) { return a > HU_ACTION_MONITOR; }

/* Account types with their own rule (sign-up programs). */
#define HU_PROGRAM_MAP(X) \
    X(INDIVIDUAL, "individual") X(STARTUP, "startup") X(EDUCATION, "education") \
    X(RESEARCH, "research") X(ENTERPRISE, "enterprise")

enum hu_program {
    HU_PROGRAM_UNKNOWN = 0,
#define HU__PROG_ENUM(name, str) HU_PROGRAM_##name,
    HU_PROGRAM_MAP(HU__PROG_ENUM)
#undef HU__PROG_ENUM
    HU_PROGRAM_COUNT
};
int hu_program_parse(const char *s, size_t len);   /* HU_PROGRAM_UNKNOWN if none */
const char *hu_program_name(enum hu_program p);

struct hu_policy;

/* The built-in default (the example file above).  NULL on ENOMEM. */
struct hu_policy *hu_policy_default(void);
/* Load a policy file.  On failure returns HU_EPARSE / HU_EIO / HU_EINVAL and
 * writes "FILE:LINE: reason" into errbuf; *out is untouched. */
HU_MUST_CHECK int hu_policy_load(const char *path, struct hu_policy **out,
                                 char *errbuf, size_t errcap);
/* Same, from bytes (the service's reload and the fuzzer use this). */
HU_MUST_CHECK int hu_policy_parse(const char *buf, size_t len, const char *name,
                                  struct hu_policy **out, char *errbuf, size_t errcap);
void hu_policy_destroy(struct hu_policy *p);
/* 64-bit digest of the effective policy, for provenance in reports. */
uint64_t hu_policy_digest(const struct hu_policy *p);
int hu_policy_shadow(const struct hu_policy *p);

struct hu_decision_facts {
    double score;                 /* 0..1 */
    const char *account_id; size_t account_id_len;
    const char *org_id;     size_t org_id_len;     /* may be NULL */
    enum hu_program program;
    int verified_id;              /* verification is id or business */
};

struct hu_decision {
    enum hu_action action;        /* what to enforce (allow in shadow mode) */
    enum hu_action would;         /* what the policy decided */
    int allowlisted;
    int program_capped;           /* a program rule lowered the action */
};

/* Decide.  Pure and thread-safe; O(log a) in the allowlist size. */
void hu_policy_decide(const struct hu_policy *p, const struct hu_decision_facts *f,
                      struct hu_decision *out);

#endif
