/*
 * status.c -- `huella cluster status`: shards (owner, lag, redeliveries,
 * checkpoint), workers (heartbeats), the linker, as a table, JSON or
 * Prometheus text exposition (docs/scale-out.md lists the metrics).
 * Read-only: it never takes a lease or moves a cursor.
 */
#include "cluster/status.h"
#include "cluster/cluster.h"
#include "core/clock.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "transport/transport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct kv_item {
    char key[96];
    char *val;
};

struct kv_list {
    struct kv_item *v;
    size_t n, cap;
};

static int collect(void *ctx, const char *key, const char *data, size_t len, uint64_t rev)
{
    struct kv_list *l = ctx;
    (void)rev;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        struct kv_item *v = hu_realloc(l->v, cap * sizeof *v);
        if (!v)
            return 1;
        l->v = v;
        l->cap = cap;
    }
    struct kv_item *it = &l->v[l->n];
    snprintf(it->key, sizeof it->key, "%s", key);
    it->val = hu_malloc(len + 1);
    if (!it->val)
        return 1;
    memcpy(it->val, data, len);
    it->val[len] = 0;
    l->n++;
    return 0;
}

static const char *lookup(const struct kv_list *l, const char *key)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->v[i].key, key))
            return l->v[i].val;
    return NULL;
}

/* A number field of a flat JSON object we wrote ourselves; 0 if absent. */
static unsigned long long jnum(const char *json, const char *field)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", field);
    const char *p = json ? strstr(json, pat) : NULL;
    return p ? strtoull(p + strlen(pat), NULL, 10) : 0;
}

/* Prometheus label values: \ " and newline escaped. */
static void prom_label(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' || *s == '"')
            fputc('\\', out);
        if (*s == '\n') {
            fputs("\\n", out);
            continue;
        }
        fputc(*s, out);
    }
}

