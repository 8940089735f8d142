/*
 * net_db.c -- address databases: ASN, country and class by address range.
 *
 * What.  struct hu_netdb holds three range tables -- ASN (with organisation
 * and, if the source has it, country), geo (country) and class (CIDR lists)
 * -- each split by family: IPv4 keys are uint32, IPv6 keys 128-bit.  A
 * table is a set of NON-OVERLAPPING inclusive ranges sorted by start, kept
 * as parallel arrays (lo[], hi[], val[]) so that a lookup is one binary
 * search over lo[] (~19 steps for the 412k IPv4 ASN ranges) and one
 * compare with hi[].  The tables are built once by the load calls, then
 * read-only: lookups from any number of threads need no lock.
 *
 * Every source becomes ranges.  CSV lines are ranges already.  A CIDR is a
 * range.  A MaxMind DB (.mmdb) is walked once with MMDB_read_node(): every
 * data record of its search tree is a prefix, hence a range, and its data
 * is decoded once per distinct data offset.  Converting at load time costs
 * a few hundred ms for a country database but gives one lookup path for
 * every format, one merge rule for several files, NUL-terminated
 * organisation strings that outlive nothing, and lookups faster than
 * MMDB_lookup_sockaddr + MMDB_get_value (numbers in docs/internals/net.md).
 *
 * Overlaps.  Real range files overlap (a /16 announced by a carrier with a
 * /24 of it announced by a customer) and may be unsorted; several files
 * may be given.  Each table is rebuilt on each load by a sweep over the
 * ranges of the existing table (rank 0) and of the new file (rank 1):
 * every address gets the value of the covering range that is best by
 * (rank, width, line): earlier files win everywhere they have an answer
 * (later files only fill gaps), and inside one file the NARROWER range
 * wins (the more specific announcement, as in longest-prefix routing),
 * then the earlier line.  The sweep keeps the candidates in a binary heap
 * keyed by that order, with lazy deletion of ranges that have ended; each
 * step either reaches the next start (push) or the end of the best range
 * (pop), so it is O(n log n) for n ranges.  Adjacent output pieces with
 * the same value are merged.
 *
 *     input (one file):   [10.0.0.0 ----------- 10.0.255.255] AS1
 *                                 [10.0.1.0 - 10.0.1.255] AS2
 *     table:              [10.0.0.0-10.0.0.255] AS1 [10.0.1.0-10.0.1.255] AS2
 *                         [10.0.2.0-10.0.255.255] AS1
 *
 * Values.  An ASN range's val indexes vals[] (asn, organisation id,
 * country, class guessed from the organisation); identical values are
 * shared (hash-consed) so the merge can compare indices.  vals[0] is "no
 * value".  Organisation names are interned once in one string pool; the
 * class heuristic runs once per distinct organisation.  A geo range's val
 * is the packed country code, a class range's val the enum hu_net_class.
 *
 * Measured (bench/bench_net.c, 2-vCPU KVM, -O2, random addresses):
 * asn-ipv4.csv.gz (412k lines) loads in ~0.2 s, asn-ipv6.csv.gz (103k) in
 * ~0.1 s, the iptoasn country .mmdb (864k nodes -> 290k ranges) in ~35 ms;
 * a lookup in the ASN and geo tables together costs ~50 ns, against
 * ~120 ns for MMDB_lookup_sockaddr + MMDB_get_value on one .mmdb.  The
 * /16 index halved lookups (binary search alone: 120-148 ns v4).
 *
 * Errors name the file and, for text formats, the line:
 * "asn.csv:17: end address below start".  A bad line fails the load (a
 * database that is half read would silently misattribute).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <maxminddb.h>
#include <zlib.h>

#include "features/net.h"
#include "features/features.h"
#include "core/alloc.h"
#include "core/hash.h"
#include "core/limits.h"

typedef unsigned __int128 u128;

#define U128_MAX (~(u128)0)

/* ---- tables ------------------------------------------------------------- */

/* Invariant: lo4[i] <= hi4[i] < lo4[i+1] (sorted, disjoint); same for v6.
 * idx4 (NULL for tables under IDX4_MIN ranges): idx4[p] is the first i
 * with lo4[i] >= p << 16, for p in 0..65536, so the range holding an
 * address of /16 p, if any, is among lo4[idx4[p] - 1 .. idx4[p + 1]).
 * idx6 is the same over the first 16 bits of IPv6 keys. */
struct table {
    uint32_t *lo4, *hi4, *val4;
    uint32_t *idx4;
    size_t n4;
    u128 *lo6, *hi6;
    uint32_t *val6;
    uint32_t *idx6;
    size_t n6;
};

struct asnval {
    uint32_t asn;
    uint32_t org;        /* organisation id + 1; 0 = none */
    char cc[2];
    uint8_t cls;         /* class guessed from the organisation */
};

struct hu_netdb {
    struct table asn, geo, cidr;

    struct asnval *vals;           /* vals[0] = none */
    size_t nvals, capvals;
    uint32_t *valset;              /* open addressing: index into vals, 0 = empty */
    size_t valset_cap;

    char *pool;                    /* organisation names, NUL-separated */
    size_t pool_len, pool_cap;
    uint32_t *org_off;             /* id -> offset into pool */
    uint8_t *org_cls;              /* id -> guessed class */
    size_t norgs, cap_off, cap_cls;
    uint32_t *orgset;              /* open addressing: id + 1, 0 = empty */
    size_t orgset_cap;
};

/* Smallest IPv4 table that gets a /16 index: 256 KiB of index pays off
 * once binary search would take more than ~12 steps. */
#define IDX4_MIN 4096u

static void table_fini(struct table *t)
{
    hu_free(t->idx4);
    hu_free(t->idx6);
    hu_free(t->lo4);
    hu_free(t->hi4);
    hu_free(t->val4);
    hu_free(t->lo6);
    hu_free(t->hi6);
    hu_free(t->val6);
    memset(t, 0, sizeof *t);
}

int hu_netdb_create(struct hu_netdb **out)
{
    if (!out)
        return HU_EINVAL;
    *out = NULL;
    struct hu_netdb *db = hu_calloc(1, sizeof *db);
    if (!db)
        return HU_ENOMEM;
    db->vals = hu_calloc(1, sizeof *db->vals);
    if (!db->vals) {
        hu_free(db);
        return HU_ENOMEM;
    }
    db->nvals = db->capvals = 1;
    *out = db;
    return HU_OK;
}

void hu_netdb_destroy(struct hu_netdb *db)
{
    if (!db)
        return;
    table_fini(&db->asn);
    table_fini(&db->geo);
    table_fini(&db->cidr);
    hu_free(db->vals);
    hu_free(db->valset);
    hu_free(db->pool);
    hu_free(db->org_off);
    hu_free(db->org_cls);
    hu_free(db->orgset);
    hu_free(db);
}

void hu_netdb_counts(const struct hu_netdb *db, size_t *asn_ranges, size_t *geo_ranges,
                     size_t *cidr_ranges, size_t *orgs)
{
    if (asn_ranges)
        *asn_ranges = db ? db->asn.n4 + db->asn.n6 : 0;
    if (geo_ranges)
        *geo_ranges = db ? db->geo.n4 + db->geo.n6 : 0;
    if (cidr_ranges)
        *cidr_ranges = db ? db->cidr.n4 + db->cidr.n6 : 0;
    if (orgs)
        *orgs = db ? db->norgs : 0;
}

