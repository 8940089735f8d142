/*
 * json_shim.cpp -- one JSON line into a struct hu_event, with simdjson.
 *
 * Why simdjson On-Demand (docs/decisions/0001-json-parser.md): it validates
 * UTF-8 and structure at ~1 GB/s per core, 4-20x the C parsers, and it does
 * not build a DOM: values we do not ask for are skipped, values we ask for
 * are decoded once, in place.  This is the only C++ file of huella; the
 * rest of the engine sees json_shim.h.  Rules kept here:
 *   - no exception can escape (-fno-exceptions; error-code API only);
 *   - fields are read in any order (a loop over the object's fields with a
 *     dispatch on the key), because log writers do not agree on order;
 *   - every span handed out points into the padded input line, simdjson's
 *     string buffer (unescaped strings), or one of the parser's scratch
 *     buffers (text joined from content blocks): all valid until the next
 *     parse on the same hu__json.
 *
 * What On-Demand does not check, and how we cover it:
 *   - nesting depth inside values it skips: hu__json_too_deep() counts
 *     '[' and '{' with SSE2 first (a line with <= 64 of them cannot be too
 *     deep: the common case costs one 16-bytes-per-step pass), and only
 *     then walks the line, skipping strings with memchr;
 *   - the grammar inside values it skips (`"junk":[1,,2]` inside an unknown
 *     field is not seen): we accept such lines; every value we use is
 *     fully validated, and the structure (brackets, strings, UTF-8) of the
 *     whole line is validated by stage 1;
 *   - trailing bytes after the object: checked with current_location().
 *
 * Map mode (--map) parses the line with simdjson's DOM, resolves each
 * rule's path, and writes the values it found as a small contract object
 * (`{"ts":..,"account_id":..}`) into a padded buffer, which then goes
 * through the same contract parser: one set of type rules for both modes.
 */
#include <simdjson.h>

#include <cmath>
#include <cstring>
#include <new>
#include <string_view>
#include <utility>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

extern "C" {
#include "core/alloc.h"
#include "core/assert.h"
#include "core/buf.h"
#include "ingest/json_shim.h"
}

static_assert(HU_JSON_PADDING >= simdjson::SIMDJSON_PADDING,
              "HU_JSON_PADDING must cover simdjson's padding");

namespace od = simdjson::ondemand;

/* Propagate a simdjson error as a reject reason / raw error / fixed reason
 * (no assignment inside conditions, STYLE.md 19). */
#define HU__TRY(expr)                          \
    do {                                       \
        error_code hu_e_ = (expr);             \
        if (hu_e_)                             \
            return from_error(hu_e_);          \
    } while (0)
#define HU__TRY_RAW(expr)                      \
    do {                                       \
        error_code hu_e_ = (expr);             \
        if (hu_e_)                             \
            return hu_e_;                      \
    } while (0)
#define HU__TRY_AS(expr, reason)               \
    do {                                       \
        if ((expr) != simdjson::SUCCESS)       \
            return (reason);                   \
    } while (0)
namespace dom = simdjson::dom;
using simdjson::error_code;

