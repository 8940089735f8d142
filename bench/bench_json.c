/*
 * bench_json.c -- JSON Lines parsing: huella's ingest next to its floor and
 * next to the other JSON parsers installed (docs/decisions/0001-json-parser.md).
 *
 *   build/release/bench/bench_json [MB] [runs] [only]   (default 64 MB, 3 runs, all)
 *
 * `only` is a comma-separated subset of floor,simd,cjson,jsonc,jansson,
 * ingest,zst,map,profile,stages,real (e.g. "simd,profile,stages" while working
 * on the feature path, or "profile" under a profiler).
 *
 * Generates a deterministic file of event-contract lines (~1 KB each: ids,
 * a prompt with escapes and multi-byte UTF-8, sometimes messages with
 * content blocks, tools, thinking) in $TMPDIR, then times, on that same
 * file, each a full pass framed by the same reader (hu_reader: read() +
 * memchr), so that only the parse differs:
 *
 *   floor            read + frame lines, nothing else
 *   simdjson walk    simdjson On-Demand visiting every value (as a DOM would)
 *   cJSON / json-c / jansson   parse each line to a DOM, count top-level keys, free
 *   huella ingest    hu_ingest_next over the file: the contract fields into
 *                    struct hu_event, counters, rejects (what analyze pays)
 *   huella ingest .zst / --map   the same through zstd / a --map file
 *
 * Then the rows floor, simdjson, ingest and ingest + features + profiles
 * again on a second file of real prompt text whose accounts come back
 * (section "the second file" below; `only` key "real", BENCH_PROMPTS names
 * the corpus directory; skipped with a message without it).
 *
 * Prints MB/s (uncompressed bytes) and lines/s, median of the runs.  No
 * assertion on speed here: numbers go to the docs, not to pass/fail.
 */
#include <cjson/cJSON.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "core/hash.h"
#include "features/features.h"
#include "features/lang.h"
#include "features/linear.h"
#include "features/simhash.h"
#include "features/targets.h"
#include "features/text.h"
#include "ingest/ingest.h"
#include "profile/observer.h"

/* json-c's headers and jansson's cannot be included together (both define
 * json_object, json_type, ...): the five json-c calls used are declared
 * here, as in json-c 0.16's json_tokener.h / json_object.h. */
struct json_tokener;
struct json_object;
struct json_tokener *json_tokener_new(void);
void json_tokener_free(struct json_tokener *tok);
void json_tokener_reset(struct json_tokener *tok);
struct json_object *json_tokener_parse_ex(struct json_tokener *tok, const char *str, int len);
int json_object_object_length(const struct json_object *obj);
int json_object_put(struct json_object *obj);
#include "ingest/json_shim.h"
#include "ingest/reader.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next_u64(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}
static unsigned below(unsigned n) { return (unsigned)(next_u64() % n); }

static const char *const words[] = {
    "explain", "the", "reasoning", "step", "by", "step", "for", "this", "answer", "grade",
    "rubric", "function", "return", "value", "code", "python", "tool", "call", "result",
    "caf\\u00e9", "na\xc3\xafve", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82",
    "\\\"quoted\\\"", "line\\nbreak", "tab\\there", "\xf0\x9f\x98\x80", "data", "analysis",
};
#define N_WORDS (sizeof words / sizeof words[0])

static size_t put_text(char *p, size_t target)
{
    size_t k = 0;
    while (k < target) {
        const char *w = words[below(N_WORDS)];
        size_t n = strlen(w);
        memcpy(p + k, w, n);
        k += n;
        p[k++] = ' ';
    }
    return k;
}

/* ---- the second file: real prompt text, accounts that come back ---------
 *
 * The word salad above is a worst case on two counts: eight of its 29
 * words are anchors of the phrase patterns (reasoning, step, grade,
 * rubric, answer, ...), so Hyperscan's engines stay active on every line,
 * and almost every line opens a new account (200,000 ids for ~60,000
 * lines).  Real API traffic is neither: most prompts are ordinary text and
 * an account sends many requests.  So `make bench` times a second file of
 * the same size and line length made from real prompts written by others
 * (../shared/data/prompts, every .jsonl, 63,000 texts; BENCH_PROMPTS names
 * another directory): each prompt joins two or more texts drawn at random
 * until it reaches the same target length as the salad's, so that each
 * line is (almost surely) a new text and the exact-duplicate caches do not
 * flatter it; the generator counts the distinct prompts and prints them.
 * Accounts are drawn from lines / 165 ids -- seed-2026 at scale 1 has
 * 37.6 M requests from 228,200 accounts (165 each) -- and an account keeps
 * its organisation, key, user agent and client fingerprint and uses three
 * addresses, as a real client does. */
