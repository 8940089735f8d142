/* test_store.c -- the service's SQLite store: journal append and replay in
 * order across a reopen, checkpoint replace/load, overrides and allowlist
 * with their audit rows, refusal of a file that is not a database. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "core/alloc.h"
#include "store/store.h"

static char dir[64];

static void path_in(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", dir, name);
}

struct lines {
    uint64_t seqs[64];
    char text[64][32];
    size_t n;
    size_t stop_after;
};

static int collect(void *ctx, uint64_t seq, const char *line, size_t len)
{
    struct lines *l = ctx;
    if (l->n < 64) {
        l->seqs[l->n] = seq;
        size_t k = len < sizeof l->text[0] - 1 ? len : sizeof l->text[0] - 1;
        if (line)   /* NULL: a row that failed its checksum (len 0) */
            memcpy(l->text[l->n], line, k);
        l->text[l->n][k] = 0;
        l->n++;
    }
    return l->stop_after && l->n >= l->stop_after;
}

static void journal_roundtrip(void **state)
{
    (void)state;
    char p[128];
    path_in(p, sizeof p, "j.db");
    struct hu_store *s = NULL;
    char err[256];
    assert_int_equal(hu_store_open(p, NULL, &s, err, sizeof err), HU_OK);
    assert_int_equal(hu_store_journal_last(s), 0);
    const char *a[] = { "{\"a\":1}", "", "{\"a\":3}" };
    size_t al[] = { 7, 0, 7 };
    uint64_t first = 0, last = 0;
    assert_int_equal(hu_store_journal_append(s, a, al, 3, 1000, &first, &last), HU_OK);
    assert_int_equal(first, 1);
    assert_int_equal(last, 3);
    const char *b[] = { "x\0y" };
    size_t bl[] = { 3 };   /* embedded NUL survives: lines are blobs */
    assert_int_equal(hu_store_journal_append(s, b, bl, 1, 1001, &first, &last), HU_OK);
    assert_int_equal(first, 4);
    assert_int_equal(hu_store_journal_append(s, NULL, NULL, 0, 1002, NULL, NULL), HU_OK);
    hu_store_close(s);

    s = NULL;
    assert_int_equal(hu_store_open(p, NULL, &s, err, sizeof err), HU_OK);
    assert_int_equal(hu_store_journal_last(s), 4);
    struct lines l = { .n = 0 };
    assert_int_equal(hu_store_journal_read(s, 0, 100, collect, &l), 4);
    assert_int_equal(l.n, 4);
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(l.seqs[i], i + 1);
    assert_string_equal(l.text[0], "{\"a\":1}");
    assert_string_equal(l.text[1], "");
    assert_memory_equal(l.text[3], "x\0y", 3);
    /* resume after a position, bounded batches, early stop */
    struct lines m = { .n = 0 };
    assert_int_equal(hu_store_journal_read(s, 2, 1, collect, &m), 1);
    assert_int_equal(m.seqs[0], 3);
    struct lines k = { .n = 0, .stop_after = 2 };
    assert_int_equal(hu_store_journal_read(s, 0, 100, collect, &k), 2);
    struct lines e = { .n = 0 };
    assert_int_equal(hu_store_journal_read(s, 4, 100, collect, &e), 0);
    assert_int_equal(hu_store_degraded(s), 0);
    hu_store_close(s);
}

struct ck {
    char ids[8][16];
    double scores[8];
    int actions[8];
    char camps[8][16];
    size_t n, nc;
    char cjson[4][64];
};

static int ck_acct(void *ctx, const struct hu_store_account_row *r)
{
    struct ck *c = ctx;
    snprintf(c->ids[c->n], 16, "%.*s", (int)r->account_id_len, r->account_id);
    c->scores[c->n] = r->score;
    c->actions[c->n] = r->action;
    snprintf(c->camps[c->n], 16, "%s", r->campaign);
    c->n++;
    return 0;
}

static int ck_camp(void *ctx, const struct hu_store_campaign_row *r)
{
    struct ck *c = ctx;
    snprintf(c->cjson[c->nc], 64, "%.*s", (int)r->json_len, r->json);
    c->nc++;
    return 0;
}

