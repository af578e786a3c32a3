/* Cloud Logging v2: stored LogEntries (audit entries from every call, and whatever
 * modules and clients write), entries:list with filter/order/paging, and sinks. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/codec.h"
#include "common/json.h"
#include "common/timeutil.h"
#include "sandbox/logging_filter.h"
#include "sandbox/server.h"

#define LOGGING "logging.googleapis.com"
#define MAX_PAGE 1000
#define MAX_WRITE 1000

/* ------------------------------------------------------------------ storing */

/* "projects/P/logs/x" -> "projects/P"; NULL when the name has no parent. */
static char *parent_of(const char *log_name)
{
	const char *slash = log_name ? strchr(log_name, '/') : NULL;
	const char *second = slash ? strchr(slash + 1, '/') : NULL;
	if (!second || !st_starts_with(log_name, "projects/"))
		return NULL;
	return st_xstrndup(log_name, (size_t)(second - log_name));
}

static void fill_times(sb_server *s, json_t *e, int64_t *ts_ms)
{
	char now[48];
	sb_now_rfc3339(s, now, sizeof now);
	const char *ts = stj_str(e, "timestamp");
	if (!ts || st_rfc3339_parse(ts, ts_ms) != 0) {
		json_object_set_new(e, "timestamp", json_string(now));
		*ts_ms = sb_now_ms(s);
	}
	json_object_set_new(e, "receiveTimestamp", json_string(now));
	if (!stj_str(e, "insertId")) {
		char id[32];
		snprintf(id, sizeof id, "%" PRIx64, (uint64_t)sb_next_id(s, "log-insert-id"));
		char *v = st_xasprintf("sb%012llx", (unsigned long long)strtoull(id, NULL, 16));
		json_object_set_new(e, "insertId", json_string(v));
		free(v);
	}
	if (!stj_str(e, "severity"))
		json_object_set_new(e, "severity", json_string("DEFAULT"));
}

static int store_entry(sb_server *s, json_t *e)
{
	char *parent = parent_of(stj_str(e, "logName"));
	if (!parent)
		return -1;
	int64_t ts = 0;
	fill_times(s, e, &ts);
	char *text = json_dumps(e, JSON_COMPACT | JSON_PRESERVE_ORDER);
	sqlite3_stmt *st = s->st_log_insert;
	sqlite3_bind_text(st, 1, parent, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, ts);
	sqlite3_bind_text(st, 3, text, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
	if (rc < 0)
		sb_log(s, "log entry not stored: %s", sqlite3_errmsg(s->db));
	sqlite3_reset(st);
	free(text);
	free(parent);
	return rc;
}

void sb_log_entry(sb_server *s, json_t *entry)
{
	if (store_entry(s, entry) < 0)
		sb_log(s, "log entry without a projects/P/logs/ID logName dropped");
	json_decref(entry);
}

/* ------------------------------------------------------------------ entries:list */

typedef struct list_req {
	json_t *parents;   /* array of "projects/P" */
	lf_expr *filter;
	bool desc;
	int limit;
	int64_t after_ts, after_seq; /* cursor from pageToken */
	bool have_cursor;
} list_req;

static int parse_parents(sb_call *c, json_t *req, list_req *lr)
{
	lr->parents = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(req, "resourceNames"), i, v) {
		const char *r = json_string_value(v);
		if (!r || !st_starts_with(r, "projects/") || strchr(r + 9, '/') || !r[9]) {
			sb_reply_invalid(c, "resourceNames[%zu]: '%s' is not projects/PROJECT_ID "
					 "(folders, organizations and billing accounts are not "
					 "simulated)", i, r ? r : "");
			return -1;
		}
		char *pid = sb_project_resolve(c->s, r + 9);
		json_array_append_new(lr->parents, json_sprintf("projects/%s", pid));
		free(pid);
	}
	json_array_foreach(json_object_get(req, "projectIds"), i, v)
		if (json_is_string(v))
			json_array_append_new(lr->parents,
					      json_sprintf("projects/%s", json_string_value(v)));
	if (json_array_size(lr->parents) == 0) {
		sb_reply_invalid(c, "resourceNames: at least one resource name is required");
		return -1;
	}
	return 0;
}

