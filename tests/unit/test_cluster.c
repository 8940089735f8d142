/* test_cluster.c -- the scale-out pieces that need no server: summary and
 * marker encodings (round trip, every truncation refused), shard lists,
 * the shard function, the worker's SQLite checkpoint, and the linker's
 * import path against one observer that saw every event (the reference). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cluster/cluster.h"
#include "cluster/worker_store.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "ingest/ingest.h"
#include "profile/observer.h"

/* n request lines over a few accounts, shared addresses and fingerprints */
static char *make_line(int i, char *buf, size_t cap)
{
    snprintf(buf, cap,
             "{\"ts\":%d,\"account_id\":\"acct-%d\",\"ip\":\"198.51.%d.%d\",\"client_fp\":\"ja4_%d\","
             "\"user_agent\":\"ua/%d\",\"payment_fp\":\"card-%d\",\"model\":\"m1\",\"prompt\":\"task %d: explain step %d\"}",
             1770000000 + i * 7, i % 13, i % 5, i % 11, i % 3, i % 4, i % 6, i % 9, i);
    return buf;
}

static struct hu_observer *new_observer(void)
{
    struct hu_observer *o = NULL;
    struct hu_observer_config oc;
    memset(&oc, 0, sizeof oc);
    assert_int_equal(hu_observer_create(&oc, &o, NULL, 0), HU_OK);
    return o;
}

static void summary_round_trip_and_truncations(void **state)
{
    (void)state;
    struct hu_observer *o = new_observer();
    struct hu_line_parser *lp;
    assert_int_equal(hu_line_parser_create(&lp, NULL), HU_OK);
    char line[512];
    for (int i = 0; i < 200; i++) {
        struct hu_event ev;
        make_line(i, line, sizeof line);
        assert_int_equal(hu_line_parse(lp, line, strlen(line), &ev), HU_REJECT_NONE);
        assert_int_equal(hu_observer_observe(o, &ev), HU_OK);
    }
    const struct hu_profile_table *t = hu_observer_table(o);
    struct hu_summary *s = hu_malloc(sizeof *s), *d = hu_malloc(sizeof *d);
    assert_non_null(s);
    assert_non_null(d);
    memset(s, 0, sizeof *s);
    s->shard = 7;
    s->first_seq = 11;
    s->last_seq = 99;
    s->id = hu_profile_table_id(t, 0, &s->id_len);
    memcpy(&s->prof, hu_profile_table_at(t, 0), sizeof s->prof);
    const struct hu_entity_dict *dict = hu_observer_dict(o);
    hu_summary_collect_entities(s, &dict, 1);
    assert_true(s->n_ent >= 4);               /* ip, prefix, client_fp, ua, payment */
    struct hu_buf b;
    hu_buf_init(&b, 1 << 20);
    assert_int_equal(hu_summary_encode(s, &b), HU_OK);
    assert_int_equal(hu_summary_decode(d, b.ptr, b.len), HU_OK);
    assert_int_equal(d->shard, 7);
    assert_int_equal(d->first_seq, 11);
    assert_int_equal(d->last_seq, 99);
    assert_int_equal(d->id_len, s->id_len);
    assert_memory_equal(d->id, s->id, s->id_len);
    uint8_t p1[HU_PROFILE_SERIALIZED_MAX], p2[HU_PROFILE_SERIALIZED_MAX];
    size_t n1 = hu_profile_serialize(&s->prof, p1, sizeof p1), n2 = hu_profile_serialize(&d->prof, p2, sizeof p2);
    assert_int_equal(n1, n2);
    assert_memory_equal(p1, p2, n1);
    assert_int_equal(d->n_ent, s->n_ent);
    for (size_t i = 0; i < s->n_ent; i++) {
        assert_int_equal(d->ent[i].hash, s->ent[i].hash);
        assert_int_equal(d->ent[i].len, s->ent[i].len);
        assert_memory_equal(d->ent[i].value, s->ent[i].value, s->ent[i].len);
    }
    /* every strict prefix is refused, and so is one byte more */
    for (size_t cut = 0; cut < b.len; cut++) {
        char *copy = hu_malloc(cut ? cut : 1);
        memcpy(copy, b.ptr, cut);
        assert_int_equal(hu_summary_decode(d, copy, cut), HU_ECORRUPT);
        hu_free(copy);
    }
    char *longer = hu_malloc(b.len + 1);
    memcpy(longer, b.ptr, b.len);
    longer[b.len] = 0;
    assert_int_equal(hu_summary_decode(d, longer, b.len + 1), HU_ECORRUPT);
    /* a summary whose id does not hash to the profile's account is refused */
    longer[4 + 4 + 8 + 8 + 2] ^= 1;
    assert_int_equal(hu_summary_decode(d, longer, b.len), HU_ECORRUPT);
    hu_free(longer);
    /* flipped bytes: refused or accepted, never a crash (ASan run) */
    for (size_t i = 0; i < b.len; i += 7) {
        b.ptr[i] ^= 0x5a;
        int r = hu_summary_decode(d, b.ptr, b.len);
        assert_true(r == HU_OK || r == HU_ECORRUPT);
        b.ptr[i] ^= 0x5a;
    }
    hu_buf_fini(&b);
    hu_free(s);
    hu_free(d);
    hu_line_parser_destroy(lp);
    hu_observer_destroy(o);
}

