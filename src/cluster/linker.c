/*
 * linker.c -- `huella linker`, see linker.h and docs/scale-out.md.
 *
 * Same answer as one process.  `huella analyze` observes events into a
 * profile table (first-seen order), then hu_analysis_finish() links,
 * clusters, scores and explains from that table, the dictionary of
 * printable values, the model releases and the request counters alone.
 * The linker rebuilds exactly those inputs from the summary stream:
 * every account's profile (byte-identical to analyze's: one worker folded
 * all of the account's events in stream order), ordered by the stream
 * sequence of the account's first event (which is analyze's first-seen
 * order, the publisher keeping file order), the entity values each
 * summary carries, and the releases and counters of the shards'
 * checkpoint markers; then it calls the same hu_analysis_finish().
 *
 * Cost: the summary stream is read once per run (one message per
 * account, ~3 KiB); memory is the profile table of every account, as in
 * analyze, plus the summaries being decoded.
 */
#include "cluster/linker.h"
#include "cluster/cluster.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/sort.h"
#include "report/outputs.h"
#include "score/analysis.h"
#include "score/policy.h"
#include "transport/transport.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct item {
    uint64_t first_seq, hash;
    char *bytes;
    size_t len;
};

struct gather {
    struct item *v;
    size_t n, cap;
    struct hu_observer_counts c;
    struct hu_release rel[HU_MAX_RELEASES];
    size_t n_rel;
    size_t markers, corrupt;
    uint64_t last_pending;
    int rc;
    struct hu_summary *tmp;
    struct hu_marker *mk;
};

static volatile sig_atomic_t stop_flag;
static void on_signal(int sig) { (void)sig; stop_flag = 1; }

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void add_release(struct gather *g, uint64_t mh, int64_t ts)
{
    for (size_t i = 0; i < g->n_rel; i++)
        if (g->rel[i].model_hash == mh) {
            if (ts < g->rel[i].ts_ms)
                g->rel[i].ts_ms = ts;
            return;
        }
    if (g->n_rel < HU_MAX_RELEASES)
        g->rel[g->n_rel++] = (struct hu_release){ mh, ts };
}

static int on_summary(void *ctx, const struct hu_tp_msg *m)
{
    struct gather *g = ctx;
    g->last_pending = m->pending;
    size_t sl = strlen(m->subject);
    if (sl > 5 && !strcmp(m->subject + sl - 5, ".ckpt")) {
        if (hu_marker_decode(g->mk, m->data, m->len) != HU_OK) {
            g->corrupt++;
            return 0;
        }
        g->markers++;
        g->c.requests += g->mk->c.requests;
        g->c.account_events += g->mk->c.account_events;
        g->c.lost += g->mk->c.lost;
        if (g->mk->c.first_ts < g->c.first_ts) g->c.first_ts = g->mk->c.first_ts;
        if (g->mk->c.last_ts > g->c.last_ts) g->c.last_ts = g->mk->c.last_ts;
        for (size_t i = 0; i < g->mk->n_rel; i++)
            add_release(g, g->mk->rel[i].model_hash, g->mk->rel[i].ts_ms);
        return 0;
    }
    if (hu_summary_decode(g->tmp, m->data, m->len) != HU_OK) {
        g->corrupt++;          /* never trusted: skipped and counted */
        return 0;
    }
    hu_profile_fini(&g->tmp->prof);   /* only its account hash is kept, below */
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 4096;
        struct item *v = hu_realloc(g->v, cap * sizeof *v);
        if (!v) {
            g->rc = HU_ENOMEM;
            return 1;
        }
        g->v = v;
        g->cap = cap;
    }
    char *b = hu_malloc(m->len);
    if (!b) {
        g->rc = HU_ENOMEM;
        return 1;
    }
    memcpy(b, m->data, m->len);
    g->v[g->n++] = (struct item){ g->tmp->first_seq, g->tmp->prof.account_hash, b, m->len };
    return 0;
}

static int cmp_item(const void *x, const void *y)
{
    const struct item *a = x, *b = y;
    if (a->first_seq != b->first_seq)
        return a->first_seq < b->first_seq ? -1 : 1;
    return (a->hash > b->hash) - (a->hash < b->hash);
}

