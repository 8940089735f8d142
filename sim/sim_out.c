/*
 * sim_out.c -- where simulated events go: standard output or a file,
 * plain, gzip (.gz) or zstd (.zst) by the file's extension.
 *
 * Compression is streaming (zlib deflate with a gzip wrapper, libzstd
 * ZSTD_compressStream2), so memory stays at the codecs' window whatever
 * the scale.  Levels favour speed (gzip 1, zstd 1): the simulator must not
 * be what a user waits for; recompress for storage if size matters.
 */
#include "sim/sim.h"
#include "core/alloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

enum { OUT_PLAIN, OUT_GZ, OUT_ZST };
#define ZBUF (1u << 18)

struct hu_sim_out {
    int fd;
    int own;             /* close fd at the end */
    int codec;
    int err;
    z_stream z;
    ZSTD_CCtx *zc;
    unsigned char *zbuf;
};

static int write_all(struct hu_sim_out *o, const void *p, size_t len)
{
    const char *c = p;
    while (len) {
        ssize_t n = write(o->fd, c, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            o->err = 1;
            return -1;
        }
        c += n;
        len -= (size_t)n;
    }
    return 0;
}

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

int hu_sim_out_open(const char *path, struct hu_sim_out **out, char *err, size_t errcap)
{
    *out = NULL;
    struct hu_sim_out *o = hu_calloc(1, sizeof *o);
    if (!o) {
        snprintf(err, errcap, "out of memory");
        return HU_ENOMEM;
    }
    if (!path || !strcmp(path, "-")) {
        o->fd = STDOUT_FILENO;
    } else {
        o->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (o->fd < 0) {
            snprintf(err, errcap, "cannot write '%s': %s", path, strerror(errno));
            hu_free(o);
            return HU_EIO;
        }
        o->own = 1;
        if (ends_with(path, ".gz"))
            o->codec = OUT_GZ;
        else if (ends_with(path, ".zst"))
            o->codec = OUT_ZST;
    }
    if (o->codec != OUT_PLAIN) {
        o->zbuf = hu_malloc(ZBUF);
        if (!o->zbuf)
            goto fail;
    }
    if (o->codec == OUT_GZ && deflateInit2(&o->z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        goto fail;
    if (o->codec == OUT_ZST) {
        o->zc = ZSTD_createCCtx();
        if (!o->zc || ZSTD_isError(ZSTD_CCtx_setParameter(o->zc, ZSTD_c_compressionLevel, 1)))
            goto fail;
    }
    *out = o;
    return HU_OK;
fail:
    snprintf(err, errcap, "cannot start the compressor for '%s'", path);
    if (o->zc)
        ZSTD_freeCCtx(o->zc);
    if (o->own)
        close(o->fd);
    hu_free(o->zbuf);
    hu_free(o);
    return HU_EIO;
}

static int gz_step(struct hu_sim_out *o, const char *p, size_t len, int flush)
{
    o->z.next_in = (Bytef *)(uintptr_t)p;
    o->z.avail_in = (uInt)len;
    int zr;
    do {
        o->z.next_out = o->zbuf;
        o->z.avail_out = ZBUF;
        zr = deflate(&o->z, flush);
        if (zr == Z_STREAM_ERROR)
            return -1;
        if (write_all(o, o->zbuf, ZBUF - o->z.avail_out) != 0)
            return -1;
    } while (o->z.avail_out == 0 || (flush == Z_FINISH && zr != Z_STREAM_END));
    return 0;
}

static int zst_step(struct hu_sim_out *o, const char *p, size_t len, ZSTD_EndDirective mode)
{
    ZSTD_inBuffer in = {p, len, 0};
    size_t left;
    do {
        ZSTD_outBuffer ob = {o->zbuf, ZBUF, 0};
        left = ZSTD_compressStream2(o->zc, &ob, &in, mode);
        if (ZSTD_isError(left))
            return -1;
        if (write_all(o, o->zbuf, ob.pos) != 0)
            return -1;
    } while (mode == ZSTD_e_end ? left != 0 : in.pos < in.size);
    return 0;
}

int hu_sim_out_write(void *out, const char *p, size_t len)
{
    struct hu_sim_out *o = out;
    if (o->err)
        return -1;
    int r;
    switch (o->codec) {
    case OUT_GZ:
        /* deflate takes uInt lengths: feed at most 1 GiB at a time */
        r = 0;
        while (len && !r) {
            size_t n = len > (1u << 30) ? (1u << 30) : len;
            r = gz_step(o, p, n, Z_NO_FLUSH);
            p += n;
            len -= n;
        }
        break;
    case OUT_ZST: r = zst_step(o, p, len, ZSTD_e_continue); break;
    default: r = write_all(o, p, len);
    }
    if (r)
        o->err = 1;
    return r;
}

int hu_sim_out_close(struct hu_sim_out *o)
{
    if (!o)
        return HU_OK;
    int rc = o->err ? HU_EIO : HU_OK;
    if (o->codec == OUT_GZ) {
        if (rc == HU_OK && gz_step(o, NULL, 0, Z_FINISH) != 0)
            rc = HU_EIO;
        deflateEnd(&o->z);
    } else if (o->codec == OUT_ZST) {
        if (rc == HU_OK && zst_step(o, NULL, 0, ZSTD_e_end) != 0)
            rc = HU_EIO;
        ZSTD_freeCCtx(o->zc);
    }
    if (o->own && close(o->fd) != 0)
        rc = HU_EIO;
    hu_free(o->zbuf);
    hu_free(o);
    return rc;
}