static void marker_round_trip(void **state)
{
    (void)state;
    struct hu_marker *m = hu_calloc(1, sizeof *m), *d = hu_calloc(1, sizeof *d);
    m->shard = 3;
    m->seq = 123456;
    m->c.requests = 77;
    m->c.account_events = 5;
    m->c.first_ts = -5;
    m->c.last_ts = 1770000000000;
    m->n_rel = 2;
    m->rel[0] = (struct hu_release){ 42, 1000 };
    m->rel[1] = (struct hu_release){ 43, -1 };
    snprintf(m->worker, sizeof m->worker, "w-1");
    struct hu_buf b;
    hu_buf_init(&b, 1 << 20);
    assert_int_equal(hu_marker_encode(m, &b), HU_OK);
    assert_int_equal(hu_marker_decode(d, b.ptr, b.len), HU_OK);
    assert_int_equal(d->seq, 123456);
    assert_int_equal(d->c.requests, 77);
    assert_int_equal(d->c.first_ts, -5);
    assert_int_equal(d->c.last_ts, 1770000000000);
    assert_int_equal(d->n_rel, 2);
    assert_int_equal(d->rel[1].ts_ms, -1);
    assert_string_equal(d->worker, "w-1");
    for (size_t cut = 0; cut < b.len; cut++)
        assert_int_equal(hu_marker_decode(d, b.ptr, cut), HU_ECORRUPT);
    hu_buf_fini(&b);
    hu_free(m);
    hu_free(d);
}

static int bit(const uint8_t *b, unsigned k) { return (b[k / 8] >> (k % 8)) & 1; }

