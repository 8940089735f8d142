/*
 * cmd_analyze.c -- `huella analyze EVENTS... --out DIR`: find the
 * campaigns, score every account, explain why.
 */
#include "cli/cli.h"
#include "core/clock.h"
#include "core/alloc.h"
#include "core/hash.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/buf.h"
#include "core/sort.h"
#include "features/features.h"
#include "fprint/fprint.h"
#include "ingest/ingest.h"
#include "report/html.h"
#include "report/outputs.h"
#include "score/analysis.h"

#include <errno.h>
#include <math.h>
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
    "and DIR/campaigns.json (docs/events.md), DIR/report.html (docs/report.md)\n"
    "and prints a summary.\n\n"
    "  --out DIR          output directory (created if missing)\n"
    "  --asn FILE         ASN database: .mmdb or CSV ranges start,end,asn,\"org\"\n"
    "                     (plain or .gz); repeatable\n"
    "  --geo FILE         country database (.mmdb)\n"
    "  --cidr FILE        datacenter/proxy/VPN ranges, lines CIDR[,class]; repeatable\n"
    "  --policy FILE      policy (YAML); default: config/policy.example.yaml's values\n"
    "  --model FILE       extraction-target model from `huella train` (default: the\n"
    "                     one `make` builds, see HUELLA_MODEL below)\n"
    "  --no-model         the phrase patterns and request-shape hints alone\n"
    "  --map FILE         map a foreign log shape onto the contract\n"
    "  --feature-key FILE the deployment's text-hash key (huella featurize): raw\n"
    "                     text is hashed under it, so raw and featurized events\n"
    "                     of the deployment link with each other\n"
    "  --rejects FILE     write every rejected line's number and reason (JSON Lines)\n"
    "  --disable FAMILY   switch a signal family off (content, template, timing,\n"
    "                     network, payment, script, pivot); repeatable; for evaluation\n"
    "  --iocs BUNDLE      partners' STIX 2.1 indicators as evidence (reason codes\n"
    "                     ioc_<kind>@<producer>); repeatable\n"
    "  --iocs-require-signed PUBKEY  refuse bundles without a valid BUNDLE.sig by\n"
    "                     this Ed25519 key; repeatable (any key may sign)\n"
    "  --share-key FILE   key partners hash payment fingerprints with\n"
    "  --dump-graph FILE  write the weighted account graph that was clustered\n"
    "                     (TSV: account, account, strength, evidence)\n"
    "  --threads N        threads for the per-event stages (default 0: one per\n"
    "                     processor; 1: no extra thread); outputs do not depend on it\n"
    "  --timings          print seconds per stage as one JSON line on standard error\n"
    "  --known LIB        bind accounts to the known campaigns of a fingerprint\n"
    "                     library (docs/fingerprints.md); writes DIR/bindings.csv\n"
    "  --fingerprint-key FILE  keyed-hash key of the libraries (32 hex digits);\n"
    "                     default: the documented INSECURE testing key\n"
    "  --no-fingerprints  do not write DIR/fingerprints.hfl (the library of the\n"
    "                     campaigns found, calibrated on this run's benign traffic)\n"
    "  --max-accounts N   hold at most N account profiles; beyond it accounts with\n"
    "                     one or two requests, least recently seen, are evicted\n"
    "                     and counted (default: sized to half the machine's memory\n"
    "                     at 8 KiB per account; 0: no bound)\n"
    "  --format FMT       summary as table (default) or json\n"
    "  --quiet            no summary, warnings only\n"
    "  --no-report        skip report.html (it re-reads the input files once)\n\n"
    "Environment: HUELLA_MODEL=FILE is the default --model (\"none\": no model);\n"
    "unset, huella uses PREFIX/share/huella/targets.model or, in the build tree,\n"
    "build/targets.model, when there is one.\n\n"
    "Exit status: 0 the run completed, whatever it found; 2 bad usage or\n"
    "unreadable input; 1 internal failure.\n";

#define MAX_FILES 64

static int ingest_next(void *ctx, struct hu_event *ev)
{
    return hu_ingest_next(ctx, ev);
}

