/* test_featurized.c -- the `features` object: keys, writing, reading, line
 * rewriting, and the property that matters: a featurized event gives the
 * same struct hu_req_features, bit for bit, as its raw event under one key. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "features/featurized.h"
#include "features/features.h"
#include "features/simhash.h"
#include "features/text.h"
#include "ingest/ingest.h"
#include "core/buf.h"
#include "core/hash.h"

static const char KEY[] = "0123456789abcdef-test-key-material";

struct ctx {
    struct hu_features *fx;
    struct hu_fx_worker *w;
    struct hu_fz_reader *r;
    struct hu_line_parser *lp, *lp2;
    struct hu_fkey key;
    const struct hu_fkey *k;
    struct hu_buf out;
};

static int ctx_init(struct ctx *c, int keyed)
{
    memset(c, 0, sizeof *c);
    struct hu_features_config cfg = { 0 };
    if (keyed) {
        cfg.feature_key = KEY;
        cfg.feature_key_len = sizeof KEY - 1;
        if (hu_fkey_derive(KEY, sizeof KEY - 1, &c->key) != HU_OK)
            return -1;
        c->k = &c->key;
    }
    char err[256];
    if (hu_features_create(&cfg, &c->fx, err, sizeof err) != HU_OK ||
        hu_fx_worker_create(c->fx, &c->w) != HU_OK || hu_fz_reader_create(&c->r) != HU_OK ||
        hu_line_parser_create(&c->lp, NULL) != HU_OK || hu_line_parser_create(&c->lp2, NULL) != HU_OK)
        return -1;
    hu_buf_init(&c->out, 1u << 24);
    return 0;
}

static void ctx_fini(struct ctx *c)
{
    hu_buf_fini(&c->out);
    hu_line_parser_destroy(c->lp);
    hu_line_parser_destroy(c->lp2);
    hu_fz_reader_destroy(c->r);
    hu_fx_worker_destroy(c->w);
    hu_features_destroy(c->fx);
}

/* ---- keys ------------------------------------------------------------------ */

static void keys_derive_and_hash(void **state)
{
    (void)state;
    struct hu_fkey a, b, c;
    assert_int_equal(hu_fkey_derive(KEY, sizeof KEY - 1, &a), HU_OK);
    assert_int_equal(hu_fkey_derive(KEY, sizeof KEY - 1, &b), HU_OK);
    assert_memory_equal(&a, &b, sizeof a);                      /* deterministic */
    assert_int_equal(hu_fkey_derive("0123456789abcdef-test-key-materiaL", sizeof KEY - 1, &c), HU_OK);
    assert_memory_not_equal(a.sip, c.sip, sizeof a.sip);
    assert_true(a.simhash_seed != c.simhash_seed && a.id != c.id && a.id != 0);
    assert_int_equal(hu_fkey_derive(KEY, HU_FKEY_MIN_BYTES - 1, &c), HU_EINVAL);
    assert_int_equal(hu_fkey_derive(NULL, 32, &c), HU_EINVAL);
    assert_int_equal(hu_fkey_hash(&a, 0), 0);                   /* absent stays absent */
    assert_int_equal(hu_fkey_hash(NULL, 12345), 12345);
    /* a PRF of the hash: injective on a sample, unlike the identity, and
     * different under another key */
    uint64_t prev = 0;
    for (uint64_t h = 1; h < 2000; h++) {
        uint64_t x = hu_fkey_hash(&a, h);
        assert_true(x != 0 && x != h && x != prev && x != hu_fkey_hash(&c, h));
        prev = x;
    }
}

static void key_files(void **state)
{
    (void)state;
    char dir[] = "/tmp/hu_fkeyXXXXXX", path[128], err[256];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/key", dir);
    assert_int_equal(hu_fkey_generate(path, err, sizeof err), HU_OK);
    assert_int_equal(hu_fkey_generate(path, err, sizeof err), HU_EEXIST);   /* never overwritten */
    struct hu_fkey a, b;
    assert_int_equal(hu_fkey_load(path, &a, err, sizeof err), HU_OK);
    FILE *f = fopen(path, "rb");
    unsigned char raw[64];
    size_t n = fread(raw, 1, sizeof raw, f);
    fclose(f);
    assert_int_equal(n, 32);
    assert_int_equal(hu_fkey_derive(raw, n, &b), HU_OK);
    assert_memory_equal(&a, &b, sizeof a);
    unlink(path);
    f = fopen(path, "w");
    fputs("short", f);
    fclose(f);
    assert_int_equal(hu_fkey_load(path, &a, err, sizeof err), HU_EINVAL);
    assert_non_null(strstr(err, "16 to 4096"));
    assert_null(strstr(err, "short"));                          /* never the content */
    unlink(path);
    assert_int_equal(hu_fkey_load(path, &a, err, sizeof err), HU_ENOENT);
    rmdir(dir);
}