#define REAL_PER_ACCOUNT 165u
#define REAL_TEXT_MAX    2048u          /* escaped bytes; longer texts are skipped */
static char **real_texts;               /* JSON-escaped, NUL-terminated */
static size_t *real_lens, n_real;

/* JSON-escape s into a new NUL-terminated string (UTF-8 kept as is). */
static char *json_escape(const char *s, size_t *out_len)
{
    size_t n = strlen(s), k = 0;
    char *o = malloc(6 * n + 1);
    if (o == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            o[k++] = '\\';
            o[k++] = (char)c;
        } else if (c == '\n') {
            o[k++] = '\\';
            o[k++] = 'n';
        } else if (c < 0x20) {
            k += (size_t)sprintf(o + k, "\\u%04x", c);
        } else {
            o[k++] = (char)c;
        }
    }
    o[k] = 0;
    *out_len = k;
    return o;
}

/* Load every "text" of every .jsonl in dir; returns how many. */
static size_t load_real(const char *dir)
{
    char cmd[1024], path[1024];
    snprintf(cmd, sizeof cmd, "ls %s/*.jsonl 2>/dev/null", dir);
    FILE *ls = popen(cmd, "r");
    if (ls == NULL)
        return 0;
    size_t cap = 0;
    static char buf[1 << 20];
    while (fgets(path, sizeof path, ls)) {
        path[strcspn(path, "\n")] = 0;
        FILE *f = fopen(path, "r");
        if (f == NULL)
            continue;
        while (fgets(buf, sizeof buf, f)) {
            cJSON *d = cJSON_Parse(buf);
            const cJSON *t = cJSON_GetObjectItemCaseSensitive(d, "text");
            size_t len = 0;
            char *e = cJSON_IsString(t) ? json_escape(t->valuestring, &len) : NULL;
            cJSON_Delete(d);
            if (e == NULL || len == 0 || len > REAL_TEXT_MAX) {
                free(e);
                continue;
            }
            if (n_real == cap) {
                cap = cap ? 2 * cap : 65536;
                real_texts = realloc(real_texts, cap * sizeof *real_texts);
                real_lens = realloc(real_lens, cap * sizeof *real_lens);
                if (!real_texts || !real_lens)
                    exit(1);
            }
            real_texts[n_real] = e;
            real_lens[n_real++] = len;
        }
        fclose(f);
    }
    pclose(ls);
    return n_real;
}

/* Two or more real texts, joined by a blank line, until >= target bytes. */
static size_t put_real(char *p, size_t target)
{
    size_t k = 0;
    for (int parts = 0; parts < 2 || k < target; parts++) {
        if (parts) {
            memcpy(p + k, "\\n\\n", 4);
            k += 4;
        }
        size_t i = (size_t)(next_u64() % n_real);
        memcpy(p + k, real_texts[i], real_lens[i]);
        k += real_lens[i];
        if (k > 3 * REAL_TEXT_MAX)
            break;
    }
    return k;
}

/* One line of roughly 1 KB (400 B .. 2.5 KB); returns its length with '\n'.
 * accounts == 0: the word salad, a new random account per line; else real
 * text and one of `accounts` accounts, each with stable client fields. */
