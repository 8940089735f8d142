/*
 * status.h -- `huella cluster status`: what the cluster is doing, read
 * from the log itself (streams, cursors, lease bucket).
 */
#ifndef HU_CLUSTER_STATUS_H
#define HU_CLUSTER_STATUS_H

#include <stdio.h>

enum hu_status_format { HU_STATUS_TABLE = 0, HU_STATUS_JSON, HU_STATUS_PROMETHEUS };

/* Print the status to out.  Returns a process exit status (0, or 1 when
 * the cluster cannot be reached or does not exist). */
int hu_cluster_status(const char *urls, enum hu_status_format fmt, FILE *out);

#endif
