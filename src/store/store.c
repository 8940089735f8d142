/*
 * store.c -- SQLite behind store.h.
 *
 * Two connections to one WAL database: `w` for every write (journal
 * appends, checkpoints, overrides, audit) and `r` for the engine worker's
 * journal reads and the start-up loads.  Each is guarded by its own
 * mutex, so a connection is never used by two threads at once (SQLite's
 * default "serialized" mode would do the same, but the explicit lock also
 * covers multi-call sequences such as checkpoint begin..commit).
 *
 * Statements used per request (journal append) are prepared once.  The
 * schema has a version in `meta`; a database written by a newer schema is
 * refused rather than misread.
 *
 * A write that fails with SQLITE_FULL / SQLITE_IOERR / SQLITE_CORRUPT sets
 * the sticky `degraded` flag (STYLE.md 17): the service keeps answering
 * decisions from memory but refuses events with 503 and /healthz says why.
 */
#include "store/store.h"
#include "core/alloc.h"
#include "core/log.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#define SCHEMA_VERSION 1

static const char SCHEMA[] =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS journal(seq INTEGER PRIMARY KEY, received_ms INTEGER NOT NULL,"
    "  line BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS checkpoint(id INTEGER PRIMARY KEY CHECK (id = 1),"
    "  applied_seq INTEGER NOT NULL, policy_digest TEXT NOT NULL, created_ms INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS checkpoint_accounts(rid INTEGER PRIMARY KEY, account_id BLOB NOT NULL,"
    "  score REAL NOT NULL, action INTEGER NOT NULL, would INTEGER NOT NULL,"
    "  campaign TEXT NOT NULL, requests INTEGER NOT NULL, reasons TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS checkpoint_campaigns(rid INTEGER PRIMARY KEY, id TEXT NOT NULL,"
    "  score REAL NOT NULL, n_members INTEGER NOT NULL, json TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS overrides(account_id TEXT PRIMARY KEY, action TEXT NOT NULL,"
    "  actor TEXT NOT NULL, reason TEXT NOT NULL, ts_ms INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS allowlist(account_id TEXT PRIMARY KEY, action TEXT NOT NULL,"
    "  actor TEXT NOT NULL, reason TEXT NOT NULL, ts_ms INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS audit(seq INTEGER PRIMARY KEY, ts_ms INTEGER NOT NULL,"
    "  actor TEXT NOT NULL, verb TEXT NOT NULL, target TEXT NOT NULL, reason TEXT NOT NULL);";

struct hu_store {
    sqlite3 *w, *r;
    pthread_mutex_t wlock, rlock;
    sqlite3_stmt *ins_line;         /* w: INSERT INTO journal */
    sqlite3_stmt *ins_acct;         /* w: checkpoint account row */
    sqlite3_stmt *ins_camp;         /* w: checkpoint campaign row */
    sqlite3_stmt *read_lines;       /* r: SELECT ... WHERE seq > ? LIMIT ? */
    int in_checkpoint;              /* wlock held between begin and commit */
    atomic_int degraded;
};

static void note_error(struct hu_store *s, sqlite3 *db, int rc, const char *what)
{
    int prim = rc & 0xff;
    hu_error("store: %s: %s", what, sqlite3_errmsg(db));
    if (prim == SQLITE_FULL || prim == SQLITE_IOERR || prim == SQLITE_CORRUPT ||
        prim == SQLITE_NOTADB || prim == SQLITE_CANTOPEN)
        atomic_store(&s->degraded, 1);
}

static int exec(struct hu_store *s, sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        hu_error("store: %s: %s", sql, msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        if (s)
            note_error(s, db, rc, "exec");
        return HU_EIO;
    }
    return HU_OK;
}

static int open_conn(const char *path, sqlite3 **db, char *errbuf, size_t errcap)
{
    int rc = sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                           SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        snprintf(errbuf, errcap, "%s: %s", path, *db ? sqlite3_errmsg(*db) : sqlite3_errstr(rc));
        return HU_EIO;
    }
    sqlite3_busy_timeout(*db, 5000);
    return HU_OK;
}

