/*
 * reader.h -- lines out of a file, stdin, gzip or zstd, never the whole input.
 *
 * Internal to ingest (ingest.h is the manual); exposed for tests and for
 * tools that want raw lines.  One read buffer holds decompressed bytes;
 * lines are framed with memchr and returned as spans into it, valid until
 * the next call.  After every returned line at least HU_JSON_PADDING bytes
 * are readable (the buffer is allocated with that much slack), so the line
 * can be handed to simdjson without a copy.
 *
 * Memory per reader: the buffer starts at HU__READ_CHUNK and grows only to
 * hold one line, up to HU_MAX_LINE_BYTES + HU__READ_CHUNK; a longer line
 * is returned as `too_long` (no content) and skipped to its newline in
 * O(1) memory.  Compressed input adds one HU__READ_CHUNK input buffer and
 * the codec state (zlib ~ 44 KB, zstd ~ 130 KB + window).
 */
#ifndef HU_INGEST_READER_H
#define HU_INGEST_READER_H

#include <stddef.h>
#include <stdint.h>
#include "ingest/ingest.h"

#define HU__READ_CHUNK (1u << 20)

struct hu__reader_codec;   /* zlib / zstd state, reader.c */

struct hu_reader {
    int fd;
    int own_fd;                 /* close fd on fini (not for stdin) */
    enum hu_codec codec;
    const char *name;           /* borrowed, for messages */

    char  *buf;                 /* decompressed data; cap + HU_JSON_PADDING allocated */
    size_t cap;
    size_t start, end;          /* unconsumed data is buf[start, end) */
    size_t scan;                /* buf[start, scan) is known to hold no '\n' */

    unsigned char *in;          /* compressed input (codec != PLAIN) */
    size_t in_len, in_pos;
    struct hu__reader_codec *cs;

    int eof;                    /* no more bytes will come from the source */
    int skipping;               /* discarding the rest of an over-long line */
    int err;                    /* sticky: HU_ECORRUPT / HU_EIO once seen */
    int err_pending;            /* err is reported once the buffered lines are out */
    uint64_t lines;             /* lines returned */
    uint64_t bytes_framed;      /* bytes of those lines, '\n' and skipped tails included */
    uint64_t bytes_in;          /* bytes read from fd */
    char errmsg[256];           /* "x.zst: truncated zstd frame after 12 lines" */
};

struct hu_line {
    const char *ptr;            /* NULL when too_long */
    size_t len;                 /* without '\n' (and a '\r' before it) */
    size_t raw_len;             /* bytes consumed, with '\n' (too_long: all of it) */
    int too_long;
};

/* Open `path` ("-": standard input) and detect its codec from the first
 * bytes (gzip 1f 8b, zstd 28 b5 2f fd, else plain).  Caller-owned struct.
 * HU_OK, HU_ENOENT / HU_EIO (message in r->errmsg), HU_ENOMEM.  On failure
 * the reader needs no fini. */
HU_MUST_CHECK int hu_reader_open(struct hu_reader *r, const char *path);
/* Read from an open fd (not closed by fini). */
HU_MUST_CHECK int hu_reader_open_fd(struct hu_reader *r, int fd, const char *name);

/* Next line: 1 (line filled), 0 (end of input), or HU_ECORRUPT / HU_EIO
 * once the lines before a decompression or read error were returned
 * (message in r->errmsg); HU_ENOMEM.  Cost: O(line) amortised. */
HU_MUST_CHECK int hu_reader_next(struct hu_reader *r, struct hu_line *line);

void hu_reader_fini(struct hu_reader *r);

#endif