/* ---- class heuristic ---------------------------------------------------- */

struct class_rule {
    const char *kw;      /* lower case */
    uint8_t cls;
    uint8_t word;        /* 1: must be a whole word (alnum boundaries) */
};

/* First match wins, so the order is the rule.  Education and mobile words
 * are unambiguous and come first; a few residential names that contain a
 * cloud word ("Google Fiber") before the cloud list; generic "telecom" and
 * friends last and as RESIDENTIAL: an incumbent telecom's AS is mostly
 * home broadband, and its hosting arm, if any, is usually a separate AS
 * that the cloud words catch. */
static const struct class_rule class_rules[] = {
    {"university", HU_NET_EDUCATION, 0},   {"universidad", HU_NET_EDUCATION, 0},
    {"universitat", HU_NET_EDUCATION, 0},  {"universit\xc3\xa4t", HU_NET_EDUCATION, 0},
    {"universite", HU_NET_EDUCATION, 0},   {"universit\xc3\xa9", HU_NET_EDUCATION, 0},
    {"universidade", HU_NET_EDUCATION, 0}, {"universita", HU_NET_EDUCATION, 0},
    {"college", HU_NET_EDUCATION, 0},      {"school", HU_NET_EDUCATION, 0},
    {"education", HU_NET_EDUCATION, 0},    {"edu", HU_NET_EDUCATION, 1},
    {"academic", HU_NET_EDUCATION, 0},     {"research and education", HU_NET_EDUCATION, 0},
    {"institute of technology", HU_NET_EDUCATION, 0},

    {"mobile", HU_NET_MOBILE, 0},     {"wireless", HU_NET_MOBILE, 0},
    {"cellular", HU_NET_MOBILE, 0},   {"mobility", HU_NET_MOBILE, 0},
    {"lte", HU_NET_MOBILE, 1},        {"gsm", HU_NET_MOBILE, 1},

    {"google fiber", HU_NET_RESIDENTIAL, 0},

    {"amazon", HU_NET_DATACENTER, 0},       {"aws", HU_NET_DATACENTER, 1},
    {"google", HU_NET_DATACENTER, 0},       {"microsoft", HU_NET_DATACENTER, 0},
    {"azure", HU_NET_DATACENTER, 0},        {"digitalocean", HU_NET_DATACENTER, 0},
    {"ovh", HU_NET_DATACENTER, 1},          {"hetzner", HU_NET_DATACENTER, 0},
    {"alibaba", HU_NET_DATACENTER, 0},      {"aliyun", HU_NET_DATACENTER, 0},
    {"tencent", HU_NET_DATACENTER, 0},      {"linode", HU_NET_DATACENTER, 0},
    {"akamai", HU_NET_DATACENTER, 0},       {"vultr", HU_NET_DATACENTER, 0},
    {"choopa", HU_NET_DATACENTER, 0},       {"constant company", HU_NET_DATACENTER, 0},
    {"oracle", HU_NET_DATACENTER, 0},       {"softlayer", HU_NET_DATACENTER, 0},
    {"ibm cloud", HU_NET_DATACENTER, 0},    {"scaleway", HU_NET_DATACENTER, 0},
    {"contabo", HU_NET_DATACENTER, 0},      {"leaseweb", HU_NET_DATACENTER, 0},
    {"m247", HU_NET_DATACENTER, 1},         {"rackspace", HU_NET_DATACENTER, 0},
    {"cloudflare", HU_NET_DATACENTER, 0},   {"fastly", HU_NET_DATACENTER, 0},
    {"huawei cloud", HU_NET_DATACENTER, 0}, {"colocrossing", HU_NET_DATACENTER, 0},
    {"datacamp", HU_NET_DATACENTER, 0},     {"psychz", HU_NET_DATACENTER, 0},
    {"quadranet", HU_NET_DATACENTER, 0},    {"godaddy", HU_NET_DATACENTER, 0},
    {"hostinger", HU_NET_DATACENTER, 0},    {"hosting", HU_NET_DATACENTER, 0},
    {"datacenter", HU_NET_DATACENTER, 0},   {"data center", HU_NET_DATACENTER, 0},
    {"datacentre", HU_NET_DATACENTER, 0},   {"data centre", HU_NET_DATACENTER, 0},
    {"server", HU_NET_DATACENTER, 0},       {"cloud", HU_NET_DATACENTER, 0},
    {"vps", HU_NET_DATACENTER, 1},          {"colocation", HU_NET_DATACENTER, 0},
    {"dedicated", HU_NET_DATACENTER, 0},

    {"telecom", HU_NET_RESIDENTIAL, 0},     {"telekom", HU_NET_RESIDENTIAL, 0},
    {"broadband", HU_NET_RESIDENTIAL, 0},   {"cable", HU_NET_RESIDENTIAL, 0},
    {"fiber", HU_NET_RESIDENTIAL, 0},       {"fibre", HU_NET_RESIDENTIAL, 0},
    {"dsl", HU_NET_RESIDENTIAL, 1},         {"comcast", HU_NET_RESIDENTIAL, 0},
    {"charter communications", HU_NET_RESIDENTIAL, 0},
    {"cox communications", HU_NET_RESIDENTIAL, 0},
};

static int is_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80;
}

uint8_t hu_net_class_guess(const char *org, size_t len)
{
    char s[HU_MAX_NET_ORG_BYTES + 1];
    if (!org)
        return HU_NET_UNKNOWN;
    if (len > HU_MAX_NET_ORG_BYTES)
        len = HU_MAX_NET_ORG_BYTES;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)org[i];
        s[i] = (char)((c >= 'A' && c <= 'Z') ? c + 32 : (c ? c : ' '));
    }
    s[len] = 0;
    for (size_t r = 0; r < sizeof class_rules / sizeof class_rules[0]; r++) {
        const struct class_rule *cr = &class_rules[r];
        size_t kl = strlen(cr->kw);
        for (const char *p = strstr(s, cr->kw); p; p = strstr(p + 1, cr->kw)) {
            if (!cr->word)
                return cr->cls;
            size_t at = (size_t)(p - s);
            int left = at == 0 || !is_alnum((unsigned char)s[at - 1]);
            int right = at + kl >= len || !is_alnum((unsigned char)s[at + kl]);
            if (left && right)
                return cr->cls;
        }
    }
    return HU_NET_UNKNOWN;
}

static const char *const class_names[] = {
    "unknown", "residential", "mobile", "datacenter", "proxy", "education",
};

const char *hu_net_class_name(unsigned c)
{
    return c < sizeof class_names / sizeof class_names[0] ? class_names[c] : "unknown";
}

/* ---- interning ---------------------------------------------------------- */

static int orgset_grow(struct hu_netdb *db)
{
    size_t ncap = db->orgset_cap ? db->orgset_cap * 2 : 1024;
    uint32_t *t = hu_calloc(ncap, sizeof *t);
    if (!t)
        return HU_ENOMEM;
    for (size_t id = 0; id < db->norgs; id++) {
        const char *s = db->pool + db->org_off[id];
        size_t h = (size_t)hu_hash(s, strlen(s)) & (ncap - 1);
        while (t[h])
            h = (h + 1) & (ncap - 1);
        t[h] = (uint32_t)id + 1;
    }
    hu_free(db->orgset);
    db->orgset = t;
    db->orgset_cap = ncap;
    return HU_OK;
}

