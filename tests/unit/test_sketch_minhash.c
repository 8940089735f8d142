/* test_sketch_minhash.c -- MinHash and LSH banding against exact Jaccard. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <math.h>
#include <string.h>
#include <cmocka.h>

#include "sketch/minhash.h"
#include "sketch/sketch_io.h"
#include "core/hash.h"
#include "tests/reference/rng.h"
#include "tests/reference/exact_set.h"
#include "test_sketch_util.h"

/* Two sets with a planted overlap: shared items plus items of each side. */
static void make_pair(struct ref_rng *r, unsigned shared, unsigned only_a, unsigned only_b,
                      struct hu_minhash *a, struct hu_minhash *b, struct ref_set *ea,
                      struct ref_set *eb)
{
    for (unsigned i = 0; i < shared + only_a + only_b; i++) {
        uint64_t x = ref_rng_next(r);
        if (i < shared + only_a) {
            hu_minhash_update(a, x);
            ref_set_add(ea, x);
        }
        if (i < shared || i >= shared + only_a) {
            hu_minhash_update(b, x);
            ref_set_add(eb, x);
        }
    }
}

static void jaccard_within_stated_bound(void **state)
{
    (void)state;
    struct ref_rng r = { 42 };
    const unsigned pairs = 300;
    unsigned beyond = 0;
    double sum_err = 0, sum_sq = 0;
    for (unsigned t = 0; t < pairs; t++) {
        struct hu_minhash a, b;
        hu_minhash_init(&a);
        hu_minhash_init(&b);
        struct ref_set ea, eb;
        ref_set_init(&ea);
        ref_set_init(&eb);
        unsigned shared = (unsigned)ref_rng_below(&r, 200);
        unsigned oa = (unsigned)ref_rng_below(&r, 200), ob = (unsigned)ref_rng_below(&r, 200);
        if (shared + oa == 0) oa = 1;
        if (shared + ob == 0) ob = 1;
        make_pair(&r, shared, oa, ob, &a, &b, &ea, &eb);
        double j = ref_set_jaccard(&ea, &eb);
        double est = hu_minhash_jaccard(&a, &b);
        double bound = 3 * sqrt(j * (1 - j) / HU_MINHASH_K) + 1.0 / HU_MINHASH_K;
        if (fabs(est - j) > bound)
            beyond++;
        sum_err += est - j;
        sum_sq += (est - j) * (est - j);
        ref_set_fini(&ea);
        ref_set_fini(&eb);
    }
    printf("# minhash: %u pairs, bias %.4f rmse %.4f, beyond 3se+1/k: %u\n", pairs,
           sum_err / pairs, sqrt(sum_sq / pairs), beyond);
    assert_true(beyond <= pairs / 100 + 1);
    assert_true(fabs(sum_err / pairs) < 0.01);
}

static void exact_cases(void **state)
{
    (void)state;
    struct hu_minhash a, b, e;
    hu_minhash_init(&a);
    hu_minhash_init(&b);
    hu_minhash_init(&e);
    assert_true(hu_minhash_is_empty(&a));
    assert_true(hu_minhash_jaccard(&a, &b) == 0.0);
    for (uint64_t i = 0; i < 50; i++) {
        hu_minhash_update(&a, hu_hash_mix(i));
        hu_minhash_update(&b, hu_hash_mix(49 - i));   /* same set, other order */
    }
    assert_false(hu_minhash_is_empty(&a));
    assert_true(hu_minhash_jaccard(&a, &b) == 1.0);
    assert_true(hu_minhash_jaccard(&a, &e) == 0.0);
    assert_int_equal(hu_minhash_update(&a, hu_hash_mix(7)), 0);   /* idempotent */
    assert_null(hu_minhash_validate(&a));
    /* disjoint sets: almost no equal slots */
    struct hu_minhash c;
    hu_minhash_init(&c);
    for (uint64_t i = 1000; i < 1050; i++)
        hu_minhash_update(&c, hu_hash_mix(i));
    assert_true(hu_minhash_jaccard(&a, &c) <= 2.0 / HU_MINHASH_K);
}