static void gather_fini(struct gather *g)
{
    for (size_t i = 0; i < g->n; i++)
        hu_free(g->v[i].bytes);
    hu_free(g->v);
    hu_free(g->tmp);
    hu_free(g->mk);
}

/* Read every summary and marker (one per subject) of the summary stream. */
static int gather(struct hu_tp *tp, struct gather *g)
{
    memset(g, 0, sizeof *g);
    g->c.first_ts = INT64_MAX;
    g->c.last_ts = INT64_MIN;
    g->tmp = hu_malloc(sizeof *g->tmp);
    g->mk = hu_malloc(sizeof *g->mk);
    if (!g->tmp || !g->mk)
        return HU_ENOMEM;
    uint64_t msgs = 0;
    int rc = hu_tp_stream_state(tp, HU_CLUSTER_SUMMARY, &msgs, NULL);
    if (rc || !msgs)
        return rc;
    struct hu_tp_consumer *c = NULL;
    struct hu_tp_consumer_cfg cc = { .stream = HU_CLUSTER_SUMMARY, .filter = "huella.summary.>", .last_per_subject = 1 };
    rc = hu_tp_consumer_open(tp, &cc, &c);
    while (!rc) {
        int n = hu_tp_fetch(c, 2000, 1000, on_summary, g);
        if (n < 0)
            rc = n;
        else if (g->rc)
            rc = g->rc;
        else if (n == 0 || g->last_pending == 0)
            break;
    }
    hu_tp_consumer_close(c);
    return rc;
}

/* Every shard's cursor exists and has nothing undelivered or unacknowledged. */
static int caught_up(struct hu_tp *tp, unsigned n_shards, uint64_t *lag)
{
    int ok = 1;
    *lag = 0;
    for (unsigned k = 0; k < n_shards; k++) {
        char durable[48];
        snprintf(durable, sizeof durable, "huella-shard-%u", k);
        struct hu_tp_consumer_state st;
        if (hu_tp_consumer_state(tp, HU_CLUSTER_EVENTS, durable, &st) != HU_OK) {
            ok = 0;
            continue;
        }
        *lag += st.pending + st.ack_pending;
        if (st.pending || st.ack_pending)
            ok = 0;
    }
    return ok;
}

static int write_file(const char *dir, const char *name, const struct hu_results *r, int csv)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return HU_EIO;
    int rc = csv ? hu_write_accounts_csv(f, r) : hu_write_campaigns_json(f, r);
    if (fclose(f) != 0 && !rc)
        rc = HU_EIO;
    if (!rc && rename(tmp, path) != 0)
        rc = HU_EIO;
    return rc;
}

/* Decisions and campaign state into the huella_decisions bucket: one key
 * per account (acct.<hash>), the campaigns array under "campaigns" and a
 * "state" record last, so a reader that sees the new generation in
 * "state" finds every account of it. */
