/*
 * html.c -- report.html, the page an analyst reads (html.h, docs/report.md).
 *
 * Structure.  The page is written top to bottom into one capped buffer
 * (flushed to the file between sections): head with inline CSS and a
 * Content-Security-Policy, summary, campaign cards, flagged-accounts
 * table, footer, the data block and the table script.  Every chart is
 * drawn by svg.c; every value from the input goes through hu_xml_escape()
 * (HTML and SVG) or through the JSON escaper below (< > & as \u003c
 * \u003e \u0026, so "</script>" inside an account id cannot close the
 * data block).
 *
 * Defence in depth: the Content-Security-Policy allows no network
 * (default-src 'none'), inline styles, and exactly one script, named by
 * its SHA-256 -- so even if escaping were broken somewhere, an injected
 * <script> or onerror= handler would not run.
 *
 * Determinism: no clock, no randomness, no locale-dependent formatting;
 * every list is in a fixed order (campaigns as in results, strongest
 * first; flagged accounts by score, requests, then table order).
 */
#include "report/html.h"
#include "report/html_int.h"
#include "report/outputs.h"
#include "report/svg.h"
#include "core/alloc.h"
#include "link/pairs.h"

#include <math.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#ifndef HU_VERSION
#define HU_VERSION "0.0.0"
#endif

#define FLUSH_AT (1u << 20)

struct page {
    struct hu_buf b;
    FILE *out;
    int rc;
};

static void S(struct page *pg, const char *s)
{
    if (!pg->rc) pg->rc = hu_buf_adds(&pg->b, s);
}

static void F(struct page *pg, const char *fmt, ...) HU_PRINTF(2, 3);
static void F(struct page *pg, const char *fmt, ...)
{
    if (pg->rc) return;
    va_list ap;
    va_start(ap, fmt);
    pg->rc = hu_buf_vprintf(&pg->b, fmt, ap);
    va_end(ap);
}

static void E(struct page *pg, const char *s, size_t len)
{
    if (!pg->rc) pg->rc = hu_xml_escape(&pg->b, s, len);
}

static void Es(struct page *pg, const char *s)
{
    E(pg, s ? s : "", s ? strlen(s) : 0);
}

static void flush(struct page *pg)
{
    if (pg->rc || pg->b.len < FLUSH_AT) return;
    if (fwrite(pg->b.ptr, 1, pg->b.len, pg->out) != pg->b.len) pg->rc = HU_EIO;
    hu_buf_reset(&pg->b);
}

const char *hu__report_int(uint64_t v, char *out, size_t cap)
{
    char t[32];
    int n = snprintf(t, sizeof t, "%llu", (unsigned long long)v);
    size_t o = 0;
    for (int i = 0; i < n && o + 2 < cap; i++) {
        if (i && (n - i) % 3 == 0) out[o++] = ',';
        out[o++] = t[i];
    }
    out[o] = 0;
    return out;
}

static const char *pct(double share, char *out, size_t cap)
{
    if (!isfinite(share)) share = 0;
    double p = 100.0 * share;
    if (p > 0 && p < 0.1) snprintf(out, cap, "&lt;0.1%%");
    else snprintf(out, cap, "%.1f%%", p);
    return out;
}

static void ts_str(int64_t ms, char *out, size_t cap)
{
    hu_format_rfc3339(ms, out, cap);
}

/* "2026-01-12 14:03" for reading (UTC is said next to it). */
static void ts_pretty(int64_t ms, char *out, size_t cap)
{
    char t[40];
    hu_format_rfc3339(ms, t, sizeof t);
    if (strlen(t) >= 16)
        snprintf(out, cap, "%.10s %.5s", t, t + 11);
    else
        snprintf(out, cap, "%s", t);
}

/* "3 d 4 h", "5 h 12 min", "40 s" */
static void span_str(int64_t ms, char *out, size_t cap)
{
    if (ms < 0) ms = 0;
    int64_t s = ms / 1000;
    if (s >= 86400) snprintf(out, cap, "%lld d %lld h", (long long)(s / 86400), (long long)(s % 86400 / 3600));
    else if (s >= 3600) snprintf(out, cap, "%lld h %lld min", (long long)(s / 3600), (long long)(s % 3600 / 60));
    else if (s >= 60) snprintf(out, cap, "%lld min", (long long)(s / 60));
    else snprintf(out, cap, "%lld s", (long long)s);
}

/* Heat colour for v in [0,1]: from the page background to the accent. */
static void heat_fill(double v, char *out, size_t cap)
{
    if (!isfinite(v) || v < 0) v = 0;
    if (v > 1) v = 1;
    static const int lo[3] = { 241, 243, 246 }, mid[3] = { 250, 176, 120 }, hi[3] = { 176, 32, 82 };
    int c[3];
    for (int i = 0; i < 3; i++) {
        double t = v < 0.5 ? v * 2 : (v - 0.5) * 2;
        const int *a = v < 0.5 ? lo : mid, *b = v < 0.5 ? mid : hi;
        c[i] = (int)lround(a[i] + (b[i] - a[i]) * t);
    }
    snprintf(out, cap, "#%02x%02x%02x", c[0], c[1], c[2]);
}

/* ---- CSS and script ------------------------------------------------------ */

