/*
 * campaign.c -- campaigns from strong links and shared fingerprints,
 * scores and reasons; see campaign.h for the steps and params.h for every
 * number.
 *
 * Invariants after hu_campaigns_build():
 *   - every campaign has >= HU_MIN_CAMPAIGN members, listed ascending;
 *   - an account belongs to at most one campaign, and
 *     accounts[i].campaign == c + 1 iff i is in campaigns[c].members;
 *   - campaigns are sorted by score, then by smallest member: the same
 *     input gives the same order and the same ids.
 *
 * Cost: O(n + pairs) for the union-find passes, O(F log F) for the
 * fragment merge over F eligible fragments (sorting band keys).
 */
#include "score/campaign.h"
#include "core/alloc.h"
#include "core/sort.h"
#include "core/hash.h"
#include "core/log.h"
#include "core/u64map.h"
#include "link/params.h"
#include "link/uf.h"
#include "score/fingerprint.h"
#include "score/params.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Link kinds that say "same network path" or "same moment": what a proxy
 * service's customers share with the campaigns it also carries (its exits,
 * its TLS stack, its busy hours, and an early adopter's move to a new
 * model).  A member linked by nothing else must share the work too. */
#define INFRA_KINDS ((1u << HU_LINK_IP) | (1u << HU_LINK_PREFIX) | (1u << HU_LINK_USER_AGENT) \
                     | (1u << HU_LINK_CLIENT_FP) | (1u << HU_LINK_HEADERS_FP) \
                     | (1u << HU_LINK_SIGNUP_NET) | (1u << HU_LINK_PIVOT) | (1u << HU_LINK_SYNC))

double hu_campaign_score(double behaviour, double concealment, double coordination,
                         uint32_t size, int org_fleet)
{
    double s = 1.0 - exp(-((double)size - 1.0) / HU_CS_SIZE_SCALE);
    double z = HU_CS_BIAS + HU_CS_W_B * behaviour + HU_CS_W_C * concealment
             + HU_CS_W_K * coordination + HU_CS_W_S * s;
    if (org_fleet)
        z -= HU_CS_ORG_DISCOUNT;
    return 1.0 / (1.0 + exp(-z));
}

/* Per union-find root: what the group is. */
struct group {
    double wb, w;          /* request-weighted behaviour sum and weight */
    double c;              /* concealment sum */
    double k, k_n;         /* strong-link strength sum and count */
    uint32_t linked;       /* members with a strong link inside the group */
    uint32_t n;
    uint64_t org_cand;     /* majority vote state */
    uint32_t org_votes, org_top, verified;
    uint32_t org_verified;  /* members in a declared org and verified by id or as a business */
    int fleet;
};

static double grp_behaviour(const struct group *g) { return g->w > 0 ? g->wb / g->w : 0; }
static double grp_conceal(const struct group *g) { return g->n ? g->c / g->n : 0; }
static double grp_coord(const struct group *g)
{
    return g->k_n > 0 && g->n ? ((double)g->linked / g->n) * (g->k / g->k_n) : 0;
}

