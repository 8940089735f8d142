/*
 * worker.c -- `huella worker`, see worker.h and docs/scale-out.md.
 *
 * The loop, per turn: renew leases (every HU_CLUSTER_LEASE_MS / 3), pull
 * a batch from each owned shard and fold it in, and when checkpoint_ms
 * passed (or enough events came) checkpoint:
 *
 *   1. one SQLite transaction: every changed account's summary and each
 *      changed shard's marker (position `applied`), committed with
 *      synchronous=FULL;
 *   2. publish the same summaries and markers on the summary stream and
 *      wait until JetStream confirms they are stored (replicated);
 *   3. acknowledge each shard's cursor up to the last message fetched.
 *
 * Why nothing is lost or doubled.  An event is acknowledged only after
 * the profile that includes it is durable twice (local store, summary
 * stream), so a crash anywhere before (3) leaves it unacknowledged and it
 * is read again.  Reading again is harmless: a worker (re)starts a shard's
 * cursor at its checkpoint + 1 (transport.h: in stream order, nothing
 * pending), skips any message at or below the shard position, and every
 * account remembers the stream sequence of the last event folded into it
 * (summary last_seq), so an event already inside a restored profile is
 * skipped even when the marker was older than the profile (a crash
 * between publishing summaries and the marker).  The event stream's
 * message ids make a republished input file a no-op as well.
 *
 * Events of one account all travel on one subject and are folded in
 * stream order, so each profile is byte-identical to the profile one
 * `huella analyze` process builds from the same file: that is what makes
 * the linker's answer equal to analyze's (tests/cli/test_cluster.sh).
 */
#include "cluster/worker.h"
#include "cluster/cluster.h"
#include "cluster/worker_store.h"
#include "core/clock.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/hash.h"
#include "ingest/ingest.h"
#include "profile/observer.h"
#include "transport/transport.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct shard {
    unsigned k;
    int owned;
    uint64_t lease_rev;
    struct hu_tp_consumer *cons;
    uint64_t applied;             /* stream seq of the last event folded in (or skipped) */
    uint64_t ckpt;                /* applied as of the last committed checkpoint */
    uint64_t published;           /* ckpt whose summaries the stream confirmed */
    uint64_t expect_cseq;         /* next consumer sequence (gap detection) */
    int unacked;                  /* messages fetched since the last ack */
    struct hu_observer_counts c;
    size_t n_rel;
    struct hu_release *rel;       /* HU_MAX_RELEASES, while owned */
    uint64_t events, dups, redelivered, rejected, reopens;
    unsigned free_rounds;         /* lease rounds this shard was seen without an owner */
};

struct acct {
    uint64_t first_seq, last_seq;
    uint64_t hash;                /* the account holding the record (0: none yet) */
    uint32_t shard;
    uint8_t dirty;
};

/* An account evicted by --max-accounts, to be deleted from the store and
 * the summary stream at the next checkpoint. */
struct tomb {
    uint32_t shard;
    uint64_t hash;
    char *id;
    size_t len;
};

struct worker {
    const struct hu_worker_opts *o;
    char id[64];
    struct hu_tp *tp;
    struct hu_tp_kv *leases;
    struct hu_wstore *store;
    struct hu_observer *obs;
    struct hu_line_parser *lp;
    unsigned n_shards;
    uint8_t allowed[HU_CLUSTER_MAX_SHARDS / 8];
    struct shard *sh;
    struct acct *meta;
    size_t meta_cap;
    uint32_t *dirty;
    size_t n_dirty, dirty_cap;
    uint64_t since_ckpt, events_total, checkpoints;
    struct tomb *tombs;
    size_t n_tombs, tombs_cap;
    uint64_t evicted, refused;
    struct hu_buf enc;
};

static volatile sig_atomic_t stop_flag;
static void on_signal(int sig) { (void)sig; stop_flag = 1; }

static int allowed(const struct worker *w, unsigned k) { return (w->allowed[k / 8] >> (k % 8)) & 1; }

/* ---- accounts ------------------------------------------------------------------ */

static int mark_dirty(struct worker *w, uint32_t i)
{
    if (w->meta[i].dirty)
        return HU_OK;
    if (w->n_dirty == w->dirty_cap) {
        size_t cap = w->dirty_cap ? w->dirty_cap * 2 : 1024;
        uint32_t *d = hu_realloc(w->dirty, cap * sizeof *d);
        if (!d)
            return HU_ENOMEM;
        w->dirty = d;
        w->dirty_cap = cap;
    }
    w->dirty[w->n_dirty++] = i;
    w->meta[i].dirty = 1;
    return HU_OK;
}

static int meta_reserve(struct worker *w, size_t i)
{
    if (i < w->meta_cap)
        return HU_OK;
    size_t cap = w->meta_cap ? w->meta_cap * 2 : 4096;
    while (cap <= i)
        cap *= 2;
    struct acct *m = hu_realloc(w->meta, cap * sizeof *m);
    if (!m)
        return HU_ENOMEM;
    memset(m + w->meta_cap, 0, (cap - w->meta_cap) * sizeof *m);
    w->meta = m;
    w->meta_cap = cap;
    return HU_OK;
}

