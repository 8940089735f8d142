/* buf.c -- capped growable buffer, see buf.h. */
#include "core/buf.h"
#include "core/alloc.h"

#include <stdio.h>
#include <string.h>

void hu_buf_init(struct hu_buf *b, size_t max)
{
    b->ptr = NULL;
    b->len = b->cap = 0;
    b->max = max;
}

void hu_buf_fini(struct hu_buf *b)
{
    hu_free(b->ptr);
    b->ptr = NULL;
    b->len = b->cap = 0;
}

void hu_buf_reset(struct hu_buf *b)
{
    b->len = 0;
    if (b->ptr)
        b->ptr[0] = '\0';
}

char *hu_buf_take(struct hu_buf *b, size_t *len)
{
    char *p = b->ptr;
    if (len)
        *len = b->len;
    b->ptr = NULL;
    b->len = b->cap = 0;
    return p;
}

static int ensure(struct hu_buf *b, size_t add)
{
    if (add > b->max || b->len > b->max - add) {
        hu_buf_reset(b);
        return HU_ETOOBIG;
    }
    size_t need = b->len + add + 1;
    if (need <= b->cap)
        return HU_OK;
    size_t ncap = b->cap ? b->cap : 64;
    while (ncap < need)
        ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
    if (ncap > b->max + 1)
        ncap = b->max + 1;
    char *p = hu_realloc(b->ptr, ncap);
    if (!p) {
        hu_buf_reset(b);
        return HU_ENOMEM;
    }
    b->ptr = p;
    b->cap = ncap;
    return HU_OK;
}

int hu_buf_add(struct hu_buf *b, const void *p, size_t len)
{
    int rc = ensure(b, len);
    if (rc)
        return rc;
    if (len)
        memcpy(b->ptr + b->len, p, len);
    b->len += len;
    b->ptr[b->len] = '\0';
    return HU_OK;
}

int hu_buf_adds(struct hu_buf *b, const char *s) { return hu_buf_add(b, s, strlen(s)); }
int hu_buf_addc(struct hu_buf *b, char c)        { return hu_buf_add(b, &c, 1); }

char *hu_buf_reserve(struct hu_buf *b, size_t len)
{
    if (ensure(b, len))
        return NULL;
    return b->ptr + b->len;
}

void hu_buf_commit(struct hu_buf *b, size_t len)
{
    b->len += len;
    b->ptr[b->len] = '\0';
}

int hu_buf_vprintf(struct hu_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap2);
    va_end(ap2);
    if (n < 0) {
        hu_buf_reset(b);
        return HU_EINVAL;
    }
    if ((size_t)n < sizeof small)
        return hu_buf_add(b, small, (size_t)n);
    char *dst = hu_buf_reserve(b, (size_t)n);
    if (!dst)
        return HU_ENOMEM;
    vsnprintf(dst, (size_t)n + 1, fmt, ap);
    hu_buf_commit(b, (size_t)n);
    return HU_OK;
}

int hu_buf_printf(struct hu_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = hu_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

/* Length of a valid UTF-8 sequence at p (1..4), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
    unsigned c = p[0];
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF)
        return (n >= 2 && (p[1] & 0xC0) == 0x80) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (n < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80) return 0;
        if (c == 0xE0 && p[1] < 0xA0) return 0;          /* overlong */
        if (c == 0xED && p[1] >= 0xA0) return 0;         /* surrogate */
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (n < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80) return 0;
        if (c == 0xF0 && p[1] < 0x90) return 0;
        if (c == 0xF4 && p[1] >= 0x90) return 0;
        return 4;
    }
    return 0;
}

int hu_buf_add_json_str(struct hu_buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end) {
        const unsigned char *run = p;
        while (p < end && *p >= 0x20 && *p != '"' && *p != '\\' && *p < 0x80)
            p++;
        if (p > run) {
            int rc = hu_buf_add(b, run, (size_t)(p - run));
            if (rc) return rc;
        }
        if (p >= end)
            break;
        int rc;
        unsigned c = *p;
        if (c >= 0x80) {
            size_t n = utf8_seq(p, (size_t)(end - p));
            if (n) { rc = hu_buf_add(b, p, n); p += n; }
            else   { rc = hu_buf_add(b, "\xEF\xBF\xBD", 3); p++; }
        } else if (c == '"')  { rc = hu_buf_add(b, "\\\"", 2); p++; }
        else if (c == '\\')   { rc = hu_buf_add(b, "\\\\", 2); p++; }
        else if (c == '\n')   { rc = hu_buf_add(b, "\\n", 2); p++; }
        else if (c == '\t')   { rc = hu_buf_add(b, "\\t", 2); p++; }
        else if (c == '\r')   { rc = hu_buf_add(b, "\\r", 2); p++; }
        else {
            char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
            rc = hu_buf_add(b, e, 6);
            p++;
        }
        if (rc) return rc;
    }
    return HU_OK;
}
