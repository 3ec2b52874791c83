// SPDX-License-Identifier: GPL-2.0
/* t_ioctl: the uacce ioctls in each queue state (docs/uacce.md, "ioctls") */
#include "t.h"

#include <fcntl.h>
#include <stdlib.h>
#include <linux/capability.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>


/* STARTED <=> START_Q gives EINVAL: a way to see the state without a request */
static bool q_started(struct t_q *q)
{
	int r = t_q_cmd(q, UACCE_CMD_START_Q, 0);

	if (r == 0) {
		/* it was INIT: put it back */
		T_CMD_OK(q, UACCE_CMD_PUT_Q, 0);
		return false;
	}
	T_EQ(r, -EINVAL);
	return true;
}

/* map the SS region of @q, @size bytes: 0 or -errno */
static int ss_map(struct t_q *q, size_t size, void **p)
{
	return t_q_mmap(q, UACCE_QFRT_SS, size, PROT_READ | PROT_WRITE, p);
}

static void nop_works(struct t_q *q)
{
	struct wd_soft_sqe sqe = t_sqe_nop(0xabcdef);
	struct wd_soft_cqe cqe = t_q_run(q, &sqe);

	T_EQ(cqe.status, WD_SOFT_S_OK);
	T_EQ(cqe.out_len, 0);
}

TEST(start_q_in_init)
{
	struct t_inst in = t_inst_create("");
	struct t_q q;

	t_q_open(&q, in.ua);
	t_q_map(&q);
	T_CMD_OK(&q, UACCE_CMD_START_Q, 0);
	nop_works(&q);
}

TEST(start_q_in_started_einval)
{
	struct t_inst in = t_inst_create("");
	struct t_q q;

	t_q_setup(&q, in.ua);
	T_CMD_ERR(&q, UACCE_CMD_START_Q, 0, EINVAL);
	/* and the queue is still started and working */
	nop_works(&q);
	T_CMD_ERR(&q, UACCE_CMD_START_Q, 0, EINVAL);
}

TEST(put_q_in_started_then_start_again)
{
	struct t_inst in = t_inst_create("");
	struct t_q q;

	t_q_setup(&q, in.ua);
	nop_works(&q);
	T_CMD_OK(&q, UACCE_CMD_PUT_Q, 0);
	/* INIT again: START_Q works */
	t_q_start_again(&q);
	nop_works(&q);
	/* and a second full cycle */
	T_CMD_OK(&q, UACCE_CMD_PUT_Q, 0);
	t_q_start_again(&q);
	nop_works(&q);
}

TEST(put_q_in_init_einval)
{
	struct t_inst in = t_inst_create("");
	struct t_q q;

	t_q_open(&q, in.ua);
	T_CMD_ERR(&q, UACCE_CMD_PUT_Q, 0, EINVAL);
	t_q_map(&q);
	T_CMD_ERR(&q, UACCE_CMD_PUT_Q, 0, EINVAL);
	/* after a START/PUT cycle, a second PUT_Q is EINVAL too */
	T_CMD_OK(&q, UACCE_CMD_START_Q, 0);
	T_CMD_OK(&q, UACCE_CMD_PUT_Q, 0);
	T_CMD_ERR(&q, UACCE_CMD_PUT_Q, 0, EINVAL);
	/* nothing broke: the queue starts and works */
	t_q_start_again(&q);
	nop_works(&q);
}

/* ---- SHARE_SVAS ---- */

TEST(share_svas_ok)
{
	struct t_inst in = t_inst_create("mode=pasid");
	struct t_q a, b;

	t_q_open(&a, in.ua);
	t_q_open(&b, in.ua);
	t_q_map_ss(&a, t_page);
	T_CMD_OK(&b, UACCE_CMD_SHARE_SVAS, a.fd);
}

TEST(share_svas_b_has_ss_eexist)
{
	struct t_inst in = t_inst_create("mode=pasid");
	struct t_q a, b;

	t_q_open(&a, in.ua);
	t_q_open(&b, in.ua);
	t_q_map_ss(&a, t_page);
	t_q_map_ss(&b, t_page);
	T_CMD_ERR(&b, UACCE_CMD_SHARE_SVAS, a.fd, EEXIST);
}

