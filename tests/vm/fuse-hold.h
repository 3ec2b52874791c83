/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fuse-hold.h: what the FUSE test daemon fuse-hold serves, shared with the
 * tests that read its files (t_fault, t_fault_left).
 */
#ifndef WD_TESTS_VM_FUSE_HOLD_H
#define WD_TESTS_VM_FUSE_HOLD_H

#include <stdint.h>

/* files "0" .. "FH_NR_FILES - 1" in the root directory, read-only */
#define FH_NR_FILES	4
#define FH_FILE_SIZE	(1u << 20)

/* byte @off of file @f: differs between files and between pages */
static inline uint8_t fh_byte(unsigned int f, uint64_t off)
{
	return (uint8_t)(off * 7 + (off >> 12) * 13 + f * 101 + 1);
}

#endif