/* ---- object ---------------------------------------------------------------- */

static uint64_t rng = 0x1234567;
static uint64_t next(void) { return rng = hu_hash_mix(rng); }

static void floats_round_trip(void **state)
{
    (void)state;
    struct hu_fz_reader *r;
    assert_int_equal(hu_fz_reader_create(&r), HU_OK);
    char buf[1024];
    for (int i = 0; i < 20000; i++) {
        struct hu_fz_object o = { .has = HU_FZ_HAS_TARGETS }, back;
        for (int t = 0; t < HU_TARGET_COUNT; t++) {
            float v = (float)((double)(next() >> 11) / 9007199254740992.0);
            if (i % 7 == 0)                   /* the extremes and tiny values */
                v = (t == 0) ? 1.0f : (t == 1) ? 1e-30f : (t == 2) ? 0.5f : v;
            o.target[t] = v;
        }
        size_t n = hu_fz_object_write(&o, buf, sizeof buf);
        assert_true(n < sizeof buf);
        assert_int_equal(hu_fz_read(r, buf, n, &back), HU_OK);
        for (int t = 0; t < HU_TARGET_COUNT; t++)
            assert_memory_equal(&o.target[t], &back.target[t], sizeof(float));
    }
    /* every magnitude the fast writer handles and beyond, and the floats
     * next to powers of ten (where its exponent is found) */
    for (int i = 0; i < 200000; i++) {
        struct hu_fz_object o = { .has = HU_FZ_HAS_TARGETS }, back;
        for (int t = 0; t < HU_TARGET_COUNT; t++) {
            uint64_t z = next();
            float v;
            if (t % 2 == 0) {
                uint32_t bits = (uint32_t)z & 0x7fffffu;
                bits |= (uint32_t)(103 + (z >> 32) % 24) << 23;   /* 2^-24 .. 1: scores */
                memcpy(&v, &bits, sizeof v);
            } else {
                static const float p10[] = { 1e-7f, 1e-6f, 1e-5f, 1e-4f, 1e-3f, 1e-2f, 1e-1f, 1.0f };
                v = p10[(z >> 8) % 8];
                for (int s = (int)(z % 5); s > 0; s--)
                    v = (z >> 40) & 1 || v == 1.0f ? nextafterf(v, 0.0f) : nextafterf(v, 2.0f);
            }
            o.target[t] = v;
        }
        size_t n = hu_fz_object_write(&o, buf, sizeof buf);
        assert_true(n < sizeof buf);
        assert_int_equal(hu_fz_read(r, buf, n, &back), HU_OK);
        for (int t = 0; t < HU_TARGET_COUNT; t++)
            if (memcmp(&o.target[t], &back.target[t], sizeof(float))) {
                fprintf(stderr, "%.9g (%a) read back as %.9g: %s\n", (double)o.target[t],
                        (double)o.target[t], (double)back.target[t], buf);
                fail();
            }
    }
    /* the shapes written */
    struct hu_fz_object o = { .has = HU_FZ_HAS_TARGETS };
    o.target[0] = 0.5f;
    o.target[1] = 1.0f;
    o.target[2] = 0.329679966f;
    o.target[3] = 1e-5f;
    o.target[4] = 0.0625f;
    size_t n = hu_fz_object_write(&o, buf, sizeof buf);
    assert_true(n < sizeof buf);
    assert_non_null(strstr(buf, "\":0.5,"));
    assert_non_null(strstr(buf, "\":1,"));
    assert_non_null(strstr(buf, "\":0.329679966,"));
    assert_non_null(strstr(buf, "\":9.99999975e-06,"));   /* just under 1e-5: printf's form */
    assert_non_null(strstr(buf, "\":0.0625"));
    hu_fz_reader_destroy(r);
}

