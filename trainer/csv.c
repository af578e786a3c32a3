/* CSV reader. The file is mapped, row boundaries are found in one serial pass (quotes can
 * hide newlines), then rows are parsed by several threads straight into column arrays. */
#include "trainer/csv.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trainer/sha256.h"
#include "trainer/util.h"

enum { ROW_OK, ROW_BLANK, ROW_BAD };
enum { COL_IGNORE = -2, COL_LABEL = -1 };

struct field {
	const char *s, *e;  /* content, quotes removed */
	const char *start;  /* where the field began, for the column number */
	int bad;            /* 1: unterminated quote, 2: text after the closing quote */
};

struct rows {
	uint64_t *start, *end;
	uint32_t *line;
	uint64_t n, cap;
};

struct ctx {
	const char *path;
	const char *data;
	uint64_t size;
	const struct rf_csv_opts *o;
	struct rows rows;
	uint32_t ncols;       /* columns in the header */
	int *colmap;          /* [ncols]: feature index, COL_LABEL or COL_IGNORE */
	char **colname;       /* [ncols] */
	uint32_t nfeat;
	float *x;
	double *label;
	uint8_t *status;
};

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Reads one field starting at p (line ends at e); returns where the next field starts,
 * or NULL when this was the line's last field. */
static const char *next_field(const char *p, const char *e, struct field *f)
{
	f->bad = 0;
	f->start = p;
	while (p < e && is_space(*p) && *p != '\r')
		p++;
	if (p < e && *p == '"') {
		f->s = ++p;
		for (;;) {
			if (p >= e) {
				f->bad = 1;
				f->e = e;
				return NULL;
			}
			if (*p == '"') {
				if (p + 1 < e && p[1] == '"') {
					p += 2;
					continue;
				}
				break;
			}
			p++;
		}
		f->e = p++;
		while (p < e && is_space(*p))
			p++;
		if (p < e && *p != ',')
			f->bad = 2;
		while (p < e && *p != ',')
			p++;
	} else {
		f->s = p;
		while (p < e && *p != ',')
			p++;
		f->e = p;
		while (f->e > f->s && is_space(f->e[-1]))
			f->e--;
	}
	return p < e ? p + 1 : NULL;
}

/* Fast exact path for plain decimals; anything unusual goes to strtod. */
int rf_parse_number(const char *s, const char *e, double *out)
{
	static const double p10[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
				      1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22 };
	while (s < e && is_space(*s))
		s++;
	while (e > s && is_space(e[-1]))
		e--;
	if (s == e)
		return -1;
	const char *p = s;
	int neg = 0, digits = 0, frac = 0, exp = 0;
	uint64_t m = 0;
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	for (; p < e && *p >= '0' && *p <= '9'; p++, digits++)
		m = m * 10 + (uint64_t)(*p - '0');
	if (p < e && *p == '.')
		for (p++; p < e && *p >= '0' && *p <= '9'; p++, digits++, frac++)
			m = m * 10 + (uint64_t)(*p - '0');
	if (digits > 0 && p < e && (*p == 'e' || *p == 'E')) {
		const char *q = p + 1;
		int eneg = 0, ed = 0;
		if (q < e && (*q == '-' || *q == '+'))
			eneg = *q++ == '-';
		for (; q < e && *q >= '0' && *q <= '9' && ed < 6; q++, ed++)
			exp = exp * 10 + (*q - '0');
		if (ed > 0 && ed < 6) {
			p = q;
			exp = eneg ? -exp : exp;
		}
	}
	if (p == e && digits > 0 && digits <= 19 && m <= (1ULL << 53)) {
		int e10 = exp - frac;
		if (e10 >= -22 && e10 <= 22) {
			double d = (double)m;
			d = e10 < 0 ? d / p10[-e10] : d * p10[e10];
			d = neg ? -d : d;
			if (fabs(d) > 3.4028234663852886e38)
				return -2;
			*out = d;
			return 0;
		}
	}
	char buf[128];
	size_t len = (size_t)(e - s);
	if (len >= sizeof(buf))
		return -1;
	/* strtod also takes hex, "nan" and "inf": only plain decimals are numbers here, and
	 * the special values get their own message. */
	const char *w = s + (*s == '-' || *s == '+');
	if (e - w >= 3 && (!strncasecmp(w, "nan", 3) || !strncasecmp(w, "inf", 3)))
		return -2;
	for (const char *q = s; q < e; q++)
		if (!strchr("0123456789+-.eE", *q))
			return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	char *end;
	errno = 0;
	double d = strtod(buf, &end);
	if (end != buf + len || end == buf)
		return -1;
	if (!isfinite(d) || fabs(d) > 3.4028234663852886e38)
		return -2;
	*out = d;
	return 0;
}

