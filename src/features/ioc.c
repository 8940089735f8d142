/*
 * ioc.c -- the indicator set of `analyze --iocs` (see ioc.h).
 *
 * Layout: entries in one growing array; an open-addressing table of
 * uint32 (entry index + 1, 0 = empty, load <= 1/2) keyed by
 * hu_hash(kind byte || key bytes).  Keys are canonical bytes: 4 or 16
 * address bytes for IPs, masked address bytes plus the length for
 * prefixes, 4 little-endian bytes for ASNs, the string for the rest
 * (payment hashes lower-cased).  Two bitmaps record which prefix lengths
 * exist, so an address lookup probes only those lengths.
 *
 * Loading is two-phase so a rejected bundle leaves the set unchanged:
 * phase 1 parses and validates every indicator into a pending list
 * (pointers into the JSON tree), phase 2 inserts.  If phase 2 runs out of
 * memory the entries added are dropped and the table rebuilt.
 */
#include "features/ioc.h"
#include "features/ioc_json.h"
#include "features/ioc_pattern.h"
#include "core/alloc.h"
#include "core/hash.h"
#include "core/limits.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

static const char *const kind_codes[] = {
#define HU__IOC_CODE(name, code) code,
    HU_IOC_KIND_MAP(HU__IOC_CODE)
#undef HU__IOC_CODE
};

const char *hu_ioc_kind_code(enum hu_ioc_kind k)
{
    return (unsigned)k < HU_IOC_KIND_COUNT ? kind_codes[k] : NULL;
}

int hu_ioc_kind_parse(const char *code, size_t len)
{
    for (int k = 0; k < HU_IOC_KIND_COUNT; k++)
        if (strlen(kind_codes[k]) == len && !memcmp(kind_codes[k], code, len))
            return k;
    return -1;
}

struct entry {
    uint8_t kind;
    uint32_t key_len;
    uint8_t *key;           /* owned */
    char *value;            /* owned, printable */
    char *indicator_id;     /* owned */
    uint32_t producer;      /* index into strs */
    uint32_t source;        /* index into strs */
};

struct hu_ioc_set {
    struct entry *e;
    size_t n, cap;
    uint64_t *table;        /* slot: hash >> 32 << 32 | (entry index + 1); 0 = empty */
    size_t table_cap;       /* power of two */
    char **strs;            /* producers and sources, deduplicated */
    size_t n_strs, strs_cap;
    uint64_t v4_lens;       /* bit L: a /L IPv4 prefix exists (L <= 32) */
    uint64_t v6_lens[3];    /* bits 0..128 */
    struct hu_ioc_stats st;
};

int hu_ioc_set_create(struct hu_ioc_set **out)
{
    if (!out)
        return HU_EINVAL;
    *out = hu_calloc(1, sizeof **out);
    return *out ? HU_OK : HU_ENOMEM;
}

void hu_ioc_set_destroy(struct hu_ioc_set *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++) {
        hu_free(s->e[i].key);
        hu_free(s->e[i].value);
        hu_free(s->e[i].indicator_id);
    }
    for (size_t i = 0; i < s->n_strs; i++)
        hu_free(s->strs[i]);
    hu_free(s->strs);
    hu_free(s->e);
    hu_free(s->table);
    hu_free(s);
}

const struct hu_ioc_stats *hu_ioc_set_stats(const struct hu_ioc_set *s)
{
    return &s->st;
}

/* ---- table ------------------------------------------------------------ */

static uint64_t key_hash(uint8_t kind, const uint8_t *key, size_t len)
{
    return hu_hash_seeded(key, len, HU_HASH_SEED ^ ((uint64_t)kind * 0x9e3779b97f4a7c15ull));
}

static long find(const struct hu_ioc_set *s, uint8_t kind, const uint8_t *key, size_t len)
{
    if (!s->table_cap)
        return -1;
    size_t mask = s->table_cap - 1;
    uint64_t h = key_hash(kind, key, len), tag = h >> 32 << 32;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        uint64_t v = s->table[i];
        if (!v)
            return -1;
        if ((v & ~0xffffffffull) != tag)   /* the stored hash bits spare a cache miss */
            continue;
        const struct entry *e = &s->e[(uint32_t)v - 1];
        if (e->kind == kind && e->key_len == len && !memcmp(e->key, key, len))
            return (long)((uint32_t)v - 1);
    }
}

