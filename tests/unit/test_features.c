/* test_features.c -- hu_features_extract() on whole events. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pthread.h>
#include <cmocka.h>

#include "features/features.h"
#include "features/net.h"
#include "features/linear.h"
#include "features/simhash.h"
#include "core/alloc.h"
#include "core/hash.h"

static struct hu_features *fx;
static struct hu_fx_worker *wk;

static int setup(void **state)
{
    (void)state;
    char err[256];
    if (hu_features_create(NULL, &fx, err, sizeof err) != HU_OK)
        return -1;
    return hu_fx_worker_create(fx, &wk) == HU_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    hu_fx_worker_destroy(wk);
    hu_features_destroy(fx);
    return 0;
}

static struct hu_span S(const char *s)
{
    return (struct hu_span){ s, s ? strlen(s) : 0 };
}

static void ev_init(struct hu_event *ev)
{
    memset(ev, 0, sizeof *ev);
    ev->kind = HU_EV_REQUEST;
    ev->thinking = -1;
    ev->thinking_budget = ev->max_tokens = ev->input_tokens = ev->output_tokens = ev->status = HU_EV_ABSENT;
    ev->account_id = S("acct-1");
    ev->ts_ms = 1770000000000;
}

static void full_event(struct hu_event *ev, const char *prompt)
{
    ev_init(ev);
    ev->ip = S("203.0.113.77");
    ev->country = S("de");
    ev->user_agent = S("python-httpx/0.27.0");
    ev->client_fp = S("t13d1516h2_8daaf6152771_b0da82dd1658");
    ev->headers_fp = S("hfp-1");
    ev->payment_fp = S("card-xyz");
    ev->model = S("model-large-2");
    ev->system = S("You are a helpful assistant. Today is 2026-02-10.");
    ev->prompt = S(prompt);
    ev->n_tools = ev->tools_total = 2;
    ev->tools[0] = S("bash");
    ev->tools[1] = S("str_replace_based_edit_tool");
    ev->thinking = 1;
}

static void extract_full_event(void **state)
{
    (void)state;
    struct hu_event ev;
    struct hu_req_features f;
    full_event(&ev, "Imagine and articulate the internal reasoning behind a completed response to "
                    "question 17 from Alice Smith, and write it out step by step.");
    hu_features_extract(wk, &ev, &f);

    assert_true(f.template_hash != 0);
    assert_true(f.system_hash != 0);
    assert_true(f.simhash != 0);
    assert_true(f.tools_hash != 0);
    assert_int_equal(f.prompt_chars, strlen(ev.prompt.ptr));
    assert_int_equal(f.lang, HU_LANG_EN);
    assert_true(f.target[HU_TARGET_COT] > 0.75f);
    assert_true(f.target[HU_TARGET_TOOLS] > 0.4f);      /* tools declared */
    assert_true(f.target[HU_TARGET_CODING] > 0.4f);     /* bash / editor tools */
    assert_true(f.target[HU_TARGET_VISION] == 0.f);
    for (int k = 0; k < HU_TARGET_COUNT; k++)
        assert_true(f.target[k] >= 0.f && f.target[k] <= 1.f);

    struct hu_ip ip;
    assert_int_equal(hu_ip_parse("203.0.113.77", 12, &ip), HU_OK);
    assert_int_equal(f.ip_hash, hu_ip_hash(&ip));
    assert_int_equal(f.prefix_hash, hu_ip_prefix_hash(&ip));
    assert_memory_equal(f.country, "DE", 2);           /* event country wins, upper-cased */
    assert_int_equal(f.ua_hash, hu_hash("python-httpx/0.27.0", 19));
    char fam[128];
    assert_int_equal(f.ua_family_hash, hu_ua_family("python-httpx/0.27.0", 19, fam, sizeof fam));
    assert_int_equal(f.client_fp_hash, hu_hash(ev.client_fp.ptr, ev.client_fp.len));
    assert_int_equal(f.headers_fp_hash, hu_hash("hfp-1", 5));
    assert_int_equal(f.payment_hash, hu_hash("card-xyz", 8));
    assert_int_equal(f.model_hash, hu_hash("model-large-2", 13));

    /* same template, other variable parts: same template and system keys */
    struct hu_req_features g;
    full_event(&ev, "Imagine and articulate the internal reasoning behind a completed response to "
                    "question 4 from Bob, and write it out step by step.");
    ev.system = S("You are a helpful assistant. Today is 2026-03-01.");
    ev.ip = S("203.0.113.5");
    hu_features_extract(wk, &ev, &g);
    assert_int_equal(g.template_hash, f.template_hash);
    assert_int_equal(g.system_hash, f.system_hash);
    assert_int_equal(g.simhash, f.simhash);
    assert_int_equal(g.prefix_hash, f.prefix_hash);     /* same /24 */
    assert_true(g.ip_hash != f.ip_hash);

    assert_int_equal(g.head_hash, f.head_hash);
    assert_int_equal(g.tail_hash, f.tail_hash);
    assert_true(f.head_hash != 0 && f.tail_hash != 0);   /* one sentence: head == tail */
    assert_int_equal(f.head_hash, f.tail_hash);

    /* a paraphrase: other template, close simhash */
    full_event(&ev, "Imagine and articulate the hidden reasoning behind this completed response to "
                    "question 9, then write it out step by step.");
    hu_features_extract(wk, &ev, &g);
    assert_true(g.template_hash != f.template_hash);
    assert_true(hu_text_simhash_dist(g.simhash, f.simhash) <= 16);
}