/* B got A's SS through SHARE_SVAS: it has one now, a second share is EEXIST */
TEST(share_svas_twice_eexist)
{
	struct t_inst in = t_inst_create("mode=pasid");
	struct t_q a, b, c;

	t_q_open(&a, in.ua);
	t_q_open(&b, in.ua);
	t_q_open(&c, in.ua);
	t_q_map_ss(&a, t_page);
	t_q_map_ss(&c, t_page);
	T_CMD_OK(&b, UACCE_CMD_SHARE_SVAS, a.fd);
	T_CMD_ERR(&b, UACCE_CMD_SHARE_SVAS, a.fd, EEXIST);
	T_CMD_ERR(&b, UACCE_CMD_SHARE_SVAS, c.fd, EEXIST);
}

/* docs/uacce.md: SS on a queue that has a shared SS: EEXIST */
TEST(mmap_ss_after_share_eexist)
{
	struct t_inst in = t_inst_create("mode=pasid");
	struct t_q a, b;

	t_q_open(&a, in.ua);
	t_q_open(&b, in.ua);
	t_q_map_ss(&a, t_page);
	T_CMD_OK(&b, UACCE_CMD_SHARE_SVAS, a.fd);
	void *p;

	T_EQ(ss_map(&b, t_page, &p), -EEXIST);
}

TEST(share_svas_a_without_ss_einval)
{
	struct t_inst in = t_inst_create("mode=pasid");
	struct t_q a, b;

	t_q_open(&a, in.ua);
	t_q_open(&b, in.ua);
	T_CMD_ERR(&b, UACCE_CMD_SHARE_SVAS, a.fd, EINVAL);
	/* in-process SS regions stay until their queues close (wd_ctl.h):
	 * unmapping one is the kernel's only */
	if (t_host_local)
		return;
	/* A mapped and unmapped its SS: no SS any more */
	void *p = t_q_map_ss(&a, t_page);

	T_OK(munmap(p, t_page));
	a.ss = NULL;
	T_CMD_ERR(&b, UACCE_CMD_SHARE_SVAS, a.fd, EINVAL);
}

TEST(share_svas_not_a_queue_einval)
{
	struct t_inst in = t_inst_create("mode=pasid");
	struct t_q b;
	int nul = T_OK(open("/dev/null", O_RDWR));
	int sv[2];

	t_q_open(&b, in.ua);
	T_CMD_ERR(&b, UACCE_CMD_SHARE_SVAS, nul, EINVAL);
	T_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	T_CMD_ERR(&b, UACCE_CMD_SHARE_SVAS, sv[0], EINVAL);
	/* the in-process device has no sysfs files */
	if (t_host_local)
		return;
	/* a sysfs file of the uacce device is not a queue either */
	char p[128];
	int sfd;

	snprintf(p, sizeof(p), "/sys/class/uacce/ua%d/id", in.ua);
	sfd = T_OK(open(p, O_RDONLY));
	T_CMD_ERR(&b, UACCE_CMD_SHARE_SVAS, sfd, EINVAL);
}

TEST(share_svas_bad_fd_ebadf)
{
	struct t_inst in = t_inst_create("mode=pasid");
	struct t_q a, b;
	int closed;

	t_q_open(&a, in.ua);
	t_q_open(&b, in.ua);
	t_q_map_ss(&a, t_page);
	T_CMD_ERR(&b, UACCE_CMD_SHARE_SVAS, 9999, EBADF);
	T_CMD_ERR(&b, UACCE_CMD_SHARE_SVAS, -1, EBADF);
	closed = T_OK(dup(a.fd));
	T_OK(close(closed));
	T_CMD_ERR(&b, UACCE_CMD_SHARE_SVAS, closed, EBADF);
	/* nothing was shared: the real share still works */
	T_CMD_OK(&b, UACCE_CMD_SHARE_SVAS, a.fd);
}