static int rebuild(struct hu_ioc_set *s, size_t cap)
{
    uint64_t *t = hu_calloc(cap, sizeof *t);
    if (!t)
        return HU_ENOMEM;
    hu_free(s->table);
    s->table = t;
    s->table_cap = cap;
    s->v4_lens = 0;
    memset(s->v6_lens, 0, sizeof s->v6_lens);
    for (size_t j = 0; j < s->n; j++) {
        const struct entry *e = &s->e[j];
        uint64_t h = key_hash(e->kind, e->key, e->key_len);
        size_t i = h & (cap - 1);
        while (t[i])
            i = (i + 1) & (cap - 1);
        t[i] = (h >> 32 << 32) | (uint64_t)(j + 1);
        if (e->kind == HU_IOC_PREFIX) {
            unsigned plen = e->key[e->key_len - 1];
            if (e->key_len == 5) s->v4_lens |= 1ull << plen;
            else s->v6_lens[plen / 64] |= 1ull << (plen % 64);
        }
    }
    return HU_OK;
}

/* Distinct producer and source names kept; beyond, producers are named
 * OVERFLOW_NAME.  Bounds the linear scan below against a bundle whose every
 * indicator names another creator. */
#define MAX_NAMES 1024
static const char OVERFLOW_NAME[] = "(one of too many producers)";

static long intern(struct hu_ioc_set *s, const char *str, size_t len)
{
    if (s->n_strs >= MAX_NAMES) {
        str = OVERFLOW_NAME;
        len = sizeof OVERFLOW_NAME - 1;
    }
    for (size_t i = 0; i < s->n_strs; i++)
        if (strlen(s->strs[i]) == len && !memcmp(s->strs[i], str, len))
            return (long)i;
    if (hu_grow((void **)&s->strs, &s->strs_cap, s->n_strs + 1, sizeof *s->strs, 8))
        return -1;
    char *d = hu_strndup(str, len);
    if (!d)
        return -1;
    s->strs[s->n_strs] = d;
    return (long)s->n_strs++;
}

/* ---- values ----------------------------------------------------------- */

struct pending {
    uint8_t kind;
    uint8_t key_len;
    uint8_t key[17];            /* binary keys (ip, prefix, asn) */
    size_t str_off;             /* string keys: offset + 1 into the loader's scratch; 0 = none */
    uint32_t str_len;
    const char *indicator_id;
    const char *producer;
    uint32_t producer_len;
};

static int parse_ip(const char *s, size_t len, uint8_t *out, int *v6)
{
    char tmp[64];
    if (len == 0 || len >= sizeof tmp)
        return HU_EPARSE;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    if (inet_pton(AF_INET, tmp, out) == 1) { *v6 = 0; return HU_OK; }
    if (inet_pton(AF_INET6, tmp, out) == 1) {
        static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
        if (!memcmp(out, mapped, 12)) {
            memmove(out, out + 12, 4);
            *v6 = 0;
        } else {
            *v6 = 1;
        }
        return HU_OK;
    }
    return HU_EPARSE;
}

static void mask_bytes(uint8_t *b, unsigned nbytes, unsigned plen)
{
    for (unsigned i = 0; i < nbytes; i++) {
        unsigned bit = i * 8;
        if (bit >= plen) b[i] = 0;
        else if (plen - bit < 8) b[i] &= (uint8_t)(0xff << (8 - (plen - bit)));
    }
}

/* "a.b.c.d" or "a.b.c.d/n" (either family) into an IP or a prefix key. */
static int addr_key(const char *v, size_t len, struct pending *p)
{
    const char *slash = memchr(v, '/', len);
    uint8_t b[16];
    int v6 = 0;
    if (parse_ip(v, slash ? (size_t)(slash - v) : len, b, &v6))
        return HU_EPARSE;
    unsigned nb = v6 ? 16 : 4, max = nb * 8, plen = max;
    if (slash) {
        const char *q = slash + 1, *e = v + len;
        if (q == e || e - q > 3) return HU_EPARSE;
        plen = 0;
        for (; q < e; q++) {
            if (*q < '0' || *q > '9') return HU_EPARSE;
            plen = plen * 10 + (unsigned)(*q - '0');
        }
        if (plen > max) return HU_EPARSE;
    }
    if (plen == max) {
        p->kind = HU_IOC_IP;
        memcpy(p->key, b, nb);
        p->key_len = (uint8_t)nb;
    } else {
        mask_bytes(b, nb, plen);
        p->kind = HU_IOC_PREFIX;
        memcpy(p->key, b, nb);
        p->key[nb] = (uint8_t)plen;
        p->key_len = (uint8_t)(nb + 1);
    }
    return HU_OK;
}

