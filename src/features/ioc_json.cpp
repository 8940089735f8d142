/*
 * ioc_json.cpp -- simdjson DOM to a plain C tree (see ioc_json.h).
 *
 * Two passes over simdjson's tape: the first counts nodes and string bytes
 * so the second can fill exactly two hu_malloc'd blocks.  Containers
 * reserve their children's slots before descending, which makes every
 * child list contiguous.  Recursion depth is bounded by max_depth, which
 * simdjson enforces during parsing.
 */
#include <simdjson.h>
#include <string.h>
#include <stdio.h>

extern "C" {
#include "features/ioc_json.h"
#include "core/alloc.h"
}

struct hu_jtree {
    struct hu_jv *nodes;
    size_t n_nodes;
    char *blob;
    size_t blob_len;
};

namespace {

struct counter {
    size_t nodes = 0, bytes = 0;
    void walk(simdjson::dom::element e)
    {
        nodes++;
        switch (e.type()) {
        case simdjson::dom::element_type::STRING: {
            std::string_view sv;
            if (!e.get_string().get(sv)) bytes += sv.size() + 1;
            break;
        }
        case simdjson::dom::element_type::ARRAY: {
            simdjson::dom::array a;
            if (e.get_array().get(a)) break;
            for (simdjson::dom::element c : a) walk(c);
            break;
        }
        case simdjson::dom::element_type::OBJECT: {
            simdjson::dom::object o;
            if (e.get_object().get(o)) break;
            for (simdjson::dom::key_value_pair kv : o) {
                bytes += kv.key.size() + 1;
                walk(kv.value);
            }
            break;
        }
        default:
            break;
        }
    }
};

struct filler {
    hu_jtree *t;
    size_t next_node = 0, next_byte = 0;

    const char *copy(std::string_view sv)
    {
        char *p = t->blob + next_byte;
        memcpy(p, sv.data(), sv.size());
        p[sv.size()] = '\0';
        next_byte += sv.size() + 1;
        return p;
    }

    void fill(simdjson::dom::element e, hu_jv *v)
    {
        switch (e.type()) {
        case simdjson::dom::element_type::NULL_VALUE:
            v->type = HU_JV_NULL;
            break;
        case simdjson::dom::element_type::BOOL: {
            bool b = false;
            if (e.get_bool().get(b)) return;
            v->type = HU_JV_BOOL;
            v->b = b;
            break;
        }
        case simdjson::dom::element_type::INT64: {
            int64_t i = 0;
            if (e.get_int64().get(i)) return;
            v->type = HU_JV_NUM;
            v->is_int = 1;
            v->i = i;
            v->d = (double)i;
            break;
        }
        case simdjson::dom::element_type::UINT64: {
            uint64_t u = 0;
            if (e.get_uint64().get(u)) return;
            v->type = HU_JV_NUM;
            v->d = (double)u;
            break;
        }
        case simdjson::dom::element_type::DOUBLE: {
            double d = 0;
            if (e.get_double().get(d)) return;
            v->type = HU_JV_NUM;
            v->d = d;
            break;
        }
        case simdjson::dom::element_type::STRING: {
            std::string_view sv;
            if (e.get_string().get(sv)) return;
            v->type = HU_JV_STR;
            v->n = (uint32_t)sv.size();
            v->s = copy(sv);
            break;
        }
        case simdjson::dom::element_type::ARRAY: {
            simdjson::dom::array a;
            if (e.get_array().get(a)) return;
            v->type = HU_JV_ARR;
            size_t n = a.size();
            hu_jv *kids = t->nodes + next_node;
            next_node += n;
            v->n = (uint32_t)n;
            v->kids = kids;
            size_t i = 0;
            for (simdjson::dom::element c : a) fill(c, &kids[i++]);
            break;
        }
        case simdjson::dom::element_type::OBJECT: {
            simdjson::dom::object o;
            if (e.get_object().get(o)) return;
            v->type = HU_JV_OBJ;
            size_t n = o.size();
            hu_jv *kids = t->nodes + next_node;
            next_node += n;
            v->n = (uint32_t)n;
            v->kids = kids;
            size_t i = 0;
            for (simdjson::dom::key_value_pair kv : o) {
                kids[i].key = copy(kv.key);
                kids[i].key_len = (uint32_t)kv.key.size();
                fill(kv.value, &kids[i]);
                i++;
            }
            break;
        }
        }
    }
};

void set_err(char *err, size_t cap, const char *msg)
{
    if (err && cap)
        snprintf(err, cap, "%s", msg);
}

} // namespace

extern "C" int hu_jtree_parse(const char *buf, size_t len, unsigned max_depth,
                              struct hu_jtree **out, char *err, size_t errcap)
{
    if (!out || (!buf && len) || max_depth == 0)
        return HU_EINVAL;
    *out = NULL;
    if (len >= (size_t)UINT32_MAX) {
        set_err(err, errcap, "document larger than 4 GiB");
        return HU_ETOOBIG;
    }
    simdjson::dom::parser parser;
    if (parser.allocate(len ? len : 1, max_depth)) {
        set_err(err, errcap, "out of memory");
        return HU_ENOMEM;
    }
    simdjson::dom::element root;
    simdjson::error_code ec = parser.parse(buf ? buf : "", len, true).get(root);
    if (ec) {
        set_err(err, errcap, simdjson::error_message(ec));
        if (ec == simdjson::DEPTH_ERROR) return HU_ETOOBIG;
        if (ec == simdjson::UTF8_ERROR) return HU_EUTF8;
        if (ec == simdjson::MEMALLOC) return HU_ENOMEM;
        return HU_EPARSE;
    }
    counter c;
    c.walk(root);
    hu_jtree *t = (hu_jtree *)hu_calloc(1, sizeof *t);
    if (!t) goto nomem;
    t->nodes = (hu_jv *)hu_calloc(c.nodes, sizeof *t->nodes);
    t->blob = (char *)hu_malloc(c.bytes ? c.bytes : 1);
    if (!t->nodes || !t->blob) goto nomem;
    t->n_nodes = c.nodes;
    t->blob_len = c.bytes;
    {
        filler f;
        f.t = t;
        f.next_node = 1;
        f.fill(root, &t->nodes[0]);
    }
    *out = t;
    return HU_OK;
nomem:
    hu_jtree_destroy(t);
    set_err(err, errcap, "out of memory");
    return HU_ENOMEM;
}

extern "C" void hu_jtree_destroy(struct hu_jtree *t)
{
    if (!t)
        return;
    hu_free(t->nodes);
    hu_free(t->blob);
    hu_free(t);
}

extern "C" const struct hu_jv *hu_jtree_root(const struct hu_jtree *t)
{
    return t ? &t->nodes[0] : NULL;
}

extern "C" const struct hu_jv *hu_jv_get(const struct hu_jv *v, const char *key)
{
    if (!v || v->type != HU_JV_OBJ || !key)
        return NULL;
    size_t klen = strlen(key);
    for (uint32_t i = 0; i < v->n; i++)
        if (v->kids[i].key_len == klen && !memcmp(v->kids[i].key, key, klen))
            return &v->kids[i];
    return NULL;
}

extern "C" const char *hu_jv_str(const struct hu_jv *v, const char *key, uint32_t *len)
{
    const struct hu_jv *m = hu_jv_get(v, key);
    if (!m || m->type != HU_JV_STR)
        return NULL;
    if (len)
        *len = m->n;
    return m->s;
}

extern "C" int hu_jv_is(const struct hu_jv *v, const char *s)
{
    return v && v->type == HU_JV_STR && strlen(s) == v->n && !memcmp(v->s, s, v->n);
}