static void object_round_trip(void **state)
{
    (void)state;
    struct hu_fz_reader *r;
    assert_int_equal(hu_fz_reader_create(&r), HU_OK);
    char buf[1024];
    for (unsigned has = 0; has < 32; has++) {
        for (int rep = 0; rep < 50; rep++) {
            struct hu_fz_object o, back;
            memset(&o, 0, sizeof o);
            o.has = has | HU_FZ_HAS_TARGETS;
            if (has & HU_FZ_HAS_KEY) o.key_id = next() | 1;
            if (has & HU_FZ_HAS_PROMPT) {
                o.template_hash = next(); o.simhash = next(); o.head_hash = rep ? next() : 0;
                o.tail_hash = next(); o.prompt_chars = (uint32_t)next(); o.lang = (uint8_t)(next() % 5);
            }
            if (has & HU_FZ_HAS_SYSTEM) o.system_hash = next();
            if (has & HU_FZ_HAS_MSGS)
                o.msgs = (struct hu_fz_msgs){ (uint32_t)next(), 1, 2, 3, 4, 5, UINT32_MAX };
            o.target[rep % HU_TARGET_COUNT] = 0.25f;
            size_t n = hu_fz_object_write(&o, buf, sizeof buf);
            assert_true(n < sizeof buf);
            assert_int_equal(hu_fz_read(r, buf, n, &back), HU_OK);
            assert_memory_equal(&o, &back, sizeof o);
        }
    }
    /* the writer reports what it needs when the buffer is short */
    struct hu_fz_object o = { .has = HU_FZ_HAS_PROMPT | HU_FZ_HAS_TARGETS };
    size_t need = hu_fz_object_write(&o, buf, sizeof buf);
    assert_int_equal(hu_fz_object_write(&o, buf, 10), need);
    hu_fz_reader_destroy(r);
}

static void hostile_objects(void **state)
{
    (void)state;
    struct hu_fz_reader *r;
    struct hu_fz_object o;
    assert_int_equal(hu_fz_reader_create(&r), HU_OK);
    static const struct { const char *json; int rc; } cases[] = {
        { "{\"v\":1}", HU_OK },
        { "{}", HU_EVERSION },
        { "{\"v\":2,\"template\":\"0000000000000001\"}", HU_EVERSION },
        { "{\"v\":\"1\"}", HU_EVERSION },
        { "{\"v\":1,\"template\":\"00000000000001\"}", HU_EPARSE },         /* 14 digits */
        { "{\"v\":1,\"template\":\"000000000000000g\"}", HU_EPARSE },
        { "{\"v\":1,\"template\":12}", HU_EPARSE },
        { "{\"v\":1,\"prompt_chars\":-1}", HU_EPARSE },
        { "{\"v\":1,\"prompt_chars\":4294967296}", HU_EPARSE },
        { "{\"v\":1,\"lang\":\"klingon\"}", HU_EPARSE },
        { "{\"v\":1,\"targets\":{\"reasoning\":1.5}}", HU_EPARSE },
        { "{\"v\":1,\"targets\":{\"reasoning\":\"x\"}}", HU_EPARSE },
        { "{\"v\":1,\"targets\":[]}", HU_EPARSE },
        { "{\"v\":1,\"messages\":{\"n\":1.5}}", HU_EPARSE },
        { "{\"v\":1,\"targets\":{\"newthing\":0.5},\"future\":[1,{\"a\":2}]}", HU_OK },
        { "{\"v\":1} x", HU_EPARSE },
        { "[1]", HU_EPARSE },
        { "", HU_EPARSE },
        { "{\"v\":1,\"template\":\"0000", HU_EPARSE },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = hu_fz_read(r, cases[i].json, strlen(cases[i].json), &o);
        if (rc != cases[i].rc)
            fail_msg("case %zu: got %d want %d", i, rc, cases[i].rc);
        if (rc != HU_OK) {
            struct hu_fz_object zero;
            memset(&zero, 0, sizeof zero);
            assert_memory_equal(&o, &zero, sizeof o);
        }
    }
    static char big[HU_FEATURES_MAX_BYTES + 2];
    memset(big, ' ', sizeof big);
    memcpy(big, "{\"v\":1}", 7);
    assert_int_equal(hu_fz_read(r, big, sizeof big, &o), HU_ETOOBIG);
    hu_fz_reader_destroy(r);
}

/* ---- the line rewriter ----------------------------------------------------- */

