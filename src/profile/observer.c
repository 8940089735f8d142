/*
 * observer.c -- event -> features -> profile, see observer.h.
 *
 * Besides the profile, each request leaves its printable identifiers in
 * the dictionary (address, prefix, fingerprints, user agent, payment
 * fingerprint, model) so that campaign indicators can be printed later;
 * the dictionary is capped (entity_dict.h), and a lookup before each put
 * keeps the common case (a value seen before) to one probe.
 */
#include "profile/observer.h"
#include "core/alloc.h"
#include "core/hash.h"
#include "features/net.h"

#include <string.h>

struct hu_observer {
    struct hu_features *own_fx;
    const struct hu_features *fx;
    struct hu_fx_worker *worker;
    struct hu_profile_table *table;
    struct hu_entity_dict *dict;
    struct hu_release releases[HU_MAX_RELEASES];
    size_t n_releases;
    int zero_targets;
    struct hu_observer_counts c;
    struct hu_req_features last_f;     /* hu_observer_last_request */
    const struct hu_profile *last_p;   /* NULL unless the last event was a request */
};

int hu_observer_create(const struct hu_observer_config *cfg, struct hu_observer **out,
                       char *errbuf, size_t errcap)
{
    struct hu_observer *o = hu_calloc(1, sizeof *o);
    if (!o)
        return HU_ENOMEM;
    o->zero_targets = cfg->zero_targets;
    o->c.first_ts = INT64_MAX;
    o->c.last_ts = INT64_MIN;
    int rc = HU_OK;
    if (cfg->fx) {
        o->fx = cfg->fx;
    } else {
        rc = hu_features_create(&cfg->features, &o->own_fx, errbuf, errcap);
        if (rc)
            goto fail;
        o->fx = o->own_fx;
    }
    rc = hu_fx_worker_create(o->fx, &o->worker);
    if (!rc)
        rc = hu_profile_table_create(0, &o->table);
    if (!rc)
        rc = hu_dict_create(&o->dict);
    if (rc)
        goto fail;
    *out = o;
    return HU_OK;
fail:
    hu_observer_destroy(o);
    return rc;
}

void hu_observer_destroy(struct hu_observer *o)
{
    if (!o)
        return;
    hu_dict_destroy(o->dict);
    hu_profile_table_destroy(o->table);
    hu_fx_worker_destroy(o->worker);
    hu_features_destroy(o->own_fx);
    hu_free(o);
}

struct hu_profile_table *hu_observer_table(const struct hu_observer *o) { return o->table; }
const struct hu_entity_dict *hu_observer_dict(const struct hu_observer *o) { return o->dict; }

const struct hu_release *hu_observer_releases(const struct hu_observer *o, size_t *n)
{
    *n = o->n_releases;
    return o->releases;
}

void hu_observer_counts(const struct hu_observer *o, struct hu_observer_counts *out)
{
    *out = o->c;
    out->releases = o->n_releases;
}

static void remember(struct hu_observer *o, enum hu_dict_kind kind, uint64_t hash, struct hu_span s)
{
    if (hash && s.ptr && s.len && !hu_dict_get(o->dict, kind, hash))
        (void)hu_dict_put(o->dict, kind, hash, s.ptr, s.len);   /* a full dictionary only loses pretty-printing */
}

static void remember_network(struct hu_observer *o, const struct hu_event *ev,
                             const struct hu_req_features *f)
{
    if (!f->ip_hash || hu_dict_get(o->dict, HU_DICT_IP, f->ip_hash))
        return;
    struct hu_ip ip;
    if (!ev->ip.ptr || hu_ip_parse(ev->ip.ptr, ev->ip.len, &ip) != HU_OK)
        return;
    char buf[64];
    hu_ip_str(&ip, buf, sizeof buf);
    (void)hu_dict_put(o->dict, HU_DICT_IP, f->ip_hash, buf, strlen(buf));
    if (f->prefix_hash && !hu_dict_get(o->dict, HU_DICT_PREFIX, f->prefix_hash)) {
        hu_ip_prefix_str(&ip, buf, sizeof buf);
        (void)hu_dict_put(o->dict, HU_DICT_PREFIX, f->prefix_hash, buf, strlen(buf));
    }
}

static void observe_release(struct hu_observer *o, const struct hu_event *ev)
{
    uint64_t mh = hu_hash(ev->model.ptr, ev->model.len);
    remember(o, HU_DICT_MODEL, mh, ev->model);
    for (size_t i = 0; i < o->n_releases; i++) {
        if (o->releases[i].model_hash == mh) {
            if (ev->ts_ms < o->releases[i].ts_ms)
                o->releases[i].ts_ms = ev->ts_ms;
            return;
        }
    }
    if (o->n_releases < HU_MAX_RELEASES)
        o->releases[o->n_releases++] = (struct hu_release){ mh, ev->ts_ms };
}

const struct hu_req_features *hu_observer_last_request(const struct hu_observer *o,
                                                       const struct hu_profile **p)
{
    *p = o->last_p;
    return o->last_p ? &o->last_f : NULL;
}

int hu_observer_observe(struct hu_observer *o, const struct hu_event *ev)
{
    o->last_p = NULL;
    if (ev->kind == HU_EV_MODEL_RELEASE) {
        observe_release(o, ev);
        return HU_OK;
    }
    struct hu_profile *p;
    int created;
    int rc = hu_profile_table_get(o->table, ev->account_id.ptr, ev->account_id.len, &p, &created);
    if (rc) {
        o->c.lost++;
        return rc;
    }
    struct hu_req_features f;
    hu_features_extract(o->worker, ev, &f);
    if (o->zero_targets)
        memset(f.target, 0, sizeof f.target);
    if (ev->kind == HU_EV_ACCOUNT) {
        hu_profile_observe_account(p, ev, &f);
        o->c.account_events++;
    } else {
        hu_profile_observe_request(p, ev, &f);
        o->c.requests++;
        o->last_f = f;
        o->last_p = p;
        if (ev->ts_ms < o->c.first_ts) o->c.first_ts = ev->ts_ms;
        if (ev->ts_ms > o->c.last_ts) o->c.last_ts = ev->ts_ms;
    }
    remember_network(o, ev, &f);
    remember(o, HU_DICT_CLIENT_FP, f.client_fp_hash, ev->client_fp);
    remember(o, HU_DICT_HEADERS_FP, f.headers_fp_hash, ev->headers_fp);
    remember(o, HU_DICT_USER_AGENT, f.ua_hash, ev->user_agent);
    remember(o, HU_DICT_PAYMENT, f.payment_hash, ev->payment_fp);
    remember(o, HU_DICT_MODEL, f.model_hash, ev->model);
    return HU_OK;
}
