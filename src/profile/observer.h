/*
 * observer.h -- the per-event path: event -> features -> profile.
 *
 * A struct hu_observer owns what one stream of events builds: the feature
 * context, the profile table, the indicator dictionary (hash -> printable
 * value, entity_dict.h), the model releases seen, and a few counters.
 * hu_observer_observe() is the hot path of `huella analyze` and of the
 * service: O(event), no allocation once an account exists.
 *
 * Threading: one writer.  To use several cores, shard events by account
 * over several observers sharing one struct hu_features (features.h says
 * the shared context is immutable), then merge their tables.
 */
#ifndef HU_PROFILE_OBSERVER_H
#define HU_PROFILE_OBSERVER_H

#include <stddef.h>
#include <stdint.h>
#include "features/features.h"
#include "ingest/event.h"
#include "profile/entity_dict.h"
#include "profile/profile_table.h"

/* A model release (from `model_release` events). */
struct hu_release {
    uint64_t model_hash;
    int64_t  ts_ms;        /* earliest release line for that model */
};

/* Most model releases remembered (a release a day for more than a year). */
#define HU_MAX_RELEASES 512u

/* Note a release of model_hash at ts_ms in rel[0 .. *n) (capacity
 * HU_MAX_RELEASES): the earliest line per model wins; past the capacity
 * new models are ignored.  O(*n). */
void hu_releases_note(struct hu_release *rel, size_t *n, uint64_t model_hash, int64_t ts_ms);

struct hu_observer_config {
    /* Shared feature context (borrowed; must outlive the observer).  NULL:
     * the observer creates its own from `features`. */
    const struct hu_features *fx;
    struct hu_features_config features;
    /* Zero every extraction-target score before it reaches profiles
     * (`huella eval --ablate content`). */
    int zero_targets;
    /* Extract features and nothing else: no profiles, no dictionary (a
     * second pass that only needs each request's features, e.g. the
     * fingerprint calibration replay, through a tap). */
    int features_only;
};

struct hu_observer;

HU_MUST_CHECK int hu_observer_create(const struct hu_observer_config *cfg, struct hu_observer **out,
                                     char *errbuf, size_t errcap);
void hu_observer_destroy(struct hu_observer *o);

/* Fold one event in.  HU_OK; HU_ENOMEM or HU_EFULL (the event is lost and
 * counted).  Never fails on bad content. */
int hu_observer_observe(struct hu_observer *o, const struct hu_event *ev);

/* ---- several threads ------------------------------------------------------ */

/* An event source: 1 and *ev filled (its spans valid until the next call),
 * 0 at the end, or a negative status on failure.  hu_ingest_next() fits. */
typedef int (*hu_event_next_fn)(void *ctx, struct hu_event *ev);

/* Most observer threads of one run. */
#define HU_MAX_OBSERVER_THREADS 64u

/* Where a run's time went (seconds). */
struct hu_observer_run_stats {
    uint64_t events;          /* events read (all kinds) */
    unsigned threads;         /* observer threads (0: everything on the caller's thread) */
    double wall;              /* the whole run, merge included */
    double read;              /* inside next(): decompress, frame, parse (the reader) */
    double wait;              /* reader blocked because a shard was behind */
    double features;          /* feature extraction, summed over threads */
    double profiles;          /* profile and dictionary updates, summed over threads */
    double merge;             /* merging the shards into o */
};

/* Online processors, capped at HU_MAX_OBSERVER_THREADS. */
unsigned hu_observer_default_threads(void);

/* Observe every event of `next` into o on n_threads threads (0: one per
 * online processor; 1: all on the calling thread, no copies).  With
 * n > 1 the calling thread reads and deals events by hash(account_id) to
 * n shard threads in batches (one mutex operation per ~1 MiB batch, none
 * per event); each shard has its own observer sharing o's feature
 * context; at the end the shards are merged into o in first-seen order,
 * so o ends exactly as if it had observed the events one by one (see the
 * essay in observer.c).  o should hold no accounts yet (accounts it holds
 * are merged with hu_profile_merge).  Memory in flight: n * 4 MiB, plus a
 * second copy of the profiles during the merge.  HU_OK; HU_ENOMEM (o
 * holds part of the input); the negative status of next(); HU_EINVAL.
 * `stats` may be NULL. */
