/* The sandbox store: SQLite in WAL mode under --state. Resources are JSON documents
 * keyed by (kind, name); every statement is prepared once at start-up so that a get
 * is one index probe. The core wraps each handler call and tick in a transaction. */
#include "sandbox/server.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "common/atomicfile.h"
#include "common/codec.h"
#include "common/json.h"

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS docs(kind TEXT NOT NULL, name TEXT NOT NULL, doc TEXT NOT NULL,"
	" PRIMARY KEY(kind, name)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS counters(name TEXT PRIMARY KEY, value INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS log_entries(seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	" parent TEXT NOT NULL, ts_ms INTEGER NOT NULL, doc TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS log_entries_by_time ON log_entries(parent, ts_ms, seq);";

static int lock_fd = -1;

static int prep(sb_server *s, sqlite3_stmt **st, const char *sql)
{
	if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK) {
		fprintf(stderr, "sealtrain-sandbox: state store: %s\n", sqlite3_errmsg(s->db));
		return -1;
	}
	return 0;
}

static int prepare_all(sb_server *s)
{
	return prep(s, &s->st_get, "SELECT doc FROM docs WHERE kind=?1 AND name=?2") ||
	       prep(s, &s->st_insert,
		    "INSERT INTO docs(kind,name,doc) VALUES(?1,?2,?3) ON CONFLICT DO NOTHING") ||
	       prep(s, &s->st_put, "INSERT OR REPLACE INTO docs(kind,name,doc) VALUES(?1,?2,?3)") ||
	       prep(s, &s->st_del, "DELETE FROM docs WHERE kind=?1 AND name=?2") ||
	       prep(s, &s->st_page,
		    "SELECT name, doc FROM docs WHERE kind=?1 AND name>=?2 AND name<?3 AND name>?4"
		    " ORDER BY name LIMIT ?5") ||
	       prep(s, &s->st_next_id,
		    "INSERT INTO counters(name,value) VALUES(?1,1) ON CONFLICT(name) DO UPDATE"
		    " SET value=value+1 RETURNING value") ||
	       prep(s, &s->st_meta_get, "SELECT value FROM meta WHERE key=?1") ||
	       prep(s, &s->st_meta_put, "INSERT OR REPLACE INTO meta(key,value) VALUES(?1,?2)") ||
	       prep(s, &s->st_log_insert,
		    "INSERT INTO log_entries(parent,ts_ms,doc) VALUES(?1,?2,?3)")
		       ? -1 : 0;
}

/* Two sandboxes on one state directory would corrupt each other's view. */
static int lock_state(sb_server *s)
{
	char *path = st_xasprintf("%s/lock", s->state_dir);
	lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock_fd < 0 || flock(lock_fd, LOCK_EX | LOCK_NB) < 0) {
		fprintf(stderr, "sealtrain-sandbox: --state %s: %s\n", s->state_dir,
			errno == EWOULDBLOCK ? "in use by another sealtrain-sandbox"
					     : strerror(errno));
		free(path);
		return -1;
	}
	free(path);
	return 0;
}

int sb_store_open(sb_server *s)
{
	if (lock_state(s) < 0)
		return -1;
	char *path = st_xasprintf("%s/sandbox.db", s->state_dir);
	int rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	char *err = NULL;
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(s->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
				  " PRAGMA busy_timeout=5000;", NULL, NULL, &err);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(s->db, schema, NULL, NULL, &err);
	if (rc != SQLITE_OK) {
		fprintf(stderr, "sealtrain-sandbox: state store %s: %s\n", path,
			err ? err : sqlite3_errmsg(s->db));
		sqlite3_free(err);
		free(path);
		return -1;
	}
	free(path);
	return prepare_all(s);
}

void sb_store_close(sb_server *s)
{
	sqlite3_stmt *all[] = {s->st_get, s->st_insert, s->st_put, s->st_del, s->st_page,
			       s->st_next_id, s->st_meta_get, s->st_meta_put, s->st_log_insert};
	for (size_t i = 0; i < sizeof all / sizeof *all; i++)
		sqlite3_finalize(all[i]);
	if (s->db)
		sqlite3_close(s->db);
	s->db = NULL;
	if (lock_fd >= 0)
		close(lock_fd);
	lock_fd = -1;
}