static void tools_hash_order_independent(void **state)
{
    (void)state;
    struct hu_event ev;
    struct hu_req_features a, b, c, d;
    full_event(&ev, "hi");
    ev.n_tools = 3;
    ev.tools[0] = S("search");
    ev.tools[1] = S("calc");
    ev.tools[2] = S("browse");
    hu_features_extract(wk, &ev, &a);
    ev.tools[0] = S("browse");
    ev.tools[1] = S("search");
    ev.tools[2] = S("calc");
    hu_features_extract(wk, &ev, &b);
    assert_int_equal(a.tools_hash, b.tools_hash);
    /* duplicates do not change the set... */
    ev.n_tools = 4;
    ev.tools[3] = S("calc");
    hu_features_extract(wk, &ev, &c);
    assert_int_equal(a.tools_hash, c.tools_hash);
    /* ...and two copies of one tool do not cancel out (no plain XOR) */
    ev.n_tools = 2;
    ev.tools[0] = S("calc");
    ev.tools[1] = S("calc");
    hu_features_extract(wk, &ev, &d);
    assert_true(d.tools_hash != 0);
    ev.n_tools = 1;
    hu_features_extract(wk, &ev, &c);
    assert_int_equal(c.tools_hash, d.tools_hash);
    assert_true(c.tools_hash != a.tools_hash);
    ev.n_tools = 0;
    hu_features_extract(wk, &ev, &c);
    assert_int_equal(c.tools_hash, 0);
}

static void absent_fields_are_zero(void **state)
{
    (void)state;
    struct hu_event ev;
    struct hu_req_features f;
    ev_init(&ev);
    memset(&f, 0xAB, sizeof f);
    hu_features_extract(wk, &ev, &f);
    struct hu_req_features zero;
    memset(&zero, 0, sizeof zero);
    assert_memory_equal(&f, &zero, sizeof f);

    /* bad ip, bad country: zeros, no crash */
    ev.ip = S("not-an-ip");
    ev.country = S("d1");
    hu_features_extract(wk, &ev, &f);
    assert_int_equal(f.ip_hash, 0);
    assert_int_equal(f.country[0], 0);

    /* NULL arguments */
    hu_features_extract(NULL, &ev, &f);
    assert_int_equal(f.ip_hash, 0);
    hu_features_extract(wk, NULL, &f);
    hu_features_extract(wk, &ev, NULL);
}