/* Put a restored summary in place (overwriting what memory holds: a shard
 * owned before and taken back must not be merged with its old self). */
/* Before the table creates an account it does not hold: if it is full
 * (--max-accounts), the account it will evict is noted for deletion at
 * the next checkpoint (its id copied now, while the table still has it). */
static int note_victim(struct worker *w)
{
    struct hu_profile_table *t = hu_observer_table(w->obs);
    size_t v = hu_profile_table_victim(t);
    if (v == SIZE_MAX || v >= w->meta_cap || !w->meta[v].hash)
        return HU_OK;
    if (w->n_tombs == w->tombs_cap) {
        size_t cap = w->tombs_cap ? w->tombs_cap * 2 : 256;
        struct tomb *tv = hu_realloc(w->tombs, cap * sizeof *tv);
        if (!tv)
            return HU_ENOMEM;
        w->tombs = tv;
        w->tombs_cap = cap;
    }
    size_t len = 0;
    const char *id = hu_profile_table_id(t, v, &len);
    char *copy = hu_malloc(len + 1);
    if (!copy)
        return HU_ENOMEM;
    memcpy(copy, id, len);
    copy[len] = 0;
    w->tombs[w->n_tombs++] = (struct tomb){ w->meta[v].shard, w->meta[v].hash, copy, len };
    w->evicted++;
    return HU_OK;
}

/* The record of account id after the table created it (maybe in an
 * evicted account's place): its bookkeeping starts afresh.  The dirty
 * flag stays with the record (the dirty list holds record numbers). */
static int claim_record(struct worker *w, const char *id, size_t len, uint64_t h, uint32_t shard, uint64_t first_seq,
                        size_t *rec)
{
    size_t r = hu_profile_table_record(hu_observer_table(w->obs), id, len);
    if (r == SIZE_MAX)
        return HU_EINTERNAL;
    int rc = meta_reserve(w, r);
    if (rc)
        return rc;
    struct acct *a = &w->meta[r];
    *a = (struct acct){ .first_seq = first_seq, .hash = h, .shard = shard, .dirty = a->dirty };
    *rec = r;
    return HU_OK;
}

static int restore_summary(struct worker *w, const struct hu_summary *s, int dirty)
{
    struct hu_profile_table *t = hu_observer_table(w->obs);
    struct hu_profile *p;
    int created;
    int rc = hu_profile_table_record(t, s->id, s->id_len) == SIZE_MAX ? note_victim(w) : HU_OK;
    if (!rc)
        rc = hu_profile_table_get(t, s->id, s->id_len, &p, &created);
    if (rc)
        return rc;
    memcpy(p, &s->prof, sizeof *p);
    for (size_t i = 0; i < s->n_ent; i++)
        hu_observer_import_entity(w->obs, (enum hu_dict_kind)s->ent[i].kind, s->ent[i].hash, s->ent[i].value,
                                  s->ent[i].len);
    size_t r;
    rc = claim_record(w, s->id, s->id_len, s->prof.account_hash, s->shard, s->first_seq, &r);
    if (rc)
        return rc;
    w->meta[r].last_seq = s->last_seq;
    return dirty ? mark_dirty(w, (uint32_t)r) : HU_OK;
}

/* ---- events ------------------------------------------------------------------------ */


static int apply_line(struct worker *w, struct shard *s, const char *line, size_t len, uint64_t seq)
{
    struct hu_event ev;
    if (hu_line_parse(w->lp, line, len, &ev) != HU_REJECT_NONE) {
        s->rejected++;
        return HU_OK;
    }
    if (ev.kind == HU_EV_MODEL_RELEASE) {
        hu_releases_note(s->rel, &s->n_rel, hu_hash(ev.model.ptr, ev.model.len), ev.ts_ms);
        return hu_observer_observe(w->obs, &ev);
    }
    uint64_t h = hu_hash(ev.account_id.ptr, ev.account_id.len);
    size_t r = hu_profile_table_record(hu_observer_table(w->obs), ev.account_id.ptr, ev.account_id.len);
    if (r != SIZE_MAX && seq <= w->meta[r].last_seq) {
        s->dups++;              /* already inside the restored profile */
        return HU_OK;
    }
    int rc = r == SIZE_MAX ? note_victim(w) : HU_OK;
    if (rc)
        return rc;
    rc = hu_observer_observe(w->obs, &ev);
    if (rc) {
        /* HU_EFULL: --max-accounts and every account held is pinned or
         * heavy; the newcomer is refused, as in analyze */
        s->c.lost++;
        if (rc == HU_EFULL)
            w->refused++;
        return rc == HU_ENOMEM ? rc : HU_OK;
    }
    if (r == SIZE_MAX) {
        rc = claim_record(w, ev.account_id.ptr, ev.account_id.len, h, s->k, seq, &r);
        if (rc)
            return rc;
    }
    w->meta[r].last_seq = seq;
    if (ev.kind == HU_EV_REQUEST) {
        s->c.requests++;
        if (ev.ts_ms < s->c.first_ts) s->c.first_ts = ev.ts_ms;
        if (ev.ts_ms > s->c.last_ts) s->c.last_ts = ev.ts_ms;
    } else {
        s->c.account_events++;
    }
    return mark_dirty(w, (uint32_t)r);
}

