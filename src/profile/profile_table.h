/*
 * profile_table.h -- every account's profile, keyed by account id.
 *
 * A struct hu_profile_table owns one struct hu_profile per account id,
 * created on first sight, plus one copy of each id string (outputs need
 * it).  Records are numbered 0, 1, 2, ... in first-seen order; that number
 * is the iteration order (deterministic: same input order, same output
 * order, STYLE.md 22) and never changes, and a record's address is stable
 * for the table's lifetime (records live in fixed pages, never moved).
 *
 * Layout: an open-addressing index (linear probing, u32 record numbers,
 * load <= 1/2, doubled when full) over pages of 32-byte record
 * bookkeeping (hash, id span, recency links), so lookups and resizes never
 * touch the profiles; profiles in pages of 256 records; id strings in an
 * arena.  Memory per account is sizeof(struct hu_profile) + 32 + id bytes
 * + 8-16 (index), plus at most one partly used page of each kind,
 * reported by hu_profile_table_memory().
 *
 * Bounded mode (hu_profile_table_set_max): at most `max` accounts; a new
 * account at a full table evicts an unpinned account with at most
 * HU_EVICT_MAX_REQ requests, least recently seen first (see
 * profile_table.c for the algorithm and docs/reliability.md for the memory
 * formula).  The evicted account's record number and address are reused
 * by the newcomer: in bounded mode "record i" means "whoever holds record
 * i now", and a profile pointer is valid only until the next get().
 * Without a bound (the default) nothing is ever evicted and the
 * first-seen / stable-address guarantees above hold.
 *
 * Pinning: hu_profile_table_pin() marks an account that eviction must
 * skip, whatever its size: accounts bound to a known campaign (from shared
 * indicators or the fingerprint library) so that a flood of one-request
 * accounts cannot push them out.  Pinned accounts still count toward
 * `max`; when only pinned or heavy accounts are held, a newcomer is
 * refused (HU_EFULL, counted) rather than evicting them.
 *
 * Not thread-safe: one writer.  Shard accounts by hash across threads,
 * then hu_profile_table_merge() the shards.
 */
#ifndef HU_PROFILE_PROFILE_TABLE_H
#define HU_PROFILE_PROFILE_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include "huella/hu_status.h"
#include "profile/profile.h"

struct hu_profile_table;

/* Most accounts in one table: record numbers are u32 and the index holds
 * twice as many slots. */
#define HU_PROFILE_TABLE_MAX  (UINT32_C(1) << 30)

/* Empty table sized for about `expect` accounts (0: a small default).
 * HU_OK or HU_ENOMEM (then *out is NULL).  O(expect). */
HU_MUST_CHECK int hu_profile_table_create(size_t expect, struct hu_profile_table **out);
/* Free everything; NULL is a no-op.  Profiles and ids handed out die. */
void hu_profile_table_destroy(struct hu_profile_table *t);

/* The profile of account id (len bytes, 1..HU_MAX_ID_BYTES), created empty
 * if new (then *created = 1).  The pointer stays valid until destroy.
 * HU_OK; HU_EINVAL (bad id length); HU_ENOMEM (table unchanged);
 * HU_EFULL (HU_PROFILE_TABLE_MAX accounts).  O(1) expected; a resize is
 * O(accounts) but touches only the index and the hash array. */
HU_MUST_CHECK int hu_profile_table_get(struct hu_profile_table *t, const char *id, size_t len,
                                       struct hu_profile **out, int *created);
/* The profile of id, or NULL.  O(1) expected. */
struct hu_profile *hu_profile_table_find(const struct hu_profile_table *t, const char *id,
                                         size_t len);
/* The record number of account id, or SIZE_MAX if the table does not hold
 * it (never held, or evicted).  For a caller that keeps side arrays by
 * record number in bounded mode (the cluster worker): after a get() that
 * created an account, its record may be one an evicted account held.
 * O(1) expected. */
size_t hu_profile_table_record(const struct hu_profile_table *t, const char *id, size_t len);
/* The record a get() of a new account would evict now, or SIZE_MAX when
 * it would evict nothing (unbounded, not full, or only pinned and heavy
 * accounts held: the newcomer would be refused).  Lets such a caller read
 * the victim's id before it is gone.  Amortised O(1) (moves records that
 * turned heavy to the warm list, as get() would). */
size_t hu_profile_table_victim(struct hu_profile_table *t);

/* ---- cardinality bound and pinning ------------------------------------ */

/* Bound the table to `max` accounts (0: unbounded, the default; values
 * above HU_PROFILE_TABLE_MAX are clamped).  Takes effect on the next new
 * account; a table already above max is not shrunk.  O(1). */
void hu_profile_table_set_max(struct hu_profile_table *t, size_t max);
size_t hu_profile_table_max(const struct hu_profile_table *t);
/* Accounts evicted so far (their records were given to newcomers). */
uint64_t hu_profile_table_evicted(const struct hu_profile_table *t);
/* New accounts refused because every account held was pinned or heavy
 * (get() returned HU_EFULL). */
uint64_t hu_profile_table_refused(const struct hu_profile_table *t);
/* Free the profiles of records [0, r) while t is drained in record order
 * (the observer's merge of its shards), so that the shards and the merged
 * table do not both hold every profile at the peak.  Afterwards only
 * destroy() may be called on t.  O(pages freed). */
void hu_profile_table_drain_to(struct hu_profile_table *t, size_t r);
/* Add another table's evicted and refused counts to t's (the observer's
 * shards each evict from their own table; the merged table reports the
 * sum). */
void hu_profile_table_add_losses(struct hu_profile_table *t, uint64_t evicted, uint64_t refused);
/* Pin (on != 0) or unpin the account id.  A pinned account is never
 * evicted.  HU_OK; HU_ENOENT if the account is not in the table (get() it
 * first to pin an account before its first event); HU_EINVAL.  O(1). */
HU_MUST_CHECK int hu_profile_table_pin(struct hu_profile_table *t, const char *id, size_t len,
                                       int on);
/* 1 if record i is pinned. */
int hu_profile_table_pinned(const struct hu_profile_table *t, size_t i);

/* Accounts held. */
size_t hu_profile_table_count(const struct hu_profile_table *t);
/* Record i (0 <= i < count) in first-seen order, and its id (borrowed,
 * NUL-terminated, *len set if len != NULL).  NULL if i is out of range. */
struct hu_profile *hu_profile_table_at(const struct hu_profile_table *t, size_t i);
const char *hu_profile_table_id(const struct hu_profile_table *t, size_t i, size_t *len);

/* Bytes held: profiles, pages, index, hashes and ids. */
size_t hu_profile_table_memory(const struct hu_profile_table *t);

/* Fold every profile of src into dst (creating accounts in src's order),
 * with hu_profile_merge().  HU_OK, or HU_ENOMEM / HU_EFULL with dst
 * holding the accounts merged so far.  O(src accounts). */
HU_MUST_CHECK int hu_profile_table_merge(struct hu_profile_table *dst,
                                         const struct hu_profile_table *src);

#endif
