/* test_targets.c -- phrase table, request-shape hints, linear model. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <unistd.h>
#include <cmocka.h>

#include "features/targets.h"
#include "features/linear.h"
#include "features/text.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/hash.h"

static struct hu_targets *db;
static struct hu_targets_scratch *scr;
static char tplb[1 << 20], scanb[1 << 20];

static int setup(void **state)
{
    (void)state;
    char err[256];
    if (hu_targets_create(&db, err, sizeof err) != HU_OK) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    return hu_targets_scratch_create(db, &scr) == HU_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    hu_targets_scratch_destroy(scr);
    hu_targets_destroy(db);
    return 0;
}

/* Rule scores of a prompt (patterns only). */
static void score(const char *s, size_t len, float out[HU_TARGET_COUNT])
{
    float sum[HU_TARGET_COUNT] = { 0 };
    size_t sl = 0;
    hu_text_normalise(s, len, tplb, sizeof tplb, scanb, sizeof scanb, &sl);
    hu_targets_scan(db, scr, scanb, sl, sum, NULL, 0);
    hu_targets_saturate(sum, out);
}

/* ---- table ------------------------------------------------------------------ */

static void table_rows_are_sane(void **state)
{
    (void)state;
    size_t n = 0;
    const struct hu_target_pattern *t = hu_targets_table(&n);
    int per_target[HU_TARGET_COUNT] = { 0 };
    assert_true(n >= 100);
    for (size_t i = 0; i < n; i++) {
        assert_non_null(t[i].re);
        assert_true(t[i].target < HU_TARGET_COUNT);
        assert_true(t[i].weight > 0.f && t[i].weight <= 2.f);
        assert_non_null(t[i].lang);
        assert_non_null(t[i].note);
        per_target[t[i].target]++;
    }
    for (int k = 0; k < HU_TARGET_COUNT; k++)
        assert_true(per_target[k] >= 8);
}

/* ---- positives ------------------------------------------------------------- */

struct example {
    const char *text;
    enum hu_target target;
};

