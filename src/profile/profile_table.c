/*
 * profile_table.c -- account id -> profile, open addressing over pages.
 *
 * Invariants:
 *   - records 0..n-1 are in use; record i lives in page i / PAGE at slot
 *     i % PAGE and never moves; hash[i] == hu_hash(id of i) and
 *     profile(i)->account_hash == hash[i];
 *   - index has index_cap (a power of two) u32 entries, 0 = empty, else
 *     record + 1; n <= index_cap / 2; every record is reachable from
 *     index[hash & (cap-1)] by linear probing without crossing an empty
 *     entry (no deletions, so no tombstones).
 * Lookups compare the 64-bit hash first and the id bytes only on a hash
 * match, so a colliding pair of ids still gets two records.
 *
 * Cardinality bound (issue 9): with hu_profile_table_set_max(t, max) the
 * table never holds more than `max` records.  A new account arriving at a
 * full table takes the record of the least valuable one: an unpinned
 * account with at most HU_EVICT_MAX_REQ requests, the least recently seen
 * first.  Records sit on one of two recency lists (intrusive, doubly
 * linked over record numbers, pt_meta prev/next u32): cold (evictable
 * when last seen) and warm (pinned or heavier).  get() and pin() move a
 * record to the newest end of the list it belongs on, O(1).  Eviction
 * takes the oldest cold record; one that became heavy after it was last
 * seen (the observer counts the request after get() returns) moves to the
 * warm list on the way, at most once per unpin, so the cost per new
 * account is amortised O(1) and no evictable account is ever passed over.
 * With an empty cold list (only pinned and heavy accounts are held), get()
 * returns HU_EFULL: the event is lost and counted (`refused`), never an
 * established account.
 *   Removing a record from the index uses backward-shift deletion (Knuth
 * 6.4 algorithm R), so linear probing keeps its no-tombstone invariant.
 * The evicted record number is reused by the newcomer: iteration order is
 * then "order of record numbers", still a function of the input only.
 * Id strings live in the arena; a newcomer reuses the victim's bytes when
 * it fits, else takes new arena bytes and the old ones are counted dead;
 * when dead bytes pass the live ones the arena is rebuilt (O(live),
 * amortised O(1) per eviction), so memory stays within 2x the live ids.
 * Memory at the bound: max * (sizeof(struct hu_profile) + 32 (pt_meta) +
 * 8-16 (index) + 2 * id bytes) + pages rounding, see docs/reliability.md
 * for the measured whole-process figure.
 */
#include <string.h>
#include "profile/profile_table.h"
#include "core/alloc.h"
#include "core/arena.h"
#include "core/hash.h"
#include "core/limits.h"

/* Records per page (profiles and bookkeeping alike).  Pages of 64
 * profiles (120-170 KiB) would leave less of a partly used last page, but
 * they sit just above glibc's dynamic mmap threshold: in the cardinality
 * test (tests/cli/test_cardinality.sh, 1 M accounts through a 50,000-account
 * bound on two shards) peak RSS rose from 338 to 468 MiB with them, as
 * freed shard pages stayed in the heap beside the merged table's. */
#define PT_PAGE 256u

/* One record's bookkeeping (32 bytes).  Kept in pages of PT_PAGE like
 * the profiles, not in arrays that double: a doubling array carries 0-50%
 * unused capacity (0.8 of the used bytes at 2,286 accounts), pages at most
 * one page. */
struct pt_meta {
    uint64_t hash;              /* hu_hash of the id */
    const char *id;             /* in `names`, NUL-terminated */
    uint32_t prev, next;        /* recency list; PT_NIL at the ends */
    uint16_t len;               /* id bytes (<= HU_MAX_ID_BYTES) */
    uint16_t cap;               /* bytes usable at id */
    uint8_t pinned;             /* PT_PINNED | PT_WARM bits */
};
_Static_assert(HU_MAX_ID_BYTES <= UINT16_MAX, "id lengths must fit pt_meta.len");

