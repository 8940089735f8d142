/*
 * sim_int.h -- what the simulator's files share: populations (data rows of
 * a scenario), the text grammar interface and the address plan interface.
 */
#ifndef HU_SIM_INT_H
#define HU_SIM_INT_H

#include <stddef.h>
#include <stdint.h>
#include "sim/sim.h"
#include "sim/sim_rng.h"

/* Most bytes of prompt text loaded by --text-from, all files together:
 * the files are data, not the scenario, and a directory of huge files must
 * not make the simulator's memory grow without bound. */
#define HU_SIM_TEXT_MAX_BYTES   (64u << 20)
/* Longest single prompt kept from --text-from (longer ones are cut at a
 * UTF-8 boundary): keeps every event under HU_SIM_EVENT_MAX. */
#define HU_SIM_TEXT_ITEM_MAX    (12u << 10)
/* Upper bound of one rendered event line, bytes (the writer keeps this
 * much headroom before rendering an event). */
#define HU_SIM_EVENT_MAX        (192u << 10)

/* ---- populations --------------------------------------------------------- */

enum sim_kind {
    SIM_COT = 0,        /* campaign 1: reasoning traces, rubric grading, safe rewrites */
    SIM_AGENTIC,        /* campaign 2: agentic / tool use / computer use / vision */
    SIM_CODE_HYDRA,     /* campaign 3 through the hydra proxy service */
    SIM_CODE_FARMED,    /* campaign 3 on farmed education/research/start-up sign-ups */
    SIM_INDIVIDUAL,     /* honest people */
    SIM_APP,            /* honest apps and start-ups */
    SIM_COMPANY,        /* companies: many accounts, one card, one org */
    SIM_UNIVERSITY,     /* students behind one NAT, one problem set */
    SIM_BENCHMARK,      /* benchmark suites with "think step by step" */
    SIM_CODING_AGENT,   /* coding-agent products calling tools all day */
    SIM_HYDRA_CUSTOMER, /* the proxy service's ordinary customers */
    SIM_SECURITY,       /* security researchers probing refusals */
    SIM_KIND_N
};

static inline int sim_kind_is_campaign(int k) { return k <= SIM_CODE_FARMED; }

/* One population of a scenario.  Scenarios are arrays of these rows, so a
 * new scenario is data (scenario.c), not code. */
struct sim_row {
    const char *label;      /* ground truth written on its lines */
    uint8_t     kind;       /* enum sim_kind */
    uint32_t    accounts;   /* at scale 1 */
    uint64_t    requests;   /* at scale 1, over the row's active span */
    uint32_t    min_accounts; /* floor after scaling: keeps small runs meaningful */
    float       new_share;  /* share of accounts signed up inside the window */
    uint8_t     waves;      /* 0: new accounts trickle in; n: in n waves */
    float       day0, day1; /* active span in days from the start; day1 0 = to the end */
    uint8_t     infra;      /* 0 the original infrastructure; 1 fresh (after a ban) */
    const char *what;       /* one line for --list */
    uint32_t    group_size; /* SIM_COMPANY: accounts per company (0: sizes 5..60) */
};

struct sim_scenario {
    const char *name;
    const char *what;
    int64_t     start;          /* Unix seconds, 00:00 UTC of a Monday */
    int         days;
    float       release_day;    /* model_release, days from start; < 0 none */
    const struct sim_row *rows;
    size_t      n_rows;
};

const struct sim_scenario *sim_scenario_find(const char *name);
/* Accounts and requests of a row at a scale (the floors applied). */
void sim_row_scaled(const struct sim_row *row, double scale, uint32_t *accounts, uint64_t *requests);

/* ---- text ------------------------------------------------------------------ */

enum sim_lang { SIM_EN = 0, SIM_ZH, SIM_ES, SIM_LANG_N };

/* What a piece of text is for. */
enum sim_intent {
    T_CHAT = 0,      /* honest chat request */
    T_WORK,          /* office work: e-mail, summaries, spreadsheets */
    T_HOMEWORK,      /* a student's problem-set question */
    T_BENCH,         /* benchmark item with a step-by-step cue */
    T_CODE_USER,     /* a coding-agent product user's task */
    T_SECURITY,      /* refusal probing, red-team wording */
    T_COT,           /* campaign 1: write out the reasoning of a finished answer */
    T_GRADE,         /* campaign 1: grade an answer against a rubric */
    T_REWRITE,       /* campaign 1: "safe" rewrite of a sensitive question */
    T_AGENT_TASK,    /* campaign 2: tool use, data analysis, computer use */
    T_CODE_SWEEP,    /* campaign 3: agentic coding task from a sweep list */
    T_APP_USER,      /* an app's end-user message */
    T_ASSISTANT,     /* a short earlier assistant turn */
    T_ASSIST_TOOL,   /* an agent's words before a tool call */
    T_TOOL_OUT,      /* a tool result */
    T_SYS_APP,       /* system prompt of an app */
    T_SYS_CODER,     /* system prompt of a coding agent */
    T_SYS_AGENT,     /* system prompt of a generic agent */
    T_SYS_ASSIST,    /* short generic system prompt */
    T_INTENT_N
};

struct sim_text;

/* Build the grammars; with `dir`, also load *.jsonl files of real prompts
 * (benign-* and task-*, a `text` field per line) as content pools.
 * HU_OK, HU_ENOENT (no readable .jsonl in dir), HU_ENOMEM; err says why. */
int  sim_text_create(const char *dir, struct sim_text **out, char *err, size_t errcap);
void sim_text_destroy(struct sim_text *t);

/* Write JSON-escaped text (no quotes) for `intent` at p and return the new
 * end.  `fix` != 0 pins the wording to a variant derived from it (what a
 * campaign's fixed template does); 0 draws every choice from r.  `topic`
 * seeds shared content (the same problem set for a university, the same
 * app for its system prompt).  Writes at most HU_SIM_EVENT_MAX / 4 bytes. */
char *sim_text_write(const struct sim_text *t, char *p, int intent, int lang,
                     struct sim_rng *r, uint64_t fix, uint64_t topic);

/* ---- addresses --------------------------------------------------------------- */

enum sim_net {
    NET_RESIDENTIAL = 0, NET_MOBILE, NET_CLOUD, NET_HOSTING, NET_UNIVERSITY,
    NET_BUSINESS, NET_PROXY_DC, NET_KIND_N
};

struct sim_addr {
    uint8_t  v6;
    uint8_t  b[16];
    char     cc[3];
};

/* Number of blocks of a class; the class's blocks in a country first when
 * cc matches (for residential and mobile).  Draws are deterministic in key. */
void sim_addr_pick(int net, const char *cc, uint64_t key, uint64_t host, struct sim_addr *out);
/* An address in the block of class `net` numbered `block` (mod count). */
void sim_addr_in_block(int net, uint32_t block, uint64_t host, struct sim_addr *out);
uint32_t sim_addr_blocks(int net);
/* Write the address as text; returns the end pointer (no NUL). */
char *sim_addr_write(const struct sim_addr *a, char *p);

/* Countries of honest individuals with time zone, language, share. */
struct sim_country {
    const char *cc;
    int8_t      tz;      /* hours from UTC */
    uint8_t     lang;
    float       share;
};
extern const struct sim_country sim_countries[];
extern const size_t sim_n_countries;

#endif