static void checkpoint_replace(void **state)
{
    (void)state;
    char p[128];
    path_in(p, sizeof p, "c.db");
    struct hu_store *s = NULL;
    assert_int_equal(hu_store_open(p, NULL, &s, NULL, 0), HU_OK);
    uint64_t seq = 99;
    struct ck c = { .n = 0 };
    assert_int_equal(hu_store_checkpoint_load(s, &seq, ck_acct, ck_camp, &c), HU_OK);
    assert_int_equal(seq, 0);
    assert_int_equal(c.n, 0);

    for (int round = 0; round < 2; round++) {
        assert_int_equal(hu_store_checkpoint_begin(s, 10 + (uint64_t)round, 0xabc, 5), HU_OK);
        for (int i = 0; i < 3 - round; i++) {
            char id[16];
            snprintf(id, sizeof id, "a%d", i);
            struct hu_store_account_row r = { id, strlen(id), 0.25 * i + round, i, i, i ? "C-1" : "",
                                              7, "x=1" };
            assert_int_equal(hu_store_checkpoint_account(s, &r), HU_OK);
        }
        struct hu_store_campaign_row cr = { "C-1", 0.9, 2, "{\"id\":\"C-1\"}", 12 };
        assert_int_equal(hu_store_checkpoint_campaign(s, &cr), HU_OK);
        assert_int_equal(hu_store_checkpoint_commit(s), HU_OK);
    }
    /* an aborted checkpoint leaves the previous one */
    assert_int_equal(hu_store_checkpoint_begin(s, 50, 1, 6), HU_OK);
    hu_store_checkpoint_abort(s);
    hu_store_close(s);

    s = NULL;
    assert_int_equal(hu_store_open(p, NULL, &s, NULL, 0), HU_OK);
    memset(&c, 0, sizeof c);
    assert_int_equal(hu_store_checkpoint_load(s, &seq, ck_acct, ck_camp, &c), HU_OK);
    assert_int_equal(seq, 11);
    assert_int_equal(c.n, 2);            /* the second round replaced the first */
    assert_string_equal(c.ids[1], "a1");
    assert_true(c.scores[1] > 1.24 && c.scores[1] < 1.26);
    assert_int_equal(c.actions[1], 1);
    assert_string_equal(c.camps[0], "");
    assert_string_equal(c.camps[1], "C-1");
    assert_int_equal(c.nc, 1);
    assert_string_equal(c.cjson[0], "{\"id\":\"C-1\"}");
    hu_store_close(s);
}

struct ent {
    char acct[8][16], action[8][16], actor[8][16];
    size_t n;
};

static int ent_fn(void *ctx, const char *a, const char *action, const char *actor,
                  const char *reason, int64_t ts)
{
    struct ent *e = ctx;
    (void)reason;
    (void)ts;
    snprintf(e->acct[e->n], 16, "%s", a);
    snprintf(e->action[e->n], 16, "%s", action);
    snprintf(e->actor[e->n], 16, "%s", actor);
    e->n++;
    return 0;
}

struct aud {
    char line[8][96];
    size_t n;
};

static int aud_fn(void *ctx, uint64_t seq, int64_t ts, const char *actor, const char *verb,
                  const char *target, const char *reason)
{
    struct aud *a = ctx;
    snprintf(a->line[a->n], 96, "%llu %lld %s %s %s %s", (unsigned long long)seq, (long long)ts,
             actor, verb, target, reason);
    a->n++;
    return 0;
}