static void merge_equals_sequential(void **state)
{
    (void)state;
    struct ref_rng r = { 9 };
    for (unsigned t = 0; t < 50; t++) {
        struct hu_minhash a, b, seq;
        hu_minhash_init(&a);
        hu_minhash_init(&b);
        hu_minhash_init(&seq);
        unsigned na = (unsigned)ref_rng_below(&r, 30), nb = (unsigned)ref_rng_below(&r, 30);
        for (unsigned i = 0; i < na + nb; i++) {
            uint64_t x = ref_rng_below(&r, 40);
            hu_minhash_update(i < na ? &a : &b, x);
            hu_minhash_update(&seq, x);
        }
        hu_minhash_merge(&a, &b);
        assert_memory_equal(&a, &seq, sizeof a);
    }
}

static void bands(void **state)
{
    (void)state;
    struct hu_minhash a, b;
    hu_minhash_init(&a);
    hu_minhash_init(&b);
    for (uint64_t i = 0; i < 20; i++) {
        hu_minhash_update(&a, i);
        hu_minhash_update(&b, i);
    }
    uint64_t ka[16], kb[16];
    assert_int_equal(hu_minhash_bands(&a, 16, 4, ka), HU_OK);
    assert_int_equal(hu_minhash_bands(&b, 16, 4, kb), HU_OK);
    assert_memory_equal(ka, kb, sizeof ka);
    for (unsigned i = 1; i < 16; i++)
        assert_true(ka[i] != ka[0]);           /* band index is in the key */
    assert_int_equal(hu_minhash_bands(&a, 17, 4, ka), HU_EINVAL);
    assert_int_equal(hu_minhash_bands(&a, 1, 0, ka), HU_EINVAL);
    /* a band key equals iff its rows are equal */
    b.lo[5] ^= 1;                             /* slot 5 (band 1 of 4 rows), low byte */
    assert_int_equal(hu_minhash_bands(&b, 16, 4, kb), HU_OK);
    assert_true(ka[1] != kb[1]);
    for (unsigned i = 0; i < 16; i++)
        if (i != 1)
            assert_true(ka[i] == kb[i]);
    /* every byte of a band's rows is in its key, and in no other key */
    b.lo[5] ^= 1;
    for (unsigned slot = 0; slot < HU_MINHASH_K; slot += 3) {
        for (unsigned plane = 0; plane < 3; plane++) {
            uint8_t *at = plane == 0 ? &b.lo[slot] : plane == 1 ? &b.mid[slot] : &b.hi[slot];
            *at ^= 0x80;
            assert_int_equal(hu_minhash_bands(&b, 16, 4, kb), HU_OK);
            for (unsigned i = 0; i < 16; i++)
                assert_true((ka[i] == kb[i]) == (i != slot / 4));
            *at ^= 0x80;
        }
    }
    /* collision rate follows 1-(1-J^r)^b: measured over random pairs */
    struct ref_rng r = { 77 };
    unsigned hits = 0, trials = 400;
    double expect = 0;
    for (unsigned t = 0; t < trials; t++) {
        struct hu_minhash x, y;
        hu_minhash_init(&x);
        hu_minhash_init(&y);
        struct ref_set ex, ey;
        ref_set_init(&ex);
        ref_set_init(&ey);
        make_pair(&r, 60, 40, 40, &x, &y, &ex, &ey);   /* J = 60/140 */
        double j = ref_set_jaccard(&ex, &ey);
        expect += hu_minhash_lsh_prob(j, 8, 4);
        uint64_t kx[8], ky[8];
        assert_int_equal(hu_minhash_bands(&x, 8, 4, kx), HU_OK);
        assert_int_equal(hu_minhash_bands(&y, 8, 4, ky), HU_OK);
        int hit = 0;
        for (unsigned i = 0; i < 8; i++)
            hit |= kx[i] == ky[i];
        hits += (unsigned)hit;
        ref_set_fini(&ex);
        ref_set_fini(&ey);
    }
    double p = expect / trials, obs = (double)hits / trials;
    printf("# lsh 8x4 at J=0.43: expected %.3f observed %.3f\n", p, obs);
    assert_true(fabs(obs - p) < 4 * sqrt(p * (1 - p) / trials) + 0.02);
}

static int deser(void *obj, const void *buf, size_t len)
{
    return hu_minhash_deserialize_safe(obj, buf, len);
}

