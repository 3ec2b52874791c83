// SPDX-License-Identifier: GPL-2.0
/*
 * t-queue.c: the harness's queues (struct t_q) and the wd_soft_v3 ring.
 * The VM build opens /dev/uaN and uses mmap, ioctl and poll (these are ABI
 * tests); the native build (T_NATIVE) the same operations on the
 * in-process device through wd_ctl.h: with t-sys.c, the one place where the
 * hosts differ.
 */
#include "t.h"

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifdef T_NATIVE
#include "wd_ctl.h"
#endif

/* ---- regions ---- */


void *t_mmap_region(int fd, int qfrt, size_t len, int prot)
{
	return mmap(NULL, len, prot, MAP_SHARED, fd, (off_t)qfrt * t_page);
}

size_t t_region_size(int ua, int qfrt)
{
	static const char *const names[] = {
		"region_mmio_size", "region_dko_size", "region_dus_size" };

	if (qfrt > UACCE_QFRT_DUS)
		T_FAIL("no fixed size for region %d", qfrt);
	return t_attr_ll(ua, names[qfrt]);
}

long long t_ss_max(int ua)
{
	if (!t_attr_exists(ua, "region_ss_max_size"))
		return -1;
	return t_attr_ll(ua, "region_ss_max_size");
}

#ifdef T_NATIVE
/*
 * In-process, a queue is a wd_ctl_q; its "fd" is a real descriptor (of
 * /dev/null) that names it here, so that the tests' close(fd) closes it
 * (close() is wrapped at link time) and fds stay the queues' handles on
 * both hosts (t_q_cmd(SHARE_SVAS) takes the other queue's fd).
 */
#define T_MAX_FDS	4096
static struct wd_ctl_q *t_fdq[T_MAX_FDS];

int __real_close(int fd);
int __wrap_close(int fd);

int __wrap_close(int fd)
{
	if (fd >= 0 && fd < T_MAX_FDS && t_fdq[fd]) {
		wd_ctl_q_close(t_fdq[fd]);
		t_fdq[fd] = NULL;
	}
	return __real_close(fd);
}

static struct wd_ctl_q *t_fd_q(int fd)
{
	return fd >= 0 && fd < T_MAX_FDS ? t_fdq[fd] : NULL;
}

int t_open_raw(int ua)
{
	struct wd_ctl_q *h;
	char p[32];
	int fd, r = wd_ctl_q_open(t_dev_path(ua, p), &h);

	if (r)
		return r;
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fd >= T_MAX_FDS)
		T_FAIL("no descriptor for a queue: %s", t_errname(errno));
	t_fdq[fd] = h;
	return fd;
}