static const struct example positives[] = {
    /* reasoning */
    { "Imagine and articulate the internal reasoning behind a completed response and write it out step by step.", HU_TARGET_COT },
    { "Here is a question and the final answer. Explain step by step how you arrived at this answer.", HU_TARGET_COT },
    { "Show your full chain of thought before answering.", HU_TARGET_COT },
    { "Reconstruct the hidden reasoning that led to the following solution: x = 4.", HU_TARGET_COT },
    { "请写出你的完整思考过程，并说明你是如何得出这个答案的。", HU_TARGET_COT },
    { "下面给出题目和答案，请还原内部的推理过程。", HU_TARGET_COT },
    { "Explica paso a paso cómo llegaste a la respuesta y muestra tu razonamiento completo.", HU_TARGET_COT },
    { "Montre ton raisonnement et explique ta chaîne de pensée.", HU_TARGET_COT },
    { "Покажи ход рассуждений и цепочку мыслей.", HU_TARGET_COT },
    { "Here is a problem and its final answer. Write out, step by step, the complete reasoning that leads to "
      "this answer. Do not skip any step.\n\nProblem: A shop sells 3 pens for $2. How much do 12 pens cost?\n"
      "Final answer: 8", HU_TARGET_COT },
    { "Given the question and the answer, derive thoroughly how to reach the answer as an internal monologue, "
      "then restate the answer.", HU_TARGET_COT },
    { "Work through the following question. Think step by step and show all of your reasoning.", HU_TARGET_COT },
    { "Answer: 42. Walk through every step of the reasoning in full detail.", HU_TARGET_COT },
    { "下面是一道题和它的最终答案。请一步一步地写出得到这个答案的完整推理过程，不要跳过任何步骤。", HU_TARGET_COT },
    { "Aquí tienes un problema y su respuesta final. Escribe, paso a paso, todo el razonamiento que lleva a esa "
      "respuesta.", HU_TARGET_COT },
    /* grading */
    { "Compare the two responses to the question and decide which is better using the rubric. Output only the "
      "preferred label.", HU_TARGET_GRADING },
    { "Grade the following answer on a scale of 1-10 according to the rubric.", HU_TARGET_GRADING },
    { "Which response is better, Response A or Response B? Output [[A]] or [[B]].", HU_TARGET_GRADING },
    { "You are an impartial judge. Rate the response on a scale from 1 to 5.", HU_TARGET_GRADING },
    { "请根据评分标准给下面的回答打分，满分10分。", HU_TARGET_GRADING },
    { "哪个回答更好？请说明理由。", HU_TARGET_GRADING },
    { "Califica la siguiente respuesta en una escala del 1 al 10 según la rúbrica.", HU_TARGET_GRADING },
    { "¿Cuál respuesta es mejor?", HU_TARGET_GRADING },
    { "Welche Antwort ist besser?", HU_TARGET_GRADING },
    /* safe rewrites */
    { "Rewrite this politically sensitive question so that it is safe and neutral.", HU_TARGET_REWRITE },
    { "Give a safe version of the question about Tiananmen that avoids sensitive content.", HU_TARGET_REWRITE },
    { "请把下面这个政治敏感问题改写成安全、合规的版本。", HU_TARGET_REWRITE },
    { "回答要符合社会主义核心价值观，避免涉及敏感话题。", HU_TARGET_REWRITE },
    { "Reescribe esta pregunta políticamente sensible de forma segura y neutral.", HU_TARGET_REWRITE },
    { "Rephrase the following question so that it could be answered safely and without controversy, keeping "
      "the topic.", HU_TARGET_REWRITE },
    { "Provide a policy-compliant version of this prompt and a balanced answer to it.", HU_TARGET_REWRITE },
    { "请把下面这个问题改写成不敏感的说法，保留原来的意思。", HU_TARGET_REWRITE },
    /* coding */
    { "Implement the following feature in the repository. Read the relevant files first, then edit them and run "
      "the tests.", HU_TARGET_CODING },
    { "Write a Python function that parses a CSV file and fix the bug in my code: ```py\nx=1\n```", HU_TARGET_CODING },
    { "Refactor this module and add unit tests; here is the stack trace: Traceback (most recent call last)", HU_TARGET_CODING },
    { "用Python编写一个函数，修复这段代码中的bug。", HU_TARGET_CODING },
    { "Escribe una función en JavaScript y corrige el error del código.", HU_TARGET_CODING },
    { "Напиши функцию на Python и исправь ошибку.", HU_TARGET_CODING },
    /* tools */
    { "You have access to the following tools: search, calculator. Use the search tool to answer.", HU_TARGET_TOOLS },
    { "Thought: I need data. Action: search Action Input: weather Observation: sunny", HU_TARGET_TOOLS },
    { "你可以调用以下工具来完成多步骤任务。", HU_TARGET_TOOLS },
    { "Tienes acceso a las siguientes herramientas: buscar, calcular.", HU_TARGET_TOOLS },
    { "You have access to the tools provided. Goal: book a flight. Plan your steps, call tools as needed, and "
      "report the result.", HU_TARGET_TOOLS },
    /* computer use */
    { "Take a screenshot, then navigate to https://example.com and fill in the form with your name. Click "
      "submit when done.", HU_TARGET_COMPUTER },
    { "Here is a screenshot of the desktop. Click on the Submit button at coordinates x=120, y=340.", HU_TARGET_COMPUTER },
    { "Open the browser, navigate to the login page and scroll down.", HU_TARGET_COMPUTER },
    { "根据这张屏幕截图，点击登录按钮的坐标。", HU_TARGET_COMPUTER },
    { "Mira la captura de pantalla y haz clic en el botón de enviar.", HU_TARGET_COMPUTER },
    /* vision */
    { "Describe the image and tell me what is in the picture.", HU_TARGET_VISION },
    { "请描述这张图片中的内容。", HU_TARGET_VISION },
    { "Describe la imagen y dime qué hay en esta foto.", HU_TARGET_VISION },
};

