/*
 * fuzz_ingest.c -- the streaming reader and the whole ingest loop on one
 * hostile input file: plain, gzip (1f 8b) or zstd (28 b5 2f fd), detected
 * from the first bytes as for a real file, then framed into lines and
 * parsed.  The bytes go to a memfd and ingest opens /proc/self/fd/N, the
 * same path as a file on disk.
 *
 * Bounded: at most 100,000 events are pulled per input (a decompression
 * bomb is otherwise a legitimate stream of valid lines that takes as long
 * as its size).  Properties: hu_ingest_next() returns 1, 0 or a negative
 * status and never fails with ENOMEM here; the counters add up.
 */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz/fuzz.h"
#include "ingest/ingest.h"
#include "ingest/reader.h"

static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    devnull = fopen("/dev/null", "w");
    return devnull ? 0 : 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz_ingest", 0);
    if (fd < 0)
        return 0;
    if (size && write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);

    /* 1. the raw reader */
    struct hu_reader r;
    if (lseek(fd, 0, SEEK_SET) == 0 && hu_reader_open(&r, path) == HU_OK) {
        struct hu_line line;
        int rc = 0;
        for (int n = 0; n < 100000; n++) {
            rc = hu_reader_next(&r, &line);
            if (rc != 1)
                break;
            if (!line.too_long) {
                FUZZ_CHECK(line.ptr != NULL);
                FUZZ_CHECK(line.len <= HU_MAX_LINE_BYTES);
            }
        }
        FUZZ_CHECK(rc == 1 || rc == 0 || rc == HU_ECORRUPT || rc == HU_EIO);
        hu_reader_fini(&r);
    }

    /* 2. the ingest loop over the same file */
    struct hu_ingest *ing = NULL;
    struct hu_ingest_opts o;
    memset(&o, 0, sizeof o);
    o.quiet = 1;
    o.err = devnull;
    const char *paths[1] = { path };
    if (hu_ingest_create(&ing, paths, 1, &o) == HU_OK) {
        struct hu_event ev;
        int rc = 1;
        for (int n = 0; n < 100000 && rc == 1; n++)
            rc = hu_ingest_next(ing, &ev);
        FUZZ_CHECK(rc >= 0 || rc == HU_ENOMEM);
        (void)hu_ingest_totals(ing);
        hu_ingest_destroy(ing);
    }
    close(fd);
    return 0;
}
