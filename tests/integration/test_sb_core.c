/* The sandbox core against the real binary: routing, auth, the error envelope,
 * hostile requests, persistence across restart and kill -9. */
#include "tests/integration/test_sb_core_util.h"

#include "common/atomicfile.h"
#include "common/timeutil.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <pthread.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Sends raw bytes and returns the status of the first response line (0 if none). */
static int raw_request(const st_sandbox *sb, const char *data, size_t len, char *resp,
		       size_t rsize)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)sb->port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
	size_t off = 0;
	while (off < len) {
		ssize_t w = send(fd, data + off, len - off, MSG_NOSIGNAL);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	shutdown(fd, SHUT_WR);
	size_t got = 0;
	ssize_t n;
	while (got + 1 < rsize && (n = recv(fd, resp + got, rsize - 1 - got, 0)) > 0)
		got += (size_t)n;
	resp[got] = '\0';
	close(fd);
	int status = 0;
	sscanf(resp, "HTTP/1.%*d %d", &status);
	return status;
}

/* Fixtures: a sandbox of the test's own, with no API enabled (plain) or every API
 * enabled in "p1"; the teardown requires a clean exit (see sbt_stop). */
static int setup_plain(void **state)
{
	st_sandbox *sb = st_xcalloc(1, sizeof(*sb));

	*state = sb;
	return st_sandbox_start(sb, NULL, NULL);
}

static int setup_enabled(void **state)
{
	*state = sbt_new(NULL);
	return 0;
}

static int teardown_stop(void **state)
{
	sbt_stop(*state);
	free(*state);
	return 0;
}

static void t_health_needs_no_token(void **state)
{
	st_sandbox *sb = *state;
	st_http_resp r;
	assert_int_equal(st_http(sb, "GET", "/sandbox/v1/health", NULL, 0, NULL, "", NULL, &r), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(sbt_str(&r, "status"), "ok");
	assert_true(json_is_string(json_object_get(r.json, "requests")));
	st_http_free(&r);
}

static void t_missing_token_401(void **state)
{
	st_sandbox *sb = *state;
	st_http_resp r;
	assert_int_equal(st_http(sb, "GET", "/v1/projects/p1/serviceAccounts", NULL, 0, NULL, "",
				 NULL, &r), 0);
	assert_int_equal(r.status, 401);
	sbt_error(&r, 401, "UNAUTHENTICATED");
	st_http_free(&r);
	const char *basic[] = {"Authorization: Basic dXNlcjpwdw==", NULL};
	assert_int_equal(st_http(sb, "GET", "/v1/projects/p1/serviceAccounts", NULL, 0, NULL, "",
				 basic, &r), 0);
	assert_int_equal(r.status, 401);
	st_http_free(&r);
}

static void t_unknown_path_404_method_405(void **state)
{
	st_sandbox *sb = *state;
	st_http_resp r;
	sbt_call(sb, "GET", "/v1/no/such/api", NULL, 404, &r);
	sbt_error(&r, 404, "NOT_FOUND");
	st_http_free(&r);
	sbt_call(sb, "PATCH", "/v1/projects/p1/services", NULL, 405, &r);
	sbt_error(&r, 405, "INVALID_ARGUMENT");
	st_http_free(&r);
	sbt_call(sb, "BREW", "/sandbox/v1/health", NULL, 405, &r);
	st_http_free(&r);
}

static void t_service_disabled_403(void **state)
{
	st_sandbox *sb = *state;
	st_http_resp r;
	sbt_call(sb, "GET", "/v1/projects/p1/serviceAccounts", NULL, 403, &r);
	sbt_error(&r, 403, "PERMISSION_DENIED");
	assert_string_equal(sbt_reason(&r), "SERVICE_DISABLED");
	assert_non_null(strstr(r.body, "iam.googleapis.com"));
	st_http_free(&r);
}

static void t_malformed_json_and_content_type(void **state)
{
	st_sandbox *sb = *state;
	st_http_resp r;
	sbt_call(sb, "POST", "/v1/projects/p1/serviceAccounts", "{\"accountId\": ", 400, &r);
	sbt_error(&r, 400, "INVALID_ARGUMENT");
	assert_non_null(strstr(r.body, "Invalid JSON payload"));
	st_http_free(&r);
	sbt_call(sb, "POST", "/v1/projects/p1/serviceAccounts", "[1,2]", 400, &r);
	st_http_free(&r);
	const char *b = "{\"accountId\":\"runner-one\"}";
	assert_int_equal(st_http(sb, "POST", "/v1/projects/p1/serviceAccounts", b, strlen(b),
				 "application/x-www-form-urlencoded", NULL, NULL, &r), 0);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(r.body, "Content-Type"));
	st_http_free(&r);
	/* Invalid UTF-8 inside a JSON string. */
	const char bad[] = "{\"accountId\":\"runner-\xff\xfe\"}";
	assert_int_equal(st_http(sb, "POST", "/v1/projects/p1/serviceAccounts", bad,
				 sizeof bad - 1, NULL, NULL, NULL, &r), 0);
	assert_int_equal(r.status, 400);
	st_http_free(&r);
	/* Nothing was created by any of them. */
	sbt_call(sb, "GET", "/v1/projects/p1/serviceAccounts", NULL, 200, &r);
	assert_null(json_object_get(r.json, "accounts"));
	st_http_free(&r);
}