static const char UA_PATH[] = "network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'";

static int path_is(const struct hu_pat_cmp *c, const char *p)
{
    return c->path_len == strlen(p) && !memcmp(c->path, p, c->path_len);
}

/* One comparison to a pending value: 1 if used, 0 if unsupported. */
static int simple_cmp(const struct hu_pat_cmp *c, struct pending *p)
{
    if (c->negated)
        return 0;
    if ((path_is(c, "ipv4-addr:value") || path_is(c, "ipv6-addr:value")) && c->vtype == HU_PAT_STR &&
        (c->op == HU_PAT_EQ || c->op == HU_PAT_ISSUBSET))
        return addr_key(c->val, c->val_len, p) == HU_OK;
    if (path_is(c, "autonomous-system:number") && c->vtype == HU_PAT_INT && c->op == HU_PAT_EQ) {
        if (c->ival < 0 || c->ival > UINT32_MAX) return 0;
        uint32_t a = (uint32_t)c->ival;
        p->kind = HU_IOC_ASN;
        for (int i = 0; i < 4; i++) p->key[i] = (uint8_t)(a >> (8 * i));
        p->key_len = 4;
        return 1;
    }
    if (path_is(c, UA_PATH) && c->vtype == HU_PAT_STR && c->op == HU_PAT_EQ && c->val_len) {
        p->kind = HU_IOC_USER_AGENT;
        return 1;
    }
    return 0;
}

struct loader {
    struct pending *p;
    size_t n, cap;
    uint64_t unsupported;
};

static int add_pending(struct loader *L, const struct pending *p)
{
    if (hu_grow((void **)&L->p, &L->cap, L->n + 1, sizeof *L->p, 64))
        return HU_ENOMEM;
    L->p[L->n++] = *p;
    return HU_OK;
}

/* String values are copied out of the pattern's store (reused for the
 * next indicator) into one growing scratch buffer; pending values keep
 * offsets, because the buffer moves as it grows. */
struct scratch {
    char *buf;
    size_t len, cap;
};

/* Offset + 1 of a copy of s, or 0 when out of memory. */
static size_t keep(struct scratch *sc, const char *s, size_t len)
{
    if (hu_grow((void **)&sc->buf, &sc->cap, sc->len + len + 1, 1, 4096))
        return 0;
    memcpy(sc->buf + sc->len, s, len);
    sc->buf[sc->len + len] = '\0';
    size_t off = sc->len + 1;
    sc->len += len + 1;
    return off;
}

static int pattern_values(struct loader *L, struct scratch *sc, const struct hu_pattern *pt,
                          struct pending *tmpl)
{
    if (pt->n_obs != 1 || pt->grouped || pt->n == 0) {
        L->unsupported++;
        return HU_OK;
    }
    int any_and = 0;
    for (uint32_t i = 1; i < pt->n; i++)
        any_and |= pt->cmp[i].join_and;
    if (any_and) {
        /* The huella extension: kind AND value, in either order. */
        const struct hu_pat_cmp *k = NULL, *v = NULL;
        for (uint32_t i = 0; i < pt->n; i++) {
            const struct hu_pat_cmp *c = &pt->cmp[i];
            if (c->op != HU_PAT_EQ || c->negated || c->vtype != HU_PAT_STR) continue;
            if (path_is(c, "huella-fingerprint:kind")) k = c;
            else if (path_is(c, "huella-fingerprint:value")) v = c;
        }
        int kind = k ? hu_ioc_kind_parse(k->val, k->val_len) : -1;
        if (pt->n != 2 || !k || !v || kind < HU_IOC_PAYMENT_HMAC || v->val_len == 0) {
            L->unsupported++;
            return HU_OK;
        }
        struct pending p = *tmpl;
        p.kind = (uint8_t)kind;
        p.str_off = keep(sc, v->val, v->val_len);
        p.str_len = v->val_len;
        if (!p.str_off) return HU_ENOMEM;
        return add_pending(L, &p);
    }
    for (uint32_t i = 0; i < pt->n; i++) {
        struct pending p = *tmpl;
        if (!simple_cmp(&pt->cmp[i], &p)) {
            L->unsupported++;
            continue;
        }
        if (p.kind == HU_IOC_USER_AGENT) {
            p.str_off = keep(sc, pt->cmp[i].val, pt->cmp[i].val_len);
            p.str_len = pt->cmp[i].val_len;
            if (!p.str_off) return HU_ENOMEM;
        }
        if (add_pending(L, &p)) return HU_ENOMEM;
    }
    return HU_OK;
}

