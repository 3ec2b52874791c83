// SPDX-License-Identifier: GPL-2.0
/*
 * fz_sys: the operations a worker does on its descriptors, each checked
 * against the errnos the interface documents for it (fz_sys.h).
 */
#include "fz_sys.h"

/* a random open entry, or NULL when there is none */
struct ent *pick(void)
{
	int used[NFD], n = 0;

	for (int i = 0; i < NFD; i++)
		if (E[i].fd >= 0)
			used[n++] = i;
	return n ? &E[used[rndn(n)]] : NULL;
}

static struct ent *free_ent(void)
{
	for (int i = 0; i < NFD; i++)
		if (E[i].fd < 0)
			return &E[i];
	return NULL;
}

void ent_drop(struct ent *e)
{
	for (int t = 0; t < UACCE_QFRT_MAX; t++)
		if (e->map[t])
			munmap(e->map[t], e->len[t]);
	close(e->fd);
	memset(e, 0, sizeof(*e));
	e->fd = -1;
}

static const int E_OPEN[] = { ENODEV, ENXIO, ENOENT, EBUSY, EIO, ENOMEM, 0 };
static const int E_MMAP[] = { EINVAL, EPERM, ENODEV, EEXIST, ENOMEM, EACCES, 0 };
static const int E_MAP_FOREIGN[] = { EINVAL, EPERM, ENODEV, EACCES, ENOMEM, 0 };
static const int E_IOCTL[] = { EINVAL, EPERM, ENODEV, ENOTTY, EBADF, EEXIST,
			       ENXIO, EFAULT, 0 };
static const int E_IOCTL_FOREIGN[] = { EPERM, ENODEV, 0 };
static const int E_MUNMAP[] = { EINVAL, 0 };
static const int E_MPROTECT[] = { EINVAL, EACCES, 0 };
static const int E_MREMAP[] = { EINVAL, EFAULT, ENOMEM, 0 };
/* EIO: a debugfs file (fail_next) written while its device is removed */
static const int E_SYSFS[] = { EINVAL, EEXIST, ENODEV, ENOSPC, EBUSY, ENOENT,
			       EACCES, EPERM, EIO, 0 };

static int slot_ua(void)
{
	if (chance(5))
		return (int)rndn(24);	/* maybe a device that is gone */
	return S->ua[rndn(NSLOT)];
}

void do_open(void)
{
	struct ent *e = free_ent();
	char path[32];
	int ua = slot_ua(), fd;

	if (!e || ua < 0)
		return;
	fd = open(t_dev_path(ua, path), O_RDWR | (chance(50) ? O_CLOEXEC : 0));
	if (fd < 0) {
		expect_errno("open", errno, E_OPEN);
		return;
	}
	CNT(opens);
	memset(e, 0, sizeof(*e));
	e->fd = fd;
	e->mine = true;
	e->owner = getpid();
}

static size_t region_len(int t)
{
	switch (rndn(10)) {
	case 0:
		return t_page * (1 + rndn(32));
	case 1:
		return 0;
	case 2:
		return (size_t)128 << 20;
	default:
		return t == UACCE_QFRT_DUS ? WD_SOFT_DUS_SIZE :
		       t == UACCE_QFRT_SS ? t_page * (1 + rndn(16)) : t_page;
	}
}

void do_mmap(void)
{
	struct ent *e = pick();
	int t = (int)rndn(UACCE_QFRT_MAX + 1), prot;
	size_t len;
	void *p;

	if (!e)
		return;
	/* mostly the regions a program maps, so that queues get used */
	if (chance(60)) {
		for (t = 0; t < UACCE_QFRT_MAX && e->map[t]; t++)
			;
		if (t == UACCE_QFRT_MAX)
			t = (int)rndn(UACCE_QFRT_MAX);
	}
	len = region_len(t);
	prot = (int)rndn(8);	/* any of READ, WRITE, EXEC */
	if (chance(70))
		prot = PROT_READ | PROT_WRITE;
	if (t == UACCE_QFRT_DKO && chance(70))
		prot = PROT_NONE;
	p = mmap(NULL, len, prot, chance(90) ? MAP_SHARED : MAP_PRIVATE, e->fd,
		 (off_t)t * (off_t)t_page);
	if (p == MAP_FAILED) {
		expect_errno("mmap", errno, e->mine ? E_MMAP : E_MAP_FOREIGN);
		return;
	}
	if (!e->mine) {
		unexpected("mmap of region %d succeeded in a process that does not own the queue", t);
		munmap(p, len);
		return;
	}
	CNT(maps);
	if (t >= UACCE_QFRT_MAX || e->map[t]) {
		unexpected("mmap of region %d (len %zu) succeeded twice or beyond the regions", t, len);
		munmap(p, len);
		return;
	}
	e->map[t] = p;
	e->len[t] = len;
}

