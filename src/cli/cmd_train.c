/*
 * cmd_train.c -- `huella train --out MODEL EVENTS...`: fit the linear
 * extraction-target model (features/linear.h) from labelled requests.
 *
 * Training data is ordinary contract events whose `label` names the
 * targets the prompt aims at: target codes joined by '+' ("reasoning",
 * "coding+tool_use"), or "none" for a prompt that aims at none.  Lines
 * without a label, or with an unknown code, are skipped and counted.  The
 * prompt is the request's prompt (or last user message), as at scoring.
 * scripts/build-model.sh turns the real prompt corpora of
 * ../shared/data/prompts into such events (`make model`).
 */
#include "cli/cli.h"
#include "core/alloc.h"
#include "features/features.h"
#include "features/linear.h"
#include "ingest/ingest.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char hu_cmd_train_help[] =
    "usage: huella train --out MODEL [--buckets LOG2] [--epochs N] [--seed S] EVENTS...\n\n"
    "Fit the linear model over hashed n-grams that scores what a prompt tries to\n"
    "extract, from labelled requests: each request's `label` is the target codes\n"
    "it aims at joined by '+' (reasoning, grading, safe_rewrite, coding,\n"
    "tool_use, computer_use, vision) or `none`.  Deterministic: the same events\n"
    "and seed give a byte-identical model.  Use the model with\n"
    "`huella analyze --model MODEL`; docs/internals/features.md describes it.\n\n"
    "  --out MODEL       model file to write\n"
    "  --buckets LOG2    hashed feature buckets, 2^LOG2 (8..22, default 18)\n"
    "  --epochs N        passes over the data (default 10)\n"
    "  --seed S          example order (default 1)\n";

/* Parse "reasoning+coding" into target bits; -1 on an unknown code. */
static long parse_targets(const char *s, size_t len)
{
    if ((len == 4 && !memcmp(s, "none", 4)) || (len == 6 && !memcmp(s, "benign", 6)))
        return 0;
    long bits = 0;
    while (len) {
        const char *plus = memchr(s, '+', len);
        size_t n = plus ? (size_t)(plus - s) : len;
        int found = -1;
        for (int t = 0; t < HU_TARGET_COUNT; t++) {
            const char *code = hu_target_code((enum hu_target)t);
            if (strlen(code) == n && !memcmp(code, s, n))
                found = t;
        }
        if (found < 0)
            return -1;
        bits |= 1L << found;
        if (!plus)
            break;
        len -= n + 1;
        s = plus + 1;
    }
    return bits;
}

int hu_cmd_train(int argc, char **argv)
{
    static const struct option opts[] = {
        { "out", required_argument, NULL, 'o' }, { "buckets", required_argument, NULL, 'b' },
        { "epochs", required_argument, NULL, 'e' }, { "seed", required_argument, NULL, 's' },
        { "quiet", no_argument, NULL, 'q' }, { NULL, 0, NULL, 0 },
    };
    const char *out = NULL;
    struct hu_linear_fit_params fp = { .seed = 1 };
    int c;
    optind = 1;
    for (;;) {
        c = getopt_long(argc, argv, "o:b:e:s:q", opts, NULL);
        if (c == -1)
            break;
        char *end = NULL;
        switch (c) {
        case 'o': out = optarg; break;
        case 'q': break;
        case 'b':
            fp.log2_buckets = (uint32_t)strtoul(optarg, &end, 10);
            if (*end || fp.log2_buckets < HU_LINEAR_MIN_LOG2 || fp.log2_buckets > HU_LINEAR_MAX_LOG2)
                return hu_cli_usage_error("train", "--buckets must be %u..%u", HU_LINEAR_MIN_LOG2, HU_LINEAR_MAX_LOG2);
            break;
        case 'e':
            fp.epochs = (uint32_t)strtoul(optarg, &end, 10);
            if (*end || fp.epochs < 1 || fp.epochs > 1000)
                return hu_cli_usage_error("train", "--epochs must be 1..1000");
            break;
        case 's':
            fp.seed = strtoull(optarg, &end, 10);
            if (*end)
                return hu_cli_usage_error("train", "--seed must be a number");
            break;
        default: return hu_cli_usage_error("train", "unknown option");
        }
    }
    if (!out)
        return hu_cli_usage_error("train", "--out MODEL is required");
    if (optind >= argc)
        return hu_cli_usage_error("train", "no event files");

    struct hu_ingest *ing = NULL;
    struct hu_ingest_opts io = { .quiet = 0 };
    if (hu_ingest_create(&ing, (const char *const *)argv + optind, (size_t)(argc - optind), &io) != HU_OK)
        return HU_EXIT_USAGE;
    /* examples keep copies of the prompts: the ingest's spans die with the
     * next line.  Training sets are corpora, not traffic: bounded by memory. */
    struct hu_linear_example *ex = NULL;
    size_t n = 0, cap = 0;
    uint64_t skipped = 0, per_target[HU_TARGET_COUNT] = { 0 }, none = 0;
    int rc = HU_EXIT_OK;
    struct hu_event ev;
    for (;;) {
        int got = hu_ingest_next(ing, &ev);
        if (got < 0) { rc = HU_EXIT_FAIL; break; }
        if (got == 0) break;
        if (ev.kind != HU_EV_REQUEST || !ev.label.ptr || !ev.prompt.ptr || !ev.prompt.len) {
            skipped++;
            continue;
        }
        long bits = parse_targets(ev.label.ptr, ev.label.len);
        if (bits < 0) {
            skipped++;
            continue;
        }
        if (hu_grow((void **)&ex, &cap, n + 1, sizeof *ex, 1024)) { rc = HU_EXIT_FAIL; break; }
        char *copy = hu_strndup(ev.prompt.ptr, ev.prompt.len);
        if (!copy) { rc = HU_EXIT_FAIL; break; }
        ex[n++] = (struct hu_linear_example){ copy, ev.prompt.len, (uint32_t)bits };
        for (int t = 0; t < HU_TARGET_COUNT; t++)
            per_target[t] += (bits >> t) & 1;
        none += bits == 0;
    }
    hu_ingest_destroy(ing);
    struct hu_linear_model *m = NULL;
    if (rc == HU_EXIT_OK && n == 0) {
        fprintf(stderr, "huella train: no labelled requests (%llu lines skipped)\n", (unsigned long long)skipped);
        rc = HU_EXIT_USAGE;
    }
    if (rc == HU_EXIT_OK && hu_linear_fit(ex, n, &fp, &m) != HU_OK) {
        fprintf(stderr, "huella train: fitting failed (out of memory)\n");
        rc = HU_EXIT_FAIL;
    }
    if (rc == HU_EXIT_OK && hu_linear_save(m, out) != HU_OK) {
        fprintf(stderr, "huella train: cannot write %s\n", out);
        rc = HU_EXIT_FAIL;
    }
    if (rc == HU_EXIT_OK && !hu_cli_quiet) {
        printf("huella train: %zu examples (%llu none", n, (unsigned long long)none);
        for (int t = 0; t < HU_TARGET_COUNT; t++)
            if (per_target[t])
                printf(", %llu %s", (unsigned long long)per_target[t], hu_target_code((enum hu_target)t));
        printf("), %llu lines skipped -> %s\n", (unsigned long long)skipped, out);
    }
    hu_linear_destroy(m);
    for (size_t i = 0; i < n; i++)
        hu_free((void *)ex[i].text);
    hu_free(ex);
    return rc;
}
