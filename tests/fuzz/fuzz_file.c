/* One temporary file per fuzzer process, rewritten for every input. It is unlinked as
 * soon as it exists and reached through /proc/self/fd, so a run that libFuzzer ends
 * on a crash (without running atexit handlers) leaves nothing behind. */
#include "tests/fuzz/fuzz_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int fd = -1;
static char path[64];

static void create_file(void)
{
	const char *dir = getenv("TMPDIR");
	char tmpl[64];

	snprintf(tmpl, sizeof tmpl, "%s/st-fuzz-XXXXXX", dir && strlen(dir) < 40 ? dir : "/tmp");
	fd = mkstemp(tmpl);
	if (fd < 0) {
		perror(tmpl);
		abort();
	}
	unlink(tmpl);
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
}

const char *st_fuzz_file(const uint8_t *data, size_t size)
{
	size_t done = 0;
	ssize_t n;

	if (fd < 0)
		create_file();
	if (ftruncate(fd, 0) != 0) {
		perror("st_fuzz_file: ftruncate");
		abort();
	}
	while (done < size) {
		n = pwrite(fd, data + done, size - done, (off_t)done);
		if (n <= 0) {
			perror("st_fuzz_file: pwrite");
			abort();
		}
		done += (size_t)n;
	}
	return path;
}
