/* cmd_stats.c -- `huella stats EVENTS...` (filled in by the ingest work). */
#include "cli/cli.h"

const char hu_cmd_stats_help[] =
    "usage: huella stats [--format table|json] EVENTS...\n\n"
    "Print what the input holds: lines, events by kind, rejected lines by\n"
    "reason, accounts, time span, top models and profile memory.\n";

int hu_cmd_stats(int argc, char **argv)
{
    (void)argv;
    if (argc < 2)
        return hu_cli_usage_error("stats", "no input files");
    return hu_cli_usage_error("stats", "not built yet");
}