static void overrides_and_audit(void **state)
{
    (void)state;
    char p[128];
    path_in(p, sizeof p, "o.db");
    struct hu_store *s = NULL;
    assert_int_equal(hu_store_open(p, NULL, &s, NULL, 0), HU_OK);
    assert_int_equal(hu_store_account_set(s, HU_STORE_OVERRIDE, "acct-1", "block", "alice",
                                          "block", "ticket 12", 100), HU_OK);
    assert_int_equal(hu_store_account_set(s, HU_STORE_OVERRIDE, "acct-2", "throttle", "alice",
                                          "throttle", "ticket 13", 101), HU_OK);
    assert_int_equal(hu_store_account_set(s, HU_STORE_OVERRIDE, "acct-1", "allow", "bob",
                                          "unblock", "appeal 7 upheld", 102), HU_OK);
    assert_int_equal(hu_store_account_set(s, HU_STORE_OVERRIDE, "acct-2", NULL, "bob", "clear",
                                          "done", 103), HU_OK);
    assert_int_equal(hu_store_account_set(s, HU_STORE_ALLOWLIST, "acct-9", "allow", "carol",
                                          "allowlist_add", "partner", 104), HU_OK);
    hu_store_close(s);
    s = NULL;
    assert_int_equal(hu_store_open(p, NULL, &s, NULL, 0), HU_OK);
    struct ent e = { .n = 0 };
    assert_int_equal(hu_store_list_load(s, HU_STORE_OVERRIDE, ent_fn, &e), HU_OK);
    assert_int_equal(e.n, 1);
    assert_string_equal(e.acct[0], "acct-1");
    assert_string_equal(e.action[0], "allow");
    assert_string_equal(e.actor[0], "bob");
    struct ent al = { .n = 0 };
    assert_int_equal(hu_store_list_load(s, HU_STORE_ALLOWLIST, ent_fn, &al), HU_OK);
    assert_int_equal(al.n, 1);
    assert_string_equal(al.acct[0], "acct-9");
    struct aud a = { .n = 0 };
    assert_int_equal(hu_store_audit_read(s, 0, 10, aud_fn, &a), 5);
    assert_string_equal(a.line[0], "1 100 alice block acct-1 ticket 12");
    assert_string_equal(a.line[2], "3 102 bob unblock acct-1 appeal 7 upheld");
    assert_string_equal(a.line[4], "5 104 carol allowlist_add acct-9 partner");
    struct aud b = { .n = 0 };
    assert_int_equal(hu_store_audit_read(s, 3, 10, aud_fn, &b), 2);
    hu_store_close(s);
}

static void refuses_non_database(void **state)
{
    (void)state;
    char p[128];
    path_in(p, sizeof p, "notadb.db");
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    for (int i = 0; i < 200; i++)
        fputs("this is not a database file at all\n", f);
    fclose(f);
    struct hu_store *s = (struct hu_store *)1;
    char err[256] = "";
    assert_int_equal(hu_store_open(p, NULL, &s, err, sizeof err), HU_EIO);
    assert_null(s);
    assert_non_null(strstr(err, p));
    hu_store_close(NULL);
    /* a directory that does not exist */
    s = NULL;
    assert_int_not_equal(hu_store_open("/nonexistent-dir/x.db", NULL, &s, err, sizeof err), HU_OK);
    assert_null(s);
}

static void refuses_newer_schema(void **state)
{
    (void)state;
    char p[128];
    path_in(p, sizeof p, "v.db");
    struct hu_store *s = NULL;
    assert_int_equal(hu_store_open(p, NULL, &s, NULL, 0), HU_OK);
    hu_store_close(s);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "UPDATE meta SET value='99'", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    char err[256] = "";
    s = NULL;
    assert_int_equal(hu_store_open(p, NULL, &s, err, sizeof err), HU_EVERSION);
    assert_non_null(strstr(err, "newer"));
}

static int sql(const char *path, const char *q)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open(path, &db);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, q, NULL, NULL, NULL);
    sqlite3_close(db);
    return rc;
}

struct st_seen {
    int blobs, dict, prof;
    char last_blob[32];
    uint64_t last_rec;
};

static int seen_blob(void *ctx, const char *name, const void *d, size_t len)
{
    struct st_seen *x = ctx;
    (void)d; (void)len;
    x->blobs++;
    snprintf(x->last_blob, sizeof x->last_blob, "%s", name);
    return 0;
}
static int seen_dict(void *ctx, uint64_t i, uint64_t key, const char *v, size_t len)
{
    struct st_seen *x = ctx;
    (void)key; (void)v; (void)len;
    assert_int_equal(i, (uint64_t)x->dict);
    x->dict++;
    return 0;
}
static int seen_prof(void *ctx, uint64_t rec, const char *id, size_t id_len, const void *b, size_t len)
{
    struct st_seen *x = ctx;
    (void)id; (void)id_len; (void)b; (void)len;
    x->prof++;
    x->last_rec = rec;
    return 0;
}

/* profiles, dictionary and blobs come back; a changed profile replaces its
 * row; a flipped byte in any row is reported as corruption, never used */