static uint64_t mem_available(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	unsigned long long kb = 0;
	if (f) {
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
				break;
		fclose(f);
	}
	if (kb)
		return (uint64_t)kb * 1024;
	long pages = sysconf(_SC_AVPHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
	return pages > 0 && psz > 0 ? (uint64_t)pages * (uint64_t)psz : UINT64_MAX;
}

static void rows_push(struct rows *r, uint64_t s, uint64_t e, uint32_t line)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 4096;
		r->start = rf_xrealloc(r->start, r->cap * sizeof(*r->start));
		r->end = rf_xrealloc(r->end, r->cap * sizeof(*r->end));
		r->line = rf_xrealloc(r->line, r->cap * sizeof(*r->line));
	}
	r->start[r->n] = s;
	r->end[r->n] = e;
	r->line[r->n++] = line;
}

/* End of the record starting at pos: the first newline outside quotes. Adds the
 * newlines hidden inside quotes to *extra so that line numbers stay physical. */
static uint64_t record_end(const struct ctx *c, uint64_t pos, uint32_t *extra)
{
	const char *d = c->data, *p = d + pos, *end = d + c->size;
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	const char *le = nl ? nl : end;
	if (memchr(p, '"', (size_t)(le - p))) {
		int inq = 0;
		const char *q = p;
		for (; q < end; q++) {
			if (*q == '"')
				inq = !inq;
			else if (*q == '\n') {
				if (!inq)
					break;
				(*extra)++;
			}
		}
		le = q;
	}
	return (uint64_t)(le - d);
}

static void find_rows(struct ctx *c, uint64_t pos, uint32_t line)
{
	while (pos < c->size) {
		uint32_t extra = 0;
		uint64_t e = record_end(c, pos, &extra);
		rows_push(&c->rows, pos, e, line);
		line += 1 + extra;
		pos = e + 1;
	}
}

static int is_blank(const char *s, const char *e)
{
	for (; s < e; s++)
		if (!is_space(*s))
			return 0;
	return 1;
}

static void quote_value(const struct field *f, char *out, size_t n)
{
	size_t len = (size_t)(f->e - f->s);
	if (len > 40)
		snprintf(out, n, "\"%.40s...\"", f->s);
	else
		snprintf(out, n, "\"%.*s\"", (int)len, f->s);
}

