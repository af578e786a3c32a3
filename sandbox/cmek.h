/* AES-256-GCM building blocks shared by the KMS and Storage modules of the sandbox:
 * one-shot sealing of small values (key material, data keys, KMS ciphertexts), the
 * sandbox master key file, and a chunked file format for object data that can be
 * written and read in a streaming fashion. Pure code: nothing here touches the store. */
#ifndef SB_CMEK_H
#define SB_CMEK_H

#include <stddef.h>
#include <stdint.h>

#define SB_CMEK_KEY_LEN 32
#define SB_CMEK_IV_LEN 12
#define SB_CMEK_TAG_LEN 16
/* iv || ciphertext || tag */
#define SB_CMEK_OVERHEAD (SB_CMEK_IV_LEN + SB_CMEK_TAG_LEN)

/* Seals pt under key with a fresh random IV; aad may be NULL. Returns a malloc'd
 * iv||ct||tag of pt_len + SB_CMEK_OVERHEAD bytes, or NULL when OpenSSL fails. */
unsigned char *sb_cmek_seal(const unsigned char *key, const void *aad, size_t aad_len,
			    const void *pt, size_t pt_len, size_t *out_len);
/* Opens what sb_cmek_seal made. NULL when the input is short or the tag does not
 * verify (wrong key, wrong aad, tampering). The result is NUL-terminated. */
unsigned char *sb_cmek_open(const unsigned char *key, const void *aad, size_t aad_len,
			    const void *in, size_t in_len, size_t *out_len);

/* Loads STATE_DIR/master.key (32 random bytes), creating it with mode 0600 when
 * absent. Refuses a file of the wrong size or one readable by group or others.
 * 0 on success, -1 with a one-line reason naming the file in err. */
int sb_cmek_master_load(const char *state_dir, unsigned char key[SB_CMEK_KEY_LEN], char *err,
			size_t errlen);

/* ------------------------------------------------------------ chunked object files
 * Layout: a 16-byte header (magic, chunk size, random salt), then chunks of
 * SB_CMEK_CHUNK plaintext bytes each sealed with its own tag. The last chunk is
 * always shorter than SB_CMEK_CHUNK (possibly empty) and is authenticated as the
 * last, so a truncated file fails to open. The nonce is salt || chunk index. */
#define SB_CMEK_CHUNK 65536u
#define SB_CMEK_HDR_LEN 16

/* Checksums of the plaintext, computed while encrypting. */
typedef struct sb_cmek_digest {
	uint64_t size;
	uint32_t crc32c;
	unsigned char md5[16];
} sb_cmek_digest;

/* Encrypts len bytes of src starting at offset into a new file dst (mode 0600),
 * fsynced. dig may be NULL. 0 ok; -1 with a reason in err (dst removed). */
int sb_cmek_encrypt_file(const unsigned char *dek, const char *src, uint64_t offset,
			 uint64_t len, const char *dst, sb_cmek_digest *dig, char *err,
			 size_t errlen);
/* Plaintext length of an encrypted file from its size; -1 when the size is impossible. */
int64_t sb_cmek_plain_size(uint64_t file_size);
/* Decrypts plaintext bytes [offset, offset+len) of src into dst (a new file) or,
 * when dst is NULL, into a malloc'd buffer returned in *mem. Every chunk touched is
 * authenticated. 0 ok; -1 with a reason in err. */
int sb_cmek_decrypt_range(const unsigned char *dek, const char *src, uint64_t offset,
			  uint64_t len, const char *dst, unsigned char **mem, char *err,
			  size_t errlen);

/* The same from a descriptor the caller keeps open (and closes): a file opened while
 * it still was an object's blob stays readable after the blob is deleted. src only
 * names it in messages. */
int sb_cmek_decrypt_range_fd(const unsigned char *dek, int src_fd, const char *src,
			     uint64_t offset, uint64_t len, const char *dst, unsigned char **mem,
			     char *err, size_t errlen);
/* A decrypting reader over plaintext bytes [offset, offset+len) of the chunked file
 * open as fd (the reader takes the descriptor), for replies streamed as the client
 * reads. Each chunk is authenticated before any of its bytes are given out. open
 * returns NULL with a reason in err; read gives up to max bytes (0 at the end of
 * the range) or -1 with a reason in err. src only names the file in messages. */
typedef struct sb_cmek_reader sb_cmek_reader;
sb_cmek_reader *sb_cmek_reader_open(const unsigned char *dek, int fd, const char *src,
				    uint64_t offset, uint64_t len, char *err, size_t errlen);
long sb_cmek_reader_read(sb_cmek_reader *r, unsigned char *buf, size_t max, const char *src,
			 char *err, size_t errlen);
void sb_cmek_reader_close(sb_cmek_reader *r);
/* Resumable uploads grow a chunked file request by request. Appends len bytes of src
 * (from offset) at plaintext offset at of dst: at must be a whole number of chunks,
 * and so must len unless final, which also writes the closing chunk. at == 0 starts
 * a new file. Bytes past at (left by a request that was rolled back) are dropped.
 * 0 ok; -1 with a reason in err. */
int sb_cmek_append(const unsigned char *dek, const char *dst, uint64_t at, const char *src,
		   uint64_t offset, uint64_t len, int final, char *err, size_t errlen);
/* Size, CRC32C and MD5 of a finished chunked file's plaintext, authenticating every
 * chunk on the way. 0 ok; -1 with a reason in err. */
int sb_cmek_digest_file(const unsigned char *dek, const char *path, sb_cmek_digest *dig,
			char *err, size_t errlen);

#endif
