/*
 * event.c -- the parsed event: clearing, and the two timestamp forms.
 *
 * RFC 3339 is parsed by hand, strictly by position, because it is on the
 * hot path (one per line) and libc's strptime/timegm are locale- and
 * TZ-dependent.  Epoch days use Howard Hinnant's days_from_civil, exact
 * for the proleptic Gregorian calendar.  Accepted:
 *   YYYY-MM-DD('T'|'t'|' ')HH:MM:SS[.fraction]('Z'|'z'|(+|-)HH:MM|nothing)
 * A missing offset is read as UTC (Postgres and Python exports often omit
 * it; RFC 3339 proper requires it).  Fraction digits beyond milliseconds
 * are truncated.  Leap second :60 is read as :59.999.  Range: years
 * 1970..9999 after applying the offset (a ts before the epoch is bad_ts).
 */
#include "ingest/event.h"
#include "huella/hu_status.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define HU__MAX_TS_MS INT64_C(253402300799999) /* 9999-12-31T23:59:59.999Z */

void hu_event_clear(struct hu_event *ev)
{
    /* Spans: ptr NULL is absent, so zeroing clears them all.  The tools
     * array is not cleared: n_tools says how much of it is valid. */
    memset(ev, 0, offsetof(struct hu_event, tools));
    ev->n_truncated = 0;
    ev->kind = HU_EV_REQUEST;
    ev->ts_ms = HU_EV_ABSENT;
    ev->thinking = -1;
    ev->thinking_budget = HU_EV_ABSENT;
    ev->max_tokens = ev->input_tokens = ev->output_tokens = HU_EV_ABSENT;
    ev->status = HU_EV_ABSENT;
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int digits(const char *p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        unsigned d = (unsigned char)p[i] - '0';
        if (d > 9)
            return 0;
        v = v * 10 + (int)d;
    }
    *out = v;
    return 1;
}

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int hu_parse_rfc3339(const char *p, size_t len, int64_t *ms_out)
{
    static const unsigned char mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int Y, M, D, h, mi, s;
    if (!p || !ms_out || len < 19)
        return HU_EPARSE;
    if (!digits(p, 4, &Y) || p[4] != '-' || !digits(p + 5, 2, &M) || p[7] != '-' ||
        !digits(p + 8, 2, &D) || (p[10] != 'T' && p[10] != 't' && p[10] != ' ') ||
        !digits(p + 11, 2, &h) || p[13] != ':' || !digits(p + 14, 2, &mi) || p[16] != ':' ||
        !digits(p + 17, 2, &s))
        return HU_EPARSE;
    if (M < 1 || M > 12 || D < 1 || h > 23 || mi > 59 || s > 60)
        return HU_EPARSE;
    int dim = mdays[M - 1] + (M == 2 && is_leap(Y));
    if (D > dim)
        return HU_EPARSE;
    size_t i = 19;
    int frac_ms = 0;
    if (s == 60) {          /* leap second: the last instant of :59 */
        s = 59;
        frac_ms = 999;
    }
    if (i < len && p[i] == '.') {
        i++;
        size_t start = i;
        int scale = 100, ms = 0;
        while (i < len && (unsigned)((unsigned char)p[i] - '0') <= 9) {
            if (scale > 0) {
                ms += (p[i] - '0') * scale;
                scale /= 10;
            }
            i++;
            if (i - start > 18)
                return HU_EPARSE;
        }
        if (i == start)
            return HU_EPARSE;
        if (frac_ms == 0)
            frac_ms = ms;
    }
    int off_min = 0;
    if (i < len) {
        if ((p[i] == 'Z' || p[i] == 'z') && i + 1 == len) {
            i++;
        } else if ((p[i] == '+' || p[i] == '-') && len - i == 6) {
            int oh, om;
            if (!digits(p + i + 1, 2, &oh) || p[i + 3] != ':' || !digits(p + i + 4, 2, &om) ||
                oh > 23 || om > 59)
                return HU_EPARSE;
            off_min = (oh * 60 + om) * (p[i] == '-' ? -1 : 1);
            i += 6;
        } else {
            return HU_EPARSE;
        }
    }
    int64_t days = days_from_civil(Y, (unsigned)M, (unsigned)D);
    int64_t secs = days * 86400 + h * 3600 + mi * 60 + s - (int64_t)off_min * 60;
    int64_t ms = secs * 1000 + frac_ms;
    if (ms < 0 || ms > HU__MAX_TS_MS)
        return HU_EPARSE;
    *ms_out = ms;
    return HU_OK;
}

int64_t hu_ts_from_number(double v)
{
    if (!isfinite(v) || v < 0)
        return HU_EV_ABSENT;
    double ms = v > 1e11 ? v : v * 1000.0;
    if (ms > (double)HU__MAX_TS_MS)
        return HU_EV_ABSENT;
    /* floor, plus a hair so that 1.001 s (0.1 ulp below 1001 ms) stays 1001 */
    return (int64_t)floor(ms + 1e-6);
}

void hu_format_rfc3339(int64_t ms, char *buf, size_t cap)
{
    if (!buf || cap == 0)
        return;
    if (ms < 0 || ms > HU__MAX_TS_MS) {
        snprintf(buf, cap, "%s", "");
        return;
    }
    int64_t secs = ms / 1000, frac = ms % 1000;
    int64_t z = secs / 86400 + 719468;
    int64_t sod = secs % 86400;
    /* civil_from_days (Hinnant) */
    const int64_t era = z / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = (int64_t)yoe + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    snprintf(buf, cap, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", (int)y, m, d,
             (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60), (int)frac);
}
