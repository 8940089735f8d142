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
#include "core/clock.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/sort.h"
#include "core/u64map.h"
#include "features/ioc.h"
#include "features/ioc_sign.h"
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
    uint64_t msg_seq;             /* summary stream seq of the message held (newer replaces) */
    char *bytes;                  /* NULL: evicted by its worker */
    size_t len;
};

/* The linker's copy of the summary stream: the latest summary of every
 * account and the latest marker of every shard, kept current by one cursor
 * that first delivers the newest message of each subject and then every
 * new one (a changed profile, an eviction, a checkpoint). */
struct state {
    unsigned n_shards;
    struct item *v;               /* one per account ever seen */
    size_t n, cap, live;
    struct hu_u64map idx;         /* account hash -> index in v + 1 */
    struct hu_marker *mk;         /* n_shards markers; mk_seq[k] == 0: none yet */
    uint64_t *mk_seq;
    struct hu_tp_consumer *cons;
    uint64_t last_seq;            /* newest stream seq applied */
    uint64_t changed;             /* messages applied since the last analysis */
    uint64_t last_pending;
    int64_t read_us;              /* time spent applying messages since the last analysis */
    size_t corrupt, evicted;
    int rc;
    struct hu_summary *tmp;
    struct hu_marker *mtmp;
};

static volatile sig_atomic_t stop_flag;
static void on_signal(int sig) { (void)sig; stop_flag = 1; }

static void add_release(struct hu_release *rel, size_t *n_rel, uint64_t mh, int64_t ts)
{
    for (size_t i = 0; i < *n_rel; i++)
        if (rel[i].model_hash == mh) {
            if (ts < rel[i].ts_ms)
                rel[i].ts_ms = ts;
            return;
        }
    if (*n_rel < HU_MAX_RELEASES)
        rel[(*n_rel)++] = (struct hu_release){ mh, ts };
}

/* The slot of account hash h (created empty if new). */
static struct item *slot(struct state *st, uint64_t h)
{
    uint32_t i1 = hu_u64map_get(&st->idx, h);
    if (i1)
        return &st->v[i1 - 1];
    if (st->n == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 4096;
        struct item *v = hu_realloc(st->v, cap * sizeof *v);
        if (!v)
            return NULL;
        st->v = v;
        st->cap = cap;
    }
    if (hu_u64map_add(&st->idx, h, (uint32_t)st->n + 1) != HU_OK)
        return NULL;
    struct item *it = &st->v[st->n++];
    memset(it, 0, sizeof *it);
    it->hash = h;
    return it;
}

static int on_summary(void *ctx, const struct hu_tp_msg *m)
{
    struct state *st = ctx;
    st->last_pending = m->pending;
    if (m->stream_seq > st->last_seq)
        st->last_seq = m->stream_seq;
    size_t sl = strlen(m->subject);
    if (sl > 5 && !strcmp(m->subject + sl - 5, ".ckpt")) {
        if (hu_marker_decode(st->mtmp, m->data, m->len) != HU_OK || st->mtmp->shard >= st->n_shards) {
            st->corrupt++;
            return 0;
        }
        uint32_t k = st->mtmp->shard;
        if (m->stream_seq > st->mk_seq[k]) {
            memcpy(&st->mk[k], st->mtmp, sizeof *st->mtmp);
            st->mk_seq[k] = m->stream_seq;
            st->changed++;
        }
        return 0;
    }
    uint64_t h;
    if (m->len == 0) {
        /* the worker evicted the account (--max-accounts): the subject,
         * huella.summary.<k>.a.<hash>, names it */
        const char *a = strstr(m->subject, ".a.");
        if (!a)
            return 0;
        h = strtoull(a + 3, NULL, 16);
    } else if (hu_summary_decode(st->tmp, m->data, m->len) != HU_OK) {
        st->corrupt++;          /* never trusted: skipped and counted */
        return 0;
    } else {
        h = st->tmp->prof.account_hash;
    }
    if (m->len == 0 && !hu_u64map_get(&st->idx, h))
        return 0;
    struct item *it = slot(st, h);
    if (!it) {
        st->rc = HU_ENOMEM;
        return 1;
    }
    if (m->stream_seq <= it->msg_seq)
        return 0;               /* a redelivery of an older version */
    char *b = NULL;
    if (m->len) {
        b = hu_malloc(m->len);
        if (!b) {
            st->rc = HU_ENOMEM;
            return 1;
        }
        memcpy(b, m->data, m->len);
    }
    st->live += (b != NULL) - (it->bytes != NULL);
    if (!b && it->bytes)
        st->evicted++;
    hu_free(it->bytes);
    it->bytes = b;
    it->len = m->len;
    it->msg_seq = m->stream_seq;
    it->first_seq = b ? st->tmp->first_seq : 0;
    st->changed++;
    return 0;
}

