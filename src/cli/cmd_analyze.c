/*
 * cmd_analyze.c -- `huella analyze EVENTS... --out DIR`: find the
 * campaigns, score every account, explain why.
 */
#include "cli/cli.h"
#include "core/alloc.h"
#include "core/limits.h"
#include "core/log.h"
#include "ingest/ingest.h"
#include "report/outputs.h"
#include "score/analysis.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char hu_cmd_analyze_help[] =
    "usage: huella analyze [options] --out DIR EVENTS...\n\n"
    "Read traffic in the event contract, profile every account, link accounts\n"
    "into campaigns, score and explain every account.  Writes DIR/accounts.csv\n"
    "and DIR/campaigns.json (docs/events.md) and prints a summary.\n\n"
    "  --out DIR          output directory (created if missing)\n"
    "  --asn FILE         ASN database: .mmdb or CSV ranges start,end,asn,\"org\"\n"
    "                     (plain or .gz); repeatable\n"
    "  --geo FILE         country database (.mmdb)\n"
    "  --cidr FILE        datacenter/proxy/VPN ranges, lines CIDR[,class]; repeatable\n"
    "  --policy FILE      policy (YAML); default: config/policy.example.yaml's values\n"
    "  --map FILE         map a foreign log shape onto the contract\n"
    "  --rejects FILE     write every rejected line's number and reason (JSON Lines)\n"
    "  --disable FAMILY   switch a signal family off (content, template, timing,\n"
    "                     network, identity, pivot); repeatable; for evaluation\n"
    "  --dump-graph FILE  write the weighted account graph that was clustered\n"
    "                     (TSV: account, account, strength, evidence)\n"
    "  --max-accounts N   hold at most N account profiles; beyond it accounts with\n"
    "                     one or two requests, least recently seen, are evicted\n"
    "                     and counted (default: sized to half the machine's memory\n"
    "                     at 8 KiB per account; 0: no bound)\n"
    "  --format FMT       summary as table (default) or json\n"
    "  --quiet            no summary, warnings only\n\n"
    "Exit status: 0 the run completed, whatever it found; 2 bad usage or\n"
    "unreadable input; 1 internal failure.\n";

#define MAX_FILES 64

static int make_dir(const char *dir)
{
    if (mkdir(dir, 0750) == 0 || errno == EEXIST)
        return 0;
    return -1;
}

static FILE *open_out(const char *dir, const char *name, char *path, size_t cap)
{
    snprintf(path, cap, "%s/%s", dir, name);
    return fopen(path, "w");
}

/* Default --max-accounts: HU_MAX_ACCOUNTS_MEM_SHARE of physical memory at
 * HU_ACCOUNT_BYTES_BOUND per account (core/limits.h). */
static size_t default_max_accounts(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || psize <= 0)
        return HU_MAX_ACCOUNTS_DEFAULT_CAP;
    double n = (double)pages * (double)psize * HU_MAX_ACCOUNTS_MEM_SHARE / HU_ACCOUNT_BYTES_BOUND;
    if (n < 1000)
        n = 1000;
    return n > HU_MAX_ACCOUNTS_DEFAULT_CAP ? HU_MAX_ACCOUNTS_DEFAULT_CAP : (size_t)n;
}

struct bound_report {
    size_t max_accounts;
    uint64_t evicted, refused;
};

