/*
 * sim_text.c -- prompt text from huella's own grammar, or from files of
 * real prompts (--text-from).
 *
 * The grammar (sim_grammar.inc) is a table of templates per symbol and
 * language.  At start-up every template is compiled once: its literal text
 * is JSON-escaped, so that rendering an event is mostly memcpy of ready
 * bytes (the simulator must write > 1 M events/s).  Rendering walks the
 * compiled template: `{a|b}` picks an alternative, `%x` expands a slot --
 * another symbol, a number, or a draw from a --text-from pool.
 *
 * Honest users draw every choice fresh.  A campaign pins its wrapper to a
 * few variants (`fix`), which is what a harvesting script does: a fixed
 * template with variable slots.  With --evade paraphrase the campaign
 * draws like everyone else.  Content slots (problems, coding tasks) come
 * from the same generators for everyone: students, benchmark runners and
 * campaigns study the same kind of problems, so text alone never decides.
 *
 * --text-from DIR: every *.jsonl file is read (a `text` field per line),
 * unescaped, cut to HU_SIM_TEXT_ITEM_MAX, re-escaped and put in a pool by
 * file name: task-gsm8k/aqua -> math, task-mmlu -> exam, task-mbpp/
 * cruxeval/names with "code" -> code, task-tau* -> agent tasks, other task-* ->
 * instructions, benign-*zh* -> Chinese chat, benign-*es* -> Spanish chat,
 * other benign-* -> English chat.  Slots then draw from the pool of their
 * kind when it is not empty, and honest chat is the real prompt itself.
 */
#include "sim/sim_int.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/limits.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Slot symbols follow the intents. */
enum {
    S_TOPIC = T_INTENT_N, S_NAME, S_CITY, S_FOOD, S_SENT, S_LANGP, S_IDENT, S_ERROR, S_PATH,
    S_TOOLOUT, S_DATA, S_RUBRIC, S_SENSITIVE, S_INSTR, S_CODETASK, S_AGENTTASK, S_APPNAME,
    S_APPDOMAIN, S_MATH, S_EXAM, S_CODE, S_N
};

struct tpl_src {
    uint8_t     sym;
    uint8_t     lang;
    const char *s;
};

static const struct tpl_src grammar[] = {
#include "sim/sim_grammar.inc"
};
#define N_GRAMMAR (sizeof grammar / sizeof grammar[0])

enum { P_MATH, P_EXAM, P_CODE, P_AGENT, P_INSTR, P_CHAT_EN, P_CHAT_ZH, P_CHAT_ES, P_N };

struct pool {
    uint32_t  n, cap;
    uint32_t *off;      /* into blob */
    uint32_t *len;
};

struct sim_text {
    char      *tpl_blob;              /* compiled templates, NUL-separated */
    uint32_t  *tpl_off;               /* N_GRAMMAR offsets */
    uint32_t  *tpl_len;               /* bytecode lengths */
    uint16_t  *sym_list[S_N][SIM_LANG_N];
    uint16_t   sym_n[S_N][SIM_LANG_N];
    uint16_t  *list_mem;
    struct hu_buf pool_blob;
    struct pool pools[P_N];
};

/* ---- compile ------------------------------------------------------------
 *
 * Templates compile to a small bytecode so that rendering never scans text:
 *   OP_LIT  len:u16 bytes     literal text, already JSON-escaped
 *   OP_SLOT x                 expand slot x
 *   OP_ALT  n:u8 (len:u16)*n bodies...   pick one of n alternatives
 * A template is a sequence of ops; its length is kept beside it.  Escaped
 * output bytes are never < 0x20, so the op codes cannot be confused with
 * text (they only appear where an op is expected anyway). */

enum { OP_ALT = 1, OP_SLOT = 2, OP_LIT = 3 };

static char *esc_byte(char *p, unsigned char c)
{
    static const char hex[] = "0123456789abcdef";
    switch (c) {
    case '"': *p++ = '\\'; *p++ = '"'; break;
    case '\\': *p++ = '\\'; *p++ = '\\'; break;
    case '\n': *p++ = '\\'; *p++ = 'n'; break;
    case '\t': *p++ = '\\'; *p++ = 't'; break;
    default:
        if (c < 0x20) {
            memcpy(p, "\\u00", 4);
            p[4] = hex[c >> 4];
            p[5] = hex[c & 15];
            p += 6;
        } else {
            *p++ = (char)c;
        }
    }
    return p;
}

