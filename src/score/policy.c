/*
 * policy.c -- YAML policy files, see policy.h.
 *
 * Parsing uses libyaml's document API: the files are small (an allowlist of
 * a few thousand ids at most), and a document tree makes the validation
 * readable.  Unknown keys are refused rather than ignored: a typo such as
 * `treshold` must not silently leave the default in force.
 */
#include "score/policy.h"
#include "core/alloc.h"
#include "core/sort.h"
#include "core/hash.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* Largest policy file accepted: allowlists of ~100k ids fit; a multi-GB
 * file given by mistake is refused before it is read. */
#define HU_POLICY_MAX_BYTES (16u << 20)

static const char *const action_names[] = {
#define HU__ACT_NAME(name, str) str,
    HU_ACTION_MAP(HU__ACT_NAME)
#undef HU__ACT_NAME
};

static const char *const program_names[] = {
    "unknown",
#define HU__PROG_NAME(name, str) str,
    HU_PROGRAM_MAP(HU__PROG_NAME)
#undef HU__PROG_NAME
};

const char *hu_action_name(enum hu_action a)
{
    return (unsigned)a < HU_ACTION_COUNT ? action_names[a] : "unknown";
}

int hu_action_parse(const char *s, size_t len)
{
    for (int i = 0; i < HU_ACTION_COUNT; i++)
        if (strlen(action_names[i]) == len && !memcmp(action_names[i], s, len))
            return i;
    return -1;
}

int hu_program_parse(const char *s, size_t len)
{
    for (int i = 1; i < HU_PROGRAM_COUNT; i++)
        if (strlen(program_names[i]) == len && !memcmp(program_names[i], s, len))
            return i;
    return HU_PROGRAM_UNKNOWN;
}

const char *hu_program_name(enum hu_program p)
{
    return (unsigned)p < HU_PROGRAM_COUNT ? program_names[p] : "unknown";
}

struct hu_idlist {
    char **ids;      /* sorted, unique */
    size_t n, cap;
};

struct hu_policy {
    int shadow;
    double threshold[HU_ACTION_COUNT];          /* [ALLOW] unused */
    int program_cap[HU_PROGRAM_COUNT];          /* -1: no rule */
    struct hu_idlist allow_accounts, allow_orgs;
};