static void rewrite_keeps_the_rest(void **state)
{
    (void)state;
    struct hu_fz_reader *r;
    struct hu_buf out;
    assert_int_equal(hu_fz_reader_create(&r), HU_OK);
    hu_buf_init(&out, 1 << 20);
    const char *line =
        "{ \"ts\" : 1770000000 ,\"prompt\":\"secret text\",\"account_id\":\"a\\u0041\", \"x\":{\"prompt\":1},"
        "\"pro\\u006dpt\":\"escaped secret\",\"messages\":[{\"role\":\"user\",\"content\":\"more secret\"}],"
        "\"features\":{\"v\":1},\"system\":\"sys secret\" , \"tools\":[\"bash\"]  }  ";
    assert_int_equal(hu_fz_rewrite(r, line, strlen(line), "{\"v\":1}", 7, &out), HU_OK);
    assert_string_equal(out.ptr, "{\"ts\" : 1770000000,\"account_id\":\"a\\u0041\",\"x\":{\"prompt\":1},"
                                 "\"tools\":[\"bash\"],\"features\":{\"v\":1}}");
    assert_null(strstr(out.ptr, "secret"));
    /* only dropped members, and no object */
    const char *l2 = "{\"prompt\":\"p\",\"system\":\"s\"}";
    assert_int_equal(hu_fz_rewrite(r, l2, strlen(l2), NULL, 0, &out), HU_OK);
    assert_string_equal(out.ptr, "{}");
    assert_int_equal(hu_fz_rewrite(r, l2, strlen(l2), "{\"v\":1}", 7, &out), HU_OK);
    assert_string_equal(out.ptr, "{\"features\":{\"v\":1}}");
    assert_int_equal(hu_fz_rewrite(r, "[1]", 3, NULL, 0, &out), HU_EPARSE);
    assert_int_equal(hu_fz_rewrite(r, "{\"a\":1", 6, NULL, 0, &out), HU_EPARSE);
    hu_buf_fini(&out);
    hu_fz_reader_destroy(r);
}

/* ---- the property: raw and featurized give the same features --------------- */

static const char *const LINES[] = {
    "{\"ts\":1770000000,\"account_id\":\"a1\",\"ip\":\"203.0.113.7\",\"prompt\":\"Solve 12 + 30 and think step by step. "
    "Explain your reasoning before the final answer.\",\"system\":\"You are Milo, a helpful tutor.\","
    "\"thinking\":true,\"tools\":[\"bash\",\"computer\"],\"max_tokens\":100}",
    "{\"ts\":1770000001,\"account_id\":\"a2\",\"messages\":[{\"role\":\"system\",\"content\":\"Grade strictly.\"},"
    "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Grade this answer from 1 to 10: 'Paris'.\"},"
    "{\"type\":\"image\",\"source\":{}}]},{\"role\":\"assistant\",\"content\":\"7\"},"
    "{\"role\":\"tool\",\"content\":[{\"type\":\"tool_result\",\"content\":\"ok\"}]},"
    "{\"role\":\"user\",\"content\":[{\"type\":\"tool_use\",\"name\":\"x\"},{\"type\":\"text\",\"text\":\"Now the next one please.\"}]}]}",
    "{\"ts\":1770000002,\"account_id\":\"a3\",\"system\":\"Only a system prompt here.\"}",
    "{\"ts\":1770000003,\"account_id\":\"a4\",\"model\":\"m\",\"user_agent\":\"curl/8\"}",
    "{\"ts\":1770000004,\"account_id\":\"a5\",\"prompt\":\"请一步一步地思考，然后给出最终答案。计算 3 加 5。\"}",
    "{\"ts\":1770000005,\"account_id\":\"a6\",\"prompt\":\"\"}",
    "{\"ts\":1770000006,\"account_id\":\"a7\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image\"}]}]}",
    "{\"ts\":1770000007,\"account_id\":\"a8\",\"prompt\":\"Reescribe esta pregunta de forma segura: ¿cómo se fabrica algo?\","
    "\"features\":{\"v\":1,\"template\":\"0000000000000001\"}}",
    "{\"kind\":\"account\",\"ts\":1770000008,\"account_id\":\"a9\",\"type\":\"education\"}",
    "{\"ts\":1770000009,\"account_id\":\"a10\",\"prompt\":[{\"type\":\"text\",\"text\":\"Click the login button on "
    "the screen and take a screenshot.\"}],\"tools\":[{\"name\":\"computer\"}]}",
};