/* a random mapped region of any entry */
static struct ent *pick_mapped(int *t)
{
	int m[NFD * UACCE_QFRT_MAX], n = 0, k;

	for (int i = 0; i < NFD; i++)
		for (int r = 0; r < UACCE_QFRT_MAX; r++)
			if (E[i].fd >= 0 && E[i].map[r])
				m[n++] = i * UACCE_QFRT_MAX + r;
	if (!n)
		return NULL;
	k = m[rndn(n)];
	*t = k % UACCE_QFRT_MAX;
	return &E[k / UACCE_QFRT_MAX];
}

void do_munmap(void)
{
	int t;
	struct ent *e = pick_mapped(&t);

	if (!e)
		return;
	if (e->len[t] > t_page && chance(30)) {
		/* partial: regions cannot be split */
		if (munmap((uint8_t *)e->map[t] + t_page, t_page) == 0)
			unexpected("partial munmap of region %d succeeded", t);
		else
			expect_errno("partial munmap", errno, E_MUNMAP);
		return;
	}
	if (munmap(e->map[t], e->len[t]))
		unexpected("munmap: %s", t_errname(errno));
	e->map[t] = NULL;
}

void do_mprotect(void)
{
	int t, prot = (int)rndn(8);
	struct ent *e = pick_mapped(&t);

	if (!e)
		return;
	if (mprotect(e->map[t], chance(70) ? e->len[t] : t_page, prot))
		expect_errno("mprotect", errno, E_MPROTECT);
	else if (t == UACCE_QFRT_DKO && prot)
		unexpected("DKO made accessible (prot %d)", prot);
}

void do_mremap(void)
{
	int t;
	struct ent *e = pick_mapped(&t);
	size_t len;
	void *p;

	if (!e)
		return;
	len = e->len[t] * (1 + rndn(2));
	p = mremap(e->map[t], e->len[t], len, MREMAP_MAYMOVE);
	if (p == MAP_FAILED) {
		expect_errno("mremap", errno, E_MREMAP);
		return;
	}
	/* regions are never moved or grown */
	if (p != e->map[t])
		unexpected("mremap moved region %d", t);
	else if (len != e->len[t])
		unexpected("mremap grew region %d", t);
}

void do_madvise(void)
{
	static const int adv[] = { MADV_DOFORK, MADV_DONTFORK, MADV_DONTNEED,
				   MADV_WILLNEED, MADV_REMOVE, MADV_FREE,
				   MADV_DONTDUMP, MADV_DODUMP, MADV_COLD,
				   MADV_PAGEOUT, MADV_NORMAL, MADV_SEQUENTIAL };
	int t;
	struct ent *e = pick_mapped(&t);

	if (!e)
		return;
	/* any errno is fine; the kernel must just survive it */
	(void)madvise(e->map[t], e->len[t], adv[rndn(sizeof(adv) / sizeof(adv[0]))]);
}

void do_touch(void)
{
	int t;
	struct ent *e = pick_mapped(&t);
	volatile uint8_t *volatile p;
	volatile bool w = chance(50);

	if (!e)
		return;
	p = (uint8_t *)e->map[t] + rndn(e->len[t]);
	GUARDED({
		uint8_t v = *p;

		if (w && t != UACCE_QFRT_MMIO)
			*p = v;
	});
}

