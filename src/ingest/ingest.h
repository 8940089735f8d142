/*
 * ingest.h -- read event lines from files, stdin or a buffer; the manual.
 *
 * Two entry points, one parser:
 *
 *   1. struct hu_ingest streams events out of a list of sources (paths,
 *      "-" for standard input; plain, gzip or zstd, detected by magic
 *      bytes).  It never holds an input in memory: a read buffer frames
 *      lines with memchr, a line longer than HU_MAX_LINE_BYTES is rejected
 *      and skipped to its newline.  Used by `analyze`, `stats`, tests.
 *
 *          struct hu_ingest *ing;
 *          if (hu_ingest_create(&ing, paths, n, &opts) != HU_OK) ...exit 2
 *          struct hu_event ev;
 *          int rc;
 *          while (hu_ingest_next(ing, &ev) == 1) use(&ev);   (rc < 0: failure)
 *          if (rc < 0) ...internal failure (out of memory)
 *          hu_ingest_destroy(ing);
 *
 *   2. struct hu_line_parser parses one line from (buf, len) into an
 *      event or a reject reason: the HTTP service's entry point.
 *
 * Bad input is never fatal (STYLE.md 17): a line that cannot be used is
 * rejected with a reason from HU_REJECT_MAP, counted, the first
 * HU_MAX_REJECTS_SHOWN reported on stderr as "file:line: reason" (never
 * the line's content), all of them written to opts.rejects_path if set.  A
 * truncated or corrupt compressed source is reported ("x.zst: truncated
 * zstd frame after 1234 lines"), what was read before it is kept, and the
 * next source follows; the source's status says so.
 *
 * Strings in an event are spans valid until the next call on the same
 * ingest / line parser (event.h).  Neither object is thread-safe; use one
 * per thread.
 */
#ifndef HU_INGEST_INGEST_H
#define HU_INGEST_INGEST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "huella/hu_status.h"
#include "ingest/event.h"

/* ---- reject reasons ---------------------------------------------------- */

/* name (stable, used in counters, rejects files, JSON output), meaning */
#define HU_REJECT_MAP(X)                                                         \
    X(NOT_JSON,           "not_json",           "not valid JSON (or trailing bytes after the object)") \
    X(NOT_OBJECT,         "not_object",         "valid JSON but not an object")                \
    X(INVALID_UTF8,       "invalid_utf8",       "the line is not valid UTF-8")                 \
    X(TOO_DEEP,           "too_deep",           "nesting deeper than HU_MAX_JSON_DEPTH")       \
    X(LINE_TOO_LONG,      "line_too_long",      "line longer than HU_MAX_LINE_BYTES")          \
    X(MISSING_TS,         "missing_ts",         "no `ts` (or it was null)")                    \
    X(BAD_TS,             "bad_ts",             "`ts` is not RFC 3339 / epoch, or out of range") \
    X(MISSING_ACCOUNT_ID, "missing_account_id", "request/account line without a non-empty `account_id`") \
    X(MISSING_MODEL,      "missing_model",      "model_release line without a non-empty `model`") \
    X(WRONG_TYPE,         "wrong_type",         "a known field has a value of the wrong JSON type") \
    X(ID_TOO_LONG,        "id_too_long",        "an identifier longer than HU_MAX_ID_BYTES")   \
    X(UNKNOWN_KIND,       "unknown_kind",       "`kind` is not request, account or model_release")

enum hu_reject {
    HU_REJECT_NONE = 0,
#define HU__REJECT_ENUM(id, name, desc) HU_REJECT_##id,
    HU_REJECT_MAP(HU__REJECT_ENUM)
#undef HU__REJECT_ENUM
    HU_REJECT_COUNT
};

/* "not_json", ...; "none" for HU_REJECT_NONE, "unknown" out of range. */
const char *hu_reject_name(enum hu_reject r);
/* One-sentence meaning; never NULL. */
const char *hu_reject_desc(enum hu_reject r);

/* ---- compression ------------------------------------------------------- */

enum hu_codec { HU_CODEC_PLAIN = 0, HU_CODEC_GZIP, HU_CODEC_ZSTD };
/* "plain", "gzip", "zstd". */
const char *hu_codec_name(enum hu_codec c);

/* ---- counters ---------------------------------------------------------- */

/* Plain counters, per source and in total.  Cheap: updated per line. */
struct hu_ingest_counters {
    uint64_t lines;              /* lines framed, including blank and rejected */
    uint64_t bytes;              /* uncompressed bytes of those lines (with '\n') */
    uint64_t bytes_in;           /* bytes read from the file (compressed size) */
    uint64_t blank_lines;        /* empty or whitespace-only: skipped, not rejected */
    uint64_t events;             /* lines that became events */
    uint64_t events_by_kind[3];  /* indexed by enum hu_event_kind */
    uint64_t rejects;            /* lines rejected, all reasons */
    uint64_t rejects_by_reason[HU_REJECT_COUNT];
    uint64_t fields_truncated;   /* text fields cut to HU_MAX_FIELD_BYTES */
    uint64_t tools_dropped;      /* tools beyond HU_MAX_TOOLS (counted only) */
};

/* Add every counter of `b` to `a`. */
void hu_ingest_counters_add(struct hu_ingest_counters *a, const struct hu_ingest_counters *b);

