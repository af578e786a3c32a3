/* Guest runner and metadata server against the real sandbox: a startup script's
 * output on serial port 1 and in Logging, the script reaching the metadata server,
 * stop killing the script's process group, the time limit, and restart persistence
 * (a RUNNING VM stays RUNNING; its script is not run twice). */
#include "tests/integration/test_sb_compute_util.h"

#include "common/atomicfile.h"

#include <errno.h>
#include <signal.h>

static const char *const fast[] = {"--time-scale", "20", NULL};
static const char *const short_limit[] = {"--time-scale", "20", "--guest-timeout", "1", NULL};

static int setup(void **state)
{
	*state = sbt_new(fast);
	return 0;
}

static int setup_limit(void **state)
{
	*state = sbt_new(short_limit);
	return 0;
}

/* Creates an e2-small VM with a startup script and waits until it runs; returns
 * the instance id (caller frees). */
static char *vm_with_script(st_sandbox *sb, const char *name, const char *script)
{
	json_t *body = json_pack("{s:s, s:s, s:{s:[{s:s, s:s}]}, s:[{s:s, s:[s]}]}", "name", name,
				 "machineType", "e2-small", "metadata", "items", "key",
				 "startup-script", "value", script, "serviceAccounts", "email",
				 "runner@p1.iam.gserviceaccount.com", "scopes",
				 "https://www.googleapis.com/auth/cloud-platform");
	char *txt = stj_dump(body), *path = st_xasprintf(CZ "/instances/%s", name), *id;
	json_t *op = ct_op(sb, "POST", CZ "/instances", txt);
	st_http_resp r;

	assert_null(stj_get(op, "error"));
	sbt_call(sb, "GET", path, NULL, 200, &r);
	assert_string_equal(sbt_str(&r, "status"), "RUNNING");
	id = st_xstrdup(sbt_str(&r, "id"));
	st_http_free(&r);
	json_decref(op);
	json_decref(body);
	free(txt);
	free(path);
	return id;
}

static void t_script_output_on_serial(void **state)
{
	st_sandbox *sb = *state;
	char *id, *want;
	st_http_resp r;
	json_t *q;

	id = vm_with_script(sb, "vm-s", "echo hello from guest\n"
			    "H='Metadata-Flavor: Google'\n"
			    "echo id=$(curl -s -H \"$H\" http://$GCE_METADATA_HOST/computeMetadata/v1/instance/id)\n"
			    "echo zone=$(curl -s -H \"$H\" http://$GCE_METADATA_HOST/computeMetadata/v1/instance/zone)\n"
			    "echo tokens=$(curl -s -H \"$H\" http://$GCE_METADATA_HOST/computeMetadata/v1/"
			    "instance/service-accounts/default/token | grep -c '\"token_type\":\"Bearer\"')\n"
			    "echo foreign=$(env | grep -c -v -E '^(PATH|HOME|LANG|GCE_METADATA_HOST|"
			    "GCE_METADATA_IP|SANDBOX_INSTANCE_ID|SEALTRAIN_SANDBOX_URL|PWD|OLDPWD|"
			    "SHLVL|_)=')\n"
			    "echo sockets=$(ls -l /proc/$$/fd | grep -c socket:)\n"
			    "echo to stderr >&2\n");
	ct_serial_until(sb, "vm-s", "startup-script exit status 0", 5000);
	want = st_xasprintf("startup-script: id=%s", id);
	ct_serial_until(sb, "vm-s", want, 0);
	ct_serial_until(sb, "vm-s", "startup-script: hello from guest", 0);
	ct_serial_until(sb, "vm-s", "/zones/us-central1-a", 0);
	ct_serial_until(sb, "vm-s", "startup-script: tokens=1", 0);
	ct_serial_until(sb, "vm-s", "startup-script: to stderr", 0);
	/* A clean environment: only what the runner sets (plus what sh itself adds);
	 * nothing of the sandbox's own environment (ST_*, ASAN_OPTIONS, ...). */
	ct_serial_until(sb, "vm-s", "startup-script: foreign=0", 0);
	/* No descriptor of the sandbox's (its sockets above all) is inherited. */
	ct_serial_until(sb, "vm-s", "startup-script: sockets=0", 0);
	/* The same lines reach Logging. */
	q = json_pack("{s:[s], s:s}", "resourceNames", "projects/p1", "filter", "");
	json_object_set_new(q, "filter", json_sprintf("logName=\"projects/p1/logs/"
		"serialconsole.googleapis.com%%2Fserial_port_1_output\""));
	{
		char *body = stj_dump(q);

		sbt_call(sb, "POST", "/v2/entries:list", body, 200, &r);
		assert_non_null(strstr(r.body, "hello from guest"));
		st_http_free(&r);
		free(body);
	}
	json_decref(q);
	free(want);
	free(id);
}

