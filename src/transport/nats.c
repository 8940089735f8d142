/*
 * nats.c -- transport.h over NATS JetStream (cnats, Debian libnats-dev).
 *
 * Mapping.  A huella stream is a JetStream stream (file storage, R3 on a
 * three-node cluster); a per-message id is the Nats-Msg-Id header, which
 * the stream remembers for its duplicate window and answers a second
 * publish of it with "duplicate" instead of storing it again.  A cursor
 * is a pull consumer with AckAll: one acknowledgement of message n
 * acknowledges every message before it on that consumer, which is exactly
 * "everything up to this checkpoint is durable".  The key-value bucket is
 * JetStream KV (a stream with one subject per key and revisions).
 *
 * Publish is asynchronous (js_PublishAsync): the library keeps up to
 * PUB_MAX_PENDING messages in flight and calls ack_handler on its own
 * thread for each answer; the counters it updates are behind a mutex.
 * hu_tp_publish_wait() is the barrier: it returns HU_OK only when every
 * message queued since the last barrier was confirmed stored.
 *
 * Why a pull consumer restarted at a sequence.  With explicit acks, a
 * cursor whose reader died holds "delivered, unacknowledged" messages
 * that the server redelivers only after the ack wait, while new messages
 * flow at once: a fresh reader would see the stream out of order.  A
 * reader that owns its checkpoint (huella's workers, docs/scale-out.md)
 * therefore recreates the durable at checkpoint + 1, which gives an
 * in-order stream with nothing pending from before; the durable still
 * holds the acknowledged position that `huella cluster status` reads.
 */
#include "transport/transport.h"
#include "core/alloc.h"

#include <nats/nats.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PUB_MAX_PENDING 4096

struct hu_tp {
    natsConnection *nc;
    jsCtx *js;
    char err[256];
    pthread_mutex_t mu;
    uint64_t pub_failed, pub_dups;
};

struct hu_tp_consumer {
    struct hu_tp *tp;
    natsSubscription *sub;
    natsMsg *last;                /* last message fetched, kept for hu_tp_ack_all */
};

struct hu_tp_kv {
    struct hu_tp *tp;
    kvStore *kv;
};

struct hu_tp_kv_watch {
    struct hu_tp_kv *kv;
    kvWatcher *w;
};

static int fail(struct hu_tp *tp, natsStatus s, const char *what)
{
    const char *last = nats_GetLastError(NULL);
    snprintf(tp->err, sizeof tp->err, "%s: %s%s%s", what, natsStatus_GetText(s), last && *last ? ": " : "",
             last ? last : "");
    if (s == NATS_NO_MEMORY)
        return HU_ENOMEM;
    if (s == NATS_NOT_FOUND)
        return HU_ENOENT;
    return HU_EIO;
}

const char *hu_tp_error(const struct hu_tp *tp) { return tp ? tp->err : "no connection"; }

static void ack_handler(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *closure)
{
    struct hu_tp *tp = closure;
    (void)js;
    pthread_mutex_lock(&tp->mu);
    if (pa && pa->Duplicate)
        tp->pub_dups++;
    if (!pa || pae)
        tp->pub_failed++;
    pthread_mutex_unlock(&tp->mu);
    natsMsg_Destroy(msg);
}

int hu_tp_connect(const char *urls, struct hu_tp **out, char *err, size_t errcap)
{
    *out = NULL;
    if (!urls || !*urls)
        return HU_EINVAL;
    struct hu_tp *tp = hu_calloc(1, sizeof *tp);
    if (!tp)
        return HU_ENOMEM;
    pthread_mutex_init(&tp->mu, NULL);
    /* "a,b,c" -> the server list (the client shuffles nothing: first is tried first) */
    char list[1024];
    const char *srv[16];
    int n_srv = 0;
    snprintf(list, sizeof list, "%s", urls);
    for (char *p = list, *save = NULL, *tok; n_srv < 16 && (tok = strtok_r(p, ",", &save)) != NULL; p = NULL)
        if (*tok)
            srv[n_srv++] = tok;
    natsOptions *o = NULL;
    natsStatus s = natsOptions_Create(&o);
    if (s == NATS_OK) s = natsOptions_SetServers(o, srv, n_srv);
    if (s == NATS_OK) s = natsOptions_SetNoRandomize(o, false);
    if (s == NATS_OK) s = natsOptions_SetMaxReconnect(o, -1);
    if (s == NATS_OK) s = natsOptions_SetReconnectWait(o, 250);
    if (s == NATS_OK) s = natsOptions_SetTimeout(o, 2000);
    if (s == NATS_OK) s = natsOptions_SetName(o, "huella");
    if (s == NATS_OK) s = natsConnection_Connect(&tp->nc, o);
    natsOptions_Destroy(o);
    if (s == NATS_OK) {
        jsOptions jo;
        jsOptions_Init(&jo);
        jo.Wait = HU_TP_TIMEOUT_MS;
        jo.PublishAsync.MaxPending = PUB_MAX_PENDING;
        jo.PublishAsync.StallWait = HU_TP_TIMEOUT_MS;
        jo.PublishAsync.AckHandler = ack_handler;
        jo.PublishAsync.AckHandlerClosure = tp;
        s = natsConnection_JetStream(&tp->js, tp->nc, &jo);
    }
    if (s != NATS_OK) {
        int rc = fail(tp, s, "connect");
        if (err && errcap)
            snprintf(err, errcap, "%s (%s)", tp->err, urls);
        hu_tp_close(tp);
        return rc;
    }
    *out = tp;
    return HU_OK;
}

