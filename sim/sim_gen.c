/*
 * sim_gen.c -- the event generator of `huella simulate`.
 *
 * Model
 * -----
 * A scenario's populations (sim_scenario.c) are split into streams: one
 * per time zone, university, product or customer ("cohort").  A stream has
 * n accounts, an expected request total R and an hourly shape w(h) (daily
 * rhythm in its time zone, office hours, campaign shifts, deadlines,
 * benchmark runs, account sign-ups so far).  In hour h the stream sends
 * Poisson(R * w(h) / sum w) requests, grouped in sessions (a chat of a few
 * turns, an agent's tool loop, a single-shot harvest call).  Each session
 * picks an account among those signed up so far -- uniformly for a
 * load-balanced campaign, heavy-tailed for honest people -- and all the
 * request's fields are derived from hashes of (seed, stream, account,
 * session), so nothing about an account is ever stored.
 *
 * Streaming with flat memory
 * --------------------------
 * Time is cut in slices: an hour, or 1/k of an hour when an hour would
 * hold more than SLICE_CAP requests (k <= 60), so the slice buffer stays
 * bounded at any --scale.  Sessions started in slice j may spill into the
 * next slices (at most SPAN_MAX seconds); instead of carrying state, slice
 * j regenerates the session starts of the previous slices that can reach
 * it (cheap: no rendering) and keeps only the events that fall inside j.
 * Every event is therefore written exactly once and the output is sorted
 * by millisecond.  All draws are seeded by (seed, stream, slice), never by
 * iteration order, so the bytes depend on the options and seed only.
 *
 * Cost: O(events) rendering + O(streams * slices * lookback) draws.  The
 * writer renders into a 4 MiB buffer of pre-escaped fragments and hands
 * it to the sink in ~1 MiB pieces.  Measured numbers: docs/simulate.md.
 */
#include "sim/sim_int.h"
#include "core/alloc.h"
#include "core/hash.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define SLICE_CAP      100000u      /* requests per slice before splitting the hour */
#define SPAN_MAX_MS    240000       /* longest session, ms */
#define OUT_FLUSH      (1u << 20)
#define OUT_CAP        (OUT_FLUSH + 2 * HU_SIM_EVENT_MAX)
#define MAX_STREAMS    1024
#define MAX_COHORTS    32

#define N_UA 14
/* Client strings, built once per run. */
struct fp_tab {
    uint8_t ua_len[N_UA][4];
    char ua[N_UA][4][192];
    char cfp[N_UA][3][40];
    char hfp[N_UA][3][20];
    char relay_cfp[3][40];
    char relay_hfp[3][20];
};

/* ---- per-kind behaviour --------------------------------------------------- */

enum shape {
    SH_PERSONAL, SH_BUSINESS, SH_STEADY, SH_FLAT, SH_SHIFTS, SH_STUDENT, SH_BENCH, SH_AGENT_WORK,
    SH_APP, SH_CODER, SH_HYDRA
};

struct kind_info {
    uint8_t shape;
    float   sess_mean;   /* requests per session before truncation */
    uint8_t sess_cap;    /* most requests per session */
    uint8_t gap_lo, gap_hi;  /* seconds between a session's requests */
    float   skew;        /* account weight exp(-skew*u): 0 = load-balanced */
};

static const struct kind_info kinds[SIM_KIND_N] = {
    [SIM_COT]            = {SH_SHIFTS, 1.0f, 1, 0, 0, 0.0f},
    [SIM_AGENTIC]        = {SH_AGENT_WORK, 5.0f, 16, 3, 14, 1.5f},
    [SIM_CODE_HYDRA]     = {SH_HYDRA, 4.0f, 14, 3, 16, 0.0f},
    [SIM_CODE_FARMED]    = {SH_FLAT, 4.0f, 14, 3, 16, 0.0f},
    [SIM_INDIVIDUAL]     = {SH_PERSONAL, 2.2f, 6, 10, 38, 3.0f},
    [SIM_APP]            = {SH_APP, 1.0f, 1, 0, 0, 1.0f},
    [SIM_COMPANY]        = {SH_BUSINESS, 1.8f, 5, 15, 45, 2.0f},
    [SIM_UNIVERSITY]     = {SH_STUDENT, 2.5f, 6, 12, 38, 2.0f},
    [SIM_BENCHMARK]      = {SH_BENCH, 8.0f, 40, 1, 5, 0.5f},
    [SIM_CODING_AGENT]   = {SH_CODER, 6.0f, 20, 2, 11, 2.0f},
    [SIM_HYDRA_CUSTOMER] = {SH_PERSONAL, 2.0f, 6, 10, 38, 3.0f},
    [SIM_SECURITY]       = {SH_BUSINESS, 3.0f, 6, 20, 38, 1.0f},
};

/* Daily activity of a person by local hour (peak 1.0). */
static const float personal_curve[24] = {
    0.28f, 0.16f, 0.09f, 0.06f, 0.05f, 0.07f, 0.15f, 0.32f, 0.52f, 0.68f, 0.80f, 0.88f,
    0.92f, 0.90f, 0.86f, 0.85f, 0.88f, 0.92f, 0.95f, 1.00f, 1.00f, 0.93f, 0.72f, 0.46f};
static const float business_curve[24] = {
    0.02f, 0.01f, 0.01f, 0.01f, 0.01f, 0.02f, 0.05f, 0.25f, 0.70f, 0.95f, 1.00f, 1.00f,
    0.80f, 0.95f, 1.00f, 0.98f, 0.90f, 0.65f, 0.30f, 0.15f, 0.10f, 0.07f, 0.04f, 0.03f};
static const float student_curve[24] = {
    0.45f, 0.30f, 0.15f, 0.06f, 0.03f, 0.03f, 0.05f, 0.12f, 0.30f, 0.50f, 0.60f, 0.62f,
    0.60f, 0.68f, 0.75f, 0.78f, 0.80f, 0.78f, 0.80f, 0.90f, 0.98f, 1.00f, 0.95f, 0.70f};

/* ---- streams -------------------------------------------------------------- */

struct stream {
    const struct sim_row *row;
    uint8_t  kind;
    uint8_t  shape;
    int8_t   tz;
    uint8_t  country;      /* index in sim_countries, 255 none */
    uint16_t row_no, cohort;
    uint8_t  lang;         /* main language */
    uint8_t  type;         /* account type for cohort-typed kinds */
    uint32_t n, n_pre;
    uint8_t  waves;
    int64_t  t_on, t_off;  /* active span, ms */
    double   R, W;         /* expected requests; sum of the shape */
    double   sess_mean;    /* mean of the session-length draw before truncation */
    double   draw_mean;    /* mean requests per session after truncation */
    uint8_t  sess_cap, gap_lo, gap_hi;
    float    skew;
    uint64_t key;          /* identity of the stream (seed, row, cohort) */
    uint64_t ckey;         /* campaign key: shared infrastructure (seed, label root, infra) */
    uint64_t okey;         /* operator key: habits (templates, system prompt, tools) from
                            * (seed, label root) only: a campaign back on fresh
                            * infrastructure after a ban keeps its scripts */
};

struct rec {
    int64_t  ts;
    uint64_t seed;       /* session seed */
    uint32_t acct;
    uint16_t stream;
    uint8_t  turn;
    uint8_t  type;       /* REC_* */
};
enum { REC_REQUEST = 0, REC_ACCOUNT, REC_RELEASE };

/* Rendered fragments that depend only on their key (an app's system
 * prompt, a product's tool list): rendered once, then copied.  Direct
 * mapped; a miss renders again, so the output never depends on it. */
#define FRAG_SLOTS 1024
#define FRAG_MAX   1536
struct frag {
    uint64_t key;
    uint32_t len;
    char     data[FRAG_MAX];
};

struct hu_sim {
    const struct sim_scenario *sc;
    struct frag *frags;
    struct hu_sim_opts opts;
    struct sim_text *text;
    struct fp_tab *fp;
    uint64_t seed;
    int64_t  t0, t1, release;   /* ms */
    int      hours;
    struct stream *st;
    uint32_t n_st;
    uint8_t  *k;               /* slices per hour */
    struct rec *buf, *tmp;
    size_t   buf_n, buf_cap;
    char    *out;
    size_t   out_len;
    hu_sim_write_fn write;
    void    *ctx;
    struct hu_sim_counts counts;
    int      failed;
    /* timestamp cache */
    int64_t  day_ms;
    char     day_str[24];
};

/* ---- account creation schedule -------------------------------------------- */

#define WAVE_MS (3 * 3600 * 1000)

static int64_t wave_start(const struct stream *s, uint32_t w)
{
    if (s->waves <= 1)
        return s->t_on;
    double span = (double)(s->t_off - s->t_on) * 0.75;
    return s->t_on + (int64_t)(span * w / s->waves);
}

static uint32_t wave_first(const struct stream *s, uint32_t w)
{
    uint32_t n_new = s->n - s->n_pre;
    return s->n_pre + (uint32_t)((uint64_t)n_new * w / s->waves);
}

/* Accounts of the stream that exist at time t (ms): indexes [0, result). */
static uint32_t existing(const struct stream *s, int64_t t)
{
    uint32_t n_new = s->n - s->n_pre;
    if (!n_new)
        return s->n;
    if (!s->waves) {
        double span = (double)(s->t_off - s->t_on);
        double f = floor((double)(t - s->t_on) / span * n_new + 0.5);
        if (f < 0) f = 0;
        if (f > n_new) f = n_new;
        return s->n_pre + (uint32_t)f;
    }
    uint32_t e = s->n_pre;
    for (uint32_t w = 0; w < s->waves; w++) {
        uint32_t a = wave_first(s, w), b = wave_first(s, w + 1), cnt = b - a;
        double f = floor((double)(t - wave_start(s, w)) / WAVE_MS * cnt + 0.5);
        if (f < 0) f = 0;
        if (f > cnt) f = cnt;
        e += (uint32_t)f;
    }
    return e;
}

static int64_t created_at(const struct stream *s, uint32_t j)
{
    if (j < s->n_pre)
        return 0;
    uint32_t n_new = s->n - s->n_pre;
    if (!s->waves)
        return s->t_on + (int64_t)(((double)(j - s->n_pre) + 0.5) * (double)(s->t_off - s->t_on) / n_new);
    uint32_t w = (uint32_t)((uint64_t)(j - s->n_pre) * s->waves / n_new);
    while (w + 1 < s->waves && j >= wave_first(s, w + 1))
        w++;
    while (w > 0 && j < wave_first(s, w))
        w--;
    uint32_t a = wave_first(s, w), cnt = wave_first(s, w + 1) - a;
    return wave_start(s, w) + (int64_t)(((double)(j - a) + 0.5) * WAVE_MS / cnt);
}