static int cmp_item(const void *x, const void *y)
{
    const struct item *a = *(const struct item *const *)x, *b = *(const struct item *const *)y;
    if (a->first_seq != b->first_seq)
        return a->first_seq < b->first_seq ? -1 : 1;
    return (a->hash > b->hash) - (a->hash < b->hash);
}

static void state_fini(struct state *st)
{
    for (size_t i = 0; i < st->n; i++)
        hu_free(st->v[i].bytes);
    hu_free(st->v);
    hu_u64map_fini(&st->idx);
    hu_free(st->mk);
    hu_free(st->mk_seq);
    hu_free(st->tmp);
    hu_free(st->mtmp);
    hu_tp_consumer_close(st->cons);
}

static int state_init(struct state *st, unsigned n_shards)
{
    memset(st, 0, sizeof *st);
    st->n_shards = n_shards;
    st->mk = hu_calloc(n_shards, sizeof *st->mk);
    st->mk_seq = hu_calloc(n_shards, sizeof *st->mk_seq);
    st->tmp = hu_malloc(sizeof *st->tmp);
    st->mtmp = hu_malloc(sizeof *st->mtmp);
    if (!st->mk || !st->mk_seq || !st->tmp || !st->mtmp || hu_u64map_init(&st->idx, 4096) != HU_OK)
        return HU_ENOMEM;
    return HU_OK;
}

/* Apply every message the summary stream has for us now (the first time:
 * the newest of each subject; then what changed since).  The cursor is
 * acknowledged as it goes (only to keep it moving: the linker's state is
 * rebuilt from the stream after a restart).  A broken cursor (a server
 * died) is reopened just after the last message applied. */
static int catch_up(struct hu_tp *tp, struct state *st, int64_t first_wait_ms)
{
    uint64_t msgs = 0;
    int rc = HU_OK;
    if (!st->cons) {
        rc = hu_tp_stream_state(tp, HU_CLUSTER_SUMMARY, &msgs, NULL);
        if (rc || (!msgs && !st->last_seq))
            return rc;
        struct hu_tp_consumer_cfg cc = { .stream = HU_CLUSTER_SUMMARY, .filter = "huella.summary.>",
                                         .last_per_subject = st->last_seq == 0,
                                         .start_seq = st->last_seq ? st->last_seq + 1 : 0 };
        rc = hu_tp_consumer_open(tp, &cc, &st->cons);
        if (rc)
            return rc;
    }
    int64_t wait = first_wait_ms;
    for (;;) {
        st->last_pending = 0;
        int64_t t0 = hu_mono_us();
        int n = hu_tp_fetch(st->cons, 2000, wait, on_summary, st);
        if (n > 0)   /* the time to a message, not the idle wait for none */
            st->read_us += hu_mono_us() - t0;
        if (n < 0 || st->rc) {
            rc = n < 0 ? n : st->rc;
            break;
        }
        if (n > 0 && hu_tp_ack_all(st->cons) != HU_OK) {
            rc = HU_EIO;
            break;
        }
        if (n == 0 || st->last_pending == 0)
            break;
        wait = 200;
    }
    if (rc == HU_EIO) {
        hu_tp_consumer_close(st->cons);
        st->cons = NULL;
    }
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
                           (unsigned long long)r->total_requests, (long long)hu_wall_ms());
        if (!rc)
            rc = hu_tp_kv_put(kv, "state", b.ptr, b.len, NULL);
    }
    hu_buf_fini(&b);
    hu_buf_fini(&reasons);
    hu_tp_kv_close(kv);
    *n_out = r->n_accounts;
    return rc;
}

