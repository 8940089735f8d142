/*
 * html_int.h -- shared between the files of report.html (html.c,
 * html_graph.c, html_series.c); not for other modules.
 */
#ifndef HU_REPORT_HTML_INT_H
#define HU_REPORT_HTML_INT_H

#include "core/buf.h"
#include "report/html.h"

/* Draw the graph of campaign c's accounts and the entities (addresses,
 * prefixes, ASNs, payment and client fingerprints, user agents, system
 * prompts, tool sets, templates) that at least two of its members share:
 * an edge account -> entity for each shared value a member holds (from the
 * members' bounded sets, profile.h).  At most HU_REPORT_MAX_GRAPH_ENT
 * entities (the most shared) and HU_REPORT_MAX_GRAPH_NODES nodes in all
 * (accounts with the most edges first); a sentence saying what was left
 * out is appended to the caption.  Layout: Fruchterman-Reingold, fixed
 * start and iteration count, so deterministic.  Appends a <figure> to b.
 * HU_OK, HU_ENOMEM or the buffer's error.  Cost: O(members x 100) to count
 * entities plus O(nodes^2 x 100) for the layout (4M steps at 200 nodes). */
HU_MUST_CHECK int hu__report_graph(struct hu_buf *b, const struct hu_report_input *in,
                                   const struct hu_campaign_result *c);

/* Thousands-separated integer ("1,234,567") into out (cap >= 32). */
const char *hu__report_int(uint64_t v, char *out, size_t cap);

#endif
