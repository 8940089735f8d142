/*
 * engine.c -- journal, worker, snapshot, overrides; see engine.h for the
 * threading model and why decide never waits on linkage.
 *
 * Correctness of the snapshot swap (the RCU-style argument).  A snapshot is
 * immutable once published.  Readers take `view` (a writer-preferring
 * rwlock) for reading, look up, copy what they need into the caller's
 * struct and release it; they never keep a pointer into the snapshot after
 * releasing.  The worker builds the next snapshot without any lock, takes
 * `view` for writing only to swap the pointer, and frees the old snapshot
 * after releasing the lock: at that point no reader can hold it, since
 * every reader that saw it has released its read lock before the write
 * lock was granted.  The policy and the override tables are swapped the
 * same way.  The read lock is held for a hash lookup and a policy decision
 * (well under a microsecond), never across I/O.
 *
 * Long readers (the JSON of an account, of the campaigns, of the lists:
 * O(campaign size) or O(entries) of formatting) must not hold the lock:
 * with a writer-preferring lock, a publish waiting behind them would make
 * every decision wait behind the publish.  They take a reference
 * (`refs`, incremented under the read lock) and format without the lock;
 * the swap drops the published reference, and whoever drops the last one
 * frees.  So a decision waits at most for a pointer swap, whatever the
 * graph size, the number of campaigns or the length of the lists.
 *
 * Background work is bounded per turn: the worker applies the journal in
 * slices of `slice` lines (4,096), then checks for a relink or a
 * checkpoint.  Linkage and campaigns (the analysis's finish) run as a job
 * of bounded steps (relink_step_ms each, analysis.h) between those
 * slices, so events keep being applied while a large graph is linked; the
 * snapshot is published when the job ends.  No decision ever waits for
 * either: decisions read the published snapshot.
 *
 * Durability of events: a line is acknowledged (202) only after
 * hu_store_journal_append() returned, i.e. after its transaction committed
 * (store.h explains FULL vs NORMAL).  The worker applies lines strictly in
 * seq order, so `applied_seq` is a watermark: every line at or below it is
 * in the analysis, none above.
 */
#include "serve/engine.h"
#include "serve/backend.h"
#include "features/features.h"
#include "fprint/fprint.h"
#include "core/clock.h"
#include "core/alloc.h"
#include "core/hash.h"
#include "core/log.h"

#include <json-c/json.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- clocks -------------------------------------------------------------------- */

int64_t hu_engine_now_ms(void)
{
    return hu_wall_ms();
}

static void fmt_time(int64_t ms, char *buf, size_t cap)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (ms < 0 || !gmtime_r(&t, &tm) || tm.tm_year > 8000) {
        snprintf(buf, cap, "1970-01-01T00:00:00.000Z");
        return;
    }
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
    snprintf(buf, cap, "%s", tmp);
}

/* ---- sign-up tracker: decayed counts of recent sign-ups per shared thing --------- */

/* Half-life of a sign-up in the counts: a day.  "Recently" in the issue;
 * farms register batches within hours, honest sharing (a campus network,
 * a family card) accrues over months. */
#define SIGNUP_HALF_LIFE_MS (24.0 * 3600 * 1000)
#define SIGNUP_PROBE 16

enum { SK_PAYMENT = 0, SK_IP, SK_DOMAIN, SK_COUNT };
static const char *const sk_names[SK_COUNT] = { "payment_fp", "ip", "email_domain" };

struct signup_slot {
    uint64_t hash;          /* 0 empty */
    double count;           /* decayed to t_ms */
    int64_t t_ms;
};

struct signups {
    pthread_mutex_t lock;
    struct signup_slot *slots[SK_COUNT];   /* HU_SERVE_SIGNUP_SLOTS each */
    int dirty;                             /* changed since the last checkpoint */
};

static double decay(double count, int64_t from, int64_t to)
{
    if (to <= from)
        return count;
    return count * exp2(-(double)(to - from) / SIGNUP_HALF_LIFE_MS);
}

/* Count of kind k for hash h at time now (0 if unknown); optionally add one
 * sign-up at `now` first. Caller holds the lock. */
static double signup_touch(struct signups *t, int k, uint64_t h, int64_t now, int add)
{
    const size_t mask = HU_SERVE_SIGNUP_SLOTS - 1;
    struct signup_slot *tab = t->slots[k];
    if (!h)
        h = 1;
    size_t s = h & mask, weakest = s;
    double weakest_c = INFINITY;
    for (unsigned i = 0; i < SIGNUP_PROBE; i++, s = (s + 1) & mask) {
        struct signup_slot *e = &tab[s];
        if (e->hash == h) {
            if (add) {
                if (now >= e->t_ms) {
                    e->count = decay(e->count, e->t_ms, now) + 1.0;
                    e->t_ms = now;
                } else {
                    e->count += decay(1.0, now, e->t_ms);
                }
            }
            return decay(e->count, e->t_ms, now);
        }
        if (!e->hash) {
            weakest = s;
            weakest_c = -1;
            break;
        }
        double c = decay(e->count, e->t_ms, now);
        if (c < weakest_c) {
            weakest_c = c;
            weakest = s;
        }
    }
    if (!add)
        return 0;
    tab[weakest] = (struct signup_slot){ h, 1.0, now };   /* evicts the weakest */
    return 1.0;
}

/* ---- the decision snapshot -------------------------------------------------------- */

struct snap_account {
    uint64_t hash;
    char *id;
    uint32_t id_len;
    uint32_t campaign;          /* index + 1 into campaigns; 0 none */
    double score;
    uint8_t action, would;      /* as the analysis decided (for the record) */
    uint8_t program, verified;
    uint8_t bound;              /* serve --known bound it to a known campaign */
    uint64_t requests;
    char *reasons;              /* "code=value;..." */
};

/* A binding to a known campaign shows in the reasons as
 * "known_campaign=<id>" (score/explain.c); read once per snapshot, so
 * that a decision never scans the string. */
static uint8_t reasons_bound(const char *reasons)
{
    return strstr(reasons, "known_campaign=") != NULL;
}

struct snap_campaign {
    char id[24];
    double score;
    uint32_t n_members;
    char *json;
    size_t json_len;
};

struct snapshot {
    atomic_int refs;            /* 1 while published, +1 per long reader */
    uint64_t seq;               /* journal seq covered */
    int64_t built_mono_ms;
    struct snap_account *acc;
    size_t n_acc;
    uint32_t *slots;            /* index + 1 */
    size_t mask;
    struct snap_campaign *camp;
    size_t n_camp;
};

static void snapshot_free(struct snapshot *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_acc; i++) {
        hu_free(s->acc[i].id);
        hu_free(s->acc[i].reasons);
    }
    for (size_t i = 0; i < s->n_camp; i++)
        hu_free(s->camp[i].json);
    hu_free(s->acc);
    hu_free(s->camp);
    hu_free(s->slots);
    hu_free(s);
}

static int snapshot_index(struct snapshot *s)
{
    size_t cap = 16;
    while (cap < s->n_acc * 2 + 2)
        cap *= 2;
    s->slots = hu_calloc(cap, sizeof *s->slots);
    if (!s->slots)
        return HU_ENOMEM;
    s->mask = cap - 1;
    for (size_t i = 0; i < s->n_acc; i++) {
        size_t k = s->acc[i].hash & s->mask;
        while (s->slots[k])
            k = (k + 1) & s->mask;
        s->slots[k] = (uint32_t)i + 1;
    }
    return HU_OK;
}

static const struct snap_account *snapshot_find(const struct snapshot *s, const char *id,
                                                size_t len)
{
    if (!s || !s->slots)
        return NULL;
    uint64_t h = hu_hash(id, len);
    size_t k = h & s->mask;
    while (s->slots[k]) {
        const struct snap_account *a = &s->acc[s->slots[k] - 1];
        if (a->hash == h && a->id_len == len && !memcmp(a->id, id, len))
            return a;
        k = (k + 1) & s->mask;
    }
    return NULL;
}

static const struct snap_campaign *snapshot_campaign(const struct snapshot *s, const char *id)
{
    for (size_t i = 0; s && i < s->n_camp; i++)
        if (!strcmp(s->camp[i].id, id))
            return &s->camp[i];
    return NULL;
}

/* Long readers (JSON of accounts, campaigns, lists) take a reference and
 * drop the lock at once, so a publish never waits behind them, and hence
 * no decision waits behind a publish that waits behind them. */
static void snap_put(struct snapshot *s)
{
    if (s && atomic_fetch_sub(&s->refs, 1) == 1)
        snapshot_free(s);
}

/* ---- overrides and runtime allowlist ---------------------------------------------- */

struct override {
    uint64_t hash;
    char *id;
    int action;                 /* enum hu_action */
    char *actor, *reason;
    int64_t ts_ms;
};

struct otable {
    atomic_int refs;            /* 1 while published, +1 per long reader */
    struct override *e;
    size_t n;
    uint32_t *slots;
    size_t mask;
};

static void otable_free(struct otable *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++) {
        hu_free(t->e[i].id);
        hu_free(t->e[i].actor);
        hu_free(t->e[i].reason);
    }
    hu_free(t->e);
    hu_free(t->slots);
    hu_free(t);
}

static const struct override *otable_find(const struct otable *t, const char *id, size_t len)
{
    if (!t || !t->slots)
        return NULL;
    uint64_t h = hu_hash(id, len);
    size_t k = h & t->mask;
    while (t->slots[k]) {
        const struct override *o = &t->e[t->slots[k] - 1];
        if (o->hash == h && strlen(o->id) == len && !memcmp(o->id, id, len))
            return o;
        k = (k + 1) & t->mask;
    }
    return NULL;
}

static void otable_put(struct otable *t)
{
    if (t && atomic_fetch_sub(&t->refs, 1) == 1)
        otable_free(t);
}

/* A copy of `old` with `id` set to (action, actor, reason) or removed
 * (action < 0).  The table is small and changes rarely: rebuilt whole. */
static struct otable *otable_with(const struct otable *old, const char *id, int action,
                                  const char *actor, const char *reason, int64_t ts)
{
    struct otable *t = hu_calloc(1, sizeof *t);
    if (!t)
        return NULL;
    atomic_init(&t->refs, 1);
    size_t n_old = old ? old->n : 0;
    t->e = hu_calloc(n_old + 1, sizeof *t->e);
    if (!t->e)
        goto fail;
    for (size_t i = 0; i < n_old; i++) {
        const struct override *o = &old->e[i];
        if (!strcmp(o->id, id))
            continue;
        struct override *c = &t->e[t->n];
        c->hash = o->hash;
        c->action = o->action;
        c->ts_ms = o->ts_ms;
        c->id = hu_strdup(o->id);
        c->actor = hu_strdup(o->actor);
        c->reason = hu_strdup(o->reason);
        t->n++;
        if (!c->id || !c->actor || !c->reason)
            goto fail;
    }
    if (action >= 0) {
        struct override *c = &t->e[t->n++];
        c->hash = hu_hash(id, strlen(id));
        c->action = action;
        c->ts_ms = ts;
        c->id = hu_strdup(id);
        c->actor = hu_strdup(actor);
        c->reason = hu_strdup(reason);
        if (!c->id || !c->actor || !c->reason)
            goto fail;
    }
    size_t cap = 16;
    while (cap < t->n * 2 + 2)
        cap *= 2;
    t->slots = hu_calloc(cap, sizeof *t->slots);
    if (!t->slots)
        goto fail;
    t->mask = cap - 1;
    for (size_t i = 0; i < t->n; i++) {
        size_t k = t->e[i].hash & t->mask;
        while (t->slots[k])
            k = (k + 1) & t->mask;
        t->slots[k] = (uint32_t)i + 1;
    }
    return t;
fail:
    otable_free(t);
    return NULL;
}

/* ---- throttle windows ------------------------------------------------------------ */

#define TW_SLOTS 65536u
#define TW_STRIPES 64u

struct twin {
    uint64_t hash;
    int64_t window;             /* window number (seconds / window_s) */
    uint32_t used;
};

/* ---- decision records ------------------------------------------------------------ */

