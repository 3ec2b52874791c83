/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fz_ring.h: what the ring fuzzer's two files share: fz_ring.c (checking,
 * the scribbler, the batches, main) and fz_ring_gen.c (its memory and the
 * requests it builds).
 */
#ifndef WD_TESTS_FUZZ_FZ_RING_H
#define WD_TESTS_FUZZ_FZ_RING_H

#include "t.h"
#include "ref.h"
#include "fz_ref.h"

#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include "fz_vm.h"

#define ARENA		(512 * 1024)	/* q0's request memory */
#define TARGET		(448 * 1024)	/* [0, TARGET) is named by requests */
#define CANARY_BYTE	0xc5
#define RO_BYTE		0x5a
#define Q2_BYTE		0x3c
#define TRIP_BYTE	0xa7
#define MAX_BATCH	48
#define MAX_PIECES	8
#define BIG		(160 * 1024)
#define CTX_MAX		(4 * 1024 * 1024)	/* data a context's digest is checked over */

/* ---- the fuzzed queue and its surroundings ---- */

struct piece {
	uint8_t *p;		/* NULL: not in our memory */
	uint32_t len;
};

enum kind { K_VALID, K_NOP, K_HOSTILE, K_GARBAGE, K_RAW, K_CTX };
#define NR_KINDS	6
#define NR_STATUS	(WD_SOFT_S_BAD_CTX + 1)

struct req {
	struct wd_soft_sqe sqe;
	enum kind kind;
	bool victim;		/* scribbled while published: no checks */
	/* K_VALID */
	uint8_t *snap;		/* the source bytes */
	size_t src_len;
	struct piece dst[MAX_PIECES];
	int ndst;
	uint64_t dst_len;
	uint32_t ztext_len;	/* decompression: the text compressed */
	/* K_HOSTILE: which side is out of reach, for reading or writing */
	bool src_bad, dst_bad;
	/* K_GARBAGE (and K_CTX when it is refused) */
	uint32_t expect;
	uint8_t *trip;
	size_t trip_len;
};

struct fz {
	int mode;		/* 0 sva, 1 pasid, 2 noiommu */
	struct t_inst in;
	struct t_q q0, q1, q2;
	uint8_t *arena;		/* ARENA bytes */
	uint8_t *ro;		/* one read-only page */
	uint8_t *dko;
	size_t used;		/* bump allocator over [0, TARGET) */
	struct req r[MAX_BATCH];
	int n;
	uint64_t seq;		/* user_data of the next request */
	/* figures */
	/* a SHA-256 stream context of q0 (0: none), its data since the
	 * last FINISH, and whether its results can be checked (no scribbled
	 * request named it since it was opened)
	 */
	uint32_t ctx;
	bool ctx_clean;
	uint8_t *ctx_data;
	size_t ctx_len;
	uint64_t requests, by_kind[NR_KINDS], by_status[NR_STATUS], bytes, batches;
	uint64_t ctx_opens, ctx_finishes;
	uint64_t broken, holes, stops, scribbles, kicks, good_copies;
};

extern struct fz F;

/* fz_ring_gen.c */
uint64_t dev_addr(const void *p);	/* q0's device address of @p */
int op_wbits(uint16_t op);		/* zlib's windowBits for @op */
bool is_comp(uint16_t op);
void gen_batch(void);			/* F.r[0..F.n): a new batch */
void ctx_drop(void);			/* q0's contexts are gone (PUT_Q) */

#endif
