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
 *
 * --map FILE (a foreign log shape, the map analyze --map takes): each
 * line is read through the map and published as the contract line `huella
 * featurize --map` writes for it (features/featurized.h,
 * hu_fz_line_mapped): the mapped fields and a `features` object in place
 * of the text, keyed with --feature-key or unkeyed.  Workers read it like
 * any featurized line, so the stream stays in one format, no worker needs
 * the map, and no prompt or response text of the foreign line (mapped or
 * not) crosses the network.  Analyze --map of the same file with the same
 * key reaches the same verdicts (tests/cli/test_featurize.sh proves the
 * featurized equivalence; test_cluster.sh the cluster's).  The event id
 * is made from the foreign line as read.
 */
#include "cluster/publish.h"
#include "cluster/cluster.h"
#include "core/clock.h"
#include "core/buf.h"
#include "core/hash.h"
#include "features/featurized.h"
#include "ingest/ingest.h"
#include "ingest/map.h"
#include "ingest/reader.h"
#include "transport/transport.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

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
    struct hu_line_parser *lp = NULL, *plain = NULL;
    struct hu_map *map = NULL;
    struct hu_features *fx = NULL;
    struct hu_fx_worker *fw = NULL;
    struct hu_fkey key;
    const struct hu_fkey *k = NULL;
    struct hu_buf fz;
    hu_buf_init(&fz, 2 * (size_t)HU_MAX_LINE_BYTES);
    char err[512] = "";
    int exit_rc = 1;
    double t0 = hu_mono_s();
    if (o->map_path) {
        /* the map and the feature context first: a typo fails before the
         * cluster is touched */
        int mrc = hu_map_load(&map, o->map_path, err, sizeof err);
        if (mrc == HU_OK) {
            struct hu_features_config cfg = { .feature_key_file = o->feature_key_path,
                                              .model_file = o->model_file };
            mrc = hu_features_create(&cfg, &fx, err, sizeof err);
        }
        if (mrc == HU_OK && o->feature_key_path) {
            mrc = hu_fkey_load(o->feature_key_path, &key, err, sizeof err);
            k = &key;
        }
        if (mrc == HU_OK)
            mrc = hu_fx_worker_create(fx, &fw);
        if (mrc == HU_OK)
            mrc = hu_line_parser_create(&plain, NULL);
        if (mrc != HU_OK) {
            fprintf(stderr, "huella publish: %s\n", err[0] ? err : hu_status_str(mrc));
            exit_rc = mrc == HU_ENOMEM ? 1 : 2;
            goto out;
        }
    }
    if (hu_tp_connect(o->urls, &tp, err, sizeof err) != HU_OK) {
        fprintf(stderr, "huella publish: %s\n", err);
        goto out;
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
    if (hu_line_parser_create(&lp, map) != HU_OK)
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
            const char *data = line.ptr;
            size_t dlen = line.len;
            enum hu_reject why;
            if (map) {
                /* the featurized contract line, then its account */
                int fwhy = HU_REJECT_NONE;
                int frc = hu_fz_line_mapped(fw, lp, k, line.ptr, line.len, 1, &fz, NULL, 0, NULL, &fwhy);
                if (frc < 0 && frc != HU_EPARSE) {
                    fprintf(stderr, "huella publish: %s:%llu: %s\n", o->paths[f], (unsigned long long)lineno,
                            hu_status_str(frc));
                    hu_reader_fini(&r);
                    goto out;
                }
                why = frc > 0 ? hu_line_parse(plain, fz.ptr, fz.len, &ev) : (enum hu_reject)fwhy;
                data = fz.ptr;
                dlen = fz.len;
            } else {
                why = hu_line_parse_padded(lp, line.ptr, line.len, &ev);
            }
            if (why != HU_REJECT_NONE) {
                if (st->rejected++ < 10 && !o->quiet)
                    fprintf(stderr, "%s:%llu: %s\n", o->paths[f], (unsigned long long)lineno, hu_reject_name(why));
                continue;
            }
            char subj[40], id[48];
            hu_cluster_event_names(ev.account_id.ptr, ev.account_id.len, n_shards, tag, line.ptr, line.len, lineno,
                                   subj, id);
            rc = hu_tp_publish(tp, subj, data, dlen, id);
            if (rc) {
                fprintf(stderr, "huella publish: %s\n", hu_tp_error(tp));
                hu_reader_fini(&r);
                goto out;
            }
            st->published++;
            st->bytes += dlen;
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
    st->seconds = hu_mono_s() - t0;
    hu_line_parser_destroy(lp);
    hu_line_parser_destroy(plain);
    hu_fx_worker_destroy(fw);
    hu_features_destroy(fx);
    hu_map_destroy(map);
    hu_buf_fini(&fz);
    hu_tp_close(tp);
    return exit_rc;
}
