/*
 * cmd_fingerprints.c -- `huella fingerprints list|show|merge|prune`: manage
 * a fingerprint library (docs/fingerprints.md).
 */
#include "cli/cli.h"
#include "core/alloc.h"
#include "features/features.h"
#include "fprint/fprint.h"
#include "ingest/event.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char hu_cmd_fingerprints_help[] =
    "usage: huella fingerprints list LIB [--format table|json]\n"
    "       huella fingerprints show LIB CAMPAIGN_ID [--format table|json]\n"
    "       huella fingerprints merge --out LIB LIB...\n"
    "       huella fingerprints prune LIB --older-than DAYS [--now RFC3339] [--out LIB]\n\n"
    "Manage a fingerprint library, the file `huella analyze` writes to\n"
    "DIR/fingerprints.hfl and reads with --known (docs/fingerprints.md).\n"
    "  list    one line per known campaign: id, members, requests, last confirmed,\n"
    "          tokens, age weight now\n"
    "  show    one campaign: its distributions and token shares (keyed hashes:\n"
    "          the library holds no raw identifier and no prompt text)\n"
    "  merge   unite libraries made with the same key; the same campaign id is\n"
    "          merged (latest confirmation wins, distributions request-weighted)\n"
    "  prune   drop campaigns not confirmed within DAYS of --now (default: the\n"
    "          library's own creation time); writes --out (default: in place)\n";

static void fmt_ts(int64_t ms, char *buf, size_t cap)
{
    hu_format_rfc3339(ms, buf, cap);
}

static int load(const char *path, struct hu_fp_lib *lib)
{
    const char *why = NULL;
    int rc = hu_fp_lib_load(lib, path, &why);
    if (rc != HU_OK) {
        fprintf(stderr, "huella fingerprints: %s refused: %s\n", path, why ? why : hu_status_str(rc));
        return rc == HU_ENOMEM ? HU_EXIT_FAIL : HU_EXIT_USAGE;
    }
    return HU_EXIT_OK;
}

static int cmd_list(const struct hu_fp_lib *lib, int json)
{
    char t0[40], t1[40];
    fmt_ts(lib->created_ms, t0, sizeof t0);
    if (json) {
        printf("{\"schema_version\":1,\"created\":\"%s\",\"threshold\":%.3f,\"half_life_days\":%.1f,"
               "\"background_accounts\":%llu,\"campaigns\":[",
               t0, lib->threshold, lib->half_life_days, (unsigned long long)lib->bg_accounts);
        for (size_t i = 0; i < lib->n; i++) {
            const struct hu_fp_entry *e = &lib->e[i];
            fmt_ts(e->confirmed_ms, t1, sizeof t1);
            printf("%s{\"id\":\"%s\",\"members\":%u,\"requests\":%llu,\"score\":%.3f,\"confirmed\":\"%s\","
                   "\"tokens\":%u,\"age_weight\":%.3f}",
                   i ? "," : "", e->id, e->members, (unsigned long long)e->requests, e->score, t1, e->n_tok,
                   hu_fp_age_weight(lib, i, lib->created_ms));
        }
        printf("]}\n");
        return HU_EXIT_OK;
    }
    printf("fingerprint library: %zu campaigns, created %s, threshold %.2f nats, half-life %.0f days, "
           "background %llu accounts\n\n",
           lib->n, t0, lib->threshold, lib->half_life_days, (unsigned long long)lib->bg_accounts);
    printf("%-16s %8s %10s %6s  %-24s %6s %6s\n", "campaign", "members", "requests", "score", "last confirmed",
           "tokens", "weight");
    for (size_t i = 0; i < lib->n; i++) {
        const struct hu_fp_entry *e = &lib->e[i];
        fmt_ts(e->confirmed_ms, t1, sizeof t1);
        printf("%-16s %8u %10llu %6.2f  %-24s %6u %6.2f\n", e->id, e->members, (unsigned long long)e->requests,
               e->score, t1, e->n_tok, hu_fp_age_weight(lib, i, lib->created_ms));
    }
    return HU_EXIT_OK;
}