void hu_tp_close(struct hu_tp *tp)
{
    if (!tp)
        return;
    if (tp->js) {
        jsPubOptions po;
        jsPubOptions_Init(&po);
        po.MaxWait = 2000;
        (void)js_PublishAsyncComplete(tp->js, &po);
        jsCtx_Destroy(tp->js);
    }
    if (tp->nc) {
        natsConnection_FlushTimeout(tp->nc, 1000);
        natsConnection_Destroy(tp->nc);
    }
    pthread_mutex_destroy(&tp->mu);
    hu_free(tp);
}

/* ---- streams ---------------------------------------------------------------- */

int hu_tp_stream_ensure(struct hu_tp *tp, const struct hu_tp_stream_cfg *cfg)
{
    if (!tp || !cfg || !cfg->name || !cfg->n_subjects)
        return HU_EINVAL;
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    natsStatus s = js_GetStreamInfo(&si, tp->js, cfg->name, NULL, &jerr);
    if (s == NATS_OK) {
        jsStreamInfo_Destroy(si);
        return HU_OK;
    }
    if (s != NATS_NOT_FOUND)
        return fail(tp, s, "stream info");
    jsStreamConfig sc;
    jsStreamConfig_Init(&sc);
    sc.Name = cfg->name;
    sc.Subjects = (const char **)cfg->subjects;
    sc.SubjectsLen = (int)cfg->n_subjects;
    sc.Storage = js_FileStorage;
    sc.Replicas = cfg->replicas > 0 ? cfg->replicas : 1;
    if (cfg->dedup_window_ms > 0)
        sc.Duplicates = cfg->dedup_window_ms * 1000000;
    if (cfg->max_per_subject > 0)
        sc.MaxMsgsPerSubject = cfg->max_per_subject;
    if (cfg->max_age_ms > 0)
        sc.MaxAge = cfg->max_age_ms * 1000000;
    s = js_AddStream(&si, tp->js, &sc, NULL, &jerr);
    if (s != NATS_OK && sc.Replicas > 1 && jerr == JSStreamReplicasNotSupportedErr) {
        /* a single server, not a cluster: one copy.  (Never on a cluster
         * that is still electing: that would leave an R1 stream behind.) */
        sc.Replicas = 1;
        s = js_AddStream(&si, tp->js, &sc, NULL, &jerr);
    }
    if (s != NATS_OK) {
        /* another process created it between our two calls */
        jsStreamInfo *si2 = NULL;
        if (js_GetStreamInfo(&si2, tp->js, cfg->name, NULL, NULL) == NATS_OK) {
            jsStreamInfo_Destroy(si2);
            return HU_OK;
        }
        return fail(tp, s, "create stream");
    }
    jsStreamInfo_Destroy(si);
    return HU_OK;
}

int hu_tp_stream_state(struct hu_tp *tp, const char *stream, uint64_t *msgs, uint64_t *last_seq)
{
    jsStreamInfo *si = NULL;
    natsStatus s = js_GetStreamInfo(&si, tp->js, stream, NULL, NULL);
    if (s != NATS_OK)
        return fail(tp, s, "stream info");
    if (msgs) *msgs = si->State.Msgs;
    if (last_seq) *last_seq = si->State.LastSeq;
    jsStreamInfo_Destroy(si);
    return HU_OK;
}