static void featurized_input_leaves_text_zero(void **state)
{
    (void)state;
    struct hu_event ev;
    struct hu_req_features f;
    ev_init(&ev);
    ev.features_json = S("{\"template\":\"abc\"}");
    ev.n_image_blocks = 1;
    hu_features_extract(wk, &ev, &f);
    assert_int_equal(f.template_hash, 0);
    assert_int_equal(f.simhash, 0);
    assert_int_equal(f.lang, HU_LANG_NONE);
    assert_true(f.target[HU_TARGET_VISION] > 0.8f);     /* shape hints still count */
}

static void empty_prompt_is_present(void **state)
{
    (void)state;
    struct hu_event ev;
    struct hu_req_features f;
    ev_init(&ev);
    ev.prompt = (struct hu_span){ "", 0 };
    hu_features_extract(wk, &ev, &f);
    assert_true(f.template_hash != 0);
    assert_int_equal(f.prompt_chars, 0);
    assert_int_equal(f.lang, HU_LANG_NONE);
}

static void oversized_and_hostile_prompt(void **state)
{
    (void)state;
    size_t n = HU_MAX_FIELD_BYTES + 4096;
    char *big = malloc(n);
    for (size_t i = 0; i < n; i++)
        big[i] = "1'\"`a \xe4\xb8\x80"[i % 9];
    struct hu_event ev;
    struct hu_req_features f;
    ev_init(&ev);
    ev.prompt = (struct hu_span){ big, n };
    hu_features_extract(wk, &ev, &f);
    assert_true(f.template_hash != 0);
    assert_true(f.prompt_chars > HU_MAX_FIELD_BYTES / 2);
    free(big);
}

static void model_file_is_used_and_validated(void **state)
{
    (void)state;
    struct hu_linear_example ex[] = {
        { "lay out the thinking that must have produced this answer", 0, 1u << HU_TARGET_COT },
        { "narrate the thinking that produced the answer below", 0, 1u << HU_TARGET_COT },
        { "what is a good recipe for lentil soup", 0, 0 },
        { "tell me about the history of the bicycle", 0, 0 },
    };
    for (size_t i = 0; i < 4; i++)
        ex[i].len = strlen(ex[i].text);
    struct hu_linear_fit_params p = { .log2_buckets = 10, .epochs = 50, .lr = 0.5f, .seed = 1 };
    struct hu_linear_model *m = NULL;
    assert_int_equal(hu_linear_fit(ex, 4, &p, &m), HU_OK);
    char path[] = "/tmp/hu_fx_model_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(hu_linear_save(m, path), HU_OK);
    hu_linear_destroy(m);

    struct hu_features_config cfg = { .model_file = path };
    struct hu_features *fx2 = NULL;
    struct hu_fx_worker *w2 = NULL;
    char err[256];
    assert_int_equal(hu_features_create(&cfg, &fx2, err, sizeof err), HU_OK);
    assert_int_equal(hu_fx_worker_create(fx2, &w2), HU_OK);
    struct hu_event ev;
    struct hu_req_features with, without;
    ev_init(&ev);
    ev.prompt = S("narrate the thinking that must have produced this answer");
    hu_features_extract(w2, &ev, &with);
    hu_features_extract(wk, &ev, &without);
    assert_true(with.target[HU_TARGET_COT] > 0.5f);
    assert_true(without.target[HU_TARGET_COT] < 0.5f);  /* no phrase rule covers this wording */
    assert_int_equal(with.template_hash, without.template_hash);
    hu_fx_worker_destroy(w2);
    hu_features_destroy(fx2);

    /* corrupt the file: create fails and says which file */
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    fseek(f, 40, SEEK_SET);
    fputc('Z', f);
    fclose(f);
    fx2 = NULL;
    assert_int_equal(hu_features_create(&cfg, &fx2, err, sizeof err), HU_ECORRUPT);
    assert_null(fx2);
    assert_non_null(strstr(err, path));
    remove(path);
}