static const char css[] =
    ":root{--bg:#f6f7f9;--card:#fff;--ink:#1d2430;--mute:#5b6577;--line:#e3e6eb;--acc:#c2255c;"
    "--acc2:#f08c00;--hon:#8a94a6}"
    "*{box-sizing:border-box}"
    "body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.45 system-ui,-apple-system,"
    "'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif}"
    "main{max-width:1120px;margin:0 auto;padding:24px 20px 40px}"
    "header.top{background:#1d2430;color:#fff;padding:22px 0 18px}"
    "header.top .in{max-width:1120px;margin:0 auto;padding:0 20px}"
    "header.top h1{margin:0;font-size:22px;letter-spacing:.2px}"
    "header.top p{margin:4px 0 0;color:#c9cfd9}"
    "h2{font-size:18px;margin:28px 0 10px}h3{font-size:13px;text-transform:uppercase;letter-spacing:.6px;"
    "color:var(--mute);margin:16px 0 6px}"
    ".tiles{display:grid;grid-template-columns:repeat(6,1fr);gap:10px}"
    ".tile{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 12px}"
    ".tile b{display:block;font-size:22px;font-variant-numeric:tabular-nums}"
    ".tile span{color:var(--mute);font-size:12px}"
    ".panel,.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:14px 18px;"
    "margin:12px 0}"
    ".card.weak{opacity:.85}"
    ".card>header{display:flex;flex-wrap:wrap;align-items:baseline;gap:10px;border-bottom:1px solid var(--line);"
    "padding-bottom:8px}"
    ".card>header h2{margin:0;font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:17px}"
    ".badge{display:inline-block;border-radius:99px;padding:1px 9px;font-size:12px;font-weight:600;"
    "background:#fde8ef;color:var(--acc)}"
    ".badge.low{background:#eef0f3;color:var(--mute)}"
    ".meta{color:var(--mute)}"
    ".grid2{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1.35fr);gap:18px}"
    "svg.chart{max-width:100%;height:auto;display:block}"
    "svg text{font:11px system-ui,sans-serif;fill:var(--mute)}"
    "svg .lbl{fill:var(--ink);font-size:11px}svg.graph-svg .lbl{paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}"
    "svg .axis{stroke:#c8cdd5;stroke-width:1}svg .grid{stroke:#eceef1;stroke-width:1}"
    "svg .hon{fill:#d5dae2;stroke:none}svg .honl{fill:none;stroke:var(--hon);stroke-width:1.2}"
    "svg .camp{fill:#f3c1d2;stroke:none}svg .campl{fill:none;stroke:var(--acc);stroke-width:1.5}"
    "svg .bar{fill:var(--acc)}svg .barbg{fill:#f0f2f5}"
    "svg .edges line{stroke:#b9c0cb;stroke-width:.7;stroke-opacity:.7}"
    "svg .acct{fill:#9aa5b5;stroke:#fff;stroke-width:.8}svg .acct.flagged{fill:var(--acc)}"
    "svg .ent{stroke:#fff;stroke-width:1.2}"
    ".e-pay{fill:#f08c00;background:#f08c00}.e-ip{fill:#1c7ed6;background:#1c7ed6}"
    ".e-prefix{fill:#4dabf7;background:#4dabf7}.e-asn{fill:#364fc7;background:#364fc7}"
    ".e-cfp{fill:#2b8a3e;background:#2b8a3e}.e-hfp{fill:#69db7c;background:#69db7c}"
    ".e-ua{fill:#7048e8;background:#7048e8}.e-sys{fill:#e64980;background:#e64980}"
    ".e-tools{fill:#0ca678;background:#0ca678}.e-key{fill:#868e96;background:#868e96}"
    ".e-tpl{fill:#94d82d;background:#94d82d}"
    ".legend{display:inline-flex;flex-wrap:wrap;gap:4px 10px;margin-right:8px}"
    "i.dot{display:inline-block;width:9px;height:9px;border-radius:50%;margin-right:3px;vertical-align:-1px}"
    "i.dot.acct{background:#9aa5b5}i.dot.acct.flagged{background:var(--acc)}"
    "figure{margin:8px 0}figcaption{color:var(--mute);font-size:12px;margin-top:4px}"
    "ol.ev{margin:4px 0;padding-left:20px}ol.ev li{margin:3px 0}"
    "table{border-collapse:collapse;width:100%;font-size:13px}"
    "th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);vertical-align:top}"
    "th{color:var(--mute);font-weight:600;font-size:12px;white-space:nowrap}"
    "td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}"
    "code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px;word-break:break-all}"
    ".ids code{display:inline-block;background:#f1f3f5;border-radius:4px;padding:0 5px;margin:2px 3px 2px 0}"
    ".meter{display:inline-block;width:90px;height:8px;background:#eef0f3;border-radius:4px;overflow:hidden;"
    "vertical-align:middle;margin:0 6px}.meter i{display:block;height:100%;background:var(--acc)}"
    ".parts div{margin:2px 0}.parts span.k{display:inline-block;width:100px;color:var(--mute)}"
    "ul.links{margin:4px 0;padding-left:18px}"
    "#flagged th{cursor:pointer;user-select:none}#flagged th[aria-sort=ascending]::after{content:' \\25B2'}"
    "#flagged th[aria-sort=descending]::after{content:' \\25BC'}"
    ".tools{display:flex;gap:10px;align-items:center;margin:6px 0}"
    ".tools input{padding:5px 8px;border:1px solid var(--line);border-radius:6px;min-width:260px;font:inherit}"
    ".act{font-weight:600}.act-block{color:#c92a2a}.act-verify,.act-withhold_reasoning{color:#d9480f}"
    ".act-throttle{color:#e67700}"
    ".note{background:#fff9db;border:1px solid #ffe066;border-radius:6px;padding:6px 10px;font-size:13px}"
    "footer{color:var(--mute);font-size:12px;border-top:1px solid var(--line);margin-top:30px;padding-top:10px}"
    "td.acct{min-width:180px}td.acct code{word-break:normal;overflow-wrap:anywhere}"
    "td.reasons{font-size:12px}td.reasons .r{display:inline-block;background:#f1f3f5;border-radius:4px;"
    "padding:0 5px;margin:1px 2px 1px 0;font-family:ui-monospace,SFMono-Regular,Menlo,monospace;white-space:nowrap}"
    "details summary{cursor:pointer;color:#1864ab;margin:6px 0}"
    "a{color:#1864ab}td a.mono,td span.mono{white-space:nowrap;word-break:normal}tr.weakrow td{color:var(--mute)}"
    "@media (max-width:900px){.tiles{grid-template-columns:repeat(3,1fr)}.grid2{grid-template-columns:1fr}}"
    "@media print{body{background:#fff}.card{break-inside:avoid}}";

/* The one script of the page (its SHA-256 is in the CSP): checks the data
 * block parses, then makes the flagged table sortable and filterable.  It
 * only moves existing rows and sets textContent: no HTML is built. */
static const char script[] =
    "(function(){'use strict';"
    "var d=JSON.parse(document.getElementById('huella-data').textContent);"
    "document.documentElement.setAttribute('data-huella-campaigns',String(d.campaigns.length));"
    "var t=document.getElementById('flagged');if(!t)return;"
    "var tb=t.tBodies[0],q=document.getElementById('flagged-filter'),cnt=document.getElementById('flagged-shown');"
    "function filter(){var v=q.value.toLowerCase(),n=0;for(var i=0;i<tb.rows.length;i++){var r=tb.rows[i],"
    "s=!v||r.textContent.toLowerCase().indexOf(v)>=0;r.hidden=!s;if(s)n++;}cnt.textContent=String(n);}"
    "q.addEventListener('input',filter);"
    "var th=t.tHead.rows[0].cells;"
    "function key(r,c,num){var x=r.cells[c],v=x.getAttribute('data-v');if(v===null)v=x.textContent;"
    "return num?parseFloat(v):v.toLowerCase();}"
    "Array.prototype.forEach.call(th,function(h,c){h.addEventListener('click',function(){"
    "var num=h.getAttribute('data-num')==='1',asc=h.getAttribute('aria-sort')!=='ascending';"
    "if(num&&!h.hasAttribute('aria-sort'))asc=false;"
    "var rows=Array.prototype.slice.call(tb.rows);"
    "rows.sort(function(a,b){var x=key(a,c,num),y=key(b,c,num),o=x<y?-1:x>y?1:0;"
    "if(!o)o=parseFloat(a.cells[0].textContent)-parseFloat(b.cells[0].textContent);else if(!asc)o=-o;return o;});"
    "Array.prototype.forEach.call(th,function(o){o.removeAttribute('aria-sort');});"
    "h.setAttribute('aria-sort',asc?'ascending':'descending');"
    "rows.forEach(function(r){tb.appendChild(r);});});});"
    "filter();})();";

/* ---- JSON data block ----------------------------------------------------- */

/* JSON string (with quotes) safe inside <script>: < > & escaped. */
static void J(struct page *pg, const char *s, size_t len)
{
    struct hu_buf t;
    hu_buf_init(&t, 1u << 20);
    int rc = hu_buf_add_json_str(&t, s ? s : "", s ? len : 0);
    if (!pg->rc) pg->rc = rc;
    S(pg, "\"");
    for (size_t i = 0; i < t.len && !pg->rc; i++) {
        char c = t.ptr[i];
        if (c == '<') S(pg, "\\u003c");
        else if (c == '>') S(pg, "\\u003e");
        else if (c == '&') S(pg, "\\u0026");
        else pg->rc = hu_buf_addc(&pg->b, c);
    }
    S(pg, "\"");
    hu_buf_fini(&t);
}

