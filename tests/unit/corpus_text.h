/*
 * corpus_text.h -- reading the prompts corpus in unit tests.
 *
 * The .jsonl files of ../shared/data/prompts hold one {"text": ...} object per line
 * (written by others, never copied into this repository).  The tests that
 * hold huella's text path to a frozen reference (test_textref,
 * test_targets_equiv) read every text through corpus_json_text: the JSON
 * string value of "text", unescaped into UTF-8 (surrogate pairs joined),
 * at most cap - 8 bytes.  Header-only: each test is its own binary.
 */
#ifndef HU_TESTS_CORPUS_TEXT_H
#define HU_TESTS_CORPUS_TEXT_H

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cp as UTF-8 into o (room for 4 bytes); returns the bytes written. */
static size_t corpus_put_cp(char *o, uint32_t cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* The decoded "text" value of one corpus line into buf; its length (0
 * without one).  Stops early at a malformed escape. */
static size_t corpus_json_text(const char *line, char *buf, size_t cap)
{
    const char *p = strstr(line, "\"text\":");
    size_t n = 0;
    if (p == NULL)
        return 0;
    p += 7;
    while (*p == ' ')
        p++;
    if (*p++ != '"')
        return 0;
    while (*p && *p != '"' && n + 8 < cap) {
        if (*p != '\\') {
            buf[n++] = *p++;
            continue;
        }
        p++;
        char e = *p++;
        switch (e) {
        case 'n': buf[n++] = '\n'; break;
        case 't': buf[n++] = '\t'; break;
        case 'r': buf[n++] = '\r'; break;
        case 'b': buf[n++] = '\b'; break;
        case 'f': buf[n++] = '\f'; break;
        case 'u': {
            if (!p[0] || !p[1] || !p[2] || !p[3])
                return n;
            unsigned cp = (unsigned)strtoul((char[5]){ p[0], p[1], p[2], p[3], 0 }, NULL, 16);
            p += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF && p[0] == '\\' && p[1] == 'u') {
                unsigned lo = (unsigned)strtoul((char[5]){ p[2], p[3], p[4], p[5], 0 }, NULL, 16);
                if (lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    p += 6;
                }
            }
            n += corpus_put_cp(buf + n, cp);
            break;
        }
        case 0: return n;
        default: buf[n++] = e; break;
        }
    }
    return n;
}


/* Call fn(ctx, text, n, index) for every text of every .jsonl file in dir,
 * decoded into a buffer of cap bytes (the caller's, static: texts can be
 * long); returns the number of texts and sets *files, or -1 when dir
 * cannot be opened (the caller skips: CI without the corpus). */
static long corpus_each(const char *dir, char *buf, size_t cap, size_t *files,
                        void (*fn)(void *ctx, const char *text, size_t n, size_t index), void *ctx)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return -1;
    struct dirent *e;
    char *line = NULL;
    size_t lcap = 0, texts = 0;
    *files = 0;
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l < 6 || strcmp(e->d_name + l - 6, ".jsonl") != 0)
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "r");
        if (f == NULL)
            continue;
        (*files)++;
        while (getline(&line, &lcap, f) > 0) {
            size_t n = corpus_json_text(line, buf, cap);
            fn(ctx, buf, n, texts++);
        }
        fclose(f);
    }
    free(line);
    closedir(d);
    return (long)texts;
}

#endif
