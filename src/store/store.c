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
#include "core/clock.h"
#include "core/alloc.h"
#include "core/log.h"

#include "core/hash.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SCHEMA_VERSION 2

/* Version 2 added a checksum (`sum`, hu_hash of the row's bytes) to every
 * journal and checkpoint row, the profile checkpoint (ckpt_*), and the
 * decision records.  A version-1 file is migrated in place: the journal
 * gains the column (old rows keep NULL: not checked), the old snapshot is
 * dropped (the journal is replayed whole once). */
static const char SCHEMA[] =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS journal(seq INTEGER PRIMARY KEY, received_ms INTEGER NOT NULL,"
    "  line BLOB NOT NULL, sum INTEGER);"
    "CREATE TABLE IF NOT EXISTS checkpoint(id INTEGER PRIMARY KEY CHECK (id = 1),"
    "  applied_seq INTEGER NOT NULL, policy_digest TEXT NOT NULL, created_ms INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS checkpoint_accounts(rid INTEGER PRIMARY KEY, account_id BLOB NOT NULL,"
    "  score REAL NOT NULL, action INTEGER NOT NULL, would INTEGER NOT NULL,"
    "  campaign TEXT NOT NULL, requests INTEGER NOT NULL, reasons TEXT NOT NULL, sum INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS checkpoint_campaigns(rid INTEGER PRIMARY KEY, id TEXT NOT NULL,"
    "  score REAL NOT NULL, n_members INTEGER NOT NULL, json TEXT NOT NULL, sum INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS ckpt_state(id INTEGER PRIMARY KEY CHECK (id = 1),"
    "  profile_seq INTEGER NOT NULL, created_ms INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS ckpt_profiles(rec INTEGER PRIMARY KEY, account_id BLOB NOT NULL,"
    "  blob BLOB NOT NULL, sum INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS ckpt_dict(i INTEGER PRIMARY KEY, key INTEGER NOT NULL,"
    "  value BLOB NOT NULL, sum INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS ckpt_blobs(name TEXT PRIMARY KEY, data BLOB NOT NULL,"
    "  sum INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS decisions(rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,"
    "  ts_ms INTEGER NOT NULL, account_id TEXT NOT NULL, action INTEGER NOT NULL,"
    "  would INTEGER NOT NULL, source INTEGER NOT NULL, over_quota INTEGER NOT NULL,"
    "  shadow INTEGER NOT NULL, score REAL NOT NULL, campaign TEXT NOT NULL,"
    "  reasons TEXT NOT NULL, snapshot_seq INTEGER NOT NULL, policy_digest TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS overrides(account_id TEXT PRIMARY KEY, action TEXT NOT NULL,"
    "  actor TEXT NOT NULL, reason TEXT NOT NULL, ts_ms INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS allowlist(account_id TEXT PRIMARY KEY, action TEXT NOT NULL,"
    "  actor TEXT NOT NULL, reason TEXT NOT NULL, ts_ms INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS audit(seq INTEGER PRIMARY KEY, ts_ms INTEGER NOT NULL,"
    "  actor TEXT NOT NULL, verb TEXT NOT NULL, target TEXT NOT NULL, reason TEXT NOT NULL);";

static const char MIGRATE_1_2[] =
    "ALTER TABLE journal ADD COLUMN sum INTEGER;"
    "DROP TABLE IF EXISTS checkpoint; DROP TABLE IF EXISTS checkpoint_accounts;"
    "DROP TABLE IF EXISTS checkpoint_campaigns;";

struct hu_store {
    sqlite3 *w, *r;
    pthread_mutex_t wlock, rlock;
    sqlite3_stmt *ins_line;         /* w: INSERT INTO journal */
    sqlite3_stmt *ins_acct;         /* w: checkpoint account row */
    sqlite3_stmt *ins_camp;         /* w: checkpoint campaign row */
    sqlite3_stmt *ins_prof;         /* w: ckpt_profiles row */
    sqlite3_stmt *ins_dict;         /* w: ckpt_dict row */
    sqlite3_stmt *ins_dec;          /* w: decisions row */
    sqlite3_stmt *read_lines;       /* r: SELECT ... WHERE seq > ? LIMIT ? */
    int in_checkpoint;              /* wlock held between begin and commit */
    atomic_int degraded;            /* sticky: I/O error, corruption */
    atomic_int_fast64_t full_ms;    /* last SQLITE_FULL (monotonic ms), 0 never */
    atomic_uint_fast64_t corrupt_rows;
};

static void note_error(struct hu_store *s, sqlite3 *db, int rc, const char *what)
{
    int prim = rc & 0xff;
    hu_error("store: %s: %s", what, sqlite3_errmsg(db));
    if (prim == SQLITE_FULL) {
        /* not sticky: the transaction was rolled back whole, and once
         * space is freed the next append succeeds (store.h) */
        int64_t t = hu_mono_ms();
        atomic_store(&s->full_ms, t ? t : 1);
    } else if (prim == SQLITE_IOERR || prim == SQLITE_CORRUPT || prim == SQLITE_NOTADB ||
               prim == SQLITE_CANTOPEN || prim == SQLITE_READONLY) {
        atomic_store(&s->degraded, 1);
    }
}

static int exec(struct hu_store *s, sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        hu_error("store: %.60s: %s", sql, msg ? msg : sqlite3_errstr(rc));
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
    if (sqlite3_db_readonly(*db, "main") == 1) {
        snprintf(errbuf, errcap, "%s: the database file is read-only; the service must write it",
                 path);
        return HU_EIO;
    }
    sqlite3_busy_timeout(*db, 5000);
    return HU_OK;
}

/* The database's directory must be writable: SQLite creates the -wal and
 * -shm files next to it, and refusing here says why in one line instead
 * of failing on the first write.  access() is not enough (root passes it
 * on a read-only mount), so a file is created and removed. */
static int probe_dir(const char *path, char *errbuf, size_t errcap)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    char probe[4200];
    snprintf(probe, sizeof probe, "%s/.huella-probe-%ld", dir, (long)getpid());
    int fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        int e = errno;
        if (e == EEXIST) {
            unlink(probe);
            return HU_OK;
        }
        snprintf(errbuf, errcap, "%s: cannot write in the database's directory %s: %s", path, dir,
                 strerror(e));
        return HU_EIO;
    }
    close(fd);
    unlink(probe);
    return HU_OK;
}