namespace {

/* ---- field dispatch table ------------------------------------------------ */

struct field_row {
    const char *name;
    unsigned char len;
    unsigned char type;
    size_t off;                 /* offset of the member in struct hu_event */
};

const field_row FIELDS[] = {
#define HU__ROW(id, name, type, member) \
    { name, sizeof(name) - 1, HU__FT_##type, offsetof(struct hu_event, member) },
    HU_FIELD_MAP(HU__ROW)
#undef HU__ROW
};

/* A 64-slot table of up to 3 candidates per slot, hashed on length and the
 * first and last byte: a key costs one hash and ~1 memcmp. */
constexpr unsigned HSLOTS = 64, HWAYS = 3;

inline unsigned key_hash(const char *k, size_t n)
{
    return (unsigned)(n * 7u + (unsigned char)k[0] * 3u + (unsigned char)k[n - 1]) & (HSLOTS - 1);
}

struct field_index {
    signed char slot[HSLOTS][HWAYS];
    field_index()
    {
        std::memset(slot, -1, sizeof slot);
        for (unsigned f = 0; f < HU__F_COUNT; f++) {
            unsigned h = key_hash(FIELDS[f].name, FIELDS[f].len);
            unsigned w = 0;
            while (w < HWAYS && slot[h][w] >= 0)
                w++;
            hu_assert(w < HWAYS);         /* a new field collides: widen the table */
            slot[h][w] = (signed char)f;
        }
    }
    int find(std::string_view k) const
    {
        if (k.empty())
            return -1;
        unsigned h = key_hash(k.data(), k.size());
        for (unsigned w = 0; w < HWAYS && slot[h][w] >= 0; w++) {
            const field_row &r = FIELDS[(unsigned)slot[h][w]];
            if (r.len == k.size() && std::memcmp(r.name, k.data(), k.size()) == 0)
                return slot[h][w];
        }
        return -1;
    }
};

const field_index INDEX;

/* ---- scratch text buffers ---------------------------------------------- */

/* Text joined from content blocks, at most HU_MAX_FIELD_BYTES, allocated
 * on first use (a parser that never meets block content never pays). */
struct scratch {
    char *p = nullptr;
    size_t len = 0;
    bool truncated = false;
    void reset() { len = 0; truncated = false; }
};

size_t utf8_cut(const char *p, size_t len, size_t max)
{
    if (len <= max)
        return len;
    size_t n = max;
    while (n > 0 && ((unsigned char)p[n] & 0xC0) == 0x80)
        n--;
    return n;
}

} // namespace

struct hu__json {
    od::parser od;
    dom::parser dom;
    scratch prompt_blocks, system_blocks, msg[3];
    struct hu_buf synth;        /* map mode: the contract object built per line */
};

namespace {

bool scratch_append(scratch &s, const char *p, size_t n)
{
    if (!s.p) {
        s.p = static_cast<char *>(hu_malloc(HU_MAX_FIELD_BYTES));
        if (!s.p)
            return false;
    }
    if (s.truncated)
        return true;
    size_t sep = s.len > 0 ? 1 : 0;
    if (s.len + sep + n > HU_MAX_FIELD_BYTES) {
        if (s.len + sep >= HU_MAX_FIELD_BYTES) {
            s.truncated = true;
            return true;
        }
        n = utf8_cut(p, n, HU_MAX_FIELD_BYTES - s.len - sep);
        s.truncated = true;
    }
    if (sep)
        s.p[s.len++] = '\n';
    std::memcpy(s.p + s.len, p, n);
    s.len += n;
    return true;
}

/* One parse: the event, what we learned, and where a reject points. */
struct ctx {
    hu__json *j;
    hu_event *ev;
    const char *field = nullptr;
    hu_span msg_prompt = HU_SPAN_NULL;
    hu_span msg_system = HU_SPAN_NULL;
    bool oom = false;
    bool saw_messages = false;      /* a `messages` member, even empty */
    bool have_fmsgs = false;        /* `features.messages` counts (featurized line) */
    uint32_t fmsgs[7] = {};         /* n, user, assistant, tool, image, tool_use, tool_result */
};

inline hu_span *span_at(hu_event *ev, size_t off)
{
    return reinterpret_cast<hu_span *>(reinterpret_cast<char *>(ev) + off);
}
inline int64_t *int_at(hu_event *ev, size_t off)
{
    return reinterpret_cast<int64_t *>(reinterpret_cast<char *>(ev) + off);
}

/* The error of a simdjson call, mapped to a reject reason. */
hu_reject from_error(error_code e)
{
    switch (e) {
    case simdjson::UTF8_ERROR:    return HU_REJECT_INVALID_UTF8;
    case simdjson::DEPTH_ERROR:   return HU_REJECT_TOO_DEEP;
    case simdjson::INCORRECT_TYPE:return HU_REJECT_WRONG_TYPE;
    default:                      return HU_REJECT_NOT_JSON;
    }
}

void set_text(ctx &c, hu_span *dst, std::string_view s)
{
    size_t n = utf8_cut(s.data(), s.size(), HU_MAX_FIELD_BYTES);
    if (n < s.size())
        c.ev->n_truncated++;
    dst->ptr = s.data();
    dst->len = n;
}

/* An integer: int64, or a float with no fraction inside int64's range. */
hu_reject get_int(od::value &v, int64_t *out)
{
    od::number num;
    error_code e = v.get_number().get(num);
    if (e)
        return from_error(e);
    switch (num.get_number_type()) {
    case od::number_type::signed_integer:
        *out = num.get_int64();
        return HU_REJECT_NONE;
    case od::number_type::unsigned_integer:
        return HU_REJECT_WRONG_TYPE;          /* > INT64_MAX */
    default: {
        double d = num.get_double();
        if (!std::isfinite(d) || d != std::floor(d) || d < -9.2e18 || d > 9.2e18)
            return HU_REJECT_WRONG_TYPE;
        *out = (int64_t)d;
        return HU_REJECT_NONE;
    }
    }
}

bool all_digits(std::string_view s)
{
    if (s.empty() || s.size() > 20)
        return false;
    size_t dots = 0;
    for (char ch : s) {
        if (ch == '.') {
            dots++;
            continue;
        }
        if (ch < '0' || ch > '9')
            return false;
    }
    return dots <= 1 && s.front() != '.' && s.back() != '.';
}

hu_reject get_ts(ctx &c, od::value &v, od::json_type t)
{
    c.field = "ts";
    if (t == od::json_type::string) {
        std::string_view s;
        error_code e = v.get_string().get(s);
        if (e)
            return from_error(e);
        if (all_digits(s)) {           /* "1707573802" */
            char tmp[32];
            std::memcpy(tmp, s.data(), s.size());
            tmp[s.size()] = 0;
            int64_t ms = hu_ts_from_number(std::strtod(tmp, nullptr));
            if (ms == HU_EV_ABSENT)
                return HU_REJECT_BAD_TS;
            c.ev->ts_ms = ms;
            return HU_REJECT_NONE;
        }
        if (hu_parse_rfc3339(s.data(), s.size(), &c.ev->ts_ms) != HU_OK)
            return HU_REJECT_BAD_TS;
        return HU_REJECT_NONE;
    }
    if (t == od::json_type::number) {
        double d;
        error_code e = v.get_double().get(d);
        if (e)
            return e == simdjson::INCORRECT_TYPE ? HU_REJECT_BAD_TS : from_error(e);
        int64_t ms = hu_ts_from_number(d);
        if (ms == HU_EV_ABSENT)
            return HU_REJECT_BAD_TS;
        c.ev->ts_ms = ms;
        return HU_REJECT_NONE;
    }
    return HU_REJECT_WRONG_TYPE;
}

enum block_family { BLOCK_TEXT, BLOCK_IMAGE, BLOCK_TOOL_USE, BLOCK_TOOL_RESULT, BLOCK_OTHER };

block_family block_type(std::string_view t)
{
    if (t == "text" || t == "input_text" || t == "output_text")
        return BLOCK_TEXT;
    if (t == "image" || t == "image_url" || t == "input_image")
        return BLOCK_IMAGE;
    if (t == "tool_use" || t == "function_call")
        return BLOCK_TOOL_USE;
    if (t == "tool_result" || t == "function_call_output")
        return BLOCK_TOOL_RESULT;
    return BLOCK_OTHER;
}

/* A `content`, `prompt` or `system` value: a string, or an array of blocks
 * ({"type":"text","text":..}, or bare strings) whose text is joined with
 * '\n' into `s`.  Non-text blocks are counted when count_blocks. */
hu_reject get_prose(ctx &c, od::value &v, od::json_type t, scratch &s, hu_span *out,
                    bool count_blocks)
{
    if (t == od::json_type::string) {
        std::string_view sv;
        error_code e = v.get_string().get(sv);
        if (e)
            return from_error(e);
        set_text(c, out, sv);
        return HU_REJECT_NONE;
    }
    if (t != od::json_type::array)
        return HU_REJECT_WRONG_TYPE;
    s.reset();
    od::array arr;
    error_code e = v.get_array().get(arr);
    if (e)
        return from_error(e);
    bool any_text = false;
    for (auto el_res : arr) {
        od::value el;
        HU__TRY(std::move(el_res).get(el));
        od::json_type et;
        HU__TRY(el.type().get(et));
        if (et == od::json_type::string) {
            std::string_view sv;
            HU__TRY(el.get_string().get(sv));
            if (!scratch_append(s, sv.data(), sv.size())) {
                c.oom = true;
                return HU_REJECT_NOT_JSON;
            }
            any_text = true;
            continue;
        }
        if (et != od::json_type::object)
            continue;                  /* null or odd entries: ignored */
        od::object bo;
        HU__TRY(el.get_object().get(bo));
        std::string_view btype, btext;
        bool has_text = false;
        for (auto f_res : bo) {
            od::field f;
            HU__TRY(std::move(f_res).get(f));
            std::string_view k;
            HU__TRY(f.unescaped_key().get(k));
            if (k == "type") {
                if (f.value().get_string().get(btype))
                    btype = {};
            } else if (k == "text") {
                od::json_type tt;
                HU__TRY(f.value().type().get(tt));
                if (tt == od::json_type::string) {
                    HU__TRY(f.value().get_string().get(btext));
                    has_text = true;
                }
            }
        }
        block_family fam = btype.empty() ? (has_text ? BLOCK_TEXT : BLOCK_OTHER) : block_type(btype);
        if (fam == BLOCK_TEXT && has_text) {
            if (!scratch_append(s, btext.data(), btext.size())) {
                c.oom = true;
                return HU_REJECT_NOT_JSON;
            }
            any_text = true;
        } else if (count_blocks) {
            if (fam == BLOCK_IMAGE)
                c.ev->n_image_blocks++;
            else if (fam == BLOCK_TOOL_USE)
                c.ev->n_tool_use_blocks++;
            else if (fam == BLOCK_TOOL_RESULT)
                c.ev->n_tool_result_blocks++;
        }
    }
    if (s.truncated)
        c.ev->n_truncated++;
    out->ptr = any_text ? s.p : "";
    out->len = any_text ? s.len : 0;
    return HU_REJECT_NONE;
}

hu_reject get_messages(ctx &c, od::value &v, od::json_type t)
{
    c.field = "messages";
    c.saw_messages = true;
    if (t != od::json_type::array)
        return HU_REJECT_WRONG_TYPE;
    od::array arr;
    error_code e = v.get_array().get(arr);
    if (e)
        return from_error(e);
    int user_buf = -1, sys_buf = -1;
    c.msg_prompt = HU_SPAN_NULL;
    c.msg_system = HU_SPAN_NULL;
    hu_event *ev = c.ev;
    for (auto m_res : arr) {
        od::value m;
        HU__TRY(std::move(m_res).get(m));
        ev->n_messages++;
        if (ev->n_messages > HU_MAX_MESSAGES)
            continue;                  /* counted, not examined */
        od::json_type mt;
        HU__TRY(m.type().get(mt));
        if (mt == od::json_type::null)
            continue;
        if (mt != od::json_type::object)
            return HU_REJECT_WRONG_TYPE;
        int work = 0;
        while (work == user_buf || work == sys_buf)
            work++;
        od::object mo;
        HU__TRY(m.get_object().get(mo));
        std::string_view role;
        hu_span content = HU_SPAN_NULL;
        for (auto f_res : mo) {
            od::field f;
            HU__TRY(std::move(f_res).get(f));
            std::string_view k;
            HU__TRY(f.unescaped_key().get(k));
            if (k == "role") {
                od::json_type rt;
                HU__TRY(f.value().type().get(rt));
                if (rt == od::json_type::null)
                    continue;
                if (rt != od::json_type::string)
                    return HU_REJECT_WRONG_TYPE;
                HU__TRY(f.value().get_string().get(role));
            } else if (k == "content") {
                od::value cv = f.value();
                od::json_type ct;
                HU__TRY(cv.type().get(ct));
                if (ct == od::json_type::null)
                    continue;
                hu_reject r = get_prose(c, cv, ct, c.j->msg[work], &content, true);
                if (r)
                    return r;
                c.field = "messages";
            }
        }
        if (role == "user") {
            ev->n_user_msgs++;
            if (content.ptr) {
                c.msg_prompt = content;
                user_buf = work;
            }
        } else if (role == "assistant" || role == "model") {
            ev->n_assistant_msgs++;
        } else if (role == "tool" || role == "function") {
            ev->n_tool_msgs++;
        } else if ((role == "system" || role == "developer") && !c.msg_system.ptr && content.ptr) {
            c.msg_system = content;
            sys_buf = work;
        }
    }
    return HU_REJECT_NONE;
}

hu_reject get_tools(ctx &c, od::value &v, od::json_type t)
{
    c.field = "tools";
    if (t != od::json_type::array)
        return HU_REJECT_WRONG_TYPE;
    od::array arr;
    error_code e = v.get_array().get(arr);
    if (e)
        return from_error(e);
    hu_event *ev = c.ev;
    for (auto el_res : arr) {
        od::value el;
        HU__TRY(std::move(el_res).get(el));
        ev->tools_total++;
        if (ev->n_tools >= HU_MAX_TOOLS)
            continue;
        od::json_type et;
        HU__TRY(el.type().get(et));
        std::string_view name;
        bool have = false;
        if (et == od::json_type::string) {
            HU__TRY(el.get_string().get(name));
            have = true;
        } else if (et == od::json_type::object) {
            od::object o;
            HU__TRY(el.get_object().get(o));
            std::string_view fname;
            bool have_f = false;
            for (auto f_res : o) {
                od::field f;
                HU__TRY(std::move(f_res).get(f));
                std::string_view k;
                HU__TRY(f.unescaped_key().get(k));
                if (k == "name") {
                    od::json_type nt;
                    HU__TRY(f.value().type().get(nt));
                    if (nt == od::json_type::string) {
                        HU__TRY(f.value().get_string().get(name));
                        have = true;
                    } else if (nt != od::json_type::null) {
                        return HU_REJECT_WRONG_TYPE;
                    }
                } else if (k == "function") {  /* OpenAI {"type":"function","function":{"name":..}} */
                    od::object fo;
                    if (f.value().get_object().get(fo))
                        continue;
                    for (auto g_res : fo) {
                        od::field g;
                        HU__TRY(std::move(g_res).get(g));
                        std::string_view gk;
                        HU__TRY(g.unescaped_key().get(gk));
                        if (gk == "name" && !g.value().get_string().get(fname))
                            have_f = true;
                    }
                }
            }
            if (!have && have_f) {
                name = fname;
                have = true;
            }
        } else if (et == od::json_type::null) {
            continue;
        } else {
            return HU_REJECT_WRONG_TYPE;
        }
        if (!have)
            continue;
        if (name.size() > HU_MAX_ID_BYTES)
            return HU_REJECT_ID_TOO_LONG;
        ev->tools[ev->n_tools].ptr = name.data();
        ev->tools[ev->n_tools].len = name.size();
        ev->n_tools++;
    }
    return HU_REJECT_NONE;
}

hu_reject set_thinking_budget(hu_event *ev, double d)
{
    if (!std::isfinite(d) || d < 0 || d > 9.2e18)
        return HU_REJECT_WRONG_TYPE;
    ev->thinking_budget = (int64_t)d;
    ev->thinking = ev->thinking_budget > 0;
    return HU_REJECT_NONE;
}

hu_reject get_thinking(ctx &c, od::value &v, od::json_type t)
{
    c.field = "thinking";
    hu_event *ev = c.ev;
    switch (t) {
    case od::json_type::boolean: {
        bool b;
        HU__TRY(v.get_bool().get(b));
        ev->thinking = b;
        return HU_REJECT_NONE;
    }
    case od::json_type::number: {
        double d;
        HU__TRY(v.get_double().get(d));
        return set_thinking_budget(ev, d);
    }
    case od::json_type::string: {
        std::string_view s;
        HU__TRY(v.get_string().get(s));
        if (s == "enabled" || s == "adaptive")
            ev->thinking = 1;
        else if (s == "disabled")
            ev->thinking = 0;
        else
            return HU_REJECT_WRONG_TYPE;
        return HU_REJECT_NONE;
    }
    case od::json_type::object: {  /* Anthropic {"type":"enabled","budget_tokens":N} */
        od::object o;
        HU__TRY(v.get_object().get(o));
        int on = -1;
        for (auto f_res : o) {
            od::field f;
            HU__TRY(std::move(f_res).get(f));
            std::string_view k;
            HU__TRY(f.unescaped_key().get(k));
            if (k == "type") {
                std::string_view s;
                if (f.value().get_string().get(s))
                    return HU_REJECT_WRONG_TYPE;
                on = (s == "disabled") ? 0 : 1;
            } else if (k == "budget_tokens") {
                double d;
                if (f.value().get_double().get(d))
                    return HU_REJECT_WRONG_TYPE;
                hu_reject r = set_thinking_budget(ev, d);
                if (r)
                    return r;
            }
        }
        if (on >= 0)
            ev->thinking = on;
        else if (ev->thinking < 0)
            ev->thinking = 1;
        return HU_REJECT_NONE;
    }
    default:
        return HU_REJECT_WRONG_TYPE;
    }
}

hu_reject get_kind(ctx &c, od::value &v, od::json_type t)
{
    c.field = "kind";
    if (t != od::json_type::string)
        return HU_REJECT_WRONG_TYPE;
    std::string_view s;
    error_code e = v.get_string().get(s);
    if (e)
        return from_error(e);
    if (s == "request")
        c.ev->kind = HU_EV_REQUEST;
    else if (s == "account")
        c.ev->kind = HU_EV_ACCOUNT;
    else if (s == "model_release")
        c.ev->kind = HU_EV_MODEL_RELEASE;
    else
        return HU_REJECT_UNKNOWN_KIND;
    return HU_REJECT_NONE;
}

/* A featurized line (huella featurize, docs/formats/features.md) has no
 * `messages`; its `features.messages` object keeps the counts that request
 * shape and profiles use.  They are read here, after raw_json() consumed
 * the object (reset() rewinds it), and put into the event once the whole
 * line is read, only if it had no `messages` of its own.  Everything else
 * in the object is the features stage's business. */
hu_reject get_feature_msgs(ctx &c, od::object &o)
{
    static const char *const names[7] = { "n", "user", "assistant", "tool", "image",
                                          "tool_use", "tool_result" };
    bool more;
    HU__TRY(o.reset().get(more));
    for (auto f_res : o) {
        od::field f;
        HU__TRY(std::move(f_res).get(f));
        std::string_view k;
        HU__TRY(f.unescaped_key().get(k));
        if (k != "messages")
            continue;
        od::object m;
        HU__TRY(f.value().get_object().get(m));
        uint32_t v[7] = {};
        for (auto g_res : m) {
            od::field g;
            HU__TRY(std::move(g_res).get(g));
            std::string_view gk;
            HU__TRY(g.unescaped_key().get(gk));
            for (int i = 0; i < 7; i++) {
                if (gk != names[i])
                    continue;
                uint64_t n;
                HU__TRY(g.value().get_uint64().get(n));
                v[i] = n > HU_MAX_MESSAGES * 64u ? HU_MAX_MESSAGES * 64u : (uint32_t)n;
            }
        }
        std::memcpy(c.fmsgs, v, sizeof v);
        c.have_fmsgs = true;
    }
    return HU_REJECT_NONE;
}

hu_reject one_field(ctx &c, int f, od::value &v)
{
    const field_row &row = FIELDS[f];
    od::json_type t;
    error_code e = v.type().get(t);
    if (e)
        return from_error(e);
    c.field = row.name;
    if (t == od::json_type::null)
        return HU_REJECT_NONE;         /* null is absent */
    hu_event *ev = c.ev;
    switch (row.type) {
    case HU__FT_ID: {
        if (t != od::json_type::string)
            return HU_REJECT_WRONG_TYPE;
        std::string_view s;
        HU__TRY(v.get_string().get(s));
        if (s.size() > HU_MAX_ID_BYTES)
            return HU_REJECT_ID_TOO_LONG;
        hu_span *dst = span_at(ev, row.off);
        dst->ptr = s.data();
        dst->len = s.size();
        return HU_REJECT_NONE;
    }
    case HU__FT_TEXT: {
        if (t != od::json_type::string)
            return HU_REJECT_WRONG_TYPE;
        std::string_view s;
        HU__TRY(v.get_string().get(s));
        set_text(c, span_at(ev, row.off), s);
        return HU_REJECT_NONE;
    }
    case HU__FT_PROSE: {
        scratch &s = (f == HU__F_PROMPT) ? c.j->prompt_blocks : c.j->system_blocks;
        hu_reject r = get_prose(c, v, t, s, span_at(ev, row.off), false);
        c.field = row.name;
        return r;
    }
    case HU__FT_INT:
        if (t != od::json_type::number)
            return HU_REJECT_WRONG_TYPE;
        return get_int(v, int_at(ev, row.off));
    case HU__FT_TS:
        return get_ts(c, v, t);
    case HU__FT_KIND:
        return get_kind(c, v, t);
    case HU__FT_THINKING:
        return get_thinking(c, v, t);
    case HU__FT_MESSAGES:
        return get_messages(c, v, t);
    case HU__FT_TOOLS:
        return get_tools(c, v, t);
    case HU__FT_FEATURES: {
        if (t != od::json_type::object)
            return HU_REJECT_WRONG_TYPE;
        od::object o;
        HU__TRY(v.get_object().get(o));
        std::string_view raw;
        HU__TRY(o.raw_json().get(raw));
        while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\t' || raw.back() == '\n' ||
                                raw.back() == '\r'))
            raw.remove_suffix(1);
        ev->features_json.ptr = raw.data();
        ev->features_json.len = raw.size();
        return get_feature_msgs(c, o);
    }
    }
    return HU_REJECT_NONE;
}