static void t_hostile_paths(void **state)
{
	st_sandbox *sb = *state;
	char resp[8192];
	const char *trav = "GET /v1/projects/p1/../../etc/passwd HTTP/1.1\r\nHost: x\r\n"
			   "Authorization: Bearer t\r\nConnection: close\r\n\r\n";
	assert_int_equal(raw_request(sb, trav, strlen(trav), resp, sizeof resp), 400);
	const char *enc = "GET /v1/projects/p1/serviceAccounts/%2e%2e%2F%2e%2e HTTP/1.1\r\nHost: x\r\n"
			  "Authorization: Bearer t\r\nConnection: close\r\n\r\n";
	int st = raw_request(sb, enc, strlen(enc), resp, sizeof resp);
	assert_true(st == 404 || st == 400);
	const char *utf = "GET /v1/projects/p1/serviceAccounts/%ff%fe HTTP/1.1\r\nHost: x\r\n"
			  "Authorization: Bearer t\r\nConnection: close\r\n\r\n";
	st = raw_request(sb, utf, strlen(utf), resp, sizeof resp);
	assert_true(st == 404 || st == 400);
	const char *q = "GET /v1/projects/p1/services?pageToken=%zz HTTP/1.1\r\nHost: x\r\n"
			"Authorization: Bearer t\r\nConnection: close\r\n\r\n";
	assert_int_equal(raw_request(sb, q, strlen(q), resp, sizeof resp), 400);
	/* The server still answers normally afterwards. */
	st_http_resp r;
	sbt_call(sb, "GET", "/sandbox/v1/health", NULL, 200, &r);
	st_http_free(&r);
}

static void t_huge_headers_and_bodies(void **state)
{
	st_sandbox *sb = *state;
	char resp[8192];
	st_buf b;
	st_buf_init(&b);
	st_buf_puts(&b, "GET /sandbox/v1/health HTTP/1.1\r\nHost: x\r\nX-Big: ");
	for (int i = 0; i < 300000; i++)
		st_buf_puts(&b, "a");
	st_buf_puts(&b, "\r\nConnection: close\r\n\r\n");
	int st = raw_request(sb, b.p, b.len, resp, sizeof resp);
	assert_true(st == 431 || st == 413 || st == 400 || st == 0);
	st_buf_free(&b);
	const char *big = "POST /v1/projects/p1/serviceAccounts HTTP/1.1\r\nHost: x\r\n"
			  "Authorization: Bearer t\r\nContent-Type: application/json\r\n"
			  "Content-Length: 70000000\r\nConnection: close\r\n\r\n{}";
	assert_int_equal(raw_request(sb, big, strlen(big), resp, sizeof resp), 413);
	assert_non_null(strstr(resp, "\"error\""));
	st_http_resp r;
	sbt_call(sb, "GET", "/sandbox/v1/health", NULL, 200, &r);
	st_http_free(&r);
}

