/*
 * featurized_json.cpp -- read a `features` object, rewrite an event line
 * (featurized.h is the manual), with simdjson On-Demand.
 *
 * Both entry points copy their input into a padded buffer owned by the
 * reader (simdjson reads whole 64-byte blocks), so callers need no padding;
 * the copy costs less than the parse.  Rules as in ingest/json_shim.cpp:
 * error codes only (-fno-exceptions), fields in any order, nothing is read
 * past the copy.
 *
 * The rewrite keeps each kept member byte for byte: a member's text runs
 * from its key's opening quote to the next member's key (minus the comma
 * and white space between them), or to the object's closing brace.  Keys
 * are compared unescaped, as ingest compares them, so "pro\u006dpt" is
 * dropped like "prompt" -- otherwise an escaped key would carry text
 * through.
 */
#include <simdjson.h>

#include <cstring>
#include <new>
#include <string_view>

extern "C" {
#include "core/alloc.h"
#include "core/buf.h"
#include "features/featurized.h"
#include "ingest/ingest.h"
}

namespace od = simdjson::ondemand;
using simdjson::error_code;

struct hu_fz_reader {
    od::parser od;
    char *pad = nullptr;     /* padded copy */
    size_t pad_cap = 0;      /* bytes usable before the padding */
};

namespace {

bool ensure_pad(hu_fz_reader *r, size_t len)
{
    if (len <= r->pad_cap && r->pad)
        return true;
    size_t cap = len < 4096 ? 4096 : len;
    char *p = static_cast<char *>(hu_malloc(cap + simdjson::SIMDJSON_PADDING));
    if (!p)
        return false;
    hu_free(r->pad);
    r->pad = p;
    r->pad_cap = cap;
    return true;
}

int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool get_hash(od::value v, uint64_t *out)
{
    std::string_view s;
    if (v.get_string().get(s) || s.size() != 16)
        return false;
    uint64_t h = 0;
    for (char c : s) {
        int d = hexval(c);
        if (d < 0)
            return false;
        h = (h << 4) | (uint64_t)d;
    }
    *out = h;
    return true;
}

bool get_u32(od::value v, uint32_t *out)
{
    uint64_t n;
    if (v.get_uint64().get(n) || n > UINT32_MAX)
        return false;
    *out = (uint32_t)n;
    return true;
}

int read_targets(od::value v, hu_fz_object *o)
{
    od::object obj;
    if (v.get_object().get(obj))
        return HU_EPARSE;
    for (auto f_res : obj) {
        od::field f;
        std::string_view k;
        if (std::move(f_res).get(f) || f.unescaped_key().get(k))
            return HU_EPARSE;
        double d;
        if (f.value().get_double().get(d) || !(d >= 0.0 && d <= 1.0))
            return HU_EPARSE;
        for (int t = 0; t < HU_TARGET_COUNT; t++)
            if (k == hu_target_code((enum hu_target)t))
                o->target[t] = (float)d;   /* unknown targets (a newer writer) are skipped */
    }
    o->has |= HU_FZ_HAS_TARGETS;
    return HU_OK;
}

int read_msgs(od::value v, hu_fz_object *o)
{
    od::object obj;
    if (v.get_object().get(obj))
        return HU_EPARSE;
    hu_fz_msgs &m = o->msgs;
    for (auto f_res : obj) {
        od::field f;
        std::string_view k;
        if (std::move(f_res).get(f) || f.unescaped_key().get(k))
            return HU_EPARSE;
        uint32_t *dst = k == "n" ? &m.n : k == "user" ? &m.user : k == "assistant" ? &m.assistant
                      : k == "tool" ? &m.tool : k == "image" ? &m.image : k == "tool_use" ? &m.tool_use
                      : k == "tool_result" ? &m.tool_result : nullptr;
        if (dst && !get_u32(f.value(), dst))
            return HU_EPARSE;
    }
    o->has |= HU_FZ_HAS_MSGS;
    return HU_OK;
}

int read_object(hu_fz_reader *r, size_t len, hu_fz_object *o)
{
    od::document doc;
    od::object obj;
    if (r->od.iterate(r->pad, len, len + simdjson::SIMDJSON_PADDING).get(doc) || doc.get_object().get(obj))
        return HU_EPARSE;
    bool have_v = false;
    for (auto f_res : obj) {
        od::field f;
        std::string_view k;
        if (std::move(f_res).get(f) || f.unescaped_key().get(k))
            return HU_EPARSE;
        od::value v = f.value();
        int rc = HU_OK;
        if (k == "v") {
            int64_t ver;
            if (v.get_int64().get(ver) || ver != HU_FEATURES_FORMAT)
                return HU_EVERSION;
            have_v = true;
        } else if (k == "key") {
            rc = get_hash(v, &o->key_id) ? HU_OK : HU_EPARSE;
            o->has |= HU_FZ_HAS_KEY;
        } else if (k == "template") {
            rc = get_hash(v, &o->template_hash) ? HU_OK : HU_EPARSE;
            o->has |= HU_FZ_HAS_PROMPT;
        } else if (k == "simhash") {
            rc = get_hash(v, &o->simhash) ? HU_OK : HU_EPARSE;
        } else if (k == "head") {
            rc = get_hash(v, &o->head_hash) ? HU_OK : HU_EPARSE;
        } else if (k == "tail") {
            rc = get_hash(v, &o->tail_hash) ? HU_OK : HU_EPARSE;
        } else if (k == "system") {
            rc = get_hash(v, &o->system_hash) ? HU_OK : HU_EPARSE;
            o->has |= HU_FZ_HAS_SYSTEM;
        } else if (k == "prompt_chars") {
            rc = get_u32(v, &o->prompt_chars) ? HU_OK : HU_EPARSE;
        } else if (k == "lang") {
            std::string_view s;
            int l = v.get_string().get(s) ? -1 : hu_lang_from_code(s.data(), s.size());
            if (l < 0)
                return HU_EPARSE;
            o->lang = (uint8_t)l;
        } else if (k == "targets") {
            rc = read_targets(v, o);
        } else if (k == "messages") {
            rc = read_msgs(v, o);
        }
        if (rc != HU_OK)
            return rc;
    }
    const char *loc;
    if (doc.current_location().get(loc) != simdjson::OUT_OF_BOUNDS)
        return HU_EPARSE;              /* trailing bytes */
    return have_v ? HU_OK : HU_EVERSION;
}

/* [a, b) minus trailing white space, then one comma, then white space. */
size_t member_len(const char *a, const char *b)
{
    auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    while (b > a && ws(b[-1]))
        b--;
    if (b > a && b[-1] == ',')
        b--;
    while (b > a && ws(b[-1]))
        b--;
    return (size_t)(b - a);
}

bool dropped(std::string_view k)
{
    return k == "system" || k == "prompt" || k == "messages" || k == "features";
}

} // namespace