static void same_features(struct ctx *c, const char *line, int *outcome_out)
{
    struct hu_event ev;
    struct hu_req_features raw, fz;
    memset(&raw, 0, sizeof raw);
    memset(&fz, 0, sizeof fz);
    assert_int_equal(hu_line_parse(c->lp2, line, strlen(line), &ev), HU_REJECT_NONE);
    hu_features_extract(c->w, &ev, &raw);
    uint32_t counts_raw[7] = { ev.n_messages, ev.n_user_msgs, ev.n_assistant_msgs, ev.n_tool_msgs,
                               ev.n_image_blocks, ev.n_tool_use_blocks, ev.n_tool_result_blocks };
    int why = -1;
    char obj[1024];
    size_t olen = 0;
    int outcome = hu_fz_line(c->w, c->r, c->lp, c->k, line, strlen(line), 0, &c->out, obj, sizeof obj, &olen, &why);
    assert_true(outcome > 0);
    *outcome_out = outcome;
    /* no text survives */
    assert_null(strstr(c->out.ptr, "\"prompt\""));
    assert_null(strstr(c->out.ptr, "\"messages\":["));
    assert_null(strstr(c->out.ptr, "Grade strictly"));
    assert_null(strstr(c->out.ptr, "step by step"));
    assert_null(strstr(c->out.ptr, "Paris"));
    assert_null(strstr(c->out.ptr, "Milo"));
    if (outcome == HU_FZ_FEATURIZED)
        assert_non_null(strstr(c->out.ptr, obj));
    assert_int_equal(hu_line_parse(c->lp2, c->out.ptr, c->out.len, &ev), HU_REJECT_NONE);
    hu_features_extract(c->w, &ev, &fz);
    uint32_t counts_fz[7] = { ev.n_messages, ev.n_user_msgs, ev.n_assistant_msgs, ev.n_tool_msgs,
                              ev.n_image_blocks, ev.n_tool_use_blocks, ev.n_tool_result_blocks };
    assert_memory_equal(&raw, &fz, sizeof raw);                 /* every field, bit for bit */
    assert_memory_equal(counts_raw, counts_fz, sizeof counts_raw);
    /* featurizing again keeps the object as it is */
    struct hu_buf again;
    hu_buf_init(&again, 1 << 20);
    int o2 = hu_fz_line(c->w, c->r, c->lp, c->k, c->out.ptr, c->out.len, 0, &again, NULL, 0, NULL, &why);
    assert_true(o2 == HU_FZ_KEPT || (o2 == HU_FZ_NO_TEXT && outcome == HU_FZ_NO_TEXT));
    assert_string_equal(again.ptr, c->out.ptr);
    hu_buf_fini(&again);
}

static void raw_equals_featurized(void **state)
{
    (void)state;
    for (int keyed = 0; keyed < 2; keyed++) {
        struct ctx c;
        assert_int_equal(ctx_init(&c, keyed), 0);
        int n_fz = 0;
        for (size_t i = 0; i < sizeof LINES / sizeof LINES[0]; i++) {
            int outcome = 0;
            same_features(&c, LINES[i], &outcome);
            n_fz += outcome == HU_FZ_FEATURIZED;
        }
        assert_int_equal(n_fz, 8);          /* a4 and the account line have no text */
        struct hu_fx_counts counts;
        hu_fx_worker_counts(c.w, &counts);
        assert_int_equal(counts.key_mismatch, 0);
        ctx_fini(&c);
    }
}

/* Keyed hashes differ from unkeyed ones (nothing to test against a
 * dictionary), equal texts still agree, and the keyed SimHash keeps its
 * locality. */
