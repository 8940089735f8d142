/*
 * observer.c -- event -> features -> profile, see observer.h.
 *
 * Besides the profile, each request leaves its printable identifiers in
 * the dictionary (address, prefix, fingerprints, user agent, payment
 * fingerprint, model) so that campaign indicators can be printed later;
 * the dictionary is capped (entity_dict.h), and a lookup before each put
 * keeps the common case (a value seen before) to one probe.
 */
#include "profile/observer.h"
#include "core/alloc.h"
#include "core/hash.h"
#include "features/net.h"

#include <string.h>
#include <time.h>

struct hu_observer {
    struct hu_features *own_fx;
    const struct hu_features *fx;
    struct hu_fx_worker *worker;
    struct hu_profile_table *table;
    struct hu_entity_dict *dict;
    struct hu_release releases[HU_MAX_RELEASES];
    size_t n_releases;
    int zero_targets;
    int features_only;
    int last_request;                  /* the last event observed was a request */
    struct hu_observer_counts c;
    struct hu_event run_ev;           /* hu_observer_run's read buffer */
    struct hu_req_features last_f;     /* hu_observer_last_request */
    const struct hu_profile *last_p;   /* NULL unless the last event was a request */
    /* (kind, hash) keys recently handed to the dictionary, direct-mapped.
     * Most events repeat the model, user agent, client fingerprint and
     * payment of the event before; a hit here skips a probe of a table of
     * millions of entries (a cache miss: 6% of the per-event path at scale
     * 0.1 before).  A hit only says "already remembered or refused", so the
     * dictionary's content is the same with or without it. */
    uint64_t remembered[HU_OBS_REMEMBERED];
};

int hu_observer_create(const struct hu_observer_config *cfg, struct hu_observer **out,
                       char *errbuf, size_t errcap)
{
    struct hu_observer *o = hu_calloc(1, sizeof *o);
    if (!o)
        return HU_ENOMEM;
    o->zero_targets = cfg->zero_targets;
    o->features_only = cfg->features_only;
    o->c.first_ts = INT64_MAX;
    o->c.last_ts = INT64_MIN;
    int rc = HU_OK;
    if (cfg->fx) {
        o->fx = cfg->fx;
    } else {
        rc = hu_features_create(&cfg->features, &o->own_fx, errbuf, errcap);
        if (rc)
            goto fail;
        o->fx = o->own_fx;
    }
    rc = hu_fx_worker_create(o->fx, &o->worker);
    if (!rc)   /* profiles do not read the SimHash (features.h) */
        (void)hu_fx_worker_simhash(o->worker, 0);
    if (!rc)
        rc = hu_profile_table_create(0, &o->table);
    if (!rc)
        rc = hu_dict_create(&o->dict);
    if (rc)
        goto fail;
    *out = o;
    return HU_OK;
fail:
    hu_observer_destroy(o);
    return rc;
}

void hu_observer_destroy(struct hu_observer *o)
{
    if (!o)
        return;
    hu_dict_destroy(o->dict);
    hu_profile_table_destroy(o->table);
    hu_fx_worker_destroy(o->worker);
    hu_features_destroy(o->own_fx);
    hu_free(o);
}

struct hu_profile_table *hu_observer_table(const struct hu_observer *o) { return o->table; }
const struct hu_entity_dict *hu_observer_dict(const struct hu_observer *o) { return o->dict; }

const struct hu_release *hu_observer_releases(const struct hu_observer *o, size_t *n)
{
    *n = o->n_releases;
    return o->releases;
}

void hu_observer_counts(const struct hu_observer *o, struct hu_observer_counts *out)
{
    *out = o->c;
    out->releases = o->n_releases;
}

/* ---- import (observer.h) ------------------------------------------------- */

int hu_observer_import_profile(struct hu_observer *o, const char *id, size_t len, const struct hu_profile *p)
{
    struct hu_profile *dst;
    int created;
    int rc = hu_profile_table_get(o->table, id, len, &dst, &created);
    if (rc)
        return rc;
    if (created) {
        memcpy(dst, p, sizeof *dst);
        return HU_OK;
    }
    return hu_profile_merge(dst, p);
}

