/*
 * html_graph.c -- the picture of a campaign: its accounts and the things
 * that link them, as a bipartite graph drawn in SVG.
 *
 * Nodes.  Entities come from the members' bounded sets (profile.h: IPs,
 * prefixes, ASNs, payment, client and header fingerprints, user agents,
 * system prompts, tool sets, API keys) and their heaviest templates
 * (space-saving entries seen at least twice); an entity is drawn when at
 * least two members hold it.  The sets are bounded samples (KMV, k = 8),
 * so an account that rotated through hundreds of addresses shows the ones
 * of smallest rank -- the same ones for every account (coordinated
 * sampling), which is exactly what makes shared addresses visible.  At most
 * HU_REPORT_MAX_GRAPH_ENT entities (most shared first) and
 * HU_REPORT_MAX_GRAPH_NODES nodes in all; accounts with the most edges to
 * the drawn entities first; the caption says what was left out.
 *
 * Layout.  Fruchterman & Reingold (1991): all-pairs repulsion k^2/d,
 * attraction d^2/k along edges, displacement capped by a temperature that
 * falls linearly over ITER steps; start positions on two circles
 * (entities inside, accounts outside next to their first entity).  Fixed
 * start, fixed iteration count, no randomness: the same campaign gives the
 * same picture.  O(nodes^2) per step: 200 nodes x 120 steps = 4.8M pair
 * updates, about 10 ms.
 */
#include "report/html_int.h"
#include "report/svg.h"
#include "core/alloc.h"
#include "core/hash.h"
#include "core/u64map.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ITER        150
#define GRAVITY     0.8   /* pull to the centre: keeps separate parts on the canvas */
#define MAX_EDGES   3000u
#define W           1040.0
#define H           470.0
#define MAX_ITEMS   (HU_PSET_COUNT * HU_KMV_K + 1 + HU_SS_K)
#define N_LABELS    12
#define PER_TYPE    12u   /* entities of one type in a graph */
#define PER_ACCOUNT 12u   /* edges of one account: to its most shared entities, 3 of a kind */

enum gtype { G_PAYMENT, G_IP, G_PREFIX, G_ASN, G_CLIENT_FP, G_HEADERS_FP, G_UA, G_SYSTEM,
             G_TOOLS, G_API_KEY, G_TEMPLATE, G_COUNT };

static const struct { const char *name, *cls; int pset; int dict; } ginfo[G_COUNT] = {
    [G_PAYMENT] = { "payment", "e-pay", HU_PSET_PAYMENT, HU_DICT_PAYMENT },
    [G_IP] = { "IP address", "e-ip", HU_PSET_IP, HU_DICT_IP },
    [G_PREFIX] = { "prefix", "e-prefix", HU_PSET_PREFIX, HU_DICT_PREFIX },
    [G_ASN] = { "ASN", "e-asn", HU_PSET_ASN, -1 },
    [G_CLIENT_FP] = { "client fingerprint", "e-cfp", HU_PSET_CLIENT_FP, HU_DICT_CLIENT_FP },
    [G_HEADERS_FP] = { "header fingerprint", "e-hfp", HU_PSET_HEADERS_FP, HU_DICT_HEADERS_FP },
    [G_UA] = { "user agent", "e-ua", HU_PSET_UA, HU_DICT_USER_AGENT },
    [G_SYSTEM] = { "system prompt", "e-sys", HU_PSET_SYSTEM, -1 },
    [G_TOOLS] = { "tool set", "e-tools", HU_PSET_TOOLS, -1 },
    [G_API_KEY] = { "API key", "e-key", HU_PSET_API_KEY, -1 },
    [G_TEMPLATE] = { "template", "e-tpl", -1, -1 },
};

struct item { uint64_t hash; uint8_t type; };
struct ent { uint64_t hash; uint32_t count; uint8_t type; };
struct acc { uint32_t member; uint32_t deg; };

static uint64_t gkey(int type, uint64_t h)
{
    uint64_t k = hu_hash_combine(h, (uint64_t)type + 211);
    return k ? k : 1;
}