struct fetch_ctx {
    struct worker *w;
    struct shard *s;
    int gap, rc;
};

static int on_msg(void *ctx, const struct hu_tp_msg *m)
{
    struct fetch_ctx *fc = ctx;
    struct shard *s = fc->s;
    if (m->consumer_seq > s->expect_cseq && m->stream_seq > s->applied) {
        fc->gap = 1;            /* a delivery never reached us: restart in order */
        return 1;
    }
    if (m->consumer_seq >= s->expect_cseq)
        s->expect_cseq = m->consumer_seq + 1;
    s->unacked++;
    if (m->delivered > 1)
        s->redelivered++;
    if (m->stream_seq <= s->applied) {
        s->dups++;
        return 0;
    }
    int rc = apply_line(fc->w, s, m->data, m->len, m->stream_seq);
    if (rc) {
        fc->rc = rc;
        return 1;
    }
    s->applied = m->stream_seq;
    s->events++;
    fc->w->since_ckpt++;
    fc->w->events_total++;
    if (fc->w->o->max_events > 0 && fc->w->events_total >= (uint64_t)fc->w->o->max_events)
        raise(SIGKILL);          /* tests: die exactly like kill -9, mid-batch */
    return 0;
}

static int open_cursor(struct worker *w, struct shard *s)
{
    char durable[48], filter[48];
    snprintf(durable, sizeof durable, "huella-shard-%u", s->k);
    snprintf(filter, sizeof filter, "huella.events.%u", s->k);
    hu_tp_consumer_close(s->cons);
    s->cons = NULL;
    struct hu_tp_consumer_cfg cc = { .stream = HU_CLUSTER_EVENTS, .durable = durable, .filter = filter,
                                     .start_seq = s->applied + 1 };
    s->expect_cseq = 1;
    s->unacked = 0;
    return hu_tp_consumer_open(w->tp, &cc, &s->cons);
}

/* ---- checkpoint -------------------------------------------------------------------------- */

static int encode_account(struct worker *w, uint32_t i, struct hu_summary *s)
{
    const struct hu_profile_table *t = hu_observer_table(w->obs);
    s->shard = w->meta[i].shard;
    s->first_seq = w->meta[i].first_seq;
    s->last_seq = w->meta[i].last_seq;
    s->id = hu_profile_table_id(t, i, &s->id_len);
    memcpy(&s->prof, hu_profile_table_at(t, i), sizeof s->prof);
    const struct hu_entity_dict *d = hu_observer_dict(w->obs);
    hu_summary_collect_entities(s, &d, 1);
    hu_buf_reset(&w->enc);
    return hu_summary_encode(s, &w->enc);
}

static int encode_marker(struct worker *w, const struct shard *s, uint64_t seq)
{
    struct hu_marker *m = hu_calloc(1, sizeof *m);
    if (!m)
        return HU_ENOMEM;
    m->shard = s->k;
    m->seq = seq;
    m->c = s->c;
    m->n_rel = s->n_rel;
    if (s->n_rel)
        memcpy(m->rel, s->rel, s->n_rel * sizeof *s->rel);
    snprintf(m->worker, sizeof m->worker, "%s", w->id);
    hu_buf_reset(&w->enc);
    int rc = hu_marker_encode(m, &w->enc);
    hu_free(m);
    return rc;
}