int hu_tp_stream_last(struct hu_tp *tp, const char *stream, const char *subject, char **data,
                      size_t *len, uint64_t *seq)
{
    natsMsg *m = NULL;
    jsErrCode jerr = 0;
    *data = NULL;
    *len = 0;
    natsStatus s = js_GetLastMsg(&m, tp->js, stream, subject, NULL, &jerr);
    if (s != NATS_OK)
        return s == NATS_NOT_FOUND || jerr == JSNoMessageFoundErr ? HU_ENOENT : fail(tp, s, "last message");
    int n = natsMsg_GetDataLength(m);
    char *d = hu_malloc((size_t)n + 1);
    if (!d) {
        natsMsg_Destroy(m);
        return HU_ENOMEM;
    }
    memcpy(d, natsMsg_GetData(m), (size_t)n);
    d[n] = 0;
    if (seq)
        *seq = natsMsg_GetSequence(m);
    natsMsg_Destroy(m);
    *data = d;
    *len = (size_t)n;
    return HU_OK;
}

/* ---- publish ---------------------------------------------------------------- */

int hu_tp_publish(struct hu_tp *tp, const char *subject, const void *data, size_t len, const char *msg_id)
{
    if (!tp || !subject || len > INT32_MAX)
        return HU_EINVAL;
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MsgId = msg_id;
    natsStatus s = js_PublishAsync(tp->js, subject, data, (int)len, &po);
    if (s == NATS_TIMEOUT) {
        /* stalled: PUB_MAX_PENDING unconfirmed for StallWait; drain, retry once */
        jsPubOptions wo;
        jsPubOptions_Init(&wo);
        wo.MaxWait = 6 * HU_TP_TIMEOUT_MS;
        if (js_PublishAsyncComplete(tp->js, &wo) == NATS_OK)
            s = js_PublishAsync(tp->js, subject, data, (int)len, &po);
    }
    return s == NATS_OK ? HU_OK : fail(tp, s, "publish");
}

int hu_tp_publish_wait(struct hu_tp *tp, int64_t timeout_ms, uint64_t *dups)
{
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = timeout_ms > 0 ? timeout_ms : HU_TP_TIMEOUT_MS;
    natsStatus s = js_PublishAsyncComplete(tp->js, &po);
    pthread_mutex_lock(&tp->mu);
    uint64_t failed = tp->pub_failed, d = tp->pub_dups;
    tp->pub_failed = 0;
    tp->pub_dups = 0;
    pthread_mutex_unlock(&tp->mu);
    if (dups)
        *dups += d;
    if (s != NATS_OK) {
        /* drop what is still in flight: the caller republishes, ids dedup */
        natsMsgList pending = { 0 };
        if (js_PublishAsyncGetPendingList(&pending, tp->js) == NATS_OK)
            natsMsgList_Destroy(&pending);
        return fail(tp, s, "publish confirmation");
    }
    if (failed) {
        snprintf(tp->err, sizeof tp->err, "%llu message(s) refused by the stream", (unsigned long long)failed);
        return HU_EIO;
    }
    return HU_OK;
}

/* ---- consume ---------------------------------------------------------------- */

int hu_tp_consumer_open(struct hu_tp *tp, const struct hu_tp_consumer_cfg *cfg, struct hu_tp_consumer **out)
{
    *out = NULL;
    if (!tp || !cfg || !cfg->stream || !cfg->filter)
        return HU_EINVAL;
    struct hu_tp_consumer *c = hu_calloc(1, sizeof *c);
    if (!c)
        return HU_ENOMEM;
    c->tp = tp;
    if (cfg->durable && cfg->start_seq)
        (void)js_DeleteConsumer(tp->js, cfg->stream, cfg->durable, NULL, NULL);
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = cfg->stream;
    so.Config.Durable = cfg->durable;
    so.Config.FilterSubject = cfg->filter;
    so.Config.AckPolicy = js_AckAll;
    so.Config.AckWait = (cfg->ack_wait_ms > 0 ? cfg->ack_wait_ms : 30000) * (int64_t)1000000;
    so.Config.MaxAckPending = 65536;
    /* The cursor inherits the stream's replicas: a one-copy cursor placed
     * on a dead node cannot be created, read or deleted until it returns
     * (measured: minutes of "Timeout" in tests/cli/test_cluster.sh). */
    if (cfg->start_seq) {
        so.Config.DeliverPolicy = js_DeliverByStartSequence;
        so.Config.OptStartSeq = cfg->start_seq;
    } else if (cfg->last_per_subject) {
        so.Config.DeliverPolicy = js_DeliverLastPerSubject;
    } else {
        so.Config.DeliverPolicy = js_DeliverAll;
    }
    if (!cfg->durable)
        so.Config.InactiveThreshold = (int64_t)60 * 1000000000;
    natsStatus s = js_PullSubscribe(&c->sub, tp->js, cfg->filter, cfg->durable, NULL, &so, NULL);
    if (s != NATS_OK) {
        int rc = fail(tp, s, "pull consumer");
        hu_free(c);
        return rc;
    }
    *out = c;
    return HU_OK;
}