static void state_roundtrip_and_checksums(void **state)
{
    (void)state;
    char p[128];
    path_in(p, sizeof p, "st.db");
    struct hu_store *s = NULL;
    assert_int_equal(hu_store_open(p, NULL, &s, NULL, 0), HU_OK);
    struct hu_store_state_fns fns = { seen_blob, seen_dict, seen_prof };
    struct st_seen x = { 0 };
    uint64_t seq = 99;
    assert_int_equal(hu_store_state_load(s, &seq, &fns, &x), HU_OK);
    assert_int_equal(seq, 0);
    assert_int_equal(x.prof + x.dict + x.blobs, 0);
    for (int round = 0; round < 2; round++) {
        struct hu_store_ckpt_head h = { .profile_seq = 10 + (uint64_t)round, .now_ms = 1 };
        assert_int_equal(hu_store_checkpoint_start(s, &h), HU_OK);
        assert_int_equal(hu_store_checkpoint_profile(s, 0, "a", 1, "blob-a", 6), HU_OK);
        if (round)
            assert_int_equal(hu_store_checkpoint_profile(s, 1, "b", 1, "blob-b", 6), HU_OK);
        assert_int_equal(hu_store_checkpoint_dict(s, (uint64_t)round, 77, "1.2.3.4", 7), HU_OK);
        assert_int_equal(hu_store_checkpoint_blob(s, "observer", "xyz", 3), HU_OK);
        assert_int_equal(hu_store_checkpoint_commit(s), HU_OK);
    }
    /* a snapshot-only checkpoint keeps the state's seq */
    assert_int_equal(hu_store_checkpoint_begin(s, 5, 1, 2), HU_OK);
    assert_int_equal(hu_store_checkpoint_commit(s), HU_OK);
    memset(&x, 0, sizeof x);
    assert_int_equal(hu_store_state_load(s, &seq, &fns, &x), HU_OK);
    assert_int_equal(seq, 11);
    assert_int_equal(x.prof, 2);
    assert_int_equal(x.dict, 2);
    assert_int_equal(x.blobs, 1);
    assert_string_equal(x.last_blob, "observer");
    assert_int_equal(hu_store_degraded(s), 0);
    hu_store_close(s);
    /* flip one byte of a profile blob, of a dictionary value, of a blob */
    static const char *const flips[] = {
        "UPDATE ckpt_profiles SET blob = CAST('blob-X' AS BLOB) WHERE rec = 1",
        "UPDATE ckpt_dict SET value = CAST('1.2.3.5' AS BLOB) WHERE i = 0",
        "UPDATE ckpt_blobs SET data = CAST('xyZ' AS BLOB)",
        "UPDATE ckpt_profiles SET account_id = CAST('c' AS BLOB) WHERE rec = 0",
    };
    for (size_t k = 0; k < sizeof flips / sizeof flips[0]; k++) {
        char q[128];
        snprintf(q, sizeof q, "%s/st%zu.db", dir, k);
        char cmd[400];
        snprintf(cmd, sizeof cmd, "cp %s %s", p, q);
        assert_int_equal(system(cmd), 0);
        assert_int_equal(sql(q, flips[k]), SQLITE_OK);
        s = NULL;
        assert_int_equal(hu_store_open(q, NULL, &s, NULL, 0), HU_OK);   /* structure is fine */
        memset(&x, 0, sizeof x);
        assert_int_equal(hu_store_state_load(s, &seq, &fns, &x), HU_ECORRUPT);
        assert_int_equal(hu_store_degraded(s), 1);
        assert_int_equal(hu_store_corrupt_rows(s), 1);
        hu_store_close(s);
    }
    /* the snapshot rows carry checksums too */
    s = NULL;
    assert_int_equal(hu_store_open(p, NULL, &s, NULL, 0), HU_OK);
    assert_int_equal(hu_store_checkpoint_begin(s, 7, 1, 2), HU_OK);
    struct hu_store_account_row r = { "acct", 4, 0.5, 5, 5, "C-1", 9, "x=1" };
    assert_int_equal(hu_store_checkpoint_account(s, &r), HU_OK);
    assert_int_equal(hu_store_checkpoint_commit(s), HU_OK);
    hu_store_close(s);
    assert_int_equal(sql(p, "UPDATE checkpoint_accounts SET score = 0.0"), SQLITE_OK);
    s = NULL;
    assert_int_equal(hu_store_open(p, NULL, &s, NULL, 0), HU_OK);
    assert_int_equal(hu_store_checkpoint_load(s, &seq, ck_acct, ck_camp, &(struct ck){ 0 }),
                     HU_ECORRUPT);
    hu_store_close(s);
}