static int checkpoint(struct worker *w)
{
    /* accounts of a shard whose lease was lost belong to its new owner:
     * publishing them now would overwrite newer summaries */
    size_t keep = 0;
    for (size_t j = 0; j < w->n_dirty; j++) {
        uint32_t i = w->dirty[j];
        if (w->sh[w->meta[i].shard].owned)
            w->dirty[keep++] = i;
        else
            w->meta[i].dirty = 0;
    }
    w->n_dirty = keep;
    /* evicted accounts likewise: only the owner deletes them */
    keep = 0;
    for (size_t j = 0; j < w->n_tombs; j++) {
        if (w->sh[w->tombs[j].shard].owned)
            w->tombs[keep++] = w->tombs[j];
        else
            hu_free(w->tombs[j].id);
    }
    w->n_tombs = keep;
    int any = w->n_dirty > 0 || w->n_tombs > 0;
    for (unsigned k = 0; k < w->n_shards; k++)
        any |= w->sh[k].owned && (w->sh[k].applied > w->sh[k].published || w->sh[k].unacked);
    if (!any)
        return HU_OK;
    struct hu_summary *sum = hu_malloc(sizeof *sum);
    if (!sum)
        return HU_ENOMEM;
    int rc = hu_wstore_begin(w->store);
    /* evictions first: an account evicted and seen again since is put
     * back by its summary below */
    for (size_t j = 0; j < w->n_tombs && !rc; j++)
        rc = hu_wstore_delete_account(w->store, w->tombs[j].id, w->tombs[j].len);
    for (size_t j = 0; j < w->n_dirty && !rc; j++) {
        uint32_t i = w->dirty[j];
        rc = encode_account(w, i, sum);
        if (!rc)
            rc = hu_wstore_put_account(w->store, sum->shard, sum->id, sum->id_len, sum->last_seq, w->enc.ptr,
                                       w->enc.len);
    }
    for (unsigned k = 0; k < w->n_shards && !rc; k++) {
        struct shard *s = &w->sh[k];
        if (!s->owned || s->applied == s->ckpt)
            continue;
        rc = encode_marker(w, s, s->applied);
        if (!rc)
            rc = hu_wstore_put_shard(w->store, k, s->applied, w->enc.ptr, w->enc.len);
    }
    if (!rc)
        rc = hu_wstore_commit(w->store);
    if (rc) {
        hu_wstore_rollback(w->store);
        fprintf(stderr, "huella worker: checkpoint failed: %s\n", hu_wstore_error(w->store));
        hu_free(sum);
        return rc;
    }
    for (unsigned k = 0; k < w->n_shards; k++)
        if (w->sh[k].owned)
            w->sh[k].ckpt = w->sh[k].applied;
    /* 2. the same bytes to the summary stream; an evicted account's
     * subject gets an empty message, which replaces its summary (one
     * message kept per subject) and which readers skip */
    char subj[96];
    for (size_t j = 0; j < w->n_tombs && !rc; j++) {
        snprintf(subj, sizeof subj, "huella.summary.%u.a.%016llx", w->tombs[j].shard,
                 (unsigned long long)w->tombs[j].hash);
        rc = hu_tp_publish(w->tp, subj, "", 0, NULL);
    }
    for (size_t j = 0; j < w->n_dirty && !rc; j++) {
        uint32_t i = w->dirty[j];
        rc = encode_account(w, i, sum);
        snprintf(subj, sizeof subj, "huella.summary.%u.a.%016llx", sum->shard,
                 (unsigned long long)sum->prof.account_hash);
        if (!rc)
            rc = hu_tp_publish(w->tp, subj, w->enc.ptr, w->enc.len, NULL);
    }
    for (unsigned k = 0; k < w->n_shards && !rc; k++) {
        struct shard *s = &w->sh[k];
        if (!s->owned || s->ckpt == s->published)
            continue;
        rc = encode_marker(w, s, s->ckpt);
        snprintf(subj, sizeof subj, "huella.summary.%u.ckpt", k);
        if (!rc)
            rc = hu_tp_publish(w->tp, subj, w->enc.ptr, w->enc.len, NULL);
    }
    hu_free(sum);
    if (!rc)
        rc = hu_tp_publish_wait(w->tp, HU_TP_TIMEOUT_MS, NULL);
    if (rc) {
        /* summaries stay dirty, events stay unacknowledged: next turn retries */
        fprintf(stderr, "huella worker: publishing summaries failed (will retry): %s\n", hu_tp_error(w->tp));
        return rc;
    }
    for (size_t j = 0; j < w->n_dirty; j++)
        w->meta[w->dirty[j]].dirty = 0;
    w->n_dirty = 0;
    for (size_t j = 0; j < w->n_tombs; j++)
        hu_free(w->tombs[j].id);
    w->n_tombs = 0;
    /* 3. acknowledge */
    for (unsigned k = 0; k < w->n_shards; k++) {
        struct shard *s = &w->sh[k];
        if (!s->owned)
            continue;
        if (s->published != s->ckpt && hu_wstore_set_published(w->store, k, s->ckpt) == HU_OK)
            s->published = s->ckpt;
        if (s->unacked && s->cons) {
            if (hu_tp_ack_all(s->cons) == HU_OK)
                s->unacked = 0;
            else
                fprintf(stderr, "huella worker: ack of shard %u failed (events will be redelivered and skipped): %s\n",
                        k, hu_tp_error(w->tp));
        }
    }
    w->since_ckpt = 0;
    w->checkpoints++;
    return HU_OK;
}

/* ---- acquiring and releasing shards ---------------------------------------------------------- */

static int restore_local_row(void *ctx, uint64_t last_seq, const void *summary, size_t len)
{
    void **c = ctx;
    struct worker *w = c[0];
    uint64_t published = *(uint64_t *)c[1];
    struct hu_summary *s = c[2];
    (void)last_seq;
    if (hu_summary_decode(s, summary, len) != HU_OK) {
        fprintf(stderr, "huella worker: a stored summary is corrupt; skipped\n");
        return 0;
    }
    /* not confirmed on the summary stream yet: publish it again */
    *(int *)c[3] = restore_summary(w, s, s->last_seq > published);
    return *(int *)c[3] != HU_OK;
}

struct remote_ctx {
    struct worker *w;
    struct hu_summary *s;
    int rc;
    uint64_t n;
};

static int restore_remote_msg(void *ctx, const struct hu_tp_msg *m)
{
    struct remote_ctx *rc = ctx;
    rc->n++;
    if (hu_summary_decode(rc->s, m->data, m->len) != HU_OK)
        return 0;
    rc->rc = restore_summary(rc->w, rc->s, 0);
    if (!rc->rc)
        rc->rc = hu_wstore_put_account(rc->w->store, rc->s->shard, rc->s->id, rc->s->id_len, rc->s->last_seq,
                                       m->data, m->len);
    return rc->rc != HU_OK;
}