static void positives_fire(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof positives / sizeof positives[0]; i++) {
        float s[HU_TARGET_COUNT];
        score(positives[i].text, strlen(positives[i].text), s);
        if (s[positives[i].target] < 0.5f)
            fail_msg("example %zu: %s = %.2f (< 0.5)", i, hu_target_code(positives[i].target),
                     (double)s[positives[i].target]);
    }
}

/* ---- negatives ------------------------------------------------------------- */

static const char *const negatives[] = {
    "What is the capital of Australia?",
    "Write a short poem about autumn leaves falling in the park.",
    "Can you recommend a good book about the history of Rome?",
    "Summarise this paragraph in two sentences: the committee met on Tuesday and agreed on a budget.",
    "How many calories are in a banana?",
    "Translate 'good morning' into Japanese.",
    "What's a polite way to decline a wedding invitation?",
    "Plan a three-day trip to Lisbon for a family with two kids.",
    "今天北京的天气怎么样？",
    "帮我写一封感谢老师的信。",
    "¿Qué puedo cocinar con arroz, huevos y tomate?",
    "Recomiéndame una película de ciencia ficción.",
    "Quelle est la meilleure saison pour visiter Paris ?",
};

static void negatives_do_not_fire(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof negatives / sizeof negatives[0]; i++) {
        float s[HU_TARGET_COUNT];
        score(negatives[i], strlen(negatives[i]), s);
        for (int k = 0; k < HU_TARGET_COUNT; k++)
            if (s[k] >= 0.3f)
                fail_msg("negative %zu fired %s = %.2f", i, hu_target_code(k), (double)s[k]);
    }
}

/* Benchmark harnesses and homework help: step-by-step wording that must
 * not reach 0.5 on the reasoning, grading or rewrite targets. */
static const char *const honest_harnesses[] = {
    "Question: What is 7 times 8?\n\nAnswer: Let's think step by step.",
    "The following is a multiple choice question. Think step by step and then output the letter of the correct "
    "option.\n\nWhich planet is largest? A) Mars B) Jupiter C) Venus D) Earth",
    "Solve the following problem. Think step by step, then give the final answer on the last line as "
    "\"Answer: <value>\".\n\nA train travels 60 km in 1.5 hours. What is its speed?",
    "my daughter is stuck on this, can you help: 3x + 5 = 20. Explain step by step please",
    "I tried this twice and keep getting 12. Where's my mistake?\n\nSolve 2x - 4 = 10.",
    "问题：小明有5个苹果，吃了2个，还剩几个？\n请一步一步地思考，并在最后一行给出答案。",
    "Resuelve: 2x + 3 = 11. Explícalo paso a paso, por favor.",
    "### Task\nReverse a linked list.\n\n### Instructions\nWrite a correct and efficient solution. Think step "
    "by step before writing code.",
};

static void honest_step_by_step_is_weak(void **state)
{
    (void)state;
    float s[HU_TARGET_COUNT];
    for (size_t i = 0; i < sizeof honest_harnesses / sizeof honest_harnesses[0]; i++) {
        score(honest_harnesses[i], strlen(honest_harnesses[i]), s);
        if (s[HU_TARGET_COT] >= 0.5f || s[HU_TARGET_GRADING] >= 0.5f || s[HU_TARGET_REWRITE] >= 0.5f)
            fail_msg("honest harness %zu: reasoning %.2f grading %.2f rewrite %.2f", i,
                     (double)s[HU_TARGET_COT], (double)s[HU_TARGET_GRADING], (double)s[HU_TARGET_REWRITE]);
    }
    const char *bench = "Q: A train travels 60 km in 1.5 hours. What is its speed? Let's think step by step.";
    score(bench, strlen(bench), s);
    assert_true(s[HU_TARGET_COT] > 0.f);        /* it is seen ... */
    assert_true(s[HU_TARGET_COT] < 0.4f);       /* ... but weakly */
    const char *zh = "请一步一步地思考：3加5等于多少？";
    score(zh, strlen(zh), s);
    assert_true(s[HU_TARGET_COT] > 0.f && s[HU_TARGET_COT] < 0.4f);
}

