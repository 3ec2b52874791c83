/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * fz_core.h: the input format of the engine-core fuzz target (fz_core.c),
 * shared with its seed generator (fz_seeds.c).
 *
 *   byte 0      control: bits 0-1 SQEs - 1 (1..4); bit 2 hostile indices;
 *               bits 3-4 injected failures (fail_next, 0..3); bits 5-7 K:
 *               stop the queue at the K-th chunk boundary (0: never)
 *   [8 bytes]   with hostile indices: sq_tail, cq_head (LE u32) to store
 *               in MMIO instead of the honest ones
 *   N x 64      the SQEs, raw (struct wd_soft_sqe)
 *   the rest    the initial content of the device memory (below)
 *
 * The device address space of the harness (the "memory model"):
 *   [FZ_RW_BASE, +FZ_RW_SIZE)   read-write memory; the input's tail is
 *                               copied to its start, the rest is zero
 *   [FZ_RO_BASE, +FZ_RO_SIZE)   read-only memory (writes fail, as a
 *                               read-only mapping fails an SVA write)
 *   everything else             unmapped (BAD_ADDR)
 */
#ifndef FZ_CORE_H
#define FZ_CORE_H

#define FZ_RW_BASE	0x10000ULL
#define FZ_RW_SIZE	(192u * 1024)
#define FZ_RO_BASE	0x100000ULL
#define FZ_RO_SIZE	(64u * 1024)

#define FZ_CTL_NSQE(c)		(((c) & 3) + 1)
#define FZ_CTL_INDICES		(1u << 2)
#define FZ_CTL_FAIL(c)		(((c) >> 3) & 3)
#define FZ_CTL_STOP(c)		(((c) >> 5) & 7)

#endif
