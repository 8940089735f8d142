/*
 * assert.h -- hu_assert() is always on, in release builds too.
 *
 * It states invariants whose violation means a bug in huella, never bad
 * input (bad input is rejected and counted, see STYLE.md rule 17).  On
 * failure it prints the expression, file and line and aborts, so that a
 * core dump or sanitizer report points at the broken invariant.
 */
#ifndef HU_CORE_ASSERT_H
#define HU_CORE_ASSERT_H

#if defined(__GNUC__)
#define HU_NORETURN __attribute__((noreturn))
#define HU_LIKELY(x)   __builtin_expect(!!(x), 1)
#define HU_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define HU_NORETURN
#define HU_LIKELY(x)   (x)
#define HU_UNLIKELY(x) (x)
#endif

HU_NORETURN void hu__assert_fail(const char *expr, const char *file, int line);

#define hu_assert(e) \
    (HU_LIKELY(e) ? (void)0 : hu__assert_fail(#e, __FILE__, __LINE__))

#define HU_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