static int parse_order(sb_call *c, json_t *req, list_req *lr)
{
	const char *o = stj_str(req, "orderBy");
	if (!o || !*o || strcmp(o, "timestamp asc") == 0 || strcmp(o, "timestamp") == 0)
		return 0;
	if (strcmp(o, "timestamp desc") == 0) {
		lr->desc = true;
		return 0;
	}
	sb_reply_invalid(c, "orderBy: '%s' is not supported (timestamp asc or timestamp desc)", o);
	return -1;
}

static int parse_token(sb_call *c, json_t *req, list_req *lr)
{
	const char *t = stj_str(req, "pageToken");
	if (!t || !*t)
		return 0;
	char *raw = sb_page_token_decode(t);
	long long ts = 0, seq = 0;
	char d = 0;
	int n = raw ? sscanf(raw, "%lld/%lld/%c", &ts, &seq, &d) : 0;
	free(raw);
	if (n != 3 || (d != 'a' && d != 'd') || (d == 'd') != lr->desc) {
		sb_reply_invalid(c, "pageToken: invalid page token for this request");
		return -1;
	}
	lr->after_ts = ts;
	lr->after_seq = seq;
	lr->have_cursor = true;
	return 0;
}

static int parse_list(sb_call *c, json_t *req, list_req *lr)
{
	memset(lr, 0, sizeof *lr);
	int64_t ps = 50;
	json_t *psv = json_object_get(req, "pageSize");
	if (psv && (!stj_int64(req, "pageSize", &ps) || ps < 0)) {
		sb_reply_invalid(c, "pageSize: must be a non-negative integer");
		return -1;
	}
	lr->limit = ps == 0 ? 50 : ps > MAX_PAGE ? MAX_PAGE : (int)ps;
	if (parse_parents(c, req, lr) < 0 || parse_order(c, req, lr) < 0 ||
	    parse_token(c, req, lr) < 0)
		return -1;
	const char *f = stj_str(req, "filter");
	if (f && *f) {
		char err[256];
		lr->filter = lf_parse(f, err, sizeof err);
		if (!lr->filter) {
			sb_reply_invalid(c, "filter: %s", err);
			return -1;
		}
	}
	return 0;
}

static sqlite3_stmt *list_stmt(sb_server *s, list_req *lr)
{
	st_buf q;
	st_buf_init(&q);
	st_buf_puts(&q, "SELECT seq, ts_ms, doc FROM log_entries WHERE parent IN (");
	for (size_t i = 0; i < json_array_size(lr->parents); i++)
		st_buf_printf(&q, "%s?%zu", i ? "," : "", i + 3);
	st_buf_puts(&q, ")");
	if (lr->have_cursor)
		st_buf_puts(&q, lr->desc ? " AND (ts_ms < ?1 OR (ts_ms = ?1 AND seq < ?2))"
					 : " AND (ts_ms > ?1 OR (ts_ms = ?1 AND seq > ?2))");
	st_buf_puts(&q, lr->desc ? " ORDER BY ts_ms DESC, seq DESC" : " ORDER BY ts_ms, seq");
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s->db, q.p, -1, &st, NULL) != SQLITE_OK)
		sb_log(s, "entries:list query: %s", sqlite3_errmsg(s->db));
	st_buf_free(&q);
	if (!st)
		return NULL;
	sqlite3_bind_int64(st, 1, lr->after_ts);
	sqlite3_bind_int64(st, 2, lr->after_seq);
	for (size_t i = 0; i < json_array_size(lr->parents); i++)
		sqlite3_bind_text(st, (int)i + 3, json_string_value(json_array_get(lr->parents, i)),
				  -1, SQLITE_TRANSIENT);
	return st;
}

/* The projects come from the body here, so the core cannot check the API itself. */
static int require_projects(sb_call *c, json_t *parents)
{
	size_t i;
	json_t *v;
	json_array_foreach(parents, i, v) {
		const char *pid = json_string_value(v) + strlen("projects/");
		if (i == 0)
			sb_audit_project(c, pid);
		if (sb_require_service(c, pid) < 0)
			return -1;
	}
	return 0;
}

