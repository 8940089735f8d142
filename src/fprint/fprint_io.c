/*
 * fprint_io.c -- the fingerprint library file (docs/formats/fingerprint-library.md).
 *
 *   offset 0      4        6       8            12        16
 *          +------+--------+-------+------------+---------+-----------------
 *          | "HUfl"| version| flags | payload_len| check   | payload ...
 *          | 4 B  | u16 = 1| u16=0 | u32        | u32     |
 *          +------+--------+-------+------------+---------+-----------------
 *
 * check = low 32 bits of XXH3(bytes 0..11 || payload); every integer is
 * little-endian, every float an IEEE-754 binary32 bit pattern.  The
 * payload is the library header, then entries, then all tokens (entry by
 * entry, each entry's sorted by key).  The reader is the "safe" kind
 * (STYLE.md 11): a cursor that never reads past len, counts checked against
 * limits.h before anything is allocated, every value validated.
 */
#include "fprint/fprint.h"
#include "core/alloc.h"
#include "core/assert.h"
#include "core/hash.h"
#include "core/limits.h"
#include "sketch/sketch_io.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define FL_VERSION 1u
#define FL_HDR 16u
#define DIST_FLOATS (24 + HU_FP_NCAT + 3 + HU_FP_TOK_COUNT)
#define LIB_BYTES (8 + 8 + 4 + 4 + 8 + 8 + 4 * DIST_FLOATS + 4 + 4)
#define ENTRY_BYTES (24 + 8 + 8 + 8 + 4 + 4 + 8 + 4 + 4 * DIST_FLOATS + 4)
#define TOKEN_BYTES (8 + 4 + 4 + 1)