static int cmd_show(const struct hu_fp_lib *lib, const char *id, int json)
{
    long i = hu_fp_lib_find(lib, id);
    if (i < 0) {
        fprintf(stderr, "huella fingerprints: no campaign %s in the library\n", id);
        return HU_EXIT_USAGE;
    }
    const struct hu_fp_entry *e = &lib->e[i];
    const struct hu_fp_token *t = lib->tok + e->tok_off;
    char a[40], b[40], c[40];
    fmt_ts(e->first_seen_ms, a, sizeof a);
    fmt_ts(e->last_seen_ms, b, sizeof b);
    fmt_ts(e->confirmed_ms, c, sizeof c);
    if (json) {
        printf("{\"id\":\"%s\",\"members\":%u,\"requests\":%llu,\"score\":%.3f,\"first_seen\":\"%s\","
               "\"last_seen\":\"%s\",\"confirmed\":\"%s\",\"thinking\":%.4f,\"prompt_chars_mean\":%.1f,"
               "\"prompt_chars_sd\":%.1f,\"hours\":[",
               e->id, e->members, (unsigned long long)e->requests, e->score, a, b, c, e->d.thinking, e->d.plen_mu,
               e->d.plen_sd);
        for (int h = 0; h < 24; h++) printf("%s%.4f", h ? "," : "", e->d.hour[h]);
        printf("],\"targets\":{");
        for (int k = 0; k < HU_FP_NCAT; k++)
            printf("%s\"%s\":%.4f", k ? "," : "", k < HU_TARGET_COUNT ? hu_target_code((enum hu_target)k) : "none",
                   e->d.target[k]);
        printf("},\"tokens\":[");
        for (uint32_t k = 0; k < e->n_tok; k++)
            printf("%s{\"type\":\"%s\",\"token\":\"%016llx\",\"campaign_share\":%.4f,\"background_share\":%.6f}",
                   k ? "," : "", hu_fp_tok_code((enum hu_fp_tok)t[k].type), (unsigned long long)t[k].key, t[k].pc,
                   t[k].pb);
        printf("]}\n");
        return HU_EXIT_OK;
    }
    printf("campaign %s: %u accounts, %llu requests, score %.2f\n", e->id, e->members,
           (unsigned long long)e->requests, e->score);
    printf("  seen %s .. %s, last confirmed %s\n", a, b, c);
    printf("  thinking on %.0f%% of requests (background %.0f%%); prompt %.0f +- %.0f code points (background %.0f +- %.0f)\n",
           100 * e->d.thinking, 100 * lib->bg.thinking, e->d.plen_mu, e->d.plen_sd, lib->bg.plen_mu, lib->bg.plen_sd);
    printf("  targets (campaign / background):");
    for (int k = 0; k < HU_FP_NCAT; k++)
        if (e->d.target[k] >= 0.03)
            printf(" %s %.0f%%/%.0f%%", k < HU_TARGET_COUNT ? hu_target_code((enum hu_target)k) : "none",
                   100 * e->d.target[k], 100 * lib->bg.target[k]);
    printf("\n  UTC hours (share x 100):");
    for (int h = 0; h < 24; h++) printf(" %.0f", 100 * e->d.hour[h]);
    printf("\n  tokens (keyed hashes; campaign share / background share):\n");
    for (int ty = 0; ty < HU_FP_TOK_COUNT; ty++) {
        int shown = 0;
        for (uint32_t k = 0; k < e->n_tok; k++) {
            if (t[k].type != ty || t[k].pc < 0.01)
                continue;
            if (!shown++) printf("    %-10s", hu_fp_tok_code((enum hu_fp_tok)ty));
            if (shown <= 6)
                printf(" %016llx %.2f/%.4f", (unsigned long long)t[k].key, t[k].pc, t[k].pb);
        }
        if (shown > 6) printf(" (+%d more)", shown - 6);
        if (shown) printf("\n");
    }
    return HU_EXIT_OK;
}

static int save(const struct hu_fp_lib *lib, const char *path)
{
    int rc = hu_fp_lib_save(lib, path);
    if (rc != HU_OK) {
        fprintf(stderr, "huella fingerprints: cannot write %s: %s\n", path, hu_status_str(rc));
        return HU_EXIT_FAIL;
    }
    return HU_EXIT_OK;
}