static void format_value(const struct pending *p, const char *str, char *out, size_t cap)
{
    char a[64];
    switch (p->kind) {
    case HU_IOC_IP:
        inet_ntop(p->key_len == 4 ? AF_INET : AF_INET6, p->key, out, (socklen_t)cap);
        break;
    case HU_IOC_PREFIX:
        inet_ntop(p->key_len == 5 ? AF_INET : AF_INET6, p->key, a, sizeof a);
        snprintf(out, cap, "%s/%u", a, p->key[p->key_len - 1]);
        break;
    case HU_IOC_ASN:
        snprintf(out, cap, "%u", (unsigned)p->key[0] | (unsigned)p->key[1] << 8 |
                                     (unsigned)p->key[2] << 16 | (unsigned)p->key[3] << 24);
        break;
    default:
        snprintf(out, cap, "%s", str);
    }
}

static void set_err(char *err, size_t cap, const char *name, const char *fmt, const char *a)
{
    if (!err || !cap) return;
    char msg[512];
    snprintf(msg, sizeof msg, fmt, a ? a : "");
    snprintf(err, cap, "%s: %s", name, msg);
}

int hu_ioc_set_load_buf(struct hu_ioc_set *s, const char *buf, size_t len, const char *name,
                        const char *sig, size_t sig_len, const struct hu_ioc_opts *o,
                        char *err, size_t errcap)
{
    if (!s || (!buf && len))
        return HU_EINVAL;
    if (!name)
        name = "(bundle)";
    if (len > HU_MAX_STIX_BYTES) {
        set_err(err, errcap, name, "larger than the %s-byte limit (HU_MAX_STIX_BYTES)", "67108864");
        return HU_ETOOBIG;
    }
    if (o && o->n_pubkeys) {
        if (!sig) {
            set_err(err, errcap, name, "unsigned (no .sig file) but signatures are required", NULL);
            return HU_ECORRUPT;
        }
        int ok = 0, malformed = 0;
        for (size_t i = 0; i < o->n_pubkeys && !ok; i++) {
            int rc = hu_sign_verify_line(o->pubkeys[i], buf, len, sig, sig_len);
            ok = rc == HU_OK;
            malformed |= rc == HU_EPARSE;
        }
        if (!ok) {
            set_err(err, errcap, name, malformed ? "signature file is malformed"
                                                 : "signature does not verify with the given public key(s)", NULL);
            return HU_ECORRUPT;
        }
    }
    struct hu_jtree *t = NULL;
    struct loader L = { 0 };
    struct scratch sc = { 0 };
    struct hu_pattern *pt = NULL;
    uint32_t *idn = NULL;
    size_t idn_cap = 0;
    size_t old_n = s->n;
    char jerr[128] = "";
    int rc = hu_jtree_parse(buf, len, HU_MAX_JSON_DEPTH, &t, jerr, sizeof jerr);
    if (rc) {
        set_err(err, errcap, name, "not valid JSON (%s)", jerr);
        goto out;
    }
    const struct hu_jv *root = hu_jtree_root(t);
    const struct hu_jv *objs = hu_jv_get(root, "objects");
    if (root->type != HU_JV_OBJ || !hu_jv_is(hu_jv_get(root, "type"), "bundle")) {
        set_err(err, errcap, name, "not a STIX bundle (no \"type\": \"bundle\")", NULL);
        rc = HU_EPARSE;
        goto out;
    }
    if (objs && objs->type != HU_JV_ARR) {
        set_err(err, errcap, name, "bundle \"objects\" is not an array", NULL);
        rc = HU_EPARSE;
        goto out;
    }
    pt = hu_malloc(sizeof *pt);
    if (!pt) { rc = HU_ENOMEM; goto out; }
    /* Identities by id (open addressing, load <= 1/2): the producer of
     * each indicator is found in O(1), not by a scan of the bundle. */
    idn_cap = 16;
    while (objs && idn_cap < (size_t)objs->n * 2) idn_cap *= 2;
    idn = hu_calloc(idn_cap, sizeof *idn);
    if (!idn) { rc = HU_ENOMEM; goto out; }
    for (uint32_t i = 0; objs && i < objs->n; i++) {
        uint32_t il = 0;
        const char *iid = hu_jv_str(&objs->kids[i], "id", &il);
        if (!iid || !hu_jv_is(hu_jv_get(&objs->kids[i], "type"), "identity"))
            continue;
        size_t h = hu_hash(iid, il) & (idn_cap - 1);
        while (idn[h]) h = (h + 1) & (idn_cap - 1);
        idn[h] = i + 1;
    }
    uint64_t n_ind = 0, n_revoked = 0;
    for (uint32_t i = 0; objs && i < objs->n; i++) {
        const struct hu_jv *ob = &objs->kids[i];
        if (ob->type != HU_JV_OBJ) {
            set_err(err, errcap, name, "an entry of \"objects\" is not an object", NULL);
            rc = HU_EPARSE;
            goto out;
        }
        if (!hu_jv_is(hu_jv_get(ob, "type"), "indicator"))
            continue;
        uint32_t id_len = 0, pat_len = 0;
        const char *id = hu_jv_str(ob, "id", &id_len);
        if (!id || id_len < 13 || memcmp(id, "indicator--", 11) || memchr(id, '\0', id_len)) {
            set_err(err, errcap, name, "an indicator has no valid id", NULL);
            rc = HU_EPARSE;
            goto out;
        }
        n_ind++;
        const struct hu_jv *rev = hu_jv_get(ob, "revoked");
        if (rev && rev->type == HU_JV_BOOL && rev->b) { n_revoked++; continue; }
        const struct hu_jv *ptype = hu_jv_get(ob, "pattern_type");
        if (!hu_jv_is(ptype, "stix")) { L.unsupported++; continue; }
        const char *pat = hu_jv_str(ob, "pattern", &pat_len);
        if (!pat) {
            set_err(err, errcap, name, "%s has no pattern", id);
            rc = HU_EPARSE;
            goto out;
        }
        char perr[160] = "";
        rc = hu_pattern_parse(pat, pat_len, pt, perr, sizeof perr);
        if (rc) {
            char both[320];
            snprintf(both, sizeof both, "%.100s: %s", id, perr);
            set_err(err, errcap, name, "malformed pattern in %s", both);
            goto out;
        }
        /* Producer: the name of the identity in created_by_ref. */
        struct pending tmpl = { 0 };
        tmpl.indicator_id = id;
        uint32_t cl = 0;
        const char *cby = hu_jv_str(ob, "created_by_ref", &cl);
        tmpl.producer = "unknown producer";
        tmpl.producer_len = 16;
        if (cby) {
            tmpl.producer = cby;
            tmpl.producer_len = cl;
            for (size_t h = hu_hash(cby, cl) & (idn_cap - 1); idn[h]; h = (h + 1) & (idn_cap - 1)) {
                const struct hu_jv *io = &objs->kids[idn[h] - 1];
                uint32_t il = 0, nl = 0;
                const char *iid = hu_jv_str(io, "id", &il);
                const char *nm = hu_jv_str(io, "name", &nl);
                if (il == cl && !memcmp(iid, cby, cl)) {
                    if (nm && nl) {
                        tmpl.producer = nm;
                        tmpl.producer_len = nl;
                    }
                    break;
                }
            }
        }
        rc = pattern_values(&L, &sc, pt, &tmpl);
        if (rc) goto out;
    }
    if (s->n + L.n > HU_MAX_IOC_VALUES) {
        set_err(err, errcap, name, "too many indicator values (limit HU_MAX_IOC_VALUES)", NULL);
        rc = HU_EFULL;
        goto out;
    }
    /* Phase 2: insert. */
    long src = intern(s, name, strlen(name));
    if (src < 0) { rc = HU_ENOMEM; goto out; }
    uint64_t added = 0, dup = 0, by_kind[HU_IOC_KIND_COUNT] = { 0 };
    for (size_t i = 0; i < L.n; i++) {
        struct pending *p = &L.p[i];
        const char *str = p->str_off ? sc.buf + p->str_off - 1 : NULL;
        char lower[80];
        const uint8_t *key = p->key;
        size_t key_len = p->key_len;
        if (str) {
            key = (const uint8_t *)str;
            key_len = p->str_len;
            if (p->kind == HU_IOC_PAYMENT_HMAC && key_len < sizeof lower) {
                for (size_t j = 0; j < key_len; j++)
                    lower[j] = (str[j] >= 'A' && str[j] <= 'F') ? (char)(str[j] + 32) : str[j];
                key = (const uint8_t *)lower;
            }
        }
        if (find(s, p->kind, key, key_len) >= 0) { dup++; continue; }
        if ((s->n + 1) * 2 > s->table_cap) {
            size_t nc = s->table_cap ? s->table_cap * 2 : 64;
            if (rebuild(s, nc)) { rc = HU_ENOMEM; goto rollback; }
        }
        if (hu_grow((void **)&s->e, &s->cap, s->n + 1, sizeof *s->e, 64)) { rc = HU_ENOMEM; goto rollback; }
        long prod = intern(s, p->producer, p->producer_len);
        char val[600];
        format_value(p, str, val, sizeof val);
        struct entry *e = &s->e[s->n];
        memset(e, 0, sizeof *e);
        e->kind = p->kind;
        e->key_len = (uint32_t)key_len;
        e->key = hu_malloc(key_len ? key_len : 1);
        e->value = str ? hu_strndup(str, p->str_len) : hu_strdup(val);
        e->indicator_id = hu_strdup(p->indicator_id);
        if (prod < 0 || !e->key || !e->value || !e->indicator_id) {
            hu_free(e->key); hu_free(e->value); hu_free(e->indicator_id);
            rc = HU_ENOMEM;
            goto rollback;
        }
        memcpy(e->key, key, key_len);
        e->producer = (uint32_t)prod;
        e->source = (uint32_t)src;
        s->n++;
        uint64_t full = key_hash(e->kind, e->key, e->key_len);
        size_t mask = s->table_cap - 1, h = full & mask;
        while (s->table[h]) h = (h + 1) & mask;
        s->table[h] = (full >> 32 << 32) | (uint64_t)s->n;
        if (e->kind == HU_IOC_PREFIX) {
            unsigned plen = e->key[e->key_len - 1];
            if (e->key_len == 5) s->v4_lens |= 1ull << plen;
            else s->v6_lens[plen / 64] |= 1ull << (plen % 64);
        }
        by_kind[e->kind]++;
        added++;
    }
    s->st.bundles++;
    s->st.indicators += n_ind;
    s->st.values += added;
    s->st.duplicates += dup;
    s->st.skipped_unsupported += L.unsupported;
    s->st.skipped_revoked += n_revoked;
    for (int k = 0; k < HU_IOC_KIND_COUNT; k++) s->st.by_kind[k] += by_kind[k];
    rc = HU_OK;
    goto out;
rollback:
    for (size_t i = old_n; i < s->n; i++) {
        hu_free(s->e[i].key); hu_free(s->e[i].value); hu_free(s->e[i].indicator_id);
    }
    s->n = old_n;
    if (s->table_cap && rebuild(s, s->table_cap) != HU_OK) {
        /* Could not even rebuild: drop the index; lookups then miss, and
         * the caller is told the load failed. */
        hu_free(s->table); s->table = NULL; s->table_cap = 0;
    }
    set_err(err, errcap, name, "out of memory", NULL);
out:
    if (rc == HU_ENOMEM && err && !*err)
        set_err(err, errcap, name, "out of memory", NULL);
    hu_free(pt);
    hu_free(idn);
    hu_free(L.p);
    hu_free(sc.buf);
    hu_jtree_destroy(t);
    return rc;
}