static void list_entries(sb_server *s, sb_call *c)
{
	json_t *req = sb_json(c);
	list_req lr;
	if (!req)
		return;
	if (parse_list(c, req, &lr) < 0 || require_projects(c, lr.parents) < 0)
		goto out;
	sqlite3_stmt *st = list_stmt(s, &lr);
	if (!st) {
		sb_reply_error(c, 500, "INTERNAL", NULL, "log query failed");
		goto out;
	}
	json_t *entries = json_array();
	int64_t last_ts = 0, last_seq = 0;
	bool more = false;
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *e = json_loads((const char *)sqlite3_column_text(st, 2), 0, NULL);
		if (!e || (lr.filter && !lf_match(lr.filter, e))) {
			json_decref(e);
			continue;
		}
		if ((int)json_array_size(entries) == lr.limit) {
			json_decref(e);
			more = true;
			break;
		}
		json_array_append_new(entries, e);
		last_seq = sqlite3_column_int64(st, 0);
		last_ts = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	json_t *out = json_object();
	if (json_array_size(entries))
		json_object_set(out, "entries", entries);
	json_decref(entries);
	if (more) {
		char *raw = st_xasprintf("%lld/%lld/%c", (long long)last_ts, (long long)last_seq,
					 lr.desc ? 'd' : 'a');
		sb_set_page_token(out, raw);
		free(raw);
	}
	sb_reply_json(c, 200, out);
out:
	json_decref(lr.parents);
	lf_free(lr.filter);
}

/* ------------------------------------------------------------------ entries:write */

static const char *const severities[] = {"DEFAULT", "DEBUG", "INFO", "NOTICE", "WARNING",
					  "ERROR", "CRITICAL", "ALERT", "EMERGENCY"};

static bool severity_ok(const char *sev)
{
	for (size_t i = 0; i < sizeof severities / sizeof *severities; i++)
		if (strcmp(sev, severities[i]) == 0)
			return true;
	return false;
}

static json_t *merge_entry(json_t *req, json_t *in, size_t i, char *err, size_t errlen)
{
	json_t *e = json_deep_copy(in);
	if (!stj_str(e, "logName") && stj_str(req, "logName"))
		json_object_set(e, "logName", json_object_get(req, "logName"));
	if (!json_object_get(e, "resource") && json_object_get(req, "resource"))
		json_object_set(e, "resource", json_object_get(req, "resource"));
	const char *ln = stj_str(e, "logName");
	char *parent = parent_of(ln);
	const char *sev = stj_str(e, "severity");
	int payloads = !!json_object_get(e, "textPayload") + !!json_object_get(e, "jsonPayload") +
		       !!json_object_get(e, "protoPayload");
	if (!parent || !strstr(ln, "/logs/"))
		snprintf(err, errlen, "entries[%zu].logName: projects/PROJECT/logs/LOG_ID required",
			 i);
	else if (!json_is_object(json_object_get(e, "resource")) || !stj_str(e, "resource.type"))
		snprintf(err, errlen, "entries[%zu].resource.type: required", i);
	else if (sev && !severity_ok(sev))
		snprintf(err, errlen, "entries[%zu].severity: invalid value '%s'", i, sev);
	else if (payloads > 1)
		snprintf(err, errlen, "entries[%zu]: only one of textPayload, jsonPayload and "
			 "protoPayload may be set", i);
	else
		err[0] = '\0';
	free(parent);
	if (err[0]) {
		json_decref(e);
		return NULL;
	}
	return e;
}

static void write_entries(sb_server *s, sb_call *c)
{
	json_t *req = sb_json(c);
	if (!req)
		return;
	json_t *in = json_object_get(req, "entries");
	if (!json_is_array(in) || json_array_size(in) == 0)
		return sb_reply_invalid(c, "entries: at least one entry is required");
	if (json_array_size(in) > MAX_WRITE)
		return sb_reply_invalid(c, "entries: at most %d entries per call", MAX_WRITE);
	json_t *ready = json_array();
	size_t i;
	json_t *v;
	char err[256];
	json_array_foreach(in, i, v) {
		json_t *e = json_is_object(v) ? merge_entry(req, v, i, err, sizeof err) : NULL;
		if (!e) {
			json_decref(ready);
			return sb_reply_invalid(c, "%s", json_is_object(v) ? err : "entries: objects required");
		}
		json_array_append_new(ready, e);
	}
	json_array_foreach(ready, i, v) {
		char *parent = parent_of(stj_str(v, "logName"));
		int rc = sb_require_service(c, parent + strlen("projects/"));
		if (i == 0 && rc == 0)
			sb_audit_project(c, parent + strlen("projects/"));
		free(parent);
		if (rc < 0) {
			json_decref(ready);
			return;
		}
	}
	json_array_foreach(ready, i, v)
		store_entry(s, v);
	json_decref(ready);
	sb_reply_json(c, 200, json_object());
}