hu_reject parse_contract(hu__json *j, const char *p, size_t len, hu_event *ev, const char **field)
{
    ctx c{j, ev};
    *field = nullptr;
    hu_event_clear(ev);
    if (hu__json_too_deep(p, len, HU_MAX_JSON_DEPTH))
        return HU_REJECT_TOO_DEEP;
    od::document doc;
    error_code e = j->od.iterate(p, len, len + simdjson::SIMDJSON_PADDING).get(doc);
    if (e)
        return from_error(e) == HU_REJECT_WRONG_TYPE ? HU_REJECT_NOT_JSON : from_error(e);
    od::object obj;
    e = doc.get_object().get(obj);
    if (e) {
        if (e != simdjson::INCORRECT_TYPE)
            return HU_REJECT_NOT_JSON;
        /* An array or a scalar: is it valid JSON (not_object) or not? */
        od::json_type t;
        if (doc.type().get(t))
            return HU_REJECT_NOT_JSON;
        bool valid;
        switch (t) {
        case od::json_type::array: {
            od::array a;
            std::string_view raw;
            valid = !doc.get_array().get(a) && !a.raw_json().get(raw);
            break;
        }
        case od::json_type::string: { std::string_view sv; valid = !doc.get_string().get(sv); break; }
        case od::json_type::number: { double d; valid = !doc.get_double().get(d); break; }
        case od::json_type::boolean: { bool b; valid = !doc.get_bool().get(b); break; }
        case od::json_type::null: { bool nul; valid = !doc.is_null().get(nul) && nul; break; }
        default: valid = false;
        }
        return valid ? HU_REJECT_NOT_OBJECT : HU_REJECT_NOT_JSON;
    }
    for (auto f_res : obj) {
        od::field f;
        HU__TRY_AS(std::move(f_res).get(f), HU_REJECT_NOT_JSON);
        std::string_view k;
        HU__TRY_AS(f.unescaped_key().get(k), HU_REJECT_NOT_JSON);
        int id = INDEX.find(k);
        if (id < 0)
            continue;                   /* unknown field: skipped by simdjson */
        od::value v = f.value();
        hu_reject r = one_field(c, id, v);
        if (c.oom)
            return HU_REJECT_COUNT;    /* the caller reports HU_ENOMEM */
        if (r) {
            *field = c.field;
            return r;
        }
    }
    /* Trailing bytes after the object: current_location() is OUT_OF_BOUNDS
     * exactly when the document was consumed to its end. */
    const char *loc;
    if (doc.current_location().get(loc) != simdjson::OUT_OF_BOUNDS)
        return HU_REJECT_NOT_JSON;

    if (!ev->prompt.ptr && c.msg_prompt.ptr)
        ev->prompt = c.msg_prompt;
    if (!ev->system.ptr && c.msg_system.ptr)
        ev->system = c.msg_system;
    if (c.have_fmsgs && !c.saw_messages) {
        ev->n_messages = c.fmsgs[0];
        ev->n_user_msgs = c.fmsgs[1];
        ev->n_assistant_msgs = c.fmsgs[2];
        ev->n_tool_msgs = c.fmsgs[3];
        ev->n_image_blocks = c.fmsgs[4];
        ev->n_tool_use_blocks = c.fmsgs[5];
        ev->n_tool_result_blocks = c.fmsgs[6];
    }
    if (ev->ts_ms == HU_EV_ABSENT) {
        *field = "ts";
        return HU_REJECT_MISSING_TS;
    }
    if (ev->kind == HU_EV_MODEL_RELEASE) {
        if (!ev->model.ptr || ev->model.len == 0) {
            *field = "model";
            return HU_REJECT_MISSING_MODEL;
        }
    } else if (!ev->account_id.ptr || ev->account_id.len == 0) {
        *field = "account_id";
        return HU_REJECT_MISSING_ACCOUNT_ID;
    }
    return HU_REJECT_NONE;
}