int hu_store_open(const char *path, const struct hu_store_opts *opts, struct hu_store **out,
                  char *errbuf, size_t errcap)
{
    char tmp[8];
    if (!errbuf) {
        errbuf = tmp;
        errcap = sizeof tmp;
    }
    if (!path || !out)
        return HU_EINVAL;
    *out = NULL;
    struct hu_store *s = hu_calloc(1, sizeof *s);
    if (!s)
        return HU_ENOMEM;
    pthread_mutex_init(&s->wlock, NULL);
    pthread_mutex_init(&s->rlock, NULL);
    int rc = open_conn(path, &s->w, errbuf, errcap);
    if (rc != HU_OK)
        goto fail;
    /* journal_mode=WAL also tells us whether this is a database at all */
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->w, "PRAGMA journal_mode=WAL", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW ||
        strcmp((const char *)sqlite3_column_text(st, 0), "wal") != 0) {
        snprintf(errbuf, errcap, "%s: cannot use it as a WAL database: %s", path,
                 sqlite3_errmsg(s->w));
        sqlite3_finalize(st);
        rc = HU_EIO;
        goto fail;
    }
    sqlite3_finalize(st);
    if (exec(NULL, s->w, (opts && opts->sync_normal) ? "PRAGMA synchronous=NORMAL"
                                                     : "PRAGMA synchronous=FULL") != HU_OK ||
        exec(NULL, s->w, "BEGIN IMMEDIATE") != HU_OK) {
        snprintf(errbuf, errcap, "%s: %s", path, sqlite3_errmsg(s->w));
        rc = HU_EIO;
        goto fail;
    }
    if (exec(NULL, s->w, SCHEMA) != HU_OK) {
        snprintf(errbuf, errcap, "%s: cannot create the schema: %s", path, sqlite3_errmsg(s->w));
        exec(NULL, s->w, "ROLLBACK");
        rc = HU_EIO;
        goto fail;
    }
    /* schema version: absent = new file */
    int version = 0;
    if (sqlite3_prepare_v2(s->w, "SELECT value FROM meta WHERE key='schema_version'", -1, &st,
                           NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (version > SCHEMA_VERSION) {
        snprintf(errbuf, errcap, "%s: schema version %d is newer than this huella (%d)", path,
                 version, SCHEMA_VERSION);
        exec(NULL, s->w, "ROLLBACK");
        rc = HU_EVERSION;
        goto fail;
    }
    if (version == 0 &&
        exec(NULL, s->w, "INSERT OR REPLACE INTO meta VALUES('schema_version','1')") != HU_OK) {
        snprintf(errbuf, errcap, "%s: %s", path, sqlite3_errmsg(s->w));
        exec(NULL, s->w, "ROLLBACK");
        rc = HU_EIO;
        goto fail;
    }
    if (exec(NULL, s->w, "COMMIT") != HU_OK) {
        snprintf(errbuf, errcap, "%s: %s", path, sqlite3_errmsg(s->w));
        rc = HU_EIO;
        goto fail;
    }
    rc = open_conn(path, &s->r, errbuf, errcap);
    if (rc != HU_OK)
        goto fail;
    if (sqlite3_prepare_v2(s->w, "INSERT INTO journal(received_ms, line) VALUES(?, ?)", -1,
                           &s->ins_line, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->w, "INSERT INTO checkpoint_accounts(account_id, score, action, would,"
                           " campaign, requests, reasons) VALUES(?,?,?,?,?,?,?)", -1,
                           &s->ins_acct, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->w, "INSERT INTO checkpoint_campaigns(id, score, n_members, json)"
                           " VALUES(?,?,?,?)", -1, &s->ins_camp, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->r, "SELECT seq, line FROM journal WHERE seq > ? ORDER BY seq LIMIT ?",
                           -1, &s->read_lines, NULL) != SQLITE_OK) {
        snprintf(errbuf, errcap, "%s: %s", path, sqlite3_errmsg(s->w));
        rc = HU_EIO;
        goto fail;
    }
    *out = s;
    return HU_OK;
fail:
    hu_store_close(s);
    return rc;
}

void hu_store_close(struct hu_store *s)
{
    if (!s)
        return;
    sqlite3_finalize(s->ins_line);
    sqlite3_finalize(s->ins_acct);
    sqlite3_finalize(s->ins_camp);
    sqlite3_finalize(s->read_lines);
    if (s->r)
        sqlite3_close(s->r);
    if (s->w) {
        sqlite3_wal_checkpoint_v2(s->w, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
        sqlite3_close(s->w);
    }
    pthread_mutex_destroy(&s->wlock);
    pthread_mutex_destroy(&s->rlock);
    hu_free(s);
}

int hu_store_degraded(const struct hu_store *s)
{
    return s ? atomic_load(&((struct hu_store *)s)->degraded) : 0;
}

/* ---- journal --------------------------------------------------------------- */

int hu_store_journal_append(struct hu_store *s, const char *const *lines, const size_t *lens,
                            size_t n, int64_t now_ms, uint64_t *first_seq, uint64_t *last_seq)
{
    if (!s || (n && (!lines || !lens)))
        return HU_EINVAL;
    if (n == 0)
        return HU_OK;
    pthread_mutex_lock(&s->wlock);
    int rc = exec(s, s->w, "BEGIN IMMEDIATE");
    uint64_t first = 0, last = 0;
    for (size_t i = 0; rc == HU_OK && i < n; i++) {
        sqlite3_bind_int64(s->ins_line, 1, now_ms);
        sqlite3_bind_blob(s->ins_line, 2, lens[i] ? lines[i] : "", (int)lens[i], SQLITE_STATIC);
        int src = sqlite3_step(s->ins_line);
        sqlite3_reset(s->ins_line);
        if (src != SQLITE_DONE) {
            note_error(s, s->w, src, "journal append");
            rc = HU_EIO;
            break;
        }
        last = (uint64_t)sqlite3_last_insert_rowid(s->w);
        if (i == 0)
            first = last;
    }
    sqlite3_clear_bindings(s->ins_line);
    if (rc == HU_OK)
        rc = exec(s, s->w, "COMMIT");
    if (rc != HU_OK)
        sqlite3_exec(s->w, "ROLLBACK", NULL, NULL, NULL);
    pthread_mutex_unlock(&s->wlock);
    if (rc == HU_OK) {
        if (first_seq)
            *first_seq = first;
        if (last_seq)
            *last_seq = last;
    }
    return rc;
}

int hu_store_journal_read(struct hu_store *s, uint64_t after_seq, size_t max,
                          hu_store_line_fn fn, void *ctx)
{
    if (!s || !fn)
        return HU_EINVAL;
    pthread_mutex_lock(&s->rlock);
    sqlite3_bind_int64(s->read_lines, 1, (sqlite3_int64)after_seq);
    sqlite3_bind_int64(s->read_lines, 2, (sqlite3_int64)max);
    int n = 0, src;
    for (;;) {
        src = sqlite3_step(s->read_lines);
        if (src != SQLITE_ROW)
            break;
        uint64_t seq = (uint64_t)sqlite3_column_int64(s->read_lines, 0);
        const char *p = sqlite3_column_blob(s->read_lines, 1);
        size_t len = (size_t)sqlite3_column_bytes(s->read_lines, 1);
        n++;
        if (fn(ctx, seq, p ? p : "", len))
            break;
    }
    if (src != SQLITE_ROW && src != SQLITE_DONE) {
        note_error(s, s->r, src, "journal read");
        n = HU_EIO;
    }
    sqlite3_reset(s->read_lines);
    pthread_mutex_unlock(&s->rlock);
    return n;
}

static int64_t scalar_int(struct hu_store *s, sqlite3 *db, const char *sql, int64_t dflt)
{
    sqlite3_stmt *st = NULL;
    int64_t v = dflt;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW &&
        sqlite3_column_type(st, 0) != SQLITE_NULL)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    (void)s;
    return v;
}

uint64_t hu_store_journal_last(struct hu_store *s)
{
    if (!s)
        return 0;
    pthread_mutex_lock(&s->rlock);
    int64_t v = scalar_int(s, s->r, "SELECT max(seq) FROM journal", 0);
    pthread_mutex_unlock(&s->rlock);
    return (uint64_t)v;
}

/* ---- checkpoint ------------------------------------------------------------ */

int hu_store_checkpoint_begin(struct hu_store *s, uint64_t applied_seq, uint64_t policy_digest,
                              int64_t now_ms)
{
    if (!s)
        return HU_EINVAL;
    pthread_mutex_lock(&s->wlock);
    int rc = exec(s, s->w, "BEGIN IMMEDIATE");
    if (rc == HU_OK)
        rc = exec(s, s->w, "DELETE FROM checkpoint_accounts; DELETE FROM checkpoint_campaigns;");
    if (rc == HU_OK) {
        char sql[160];
        snprintf(sql, sizeof sql,
                 "INSERT OR REPLACE INTO checkpoint VALUES(1, %llu, '%016llx', %lld)",
                 (unsigned long long)applied_seq, (unsigned long long)policy_digest,
                 (long long)now_ms);
        rc = exec(s, s->w, sql);
    }
    if (rc != HU_OK) {
        sqlite3_exec(s->w, "ROLLBACK", NULL, NULL, NULL);
        pthread_mutex_unlock(&s->wlock);
        return rc;
    }
    s->in_checkpoint = 1;
    return HU_OK;   /* wlock stays held until commit/abort */
}

int hu_store_checkpoint_account(struct hu_store *s, const struct hu_store_account_row *r)
{
    if (!s || !r || !s->in_checkpoint)
        return HU_EINVAL;
    sqlite3_stmt *st = s->ins_acct;
    sqlite3_bind_blob(st, 1, r->account_id, (int)r->account_id_len, SQLITE_STATIC);
    sqlite3_bind_double(st, 2, r->score);
    sqlite3_bind_int(st, 3, r->action);
    sqlite3_bind_int(st, 4, r->would);
    sqlite3_bind_text(st, 5, r->campaign ? r->campaign : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, (sqlite3_int64)r->requests);
    sqlite3_bind_text(st, 7, r->reasons ? r->reasons : "", -1, SQLITE_STATIC);
    int src = sqlite3_step(st);
    sqlite3_reset(st);
    if (src != SQLITE_DONE) {
        note_error(s, s->w, src, "checkpoint account");
        return HU_EIO;
    }
    return HU_OK;
}

int hu_store_checkpoint_campaign(struct hu_store *s, const struct hu_store_campaign_row *r)
{
    if (!s || !r || !s->in_checkpoint)
        return HU_EINVAL;
    sqlite3_stmt *st = s->ins_camp;
    sqlite3_bind_text(st, 1, r->id, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 2, r->score);
    sqlite3_bind_int64(st, 3, r->n_members);
    sqlite3_bind_text(st, 4, r->json ? r->json : "{}", r->json ? (int)r->json_len : 2,
                      SQLITE_STATIC);
    int src = sqlite3_step(st);
    sqlite3_reset(st);
    if (src != SQLITE_DONE) {
        note_error(s, s->w, src, "checkpoint campaign");
        return HU_EIO;
    }
    return HU_OK;
}

int hu_store_checkpoint_commit(struct hu_store *s)
{
    if (!s || !s->in_checkpoint)
        return HU_EINVAL;
    int rc = exec(s, s->w, "COMMIT");
    if (rc != HU_OK)
        sqlite3_exec(s->w, "ROLLBACK", NULL, NULL, NULL);
    s->in_checkpoint = 0;
    pthread_mutex_unlock(&s->wlock);
    return rc;
}

void hu_store_checkpoint_abort(struct hu_store *s)
{
    if (!s || !s->in_checkpoint)
        return;
    sqlite3_exec(s->w, "ROLLBACK", NULL, NULL, NULL);
    s->in_checkpoint = 0;
    pthread_mutex_unlock(&s->wlock);
}

static const char *col_text(sqlite3_stmt *st, int i)
{
    const char *t = (const char *)sqlite3_column_text(st, i);
    return t ? t : "";
}

int hu_store_checkpoint_load(struct hu_store *s, uint64_t *applied_seq, hu_store_account_fn afn,
                             hu_store_campaign_fn cfn, void *ctx)
{
    if (!s || !applied_seq)
        return HU_EINVAL;
    pthread_mutex_lock(&s->rlock);
    int rc = exec(s, s->r, "BEGIN");   /* one consistent read snapshot */
    *applied_seq = 0;
    if (rc == HU_OK)
        *applied_seq = (uint64_t)scalar_int(s, s->r, "SELECT applied_seq FROM checkpoint", 0);
    sqlite3_stmt *st = NULL;
    if (rc == HU_OK && afn) {
        if (sqlite3_prepare_v2(s->r, "SELECT account_id, score, action, would, campaign, requests,"
                               " reasons FROM checkpoint_accounts ORDER BY rid", -1, &st,
                               NULL) != SQLITE_OK)
            rc = HU_EIO;
        int src = SQLITE_DONE;
        while (rc == HU_OK) {
            src = sqlite3_step(st);
            if (src != SQLITE_ROW)
                break;
            struct hu_store_account_row r = {
                .account_id = sqlite3_column_blob(st, 0),
                .account_id_len = (size_t)sqlite3_column_bytes(st, 0),
                .score = sqlite3_column_double(st, 1),
                .action = sqlite3_column_int(st, 2),
                .would = sqlite3_column_int(st, 3),
                .campaign = col_text(st, 4),
                .requests = (uint64_t)sqlite3_column_int64(st, 5),
                .reasons = col_text(st, 6),
            };
            if (!r.account_id)
                r.account_id = "";
            if (afn(ctx, &r))
                break;
        }
        if (rc == HU_OK && src != SQLITE_ROW && src != SQLITE_DONE)
            rc = HU_EIO;
        sqlite3_finalize(st);
        st = NULL;
    }
    if (rc == HU_OK && cfn) {
        if (sqlite3_prepare_v2(s->r, "SELECT id, score, n_members, json FROM checkpoint_campaigns"
                               " ORDER BY rid", -1, &st, NULL) != SQLITE_OK)
            rc = HU_EIO;
        int src = SQLITE_DONE;
        while (rc == HU_OK) {
            src = sqlite3_step(st);
            if (src != SQLITE_ROW)
                break;
            struct hu_store_campaign_row r = {
                .id = col_text(st, 0),
                .score = sqlite3_column_double(st, 1),
                .n_members = (uint32_t)sqlite3_column_int64(st, 2),
                .json = col_text(st, 3),
                .json_len = (size_t)sqlite3_column_bytes(st, 3),
            };
            if (cfn(ctx, &r))
                break;
        }
        if (rc == HU_OK && src != SQLITE_ROW && src != SQLITE_DONE)
            rc = HU_EIO;
        sqlite3_finalize(st);
    }
    sqlite3_exec(s->r, "COMMIT", NULL, NULL, NULL);
    pthread_mutex_unlock(&s->rlock);
    return rc;
}

/* ---- overrides, allowlist, audit ----------------------------------------------- */

static const char *list_table(enum hu_store_list l)
{
    return l == HU_STORE_ALLOWLIST ? "allowlist" : "overrides";
}

int hu_store_account_set(struct hu_store *s, enum hu_store_list list, const char *account_id,
                         const char *action, const char *actor, const char *verb,
                         const char *reason, int64_t now_ms)
{
    if (!s || !account_id || !actor || !verb || !reason)
        return HU_EINVAL;
    char sql[160];
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&s->wlock);
    int rc = exec(s, s->w, "BEGIN IMMEDIATE");
    if (rc == HU_OK) {
        if (action)
            snprintf(sql, sizeof sql, "INSERT OR REPLACE INTO %s VALUES(?1, ?2, ?3, ?4, ?5)",
                     list_table(list));
        else
            snprintf(sql, sizeof sql, "DELETE FROM %s WHERE account_id = ?1", list_table(list));
        if (sqlite3_prepare_v2(s->w, sql, -1, &st, NULL) != SQLITE_OK) {
            rc = HU_EIO;
        } else {
            sqlite3_bind_text(st, 1, account_id, -1, SQLITE_STATIC);
            if (action) {
                sqlite3_bind_text(st, 2, action, -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 3, actor, -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 4, reason, -1, SQLITE_STATIC);
                sqlite3_bind_int64(st, 5, now_ms);
            }
            int src = sqlite3_step(st);
            if (src != SQLITE_DONE) {
                note_error(s, s->w, src, "account list");
                rc = HU_EIO;
            }
        }
        sqlite3_finalize(st);
        st = NULL;
    }
    if (rc == HU_OK) {
        if (sqlite3_prepare_v2(s->w, "INSERT INTO audit(ts_ms, actor, verb, target, reason)"
                               " VALUES(?,?,?,?,?)", -1, &st, NULL) != SQLITE_OK) {
            rc = HU_EIO;
        } else {
            sqlite3_bind_int64(st, 1, now_ms);
            sqlite3_bind_text(st, 2, actor, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 3, verb, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 4, account_id, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 5, reason, -1, SQLITE_STATIC);
            int src = sqlite3_step(st);
            if (src != SQLITE_DONE) {
                note_error(s, s->w, src, "audit");
                rc = HU_EIO;
            }
        }
        sqlite3_finalize(st);
    }
    if (rc == HU_OK)
        rc = exec(s, s->w, "COMMIT");
    if (rc != HU_OK)
        sqlite3_exec(s->w, "ROLLBACK", NULL, NULL, NULL);
    pthread_mutex_unlock(&s->wlock);
    return rc;
}

