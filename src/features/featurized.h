/*
 * featurized.h -- the `features` object of the event contract: text
 * features in place of text (docs/formats/features.md is the format).
 *
 * `huella featurize` replaces `system`, `prompt` and `messages` of a
 * request by exactly what struct hu_req_features takes from them:
 *
 *   template_hash, system_hash, simhash, head_hash, tail_hash,
 *   prompt_chars, lang, target[] (final scores: phrases + request shape),
 *   and the message / content-block counts that request shape needs.
 *
 * Analysis of the featurized event then yields the same struct
 * hu_req_features, bit for bit, as analysis of the raw event under the
 * same deployment key (tests/unit/test_featurized.c checks it field by
 * field over simulated traffic), hence the same profiles and verdicts.
 *
 * Deployment key (--feature-key FILE).  Unkeyed hashes of text can be
 * tested against a dictionary of common prompts by anybody who holds the
 * features; keyed ones cannot.  The file's bytes (16..4096 of them, e.g.
 * 32 random bytes from `huella featurize --new-key FILE`) are stretched
 * with BLAKE2b into three independent values:
 *   - a SipHash-2-4 key: every exact text hash (template, system, head,
 *     tail) h becomes SipHash_k(h) -- a PRF of the unkeyed hash, so equal
 *     texts still get equal hashes, and nothing is learnt without k;
 *   - a 64-bit SimHash seed: shingles are hashed with XXH3 seeded by it,
 *     so the signature keeps its locality (near-duplicates stay a few bits
 *     apart) but cannot be recomputed from a candidate text without the
 *     seed.  This one rests on a 64-bit secret seed of a non-cryptographic
 *     hash hidden behind a lossy majority vote: strong against dictionary
 *     tests in practice, weaker than the PRF above (documented in
 *     docs/featurize.md);
 *   - a key id (8 bytes, published as `key`), so that a consumer can tell
 *     features made under another key instead of silently failing to link.
 * The raw path of `huella analyze --feature-key FILE` applies the same key,
 * so raw and featurized traffic of one deployment mix freely.
 *
 * Cost: hu_fkey_hash is one SipHash of 8 bytes (~20 ns); writing an object
 * is ~0.3 us; reading one (featurized_json.cpp, simdjson) ~0.3 us.
 */
#ifndef HU_FEATURES_FEATURIZED_H
#define HU_FEATURES_FEATURIZED_H

#include <stddef.h>
#include <stdint.h>
#include "huella/hu_status.h"
#include "features/features.h"
#include "ingest/event.h"

/* Format version written as "v"; a reader refuses any other. */
#define HU_FEATURES_FORMAT 1

/* Key material accepted, in bytes (the whole file, as is). */
#define HU_FKEY_MIN_BYTES 16u
#define HU_FKEY_MAX_BYTES 4096u

/* Largest `features` object read (bytes of raw JSON).  A written object is
 * under 700 bytes; anything much larger is hostile or not ours, and is
 * ignored rather than parsed (the event then has no text features). */
#define HU_FEATURES_MAX_BYTES 4096u

/* A deployment key, derived once; plain data, copy freely. */
struct hu_fkey {
    unsigned char sip[16];     /* SipHash-2-4 key for exact text hashes */
    uint64_t simhash_seed;     /* XXH3 seed of SimHash shingles */
    uint64_t id;               /* public id of the key (never 0) */
};

/* Derive a key from key material p[0..len).  HU_OK; HU_EINVAL when len is
 * outside HU_FKEY_MIN_BYTES..HU_FKEY_MAX_BYTES or p is NULL.  O(len). */
HU_MUST_CHECK int hu_fkey_derive(const void *p, size_t len, struct hu_fkey *out);

/* Read a key file and derive.  HU_OK; HU_ENOENT / HU_EIO (unreadable),
 * HU_EINVAL (too short or too long); errbuf says which, naming the file
 * (never its content). */
HU_MUST_CHECK int hu_fkey_load(const char *path, struct hu_fkey *out, char *errbuf, size_t errcap);

/* Write 32 fresh random bytes to a new file `path` (mode 0600; refuses to
 * overwrite: HU_EEXIST).  HU_OK, HU_EIO. */
HU_MUST_CHECK int hu_fkey_generate(const char *path, char *errbuf, size_t errcap);

/* The keyed form of an exact text hash: SipHash_k(h as 8 LE bytes);
 * 0 (absent) stays 0 and a result of 0 becomes 1.  With k == NULL, h. */
uint64_t hu_fkey_hash(const struct hu_fkey *k, uint64_t h);

/* ---- the object ----------------------------------------------------------- */

/* What a `features` object holds, decoded.  `has` says which parts were
 * present: a part that is absent leaves its fields zero. */
enum {
    HU_FZ_HAS_PROMPT  = 1u << 0,   /* template, simhash, head, tail, prompt_chars, lang */
    HU_FZ_HAS_SYSTEM  = 1u << 1,   /* system */
    HU_FZ_HAS_TARGETS = 1u << 2,   /* targets (an empty object counts) */
    HU_FZ_HAS_MSGS    = 1u << 3,   /* messages counts */
    HU_FZ_HAS_KEY     = 1u << 4    /* key id */
};

struct hu_fz_msgs {
    uint32_t n, user, assistant, tool, image, tool_use, tool_result;
};

struct hu_fz_object {
    unsigned has;                    /* HU_FZ_HAS_* */
    uint64_t key_id;
    uint64_t template_hash, system_hash, simhash, head_hash, tail_hash;
    uint32_t prompt_chars;
    uint8_t  lang;                   /* enum hu_lang */
    float    target[HU_TARGET_COUNT];
    struct hu_fz_msgs msgs;
};