static void idlist_free(struct hu_idlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        hu_free(l->ids[i]);
    hu_free(l->ids);
    memset(l, 0, sizeof *l);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int idlist_contains(const struct hu_idlist *l, const char *s, size_t len)
{
    size_t lo = 0, hi = l->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strncmp(l->ids[mid], s, len);
        if (c == 0 && l->ids[mid][len] != '\0')
            c = 1;
        if (c == 0)
            return 1;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return 0;
}

struct hu_policy *hu_policy_default(void)
{
    struct hu_policy *p = hu_calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->threshold[HU_ACTION_MONITOR] = 0.30;
    p->threshold[HU_ACTION_THROTTLE] = 0.50;
    p->threshold[HU_ACTION_VERIFY] = 0.65;
    p->threshold[HU_ACTION_WITHHOLD] = 0.80;
    p->threshold[HU_ACTION_BLOCK] = 0.90;
    for (int i = 0; i < HU_PROGRAM_COUNT; i++)
        p->program_cap[i] = -1;
    p->program_cap[HU_PROGRAM_EDUCATION] = HU_ACTION_VERIFY;
    p->program_cap[HU_PROGRAM_RESEARCH] = HU_ACTION_VERIFY;
    p->program_cap[HU_PROGRAM_STARTUP] = HU_ACTION_VERIFY;
    return p;
}

void hu_policy_destroy(struct hu_policy *p)
{
    if (!p)
        return;
    idlist_free(&p->allow_accounts);
    idlist_free(&p->allow_orgs);
    hu_free(p);
}

int hu_policy_shadow(const struct hu_policy *p) { return p->shadow; }

/* ---- parsing ------------------------------------------------------------ */

struct pctx {
    yaml_document_t *doc;
    const char *name;
    char *err;
    size_t errcap;
    struct hu_policy *p;
};

static int fail(struct pctx *c, const yaml_node_t *n, const char *fmt, const char *arg)
{
    char msg[200];
    snprintf(msg, sizeof msg, fmt, arg ? arg : "");
    if (c->err)
        snprintf(c->err, c->errcap, "%s:%lu: %s", c->name,
                 n ? (unsigned long)n->start_mark.line + 1 : 0UL, msg);
    return HU_EINVAL;
}

static const char *scalar(const yaml_node_t *n, size_t *len)
{
    if (!n || n->type != YAML_SCALAR_NODE)
        return NULL;
    *len = n->data.scalar.length;
    return (const char *)n->data.scalar.value;
}

static int key_is(const yaml_node_t *k, const char *want)
{
    size_t len;
    const char *s = scalar(k, &len);
    return s && len == strlen(want) && !memcmp(s, want, len);
}

static int parse_bool(struct pctx *c, const yaml_node_t *n, int *out)
{
    size_t len;
    const char *s = scalar(n, &len);
    if (s && ((len == 4 && !memcmp(s, "true", 4)) || (len == 3 && !memcmp(s, "yes", 3)))) { *out = 1; return 0; }
    if (s && ((len == 5 && !memcmp(s, "false", 5)) || (len == 2 && !memcmp(s, "no", 2)))) { *out = 0; return 0; }
    return fail(c, n, "expected true or false", NULL);
}

static int parse_score(struct pctx *c, const yaml_node_t *n, double *out)
{
    size_t len;
    const char *s = scalar(n, &len);
    char buf[32];
    if (!s || len == 0 || len >= sizeof buf)
        return fail(c, n, "expected a number between 0 and 1", NULL);
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    if (*end || errno || !(v >= 0.0 && v <= 1.0))
        return fail(c, n, "expected a number between 0 and 1, got '%s'", buf);
    *out = v;
    return 0;
}

static int parse_thresholds(struct pctx *c, const yaml_node_t *map)
{
    if (map->type != YAML_MAPPING_NODE)
        return fail(c, map, "thresholds: expected a mapping of action: score", NULL);
    for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = yaml_document_get_node(c->doc, pr->key);
        yaml_node_t *v = yaml_document_get_node(c->doc, pr->value);
        size_t len;
        const char *s = scalar(k, &len);
        int a = s ? hu_action_parse(s, len) : -1;
        if (a <= HU_ACTION_ALLOW)
            return fail(c, k, "thresholds: unknown action (monitor, throttle, verify, withhold_reasoning, block)", NULL);
        int rc = parse_score(c, v, &c->p->threshold[a]);
        if (rc)
            return rc;
    }
    for (int a = HU_ACTION_THROTTLE; a < HU_ACTION_COUNT; a++)
        if (c->p->threshold[a] < c->p->threshold[a - 1])
            return fail(c, map, "thresholds must not decrease from monitor to block (%s is below the action before it)",
                        action_names[a]);
    return 0;
}

static int parse_programs(struct pctx *c, const yaml_node_t *map)
{
    if (map->type != YAML_MAPPING_NODE)
        return fail(c, map, "programs: expected a mapping of account type: action", NULL);
    for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = yaml_document_get_node(c->doc, pr->key);
        yaml_node_t *v = yaml_document_get_node(c->doc, pr->value);
        size_t len, vlen;
        const char *s = scalar(k, &len);
        const char *vs = scalar(v, &vlen);
        int prog = s ? hu_program_parse(s, len) : HU_PROGRAM_UNKNOWN;
        if (prog == HU_PROGRAM_UNKNOWN)
            return fail(c, k, "programs: unknown account type (individual, startup, education, research, enterprise)", NULL);
        if (vs && vlen == 4 && !memcmp(vs, "none", 4)) {
            c->p->program_cap[prog] = -1;
            continue;
        }
        int a = vs ? hu_action_parse(vs, vlen) : -1;
        if (a < 0)
            return fail(c, v, "programs: unknown action", NULL);
        c->p->program_cap[prog] = a;
    }
    return 0;
}