/* ------------------------------------------------------------------ transactions */

void sb_txn_begin(sb_server *s)
{
	if (s->db && sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL);
}

int sb_txn_commit(sb_server *s)
{
	if (!s->db || sqlite3_get_autocommit(s->db))
		return 0;
	if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
		return 0;
	sb_log(s, "state store commit failed: %s", sqlite3_errmsg(s->db));
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

void sb_txn_rollback(sb_server *s)
{
	if (s->db && !sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

/* ------------------------------------------------------------------ documents */

static void store_error(sb_server *s, const char *what)
{
	sb_log(s, "state store %s failed: %s", what, sqlite3_errmsg(s->db));
}

static json_t *row_doc(sqlite3_stmt *st, int col)
{
	const char *text = (const char *)sqlite3_column_text(st, col);
	return text ? json_loads(text, 0, NULL) : NULL;
}

json_t *sb_get(sb_server *s, const char *kind, const char *name)
{
	sqlite3_stmt *st = s->st_get;
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	json_t *doc = sqlite3_step(st) == SQLITE_ROW ? row_doc(st, 0) : NULL;
	sqlite3_reset(st);
	return doc;
}

static int write_doc(sb_server *s, sqlite3_stmt *st, const char *kind, const char *name,
		     const json_t *doc)
{
	char *text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!text)
		return -1;
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, text, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	int changes = sqlite3_changes(s->db);
	sqlite3_reset(st);
	free(text);
	if (rc != SQLITE_DONE) {
		store_error(s, "write");
		return -1;
	}
	return changes == 0 ? 1 : 0;
}

int sb_insert(sb_server *s, const char *kind, const char *name, const json_t *doc)
{
	return write_doc(s, s->st_insert, kind, name, doc);
}

int sb_put(sb_server *s, const char *kind, const char *name, const json_t *doc)
{
	return write_doc(s, s->st_put, kind, name, doc) < 0 ? -1 : 0;
}

int sb_del(sb_server *s, const char *kind, const char *name)
{
	sqlite3_stmt *st = s->st_del;
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	int changes = sqlite3_changes(s->db);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		store_error(s, "delete");
		return -1;
	}
	return changes ? 0 : 1;
}

json_t *sb_list_page(sb_server *s, const char *kind, const char *prefix, const char *after,
		     size_t limit, char **next_after)
{
	/* No valid UTF-8 continuation sorts above 0xF4 0x90: the end of the prefix range. */
	char *upper = st_xasprintf("%s\xf4\x90", prefix ? prefix : "");
	sqlite3_stmt *st = s->st_page;
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, prefix ? prefix : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, upper, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, after ? after : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, limit ? (sqlite3_int64)limit + 1 : -1);
	json_t *arr = json_array();
	char *last = NULL;
	bool more = false;
	size_t n = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (limit && n == limit) {
			more = true;
			break;
		}
		json_t *doc = row_doc(st, 1);
		if (doc)
			json_array_append_new(arr, doc);
		free(last);
		last = st_xstrdup((const char *)sqlite3_column_text(st, 0));
		n++;
	}
	if (next_after)
		*next_after = more ? last : NULL;
	if (!next_after || !more)
		free(last);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		store_error(s, "list");
	sqlite3_reset(st);
	free(upper);
	return arr;
}

json_t *sb_list(sb_server *s, const char *kind, const char *prefix)
{
	return sb_list_page(s, kind, prefix, "", 0, NULL);
}

char *sb_page_token_encode(const char *last_name)
{
	return st_base64url_encode(last_name, strlen(last_name));
}

void sb_set_page_token(json_t *out, const char *last_name)
{
	char *t;

	if (!last_name || !*last_name)
		return;
	t = sb_page_token_encode(last_name);
	json_object_set_new(out, "nextPageToken", json_string(t));
	free(t);
}