void hu_tp_consumer_close(struct hu_tp_consumer *c)
{
    if (!c)
        return;
    natsMsg_Destroy(c->last);
    /* Unsubscribe would delete a durable created by this subscription:
     * destroy keeps it (its position is the cluster's record). */
    natsSubscription_Destroy(c->sub);
    hu_free(c);
}

int hu_tp_fetch(struct hu_tp_consumer *c, int max, int64_t timeout_ms, hu_tp_msg_fn fn, void *ctx)
{
    natsMsgList list = { 0 };
    /* libnats before 3.8.1 (Debian 12 ships 3.4.1) overruns the message
     * array of natsSubscription_Fetch(batch) (nats.c pull request 749):
     * it first drains messages already queued on the subscription
     * (leftovers of an earlier pull request that outlived its client-side
     * timeout), then asks the server for batch - drained more, but keeps
     * collecting until a status arrives; with drained >= batch / 2 and
     * more leftovers arriving it writes past the array.  Seen here as
     * "malloc(): invalid size" and "corrupted double-linked list" in the
     * worker (tests/cli/test_cluster.sh section 5, about 1 run in 12) and
     * as an AddressSanitizer read past the array in the loop below.  Two
     * defences: (1) no leftovers in the first place: the client waits at
     * least HU_TP_FETCH_MIN_MS, longer than the server keeps a pull
     * request (it expires it 10 ms before the client's timeout), so a
     * batch in flight is received, not abandoned; (2) when leftovers are
     * queued anyway, the batch is sized so that they are under half of
     * it (batch >= 2 x queued + max). */
    int queued = 0, queued_bytes = 0, batch = max > 0 ? max : 1;
    if (natsSubscription_GetPending(c->sub, &queued, &queued_bytes) == NATS_OK && queued > 0)
        batch += 2 * queued;
    if (timeout_ms < HU_TP_FETCH_MIN_MS)
        timeout_ms = HU_TP_FETCH_MIN_MS;
    /* cnats first asks without waiting and returns what is there; only an
     * empty cursor waits, up to timeout_ms */
    natsStatus s = natsSubscription_Fetch(&list, c->sub, batch, timeout_ms, NULL);
    if (s == NATS_TIMEOUT || s == NATS_NOT_FOUND)
        return 0;
    if (s != NATS_OK)
        return fail(c->tp, s, "fetch");
    if (list.Count > batch) {
        /* the overrun happened anyway (a burst queued between the check
         * above and the fetch): the heap is damaged, stop before it spreads */
        fprintf(stderr, "huella: libnats returned %d messages for a fetch of %d (libnats < 3.8.1 bug); "
                        "aborting\n", list.Count, batch);
        abort();
    }
    int n = 0, stop = 0;
    for (int i = 0; i < list.Count; i++) {
        natsMsg *m = list.Msgs[i];
        if (!m)
            continue;
        jsMsgMetaData *md = NULL;
        if (natsMsg_GetMetaData(&md, m) != NATS_OK)
            continue;
        struct hu_tp_msg tm = {
            .subject = natsMsg_GetSubject(m), .data = natsMsg_GetData(m),
            .len = (size_t)natsMsg_GetDataLength(m), .stream_seq = md->Sequence.Stream,
            .consumer_seq = md->Sequence.Consumer, .delivered = md->NumDelivered, .pending = md->NumPending,
        };
        jsMsgMetaData_Destroy(md);
        if (!stop) {
            stop = fn(ctx, &tm);
            n++;
            /* keep the newest handled message for the cumulative ack */
            natsMsg_Destroy(c->last);
            c->last = m;
            list.Msgs[i] = NULL;
        }
    }
    natsMsgList_Destroy(&list);
    return n;
}