/* Recompute every group's statistics for the current union-find. */
static void group_stats(const struct hu_campaign_input *in, struct hu_uf *uf, const uint8_t *strong,
                        const uint8_t *weak, struct group *g)
{
    const size_t n = in->n;
    memset(g, 0, n * sizeof *g);
    for (size_t i = 0; i < n; i++) {
        struct group *x = &g[hu_uf_find(uf, (uint32_t)i)];
        double w = (double)(in->usage[i].requests ? in->usage[i].requests : 1);
        x->wb += w * in->behaviour[i];
        x->w += w;
        x->c += in->concealment ? in->concealment[i] : 0;
        x->n++;
        uint64_t org = in->org_hash ? in->org_hash[i] : 0;
        if (!x->org_votes) { x->org_cand = org; x->org_votes = 1; }
        else if (org == x->org_cand) x->org_votes++;
        else x->org_votes--;
        x->verified += in->usage[i].verified_id != 0;
        x->org_verified += org && in->usage[i].verified_id;
    }
    for (size_t i = 0; i < n; i++) {
        struct group *x = &g[hu_uf_find(uf, (uint32_t)i)];
        uint64_t org = in->org_hash ? in->org_hash[i] : 0;
        x->org_top += x->org_cand && org == x->org_cand;
    }
    for (size_t i = 0; i < n; i++) {
        struct group *x = &g[i];
        /* one declared organisation, mostly verified; or several, every
         * member of which is declared and verified (customers who run the
         * same public benchmark are linked by it, but each is identified) */
        if (x->n)
            x->fleet = (x->org_cand && x->org_top >= HU_CS_ORG_SHARE * x->n && x->verified * 2 >= x->n)
                       || x->org_verified >= HU_CS_ORG_SHARE * x->n;
    }
    for (size_t e = 0; e < in->pairs->n; e++) {
        const struct hu_pair *pr = &in->pairs->pairs[e];
        if (!strong[e] || weak[pr->a] || weak[pr->b])
            continue;
        uint32_t ra = hu_uf_find(uf, pr->a);
        if (ra != hu_uf_find(uf, pr->b))
            continue;
        g[ra].k += hu_pair_strength(pr);
        g[ra].k_n += 1;
    }
    /* members with at least one strong link inside their group */
    uint8_t *seen = hu_calloc(n ? n : 1, 1);
    if (!seen)
        return;     /* linked stays 0: coordination reads 0, never too high */
    for (size_t e = 0; e < in->pairs->n; e++) {
        const struct hu_pair *pr = &in->pairs->pairs[e];
        if (!strong[e] || weak[pr->a] || weak[pr->b] || hu_uf_find(uf, pr->a) != hu_uf_find(uf, pr->b))
            continue;
        seen[pr->a] = seen[pr->b] = 1;
    }
    for (size_t i = 0; i < n; i++)
        g[hu_uf_find(uf, (uint32_t)i)].linked += seen[i];
    hu_free(seen);
}

/* ---- level 1b: groups joined by one network-only link -------------------- */

/* Two fleets (or a fleet and a group of a proxy's honest customers) that
 * touched once -- one shared exit address, one shared TLS stack -- become
 * one union-find component through that single link.  A link whose
 * removal disconnects its component is a bridge (Tarjan 1974: low-link
 * values of a depth-first search, O(accounts + links)); the 2-edge-
 * connected pieces it separates are the dense parts.  A bridge is cut
 * when it is network-only (INFRA_KINDS: what a proxy's customers share)
 * and both sides hold at least HU_MIN_CAMPAIGN accounts; a bridge of
 * payment, sign-up or content evidence is the operator's own and stays.
 * The ring wiring of large groups (link/pairs.h: i to i+1 and i+2) and
 * the complete wiring of small ones have no bridges, so a campaign is not
 * cut inside; fragments of one operator that share a usage fingerprint
 * are joined again by the fragment merge (level 2).
 * Returns the number of links cut (cleared in strong[]), or -1 on
 * allocation failure. */
