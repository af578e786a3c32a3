/* SHA-256 (FIPS 180-4), self-contained so the trainer builds with libc alone. */
#ifndef RF_SHA256_H
#define RF_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct rf_sha256 {
	uint32_t h[8];
	uint64_t len;
	uint8_t buf[64];
	size_t nbuf;
};

void rf_sha256_init(struct rf_sha256 *s);
void rf_sha256_update(struct rf_sha256 *s, const void *data, size_t len);
void rf_sha256_final(struct rf_sha256 *s, uint8_t out[32]);
/* One-shot digest as 64 lowercase hex characters. */
void rf_sha256_hex(const void *data, size_t len, char out[65]);
void rf_hex(const uint8_t *d, size_t len, char *out);
/* Whether the CPU's SHA instructions are used (they are when present); tests turn them off
 * to check the portable rounds too. */
int rf_sha256_accel(void);
void rf_sha256_use_accel(int on);

/* CRC-32C (Castagnoli), chainable from crc = 0: the model file's trailer. */
uint32_t rf_crc32c(uint32_t crc, const void *data, size_t len);

#endif
