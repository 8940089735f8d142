/*
 * huella.c -- libhuella's facade: include/huella/huella.h over the engine's
 * featurizer (features/featurized.h).
 *
 * Nothing here computes anything: a featurizer is a shared feature context
 * (struct hu_features, immutable after create) plus the derived key; a
 * session is one thread's worker, line parser, object reader and output
 * buffer.  This file is the ABI boundary, so it checks every argument
 * (STYLE.md 19) and never lets an engine type through: the header's
 * structs are opaque and its option struct is read up to its struct_size.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "huella/huella.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "features/featurized.h"
#include "ingest/ingest.h"

_Static_assert(HU_LINE_FEATURIZED == HU_FZ_FEATURIZED && HU_LINE_KEPT == HU_FZ_KEPT &&
                   HU_LINE_NO_TEXT == HU_FZ_NO_TEXT, "public outcomes follow the engine's");

#ifndef HU_VERSION
#define HU_VERSION "0.0.0"
#endif

struct hu_featurizer {
    struct hu_features *fx;
    struct hu_fkey key;
    int keyed;
};

struct hu_fz_session {
    const struct hu_featurizer *fz;
    struct hu_fx_worker *w;
    struct hu_fz_reader *r;
    struct hu_line_parser *lp;
    struct hu_buf out;
    char obj[1024];
    size_t obj_len;
    int reject;                 /* enum hu_reject of the last line */
};

int hu_abi_version(void) { return HU_ABI_VERSION; }
const char *hu_version(void) { return HU_VERSION; }

int hu_featurizer_create(const struct hu_featurizer_options *opt, struct hu_featurizer **out,
                         char *errbuf, size_t errcap)
{
    struct hu_featurizer_options o = HU_FEATURIZER_OPTIONS_INIT;
    struct hu_featurizer *fz = NULL;
    int rc;

    if (errbuf && errcap)
        errbuf[0] = 0;
    if (out == NULL)
        return HU_EINVAL;
    *out = NULL;
    if (opt == NULL || opt->struct_size < offsetof(struct hu_featurizer_options, unkeyed) + sizeof(int)) {
        if (errbuf)
            snprintf(errbuf, errcap, "options missing or struct_size too small");
        return HU_EINVAL;
    }
    memcpy(&o, opt, opt->struct_size < sizeof o ? opt->struct_size : sizeof o);
    int has_key = o.key_file != NULL || o.key_len > 0;
    if (has_key == !!o.unkeyed) {
        if (errbuf)
            snprintf(errbuf, errcap, has_key ? "a key and unkeyed exclude each other"
                                             : "no key: give key_file or key, or set unkeyed");
        return HU_EINVAL;
    }
    if (sodium_init() < 0)
        return HU_EINTERNAL;
    fz = hu_calloc(1, sizeof *fz);
    if (fz == NULL)
        return HU_ENOMEM;
    if (has_key) {
        rc = o.key_file ? hu_fkey_load(o.key_file, &fz->key, errbuf, errcap)
                        : hu_fkey_derive(o.key, o.key_len, &fz->key);
        if (rc != HU_OK) {
            if (errbuf && errcap && !errbuf[0])
                snprintf(errbuf, errcap, "the key must hold %u to %u bytes", HU_FKEY_MIN_BYTES,
                         HU_FKEY_MAX_BYTES);
            goto fail;
        }
        fz->keyed = 1;
    }
    /* The feature context derives the same key from the same bytes. */
    struct hu_features_config cfg = { .feature_key_file = o.key_file,
                                      .feature_key = o.key_file ? NULL : o.key,
                                      .feature_key_len = o.key_file ? 0 : o.key_len,
                                      .model_file = o.model_file };
    rc = hu_features_create(&cfg, &fz->fx, errbuf, errcap);
    if (rc != HU_OK)
        goto fail;
    if (hu_features_key_id(fz->fx) != (fz->keyed ? fz->key.id : 0)) {
        /* the key file changed between the two reads */
        if (errbuf)
            snprintf(errbuf, errcap, "the key file changed while it was read");
        rc = HU_EIO;
        goto fail;
    }
    *out = fz;
    return HU_OK;
fail:
    hu_featurizer_destroy(fz);
    return rc;
}

void hu_featurizer_destroy(struct hu_featurizer *fz)
{
    if (fz == NULL)
        return;
    hu_features_destroy(fz->fx);
    sodium_memzero(&fz->key, sizeof fz->key);
    hu_free(fz);
}

uint64_t hu_featurizer_key_id(const struct hu_featurizer *fz)
{
    return fz && fz->keyed ? fz->key.id : 0;
}

int hu_fz_session_create(const struct hu_featurizer *fz, struct hu_fz_session **out)
{
    if (fz == NULL || out == NULL)
        return HU_EINVAL;
    *out = NULL;
    struct hu_fz_session *s = hu_calloc(1, sizeof *s);
    if (s == NULL)
        return HU_ENOMEM;
    s->fz = fz;
    hu_buf_init(&s->out, (size_t)HU_MAX_LINE_BYTES + 2048);
    if (hu_fx_worker_create(fz->fx, &s->w) != HU_OK || hu_fz_reader_create(&s->r) != HU_OK ||
        hu_line_parser_create(&s->lp, NULL) != HU_OK) {
        hu_fz_session_destroy(s);
        return HU_ENOMEM;
    }
    *out = s;
    return HU_OK;
}

void hu_fz_session_destroy(struct hu_fz_session *s)
{
    if (s == NULL)
        return;
    hu_line_parser_destroy(s->lp);
    hu_fz_reader_destroy(s->r);
    hu_fx_worker_destroy(s->w);
    hu_buf_fini(&s->out);
    hu_free(s);
}

int hu_fz_session_line(struct hu_fz_session *s, const char *line, size_t len, const char **out,
                       size_t *out_len)
{
    if (out)
        *out = NULL;
    if (out_len)
        *out_len = 0;
    if (s == NULL || line == NULL || out == NULL || out_len == NULL)
        return HU_EINVAL;
    s->reject = HU_REJECT_NONE;
    s->obj_len = 0;
    s->obj[0] = 0;
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        len--;
    if (len > HU_MAX_LINE_BYTES) {
        s->reject = HU_REJECT_LINE_TOO_LONG;
        return HU_ETOOBIG;
    }
    int why = HU_REJECT_NONE;
    const struct hu_fkey *k = s->fz->keyed ? &s->fz->key : NULL;
    int rc = hu_fz_line(s->w, s->r, s->lp, k, line, len, 0, &s->out, s->obj, sizeof s->obj,
                        &s->obj_len, &why);
    if (rc == HU_EPARSE)
        s->reject = why;
    if (rc <= 0)
        return rc;
    *out = s->out.ptr ? s->out.ptr : "";
    *out_len = s->out.len;
    return rc;
}

int hu_fz_session_features(const struct hu_fz_session *s, const char **obj, size_t *len)
{
    if (s == NULL || obj == NULL || len == NULL)
        return HU_EINVAL;
    *obj = NULL;
    *len = 0;
    if (s->obj_len == 0)
        return HU_ENOENT;
    *obj = s->obj;
    *len = s->obj_len;
    return HU_OK;
}

const char *hu_fz_session_reject_reason(const struct hu_fz_session *s)
{
    if (s == NULL || s->reject == HU_REJECT_NONE)
        return NULL;
    return hu_reject_name((enum hu_reject)s->reject);
}