static int publish_decisions(struct hu_tp *tp, const struct hu_results *r, uint64_t generation, size_t *n_out)
{
    struct hu_tp_kv *kv = NULL;
    int rc = hu_tp_kv_open(tp, HU_CLUSTER_KV_DECISIONS, 0, HU_CLUSTER_REPLICAS, &kv);
    if (rc)
        return rc;
    struct hu_buf b, reasons;
    hu_buf_init(&b, (size_t)1 << 20);
    hu_buf_init(&reasons, (size_t)1 << 16);
    char subj[128];
    for (size_t i = 0; i < r->n_accounts && !rc; i++) {
        const struct hu_account_result *a = &r->accounts[i];
        hu_buf_reset(&b);
        hu_buf_reset(&reasons);
        rc = hu_format_reasons(&reasons, a);
        if (!rc) rc = hu_buf_adds(&b, "{\"account_id\":\"");
        if (!rc) rc = hu_buf_add_json_str(&b, a->account_id, a->account_id_len);
        if (!rc) rc = hu_buf_printf(&b, "\",\"score\":%.4f,\"flagged\":%d,\"action\":\"%s\",\"campaign_id\":\"%s\","
                                        "\"requests\":%llu,\"reasons\":\"",
                                    a->score, hu_action_flagged(a->would), hu_action_name(a->action),
                                    a->campaign ? r->campaigns[a->campaign - 1].id : "",
                                    (unsigned long long)a->requests);
        if (!rc) rc = hu_buf_add_json_str(&b, reasons.ptr ? reasons.ptr : "", reasons.len);
        if (!rc) rc = hu_buf_printf(&b, "\",\"generation\":%llu}", (unsigned long long)generation);
        snprintf(subj, sizeof subj, "$KV.%s.acct.%016llx", HU_CLUSTER_KV_DECISIONS,
                 (unsigned long long)hu_hash(a->account_id, a->account_id_len));
        if (!rc) rc = hu_tp_publish(tp, subj, b.ptr, b.len, NULL);
    }
    if (!rc)
        rc = hu_tp_publish_wait(tp, 30000, NULL);
    /* the campaigns as campaigns.json has them, if they fit one value */
    char *mem = NULL;
    size_t n = 0;
    FILE *f = rc ? NULL : open_memstream(&mem, &n);
    if (f) {
        int wrc = hu_write_campaigns_json(f, r);
        fclose(f);
        if (!wrc && n < ((size_t)1 << 20) - 1024)
            rc = hu_tp_kv_put(kv, "campaigns", mem, n, NULL);
        free(mem);   /* open_memstream memory comes from libc */
    }
    if (!rc) {
        hu_buf_reset(&b);
        rc = hu_buf_printf(&b, "{\"generation\":%llu,\"accounts\":%zu,\"campaigns\":%zu,\"requests\":%llu,\"ts\":%lld}",
                           (unsigned long long)generation, r->n_accounts, r->n_campaigns,
                           (unsigned long long)r->total_requests, (long long)wall_ms());
        if (!rc)
            rc = hu_tp_kv_put(kv, "state", b.ptr, b.len, NULL);
    }
    hu_buf_fini(&b);
    hu_buf_fini(&reasons);
    hu_tp_kv_close(kv);
    *n_out = r->n_accounts;
    return rc;
}

static int run_once(struct hu_tp *tp, const struct hu_linker_opts *o, const struct hu_policy *policy,
                    uint64_t generation)
{
    struct gather g;
    struct hu_analysis *an = NULL;
    struct hu_results res = { 0 };
    char err[256] = "";
    int rc = gather(tp, &g);
    for (int tries = 1; rc == HU_EIO && tries < 6 && !stop_flag; tries++) {
        /* a node just died: the log answers again after its election */
        gather_fini(&g);
        sleep(1);
        rc = gather(tp, &g);
    }
    if (rc) {
        fprintf(stderr, "huella linker: reading summaries failed: %s\n",
                rc == HU_EIO ? hu_tp_error(tp) : hu_status_str(rc));
        goto out;
    }
    hu_sort(g.v, g.n, sizeof *g.v, cmp_item);
    struct hu_analysis_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.policy = policy;
    rc = hu_analysis_create(&cfg, &an, err, sizeof err);
    if (rc) {
        fprintf(stderr, "huella linker: %s\n", err[0] ? err : hu_status_str(rc));
        goto out;
    }
    struct hu_observer *obs = hu_analysis_observer(an);
    for (size_t i = 0; i < g.n && !rc; i++) {
        if (hu_summary_decode(g.tmp, g.v[i].bytes, g.v[i].len) != HU_OK)
            continue;
        rc = hu_observer_import_profile(obs, g.tmp->id, g.tmp->id_len, &g.tmp->prof);
        hu_profile_fini(&g.tmp->prof);   /* imported as a copy */
        for (size_t e = 0; e < g.tmp->n_ent; e++)
            hu_observer_import_entity(obs, (enum hu_dict_kind)g.tmp->ent[e].kind, g.tmp->ent[e].hash,
                                      g.tmp->ent[e].value, g.tmp->ent[e].len);
        hu_free(g.v[i].bytes);
        g.v[i].bytes = NULL;
    }
    for (size_t i = 0; i < g.n_rel; i++)
        hu_observer_import_release(obs, g.rel[i].model_hash, g.rel[i].ts_ms);
    hu_observer_import_counts(obs, &g.c);
    if (!rc)
        rc = hu_analysis_finish(an, &res);
    if (rc) {
        fprintf(stderr, "huella linker: analysis failed: %s\n", hu_status_str(rc));
        goto out;
    }
    if (o->out_dir) {
        if ((mkdir(o->out_dir, 0750) != 0 && errno != EEXIST)
            || write_file(o->out_dir, "accounts.csv", &res, 1) != HU_OK
            || write_file(o->out_dir, "campaigns.json", &res, 0) != HU_OK) {
            fprintf(stderr, "huella linker: cannot write into %s: %s\n", o->out_dir, strerror(errno));
            rc = HU_EIO;
            goto out;
        }
    }
    size_t published = 0;
    if (!o->no_publish) {
        rc = publish_decisions(tp, &res, generation, &published);
        if (rc) {
            fprintf(stderr, "huella linker: publishing decisions failed: %s\n", hu_tp_error(tp));
            goto out;
        }
    }
    struct hu_tp_kv *leases = NULL;
    if (hu_tp_kv_open(tp, HU_CLUSTER_KV_LEASES, HU_CLUSTER_LEASE_MS, HU_CLUSTER_REPLICAS, &leases) == HU_OK) {
        char hb[256];
        int len = snprintf(hb, sizeof hb, "{\"generation\":%llu,\"accounts\":%zu,\"campaigns\":%zu,\"ts\":%lld}",
                           (unsigned long long)generation, res.n_accounts, res.n_campaigns, (long long)wall_ms());
        if (hu_tp_kv_put(leases, "linker", hb, (size_t)len, NULL)) {}   /* best effort */
        hu_tp_kv_close(leases);
    }
    if (!o->quiet)
        printf("huella linker: generation %llu: %zu accounts from %zu shard markers, %llu requests, %zu campaigns%s%s\n",
               (unsigned long long)generation, res.n_accounts, g.markers, (unsigned long long)res.total_requests,
               res.n_campaigns, o->no_publish ? "" : ", decisions published", g.corrupt ? " (corrupt summaries skipped)" : "");
out:
    hu_results_fini(&res);
    hu_analysis_destroy(an);
    gather_fini(&g);
    return rc;
}