static void apply_marker(struct shard *s, const struct hu_marker *m)
{
    s->c = m->c;
    s->n_rel = m->n_rel;
    memcpy(s->rel, m->rel, m->n_rel * sizeof *s->rel);
}

/* Restore shard k's state (local store if at least as new as the summary
 * stream's marker, else the summary stream) and open its cursor. */
static int acquire(struct worker *w, unsigned k)
{
    struct shard *s = &w->sh[k];
    memset(&s->c, 0, sizeof s->c);
    s->c.first_ts = INT64_MAX;
    s->c.last_ts = INT64_MIN;
    s->n_rel = 0;
    if (!s->rel && !(s->rel = hu_calloc(HU_MAX_RELEASES, sizeof *s->rel)))
        return HU_ENOMEM;
    struct hu_marker *m = hu_calloc(1, sizeof *m);
    struct hu_summary *sum = hu_malloc(sizeof *sum);
    char *lm = NULL, *rm = NULL;
    size_t llen = 0, rlen = 0;
    uint64_t lseq = 0, lpub = 0, rseq = 0;
    int rc = (!m || !sum) ? HU_ENOMEM : HU_OK;
    int have_local = 0, have_remote = 0;
    if (!rc) {
        int r = hu_wstore_get_shard(w->store, k, &lseq, &lpub, &lm, &llen);
        have_local = r == HU_OK;
        if (r != HU_OK && r != HU_ENOENT)
            rc = r;
    }
    char subj[64];
    snprintf(subj, sizeof subj, "huella.summary.%u.ckpt", k);
    if (!rc) {
        uint64_t mseq;
        int r = hu_tp_stream_last(w->tp, HU_CLUSTER_SUMMARY, subj, &rm, &rlen, &mseq);
        if (r == HU_OK && hu_marker_decode(m, rm, rlen) == HU_OK) {
            have_remote = 1;
            rseq = m->seq;
        } else if (r != HU_OK && r != HU_ENOENT) {
            rc = r;
        }
    }
    if (!rc && have_local && (!have_remote || lseq >= rseq)) {
        int irc = HU_OK;
        void *c[4] = { w, &lpub, sum, &irc };
        int n = hu_wstore_scan_shard(w->store, k, restore_local_row, c);
        rc = n < 0 ? n : irc;
        if (!rc && llen && hu_marker_decode(m, lm, llen) == HU_OK)
            apply_marker(s, m);
        s->applied = s->ckpt = lseq;
        s->published = lpub;
        if (!w->o->quiet)
            fprintf(stderr, "huella worker %s: shard %u restored from %s (%d accounts, position %llu)\n", w->id, k,
                    w->o->db, n, (unsigned long long)lseq);
    } else if (!rc && have_remote) {
        /* someone else owned the shard since: the summary stream is newer */
        rc = hu_wstore_begin(w->store);
        if (!rc)
            rc = hu_wstore_drop_shard(w->store, k);
        struct hu_tp_consumer *c = NULL;
        char filter[64];
        snprintf(filter, sizeof filter, "huella.summary.%u.a.>", k);
        struct hu_tp_consumer_cfg cc = { .stream = HU_CLUSTER_SUMMARY, .filter = filter, .last_per_subject = 1 };
        if (!rc)
            rc = hu_tp_consumer_open(w->tp, &cc, &c);
        struct remote_ctx rx = { w, sum, HU_OK, 0 };
        uint64_t pending = 1;
        while (!rc && pending) {
            int n = hu_tp_fetch(c, 1000, 500, restore_remote_msg, &rx);
            if (n < 0)
                rc = n;
            else if (rx.rc)
                rc = rx.rc;
            else if (n == 0)
                break;
            pending = (uint64_t)n;   /* keep pulling until a pull comes back empty */
        }
        hu_tp_consumer_close(c);
        if (!rc)
            rc = hu_wstore_put_shard(w->store, k, rseq, rm, rlen);
        if (!rc)
            rc = hu_wstore_set_published(w->store, k, rseq);
        if (!rc)
            rc = hu_wstore_commit(w->store);
        else
            hu_wstore_rollback(w->store);
        if (!rc) {
            apply_marker(s, m);
            s->applied = s->ckpt = s->published = rseq;
        }
        if (!w->o->quiet)
            fprintf(stderr, "huella worker %s: shard %u restored from the summary stream (%llu accounts, position %llu)\n",
                    w->id, k, (unsigned long long)rx.n, (unsigned long long)rseq);
    } else if (!rc) {
        s->applied = s->ckpt = s->published = 0;
    }
    hu_free(lm);
    hu_free(rm);
    hu_free(m);
    hu_free(sum);
    if (!rc)
        rc = open_cursor(w, s);
    if (!rc)
        s->owned = 1;
    return rc;
}

/* Stop reading shard k.  Its profiles stay in memory but are never read
 * again: taking the shard back restores (overwrites) them. */
static void release(struct worker *w, unsigned k)
{
    struct shard *s = &w->sh[k];
    hu_tp_consumer_close(s->cons);
    s->cons = NULL;
    s->owned = 0;
}

static void lease_key(unsigned k, char *buf, size_t cap) { snprintf(buf, cap, "shard.%u", k); }

