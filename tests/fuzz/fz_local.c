// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * fz_local: libFuzzer target for the engine core in its user-space host,
 * lib/soft (the in-process wd_soft device), through a real queue.
 *
 * The inputs are fz_core's (fz_core.h): raw SQEs and memory. Here they go
 * to a PASID-mode in-process device with one engine thread: the read-write
 * window is the queue's SS region (the input's addresses in the window, and
 * those of SGL entries in it, are moved there), each SQE is written into
 * the ring, the doorbell rung (KICK when the engine sleeps) and its CQE
 * awaited; the device and its queue are reached through wd_ctl.h, as the
 * tests do. Injected failures use the device's fail_next; hostile indices
 * and mid-request stops are not used (tests/vm's t_hostile and t_control
 * cover those, on both hosts).
 *
 * The host's in-place path (wd_soft_host_map(), the SS region) is taken as
 * the input decides, per request (user_data bits 0-1, as fz_core's host):
 * the core's calls reach lib/soft's through __wrap_wd_soft_host_map
 * (-Wl,--wrap), which answers 0 (the copy) for what the policy excludes.
 *
 * Oracles: fz_core's (status of every check, values against references,
 * zlib's verdict on decompression), plus, since the accesses happen in the
 * engine thread, a comparison of the whole SS region before and after each
 * request: every byte that changed lies inside what the request named as
 * its destination. ASan and UBSan watch lib/soft and the core.
 */
#define FZ_LOCAL
#include "fz_core.c"

#include <stdio.h>

#include "uapi/misc/uacce/uacce.h"
#include "wd_ctl.h"

static char ldev[32];
static struct wd_ctl_q *lq;
static struct wd_soft_mmio *lmmio;
static struct wd_soft_dus_hdr *lhdr;
static struct wd_soft_sqe *lsq;
static struct wd_soft_cqe *lcq;
static u32 ltail;
static u8 before[FZ_RW_SIZE];

static void fzl_init(void)
{
	void *ss, *mmio, *dus_map;
	u8 *dus;

	if (lq)
		return;
	if (wd_ctl_new_device(WD_CTL_LOCAL, "0 mode=pasid engines=1") ||
	    wd_ctl_dev_path(WD_CTL_LOCAL, 0, ldev, sizeof(ldev)) ||
	    wd_ctl_q_open(ldev, &lq) ||
	    wd_ctl_q_region(lq, UACCE_QFRT_MMIO, WD_SOFT_MMIO_SIZE, &mmio) ||
	    wd_ctl_q_region(lq, UACCE_QFRT_DUS, WD_SOFT_DUS_SIZE, &dus_map) ||
	    wd_ctl_q_ss_map(lq, FZ_RW_SIZE, &ss) || wd_ctl_q_start(lq)) {
		fprintf(stderr, "fz_local: cannot set up the in-process device\n");
		abort();
	}
	rw_mem = ss;
	rw_base = (uintptr_t)ss;
	ro_size = 0;
	lmmio = mmio;
	dus = dus_map;
	lhdr = (struct wd_soft_dus_hdr *)dus;
	lsq = (struct wd_soft_sqe *)(dus + lhdr->sq_off);
	lcq = (struct wd_soft_cqe *)(dus + lhdr->cq_off);
}

/* The input's device addresses in the window, moved onto the SS region. */
static u64 fzl_move(u64 a)
{
	if (a >= FZ_RW_BASE && a - FZ_RW_BASE < FZ_RW_SIZE)
		return rw_base + (a - FZ_RW_BASE);
	return a;
}

static void fzl_move_sgl(u64 addr, u32 n)
{
	const size_t esz = sizeof(struct wd_soft_sge);
	u8 *sg;	/* entries may be unaligned: bytes only */
	u32 i;

	if (n > WD_SOFT_CORE_MAX_SGE)
		return;
	sg = fz_window(addr, (u64)n * esz, true);
	if (!sg)
		return;
	for (i = 0; i < n; i++) {
		u64 a;

		memcpy(&a, sg + i * esz + offsetof(struct wd_soft_sge, addr), sizeof(a));
		a = fzl_move(a);
		memcpy(sg + i * esz + offsetof(struct wd_soft_sge, addr), &a, sizeof(a));
	}
}

/* the engine thread reads it after the SQE's release: one per request */
static unsigned int lmap_policy;

long __real_wd_soft_host_map(struct wd_soft_core_ctx *ctx, u64 addr, u64 len,
			     bool write, void **kaddr);
long __wrap_wd_soft_host_map(struct wd_soft_core_ctx *ctx, u64 addr, u64 len,
			     bool write, void **kaddr);

long __wrap_wd_soft_host_map(struct wd_soft_core_ctx *ctx, u64 addr, u64 len,
			     bool write, void **kaddr)
{
	unsigned int p = __atomic_load_n(&lmap_policy, __ATOMIC_RELAXED);
	long n;

	if (!p || (p == 3 && write) || (p == 2 && !(addr & 256)))
		return 0;
	if (p == 2)
		len = min(len, 256 - (addr & 255));
	n = __real_wd_soft_host_map(ctx, addr, len, write, kaddr);
	FZ_CHECK(n >= 0 && (u64)n <= len, "map answered %ld for %llu bytes", n,
		 (unsigned long long)len);
	if (n > 0)
		FZ_CHECK(write ? fz_allowed(wr_ok, nr_wr, addr, (u64)n) :
				 fz_allowed(rd_ok, nr_rd, addr, (u64)n),
			 "map for %s outside the request: %#llx+%ld",
			 write ? "writing" : "reading", (unsigned long long)addr, n);
	return n;
}

/* Submit one SQE and wait for its CQE. */
static struct wd_soft_cqe fzl_run(const struct wd_soft_sqe *e)
{
	struct wd_soft_cqe c;
	int i;
	u32 t;

	struct wd_soft_cqe *slot = &lcq[ltail & (WD_SOFT_DEPTH - 1)];
	u32 phase = WD_SOFT_PHASE(ltail, WD_SOFT_DEPTH);

	/* wd_soft_v3: every field, then the phase (release) */
	memcpy(&lsq[ltail & (WD_SOFT_DEPTH - 1)], e, offsetof(struct wd_soft_sqe, phase));
	__atomic_store_n(&lsq[ltail & (WD_SOFT_DEPTH - 1)].phase, phase, __ATOMIC_RELEASE);
	ltail++;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&lmmio->status, __ATOMIC_ACQUIRE) & WD_SOFT_ST_NEED_WAKEUP)
		wd_ctl_q_kick(lq);
	/* sleep until the CQE's phase: cq_notify armed (P1-P3 of the datasheet) */
	for (i = 0; __atomic_load_n(&slot->phase, __ATOMIC_ACQUIRE) != phase; i++) {
		FZ_CHECK(i < 600, "no completion after 60 s");
		__atomic_store_n(&lmmio->cq_notify, WD_SOFT_CQN_ENABLE | WD_SOFT_CQN_ARMED,
				 __ATOMIC_SEQ_CST);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (__atomic_load_n(&slot->phase, __ATOMIC_ACQUIRE) == phase)
			break;
		wd_ctl_q_wait(lq, 100);
	}
	__atomic_store_n(&lmmio->cq_notify, WD_SOFT_CQN_ENABLE, __ATOMIC_RELAXED);
	/* the header follows the CQE's phase: it may still lag by this one */
	t = __atomic_load_n(&lhdr->cq_tail, __ATOMIC_ACQUIRE);
	FZ_CHECK(t == ltail || t == ltail - 1, "CQE %u posted, header cq_tail %u",
		 ltail - 1, t);
	c = lcq[(ltail - 1) & (WD_SOFT_DEPTH - 1)];
	__atomic_store_n(&lmmio->cq_head, ltail, __ATOMIC_RELEASE);
	return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wd_soft_sqe sqes[4];
	struct fz_expect ex;
	u32 ctl, nsqe, i;
	size_t need, k;
	char val[16];

	fzl_init();
	if (size < 1)
		return 0;
	ctl = data[0];
	nsqe = FZ_CTL_NSQE(ctl);
	need = 1 + ((ctl & FZ_CTL_INDICES) ? 8 : 0) + nsqe * sizeof(struct wd_soft_sqe);
	if (size < need)
		return 0;
	memcpy(sqes, data + need - nsqe * sizeof(struct wd_soft_sqe),
	       nsqe * sizeof(struct wd_soft_sqe));
	memset(rw_mem, 0, FZ_RW_SIZE);
	memcpy(rw_mem, data + need, min(size - need, (size_t)FZ_RW_SIZE));
	for (i = 0; i < nsqe; i++) {
		struct wd_soft_sqe *e = &sqes[i];

		e->src = fzl_move(e->src);
		e->dst = fzl_move(e->dst);
		if (e->flags & WD_SOFT_SQE_F_SRC_SGL)
			fzl_move_sgl(e->src, e->src_len);
		if (e->flags & WD_SOFT_SQE_F_DST_SGL)
			fzl_move_sgl(e->dst, e->dst_len);
	}
	snprintf(val, sizeof(val), "%u", (unsigned int)FZ_CTL_FAIL(ctl));
	FZ_CHECK(!wd_ctl_attr_set(ldev, "fail_next", val), "fail_next");

	for (i = 0; i < nsqe; i++) {
		bool fail = wd_ctl_attr_get(ldev, "fail_next", val, sizeof(val)) > 0 &&
			    strcmp(val, "0");
		struct wd_soft_cqe c;

		fz_model(&sqes[i], fail, &ex);
		__atomic_store_n(&lmap_policy, (unsigned int)(sqes[i].user_data & 3),
				 __ATOMIC_RELAXED);
		memcpy(before, rw_mem, FZ_RW_SIZE);
		c = fzl_run(&sqes[i]);
		FZ_CHECK(c.user_data == sqes[i].user_data, "user_data %#llx, expected %#llx (status %u, tail %u)", (unsigned long long)c.user_data, (unsigned long long)sqes[i].user_data, c.status, ltail);
		FZ_CHECK(c.status <= WD_SOFT_S_BAD_CTX, "status %u", c.status);
		if (c.status != WD_SOFT_S_OK && c.status != WD_SOFT_S_DST_SMALL)
			FZ_CHECK(!c.out_len, "out_len %u with status %u", c.out_len,
				 c.status);
		if (ex.pre) {
			FZ_CHECK(c.status == ex.pre, "status %u, the checks say %u (op %u)",
				 c.status, ex.pre, sqes[i].op);
		} else {
			FZ_CHECK(c.status != WD_SOFT_S_DEV_ERR &&
				 c.status != WD_SOFT_S_INVAL &&
				 c.status != WD_SOFT_S_BAD_OP &&
				 c.status != WD_SOFT_S_CANCELED,
				 "status %u after the checks passed", c.status);
			fz_check_result(&sqes[i], &ex, c.status, c.out_len);
		}
		/* only the destination changed */
		if (memcmp(before, rw_mem, FZ_RW_SIZE)) {
			u64 lo = 1, hi = 0;	/* a range known to be allowed */

			for (k = 0; k < FZ_RW_SIZE; k++) {
				u64 a = rw_base + k;
				unsigned int r;

				if (before[k] == rw_mem[k] || (a >= lo && a < hi))
					continue;
				for (r = 0; r < nr_wr; r++)
					if (a >= wr_ok[r].addr && a - wr_ok[r].addr < wr_ok[r].len)
						break;
				FZ_CHECK(r < nr_wr, "SS+%zu written outside the destination (op %u)",
					 k, sqes[i].op);
				lo = wr_ok[r].addr;
				hi = lo + wr_ok[r].len;
			}
		}
	}
	return 0;
}
