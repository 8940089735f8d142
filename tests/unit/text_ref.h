/*
 * text_ref.h -- the text features as they were before the fast paths
 * (main 77cb3c2: src/features/text.c, simhash.c, lang.c, verbatim but for
 * names): the slow, obviously-correct reference that test_textref.c holds
 * the fast code to, byte for byte.  Every function is static and named
 * ref_* instead of hu_*; do not "fix" anything here: a difference between
 * this file and src/features/ is a change of output.
 */
#ifndef HU_TEST_TEXT_REF_H
#define HU_TEST_TEXT_REF_H
#include <pthread.h>
#include <string.h>
#include "core/hash.h"
#include "features/features.h"
#include "features/text.h"

/* forward declarations (the originals were declared in the headers) */
static uint32_t ref_utf8_decode(const unsigned char *p, size_t len, size_t *adv);
static int ref_is_han(uint32_t cp);
static int ref_is_cjk(uint32_t cp);
static int ref_is_letter(uint32_t cp);
static int ref_next_token(const char *norm, size_t len, size_t *pos, size_t *start, int *cjk);
static uint64_t ref_text_simhash_seeded(const char *norm, size_t len, uint64_t seed);
static uint64_t ref_simhash_tokens_seeded(const char *norm, const struct hu__token *toks, size_t n_tok,
                                          uint64_t seed);

/* ==== src/features/text.c ==== */
/*
 * text.c -- normalisation and template key (see text.h for the contract).
 *
 * Design
 * ------
 * A campaign sends millions of prompts made from a few templates: the same
 * instruction with a different maths problem, name, quoted answer or code
 * snippet pasted in.  Hashing the raw prompt gives every request its own
 * key; hashing the prompt with those variable parts replaced by slot tokens
 * gives one key per template, which profiles count (distinct templates per
 * account, heaviest templates) and linkage compares across accounts.
 *
 * The pass is a hand-written scanner over code points, not a regex engine:
 * it runs at several hundred MB/s (bench/bench_features.c) and its cost is
 * strictly linear.  At each position it tries, in order: whitespace, code
 * fences and inline code, quotes, URLs, ASCII "atoms" (e-mail, hex, uuid,
 * key-like tokens), numbers, CJK numerals, words (names or folded letters),
 * and finally single characters (punctuation, CJK, symbols).
 *
 * Bounded look-ahead: a quote, a fence or a backtick needs its closer.  The
 * search for a closer of kind k starting at i is memoised (struct qmemo): if
 * the last search found closer j > i, j is still the first closer after i;
 * if it found none up to e, the next search starts at e.  So every byte is
 * examined by at most one search per closer kind: O(kinds * len).
 *
 * Limits (why): double and typographic quotes close within 64 KiB (a quoted
 * answer to grade can be long); ASCII single quotes within 512 bytes and
 * only around a non-letter boundary (apostrophes in "don't", "l'homme" must
 * not open a string); inline code within one line.  An unclosed opener is
 * kept as punctuation.
 */


/* ---- UTF-8 ---------------------------------------------------------------- */

