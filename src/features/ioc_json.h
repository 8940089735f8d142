/*
 * ioc_json.h -- a read-only JSON tree for the indicator files huella reads
 * whole: STIX bundles (features/ioc.c) and campaigns.json (report/stix.c).
 *
 * Why a tree and why simdjson: both readers walk small-to-medium documents
 * (kilobytes to tens of MB) with lookups by key in any order, so a DOM is
 * the natural shape.  simdjson is the project's parser (validating, UTF-8
 * checked, 1 GB/s, DEPENDENCIES.md section 1) and is already linked; json-c,
 * jansson and cJSON would add a library to the engine for no gain, and cJSON
 * loses int64 precision and truncates strings at an escaped \u0000.  The
 * C++ side (ioc_json.cpp) parses with simdjson's DOM API and copies the
 * result into plain C nodes in two allocations (one node array, one string
 * blob), so callers never touch C++ and the tree outlives the parser.
 *
 * Layout: the children of a container are contiguous in the node array, so
 * `kids[0..n)` is a plain C array; an object's children carry their key.
 * Strings are NUL-terminated copies AND carry their length (an escaped
 * \u0000 inside a string is kept; use the length).
 */
#ifndef HU_FEATURES_IOC_JSON_H
#define HU_FEATURES_IOC_JSON_H

#include <stddef.h>
#include <stdint.h>
#include "huella/hu_status.h"

enum hu_jv_type { HU_JV_NULL = 0, HU_JV_BOOL, HU_JV_NUM, HU_JV_STR, HU_JV_ARR, HU_JV_OBJ };

struct hu_jv {
    uint8_t type;           /* enum hu_jv_type */
    uint8_t is_int;         /* HU_JV_NUM: the literal was an integer that fits int64 */
    uint8_t b;              /* HU_JV_BOOL */
    uint32_t n;             /* HU_JV_STR: bytes; HU_JV_ARR/OBJ: children */
    uint32_t key_len;       /* member of an object: its key (else key == NULL) */
    const char *key;
    const char *s;          /* HU_JV_STR, NUL-terminated */
    const struct hu_jv *kids;
    double d;               /* HU_JV_NUM */
    int64_t i;              /* HU_JV_NUM when is_int */
};

struct hu_jtree;

/* Parse `len` bytes of JSON (one document).  The input is copied; the tree
 * owns all its memory.  `max_depth` caps nesting (HU_MAX_JSON_DEPTH).
 * Returns HU_OK, HU_EINVAL, HU_ENOMEM, HU_ETOOBIG (deeper than max_depth or
 * larger than 4 GiB), HU_EUTF8 or HU_EPARSE; on failure *out is NULL and,
 * when err is non-NULL, a one-line reason (never input text) is written
 * there.  Cost: O(len), about 3 passes over the input. */
HU_MUST_CHECK int hu_jtree_parse(const char *buf, size_t len, unsigned max_depth,
                                 struct hu_jtree **out, char *err, size_t errcap);
void hu_jtree_destroy(struct hu_jtree *t);
/* The root value; borrowed, valid until hu_jtree_destroy. */
const struct hu_jv *hu_jtree_root(const struct hu_jtree *t);

/* Member `key` of an object, or NULL (also NULL when v is not an object).
 * Linear in the number of members; the first match wins. */
const struct hu_jv *hu_jv_get(const struct hu_jv *v, const char *key);
/* The string value of member `key`, or NULL when absent or not a string. */
const char *hu_jv_str(const struct hu_jv *v, const char *key, uint32_t *len);
/* True if v is a string equal to s. */
int hu_jv_is(const struct hu_jv *v, const char *s);

#endif