static void Js(struct page *pg, const char *s)
{
    J(pg, s, s ? strlen(s) : 0);
}

static void Jnum(struct page *pg, double v)
{
    char t[32];
    size_t n = hu_svg_fmt(v, t, sizeof t);
    if (!pg->rc) pg->rc = hu_buf_add(&pg->b, t, n);
}

/* ---- charts ------------------------------------------------------------- */

/* x-axis labels: about 6 ticks at bucket starts. */
static void time_axis(struct hu_svg *s, const struct hu_report_series *se, double x0, double w, double y)
{
    uint32_t nb = se->n_buckets;
    uint32_t step = nb / 6 ? nb / 6 : 1;
    hu_svg_line(s, x0, y, x0 + w, y, "axis");
    for (uint32_t i = 0; i < nb; i += step) {
        char t[40], lab[24];
        ts_str(se->t0_ms + (int64_t)i * se->bucket_ms, t, sizeof t);
        if (se->bucket_ms < 86400000LL && strlen(t) >= 16)
            snprintf(lab, sizeof lab, "%.5s %.5s", t + 5, t + 11);
        else
            snprintf(lab, sizeof lab, "%.10s", t);
        double x = x0 + w * ((double)i + 0.5) / nb;
        hu_svg_line(s, x, y, x, y + 4, "axis");
        hu_svg_texts(s, x, y + 16, "middle", NULL, lab);
    }
}

static void series_xy(const uint64_t *v, uint32_t nb, double x0, double w, double ybase, double h,
                      double max, double *xs, double *ys)
{
    for (uint32_t i = 0; i < nb; i++) {
        xs[i] = x0 + w * ((double)i + 0.5) / nb;
        ys[i] = ybase - (max > 0 ? h * (double)v[i] / max : 0);
    }
}

static uint64_t vmax(const uint64_t *v, uint32_t n)
{
    uint64_t m = 0;
    for (uint32_t i = 0; i < n; i++) if (v[i] > m) m = v[i];
    return m;
}

static const char *bucket_name(int64_t ms, char *out, size_t cap)
{
    int64_t h = ms / 3600000;
    if (h % 24 == 0 && h / 24 == 1) snprintf(out, cap, "day");
    else if (h % 24 == 0 && h / 24 == 7) snprintf(out, cap, "week");
    else if (h % 24 == 0) snprintf(out, cap, "%lld days", (long long)(h / 24));
    else if (h == 1) snprintf(out, cap, "hour");
    else snprintf(out, cap, "%lld hours", (long long)h);
    return out;
}

/* Overview: all traffic with the drawn campaigns' share, one scale. */
static void chart_overview(struct page *pg, const struct hu_report_series *se)
{
    const double W = 1060, H = 190, x0 = 56, w = W - x0 - 14, top = 14, base = 150;
    uint32_t nb = se->n_buckets;
    double *xs = hu_calloc(nb, sizeof *xs), *ys = hu_calloc(nb, sizeof *ys);
    uint64_t *cs = hu_calloc(nb, sizeof *cs);
    if (!xs || !ys || !cs) { pg->rc = HU_ENOMEM; goto out; }
    for (uint32_t c = 0; c < se->n_cards; c++)
        for (uint32_t i = 0; i < nb; i++) cs[i] += se->camp[(size_t)c * nb + i];
    double max = (double)vmax(se->all, nb);
    struct hu_svg s;
    char n1[32], bn[24];
    hu_svg_begin(&s, &pg->b, W, H, "chart", "Requests over time: all traffic and the campaigns' share");
    hu_svg_line(&s, x0, top, x0 + w, top, "grid");
    hu_svg_line(&s, x0, (top + base) / 2, x0 + w, (top + base) / 2, "grid");
    series_xy(se->all, nb, x0, w, base, base - top, max, xs, ys);
    hu_svg_area(&s, xs, ys, nb, base, "hon");
    hu_svg_polyline(&s, xs, ys, nb, "honl");
    series_xy(cs, nb, x0, w, base, base - top, max, xs, ys);
    hu_svg_area(&s, xs, ys, nb, base, "camp");
    hu_svg_polyline(&s, xs, ys, nb, "campl");
    hu_svg_texts(&s, x0 - 6, top + 4, "end", NULL, hu__report_int((uint64_t)max, n1, sizeof n1));
    hu_svg_texts(&s, x0 - 6, base + 4, "end", NULL, "0");
    time_axis(&s, se, x0, w, base);
    char lab[96];
    snprintf(lab, sizeof lab, "requests per %s (UTC)", bucket_name(se->bucket_ms, bn, sizeof bn));
    hu_svg_texts(&s, x0, H - 4, "start", NULL, lab);
    if (!pg->rc) pg->rc = hu_svg_end(&s);
    S(pg, "<figcaption><span class=\"legend\"><i class=\"dot\" style=\"background:#8a94a6\"></i>all traffic "
          "<i class=\"dot\" style=\"background:#c2255c\"></i>accounts of the campaigns below</span></figcaption>");
out:
    hu_free(xs); hu_free(ys); hu_free(cs);
}

/* A campaign against all other traffic: two bands, one x axis. */
static void chart_timeline(struct page *pg, const struct hu_report_series *se, uint32_t card,
                           const char *id)
{
    const double W = 600, H = 210, x0 = 56, w = W - x0 - 10;
    uint32_t nb = se->n_buckets;
    double *xs = hu_calloc(nb, sizeof *xs), *ys = hu_calloc(nb, sizeof *ys);
    uint64_t *other = hu_calloc(nb, sizeof *other);
    if (!xs || !ys || !other) { pg->rc = HU_ENOMEM; goto out; }
    const uint64_t *mine = se->camp + (size_t)card * nb;
    for (uint32_t i = 0; i < nb; i++) {
        uint64_t in_cards = 0;
        for (uint32_t c = 0; c < se->n_cards; c++) in_cards += se->camp[(size_t)c * nb + i];
        other[i] = se->all[i] > in_cards ? se->all[i] - in_cards : 0;
    }
    char lab[128], n1[32], bn[24];
    struct hu_svg s;
    snprintf(lab, sizeof lab, "Requests over time of campaign %s and of all other traffic", id);
    hu_svg_begin(&s, &pg->b, W, H, "chart", lab);
    /* top band: other traffic */
    double t1 = 16, b1 = 76, t2 = 100, b2 = 170;
    double m1 = (double)vmax(other, nb), m2 = (double)vmax(mine, nb);
    hu_svg_texts(&s, x0, t1 - 4, "start", "lbl", "all other traffic");
    hu_svg_line(&s, x0, t1, x0 + w, t1, "grid");
    series_xy(other, nb, x0, w, b1, b1 - t1, m1, xs, ys);
    hu_svg_area(&s, xs, ys, nb, b1, "hon");
    hu_svg_polyline(&s, xs, ys, nb, "honl");
    hu_svg_line(&s, x0, b1, x0 + w, b1, "axis");
    hu_svg_texts(&s, x0 - 6, t1 + 4, "end", NULL, hu__report_int((uint64_t)m1, n1, sizeof n1));
    hu_svg_texts(&s, x0 - 6, b1 + 4, "end", NULL, "0");
    hu_svg_texts(&s, x0, t2 - 4, "start", "lbl", "this campaign");
    hu_svg_line(&s, x0, t2, x0 + w, t2, "grid");
    series_xy(mine, nb, x0, w, b2, b2 - t2, m2, xs, ys);
    hu_svg_area(&s, xs, ys, nb, b2, "camp");
    hu_svg_polyline(&s, xs, ys, nb, "campl");
    hu_svg_texts(&s, x0 - 6, t2 + 4, "end", NULL, hu__report_int((uint64_t)m2, n1, sizeof n1));
    hu_svg_texts(&s, x0 - 6, b2 + 4, "end", NULL, "0");
    time_axis(&s, se, x0, w, b2);
    snprintf(lab, sizeof lab, "requests per %s, UTC; each band on its own scale",
             bucket_name(se->bucket_ms, bn, sizeof bn));
    hu_svg_texts(&s, x0, H - 4, "start", NULL, lab);
    if (!pg->rc) pg->rc = hu_svg_end(&s);
out:
    hu_free(xs); hu_free(ys); hu_free(other);
}