static uint32_t ref_utf8_decode(const unsigned char *p, size_t len, size_t *adv)
{
    uint32_t c = p[0];
    *adv = 1;
    if (c < 0x80)
        return c;
    if (c < 0xC2 || c > 0xF4)
        return 0xFFFD;
    if (c < 0xE0) {
        if (len < 2 || (p[1] & 0xC0) != 0x80)
            return 0xFFFD;
        *adv = 2;
        return ((c & 0x1F) << 6) | (p[1] & 0x3F);
    }
    if (c < 0xF0) {
        if (len < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
            return 0xFFFD;
        uint32_t v = ((c & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
        if (v < 0x800 || (v >= 0xD800 && v <= 0xDFFF))
            return 0xFFFD;
        *adv = 3;
        return v;
    }
    if (len < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80)
        return 0xFFFD;
    uint32_t v = ((c & 0x07) << 18) | ((uint32_t)(p[1] & 0x3F) << 12) |
                 ((uint32_t)(p[2] & 0x3F) << 6) | (p[3] & 0x3F);
    if (v < 0x10000 || v > 0x10FFFF)
        return 0xFFFD;
    *adv = 4;
    return v;
}

static size_t ref_text_chars(const char *p, size_t len)
{
    size_t n = 0;
    const unsigned char *u = (const unsigned char *)p;
    for (size_t i = 0; i < len; i++)
        if ((u[i] & 0xC0) != 0x80)
            n++;
    /* Continuation bytes without a lead byte are invalid and count as one
     * each in the decoder; they are rare enough (never, after ingest) that
     * the fast count above is the contract's approximation. */
    return n;
}

/* ---- character classes ---------------------------------------------------- */

static int ref_is_han(uint32_t cp)
{
    return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
           (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x20000 && cp <= 0x2FA1F);
}

static int ref_is_cjk(uint32_t cp)
{
    return ref_is_han(cp) || (cp >= 0x3040 && cp <= 0x30FF) ||  /* kana */
           (cp >= 0xAC00 && cp <= 0xD7AF) ||                     /* Hangul syllables */
           (cp >= 0x1100 && cp <= 0x11FF) || (cp >= 0x3130 && cp <= 0x318F) ||
           (cp >= 0x31F0 && cp <= 0x31FF) || (cp >= 0xFF66 && cp <= 0xFF9F);
}

static int is_latin_letter(uint32_t cp)
{
    if (cp < 0x80)
        return (cp | 0x20) >= 'a' && (cp | 0x20) <= 'z';
    return (cp >= 0xC0 && cp <= 0x24F && cp != 0xD7 && cp != 0xF7) ||
           (cp >= 0x1E00 && cp <= 0x1EFF);
}

static int is_combining(uint32_t cp)
{
    return (cp >= 0x300 && cp <= 0x36F) || (cp >= 0x1AB0 && cp <= 0x1AFF) ||
           (cp >= 0x1DC0 && cp <= 0x1DFF) || (cp >= 0x20D0 && cp <= 0x20FF);
}

static int ref_is_letter(uint32_t cp)
{
    if (is_latin_letter(cp))
        return 1;
    if (cp < 0x370)
        return 0;
    return (cp >= 0x370 && cp <= 0x3FF && cp != 0x37E && cp != 0x387) || /* Greek */
           (cp >= 0x400 && cp <= 0x52F) ||                              /* Cyrillic */
           (cp >= 0x531 && cp <= 0x587) ||                              /* Armenian */
           (cp >= 0x5D0 && cp <= 0x5EA) ||                              /* Hebrew */
           (cp >= 0x620 && cp <= 0x64A) || (cp >= 0x671 && cp <= 0x6D3) || /* Arabic */
           (cp >= 0x900 && cp <= 0x963 && !(cp >= 0x93C && cp <= 0x94D)) || /* Devanagari */
           (cp >= 0xE01 && cp <= 0xE30) ||                              /* Thai */
           (cp >= 0x10A0 && cp <= 0x10FF);                              /* Georgian */
}

static int is_upper_latin(uint32_t cp)
{
    if (cp < 0x80)
        return cp >= 'A' && cp <= 'Z';
    if (cp >= 0xC0 && cp <= 0xDE)
        return cp != 0xD7;
    if (cp >= 0x100 && cp <= 0x137)
        return (cp & 1) == 0;
    if (cp >= 0x139 && cp <= 0x148)
        return (cp & 1) == 1;
    if (cp >= 0x14A && cp <= 0x177)
        return (cp & 1) == 0;
    return cp == 0x178 || (cp >= 0x179 && cp <= 0x17E && (cp & 1) == 1);
}

/* Simple (1:1) case folding for the scripts the template key promises. */
static uint32_t fold(uint32_t cp)
{
    if (cp < 0x80)
        return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
    if (cp < 0x100)
        return (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) ? cp + 32 : cp;
    if (cp <= 0x17F) {
        if (cp == 0x130)
            return 'i';
        if (cp == 0x178)
            return 0xFF;
        if (cp == 0x17F)
            return 's';
        return is_upper_latin(cp) ? cp + 1 : cp;
    }
    if (cp >= 0x370 && cp <= 0x3FF) {                /* Greek */
        if (cp >= 0x391 && cp <= 0x3AB && cp != 0x3A2)
            return cp + 32;
        if (cp == 0x386)
            return 0x3AC;
        if (cp >= 0x388 && cp <= 0x38A)
            return cp + 37;
        if (cp == 0x38C)
            return 0x3CC;
        if (cp == 0x38E || cp == 0x38F)
            return cp + 63;
        if (cp == 0x3C2)
            return 0x3C3;                            /* final sigma */
        return cp;
    }
    if (cp >= 0x400 && cp <= 0x4FF) {                /* Cyrillic */
        if (cp <= 0x40F)
            return cp + 80;
        if (cp <= 0x42F)
            return cp + 32;
        if ((cp >= 0x460 && cp <= 0x481) || (cp >= 0x48A && cp <= 0x4BF))
            return (cp & 1) ? cp : cp + 1;
        if (cp >= 0x4D0 && cp <= 0x4FF)
            return (cp & 1) ? cp : cp + 1;
        return cp;
    }
    if (cp >= 0xFF01 && cp <= 0xFF5E) {              /* fullwidth ASCII */
        uint32_t a = cp - 0xFF01 + 0x21;
        return (a >= 'A' && a <= 'Z') ? a + 32 : a;
    }
    return cp;
}

static int is_space(uint32_t cp)
{
    return cp == ' ' || (cp >= 0x09 && cp <= 0x0D) || cp == 0xA0 || cp == 0x85 ||
           cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
           cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

static int is_invisible(uint32_t cp)
{
    return (cp >= 0x200B && cp <= 0x200F) || cp == 0xFEFF || cp == 0x2060 ||
           cp == 0xAD || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

/* Value 0..9 of a decimal digit we mask, or -1. */
static int digit_value(uint32_t cp)
{
    if (cp >= '0' && cp <= '9')
        return (int)(cp - '0');
    if (cp >= 0xFF10 && cp <= 0xFF19)
        return (int)(cp - 0xFF10);
    if (cp >= 0x660 && cp <= 0x669)
        return (int)(cp - 0x660);
    if (cp >= 0x6F0 && cp <= 0x6F9)
        return (int)(cp - 0x6F0);
    if (cp >= 0x966 && cp <= 0x96F)
        return (int)(cp - 0x966);
    return -1;
}

static int is_cjk_numeral(uint32_t cp)
{
    switch (cp) {
    case 0x3007: case 0x96F6: case 0x4E00: case 0x4E8C: case 0x4E09: case 0x56DB:
    case 0x4E94: case 0x516D: case 0x4E03: case 0x516B: case 0x4E5D: case 0x5341:
    case 0x767E: case 0x5343: case 0x4E07: case 0x4EBF: case 0x4E24: case 0x842C:
    case 0x5104: case 0x5169:
        return 1;
    default:
        return 0;
    }
}

/* Measure words and units after which a single CJK numeral is a number
 * ("三个", "5岁" is already ASCII).  Kept short: a miss only leaves the
 * numeral in the key, identically for every prompt of the template.
 * Deliberately absent: 步 点 下 小 (一步一步 "step by step", 一点 "a bit",
 * 一下 "briefly" are phrases, not quantities). */
static int is_cjk_classifier(uint32_t cp)
{
    static const uint32_t cls[] = {
        0x4E2A, 0x500B, 0x4F4D, 0x53EA, 0x672C, 0x5F20, 0x5F35, 0x6B21, 0x5E74, 0x6708,
        0x65E5, 0x53F7, 0x5929, 0x5C81, 0x6B72, 0x5143, 0x5757, 0x584A, 0x540D, 0x9053,
        0x9898, 0x984C, 0x6761, 0x689D, 0x4EF6, 0x79CD, 0x7A2E, 0x5206, 0x79D2, 0x500D,
        0x7C73, 0x65A4, 0x8F86, 0x8F1B, 0x53F0, 0x9875, 0x9801, 0x7AE0, 0x8282, 0x7BC0,
        0x90E8, 0x5BB6, 0x4EBA, 0x676F, 0x74F6, 0x7BC7, 0x884C,
    };
    for (size_t i = 0; i < sizeof cls / sizeof cls[0]; i++)
        if (cls[i] == cp)
            return 1;
    return 0;
}

/* ---- output writer ------------------------------------------------------- */

enum slot { SLOT_NONE = 0, SLOT_NUM, SLOT_STR, SLOT_CODE, SLOT_URL, SLOT_EMAIL, SLOT_HEX, SLOT_NAME };

static const char *const slot_text[] = {
    "", "<num>", "<str>", "<code>", "<url>", "<email>", "<hex>", "<name>"
};

struct wr {
    char *out;
    size_t cap, len;
    int pend_space;        /* whitespace seen since the last token */
    int full;              /* the output was cut: ignore everything else */
    enum slot last;        /* kind of the last token written (NONE for text) */
};

static void wr_bytes(struct wr *w, const char *s, size_t n)
{
    if (w->full)
        return;
    if (w->len + n > w->cap) {
        w->full = 1;
        return;
    }
    memcpy(w->out + w->len, s, n);
    w->len += n;
}

static void wr_space(struct wr *w)
{
    if (w->pend_space && w->len > 0)
        wr_bytes(w, " ", 1);
    w->pend_space = 0;
}

static void wr_cp(struct wr *w, uint32_t cp)
{
    char b[4];
    size_t n;
    wr_space(w);
    if (cp < 0x80) {
        b[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xC0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xE0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        b[0] = (char)(0xF0 | (cp >> 18));
        b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    wr_bytes(w, b, n);
    w->last = SLOT_NONE;
}

/* n ASCII bytes, A-Z lowered: one capacity check for a whole word. */
static void wr_ascii_lower(struct wr *w, const char *s, size_t n)
{
    wr_space(w);
    if (w->full)
        return;
    if (w->len + n > w->cap) {
        w->full = 1;
        return;
    }
    char *o = w->out + w->len;
    for (size_t k = 0; k < n; k++) {
        char c = s[k];
        o[k] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
    }
    w->len += n;
    w->last = SLOT_NONE;
}

static void wr_slot(struct wr *w, enum slot s)
{
    /* "John Smith" and "555 1234" are one name, one number: merge a name or
     * number that follows the same kind with only whitespace between. */
    if ((s == SLOT_NAME || s == SLOT_NUM) && w->last == s) {
        w->pend_space = 0;
        return;
    }
    wr_space(w);
    wr_bytes(w, slot_text[s], strlen(slot_text[s]));
    w->last = s;
}

/* Two outputs from one pass: the template key (every mask) and, when
 * asked, the scan text (every mask but names, so that phrase patterns see
 * "Show Your Chain Of Thought" as words). */
struct dual {
    struct wr t, s;
    int has_s;
};

static void em_space(struct dual *d)
{
    d->t.pend_space = 1;
    d->s.pend_space = 1;
}

static void em_cp(struct dual *d, uint32_t cp)
{
    wr_cp(&d->t, cp);
    if (d->has_s)
        wr_cp(&d->s, cp);
}

static void em_slot(struct dual *d, enum slot s)
{
    wr_slot(&d->t, s);
    if (d->has_s)
        wr_slot(&d->s, s);
}

/* ---- memoised closer search ---------------------------------------------- */

#define QUOTE_WINDOW   (64u << 10)
#define SQUOTE_WINDOW  512u

struct qmemo {
    size_t found;      /* first closer after the last search start, or NONE */
    size_t searched;   /* no closer in (last start, searched) when found == NONE */
};
#define NONE ((size_t)-1)

/* Finds byte string c (clen bytes) at or after `from`; memoised per kind. */
static size_t find_closer(const char *p, size_t len, size_t from, const char *c, size_t clen,
                          struct qmemo *m)
{
    if (m->found != NONE && m->found >= from)
        return m->found;
    size_t start = from;
    if (m->found == NONE && m->searched > start)
        start = m->searched;
    m->found = NONE;
    m->searched = len;
    if (start >= len)
        return NONE;
    const char *r = memmem(p + start, len - start, c, clen);
    if (r == NULL)
        return NONE;
    m->found = (size_t)(r - p);
    return m->found;
}

/* ASCII single quote closer: a "'" not followed by a letter or digit and
 * not preceded by a space.  Memoised like find_closer. */
static size_t find_squote(const char *p, size_t len, size_t from, struct qmemo *m)
{
    if (m->found != NONE && m->found >= from)
        return m->found;
    size_t i = from;
    if (m->found == NONE && m->searched > i)
        i = m->searched;
    m->found = NONE;
    for (; i < len; i++) {
        if (p[i] != '\'')
            continue;
        unsigned char nx = i + 1 < len ? (unsigned char)p[i + 1] : ' ';
        unsigned char pv = (unsigned char)p[i - 1];     /* i > from >= 1 */
        if (pv == ' ' || pv == '\n' || pv == '\t')
            continue;
        if ((nx | 0x20) >= 'a' && (nx | 0x20) <= 'z')
            continue;
        if ((nx >= '0' && nx <= '9') || nx >= 0x80)
            continue;
        m->found = i;
        break;
    }
    m->searched = i;
    return m->found;
}

/* ---- the scanner --------------------------------------------------------- */

struct closer {
    uint32_t open;
    const char *close;     /* UTF-8 of the closing mark */
};

static const struct closer closers[] = {
    { '"', "\"" },
    { 0x201C, "\xE2\x80\x9D" },   /* “ ” */
    { 0x201E, "\xE2\x80\x9C" },   /* „ “ (German) */
    { 0x2018, "\xE2\x80\x99" },   /* ‘ ’ */
    { 0x00AB, "\xC2\xBB" },       /* « » */
    { 0x300C, "\xE3\x80\x8D" },   /* 「 」 */
    { 0x300E, "\xE3\x80\x8F" },   /* 『 』 */
    { 0xFF02, "\xEF\xBC\x82" },   /* fullwidth " */
};
#define N_CLOSERS (sizeof closers / sizeof closers[0])

static int ascii_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

static int ascii_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

static int starts_ci(const char *p, size_t len, size_t i, const char *lit)
{
    size_t n = strlen(lit);
    if (len - i < n)
        return 0;
    for (size_t k = 0; k < n; k++) {
        unsigned char c = (unsigned char)p[i + k];
        if (c >= 'A' && c <= 'Z')
            c += 32;
        if (c != (unsigned char)lit[k])
            return 0;
    }
    return 1;
}

/* End of a URL starting at i: up to whitespace or a closing delimiter, with
 * trailing sentence punctuation given back. */
static size_t url_end(const char *p, size_t len, size_t i)
{
    size_t j = i;
    while (j < len) {
        unsigned char c = (unsigned char)p[j];
        if (c <= ' ' || c == '"' || c == '<' || c == '>' || c == '`' || c == '\'' ||
            c == ')' || c == ']' || c == '}')
            break;
        if (c >= 0x80) {   /* stop at CJK punctuation and spaces; keep IRIs */
            size_t adv;
            uint32_t cp = ref_utf8_decode((const unsigned char *)p + j, len - j, &adv);
            if (is_space(cp) || (cp >= 0x3000 && cp <= 0x303F) || (cp >= 0xFF00 && cp <= 0xFF0F) ||
                cp == 0xFF1A || cp == 0xFF1B || cp == 0xFF1F || cp == 0x201D || cp == 0x2019)
                break;
            j += adv;
            continue;
        }
        j++;
    }
    while (j > i && strchr(".,;:!?", p[j - 1]) != NULL)
        j--;
    return j;
}

/* Classify the ASCII atom p[i..e) made of [A-Za-z0-9._%+-@]: e-mail, uuid,
 * hex or key-like token, else SLOT_NONE. */
static enum slot classify_atom(const char *p, size_t i, size_t e)
{
    size_t n = e - i, at = NONE, digits = 0, letters = 0, hex = 0, dots_after_at = 0;
    for (size_t k = i; k < e; k++) {
        unsigned char c = (unsigned char)p[k];
        if (c == '@') {
            if (at != NONE)
                return SLOT_NONE;
            at = k;
        } else if (c == '.' && at != NONE && k > at + 1 && k + 1 < e) {
            dots_after_at++;
        }
        if (c >= '0' && c <= '9')
            digits++;
        else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
            letters++;
        if (ascii_hex(c))
            hex++;
    }
    if (at != NONE)
        return (at > i && dots_after_at > 0) ? SLOT_EMAIL : SLOT_NONE;
    /* 0x-prefixed hex */
    if (n >= 3 && p[i] == '0' && (p[i + 1] | 0x20) == 'x' && hex == n - 1)
        return n >= 4 ? SLOT_HEX : SLOT_NONE;
    /* hex of 8+ with digits and letters (sha, ids; all-digit runs are numbers) */
    if (n >= 8 && hex == n && digits > 0 && letters > 0)
        return SLOT_HEX;
    /* uuid and dashed hex */
    if (n == 36 && p[i + 8] == '-' && p[i + 13] == '-' && p[i + 18] == '-' && p[i + 23] == '-' &&
        hex == 32)
        return SLOT_HEX;
    /* key-like: long mixed letters+digits (API keys, base64 ids, hashes) */
    if (n >= 16 && digits >= 4 && letters >= 4)
        return SLOT_HEX;
    return SLOT_NONE;
}

static size_t ref_text_normalise(const char *p, size_t len, char *out, size_t cap,
                         char *scan, size_t scap, size_t *scan_len)
{
    struct dual d = { { out, cap, 0, 0, 0, SLOT_NONE }, { scan, scap, 0, 0, 0, SLOT_NONE }, scan != NULL && scap > 0 };
    struct qmemo qm[N_CLOSERS], sq = { NONE, 0 }, fence = { NONE, 0 }, tick = { NONE, 0 },
                                nl = { NONE, 0 };
    const unsigned char *u = (const unsigned char *)p;
    int sent_start = 1;      /* the next word starts a sentence */
    size_t atom_until = 0;   /* atoms already classified up to here */
    size_t i = 0;

    if (scan_len)
        *scan_len = 0;
    if (p == NULL || cap == 0)
        return 0;
    for (size_t k = 0; k < N_CLOSERS; k++)
        qm[k] = (struct qmemo){ NONE, 0 };

    while (i < len && !d.t.full) {
        unsigned char c = u[i];
        size_t adv = 1;
        uint32_t cp = c < 0x80 ? c : ref_utf8_decode(u + i, len - i, &adv);

        /* whitespace */
        if (is_space(cp)) {
            em_space(&d);
            if (cp == '\n')
                sent_start = 1;
            i += adv;
            continue;
        }
        if (is_invisible(cp)) {
            i += adv;
            continue;
        }

        /* code: ``` fence ``` and `inline` */
        if (c == '`') {
            if (len - i >= 3 && u[i + 1] == '`' && u[i + 2] == '`') {
                size_t e = find_closer(p, len, i + 3, "```", 3, &fence);
                i = e == NONE ? len : e + 3;
                em_slot(&d, SLOT_CODE);
                sent_start = 0;
                continue;
            }
            size_t e = find_closer(p, len, i + 1, "`", 1, &tick);
            size_t n = find_closer(p, len, i + 1, "\n", 1, &nl);
            if (e != NONE && e > i + 1 && (n == NONE || e < n)) {
                i = e + 1;
                em_slot(&d, SLOT_CODE);
                sent_start = 0;
                continue;
            }
            em_cp(&d, '`');
            i++;
            continue;
        }

        /* quoted strings */
        if (c == '\'') {
            int after_word = i > 0 && (ascii_alnum(u[i - 1]) || u[i - 1] >= 0x80);
            if (!after_word && i + 1 < len && u[i + 1] != ' ') {
                size_t e = find_squote(p, len, i + 1, &sq);
                if (e != NONE && e - i <= SQUOTE_WINDOW) {
                    i = e + 1;
                    em_slot(&d, SLOT_STR);
                    sent_start = 0;
                    continue;
                }
            }
            em_cp(&d, '\'');
            i++;
            continue;
        }
        if (c == '"' || cp >= 0xAB) {
            size_t k;
            for (k = 0; k < N_CLOSERS; k++)
                if (closers[k].open == cp)
                    break;
            if (k < N_CLOSERS) {
                size_t cl = strlen(closers[k].close);
                size_t e = find_closer(p, len, i + adv, closers[k].close, cl, &qm[k]);
                if (e != NONE && e - i <= QUOTE_WINDOW) {
                    i = e + cl;
                    em_slot(&d, SLOT_STR);
                    sent_start = 0;
                    continue;
                }
                em_cp(&d, fold(cp));
                i += adv;
                continue;
            }
        }

        /* URLs */
        if ((c == 'h' || c == 'H' || c == 'f' || c == 'F' || c == 'w' || c == 'W') &&
            (starts_ci(p, len, i, "http://") || starts_ci(p, len, i, "https://") ||
             starts_ci(p, len, i, "ftp://") || starts_ci(p, len, i, "www."))) {
            size_t e = url_end(p, len, i);
            if (e > i + 4) {
                i = e;
                em_slot(&d, SLOT_URL);
                sent_start = 0;
                continue;
            }
        }

        /* ASCII atoms: e-mail, hex, uuid, key-like tokens */
        if (ascii_alnum(c) && i >= atom_until && (i == 0 || !ascii_alnum(u[i - 1]))) {
            size_t e = i;
            while (e < len && (ascii_alnum(u[e]) || u[e] == '.' || u[e] == '_' || u[e] == '%' ||
                               u[e] == '+' || u[e] == '-' || u[e] == '@'))
                e++;
            while (e > i && (u[e - 1] == '.' || u[e - 1] == '-' || u[e - 1] == '_'))
                e--;
            if (e - i >= 3) {
                enum slot s = classify_atom(p, i, e);
                if (s != SLOT_NONE) {
                    i = e;
                    em_slot(&d, s);
                    sent_start = 0;
                    continue;
                }
            }
            /* No atom starts again before e: "a.a.a.a..." would otherwise
             * rescan the rest of the run from every word (quadratic). */
            atom_until = e;
        }

        /* numbers: digits with thousands separators and a decimal part */
        if (digit_value(cp) >= 0) {
            size_t j = i + adv;
            for (;;) {
                size_t a2;
                if (j >= len)
                    break;
                uint32_t dc = ref_utf8_decode(u + j, len - j, &a2);
                if (digit_value(dc) >= 0) {
                    j += a2;
                    continue;
                }
                /* separator followed by a digit: , . ' _ NBSP, thin space,
                 * fullwidth comma/period, Arabic decimal/thousands marks */
                if ((dc == ',' || dc == '.' || dc == '\'' || dc == '_' || dc == 0xA0 || dc == 0x202F ||
                     dc == 0x2009 || dc == 0xFF0C || dc == 0xFF0E || dc == 0x66B || dc == 0x66C) &&
                    j + a2 < len) {
                    size_t a3;
                    uint32_t d2 = ref_utf8_decode(u + j + a2, len - j - a2, &a3);
                    if (digit_value(d2) >= 0) {
                        j += a2 + a3;
                        continue;
                    }
                }
                /* "1 234 567": a space then exactly three digits */
                if (dc == ' ' && j + 4 <= len && digit_value(u[j + 1]) >= 0 &&
                    digit_value(u[j + 2]) >= 0 && digit_value(u[j + 3]) >= 0 &&
                    (j + 4 == len || digit_value(u[j + 4]) < 0)) {
                    j += 4;
                    continue;
                }
                break;
            }
            i = j;
            em_slot(&d, SLOT_NUM);
            sent_start = 0;
            continue;
        }

        /* CJK numerals: a run of two or more, or one before a measure word */
        if (is_cjk_numeral(cp)) {
            size_t j = i + adv, run = 1, a2 = 0;
            uint32_t nx = 0;
            while (j < len) {
                nx = ref_utf8_decode(u + j, len - j, &a2);
                if (!is_cjk_numeral(nx))
                    break;
                run++;
                j += a2;
            }
            if (j >= len)
                nx = 0;
            if (run >= 2 || is_cjk_classifier(nx)) {
                i = j;
                em_slot(&d, SLOT_NUM);
                sent_start = 0;
                continue;
            }
        }

        /* words */
        if (ref_is_letter(cp)) {
            size_t j = i, lead = 0;   /* lead: letters before an apostrophe */
            int latin = is_latin_letter(cp), seen_apos = 0, ascii = 1;
            while (j < len) {
                size_t a2;
                if (((u[j] | 0x20) >= 'a' && (u[j] | 0x20) <= 'z')) {   /* fast path */
                    if (!seen_apos)
                        lead++;
                    j++;
                    continue;
                }
                uint32_t dc = ref_utf8_decode(u + j, len - j, &a2);
                if (dc >= 0x80)
                    ascii = 0;
                if (ref_is_letter(dc) || is_combining(dc)) {
                    if (!seen_apos)
                        lead++;
                    j += a2;
                    continue;
                }
                if ((dc == '\'' || dc == 0x2019) && j + a2 < len) {
                    size_t a3;
                    uint32_t d2 = ref_utf8_decode(u + j + a2, len - j - a2, &a3);
                    if (ref_is_letter(d2)) {
                        seen_apos = 1;
                        j += a2;
                        continue;
                    }
                }
                break;
            }
            int name = latin && !sent_start && lead >= 2 && is_upper_latin(cp);
            if (name)
                wr_slot(&d.t, SLOT_NAME);
            if (ascii) {        /* ASCII letters and apostrophes: lower-case in bulk */
                if (!name)
                    wr_ascii_lower(&d.t, p + i, j - i);
                if (d.has_s)
                    wr_ascii_lower(&d.s, p + i, j - i);
                i = j;
                sent_start = 0;
                continue;
            }
            for (size_t k = i; k < j;) {
                size_t a2;
                uint32_t f = fold(ref_utf8_decode(u + k, j - k, &a2));
                if (!name)
                    wr_cp(&d.t, f);
                if (d.has_s)
                    wr_cp(&d.s, f);
                k += a2;
            }
            i = j;
            sent_start = 0;
            continue;
        }

        /* everything else: one character (punctuation, CJK, symbols) */
        {
            uint32_t f = fold(cp);
            em_cp(&d, f);
            if (f == '.' || f == '!' || f == '?' || f == ':' || f == ';' || cp == 0x3002 ||
                cp == 0xFF61 || cp == 0x2026)
                sent_start = 1;
            else if (ref_is_cjk(cp) || (f >= '0' && f <= '9'))
                sent_start = 0;
            i += adv;
        }
    }
    /* wr_bytes writes a token whole or not at all: the output is always
     * cut at a token boundary, so it is valid UTF-8. */
    if (scan_len)
        *scan_len = d.s.len;
    return d.t.len;
}

static size_t ref_text_template(const char *p, size_t len, char *out, size_t cap)
{
    return ref_text_normalise(p, len, out, cap, NULL, 0, NULL);
}

/* ---- token iterator ------------------------------------------------------ */

static int is_word_char(uint32_t cp)
{
    if (cp < 0x80)
        return ascii_alnum((unsigned char)cp) || cp == '_' || cp == '<' || cp == '>';
    return ref_is_letter(cp) || is_combining(cp) || digit_value(cp) >= 0;
}

static inline int ascii_word(unsigned char c)
{
    return ascii_alnum(c) || c == '_' || c == '<' || c == '>';
}

static int ref_next_token(const char *norm, size_t len, size_t *pos, size_t *start, int *cjk)
{
    const unsigned char *u = (const unsigned char *)norm;
    size_t i = *pos;
    while (i < len) {
        size_t adv = 1;
        uint32_t cp;
        if (u[i] < 0x80) {                      /* fast path: ASCII */
            if (!ascii_word(u[i])) {
                i++;
                continue;
            }
            cp = u[i];
        } else {
            cp = ref_utf8_decode(u + i, len - i, &adv);
            if (ref_is_cjk(cp)) {
                *start = i;
                *pos = i + adv;
                *cjk = 1;
                return 1;
            }
            if (!is_word_char(cp)) {
                i += adv;
                continue;
            }
        }
        size_t j = i + adv;
        while (j < len) {
            if (u[j] < 0x80) {
                if (!ascii_word(u[j]))
                    break;
                j++;
                continue;
            }
            size_t a2 = 1;
            uint32_t d = ref_utf8_decode(u + j, len - j, &a2);
            if (!is_word_char(d) || ref_is_cjk(d))
                break;
            j += a2;
        }
        *start = i;
        *pos = j;
        *cjk = 0;
        return 1;
    }
    *pos = len;
    return 0;
}

static size_t ref_tokenize(const char *norm, size_t len, struct hu__token *toks, size_t cap)
{
    size_t pos = 0, st = 0, n = 0;
    int cjk = 0;
    if (norm == NULL || len > UINT32_MAX)
        return len > UINT32_MAX ? SIZE_MAX : 0;
    while (ref_next_token(norm, len, &pos, &st, &cjk)) {
        if (n == cap)
            return SIZE_MAX;
        toks[n].start = (uint32_t)st;
        toks[n].end = (uint32_t)pos;
        toks[n].cjk = (uint32_t)cjk;
        n++;
    }
    return n;
}

/* ---- head and tail keys -------------------------------------------------- */

/* Is there a sentence end in norm[a..b) (the gap between two tokens)? */
static int gap_ends_sentence(const char *norm, size_t a, size_t b)
{
    for (size_t i = a; i < b; i++) {
        unsigned char c = (unsigned char)norm[i];
        if (c == '.' || c == '!' || c == '?' || c == ':' || c == ';')
            return 1;
        if (c == 0xE3 && i + 2 < b && (unsigned char)norm[i + 1] == 0x80 &&
            (unsigned char)norm[i + 2] == 0x82)
            return 1;                                  /* 。 */
    }
    return 0;
}

static void ref_text_head_tail(const char *norm, size_t len, uint64_t *head, uint64_t *tail)
{
    enum { K = HU_TEXT_HT_MAX };
    size_t rs[K], re[K];            /* ring: starts and ends of the last K tokens */
    size_t pos = 0, st = 0, n = 0, head_end = 0, first = 0, prev_end = 0;
    int cjk = 0, head_done = 0;

    *head = *tail = 0;
    if (norm == NULL)
        return;
    while (ref_next_token(norm, len, &pos, &st, &cjk)) {
        if (n == 0) {
            first = st;
        } else if (!head_done && n >= HU_TEXT_HT_MIN && gap_ends_sentence(norm, prev_end, st)) {
            head_done = 1;                              /* head = tokens 0..n-1 */
        }
        if (!head_done) {
            head_end = pos;
            if (n + 1 == HU_TEXT_HT_MAX)
                head_done = 1;
        }
        rs[n % K] = st;
        re[n % K] = pos;
        prev_end = pos;
        n++;
    }
    if (n == 0)
        return;
    /* tail: walk back from the last token */
    size_t cnt = 1, j = n - 1;
    while (j > 0 && cnt < HU_TEXT_HT_MAX && cnt < n) {
        size_t prev = j - 1;
        if (cnt >= HU_TEXT_HT_MIN && gap_ends_sentence(norm, re[prev % K], rs[j % K]))
            break;
        j = prev;
        cnt++;
    }
    uint64_t h = hu_hash(norm + first, head_end - first);
    uint64_t t = hu_hash(norm + rs[j % K], re[(n - 1) % K] - rs[j % K]);
    *head = h ? h : 1;
    *tail = t ? t : 1;
}

static void ref_head_tail_tokens(const char *norm, const struct hu__token *toks, size_t n,
                          uint64_t *head, uint64_t *tail)
{
    size_t head_end = 0, first = 0;
    int head_done = 0;

    *head = *tail = 0;
    if (norm == NULL || n == 0)
        return;
    first = toks[0].start;
    for (size_t k = 0; k < n; k++) {
        if (k > 0 && !head_done && k >= HU_TEXT_HT_MIN &&
            gap_ends_sentence(norm, toks[k - 1].end, toks[k].start))
            head_done = 1;
        if (!head_done) {
            head_end = toks[k].end;
            if (k + 1 == HU_TEXT_HT_MAX)
                head_done = 1;
        }
    }
    /* tail: walk back from the last token */
    size_t cnt = 1, j = n - 1;
    while (j > 0 && cnt < HU_TEXT_HT_MAX && cnt < n) {
        size_t prev = j - 1;
        if (cnt >= HU_TEXT_HT_MIN && gap_ends_sentence(norm, toks[prev].end, toks[j].start))
            break;
        j = prev;
        cnt++;
    }
    uint64_t h = hu_hash(norm + first, head_end - first);
    uint64_t t = hu_hash(norm + toks[j].start, toks[n - 1].end - toks[j].start);
    *head = h ? h : 1;
    *tail = t ? t : 1;
}
/* ==== src/features/simhash.c ==== */
/*
 * simhash.c -- 64-bit SimHash over word shingles (see simhash.h).
 *
 * Each shingle is hashed (XXH3, fixed seed); each of the 64 counters goes
 * up by one where the shingle's hash has a 1 bit and down where it has a 0;
 * the signature keeps the sign of each counter.  Two texts sharing a
 * fraction s of their shingles agree on a bit with probability about
 * 1 - acos(s)/pi, so unrelated texts sit near 32 bits apart and
 * near-duplicates near 0.
 *
 * Shingles: for Latin, Greek, Cyrillic... words, the unigram with weight 2
 * (vocabulary overlap survives reordering and paraphrase) and the bigram
 * with weight 1 (order); for
 * CJK, where a character is roughly a morpheme and there are no spaces,
 * character bigrams only (single characters are too common to say much).
 * Slot tokens (<num>, <name>...) are ordinary words, so two prompts of one
 * template get the same signature.
 *
 * Measured (tests/unit/test_text.c, 5 paraphrase pairs in en/zh/es against
 * 5 unrelated prompts): paraphrases are at most 15 bits apart, unrelated
 * prompts at least 22 (typically ~32).  Cost: one pass over the text
 * plus 64 adds per shingle, about 150-300 MB/s (bench/bench_features.c).
 */


/* Unigrams count twice as much as bigrams.  Measured on the paraphrase set
 * of tests/unit/test_text.c: weight 1 gave max paraphrase distance 17 vs
 * min unrelated 20; weight 2 gives 15 vs 22; unigrams only 15 vs 18. */
#define UNIGRAM_WEIGHT 2

/* bits[x][j] = bit j of byte x: adding the 8 rows picked by the 8 bytes
 * of a hash counts its set bits per position with 8 vector adds instead of
 * 64 shifts (3x faster here). */
static int32_t bits[256][8];
static pthread_once_t bits_once = PTHREAD_ONCE_INIT;

static void bits_init(void)
{
    for (int x = 0; x < 256; x++)
        for (int j = 0; j < 8; j++)
            bits[x][j] = (x >> j) & 1;
}

/* cnt[b] += w * bit b of h */
static inline void add(int32_t cnt[64], uint64_t h, int32_t w)
{
    for (int k = 0; k < 8; k++) {
        const int32_t *row = bits[(h >> (8 * k)) & 0xFF];
        int32_t *c = cnt + 8 * k;
        for (int j = 0; j < 8; j++)
            c[j] += row[j] * w;
    }
}

static uint64_t ref_text_simhash(const char *norm, size_t len)
{
    return ref_text_simhash_seeded(norm, len, HU_HASH_SEED);
}

/* The weighted bit counts of one signature being built: every non-CJK
 * token as a unigram (UNIGRAM_WEIGHT) and every adjacent pair as a bigram
 * (weight 1); a text of one CJK character counts that character once. */
struct sh_acc {
    int32_t v[64];                  /* weighted count of 1 bits per position */
    int32_t total;                  /* sum of weights */
    size_t n;
    uint64_t prev;
    int have_prev;
};

static void sh_token(struct sh_acc *a, uint64_t h, int cjk)
{
    if (!cjk) {
        add(a->v, h, UNIGRAM_WEIGHT);
        a->total += UNIGRAM_WEIGHT;
        a->n++;
    }
    if (a->have_prev) {
        add(a->v, hu_hash_combine(a->prev, h), 1);
        a->total += 1;
        a->n++;
    }
    a->prev = h;
    a->have_prev = 1;
}

static uint64_t sh_finish(struct sh_acc *a)
{
    if (a->n == 0 && a->have_prev) {   /* one lone CJK character */
        add(a->v, a->prev, 1);
        a->total += 1;
        a->n++;
    }
    if (a->n == 0)
        return 0;
    uint64_t sig = 0;
    for (int b = 0; b < 64; b++)
        if (2 * a->v[b] > a->total)     /* more weight on 1 than on 0 */
            sig |= UINT64_C(1) << b;
    return sig;
}

static uint64_t ref_text_simhash_seeded(const char *norm, size_t len, uint64_t seed)
{
    struct sh_acc a = { { 0 }, 0, 0, 0, 0 };
    size_t pos = 0, start = 0;
    int cjk = 0;

    if (norm == NULL)
        return 0;
    pthread_once(&bits_once, bits_init);
    while (ref_next_token(norm, len, &pos, &start, &cjk))
        sh_token(&a, hu_hash_seeded(norm + start, pos - start, seed), cjk);
    return sh_finish(&a);
}

static uint64_t ref_simhash_tokens(const char *norm, const struct hu__token *toks, size_t n_tok)
{
    return ref_simhash_tokens_seeded(norm, toks, n_tok, HU_HASH_SEED);
}

static uint64_t ref_simhash_tokens_seeded(const char *norm, const struct hu__token *toks, size_t n_tok,
                                   uint64_t seed)
{
    struct sh_acc a = { { 0 }, 0, 0, 0, 0 };

    if (norm == NULL)
        return 0;
    pthread_once(&bits_once, bits_init);
    for (size_t k = 0; k < n_tok; k++)
        sh_token(&a, hu_hash_seeded(norm + toks[k].start, toks[k].end - toks[k].start, seed), toks[k].cjk);
    return sh_finish(&a);
}
/* ==== src/features/lang.c ==== */
/*
 * lang.c -- coarse language guess (see lang.h).
 *
 * Decision, in order:
 *   1. Han characters >= 30% of letters and kana < 10% of Han -> zh;
 *      otherwise Han/kana/Hangul majority -> other (Japanese, Korean).
 *   2. Non-Latin letters (Cyrillic, Greek, Arabic...) the majority -> other.
 *   3. Latin: count stop words of English, Spanish, French, German,
 *      Portuguese over the first 256 tokens; ñ ¿ ¡ count for Spanish.  The
 *      language with most hits wins if it has at least one; ties and
 *      no hits: ASCII-only text is en, anything else other.
 * Short prompts ("hola", "ok") are the weak spot; nothing downstream relies
 * on the language of a single request.
 */


enum { L_EN, L_ES, L_FR, L_DE, L_PT, L_N };

struct stopword {
    const char *w;
    unsigned char lang;
};

/* Words that are frequent in one language and rare in the others ("de",
 * "en", "a" are shared and left out). */
static const struct stopword stops[] = {
    { "the", L_EN }, { "and", L_EN }, { "of", L_EN }, { "to", L_EN }, { "is", L_EN },
    { "you", L_EN }, { "that", L_EN }, { "it", L_EN }, { "for", L_EN }, { "what", L_EN },
    { "how", L_EN }, { "with", L_EN }, { "this", L_EN }, { "are", L_EN }, { "i", L_EN },
    { "your", L_EN }, { "can", L_EN }, { "be", L_EN }, { "an", L_EN }, { "in", L_EN },
    { "el", L_ES }, { "la", L_ES }, { "que", L_ES }, { "y", L_ES }, { "los", L_ES },
    { "las", L_ES }, { "por", L_ES }, { "para", L_ES }, { "una", L_ES }, { "es", L_ES },
    { "del", L_ES }, { "con", L_ES }, { "cómo", L_ES }, { "qué", L_ES }, { "al", L_ES },
    { "se", L_ES }, { "lo", L_ES }, { "su", L_ES }, { "paso", L_ES }, { "cuál", L_ES },
    { "le", L_FR }, { "les", L_FR }, { "des", L_FR }, { "est", L_FR }, { "et", L_FR },
    { "une", L_FR }, { "vous", L_FR }, { "pas", L_FR }, { "du", L_FR }, { "je", L_FR },
    { "der", L_DE }, { "die", L_DE }, { "und", L_DE }, { "ist", L_DE }, { "nicht", L_DE },
    { "ich", L_DE }, { "sie", L_DE }, { "das", L_DE }, { "ein", L_DE }, { "mit", L_DE },
    { "não", L_PT }, { "você", L_PT }, { "os", L_PT }, { "uma", L_PT }, { "é", L_PT },
    { "do", L_PT }, { "da", L_PT }, { "em", L_PT }, { "como", L_PT },
};

/* Stop words packed into a uint64 (up to 8 bytes, little-endian, zero
 * padded) with the language in the low byte of a second array, sorted for
 * binary search: a token costs one pack and ~7 compares. */
#define N_STOPS (sizeof stops / sizeof stops[0])
static uint64_t packed[N_STOPS];
static unsigned char packed_lang[N_STOPS];
static pthread_once_t packed_once = PTHREAD_ONCE_INIT;

static uint64_t pack(const char *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n && i < 8; i++)
        v |= (uint64_t)(unsigned char)p[i] << (8 * i);
    return v;
}

static void packed_init(void)
{
    for (size_t i = 0; i < N_STOPS; i++) {
        packed[i] = pack(stops[i].w, strlen(stops[i].w));
        packed_lang[i] = stops[i].lang;
    }
    for (size_t i = 1; i < N_STOPS; i++)       /* insertion sort, 70 items */
        for (size_t j = i; j > 0 && packed[j - 1] > packed[j]; j--) {
            uint64_t t = packed[j];
            packed[j] = packed[j - 1];
            packed[j - 1] = t;
            unsigned char l = packed_lang[j];
            packed_lang[j] = packed_lang[j - 1];
            packed_lang[j - 1] = l;
        }
}

static int stop_lang(const char *p, size_t n)
{
    uint64_t v = pack(p, n);
    size_t lo = 0, hi = N_STOPS;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (packed[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (lo < N_STOPS && packed[lo] == v) ? packed_lang[lo] : -1;
}

/* toks == NULL: walk the tokens here; else the first n of ref_tokenize. */
static int guess(const char *norm, size_t len, const struct hu__token *toks, size_t n_toks)
{
    const unsigned char *u = (const unsigned char *)norm;
    size_t han = 0, kana = 0, hangul = 0, latin = 0, other = 0, nonascii_latin = 0;
    unsigned score[L_N] = { 0 };

    if (norm == NULL || len == 0)
        return HU_LANG_NONE;
    pthread_once(&packed_once, packed_init);
    for (size_t i = 0; i < len;) {
        size_t adv = 1;
        uint32_t cp = u[i] < 0x80 ? u[i] : ref_utf8_decode(u + i, len - i, &adv);
        i += adv;
        if (cp == '<') {           /* slot tokens ("<num>") are not text */
            size_t j = i;
            while (j < len && j < i + 6 && u[j] >= 'a' && u[j] <= 'z')
                j++;
            if (j < len && u[j] == '>' && j > i) {
                i = j + 1;
                continue;
            }
        }
        if (cp < 0x80) {
            if ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z')
                latin++;
            continue;
        }
        if (ref_is_han(cp))
            han++;
        else if (cp >= 0x3040 && cp <= 0x30FF)
            kana++;
        else if (ref_is_cjk(cp))
            hangul++;
        else if (cp == 0xF1 || cp == 0xBF || cp == 0xA1)
            score[L_ES] += 2, latin++, nonascii_latin++;
        else if (ref_is_letter(cp)) {
            if (cp <= 0x24F || (cp >= 0x1E00 && cp <= 0x1EFF))
                latin++, nonascii_latin++;
            else
                other++;
        }
    }
    size_t cjk = han + kana + hangul;
    /* A Latin character is worth about a fifth of a CJK one in content. */
    size_t latin_w = latin / 5;
    if (cjk > 0 && cjk >= latin_w && cjk >= other) {
        if (han * 10 >= (han + kana + hangul) * 3 && kana * 10 < han && hangul * 10 < han)
            return HU_LANG_ZH;
        return HU_LANG_OTHER;
    }
    if (other > latin)
        return HU_LANG_OTHER;
    if (latin == 0)
        return HU_LANG_OTHER;

    if (toks != NULL) {
        for (size_t k = 0; k < n_toks && k < 256; k++) {
            size_t n = toks[k].end - toks[k].start;
            if (n > 8)
                continue;
            int l = stop_lang(norm + toks[k].start, n);
            if (l >= 0)
                score[l]++;
        }
    } else {
        size_t pos = 0, start = 0, ntok = 0;
        int cjkflag = 0;
        while (ntok < 256 && ref_next_token(norm, len, &pos, &start, &cjkflag)) {
            size_t n = pos - start;
            ntok++;
            if (n > 8)
                continue;
            int l = stop_lang(norm + start, n);
            if (l >= 0)
                score[l]++;
        }
    }
    int best = -1;
    unsigned bs = 0;
    int tie = 0;
    for (int l = 0; l < L_N; l++) {
        if (score[l] > bs) {
            bs = score[l];
            best = l;
            tie = 0;
        } else if (score[l] == bs && bs > 0) {
            tie = 1;
        }
    }
    if (best < 0 || tie)
        return nonascii_latin == 0 ? HU_LANG_EN : HU_LANG_OTHER;
    if (best == L_EN)
        return HU_LANG_EN;
    if (best == L_ES)
        return HU_LANG_ES;
    return HU_LANG_OTHER;
}

static int ref_lang_guess(const char *norm, size_t len)
{
    return guess(norm, len, NULL, 0);
}

static int ref_lang_guess_tokens(const char *norm, size_t len, const struct hu__token *toks, size_t n)
{
    return guess(norm, len, toks, n);
}
#endif