/* PRAGMA quick_check: every page's structure (b-tree order, free lists,
 * record formats), O(pages), not the cross-index check of
 * integrity_check.  Rows' own checksums catch flipped bytes inside values
 * when they are read. */
static int quick_check(sqlite3 *db, const char *path, char *errbuf, size_t errcap)
{
    sqlite3_stmt *st = NULL;
    int rc = HU_OK;
    if (sqlite3_prepare_v2(db, "PRAGMA quick_check(4)", -1, &st, NULL) != SQLITE_OK) {
        snprintf(errbuf, errcap, "%s: the database is corrupt: %s", path, sqlite3_errmsg(db));
        return HU_ECORRUPT;
    }
    int src = sqlite3_step(st);
    if (src != SQLITE_ROW) {
        snprintf(errbuf, errcap, "%s: the database is corrupt: %s", path, sqlite3_errmsg(db));
        rc = HU_ECORRUPT;
    } else {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        if (!t || strcmp(t, "ok") != 0) {
            snprintf(errbuf, errcap, "%s: the database is corrupt (quick_check: %.300s)", path,
                     t ? t : "?");
            for (char *p = errbuf; *p; p++)
                if (*p == '\n' || *p == '\r')
                    *p = ' ';   /* one log line */
            rc = HU_ECORRUPT;
        }
    }
    sqlite3_finalize(st);
    return rc;
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
    int rc = probe_dir(path, errbuf, errcap);
    if (rc != HU_OK)
        goto fail;
    rc = open_conn(path, &s->w, errbuf, errcap);
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
        rc = (sqlite3_errcode(s->w) & 0xff) == SQLITE_CORRUPT ? HU_ECORRUPT : HU_EIO;
        goto fail;
    }
    sqlite3_finalize(st);
    if (!(opts && opts->no_check)) {
        rc = quick_check(s->w, path, errbuf, errcap);
        if (rc != HU_OK)
            goto fail;
    }
    if (exec(NULL, s->w, (opts && opts->sync_normal) ? "PRAGMA synchronous=NORMAL"
                                                     : "PRAGMA synchronous=FULL") != HU_OK ||
        exec(NULL, s->w, "BEGIN IMMEDIATE") != HU_OK) {
        snprintf(errbuf, errcap, "%s: %s", path, sqlite3_errmsg(s->w));
        rc = HU_EIO;
        goto fail;
    }
    /* schema version: absent = new file */
    int version = 0;
    if (exec(NULL, s->w, "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY,"
                         " value TEXT NOT NULL)") != HU_OK) {
        snprintf(errbuf, errcap, "%s: cannot create the schema: %s", path, sqlite3_errmsg(s->w));
        exec(NULL, s->w, "ROLLBACK");
        rc = HU_EIO;
        goto fail;
    }
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
    if ((version == 1 && exec(NULL, s->w, MIGRATE_1_2) != HU_OK) ||
        exec(NULL, s->w, SCHEMA) != HU_OK) {
        snprintf(errbuf, errcap, "%s: cannot create the schema: %s", path, sqlite3_errmsg(s->w));
        exec(NULL, s->w, "ROLLBACK");
        rc = HU_EIO;
        goto fail;
    }
    if (version < SCHEMA_VERSION &&
        exec(NULL, s->w, "INSERT OR REPLACE INTO meta VALUES('schema_version','2')") != HU_OK) {
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
    if (sqlite3_prepare_v2(s->w, "INSERT INTO journal(received_ms, line, sum) VALUES(?, ?, ?)", -1,
                           &s->ins_line, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->w, "INSERT INTO checkpoint_accounts(account_id, score, action, would,"
                           " campaign, requests, reasons, sum) VALUES(?,?,?,?,?,?,?,?)", -1,
                           &s->ins_acct, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->w, "INSERT INTO checkpoint_campaigns(id, score, n_members, json, sum)"
                           " VALUES(?,?,?,?,?)", -1, &s->ins_camp, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->w, "INSERT OR REPLACE INTO ckpt_profiles(rec, account_id, blob, sum)"
                           " VALUES(?,?,?,?)", -1, &s->ins_prof, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->w, "INSERT OR REPLACE INTO ckpt_dict(i, key, value, sum)"
                           " VALUES(?,?,?,?)", -1, &s->ins_dict, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->w, "INSERT OR REPLACE INTO decisions(id, ts_ms, account_id, action,"
                           " would, source, over_quota, shadow, score, campaign, reasons,"
                           " snapshot_seq, policy_digest) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)", -1,
                           &s->ins_dec, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->r, "SELECT seq, line, sum FROM journal WHERE seq > ? ORDER BY seq"
                           " LIMIT ?", -1, &s->read_lines, NULL) != SQLITE_OK) {
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
    sqlite3_finalize(s->ins_prof);
    sqlite3_finalize(s->ins_dict);
    sqlite3_finalize(s->ins_dec);
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

int hu_store_full(const struct hu_store *s)
{
    if (!s)
        return 0;
    int64_t t = atomic_load(&((struct hu_store *)s)->full_ms);
    return t && hu_mono_ms() - t < HU_STORE_FULL_RETRY_MS;
}

uint64_t hu_store_corrupt_rows(const struct hu_store *s)
{
    return s ? atomic_load(&((struct hu_store *)s)->corrupt_rows) : 0;
}

static void note_corrupt(struct hu_store *s, const char *what, uint64_t key)
{
    atomic_fetch_add(&s->corrupt_rows, 1);
    atomic_store(&s->degraded, 1);
    hu_error("store: %s %llu fails its checksum: the database is corrupt", what,
             (unsigned long long)key);
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
        sqlite3_bind_int64(s->ins_line, 3, (sqlite3_int64)hu_hash(lens[i] ? lines[i] : "", lens[i]));
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
        if (!p)
            p = "";
        if (sqlite3_column_type(s->read_lines, 2) != SQLITE_NULL &&
            (uint64_t)sqlite3_column_int64(s->read_lines, 2) != hu_hash(p, len)) {
            note_corrupt(s, "journal row", seq);
            p = NULL;   /* the callback sees the seq, never the damaged bytes */
            len = 0;
        }
        if (fn(ctx, seq, p, len))
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

/* Row checksums: hu_hash of each field, chained.  A flipped byte anywhere
 * in a row changes its sum (2^-64 odds of a miss). */
static uint64_t sum_str(uint64_t h, const char *p, size_t len)
{
    return hu_hash_combine(h, hu_hash(p ? p : "", p ? len : 0));
}

static uint64_t sum_u64(uint64_t h, uint64_t v)
{
    return hu_hash_combine(h, hu_hash(&v, sizeof v));
}

static uint64_t sum_f64(uint64_t h, double d)
{
    uint64_t v;
    memcpy(&v, &d, sizeof v);
    return sum_u64(h, v);
}

static uint64_t account_sum(const struct hu_store_account_row *r)
{
    uint64_t h = sum_str(1, r->account_id, r->account_id_len);
    h = sum_f64(h, r->score);
    h = sum_u64(h, (uint64_t)(int64_t)r->action);
    h = sum_u64(h, (uint64_t)(int64_t)r->would);
    h = sum_str(h, r->campaign, r->campaign ? strlen(r->campaign) : 0);
    h = sum_u64(h, r->requests);
    return sum_str(h, r->reasons, r->reasons ? strlen(r->reasons) : 0);
}

static uint64_t campaign_sum(const struct hu_store_campaign_row *r)
{
    uint64_t h = sum_str(2, r->id, r->id ? strlen(r->id) : 0);
    h = sum_f64(h, r->score);
    h = sum_u64(h, r->n_members);
    return sum_str(h, r->json ? r->json : "{}", r->json ? r->json_len : 2);
}

int hu_store_checkpoint_start(struct hu_store *s, const struct hu_store_ckpt_head *h)
{
    if (!s || !h)
        return HU_EINVAL;
    pthread_mutex_lock(&s->wlock);
    int rc = exec(s, s->w, "BEGIN IMMEDIATE");
    char sql[200];
    if (rc == HU_OK && h->replace_snapshot) {
        rc = exec(s, s->w, "DELETE FROM checkpoint_accounts; DELETE FROM checkpoint_campaigns;");
        if (rc == HU_OK) {
            snprintf(sql, sizeof sql,
                     "INSERT OR REPLACE INTO checkpoint VALUES(1, %llu, '%016llx', %lld)",
                     (unsigned long long)h->snapshot_seq, (unsigned long long)h->policy_digest,
                     (long long)h->now_ms);
            rc = exec(s, s->w, sql);
        }
    }
    if (rc == HU_OK && h->profile_seq) {
        snprintf(sql, sizeof sql, "INSERT OR REPLACE INTO ckpt_state VALUES(1, %llu, %lld)",
                 (unsigned long long)h->profile_seq, (long long)h->now_ms);
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

int hu_store_checkpoint_begin(struct hu_store *s, uint64_t applied_seq, uint64_t policy_digest,
                              int64_t now_ms)
{
    struct hu_store_ckpt_head h = { .snapshot_seq = applied_seq, .policy_digest = policy_digest,
                                    .now_ms = now_ms, .replace_snapshot = 1 };
    return hu_store_checkpoint_start(s, &h);
}

static uint64_t profile_sum(uint64_t rec, const char *id, size_t id_len, const void *blob,
                            size_t len)
{
    return sum_str(sum_str(sum_u64(3, rec), id, id_len), blob, len);
}

static uint64_t dict_sum(uint64_t i, uint64_t key, const char *value, size_t len)
{
    return sum_str(sum_u64(sum_u64(4, i), key), value, len);
}

static int step_done(struct hu_store *s, sqlite3_stmt *st, const char *what)
{
    int src = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (src != SQLITE_DONE) {
        note_error(s, s->w, src, what);
        return HU_EIO;
    }
    return HU_OK;
}

int hu_store_checkpoint_profile(struct hu_store *s, uint64_t rec, const char *id, size_t id_len,
                                const void *blob, size_t len)
{
    if (!s || !id || !blob || !s->in_checkpoint || rec > INT64_MAX)
        return HU_EINVAL;
    sqlite3_stmt *st = s->ins_prof;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)rec);
    sqlite3_bind_blob(st, 2, id, (int)id_len, SQLITE_STATIC);
    sqlite3_bind_blob(st, 3, blob, (int)len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)profile_sum(rec, id, id_len, blob, len));
    return step_done(s, st, "checkpoint profile");
}

int hu_store_checkpoint_dict(struct hu_store *s, uint64_t i, uint64_t key, const char *value,
                             size_t len)
{
    if (!s || !value || !s->in_checkpoint || i > INT64_MAX)
        return HU_EINVAL;
    sqlite3_stmt *st = s->ins_dict;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)i);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)key);
    sqlite3_bind_blob(st, 3, value, (int)len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)dict_sum(i, key, value, len));
    return step_done(s, st, "checkpoint dictionary");
}

