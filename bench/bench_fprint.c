/*
 * bench_fprint.c -- cost of matching accounts against a fingerprint library.
 *
 * A synthetic library of N campaign entries (default 1,000), each with 80
 * tokens spread over the token types as real ones are (regrowth 0.02:
 * 41..78 tokens per entry), a background with a realistic shape.  Prints
 * per operation the best-of-3 mean: a request's online update (seven keyed
 * hashes, the index lookups, the CUSUM of the account's candidates) for a
 * campaign account and for a benign one, the profile-level match of a full
 * profile, the keyed hash alone, and loading the library from bytes.
 * Usage: bench_fprint [entries] (default 1000).  Short: < 2 s.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/hash.h"
#include "fprint/fprint.h"

static volatile uint64_t sink;

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void dist(struct hu_fp_dist *d, uint64_t seed)
{
    double s = 0;
    for (int h = 0; h < 24; h++) { d->hour[h] = (float)(1 + hu_hash_mix(seed + (uint64_t)h) % 10); s += d->hour[h]; }
    for (int h = 0; h < 24; h++) d->hour[h] = (float)(d->hour[h] / s);
    s = 0;
    for (int k = 0; k < HU_FP_NCAT; k++) { d->target[k] = (float)(1 + hu_hash_mix(seed * 3 + (uint64_t)k) % 10); s += d->target[k]; }
    for (int k = 0; k < HU_FP_NCAT; k++) d->target[k] = (float)(d->target[k] / s);
    d->thinking = 0.4f;
    d->plen_mu = 200;
    d->plen_sd = 80;
    for (int t = 0; t < HU_FP_TOK_COUNT; t++) d->present[t] = 0.6f;
}

/* entry i's value j of type t is item (i << 16 | t << 8 | j); every entry
 * also shares the popular SDK value (item 1) of the client types */