/* What a worker's heartbeat says about it (worker.<id> in the lease bucket). */
struct peer {
    char id[64];
    unsigned owned;
    uint8_t allowed[HU_CLUSTER_MAX_SHARDS / 8];
};

struct peers {
    struct worker *w;
    struct peer v[64];
    size_t n;
};

static int collect_peer(void *ctx, const char *key, const char *data, size_t len, uint64_t rev)
{
    struct peers *ps = ctx;
    (void)rev;
    if (ps->n == sizeof ps->v / sizeof ps->v[0] || len > 4000)
        return 0;
    char buf[4096];
    memcpy(buf, data, len);
    buf[len] = 0;
    struct peer *p = &ps->v[ps->n];
    snprintf(p->id, sizeof p->id, "%s", key + 7);
    const char *o = strstr(buf, "\"owned\":");
    p->owned = o ? (unsigned)strtoul(o + 8, NULL, 10) : 0;
    const char *a = strstr(buf, "\"allowed\":\"");
    char list[2048] = "all";
    if (a) {
        a += 11;
        const char *e = strchr(a, '"');
        if (e && (size_t)(e - a) < sizeof list) {
            memcpy(list, a, (size_t)(e - a));
            list[e - a] = 0;
        }
    }
    if (hu_cluster_parse_shards(list, ps->w->n_shards, p->allowed) != HU_OK)
        memset(p->allowed, 0, sizeof p->allowed);
    ps->n++;
    return 0;
}

static unsigned n_owned(const struct worker *w)
{
    unsigned n = 0;
    for (unsigned k = 0; k < w->n_shards; k++)
        n += w->sh[k].owned;
    return n;
}

static void heartbeat(struct worker *w)
{
    char key[96], buf[4096];
    uint64_t ev = 0, dups = 0, redel = 0, rej = 0;
    size_t n = 0;
    int off = 0;
    off += snprintf(buf + off, sizeof buf - (size_t)off, "{\"id\":\"%s\",\"allowed\":\"%s\",\"owned\":%u,\"shards\":[",
                    w->id, w->o->shards ? w->o->shards : "all", n_owned(w));
    for (unsigned k = 0; k < w->n_shards; k++) {
        struct shard *s = &w->sh[k];
        ev += s->events; dups += s->dups; redel += s->redelivered; rej += s->rejected;
        if (s->owned && off < (int)sizeof buf - 64)
            off += snprintf(buf + off, sizeof buf - (size_t)off, "%s%u", n++ ? "," : "", k);
    }
    if (off < (int)sizeof buf - 400)
        snprintf(buf + off, sizeof buf - (size_t)off,
                 "],\"events\":%llu,\"duplicates_skipped\":%llu,\"redelivered\":%llu,\"rejected\":%llu,"
                 "\"checkpoints\":%llu,\"accounts\":%zu,\"max_accounts\":%zu,\"evicted\":%llu,"
                 "\"refused\":%llu,"
                 "\"ts\":%lld}",
                 (unsigned long long)ev, (unsigned long long)dups, (unsigned long long)redel, (unsigned long long)rej,
                 (unsigned long long)w->checkpoints, hu_profile_table_count(hu_observer_table(w->obs)),
                 w->o->max_accounts, (unsigned long long)w->evicted, (unsigned long long)w->refused,
                 (long long)hu_wall_ms());
    snprintf(key, sizeof key, "worker.%.63s", w->id);
    if (hu_tp_kv_put(w->leases, key, buf, strlen(buf), NULL)) {}   /* best effort */
}

/* Take the lease of shard k (or adopt it from a previous life of this
 * worker id) and restore the shard.  HU_OK if it is ours now. */
static int take(struct worker *w, unsigned k)
{
    char key[32];
    lease_key(k, key, sizeof key);
    uint64_t rev = 0;
    int rc = hu_tp_kv_create(w->leases, key, w->id, strlen(w->id), &rev);
    if (rc == HU_EEXIST) {
        /* ours from a previous life of this worker id (killed, restarted)? */
        char *v = NULL;
        size_t len = 0;
        uint64_t r0 = 0;
        if (hu_tp_kv_get(w->leases, key, &v, &len, &r0) == HU_OK && len == strlen(w->id) && !memcmp(v, w->id, len))
            rc = hu_tp_kv_update(w->leases, key, w->id, len, r0, &rev);
        hu_free(v);
    }
    if (rc != HU_OK)
        return rc;
    w->sh[k].lease_rev = rev;
    rc = acquire(w, k);
    if (rc) {
        fprintf(stderr, "huella worker %s: cannot take shard %u: %s\n", w->id, k,
                rc == HU_EIO ? hu_tp_error(w->tp) : hu_status_str(rc));
        release(w, k);
        if (hu_tp_kv_delete(w->leases, key)) {}   /* best effort */
    }
    return rc;
}

/* Renew every lease we hold; a lease found expired or taken is given up
 * (its new owner restores the shard from the summary stream).  Returns
 * the shards still owned. */