/* ---- map mode ------------------------------------------------------------ */

bool ser_str(hu_buf *b, std::string_view s)
{
    return hu_buf_addc(b, '"') == HU_OK && hu_buf_add_json_str(b, s.data(), s.size()) == HU_OK &&
           hu_buf_addc(b, '"') == HU_OK;
}

/* Write element e as JSON.  Depth is bounded by the DOM parser's limit. */
bool ser(hu_buf *b, dom::element e)
{
    switch (e.type()) {
    case dom::element_type::ARRAY: {
        if (hu_buf_addc(b, '['))
            return false;
        bool first = true;
        dom::array arr;
        if (e.get_array().get(arr))
            return false;
        for (dom::element x : arr) {
            if ((!first && hu_buf_addc(b, ',')) || !ser(b, x))
                return false;
            first = false;
        }
        return hu_buf_addc(b, ']') == HU_OK;
    }
    case dom::element_type::OBJECT: {
        if (hu_buf_addc(b, '{'))
            return false;
        bool first = true;
        dom::object obj;
        if (e.get_object().get(obj))
            return false;
        for (dom::key_value_pair kv : obj) {
            if ((!first && hu_buf_addc(b, ',')) || !ser_str(b, kv.key) || hu_buf_addc(b, ':') ||
                !ser(b, kv.value))
                return false;
            first = false;
        }
        return hu_buf_addc(b, '}') == HU_OK;
    }
    case dom::element_type::INT64:
        return hu_buf_printf(b, "%lld", (long long)e.get_int64().value_unsafe()) == HU_OK;
    case dom::element_type::UINT64:
        return hu_buf_printf(b, "%llu", (unsigned long long)e.get_uint64().value_unsafe()) == HU_OK;
    case dom::element_type::DOUBLE:
        return hu_buf_printf(b, "%.17g", e.get_double().value_unsafe()) == HU_OK;
    case dom::element_type::STRING:
        return ser_str(b, e.get_string().value_unsafe());
    case dom::element_type::BOOL:
        return hu_buf_adds(b, e.get_bool().value_unsafe() ? "true" : "false") == HU_OK;
    case dom::element_type::NULL_VALUE:
        return hu_buf_adds(b, "null") == HU_OK;
    }
    return false;
}