static const char *const dow_name[7] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };

/* 7 x 24 day-of-week x hour-of-day. */
static void chart_heat(struct page *pg, const uint64_t *heat, const char *id)
{
    const double cw = 19, ch = 17, x0 = 34, y0 = 8;
    const double W = x0 + 24 * cw + 6, H = y0 + 7 * ch + 22;
    uint64_t max = vmax(heat, 168);
    char lab[128], fill[16], title[96], n1[32];
    struct hu_svg s;
    snprintf(lab, sizeof lab, "Requests of campaign %s by day of week and hour of day (UTC)", id);
    hu_svg_begin(&s, &pg->b, W, H, "chart", lab);
    for (int d = 0; d < 7; d++) {
        hu_svg_texts(&s, x0 - 6, y0 + d * ch + 12, "end", NULL, dow_name[d]);
        for (int h = 0; h < 24; h++) {
            uint64_t v = heat[d * 24 + h];
            heat_fill(max ? (double)v / (double)max : 0, fill, sizeof fill);
            snprintf(title, sizeof title, "%s %02d:00 UTC: %s requests", dow_name[d], h,
                     hu__report_int(v, n1, sizeof n1));
            hu_svg_rect(&s, x0 + h * cw, y0 + d * ch, cw - 1.5, ch - 1.5, NULL, fill, title);
        }
    }
    for (int h = 0; h < 24; h += 3) {
        char t[16];
        snprintf(t, sizeof t, "%02d", h);
        hu_svg_texts(&s, x0 + h * cw + cw / 2, y0 + 7 * ch + 13, "middle", NULL, t);
    }
    if (!pg->rc) pg->rc = hu_svg_end(&s);
}

/* Without the second pass: hour-of-day and day-of-week strips from the
 * profiles (they keep the two marginals, not the joint counts). */
static void chart_marginals(struct page *pg, const uint64_t *hour, const uint64_t *dow, const char *id)
{
    const double cw = 19, ch = 17, x0 = 34;
    const double W = x0 + 24 * cw + 6, H = 2 * ch + 46;
    uint64_t mh = vmax(hour, 24), md = vmax(dow, 7);
    char lab[128], fill[16], title[96], n1[32];
    struct hu_svg s;
    snprintf(lab, sizeof lab, "Requests of campaign %s by hour of day and by day of week (UTC)", id);
    hu_svg_begin(&s, &pg->b, W, H, "chart", lab);
    hu_svg_texts(&s, x0 - 6, 20, "end", NULL, "hour");
    for (int h = 0; h < 24; h++) {
        heat_fill(mh ? sqrt((double)hour[h] / (double)mh) : 0, fill, sizeof fill);
        snprintf(title, sizeof title, "%02d:00 UTC: %s requests", h, hu__report_int(hour[h], n1, sizeof n1));
        hu_svg_rect(&s, x0 + h * cw, 8, cw - 1.5, ch - 1.5, NULL, fill, title);
        if (h % 3 == 0) {
            char t[16];
            snprintf(t, sizeof t, "%02d", h);
            hu_svg_texts(&s, x0 + h * cw + cw / 2, 8 + ch + 11, "middle", NULL, t);
        }
    }
    hu_svg_texts(&s, x0 - 6, 8 + ch + 30, "end", NULL, "day");
    for (int d = 0; d < 7; d++) {
        heat_fill(md ? sqrt((double)dow[d] / (double)md) : 0, fill, sizeof fill);
        snprintf(title, sizeof title, "%s: %s requests", dow_name[d], hu__report_int(dow[d], n1, sizeof n1));
        hu_svg_rect(&s, x0 + d * 2 * cw, 8 + ch + 18, 2 * cw - 1.5, ch - 1.5, NULL, fill, title);
        hu_svg_texts(&s, x0 + d * 2 * cw + cw, 8 + 2 * ch + 30, "middle", NULL, dow_name[d]);
    }
    if (!pg->rc) pg->rc = hu_svg_end(&s);
}

static int cmp_target_idx(const void *x, const void *y, const double *v)
{
    int a = *(const int *)x, b = *(const int *)y;
    if (v[a] != v[b]) return v[a] > v[b] ? -1 : 1;
    return a - b;
}

static void chart_targets(struct page *pg, const struct hu_campaign_result *c)
{
    int idx[HU_TARGET_COUNT];
    for (int t = 0; t < HU_TARGET_COUNT; t++) idx[t] = t;
    /* insertion sort: 7 items, strongest first */
    for (int i = 1; i < HU_TARGET_COUNT; i++)
        for (int j = i; j > 0 && cmp_target_idx(&idx[j - 1], &idx[j], c->targets) > 0; j--) {
            int t = idx[j]; idx[j] = idx[j - 1]; idx[j - 1] = t;
        }
    const double W = 420, row = 22, x0 = 104, bw = 250;
    struct hu_svg s;
    char lab[96], p[24];
    snprintf(lab, sizeof lab, "Share of campaign %s requests per extraction target", c->id);
    hu_svg_begin(&s, &pg->b, W, row * HU_TARGET_COUNT + 4, "chart", lab);
    for (int i = 0; i < HU_TARGET_COUNT; i++) {
        int t = idx[i];
        double v = c->targets[t];
        if (!isfinite(v) || v < 0) v = 0;
        if (v > 1) v = 1;
        double y = 2 + i * row;
        hu_svg_texts(&s, x0 - 8, y + 14, "end", "lbl", hu_target_code((enum hu_target)t));
        hu_svg_rect(&s, x0, y + 4, bw, 12, "barbg", NULL, hu_target_desc((enum hu_target)t));
        hu_svg_rect(&s, x0, y + 4, bw * v, 12, "bar", NULL, hu_target_desc((enum hu_target)t));
        snprintf(p, sizeof p, "%.0f%%", 100 * v);
        hu_svg_texts(&s, x0 + bw + 8, y + 14, "start", NULL, p);
    }
    if (!pg->rc) pg->rc = hu_svg_end(&s);
}

