/* test_serve_oom.c -- the service's engine with the N-th allocation failed
 * (issue 9, part 2, over the serve path), for N across a whole life:
 * create (store, checkpoint load, analysis), start (worker, recorder),
 * POST events, decisions, state lookups, relink, checkpoint, decision
 * records, destroy.  Once allocation N+1 fails every later one fails too
 * (alloc.h), in every thread.  Each step must return a status (never
 * crash; leaks are caught by LeakSanitizer in the sanitizer build), and
 * then, with allocation working again, the same database must open, and
 * every event acknowledged during the failing life must be counted:
 * running out of memory never loses an acknowledged event nor leaves a
 * store that fails to open.
 *
 * Bounded: OOM_SAMPLES values of N spread evenly over the life's
 * allocation count K (HUELLA_OOM_RUNS=all runs every N; the figures of a
 * full run are in docs/reliability.md). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/alloc.h"
#include "core/log.h"
#include "serve/engine.h"

/* Each life creates the engine twice (the failing life, then the check),
 * and creation compiles the phrase patterns (~0.9 s): `make test` runs
 * OOM_SAMPLES values of N spread over 0..K; HUELLA_OOM_RUNS=all runs
 * every N (minutes). */
#define OOM_DENSE 0
#define OOM_SAMPLES 8

static char dir[64];

static const char BODY[] =
    "{\"ts\":1700000000,\"account_id\":\"a1\",\"ip\":\"10.0.0.1\",\"model\":\"m\",\"prompt\":\"hi\"}\n"
    "{\"ts\":1700000005,\"account_id\":\"a2\",\"ip\":\"10.0.0.1\",\"model\":\"m\",\"prompt\":\"hi\"}\n"
    "{\"ts\":1700000009,\"kind\":\"account\",\"account_id\":\"a2\",\"account_type\":\"education\","
    "\"payment_fp\":\"pf\"}\n"
    "{\"ts\":1700000010,\"account_id\":\"a1\",\"ip\":\"10.0.0.2\",\"model\":\"m\",\"prompt\":\"yo\"}\n";

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* requests of account id in the engine's state, -1 if unknown */
static long requests_of(struct hu_engine *e, const char *id)
{
    struct hu_buf b;
    hu_buf_init(&b, 1 << 20);
    long n = -1;
    if (hu_engine_account_json(e, id, strlen(id), &b) == HU_OK && strstr(b.ptr, "\"known\":true")) {
        const char *p = strstr(b.ptr, "\"requests\":");
        if (p)
            n = strtol(p + 11, NULL, 10);
    }
    hu_buf_fini(&b);
    return n;
}

/* One life with allocations failing from `fail_n` on (-1: never).  Returns
 * the requests of a1 acknowledged (0 or 2). */
static int life(const char *db, long fail_n, int *acked)
{
    struct hu_engine_opts o = { .db_path = db, .relink_ms = 1, .checkpoint_ms = 1 };
    struct hu_engine *e = NULL;
    char err[512];
    *acked = 0;
    hu_alloc_fail_after(fail_n);
    int rc = hu_engine_create(&o, &e, err, sizeof err);
    if (rc != HU_OK) {
        hu_alloc_fail_after(-1);
        assert_null(e);
        return rc;
    }
    if (hu_engine_start(e) == HU_OK) {
        struct hu_events_result *res = hu_malloc(sizeof *res);
        if (res) {
            rc = hu_engine_post_events(e, BODY, sizeof BODY - 1, res);
            if (rc == HU_OK && res->accepted == 4)
                *acked = 2;
            else
                assert_true(rc == HU_ENOMEM || rc == HU_EIO);
            hu_free(res);
        }
        struct hu_decide_req r;
        memset(&r, 0, sizeof r);
        snprintf(r.account_id, sizeof r.account_id, "a1");
        struct hu_served_decision d;
        int over;
        rc = hu_engine_decide(e, &r, &d, &over);
        assert_true(rc == HU_OK || rc == HU_EINTERNAL);
        rc = hu_engine_account_set(e, HU_STORE_OVERRIDE, "a2", HU_ACTION_BLOCK, "t", "override",
                                   "oom test");
        assert_true(rc == HU_OK || rc == HU_ENOMEM || rc == HU_EIO);
        snprintf(r.account_id, sizeof r.account_id, "a2");
        rc = hu_engine_decide(e, &r, &d, &over);
        assert_true(rc == HU_OK || rc == HU_EINTERNAL);
        struct hu_buf b;
        hu_buf_init(&b, 1 << 20);
        rc = hu_engine_campaigns_json(e, &b);
        assert_true(rc == HU_OK || rc == HU_ENOMEM);
        hu_buf_reset(&b);
        rc = hu_engine_decision_json(e, d.id, &b);
        assert_true(rc == HU_OK || rc == HU_ENOMEM || rc == HU_ENOENT || rc == HU_EIO);
        hu_buf_fini(&b);
        sleep_ms(30);   /* a few worker turns: relinks and checkpoints */
    }
    hu_engine_destroy(e);
    hu_alloc_fail_after(-1);
    return HU_OK;
}

static void serve_engine_oom(void **state)
{
    (void)state;
    hu_log_set_level(HU_LOG_ERROR);
    char db[128];
    snprintf(db, sizeof db, "%s/base.db", dir);
    uint64_t before = hu_alloc_count();
    int acked;
    assert_int_equal(life(db, -1, &acked), HU_OK);
    uint64_t k = hu_alloc_count() - before;
    assert_int_equal(acked, 2);
    const char *all = getenv("HUELLA_OOM_RUNS");
    int every = all && !strcmp(all, "all");
    long runs = 0, failed_create = 0, acked_runs = 0;
    for (long n = 0; n <= (long)k; n++) {
        if (!every && n >= OOM_DENSE) {
            /* OOM_SAMPLES values spread over the rest */
            long step = ((long)k - OOM_DENSE) / OOM_SAMPLES + 1;
            if ((n - OOM_DENSE) % step)
                continue;
        }
        snprintf(db, sizeof db, "%s/n%ld.db", dir, n);
        int a = 0;
        if (life(db, n, &a) != HU_OK)
            failed_create++;
        runs++;
        acked_runs += a > 0;
        /* the store opens, and what was acknowledged is counted */
        struct hu_engine_opts o = { .db_path = db, .relink_ms = 1 };
        struct hu_engine *e = NULL;
        char err[512] = "";
        int rc = hu_engine_create(&o, &e, err, sizeof err);
        if (rc != HU_OK)
            fail_msg("N=%ld: the store does not open after the failing life: %s", n, err);
        assert_int_equal(hu_engine_start(e), HU_OK);
        struct hu_engine_status st;
        for (int i = 0; i < 500; i++) {
            hu_engine_status(e, &st);
            if (!st.replaying && st.applied_seq == st.journal_seq &&
                st.snapshot_seq == st.journal_seq)
                break;
            sleep_ms(10);
        }
        long got = requests_of(e, "a1");
        if (a && got != a)
            fail_msg("N=%ld: %d requests acknowledged, %ld counted", n, a, got);
        hu_engine_destroy(e);
        unlink(db);
    }
    print_message("serve engine OOM: K=%llu allocations per life, %ld runs, %ld failed at create,"
                  " %ld acknowledged events then failed later\n", (unsigned long long)k, runs,
                  failed_create, acked_runs);
    assert_true(runs > 0);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/hu-test-oom-XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(serve_engine_oom),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        rc = rc ? rc : 0;
    return rc;
}