/* --timings: one JSON line on standard error, seconds per stage. */
static void print_timings(const struct hu_analysis *an, const struct hu_observer_run_stats *rs,
                          const struct hu_ingest_counters *c, double outputs)
{
    const struct hu_analysis_timings *t = hu_analysis_timings(an);
    uint64_t pairs = 0, postings = 0;
    hu_analysis_link_counts(an, &pairs, &postings);
    const struct hu_profile_table *pt = hu_analysis_profiles(an);
    size_t n = hu_profile_table_count(pt);
    fprintf(stderr,
            "{\"timings\":1,\"threads\":%u,\"events\":%llu,\"bytes\":%llu,\"accounts\":%zu,"
            "\"profile_bytes\":%zu,\"table_bytes\":%zu,\"pairs\":%llu,\"postings\":%llu,"
            "\"observe_wall\":%.3f,\"ingest\":%.3f,\"reader_wait\":%.3f,\"features\":%.3f,"
            "\"profiles\":%.3f,\"merge\":%.3f,\"postings_s\":%.3f,\"linkage\":%.3f,"
            "\"campaigns\":%.3f,\"evidence\":%.3f,\"outputs\":%.3f}\n",
            rs->threads, (unsigned long long)c->events, (unsigned long long)c->bytes, n,
            sizeof(struct hu_profile), hu_profile_table_memory(pt), (unsigned long long)pairs,
            (unsigned long long)postings, rs->wall, rs->read, rs->wait, rs->features, rs->profiles,
            rs->merge, t->postings, t->pairs, t->campaigns, t->evidence, outputs);
}

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
                          size_t n_sources, const char *dir, int json, int report,
                          const struct bound_report *b)
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
    printf(")\nwrote %s/accounts.csv%s%s/campaigns.json%s%s%s\n", dir, report ? ", " : " and ", dir,
           report ? " and " : "", report ? dir : "", report ? "/report.html" : "");
}

/* ---- fingerprints ------------------------------------------------------------ */

static int cmp_u32(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return (a > b) - (a < b);
}

/* DIR/bindings.csv: one row per account bound to a known campaign, with
 * the request index at which it was bound and the evidence. */
static int write_bindings(const char *dir, const struct hu_results *res, const struct hu_profile_table *t,
                          const struct hu_fp_online *on, const struct hu_fp_lib *lib, int quiet)
{
    char path[4096];
    FILE *f = open_out(dir, "bindings.csv", path, sizeof path);
    if (!f)
        return HU_EIO;
    fprintf(f, "account_id,known_campaign,bound_at,requests,sprt_llr,threshold,age_days");
    for (int k = 0; k < HU_FP_TOK_COUNT; k++)
        fprintf(f, ",fp_%s", hu_fp_tok_code((enum hu_fp_tok)k));
    fprintf(f, ",llr_tokens,llr_hours,llr_targets,llr_shape\n");
    struct hu_buf b;
    hu_buf_init(&b, 1u << 16);
    uint32_t *at = hu_malloc((res->n_accounts ? res->n_accounts : 1) * sizeof *at);
    size_t n_bound = 0;
    int rc = at ? HU_OK : HU_ENOMEM;
    for (size_t i = 0; i < res->n_accounts && on && !rc; i++) {
        const struct hu_profile *p = hu_profile_table_at(t, i);
        const struct hu_fp_account *st = hu_fp_online_get(on, p->account_hash);
        if (!st || !st->bound_at)
            continue;
        const struct hu_fp_cand *c = &st->bound;
        const struct hu_fp_entry *e = &lib->e[c->entry - 1];
        at[n_bound++] = st->bound_at;
        hu_buf_reset(&b);
        rc = hu_csv_field(&b, res->accounts[i].account_id, res->accounts[i].account_id_len);
        if (rc)
            break;
        double age = (double)(p->first_ts - e->confirmed_ms) / 86400000.0;
        fprintf(f, "%.*s,%s,%u,%llu,%.2f,%.2f,%.2f", (int)b.len, b.ptr, e->id, st->bound_at,
                (unsigned long long)p->n_req, c->s, on->threshold, age > 0 ? age : 0);
        for (int k = 0; k < HU_FP_TOK_COUNT; k++) {
            if (c->seen[k]) fprintf(f, ",%.3f", (double)c->hit[k] / c->seen[k]);
            else fputs(",", f);
        }
        fprintf(f, ",%.2f,%.2f,%.2f,%.2f\n", c->llr_tok, c->llr_hour, c->llr_target, c->llr_shape);
    }
    hu_buf_fini(&b);
    if (fclose(f) != 0 && !rc)
        rc = HU_EIO;
    if (!rc && !quiet && n_bound) {
        hu_sort(at, n_bound, sizeof *at, cmp_u32);
        fprintf(stderr, "huella analyze: %zu accounts bound to known campaigns (requests to bind: median %u, p90 %u); "
                "wrote %s\n", n_bound, at[(n_bound - 1) / 2], at[(size_t)((double)(n_bound - 1) * 0.9)], path);
    } else if (!rc && !quiet) {
        fprintf(stderr, "huella analyze: no account bound to a known campaign; wrote %s\n", path);
    }
    hu_free(at);
    return rc;
}