/* ---- sections ------------------------------------------------------------ */

static int is_campaign(const struct hu_campaign_result *c) { return c->score >= 0.5; }

static void section_summary(struct page *pg, const struct hu_report_input *in, const struct hu_report_series *se,
                            uint32_t n_cards, uint64_t n_flagged)
{
    const struct hu_results *r = in->res;
    uint64_t camp_req = 0, camp_acc = 0;
    size_t n_real = 0;
    for (size_t i = 0; i < r->n_campaigns; i++) {
        if (!is_campaign(&r->campaigns[i])) continue;
        n_real++;
        camp_req += r->campaigns[i].requests;
        camp_acc += r->campaigns[i].n_members;
    }
    char a[32], b[32], p[24], sp[48];
    span_str(r->total_requests ? r->last_ts_ms - r->first_ts_ms : 0, sp, sizeof sp);
    S(pg, "<section id=\"summary\"><h2>Summary</h2><div class=\"tiles\">");
    F(pg, "<div class=\"tile\"><b>%zu</b><span>campaigns (score &ge; 0.5)", n_real);
    if (r->n_campaigns > n_real) F(pg, "; %zu weaker linked groups", r->n_campaigns - n_real);
    S(pg, "</span></div>");
    F(pg, "<div class=\"tile\"><b>%s</b><span>accounts in campaigns, of %s seen</span></div>",
      hu__report_int(camp_acc, a, sizeof a), hu__report_int(r->n_accounts, b, sizeof b));
    F(pg, "<div class=\"tile\"><b>%s</b><span>accounts flagged (action stronger than monitor)</span></div>",
      hu__report_int(n_flagged, a, sizeof a));
    F(pg, "<div class=\"tile\"><b>%s</b><span>requests analysed</span></div>",
      hu__report_int(r->total_requests, a, sizeof a));
    F(pg, "<div class=\"tile\"><b>%s</b><span>of the traffic came from campaign accounts (%s requests)</span></div>",
      pct(r->total_requests ? (double)camp_req / (double)r->total_requests : 0, p, sizeof p),
      hu__report_int(camp_req, a, sizeof a));
    F(pg, "<div class=\"tile\"><b>%s</b><span>time span of the input</span></div>", sp);
    S(pg, "</div>");
    if (r->n_campaigns) {
#define GLANCE_HEAD "<table><thead><tr><th>campaign</th><th class=\"n\">score</th><th class=\"n\">accounts</th>" \
                    "<th class=\"n\">requests</th><th class=\"n\">share</th><th>main targets</th>" \
                    "<th>linked by</th></tr></thead><tbody>"
        S(pg, "<div class=\"panel\"><h3>Campaigns at a glance</h3>");
        if (n_real)
            S(pg, GLANCE_HEAD);
        else
            S(pg, "<p class=\"meta\">No group of accounts scored as a campaign (score &ge; 0.5).</p>");
        size_t n_rows = r->n_campaigns < 2 * HU_REPORT_MAX_CARDS ? r->n_campaigns : 2 * HU_REPORT_MAX_CARDS;
        int folded = 0;
        for (size_t i = 0; i < n_rows; i++) {
            const struct hu_campaign_result *c = &r->campaigns[i];
            if (!is_campaign(c) && (i == 0 || is_campaign(&r->campaigns[i - 1]))) {
                /* the weaker groups: folded away, they are context, not findings */
                if (n_real) S(pg, "</tbody></table>");
                folded = 1;
                F(pg, "<details><summary>%zu linked group%s below the throttle threshold (0.5): accounts that "
                      "share something, such as one company's card, without harvesting behaviour; no card"
                      "</summary>" GLANCE_HEAD, r->n_campaigns - n_real, r->n_campaigns - n_real == 1 ? "" : "s");
            }
            if (i < n_cards)
                F(pg, "<tr><td><a class=\"mono\" href=\"#%s\">%s</a></td>", c->id, c->id);
            else
                F(pg, "<tr class=\"weakrow\"><td><span class=\"mono\">%s</span></td>", c->id);
            F(pg, "<td class=\"n\">%.2f</td>", c->score);
            F(pg, "<td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td>",
              hu__report_int(c->n_members, a, sizeof a), hu__report_int(c->requests, b, sizeof b),
              pct(r->total_requests ? (double)c->requests / (double)r->total_requests : 0, p, sizeof p));
            int any = 0;
            for (int t = 0; t < HU_TARGET_COUNT; t++)
                if (c->targets[t] >= 0.1) {
                    F(pg, "%s%s %.0f%%", any ? ", " : "", hu_target_code((enum hu_target)t), 100 * c->targets[t]);
                    any = 1;
                }
            if (!any) S(pg, "&ndash;");
            S(pg, "</td><td>");
            any = 0;
            for (int k = 0; k < HU_LINK_KIND_COUNT; k++)
                if (c->link_kinds & (1u << k)) {
                    F(pg, "%s%s", any ? ", " : "", hu_link_kind_code((enum hu_link_kind)k));
                    any = 1;
                }
            S(pg, "</td></tr>");
        }
        if (n_real || folded)
            S(pg, folded ? "</tbody></table></details>" : "</tbody></table>");
        if (n_rows < r->n_campaigns)
            F(pg, "<p class=\"meta\">The %zu strongest of %zu campaigns and linked groups are listed "
                  "(report cap); campaigns.json has all of them.</p>", n_rows, r->n_campaigns);
        if (n_cards < n_real)
            F(pg, "<p class=\"meta\">Cards are drawn for the %u strongest of %zu campaigns (report cap).</p>",
              n_cards, n_real);
        S(pg, "</div>");
    }
    S(pg, "<div class=\"panel\"><h3>Traffic over time</h3>");
    if (se->available) {
        S(pg, "<figure>");
        chart_overview(pg, se);
        S(pg, "</figure>");
    } else {
        S(pg, "<p class=\"note\">No timeline: ");
        Es(pg, se->note);
        S(pg, ". Profiles keep no series over time, so the report reads the input a second time for the "
              "timelines; run <code>huella analyze</code> on files to get them.</p>");
    }
    S(pg, "</div></section>");
}

static int cmp_member_score(const void *x, const void *y, const struct hu_results *r)
{
    const struct hu_account_result *a = &r->accounts[*(const uint32_t *)x], *b = &r->accounts[*(const uint32_t *)y];
    if (a->score != b->score) return a->score > b->score ? -1 : 1;
    if (a->requests != b->requests) return a->requests > b->requests ? -1 : 1;
    return *(const uint32_t *)x < *(const uint32_t *)y ? -1 : 1;
}

/* The HU_REPORT_MAX_CARD_IDS highest-scoring members (a small selection, O(members x cap)). */
static size_t top_members(const struct hu_results *r, const struct hu_campaign_result *c, uint32_t *out)
{
    size_t n = 0;
    for (uint32_t i = 0; i < c->n_members; i++) {
        uint32_t m = c->members[i];
        if (n < HU_REPORT_MAX_CARD_IDS) out[n++] = m;
        else if (cmp_member_score(&m, &out[n - 1], r) < 0) out[n - 1] = m;
        else continue;
        for (size_t j = n - 1; j > 0 && cmp_member_score(&out[j], &out[j - 1], r) < 0; j--) {
            uint32_t t = out[j]; out[j] = out[j - 1]; out[j - 1] = t;
        }
    }
    return n;
}

