/*
 * worker_store.c -- see worker_store.h.  Prepared statements, WAL,
 * synchronous=FULL.
 */
#include "cluster/worker_store.h"
#include "core/alloc.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

struct hu_wstore {
    sqlite3 *db;
    sqlite3_stmt *put_acct, *put_shard, *set_pub, *get_shard, *scan, *drop_a, *drop_s, *del_acct;
    char err[256];
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS shard(shard INTEGER PRIMARY KEY, seq INTEGER NOT NULL,"
    " published INTEGER NOT NULL DEFAULT 0, marker BLOB);"
    "CREATE TABLE IF NOT EXISTS account(id TEXT PRIMARY KEY, shard INTEGER NOT NULL,"
    " last_seq INTEGER NOT NULL, summary BLOB NOT NULL);"
    "CREATE INDEX IF NOT EXISTS account_shard ON account(shard);";

static int dberr(struct hu_wstore *s, const char *what)
{
    snprintf(s->err, sizeof s->err, "%s: %s", what, s->db ? sqlite3_errmsg(s->db) : "no database");
    return HU_EIO;
}

const char *hu_wstore_error(const struct hu_wstore *s) { return s ? s->err : "no store"; }

int hu_wstore_open(const char *path, struct hu_wstore **out, char *err, size_t errcap)
{
    *out = NULL;
    struct hu_wstore *s = hu_calloc(1, sizeof *s);
    if (!s)
        return HU_ENOMEM;
    int rc = HU_EIO;
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL)
        != SQLITE_OK) {
        dberr(s, "open");
        goto fail;
    }
    sqlite3_busy_timeout(s->db, 5000);
    if (sqlite3_exec(s->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", NULL, NULL, NULL) != SQLITE_OK
        || sqlite3_exec(s->db, schema, NULL, NULL, NULL) != SQLITE_OK) {
        dberr(s, "schema");
        goto fail;
    }
    static const struct { size_t off; const char *sql; } st[] = {
        { offsetof(struct hu_wstore, put_acct),
          "INSERT INTO account(id, shard, last_seq, summary) VALUES(?1, ?2, ?3, ?4)"
          " ON CONFLICT(id) DO UPDATE SET shard = ?2, last_seq = ?3, summary = ?4" },
        { offsetof(struct hu_wstore, put_shard),
          "INSERT INTO shard(shard, seq, marker) VALUES(?1, ?2, ?3)"
          " ON CONFLICT(shard) DO UPDATE SET seq = ?2, marker = ?3" },
        { offsetof(struct hu_wstore, set_pub), "UPDATE shard SET published = ?2 WHERE shard = ?1" },
        { offsetof(struct hu_wstore, get_shard), "SELECT seq, published, marker FROM shard WHERE shard = ?1" },
        { offsetof(struct hu_wstore, scan), "SELECT last_seq, summary FROM account WHERE shard = ?1 ORDER BY rowid" },
        { offsetof(struct hu_wstore, drop_a), "DELETE FROM account WHERE shard = ?1" },
        { offsetof(struct hu_wstore, drop_s), "DELETE FROM shard WHERE shard = ?1" },
        { offsetof(struct hu_wstore, del_acct), "DELETE FROM account WHERE id = ?1" },
    };
    for (size_t i = 0; i < sizeof st / sizeof st[0]; i++) {
        sqlite3_stmt **p = (sqlite3_stmt **)(void *)((char *)s + st[i].off);
        if (sqlite3_prepare_v2(s->db, st[i].sql, -1, p, NULL) != SQLITE_OK) {
            dberr(s, "prepare");
            goto fail;
        }
    }
    *out = s;
    return HU_OK;
fail:
    if (err && errcap)
        snprintf(err, errcap, "%s: %s", path, s->err);
    hu_wstore_close(s);
    return rc;
}

void hu_wstore_close(struct hu_wstore *s)
{
    if (!s)
        return;
    sqlite3_stmt *all[] = { s->put_acct, s->put_shard, s->set_pub, s->get_shard, s->scan, s->drop_a, s->drop_s,
                            s->del_acct };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        sqlite3_finalize(all[i]);
    sqlite3_close(s->db);
    hu_free(s);
}

static int exec(struct hu_wstore *s, const char *sql)
{
    return sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK ? HU_OK : dberr(s, sql);
}

int hu_wstore_begin(struct hu_wstore *s) { return exec(s, "BEGIN IMMEDIATE"); }
int hu_wstore_commit(struct hu_wstore *s) { return exec(s, "COMMIT"); }
void hu_wstore_rollback(struct hu_wstore *s) { (void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL); }

static int step_done(struct hu_wstore *s, sqlite3_stmt *st, const char *what)
{
    int r = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return r == SQLITE_DONE ? HU_OK : dberr(s, what);
}

int hu_wstore_put_account(struct hu_wstore *s, unsigned shard, const char *id, size_t id_len, uint64_t last_seq,
                          const void *summary, size_t len)
{
    sqlite3_bind_text(s->put_acct, 1, id, (int)id_len, SQLITE_STATIC);
    sqlite3_bind_int64(s->put_acct, 2, shard);
    sqlite3_bind_int64(s->put_acct, 3, (sqlite3_int64)last_seq);
    sqlite3_bind_blob(s->put_acct, 4, summary, (int)len, SQLITE_STATIC);
    return step_done(s, s->put_acct, "put account");
}

int hu_wstore_delete_account(struct hu_wstore *s, const char *id, size_t id_len)
{
    sqlite3_bind_text(s->del_acct, 1, id, (int)id_len, SQLITE_STATIC);
    return step_done(s, s->del_acct, "delete account");
}

int hu_wstore_put_shard(struct hu_wstore *s, unsigned shard, uint64_t seq, const void *marker, size_t len)
{
    sqlite3_bind_int64(s->put_shard, 1, shard);
    sqlite3_bind_int64(s->put_shard, 2, (sqlite3_int64)seq);
    sqlite3_bind_blob(s->put_shard, 3, marker, (int)len, SQLITE_STATIC);
    return step_done(s, s->put_shard, "put shard");
}

int hu_wstore_set_published(struct hu_wstore *s, unsigned shard, uint64_t seq)
{
    sqlite3_bind_int64(s->set_pub, 1, shard);
    sqlite3_bind_int64(s->set_pub, 2, (sqlite3_int64)seq);
    return step_done(s, s->set_pub, "set published");
}

int hu_wstore_get_shard(struct hu_wstore *s, unsigned shard, uint64_t *seq, uint64_t *published, char **marker,
                        size_t *len)
{
    *marker = NULL;
    *len = 0;
    sqlite3_bind_int64(s->get_shard, 1, shard);
    int r = sqlite3_step(s->get_shard), rc = HU_OK;
    if (r == SQLITE_ROW) {
        *seq = (uint64_t)sqlite3_column_int64(s->get_shard, 0);
        *published = (uint64_t)sqlite3_column_int64(s->get_shard, 1);
        const void *b = sqlite3_column_blob(s->get_shard, 2);
        int n = sqlite3_column_bytes(s->get_shard, 2);
        if (b && n > 0) {
            *marker = hu_malloc((size_t)n);
            if (!*marker)
                rc = HU_ENOMEM;
            else {
                memcpy(*marker, b, (size_t)n);
                *len = (size_t)n;
            }
        }
    } else {
        rc = r == SQLITE_DONE ? HU_ENOENT : dberr(s, "get shard");
    }
    sqlite3_reset(s->get_shard);
    return rc;
}

int hu_wstore_scan_shard(struct hu_wstore *s, unsigned shard, hu_wstore_fn fn, void *ctx)
{
    sqlite3_bind_int64(s->scan, 1, shard);
    int n = 0, r;
    for (;;) {
        r = sqlite3_step(s->scan);
        if (r != SQLITE_ROW)
            break;
        n++;
        if (fn(ctx, (uint64_t)sqlite3_column_int64(s->scan, 0), sqlite3_column_blob(s->scan, 1),
               (size_t)sqlite3_column_bytes(s->scan, 1)))
            break;
    }
    int rc = (r == SQLITE_ROW || r == SQLITE_DONE) ? n : dberr(s, "scan");
    sqlite3_reset(s->scan);
    return rc;
}

int hu_wstore_drop_shard(struct hu_wstore *s, unsigned shard)
{
    sqlite3_bind_int64(s->drop_a, 1, shard);
    int rc = step_done(s, s->drop_a, "drop shard");
    sqlite3_bind_int64(s->drop_s, 1, shard);
    return rc ? rc : step_done(s, s->drop_s, "drop shard");
}
