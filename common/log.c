#include "common/log.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/str.h"
#include "common/timeutil.h"

static FILE *log_fp;
static enum st_log_level log_min = ST_LOG_INFO;

int st_log_open(const char *path, enum st_log_level min)
{
	st_log_close();
	log_min = min;
	if (!path)
		return 0;
	log_fp = fopen(path, "ae");
	if (!log_fp)
		return -1;
	setvbuf(log_fp, NULL, _IOLBF, 0);
	return 0;
}

void st_log_close(void)
{
	if (log_fp)
		fclose(log_fp);
	log_fp = NULL;
}

/* Masks the run of token characters starting at p (same length, so the
 * surrounding text keeps its shape); returns the end of the run. */
static char *mask_run(char *p)
{
	while (*p && *p != '"' && *p != ' ' && *p != '\n' && *p != '&' && *p != ',')
		*p++ = '*';
	return p;
}

void st_log_redact(char *s)
{
	static const char *const marks[] = {
		"Bearer ", "\"access_token\":\"", "\"access_token\": \"", "\"refresh_token\":\"",
		"\"id_token\":\"", "assertion=", "refresh_token=", "client_secret=",
		"\"private_key\":\"", "\"privateKeyData\":\"", "\"client_secret\":\"",
	};
	for (size_t i = 0; i < sizeof marks / sizeof *marks; i++) {
		char *p = s;
		while ((p = strstr(p, marks[i])) != NULL)
			p = mask_run(p + strlen(marks[i]));
	}
	char *pem;
	while ((pem = strstr(s, "-----BEGIN")) && strstr(pem, "PRIVATE KEY-----")) {
		char *end = strstr(pem, "-----END");
		char *tail = end ? strstr(end + 8, "-----") : NULL;
		const char *mask = "[private key redacted]";
		size_t keep = tail ? strlen(tail + 5) : 0;
		memmove(pem + strlen(mask), tail ? tail + 5 : pem + strlen(pem), keep + 1);
		memcpy(pem, mask, strlen(mask));
	}
}

void st_log(enum st_log_level lvl, const char *fmt, ...)
{
	static const char *const names[] = {"debug", "info", "warn", "error"};
	if (lvl < log_min)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *msg = st_xvasprintf(fmt, ap);
	va_end(ap);
	st_log_redact(msg);
	char ts[40];
	st_rfc3339_format(st_wall_ms(), ts, sizeof ts);
	fprintf(log_fp ? log_fp : stderr, "%s %s %s\n", ts, names[lvl], msg);
	free(msg);
}