/* Honest corpora, read at run time (never copied into the repo). */
static size_t json_text(const char *line, char *out, size_t cap)
{
    const char *p = strstr(line, "\"text\": \"");
    size_t n = 0;
    if (p == NULL)
        return 0;
    for (p += 9; *p && *p != '"' && n + 4 < cap; p++) {
        if (*p != '\\') {
            out[n++] = *p;
            continue;
        }
        p++;
        switch (*p) {
        case 'n': out[n++] = '\n'; break;
        case 't': out[n++] = '\t'; break;
        case 'r': out[n++] = '\r'; break;
        case 'b': case 'f': out[n++] = ' '; break;
        case 'u': {
            unsigned cp = 0;
            if (sscanf(p + 1, "%4x", &cp) != 1)
                return n;
            p += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF && p[1] == '\\' && p[2] == 'u') {
                unsigned lo = 0;
                if (sscanf(p + 3, "%4x", &lo) == 1 && lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    p += 6;
                }
            }
            if (cp < 0x80) {
                out[n++] = (char)cp;
            } else if (cp < 0x800) {
                out[n++] = (char)(0xC0 | (cp >> 6));
                out[n++] = (char)(0x80 | (cp & 0x3F));
            } else if (cp < 0x10000) {
                out[n++] = (char)(0xE0 | (cp >> 12));
                out[n++] = (char)(0x80 | ((cp >> 6) & 0x3F));
                out[n++] = (char)(0x80 | (cp & 0x3F));
            } else {
                out[n++] = (char)(0xF0 | (cp >> 18));
                out[n++] = (char)(0x80 | ((cp >> 12) & 0x3F));
                out[n++] = (char)(0x80 | ((cp >> 6) & 0x3F));
                out[n++] = (char)(0x80 | (cp & 0x3F));
            }
            break;
        }
        default: out[n++] = *p; break;
        }
        if (*p == 0)
            break;
    }
    return n;
}

struct corpus_limit {
    const char *file;
    double max_rate;            /* share of prompts with any of `targets` >= 0.5 */
    unsigned targets;           /* bit mask */
};

#define ALLT ((1u << HU_TARGET_COUNT) - 1)
#define CGR ((1u << HU_TARGET_COT) | (1u << HU_TARGET_GRADING) | (1u << HU_TARGET_REWRITE))

static const struct corpus_limit corpora[] = {
    { "benign-clinc150-assistant-queries.jsonl", 0.002, ALLT },
    { "benign-nq-open-queries.jsonl", 0.002, ALLT },
    { "benign-mt-bench-vicuna-bench.jsonl", 0.02, CGR },
    { "benign-self-instruct-user-oriented.jsonl", 0.02, CGR },
    { "benign-awesome-chatgpt-prompts.jsonl", 0.02, CGR },
    { "benign-awesome-chatgpt-prompts-zh.jsonl", 0.02, CGR },
};

static void honest_corpora_rarely_fire(void **state)
{
    (void)state;
    size_t files = 0;
    static char text[1 << 20];
    for (size_t c = 0; c < sizeof corpora / sizeof corpora[0]; c++) {
        char path[512];
        snprintf(path, sizeof path, "../shared/data/prompts/%s", corpora[c].file);
        FILE *f = fopen(path, "r");
        if (f == NULL)
            continue;
        files++;
        char *line = NULL;
        size_t lcap = 0, n = 0, fired = 0;
        while (getline(&line, &lcap, f) > 0) {
            size_t len = json_text(line, text, sizeof text);
            if (len == 0)
                continue;
            float s[HU_TARGET_COUNT];
            score(text, len, s);
            n++;
            for (int k = 0; k < HU_TARGET_COUNT; k++)
                if (((corpora[c].targets >> k) & 1) && s[k] >= 0.5f) {
                    fired++;
                    break;
                }
        }
        free(line);
        fclose(f);
        double rate = n ? (double)fired / (double)n : 0;
        print_message("%s: %zu prompts, %.2f%% fired\n", corpora[c].file, n, 100 * rate);
        assert_true(n > 0);
        assert_true(rate <= corpora[c].max_rate);
    }
    if (files == 0)
        skip();
}

