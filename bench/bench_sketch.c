/*
 * bench_sketch.c -- cost of the sketch library and of per-account profiles.
 *
 * Prints one row per operation: ns per call (best of 3 runs, so a noisy
 * neighbour on the shared machine inflates nothing) and, at the end, the
 * bytes a profile costs.  Short on purpose (< 2 s): `make bench` runs it
 * beside others.  Usage: bench_sketch [scale], scale multiplies the
 * iteration counts (default 1).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/hash.h"
#include "sketch/hll.h"
#include "sketch/kmv.h"
#include "sketch/minhash.h"
#include "sketch/spacesaving.h"
#include "profile/profile.h"
#include "profile/profile_table.h"

static volatile uint64_t sink;

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

#define BENCH(label, iters, setup, body)                                    \
    do {                                                                    \
        double best = 1e300;                                                \
        for (int run_ = 0; run_ < 3; run_++) {                              \
            setup;                                                          \
            double t0_ = now_ns();                                          \
            for (uint64_t i = 0; i < (uint64_t)(iters); i++) {              \
                body;                                                       \
            }                                                               \
            double dt_ = (now_ns() - t0_) / (double)(iters);                \
            if (dt_ < best)                                                 \
                best = dt_;                                                 \
        }                                                                   \
        printf("%-44s %10.1f ns\n", label, best);                           \
    } while (0)

static struct hu_span sp(const char *s)
{
    return (struct hu_span){ s, strlen(s) };
}

static void request(struct hu_event *ev, struct hu_req_features *f, uint64_t i, int distinct)
{
    memset(ev, 0, sizeof *ev);
    ev->kind = HU_EV_REQUEST;
    ev->ts_ms = INT64_C(1770732202000) + (int64_t)i * 7000;
    ev->account_id = sp("acct");
    ev->model = sp(i % 4 ? "model-a" : "model-b");
    ev->api_key_id = sp("key-1");
    ev->thinking = (int)(i & 1);
    ev->thinking_budget = 1024;
    ev->max_tokens = 4096;
    ev->input_tokens = 300;
    ev->output_tokens = 900;
    ev->status = 200;
    memset(f, 0, sizeof *f);
    uint64_t v = distinct ? i : i % 5;
    f->template_hash = hu_hash_mix(v + 1);
    f->system_hash = hu_hash_mix(77);
    f->ip_hash = hu_hash_mix((distinct ? i : i % 3) + 1000);
    f->prefix_hash = hu_hash_mix((distinct ? i >> 8 : 1) + 2000);
    f->asn = 64500;
    f->ua_hash = hu_hash_mix(3000);
    f->ua_family_hash = hu_hash_mix(3001);
    f->client_fp_hash = hu_hash_mix(3002);
    f->headers_fp_hash = hu_hash_mix(3003);
    f->model_hash = hu_hash(ev->model.ptr, ev->model.len);
    f->prompt_chars = 800;
    f->lang = HU_LANG_EN;
    f->target[HU_TARGET_COT] = 0.8f;
    f->target[HU_TARGET_CODING] = 0.1f;
}

int main(int argc, char **argv)
{
    uint64_t scale = argc > 1 ? strtoull(argv[1], NULL, 10) : 1;
    if (scale == 0)
        scale = 1;
    const uint64_t N = 2000000 * scale;
    printf("bench_sketch (commit %s)\n", HU_GIT_REV);
    printf("%-44s %13s\n", "operation", "per call");

    struct hu_hll h;
    BENCH("hll add, sparse (<= 32 distinct)", N, hu_hll_init(&h), hu_hll_add(&h, hu_hash_mix(i & 31)));
    BENCH("hll add, dense", N, hu_hll_init(&h), hu_hll_add(&h, hu_hash_mix(i)));
    BENCH("hll count, dense (p=8)", N / 20, (void)0, sink += (uint64_t)hu_hll_count(&h));

    struct hu_minhash mh, mh2;
    hu_minhash_init(&mh2);
    for (uint64_t i = 0; i < 100; i++)
        hu_minhash_update(&mh2, i * 3);
    BENCH("minhash update (k=64)", N / 4, hu_minhash_init(&mh), hu_minhash_update(&mh, hu_hash_mix(i)));
    BENCH("minhash jaccard (k=64)", N, (void)0, sink += (uint64_t)(hu_minhash_jaccard(&mh, &mh2) * 64));
    uint64_t keys[16];
    BENCH("minhash 16x4 band keys", N / 10, (void)0, sink += (uint64_t)hu_minhash_bands(&mh, 16, 4, keys) + keys[3]);

    struct hu_ss ss;
    BENCH("space-saving update (k=8, skewed keys)", N, hu_ss_init(&ss),
          hu_ss_update(&ss, hu_hash_mix((i * i) % 37), 1));
    BENCH("space-saving update (k=8, all new keys)", N, hu_ss_init(&ss),
          hu_ss_update(&ss, hu_hash_mix(i), 1));

    struct hu_kmv kv;
    BENCH("kmv add (k=8, repeated items)", N, hu_kmv_init(&kv), hu_kmv_add(&kv, i % 3));
    BENCH("kmv add (k=8, all new items)", N, hu_kmv_init(&kv), hu_kmv_add(&kv, hu_hash_mix(i)));

    struct hu_profile *p = malloc(sizeof *p);
    /* the shared set pool: one set within its room; then all 11 sets
     * rotating new items, the pool full and reducing (overflow rule) */
    BENCH("profile set add (pool, 1 set, all new)", N, hu_profile_init(p, 1),
          hu_profile_set_add(p, HU_PSET_IP, hu_hash_mix(i)));
    BENCH("profile set add (pool full, 11 sets new)", N, hu_profile_init(p, 1),
          hu_profile_set_add(p, (enum hu_pset)(i % HU_PSET_COUNT), hu_hash_mix(i)));
    struct hu_kmv kvt;
    BENCH("profile set read (materialise ip)", N, (void)0,
          sink += hu_profile_set(p, HU_PSET_IP, &kvt)->n);
    struct hu_event *evs = malloc(1024 * sizeof *evs);
    struct hu_req_features *fs = malloc(1024 * sizeof *fs);
    for (uint64_t i = 0; i < 1024; i++)
        request(&evs[i], &fs[i], i, 0);
    BENCH("profile observe (5 templates, 3 IPs)", N / 2, hu_profile_init(p, 1),
          hu_profile_observe_request(p, &evs[i & 1023], &fs[i & 1023]);
          evs[i & 1023].ts_ms += 7000 * 1024 * ((i & 1023) == 1023));
    for (uint64_t i = 0; i < 1024; i++)
        request(&evs[i], &fs[i], i, 1);
    BENCH("profile observe (all templates/IPs new)", N / 4, hu_profile_init(p, 1),
          fs[i & 1023].template_hash += 1024 * ((i & 1023) == 0);
          fs[i & 1023].ip_hash += 1024 * ((i & 1023) == 0);
          hu_profile_observe_request(p, &evs[i & 1023], &fs[i & 1023]));
    uint8_t buf[HU_PROFILE_SERIALIZED_MAX];
    size_t n = hu_profile_serialize(p, buf, sizeof buf);
    struct hu_profile *q = malloc(sizeof *q);
    BENCH("profile serialize", N / 100, (void)0, sink += hu_profile_serialize(p, buf, sizeof buf));
    BENCH("profile deserialize_safe (+validate)", N / 100, (void)0,
          sink += (uint64_t)hu_profile_deserialize_safe(q, buf, n));
    struct hu_profile *r = malloc(sizeof *r);
    BENCH("profile merge", N / 100, memcpy(r, p, sizeof *r), sink += (uint64_t)hu_profile_merge(r, q));

    /* table: 100k accounts, 1 request each (fresh memory: page faults dominate) */
    struct hu_profile_table *t = NULL;
    if (hu_profile_table_create(0, &t) != 0)
        return 1;
    char id[32];
    const uint64_t NA = 100000;
    double t0 = now_ns();
    for (uint64_t i = 0; i < NA; i++) {
        int len = snprintf(id, sizeof id, "account-%llu", (unsigned long long)i);
        struct hu_profile *x;
        if (hu_profile_table_get(t, id, (size_t)len, &x, NULL) != 0)
            return 1;
        hu_profile_observe_request(x, &evs[i & 1023], &fs[i & 1023]);
    }
    double per = (now_ns() - t0) / (double)NA;
    printf("%-44s %10.1f ns\n", "table get-or-create + observe (100k accts)", per);
    t0 = now_ns();
    for (uint64_t i = 0; i < NA; i++) {
        int len = snprintf(id, sizeof id, "account-%llu", (unsigned long long)((i * 7919) % NA));
        sink += (uintptr_t)hu_profile_table_find(t, id, (size_t)len);
    }
    printf("%-44s %10.1f ns\n", "table find (100k accts, incl. snprintf)", (now_ns() - t0) / (double)NA);

    printf("\n%-44s %10s\n", "memory", "bytes");
    printf("%-44s %10zu\n", "sizeof(struct hu_profile)", sizeof(struct hu_profile));
    printf("%-44s %10zu\n", "  of which struct hu_hll", sizeof(struct hu_hll));
    printf("%-44s %10zu\n", "  of which struct hu_ss", sizeof(struct hu_ss));
    printf("%-44s %10zu\n", "  of which 2 x struct hu_minhash", 2 * sizeof(struct hu_minhash));
    printf("%-44s %10zu\n", "  of which the set pool (11 sets, 34 items)",
           sizeof p->set_pool + sizeof p->set_n + sizeof p->set_sampled + sizeof p->set_used);
    printf("%-44s %10zu\n", "  of which sentence probation",
           sizeof p->sent_probation + sizeof p->sent_probation_pos);
    printf("%-44s %10zu\n", "  of which model slots", sizeof p->model);
    printf("%-44s %10zu\n", "profile heap bytes beyond sizeof", (size_t)0);
    printf("%-44s %10.0f\n", "table bytes per account (100k)",
           (double)hu_profile_table_memory(t) / (double)NA);
    printf("%-44s %10zu\n", "serialized, heavy profile", n);
    struct hu_profile e;
    hu_profile_init(&e, 1);
    printf("%-44s %10zu\n", "serialized, empty profile", hu_profile_serialized_size(&e));
    hu_profile_init(&e, 1);
    hu_profile_observe_request(&e, &evs[0], &fs[0]);
    printf("%-44s %10zu\n", "serialized, one-request profile", hu_profile_serialized_size(&e));
    hu_profile_table_destroy(t);
    free(p);
    free(q);
    free(r);
    free(evs);
    free(fs);
    return 0;
}