static void serialization(void **state)
{
    (void)state;
    struct hu_minhash a, g;
    hu_minhash_init(&a);
    uint8_t buf[HU_MINHASH_SERIALIZED_MAX];
    assert_int_equal(HU_MINHASH_SERIALIZED_MAX, 16 + 3 * HU_MINHASH_K);
    assert_int_equal(hu_minhash_serialize(&a, buf), 16);
    assert_int_equal(hu_minhash_serialized_size(&a), 16);
    assert_int_equal(buf[4], HU_MINHASH_VERSION);
    assert_int_equal(hu_minhash_deserialize_safe(&g, buf, sizeof buf), 16);
    assert_true(hu_minhash_is_empty(&g));
    assert_int_equal(test_damage_accepted(buf, 16, deser, &g, 1), 0);
    for (uint64_t i = 0; i < 10; i++)
        hu_minhash_update(&a, i);
    assert_int_equal(hu_minhash_serialize(&a, buf), HU_MINHASH_SERIALIZED_MAX);
    assert_int_equal(hu_minhash_deserialize_safe(&g, buf, sizeof buf), (int)sizeof buf);
    assert_memory_equal(&a, &g, sizeof a);
    uint8_t again[HU_MINHASH_SERIALIZED_MAX];
    assert_int_equal(hu_minhash_serialize(&g, again), sizeof again);
    assert_memory_equal(buf, again, sizeof buf);          /* byte-identical round trip */
    assert_int_equal(test_damage_accepted(buf, sizeof buf, deser, &g, 1), 0);
    /* partly empty signature with a valid checksum */
    buf[16 + 2] = buf[16 + HU_MINHASH_K + 2] = buf[16 + 2 * HU_MINHASH_K + 2] = 0xff; /* slot 2 */
    hu__sketch_hdr_put(buf, "HUmh", HU_MINHASH_VERSION, HU_MINHASH_K, 0, 3 * HU_MINHASH_K);
    assert_int_equal(hu_minhash_deserialize_safe(&g, buf, sizeof buf), HU_ECORRUPT);
    assert_true(hu_minhash_is_empty(&g));
    hu__sketch_hdr_put(buf, "HUmh", HU_MINHASH_VERSION, HU_MINHASH_K, 1, 3 * HU_MINHASH_K);
    assert_int_equal(hu_minhash_deserialize_safe(&g, buf, sizeof buf), HU_ECORRUPT);
    /* all-empty values in the long form: not canonical, rejected */
    memset(buf + 16, 0xff, 3 * HU_MINHASH_K);
    hu__sketch_hdr_put(buf, "HUmh", HU_MINHASH_VERSION, HU_MINHASH_K, 0, 3 * HU_MINHASH_K);
    assert_int_equal(hu_minhash_deserialize_safe(&g, buf, sizeof buf), HU_ECORRUPT);
    /* a v2 envelope around a v1-sized (4 k) payload, and the reverse */
    uint8_t big[HU_MINHASH_SERIALIZED_MAX_V1];
    memset(big + 16, 0, 4 * HU_MINHASH_K);
    hu__sketch_hdr_put(big, "HUmh", HU_MINHASH_VERSION, HU_MINHASH_K, 0, 4 * HU_MINHASH_K);
    assert_int_equal(hu_minhash_deserialize_safe(&g, big, sizeof big), HU_ECORRUPT);
    hu__sketch_hdr_put(big, "HUmh", HU_MINHASH_VERSION_V1, HU_MINHASH_K, 0, 3 * HU_MINHASH_K);
    assert_int_equal(hu_minhash_deserialize_safe(&g, big, sizeof big), HU_ECORRUPT);
    /* unknown versions */
    for (unsigned v = 0; v < 256; v++) {
        if (v == HU_MINHASH_VERSION || v == HU_MINHASH_VERSION_V1)
            continue;
        hu__sketch_hdr_put(big, "HUmh", (uint8_t)v, HU_MINHASH_K, 1, 0);
        assert_int_equal(hu_minhash_deserialize_safe(&g, big, 16), HU_EVERSION);
        assert_true(hu_minhash_is_empty(&g));
    }
}

/* ---- reference: the version-1 formula (32-bit slots), written out again
 * here so that a change of the coefficient table in minhash.c (which would
 * silently break every stored signature) fails this test. ---- */