#define IND_HEAD "<thead><tr><th>type</th><th>value</th><th class=\"n\">campaign accounts</th>" \
                 "<th class=\"n\">accounts outside</th></tr></thead>"

static void section_card(struct page *pg, const struct hu_report_input *in, const struct hu_report_series *se,
                         uint32_t ci)
{
    const struct hu_results *r = in->res;
    const struct hu_campaign_result *c = &r->campaigns[ci];
    char a[32], b[32], p[24], t0[40], t1[40], sp[48];
    ts_pretty(c->first_seen_ms, t0, sizeof t0);
    ts_pretty(c->last_seen_ms, t1, sizeof t1);
    span_str(c->last_seen_ms - c->first_seen_ms, sp, sizeof sp);
    F(pg, "<section class=\"card%s\" id=\"%s\"><header><h2>%s</h2>", is_campaign(c) ? "" : " weak", c->id, c->id);
    F(pg, "<span class=\"badge%s\">score %.2f</span>", is_campaign(c) ? "" : " low", c->score);
    if (!is_campaign(c)) S(pg, "<span class=\"badge low\">linked group below the throttle threshold</span>");
    if (c->org_fleet) S(pg, "<span class=\"badge low\">one declared, verified organisation</span>");
    F(pg, "<span class=\"meta\">%s accounts &middot; %s requests (%s of all traffic) &middot; %s to %s UTC (%s)</span>",
      hu__report_int(c->n_members, a, sizeof a), hu__report_int(c->requests, b, sizeof b),
      pct(r->total_requests ? (double)c->requests / (double)r->total_requests : 0, p, sizeof p), t0, t1, sp);
    S(pg, "</header>");

    /* evidence first: it is what the analyst reads */
    S(pg, "<h3>Strongest evidence</h3>");
    if (c->n_evidence) {
        S(pg, "<ol class=\"ev\">");
        for (uint32_t i = 0; i < c->n_evidence && i < HU_REPORT_MAX_EVIDENCE; i++) {
            S(pg, "<li>");
            Es(pg, c->evidence[i].text);
            S(pg, "</li>");
        }
        S(pg, "</ol>");
        if (c->n_evidence > HU_REPORT_MAX_EVIDENCE)
            F(pg, "<p class=\"meta\">%u more sentences in campaigns.json.</p>", c->n_evidence - HU_REPORT_MAX_EVIDENCE);
    } else {
        S(pg, "<p class=\"meta\">No evidence sentence.</p>");
    }

    S(pg, "<div class=\"grid2\"><div><h3>What it targets</h3>");
    chart_targets(pg, c);
    S(pg, "<h3>Score parts and links</h3><div class=\"parts\">");
    const struct { const char *k; double v; } parts[] = {
        { "behaviour", c->behaviour }, { "coordination", c->coordination }, { "concealment", c->concealment },
    };
    for (size_t i = 0; i < 3; i++) {
        double v = isfinite(parts[i].v) ? (parts[i].v < 0 ? 0 : parts[i].v > 1 ? 1 : parts[i].v) : 0;
        F(pg, "<div><span class=\"k\">%s</span><span class=\"meter\"><i style=\"width:%.0f%%\"></i></span>%.2f</div>",
          parts[i].k, 100 * v, v);
    }
    S(pg, "</div><ul class=\"links\">");
    for (int k = 0; k < HU_LINK_KIND_COUNT; k++) {
        if (!(c->link_kinds & (1u << k))) continue;
        F(pg, "<li><b>%s</b>: ", hu_link_kind_code((enum hu_link_kind)k));
        Es(pg, hu_link_kind_desc((enum hu_link_kind)k));
        F(pg, " &mdash; %s members, %s links</li>", hu__report_int(c->kind_members[k], a, sizeof a),
          hu__report_int(c->kind_links[k], b, sizeof b));
    }
    S(pg, "</ul></div><div><h3>Timeline against all other traffic</h3>");
    if (se->available && ci < se->n_cards) {
        chart_timeline(pg, se, ci, c->id);
    } else {
        S(pg, "<p class=\"meta\">No timeline: ");
        Es(pg, se->note[0] ? se->note : "campaign beyond the report cap");
        S(pg, ".</p>");
    }
    S(pg, "<h3>Daily rhythm</h3>");
    if (se->available && ci < se->n_cards) {
        chart_heat(pg, se->heat + (size_t)ci * 168, c->id);
        S(pg, "<p class=\"meta\">Requests by day of week and hour of day, UTC.</p>");
    } else {
        uint64_t hour[24] = { 0 }, dow[7] = { 0 };
        for (uint32_t i = 0; i < c->n_members; i++) {
            const struct hu_profile *pr = hu_profile_table_at(in->profiles, c->members[i]);
            if (!pr) continue;
            for (int h = 0; h < 24; h++) hour[h] += pr->hour[h];
            for (int d = 0; d < 7; d++) dow[d] += pr->dow[d];
        }
        chart_marginals(pg, hour, dow, c->id);
        S(pg, "<p class=\"meta\">Hour of day and day of week separately (UTC), from the accounts' profiles.</p>");
    }
    S(pg, "</div></div>");
    flush(pg);

    S(pg, "<h3>Accounts and what links them</h3>");
    if (!pg->rc) pg->rc = hu__report_graph(&pg->b, in, c);
    flush(pg);

    S(pg, "<h3>Indicators</h3>");
    if (c->n_indicators) {
        S(pg, "<table>" IND_HEAD "<tbody>");
        uint32_t n_ind = c->n_indicators < HU_REPORT_MAX_CARD_IND ? c->n_indicators : HU_REPORT_MAX_CARD_IND;
        for (uint32_t i = 0; i < n_ind; i++) {
            const struct hu_indicator *ind = &c->indicators[i];
            if (i == 10 && n_ind > 12)
                F(pg, "</tbody></table><details><summary>%u more indicators</summary><table>%s<tbody>", n_ind - 10,
                  IND_HEAD);
            S(pg, "<tr><td>");
            Es(pg, ind->type);
            S(pg, "</td><td><code>");
            Es(pg, ind->value);
            F(pg, "</code></td><td class=\"n\">%s</td><td class=\"n\">%s</td></tr>",
              hu__report_int(ind->accounts, a, sizeof a), hu__report_int(ind->outside, b, sizeof b));
        }
        S(pg, n_ind > 12 ? "</tbody></table></details>" : "</tbody></table>");
        if (c->n_indicators > HU_REPORT_MAX_CARD_IND)
            F(pg, "<p class=\"meta\">%u of %u indicators shown; all are in campaigns.json.</p>",
              HU_REPORT_MAX_CARD_IND, c->n_indicators);
    } else {
        S(pg, "<p class=\"meta\">No indicator shared by two or more of its accounts.</p>");
    }

    uint32_t top[HU_REPORT_MAX_CARD_IDS];
    size_t n = top_members(r, c, top);
    F(pg, "<h3>Accounts (%s, highest score first)</h3><p class=\"ids\">", hu__report_int(c->n_members, a, sizeof a));
    for (size_t i = 0; i < n; i++) {
        const struct hu_account_result *ac = &r->accounts[top[i]];
        S(pg, "<code>");
        E(pg, ac->account_id, ac->account_id_len);
        S(pg, "</code>");
    }
    if (c->n_members > n)
        F(pg, "<span class=\"meta\">and %s more (accounts.csv has every account)</span>",
          hu__report_int(c->n_members - n, a, sizeof a));
    S(pg, "</p></section>");
    flush(pg);
}