static void put16(char *p, size_t v)
{
    p[0] = (char)(v & 0xff);
    p[1] = (char)((v >> 8) & 0xff);
}

static size_t get16(const char *p)
{
    return (size_t)(unsigned char)p[0] | ((size_t)(unsigned char)p[1] << 8);
}

/* Compile [s, e) to out; returns the end of the output. */
static char *compile(const char *s, const char *e, char *out)
{
    char *lit = NULL;   /* open OP_LIT header */
    while (s < e) {
        char c = *s;
        if (c == '{') {
            const char *q = s + 1, *starts[32], *ends[32];
            unsigned n = 0;
            starts[0] = q;
            while (q < e && *q != '}') {
                if (*q == '%' && q + 1 < e) { q += 2; continue; }
                if (*q == '|' && n < 31) { ends[n++] = q; starts[n] = q + 1; }
                q++;
            }
            ends[n++] = q;
            if (lit) { put16(lit + 1, (size_t)(out - lit - 3)); lit = NULL; }
            *out++ = OP_ALT;
            *out++ = (char)n;
            char *lens = out;
            out += 2 * n;
            for (unsigned i = 0; i < n; i++) {
                char *b = out;
                out = compile(starts[i], ends[i], out);
                put16(lens + 2 * i, (size_t)(out - b));
            }
            s = q < e ? q + 1 : q;
            continue;
        }
        if (c == '%' && s + 1 < e && !strchr("%{}|", s[1])) {
            if (lit) { put16(lit + 1, (size_t)(out - lit - 3)); lit = NULL; }
            *out++ = OP_SLOT;
            *out++ = s[1];
            s += 2;
            continue;
        }
        if (c == '%' && s + 1 < e)
            s++;              /* %% %{ %} %| are literal */
        if (!lit) {
            lit = out;
            *out++ = OP_LIT;
            out += 2;
        }
        out = esc_byte(out, (unsigned char)*s++);
    }
    if (lit)
        put16(lit + 1, (size_t)(out - lit - 3));
    return out;
}

/* ---- JSON string unescape for --text-from files ---------------------------- */

static void put_utf8(struct hu_buf *b, uint32_t cp, int *ok)
{
    char u[4];
    size_t n;
    if (cp < 0x80) { u[0] = (char)cp; n = 1; }
    else if (cp < 0x800) { u[0] = (char)(0xc0 | (cp >> 6)); u[1] = (char)(0x80 | (cp & 63)); n = 2; }
    else if (cp < 0x10000) {
        u[0] = (char)(0xe0 | (cp >> 12)); u[1] = (char)(0x80 | ((cp >> 6) & 63));
        u[2] = (char)(0x80 | (cp & 63)); n = 3;
    } else {
        u[0] = (char)(0xf0 | (cp >> 18)); u[1] = (char)(0x80 | ((cp >> 12) & 63));
        u[2] = (char)(0x80 | ((cp >> 6) & 63)); u[3] = (char)(0x80 | (cp & 63)); n = 4;
    }
    if (hu_buf_add(b, u, n) != HU_OK)
        *ok = 0;
}

static int hex4(const char *p, const char *end, uint32_t *v)
{
    if (end - p < 4)
        return 0;
    *v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        uint32_t d;
        if (c >= '0' && c <= '9') d = (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f') d = (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') d = (uint32_t)(c - 'A' + 10);
        else return 0;
        *v = (*v << 4) | d;
    }
    return 1;
}

/* Find the "text" string of one JSON line and unescape it into b.
 * Returns 1 when found.  Not a general JSON parser: it looks for the key
 * at any depth, which is what the prompt files need. */