/* A number written as text, for an id field mapped to a number. */
bool ser_as_string(hu_buf *b, dom::element e)
{
    char tmp[48];
    switch (e.type()) {
    case dom::element_type::INT64:
        snprintf(tmp, sizeof tmp, "%lld", (long long)e.get_int64().value_unsafe());
        break;
    case dom::element_type::UINT64:
        snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)e.get_uint64().value_unsafe());
        break;
    case dom::element_type::DOUBLE:
        snprintf(tmp, sizeof tmp, "%.17g", e.get_double().value_unsafe());
        break;
    case dom::element_type::BOOL:
        snprintf(tmp, sizeof tmp, "%s", e.get_bool().value_unsafe() ? "true" : "false");
        break;
    default:
        return ser(b, e);
    }
    return ser_str(b, tmp);
}

bool resolve(const hu_map *m, const hu_map_rule &r, dom::element root, dom::element *out)
{
    dom::element cur = root;
    for (uint32_t i = 0; i < r.n_steps; i++) {
        const hu_map_step &s = m->steps[r.first_step + i];
        if (s.is_index) {
            dom::array a;
            if (cur.get_array().get(a))
                return false;
            int64_t n = (int64_t)a.size();
            int64_t idx = s.index < 0 ? n + s.index : s.index;
            if (idx < 0 || idx >= n)
                return false;
            if (a.at((size_t)idx).get(cur))
                return false;
        } else {
            dom::object o;
            if (cur.get_object().get(o))
                return false;
            if (o.at_key(std::string_view(s.key, s.key_len)).get(cur))
                return false;
        }
    }
    *out = cur;
    return true;
}