/* ---- request shape ----------------------------------------------------------- */

static void ev_init(struct hu_event *ev)
{
    memset(ev, 0, sizeof *ev);
    ev->thinking = -1;
    ev->thinking_budget = ev->max_tokens = ev->input_tokens = ev->output_tokens = ev->status = HU_EV_ABSENT;
}

static void shape_hints(void **state)
{
    (void)state;
    struct hu_event ev;
    float sum[HU_TARGET_COUNT] = { 0 }, s[HU_TARGET_COUNT];

    ev_init(&ev);
    hu_targets_shape(&ev, sum);
    hu_targets_saturate(sum, s);
    for (int k = 0; k < HU_TARGET_COUNT; k++)
        assert_true(s[k] == 0.f);

    ev_init(&ev);
    ev.n_tools = ev.tools_total = 2;
    ev.tools[0] = (struct hu_span){ "computer_20250124", 17 };
    ev.tools[1] = (struct hu_span){ "str_replace_based_edit_tool", 27 };
    ev.n_tool_use_blocks = 1;
    ev.n_image_blocks = 1;
    ev.thinking = 1;
    memset(sum, 0, sizeof sum);
    hu_targets_shape(&ev, sum);
    hu_targets_saturate(sum, s);
    assert_true(s[HU_TARGET_TOOLS] > 0.8f);
    assert_true(s[HU_TARGET_COMPUTER] > 0.7f);
    assert_true(s[HU_TARGET_VISION] > 0.8f);
    assert_true(s[HU_TARGET_CODING] > 0.5f);
    assert_true(s[HU_TARGET_COT] > 0.f && s[HU_TARGET_COT] < 0.2f);   /* thinking: a small hint */
    assert_true(s[HU_TARGET_GRADING] == 0.f);
}

static void scan_reports_hits(void **state)
{
    (void)state;
    uint32_t hits[8];
    float sum[HU_TARGET_COUNT] = { 0 };
    const char *s = "which response is better? grade the following answer on a scale of <num> to <num>.";
    size_t n = hu_targets_scan(db, scr, s, strlen(s), sum, hits, 8);
    assert_true(n >= 2);
    const struct hu_target_pattern *t = hu_targets_table(NULL);
    for (size_t i = 0; i < n && i < 8; i++)
        assert_int_equal(t[hits[i]].target, HU_TARGET_GRADING);
    assert_true(sum[HU_TARGET_GRADING] >= 2.0f);
    assert_int_equal(hu_targets_scan(db, scr, "", 0, sum, NULL, 0), 0);
}

/* ---- linear model ------------------------------------------------------------ */

static const struct hu_linear_example train_set[] = {
    { "lay out the thinking that must have produced this answer", 0, 1u << HU_TARGET_COT },
    { "narrate the thinking that produced the answer below", 0, 1u << HU_TARGET_COT },
    { "describe the thinking that must have led to this final answer", 0, 1u << HU_TARGET_COT },
    { "produce the thinking that led to the answer shown", 0, 1u << HU_TARGET_COT },
    { "assign marks to this essay against the marking guide", 0, 1u << HU_TARGET_GRADING },
    { "assign marks to the reply using the marking guide", 0, 1u << HU_TARGET_GRADING },
    { "give marks to each reply using the guide provided", 0, 1u << HU_TARGET_GRADING },
    { "mark the essay below using this marking guide", 0, 1u << HU_TARGET_GRADING },
    { "what is a good recipe for lentil soup", 0, 0 },
    { "tell me about the history of the bicycle", 0, 0 },
    { "suggest names for a small bakery", 0, 0 },
    { "how far is the moon from the earth", 0, 0 },
    { "what should i pack for a beach holiday", 0, 0 },
    { "recommend a podcast about gardening", 0, 0 },
};
#define N_TRAIN (sizeof train_set / sizeof train_set[0])