struct drec {
    char id[32];
    int64_t ts_ms;
    uint8_t action, would, source, over_quota, shadow;
    double score;
    uint64_t snapshot_seq, policy_digest;
    char campaign[24];
    char reasons[256];
    char account[HU_MAX_ID_BYTES + 1];
};

/* ---- the engine ------------------------------------------------------------------ */

struct hu_engine {
    struct hu_engine_opts o;
    char *policy_path;
    struct hu_fp_lib known;             /* --known; n == 0 and unused without it */
    struct hu_fp_key fp_key;
    int have_known;
    struct hu_store *store;

    pthread_rwlock_t view;              /* guards the three pointers below */
    struct snapshot *snap;
    struct hu_policy *policy;
    struct otable *overrides, *allow;
    pthread_mutex_t admin;              /* serialises admin changes + reloads */

    /* worker */
    pthread_t worker;
    int worker_started;
    pthread_mutex_t wake_lock;
    pthread_cond_t wake;
    atomic_int stop;
    struct hu__be *be;
    struct hu__be_parser *wparser;
    int need_relink;                    /* restored state is newer than the snapshot */
    int state_tainted;                  /* an event was lost to ENOMEM: no state checkpoints */
    uint64_t startup_target;            /* replay must reach this before publishing */
    int64_t last_ckpt_mono;
    uint64_t ckpt_seq;                  /* snapshot seq last checkpointed */
    uint64_t state_seq;                 /* analysis-state seq last checkpointed */

    struct signups signups;

    /* decision records (GET /v1/decisions/{id}): request threads append
     * to `rec_cur` under rec_lock (a copy, no I/O); the recorder thread
     * swaps it with `rec_spare` and writes the batch in one transaction */
    pthread_mutex_t rec_lock;
    pthread_cond_t rec_wake;
    struct drec *rec_cur, *rec_spare;
    size_t rec_n;
    struct drec *rec_flushing;          /* the batch being written (lookups see it) */
    size_t rec_flushing_n;
    pthread_t recorder;
    int recorder_started;

    /* the fingerprint library export (--fingerprints-out; libexport.c) */
    pthread_t exporter;
    int exporter_started;
    pthread_mutex_t xlock;              /* the exporter sleeps on xwake; stop wakes it */
    pthread_cond_t xwake;
    atomic_uint_fast64_t lib_exports_ok, lib_exports_failed, lib_export_seq, lib_export_us_last;
    atomic_int rec_stop;
    atomic_uint_fast64_t rec_written, rec_dropped;
    int64_t rec_age_pruned;             /* recorder only: last age prune (monotonic ms) */
    atomic_uint_fast64_t policy_digest;  /* of e->policy, kept with it */

    pthread_mutex_t tw_lock[TW_STRIPES];
    struct twin *tw;

    /* status, read by /healthz and /metrics */
    atomic_uint_fast64_t journal_seq, applied_seq, snapshot_seq;
    atomic_uint_fast64_t relinks, relink_us_last, relink_us_total, lost_events;
    atomic_uint_fast64_t relink_step_us_max;    /* longest step of the last linkage job */
    atomic_uint_fast64_t events_accepted, events_rejected, reloads_ok, reloads_refused;
    atomic_uint_fast64_t checkpoints, checkpoint_failures, decision_counter;
    hu_engine_lookup_fn ext_fn;     /* hu_engine_set_lookup (serve --nats); NULL: none */
    hu_engine_sink_fn sink_fn;      /* hu_engine_set_events_sink; NULL: the journal */
    hu_engine_sink_metrics_fn sink_metrics_fn;
    void *sink_ctx;
    void *ext_ctx;
    atomic_uint_fast64_t ckpt_state_seq, ckpt_us_last, restored_seq;
    atomic_uint_fast64_t n_accounts, n_campaigns;
    atomic_int replaying;
    atomic_int_fast64_t snap_built_mono;
};

/* per-thread parser for POST /v1/events (the backend parser is not
 * thread-safe; libmicrohttpd's pool threads each get one) */
static pthread_key_t parser_key;
static pthread_once_t parser_once = PTHREAD_ONCE_INIT;
static void parser_dtor(void *p) { hu__be_parser_destroy(p); }
static void parser_key_init(void) { (void)pthread_key_create(&parser_key, parser_dtor); }

static struct hu__be_parser *thread_parser(void)
{
    pthread_once(&parser_once, parser_key_init);
    struct hu__be_parser *p = pthread_getspecific(parser_key);
    if (!p) {
        if (hu__be_parser_create(&p) != HU_OK)
            return NULL;
        pthread_setspecific(parser_key, p);
    }
    return p;
}

/* ---- snapshot from results (worker) ----------------------------------------------- */

static char *format_reasons(const struct hu_account_result *r)
{
    char buf[256];
    size_t o = 0;
    buf[0] = 0;
    for (unsigned i = 0; i < r->n_reasons && o + 1 < sizeof buf; i++) {
        int n = snprintf(buf + o, sizeof buf - o, "%s%s=%.3g", i ? ";" : "", r->reasons[i].code,
                         r->reasons[i].value);
        if (n < 0 || (size_t)n >= sizeof buf - o) {
            buf[o] = 0;   /* drop a reason that does not fit whole */
            break;
        }
        o += (size_t)n;
    }
    return hu_strdup(buf);
}

static struct snapshot *snapshot_build(struct hu_engine *e, const struct hu_results *res,
                                       uint64_t seq)
{
    struct snapshot *s = hu_calloc(1, sizeof *s);
    struct hu_buf cj;
    if (s)
        atomic_init(&s->refs, 1);
    struct json_object *arr = NULL;
    hu_buf_init(&cj, (size_t)1 << 30);
    if (!s)
        return NULL;
    s->seq = seq;
    s->built_mono_ms = hu_mono_ms();
    s->acc = hu_calloc(res->n_accounts + 1, sizeof *s->acc);
    s->camp = hu_calloc(res->n_campaigns + 1, sizeof *s->camp);
    if (!s->acc || !s->camp)
        goto fail;
    for (size_t i = 0; i < res->n_accounts; i++) {
        const struct hu_account_result *r = &res->accounts[i];
        struct snap_account *a = &s->acc[s->n_acc];
        a->hash = hu_hash(r->account_id, r->account_id_len);
        a->id = hu_strndup(r->account_id, r->account_id_len);
        a->reasons = format_reasons(r);
        s->n_acc++;
        if (!a->id || !a->reasons)
            goto fail;
        a->id_len = r->account_id_len;
        a->campaign = r->campaign <= res->n_campaigns ? r->campaign : 0;
        a->score = r->score;
        a->action = (uint8_t)r->action;
        a->would = (uint8_t)r->would;
        a->requests = r->requests;
        a->bound = reasons_bound(a->reasons);
        int prog, ver;
        hu__be_account_facts(e->be, i, &prog, &ver);
        a->program = (uint8_t)prog;
        a->verified = (uint8_t)ver;
    }
    /* campaigns: render the array once, then keep each element's text */
    if (res->n_campaigns) {
        if (hu__be_campaigns_json(res, &cj) != HU_OK)
            goto fail;
        arr = json_tokener_parse(cj.ptr ? cj.ptr : "[]");
        if (!arr || !json_object_is_type(arr, json_type_array))
            goto fail;
    }
    for (size_t i = 0; i < res->n_campaigns; i++) {
        const struct hu_campaign_result *c = &res->campaigns[i];
        struct snap_campaign *sc = &s->camp[s->n_camp];
        snprintf(sc->id, sizeof sc->id, "%s", c->id);
        sc->score = c->score;
        sc->n_members = c->n_members;
        struct json_object *el = i < json_object_array_length(arr)
                                     ? json_object_array_get_idx(arr, i) : NULL;
        size_t len = 0;
        const char *txt = el ? json_object_to_json_string_length(el, JSON_C_TO_STRING_PLAIN, &len)
                             : "{}";
        if (!el)
            len = 2;
        sc->json = hu_strndup(txt, len);
        s->n_camp++;
        if (!sc->json)
            goto fail;
        sc->json_len = len;
    }
    if (arr)
        json_object_put(arr);
    hu_buf_fini(&cj);
    if (snapshot_index(s) != HU_OK) {
        snapshot_free(s);
        return NULL;
    }
    return s;
fail:
    if (arr)
        json_object_put(arr);
    hu_buf_fini(&cj);
    snapshot_free(s);
    return NULL;
}

static void publish(struct hu_engine *e, struct snapshot *s)
{
    pthread_rwlock_wrlock(&e->view);
    struct snapshot *old = e->snap;
    e->snap = s;
    pthread_rwlock_unlock(&e->view);
    snap_put(old);   /* freed now, or by the last long reader (see the essay above) */
    atomic_store(&e->snapshot_seq, s->seq);
    atomic_store(&e->n_accounts, s->n_acc);
    atomic_store(&e->n_campaigns, s->n_camp);
    atomic_store(&e->snap_built_mono, s->built_mono_ms);
}

/* ---- checkpoint (worker) ----------------------------------------------------------- */

/* "signups" blob: magic, then per kind the count of used slots and each
 * used slot as {index u32, pad u32, hash, count, t_ms}, so a restore puts
 * every entry back in its own slot (the probe sequence stays valid). */
#define SIGNUPS_MAGIC UINT64_C(0x3170757573616568)
struct signup_rec {
    uint32_t index, kind;
    struct signup_slot slot;
};

static int signups_put(struct hu_engine *e)
{
    pthread_mutex_lock(&e->signups.lock);
    if (!e->signups.dirty) {
        pthread_mutex_unlock(&e->signups.lock);
        return HU_OK;
    }
    size_t n = 0;
    for (int k = 0; k < SK_COUNT; k++)
        for (size_t i = 0; i < HU_SERVE_SIGNUP_SLOTS; i++)
            n += e->signups.slots[k][i].hash != 0;
    size_t len = sizeof(uint64_t) + n * sizeof(struct signup_rec);
    unsigned char *buf = hu_malloc(len);
    if (!buf) {
        pthread_mutex_unlock(&e->signups.lock);
        return HU_ENOMEM;
    }
    uint64_t magic = SIGNUPS_MAGIC;
    memcpy(buf, &magic, sizeof magic);
    struct signup_rec *r = (struct signup_rec *)(void *)(buf + sizeof magic);
    size_t j = 0;
    for (int k = 0; k < SK_COUNT; k++)
        for (size_t i = 0; i < HU_SERVE_SIGNUP_SLOTS; i++)
            if (e->signups.slots[k][i].hash) {
                struct signup_rec x = { (uint32_t)i, (uint32_t)k, e->signups.slots[k][i] };
                memcpy(&r[j++], &x, sizeof x);
            }
    pthread_mutex_unlock(&e->signups.lock);
    int rc = hu_store_checkpoint_blob(e->store, "signups", buf, len);
    hu_free(buf);
    return rc;
}

static int signups_restore(void *ctx, const char *name, const void *data, size_t len)
{
    struct hu_engine *e = ctx;
    if (strcmp(name, "signups") != 0)
        return 0;
    uint64_t magic = 0;
    if (len < sizeof magic || (len - sizeof magic) % sizeof(struct signup_rec))
        return 1;
    memcpy(&magic, data, sizeof magic);
    if (magic != SIGNUPS_MAGIC)
        return 1;
    const unsigned char *p = (const unsigned char *)data + sizeof magic;
    for (size_t j = 0; j < (len - sizeof magic) / sizeof(struct signup_rec); j++) {
        struct signup_rec x;
        memcpy(&x, p + j * sizeof x, sizeof x);
        if (x.kind < SK_COUNT && x.index < HU_SERVE_SIGNUP_SLOTS && x.slot.hash &&
            isfinite(x.slot.count))
            e->signups.slots[x.kind][x.index] = x.slot;
    }
    return 0;
}

/* One transaction: the snapshot (when a newer one was published), every
 * profile and dictionary entry that changed, the observer's counters, the
 * sign-up counts, and the journal position they cover.  The worker is the
 * only thread that applies events, so applied_seq is stable here and the
 * state written is exactly the state after that seq. */