hu_reject parse_mapped(hu__json *j, const hu_map *m, const char *p, size_t len, hu_event *ev,
                       const char **field, bool *oom)
{
    *field = nullptr;
    if (hu__json_too_deep(p, len, HU_MAX_JSON_DEPTH))
        return HU_REJECT_TOO_DEEP;
    dom::element root;
    error_code e = j->dom.parse(reinterpret_cast<const uint8_t *>(p), len, false).get(root);
    if (e)
        return from_error(e) == HU_REJECT_WRONG_TYPE ? HU_REJECT_NOT_JSON : from_error(e);
    if (root.type() != dom::element_type::OBJECT)
        return HU_REJECT_NOT_OBJECT;
    hu_buf *b = &j->synth;
    hu_buf_reset(b);
    bool ok = hu_buf_addc(b, '{') == HU_OK;
    bool first = true;
    for (uint32_t i = 0; ok && i < m->n_rules; i++) {
        const hu_map_rule &r = m->rules[i];
        dom::element v;
        if (!resolve(m, r, root, &v) || v.is_null())
            continue;
        const field_row &row = FIELDS[r.field];
        ok = (first || hu_buf_addc(b, ',') == HU_OK) && ser_str(b, row.name) &&
             hu_buf_addc(b, ':') == HU_OK;
        first = false;
        if (!ok)
            break;
        bool numeric_target = row.type == HU__FT_INT || row.type == HU__FT_TS;
        bool text_target = row.type == HU__FT_ID || row.type == HU__FT_TEXT ||
                           row.type == HU__FT_PROSE || row.type == HU__FT_KIND;
        if (numeric_target && v.is_string()) {
            std::string_view s = v.get_string().value_unsafe();
            /* "$request_time" style numbers: written bare.  An integer
             * field takes only integral text; ts takes a fraction too. */
            bool num = all_digits(s) && (row.type == HU__FT_TS || s.find('.') == s.npos);
            ok = num ? hu_buf_add(b, s.data(), s.size()) == HU_OK : ser(b, v);
        } else if (text_target) {
            ok = ser_as_string(b, v);
        } else {
            ok = ser(b, v);
        }
    }
    ok = ok && hu_buf_addc(b, '}') == HU_OK;
    char *pad = ok ? hu_buf_reserve(b, HU_JSON_PADDING) : nullptr;
    if (!pad) {
        /* Only a value over the buffer's maximum (a line near
         * HU_MAX_LINE_BYTES that grew by escaping) or out of memory. */
        if (b->cap == 0 || b->max > b->cap) {
            *oom = true;
            return HU_REJECT_COUNT;
        }
        return HU_REJECT_LINE_TOO_LONG;
    }
    std::memset(pad, 0, HU_JSON_PADDING);
    return parse_contract(j, b->ptr, b->len, ev, field);
}

} // namespace