static uint64_t item(size_t i, int t, unsigned j) { return (uint64_t)i << 16 | (uint64_t)t << 8 | j; }

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000;
    if (!n) n = 1000;
    struct hu_fp_key key;
    hu_fp_key_default(&key);
    struct hu_fp_lib lib;
    hu_fp_lib_init(&lib);
    lib.key_id = hu_fp_key_id(&key);
    dist(&lib.bg, 1);
    static const unsigned per_type[HU_FP_TOK_COUNT] = { 2, 2, 4, 4, 8, 4, 32, 12, 12 };
    struct hu_fp_token tok[128];
    for (size_t i = 0; i < n; i++) {
        struct hu_fp_entry e;
        memset(&e, 0, sizeof e);
        snprintf(e.id, sizeof e.id, "C-%012zx", i);
        e.members = 100;
        e.requests = 10000;
        e.score = 0.9f;
        e.action = HU_ACTION_BLOCK;
        dist(&e.d, i + 7);
        size_t m = 0;
        for (int t = 0; t < HU_FP_TOK_COUNT; t++)
            for (unsigned j = 0; j < per_type[t]; j++) {
                tok[m].key = hu_fp_token(&key, (enum hu_fp_tok)t, j == 0 && t >= HU_FP_TOK_CLIENT_FP && t <= HU_FP_TOK_UA
                                                                    ? 1 : item(i, t, j));
                tok[m].type = (uint8_t)t;
                tok[m].pc = 0.8f / (float)per_type[t];
                tok[m].pb = j == 0 ? 0.2f : 0.0f;
                m++;
            }
        if (hu_fp_lib_add(&lib, &e, tok, m) != HU_OK) return 1;
    }
    if (hu_fp_lib_finish(&lib) != HU_OK) return 1;
    printf("bench_fprint: library of %zu campaigns, %zu tokens, %zu postings\n", lib.n, lib.n_tok, lib.n_post);

    /* requests: campaign 17's values, or benign values sharing only the SDK */
    enum { NREQ = 200000, NACC = 2000 };
    struct hu_fp_req *rq = hu_malloc(sizeof *rq * 1024);
    if (!rq) return 1;
    double best_c = 1e300, best_b = 1e300, best_h = 1e300;
    for (int kind = 0; kind < 2; kind++) {
        for (int k = 0; k < 1024; k++) {
            struct hu_fp_req *r = &rq[k];
            memset(r, 0, sizeof *r);
            r->ts_ms = 1768780800000LL + k * 1000;
            r->hour = (uint8_t)(k % 24);
            r->cat[k % HU_FP_NCAT] = 1;
            r->thinking = (int8_t)(k & 1);
            r->prompt_chars = (uint32_t)(50 + k % 400);
            for (int t = 0; t < HU_FP_TOK_COUNT; t++)
                r->tok[t] = hu_fp_token(&key, (enum hu_fp_tok)t,
                                        kind == 0 ? item(17 + (size_t)(k % 5 == 0) * 3, t, (unsigned)k % per_type[t])
                                        : (t >= HU_FP_TOK_CLIENT_FP && t <= HU_FP_TOK_UA) ? 1
                                        : (uint64_t)0xbe9 << 40 | (uint64_t)k);
        }
        for (int run = 0; run < 3; run++) {
            struct hu_fp_online on;
            if (hu_fp_online_init(&on, &lib, &key) != HU_OK) return 1;
            on.threshold = 1e30f;   /* never bind: every request does the full work */
            double t0 = now_ns();
            for (uint64_t i = 0; i < NREQ; i++)
                if (hu_fp_online_observe(&on, 1 + i % NACC, &rq[i & 1023]) != HU_OK) return 1;
            double dt = (now_ns() - t0) / NREQ;
            if (kind == 0 && dt < best_c) best_c = dt;
            if (kind == 1 && dt < best_b) best_b = dt;
            hu_fp_online_fini(&on);
        }
    }
    for (int run = 0; run < 3; run++) {
        double t0 = now_ns();
        for (uint64_t i = 0; i < NREQ; i++) sink += hu_fp_token(&key, HU_FP_TOK_SYSTEM, i);
        double dt = (now_ns() - t0) / NREQ;
        if (dt < best_h) best_h = dt;
    }
    printf("%-58s %9.0f ns\n", "keyed token (SipHash-2-4)", best_h);
    printf("%-58s %9.0f ns\n", "online update, campaign account (9 tokens, SPRT)", best_c);
    printf("%-58s %9.0f ns\n", "online update, benign account sharing the SDK", best_b);

    /* profile-level match: a profile holding campaign 17's values */
    struct hu_profile *p = hu_malloc(sizeof *p);
    if (!p) return 1;
    hu_profile_init(p, 42);
    p->n_req = 500;
    p->hour[3] = 500;
    static const int psets[] = { HU_PSET_SYSTEM, HU_PSET_TOOLS, HU_PSET_CLIENT_FP, HU_PSET_HEADERS_FP, HU_PSET_UA,
                                 HU_PSET_ASN };
    for (int s = 0; s < 6; s++)
        for (unsigned j = 0; j < 8; j++) (void)hu_profile_set_add(p, (enum hu_pset)psets[s], item(17, s, j % per_type[s]));
    double best_p = 1e300;
    long be = -1;
    for (int run = 0; run < 3; run++) {
        double t0 = now_ns();
        for (int i = 0; i < 20000; i++) sink += (uint64_t)(hu_fp_match_profile(&lib, &key, p, &be) * 1000);
        double dt = (now_ns() - t0) / 20000;
        if (dt < best_p) best_p = dt;
    }
    printf("%-58s %9.0f ns  (best entry %ld)\n", "profile match against the whole library", best_p, be);

    uint8_t *buf;
    size_t len;
    if (hu_fp_lib_serialize(&lib, &buf, &len) != HU_OK) return 1;
    double best_l = 1e300;
    for (int run = 0; run < 3; run++) {
        struct hu_fp_lib back;
        double t0 = now_ns();
        if (hu_fp_lib_deserialize_safe(&back, buf, len, NULL) != HU_OK) return 1;
        double dt = now_ns() - t0;
        if (dt < best_l) best_l = dt;
        hu_fp_lib_fini(&back);
    }
    printf("%-58s %9.2f ms  (%zu bytes, %.0f bytes/campaign)\n", "load + validate + index the library", best_l / 1e6, len,
           (double)len / (double)n);
    printf("online state per account: %zu bytes\n", sizeof(struct hu_fp_account));
    hu_free(buf);
    hu_free(p);
    hu_free(rq);
    hu_fp_lib_fini(&lib);
    return 0;
}
