/* Fuzz harness helper: some parsers only read files (they map or spool their input),
 * so the harness hands them the fuzzer's bytes through one reused temporary file. */
#ifndef ST_FUZZ_FILE_H
#define ST_FUZZ_FILE_H

#include <stddef.h>
#include <stdint.h>

/* Replaces the file's contents with data and returns a path that opens it (valid for
 * the whole run; the file itself is already unlinked, so nothing is left behind).
 * Aborts when the file cannot be written: a harness that silently fed nothing would
 * report coverage it never had. */
const char *st_fuzz_file(const uint8_t *data, size_t size);

#endif
