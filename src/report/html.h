/*
 * html.h -- report.html: one self-contained page an analyst reads top to
 * bottom (docs/report.md).
 *
 *     struct hu_report_input in = { .res = &res, .profiles = ..., .dict = ...,
 *                                   .paths = argv + optind, .n_paths = n,
 *                                   .map_path = map };
 *     hu_report_html_write(f, &in);
 *
 * The page: a summary (campaigns, accounts, requests, share of traffic,
 * time span, traffic over time); one card per campaign (accounts, volume,
 * targets, infrastructure, timeline against all other traffic, a 7 x 24
 * day-of-week x hour-of-day heatmap, the strongest evidence sentences, a
 * graph of its accounts and the entities that link them, its indicators);
 * a ranked, sortable and filterable table of flagged accounts with their
 * reasons; a provenance footer (huella version, input time range, policy
 * digest).  Inline CSS and SVG (svg.h), the data as JSON inside
 * <script type="application/json">, one small inline script for the table;
 * no network access, no wall clock: the same input gives the same bytes.
 *
 * Every value that came from the input (account ids, indicator values,
 * user agents) is escaped (svg.h hu_xml_escape; JSON with < > & as \uXXXX),
 * so hostile ids cannot inject markup or script.  Prompt text is never in
 * struct hu_results, the profiles or the dictionary, so it cannot appear.
 *
 * Timeline and heatmap data (html_series.c): profiles keep no daily series,
 * so the writer reads the input files a second time, counting requests per
 * time bucket for all traffic and for the accounts of each drawn campaign,
 * and day-of-week x hour-of-day per campaign.  Memory is
 * O(drawn campaigns x buckets + their members), independent of the number
 * of events.  Inputs that cannot be re-read (standard input, pipes) get
 * a note instead of the timeline and a heatmap from the profiles' separate
 * hour-of-day and day-of-week histograms.
 */
#ifndef HU_REPORT_HTML_H
#define HU_REPORT_HTML_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "huella/hu_status.h"
#include "profile/entity_dict.h"
#include "profile/profile_table.h"
#include "score/results.h"

/* Size bounds of the page (each stated in the page when it applies).  A
 * run with a million flagged accounts and thousands of campaigns still
 * gives a page a browser opens in a second, a few MB. */
#define HU_REPORT_MAX_CARDS        30u    /* campaign cards, strongest first */
#define HU_REPORT_MAX_FLAGGED      2000u  /* rows of the flagged-accounts table */
#define HU_REPORT_MAX_GRAPH_NODES  200u   /* accounts + entities per campaign graph */
#define HU_REPORT_MAX_GRAPH_ENT    60u    /* of which entities at most */
#define HU_REPORT_MAX_CARD_IDS     40u    /* account ids listed on a card */
#define HU_REPORT_MAX_CARD_IND     40u    /* indicator rows on a card */
#define HU_REPORT_MAX_EVIDENCE     6u     /* evidence sentences on a card */
#define HU_REPORT_MAX_BUCKETS      400u   /* time buckets of a timeline */
#define HU_REPORT_MAX_BYTES        (64u << 20)   /* the page's buffer cap */

struct hu_report_input {
    const struct hu_results *res;              /* required */
    const struct hu_profile_table *profiles;   /* required; record i is res->accounts[i] */
    const struct hu_entity_dict *dict;         /* may be NULL: entities print as hashes */
    /* The inputs, for the timeline's second pass (NULL/0: no timeline).
     * "-", FIFOs and other non-regular files are not re-read. */
    const char *const *paths;
    size_t n_paths;
    const char *map_path;                      /* --map, or NULL */
    uint64_t events, rejects;                  /* ingest counters, for the summary */
};

/* Time series of one run (html_series.c). */
struct hu_report_series {
    int available;              /* 1 if the second pass ran */
    int64_t t0_ms;              /* start of bucket 0 */
    int64_t bucket_ms;          /* bucket width */
    uint32_t n_buckets;
    uint64_t *all;              /* [n_buckets] requests of every account */
    uint32_t n_cards;
    uint64_t *camp;             /* [n_cards * n_buckets] requests of card c's members */
    uint64_t *heat;             /* [n_cards * 7 * 24] by (dow, hour), Monday = 0, UTC */
    char note[160];             /* why not available, when not */
};

/* Count the series for the first n_cards campaigns of in->res by reading
 * in->paths again.  HU_OK (check s->available) or HU_ENOMEM.  Cost: one
 * parse of the input (no features), O(1) per event. */
HU_MUST_CHECK int hu_report_series_collect(const struct hu_report_input *in, uint32_t n_cards,
                                           struct hu_report_series *s);
void hu_report_series_fini(struct hu_report_series *s);
/* Bucket width for a span (ms): the smallest of 1, 2, 3, 6, 12 hours, 1,
 * 2, 7 days ... giving at most HU_REPORT_MAX_BUCKETS buckets. */
int64_t hu_report_bucket_ms(int64_t span_ms);

/* Write the page to `out`.  HU_OK, HU_EINVAL (missing input), HU_EIO,
 * HU_ENOMEM or HU_ETOOBIG (page over HU_REPORT_MAX_BYTES, not expected
 * with the caps above). */
HU_MUST_CHECK int hu_report_html_write(FILE *out, const struct hu_report_input *in);

#endif