static int text_field(const char *line, size_t len, struct hu_buf *b)
{
    const char *end = line + len, *p = line;
    hu_buf_reset(b);
    while (p < end) {
        const char *k = memmem(p, (size_t)(end - p), "\"text\"", 6);
        if (!k)
            return 0;
        p = k + 6;
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        if (p >= end || *p != ':')
            continue;
        p++;
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        if (p >= end || *p != '"')
            continue;
        p++;
        int ok = 1;
        while (p < end && *p != '"' && ok) {
            if (*p != '\\') {
                const char *q = p;
                while (q < end && *q != '"' && *q != '\\')
                    q++;
                if (hu_buf_add(b, p, (size_t)(q - p)) != HU_OK)
                    ok = 0;
                p = q;
                continue;
            }
            if (end - p < 2)
                return 0;
            char c = p[1];
            p += 2;
            switch (c) {
            case 'n': put_utf8(b, '\n', &ok); break;
            case 't': put_utf8(b, '\t', &ok); break;
            case 'r': put_utf8(b, '\r', &ok); break;
            case 'b': put_utf8(b, '\b', &ok); break;
            case 'f': put_utf8(b, '\f', &ok); break;
            case 'u': {
                uint32_t v, lo;
                if (!hex4(p, end, &v))
                    return 0;
                p += 4;
                if (v >= 0xd800 && v < 0xdc00 && end - p >= 6 && p[0] == '\\' && p[1] == 'u' &&
                    hex4(p + 2, end, &lo) && lo >= 0xdc00 && lo < 0xe000) {
                    v = 0x10000 + ((v - 0xd800) << 10) + (lo - 0xdc00);
                    p += 6;
                } else if (v >= 0xd800 && v < 0xe000) {
                    v = 0xfffd;
                }
                put_utf8(b, v, &ok);
                break;
            }
            default: put_utf8(b, (unsigned char)c, &ok); break;
            }
        }
        return ok && p < end;
    }
    return 0;
}

static int pool_of(const char *name)
{
    int task = !strncmp(name, "task-", 5);
    int benign = !strncmp(name, "benign-", 7);
    if (task) {
        if (strstr(name, "gsm8k") || strstr(name, "aqua") || strstr(name, "math"))
            return P_MATH;
        if (strstr(name, "mmlu") || strstr(name, "exam"))
            return P_EXAM;
        if (strstr(name, "mbpp") || strstr(name, "crux") || strstr(name, "code") || strstr(name, "human"))
            return P_CODE;
        if (strstr(name, "tau") || strstr(name, "agent"))
            return P_AGENT;
        return P_INSTR;
    }
    if (benign || 1) {
        if (strstr(name, "-zh") || strstr(name, "_zh"))
            return P_CHAT_ZH;
        if (strstr(name, "-es") || strstr(name, "_es"))
            return P_CHAT_ES;
        return P_CHAT_EN;
    }
}

static int pool_add(struct sim_text *t, int which, const char *s, size_t len)
{
    struct pool *pl = &t->pools[which];
    if (len > HU_SIM_TEXT_ITEM_MAX) {
        len = HU_SIM_TEXT_ITEM_MAX;
        while (len && ((unsigned char)s[len] & 0xc0) == 0x80)
            len--;
    }
    if (!len)
        return HU_OK;
    if (pl->n == pl->cap) {
        uint32_t nc = pl->cap ? pl->cap * 2 : 256;
        uint32_t *o = hu_realloc(pl->off, nc * sizeof *o);
        if (!o)
            return HU_ENOMEM;
        pl->off = o;
        uint32_t *l = hu_realloc(pl->len, nc * sizeof *l);
        if (!l)
            return HU_ENOMEM;
        pl->len = l;
        pl->cap = nc;
    }
    size_t before = t->pool_blob.len;
    struct hu_buf *b = &t->pool_blob;
    /* a failed append would empty the whole pool (hu_buf's rule): check the
     * budget first, with the worst-case escaping growth (x6) */
    if (before + len * 6 + 16 > HU_SIM_TEXT_MAX_BYTES)
        return HU_ETOOBIG;
    if (hu_buf_add_json_str(b, s, len) != HU_OK)
        return HU_ENOMEM;
    pl->off[pl->n] = (uint32_t)before;
    pl->len[pl->n] = (uint32_t)(b->len - before);
    pl->n++;
    return HU_OK;
}

