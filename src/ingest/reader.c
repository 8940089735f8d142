/*
 * reader.c -- line framing over plain, gzip and zstd input.  See reader.h.
 *
 * Design.  One buffer of decompressed bytes, buf[start, end) unconsumed.
 * next() looks for '\n' with memchr from `scan` (bytes before it are known
 * to hold none, so a long line is scanned once, not once per refill).  When
 * no newline is buffered it compacts (memmove the partial line to the
 * front), grows the buffer if the partial line fills it, and refills.  The
 * buffer never grows past HU_MAX_LINE_BYTES + one chunk: at that point the
 * line is over the cap, it is returned as `too_long` and the reader drops
 * bytes until the next newline (`skipping`).
 *
 * Codecs are chosen from the first bytes, not the name: gzip 1f 8b, zstd
 * 28 b5 2f fd (and skippable frames 5? 2a 4d 18).  Concatenated gzip
 * members (`cat a.gz b.gz`) and zstd frames are read in sequence.  A
 * stream that stops inside a frame is "truncated"; a decoder error is
 * "corrupt".  Either is reported only after every complete line decoded
 * before it was returned, so the caller keeps what was readable.
 */
#include "ingest/reader.h"
#include "core/alloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#define HU__MAX_CAP ((size_t)HU_MAX_LINE_BYTES + HU__READ_CHUNK + 1)

struct hu__reader_codec {
    z_stream z;
    int z_init;
    int z_in_member;            /* inside a gzip member (header seen, end not) */
    ZSTD_DCtx *zd;
    size_t zret;                /* last ZSTD_decompressStream result: 0 = frame done */
    int in_eof;                 /* the fd returned 0 */
    int corrupt;                /* 1 corrupt, 2 truncated */
    char what[96];              /* detail for the message */
};

const char *hu_codec_name(enum hu_codec c)
{
    switch (c) {
    case HU_CODEC_PLAIN: return "plain";
    case HU_CODEC_GZIP:  return "gzip";
    case HU_CODEC_ZSTD:  return "zstd";
    }
    return "unknown";
}

static ssize_t read_fd(int fd, void *p, size_t n)
{
    for (;;) {
        ssize_t k = read(fd, p, n);
        if (k >= 0 || errno != EINTR)
            return k;
    }
}

static int open_common(struct hu_reader *r, int fd, int own, const char *name)
{
    memset(r, 0, sizeof *r);
    r->fd = fd;
    r->own_fd = own;
    r->name = name;
    r->cap = HU__READ_CHUNK;
    r->buf = hu_malloc(r->cap + HU_JSON_PADDING);
    if (!r->buf)
        goto nomem;
    memset(r->buf + r->cap, 0, HU_JSON_PADDING);
    /* Sniff: read until 4 bytes are there or the input ends. */
    while (r->end < 4) {
        ssize_t k = read_fd(fd, r->buf + r->end, r->cap - r->end);
        if (k < 0) {
            snprintf(r->errmsg, sizeof r->errmsg, "%s: %s", name, strerror(errno));
            hu_free(r->buf);
            if (own)
                close(fd);
            return HU_EIO;
        }
        if (k == 0) {
            r->eof = 1;
            break;
        }
        r->end += (size_t)k;
        r->bytes_in += (uint64_t)k;
    }
    const unsigned char *m = (const unsigned char *)r->buf;
    if (r->end >= 2 && m[0] == 0x1f && m[1] == 0x8b)
        r->codec = HU_CODEC_GZIP;
    else if (r->end >= 4 && ((m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd) ||
                             ((m[0] & 0xf0) == 0x50 && m[1] == 0x2a && m[2] == 0x4d && m[3] == 0x18)))
        r->codec = HU_CODEC_ZSTD;
    if (r->codec == HU_CODEC_PLAIN)
        return HU_OK;

    r->cs = hu_calloc(1, sizeof *r->cs);
    r->in = hu_malloc(HU__READ_CHUNK);
    if (!r->cs || !r->in)
        goto nomem;
    memcpy(r->in, r->buf, r->end);
    r->in_len = r->end;
    r->end = 0;
    r->cs->in_eof = r->eof;
    r->eof = 0;
    if (r->codec == HU_CODEC_GZIP) {
        if (inflateInit2(&r->cs->z, 16 + MAX_WBITS) != Z_OK)
            goto nomem;
        r->cs->z_init = 1;
    } else {
        r->cs->zd = ZSTD_createDCtx();
        if (!r->cs->zd)
            goto nomem;
        /* The window a frame may demand, explicitly: 2^27 = 128 MiB (what
         * `zstd --long` writes).  A frame asking for more is refused as
         * corrupt instead of allocating it. */
        ZSTD_DCtx_setParameter(r->cs->zd, ZSTD_d_windowLogMax, 27);
    }
    return HU_OK;

nomem:
    if (r->cs) {
        if (r->cs->z_init)
            inflateEnd(&r->cs->z);
        ZSTD_freeDCtx(r->cs->zd);
    }
    hu_free(r->cs);
    hu_free(r->in);
    hu_free(r->buf);
    if (own)
        close(fd);
    snprintf(r->errmsg, sizeof r->errmsg, "%s: out of memory", name);
    return HU_ENOMEM;
}