int hu_ioc_set_load_file(struct hu_ioc_set *s, const char *path, const struct hu_ioc_opts *o,
                         char *err, size_t errcap)
{
    if (!s || !path)
        return HU_EINVAL;
    if (err && errcap) *err = '\0';
    char *buf = NULL, *sig = NULL;
    size_t len = 0, sig_len = 0;
    int rc = hu_ioc_read_file(path, HU_MAX_STIX_BYTES, &buf, &len);
    if (rc) {
        set_err(err, errcap, path, "%s", rc == HU_ETOOBIG ? "larger than the limit (HU_MAX_STIX_BYTES)"
                                         : rc == HU_ENOENT ? "no such file" : hu_status_str(rc));
        return rc;
    }
    if (o && o->n_pubkeys) {
        char sp[4096];
        snprintf(sp, sizeof sp, "%s.sig", path);
        if (hu_ioc_read_file(sp, 4096, &sig, &sig_len) != HU_OK)
            sig = NULL;
    }
    rc = hu_ioc_set_load_buf(s, buf, len, path, sig, sig_len, o, err, errcap);
    hu_free(buf);
    hu_free(sig);
    return rc;
}

int hu_ioc_set_create_from_files(const char *const *paths, size_t n, const struct hu_ioc_opts *o,
                                 struct hu_ioc_set **out, char *err, size_t errcap)
{
    if (!out || (!paths && n))
        return HU_EINVAL;
    *out = NULL;
    struct hu_ioc_set *s = NULL;
    int rc = hu_ioc_set_create(&s);
    for (size_t i = 0; i < n && !rc; i++)
        rc = hu_ioc_set_load_file(s, paths[i], o, err, errcap);
    if (rc) {
        hu_ioc_set_destroy(s);
        return rc;
    }
    *out = s;
    return HU_OK;
}