static void print_summary(const struct hu_results *r, const struct hu_ingest_counters *c,
                          size_t n_sources, const char *dir, int json, const struct bound_report *b)
{
    uint64_t flagged = 0, by_action[HU_ACTION_COUNT] = { 0 };
    for (size_t i = 0; i < r->n_accounts; i++) {
        flagged += hu_action_flagged(r->accounts[i].would);
        by_action[r->accounts[i].would]++;
    }
    char t0[40] = "-", t1[40] = "-";
    if (r->total_requests) {
        hu_format_rfc3339(r->first_ts_ms, t0, sizeof t0);
        hu_format_rfc3339(r->last_ts_ms, t1, sizeof t1);
    }
    if (json) {
        printf("{\"schema_version\":1,\"events\":%llu,\"rejected\":%llu,\"accounts\":%zu,\"requests\":%llu,"
               "\"first_ts\":\"%s\",\"last_ts\":\"%s\",\"campaigns\":%zu,\"flagged\":%llu,\"out\":\"%s\","
               "\"max_accounts\":%zu,\"evicted_accounts\":%llu,\"refused_accounts\":%llu}\n",
               (unsigned long long)c->events, (unsigned long long)c->rejects, r->n_accounts,
               (unsigned long long)r->total_requests, t0, t1, r->n_campaigns,
               (unsigned long long)flagged, dir, b->max_accounts, (unsigned long long)b->evicted,
               (unsigned long long)b->refused);
        return;
    }
    printf("huella analyze: %llu events (%llu rejected) from %zu file%s; %zu accounts, %llu requests, %s .. %s\n",
           (unsigned long long)c->events, (unsigned long long)c->rejects, n_sources, n_sources == 1 ? "" : "s",
           r->n_accounts, (unsigned long long)r->total_requests, t0, t1);
    if (b->evicted || b->refused)
        printf("profile bound (--max-accounts %zu): %llu low-volume accounts evicted, %llu new accounts refused\n",
               b->max_accounts, (unsigned long long)b->evicted, (unsigned long long)b->refused);
    size_t shown = 0;
    for (size_t i = 0; i < r->n_campaigns; i++)
        shown += r->campaigns[i].score >= 0.5;
    printf("\ncampaigns found: %zu (and %zu linked groups below the throttle threshold)\n",
           shown, r->n_campaigns - shown);
    for (size_t i = 0; i < r->n_campaigns; i++) {
        const struct hu_campaign_result *cp = &r->campaigns[i];
        if (cp->score < 0.5)
            continue;
        double share = r->total_requests ? 100.0 * (double)cp->requests / (double)r->total_requests : 0;
        printf("\n  %s  score %.2f  %u accounts  %llu requests (%.1f%% of traffic)\n", cp->id, cp->score,
               cp->n_members, (unsigned long long)cp->requests, share);
        printf("    targets:");
        for (int t = 0; t < HU_TARGET_COUNT; t++)
            if (cp->targets[t] >= 0.05)
                printf(" %s %.0f%%", hu_target_code((enum hu_target)t), 100.0 * cp->targets[t]);
        printf("\n    infrastructure:");
        const char *last = "";
        int per_type = 0, any = 0;
        for (uint32_t k = 0; k < cp->n_indicators; k++) {
            const struct hu_indicator *ind = &cp->indicators[k];
            if (strcmp(ind->type, last)) { per_type = 0; last = ind->type; }
            if (per_type++ >= 2 || !strcmp(ind->type, "template") || !strcmp(ind->type, "system_prompt"))
                continue;
            printf(" %s %s (%u)", ind->type, ind->value, ind->accounts);
            any = 1;
        }
        if (!any)
            printf(" none shared by two or more accounts");
        printf("\n    evidence:\n");
        for (uint32_t k = 0; k < cp->n_evidence && k < 3; k++)
            printf("      - %s\n", cp->evidence[k].text);
    }
    printf("\nflagged accounts: %llu", (unsigned long long)flagged);
    for (int a = HU_ACTION_THROTTLE; a < HU_ACTION_COUNT; a++)
        printf("%s %s %llu", a == HU_ACTION_THROTTLE ? " (" : ",", hu_action_name((enum hu_action)a),
               (unsigned long long)by_action[a]);
    printf(")\nwrote %s/accounts.csv and %s/campaigns.json\n", dir, dir);
}