static void t_stop_kills_process_group(void **state)
{
	st_sandbox *sb = *state;
	char *id, *path, *txt, err[64];
	size_t len;
	long pid;
	int i;

	id = vm_with_script(sb, "vm-k", "sleep 300 &\necho $! > \"$HOME/sleep.pid\"\n"
			    "echo started\nwait\n");
	ct_serial_until(sb, "vm-k", "startup-script: started", 5000);
	path = st_xasprintf("%s/compute/%s/guest/sleep.pid", sb->state, id);
	txt = NULL;
	for (i = 0; i < 50 && !txt; i++) {
		txt = st_read_file(path, 4096, &len, err, sizeof(err));
		if (!txt)
			ct_sleep_ms(50);
	}
	assert_non_null(txt);
	pid = strtol(txt, NULL, 10);
	assert_true(pid > 1);
	assert_int_equal(kill((pid_t)pid, 0), 0);
	json_decref(ct_op(sb, "POST", CZ "/instances/vm-k/stop", NULL));
	ct_serial_until(sb, "vm-k", "startup-script killed: the instance is stopping", 0);
	for (i = 0; i < 40 && kill((pid_t)pid, 0) == 0; i++)
		ct_sleep_ms(50);
	assert_int_equal(kill((pid_t)pid, 0), -1);
	assert_int_equal(errno, ESRCH);
	free(txt);
	free(path);
	free(id);
}

static void t_time_limit(void **state)
{
	st_sandbox *sb = *state;
	char *id = vm_with_script(sb, "vm-t", "echo sleeping\nsleep 30\necho not reached\n");
	char *id2;

	ct_serial_until(sb, "vm-t", "killed after the 1 s time limit", 5000);
	/* A script killed from outside (here by itself) is reported, not lost. */
	id2 = vm_with_script(sb, "vm-x", "echo before\nkill -9 $$\necho after\n");
	ct_serial_until(sb, "vm-x", "startup-script exit status 137", 5000);
	ct_serial_until(sb, "vm-x", "startup-script: before", 0);
	free(id2);
	free(id);
}

