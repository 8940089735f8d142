/*
 * client.c -- user-agent families.
 *
 * A family is a lower-case "product/major" string ("python-httpx/0",
 * "chrome/126", "openai-python/1"): accounts of one fleet running one client
 * build share it, while patch releases and OS details do not split them.
 * The exact agent is hashed separately by the caller (ua_hash).
 *
 * Rules, first that applies:
 *   1. Browsers: an agent that starts with "Mozilla/" is looked up in the
 *      browser table below, in order (Edge and Opera before Chrome, which
 *      every Blink browser also names; Chrome before Safari, which every
 *      WebKit browser names).  Safari's version is the "Version/x" token.
 *      "(compatible; Name/1.2; ...)" bots give "name/1".  A Mozilla agent
 *      matching nothing gives "mozilla/5".
 *   2. Otherwise the first product token "name/version" whose name is not a
 *      bare language runtime (python, node, java, go, ruby, php, dalvik...):
 *      "Python/3.11 aiohttp/3.9.1" is an aiohttp client.  If only runtime
 *      tokens exist, the first one is used.
 *   3. "name/Word 1.2.3" (a word, a blank, then a version -- the OpenAI and
 *      Anthropic Python SDKs send "OpenAI/Python 1.35.0") gives
 *      "name-word/1"; an "async" prefix of the name is dropped so the sync
 *      and async clients of one SDK are one family.
 *   4. The major version is the leading digits of the version (one leading
 *      'v' skipped, at most 9 digits); a product without a numeric version
 *      is the bare name ("curl").  No product token at all: empty family,
 *      hash 0.
 * Only the first HU_MAX_UA_SCAN bytes are examined, in one pass for the
 * browser tokens and one for product tokens; no allocation.  Measured
 * (bench/bench_net.c): 57-79 ns for SDK agents, 135-150 ns for Chrome and
 * Edge agents, 2 us for a hostile 1.1 KB agent made of token starts.
 */
#include <string.h>
#include <strings.h>

#include "features/net.h"
#include "core/hash.h"
#include "core/limits.h"

static int lc(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

/* RFC 9110 tchar */
static int is_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return 1;
    return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Output builder: lower-cased, truncated at cap-1. */
struct out {
    char *buf;
    size_t cap, len;
};

static void put(struct out *o, const char *s, size_t n)
{
    for (size_t i = 0; i < n && o->len + 1 < o->cap; i++)
        o->buf[o->len++] = (char)lc((unsigned char)s[i]);
    if (o->cap)
        o->buf[o->len] = 0;
}

/* Append "/major" from the version at v[0..len) if it has digits. */
static void put_major(struct out *o, const char *v, size_t len)
{
    size_t i = 0;
    if (i < len && (v[i] == 'v' || v[i] == 'V') && i + 1 < len && is_digit(v[i + 1]))
        i++;
    size_t s = i;
    while (i < len && i - s < 9 && is_digit(v[i]))
        i++;
    if (i > s) {
        put(o, "/", 1);
        put(o, v + s, i - s);
    }
}

static size_t version_len(const char *v, size_t len)
{
    size_t i = 0;
    while (i < len && is_tchar((unsigned char)v[i]) && v[i] != '/')
        i++;
    return i;
}

struct browser {
    const char *token;     /* "Name/" matched at a token start */
    const char *family;    /* NULL: a helper token, not a browser */
};

/* Order matters: see rule 1.  The last three are helpers. */
static const struct browser browsers[] = {
    {"Edg/", "edge"},       {"EdgA/", "edge"},      {"EdgiOS/", "edge"},
    {"Edge/", "edge"},      {"OPR/", "opera"},      {"OPiOS/", "opera"},
    {"YaBrowser/", "yandex"}, {"SamsungBrowser/", "samsung"},
    {"Vivaldi/", "vivaldi"}, {"Brave/", "brave"},
    {"HeadlessChrome/", "headlesschrome"},
    {"FxiOS/", "firefox"},  {"Firefox/", "firefox"},
    {"CriOS/", "chrome"},   {"Chrome/", "chrome"},  {"Chromium/", "chromium"},
    {"Safari/", NULL},      {"Version/", NULL},     {"compatible;", NULL},
};
#define N_BROWSERS (sizeof browsers / sizeof browsers[0])
enum { TOK_SAFARI = N_BROWSERS - 3, TOK_VERSION, TOK_COMPATIBLE };

/* One pass over s: at[j] = offset just after the first occurrence of
 * browsers[j].token at a token start (beginning, or after a blank, '(',
 * ';' or ','), 0 if absent.  Case-insensitive.  A token is compared only
 * where its first letter matches, so the cost is O(len x tokens sharing a
 * first letter), at most 4: ~3 us for a hostile 1 KB agent. */
static void find_browser_tokens(const char *s, size_t len, size_t at[N_BROWSERS])
{
    uint32_t by_initial[26] = {0};   /* bit j: token j starts with 'a' + i */
    for (size_t j = 0; j < N_BROWSERS; j++)
        by_initial[lc((unsigned char)browsers[j].token[0]) - 'a'] |= 1u << j;
    memset(at, 0, N_BROWSERS * sizeof at[0]);
    for (size_t i = 0; i < len; i++) {
        if (i > 0) {
            char b = s[i - 1];
            if (b != ' ' && b != '(' && b != ';' && b != ',' && b != '\t')
                continue;
        }
        int c0 = lc((unsigned char)s[i]);
        if (c0 < 'a' || c0 > 'z')
            continue;
        for (uint32_t m = by_initial[c0 - 'a']; m; m &= m - 1) {
            size_t j = (size_t)__builtin_ctz(m);
            const char *t = browsers[j].token;
            if (at[j])
                continue;
            size_t k = 1;
            while (t[k] && i + k < len && lc((unsigned char)s[i + k]) == lc((unsigned char)t[k]))
                k++;
            if (!t[k])
                at[j] = i + k;
        }
    }
}

static const char *const runtimes[] = {
    "python", "node", "nodejs", "java", "go", "ruby", "php", "dalvik", "perl",
    "dart", "deno", "bun", "dotnet", ".net", "mono",
};

static int is_runtime(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof runtimes / sizeof runtimes[0]; i++) {
        size_t m = strlen(runtimes[i]);
        if (m != n)
            continue;
        size_t k = 0;
        while (k < n && lc((unsigned char)s[k]) == runtimes[i][k])
            k++;
        if (k == n)
            return 1;
    }
    return 0;
}