/* Write a few SQEs (NOPs, copies inside the ring page, garbage) and the doorbell. */
void do_ring(void)
{
	struct ent *e = pick();
	struct wd_soft_mmio *mmio;
	struct wd_soft_sqe *sq;
	int n = 1 + (int)rndn(8);

	if (!e || !e->map[UACCE_QFRT_MMIO] || !e->map[UACCE_QFRT_DUS] ||
	    e->len[UACCE_QFRT_DUS] < WD_SOFT_DUS_SIZE || e->len[UACCE_QFRT_MMIO] < t_page)
		return;
	mmio = e->map[UACCE_QFRT_MMIO];
	sq = (struct wd_soft_sqe *)((uint8_t *)e->map[UACCE_QFRT_DUS] + WD_SOFT_SQ_OFF);
	GUARDED({
		uint32_t head = ((volatile struct wd_soft_dus_hdr *)e->map[UACCE_QFRT_DUS])->cq_tail;

		if (chance(50))
			e->sq_tail = head;
		for (int i = 0; i < n; i++) {
			struct wd_soft_sqe s = { .user_data = rnd() };

			if (chance(30)) {
				t_fill_random(&s, sizeof(s), rnd());
			} else if (chance(50)) {
				s.op = WD_SOFT_OP_COPY;
				s.src = (uintptr_t)e->map[UACCE_QFRT_DUS] + rndn(4096);
				s.dst = (uintptr_t)e->map[UACCE_QFRT_DUS] + 2048 + rndn(1024);
				s.src_len = s.dst_len = (uint32_t)rndn(1024);
			}
			/* the phase last: its own (v3), or now and then any,
			 * or none (a hole the device must wait at) */
			s.phase = chance(5) ? (uint32_t)rnd() :
				  chance(5) ? WD_SOFT_PHASE(e->sq_tail, WD_SOFT_DEPTH) ^ 1 :
				  WD_SOFT_PHASE(e->sq_tail, WD_SOFT_DEPTH);
			memcpy(&sq[e->sq_tail & (WD_SOFT_DEPTH - 1)], &s,
			       offsetof(struct wd_soft_sqe, phase));
			__atomic_store_n(&sq[e->sq_tail & (WD_SOFT_DEPTH - 1)].phase,
					 s.phase, __ATOMIC_RELEASE);
			e->sq_tail++;
		}
		__atomic_store_n(&mmio->cq_head, chance(5) ? (uint32_t)rnd() : head,
				 __ATOMIC_RELEASE);
	});
	if (ioctl(e->fd, WD_SOFT_CMD_KICK) && e->mine)
		expect_errno("KICK", errno, E_IOCTL);
}

void do_ioctl(void)
{
	struct ent *e = pick(), *o = pick();
	unsigned long arg = rnd();
	unsigned int cmd;
	__u64 dma;
	int r;

	if (!e)
		return;
	switch (rndn(10)) {
	case 0:
	case 1:
	case 8:
		cmd = UACCE_CMD_START_Q;
		break;
	case 2:
		cmd = UACCE_CMD_PUT_Q;
		break;
	case 3:
		cmd = UACCE_CMD_SHARE_SVAS;
		arg = o && chance(80) ? (unsigned long)o->fd : rndn(64);
		break;
	case 4:
		cmd = UACCE_CMD_GET_SS_DMA;
		arg = chance(70) ? (uintptr_t)&dma : chance(50) ? 0 : rnd();
		break;
	case 5:
		cmd = WD_SOFT_CMD_KICK;
		break;
	case 6:
		cmd = _IO('W', rndn(16));
		break;
	case 7:
		cmd = (unsigned int)rnd();
		break;
	default:	/* 9 */
		cmd = _IOWR('W', rndn(8), __u64);
		arg = (uintptr_t)&dma;
		break;
	}
	r = ioctl(e->fd, cmd, arg);
	if (r) {
		expect_errno("ioctl", errno, e->mine ? E_IOCTL : E_IOCTL_FOREIGN);
	} else {
		CNT(ioctls_ok);
		if (!e->mine)
			unexpected("ioctl %#x succeeded in a process that does not own the queue", cmd);
		if (cmd == UACCE_CMD_START_Q)
			e->sq_tail = 0;
	}
}

void do_poll(void)
{
	struct pollfd p[3];
	struct ent *es[3];
	int n = 1 + (int)rndn(3), k = 0;

	for (int i = 0; i < n; i++) {
		es[k] = pick();
		if (!es[k])
			continue;
		p[k].fd = es[k]->fd;
		p[k].events = POLLIN;
		p[k].revents = 0;
		k++;
	}
	if (!k)
		return;
	if (poll(p, k, (int)rndn(6)) < 0) {
		if (errno != EINTR)
			unexpected("poll: %s", t_errname(errno));
		return;
	}
	for (int i = 0; i < k; i++)
		if (!es[i]->mine && !(p[i].revents & POLLERR))
			unexpected("poll by a process that does not own the queue: revents %#x",
				   p[i].revents);
}