int hu_cmd_fingerprints(int argc, char **argv)
{
    static const struct option opts[] = {
        { "format", required_argument, NULL, 'f' }, { "out", required_argument, NULL, 'o' },
        { "older-than", required_argument, NULL, 'd' }, { "now", required_argument, NULL, 'n' },
        { NULL, 0, NULL, 0 },
    };
    int json = 0, c;
    const char *out = NULL, *now_s = NULL;
    double days = -1;
    optind = 1;
    for (;;) {
        c = getopt_long(argc, argv, "f:o:d:n:", opts, NULL);
        if (c == -1)
            break;
        switch (c) {
        case 'f': {
            int f = hu_cli_parse_format(optarg);
            if (f < 0) return hu_cli_usage_error("fingerprints", "--format must be table or json");
            json = f == HU_FORMAT_JSON;
            break;
        }
        case 'o': out = optarg; break;
        case 'n': now_s = optarg; break;
        case 'd': {
            char *end;
            days = strtod(optarg, &end);
            if (*end || days < 0) return hu_cli_usage_error("fingerprints", "--older-than needs a number of days");
            break;
        }
        default: return hu_cli_usage_error("fingerprints", "unknown option");
        }
    }
    if (optind >= argc)
        return hu_cli_usage_error("fingerprints", "which action? list, show, merge or prune");
    const char *act = argv[optind++];
    int nargs = argc - optind;
    struct hu_fp_lib lib;
    hu_fp_lib_init(&lib);
    int rc;
    if (!strcmp(act, "list") || !strcmp(act, "show")) {
        int show = act[0] == 's';
        if (nargs != 1 + show)
            return hu_cli_usage_error("fingerprints", "%s takes %s", act, show ? "LIB CAMPAIGN_ID" : "LIB");
        rc = load(argv[optind], &lib);
        if (!rc)
            rc = show ? cmd_show(&lib, argv[optind + 1], json) : cmd_list(&lib, json);
    } else if (!strcmp(act, "merge")) {
        if (!out || nargs < 1)
            return hu_cli_usage_error("fingerprints", "merge takes --out LIB and one or more libraries");
        rc = HU_EXIT_OK;
        for (int i = 0; i < nargs && !rc; i++) {
            struct hu_fp_lib src;
            rc = load(argv[optind + i], &src);
            if (rc)
                break;
            int m = hu_fp_lib_merge(&lib, &src);
            hu_fp_lib_fini(&src);
            if (m == HU_EINVAL) {
                fprintf(stderr, "huella fingerprints: %s was made with another key\n", argv[optind + i]);
                rc = HU_EXIT_USAGE;
            } else if (m) {
                fprintf(stderr, "huella fingerprints: merge failed: %s\n", hu_status_str(m));
                rc = HU_EXIT_FAIL;
            }
        }
        if (!rc && hu_fp_lib_finish(&lib) != HU_OK)
            rc = HU_EXIT_FAIL;
        if (!rc) {
            rc = save(&lib, out);
            if (!rc)
                printf("merged %d libraries: %zu campaigns -> %s\n", nargs, lib.n, out);
        }
    } else if (!strcmp(act, "prune")) {
        if (nargs != 1 || days < 0)
            return hu_cli_usage_error("fingerprints", "prune takes LIB and --older-than DAYS");
        rc = load(argv[optind], &lib);
        int64_t now = lib.created_ms;
        if (!rc && now_s) {
            if (hu_parse_rfc3339(now_s, strlen(now_s), &now) != HU_OK) {
                hu_fp_lib_fini(&lib);
                return hu_cli_usage_error("fingerprints", "--now must be an RFC 3339 time");
            }
        }
        if (!rc) {
            size_t dropped = hu_fp_lib_prune(&lib, now - (int64_t)(days * 86400000.0));
            if (hu_fp_lib_finish(&lib) != HU_OK)
                rc = HU_EXIT_FAIL;
            if (!rc)
                rc = save(&lib, out ? out : argv[optind]);
            if (!rc)
                printf("pruned %zu campaigns not confirmed within %.1f days; %zu left -> %s\n", dropped, days, lib.n,
                       out ? out : argv[optind]);
        }
    } else {
        return hu_cli_usage_error("fingerprints", "unknown action '%s' (list, show, merge, prune)", act);
    }
    hu_fp_lib_fini(&lib);
    return rc;
}