static void shard_lists(void **state)
{
    (void)state;
    uint8_t b[HU_CLUSTER_MAX_SHARDS / 8];
    assert_int_equal(hu_cluster_parse_shards("0-3,8,10-11", 16, b), HU_OK);
    for (unsigned k = 0; k < 16; k++)
        assert_int_equal(bit(b, k), k <= 3 || k == 8 || k == 10 || k == 11);
    assert_int_equal(hu_cluster_parse_shards("all", 16, b), HU_OK);
    for (unsigned k = 0; k < 16; k++)
        assert_true(bit(b, k));
    const char *bad[] = { "", "3-1", "16", "0-16", "a", "1,,2", "1-", "-1", "1 2" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(hu_cluster_parse_shards(bad[i], 16, b), HU_EINVAL);
}

static void shard_function_spreads(void **state)
{
    (void)state;
    unsigned count[16] = { 0 };
    char id[32];
    for (int i = 0; i < 16000; i++) {
        int n = snprintf(id, sizeof id, "acct_%d", i);
        unsigned k = hu_cluster_shard(id, (size_t)n, 16);
        assert_true(k < 16);
        assert_int_equal(k, hu_cluster_shard(id, (size_t)n, 16));   /* stable */
        count[k]++;
    }
    for (unsigned k = 0; k < 16; k++) {
        assert_true(count[k] > 850);          /* expected 1000, sd ~31 */
        assert_true(count[k] < 1150);
    }
    assert_true(hu_cluster_shard(NULL, 0, 16) < 16);   /* model_release: no account */
}

static int count_rows(void *ctx, uint64_t last_seq, const void *summary, size_t len)
{
    (void)summary;
    *(uint64_t *)ctx += last_seq + len;
    return 0;
}

static void worker_store_checkpoint(void **state)
{
    (void)state;
    char path[] = "/tmp/hu_wstore_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    struct hu_wstore *s = NULL;
    char err[256];
    assert_int_equal(hu_wstore_open(path, &s, err, sizeof err), HU_OK);
    uint64_t seq = 0, pub = 0;
    char *m = NULL;
    size_t len = 0;
    assert_int_equal(hu_wstore_get_shard(s, 2, &seq, &pub, &m, &len), HU_ENOENT);
    assert_int_equal(hu_wstore_begin(s), HU_OK);
    assert_int_equal(hu_wstore_put_account(s, 2, "a", 1, 10, "xx", 2), HU_OK);
    assert_int_equal(hu_wstore_put_account(s, 2, "b", 1, 12, "yyy", 3), HU_OK);
    assert_int_equal(hu_wstore_put_account(s, 2, "a", 1, 15, "zzzz", 4), HU_OK);   /* upsert */
    assert_int_equal(hu_wstore_put_account(s, 3, "c", 1, 1, "w", 1), HU_OK);
    assert_int_equal(hu_wstore_put_shard(s, 2, 15, "MK", 2), HU_OK);
    assert_int_equal(hu_wstore_commit(s), HU_OK);
    /* an uncommitted checkpoint leaves nothing behind */
    assert_int_equal(hu_wstore_begin(s), HU_OK);
    assert_int_equal(hu_wstore_put_shard(s, 2, 99, "XX", 2), HU_OK);
    hu_wstore_rollback(s);
    hu_wstore_close(s);
    assert_int_equal(hu_wstore_open(path, &s, err, sizeof err), HU_OK);
    assert_int_equal(hu_wstore_get_shard(s, 2, &seq, &pub, &m, &len), HU_OK);
    assert_int_equal(seq, 15);
    assert_int_equal(pub, 0);
    assert_int_equal(len, 2);
    assert_memory_equal(m, "MK", 2);
    hu_free(m);
    assert_int_equal(hu_wstore_set_published(s, 2, 15), HU_OK);
    assert_int_equal(hu_wstore_get_shard(s, 2, &seq, &pub, &m, &len), HU_OK);
    assert_int_equal(pub, 15);
    hu_free(m);
    uint64_t sum = 0;
    assert_int_equal(hu_wstore_scan_shard(s, 2, count_rows, &sum), 2);
    assert_int_equal(sum, 15 + 4 + 12 + 3);
    assert_int_equal(hu_wstore_drop_shard(s, 2), HU_OK);
    assert_int_equal(hu_wstore_scan_shard(s, 2, count_rows, &sum), 0);
    assert_int_equal(hu_wstore_scan_shard(s, 3, count_rows, &sum), 1);
    hu_wstore_close(s);
    unlink(path);
    char wal[64];
    snprintf(wal, sizeof wal, "%s-wal", path);
    unlink(wal);
    snprintf(wal, sizeof wal, "%s-shm", path);
    unlink(wal);
}

/* The linker's path (shard -> summaries -> import in first-seen order)
 * against one observer that saw every event: same accounts in the same
 * order, byte-identical profiles, same counters. */
struct ordered {
    uint64_t first_seq;
    char *bytes;
    size_t len;
};

static int cmp_ordered(const void *x, const void *y)
{
    const struct ordered *a = x, *b = y;
    return (a->first_seq > b->first_seq) - (a->first_seq < b->first_seq);
}

static void sharded_import_equals_one_observer(void **state)
{
    (void)state;
    enum { N_SHARDS = 4, N_EV = 600 };
    struct hu_observer *ref = new_observer(), *sh[N_SHARDS], *lk = new_observer();
    for (int k = 0; k < N_SHARDS; k++)
        sh[k] = new_observer();
    uint64_t first[N_SHARDS][64];
    memset(first, 0, sizeof first);
    struct hu_line_parser *lp;
    assert_int_equal(hu_line_parser_create(&lp, NULL), HU_OK);
    char line[512];
    for (int i = 0; i < N_EV; i++) {
        struct hu_event ev;
        make_line(i, line, sizeof line);
        assert_int_equal(hu_line_parse(lp, line, strlen(line), &ev), HU_REJECT_NONE);
        assert_int_equal(hu_observer_observe(ref, &ev), HU_OK);
        unsigned k = hu_cluster_shard(ev.account_id.ptr, ev.account_id.len, N_SHARDS);
        size_t before = hu_profile_table_count(hu_observer_table(sh[k]));
        assert_int_equal(hu_observer_observe(sh[k], &ev), HU_OK);
        if (hu_profile_table_count(hu_observer_table(sh[k])) > before)
            first[k][before] = (uint64_t)i + 1;            /* stream sequence of the first event */
    }
    struct ordered v[64];
    size_t n = 0;
    struct hu_summary *s = hu_malloc(sizeof *s), *d = hu_malloc(sizeof *d);
    struct hu_observer_counts total = { 0 }, c;
    total.first_ts = INT64_MAX;
    total.last_ts = INT64_MIN;
    for (int k = 0; k < N_SHARDS; k++) {
        const struct hu_profile_table *t = hu_observer_table(sh[k]);
        const struct hu_entity_dict *dict = hu_observer_dict(sh[k]);
        for (size_t i = 0; i < hu_profile_table_count(t); i++) {
            memset(s, 0, sizeof *s);
            s->shard = (uint32_t)k;
            s->first_seq = first[k][i];
            s->id = hu_profile_table_id(t, i, &s->id_len);
            memcpy(&s->prof, hu_profile_table_at(t, i), sizeof s->prof);
            hu_summary_collect_entities(s, &dict, 1);
            struct hu_buf b;
            hu_buf_init(&b, 1 << 20);
            assert_int_equal(hu_summary_encode(s, &b), HU_OK);
            v[n].first_seq = s->first_seq;
            v[n].bytes = hu_buf_take(&b, &v[n].len);
            n++;
        }
        hu_observer_counts(sh[k], &c);
        hu_observer_import_counts(lk, &c);
        (void)total;
    }
    qsort(v, n, sizeof v[0], cmp_ordered);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(hu_summary_decode(d, v[i].bytes, v[i].len), HU_OK);
        assert_int_equal(hu_observer_import_profile(lk, d->id, d->id_len, &d->prof), HU_OK);
        for (size_t e = 0; e < d->n_ent; e++)
            hu_observer_import_entity(lk, (enum hu_dict_kind)d->ent[e].kind, d->ent[e].hash, d->ent[e].value,
                                      d->ent[e].len);
        hu_free(v[i].bytes);
    }
    const struct hu_profile_table *a = hu_observer_table(ref), *b = hu_observer_table(lk);
    assert_int_equal(hu_profile_table_count(a), hu_profile_table_count(b));
    assert_int_equal(hu_profile_table_count(a), 13);
    for (size_t i = 0; i < hu_profile_table_count(a); i++) {
        size_t la, lb;
        const char *ia = hu_profile_table_id(a, i, &la), *ib = hu_profile_table_id(b, i, &lb);
        assert_int_equal(la, lb);
        assert_memory_equal(ia, ib, la);                   /* first-seen order */
        uint8_t p1[HU_PROFILE_SERIALIZED_MAX], p2[HU_PROFILE_SERIALIZED_MAX];
        size_t n1 = hu_profile_serialize(hu_profile_table_at(a, i), p1, sizeof p1);
        size_t n2 = hu_profile_serialize(hu_profile_table_at(b, i), p2, sizeof p2);
        assert_int_equal(n1, n2);
        assert_memory_equal(p1, p2, n1);
        /* every printable value of the account's sets made it across */
        struct hu_kmv ks;
        const struct hu_kmv *ips = hu_profile_set(hu_profile_table_at(a, i), HU_PSET_IP, &ks);
        for (unsigned j = 0; j < ips->n; j++)
            assert_string_equal(hu_dict_get(hu_observer_dict(ref), HU_DICT_IP, ips->h[j]),
                                hu_dict_get(hu_observer_dict(lk), HU_DICT_IP, ips->h[j]));
    }
    struct hu_observer_counts ca, cb;
    hu_observer_counts(ref, &ca);
    hu_observer_counts(lk, &cb);
    assert_int_equal(ca.requests, cb.requests);
    assert_int_equal(ca.first_ts, cb.first_ts);
    assert_int_equal(ca.last_ts, cb.last_ts);
    hu_free(s);
    hu_free(d);
    hu_line_parser_destroy(lp);
    for (int k = 0; k < N_SHARDS; k++)
        hu_observer_destroy(sh[k]);
    hu_observer_destroy(ref);
    hu_observer_destroy(lk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(summary_round_trip_and_truncations),
        cmocka_unit_test(marker_round_trip),
        cmocka_unit_test(shard_lists),
        cmocka_unit_test(shard_function_spreads),
        cmocka_unit_test(worker_store_checkpoint),
        cmocka_unit_test(sharded_import_equals_one_observer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
