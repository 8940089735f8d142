/*
 * svg.c -- a minimal, deterministic SVG writer (see svg.h for the
 * guarantees).
 *
 * Design.  Charts in report.html are a few hundred shapes each; they are
 * emitted as text straight into the report's capped buffer, with a sticky
 * status so drawing code reads as a list of shapes rather than a ladder of
 * error checks.  All text is escaped here, in one place, so a chart cannot
 * forget to: the report's injection test (tests/cli/test_report.sh) feeds
 * account ids like "<script>alert(1)</script>" through every chart.
 *
 * Numbers are printed with integer arithmetic (value * 100, rounded half
 * away from zero), which is locale-free and identical on every run; two
 * decimals are far below a pixel at the sizes drawn.
 */
#include "report/svg.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* ---- escaping ------------------------------------------------------------ */

/* Length of the valid UTF-8 sequence at s[0..len), or 0 if invalid
 * (overlong forms, surrogates and code points above U+10FFFF are invalid). */
static size_t utf8_seq(const unsigned char *s, size_t len)
{
    unsigned c = s[0];
    size_t n;
    uint32_t cp;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) { n = 2; cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { n = 3; cp = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 4; cp = c & 0x07; }
    else return 0;
    if (len < n) return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    if (cp >= 0xD800 && cp <= 0xDFFF)
        return 0;
    return n;
}

int hu_xml_escape(struct hu_buf *b, const char *s, size_t len)
{
    static const char repl[] = "\xEF\xBF\xBD";   /* U+FFFD */
    const unsigned char *p = (const unsigned char *)s;
    int rc = HU_OK;
    size_t i = 0, run = 0;   /* run: start of bytes copied verbatim */
    while (i < len && !rc) {
        unsigned c = p[i];
        const char *ent = NULL;
        size_t n = 1;
        switch (c) {
        case '&': ent = "&amp;"; break;
        case '<': ent = "&lt;"; break;
        case '>': ent = "&gt;"; break;
        case '"': ent = "&quot;"; break;
        case '\'': ent = "&#39;"; break;
        default:
            if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7F) {
                ent = repl;
            } else if (c >= 0x80) {
                n = utf8_seq(p + i, len - i);
                if (!n) { ent = repl; n = 1; }
                /* C1 controls (U+0080..U+009F) are not allowed in XML text */
                else if (n == 2 && c == 0xC2 && p[i + 1] < 0xA0) ent = repl;
            }
        }
        if (ent) {
            if (i > run) rc = hu_buf_add(b, s + run, i - run);
            if (!rc) rc = hu_buf_adds(b, ent);
            i += n;
            run = i;
        } else {
            i += n;
        }
    }
    if (!rc && i > run)
        rc = hu_buf_add(b, s + run, len - run);
    return rc;
}

int hu_xml_escapes(struct hu_buf *b, const char *s)
{
    return hu_xml_escape(b, s ? s : "", s ? strlen(s) : 0);
}

/* ---- numbers ------------------------------------------------------------- */