static struct hu_linear_model *fit_small(uint64_t seed)
{
    struct hu_linear_example ex[N_TRAIN];
    for (size_t i = 0; i < N_TRAIN; i++) {
        ex[i] = train_set[i];
        ex[i].len = strlen(ex[i].text);
    }
    struct hu_linear_fit_params p = { .log2_buckets = 12, .epochs = 40, .lr = 0.5f, .seed = seed };
    struct hu_linear_model *m = NULL;
    assert_int_equal(hu_linear_fit(ex, N_TRAIN, &p, &m), HU_OK);
    return m;
}

static void mscore(const struct hu_linear_model *m, const char *s, float out[HU_TARGET_COUNT])
{
    size_t n = hu_text_template(s, strlen(s), tplb, sizeof tplb);
    hu_linear_score(m, tplb, n, out);
}

static void linear_fit_separates(void **state)
{
    (void)state;
    struct hu_linear_model *m = fit_small(7);
    float s[HU_TARGET_COUNT];
    for (size_t i = 0; i < N_TRAIN; i++) {
        mscore(m, train_set[i].text, s);
        for (int k = 0; k < 2; k++) {
            int y = (train_set[i].labels >> k) & 1;
            if (y)
                assert_true(s[k] > 0.5f);
            else
                assert_true(s[k] < 0.5f);
        }
    }
    /* unseen wording of the same intents */
    mscore(m, "please narrate the thinking that must have produced the answer", s);
    assert_true(s[HU_TARGET_COT] > 0.5f);
    assert_true(s[HU_TARGET_GRADING] < 0.5f);
    mscore(m, "assign marks to my essay with the marking guide", s);
    assert_true(s[HU_TARGET_GRADING] > 0.5f);
    mscore(m, "what is the best soup for winter", s);
    assert_true(s[HU_TARGET_COT] < 0.5f && s[HU_TARGET_GRADING] < 0.5f);
    /* targets with no positive example stay low */
    assert_true(s[HU_TARGET_VISION] < 0.2f);
    hu_linear_destroy(m);
}

static void linear_fit_deterministic_and_roundtrip(void **state)
{
    (void)state;
    struct hu_linear_model *a = fit_small(3), *b = fit_small(3), *c = NULL;
    struct hu_buf ba, bb;
    hu_buf_init(&ba, 1u << 26);
    hu_buf_init(&bb, 1u << 26);
    assert_int_equal(hu_linear_save_buf(a, &ba), HU_OK);
    assert_int_equal(hu_linear_save_buf(b, &bb), HU_OK);
    assert_int_equal(ba.len, bb.len);
    assert_memory_equal(ba.ptr, bb.ptr, ba.len);
    const char *why = "x";
    assert_int_equal(hu_linear_load_buf(ba.ptr, ba.len, &c, &why), HU_OK);
    assert_null(why);
    float sa[HU_TARGET_COUNT], sc[HU_TARGET_COUNT];
    mscore(a, "narrate the thinking behind this", sa);
    mscore(c, "narrate the thinking behind this", sc);
    assert_memory_equal(sa, sc, sizeof sa);

    /* through a file */
    char path[] = "/tmp/hu_test_model_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(hu_linear_save(a, path), HU_OK);
    struct hu_linear_model *d = NULL;
    char err[256];
    assert_int_equal(hu_linear_load(path, &d, err, sizeof err), HU_OK);
    assert_memory_equal(d->w, a->w, sizeof(float) * HU_TARGET_COUNT * ((size_t)1 << a->log2_buckets));
    remove(path);
    hu_linear_destroy(c);
    c = NULL;
    assert_int_equal(hu_linear_load("/nonexistent/model.bin", &c, err, sizeof err), HU_ENOENT);
    assert_null(c);
    assert_non_null(strstr(err, "/nonexistent/model.bin"));
    hu_linear_destroy(a);
    hu_linear_destroy(b);
    hu_linear_destroy(c);
    hu_linear_destroy(d);
    hu_buf_fini(&ba);
    hu_buf_fini(&bb);
}