/* ------------------------------------------------------------------ logs */

/* logs.list: the distinct log names that have entries, in name order. */
static void list_logs(sb_server *s, sb_call *c)
{
	const char *project = sb_need_project(c);
	if (!project)
		return;
	char *parent = st_xasprintf("projects/%s", project);
	sqlite3_stmt *st = NULL;
	json_t *names = json_array();
	if (sqlite3_prepare_v2(s->db, "SELECT DISTINCT json_extract(doc, '$.logName') AS n FROM "
			       "log_entries WHERE parent=?1 ORDER BY n", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, parent, -1, SQLITE_STATIC);
		while (sqlite3_step(st) == SQLITE_ROW)
			json_array_append_new(names,
					      json_string((const char *)sqlite3_column_text(st, 0)));
	}
	sqlite3_finalize(st);
	free(parent);
	sb_reply_json(c, 200, json_pack("{s:o}", "logNames", names));
}

/* logs.delete: every entry of one log (new entries may arrive again later). */
static void delete_log(sb_server *s, sb_call *c)
{
	const char *project = sb_need_project(c);
	if (!project)
		return;
	char *parent = st_xasprintf("projects/%s", project);
	char *esc = st_url_escape(sb_var(c, "log"));
	char *name = st_xasprintf("%s/logs/%s", parent, esc);
	sqlite3_stmt *st = NULL;
	int changes = -1;
	if (sqlite3_prepare_v2(s->db, "DELETE FROM log_entries WHERE parent=?1 AND "
			       "json_extract(doc, '$.logName') IN (?2, ?3)", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, parent, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
		char *plain = st_xasprintf("%s/logs/%s", parent, sb_var(c, "log"));
		sqlite3_bind_text(st, 3, plain, -1, SQLITE_TRANSIENT);
		free(plain);
		if (sqlite3_step(st) == SQLITE_DONE)
			changes = sqlite3_changes(s->db);
	}
	sqlite3_finalize(st);
	sb_audit_resource(c, name);
	if (changes < 0)
		sb_reply_error(c, 503, "UNAVAILABLE", NULL, "log delete failed");
	else if (changes == 0)
		sb_reply_not_found(c, name);
	else
		sb_reply_json(c, 200, json_object());
	free(name);
	free(esc);
	free(parent);
}

/* ------------------------------------------------------------------ sinks */

static bool destination_ok(const char *d)
{
	static const char *const kinds[] = {"storage.googleapis.com/", "bigquery.googleapis.com/projects/",
					    "pubsub.googleapis.com/projects/",
					    "logging.googleapis.com/projects/"};
	for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
		if (st_starts_with(d, kinds[i]) && d[strlen(kinds[i])])
			return true;
	return false;
}

static bool sink_name_ok(const char *n)
{
	size_t len = strlen(n);
	if (len == 0 || len > 100)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.", n[i]))
			return false;
	return true;
}

static char *sink_key(sb_call *c, const char *name)
{
	return st_xasprintf("projects/%s/sinks/%s", sb_call_project(c), name);
}

static json_t *sink_out(json_t *doc)
{
	return json_deep_copy(doc);
}

static void create_sink(sb_server *s, sb_call *c)
{
	json_t *req = sb_json(c);
	if (!req)
		return;
	if (!sb_need_project(c))
		return;
	const char *name = stj_str(req, "name");
	const char *dest = stj_str(req, "destination");
	const char *filter = stj_str(req, "filter");
	if (!name || !sink_name_ok(name))
		return sb_reply_invalid(c, "name: required; up to 100 of A-Z a-z 0-9 _ - .");
	if (!dest || !destination_ok(dest))
		return sb_reply_invalid(c, "destination: '%s' is not a storage, bigquery, pubsub "
					   "or logging bucket destination", dest ? dest : "");
	if (filter && *filter) {
		char err[256];
		lf_expr *f = lf_parse(filter, err, sizeof err);
		if (!f)
			return sb_reply_invalid(c, "filter: %s", err);
		lf_free(f);
	}
	const char *uwi = sb_query(c, "uniqueWriterIdentity");
	long long num = (long long)sb_project_number(s, sb_call_project(c));
	char *writer = uwi && strcmp(uwi, "false") == 0
			       ? st_xstrdup("serviceAccount:cloud-logs@system.gserviceaccount.com")
			       : st_xasprintf("serviceAccount:service-%lld@gcp-sa-logging.iam."
					      "gserviceaccount.com", num);
	char now[48];
	sb_now_rfc3339(s, now, sizeof now);
	json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "name", name, "destination", dest,
				"filter", filter ? filter : "", "writerIdentity", writer,
				"createTime", now, "updateTime", now);
	json_t *desc = json_object_get(req, "description");
	if (json_is_string(desc))
		json_object_set(doc, "description", desc);
	json_object_set_new(doc, "disabled", json_boolean(stj_bool(req, "disabled", false)));
	char *key = sink_key(c, name);
	int rc = sb_insert(s, "sink", key, doc);
	sb_audit_resource(c, key);
	if (rc == 1)
		sb_reply_exists(c, key);
	else if (rc < 0)
		sb_reply_error(c, 503, "UNAVAILABLE", NULL, "cannot store the sink");
	else
		sb_reply_json(c, 200, sink_out(doc));
	free(key);
	free(writer);
	json_decref(doc);
}

