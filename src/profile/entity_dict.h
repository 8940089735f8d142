/*
 * entity_dict.h -- from an entity's hash back to its printable value.
 *
 * Profiles keep hashes only (an IP is 8 bytes in a bounded set, whatever its
 * text).  Campaign indicators must be printable ("198.51.100.7",
 * "AS64500", a client fingerprint), so ingest records each distinct value
 * once here, keyed by (kind, hash).  Memory is capped: past
 * HU_DICT_MAX_ENTRIES or HU_DICT_MAX_BYTES new values are counted and not
 * stored, and an indicator without a stored value is printed as its hash
 * ("#3f2a..."), so an adversary who sprays millions of user agents cannot
 * grow huella's memory, only lose the pretty-printing of their own junk.
 *
 * Prompt text is never stored here: only identifiers and fingerprints.
 */
#ifndef HU_PROFILE_ENTITY_DICT_H
#define HU_PROFILE_ENTITY_DICT_H

#include <stddef.h>
#include <stdint.h>
#include "huella/hu_status.h"

enum hu_dict_kind {
    HU_DICT_IP = 0, HU_DICT_PREFIX, HU_DICT_CLIENT_FP, HU_DICT_HEADERS_FP,
    HU_DICT_USER_AGENT, HU_DICT_PAYMENT, HU_DICT_ORG, HU_DICT_MODEL, HU_DICT_EMAIL_DOM,
    HU_DICT_KIND_COUNT
};

/* Entries and bytes kept before new values are only counted.  4M entries
 * and 256 MiB hold every address and fingerprint of the full seed-scale
 * scenario (~1M distinct addresses) with room to spare. */
#define HU_DICT_MAX_ENTRIES (4u << 20)
#define HU_DICT_MAX_BYTES   (256u << 20)

struct hu_entity_dict;

HU_MUST_CHECK int hu_dict_create(struct hu_entity_dict **out);
void hu_dict_destroy(struct hu_entity_dict *d);
/* Remember `value` for (kind, hash) if not known yet.  Values longer than
 * 255 bytes are stored truncated.  O(1) expected.  Returns HU_OK, or
 * HU_EFULL when the caps are reached (the value is dropped and counted),
 * or HU_ENOMEM. */
int hu_dict_put(struct hu_entity_dict *d, enum hu_dict_kind kind, uint64_t hash,
                const char *value, size_t len);
/* Copy every value of src that dst lacks into dst (threads that observed
 * disjoint accounts each keep a dictionary; see observer.h).  The same
 * (kind, hash) always carries the same value, so the result is the
 * single-threaded dictionary unless a cap was reached.  HU_OK, HU_EFULL
 * (some values dropped and counted) or HU_ENOMEM.  O(src slots). */
HU_MUST_CHECK int hu_dict_merge(struct hu_entity_dict *dst, const struct hu_entity_dict *src);
/* The value recorded for (kind, hash), NUL-terminated, or NULL. */
const char *hu_dict_get(const struct hu_entity_dict *d, enum hu_dict_kind kind, uint64_t hash);
size_t   hu_dict_count(const struct hu_entity_dict *d);
/* Checkpoints (serve/engine.c).  Entry i (0 <= i < count) in insertion
 * order: its value (NUL-terminated), *key set to its internal key (kind
 * and hash mixed); NULL past the end.  The dictionary only grows, so the
 * entries added since count was c are c, c+1, ...  O(1). */
const char *hu_dict_entry(const struct hu_entity_dict *d, size_t i, uint64_t *key);
/* Put back an entry read with hu_dict_entry() (same statuses as put). */
int hu_dict_put_key(struct hu_entity_dict *d, uint64_t key, const char *value, size_t len);
uint64_t hu_dict_dropped(const struct hu_entity_dict *d);
size_t   hu_dict_bytes(const struct hu_entity_dict *d);

#endif