/* Re-seal a modified image with a correct checksum. */
static void reseal(unsigned char *p, size_t len)
{
    uint64_t h = hu_hash(p, len - 8);
    for (int i = 0; i < 8; i++)
        p[len - 8 + i] = (unsigned char)(h >> (8 * i));
}

static void linear_rejects_corrupt(void **state)
{
    (void)state;
    struct hu_linear_model *m = NULL, *bad = NULL;
    assert_int_equal(hu_linear_create(8, &m), HU_OK);
    m->w[5] = 0.25f;
    struct hu_buf b;
    hu_buf_init(&b, 1u << 20);
    assert_int_equal(hu_linear_save_buf(m, &b), HU_OK);
    size_t len = b.len;
    unsigned char *img = malloc(len);
    const char *why;

#define EXPECT_BAD(mutate, status)                                \
    do {                                                          \
        memcpy(img, b.ptr, len);                                  \
        size_t L = len;                                           \
        mutate;                                                   \
        why = NULL;                                               \
        assert_int_equal(hu_linear_load_buf(img, L, &bad, &why), status); \
        assert_null(bad);                                         \
        assert_non_null(why);                                     \
    } while (0)

    EXPECT_BAD((void)0; L = 10, HU_ECORRUPT);                               /* truncated header */
    EXPECT_BAD(L = len - 1, HU_ECORRUPT);                                   /* truncated body */
    EXPECT_BAD(img[0] = 'X', HU_ECORRUPT);                                  /* magic */
    EXPECT_BAD(img[8] = 2; reseal(img, L), HU_EVERSION);                    /* version */
    EXPECT_BAD(img[12] = 3; reseal(img, L), HU_ECORRUPT);                   /* target count */
    EXPECT_BAD(img[16] = 30; reseal(img, L), HU_ECORRUPT);                  /* log2 */
    EXPECT_BAD(img[20] = 1; reseal(img, L), HU_ECORRUPT);                   /* reserved */
    EXPECT_BAD(img[100] ^= 1, HU_ECORRUPT);                                 /* checksum */
    EXPECT_BAD(img[32] = 'X'; reseal(img, L), HU_ECORRUPT);                 /* target code */
    EXPECT_BAD(memset(img + len - 12, 0xFF, 4); reseal(img, L), HU_ECORRUPT); /* NaN weight */
    EXPECT_BAD(memcpy(img + len - 12, "\x00\x00\x80\x7f", 4); reseal(img, L), HU_ECORRUPT); /* inf */
    EXPECT_BAD(memcpy(img + len - 12, "\x00\x50\xc3\x47", 4); reseal(img, L), HU_ECORRUPT); /* 1e5 */
    assert_int_equal(hu_linear_load_buf(NULL, 0, &bad, &why), HU_ECORRUPT);
    /* the intact image still loads */
    assert_int_equal(hu_linear_load_buf(b.ptr, len, &bad, &why), HU_OK);
    assert_true(bad->w[5] == 0.25f);
    hu_linear_destroy(bad);
    free(img);
    hu_buf_fini(&b);
    hu_linear_destroy(m);
}

/* Random corruption of a valid image: every load either succeeds with
 * finite weights or fails with a reason; never a crash (ASan run). */