/* ---- shapes ------------------------------------------------------------------- */

static double shape_at(const struct hu_sim *sim, const struct stream *s, int h)
{
    int64_t t = sim->t0 + (int64_t)h * 3600000 + 1800000;
    if (t < s->t_on || t >= s->t_off)
        return 0;
    int lh_abs = h + s->tz;
    int lday = (lh_abs >= 0 ? lh_abs / 24 : (lh_abs - 23) / 24);
    int lh = lh_abs - lday * 24;
    int wd = ((lday % 7) + 7) % 7;   /* the window starts on a Monday */
    int weekend = wd >= 5;
    double w;
    switch (s->shape) {
    case SH_PERSONAL: w = personal_curve[lh] * (weekend ? 0.85 : 1.0); break;
    case SH_BUSINESS: w = business_curve[lh] * (weekend ? 0.12 : 1.0); break;
    case SH_STEADY:   w = 0.7 + 0.3 * personal_curve[lh]; break;
    case SH_FLAT:     w = 1.0; break;
    case SH_APP:      w = 0.45 + 0.55 * personal_curve[lh]; break;
    case SH_HYDRA:    w = 0.85 + 0.15 * personal_curve[lh]; break;
    case SH_CODER:    w = (0.30 + 0.70 * business_curve[lh]) * (weekend ? 0.5 : 1.0); break;
    case SH_AGENT_WORK: w = (0.08 + business_curve[lh]) * (weekend ? 0.45 : 1.0); break;
    case SH_SHIFTS: {
        int uh = ((h % 24) + 24) % 24;   /* the harvest runs on UTC shifts */
        w = ((uh >= 1 && uh < 9) || (uh >= 13 && uh < 17)) ? 1.0 : 0.03;
        break;
    }
    case SH_STUDENT: {
        w = student_curve[lh] * (weekend ? 0.8 : 1.0);
        /* problem set due Friday 23:59 local */
        int to_deadline = ((4 - wd + 7) % 7) * 24 + (23 - lh);
        if (to_deadline < 48)
            w *= 1.0 + 3.0 * (1.0 - to_deadline / 48.0);
        else if (wd == 5)
            w *= 0.5;
        break;
    }
    case SH_BENCH: {
        uint64_t dk = sim_key(s->key, (uint64_t)lday);
        int run = sim_hbelow(dk, 10) < 4;
        int from = 8 + (int)sim_hbelow(dk ^ 1, 10), len = 2 + (int)sim_hbelow(dk ^ 2, 5);
        w = run && lh >= from && lh < from + len ? 1.0 : 0.015;
        break;
    }
    default: w = 1.0;
    }
    if (s->n > s->n_pre)
        w *= (double)existing(s, t) / s->n;
    return w;
}

/* ---- setup ---------------------------------------------------------------- */

static const uint8_t agentic_types[5] = {0, 1, 4, 2, 3};  /* individual startup enterprise education research */
static const int8_t  agentic_tz[5] = {8, 8, 8, -8, 1};

static int add_stream(struct hu_sim *sim, const struct sim_row *row, uint16_t row_no, uint16_t cohort,
                      uint32_t n, double R, int8_t tz, uint8_t country, uint8_t lang, uint8_t type)
{
    if (!n)
        return HU_OK;
    if (sim->n_st >= MAX_STREAMS)
        return HU_EINTERNAL;
    struct stream *s = &sim->st[sim->n_st++];
    memset(s, 0, sizeof *s);
    const struct kind_info *ki = &kinds[row->kind];
    unsigned ev = sim->opts.evade;
    int camp = sim_kind_is_campaign(row->kind);
    s->row = row;
    s->kind = row->kind;
    s->shape = ki->shape;
    s->tz = tz;
    s->country = country;
    s->row_no = row_no;
    s->cohort = cohort;
    s->lang = lang;
    s->type = type;
    s->n = n;
    s->n_pre = n - (uint32_t)floor(n * (double)row->new_share + 0.5);
    s->waves = row->waves;
    s->t_on = sim->t0 + (int64_t)(row->day0 * 86400000.0);
    s->t_off = row->day1 > 0 ? sim->t0 + (int64_t)(row->day1 * 86400000.0) : sim->t1;
    s->R = R;
    s->sess_cap = ki->sess_cap;
    s->gap_lo = ki->gap_lo;
    s->gap_hi = ki->gap_hi;
    s->skew = ki->skew;
    double mean = ki->sess_mean;
    if (camp && (ev & HU_SIM_EVADE_JITTER))
        s->shape = SH_PERSONAL;
    if (camp && (ev & HU_SIM_EVADE_SLOW)) {
        if (s->sess_cap > 2) s->sess_cap = 2;
        if (mean > 1.5) mean = 1.5;
        s->gap_lo = 60;
        s->gap_hi = 120;
        if (s->shape == SH_SHIFTS || s->shape == SH_AGENT_WORK)
            s->shape = SH_STEADY;
    }
    /* the mean of a geometric truncated at cap: (1 - (1-p)^cap) / p */
    double p = 1.0 / mean;
    s->sess_mean = mean;
    s->draw_mean = mean <= 1.0 ? 1.0 : (1.0 - pow(1.0 - p, s->sess_cap)) / p;
    /* root of the label ("code-sweep") + infrastructure generation */
    const char *slash = strchr(row->label, '/');
    size_t rl = slash ? (size_t)(slash - row->label) : strlen(row->label);
    s->ckey = sim_key(sim_key(sim->seed, hu_hash(row->label, rl)), row->infra);
    s->okey = sim_key(sim_key(sim->seed, hu_hash(row->label, rl)), 0);   /* == ckey when infra is 0 */
    s->key = sim_key(sim_key(sim->seed, (uint64_t)row_no * 1000 + 17), cohort);
    return HU_OK;
}

/* Split a row into its cohorts. */
static int add_row(struct hu_sim *sim, const struct sim_row *row, uint16_t row_no)
{
    uint32_t n;
    uint64_t req;
    sim_row_scaled(row, sim->opts.scale, &n, &req);
    int camp = sim_kind_is_campaign(row->kind);
    int rc = HU_OK;
    uint32_t parts[MAX_COHORTS];
    uint32_t nc = 1;
    switch (row->kind) {
    case SIM_INDIVIDUAL:
    case SIM_HYDRA_CUSTOMER: {
        /* one cohort per country, sizes by share; remainder to the first */
        uint32_t used = 0;
        nc = (uint32_t)sim_n_countries;
        for (uint32_t c = 0; c < nc; c++) {
            parts[c] = (uint32_t)floor(n * (double)sim_countries[c].share);
            used += parts[c];
        }
        parts[0] += n - used;
        for (uint32_t c = 0; c < nc && rc == HU_OK; c++)
            rc = add_stream(sim, row, row_no, (uint16_t)c, parts[c], (double)req * parts[c] / n,
                            sim_countries[c].tz, (uint8_t)c, sim_countries[c].lang, 0);
        return rc;
    }
    case SIM_AGENTIC: nc = 5; break;
    case SIM_APP: case SIM_COMPANY: nc = 4; break;
    case SIM_UNIVERSITY: nc = n / 400 ? n / 400 : 1; break;
    case SIM_BENCHMARK: nc = n / 3 ? n / 3 : 1; break;
    case SIM_CODING_AGENT: nc = n / 15 ? n / 15 : 1; break;
    case SIM_SECURITY: nc = 2; break;
    default:
        nc = camp && (sim->opts.evade & HU_SIM_EVADE_JITTER) ? 4 : 1;
    }
    if (nc > MAX_COHORTS) nc = MAX_COHORTS;
    if (nc > n) nc = n;
    for (uint32_t c = 0; c < nc && rc == HU_OK; c++) {
        uint32_t a = (uint32_t)((uint64_t)n * c / nc), b = (uint32_t)((uint64_t)n * (c + 1) / nc);
        int8_t tz = 0;
        uint8_t lang = SIM_EN, type = 0, country = 255;
        switch (row->kind) {
        case SIM_AGENTIC: tz = agentic_tz[c]; type = agentic_types[c]; break;
        case SIM_APP: { static const int8_t z[4] = {-5, 1, 8, 5}; tz = z[c]; break; }
        case SIM_COMPANY: { static const int8_t z[4] = {-5, 1, 0, 8}; tz = z[c]; break; }
        case SIM_UNIVERSITY: {
            /* universities are the address plan's, with their country's time zone */
            uint32_t ub = c % sim_addr_blocks(NET_UNIVERSITY);
            struct sim_addr ad;
            sim_addr_in_block(NET_UNIVERSITY, ub, 1, &ad);
            for (uint32_t i = 0; i < sim_n_countries; i++)
                if (!memcmp(sim_countries[i].cc, ad.cc, 2)) {
                    tz = sim_countries[i].tz;
                    lang = sim_countries[i].lang;
                    country = (uint8_t)i;
                    break;
                }
            break;
        }
        case SIM_BENCHMARK: case SIM_CODING_AGENT: { static const int8_t z[4] = {-8, -5, 1, 8}; tz = z[c % 4]; break; }
        case SIM_SECURITY: tz = c ? 1 : -5; break;
        case SIM_COT: case SIM_CODE_HYDRA: case SIM_CODE_FARMED: {
            static const int8_t z[4] = {8, -5, 1, 9};
            tz = (sim->opts.evade & HU_SIM_EVADE_JITTER) ? z[c % 4] : 8;
            break;
        }
        default: break;
        }
        rc = add_stream(sim, row, row_no, (uint16_t)c, b - a, (double)req * (b - a) / n, tz, country, lang, type);
    }
    return rc;
}

static void fp_build(struct fp_tab *f);

static const char *const kind_names[SIM_KIND_N] = {
    "cot", "agentic", "code-hydra", "code-farmed", "individual", "app", "company",
    "university", "benchmark", "coding-agent", "hydra-customer", "security"};