static void checkpoint(struct hu_engine *e)
{
    /* the worker is the only writer of e->snap, so it may read it unlocked */
    struct snapshot *s = e->snap;
    uint64_t applied = atomic_load(&e->applied_seq);
    int snap_new = s && s->seq != e->ckpt_seq;
    int state_new = applied && applied != e->state_seq && !e->state_tainted;
    if (!snap_new && !state_new)
        return;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    uint64_t digest;
    pthread_rwlock_rdlock(&e->view);
    digest = hu_policy_digest(e->policy);
    pthread_rwlock_unlock(&e->view);
    struct hu_store_ckpt_head h = {
        .replace_snapshot = snap_new, .snapshot_seq = s ? s->seq : 0,
        .profile_seq = state_new ? applied : 0, .policy_digest = digest, .now_ms = hu_engine_now_ms(),
    };
    int rc = hu_store_checkpoint_start(e->store, &h);
    if (rc != HU_OK)
        goto fail;
    for (size_t i = 0; snap_new && i < s->n_acc; i++) {
        const struct snap_account *a = &s->acc[i];
        struct hu_store_account_row r = {
            a->id, a->id_len, a->score, a->action, a->would,
            a->campaign ? s->camp[a->campaign - 1].id : "", a->requests, a->reasons,
        };
        if (hu_store_checkpoint_account(e->store, &r) != HU_OK)
            goto abort;
    }
    for (size_t i = 0; snap_new && i < s->n_camp; i++) {
        const struct snap_campaign *c = &s->camp[i];
        struct hu_store_campaign_row r = { c->id, c->score, c->n_members, c->json, c->json_len };
        if (hu_store_checkpoint_campaign(e->store, &r) != HU_OK)
            goto abort;
    }
    if (state_new) {
        if (hu__be_checkpoint_put(e->be, e->store) != HU_OK || signups_put(e) != HU_OK)
            goto abort;
    }
    if (hu_store_checkpoint_commit(e->store) != HU_OK)
        goto fail;
    if (state_new) {
        hu__be_checkpoint_done(e->be);
        pthread_mutex_lock(&e->signups.lock);
        e->signups.dirty = 0;   /* only the worker sets it: nothing was lost in between */
        pthread_mutex_unlock(&e->signups.lock);
        e->state_seq = applied;
        atomic_store(&e->ckpt_state_seq, applied);
    }
    if (snap_new)
        e->ckpt_seq = s->seq;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    uint64_t us = (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000);
    atomic_store(&e->ckpt_us_last, us);
    atomic_fetch_add(&e->checkpoints, 1);
    uint64_t np = 0, nd = 0;
    hu__be_checkpoint_counts(e->be, &np, &nd);
    hu_debug("serve: checkpoint at seq %llu (snapshot %s, %llu profiles, %llu dictionary entries)"
             " in %llu us", (unsigned long long)applied, snap_new ? "replaced" : "kept",
             (unsigned long long)np, (unsigned long long)nd, (unsigned long long)us);
    return;
abort:
    hu_store_checkpoint_abort(e->store);
fail:
    atomic_fetch_add(&e->checkpoint_failures, 1);
    hu_warn("serve: checkpoint at seq %llu failed; the journal still has every event",
            (unsigned long long)applied);
}

/* ---- load the checkpoint (start-up) ----------------------------------------------- */

struct load_ctx {
    struct snapshot *s;
    size_t cap_acc, cap_camp;
    int failed;
};

static int load_account(void *ctx, const struct hu_store_account_row *r)
{
    struct load_ctx *l = ctx;
    if (hu_grow((void **)&l->s->acc, &l->cap_acc, l->s->n_acc + 1, sizeof *l->s->acc, 256) != HU_OK) {
        l->failed = 1;
        return 1;
    }
    struct snap_account *a = &l->s->acc[l->s->n_acc];
    memset(a, 0, sizeof *a);
    a->id = hu_strndup(r->account_id, r->account_id_len);
    a->reasons = hu_strdup(r->reasons);
    l->s->n_acc++;
    if (!a->id || !a->reasons) {
        l->failed = 1;
        return 1;
    }
    a->hash = hu_hash(r->account_id, r->account_id_len);
    a->id_len = (uint32_t)r->account_id_len;
    a->score = r->score;
    a->action = (uint8_t)(r->action >= 0 && r->action < HU_ACTION_COUNT ? r->action : 0);
    a->would = (uint8_t)(r->would >= 0 && r->would < HU_ACTION_COUNT ? r->would : 0);
    a->requests = r->requests;
    a->bound = reasons_bound(a->reasons);
    a->campaign = 0;   /* campaigns were loaded in the first pass */
    if (r->campaign[0]) {
        for (size_t i = 0; i < l->s->n_camp; i++)
            if (!strcmp(l->s->camp[i].id, r->campaign))
                a->campaign = (uint32_t)i + 1;
    }
    return 0;
}

static int load_campaign(void *ctx, const struct hu_store_campaign_row *r)
{
    struct load_ctx *l = ctx;
    if (hu_grow((void **)&l->s->camp, &l->cap_camp, l->s->n_camp + 1, sizeof *l->s->camp, 16) !=
        HU_OK) {
        l->failed = 1;
        return 1;
    }
    struct snap_campaign *c = &l->s->camp[l->s->n_camp];
    memset(c, 0, sizeof *c);
    snprintf(c->id, sizeof c->id, "%s", r->id);
    c->score = r->score;
    c->n_members = r->n_members;
    c->json = hu_strndup(r->json, r->json_len);
    c->json_len = r->json_len;
    l->s->n_camp++;
    if (!c->json) {
        l->failed = 1;
        return 1;
    }
    return 0;
}

/* Accounts refer to campaigns by id, so campaigns are loaded first: the
 * store delivers accounts first, hence two passes. */
static int load_checkpoint(struct hu_engine *e, char *errbuf, size_t errcap)
{
    struct load_ctx l = { .s = hu_calloc(1, sizeof(struct snapshot)) };
    if (!l.s)
        return HU_ENOMEM;
    atomic_init(&l.s->refs, 1);
    uint64_t seq = 0;
    int rc = hu_store_checkpoint_load(e->store, &seq, NULL, load_campaign, &l);
    if (rc == HU_OK && !l.failed)
        rc = hu_store_checkpoint_load(e->store, &seq, load_account, NULL, &l);
    if (rc == HU_OK && l.failed)
        rc = HU_ENOMEM;
    if (rc == HU_OK)
        rc = snapshot_index(l.s);
    if (rc != HU_OK) {
        snprintf(errbuf, errcap, "%s: cannot load the checkpoint: %s", e->o.db_path,
                 hu_status_str(rc));
        snapshot_free(l.s);
        return rc;
    }
    l.s->seq = seq;
    l.s->built_mono_ms = hu_mono_ms();
    e->ckpt_seq = seq;
    publish(e, l.s);
    return HU_OK;
}

struct list_ctx {
    struct otable *t;
    int failed;
};

static int load_list_entry(void *ctx, const char *id, const char *action, const char *actor,
                           const char *reason, int64_t ts)
{
    struct list_ctx *l = ctx;
    int a = hu_action_parse(action, strlen(action));
    if (a < 0)
        a = HU_ACTION_ALLOW;
    struct otable *n = otable_with(l->t, id, a, actor, reason, ts);
    if (!n) {
        l->failed = 1;
        return 1;
    }
    otable_free(l->t);
    l->t = n;
    return 0;
}

/* ---- worker ------------------------------------------------------------------------ */

static void note_account_event(struct hu_engine *e, const struct hu_event *ev)
{
    /* sign-up sharing counts, at the event's own time (program and
     * verification are read from the profile: hu__be_account_facts) */
    int64_t t = ev->ts_ms;
    const struct hu_span keys[SK_COUNT] = { ev->payment_fp, ev->ip, ev->email_domain };
    pthread_mutex_lock(&e->signups.lock);
    for (int k = 0; k < SK_COUNT; k++)
        if (keys[k].ptr && keys[k].len)
            (void)signup_touch(&e->signups, k, hu_hash(keys[k].ptr, keys[k].len), t, 1);
    e->signups.dirty = 1;
    pthread_mutex_unlock(&e->signups.lock);
}

static int apply_line(void *ctx, uint64_t seq, const char *line, size_t len)
{
    struct hu_engine *e = ctx;
    struct hu_event ev;
    const char *field;
    /* lines were validated before they were journaled; a line that fails
     * now (a parser change between versions) is skipped, never fatal */
    if (!line) {
        /* the row failed its checksum (store.h): never folded in, counted */
        atomic_fetch_add(&e->lost_events, 1);
    } else if (!hu__be_parse(e->wparser, line, len, &ev, &field)) {
        if (ev.kind == HU_EV_ACCOUNT)
            note_account_event(e, &ev);
        int orc = hu__be_observe(e->be, &ev);
        if (orc != HU_OK)
            atomic_fetch_add(&e->lost_events, 1);
        if (orc == HU_ENOMEM && !e->state_tainted) {
            /* a replay would keep this event: a state checkpoint must
             * never claim to cover it (the bound's deliberate refusals,
             * HU_EFULL, are what a replay would do too) */
            e->state_tainted = 1;
            hu_warn("serve: an event was lost to memory; analysis-state checkpoints stop until"
                    " a restart replays the journal from the last good one");
        }
    }
    atomic_store(&e->applied_seq, seq);
    return 0;
}

/* Publish the results of a linkage run that began at journal seq `seq`
 * (monotonic ms t0), and account for it. */
static void relink_publish(struct hu_engine *e, struct hu_results *res, uint64_t seq, int64_t t0_us)
{
    struct snapshot *s = snapshot_build(e, res, seq);
    hu_results_fini(res);
    if (!s) {
        hu_warn("serve: cannot build the decision snapshot (out of memory); keeping the previous one");
        return;
    }
    publish(e, s);
    uint64_t us = (uint64_t)(hu_mono_us() - t0_us);
    atomic_store(&e->relink_us_last, us);
    atomic_fetch_add(&e->relink_us_total, us);
    atomic_fetch_add(&e->relinks, 1);
    atomic_store(&e->relink_step_us_max, (uint64_t)(hu__be_finish_longest_step(e->be) * 1e6));
    hu_debug("serve: snapshot at seq %llu: %zu accounts, %zu campaigns in %lld ms",
             (unsigned long long)seq, s->n_acc, s->n_camp, (long long)(us / 1000));
}

/* A whole linkage run at once (the last one at shutdown). */
static void relink(struct hu_engine *e)
{
    int64_t t0 = hu_mono_us();
    struct hu_results res;
    memset(&res, 0, sizeof res);
    uint64_t seq = atomic_load(&e->applied_seq);
    if (hu__be_finish(e->be, &res) != HU_OK) {
        hu_results_fini(&res);
        hu_warn("serve: linkage run failed (out of memory); keeping the previous snapshot");
        return;
    }
    relink_publish(e, &res, seq, t0);
}

/* The running linkage job, between the worker's journal slices. */
struct relink_job {
    int running;
    uint64_t seq;               /* applied seq when it began */
    int64_t t0_us;
};

/* One bounded step of the job; 1 when it ended (published or failed). */
static int relink_step(struct hu_engine *e, struct relink_job *j)
{
    struct hu_results res;
    memset(&res, 0, sizeof res);
    int rc = hu__be_finish_step(e->be, (double)e->o.relink_step_ms / 1000.0, &res);
    if (rc == HU_EAGAIN)
        return 0;
    j->running = 0;
    if (rc != HU_OK) {
        hu_results_fini(&res);
        hu_warn("serve: linkage run failed (out of memory); keeping the previous snapshot");
        return 1;
    }
    relink_publish(e, &res, j->seq, j->t0_us);
    return 1;
}