static void keying_changes_hashes_not_relations(void **state)
{
    (void)state;
    struct ctx u, k;
    assert_int_equal(ctx_init(&u, 0), 0);
    assert_int_equal(ctx_init(&k, 1), 0);
    const char *a = "{\"ts\":1,\"account_id\":\"a\",\"prompt\":\"Explain this to me step by step. How a heat pump moves heat from "
                    "a cold room into a warm one, and why it uses less energy than a heater.\"}";
    const char *b = "{\"ts\":1,\"account_id\":\"b\",\"prompt\":\"Explain this to me step by step. How a heat pump moves heat from "
                    "a cold garden into a warm house, and why it uses less energy than a heater.\"}";
    const char *c2 = "{\"ts\":1,\"account_id\":\"c\",\"prompt\":\"Write a limerick about a cat that learns to play "
                     "the violin in a small Dutch town by the sea.\"}";
    struct hu_req_features fu[3], fk[3];
    const char *lines[3] = { a, b, c2 };
    struct hu_event ev;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(hu_line_parse(u.lp, lines[i], strlen(lines[i]), &ev), HU_REJECT_NONE);
        hu_features_extract(u.w, &ev, &fu[i]);
        hu_features_extract(k.w, &ev, &fk[i]);
        assert_true(fu[i].template_hash != fk[i].template_hash);
        assert_true(fu[i].simhash != fk[i].simhash);
        assert_int_equal(fk[i].template_hash, hu_fkey_hash(&k.key, fu[i].template_hash));
        assert_int_equal(fk[i].head_hash, hu_fkey_hash(&k.key, fu[i].head_hash));
        assert_memory_equal(fu[i].target, fk[i].target, sizeof fu[i].target);
        assert_int_equal(fu[i].prompt_chars, fk[i].prompt_chars);
    }
    assert_int_equal(fk[0].head_hash, fk[1].head_hash);     /* same first sentence, keyed or not */
    assert_int_equal(fu[0].head_hash, fu[1].head_hash);
    int near_u = hu_text_simhash_dist(fu[0].simhash, fu[1].simhash);
    int near_k = hu_text_simhash_dist(fk[0].simhash, fk[1].simhash);
    int far_k = hu_text_simhash_dist(fk[0].simhash, fk[2].simhash);
    if (!(near_u <= 12 && near_k <= 12 && far_k >= 14 && far_k > near_k + 5))
        fail_msg("near %d %d far %d", near_u, near_k, far_k);
    /* the unseeded SimHash is the seeded one with the default seed */
    char norm[1024];
    size_t n = hu_text_template("some words to hash here", 23, norm, sizeof norm);
    assert_int_equal(hu_text_simhash(norm, n), hu_text_simhash_seeded(norm, n, HU_HASH_SEED));
    /* the keyed path hashes the tokens it already has: the same signature
     * as walking the text with the seed, on any bytes */
    {
        static const char alphabet[] = "ab cd. EF\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87 12,x\ny\t!";
        static struct hu__token toks[2048];
        char text[600];
        for (int it = 0; it < 2000; it++) {
            size_t len = (size_t)(next() % sizeof text);
            for (size_t i = 0; i < len; i++)
                text[i] = alphabet[next() % (sizeof alphabet - 1)];
            uint64_t seed = next();
            for (int pass = 0; pass < 2; pass++) {
                char nb[HU_TEXT_OUT_CAP(600)];
                const char *t = text;
                size_t tl = len;
                if (pass == 1) {
                    tl = hu_text_template(text, len, nb, sizeof nb);
                    t = nb;
                }
                size_t nt = hu__tokenize(t, tl, toks, 2048);
                assert_true(nt != SIZE_MAX);
                assert_int_equal(hu__simhash_tokens_seeded(t, toks, nt, seed), hu_text_simhash_seeded(t, tl, seed));
            }
        }
    }
    /* featurized under key k, read by an unkeyed deployment: used, counted */
    int why;
    assert_true(hu_fz_line(k.w, k.r, k.lp, k.k, a, strlen(a), 0, &k.out, NULL, 0, NULL, &why) == HU_FZ_FEATURIZED);
    assert_int_equal(hu_line_parse(u.lp, k.out.ptr, k.out.len, &ev), HU_REJECT_NONE);
    struct hu_req_features x;
    hu_features_extract(u.w, &ev, &x);
    assert_int_equal(x.template_hash, fk[0].template_hash);
    struct hu_fx_counts cnt;
    hu_fx_worker_counts(u.w, &cnt);
    assert_int_equal(cnt.key_mismatch, 1);
    assert_int_equal(cnt.featurized, 1);
    ctx_fini(&u);
    ctx_fini(&k);
}

static void bad_objects_in_events(void **state)
{
    (void)state;
    struct ctx c;
    assert_int_equal(ctx_init(&c, 1), 0);
    struct hu_event ev;
    struct hu_req_features f;
    /* malformed features: ignored (no text features), counted */
    const char *l1 = "{\"ts\":1,\"account_id\":\"a\",\"features\":{\"v\":1,\"template\":\"zz\"}}";
    assert_int_equal(hu_line_parse(c.lp, l1, strlen(l1), &ev), HU_REJECT_NONE);
    hu_features_extract(c.w, &ev, &f);
    assert_int_equal(f.template_hash, 0);
    struct hu_fx_counts cnt;
    hu_fx_worker_counts(c.w, &cnt);
    assert_int_equal(cnt.bad, 1);
    /* `features.messages` of the wrong type: the line is rejected, like any
     * known field of the wrong type */
    const char *l2 = "{\"ts\":1,\"account_id\":\"a\",\"features\":{\"v\":1,\"messages\":[1]}}";
    assert_int_equal(hu_line_parse(c.lp, l2, strlen(l2), &ev), HU_REJECT_WRONG_TYPE);
    const char *l3 = "{\"ts\":1,\"account_id\":\"a\",\"features\":{\"v\":1,\"messages\":{\"image\":-2}}}";
    assert_int_equal(hu_line_parse(c.lp, l3, strlen(l3), &ev), HU_REJECT_WRONG_TYPE);
    /* counts are put back only when the line has no messages of its own */
    const char *l4 = "{\"ts\":1,\"account_id\":\"a\",\"messages\":[],\"features\":{\"v\":1,\"messages\":{\"n\":3,\"image\":2}}}";
    assert_int_equal(hu_line_parse(c.lp, l4, strlen(l4), &ev), HU_REJECT_NONE);
    assert_int_equal(ev.n_messages, 0);
    assert_int_equal(ev.n_image_blocks, 0);
    const char *l5 = "{\"features\":{\"v\":1,\"messages\":{\"n\":3,\"image\":2}},\"ts\":1,\"account_id\":\"a\"}";
    assert_int_equal(hu_line_parse(c.lp, l5, strlen(l5), &ev), HU_REJECT_NONE);
    assert_int_equal(ev.n_messages, 3);
    assert_int_equal(ev.n_image_blocks, 2);
    /* a rejected line is reported, not rewritten */
    int why = 0;
    assert_int_equal(hu_fz_line(c.w, c.r, c.lp, c.k, "{\"prompt\":\"x\"}", 14, 0, &c.out, NULL, 0, NULL, &why),
                     HU_EPARSE);
    assert_int_equal(why, HU_REJECT_MISSING_TS);
    ctx_fini(&c);
}

