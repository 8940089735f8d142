/*
 * cmd_simulate.c -- `huella simulate`: labelled traffic for evaluation.
 *
 * The command table in src/cli/cli.h declares hu_cmd_simulate and its help.
 * This file includes nothing from cli/ (scripts/check-layers.sh: the
 * simulator may include only core/), so it keeps its own usage-error
 * printer with the same wording and the exit codes of EVENTS.md.
 */
#include "sim/sim.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <time.h>
#include <unistd.h>

/* Exit codes of shared/docs/EVENTS.md (cli.h's HU_EXIT_*). */
enum { SIM_EXIT_OK = 0, SIM_EXIT_FAIL = 1, SIM_EXIT_USAGE = 2 };

int hu_cmd_simulate(int argc, char **argv);
extern const char hu_cmd_simulate_help[];

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
    va_list ap;
    fputs("huella simulate: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nTry 'huella help simulate'.\n", stderr);
    return SIM_EXIT_USAGE;
}

const char hu_cmd_simulate_help[] =
    "usage: huella simulate [--scenario NAME] [--scale X] [--seed N] [--out FILE]\n"
    "                       [--evade KNOB[,KNOB...]] [--text-from DIR]\n"
    "                       [--asn-out FILE] [--cidr-out FILE] [--plan-only]\n"
    "       huella simulate --list [--scale X] [--format table|json]\n\n"
    "Write simulated LLM API traffic in the event contract (JSON Lines, one\n"
    "`label` per line: `benign/...` or the campaign's name), deterministic for\n"
    "a given --seed, to standard output or --out FILE (.gz / .zst compress).\n\n"
    "  --scenario NAME   seed-2026 (default), smoke, regrowth; --list says what each holds\n"
    "  --scale X         multiply every count (0.0001..100; default 1)\n"
    "  --seed N          random seed (default 2026)\n"
    "  --out FILE        output file; '-' or absent: standard output\n"
    "  --evade LIST      campaign evasions, comma-separated, any combination:\n"
    "                      paraphrase      every campaign prompt reworded\n"
    "                      jitter          timing randomised, daily rhythm imitated\n"
    "                      residential     residential exits only, no shared prefixes\n"
    "                      unique-payment  one card per account\n"
    "                      mix             honest-looking cover traffic on campaign accounts\n"
    "                      slow            each account under typical rate limits\n"
    "                      all             all of the above\n"
    "  --text-from DIR   draw prompt content from DIR/*.jsonl (a `text` field per\n"
    "                    line; benign-* and task-* files) instead of the grammar\n"
    "  --asn-out FILE    write the address plan as an ASN CSV (start,end,asn,\"org\")\n"
    "  --cidr-out FILE   write the address plan as CIDR,class lines\n"
    "  --plan-only       write the --asn-out / --cidr-out files and no events\n"
    "  --list            list the scenarios and their populations at --scale\n"
    "  --format F        table (default) or json, for --list\n"
    "  -q, --quiet       no summary on standard error\n\n"
    "Example: huella simulate --scenario smoke --out ev.jsonl.zst --asn-out asn.csv\n"
    "Exit status: 0 done, 1 internal failure, 2 bad usage or unwritable output.\n"
    "docs/simulate.md describes populations, labels, the address plan and knobs.\n";

static int write_plan(const char *path, int cidr)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return usage_error("cannot write '%s': %s", path, strerror(errno));
    int rc = cidr ? hu_sim_write_cidr_classes(f) : hu_sim_write_asn_csv(f);
    if (fclose(f) != 0 || rc != HU_OK) {
        fprintf(stderr, "huella simulate: writing '%s' failed\n", path);
        return SIM_EXIT_FAIL;
    }
    return SIM_EXIT_OK;
}