char *sb_page_token_decode(const char *token)
{
	size_t n = 0;
	unsigned char *raw = st_base64_decode(token, strlen(token), &n);
	if (!raw)
		return NULL;
	if (!st_utf8_valid((const char *)raw, n) || memchr(raw, '\0', n)) {
		free(raw);
		return NULL;
	}
	char *out = st_xstrndup((const char *)raw, n);
	free(raw);
	return out;
}

int64_t sb_next_id(sb_server *s, const char *counter)
{
	sqlite3_stmt *st = s->st_next_id;
	sqlite3_bind_text(st, 1, counter, -1, SQLITE_STATIC);
	int64_t v = -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	else
		store_error(s, "counter");
	sqlite3_reset(st);
	return v;
}

char *sb_meta_get(sb_server *s, const char *key)
{
	sqlite3_stmt *st = s->st_meta_get;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	char *v = NULL;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = st_xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	return v;
}

void sb_meta_put(sb_server *s, const char *key, const char *value)
{
	sqlite3_stmt *st = s->st_meta_put;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		store_error(s, "meta write");
	sqlite3_reset(st);
}

/* ------------------------------------------------------------------ blobs */

/* A blob's file name is the SHA-256 of its key: any key is safe as a file name. */
char *sb_blob_path(sb_server *s, const char *key)
{
	char hex[65];
	st_sha256_hex(key, strlen(key), hex);
	return st_xasprintf("%s/%s", s->blob_dir, hex);
}

int sb_blob_put(sb_server *s, const char *key, const void *data, size_t len)
{
	char *path = sb_blob_path(s, key);
	char err[512];
	int rc = st_atomic_write(path, data, len, 0600, err, sizeof err);
	if (rc < 0)
		sb_log(s, "blob %s: %s", key, err);
	free(path);
	return rc;
}

static int fsync_path(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

int sb_blob_put_file(sb_server *s, const char *key, const char *src_path)
{
	char *path = sb_blob_path(s, key);
	int rc = 0;
	if (fsync_path(src_path, O_RDONLY) < 0 || rename(src_path, path) < 0 ||
	    fsync_path(s->blob_dir, O_RDONLY | O_DIRECTORY) < 0) {
		sb_log(s, "blob %s from %s: %s", key, src_path, strerror(errno));
		rc = -1;
	}
	free(path);
	return rc;
}

unsigned char *sb_blob_get(sb_server *s, const char *key, size_t *len)
{
	char *path = sb_blob_path(s, key);
	char err[512];
	char *data = st_read_file(path, SB_MAX_UPLOAD, len, err, sizeof err);
	if (!data && errno != ENOENT)
		sb_log(s, "blob %s: %s", key, err);
	free(path);
	return (unsigned char *)data;
}

int sb_blob_del(sb_server *s, const char *key)
{
	char *path = sb_blob_path(s, key);
	int rc = unlink(path) < 0 && errno != ENOENT ? -1 : 0;
	free(path);
	return rc;
}

/* ------------------------------------------------------------------ reset */

static void clear_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char *p = st_xasprintf("%s/%s", dir, e->d_name);
		unlink(p);
		free(p);
	}
	closedir(d);
}

/* Empties every table (the modules' own too) and the blobs; the clock stays. */
int sb_store_reset(sb_server *s)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db,
			       "SELECT name FROM sqlite_master WHERE type='table' AND name NOT "
			       "LIKE 'sqlite_%' AND name<>'meta'", -1, &st, NULL) != SQLITE_OK)
		return -1;
	json_t *names = json_array();
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(names, json_string((const char *)sqlite3_column_text(st, 0)));
	sqlite3_finalize(st);
	size_t i;
	json_t *v;
	int rc = 0;
	json_array_foreach(names, i, v) {
		char *sql = sqlite3_mprintf("DELETE FROM \"%w\"", json_string_value(v));
		if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
			rc = -1;
		sqlite3_free(sql);
	}
	json_decref(names);
	clear_dir(s->blob_dir);
	return rc;
}