int hu_store_checkpoint_blob(struct hu_store *s, const char *name, const void *data, size_t len)
{
    if (!s || !name || (!data && len) || !s->in_checkpoint)
        return HU_EINVAL;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->w, "INSERT OR REPLACE INTO ckpt_blobs VALUES(?,?,?)", -1, &st,
                           NULL) != SQLITE_OK) {
        note_error(s, s->w, sqlite3_errcode(s->w), "checkpoint blob");
        return HU_EIO;
    }
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, len ? data : "", (int)len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)sum_str(sum_str(5, name, strlen(name)),
                                                      len ? data : "", len));
    int rc = step_done(s, st, "checkpoint blob");
    sqlite3_finalize(st);
    return rc;
}

int hu_store_state_load(struct hu_store *s, uint64_t *profile_seq,
                        const struct hu_store_state_fns *fns, void *ctx)
{
    if (!s || !profile_seq || !fns)
        return HU_EINVAL;
    pthread_mutex_lock(&s->rlock);
    int rc = exec(s, s->r, "BEGIN");   /* one consistent read snapshot */
    *profile_seq = 0;
    if (rc == HU_OK)
        *profile_seq = (uint64_t)scalar_int(s, s->r, "SELECT profile_seq FROM ckpt_state", 0);
    static const char *const q[3] = {
        "SELECT name, data, sum FROM ckpt_blobs ORDER BY name",
        "SELECT i, key, value, sum FROM ckpt_dict ORDER BY i",
        "SELECT rec, account_id, blob, sum FROM ckpt_profiles ORDER BY rec",
    };
    for (int k = 0; k < 3 && rc == HU_OK; k++) {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(s->r, q[k], -1, &st, NULL) != SQLITE_OK) {
            rc = HU_EIO;
            break;
        }
        int src, stop = 0;
        while (!stop && (src = sqlite3_step(st)) == SQLITE_ROW) {
            if (k == 0) {
                const char *name = (const char *)sqlite3_column_text(st, 0);
                const void *d = sqlite3_column_blob(st, 1);
                size_t len = (size_t)sqlite3_column_bytes(st, 1);
                if (!name)
                    name = "";
                if (!d)
                    d = "";
                if ((uint64_t)sqlite3_column_int64(st, 2) !=
                    sum_str(sum_str(5, name, strlen(name)), d, len)) {
                    note_corrupt(s, "checkpoint blob", 0);
                    rc = HU_ECORRUPT;
                    break;
                }
                stop = fns->blob && fns->blob(ctx, name, d, len);
            } else {
                uint64_t i = (uint64_t)sqlite3_column_int64(st, 0);
                const char *v = sqlite3_column_blob(st, k == 1 ? 2 : 1);
                size_t vl = (size_t)sqlite3_column_bytes(st, k == 1 ? 2 : 1);
                if (!v)
                    v = "";
                if (k == 1) {
                    uint64_t key = (uint64_t)sqlite3_column_int64(st, 1);
                    if ((uint64_t)sqlite3_column_int64(st, 3) != dict_sum(i, key, v, vl)) {
                        note_corrupt(s, "checkpoint dictionary row", i);
                        rc = HU_ECORRUPT;
                        break;
                    }
                    stop = fns->dict && fns->dict(ctx, i, key, v, vl);
                } else {
                    const void *b = sqlite3_column_blob(st, 2);
                    size_t bl = (size_t)sqlite3_column_bytes(st, 2);
                    if (!b)
                        b = "";
                    if ((uint64_t)sqlite3_column_int64(st, 3) != profile_sum(i, v, vl, b, bl)) {
                        note_corrupt(s, "checkpoint profile row", i);
                        rc = HU_ECORRUPT;
                        break;
                    }
                    stop = fns->profile && fns->profile(ctx, i, v, vl, b, bl);
                }
            }
        }
        if (rc == HU_OK && !stop && src != SQLITE_DONE) {
            note_error(s, s->r, src, "checkpoint load");
            rc = (src & 0xff) == SQLITE_CORRUPT ? HU_ECORRUPT : HU_EIO;
        }
        sqlite3_finalize(st);
        if (stop)
            break;
    }
    sqlite3_exec(s->r, "COMMIT", NULL, NULL, NULL);
    pthread_mutex_unlock(&s->rlock);
    return rc;
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
    sqlite3_bind_int64(st, 8, (sqlite3_int64)account_sum(r));
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
    sqlite3_bind_int64(st, 5, (sqlite3_int64)campaign_sum(r));
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
                               " reasons, sum, rid FROM checkpoint_accounts ORDER BY rid", -1, &st,
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
            if ((uint64_t)sqlite3_column_int64(st, 7) != account_sum(&r)) {
                note_corrupt(s, "checkpoint account row", (uint64_t)sqlite3_column_int64(st, 8));
                rc = HU_ECORRUPT;
                break;
            }
            if (afn(ctx, &r))
                break;
        }
        if (rc == HU_OK && src != SQLITE_ROW && src != SQLITE_DONE)
            rc = HU_EIO;
        sqlite3_finalize(st);
        st = NULL;
    }
    if (rc == HU_OK && cfn) {
        if (sqlite3_prepare_v2(s->r, "SELECT id, score, n_members, json, sum, rid"
                               " FROM checkpoint_campaigns ORDER BY rid", -1, &st, NULL) != SQLITE_OK)
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
            if ((uint64_t)sqlite3_column_int64(st, 4) != campaign_sum(&r)) {
                note_corrupt(s, "checkpoint campaign row", (uint64_t)sqlite3_column_int64(st, 5));
                rc = HU_ECORRUPT;
                break;
            }
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

/* ---- decision records ------------------------------------------------------ */

int hu_store_decisions_put(struct hu_store *s, const struct hu_store_decision *d, size_t n,
                           uint64_t keep_rows, int64_t keep_after_ms)
{
    if (!s || (n && !d))
        return HU_EINVAL;
    pthread_mutex_lock(&s->wlock);
    int rc = exec(s, s->w, "BEGIN IMMEDIATE");
    sqlite3_stmt *st = s->ins_dec;
    for (size_t i = 0; rc == HU_OK && i < n; i++) {
        char dig[24];
        snprintf(dig, sizeof dig, "%016llx", (unsigned long long)d[i].policy_digest);
        sqlite3_bind_text(st, 1, d[i].id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, d[i].ts_ms);
        sqlite3_bind_text(st, 3, d[i].account_id, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 4, d[i].action);
        sqlite3_bind_int(st, 5, d[i].would);
        sqlite3_bind_int(st, 6, d[i].source);
        sqlite3_bind_int(st, 7, d[i].over_quota);
        sqlite3_bind_int(st, 8, d[i].shadow);
        sqlite3_bind_double(st, 9, d[i].score);
        sqlite3_bind_text(st, 10, d[i].campaign, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 11, d[i].reasons, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 12, (sqlite3_int64)d[i].snapshot_seq);
        sqlite3_bind_text(st, 13, dig, -1, SQLITE_TRANSIENT);
        rc = step_done(s, st, "decision record");
    }
    /* retention: the newest keep_rows rows (rid is insertion order), and
     * nothing older than keep_after_ms, looking at the oldest 10,000 rows
     * per call so a prune is bounded work */
    if (rc == HU_OK && keep_rows) {
        char sql[200];
        snprintf(sql, sizeof sql, "DELETE FROM decisions WHERE rid <= (SELECT max(rid) FROM"
                 " decisions) - %llu", (unsigned long long)keep_rows);
        rc = exec(s, s->w, sql);
    }
    if (rc == HU_OK && keep_after_ms > 0) {
        char sql[240];
        snprintf(sql, sizeof sql, "DELETE FROM decisions WHERE rid IN (SELECT rid FROM (SELECT rid,"
                 " ts_ms FROM decisions ORDER BY rid LIMIT 10000) WHERE ts_ms < %lld)",
                 (long long)keep_after_ms);
        rc = exec(s, s->w, sql);
    }
    if (rc == HU_OK)
        rc = exec(s, s->w, "COMMIT");
    if (rc != HU_OK)
        sqlite3_exec(s->w, "ROLLBACK", NULL, NULL, NULL);
    pthread_mutex_unlock(&s->wlock);
    return rc;
}

int hu_store_decision_get(struct hu_store *s, const char *id, hu_store_decision_fn fn, void *ctx)
{
    if (!s || !id || !fn)
        return HU_EINVAL;
    sqlite3_stmt *st = NULL;
    int rc = HU_ENOENT;
    pthread_mutex_lock(&s->rlock);
    if (sqlite3_prepare_v2(s->r, "SELECT id, ts_ms, account_id, action, would, source, over_quota,"
                           " shadow, score, campaign, reasons, snapshot_seq, policy_digest"
                           " FROM decisions WHERE id = ?", -1, &st, NULL) != SQLITE_OK) {
        rc = HU_EIO;
    } else {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        int src = sqlite3_step(st);
        if (src == SQLITE_ROW) {
            struct hu_store_decision d = {
                .id = col_text(st, 0), .ts_ms = sqlite3_column_int64(st, 1),
                .account_id = col_text(st, 2), .action = sqlite3_column_int(st, 3),
                .would = sqlite3_column_int(st, 4), .source = sqlite3_column_int(st, 5),
                .over_quota = sqlite3_column_int(st, 6), .shadow = sqlite3_column_int(st, 7),
                .score = sqlite3_column_double(st, 8), .campaign = col_text(st, 9),
                .reasons = col_text(st, 10),
                .snapshot_seq = (uint64_t)sqlite3_column_int64(st, 11),
                .policy_digest = strtoull(col_text(st, 12), NULL, 16),
            };
            fn(ctx, &d);
            rc = HU_OK;
        } else if (src != SQLITE_DONE) {
            note_error(s, s->r, src, "decision lookup");
            rc = HU_EIO;
        }
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->rlock);
    return rc;
}

uint64_t hu_store_decisions_count(struct hu_store *s)
{
    if (!s)
        return 0;
    pthread_mutex_lock(&s->rlock);
    int64_t v = scalar_int(s, s->r, "SELECT count(*) FROM decisions", 0);
    pthread_mutex_unlock(&s->rlock);
    return (uint64_t)v;
}