static const uint64_t ref_coef[64][2] = {
    { UINT64_C(0x9597103d73c835b1), UINT64_C(0x2fe4bb3f6318b88f) },
    { UINT64_C(0x8145ef271a8e94e3), UINT64_C(0x949ebb15fda3efcd) },
    { UINT64_C(0x731cffc0244415d7), UINT64_C(0xbdce01b94d5736f6) },
    { UINT64_C(0xb1bc8581d8724845), UINT64_C(0xa70a34a857349d3c) },
    { UINT64_C(0xbe53aebedfed6479), UINT64_C(0x8d86b253a288a6bc) },
    { UINT64_C(0x089625424aaf871b), UINT64_C(0xb66594eb3f836a18) },
    { UINT64_C(0xa048f4045713efe7), UINT64_C(0x34abfa1a27e7d284) },
    { UINT64_C(0xa7558e5883cd159d), UINT64_C(0xd2ab6bb8ae9bc1d0) },
    { UINT64_C(0x512f99a48d7967b9), UINT64_C(0xa151f7eba254fe66) },
    { UINT64_C(0xdda277790c92d275), UINT64_C(0xfa594ba909d7abee) },
    { UINT64_C(0x82f4207f6d0cbf0d), UINT64_C(0xb0a63c488c36a791) },
    { UINT64_C(0xf97bfff920b3dfe5), UINT64_C(0x166dcfd432a7b289) },
    { UINT64_C(0x2982f2c2ec6087a1), UINT64_C(0xe15aa54ee1906b06) },
    { UINT64_C(0x60ed083fb7718b95), UINT64_C(0x50cfcf57b12f169f) },
    { UINT64_C(0xc2741b92b8e3cfd3), UINT64_C(0x9f973d4beab3c351) },
    { UINT64_C(0xb476fef67cbbe38f), UINT64_C(0xc84b615f1ed16863) },
    { UINT64_C(0x878b05af4f7254f1), UINT64_C(0xee8f7a3c8dbc5d3a) },
    { UINT64_C(0x19a86af9e90989c9), UINT64_C(0x1b1088680e534b65) },
    { UINT64_C(0x11d6754652f3c8c7), UINT64_C(0xe5314984e2ce2205) },
    { UINT64_C(0xf401266a2d8f551f), UINT64_C(0x3b2513297bae2e8f) },
    { UINT64_C(0x5be0f302e53486cd), UINT64_C(0xe387b8bd607dd18d) },
    { UINT64_C(0x73a76988e66071bb), UINT64_C(0xe99cfa5318e0c315) },
    { UINT64_C(0x5b45604c3693cda3), UINT64_C(0x846a81e37397d290) },
    { UINT64_C(0x1c89a4c6d85b87d3), UINT64_C(0x6541e61c9ee29221) },
    { UINT64_C(0xcb3042d8474422ab), UINT64_C(0xe8f41b7dd6da464e) },
    { UINT64_C(0xf983da793a595f7b), UINT64_C(0xc007e464273743a4) },
    { UINT64_C(0x9f6ce2c2e535b1df), UINT64_C(0x614a57cd5cc78e31) },
    { UINT64_C(0x4770023c73bab89f), UINT64_C(0x181a8137ea220c40) },
    { UINT64_C(0x1fa101721fb77f9f), UINT64_C(0xd02d83cb3a1a8a21) },
    { UINT64_C(0x365ce3b536d5c847), UINT64_C(0xf0ede1bee91ec550) },
    { UINT64_C(0xa000b2b06b2d2641), UINT64_C(0x7eca6d9f11b9607d) },
    { UINT64_C(0x481140c46d82b9c3), UINT64_C(0x06e785c1702cf04f) },
    { UINT64_C(0x9a03ffa39e7b5df5), UINT64_C(0x56f31282654730a2) },
    { UINT64_C(0x8d198abbb5eb5d11), UINT64_C(0x7372cf8d344245b1) },
    { UINT64_C(0x50100dfa4ed316b9), UINT64_C(0x26a8aae9bbfc7ea6) },
    { UINT64_C(0xa846927ed7c5afc1), UINT64_C(0xadbba450009b6fbf) },
    { UINT64_C(0x6a9a109a8bb5a915), UINT64_C(0x304bb441aa1257a2) },
    { UINT64_C(0x15207b790e276b83), UINT64_C(0x98f30a135cfb1061) },
    { UINT64_C(0x239367b2cf354971), UINT64_C(0x59a6528a1521c314) },
    { UINT64_C(0x0b1277f7174b8933), UINT64_C(0x3884fbd395d2ffa0) },
    { UINT64_C(0x236bc08f5ebe3a37), UINT64_C(0x6d87d11183943320) },
    { UINT64_C(0x461944df825cdee9), UINT64_C(0x8522649c02786538) },
    { UINT64_C(0xcdfdd0539554d9b5), UINT64_C(0x6d7492ef37b80af1) },
    { UINT64_C(0x7e8364e3cc20c631), UINT64_C(0x6dbb322334190ba6) },
    { UINT64_C(0xfe94e3e7c54f076d), UINT64_C(0x0c873eafd1b75dad) },
    { UINT64_C(0x40a1d4fc33898f27), UINT64_C(0x5d9f54bf952c99c2) },
    { UINT64_C(0x4555551612ff02f5), UINT64_C(0x278b7b96fa6ba8d6) },
    { UINT64_C(0x6341176fb10f6b8f), UINT64_C(0x5e7eef1135f189f8) },
    { UINT64_C(0xa4e04b381bd48f29), UINT64_C(0x974c88590298e5d6) },
    { UINT64_C(0x5cb43109787557e5), UINT64_C(0x974cb9e125648ec1) },
    { UINT64_C(0x2dc75b7d3fa653b9), UINT64_C(0x029699e76cb8ef23) },
    { UINT64_C(0x097994929cd2ea59), UINT64_C(0xed00b2bb4efe451e) },
    { UINT64_C(0x722de8d3053ee2a3), UINT64_C(0x83965b6872f6f5ac) },
    { UINT64_C(0x02a7c5d058ddc21d), UINT64_C(0x8e9c17cbc2148fb2) },
    { UINT64_C(0xa457a7c856ee1d1b), UINT64_C(0x34fb5c777ac73b7c) },
    { UINT64_C(0xdcd0777f76e65267), UINT64_C(0x4d38039070a47c7e) },
    { UINT64_C(0xf2dc85569300d417), UINT64_C(0xbdd3e00a5bb1d51a) },
    { UINT64_C(0x3adb9927b76c5b81), UINT64_C(0xa7341c255d4e7a46) },
    { UINT64_C(0x99e40670a12b679d), UINT64_C(0x918c4236aaf1a654) },
    { UINT64_C(0x6b8830a6a22f5e9b), UINT64_C(0x4d3a4e6307f2e2f5) },
    { UINT64_C(0xab9822952f268809), UINT64_C(0x65130e5ec00d39e3) },
    { UINT64_C(0x8215dfdcfe0fa875), UINT64_C(0x067a5a4b945dea42) },
    { UINT64_C(0x6088950508580dbd), UINT64_C(0x568380f7bc08a8f4) },
    { UINT64_C(0x927309a405c84f83), UINT64_C(0x9bfe2f7c84073bf7) },
};

