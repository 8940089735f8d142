/*
 * backend.h -- internal to serve/: the engine's view of the detection
 * pipeline, in one place so the engine reads as a service and not as a
 * pipeline: ingest's line parser (hu_line_parse), the batch analysis
 * (hu_analysis_observe / finish; finish is re-runnable and a function of
 * the profile table) and campaigns.json rendering (report/outputs.h).
 * hu__be_name() is reported on /healthz.
 */
#ifndef HU_SERVE_BACKEND_H
#define HU_SERVE_BACKEND_H

#include <stddef.h>
#include "core/buf.h"
#include "ingest/event.h"
#include "score/results.h"

struct hu__be;
struct hu__be_parser;

/* "pipeline" or "stand-in". */
const char *hu__be_name(void);

HU_MUST_CHECK int hu__be_parser_create(struct hu__be_parser **out);
void hu__be_parser_destroy(struct hu__be_parser *p);
/* Parse one line.  NULL when *ev is filled (spans valid until the next
 * call), else a static reject name; *field names the field if known. */
const char *hu__be_parse(struct hu__be_parser *p, const char *line, size_t len,
                         struct hu_event *ev, const char **field);

struct hu_features_config;
/* `fx` (may be NULL) names the address databases, as `analyze --asn/--geo
 * /--cidr`; borrowed for the call. */
struct hu_fp_lib;
struct hu_fp_key;
/* known and key (borrowed, must outlive the backend; both NULL: none): a
 * finished fingerprint library that the analysis matches every account's
 * requests against as they arrive (`serve --known`, fprint.h). */
HU_MUST_CHECK int hu__be_create(const struct hu_features_config *fx, const struct hu_fp_lib *known,
                                const struct hu_fp_key *key, struct hu__be **out,
                                char *errbuf, size_t errcap);
void hu__be_destroy(struct hu__be *b);
/* HU_OK, or a status when the event was lost to a resource limit. */
int hu__be_observe(struct hu__be *b, const struct hu_event *ev);
/* Linkage, campaigns, scores over everything observed.  Re-runnable.
 * `out` must be zeroed; free with hu_results_fini (before the backend). */
HU_MUST_CHECK int hu__be_finish(struct hu__be *b, struct hu_results *out);
/* The same in bounded steps, with events observed in between (the
 * worker's relink; score/analysis.h hu_analysis_finish_step): begin, then
 * step until it stops answering HU_EAGAIN; HU_OK fills `out` (zeroed
 * by the step).  hu__be_finish() drops a job in progress. */
HU_MUST_CHECK int hu__be_finish_begin(struct hu__be *b);
HU_MUST_CHECK int hu__be_finish_step(struct hu__be *b, double budget_s, struct hu_results *out);
/* Seconds of the longest step of the last job. */
double hu__be_finish_longest_step(const struct hu__be *b);
/* Program (enum hu_program) and verified-identity flag of the account in
 * profile record i (the order of hu_results accounts), from its `account`
 * events, as the analysis reads them.  0/0 when i is out of range. */
void hu__be_account_facts(const struct hu__be *b, size_t i, int *program, int *verified);

/* ---- checkpoints of the analysis state (store.h ckpt_*) ----------------
 *
 * put: inside an open store checkpoint, write every profile that changed
 * since the last successful checkpoint (hu_profile_serialize), the
 * dictionary entries added since, and the observer's counters and model
 * releases.  Cost O(accounts) cheap compares plus O(changes) writes.
 * HU_OK, HU_EIO, HU_ENOMEM.  done: the transaction committed, so what was
 * put becomes the new baseline (after a failed commit, don't call it: the
 * next put writes the same changes again).
 *
 * restore: into a backend that has observed nothing, load the state and
 * set *seq to the journal seq it covers (0: none).  Every blob is checked
 * (row checksum, then hu_profile_deserialize_safe and its own checksum,
 * the id against the profile's account hash).  HU_OK; HU_ECORRUPT with
 * the reason in errbuf (nothing is silently used); HU_EIO; HU_ENOMEM. */
struct hu_store;
HU_MUST_CHECK int hu__be_checkpoint_put(struct hu__be *b, struct hu_store *st);
void hu__be_checkpoint_done(struct hu__be *b);
typedef int (*hu__be_blob_fn)(void *ctx, const char *name, const void *data, size_t len);
/* `other` (may be NULL) gets the named blobs the backend does not own
 * (the engine's "signups"); non-zero from it means the blob is invalid. */
HU_MUST_CHECK int hu__be_restore(struct hu__be *b, struct hu_store *st, uint64_t *seq,
                                 hu__be_blob_fn other, void *other_ctx, char *errbuf,
                                 size_t errcap);
/* Profiles and dictionary entries written by the last put (for tests and
 * the log). */
void hu__be_checkpoint_counts(const struct hu__be *b, uint64_t *profiles, uint64_t *dict);

/* ---- the fingerprint library export (libexport.c) -------------------------
 *
 * Make the library `huella analyze` would write for journal rows 1..upto
 * (same features, policy, known library and key) and save it to x->path
 * atomically (written beside it, then renamed).  Runs a second analysis
 * over the journal, twice (observe, then the calibration replay): call it
 * off the request path.  HU_OK; else errbuf says why and the old file
 * stays: HU_ENOMEM, HU_EIO, HU_EUNAVAIL (cancelled), the policy's load
 * status. */
struct hu_fp_lib;
struct hu__be_export {
    const char *path;
    const struct hu_features_config *features;  /* as the backend's */
    const char *policy_path;                    /* NULL: the default policy */
    const struct hu_fp_lib *known;              /* serve --known, or NULL */
    const struct hu_fp_key *key;
    unsigned threads;                           /* observer threads (0: one per processor) */
    int (*cancel)(void *ctx);                   /* non-zero: stop (HU_EUNAVAIL); may be NULL */
    void *cancel_ctx;
};
struct hu__be_export_stats {
    size_t campaigns, accounts;
    uint64_t skipped;           /* journal rows damaged or no longer parsing */
    double threshold;           /* nats */
    int calibrated;
};
HU_MUST_CHECK int hu__be_export_library(const struct hu__be_export *x, struct hu_store *st, uint64_t upto,
                                        struct hu__be_export_stats *stats, char *errbuf, size_t errcap);

/* Campaigns of `r` as a JSON array (campaigns.json's format). */
HU_MUST_CHECK int hu__be_campaigns_json(const struct hu_results *r, struct hu_buf *out);

#endif