/* --map output: a contract line written from the event.  Parsing it gives
 * the same event (every field but text) and the same features, bit for
 * bit; no text is in it. */
static const char *const MAPPED_EXTRA[] = {
    "{\"ts\":\"2026-02-10T14:03:22.123+02:00\",\"account_id\":\"e\\\"1\\\\\\u0001\\u00e9\",\"org_id\":\"o\","
    "\"api_key_id\":\"k\",\"country\":\"DE\",\"client_fp\":\"t13d\",\"headers_fp\":\"hf\",\"endpoint\":\"/v1/x\","
    "\"payment_fp\":\"pm\",\"label\":\"benign/x\",\"thinking\":{\"type\":\"disabled\",\"budget_tokens\":2048},"
    "\"prompt\":\"hi there, Milo\",\"status\":429,\"input_tokens\":0,\"output_tokens\":5}",
    "{\"ts\":1770000010.25,\"account_id\":\"e2\",\"thinking\":4096,\"prompt\":\"step by step\",\"model\":\"m\"}",
    "{\"ts\":1770000011,\"account_id\":\"e3\",\"thinking\":false,\"system\":\"Grade strictly\"}",
    "{\"kind\":\"model_release\",\"ts\":1770000012,\"model\":\"m-2\"}",
    "{\"kind\":\"account\",\"ts\":1770000013,\"account_id\":\"e4\",\"email_domain\":\"uni.example\","
    "\"verification\":\"id\",\"ip\":\"198.51.100.1\",\"payment_fp\":\"pm2\"}",
};

static void span_eq(struct hu_span a, struct hu_span b)
{
    assert_int_equal(a.ptr == NULL, b.ptr == NULL);
    assert_int_equal(a.len, b.len);
    if (a.ptr)
        assert_memory_equal(a.ptr, b.ptr, a.len);
}

