/* libFuzzer target: the trainer's CSV reader (trainer/csv.c). The first input byte
 * picks the options (label optional, skip bad rows, read instead of map, threads,
 * a wanted-column list); the rest is the file. The read path matters most: it holds
 * the file in a buffer of exactly its size, so AddressSanitizer sees any over-read
 * that a mapping's page padding would hide. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz_file.h"
#include "trainer/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const want[] = {"b", "a"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rf_csv_opts o = {
		.label = "label",
		.max_memory = 64u << 20,
		.threads = 1,
	};
	struct rf_csv csv;
	char err[RF_ERRLEN] = "";
	uint8_t mode;
	uint8_t digest[32];

	if (size < 1)
		return 0;
	mode = data[0];
	o.label_optional = mode & 1;
	o.skip_bad_rows = (mode >> 1) & 1;
	o.no_mmap = !((mode >> 2) & 1);
	o.threads = (mode >> 3) & 1 ? 3 : 1;
	if ((mode >> 4) & 1) {
		o.want = want;
		o.nwant = 2;
	}
	if (rf_csv_load(st_fuzz_file(data + 1, size - 1), &o, &csv, err) != 0) {
		if (!err[0])
			abort(); /* a refusal must say why */
		return 0;
	}
	if ((mode >> 5) & 1)
		rf_csv_sha256(&csv, digest);
	rf_csv_free(&csv);
	return 0;
}
