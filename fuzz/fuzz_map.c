/*
 * fuzz_map.c -- --map files (hu_map_parse) and lines read through a map.
 *
 * Input: the map text, then optionally a line "%%" and JSON Lines that are
 * parsed through the map when it was accepted (JSON paths with [-1],
 * nested objects, type mismatches).  Property: a rejected map leaves *out
 * NULL and a message; an accepted one has at most HU_MAX_MAP_RULES rules.
 */
#include <string.h>

#include "core/limits.h"
#include "fuzz/fuzz.h"
#include "ingest/ingest.h"
#include "ingest/map.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    size_t mlen = size;
    const char *rest = NULL;
    size_t rlen = 0;
    const char *sep = memmem(text, size, "\n%%\n", 4);
    if (sep) {
        mlen = (size_t)(sep - text) + 1;
        rest = sep + 4;
        rlen = size - (size_t)(rest - text);
    }
    struct hu_map *m = NULL;
    char err[256];
    err[0] = 0;
    int rc = hu_map_parse(&m, text, mlen, "fuzz.map", err, sizeof err);
    if (rc != HU_OK) {
        FUZZ_CHECK(m == NULL);
        FUZZ_CHECK(err[0] != 0);
        return 0;
    }
    FUZZ_CHECK(m->n_rules <= HU_MAX_MAP_RULES);
    struct hu_line_parser *lp = NULL;
    if (rest && hu_line_parser_create(&lp, m) == HU_OK) {
        while (rlen) {
            const char *nl = memchr(rest, '\n', rlen);
            size_t l = nl ? (size_t)(nl - rest) : rlen;
            struct hu_event ev;
            (void)hu_line_parse(lp, rest, l, &ev);
            rest += l + (nl ? 1 : 0);
            rlen -= l + (nl ? 1 : 0);
        }
    }
    hu_line_parser_destroy(lp);
    hu_map_destroy(m);
    return 0;
}