/* ---- lookups ---------------------------------------------------------- */

static int hit(const struct hu_ioc_set *s, long i, struct hu_ioc_match *m)
{
    if (i < 0)
        return 0;
    if (m) {
        const struct entry *e = &s->e[i];
        m->kind = (enum hu_ioc_kind)e->kind;
        m->value = e->value;
        m->indicator_id = e->indicator_id;
        m->producer = s->strs[e->producer];
        m->source = s->strs[e->source];
    }
    return 1;
}

int hu_ioc_lookup_ip(const struct hu_ioc_set *s, const struct hu_ip *ip, struct hu_ioc_match *m)
{
    if (!s || !ip)
        return 0;
    unsigned nb = ip->v6 ? 16 : 4;
    if (hit(s, find(s, HU_IOC_IP, ip->bytes, nb), m))
        return 1;
    uint8_t k[17];
    for (int plen = (int)nb * 8; plen >= 0; plen--) {
        int present = ip->v6 ? (int)((s->v6_lens[plen / 64] >> (plen % 64)) & 1)
                             : (int)((s->v4_lens >> plen) & 1);
        if (!present)
            continue;
        memcpy(k, ip->bytes, nb);
        mask_bytes(k, nb, (unsigned)plen);
        k[nb] = (uint8_t)plen;
        if (hit(s, find(s, HU_IOC_PREFIX, k, nb + 1), m))
            return 1;
    }
    return 0;
}