static long cut_bridges(const struct hu_pairs *P, size_t n, uint8_t *strong, const uint8_t *weak)
{
    uint32_t *deg = hu_calloc(n + 1, sizeof *deg);
    uint32_t *tin = hu_calloc(n ? n : 1, sizeof *tin);      /* 0 = unvisited, else order + 1 */
    uint32_t *low = hu_calloc(n ? n : 1, sizeof *low);
    uint32_t *sub = hu_calloc(n ? n : 1, sizeof *sub);      /* DFS subtree sizes */
    uint32_t *pos = hu_calloc(n ? n : 1, sizeof *pos);      /* next adjacency slot to visit */
    uint32_t *up = hu_calloc(n ? n : 1, sizeof *up);        /* tree edge to the parent + 1 */
    uint32_t *stack = hu_calloc(n ? n : 1, sizeof *stack);
    uint32_t *comp = hu_calloc(n ? n : 1, sizeof *comp);    /* component root's size, per root */
    uint32_t *root_of = hu_calloc(n ? n : 1, sizeof *root_of);
    uint32_t *adj = NULL;
    long cut = -1;
    if (!deg || !tin || !low || !sub || !pos || !up || !stack || !comp || !root_of)
        goto out;
    size_t m = 0;
    for (size_t e = 0; e < P->n; e++)
        if (strong[e] && !weak[P->pairs[e].a] && !weak[P->pairs[e].b]) {
            deg[P->pairs[e].a + 1]++;
            deg[P->pairs[e].b + 1]++;
            m++;
        }
    for (size_t i = 0; i < n; i++)
        deg[i + 1] += deg[i];                                /* CSR offsets */
    adj = hu_malloc((m ? 2 * m : 1) * sizeof *adj);     /* edge index per slot */
    if (!adj)
        goto out;
    for (size_t i = 0; i < n; i++)
        pos[i] = deg[i];
    for (size_t e = 0; e < P->n; e++)
        if (strong[e] && !weak[P->pairs[e].a] && !weak[P->pairs[e].b]) {
            adj[pos[P->pairs[e].a]++] = (uint32_t)e;
            adj[pos[P->pairs[e].b]++] = (uint32_t)e;
        }
    for (size_t i = 0; i < n; i++)
        pos[i] = deg[i];
    /* first pass: DFS order, low links and subtree sizes */
    uint32_t clock = 0;
    for (size_t r = 0; r < n; r++) {
        if (tin[r] || deg[r] == deg[r + 1])
            continue;
        size_t top = 0;
        stack[top++] = (uint32_t)r;
        tin[r] = low[r] = ++clock;
        sub[r] = 1;
        up[r] = 0;
        while (top) {
            uint32_t u = stack[top - 1];
            root_of[u] = (uint32_t)r;
            if (pos[u] < deg[u + 1]) {
                uint32_t e = adj[pos[u]++];
                if (up[u] == e + 1)
                    continue;                               /* the tree edge back up */
                const struct hu_pair *pr = &P->pairs[e];
                uint32_t v = pr->a == u ? pr->b : pr->a;
                if (!tin[v]) {
                    tin[v] = low[v] = ++clock;
                    sub[v] = 1;
                    up[v] = e + 1;
                    stack[top++] = v;
                } else if (tin[v] < low[u]) {
                    low[u] = tin[v];
                }
            } else {
                top--;
                if (top) {
                    uint32_t p = stack[top - 1];
                    sub[p] += sub[u];
                    if (low[u] < low[p])
                        low[p] = low[u];
                }
            }
        }
        comp[r] = sub[r];
    }
    /* second pass: a tree edge (parent, v) is a bridge iff low[v] > tin[parent] */
    cut = 0;
    for (size_t v = 0; v < n; v++) {
        if (!up[v])
            continue;
        uint32_t e = up[v] - 1;
        const struct hu_pair *pr = &P->pairs[e];
        uint32_t parent = pr->a == v ? pr->b : pr->a;
        if (low[v] <= tin[parent])
            continue;
        uint32_t size = comp[root_of[v]];
        if (pr->kinds & ~INFRA_KINDS)
            continue;
        if (sub[v] < HU_MIN_CAMPAIGN || size - sub[v] < HU_MIN_CAMPAIGN)
            continue;
        strong[e] = 0;
        cut++;
    }
out:
    hu_free(deg);
    hu_free(tin);
    hu_free(low);
    hu_free(sub);
    hu_free(pos);
    hu_free(up);
    hu_free(stack);
    hu_free(comp);
    hu_free(root_of);
    hu_free(adj);
    return cut;
}

/* ---- level 2: fragments that share a usage fingerprint ------------------- */

struct tok_post { uint64_t tok; uint32_t frag; };

static int cmp_tok_post(const void *x, const void *y)
{
    const struct tok_post *a = x, *b = y;
    if (a->tok != b->tok) return a->tok < b->tok ? -1 : 1;
    return (a->frag > b->frag) - (a->frag < b->frag);
}

static int cmp_u32(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return (a > b) - (a < b);
}

static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return (a > b) - (a < b);
}