static void t_restart_keeps_state(void **state)
{
	st_sandbox sb;
	sbt_start(&sb, NULL, NULL);
	st_http_resp r;
	sbt_call(&sb, "POST", "/v1/projects/p1/serviceAccounts",
		 "{\"accountId\":\"keeper-sa\"}", 200, &r);
	st_http_free(&r);
	char *dir = st_xstrdup(sb.state);
	struct stat stt;
	assert_int_equal(stat(dir, &stt), 0);
	assert_int_equal(stt.st_mode & 0777, 0700);
	char *db = st_xasprintf("%s/sandbox.db", dir);
	assert_int_equal(stat(db, &stt), 0);
	assert_int_equal(stt.st_mode & 0077, 0);
	free(db);
	st_sandbox_stop(&sb, SIGTERM, true);
	st_sandbox sb2;
	assert_int_equal(st_sandbox_start(&sb2, dir, NULL), 0);
	sbt_call(&sb2, "GET", "/v1/projects/p1/serviceAccounts/keeper-sa@p1.iam.gserviceaccount.com",
		 NULL, 200, &r);
	assert_string_equal(sbt_str(&r, "email"), "keeper-sa@p1.iam.gserviceaccount.com");
	st_http_free(&r);
	sbt_call(&sb2, "GET", "/v1/projects/p1/services/iam.googleapis.com", NULL, 200, &r);
	assert_string_equal(sbt_str(&r, "state"), "ENABLED");
	st_http_free(&r);
	sbt_stop(&sb2);
	sbt_stop(&sb);
	st_test_rmtree(dir);
	free(dir);
	(void)state;
}

/* Child: creates accounts one after another until it is killed. */
static void hammer(const st_sandbox *sb)
{
	for (int i = 0; i < 100000; i++) {
		char body[96];
		snprintf(body, sizeof body, "{\"accountId\":\"load-%06d\"}", i);
		st_http_resp r;
		st_http_json(sb, "POST", "/v1/projects/p1/serviceAccounts", body, &r);
		st_http_free(&r);
	}
	_exit(0);
}

static void t_kill9_mid_request(void **state)
{
	st_sandbox sb;
	sbt_start(&sb, NULL, NULL);
	char *dir = st_xstrdup(sb.state);
	pid_t kid = fork();
	assert_true(kid >= 0);
	if (kid == 0)
		hammer(&sb);
	/* Kill once writes are under way, however slow the machine is. */
	for (int i = 0; i < 500; i++) {
		st_http_resp r;
		st_http_json(&sb, "GET", "/v1/projects/p1/serviceAccounts?pageSize=5", NULL, &r);
		bool some = json_array_size(json_object_get(r.json, "accounts")) >= 5;
		st_http_free(&r);
		if (some)
			break;
		usleep(20000);
	}
	usleep(100000);
	st_sandbox_stop(&sb, SIGKILL, true);
	kill(kid, SIGKILL);
	waitpid(kid, NULL, 0);
	st_sandbox sb2;
	assert_int_equal(st_sandbox_start(&sb2, dir, NULL), 0);
	/* Every account that exists is whole and findable by email and by id. */
	st_http_resp r;
	sbt_call(&sb2, "GET", "/v1/projects/p1/serviceAccounts?pageSize=100", NULL, 200, &r);
	json_t *accts = json_object_get(r.json, "accounts");
	assert_true(json_array_size(accts) > 0);
	size_t i;
	json_t *a;
	json_array_foreach(accts, i, a) {
		const char *uid = json_string_value(json_object_get(a, "uniqueId"));
		assert_non_null(uid);
		char *p = st_xasprintf("/v1/projects/p1/serviceAccounts/%s", uid);
		st_http_resp g;
		sbt_call(&sb2, "GET", p, NULL, 200, &g);
		st_http_free(&g);
		free(p);
	}
	st_http_free(&r);
	/* And the sandbox keeps working: a new account, then a restart, then it is there. */
	sbt_call(&sb2, "POST", "/v1/projects/p1/serviceAccounts", "{\"accountId\":\"after-kill\"}",
		 200, &r);
	st_http_free(&r);
	sbt_stop(&sb2);
	sbt_stop(&sb);
	st_test_rmtree(dir);
	free(dir);
	(void)state;
}