static unsigned renew(struct worker *w)
{
    char key[32];
    unsigned owned = 0;
    for (unsigned k = 0; k < w->n_shards; k++) {
        struct shard *s = &w->sh[k];
        if (!s->owned)
            continue;
        lease_key(k, key, sizeof key);
        uint64_t rev;
        int rc = hu_tp_kv_update(w->leases, key, w->id, strlen(w->id), s->lease_rev, &rev);
        if (rc == HU_OK) {
            s->lease_rev = rev;
            owned++;
        } else if (rc == HU_EEXIST || rc == HU_ENOENT) {
            fprintf(stderr, "huella worker %s: lost the lease of shard %u (%s)\n", w->id, k, hu_tp_error(w->tp));
            release(w, k);
        } else {
            owned++;              /* the log did not answer: keep reading, retry next round */
        }
    }
    return owned;
}

/* Renew what we own; give a shard back when we hold more than the fair
 * share ceil(N / live workers) and a live worker below it may own that
 * shard; take free shards up to the fair share, and a shard that stayed
 * free for two rounds whatever our share (nobody else may own it).  The
 * give-back rule needs an underloaded taker, so lists that do not
 * overlap never flap. */
static int lease_round(struct worker *w)
{
    char key[32];
    heartbeat(w);
    struct peers *ps = hu_calloc(1, sizeof *ps);
    if (!ps)
        return HU_ENOMEM;
    ps->w = w;
    if (hu_tp_kv_scan(w->leases, "worker.*", collect_peer, ps) < 0)
        ps->n = 0;
    unsigned live = ps->n ? (unsigned)ps->n : 1;
    unsigned fair = (w->n_shards + live - 1) / live, owned = renew(w);
    uint8_t released[HU_CLUSTER_MAX_SHARDS / 8] = { 0 };
    for (unsigned k = w->n_shards; k-- > 0 && owned > fair;) {
        struct shard *s = &w->sh[k];
        if (!s->owned || s->applied != s->published || s->unacked)
            continue;
        struct peer *taker = NULL;
        for (size_t i = 0; i < ps->n && !taker; i++)
            if (strcmp(ps->v[i].id, w->id) && ps->v[i].owned < fair
                && ((ps->v[i].allowed[k / 8] >> (k % 8)) & 1))
                taker = &ps->v[i];
        if (!taker)
            continue;
        release(w, k);
        lease_key(k, key, sizeof key);
        if (hu_tp_kv_delete(w->leases, key)) {}   /* best effort: else it expires */
        released[k / 8] |= (uint8_t)(1u << (k % 8));
        taker->owned++;
        owned--;
        if (!w->o->quiet)
            fprintf(stderr, "huella worker %s: gave shard %u back for %s (fair share %u of %u workers)\n", w->id, k,
                    taker->id, fair, live);
    }
    for (unsigned k = 0; k < w->n_shards && !stop_flag; k++) {
        struct shard *s = &w->sh[k];
        if (s->owned || !allowed(w, k) || ((released[k / 8] >> (k % 8)) & 1))
            continue;
        if (owned >= fair) {
            /* above our share: only a shard nobody took for two rounds */
            char *v = NULL;
            size_t len = 0;
            lease_key(k, key, sizeof key);
            int g = hu_tp_kv_get(w->leases, key, &v, &len, NULL);
            hu_free(v);
            s->free_rounds = g == HU_ENOENT ? s->free_rounds + 1 : 0;
            if (s->free_rounds < 3)
                continue;
        }
        if (take(w, k) == HU_OK) {
            s->free_rounds = 0;
            owned = renew(w);     /* taking a shard can take seconds */
        }
    }
    hu_free(ps);
    return HU_OK;
}

/* ---- main loop ------------------------------------------------------------------------------ */