static void allocation_failures_are_clean(void **state)
{
    (void)state;
    /* fail the n-th allocation of create + worker create, for every n until
     * both succeed: each run must fail cleanly (ASan checks for leaks) */
    int succeeded = 0;
    for (long n = 0; n < 4000 && !succeeded; n++) {
        struct hu_features *f2 = NULL;
        struct hu_fx_worker *w2 = NULL;
        char err[256];
        hu_alloc_fail_after(n);
        int rc = hu_features_create(NULL, &f2, err, sizeof err);
        if (rc == HU_OK)
            rc = hu_fx_worker_create(f2, &w2);
        hu_alloc_fail_after(-1);
        if (rc == HU_OK) {
            succeeded = 1;
            struct hu_event ev;
            struct hu_req_features r;
            ev_init(&ev);
            ev.prompt = S("grade the following answer on a scale of 1 to 10");
            hu_features_extract(w2, &ev, &r);
            assert_true(r.target[HU_TARGET_GRADING] > 0.5f);
        } else {
            assert_true(rc == HU_ENOMEM || rc == HU_EINTERNAL);
            assert_null(w2);
        }
        hu_fx_worker_destroy(w2);
        hu_features_destroy(f2);
    }
    assert_true(succeeded);
}

static void cidr_class_from_netdb(void **state)
{
    (void)state;
    char path[] = "/tmp/hu_fx_cidr_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *body = "# test list\n198.51.100.0/24,datacenter\n";
    assert_int_equal(write(fd, body, strlen(body)), (long)strlen(body));
    close(fd);
    const char *files[] = { path };
    struct hu_features_config cfg = { .cidr_files = files, .n_cidr_files = 1 };
    struct hu_features *f2 = NULL;
    struct hu_fx_worker *w2 = NULL;
    char err[256];
    int rc = hu_features_create(&cfg, &f2, err, sizeof err);
    remove(path);
    if (rc == HU_EUNSUPP)           /* local stand-in for net.c without loaders */
        skip();
    assert_int_equal(rc, HU_OK);
    assert_int_equal(hu_fx_worker_create(f2, &w2), HU_OK);
    struct hu_event ev;
    struct hu_req_features r;
    ev_init(&ev);
    ev.ip = S("198.51.100.9");
    hu_features_extract(w2, &ev, &r);
    assert_int_equal(r.net_class, HU_NET_DATACENTER);
    ev.ip = S("192.0.2.1");
    hu_features_extract(w2, &ev, &r);
    assert_int_equal(r.net_class, HU_NET_UNKNOWN);
    assert_true(r.ip_hash != 0);
    hu_fx_worker_destroy(w2);
    hu_features_destroy(f2);

    /* a missing file fails create and names it */
    const char *missing[] = { "/nonexistent/cidr.txt" };
    cfg.cidr_files = missing;
    f2 = NULL;
    rc = hu_features_create(&cfg, &f2, err, sizeof err);
    assert_true(rc != HU_OK);
    assert_null(f2);
}

/* Threads share one hu_features and own one worker each: results must
 * equal the single-threaded ones. */
struct thr {
    const struct hu_features *fx;
    const char *const *prompts;
    size_t n;
    struct hu_req_features *out;
    int rc;
};

static void *thr_main(void *arg)
{
    struct thr *t = arg;
    struct hu_fx_worker *w = NULL;
    t->rc = hu_fx_worker_create(t->fx, &w);
    if (t->rc != HU_OK)
        return NULL;
    for (int round = 0; round < 20; round++)
        for (size_t i = 0; i < t->n; i++) {
            struct hu_event ev;
            full_event(&ev, t->prompts[i]);
            hu_features_extract(w, &ev, &t->out[i]);
        }
    hu_fx_worker_destroy(w);
    return NULL;
}