/* a journal row whose bytes changed is delivered as NULL and counted */
static void journal_row_checksum(void **state)
{
    (void)state;
    char p[128];
    path_in(p, sizeof p, "js.db");
    struct hu_store *s = NULL;
    assert_int_equal(hu_store_open(p, NULL, &s, NULL, 0), HU_OK);
    const char *a[] = { "{\"a\":1}", "{\"a\":2}" };
    size_t al[] = { 7, 7 };
    assert_int_equal(hu_store_journal_append(s, a, al, 2, 1, NULL, NULL), HU_OK);
    hu_store_close(s);
    assert_int_equal(sql(p, "UPDATE journal SET line = CAST('{\"a\":9}' AS BLOB) WHERE seq = 2"),
                     SQLITE_OK);
    s = NULL;
    assert_int_equal(hu_store_open(p, NULL, &s, NULL, 0), HU_OK);
    struct lines l = { .n = 0 };
    assert_int_equal(hu_store_journal_read(s, 0, 10, collect, &l), 2);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.text[0], "{\"a\":1}");
    assert_string_equal(l.text[1], "");   /* NULL line, len 0 */
    assert_int_equal(hu_store_corrupt_rows(s), 1);
    assert_int_equal(hu_store_degraded(s), 1);
    hu_store_close(s);
}

/* a schema-1 file: the journal keeps its rows (unchecked), the old
 * snapshot is dropped, the version becomes 2 */
static void migrates_v1(void **state)
{
    (void)state;
    char p[128];
    path_in(p, sizeof p, "v1.db");
    assert_int_equal(sql(p, "PRAGMA journal_mode=WAL;"
        "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "INSERT INTO meta VALUES('schema_version','1');"
        "CREATE TABLE journal(seq INTEGER PRIMARY KEY, received_ms INTEGER NOT NULL, line BLOB NOT NULL);"
        "INSERT INTO journal(received_ms, line) VALUES(1, CAST('{\"v\":1}' AS BLOB));"
        "CREATE TABLE checkpoint(id INTEGER PRIMARY KEY CHECK (id = 1), applied_seq INTEGER NOT NULL,"
        "  policy_digest TEXT NOT NULL, created_ms INTEGER NOT NULL);"
        "INSERT INTO checkpoint VALUES(1, 1, '0', 1);"
        "CREATE TABLE checkpoint_accounts(rid INTEGER PRIMARY KEY, account_id BLOB NOT NULL,"
        "  score REAL NOT NULL, action INTEGER NOT NULL, would INTEGER NOT NULL,"
        "  campaign TEXT NOT NULL, requests INTEGER NOT NULL, reasons TEXT NOT NULL);"
        "INSERT INTO checkpoint_accounts VALUES(1, 'x', 0.1, 0, 0, '', 1, '');"
        "CREATE TABLE checkpoint_campaigns(rid INTEGER PRIMARY KEY, id TEXT NOT NULL,"
        "  score REAL NOT NULL, n_members INTEGER NOT NULL, json TEXT NOT NULL);"),
        SQLITE_OK);
    struct hu_store *s = NULL;
    char err[256] = "";
    assert_int_equal(hu_store_open(p, NULL, &s, err, sizeof err), HU_OK);
    struct lines l = { .n = 0 };
    assert_int_equal(hu_store_journal_read(s, 0, 10, collect, &l), 1);
    assert_string_equal(l.text[0], "{\"v\":1}");
    struct ck c = { 0 };
    uint64_t seq = 9;
    assert_int_equal(hu_store_checkpoint_load(s, &seq, ck_acct, ck_camp, &c), HU_OK);
    assert_int_equal(seq, 0);
    assert_int_equal(c.n, 0);
    hu_store_close(s);
}

