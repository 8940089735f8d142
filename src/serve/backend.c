/*
 * backend.c -- see backend.h: the service's thin seam onto ingest's line
 * parser and the batch analysis.
 */
#include "serve/backend.h"
#include "fprint/fprint.h"
#include "core/alloc.h"
#include "ingest/ingest.h"
#include "report/outputs.h"
#include "core/hash.h"
#include "core/log.h"
#include "profile/observer.h"
#include "score/analysis.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *hu__be_name(void) { return "pipeline"; }

/* ---- event lines --------------------------------------------------------- */

struct hu__be_parser { struct hu_line_parser *lp; };

int hu__be_parser_create(struct hu__be_parser **out)
{
    struct hu__be_parser *p = hu_calloc(1, sizeof *p);
    if (!p)
        return HU_ENOMEM;
    int rc = hu_line_parser_create(&p->lp, NULL);
    if (rc != HU_OK) {
        hu_free(p);
        return rc;
    }
    *out = p;
    return HU_OK;
}

void hu__be_parser_destroy(struct hu__be_parser *p)
{
    if (!p)
        return;
    hu_line_parser_destroy(p->lp);
    hu_free(p);
}

const char *hu__be_parse(struct hu__be_parser *p, const char *line, size_t len,
                         struct hu_event *ev, const char **field)
{
    enum hu_reject r = hu_line_parse(p->lp, line, len, ev);
    *field = NULL;
    if (r == HU_REJECT_NONE)
        return NULL;
    *field = hu_line_parser_reject_field(p->lp);
    return hu_reject_name(r);
}


/* ---- the analysis ---------------------------------------------------------- */

struct hu__be {
    struct hu_analysis *a;
    /* checkpoint baseline: per profile record, the version last written
     * (account hash, requests and account events mixed; 0 = never); the
     * put in progress stages into `ver_next` */
    uint64_t *ver, *ver_next;
    size_t n_ver, n_next;
    size_t dict_saved, dict_next;
    uint64_t put_profiles, put_dict;
};

int hu__be_create(const struct hu_features_config *fx, const struct hu_fp_lib *known,
                  const struct hu_fp_key *key, struct hu__be **out, char *errbuf, size_t errcap)
{
    struct hu__be *b = hu_calloc(1, sizeof *b);
    if (!b)
        return HU_ENOMEM;
    /* The analysis keeps the default policy: the service applies its own
     * (reloadable) policy at decide time to the analysis's scores, so a
     * reload never leaves the analysis with a freed policy. */
    struct hu_analysis_config cfg;
    memset(&cfg, 0, sizeof cfg);
    if (fx)
        cfg.features = *fx;
    cfg.known = known;
    cfg.fp_key = key;
    int rc = hu_analysis_create(&cfg, &b->a, errbuf, errcap);
    if (rc != HU_OK) {
        hu_free(b);
        return rc;
    }
    *out = b;
    return HU_OK;
}

void hu__be_destroy(struct hu__be *b)
{
    if (!b)
        return;
    hu_analysis_destroy(b->a);
    hu_free(b->ver);
    hu_free(b->ver_next);
    hu_free(b);
}

int hu__be_observe(struct hu__be *b, const struct hu_event *ev)
{
    return hu_analysis_observe(b->a, ev);
}

int hu__be_finish(struct hu__be *b, struct hu_results *out)
{
    hu_analysis_finish_abort(b->a);
    return hu_analysis_finish(b->a, out);
}

int hu__be_finish_begin(struct hu__be *b)
{
    return hu_analysis_finish_begin(b->a);
}

int hu__be_finish_step(struct hu__be *b, double budget_s, struct hu_results *out)
{
    return hu_analysis_finish_step(b->a, budget_s, out);
}

double hu__be_finish_longest_step(const struct hu__be *b)
{
    return hu_analysis_finish_longest_step(b->a);
}

int hu__be_campaigns_json(const struct hu_results *r, struct hu_buf *out)
{
    char *mem = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&mem, &n);
    if (!f)
        return HU_ENOMEM;
    int rc = hu_write_campaigns_json(f, r);
    if (fclose(f) != 0 && rc == HU_OK)
        rc = HU_EIO;
    if (rc == HU_OK)
        rc = hu_buf_add(out, mem, n);
    free(mem);   /* open_memstream memory comes from libc */
    return rc;
}

/* ---- facts and checkpoints ---------------------------------------------------- */

void hu__be_account_facts(const struct hu__be *b, size_t i, int *program, int *verified)
{
    const struct hu_profile *p = hu_profile_table_at(hu_analysis_profiles(b->a), i);
    *program = p ? (int)hu_program_of_account_type(p->facts.type) : HU_PROGRAM_UNKNOWN;
    *verified = p && (p->facts.verification == HU_VERIF_ID ||
                      p->facts.verification == HU_VERIF_BUSINESS);
}

/* Every change to a profile adds a request or an account event, so this
 * changes whenever the profile does (the account hash covers a record
 * given to another account in bounded mode). */