/* Join fragments whose fingerprints overlap.  Returns HU_OK or HU_ENOMEM. */
static int merge_fragments(const struct hu_campaign_input *in, struct hu_uf *uf,
                           const struct group *g)
{
    const size_t n = in->n;
    int rc = HU_ENOMEM;
    uint32_t *frag_of_root = NULL, *root_of_frag = NULL, *frag_ntok = NULL, *order = NULL;
    uint32_t *first_acc = NULL, *next_acc = NULL;
    struct tok_post *post = NULL;
    uint64_t *scratch = NULL, *ftok = NULL;
    uint32_t *frag_off = NULL;
    struct hu_u64map shared = { 0 };
    size_t n_frag = 0, n_post = 0, cap_post = 0;

    frag_of_root = hu_malloc(n * sizeof *frag_of_root);
    if (!frag_of_root)
        goto out;
    for (size_t i = 0; i < n; i++) {
        frag_of_root[i] = UINT32_MAX;
        if (hu_uf_find(uf, (uint32_t)i) == i && g[i].n && !g[i].fleet
            && grp_behaviour(&g[i]) >= HU_MERGE_MIN_BEHAVIOUR)
            frag_of_root[i] = (uint32_t)n_frag++;
    }
    if (n_frag < 2) {
        rc = HU_OK;
        goto out;
    }
    /* members of each fragment as linked lists (first_acc/next_acc) */
    root_of_frag = hu_malloc(n_frag * sizeof *root_of_frag);
    frag_ntok = hu_calloc(n_frag, sizeof *frag_ntok);
    first_acc = hu_malloc(n_frag * sizeof *first_acc);
    next_acc = hu_malloc(n * sizeof *next_acc);
    if (!root_of_frag || !frag_ntok || !first_acc || !next_acc)
        goto out;
    for (size_t f = 0; f < n_frag; f++)
        first_acc[f] = UINT32_MAX;
    for (size_t i = n; i-- > 0;) {
        uint32_t f = frag_of_root[hu_uf_find(uf, (uint32_t)i)];
        if (f == UINT32_MAX)
            continue;
        root_of_frag[f] = hu_uf_find(uf, (uint32_t)i);
        next_acc[i] = first_acc[f];
        first_acc[f] = (uint32_t)i;
    }
    /* each fragment's distinct tokens, at most HU_MERGE_MAX_TOKENS of them
     * (the most used inside the fragment first), as postings */
    for (size_t f = 0; f < n_frag; f++) {
        size_t m = 0;
        for (uint32_t i = first_acc[f]; i != UINT32_MAX; i = next_acc[i])
            m += in->fp_off[i + 1] - in->fp_off[i];
        if (!m)
            continue;
        uint64_t *t = hu_malloc(m * sizeof *t);
        if (!t)
            goto out;
        size_t k = 0;
        for (uint32_t i = first_acc[f]; i != UINT32_MAX; i = next_acc[i])
            for (uint32_t j = in->fp_off[i]; j < in->fp_off[i + 1]; j++)
                t[k++] = in->fp_tokens[j];
        hu_sort(t, m, sizeof *t, cmp_u64);
        /* distinct tokens (in place, token order) with their use counts */
        uint32_t *cnt = hu_malloc(m * sizeof *cnt);
        if (!cnt) { hu_free(t); goto out; }
        size_t nd = 0;
        for (size_t x = 0; x < m; ) {
            size_t y = x;
            while (y < m && t[y] == t[x]) y++;
            t[nd] = t[x];
            cnt[nd] = (uint32_t)(y - x);
            nd++;
            x = y;
        }
        size_t keep = nd;
        if (nd > HU_MERGE_MAX_TOKENS) {
            /* keep the HU_MERGE_MAX_TOKENS most used, in token order: find
             * the count threshold, then take tokens above it and as many at
             * it as fit, first in token order (deterministic) */
            uint32_t *sorted = hu_malloc(nd * sizeof *sorted);
            if (!sorted) { hu_free(cnt); hu_free(t); goto out; }
            memcpy(sorted, cnt, nd * sizeof *sorted);
            hu_sort(sorted, nd, sizeof *sorted, cmp_u32);
            uint32_t thr = sorted[nd - HU_MERGE_MAX_TOKENS];
            size_t above = 0;
            for (size_t x = 0; x < nd; x++) above += cnt[x] > thr;
            size_t at_thr_left = HU_MERGE_MAX_TOKENS - above;
            size_t w = 0;
            for (size_t x = 0; x < nd; x++) {
                if (cnt[x] > thr || (cnt[x] == thr && at_thr_left && at_thr_left--))
                    t[w++] = t[x];
            }
            keep = w;
            hu_free(sorted);
        }
        hu_free(cnt);
        if (hu_grow((void **)&post, &cap_post, n_post + keep, sizeof *post, 1024)) {
            hu_free(t);
            goto out;
        }
        /* appended in token order: post[frag_off[f] .. + frag_ntok[f]) is
         * fragment f's sorted token list until the sort below */
        for (size_t x = 0; x < keep; x++)
            post[n_post++] = (struct tok_post){ t[x], (uint32_t)f };
        frag_ntok[f] = (uint32_t)keep;
        hu_free(t);
    }
    /* keep each fragment's sorted list, then sort the postings by token */
    ftok = hu_malloc((n_post ? n_post : 1) * sizeof *ftok);
    frag_off = hu_malloc((n_frag + 1) * sizeof *frag_off);
    if (!ftok || !frag_off)
        goto out;
    {
        size_t k = 0;
        for (size_t f = 0; f < n_frag; f++) {
            frag_off[f] = (uint32_t)k;
            k += frag_ntok[f];
        }
        frag_off[n_frag] = (uint32_t)k;
        for (size_t x = 0; x < n_post; x++)
            ftok[x] = post[x].tok;
    }
    hu_sort(post, n_post, sizeof *post, cmp_tok_post);
    /* candidate fragment pairs: all pairs of a token's fragments up to
     * HU_PAIR_CAP of them, a ring (next two) beyond -- at most
     * min(m^2/2, 2m) per token, as in link/pairs.h */
    if (hu_u64map_init(&shared, n_post))
        goto out;
    for (size_t x = 0; x < n_post; ) {
        size_t y = x;
        while (y < n_post && post[y].tok == post[x].tok) y++;
        size_t m = y - x;
        for (size_t i = x; i < y; i++) {
            size_t lim = m <= HU_PAIR_CAP ? y : (i + 3 < y ? i + 3 : y);
            for (size_t j = i + 1; j < lim; j++) {
                uint64_t key = (uint64_t)post[i].frag << 32 | post[j].frag;
                if (hu_u64map_add(&shared, key + 1, 0))
                    goto out;
            }
        }
        x = y;
    }
    /* exact shared and operator-token counts per candidate: merge the two
     * sorted token lists (O(HU_MERGE_MAX_TOKENS) each);
     * value = shared | operator_shared << 16 */
    for (size_t i = 0; i < shared.cap; i++) {
        if (!shared.keys[i])
            continue;
        uint64_t key = shared.keys[i] - 1;
        uint32_t fa = (uint32_t)(key >> 32), fb = (uint32_t)key;
        const uint64_t *p = ftok + frag_off[fa], *pe = ftok + frag_off[fa] + frag_ntok[fa];
        const uint64_t *q = ftok + frag_off[fb], *qe = ftok + frag_off[fb] + frag_ntok[fb];
        uint32_t both = 0, op = 0, excl = 0;
        while (p < pe && q < qe) {
            if (*p < *q) p++;
            else if (*q < *p) q++;
            else {
                both++;
                op += (*p & HU_FP_OPERATOR_BIT) != 0;
                excl += (*p & HU_FP_OPERATOR_BIT) && (*p & HU_FP_EXCLUSIVE_BIT);
                p++; q++;
            }
        }
        /* value = shared | operator shared << 16 | exclusive operator << 31 */
        shared.vals[i] = (both & 0xffff) | (op & 0x7fff) << 16 | (excl ? 1u << 31 : 0);
        hu_trace(SCORE, "merge candidate: fragments %u (%u tokens) and %u (%u tokens) share %u, %u operator",
                 fa, frag_ntok[fa], fb, frag_ntok[fb], both, op);
    }
    /* join pairs that share enough: scan the map in key order for
     * determinism (collect, sort, then union) */
    order = hu_malloc((shared.n ? shared.n : 1) * sizeof *order);
    scratch = hu_malloc((shared.n ? shared.n : 1) * sizeof *scratch);
    if (!order || !scratch)
        goto out;
    size_t n_keys = 0;
    for (size_t i = 0; i < shared.cap; i++) {
        if (!shared.keys[i])
            continue;
        uint32_t n_shared = shared.vals[i] & 0xffff, n_operator = (shared.vals[i] >> 16) & 0x7fff;
        int exclusive = (shared.vals[i] >> 31) != 0;
        uint64_t key = shared.keys[i] - 1;
        uint32_t fa = (uint32_t)(key >> 32), fb = (uint32_t)key;
        uint32_t small = frag_ntok[fa] < frag_ntok[fb] ? frag_ntok[fa] : frag_ntok[fb];
        int enough = n_shared >= HU_MERGE_MIN_SHARED && n_operator >= 1
                     && (double)n_shared >= HU_MERGE_MIN_OVERLAP * (double)small;
        if (!exclusive && !enough)
            continue;
        scratch[n_keys++] = key;
    }
    hu_sort(scratch, n_keys, sizeof *scratch, cmp_u64);
    for (size_t i = 0; i < n_keys; i++)
        hu_uf_union(uf, root_of_frag[scratch[i] >> 32], root_of_frag[(uint32_t)scratch[i]]);
    rc = HU_OK;
out:
    hu_u64map_fini(&shared);
    hu_free(ftok);
    hu_free(frag_off);
    hu_free(frag_of_root);
    hu_free(root_of_frag);
    hu_free(frag_ntok);
    hu_free(first_acc);
    hu_free(next_acc);
    hu_free(post);
    hu_free(order);
    hu_free(scratch);
    return rc;
}

