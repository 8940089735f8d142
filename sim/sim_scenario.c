/*
 * sim_scenario.c -- the scenarios of `huella simulate` as data.
 *
 * A scenario is a time window, an optional model release and a table of
 * populations (struct sim_row).  seed-2026 reproduces the public record of
 * shared/docs/DESIGN.md at --scale 1:
 *
 *   campaign accounts   200 + 640 + 20,360 + 2,800           = 24,000
 *   campaign requests   150 k + 3.4 M + 11.0 M + 2.0 M         = 16.55 M
 *   benign accounts     204,200 (>= 200,000)
 *   benign requests     21.6 M (outweighs the campaigns)
 *   window              21 days from Monday 2026-01-12, release on day 13
 *
 * --scale multiplies every row's accounts; a row's requests follow its
 * accounts so that each account behaves the same at every scale.  Floors
 * (min_accounts) keep a 0.001 run meaningful: a coordinated campaign needs
 * a handful of accounts, a university some students.  Adding a scenario is
 * adding a table below (big-entities, for instance, would be seed-2026 with
 * a SIM_COMPANY row of 100,000 accounts in one company).
 */
#include "sim/sim_int.h"

#include <math.h>
#include <string.h>

/* 2026-01-12T00:00:00Z, a Monday. */
#define SIM_T0 INT64_C(1768176000)

static const struct sim_row seed_rows[] = {
    {"cot-harvest/sync", SIM_COT, 200, 150000, 6, 0, 0, 0, 0, 0,
     "campaign 1: reasoning traces, rubric grading, safe rewrites; synchronised, load-balanced, shared cards", 0},
    {"agentic-mix/staff", SIM_AGENTIC, 640, 3400000, 4, 0, 0, 0, 0, 0,
     "campaign 2: agentic, tool use, computer use, vision, data analysis; several account types", 0},
    {"code-sweep/hydra", SIM_CODE_HYDRA, 20360, 11000000, 24, 0, 0, 0, 0, 0,
     "campaign 3 via the hydra proxy: agentic coding sweep, rotating addresses, half moves to the new model", 0},
    {"code-sweep/farmed", SIM_CODE_FARMED, 2800, 2000000, 12, 1.0f, 4, 1, 0, 0,
     "campaign 3 on education/research/start-up sign-ups farmed in 4 waves", 0},
    {"benign/individual", SIM_INDIVIDUAL, 176000, 6200000, 400, 0.04f, 0, 0, 0, 0,
     "people in 16 countries, daily rhythm in their time zone, en/zh/es, home and mobile addresses", 0},
    {"benign/app", SIM_APP, 1800, 5400000, 4, 0.02f, 0, 0, 0, 0,
     "apps and start-ups: fixed system prompt, steady volume from cloud addresses", 0},
    {"benign/shared-card", SIM_COMPANY, 10000, 2500000, 30, 0, 0, 0, 0, 0,
     "companies: many accounts on one card and one org, office NAT", 0},
    {"benign/university", SIM_UNIVERSITY, 12000, 700000, 40, 0.3f, 1, 0, 0, 0,
     "students behind one university NAT, same problem set before a weekly deadline; sign-up wave at term start", 0},
    {"benign/benchmark", SIM_BENCHMARK, 300, 1500000, 3, 0, 0, 0, 0, 0,
     "benchmark suites through the API with 'think step by step', bursty runs", 0},
    {"benign/coding-agent", SIM_CODING_AGENT, 900, 4500000, 4, 0, 0, 0, 0, 0,
     "coding-agent products calling tools all day from cloud egress; some adopt the new model fast", 0},
    {"benign/hydra-customer", SIM_HYDRA_CUSTOMER, 3000, 700000, 20, 0, 0, 0, 0, 0,
     "the hydra service's ordinary customers: same proxies, relay fingerprints and card pool", 0},
    {"benign/security-research", SIM_SECURITY, 200, 100000, 2, 0, 0, 0, 0, 0,
     "security researchers probing refusals", 0},
};

