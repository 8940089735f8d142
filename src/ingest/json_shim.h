/*
 * json_shim.h -- the C side of the one C++ file (json_shim.cpp).
 *
 * Internal to ingest: hu_line_parser (ingest.h) is the public face.  The
 * shim owns simdjson's parsers and the scratch buffers that hold text
 * concatenated from content blocks; every span it puts in an event points
 * into the input line, simdjson's string buffer or those scratches, all
 * valid until the next parse on the same hu__json.  No C++ exception can
 * leave it (built with -fno-exceptions; simdjson's error-code API only).
 */
#ifndef HU_INGEST_JSON_SHIM_H
#define HU_INGEST_JSON_SHIM_H

#include <stddef.h>
#include "ingest/event.h"
#include "ingest/ingest.h"
#include "ingest/map.h"

#ifdef __cplusplus
extern "C" {
#endif

struct hu__json;

/* HU_OK or HU_ENOMEM. */
int  hu__json_create(struct hu__json **out);
void hu__json_destroy(struct hu__json *j);

/* Parse one contract line p[0..len) with HU_JSON_PADDING readable bytes
 * after it.  HU_REJECT_NONE and *ev filled, or a reason; *field names the
 * contract field a reason is about (NULL if none).  HU_REJECT_COUNT
 * means out of memory (a scratch buffer could not be allocated). */
enum hu_reject hu__json_parse(struct hu__json *j, const char *p, size_t len,
                              struct hu_event *ev, const char **field);

/* The same for a foreign shape through `map`. */
enum hu_reject hu__json_parse_mapped(struct hu__json *j, const struct hu_map *map,
                                     const char *p, size_t len, struct hu_event *ev,
                                     const char **field);

/* 1 if p[0..len) nests arrays/objects deeper than max (strings skipped). */
int hu__json_too_deep(const char *p, size_t len, unsigned max);

/* Benchmark hook (bench/bench_json.c): parse p[0..len) and visit every
 * value, decoding strings and numbers, as a DOM parser would.  Returns the
 * number of values, or -1 if the line is not a valid JSON object. */
long hu__json_walk_all(struct hu__json *j, const char *p, size_t len);

#ifdef __cplusplus
}
#endif
#endif
