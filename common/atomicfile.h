/* Crash-safe file replacement: write a temp file beside the target, fsync it,
 * rename over the target, fsync the directory. A reader sees the old file or the
 * new one, never a torn mix, even after kill -9 or a full disk. */
#ifndef ST_ATOMICFILE_H
#define ST_ATOMICFILE_H

#include <stddef.h>
#include <sys/types.h>

/* 0 on success; -1 with a one-line reason naming the path in err. On failure the
 * previous contents of path are untouched and no temp file is left behind. */
int st_atomic_write(const char *path, const void *data, size_t len, mode_t mode,
		    char *err, size_t errlen);
/* Reads a whole regular file of at most max bytes. Returns a NUL-terminated
 * buffer (len excludes the NUL) or NULL with a one-line reason in err. */
char *st_read_file(const char *path, size_t max, size_t *len, char *err, size_t errlen);
/* mkdir -p with the given mode for each created component. */
int st_mkdir_p(const char *path, mode_t mode, char *err, size_t errlen);

#endif