/* Finish the library (known entries reconfirmed, threshold calibrated on
 * this run's benign accounts by reading the input again) and save it.
 * Standard input cannot be read again: the library keeps Wald's bound. */
static int write_library(const char *dir, struct hu_analysis *an, struct hu_fp_lib *lib,
                         const struct hu_results *res, const struct hu_ingest_opts *io,
                         const char *const *paths, size_t n_paths, unsigned n_threads, int quiet)
{
    int replay = lib->n > 0;
    for (size_t i = 0; i < n_paths; i++)
        if (!strcmp(paths[i], "-")) replay = 0;
    struct hu_ingest *ing = NULL;
    struct hu_ingest_opts o2 = *io;
    o2.rejects_path = NULL;
    o2.quiet = 1;
    int rc = replay ? hu_ingest_create(&ing, paths, n_paths, &o2) : HU_OK;
    struct hu_library_finish lf;
    if (rc == HU_OK)
        rc = hu_analysis_library_finish(an, res, replay ? ingest_next : NULL, ing, n_threads, &lf);
    hu_ingest_destroy(ing);
    if (rc != HU_OK)
        return rc;
    if (lf.calibrated && !quiet)
        fprintf(stderr, "huella analyze: fingerprint threshold %.2f nats, calibrated on %zu benign accounts\n",
                lf.threshold, lf.n_benign);
    char path[4096];
    snprintf(path, sizeof path, "%s/fingerprints.hfl", dir);
    return hu_fp_lib_save(lib, path);
}