/* seed-2026 plus one honest entity shared by 100,000 accounts: a company
 * (one card, one org, one egress) that dwarfs every campaign's sharing. */
static const struct sim_row big_rows[] = {
    {"cot-harvest/sync", SIM_COT, 200, 150000, 6, 0, 0, 0, 0, 0,
     "campaign 1: reasoning traces, rubric grading, safe rewrites; synchronised, load-balanced, shared cards", 0},
    {"agentic-mix/staff", SIM_AGENTIC, 640, 3400000, 4, 0, 0, 0, 0, 0,
     "campaign 2: agentic, tool use, computer use, vision, data analysis; several account types", 0},
    {"code-sweep/hydra", SIM_CODE_HYDRA, 20360, 11000000, 24, 0, 0, 0, 0, 0,
     "campaign 3 via the hydra proxy: agentic coding sweep, rotating addresses, half moves to the new model", 0},
    {"code-sweep/farmed", SIM_CODE_FARMED, 2800, 2000000, 12, 1.0f, 4, 1, 0, 0,
     "campaign 3 on education/research/start-up sign-ups farmed in 4 waves", 0},
    {"benign/individual", SIM_INDIVIDUAL, 176000, 6200000, 400, 0.04f, 0, 0, 0, 0,
     "people in 16 countries, daily rhythm in their time zone, en/zh/es, home and mobile addresses", 0},
    {"benign/app", SIM_APP, 1800, 5400000, 4, 0.02f, 0, 0, 0, 0,
     "apps and start-ups: fixed system prompt, steady volume from cloud addresses", 0},
    {"benign/shared-card", SIM_COMPANY, 10000, 2500000, 30, 0, 0, 0, 0, 0,
     "companies: many accounts on one card and one org, office NAT", 0},
    {"benign/university", SIM_UNIVERSITY, 12000, 700000, 40, 0.3f, 1, 0, 0, 0,
     "students behind one university NAT, same problem set before a weekly deadline; sign-up wave at term start", 0},
    {"benign/benchmark", SIM_BENCHMARK, 300, 1500000, 3, 0, 0, 0, 0, 0,
     "benchmark suites through the API with 'think step by step', bursty runs", 0},
    {"benign/coding-agent", SIM_CODING_AGENT, 900, 4500000, 4, 0, 0, 0, 0, 0,
     "coding-agent products calling tools all day from cloud egress; some adopt the new model fast", 0},
    {"benign/hydra-customer", SIM_HYDRA_CUSTOMER, 3000, 700000, 20, 0, 0, 0, 0, 0,
     "the hydra service's ordinary customers: same proxies, relay fingerprints and card pool", 0},
    {"benign/security-research", SIM_SECURITY, 200, 100000, 2, 0, 0, 0, 0, 0,
     "security researchers probing refusals", 0},
    {"benign/big-entity", SIM_COMPANY, 100000, 3000000, 50, 0, 0, 0, 0, 0,
     "one enterprise: 100,000 accounts on one card, one org and one egress", 100000},
};