/* One input as the ingest sees it. */
struct hu_ingest_source {
    const char *name;            /* as given ("-" for stdin); owned by ingest */
    enum hu_codec codec;         /* known once the source was opened */
    int status;                  /* HU_OK; HU_ECORRUPT truncated/corrupt
                                  * compressed data; HU_EIO read error;
                                  * HU_ENOENT could not be opened */
    int done;                    /* 1 once fully read (or failed) */
    struct hu_ingest_counters c;
};

/* ---- mapping foreign log shapes (--map) -------------------------------- */

struct hu_map;   /* see ingest/map.h */

/* ---- the streaming ingest ---------------------------------------------- */

struct hu_ingest_opts {
    /* --map FILE: lines `field = json.path`; NULL: the contract itself. */
    const char *map_path;
    /* --rejects FILE: every rejected line as JSON Lines
     * {"source","line","reason","field"}; NULL: none.  Truncated on open. */
    const char *rejects_path;
    /* 1: report nothing per line on stderr (counters still count). */
    int quiet;
    /* Rejected lines reported on stderr; 0 means HU_MAX_REJECTS_SHOWN. */
    unsigned max_rejects_shown;
    /* Where reports go; NULL means stderr. */
    FILE *err;
};

struct hu_ingest;

/* Prepare to read `paths[0..n)` in order ("-" is standard input, at most
 * once).  Every path is checked here (stat + access, not opened: a FIFO
 * keeps its data) so that a typo fails before any work; the map file is
 * parsed and the rejects file created.  `paths` are copied; `opts` may be NULL.
 * Returns HU_OK; HU_EINVAL (n == 0, "-" twice); HU_ENOENT / HU_EIO (a
 * path is unreadable); HU_EPARSE (bad map file); HU_ENOMEM.  On failure
 * *out is NULL and a message naming the file (and map line) is in
 * `err`/`errcap` when given, and printed to opts->err unless quiet. */
HU_MUST_CHECK int hu_ingest_create(struct hu_ingest **out, const char *const *paths,
                                   size_t n, const struct hu_ingest_opts *opts);

/* Same, with an already parsed map (borrowed; must outlive the ingest). */
HU_MUST_CHECK int hu_ingest_create_with_map(struct hu_ingest **out, const char *const *paths,
                                            size_t n, const struct hu_ingest_opts *opts,
                                            const struct hu_map *map);

/* The next event, in input order.  Returns 1 (ev filled, its spans valid
 * until the next call), 0 (every source is read), or a negative status on
 * an internal failure (HU_ENOMEM, HU_EIO on the rejects file); bad lines
 * and broken sources are never fatal.  Cost: O(line length) per line. */
HU_MUST_CHECK int hu_ingest_next(struct hu_ingest *ing, struct hu_event *ev);

/* Counters over every source so far (live during the run). */
const struct hu_ingest_counters *hu_ingest_totals(const struct hu_ingest *ing);
size_t hu_ingest_n_sources(const struct hu_ingest *ing);
/* Borrowed view of source i (i < n_sources); NULL if out of range. */
const struct hu_ingest_source *hu_ingest_source_view(const struct hu_ingest *ing, size_t i);
/* Sources that ended with an error (truncated, corrupt, unreadable). */
size_t hu_ingest_n_failed_sources(const struct hu_ingest *ing);
/* Index of the source being read (n_sources when done). */
size_t hu_ingest_current_source(const struct hu_ingest *ing);

/* NULL is a no-op.  Closes files, flushes the rejects file. */
void hu_ingest_destroy(struct hu_ingest *ing);

/* ---- one line from a buffer (HTTP service) ----------------------------- */

/* Bytes that must be readable after the end of a line handed to
 * hu_line_parse_padded() (simdjson reads whole 64-byte blocks; the content
 * of those bytes does not matter).  The shim checks it is >= the
 * library's SIMDJSON_PADDING at compile time. */
#define HU_JSON_PADDING 64u

struct hu_line_parser;

/* Create a parser for lines of the contract (map == NULL) or of a foreign
 * shape (map borrowed, must outlive the parser).  HU_OK or HU_ENOMEM. */
HU_MUST_CHECK int hu_line_parser_create(struct hu_line_parser **out, const struct hu_map *map);
/* NULL is a no-op. */
void hu_line_parser_destroy(struct hu_line_parser *lp);

/* Parse one line (no trailing newline needed; a trailing "\r" or "\n" is
 * ignored) from buf[0..len).  The bytes are copied into the parser's
 * padded buffer first, so buf needs no padding and may be freed after the
 * call.  Returns HU_REJECT_NONE with *ev filled (spans valid until the next
 * call on lp), or the reject reason (ev is then unspecified).  Cost:
 * O(len); never reads past buf + len.  Empty input is NOT_JSON. */
enum hu_reject hu_line_parse(struct hu_line_parser *lp, const char *buf, size_t len,
                             struct hu_event *ev);
/* The same without the copy: HU_JSON_PADDING bytes after buf + len must be
 * readable (their content is irrelevant). */
enum hu_reject hu_line_parse_padded(struct hu_line_parser *lp, const char *buf, size_t len,
                                    struct hu_event *ev);
/* Contract field the last reject was about ("ts", "tools", ...), or NULL. */
const char *hu_line_parser_reject_field(const struct hu_line_parser *lp);

#endif
