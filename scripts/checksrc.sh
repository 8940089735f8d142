#!/bin/sh
# checksrc.sh -- house rules the compiler does not check (curl's checksrc).
# Bans: strcpy, strcat, sprintf, vsprintf, gets, atoi, atol, strtok, rand,
# srand (unsafe, locale- or state-dependent, or unseeded), and assignments
# inside if/while conditions.  Prints each offence as file:line and exits 1.
cd "${1:-$(dirname "$0")/..}" || exit 2
files=$(find src sim eval include -name '*.c' -o -name '*.h' -o -name '*.cpp' 2>/dev/null)
[ -n "$files" ] || exit 0
bad=0
# shellcheck disable=SC2086
if grep -nE '(^|[^_a-zA-Z0-9.>])(strcpy|strcat|sprintf|vsprintf|gets|atoi|atol|strtok|rand|srand)[[:space:]]*\(' $files \
        | grep -v 'checksrc: allow'; then
    echo "checksrc: banned function (use memcpy/hu_buf/snprintf/strtol/a seeded PRNG)"; bad=1
fi
# if ((x = f())) / while ((n = read())) -- assignment in a condition
# shellcheck disable=SC2086
if grep -nE '(^|[^a-z_])(if|while)[[:space:]]*\(\(?[^()=!<>]*[^=!<>]=[^=][^)]*\)' $files \
        | grep -vE '==|!=|<=|>=' | grep -v 'checksrc: allow'; then
    echo "checksrc: assignment inside a condition"; bad=1
fi
# while ((n = f()) > 0) -- an assignment wrapped in a comparison
# shellcheck disable=SC2086
if grep -nE '(^|[^a-z_])(if|while)[[:space:]]*\(\([[:space:]]*[A-Za-z_][A-Za-z0-9_>.-]*[[:space:]]*=[^=]' $files \
        | grep -v 'checksrc: allow'; then
    echo "checksrc: assignment inside a condition"; bad=1
fi
exit $bad