TEST(share_svas_self_einval)
{
	struct t_inst in = t_inst_create("mode=pasid");
	struct t_q a;

	t_q_open(&a, in.ua);
	T_CMD_ERR(&a, UACCE_CMD_SHARE_SVAS, a.fd, EINVAL);
	t_q_map_ss(&a, t_page);
	T_CMD_ERR(&a, UACCE_CMD_SHARE_SVAS, a.fd, EINVAL);
	/* a dup of the same queue is the same queue */
	int d = T_OK(dup(a.fd));

	T_CMD_ERR(&a, UACCE_CMD_SHARE_SVAS, d, EINVAL);
}

/* A's queue belongs to another process: not "of the same process" */
TEST(share_svas_other_process_queue)
{
	T_NEED_KERNEL("in-process queues are the opening process's: fd "
		      "passing over a socket is the kernel's");
	struct t_inst in = t_inst_create("mode=pasid");
	struct t_q b;
	int sv[2];
	pid_t pid;

	T_OK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv));
	pid = t_fork();
	if (pid == 0) {
		struct t_q a;
		char c;

		t_q_open(&a, in.ua);
		t_q_map_ss(&a, t_page);
		t_send_fd(sv[1], a.fd);
		/* hold the queue until the parent is done */
		T_OK(read(sv[1], &c, 1));
		_exit(0);
	}
	int afd = t_recv_fd(sv[0]);

	t_q_open(&b, in.ua);
	/* docs/interfaces.md fixes no errno here; docs/uacce.md: EPERM */
	T_CMD_ERR(&b, UACCE_CMD_SHARE_SVAS, afd, EPERM);
	T_OK(write(sv[0], "x", 1));
	t_wait_ok(pid, T_HANG_MS);
}

/* B's device reaches A's SS at the same addresses (PASID: only SS works) */
static void share_reach(const char *opts_a, const char *opts_b)
{
	struct t_inst ia = t_inst_create(opts_a);
	struct t_inst ib = opts_b ? t_inst_create(opts_b) : ia;
	struct t_q a, b, c;
	char *src, *dst, *own;
	struct wd_soft_sqe sqe;
	struct wd_soft_cqe cqe;

	t_q_setup(&a, ia.ua);
	t_q_open(&b, ib.ua);
	t_q_map(&b);
	t_q_map_ss(&a, 4 * t_page);
	src = t_q_ss_alloc(&a, t_page);
	dst = t_q_ss_alloc(&a, t_page);

	/* before sharing, B cannot reach A's SS */
	T_CMD_OK(&b, UACCE_CMD_START_Q, 0);
	sqe = t_sqe_copy(&b, src, dst, 100, 100);
	cqe = t_q_run(&b, &sqe);
	T_EQ(cqe.status, WD_SOFT_S_BAD_ADDR);
	T_CMD_OK(&b, UACCE_CMD_PUT_Q, 0);

	T_CMD_OK(&b, UACCE_CMD_SHARE_SVAS, a.fd);
	t_q_start_again(&b);
	t_q_copy_check(&b, src, dst, t_page);
	/* A still works on its own SS */
	t_q_copy_check(&a, dst, src, 1000);

	/* a third queue C without SS and without sharing still cannot */
	t_q_setup(&c, ib.ua);
	own = malloc(t_page);
	sqe = t_sqe_copy(&c, src, dst, 10, 10);
	cqe = t_q_run(&c, &sqe);
	T_EQ(cqe.status, WD_SOFT_S_BAD_ADDR);
	sqe = t_sqe_copy(&c, own, own, 10, 10);
	cqe = t_q_run(&c, &sqe);
	T_EQ(cqe.status, WD_SOFT_S_BAD_ADDR);
}

TEST(share_svas_reach_same_device)
{
	share_reach("mode=pasid", NULL);
}

TEST(share_svas_reach_other_device)
{
	share_reach("mode=pasid", "mode=pasid");
}

/* ---- GET_SS_DMA ---- */

static unsigned long tainted(void)
{
	char buf[64];

	T_ASSERT(t_read_file("/proc/sys/kernel/tainted", buf, sizeof(buf)) > 0);
	return strtoul(buf, NULL, 10);
}

