/* The startup script of a VM: started through the guest runner at boot, its output
 * moved to serial port 1 and Logging as it comes, stopped with the VM. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/atomicfile.h"
#include "common/json.h"
#include "common/str.h"
#include "common/timeutil.h"
#include "sandbox/compute.h"
#include "sandbox/guest.h"

/* host:port of the sandbox, for GCE_METADATA_HOST. */
static char *metadata_host(sb_server *s)
{
	const char *u = sb_base_url(s);

	return st_xstrdup(st_starts_with(u, "http://") ? u + 7 : u);
}

void co_guest_start(sb_server *s, json_t *inst, const char *script)
{
	char *dir = co_inst_dir(s, inst), *gdir = st_xasprintf("%s/guest", dir);
	char *path = st_xasprintf("%s/startup-script", dir), *out = st_xasprintf("%s/guest.out", dir);
	char *host = metadata_host(s), err[256];
	char *env[] = {
		st_xstrdup("PATH=/usr/local/bin:/usr/bin:/bin"),
		st_xasprintf("HOME=%s", gdir),
		st_xstrdup("LANG=C.UTF-8"),
		st_xasprintf("GCE_METADATA_HOST=%s/sandbox-metadata/%s", host, stj_str(inst, "id")),
		st_xasprintf("GCE_METADATA_IP=%s", host),
		st_xasprintf("SANDBOX_INSTANCE_ID=%s", stj_str(inst, "id")),
		st_xasprintf("SEALTRAIN_SANDBOX_URL=%s", sb_base_url(s)),
		NULL,
	};
	char *argv[] = {(char *)"/bin/sh", path, NULL};
	long long off = 0;
	size_t n, i;
	char *old;
	pid_t pid;

	st_mkdir_p(gdir, 0700, err, sizeof(err));
	/* Start reading the output file where it ends now. */
	while ((old = guest_read_new(out, &off, 1 << 30, &n)))
		free(old);
	if (st_atomic_write(path, script, strlen(script), 0700, err, sizeof(err)) != 0 ||
	    (pid = guest_spawn(gdir, argv, env, out, err, sizeof(err))) < 0) {
		char *why = st_xasprintf("startup-script could not start: %s", err);

		co_runner_line(s, inst, why);
		free(why);
	} else {
		co_runner_line(s, inst, "Starting startup scripts.");
		json_object_set_new(co_priv(inst), "pid", json_integer(pid));
		json_object_set_new(co_priv(inst), "outOff", json_integer(off));
		json_object_set_new(co_priv(inst), "scriptWall", json_integer(st_wall_ms()));
	}
	for (i = 0; env[i]; i++)
		free(env[i]);
	free(dir);
	free(gdir);
	free(path);
	free(out);
	free(host);
}

struct script_out {
	sb_server *s;
	json_t *inst;
};

static void emit_lines(void *ctx, char *text, size_t n)
{
	sb_server *s = ((struct script_out *)ctx)->s;
	json_t *inst = ((struct script_out *)ctx)->inst;
	char *line = text, *nl, *out, when[32];
	int64_t pid = co_priv_int(inst, "pid", 0);

	co_syslog_time(s, when, sizeof(when));

	while (line < text + n) {
		nl = memchr(line, '\n', (size_t)(text + n - line));
		if (nl)
			*nl = '\0';
		out = st_xasprintf("%s %s google_metadata_script_runner[%lld]: startup-script: %s\r\n",
				   when, stj_str(inst, "name"), (long long)pid, line);
		co_serial_append(s, inst, out, strlen(out));
		co_log_text(s, inst, "serialconsole.googleapis.com%2Fserial_port_1_output", line);
		free(out);
		if (!nl)
			break;
		line = nl + 1;
	}
}

/* Moves new complete lines of script output to serial port 1 and Logging; a partial
 * last line waits for its newline unless the script is gone. */
static bool pump(sb_server *s, json_t *inst, bool final)
{
	char *dir = co_inst_dir(s, inst), *out = st_xasprintf("%s/guest.out", dir);
	long long done = co_priv_int(inst, "outOff", 0);
	struct script_out ctx = {s, inst};
	bool moved = guest_pump(out, &done, final, emit_lines, &ctx);

	if (moved)
		json_object_set_new(co_priv(inst), "outOff", json_integer(done));
	free(dir);
	free(out);
	return moved;
}

static void script_ended(sb_server *s, json_t *inst, const char *how)
{
	char *line = st_xasprintf("startup-script %s", how);

	pump(s, inst, true);
	co_runner_line(s, inst, line);
	co_runner_line(s, inst, "Finished running startup scripts.");
	free(line);
	json_object_set_new(co_priv(inst), "pid", json_integer(0));
}

bool co_guest_watch(sb_server *s, json_t *inst)
{
	pid_t pid = (pid_t)co_priv_int(inst, "pid", 0);
	int code, r;
	char how[64];

	if (pid <= 0)
		return false;
	r = guest_poll(pid, &code);
	if (r == 1) {
		snprintf(how, sizeof(how), "exit status %d", code);
		script_ended(s, inst, how);
		return true;
	}
	if (r < 0) {
		script_ended(s, inst, "lost (not a child of this sandbox)");
		return true;
	}
	if (st_wall_ms() - co_priv_int(inst, "scriptWall", 0) > co_opt.guest_timeout_s * 1000LL) {
		guest_kill(pid);
		snprintf(how, sizeof(how), "killed after the %d s time limit", co_opt.guest_timeout_s);
		script_ended(s, inst, how);
		return true;
	}
	return pump(s, inst, false);
}

void co_halt_guest(sb_server *s, json_t *inst)
{
	pid_t pid = (pid_t)co_priv_int(inst, "pid", 0);

	if (pid <= 0)
		return;
	guest_kill(pid);
	script_ended(s, inst, "killed: the instance is stopping");
}

void co_kill_guests(sb_server *s, const char *kind)
{
	json_t *all = sb_list(s, kind, "projects/"), *doc;
	size_t i;

	json_array_foreach(all, i, doc)
		guest_kill((pid_t)co_priv_int(doc, "pid", 0));
	json_decref(all);
}

void co_shutdown(sb_server *s)
{
	co_kill_guests(s, CK_INSTANCE);
}

/* Scripts recorded as running belonged to the previous sandbox process: they were
 * killed at its shutdown (or orphaned by a crash) and are not started again. */
int co_init_guests(sb_server *s)
{
	json_t *all = sb_list(s, CK_INSTANCE, "projects/"), *inst;
	size_t i;

	json_array_foreach(all, i, inst) {
		if (co_priv_int(inst, "pid", 0) <= 0)
			continue;
		pump(s, inst, true);
		co_serial_printf(s, inst, "[sandbox] startup-script interrupted by a sandbox restart; "
			      "it runs again only at the next boot\r\n");
		json_object_set_new(co_priv(inst), "pid", json_integer(0));
		sb_put(s, CK_INSTANCE, co_priv_str(inst, "fullName"), inst);
	}
	json_decref(all);
	return 0;
}
