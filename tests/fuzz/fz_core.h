/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * fz_core.h: the input format of the engine-core fuzz target (fz_core.c),
 * shared with its seed generator (fz_seeds.c).
 *
 *   byte 0      control: bits 0-1 SQEs - 1 (1..4); bit 2 hostile ring;
 *               bits 3-4 injected failures (fail_next, 0..3); bits 5-7 K:
 *               stop the queue at the K-th chunk boundary (0: never)
 *   [8 bytes]   with a hostile ring (wd_soft_v3): base, then cq_head's
 *               offset from it (LE u32 each). The queue is as after base
 *               requests, all consumed (the 2^32 wrap within reach), with
 *               the device's cached cq_head a ring behind (the CQ looks
 *               full: its first take reads cq_head, base + offset); each
 *               SQE's phase field v is stored as v ^ WD_SOFT_PHASE(i) ^ 1
 *               (1: valid, 0: stale, from the previous lap, else garbage);
 *               the SQE being served is rewritten (bytes inverted, its
 *               phase kept) at its first data access
 *   N x 64      the SQEs, raw (struct wd_soft_sqe); without a hostile ring
 *               base 0 and every phase valid
 *   the rest    the initial content of the device memory (below)
 *
 * The device address space of the harness (the "memory model"):
 *   [FZ_RW_BASE, +FZ_RW_SIZE)   read-write memory; the input's tail is
 *                               copied to its start, the rest is zero
 *   [FZ_RO_BASE, +FZ_RO_SIZE)   read-only memory (writes fail, as a
 *                               read-only mapping fails an SVA write)
 *   everything else             unmapped (BAD_ADDR)
 *
 * Stream mode (fz_stream.c): an input that starts with FZ_STREAM_MAGIC is
 *   4 bytes     FZ_STREAM_MAGIC
 *   byte 4      N, the number of commands
 *   N x 8       the commands c[0..7]: c[0] bits 0-2 the command, bit 3 the
 *               queue (two queues of one device):
 *     0 OPEN    c[1] % 11 op, level c[2] % 11 (compression),
 *               else c[2] & 7 when c[2] bit 7 (else 0), c[3] bits: 0 rsvd0,
 *               1 rsvd[c[3] >> 7], 2 ctx set, 3 the allocation fails;
 *               c[4..7] a decompression context's stream (below)
 *     1 CLOSE   c[1] < 0xc0: a number given before (c[1] % count), else
 *               c[2] | c[3] << 8; c[4] bit 0: op set
 *     2-4 a request: c[1] bits 6-7 which context (0 an open one, 1 a
 *               number given before, on this queue, 2 the same with
 *               another generation, 3 c[1] & 63), bits 0-5 which one;
 *               c[2] bits 0-1 flush, 2 DICT, 3 RESET, 4 RESET after END,
 *               6 a wrong dictionary; c[3] bit 7 clear: one hostile change
 *               (c[3] & 7: op, params, raw sflags c[2] | c[7] << 8, a source
 *               over the limit, unmapped destination, unmapped source, an
 *               unknown flag, rsvd or state); c[4..5] length (scaled by c[7] & 3:
 *               % 64, % 4096, as is, x 2), c[6] room (< 16: itself,
 *               < 200: (c[6] - 16) x 64, else 2 KiB steps to 96 KiB), c[7]
 *               bits 2-4 zero: check a NO_FLUSH output too; c[4..7] also
 *               the stream after a RESET of a decompression context
 *     5 FREE    wd_soft_core_ctx_free_all() (PUT_Q)
 *     6 FAIL    the next request fails (fail_next)
 *     7 BOUND   c[1] 0xff: open CRC32C contexts up to the queue's bound
 *               and close them (once per input); 0xfe: the next request's
 *               context is closed at its first chunk boundary (while it
 *               runs on it; requests over 64 KiB); else max_ctx_bytes = c[2] * 16 KiB (0:
 *               the default)
 *   the rest    the pool the data of the streams is taken from, in turn
 *
 * A decompression context's stream (g[0..3]): zlib compresses
 * (g[0] | (g[1] & 0x3f) << 8) << (g[1] >> 6 & 1) pool bytes (at most
 * 40 KiB) at level g[2] % 10, with a preset dictionary when g[2] bit 7
 * (not gzip); g[3]: bits 0-1 flushes (none, sync, full, some), bit 2 two
 * gzip members, bit 3 trailing bytes, bits 4-5 both set: one bit flipped,
 * bit 6 gzip header fields, bit 7 4 KiB between flushes (else 256 B).
 */
#ifndef FZ_CORE_H
#define FZ_CORE_H

#define FZ_STREAM_MAGIC	"WDst"

#define FZ_RW_BASE	0x10000ULL
#define FZ_RW_SIZE	(192u * 1024)
#define FZ_RO_BASE	0x100000ULL
#define FZ_RO_SIZE	(64u * 1024)

#define FZ_CTL_NSQE(c)		(((c) & 3) + 1)
#define FZ_CTL_INDICES		(1u << 2)
#define FZ_CTL_FAIL(c)		(((c) >> 3) & 3)
#define FZ_CTL_STOP(c)		(((c) >> 5) & 7)

#endif