struct hu_profile_table {
    struct hu_profile **pages;
    size_t n_pages, cap_pages;
    size_t drained_pages;           /* pages freed by drain_to() */
    struct pt_meta **meta;      /* record r: meta[r / PT_PAGE][r % PT_PAGE] */
    size_t n_meta, cap_meta;    /* meta pages allocated / slots in meta */
    uint32_t *index;
    size_t index_cap;
    size_t n;
    struct hu_arena names;

    /* cardinality bound (0: none) and the recency list over records */
    size_t max;
    uint32_t head[2], tail[2];      /* list 0 cold, 1 warm: oldest, newest; NIL when empty */
    size_t names_live, names_dead;  /* id bytes in use / abandoned in the arena */
    uint64_t evicted, refused;
};

#define PT_NIL UINT32_MAX
#define PT_PINNED 1u
#define PT_WARM   2u    /* on the warm list (else cold) */

int hu_profile_table_create(size_t expect, struct hu_profile_table **out)
{
    if (!out)
        return HU_EINVAL;
    *out = NULL;
    struct hu_profile_table *t = hu_calloc(1, sizeof *t);
    if (!t)
        return HU_ENOMEM;
    size_t cap = 64;
    while (cap < 2 * expect && cap < 2 * (size_t)HU_PROFILE_TABLE_MAX)
        cap *= 2;
    t->index = hu_calloc(cap, sizeof *t->index);
    if (!t->index) {
        hu_free(t);
        return HU_ENOMEM;
    }
    t->index_cap = cap;
    t->head[0] = t->head[1] = t->tail[0] = t->tail[1] = PT_NIL;
    hu_arena_init(&t->names, 0);
    *out = t;
    return HU_OK;
}

void hu_profile_table_destroy(struct hu_profile_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n_pages; i++)
        hu_free(t->pages[i]);
    hu_free(t->pages);
    for (size_t i = 0; i < t->n_meta; i++)
        hu_free(t->meta[i]);
    hu_free(t->meta);
    hu_free(t->index);
    hu_arena_fini(&t->names);
    hu_free(t);
}

static inline struct hu_profile *pt_rec(const struct hu_profile_table *t, size_t i)
{
    return &t->pages[i / PT_PAGE][i % PT_PAGE];
}

static inline struct pt_meta *pt_meta(const struct hu_profile_table *t, size_t i)
{
    return &t->meta[i / PT_PAGE][i % PT_PAGE];
}

/* Index slot holding id, or the empty slot where it would go. */
static size_t pt_probe(const struct hu_profile_table *t, uint64_t h, const char *id, size_t len)
{
    size_t mask = t->index_cap - 1, i = (size_t)h & mask;
    for (;;) {
        uint32_t e = t->index[i];
        if (e == 0)
            return i;
        size_t r = e - 1;
        if (pt_meta(t, r)->hash == h && pt_meta(t, r)->len == len && memcmp(pt_meta(t, r)->id, id, len) == 0)
            return i;
        i = (i + 1) & mask;
    }
}

/* Double the index; on failure the table is unchanged. */
static int pt_grow_index(struct hu_profile_table *t)
{
    size_t ncap = t->index_cap * 2;
    uint32_t *ni = hu_calloc(ncap, sizeof *ni);
    if (!ni)
        return HU_ENOMEM;
    for (size_t r = 0; r < t->n; r++) {
        size_t i = (size_t)pt_meta(t, r)->hash & (ncap - 1);
        while (ni[i])
            i = (i + 1) & (ncap - 1);
        ni[i] = (uint32_t)(r + 1);
    }
    hu_free(t->index);
    t->index = ni;
    t->index_cap = ncap;
    return HU_OK;
}

struct hu_profile *hu_profile_table_find(const struct hu_profile_table *t, const char *id,
                                         size_t len)
{
    if (!t || !id || len == 0 || len > HU_MAX_ID_BYTES)
        return NULL;
    uint32_t e = t->index[pt_probe(t, hu_hash(id, len), id, len)];
    return e ? pt_rec(t, e - 1) : NULL;
}

size_t hu_profile_table_record(const struct hu_profile_table *t, const char *id, size_t len)
{
    if (!t || !id || len == 0 || len > HU_MAX_ID_BYTES)
        return SIZE_MAX;
    uint32_t e = t->index[pt_probe(t, hu_hash(id, len), id, len)];
    return e ? (size_t)e - 1 : SIZE_MAX;
}