static json_t *find_sink(sb_server *s, sb_call *c, char **key_out)
{
	*key_out = NULL;
	if (!sb_need_project(c))
		return NULL;
	char *key = sink_key(c, sb_var(c, "sink"));
	json_t *doc = sb_get(s, "sink", key);
	sb_audit_resource(c, key);
	if (!doc)
		sb_reply_not_found(c, key);
	*key_out = key;
	return doc;
}

static void get_sink(sb_server *s, sb_call *c)
{
	char *key;
	json_t *doc = find_sink(s, c, &key);
	if (doc)
		sb_reply_json(c, 200, doc);
	free(key);
}

static void delete_sink(sb_server *s, sb_call *c)
{
	char *key;
	json_t *doc = find_sink(s, c, &key);
	if (doc) {
		sb_del(s, "sink", key);
		sb_reply_json(c, 200, json_object());
	}
	json_decref(doc);
	free(key);
}

static void list_sinks(sb_server *s, sb_call *c)
{
	if (!sb_need_project(c))
		return;
	char *prefix = st_xasprintf("projects/%s/sinks/", sb_call_project(c));
	char *after = NULL, *next = NULL;
	const char *tok = sb_query(c, "pageToken");
	if (tok && *tok && !(after = sb_page_token_decode(tok))) {
		free(prefix);
		return sb_reply_invalid(c, "pageToken: invalid page token");
	}
	const char *ps = sb_query(c, "pageSize");
	long limit = ps ? strtol(ps, NULL, 10) : 0;
	if (limit <= 0 || limit > 200)
		limit = 200;
	json_t *page = sb_list_page(s, "sink", prefix, after ? after : "", (size_t)limit, &next);
	json_t *out = json_pack("{s:o}", "sinks", page);
	sb_set_page_token(out, next);
	free(next);
	free(after);
	free(prefix);
	sb_reply_json(c, 200, out);
}

#define L(m) "google.logging.v2." m
static const sb_route routes[] = {
	{"POST", "/v2/entries:list", list_entries, LOGGING, L("LoggingServiceV2.ListLogEntries"),
	 SB_DATA_ACCESS | SB_ADMIN_READ},
	{"POST", "/v2/entries:write", write_entries, LOGGING, L("LoggingServiceV2.WriteLogEntries"),
	 SB_DATA_ACCESS},
	{"GET", "/v2/projects/{project}/logs", list_logs, LOGGING, L("LoggingServiceV2.ListLogs"),
	 0},
	{"DELETE", "/v2/projects/{project}/logs/{log*}", delete_log, LOGGING,
	 L("LoggingServiceV2.DeleteLog"), 0},
	{"POST", "/v2/projects/{project}/sinks", create_sink, LOGGING, L("ConfigServiceV2.CreateSink"),
	 0},
	{"GET", "/v2/projects/{project}/sinks", list_sinks, LOGGING, L("ConfigServiceV2.ListSinks"),
	 0},
	{"GET", "/v2/projects/{project}/sinks/{sink}", get_sink, LOGGING,
	 L("ConfigServiceV2.GetSink"), 0},
	{"DELETE", "/v2/projects/{project}/sinks/{sink}", delete_sink, LOGGING,
	 L("ConfigServiceV2.DeleteSink"), 0},
};
#undef L

const sb_service sb_svc_logging = {
	.name = LOGGING,
	.routes = routes,
	.nroutes = sizeof routes / sizeof *routes,
};