/* What every run passes to the analysis besides the summaries. */
struct inputs {
    const struct hu_policy *policy;
    const struct hu_ioc_set *iocs;
    const uint8_t *share_key;
    size_t share_key_len;
};

/* What the last analysis found, for the linker's heartbeat. */
struct last_run {
    uint64_t generation;
    size_t accounts, campaigns;
    uint64_t changed;
    double read_s, create_s, import_s, finish_s, publish_s;
};

static void heartbeat(struct hu_tp *tp, const struct last_run *lr, const struct state *st)
{
    struct hu_tp_kv *leases = NULL;
    if (hu_tp_kv_open(tp, HU_CLUSTER_KV_LEASES, HU_CLUSTER_LEASE_MS, HU_CLUSTER_REPLICAS, &leases) != HU_OK)
        return;
    char hb[512];
    int len = snprintf(hb, sizeof hb,
                       "{\"generation\":%llu,\"accounts\":%zu,\"campaigns\":%zu,\"changed\":%llu,\"pending\":%llu,"
                       "\"evicted\":%zu,\"read_s\":%.3f,\"setup_s\":%.3f,\"import_s\":%.3f,\"analysis_s\":%.3f,"
                       "\"publish_s\":%.3f,\"ts\":%lld}",
                       (unsigned long long)lr->generation, lr->accounts, lr->campaigns,
                       (unsigned long long)lr->changed, (unsigned long long)st->changed, st->evicted, lr->read_s,
                       lr->create_s, lr->import_s, lr->finish_s, lr->publish_s, (long long)hu_wall_ms());
    if (hu_tp_kv_put(leases, "linker", hb, (size_t)len, NULL)) {}   /* best effort */
    hu_tp_kv_close(leases);
}

/* One analysis of the state as it is: every live account's summary
 * imported in first-seen order into a fresh analysis (what analyze's
 * observe would have built), the shards' releases and counters, then
 * hu_analysis_finish(): linkage, campaigns, scores, evidence. */