/* ---- depth check ---------------------------------------------------------- */

extern "C" int hu__json_too_deep(const char *p, size_t len, unsigned max)
{
    /* Fast bound: a line with at most `max` openers cannot nest deeper. */
    size_t openers = 0, i = 0;
#if defined(__SSE2__)
    /* Byte lanes count matches (a match is -1: subtract it), summed with
     * psadbw every 255 blocks: no popcount, which without -mpopcnt is a
     * libgcc call that cost 9% of the ingest (docs/performance.md). */
    const __m128i ob = _mm_set1_epi8('['), oc = _mm_set1_epi8('{'), zero = _mm_setzero_si128();
    __m128i acc = zero;
    unsigned blocks = 0;
    for (; i + 16 <= len; i += 16) {
        __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p + i));
        acc = _mm_sub_epi8(acc, _mm_or_si128(_mm_cmpeq_epi8(x, ob), _mm_cmpeq_epi8(x, oc)));
        if (++blocks == 255 || i + 32 > len) {
            __m128i s = _mm_sad_epu8(acc, zero);
            openers += (size_t)_mm_cvtsi128_si32(s) + (size_t)_mm_extract_epi16(s, 4);
            acc = zero;
            blocks = 0;
        }
    }
#endif
    for (; i < len; i++)
        openers += (p[i] == '[') | (p[i] == '{');
    if (openers <= max)
        return 0;
    /* Exact walk, strings skipped (memchr to the closing quote). */
    unsigned depth = 0;
    for (i = 0; i < len; i++) {
        char ch = p[i];
        if (ch == '"') {
            for (;;) {
                const char *q = static_cast<const char *>(std::memchr(p + i + 1, '"', len - i - 1));
                if (!q)
                    return 0;          /* unterminated: the parser rejects it */
                size_t at = (size_t)(q - p), bs = 0;
                while (at - bs > i + 1 && p[at - bs - 1] == '\\')
                    bs++;
                i = at;
                if (bs % 2 == 0)
                    break;
            }
        } else if (ch == '[' || ch == '{') {
            if (++depth > max)
                return 1;
        } else if ((ch == ']' || ch == '}') && depth > 0) {
            depth--;
        }
    }
    return 0;
}