static void threads_share_one_context(void **state)
{
    (void)state;
    static const char *const prompts[] = {
        "Grade the following answer on a scale of 1-10 according to the rubric.",
        "请写出你的完整思考过程，并说明你是如何得出这个答案的。",
        "Explica paso a paso cómo llegaste a la respuesta.",
        "Write a Python function that parses CSV, then click the Submit button.",
        "What is the capital of Australia?",
    };
    size_t n = sizeof prompts / sizeof prompts[0];
    struct hu_req_features ref[5], got[3][5];
    for (size_t i = 0; i < n; i++) {
        struct hu_event ev;
        full_event(&ev, prompts[i]);
        hu_features_extract(wk, &ev, &ref[i]);
    }
    pthread_t th[3];
    struct thr t[3];
    for (int k = 0; k < 3; k++) {
        t[k] = (struct thr){ fx, prompts, n, got[k], -1 };
        assert_int_equal(pthread_create(&th[k], NULL, thr_main, &t[k]), 0);
    }
    for (int k = 0; k < 3; k++) {
        pthread_join(th[k], NULL);
        assert_int_equal(t[k].rc, HU_OK);
        assert_memory_equal(got[k], ref, sizeof ref);
    }
}

static void target_codes(void **state)
{
    (void)state;
    assert_string_equal(hu_target_code(HU_TARGET_COT), "reasoning");
    assert_string_equal(hu_target_code(HU_TARGET_GRADING), "grading");
    assert_string_equal(hu_target_code(HU_TARGET_REWRITE), "safe_rewrite");
    assert_string_equal(hu_target_code(HU_TARGET_CODING), "coding");
    assert_string_equal(hu_target_code(HU_TARGET_TOOLS), "tool_use");
    assert_string_equal(hu_target_code(HU_TARGET_COMPUTER), "computer_use");
    assert_string_equal(hu_target_code(HU_TARGET_VISION), "vision");
    assert_string_equal(hu_target_code(HU_TARGET_COUNT), "unknown");
    assert_non_null(strstr(hu_target_desc(HU_TARGET_GRADING), "rubric"));
    assert_int_equal(hu_features_create(NULL, NULL, NULL, 0), HU_EINVAL);
    struct hu_fx_worker *w2 = NULL;
    assert_int_equal(hu_fx_worker_create(NULL, &w2), HU_EINVAL);
    assert_null(w2);
    hu_features_destroy(NULL);
    hu_fx_worker_destroy(NULL);
}

/* hu_fx_worker_simhash(w, 0) leaves only the SimHash out: every other
 * field is what the default gives; turned on again, a prompt that was
 * cached while it was off gets its SimHash (not the cached 0). */
static void simhash_can_be_turned_off(void **state)
{
    (void)state;
    struct hu_event ev;
    struct hu_req_features on, off, again;
    full_event(&ev, "Write out your complete chain of thought for problem 12, then grade it against the rubric.");
    hu_features_extract(wk, &ev, &on);
    assert_true(on.simhash != 0);
    assert_int_equal(hu_fx_worker_simhash(wk, 0), 1);
    full_event(&ev, "A prompt never seen before by this worker: grade each answer on a scale of 1 to 10.");
    hu_features_extract(wk, &ev, &off);       /* computed (and cached) without SimHash */
    assert_int_equal(off.simhash, 0);
    assert_int_equal(hu_fx_worker_simhash(wk, 1), 0);
    hu_features_extract(wk, &ev, &again);     /* the cached entry must not answer */
    assert_true(again.simhash != 0);
    off.simhash = again.simhash;
    assert_memory_equal(&off, &again, sizeof off);
    assert_int_equal(hu_fx_worker_simhash(wk, 1), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(extract_full_event),
        cmocka_unit_test(tools_hash_order_independent),
        cmocka_unit_test(absent_fields_are_zero),
        cmocka_unit_test(featurized_input_leaves_text_zero),
        cmocka_unit_test(empty_prompt_is_present),
        cmocka_unit_test(oversized_and_hostile_prompt),
        cmocka_unit_test(model_file_is_used_and_validated),
        cmocka_unit_test(allocation_failures_are_clean),
        cmocka_unit_test(cidr_class_from_netdb),
        cmocka_unit_test(threads_share_one_context),
        cmocka_unit_test(target_codes),
        cmocka_unit_test(simhash_can_be_turned_off),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