int hu_tp_ack_all(struct hu_tp_consumer *c)
{
    if (!c->last)
        return HU_OK;
    jsErrCode jerr = 0;
    natsStatus s = natsMsg_AckSync(c->last, NULL, &jerr);
    natsMsg_Destroy(c->last);
    c->last = NULL;
    return s == NATS_OK ? HU_OK : fail(c->tp, s, "ack");
}

int hu_tp_consumer_state(struct hu_tp *tp, const char *stream, const char *durable, struct hu_tp_consumer_state *st)
{
    jsConsumerInfo *ci = NULL;
    jsErrCode jerr = 0;
    natsStatus s = js_GetConsumerInfo(&ci, tp->js, stream, durable, NULL, &jerr);
    if (s != NATS_OK)
        return s == NATS_NOT_FOUND || jerr == JSConsumerNotFoundErr ? HU_ENOENT : fail(tp, s, "consumer info");
    st->pending = ci->NumPending;
    st->ack_pending = ci->NumAckPending > 0 ? (uint64_t)ci->NumAckPending : 0;
    st->redelivered = ci->NumRedelivered > 0 ? (uint64_t)ci->NumRedelivered : 0;
    st->ack_floor_stream = ci->AckFloor.Stream;
    st->delivered_stream = ci->Delivered.Stream;
    jsConsumerInfo_Destroy(ci);
    return HU_OK;
}

/* ---- key-value ---------------------------------------------------------------- */

int hu_tp_kv_open(struct hu_tp *tp, const char *name, int64_t ttl_ms, int replicas, struct hu_tp_kv **out)
{
    *out = NULL;
    struct hu_tp_kv *kv = hu_calloc(1, sizeof *kv);
    if (!kv)
        return HU_ENOMEM;
    kv->tp = tp;
    natsStatus s = js_KeyValue(&kv->kv, tp->js, name);
    if (s != NATS_OK) {
        kvConfig kc;
        kvConfig_Init(&kc);
        kc.Bucket = name;
        kc.History = 1;
        kc.TTL = ttl_ms > 0 ? ttl_ms * (int64_t)1000000 : 0;   /* nanoseconds, as MaxAge */
        kc.StorageType = js_FileStorage;
        kc.Replicas = replicas > 0 ? replicas : 1;
        s = js_CreateKeyValue(&kv->kv, tp->js, &kc);
        const char *why = s != NATS_OK ? nats_GetLastError(NULL) : NULL;
        if (s != NATS_OK && kc.Replicas > 1 && why && strstr(why, "not supported in non-clustered mode")) {
            kc.Replicas = 1;
            s = js_CreateKeyValue(&kv->kv, tp->js, &kc);
        }
        if (s != NATS_OK)
            s = js_KeyValue(&kv->kv, tp->js, name);
    }
    if (s != NATS_OK) {
        int rc = fail(tp, s, "key-value bucket");
        hu_free(kv);
        return rc;
    }
    *out = kv;
    return HU_OK;
}

void hu_tp_kv_close(struct hu_tp_kv *kv)
{
    if (!kv)
        return;
    kvStore_Destroy(kv->kv);
    hu_free(kv);
}

int hu_tp_kv_put(struct hu_tp_kv *kv, const char *key, const void *data, size_t len, uint64_t *rev)
{
    uint64_t r = 0;
    natsStatus s = kvStore_Put(&r, kv->kv, key, data, (int)len);
    if (s != NATS_OK)
        return fail(kv->tp, s, "kv put");
    if (rev) *rev = r;
    return HU_OK;
}

/* A lost compare-and-set is reported by JetStream as "wrong last sequence". */
static int cas_fail(struct hu_tp_kv *kv, natsStatus s, const char *what)
{
    int rc = fail(kv->tp, s, what);
    if (rc == HU_EIO && strstr(kv->tp->err, "wrong last sequence"))
        return HU_EEXIST;
    return rc;
}

int hu_tp_kv_create(struct hu_tp_kv *kv, const char *key, const void *data, size_t len, uint64_t *rev)
{
    uint64_t r = 0;
    natsStatus s = kvStore_Create(&r, kv->kv, key, data, (int)len);
    if (s != NATS_OK)
        return cas_fail(kv, s, "kv create");
    if (rev) *rev = r;
    return HU_OK;
}

int hu_tp_kv_update(struct hu_tp_kv *kv, const char *key, const void *data, size_t len, uint64_t last,
                    uint64_t *rev)
{
    uint64_t r = 0;
    natsStatus s = kvStore_Update(&r, kv->kv, key, data, (int)len, last);
    if (s != NATS_OK)
        return cas_fail(kv, s, "kv update");
    if (rev) *rev = r;
    return HU_OK;
}

