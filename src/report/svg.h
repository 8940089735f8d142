/*
 * svg.h -- huella's own SVG writer: the few primitives report.html draws
 * its charts with (bars, areas, heatmap cells, graph nodes and edges),
 * written as text into a capped struct hu_buf.
 *
 * Why our own: the report must open from disk with no network and no
 * JavaScript charting library, and must be byte-identical for a given
 * input.  A writer this small is easier to audit than a dependency.
 *
 * Guarantees:
 *   - Escaping.  Every piece of text (labels, <title> tooltips, class
 *     names) goes through hu_xml_escape(): & < > " ' become entities,
 *     control characters and invalid UTF-8 become U+FFFD.  The output is
 *     therefore safe inside HTML text, attribute values (double or single
 *     quoted) and inline SVG, whatever an attacker put in an account id or
 *     a user agent.
 *   - Numbers.  hu_svg_num() prints at most two decimals, no trailing
 *     zeros, never "-0", "nan" or "inf" (a non-finite value prints as 0),
 *     and clamps to +-1e9: coordinates are plain decimal text.
 *   - Determinism.  No clock, no randomness, no locale (the decimal point is
 *     always '.', we format with our own integer arithmetic).
 *   - Errors are sticky: every drawing call is void; the first failure of
 *     an append (HU_ETOOBIG, HU_ENOMEM) is kept in svg->rc and later calls
 *     do nothing.  hu_svg_end() returns it.
 *
 * Cost: O(output bytes) per call; no allocation besides the buffer's.
 */
#ifndef HU_REPORT_SVG_H
#define HU_REPORT_SVG_H

#include <stddef.h>
#include "core/buf.h"

/* Append s[0..len) escaped for XML/HTML text and attribute values.
 * HU_OK or the buffer's error (the buffer is then empty, buf.h). */
HU_MUST_CHECK int hu_xml_escape(struct hu_buf *b, const char *s, size_t len);
HU_MUST_CHECK int hu_xml_escapes(struct hu_buf *b, const char *s);

/* Format v as described above into out (cap >= 24); returns the length. */
size_t hu_svg_fmt(double v, char *out, size_t cap);
/* Append hu_svg_fmt(v). */
HU_MUST_CHECK int hu_svg_num(struct hu_buf *b, double v);

struct hu_svg {
    struct hu_buf *b;   /* borrowed */
    int rc;             /* first error, HU_OK while none */
};

/* Open <svg> of w x h user units (viewBox 0 0 w h, scales with its box).
 * cls: CSS class (may be NULL); label: aria-label for screen readers (may
 * be NULL). */
void hu_svg_begin(struct hu_svg *s, struct hu_buf *b, double w, double h, const char *cls,
                  const char *label);
/* Close </svg>; returns s->rc. */
HU_MUST_CHECK int hu_svg_end(struct hu_svg *s);

/* Groups: <g class="cls"> ... </g>. */
void hu_svg_group(struct hu_svg *s, const char *cls);
void hu_svg_group_end(struct hu_svg *s);

/* Shapes.  cls may be NULL.  fill: a colour we computed (may be NULL),
 * escaped anyway.  title (may be NULL): a tooltip (<title> child). */
void hu_svg_rect(struct hu_svg *s, double x, double y, double w, double h, const char *cls,
                 const char *fill, const char *title);
void hu_svg_line(struct hu_svg *s, double x1, double y1, double x2, double y2, const char *cls);
void hu_svg_circle(struct hu_svg *s, double cx, double cy, double r, const char *cls,
                   const char *title);
/* A polyline through n points (n >= 2; fewer draws nothing). */
void hu_svg_polyline(struct hu_svg *s, const double *x, const double *y, size_t n, const char *cls);
/* A closed area between the polyline and the horizontal line y = base. */
void hu_svg_area(struct hu_svg *s, const double *x, const double *y, size_t n, double base,
                 const char *cls);
/* Text at (x, y); anchor "start", "middle" or "end" (NULL: start). */
void hu_svg_text(struct hu_svg *s, double x, double y, const char *anchor, const char *cls,
                 const char *text, size_t len);
void hu_svg_texts(struct hu_svg *s, double x, double y, const char *anchor, const char *cls,
                  const char *text);

#endif