/* ---- campaigns and accounts ------------------------------------------------ */

struct camp_tmp {
    uint32_t root;
    uint32_t min_member;
    double   score;
};

static int cmp_camp(const void *x, const void *y)
{
    const struct camp_tmp *a = x, *b = y;
    if (a->score != b->score) return a->score > b->score ? -1 : 1;
    return (a->min_member > b->min_member) - (a->min_member < b->min_member);
}

int hu_campaigns_build(const struct hu_campaign_input *in, const struct hu_policy *policy,
                       struct hu_results *out)
{
    const size_t n = in->n;
    const size_t n1 = n ? n : 1;
    const struct hu_pairs *P = in->pairs;
    int rc = HU_ENOMEM;
    struct hu_uf uf = { 0 };
    uint32_t *kinds = NULL, *camp_of_root = NULL, *frag_root = NULL;
    uint16_t (*kind_edges)[HU_LINK_KIND_COUNT] = NULL;
    struct group *g = NULL;
    uint8_t *weak = NULL, *strong = NULL, *merged = NULL;
    struct camp_tmp *camps = NULL;
    size_t n_camps = 0;

    memset(out, 0, sizeof *out);
    kinds = hu_calloc(n1, sizeof *kinds);
    kind_edges = hu_calloc(n1, sizeof *kind_edges);
    g = hu_calloc(n1, sizeof *g);
    weak = hu_calloc(n1, 1);
    merged = hu_calloc(n1, 1);
    frag_root = hu_calloc(n1, sizeof *frag_root);
    strong = hu_calloc(P->n ? P->n : 1, 1);
    out->accounts = hu_calloc(n1, sizeof *out->accounts);
    if (!kinds || !kind_edges || !g || !weak || !merged || !frag_root || !strong || !out->accounts)
        goto fail;
    if (hu_uf_init(&uf, (uint32_t)n))
        goto fail;
    out->n_accounts = n;