/* Parses record i into the column arrays; returns ROW_* and fills err when bad. */
static int parse_row(struct ctx *c, uint64_t i, char *err)
{
	const char *ls = c->data + c->rows.start[i], *le = c->data + c->rows.end[i];
	unsigned line = c->rows.line[i];
	if (is_blank(ls, le))
		return ROW_BLANK;
	const char *p = ls;
	uint32_t col = 0;
	struct field f;
	char val[64];
	while (p) {
		p = next_field(p, le, &f);
		if (col >= c->ncols) {
			uint32_t found = col + 1;
			while (p) {
				p = next_field(p, le, &f);
				found++;
			}
			rf_err(err, "%s:%u: expected %u columns, found %u", c->path, line, c->ncols, found);
			return ROW_BAD;
		}
		unsigned cn = (unsigned)(f.start - ls) + 1;
		int map = c->colmap[col];
		if (f.bad) {
			rf_err(err, "%s:%u:%u: column \"%s\": %s", c->path, line, cn, c->colname[col],
			       f.bad == 1 ? "unterminated quoted field" : "text after a closing quote");
			return ROW_BAD;
		}
		if (map != COL_IGNORE) {
			double v;
			int rc = rf_parse_number(f.s, f.e, &v);
			if (rc == 0 && map == COL_LABEL && (v != floor(v) || fabs(v) > 2147483647.0))
				rc = -3;
			if (rc != 0) {
				quote_value(&f, val, sizeof(val));
				const char *why = rc == -2 ? "is not a finite number (NaN, infinity or out of range)"
					: rc == -3 ? "is not an integer label" : "is not a number";
				if (f.s == f.e || is_blank(f.s, f.e))
					rf_err(err, "%s:%u:%u: column \"%s\": %s", c->path, line, cn,
					       c->colname[col], map == COL_LABEL ? "missing label" : "empty value");
				else
					rf_err(err, "%s:%u:%u: column \"%s\": value %s %s", c->path, line, cn,
					       c->colname[col], val, why);
				return ROW_BAD;
			}
			if (map == COL_LABEL)
				c->label[i] = v;
			else
				c->x[(uint64_t)map * c->rows.n + i] = (float)v;
		}
		col++;
	}
	if (col != c->ncols) {
		rf_err(err, "%s:%u: expected %u columns, found %u", c->path, line, c->ncols, col);
		return ROW_BAD;
	}
	return ROW_OK;
}

struct job {
	struct ctx *c;
	uint64_t lo, hi;
	uint64_t bad;
	uint64_t first_bad;  /* record index of the first bad row, or UINT64_MAX */
	char err[RF_ERRLEN];
};

static void *parse_range(void *arg)
{
	struct job *j = arg;
	char err[RF_ERRLEN];
	j->first_bad = UINT64_MAX;
	for (uint64_t i = j->lo; i < j->hi; i++) {
		int st = parse_row(j->c, i, err);
		j->c->status[i] = (uint8_t)st;
		if (st != ROW_BAD)
			continue;
		if (!j->bad++) {
			j->first_bad = i;
			memcpy(j->err, err, sizeof(err));
		}
		if (!j->c->o->skip_bad_rows)
			break;
	}
	return NULL;
}

/* The file stays mapped until its digest is taken, so hashing can overlap training. */
struct hash_job {
	void *map;            /* the file's bytes: mapped, or read into memory */
	int mapped;
	uint64_t size;
	pthread_t th;
	int running;
	int cancel;            /* set when the load failed: the digest is not needed */
	uint8_t out[32];
};

static void *hash_file(void *arg)
{
	struct hash_job *h = arg;
	struct rf_sha256 s;
	const uint8_t *p = h->map;
	rf_sha256_init(&s);
	for (uint64_t off = 0; off < h->size && !__atomic_load_n(&h->cancel, __ATOMIC_RELAXED);
	     off += 1u << 20)
		rf_sha256_update(&s, p + off, h->size - off < (1u << 20) ? h->size - off : (1u << 20));
	rf_sha256_final(&s, h->out);
	return NULL;
}

static void hash_start(struct rf_csv *c, void *map, uint64_t size, int mapped)
{
	struct hash_job *h = rf_xcalloc(1, sizeof(*h));
	h->mapped = mapped;
	h->map = map;
	h->size = size;
	h->running = !pthread_create(&h->th, NULL, hash_file, h);
	if (!h->running)
		hash_file(h);
	c->hash = h;
}

static void hash_finish(struct rf_csv *c)
{
	struct hash_job *h = c->hash;
	if (h && h->running) {
		pthread_join(h->th, NULL);
		h->running = 0;
	}
}

void rf_csv_sha256(struct rf_csv *c, uint8_t out[32])
{
	struct hash_job *h = c->hash;
	hash_finish(c);
	memcpy(out, h->out, 32);
}