/* Organisation id + 1 for s[0..len) (interned), or 0 for an empty name;
 * negative status on failure. */
static int64_t org_intern(struct hu_netdb *db, const char *s, size_t len)
{
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    while (len > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }
    if (len > HU_MAX_NET_ORG_BYTES)
        len = HU_MAX_NET_ORG_BYTES;
    if (len > 0 && memchr(s, 0, len))
        len = strnlen(s, len);
    if (len == 0)
        return 0;
    if ((db->norgs + 1) * 2 > db->orgset_cap && orgset_grow(db) != HU_OK)
        return HU_ENOMEM;
    uint64_t hv = hu_hash(s, len);
    size_t mask = db->orgset_cap - 1, h = (size_t)hv & mask;
    while (db->orgset[h]) {
        const char *o = db->pool + db->org_off[db->orgset[h] - 1];
        if (strncmp(o, s, len) == 0 && o[len] == 0)
            return db->orgset[h];
        h = (h + 1) & mask;
    }
    if (db->pool_len + len + 1 > UINT32_MAX)
        return HU_ETOOBIG;
    if (hu_grow((void **)&db->pool, &db->pool_cap, db->pool_len + len + 1, 1, 1 << 16) != HU_OK)
        return HU_ENOMEM;
    size_t need = db->norgs + 1;
    if (hu_grow((void **)&db->org_off, &db->cap_off, need, sizeof *db->org_off, 1024) != HU_OK ||
        hu_grow((void **)&db->org_cls, &db->cap_cls, need, sizeof *db->org_cls, 1024) != HU_OK)
        return HU_ENOMEM;
    memcpy(db->pool + db->pool_len, s, len);
    db->pool[db->pool_len + len] = 0;
    db->org_off[db->norgs] = (uint32_t)db->pool_len;
    db->org_cls[db->norgs] = hu_net_class_guess(s, len);
    db->pool_len += len + 1;
    db->norgs++;
    db->orgset[h] = (uint32_t)db->norgs;
    return (int64_t)db->norgs;
}

static uint64_t val_hash(const struct asnval *v)
{
    uint8_t k[10];
    memcpy(k, &v->asn, 4);
    memcpy(k + 4, &v->org, 4);
    memcpy(k + 8, v->cc, 2);
    return hu_hash(k, sizeof k);
}

static int valset_grow(struct hu_netdb *db)
{
    size_t ncap = db->valset_cap ? db->valset_cap * 2 : 1024;
    uint32_t *t = hu_calloc(ncap, sizeof *t);
    if (!t)
        return HU_ENOMEM;
    for (size_t i = 1; i < db->nvals; i++) {
        size_t h = (size_t)val_hash(&db->vals[i]) & (ncap - 1);
        while (t[h])
            h = (h + 1) & (ncap - 1);
        t[h] = (uint32_t)i;
    }
    hu_free(db->valset);
    db->valset = t;
    db->valset_cap = ncap;
    return HU_OK;
}

/* Index of the value (asn, org, cc), added if new; 0 for "nothing known";
 * negative status on failure. */
static int64_t val_intern(struct hu_netdb *db, uint32_t asn, uint32_t org, const char cc[2])
{
    struct asnval v = {asn, org, {cc[0], cc[1]}, 0};
    if (asn == 0 && org == 0 && cc[0] == 0)
        return 0;
    v.cls = org ? db->org_cls[org - 1] : HU_NET_UNKNOWN;
    if ((db->nvals + 1) * 2 > db->valset_cap && valset_grow(db) != HU_OK)
        return HU_ENOMEM;
    size_t mask = db->valset_cap - 1, h = (size_t)val_hash(&v) & mask;
    while (db->valset[h]) {
        const struct asnval *o = &db->vals[db->valset[h]];
        if (o->asn == asn && o->org == org && o->cc[0] == cc[0] && o->cc[1] == cc[1])
            return db->valset[h];
        h = (h + 1) & mask;
    }
    if (db->nvals >= UINT32_MAX)
        return HU_ETOOBIG;
    if (hu_grow((void **)&db->vals, &db->capvals, db->nvals + 1, sizeof *db->vals, 1024) != HU_OK)
        return HU_ENOMEM;
    db->vals[db->nvals] = v;
    db->valset[h] = (uint32_t)db->nvals;
    return (int64_t)db->nvals++;
}

/* ---- raw ranges and the merge sweep -------------------------------------- */

struct raw {
    u128 lo, hi;
    uint32_t val;
    uint32_t rank;       /* 0: table built so far, 1: the file being loaded */
    uint32_t seq;        /* line or record order within the file */
    uint32_t v6;
};

struct rawvec {
    struct raw *a;
    size_t n, cap;
};

static int raw_push(struct rawvec *rv, u128 lo, u128 hi, uint32_t val, uint32_t rank, int v6)
{
    if (rv->n >= HU_MAX_NET_RANGES)
        return HU_ETOOBIG;
    if (hu_grow((void **)&rv->a, &rv->cap, rv->n + 1, sizeof *rv->a, 4096) != HU_OK)
        return HU_ENOMEM;
    struct raw *r = &rv->a[rv->n];
    r->lo = lo;
    r->hi = hi;
    r->val = val;
    r->rank = rank;
    r->seq = (uint32_t)rv->n;
    r->v6 = (uint32_t)v6;
    rv->n++;
    return HU_OK;
}

/* Order of the input for the sweep: family, then start. */
static int raw_cmp_start(const void *a, const void *b)
{
    const struct raw *x = a, *y = b;
    if (x->v6 != y->v6)
        return x->v6 < y->v6 ? -1 : 1;
    if (x->lo != y->lo)
        return x->lo < y->lo ? -1 : 1;
    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* 1 if range x beats range y where both cover an address. */
static int better(const struct raw *x, const struct raw *y)
{
    if (x->rank != y->rank)
        return x->rank < y->rank;
    u128 wx = x->hi - x->lo, wy = y->hi - y->lo;
    if (wx != wy)
        return wx < wy;
    return x->seq < y->seq;
}

struct heap {
    uint32_t *a;
    size_t n;
};

static void heap_push(struct heap *h, const struct raw *r, uint32_t i)
{
    size_t k = h->n++;
    while (k > 0) {
        size_t p = (k - 1) / 2;
        if (!better(&r[i], &r[h->a[p]]))
            break;
        h->a[k] = h->a[p];
        k = p;
    }
    h->a[k] = i;
}

static void heap_pop(struct heap *h, const struct raw *r)
{
    uint32_t last = h->a[--h->n];
    size_t k = 0;
    for (;;) {
        size_t c = 2 * k + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && better(&r[h->a[c + 1]], &r[h->a[c]]))
            c++;
        if (!better(&r[h->a[c]], &r[last]))
            break;
        h->a[k] = h->a[c];
        k = c;
    }
    if (h->n > 0)
        h->a[k] = last;
}