/* ---- benchmark hook: visit every value ------------------------------------- */

namespace {

/* Visit v and everything under it, decoding strings and numbers: what a
 * DOM parser does, so that bench_json compares like with like. */
error_code walk(od::value v, uint64_t *n, unsigned depth)
{
    if (depth > HU_MAX_JSON_DEPTH)
        return simdjson::DEPTH_ERROR;
    od::json_type t;
    error_code e = v.type().get(t);
    if (e)
        return e;
    (*n)++;
    switch (t) {
    case od::json_type::object: {
        od::object o;
        HU__TRY_RAW(v.get_object().get(o));
        for (auto f_res : o) {
            od::field f;
            HU__TRY_RAW(std::move(f_res).get(f));
            std::string_view k;
            HU__TRY_RAW(f.unescaped_key().get(k));
            HU__TRY_RAW(walk(f.value(), n, depth + 1));
        }
        return simdjson::SUCCESS;
    }
    case od::json_type::array: {
        od::array a;
        HU__TRY_RAW(v.get_array().get(a));
        for (auto x_res : a) {
            od::value x;
            HU__TRY_RAW(std::move(x_res).get(x));
            HU__TRY_RAW(walk(x, n, depth + 1));
        }
        return simdjson::SUCCESS;
    }
    case od::json_type::string: {
        std::string_view sv;
        return v.get_string().get(sv);
    }
    case od::json_type::number: {
        double d;
        return v.get_double().get(d);
    }
    case od::json_type::boolean: {
        bool b;
        return v.get_bool().get(b);
    }
    default: {
        bool nul;
        return v.is_null().get(nul);
    }
    }
}

} // namespace

extern "C" long hu__json_walk_all(struct hu__json *j, const char *p, size_t len)
{
    od::document doc;
    if (j->od.iterate(p, len, len + simdjson::SIMDJSON_PADDING).get(doc))
        return -1;
    od::object o;
    if (doc.get_object().get(o))
        return -1;
    uint64_t n = 1;
    for (auto f_res : o) {
        od::field f;
        if (std::move(f_res).get(f))
            return -1;
        std::string_view k;
        if (f.unescaped_key().get(k))
            return -1;
        if (walk(f.value(), &n, 2))
            return -1;
    }
    return (long)n;
}

/* ---- C interface ----------------------------------------------------------- */

extern "C" int hu__json_create(struct hu__json **out)
{
    *out = nullptr;
    void *mem = hu_malloc(sizeof(hu__json));
    if (!mem)
        return HU_ENOMEM;
    hu__json *j = new (mem) hu__json();
    hu_buf_init(&j->synth, 2 * (size_t)HU_MAX_LINE_BYTES);
    if (j->dom.allocate(4096, HU_MAX_JSON_DEPTH) != simdjson::SUCCESS) {
        hu__json_destroy(j);
        return HU_ENOMEM;
    }
    *out = j;
    return HU_OK;
}

extern "C" void hu__json_destroy(struct hu__json *j)
{
    if (!j)
        return;
    hu_free(j->prompt_blocks.p);
    hu_free(j->system_blocks.p);
    for (scratch &s : j->msg)
        hu_free(s.p);
    hu_buf_fini(&j->synth);
    j->~hu__json();
    hu_free(j);
}

extern "C" enum hu_reject hu__json_parse(struct hu__json *j, const char *p, size_t len,
                                         struct hu_event *ev, const char **field)
{
    return parse_contract(j, p, len, ev, field);
}

extern "C" enum hu_reject hu__json_parse_mapped(struct hu__json *j, const struct hu_map *map,
                                                const char *p, size_t len, struct hu_event *ev,
                                                const char **field)
{
    bool oom = false;
    return parse_mapped(j, map, p, len, ev, field, &oom);
}

extern "C" const char *hu__field_name(enum hu__field f)
{
    return (unsigned)f < HU__F_COUNT ? FIELDS[f].name : "?";
}

extern "C" enum hu__ftype hu__field_type(enum hu__field f)
{
    return (unsigned)f < HU__F_COUNT ? (enum hu__ftype)FIELDS[f].type : HU__FT_ID;
}