/* A tiny, fast scenario with every population, for tests and examples. */
static const struct sim_row smoke_rows[] = {
    {"cot-harvest/sync", SIM_COT, 8, 2400, 4, 0, 0, 0, 0, 0, "campaign 1 (see seed-2026)", 0},
    {"agentic-mix/staff", SIM_AGENTIC, 10, 2500, 4, 0, 0, 0, 0, 0, "campaign 2", 0},
    {"code-sweep/hydra", SIM_CODE_HYDRA, 60, 3000, 8, 0, 0, 0, 0, 0, "campaign 3 via hydra", 0},
    {"code-sweep/farmed", SIM_CODE_FARMED, 12, 900, 4, 1.0f, 2, 0.2f, 0, 0, "campaign 3 farmed sign-ups, 2 waves", 0},
    {"benign/individual", SIM_INDIVIDUAL, 300, 2400, 20, 0.05f, 0, 0, 0, 0, "people", 0},
    {"benign/app", SIM_APP, 4, 1500, 2, 0, 0, 0, 0, 0, "apps", 0},
    {"benign/shared-card", SIM_COMPANY, 30, 800, 6, 0, 0, 0, 0, 0, "companies on one card", 0},
    {"benign/university", SIM_UNIVERSITY, 40, 400, 10, 0.3f, 1, 0, 0, 0, "students behind one NAT", 0},
    {"benign/benchmark", SIM_BENCHMARK, 3, 900, 2, 0, 0, 0, 0, 0, "benchmark runs", 0},
    {"benign/coding-agent", SIM_CODING_AGENT, 6, 1500, 2, 0, 0, 0, 0, 0, "coding agents", 0},
    {"benign/hydra-customer", SIM_HYDRA_CUSTOMER, 20, 300, 4, 0, 0, 0, 0, 0, "hydra's ordinary customers", 0},
    {"benign/security-research", SIM_SECURITY, 3, 150, 2, 0, 0, 0, 0, 0, "security researchers", 0},
};

/* seed-2026, but the provider bans the campaigns' accounts on day 9 and
 * they come back from day 10 on fresh accounts, cards and addresses. */
static const struct sim_row regrowth_rows[] = {
    {"cot-harvest/sync", SIM_COT, 200, 64000, 6, 0, 0, 0, 9, 0, "campaign 1 until the ban on day 9", 0},
    {"cot-harvest/regrown", SIM_COT, 200, 78000, 6, 1.0f, 2, 9.5f, 0, 1, "campaign 1 back on fresh accounts", 0},
    {"agentic-mix/staff", SIM_AGENTIC, 640, 1450000, 8, 0, 0, 0, 9, 0, "campaign 2 until the ban", 0},
    {"agentic-mix/regrown", SIM_AGENTIC, 640, 1800000, 8, 1.0f, 3, 9.5f, 0, 1, "campaign 2 back on fresh accounts", 0},
    {"code-sweep/hydra", SIM_CODE_HYDRA, 20360, 4700000, 24, 0, 0, 0, 9, 0, "campaign 3 via hydra until the ban", 0},
    {"code-sweep/regrown", SIM_CODE_HYDRA, 20360, 5900000, 24, 1.0f, 4, 9.5f, 0, 1,
     "campaign 3 back through a new proxy pool, new cards", 0},
    {"code-sweep/farmed", SIM_CODE_FARMED, 2800, 2000000, 12, 1.0f, 4, 1, 0, 0, "campaign 3 farmed sign-ups", 0},
    {"benign/individual", SIM_INDIVIDUAL, 176000, 6200000, 40, 0.04f, 0, 0, 0, 0, "people", 0},
    {"benign/app", SIM_APP, 1800, 5400000, 3, 0.02f, 0, 0, 0, 0, "apps", 0},
    {"benign/shared-card", SIM_COMPANY, 10000, 2500000, 12, 0, 0, 0, 0, 0, "companies on one card", 0},
    {"benign/university", SIM_UNIVERSITY, 12000, 700000, 24, 0.3f, 1, 0, 0, 0, "students behind one NAT", 0},
    {"benign/benchmark", SIM_BENCHMARK, 300, 1500000, 3, 0, 0, 0, 0, 0, "benchmark runs", 0},
    {"benign/coding-agent", SIM_CODING_AGENT, 900, 4500000, 4, 0, 0, 0, 0, 0, "coding agents", 0},
    {"benign/hydra-customer", SIM_HYDRA_CUSTOMER, 3000, 700000, 6, 0, 0, 0, 0, 0, "hydra's customers", 0},
    {"benign/security-research", SIM_SECURITY, 200, 100000, 2, 0, 0, 0, 0, 0, "security researchers", 0},
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static const struct sim_scenario scenarios[] = {
    {"seed-2026",
     "the public record of early 2026: ~24,000 campaign accounts, >16 M campaign requests in three "
     "campaigns, a hydra proxy service, farmed sign-ups, 204,200 honest accounts; 21 days, a model "
     "release on day 13",
     SIM_T0, 21, 13.7f, seed_rows, N_OF(seed_rows)},
    {"smoke",
     "every population of seed-2026 in miniature (~600 accounts, ~17 k requests, 3 days, release on "
     "day 1.5): for tests and quick looks",
     SIM_T0, 3, 1.5f, smoke_rows, N_OF(smoke_rows)},
    {"regrowth",
     "seed-2026 where the campaigns are banned on day 9 and return from day 9.5 on fresh accounts, "
     "cards and addresses (labels .../regrown)",
     SIM_T0, 21, 13.7f, regrowth_rows, N_OF(regrowth_rows)},
    {"big-entities",
     "seed-2026 plus one honest enterprise whose 100,000 accounts share one card, one org and one "
     "egress (label benign/big-entity)",
     SIM_T0, 21, 13.7f, big_rows, N_OF(big_rows)},
};

const struct sim_scenario *sim_scenario_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < N_OF(scenarios); i++)
        if (!strcmp(scenarios[i].name, name))
            return &scenarios[i];
    return NULL;
}