HU_MUST_CHECK int hu_observer_run(struct hu_observer *o, hu_event_next_fn next, void *ctx,
                                  unsigned n_threads, struct hu_observer_run_stats *stats);

/* What hu_observer_run() does with n_threads (0: the processors), so a
 * caller can size per-shard state for a tap. */
unsigned hu_observer_threads(unsigned n_threads);

/* A tap: per-request work that must see every request of an account in
 * input order next to its features and profile (online fingerprint
 * matching, the fingerprint side table).  fn is called after each request
 * is folded in, on the thread that folded it, with that thread's shard
 * number (0 .. hu_observer_threads(n) - 1; 0 on the calling thread): all
 * requests of one account reach the same shard in input order, shards run
 * concurrently, so fn must only touch state of its own shard.  p is NULL
 * with features_only; f's simhash is 0 (profiles do not read it, so the
 * observer does not compute it: hu_fx_worker_simhash).  fn returns HU_OK;
 * HU_OBSERVER_TAP_PIN (1) to pin the account in the table it was folded
 * into, so that eviction under --max-accounts can never remove it (an
 * account a known campaign's fingerprint bound, or that a partner's
 * indicator names); HU_ENOMEM ends the run with it; other statuses are the
 * tap's to count. */
#define HU_OBSERVER_TAP_PIN 1
struct hu_observer_tap {
    int (*fn)(void *ctx, unsigned shard, const struct hu_event *ev, const struct hu_profile *p,
              const struct hu_req_features *f);
    void *ctx;
};
/* hu_observer_run() with a tap (NULL: none). */
HU_MUST_CHECK int hu_observer_run_tap(struct hu_observer *o, hu_event_next_fn next, void *ctx,
                                      unsigned n_threads, const struct hu_observer_tap *tap,
                                      struct hu_observer_run_stats *stats);

struct hu_profile_table *hu_observer_table(const struct hu_observer *o);
/* The features and profile of the last event observed, if it was a request
 * that reached a profile (else NULL).  Valid until the next observe(): the
 * online fingerprint matcher (src/fprint/) reads them without extracting
 * the features twice. */
const struct hu_req_features *hu_observer_last_request(const struct hu_observer *o,
                                                       const struct hu_profile **p);
const struct hu_entity_dict *hu_observer_dict(const struct hu_observer *o);
const struct hu_release *hu_observer_releases(const struct hu_observer *o, size_t *n);

struct hu_observer_counts {
    uint64_t requests, account_events, releases, lost;
    int64_t  first_ts, last_ts;       /* of requests; INT64_MAX / INT64_MIN if none */
};
void hu_observer_counts(const struct hu_observer *o, struct hu_observer_counts *out);

/* ---- import: state built elsewhere (the cluster linker, src/cluster) ----- */

/* Fold profile p of account id into the table (copied if new, merged with
 * hu_profile_merge otherwise), exactly as hu_observer_run merges its
 * shards.  HU_OK, HU_ENOMEM, HU_EFULL, HU_EINVAL. */
HU_MUST_CHECK int hu_observer_import_profile(struct hu_observer *o, const char *id, size_t len,
                                             const struct hu_profile *p);
/* Remember a printable entity value (as observe() would have). */
void hu_observer_import_entity(struct hu_observer *o, enum hu_dict_kind kind, uint64_t hash,
                               const char *value, size_t len);
/* A model release (earliest ts per model wins, as observe()). */
void hu_observer_import_release(struct hu_observer *o, uint64_t model_hash, int64_t ts_ms);
/* Add another observer's counters (requests, account events, lost, span). */
void hu_observer_import_counts(struct hu_observer *o, const struct hu_observer_counts *c);
/* Checkpoints (serve/engine.c): the dictionary to put saved entries back
 * into, and the counters and releases of a saved observer, restored into
 * one that has observed nothing yet (releases past HU_MAX_RELEASES are
 * ignored).  O(n). */
struct hu_entity_dict *hu_observer_dict_mut(struct hu_observer *o);
void hu_observer_restore(struct hu_observer *o, const struct hu_observer_counts *c,
                         const struct hu_release *rel, size_t n);

#endif
