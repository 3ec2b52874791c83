// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * crc32c.c: CRC-32C (Castagnoli, reflected polynomial 0x82f63b78), the
 * standard slicing-by-8 table method.
 *
 * Used when the build does not find ISA-L (libisal-dev), which Debian
 * packages and which is the preferred backend (algs.c). Debian has no
 * other maintained C library for CRC-32C (google's crc32c is not
 * packaged), so this is the portable fallback: eight 256-entry tables,
 * eight bytes per step, about 1-2 GB/s without special instructions.
 *
 * The function is the raw register update the engine core wants (the
 * kernel's crc32c()): no pre- or post-inversion, so the CRC-32C of a
 * message is ~wdl_crc32c_sw(~0, message).
 */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "wdl_internal.h"

#define WDL_CRC32C_POLY	0x82f63b78u

static uint32_t wdl_crc32c_tab[8][256];
static pthread_once_t wdl_crc32c_once = PTHREAD_ONCE_INIT;

static void wdl_crc32c_init(void)
{
	uint32_t c;
	unsigned int i, j;

	for (i = 0; i < 256; i++) {
		c = i;
		for (j = 0; j < 8; j++)
			c = (c >> 1) ^ (WDL_CRC32C_POLY & (0u - (c & 1)));
		wdl_crc32c_tab[0][i] = c;
	}
	for (i = 0; i < 256; i++) {
		c = wdl_crc32c_tab[0][i];
		for (j = 1; j < 8; j++) {
			c = wdl_crc32c_tab[0][c & 0xff] ^ (c >> 8);
			wdl_crc32c_tab[j][i] = c;
		}
	}
}

/**
 * wdl_crc32c_sw() - CRC-32C register update, slicing-by-8
 * @crc: the register
 * @data: the data
 * @len: its length
 *
 * Return: the register after @data.
 */
uint32_t wdl_crc32c_sw(uint32_t crc, const void *data, size_t len)
{
	const unsigned char *p = data;
	uint32_t lo, hi;

	pthread_once(&wdl_crc32c_once, wdl_crc32c_init);
	/* bytes up to an 8-byte boundary */
	while (len && ((uintptr_t)p & 7)) {
		crc = wdl_crc32c_tab[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
		len--;
	}
	while (len >= 8) {
		/* little-endian loads, whatever the host's order */
		lo = (uint32_t)p[0] | (uint32_t)p[1] << 8 |
		     (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
		hi = (uint32_t)p[4] | (uint32_t)p[5] << 8 |
		     (uint32_t)p[6] << 16 | (uint32_t)p[7] << 24;
		lo ^= crc;
		crc = wdl_crc32c_tab[7][lo & 0xff] ^
		      wdl_crc32c_tab[6][(lo >> 8) & 0xff] ^
		      wdl_crc32c_tab[5][(lo >> 16) & 0xff] ^
		      wdl_crc32c_tab[4][lo >> 24] ^
		      wdl_crc32c_tab[3][hi & 0xff] ^
		      wdl_crc32c_tab[2][(hi >> 8) & 0xff] ^
		      wdl_crc32c_tab[1][(hi >> 16) & 0xff] ^
		      wdl_crc32c_tab[0][hi >> 24];
		p += 8;
		len -= 8;
	}
	while (len--)
		crc = wdl_crc32c_tab[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}