static int analyse(struct hu_tp *tp, const struct hu_linker_opts *o, const struct inputs *in, struct state *st,
                   uint64_t generation, struct last_run *lr)
{
    struct hu_analysis *an = NULL;
    struct hu_results res = { 0 };
    char err[256] = "";
    int64_t t0 = hu_mono_us();
    uint64_t changed = st->changed;
    const struct item **order = hu_malloc((st->live ? st->live : 1) * sizeof *order);
    int rc = order ? HU_OK : HU_ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < st->n && !rc; i++)
        if (st->v[i].bytes && n < st->live)
            order[n++] = &st->v[i];
    if (!rc)
        hu_sort(order, n, sizeof *order, cmp_item);
    struct hu_analysis_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.policy = in->policy;
    cfg.iocs = in->iocs;
    cfg.share_key = in->share_key;
    cfg.share_key_len = in->share_key_len;
    if (!rc) {
        rc = hu_analysis_create(&cfg, &an, err, sizeof err);
        if (rc) {
            fprintf(stderr, "huella linker: %s\n", err[0] ? err : hu_status_str(rc));
            goto out;
        }
    }
    int64_t tc = hu_mono_us();
    struct hu_observer *obs = rc ? NULL : hu_analysis_observer(an);
    for (size_t i = 0; i < n && !rc; i++) {
        if (hu_summary_decode(st->tmp, order[i]->bytes, order[i]->len) != HU_OK)
            continue;
        rc = hu_observer_import_profile(obs, st->tmp->id, st->tmp->id_len, &st->tmp->prof);
        for (size_t e = 0; e < st->tmp->n_ent; e++)
            hu_observer_import_entity(obs, (enum hu_dict_kind)st->tmp->ent[e].kind, st->tmp->ent[e].hash,
                                      st->tmp->ent[e].value, st->tmp->ent[e].len);
    }
    size_t markers = 0;
    if (!rc) {
        struct hu_observer_counts c = { .first_ts = INT64_MAX, .last_ts = INT64_MIN };
        struct hu_release *rel = hu_calloc(HU_MAX_RELEASES, sizeof *rel);
        size_t n_rel = 0;
        if (!rel)
            rc = HU_ENOMEM;
        for (unsigned k = 0; k < st->n_shards && !rc; k++) {
            if (!st->mk_seq[k])
                continue;
            const struct hu_marker *m = &st->mk[k];
            markers++;
            c.requests += m->c.requests;
            c.account_events += m->c.account_events;
            c.lost += m->c.lost;
            if (m->c.first_ts < c.first_ts) c.first_ts = m->c.first_ts;
            if (m->c.last_ts > c.last_ts) c.last_ts = m->c.last_ts;
            for (size_t i = 0; i < m->n_rel; i++)
                add_release(rel, &n_rel, m->rel[i].model_hash, m->rel[i].ts_ms);
        }
        for (size_t i = 0; i < n_rel && !rc; i++)
            hu_observer_import_release(obs, rel[i].model_hash, rel[i].ts_ms);
        if (!rc)
            hu_observer_import_counts(obs, &c);
        hu_free(rel);
    }
    int64_t t1 = hu_mono_us();
    if (!rc)
        rc = hu_analysis_finish(an, &res);
    if (rc) {
        fprintf(stderr, "huella linker: analysis failed: %s\n", hu_status_str(rc));
        goto out;
    }
    int64_t t2 = hu_mono_us();
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
    int64_t t3 = hu_mono_us();
    *lr = (struct last_run){ generation, res.n_accounts, res.n_campaigns, changed, (double)st->read_us / 1e6,
                             (double)(tc - t0) / 1e6,
                             (double)(t1 - tc) / 1e6, (double)(t2 - t1) / 1e6, (double)(t3 - t2) / 1e6 };
    heartbeat(tp, lr, st);
    if (!o->quiet)
        printf("huella linker: generation %llu: %zu accounts from %zu shard markers, %llu requests, %zu campaigns%s%s"
               " (%llu summaries changed, read in %.3f s; setup %.3f s, import %.3f s, analysis %.3f s,"
               " outputs %.3f s)\n",
               (unsigned long long)generation, res.n_accounts, markers, (unsigned long long)res.total_requests,
               res.n_campaigns, o->no_publish ? "" : ", decisions published",
               st->corrupt ? " (corrupt summaries skipped)" : "", (unsigned long long)changed, lr->read_s,
               lr->create_s, lr->import_s, lr->finish_s, lr->publish_s);
    fflush(stdout);
out:
    hu_free(order);
    hu_results_fini(&res);
    hu_analysis_destroy(an);
    return rc;
}