size_t hu_sim_scenario_count(void) { return N_OF(scenarios); }

const char *hu_sim_scenario_name(size_t i)
{
    return i < N_OF(scenarios) ? scenarios[i].name : NULL;
}

const char *hu_sim_scenario_what(size_t i)
{
    return i < N_OF(scenarios) ? scenarios[i].what : NULL;
}

int hu_sim_scenario_window(const char *name, int64_t *start, int *days, int64_t *release)
{
    const struct sim_scenario *sc = sim_scenario_find(name);
    if (!sc)
        return HU_ENOENT;
    *start = sc->start;
    *days = sc->days;
    *release = sc->release_day < 0 ? 0 : sc->start + (int64_t)(sc->release_day * 86400.0);
    return HU_OK;
}

void sim_row_scaled(const struct sim_row *row, double scale, uint32_t *accounts, uint64_t *requests)
{
    double a = floor((double)row->accounts * scale + 0.5);
    if (a < row->min_accounts)
        a = row->min_accounts;
    if (a > (double)UINT32_MAX / 2)
        a = (double)UINT32_MAX / 2;
    *accounts = (uint32_t)a;
    *requests = (uint64_t)floor((double)row->requests * a / (double)row->accounts + 0.5);
}

int hu_sim_expected(const char *name, double scale, struct hu_sim_expect *out, size_t cap)
{
    const struct sim_scenario *sc = sim_scenario_find(name);
    if (!sc)
        return HU_ENOENT;
    if (!(scale >= HU_SIM_SCALE_MIN && scale <= HU_SIM_SCALE_MAX))
        return HU_EINVAL;
    for (size_t i = 0; i < sc->n_rows && i < cap; i++) {
        uint32_t a;
        uint64_t r;
        sim_row_scaled(&sc->rows[i], scale, &a, &r);
        out[i].label = sc->rows[i].label;
        out[i].accounts = a;
        out[i].requests = r;
        out[i].what = sc->rows[i].what;
    }
    return (int)sc->n_rows;
}