/* Output of a sweep, one family. */
struct outvec {
    u128 *lo, *hi;
    uint32_t *val;
    size_t n, cap;
};

static int out_emit(struct outvec *o, u128 lo, u128 hi, uint32_t val)
{
    if (o->n > 0 && o->val[o->n - 1] == val && o->hi[o->n - 1] + 1 == lo) {
        o->hi[o->n - 1] = hi;
        return HU_OK;
    }
    if (o->n >= HU_MAX_NET_RANGES)
        return HU_ETOOBIG;
    if (o->n + 1 > o->cap) {
        size_t c1 = o->cap, c2 = o->cap, c3 = o->cap;
        if (hu_grow((void **)&o->lo, &c1, o->n + 1, sizeof *o->lo, 4096) != HU_OK ||
            hu_grow((void **)&o->hi, &c2, o->n + 1, sizeof *o->hi, 4096) != HU_OK ||
            hu_grow((void **)&o->val, &c3, o->n + 1, sizeof *o->val, 4096) != HU_OK)
            return HU_ENOMEM;
        o->cap = c1;   /* all three grew the same way from the same start */
    }
    o->lo[o->n] = lo;
    o->hi[o->n] = hi;
    o->val[o->n] = val;
    o->n++;
    return HU_OK;
}

/* Sweep r[0..n) (one family, sorted by start) into disjoint pieces. */
static int sweep(const struct raw *r, size_t n, u128 maxkey, struct outvec *o)
{
    struct heap h = {NULL, 0};
    int rc = HU_OK;
    if (n == 0)
        return HU_OK;
    h.a = hu_malloc(n * sizeof *h.a);
    if (!h.a)
        return HU_ENOMEM;
    size_t i = 0;
    u128 cur = 0;
    for (;;) {
        if (h.n == 0) {
            if (i == n)
                break;
            cur = r[i].lo;    /* > cur: every range starting at or before cur was pushed */
        }
        while (i < n && r[i].lo <= cur)
            heap_push(&h, r, (uint32_t)i++);
        while (h.n > 0 && r[h.a[0]].hi < cur)
            heap_pop(&h, r);
        if (h.n == 0)
            continue;
        const struct raw *top = &r[h.a[0]];
        u128 end = top->hi;
        if (i < n && r[i].lo - 1 < end)
            end = r[i].lo - 1;
        if (top->val != 0) {
            rc = out_emit(o, cur, end, top->val);
            if (rc != HU_OK)
                break;
        }
        if (end >= maxkey)
            break;
        cur = end + 1;
    }
    hu_free(h.a);
    return rc;
}

/* Replace table t by the merge of t (rank 0) and the ranges in rv (rank 1,
 * any order).  rv is consumed (sorted in place, then freed by the caller). */
static int table_merge(struct table *t, struct rawvec *rv)
{
    int rc;
    for (size_t i = 0; i < t->n4; i++) {
        rc = raw_push(rv, t->lo4[i], t->hi4[i], t->val4[i], 0, 0);
        if (rc != HU_OK)
            return rc;
    }
    for (size_t i = 0; i < t->n6; i++) {
        rc = raw_push(rv, t->lo6[i], t->hi6[i], t->val6[i], 0, 1);
        if (rc != HU_OK)
            return rc;
    }
    if (rv->n > 1)
        qsort(rv->a, rv->n, sizeof *rv->a, raw_cmp_start);
    size_t n4 = 0;
    while (n4 < rv->n && !rv->a[n4].v6)
        n4++;

    struct outvec o4 = {0}, o6 = {0};
    struct table nt = {0};
    rc = sweep(rv->a, n4, (u128)UINT32_MAX, &o4);
    if (rc == HU_OK)
        rc = sweep(rv->a ? rv->a + n4 : NULL, rv->n - n4, U128_MAX, &o6);  /* NULL + 0 is UB (fuzz_netdb) */
    if (rc != HU_OK)
        goto out;
    rc = HU_ENOMEM;
    if (o4.n) {
        nt.lo4 = hu_malloc(o4.n * sizeof *nt.lo4);
        nt.hi4 = hu_malloc(o4.n * sizeof *nt.hi4);
        nt.val4 = hu_malloc(o4.n * sizeof *nt.val4);
        if (!nt.lo4 || !nt.hi4 || !nt.val4)
            goto out;
        for (size_t i = 0; i < o4.n; i++) {
            nt.lo4[i] = (uint32_t)o4.lo[i];
            nt.hi4[i] = (uint32_t)o4.hi[i];
            nt.val4[i] = o4.val[i];
        }
        nt.n4 = o4.n;
        if (o4.n >= IDX4_MIN) {
            nt.idx4 = hu_malloc(65537 * sizeof *nt.idx4);
            if (!nt.idx4)
                goto out;
            size_t i = 0;
            for (uint32_t p = 0; p <= 65536; p++) {
                uint64_t base = (uint64_t)p << 16;
                while (i < o4.n && nt.lo4[i] < base)
                    i++;
                nt.idx4[p] = (uint32_t)i;
            }
        }
    }
    if (o6.n) {
        /* hand the sweep's arrays over as they are */
        nt.lo6 = o6.lo;
        nt.hi6 = o6.hi;
        nt.val6 = o6.val;
        nt.n6 = o6.n;
        o6.lo = o6.hi = NULL;
        o6.val = NULL;
        if (nt.n6 >= IDX4_MIN) {
            nt.idx6 = hu_malloc(65537 * sizeof *nt.idx6);
            if (!nt.idx6)
                goto out;
            size_t i = 0;
            for (uint32_t p = 0; p <= 65536; p++) {
                while (i < nt.n6 && (p == 65536 || (uint32_t)(nt.lo6[i] >> 112) < p))
                    i++;
                nt.idx6[p] = (uint32_t)i;
            }
        }
    }
    table_fini(t);
    *t = nt;
    memset(&nt, 0, sizeof nt);
    rc = HU_OK;
out:
    table_fini(&nt);
    hu_free(o4.lo);
    hu_free(o4.hi);
    hu_free(o4.val);
    hu_free(o6.lo);
    hu_free(o6.hi);
    hu_free(o6.val);
    return rc;
}

/* ---- lookup -------------------------------------------------------------- */

static u128 key6(const uint8_t b[16])
{
    u128 k = 0;
    for (int i = 0; i < 16; i++)
        k = (k << 8) | b[i];
    return k;
}

static uint32_t key4(const uint8_t b[4])
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* val of the range holding the address, 0 if none.  O(log n). */
static uint32_t table_find(const struct table *t, const struct hu_ip *ip)
{
    if (!ip->v6) {
        uint32_t k = key4(ip->bytes);
        size_t lo = 0, n = t->n4;
        if (t->idx4) {
            uint32_t p = k >> 16;
            lo = t->idx4[p] ? t->idx4[p] - 1 : 0;
            n = t->idx4[p + 1] - lo;
        }
        if (n == 0 || k < t->lo4[lo])
            return 0;
        /* largest i with lo4[i] <= k */
        while (n > 1) {
            size_t half = n / 2;
            if (t->lo4[lo + half] <= k)
                lo += half;
            n -= half;
        }
        return k <= t->hi4[lo] ? t->val4[lo] : 0;
    }
    u128 k = key6(ip->bytes);
    size_t lo = 0, n = t->n6;
    if (t->idx6) {
        uint32_t p = (uint32_t)(k >> 112);
        lo = t->idx6[p] ? t->idx6[p] - 1 : 0;
        n = t->idx6[p + 1] - lo;
    }
    if (n == 0 || k < t->lo6[lo])
        return 0;
    while (n > 1) {
        size_t half = n / 2;
        if (t->lo6[lo + half] <= k)
            lo += half;
        n -= half;
    }
    return k <= t->hi6[lo] ? t->val6[lo] : 0;
}