static size_t gen_line(char *p, uint64_t i, unsigned accounts)
{
    static const char *const models[] = { "m-large", "m-small", "m-large-2026", "m-coder" };
    size_t k = 0;
    size_t (*put)(char *, size_t) = accounts ? put_real : put_text;
    /* the salad: every field drawn anew; real: account a's own fields and
     * one of its three addresses (a / 85, a % 85: 85 accounts per /24) */
    unsigned a = accounts ? below(accounts) : 0;
    unsigned acct = accounts ? a : below(200000), org = accounts ? a % 5000 : below(5000);
    unsigned key = accounts ? a * 2654435761u : (unsigned)next_u64();
    unsigned ip3 = accounts ? (a / 85) % 256 : below(256), ip4 = accounts ? (a % 85) * 3 + below(3) : below(256);
    unsigned ua = accounts ? a % 30 : below(30), fp = accounts ? a * 40503u : (unsigned)next_u64();
    const char *model = models[accounts ? a % 4 : below(4)];
    k += (size_t)sprintf(p + k,
                         "{\"ts\":\"2026-02-10T%02u:%02u:%02u.%03uZ\",\"account_id\":\"acct-%06u\","
                         "\"org_id\":\"org-%04u\",\"api_key_id\":\"key-%08x\",\"ip\":\"%s.%u.%u\","
                         "\"user_agent\":\"python-httpx/0.%u\",\"client_fp\":\"t13d1516h2_8daaf6152771_%012x\","
                         "\"endpoint\":\"/v1/messages\",\"model\":\"%s\",",
                         (unsigned)(i / 3600000) % 24, (unsigned)(i / 60000) % 60, (unsigned)(i / 1000) % 60,
                         (unsigned)(i % 1000), acct, org, key, accounts ? "198.51" : "203.0", ip3, ip4, ua, fp,
                         model);
    unsigned len = 150 + below(1000);
    if (below(10) < 3) {
        k += (size_t)sprintf(p + k, "\"messages\":[{\"role\":\"system\",\"content\":\"You are helpful.\"},"
                                    "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"");
        k += put(p + k, len / 2);
        k += (size_t)sprintf(p + k, "\"}]},{\"role\":\"assistant\",\"content\":\"ok\"},"
                                    "{\"role\":\"user\",\"content\":\"");
        k += put(p + k, len / 2);
        k += (size_t)sprintf(p + k, "\"}],");
    } else {
        k += (size_t)sprintf(p + k, "\"prompt\":\"");
        k += put(p + k, len);
        k += (size_t)sprintf(p + k, "\",");
    }
    if (below(10) < 2)
        k += (size_t)sprintf(p + k, "\"tools\":[\"bash\",{\"name\":\"edit\",\"input_schema\":{\"type\":\"object\"}}],");
    if (below(10) < 3)
        k += (size_t)sprintf(p + k, "\"thinking\":%u,", 1024 * (1 + below(8)));
    k += (size_t)sprintf(p + k, "\"max_tokens\":%u,\"input_tokens\":%u,\"output_tokens\":%u,\"status\":200,"
                                "\"request_id\":\"req_%016llx\",\"latency_ms\":%u.%u}\n",
                         256u << below(5), 10 + below(4000), below(8000),
                         (unsigned long long)next_u64(), below(9000), below(10));
    return k;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

enum which { FLOOR, SIMD_WALK, CJSON, JSONC, JANSSON, INGEST, INGEST_ZST, INGEST_MAP, INGEST_PROFILE,
             INGEST_PROFILE_MODEL, N_WHICH };
static const char *const keys[N_WHICH] = { "floor", "simd", "cjson", "jsonc", "jansson",
                                           "ingest", "zst", "map", "profile", "model" };
static const char *const names[N_WHICH] = {
    "read + frame (floor)", "simdjson On-Demand, every value", "cJSON 1.7 (DOM)",
    "json-c 0.16 (DOM)", "jansson 2.14 (DOM)", "huella ingest (hu_ingest_next)",
    "huella ingest, zstd input", "huella ingest, --map (DOM path)",
    "huella ingest + features + profiles",
    "  the same with the target model",
};

/* The linear target model that `huella analyze` loads by default: the
 * file BENCH_MODEL names, else build/targets.model (where analyze finds
 * it in the build tree; `make bench` builds it).  NULL: none, and the
 * "model" row is skipped. */
static const char *model_path(void)
{
    const char *p = getenv("BENCH_MODEL");
    if (p == NULL || *p == 0)
        p = "build/targets.model";
    return access(p, R_OK) == 0 ? p : NULL;
}

/* After an INGEST_PROFILE pass: accounts, and the profile table's bytes. */
static size_t prof_accounts, prof_table_bytes;

static const char *path_plain, *path_zst, *path_map;

/* One timed pass; returns seconds and sets *lines / *check. */
static double run_once(enum which w, uint64_t *lines, uint64_t *check)
{
    *lines = 0;
    *check = 0;
    double t0 = now();
    if (w >= INGEST) {
        struct hu_ingest *ing;
        struct hu_ingest_opts o = { .quiet = 1 };
        if (w == INGEST_MAP)
            o.map_path = path_map;
        const char *paths[1] = { w == INGEST_ZST ? path_zst : path_plain };
        if (hu_ingest_create(&ing, paths, 1, &o) != HU_OK) {
            fprintf(stderr, "bench_json: cannot open input\n");
            exit(1);
        }
        struct hu_event ev;
        /* the per-event path of `huella analyze --threads 1`: ingest, text
         * and network features (Hyperscan targets, template, SimHash,
         * language), the account's profile; the observer is created before
         * the clock starts again (Hyperscan compiles its database there) */
        struct hu_observer *obs = NULL;
        if (w == INGEST_PROFILE || w == INGEST_PROFILE_MODEL) {
            struct hu_observer_config oc = { 0 };
            if (w == INGEST_PROFILE_MODEL)
                oc.features.model_file = model_path();
            if (hu_observer_create(&oc, &obs, NULL, 0) != HU_OK) {
                fprintf(stderr, "bench_json: cannot create the observer\n");
                exit(1);
            }
            t0 = now();
        }
        while (hu_ingest_next(ing, &ev) == 1) {
            *check += ev.prompt.len + ev.n_tools;
            if (obs)
                (void)hu_observer_observe(obs, &ev);
        }
        if (obs) {
            const struct hu_profile_table *t = hu_observer_table(obs);
            prof_accounts = hu_profile_table_count(t);
            prof_table_bytes = hu_profile_table_memory(t);
            *check = prof_accounts;
        }
        double secs = now() - t0;
        hu_observer_destroy(obs);
        *lines = hu_ingest_totals(ing)->lines;
        if (hu_ingest_totals(ing)->rejects)
            fprintf(stderr, "bench_json: %llu rejects?\n", (unsigned long long)hu_ingest_totals(ing)->rejects);
        hu_ingest_destroy(ing);
        return secs;
    }
    struct hu_reader r;
    if (hu_reader_open(&r, path_plain) != HU_OK)
        exit(1);
    struct hu__json *j = NULL;
    struct json_tokener *tok = NULL;
    if (w == SIMD_WALK && hu__json_create(&j) != HU_OK)
        exit(1);
    if (w == JSONC)
        tok = json_tokener_new();
    struct hu_line line;
    while (hu_reader_next(&r, &line) == 1) {
        (*lines)++;
        switch (w) {
        case FLOOR:
            *check += line.len;
            break;
        case SIMD_WALK:
            *check += (uint64_t)hu__json_walk_all(j, line.ptr, line.len);
            break;
        case CJSON: {
            cJSON *d = cJSON_ParseWithLength(line.ptr, line.len);
            *check += (uint64_t)cJSON_GetArraySize(d);
            cJSON_Delete(d);
            break;
        }
        case JSONC: {
            json_tokener_reset(tok);
            struct json_object *d = json_tokener_parse_ex(tok, line.ptr, (int)line.len);
            *check += (uint64_t)json_object_object_length(d);
            json_object_put(d);
            break;
        }
        case JANSSON: {
            json_error_t err;
            json_t *d = json_loadb(line.ptr, line.len, 0, &err);
            *check += json_object_size(d);
            json_decref(d);
            break;
        }
        default:
            break;
        }
    }
    hu__json_destroy(j);
    if (tok)
        json_tokener_free(tok);
    hu_reader_fini(&r);
    return now() - t0;
}


/* ---- where one line's time goes ------------------------------------------
 *
 * Three passes over the plain file, each timing its stages per event with
 * the monotonic clock (24 ns per reading here; the text pass takes 10
 * readings per line, so ~0.2 us of its sum is the clock itself):
 *
 *   1. the text sub-stages: the functions hu_features_extract calls on a
 *      prompt, in its order, and the system prompt's template; and, on a
 *      row of its own, the linear target model that `huella analyze`
 *      loads by default (model_path(); the other rows are without it, as
 *      the "ingest + features + profiles" row);
 *   2. hu_features_extract, whole (everything above plus tools, network,
 *      client hashes, the exact-duplicate caches);
 *   (both as the observer runs them: without the SimHash, which profiles
 *   do not read, so tokens are not hashed -- hu_fx_worker_simhash;)
 *   3. hu_observer_observe: features + profile update + dictionary.
 *
 * Separate passes, so that each stage runs after ingest as it does in
 * analyze (a stage timed right after another finds its data in cache).
 * Ingest is timed in all three passes; its mean is printed. */
enum stage { ST_INGEST, ST_CHARS, ST_NORM, ST_TPLHASH, ST_HEADTAIL, ST_LANG,
             ST_TARGETS, ST_SYSTEM, ST_EXTRACT, ST_OBSERVE, ST_MODEL, N_STAGES };
static const char *const stage_names[N_STAGES] = {
    "ingest (hu_ingest_next)", "  text: code points", "  text: normalise + tokens",
    "  text: template hash", "  text: head/tail keys",
    "  text: language", "  text: Hyperscan targets", "  system prompt template",
    "features (hu_features_extract, whole)", "features + profile (hu_observer_observe)",
    "target model (not in the rows above)",
};

static uint64_t ns_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* One pass: mode 0 text sub-stages, 1 extract, 2 observe.  Adds to ns[]. */
static uint64_t stage_pass(int mode, uint64_t ns[N_STAGES], uint64_t *prompts)
{
    uint64_t lines = 0;
    struct hu_ingest *ing;
    struct hu_ingest_opts o = { .quiet = 1 };
    const char *paths[1] = { path_plain };
    struct hu_features *fx = NULL;
    struct hu_fx_worker *fw = NULL;
    struct hu_targets *tg = NULL;
    struct hu_targets_scratch *ts = NULL;
    struct hu_observer *obs = NULL;
    struct hu_observer_config oc = { 0 };
    size_t cap = HU_TEXT_OUT_CAP(HU_MAX_FIELD_BYTES);
    char *tpl = malloc(cap), *scan = malloc(cap);
    static struct hu__token toks[4096];
    struct hu_linear_model *lm = NULL;      /* mode 0, when there is a model */
    if (mode == 0 && model_path() != NULL && hu_linear_load(model_path(), &lm, NULL, 0) != HU_OK) {
        fprintf(stderr, "bench_json: stage breakdown: cannot load %s\n", model_path());
        exit(1);
    }
    if (hu_ingest_create(&ing, paths, 1, &o) != HU_OK || hu_features_create(NULL, &fx, NULL, 0) != HU_OK ||
        hu_fx_worker_create(fx, &fw) != HU_OK || hu_targets_create(&tg, NULL, 0) != HU_OK ||
        hu_targets_scratch_create(tg, &ts) != HU_OK || hu_observer_create(&oc, &obs, NULL, 0) != HU_OK ||
        !tpl || !scan) {
        fprintf(stderr, "bench_json: stage breakdown: set-up failed\n");
        exit(1);
    }
    (void)hu_fx_worker_simhash(fw, 0);   /* as the observer runs it */
    struct hu_event ev;
    volatile uint64_t sink = 0;
    for (;;) {
        uint64_t t0 = ns_now();
        if (hu_ingest_next(ing, &ev) != 1)
            break;
        uint64_t a = ns_now(), b;
        ns[ST_INGEST] += a - t0;
        lines++;
        if (mode == 1) {
            struct hu_req_features f;
            hu_features_extract(fw, &ev, &f);
            ns[ST_EXTRACT] += ns_now() - a;
            sink += f.simhash;
            continue;
        }
        if (mode == 2) {
            (void)hu_observer_observe(obs, &ev);
            ns[ST_OBSERVE] += ns_now() - a;
            continue;
        }
        if (ev.prompt.ptr != NULL) {
            size_t len = ev.prompt.len, sl = 0;
            sink += hu_text_chars(ev.prompt.ptr, len);
            b = ns_now(); ns[ST_CHARS] += b - a; a = b;
            /* the template tokenised while written (features.c); then
             * hu__text_feats_tokbuf's steps, timed one by one */
            struct hu__tokbuf tb = { .toks = toks, .hs = NULL, .cap = 4096, .seed = HU_HASH_SEED };
            size_t tl = hu__text_normalise_tokens(ev.prompt.ptr, len, tpl, cap, scan, cap, &sl, &tb);
            b = ns_now(); ns[ST_NORM] += b - a; a = b;
            sink += hu_hash(tpl, tl);
            b = ns_now(); ns[ST_TPLHASH] += b - a; a = b;
            struct hu__lang_counts lc = tb.lc;
            size_t nt = tb.overflow ? SIZE_MAX : tb.n;
            if (nt != SIZE_MAX) {
                uint64_t h1, h2;
                hu__head_tail_tokens(tpl, toks, nt, &h1, &h2);
                sink += h1 ^ h2;
                b = ns_now(); ns[ST_HEADTAIL] += b - a; a = b;
                lc.latin += tb.letters;
                sink += (uint64_t)hu__lang_guess_counts(tpl, tl, toks, nt, &lc);
                b = ns_now(); ns[ST_LANG] += b - a; a = b;
            }
            float sum[HU_TARGET_COUNT] = { 0 };
            sink += hu_targets_scan(tg, ts, scan, sl, sum, NULL, 0);
            b = ns_now(); ns[ST_TARGETS] += b - a; a = b;
            if (lm != NULL && nt != SIZE_MAX) {
                float m[HU_TARGET_COUNT];
                hu_linear_score_tokens(lm, tpl, toks, nt, m);
                sink += (uint64_t)(m[0] * 8);
                b = ns_now(); ns[ST_MODEL] += b - a; a = b;
            }
            (*prompts)++;
        }
        if (ev.system.ptr != NULL) {
            sink += hu_text_template(ev.system.ptr, ev.system.len, tpl, cap);
            ns[ST_SYSTEM] += ns_now() - a;
        }
    }
    (void)sink;
    hu_observer_destroy(obs);
    hu_targets_scratch_destroy(ts);
    hu_targets_destroy(tg);
    hu_linear_destroy(lm);
    hu_fx_worker_destroy(fw);
    hu_features_destroy(fx);
    hu_ingest_destroy(ing);
    free(tpl);
    free(scan);
    return lines;
}

/* The passes `runs` times; each stage's minimum over the runs is printed
 * (the machine is shared: the minimum is the run least disturbed). */
static void stage_breakdown(int runs)
{
    uint64_t best[N_STAGES], prompts = 0, lines = 0;
    for (int s = 0; s < N_STAGES; s++)
        best[s] = UINT64_MAX;
    for (int r = 0; r < runs; r++) {
        uint64_t ns[N_STAGES] = { 0 };
        prompts = 0;
        lines = 0;
        for (int mode = 0; mode < 3; mode++)
            lines += stage_pass(mode, ns, &prompts);
        lines /= 3;
        ns[ST_INGEST] /= 3;
        for (int s = 0; s < N_STAGES; s++)
            if (ns[s] < best[s])
                best[s] = ns[s];
    }
    double per = lines ? 1e-3 / (double)lines : 0;
    uint64_t text = 0;
    for (int s = ST_CHARS; s <= ST_SYSTEM; s++)
        text += best[s];
    printf("where a line's time goes (us per line; %llu lines, %llu prompts; minimum of %d runs):\n",
           (unsigned long long)lines, (unsigned long long)prompts, runs);
    for (int s = 0; s < N_STAGES; s++) {
        if (s == ST_MODEL && model_path() == NULL) {
            printf("  %-44s %8s\n", stage_names[s], "no model");
            continue;
        }
        printf("  %-44s %8.3f\n", stage_names[s], (double)best[s] * per);
        if (s == ST_SYSTEM)
            printf("  %-44s %8.3f\n", "  text stages, sum", (double)text * per);
        if (s == ST_OBSERVE)
            printf("  %-44s %8.3f\n", "profile update (observe - features)",
                   ((double)best[ST_OBSERVE] - (double)best[ST_EXTRACT]) * per);
    }
}

/* Is `key` in the comma-separated list (NULL: everything)? */
static int wanted(const char *only, const char *key)
{
    if (only == NULL)
        return 1;
    size_t n = strlen(key);
    for (const char *p = only; *p;) {
        const char *e = strchr(p, ',');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l == n && strncmp(p, key, n) == 0)
            return 1;
        p += l + (e != NULL);
    }
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* How many distinct prompt texts the file at path holds (by 64-bit hash). */
static size_t distinct_prompts(const char *path)
{
    struct hu_ingest *ing;
    struct hu_ingest_opts o = { .quiet = 1 };
    const char *paths[1] = { path };
    size_t cap = 1u << 20, n = 0;
    uint64_t *set = calloc(cap, sizeof *set);
    if (set == NULL || hu_ingest_create(&ing, paths, 1, &o) != HU_OK) {
        free(set);
        return 0;
    }
    struct hu_event ev;
    while (hu_ingest_next(ing, &ev) == 1 && n < cap / 2) {
        if (ev.prompt.ptr == NULL)
            continue;
        uint64_t h = hu_hash(ev.prompt.ptr, ev.prompt.len) | 1;
        size_t i = h & (cap - 1);
        while (set[i] && set[i] != h)
            i = (i + 1) & (cap - 1);
        if (!set[i]) {
            set[i] = h;
            n++;
        }
    }
    hu_ingest_destroy(ing);
    free(set);
    return n;
}

/* The timed rows in `only` on path_plain (total bytes), and the targets.
 * label: NULL for the first file, else a word naming the file. */
static void run_rows(const char *label, size_t total, int runs, const char *only)
{
    printf("%-36s %9s %12s %14s\n", "parser", "MB/s", "lines/s", "check");
    double mbs[N_WHICH] = { 0 };
    for (int w = 0; w < N_WHICH; w++) {
        if (!wanted(only, keys[w]))
            continue;
        if (w == INGEST_PROFILE_MODEL && model_path() == NULL) {
            printf("%-36s skipped: no build/targets.model (make model; or set BENCH_MODEL)\n", names[w]);
            continue;
        }
        double t[15];
        uint64_t lines = 0, check = 0;
        for (int r = 0; r < runs; r++)
            t[r] = run_once((enum which)w, &lines, &check);
        qsort(t, (size_t)runs, sizeof t[0], cmp_double);
        double med = t[runs / 2];
        mbs[w] = total / 1e6 / med;
        printf("%-36s %9.0f %12.0f %14llu\n", names[w], mbs[w], (double)lines / med,
               (unsigned long long)check);
        fflush(stdout);
    }
    if (mbs[INGEST] > 0 && mbs[SIMD_WALK] > 0)
        printf("huella ingest / simdjson every-value walk: %.0f%%   (target >= 40%%)\n",
               100.0 * mbs[INGEST] / mbs[SIMD_WALK]);
    if (mbs[INGEST] > 0)
        printf("huella ingest: %.0f MB/s   (target >= 300 MB/s)\n", mbs[INGEST]);
    if (mbs[INGEST_PROFILE] > 0 && mbs[SIMD_WALK] > 0)
        printf("huella ingest + features + profiles%s%s: %.0f MB/s on one core (target >= 300 MB/s), "
               "%.0f%% of the simdjson walk (target >= 40%%)\n",
               label ? ", " : "", label ? label : "", mbs[INGEST_PROFILE],
               100.0 * mbs[INGEST_PROFILE] / mbs[SIMD_WALK]);
    if (mbs[INGEST_PROFILE_MODEL] > 0 && mbs[SIMD_WALK] > 0)
        printf("huella ingest + features + profiles + target model%s%s (as analyze runs by default): "
               "%.0f MB/s on one core, %.0f%% of the simdjson walk\n",
               label ? ", " : "", label ? label : "", mbs[INGEST_PROFILE_MODEL],
               100.0 * mbs[INGEST_PROFILE_MODEL] / mbs[SIMD_WALK]);
    if (mbs[INGEST_PROFILE] > 0)
        printf("bytes per profile: struct %zu, table %.0f per account (%zu accounts)\n",
               sizeof(struct hu_profile), prof_accounts ? (double)prof_table_bytes / (double)prof_accounts : 0.0,
               prof_accounts);
}

/* Write about `target` bytes of lines to path (and, if zpath, the same
 * compressed with zstd); returns the bytes written, 0 on failure. */
static size_t gen_file(const char *path, const char *zpath, size_t target, unsigned accounts, uint64_t *n_lines)
{
    size_t total = 0, ck = 0, zcap = ZSTD_CStreamOutSize();
    FILE *f = fopen(path, "wb"), *fz = zpath ? fopen(zpath, "wb") : NULL;
    ZSTD_CCtx *cc = zpath ? ZSTD_createCCtx() : NULL;
    char *zout = malloc(zcap), *chunk = malloc(1 << 20);
    static char line[16384];
    if (!f || (zpath && (!fz || !cc)) || !zout || !chunk)
        return 0;
    *n_lines = 0;
    for (int last = 0; !last;) {
        size_t n = 0;
        last = total >= target;
        if (!last) {
            n = gen_line(line, (*n_lines)++, accounts);
            total += n;
        }
        if (last || ck + n > (1u << 20)) {
            fwrite(chunk, 1, ck, f);
            ZSTD_inBuffer in = { chunk, ck, 0 };
            size_t left = 0;
            do {
                ZSTD_outBuffer out = { zout, zcap, 0 };
                if (cc == NULL)
                    break;
                left = ZSTD_compressStream2(cc, &out, &in, last ? ZSTD_e_end : ZSTD_e_continue);
                fwrite(zout, 1, out.pos, fz);
            } while (in.pos < in.size || (last && left));
            ck = 0;
        }
        memcpy(chunk + ck, line, n);
        ck += n;
    }
    fclose(f);
    if (fz)
        fclose(fz);
    ZSTD_freeCCtx(cc);
    free(zout);
    free(chunk);
    return total;
}

int main(int argc, char **argv)
{
    size_t mb = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 64;
    int runs = argc > 2 ? atoi(argv[2]) : 3;
    const char *only = argc > 3 ? argv[3] : NULL;
    if (mb == 0 || runs < 1 || runs > 15)
        return 2;
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    static char p1[512], p2[512], p3[512];
    snprintf(p1, sizeof p1, "%s/bench_json_%d.jsonl", tmp, (int)getpid());
    snprintf(p2, sizeof p2, "%s/bench_json_%d.jsonl.zst", tmp, (int)getpid());
    snprintf(p3, sizeof p3, "%s/bench_json_%d.map", tmp, (int)getpid());
    path_plain = p1;
    path_zst = p2;
    path_map = p3;

    /* generate */
    size_t target = mb << 20;
    uint64_t n_lines = 0;
    FILE *fm = fopen(p3, "wb");
    if (!fm)
        return 1;
    fputs("ts = ts\naccount_id = account_id\norg_id = org_id\napi_key_id = api_key_id\nip = ip\n"
          "user_agent = user_agent\nclient_fp = client_fp\nendpoint = endpoint\nmodel = model\n"
          "prompt = prompt\nmessages = messages\nmax_tokens = max_tokens\nthinking = thinking\ntools = tools\n", fm);
    fclose(fm);
    size_t total = gen_file(p1, p2, target, 0, &n_lines);
    if (total == 0)
        return 1;
    char cpu[300] = "unknown cpu";
    FILE *ci = fopen("/proc/cpuinfo", "r");
    if (ci) {
        char l[256];
        while (fgets(l, sizeof l, ci))
            if (!strncmp(l, "model name", 10)) {
                char *c = strchr(l, ':');
                snprintf(cpu, sizeof cpu, "%s", c ? c + 2 : l);
                cpu[strcspn(cpu, "\n")] = 0;
                break;
            }
        fclose(ci);
    }
    printf("bench_json: %.1f MB, %llu lines (mean %.0f B/line), median of %d runs\n",
           total / 1e6, (unsigned long long)n_lines, (double)total / (double)n_lines, runs);
    printf("machine: %s, %ld cpus; commit %s\n", cpu, sysconf(_SC_NPROCESSORS_ONLN), HU_GIT_REV);
    run_rows(NULL, total, runs, only);
    if (wanted(only, "stages"))
        stage_breakdown(runs);

    /* the same again on real prompt text, accounts that come back */
    const char *dir = getenv("BENCH_PROMPTS") ? getenv("BENCH_PROMPTS") : "../shared/data/prompts";
    if (wanted(only, "real") && load_real(dir) > 0) {
        static char p4[512];
        snprintf(p4, sizeof p4, "%s/bench_json_%d.real.jsonl", tmp, (int)getpid());
        unsigned accounts = (unsigned)((double)target / 1118.0 / REAL_PER_ACCOUNT);
        total = gen_file(p4, NULL, target, accounts ? accounts : 1, &n_lines);
        path_plain = p4;
        if (total > 0) {
            printf("\nreal prompts (%s, %zu texts): %.1f MB, %llu lines (mean %.0f B/line), "
                   "%zu distinct prompts, %u accounts (%u lines each, as seed-2026)\n",
                   dir, n_real, total / 1e6, (unsigned long long)n_lines, (double)total / (double)n_lines,
                   distinct_prompts(p4), accounts, REAL_PER_ACCOUNT);
            run_rows("real", total, runs, "floor,simd,ingest,profile,model");
            if (wanted(only, "stages"))
                stage_breakdown(runs);
        }
        unlink(p4);
    } else if (wanted(only, "real")) {
        printf("\nreal prompts: %s has no .jsonl files, skipped (set BENCH_PROMPTS)\n", dir);
    }

    unlink(p1);
    unlink(p2);
    unlink(p3);
    return 0;
}