static void t_metadata_server(void **state)
{
	st_sandbox *sb = *state;
	char *id = vm_with_script(sb, "vm-m", "true\n"), *p, hdr[96];
	const char *mf[] = {"Metadata-Flavor: Google", NULL, NULL};
	const char *none[] = {NULL};
	st_http_resp r;

	/* Without Metadata-Flavor: refused. */
	assert_int_equal(st_http(sb, "GET", "/computeMetadata/v1/instance/id", NULL, 0, NULL, "",
				 none, &r), 0);
	assert_int_equal(r.status, 403);
	st_http_free(&r);
	/* One VM running: it is the one asked about. */
	assert_int_equal(st_http(sb, "GET", "/computeMetadata/v1/instance/id", NULL, 0, NULL, "",
				 mf, &r), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, id);
	st_http_free(&r);
	p = st_xasprintf("/sandbox-metadata/%s/computeMetadata/v1/instance/name", id);
	assert_int_equal(st_http(sb, "GET", p, NULL, 0, NULL, "", mf, &r), 0);
	assert_string_equal(r.body, "vm-m");
	st_http_free(&r);
	free(p);
	assert_int_equal(st_http(sb, "GET", "/computeMetadata/v1/instance/attributes/startup-script",
				 NULL, 0, NULL, "", mf, &r), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "true\n");
	st_http_free(&r);
	assert_int_equal(st_http(sb, "GET", "/computeMetadata/v1/instance/attributes/nope", NULL, 0,
				 NULL, "", mf, &r), 0);
	assert_int_equal(r.status, 404);
	st_http_free(&r);
	assert_int_equal(st_http(sb, "GET", "/computeMetadata/v1/project/project-id", NULL, 0,
				 NULL, "", mf, &r), 0);
	assert_string_equal(r.body, "p1");
	st_http_free(&r);
	assert_int_equal(st_http(sb, "GET", "/computeMetadata/v1/instance/service-accounts/default/"
				 "identity", NULL, 0, NULL, "", mf, &r), 0);
	assert_int_equal(r.status, 400);
	st_http_free(&r);
	assert_int_equal(st_http(sb, "GET", "/computeMetadata/v1/instance/service-accounts/other@x/"
				 "token", NULL, 0, NULL, "", mf, &r), 0);
	assert_int_equal(r.status, 404);
	st_http_free(&r);
	assert_int_equal(st_http(sb, "GET", "/computeMetadata/v1/instance/service-accounts/default/"
				 "email", NULL, 0, NULL, "", mf, &r), 0);
	assert_string_equal(r.body, "runner@p1.iam.gserviceaccount.com");
	st_http_free(&r);
	/* Directory forms, with trailing slashes, as client libraries use them. */
	assert_int_equal(st_http(sb, "GET", "/computeMetadata/v1/instance/service-accounts/", NULL,
				 0, NULL, "", mf, &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "default/\nrunner@p1.iam.gserviceaccount.com/\n"));
	st_http_free(&r);
	assert_int_equal(st_http(sb, "GET", "/computeMetadata/v1/instance/service-accounts/default/"
				 "?recursive=true", NULL, 0, NULL, "", mf, &r), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(stj_str(r.json, "email"), "runner@p1.iam.gserviceaccount.com");
	assert_string_equal(stj_str(r.json, "scopes.0"),
			    "https://www.googleapis.com/auth/cloud-platform");
	st_http_free(&r);
	assert_int_equal(st_http(sb, "GET", "/computeMetadata/v1/instance/attributes/?recursive=true",
				 NULL, 0, NULL, "", mf, &r), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(stj_str(r.json, "startup-script"), "true\n");
	st_http_free(&r);
	assert_int_equal(st_http(sb, "GET", "/computeMetadata/v1/instance/attributes/", NULL, 0,
				 NULL, "", mf, &r), 0);
	assert_string_equal(r.body, "startup-script\n");
	st_http_free(&r);
	/* Two VMs running: an unnamed request is ambiguous; the header resolves it. */
	free(vm_with_script(sb, "vm-m2", "true\n"));
	assert_int_equal(st_http(sb, "GET", "/computeMetadata/v1/instance/id", NULL, 0, NULL, "",
				 mf, &r), 0);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(r.body, "X-Sandbox-Instance"));
	st_http_free(&r);
	snprintf(hdr, sizeof(hdr), "X-Sandbox-Instance: %s", id);
	mf[1] = hdr;
	assert_int_equal(st_http(sb, "GET", "/computeMetadata/v1/instance/name", NULL, 0, NULL, "",
				 mf, &r), 0);
	assert_string_equal(r.body, "vm-m");
	st_http_free(&r);
	mf[1] = "X-Sandbox-Instance: 42";
	assert_int_equal(st_http(sb, "GET", "/computeMetadata/v1/instance/name", NULL, 0, NULL, "",
				 mf, &r), 0);
	assert_int_equal(r.status, 404);
	st_http_free(&r);
	free(id);
}

static int count_lines(const char *path)
{
	char err[64];
	size_t len;
	char *t = st_read_file(path, 4096, &len, err, sizeof(err)), *p;
	int n = 0;

	for (p = t; p && *p; p++)
		n += *p == '\n';
	free(t);
	return n;
}

static void t_restart_keeps_vm_running(void **state)
{
	st_sandbox *sb = *state;
	char *id = vm_with_script(sb, "vm-r", "echo run >> \"$HOME/runs\"\necho script-ran\n");
	char *runs = st_xasprintf("%s/compute/%s/guest/runs", sb->state, id);
	char *state_dir = st_xstrdup(sb->state);

	ct_serial_until(sb, "vm-r", "startup-script exit status 0", 5000);
	assert_int_equal(count_lines(runs), 1);
	assert_int_equal(st_sandbox_stop(sb, SIGTERM, true), 0);
	free(sb->state);
	free(sb->log);
	assert_int_equal(st_sandbox_start(sb, state_dir, fast), 0);
	sb->own_state = true;
	ct_until(sb, CZ "/instances/vm-r", "status", "RUNNING", 0);
	ct_sleep_ms(1000); /* 20 sandbox seconds: time for a wrong re-run to show */
	assert_int_equal(count_lines(runs), 1);
	ct_serial_until(sb, "vm-r", "startup-script: script-ran", 0);
	/* A kill -9 as well: state is intact and the script still is not re-run. */
	st_sandbox_stop(sb, SIGKILL, true);
	free(sb->state);
	free(sb->log);
	assert_int_equal(st_sandbox_start(sb, state_dir, fast), 0);
	sb->own_state = true;
	ct_until(sb, CZ "/instances/vm-r", "status", "RUNNING", 0);
	ct_sleep_ms(500);
	assert_int_equal(count_lines(runs), 1);
	/* A reset is a new boot: the script runs again, once. */
	json_decref(ct_op(sb, "POST", CZ "/instances/vm-r/reset", NULL));
	for (int i = 0; i < 50 && count_lines(runs) < 2; i++)
		ct_sleep_ms(100);
	assert_int_equal(count_lines(runs), 2);
	free(state_dir);
	free(runs);
	free(id);
}

/* Serial port 1 keeps the newest 1 MiB: older output is dropped, start moves forward,
 * and following next from there reaches the end. */
static void t_serial_window(void **state)
{
	st_sandbox *sb = *state;
	char *id = vm_with_script(sb, "vm-w", "i=0\nwhile [ $i -lt 2600 ]; do printf '%01000d\\n' $i;"
				  " i=$((i+1)); done\necho tail-marker\ntouch \"$HOME/done\"\n");
	char *done = st_xasprintf("%s/compute/%s/guest/done", sb->state, id);
	long long start = 0;
	bool seen = false;
	int i;

	for (i = 0; i < 200 && access(done, F_OK) != 0; i++)
		ct_sleep_ms(100);
	assert_int_equal(access(done, F_OK), 0);
	ct_sleep_ms(1000); /* the tick drains what the script left */
	for (i = 0; i < 20 && !seen; i++) {
		char *p = st_xasprintf(CZ "/instances/vm-w/serialPort?start=%lld", start);
		st_http_resp r;
		int64_t st, next;

		sbt_call(sb, "GET", p, NULL, 200, &r);
		assert_true(stj_int64(r.json, "start", &st));
		assert_true(stj_int64(r.json, "next", &next));
		assert_true(strlen(sbt_str(&r, "contents")) <= (1 << 20));
		if (i == 0)
			assert_true(st > 0); /* the oldest output was dropped: start moved */
		else
			assert_true(st == start);
		seen = strstr(sbt_str(&r, "contents"), "tail-marker") != NULL;
		start = next;
		st_http_free(&r);
		free(p);
	}
	assert_true(seen);
	free(done);
	free(id);
}

/* A full disk under serial port 1 (the file swapped for /dev/full): the sandbox says
 * so in its log, naming the file, keeps serving, and recovers when space is back. */
static void t_serial_disk_full(void **state)
{
	st_sandbox *sb = *state;
	char *id = vm_with_script(sb, "vm-f", "echo first-boot\n");
	char *path = st_xasprintf("%s/compute/%s/serial-1.log", sb->state, id), err[64], *log;
	size_t len;
	int i;
	bool said = false;

	ct_serial_until(sb, "vm-f", "startup-script: first-boot", 5000);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink("/dev/full", path), 0);
	json_decref(ct_op(sb, "POST", CZ "/instances/vm-f/reset", NULL));
	for (i = 0; i < 50 && !said; i++) {
		log = st_read_file(sb->log, 1 << 22, &len, err, sizeof(err));
		said = log && strstr(log, "serial port write to") && strstr(log, "serial-1.log") &&
		       strstr(log, "No space left on device");
		free(log);
		if (!said)
			ct_sleep_ms(100);
	}
	assert_true(said);
	ct_until(sb, CZ "/instances/vm-f", "status", "RUNNING", 0);
	assert_int_equal(unlink(path), 0);
	json_decref(ct_op(sb, "POST", CZ "/instances/vm-f/reset", NULL));
	ct_serial_until(sb, "vm-f", "simulated boot 3", 5000);
	free(path);
	free(id);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(t_script_output_on_serial, setup, sbt_free),
		cmocka_unit_test_setup_teardown(t_stop_kills_process_group, setup, sbt_free),
		cmocka_unit_test_setup_teardown(t_time_limit, setup_limit, sbt_free),
		cmocka_unit_test_setup_teardown(t_metadata_server, setup, sbt_free),
		cmocka_unit_test_setup_teardown(t_restart_keeps_vm_running, setup, sbt_free),
		cmocka_unit_test_setup_teardown(t_serial_window, setup, sbt_free),
		cmocka_unit_test_setup_teardown(t_serial_disk_full, setup, sbt_free),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
