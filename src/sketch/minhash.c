/*
 * minhash.c -- k-hash MinHash over 64-bit item hashes, 24-bit slots.
 *
 * What.  For k independent hash functions h_i, the signature keeps
 * min over items of h_i(x).  For two sets, P[min_i(A) == min_i(B)] equals
 * their Jaccard similarity J (Broder 1997), so the fraction of equal slots
 * is an estimate with variance J(1-J)/k (plus the tie bias below).
 *
 * Hash functions.  An item (already a 64-bit hash) is remixed once with the
 * splitmix64 finaliser and seed HU_MINHASH_SEED, giving x; slot i uses
 * h_i(x) = high 24 bits of (a_i * x + b_i) mod 2^64, with a_i odd and b_i
 * drawn from splitmix64(HU_MINHASH_SEED) (table below; regenerate with the
 * snippet in docs/internals/sketch.md).  Multiply-add-shift is
 * 2-independent (Dietzfelbinger 1996); min-wise independence is only
 * approximate, so the tests hold the estimator to its stated error against
 * the exact Jaccard rather than trusting the theory.  A value equal to
 * HU_MINHASH_EMPTY (2^24-1) is folded to 2^24-2 so "empty" is unambiguous.
 *
 * Why 24 bits (version 2; version 1 kept the high 32 bits).  The struct is
 * 64 x 3 = 192 bytes instead of 256, 128 bytes less per profile (two
 * signatures), toward issue #8's 2 KiB per account.  t(v) = v >> 8 is
 * monotone, so min(t(a), t(b)) = t(min(a, b)): the 24-bit slot is exactly
 * the truncation of the 32-bit one (fold included: fold24(fold32(v) >> 8)
 * = fold24(v >> 8)), update and merge stay exact and associative, and merge
 * is bit for bit what sequential adds give.  It also makes the v1 -> v2 load
 * exact: a v1 blob's values map to fold24(v >> 8), which is the signature
 * this code computes from the same items (tested against the v1 formula).
 *
 * The price is ties.  Slot i of A and of B are equal when the minimum of
 * A u B lies in A n B (probability J) or, when it does not, when the other
 * set's minimum lands in the same 24-bit cell by chance.  Take hash values
 * as fractions of the range, so a cell is 2^-24 wide, and say the union's
 * minimum m lies in A \ B.  B's n_B items are uniform above m, so
 * P[min B < m + w] ~ n_B w for small w, and the room left in m's cell is
 * uniform in (0, 2^-24), mean 2^-25.  So P[tie | argmin in A \ B] ~
 * n_B / 2^25 (equivalently: min B is ~Exp with mean 2^24 / n_B cells), and
 * as |A \ B| + |B \ A| = (1 - J) |A u B| the estimate's expected value is
 *   J + (|A \ B| n_B + |B \ A| n_A) / (|A u B| 2^25)
 *   <= J + (1 - J) max(n_A, n_B) / 2^25.
 * (With 32 bits the same term is n / 2^33, negligible.)  Numbers: 10^3
 * items 0.003 %, 10^4 (a heavy account's templates in a week; 10-minute
 * slots over 10 weeks) 0.03 %, 10^5 (a long-running heavy account) 0.3 %,
 * 10^6 3 %; the 52,560 10-minute slots of a whole year give 0.16 %.
 * Against the 6.25 % standard error of k = 64 this is noise up to ~10^5
 * items.  It is one-sided: it can only add similarity, and only to big
 * sets (a campaign's accounts reuse a handful of templates).
 * test_sketch_minhash measures it with the exact 32-bit reference: n = 10^4,
 * 120 pairs at J = 1/3: 3 ties in 7,680 slots (3.9e-4; predicted 2.0e-4,
 * i.e. 1.5 expected); n = 10^5, 24 pairs: 2 in 1,536 (1.3e-3; predicted
 * 2.0e-3), every slot equal to the fold of the 32-bit minimum.
 *
 * Why k hashes and not one-permutation hashing: OPH costs one hash per
 * update but leaves empty bins for small sets, and the accounts that matter
 * (campaign accounts reusing 3 templates) are small sets; densification
 * would make merge() inexact.  Profiles skip the update when the item is
 * known to be present already (profile.c), so k = 64 multiply-adds are paid
 * once per new template and once per new 10-minute slot, not per request.
 *
 * Layout: three byte planes, lo[k], mid[k], hi[k]; slot i is lo[i] |
 * mid[i] << 8 | hi[i] << 16 (192 bytes at k = 64).  Planes rather than 3
 * consecutive bytes per slot because every hot loop then works on plain
 * byte arrays that GCC vectorizes with baseline SSE2, in portable C: the
 * update widens the planes to 64 u32, hashes and compares as the 32-bit
 * code did, and writes back only when a slot drops; jaccard ANDs three
 * byte compares per slot.  Measured (microbench, same loaded machine,
 * best of 6): interleaved 3-byte slots cost update 54 ns / jaccard 11 ns
 * even with word-load unpacking and an SSE2 compare; planes cost 46 / 5.5
 * ns against the 32-bit layout's 44 / 5.7.  A band key chains three XXH3
 * calls over its rows' bytes in each plane.
 * Serialized (v2) the payload is the three planes as they are; an empty
 * signature is the bare 16-byte header (flags = 1).  deserialize_safe()
 * still reads v1 (4-byte values, 256-byte payload) as described in the
 * header; every v2 blob re-serializes byte-identically.
 *
 * Error.  test_sketch_minhash: over 300 random set pairs with J from 0 to
 * 1 (exact Jaccard from a hash set), |estimate - J| must stay within
 * 3 sqrt(J(1-J)/k) + 1/k in 99 % of pairs; measured: all 300 within, bias
 * +0.003, RMSE 0.051 (the bound's sigma is <= 0.0625).  LSH 8 bands x 4
 * rows at J = 0.43: 27 % of pairs collide, theory says 24 %.
 *
 * Cost (bench_sketch, v1 -> v2 alternated on the same loaded machine,
 * best of runs): see docs/internals/sketch.md for the table.
 */
