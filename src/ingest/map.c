/*
 * map.c -- parse a --map file into rules (see map.h for the format).
 *
 * Hand-written cursor parser over the file's bytes: each line is `field`,
 * `=`, path, optional trailing `# comment`.  Messages name the file and
 * line and say what was expected; they quote the field name only, which is
 * ours, never the user's data.
 */
#include "ingest/map.h"
#include "core/alloc.h"
#include "core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int fail(char *err, size_t errcap, int status, const char *name, unsigned line,
                const char *fmt, ...) HU_PRINTF(6, 7);

static int fail(char *err, size_t errcap, int status, const char *name, unsigned line,
                const char *fmt, ...)
{
    if (err && errcap) {
        int n = line ? snprintf(err, errcap, "%s:%u: ", name, line)
                     : snprintf(err, errcap, "%s: ", name);
        if (n >= 0 && (size_t)n < errcap) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(err + n, errcap - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return status;
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

static int find_field(const char *s, size_t n)
{
    for (int f = 0; f < HU__F_COUNT; f++) {
        const char *name = hu__field_name((enum hu__field)f);
        if (strlen(name) == n && !memcmp(name, s, n))
            return f;
    }
    return -1;
}

/* Parse the path p[0..n) into m->steps; returns NULL or an error text. */
static const char *parse_path(struct hu_map *m, struct hu_map_rule *r, char *p, size_t n)
{
    size_t i = 0;
    if (n >= 2 && p[0] == '$' && p[1] == '.')
        i = 2;
    else if (n >= 1 && p[0] == '$' && n > 1 && p[1] == '[')
        i = 1;
    r->first_step = m->n_steps;
    r->n_steps = 0;
    if (i >= n)
        return "empty path";
    int need_key = 1;   /* at start or after '.': a key must follow */
    while (i < n) {
        if (r->n_steps >= HU_MAP_MAX_STEPS)
            return "path has too many steps";
        if (m->n_steps >= (sizeof m->steps / sizeof m->steps[0]))
            return "map has too many path steps in total";
        struct hu_map_step *s = &m->steps[m->n_steps];
        memset(s, 0, sizeof *s);
        if (p[i] == '[') {
            i++;
            if (i < n && p[i] == '"') {
                size_t start = ++i;
                while (i < n && p[i] != '"')
                    i++;
                if (i >= n || i + 1 >= n || p[i + 1] != ']')
                    return "unterminated [\"key\"]";
                s->key = p + start;
                s->key_len = i - start;
                i += 2;
            } else {
                int neg = 0;
                if (i < n && p[i] == '-') {
                    neg = 1;
                    i++;
                }
                size_t start = i;
                int64_t v = 0;
                while (i < n && p[i] >= '0' && p[i] <= '9') {
                    if (v > 100000000)
                        return "array index too large";
                    v = v * 10 + (p[i] - '0');
                    i++;
                }
                if (i == start || i >= n || p[i] != ']')
                    return "expected [N], [-N] or [\"key\"]";
                if (neg && v == 0)
                    return "[-0] is not an index ([-1] is the last element)";
                s->is_index = 1;
                s->index = neg ? -v : v;
                i++;
            }
            need_key = 0;
        } else if (p[i] == '.') {
            if (need_key)
                return "empty key in path";
            i++;
            need_key = 1;
            continue;
        } else if (p[i] == ']') {
            return "unexpected ']'";
        } else {
            if (!need_key)
                return "expected '.' or '[' between path steps";
            size_t start = i;
            while (i < n && p[i] != '.' && p[i] != '[' && p[i] != ']')
                i++;
            s->key = p + start;
            s->key_len = i - start;
            need_key = 0;
        }
        m->n_steps++;
        r->n_steps++;
    }
    if (need_key)
        return "path ends with '.'";
    return NULL;
}

int hu_map_parse(struct hu_map **out, const char *text, size_t len, const char *name,
                 char *err, size_t errcap)
{
    *out = NULL;
    if (!name)
        name = "map";
    if (len > HU_MAP_MAX_FILE_BYTES)
        return fail(err, errcap, HU_ETOOBIG, name, 0, "map file larger than %u bytes",
                    HU_MAP_MAX_FILE_BYTES);
    struct hu_map *m = hu_calloc(1, sizeof *m);
    if (!m)
        return HU_ENOMEM;
    m->name = hu_strdup(name);
    m->text = hu_strndup(text, len);
    if (!m->name || !m->text) {
        hu_map_destroy(m);
        return HU_ENOMEM;
    }
    int rc = HU_OK;
    unsigned line = 0;
    char *p = m->text, *end = m->text + len;
    while (p < end) {
        line++;
        char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        char *q = p;
        char *hash = memchr(q, '#', (size_t)(eol - q));
        char *lend = hash ? hash : eol;
        while (q < lend && is_space(*q))
            q++;
        while (lend > q && is_space(lend[-1]))
            lend--;
        if (q == lend) {
            p = eol + 1;
            continue;
        }
        char *fs = q;
        while (q < lend && !is_space(*q) && *q != '=')
            q++;
        size_t flen = (size_t)(q - fs);
        while (q < lend && is_space(*q))
            q++;
        if (q >= lend || *q != '=') {
            rc = fail(err, errcap, HU_EPARSE, name, line, "expected 'field = json.path'");
            goto out;
        }
        q++;
        while (q < lend && is_space(*q))
            q++;
        int f = find_field(fs, flen);
        if (f < 0) {
            rc = fail(err, errcap, HU_EPARSE, name, line,
                      "unknown field '%.*s' (fields of the event contract: see docs/events.md)",
                      (int)(flen > 40 ? 40 : flen), fs);
            goto out;
        }
        for (uint32_t i = 0; i < m->n_rules; i++) {
            if (m->rules[i].field == (enum hu__field)f) {
                rc = fail(err, errcap, HU_EPARSE, name, line, "field '%s' mapped twice (first on line %u)",
                          hu__field_name((enum hu__field)f), m->rules[i].line);
                goto out;
            }
        }
        if (q == lend) {
            rc = fail(err, errcap, HU_EPARSE, name, line, "no path after '='");
            goto out;
        }
        if ((size_t)(lend - q) > HU_MAX_MAP_PATH) {
            rc = fail(err, errcap, HU_ETOOBIG, name, line, "path longer than %u bytes", HU_MAX_MAP_PATH);
            goto out;
        }
        for (char *c = q; c < lend; c++) {
            if (is_space(*c)) {
                rc = fail(err, errcap, HU_EPARSE, name, line,
                          "space inside a path (quote such keys: [\"my key\"])");
                goto out;
            }
        }
        if (m->n_rules >= HU_MAX_MAP_RULES) {
            rc = fail(err, errcap, HU_ETOOBIG, name, line, "more than %u rules", HU_MAX_MAP_RULES);
            goto out;
        }
        struct hu_map_rule *r = &m->rules[m->n_rules];
        r->field = (enum hu__field)f;
        r->line = line;
        const char *why = parse_path(m, r, q, (size_t)(lend - q));
        if (why) {
            rc = fail(err, errcap, HU_EPARSE, name, line, "bad path for '%s': %s",
                      hu__field_name((enum hu__field)f), why);
            goto out;
        }
        m->n_rules++;
        p = eol + 1;
    }
    {
        int have_ts = 0;
        for (uint32_t i = 0; i < m->n_rules; i++)
            have_ts |= m->rules[i].field == HU__F_TS;
        if (!have_ts) {
            rc = fail(err, errcap, HU_EPARSE, name, 0, "the map must say where `ts` is (ts = path)");
            goto out;
        }
    }
out:
    if (rc != HU_OK) {
        hu_map_destroy(m);
        return rc;
    }
    *out = m;
    return HU_OK;
}

int hu_map_load(struct hu_map **out, const char *path, char *err, size_t errcap)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        return fail(err, errcap, e == ENOENT ? HU_ENOENT : HU_EIO, path, 0, "%s", strerror(e));
    }
    char *text = hu_malloc(HU_MAP_MAX_FILE_BYTES + 1);
    if (!text) {
        close(fd);
        return HU_ENOMEM;
    }
    size_t len = 0;
    for (;;) {
        ssize_t k = read(fd, text + len, HU_MAP_MAX_FILE_BYTES + 1 - len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            int e = errno;
            close(fd);
            hu_free(text);
            return fail(err, errcap, HU_EIO, path, 0, "%s", strerror(e));
        }
        if (k == 0)
            break;
        len += (size_t)k;
        if (len > HU_MAP_MAX_FILE_BYTES)
            break;
    }
    close(fd);
    int rc = hu_map_parse(out, text, len, path, err, errcap);
    hu_free(text);
    return rc;
}

void hu_map_destroy(struct hu_map *m)
{
    if (!m)
        return;
    hu_free(m->name);
    hu_free(m->text);
    hu_free(m);
}
