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

/* Masks a JSON string's contents up to its closing quote, escapes included; a
 * secret may contain spaces (a PEM header does), so only the quote ends it. */
static char *mask_json_string(char *p)
{
	while (*p && *p != '"') {
		if (*p == '\\' && p[1])
			*p++ = '*';
		*p++ = '*';
	}
	return p;
}

static char *skip_space(char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	return p;
}

/* "key" : "value" with any spacing, as compact and pretty-printed JSON both write it. */
static void redact_json_key(char *s, const char *key)
{
	char *p = s;
	while ((p = strstr(p, key)) != NULL) {
		char *q = skip_space(p + strlen(key));
		if (*q != ':') {
			p = q;
			continue;
		}
		q = skip_space(q + 1);
		p = *q == '"' ? mask_json_string(q + 1) : q;
	}
}

/* Replaces each PEM block whose label ends in "PRIVATE KEY" (a key cut off before
 * its END line: everything after BEGIN); certificates are public and stay. */
static void redact_pem(char *s)
{
	static const char mask[] = "[private key redacted]";
	const size_t ml = sizeof mask - 1;
	char *p = s;
	while ((p = strstr(p, "-----BEGIN ")) != NULL) {
		char *label_end = strstr(p + 11, "-----");
		if (!label_end)
			return;
		if (label_end - (p + 11) < 11 || memcmp(label_end - 11, "PRIVATE KEY", 11) != 0) {
			p = label_end + 5;
			continue;
		}
		char *end = strstr(label_end + 5, "-----END ");
		char *tail = end ? strstr(end + 9, "-----") : NULL;
		char *rest = tail ? tail + 5 : p + strlen(p);
		/* A PEM block is longer than the mask: its header line alone is. */
		memmove(p + ml, rest, strlen(rest) + 1);
		memcpy(p, mask, ml);
		p += ml;
	}
}

void st_log_redact(char *s)
{
	static const char *const json_keys[] = {
		"\"access_token\"", "\"refresh_token\"", "\"id_token\"", "\"client_secret\"",
		"\"private_key\"", "\"privateKeyData\"",
	};
	static const char *const marks[] = {
		"Bearer ", "assertion=", "access_token=", "refresh_token=", "client_secret=", "id_token=",
	};
	redact_pem(s);
	for (size_t i = 0; i < sizeof json_keys / sizeof *json_keys; i++)
		redact_json_key(s, json_keys[i]);
	for (size_t i = 0; i < sizeof marks / sizeof *marks; i++) {
		char *p = s;
		while ((p = strstr(p, marks[i])) != NULL)
			p = mask_run(p + strlen(marks[i]));
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
