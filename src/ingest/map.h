/*
 * map.h -- `--map FILE`: read foreign log shapes as the event contract.
 *
 * A map file has one rule per line, `field = json.path`, with `#` comments
 * and blank lines:
 *
 *     # LiteLLM StandardLoggingPayload
 *     ts         = startTime
 *     account_id = metadata.user_api_key_hash
 *     prompt     = messages[-1].content
 *     ip         = metadata["requester_ip_address"]
 *
 * `field` is a contract field (fields.h, EVENTS.md).  A path is a chain of
 * steps: `key` (any bytes but . [ ] and spaces; `@timestamp` is a key),
 * `.key`, `[N]` (array index from 0), `[-N]` (from the end: [-1] is the
 * last), `["any key"]` (a quoted key, for keys with dots).  A leading `$.`
 * is allowed.  Only mapped fields are read: in map mode the line's own
 * top-level `ts` or `model` are ignored unless a rule names them.  `ts`
 * must be mapped.  A path that does not resolve on a line leaves the field
 * absent; then the usual rules apply (a missing account_id rejects a
 * request line).  Values are coerced where the intent is unambiguous: a
 * number where an id is expected becomes its decimal text (user: 12345),
 * a numeric string where an integer or ts is expected becomes the number
 * (nginx's "$request_time").  Everything else is checked as in the
 * contract.
 *
 * The map is parsed once per run; per line it costs one DOM parse and the
 * lookups (see docs/internals/ingest.md for the throughput).
 */
#ifndef HU_INGEST_MAP_H
#define HU_INGEST_MAP_H

#include <stddef.h>
#include <stdint.h>
#include "core/limits.h"
#include "huella/hu_status.h"
#include "ingest/fields.h"

/* Most steps in one path (deeper paths can never resolve: the JSON
 * itself may not nest deeper than HU_MAX_JSON_DEPTH). */
#define HU_MAP_MAX_STEPS HU_MAX_JSON_DEPTH
/* Largest map file, bytes. */
#define HU_MAP_MAX_FILE_BYTES (64u << 10)

struct hu_map_step {
    int is_index;               /* 1: [index]; 0: key */
    int64_t index;              /* negative: from the end */
    const char *key;            /* into the map's own storage, not NUL-terminated */
    size_t key_len;
};

struct hu_map_rule {
    enum hu__field field;
    uint32_t first_step, n_steps; /* into hu_map.steps */
    uint32_t line;              /* line of the map file, for messages */
};

/* Invariant: each field appears in at most one rule; `ts` has one. */
struct hu_map {
    char *name;                 /* file name, for messages */
    char *text;                 /* copy of the file: keys point into it */
    uint32_t n_rules, n_steps;
    struct hu_map_rule rules[HU_MAX_MAP_RULES];
    struct hu_map_step steps[HU_MAX_MAP_RULES * 8];
};

/* Parse map text (text[0..len), need not be NUL-terminated; `name` for
 * messages).  HU_OK and *out (free with hu_map_destroy), or HU_EPARSE with
 * "name:line: reason" in err (no input text is quoted beyond the field
 * name), HU_ETOOBIG (file or rule count over the limits), HU_ENOMEM.
 * Cost: O(len). */
HU_MUST_CHECK int hu_map_parse(struct hu_map **out, const char *text, size_t len,
                               const char *name, char *err, size_t errcap);
/* Read and parse a map file.  Also HU_ENOENT / HU_EIO for an unreadable
 * file (message in err). */
HU_MUST_CHECK int hu_map_load(struct hu_map **out, const char *path, char *err, size_t errcap);
/* NULL is a no-op. */
void hu_map_destroy(struct hu_map *m);

/* Contract field name of a field id ("account_id"). */
const char *hu__field_name(enum hu__field f);
enum hu__ftype hu__field_type(enum hu__field f);

#endif
