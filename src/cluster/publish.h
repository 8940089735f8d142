/*
 * publish.h -- `huella publish EVENTS... --nats URL` (publish.c has the
 * design: one message per contract line, shard subject, event id).
 */
#ifndef HU_CLUSTER_PUBLISH_H
#define HU_CLUSTER_PUBLISH_H

#include <stddef.h>
#include <stdint.h>

struct hu_publish_opts {
    const char *urls;
    const char *const *paths;
    size_t n_paths;
    unsigned shards_total;        /* 0: the cluster's (or the default for a new one) */
    const char *map_path;         /* --map: foreign log shape (ingest/map.h); NULL: the contract */
    const char *feature_key_path; /* with map_path: key of the published features; NULL: unkeyed */
    const char *model_file;       /* with map_path: the target model the features use; NULL: none */
    int quiet;
};

struct hu_publish_stats {
    uint64_t published, duplicates, rejected, bytes;
    unsigned shards;
    double seconds;
};

/* Returns a process exit status (0 every event confirmed stored; 1
 * failure: publish again; 2 usage). */
int hu_publish_run(const struct hu_publish_opts *o, struct hu_publish_stats *st);

#endif