int hu_sim_create(const struct hu_sim_opts *opts, struct hu_sim **out, char *err, size_t errcap)
{
    *out = NULL;
    if (!opts || !opts->scenario) {
        snprintf(err, errcap, "no scenario");
        return HU_EINVAL;
    }
    const struct sim_scenario *sc = sim_scenario_find(opts->scenario);
    if (!sc) {
        snprintf(err, errcap, "unknown scenario '%s' (see --list)", opts->scenario);
        return HU_ENOENT;
    }
    if (!(opts->scale >= HU_SIM_SCALE_MIN && opts->scale <= HU_SIM_SCALE_MAX)) {
        snprintf(err, errcap, "--scale must be between %g and %g", HU_SIM_SCALE_MIN, HU_SIM_SCALE_MAX);
        return HU_EINVAL;
    }
    (void)kind_names;
    struct hu_sim *sim = hu_calloc(1, sizeof *sim);
    if (!sim)
        goto nomem;
    sim->sc = sc;
    sim->opts = *opts;
    sim->opts.text_from = NULL;
    sim->seed = sim_mix(opts->seed ^ UINT64_C(0x68756c6c61736d31));
    sim->t0 = sc->start * 1000;
    sim->hours = sc->days * 24;
    sim->t1 = sim->t0 + (int64_t)sim->hours * 3600000;
    sim->release = sc->release_day < 0 ? 0 : sim->t0 + (int64_t)(sc->release_day * 86400000.0);
    sim->day_ms = -1;
    int rc = sim_text_create(opts->text_from, &sim->text, err, errcap);
    if (rc != HU_OK) {
        hu_sim_destroy(sim);
        return rc;
    }
    sim->st = hu_calloc(MAX_STREAMS, sizeof *sim->st);
    sim->k = hu_calloc((size_t)sim->hours, 1);
    sim->out = hu_malloc(OUT_CAP);
    sim->fp = hu_malloc(sizeof *sim->fp);
    sim->frags = hu_calloc(FRAG_SLOTS, sizeof *sim->frags);
    if (!sim->st || !sim->k || !sim->out || !sim->fp || !sim->frags)
        goto nomem;
    fp_build(sim->fp);
    (void)sim_addr_blocks(NET_CLOUD);   /* builds the address-plan index */
    for (size_t i = 0; i < sc->n_rows; i++) {
        rc = add_row(sim, &sc->rows[i], (uint16_t)i);
        if (rc != HU_OK) {
            snprintf(err, errcap, "scenario too large (%s)", hu_status_str(rc));
            hu_sim_destroy(sim);
            return rc;
        }
    }
    /* normalise the shapes and plan the slices */
    double *lam = hu_calloc((size_t)sim->hours, sizeof *lam);
    if (!lam)
        goto nomem;
    for (uint32_t i = 0; i < sim->n_st; i++) {
        struct stream *s = &sim->st[i];
        double W = 0;
        for (int h = 0; h < sim->hours; h++)
            W += shape_at(sim, s, h);
        s->W = W;
        if (W <= 0)
            continue;
        for (int h = 0; h < sim->hours; h++)
            lam[h] += s->R * shape_at(sim, s, h) / W;
    }
    for (int h = 0; h < sim->hours; h++) {
        double k = ceil(lam[h] / SLICE_CAP);
        sim->k[h] = (uint8_t)(k < 1 ? 1 : k > 60 ? 60 : k);
    }
    hu_free(lam);
    *out = sim;
    return HU_OK;
nomem:
    snprintf(err, errcap, "out of memory");
    hu_sim_destroy(sim);
    return HU_ENOMEM;
}

void hu_sim_destroy(struct hu_sim *sim)
{
    if (!sim)
        return;
    sim_text_destroy(sim->text);
    hu_free(sim->fp);
    hu_free(sim->frags);
    hu_free(sim->st);
    hu_free(sim->k);
    hu_free(sim->buf);
    hu_free(sim->tmp);
    hu_free(sim->out);
    hu_free(sim);
}

/* ---- slice buffer ------------------------------------------------------------ */

static int push(struct hu_sim *sim, const struct rec *r)
{
    if (sim->buf_n == sim->buf_cap) {
        size_t nc = sim->buf_cap ? sim->buf_cap * 2 : 65536;
        struct rec *b = hu_realloc(sim->buf, nc * sizeof *b);
        if (!b)
            return HU_ENOMEM;
        sim->buf = b;
        struct rec *t = hu_realloc(sim->tmp, nc * sizeof *t);
        if (!t)
            return HU_ENOMEM;
        sim->tmp = t;
        sim->buf_cap = nc;
    }
    sim->buf[sim->buf_n++] = *r;
    return HU_OK;
}

/* LSD radix sort on (ts - base) in 11-bit digits: slices are <= 1 hour,
 * 3.6e6 ms < 2^22.  Stable, so equal timestamps keep generation order
 * (which is itself deterministic). */
static void sort_slice(struct hu_sim *sim, int64_t base)
{
    size_t n = sim->buf_n;
    struct rec *a = sim->buf, *b = sim->tmp;
    for (int pass = 0; pass < 2; pass++) {
        size_t cnt[2049] = {0};
        int sh = pass * 11;
        for (size_t i = 0; i < n; i++)
            cnt[(((uint64_t)(a[i].ts - base) >> sh) & 2047) + 1]++;
        for (int i = 0; i < 2048; i++)
            cnt[i + 1] += cnt[i];
        for (size_t i = 0; i < n; i++)
            b[cnt[((uint64_t)(a[i].ts - base) >> sh) & 2047]++] = a[i];
        struct rec *t = a; a = b; b = t;
    }
    /* two passes: the result is back in sim->buf */
}

/* ---- output helpers --------------------------------------------------------- */

#define LIT(p, s) (memcpy((p), (s), sizeof(s) - 1), (p) += sizeof(s) - 1)

static char *put_raw(char *p, const char *s)
{
    size_t n = strlen(s);
    memcpy(p, s, n);
    return p + n;
}

static char *put_u64(char *p, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

static char *put_hex(char *p, uint64_t v, int digits)
{
    static const char hex[] = "0123456789abcdef";
    for (int i = digits - 1; i >= 0; i--)
        *p++ = hex[(v >> (i * 4)) & 15];
    return p;
}

/* Civil date from days since 1970-01-01 (Howard Hinnant's algorithm). */
static void civil(int64_t z, int *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yy + (*m <= 2));
}

static char *put_ts(struct hu_sim *sim, char *p, int64_t ms)
{
    int64_t day = ms / 86400000;
    if (day != sim->day_ms) {
        int y;
        unsigned m, d;
        civil(day, &y, &m, &d);
        snprintf(sim->day_str, sizeof sim->day_str, "%04d-%02u-%02u", y, m, d);
        sim->day_ms = day;
    }
    int64_t r = ms - day * 86400000;
    unsigned hh = (unsigned)(r / 3600000), mm = (unsigned)(r / 60000 % 60), ss = (unsigned)(r / 1000 % 60),
             mss = (unsigned)(r % 1000);
    *p++ = '"';
    memcpy(p, sim->day_str, 10);  /* years 1000..9999 */
    p += 10;
    *p++ = 'T';
    *p++ = (char)('0' + hh / 10); *p++ = (char)('0' + hh % 10); *p++ = ':';
    *p++ = (char)('0' + mm / 10); *p++ = (char)('0' + mm % 10); *p++ = ':';
    *p++ = (char)('0' + ss / 10); *p++ = (char)('0' + ss % 10); *p++ = '.';
    *p++ = (char)('0' + mss / 100); *p++ = (char)('0' + mss / 10 % 10); *p++ = (char)('0' + mss % 10);
    *p++ = 'Z';
    *p++ = '"';
    return p;
}

/* ---- accounts: derived, never stored ----------------------------------------- */

enum { TY_INDIVIDUAL, TY_STARTUP, TY_EDUCATION, TY_RESEARCH, TY_ENTERPRISE };
static const char *const type_names[] = {"individual", "startup", "education", "research", "enterprise"};
enum { VF_NONE, VF_EMAIL, VF_PHONE, VF_ID, VF_BUSINESS };
static const char *const verif_names[] = {"none", "email", "phone", "id", "business"};

struct acct {
    const struct stream *st;
    uint32_t idx;
    uint64_t key;
    uint64_t org;        /* 0: none */
    uint64_t pay;        /* 0: none on file */
    uint64_t group;      /* company / university / product / customer key */
    uint8_t  type, verif, lang, ua, rt, nkeys, msgs_style;
    uint8_t  hydra;      /* traffic goes through the hydra relays */
    const char *email;   /* borrowed, or NULL: formatted from the parts below */
    const char *mail_w;  /* word, number, tld of a formatted domain */
    unsigned mail_n;
    const char *mail_tld;
    char     cc[3];
    uint8_t  country;
};

/* User agents: SDK families an API sees, honest and not alike. */
static const char *const ua_fmt[] = {
    "helix-python/1.%u.%u",          /* 0 the provider's Python SDK */
    "helix-typescript/0.%u.%u",      /* 1 */
    "OpenAI/Python 1.%u.%u",         /* 2 OpenAI-compatible endpoint */
    "python-httpx/0.27.%u",          /* 3 */
    "python-requests/2.32.%u",       /* 4 */
    "Go-http-client/2.0",            /* 5 */
    "curl/8.%u.0",                   /* 6 */
    "okhttp/4.12.%u",                /* 7 */
    "Java-http-client/21.0.%u",      /* 8 */
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/13%u.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.%u Safari/605.1.15",
    "litellm/1.5%u.%u",              /* 11 */
    "langchain-helix/0.3.%u",        /* 12 */
    "axios/1.7.%u",                  /* 13 */
};
_Static_assert(sizeof ua_fmt / sizeof ua_fmt[0] == N_UA, "N_UA");