static uint64_t version_of(const struct hu_profile *p)
{
    uint64_t v = hu_hash_combine(hu_hash_combine(p->account_hash, p->n_req), p->facts.n_events);
    return v ? v : 1;
}

/* "observer" blob: magic, counters, releases; little-endian host layout
 * is fine: the file never leaves the host that wrote it (the sum covers
 * the bytes, the magic the layout). */
#define OBS_MAGIC UINT64_C(0x3162736f616c6575)   /* "euleaobs1" */

struct obs_blob {
    uint64_t magic;
    struct hu_observer_counts c;
    uint64_t n_rel;
    struct hu_release rel[HU_MAX_RELEASES];
};

int hu__be_checkpoint_put(struct hu__be *b, struct hu_store *st)
{
    struct hu_observer *o = hu_analysis_observer(b->a);
    const struct hu_profile_table *t = hu_observer_table(o);
    size_t n = hu_profile_table_count(t);
    hu_free(b->ver_next);
    b->ver_next = hu_malloc((n ? n : 1) * sizeof *b->ver_next);
    if (!b->ver_next)
        return HU_ENOMEM;
    b->n_next = n;
    b->put_profiles = b->put_dict = 0;
    unsigned char buf[HU_PROFILE_SERIALIZED_MAX];
    for (size_t i = 0; i < n; i++) {
        const struct hu_profile *p = hu_profile_table_at(t, i);
        uint64_t v = version_of(p);
        b->ver_next[i] = v;
        if (i < b->n_ver && b->ver[i] == v)
            continue;
        size_t len = hu_profile_serialize(p, buf, sizeof buf), id_len;
        const char *id = hu_profile_table_id(t, i, &id_len);
        if (!len || !id)
            return HU_EINVAL;
        int rc = hu_store_checkpoint_profile(st, i, id, id_len, buf, len);
        if (rc != HU_OK)
            return rc;
        b->put_profiles++;
    }
    const struct hu_entity_dict *d = hu_observer_dict(o);
    size_t nd = hu_dict_count(d);
    for (size_t i = b->dict_saved; i < nd; i++) {
        uint64_t key;
        const char *v = hu_dict_entry(d, i, &key);
        if (!v)
            return HU_EINVAL;
        int rc = hu_store_checkpoint_dict(st, i, key, v, strlen(v));
        if (rc != HU_OK)
            return rc;
        b->put_dict++;
    }
    b->dict_next = nd;
    struct obs_blob *ob = hu_calloc(1, sizeof *ob);
    if (!ob)
        return HU_ENOMEM;
    size_t n_rel;
    const struct hu_release *rel = hu_observer_releases(o, &n_rel);
    ob->magic = OBS_MAGIC;
    hu_observer_counts(o, &ob->c);
    ob->n_rel = n_rel;
    memcpy(ob->rel, rel, n_rel * sizeof *rel);
    int rc = hu_store_checkpoint_blob(st, "observer", ob,
                                      offsetof(struct obs_blob, rel) + n_rel * sizeof *rel);
    hu_free(ob);
    /* serve --known: the matcher's states (bindings and their evidence) */
    const struct hu_fp_online *on = hu_analysis_fp_online(b->a);
    if (rc == HU_OK && on) {
        size_t need = hu_fp_online_save(on, NULL, 0);
        void *obuf = hu_malloc(need);
        if (!obuf)
            return HU_ENOMEM;
        hu_fp_online_save(on, obuf, need);
        rc = hu_store_checkpoint_blob(st, "fp_online", obuf, need);
        hu_free(obuf);
    }
    return rc;
}

void hu__be_checkpoint_done(struct hu__be *b)
{
    if (!b->ver_next)
        return;
    hu_free(b->ver);
    b->ver = b->ver_next;
    b->n_ver = b->n_next;
    b->ver_next = NULL;
    b->n_next = 0;
    b->dict_saved = b->dict_next;
}

void hu__be_checkpoint_counts(const struct hu__be *b, uint64_t *profiles, uint64_t *dict)
{
    *profiles = b->put_profiles;
    *dict = b->put_dict;
}

struct restore_ctx {
    struct hu__be *b;
    struct hu_observer *o;
    char *err;
    size_t cap;
    int rc;
    size_t cap_ver;
    hu__be_blob_fn other;
    void *other_ctx;
};

static int restore_fail(struct restore_ctx *r, int rc, const char *fmt, unsigned long long k)
{
    r->rc = rc;
    snprintf(r->err, r->cap, fmt, k);
    return 1;
}

