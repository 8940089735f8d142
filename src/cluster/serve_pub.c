/*
 * serve_pub.c -- see serve_pub.h.
 */
#include "cluster/serve_pub.h"
#include "cluster/cluster.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/hash.h"
#include "core/log.h"
#include "ingest/ingest.h"
#include "transport/transport.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

struct hu_serve_pub {
    struct hu_tp *tp;
    struct hu_line_parser *lp;
    unsigned n_shards;
    pthread_mutex_t mu;          /* one body at a time on tp and lp */
    atomic_ullong published, duplicates, bodies, failures;
    atomic_int up;               /* the last body was confirmed */
};

int hu_serve_pub_start(const char *urls, struct hu_serve_pub **out, char *err, size_t errcap)
{
    *out = NULL;
    struct hu_serve_pub *p = hu_calloc(1, sizeof *p);
    if (!p)
        return HU_ENOMEM;
    pthread_mutex_init(&p->mu, NULL);
    int rc = hu_tp_connect(urls, &p->tp, err, errcap);
    if (!rc) {
        rc = hu_cluster_ensure_streams(p->tp);
        if (!rc)
            rc = hu_cluster_shards(p->tp, HU_CLUSTER_DEFAULT_SHARDS, &p->n_shards);
        if (rc && err && errcap)
            snprintf(err, errcap, "cluster setup failed: %s", hu_tp_error(p->tp));
    }
    if (!rc)
        rc = hu_line_parser_create(&p->lp, NULL);
    if (rc) {
        hu_serve_pub_stop(p);
        return rc;
    }
    atomic_store(&p->up, 1);
    *out = p;
    return HU_OK;
}

void hu_serve_pub_stop(struct hu_serve_pub *p)
{
    if (!p)
        return;
    hu_line_parser_destroy(p->lp);
    hu_tp_close(p->tp);
    pthread_mutex_destroy(&p->mu);
    hu_free(p);
}

int hu_serve_pub_lines(void *ctx, const char *body, size_t body_len, const char *const *lines,
                       const size_t *lens, const uint64_t *line_nos, size_t n)
{
    struct hu_serve_pub *p = ctx;
    uint64_t tag = hu_hash(body, body_len);
    uint64_t dups = 0;
    int rc = HU_OK;
    pthread_mutex_lock(&p->mu);
    for (size_t i = 0; i < n && rc == HU_OK; i++) {
        struct hu_event ev;
        /* the engine validated the line with the same parser: this parse
         * only finds the account (the shard) */
        if (hu_line_parse(p->lp, lines[i], lens[i], &ev) != HU_REJECT_NONE) {
            rc = HU_EINTERNAL;
            break;
        }
        char subj[40], id[48];
        hu_cluster_event_names(ev.account_id.ptr, ev.account_id.len, p->n_shards, tag, lines[i], lens[i],
                               line_nos[i], subj, id);
        rc = hu_tp_publish(p->tp, subj, lines[i], lens[i], id);
    }
    /* even after a failed publish: wait, so nothing of this body is still
     * in flight when the next one starts (what was sent may be stored; the
     * client's retry is deduplicated by the ids) */
    int wrc = hu_tp_publish_wait(p->tp, HU_TP_TIMEOUT_MS, &dups);
    if (rc == HU_OK)
        rc = wrc;
    if (rc != HU_OK)
        hu_warn("serve: --publish-events: %zu event(s) not confirmed by the stream (%s): answered 503", n,
                hu_tp_error(p->tp));
    pthread_mutex_unlock(&p->mu);
    atomic_fetch_add(&p->bodies, 1);
    if (rc == HU_OK) {
        atomic_fetch_add(&p->published, n);
        atomic_fetch_add(&p->duplicates, dups);
        atomic_store(&p->up, 1);
        return HU_OK;
    }
    atomic_fetch_add(&p->failures, 1);
    atomic_store(&p->up, 0);
    return rc == HU_ENOMEM ? HU_ENOMEM : HU_EIO;
}

int hu_serve_pub_metrics(void *ctx, struct hu_buf *out)
{
    struct hu_serve_pub *p = ctx;
    return hu_buf_printf(out,
        "# HELP huella_cluster_events_published_total Event lines confirmed stored by the cluster's event stream.\n"
        "# TYPE huella_cluster_events_published_total counter\n"
        "huella_cluster_events_published_total %llu\n"
        "# HELP huella_cluster_events_duplicates_total Published lines the stream already held (retried bodies).\n"
        "# TYPE huella_cluster_events_duplicates_total counter\n"
        "huella_cluster_events_duplicates_total %llu\n"
        "# HELP huella_cluster_publish_bodies_total POST /v1/events bodies published to the stream.\n"
        "# TYPE huella_cluster_publish_bodies_total counter\n"
        "huella_cluster_publish_bodies_total %llu\n"
        "# HELP huella_cluster_publish_failures_total Bodies answered 503 because the stream did not confirm them.\n"
        "# TYPE huella_cluster_publish_failures_total counter\n"
        "huella_cluster_publish_failures_total %llu\n"
        "# HELP huella_cluster_publish_up 1 when the last body was confirmed by the stream, 0 after a failure.\n"
        "# TYPE huella_cluster_publish_up gauge\n"
        "huella_cluster_publish_up %d\n",
        (unsigned long long)atomic_load(&p->published), (unsigned long long)atomic_load(&p->duplicates),
        (unsigned long long)atomic_load(&p->bodies), (unsigned long long)atomic_load(&p->failures),
        atomic_load(&p->up));
}
