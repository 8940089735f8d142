/*
 * linker.h -- `huella linker`: gathers the workers' profile summaries,
 * runs the analysis `huella analyze` runs (score/analysis.c, from
 * hu_analysis_finish on), writes accounts.csv and campaigns.json, and
 * publishes decisions and campaign state to the huella_decisions bucket.
 */
#ifndef HU_CLUSTER_LINKER_H
#define HU_CLUSTER_LINKER_H

#include <stddef.h>
#include <stdint.h>
#include "huella/hu_status.h"

struct hu_linker_opts {
    const char *urls;
    const char *out_dir;          /* NULL: no files, only the bucket */
    const char *policy_path;      /* NULL: the default policy */
    int wait_s;                   /* > 0: first wait (at most this long) until every shard is caught up */
    int every_s;                  /* > 0: run again every this many seconds until SIGTERM */
    int no_publish;               /* 1: do not write the decisions bucket */
    /* --iocs BUNDLE (repeatable), --iocs-require-signed PUBKEY, --share-key
     * FILE: partners' indicators as evidence, exactly as `huella analyze`
     * takes them (matched in hu_analysis_finish against the profiles and
     * the entity values the summaries carry) */
    const char *const *iocs;
    size_t n_iocs;
    const char *const *pubkeys;
    size_t n_pubkeys;
    const char *share_key_path;
    int quiet;
};

/* Returns a process exit status (0, 1 failure, 2 usage). */
int hu_linker_run(const struct hu_linker_opts *o);

#endif
