/*
 * buf.h -- a growable byte buffer with a maximum (curl's dynbuf).
 *
 * Every growable buffer in huella has a cap fixed at init: an append that
 * would pass it fails with HU_ETOOBIG and, like any failed append, leaves
 * the buffer EMPTY rather than half-filled, so a caller can never emit a
 * truncated record by mistake.  The buffer always keeps a NUL after the
 * data (not counted in len) so spans can be handed to C APIs.
 */
#ifndef HU_CORE_BUF_H
#define HU_CORE_BUF_H

#include <stddef.h>
#include <stdarg.h>
#include "huella/hu_status.h"
#include "core/log.h"

struct hu_buf {
    char  *ptr;     /* NULL until the first append; NUL-terminated after */
    size_t len;     /* bytes of data */
    size_t cap;     /* bytes allocated */
    size_t max;     /* hard limit on len */
};

/* Caller-owned struct; no allocation until the first append. */
void hu_buf_init(struct hu_buf *b, size_t max);
void hu_buf_fini(struct hu_buf *b);
/* Keep the memory, drop the data. */
void hu_buf_reset(struct hu_buf *b);
/* Hand the bytes to the caller (free with hu_free); buffer is reset to empty. */
char *hu_buf_take(struct hu_buf *b, size_t *len);

HU_MUST_CHECK int hu_buf_add(struct hu_buf *b, const void *p, size_t len);
HU_MUST_CHECK int hu_buf_adds(struct hu_buf *b, const char *s);
HU_MUST_CHECK int hu_buf_addc(struct hu_buf *b, char c);
HU_MUST_CHECK int hu_buf_printf(struct hu_buf *b, const char *fmt, ...) HU_PRINTF(2, 3);
HU_MUST_CHECK int hu_buf_vprintf(struct hu_buf *b, const char *fmt, va_list ap);
/* Append s as the body of a JSON string (no quotes), escaping as RFC 8259
 * requires; invalid UTF-8 bytes become U+FFFD. */
HU_MUST_CHECK int hu_buf_add_json_str(struct hu_buf *b, const char *s, size_t len);
/* Make room for `len` more bytes; returns a pointer to write into, then
 * the caller commits with hu_buf_commit().  NULL on failure (buffer reset). */
char *hu_buf_reserve(struct hu_buf *b, size_t len);
void  hu_buf_commit(struct hu_buf *b, size_t len);

#endif