/* Fill o from an event and the features computed from it (under key k, or
 * NULL): the parts of `f` that came from text, and the message counts of
 * ev.  Pure.  O(1). */
void hu_fz_object_from(const struct hu_event *ev, const struct hu_req_features *f,
                       const struct hu_fkey *k, struct hu_fz_object *o);

/* Write o as a JSON object ({"v":1,...}, no spaces) into out[0..cap).
 * Returns the length written (a NUL follows when it fits), or the length
 * it needs when that is >= cap (nothing usable written): 1024 is always
 * enough.  Floats are written with 9 significant digits, which reads back
 * to the identical float. */
size_t hu_fz_object_write(const struct hu_fz_object *o, char *out, size_t cap);

/* Reading (featurized_json.cpp).  A reader owns a simdjson parser and a
 * padded copy buffer; one per thread. */
struct hu_fz_reader;
HU_MUST_CHECK int hu_fz_reader_create(struct hu_fz_reader **out);
void hu_fz_reader_destroy(struct hu_fz_reader *r);

/* Decode a `features` object from json[0..len) (no padding needed: it is
 * copied).  HU_OK; HU_ETOOBIG (len > HU_FEATURES_MAX_BYTES); HU_EVERSION
 * ("v" missing or not HU_FEATURES_FORMAT); HU_EPARSE (not an object, a
 * hash that is not 16 hex digits, a count or score of the wrong type or
 * out of range).  On failure o is zeroed.  Unknown keys are ignored.
 * O(len), no allocation after the first call. */
HU_MUST_CHECK int hu_fz_read(struct hu_fz_reader *r, const char *json, size_t len,
                             struct hu_fz_object *o);

/* Rewrite one event line: copy every top-level member of line[0..len)
 * except `system`, `prompt`, `messages` and `features`, byte for byte, and
 * append "features":obj[0..olen) (obj == NULL: append nothing).  The line
 * must be a JSON object that hu_line_parse accepted.  Output in out (a
 * hu_buf, reset first).  HU_OK; HU_EPARSE; HU_ENOMEM / HU_ETOOBIG from the
 * buffer.  O(len). */
struct hu_buf;
HU_MUST_CHECK int hu_fz_rewrite(struct hu_fz_reader *r, const char *line, size_t len,
                                const char *obj, size_t olen, struct hu_buf *out);
/* The same without the copy: HU_JSON_PADDING readable bytes follow line. */
HU_MUST_CHECK int hu_fz_rewrite_padded(struct hu_fz_reader *r, const char *line, size_t len,
                                       const char *obj, size_t olen, struct hu_buf *out);

/* ---- one line ------------------------------------------------------------- */

/* Outcomes of hu_fz_line (positive; failures are negative statuses). */
enum {
    HU_FZ_FEATURIZED = 1,   /* text replaced by a new `features` object */
    HU_FZ_KEPT,             /* already featurized (no text, a `features` object): kept */
    HU_FZ_NO_TEXT           /* no text and no object: copied, any empty text member dropped */
};

/* Featurize one event line line[0..len): parse it (lp, the contract; with
 * padded != 0 HU_JSON_PADDING readable bytes must follow the line), compute
 * its features with w (whose context holds key k, or NULL when unkeyed),
 * and write the rewritten line (no newline) into out.  If obj != NULL the
 * `features` object written (or kept) is also copied there (NUL-terminated,
 * *olen its length; 1024 bytes always suffice; 0 when there is none).
 * Returns HU_FZ_*; HU_EPARSE when the line is rejected (*why says why; the
 * caller drops it: a rejected line may hold text); HU_ENOMEM, HU_ETOOBIG.
 * Never writes text of the line anywhere but out.  O(len). */
struct hu_line_parser;
HU_MUST_CHECK int hu_fz_line(struct hu_fx_worker *w, struct hu_fz_reader *r, struct hu_line_parser *lp,
                             const struct hu_fkey *k, const char *line, size_t len, int padded,
                             struct hu_buf *out, char *obj, size_t objcap, size_t *olen,
                             int *why);

/* Write an event as one contract line (no newline) into out (reset
 * first): `ts` as RFC 3339 with milliseconds, `kind` unless a request,
 * every identity, network, client, shape and account field the event
 * holds, `label`, and "features":obj[0..olen) when obj != NULL -- never
 * `system`, `prompt` or `messages`.  Parsing the result gives the same
 * event but its text (thinking keeps its budget; tool names beyond
 * HU_MAX_TOOLS are not in the event, so not in the line).  HU_OK,
 * HU_EINVAL, HU_ENOMEM / HU_ETOOBIG from the buffer.  O(size of the
 * event). */
HU_MUST_CHECK int hu_fz_event_write(const struct hu_event *ev, const char *obj, size_t olen,
                                    struct hu_buf *out);

/* hu_fz_line for a parser with a map (a foreign log shape, --map): the
 * same parse and object, but the output is a contract line written from
 * the event (hu_fz_event_write), not the input line rewritten -- a
 * foreign line may hold text anywhere (responses, metadata), and only
 * the mapped fields are known not to be text.  Same returns as
 * hu_fz_line. */
HU_MUST_CHECK int hu_fz_line_mapped(struct hu_fx_worker *w, struct hu_line_parser *lp,
                                    const struct hu_fkey *k, const char *line, size_t len, int padded,
                                    struct hu_buf *out, char *obj, size_t objcap, size_t *olen,
                                    int *why);

/* "en", "zh", "es", "other"; NULL for HU_LANG_NONE.  And back: -1 if not
 * one of those. */
const char *hu_lang_code(int lang);
int hu_lang_from_code(const char *s, size_t len);

#endif
