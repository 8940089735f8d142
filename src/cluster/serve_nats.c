/*
 * serve_nats.c -- see serve_nats.h.
 *
 * The map: open addressing on hu_hash(account_id), linear probing, load
 * <= 1/2, doubled under the write lock.  A value replaces the previous one
 * of the same account; a deleted key clears the entry's `live` flag.  The
 * values are the linker's JSON lines (linker.c, publish_decisions), parsed
 * with json-c; a value that does not parse is counted and ignored.
 */
#include "cluster/serve_nats.h"
#include "cluster/cluster.h"
#include "core/alloc.h"
#include "core/hash.h"
#include "transport/transport.h"

#include <json-c/json.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct entry {
    uint64_t h;              /* 0: empty */
    char *id;
    double score;
    int live;
    char campaign[24];
    char reasons[256];
};

struct hu_serve_nats {
    struct hu_tp *tp;
    struct hu_tp_kv *kv;
    struct hu_tp_kv_watch *w;
    pthread_t th;
    int started;
    atomic_int stop;
    pthread_rwlock_t lock;
    struct entry *v;
    size_t n, cap;
    uint64_t updates, bad;
};

static int grow(struct hu_serve_nats *s)
{
    size_t cap = s->cap ? s->cap * 2 : 1024;
    struct entry *v = hu_calloc(cap, sizeof *v);
    if (!v)
        return HU_ENOMEM;
    for (size_t i = 0; i < s->cap; i++) {
        if (!s->v[i].h)
            continue;
        size_t j = s->v[i].h & (cap - 1);
        while (v[j].h)
            j = (j + 1) & (cap - 1);
        v[j] = s->v[i];
    }
    hu_free(s->v);
    s->v = v;
    s->cap = cap;
    return HU_OK;
}

static struct entry *find(const struct hu_serve_nats *s, uint64_t h, const char *id, size_t len)
{
    if (!s->cap)
        return NULL;
    for (size_t j = h & (s->cap - 1);; j = (j + 1) & (s->cap - 1)) {
        struct entry *e = &s->v[j];
        if (!e->h)
            return NULL;
        if (e->h == h && strlen(e->id) == len && !memcmp(e->id, id, len))
            return e;
    }
}

static const char *jstr(struct json_object *o, const char *k)
{
    struct json_object *v = NULL;
    return json_object_object_get_ex(o, k, &v) && v && json_object_is_type(v, json_type_string)
               ? json_object_get_string(v) : NULL;
}

static int on_value(void *ctx, const char *key, const char *data, size_t len, uint64_t rev)
{
    struct hu_serve_nats *s = ctx;
    (void)rev;
    if (strncmp(key, "acct.", 5))
        return 0;
    if (!data) {
        /* deleted: the key names the hash only; clear every entry with it */
        unsigned long long h = strtoull(key + 5, NULL, 16);
        pthread_rwlock_wrlock(&s->lock);
        for (size_t j = 0; s->cap && j < s->cap; j++)
            if (s->v[j].h == h)
                s->v[j].live = 0;
        pthread_rwlock_unlock(&s->lock);
        return 0;
    }
    struct json_tokener *tok = json_tokener_new();
    struct json_object *o = tok ? json_tokener_parse_ex(tok, data, (int)len) : NULL;
    if (tok)
        json_tokener_free(tok);
    const char *id = o ? jstr(o, "account_id") : NULL;
    struct json_object *sc = NULL;
    if (!id || !*id || !json_object_object_get_ex(o, "score", &sc)) {
        s->bad++;
        json_object_put(o);
        return 0;
    }
    size_t idlen = strlen(id);
    uint64_t h = hu_hash(id, idlen);
    if (!h)
        h = 1;
    const char *camp = jstr(o, "campaign_id"), *why = jstr(o, "reasons");
    pthread_rwlock_wrlock(&s->lock);
    struct entry *e = find(s, h, id, idlen);
    if (!e && ((s->n + 1) * 2 <= s->cap || grow(s) == HU_OK)) {
        size_t j = h & (s->cap - 1);
        while (s->v[j].h)
            j = (j + 1) & (s->cap - 1);
        char *copy = hu_malloc(idlen + 1);
        if (copy) {
            memcpy(copy, id, idlen + 1);
            e = &s->v[j];
            e->h = h;
            e->id = copy;
            s->n++;
        }
    }
    if (e) {
        e->live = 1;
        e->score = json_object_get_double(sc);
        snprintf(e->campaign, sizeof e->campaign, "%s", camp ? camp : "");
        snprintf(e->reasons, sizeof e->reasons, "%s", why ? why : "");
        s->updates++;
    }
    pthread_rwlock_unlock(&s->lock);
    json_object_put(o);
    return 0;
}