int hu_store_list_load(struct hu_store *s, enum hu_store_list list, hu_store_entry_fn fn,
                       void *ctx)
{
    if (!s || !fn)
        return HU_EINVAL;
    char sql[128];
    snprintf(sql, sizeof sql,
             "SELECT account_id, action, actor, reason, ts_ms FROM %s ORDER BY ts_ms, rowid",
             list_table(list));
    sqlite3_stmt *st = NULL;
    int rc = HU_OK, src = SQLITE_DONE;
    pthread_mutex_lock(&s->rlock);
    if (sqlite3_prepare_v2(s->r, sql, -1, &st, NULL) != SQLITE_OK)
        rc = HU_EIO;
    while (rc == HU_OK) {
        src = sqlite3_step(st);
        if (src != SQLITE_ROW)
            break;
        if (fn(ctx, col_text(st, 0), col_text(st, 1), col_text(st, 2), col_text(st, 3),
               sqlite3_column_int64(st, 4)))
            break;
    }
    if (rc == HU_OK && src != SQLITE_ROW && src != SQLITE_DONE)
        rc = HU_EIO;
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->rlock);
    return rc;
}

int hu_store_audit_read(struct hu_store *s, uint64_t after, size_t max, hu_store_audit_fn fn,
                        void *ctx)
{
    if (!s || !fn)
        return HU_EINVAL;
    sqlite3_stmt *st = NULL;
    int n = 0, src = SQLITE_DONE;
    pthread_mutex_lock(&s->rlock);
    if (sqlite3_prepare_v2(s->r, "SELECT seq, ts_ms, actor, verb, target, reason FROM audit"
                           " WHERE seq > ? ORDER BY seq LIMIT ?", -1, &st, NULL) != SQLITE_OK) {
        n = HU_EIO;
    } else {
        sqlite3_bind_int64(st, 1, (sqlite3_int64)after);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
        for (;;) {
            src = sqlite3_step(st);
            if (src != SQLITE_ROW)
                break;
            n++;
            if (fn(ctx, (uint64_t)sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
                   col_text(st, 2), col_text(st, 3), col_text(st, 4), col_text(st, 5)))
                break;
        }
        if (src != SQLITE_ROW && src != SQLITE_DONE)
            n = HU_EIO;
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->rlock);
    return n;
}