void hu_netdb_lookup(const struct hu_netdb *db, const struct hu_ip *ip, struct hu_net_info *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof *out);
    if (!db || !ip)
        return;
    uint32_t v = table_find(&db->asn, ip);
    const struct asnval *av = &db->vals[v < db->nvals ? v : 0];
    out->asn = av->asn;
    out->org = av->org ? db->pool + db->org_off[av->org - 1] : NULL;
    out->country[0] = av->cc[0];
    out->country[1] = av->cc[1];
    uint32_t g = table_find(&db->geo, ip);
    if (g) {
        out->country[0] = (char)(g >> 8);
        out->country[1] = (char)g;
    }
    uint32_t c = table_find(&db->cidr, ip);
    out->net_class = (uint8_t)(c ? c : av->cls);
}

/* ---- line reader (plain or gzip through zlib) ---------------------------- */

struct lines {
    gzFile f;
    const char *path;
    char *buf;
    size_t cap, pos, end;
    int eof;
    unsigned long line;
};

static void set_err(char *errbuf, size_t errcap, const char *path, unsigned long line,
                    const char *msg)
{
    if (!errbuf || errcap == 0)
        return;
    if (line)
        snprintf(errbuf, errcap, "%s:%lu: %s", path, line, msg);
    else
        snprintf(errbuf, errcap, "%s: %s", path, msg);
}

static int lines_open(struct lines *lr, const char *path, char *errbuf, size_t errcap)
{
    memset(lr, 0, sizeof *lr);
    lr->path = path;
    lr->cap = 1u << 18;
    lr->buf = hu_malloc(lr->cap);
    if (!lr->buf)
        return HU_ENOMEM;
    errno = 0;
    lr->f = gzopen(path, "rb");
    if (!lr->f) {
        hu_free(lr->buf);
        lr->buf = NULL;
        set_err(errbuf, errcap, path, 0, errno ? strerror(errno) : "cannot open");
        return errno == ENOENT ? HU_ENOENT : HU_EIO;
    }
    gzbuffer(lr->f, 1u << 17);
    return HU_OK;
}

static void lines_close(struct lines *lr)
{
    if (lr->f)
        gzclose(lr->f);
    hu_free(lr->buf);
    lr->f = NULL;
    lr->buf = NULL;
}

/* Next line without its "\n" or "\r\n": HU_OK, HU_EOF_, HU_ETOOBIG (a line
 * over HU_MAX_NET_LINE_BYTES) or HU_EIO (a read or decompression error). */
static int lines_next(struct lines *lr, const char **p, size_t *len)
{
    for (;;) {
        char *nl = memchr(lr->buf + lr->pos, '\n', lr->end - lr->pos);
        if (nl || lr->eof) {
            size_t e = nl ? (size_t)(nl - lr->buf) : lr->end;
            if (!nl && e == lr->pos)
                return HU_EOF_;
            lr->line++;
            if (e - lr->pos > HU_MAX_NET_LINE_BYTES)
                return HU_ETOOBIG;
            *p = lr->buf + lr->pos;
            *len = e - lr->pos;
            lr->pos = nl ? e + 1 : e;
            if (*len > 0 && (*p)[*len - 1] == '\r')
                (*len)--;
            return HU_OK;
        }
        if (lr->end - lr->pos > HU_MAX_NET_LINE_BYTES) {
            lr->line++;
            return HU_ETOOBIG;
        }
        memmove(lr->buf, lr->buf + lr->pos, lr->end - lr->pos);
        lr->end -= lr->pos;
        lr->pos = 0;
        int got = gzread(lr->f, lr->buf + lr->end, (unsigned)(lr->cap - lr->end));
        if (got < 0)
            return HU_EIO;
        if (got == 0) {
            int zerr = 0;
            gzerror(lr->f, &zerr);
            if (zerr != Z_OK && zerr != Z_BUF_ERROR)
                return HU_EIO;
            lr->eof = 1;
        }
        lr->end += (size_t)got;
    }
}

/* ---- CSV fields (RFC 4180, one physical line per record) ----------------- */

/* Read one field at line[*pos..len): quoted ("" is a quote) or not.  The
 * unescaped text goes to out (truncated at outcap-1, NUL-terminated) and
 * its full length, before truncation, to *olen.  *pos moves past the field and its ','.  Returns
 * HU_OK, or HU_EPARSE with *why set. */
static int csv_field(const char *line, size_t len, size_t *pos, char *out, size_t outcap,
                     size_t *olen, const char **why)
{
    size_t i = *pos, o = 0;
    if (i < len && line[i] == '"') {
        i++;
        for (;;) {
            if (i >= len) {
                *why = "unterminated quoted field";
                return HU_EPARSE;
            }
            if (line[i] == '"') {
                if (i + 1 < len && line[i + 1] == '"') {
                    if (o + 1 < outcap)
                        out[o] = '"';
                    o++;
                    i += 2;
                    continue;
                }
                i++;
                break;
            }
            if (o + 1 < outcap)
                out[o] = line[i];
            o++;
            i++;
        }
        if (i < len && line[i] != ',') {
            *why = "text after a closing quote";
            return HU_EPARSE;
        }
    } else {
        while (i < len && line[i] != ',') {
            if (o + 1 < outcap)
                out[o] = line[i];
            o++;
            i++;
        }
    }
    out[o < outcap ? o : outcap - 1] = 0;
    *olen = o;
    *pos = i + 1;   /* past the ','; > len when this was the last field */
    return HU_OK;
}

static int parse_u32(const char *s, size_t len, uint32_t *out)
{
    if (len >= 2 && (s[0] == 'A' || s[0] == 'a') && (s[1] == 'S' || s[1] == 's')) {
        s += 2;
        len -= 2;
    }
    if (len == 0 || len > 10)
        return HU_EPARSE;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return HU_EPARSE;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > UINT32_MAX)
        return HU_EPARSE;
    *out = (uint32_t)v;
    return HU_OK;
}

static u128 ip_key(const struct hu_ip *ip)
{
    return ip->v6 ? key6(ip->bytes) : (u128)key4(ip->bytes);
}

static int has_digit(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] >= '0' && s[i] <= '9')
            return 1;
    return 0;
}

static int ends_with_ci(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    if (m > n)
        return 0;
    for (size_t i = 0; i < m; i++) {
        char c = s[n - m + i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c + 32);
        if (c != suf[i])
            return 0;
    }
    return 1;
}

enum csv_kind { CSV_ASN, CSV_GEO };

/* Ranges of a CSV file into rv: ASN `start,end,asn[,org...]` or geo
 * `start,end,CC[,...]`.  A first line whose first field is not an address
 * and has no digit is a header and skipped; blank lines and '#' comments
 * are skipped. */