static void json_str(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

void hu_sim_list(FILE *out, double scale, int json)
{
    if (json)
        fputs("[", out);
    for (size_t s = 0; s < N_OF(scenarios); s++) {
        const struct sim_scenario *sc = &scenarios[s];
        uint64_t ta = 0, tr = 0, ca = 0, cr = 0;
        if (json) {
            fprintf(out, "%s{\"name\":", s ? "," : "");
            json_str(out, sc->name);
            fputs(",\"what\":", out);
            json_str(out, sc->what);
            fprintf(out, ",\"scale\":%g,\"days\":%d,\"release_day\":%.2f,\"populations\":[", scale,
                    sc->days, sc->release_day);
        } else {
            fprintf(out, "%s\n  %s\n  scale %g, %d days from 2026-01-12, model release on day %.1f\n\n",
                    sc->name, sc->what, scale, sc->days, sc->release_day);
            fprintf(out, "  %-26s %9s %11s  %s\n", "label", "accounts", "requests", "what");
        }
        for (size_t i = 0; i < sc->n_rows; i++) {
            const struct sim_row *row = &sc->rows[i];
            uint32_t a;
            uint64_t r;
            sim_row_scaled(row, scale, &a, &r);
            ta += a;
            tr += r;
            if (sim_kind_is_campaign(row->kind)) {
                ca += a;
                cr += r;
            }
            if (json) {
                fprintf(out, "%s{\"label\":", i ? "," : "");
                json_str(out, row->label);
                fprintf(out, ",\"accounts\":%u,\"requests\":%llu,\"campaign\":%s,\"what\":", a,
                        (unsigned long long)r, sim_kind_is_campaign(row->kind) ? "true" : "false");
                json_str(out, row->what);
                fputs("}", out);
            } else {
                fprintf(out, "  %-26s %9u %11llu  %s\n", row->label, a, (unsigned long long)r, row->what);
            }
        }
        if (json) {
            fprintf(out, "],\"accounts\":%llu,\"requests\":%llu,\"campaign_accounts\":%llu,"
                         "\"campaign_requests\":%llu}",
                    (unsigned long long)ta, (unsigned long long)tr, (unsigned long long)ca,
                    (unsigned long long)cr);
        } else {
            fprintf(out, "  %-26s %9llu %11llu\n", "total", (unsigned long long)ta, (unsigned long long)tr);
            fprintf(out, "  %-26s %9llu %11llu\n", "  of which campaigns", (unsigned long long)ca,
                    (unsigned long long)cr);
            fprintf(out, "  %-26s %9llu %11llu\n\n", "  honest", (unsigned long long)(ta - ca),
                    (unsigned long long)(tr - cr));
        }
    }
    if (json)
        fputs("]\n", out);
    else
        fputs("Requests are expectations: a run is within 10% of each row (Poisson noise), `account`\n"
              "lines match exactly; one `model_release` line per scenario.\n", out);
}

int hu_sim_parse_evade(const char *s, unsigned *bits, char *bad, size_t badcap)
{
    static const struct { const char *name; unsigned bit; } knobs[] = {
        {"paraphrase", HU_SIM_EVADE_PARAPHRASE}, {"jitter", HU_SIM_EVADE_JITTER},
        {"residential", HU_SIM_EVADE_RESIDENTIAL}, {"unique-payment", HU_SIM_EVADE_UNIQUE_PAY},
        {"mix", HU_SIM_EVADE_MIX}, {"slow", HU_SIM_EVADE_SLOW},
        {"all", HU_SIM_EVADE_PARAPHRASE | HU_SIM_EVADE_JITTER | HU_SIM_EVADE_RESIDENTIAL |
                    HU_SIM_EVADE_UNIQUE_PAY | HU_SIM_EVADE_MIX | HU_SIM_EVADE_SLOW},
        {"none", 0},
    };
    if (!s || !bits)
        return HU_EINVAL;
    unsigned out = 0;
    const char *p = s;
    for (;;) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        size_t k;
        for (k = 0; k < sizeof knobs / sizeof knobs[0]; k++)
            if (strlen(knobs[k].name) == n && !memcmp(knobs[k].name, p, n))
                break;
        if (k == sizeof knobs / sizeof knobs[0]) {
            if (bad && badcap) {
                size_t m = n < badcap - 1 ? n : badcap - 1;
                memcpy(bad, p, m);
                bad[m] = 0;
            }
            return HU_EINVAL;
        }
        out |= knobs[k].bit;
        if (!e)
            break;
        p = e + 1;
    }
    *bits |= out;
    return HU_OK;
}