static void *worker_main(void *arg)
{
    struct hu_engine *e = arg;
    int64_t last_relink = 0;
    int dirty = e->need_relink;
    struct relink_job job = { 0 };
    e->last_ckpt_mono = hu_mono_ms();
    while (!atomic_load(&e->stop)) {
        uint64_t applied = atomic_load(&e->applied_seq);
        int n = hu_store_journal_read(e->store, applied, e->o.slice, apply_line, e);
        if (n < 0) {
            /* storage trouble: back off, /healthz shows the store's state */
            struct timespec ts = { 0, 100 * 1000000L };
            nanosleep(&ts, NULL);
            continue;
        }
        if (n > 0)
            dirty = 1;
        int replaying = atomic_load(&e->applied_seq) < e->startup_target;
        atomic_store(&e->replaying, replaying);
        int64_t now = hu_mono_ms();
        if (!job.running && dirty && !replaying && now - last_relink >= (int64_t)e->o.relink_ms) {
            if (hu__be_finish_begin(e->be) == HU_OK) {
                job.running = 1;
                job.seq = atomic_load(&e->applied_seq);
                job.t0_us = hu_mono_us();
            } else {
                hu_warn("serve: linkage run cannot start (out of memory); keeping the previous snapshot");
            }
            dirty = 0;   /* events applied from now on set it again */
        }
        if (job.running && relink_step(e, &job))
            last_relink = hu_mono_ms();
        if (!replaying && hu_mono_ms() - e->last_ckpt_mono >= (int64_t)e->o.checkpoint_ms) {
            checkpoint(e);
            e->last_ckpt_mono = hu_mono_ms();
        }
        if ((unsigned)n < e->o.slice && !job.running) {
            /* caught up: sleep until new events or the next relink is due */
            pthread_mutex_lock(&e->wake_lock);
            if (!atomic_load(&e->stop) &&
                atomic_load(&e->journal_seq) <= atomic_load(&e->applied_seq)) {
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                long ms = dirty ? (long)e->o.relink_ms / 4 + 1 : 200;
                ts.tv_nsec += ms * 1000000L;
                ts.tv_sec += ts.tv_nsec / 1000000000L;
                ts.tv_nsec %= 1000000000L;
                pthread_cond_timedwait(&e->wake, &e->wake_lock, &ts);
            }
            pthread_mutex_unlock(&e->wake_lock);
        }
    }
    /* shutting down: fold in what is left, publish, checkpoint */
    for (;;) {
        int n = hu_store_journal_read(e->store, atomic_load(&e->applied_seq), e->o.slice,
                                      apply_line, e);
        if (n <= 0)
            break;
        dirty = 1;
    }
    if (dirty)
        relink(e);
    checkpoint(e);
    return NULL;
}

/* ---- the fingerprint library export (exporter thread) ------------------------------ */

/* Every --fingerprints-every, if the journal grew since the last export,
 * write the library of everything journaled (libexport.c).  It reads the
 * journal on its own, so the worker's ingest and relinks go on. */
static int exporter_cancel(void *ctx)
{
    return atomic_load(&((struct hu_engine *)ctx)->stop);
}

static void *exporter_main(void *arg)
{
    struct hu_engine *e = arg;
    struct hu_features_config fx = {
        .asn_files = e->o.asn_files, .n_asn_files = e->o.n_asn_files, .geo_file = e->o.geo_file,
        .cidr_files = e->o.cidr_files, .n_cidr_files = e->o.n_cidr_files,
        .model_file = e->o.model_file,
    };
    struct hu__be_export x = {
        .path = e->o.fingerprints_out, .features = &fx, .policy_path = e->policy_path,
        .known = e->have_known ? &e->known : NULL, .key = &e->fp_key, .threads = 1,
        .cancel = exporter_cancel, .cancel_ctx = e,
    };
    uint64_t done = 0;
    while (!atomic_load(&e->stop)) {
        pthread_mutex_lock(&e->xlock);
        if (!atomic_load(&e->stop)) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += (time_t)(e->o.fingerprints_every_ms / 1000);
            ts.tv_nsec += (long)(e->o.fingerprints_every_ms % 1000) * 1000000L;
            ts.tv_sec += ts.tv_nsec / 1000000000L;
            ts.tv_nsec %= 1000000000L;
            while (!atomic_load(&e->stop) && pthread_cond_timedwait(&e->xwake, &e->xlock, &ts) != ETIMEDOUT)
                ;
        }
        pthread_mutex_unlock(&e->xlock);
        if (atomic_load(&e->stop))
            break;
        uint64_t upto = atomic_load(&e->journal_seq);
        if (upto == done)
            continue;
        int64_t t0 = hu_mono_ms();
        struct hu__be_export_stats xs;
        char err[256];
        int rc = hu__be_export_library(&x, e->store, upto, &xs, err, sizeof err);
        if (rc == HU_OK) {
            done = upto;
            atomic_store(&e->lib_export_seq, upto);
            atomic_store(&e->lib_export_us_last, (uint64_t)(hu_mono_ms() - t0) * 1000u);
            atomic_fetch_add(&e->lib_exports_ok, 1);
            hu_info("serve: fingerprint library %s: %zu campaigns from journal seq 1..%llu, threshold %.2f nats%s, "
                    "in %lld ms", e->o.fingerprints_out, xs.campaigns, (unsigned long long)upto, xs.threshold,
                    xs.calibrated ? " (calibrated)" : "", (long long)(hu_mono_ms() - t0));
        } else if (!atomic_load(&e->stop)) {
            atomic_fetch_add(&e->lib_exports_failed, 1);
            hu_warn("serve: fingerprint library %s not written: %s; the previous one stays",
                    e->o.fingerprints_out, err);
        }
    }
    return NULL;
}

/* ---- decision records (recorder thread) --------------------------------------------- */

static int reasons_array(struct hu_buf *b, const char *reasons);

static void record_decision(struct hu_engine *e, const struct hu_served_decision *d,
                            const char *account, int over, uint64_t snap_seq)
{
    pthread_mutex_lock(&e->rec_lock);
    if (!e->rec_cur || e->rec_n >= HU_SERVE_DECISION_QUEUE || atomic_load(&e->rec_stop)) {
        pthread_mutex_unlock(&e->rec_lock);
        atomic_fetch_add(&e->rec_dropped, 1);
        return;
    }
    struct drec *r = &e->rec_cur[e->rec_n++];
    memcpy(r->id, d->id, sizeof r->id);
    r->ts_ms = hu_engine_now_ms();
    r->action = (uint8_t)d->action;
    r->would = (uint8_t)d->would;
    r->source = (uint8_t)d->source;
    r->over_quota = (uint8_t)(over != 0);
    r->shadow = (uint8_t)(d->shadow != 0);
    r->score = d->score;
    r->snapshot_seq = snap_seq;
    r->policy_digest = atomic_load(&e->policy_digest);
    memcpy(r->campaign, d->campaign, sizeof r->campaign);
    memcpy(r->reasons, d->reasons, sizeof r->reasons);
    snprintf(r->account, sizeof r->account, "%s", account);
    if (e->rec_n == HU_SERVE_DECISION_QUEUE / 2)
        pthread_cond_signal(&e->rec_wake);
    pthread_mutex_unlock(&e->rec_lock);
}

static void flush_records(struct hu_engine *e)
{
    pthread_mutex_lock(&e->rec_lock);
    struct drec *batch = e->rec_cur;
    size_t n = e->rec_n;
    e->rec_cur = e->rec_spare;
    e->rec_spare = NULL;
    e->rec_n = 0;
    e->rec_flushing = batch;
    e->rec_flushing_n = n;
    pthread_mutex_unlock(&e->rec_lock);
    if (n) {
        struct hu_store_decision *v = hu_malloc(n * sizeof *v);
        int rc = HU_ENOMEM;
        if (v) {
            for (size_t i = 0; i < n; i++)
                v[i] = (struct hu_store_decision){
                    batch[i].id, batch[i].ts_ms, batch[i].account, batch[i].action,
                    batch[i].would, batch[i].source, batch[i].over_quota, batch[i].shadow,
                    batch[i].score, batch[i].campaign, batch[i].reasons,
                    batch[i].snapshot_seq, batch[i].policy_digest,
                };
            /* the age prune looks at the oldest rows: once a minute is enough */
            int64_t keep_after = 0, now = hu_mono_ms();
            if (now - e->rec_age_pruned >= 60000) {
                keep_after = hu_engine_now_ms() - (int64_t)HU_SERVE_DECISIONS_DAYS * 86400000;
                e->rec_age_pruned = now;
            }
            rc = hu_store_full(e->store) ? HU_EIO
                 : hu_store_decisions_put(e->store, v, n, e->o.decisions_keep, keep_after);
            hu_free(v);
        }
        atomic_fetch_add(rc == HU_OK ? &e->rec_written : &e->rec_dropped, n);
    }
    pthread_mutex_lock(&e->rec_lock);
    e->rec_flushing = NULL;
    e->rec_flushing_n = 0;
    e->rec_spare = batch;
    pthread_mutex_unlock(&e->rec_lock);
}

static void *recorder_main(void *arg)
{
    struct hu_engine *e = arg;
    while (!atomic_load(&e->rec_stop)) {
        pthread_mutex_lock(&e->rec_lock);
        if (!atomic_load(&e->rec_stop) && e->rec_n < HU_SERVE_DECISION_QUEUE / 2) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 100 * 1000000L;
            ts.tv_sec += ts.tv_nsec / 1000000000L;
            ts.tv_nsec %= 1000000000L;
            pthread_cond_timedwait(&e->rec_wake, &e->rec_lock, &ts);
        }
        pthread_mutex_unlock(&e->rec_lock);
        flush_records(e);
    }
    flush_records(e);   /* what came in before the stop */
    return NULL;
}

struct dlookup {
    struct hu_buf *b;
    int rc;
};

static int drec_json(struct hu_buf *b, const struct hu_store_decision *d)
{
    char t[64];
    fmt_time(d->ts_ms, t, sizeof t);
    int act = d->action >= 0 && d->action < HU_ACTION_COUNT ? d->action : 0;
    int would = d->would >= 0 && d->would < HU_ACTION_COUNT ? d->would : 0;
    int src = d->source >= 0 && d->source < HU_SOURCE_COUNT ? d->source : 0;
    int rc = hu_buf_printf(b, "{\"decision_id\":\"%s\",\"at\":\"%s\",\"account_id\":\"", d->id, t);
    if (rc == HU_OK)
        rc = hu_buf_add_json_str(b, d->account_id, strlen(d->account_id));
    if (rc == HU_OK)
        rc = hu_buf_printf(b, "\",\"action\":\"%s\",\"would\":\"%s\",\"source\":\"%s\","
                           "\"over_quota\":%s,\"shadow\":%s,\"score\":%.4f,\"campaign\":",
                           hu_action_name((enum hu_action)act), hu_action_name((enum hu_action)would),
                           hu_decision_source_name((enum hu_decision_source)src),
                           d->over_quota ? "true" : "false", d->shadow ? "true" : "false", d->score);
    if (rc == HU_OK && d->campaign[0]) {
        rc = hu_buf_addc(b, '"');
        if (rc == HU_OK)
            rc = hu_buf_add_json_str(b, d->campaign, strlen(d->campaign));
        if (rc == HU_OK)
            rc = hu_buf_addc(b, '"');
    } else if (rc == HU_OK) {
        rc = hu_buf_adds(b, "null");
    }
    if (rc == HU_OK)
        rc = hu_buf_adds(b, ",\"reasons\":");
    if (rc == HU_OK)
        rc = reasons_array(b, d->reasons);
    if (rc == HU_OK)
        rc = hu_buf_printf(b, ",\"snapshot_seq\":%llu,\"policy_digest\":\"%016llx\"}\n",
                           (unsigned long long)d->snapshot_seq,
                           (unsigned long long)d->policy_digest);
    return rc;
}

static void dlookup_cb(void *ctx, const struct hu_store_decision *d)
{
    struct dlookup *l = ctx;
    l->rc = drec_json(l->b, d);
}

static int drec_find(const struct drec *v, size_t n, const char *id, struct hu_store_decision *out)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v[i].id, id)) {
            *out = (struct hu_store_decision){
                v[i].id, v[i].ts_ms, v[i].account, v[i].action, v[i].would, v[i].source,
                v[i].over_quota, v[i].shadow, v[i].score, v[i].campaign, v[i].reasons,
                v[i].snapshot_seq, v[i].policy_digest,
            };
            return 1;
        }
    return 0;
}