int hu_reader_open_fd(struct hu_reader *r, int fd, const char *name)
{
    return open_common(r, fd, 0, name);
}

int hu_reader_open(struct hu_reader *r, const char *path)
{
    if (!strcmp(path, "-"))
        return open_common(r, STDIN_FILENO, 0, path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        memset(r, 0, sizeof *r);
        snprintf(r->errmsg, sizeof r->errmsg, "%s: %s", path, strerror(e));
        return e == ENOENT ? HU_ENOENT : HU_EIO;
    }
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        close(fd);
        memset(r, 0, sizeof *r);
        snprintf(r->errmsg, sizeof r->errmsg, "%s: is a directory", path);
        return HU_EIO;
    }
    return open_common(r, fd, 1, path);
}

void hu_reader_fini(struct hu_reader *r)
{
    if (!r)
        return;
    if (r->cs) {
        if (r->cs->z_init)
            inflateEnd(&r->cs->z);
        ZSTD_freeDCtx(r->cs->zd);
        hu_free(r->cs);
    }
    hu_free(r->in);
    hu_free(r->buf);
    if (r->own_fd && r->fd >= 0)
        close(r->fd);
    r->buf = NULL;
    r->in = NULL;
    r->cs = NULL;
    r->fd = -1;
}

/* Refill r->in when it is used up.  1 bytes are there, 0 end, <0 error. */
static int refill_in(struct hu_reader *r)
{
    if (r->in_pos < r->in_len)
        return 1;
    if (r->cs->in_eof)
        return 0;
    ssize_t k = read_fd(r->fd, r->in, HU__READ_CHUNK);
    if (k < 0) {
        snprintf(r->cs->what, sizeof r->cs->what, "read error (%s)", strerror(errno));
        return HU_EIO;
    }
    r->in_pos = 0;
    r->in_len = (size_t)k;
    r->bytes_in += (uint64_t)k;
    if (k == 0) {
        r->cs->in_eof = 1;
        return 0;
    }
    return 1;
}

/* Decompress into buf[end, cap).  Returns bytes produced (>0), 0 at a clean
 * end, or HU_ECORRUPT / HU_EIO with r->cs->what set. */
static long fill_gzip(struct hu_reader *r)
{
    struct hu__reader_codec *cs = r->cs;
    size_t before = r->end;
    while (r->end == before) {
        int rc = refill_in(r);
        if (rc < 0)
            return rc;
        if (rc == 0) {
            if (cs->z_in_member) {
                snprintf(cs->what, sizeof cs->what, "truncated gzip stream");
                return HU_ECORRUPT;
            }
            return 0;
        }
        if (!cs->z_in_member) {
            /* A new member must start with the magic; anything else after
             * a complete member is trailing garbage, ignored as gzip does. */
            if (r->in[r->in_pos] != 0x1f) {
                r->in_pos = r->in_len;
                cs->in_eof = 1;
                return 0;
            }
            inflateReset(&cs->z);
            cs->z_in_member = 1;
        }
        cs->z.next_in = r->in + r->in_pos;
        cs->z.avail_in = (uInt)(r->in_len - r->in_pos);
        cs->z.next_out = (Bytef *)r->buf + r->end;
        cs->z.avail_out = (uInt)(r->cap - r->end);
        int zr = inflate(&cs->z, Z_NO_FLUSH);
        r->in_pos = r->in_len - cs->z.avail_in;
        r->end = r->cap - cs->z.avail_out;
        if (zr == Z_STREAM_END) {
            cs->z_in_member = 0;
        } else if (zr != Z_OK && zr != Z_BUF_ERROR) {
            snprintf(cs->what, sizeof cs->what, "corrupt gzip data (%s)",
                     cs->z.msg ? cs->z.msg : "inflate error");
            return HU_ECORRUPT;
        }
    }
    return (long)(r->end - before);
}

static long fill_zstd(struct hu_reader *r)
{
    struct hu__reader_codec *cs = r->cs;
    size_t before = r->end;
    while (r->end == before) {
        int rc = refill_in(r);
        if (rc < 0)
            return rc;
        if (rc == 0 && cs->zret == 0)
            return 0;                    /* clean end between frames */
        ZSTD_inBuffer in = { r->in, r->in_len, r->in_pos };
        ZSTD_outBuffer out = { r->buf + r->end, r->cap - r->end, 0 };
        size_t zr = ZSTD_decompressStream(cs->zd, &out, &in);
        if (ZSTD_isError(zr)) {
            snprintf(cs->what, sizeof cs->what, "corrupt zstd data (%s)", ZSTD_getErrorName(zr));
            return HU_ECORRUPT;
        }
        cs->zret = zr;
        r->in_pos = in.pos;
        r->end += out.pos;
        if (rc == 0 && out.pos == 0) {
            /* input over, frame not finished, nothing more comes out */
            snprintf(cs->what, sizeof cs->what, "truncated zstd frame");
            return HU_ECORRUPT;
        }
    }
    return (long)(r->end - before);
}