void hu_observer_import_entity(struct hu_observer *o, enum hu_dict_kind kind, uint64_t hash, const char *value,
                               size_t len)
{
    if (hash && value && len && (unsigned)kind < HU_DICT_KIND_COUNT && !hu_dict_get(o->dict, kind, hash))
        (void)hu_dict_put(o->dict, kind, hash, value, len);   /* full: only pretty-printing is lost */
}

void hu_releases_note(struct hu_release *rel, size_t *n, uint64_t model_hash, int64_t ts_ms)
{
    for (size_t i = 0; i < *n; i++) {
        if (rel[i].model_hash == model_hash) {
            if (ts_ms < rel[i].ts_ms)
                rel[i].ts_ms = ts_ms;
            return;
        }
    }
    if (*n < HU_MAX_RELEASES)
        rel[(*n)++] = (struct hu_release){ model_hash, ts_ms };
}

void hu_observer_import_release(struct hu_observer *o, uint64_t model_hash, int64_t ts_ms)
{
    hu_releases_note(o->releases, &o->n_releases, model_hash, ts_ms);
}

void hu_observer_import_counts(struct hu_observer *o, const struct hu_observer_counts *c)
{
    o->c.requests += c->requests;
    o->c.account_events += c->account_events;
    o->c.lost += c->lost;
    if (c->first_ts < o->c.first_ts) o->c.first_ts = c->first_ts;
    if (c->last_ts > o->c.last_ts) o->c.last_ts = c->last_ts;
}

/* 1 if (kind, hash) was handed to the dictionary recently; notes it if not. */
static int recently_remembered(struct hu_observer *o, enum hu_dict_kind kind, uint64_t hash)
{
    uint64_t key = hu_hash_combine(hash, (uint64_t)kind + 1) | 1;
    uint64_t *slot = &o->remembered[key & (HU_OBS_REMEMBERED - 1)];
    if (*slot == key)
        return 1;
    *slot = key;
    return 0;
}

struct hu_entity_dict *hu_observer_dict_mut(struct hu_observer *o) { return o->dict; }

void hu_observer_restore(struct hu_observer *o, const struct hu_observer_counts *c,
                         const struct hu_release *rel, size_t n)
{
    o->c = *c;
    o->c.releases = 0;
    o->n_releases = n < HU_MAX_RELEASES ? n : HU_MAX_RELEASES;
    if (o->n_releases)
        memcpy(o->releases, rel, o->n_releases * sizeof *rel);
}

static void remember(struct hu_observer *o, enum hu_dict_kind kind, uint64_t hash, struct hu_span s)
{
    if (!hash || !s.ptr || !s.len || recently_remembered(o, kind, hash))
        return;
    if (!hu_dict_get(o->dict, kind, hash))
        (void)hu_dict_put(o->dict, kind, hash, s.ptr, s.len);   /* a full dictionary only loses pretty-printing */
}

/* "a.b.c.d" of the first n bytes into buf (>= 16 bytes), NUL-terminated;
 * returns the length.  hu_ip_str's IPv4 text without snprintf, which was
 * 5% of the per-event path on rotating-address traffic (every new address
 * is printed once). */
static size_t dotted(const uint8_t *b, int n, char *buf)
{
    size_t k = 0;
    for (int i = 0; i < n; i++) {
        unsigned v = b[i];
        if (i)
            buf[k++] = '.';
        if (v >= 100)
            buf[k++] = (char)('0' + v / 100);
        if (v >= 10)
            buf[k++] = (char)('0' + v / 10 % 10);
        buf[k++] = (char)('0' + v % 10);
    }
    buf[k] = 0;
    return k;
}