int hu_engine_decision_json(struct hu_engine *e, const char *id, struct hu_buf *out)
{
    if (!e || !id || !out)
        return HU_EINVAL;
    size_t len = strlen(id);
    if (len < 3 || len >= sizeof(((struct drec *)0)->id) || id[0] != 'd' || id[1] != '-')
        return HU_ENOENT;
    for (size_t i = 2; i < len; i++)
        if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f') || id[i] == '-'))
            return HU_ENOENT;
    /* not written yet: the queue, or the batch being written */
    struct hu_store_decision d;
    int rc = HU_ENOENT;
    pthread_mutex_lock(&e->rec_lock);
    if (drec_find(e->rec_cur, e->rec_cur ? e->rec_n : 0, id, &d) ||
        drec_find(e->rec_flushing, e->rec_flushing ? e->rec_flushing_n : 0, id, &d))
        rc = drec_json(out, &d);
    pthread_mutex_unlock(&e->rec_lock);
    if (rc != HU_ENOENT)
        return rc;
    struct dlookup l = { out, HU_OK };
    rc = hu_store_decision_get(e->store, id, dlookup_cb, &l);
    return rc == HU_OK ? l.rc : rc;
}

/* ---- create / destroy ----------------------------------------------------------------- */

int hu_engine_create(const struct hu_engine_opts *o, struct hu_engine **out, char *errbuf,
                     size_t errcap)
{
    char tmp[8];
    if (!errbuf) {
        errbuf = tmp;
        errcap = sizeof tmp;
    }
    if (!o || !o->db_path || !out)
        return HU_EINVAL;
    *out = NULL;
    struct hu_engine *e = hu_calloc(1, sizeof *e);
    if (!e)
        return HU_ENOMEM;
    e->o = *o;
    if (!e->o.relink_ms)
        e->o.relink_ms = 1000;
    if (!e->o.relink_step_ms)
        e->o.relink_step_ms = HU_SERVE_RELINK_STEP_MS;
    if (!e->o.fingerprints_every_ms)
        e->o.fingerprints_every_ms = HU_SERVE_FINGERPRINTS_EVERY_MS;
    if (!e->o.checkpoint_ms)
        e->o.checkpoint_ms = 10000;
    if (!e->o.slice)
        e->o.slice = 4096;
    if (!e->o.throttle_window_s)
        e->o.throttle_window_s = 60;
    pthread_rwlockattr_t ra;
    pthread_rwlockattr_init(&ra);
    pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&e->view, &ra);
    pthread_rwlockattr_destroy(&ra);
    pthread_mutex_init(&e->admin, NULL);
    pthread_mutex_init(&e->wake_lock, NULL);
    pthread_cond_init(&e->wake, NULL);
    pthread_mutex_init(&e->xlock, NULL);
    pthread_cond_init(&e->xwake, NULL);
    pthread_mutex_init(&e->signups.lock, NULL);
    pthread_mutex_init(&e->rec_lock, NULL);
    pthread_cond_init(&e->rec_wake, NULL);
    for (unsigned i = 0; i < TW_STRIPES; i++)
        pthread_mutex_init(&e->tw_lock[i], NULL);
    if (!e->o.decisions_keep)
        e->o.decisions_keep = HU_SERVE_DECISIONS_KEEP;
    int rc = HU_ENOMEM;
    e->tw = hu_calloc(TW_SLOTS, sizeof *e->tw);
    if (!e->tw)
        goto fail;
    for (int k = 0; k < SK_COUNT; k++) {
        e->signups.slots[k] = hu_calloc(HU_SERVE_SIGNUP_SLOTS, sizeof(struct signup_slot));
        if (!e->signups.slots[k])
            goto fail;
    }
    if (o->policy_path) {
        e->policy_path = hu_strdup(o->policy_path);
        if (!e->policy_path)
            goto fail;
        rc = hu_policy_load(o->policy_path, &e->policy, errbuf, errcap);
        if (rc != HU_OK)
            goto fail;
    } else {
        e->policy = hu_policy_default();
        rc = HU_ENOMEM;
        if (!e->policy)
            goto fail;
    }
    atomic_store(&e->policy_digest, hu_policy_digest(e->policy));
    struct hu_features_config fx = {
        .asn_files = o->asn_files, .n_asn_files = o->n_asn_files, .geo_file = o->geo_file,
        .cidr_files = o->cidr_files, .n_cidr_files = o->n_cidr_files,
        .model_file = o->model_file,
    };
    hu_fp_lib_init(&e->known);
    hu_fp_key_default(&e->fp_key);
    if (o->fp_key_path) {
        rc = hu_fp_key_load(o->fp_key_path, &e->fp_key, errbuf, errcap);
        if (rc != HU_OK)
            goto fail;
    }
    if (o->fingerprints_out) {
        /* refuse a path the exporter could never write, now, not an hour later */
        char probe[4096];
        int n = snprintf(probe, sizeof probe, "%s.probe", o->fingerprints_out);
        FILE *f = n > 0 && (size_t)n < sizeof probe ? fopen(probe, "wb") : NULL;
        if (!f) {
            snprintf(errbuf, errcap, "--fingerprints-out %s cannot be written: %s", o->fingerprints_out,
                     strerror(errno));
            rc = HU_EINVAL;
            goto fail;
        }
        fclose(f);
        remove(probe);
    }
    if (o->known_path) {
        const char *why = NULL;
        rc = hu_fp_lib_load(&e->known, o->known_path, &why);
        if (rc != HU_OK) {
            snprintf(errbuf, errcap, "fingerprint library %s refused: %s", o->known_path,
                     why ? why : hu_status_str(rc));
            goto fail;
        }
        if (e->known.key_id != hu_fp_key_id(&e->fp_key)) {
            snprintf(errbuf, errcap, "fingerprint library %s was made with another key (--fingerprint-key)",
                     o->known_path);
            rc = HU_EINVAL;
            goto fail;
        }
        e->have_known = 1;
    }
    rc = hu__be_create(&fx, e->have_known ? &e->known : NULL, e->have_known ? &e->fp_key : NULL,
                       &e->be, errbuf, errcap);
    if (rc != HU_OK)
        goto fail;
    struct hu_store_opts so = { .sync_normal = o->sync_normal, .no_check = o->no_store_check };
    rc = hu_store_open(o->db_path, &so, &e->store, errbuf, errcap);
    if (rc != HU_OK)
        goto fail;
    rc = load_checkpoint(e, errbuf, errcap);
    if (rc != HU_OK)
        goto fail;
    /* the analysis state: only the journal after it is replayed */
    uint64_t state = 0;
    char why[256] = "";
    rc = hu__be_restore(e->be, e->store, &state, signups_restore, e, why, sizeof why);
    if (rc != HU_OK) {
        snprintf(errbuf, errcap, "%s: cannot load the checkpoint: %s: %s", o->db_path,
                 hu_status_str(rc), why);
        goto fail;
    }
    uint64_t last = hu_store_journal_last(e->store);
    if (state > last) {
        snprintf(errbuf, errcap, "%s: the checkpoint covers journal seq %llu but the journal ends"
                 " at %llu", o->db_path, (unsigned long long)state, (unsigned long long)last);
        rc = HU_ECORRUPT;
        goto fail;
    }
    atomic_store(&e->applied_seq, state);
    atomic_store(&e->restored_seq, state);
    atomic_store(&e->ckpt_state_seq, state);
    e->state_seq = state;
    e->need_relink = state && (!e->snap || e->snap->seq != state);
    struct list_ctx lo = { NULL, 0 }, la = { NULL, 0 };
    rc = hu_store_list_load(e->store, HU_STORE_OVERRIDE, load_list_entry, &lo);
    if (rc == HU_OK)
        rc = hu_store_list_load(e->store, HU_STORE_ALLOWLIST, load_list_entry, &la);
    if (rc == HU_OK && (lo.failed || la.failed))
        rc = HU_ENOMEM;
    e->overrides = lo.t;
    e->allow = la.t;
    if (rc != HU_OK) {
        snprintf(errbuf, errcap, "%s: cannot load overrides: %s", o->db_path, hu_status_str(rc));
        goto fail;
    }
    rc = hu__be_parser_create(&e->wparser);
    if (rc != HU_OK)
        goto fail;
    e->startup_target = hu_store_journal_last(e->store);
    atomic_store(&e->journal_seq, e->startup_target);
    hu_info("serve: checkpoint: snapshot at journal seq %llu, analysis state at seq %llu;"
            " replaying seq %llu..%llu", (unsigned long long)(e->snap ? e->snap->seq : 0),
            (unsigned long long)state, (unsigned long long)state + 1,
            (unsigned long long)e->startup_target);
    atomic_store(&e->replaying, e->startup_target > state);
    *out = e;
    return HU_OK;
fail:
    hu_engine_destroy(e);
    return rc;
}

int hu_engine_start(struct hu_engine *e)
{
    if (!e || e->worker_started)
        return HU_EINVAL;
    /* decision records: two queues, allocated here so that an engine
     * that never starts (tests, refused start-up) does not pay for them;
     * without them records are dropped and counted, decisions go on */
    pthread_mutex_lock(&e->rec_lock);
    e->rec_cur = hu_malloc(HU_SERVE_DECISION_QUEUE * sizeof *e->rec_cur);
    e->rec_spare = hu_malloc(HU_SERVE_DECISION_QUEUE * sizeof *e->rec_spare);
    if (!e->rec_cur || !e->rec_spare) {
        hu_free(e->rec_cur);
        hu_free(e->rec_spare);
        e->rec_cur = e->rec_spare = NULL;
    }
    pthread_mutex_unlock(&e->rec_lock);
    if (e->rec_cur && pthread_create(&e->recorder, NULL, recorder_main, e) == 0)
        e->recorder_started = 1;
    if (pthread_create(&e->worker, NULL, worker_main, e) != 0)
        return HU_EINTERNAL;
    e->worker_started = 1;
    if (e->o.fingerprints_out) {
        if (pthread_create(&e->exporter, NULL, exporter_main, e) != 0)
            return HU_EINTERNAL;
        e->exporter_started = 1;
    }
    return HU_OK;
}

void hu_engine_destroy(struct hu_engine *e)
{
    if (!e)
        return;
    if (e->worker_started) {
        atomic_store(&e->stop, 1);
        pthread_mutex_lock(&e->wake_lock);
        pthread_cond_broadcast(&e->wake);
        pthread_mutex_unlock(&e->wake_lock);
        pthread_join(e->worker, NULL);
        if (e->exporter_started) {
            pthread_mutex_lock(&e->xlock);
            pthread_cond_broadcast(&e->xwake);
            pthread_mutex_unlock(&e->xlock);
            pthread_join(e->exporter, NULL);
        }
    }
    if (e->recorder_started) {
        atomic_store(&e->rec_stop, 1);
        pthread_mutex_lock(&e->rec_lock);
        pthread_cond_broadcast(&e->rec_wake);
        pthread_mutex_unlock(&e->rec_lock);
        pthread_join(e->recorder, NULL);
    }
    hu_free(e->rec_cur);
    hu_free(e->rec_spare);
    hu__be_parser_destroy(e->wparser);
    hu__be_destroy(e->be);
    hu_fp_lib_fini(&e->known);
    hu_store_close(e->store);
    snapshot_free(e->snap);
    hu_policy_destroy(e->policy);
    otable_free(e->overrides);
    otable_free(e->allow);
    for (int k = 0; k < SK_COUNT; k++)
        hu_free(e->signups.slots[k]);
    hu_free(e->tw);
    hu_free(e->policy_path);
    pthread_rwlock_destroy(&e->view);
    pthread_mutex_destroy(&e->admin);
    pthread_mutex_destroy(&e->wake_lock);
    pthread_cond_destroy(&e->wake);
    pthread_cond_destroy(&e->xwake);
    pthread_mutex_destroy(&e->xlock);
    pthread_mutex_destroy(&e->signups.lock);
    pthread_mutex_destroy(&e->rec_lock);
    pthread_cond_destroy(&e->rec_wake);
    for (unsigned i = 0; i < TW_STRIPES; i++)
        pthread_mutex_destroy(&e->tw_lock[i]);
    hu_free(e);
}

/* ---- events ------------------------------------------------------------------------ */