/* The entities profile p holds, at most MAX_ITEMS. */
static size_t items_of(const struct hu_profile *p, struct item *out)
{
    struct hu_kmv ks_;
    size_t n = 0;
    for (int t = 0; t < G_COUNT; t++) {
        if (ginfo[t].pset < 0)
            continue;
        const struct hu_kmv *s = hu_profile_set(p, ginfo[t].pset, &ks_);
        for (unsigned i = 0; i < s->n; i++)
            if (s->h[i])
                out[n++] = (struct item){ s->h[i], (uint8_t)t };
    }
    if (p->facts.payment_hash && hu_kmv_contains(hu_profile_set(p, HU_PSET_PAYMENT, &ks_), p->facts.payment_hash) != HU_KMV_YES)
        out[n++] = (struct item){ p->facts.payment_hash, G_PAYMENT };
    for (unsigned i = 0; i < HU_SS_K && i < p->top_templates.n; i++)
        if (p->top_templates.e[i].count >= 2 && p->top_templates.e[i].key)
            out[n++] = (struct item){ p->top_templates.e[i].key, G_TEMPLATE };
    return n;
}

static int cmp_ent(const void *x, const void *y)
{
    const struct ent *a = x, *b = y;
    if (a->count != b->count) return a->count > b->count ? -1 : 1;
    if (a->type != b->type) return a->type < b->type ? -1 : 1;
    return (a->hash > b->hash) - (a->hash < b->hash);
}

static int cmp_acc(const void *x, const void *y)
{
    const struct acc *a = x, *b = y;
    if (a->deg != b->deg) return a->deg > b->deg ? -1 : 1;
    return (a->member > b->member) - (a->member < b->member);
}

static void ent_label(const struct hu_report_input *in, const struct ent *e, char *out, size_t cap)
{
    const char *v = ginfo[e->type].dict >= 0 && in->dict
                        ? hu_dict_get(in->dict, (enum hu_dict_kind)ginfo[e->type].dict, e->hash) : NULL;
    if (v)
        snprintf(out, cap, "%s", v);
    else if (e->type == G_ASN)
        snprintf(out, cap, "AS%llu", (unsigned long long)e->hash);
    else if (e->type == G_TEMPLATE)
        snprintf(out, cap, "tpl:%016llx", (unsigned long long)e->hash);
    else if (e->type == G_SYSTEM)
        snprintf(out, cap, "sys:%016llx", (unsigned long long)e->hash);
    else if (e->type == G_TOOLS)
        snprintf(out, cap, "tools:%016llx", (unsigned long long)e->hash);
    else
        snprintf(out, cap, "#%016llx", (unsigned long long)e->hash);
}

/* Cut s to at most max bytes on a UTF-8 boundary, adding "..." if cut. */
static void shorten(char *s, size_t max)
{
    size_t n = strlen(s);
    if (n <= max)
        return;
    size_t cut = max - 3;
    while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
        cut--;
    memcpy(s + cut, "...", 4);
}