static int browser_family(const char *s, size_t len, struct out *o)
{
    size_t at[N_BROWSERS];
    find_browser_tokens(s, len, at);
    for (size_t j = 0; j < TOK_SAFARI; j++) {
        if (at[j]) {
            put(o, browsers[j].family, strlen(browsers[j].family));
            put_major(o, s + at[j], version_len(s + at[j], len - at[j]));
            return 1;
        }
    }
    if (at[TOK_SAFARI]) {
        size_t ver = at[TOK_VERSION];
        put(o, "safari", 6);
        if (ver)
            put_major(o, s + ver, version_len(s + ver, len - ver));
        return 1;
    }
    size_t comp = at[TOK_COMPATIBLE];
    if (comp) {
        /* "(compatible; Googlebot/2.1; +http://...)": the first product */
        size_t i = comp;
        while (i < len && s[i] == ' ')
            i++;
        size_t ns = i;
        while (i < len && is_tchar((unsigned char)s[i]) && s[i] != '/')
            i++;
        if (i > ns && i < len && s[i] == '/') {
            put(o, s + ns, i - ns);
            put_major(o, s + i + 1, version_len(s + i + 1, len - i - 1));
            return 1;
        }
    }
    return 0;
}

/* One product token at s[i..): name [/ version].  Fills the spans and
 * returns the index after it; comments "( ... )" are skipped by the caller. */
struct product {
    size_t name, name_len, ver, ver_len;
};

static size_t next_product(const char *s, size_t len, size_t i, struct product *pr)
{
    pr->name = i;
    while (i < len && is_tchar((unsigned char)s[i]) && s[i] != '/')
        i++;
    pr->name_len = i - pr->name;
    pr->ver = i;
    pr->ver_len = 0;
    if (i < len && s[i] == '/') {
        i++;
        pr->ver = i;
        pr->ver_len = version_len(s + i, len - i);
        i += pr->ver_len;
    }
    return i;
}

static void emit_product(const char *s, size_t len, const struct product *pr, struct out *o)
{
    const char *name = s + pr->name;
    size_t nlen = pr->name_len;
    if (nlen > 5 && lc((unsigned char)name[0]) == 'a' && lc((unsigned char)name[1]) == 's' &&
        lc((unsigned char)name[2]) == 'y' && lc((unsigned char)name[3]) == 'n' &&
        lc((unsigned char)name[4]) == 'c') {
        name += 5;     /* AsyncOpenAI -> openai */
        nlen -= 5;
    }
    put(o, name, nlen);
    const char *v = s + pr->ver;
    size_t vlen = pr->ver_len;
    if (vlen > 0 && !is_digit(v[0]) && !((v[0] == 'v' || v[0] == 'V') && vlen > 1 && is_digit(v[1]))) {
        /* rule 3: "OpenAI/Python 1.35.0" */
        size_t j = pr->ver + vlen;
        put(o, "-", 1);
        put(o, v, vlen);
        if (j + 1 < len && s[j] == ' ' && is_digit(s[j + 1]))
            put_major(o, s + j + 1, version_len(s + j + 1, len - j - 1));
        return;
    }
    put_major(o, v, vlen);
}

uint64_t hu_ua_family(const char *ua, size_t len, char *buf, size_t cap)
{
    struct out o = {buf, cap, 0};
    if (!buf || cap == 0)
        return 0;
    buf[0] = 0;
    if (!ua || cap < 2)
        return 0;
    if (len > HU_MAX_UA_SCAN)
        len = HU_MAX_UA_SCAN;
    while (len > 0 && (*ua == ' ' || *ua == '\t')) {
        ua++;
        len--;
    }
    if (len == 0)
        return 0;

    if (len >= 8 && strncasecmp(ua, "Mozilla/", 8) == 0) {
        if (!browser_family(ua, len, &o)) {
            put(&o, "mozilla", 7);
            put_major(&o, ua + 8, version_len(ua + 8, len - 8));
        }
        return o.len ? hu_hash(buf, o.len) : 0;
    }

    struct product first = {0, 0, 0, 0}, pr;
    int have_first = 0;
    size_t i = 0;
    while (i < len) {
        unsigned char c = (unsigned char)ua[i];
        if (c == '(') {             /* comment, possibly nested */
            int depth = 0;
            while (i < len) {
                if (ua[i] == '(')
                    depth++;
                else if (ua[i] == ')' && --depth == 0) {
                    i++;
                    break;
                }
                i++;
            }
            continue;
        }
        if (!is_tchar(c) || c == '/') {
            i++;
            continue;
        }
        i = next_product(ua, len, i, &pr);
        if (pr.name_len == 0)
            continue;
        if (!is_runtime(ua + pr.name, pr.name_len)) {
            emit_product(ua, len, &pr, &o);
            return o.len ? hu_hash(buf, o.len) : 0;
        }
        if (!have_first) {
            first = pr;
            have_first = 1;
        }
    }
    if (have_first)
        emit_product(ua, len, &first, &o);
    return o.len ? hu_hash(buf, o.len) : 0;
}