static int load_csv(struct hu_netdb *db, const char *path, enum csv_kind kind, struct rawvec *rv,
                    char *errbuf, size_t errcap)
{
    struct lines lr;
    int rc = lines_open(&lr, path, errbuf, errcap);
    if (rc != HU_OK)
        return rc;
    const char *line;
    size_t len;
    const char *why = NULL;
    char f1[64], f2[64], f3[32], org[HU_MAX_NET_ORG_BYTES + 1];
    int seen = 0;          /* a data (or header) line was seen */
    for (rc = lines_next(&lr, &line, &len); rc == HU_OK; rc = lines_next(&lr, &line, &len)) {
        if (len == 0 || line[0] == '#')
            continue;
        size_t pos = 0, l1, l2, l3, l4 = 0;
        struct hu_ip a, b;
        uint32_t asn = 0;
        if (memchr(line, 0, len)) {
            why = "NUL byte in a text line (not a CSV file?)";
            rc = HU_EPARSE;
            break;
        }
        rc = csv_field(line, len, &pos, f1, sizeof f1, &l1, &why);
        if (rc != HU_OK)
            break;
        if (l1 >= sizeof f1 || hu_ip_parse(f1, l1, &a) != HU_OK) {
            if (!seen++ && !has_digit(f1, l1 < sizeof f1 ? l1 : sizeof f1 - 1))
                continue;                       /* header */
            why = "bad start address";
            rc = HU_EPARSE;
            break;
        }
        if (pos > len) {
            why = "missing end address";
            rc = HU_EPARSE;
            break;
        }
        rc = csv_field(line, len, &pos, f2, sizeof f2, &l2, &why);
        if (rc != HU_OK)
            break;
        if (l2 >= sizeof f2 || hu_ip_parse(f2, l2, &b) != HU_OK) {
            why = "bad end address";
            rc = HU_EPARSE;
            break;
        }
        seen = 1;
        if (a.v6 != b.v6) {
            why = "start and end are of different address families";
            rc = HU_EPARSE;
            break;
        }
        u128 lo = ip_key(&a), hi = ip_key(&b);
        if (hi < lo) {
            why = "end address below start";
            rc = HU_EPARSE;
            break;
        }
        if (pos > len) {
            why = kind == CSV_ASN ? "missing AS number" : "missing country code";
            rc = HU_EPARSE;
            break;
        }
        rc = csv_field(line, len, &pos, f3, sizeof f3, &l3, &why);
        if (rc != HU_OK)
            break;
        uint32_t val;
        if (kind == CSV_ASN) {
            if (l3 >= sizeof f3 || parse_u32(f3, l3, &asn) != HU_OK) {
                why = "bad AS number";
                rc = HU_EPARSE;
                break;
            }
            if (pos <= len) {
                rc = csv_field(line, len, &pos, org, sizeof org, &l4, &why);
                if (rc != HU_OK)
                    break;
            }
            int64_t oid = org_intern(db, org, l4 < sizeof org ? l4 : sizeof org - 1);
            if (oid < 0) {
                rc = (int)oid;
                why = hu_status_str(rc);
                break;
            }
            int64_t vi = val_intern(db, asn, (uint32_t)oid, "\0\0");
            if (vi < 0) {
                rc = (int)vi;
                why = hu_status_str(rc);
                break;
            }
            val = (uint32_t)vi;
        } else {
            if (l3 == 0 || (l3 == 2 && f3[0] == '-' && f3[1] == '-')) {
                val = 0;                        /* unknown country */
            } else if (l3 == 2 && f3[0] >= 'A' && f3[1] >= 'A') {
                char c0 = f3[0] >= 'a' ? (char)(f3[0] - 32) : f3[0];
                char c1 = f3[1] >= 'a' ? (char)(f3[1] - 32) : f3[1];
                if (c0 < 'A' || c0 > 'Z' || c1 < 'A' || c1 > 'Z') {
                    why = "bad country code";
                    rc = HU_EPARSE;
                    break;
                }
                val = (uint32_t)(unsigned char)c0 << 8 | (unsigned char)c1;
            } else {
                why = "bad country code";
                rc = HU_EPARSE;
                break;
            }
        }
        if (val) {
            rc = raw_push(rv, lo, hi, val, 1, a.v6);
            if (rc != HU_OK) {
                why = rc == HU_ETOOBIG ? "too many ranges (HU_MAX_NET_RANGES)" : hu_status_str(rc);
                break;
            }
        }
    }
    if (rc == HU_EOF_) {
        rc = HU_OK;
    } else {
        if (rc == HU_ETOOBIG && !why)
            why = "line too long (HU_MAX_NET_LINE_BYTES)";
        if (rc == HU_EIO)
            why = "read or decompression error";
        set_err(errbuf, errcap, path, lr.line, why ? why : hu_status_str(rc));
    }
    lines_close(&lr);
    return rc;
}

/* ---- MaxMind DB ---------------------------------------------------------- */

/* Cache of decoded data records: data offset -> val (+1 so 0 is empty). */
struct offmap {
    uint64_t *key;
    uint32_t *val;
    size_t cap, n;
};

static int offmap_get(struct offmap *m, uint64_t off, uint32_t *val)
{
    if (m->cap == 0)
        return 0;
    size_t h = (size_t)hu_hash_mix(off) & (m->cap - 1);
    while (m->val[h]) {
        if (m->key[h] == off) {
            *val = m->val[h] - 1;
            return 1;
        }
        h = (h + 1) & (m->cap - 1);
    }
    return 0;
}

static int offmap_put(struct offmap *m, uint64_t off, uint32_t val)
{
    if ((m->n + 1) * 2 > m->cap) {
        size_t ncap = m->cap ? m->cap * 2 : 4096;
        uint64_t *k = hu_calloc(ncap, sizeof *k);
        uint32_t *v = hu_calloc(ncap, sizeof *v);
        if (!k || !v) {
            hu_free(k);
            hu_free(v);
            return HU_ENOMEM;
        }
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->val[i])
                continue;
            size_t h = (size_t)hu_hash_mix(m->key[i]) & (ncap - 1);
            while (v[h])
                h = (h + 1) & (ncap - 1);
            k[h] = m->key[i];
            v[h] = m->val[i];
        }
        hu_free(m->key);
        hu_free(m->val);
        m->key = k;
        m->val = v;
        m->cap = ncap;
    }
    size_t h = (size_t)hu_hash_mix(off) & (m->cap - 1);
    while (m->val[h])
        h = (h + 1) & (m->cap - 1);
    m->key[h] = off;
    m->val[h] = val + 1;
    m->n++;
    return HU_OK;
}

struct mmwalk {
    struct hu_netdb *db;
    MMDB_s *mm;
    int geo;                 /* 1: value = packed country; 0: asn value */
    struct offmap cache;
    struct rawvec *rv;
    uint32_t v4_start;       /* node of ::/96 in an IPv6 tree; UINT32_MAX if none */
    int v6tree;
    uint64_t visits;         /* nodes visited; a tree visits each at most once */
    const char *why;
};

/* Country code of an entry: "country_code" (ip-location-db), or
 * "country" -> "iso_code" (MaxMind GeoIP2/GeoLite2). */