/* Fruchterman-Reingold on n nodes in [0,1]^2 (then scaled by the caller). */
static void layout(double *x, double *y, size_t n, const uint32_t (*edge)[2], size_t n_edges,
                   double *dx, double *dy)
{
    double k = sqrt(1.0 / (double)(n ? n : 1));
    for (int it = 0; it < ITER; it++) {
        double temp = 0.1 * (1.0 - (double)it / ITER) + 0.001;
        memset(dx, 0, n * sizeof *dx);
        memset(dy, 0, n * sizeof *dy);
        for (size_t i = 0; i < n; i++) {
            for (size_t j = i + 1; j < n; j++) {
                double ux = x[i] - x[j], uy = y[i] - y[j];
                double d2 = ux * ux + uy * uy;
                if (d2 < 1e-9) { ux = 1e-3 * (double)((i + j) % 7 + 1); uy = 1e-3; d2 = ux * ux + uy * uy; }
                double f = k * k / d2;          /* (k^2/d) along the unit vector u/d */
                dx[i] += ux * f; dy[i] += uy * f;
                dx[j] -= ux * f; dy[j] -= uy * f;
            }
        }
        for (size_t e = 0; e < n_edges; e++) {
            uint32_t a = edge[e][0], b = edge[e][1];
            double ux = x[a] - x[b], uy = y[a] - y[b];
            double d = sqrt(ux * ux + uy * uy);
            double f = d / k;                    /* (d^2/k) along u/d */
            dx[a] -= ux * f; dy[a] -= uy * f;
            dx[b] += ux * f; dy[b] += uy * f;
        }
        for (size_t i = 0; i < n; i++) {
            /* gravity towards the centre keeps loose parts on the canvas */
            dx[i] += (0.5 - x[i]) * GRAVITY;
            dy[i] += (0.5 - y[i]) * GRAVITY;
            double d = sqrt(dx[i] * dx[i] + dy[i] * dy[i]);
            if (d > 0) {
                double step = d < temp ? d : temp;
                x[i] += dx[i] / d * step;
                y[i] += dy[i] / d * step;
            }
        }
    }
}

/* "; held by nearly every member and so not drawn: ASN AS64500 (232), ..." */
static int list_universal(struct hu_buf *b, const struct hu_report_input *in, const struct ent *univ, size_t n)
{
    char label[300], num[32];
    int rc = HU_OK;
    for (size_t u = 0; u < n && u < 8 && !rc; u++) {
        ent_label(in, &univ[u], label, sizeof label);
        shorten(label, 40);
        rc = hu_buf_printf(b, "%s%s ", u ? ", " : "; held by nearly every member and so not drawn: ",
                           ginfo[univ[u].type].name);
        if (!rc) rc = hu_buf_adds(b, "<code>");
        if (!rc) rc = hu_xml_escapes(b, label);
        if (!rc) rc = hu_buf_printf(b, "</code> (%s)", hu__report_int(univ[u].count, num, sizeof num));
    }
    if (!rc && n > 8)
        rc = hu_buf_printf(b, " and %zu more", n - 8);
    return rc;
}

