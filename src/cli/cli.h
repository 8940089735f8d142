/*
 * cli.h -- what every `huella CMD` shares: the command table, the exit
 * codes of EVENTS.md, output-format and colour choices.
 *
 * Adding a command: write `int hu_cmd_NAME(int argc, char **argv)` and its
 * help text in src/cli/cmd_NAME.c (or sim/, eval/), then add one row to
 * HU_COMMAND_MAP below.  argv[0] is the command name; getopt_long works.
 */
#ifndef HU_CLI_H
#define HU_CLI_H

#include <stdio.h>

/* Exit codes (shared/docs/EVENTS.md): 0 the run completed, whatever it
 * found; 1 internal failure; 2 bad usage or unreadable input. */
enum { HU_EXIT_OK = 0, HU_EXIT_FAIL = 1, HU_EXIT_USAGE = 2 };

/*        name        function            one-line summary */
#define HU_COMMAND_MAP(X)                                                                  \
    X(analyze,  hu_cmd_analyze,  "find the campaigns, score every account, explain why")       \
    X(eval,     hu_cmd_eval,     "score an analysis against the ground-truth labels of its events") \
    X(stats,    hu_cmd_stats,    "what an event file holds: lines, kinds, rejects, accounts, span") \
    X(simulate, hu_cmd_simulate, "write labelled simulated traffic (scenarios, evasions, address plan)") \
    X(export,   hu_cmd_export,   "share campaigns as a STIX 2.1 bundle; sign, verify, make keys") \
    X(train,    hu_cmd_train,    "fit the extraction-target model from labelled requests")    \
    X(serve,    hu_cmd_serve,    "the decision service for an API gateway (HTTP, SQLite)") \
    X(fingerprints, hu_cmd_fingerprints, "manage a campaign fingerprint library: list, show, merge, prune") \
    X(featurize, hu_cmd_featurize, "replace prompt text by keyed text features (for zero-retention traffic)") \
    X(publish,  hu_cmd_publish,  "publish event files to the cluster's sharded JetStream stream") \
    X(worker,   hu_cmd_worker,   "a cluster profile worker: shards of the stream into checkpointed profiles") \
    X(linker,   hu_cmd_linker,   "campaigns from the workers' profile summaries, decisions to a KV bucket") \
    X(cluster,  hu_cmd_cluster,  "cluster status: shards, lag, workers, linker (table, json, prometheus)") \
    X(version,  hu_cmd_version,  "print the version")                                    \
    X(help,     hu_cmd_help,     "help on a command")

#define HU__CMD_DECL(name, fn, summary) \
    int fn(int argc, char **argv);      \
    extern const char fn##_help[];
HU_COMMAND_MAP(HU__CMD_DECL)
#undef HU__CMD_DECL

enum hu_format { HU_FORMAT_TABLE = 0, HU_FORMAT_JSON };

/* Parse "table" or "json"; -1 if neither. */
int hu_cli_parse_format(const char *s);
/* True when progress may be drawn: stderr is a terminal, not CI, not quiet. */
int hu_cli_progress_enabled(void);
/* True when stdout may carry ANSI colour (NO_COLOR unset or empty, a tty). */
int hu_cli_color_enabled(void);
/* Print "huella CMD: MSG" and the hint to run help; returns HU_EXIT_USAGE. */
int hu_cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Print the help text of the command named `cmd` to `out`; 0 if known. */
int hu_cli_print_help(const char *cmd, FILE *out);
/* The extraction-target model (docs/signals.md, "The trained model") a
 * command uses when it is given neither --model FILE nor --no-model:
 * $HUELLA_MODEL when set ("" or "none": no model); else targets.model
 * installed beside the binary (PREFIX/share/huella/targets.model, `make
 * install`); else the build tree's (build/targets.model beside
 * build/<mode>/huella, built by `make`).  NULL: no model found, and the
 * phrase patterns and request-shape hints work alone.  A static buffer. */
const char *hu_cli_default_model(void);
/* Set by --quiet. */
extern int hu_cli_quiet;

#endif
