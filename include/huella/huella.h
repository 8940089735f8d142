/*
 * huella.h -- libhuella, the one public header: featurize LLM API events
 * in process (docs/featurize.md, docs/formats/features.md).
 *
 * A gateway that must not keep prompt text hands each request, as one line
 * of huella's event contract (JSON), to libhuella and logs what comes back:
 * the same event with `system`, `prompt` and `messages` replaced by a
 * `features` object of keyed hashes and scores.  `huella analyze` reaches
 * the same verdicts on those lines as on the raw ones.
 *
 *     #include <huella/huella.h>
 *
 *     struct hu_featurizer_options opt = HU_FEATURIZER_OPTIONS_INIT;
 *     opt.key_file = "/etc/huella/feature.key";
 *     struct hu_featurizer *fz;                      // once per process
 *     if (hu_featurizer_create(&opt, &fz, err, sizeof err) != HU_OK) ...
 *     struct hu_fz_session *s;                       // once per thread
 *     if (hu_fz_session_create(fz, &s) != HU_OK) ...
 *     const char *out; size_t out_len;
 *     int rc = hu_fz_session_line(s, line, len, &out, &out_len);
 *     if (rc > 0) log(out, out_len);                 // HU_LINE_*
 *     else if (rc == HU_EPARSE) count(hu_fz_session_reject_reason(s));
 *     hu_fz_session_destroy(s);
 *     hu_featurizer_destroy(fz);
 *
 * ABI.  The library is libhuella.so.HU_ABI_VERSION; it exports only the
 * functions below (a linker version script hides the engine), under the
 * symbol version HUELLA_1.  Compatible additions keep the soname; a change
 * that breaks callers bumps HU_ABI_VERSION.  Option structs start with
 * their size (struct_size), so new fields can be appended without breaking
 * programs built against an older header.  hu_abi_version() tells a
 * program which ABI it was loaded with.
 *
 * Threads.  A struct hu_featurizer is immutable once created: any number
 * of threads may use it at once.  A struct hu_fz_session is one thread's
 * scratch (parser, buffers): never use one from two threads at a time.
 * No call blocks, sleeps, or does I/O, except hu_featurizer_create (reads
 * key_file) and the first create in a process (compiles the phrase table,
 * 0.3-0.7 s).  There is no mutable global state: the compiled phrase
 * table is shared between featurizers of one process, immutable, with a
 * reference count under a mutex, and a few constant lookup tables are
 * built once (pthread_once).
 *
 * Ownership.  Every struct is allocated by its create and freed by its
 * destroy (destroy(NULL) does nothing).  Strings passed in are borrowed for
 * the call only.  Strings returned (out, obj, reason) are owned by the
 * session and stay valid until the session's next call or its destroy.
 *
 * Errors.  Functions return HU_OK (0), a positive outcome (HU_LINE_*), or a
 * negative status of hu_status.h; hu_status_str() says it in words.
 * Messages never contain the event's text.
 */
#ifndef HUELLA_H
#define HUELLA_H

#include <stddef.h>
#include <stdint.h>
#include "huella/hu_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI this header describes (the soname's number). */
#define HU_ABI_VERSION 1

/* HU_ABI_VERSION of the library actually loaded. */
int hu_abi_version(void);
/* Version of the library ("0.1.0"); static storage. */
const char *hu_version(void);

/* ---- the featurizer: one per process, shared by threads ------------------ */

struct hu_featurizer;

struct hu_featurizer_options {
    size_t struct_size;      /* sizeof(struct hu_featurizer_options) */
    /* The deployment key (16..4096 bytes of secret material, used as is):
     * from a file, or from memory when key_file is NULL.  The same key must
     * be given to `huella analyze --feature-key` for raw traffic of the
     * deployment to link with featurized traffic. */
    const char *key_file;
    const void *key;
    size_t key_len;
    /* 1: no key, plain hashes.  Must be set explicitly when no key is
     * given: unkeyed hashes of text can be tested against a dictionary of
     * common prompts by whoever holds them. */
    int unkeyed;
};
#define HU_FEATURIZER_OPTIONS_INIT { sizeof(struct hu_featurizer_options), NULL, NULL, 0, 0 }

/* Create a featurizer.  HU_OK; HU_EINVAL (bad options: no key and not
 * unkeyed, a key of the wrong size, struct_size too small); HU_ENOENT /
 * HU_EIO (key file unreadable); HU_ENOMEM; HU_EINTERNAL.  On failure *out
 * is NULL and errbuf (if given) holds a reason.  Cost: reads the key; the
 * first featurizer of a process compiles the phrase table (0.3-0.7 s). */
HU_MUST_CHECK int hu_featurizer_create(const struct hu_featurizer_options *opt,
                                       struct hu_featurizer **out, char *errbuf, size_t errcap);
void hu_featurizer_destroy(struct hu_featurizer *fz);

/* Public id of the key (the `key` of every features object it writes),
 * 0 when unkeyed.  It reveals nothing about the key. */
uint64_t hu_featurizer_key_id(const struct hu_featurizer *fz);

/* ---- sessions: one per thread -------------------------------------------- */

struct hu_fz_session;

/* HU_OK, HU_EINVAL, HU_ENOMEM.  The featurizer must outlive the session. */
HU_MUST_CHECK int hu_fz_session_create(const struct hu_featurizer *fz, struct hu_fz_session **out);
void hu_fz_session_destroy(struct hu_fz_session *s);

/* Outcomes of hu_fz_session_line (positive). */
#define HU_LINE_FEATURIZED 1  /* text replaced by a new features object */
#define HU_LINE_KEPT       2  /* already featurized: copied as it is */
#define HU_LINE_NO_TEXT    3  /* no text to replace: copied */

/* Featurize one event line, line[0..len) (one JSON object of the event
 * contract; a trailing newline is allowed; no padding needed).  On success
 * *out / *out_len is the new line, without newline, NUL-terminated, owned
 * by the session.  Returns HU_LINE_*; HU_EPARSE when the line is not a
 * usable event (hu_fz_session_reject_reason says why; do not log the line:
 * it may hold text); HU_EINVAL; HU_ENOMEM; HU_ETOOBIG (line over 16 MiB).
 * Cost: O(len), about 6 us for a 1 KB request on one core
 * (bench/bench_featurize.c); no allocation in the steady state. */
HU_MUST_CHECK int hu_fz_session_line(struct hu_fz_session *s, const char *line, size_t len,
                                     const char **out, size_t *out_len);

/* The `features` object of the last successful line (for gateways that
 * write their own log lines): *obj / *len, NUL-terminated, owned by the
 * session; HU_OK, or HU_ENOENT when that line had none (HU_LINE_NO_TEXT). */
HU_MUST_CHECK int hu_fz_session_features(const struct hu_fz_session *s, const char **obj, size_t *len);

/* Why the last line was rejected ("missing_ts", "not_json", ...; the
 * reasons of docs/events.md), or NULL if it was not. */
const char *hu_fz_session_reject_reason(const struct hu_fz_session *s);

/* ---- the decision client ---------------------------------------------------
 * A client for `POST /v1/decide` of `huella serve` belongs here; the
 * service is not part of this release, so neither is the client
 * (docs/featurize.md, "Left to do"). */

#ifdef __cplusplus
}
#endif

#endif
