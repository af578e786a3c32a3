#include "common/json.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/str.h"

#define STJ_MAX_DEPTH 64

/* jansson has no depth limit of its own; a hostile reply of a million '[' would
 * recurse that deep. Count nesting outside strings before handing it over. */
static bool depth_ok(const char *buf, size_t len, size_t *where)
{
	int depth = 0;
	bool in_str = false, esc = false;
	for (size_t i = 0; i < len; i++) {
		char c = buf[i];
		if (in_str) {
			if (esc)
				esc = false;
			else if (c == '\\')
				esc = true;
			else if (c == '"')
				in_str = false;
			continue;
		}
		if (c == '"')
			in_str = true;
		else if (c == '[' || c == '{') {
			if (++depth > STJ_MAX_DEPTH) {
				*where = i;
				return false;
			}
		} else if (c == ']' || c == '}')
			depth--;
	}
	return true;
}

json_t *stj_parse(const char *buf, size_t len, size_t max_bytes, char *err, size_t errlen)
{
	if (len > max_bytes) {
		snprintf(err, errlen, "JSON body of %zu bytes exceeds the %zu-byte limit", len, max_bytes);
		return NULL;
	}
	if (len == 0) {
		snprintf(err, errlen, "empty body where JSON was expected");
		return NULL;
	}
	size_t where = 0;
	if (!depth_ok(buf, len, &where)) {
		snprintf(err, errlen, "JSON nested deeper than %d levels at byte %zu", STJ_MAX_DEPTH, where);
		return NULL;
	}
	json_error_t je;
	json_t *v = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (!v)
		snprintf(err, errlen, "invalid JSON at line %d column %d: %s", je.line, je.column, je.text);
	return v;
}

json_t *stj_get(const json_t *root, const char *path)
{
	const json_t *cur = root;
	const char *p = path;
	while (cur && *p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		char key[128];
		if (n >= sizeof key)
			return NULL;
		memcpy(key, p, n);
		key[n] = '\0';
		if (json_is_object(cur)) {
			cur = json_object_get(cur, key);
		} else if (json_is_array(cur)) {
			char *end;
			errno = 0;
			unsigned long idx = strtoul(key, &end, 10);
			if (*end || errno || n == 0)
				return NULL;
			cur = json_array_get(cur, idx);
		} else {
			return NULL;
		}
		p = dot ? dot + 1 : p + n;
	}
	return (json_t *)cur;
}

const char *stj_str(const json_t *root, const char *path)
{
	return json_string_value(stj_get(root, path));
}

bool stj_int64(const json_t *root, const char *path, int64_t *out)
{
	json_t *v = stj_get(root, path);
	if (json_is_integer(v)) {
		*out = (int64_t)json_integer_value(v);
		return true;
	}
	const char *s = json_string_value(v);
	/* strtoll would also take leading spaces and a '+': Google sends neither. */
	if (!s || !(isdigit((unsigned char)s[0]) || (s[0] == '-' && isdigit((unsigned char)s[1]))))
		return false;
	char *end;
	errno = 0;
	long long n = strtoll(s, &end, 10);
	if (*end || errno)
		return false;
	*out = n;
	return true;
}

bool stj_bool(const json_t *root, const char *path, bool def)
{
	json_t *v = stj_get(root, path);
	return json_is_boolean(v) ? json_is_true(v) : def;
}

char *stj_dump(const json_t *v)
{
	char *s = v ? json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY) : NULL;
	if (!s)
		return st_xstrdup("null");
	char *copy = st_xstrdup(s);
	free(s);
	return copy;
}

json_t *stj_int64_string(int64_t v)
{
	char b[32];
	snprintf(b, sizeof b, "%" PRId64, v);
	return json_string(b);
}