static int parse_idlist(struct pctx *c, const yaml_node_t *seq, struct hu_idlist *l)
{
    if (seq->type != YAML_SEQUENCE_NODE)
        return fail(c, seq, "allow: expected a list of ids", NULL);
    for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
        yaml_node_t *v = yaml_document_get_node(c->doc, *it);
        size_t len;
        const char *s = scalar(v, &len);
        if (!s || len == 0 || len > 512 || memchr(s, '\0', len))
            return fail(c, v, "allow: each id must be a non-empty string of at most 512 bytes", NULL);
        if (hu_grow((void **)&l->ids, &l->cap, l->n + 1, sizeof *l->ids, 16))
            return HU_ENOMEM;
        l->ids[l->n] = hu_strndup(s, len);
        if (!l->ids[l->n])
            return HU_ENOMEM;
        l->n++;
    }
    hu_sort(l->ids, l->n, sizeof *l->ids, cmp_str);
    size_t w = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (w && !strcmp(l->ids[w - 1], l->ids[i])) { hu_free(l->ids[i]); continue; }
        l->ids[w++] = l->ids[i];
    }
    l->n = w;
    return 0;
}

static int parse_allow(struct pctx *c, const yaml_node_t *map)
{
    if (map->type != YAML_MAPPING_NODE)
        return fail(c, map, "allow: expected `accounts:` and/or `orgs:` lists", NULL);
    for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = yaml_document_get_node(c->doc, pr->key);
        yaml_node_t *v = yaml_document_get_node(c->doc, pr->value);
        int rc;
        if (key_is(k, "accounts")) rc = parse_idlist(c, v, &c->p->allow_accounts);
        else if (key_is(k, "orgs")) rc = parse_idlist(c, v, &c->p->allow_orgs);
        else rc = fail(c, k, "allow: unknown key (accounts, orgs)", NULL);
        if (rc)
            return rc;
    }
    return 0;
}

static int parse_root(struct pctx *c, const yaml_node_t *root)
{
    if (!root)
        return 0;                        /* empty file: the defaults */
    if (root->type != YAML_MAPPING_NODE)
        return fail(c, root, "the policy must be a mapping of keys", NULL);
    for (yaml_node_pair_t *pr = root->data.mapping.pairs.start; pr < root->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = yaml_document_get_node(c->doc, pr->key);
        yaml_node_t *v = yaml_document_get_node(c->doc, pr->value);
        int rc;
        if (key_is(k, "version")) {
            size_t len;
            const char *s = scalar(v, &len);
            rc = (s && len == 1 && s[0] == '1') ? 0 : fail(c, v, "unsupported policy version (this huella reads version 1)", NULL);
        } else if (key_is(k, "shadow")) rc = parse_bool(c, v, &c->p->shadow);
        else if (key_is(k, "thresholds")) rc = parse_thresholds(c, v);
        else if (key_is(k, "programs")) rc = parse_programs(c, v);
        else if (key_is(k, "allow")) rc = parse_allow(c, v);
        else {
            size_t len;
            const char *s = scalar(k, &len);
            char name[64] = "";
            if (s) snprintf(name, sizeof name, "%.*s", (int)(len < 60 ? len : 60), s);
            rc = fail(c, k, "unknown key '%s' (version, shadow, thresholds, programs, allow)", name);
        }
        if (rc)
            return rc;
    }
    return 0;
}