    /* 1. strong links */
    for (size_t e = 0; e < P->n; e++) {
        const struct hu_pair *pr = &P->pairs[e];
        if (hu_pair_strength(pr) < HU_STRONG_LINK)
            continue;
        strong[e] = 1;
        kinds[pr->a] |= pr->kinds;
        kinds[pr->b] |= pr->kinds;
        for (int k = 0; k < HU_LINK_KIND_COUNT; k++) {
            if (!(pr->kinds & (1u << k)))
                continue;
            if (kind_edges[pr->a][k] < UINT16_MAX) kind_edges[pr->a][k]++;
            if (kind_edges[pr->b][k] < UINT16_MAX) kind_edges[pr->b][k]++;
        }
        hu_uf_union(&uf, pr->a, pr->b);
    }
    /* 2. refinement: cut network-only members that do not share the work */
    group_stats(in, &uf, strong, weak, g);
    for (size_t i = 0; i < n; i++)
        weak[i] = kinds[i] && !(kinds[i] & ~INFRA_KINDS)
                  && in->behaviour[i] < HU_MEMBER_INFRA_ONLY_MIN * grp_behaviour(&g[hu_uf_find(&uf, (uint32_t)i)]);
    hu_uf_fini(&uf);
    if (hu_uf_init(&uf, (uint32_t)n))
        goto fail;
    /* 2b. ... and groups held together by one network-only link */
    long n_cut = cut_bridges(P, n, strong, weak);
    if (n_cut < 0)
        goto fail;
    for (size_t e = 0; e < P->n; e++)
        if (strong[e] && !weak[P->pairs[e].a] && !weak[P->pairs[e].b])
            hu_uf_union(&uf, P->pairs[e].a, P->pairs[e].b);
    group_stats(in, &uf, strong, weak, g);
    if (n_cut)
        hu_debug("campaigns: %ld network-only bridges cut", n_cut);

