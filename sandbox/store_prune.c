/* Housekeeping on the core's tick: expired access tokens are dropped, and log entries
 * age out as in Cloud Logging's default buckets (Admin Activity audit logs after
 * 400 days, everything else after 30), in sandbox time, so the store stays bounded. */
#include "sandbox/server.h"

#include "common/timeutil.h"

#define PRUNE_EVERY_MS 60000
#define DAY_MS (86400LL * 1000)

static void exec_bound(sb_server *s, const char *sql, int64_t bound)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		sb_log(s, "prune: %s", sqlite3_errmsg(s->db));
		return;
	}
	sqlite3_bind_int64(st, 1, bound);
	if (sqlite3_step(st) != SQLITE_DONE)
		sb_log(s, "prune: %s", sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
}

void sb_store_prune(sb_server *s)
{
	static int64_t last;
	int64_t now = st_mono_ms();
	if (last && now - last < PRUNE_EVERY_MS)
		return;
	last = now;
	exec_bound(s, "DELETE FROM docs WHERE kind='token' AND "
		      "json_extract(doc, '$.expiresMs') < ?1", st_wall_ms());
	int64_t t = sb_now_ms(s);
	exec_bound(s, "DELETE FROM log_entries WHERE ts_ms < ?1 AND doc NOT LIKE "
		      "'%cloudaudit.googleapis.com\\%2Factivity%' ESCAPE '\\'", t - 30 * DAY_MS);
	exec_bound(s, "DELETE FROM log_entries WHERE ts_ms < ?1", t - 400 * DAY_MS);
}