static uint32_t f2u(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static float u2f(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

static uint8_t *put_dist(uint8_t *p, const struct hu_fp_dist *d)
{
    for (int h = 0; h < 24; h++, p += 4) hu__put_u32(p, f2u(d->hour[h]));
    for (int k = 0; k < HU_FP_NCAT; k++, p += 4) hu__put_u32(p, f2u(d->target[k]));
    hu__put_u32(p, f2u(d->thinking)); p += 4;
    hu__put_u32(p, f2u(d->plen_mu)); p += 4;
    hu__put_u32(p, f2u(d->plen_sd)); p += 4;
    for (int t = 0; t < HU_FP_TOK_COUNT; t++, p += 4) hu__put_u32(p, f2u(d->present[t]));
    return p;
}

static const uint8_t *get_dist(const uint8_t *p, struct hu_fp_dist *d)
{
    for (int h = 0; h < 24; h++, p += 4) d->hour[h] = u2f(hu__get_u32(p));
    for (int k = 0; k < HU_FP_NCAT; k++, p += 4) d->target[k] = u2f(hu__get_u32(p));
    d->thinking = u2f(hu__get_u32(p)); p += 4;
    d->plen_mu = u2f(hu__get_u32(p)); p += 4;
    d->plen_sd = u2f(hu__get_u32(p)); p += 4;
    for (int t = 0; t < HU_FP_TOK_COUNT; t++, p += 4) d->present[t] = u2f(hu__get_u32(p));
    return p;
}

int hu_fp_lib_serialize(const struct hu_fp_lib *lib, uint8_t **out, size_t *len)
{
    size_t n_tok = 0;
    for (size_t i = 0; i < lib->n; i++) n_tok += lib->e[i].n_tok;
    size_t total = FL_HDR + LIB_BYTES + lib->n * ENTRY_BYTES + n_tok * TOKEN_BYTES;
    if (total > HU_MAX_FP_FILE_BYTES)
        return HU_ETOOBIG;
    uint8_t *b = hu_malloc(total), *p = b;
    if (!b)
        return HU_ENOMEM;
    memcpy(p, "HUfl", 4);
    hu__put_u16(p + 4, FL_VERSION);
    hu__put_u16(p + 6, 0);
    hu__put_u32(p + 8, (uint32_t)(total - FL_HDR));
    p += FL_HDR;
    hu__put_u64(p, lib->key_id); p += 8;
    hu__put_u64(p, (uint64_t)lib->created_ms); p += 8;
    hu__put_u32(p, f2u(lib->threshold)); p += 4;
    hu__put_u32(p, f2u(lib->half_life_days)); p += 4;
    hu__put_u64(p, lib->bg_accounts); p += 8;
    hu__put_u64(p, lib->bg_requests); p += 8;
    p = put_dist(p, &lib->bg);
    hu__put_u32(p, (uint32_t)lib->n); p += 4;
    hu__put_u32(p, (uint32_t)n_tok); p += 4;
    for (size_t i = 0; i < lib->n; i++) {
        const struct hu_fp_entry *e = &lib->e[i];
        memset(p, 0, 24);
        memcpy(p, e->id, strnlen(e->id, 23)); p += 24;
        hu__put_u64(p, (uint64_t)e->first_seen_ms); p += 8;
        hu__put_u64(p, (uint64_t)e->last_seen_ms); p += 8;
        hu__put_u64(p, (uint64_t)e->confirmed_ms); p += 8;
        hu__put_u32(p, e->members); p += 4;
        hu__put_u32(p, e->action); p += 4;
        hu__put_u64(p, e->requests); p += 8;
        hu__put_u32(p, f2u(e->score)); p += 4;
        p = put_dist(p, &e->d);
        hu__put_u32(p, e->n_tok); p += 4;
    }
    for (size_t i = 0; i < lib->n; i++)
        for (uint32_t k = 0; k < lib->e[i].n_tok; k++) {
            const struct hu_fp_token *t = &lib->tok[lib->e[i].tok_off + k];
            hu__put_u64(p, t->key); p += 8;
            hu__put_u32(p, f2u(t->pc)); p += 4;
            hu__put_u32(p, f2u(t->pb)); p += 4;
            *p++ = t->type;
        }
    hu_assert((size_t)(p - b) == total);
    XXH3_state_t st;
    XXH3_64bits_reset_withSeed(&st, HU_HASH_SEED);
    XXH3_64bits_update(&st, b, 12);
    XXH3_64bits_update(&st, b + FL_HDR, total - FL_HDR);
    hu__put_u32(b + 12, (uint32_t)XXH3_64bits_digest(&st));
    *out = b;
    *len = total;
    return HU_OK;
}

static int prob_ok(float x) { return isfinite(x) && x >= 0 && x <= 1.0001f; }

static const char *dist_validate(const struct hu_fp_dist *d)
{
    double s = 0;
    for (int h = 0; h < 24; h++) {
        if (!prob_ok(d->hour[h]) || d->hour[h] <= 0) return "hour share out of (0,1]";
        s += d->hour[h];
    }
    if (fabs(s - 1) > 1e-3) return "hour shares do not sum to 1";
    s = 0;
    for (int k = 0; k < HU_FP_NCAT; k++) {
        if (!prob_ok(d->target[k]) || d->target[k] <= 0) return "target share out of (0,1]";
        s += d->target[k];
    }
    if (fabs(s - 1) > 1e-3) return "target shares do not sum to 1";
    if (!(d->thinking > 0 && d->thinking < 1)) return "thinking share out of (0,1)";
    if (!isfinite(d->plen_mu) || d->plen_mu < 0 || d->plen_mu > 1e8) return "prompt length mean out of range";
    if (!isfinite(d->plen_sd) || d->plen_sd < 1 || d->plen_sd > 1e8) return "prompt length sd out of range";
    for (int t = 0; t < HU_FP_TOK_COUNT; t++)
        if (!(d->present[t] > 0 && d->present[t] < 1)) return "presence share out of (0,1)";
    return NULL;
}

const char *hu_fp_lib_validate(const struct hu_fp_lib *lib)
{
    if (lib->n > HU_MAX_FP_ENTRIES) return "too many entries";
    if (lib->n_tok > HU_MAX_FP_TOKENS) return "too many tokens";
    if (!isfinite(lib->threshold) || lib->threshold <= 0 || lib->threshold > 1e6) return "threshold out of range";
    if (!isfinite(lib->half_life_days) || lib->half_life_days < 0 || lib->half_life_days > 1e5)
        return "half-life out of range";
    const char *why = dist_validate(&lib->bg);
    if (why) return why;
    struct hu_u64map ids;
    if (hu_u64map_init(&ids, lib->n + 1))
        return "out of memory while validating";
    for (size_t i = 0; i < lib->n; i++) {
        const struct hu_fp_entry *e = &lib->e[i];
        size_t len = strnlen(e->id, sizeof e->id);
        uint64_t h = hu_hash(e->id, len);
        int dup = hu_u64map_get(&ids, h) != 0;
        if (!dup && hu_u64map_add(&ids, h, 1)) { hu_u64map_fini(&ids); return "out of memory while validating"; }
        if (dup) {
            for (size_t j = 0; j < i && !why; j++)
                if (!strcmp(lib->e[j].id, e->id)) why = "duplicate entry id";
            if (why) { hu_u64map_fini(&ids); return why; }
        }
        if (len == 0 || len >= sizeof e->id) { why = "entry id empty or not terminated"; goto out; }
        for (size_t c = 0; c < len; c++)
            if (e->id[c] <= ' ' || e->id[c] > '~' || e->id[c] == ';' || e->id[c] == '=' || e->id[c] == ',' ||
                e->id[c] == '"')
                { why = "entry id has a character outside printable ASCII"; goto out; }
        if (e->action >= HU_ACTION_COUNT) { why = "entry action out of range"; goto out; }
        if (!isfinite(e->score) || e->score < 0 || e->score > 1) { why = "entry score out of range"; goto out; }
        if (e->first_seen_ms > e->last_seen_ms) { why = "entry first_seen after last_seen"; goto out; }
        why = dist_validate(&e->d);
        if (why) goto out;
        if ((uint64_t)e->tok_off + e->n_tok > lib->n_tok) { why = "entry tokens out of range"; goto out; }
        const struct hu_fp_token *t = lib->tok + e->tok_off;
        for (uint32_t k = 0; k < e->n_tok; k++) {
            if (t[k].type >= HU_FP_TOK_COUNT) { why = "token type out of range"; goto out; }
            if (!prob_ok(t[k].pc) || !prob_ok(t[k].pb)) { why = "token share out of [0,1]"; goto out; }
            if (!t[k].key) { why = "token key 0"; goto out; }
            if (k && t[k].key <= t[k - 1].key) { why = "entry tokens not sorted and distinct"; goto out; }
        }
    }
out:
    hu_u64map_fini(&ids);
    return why;
}

int hu_fp_lib_deserialize_safe(struct hu_fp_lib *lib, const void *buf, size_t len, const char **why)
{
    const uint8_t *b = buf;
    const char *unasked;        /* where *why goes when the caller did not ask */
    if (!why) why = &unasked;
    *why = NULL;
    hu_fp_lib_init(lib);
    if (!b || len < FL_HDR) { *why = "shorter than the header"; return HU_ECORRUPT; }
    if (memcmp(b, "HUfl", 4)) { *why = "not a fingerprint library (bad magic)"; return HU_ECORRUPT; }
    if (hu__get_u16(b + 4) != FL_VERSION) { *why = "unsupported version"; return HU_EVERSION; }
    if (hu__get_u16(b + 6) != 0) { *why = "unknown flags"; return HU_ECORRUPT; }
    uint32_t plen = hu__get_u32(b + 8);
    if ((uint64_t)plen + FL_HDR != len) { *why = "payload length does not match the file size"; return HU_ECORRUPT; }
    XXH3_state_t st;
    XXH3_64bits_reset_withSeed(&st, HU_HASH_SEED);
    XXH3_64bits_update(&st, b, 12);
    XXH3_64bits_update(&st, b + FL_HDR, plen);
    if ((uint32_t)XXH3_64bits_digest(&st) != hu__get_u32(b + 12)) { *why = "checksum mismatch"; return HU_ECORRUPT; }
    const uint8_t *p = b + FL_HDR, *end = b + len;
    if ((size_t)(end - p) < LIB_BYTES) { *why = "truncated library header"; return HU_ECORRUPT; }
    lib->key_id = hu__get_u64(p); p += 8;
    lib->created_ms = (int64_t)hu__get_u64(p); p += 8;
    lib->threshold = u2f(hu__get_u32(p)); p += 4;
    lib->half_life_days = u2f(hu__get_u32(p)); p += 4;
    lib->bg_accounts = hu__get_u64(p); p += 8;
    lib->bg_requests = hu__get_u64(p); p += 8;
    p = get_dist(p, &lib->bg);
    uint32_t n = hu__get_u32(p), n_tok = hu__get_u32(p + 4);
    p += 8;
    if (n > HU_MAX_FP_ENTRIES || n_tok > HU_MAX_FP_TOKENS) { *why = "entry or token count over the limit"; return HU_ECORRUPT; }
    if ((uint64_t)n * ENTRY_BYTES + (uint64_t)n_tok * TOKEN_BYTES != (uint64_t)(end - p)) {
        *why = "entry and token counts do not match the length";
        return HU_ECORRUPT;
    }
    lib->e = hu_calloc(n ? n : 1, sizeof *lib->e);
    lib->tok = hu_calloc(n_tok ? n_tok : 1, sizeof *lib->tok);
    if (!lib->e || !lib->tok) { hu_fp_lib_fini(lib); hu_fp_lib_init(lib); *why = "out of memory"; return HU_ENOMEM; }
    lib->cap = n ? n : 1;
    lib->cap_tok = n_tok ? n_tok : 1;
    uint64_t off = 0;
    for (uint32_t i = 0; i < n; i++) {
        struct hu_fp_entry *e = &lib->e[i];
        memcpy(e->id, p, 24); p += 24;
        e->id[23] = 0;
        e->first_seen_ms = (int64_t)hu__get_u64(p); p += 8;
        e->last_seen_ms = (int64_t)hu__get_u64(p); p += 8;
        e->confirmed_ms = (int64_t)hu__get_u64(p); p += 8;
        e->members = hu__get_u32(p); p += 4;
        e->action = hu__get_u32(p); p += 4;
        e->requests = hu__get_u64(p); p += 8;
        e->score = u2f(hu__get_u32(p)); p += 4;
        p = get_dist(p, &e->d);
        e->n_tok = hu__get_u32(p); p += 4;
        e->tok_off = (uint32_t)off;
        off += e->n_tok;
        if (off > n_tok) { *why = "entry token counts exceed the token count"; goto corrupt; }
    }
    if (off != n_tok) { *why = "entry token counts do not add up"; goto corrupt; }
    lib->n = n;
    for (uint32_t k = 0; k < n_tok; k++) {
        struct hu_fp_token *t = &lib->tok[k];
        t->key = hu__get_u64(p); p += 8;
        t->pc = u2f(hu__get_u32(p)); p += 4;
        t->pb = u2f(hu__get_u32(p)); p += 4;
        t->type = *p++;
    }
    lib->n_tok = n_tok;
    *why = hu_fp_lib_validate(lib);
    if (*why)
        goto corrupt;
    if (hu_fp_lib_finish(lib)) { hu_fp_lib_fini(lib); hu_fp_lib_init(lib); *why = "out of memory"; return HU_ENOMEM; }
    return HU_OK;
corrupt:
    hu_fp_lib_fini(lib);
    hu_fp_lib_init(lib);
    return HU_ECORRUPT;
}

int hu_fp_lib_save(const struct hu_fp_lib *lib, const char *path)
{
    uint8_t *b = NULL;
    size_t len = 0;
    int rc = hu_fp_lib_serialize(lib, &b, &len);
    if (rc)
        return rc;
    FILE *f = fopen(path, "wb");
    if (!f) {
        hu_free(b);
        return HU_EIO;
    }
    size_t w = fwrite(b, 1, len, f);
    int cl = fclose(f);
    hu_free(b);
    return w == len && cl == 0 ? HU_OK : HU_EIO;
}

int hu_fp_lib_load(struct hu_fp_lib *lib, const char *path, const char **why)
{
    hu_fp_lib_init(lib);
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (why) *why = "cannot open the file";
        return HU_EIO;
    }
    uint8_t *b = NULL;
    size_t len = 0, cap = 0;
    int rc = HU_OK;
    for (;;) {
        if (hu_grow((void **)&b, &cap, len + 65536, 1, 65536)) { rc = HU_ENOMEM; break; }
        size_t r = fread(b + len, 1, cap - len, f);
        len += r;
        if (len > HU_MAX_FP_FILE_BYTES) { rc = HU_ETOOBIG; if (why) *why = "file larger than HU_MAX_FP_FILE_BYTES"; break; }
        if (r == 0) {
            if (ferror(f)) { rc = HU_EIO; if (why) *why = "read error"; }
            break;
        }
    }
    fclose(f);
    if (!rc)
        rc = hu_fp_lib_deserialize_safe(lib, b, len, why);
    hu_free(b);
    return rc;
}