TEST(get_ss_dma_sva_einval)
{
	struct t_inst in = t_inst_create("mode=sva");
	struct t_q q;
	__u64 dma = 0;

	t_q_open(&q, in.ua);
	T_CMD_ERR(&q, UACCE_CMD_GET_SS_DMA, &dma, EINVAL);
	if (t_ss_max(in.ua) != 0) {
		void *p;

		if (!ss_map(&q, t_page, &p))
			T_CMD_ERR(&q, UACCE_CMD_GET_SS_DMA, &dma, EINVAL);
	}
	T_EQ(dma, 0);
}

TEST(get_ss_dma_pasid_einval)
{
	struct t_inst in = t_inst_create("mode=pasid");
	struct t_q q;
	__u64 dma = 0;

	t_q_open(&q, in.ua);
	t_q_map_ss(&q, t_page);
	T_CMD_ERR(&q, UACCE_CMD_GET_SS_DMA, &dma, EINVAL);
	T_EQ(dma, 0);
}

/* bits a module load sets: proprietary, out-of-tree, unsigned */
#define TAINT_LOAD_BITS ((1ul << 0) | (1ul << 12) | (1ul << 13))
#define TAINT_USER (1ul << 6)

/* the bus address: not 0, page aligned, the same every time */
TEST(get_ss_dma_noiommu)
{
	struct t_inst in = t_inst_create("mode=noiommu");
	struct t_q q;
	__u64 dma = 0, again = 0;
	void *p;

	t_q_open(&q, in.ua);
	T_EQ(q.flags, UACCE_DEV_NOIOMMU);
	T_EQ(ss_map(&q, 2 * t_page, &p), 0);
	T_CMD_OK(&q, UACCE_CMD_GET_SS_DMA, &dma);
	T_ASSERT_MSG(dma != 0, "GET_SS_DMA returned address 0");
	T_ASSERT_MSG((dma & (t_page - 1)) == 0,
		     "SS DMA address %#llx not page aligned",
		     (unsigned long long)dma);
	T_CMD_OK(&q, UACCE_CMD_GET_SS_DMA, &again);
	T_EQ_HEX(again, dma);
}

TEST(get_ss_dma_noiommu_taints)
{
	T_NEED_KERNEL("taint is the kernel's");
	struct t_inst in = t_inst_create("mode=noiommu");
	struct t_q q;
	__u64 dma = 0;
	unsigned long before, after;
	void *p;

	t_q_open(&q, in.ua);
	T_EQ(q.flags, UACCE_DEV_NOIOMMU);
	T_EQ(ss_map(&q, 2 * t_page, &p), 0);
	before = tainted();
	T_CMD_OK(&q, UACCE_CMD_GET_SS_DMA, &dma);
	after = tainted();
	T_ASSERT_MSG(dma != 0, "GET_SS_DMA returned address 0");
	T_ASSERT_MSG((dma & (t_page - 1)) == 0,
		     "SS DMA address %#llx not page aligned",
		     (unsigned long long)dma);
	T_ASSERT_MSG(after & ~TAINT_LOAD_BITS,
		     "kernel not tainted after GET_SS_DMA (tainted %lu -> %lu)",
		     before, after);
	/* docs/uacce.md: TAINT_USER, 'U' */
	T_ASSERT_MSG(after & TAINT_USER, "tainted %lu after GET_SS_DMA: no "
		     "TAINT_USER (U)", after);
	T_ASSERT((after & before) == before);
	/* the same answer every time */
	__u64 again = 0;

	T_CMD_OK(&q, UACCE_CMD_GET_SS_DMA, &again);
	T_EQ_HEX(again, dma);
}