/* ---- recency lists --------------------------------------------------- */

static void lru_unlink(struct hu_profile_table *t, uint32_t r)
{
    int l = (pt_meta(t, r)->pinned & PT_WARM) != 0;
    uint32_t p = pt_meta(t, r)->prev, n = pt_meta(t, r)->next;
    if (p != PT_NIL) pt_meta(t, p)->next = n; else t->head[l] = n;
    if (n != PT_NIL) pt_meta(t, n)->prev = p; else t->tail[l] = p;
}

/* Append r as the newest of list l (0 cold, 1 warm); r is on no list. */
static void lru_append(struct hu_profile_table *t, uint32_t r, int l)
{
    pt_meta(t, r)->pinned = (uint8_t)((pt_meta(t, r)->pinned & PT_PINNED) | (l ? PT_WARM : 0));
    pt_meta(t, r)->prev = t->tail[l];
    pt_meta(t, r)->next = PT_NIL;
    if (t->tail[l] != PT_NIL) pt_meta(t, t->tail[l])->next = r; else t->head[l] = r;
    t->tail[l] = r;
}

/* 1 if eviction may never take r (pinned, or more than HU_EVICT_MAX_REQ
 * requests: n_req only grows, so a warm record stays warm until unpinned). */
static int pt_is_warm(const struct hu_profile_table *t, uint32_t r)
{
    return (pt_meta(t, r)->pinned & PT_PINNED) || pt_rec(t, r)->n_req > HU_EVICT_MAX_REQ;
}

/* r was just seen: newest of the list it belongs on now. */
static void lru_touch(struct hu_profile_table *t, uint32_t r)
{
    lru_unlink(t, r);
    lru_append(t, r, pt_is_warm(t, r));
}

/* ---- eviction -------------------------------------------------------- */

/* Remove record r from the index (backward-shift deletion: entries after
 * the hole that may move into it do, so no probe chain is broken). */
static void pt_index_remove(struct hu_profile_table *t, uint32_t r)
{
    size_t mask = t->index_cap - 1, i = (size_t)pt_meta(t, r)->hash & mask;
    while (t->index[i] != r + 1)
        i = (i + 1) & mask;
    size_t j = i;
    for (;;) {
        t->index[i] = 0;
        for (;;) {
            j = (j + 1) & mask;
            if (t->index[j] == 0)
                return;
            size_t home = (size_t)pt_meta(t, t->index[j] - 1)->hash & mask;
            /* j's entry may fill the hole at i unless its home lies
             * cyclically in (i, j] */
            if (i <= j ? (home <= i || home > j) : (home <= i && home > j))
                break;
        }
        t->index[i] = t->index[j];
        i = j;
    }
}

/* The least recently seen evictable record, or PT_NIL if there is none.
 * Cold records that became heavy since they were last seen (the observer
 * counts a request after get() returns) move to the warm list on the way:
 * each record does so at most once per unpin, so the cost is amortised
 * O(1) per new account. */
static uint32_t pt_pick_victim(struct hu_profile_table *t)
{
    while (t->head[0] != PT_NIL) {
        uint32_t r = t->head[0];
        if (!pt_is_warm(t, r))
            return r;
        lru_unlink(t, r);
        lru_append(t, r, 1);
    }
    return PT_NIL;
}

size_t hu_profile_table_victim(struct hu_profile_table *t)
{
    if (!t || !t->max || t->n < t->max)
        return SIZE_MAX;
    uint32_t v = pt_pick_victim(t);
    return v == PT_NIL ? SIZE_MAX : (size_t)v;
}

/* Rebuild the id arena with only the live ids (after many evictions). */
static int pt_compact_names(struct hu_profile_table *t)
{
    struct hu_arena na;
    hu_arena_init(&na, 0);
    for (size_t r = 0; r < t->n; r++) {
        char *s = hu_arena_strndup(&na, pt_meta(t, r)->id, pt_meta(t, r)->len);
        if (!s) {
            hu_arena_fini(&na);
            return HU_ENOMEM;
        }
        pt_meta(t, r)->id = s;
        pt_meta(t, r)->cap = (uint16_t)pt_meta(t, r)->len;
    }
    hu_arena_fini(&t->names);
    t->names = na;
    t->names_dead = 0;
    return HU_OK;
}

