/*
 * wire.c -- cluster.h's names, shard helpers and the summary / marker
 * encodings.  Decoders take untrusted bytes (anything that can publish on
 * the summary subjects): every read is bounds-checked and the profile goes
 * through hu_profile_deserialize_safe().
 */
#include "cluster/cluster.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "transport/transport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- names, shards -------------------------------------------------------- */

void hu_cluster_event_names(const char *account_id, size_t id_len, unsigned n_shards, uint64_t tag,
                            const char *line, size_t len, uint64_t lineno, char subj[40], char id[48])
{
    snprintf(subj, 40, "huella.events.%u", hu_cluster_shard(account_id, id_len, n_shards));
    snprintf(id, 48, "%016llx-%llu", (unsigned long long)hu_hash_combine(tag, hu_hash(line, len)),
             (unsigned long long)lineno);
}

int hu_cluster_shards(struct hu_tp *tp, unsigned create_n, unsigned *n)
{
    struct hu_tp_kv *kv = NULL;
    int rc = hu_tp_kv_open(tp, HU_CLUSTER_KV_CONFIG, 0, HU_CLUSTER_REPLICAS, &kv);
    if (rc)
        return rc;
    char *v = NULL;
    size_t len = 0;
    rc = hu_tp_kv_get(kv, "shards", &v, &len, NULL);
    if (rc == HU_ENOENT && create_n) {
        char buf[16];
        int k = snprintf(buf, sizeof buf, "%u", create_n);
        rc = hu_tp_kv_create(kv, "shards", buf, (size_t)k, NULL);
        if (rc == HU_EEXIST || rc == HU_OK)
            rc = hu_tp_kv_get(kv, "shards", &v, &len, NULL);
    }
    if (!rc) {
        unsigned long x = strtoul(v, NULL, 10);
        if (!x || x > HU_CLUSTER_MAX_SHARDS)
            rc = HU_ECORRUPT;
        else
            *n = (unsigned)x;
    }
    hu_free(v);
    hu_tp_kv_close(kv);
    return rc;
}

int hu_cluster_ensure_streams(struct hu_tp *tp)
{
    static const char *const ev_subj[] = { "huella.events.*" };
    static const char *const sum_subj[] = { "huella.summary.>" };
    struct hu_tp_stream_cfg ev = {
        .name = HU_CLUSTER_EVENTS, .subjects = ev_subj, .n_subjects = 1,
        .replicas = HU_CLUSTER_REPLICAS, .dedup_window_ms = HU_CLUSTER_DEDUP_MS,
    };
    struct hu_tp_stream_cfg sum = {
        .name = HU_CLUSTER_SUMMARY, .subjects = sum_subj, .n_subjects = 1,
        .replicas = HU_CLUSTER_REPLICAS, .max_per_subject = 1,
    };
    int rc = hu_tp_stream_ensure(tp, &ev);
    return rc ? rc : hu_tp_stream_ensure(tp, &sum);
}

int hu_cluster_parse_shards(const char *s, unsigned n, uint8_t *bits)
{
    memset(bits, 0, (n + 7) / 8);
    if (!s || !*s)
        return HU_EINVAL;
    if (!strcmp(s, "all")) {
        for (unsigned i = 0; i < n; i++)
            bits[i / 8] |= (uint8_t)(1u << (i % 8));
        return HU_OK;
    }
    const char *p = s;
    while (*p) {
        char *end;
        unsigned long a = strtoul(p, &end, 10), b;
        if (end == p)
            return HU_EINVAL;
        b = a;
        p = end;
        if (*p == '-') {
            b = strtoul(p + 1, &end, 10);
            if (end == p + 1)
                return HU_EINVAL;
            p = end;
        }
        if (a > b || b >= n)
            return HU_EINVAL;
        for (unsigned long i = a; i <= b; i++)
            bits[i / 8] |= (uint8_t)(1u << (i % 8));
        if (*p == ',')
            p++;
        else if (*p)
            return HU_EINVAL;
    }
    return HU_OK;
}

/* ---- little-endian cursor ----------------------------------------------------- */