static uint64_t ref_mix(uint64_t z)                       /* splitmix64 finaliser */
{
    z += UINT64_C(0x9e3779b97f4a7c15);
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Slot i's 32-bit hash of an item, before any folding. */
static uint32_t ref_h32(uint64_t item, unsigned i)
{
    uint64_t x = ref_mix(item ^ HU_MINHASH_SEED);
    return (uint32_t)((ref_coef[i][0] * x + ref_coef[i][1]) >> 32);
}

/* The v1 signature: min of h32 folded away from 2^32-1. */
struct ref_sig32 { uint32_t v[HU_MINHASH_K]; };
static void ref32_init(struct ref_sig32 *r)
{
    for (unsigned i = 0; i < HU_MINHASH_K; i++)
        r->v[i] = UINT32_MAX;
}
static void ref32_add(struct ref_sig32 *r, uint64_t item)
{
    for (unsigned i = 0; i < HU_MINHASH_K; i++) {
        uint32_t v = ref_h32(item, i);
        v -= v == UINT32_MAX;
        if (v < r->v[i])
            r->v[i] = v;
    }
}
/* The documented v1 -> v2 map of one value. */
static uint32_t ref_fold24(uint32_t v32)
{
    if (v32 == UINT32_MAX)
        return HU_MINHASH_EMPTY;
    uint32_t t = v32 >> 8;
    return t == HU_MINHASH_EMPTY ? t - 1 : t;
}
static size_t ref32_serialize_v1(const struct ref_sig32 *r, uint8_t *buf)
{
    if (r->v[0] == UINT32_MAX) {
        hu__sketch_hdr_put(buf, "HUmh", 1, HU_MINHASH_K, 1, 0);
        return 16;
    }
    for (unsigned i = 0; i < HU_MINHASH_K; i++)
        hu__put_u32(buf + 16 + 4 * i, r->v[i]);
    hu__sketch_hdr_put(buf, "HUmh", 1, HU_MINHASH_K, 0, 4 * HU_MINHASH_K);
    return 16 + 4 * HU_MINHASH_K;
}

static void hash_mix_matches_reference(void **state)
{
    (void)state;
    for (uint64_t i = 0; i < 1000; i++)
        assert_true(hu_hash_mix(i * UINT64_C(0x9e3779b97f4a7c15)) ==
                    ref_mix(i * UINT64_C(0x9e3779b97f4a7c15)));
}

/* A v1 blob (as main's code wrote it) loads as the signature the 24-bit
 * code computes from the same items, and re-serializes as that signature's
 * v2 blob. */
static void v1_blobs_load_as_truncation(void **state)
{
    (void)state;
    struct ref_rng r = { 1234 };
    static const unsigned sizes[] = { 0, 1, 2, 3, 10, 100, 1000, 5000 };
    uint8_t v1[HU_MINHASH_SERIALIZED_MAX_V1], v2[HU_MINHASH_SERIALIZED_MAX],
        v2b[HU_MINHASH_SERIALIZED_MAX];
    for (unsigned t = 0; t < sizeof sizes / sizeof sizes[0]; t++) {
        struct ref_sig32 old;
        struct hu_minhash now, loaded;
        ref32_init(&old);
        hu_minhash_init(&now);
        for (unsigned i = 0; i < sizes[t]; i++) {
            uint64_t x = ref_rng_next(&r);
            ref32_add(&old, x);
            hu_minhash_update(&now, x);
        }
        for (unsigned i = 0; i < HU_MINHASH_K; i++)
            assert_int_equal(hu_minhash_slot(&now, i), ref_fold24(old.v[i]));
        size_t n1 = ref32_serialize_v1(&old, v1);
        assert_int_equal(hu_minhash_deserialize_safe(&loaded, v1, n1), (int)n1);
        assert_null(hu_minhash_validate(&loaded));
        assert_memory_equal(&loaded, &now, sizeof now);
        size_t n2 = hu_minhash_serialize(&loaded, v2);
        assert_int_equal(n2, hu_minhash_serialize(&now, v2b));
        assert_memory_equal(v2, v2b, n2);
        assert_int_equal(v2[4], HU_MINHASH_VERSION);
        if (sizes[t] == 100)
            assert_int_equal(test_damage_accepted(v1, n1, deser, &loaded, 1), 0);
    }
    /* the edges of the map, one slot at a time (others a plain value) */
    static const uint32_t in[] = { 0, 0xff, 0x100, 0x1ff, 0x12345678, 0xfffffeff,
                                   0xffffff00, 0xfffffffe };
    static const uint32_t out[] = { 0, 0, 1, 1, 0x123456, 0xfffffe, 0xfffffe, 0xfffffe };
    for (unsigned e = 0; e < sizeof in / sizeof in[0]; e++) {
        struct ref_sig32 s;
        struct hu_minhash g;
        for (unsigned i = 0; i < HU_MINHASH_K; i++)
            s.v[i] = 0x01000000u * (i + 1);
        s.v[7] = in[e];
        size_t n1 = ref32_serialize_v1(&s, v1);
        assert_int_equal(hu_minhash_deserialize_safe(&g, v1, n1), (int)n1);
        assert_int_equal(hu_minhash_slot(&g, 7), out[e]);
        assert_int_equal(hu_minhash_slot(&g, 8), 0x090000);          /* 9 << 24, >> 8 */
        assert_false(hu_minhash_is_empty(&g));
    }
    /* hostile v1: partly empty, all-empty long form, payload with the empty
     * flag, truncated; each leaves *mh empty */
    struct ref_sig32 s;
    struct hu_minhash g;
    for (unsigned i = 0; i < HU_MINHASH_K; i++)
        s.v[i] = 77 * i;
    s.v[HU_MINHASH_K - 1] = UINT32_MAX;
    size_t n1 = ref32_serialize_v1(&s, v1);
    assert_int_equal(n1, HU_MINHASH_SERIALIZED_MAX_V1);
    assert_int_equal(hu_minhash_deserialize_safe(&g, v1, n1), HU_ECORRUPT);
    assert_true(hu_minhash_is_empty(&g));
    memset(v1 + 16, 0xff, 4 * HU_MINHASH_K);
    hu__sketch_hdr_put(v1, "HUmh", 1, HU_MINHASH_K, 0, 4 * HU_MINHASH_K);
    assert_int_equal(hu_minhash_deserialize_safe(&g, v1, n1), HU_ECORRUPT);
    memset(v1 + 16, 0x11, 4 * HU_MINHASH_K);
    hu__sketch_hdr_put(v1, "HUmh", 1, HU_MINHASH_K, 1, 4 * HU_MINHASH_K);
    assert_int_equal(hu_minhash_deserialize_safe(&g, v1, n1), HU_ECORRUPT);
    hu__sketch_hdr_put(v1, "HUmh", 1, HU_MINHASH_K, 0, 4 * HU_MINHASH_K);
    assert_int_equal(hu_minhash_deserialize_safe(&g, v1, n1), (int)n1);
    assert_int_equal(hu_minhash_slot(&g, 0), 0x111111);
    assert_int_equal(hu_minhash_deserialize_safe(&g, v1, n1 - 1), HU_ECORRUPT);
    assert_true(hu_minhash_is_empty(&g));
    assert_int_equal(hu_minhash_deserialize_safe(&g, v1, 15), HU_ECORRUPT);
    assert_int_equal(hu_minhash_deserialize_safe(&g, NULL, 100), HU_ECORRUPT);
    assert_int_equal(hu_minhash_deserialize_safe(NULL, v1, n1), HU_EINVAL);
}

/* An item whose top 24 bits are all ones in some slot: the update folds
 * it to 2^24-2 (never "empty"), as the v1 map does. */
static void fold_at_the_top(void **state)
{
    (void)state;
    uint64_t item = 0;
    unsigned slot = HU_MINHASH_K;
    for (uint64_t x = 0; slot == HU_MINHASH_K; x++)      /* ~2^18 items expected */
        for (unsigned i = 0; i < HU_MINHASH_K; i++)
            if (ref_h32(x, i) >> 8 == HU_MINHASH_EMPTY) {
                item = x;
                slot = i;
                break;
            }
    struct hu_minhash m;
    hu_minhash_init(&m);
    assert_int_equal(hu_minhash_update(&m, item), 1);
    assert_int_equal(hu_minhash_slot(&m, slot), HU_MINHASH_EMPTY - 1);
    assert_false(hu_minhash_is_empty(&m));
    assert_null(hu_minhash_validate(&m));
    for (unsigned i = 0; i < HU_MINHASH_K; i++) {
        uint32_t v32 = ref_h32(item, i);
        assert_int_equal(hu_minhash_slot(&m, i), ref_fold24(v32 - (v32 == UINT32_MAX)));
    }
    printf("# fold: item %llu slot %u has top 24 bits all ones\n", (unsigned long long)item, slot);
}

/* jaccard()'s plane-wise count against a slot-by-slot count, on
 * signatures that agree in 0, 1, 2 or 3 bytes of each slot. */
static void jaccard_counts_whole_slots(void **state)
{
    (void)state;
    struct ref_rng r = { 31 };
    for (unsigned t = 0; t < 2000; t++) {
        struct hu_minhash a, b;
        uint8_t *pa[3] = { a.lo, a.mid, a.hi }, *pb[3] = { b.lo, b.mid, b.hi };
        for (unsigned k = 0; k < 3; k++)
            for (unsigned i = 0; i < HU_MINHASH_K; i++) {
                pa[k][i] = (uint8_t)ref_rng_next(&r);
                pb[k][i] = (uint8_t)ref_rng_next(&r);
            }
        a.hi[0] = b.hi[0] = 0x10;                 /* slot 0 not empty */
        unsigned want = 0;
        for (unsigned i = 0; i < HU_MINHASH_K; i++) {
            unsigned same = (unsigned)ref_rng_below(&r, 4), mask = (unsigned)ref_rng_below(&r, 8);
            if (same == 3)
                mask = 7;
            for (unsigned k = 0; k < 3; k++)
                if (mask >> k & 1)
                    pb[k][i] = pa[k][i];
            want += hu_minhash_slot(&a, i) == hu_minhash_slot(&b, i);
        }
        assert_true(hu_minhash_jaccard(&a, &b) == (double)want / HU_MINHASH_K);
        assert_true(hu_minhash_jaccard(&b, &a) == (double)want / HU_MINHASH_K);
    }
}

/* Large sets: the 24-bit ties.  Each pair: |A| = |B| = n, half shared
 * (J = 1/3).  Exact checks: every slot is the fold of the 32-bit minimum,
 * the 24-bit equal-slot count is the 32-bit one plus the slots whose
 * minima differ but agree in the top 24 bits (ties), merge == sequential.
 * Statistical: ties per slot stay under the bound derived in minhash.c,
 * (1-J) n / 2^25 (its expected value is (|A\B| n_b + |B\A| n_a) / (|AuB|
 * 2^25) = (2/3) n / 2^25 here), and the mean error of the estimate against
 * the exact Jaccard is within 3 sigma of that bias. */
static void large_sets_tie_bias(void **state)
{
    (void)state;
    static const struct { unsigned n, pairs; } cs[] = { { 10000, 120 }, { 100000, 24 } };
    struct ref_rng r = { 2024 };
    for (unsigned c = 0; c < 2; c++) {
        unsigned n = cs[c].n, pairs = cs[c].pairs, half = n / 2;
        unsigned long ties = 0, slots = 0;
        double sum_err = 0, sum_j = 0;
        for (unsigned t = 0; t < pairs; t++) {
            struct hu_minhash a, b, a1, a2;
            struct ref_sig32 ra, rb;
            hu_minhash_init(&a);
            hu_minhash_init(&b);
            hu_minhash_init(&a1);
            hu_minhash_init(&a2);
            ref32_init(&ra);
            ref32_init(&rb);
            struct ref_set ea, eb;
            ref_set_init(&ea);
            ref_set_init(&eb);
            for (unsigned i = 0; i < half + 2 * (n - half); i++) {
                uint64_t x = ref_rng_next(&r);
                int in_a = i < n, in_b = i < half || i >= n;
                if (in_a) {
                    hu_minhash_update(&a, x);
                    hu_minhash_update(i % 2 ? &a1 : &a2, x);
                    ref32_add(&ra, x);
                    ref_set_add(&ea, x);
                }
                if (in_b) {
                    hu_minhash_update(&b, x);
                    ref32_add(&rb, x);
                    ref_set_add(&eb, x);
                }
            }
            hu_minhash_merge(&a1, &a2);
            assert_memory_equal(&a1, &a, sizeof a);
            unsigned eq24 = 0, eq32 = 0;
            for (unsigned i = 0; i < HU_MINHASH_K; i++) {
                assert_int_equal(hu_minhash_slot(&a, i), ref_fold24(ra.v[i]));
                assert_int_equal(hu_minhash_slot(&b, i), ref_fold24(rb.v[i]));
                eq32 += ra.v[i] == rb.v[i];
                eq24 += hu_minhash_slot(&a, i) == hu_minhash_slot(&b, i);
            }
            assert_true(eq24 >= eq32);
            assert_true(hu_minhash_jaccard(&a, &b) == (double)eq24 / HU_MINHASH_K);
            ties += eq24 - eq32;
            slots += HU_MINHASH_K;
            double j = ref_set_jaccard(&ea, &eb);
            sum_j += j;
            sum_err += hu_minhash_jaccard(&a, &b) - j;
            ref_set_fini(&ea);
            ref_set_fini(&eb);
        }
        double j = sum_j / pairs;
        double bound = (1 - j) * n / 33554432.0;              /* (1-J) n / 2^25 */
        double expect = (2.0 / 3.0) * n / 33554432.0;
        double e_ties = expect * (double)slots;
        double bias = sum_err / pairs;
        double sigma = sqrt(j * (1 - j) / HU_MINHASH_K / pairs);
        printf("# minhash n=%u: %u pairs, J %.4f, ties %lu of %lu slots (%.2e, expected %.2e, "
               "bound %.2e), mean error %+.4f (3 sigma %.4f)\n",
               n, pairs, j, ties, slots, (double)ties / (double)slots, expect, bound, bias,
               3 * sigma);
        assert_true(fabs(j - 1.0 / 3.0) < 1e-3);
        /* Poisson upper tail: P[X > mu + 5 sqrt(mu) + 3] is < 1e-5 here */
        assert_true((double)ties <= bound * (double)slots + 5 * sqrt(e_ties) + 3);
        assert_true(fabs(bias - expect) <= 3 * sigma);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(jaccard_within_stated_bound),
        cmocka_unit_test(exact_cases),
        cmocka_unit_test(merge_equals_sequential),
        cmocka_unit_test(bands),
        cmocka_unit_test(serialization),
        cmocka_unit_test(hash_mix_matches_reference),
        cmocka_unit_test(v1_blobs_load_as_truncation),
        cmocka_unit_test(fold_at_the_top),
        cmocka_unit_test(jaccard_counts_whole_slots),
        cmocka_unit_test(large_sets_tie_bias),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