static int load_dir(struct sim_text *t, const char *dir, char *err, size_t errcap)
{
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errcap, "cannot read --text-from directory '%s': %s", dir, strerror(errno));
        return HU_ENOENT;
    }
    /* read names, sort them: directory order must not change the output */
    char *names[256];
    size_t nn = 0;
    for (;;) {
        struct dirent *de = readdir(d);
        if (!de || nn >= 256)
            break;
        size_t l = strlen(de->d_name);
        if (l > 6 && !strcmp(de->d_name + l - 6, ".jsonl"))
            names[nn++] = hu_strdup(de->d_name);
    }
    closedir(d);
    for (size_t i = 1; i < nn; i++)
        for (size_t j = i; j > 0 && names[j - 1] && names[j] && strcmp(names[j - 1], names[j]) > 0; j--) {
            char *x = names[j]; names[j] = names[j - 1]; names[j - 1] = x;
        }
    int rc = HU_OK;
    size_t items = 0;
    struct hu_buf line, txt;
    hu_buf_init(&line, HU_MAX_LINE_BYTES);
    hu_buf_init(&txt, HU_MAX_LINE_BYTES);
    hu_buf_init(&t->pool_blob, HU_SIM_TEXT_MAX_BYTES);
    for (size_t i = 0; i < nn && rc == HU_OK; i++) {
        if (!names[i]) { rc = HU_ENOMEM; break; }
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        int which = pool_of(names[i]);
        /* chunked line reader: lines longer than HU_MAX_LINE_BYTES are skipped */
        char chunk[1 << 16];
        size_t got;
        int skipping = 0;
        hu_buf_reset(&line);
        while (rc == HU_OK) {
            got = fread(chunk, 1, sizeof chunk, f);
            if (!got)
                break;
            const char *p = chunk, *end = chunk + got;
            while (p < end && rc == HU_OK) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                const char *stop = nl ? nl : end;
                if (!skipping && hu_buf_add(&line, p, (size_t)(stop - p)) != HU_OK)
                    skipping = 1;           /* too long: drop the line */
                p = stop;
                if (!nl)
                    break;
                p++;
                if (!skipping && line.len && text_field(line.ptr, line.len, &txt)) {
                    rc = pool_add(t, which, txt.ptr, txt.len);
                    if (rc == HU_OK)
                        items++;
                }
                skipping = 0;
                hu_buf_reset(&line);
            }
        }
        if (rc == HU_OK && !skipping && line.len && text_field(line.ptr, line.len, &txt)) {
            rc = pool_add(t, which, txt.ptr, txt.len);
            if (rc == HU_OK)
                items++;
        }
        if (rc == HU_ETOOBIG)
            rc = HU_OK;   /* the text budget is spent: keep what we have */
        fclose(f);
    }
    for (size_t i = 0; i < nn; i++)
        hu_free(names[i]);
    hu_buf_fini(&line);
    hu_buf_fini(&txt);
    if (rc == HU_OK && !items) {
        snprintf(err, errcap, "--text-from '%s' holds no .jsonl file with a \"text\" field", dir);
        rc = HU_ENOENT;
    }
    return rc;
}

int sim_text_create(const char *dir, struct sim_text **out, char *err, size_t errcap)
{
    *out = NULL;
    struct sim_text *t = hu_calloc(1, sizeof *t);
    if (!t)
        return HU_ENOMEM;
    size_t total = 0;
    for (size_t i = 0; i < N_GRAMMAR; i++)
        total += strlen(grammar[i].s) * 8 + 16;
    t->tpl_blob = hu_malloc(total);
    t->tpl_off = hu_malloc(N_GRAMMAR * sizeof *t->tpl_off);
    t->tpl_len = hu_malloc(N_GRAMMAR * sizeof *t->tpl_len);
    t->list_mem = hu_malloc(N_GRAMMAR * sizeof *t->list_mem);
    if (!t->tpl_blob || !t->tpl_off || !t->tpl_len || !t->list_mem)
        goto nomem;
    size_t at = 0;
    for (size_t i = 0; i < N_GRAMMAR; i++) {
        t->tpl_off[i] = (uint32_t)at;
        const char *src = grammar[i].s;
        char *e = compile(src, src + strlen(src), t->tpl_blob + at);
        t->tpl_len[i] = (uint32_t)(e - (t->tpl_blob + at));
        at += t->tpl_len[i];
        t->sym_n[grammar[i].sym][grammar[i].lang]++;
    }
    size_t k = 0;
    for (int s = 0; s < S_N; s++)
        for (int l = 0; l < SIM_LANG_N; l++) {
            t->sym_list[s][l] = t->list_mem + k;
            k += t->sym_n[s][l];
            t->sym_n[s][l] = 0;
        }
    for (size_t i = 0; i < N_GRAMMAR; i++) {
        int s = grammar[i].sym, l = grammar[i].lang;
        t->sym_list[s][l][t->sym_n[s][l]++] = (uint16_t)i;
    }
    if (dir) {
        int rc = load_dir(t, dir, err, errcap);
        if (rc != HU_OK) {
            sim_text_destroy(t);
            return rc;
        }
    }
    *out = t;
    return HU_OK;
nomem:
    snprintf(err, errcap, "out of memory");
    sim_text_destroy(t);
    return HU_ENOMEM;
}

