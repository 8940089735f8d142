/*
 * hu_status.h -- the one status table of huella.
 *
 * Every fallible function returns `int`: HU_OK (0) or one of the negative
 * codes below.  Functions that return a count (bytes consumed, items read)
 * use non-negative values for the count and these codes for failure, the
 * picohttpparser convention.  The table is an X-macro so that the enum,
 * hu_status_name() and hu_status_str() can never disagree (libuv's
 * UV_ERRNO_MAP).
 */
#ifndef HU_STATUS_H
#define HU_STATUS_H

#define HU_STATUS_MAP(X)                                                     \
    X(OK,        0,   "success")                                             \
    X(ENOMEM,   -1,   "out of memory")                                       \
    X(EINVAL,   -2,   "invalid argument")                                    \
    X(EPARSE,   -3,   "malformed input")                                     \
    X(EAGAIN,   -4,   "incomplete input, more bytes needed")                 \
    X(EIO,      -5,   "input/output error")                                  \
    X(ENOENT,   -6,   "no such file or entry")                               \
    X(ETOOBIG,  -7,   "input exceeds a documented limit")                    \
    X(ECORRUPT, -8,   "corrupt or truncated data")                           \
    X(EVERSION, -9,   "unsupported format version")                          \
    X(EUTF8,    -10,  "invalid UTF-8")                                       \
    X(ETYPE,    -11,  "field has the wrong type")                            \
    X(EMISSING, -12,  "required field missing")                              \
    X(EFULL,    -13,  "capacity reached")                                    \
    X(EUNSUPP,  -14,  "unsupported operation or format")                     \
    X(EEXIST,   -15,  "already exists")                                      \
    X(EINTERNAL,-16,  "internal error")                                      \
    X(EOF_,     -17,  "end of input")                                        \
    X(ETIMEDOUT,-18,  "timed out")                                           \
    X(EUNAVAIL, -19,  "service unavailable")

enum hu_status {
#define HU__STATUS_ENUM(name, code, str) HU_##name = (code),
    HU_STATUS_MAP(HU__STATUS_ENUM)
#undef HU__STATUS_ENUM
};

/* Short symbolic name ("ENOMEM"); "UNKNOWN" for a code not in the table. */
const char *hu_status_name(int status);
/* Human sentence ("out of memory"); never NULL. */
const char *hu_status_str(int status);

#if defined(__GNUC__)
#define HU_MUST_CHECK __attribute__((warn_unused_result))
#else
#define HU_MUST_CHECK
#endif

#endif