int hu_cmd_analyze(int argc, char **argv)
{
    static const struct option opts[] = {
        { "out", required_argument, NULL, 'o' }, { "asn", required_argument, NULL, 'a' },
        { "geo", required_argument, NULL, 'g' }, { "cidr", required_argument, NULL, 'c' },
        { "policy", required_argument, NULL, 'p' }, { "map", required_argument, NULL, 'm' },
        { "rejects", required_argument, NULL, 'r' }, { "disable", required_argument, NULL, 'd' },
        { "format", required_argument, NULL, 'f' }, { "quiet", no_argument, NULL, 'q' },
        { "dump-graph", required_argument, NULL, 'G' },
        { "max-accounts", required_argument, NULL, 'M' },
        { NULL, 0, NULL, 0 },
    };
    const char *dump_graph = NULL;
    const char *out_dir = NULL, *geo = NULL, *policy_path = NULL, *map = NULL, *rejects = NULL;
    const char *asn[MAX_FILES], *cidr[MAX_FILES];
    size_t n_asn = 0, n_cidr = 0;
    uint32_t disabled = 0;
    int format = HU_FORMAT_TABLE, quiet = 0, c;
    size_t max_accounts = default_max_accounts();
    optind = 1;
    for (;;) {
        c = getopt_long(argc, argv, "o:a:g:c:p:m:r:d:f:qG:M:", opts, NULL);
        if (c == -1)
            break;
        switch (c) {
        case 'o': out_dir = optarg; break;
        case 'a':
            if (n_asn == MAX_FILES) return hu_cli_usage_error("analyze", "too many --asn files");
            asn[n_asn++] = optarg;
            break;
        case 'c':
            if (n_cidr == MAX_FILES) return hu_cli_usage_error("analyze", "too many --cidr files");
            cidr[n_cidr++] = optarg;
            break;
        case 'g': geo = optarg; break;
        case 'p': policy_path = optarg; break;
        case 'm': map = optarg; break;
        case 'r': rejects = optarg; break;
        case 'q': quiet = 1; break;
        case 'G': dump_graph = optarg; break;
        case 'M': {
            char *end;
            errno = 0;
            unsigned long long v = strtoull(optarg, &end, 10);
            if (errno || end == optarg || *end || optarg[0] == '-')
                return hu_cli_usage_error("analyze", "--max-accounts needs a number");
            max_accounts = v > HU_PROFILE_TABLE_MAX ? HU_PROFILE_TABLE_MAX : (size_t)v;
            break;
        }
        case 'f':
            format = hu_cli_parse_format(optarg);
            if (format < 0) return hu_cli_usage_error("analyze", "--format must be table or json");
            break;
        case 'd': {
            int found = 0;
            for (int f = 0; f < HU_FAMILY_COUNT; f++)
                if (!strcmp(optarg, hu_family_code((enum hu_family)f))) { disabled |= 1u << f; found = 1; }
            if (!found) return hu_cli_usage_error("analyze", "unknown signal family '%s'", optarg);
            break;
        }
        default: return hu_cli_usage_error("analyze", "unknown option");
        }
    }
    if (!out_dir)
        return hu_cli_usage_error("analyze", "--out DIR is required");
    if (optind >= argc)
        return hu_cli_usage_error("analyze", "no event files");

    int rc = HU_EXIT_OK;
    struct hu_policy *policy = NULL;
    struct hu_ingest *ing = NULL;
    struct hu_analysis *an = NULL;
    struct hu_results res = { 0 };
    char err[512] = "";
    if (policy_path && hu_policy_load(policy_path, &policy, err, sizeof err) != HU_OK) {
        fprintf(stderr, "huella analyze: policy refused: %s\n", err);
        return HU_EXIT_USAGE;
    }
    struct hu_ingest_opts io = { .map_path = map, .rejects_path = rejects, .quiet = 0 };
    int ist = hu_ingest_create(&ing, (const char *const *)argv + optind, (size_t)(argc - optind), &io);
    if (ist != HU_OK) {
        /* bad files were reported by ingest; running out of memory was not (torture) */
        if (ist == HU_ENOMEM)
            fprintf(stderr, "huella analyze: out of memory\n");
        rc = ist == HU_ENOMEM ? HU_EXIT_FAIL : HU_EXIT_USAGE;
        goto out;
    }
    struct hu_analysis_config cfg = {
        .features = { .asn_files = asn, .n_asn_files = n_asn, .geo_file = geo,
                      .cidr_files = cidr, .n_cidr_files = n_cidr },
        .policy = policy, .disabled_families = disabled, .dump_graph_path = dump_graph,
        .max_accounts = max_accounts,
    };
    int st = hu_analysis_create(&cfg, &an, err, sizeof err);
    if (st != HU_OK) {
        fprintf(stderr, "huella analyze: %s\n", err[0] ? err : hu_status_str(st));
        rc = st == HU_ENOMEM ? HU_EXIT_FAIL : HU_EXIT_USAGE;
        goto out;
    }
    if (make_dir(out_dir) != 0) {
        fprintf(stderr, "huella analyze: cannot create %s: %s\n", out_dir, strerror(errno));
        rc = HU_EXIT_USAGE;
        goto out;
    }
    struct hu_event ev;
    int got;
    for (;;) {
        got = hu_ingest_next(ing, &ev);
        if (got != 1)
            break;
        st = hu_analysis_observe(an, &ev);
        if (st == HU_ENOMEM) {
            fprintf(stderr, "huella analyze: out of memory at %llu events\n",
                    (unsigned long long)hu_ingest_totals(ing)->events);
            rc = HU_EXIT_FAIL;
            goto out;
        }
    }
    if (got < 0) {
        fprintf(stderr, "huella analyze: reading input failed: %s\n", hu_status_str(got));
        rc = HU_EXIT_FAIL;
        goto out;
    }
    if (hu_analysis_finish(an, &res) != HU_OK) {
        fprintf(stderr, "huella analyze: out of memory while linking accounts\n");
        rc = HU_EXIT_FAIL;
        goto out;
    }
    char path[4096];
    FILE *f = open_out(out_dir, "accounts.csv", path, sizeof path);
    if (!f || hu_write_accounts_csv(f, &res) != HU_OK || fclose(f) != 0) {
        fprintf(stderr, "huella analyze: cannot write %s: %s\n", path, strerror(errno));
        rc = HU_EXIT_FAIL;
        goto out;
    }
    f = open_out(out_dir, "campaigns.json", path, sizeof path);
    if (!f || hu_write_campaigns_json(f, &res) != HU_OK || fclose(f) != 0) {
        fprintf(stderr, "huella analyze: cannot write %s: %s\n", path, strerror(errno));
        rc = HU_EXIT_FAIL;
        goto out;
    }
    struct bound_report br = { .max_accounts = max_accounts };
    hu_analysis_evictions(an, &br.evicted, &br.refused);
    if (!quiet)
        print_summary(&res, hu_ingest_totals(ing), hu_ingest_n_sources(ing), out_dir, format == HU_FORMAT_JSON,
                      &br);
    if (hu_ingest_n_failed_sources(ing))
        fprintf(stderr, "huella analyze: %zu input file(s) ended early (see above); results cover what was read\n",
                hu_ingest_n_failed_sources(ing));
out:
    hu_results_fini(&res);
    hu_analysis_destroy(an);
    hu_ingest_destroy(ing);
    hu_policy_destroy(policy);
    return rc;
}