void sim_text_destroy(struct sim_text *t)
{
    if (!t)
        return;
    hu_free(t->tpl_blob);
    hu_free(t->tpl_off);
    hu_free(t->tpl_len);
    hu_free(t->list_mem);
    hu_buf_fini(&t->pool_blob);
    for (int i = 0; i < P_N; i++) {
        hu_free(t->pools[i].off);
        hu_free(t->pools[i].len);
    }
    hu_free(t);
}

/* ---- render --------------------------------------------------------------- */

struct ctx {
    const struct sim_text *t;
    struct sim_rng *r;
    uint64_t fix;       /* != 0: wording pinned (only at depth 0) */
    uint64_t topic;
    int lang;
    int depth;
    int intent;
    unsigned k;         /* problem number of a problem set */
    char *limit;        /* never write past this */
};

static char *render_sym(struct ctx *c, int sym, char *p);

static char *put_uint(char *p, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

static const struct pool *pool_for(const struct ctx *c, int which)
{
    const struct pool *pl = &c->t->pools[which];
    return pl->n ? pl : NULL;
}

static char *put_pool(const struct ctx *c, const struct pool *pl, uint32_t i, char *p)
{
    uint32_t len = pl->len[i];
    if (p + len >= c->limit)
        return p;
    memcpy(p, c->t->pool_blob.ptr + pl->off[i], len);
    return p + len;
}

static int chat_pool(int lang)
{
    return lang == SIM_ZH ? P_CHAT_ZH : lang == SIM_ES ? P_CHAT_ES : P_CHAT_EN;
}

static char *slot(struct ctx *c, char s, char *p)
{
    struct sim_rng *r = c->r;
    const struct pool *pl;
    switch (s) {
    case 'n': return put_uint(p, 2 + sim_below(r, 98));
    case 'm': return put_uint(p, 100 + sim_below(r, 9900));
    case 'y': return put_uint(p, 1950 + sim_below(r, 76));
    case 'j': {   /* day of month, two digits */
        unsigned d = 1 + sim_below(r, 28);
        *p++ = (char)('0' + d / 10);
        *p++ = (char)('0' + d % 10);
        return p;
    }
    case 'd': p = put_uint(p, 1 + sim_below(r, 200)); *p++ = '.'; return put_uint(p, 10 + sim_below(r, 90));
    case 'k':
        if (!c->k)
            c->k = 1 + sim_below(r, 8);
        return put_uint(p, c->k);
    case 'W':
        if (sim_chance(r, 0.7))
            return put_uint(p, sim_below(r, 2000));
        *p++ = (char)('A' + sim_below(r, 4));
        return p;
    case 'p': {
        /* the shared problem of a problem set: seeded by (topic, k) */
        if (!c->k)
            c->k = 1 + sim_below(r, 8);
        struct sim_rng sub;
        sim_rng_seed(&sub, sim_key(c->topic ? c->topic : sim_next(r), c->k));
        struct sim_rng *save = c->r;
        c->r = &sub;
        pl = pool_for(c, P_MATH);
        if (pl)
            p = put_pool(c, pl, sim_below(&sub, pl->n), p);
        else
            p = render_sym(c, S_MATH, p);
        c->r = save;
        return p;
    }
    case 'G': {
        unsigned n = 1 + sim_below(r, 5);
        for (unsigned i = 0; i < n; i++) {
            if (i)
                *p++ = ' ';
            p = render_sym(c, S_SENT, p);
        }
        return p;
    }
    case 'B':
        pl = pool_for(c, chat_pool(c->lang));
        if (pl)
            return put_pool(c, pl, sim_below(r, pl->n), p);
        return c->depth < 3 ? render_sym(c, T_CHAT, p) : render_sym(c, S_TOPIC, p);
    case 'P':
        pl = pool_for(c, P_MATH);
        if (pl && (c->lang == SIM_EN || sim_chance(r, 0.5)))
            return put_pool(c, pl, sim_below(r, pl->n), p);
        return render_sym(c, S_MATH, p);
    case 'Q':
        pl = pool_for(c, P_EXAM);
        if (pl)
            return put_pool(c, pl, sim_below(r, pl->n), p);
        return render_sym(c, S_EXAM, p);
    case 'K':
        pl = pool_for(c, P_CODE);
        if (pl)
            return put_pool(c, pl, sim_below(r, pl->n), p);
        return render_sym(c, S_CODETASK, p);
    case 'A':
        pl = pool_for(c, P_AGENT);
        if (pl)
            return put_pool(c, pl, sim_below(r, pl->n), p);
        return render_sym(c, S_AGENTTASK, p);
    case 'I':
        pl = pool_for(c, P_INSTR);
        if (pl && sim_chance(r, 0.5))
            return put_pool(c, pl, sim_below(r, pl->n), p);
        return render_sym(c, S_INSTR, p);
    case 'V':
    case 'D': {
        struct sim_rng sub;
        sim_rng_seed(&sub, sim_key(c->topic, (uint64_t)s));
        struct sim_rng *save = c->r;
        c->r = &sub;
        p = render_sym(c, s == 'V' ? S_APPNAME : S_APPDOMAIN, p);
        c->r = save;
        return p;
    }
    case 'T': return render_sym(c, S_TOPIC, p);
    case 'N': return render_sym(c, S_NAME, p);
    case 'C': return render_sym(c, S_CITY, p);
    case 'F': return render_sym(c, S_FOOD, p);
    case 'L': return render_sym(c, S_LANGP, p);
    case 'X': return render_sym(c, S_IDENT, p);
    case 'E': return render_sym(c, S_ERROR, p);
    case 'U': return render_sym(c, S_PATH, p);
    case 'O': return render_sym(c, S_TOOLOUT, p);
    case 'J': return render_sym(c, S_DATA, p);
    case 'R': return render_sym(c, S_RUBRIC, p);
    case 'H': return render_sym(c, S_SENSITIVE, p);
    case 'S': return render_sym(c, S_CODE, p);
    default:
        *p++ = s;
        return p;
    }
}

/* Render bytecode [s, end) at p. */
static char *render(struct ctx *c, const char *s, const char *end, char *p, int pinned)
{
    unsigned alt_no = 0;
    while (s < end) {
        if (p >= c->limit - 256)
            return p;
        switch (*s) {
        case OP_LIT: {
            size_t n = get16(s + 1);
            if (p + n < c->limit - 256) {
                memcpy(p, s + 3, n);
                p += n;
            }
            s += 3 + n;
            break;
        }
        case OP_SLOT:
            p = slot(c, s[1], p);
            s += 2;
            break;
        case OP_ALT: {
            unsigned n = (unsigned char)s[1];
            const char *lens = s + 2, *body = s + 2 + 2 * n;
            unsigned pick = pinned ? sim_hbelow(sim_key(c->fix, alt_no), n) : sim_below(c->r, n);
            alt_no++;
            size_t off = 0, total = 0;
            for (unsigned i = 0; i < n; i++) {
                size_t l = get16(lens + 2 * i);
                if (i < pick)
                    off += l;
                total += l;
            }
            p = render(c, body + off, body + off + get16(lens + 2 * pick), p, 0);
            s = body + total;
            break;
        }
        default:
            return p;   /* not reached: the compiler writes only these ops */
        }
    }
    return p;
}

static char *render_sym(struct ctx *c, int sym, char *p)
{
    const struct sim_text *t = c->t;
    int lang = c->lang;
    if (!t->sym_n[sym][lang])
        lang = SIM_EN;
    uint32_t n = t->sym_n[sym][lang];
    if (!n || c->depth > 6)
        return p;
    int pinned = c->depth == 0 && c->fix;
    uint32_t pick = pinned ? sim_hbelow(c->fix, n) : sim_below(c->r, n);
    uint16_t ti = t->sym_list[sym][lang][pick];
    const char *s = t->tpl_blob + t->tpl_off[ti];
    c->depth++;
    p = render(c, s, s + t->tpl_len[ti], p, pinned);
    c->depth--;
    return p;
}

char *sim_text_write(const struct sim_text *t, char *p, int intent, int lang, struct sim_rng *r,
                     uint64_t fix, uint64_t topic)
{
    struct ctx c = {t, r, fix, topic, lang, 0, intent, 0, p + HU_SIM_EVENT_MAX / 4};
    /* with real prompts, honest chat is the real prompt itself */
    if (intent == T_CHAT) {
        const struct pool *pl = pool_for(&c, chat_pool(lang));
        if (pl)
            return put_pool(&c, pl, sim_below(r, pl->n), p);
    }
    return render_sym(&c, intent, p);
}
