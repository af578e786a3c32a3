#include "common/atomicfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/str.h"

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void fsync_parent(const char *path)
{
	char *dir = st_xstrdup(path);
	char *slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		strcpy(dir, ".");
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd); /* best effort: some filesystems refuse fsync on a directory */
		close(fd);
	}
	free(dir);
}

int st_atomic_write(const char *path, const void *data, size_t len, mode_t mode,
		    char *err, size_t errlen)
{
	char *tmp = st_xasprintf("%s.tmp.XXXXXX", path);
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot create temporary file: %s", path, strerror(errno));
		free(tmp);
		return -1;
	}
	const char *step = "write";
	if (fchmod(fd, mode) < 0)
		step = "chmod";
	else if (write_all(fd, data, len) == 0 && (step = "fsync", fsync(fd) == 0)) {
		if (close(fd) < 0) {
			step = "close";
			fd = -1;
			goto fail;
		}
		fd = -1;
		step = "rename";
		if (rename(tmp, path) == 0) {
			fsync_parent(path);
			free(tmp);
			return 0;
		}
	}
fail:;
	int e = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
	snprintf(err, errlen, "%s: %s failed: %s", path, step, strerror(e));
	return -1;
}

char *st_read_file(const char *path, size_t max, size_t *len, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return NULL;
	}
	if ((unsigned long long)st.st_size > max) {
		snprintf(err, errlen, "%s: file is %lld bytes, over the %zu-byte limit", path,
			 (long long)st.st_size, max);
		close(fd);
		return NULL;
	}
	st_buf b;
	st_buf_init(&b);
	char chunk[8192];
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s: read failed: %s", path, strerror(errno));
			st_buf_free(&b);
			close(fd);
			return NULL;
		}
		if (n == 0)
			break;
		if (b.len + (size_t)n > max) { /* grew while we read */
			snprintf(err, errlen, "%s: file is over the %zu-byte limit", path, max);
			st_buf_free(&b);
			close(fd);
			return NULL;
		}
		st_buf_append(&b, chunk, (size_t)n);
	}
	close(fd);
	if (len)
		*len = b.len;
	return st_buf_steal(&b);
}

int st_mkdir_p(const char *path, mode_t mode, char *err, size_t errlen)
{
	if (!*path) {
		snprintf(err, errlen, "empty directory path");
		return -1;
	}
	char *p = st_xstrdup(path);
	for (char *s = p + 1;; s++) {
		char c = *s;
		if (c != '/' && c != '\0')
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST) {
			snprintf(err, errlen, "%s: cannot create directory: %s", p, strerror(errno));
			free(p);
			return -1;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	struct stat st;
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: not a directory", path);
		free(p);
		return -1;
	}
	free(p);
	return 0;
}