extern "C" int hu_fz_reader_create(struct hu_fz_reader **out)
{
    if (!out)
        return HU_EINVAL;
    *out = nullptr;
    void *mem = hu_malloc(sizeof(hu_fz_reader));
    if (!mem)
        return HU_ENOMEM;
    *out = new (mem) hu_fz_reader();
    return HU_OK;
}

extern "C" void hu_fz_reader_destroy(struct hu_fz_reader *r)
{
    if (!r)
        return;
    hu_free(r->pad);
    r->~hu_fz_reader();
    hu_free(r);
}

extern "C" int hu_fz_read(struct hu_fz_reader *r, const char *json, size_t len, struct hu_fz_object *o)
{
    if (!o)
        return HU_EINVAL;
    std::memset(o, 0, sizeof *o);
    if (!r || !json)
        return HU_EINVAL;
    if (len > HU_FEATURES_MAX_BYTES)
        return HU_ETOOBIG;
    if (!ensure_pad(r, len))
        return HU_ENOMEM;
    std::memcpy(r->pad, json, len);
    std::memset(r->pad + len, 0, simdjson::SIMDJSON_PADDING);
    int rc = read_object(r, len, o);
    if (rc != HU_OK)
        std::memset(o, 0, sizeof *o);
    return rc;
}

static_assert(HU_JSON_PADDING >= simdjson::SIMDJSON_PADDING, "HU_JSON_PADDING too small");

static int rewrite(struct hu_fz_reader *r, const char *p, size_t len, const char *obj, size_t olen,
                   struct hu_buf *out)
{
    const char *end = p + len;           /* the closing brace, found below */
    while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r'))
        end--;
    if (end == p || end[-1] != '}')
        return HU_EPARSE;
    end--;

    od::document doc;
    od::object o;
    if (r->od.iterate(p, len, len + simdjson::SIMDJSON_PADDING).get(doc) || doc.get_object().get(o))
        return HU_EPARSE;
    int rc = hu_buf_addc(out, '{');
    bool first = true, keep = false;
    const char *start = nullptr;
    auto emit = [&](const char *a, const char *b) -> int {
        size_t n = member_len(a, b);
        int e = first ? HU_OK : hu_buf_addc(out, ',');
        first = false;
        return e ? e : hu_buf_add(out, a, n);
    };
    for (auto f_res : o) {
        if (rc != HU_OK)
            return rc;
        od::field f;
        if (std::move(f_res).get(f))
            return HU_EPARSE;
        const char *k0 = f.key().raw() - 1;     /* the key's opening quote */
        std::string_view k;
        if (f.unescaped_key().get(k))
            return HU_EPARSE;
        if (start && keep)
            rc = emit(start, k0);
        start = k0;
        keep = !dropped(k);
    }
    if (rc == HU_OK && start && keep)
        rc = emit(start, end);
    if (rc == HU_OK && obj) {
        rc = hu_buf_adds(out, first ? "\"features\":" : ",\"features\":");
        if (rc == HU_OK)
            rc = hu_buf_add(out, obj, olen);
    }
    if (rc == HU_OK)
        rc = hu_buf_addc(out, '}');
    return rc;
}

extern "C" int hu_fz_rewrite(struct hu_fz_reader *r, const char *line, size_t len, const char *obj,
                             size_t olen, struct hu_buf *out)
{
    if (!r || !line || !out)
        return HU_EINVAL;
    hu_buf_reset(out);
    if (!ensure_pad(r, len))
        return HU_ENOMEM;
    std::memcpy(r->pad, line, len);
    std::memset(r->pad + len, 0, simdjson::SIMDJSON_PADDING);
    return rewrite(r, r->pad, len, obj, olen, out);
}

extern "C" int hu_fz_rewrite_padded(struct hu_fz_reader *r, const char *line, size_t len, const char *obj,
                                    size_t olen, struct hu_buf *out)
{
    if (!r || !line || !out)
        return HU_EINVAL;
    hu_buf_reset(out);
    return rewrite(r, line, len, obj, olen, out);
}