static void *watch_main(void *arg)
{
    struct hu_serve_nats *s = arg;
    while (!atomic_load(&s->stop)) {
        int rc = hu_tp_kv_watch_next(s->w, 500, on_value, s);
        if (rc < 0) {
            /* the watch broke (a server died): open a new one, which
             * replays every current value first */
            hu_tp_kv_watch_close(s->w);
            s->w = NULL;
            while (!atomic_load(&s->stop) && hu_tp_kv_watch(s->kv, "acct.>", &s->w) != HU_OK)
                for (int i = 0; i < 10 && !atomic_load(&s->stop); i++)
                    usleep(100 * 1000);
            if (!s->w)
                break;
        }
    }
    return NULL;
}

int hu_serve_nats_start(const char *urls, struct hu_serve_nats **out, char *err, size_t errcap)
{
    *out = NULL;
    struct hu_serve_nats *s = hu_calloc(1, sizeof *s);
    if (!s)
        return HU_ENOMEM;
    pthread_rwlock_init(&s->lock, NULL);
    int rc = hu_tp_connect(urls, &s->tp, err, errcap);
    if (!rc) {
        rc = hu_tp_kv_open(s->tp, HU_CLUSTER_KV_DECISIONS, 0, HU_CLUSTER_REPLICAS, &s->kv);
        if (!rc)
            rc = hu_tp_kv_watch(s->kv, "acct.>", &s->w);
        if (rc && err && errcap)
            snprintf(err, errcap, "%s", hu_tp_error(s->tp));
    }
    if (!rc) {
        if (pthread_create(&s->th, NULL, watch_main, s) != 0)
            rc = HU_ENOMEM;
        else
            s->started = 1;
    }
    if (rc) {
        hu_serve_nats_stop(s);
        return rc;
    }
    *out = s;
    return HU_OK;
}

void hu_serve_nats_stop(struct hu_serve_nats *s)
{
    if (!s)
        return;
    atomic_store(&s->stop, 1);
    if (s->started)
        pthread_join(s->th, NULL);
    hu_tp_kv_watch_close(s->w);
    hu_tp_kv_close(s->kv);
    hu_tp_close(s->tp);
    for (size_t i = 0; i < s->cap; i++)
        hu_free(s->v[i].id);
    hu_free(s->v);
    pthread_rwlock_destroy(&s->lock);
    hu_free(s);
}

void hu_serve_nats_counts(struct hu_serve_nats *s, uint64_t *accounts, uint64_t *updates)
{
    pthread_rwlock_rdlock(&s->lock);
    *accounts = s->n;
    *updates = s->updates;
    pthread_rwlock_unlock(&s->lock);
}

int hu_serve_nats_lookup(void *ctx, const char *id, size_t len, double *score, char *campaign, size_t ccap,
                         char *reasons, size_t rcap)
{
    struct hu_serve_nats *s = ctx;
    uint64_t h = hu_hash(id, len);
    if (!h)
        h = 1;
    pthread_rwlock_rdlock(&s->lock);
    const struct entry *e = find(s, h, id, len);
    int found = e && e->live;
    if (found) {
        *score = e->score;
        snprintf(campaign, ccap, "%s", e->campaign);
        snprintf(reasons, rcap, "%s", e->reasons);
    }
    pthread_rwlock_unlock(&s->lock);
    return found;
}
