/* tz.c -- country -> typical UTC offset, see tz.h. */
#include "score/tz.h"

#include <stddef.h>

static const struct { char cc[3]; signed char h; } zones[] = {
    { "AE", 4 }, { "AR", -3 }, { "AT", 1 }, { "AU", 10 }, { "BD", 6 }, { "BE", 1 }, { "BG", 2 },
    { "BR", -3 }, { "CA", -5 }, { "CH", 1 }, { "CL", -4 }, { "CN", 8 }, { "CO", -5 }, { "CZ", 1 },
    { "DE", 1 }, { "DK", 1 }, { "DZ", 1 }, { "EG", 2 }, { "ES", 1 }, { "FI", 2 }, { "FR", 1 },
    { "GB", 0 }, { "GR", 2 }, { "HK", 8 }, { "HU", 1 }, { "ID", 7 }, { "IE", 0 }, { "IL", 2 },
    { "IN", 5 }, { "IR", 3 }, { "IT", 1 }, { "JP", 9 }, { "KE", 3 }, { "KR", 9 }, { "KZ", 5 },
    { "MA", 1 }, { "MX", -6 }, { "MY", 8 }, { "NG", 1 }, { "NL", 1 }, { "NO", 1 }, { "NZ", 12 },
    { "PE", -5 }, { "PH", 8 }, { "PK", 5 }, { "PL", 1 }, { "PT", 0 }, { "RO", 2 }, { "RU", 3 },
    { "SA", 3 }, { "SE", 1 }, { "SG", 8 }, { "TH", 7 }, { "TR", 3 }, { "TW", 8 }, { "UA", 2 },
    { "US", -6 }, { "VE", -4 }, { "VN", 7 }, { "ZA", 2 },
};

int hu_tz_offset_hours(const char cc[2], int *known)
{
    char a = cc[0], b = cc[1];
    if (a >= 'a' && a <= 'z') a = (char)(a - 32);
    if (b >= 'a' && b <= 'z') b = (char)(b - 32);
    for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++) {
        if (zones[i].cc[0] == a && zones[i].cc[1] == b) {
            *known = 1;
            return zones[i].h;
        }
    }
    *known = 0;
    return 0;
}