int hu_engine_post_events(struct hu_engine *e, const char *body, size_t len,
                          struct hu_events_result *out)
{
    if (!e || !out || (!body && len))
        return HU_EINVAL;
    memset(out, 0, sizeof *out);
    struct hu__be_parser *p = thread_parser();
    if (!p)
        return HU_ENOMEM;
    size_t cap = 0, n = 0;
    const char **lines = NULL;
    size_t *lens = NULL, cap2 = 0;
    uint64_t *nos = NULL;
    size_t cap3 = 0;
    size_t pos = 0;
    int rc = HU_OK;
    while (pos < len) {
        const char *nl = memchr(body + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - body) : len;
        const char *line = body + pos;
        size_t llen = end - pos;
        pos = end + 1;
        out->lines++;
        while (llen && line[llen - 1] == '\r')
            llen--;
        size_t k = 0;
        while (k < llen && (line[k] == ' ' || line[k] == '\t'))
            k++;
        if (k == llen) {
            out->blank++;
            continue;
        }
        struct hu_event ev;
        const char *field = NULL;
        const char *why = hu__be_parse(p, line, llen, &ev, &field);
        if (why) {
            out->rejected++;
            if (out->n_errors < HU_SERVE_MAX_LINE_ERRORS)
                out->errors[out->n_errors++] = (struct hu_line_error){ out->lines, why, field };
            continue;
        }
        if (hu_grow((void **)&lines, &cap, n + 1, sizeof *lines, 64) != HU_OK ||
            hu_grow((void **)&lens, &cap2, n + 1, sizeof *lens, 64) != HU_OK ||
            (e->sink_fn && hu_grow((void **)&nos, &cap3, n + 1, sizeof *nos, 64) != HU_OK)) {
            rc = HU_ENOMEM;
            goto out;
        }
        lines[n] = line;
        lens[n] = llen;
        if (nos)
            nos[n] = out->lines;
        n++;
    }
    if (n && e->sink_fn) {
        /* the cluster's event stream instead of the journal */
        rc = e->sink_fn(e->sink_ctx, body, len, lines, lens, nos, n);
        if (rc != HU_OK)
            goto out;
        out->accepted = n;
    } else if (n) {
        if (hu_store_degraded(e->store) || hu_store_full(e->store)) {
            rc = HU_EIO;   /* answered 503 at once; a full disk is retried after a second */
            goto out;
        }
        uint64_t last = 0;
        rc = hu_store_journal_append(e->store, lines, lens, n, hu_engine_now_ms(), &out->first_seq,
                                     &last);
        if (rc != HU_OK)
            goto out;
        out->last_seq = last;
        out->accepted = n;
        /* journal_seq only grows; appends may commit out of order between threads */
        uint64_t cur = atomic_load(&e->journal_seq);
        while (cur < last && !atomic_compare_exchange_weak(&e->journal_seq, &cur, last))
            ;
        pthread_mutex_lock(&e->wake_lock);
        pthread_cond_signal(&e->wake);
        pthread_mutex_unlock(&e->wake_lock);
    }
    atomic_fetch_add(&e->events_accepted, out->accepted);
    atomic_fetch_add(&e->events_rejected, out->rejected);
out:
    hu_free(lines);
    hu_free(lens);
    hu_free(nos);
    return rc;
}

/* ---- decisions ------------------------------------------------------------------------ */

/* Count one request of a throttled account in its fixed window.  Returns
 * 1 when the window's quota is used up.  Sets remaining/reset. */
static int throttle_take(struct hu_engine *e, uint64_t h, struct hu_served_decision *d)
{
    uint32_t w = e->o.throttle_window_s;
    int64_t now_s = hu_engine_now_ms() / 1000;
    int64_t win = now_s / w;
    d->quota = e->o.throttle_quota;
    d->window_s = w;
    d->reset_s = (uint32_t)(w - (uint32_t)(now_s % w));
    if (d->quota == 0) {
        d->remaining = 0;
        return 1;
    }
    size_t slot = h & (TW_SLOTS - 1);
    pthread_mutex_t *m = &e->tw_lock[slot % TW_STRIPES];
    pthread_mutex_lock(m);
    struct twin *t = &e->tw[slot];
    if (t->hash != h || t->window != win) {
        /* a colliding account takes the slot over: at worst it resets a
         * window early (more lenient), never blocks an innocent account */
        t->hash = h;
        t->window = win;
        t->used = 0;
    }
    int over = t->used >= d->quota;
    if (!over)
        t->used++;
    d->remaining = over ? 0 : d->quota - t->used;
    pthread_mutex_unlock(m);
    return over;
}

void hu_engine_set_lookup(struct hu_engine *e, hu_engine_lookup_fn fn, void *ctx)
{
    e->ext_fn = fn;
    e->ext_ctx = ctx;
}

void hu_engine_set_events_sink(struct hu_engine *e, hu_engine_sink_fn fn, hu_engine_sink_metrics_fn metrics_fn,
                               void *ctx)
{
    e->sink_fn = fn;
    e->sink_metrics_fn = metrics_fn;
    e->sink_ctx = ctx;
}

/* record: 1 for a request's decision (counts against a throttle quota,
 * recorded when it refuses or would refuse); 0 for a state lookup. */
static int decide_impl(struct hu_engine *e, const struct hu_decide_req *r,
                       struct hu_served_decision *d, int *over_quota, int record)
{
    if (!e || !r || !d || !over_quota)
        return HU_EINTERNAL;
    memset(d, 0, sizeof *d);
    *over_quota = 0;
    size_t alen = strlen(r->account_id);
    hu_decision_id_format(d->id, sizeof d->id, hu_engine_now_ms(),
                          atomic_fetch_add(&e->decision_counter, 1));
    pthread_rwlock_rdlock(&e->view);
    if (!e->policy) {
        pthread_rwlock_unlock(&e->view);
        return HU_EINTERNAL;
    }
    const struct snap_account *a = alen ? snapshot_find(e->snap, r->account_id, alen) : NULL;
    double ext_score = 0.0;
    int ext = !a && alen && e->ext_fn
              && e->ext_fn(e->ext_ctx, r->account_id, alen, &ext_score, d->campaign, sizeof d->campaign,
                           d->reasons, sizeof d->reasons);
    struct hu_decision_facts f = {
        .score = a ? a->score : ext ? ext_score : 0.0,
        .account_id = alen ? r->account_id : NULL, .account_id_len = alen,
        .org_id = r->org_id[0] ? r->org_id : NULL, .org_id_len = strlen(r->org_id),
        .program = a ? (enum hu_program)a->program : HU_PROGRAM_UNKNOWN,
        .verified_id = a ? a->verified : 0,
    };
    struct hu_decision pd;
    hu_policy_decide(e->policy, &f, &pd);
    d->known = a != NULL || ext;
    d->score = f.score;
    d->action = pd.action;
    d->would = pd.would;
    /* an account the fingerprint library bound to a known campaign (serve
     * --known) is refused at least as the binding decided, as `analyze
     * --known` does; the allowlist and analysts' overrides still win */
    if (a && !pd.allowlisted && a->bound && a->would > d->would) {
        d->would = a->would;
        if (!hu_policy_shadow(e->policy))
            d->action = a->would;
    }
    d->shadow = hu_policy_shadow(e->policy) && d->would != d->action;
    d->source = pd.allowlisted ? HU_SOURCE_ALLOWLIST : (a || ext) ? HU_SOURCE_POLICY : HU_SOURCE_UNKNOWN;
    if (a) {
        if (a->campaign && e->snap && a->campaign <= e->snap->n_camp)
            snprintf(d->campaign, sizeof d->campaign, "%s", e->snap->camp[a->campaign - 1].id);
        snprintf(d->reasons, sizeof d->reasons, "%s", a->reasons);
    }
    if (alen && otable_find(e->allow, r->account_id, alen)) {
        d->action = HU_ACTION_ALLOW;
        d->shadow = 0;
        d->source = HU_SOURCE_ALLOWLIST;
    }
    const struct override *ov = alen ? otable_find(e->overrides, r->account_id, alen) : NULL;
    if (ov) {
        /* an analyst's decision is enforced even in shadow mode */
        d->action = (enum hu_action)ov->action;
        d->shadow = 0;
        d->source = ov->action == HU_ACTION_ALLOW ? HU_SOURCE_UNBLOCK : HU_SOURCE_OVERRIDE;
    }
    uint64_t snap_seq = e->snap ? e->snap->seq : 0;
    pthread_rwlock_unlock(&e->view);
    if (d->action == HU_ACTION_THROTTLE && record)
        *over_quota = throttle_take(e, hu_hash(r->account_id, alen), d);
    if (record && (d->action != HU_ACTION_ALLOW || d->would != HU_ACTION_ALLOW))
        record_decision(e, d, r->account_id, *over_quota, snap_seq);
    return HU_OK;
}

int hu_engine_decide(struct hu_engine *e, const struct hu_decide_req *r,
                     struct hu_served_decision *d, int *over_quota)
{
    return decide_impl(e, r, d, over_quota, 1);
}

/* ---- sign-up ------------------------------------------------------------------------ */

static const char *jstr(struct json_object *o, const char *k, size_t *len, int *bad)
{
    struct json_object *v = NULL;
    *len = 0;
    if (!json_object_object_get_ex(o, k, &v) || !v)
        return NULL;
    if (!json_object_is_type(v, json_type_string)) {
        *bad = 1;
        return NULL;
    }
    *len = (size_t)json_object_get_string_len(v);
    return *len ? json_object_get_string(v) : NULL;
}

int hu_engine_signup(struct hu_engine *e, const char *body, size_t len, struct hu_buf *out,
                     const char **what)
{
    const char *unasked;        /* where *what goes when the caller did not ask */
    if (!what)
        what = &unasked;
    *what = "body";
    struct json_tokener *tok = json_tokener_new_ex((int)HU_MAX_JSON_DEPTH);
    if (!tok)
        return HU_ENOMEM;
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    struct json_object *o = json_tokener_parse_ex(tok, body, (int)len);
    int rc = HU_OK;
    if (!o || json_tokener_get_error(tok) != json_tokener_success ||
        !json_object_is_type(o, json_type_object)) {
        rc = HU_EPARSE;
        goto out;
    }
    int bad = 0;
    size_t l_prog, l_acct, lens[SK_COUNT];
    const char *prog = jstr(o, "program", &l_prog, &bad);
    if (!prog && !bad)
        prog = jstr(o, "type", &l_prog, &bad);
    const char *acct = jstr(o, "account_id", &l_acct, &bad);
    const char *keys[SK_COUNT];
    for (int k = 0; k < SK_COUNT; k++)
        keys[k] = jstr(o, sk_names[k], &lens[k], &bad);
    if (bad) {
        *what = "a field that must be a string";
        rc = HU_ETYPE;
        goto out;
    }
    if (acct && l_acct > HU_MAX_ID_BYTES) {
        *what = "account_id";
        rc = HU_ETOOBIG;
        goto out;
    }
    int program = prog ? hu_program_parse(prog, l_prog) : HU_PROGRAM_UNKNOWN;
    int64_t now = hu_engine_now_ms();
    double shared[SK_COUNT] = { 0 };
    pthread_mutex_lock(&e->signups.lock);
    for (int k = 0; k < SK_COUNT; k++)
        if (keys[k])
            shared[k] = signup_touch(&e->signups, k, hu_hash(keys[k], lens[k]), now, 0);
    pthread_mutex_unlock(&e->signups.lock);
    /* Risk: independent pieces of evidence combined as 1 - prod(1 - p).
     * A shared payment instrument is the strongest tell (one card, many
     * "students"); a shared address is weaker (campus NAT); a shared
     * e-mail domain is weak alone (a university) and only counts in bulk.
     * Farmed programs (education, research, startup) start higher because
     * their grants are what farms are after (shared/docs/EVENTS.md). */
    double p_prog = (program == HU_PROGRAM_EDUCATION || program == HU_PROGRAM_RESEARCH ||
                     program == HU_PROGRAM_STARTUP) ? 0.15 : 0.0;
    double p_pay = fmin(1.0, shared[SK_PAYMENT] / 3.0) * 0.9;
    double p_ip = fmin(1.0, shared[SK_IP] / 10.0) * 0.5;
    double p_dom = fmin(1.0, fmax(0.0, shared[SK_DOMAIN] - 20.0) / 200.0) * 0.3;
    double risk = 1.0 - (1.0 - p_prog) * (1.0 - p_pay) * (1.0 - p_ip) * (1.0 - p_dom);
    const char *verify = risk >= 0.6 ? "id" : risk >= 0.3 ? "phone" : "email";
    if (p_prog > 0 && risk >= 0.3)
        verify = "id";   /* a farmed program with any sharing: prove who you are */
    char id[32];
    hu_decision_id_format(id, sizeof id, now, atomic_fetch_add(&e->decision_counter, 1));
    rc = hu_buf_printf(out, "{\"decision_id\":\"%s\",\"risk\":%.4f,\"verification\":\"%s\","
                       "\"program\":\"%s\",\"shared\":{", id, risk, verify,
                       program ? hu_program_name((enum hu_program)program) : "unknown");
    for (int k = 0; k < SK_COUNT && rc == HU_OK; k++)
        rc = hu_buf_printf(out, "%s\"%s\":%.2f", k ? "," : "", sk_names[k], shared[k]);
    if (rc == HU_OK)
        rc = hu_buf_adds(out, "},\"reasons\":[");
    int first = 1;
    struct { const char *code; double p; } rs[] = {
        { "shared_payment", p_pay }, { "shared_ip", p_ip }, { "shared_email_domain", p_dom },
        { "farmed_program", p_prog },
    };
    for (size_t i = 0; i < sizeof rs / sizeof rs[0] && rc == HU_OK; i++) {
        if (rs[i].p <= 0)
            continue;
        rc = hu_buf_printf(out, "%s\"%s\"", first ? "" : ",", rs[i].code);
        first = 0;
    }
    if (rc == HU_OK)
        rc = hu_buf_adds(out, "]}\n");
    if (rc == HU_OK)
        hu_info("signup decision=%s program=%s risk=%.3f verification=%s", id,
                program ? hu_program_name((enum hu_program)program) : "unknown", risk, verify);
    *what = NULL;
out:
    if (o)
        json_object_put(o);
    json_tokener_free(tok);
    return rc;
}