static void remember_network(struct hu_observer *o, const struct hu_event *ev,
                             const struct hu_req_features *f)
{
    if (!f->ip_hash || recently_remembered(o, HU_DICT_IP, f->ip_hash)
        || hu_dict_get(o->dict, HU_DICT_IP, f->ip_hash))
        return;
    struct hu_ip ip;
    if (!ev->ip.ptr || hu_ip_parse(ev->ip.ptr, ev->ip.len, &ip) != HU_OK)
        return;
    char buf[64];
    size_t n;
    if (!ip.v6) {
        n = dotted(ip.bytes, 4, buf);                  /* = hu_ip_str, without snprintf */
    } else {
        hu_ip_str(&ip, buf, sizeof buf);
        n = strlen(buf);
    }
    (void)hu_dict_put(o->dict, HU_DICT_IP, f->ip_hash, buf, n);
    if (f->prefix_hash && !hu_dict_get(o->dict, HU_DICT_PREFIX, f->prefix_hash)) {
        if (!ip.v6) {
            n = dotted(ip.bytes, 3, buf);              /* = hu_ip_prefix_str */
            memcpy(buf + n, ".0/24", 6);
            n += 5;
        } else {
            hu_ip_prefix_str(&ip, buf, sizeof buf);
            n = strlen(buf);
        }
        (void)hu_dict_put(o->dict, HU_DICT_PREFIX, f->prefix_hash, buf, n);
    }
}