/* Give record r to the account (h, id): unindex the old account, store the
 * new id, index the new one at its probe slot.  HU_OK or HU_ENOMEM (the
 * table is unchanged). */
static int pt_reuse(struct hu_profile_table *t, uint32_t r, uint64_t h, const char *id,
                    size_t len)
{
    char *name;
    if (len <= pt_meta(t, r)->cap) {
        name = (char *)pt_meta(t, r)->id;
    } else {
        name = hu_arena_alloc(&t->names, len + 1);
        if (!name)
            return HU_ENOMEM;
        t->names_dead += pt_meta(t, r)->cap + 1u;
        pt_meta(t, r)->cap = (uint16_t)len;
    }
    pt_index_remove(t, r);
    t->names_live += len;
    t->names_live -= pt_meta(t, r)->len;
    memcpy(name, id, len);
    name[len] = 0;
    pt_meta(t, r)->id = name;
    pt_meta(t, r)->len = (uint16_t)len;
    pt_meta(t, r)->hash = h;
    pt_meta(t, r)->pinned &= (uint8_t)~PT_PINNED;
    t->index[pt_probe(t, h, id, len)] = r + 1;
    t->evicted++;
    if (t->names_dead > t->names_live + (64u << 10))
        (void)pt_compact_names(t);   /* failure only postpones the rebuild */
    return HU_OK;
}

int hu_profile_table_get(struct hu_profile_table *t, const char *id, size_t len,
                         struct hu_profile **out, int *created)
{
    if (!t || !id || !out || len == 0 || len > HU_MAX_ID_BYTES)
        return HU_EINVAL;
    if (created)
        *created = 0;
    uint64_t h = hu_hash(id, len);
    size_t slot = pt_probe(t, h, id, len);
    if (t->index[slot]) {
        uint32_t r = t->index[slot] - 1;
        lru_touch(t, r);
        *out = pt_rec(t, r);
        return HU_OK;
    }
    if (t->max && t->n >= t->max) {
        uint32_t v = pt_pick_victim(t);
        if (v == PT_NIL) {
            t->refused++;
            return HU_EFULL;
        }
        if (pt_reuse(t, v, h, id, len) != HU_OK)
            return HU_ENOMEM;
        struct hu_profile *p = pt_rec(t, v);
        hu_profile_init(p, h);
        lru_touch(t, v);
        *out = p;
        if (created)
            *created = 1;
        return HU_OK;
    }
    if (t->n >= HU_PROFILE_TABLE_MAX)
        return HU_EFULL;
    /* reserve everything first, then commit: a failure changes nothing */
    if (2 * (t->n + 1) > t->index_cap) {
        if (pt_grow_index(t) != HU_OK)
            return HU_ENOMEM;
        slot = pt_probe(t, h, id, len);
    }
    if (t->n / PT_PAGE >= t->n_meta) {
        if (hu_grow((void **)&t->meta, &t->cap_meta, t->n_meta + 1, sizeof *t->meta, 16) != HU_OK)
            return HU_ENOMEM;
        struct pt_meta *mp = hu_malloc(PT_PAGE * sizeof *mp);
        if (!mp)
            return HU_ENOMEM;
        t->meta[t->n_meta++] = mp;
    }
    if (t->n / PT_PAGE >= t->n_pages) {
        if (hu_grow((void **)&t->pages, &t->cap_pages, t->n_pages + 1, sizeof *t->pages, 16) !=
            HU_OK)
            return HU_ENOMEM;
        struct hu_profile *pg = hu_malloc(PT_PAGE * sizeof *pg);
        if (!pg)
            return HU_ENOMEM;
        t->pages[t->n_pages++] = pg;
    }
    char *name = hu_arena_strndup(&t->names, id, len);
    if (!name)
        return HU_ENOMEM;
    size_t r = t->n++;
    pt_meta(t, r)->hash = h;
    pt_meta(t, r)->id = name;
    pt_meta(t, r)->len = (uint16_t)len;
    pt_meta(t, r)->cap = (uint16_t)len;
    pt_meta(t, r)->pinned = 0;
    t->names_live += len;
    t->index[slot] = (uint32_t)(r + 1);
    struct hu_profile *p = pt_rec(t, r);
    hu_profile_init(p, h);
    lru_append(t, (uint32_t)r, 0);
    *out = p;
    if (created)
        *created = 1;
    return HU_OK;
}