static int t_fd_cmd(int fd, unsigned long cmd, unsigned long arg)
{
	struct wd_ctl_q *h = t_fd_q(fd), *o;

	if (!h)
		return -EBADF;
	switch (cmd) {
	case UACCE_CMD_START_Q:
		return wd_ctl_q_start(h);
	case UACCE_CMD_PUT_Q:
		return wd_ctl_q_stop(h);
	case WD_SOFT_CMD_KICK:
		return wd_ctl_q_kick(h);
	case UACCE_CMD_GET_SS_DMA:
		return wd_ctl_q_ss_dma(h, (uint64_t *)arg);
	case UACCE_CMD_SHARE_SVAS:
		o = t_fd_q((int)arg);
		if (!o)	/* the kernel's: not a descriptor, or not a queue */
			return fcntl((int)arg, F_GETFD) < 0 ? -EBADF : -EINVAL;
		return wd_ctl_q_share_ss(o, h);
	default:
		/* the device's own commands (WD_SOFT_CMD_CTX), checked as the
		 * kernel's ioctl: owner, removal, then -ENOTTY if unknown */
		return wd_ctl_q_cmd(h, cmd, (void *)arg);
	}
}
#else
int t_open_raw(int ua)
{
	char p[32];
	int fd = open(t_dev_path(ua, p), O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static int t_fd_cmd(int fd, unsigned long cmd, unsigned long arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}
#endif

int t_q_cmd(struct t_q *q, unsigned long cmd, unsigned long arg)
{
	return t_fd_cmd(q->fd, cmd, arg);
}

int t_q_share(struct t_q *q, struct t_q *owner)
{
	return t_q_cmd(q, UACCE_CMD_SHARE_SVAS, (unsigned long)owner->fd);
}

#ifdef T_NATIVE
/* the threads in t_q_poll_ev() now (t_task_asleep_in_poll()) */
#define T_MAX_POLLERS	64
static pid_t t_pollers[T_MAX_POLLERS];

static int t_poller_enter(void)
{
	pid_t me = t_gettid();

	for (int i = 0; i < T_MAX_POLLERS; i++) {
		pid_t free_slot = 0;

		if (__atomic_compare_exchange_n(&t_pollers[i], &free_slot, me,
						false, __ATOMIC_SEQ_CST,
						__ATOMIC_SEQ_CST))
			return i;
	}
	T_FAIL("more than %d threads in t_q_poll()", T_MAX_POLLERS);
}

/*
 * what poll() would report now, by uacce_fops_poll() + wd_soft_poll(), from
 * the queue's mapped regions (in-process each maps once); unmapped, the
 * wait's "readable" is all there is to say
 */
static short t_fd_revents(struct t_q *q)
{
	short rev = 0;
	uint32_t head;

	if (!q->hdr || !q->mmio)
		return POLLIN;
	/* the CQE at the process's cq_head is posted (its phase) */
	head = __atomic_load_n(&q->mmio->cq_head, __ATOMIC_ACQUIRE);
	if (t_q_cqe_ready(q, head))
		rev |= POLLIN;
	if (t_q_status(q) & WD_SOFT_ST_BROKEN)
		rev |= POLLERR;
	return rev;
}

int t_q_poll_ev(struct t_q *q, int timeout_ms, short *revents)
{
	struct wd_ctl_q *h = t_fd_q(q->fd);
	uint64_t end = t_now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	int left = timeout_ms, r, slot;

	*revents = 0;
	if (!h)
		return -EBADF;
	for (;;) {
		slot = t_poller_enter();
		r = wd_ctl_q_wait(h, left);
		__atomic_store_n(&t_pollers[slot], 0, __ATOMIC_SEQ_CST);
		if (r == -ENODEV) {
			*revents = POLLHUP | POLLERR;
			return 1;
		}
		if (r == -EPERM) {	/* a fork child: not the owner */
			*revents = POLLERR;
			return 1;
		}
		if (r <= 0)
			return r;
		*revents = t_fd_revents(q);
		if (*revents)
			return 1;
		/* collected meanwhile: poll() would sleep on */
		if (timeout_ms >= 0) {
			uint64_t now = t_now_ms();

			if (now >= end)
				return 0;
			left = (int)(end - now);
		}
	}
}

bool t_task_asleep_in_poll(pid_t tid)
{
	bool in = false;

	for (int i = 0; i < T_MAX_POLLERS; i++)
		if (__atomic_load_n(&t_pollers[i], __ATOMIC_SEQ_CST) == tid)
			in = true;
	return in && t_task_asleep_in(tid, SYS_futex, SYS_futex);
}
#else
int t_q_poll_ev(struct t_q *q, int timeout_ms, short *revents)
{
	struct pollfd pfd = { .fd = q->fd, .events = POLLIN };
	int n = poll(&pfd, 1, timeout_ms);

	*revents = pfd.revents;
	return n < 0 ? -errno : n;
}

bool t_task_asleep_in_poll(pid_t tid)
{
	return t_task_asleep_in(tid, SYS_poll, SYS_ppoll);
}
#endif

void t_wait_asleep_in_poll(pid_t tid, const char *what)
{
	T_WAIT_UNTIL(t_task_asleep_in_poll(tid),
		     "%s: thread %d not asleep in t_q_poll() after %d s",
		     what, (int)tid, T_HANG_MS / 1000);
}

int t_q_poll(struct t_q *q, int timeout_ms)
{
	short rev;
	int n = t_q_poll_ev(q, timeout_ms, &rev);

	if (n <= 0)
		return n;
	if (rev & POLLHUP)
		return -ENODEV;
	if (rev & POLLNVAL)
		return -EBADF;
	return 1;
}

int t_q_mmap(struct t_q *q, int qfrt, size_t size, int prot, void **addr)
{
#ifdef T_NATIVE
	struct wd_ctl_q *h = t_fd_q(q->fd);

	(void)prot;	/* in-process regions are read-write memory */
	if (!h)
		return -EBADF;
	return qfrt == UACCE_QFRT_SS ? wd_ctl_q_ss_map(h, size, addr) :
	       wd_ctl_q_region(h, qfrt, size, addr);
#else
	void *p = t_mmap_region(q->fd, qfrt, size, prot);

	if (p == MAP_FAILED)
		return -errno;
	*addr = p;
	return 0;
#endif
}

void *t_q_region(struct t_q *q, int qfrt, size_t size)
{
	void *p = MAP_FAILED;
	int r = t_q_mmap(q, qfrt, size, PROT_READ | PROT_WRITE, &p);

	if (r) {
		errno = -r;
		return MAP_FAILED;
	}
	return p;
}

void t_q_open(struct t_q *q, int ua)
{
	memset(q, 0, sizeof(*q));
	q->ua = ua;
	q->fd = t_open_raw(ua);
	if (q->fd < 0)
		T_FAIL("open /dev/ua%d: %s", ua, t_errname(-q->fd));
	q->flags = t_attr_ll(ua, "flags");
}

void t_q_map(struct t_q *q)
{
	q->mmio_size = t_region_size(q->ua, UACCE_QFRT_MMIO);
	q->dus_size = t_region_size(q->ua, UACCE_QFRT_DUS);
	T_EQ(q->mmio_size, WD_SOFT_MMIO_SIZE);
	T_ASSERT(q->dus_size >= WD_SOFT_DUS_SIZE);
	q->mmio_map = t_q_region(q, UACCE_QFRT_MMIO, q->mmio_size);
	if (q->mmio_map == MAP_FAILED)
		T_FAIL("mmap MMIO: %s", t_errname(errno));
	q->dus_map = t_q_region(q, UACCE_QFRT_DUS, q->dus_size);
	if (q->dus_map == MAP_FAILED)
		T_FAIL("mmap DUS: %s", t_errname(errno));
	q->mmio = q->mmio_map;
	q->hdr = q->dus_map;
	T_EQ_HEX(q->hdr->magic, WD_SOFT_MAGIC);
	T_EQ(q->hdr->depth, WD_SOFT_DEPTH);
	T_EQ(q->hdr->sqe_size, sizeof(struct wd_soft_sqe));
	T_EQ(q->hdr->cqe_size, sizeof(struct wd_soft_cqe));
	T_EQ(q->hdr->sq_off, WD_SOFT_SQ_OFF);
	T_EQ(q->hdr->cq_off, WD_SOFT_CQ_OFF);
	q->depth = q->hdr->depth;
	q->sq = (struct wd_soft_sqe *)((char *)q->dus_map + q->hdr->sq_off);
	q->cq = (volatile struct wd_soft_cqe *)((char *)q->dus_map +
						 q->hdr->cq_off);
	q->sq_tail = q->hdr->sq_head;
	q->sq_pub = q->sq_tail;
	q->cq_head = q->hdr->cq_tail;
}

void *t_q_map_ss(struct t_q *q, size_t size)
{
	void *p = t_q_region(q, UACCE_QFRT_SS, size);

	if (p == MAP_FAILED)
		T_FAIL("mmap SS of %zu bytes: %s", size, t_errname(errno));
	q->ss = p;
	q->ss_size = size;
	q->ss_used = 0;
	if (q->flags & UACCE_DEV_NOIOMMU) {
		__u64 dma = 0;

		T_EQ(t_q_cmd(q, UACCE_CMD_GET_SS_DMA, (unsigned long)&dma), 0);
		T_ASSERT(dma != 0);
		q->ss_dma = dma;
	}
	return p;
}

void t_q_start(struct t_q *q)
{
	int r = t_q_cmd(q, UACCE_CMD_START_Q, 0);

	if (r)
		T_FAIL("UACCE_CMD_START_Q: %s", t_errname(-r));
}

void t_q_setup(struct t_q *q, int ua)
{
	t_q_open(q, ua);
	t_q_map(q);
	t_q_start(q);
}

void t_q_unmap(struct t_q *q)
{
#ifdef T_NATIVE
	/* in-process regions go with the queue (wd_ctl.h) */
	q->mmio_map = q->dus_map = q->ss = NULL;
#endif
	if (q->mmio_map && q->mmio_map != MAP_FAILED)
		munmap(q->mmio_map, q->mmio_size);
	if (q->dus_map && q->dus_map != MAP_FAILED)
		munmap(q->dus_map, q->dus_size);
	if (q->ss)
		munmap(q->ss, q->ss_size);
	q->mmio_map = q->dus_map = q->ss = NULL;
	q->mmio = NULL;
	q->hdr = NULL;
}

void t_q_close(struct t_q *q)
{
	t_q_unmap(q);
	if (q->fd >= 0)
		T_OK(close(q->fd));
	q->fd = -1;
}

void *t_q_ss_alloc(struct t_q *q, size_t len)
{
	size_t off = (q->ss_used + 63) & ~(size_t)63;

	if (!q->ss || off + len > q->ss_size)
		return NULL;
	q->ss_used = off + len;
	return (char *)q->ss + off;
}

uint64_t t_q_addr(struct t_q *q, const void *p)
{
	if (q->flags & UACCE_DEV_NOIOMMU) {
		T_ASSERT(q->ss && (const char *)p >= (char *)q->ss &&
			 (const char *)p <= (char *)q->ss + q->ss_size);
		return q->ss_dma + ((const char *)p - (char *)q->ss);
	}
	return (uintptr_t)p;
}

uint32_t t_q_hdr_sq_head(struct t_q *q)
{
	return __atomic_load_n(&q->hdr->sq_head, __ATOMIC_ACQUIRE);
}

uint32_t t_q_hdr_cq_tail(struct t_q *q)
{
	return __atomic_load_n(&q->hdr->cq_tail, __ATOMIC_ACQUIRE);
}

uint32_t t_q_status(struct t_q *q)
{
	return __atomic_load_n(&q->mmio->status, __ATOMIC_ACQUIRE);
}

uint32_t t_q_phase(struct t_q *q, uint32_t i)
{
	return WD_SOFT_PHASE(i, q->depth);
}

void t_q_sqe_write(struct t_q *q, uint32_t i, const struct wd_soft_sqe *sqe)
{
	memcpy(&q->sq[i & (q->depth - 1)], sqe,
	       offsetof(struct wd_soft_sqe, phase));
}

void t_q_sqe_phase(struct t_q *q, uint32_t i, uint32_t phase)
{
	__atomic_store_n(&q->sq[i & (q->depth - 1)].phase, phase,
			 __ATOMIC_RELEASE);
}

bool t_q_cqe_ready(struct t_q *q, uint32_t i)
{
	return __atomic_load_n(&q->cq[i & (q->depth - 1)].phase,
			       __ATOMIC_ACQUIRE) == t_q_phase(q, i);
}

void t_q_push(struct t_q *q, const struct wd_soft_sqe *sqe)
{
	if (q->sq_tail - q->cq_head >= q->depth)
		T_FAIL("test bug: pushing into a full ring");
	t_q_sqe_write(q, q->sq_tail, sqe);
	q->sq_tail++;
}

void t_q_push_over(struct t_q *q, const struct wd_soft_sqe *sqe)
{
	t_q_sqe_write(q, q->sq_tail, sqe);
	q->sq_tail++;
}

void t_q_fill_cq(struct t_q *q)
{
	struct wd_soft_sqe sqe;

	while (q->sq_tail - q->cq_head < q->depth) {
		sqe = t_sqe_nop(q->sq_tail);
		t_q_push(q, &sqe);
	}
	t_q_publish(q);
	T_WAIT_UNTIL(t_q_hdr_cq_tail(q) == q->sq_tail,
		     "CQ not filled: cq_tail %u, sq_tail %u, status %#x",
		     t_q_hdr_cq_tail(q), q->sq_tail, t_q_status(q));
}

void t_q_break_cq_head(struct t_q *q)
{
	struct wd_soft_cqe cqe;
	struct wd_soft_sqe sqe = t_sqe_nop(0xb0);

	t_q_fill_cq(q);
	while (t_q_take(q, &cqe) == 1)
		;
	T_EQ(q->cq_head, q->sq_tail);
	__atomic_store_n(&q->mmio->cq_head, q->cq_head + 5, __ATOMIC_RELEASE);
	t_q_push(q, &sqe);
	t_q_publish(q);
	T_WAIT_UNTIL(t_q_status(q) & WD_SOFT_ST_BROKEN, "queue not BROKEN by "
		     "cq_head %u beyond cq_tail %u", q->cq_head + 5, q->cq_head);
	T_EQ(q->mmio->error, WD_SOFT_QERR_CQ_HEAD);
}

void t_q_kick(struct t_q *q)
{
	int r = t_q_cmd(q, WD_SOFT_CMD_KICK, 0);

	if (r)
		T_FAIL("WD_SOFT_CMD_KICK: %s", t_errname(-r));
}

void t_q_publish_phases(struct t_q *q)
{
	/* in order: the device takes entry i only after i - 1 */
	for (; q->sq_pub != q->sq_tail; q->sq_pub++)
		t_q_sqe_phase(q, q->sq_pub, t_q_phase(q, q->sq_pub));
}

void t_q_publish(struct t_q *q)
{
	t_q_publish_phases(q);
	/* the phase stores before the device's status is read (wd_soft.h) */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (t_q_status(q) & WD_SOFT_ST_NEED_WAKEUP)
		t_q_kick(q);
}

void t_q_cqe_read(struct t_q *q, uint32_t i, struct wd_soft_cqe *cqe)
{
	volatile struct wd_soft_cqe *c = &q->cq[i & (q->depth - 1)];

	cqe->user_data = c->user_data;
	cqe->status = c->status;
	cqe->out_len = c->out_len;
	cqe->in_len = c->in_len;
	cqe->cflags = c->cflags;
	cqe->dict_id = c->dict_id;
	cqe->phase = c->phase;
}

int t_q_take(struct t_q *q, struct wd_soft_cqe *cqe)
{
	/* the header's cq_tail lags the CQEs' phases (it may be behind our
	 * cq_head for a moment), but never leads them by more than a ring */
	if ((int32_t)(t_q_hdr_cq_tail(q) - q->cq_head) > (int32_t)q->depth)
		return -ERANGE;
	if (!t_q_cqe_ready(q, q->cq_head))
		return 0;
	t_q_cqe_read(q, q->cq_head, cqe);
	q->cq_head++;
	__atomic_store_n(&q->mmio->cq_head, q->cq_head, __ATOMIC_RELEASE);
	/* the store before the device's status is read (wd_soft.h) */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return 1;
}

bool t_q_kick_due(struct t_q *q)
{
	return (t_q_status(q) & WD_SOFT_ST_NEED_WAKEUP) &&
	       t_q_hdr_sq_head(q) != q->sq_pub;
}

int t_q_reap(struct t_q *q, struct wd_soft_cqe *cqe, int timeout_ms)
{
	uint64_t end = t_now_ms() + timeout_ms;

	for (;;) {
		int r = t_q_take(q, cqe);

		if (r < 0)
			T_FAIL("device bug: cq_tail %u but cq_head %u (depth %u)",
			       t_q_hdr_cq_tail(q), q->cq_head, q->depth);
		if (t_q_kick_due(q))
			t_q_kick(q);
		if (r)
			return 1;
		if (t_q_status(q) & WD_SOFT_ST_BROKEN)
			return -EIO;
		uint64_t now = t_now_ms();

		if (now >= end)
			return 0;
		int slice = end - now > 50 ? 50 : (int)(end - now);

		t_q_poll(q, slice);
	}
}

void t_q_wait(struct t_q *q, struct wd_soft_cqe *cqe)
{
	int r = t_q_reap(q, cqe, 30000);

	if (r == -EIO)
		T_FAIL("queue BROKEN (error %u) while waiting for a completion",
		       q->mmio->error);
	if (r == 0)
		T_FAIL("no completion within 30 s (sq_tail %u, sq_head %u, "
		       "cq_tail %u, cq_head %u, status %#x)", q->sq_tail,
		       t_q_hdr_sq_head(q), t_q_hdr_cq_tail(q), q->cq_head,
		       t_q_status(q));
}

struct wd_soft_cqe t_q_run(struct t_q *q, const struct wd_soft_sqe *sqe)
{
	struct wd_soft_cqe cqe;

	t_q_push(q, sqe);
	t_q_publish(q);
	t_q_wait(q, &cqe);
	T_EQ_HEX(cqe.user_data, sqe->user_data);
	return cqe;
}

void t_q_resync(struct t_q *q)
{
	q->sq_tail = t_q_hdr_sq_head(q);
	q->sq_pub = q->sq_tail;
	q->cq_head = t_q_hdr_cq_tail(q);
}

void t_q_start_again(struct t_q *q)
{
	/* cq_head consistent with the device's indices, whatever START_Q
	 * does with it */
	__atomic_store_n(&q->mmio->cq_head, t_q_hdr_cq_tail(q), __ATOMIC_RELEASE);
	t_q_start(q);
	t_q_resync(q);
}

void t_q_restart(struct t_q *q)
{
	T_EQ(t_q_cmd(q, UACCE_CMD_PUT_Q, 0), 0);
	t_q_start_again(q);
}

struct wd_soft_sqe t_sqe_copy(struct t_q *q, const void *src, const void *dst,
			      uint32_t src_len, uint32_t dst_len)
{
	static uint64_t ud = 0x1000;

	return (struct wd_soft_sqe){
		.user_data = ++ud,
		.op = WD_SOFT_OP_COPY,
		.src = t_q_addr(q, src),
		.dst = t_q_addr(q, dst),
		.src_len = src_len,
		.dst_len = dst_len,
	};
}

struct wd_soft_sqe t_sqe_nop(uint64_t user_data)
{
	return (struct wd_soft_sqe){ .user_data = user_data,
				     .op = WD_SOFT_OP_NOP };
}

void t_q_copy_check(struct t_q *q, void *src, void *dst, size_t len)
{
	struct wd_soft_sqe sqe = t_sqe_copy(q, src, dst, len, len);
	struct wd_soft_cqe cqe;

	t_fill_random(src, len, len + 7);
	memset(dst, 0xa5, len);
	cqe = t_q_run(q, &sqe);
	T_EQ(cqe.status, WD_SOFT_S_OK);
	T_EQ(cqe.out_len, len);
	if (memcmp(src, dst, len)) {
		size_t i = 0;

		while (((char *)src)[i] == ((char *)dst)[i])
			i++;
		T_FAIL("COPY of %zu bytes: dst differs from src at byte %zu",
		       len, i);
	}
}
