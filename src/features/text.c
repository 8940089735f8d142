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
 * The pass is a hand-written scanner over code points, not a regex engine,
 * and its cost is strictly linear.  At each position it tries, in order:
 * whitespace, code fences and inline code, quotes, URLs, ASCII "atoms"
 * (e-mail, hex, uuid, key-like tokens), numbers, CJK numerals, words (names
 * or folded letters), and finally single characters (punctuation, CJK,
 * symbols).
 *
 * Fast paths.  Most bytes of most prompts are spaces, words of ASCII
 * letters, words with a few non-ASCII letters, and Han or kana characters.
 * For each of these the scanner first asks whether the general path would
 * do anything but the obvious (a URL, an atom, an apostrophe, a CJK
 * numeral...) and, if not, does the obvious directly: a word's end found
 * eight bytes at a time, lowered and copied eight bytes at a time, a
 * character copied as is.  Anything in doubt falls through to the general
 * path unchanged, so the output is the general path's, byte for byte:
 * tests/unit/test_textref.c holds every function of this file, simhash.c
 * and lang.c to a frozen copy of the code before the fast paths, on the
 * prompts corpus, generated prose, random pieces, random bytes and damaged
 * UTF-8, with small output caps.  Measured on bench_json's prose (653-byte
 * prompts, 20% non-ASCII words): 61.7k -> 25.6k instructions per prompt
 * for the template and scan text together (docs/performance.md).
 *
 * One walk for the token features.  The template used to be walked again
 * by the tokeniser, by SimHash (hashing every token), by the language
 * guess (counting letters by script) and by the head/tail keys.  Now
 * hu__text_normalise_tokens tokenises the template as it writes it (a
 * token is a run of code points each of which is a word character on its
 * own, so the bytes written by each turn can be classified at once; the
 * ASCII word, em_word and Han/kana fast paths move the token state in
 * O(1)), hashes each token when it closes and counts what the language
 * guess counts; textfeat.c turns that into SimHash, head/tail keys and
 * the language.  The scan text, the template but for names, is built at
 * the end from the template and notes of the names (dual_split).  Per bench_json
 * line: normalise + tokenise + SimHash + head/tail + language + code
 * points 63.1k -> 42.4k instructions, 4.41 -> 2.71 us (docs/performance.md,
 * "One walk"); every output byte-identical (test_textref).
 *
 * Real prompts (exam questions, maths, code, prose with punctuation and
 * line breaks) sent 17% of the scanner's turns to the general path (word
 * salad: ~2%): '.', '\n', ',', '-', ':', '*', brackets, digits.  Three
 * more fast paths, each for bytes that only one or two branches of the
 * general path can take: ASCII punctuation, symbols and controls (only
 * the last branch: written as is, . ! ? : ; start a sentence, the open
 * token ends), ASCII digits (the atom test, then the number, with ASCII
 * digits stepped over undecoded) and ASCII whitespace.  On the prompts
 * corpus 2.5% of turns are left to the general path (quotes, backticks,
 * apostrophes, CJK numerals and punctuation).  Then the branches the
 * predictor loses on real text were made data-independent: the space
 * before a word and its first 16 letters stored without a branch, the
 * token entry stored whether or not a space closes it, the name test
 * without short cuts, the URL test on the first two letters.  Per real
 * line (1.5 KB, bench_json real): 46.5k -> 43.6k instructions, 425 -> 241
 * mispredicted branches (callgrind's simulator), 3.31 -> 2.63 us; on the
 * salad 26.5k -> 28.0k instructions (stores for branches), 1.61 -> 1.51
 * us (docs/performance.md, "Real prompt text").
 *
 * The language guess also needs the ASCII letters outside slot tokens
 * ("<num>"): the writer's own slots are never counted (tz_word_n), and any
 * other '<' in the template (a literal one, a fullwidth one folded) is
 * settled once the bytes after it are written (tz_lt_settle, out of line:
 * rare), instead of a memchr pass over the finished template.  And the
 * scanner is a chain: each turn starts where the last one ended, so on
 * real text it is bound by that chain's latency (the word's end: a load,
 * the letter test, a count of trailing zeros) and by mispredicted
 * branches, more than by instructions.  wr_letters_lower, em_byte and
 * wr_byte are forced inline (GCC had left them calls), the word's end is
 * one operation shorter, and the scan text is built from notes of the
 * names (dual_split) instead of being written word by word after the
 * first name (on real prompts most words were written twice: -9%
 * instructions).  Measured by me (bench_json stages,real, minimum of 3
 * runs, three runs each of main's binary and this one, alternated, shared
 * machine), normalise + tokens with the slot letters moved in:
 * 2.81-2.84 -> 2.40-2.44 us per real line and 1.56-1.59 -> 1.48-1.51 us
 * on the salad.  Tried and dropped: taking the
 * space after a word in the word's turn without a branch (-13
 * mispredictions per line in callgrind, but slower: the next turn's start
 * then waits on a load), and the word's end sixteen bytes a step with a
 * branch-free choice of half (more instructions, no fewer
 * mispredictions).
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
#include <string.h>

#include "features/text.h"
#include "features/lang.h"
#include "core/hash.h"

/* ---- UTF-8 ---------------------------------------------------------------- */

uint32_t hu__utf8_decode(const unsigned char *p, size_t len, size_t *adv)
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

size_t hu_text_chars(const char *p, size_t len)
{
    size_t n = 0, i = 0;
    const unsigned char *u = (const unsigned char *)p;
    const uint64_t ones = UINT64_C(0x0101010101010101);
    for (; i + 8 <= len; i += 8) {     /* 8 bytes: count the continuation bytes */
        uint64_t x;
        memcpy(&x, u + i, 8);
        /* a continuation byte has bit 7 set and bit 6 clear (binary
         * 10......): x << 1 lines each byte's bit 6 up under its bit 7 */
        uint64_t cont = (x & ~(x << 1) & (0x80 * ones)) >> 7;
        n += 8 - (size_t)((cont * ones) >> 56);
    }
    for (; i < len; i++)
        if ((u[i] & 0xC0) != 0x80)
            n++;
    /* Continuation bytes without a lead byte are invalid and count as one
     * each in the decoder; they are rare enough (never, after ingest) that
     * the fast count above is the contract's approximation. */
    return n;
}

/* ---- character classes ---------------------------------------------------- */

int hu__is_han(uint32_t cp)
{
    return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
           (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x20000 && cp <= 0x2FA1F);
}