int hu_linker_run(const struct hu_linker_opts *o)
{
    struct hu_tp *tp = NULL;
    struct hu_policy *policy = NULL;
    struct hu_ioc_set *iocs = NULL;
    uint8_t share_key[HU_SHARE_KEY_MAX];
    size_t share_key_len = 0;
    char err[512] = "";
    int exit_rc = 2;
    if (o->policy_path && hu_policy_load(o->policy_path, &policy, err, sizeof err) != HU_OK) {
        fprintf(stderr, "huella linker: policy refused: %s\n", err);
        goto out;
    }
    if (o->n_iocs) {
        uint8_t (*pks)[HU_ED25519_PK] = o->n_pubkeys ? hu_calloc(o->n_pubkeys, sizeof *pks) : NULL;
        if (o->n_pubkeys && !pks) {
            exit_rc = 1;
            goto out;
        }
        int irc = HU_OK;
        for (size_t i = 0; i < o->n_pubkeys && irc == HU_OK; i++) {
            irc = hu_sign_load_public(o->pubkeys[i], pks[i]);
            if (irc != HU_OK)
                fprintf(stderr, "huella linker: %s: not an Ed25519 public key file\n", o->pubkeys[i]);
        }
        struct hu_ioc_opts iopts = { .pubkeys = (const uint8_t (*)[HU_ED25519_PK])pks, .n_pubkeys = o->n_pubkeys };
        if (irc == HU_OK) {
            irc = hu_ioc_set_create_from_files(o->iocs, o->n_iocs, &iopts, &iocs, err, sizeof err);
            if (irc != HU_OK)
                fprintf(stderr, "huella linker: indicators refused: %s\n", err);
        }
        hu_free(pks);
        if (irc != HU_OK)
            goto out;
    }
    if (o->share_key_path && hu_share_key_load(o->share_key_path, share_key, &share_key_len) != HU_OK) {
        fprintf(stderr, "huella linker: %s: not a usable sharing key (%u to %u bytes)\n", o->share_key_path,
                HU_SHARE_KEY_MIN, HU_SHARE_KEY_MAX);
        goto out;
    }
    struct inputs in = { policy, iocs, o->share_key_path ? share_key : NULL, share_key_len };
    exit_rc = 1;
    if (hu_tp_connect(o->urls, &tp, err, sizeof err) != HU_OK) {
        fprintf(stderr, "huella linker: %s\n", err);
        goto out;
    }
    unsigned n_shards = 0;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    /* A cluster that has just started, or is busy, can take seconds to
     * answer JetStream requests (leader elections: "stream info: Timeout").
     * With --wait, keep asking within it; "no shard count" (HU_ENOENT) is
     * an answer: nobody has published to this cluster yet. */
    time_t t_setup = time(NULL);
    int src;
    for (;;) {
        src = hu_cluster_ensure_streams(tp);
        if (src == HU_OK)
            src = hu_cluster_shards(tp, 0, &n_shards);
        if (src == HU_OK || src == HU_ENOENT || o->wait_s <= 0 || stop_flag ||
            time(NULL) - t_setup >= o->wait_s)
            break;
        sleep(1);
    }
    if (src != HU_OK) {
        fprintf(stderr, "huella linker: no huella cluster at %s (publish events first): %s\n", o->urls,
                hu_tp_error(tp));
        goto out;
    }
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
    /* Incremental: the state follows the summary stream (only changed
     * summaries cross the network after the first read); an analysis runs
     * first, then again when something changed and --every has passed
     * since the last one. */
    struct state st;
    if (state_init(&st, n_shards) != HU_OK) {
        state_fini(&st);
        goto out;
    }
    uint64_t generation = (uint64_t)hu_wall_ms();
    struct last_run lr = { 0 };
    int64_t last_run = 0, last_hb = 0;
    int ran = 0, failures = 0;
    while (!stop_flag) {
        int rc = catch_up(tp, &st, 1000);
        if (rc == HU_EIO) {
            /* a node just died: the log answers again after its election */
            if (!ran && ++failures >= 6) {
                fprintf(stderr, "huella linker: reading summaries failed: %s\n", hu_tp_error(tp));
                break;
            }
            sleep(1);
            continue;
        }
        if (rc) {
            fprintf(stderr, "huella linker: reading summaries failed: %s\n", hu_status_str(rc));
            exit_rc = 1;
            break;
        }
        failures = 0;
        int64_t now = hu_wall_ms();
        if (!ran || (st.changed && now - last_run >= (int64_t)o->every_s * 1000)) {
            rc = analyse(tp, o, &in, &st, generation++, &lr);
            exit_rc = rc ? 1 : 0;
            st.changed = 0;
            st.read_us = 0;
            ran = 1;
            last_run = last_hb = hu_wall_ms();
            if (o->every_s <= 0)
                break;
        } else if (now - last_hb >= HU_CLUSTER_RENEW_MS) {
            heartbeat(tp, &lr, &st);     /* alive, nothing new to link */
            last_hb = now;
        }
    }
    state_fini(&st);
out:
    hu_tp_close(tp);
    hu_ioc_set_destroy(iocs);
    hu_policy_destroy(policy);
    return exit_rc;
}
