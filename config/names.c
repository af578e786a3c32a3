#include "config/names.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/str.h"

static bool lower_or_digit(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* Checks every character against an allowed set given as a predicate. */
static const char *bad_char(const char *s, bool (*ok)(char))
{
	for (; *s; s++)
		if (!ok(*s))
			return s;
	return NULL;
}

static bool rfc1035_char(char c)
{
	return lower_or_digit(c) || c == '-';
}

static bool kms_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-';
}

static bool sink_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.';
}

static bool bucket_char(char c)
{
	return lower_or_digit(c) || c == '-' || c == '_' || c == '.';
}

static int fail(char *why, size_t n, const char *msg)
{
	snprintf(why, n, "%s", msg);
	return -1;
}

static int check_chars(const char *v, bool (*ok)(char), const char *allowed, char *why, size_t n)
{
	const char *b = bad_char(v, ok);
	if (!b)
		return 0;
	char c[8];
	if (isprint((unsigned char)*b))
		snprintf(c, sizeof c, "'%c'", *b);
	else
		snprintf(c, sizeof c, "0x%02x", (unsigned char)*b);
	snprintf(why, n, "character %s is not allowed (only %s)", c, allowed);
	return -1;
}

static int check_len(const char *v, size_t lo, size_t hi, char *why, size_t n)
{
	size_t len = strlen(v);
	if (len >= lo && len <= hi)
		return 0;
	snprintf(why, n, "is %zu character%s long (expected %zu to %zu)", len, len == 1 ? "" : "s", lo, hi);
	return -1;
}

/* Lowercase label that starts with a letter and does not end with a hyphen. */
static int check_label(const char *v, size_t lo, size_t hi, char *why, size_t n)
{
	if (check_len(v, lo, hi, why, n) || check_chars(v, rfc1035_char, "a-z, 0-9 and '-'", why, n))
		return -1;
	if (!(v[0] >= 'a' && v[0] <= 'z'))
		return fail(why, n, "must start with a lowercase letter");
	if (v[strlen(v) - 1] == '-')
		return fail(why, n, "must not end with '-'");
	return 0;
}

static int check_bucket(const char *v, char *why, size_t n)
{
	size_t len = strlen(v);
	bool dotted = strchr(v, '.') != NULL;
	if (check_len(v, 3, dotted ? 222 : 63, why, n) ||
	    check_chars(v, bucket_char, "a-z, 0-9, '-', '_' and '.'", why, n))
		return -1;
	if (!lower_or_digit(v[0]) || !lower_or_digit(v[len - 1]))
		return fail(why, n, "must start and end with a lowercase letter or digit");
	if (st_starts_with(v, "goog") || strstr(v, "google") || strstr(v, "g00gle"))
		return fail(why, n, "must not start with \"goog\" or contain \"google\"");
	for (const char *p = v; *p;) {
		size_t part = strcspn(p, ".");
		if (part == 0 || part > 63)
			return fail(why, n, "each dot-separated part must be 1 to 63 characters");
		p += part + (p[part] == '.');
	}
	unsigned a, b, c, d;
	char tail;
	if (sscanf(v, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) == 4)
		return fail(why, n, "must not look like an IP address");
	return 0;
}

static int check_region(const char *v, char *why, size_t n)
{
	/* area-locationN, e.g. us-central1, europe-west4, northamerica-northeast2 */
	const char *dash = strchr(v, '-');
	size_t len = strlen(v);
	if (!dash || dash == v || strchr(dash + 1, '-') || len < 4 || len > 40 ||
	    bad_char(v, rfc1035_char) || !isdigit((unsigned char)v[len - 1]) ||
	    !(v[0] >= 'a' && v[0] <= 'z'))
		return fail(why, n, "expected a region such as \"us-central1\"");
	return 0;
}

static int check_zone(const char *v, char *why, size_t n)
{
	size_t len = strlen(v);
	char region[48];
	if (len < 6 || len >= sizeof region || v[len - 2] != '-' || !(v[len - 1] >= 'a' && v[len - 1] <= 'z'))
		return fail(why, n, "expected a zone such as \"us-central1-a\"");
	memcpy(region, v, len - 2);
	region[len - 2] = '\0';
	if (check_region(region, why, n) < 0)
		return fail(why, n, "expected a zone such as \"us-central1-a\"");
	return 0;
}

static int check_display(const char *v, char *why, size_t n)
{
	size_t chars = 0;
	if (!st_utf8_valid(v, strlen(v)))
		return fail(why, n, "is not valid UTF-8");
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return fail(why, n, "must not contain control characters");
		if ((*p & 0xc0) != 0x80)
			chars++;
	}
	if (chars < 1 || chars > 128) {
		snprintf(why, n, "is %zu characters long (expected 1 to 128)", chars);
		return -1;
	}
	return 0;
}

int st_name_check(enum st_name_kind kind, const char *v, char *why, size_t n)
{
	switch (kind) {
	case ST_NAME_PROJECT:
		return check_label(v, 6, 30, why, n);
	case ST_NAME_REGION:
		return check_region(v, why, n);
	case ST_NAME_ZONE:
		return check_zone(v, why, n);
	case ST_NAME_SUFFIX:
		if (check_len(v, 1, 12, why, n))
			return -1;
		return check_chars(v, lower_or_digit, "a-z and 0-9", why, n);
	case ST_NAME_BUCKET:
		return check_bucket(v, why, n);
	case ST_NAME_KMS:
		if (check_len(v, 1, 63, why, n))
			return -1;
		return check_chars(v, kms_char, "A-Z, a-z, 0-9, '_' and '-'", why, n);
	case ST_NAME_ACCOUNT:
		return check_label(v, 6, 30, why, n);
	case ST_NAME_COMPUTE:
		return check_label(v, 1, 63, why, n);
	case ST_NAME_SINK:
		if (check_len(v, 1, 100, why, n))
			return -1;
		return check_chars(v, sink_char, "A-Z, a-z, 0-9, '_', '-' and '.'", why, n);
	case ST_NAME_DISPLAY:
		return check_display(v, why, n);
	case ST_NAME_TYPE:
		if (check_len(v, 1, 63, why, n))
			return -1;
		return check_chars(v, rfc1035_char, "a-z, 0-9 and '-'", why, n);
	}
	return fail(why, n, "unknown name kind");
}

const char *st_name_kind_label(enum st_name_kind kind)
{
	static const char *const labels[] = {
		"project id", "region", "zone", "name suffix", "bucket name", "Cloud KMS id",
		"service account id", "Compute Engine name", "log sink id", "display name", "type name",
	};
	return (unsigned)kind < sizeof labels / sizeof *labels ? labels[kind] : "name";
}