int hu__is_cjk(uint32_t cp)
{
    return hu__is_han(cp) || (cp >= 0x3040 && cp <= 0x30FF) ||  /* kana */
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

int hu__is_letter(uint32_t cp)
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

static inline int is_space(uint32_t cp)
{
    return cp == ' ' || (cp >= 0x09 && cp <= 0x0D) || cp == 0xA0 || cp == 0x85 ||
           cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
           cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

static inline int is_invisible(uint32_t cp)
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

static inline void wr_bytes(struct wr *w, const char *s, size_t n)
{
    if (w->full)
        return;
    if (w->len + n > w->cap) {
        w->full = 1;
        return;
    }
    if (n <= 8) {                   /* a code point or a slot: no call to memcpy */
        char *o = w->out + w->len;
        for (size_t k = 0; k < n; k++)
            o[k] = s[k];
    } else {
        memcpy(w->out + w->len, s, n);
    }
    w->len += n;
}

static inline void wr_space(struct wr *w)
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
struct dual;
static inline void wr_letters_lower(struct wr *w, const char *s, size_t n, size_t in_avail);
static void em_word(struct dual *d, const char *p, size_t len, size_t i, size_t j, int name,
                    struct hu__tokbuf *tb);

/* A name the template masked while the scan text was not written: where
 * the template's "<name>" went, and what the scan text writes there. */
enum name_kind { NAME_FAST, NAME_EMWORD, NAME_ASCII, NAME_CP };
struct name_patch {
    size_t tpos, tend;     /* the template's bytes of the name: [tpos, tend) (a space,
                            * "<name>"; none when merged into the last name) */
    size_t i, j;           /* the name word in the input */
    int pend;              /* a space was pending before it */
    enum name_kind kind;   /* which writer writes it: the scan text's bytes */
};
#define N_NAME_PATCHES 64

struct dual {
    struct wr t, s;
    int has_s;             /* write the scan text now */
    int lazy;              /* the scan text is the template so far and not written */
    struct name_patch *pt; /* lazy: the names so far (npt of N_NAME_PATCHES) */
    size_t npt;
    const char *in;        /* the input (names are written from it) */
    size_t in_len;
};

/* The scan text is the template but for names, byte for byte: both
 * writers get the same calls except at a name (the template's "<name>",
 * nothing for a name merged into the last one; the scan text's folded
 * word), and neither is ever cut when cap is HU_TEXT_OUT_CAP(len) or more
 * and scap >= cap (with less, the turn that fills the template may still
 * write to the scan text, so cut outputs are both written as before).  So
 * the scan text is not written (lazy): each name is noted (struct
 * name_patch) and dual_split builds the scan text from the template and
 * the notes, at the end or when the notes run out (then both are written
 * from there on, as before).  Names were most of the scan text's cost:
 * on real prompts the first name came early and then every word was
 * written twice. */
static void dual_split(struct dual *d)
{
    if (!d->lazy)
        return;
    struct wr *s = &d->s;
    const struct wr *t = &d->t;
    size_t pos = 0;
    s->len = 0;
    s->full = 0;
    for (size_t k = 0; k < d->npt; k++) {
        /* the template up to the name, then the name as the scan text's
         * writer would have written it then: the same pending space (both
         * writers get every em_space, and each write clears it), and the
         * scan text is empty exactly when the template is */
        const struct name_patch *np = &d->pt[k];
        memcpy(s->out + s->len, t->out + pos, np->tpos - pos);
        s->len += np->tpos - pos;
        s->pend_space = np->pend;
        const unsigned char *u = (const unsigned char *)d->in;
        switch (np->kind) {
        case NAME_FAST:
            wr_letters_lower(s, d->in + np->i, np->j - np->i, d->in_len - np->i);
            break;
        case NAME_EMWORD: {
            /* em_word's own scan-text writes, the template side cut */
            struct dual r = { { NULL, 0, 0, 0, 1, SLOT_NONE }, *s, 1, 0, NULL, 0, d->in, d->in_len };
            em_word(&r, d->in, d->in_len, np->i, np->j, 1, NULL);
            *s = r.s;
            break;
        }
        case NAME_ASCII:
            wr_ascii_lower(s, d->in + np->i, np->j - np->i);
            break;
        case NAME_CP:
            for (size_t k2 = np->i; k2 < np->j;) {
                size_t a2;
                wr_cp(s, fold(hu__utf8_decode(u + k2, np->j - k2, &a2)));
                k2 += a2;
            }
            break;
        }
        pos = np->tend;
    }
    memcpy(s->out + s->len, t->out + pos, t->len - pos);
    s->len += t->len - pos;
    s->pend_space = t->pend_space;
    s->full = t->full;
    /* the scan text's last write was a word where the template's was a name */
    s->last = t->last == SLOT_NAME && d->npt > 0 ? SLOT_NONE : t->last;
    d->npt = 0;
    d->lazy = 0;
    d->has_s = 1;
}

/* A name p[i..j) is about to be written to the template: while the scan
 * text is lazy, it is noted instead of splitting the outputs (returns 1:
 * the caller ends the note with dual_name_end after the template's
 * write); with no room left, the outputs are split here (returns 0). */
static inline int dual_name(struct dual *d, size_t i, size_t j, enum name_kind kind)
{
    if (!d->lazy)
        return 0;
    if (d->npt == N_NAME_PATCHES) {
        dual_split(d);
        return 0;
    }
    struct name_patch *np = &d->pt[d->npt];
    np->tpos = d->t.len;
    np->i = i;
    np->j = j;
    np->pend = d->t.pend_space;
    np->kind = kind;
    return 1;
}

static inline void dual_name_end(struct dual *d)
{
    d->pt[d->npt++].tend = d->t.len;
}

/* The template's "<name>" for the name p[i..j), noted for the scan text
 * while it is lazy (the caller writes the scan text's word when it is
 * not). */
static inline void dual_write_name(struct dual *d, size_t i, size_t j, enum name_kind kind)
{
    int noted = dual_name(d, i, j, kind);
    wr_slot(&d->t, SLOT_NAME);
    if (noted)
        dual_name_end(d);
}

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

/* em_cp of the code point whose valid UTF-8 is s[0..n): the same bytes. */
static inline void em_raw(struct dual *d, const char *s, size_t n)
{
    wr_space(&d->t);
    wr_bytes(&d->t, s, n);
    d->t.last = SLOT_NONE;
    if (d->has_s) {
        wr_space(&d->s);
        wr_bytes(&d->s, s, n);
        d->s.last = SLOT_NONE;
    }
}

/* wr_raw of one ASCII byte: when the pending space and the byte both
 * fit, both stored without a branch on whether the space is due. */
static inline __attribute__((always_inline)) void wr_byte(struct wr *w, char c)
{
    size_t sp = (size_t)((w->pend_space != 0) & (w->len > 0));
    if (!w->full && w->len + 2 <= w->cap) {
        w->out[w->len] = ' ';
        w->out[w->len + sp] = c;
        w->len += sp + 1;
        w->pend_space = 0;
        w->last = SLOT_NONE;
        return;
    }
    wr_space(w);
    wr_bytes(w, &c, 1);
    w->last = SLOT_NONE;
}

/* em_cp of an ASCII byte. */
static inline __attribute__((always_inline)) void em_byte(struct dual *d, char c)
{
    wr_byte(&d->t, c);
    if (d->has_s)
        wr_byte(&d->s, c);
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

/* Byte classes of the scanner, one table lookup each. */
#define C_ALNUM 1u      /* [0-9A-Za-z] */
#define C_ATOM  2u      /* [0-9A-Za-z._%+-@]: bytes of an e-mail / hex / key atom */
#define C_PUNCT 4u      /* ASCII that only the last branch takes: not alnum, space, ` ' " */
#define C_SENT  8u      /* . ! ? : ; (a sentence starts after it) */
#define CC_PUNCT(c) (((c) < 0x80 && !(((c) >= '0' && (c) <= '9') || ((c) >= 'A' && (c) <= 'Z') ||      \
                                    ((c) >= 'a' && (c) <= 'z') || (c) == ' ' ||                       \
                                    ((c) >= 0x09 && (c) <= 0x0D) || (c) == '`' || (c) == '\'' ||     \
                                    (c) == '"'))                                                       \
                         ? C_PUNCT                                                                     \
                         : 0u)