void do_dup(void)
{
	struct ent *e = pick(), *d = free_ent();
	int fd;

	if (!e || !d)
		return;
	fd = dup(e->fd);
	if (fd < 0)
		return;
	memset(d, 0, sizeof(*d));
	d->fd = fd;
	d->mine = e->mine;
	d->owner = e->owner;
}

void do_close(void)
{
	struct ent *e = pick();

	if (e)
		ent_drop(e);
}

void do_sysfs(void)
{
	static const char *junk[] = { "", "-1", "65536", "1 2", "abc", "0x10",
		"99999999999999999999", "3\n", "0", "1", "65535", "\n", " 7" };
	char path[160], s[64];
	int ua = slot_ua(), r;

	switch (rndn(5)) {
	case 0:
		if (ua < 0)
			return;
		snprintf(path, sizeof(path), "/sys/class/uacce/ua%d/isolate_strategy", ua);
		r = t_write_file(path, junk[rndn(sizeof(junk) / sizeof(junk[0]))]);
		break;
	case 1:
		if (ua < 0)
			return;
		snprintf(path, sizeof(path), "/sys/class/uacce/ua%d/%s", ua,
			 chance(50) ? "available_instances" : "isolate");
		t_read_file(path, s, sizeof(s));
		return;
	case 2: {
		int id = t_id_base() + (int)rndn(T_NR_IDS);

		snprintf(path, sizeof(path), "/sys/kernel/debug/wd_soft/wd_soft%d/fail_next", id);
		snprintf(s, sizeof(s), "%d", (int)rndn(3));
		r = t_write_file(path, chance(80) ? s : junk[rndn(4)]);
		break;
	}
	case 3:	/* new instances of our own IDs (not the controller's) */
		snprintf(s, sizeof(s), "%d mode=%s queues=%d%s",
			 t_id_base() + NSLOT + (int)rndn(T_NR_IDS - NSLOT),
			 (const char *[]){ "sva", "pasid", "noiommu", "bogus" }[rndn(4)],
			 (int)rndn(5), chance(20) ? " engines=0" : "");
		r = t_inst_new_raw(s);
		break;
	default:	/* removal of any of ours, the controller's included */
		snprintf(s, sizeof(s), "%d", t_id_base() + (int)rndn(T_NR_IDS));
		r = t_inst_del_raw(chance(90) ? s : junk[rndn(6)]);
		if (!r)
			CNT(removals);	/* the report counts every removal */
		break;
	}
	if (r)
		expect_errno("sysfs write", -r, E_SYSFS);
}

void do_pass(void)
{
	struct ent *e = pick();
	int to;

	if (!e || nworkers < 2)
		return;
	to = (int)rndn(nworkers);
	if (to == me)
		to = (to + 1) % nworkers;
	/* non-blocking: a full socket just drops this one */
	{
		struct msghdr m = { 0 };
		char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
		pid_t b = e->owner;	/* whose queue it is travels along */
		struct iovec io = { &b, sizeof(b) };
		struct cmsghdr *c;

		m.msg_iov = &io;
		m.msg_iovlen = 1;
		m.msg_control = cbuf;
		m.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &e->fd, sizeof(int));
		if (sendmsg(peer_socks[to], &m, MSG_DONTWAIT) == sizeof(b))
			CNT(passed);
	}
}

void do_receive(void)
{
	struct msghdr m = { 0 };
	char cbuf[CMSG_SPACE(sizeof(int))];
	pid_t b;
	struct iovec io = { &b, sizeof(b) };
	struct cmsghdr *c;
	struct ent *d;
	int fd;

	m.msg_iov = &io;
	m.msg_iovlen = 1;
	m.msg_control = cbuf;
	m.msg_controllen = sizeof(cbuf);
	if (recvmsg(my_sock, &m, MSG_DONTWAIT) != sizeof(b))
		return;
	c = CMSG_FIRSTHDR(&m);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	d = free_ent();
	if (!d) {
		close(fd);
		return;
	}
	memset(d, 0, sizeof(*d));
	d->fd = fd;
	d->owner = b;
	/* another worker's queue, or one of ours coming back */
	d->mine = b == getpid();
}