static void observe_release(struct hu_observer *o, const struct hu_event *ev)
{
    uint64_t mh = hu_hash(ev->model.ptr, ev->model.len);
    remember(o, HU_DICT_MODEL, mh, ev->model);
    hu_releases_note(o->releases, &o->n_releases, mh, ev->ts_ms);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One request or account event; *created says whether the account is new.
 * With `t` non-NULL the seconds spent in feature extraction and in the
 * profile update are added to t[0] and t[1]. */
static int observe_one(struct hu_observer *o, const struct hu_event *ev, int *created, double *t)
{
    struct hu_profile *p;
    *created = 0;
    o->last_request = 0;
    if (o->features_only) {
        hu_features_extract(o->worker, ev, &o->last_f);
        if (o->zero_targets)
            memset(o->last_f.target, 0, sizeof o->last_f.target);
        o->last_p = NULL;
        o->last_request = ev->kind == HU_EV_REQUEST;
        o->c.requests += o->last_request;
        return HU_OK;
    }
    int rc = hu_profile_table_get(o->table, ev->account_id.ptr, ev->account_id.len, &p, created);
    if (rc) {
        o->c.lost++;
        return rc;
    }
    struct hu_req_features f;
    double t0 = t ? now_s() : 0;
    hu_features_extract(o->worker, ev, &f);
    double t1 = t ? now_s() : 0;
    if (o->zero_targets)
        memset(f.target, 0, sizeof f.target);
    if (ev->kind == HU_EV_ACCOUNT) {
        hu_profile_observe_account(p, ev, &f);
        o->c.account_events++;
    } else {
        hu_profile_observe_request(p, ev, &f);
        o->last_f = f;
        o->last_p = p;
        o->last_request = 1;
        o->c.requests++;
        if (ev->ts_ms < o->c.first_ts) o->c.first_ts = ev->ts_ms;
        if (ev->ts_ms > o->c.last_ts) o->c.last_ts = ev->ts_ms;
    }
    remember_network(o, ev, &f);
    remember(o, HU_DICT_CLIENT_FP, f.client_fp_hash, ev->client_fp);
    remember(o, HU_DICT_HEADERS_FP, f.headers_fp_hash, ev->headers_fp);
    remember(o, HU_DICT_USER_AGENT, f.ua_hash, ev->user_agent);
    remember(o, HU_DICT_PAYMENT, f.payment_hash, ev->payment_fp);
    remember(o, HU_DICT_MODEL, f.model_hash, ev->model);
    if (t) {
        t[0] += t1 - t0;
        t[1] += now_s() - t1;
    }
    return HU_OK;
}

const struct hu_req_features *hu_observer_last_request(const struct hu_observer *o,
                                                       const struct hu_profile **p)
{
    *p = o->last_p;
    return o->last_p ? &o->last_f : NULL;
}

int hu_observer_observe(struct hu_observer *o, const struct hu_event *ev)
{
    o->last_p = NULL;
    if (ev->kind == HU_EV_MODEL_RELEASE) {
        observe_release(o, ev);
        return HU_OK;
    }
    int created;
    return observe_one(o, ev, &created, NULL);
}

/* ---- several threads: hu_observer_run ------------------------------------
 *
 * The calling thread reads (decompress, frame, parse: whatever `next`
 * does) and deals each event to shard hash(account_id) % n, copying it
 * into that shard's current batch (the event's fixed fields, its tool
 * spans, then every span's bytes, the spans re-pointed at the copies).
 * A full batch (RUN_BATCH_BYTES) is handed over under the shard's mutex:
 * one lock per batch of ~1,000 events, never one per event.  Each shard
 * thread owns an observer (its own profile table and dictionary, the
 * feature context shared read-only), so no two threads ever write the
 * same memory.  RUN_BATCHES batches per shard circulate between the
 * reader and the shard, which bounds the memory in flight to
 * n * RUN_BATCHES * RUN_BATCH_BYTES and makes the reader wait when a
 * shard falls behind (back-pressure instead of an unbounded queue).
 *
 * Deterministic order.  The reader numbers the events it deals (seq); a
 * shard records, for each account it creates, the seq of the event that
 * created it.  Within a shard records are therefore in increasing seq.
 * The merge walks the shards like a k-way merge by that seq and copies
 * each profile into the caller's table, so the caller's table lists the
 * accounts in exactly the first-seen order of a single-threaded run, and
 * every profile is bit-identical to the single-threaded one (an account's
 * events all reach the same shard, in input order).  Model releases are
 * observed by the reader itself, in input order.  Dictionaries are merged
 * shard by shard; a (kind, hash) pair always maps to the same value, so
 * the merged dictionary answers the same as a single-threaded one unless
 * its caps (entity_dict.h) were reached.  Hence `huella analyze` writes
 * the same bytes whatever the thread count (tests/cli/test_threads.sh).
 */
#include <pthread.h>
#include <stddef.h>
#include <unistd.h>

#define RUN_BATCH_BYTES ((size_t)1 << 20)
/* 16 batches (about 15,000 events) per shard: the reader deals in input
 * order, so when one shard's queue is full the reader stops and the other
 * shards starve (head-of-line blocking).  With 4 batches the reader waited
 * 35 s of a 135 s observe stage at scale 1; deeper queues absorb the
 * bursts of one busy account. */
#define RUN_BATCHES     16
/* The features/profiles split of --timings is sampled on one event in
 * RUN_TIME_EVERY (three clock reads per event were 2% of the path). */
#define RUN_TIME_EVERY  32u

struct run_batch {
    char *buf;
    size_t cap, used;
    uint32_t n;
};

struct run_rec {
    uint64_t seq;
    uint64_t size;          /* bytes of this record, header included, multiple of 8 */
    uint32_t n_tools, n_truncated;
};

struct run_shard {
    struct hu_observer *obs;
    unsigned index;
    const struct hu_observer_tap *tap;      /* may be NULL */
    pthread_t th;
    int started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct run_batch batches[RUN_BATCHES];
    struct run_batch *full[RUN_BATCHES];    /* FIFO, full_n from full_head */
    size_t full_head, full_n;
    struct run_batch *spare[RUN_BATCHES];   /* stack */
    size_t spare_n;
    struct run_batch *cur;                  /* reader side, being filled */
    int done;                               /* reader: no more batches */
    int rc;                                 /* shard: first HU_ENOMEM */
    uint64_t *first_seq;                    /* per record of obs->table */
    size_t first_cap;
    double t[2];                            /* features, profiles: sampled, see RUN_TIME_EVERY */
    uint64_t n_timed;                       /* events seen, for the sampling */
    struct hu_event ev;                     /* decode scratch */
};

/* Every span of struct hu_event before tools[] (keep in step with event.h;
 * tests/cli/test_threads.sh compares outputs across thread counts). */
static const size_t span_offs[] = {
    offsetof(struct hu_event, account_id), offsetof(struct hu_event, org_id),
    offsetof(struct hu_event, api_key_id), offsetof(struct hu_event, ip),
    offsetof(struct hu_event, country), offsetof(struct hu_event, user_agent),
    offsetof(struct hu_event, client_fp), offsetof(struct hu_event, headers_fp),
    offsetof(struct hu_event, endpoint), offsetof(struct hu_event, model),
    offsetof(struct hu_event, system), offsetof(struct hu_event, prompt),
    offsetof(struct hu_event, payment_fp), offsetof(struct hu_event, label),
    offsetof(struct hu_event, account_type), offsetof(struct hu_event, email_domain),
    offsetof(struct hu_event, verification), offsetof(struct hu_event, features_json),
};
#define N_SPANS (sizeof span_offs / sizeof span_offs[0])
#define EV_HEAD offsetof(struct hu_event, tools)

static size_t align8(size_t n) { return (n + 7) & ~(size_t)7; }

static size_t rec_size(const struct hu_event *ev)
{
    size_t n = align8(sizeof(struct run_rec)) + align8(EV_HEAD) + ev->n_tools * sizeof(struct hu_span);
    for (size_t i = 0; i < N_SPANS; i++)
        n += ((const struct hu_span *)((const char *)ev + span_offs[i]))->len;
    for (uint32_t i = 0; i < ev->n_tools; i++)
        n += ev->tools[i].len;
    return align8(n);
}

static char *put_span(struct hu_span *s, char *p)
{
    if (s->ptr) {
        if (s->len)
            memcpy(p, s->ptr, s->len);
        s->ptr = p;
        p += s->len;
    }
    return p;
}

/* Append ev to b (room checked by the caller). */
static void rec_put(struct run_batch *b, const struct hu_event *ev, uint64_t seq, size_t size)
{
    char *base = b->buf + b->used;
    struct run_rec *r = (struct run_rec *)(void *)base;
    r->seq = seq;
    r->size = size;
    r->n_tools = ev->n_tools;
    r->n_truncated = ev->n_truncated;
    struct hu_event *head = (struct hu_event *)(void *)(base + align8(sizeof *r));
    memcpy(head, ev, EV_HEAD);
    struct hu_span *tools = (struct hu_span *)(void *)((char *)head + align8(EV_HEAD));
    memcpy(tools, ev->tools, ev->n_tools * sizeof *tools);
    char *p = (char *)(tools + ev->n_tools);
    for (size_t i = 0; i < N_SPANS; i++)
        p = put_span((struct hu_span *)(void *)((char *)head + span_offs[i]), p);
    for (uint32_t i = 0; i < ev->n_tools; i++)
        p = put_span(&tools[i], p);
    b->used += size;
    b->n++;
}

/* Rebuild the event at `base` into ev; returns its seq. */
static uint64_t rec_get(const char *base, struct hu_event *ev, size_t *size)
{
    const struct run_rec *r = (const struct run_rec *)(const void *)base;
    const char *head = base + align8(sizeof *r);
    memcpy(ev, head, EV_HEAD);
    ev->n_tools = r->n_tools;
    memcpy(ev->tools, head + align8(EV_HEAD), r->n_tools * sizeof(struct hu_span));
    ev->n_truncated = r->n_truncated;
    *size = r->size;
    return r->seq;
}

static int shard_note_account(struct run_shard *sh, uint64_t seq)
{
    size_t i = hu_profile_table_count(sh->obs->table) - 1;
    if (i >= sh->first_cap) {
        size_t cap = sh->first_cap ? sh->first_cap * 2 : 4096;
        uint64_t *v = hu_realloc(sh->first_seq, cap * sizeof *v);
        if (!v)
            return HU_ENOMEM;
        sh->first_seq = v;
        sh->first_cap = cap;
    }
    sh->first_seq[i] = seq;
    return HU_OK;
}

/* Call the tap on the request o just folded in; pin its account if asked.
 * HU_OK or HU_ENOMEM. */
static int tap_call(const struct hu_observer_tap *tap, unsigned shard, struct hu_observer *o,
                    const struct hu_event *ev)
{
    int r = tap->fn(tap->ctx, shard, ev, o->last_p, &o->last_f);
    if (r == HU_ENOMEM)
        return r;
    if (r == HU_OBSERVER_TAP_PIN && o->last_p) {
        /* HU_ENOENT cannot happen: the request was just folded into the table */
        int pr = hu_profile_table_pin(o->table, ev->account_id.ptr, ev->account_id.len, 1);
        (void)pr;
    }
    return HU_OK;
}

static void *shard_main(void *arg)
{
    struct run_shard *sh = arg;
    for (;;) {
        pthread_mutex_lock(&sh->mu);
        while (!sh->full_n && !sh->done)
            pthread_cond_wait(&sh->cv, &sh->mu);
        if (!sh->full_n) {
            pthread_mutex_unlock(&sh->mu);
            break;
        }
        struct run_batch *b = sh->full[sh->full_head];
        sh->full_head = (sh->full_head + 1) % RUN_BATCHES;
        sh->full_n--;
        pthread_mutex_unlock(&sh->mu);

        size_t off = 0;
        int rc = HU_OK;
        for (uint32_t i = 0; i < b->n; i++) {
            size_t size;
            uint64_t seq = rec_get(b->buf + off, &sh->ev, &size);
            off += size;
            int created;
            double *t = sh->n_timed++ % RUN_TIME_EVERY == 0 ? sh->t : NULL;
            int r = observe_one(sh->obs, &sh->ev, &created, t);
            if (!r && created)
                r = shard_note_account(sh, seq);
            if (!r && sh->tap && sh->obs->last_request)
                r = tap_call(sh->tap, sh->index, sh->obs, &sh->ev);
            if (r == HU_ENOMEM)
                rc = r;
        }
        b->used = 0;
        b->n = 0;
        pthread_mutex_lock(&sh->mu);
        if (rc && !sh->rc)
            sh->rc = rc;
        sh->spare[sh->spare_n++] = b;
        pthread_cond_broadcast(&sh->cv);
        pthread_mutex_unlock(&sh->mu);
    }
    return NULL;
}

/* Reader side: hand the current batch over (if it holds events). */
static void shard_push(struct run_shard *sh)
{
    if (!sh->cur || !sh->cur->n)
        return;
    pthread_mutex_lock(&sh->mu);
    sh->full[(sh->full_head + sh->full_n) % RUN_BATCHES] = sh->cur;
    sh->full_n++;
    sh->cur = NULL;
    pthread_cond_broadcast(&sh->cv);
    pthread_mutex_unlock(&sh->mu);
}

/* Reader side: an empty batch to fill (waits for one); returns the
 * shard's error status so far. */
static int shard_take(struct run_shard *sh, double *wait)
{
    if (sh->cur)
        return HU_OK;
    double t0 = now_s();
    pthread_mutex_lock(&sh->mu);
    while (!sh->spare_n)
        pthread_cond_wait(&sh->cv, &sh->mu);
    sh->cur = sh->spare[--sh->spare_n];
    int rc = sh->rc;
    pthread_mutex_unlock(&sh->mu);
    *wait += now_s() - t0;
    return rc;
}

static int run_inline(struct hu_observer *o, hu_event_next_fn next, void *ctx,
                      const struct hu_observer_tap *tap, struct hu_observer_run_stats *st)
{
    struct hu_event ev;
    int got, rc = HU_OK;
    for (;;) {
        double t0 = now_s();
        got = next(ctx, &ev);
        st->read += now_s() - t0;
        if (got != 1)
            break;
        st->events++;
        if (ev.kind == HU_EV_MODEL_RELEASE) {
            observe_release(o, &ev);
            continue;
        }
        int created;
        double tt[2] = { 0, 0 };
        if (observe_one(o, &ev, &created, tt) == HU_ENOMEM
            || (tap && o->last_request && tap_call(tap, 0, o, &ev) == HU_ENOMEM)) {
            rc = HU_ENOMEM;
            break;
        }
        st->features += tt[0];
        st->profiles += tt[1];
    }
    if (!rc && got < 0)
        rc = got;
    return rc;
}

static int merge_shards(struct hu_observer *o, struct run_shard *sh, unsigned n)
{
    size_t at[HU_MAX_OBSERVER_THREADS] = { 0 }, cnt[HU_MAX_OBSERVER_THREADS];
    for (unsigned s = 0; s < n; s++)
        cnt[s] = hu_profile_table_count(sh[s].obs->table);
    for (;;) {
        unsigned best = n;
        for (unsigned s = 0; s < n; s++)
            if (at[s] < cnt[s] && (best == n || sh[s].first_seq[at[s]] < sh[best].first_seq[at[best]]))
                best = s;
        if (best == n)
            break;
        const struct hu_profile_table *t = sh[best].obs->table;
        size_t len;
        const char *id = hu_profile_table_id(t, at[best], &len);
        const struct hu_profile *src = hu_profile_table_at(t, at[best]);
        struct hu_profile *dst;
        int created;
        int rc = hu_profile_table_get(o->table, id, len, &dst, &created);
        if (rc)
            return rc;
        if (created)
            memcpy(dst, src, sizeof *dst);
        else if (hu_profile_merge(dst, src) != HU_OK)
            return HU_EINTERNAL;
        at[best]++;
        hu_profile_table_drain_to(sh[best].obs->table, at[best]);
    }
    for (unsigned s = 0; s < n; s++) {
        int rc = hu_dict_merge(o->dict, sh[s].obs->dict);
        if (rc == HU_ENOMEM)
            return rc;
        hu_profile_table_add_losses(o->table, hu_profile_table_evicted(sh[s].obs->table),
                                    hu_profile_table_refused(sh[s].obs->table));
        const struct hu_observer_counts *c = &sh[s].obs->c;
        o->c.requests += c->requests;
        o->c.account_events += c->account_events;
        o->c.lost += c->lost;
        if (c->first_ts < o->c.first_ts) o->c.first_ts = c->first_ts;
        if (c->last_ts > o->c.last_ts) o->c.last_ts = c->last_ts;
    }
    return HU_OK;
}

unsigned hu_observer_default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        return 1;
    return n > (long)HU_MAX_OBSERVER_THREADS ? HU_MAX_OBSERVER_THREADS : (unsigned)n;
}

