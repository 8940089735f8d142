/*
 * clock.h -- the clocks huella reads, in integer units.
 *
 * Monotonic time for durations, timeouts, leases and rate limits (it never
 * jumps when the wall clock is set); wall time only for what is written
 * down and compared across processes (checkpoints, generations).  Each is
 * one clock_gettime (a vDSO call, no system call), no state.  The HTTP
 * server's per-request clock is CLOCK_MONOTONIC_COARSE on purpose and
 * stays in serve/server.c.
 */
#ifndef HU_CORE_CLOCK_H
#define HU_CORE_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Monotonic microseconds (arbitrary origin). */
static inline int64_t hu_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Monotonic milliseconds (arbitrary origin). */
static inline int64_t hu_mono_ms(void)
{
    return hu_mono_us() / 1000;
}

/* Monotonic seconds, for progress and --timings. */
static inline double hu_mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wall-clock milliseconds since the Unix epoch. */
static inline int64_t hu_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