/* flipped bytes in the b-tree pages: PRAGMA quick_check at open says so */
static void refuses_corrupt_file(void **state)
{
    (void)state;
    char p[128];
    path_in(p, sizeof p, "cor.db");
    struct hu_store *s = NULL;
    assert_int_equal(hu_store_open(p, NULL, &s, NULL, 0), HU_OK);
    const char *lines[200];
    size_t lens[200];
    static const char line[] = "{\"ts\":1,\"account_id\":\"some account id that takes room\"}";
    for (int i = 0; i < 200; i++) {
        lines[i] = line;
        lens[i] = sizeof line - 1;
    }
    for (int k = 0; k < 10; k++)
        assert_int_equal(hu_store_journal_append(s, lines, lens, 200, 1, NULL, NULL), HU_OK);
    hu_store_close(s);   /* WAL checkpointed into the file */
    /* overwrite the middle of page 3 onwards (interior and leaf pages of the journal) */
    FILE *f = fopen(p, "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, 4096 * 3 + 8, SEEK_SET), 0);
    for (int i = 0; i < 4096 * 4; i++)
        fputc(0xA5, f);
    fclose(f);
    char err[512] = "";
    s = (struct hu_store *)1;
    int rc = hu_store_open(p, NULL, &s, err, sizeof err);
    assert_int_equal(rc, HU_ECORRUPT);
    assert_null(s);
    assert_non_null(strstr(err, "corrupt"));
    /* without the check it opens (the operator's choice, documented) */
    struct hu_store_opts o = { .no_check = 1 };
    s = NULL;
    rc = hu_store_open(p, &o, &s, err, sizeof err);
    if (rc == HU_OK)
        hu_store_close(s);
}

/* a directory the service cannot write in, a read-only database file */
static void refuses_readonly(void **state)
{
    (void)state;
    char d[128], p[160];
    path_in(d, sizeof d, "ro");
    assert_int_equal(mkdir(d, 0755), 0);
    snprintf(p, sizeof p, "%s/x.db", d);
    struct hu_store *s = NULL;
    assert_int_equal(hu_store_open(p, NULL, &s, NULL, 0), HU_OK);
    hu_store_close(s);
    assert_int_equal(chmod(p, 0444), 0);
    char err[512] = "";
    s = NULL;
    int rc = hu_store_open(p, NULL, &s, err, sizeof err);
    if (geteuid() != 0) {   /* root writes through file modes */
        assert_int_equal(rc, HU_EIO);
        assert_non_null(strstr(err, "read-only"));
    } else if (rc == HU_OK) {
        hu_store_close(s);
    }
    assert_int_equal(chmod(p, 0644), 0);
    assert_int_equal(chmod(d, 0555), 0);
    s = NULL;
    rc = hu_store_open(p, NULL, &s, err, sizeof err);
    if (geteuid() != 0) {
        assert_int_equal(rc, HU_EIO);
        assert_non_null(strstr(err, "cannot write in the database's directory"));
    } else if (rc == HU_OK) {
        hu_store_close(s);   /* tests/cli/test_serve_faults.sh uses a read-only mount */
    }
    assert_int_equal(chmod(d, 0755), 0);
}

struct drow {
    int n;
    char account[32];
    int action;
};
static void drow_fn(void *ctx, const struct hu_store_decision *d)
{
    struct drow *r = ctx;
    r->n++;
    snprintf(r->account, sizeof r->account, "%s", d->account_id);
    r->action = d->action;
}

static void decision_records(void **state)
{
    (void)state;
    char p[128];
    path_in(p, sizeof p, "dec.db");
    struct hu_store *s = NULL;
    assert_int_equal(hu_store_open(p, NULL, &s, NULL, 0), HU_OK);
    struct hu_store_decision d[10];
    char ids[10][32];
    for (int i = 0; i < 10; i++) {
        snprintf(ids[i], sizeof ids[i], "d-%012x-%06x", 1000 + i, i);
        d[i] = (struct hu_store_decision){ .id = ids[i], .ts_ms = i < 5 ? 1000 : 5000,
                                           .account_id = "acct", .action = 5, .campaign = "",
                                           .reasons = "r=1" };
    }
    assert_int_equal(hu_store_decisions_put(s, d, 10, 8, 0), HU_OK);
    assert_int_equal(hu_store_decisions_count(s), 8);   /* row bound: the newest 8 */
    struct drow r = { 0 };
    assert_int_equal(hu_store_decision_get(s, ids[1], drow_fn, &r), HU_ENOENT);
    assert_int_equal(hu_store_decision_get(s, ids[9], drow_fn, &r), HU_OK);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.account, "acct");
    assert_int_equal(r.action, 5);
    /* age bound: rows older than 2000 ms go */
    assert_int_equal(hu_store_decisions_put(s, NULL, 0, 0, 2000), HU_OK);
    assert_int_equal(hu_store_decisions_count(s), 5);
    hu_store_close(s);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/hu-test-store-XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(journal_roundtrip),
        cmocka_unit_test(checkpoint_replace),
        cmocka_unit_test(overrides_and_audit),
        cmocka_unit_test(refuses_non_database),
        cmocka_unit_test(refuses_newer_schema),
        cmocka_unit_test(state_roundtrip_and_checksums),
        cmocka_unit_test(journal_row_checksum),
        cmocka_unit_test(migrates_v1),
        cmocka_unit_test(refuses_corrupt_file),
        cmocka_unit_test(refuses_readonly),
        cmocka_unit_test(decision_records),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        rc = rc ? rc : 0;
    return rc;
}