unsigned hu_observer_threads(unsigned n_threads)
{
    if (n_threads == 0)
        n_threads = hu_observer_default_threads();
    return n_threads > HU_MAX_OBSERVER_THREADS ? HU_MAX_OBSERVER_THREADS : n_threads;
}

int hu_observer_run(struct hu_observer *o, hu_event_next_fn next, void *ctx, unsigned n_threads,
                    struct hu_observer_run_stats *stats)
{
    return hu_observer_run_tap(o, next, ctx, n_threads, NULL, stats);
}

int hu_observer_run_tap(struct hu_observer *o, hu_event_next_fn next, void *ctx, unsigned n_threads,
                        const struct hu_observer_tap *tap, struct hu_observer_run_stats *stats)
{
    struct hu_observer_run_stats st_local, *st = stats ? stats : &st_local;
    memset(st, 0, sizeof *st);
    if (!o || !next)
        return HU_EINVAL;
    n_threads = hu_observer_threads(n_threads);
    double t_start = now_s();
    if (n_threads == 1) {
        int rc = run_inline(o, next, ctx, tap, st);
        st->wall = now_s() - t_start;
        return rc;
    }
    st->threads = n_threads;
    struct run_shard *sh = hu_calloc(n_threads, sizeof *sh);
    if (!sh)
        return HU_ENOMEM;
    int rc = HU_OK;
    unsigned n_init = 0;
    while (n_init < n_threads) {
        struct run_shard *s = &sh[n_init];
        struct hu_observer_config oc = { .fx = o->fx, .zero_targets = o->zero_targets,
                                         .features_only = o->features_only };
        rc = hu_observer_create(&oc, &s->obs, NULL, 0);
        if (rc)
            break;
        s->index = n_init;
        s->tap = tap;
        /* the account bound holds across shards: accounts are dealt by hash,
         * so each shard holds its share (profile_table.h: eviction) */
        size_t max = hu_profile_table_max(o->table);
        if (max)
            hu_profile_table_set_max(hu_observer_table(s->obs), (max + n_threads - 1) / n_threads);
        pthread_mutex_init(&s->mu, NULL);
        pthread_cond_init(&s->cv, NULL);
        n_init++;
        for (int b = 0; b < RUN_BATCHES; b++) {
            s->batches[b].buf = hu_malloc(RUN_BATCH_BYTES);
            if (!s->batches[b].buf)
                rc = HU_ENOMEM;
            s->batches[b].cap = RUN_BATCH_BYTES;
            s->spare[s->spare_n++] = &s->batches[b];
        }
        if (rc)
            break;
    }
    for (unsigned s = 0; s < n_init && !rc; s++) {
        if (pthread_create(&sh[s].th, NULL, shard_main, &sh[s]) != 0)
            rc = HU_ENOMEM;
        else
            sh[s].started = 1;
    }
    /* ---- read and deal ---- */
    uint64_t seq = 0;
    int got = 0;
    while (!rc) {
        double t0 = now_s();
        struct hu_event *ev = &o->run_ev;
        got = next(ctx, ev);
        st->read += now_s() - t0;
        if (got != 1)
            break;
        st->events++;
        if (ev->kind == HU_EV_MODEL_RELEASE) {
            observe_release(o, ev);
            continue;
        }
        uint64_t h = hu_hash(ev->account_id.ptr ? ev->account_id.ptr : "", ev->account_id.len);
        struct run_shard *s = &sh[(h >> 40) % n_threads];
        size_t need = rec_size(ev);
        rc = shard_take(s, &st->wait);
        if (rc)
            break;
        if (s->cur->used + need > s->cur->cap && s->cur->n) {
            shard_push(s);
            rc = shard_take(s, &st->wait);
            if (rc)
                break;
        }
        if (need > s->cur->cap) {
            /* one event larger than a batch (a line up to HU_MAX_LINE_BYTES):
             * grow this empty batch for it */
            char *nb = hu_realloc(s->cur->buf, need);
            if (!nb) {
                o->c.lost++;
                continue;
            }
            s->cur->buf = nb;
            s->cur->cap = need;
        }
        rec_put(s->cur, ev, seq++, need);
    }
    if (!rc && got < 0)
        rc = got;
    for (unsigned s = 0; s < n_init; s++) {
        if (sh[s].started)
            shard_push(&sh[s]);
        pthread_mutex_lock(&sh[s].mu);
        sh[s].done = 1;
        pthread_cond_broadcast(&sh[s].cv);
        pthread_mutex_unlock(&sh[s].mu);
    }
    for (unsigned s = 0; s < n_init; s++) {
        if (sh[s].started)
            pthread_join(sh[s].th, NULL);
        if (!rc && sh[s].rc)
            rc = sh[s].rc;
        st->features += sh[s].t[0] * RUN_TIME_EVERY;    /* sampled: an estimate */
        st->profiles += sh[s].t[1] * RUN_TIME_EVERY;
    }
    double t_merge = now_s();
    if (!rc)
        rc = merge_shards(o, sh, n_init);
    st->merge = now_s() - t_merge;
    for (unsigned s = 0; s < n_init; s++) {
        for (int b = 0; b < RUN_BATCHES; b++)
            hu_free(sh[s].batches[b].buf);
        hu_free(sh[s].first_seq);
        hu_observer_destroy(sh[s].obs);
        pthread_mutex_destroy(&sh[s].mu);
        pthread_cond_destroy(&sh[s].cv);
    }
    hu_free(sh);
    st->wall = now_s() - t_start;
    return rc;
}