static int restore_blob(void *ctx, const char *name, const void *data, size_t len)
{
    struct restore_ctx *r = ctx;
    if (!strcmp(name, "fp_online")) {
        struct hu_fp_online *on = hu_analysis_fp_online_mut(r->b->a);
        int rc = on ? hu_fp_online_load(on, data, len) : HU_OK;
        if (rc == HU_EVERSION) {
            /* the operator replaced the library: a normal update, not damage */
            hu_warn("serve: the fingerprint library changed since the checkpoint; the accounts' match "
                    "states are dropped and matched again from their next requests");
            return 0;
        }
        if (rc == HU_ENOMEM)
            return restore_fail(r, HU_ENOMEM, "out of memory putting back %llu bytes of fingerprint matches",
                                (unsigned long long)len);
        if (rc != HU_OK)
            return restore_fail(r, HU_ECORRUPT, "the checkpoint's fingerprint matches (%llu bytes) are "
                                "not valid",
                                (unsigned long long)len);
        return 0;
    }
    if (strcmp(name, "observer") != 0) {
        /* other blobs belong to the engine */
        if (r->other && r->other(r->other_ctx, name, data, len)) {
            r->rc = HU_ECORRUPT;
            snprintf(r->err, r->cap, "checkpoint blob \"%.40s\" is not valid", name);
            return 1;
        }
        return 0;
    }
    struct obs_blob ob;
    memset(&ob, 0, sizeof ob);
    if (len < offsetof(struct obs_blob, rel) || len > sizeof ob)
        return restore_fail(r, HU_ECORRUPT, "observer state has a bad length (%llu)",
                            (unsigned long long)len);
    memcpy(&ob, data, len);
    if (ob.magic != OBS_MAGIC || ob.n_rel > HU_MAX_RELEASES ||
        len != offsetof(struct obs_blob, rel) + ob.n_rel * sizeof ob.rel[0])
        return restore_fail(r, HU_ECORRUPT, "observer state is not valid (%llu releases)",
                            (unsigned long long)ob.n_rel);
    hu_observer_restore(r->o, &ob.c, ob.rel, (size_t)ob.n_rel);
    return 0;
}

static int restore_dict(void *ctx, uint64_t i, uint64_t key, const char *value, size_t len)
{
    struct restore_ctx *r = ctx;
    struct hu_entity_dict *d = hu_observer_dict_mut(r->o);
    if (i != hu_dict_count(d))
        return restore_fail(r, HU_ECORRUPT, "dictionary entry %llu is out of sequence",
                            (unsigned long long)i);
    int rc = hu_dict_put_key(d, key, value, len);
    if (rc == HU_ENOMEM)
        return restore_fail(r, HU_ENOMEM, "out of memory at dictionary entry %llu",
                            (unsigned long long)i);
    if (rc != HU_OK || hu_dict_count(d) != i + 1)
        return restore_fail(r, HU_ECORRUPT, "dictionary entry %llu cannot be put back",
                            (unsigned long long)i);
    return 0;
}

static int restore_profile(void *ctx, uint64_t rec, const char *id, size_t id_len,
                           const void *blob, size_t len)
{
    struct restore_ctx *r = ctx;
    struct hu_profile_table *t = hu_observer_table(r->o);
    if (rec != hu_profile_table_count(t))
        return restore_fail(r, HU_ECORRUPT, "profile record %llu is out of sequence",
                            (unsigned long long)rec);
    struct hu_profile tmp;
    int n = hu_profile_deserialize_safe(&tmp, blob, len);
    if (n <= 0 || (size_t)n != len)
        return restore_fail(r, HU_ECORRUPT, "profile record %llu does not deserialize",
                            (unsigned long long)rec);
    if (tmp.account_hash != hu_hash(id, id_len))
        return restore_fail(r, HU_ECORRUPT, "profile record %llu belongs to another account",
                            (unsigned long long)rec);
    struct hu_profile *p;
    int created = 0;
    int rc = hu_profile_table_get(t, id, id_len, &p, &created);
    if (rc != HU_OK || !created)
        return restore_fail(r, rc == HU_ENOMEM ? HU_ENOMEM : HU_ECORRUPT,
                            "profile record %llu cannot be put back", (unsigned long long)rec);
    memcpy(p, &tmp, sizeof tmp);
    if (hu_grow((void **)&r->b->ver, &r->cap_ver, (size_t)rec + 1, sizeof *r->b->ver, 1024) != HU_OK)
        return restore_fail(r, HU_ENOMEM, "out of memory at profile %llu", (unsigned long long)rec);
    r->b->ver[rec] = version_of(p);
    r->b->n_ver = (size_t)rec + 1;
    return 0;
}

int hu__be_restore(struct hu__be *b, struct hu_store *st, uint64_t *seq, hu__be_blob_fn other,
                   void *other_ctx, char *errbuf, size_t errcap)
{
    char tmp[8];
    if (!errbuf) {
        errbuf = tmp;
        errcap = sizeof tmp;
    }
    struct restore_ctx r = { .b = b, .o = hu_analysis_observer(b->a), .err = errbuf,
                             .cap = errcap, .rc = HU_OK, .other = other,
                             .other_ctx = other_ctx };
    struct hu_store_state_fns fns = { restore_blob, restore_dict, restore_profile };
    int rc = hu_store_state_load(st, seq, &fns, &r);
    if (rc == HU_OK)
        rc = r.rc;
    else if (r.rc == HU_OK)
        snprintf(errbuf, errcap, "a checkpoint row fails its checksum or cannot be read (%s)",
                 hu_status_str(rc));
    if (rc == HU_OK)
        b->dict_saved = hu_dict_count(hu_observer_dict(r.o));
    return rc;
}
