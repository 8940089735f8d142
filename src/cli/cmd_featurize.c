/*
 * cmd_featurize.c -- `huella featurize EVENTS...`: the same events with
 * `system`, `prompt` and `messages` replaced by the `features` object
 * (docs/featurize.md, docs/formats/features.md).
 *
 * Line by line, in input order, one pass, bounded memory: each line is
 * parsed by the contract parser (the same as analyze), its features are
 * computed by the same code analyze runs, and the line is rewritten with
 * every other member kept byte for byte.  A line the contract parser
 * rejects is dropped and counted (reported by number and reason, never by
 * content): it may hold text, and analyze would reject it anyway.
 *
 * With --map FILE (a foreign log shape, the map of `analyze --map`), the
 * output is not the input rewritten but a contract line written from the
 * parsed event: the mapped fields and the features object, nothing else.
 * A foreign line may hold text anywhere (a LiteLLM payload carries the
 * response too), and only mapped fields are known; so the output is
 * contract events that `huella analyze` reads without the map, with the
 * verdicts of `analyze --map FILE --feature-key KEY` on the input.
 */
#include "cli/cli.h"
#include "core/buf.h"
#include "features/featurized.h"
#include "ingest/ingest.h"
#include "ingest/map.h"
#include "ingest/reader.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

const char hu_cmd_featurize_help[] =
    "usage: huella featurize --feature-key FILE [options] EVENTS...\n"
    "       huella featurize --new-key FILE\n\n"
    "Write the events with `system`, `prompt` and `messages` replaced by the\n"
    "text features huella uses (template keys, near-duplicate signature,\n"
    "extraction-target scores, length, language, message and content-block\n"
    "counts) in a `features` object.  Every other field is kept byte for byte;\n"
    "`huella analyze` reaches the same verdicts on the output as on the input\n"
    "when given the same --feature-key.  Hashes are keyed with the deployment\n"
    "secret so that nobody holding the features can test them against a\n"
    "dictionary of common prompts.\n\n"
    "  --feature-key FILE  deployment secret (16..4096 bytes, used as is)\n"
    "  --new-key FILE      write 32 random bytes to a new FILE (mode 0600), exit\n"
    "  --unkeyed           no key: plain hashes (only where the features never\n"
    "                      leave the place the text was allowed to be)\n"
    "  --map FILE          read a foreign log shape (`field = json.path` lines,\n"
    "                      as for analyze); the output is contract events: the\n"
    "                      mapped fields and the features object, nothing else\n"
    "  --model FILE        extraction-target model (default: analyze's; give the\n"
    "                      one analyze uses, or its verdicts on the output differ)\n"
    "  --no-model          the phrase patterns and request-shape hints alone\n"
    "  -o, --out FILE      write to FILE instead of standard output\n"
    "  --rejects FILE      write every dropped line's source, number and reason\n"
    "  -q, --quiet         no summary on stderr\n\n"
    "Rejected lines (ones analyze would reject too) are dropped and counted:\n"
    "they may hold text.  Lines already featurized are copied; lines without\n"
    "text are copied.\n\n"
    "Exit status: 0 the run completed; 2 bad usage, unreadable input or key;\n"
    "1 internal failure (out of memory, cannot write the output).\n";

struct run {
    struct hu_features *fx;
    struct hu_fx_worker *w;
    struct hu_fz_reader *r;
    struct hu_line_parser *lp;
    struct hu_map *map;
    const struct hu_fkey *k;
    struct hu_fkey key;
    struct hu_buf out;
    FILE *o, *rejects;
    uint64_t lines, blank, outcome[4], rejected, by_reason[HU_REJECT_COUNT];
    unsigned shown;
    int quiet;
};

