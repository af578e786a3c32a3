/* Serial port 1: an append-only file per instance, of which the newest 1 MiB is kept
 * (as Google keeps a 1 MB window), and getSerialPortOutput reading from it. */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/atomicfile.h"
#include "common/json.h"
#include "common/str.h"
#include "sandbox/compute.h"

#define SERIAL_WINDOW (1 << 20)

char *co_inst_dir(sb_server *s, const json_t *inst)
{
	char *dir = st_xasprintf("%s/compute/%s", sb_state_dir(s), stj_str(inst, "id"));
	char err[256];

	if (st_mkdir_p(dir, 0700, err, sizeof(err)) != 0)
		sb_log(s, "compute: %s", err);
	return dir;
}

static char *serial_path(sb_server *s, const json_t *inst)
{
	char *dir = co_inst_dir(s, inst), *p = st_xasprintf("%s/serial-1.log", dir);

	free(dir);
	return p;
}

/* Keeps the newest SERIAL_WINDOW bytes once the file has grown to twice that. */
static void trim(sb_server *s, json_t *inst, const char *path, off_t size)
{
	char err[256], *data;
	size_t len;
	off_t drop = size - SERIAL_WINDOW;

	data = st_read_file(path, (size_t)size + 1, &len, err, sizeof(err));
	if (!data || (off_t)len != size) {
		free(data);
		return;
	}
	if (st_atomic_write(path, data + drop, SERIAL_WINDOW, 0600, err, sizeof(err)) == 0)
		json_object_set_new(co_priv(inst), "serialBase",
				    json_integer(co_priv_int(inst, "serialBase", 0) + drop));
	else
		sb_log(s, "compute: serial port of %s: %s", stj_str(inst, "name"), err);
	free(data);
}

void co_serial_append(sb_server *s, json_t *inst, const char *text, size_t len)
{
	char *path = serial_path(s, inst);
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	struct stat sb;
	ssize_t w;
	size_t off = 0;

	if (fd < 0) {
		sb_log(s, "compute: cannot open %s: %s", path, strerror(errno));
		free(path);
		return;
	}
	while (off < len && (w = write(fd, text + off, len - off)) > 0)
		off += (size_t)w;
	if (off < len)
		sb_log(s, "compute: serial port write to %s failed: %s", path, strerror(errno));
	if (fstat(fd, &sb) == 0 && sb.st_size > 2 * SERIAL_WINDOW)
		trim(s, inst, path, sb.st_size);
	close(fd);
	free(path);
}

static int parse_port(sb_call *c, int *port, long long *start)
{
	const char *p = sb_query(c, "port"), *st = sb_query(c, "start");
	char *end;

	*port = 1;
	*start = 0;
	if (p) {
		*port = (int)strtol(p, &end, 10);
		if (*end || *port < 1 || *port > 4) {
			sb_reply_error(c, 400, "INVALID_ARGUMENT", "invalid", "Invalid value for "
				       "field 'port': '%.20s'. Must be between 1 and 4.", p);
			return -1;
		}
	}
	if (st) {
		errno = 0;
		*start = strtoll(st, &end, 10);
		if (*end || errno) {
			sb_reply_error(c, 400, "INVALID_ARGUMENT", "invalid", "Invalid value for "
				       "field 'start': '%.30s'.", st);
			return -1;
		}
	}
	return 0;
}

/* Reads [from, end) of the file, up to one window. */
static char *read_window(const char *path, long long base, long long *from, long long *next)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	long long end, n;
	char *buf;
	ssize_t r;

	if (fd < 0 || fstat(fd, &sb) != 0) {
		if (fd >= 0)
			close(fd);
		*next = *from = base;
		return st_xstrdup("");
	}
	end = base + sb.st_size;
	if (*from < 0)
		*from = end + *from; /* negative: that many bytes before the end */
	if (*from < base)
		*from = base;
	if (*from > end)
		*from = end;
	n = end - *from;
	if (n > SERIAL_WINDOW)
		n = SERIAL_WINDOW;
	buf = st_xmalloc((size_t)n + 1);
	r = pread(fd, buf, (size_t)n, (off_t)(*from - base));
	close(fd);
	buf[r > 0 ? r : 0] = '\0';
	for (n = 0; n < r; n++)
		if (buf[n] == '\0')
			buf[n] = '?';
	*next = *from + (r > 0 ? r : 0);
	return buf;
}

/* Guest output may hold any bytes, JSON needs UTF-8: bad bytes become '?' while
 * newlines and tabs stay (so st_sanitize_text, which drops them, does not fit). */
static void fix_utf8(char *t)
{
	unsigned char c;
	size_t k;

	while (*t) {
		c = (unsigned char)*t;
		k = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 :
			c >= 0xF0 && c <= 0xF4 ? 4 : 0;
		if (k == 0 || strnlen(t, k) < k || !st_utf8_valid(t, k)) {
			*t++ = '?';
			continue;
		}
		t += k;
	}
}

void co_instance_serial(sb_server *s, sb_call *c)
{
	char *full = st_xasprintf("projects/%s/zones/%s/instances/%s", sb_var(c, "project"),
				  sb_var(c, "zone"), sb_var(c, "instance"));
	json_t *inst = sb_get(s, CK_INSTANCE, full);
	long long start, next;
	int port;
	char *path, *text, *self;

	if (!inst) {
		co_not_found(c, full);
		free(full);
		return;
	}
	if (parse_port(c, &port, &start) == 0) {
		path = serial_path(s, inst);
		text = port == 1 ? read_window(path, co_priv_int(inst, "serialBase", 0), &start,
					       &next) : st_xstrdup("");
		if (port != 1)
			next = start = 0;
		self = st_xasprintf("%s/serialPort", stj_str(inst, "selfLink"));
		fix_utf8(text);
		sb_reply_json(c, 200, json_pack("{s:s, s:s, s:o, s:o, s:s}", "kind",
						"compute#serialPortOutput", "contents", text, "start",
						stj_int64_string(start), "next", stj_int64_string(next),
						"selfLink", self));
		free(path);
		free(text);
		free(self);
	}
	json_decref(inst);
	free(full);
}

void co_serial_printf(sb_server *s, json_t *inst, const char *fmt, ...)
{
	va_list ap;
	char *line;

	va_start(ap, fmt);
	line = st_xvasprintf(fmt, ap);
	va_end(ap);
	co_serial_append(s, inst, line, strlen(line));
	free(line);
}

/* "Nov 25 20:41:07", the syslog prefix of guest lines on a real serial console. */
void co_syslog_time(sb_server *s, char *buf, size_t size)
{
	time_t t = (time_t)(sb_now_ms(s) / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%b %e %H:%M:%S", &tm);
}


/* A line from the script runner itself, in its serial console format. */
void co_runner_line(sb_server *s, json_t *inst, const char *what)
{
	char when[32];

	co_syslog_time(s, when, sizeof(when));
	co_serial_printf(s, inst, "%s %s google_metadata_script_runner: %s\r\n", when,
		      stj_str(inst, "name"), what);
}