size_t hu_svg_fmt(double v, char *out, size_t cap)
{
    if (!isfinite(v)) v = 0;
    if (v > 1e9) v = 1e9;
    if (v < -1e9) v = -1e9;
    long long q = llround(v * 100.0);
    if (q == 0) {
        snprintf(out, cap, "0");
        return 1;
    }
    const char *sign = q < 0 ? "-" : "";
    unsigned long long a = (unsigned long long)(q < 0 ? -q : q);
    unsigned long long ip = a / 100, fr = a % 100;
    int n;
    if (fr == 0)
        n = snprintf(out, cap, "%s%llu", sign, ip);
    else if (fr % 10 == 0)
        n = snprintf(out, cap, "%s%llu.%llu", sign, ip, fr / 10);
    else
        n = snprintf(out, cap, "%s%llu.%02llu", sign, ip, fr);
    return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

int hu_svg_num(struct hu_buf *b, double v)
{
    char t[32];
    size_t n = hu_svg_fmt(v, t, sizeof t);
    return hu_buf_add(b, t, n);
}

/* ---- drawing ------------------------------------------------------------- */

static void put(struct hu_svg *s, const char *str)
{
    if (!s->rc) s->rc = hu_buf_adds(s->b, str);
}

static void put_num(struct hu_svg *s, double v)
{
    if (!s->rc) s->rc = hu_svg_num(s->b, v);
}

static void put_esc(struct hu_svg *s, const char *str)
{
    if (!s->rc) s->rc = hu_xml_escapes(s->b, str);
}

/* name="number" with a leading space */
static void attr_num(struct hu_svg *s, const char *name, double v)
{
    put(s, " ");
    put(s, name);
    put(s, "=\"");
    put_num(s, v);
    put(s, "\"");
}

static void attr_str(struct hu_svg *s, const char *name, const char *v)
{
    if (!v || !*v)
        return;
    put(s, " ");
    put(s, name);
    put(s, "=\"");
    put_esc(s, v);
    put(s, "\"");
}

/* Close a shape's start tag: "/>" or ">" <title>..</title> "</tag>". */
static void close_shape(struct hu_svg *s, const char *tag, const char *title)
{
    if (!title || !*title) {
        put(s, "/>");
        return;
    }
    put(s, "><title>");
    put_esc(s, title);
    put(s, "</title></");
    put(s, tag);
    put(s, ">");
}

void hu_svg_begin(struct hu_svg *s, struct hu_buf *b, double w, double h, const char *cls,
                  const char *label)
{
    s->b = b;
    s->rc = HU_OK;
    put(s, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 ");
    put_num(s, w);
    put(s, " ");
    put_num(s, h);
    put(s, "\"");
    attr_num(s, "width", w);
    attr_num(s, "height", h);
    attr_str(s, "class", cls);
    if (label && *label) {
        attr_str(s, "aria-label", label);
        put(s, " role=\"img\"");
    }
    put(s, ">");
}

int hu_svg_end(struct hu_svg *s)
{
    put(s, "</svg>");
    return s->rc;
}

void hu_svg_group(struct hu_svg *s, const char *cls)
{
    put(s, "<g");
    attr_str(s, "class", cls);
    put(s, ">");
}

void hu_svg_group_end(struct hu_svg *s)
{
    put(s, "</g>");
}

void hu_svg_rect(struct hu_svg *s, double x, double y, double w, double h, const char *cls,
                 const char *fill, const char *title)
{
    put(s, "<rect");
    attr_num(s, "x", x);
    attr_num(s, "y", y);
    attr_num(s, "width", w < 0 ? 0 : w);
    attr_num(s, "height", h < 0 ? 0 : h);
    attr_str(s, "class", cls);
    attr_str(s, "fill", fill);
    close_shape(s, "rect", title);
}

void hu_svg_line(struct hu_svg *s, double x1, double y1, double x2, double y2, const char *cls)
{
    put(s, "<line");
    attr_num(s, "x1", x1);
    attr_num(s, "y1", y1);
    attr_num(s, "x2", x2);
    attr_num(s, "y2", y2);
    attr_str(s, "class", cls);
    put(s, "/>");
}

void hu_svg_circle(struct hu_svg *s, double cx, double cy, double r, const char *cls,
                   const char *title)
{
    put(s, "<circle");
    attr_num(s, "cx", cx);
    attr_num(s, "cy", cy);
    attr_num(s, "r", r < 0 ? 0 : r);
    attr_str(s, "class", cls);
    close_shape(s, "circle", title);
}

static void points(struct hu_svg *s, const double *x, const double *y, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i) put(s, " ");
        put_num(s, x[i]);
        put(s, ",");
        put_num(s, y[i]);
    }
}

void hu_svg_polyline(struct hu_svg *s, const double *x, const double *y, size_t n, const char *cls)
{
    if (n < 2)
        return;
    put(s, "<polyline points=\"");
    points(s, x, y, n);
    put(s, "\"");
    attr_str(s, "class", cls);
    put(s, "/>");
}

void hu_svg_area(struct hu_svg *s, const double *x, const double *y, size_t n, double base,
                 const char *cls)
{
    if (n < 2)
        return;
    put(s, "<polygon points=\"");
    put_num(s, x[0]);
    put(s, ",");
    put_num(s, base);
    put(s, " ");
    points(s, x, y, n);
    put(s, " ");
    put_num(s, x[n - 1]);
    put(s, ",");
    put_num(s, base);
    put(s, "\"");
    attr_str(s, "class", cls);
    put(s, "/>");
}

void hu_svg_text(struct hu_svg *s, double x, double y, const char *anchor, const char *cls,
                 const char *text, size_t len)
{
    put(s, "<text");
    attr_num(s, "x", x);
    attr_num(s, "y", y);
    if (anchor && strcmp(anchor, "start"))
        attr_str(s, "text-anchor", anchor);
    attr_str(s, "class", cls);
    put(s, ">");
    if (!s->rc) s->rc = hu_xml_escape(s->b, text ? text : "", text ? len : 0);
    put(s, "</text>");
}

void hu_svg_texts(struct hu_svg *s, double x, double y, const char *anchor, const char *cls,
                  const char *text)
{
    hu_svg_text(s, x, y, anchor, cls, text, text ? strlen(text) : 0);
}