static int one_file(struct run *x, const char *path)
{
    struct hu_reader rd;
    struct hu_line line;
    int rc = hu_reader_open(&rd, path);
    if (rc != HU_OK) {
        fprintf(stderr, "huella featurize: %s\n", rd.errmsg[0] ? rd.errmsg : hu_status_str(rc));
        return HU_EXIT_USAGE;
    }
    int status = HU_EXIT_OK;
    for (;;) {
        rc = hu_reader_next(&rd, &line);
        if (rc != 1)
            break;
        x->lines++;
        int why = HU_REJECT_NONE;
        if (line.too_long) {
            why = HU_REJECT_LINE_TOO_LONG;
        } else {
            size_t i = 0;
            while (i < line.len && (line.ptr[i] == ' ' || line.ptr[i] == '\t' || line.ptr[i] == '\r'))
                i++;
            if (i == line.len) {
                x->blank++;
                continue;
            }
            rc = x->map ? hu_fz_line_mapped(x->w, x->lp, x->k, line.ptr, line.len, 1, &x->out, NULL, 0,
                                            NULL, &why)
                        : hu_fz_line(x->w, x->r, x->lp, x->k, line.ptr, line.len, 1, &x->out, NULL, 0,
                                     NULL, &why);
            if (rc > 0) {
                x->outcome[rc]++;
                if (fwrite(x->out.ptr, 1, x->out.len, x->o) != x->out.len || fputc('\n', x->o) == EOF) {
                    fprintf(stderr, "huella featurize: cannot write the output: %s\n", strerror(errno));
                    status = HU_EXIT_FAIL;
                    break;
                }
                continue;
            }
            if (rc != HU_EPARSE) {
                fprintf(stderr, "huella featurize: %s: line %llu: %s\n", path,
                        (unsigned long long)rd.lines, hu_status_str(rc));
                status = HU_EXIT_FAIL;
                break;
            }
        }
        x->rejected++;
        if ((unsigned)why < HU_REJECT_COUNT)
            x->by_reason[why]++;
        if (!x->quiet && x->shown++ < HU_MAX_REJECTS_SHOWN)
            fprintf(stderr, "huella featurize: %s:%llu: dropped: %s\n", path,
                    (unsigned long long)rd.lines, hu_reject_name((enum hu_reject)why));
        if (x->rejects) {
            struct hu_buf b;
            hu_buf_init(&b, 8192);
            if (hu_buf_adds(&b, "{\"source\":\"") == HU_OK && hu_buf_add_json_str(&b, path, strlen(path)) == HU_OK &&
                hu_buf_printf(&b, "\",\"line\":%llu,\"reason\":\"%s\"}\n", (unsigned long long)rd.lines,
                              hu_reject_name((enum hu_reject)why)) == HU_OK)
                (void)fwrite(b.ptr, 1, b.len, x->rejects);
            hu_buf_fini(&b);
        }
    }
    if (rc < 0 && status == HU_EXIT_OK) {
        fprintf(stderr, "huella featurize: %s\n", rd.errmsg[0] ? rd.errmsg : hu_status_str(rc));
        status = rc == HU_ENOMEM ? HU_EXIT_FAIL : HU_EXIT_USAGE;
    }
    hu_reader_fini(&rd);
    return status;
}