int hu_tp_kv_get(struct hu_tp_kv *kv, const char *key, char **data, size_t *len, uint64_t *rev)
{
    kvEntry *e = NULL;
    *data = NULL;
    *len = 0;
    natsStatus s = kvStore_Get(&e, kv->kv, key);
    if (s != NATS_OK)
        return s == NATS_NOT_FOUND ? HU_ENOENT : fail(kv->tp, s, "kv get");
    int n = kvEntry_ValueLen(e);
    char *d = hu_malloc((size_t)n + 1);
    if (!d) {
        kvEntry_Destroy(e);
        return HU_ENOMEM;
    }
    if (n)
        memcpy(d, kvEntry_Value(e), (size_t)n);
    d[n] = 0;
    if (rev) *rev = kvEntry_Revision(e);
    kvEntry_Destroy(e);
    *data = d;
    *len = (size_t)n;
    return HU_OK;
}

int hu_tp_kv_delete(struct hu_tp_kv *kv, const char *key)
{
    natsStatus s = kvStore_Delete(kv->kv, key);
    return s == NATS_OK ? HU_OK : fail(kv->tp, s, "kv delete");
}

int hu_tp_kv_watch(struct hu_tp_kv *kv, const char *keys, struct hu_tp_kv_watch **out)
{
    *out = NULL;
    struct hu_tp_kv_watch *w = hu_calloc(1, sizeof *w);
    if (!w)
        return HU_ENOMEM;
    w->kv = kv;
    natsStatus s = kvStore_Watch(&w->w, kv->kv, keys ? keys : ">", NULL);
    if (s != NATS_OK) {
        hu_free(w);
        return fail(kv->tp, s, "kv watch");
    }
    *out = w;
    return HU_OK;
}

/* 1: an entry was delivered; 2: the end of the initial values; 0: timeout. */
static int watch_step(struct hu_tp_kv_watch *w, int64_t timeout_ms, hu_tp_kv_fn fn, void *ctx)
{
    kvEntry *e = NULL;
    natsStatus s = kvWatcher_Next(&e, w->w, timeout_ms > 0 ? timeout_ms : 1);
    if (s == NATS_TIMEOUT)
        return 0;
    if (s != NATS_OK)
        return fail(w->kv->tp, s, "kv watch");
    if (!e)
        return 2;
    kvOperation op = kvEntry_Operation(e);
    if (op == kvOp_Put)
        fn(ctx, kvEntry_Key(e), (const char *)kvEntry_Value(e), (size_t)kvEntry_ValueLen(e), kvEntry_Revision(e));
    else
        fn(ctx, kvEntry_Key(e), NULL, 0, kvEntry_Revision(e));
    kvEntry_Destroy(e);
    return 1;
}

int hu_tp_kv_watch_next(struct hu_tp_kv_watch *w, int64_t timeout_ms, hu_tp_kv_fn fn, void *ctx)
{
    int rc = watch_step(w, timeout_ms, fn, ctx);
    return rc == 2 ? 0 : rc;
}

void hu_tp_kv_watch_close(struct hu_tp_kv_watch *w)
{
    if (!w)
        return;
    kvWatcher_Destroy(w->w);
    hu_free(w);
}

struct scan_ctx {
    hu_tp_kv_fn fn;
    void *ctx;
    int n;
};

static int scan_one(void *ctx, const char *key, const char *data, size_t len, uint64_t rev)
{
    struct scan_ctx *sc = ctx;
    if (data) {
        sc->n++;
        return sc->fn(sc->ctx, key, data, len, rev);
    }
    return 0;
}

int hu_tp_kv_scan(struct hu_tp_kv *kv, const char *keys, hu_tp_kv_fn fn, void *ctx)
{
    struct hu_tp_kv_watch *w = NULL;
    int rc = hu_tp_kv_watch(kv, keys, &w);
    if (rc)
        return rc;
    struct scan_ctx sc = { fn, ctx, 0 };
    for (;;) {
        rc = watch_step(w, HU_TP_TIMEOUT_MS, scan_one, &sc);
        if (rc == 2 || rc < 0)
            break;
        if (rc == 0) {
            rc = HU_EIO;
            snprintf(kv->tp->err, sizeof kv->tp->err, "kv scan timed out");
            break;
        }
    }
    hu_tp_kv_watch_close(w);
    return rc < 0 ? rc : sc.n;
}