void hu_profile_table_set_max(struct hu_profile_table *t, size_t max)
{
    if (t)
        t->max = max > HU_PROFILE_TABLE_MAX ? HU_PROFILE_TABLE_MAX : max;
}

size_t hu_profile_table_max(const struct hu_profile_table *t)
{
    return t ? t->max : 0;
}

uint64_t hu_profile_table_evicted(const struct hu_profile_table *t)
{
    return t ? t->evicted : 0;
}

uint64_t hu_profile_table_refused(const struct hu_profile_table *t)
{
    return t ? t->refused : 0;
}

void hu_profile_table_drain_to(struct hu_profile_table *t, size_t r)
{
    while (t->drained_pages < t->n_pages && (t->drained_pages + 1) * PT_PAGE <= r) {
        hu_free(t->pages[t->drained_pages]);
        t->pages[t->drained_pages++] = NULL;
    }
}

void hu_profile_table_add_losses(struct hu_profile_table *t, uint64_t evicted, uint64_t refused)
{
    t->evicted += evicted;
    t->refused += refused;
}

int hu_profile_table_pin(struct hu_profile_table *t, const char *id, size_t len, int on)
{
    if (!t || !id || len == 0 || len > HU_MAX_ID_BYTES)
        return HU_EINVAL;
    uint32_t e = t->index[pt_probe(t, hu_hash(id, len), id, len)];
    if (!e)
        return HU_ENOENT;
    uint32_t r = e - 1;
    if (on)
        pt_meta(t, r)->pinned |= PT_PINNED;
    else
        pt_meta(t, r)->pinned &= (uint8_t)~PT_PINNED;
    lru_touch(t, r);     /* pinning counts as being seen */
    return HU_OK;
}

int hu_profile_table_pinned(const struct hu_profile_table *t, size_t i)
{
    return t && i < t->n ? (pt_meta(t, i)->pinned & PT_PINNED) != 0 : 0;
}

size_t hu_profile_table_count(const struct hu_profile_table *t)
{
    return t ? t->n : 0;
}

struct hu_profile *hu_profile_table_at(const struct hu_profile_table *t, size_t i)
{
    return t && i < t->n ? pt_rec(t, i) : NULL;
}

const char *hu_profile_table_id(const struct hu_profile_table *t, size_t i, size_t *len)
{
    if (!t || i >= t->n)
        return NULL;
    if (len)
        *len = pt_meta(t, i)->len;
    return pt_meta(t, i)->id;
}

size_t hu_profile_table_memory(const struct hu_profile_table *t)
{
    if (!t)
        return 0;
    return sizeof *t + t->n_pages * PT_PAGE * sizeof(struct hu_profile) +
           t->cap_pages * sizeof *t->pages + t->n_meta * PT_PAGE * sizeof(struct pt_meta) +
           t->cap_meta * sizeof *t->meta + t->index_cap * sizeof *t->index + t->names.used_total;
}

int hu_profile_table_merge(struct hu_profile_table *dst, const struct hu_profile_table *src)
{
    if (!dst || !src)
        return HU_EINVAL;
    for (size_t i = 0; i < src->n; i++) {
        struct hu_profile *d;
        int rc = hu_profile_table_get(dst, pt_meta(src, i)->id, pt_meta(src, i)->len, &d, NULL);
        if (rc != HU_OK)
            return rc;
        rc = hu_profile_merge(d, pt_rec(src, i));
        if (rc != HU_OK)
            return rc;
    }
    return HU_OK;
}