int hu_cmd_simulate(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"scenario", required_argument, NULL, 's'}, {"scale", required_argument, NULL, 'x'},
        {"seed", required_argument, NULL, 'S'},     {"out", required_argument, NULL, 'o'},
        {"evade", required_argument, NULL, 'e'},    {"text-from", required_argument, NULL, 't'},
        {"asn-out", required_argument, NULL, 'a'},  {"cidr-out", required_argument, NULL, 'c'},
        {"plan-only", no_argument, NULL, 'P'},      {"list", no_argument, NULL, 'l'},
        {"format", required_argument, NULL, 'f'},   {"quiet", no_argument, NULL, 'q'},
        {NULL, 0, NULL, 0}};
    struct hu_sim_opts opts = {"seed-2026", 1.0, 2026, 0, NULL};
    const char *out_path = NULL, *asn_out = NULL, *cidr_out = NULL;
    int list = 0, plan_only = 0, json = 0, quiet = 0;
    char *end;
    int c;
    optind = 1;
    opterr = 0;
    for (;;) {
        c = getopt_long(argc, argv, "o:q", longopts, NULL);
        if (c == -1)
            break;
        switch (c) {
        case 's': opts.scenario = optarg; break;
        case 'x':
            errno = 0;
            opts.scale = strtod(optarg, &end);
            if (errno || end == optarg || *end || !isfinite(opts.scale) || opts.scale < HU_SIM_SCALE_MIN ||
                opts.scale > HU_SIM_SCALE_MAX)
                return usage_error("--scale must be a number from %g to %g, not '%s'",
                                          HU_SIM_SCALE_MIN, HU_SIM_SCALE_MAX, optarg);
            break;
        case 'S':
            errno = 0;
            opts.seed = strtoull(optarg, &end, 0);
            if (errno || end == optarg || *end || optarg[0] == '-')
                return usage_error("--seed must be a non-negative integer, not '%s'", optarg);
            break;
        case 'o': out_path = optarg; break;
        case 'e': {
            char bad[64];
            if (hu_sim_parse_evade(optarg, &opts.evade, bad, sizeof bad) != HU_OK)
                return usage_error("unknown --evade knob '%s' (paraphrase, jitter, "
                                          "residential, unique-payment, mix, slow, all)", bad);
            break;
        }
        case 't': opts.text_from = optarg; break;
        case 'a': asn_out = optarg; break;
        case 'c': cidr_out = optarg; break;
        case 'P': plan_only = 1; break;
        case 'l': list = 1; break;
        case 'f':
            if (!strcmp(optarg, "json"))
                json = 1;
            else if (strcmp(optarg, "table") != 0)
                return usage_error("--format must be table or json");
            break;
        case 'q': quiet = 1; break;
        default:
            return usage_error("unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument '%s'", argv[optind]);
    if (list) {
        hu_sim_list(stdout, opts.scale, json);
        return SIM_EXIT_OK;
    }
    int64_t t0;
    int days;
    int64_t rel;
    if (hu_sim_scenario_window(opts.scenario, &t0, &days, &rel) != HU_OK)
        return usage_error("unknown scenario '%s' (huella simulate --list)", opts.scenario);
    if (plan_only && !asn_out && !cidr_out)
        return usage_error("--plan-only needs --asn-out or --cidr-out");
    int ex = asn_out ? write_plan(asn_out, 0) : SIM_EXIT_OK;
    if (ex != SIM_EXIT_OK)
        return ex;
    ex = cidr_out ? write_plan(cidr_out, 1) : SIM_EXIT_OK;
    if (ex != SIM_EXIT_OK)
        return ex;
    if (plan_only)
        return SIM_EXIT_OK;

    if ((!out_path || !strcmp(out_path, "-")) && isatty(STDOUT_FILENO))
        return usage_error("refusing to write millions of events to a terminal: use --out FILE or a pipe");
    char err[512] = "";
    struct hu_sim *sim = NULL;
    int rc = hu_sim_create(&opts, &sim, err, sizeof err);
    if (rc != HU_OK)
        return rc == HU_ENOMEM ? (fprintf(stderr, "huella simulate: %s\n", err), SIM_EXIT_FAIL)
                               : usage_error("%s", err);
    struct hu_sim_out *o = NULL;
    rc = hu_sim_out_open(out_path, &o, err, sizeof err);
    if (rc != HU_OK) {
        hu_sim_destroy(sim);
        return usage_error("%s", err);
    }
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    struct hu_sim_counts n;
    rc = hu_sim_run(sim, hu_sim_out_write, o, &n);
    int crc = hu_sim_out_close(o);
    hu_sim_destroy(sim);
    clock_gettime(CLOCK_MONOTONIC, &b);
    if (rc != HU_OK || crc != HU_OK) {
        fprintf(stderr, "huella simulate: writing the events failed (%s)\n",
                hu_status_str(rc != HU_OK ? rc : crc));
        return SIM_EXIT_FAIL;
    }
    if (!quiet) {
        double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
        fprintf(stderr,
                "huella simulate: %s at scale %g, seed %llu: %llu lines (%llu requests, %llu accounts, "
                "%llu release), %.1f MB in %.2f s (%.2f M lines/s)\n",
                opts.scenario, opts.scale, (unsigned long long)opts.seed, (unsigned long long)n.lines,
                (unsigned long long)n.requests, (unsigned long long)n.accounts,
                (unsigned long long)n.releases, (double)n.bytes / 1e6, s,
                s > 0 ? (double)n.lines / s / 1e6 : 0.0);
    }
    return SIM_EXIT_OK;
}