int hu_cmd_featurize(int argc, char **argv)
{
    static const struct option opts[] = {
        { "feature-key", required_argument, NULL, 'k' }, { "new-key", required_argument, NULL, 'N' },
        { "unkeyed", no_argument, NULL, 'U' },           { "out", required_argument, NULL, 'o' },
        { "rejects", required_argument, NULL, 'r' },     { "quiet", no_argument, NULL, 'q' },
        { "map", required_argument, NULL, 'm' },         { "model", required_argument, NULL, 'M' },
        { "no-model", no_argument, NULL, 'Z' },          { NULL, 0, NULL, 0 },
    };
    const char *key_path = NULL, *new_key = NULL, *out_path = NULL, *rejects = NULL, *map_path = NULL;
    const char *model = NULL;
    int unkeyed = 0, no_model = 0, c;
    struct run x;
    memset(&x, 0, sizeof x);
    optind = 1;
    for (;;) {
        c = getopt_long(argc, argv, "k:N:Uo:r:qm:M:Z", opts, NULL);
        if (c == -1)
            break;
        switch (c) {
        case 'k': key_path = optarg; break;
        case 'N': new_key = optarg; break;
        case 'U': unkeyed = 1; break;
        case 'o': out_path = optarg; break;
        case 'r': rejects = optarg; break;
        case 'q': x.quiet = 1; break;
        case 'm': map_path = optarg; break;
        case 'M': model = optarg; break;
        case 'Z': no_model = 1; break;
        default: return hu_cli_usage_error("featurize", "unknown option");
        }
    }
    char err[512] = "";
    if (new_key) {
        if (optind < argc || key_path || unkeyed || map_path)
            return hu_cli_usage_error("featurize", "--new-key FILE takes nothing else");
        int rc = hu_fkey_generate(new_key, err, sizeof err);
        if (rc != HU_OK) {
            fprintf(stderr, "huella featurize: %s\n", err[0] ? err : hu_status_str(rc));
            return HU_EXIT_USAGE;
        }
        if (!x.quiet)
            fprintf(stderr, "huella featurize: wrote a new feature key to %s (keep it secret; "
                            "give the same file to analyze)\n", new_key);
        return HU_EXIT_OK;
    }
    if (!key_path && !unkeyed)
        return hu_cli_usage_error("featurize", "--feature-key FILE is required (or --unkeyed)");
    if (key_path && unkeyed)
        return hu_cli_usage_error("featurize", "--feature-key and --unkeyed exclude each other");
    if (optind >= argc)
        return hu_cli_usage_error("featurize", "no event files");

    int status = HU_EXIT_OK, rc;
    if (map_path) {
        /* before the feature context (seconds to build): a typo fails fast */
        rc = hu_map_load(&x.map, map_path, err, sizeof err);
        if (rc != HU_OK) {
            fprintf(stderr, "huella featurize: %s\n", err[0] ? err : hu_status_str(rc));
            return rc == HU_ENOMEM ? HU_EXIT_FAIL : HU_EXIT_USAGE;
        }
    }
    if (model && no_model)
        return hu_cli_usage_error("featurize", "--model and --no-model exclude each other");
    if (!model && !no_model)
        model = hu_cli_default_model();
    struct hu_features_config cfg = { .feature_key_file = key_path, .model_file = model };
    rc = hu_features_create(&cfg, &x.fx, err, sizeof err);
    if (rc != HU_OK) {
        fprintf(stderr, "huella featurize: %s\n", err[0] ? err : hu_status_str(rc));
        hu_map_destroy(x.map);
        return rc == HU_ENOMEM ? HU_EXIT_FAIL : HU_EXIT_USAGE;
    }
    if (key_path) {
        rc = hu_fkey_load(key_path, &x.key, err, sizeof err);   /* the same bytes create() derived */
        if (rc != HU_OK) {
            fprintf(stderr, "huella featurize: %s\n", err);
            status = HU_EXIT_USAGE;
            goto out;
        }
        x.k = &x.key;
    }
    hu_buf_init(&x.out, 2 * (size_t)HU_MAX_LINE_BYTES);
    if (hu_fx_worker_create(x.fx, &x.w) != HU_OK || hu_fz_reader_create(&x.r) != HU_OK ||
        hu_line_parser_create(&x.lp, x.map) != HU_OK) {
        fprintf(stderr, "huella featurize: out of memory\n");
        status = HU_EXIT_FAIL;
        goto out;
    }
    x.o = stdout;
    if (out_path) {
        x.o = fopen(out_path, "w");
        if (!x.o) {
            fprintf(stderr, "huella featurize: cannot create %s: %s\n", out_path, strerror(errno));
            status = HU_EXIT_USAGE;
            goto out;
        }
    }
    if (rejects) {
        x.rejects = fopen(rejects, "w");
        if (!x.rejects) {
            fprintf(stderr, "huella featurize: cannot create %s: %s\n", rejects, strerror(errno));
            status = HU_EXIT_USAGE;
            goto out;
        }
    }
    for (int i = optind; i < argc && status != HU_EXIT_FAIL; i++) {
        int st = one_file(&x, argv[i]);
        if (st != HU_EXIT_OK && status == HU_EXIT_OK)
            status = st;
    }
    if (fflush(x.o) != 0) {
        fprintf(stderr, "huella featurize: cannot write the output: %s\n", strerror(errno));
        status = HU_EXIT_FAIL;
    }
    if (!x.quiet)
        fprintf(stderr, "huella featurize: %llu lines: %llu featurized, %llu already featurized, "
                        "%llu without text, %llu dropped (rejected), %llu blank; %s\n",
                (unsigned long long)x.lines, (unsigned long long)x.outcome[HU_FZ_FEATURIZED],
                (unsigned long long)x.outcome[HU_FZ_KEPT], (unsigned long long)x.outcome[HU_FZ_NO_TEXT],
                (unsigned long long)x.rejected, (unsigned long long)x.blank,
                x.k ? "keyed" : "UNKEYED hashes");
out:
    if (x.o && x.o != stdout && fclose(x.o) != 0 && status == HU_EXIT_OK)
        status = HU_EXIT_FAIL;
    if (x.rejects)
        fclose(x.rejects);
    hu_line_parser_destroy(x.lp);
    hu_fz_reader_destroy(x.r);
    hu_fx_worker_destroy(x.w);
    hu_features_destroy(x.fx);
    hu_map_destroy(x.map);
    hu_buf_fini(&x.out);
    return status;
}