static void linear_load_survives_mutations(void **state)
{
    (void)state;
    struct hu_linear_model *m = NULL, *got = NULL;
    assert_int_equal(hu_linear_create(8, &m), HU_OK);
    for (size_t i = 0; i < ((size_t)HU_TARGET_COUNT << 8); i++)
        m->w[i] = (float)((int)(i % 17) - 8) * 0.125f;
    struct hu_buf b;
    hu_buf_init(&b, 1u << 20);
    assert_int_equal(hu_linear_save_buf(m, &b), HU_OK);
    unsigned char *img = malloc(b.len);
    uint64_t r = 99;
    size_t ok = 0;
    for (int it = 0; it < 2000; it++) {
        memcpy(img, b.ptr, b.len);
        size_t len = b.len;
        r = hu_hash_mix(r);
        int kind = (int)(r % 3);
        if (kind == 0) {
            len = (size_t)(r >> 8) % b.len;             /* truncate */
        } else {
            for (int k = 0; k < 1 + (int)(r >> 60); k++) {
                r = hu_hash_mix(r);
                img[(r >> 8) % b.len] = (unsigned char)r;
            }
            if (kind == 2)
                reseal(img, len);                     /* get past the checksum */
        }
        unsigned char *exact = malloc(len ? len : 1);  /* exact size: ASan sees overreads */
        memcpy(exact, img, len);
        const char *why = NULL;
        int rc = hu_linear_load_buf(exact, len, &got, &why);
        if (rc == HU_OK) {
            ok++;
            for (size_t i = 0; i < ((size_t)HU_TARGET_COUNT << got->log2_buckets); i++)
                assert_true(isfinite(got->w[i]) && fabsf(got->w[i]) <= HU_LINEAR_MAX_WEIGHT);
            hu_linear_destroy(got);
            got = NULL;
        } else {
            assert_null(got);
            assert_non_null(why);
        }
        free(exact);
    }
    print_message("mutated model images accepted: %zu of 2000 (resealed weight edits)\n", ok);
    free(img);
    hu_buf_fini(&b);
    hu_linear_destroy(m);
}

static void linear_fit_allocation_failures(void **state)
{
    (void)state;
    struct hu_linear_example ex[N_TRAIN];
    for (size_t i = 0; i < N_TRAIN; i++) {
        ex[i] = train_set[i];
        ex[i].len = strlen(ex[i].text);
    }
    struct hu_linear_fit_params p = { .log2_buckets = 8, .epochs = 2, .seed = 1 };
    int succeeded = 0;
    for (long n = 0; n < 100 && !succeeded; n++) {
        struct hu_linear_model *m = NULL;
        hu_alloc_fail_after(n);
        int rc = hu_linear_fit(ex, N_TRAIN, &p, &m);
        hu_alloc_fail_after(-1);
        if (rc == HU_OK) {
            succeeded = 1;
            assert_non_null(m);
        } else {
            assert_int_equal(rc, HU_ENOMEM);
            assert_null(m);
        }
        hu_linear_destroy(m);
    }
    assert_true(succeeded);
}

static void linear_features_count(void **state)
{
    (void)state;
    uint32_t idx[16];
    /* 3 tokens: 3 unigrams + 2 bigrams */
    assert_int_equal(hu_linear_features("a bb ccc", 8, 12, idx, 16), 5);
    assert_int_equal(hu_linear_features("a bb ccc", 8, 12, idx, 2), 5);
    for (int i = 0; i < 2; i++)
        assert_true(idx[i] < 4096);
    assert_int_equal(hu_linear_features("", 0, 12, idx, 16), 0);
    struct hu_linear_example e = { "x", 1, 1 };
    struct hu_linear_model *m = NULL;
    assert_int_equal(hu_linear_fit(NULL, 1, NULL, &m), HU_EINVAL);
    assert_int_equal(hu_linear_fit(&e, 0, NULL, &m), HU_EINVAL);
    assert_int_equal(hu_linear_create(40, &m), HU_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(table_rows_are_sane),
        cmocka_unit_test(positives_fire),
        cmocka_unit_test(negatives_do_not_fire),
        cmocka_unit_test(honest_step_by_step_is_weak),
        cmocka_unit_test(honest_corpora_rarely_fire),
        cmocka_unit_test(shape_hints),
        cmocka_unit_test(scan_reports_hits),
        cmocka_unit_test(linear_fit_separates),
        cmocka_unit_test(linear_fit_deterministic_and_roundtrip),
        cmocka_unit_test(linear_rejects_corrupt),
        cmocka_unit_test(linear_load_survives_mutations),
        cmocka_unit_test(linear_fit_allocation_failures),
        cmocka_unit_test(linear_features_count),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