/* ---- state as JSON ------------------------------------------------------------------ */

/* References to the published snapshot and tables (any pointer may be
 * NULL), taken under the read lock for the time of three increments. */
static void view_get(struct hu_engine *e, struct snapshot **snap, struct otable **ov,
                     struct otable **al)
{
    pthread_rwlock_rdlock(&e->view);
    if (snap) {
        *snap = e->snap;
        if (*snap)
            atomic_fetch_add(&(*snap)->refs, 1);
    }
    if (ov) {
        *ov = e->overrides;
        if (*ov)
            atomic_fetch_add(&(*ov)->refs, 1);
    }
    if (al) {
        *al = e->allow;
        if (*al)
            atomic_fetch_add(&(*al)->refs, 1);
    }
    pthread_rwlock_unlock(&e->view);
}

static void view_put(struct snapshot *snap, struct otable *ov, struct otable *al)
{
    snap_put(snap);
    otable_put(ov);
    otable_put(al);
}

static int reasons_array(struct hu_buf *b, const char *reasons)
{
    int rc = hu_buf_addc(b, '[');
    const char *p = reasons;
    int first = 1;
    while (rc == HU_OK && *p) {
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        size_t cl = eq ? (size_t)(eq - p) : len;
        rc = hu_buf_printf(b, "%s{\"code\":\"", first ? "" : ",");
        if (rc == HU_OK)
            rc = hu_buf_add_json_str(b, p, cl);
        if (rc == HU_OK)
            rc = hu_buf_printf(b, "\",\"value\":%s}", eq ? "" : "null");
        if (rc == HU_OK && eq) {
            /* value after '=': a number printed by %g; re-check it is one */
            char num[48];
            size_t vl = len - cl - 1 < sizeof num - 1 ? len - cl - 1 : sizeof num - 1;
            memcpy(num, eq + 1, vl);
            num[vl] = 0;
            char *e2 = NULL;
            double v = strtod(num, &e2);
            b->len--;   /* drop the closing brace, insert the value */
            if (e2 && *e2 == 0 && vl && isfinite(v)) {
                rc = hu_buf_printf(b, "%.6g}", v);
            } else {    /* a name, not a number: the known campaign of a binding */
                rc = hu_buf_addc(b, '"');
                if (rc == HU_OK)
                    rc = hu_buf_add_json_str(b, num, vl);
                if (rc == HU_OK)
                    rc = hu_buf_adds(b, "\"}");
            }
        }
        first = 0;
        p += len;
        if (*p == ';')
            p++;
    }
    if (rc == HU_OK)
        rc = hu_buf_addc(b, ']');
    return rc;
}

static int override_json(struct hu_buf *b, const struct override *o)
{
    int rc = hu_buf_printf(b, "{\"account_id\":\"");
    if (rc == HU_OK)
        rc = hu_buf_add_json_str(b, o->id, strlen(o->id));
    if (rc == HU_OK)
        rc = hu_buf_printf(b, "\",\"action\":\"%s\",\"actor\":\"", hu_action_name((enum hu_action)o->action));
    if (rc == HU_OK)
        rc = hu_buf_add_json_str(b, o->actor, strlen(o->actor));
    if (rc == HU_OK)
        rc = hu_buf_adds(b, "\",\"reason\":\"");
    if (rc == HU_OK)
        rc = hu_buf_add_json_str(b, o->reason, strlen(o->reason));
    if (rc == HU_OK) {
        char ts[64];
        fmt_time(o->ts_ms, ts, sizeof ts);
        rc = hu_buf_printf(b, "\",\"at\":\"%s\"}", ts);
    }
    return rc;
}

int hu_engine_account_json(struct hu_engine *e, const char *id, size_t len, struct hu_buf *out)
{
    struct hu_decide_req r;
    memset(&r, 0, sizeof r);
    if (len > HU_MAX_ID_BYTES)
        return HU_ETOOBIG;
    memcpy(r.account_id, id, len);
    struct hu_served_decision d;
    int over;
    int rc = decide_impl(e, &r, &d, &over, 0);   /* a lookup: no quota, no record */
    if (rc != HU_OK)
        return rc;
    rc = hu_buf_adds(out, "{\"account_id\":\"");
    if (rc == HU_OK)
        rc = hu_buf_add_json_str(out, id, len);
    struct snapshot *snap;
    struct otable *ovt, *alt;
    view_get(e, &snap, &ovt, &alt);
    const struct snap_account *a = snapshot_find(snap, id, len);
    if (rc == HU_OK)
        rc = hu_buf_printf(out, "\",\"known\":%s,\"action\":\"%s\",\"would\":\"%s\","
                           "\"source\":\"%s\",\"score\":%.4f,\"requests\":%llu,\"snapshot_seq\":%llu,"
                           "\"reasons\":",
                           a ? "true" : "false", hu_action_name(d.action), hu_action_name(d.would),
                           hu_decision_source_name(d.source), d.score,
                           (unsigned long long)(a ? a->requests : 0),
                           (unsigned long long)(snap ? snap->seq : 0));
    if (rc == HU_OK)
        rc = reasons_array(out, a ? a->reasons : "");
    if (rc == HU_OK) {
        const struct snap_campaign *c = a && a->campaign ? &snap->camp[a->campaign - 1] : NULL;
        if (c)
            rc = hu_buf_printf(out, ",\"campaign\":\"%s\",\"campaign_detail\":%.*s", c->id,
                               (int)c->json_len, c->json);
        else
            rc = hu_buf_adds(out, ",\"campaign\":null,\"campaign_detail\":null");
    }
    const struct override *ov = otable_find(ovt, id, len);
    if (rc == HU_OK)
        rc = hu_buf_adds(out, ",\"override\":");
    if (rc == HU_OK)
        rc = ov ? override_json(out, ov) : hu_buf_adds(out, "null");
    const struct override *al = otable_find(alt, id, len);
    if (rc == HU_OK)
        rc = hu_buf_adds(out, ",\"allowlist\":");
    if (rc == HU_OK)
        rc = al ? override_json(out, al) : hu_buf_adds(out, "null");
    view_put(snap, ovt, alt);
    if (rc == HU_OK)
        rc = hu_buf_adds(out, "}\n");
    return rc;
}

int hu_engine_campaigns_json(struct hu_engine *e, struct hu_buf *out)
{
    struct snapshot *snap;
    view_get(e, &snap, NULL, NULL);
    int rc = hu_buf_printf(out, "{\"snapshot_seq\":%llu,\"campaigns\":[",
                           (unsigned long long)(snap ? snap->seq : 0));
    for (size_t i = 0; rc == HU_OK && snap && i < snap->n_camp; i++) {
        if (i)
            rc = hu_buf_addc(out, ',');
        if (rc == HU_OK)
            rc = hu_buf_add(out, snap->camp[i].json, snap->camp[i].json_len);
    }
    view_put(snap, NULL, NULL);
    if (rc == HU_OK)
        rc = hu_buf_adds(out, "]}\n");
    return rc;
}

int hu_engine_campaign_json(struct hu_engine *e, const char *id, struct hu_buf *out)
{
    struct snapshot *snap;
    view_get(e, &snap, NULL, NULL);
    const struct snap_campaign *c = snapshot_campaign(snap, id);
    int rc = c ? hu_buf_add(out, c->json, c->json_len) : HU_ENOENT;
    view_put(snap, NULL, NULL);
    if (rc == HU_OK)
        rc = hu_buf_addc(out, '\n');
    return rc;
}

int hu_engine_lists_json(struct hu_engine *e, enum hu_store_list list, struct hu_buf *out)
{
    struct otable *ovt, *alt;
    view_get(e, NULL, &ovt, &alt);
    const struct otable *t = list == HU_STORE_ALLOWLIST ? alt : ovt;
    int rc = hu_buf_printf(out, "{\"%s\":[", list == HU_STORE_ALLOWLIST ? "allowlist" : "overrides");
    for (size_t i = 0; rc == HU_OK && t && i < t->n; i++) {
        if (i)
            rc = hu_buf_addc(out, ',');
        if (rc == HU_OK)
            rc = override_json(out, &t->e[i]);
    }
    view_put(NULL, ovt, alt);
    if (rc == HU_OK)
        rc = hu_buf_adds(out, "]}\n");
    return rc;
}

struct audit_ctx {
    struct hu_buf *b;
    int rc, n;
};

static int audit_row(void *ctx, uint64_t seq, int64_t ts, const char *actor, const char *verb,
                     const char *target, const char *reason)
{
    struct audit_ctx *a = ctx;
    char t[64];
    fmt_time(ts, t, sizeof t);
    struct hu_buf *b = a->b;
    int rc = hu_buf_printf(b, "%s{\"seq\":%llu,\"at\":\"%s\",\"actor\":\"", a->n++ ? "," : "",
                           (unsigned long long)seq, t);
    if (rc == HU_OK) rc = hu_buf_add_json_str(b, actor, strlen(actor));
    if (rc == HU_OK) rc = hu_buf_adds(b, "\",\"verb\":\"");
    if (rc == HU_OK) rc = hu_buf_add_json_str(b, verb, strlen(verb));
    if (rc == HU_OK) rc = hu_buf_adds(b, "\",\"account_id\":\"");
    if (rc == HU_OK) rc = hu_buf_add_json_str(b, target, strlen(target));
    if (rc == HU_OK) rc = hu_buf_adds(b, "\",\"reason\":\"");
    if (rc == HU_OK) rc = hu_buf_add_json_str(b, reason, strlen(reason));
    if (rc == HU_OK) rc = hu_buf_adds(b, "\"}");
    a->rc = rc;
    return rc != HU_OK;
}

int hu_engine_audit_json(struct hu_engine *e, uint64_t after, struct hu_buf *out)
{
    struct audit_ctx a = { out, HU_OK, 0 };
    int rc = hu_buf_adds(out, "{\"audit\":[");
    if (rc != HU_OK)
        return rc;
    int n = hu_store_audit_read(e->store, after, 1000, audit_row, &a);
    if (n < 0)
        return n;
    if (a.rc != HU_OK)
        return a.rc;
    return hu_buf_adds(out, "]}\n");
}