static int entry_country(MMDB_entry_s *e, char cc[2])
{
    MMDB_entry_data_s d;
    cc[0] = cc[1] = 0;
    int st = MMDB_get_value(e, &d, "country_code", NULL);
    if (st != MMDB_SUCCESS || !d.has_data || d.type != MMDB_DATA_TYPE_UTF8_STRING)
        st = MMDB_get_value(e, &d, "country", "iso_code", NULL);
    if (st != MMDB_SUCCESS || !d.has_data || d.type != MMDB_DATA_TYPE_UTF8_STRING ||
        d.data_size != 2)
        return 0;
    char c0 = d.utf8_string[0], c1 = d.utf8_string[1];
    if (c0 >= 'a' && c0 <= 'z')
        c0 = (char)(c0 - 32);
    if (c1 >= 'a' && c1 <= 'z')
        c1 = (char)(c1 - 32);
    if (c0 < 'A' || c0 > 'Z' || c1 < 'A' || c1 > 'Z')
        return 0;
    cc[0] = c0;
    cc[1] = c1;
    return 1;
}

static int64_t entry_value(struct mmwalk *w, MMDB_entry_s *e)
{
    char cc[2];
    int has_cc = entry_country(e, cc);
    if (w->geo)
        return has_cc ? (int64_t)((uint32_t)(unsigned char)cc[0] << 8 | (unsigned char)cc[1]) : 0;
    MMDB_entry_data_s d;
    uint32_t asn = 0;
    int64_t org = 0;
    if (MMDB_get_value(e, &d, "autonomous_system_number", NULL) == MMDB_SUCCESS && d.has_data) {
        if (d.type == MMDB_DATA_TYPE_UINT32)
            asn = d.uint32;
        else if (d.type == MMDB_DATA_TYPE_UINT16)
            asn = d.uint16;
        else if (d.type == MMDB_DATA_TYPE_UINT64 && d.uint64 <= UINT32_MAX)
            asn = (uint32_t)d.uint64;
    }
    if (MMDB_get_value(e, &d, "autonomous_system_organization", NULL) == MMDB_SUCCESS &&
        d.has_data && d.type == MMDB_DATA_TYPE_UTF8_STRING) {
        org = org_intern(w->db, d.utf8_string, d.data_size);
        if (org < 0)
            return org;
    }
    return val_intern(w->db, asn, (uint32_t)org, has_cc ? cc : "\0\0");
}

static int walk_record(struct mmwalk *w, uint64_t rec, uint8_t type, MMDB_entry_s *entry,
                       int depth, u128 prefix);

/* Walk the subtree at `node`, `depth` bits deep, whose path is `prefix`
 * (left-aligned in the tree's key width). */
static int walk_node(struct mmwalk *w, uint32_t node, int depth, u128 prefix)
{
    MMDB_search_node_s sn;
    if (++w->visits > (uint64_t)w->mm->metadata.node_count) {
        w->why = "search tree revisits nodes (not a tree)";
        return HU_ECORRUPT;
    }
    if (MMDB_read_node(w->mm, node, &sn) != MMDB_SUCCESS) {
        w->why = "corrupt search tree";
        return HU_ECORRUPT;
    }
    int bits = w->v6tree ? 128 : 32;
    if (depth >= bits) {
        w->why = "search tree deeper than the address";
        return HU_ECORRUPT;
    }
    int rc = walk_record(w, sn.left_record, sn.left_record_type, &sn.left_record_entry,
                         depth + 1, prefix);
    if (rc != HU_OK)
        return rc;
    return walk_record(w, sn.right_record, sn.right_record_type, &sn.right_record_entry,
                       depth + 1, prefix | ((u128)1 << (bits - 1 - depth)));
}

static int walk_record(struct mmwalk *w, uint64_t rec, uint8_t type, MMDB_entry_s *entry,
                       int depth, u128 prefix)
{
    if (type == MMDB_RECORD_TYPE_EMPTY)
        return HU_OK;
    if (type == MMDB_RECORD_TYPE_SEARCH_NODE) {
        if (w->v6tree && (uint32_t)rec == w->v4_start && !(depth == 96 && prefix == 0))
            return HU_OK;     /* an alias of the IPv4 subtree (::ffff:0:0/96, 2002::/16) */
        return walk_node(w, (uint32_t)rec, depth, prefix);
    }
    if (type != MMDB_RECORD_TYPE_DATA) {
        w->why = "invalid record in the search tree";
        return HU_ECORRUPT;
    }
    uint32_t val;
    if (!offmap_get(&w->cache, entry->offset, &val)) {
        int64_t v = entry_value(w, entry);
        if (v < 0)
            return (int)v;
        val = (uint32_t)v;
        if (offmap_put(&w->cache, entry->offset, val) != HU_OK)
            return HU_ENOMEM;
    }
    if (val == 0)
        return HU_OK;
    int bits = w->v6tree ? 128 : 32;
    u128 span = depth >= 128 ? 0 : (((u128)1 << (bits - depth)) - 1);
    u128 lo = prefix, hi = prefix | span;
    int v6 = w->v6tree;
    if (v6 && (hi >> 32) == 0 && depth >= 96) {
        v6 = 0;               /* inside ::/96: an IPv4 range */
    } else if (v6 && depth < 96 && lo == 0) {
        /* a record covering ::/96 and more: its IPv4 part, then the rest */
        int rc = raw_push(w->rv, 0, UINT32_MAX, val, 1, 0);
        if (rc != HU_OK)
            return rc;
    }
    return raw_push(w->rv, lo, hi, val, 1, v6);
}

static int load_mmdb(struct hu_netdb *db, const char *path, int geo, struct rawvec *rv,
                     char *errbuf, size_t errcap)
{
    MMDB_s mm;
    int st = MMDB_open(path, MMDB_MODE_MMAP, &mm);
    if (st != MMDB_SUCCESS) {
        set_err(errbuf, errcap, path, 0, MMDB_strerror(st));
        return st == MMDB_FILE_OPEN_ERROR ? HU_ENOENT : HU_ECORRUPT;
    }
    struct mmwalk w = {db, &mm, geo, {0}, rv, UINT32_MAX, mm.metadata.ip_version == 6, 0, NULL};
    if (w.v6tree) {
        /* the node reached from the root by 96 zero bits */
        uint32_t node = 0;
        int d = 0;
        MMDB_search_node_s sn;
        while (d < 96 && node < mm.metadata.node_count &&
               MMDB_read_node(&mm, node, &sn) == MMDB_SUCCESS &&
               sn.left_record_type == MMDB_RECORD_TYPE_SEARCH_NODE) {
            node = (uint32_t)sn.left_record;
            d++;
        }
        if (d == 96)
            w.v4_start = node;
    }
    int rc = mm.metadata.node_count ? walk_node(&w, 0, 0, 0) : HU_OK;
    if (rc != HU_OK)
        set_err(errbuf, errcap, path, 0,
                w.why ? w.why : rc == HU_ETOOBIG ? "too many ranges (HU_MAX_NET_RANGES)"
                                                 : hu_status_str(rc));
    hu_free(w.cache.key);
    hu_free(w.cache.val);
    MMDB_close(&mm);
    return rc;
}

/* 1 if the file is a MaxMind DB: by extension, else by its metadata marker
 * (libmaxminddb finds it at the end of the file). */