struct flag_row { uint32_t idx; double score; uint64_t req; };

static int cmp_flag(const void *x, const void *y)
{
    const struct flag_row *a = x, *b = y;
    if (a->score != b->score) return a->score > b->score ? -1 : 1;
    if (a->req != b->req) return a->req > b->req ? -1 : 1;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static void section_flagged(struct page *pg, const struct hu_report_input *in, const struct flag_row *rows,
                            size_t n, uint64_t n_flagged, uint32_t n_cards)
{
    const struct hu_results *r = in->res;
    char a[32], b[32];
    struct hu_buf reasons;
    hu_buf_init(&reasons, 1u << 16);
    S(pg, "<section id=\"accounts\"><h2>Flagged accounts</h2><div class=\"panel\">");
    if (!n) {
        S(pg, "<p class=\"meta\">No account is flagged.</p></div></section>");
        hu_buf_fini(&reasons);
        return;
    }
    F(pg, "<div class=\"tools\"><input id=\"flagged-filter\" type=\"search\" placeholder=\"filter: account, campaign, "
          "action, reason\" aria-label=\"filter the table\"><span class=\"meta\"><span id=\"flagged-shown\">%s</span> "
          "shown; ", hu__report_int(n, a, sizeof a));
    if (n < n_flagged)
        F(pg, "the %s highest-scoring of %s flagged accounts (report cap); accounts.csv has all",
          hu__report_int(n, a, sizeof a), hu__report_int(n_flagged, b, sizeof b));
    else
        S(pg, "every flagged account");
    S(pg, ". Click a column to sort.</span></div>");
    S(pg, "<table id=\"flagged\"><thead><tr><th class=\"n\" data-num=\"1\">#</th><th>account</th>"
          "<th class=\"n\" data-num=\"1\">score</th><th>action</th><th>campaign</th>"
          "<th class=\"n\" data-num=\"1\">requests</th><th>reasons</th></tr></thead><tbody>");
    for (size_t i = 0; i < n && !pg->rc; i++) {
        const struct hu_account_result *ac = &r->accounts[rows[i].idx];
        F(pg, "<tr><td class=\"n\">%zu</td><td class=\"acct\"><code>", i + 1);
        E(pg, ac->account_id, ac->account_id_len);
        F(pg, "</code></td><td class=\"n\">%.2f</td><td><span class=\"act act-%s\">%s</span>", ac->score,
          hu_action_name(ac->action), hu_action_name(ac->action));
        if (ac->action != ac->would)
            F(pg, " <span class=\"meta\">(shadow; would %s)</span>", hu_action_name(ac->would));
        S(pg, "</td><td>");
        if (ac->campaign) {
            const char *id = r->campaigns[ac->campaign - 1].id;
            if (ac->campaign <= n_cards) F(pg, "<a class=\"mono\" href=\"#%s\">%s</a>", id, id);
            else F(pg, "<span class=\"mono\">%s</span>", id);
        }
        F(pg, "</td><td class=\"n\" data-v=\"%llu\">%s</td><td class=\"reasons\">", (unsigned long long)ac->requests,
          hu__report_int(ac->requests, b, sizeof b));
        hu_buf_reset(&reasons);
        if (!pg->rc) pg->rc = hu_format_reasons(&reasons, ac);
        /* one pill per reason: lines break between reasons, not inside one */
        size_t from = 0;
        for (size_t k = 0; k <= reasons.len && !pg->rc; k++) {
            if (k < reasons.len && reasons.ptr[k] != ';')
                continue;
            if (k > from) {
                S(pg, "<span class=\"r\">");
                E(pg, reasons.ptr + from, k - from);
                S(pg, "</span> ");
            }
            from = k + 1;
        }
        S(pg, "</td></tr>");
        flush(pg);
    }
    S(pg, "</tbody></table></div></section>");
    hu_buf_fini(&reasons);
}

static void data_block(struct page *pg, const struct hu_report_input *in, const struct hu_report_series *se,
                       const struct flag_row *rows, size_t n_rows, uint64_t n_flagged, uint32_t n_cards)
{
    const struct hu_results *r = in->res;
    char t0[40] = "", t1[40] = "";
    if (r->total_requests) {
        ts_str(r->first_ts_ms, t0, sizeof t0);
        ts_str(r->last_ts_ms, t1, sizeof t1);
    }
    S(pg, "<script type=\"application/json\" id=\"huella-data\">{\"schema_version\":1,\"huella\":");
    Js(pg, HU_VERSION);
    S(pg, ",\"input\":{\"first_ts\":");
    Js(pg, t0);
    S(pg, ",\"last_ts\":");
    Js(pg, t1);
    F(pg, ",\"events\":%llu,\"rejected\":%llu,\"accounts\":%zu,\"requests\":%llu},\"policy_digest\":\"%016llx\"",
      (unsigned long long)in->events, (unsigned long long)in->rejects, r->n_accounts,
      (unsigned long long)r->total_requests, (unsigned long long)r->policy_digest);
    F(pg, ",\"caps\":{\"cards\":%u,\"flagged_rows\":%u,\"graph_nodes\":%u},\"n_campaigns\":%zu,\"n_flagged\":%llu",
      HU_REPORT_MAX_CARDS, HU_REPORT_MAX_FLAGGED, HU_REPORT_MAX_GRAPH_NODES, r->n_campaigns,
      (unsigned long long)n_flagged);
    S(pg, ",\"series\":");
    if (se->available) {
        char t[40];
        ts_str(se->t0_ms, t, sizeof t);
        S(pg, "{\"t0\":");
        Js(pg, t);
        F(pg, ",\"bucket_ms\":%lld,\"all\":[", (long long)se->bucket_ms);
        for (uint32_t i = 0; i < se->n_buckets; i++) F(pg, "%s%llu", i ? "," : "", (unsigned long long)se->all[i]);
        S(pg, "]}");
    } else {
        S(pg, "null");
    }
    S(pg, ",\"campaigns\":[");
    for (uint32_t ci = 0; ci < n_cards; ci++) {
        const struct hu_campaign_result *c = &r->campaigns[ci];
        S(pg, ci ? ",{\"id\":" : "{\"id\":");
        Js(pg, c->id);
        S(pg, ",\"score\":");
        Jnum(pg, c->score);
        F(pg, ",\"n_accounts\":%u,\"requests\":%llu,\"first_seen\":", c->n_members, (unsigned long long)c->requests);
        ts_str(c->first_seen_ms, t0, sizeof t0);
        Js(pg, t0);
        S(pg, ",\"last_seen\":");
        ts_str(c->last_seen_ms, t0, sizeof t0);
        Js(pg, t0);
        S(pg, ",\"targets\":{");
        for (int t = 0; t < HU_TARGET_COUNT; t++) {
            F(pg, "%s\"%s\":", t ? "," : "", hu_target_code((enum hu_target)t));
            Jnum(pg, c->targets[t]);
        }
        S(pg, "},\"series\":");
        if (se->available && ci < se->n_cards) {
            S(pg, "[");
            for (uint32_t i = 0; i < se->n_buckets; i++)
                F(pg, "%s%llu", i ? "," : "", (unsigned long long)se->camp[(size_t)ci * se->n_buckets + i]);
            S(pg, "],\"heat\":[");
            for (uint32_t i = 0; i < 168; i++)
                F(pg, "%s%llu", i ? "," : "", (unsigned long long)se->heat[(size_t)ci * 168 + i]);
            S(pg, "]");
        } else {
            S(pg, "null,\"heat\":null");
        }
        S(pg, "}");
        flush(pg);
    }
    S(pg, "],\"flagged\":[");
    struct hu_buf reasons;
    hu_buf_init(&reasons, 1u << 16);
    for (size_t i = 0; i < n_rows && !pg->rc; i++) {
        const struct hu_account_result *ac = &r->accounts[rows[i].idx];
        S(pg, i ? ",{\"account_id\":" : "{\"account_id\":");
        J(pg, ac->account_id, ac->account_id_len);
        S(pg, ",\"score\":");
        Jnum(pg, ac->score);
        F(pg, ",\"action\":\"%s\",\"campaign_id\":", hu_action_name(ac->action));
        Js(pg, ac->campaign ? r->campaigns[ac->campaign - 1].id : "");
        F(pg, ",\"requests\":%llu,\"reasons\":", (unsigned long long)ac->requests);
        hu_buf_reset(&reasons);
        if (!pg->rc) pg->rc = hu_format_reasons(&reasons, ac);
        J(pg, reasons.ptr ? reasons.ptr : "", reasons.len);
        S(pg, "}");
        flush(pg);
    }
    hu_buf_fini(&reasons);
    S(pg, "]}</script>");
}

/* ---- the page ------------------------------------------------------------ */

int hu_report_html_write(FILE *out, const struct hu_report_input *in)
{
    if (!out || !in || !in->res || !in->profiles)
        return HU_EINVAL;
    const struct hu_results *r = in->res;
    struct page pg = { .out = out };
    hu_buf_init(&pg.b, HU_REPORT_MAX_BYTES);
    struct hu_report_series se;
    struct flag_row *rows = NULL;
    /* cards: the campaigns (score >= 0.5; results are sorted by score), at
     * most HU_REPORT_MAX_CARDS; weaker linked groups are only listed */
    uint32_t n_cards = 0;
    while (n_cards < r->n_campaigns && n_cards < HU_REPORT_MAX_CARDS && is_campaign(&r->campaigns[n_cards]))
        n_cards++;
    int rc = hu_report_series_collect(in, n_cards, &se);
    if (rc)
        goto out;

    /* flagged accounts, ranked */
    uint64_t n_flagged = 0;
    for (size_t i = 0; i < r->n_accounts; i++)
        n_flagged += hu_action_flagged(r->accounts[i].would);
    rows = hu_calloc(n_flagged ? n_flagged : 1, sizeof *rows);
    if (!rows) { rc = HU_ENOMEM; goto out; }
    size_t nr = 0;
    for (size_t i = 0; i < r->n_accounts; i++)
        if (hu_action_flagged(r->accounts[i].would))
            rows[nr++] = (struct flag_row){ (uint32_t)i, r->accounts[i].score, r->accounts[i].requests };
    if (nr)
        qsort(rows, nr, sizeof *rows, cmp_flag);
    size_t n_rows = nr < HU_REPORT_MAX_FLAGGED ? nr : HU_REPORT_MAX_FLAGGED;

    /* CSP hash of the script */
    unsigned char dig[crypto_hash_sha256_BYTES];
    char b64[sodium_base64_ENCODED_LEN(crypto_hash_sha256_BYTES, sodium_base64_VARIANT_ORIGINAL)];
    crypto_hash_sha256(dig, (const unsigned char *)script, sizeof script - 1);
    sodium_bin2base64(b64, sizeof b64, dig, sizeof dig, sodium_base64_VARIANT_ORIGINAL);

    size_t n_real = 0;
    for (size_t i = 0; i < r->n_campaigns; i++) n_real += is_campaign(&r->campaigns[i]);
    char t0[40] = "-", t1[40] = "-", p0[40] = "-", p1[40] = "-", a[32], b[32];
    if (r->total_requests) {
        ts_str(r->first_ts_ms, t0, sizeof t0);
        ts_str(r->last_ts_ms, t1, sizeof t1);
        ts_pretty(r->first_ts_ms, p0, sizeof p0);
        ts_pretty(r->last_ts_ms, p1, sizeof p1);
    }
    S(&pg, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
           "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">");
    F(&pg, "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
           "img-src data:; script-src 'sha256-%s'\">", b64);
    F(&pg, "<meta name=\"generator\" content=\"huella %s\">", HU_VERSION);
    F(&pg, "<title>huella report: %zu campaign%s</title><style>", n_real, n_real == 1 ? "" : "s");
    S(&pg, css);
    S(&pg, "</style></head><body><header class=\"top\"><div class=\"in\"><h1>huella &mdash; distillation campaigns</h1>");
    F(&pg, "<p>%zu campaign%s among %s accounts and %s requests, %s to %s (UTC).</p></div></header><main>",
      n_real, n_real == 1 ? "" : "s", hu__report_int(r->n_accounts, a, sizeof a),
      hu__report_int(r->total_requests, b, sizeof b), p0, p1);

    section_summary(&pg, in, &se, n_cards, n_flagged);
    flush(&pg);
    if (n_cards)
        S(&pg, "<h2>Campaigns</h2>");
    for (uint32_t ci = 0; ci < n_cards && !pg.rc; ci++)
        section_card(&pg, in, &se, ci);
    section_flagged(&pg, in, rows, n_rows, n_flagged, n_cards);
    flush(&pg);

    F(&pg, "<footer>huella %s &middot; input %s to %s &middot; %s events read, %s rejected &middot; ",
      HU_VERSION, t0, t1, hu__report_int(in->events, a, sizeof a), hu__report_int(in->rejects, b, sizeof b));
    F(&pg, "policy digest <code>%016llx</code> &middot; campaigns.json schema v%d &middot; caps: %u campaign cards, "
           "%u flagged rows, %u graph nodes. No prompt text is kept or shown; this page loads nothing from the "
           "network and carries no time of generation: the same input gives the same page.</footer></main>",
      (unsigned long long)r->policy_digest, HU_CAMPAIGNS_SCHEMA_VERSION, HU_REPORT_MAX_CARDS,
      HU_REPORT_MAX_FLAGGED, HU_REPORT_MAX_GRAPH_NODES);
    data_block(&pg, in, &se, rows, n_rows, n_flagged, n_cards);
    S(&pg, "<script>");
    S(&pg, script);
    S(&pg, "</script></body></html>\n");
    rc = pg.rc;
    if (!rc && pg.b.len && fwrite(pg.b.ptr, 1, pg.b.len, out) != pg.b.len)
        rc = HU_EIO;
out:
    hu_report_series_fini(&se);
    hu_free(rows);
    hu_buf_fini(&pg.b);
    return rc;
}
