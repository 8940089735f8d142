/*
 * publish.c -- `huella publish`: contract lines onto the event stream.
 *
 * Each line that parses is published unchanged on huella.events.<shard of
 * its account> (cluster.h), so workers parse exactly the bytes analyze
 * would have read; lines analyze would reject are rejected here with the
 * same reasons and never enter the stream.  Order: one connection,
 * asynchronous publishes in file order, which JetStream stores in that
 * order, so stream sequence = file order (the linker relies on it for
 * first-seen order).
 *
 * Event id (Nats-Msg-Id): hash(file name, line bytes) and the line
 * number, "<16 hex>-<line>".  Publishing the same file again -- after a
 * crash, a timeout, or by mistake -- gives the same ids, and the stream
 * drops every id it saw within its duplicate window (HU_CLUSTER_DEDUP_MS,
 * 10 minutes): at-least-once publishing becomes exactly-once storage.
 * Two identical lines at different places of a file are two events, as
 * for analyze.  Past the window a republished file is new traffic; a
 * gateway that has its own request id should publish with it instead
 * (docs/scale-out.md).
 */
#include "cluster/publish.h"
#include "cluster/cluster.h"
#include "core/hash.h"
#include "ingest/ingest.h"
#include "ingest/reader.h"
#include "transport/transport.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int is_blank(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
            return 0;
    return 1;
}

int hu_publish_run(const struct hu_publish_opts *o, struct hu_publish_stats *st)
{
    memset(st, 0, sizeof *st);
    struct hu_tp *tp = NULL;
    struct hu_line_parser *lp = NULL;
    char err[512] = "";
    int exit_rc = 1;
    double t0 = now_s();
    if (hu_tp_connect(o->urls, &tp, err, sizeof err) != HU_OK) {
        fprintf(stderr, "huella publish: %s\n", err);
        return 1;
    }
    unsigned n_shards = 0;
    int rc = hu_cluster_ensure_streams(tp);
    if (!rc)
        rc = hu_cluster_shards(tp, o->shards_total ? o->shards_total : HU_CLUSTER_DEFAULT_SHARDS, &n_shards);
    if (rc) {
        fprintf(stderr, "huella publish: cluster setup failed: %s\n", hu_tp_error(tp));
        goto out;
    }
    if (o->shards_total && o->shards_total != n_shards) {
        fprintf(stderr, "huella publish: the cluster has %u shards, fixed when it was created (not %u)\n", n_shards,
                o->shards_total);
        exit_rc = 2;
        goto out;
    }
    st->shards = n_shards;
    if (hu_line_parser_create(&lp, NULL) != HU_OK)
        goto out;
    for (size_t f = 0; f < o->n_paths; f++) {
        struct hu_reader r;
        if (hu_reader_open(&r, o->paths[f]) != HU_OK) {
            fprintf(stderr, "huella publish: %s\n", r.errmsg[0] ? r.errmsg : o->paths[f]);
            exit_rc = 2;
            goto out;
        }
        const char *base = strrchr(o->paths[f], '/');
        base = base ? base + 1 : o->paths[f];
        uint64_t tag = hu_hash(base, strlen(base));
        struct hu_line line;
        uint64_t lineno = 0;
        int got;
        for (;;) {
            got = hu_reader_next(&r, &line);
            if (got != 1)
                break;
            lineno++;
            if (line.too_long) {
                st->rejected++;
                continue;
            }
            if (!line.len || (line.ptr[0] != '{' && is_blank(line.ptr, line.len)))
                continue;
            struct hu_event ev;
            enum hu_reject why = hu_line_parse_padded(lp, line.ptr, line.len, &ev);
            if (why != HU_REJECT_NONE) {
                if (st->rejected++ < 10 && !o->quiet)
                    fprintf(stderr, "%s:%llu: %s\n", o->paths[f], (unsigned long long)lineno, hu_reject_name(why));
                continue;
            }
            unsigned k = hu_cluster_shard(ev.account_id.ptr, ev.account_id.len, n_shards);
            char subj[40], id[48];
            snprintf(subj, sizeof subj, "huella.events.%u", k);
            snprintf(id, sizeof id, "%016llx-%llu",
                     (unsigned long long)hu_hash_combine(tag, hu_hash(line.ptr, line.len)),
                     (unsigned long long)lineno);
            rc = hu_tp_publish(tp, subj, line.ptr, line.len, id);
            if (rc) {
                fprintf(stderr, "huella publish: %s\n", hu_tp_error(tp));
                hu_reader_fini(&r);
                goto out;
            }
            st->published++;
            st->bytes += line.len;
        }
        if (got < 0)
            fprintf(stderr, "huella publish: %s (the lines before were published)\n", r.errmsg);
        hu_reader_fini(&r);
    }
    rc = hu_tp_publish_wait(tp, 60000, &st->duplicates);
    if (rc) {
        fprintf(stderr, "huella publish: not every event was confirmed (%s); publish the same files again:"
                        " event ids make that safe\n", hu_tp_error(tp));
        goto out;
    }
    exit_rc = 0;
out:
    st->seconds = now_s() - t0;
    hu_line_parser_destroy(lp);
    hu_tp_close(tp);
    return exit_rc;
}