static int find_col(char **names, uint32_t n, const char *name)
{
	for (uint32_t i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return (int)i;
	return -1;
}

/* Reads the header record and maps each column to a feature, the label, or nothing. */
static int parse_header(struct ctx *c, uint64_t *pos, uint32_t *line, char *err)
{
	const struct rf_csv_opts *o = c->o;
	uint64_t p = *pos, e;
	uint32_t extra = 0;
	for (;;) {
		if (p >= c->size)
			return rf_err(err, "%s: no header row", c->path);
		e = record_end(c, p, &extra);
		if (!is_blank(c->data + p, c->data + e))
			break;
		(*line)++;
		p = e + 1;
	}
	const char *ls = c->data + p, *le = c->data + e, *q = ls;
	struct field f;
	uint32_t cap = 16;
	c->colname = rf_xcalloc(cap, sizeof(char *));
	while (q) {
		q = next_field(q, le, &f);
		if (f.bad)
			return rf_err(err, "%s:%u:%u: header: %s", c->path, *line, (unsigned)(f.start - ls) + 1,
				      f.bad == 1 ? "unterminated quoted field" : "text after a closing quote");
		if (c->ncols == cap) {
			cap *= 2;
			c->colname = rf_xrealloc(c->colname, cap * sizeof(char *));
		}
		const char *s0 = f.s, *e0 = f.e;
		while (s0 < e0 && is_space(*s0))
			s0++;
		while (e0 > s0 && is_space(e0[-1]))
			e0--;
		char *name = rf_xmalloc((size_t)(e0 - s0) + 1);
		memcpy(name, s0, (size_t)(e0 - s0));
		name[e0 - s0] = '\0';
		if (!*name || find_col(c->colname, c->ncols, name) >= 0) {
			int empty = !*name;
			unsigned cn = (unsigned)(f.start - ls) + 1;
			free(name);
			if (empty)
				return rf_err(err, "%s:%u:%u: header: empty column name", c->path, *line, cn);
			return rf_err(err, "%s:%u:%u: header: duplicate column name \"%.*s\"", c->path,
				      *line, cn, (int)(e0 - s0), s0);
		}
		c->colname[c->ncols++] = name;
	}
	c->colmap = rf_xmalloc(c->ncols * sizeof(int));
	int lab = find_col(c->colname, c->ncols, o->label);
	if (lab < 0 && !o->label_optional)
		return rf_err(err, "%s:%u: no column named \"%s\" for the label", c->path, *line, o->label);
	if (o->want) {
		for (uint32_t i = 0; i < c->ncols; i++)
			c->colmap[i] = (int)i == lab ? COL_LABEL : COL_IGNORE;
		for (uint32_t k = 0; k < o->nwant; k++) {
			int i = find_col(c->colname, c->ncols, o->want[k]);
			if (i < 0 || i == lab)
				return rf_err(err, "%s:%u: no feature column named \"%s\"", c->path, *line,
					      o->want[k]);
			c->colmap[i] = (int)k;
		}
		c->nfeat = o->nwant;
	} else {
		for (uint32_t i = 0; i < c->ncols; i++)
			c->colmap[i] = (int)i == lab ? COL_LABEL : (int)c->nfeat++;
		if (!c->nfeat)
			return rf_err(err, "%s:%u: no feature columns besides the label", c->path, *line);
	}
	*line += 1 + extra;
	/* A header with no newline after it ends the file: stay at the end, not past it. */
	*pos = e < c->size ? e + 1 : e;
	return 0;
}

/* Refuses, before parsing, a file whose parsed form would not fit in memory. */
static int check_memory(struct ctx *c, uint64_t pos, char *err)
{
	uint64_t sample = c->size - pos < (1u << 20) ? c->size - pos : (1u << 20), lines = 1;
	for (const char *p = c->data + pos; (p = memchr(p, '\n', (size_t)(c->data + pos + sample - p)));
	     p++)
		lines++;
	uint64_t est_rows = sample ? (c->size - pos) * lines / sample + 1 : 1;
	uint64_t per_row = (uint64_t)c->nfeat * 5 + 64;
	uint64_t need = c->size + est_rows * per_row;
	uint64_t avail = c->o->max_memory ? c->o->max_memory : mem_available();
	if (need > avail)
		return rf_err(err, "%s: too large for memory: needs about %llu MiB (file %llu MiB plus "
			      "about %llu rows parsed), only %llu MiB available",
			      c->path, (unsigned long long)(need >> 20), (unsigned long long)(c->size >> 20),
			      (unsigned long long)est_rows, (unsigned long long)(avail >> 20));
	return 0;
}

/* Moves the good rows of every column together (in place: writes never pass reads). */
static uint32_t compact(struct ctx *c, struct rf_csv *out)
{
	uint64_t n = c->rows.n, k = 0;
	for (uint64_t i = 0; i < n; i++)
		k += c->status[i] == ROW_OK;
	if (k == n)
		return (uint32_t)k;
	for (uint32_t f = 0; f < c->nfeat; f++) {
		uint64_t j = 0;
		for (uint64_t i = 0; i < n; i++)
			if (c->status[i] == ROW_OK)
				c->x[(uint64_t)f * k + j++] = c->x[(uint64_t)f * n + i];
	}
	uint64_t j = 0;
	for (uint64_t i = 0; i < n; i++)
		if (c->status[i] == ROW_OK)
			c->label[j++] = c->label[i];
	(void)out;
	return (uint32_t)k;
}

static int parse_rows(struct ctx *c, struct rf_csv *out, char *err)
{
	uint64_t n = c->rows.n;
	uint32_t nt = c->o->threads ? c->o->threads : 1;
	if (nt > n / 1024 + 1)
		nt = (uint32_t)(n / 1024 + 1);
	struct job *jobs = rf_xcalloc(nt, sizeof(*jobs));
	pthread_t *th = rf_xcalloc(nt, sizeof(*th));
	for (uint32_t t = 0; t < nt; t++) {
		jobs[t].c = c;
		jobs[t].lo = n * t / nt;
		jobs[t].hi = n * (t + 1) / nt;
		if (t && pthread_create(&th[t], NULL, parse_range, &jobs[t]))
			parse_range(&jobs[t]);
	}
	parse_range(&jobs[0]);
	for (uint32_t t = 1; t < nt; t++)
		if (th[t])
			pthread_join(th[t], NULL);
	int rc = 0;
	for (uint32_t t = 0; t < nt; t++) {
		if (!jobs[t].bad)
			continue;
		if (!c->o->skip_bad_rows) {
			memcpy(err, jobs[t].err, RF_ERRLEN);
			rc = -1;
			break;
		}
		if (!out->skipped)
			memcpy(out->first_skip, jobs[t].err, RF_ERRLEN);
		out->skipped += jobs[t].bad;
	}
	free(jobs);
	free(th);
	return rc;
}

static void ctx_free(struct ctx *c)
{
	for (uint32_t i = 0; i < c->ncols; i++)
		free(c->colname[i]);
	free(c->colname);
	free(c->colmap);
	free(c->rows.start);
	free(c->rows.end);
	free(c->rows.line);
	free(c->status);
}

static int load_mapped(struct ctx *c, struct rf_csv *out, char *err)
{
	uint64_t pos = 0;
	uint32_t line = 1;
	if (c->size >= 3 && !memcmp(c->data, "\xef\xbb\xbf", 3))
		pos = 3;
	if (parse_header(c, &pos, &line, err) || check_memory(c, pos, err))
		return -1;
	find_rows(c, pos, line);
	uint64_t n = c->rows.n;
	if (n > UINT32_MAX - 1)
		return rf_err(err, "%s: more than %u rows", c->path, UINT32_MAX - 1);
	c->x = malloc(((uint64_t)c->nfeat * n + 1) * sizeof(float));
	c->label = malloc((n + 1) * sizeof(double));
	c->status = malloc(n + 1);
	if (!c->x || !c->label || !c->status)
		return rf_err(err, "%s: out of memory for %llu rows", c->path, (unsigned long long)n);
	if (parse_rows(c, out, err))
		return -1;
	uint32_t k = compact(c, out);
	if (!k)
		return rf_err(err, "%s: no data rows", c->path);
	out->nrows = k;
	out->nfeat = c->nfeat;
	out->x = c->x;
	out->label = c->label;
	out->has_label = 0;
	for (uint32_t i = 0; i < c->ncols; i++)
		if (c->colmap[i] == COL_LABEL)
			out->has_label = 1;
	out->names = rf_xcalloc(c->nfeat, sizeof(char *));
	for (uint32_t i = 0; i < c->ncols; i++)
		if (c->colmap[i] >= 0)
			out->names[c->colmap[i]] = rf_xstrdup(c->colname[i]);
	c->x = NULL;
	c->label = NULL;
	return 0;
}

static void *read_whole(int fd, uint64_t size, const char *path, const struct rf_csv_opts *o, char *err)
{
	uint64_t avail = o->max_memory ? o->max_memory : mem_available();
	if (size > avail) {
		rf_err(err, "%s: too large for memory: needs more than %llu MiB, only %llu MiB available", path,
		       (unsigned long long)(size >> 20), (unsigned long long)(avail >> 20));
		return NULL;
	}
	char *buf = malloc(size);
	if (!buf) {
		rf_err(err, "%s: out of memory reading %llu bytes", path, (unsigned long long)size);
		return NULL;
	}
	for (uint64_t got = 0; got < size;) {
		ssize_t k = read(fd, buf + got, size - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			rf_err(err, "%s: read failed: %s", path, k ? strerror(errno) : "file shrank while read");
			free(buf);
			return NULL;
		}
		got += (uint64_t)k;
	}
	return buf;
}

int rf_csv_load(const char *path, const struct rf_csv_opts *o, struct rf_csv *out, char *err)
{
	memset(out, 0, sizeof(*out));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return rf_err(err, "%s: cannot open: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return rf_err(err, "%s: not a regular file", path);
	}
	if (st.st_size == 0) {
		close(fd);
		return rf_err(err, "%s: empty file", path);
	}
	/* Mapped when the file system allows it; some FUSE mounts do not, so read it then. */
	int mapped = !o->no_mmap;
	void *map = mapped ? mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
	if (map == MAP_FAILED) {
		mapped = 0;
		map = read_whole(fd, (uint64_t)st.st_size, path, o, err);
	}
	close(fd);
	if (!map)
		return -1;
	if (mapped)
		madvise(map, (size_t)st.st_size, MADV_SEQUENTIAL);
	struct ctx c = { .path = path, .data = map, .size = (uint64_t)st.st_size, .o = o };
	hash_start(out, map, c.size, mapped);
	int rc = load_mapped(&c, out, err);
	out->file_size = c.size;
	free(c.x);
	free(c.label);
	ctx_free(&c);
	if (rc) {
		__atomic_store_n(&((struct hash_job *)out->hash)->cancel, 1, __ATOMIC_RELAXED);
		rf_csv_free(out);
		return -1;
	}
	return 0;
}

void rf_csv_free(struct rf_csv *c)
{
	if (c->hash) {
		struct hash_job *h = c->hash;
		/* A digest nobody asked for by now is not needed: stop hashing. */
		__atomic_store_n(&h->cancel, 1, __ATOMIC_RELAXED);
		hash_finish(c);
		if (h->mapped)
			munmap(h->map, (size_t)h->size);
		else
			free(h->map);
		free(h);
	}
	if (c->names)
		for (uint32_t i = 0; i < c->nfeat; i++)
			free(c->names[i]);
	free(c->names);
	free(c->x);
	free(c->label);
	memset(c, 0, sizeof(*c));
}