/* Printable ASCII copy for a log line (hostile ids cannot forge lines). */
static const char *printable(const char *in, char *out, size_t cap)
{
    size_t o = 0;
    for (const char *p = in; *p && o + 1 < cap; p++)
        out[o++] = (*p >= 0x20 && *p < 0x7f) ? *p : '?';
    out[o] = 0;
    return out;
}

/* ---- admin --------------------------------------------------------------------------- */

int hu_engine_account_set(struct hu_engine *e, enum hu_store_list list, const char *account_id,
                          int action, const char *actor, const char *verb, const char *reason)
{
    if (!e || !account_id || !*account_id || strlen(account_id) > HU_MAX_ID_BYTES || !actor ||
        !verb || !reason || action >= HU_ACTION_COUNT)
        return HU_EINVAL;
    pthread_mutex_lock(&e->admin);
    struct otable **slot = list == HU_STORE_ALLOWLIST ? &e->allow : &e->overrides;
    if (action >= 0 && *slot && (*slot)->n >= HU_SERVE_MAX_OVERRIDES) {
        pthread_mutex_unlock(&e->admin);
        return HU_EFULL;
    }
    int64_t now = hu_engine_now_ms();
    /* the reader tables are only replaced under `admin`, so reading *slot
     * here without the view lock is safe */
    struct otable *n = otable_with(*slot, account_id, action, actor, reason, now);
    if (!n) {
        pthread_mutex_unlock(&e->admin);
        return HU_ENOMEM;
    }
    /* durable first, then in effect */
    int rc = hu_store_account_set(e->store, list, account_id,
                                  action >= 0 ? hu_action_name((enum hu_action)action) : NULL,
                                  actor, verb, reason, now);
    if (rc != HU_OK) {
        otable_free(n);
        pthread_mutex_unlock(&e->admin);
        return rc;
    }
    pthread_rwlock_wrlock(&e->view);
    struct otable *old = *slot;
    *slot = n;
    pthread_rwlock_unlock(&e->view);
    otable_put(old);
    pthread_mutex_unlock(&e->admin);
    char a1[128], a2[128];
    hu_info("admin actor=%s verb=%s account=%s", printable(actor, a1, sizeof a1), verb,
            printable(account_id, a2, sizeof a2));
    return HU_OK;
}

int hu_engine_reload_policy(struct hu_engine *e, char *errbuf, size_t errcap)
{
    if (!e)
        return HU_EINVAL;
    if (!e->policy_path) {
        snprintf(errbuf, errcap, "no policy file was given (--policy): nothing to reload");
        return HU_EINVAL;
    }
    struct hu_policy *p = NULL;
    int rc = hu_policy_load(e->policy_path, &p, errbuf, errcap);
    if (rc != HU_OK) {
        atomic_fetch_add(&e->reloads_refused, 1);
        return rc;
    }
    pthread_mutex_lock(&e->admin);
    pthread_rwlock_wrlock(&e->view);
    struct hu_policy *old = e->policy;
    e->policy = p;
    atomic_store(&e->policy_digest, hu_policy_digest(p));
    pthread_rwlock_unlock(&e->view);
    pthread_mutex_unlock(&e->admin);
    hu_policy_destroy(old);
    atomic_fetch_add(&e->reloads_ok, 1);
    return HU_OK;
}

/* ---- status and metrics ---------------------------------------------------------------- */

void hu_engine_status(struct hu_engine *e, struct hu_engine_status *st)
{
    memset(st, 0, sizeof *st);
    st->journal_seq = atomic_load(&e->journal_seq);
    st->applied_seq = atomic_load(&e->applied_seq);
    st->snapshot_seq = atomic_load(&e->snapshot_seq);
    st->accounts = atomic_load(&e->n_accounts);
    st->campaigns = atomic_load(&e->n_campaigns);
    st->degraded = hu_store_degraded(e->store) || hu_store_full(e->store);
    st->replaying = atomic_load(&e->replaying);
    st->relinks = atomic_load(&e->relinks);
    st->last_relink_s = (double)atomic_load(&e->relink_us_last) / 1e6;
    int64_t built = atomic_load(&e->snap_built_mono);
    st->snapshot_age_ms = built ? hu_mono_ms() - built : -1;
    pthread_rwlock_rdlock(&e->view);
    st->shadow = hu_policy_shadow(e->policy);
    st->policy_digest = hu_policy_digest(e->policy);
    pthread_rwlock_unlock(&e->view);
}

int hu_engine_metrics(struct hu_engine *e, struct hu_buf *b)
{
    struct hu_engine_status st;
    hu_engine_status(e, &st);
    int rc = hu_buf_printf(b,
        "# HELP huella_events_accepted_total Event lines journaled (acknowledged with 202).\n"
        "# TYPE huella_events_accepted_total counter\n"
        "huella_events_accepted_total %llu\n"
        "# HELP huella_events_rejected_total Event lines refused with a per-line reason.\n"
        "# TYPE huella_events_rejected_total counter\n"
        "huella_events_rejected_total %llu\n"
        "# HELP huella_events_lost_total Journaled events the analysis could not keep (resource limits).\n"
        "# TYPE huella_events_lost_total counter\n"
        "huella_events_lost_total %llu\n"
        "# HELP huella_journal_seq Highest journal sequence number written.\n"
        "# TYPE huella_journal_seq gauge\n"
        "huella_journal_seq %llu\n"
        "# HELP huella_applied_seq Highest journal sequence number folded into the analysis.\n"
        "# TYPE huella_applied_seq gauge\n"
        "huella_applied_seq %llu\n"
        "# HELP huella_snapshot_seq Journal sequence number the served decisions cover.\n"
        "# TYPE huella_snapshot_seq gauge\n"
        "huella_snapshot_seq %llu\n"
        "# HELP huella_snapshot_age_seconds Time since the served decision snapshot was built.\n"
        "# TYPE huella_snapshot_age_seconds gauge\n"
        "huella_snapshot_age_seconds %.3f\n"
        "# HELP huella_accounts Accounts in the decision snapshot.\n"
        "# TYPE huella_accounts gauge\n"
        "huella_accounts %llu\n"
        "# HELP huella_campaigns_active Campaigns in the decision snapshot.\n"
        "# TYPE huella_campaigns_active gauge\n"
        "huella_campaigns_active %llu\n"
        "# HELP huella_relink_total Background linkage and campaign runs.\n"
        "# TYPE huella_relink_total counter\n"
        "huella_relink_total %llu\n"
        "# HELP huella_relink_seconds_total Time spent in background linkage runs.\n"
        "# TYPE huella_relink_seconds_total counter\n"
        "huella_relink_seconds_total %.6f\n"
        "# HELP huella_relink_last_seconds Duration of the last background linkage run.\n"
        "# TYPE huella_relink_last_seconds gauge\n"
        "huella_relink_last_seconds %.6f\n"
        "# HELP huella_relink_step_max_seconds Longest bounded step of the last linkage run (--relink-step-ms).\n"
        "# TYPE huella_relink_step_max_seconds gauge\n"
        "huella_relink_step_max_seconds %.6f\n"
        "# HELP huella_checkpoints_total Decision snapshots checkpointed to SQLite, by result.\n"
        "# TYPE huella_checkpoints_total counter\n"
        "huella_checkpoints_total{result=\"ok\"} %llu\n"
        "huella_checkpoints_total{result=\"failed\"} %llu\n"
        "# HELP huella_config_reload_total Policy reloads, by result.\n"
        "# TYPE huella_config_reload_total counter\n"
        "huella_config_reload_total{result=\"ok\"} %llu\n"
        "huella_config_reload_total{result=\"refused\"} %llu\n"
        "# HELP huella_store_degraded 1 after an unrecoverable storage error (events refused).\n"
        "# TYPE huella_store_degraded gauge\n"
        "huella_store_degraded %d\n"
        "# HELP huella_replaying 1 while the journal is replayed after a start.\n"
        "# TYPE huella_replaying gauge\n"
        "huella_replaying %d\n"
        "# HELP huella_policy_shadow 1 when the policy is in shadow mode.\n"
        "# TYPE huella_policy_shadow gauge\n"
        "huella_policy_shadow %d\n"
        "# HELP huella_store_full 1 while writes are refused because the disk was full.\n"
        "# TYPE huella_store_full gauge\n"
        "huella_store_full %d\n"
        "# HELP huella_store_corrupt_rows_total Stored rows that failed their checksum.\n"
        "# TYPE huella_store_corrupt_rows_total counter\n"
        "huella_store_corrupt_rows_total %llu\n"
        "# HELP huella_checkpoint_state_seq Journal sequence number the checkpointed analysis state covers.\n"
        "# TYPE huella_checkpoint_state_seq gauge\n"
        "huella_checkpoint_state_seq %llu\n"
        "# HELP huella_checkpoint_restored_seq Journal sequence number of the state restored at start.\n"
        "# TYPE huella_checkpoint_restored_seq gauge\n"
        "huella_checkpoint_restored_seq %llu\n"
        "# HELP huella_checkpoint_last_seconds Duration of the last checkpoint transaction.\n"
        "# TYPE huella_checkpoint_last_seconds gauge\n"
        "huella_checkpoint_last_seconds %.6f\n"
        "# HELP huella_decision_records_total Decision records for GET /v1/decisions/{id}, by result.\n"
        "# TYPE huella_decision_records_total counter\n"
        "huella_decision_records_total{result=\"written\"} %llu\n"
        "huella_decision_records_total{result=\"dropped\"} %llu\n"
        "# HELP huella_fingerprint_exports_total Fingerprint library exports (--fingerprints-out), by result.\n"
        "# TYPE huella_fingerprint_exports_total counter\n"
        "huella_fingerprint_exports_total{result=\"ok\"} %llu\n"
        "huella_fingerprint_exports_total{result=\"failed\"} %llu\n"
        "# HELP huella_fingerprint_export_seq Journal sequence number the last library export covers.\n"
        "# TYPE huella_fingerprint_export_seq gauge\n"
        "huella_fingerprint_export_seq %llu\n"
        "# HELP huella_fingerprint_export_last_seconds Duration of the last library export.\n"
        "# TYPE huella_fingerprint_export_last_seconds gauge\n"
        "huella_fingerprint_export_last_seconds %.3f\n",
        (unsigned long long)atomic_load(&e->events_accepted),
        (unsigned long long)atomic_load(&e->events_rejected),
        (unsigned long long)atomic_load(&e->lost_events),
        (unsigned long long)st.journal_seq, (unsigned long long)st.applied_seq,
        (unsigned long long)st.snapshot_seq,
        st.snapshot_age_ms < 0 ? 0.0 : (double)st.snapshot_age_ms / 1000.0,
        (unsigned long long)st.accounts, (unsigned long long)st.campaigns,
        (unsigned long long)st.relinks,
        (double)atomic_load(&e->relink_us_total) / 1e6, st.last_relink_s,
        (double)atomic_load(&e->relink_step_us_max) / 1e6,
        (unsigned long long)atomic_load(&e->checkpoints),
        (unsigned long long)atomic_load(&e->checkpoint_failures),
        (unsigned long long)atomic_load(&e->reloads_ok),
        (unsigned long long)atomic_load(&e->reloads_refused), st.degraded, st.replaying,
        st.shadow, hu_store_full(e->store), (unsigned long long)hu_store_corrupt_rows(e->store),
        (unsigned long long)atomic_load(&e->ckpt_state_seq),
        (unsigned long long)atomic_load(&e->restored_seq),
        (double)atomic_load(&e->ckpt_us_last) / 1e6,
        (unsigned long long)atomic_load(&e->rec_written),
        (unsigned long long)atomic_load(&e->rec_dropped),
        (unsigned long long)atomic_load(&e->lib_exports_ok),
        (unsigned long long)atomic_load(&e->lib_exports_failed),
        (unsigned long long)atomic_load(&e->lib_export_seq),
        (double)atomic_load(&e->lib_export_us_last) / 1e6);
    if (rc == HU_OK && e->sink_metrics_fn)
        rc = e->sink_metrics_fn(e->sink_ctx, b);
    return rc;
}