int hu_ioc_lookup_asn(const struct hu_ioc_set *s, uint32_t asn, struct hu_ioc_match *m)
{
    if (!s)
        return 0;
    uint8_t k[4];
    for (int i = 0; i < 4; i++) k[i] = (uint8_t)(asn >> (8 * i));
    return hit(s, find(s, HU_IOC_ASN, k, 4), m);
}

int hu_ioc_lookup(const struct hu_ioc_set *s, enum hu_ioc_kind kind, const char *value, size_t len,
                  struct hu_ioc_match *m)
{
    if (!s || !value || kind < HU_IOC_USER_AGENT || kind >= HU_IOC_KIND_COUNT)
        return 0;
    return hit(s, find(s, (uint8_t)kind, (const uint8_t *)value, len), m);
}

int hu_ioc_lookup_payment_hash(const struct hu_ioc_set *s, const char *hex, size_t len,
                               struct hu_ioc_match *m)
{
    char lower[80];
    if (!hex || len >= sizeof lower)
        return 0;
    for (size_t j = 0; j < len; j++)
        lower[j] = (hex[j] >= 'A' && hex[j] <= 'F') ? (char)(hex[j] + 32) : hex[j];
    return hu_ioc_lookup(s, HU_IOC_PAYMENT_HMAC, lower, len, m);
}

int hu_ioc_lookup_client_fp(const struct hu_ioc_set *s, const char *fp, size_t len, struct hu_ioc_match *m)
{
    return hu_ioc_lookup(s, HU_IOC_CLIENT_FP, fp, len, m);
}

int hu_ioc_lookup_user_agent(const struct hu_ioc_set *s, const char *ua, size_t len, struct hu_ioc_match *m)
{
    return hu_ioc_lookup(s, HU_IOC_USER_AGENT, ua, len, m);
}

int hu_ioc_lookup_template(const struct hu_ioc_set *s, const char *key, size_t len, struct hu_ioc_match *m)
{
    return hu_ioc_lookup(s, HU_IOC_TEMPLATE, key, len, m);
}
