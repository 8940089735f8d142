/*
 * log.h -- levelled logging to stderr and per-component tracing.
 *
 * Levels: error, warn, info, debug.  HUELLA_LOG=debug|info|warn|error sets
 * the threshold (default info); `--quiet` sets warn.  Tracing is switched on
 * per component with HUELLA_TRACE=ingest,link,-http ("all" for every one,
 * a leading '-' switches one off), as curl's curl_trc.h does.  The macros
 * test the level before formatting, so a disabled log line costs one load
 * and one compare (Redis serverLog).
 *
 * Privacy rule (STYLE.md 26): never pass prompt, system or message text to
 * these functions.  Log account ids, fingerprints, counts and reasons.
 */
#ifndef HU_CORE_LOG_H
#define HU_CORE_LOG_H

#include <stdarg.h>

enum hu_log_level { HU_LOG_ERROR = 0, HU_LOG_WARN, HU_LOG_INFO, HU_LOG_DEBUG };

/* Trace components: one bit each.  Add a row here and to log.c's table. */
#define HU_TRACE_MAP(X) \
    X(INGEST, "ingest") X(FEATURES, "features") X(PROFILE, "profile") \
    X(LINK, "link") X(SCORE, "score") X(STORE, "store") X(HTTP, "http") \
    X(SIM, "sim") X(REPORT, "report")

enum hu_trace_comp {
#define HU__TRACE_ENUM(name, str) HU_TRACE_##name,
    HU_TRACE_MAP(HU__TRACE_ENUM)
#undef HU__TRACE_ENUM
    HU_TRACE_COUNT
};

extern int      hu__log_level;
extern unsigned hu__trace_mask;

/* Read HUELLA_LOG and HUELLA_TRACE; call once at start.  Idempotent. */
void hu_log_init(void);
void hu_log_set_level(enum hu_log_level level);
/* Program name shown before each message ("huella"). */
void hu_log_set_prog(const char *name);

#if defined(__GNUC__)
#define HU_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define HU_PRINTF(a, b)
#endif

void hu__log(enum hu_log_level level, const char *fmt, ...) HU_PRINTF(2, 3);
void hu__trace(enum hu_trace_comp comp, const char *fmt, ...) HU_PRINTF(2, 3);

#define hu_log(level, ...) \
    do { if ((int)(level) <= hu__log_level) hu__log((level), __VA_ARGS__); } while (0)
#define hu_error(...) hu_log(HU_LOG_ERROR, __VA_ARGS__)
#define hu_warn(...)  hu_log(HU_LOG_WARN, __VA_ARGS__)
#define hu_info(...)  hu_log(HU_LOG_INFO, __VA_ARGS__)
#define hu_debug(...) hu_log(HU_LOG_DEBUG, __VA_ARGS__)
#define hu_trace(comp, ...) \
    do { if (hu__trace_mask & (1u << HU_TRACE_##comp)) hu__trace(HU_TRACE_##comp, __VA_ARGS__); } while (0)

#endif
