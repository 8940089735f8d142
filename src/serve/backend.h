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
HU_MUST_CHECK int hu__be_create(const struct hu_features_config *fx, struct hu__be **out,
                                char *errbuf, size_t errcap);
void hu__be_destroy(struct hu__be *b);
/* HU_OK, or a status when the event was lost to a resource limit. */
int hu__be_observe(struct hu__be *b, const struct hu_event *ev);
/* Linkage, campaigns, scores over everything observed.  Re-runnable.
 * `out` must be zeroed; free with hu_results_fini (before the backend). */
HU_MUST_CHECK int hu__be_finish(struct hu__be *b, struct hu_results *out);
/* Campaigns of `r` as a JSON array (campaigns.json's format). */
HU_MUST_CHECK int hu__be_campaigns_json(const struct hu_results *r, struct hu_buf *out);

#endif