int hu_cmd_analyze(int argc, char **argv)
{
    static const struct option opts[] = {
        { "out", required_argument, NULL, 'o' }, { "asn", required_argument, NULL, 'a' },
        { "geo", required_argument, NULL, 'g' }, { "cidr", required_argument, NULL, 'c' },
        { "policy", required_argument, NULL, 'p' }, { "map", required_argument, NULL, 'm' },
        { "rejects", required_argument, NULL, 'r' }, { "disable", required_argument, NULL, 'd' },
        { "format", required_argument, NULL, 'f' }, { "quiet", no_argument, NULL, 'q' },
        { "dump-graph", required_argument, NULL, 'G' }, { "no-report", no_argument, NULL, 'R' },
        { "iocs", required_argument, NULL, 'I' },
        { "iocs-require-signed", required_argument, NULL, 'S' },
        { "share-key", required_argument, NULL, 'K' },
        { "model", required_argument, NULL, 'M' }, { "no-model", no_argument, NULL, 'Z' },
        { "threads", required_argument, NULL, 'j' }, { "timings", no_argument, NULL, 'T' },
        { "known", required_argument, NULL, 'X' }, { "fingerprint-key", required_argument, NULL, 'k' },
        { "no-fingerprints", no_argument, NULL, 'N' },
        { "feature-key", required_argument, NULL, 'F' },
        { "max-accounts", required_argument, NULL, 'A' },
        { NULL, 0, NULL, 0 },
    };
    const char *dump_graph = NULL, *known_path = NULL, *key_path = NULL, *feature_key = NULL;
    int no_fp = 0;
    const char *out_dir = NULL, *geo = NULL, *policy_path = NULL, *map = NULL, *rejects = NULL;
    const char *asn[MAX_FILES], *cidr[MAX_FILES], *iocs[MAX_FILES], *pubkeys[MAX_FILES];
    size_t n_asn = 0, n_cidr = 0, n_iocs = 0, n_pubkeys = 0;
    const char *share_key_path = NULL, *model = NULL;
    int no_model = 0;
    uint32_t disabled = 0;
    int format = HU_FORMAT_TABLE, quiet = 0, report = 1, timings = 0, c;
    unsigned n_threads = 0;
    size_t max_accounts = default_max_accounts();
    optind = 1;
    for (;;) {
        c = getopt_long(argc, argv, "o:a:g:c:p:m:r:d:f:qG:I:S:K:M:Rj:TX:k:NF:A:Z", opts, NULL);
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
        case 'R': report = 0; break;
        case 'I':
            if (n_iocs == MAX_FILES) return hu_cli_usage_error("analyze", "too many --iocs bundles");
            iocs[n_iocs++] = optarg;
            break;
        case 'S':
            if (n_pubkeys == MAX_FILES) return hu_cli_usage_error("analyze", "too many --iocs-require-signed keys");
            pubkeys[n_pubkeys++] = optarg;
            break;
        case 'K': share_key_path = optarg; break;
        case 'M': model = optarg; break;
        case 'Z': no_model = 1; break;
        case 'T': timings = 1; break;
        case 'j': {
            char *end;
            unsigned long v = strtoul(optarg, &end, 10);
            if (*optarg == '-' || *end || v > HU_MAX_OBSERVER_THREADS)
                return hu_cli_usage_error("analyze", "--threads must be 0..%u", HU_MAX_OBSERVER_THREADS);
            n_threads = (unsigned)v;
            break;
        }
        case 'X': known_path = optarg; break;
        case 'k': key_path = optarg; break;
        case 'N': no_fp = 1; break;
        case 'F': feature_key = optarg; break;
        case 'A': {
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
    if (model && no_model)
        return hu_cli_usage_error("analyze", "--model and --no-model exclude each other");
    if (!model && !no_model)
        model = hu_cli_default_model();
    if (optind >= argc)
        return hu_cli_usage_error("analyze", "no event files");

    int rc = HU_EXIT_OK;
    struct hu_policy *policy = NULL;
    struct hu_ingest *ing = NULL;
    struct hu_analysis *an = NULL;
    struct hu_results res = { 0 };
    struct hu_ioc_set *ioc_set = NULL;
    uint8_t pks[MAX_FILES][HU_ED25519_PK];
    uint8_t share_key[HU_SHARE_KEY_MAX];
    size_t share_key_len = 0;
    char err[512] = "";
    struct hu_fp_key fp_key;
    struct hu_fp_lib known, built;
    hu_fp_lib_init(&known);
    hu_fp_lib_init(&built);
    hu_fp_key_default(&fp_key);
    if (key_path && hu_fp_key_load(key_path, &fp_key, err, sizeof err) != HU_OK) {
        fprintf(stderr, "huella analyze: %s\n", err);
        return HU_EXIT_USAGE;
    }
    if (known_path) {
        const char *why = NULL;
        int lrc = hu_fp_lib_load(&known, known_path, &why);
        if (lrc != HU_OK) {
            fprintf(stderr, "huella analyze: fingerprint library %s refused: %s\n", known_path,
                    why ? why : hu_status_str(lrc));
            return lrc == HU_ENOMEM ? HU_EXIT_FAIL : HU_EXIT_USAGE;
        }
        if (known.key_id != hu_fp_key_id(&fp_key)) {
            fprintf(stderr, "huella analyze: fingerprint library %s was made with another key (--fingerprint-key)\n",
                    known_path);
            hu_fp_lib_fini(&known);
            return HU_EXIT_USAGE;
        }
    }
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
    if (n_pubkeys && !n_iocs)
        return hu_cli_usage_error("analyze", "--iocs-require-signed needs --iocs BUNDLE");
    if (n_iocs) {
        for (size_t i = 0; i < n_pubkeys; i++) {
            if (hu_sign_load_public(pubkeys[i], pks[i]) != HU_OK) {
                fprintf(stderr, "huella analyze: %s: not an Ed25519 public key file\n", pubkeys[i]);
                rc = HU_EXIT_USAGE;
                goto out;
            }
        }
        struct hu_ioc_opts iopts = { .pubkeys = (const uint8_t (*)[HU_ED25519_PK])pks, .n_pubkeys = n_pubkeys };
        if (hu_ioc_set_create_from_files(iocs, n_iocs, &iopts, &ioc_set, err, sizeof err) != HU_OK) {
            fprintf(stderr, "huella analyze: indicators refused: %s\n", err);
            rc = HU_EXIT_USAGE;
            goto out;
        }
    }
    if (share_key_path && hu_share_key_load(share_key_path, share_key, &share_key_len) != HU_OK) {
        fprintf(stderr, "huella analyze: %s: not a usable sharing key (%u to %u bytes)\n", share_key_path,
                HU_SHARE_KEY_MIN, HU_SHARE_KEY_MAX);
        rc = HU_EXIT_USAGE;
        goto out;
    }
    struct hu_analysis_config cfg = {
        .features = { .asn_files = asn, .n_asn_files = n_asn, .geo_file = geo,
                      .cidr_files = cidr, .n_cidr_files = n_cidr, .model_file = model,
                      .feature_key_file = feature_key },
        .policy = policy, .disabled_families = disabled, .dump_graph_path = dump_graph,
        .iocs = ioc_set, .share_key = share_key_path ? share_key : NULL, .share_key_len = share_key_len,
        .known = known_path ? &known : NULL, .fp_build = no_fp ? NULL : &built, .fp_key = &fp_key,
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
    struct hu_observer_run_stats rs;
    st = hu_analysis_observe_all(an, ingest_next, ing, n_threads, &rs);
    if (st == HU_ENOMEM) {
        fprintf(stderr, "huella analyze: out of memory at %llu events\n",
                (unsigned long long)hu_ingest_totals(ing)->events);
        rc = HU_EXIT_FAIL;
        goto out;
    }
    if (st != HU_OK) {
        fprintf(stderr, "huella analyze: reading input failed: %s\n", hu_status_str(st));
        rc = HU_EXIT_FAIL;
        goto out;
    }
    if (hu_analysis_finish(an, &res) != HU_OK) {
        fprintf(stderr, "huella analyze: out of memory while linking accounts\n");
        rc = HU_EXIT_FAIL;
        goto out;
    }
    double t_out = hu_mono_s();
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
    if (timings)
        print_timings(an, &rs, hu_ingest_totals(ing), hu_mono_s() - t_out);
    struct hu_report_input rin = {
        .res = &res, .profiles = hu_analysis_profiles(an), .dict = hu_analysis_dict(an),
        .paths = (const char *const *)argv + optind, .n_paths = (size_t)(argc - optind), .map_path = map,
        .events = hu_ingest_totals(ing)->events, .rejects = hu_ingest_totals(ing)->rejects,
    };
    f = report ? open_out(out_dir, "report.html", path, sizeof path) : NULL;
    st = !report ? HU_OK : f ? hu_report_html_write(f, &rin) : HU_EIO;
    if ((f && fclose(f) != 0) || st != HU_OK) {
        fprintf(stderr, "huella analyze: cannot write %s: %s\n", path,
                st == HU_EIO || st == HU_OK ? strerror(errno) : hu_status_str(st));
        rc = HU_EXIT_FAIL;
        goto out;
    }
    if (known_path && write_bindings(out_dir, &res, hu_analysis_profiles(an), hu_analysis_fp_online(an), &known,
                                      quiet) != HU_OK) {
        fprintf(stderr, "huella analyze: cannot write %s/bindings.csv: %s\n", out_dir, strerror(errno));
        rc = HU_EXIT_FAIL;
        goto out;
    }
    if (!no_fp) {
        int frc = write_library(out_dir, an, &built, &res, &io, (const char *const *)argv + optind,
                                (size_t)(argc - optind), n_threads, quiet);
        if (frc != HU_OK) {
            fprintf(stderr, "huella analyze: cannot write %s/fingerprints.hfl: %s\n", out_dir, hu_status_str(frc));
            rc = HU_EXIT_FAIL;
            goto out;
        }
    }
    struct bound_report br = { .max_accounts = max_accounts };
    hu_analysis_evictions(an, &br.evicted, &br.refused);
    if (!quiet)
        print_summary(&res, hu_ingest_totals(ing), hu_ingest_n_sources(ing), out_dir, format == HU_FORMAT_JSON,
                      report, &br);
    if (hu_ingest_n_failed_sources(ing))
        fprintf(stderr, "huella analyze: %zu input file(s) ended early (see above); results cover what was read\n",
                hu_ingest_n_failed_sources(ing));
out:
    hu_results_fini(&res);
    hu_analysis_destroy(an);
    hu_fp_lib_fini(&known);
    hu_fp_lib_fini(&built);
    hu_ingest_destroy(ing);
    hu_policy_destroy(policy);
    hu_ioc_set_destroy(ioc_set);
    return rc;
}