#define CC_SENT(c) (((c) == '.' || (c) == '!' || (c) == '?' || (c) == ':' || (c) == ';') ? C_SENT : 0u)
#define CC1(c) (((((c) >= '0' && (c) <= '9') || ((c) >= 'A' && (c) <= 'Z') || ((c) >= 'a' && (c) <= 'z')) \
                     ? C_ALNUM | C_ATOM                                                             \
                     : ((c) == '.' || (c) == '_' || (c) == '%' || (c) == '+' || (c) == '-' || (c) == '@') \
                           ? C_ATOM                                                                 \
                           : 0u) |                                                                  \
                CC_PUNCT(c) | CC_SENT(c))
#define CC4(c) CC1(c), CC1((c) + 1), CC1((c) + 2), CC1((c) + 3)
#define CC16(c) CC4(c), CC4((c) + 4), CC4((c) + 8), CC4((c) + 12)
#define CC64(c) CC16(c), CC16((c) + 16), CC16((c) + 32), CC16((c) + 48)
static const unsigned char byte_class[256] = { CC64(0), CC64(64) };   /* >= 0x80: 0 */

static inline int ascii_alnum(unsigned char c)
{
    return byte_class[c] & C_ALNUM;
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
            uint32_t cp = hu__utf8_decode((const unsigned char *)p + j, len - j, &adv);
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
    /* Short runs ("2024", "3.14", "e.g"): only an e-mail or 0x-hex can be
     * under 8 bytes (hex, uuid and keys need 8, 36 and 16): without '@'
     * and "0x", nothing to count. */
    if (n < 8 && !(n >= 3 && p[i] == '0' && (p[i + 1] | 0x20) == 'x') && memchr(p + i, '@', n) == NULL)
        return SLOT_NONE;
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

/* ---- the ASCII word fast path -------------------------------------------- */

static inline int ascii_letter(unsigned char c)
{
    return (unsigned char)((c | 0x20) - 'a') < 26;
}

/* Bytes the atom scan below takes into a run: [A-Za-z0-9._%+-@]. */
static inline int atom_byte(unsigned char c)
{
    return byte_class[c] & C_ATOM;
}

/* End of the run of ASCII letters starting at i: eight bytes at a time
 * (bit 7 of each byte of a carry-free mask says "not a letter", the first
 * one by count-trailing-zeros), so that the word's end costs one
 * unpredictable branch per 8 bytes instead of one per word byte. */
static inline size_t ascii_word_end(const unsigned char *u, size_t len, size_t i)
{
    const uint64_t ones = UINT64_C(0x0101010101010101), h = 0x80 * ones;
    while (len - i >= 8) {
        uint64_t x;
        memcpy(&x, u + i, 8);
        /* The word's end is on the loop's critical path (the next turn
         * starts there), so one operation fewer than the exact per-byte
         * test: bytes >= 0x80 are not masked to 7 bits first.  Such a byte
         * is a stop itself (x's bit 7), and its sums may carry into the
         * bytes above it only: every byte below the first stop is < 0x80
         * and carries nothing (0x7F + 0x1F < 0x100), so the first stop,
         * the only one read, is exact. */
        uint64_t l = x | (0x20 * ones);
        uint64_t ge_a = l + (0x80 - 'a') * ones, gt_z = l + (0x80 - 'z' - 1) * ones;
        uint64_t stop = ~(ge_a & ~(gt_z | x)) & h;
        if (stop != 0)
            return i + ((size_t)__builtin_ctzll(stop) >> 3);
        i += 8;
    }
    while (i < len && ascii_letter(u[i]))
        i++;
    return i;
}

/* wr_ascii_lower for n ASCII letters: lower case is "| 0x20" on every
 * byte, eight at a time.  `in_avail` bytes may be read from s (n of them
 * are the word): when the word rounded up to 8 bytes is readable and fits
 * the output, whole 8-byte chunks are copied (the bytes past the word
 * land beyond the output's length, where the next write goes), so a word
 * of up to 8 letters is one load, one or and one store. */
static inline __attribute__((always_inline)) void wr_letters_lower(struct wr *w, const char *s, size_t n,
                                                                   size_t in_avail)
{
    const uint64_t lc = UINT64_C(0x2020202020202020);
    if (w->full)
        return;
    /* wr_space without a branch on whether a space is pending (after a
     * word it is, after punctuation it is not: unpredictable); when the
     * space and the first 16 letters fit, the space byte is stored either
     * way (a word overwrites it when none is due) and 16 bytes copied */
    size_t sp = (size_t)((w->pend_space != 0) & (w->len > 0));
    if (n <= 16 && in_avail >= 16 && w->len + 17 <= w->cap) {
        char *o = w->out + w->len;
        uint64_t x0, x1;
        memcpy(&x0, s, 8);
        memcpy(&x1, s + 8, 8);
        o[0] = ' ';
        x0 |= lc;
        x1 |= lc;
        memcpy(o + sp, &x0, 8);
        memcpy(o + sp + 8, &x1, 8);
        w->len += sp + n;
        w->pend_space = 0;
        w->last = SLOT_NONE;
        return;
    }
    if (sp) {                                   /* wr_space */
        if (w->len + 1 > w->cap) {
            w->full = 1;
            return;
        }
        w->out[w->len++] = ' ';
    }
    w->pend_space = 0;
    if (w->len + n > w->cap) {
        w->full = 1;
        return;
    }
    char *o = w->out + w->len;
    size_t k = 0, n8 = (n + 7) & ~(size_t)7;
    if (n8 <= in_avail && w->len + n8 <= w->cap) {
        for (; k < n8; k += 8) {
            uint64_t x;
            memcpy(&x, s + k, 8);
            x |= lc;
            memcpy(o + k, &x, 8);
        }
    } else {
        for (; k + 8 <= n; k += 8) {
            uint64_t x;
            memcpy(&x, s + k, 8);
            x |= lc;
            memcpy(o + k, &x, 8);
        }
        for (; k < n; k++)
            o[k] = (char)(s[k] | 0x20);
    }
    w->len += n;
    w->last = SLOT_NONE;
}

/* Does a URL's scheme or "www." start at i (the URL branch's test)? */
static __attribute__((noinline)) int url_scheme(const char *p, size_t len, size_t i)
{
    return starts_ci(p, len, i, "http://") || starts_ci(p, len, i, "https://") ||
           starts_ci(p, len, i, "ftp://") || starts_ci(p, len, i, "www.");
}

/* (the first test inline: most words start with none of h, f, w) */
static inline int url_start(const char *p, size_t len, size_t i)
{
    /* every scheme's second letter is t or w: "how", "what", "for" are
     * settled without a branch on their first letter (a word that starts
     * with h, f or w is a coin toss for the branch predictor) */
    unsigned char c = (unsigned char)p[i] | 0x20;
    unsigned char c2 = i + 1 < len ? (unsigned char)p[i + 1] | 0x20 : 0;
    int maybe = (((c == 'h') | (c == 'f')) & (c2 == 't')) | ((c == 'w') & (c2 == 'w'));
    return maybe && url_scheme(p, len, i);
}

/* May the letters p[i..j) (i < j, u[i] a letter) take the fast path?
 * Yes when the general path would treat them as exactly one word of
 * ASCII letters and nothing else:
 *   - no URL starts at i (only possible at h, f, w);
 *   - the word ends at j: the next byte is not a non-ASCII byte (a letter
 *     or combining mark could continue it) nor an apostrophe;
 *   - when the atom test runs (atom_test), the atom run it would measure,
 *     trailing '.', '-', '_' trimmed, is p[i..j) itself: letters only,
 *     which classify_atom never masks (e-mail needs '@', hex and keys
 *     need digits, a uuid needs '-').  So the byte after j must not be a
 *     digit, '%', '+' or '@', and a run of '.', '-', '_' after j must not
 *     be followed by another atom byte. */
static inline int ascii_fast_word(const char *p, size_t len, size_t i, size_t j, int atom_test)
{
    const unsigned char *u = (const unsigned char *)p;
    if (url_start(p, len, i))
        return 0;
    if (j == len)
        return 1;
    if (u[j] >= 0x80 || u[j] == '\'')
        return 0;
    if (!atom_test || !atom_byte(u[j]))
        return 1;
    if (u[j] != '.' && u[j] != '-' && u[j] != '_')
        return 0;
    size_t k = j;
    while (k < len && (u[k] == '.' || u[k] == '-' || u[k] == '_'))
        k++;
    return k == len || !atom_byte(u[k]);
}

/* The word branch's walk for a word without apostrophes: letters (any
 * script hu__is_letter knows) and combining marks from i.  Returns the
 * word's end and its code points in *lead, or 0 when an apostrophe
 * follows a letter (the general path decides whether it continues the
 * word: "don't", "l'homme").  Reads nothing past len. */
static size_t ext_word_end(const unsigned char *u, size_t len, size_t i, size_t *lead)
{
    size_t j = i, n = 0;
    while (j < len) {
        if (ascii_letter(u[j])) {
            size_t k = ascii_word_end(u, len, j);
            n += k - j;
            j = k;
            continue;
        }
        if (u[j] < 0x80) {
            if (u[j] == '\'' && j + 1 < len)
                return 0;
            break;
        }
        size_t a2;
        uint32_t dc;
        if (u[j] >= 0xC3 && u[j] <= 0xD4 && len - j >= 2 && (u[j + 1] & 0xC0) == 0x80) {
            /* hu__utf8_decode's two-byte case inline, for U+00C0..U+053F:
             * Latin letters but x and division, and Cyrillic, are letters */
            dc = ((uint32_t)(u[j] & 0x1F) << 6) | (u[j + 1] & 0x3F);
            a2 = 2;
            if ((dc >= 0xC0 && dc <= 0x24F && dc != 0xD7 && dc != 0xF7) || (dc >= 0x400 && dc <= 0x52F)) {
                n++;
                j += 2;
                continue;
            }
        } else {
            dc = hu__utf8_decode(u + j, len - j, &a2);
        }
        if (hu__is_letter(dc) || is_combining(dc)) {
            n++;
            j += a2;
            continue;
        }
        if (dc == 0x2019 && j + a2 < len)
            return 0;
        break;
    }
    *lead = n;
    return j;
}

/* wr_cp of a code point whose valid UTF-8 is s[0..n): the same bytes. */
static inline void wr_raw(struct wr *w, const char *s, size_t n)
{
    wr_space(w);
    wr_bytes(w, s, n);
    w->last = SLOT_NONE;
}

/* n ASCII letters written as n calls of wr_cp would write them: in bulk
 * when they all fit, else letter by letter up to the cut (wr_cp cuts
 * between code points, wr_letters_lower before the whole run). */
static inline void wr_letters_cp(struct wr *w, const char *s, size_t n, size_t in_avail)
{
    if (w->full || w->len + (w->pend_space && w->len > 0) + n <= w->cap) {
        wr_letters_lower(w, s, n, in_avail);
        return;
    }
    for (size_t k = 0; k < n; k++)
        wr_cp(w, (unsigned char)(s[k] | 0x20));
}

/* Emit the word p[i..j) (j <= len) as the word branch does: <name> in the
 * template for a name, else each code point folded; folded in the scan
 * text.  Runs of ASCII letters are lowered in bulk, and a letter that
 * folds to itself is copied (a decoded letter came from valid UTF-8, whose
 * encoding is its bytes): the same bytes as one wr_cp per code point. */

/* The template's tokens as it is written (struct hu__tokbuf; defined
 * with the tokeniser below). */
static inline void tz_scan(struct hu__tokbuf *tb, const char *o, size_t b);
static inline void tz_word_n(struct hu__tokbuf *tb, const char *o, size_t b, int letters);
static inline void tz_finish(struct hu__tokbuf *tb, const char *o, size_t b);
static inline void tz_cjk(struct hu__tokbuf *tb, const char *o, size_t b, int han);

/* hu__lang_count_cp of a code point >= 0x80 that a word writes: a letter
 * or a combining mark, never Han, kana, Hangul or an inverted mark, so
 * only the n-tilde and the letter tests remain (test_textref compares the
 * counts with the post-pass's). */
static inline void lang_word_cp(struct hu__lang_counts *c, uint32_t f)
{
    if (f == 0xF1)
        c->es += 2, c->latin++, c->nonascii_latin++;
    else if (!is_combining(f)) {
        if (f <= 0x24F || (f >= 0x1E00 && f <= 0x1EFF))
            c->latin++, c->nonascii_latin++;
        else
            c->other++;
    }
}

/* With tb: the bytes written to the template (a space, then the folded
 * word or "<name>", possibly cut) are word characters, none CJK (a letter
 * folds to a letter; hu__is_letter has no CJK), so the token state moves
 * in O(1) (tz_word_n) and the language counts take each code point >= 0x80
 * that was written (a write that fails sets t.full). */
static void em_word(struct dual *d, const char *p, size_t len, size_t i, size_t j, int name,
                    struct hu__tokbuf *tb)
{
    const unsigned char *u = (const unsigned char *)p;
    if (name) {
        dual_write_name(d, i, j, NAME_EMWORD);
    }
    for (size_t k = i; k < j && (!name || d->has_s);) {
        if (ascii_letter(u[k])) {
            size_t e = k + 1;
            while (e < j && ascii_letter(u[e]))
                e++;
            if (!name) {
                size_t before = d->t.len;
                int sp = d->t.pend_space && before > 0 && !d->t.full;
                wr_letters_cp(&d->t, p + k, e - k, len - k);
                if (tb != NULL && d->t.len > before)        /* the letters written */
                    tb->letters += d->t.len - before - (size_t)sp;
            }
            if (d->has_s)
                wr_letters_cp(&d->s, p + k, e - k, len - k);
            k = e;
            continue;
        }
        size_t a2;
        uint32_t cp, f;
        if (u[k] >= 0xC2 && u[k] <= 0xDF && j - k >= 2 && (u[k + 1] & 0xC0) == 0x80) {
            /* hu__utf8_decode's two-byte case, inline; lower-case Latin-1
             * and Cyrillic fold to themselves */
            cp = ((uint32_t)(u[k] & 0x1F) << 6) | (u[k + 1] & 0x3F);
            a2 = 2;
            f = (cp >= 0xDF && cp <= 0xFF) || (cp >= 0x430 && cp <= 0x45F) ? cp : fold(cp);
        } else {
            cp = hu__utf8_decode(u + k, j - k, &a2);
            f = fold(cp);
        }
        if (f == cp && cp != 0xFFFD) {
            if (!name)
                wr_raw(&d->t, p + k, a2);
            if (d->has_s)
                wr_raw(&d->s, p + k, a2);
        } else {
            if (!name)
                wr_cp(&d->t, f);
            if (d->has_s)
                wr_cp(&d->s, f);
        }
        if (tb != NULL && !name && !d->t.full) {
            if (f >= 0x80)
                lang_word_cp(&tb->lc, f);
            else
                tb->letters++;                      /* fold gave 'i' or 's' */
        }
        k += a2;
    }
    if (tb != NULL)
        tz_word_n(tb, d->t.out, d->t.len, name);   /* name: "<name>" counted there */
}

/* End of the ASCII atom run [A-Za-z0-9._%+-@] from i, trailing '.', '-',
 * '_' given back (the atom branch's measure). */
static inline size_t atom_run_end(const unsigned char *u, size_t len, size_t i)
{
    size_t e = i;
    while (e < len && atom_byte(u[e]))
        e++;
    while (e > i && (u[e - 1] == '.' || u[e - 1] == '-' || u[e - 1] == '_'))
        e--;
    return e;
}

/* End of a number whose first digit ends at j: digits (any script
 * digit_value knows) with thousands separators and a decimal part.  An
 * ASCII digit, the common case, is stepped over without decoding (the
 * decoder gives an ASCII byte back as itself). */
static inline size_t number_end(const unsigned char *u, size_t len, size_t j)
{
    for (;;) {
        size_t a2 = 1;
        if (j >= len)
            break;
        if ((unsigned)(u[j] - '0') < 10u) {
            j++;
            continue;
        }
        uint32_t dc = u[j] < 0x80 ? u[j] : hu__utf8_decode(u + j, len - j, &a2);
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
            uint32_t d2 = hu__utf8_decode(u + j + a2, len - j - a2, &a3);
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
    return j;
}

static inline void tz_sep(struct hu__tokbuf *tb, const char *o, size_t b);

/* The scanner; tb == NULL for hu_text_normalise (inlined twice, so that
 * the plain normaliser carries no token test). */
static inline __attribute__((always_inline)) size_t
normalise(const char *p, size_t len, char *out, size_t cap, char *scan, size_t scap, size_t *scan_len,
          struct hu__tokbuf *tb)
{
    int want_s = scan != NULL && scap > 0;
    int lazy = want_s && scap >= cap && len <= (SIZE_MAX - 16) / 5 && cap >= HU_TEXT_OUT_CAP(len);
    struct name_patch names[N_NAME_PATCHES];
    struct dual d = { { out, cap, 0, 0, 0, SLOT_NONE }, { scan, scap, 0, 0, 0, SLOT_NONE }, want_s && !lazy,
                      lazy, names, 0, p, len };
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

        /* tokens of what the last turn wrote (the ASCII word fast path
         * below keeps tb->pos up to date itself) */
        if (tb != NULL && tb->pos != d.t.len)
            tz_scan(tb, out, d.t.len);

        /* Fast path: a word of ASCII letters that ends before an ASCII
         * byte other than an apostrophe, and is no URL, e-mail, hex or
         * key-like atom.  It gives what the general path below gives (the
         * word branch, after the atom test has found nothing), in one pass
         * over the word instead of four (test_textref holds it to the
         * reference scanner). */
        if (c == ' ') {                 /* what the whitespace branch below does */
            em_space(&d);
            i++;
            continue;
        }
        if (ascii_letter(c)) {
            size_t j = ascii_word_end(u, len, i);
            int atom_test = i >= atom_until && (i == 0 || !ascii_alnum(u[i - 1]));
            if (ascii_fast_word(p, len, i, j, atom_test)) {
                if (atom_test)
                    atom_until = j;
                int name = (!sent_start) & (j - i >= 2) & (c <= 'Z');   /* no short cut: */
                if (name) {                                              /* one branch */
                    dual_write_name(&d, i, j, NAME_FAST);
                } else
                    wr_letters_lower(&d.t, p + i, j - i, len - i);
                if (d.has_s)
                    wr_letters_lower(&d.s, p + i, j - i, len - i);
                if (tb != NULL)
                    tz_word_n(tb, out, d.t.len, 1);
                i = j;
                sent_start = 0;
                continue;
            }
            /* ASCII letters, then a non-ASCII byte ("café", "word—"): the
             * atom run is the letters (no atom byte is >= 0x80), which
             * classify_atom never masks; the word goes on through letters
             * of any script */
            size_t lead, e;
            if (j < len && u[j] >= 0x80 && !url_start(p, len, i) &&
                (e = ext_word_end(u, len, i, &lead)) != 0) {
                if (atom_test)
                    atom_until = j;
                em_word(&d, p, len, i, e, !sent_start && lead >= 2 && c <= 'Z', tb);
                i = e;
                sent_start = 0;
                continue;
            }
        }

        if (c < 0x80 && !ascii_letter(c)) {
            unsigned cls = byte_class[c];
            /* Fast path: ASCII punctuation, symbols and controls.  Only
             * the last branch of the general path takes them (no space,
             * code, quote, URL, atom, number or word starts with one):
             * the byte is written as is, and . ! ? : ; start a sentence.
             * For the tokens it ends the open token, or ('_', '<', '>')
             * is a word character. */
            if (cls & C_PUNCT) {
                em_byte(&d, (char)c);
                if (tb != NULL) {
                    if (c == '_' || c == '<' || c == '>')   /* word characters */
                        tz_word_n(tb, out, d.t.len, 0);
                    else
                        tz_sep(tb, out, d.t.len);
                }
                if (cls & C_SENT)
                    sent_start = 1;
                i++;
                continue;
            }
            /* Fast path: an ASCII digit.  The general path's branches that
             * can take it are the atom test (an e-mail, hex, uuid or key
             * starting here) and the number; the same code, without the
             * tests before them. */
            if (cls & C_ALNUM) {
                enum slot s = SLOT_NONE;
                if (i >= atom_until && (i == 0 || !ascii_alnum(u[i - 1]))) {
                    size_t e = atom_run_end(u, len, i);
                    if (e - i >= 3)
                        s = classify_atom(p, i, e);
                    if (s == SLOT_NONE)
                        atom_until = e;   /* as the general path: no atom before e */
                    else
                        i = e;
                }
                if (s == SLOT_NONE) {
                    i = number_end(u, len, i + 1);
                    s = SLOT_NUM;
                }
                em_slot(&d, s);
                if (tb != NULL)
                    tz_word_n(tb, out, d.t.len, 1);
                sent_start = 0;
                continue;
            }
            /* whitespace but ' ' (above): what the whitespace branch does */
            if (c >= 0x09 && c <= 0x0D) {
                em_space(&d);
                if (c == '\n')
                    sent_start = 1;
                i++;
                continue;
            }
        }

        size_t adv = 1;
        uint32_t cp = c < 0x80 ? c : hu__utf8_decode(u + i, len - i, &adv);

        /* Fast path: a word that starts with a non-ASCII letter.  No
         * branch before the word branch takes a letter (none is a space,
         * invisible, quote, digit or CJK numeral). */
        if (cp >= 0x80 && hu__is_letter(cp)) {
            size_t lead, e = ext_word_end(u, len, i, &lead);
            if (e != 0) {
                em_word(&d, p, len, i, e,
                        is_latin_letter(cp) && !sent_start && lead >= 2 && is_upper_latin(cp), tb);
                i = e;
                sent_start = 0;
                continue;
            }
        }

        /* Fast path: a Han or kana character that is no CJK numeral.  The
         * general path finds it no space, quote, digit or letter and ends
         * in its last branch: emitted as is (fold leaves it), no sentence
         * start. */
        if (((cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3040 && cp <= 0x30FF)) && !is_cjk_numeral(cp)) {
            em_raw(&d, p + i, adv);
            if (tb != NULL)
                tz_cjk(tb, out, d.t.len, cp >= 0x4E00);
            sent_start = 0;
            i += adv;
            continue;
        }

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
        if (c == '"' || cp == 0xAB || (cp >= 0x2018 && cp <= 0x201E) || cp == 0x300C || cp == 0x300E ||
            cp == 0xFF02) {                     /* the openers of closers[] */
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
            size_t e = atom_run_end(u, len, i);
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
            size_t j = number_end(u, len, i + adv);
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
                nx = hu__utf8_decode(u + j, len - j, &a2);
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
        if (hu__is_letter(cp)) {
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
                uint32_t dc = hu__utf8_decode(u + j, len - j, &a2);
                if (dc >= 0x80)
                    ascii = 0;
                if (hu__is_letter(dc) || is_combining(dc)) {
                    if (!seen_apos)
                        lead++;
                    j += a2;
                    continue;
                }
                if ((dc == '\'' || dc == 0x2019) && j + a2 < len) {
                    size_t a3;
                    uint32_t d2 = hu__utf8_decode(u + j + a2, len - j - a2, &a3);
                    if (hu__is_letter(d2)) {
                        seen_apos = 1;
                        j += a2;
                        continue;
                    }
                }
                break;
            }
            int name = latin && !sent_start && lead >= 2 && is_upper_latin(cp);
            if (name) {
                dual_write_name(&d, i, j, ascii ? NAME_ASCII : NAME_CP);
            }
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
                uint32_t f = fold(hu__utf8_decode(u + k, j - k, &a2));
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
            else if (hu__is_cjk(cp) || (f >= '0' && f <= '9'))
                sent_start = 0;
            i += adv;
        }
    }
    /* wr_bytes writes a token whole or not at all: the output is always
     * cut at a token boundary, so it is valid UTF-8. */
    if (tb != NULL)
        tz_finish(tb, out, d.t.len);
    dual_split(&d);                     /* the template, its names written as words */
    if (scan_len)
        *scan_len = d.s.len;
    return d.t.len;
}

size_t hu_text_normalise(const char *p, size_t len, char *out, size_t cap,
                         char *scan, size_t scap, size_t *scan_len)
{
    return normalise(p, len, out, cap, scan, scap, scan_len, NULL);
}

size_t hu__text_normalise_tokens(const char *p, size_t len, char *out, size_t cap,
                                 char *scan, size_t scap, size_t *scan_len, struct hu__tokbuf *tb)
{
    if (tb == NULL)
        return normalise(p, len, out, cap, scan, scap, scan_len, NULL);
    tb->n = 0;
    tb->overflow = 0;
    tb->lc = (struct hu__lang_counts){ 0 };
    tb->pos = tb->start = 0;
    tb->in_tok = 0;
    tb->letters = 0;
    tb->lt_pend = 0;
    return normalise(p, len, out, cap, scan, scap, scan_len, tb);
}

size_t hu_text_template(const char *p, size_t len, char *out, size_t cap)
{
    return hu_text_normalise(p, len, out, cap, NULL, 0, NULL);
}

/* ---- token iterator ------------------------------------------------------ */

static int is_word_char(uint32_t cp)
{
    if (cp < 0x80)
        return ascii_alnum((unsigned char)cp) || cp == '_' || cp == '<' || cp == '>';
    return hu__is_letter(cp) || is_combining(cp) || digit_value(cp) >= 0;
}

static inline int ascii_word(unsigned char c)
{
    return ascii_alnum(c) || c == '_' || c == '<' || c == '>';
}

int hu__next_token(const char *norm, size_t len, size_t *pos, size_t *start, int *cjk)
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
            cp = hu__utf8_decode(u + i, len - i, &adv);
            if (hu__is_cjk(cp)) {
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
            uint32_t d = hu__utf8_decode(u + j, len - j, &a2);
            if (!is_word_char(d) || hu__is_cjk(d))
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

/* ASCII bytes that are word characters for the tokeniser: [0-9A-Za-z_<>]. */
#define W1(c) (((c) >= '0' && (c) <= '9') || ((c) >= 'A' && (c) <= 'Z') || ((c) >= 'a' && (c) <= 'z') || \
               (c) == '_' || (c) == '<' || (c) == '>')
#define W4(c) W1(c), W1((c) + 1), W1((c) + 2), W1((c) + 3)
#define W16(c) W4(c), W4((c) + 4), W4((c) + 8), W4((c) + 12)
static const unsigned char word_ascii[128] = { W16(0), W16(16), W16(32), W16(48),
                                                W16(64), W16(80), W16(96), W16(112) };

/* Bit 7 set in each byte of x that is not an ASCII word byte (a byte
 * >= 0x80, or not [0-9A-Za-z_<>]); the rest 0.  Carry-free: every sum is
 * made on 7-bit values. */
static inline uint64_t ascii_nonword8(uint64_t x)
{
    const uint64_t ones = UINT64_C(0x0101010101010101), h = 0x80 * ones, m7 = 0x7F * ones;
    uint64_t y = x & m7, l = y | (0x20 * ones);
    uint64_t letter = (l + (0x80 - 'a') * ones) & ~(l + (0x80 - 'z' - 1) * ones);
    uint64_t digit = (y + (0x80 - '0') * ones) & ~(y + (0x80 - '9' - 1) * ones);
    uint64_t t1 = y ^ ('_' * ones), t2 = y ^ ('<' * ones), t3 = y ^ ('>' * ones);
    uint64_t eq = ~((t1 + m7) | t1) | ~((t2 + m7) | t2) | ~((t3 + m7) | t3);
    return ~((letter | digit | eq) & ~x) & h;
}

/* hu__next_token's walk, all tokens at once, with the ASCII word bytes
 * looked up in a table and the loop state in registers (the iterator's
 * call per token and its byte-class tests were 1.3 us of a 1 KB prose
 * line).  Same tokens as the iterator (test_textref).  Also, when asked,
 * hashing each token as it ends (its bytes are still in L1) and counting
 * the code points the language guess counts: the walks of SimHash and of
 * the guess without walking again.  Both walks step ASCII bytes one by one
 * (or eight at a time) and decode every other position, so they meet the
 * same code points (lang.h).  hs and lc may be NULL (hu__tokenize); the
 * feature worker no longer calls either (it tokenises while normalising,
 * below), so the tests' and the fall-back's two branches per token cost
 * nothing that matters. */
size_t hu__tokenize(const char *norm, size_t len, struct hu__token *toks, size_t cap)
{
    return hu__tokenize_hashed(norm, len, 0, toks, NULL, cap, NULL);
}

size_t hu__tokenize_hashed(const char *norm, size_t len, uint64_t seed, struct hu__token *toks,
                           uint64_t *hs, size_t cap, struct hu__lang_counts *lc)
{
    const unsigned char *u = (const unsigned char *)norm;
    size_t n = 0, i = 0;
    if (norm == NULL || len > UINT32_MAX)
        return len > UINT32_MAX ? SIZE_MAX : 0;
    while (i < len) {
        size_t j, adv = 1;
        unsigned char c = u[i];
        if (c < 0x80) {
            if (!word_ascii[c]) {
                i++;
                continue;
            }
        } else {
            uint32_t cp = hu__utf8_decode(u + i, len - i, &adv);
            if (lc)
                hu__lang_count_cp(lc, cp);
            if (cp >= 0x1100 && hu__is_cjk(cp)) {     /* nothing below U+1100 is CJK */
                if (n == cap)
                    return SIZE_MAX;
                toks[n].start = (uint32_t)i;
                toks[n].end = (uint32_t)(i + adv);
                toks[n].cjk = 1;
                if (hs)
                    hs[n] = hu_hash_seeded(u + i, adv, seed);
                n++;
                i += adv;
                continue;
            }
            if (!is_word_char(cp)) {
                i += adv;
                continue;
            }
        }
        j = i + adv;
        while (j < len) {
            if (len - j >= 8) {         /* eight bytes: where does the ASCII word stop? */
                uint64_t x;
                memcpy(&x, u + j, 8);
                uint64_t stop = ascii_nonword8(x);
                if (stop == 0) {
                    j += 8;
                    continue;
                }
                j += (size_t)__builtin_ctzll(stop) >> 3;
                if (u[j] < 0x80)
                    break;
            } else if (u[j] < 0x80) {
                if (!word_ascii[u[j]])
                    break;
                j++;
                continue;
            }
            size_t a2 = 1;
            uint32_t d = hu__utf8_decode(u + j, len - j, &a2);
            if (!is_word_char(d) || (d >= 0x1100 && hu__is_cjk(d)))
                break;                  /* d is counted where the outer loop decodes it */
            if (lc)
                hu__lang_count_cp(lc, d);
            j += a2;
        }
        if (n == cap)
            return SIZE_MAX;
        toks[n].start = (uint32_t)i;
        toks[n].end = (uint32_t)j;
        toks[n].cjk = 0;
        if (hs)
            hs[n] = hu_hash_seeded(u + i, j - i, seed);
        n++;
        i = j;
    }
    return n;
}

/* ---- tokens while normalising -------------------------------------------
 *
 * A token of the template is a run of word code points or one CJK code
 * point (hu__tokenize); whether a code point is a word or CJK character
 * depends on it alone, never on what follows.  So the template can be
 * tokenised as it is written: after each write the new bytes are
 * classified (tz_scan), and a token closes at the first byte that is no
 * word character.  The writer only appends whole code points (wr_bytes
 * writes a piece whole or not at all) and never changes a byte once
 * written, so the new bytes decode as they will in the finished template
 * and a closed token's bytes are final: it is hashed at once.  The ASCII
 * word fast path appends a space and letters, or "<name>": tz_word_n
 * updates the state in O(1).  Exactness: tests/unit/test_textref.c. */

static inline void tz_add(struct hu__tokbuf *tb, const char *o, size_t s, size_t e, uint32_t cjk)
{
    if (tb->n == tb->cap || e > UINT32_MAX) {
        tb->overflow = 1;
        return;
    }
    tb->toks[tb->n].start = (uint32_t)s;
    tb->toks[tb->n].end = (uint32_t)e;
    tb->toks[tb->n].cjk = cjk;
    if (tb->hs != NULL)                 /* NULL: no SimHash wanted */
        tb->hs[tb->n] = hu_hash_seeded(o + s, e - s, tb->seed);
    tb->n++;
}

/* Slot tokens ("<" 1-6 of [a-z] ">") whose letters the language guess
 * does not count: the writer's own slots ("<num>", written whole) are
 * never counted (tz_word_n), and any other '<' that reaches the template
 * (a literal '<', a fullwidth one folded) is settled here once the bytes
 * after it are written, exactly as hu__lang_ascii_letters reads the
 * finished template.  A pending '<' at q - 1 has only [a-z] in o[q..b)
 * (fewer than 6, or 6 and the next byte not yet written), so at most one
 * is pending; its slot's letters are taken back from tb->letters.  Out
 * of line: the callers are the token fast paths, and a '<' outside the
 * writer's slots is rare. */
static __attribute__((noinline)) void tz_lt_settle(struct hu__tokbuf *tb, const char *o, size_t b)
{
    const unsigned char *u = (const unsigned char *)o;
    size_t q = tb->lt_pend, j = q;
    while (j < b && j < q + 6 && u[j] >= 'a' && u[j] <= 'z')
        j++;
    if (j == b)                         /* not settled yet */
        return;
    tb->lt_pend = 0;
    if (u[j] == '>' && j > q)
        tb->letters -= j - q;
}

/* Classify o[tb->pos .. b): the bytes written since the last call. */
static inline void tz_scan(struct hu__tokbuf *tb, const char *o, size_t b)
{
    const unsigned char *u = (const unsigned char *)o;
    size_t i = tb->pos, start = tb->start, letters = 0;
    int in_tok = tb->in_tok;            /* in registers: the token stores may alias tb */
    if (tb->lt_pend != 0)
        tz_lt_settle(tb, o, b);
    while (i < b) {
        unsigned char c = u[i];
        if (c < 0x80) {
            letters += ascii_letter(c);
            if (c == '<') {             /* a slot token, or a literal '<' */
                tb->lt_pend = i + 1;
                tz_lt_settle(tb, o, b);
            }
            if (word_ascii[c]) {
                if (!in_tok) {
                    in_tok = 1;
                    start = i;
                }
            } else if (in_tok) {
                tz_add(tb, o, start, i, 0);
                in_tok = 0;
            }
            i++;
            continue;
        }
        size_t adv = 1;
        uint32_t cp = hu__utf8_decode(u + i, b - i, &adv);
        hu__lang_count_cp(&tb->lc, cp);
        if (cp >= 0x1100 && hu__is_cjk(cp)) {
            if (in_tok) {
                tz_add(tb, o, start, i, 0);
                in_tok = 0;
            }
            tz_add(tb, o, i, i + adv, 1);
        } else if (is_word_char(cp)) {
            if (!in_tok) {
                in_tok = 1;
                start = i;
            }
        } else if (in_tok) {
            tz_add(tb, o, start, i, 0);
            in_tok = 0;
        }
        i += adv;
    }
    tb->letters += letters;
    tb->start = start;
    tb->in_tok = in_tok;
    tb->pos = b;
}

/* tz_scan of o[tb->pos .. b) when those bytes are an optional space and
 * then word characters, none CJK: ASCII letters or "<name>" (letters != 0:
 * counted here), or a word em_word wrote (letters == 0: em_word counts
 * them).  Code points >= 0x80 are counted by the caller. */
static inline __attribute__((always_inline)) void tz_word_n(struct hu__tokbuf *tb, const char *o, size_t b,
                                                            int letters)
{
    size_t a = tb->pos;
    if (a == b)
        return;
    if (tb->lt_pend != 0)
        tz_lt_settle(tb, o, b);
    /* Whether a space comes first and whether a token is open depend on
     * the text (a word after a word or after punctuation) and defeat the
     * branch predictor: without hashing and with room, the token entry is
     * stored either way and counted only when the space closes it. */
    int sp = o[a] == ' ', in_tok = tb->in_tok, close = in_tok & sp;
    if (tb->hs == NULL && tb->n < tb->cap && b <= UINT32_MAX) {
        struct hu__token *t = &tb->toks[tb->n];
        t->start = (uint32_t)tb->start;
        t->end = (uint32_t)a;
        t->cjk = 0;
        tb->n += (size_t)close;
    } else if (close) {
        tz_add(tb, o, tb->start, a, 0);
    }
    a += (size_t)sp;
    if (a < b) {
        tb->start = in_tok & !sp ? tb->start : a;
        tb->in_tok = 1;
        if (letters)                    /* all letters, or a slot ("<name>") */
            tb->letters += o[a] != '<' ? b - a : 0;
        else if (o[b - 1] == '<')       /* '<' alone: a slot token may follow */
            tb->lt_pend = b;
    } else {
        tb->in_tok = in_tok & !sp;
    }
    tb->pos = b;
}


/* tz_scan of o[tb->pos .. b) when those bytes are an optional space and
 * one ASCII byte that is no word character (or the space alone, when the
 * write was cut): the open token ends where they start. */
static inline void tz_sep(struct hu__tokbuf *tb, const char *o, size_t b)
{
    if (tb->pos == b)
        return;
    if (tb->lt_pend != 0)
        tz_lt_settle(tb, o, b);
    if (tb->in_tok) {
        tz_add(tb, o, tb->start, tb->pos, 0);
        tb->in_tok = 0;
    }
    tb->pos = b;
}

/* tz_scan of o[tb->pos .. b) when those bytes are an optional space and
 * one Han (han) or kana character: a token of its own. */
static inline void tz_cjk(struct hu__tokbuf *tb, const char *o, size_t b, int han)
{
    size_t a = tb->pos;
    if (a == b)
        return;
    if (tb->lt_pend != 0)
        tz_lt_settle(tb, o, b);
    if (tb->in_tok) {                   /* a space or the character ends it */
        tz_add(tb, o, tb->start, a, 0);
        tb->in_tok = 0;
    }
    if (o[a] == ' ')
        a++;
    if (a < b) {
        if (han)
            tb->lc.han++;
        else
            tb->lc.kana++;
        tz_add(tb, o, a, b, 1);
    }
    tb->pos = b;
}

/* The template is o[0..b): classify the rest, close the open token. */
static inline void tz_finish(struct hu__tokbuf *tb, const char *o, size_t b)
{
    tz_scan(tb, o, b);
    tb->lt_pend = 0;                    /* no '>' follows: no slot token */
    if (tb->in_tok) {
        tz_add(tb, o, tb->start, b, 0);
        tb->in_tok = 0;
    }
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

void hu_text_head_tail(const char *norm, size_t len, uint64_t *head, uint64_t *tail)
{
    enum { K = HU_TEXT_HT_MAX };
    size_t rs[K], re[K];            /* ring: starts and ends of the last K tokens */
    size_t pos = 0, st = 0, n = 0, head_end = 0, first = 0, prev_end = 0;
    int cjk = 0, head_done = 0;

    *head = *tail = 0;
    if (norm == NULL)
        return;
    while (hu__next_token(norm, len, &pos, &st, &cjk)) {
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

void hu__head_tail_tokens(const char *norm, const struct hu__token *toks, size_t n,
                          uint64_t *head, uint64_t *tail)
{
    size_t head_end = 0, first = 0;
    int head_done = 0;

    *head = *tail = 0;
    if (norm == NULL || n == 0)
        return;
    first = toks[0].start;
    for (size_t k = 0; k < n && !head_done; k++) {   /* nothing changes once head_done */
        if (k >= HU_TEXT_HT_MIN && gap_ends_sentence(norm, toks[k - 1].end, toks[k].start))
            break;
        head_end = toks[k].end;
        if (k + 1 == HU_TEXT_HT_MAX)
            head_done = 1;
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
