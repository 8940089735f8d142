/* log.c -- see log.h. */
#include "core/log.h"
#include "core/assert.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int      hu__log_level = HU_LOG_INFO;
unsigned hu__trace_mask;
static const char *prog = "huella";

static const char *const trace_names[HU_TRACE_COUNT] = {
#define HU__TRACE_NAME(name, str) str,
    HU_TRACE_MAP(HU__TRACE_NAME)
#undef HU__TRACE_NAME
};

static const char *const level_names[] = { "error", "warning", "info", "debug" };

static void parse_trace(const char *spec)
{
    while (spec && *spec) {
        const char *end = strchr(spec, ',');
        size_t len = end ? (size_t)(end - spec) : strlen(spec);
        int off = 0;
        const char *w = spec;
        if (len && *w == '-') { off = 1; w++; len--; }
        if (len == 3 && !memcmp(w, "all", 3)) {
            hu__trace_mask = off ? 0 : ~0u;
        } else {
            for (int i = 0; i < HU_TRACE_COUNT; i++) {
                if (strlen(trace_names[i]) == len && !memcmp(trace_names[i], w, len)) {
                    if (off) hu__trace_mask &= ~(1u << i);
                    else     hu__trace_mask |= 1u << i;
                }
            }
        }
        spec = end ? end + 1 : NULL;
    }
}

void hu_log_init(void)
{
    const char *lv = getenv("HUELLA_LOG");
    if (lv) {
        for (int i = 0; i <= HU_LOG_DEBUG; i++)
            if (!strcmp(lv, level_names[i]) || (i == HU_LOG_WARN && !strcmp(lv, "warn")))
                hu__log_level = i;
    }
    parse_trace(getenv("HUELLA_TRACE"));
}

void hu_log_set_level(enum hu_log_level level) { hu__log_level = (int)level; }
void hu_log_set_prog(const char *name) { prog = name; }

void hu__log(enum hu_log_level level, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (level == HU_LOG_INFO)
        fprintf(stderr, "%s: %s\n", prog, line);
    else
        fprintf(stderr, "%s: %s: %s\n", prog, level_names[level], line);
}

void hu__trace(enum hu_trace_comp comp, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s: [%s] %s\n", prog, trace_names[comp], line);
}

void hu__assert_fail(const char *expr, const char *file, int line)
{
    fprintf(stderr, "%s: internal error: assertion `%s' failed at %s:%d\n",
            prog, expr, file, line);
    fflush(stderr);
    abort();
}
