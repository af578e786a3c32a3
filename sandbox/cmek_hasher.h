/* MD5 of a stream on a helper thread, so that Storage's md5Hash (the slowest of the
 * per-byte passes on an upload) runs beside the AES-GCM and CRC32C work instead of
 * after it. Blocks are handed over one at a time and must stay untouched until the
 * next sb_hasher_feed or sb_hasher_finish returns. */
#ifndef SB_CMEK_HASHER_H
#define SB_CMEK_HASHER_H

#include <stddef.h>

typedef struct sb_hasher sb_hasher;

/* NULL when no thread could be started (then nothing else here may be called). */
sb_hasher *sb_hasher_start(void);
/* Waits until the previous block is hashed, then queues [p, p+n). */
void sb_hasher_feed(sb_hasher *h, const void *p, size_t n);
/* Waits for the last block, stops the thread, frees h. md5 may be NULL to discard.
 * 0 ok, -1 when hashing failed. */
int sb_hasher_finish(sb_hasher *h, unsigned char md5[16]);

#endif