/* The statuses of 40 sequential calls under a seeded fault spec. */
static void fault_run(const char *seed, char *out)
{
	const char *extra[] = {"--faults", "503:0.2,429:0.1,reset:0.05,latency:1ms", "--seed",
			       seed, NULL};
	st_sandbox sb;
	assert_int_equal(st_sandbox_start(&sb, NULL, extra), 0);
	for (int i = 0; i < 40; i++) {
		st_http_resp r;
		int rc = st_http_json(&sb, "GET", "/v1/projects/p1/services/iam.googleapis.com", NULL,
				      &r);
		out[i] = rc < 0 ? 'x' : r.status == 503 ? '5' : r.status == 429 ? '4'
								 : r.status == 200 ? '.' : '?';
		st_http_free(&r);
	}
	out[40] = '\0';
	/* Health is never faulted, and it counts what was injected. */
	st_http_resp h;
	sbt_call(&sb, "GET", "/sandbox/v1/health", NULL, 200, &h);
	st_http_free(&h);
	char *log = st_xstrdup(sb.log);
	st_sandbox_stop(&sb, 0, true);
	char err[128];
	size_t n;
	char *text = st_read_file(log, 1 << 20, &n, err, sizeof err);
	assert_non_null(text);
	if (strchr(out, '5') || strchr(out, '4') || strchr(out, 'x'))
		assert_non_null(strstr(text, "fault injected"));
	free(text);
	unlink(log);
	free(log);
	st_test_rmtree(sb.state);
	free(sb.state);
	free(sb.log);
}

static void t_faults_reproducible(void **state)
{
	char a[41], b[41], c[41];
	fault_run("42", a);
	fault_run("42", b);
	fault_run("7", c);
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	assert_non_null(strchr(a, '5'));
	assert_non_null(strchr(a, '.'));
	(void)state;
}

static void t_refuses_remote_and_bad_flags(void **state)
{
	const char *bin = getenv("ST_SANDBOX");
	assert_non_null(bin);
	char *cmd = st_xasprintf("'%s' --listen 0.0.0.0:0 --state /tmp/sb-never-made 2>&1", bin);
	FILE *p = popen(cmd, "r");
	char line[512] = "";
	assert_non_null(fgets(line, sizeof line, p));
	assert_int_not_equal(pclose(p), 0);
	assert_non_null(strstr(line, "loopback"));
	free(cmd);
	cmd = st_xasprintf("'%s' --state /tmp/sb-never-made --faults 503:2 2>&1", bin);
	p = popen(cmd, "r");
	assert_non_null(fgets(line, sizeof line, p));
	assert_int_not_equal(pclose(p), 0);
	assert_non_null(strstr(line, "--faults"));
	free(cmd);
	(void)state;
}

/* Runs the sandbox binary with a state dir and returns its first output line. */
static int run_bin(const char *state, char *line, size_t size)
{
	char *cmd = st_xasprintf("'%s' --listen 127.0.0.1:0 --state '%s' 2>&1", getenv("ST_SANDBOX"),
				 state);
	FILE *p = popen(cmd, "r");
	line[0] = '\0';
	if (!fgets(line, (int)size, p))
		line[0] = '\0';
	int st = pclose(p);
	free(cmd);
	return st;
}

static void t_bad_state(void **state)
{
	char line[512];
	char *dir = st_test_tmpdir("badstate");
	/* A regular file where the directory should be. */
	char *file = st_xasprintf("%s/plain-file", dir);
	st_test_write_file(file, "x");
	assert_int_not_equal(run_bin(file, line, sizeof line), 0);
	assert_non_null(strstr(line, file));
	/* A database file that is not one. */
	char *sdir = st_xasprintf("%s/st", dir);
	char *db = st_xasprintf("%s/sandbox.db", sdir);
	mkdir(sdir, 0700);
	st_test_write_file(db, "this is not an sqlite database, just text that is long enough");
	assert_int_not_equal(run_bin(sdir, line, sizeof line), 0);
	assert_non_null(strstr(line, "state store"));
	/* A directory another sandbox is using. */
	st_sandbox sb;
	assert_int_equal(st_sandbox_start(&sb, NULL, NULL), 0);
	assert_int_not_equal(run_bin(sb.state, line, sizeof line), 0);
	assert_non_null(strstr(line, "in use"));
	sbt_stop(&sb);
	free(db);
	free(sdir);
	free(file);
	st_test_rmtree(dir);
	free(dir);
	(void)state;
}

static void t_strict_auth(void **state)
{
	const char *extra[] = {"--strict-auth", NULL};
	st_sandbox sb;
	assert_int_equal(st_sandbox_start(&sb, NULL, extra), 0);
	st_http_resp r;
	sbt_call(&sb, "GET", "/v1/projects/p1/services", NULL, 401, &r);
	sbt_error(&r, 401, "UNAUTHENTICATED");
	st_http_free(&r);
	sbt_stop(&sb);
	(void)state;
}

