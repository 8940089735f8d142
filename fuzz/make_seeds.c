/*
 * make_seeds.c -- writes the binary seeds of fuzz/corpus/ (sketches,
 * profiles, linear models, a small .mmdb).  Built and run by
 * fuzz/make_corpus.sh; the output is committed, so this runs only when a
 * format changes.  Each seed is in the target's input layout (a selector
 * byte, then the bytes; see each fuzz_<t>.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/hash.h"
#include "features/linear.h"
#include "profile/profile.h"
#include "sketch/hll.h"
#include "sketch/kmv.h"
#include "sketch/minhash.h"
#include "sketch/spacesaving.h"

static void put(const char *dir, const char *name, const void *pre, size_t plen,
                const void *b, size_t len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(pre, 1, plen, f) != plen || (len && fwrite(b, 1, len, f) != len)) {
        perror(path);
        exit(1);
    }
    fclose(f);
}

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    const char *root = argv[1];
    char dir[512];
    static uint8_t buf[1 << 16];
    size_t n;

    snprintf(dir, sizeof dir, "%s/sketch", root);
    for (int fill = 0; fill < 3; fill++) {
        uint64_t items = fill == 0 ? 0 : fill == 1 ? 5 : 5000;
        struct hu_hll h; struct hu_kmv k; struct hu_minhash mh; struct hu_ss ss;
        hu_hll_init(&h); hu_kmv_init(&k); hu_minhash_init(&mh); hu_ss_init(&ss);
        for (uint64_t i = 0; i < items; i++) {
            uint64_t x = hu_hash(&i, sizeof i);
            (void)hu_hll_add(&h, x);
            (void)hu_kmv_add(&k, x);
            (void)hu_minhash_update(&mh, x);
            (void)hu_ss_update(&ss, x % 37, 1);
        }
        char name[64];
        /* sealed layout: kind, flags, version-xor, payload (header dropped) */
        n = hu_hll_serialize(&h, buf);
        uint8_t pre[3] = { 0, buf[6], 0 };
        snprintf(name, sizeof name, "hll-%d", fill);
        put(dir, name, pre, 3, buf + 16, n - 16);
        n = hu_kmv_serialize(&k, buf);
        pre[0] = 1; pre[1] = buf[6];
        snprintf(name, sizeof name, "kmv-%d", fill);
        put(dir, name, pre, 3, buf + 16, n - 16);
        n = hu_minhash_serialize(&mh, buf);
        pre[0] = 2; pre[1] = buf[6];
        snprintf(name, sizeof name, "minhash-%d", fill);
        put(dir, name, pre, 3, buf + 16, n - 16);
        n = hu_ss_serialize(&ss, buf);
        pre[0] = 3; pre[1] = buf[6];
        snprintf(name, sizeof name, "ss-%d", fill);
        put(dir, name, pre, 3, buf + 16, n - 16);
        /* raw layout of the same (envelope checks) */
        uint8_t raw = 4 | 3;
        snprintf(name, sizeof name, "ss-raw-%d", fill);
        put(dir, name, &raw, 1, buf, n);
    }

    snprintf(dir, sizeof dir, "%s/profile", root);
    {
        static struct hu_profile p;
        hu_profile_init(&p, 42);
        n = hu_profile_serialize(&p, buf, sizeof buf);
        uint8_t pre[2] = { 0, buf[6] };
        put(dir, "empty", pre, 2, buf + 16, n - 16);
        uint8_t raw = 1;
        put(dir, "empty-raw", &raw, 1, buf, n);
    }

    snprintf(dir, sizeof dir, "%s/linear", root);
    {
        struct hu_linear_model *m = NULL;
        struct hu_buf b;
        if (hu_linear_create(HU_LINEAR_MIN_LOG2, &m) != HU_OK)
            return 1;
        hu_buf_init(&b, 1 << 20);
        if (hu_linear_save_buf(m, &b) != HU_OK)
            return 1;
        uint8_t pre = 0;
        put(dir, "zero-min", &pre, 1, b.ptr, b.len);
        pre = 1;
        put(dir, "zero-min-raw", &pre, 1, b.ptr, b.len);
        put(dir, "header-only", &pre, 1, b.ptr, 32);
        hu_buf_fini(&b);
        hu_linear_destroy(m);
    }
    return 0;
}