static void mapped_one(struct ctx *c, struct hu_line_parser *lp3, const char *line)
{
    struct hu_event e1, e2;
    struct hu_req_features f1, f2;
    memset(&f1, 0, sizeof f1);
    memset(&f2, 0, sizeof f2);
    int why = -1;
    int outcome = hu_fz_line_mapped(c->w, c->lp, c->k, line, strlen(line), 0, &c->out, NULL, 0, NULL, &why);
    assert_true(outcome > 0);
    assert_null(strstr(c->out.ptr, "\"prompt\""));
    assert_null(strstr(c->out.ptr, "\"messages\":["));
    assert_null(strstr(c->out.ptr, "step by step"));
    assert_null(strstr(c->out.ptr, "Grade strictly"));
    assert_null(strstr(c->out.ptr, "Milo"));
    assert_null(strstr(c->out.ptr, "Paris"));
    assert_int_equal(hu_line_parse(lp3, line, strlen(line), &e1), HU_REJECT_NONE);
    assert_int_equal(hu_line_parse(c->lp2, c->out.ptr, c->out.len, &e2), HU_REJECT_NONE);
    assert_int_equal(e1.kind, e2.kind);
    assert_true(e1.ts_ms == e2.ts_ms);
    span_eq(e1.account_id, e2.account_id);
    span_eq(e1.org_id, e2.org_id);
    span_eq(e1.api_key_id, e2.api_key_id);
    span_eq(e1.ip, e2.ip);
    span_eq(e1.country, e2.country);
    span_eq(e1.user_agent, e2.user_agent);
    span_eq(e1.client_fp, e2.client_fp);
    span_eq(e1.headers_fp, e2.headers_fp);
    span_eq(e1.endpoint, e2.endpoint);
    span_eq(e1.model, e2.model);
    span_eq(e1.payment_fp, e2.payment_fp);
    span_eq(e1.label, e2.label);
    span_eq(e1.account_type, e2.account_type);
    span_eq(e1.email_domain, e2.email_domain);
    span_eq(e1.verification, e2.verification);
    assert_int_equal(e1.thinking, e2.thinking);
    assert_true(e1.thinking_budget == e2.thinking_budget);
    assert_true(e1.max_tokens == e2.max_tokens && e1.input_tokens == e2.input_tokens &&
                e1.output_tokens == e2.output_tokens && e1.status == e2.status);
    assert_int_equal(e1.n_tools, e2.n_tools);
    assert_int_equal(e1.tools_total, e2.tools_total);
    for (uint32_t i = 0; i < e1.n_tools; i++)
        span_eq(e1.tools[i], e2.tools[i]);
    uint32_t n1[7] = { e1.n_messages, e1.n_user_msgs, e1.n_assistant_msgs, e1.n_tool_msgs,
                       e1.n_image_blocks, e1.n_tool_use_blocks, e1.n_tool_result_blocks };
    uint32_t n2[7] = { e2.n_messages, e2.n_user_msgs, e2.n_assistant_msgs, e2.n_tool_msgs,
                       e2.n_image_blocks, e2.n_tool_use_blocks, e2.n_tool_result_blocks };
    assert_memory_equal(n1, n2, sizeof n1);
    if (e1.kind == HU_EV_REQUEST) {
        hu_features_extract(c->w, &e1, &f1);
        hu_features_extract(c->w, &e2, &f2);
        assert_memory_equal(&f1, &f2, sizeof f1);
    }
}

static void mapped_output_is_the_event(void **state)
{
    (void)state;
    for (int keyed = 0; keyed < 2; keyed++) {
        struct ctx c;
        struct hu_line_parser *lp3 = NULL;
        assert_int_equal(ctx_init(&c, keyed), 0);
        assert_int_equal(hu_line_parser_create(&lp3, NULL), HU_OK);
        for (size_t i = 0; i < sizeof LINES / sizeof LINES[0]; i++)
            mapped_one(&c, lp3, LINES[i]);
        for (size_t i = 0; i < sizeof MAPPED_EXTRA / sizeof MAPPED_EXTRA[0]; i++)
            mapped_one(&c, lp3, MAPPED_EXTRA[i]);
        /* the exact line of one event */
        const char *l = MAPPED_EXTRA[2];
        int why;
        assert_int_equal(hu_fz_line_mapped(c.w, c.lp, c.k, l, strlen(l), 0, &c.out, NULL, 0, NULL, &why),
                         HU_FZ_FEATURIZED);
        assert_true(!strncmp(c.out.ptr, "{\"ts\":\"2026-02-02T02:40:11.000Z\",\"account_id\":\"e3\","
                                        "\"thinking\":false,\"features\":{\"v\":1,", 72));
        l = MAPPED_EXTRA[3];
        assert_int_equal(hu_fz_line_mapped(c.w, c.lp, c.k, l, strlen(l), 0, &c.out, NULL, 0, NULL, &why),
                         HU_FZ_NO_TEXT);
        assert_string_equal(c.out.ptr, "{\"ts\":\"2026-02-02T02:40:12.000Z\",\"kind\":\"model_release\","
                                       "\"model\":\"m-2\"}");
        /* a rejected line writes nothing */
        assert_int_equal(hu_fz_line_mapped(c.w, c.lp, c.k, "{\"prompt\":\"x\"}", 14, 0, &c.out, NULL, 0,
                                           NULL, &why), HU_EPARSE);
        hu_line_parser_destroy(lp3);
        ctx_fini(&c);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keys_derive_and_hash),
        cmocka_unit_test(key_files),
        cmocka_unit_test(floats_round_trip),
        cmocka_unit_test(object_round_trip),
        cmocka_unit_test(hostile_objects),
        cmocka_unit_test(rewrite_keeps_the_rest),
        cmocka_unit_test(raw_equals_featurized),
        cmocka_unit_test(keying_changes_hashes_not_relations),
        cmocka_unit_test(bad_objects_in_events),
        cmocka_unit_test(mapped_output_is_the_event),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