int hu_linker_run(const struct hu_linker_opts *o)
{
    struct hu_tp *tp = NULL;
    struct hu_policy *policy = NULL;
    char err[512] = "";
    if (o->policy_path && hu_policy_load(o->policy_path, &policy, err, sizeof err) != HU_OK) {
        fprintf(stderr, "huella linker: policy refused: %s\n", err);
        return 2;
    }
    int exit_rc = 1;
    if (hu_tp_connect(o->urls, &tp, err, sizeof err) != HU_OK) {
        fprintf(stderr, "huella linker: %s\n", err);
        goto out;
    }
    unsigned n_shards = 0;
    if (hu_cluster_ensure_streams(tp) != HU_OK || hu_cluster_shards(tp, 0, &n_shards) != HU_OK) {
        fprintf(stderr, "huella linker: no huella cluster at %s (publish events first): %s\n", o->urls,
                hu_tp_error(tp));
        goto out;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    if (o->wait_s > 0) {
        time_t t0 = time(NULL);
        uint64_t lag = 0;
        int stable = 0;
        for (;;) {
            if (caught_up(tp, n_shards, &lag)) {
                if (++stable >= 2)      /* twice in a row, 300 ms apart */
                    break;
            } else {
                stable = 0;
            }
            if (stop_flag || time(NULL) - t0 >= o->wait_s) {
                fprintf(stderr, "huella linker: shards not caught up after %d s (lag %llu); linking what is there\n",
                        o->wait_s, (unsigned long long)lag);
                break;
            }
            usleep(300 * 1000);
        }
    }
    uint64_t generation = (uint64_t)wall_ms();
    for (;;) {
        int rc = run_once(tp, o, policy, generation++);
        exit_rc = rc ? 1 : 0;
        if (o->every_s <= 0 || stop_flag)
            break;
        for (int i = 0; i < o->every_s * 10 && !stop_flag; i++)
            usleep(100 * 1000);
        if (stop_flag)
            break;
    }
out:
    hu_tp_close(tp);
    hu_policy_destroy(policy);
    return exit_rc;
}
