/*
 * main.c -- `huella CMD [options]`: dispatch to the command table.
 */
#include "cli/cli.h"
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

int hu_cli_quiet;

struct hu_command {
    const char *name;
    int (*fn)(int, char **);
    const char *summary;
    const char *help;
};

static const struct hu_command commands[] = {
#define HU__CMD_ROW(name, fn, summary) { #name, fn, summary, fn##_help },
    HU_COMMAND_MAP(HU__CMD_ROW)
#undef HU__CMD_ROW
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static const struct hu_command *find_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (!strcmp(commands[i].name, name))
            return &commands[i];
    return NULL;
}

static void print_usage(FILE *out)
{
    fprintf(out,
            "huella %s -- find distillation campaigns in LLM API traffic\n\n"
            "usage: huella COMMAND [options] [EVENTS...]\n\n"
            "commands:\n", HU_VERSION);
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-13s %s\n", commands[i].name, commands[i].summary);
    fprintf(out,
            "\nEVENTS are JSON Lines files in the event contract (plain, .gz, .zst;\n"
            "'-' is standard input).  `huella help COMMAND` or `huella COMMAND --help`\n"
            "describes each command.  Exit status: 0 the run completed, 1 internal\n"
            "failure, 2 bad usage or unreadable input.\n");
}

int hu_cli_print_help(const char *cmd, FILE *out)
{
    const struct hu_command *c = find_command(cmd);
    if (!c)
        return -1;
    fputs(c->help, out);
    return 0;
}

const char hu_cmd_help_help[] =
    "usage: huella help [COMMAND]\n\n"
    "Print the list of commands, or the help of one command.\n";

int hu_cmd_help(int argc, char **argv)
{
    if (argc < 2) {
        print_usage(stdout);
        return HU_EXIT_OK;
    }
    if (hu_cli_print_help(argv[1], stdout) != 0)
        return hu_cli_usage_error("help", "unknown command '%s'", argv[1]);
    return HU_EXIT_OK;
}

const char hu_cmd_version_help[] =
    "usage: huella version\n\nPrint huella's version and the commit it was built from.\n";

int hu_cmd_version(int argc, char **argv)
{
    (void)argc; (void)argv;
    printf("huella %s (%s)\n", HU_VERSION, HU_GIT_REV);
    return HU_EXIT_OK;
}

/* A readable file at dir/rel, into buf; 1 if so. */
static int readable_at(char *buf, size_t cap, const char *dir, const char *rel)
{
    int n = snprintf(buf, cap, "%s/%s", dir, rel);
    return n > 0 && (size_t)n < cap && access(buf, R_OK) == 0;
}

const char *hu_cli_default_model(void)
{
    static char path[4096];
    const char *env = getenv("HUELLA_MODEL");
    if (env)
        return env[0] && strcmp(env, "none") != 0 ? env : NULL;
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return NULL;
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    if (!slash)
        return NULL;
    *slash = 0;   /* the binary's directory */
    if (readable_at(path, sizeof path, exe, "../share/huella/targets.model") ||
        readable_at(path, sizeof path, exe, "../targets.model"))
        return path;
    return NULL;
}

int hu_cli_parse_format(const char *s)
{
    if (!strcmp(s, "table")) return HU_FORMAT_TABLE;
    if (!strcmp(s, "json"))  return HU_FORMAT_JSON;
    return -1;
}

int hu_cli_progress_enabled(void)
{
    const char *ci = getenv("CI");
    if (hu_cli_quiet || (ci && !strcmp(ci, "true")))
        return 0;
    return isatty(STDERR_FILENO);
}

int hu_cli_color_enabled(void)
{
    const char *nc = getenv("NO_COLOR");
    if (nc && *nc)
        return 0;
    return isatty(STDOUT_FILENO);
}

int hu_cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "huella %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'huella help %s'.\n", cmd);
    return HU_EXIT_USAGE;
}

/* Blocks of 512 KiB and more (profile pages, the observer's batches, the
 * tables' arrays) are mapped and unmapped on their own, whichever thread
 * allocated them.  glibc otherwise raises its mmap threshold after the first
 * such free, and later blocks stay in the allocating thread's arena: the
 * observer's merge frees its shards' profile pages on the main thread while
 * it fills the final table, and could not reuse them (measured: peak RSS 434
 * -> 301 MB for 1,000,000 accounts at --max-accounts 50000 on two threads). */
static void tune_allocator(void)
{
#ifdef __GLIBC__
    (void)mallopt(M_MMAP_THRESHOLD, 512 * 1024);
#endif
}

int main(int argc, char **argv)
{
    hu_log_init();
    tune_allocator();
    if (argc < 2) {
        print_usage(stderr);
        return HU_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (!strcmp(name, "--version") || !strcmp(name, "-V"))
        return hu_cmd_version(0, NULL);
    if (!strcmp(name, "--help") || !strcmp(name, "-h"))
        return hu_cmd_help(1, argv + 1);
    const struct hu_command *c = find_command(name);
    if (!c) {
        fprintf(stderr, "huella: unknown command '%s'\n\n", name);
        print_usage(stderr);
        return HU_EXIT_USAGE;
    }
    /* `huella CMD --help` works for every command without its own code. */
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--"))
            break;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(c->help, stdout);
            return HU_EXIT_OK;
        }
        if (!strcmp(argv[i], "--quiet") || !strcmp(argv[i], "-q")) {
            hu_cli_quiet = 1;
            hu_log_set_level(HU_LOG_WARN);
        }
    }
    return c->fn(argc - 1, argv + 1);
}
