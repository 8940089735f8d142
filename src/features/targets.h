/*
 * targets.h -- what a prompt tries to extract: per-target scores in 0..1.
 *
 * Three sources, combined per target (docs/internals/features.md):
 *   1. phrase patterns, rows of a table (pattern, target, weight, language,
 *      note) compiled once into Hyperscan block-mode databases (targets.c
 *      says how) and run over the scan text (normalised, masked except
 *      names);
 *   2. request-shape hints from the event: declared tools, tool_use /
 *      tool_result blocks, image blocks, tool names that look like a
 *      computer-use or coding harness, thinking requested;
 *   3. optionally a linear model over hashed word n-grams (linear.h).
 * Pattern and hint weights add up per target and saturate:
 * rules = 1 - exp(-sum).  With a model, score = max(rules, model).
 *
 * A score says what the prompt asks for, never that the account is bad:
 * honest benchmark runners write "think step by step", coding agents call
 * tools all day.  Judgement is made later, over an account's aggregate and
 * across accounts.
 */
#ifndef HU_FEATURES_TARGETS_H
#define HU_FEATURES_TARGETS_H

#include <stddef.h>
#include <stdint.h>
#include "huella/hu_status.h"
#include "features/features.h"
#include "ingest/event.h"

/* One row of the phrase table. */
struct hu_target_pattern {
    const char *re;        /* Hyperscan regex over lower-cased, whitespace-collapsed,
                            * masked text (numbers read "<num>", quotes "<str>") */
    uint8_t target;        /* enum hu_target */
    float weight;          /* added to the target's sum on a hit (once per prompt) */
    const char *lang;      /* "en", "zh", "es", "fr", "de", "ru", "ko", "ja", "*" */
    const char *note;      /* why this phrase, what honest use it may also have */
};

/* The built-in table (static storage) and its length. */
const struct hu_target_pattern *hu_targets_table(size_t *n);

struct hu_targets;          /* compiled database: immutable, shared */
struct hu_targets_scratch;  /* per thread */

/* Compile the built-in table, or take a reference to the process-wide
 * copy if one is alive (thread-safe).  HU_OK, HU_ENOMEM, or HU_EINTERNAL
 * when a pattern does not compile (errbuf names the row).  The first call
 * costs ~0.3 s (bench_features, 2026-11); later ones O(1).  Each create
 * needs one destroy. */
HU_MUST_CHECK int hu_targets_create(struct hu_targets **out, char *errbuf, size_t errcap);
void hu_targets_destroy(struct hu_targets *t);
HU_MUST_CHECK int hu_targets_scratch_create(const struct hu_targets *t,
                                            struct hu_targets_scratch **out);
void hu_targets_scratch_destroy(struct hu_targets_scratch *s);

/* Add the weights of the patterns that match scan[0..len) to sum[] (one
 * hit per pattern per call, in the order of the first match's end).
 * Returns the number of distinct patterns that matched; if hits != NULL
 * the first `hits_cap` pattern indexes are stored there, in that order.
 * scan must be scan text (hu_text_normalise): rows without non-ASCII
 * letters are matched case-sensitively, in lower case.  O(len), no
 * allocation. */
size_t hu_targets_scan(const struct hu_targets *t, struct hu_targets_scratch *s,
                       const char *scan, size_t len, float sum[HU_TARGET_COUNT],
                       uint32_t *hits, size_t hits_cap);

/* Add request-shape hints of ev to sum[].  O(tools). */
void hu_targets_shape(const struct hu_event *ev, float sum[HU_TARGET_COUNT]);
/* The same in two steps, for callers that cache the first (the tool list
 * repeats from request to request): which word lists ev's declared tool
 * names hit (bit 0 computer use, bit 1 coding; O(tool name bytes)), then
 * the hints given those bits (O(1)).  hu_targets_shape(ev, sum) ==
 * hu_targets_shape_with(ev, hu_targets_tool_kinds(ev), sum). */
unsigned hu_targets_tool_kinds(const struct hu_event *ev);
void hu_targets_shape_with(const struct hu_event *ev, unsigned tool_kinds, float sum[HU_TARGET_COUNT]);

/* Saturate sums into scores: out[t] = 1 - exp(-sum[t]). */
void hu_targets_saturate(const float sum[HU_TARGET_COUNT], float out[HU_TARGET_COUNT]);

#endif