int hu_policy_parse(const char *buf, size_t len, const char *name,
                    struct hu_policy **out, char *errbuf, size_t errcap)
{
    if (!buf || !out)
        return HU_EINVAL;
    if (len > HU_POLICY_MAX_BYTES) {
        if (errbuf) snprintf(errbuf, errcap, "%s: larger than %u bytes", name, HU_POLICY_MAX_BYTES);
        return HU_ETOOBIG;
    }
    struct hu_policy *p = hu_policy_default();
    if (!p)
        return HU_ENOMEM;
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser)) {
        hu_policy_destroy(p);
        return HU_ENOMEM;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
    if (!yaml_parser_load(&parser, &doc)) {
        if (errbuf)
            snprintf(errbuf, errcap, "%s:%lu: YAML error: %s", name,
                     (unsigned long)parser.problem_mark.line + 1,
                     parser.problem ? parser.problem : "unknown");
        yaml_parser_delete(&parser);
        hu_policy_destroy(p);
        return HU_EPARSE;
    }
    struct pctx c = { &doc, name, errbuf, errcap, p };
    int rc = parse_root(&c, yaml_document_get_root_node(&doc));
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    if (rc) {
        if (rc == HU_ENOMEM && errbuf)
            snprintf(errbuf, errcap, "%s: out of memory", name);
        hu_policy_destroy(p);
        return rc;
    }
    *out = p;
    return HU_OK;
}

int hu_policy_load(const char *path, struct hu_policy **out, char *errbuf, size_t errcap)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errbuf) snprintf(errbuf, errcap, "%s: %s", path, strerror(errno));
        return HU_EIO;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = HU_OK;
    for (;;) {
        if (hu_grow((void **)&buf, &cap, len + 65536, 1, 65536)) { rc = HU_ENOMEM; break; }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (len > HU_POLICY_MAX_BYTES) { rc = HU_ETOOBIG; break; }
        if (got == 0) {
            if (ferror(f)) rc = HU_EIO;
            break;
        }
    }
    fclose(f);
    if (rc == HU_OK)
        rc = hu_policy_parse(buf, len, path, out, errbuf, errcap);
    else if (errbuf)
        snprintf(errbuf, errcap, "%s: %s", path, hu_status_str(rc));
    hu_free(buf);
    return rc;
}

uint64_t hu_policy_digest(const struct hu_policy *p)
{
    uint64_t h = hu_hash(&p->shadow, sizeof p->shadow);
    h = hu_hash_combine(h, hu_hash(p->threshold, sizeof p->threshold));
    h = hu_hash_combine(h, hu_hash(p->program_cap, sizeof p->program_cap));
    for (size_t i = 0; i < p->allow_accounts.n; i++)
        h = hu_hash_combine(h, hu_hash(p->allow_accounts.ids[i], strlen(p->allow_accounts.ids[i])));
    h = hu_hash_combine(h, 0x6f7267);
    for (size_t i = 0; i < p->allow_orgs.n; i++)
        h = hu_hash_combine(h, hu_hash(p->allow_orgs.ids[i], strlen(p->allow_orgs.ids[i])));
    return h;
}

void hu_policy_decide(const struct hu_policy *p, const struct hu_decision_facts *f,
                      struct hu_decision *out)
{
    memset(out, 0, sizeof *out);
    if ((f->account_id && idlist_contains(&p->allow_accounts, f->account_id, f->account_id_len))
        || (f->org_id && idlist_contains(&p->allow_orgs, f->org_id, f->org_id_len))) {
        out->allowlisted = 1;
        out->action = out->would = HU_ACTION_ALLOW;
        return;
    }
    enum hu_action a = HU_ACTION_ALLOW;
    for (int i = HU_ACTION_COUNT - 1; i > HU_ACTION_ALLOW; i--) {
        if (f->score >= p->threshold[i]) {
            a = (enum hu_action)i;
            break;
        }
    }
    int cap = (unsigned)f->program < HU_PROGRAM_COUNT ? p->program_cap[f->program] : -1;
    if (cap >= 0 && !f->verified_id && hu_action_flagged(a) && (int)a > cap) {
        a = (enum hu_action)cap;
        out->program_capped = 1;
    }
    out->would = a;
    out->action = p->shadow ? HU_ACTION_ALLOW : a;
}