TEST(get_ss_dma_noiommu_without_ss_enxio)
{
	struct t_inst in = t_inst_create("mode=noiommu");
	struct t_q q;
	__u64 dma = 0;

	t_q_open(&q, in.ua);
	T_CMD_ERR(&q, UACCE_CMD_GET_SS_DMA, &dma, ENXIO);
	T_EQ(dma, 0);
	/* in-process SS regions stay until their queues close (wd_ctl.h):
	 * unmapping one is the kernel's only */
	if (t_host_local)
		return;
	/* mapped, then unmapped: no SS again */
	void *p;

	T_EQ(ss_map(&q, t_page, &p), 0);
	T_OK(munmap(p, t_page));
	T_CMD_ERR(&q, UACCE_CMD_GET_SS_DMA, &dma, ENXIO);
	T_EQ(dma, 0);
}

TEST(get_ss_dma_without_cap_sys_rawio_eperm)
{
	T_NEED_KERNEL("capabilities are the kernel's: the in-process "
		      "GET_SS_DMA needs no privilege");
	struct t_inst in = t_inst_create("mode=noiommu");
	struct t_q q;
	__u64 dma = 0;
	void *p;

	t_q_open(&q, in.ua);
	T_EQ(ss_map(&q, t_page, &p), 0);
	/* this test's process is the owner: drop the capability in it */
	t_drop_cap(CAP_SYS_RAWIO);
	T_CMD_ERR(&q, UACCE_CMD_GET_SS_DMA, &dma, EPERM);
	T_EQ(dma, 0);
}

TEST(get_ss_dma_bad_pointer_efault)
{
	T_NEED_KERNEL("EFAULT is the kernel's copy_to_user: an in-process "
		      "call stores through the pointer");
	struct t_inst in = t_inst_create("mode=noiommu");
	struct t_q q;
	void *p;

	t_q_open(&q, in.ua);
	T_EQ(ss_map(&q, t_page, &p), 0);
	T_CMD_ERR(&q, UACCE_CMD_GET_SS_DMA, (void *)16, EFAULT);
}

/* ---- unknown commands ---- */

static void unknown_cmds(struct t_q *q)
{
	T_CMD_ERR(q, _IO('W', 99), 0, ENOTTY);
	T_CMD_ERR(q, _IOR('W', 3, __u32), 0, ENOTTY);	/* wrong size */
	T_CMD_ERR(q, _IOW('W', 3, __u64), 0, ENOTTY);	/* wrong dir */
	T_CMD_ERR(q, _IOW('W', 0, int), 0, ENOTTY);	/* START_Q + size */
	T_CMD_ERR(q, _IO('X', 0), 0, ENOTTY);		/* wrong type */
	T_CMD_ERR(q, 0x12345678, 0, ENOTTY);
	T_CMD_ERR(q, 0xdeadbeef, 0, ENOTTY);
	T_CMD_ERR(q, _IO('W', 4), 0, ENOTTY);
}

TEST(unknown_cmd_enotty_init)
{
	struct t_inst in = t_inst_create("");
	struct t_q q;

	t_q_open(&q, in.ua);
	unknown_cmds(&q);
	/* still INIT */
	T_ASSERT(!q_started(&q));
	t_q_map(&q);
	unknown_cmds(&q);
	T_ASSERT(!q_started(&q));
	t_q_start(&q);
	nop_works(&q);
}

TEST(unknown_cmd_enotty_started)
{
	struct t_inst in = t_inst_create("");
	struct t_q q;

	t_q_setup(&q, in.ua);
	unknown_cmds(&q);
	T_ASSERT(q_started(&q));
	nop_works(&q);
}

/* many queues through every state: nothing is left over */
TEST(state_cycles_many_queues)
{
	struct t_inst in = t_inst_create("queues=8");
	long long avail = t_attr_ll(in.ua, "available_instances");

	T_EQ(avail, 8);
	for (int round = 0; round < 5; round++) {
		struct t_q q[8];

		for (int i = 0; i < 8; i++)
			t_q_setup(&q[i], in.ua);
		T_EQ(t_attr_ll(in.ua, "available_instances"), 0);
		for (int i = 0; i < 8; i++) {
			nop_works(&q[i]);
			if (i & 1)
				T_CMD_OK(&q[i], UACCE_CMD_PUT_Q, 0);
			t_q_close(&q[i]);
		}
		T_EQ(t_attr_ll(in.ua, "available_instances"), 8);
	}
}
