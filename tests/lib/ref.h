/* SPDX-License-Identifier: MIT */
/*
 * ref.h: independent reference implementations for the libwd tests, written
 * from the standards (FIPS 180-4, RFC 3720 CRC-32C), sharing nothing with
 * the engine; zlib is the reference for deflate, zlib and gzip.
 */
#ifndef WD_TESTS_LIB_REF_H
#define WD_TESTS_LIB_REF_H

#include <stddef.h>
#include <stdint.h>

/*
 * CRC-32C (RFC 3720) by its bitwise definition, the one reference of every
 * test: the raw register update (the device's form: no inversion) ...
 */
uint32_t ref_crc32c_raw(uint32_t reg, const void *buf, size_t len);
/* ... and the standard CRC of @len bytes continuing from @crc (0 to start),
 * as wd.h says: ~ref_crc32c_raw(~crc, ...)
 */
uint32_t ref_crc32c(uint32_t crc, const void *buf, size_t len);
/* SHA-256 of @len bytes into @out (32 bytes) */
void ref_sha256(const void *buf, size_t len, uint8_t out[32]);

/*
 * SHA-256 in steps, with its state as struct wd_soft_sha256_state holds it
 * (WD_SOFT_SQE_F_STATE): the hash value H(i), the bytes added (64 bits,
 * the padding's bit length is count * 8 mod 2^64) and the last count % 64
 * of them in buf (the rest of buf is never read). Any state may be set
 * by hand and continued: the reference for a state the device was given.
 */
struct ref_sha256 {
	uint32_t h[8];
	uint64_t count;
	uint8_t buf[64];
};
void ref_sha256_init(struct ref_sha256 *s);	/* H(0), count 0 */
void ref_sha256_update(struct ref_sha256 *s, const void *data, size_t len);
/* the digest of the state plus the padding; @s is left as it was */
void ref_sha256_final(const struct ref_sha256 *s, uint8_t out[32]);

#endif
