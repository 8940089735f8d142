/*
 * ioc_pattern.h -- a parser for the subset of the STIX 2.1 patterning
 * language (STIX 2.1 section 9) that indicator sharing uses: one or more
 * observation expressions `[ ... ]` joined by AND / OR / FOLLOWEDBY, each
 * holding comparison expressions joined by AND / OR, optionally grouped
 * in parentheses, each comparison `object-path OP constant` with OP one of
 * = != < <= > >= IN LIKE MATCHES ISSUBSET ISSUPERSET (optionally NOT).
 * Constants: 'strings' (the only escapes are \' and \\, as the spec
 * requires), integers, floats, true/false, and t'...', h'...', b'...'.
 * Object paths: `type:prop(.prop | .'quoted prop' | [n] | [*])*`.
 * Qualifiers (WITHIN, REPEATS, START/STOP) are rejected: huella neither
 * writes nor reads them.
 *
 * The parser allocates nothing: comparisons are written into the caller's
 * struct hu_pattern with unescaped string values in its own store, and it
 * never reads past `len`.  Cost: O(len).  Used by report/stix.c to check
 * every exported pattern, and by features/ioc.c to read partners' ones.
 */
#ifndef HU_FEATURES_IOC_PATTERN_H
#define HU_FEATURES_IOC_PATTERN_H

#include <stddef.h>
#include <stdint.h>
#include "core/limits.h"
#include "huella/hu_status.h"

enum hu_pat_op {
    HU_PAT_EQ = 0, HU_PAT_NE, HU_PAT_LT, HU_PAT_LE, HU_PAT_GT, HU_PAT_GE,
    HU_PAT_IN, HU_PAT_LIKE, HU_PAT_MATCHES, HU_PAT_ISSUBSET, HU_PAT_ISSUPERSET
};

enum hu_pat_val { HU_PAT_STR = 0, HU_PAT_INT, HU_PAT_FLOAT, HU_PAT_BOOL, HU_PAT_OTHER };

struct hu_pat_cmp {
    const char *path;       /* "ipv4-addr:value", quotes kept as written; in store */
    uint32_t path_len;
    uint8_t op;             /* enum hu_pat_op */
    uint8_t negated;        /* NOT op */
    uint8_t vtype;          /* enum hu_pat_val */
    uint8_t join_and;       /* joined to the previous comparison by AND (else OR) */
    uint16_t obs;           /* index of its observation expression */
    const char *val;        /* unescaped string / literal text; in store */
    uint32_t val_len;
    int64_t ival;           /* HU_PAT_INT, HU_PAT_BOOL */
};

struct hu_pattern {
    uint32_t n;                         /* comparisons */
    uint16_t n_obs;                     /* observation expressions */
    uint8_t  grouped;                   /* parentheses were used */
    struct hu_pat_cmp cmp[HU_MAX_STIX_COMPARISONS];
    size_t store_len;
    char store[2 * HU_MAX_STIX_PATTERN];
};

/* Parse `p[0..len)`.  HU_OK; HU_EPARSE with a reason in err (no input
 * text: the offset and what was expected); HU_ETOOBIG when longer than
 * HU_MAX_STIX_PATTERN or holding more than HU_MAX_STIX_COMPARISONS
 * comparisons. */
HU_MUST_CHECK int hu_pattern_parse(const char *p, size_t len, struct hu_pattern *out,
                                   char *err, size_t errcap);

/* Append `s` as a STIX pattern string literal body: ' and \ escaped.
 * Writes at most cap-1 bytes and a NUL; returns the length needed (like
 * snprintf), so a result >= cap means truncation. */
size_t hu_pattern_quote(const char *s, size_t len, char *out, size_t cap);

#endif