int hu_worker_run(const struct hu_worker_opts *o)
{
    struct worker W, *w = &W;
    memset(w, 0, sizeof W);
    w->o = o;
    hu_buf_init(&w->enc, (size_t)1 << 20);
    if (o->id)
        snprintf(w->id, sizeof w->id, "%s", o->id);
    else {
        char host[40] = "worker";
        gethostname(host, sizeof host - 1);
        snprintf(w->id, sizeof w->id, "%s-%ld", host, (long)getpid());
    }
    for (char *p = w->id; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
            *p = '_';
    int exit_rc = 1;
    char err[512] = "";
    int rc = hu_tp_connect(o->urls, &w->tp, err, sizeof err);
    if (rc) {
        fprintf(stderr, "huella worker: %s\n", err);
        return 1;
    }
    rc = hu_cluster_ensure_streams(w->tp);
    if (!rc)
        rc = hu_cluster_shards(w->tp, HU_CLUSTER_DEFAULT_SHARDS, &w->n_shards);
    if (!rc)
        rc = hu_tp_kv_open(w->tp, HU_CLUSTER_KV_LEASES, HU_CLUSTER_LEASE_MS, HU_CLUSTER_REPLICAS, &w->leases);
    if (rc) {
        fprintf(stderr, "huella worker: cluster setup failed: %s\n", hu_tp_error(w->tp));
        goto out;
    }
    if (hu_cluster_parse_shards(o->shards ? o->shards : "all", w->n_shards, w->allowed) != HU_OK) {
        fprintf(stderr, "huella worker: --shards %s: not a list of shards below %u (e.g. 0-3,8)\n",
                o->shards ? o->shards : "", w->n_shards);
        exit_rc = 2;
        goto out;
    }
    if (hu_wstore_open(o->db, &w->store, err, sizeof err) != HU_OK) {
        fprintf(stderr, "huella worker: %s\n", err);
        exit_rc = 2;
        goto out;
    }
    struct hu_observer_config oc = { .features = o->features };
    if (hu_observer_create(&oc, &w->obs, err, sizeof err) != HU_OK
        || hu_line_parser_create(&w->lp, NULL) != HU_OK) {
        fprintf(stderr, "huella worker: %s\n", err[0] ? err : "out of memory");
        goto out;
    }
    /* --max-accounts: analyze's bound and eviction policy (profile_table.h),
     * per worker */
    hu_profile_table_set_max(hu_observer_table(w->obs), o->max_accounts);
    w->sh = hu_calloc(w->n_shards, sizeof *w->sh);
    if (!w->sh)
        goto out;
    for (unsigned k = 0; k < w->n_shards; k++)
        w->sh[k].k = k;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    int batch = o->batch > 0 ? o->batch : 1000;
    int ckpt_ms = o->checkpoint_ms > 0 ? o->checkpoint_ms : 500;
    int64_t t_lease = 0, t_ckpt = hu_mono_ms(), t_busy = hu_mono_ms();
    if (!o->quiet)
        fprintf(stderr, "huella worker %s: %u shards in the cluster, store %s\n", w->id, w->n_shards, o->db);
    rc = HU_OK;
    while (!stop_flag) {
        int64_t t = hu_mono_ms();
        if (t - t_lease >= HU_CLUSTER_RENEW_MS) {
            (void)checkpoint(w);
            lease_round(w);
            t_lease = hu_mono_ms();
        }
        unsigned n_owned = 0;
        uint64_t got = 0;
        for (unsigned k = 0; k < w->n_shards && !stop_flag; k++) {
            struct shard *s = &w->sh[k];
            if (!s->owned)
                continue;
            n_owned++;
            if (!s->cons && open_cursor(w, s) != HU_OK)
                continue;
            struct fetch_ctx fc = { w, s, 0, HU_OK };
            /* the shortest wait the transport allows: a shard with
             * messages answers at once, an empty one costs this */
            int n = hu_tp_fetch(s->cons, batch, HU_TP_FETCH_MIN_MS, on_msg, &fc);
            if (fc.rc == HU_ENOMEM) {
                fprintf(stderr, "huella worker: out of memory\n");
                rc = HU_ENOMEM;
                break;
            }
            if (n < 0 || fc.gap) {
                /* the cursor broke (a server died, a delivery was lost):
                 * checkpoint what we have, restart the cursor in order */
                (void)checkpoint(w);
                s->reopens++;
                if (open_cursor(w, s) != HU_OK)
                    hu_tp_consumer_close(s->cons), s->cons = NULL;
                continue;
            }
            got += (uint64_t)n;
        }
        if (rc)
            break;
        if (got)
            t_busy = hu_mono_ms();
        if (w->since_ckpt >= (uint64_t)batch * 8 || hu_mono_ms() - t_ckpt >= ckpt_ms) {
            (void)checkpoint(w);
            t_ckpt = hu_mono_ms();
        }
        if (!n_owned)
            usleep(100 * 1000);
        else if (!got)
            usleep(20 * 1000);    /* every shard is drained: do not spin */
        if (o->idle_exit_ms > 0 && hu_mono_ms() - t_busy > o->idle_exit_ms && !w->n_dirty)
            break;
    }
    if (!rc) {
        rc = checkpoint(w);
        exit_rc = rc ? 1 : 0;
    }
    if (!o->quiet)
        fprintf(stderr, "huella worker %s: stopped after %llu events, %llu checkpoints\n", w->id,
                (unsigned long long)w->events_total, (unsigned long long)w->checkpoints);
    /* hand the shards back at once rather than after the lease expires */
    for (unsigned k = 0; w->sh && k < w->n_shards; k++)
        if (w->sh[k].owned && w->sh[k].applied == w->sh[k].published && !w->sh[k].unacked) {
            char key[32];
            lease_key(k, key, sizeof key);
            release(w, k);
            if (hu_tp_kv_delete(w->leases, key)) {}   /* best effort */
        }
    if (w->leases) {
        char key[96];
        snprintf(key, sizeof key, "worker.%.63s", w->id);
        if (hu_tp_kv_delete(w->leases, key)) {}   /* best effort */
    }
out:
    for (unsigned k = 0; w->sh && k < w->n_shards; k++) {
        hu_tp_consumer_close(w->sh[k].cons);
        hu_free(w->sh[k].rel);
    }
    hu_free(w->sh);
    hu_free(w->meta);
    hu_free(w->dirty);
    for (size_t j = 0; j < w->n_tombs; j++)
        hu_free(w->tombs[j].id);
    hu_free(w->tombs);
    hu_line_parser_destroy(w->lp);
    hu_observer_destroy(w->obs);
    hu_wstore_close(w->store);
    hu_tp_kv_close(w->leases);
    hu_tp_close(w->tp);
    hu_buf_fini(&w->enc);
    return exit_rc;
}
