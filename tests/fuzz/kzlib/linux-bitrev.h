/* SPDX-License-Identifier: GPL-2.0 */
/* user-space stand-in for <linux/bitrev.h>, for the kernel's zlib (fz_kcore) */
#include <linux/kernel.h>

static inline u32 bitrev32(u32 x)
{
	u32 r = 0;

	for (int i = 0; i < 32; i++, x >>= 1)
		r = r << 1 | (x & 1);
	return r;
}