    /* 3. fragment merge */
    for (size_t i = 0; i < n; i++)
        frag_root[i] = hu_uf_find(&uf, (uint32_t)i);
    if (in->fp_off) {
        if (merge_fragments(in, &uf, g))
            goto fail;
        for (size_t i = 0; i < n; i++) {
            uint32_t r = hu_uf_find(&uf, (uint32_t)i);
            /* an account joined by the merge: its group now holds accounts
             * of another fragment */
            merged[i] = hu_uf_set_size(&uf, r) > g[frag_root[i]].n;
        }
        group_stats(in, &uf, strong, weak, g);
    }

    /* 4. campaigns */
    camp_of_root = hu_calloc(n1, sizeof *camp_of_root);
    camps = hu_calloc(n1, sizeof *camps);
    if (!camp_of_root || !camps)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        uint32_t r = (uint32_t)i;
        if (hu_uf_find(&uf, r) != r || g[r].n < HU_MIN_CAMPAIGN)
            continue;
        struct camp_tmp *c = &camps[n_camps++];
        c->root = r;
        c->min_member = hu_uf_canonical(&uf, r);
        c->score = hu_campaign_score(grp_behaviour(&g[r]), grp_conceal(&g[r]), grp_coord(&g[r]),
                                     g[r].n, g[r].fleet);
    }
    hu_sort(camps, n_camps, sizeof *camps, cmp_camp);
    out->campaigns = hu_calloc(n_camps ? n_camps : 1, sizeof *out->campaigns);
    if (!out->campaigns)
        goto fail;
    out->n_campaigns = n_camps;
    for (size_t c = 0; c < n_camps; c++) {
        struct hu_campaign_result *cr = &out->campaigns[c];
        const struct group *gr = &g[camps[c].root];
        camp_of_root[camps[c].root] = (uint32_t)c + 1;
        cr->members = hu_malloc(gr->n * sizeof *cr->members);
        if (!cr->members)
            goto fail;
        cr->score = camps[c].score;
        cr->behaviour = grp_behaviour(gr);
        cr->concealment = grp_conceal(gr);
        cr->coordination = grp_coord(gr);
        cr->org_fleet = gr->fleet;
        cr->org_members = gr->org_cand ? gr->org_top : 0;
        cr->verified_members = gr->verified;
        cr->first_seen_ms = INT64_MAX;
        cr->last_seen_ms = INT64_MIN;
        uint32_t m = camps[c].min_member;
        uint64_t h = hu_hash(in->account_ids[m], in->account_id_lens[m]);
        snprintf(cr->id, sizeof cr->id, "C-%012llx", (unsigned long long)(h >> 16));
    }

    /* 5. accounts: membership, scores, reasons */
    for (size_t i = 0; i < n; i++) {
        struct hu_account_result *a = &out->accounts[i];
        const struct hu_usage *u = &in->usage[i];
        a->account_id = in->account_ids[i];
        a->account_id_len = in->account_id_lens[i];
        a->requests = u->requests;
        a->behaviour = in->behaviour[i];
        uint32_t r = hu_uf_find(&uf, (uint32_t)i);
        uint32_t c = camp_of_root[r];
        if (c) {
            struct hu_campaign_result *cr = &out->campaigns[c - 1];
            cr->members[cr->n_members++] = (uint32_t)i;
            cr->requests += u->requests;
            /* a member with account lines only has first_ms ABSENT (INT64_MIN):
             * it must not blank the campaign's first_seen (found by tests/torture.sh) */
            if (u->requests && u->first_ms < cr->first_seen_ms) cr->first_seen_ms = u->first_ms;
            if (u->last_ms > cr->last_seen_ms) cr->last_seen_ms = u->last_ms;
            for (int t = 0; t < HU_TARGET_COUNT; t++)
                cr->targets[t] += u->target_share[t] * (double)u->requests;
            uint32_t k_here = kinds[i] | (merged[i] ? 1u << HU_LINK_FINGERPRINT : 0);
            cr->link_kinds |= k_here;
            for (int k = 0; k < HU_LINK_KIND_COUNT; k++)
                cr->kind_members[k] += (k_here >> k) & 1;
            a->campaign = c;
            double gb = grp_behaviour(&g[r]);
            double share = gb > 0 ? in->behaviour[i] / gb : 1;
            if (share > 1) share = 1;
            a->score = cr->score * (0.7 + 0.3 * share);
            hu_account_add_reason(a, "campaign_score", cr->score, cr->score);
            hu_account_add_reason(a, "campaign_size", g[r].n, 0.5 * cr->score);
            for (int k = 0; k < HU_LINK_KIND_COUNT; k++)
                if (kind_edges[i][k])
                    hu_account_add_reason(a, hu_link_kind_code((enum hu_link_kind)k),
                                          kind_edges[i][k], 0.3 * cr->score);
            if (merged[i])
                hu_account_add_reason(a, hu_link_kind_code(HU_LINK_FINGERPRINT), 1, 0.3 * cr->score);
        } else {
            a->score = HU_SOLO_SCALE * in->behaviour[i];
        }
        if (in->external && in->external[i] > 0)
            a->score = 1.0 - (1.0 - a->score) * (1.0 - in->external[i]);
        if (in->parts)
            for (int p = 0; p < HU_BEHAVIOUR_PARTS; p++)
                if (in->parts[i][p].contribution >= 0.02)
                    hu_account_add_reason(a, in->parts[i][p].code, in->parts[i][p].value,
                                          in->parts[i][p].contribution);
        if (in->concealment && in->concealment[i] >= 0.2)
            hu_account_add_reason(a, "concealment", in->concealment[i], 0.2 * in->concealment[i]);
        struct hu_decision_facts f = {
            .score = a->score, .account_id = a->account_id, .account_id_len = a->account_id_len,
            .org_id = in->org_ids ? in->org_ids[i] : NULL,
            .org_id_len = in->org_ids && in->org_ids[i] ? in->org_id_lens[i] : 0,
            .program = u->program, .verified_id = u->verified_id,
        };
        struct hu_decision d;
        hu_policy_decide(policy, &f, &d);
        a->action = d.action;
        a->would = d.would;
    }
    for (size_t e = 0; e < P->n; e++) {
        const struct hu_pair *pr = &P->pairs[e];
        if (!strong[e] || weak[pr->a] || weak[pr->b] || !out->accounts[pr->a].campaign
            || out->accounts[pr->a].campaign != out->accounts[pr->b].campaign)
            continue;
        struct hu_campaign_result *cr = &out->campaigns[out->accounts[pr->a].campaign - 1];
        for (int k = 0; k < HU_LINK_KIND_COUNT; k++)
            if (pr->kinds & (1u << k))
                cr->kind_links[k]++;
    }
    for (size_t c = 0; c < n_camps; c++) {
        struct hu_campaign_result *cr = &out->campaigns[c];
        for (int t = 0; t < HU_TARGET_COUNT; t++)
            cr->targets[t] = cr->requests ? cr->targets[t] / (double)cr->requests : 0;
    }
    rc = HU_OK;
    goto done;
fail:
    hu_results_fini(out);
done:
    hu_uf_fini(&uf);
    hu_free(kinds);
    hu_free(kind_edges);
    hu_free(g);
    hu_free(weak);
    hu_free(merged);
    hu_free(frag_root);
    hu_free(strong);
    hu_free(camp_of_root);
    hu_free(camps);
    return rc;
}