int hu_cluster_status(const char *urls, enum hu_status_format fmt, FILE *out)
{
    struct hu_tp *tp = NULL;
    struct hu_tp_kv *leases = NULL;
    struct kv_list kl = { 0 };
    char err[512] = "";
    int exit_rc = 1;
    if (hu_tp_connect(urls, &tp, err, sizeof err) != HU_OK) {
        fprintf(stderr, "huella cluster: %s\n", err);
        return 1;
    }
    unsigned n = 0;
    uint64_t ev_msgs = 0, ev_last = 0, sum_msgs = 0;
    if (hu_cluster_shards(tp, 0, &n) != HU_OK
        || hu_tp_stream_state(tp, HU_CLUSTER_EVENTS, &ev_msgs, &ev_last) != HU_OK) {
        fprintf(stderr, "huella cluster: no huella cluster at %s\n", urls);
        goto out;
    }
    if (hu_tp_stream_state(tp, HU_CLUSTER_SUMMARY, &sum_msgs, NULL)) {}   /* best effort */
    if (hu_tp_kv_open(tp, HU_CLUSTER_KV_LEASES, HU_CLUSTER_LEASE_MS, HU_CLUSTER_REPLICAS, &leases) == HU_OK)
        (void)hu_tp_kv_scan(leases, NULL, collect, &kl);
    size_t n_workers = 0;
    for (size_t i = 0; i < kl.n; i++)
        n_workers += !strncmp(kl.v[i].key, "worker.", 7);
    const char *linker = lookup(&kl, "linker");
    long long now = (long long)hu_wall_ms();

    uint64_t lag_total = 0, redeliv_total = 0;
    unsigned owned = 0;
    if (fmt == HU_STATUS_PROMETHEUS) {
        fprintf(out, "# HELP huella_cluster_shards Shards of the event stream (fixed at creation).\n"
                     "# TYPE huella_cluster_shards gauge\nhuella_cluster_shards %u\n", n);
        fprintf(out, "# HELP huella_events_stream_messages Messages held by the event stream.\n"
                     "# TYPE huella_events_stream_messages gauge\nhuella_events_stream_messages %llu\n",
                (unsigned long long)ev_msgs);
        fprintf(out, "# HELP huella_events_stream_last_seq Sequence of the newest event.\n"
                     "# TYPE huella_events_stream_last_seq gauge\nhuella_events_stream_last_seq %llu\n",
                (unsigned long long)ev_last);
        fprintf(out, "# HELP huella_summaries Profile summaries and shard markers on the summary stream.\n"
                     "# TYPE huella_summaries gauge\nhuella_summaries %llu\n", (unsigned long long)sum_msgs);
        fprintf(out, "# HELP huella_shard_lag Events of the shard not yet acknowledged (undelivered + unacknowledged).\n"
                     "# TYPE huella_shard_lag gauge\n");
    } else if (fmt == HU_STATUS_JSON) {
        fprintf(out, "{\"shards_total\":%u,\"events\":%llu,\"last_seq\":%llu,\"summaries\":%llu,\"shards\":[", n,
                (unsigned long long)ev_msgs, (unsigned long long)ev_last, (unsigned long long)sum_msgs);
    } else {
        fprintf(out, "event stream: %llu events (last seq %llu), %u shards; summary stream: %llu messages\n\n",
                (unsigned long long)ev_msgs, (unsigned long long)ev_last, n, (unsigned long long)sum_msgs);
        fprintf(out, "%-6s %-20s %10s %10s %11s %12s\n", "shard", "owner", "lag", "ack_wait", "redelivered",
                "checkpoint");
    }
    struct hu_buf redel;
    hu_buf_init(&redel, (size_t)1 << 20);
    for (unsigned k = 0; k < n; k++) {
        char durable[48], key[32], subj[48];
        snprintf(durable, sizeof durable, "huella-shard-%u", k);
        snprintf(key, sizeof key, "shard.%u", k);
        snprintf(subj, sizeof subj, "huella.summary.%u.ckpt", k);
        struct hu_tp_consumer_state st = { 0 };
        int have = hu_tp_consumer_state(tp, HU_CLUSTER_EVENTS, durable, &st) == HU_OK;
        const char *owner = lookup(&kl, key);
        owned += owner != NULL;
        char *mb = NULL;
        size_t ml = 0;
        uint64_t ms = 0, ckpt = 0;
        struct hu_marker *m = hu_malloc(sizeof *m);
        if (m && hu_tp_stream_last(tp, HU_CLUSTER_SUMMARY, subj, &mb, &ml, &ms) == HU_OK
            && hu_marker_decode(m, mb, ml) == HU_OK)
            ckpt = m->seq;
        hu_free(m);
        hu_free(mb);
        uint64_t lag = st.pending + st.ack_pending;
        lag_total += lag;
        redeliv_total += st.redelivered;
        if (fmt == HU_STATUS_PROMETHEUS) {
            fprintf(out, "huella_shard_lag{shard=\"%u\"} %llu\n", k, (unsigned long long)lag);
            if (hu_buf_printf(&redel, "huella_shard_redelivered{shard=\"%u\"} %llu\n", k,
                                (unsigned long long)st.redelivered)) {}   /* best effort */
        } else if (fmt == HU_STATUS_JSON) {
            fprintf(out, "%s{\"shard\":%u,\"owner\":", k ? "," : "", k);
            if (owner) {
                fputc('"', out);
                prom_label(out, owner);
                fputc('"', out);
            } else {
                fputs("null", out);
            }
            fprintf(out, ",\"cursor\":%s,\"pending\":%llu,\"ack_pending\":%llu,\"redelivered\":%llu,"
                         "\"checkpoint\":%llu}",
                    have ? "true" : "false", (unsigned long long)st.pending, (unsigned long long)st.ack_pending,
                    (unsigned long long)st.redelivered, (unsigned long long)ckpt);
        } else {
            fprintf(out, "%-6u %-20.20s %10s%llu %10llu %11llu %12llu\n", k, owner ? owner : "-", have ? "" : "?",
                    (unsigned long long)lag, (unsigned long long)st.ack_pending,
                    (unsigned long long)st.redelivered, (unsigned long long)ckpt);
        }
    }
    if (fmt == HU_STATUS_PROMETHEUS) {
        fprintf(out, "# HELP huella_shard_redelivered Unacknowledged events of the shard delivered more than once.\n"
                     "# TYPE huella_shard_redelivered gauge\n%s", redel.ptr ? redel.ptr : "");
        fprintf(out, "# HELP huella_lag Events not yet acknowledged, all shards.\n"
                     "# TYPE huella_lag gauge\nhuella_lag %llu\n", (unsigned long long)lag_total);
        fprintf(out, "# HELP huella_shards_owned Shards with a live lease.\n"
                     "# TYPE huella_shards_owned gauge\nhuella_shards_owned %u\n", owned);
        fprintf(out, "# HELP huella_workers Live workers (heartbeat within the lease time).\n"
                     "# TYPE huella_workers gauge\nhuella_workers %zu\n", n_workers);
        fprintf(out, "# HELP huella_worker_events_total Events folded in by the worker since it started.\n"
                     "# TYPE huella_worker_events_total counter\n");
        for (size_t i = 0; i < kl.n; i++)
            if (!strncmp(kl.v[i].key, "worker.", 7)) {
                fputs("huella_worker_events_total{worker=\"", out);
                prom_label(out, kl.v[i].key + 7);
                fprintf(out, "\"} %llu\n", jnum(kl.v[i].val, "events"));
            }
        fprintf(out, "# HELP huella_worker_redelivered_total Redelivered events the worker received.\n"
                     "# TYPE huella_worker_redelivered_total counter\n");
        for (size_t i = 0; i < kl.n; i++)
            if (!strncmp(kl.v[i].key, "worker.", 7)) {
                fputs("huella_worker_redelivered_total{worker=\"", out);
                prom_label(out, kl.v[i].key + 7);
                fprintf(out, "\"} %llu\n", jnum(kl.v[i].val, "redelivered"));
            }
        fprintf(out, "# HELP huella_worker_duplicates_skipped_total Events skipped as already folded in.\n"
                     "# TYPE huella_worker_duplicates_skipped_total counter\n");
        for (size_t i = 0; i < kl.n; i++)
            if (!strncmp(kl.v[i].key, "worker.", 7)) {
                fputs("huella_worker_duplicates_skipped_total{worker=\"", out);
                prom_label(out, kl.v[i].key + 7);
                fprintf(out, "\"} %llu\n", jnum(kl.v[i].val, "duplicates_skipped"));
            }
        fprintf(out, "# HELP huella_worker_evicted_total Accounts the worker evicted (--max-accounts).\n"
                     "# TYPE huella_worker_evicted_total counter\n");
        for (size_t i = 0; i < kl.n; i++)
            if (!strncmp(kl.v[i].key, "worker.", 7)) {
                fputs("huella_worker_evicted_total{worker=\"", out);
                prom_label(out, kl.v[i].key + 7);
                fprintf(out, "\"} %llu\n", jnum(kl.v[i].val, "evicted"));
            }
        fprintf(out, "# HELP huella_worker_refused_total New accounts refused: every account held was pinned"
                     " or heavy.\n"
                     "# TYPE huella_worker_refused_total counter\n");
        for (size_t i = 0; i < kl.n; i++)
            if (!strncmp(kl.v[i].key, "worker.", 7)) {
                fputs("huella_worker_refused_total{worker=\"", out);
                prom_label(out, kl.v[i].key + 7);
                fprintf(out, "\"} %llu\n", jnum(kl.v[i].val, "refused"));
            }
        fprintf(out, "# HELP huella_linker_last_run_age_seconds Seconds since the linker last published.\n"
                     "# TYPE huella_linker_last_run_age_seconds gauge\nhuella_linker_last_run_age_seconds %.3f\n",
                linker ? (double)(now - (long long)jnum(linker, "ts")) / 1000.0 : -1.0);
    } else if (fmt == HU_STATUS_JSON) {
        fprintf(out, "],\"lag\":%llu,\"redelivered\":%llu,\"workers\":[", (unsigned long long)lag_total,
                (unsigned long long)redeliv_total);
        size_t w = 0;
        for (size_t i = 0; i < kl.n; i++)
            if (!strncmp(kl.v[i].key, "worker.", 7))
                fprintf(out, "%s%s", w++ ? "," : "", kl.v[i].val);
        fprintf(out, "],\"linker\":%s}\n", linker ? linker : "null");
    } else {
        fprintf(out, "\nlag %llu events, %llu redelivered, %u of %u shards owned\n", (unsigned long long)lag_total,
                (unsigned long long)redeliv_total, owned, n);
        fprintf(out, "\nworkers: %zu\n", n_workers);
        unsigned long long evicted = 0, refused = 0;
        for (size_t i = 0; i < kl.n; i++)
            if (!strncmp(kl.v[i].key, "worker.", 7)) {
                fprintf(out, "  %s\n", kl.v[i].val);
                evicted += jnum(kl.v[i].val, "evicted");
                refused += jnum(kl.v[i].val, "refused");
            }
        fprintf(out, "evictions: %llu accounts evicted, %llu refused (--max-accounts)\n", evicted, refused);
        if (linker)
            fprintf(out, "linker: generation %llu, %llu accounts, %llu campaigns, %.1f s ago\n",
                    jnum(linker, "generation"), jnum(linker, "accounts"), jnum(linker, "campaigns"),
                    (double)(now - (long long)jnum(linker, "ts")) / 1000.0);
        else
            fprintf(out, "linker: none seen within the lease time\n");
    }
    hu_buf_fini(&redel);
    exit_rc = 0;
out:
    for (size_t i = 0; i < kl.n; i++)
        hu_free(kl.v[i].val);
    hu_free(kl.v);
    hu_tp_kv_close(leases);
    hu_tp_close(tp);
    return exit_rc;
}