static int put(struct hu_buf *b, uint64_t v, int n)
{
    uint8_t x[8];
    for (int i = 0; i < n; i++)
        x[i] = (uint8_t)(v >> (8 * i));
    return hu_buf_add(b, x, (size_t)n);
}

struct cur {
    const uint8_t *p, *end;
    int bad;
};

static uint64_t get(struct cur *c, int n)
{
    if (c->bad || c->end - c->p < n) {
        c->bad = 1;
        return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v |= (uint64_t)c->p[i] << (8 * i);
    c->p += n;
    return v;
}

static const char *get_bytes(struct cur *c, size_t n)
{
    if (c->bad || (size_t)(c->end - c->p) < n) {
        c->bad = 1;
        return NULL;
    }
    const char *r = (const char *)c->p;
    c->p += n;
    return r;
}

/* ---- summaries ------------------------------------------------------------------ */

static void add_entity(struct hu_summary *s, const struct hu_entity_dict *const *dicts, size_t n,
                       enum hu_dict_kind kind, uint64_t hash)
{
    if (!hash || s->n_ent >= HU_SUMMARY_MAX_ENTITIES)
        return;
    for (size_t i = 0; i < s->n_ent; i++)
        if (s->ent[i].kind == kind && s->ent[i].hash == hash)
            return;
    for (size_t d = 0; d < n; d++) {
        const char *v = dicts[d] ? hu_dict_get(dicts[d], kind, hash) : NULL;
        if (v) {
            size_t len = strlen(v);
            s->ent[s->n_ent++] = (struct hu_summary_entity){ (uint8_t)kind, (uint8_t)(len > 255 ? 255 : len),
                                                             hash, v };
            return;
        }
    }
}

void hu_summary_collect_entities(struct hu_summary *s, const struct hu_entity_dict *const *dicts, size_t n)
{
    static const struct { int pset; enum hu_dict_kind kind; } map[] = {
        { HU_PSET_IP, HU_DICT_IP }, { HU_PSET_PREFIX, HU_DICT_PREFIX },
        { HU_PSET_CLIENT_FP, HU_DICT_CLIENT_FP }, { HU_PSET_HEADERS_FP, HU_DICT_HEADERS_FP },
        { HU_PSET_UA, HU_DICT_USER_AGENT }, { HU_PSET_PAYMENT, HU_DICT_PAYMENT },
    };
    struct hu_kmv ks_;     /* hu_profile_set() scratch */
    s->n_ent = 0;
    for (size_t m = 0; m < sizeof map / sizeof map[0]; m++) {
        const struct hu_kmv *k = hu_profile_set(&s->prof, (enum hu_pset)map[m].pset, &ks_);
        for (unsigned i = 0; i < k->n; i++)
            add_entity(s, dicts, n, map[m].kind, k->h[i]);
    }
    add_entity(s, dicts, n, HU_DICT_PAYMENT, s->prof.facts.payment_hash);
}

int hu_summary_encode(const struct hu_summary *s, struct hu_buf *out)
{
    uint8_t pb[HU_PROFILE_SERIALIZED_MAX];
    size_t plen = hu_profile_serialize(&s->prof, pb, sizeof pb);
    if (!plen || s->id_len > UINT16_MAX)
        return HU_EINVAL;
    int rc = hu_buf_add(out, "HUS1", 4);
    if (!rc) rc = put(out, s->shard, 4);
    if (!rc) rc = put(out, s->first_seq, 8);
    if (!rc) rc = put(out, s->last_seq, 8);
    if (!rc) rc = put(out, s->id_len, 2);
    if (!rc) rc = hu_buf_add(out, s->id, s->id_len);
    if (!rc) rc = put(out, plen, 4);
    if (!rc) rc = hu_buf_add(out, pb, plen);
    if (!rc) rc = put(out, s->n_ent, 2);
    for (size_t i = 0; i < s->n_ent && !rc; i++) {
        rc = put(out, s->ent[i].kind, 1);
        if (!rc) rc = put(out, s->ent[i].hash, 8);
        if (!rc) rc = put(out, s->ent[i].len, 1);
        if (!rc) rc = hu_buf_add(out, s->ent[i].value, s->ent[i].len);
    }
    return rc;
}

int hu_summary_decode(struct hu_summary *s, const void *buf, size_t len)
{
    struct cur c = { buf, (const uint8_t *)buf + len, 0 };
    const char *magic = get_bytes(&c, 4);
    if (!magic || memcmp(magic, "HUS1", 4))
        return HU_ECORRUPT;
    s->shard = (uint32_t)get(&c, 4);
    s->first_seq = get(&c, 8);
    s->last_seq = get(&c, 8);
    s->id_len = (size_t)get(&c, 2);
    s->id = get_bytes(&c, s->id_len);
    size_t plen = (size_t)get(&c, 4);
    const char *pb = get_bytes(&c, plen);
    if (c.bad || !s->id_len || hu_profile_deserialize_safe(&s->prof, pb, plen) != (int)plen)
        return HU_ECORRUPT;
    size_t n = (size_t)get(&c, 2);
    if (n > HU_SUMMARY_MAX_ENTITIES)
        return HU_ECORRUPT;
    s->n_ent = 0;
    for (size_t i = 0; i < n; i++) {
        struct hu_summary_entity *e = &s->ent[s->n_ent];
        e->kind = (uint8_t)get(&c, 1);
        e->hash = get(&c, 8);
        e->len = (uint8_t)get(&c, 1);
        e->value = get_bytes(&c, e->len);
        if (c.bad || e->kind >= HU_DICT_KIND_COUNT)
            return HU_ECORRUPT;
        s->n_ent++;
    }
    if (c.bad || c.p != c.end || s->prof.account_hash != hu_hash(s->id, s->id_len))
        return HU_ECORRUPT;
    return HU_OK;
}

/* ---- markers ---------------------------------------------------------------------- */

int hu_marker_encode(const struct hu_marker *m, struct hu_buf *out)
{
    size_t wl = strnlen(m->worker, sizeof m->worker);
    int rc = hu_buf_add(out, "HUM1", 4);
    if (!rc) rc = put(out, m->shard, 4);
    if (!rc) rc = put(out, m->seq, 8);
    if (!rc) rc = put(out, m->c.requests, 8);
    if (!rc) rc = put(out, m->c.account_events, 8);
    if (!rc) rc = put(out, m->c.lost, 8);
    if (!rc) rc = put(out, (uint64_t)m->c.first_ts, 8);
    if (!rc) rc = put(out, (uint64_t)m->c.last_ts, 8);
    if (!rc) rc = put(out, m->n_rel, 4);
    for (size_t i = 0; i < m->n_rel && !rc; i++) {
        rc = put(out, m->rel[i].model_hash, 8);
        if (!rc) rc = put(out, (uint64_t)m->rel[i].ts_ms, 8);
    }
    if (!rc) rc = put(out, wl, 2);
    if (!rc) rc = hu_buf_add(out, m->worker, wl);
    return rc;
}

int hu_marker_decode(struct hu_marker *m, const void *buf, size_t len)
{
    struct cur c = { buf, (const uint8_t *)buf + len, 0 };
    const char *magic = get_bytes(&c, 4);
    if (!magic || memcmp(magic, "HUM1", 4))
        return HU_ECORRUPT;
    memset(m, 0, sizeof *m);
    m->shard = (uint32_t)get(&c, 4);
    m->seq = get(&c, 8);
    m->c.requests = get(&c, 8);
    m->c.account_events = get(&c, 8);
    m->c.lost = get(&c, 8);
    m->c.first_ts = (int64_t)get(&c, 8);
    m->c.last_ts = (int64_t)get(&c, 8);
    size_t n = (size_t)get(&c, 4);
    if (c.bad || n > HU_MAX_RELEASES)
        return HU_ECORRUPT;
    for (size_t i = 0; i < n; i++) {
        m->rel[i].model_hash = get(&c, 8);
        m->rel[i].ts_ms = (int64_t)get(&c, 8);
    }
    m->n_rel = n;
    size_t wl = (size_t)get(&c, 2);
    const char *w = get_bytes(&c, wl);
    if (c.bad || wl >= sizeof m->worker || c.p != c.end)
        return HU_ECORRUPT;
    memcpy(m->worker, w, wl);
    m->worker[wl] = 0;
    return HU_OK;
}