static long fill_plain(struct hu_reader *r)
{
    ssize_t k = read_fd(r->fd, r->buf + r->end, r->cap - r->end);
    if (k < 0) {
        snprintf(r->errmsg, sizeof r->errmsg, "%s: read error (%s)", r->name, strerror(errno));
        return HU_EIO;
    }
    r->end += (size_t)k;
    r->bytes_in += (uint64_t)k;
    return (long)k;
}

/* Make room after `end`: compact, then grow up to HU__MAX_CAP. */
static int make_room(struct hu_reader *r)
{
    if (r->start > 0 && (r->end == r->cap || r->start >= r->cap / 2)) {
        size_t n = r->end - r->start;
        memmove(r->buf, r->buf + r->start, n);
        r->scan -= r->start;
        r->end = n;
        r->start = 0;
    }
    if (r->end < r->cap)
        return HU_OK;
    size_t ncap = r->cap * 2 > HU__MAX_CAP ? HU__MAX_CAP : r->cap * 2;
    if (ncap <= r->cap)
        return HU_OK;   /* at the maximum; the caller sees a too-long line */
    char *nb = hu_realloc(r->buf, ncap + HU_JSON_PADDING);
    if (!nb)
        return HU_ENOMEM;
    memset(nb + ncap, 0, HU_JSON_PADDING);
    r->buf = nb;
    r->cap = ncap;
    return HU_OK;
}

static void set_err(struct hu_reader *r, long rc)
{
    r->err = (int)rc;
    r->err_pending = 1;
    r->eof = 1;
    if (r->cs && r->cs->what[0])
        snprintf(r->errmsg, sizeof r->errmsg, "%s", r->cs->what);
}

int hu_reader_next(struct hu_reader *r, struct hu_line *line)
{
    for (;;) {
        if (r->skipping) {
            char *nl = memchr(r->buf + r->start, '\n', r->end - r->start);
            if (nl) {
                size_t at = (size_t)(nl - r->buf) + 1;
                r->bytes_framed += at - r->start;
                r->start = r->scan = at;
                r->skipping = 0;
                continue;
            }
            r->bytes_framed += r->end - r->start;
            r->start = r->end = r->scan = 0;
        } else {
            char *nl = memchr(r->buf + r->scan, '\n', r->end - r->scan);
            if (nl) {
                size_t at = (size_t)(nl - r->buf);
                line->raw_len = at + 1 - r->start;
                line->len = at - r->start;
                line->ptr = r->buf + r->start;
                line->too_long = line->len > HU_MAX_LINE_BYTES;
                if (line->too_long)
                    line->ptr = NULL;
                else if (line->len && line->ptr[line->len - 1] == '\r')
                    line->len--;
                r->start = r->scan = at + 1;
                r->lines++;
                r->bytes_framed += line->raw_len;
                return 1;
            }
            r->scan = r->end;
            if (r->end - r->start > HU_MAX_LINE_BYTES) {
                line->ptr = NULL;
                line->len = line->raw_len = r->end - r->start;
                line->too_long = 1;
                r->skipping = 1;
                r->start = r->end = r->scan = 0;
                r->lines++;
                r->bytes_framed += line->raw_len;
                return 1;
            }
        }
        if (r->eof) {
            /* A decoder error cuts the last line: drop it, keep the rest. */
            if (r->err_pending && !r->skipping)
                r->start = r->scan = r->end;
            if (!r->skipping && r->end > r->start) {   /* last line, no '\n' */
                line->ptr = r->buf + r->start;
                line->len = line->raw_len = r->end - r->start;
                line->too_long = 0;
                if (line->len && line->ptr[line->len - 1] == '\r')
                    line->len--;
                r->start = r->scan = r->end;
                r->lines++;
                r->bytes_framed += line->raw_len;
                return 1;
            }
            r->skipping = 0;
            if (r->err_pending) {
                r->err_pending = 0;
                if (r->cs)
                    snprintf(r->errmsg, sizeof r->errmsg, "%s: %s after %llu lines", r->name,
                             r->cs->what, (unsigned long long)r->lines);
                return r->err;
            }
            return r->err ? r->err : 0;
        }
        int rc = make_room(r);
        if (rc != HU_OK)
            return rc;
        long k;
        switch (r->codec) {
        case HU_CODEC_GZIP: k = fill_gzip(r); break;
        case HU_CODEC_ZSTD: k = fill_zstd(r); break;
        default:            k = fill_plain(r); break;
        }
        if (k < 0)
            set_err(r, k);
        else if (k == 0)
            r->eof = 1;
    }
}