/* Eight clients at once: every create lands exactly once, none is lost or doubled. */
typedef struct worker {
	const st_sandbox *sb;
	int id;
	int ok;
} worker;

static void *work(void *arg)
{
	worker *w = arg;
	for (int i = 0; i < 25; i++) {
		char body[64];
		snprintf(body, sizeof body, "{\"accountId\":\"par-%d-%02d\"}", w->id, i);
		st_http_resp r;
		if (st_http_json(w->sb, "POST", "/v1/projects/p1/serviceAccounts", body, &r) == 0 &&
		    r.status == 200)
			w->ok++;
		st_http_free(&r);
	}
	return NULL;
}

static void t_concurrent_clients(void **state)
{
	st_sandbox *sb = *state;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	pthread_t th[8];
	worker w[8];
	for (int i = 0; i < 8; i++) {
		w[i] = (worker){sb, i, 0};
		assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
	}
	int ok = 0;
	for (int i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		ok += w[i].ok;
	}
	assert_int_equal(ok, 200);
	size_t seen = 0;
	char *tok = NULL;
	do {
		char *p = st_xasprintf("/v1/projects/p1/serviceAccounts?pageSize=100%s%s",
				       tok ? "&pageToken=" : "", tok ? tok : "");
		st_http_resp r;
		sbt_call(sb, "GET", p, NULL, 200, &r);
		free(p);
		free(tok);
		tok = NULL;
		seen += json_array_size(json_object_get(r.json, "accounts"));
		if (sbt_str(&r, "nextPageToken"))
			tok = st_url_escape(sbt_str(&r, "nextPageToken"));
		st_http_free(&r);
	} while (tok);
	assert_int_equal(seen, 200);
}

/* A full disk (here: a file-size limit the sandbox inherits) turns writes into 503s
 * naming the store; nothing crashes and what was stored stays readable. */
static void t_disk_full(void **state)
{
	st_sandbox sb;
	struct rlimit old, lim;
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = 1 << 20;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	int rc = st_sandbox_start(&sb, NULL, NULL);
	setrlimit(RLIMIT_FSIZE, &old);
	assert_int_equal(rc, 0);
	assert_int_equal(st_sandbox_enable_all(&sb, "p1"), 0);
	st_http_resp r;
	long last = 200;
	int made = 0;
	for (int i = 0; i < 20000 && last == 200; i++) {
		char body[600];
		snprintf(body, sizeof body, "{\"accountId\":\"full-%05d\",\"serviceAccount\":"
			 "{\"description\":\"%0200d\"}}", i, i);
		assert_int_equal(st_http_json(&sb, "POST", "/v1/projects/p1/serviceAccounts", body,
					      &r), 0);
		last = r.status;
		if (last == 200)
			made++;
		else
			assert_non_null(strstr(r.body, "store"));
		st_http_free(&r);
	}
	assert_int_equal(last, 503);
	assert_true(made > 10);
	sbt_call(&sb, "GET", "/sandbox/v1/health", NULL, 200, &r);
	st_http_free(&r);
	sbt_call(&sb, "GET", "/v1/projects/p1/serviceAccounts/full-00003@p1.iam.gserviceaccount.com",
		 NULL, 200, &r);
	st_http_free(&r);
	sbt_stop(&sb);
	(void)state;
}

/* "-" and "_" stand for "any project" only where Google allows it (IAM get); elsewhere
 * they are a clean 400, never a crash. */
