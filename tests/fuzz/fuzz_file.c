/* One temporary file per fuzzer process, rewritten for every input. */
#include "tests/fuzz/fuzz_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path[64];

static void remove_file(void)
{
	if (path[0])
		unlink(path);
}

static void create_file(void)
{
	const char *dir = getenv("TMPDIR");
	int fd;

	snprintf(path, sizeof path, "%s/st-fuzz-XXXXXX", dir && strlen(dir) < 40 ? dir : "/tmp");
	fd = mkstemp(path);
	if (fd < 0) {
		perror(path);
		abort();
	}
	close(fd);
	atexit(remove_file);
}

const char *st_fuzz_file(const uint8_t *data, size_t size)
{
	FILE *fp;

	if (!path[0])
		create_file();
	fp = fopen(path, "wb");
	if (!fp || (size && fwrite(data, 1, size, fp) != size) || fclose(fp) != 0) {
		perror(path);
		abort();
	}
	return path;
}