static int is_mmdb(const char *path)
{
    if (ends_with_ci(path, ".mmdb"))
        return 1;
    if (ends_with_ci(path, ".gz") || ends_with_ci(path, ".csv") || ends_with_ci(path, ".txt"))
        return 0;
    MMDB_s mm;
    if (MMDB_open(path, MMDB_MODE_MMAP, &mm) != MMDB_SUCCESS)
        return 0;
    MMDB_close(&mm);
    return 1;
}

/* ---- CIDR lists ---------------------------------------------------------- */

struct class_word {
    const char *w;
    uint8_t cls;
};

static const struct class_word class_words[] = {
    {"residential", HU_NET_RESIDENTIAL}, {"mobile", HU_NET_MOBILE},
    {"datacenter", HU_NET_DATACENTER},   {"hosting", HU_NET_DATACENTER},
    {"proxy", HU_NET_PROXY},             {"vpn", HU_NET_PROXY},
    {"tor", HU_NET_PROXY},               {"education", HU_NET_EDUCATION},
};

static int parse_cidr(const char *s, size_t len, u128 *lo, u128 *hi, int *v6)
{
    const char *slash = memchr(s, '/', len);
    size_t alen = slash ? (size_t)(slash - s) : len;
    struct hu_ip ip;
    if (hu_ip_parse(s, alen, &ip) != HU_OK)
        return HU_EPARSE;
    int bits = ip.v6 ? 128 : 32;
    int plen = bits;
    if (slash) {
        size_t n = len - alen - 1;
        if (n == 0 || n > 3)
            return HU_EPARSE;
        plen = 0;
        for (size_t i = 0; i < n; i++) {
            char c = slash[1 + i];
            if (c < '0' || c > '9')
                return HU_EPARSE;
            plen = plen * 10 + (c - '0');
        }
        /* a ::ffff:a.b.c.d/N prefix counts its bits in the IPv6 space */
        if (!ip.v6 && memchr(s, ':', alen)) {
            if (plen < 96)
                return HU_EPARSE;
            plen -= 96;
        }
        if (plen > bits)
            return HU_EPARSE;
    }
    u128 k = ip_key(&ip);
    u128 hostmask = plen == 0 ? (bits == 128 ? U128_MAX : (u128)UINT32_MAX)
                              : (((u128)1 << (bits - plen)) - 1);
    *lo = k & ~hostmask;      /* host bits set in the list are ignored */
    *hi = *lo | hostmask;
    *v6 = ip.v6;
    return HU_OK;
}

static int load_cidr_file(const char *path, struct rawvec *rv, char *errbuf, size_t errcap)
{
    struct lines lr;
    int rc = lines_open(&lr, path, errbuf, errcap);
    if (rc != HU_OK)
        return rc;
    const char *line, *why = NULL;
    size_t len;
    int seen = 0;
    for (rc = lines_next(&lr, &line, &len); rc == HU_OK; rc = lines_next(&lr, &line, &len)) {
        const char *hash = memchr(line, '#', len);
        if (hash)
            len = (size_t)(hash - line);
        while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t'))
            len--;
        while (len > 0 && (*line == ' ' || *line == '\t')) {
            line++;
            len--;
        }
        if (len == 0)
            continue;
        const char *comma = memchr(line, ',', len);
        size_t clen = comma ? (size_t)(comma - line) : len;
        while (clen > 0 && (line[clen - 1] == ' ' || line[clen - 1] == '\t'))
            clen--;
        uint8_t cls = HU_NET_PROXY;
        if (comma) {
            const char *w = comma + 1;
            size_t wl = len - (size_t)(w - line);
            while (wl > 0 && (*w == ' ' || *w == '\t')) {
                w++;
                wl--;
            }
            cls = 0;
            for (size_t i = 0; i < sizeof class_words / sizeof class_words[0]; i++) {
                size_t n = strlen(class_words[i].w);
                if (n == wl && strncasecmp(w, class_words[i].w, n) == 0)
                    cls = class_words[i].cls;
            }
            if (!cls) {
                why = "unknown class (residential, mobile, datacenter, proxy, vpn, education)";
                rc = HU_EPARSE;
                break;
            }
        }
        u128 lo, hi;
        int v6;
        if (parse_cidr(line, clen, &lo, &hi, &v6) != HU_OK) {
            if (!seen++ && !has_digit(line, clen))
                continue;                       /* header */
            why = "bad CIDR";
            rc = HU_EPARSE;
            break;
        }
        seen = 1;
        rc = raw_push(rv, lo, hi, cls, 1, v6);
        if (rc != HU_OK) {
            why = rc == HU_ETOOBIG ? "too many ranges (HU_MAX_NET_RANGES)" : hu_status_str(rc);
            break;
        }
    }
    if (rc == HU_EOF_) {
        rc = HU_OK;
    } else {
        if (rc == HU_ETOOBIG && !why)
            why = "line too long (HU_MAX_NET_LINE_BYTES)";
        if (rc == HU_EIO)
            why = "read or decompression error";
        set_err(errbuf, errcap, path, lr.line, why ? why : hu_status_str(rc));
    }
    lines_close(&lr);
    return rc;
}

/* ---- the three loaders --------------------------------------------------- */

static int finish_load(struct table *t, struct rawvec *rv, int rc, const char *path,
                       char *errbuf, size_t errcap)
{
    if (rc == HU_OK) {
        rc = table_merge(t, rv);
        if (rc != HU_OK)
            set_err(errbuf, errcap, path, 0,
                    rc == HU_ETOOBIG ? "too many ranges (HU_MAX_NET_RANGES)" : hu_status_str(rc));
    }
    hu_free(rv->a);
    return rc;
}

int hu_netdb_load_asn(struct hu_netdb *db, const char *path, char *errbuf, size_t errcap)
{
    if (errbuf && errcap)
        errbuf[0] = 0;
    if (!db || !path)
        return HU_EINVAL;
    struct rawvec rv = {0};
    int rc = is_mmdb(path) ? load_mmdb(db, path, 0, &rv, errbuf, errcap)
                           : load_csv(db, path, CSV_ASN, &rv, errbuf, errcap);
    return finish_load(&db->asn, &rv, rc, path, errbuf, errcap);
}

int hu_netdb_load_geo(struct hu_netdb *db, const char *path, char *errbuf, size_t errcap)
{
    if (errbuf && errcap)
        errbuf[0] = 0;
    if (!db || !path)
        return HU_EINVAL;
    struct rawvec rv = {0};
    int rc = is_mmdb(path) ? load_mmdb(db, path, 1, &rv, errbuf, errcap)
                           : load_csv(db, path, CSV_GEO, &rv, errbuf, errcap);
    return finish_load(&db->geo, &rv, rc, path, errbuf, errcap);
}

int hu_netdb_load_cidr(struct hu_netdb *db, const char *path, char *errbuf, size_t errcap)
{
    if (errbuf && errcap)
        errbuf[0] = 0;
    if (!db || !path)
        return HU_EINVAL;
    struct rawvec rv = {0};
    int rc = load_cidr_file(path, &rv, errbuf, errcap);
    return finish_load(&db->cidr, &rv, rc, path, errbuf, errcap);
}