/* Weighted UA choice per kind: cumulative weights over ua_fmt. */
static uint8_t pick_ua(int kind, uint64_t h)
{
    static const uint8_t w[SIM_KIND_N][N_UA] = {
        [SIM_COT]            = {90, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
        [SIM_AGENTIC]        = {40, 20, 5, 5, 5, 0, 0, 0, 0, 15, 5, 5, 0, 0},
        [SIM_CODE_HYDRA]     = {60, 20, 0, 15, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0},
        [SIM_CODE_FARMED]    = {55, 25, 0, 15, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0},
        [SIM_INDIVIDUAL]     = {28, 10, 6, 5, 10, 1, 5, 2, 1, 18, 8, 2, 4, 0},
        [SIM_APP]            = {25, 35, 5, 5, 0, 10, 0, 5, 10, 0, 0, 5, 0, 0},
        [SIM_COMPANY]        = {35, 20, 5, 0, 5, 0, 0, 0, 15, 10, 0, 10, 0, 0},
        [SIM_UNIVERSITY]     = {35, 0, 5, 0, 20, 0, 0, 0, 0, 30, 10, 0, 0, 0},
        [SIM_BENCHMARK]      = {50, 0, 5, 20, 0, 0, 0, 0, 0, 0, 0, 25, 0, 0},
        [SIM_CODING_AGENT]   = {30, 50, 0, 0, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0},
        [SIM_HYDRA_CUSTOMER] = {35, 15, 10, 5, 10, 0, 5, 0, 0, 10, 5, 5, 0, 0},
        [SIM_SECURITY]       = {60, 0, 0, 10, 10, 0, 20, 0, 0, 0, 0, 0, 0, 0},
    };
    static unsigned tot[SIM_KIND_N];   /* sums, computed on first use (same value every time) */
    if (!tot[kind])
        for (unsigned i = 0; i < N_UA; i++)
            tot[kind] += w[kind][i];
    unsigned x = sim_hbelow(h, tot[kind]);
    for (unsigned i = 0; i < N_UA; i++) {
        if (x < w[kind][i])
            return (uint8_t)i;
        x -= w[kind][i];
    }
    return 0;
}

static const char *const generic_mail[] = {"gmail.com", "outlook.com", "yahoo.com", "icloud.com",
                                           "proton.me", "hotmail.com", "gmx.de", "yandex.com"};
static const char *const cn_mail[] = {"qq.com", "163.com", "126.com", "gmail.com", "outlook.com"};
static const char *const es_mail[] = {"gmail.com", "hotmail.es", "yahoo.es", "outlook.com"};
static const char *const mill_mail[] = {"stu.aurora-college.edu", "mail.westbridge-univ.edu",
                                        "learn.kingsford.edu", "alumni.northgate-institute.edu",
                                        "students.lakeview-poly.edu", "edu.openfield-academy.org"};
static const char *const word[] = {"northwind", "bluepeak", "cobalt", "lumen", "vertex", "harbor",
                                   "quill", "ember", "pivot", "sable", "tandem", "orchid"};

static void set_mail(struct acct *a, const char *const *list, size_t n, uint64_t h)
{
    a->email = list[sim_hbelow(h, (uint32_t)n)];
}

/* Domains are formatted only when an account line is written. */
static void set_mail_fmt(struct acct *a, const char *w1, unsigned num, const char *tld)
{
    a->email = NULL;
    a->mail_w = w1;
    a->mail_n = num;
    a->mail_tld = tld;
}

static void uni_domain(struct acct *a, uint32_t uni)
{
    set_mail_fmt(a, "students.univ", 10 + uni, "edu");
}

/* Shared card pools of a campaign: `size` accounts per card. */
static uint64_t pool_card(const struct hu_sim *sim, const struct acct *a, uint64_t ckey, uint32_t size)
{
    if (sim->opts.evade & HU_SIM_EVADE_UNIQUE_PAY)
        return sim_key(a->key, 0xca7d);
    return sim_key(ckey ^ 0xca7d, a->idx / size + 1000u * a->st->cohort);
}

static void acct_derive(const struct hu_sim *sim, const struct stream *s, uint32_t idx, struct acct *a)
{
    uint64_t k = sim_key(s->key, idx);
    memset(a, 0, sizeof *a);
    a->st = s;
    a->idx = idx;
    a->key = k;
    a->lang = s->lang;
    a->country = s->country;
    a->ua = pick_ua(s->kind, k ^ 0x0a);
    a->rt = (uint8_t)sim_hbelow(k ^ 0x1b, 3);
    a->nkeys = (uint8_t)(1 + sim_hbelow(k ^ 0x2c, 3));
    a->msgs_style = (uint8_t)sim_hbelow(k ^ 0x3d, 3);   /* 0 prompt, 1 messages, 2 blocks */
    a->cc[0] = a->cc[1] = a->cc[2] = 0;
    if (s->country != 255)
        memcpy(a->cc, sim_countries[s->country].cc, 2);
    double u = sim_hu01(k ^ 0x4e);
    const char *const *gm = a->lang == SIM_ZH ? cn_mail : a->lang == SIM_ES ? es_mail : generic_mail;
    size_t gn = a->lang == SIM_ZH ? 5 : a->lang == SIM_ES ? 4 : 8;
    switch (s->kind) {
    case SIM_INDIVIDUAL:
    case SIM_HYDRA_CUSTOMER:
        a->type = u < 0.9 ? TY_INDIVIDUAL : u < 0.95 ? TY_STARTUP : TY_EDUCATION;
        a->verif = sim_hu01(k ^ 5) < 0.5 ? VF_EMAIL : sim_hu01(k ^ 5) < 0.9 ? VF_PHONE : VF_ID;
        set_mail(a, gm, gn, k ^ 6);
        /* 3% of people share a card with a family member (pairs of accounts) */
        a->pay = sim_hu01(sim_key(s->key, idx / 2) ^ 7) < 0.03 ? sim_key(s->key, idx / 2) : sim_key(k, 0xca7d);
        if (s->kind == SIM_HYDRA_CUSTOMER) {
            a->hydra = 1;
            /* the service resells access: a third run on its card pool */
            if (u < 0.33)
                a->pay = sim_key(sim_key(sim->seed, 0x4d7a) ^ 0xca7d, sim_hbelow(k ^ 8, 4000));
        }
        break;
    case SIM_APP:
        a->type = u < 0.7 ? TY_STARTUP : TY_ENTERPRISE;
        a->verif = u < 0.5 ? VF_BUSINESS : VF_EMAIL;
        a->group = sim_key(s->key, idx / 2);          /* prod + staging share the app */
        a->org = a->group;
        a->pay = sim_key(a->group, 0xca7d);
        set_mail_fmt(a, word[sim_hbelow(a->group, 12)], sim_hbelow(a->group ^ 1, 900) + 100, "io");
        break;
    case SIM_COMPANY: {
        /* company sizes cycle through 5..60 accounts */
        static const uint8_t sizes[8] = {5, 12, 25, 60, 8, 40, 18, 32};
        uint32_t acc = 0, c = 0, i = idx;
        uint32_t period = 200, per = idx / period;
        i = idx % period;
        for (c = 0; c < 8; c++) {
            if (i < acc + sizes[c])
                break;
            acc += sizes[c];
        }
        a->group = sim_key(s->key ^ 0xc0, per * 8 + c);
        if (s->row->group_size)   /* one entity across every cohort */
            a->group = sim_key(sim_key(sim->seed, s->row_no) ^ 0xc1, idx / s->row->group_size);
        a->org = a->group;
        a->pay = sim_key(a->group, 0xca7d);
        a->type = sim_hu01(a->group) < 0.7 ? TY_ENTERPRISE : TY_STARTUP;
        a->verif = VF_BUSINESS;
        set_mail_fmt(a, word[sim_hbelow(a->group, 12)], sim_hbelow(a->group ^ 1, 9000) + 10, "com");
        break;
    }
    case SIM_UNIVERSITY:
        a->type = TY_EDUCATION;
        a->verif = VF_EMAIL;
        a->group = s->key;
        uni_domain(a, s->cohort % sim_addr_blocks(NET_UNIVERSITY));
        a->pay = u < 0.6 ? 0 : sim_key(k, 0xca7d);
        /* a research group shares its grant card */
        if (u > 0.95) {
            a->type = TY_RESEARCH;
            a->pay = sim_key(s->key, 0x9a);
        }
        break;
    case SIM_BENCHMARK:
        a->type = u < 0.5 ? TY_RESEARCH : TY_STARTUP;
        a->verif = VF_BUSINESS;
        a->group = s->key;
        a->org = s->key;
        a->pay = sim_key(s->key, 0xca7d);
        set_mail_fmt(a, word[sim_hbelow(s->key, 12)], sim_hbelow(s->key ^ 1, 900) + 100, "ai");
        break;
    case SIM_CODING_AGENT:
        a->type = u < 0.6 ? TY_STARTUP : TY_ENTERPRISE;
        a->verif = VF_BUSINESS;
        a->group = s->key;
        a->org = s->key;
        a->pay = sim_key(s->key, 0xca7d);
        a->ua = pick_ua(s->kind, s->key);          /* one product build */
        a->rt = (uint8_t)sim_hbelow(s->key ^ 0x1b, 3);
        set_mail_fmt(a, word[sim_hbelow(s->key, 12)], sim_hbelow(s->key ^ 1, 900) + 100, "dev");
        break;
    case SIM_SECURITY:
        a->type = TY_RESEARCH;
        a->verif = VF_ID;
        a->group = s->key;
        a->org = s->key;
        a->pay = sim_key(s->key, 0xca7d);
        set_mail_fmt(a, "redteam-", sim_hbelow(s->key, 90) + 10, "org");
        memcpy(a->cc, s->cohort ? "DE" : "US", 2);
        break;
    case SIM_COT:
        a->type = u < 0.5 ? TY_INDIVIDUAL : TY_STARTUP;
        a->verif = u < 0.6 ? VF_PHONE : VF_EMAIL;
        a->lang = sim_hu01(k ^ 9) < 0.4 ? SIM_ZH : SIM_EN;
        set_mail(a, generic_mail, 8, k ^ 6);
        a->pay = pool_card(sim, a, s->ckey, 25);
        a->ua = 0;       /* one script: the SDK everyone uses, one version */
        a->rt = 0;
        memcpy(a->cc, sim_hu01(k ^ 10) < 0.5 ? "US" : sim_hu01(k ^ 10) < 0.8 ? "SG" : "HK", 2);
        break;
    case SIM_AGENTIC:
        a->type = s->type;
        a->verif = a->type == TY_ENTERPRISE ? VF_BUSINESS : a->type == TY_INDIVIDUAL ? VF_ID : VF_EMAIL;
        if (a->type == TY_EDUCATION || a->type == TY_RESEARCH)
            uni_domain(a, sim_hbelow(k ^ 11, sim_addr_blocks(NET_UNIVERSITY)));
        else if (a->type == TY_ENTERPRISE) {
            a->org = sim_key(s->ckey, 0x0a9 + idx % 3);
            set_mail_fmt(a, word[sim_hbelow(a->org, 12)], sim_hbelow(a->org ^ 1, 900) + 100, "com");
        } else
            set_mail(a, generic_mail, 8, k ^ 6);
        a->pay = pool_card(sim, a, s->ckey, 16);
        memcpy(a->cc, s->tz == -8 ? "US" : s->tz == 1 ? "GB" : sim_hu01(k ^ 10) < 0.5 ? "SG" : "US", 2);
        break;
    case SIM_CODE_HYDRA:
        a->type = u < 0.7 ? TY_INDIVIDUAL : TY_STARTUP;
        a->verif = u < 0.5 ? VF_EMAIL : VF_PHONE;
        a->hydra = 1;
        if (sim_hu01(k ^ 12) < 0.75)
            set_mail(a, generic_mail, 8, k ^ 6);
        else
            set_mail_fmt(a, word[sim_hbelow(k ^ 13, 12)], sim_hbelow(k ^ 14, 9000) + 10, "top");
        /* the hydra's card pool: ~10 accounts per virtual card */
        a->pay = pool_card(sim, a, sim_key(s->ckey, 0x4d7a), 10);
        memcpy(a->cc, sim_countries[sim_hbelow(k ^ 10, (uint32_t)sim_n_countries)].cc, 2);
        break;
    case SIM_CODE_FARMED: {
        double v = sim_hu01(k ^ 15);
        a->type = v < 0.5 ? TY_EDUCATION : v < 0.7 ? TY_RESEARCH : TY_STARTUP;
        a->verif = a->type == TY_STARTUP ? VF_EMAIL : v < 0.3 ? VF_NONE : VF_EMAIL;
        if (a->type == TY_STARTUP)
            set_mail_fmt(a, word[sim_hbelow(k ^ 13, 12)], sim_hbelow(k ^ 14, 9000) + 10, "dev");
        else if (sim_hu01(k ^ 16) < 0.4)
            uni_domain(a, sim_hbelow(k ^ 11, sim_addr_blocks(NET_UNIVERSITY)));   /* bought student mailboxes */
        else
            set_mail(a, mill_mail, 6, k ^ 6);
        /* program credits: most have no card; the rest share a few */
        a->pay = sim_hu01(k ^ 17) < 0.6 ? 0 : pool_card(sim, a, s->ckey, 25);
        memcpy(a->cc, sim_countries[sim_hbelow(k ^ 10, (uint32_t)sim_n_countries)].cc, 2);
        break;
    }
    default:
        break;
    }
}

static char *put_acct_id(char *p, uint64_t key)
{
    static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
    LIT(p, "acct_");
    uint64_t v = sim_mix(key ^ 0xacc7);
    for (int i = 0; i < 13; i++) {
        *p++ = b32[v & 31];
        v >>= 5;
    }
    return p;
}

static char *put_email(char *p, const struct acct *a)
{
    if (a->email)
        return put_raw(p, a->email);
    p = put_raw(p, a->mail_w);
    p = put_u64(p, a->mail_n);
    *p++ = '.';
    return put_raw(p, a->mail_tld);
}

/* ---- addresses per request ---------------------------------------------------- */

static uint64_t hydra_key(const struct hu_sim *sim, const struct stream *s)
{
    return sim_key(sim->seed ^ 0x4d7a, s->row->infra);
}

/* An exit of a residential proxy pool of n24 /24 prefixes. */
static void resi_exit(uint64_t pool, uint32_t slot, struct sim_rng *r, struct sim_addr *ip)
{
    uint64_t k = sim_key(pool, slot);
    uint32_t blk = sim_hbelow(k, sim_addr_blocks(NET_RESIDENTIAL));
    uint64_t host = ((uint64_t)sim_hbelow(k >> 3, 4096) << 8) | (1 + sim_below(r, 254));
    sim_addr_in_block(NET_RESIDENTIAL, blk, host, ip);
}

static void dc_exit(int net, uint64_t pool, uint32_t slot, struct sim_rng *r, struct sim_addr *ip)
{
    uint64_t k = sim_key(pool, slot);
    uint32_t blk = sim_hbelow(k, sim_addr_blocks(net));
    uint32_t n24 = net == NET_CLOUD ? 1024 : 256;
    uint64_t host = ((uint64_t)sim_hbelow(k >> 3, n24) << 8) | (1 + sim_below(r, 254));
    sim_addr_in_block(net, blk, host, ip);
}

static void req_ip(const struct hu_sim *sim, const struct acct *a, int64_t ts, struct sim_rng *r,
                   struct sim_addr *ip)
{
    const struct stream *s = a->st;
    int camp = sim_kind_is_campaign(s->kind);
    uint64_t k = a->key;
    const char *cc = a->cc[0] ? a->cc : NULL;
    if (camp && (sim->opts.evade & HU_SIM_EVADE_RESIDENTIAL)) {
        /* every account its own residential exits: no shared prefixes */
        resi_exit(k ^ 0x7e5, sim_below(r, 2), r, ip);
        return;
    }
    uint64_t day = (uint64_t)((ts - sim->t0) / 86400000);
    double u = sim_u01(r);
    switch (s->kind) {
    case SIM_INDIVIDUAL:
        if (u < 0.70) {        /* home: the ISP reassigns the address about weekly */
            uint64_t hk = sim_key(k, day / 7);
            sim_addr_pick(NET_RESIDENTIAL, cc, k, sim_mix(hk), ip);
        } else if (u < 0.95) { /* phone: carrier-grade NAT, 1,024 shared addresses */
            uint64_t v6 = sim_hu01(k ^ 0x66) < 0.3 ? (UINT64_C(1) << 63) : 0;
            uint64_t host = v6 ? sim_key(k, day) : sim_below(r, 1024);
            sim_addr_pick(NET_MOBILE, cc, k, host | v6, ip);
        } else {
            sim_addr_pick(NET_BUSINESS, NULL, k ^ 1, sim_mix(k) & 0x3ffff, ip);
        }
        return;
    case SIM_HYDRA_CUSTOMER:
    case SIM_CODE_HYDRA: {
        uint64_t hk = hydra_key(sim, s);
        if (u < 0.6)
            resi_exit(hk ^ 1, sim_below(r, 512), r, ip);
        else
            dc_exit(NET_PROXY_DC, hk ^ 2, sim_below(r, 256), r, ip);
        return;
    }
    case SIM_APP:
        dc_exit(sim_hu01(a->group) < 0.8 ? NET_CLOUD : NET_HOSTING, a->group, sim_below(r, 4), r, ip);
        return;
    case SIM_COMPANY:
        if (u < 0.8)
            sim_addr_pick(NET_BUSINESS, NULL, a->group, (sim_mix(a->group) & 0x3ffff) + sim_below(r, 2), ip);
        else
            sim_addr_pick(NET_RESIDENTIAL, NULL, k, sim_mix(sim_key(k, day / 7)), ip);
        return;
    case SIM_UNIVERSITY:
        if (u < 0.75) {        /* the campus NAT: three addresses for everyone */
            sim_addr_in_block(NET_UNIVERSITY, s->cohort % sim_addr_blocks(NET_UNIVERSITY),
                              0x1000 + sim_below(r, 3), ip);
        } else if (u < 0.92) {
            sim_addr_pick(NET_MOBILE, cc, k, sim_below(r, 1024), ip);
        } else {
            sim_addr_pick(NET_RESIDENTIAL, cc, k, sim_mix(sim_key(k, day / 7)), ip);
        }
        return;
    case SIM_BENCHMARK:
        dc_exit(NET_CLOUD, s->key, sim_below(r, 8), r, ip);
        return;
    case SIM_CODING_AGENT:
        dc_exit(NET_CLOUD, s->key, sim_below(r, 16), r, ip);
        return;
    case SIM_SECURITY:
        if (u < 0.5)
            sim_addr_pick(NET_BUSINESS, NULL, s->key, sim_mix(s->key) & 0x3ffff, ip);
        else
            dc_exit(NET_CLOUD, s->key, sim_below(r, 4), r, ip);
        return;
    case SIM_COT:
        /* a handful of rented servers shared by every account */
        dc_exit(NET_HOSTING, s->ckey, sim_below(r, 6), r, ip);
        return;
    case SIM_AGENTIC: {
        /* sticky per account: own VM, an office line, or the campaign's small proxy pool */
        double v = sim_hu01(k ^ 0x99);
        if (v < 0.4)
            resi_exit(s->ckey ^ 3, sim_hbelow(sim_key(k, day), 64), r, ip);
        else if (v < 0.7)
            dc_exit(NET_CLOUD, k, 0, r, ip);
        else
            sim_addr_pick(NET_BUSINESS, NULL, s->ckey, (sim_mix(k) & 0x3ffff), ip);
        return;
    }
    case SIM_CODE_FARMED:
        if (u < 0.7)
            resi_exit(s->ckey ^ 4, sim_below(r, 128), r, ip);
        else
            sim_addr_pick(NET_MOBILE, NULL, k, sim_below(r, 1024), ip);
        return;
    default:
        sim_addr_pick(NET_CLOUD, NULL, k, k, ip);
    }
}

/* ---- models ---------------------------------------------------------------------- */

static const char *const model_names[] = {"helix-2-mini", "helix-2", "helix-2-pro", "helix-3"};
enum { M_MINI, M_STD, M_PRO, M_NEW };

static double ramp(double x) { return x < 0 ? 0 : x > 1 ? 1 : x; }

static int pick_model(const struct hu_sim *sim, const struct acct *a, int bk, int64_t ts, struct sim_rng *r)
{
    uint64_t k = a->key;
    double u = sim_hu01(k ^ 0x30de);
    int base;
    switch (bk) {
    case SIM_COT: base = M_PRO; break;
    case SIM_AGENTIC: base = u < 0.6 ? M_PRO : M_STD; break;
    case SIM_CODE_HYDRA: case SIM_CODE_FARMED: base = u < 0.75 ? M_PRO : M_STD; break;
    case SIM_APP: base = sim_hu01(a->group) < 0.6 ? M_MINI : M_STD; break;
    case SIM_CODING_AGENT: base = sim_hu01(a->group) < 0.5 ? M_PRO : M_STD; break;
    case SIM_BENCHMARK: base = (int)sim_below(r, 3); break;
    default: {
        double v = sim_u01(r);
        base = v < 0.3 ? M_MINI : v < 0.88 ? M_STD : M_PRO;
    }
    }
    if (!sim->release || ts < sim->release)
        return base;
    double hrs = (double)(ts - sim->release) / 3600000.0, p;
    switch (bk) {
    case SIM_CODE_HYDRA: case SIM_CODE_FARMED: p = 0.5 * ramp(hrs / 18.0); break;
    case SIM_COT: p = 0.3 * ramp(hrs / 48.0); break;
    case SIM_AGENTIC: p = 0.25 * ramp(hrs / 72.0); break;
    case SIM_APP: {
        double at = 48 + 144 * sim_hu01(a->group ^ 0x3e);
        p = sim_hu01(a->group ^ 0x3f) < 0.1 && hrs > at ? 1.0 : 0.0;
        break;
    }
    case SIM_CODING_AGENT: {
        /* products switch whole: 40% within 4-36 h, the rest within 3-10 days */
        double at = sim_hu01(a->group ^ 0x3f) < 0.4 ? 4 + 32 * sim_hu01(a->group ^ 0x3e)
                                                    : 72 + 168 * sim_hu01(a->group ^ 0x3e);
        p = hrs > at ? 0.95 : 0.0;
        break;
    }
    case SIM_BENCHMARK: p = hrs > 2 ? 0.4 : 0; break;
    case SIM_SECURITY: p = hrs > 6 ? 0.5 : 0; break;
    default: {
        /* early adopters switch within a day; everyone else drifts slowly */
        double at = 1 + 29 * sim_hu01(k ^ 0x3e);
        p = sim_hu01(k ^ 0x3f) < 0.08 ? (hrs > at ? 0.9 : 0) : 0.15 * ramp(hrs / 168.0);
    }
    }
    return sim_chance(r, p) ? M_NEW : base;
}

/* ---- client strings (built once) ---------------------------------------------- */



static void ja4(char *out, size_t cap, uint64_t h)
{
    snprintf(out, cap, "t13d%02u%02uh2_%012llx_%012llx", 10 + (unsigned)(h % 9), 8 + (unsigned)(h >> 8) % 9,
             (unsigned long long)(sim_mix(h) & 0xffffffffffffULL),
             (unsigned long long)(sim_mix(h ^ 1) & 0xffffffffffffULL));
}

static void fp_build(struct fp_tab *f)
{
    for (unsigned i = 0; i < N_UA; i++) {
        for (unsigned v = 0; v < 4; v++) {
            unsigned a = 20 + v * 3 + i % 3, b = v * 2 + 1;
            /* formats take at most two numbers; extra ones are ignored */
            int n = snprintf(f->ua[i][v], sizeof f->ua[i][v], ua_fmt[i], a % 60, b);
            f->ua_len[i][v] = (uint8_t)(n < 0 ? 0 : n >= 192 ? 191 : n);
        }
        for (unsigned v = 0; v < 3; v++) {
            /* runtime variants of one SDK: a few TLS stacks and header orders */
            uint64_t h = sim_key(0x7f1a + i, v);
            ja4(f->cfp[i][v], sizeof f->cfp[i][v], h);
            snprintf(f->hfp[i][v], sizeof f->hfp[i][v], "%016llx", (unsigned long long)sim_mix(h ^ 0x4e));
        }
    }
    for (unsigned v = 0; v < 3; v++) {
        uint64_t h = sim_key(0x4e1a7, v);
        ja4(f->relay_cfp[v], sizeof f->relay_cfp[v], h);
        snprintf(f->relay_hfp[v], sizeof f->relay_hfp[v], "%016llx", (unsigned long long)sim_mix(h ^ 0x4e));
    }
}

/* ---- text of one request ----------------------------------------------------------- */

static char *text(const struct hu_sim *sim, char *p, int intent, int lang, uint64_t seed, uint64_t fix,
                  uint64_t topic)
{
    struct sim_rng r;
    sim_rng_seed(&r, seed);
    return sim_text_write(sim->text, p, intent, lang, &r, fix, topic);
}

/* Copy the fragment cached under key, or render it with fn and keep it. */
static int frag_get(struct hu_sim *sim, uint64_t key, char **p)
{
    struct frag *f = &sim->frags[key & (FRAG_SLOTS - 1)];
    if (f->key != key || !key)
        return 0;
    memcpy(*p, f->data, f->len);
    *p += f->len;
    return 1;
}

static void frag_put(struct hu_sim *sim, uint64_t key, const char *from, const char *to)
{
    size_t n = (size_t)(to - from);
    if (!key || n > FRAG_MAX)
        return;
    struct frag *f = &sim->frags[key & (FRAG_SLOTS - 1)];
    f->key = key;
    f->len = (uint32_t)n;
    memcpy(f->data, from, n);
}

static const char *const code_tools[] = {"bash", "str_replace_based_edit_tool", "read_file", "list_directory",
                                         "run_tests", "grep_search", "write_file", "git"};
static const char *const agent_tools[] = {"web_search", "fetch_url", "python", "computer",
                                          "read_file", "send_email", "calendar", "spreadsheet"};

static char *put_tools(char *p, const char *const *names, uint64_t key, unsigned nmin, int objects)
{
    unsigned n = nmin + sim_hbelow(key, 8 - nmin + 1);
    unsigned off = sim_hbelow(key ^ 1, 8);
    LIT(p, ",\"tools\":[");
    for (unsigned i = 0; i < n; i++) {
        if (i)
            *p++ = ',';
        const char *nm = names[(off + i * 3) % 8];
        if (objects) {
            LIT(p, "{\"name\":\"");
            p = put_raw(p, nm);
            LIT(p, "\",\"input_schema\":{\"type\":\"object\"}}");
        } else {
            *p++ = '"';
            p = put_raw(p, nm);
            *p++ = '"';
        }
    }
    *p++ = ']';
    return p;
}

struct req_shape {
    int intent, sys_intent, lang;
    uint64_t fix, topic, sys_topic, sys_fix;
    int loop;                   /* agentic tool loop: later turns carry tool results */
    int independent;            /* a session is a run of separate one-turn requests */
    const char *const *tools;
    uint64_t tools_key;
    unsigned tools_min;
    int image;
};

static void plan_request(const struct hu_sim *sim, const struct acct *a, int bk, const struct rec *rc,
                         struct sim_rng *sr, struct req_shape *q)
{
    const struct stream *s = a->st;
    int para = (sim->opts.evade & HU_SIM_EVADE_PARAPHRASE) != 0;
    memset(q, 0, sizeof *q);
    q->sys_intent = -1;
    q->lang = a->lang;
    q->intent = T_CHAT;
    double u = sim_u01(sr);
    switch (bk) {
    case SIM_INDIVIDUAL:
        if (sim_hu01(a->key ^ 0x5a) < 0.1)
            q->sys_intent = T_SYS_ASSIST;
        break;
    case SIM_HYDRA_CUSTOMER:
        q->intent = u < 0.7 ? T_CHAT : u < 0.85 ? T_WORK : T_CODE_USER;
        break;
    case SIM_APP:
        q->intent = T_APP_USER;
        q->independent = 1;
        q->sys_intent = T_SYS_APP;
        q->sys_topic = a->group;
        q->sys_fix = a->group | 1;
        q->lang = s->tz == 8 && sim_hu01(a->group ^ 0x1a) < 0.6 ? SIM_ZH
                  : s->tz == -5 && sim_hu01(a->group ^ 0x1b) < 0.2 ? SIM_ES : SIM_EN;
        break;
    case SIM_COMPANY:
        q->intent = u < 0.7 ? T_WORK : T_CHAT;
        if (sim_hu01(a->group ^ 0x5b) < 0.3) {
            q->sys_intent = T_SYS_ASSIST;
            q->sys_fix = a->group | 1;
        }
        if (s->tz == 8)
            q->lang = SIM_ZH;
        break;
    case SIM_UNIVERSITY: {
        q->intent = u < 0.7 ? T_HOMEWORK : T_CHAT;
        uint64_t week = (uint64_t)((rc->ts - sim->t0 + (int64_t)s->tz * 3600000 + 3 * 86400000LL) / (7 * 86400000LL));
        q->topic = sim_key(s->key, week);   /* this week's problem set */
        break;
    }
    case SIM_BENCHMARK:
        q->intent = T_BENCH;
        q->independent = 1;                  /* a suite: one item per request */
        q->fix = s->key | 1;                 /* the customer's harness */
        q->lang = sim_hu01(s->key ^ 0x1c) < 0.2 ? SIM_ZH : SIM_EN;
        break;
    case SIM_CODING_AGENT:
        q->intent = T_CODE_USER;
        q->sys_intent = T_SYS_CODER;
        q->sys_topic = s->key;
        q->sys_fix = s->key | 1;
        q->loop = 1;
        q->tools = code_tools;
        q->tools_key = s->key;
        q->tools_min = 4;
        q->lang = sim_hu01(a->key ^ 0x1d) < 0.1 ? SIM_ZH : SIM_EN;
        break;
    case SIM_SECURITY:
        q->intent = T_SECURITY;
        break;
    case SIM_COT: {
        q->intent = u < 0.6 ? T_COT : u < 0.85 ? T_GRADE : T_REWRITE;
        q->fix = para ? 0 : sim_key(s->okey, (uint64_t)q->intent * 8 + sim_below(sr, 3)) | 1;
        if (sim_hu01(s->okey ^ 0x5c) < 0.5) {
            q->sys_intent = T_SYS_ASSIST;
            q->sys_fix = s->okey | 1;
        }
        break;
    }
    case SIM_AGENTIC:
        q->intent = T_AGENT_TASK;
        q->fix = para ? 0 : sim_key(s->okey, sim_below(sr, 6)) | 1;
        q->sys_intent = T_SYS_AGENT;
        q->sys_fix = para ? 0 : (s->okey ^ a->type) | 1;
        q->loop = 1;
        q->tools = agent_tools;
        q->tools_key = sim_key(s->okey, a->type);
        q->tools_min = 3;
        q->image = sim_chance(sr, 0.15);
        break;
    case SIM_CODE_HYDRA:
    case SIM_CODE_FARMED:
        q->intent = T_CODE_SWEEP;
        q->fix = para ? 0 : sim_key(s->okey, sim_below(sr, 4)) | 1;
        q->sys_intent = T_SYS_CODER;         /* poses as a coding-agent product */
        q->sys_topic = s->okey;
        q->sys_fix = para ? 0 : s->okey | 1;
        q->loop = 1;
        q->tools = code_tools;
        q->tools_key = s->okey;
        q->tools_min = 5;
        break;
    default:
        break;
    }
}

/* Write the conversation: `prompt`, or `messages` with history. */
static char *put_conversation(const struct hu_sim *sim, char *p, const struct acct *a, const struct rec *rc,
                              const struct req_shape *q, size_t *text_len)
{
    uint64_t s0 = sim_key(rc->seed, 0x7a5c + (q->independent ? rc->turn : 0u));
    char *t0, *t1;
    size_t tl = 0;
    int style = a->msgs_style;
    int turn = q->independent ? 0 : rc->turn;
    if (turn == 0 && style == 0) {
        LIT(p, ",\"prompt\":\"");
        t0 = p;
        p = text(sim, p, q->intent, q->lang, s0, q->fix, q->topic);
        *text_len = (size_t)(p - t0);
        *p++ = '"';
        return p;
    }
    LIT(p, ",\"messages\":[");
    if (turn == 0) {
        LIT(p, "{\"role\":\"user\",\"content\":");
        if (style == 2 || q->image) {
            LIT(p, "[");
            if (q->image)
                LIT(p, "{\"type\":\"image\",\"source\":{\"type\":\"url\",\"url\":\"https://files.example.com/shot.png\"}},");
            LIT(p, "{\"type\":\"text\",\"text\":\"");
            t0 = p;
            p = text(sim, p, q->intent, q->lang, s0, q->fix, q->topic);
            tl += (size_t)(p - t0);
            LIT(p, "\"}]}");
        } else {
            *p++ = '"';
            t0 = p;
            p = text(sim, p, q->intent, q->lang, s0, q->fix, q->topic);
            tl += (size_t)(p - t0);
            LIT(p, "\"}");
        }
        *p++ = ']';
        *text_len = tl;
        return p;
    }
    /* later turn: the first request of the session, an answer, then this turn */
    LIT(p, "{\"role\":\"user\",\"content\":\"");
    t0 = p;
    p = text(sim, p, q->intent, q->lang, s0, q->fix, q->topic);
    t1 = p;
    tl += (size_t)(t1 - t0);
    if (q->loop) {
        /* agent loop: tool call and its result */
        const char *const *tools = q->tools;
        const char *tool = tools[(sim_hbelow(q->tools_key ^ 1, 8) + 3 * sim_hbelow(sim_key(rc->seed, rc->turn), 3)) % 8];
        LIT(p, "\"},{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"");
        p = text(sim, p, T_ASSIST_TOOL, SIM_EN, sim_key(rc->seed, rc->turn * 2u + 1), 0, 0);
        LIT(p, "\"},{\"type\":\"tool_use\",\"id\":\"toolu_");
        p = put_hex(p, sim_key(rc->seed, rc->turn), 12);
        LIT(p, "\",\"name\":\"");
        p = put_raw(p, tool);
        LIT(p, "\",\"input\":{}}]},{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_");
        p = put_hex(p, sim_key(rc->seed, rc->turn), 12);
        LIT(p, "\",\"content\":\"");
        t0 = p;
        p = text(sim, p, T_TOOL_OUT, SIM_EN, sim_key(rc->seed, rc->turn * 2u + 2), 0, 0);
        tl += (size_t)(p - t0);
        LIT(p, "\"}]}]");
    } else {
        LIT(p, "\"},{\"role\":\"assistant\",\"content\":\"");
        p = text(sim, p, T_ASSISTANT, q->lang, sim_key(rc->seed, rc->turn * 2u + 1), 0, 0);
        LIT(p, "\"},{\"role\":\"user\",\"content\":\"");
        t0 = p;
        /* a follow-up: another request of the same kind */
        p = text(sim, p, q->intent == T_HOMEWORK ? T_HOMEWORK : T_CHAT, q->lang, sim_key(rc->seed, rc->turn), 0,
                 q->topic);
        tl += (size_t)(p - t0);
        LIT(p, "\"}]");
    }
    *text_len = tl;
    return p;
}

static void out_request(struct hu_sim *sim, const struct rec *rc)
{
    const struct stream *s = &sim->st[rc->stream];
    struct fp_tab *fp = sim->fp;
    struct acct a;
    acct_derive(sim, s, rc->acct, &a);
    struct sim_rng r, sr;
    sim_rng_seed(&r, sim_key(rc->seed, 0x100u + rc->turn));
    sim_rng_seed(&sr, rc->seed);
    unsigned ev = sim->opts.evade;
    int camp = sim_kind_is_campaign(s->kind);
    int bk = s->kind;
    if (camp && (ev & HU_SIM_EVADE_MIX) && sim_chance(&sr, 0.4))
        bk = SIM_INDIVIDUAL;   /* cover traffic on the campaign's own account */
    struct req_shape q;
    plan_request(sim, &a, bk, rc, &sr, &q);

    char *p = sim->out + sim->out_len;
    LIT(p, "{\"ts\":");
    p = put_ts(sim, p, rc->ts);
    LIT(p, ",\"account_id\":\"");
    p = put_acct_id(p, a.key);
    *p++ = '"';
    if (a.org) {
        LIT(p, ",\"org_id\":\"org_");
        p = put_hex(p, a.org, 10);
        *p++ = '"';
    }
    LIT(p, ",\"api_key_id\":\"key_");
    p = put_hex(p, sim_key(a.key, sim_below(&r, a.nkeys)), 12);
    struct sim_addr ip;
    req_ip(sim, &a, rc->ts, &r, &ip);
    LIT(p, "\",\"ip\":\"");
    p = sim_addr_write(&ip, p);
    LIT(p, "\",\"country\":\"");
    *p++ = ip.cc[0];
    *p++ = ip.cc[1];
    unsigned uv = camp && s->kind == SIM_COT ? 1 : sim_hbelow(a.key ^ 0x88, 4);
    LIT(p, "\",\"user_agent\":\"");
    memcpy(p, fp->ua[a.ua][uv], fp->ua_len[a.ua][uv]);
    p += fp->ua_len[a.ua][uv];
    LIT(p, "\",\"client_fp\":\"");
    if (a.hydra) {
        unsigned relay = sim_hbelow(a.key ^ 0x4e1a, 3);
        memcpy(p, fp->relay_cfp[relay], 36);   /* t13dNNNNh2_<12 hex>_<12 hex> */
        p += 36;
        LIT(p, "\",\"headers_fp\":\"");
        memcpy(p, fp->relay_hfp[relay], 16);
        p += 16;
    } else {
        memcpy(p, fp->cfp[a.ua][a.rt], 36);
        p += 36;
        LIT(p, "\",\"headers_fp\":\"");
        memcpy(p, fp->hfp[a.ua][a.rt], 16);
        p += 16;
    }
    int compat = a.ua == 2 || (a.ua == 11 && (a.key & 1));
    if (compat)
        LIT(p, "\",\"endpoint\":\"/v1/chat/completions\",\"model\":\"");
    else
        LIT(p, "\",\"endpoint\":\"/v1/messages\",\"model\":\"");
    p = put_raw(p, model_names[pick_model(sim, &a, bk, rc->ts, &r)]);
    *p++ = '"';
    size_t sys_len = 0, txt_len = 0;
    if (q.sys_intent >= 0) {
        LIT(p, ",\"system\":\"");
        char *t0 = p;
        /* a pinned system prompt is a function of (intent, fix, topic) */
        uint64_t fk = q.sys_fix ? sim_key(sim_key(q.sys_fix, q.sys_topic), (uint64_t)q.sys_intent) : 0;
        if (!frag_get(sim, fk, &p)) {
            p = text(sim, p, q.sys_intent, SIM_EN, sim_key(q.sys_fix ? q.sys_fix : rc->seed, 0x5e5), q.sys_fix,
                     q.sys_topic);
            frag_put(sim, fk, t0, p);
        }
        sys_len = (size_t)(p - t0);
        *p++ = '"';
    }
    p = put_conversation(sim, p, &a, rc, &q, &txt_len);
    unsigned ntools = 0;
    if (q.tools) {
        int objects = !(bk == SIM_CODING_AGENT && (sim_hu01(s->key ^ 0x70) < 0.3));
        char *t0 = p;
        uint64_t fk = sim_key(sim_key(q.tools_key, (uintptr_t)q.tools), q.tools_min * 2u + (unsigned)objects);
        if (!frag_get(sim, fk, &p)) {
            p = put_tools(p, q.tools, q.tools_key, q.tools_min, objects);
            frag_put(sim, fk, t0, p);
        }
        ntools = (unsigned)((p - t0) / 40) + 1;
    }
    /* reasoning and output caps: habits of the client, not of the label */
    double tu = sim_u01(&r);
    switch (bk) {
    case SIM_COT:
        if (tu < 0.9) LIT(p, ",\"thinking\":16000");
        LIT(p, ",\"max_tokens\":32000");
        break;
    case SIM_BENCHMARK:
        if (tu < 0.6) LIT(p, ",\"thinking\":8000");
        LIT(p, ",\"max_tokens\":16000");
        break;
    case SIM_AGENTIC: case SIM_CODE_HYDRA: case SIM_CODE_FARMED: case SIM_CODING_AGENT:
        if (tu < (bk == SIM_CODING_AGENT ? 0.3 : 0.45)) LIT(p, ",\"thinking\":4000");
        else if (tu < 0.55) LIT(p, ",\"thinking\":true");
        LIT(p, ",\"max_tokens\":8192");
        break;
    default: {
        /* the SDK default or the user's habit; a numeric budget stays under the cap */
        static const unsigned caps[6] = {1024, 2048, 4096, 8192, 16000, 32000};
        unsigned cap = caps[sim_hbelow(a.key ^ 0x3a, 6)];
        if (tu < 0.12) LIT(p, ",\"thinking\":true");
        else if (tu < 0.16 && cap >= 4096) {
            LIT(p, ",\"thinking\":");
            p = put_u64(p, cap / 2);
        }
        LIT(p, ",\"max_tokens\":");
        p = put_u64(p, cap);
    }
    }
    /* tokens: ~3.8 bytes per token of escaped text (CJK ~2.2), plus tools */
    double bpt = q.lang == SIM_ZH ? 2.2 : 3.8;
    uint64_t in_tok = (uint64_t)((double)(sys_len + txt_len) / bpt) + 8 + ntools * 60;
    static const uint16_t out_lo[T_INTENT_N] = {60, 120, 150, 250, 150, 30, 1200, 250, 120, 100, 200, 30};
    static const uint16_t out_hi[T_INTENT_N] = {900, 800, 1200, 1500, 2500, 400, 6000, 900, 500, 1500, 3000, 400};
    double ou = sim_u01(&r);
    uint64_t out_tok = out_lo[q.intent] + (uint64_t)((out_hi[q.intent] - out_lo[q.intent]) * ou * ou);
    double su = sim_u01(&r);
    double p429 = camp ? ((ev & HU_SIM_EVADE_SLOW) ? 0.002 : 0.015) : 0.007;
    unsigned status = su < p429 ? 429 : su < p429 + 0.004 ? 500 : su < p429 + 0.007 ? 529 : 200;
    if (status != 200)
        out_tok = 0;
    LIT(p, ",\"input_tokens\":");
    p = put_u64(p, in_tok);
    LIT(p, ",\"output_tokens\":");
    p = put_u64(p, out_tok);
    LIT(p, ",\"status\":");
    p = put_u64(p, status);
    if (a.pay && sim_chance(&r, 0.25)) {
        LIT(p, ",\"payment_fp\":\"pm_");
        p = put_hex(p, a.pay, 16);
        *p++ = '"';
    }
    LIT(p, ",\"label\":\"");
    p = put_raw(p, s->row->label);
    LIT(p, "\"}\n");
    size_t n = (size_t)(p - (sim->out + sim->out_len));
    sim->out_len += n;
    sim->counts.requests++;
    sim->counts.lines++;
}

static void out_account(struct hu_sim *sim, const struct stream *s, uint32_t idx, int64_t ts)
{
    struct acct a;
    acct_derive(sim, s, idx, &a);
    struct sim_rng r;
    sim_rng_seed(&r, sim_key(a.key, 0xacc));
    char *p = sim->out + sim->out_len;
    LIT(p, "{\"kind\":\"account\",\"ts\":");
    p = put_ts(sim, p, ts);
    LIT(p, ",\"account_id\":\"");
    p = put_acct_id(p, a.key);
    *p++ = '"';
    if (a.org) {
        LIT(p, ",\"org_id\":\"org_");
        p = put_hex(p, a.org, 10);
        *p++ = '"';
    }
    LIT(p, ",\"type\":\"");
    p = put_raw(p, type_names[a.type]);
    LIT(p, "\",\"email_domain\":\"");
    p = put_email(p, &a);
    *p++ = '"';
    if (a.pay) {
        LIT(p, ",\"payment_fp\":\"pm_");
        p = put_hex(p, a.pay, 16);
        *p++ = '"';
    }
    if (a.cc[0]) {
        LIT(p, ",\"country\":\"");
        *p++ = a.cc[0];
        *p++ = a.cc[1];
        *p++ = '"';
    }
    LIT(p, ",\"verification\":\"");
    p = put_raw(p, verif_names[a.verif]);
    *p++ = '"';
    if (ts > sim->t0) {
        /* the sign-up address: where the account's traffic will come from */
        struct sim_addr ip;
        req_ip(sim, &a, ts, &r, &ip);
        LIT(p, ",\"ip\":\"");
        p = sim_addr_write(&ip, p);
        *p++ = '"';
    }
    LIT(p, ",\"label\":\"");
    p = put_raw(p, s->row->label);
    LIT(p, "\"}\n");
    sim->out_len += (size_t)(p - (sim->out + sim->out_len));
    sim->counts.accounts++;
    sim->counts.lines++;
}

static void out_release(struct hu_sim *sim, int64_t ts)
{
    char *p = sim->out + sim->out_len;
    LIT(p, "{\"kind\":\"model_release\",\"ts\":");
    p = put_ts(sim, p, ts);
    LIT(p, ",\"model\":\"");
    p = put_raw(p, model_names[M_NEW]);
    LIT(p, "\",\"label\":\"benign\"}\n");
    sim->out_len += (size_t)(p - (sim->out + sim->out_len));
    sim->counts.releases++;
    sim->counts.lines++;
}

/* ---- slices --------------------------------------------------------------------- */

static int64_t slice_len(const struct hu_sim *sim, int h) { return 3600000 / sim->k[h]; }

static int64_t slice_start(const struct hu_sim *sim, int h, int sub)
{
    return sim->t0 + (int64_t)h * 3600000 + (int64_t)sub * slice_len(sim, h);
}

static int64_t slice_end(const struct hu_sim *sim, int h, int sub)
{
    return sub + 1 == sim->k[h] ? sim->t0 + (int64_t)(h + 1) * 3600000 : slice_start(sim, h, sub + 1);
}

static uint32_t pick_account(const struct stream *s, uint32_t ne, struct sim_rng *r)
{
    uint32_t idx = sim_below(r, ne);
    if (s->skew <= 0)
        return idx;
    for (int t = 0; t < 16; t++) {
        double w = exp(-s->skew * sim_hu01(sim_key(s->key, idx) ^ 0x5e1));
        if (sim_u01(r) < w)
            break;
        idx = sim_below(r, ne);
    }
    return idx;
}

/* Regenerate the sessions started in slice (h, sub) and keep the requests
 * that fall in [a, b). */
static int gen_slice(struct hu_sim *sim, int h, int sub, int64_t a, int64_t b)
{
    int64_t sa = slice_start(sim, h, sub), se = slice_end(sim, h, sub), len = se - sa;
    unsigned ev = sim->opts.evade;
    for (uint32_t i = 0; i < sim->n_st; i++) {
        const struct stream *s = &sim->st[i];
        if (s->W <= 0)
            continue;
        double w = shape_at(sim, s, h);
        if (w <= 0)
            continue;
        double lam = s->R * w / s->W / sim->k[h] / s->draw_mean;
        struct sim_rng r;
        sim_rng_seed(&r, sim_key(s->key, (uint64_t)h * 64 + (uint64_t)sub));
        uint32_t nd = sim_poisson(&r, lam);
        int ticks = s->shape == SH_SHIFTS && !(ev & (HU_SIM_EVADE_JITTER | HU_SIM_EVADE_SLOW));
        for (uint32_t d = 0; d < nd; d++) {
            uint64_t seed = sim_next(&r);
            int64_t t = sa + (int64_t)(sim_u01(&r) * (double)len);
            if (ticks) {
                /* the harvester fires a batch every 10 minutes, all accounts within 2 minutes */
                int64_t tt = (t - t % 600000) + (int64_t)(sim_u01(&r) * 120000);
                if (tt >= sa && tt < se)
                    t = tt;
            }
            uint32_t ne = existing(s, t - 1000);
            if (!ne)
                continue;
            uint32_t acct = pick_account(s, ne, &r);
            uint32_t L = sim_geom(&r, s->sess_mean, s->sess_cap);
            int64_t ts = t;
            for (uint32_t j = 0; j < L; j++) {
                if (j)
                    ts += (int64_t)(s->gap_lo * 1000) +
                          (int64_t)(sim_u01(&r) * (double)((s->gap_hi - s->gap_lo) * 1000 + 999));
                if (ts - t > SPAN_MAX_MS || ts >= sim->t1)
                    break;
                if (ts < a || ts >= b)
                    continue;
                struct rec rc = {ts, seed, acct, (uint16_t)i, (uint8_t)j, REC_REQUEST};
                int rc2 = push(sim, &rc);
                if (rc2 != HU_OK)
                    return rc2;
            }
        }
    }
    return HU_OK;
}

static int flush(struct hu_sim *sim, int force)
{
    if (sim->out_len < OUT_FLUSH && !force)
        return HU_OK;
    if (sim->out_len && sim->write(sim->ctx, sim->out, sim->out_len) != 0)
        return HU_EIO;
    sim->counts.bytes += sim->out_len;
    sim->out_len = 0;
    return HU_OK;
}

int hu_sim_run(struct hu_sim *sim, hu_sim_write_fn write, void *ctx, struct hu_sim_counts *counts)
{
    if (!sim || !write)
        return HU_EINVAL;
    sim->write = write;
    sim->ctx = ctx;
    memset(&sim->counts, 0, sizeof sim->counts);
    sim->out_len = 0;
    int rc = HU_OK;
    /* accounts that exist when the window opens: a snapshot at its start */
    for (uint32_t i = 0; i < sim->n_st && rc == HU_OK; i++)
        for (uint32_t j = 0; j < sim->st[i].n_pre && rc == HU_OK; j++) {
            out_account(sim, &sim->st[i], j, sim->t0);
            rc = flush(sim, 0);
        }
    for (int h = 0; h < sim->hours && rc == HU_OK; h++) {
        for (int sub = 0; sub < sim->k[h] && rc == HU_OK; sub++) {
            int64_t a = slice_start(sim, h, sub), b = slice_end(sim, h, sub);
            sim->buf_n = 0;
            /* this slice, and every earlier slice whose sessions can reach it */
            int ph = h, ps = sub;
            while (rc == HU_OK) {
                rc = gen_slice(sim, ph, ps, a, b);
                if (--ps < 0) {
                    if (--ph < 0)
                        break;
                    ps = sim->k[ph] - 1;
                }
                if (slice_end(sim, ph, ps) + SPAN_MAX_MS <= a)
                    break;
            }
            /* sign-ups in this slice */
            for (uint32_t i = 0; i < sim->n_st && rc == HU_OK; i++) {
                const struct stream *s = &sim->st[i];
                if (s->n == s->n_pre)
                    continue;
                uint32_t lo = existing(s, a), hi = existing(s, b);
                for (uint32_t j = lo; j < hi && rc == HU_OK; j++) {
                    int64_t ts = created_at(s, j);
                    if (ts < a) ts = a;
                    if (ts >= b) ts = b - 1;
                    struct rec r = {ts, 0, j, (uint16_t)i, 0, REC_ACCOUNT};
                    rc = push(sim, &r);
                }
            }
            if (rc == HU_OK && sim->release >= a && sim->release < b) {
                struct rec r = {sim->release, 0, 0, 0, 0, REC_RELEASE};
                rc = push(sim, &r);
            }
            if (rc != HU_OK)
                break;
            sort_slice(sim, a);
            for (size_t i = 0; i < sim->buf_n && rc == HU_OK; i++) {
                const struct rec *r = &sim->buf[i];
                if (r->type == REC_REQUEST)
                    out_request(sim, r);
                else if (r->type == REC_ACCOUNT)
                    out_account(sim, &sim->st[r->stream], r->acct, r->ts);
                else
                    out_release(sim, r->ts);
                rc = flush(sim, 0);
            }
        }
    }
    if (rc == HU_OK)
        rc = flush(sim, 1);
    if (counts)
        *counts = sim->counts;
    return rc;
}