static void t_wildcard_projects(void **state)
{
	st_sandbox *sb = *state;
	static const char *const calls[][2] = {
		{"GET", "/v1/projects/-"}, {"GET", "/v3/projects/_"},
		{"POST", "/v1/projects/-:getIamPolicy"}, {"POST", "/v1/projects/_:setIamPolicy"},
		{"GET", "/v1/projects/-/serviceAccounts"}, {"POST", "/v1/projects/-/serviceAccounts"},
		{"POST", "/v2/projects/-/sinks"}, {"GET", "/v2/projects/-/sinks"},
		{"GET", "/v2/projects/-/sinks/x"}, {"GET", "/v1/projects/-/services"},
		{"POST", "/v1/projects/-/services:batchEnable"},
		{"GET", "/v1/projects/_/services/iam.googleapis.com"},
	};
	const char *body = "{\"accountId\":\"abcdefg\",\"name\":\"s\",\"destination\":"
			   "\"storage.googleapis.com/b\",\"serviceIds\":[\"iam.googleapis.com\"],"
			   "\"policy\":{}}";
	for (size_t i = 0; i < sizeof calls / sizeof *calls; i++) {
		st_http_resp r;
		sbt_call(sb, calls[i][0], calls[i][1], strcmp(calls[i][0], "POST") ? NULL : body,
			 400, &r);
		sbt_error(&r, 400, "INVALID_ARGUMENT");
		st_http_free(&r);
	}
	st_http_resp r;
	sbt_call(sb, "GET", "/v1/projects/-/serviceAccounts/nobody@p1.iam.gserviceaccount.com",
		 NULL, 404, &r);
	st_http_free(&r);
}

static int64_t health_time(const st_sandbox *sb)
{
	st_http_resp r;
	sbt_call(sb, "GET", "/sandbox/v1/health", NULL, 200, &r);
	int64_t ms = 0;
	assert_int_equal(st_rfc3339_parse(sbt_str(&r, "time"), &ms), 0);
	st_http_free(&r);
	return ms;
}

/* --time-scale runs sandbox time fast, and a restart never moves it backwards. */
static void t_clock_scaled_and_monotonic(void **state)
{
	const char *fast[] = {"--time-scale", "3600", NULL};
	st_sandbox sb;
	assert_int_equal(st_sandbox_start(&sb, NULL, fast), 0);
	int64_t t0 = health_time(&sb);
	usleep(1500000);
	int64_t t1 = health_time(&sb);
	assert_true(t1 - t0 >= 3600LL * 1000); /* at least an hour in 1.5 s */
	char *dir = st_xstrdup(sb.state);
	st_sandbox_stop(&sb, SIGTERM, true);
	st_sandbox sb2;
	assert_int_equal(st_sandbox_start(&sb2, dir, NULL), 0);
	assert_true(health_time(&sb2) >= t1);
	sbt_stop(&sb2);
	st_sandbox_stop(&sb, 0, false);
	st_test_rmtree(dir);
	free(dir);
	(void)state;
}

static void t_reset(void **state)
{
	st_sandbox *sb = *state;
	st_http_resp r;
	sbt_call(sb, "POST", "/v1/projects/p1/serviceAccounts", "{\"accountId\":\"gone-soon\"}", 200,
		 &r);
	st_http_free(&r);
	sbt_call(sb, "POST", "/sandbox/v1/reset", NULL, 200, &r);
	st_http_free(&r);
	sbt_call(sb, "GET", "/v1/projects/p1/services/iam.googleapis.com", NULL, 200, &r);
	assert_string_equal(sbt_str(&r, "state"), "DISABLED");
	st_http_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(t_health_needs_no_token, setup_plain, teardown_stop),
		cmocka_unit_test_setup_teardown(t_missing_token_401, setup_enabled, teardown_stop),
		cmocka_unit_test_setup_teardown(t_unknown_path_404_method_405, setup_plain, teardown_stop),
		cmocka_unit_test_setup_teardown(t_service_disabled_403, setup_plain, teardown_stop),
		cmocka_unit_test_setup_teardown(t_malformed_json_and_content_type, setup_enabled, teardown_stop),
		cmocka_unit_test_setup_teardown(t_hostile_paths, setup_enabled, teardown_stop),
		cmocka_unit_test_setup_teardown(t_huge_headers_and_bodies, setup_enabled, teardown_stop),
		cmocka_unit_test(t_restart_keeps_state),
		cmocka_unit_test(t_kill9_mid_request),
		cmocka_unit_test(t_faults_reproducible),
		cmocka_unit_test(t_refuses_remote_and_bad_flags),
		cmocka_unit_test(t_bad_state),
		cmocka_unit_test(t_strict_auth),
		cmocka_unit_test_setup_teardown(t_concurrent_clients, setup_enabled, teardown_stop),
		cmocka_unit_test(t_disk_full),
		cmocka_unit_test_setup_teardown(t_wildcard_projects, setup_enabled, teardown_stop),
		cmocka_unit_test(t_clock_scaled_and_monotonic),
		cmocka_unit_test_setup_teardown(t_reset, setup_enabled, teardown_stop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