int hu__report_graph(struct hu_buf *b, const struct hu_report_input *in,
                     const struct hu_campaign_result *c)
{
    int rc = HU_ENOMEM;
    struct hu_u64map count = { 0 }, seen = { 0 }, sel = { 0 };
    struct ent *ents = NULL;
    struct acc *accs = NULL;
    uint32_t (*edge)[2] = NULL;
    double *x = NULL, *y = NULL, *dx = NULL, *dy = NULL;
    size_t n_ents = 0, cap_ents = 0, n_accs = 0, n_edges = 0, edges_dropped = 0;
    struct item it[MAX_ITEMS];
    char tmp[512], num[32], num2[32];

    if (hu_u64map_init(&count, c->n_members * 4u) || hu_u64map_init(&seen, 64) || hu_u64map_init(&sel, 128))
        goto out;
    for (uint32_t m = 0; m < c->n_members; m++) {
        const struct hu_profile *p = hu_profile_table_at(in->profiles, c->members[m]);
        size_t n = p ? items_of(p, it) : 0;
        for (size_t i = 0; i < n; i++)
            if (hu_u64map_add(&count, gkey(it[i].type, it[i].hash), 1))
                goto out;
    }
    for (uint32_t m = 0; m < c->n_members; m++) {
        const struct hu_profile *p = hu_profile_table_at(in->profiles, c->members[m]);
        size_t n = p ? items_of(p, it) : 0;
        for (size_t i = 0; i < n; i++) {
            uint64_t k = gkey(it[i].type, it[i].hash);
            uint32_t cnt = hu_u64map_get(&count, k);
            if (cnt < 2 || hu_u64map_get(&seen, k))
                continue;
            if (hu_u64map_add(&seen, k, 1))
                goto out;
            if (n_ents == cap_ents) {
                size_t nc = cap_ents ? cap_ents * 2 : 64;
                struct ent *ne = hu_realloc(ents, nc * sizeof *ne);
                if (!ne) goto out;
                ents = ne;
                cap_ents = nc;
            }
            ents[n_ents++] = (struct ent){ it[i].hash, cnt, it[i].type };
        }
    }
    size_t total_ents = n_ents;
    if (n_ents)
        qsort(ents, n_ents, sizeof *ents, cmp_ent);
    /* the most shared entities, at most PER_TYPE of a type so that one
     * kind (templates, addresses) does not crowd out the others */
    /* An entity nearly every member holds (a hydra cluster's cloud ASN,
     * one tool set) would pull every account into one star: it is named in
     * the caption instead of drawn. */
    size_t n_univ = 0;
    struct ent univ[8];
    {
        size_t kept = 0, per[G_COUNT] = { 0 };
        for (size_t e = 0; e < n_ents; e++) {
            int universal = c->n_members >= 10 && (uint64_t)ents[e].count * 10 >= (uint64_t)c->n_members * 9;
            if (universal) {
                if (n_univ < 8) univ[n_univ] = ents[e];
                n_univ++;
            } else if (kept < HU_REPORT_MAX_GRAPH_ENT && per[ents[e].type]++ < PER_TYPE) {
                ents[kept++] = ents[e];
            }
        }
        n_ents = kept;
    }
    for (size_t e = 0; e < n_ents; e++)
        if (hu_u64map_add(&sel, gkey(ents[e].type, ents[e].hash), (uint32_t)e + 1))
            goto out;

    rc = hu_buf_adds(b, "<figure class=\"graph\">");
    if (rc)
        goto out;
    rc = HU_ENOMEM;
    if (!n_ents && n_univ) {
        rc = hu_buf_adds(b, "<figcaption>Nothing links these accounts in smaller groups");
        if (!rc) rc = list_universal(b, in, univ, n_univ);
        if (!rc) rc = hu_buf_adds(b, ".</figcaption></figure>");
        goto out;
    }
    if (!n_ents) {
        rc = hu_buf_adds(b, "<figcaption>No address, network, fingerprint, payment instrument, system prompt, "
                            "tool set or template is held by two of these accounts in their profiles: they were "
                            "linked by behaviour (synchronised activity, similar template sets, the same model "
                            "pivot).</figcaption></figure>");
        goto out;
    }

    accs = hu_calloc(c->n_members ? c->n_members : 1, sizeof *accs);
    if (!accs) goto out;
    for (uint32_t m = 0; m < c->n_members; m++) {
        const struct hu_profile *p = hu_profile_table_at(in->profiles, c->members[m]);
        size_t n = p ? items_of(p, it) : 0;
        uint32_t deg = 0;
        for (size_t i = 0; i < n; i++)
            deg += hu_u64map_get(&sel, gkey(it[i].type, it[i].hash)) != 0;
        if (deg)
            accs[n_accs++] = (struct acc){ m, deg };
    }
    size_t total_accs = n_accs;
    qsort(accs, n_accs, sizeof *accs, cmp_acc);
    if (n_accs > HU_REPORT_MAX_GRAPH_NODES - n_ents)
        n_accs = HU_REPORT_MAX_GRAPH_NODES - n_ents;
    /* node numbering: entities 0..n_ents, accounts n_ents.. */
    size_t n = n_ents + n_accs;
    edge = hu_calloc(MAX_EDGES, sizeof *edge);
    x = hu_calloc(n, sizeof *x); y = hu_calloc(n, sizeof *y);
    dx = hu_calloc(n, sizeof *dx); dy = hu_calloc(n, sizeof *dy);
    if (!edge || !x || !y || !dx || !dy) goto out;
    for (size_t e = 0; e < n_ents; e++) {
        double a = 2 * M_PI * (double)e / (double)n_ents;
        x[e] = 0.5 + 0.18 * cos(a);
        y[e] = 0.5 + 0.18 * sin(a);
    }
    for (size_t j = 0; j < n_accs; j++) {
        const struct hu_profile *p = hu_profile_table_at(in->profiles, c->members[accs[j].member]);
        size_t ni = items_of(p, it);
        uint32_t mine[MAX_ITEMS], nm = 0;
        for (size_t i = 0; i < ni; i++) {
            uint32_t e = hu_u64map_get(&sel, gkey(it[i].type, it[i].hash));
            if (e) mine[nm++] = e;
        }
        /* its most shared entities first (entities are ranked) */
        for (uint32_t i = 1; i < nm; i++)
            for (uint32_t k = i; k > 0 && mine[k] < mine[k - 1]; k--) {
                uint32_t t = mine[k]; mine[k] = mine[k - 1]; mine[k - 1] = t;
            }
        uint32_t first = nm ? mine[0] : 1, per[G_COUNT] = { 0 }, took = 0;
        for (uint32_t i = 0; i < nm; i++) {
            if (took < PER_ACCOUNT && per[ents[mine[i] - 1].type] < 3 && n_edges < MAX_EDGES) {
                per[ents[mine[i] - 1].type]++;
                took++;
                edge[n_edges][0] = (uint32_t)(n_ents + j);
                edge[n_edges][1] = mine[i] - 1;
                n_edges++;
            } else {
                edges_dropped++;
            }
        }
        double a = 2 * M_PI * (double)(first - 1) / (double)n_ents + 0.37 * (double)(j % 11) / 11.0;
        double rr = 0.34 + 0.1 * (double)(j % 5) / 5.0;
        x[n_ents + j] = 0.5 + rr * cos(a);
        y[n_ents + j] = 0.5 + rr * sin(a);
    }
    /* an entity none of the drawn accounts links to is not drawn */
    uint32_t ent_deg[HU_REPORT_MAX_GRAPH_ENT] = { 0 };
    for (size_t e = 0; e < n_edges; e++)
        ent_deg[edge[e][1]]++;
    size_t drawn_ents = 0;
    for (size_t e = 0; e < n_ents; e++)
        drawn_ents += ent_deg[e] != 0;
    layout(x, y, n, (const uint32_t (*)[2])edge, n_edges, dx, dy);
    double minx = 1e9, maxx = -1e9, miny = 1e9, maxy = -1e9;
    for (size_t i = 0; i < n; i++) {
        if (i < n_ents && !ent_deg[i])
            continue;
        if (x[i] < minx) minx = x[i];
        if (x[i] > maxx) maxx = x[i];
        if (y[i] < miny) miny = y[i];
        if (y[i] > maxy) maxy = y[i];
    }
    double sx = maxx - minx > 1e-9 ? (W - 80) / (maxx - minx) : 1;
    double sy = maxy - miny > 1e-9 ? (H - 50) / (maxy - miny) : 1;
    for (size_t i = 0; i < n; i++) {
        x[i] = maxx - minx > 1e-9 ? 40 + (x[i] - minx) * sx : W / 2;
        y[i] = maxy - miny > 1e-9 ? 25 + (y[i] - miny) * sy : H / 2;
    }

    struct hu_svg s;
    snprintf(tmp, sizeof tmp, "Graph of campaign %s: accounts and the entities they share", c->id);
    hu_svg_begin(&s, b, W, H, "chart graph-svg", tmp);
    hu_svg_group(&s, "edges");
    for (size_t e = 0; e < n_edges; e++)
        hu_svg_line(&s, x[edge[e][0]], y[edge[e][0]], x[edge[e][1]], y[edge[e][1]], NULL);
    hu_svg_group_end(&s);
    hu_svg_group(&s, "accts");
    for (size_t j = 0; j < n_accs; j++) {
        uint32_t idx = c->members[accs[j].member];
        const struct hu_account_result *a = &in->res->accounts[idx];
        char title[400];
        snprintf(title, sizeof title, "account %.*s, score %.2f, %s, %llu requests",
                 (int)(a->account_id_len > 300 ? 300 : a->account_id_len), a->account_id, a->score,
                 hu_action_name(a->action), (unsigned long long)a->requests);
        hu_svg_circle(&s, x[n_ents + j], y[n_ents + j], 3.6,
                      hu_action_flagged(a->would) ? "acct flagged" : "acct", title);
    }
    hu_svg_group_end(&s);
    hu_svg_group(&s, "ents");
    for (size_t e = 0; e < n_ents; e++) {
        if (!ent_deg[e])
            continue;
        char label[300], title[420];
        ent_label(in, &ents[e], label, sizeof label);
        snprintf(title, sizeof title, "%s %s: held by %s accounts of the campaign", ginfo[ents[e].type].name,
                 label, hu__report_int(ents[e].count, num, sizeof num));
        double r = 3.5 + 1.1 * sqrt((double)ents[e].count);
        if (r > 11) r = 11;
        char cls[32];
        snprintf(cls, sizeof cls, "ent %s", ginfo[ents[e].type].cls);
        hu_svg_circle(&s, x[e], y[e], r, cls, title);
    }
    double lx[N_LABELS], ly[N_LABELS];
    size_t n_lab = 0;
    for (size_t e = 0; e < n_ents && n_lab < N_LABELS; e++) {
        if (!ent_deg[e])
            continue;
        /* no label over another one */
        int clash = 0;
        for (size_t l = 0; l < n_lab && !clash; l++)
            clash = fabs(lx[l] - x[e]) < 150 && fabs(ly[l] - y[e]) < 14;
        if (clash)
            continue;
        lx[n_lab] = x[e];
        ly[n_lab++] = y[e];
        char label[300];
        ent_label(in, &ents[e], label, sizeof label);
        shorten(label, 30);
        double r = 3.5 + 1.1 * sqrt((double)ents[e].count);
        if (r > 11) r = 11;
        int right = x[e] > W - 200;
        hu_svg_texts(&s, x[e] + (right ? -(r + 4) : r + 4), y[e] + 4, right ? "end" : "start", "lbl", label);
    }
    hu_svg_group_end(&s);
    rc = hu_svg_end(&s);
    if (rc) goto out;

    /* legend and caption */
    rc = hu_buf_adds(b, "<figcaption><span class=\"legend\"><span><i class=\"dot acct flagged\"></i>flagged account</span> "
                        "<span><i class=\"dot acct\"></i>other member</span>");
    int shown[G_COUNT] = { 0 };
    for (size_t e = 0; e < n_ents; e++) shown[ents[e].type] |= ent_deg[e] != 0;
    for (int t = 0; t < G_COUNT && !rc; t++)
        if (shown[t])
            rc = hu_buf_printf(b, " <span><i class=\"dot %s\"></i>%s</span>", ginfo[t].cls, ginfo[t].name);
    if (!rc) rc = hu_buf_printf(b, "</span> %s of %s linked accounts and %zu of %zu shared entities drawn",
                                hu__report_int(n_accs, num, sizeof num),
                                hu__report_int(total_accs, num2, sizeof num2), drawn_ents, total_ents);
    if (!rc && (n_accs < total_accs || drawn_ents < total_ents))
        rc = hu_buf_printf(b, " (at most %u nodes and %u entities per graph: the most shared entities "
                              "and the accounts with the most links to them)",
                           HU_REPORT_MAX_GRAPH_NODES, HU_REPORT_MAX_GRAPH_ENT);
    if (!rc && edges_dropped)
        rc = hu_buf_printf(b, "; %zu further links not drawn (at most %u per account, to its most shared entities)",
                           edges_dropped, PER_ACCOUNT);
    if (!rc) rc = list_universal(b, in, univ, n_univ);
    if (!rc && total_accs < c->n_members)
        rc = hu_buf_printf(b, "; %s members hold none of the drawn entities (linked by behaviour)",
                           hu__report_int(c->n_members - total_accs, num, sizeof num));
    if (!rc) rc = hu_buf_adds(b, ".</figcaption></figure>");
out:
    hu_u64map_fini(&count);
    hu_u64map_fini(&seen);
    hu_u64map_fini(&sel);
    hu_free(ents); hu_free(accs); hu_free(edge);
    hu_free(x); hu_free(y); hu_free(dx); hu_free(dy);
    return rc;
}