#include <math.h>
#include <string.h>
#include "sketch/minhash.h"
#include "sketch/sketch_io.h"
#include "core/hash.h"

_Static_assert(HU_MINHASH_K <= 255, "k must fit the param byte");

/* splitmix64 stream seeded with HU_MINHASH_SEED: (a_i | 1, b_i). */
static const uint64_t mh_coef[64][2] = {
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
_Static_assert(HU_MINHASH_K <= 64, "extend mh_coef for larger k");

static inline void mh_put(struct hu_minhash *mh, unsigned i, uint32_t v)
{
    mh->lo[i] = (uint8_t)v;
    mh->mid[i] = (uint8_t)(v >> 8);
    mh->hi[i] = (uint8_t)(v >> 16);
}

/* The v1 -> v2 map (and the update rule): top 24 of the 32 bits, with
 * 2^24-1 folded to 2^24-2 so a filled slot never reads as empty. */
static inline uint32_t mh_fold24(uint32_t v32)
{
    uint32_t t = v32 >> 8;
    return t - (t == HU_MINHASH_EMPTY);
}

void hu_minhash_init(struct hu_minhash *mh)
{
    memset(mh, 0xff, sizeof *mh);
}

int hu_minhash_is_empty(const struct hu_minhash *mh)
{
    return hu_minhash_slot(mh, 0) == HU_MINHASH_EMPTY;
}

int hu_minhash_update(struct hu_minhash *mh, uint64_t item_hash)
{
    uint64_t x = hu_hash_mix(item_hash ^ HU_MINHASH_SEED);
    /* Three loops GCC vectorizes: widen the planes, hash and compare, and
     * (only when some slot takes a new minimum, rare once a few items are
     * in) write the minima back. */
    uint32_t nv[HU_MINHASH_K], cur[HU_MINHASH_K];
    for (unsigned i = 0; i < HU_MINHASH_K; i++)
        cur[i] = hu_minhash_slot(mh, i);
    uint32_t changed = 0;
    for (unsigned i = 0; i < HU_MINHASH_K; i++) {
        uint32_t v = (uint32_t)((mh_coef[i][0] * x + mh_coef[i][1]) >> 40);
        nv[i] = v - (v == HU_MINHASH_EMPTY);
        changed |= nv[i] < cur[i];
    }
    if (!changed)
        return 0;
    for (unsigned i = 0; i < HU_MINHASH_K; i++)
        mh_put(mh, i, nv[i] < cur[i] ? nv[i] : cur[i]);
    return 1;
}

void hu_minhash_merge(struct hu_minhash *dst, const struct hu_minhash *src)
{
    for (unsigned i = 0; i < HU_MINHASH_K; i++) {
        uint32_t s = hu_minhash_slot(src, i), d = hu_minhash_slot(dst, i);
        mh_put(dst, i, s < d ? s : d);
    }
}

double hu_minhash_jaccard(const struct hu_minhash *a, const struct hu_minhash *b)
{
    if (hu_minhash_is_empty(a) || hu_minhash_is_empty(b))
        return 0.0;
    /* a slot is equal iff its byte is equal in all three planes */
    unsigned eq = 0;
    for (unsigned i = 0; i < HU_MINHASH_K; i++)
        eq += (unsigned)((a->lo[i] == b->lo[i]) & (a->mid[i] == b->mid[i]) &
                         (a->hi[i] == b->hi[i]));
    return (double)eq / (double)HU_MINHASH_K;
}

uint64_t hu_minhash_band_key(const struct hu_minhash *mh, unsigned band, unsigned rows)
{
    if (rows == 0 || rows > HU_MINHASH_K || band >= HU_MINHASH_K / rows)
        return 0;
    /* three chained XXH3 calls straight on the planes: copying the rows to
     * one buffer first costs more (the byte stores stall the hash's wide
     * loads) */
    const unsigned at = band * rows;
    uint64_t h = hu_hash_seeded(mh->lo + at, rows, HU_MINHASH_SEED + band);
    h = hu_hash_seeded(mh->mid + at, rows, h);
    return hu_hash_seeded(mh->hi + at, rows, h);
}

int hu_minhash_bands(const struct hu_minhash *mh, unsigned bands, unsigned rows, uint64_t *out)
{
    if (!mh || !out || rows == 0 || bands == 0 || bands > HU_MINHASH_K / rows)
        return HU_EINVAL;
    for (unsigned b = 0; b < bands; b++)
        out[b] = hu_minhash_band_key(mh, b, rows);
    return HU_OK;
}

double hu_minhash_lsh_prob(double j, unsigned bands, unsigned rows)
{
    return 1.0 - pow(1.0 - pow(j, (double)rows), (double)bands);
}

/* ---- serialization ------------------------------------------------------ */

size_t hu_minhash_serialized_size(const struct hu_minhash *mh)
{
    return hu_minhash_is_empty(mh) ? HU__SKETCH_HDR : HU_MINHASH_SERIALIZED_MAX;
}

/* flags 1 = empty signature, no payload; flags 0 = the three byte planes
 * (k low bytes, k middle, k high: the in-memory layout, copied as is). */
size_t hu_minhash_serialize(const struct hu_minhash *mh, void *buf)
{
    if (hu_minhash_is_empty(mh)) {
        hu__sketch_hdr_put(buf, "HUmh", HU_MINHASH_VERSION, HU_MINHASH_K, 1, 0);
        return HU__SKETCH_HDR;
    }
    memcpy((uint8_t *)buf + HU__SKETCH_HDR, mh, sizeof *mh);
    hu__sketch_hdr_put(buf, "HUmh", HU_MINHASH_VERSION, HU_MINHASH_K, 0, 3u * HU_MINHASH_K);
    return HU_MINHASH_SERIALIZED_MAX;
}

const char *hu_minhash_validate(const struct hu_minhash *mh)
{
    if (!mh)
        return "null signature";
    int empty0 = hu_minhash_slot(mh, 0) == HU_MINHASH_EMPTY;
    for (unsigned i = 1; i < HU_MINHASH_K; i++)
        if ((hu_minhash_slot(mh, i) == HU_MINHASH_EMPTY) != empty0)
            return "signature partly empty";
    return NULL;
}

int hu_minhash_deserialize_safe(struct hu_minhash *mh, const void *buf, size_t len)
{
    if (!mh)
        return HU_EINVAL;
    hu_minhash_init(mh);
    const uint8_t *in = buf;
    /* the envelope names the version; v1 payloads hold 4-byte values */
    int v1 = in && len >= HU__SKETCH_HDR && in[4] == HU_MINHASH_VERSION_V1;
    uint32_t width = v1 ? 4u : 3u;
    uint8_t flags;
    uint32_t pl;
    int rc = hu__sketch_hdr_get(in, len, "HUmh", v1 ? HU_MINHASH_VERSION_V1 : HU_MINHASH_VERSION,
                                HU_MINHASH_K, &flags, &pl, 0, width * HU_MINHASH_K);
    if (rc != HU_OK)
        return rc;
    if (flags == 1 && pl == 0)
        return (int)HU__SKETCH_HDR;            /* empty: *mh already is */
    if (flags != 0 || pl != width * HU_MINHASH_K)
        return HU_ECORRUPT;
    const uint8_t *p = in + HU__SKETCH_HDR;
    int bad = 0;
    if (v1) {
        /* a v1 slot is empty iff it is 2^32-1; any other value maps to
         * fold24(v), never empty, so "partly empty" must be caught here */
        int empty0 = hu__get_u32(p) == UINT32_MAX;
        for (unsigned i = 0; i < HU_MINHASH_K; i++) {
            uint32_t v = hu__get_u32(p + 4 * i);
            bad |= (v == UINT32_MAX) != empty0;
            mh_put(mh, i, v == UINT32_MAX ? HU_MINHASH_EMPTY : mh_fold24(v));
        }
    } else {
        memcpy(mh, p, sizeof *mh);
    }
    /* an all-empty payload must use the empty form (one canonical encoding) */
    if (bad || hu_minhash_validate(mh) || hu_minhash_is_empty(mh)) {
        hu_minhash_init(mh);
        return HU_ECORRUPT;
    }
    return (int)(HU__SKETCH_HDR + pl);
}
