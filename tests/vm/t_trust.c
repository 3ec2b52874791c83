// SPDX-License-Identifier: GPL-2.0
/*
 * t_trust: what a queue owner may do to others and what it is charged for
 * (docs/security.md): NOIOMMU queues need CAP_SYS_RAWIO, SS memory counts
 * against RLIMIT_MEMLOCK and the opener's memory cgroup, a non-owner learns
 * nothing from mmap, every SQE the device took comes back exactly once, and
 * registration unwinds cleanly under allocation failures.
 */
#include "t.h"

#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <linux/capability.h>
#include <linux/userfaultfd.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>


/* an unprivileged user: no capabilities at all after setuid() */
#define T_UID	1000
#define T_GID	1000

/* /dev/uaN opened up for the test's unprivileged child, then closed again */
static void dev_mode(int ua, mode_t mode)
{
	char dev[32];

	T_OK(chmod(t_dev_path(ua, dev), mode));
}

static void become_user(void)
{
	T_OK(setgroups(0, NULL));
	T_OK(setgid(T_GID));
	T_OK(setuid(T_UID));
}

/* the unprivileged user, with RLIMIT_MEMLOCK 64 KiB */
static void become_user_memlock_64k(void)
{
	struct rlimit rl = { 64 << 10, 64 << 10 };

	T_OK(setrlimit(RLIMIT_MEMLOCK, &rl));
	become_user();
}

/* VmPin of this process, in kB (-1 if the kernel does not show it) */
static long vm_pin_kb(void)
{
	char buf[4096], *p;
	int n = t_read_file("/proc/self/status", buf, sizeof(buf) - 1);

	if (n < 0)
		return -1;
	buf[n] = 0;
	p = strstr(buf, "VmPin:");
	return p ? strtol(p + 6, NULL, 10) : -1;
}

/* ---- NOIOMMU: bus addresses are for CAP_SYS_RAWIO only ---------------- */

/*
 * Without the capability a process could find the SS region's physical
 * base by probing with 1-byte requests (only addresses inside it succeed).
 */
TEST(noiommu_open_needs_cap_sys_rawio)
{
	struct t_inst in = t_inst_create("mode=noiommu");
	int fd;

	fd = t_open_raw(in.ua);
	T_ASSERT_MSG(fd >= 0, "root opens a NOIOMMU queue: %s", t_errname(-fd));
	close(fd);
	t_drop_cap(CAP_SYS_RAWIO);
	T_EQ(t_open_raw(in.ua), -EPERM);
	T_EQ(t_attr_ll(in.ua, "available_instances"), 64);
}

/* other modes need no capability: an unprivileged user opens them */
TEST(sva_pasid_open_unprivileged)
{
	struct t_inst sva = t_inst_create("mode=sva");
	struct t_inst pasid = t_inst_create("mode=pasid");
	pid_t pid;

	dev_mode(sva.ua, 0666);
	dev_mode(pasid.ua, 0666);
	pid = t_fork();
	if (pid == 0) {
		struct t_q q;
		struct wd_soft_sqe s = t_sqe_nop(7);

		become_user();
		t_q_setup(&q, sva.ua);
		T_EQ(t_q_run(&q, &s).status, WD_SOFT_S_OK);
		t_q_close(&q);
		t_q_setup(&q, pasid.ua);
		T_EQ(t_q_run(&q, &s).status, WD_SOFT_S_OK);
		_exit(0);
	}
	t_wait_ok(pid, 30000);
	dev_mode(sva.ua, 0600);
	dev_mode(pasid.ua, 0600);
}

/*
 * SHARE_SVAS to a NOIOMMU queue: only a region with a bus address (the SS
 * of a NOIOMMU queue) can be reached by it; the other way round any SS can
 * be shared (PASID reaches it at its user address).
 */
TEST(share_svas_noiommu_needs_bus_address)
{
	struct t_inst sva = t_inst_create("mode=sva");
	struct t_inst pasid = t_inst_create("mode=pasid");
	struct t_inst no1 = t_inst_create("mode=noiommu");
	struct t_inst no2 = t_inst_create("mode=noiommu");
	struct t_q a, b, c, d, e;

	/* SVA's and PASID's SS have no bus address: refused, nothing shared */
	t_q_open(&a, sva.ua);
	t_q_map_ss(&a, 16 * t_page);
	t_q_open(&b, pasid.ua);
	t_q_map_ss(&b, 16 * t_page);
	t_q_open(&c, no1.ua);
	T_ERR(ioctl(c.fd, UACCE_CMD_SHARE_SVAS, a.fd), EINVAL);
	T_ERR(ioctl(c.fd, UACCE_CMD_SHARE_SVAS, b.fd), EINVAL);
	/* c can still have its own */
	t_q_map_ss(&c, 16 * t_page);

	/* NOIOMMU to NOIOMMU and NOIOMMU to PASID: allowed */
	t_q_open(&d, no2.ua);
	T_OK(ioctl(d.fd, UACCE_CMD_SHARE_SVAS, c.fd));
	t_q_open(&e, pasid.ua);
	T_OK(ioctl(e.fd, UACCE_CMD_SHARE_SVAS, c.fd));

	/* PASID e copies inside c's region at the addresses the process sees */
	t_q_map(&e);
	t_q_start(&e);
	memset(c.ss, 0x5a, t_page);
	struct wd_soft_sqe s = t_sqe_copy(&e, c.ss, (char *)c.ss + t_page,
					  t_page, t_page);

	T_EQ(t_q_run(&e, &s).status, WD_SOFT_S_OK);
	T_ASSERT(!memcmp(c.ss, (char *)c.ss + t_page, t_page));
}

/* ---- a non-owner learns nothing ---------------------------------------- */

/* the owner check comes before the offset check: EPERM, not EINVAL */
TEST(non_owner_mmap_any_offset_eperm)
{
	struct t_inst in = t_inst_create("");
	struct t_q q;
	pid_t pid;

	t_q_open(&q, in.ua);
	pid = t_fork();
	if (pid == 0) {
		static const off_t pgoff[] = { UACCE_QFRT_MAX, 100, 1 << 20 };

		for (size_t i = 0; i < sizeof(pgoff) / sizeof(pgoff[0]); i++) {
			void *p = mmap(NULL, t_page, PROT_READ, MAP_SHARED,
				       q.fd, pgoff[i] * (off_t)t_page);

			T_ASSERT_MSG(p == MAP_FAILED && errno == EPERM,
				     "non-owner mmap at page %lld: %s",
				     (long long)pgoff[i], p == MAP_FAILED ?
				     t_errname(errno) : "mapped");
		}
		_exit(0);
	}
	t_wait_ok(pid, 10000);
	/* the owner still gets EINVAL there */
	T_ASSERT(t_mmap_region(q.fd, UACCE_QFRT_MAX, t_page, PROT_READ) ==
		 MAP_FAILED && errno == EINVAL);
}

/* ---- the owner's pages, from outside the owner ------------------------- */

/* the kernel log from now on: a /dev/kmsg reader at its end */
static int kmsg_from_now(void)
{
	int fd = T_OK(open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC));

	T_OK(lseek(fd, 0, SEEK_END));
	return fd;
}

/* the first record since kmsg_from_now() that contains @what, or NULL */
static const char *kmsg_find(int fd, const char *what)
{
	static char rec[1024];
	ssize_t n;

	while ((n = read(fd, rec, sizeof(rec) - 1)) != 0) {
		if (n < 0) {
			if (errno == EPIPE)	/* overwritten: read on */
				continue;
			break;			/* EAGAIN: the end */
		}
		rec[n] = 0;
		if (strstr(rec, what))
			return rec;
	}
	return NULL;
}

static long long page_requests(int id)
{
	char p[128], buf[32];
	int n;

	snprintf(p, sizeof(p),
		 "/sys/kernel/debug/wd_soft/wd_soft%d/page_requests", id);
	n = t_read_file(p, buf, sizeof(buf) - 1);
	if (n < 0)
		T_FAIL("%s: %s", p, t_errname(-n));
	buf[n] = 0;
	return atoll(buf);
}

/*
 * The fault thread faults pages in from outside the owner's context, so,
 * as GUP for a foreign mm, it leaves device mappings alone: their fault
 * handlers may assume the owner's context ([vvar]'s warns, and would map
 * the wrong time namespace's page). An unprivileged owner that never
 * touched [vvar] asks the device to read it: the requests fail or
 * succeed, and the kernel says nothing.
 */
T_TEST_TMO(vvar_not_faulted_from_outside, 180)
{
	struct t_inst in = t_inst_create("queues=4");
	char exe[PATH_MAX], dev[32];
	const char *rec;
	int kmsg = kmsg_from_now();
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 16);
	pid_t pid;

	T_ASSERT(n > 0);
	exe[n] = 0;
	strcpy(strrchr(exe, '/') + 1, "vvar-copy");
	T_ASSERT_MSG(t_exists(exe), "no %s", exe);
	dev_mode(in.ua, 0666);
	pid = t_fork();
	if (pid == 0) {
		become_user();
		execl(exe, "vvar-copy", t_dev_path(in.ua, dev), (char *)NULL);
		_exit(3);
	}
	t_wait_ok(pid, 120000);
	dev_mode(in.ua, 0600);
	rec = kmsg_find(kmsg, "WARNING");
	T_ASSERT_MSG(!rec, "kernel log: %s", rec);
	close(kmsg);
}

/*
 * A page the owner can reach and the device cannot (a protection key the
 * engine's threads do not hold) is answered "there" by every page request:
 * the request fails after a few tries instead of running again for ever.
 */
T_TEST_TMO(pkey_source_fails_not_forever, 120)
{
	struct t_inst in = t_inst_create("engines=1");
	char dst[64];
	struct t_q q;
	int pkey = (int)syscall(SYS_pkey_alloc, 0, 0);
	char *src;

	if (pkey < 0)
		t_skip("pkey_alloc: %s", t_errname(errno));
	src = mmap(NULL, t_page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	T_ASSERT(src != MAP_FAILED);
	memset(src, 0x11, t_page);
	T_OK(syscall(SYS_pkey_mprotect, src, t_page, PROT_READ | PROT_WRITE,
		     pkey));
	T_EQ(src[7], 0x11);		/* the owner reads it */
	t_q_setup(&q, in.ua);
	struct wd_soft_sqe s = t_sqe_copy(&q, src, dst, sizeof(dst),
					  sizeof(dst));

	/* a new instance: its count is this request's */
	T_EQ(t_q_run(&q, &s).status, WD_SOFT_S_BAD_ADDR);
	T_ASSERT_MSG(page_requests(in.id) <= 3,
		     "%lld page requests for one page", page_requests(in.id));
}

/*
 * Scattered buffers of never-touched pages: one page request brings in all
 * the pieces of a buffer, not one per piece (each of which would run the
 * request again from its start).
 */
T_TEST_TMO(sgl_cold_pieces_few_page_requests, 180)
{
	enum { N = 1024 };
	struct t_inst in = t_inst_create("engines=1");
	struct wd_soft_sge *sg = calloc(2 * N, sizeof(*sg));
	int mfd = (int)syscall(SYS_memfd_create, "t_trust", 0);
	uint8_t *pat = malloc(t_page), *src, *dst;
	struct t_q q;

	T_ASSERT(sg && pat && mfd >= 0);
	/* the source: a file's pages, in the page cache, not mapped yet */
	for (int i = 0; i < 2 * N; i++) {
		memset(pat, (uint8_t)(i * 7 + 1), t_page);
		T_EQ(pwrite(mfd, pat, t_page, (off_t)i * t_page), (ssize_t)t_page);
	}
	src = mmap(NULL, 2 * N * t_page, PROT_READ, MAP_SHARED, mfd, 0);
	dst = mmap(NULL, 2 * N * t_page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	T_ASSERT(src != MAP_FAILED && dst != MAP_FAILED);
	/* every other page: no piece is contiguous with the next */
	for (int i = 0; i < N; i++) {
		sg[i] = (struct wd_soft_sge){ (uintptr_t)(src + 2 * i * t_page),
					      (uint32_t)t_page, 0 };
		sg[N + i] = (struct wd_soft_sge){ (uintptr_t)(dst + 2 * i * t_page),
						  (uint32_t)t_page, 0 };
	}
	t_q_setup(&q, in.ua);
	struct wd_soft_sqe s = {
		.op = WD_SOFT_OP_COPY,
		.flags = WD_SOFT_SQE_F_SRC_SGL | WD_SOFT_SQE_F_DST_SGL,
		.src = (uintptr_t)sg, .src_len = N,
		.dst = (uintptr_t)(sg + N), .dst_len = N,
	};
	struct wd_soft_cqe c = t_q_run(&q, &s);

	T_EQ(c.status, WD_SOFT_S_OK);
	T_EQ(c.out_len, N * t_page);
	for (int i = 0; i < N; i++)
		T_ASSERT_MSG(dst[2 * i * t_page] == (uint8_t)(2 * i * 7 + 1) &&
			     dst[2 * i * t_page + t_page - 1] ==
			     (uint8_t)(2 * i * 7 + 1), "piece %d", i);
	/* a new instance: its count is this request's. The SGLs, the source,
	 * the destination; a few more if reclaimed */
	T_ASSERT_MSG(page_requests(in.id) <= 6,
		     "%lld page requests for %d pieces of each buffer",
		     page_requests(in.id), N);
	t_note("%lld page requests", page_requests(in.id));
}

struct dma_call {
	int fd;
	void *arg;
	long ret;
	int err;
};

static void *dma_call_fn(void *p)
{
	struct dma_call *c = p;

	c->ret = ioctl(c->fd, UACCE_CMD_GET_SS_DMA, c->arg);
	c->err = errno;
	return NULL;
}

static void *del_device_fn(void *p)
{
	return (void *)(long)t_inst_del_raw(p);
}

/*
 * GET_SS_DMA writes its answer to a page that does not come (a userfaultfd
 * nobody serves): the ioctl waits, and nobody waits for it: the device is
 * removed meanwhile (removal takes the queue's lock).
 */
T_TEST_TMO(get_ss_dma_page_delays_nobody, 120)
{
	struct t_inst in = t_inst_create("mode=noiommu");
	struct dma_call c = { 0 };
	pthread_t th, del;
	uint64_t addr;
	char s[16];
	void *page;
	int uffd = t_uffd_region(&page, t_page);
	struct t_q q;

	if (uffd < 0)
		t_skip("userfaultfd: %s", t_errname(-uffd));
	t_q_open(&q, in.ua);
	T_ASSERT(t_mmap_region(q.fd, UACCE_QFRT_SS, t_page,
			       PROT_READ | PROT_WRITE) != MAP_FAILED);
	c.fd = q.fd;
	c.arg = page;
	T_EQ(pthread_create(&th, NULL, dma_call_fn, &c), 0);
	T_ASSERT_MSG(t_uffd_wait_fault(uffd, 30000, &addr) == 1,
		     "GET_SS_DMA did not touch its page");
	snprintf(s, sizeof(s), "%d", in.id);
	T_EQ(pthread_create(&del, NULL, del_device_fn, s), 0);
	/* a bound that only detects the wait: the page stays missing */
	for (int i = 0; i < 10000 && t_inst_exists(in.id); i++)
		t_msleep(1);
	bool gone = !t_inst_exists(in.id);
	struct uffdio_zeropage z = { .range = { addr & ~(t_page - 1), t_page } };

	T_OK(ioctl(uffd, UFFDIO_ZEROPAGE, &z));
	void *r;

	T_EQ(pthread_join(del, &r), 0);
	T_EQ(pthread_join(th, NULL), 0);
	T_ASSERT_MSG(gone, "del_device waited for the GET_SS_DMA page");
	T_EQ((long)r, 0);
	T_EQ(c.ret, 0);
	T_ASSERT(*(uint64_t *)page != 0);
}

/* ---- what an owner is charged for --------------------------------------- */

/*
 * SS pages are pinned: an unprivileged owner may map no more than
 * RLIMIT_MEMLOCK allows (ENOMEM beyond, and nothing changes); the region
 * shows in VmPin while it exists.
 */
TEST(ss_counts_against_memlock)
{
	struct t_inst in = t_inst_create("queues=4");
	pid_t pid;

	dev_mode(in.ua, 0666);
	pid = t_fork();
	if (pid == 0) {
		struct t_q a, b;
		void *p;

		become_user_memlock_64k();
		T_EQ(vm_pin_kb(), 0);
		t_q_open(&a, in.ua);
		t_q_open(&b, in.ua);
		errno = 0;
		T_ASSERT(t_mmap_region(a.fd, UACCE_QFRT_SS, 1 << 20,
				       PROT_READ | PROT_WRITE) == MAP_FAILED);
		T_EQ(errno, ENOMEM);
		T_EQ(vm_pin_kb(), 0);
		/* within the limit: fine, and the failure left nothing */
		p = t_mmap_region(a.fd, UACCE_QFRT_SS, 48 << 10,
				  PROT_READ | PROT_WRITE);
		T_ASSERT(p != MAP_FAILED);
		T_EQ(vm_pin_kb(), 48);
		/* the limit is per process, over all its queues */
		errno = 0;
		T_ASSERT(t_mmap_region(b.fd, UACCE_QFRT_SS, 32 << 10,
				       PROT_READ | PROT_WRITE) == MAP_FAILED);
		T_EQ(errno, ENOMEM);
		T_ASSERT(t_mmap_region(b.fd, UACCE_QFRT_SS, 16 << 10,
				       PROT_READ | PROT_WRITE) != MAP_FAILED);
		T_EQ(vm_pin_kb(), 64);
		/* unmapped: uncharged */
		T_OK(munmap(p, 48 << 10));
		T_EQ(vm_pin_kb(), 16);
		T_ASSERT(t_mmap_region(a.fd, UACCE_QFRT_SS, 48 << 10,
				       PROT_READ | PROT_WRITE) != MAP_FAILED);
		_exit(0);
	}
	t_wait_ok(pid, 30000);
	dev_mode(in.ua, 0600);
}

/* as uid T_UID with RLIMIT_MEMLOCK 64 KiB: map SS of @kb on a new queue */
static void user_maps_ss(int ua, int kb, int expect_errno, int sock)
{
	pid_t pid = t_fork();

	if (pid == 0) {
		struct t_q a, b;
		void *p;

		become_user_memlock_64k();
		t_q_open(&a, ua);
		errno = 0;
		p = t_mmap_region(a.fd, UACCE_QFRT_SS, (size_t)kb << 10,
				  PROT_READ | PROT_WRITE);
		T_EQ(p == MAP_FAILED ? errno : 0, expect_errno);
		if (sock >= 0) {
			/* B holds the region; B goes to the parent */
			t_q_open(&b, ua);
			T_OK(ioctl(b.fd, UACCE_CMD_SHARE_SVAS, a.fd));
			t_send_fd(sock, b.fd);
		}
		_exit(0);
	}
	t_wait_ok(pid, 30000);
}

/*
 * The limit is the user's, not the process's: a region shared to a queue
 * that outlives its process (its descriptor passed on) still counts, so
 * that a user cannot pin more by handing regions on and exiting.
 */
TEST(ss_memlock_follows_the_user)
{
	struct t_inst in = t_inst_create("queues=8");
	int sv[2], b;

	dev_mode(in.ua, 0666);
	T_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	user_maps_ss(in.ua, 48, 0, sv[1]);
	b = t_recv_fd(sv[0]);
	/* the first process is gone; its 48 KiB are still pinned */
	user_maps_ss(in.ua, 48, ENOMEM, -1);
	user_maps_ss(in.ua, 16, 0, -1);
	close(b);
	user_maps_ss(in.ua, 48, 0, -1);
	dev_mode(in.ua, 0600);
}

#define CG "/sys/fs/cgroup"
#define CG_T CG "/wd_t_trust"

static long long cg_ll(const char *file)
{
	char p[128], buf[64];
	int n;

	snprintf(p, sizeof(p), CG_T "/%s", file);
	n = t_read_file(p, buf, sizeof(buf) - 1);
	if (n < 0)
		T_FAIL("%s: %s", p, t_errname(-n));
	buf[n] = 0;
	return strtoll(buf, NULL, 10);
}

/* a memory cgroup of 24 MiB, or skip when the kernel has none */
static void cg_setup(void)
{
	rmdir(CG_T);
	if (!t_exists(CG "/cgroup.controllers") &&
	    mount("cgroup2", CG, "cgroup2", 0, NULL))
		t_skip("cgroup2: %s", t_errname(errno));
	if (t_write_file(CG "/cgroup.subtree_control", "+memory"))
		t_skip("no memory controller");
	T_OK(mkdir(CG_T, 0755));
	T_EQ(t_write_file(CG_T "/memory.max", "25165824"), 0);
}

/*
 * The SS region is charged to the opener's memory cgroup: it shows in
 * memory.current, and beyond memory.max mmap fails with ENOMEM (nobody is
 * OOM-killed for it).
 */
TEST(ss_charged_to_memcg)
{
	struct t_inst in = t_inst_create("queues=4");
	int sv[2];
	pid_t pid;
	char c;

	cg_setup();
	T_OK(pipe(sv));
	pid = t_fork();
	if (pid == 0) {
		struct t_q a, b;
		long long before;

		close(sv[1]);
		T_EQ(read(sv[0], &c, 1), 1);	/* moved into the cgroup */
		t_q_open(&a, in.ua);
		t_q_open(&b, in.ua);
		before = cg_ll("memory.current");
		T_ASSERT(t_mmap_region(a.fd, UACCE_QFRT_SS, 8 << 20,
				       PROT_READ | PROT_WRITE) != MAP_FAILED);
		T_ASSERT_MSG(cg_ll("memory.current") - before >= 8 << 20,
			     "memory.current grew by %lld for 8 MiB of SS",
			     cg_ll("memory.current") - before);
		errno = 0;
		T_ASSERT(t_mmap_region(b.fd, UACCE_QFRT_SS, 32 << 20,
				       PROT_READ | PROT_WRITE) == MAP_FAILED);
		T_EQ(errno, ENOMEM);
		_exit(0);
	}
	close(sv[0]);
	char s[32];

	snprintf(s, sizeof(s), "%d", pid);
	T_EQ(t_write_file(CG_T "/cgroup.procs", s), 0);
	T_EQ(write(sv[1], "g", 1), 1);
	t_wait_ok(pid, 30000);
	/* nobody in the cgroup was OOM-killed */
	{
		char buf[512], *k;
		int n = t_read_file(CG_T "/memory.events", buf, sizeof(buf) - 1);

		T_ASSERT(n > 0);
		buf[n] = 0;
		k = strstr(buf, "oom_kill ");
		T_ASSERT(k && strtol(k + 9, NULL, 10) == 0);
	}
	T_OK(rmdir(CG_T));
}

/* ---- every request the device took comes back exactly once ------------- */

/*
 * SQEs the device has not taken when the queue stops never run and get no
 * CQE: sq_head in the header tells where the device stopped.
 */
TEST(put_q_untaken_sqes_never_run)
{
	struct t_inst in = t_inst_create("engines=1");
	char *src = malloc(8 * t_page), *dst = malloc(8 * t_page);
	struct t_q q;

	T_ASSERT(src && dst);
	t_q_setup(&q, in.ua);
	t_hold(in.id, true);
	memset(src, 0x3c, 8 * t_page);
	memset(dst, 0, 8 * t_page);
	for (int i = 0; i < 8; i++) {
		struct wd_soft_sqe s = t_sqe_copy(&q, src + i * t_page,
						  dst + i * t_page, t_page,
						  t_page);

		s.user_data = 500 + i;
		t_q_push(&q, &s);
	}
	t_q_publish(&q);
	T_OK(ioctl(q.fd, UACCE_CMD_PUT_Q));
	T_EQ(t_q_hdr_sq_head(&q), 0);
	T_EQ(t_q_hdr_cq_tail(&q), 0);
	t_hold(in.id, false);
	t_q_start_again(&q);
	/* a request after START_Q runs; none of the old ones did or does */
	char a[64] = "after", b[64];

	t_q_copy_check(&q, a, b, sizeof(a));
	for (int i = 0; i < 8 * (int)t_page; i++)
		T_ASSERT_MSG(!dst[i], "an SQE not taken at PUT_Q ran");
	struct wd_soft_cqe c;

	T_EQ(t_q_reap(&q, &c, 0), 0);
}

/*
 * The debugfs hold while the engine is busy with an owner's long requests
 * (16 MiB COPYs kept in flight). Writer A holds; writer B lifts the hold
 * while A waits. A used to wait in D state for the engine to sleep held,
 * which then never came: A stayed for ever, and del_device behind it
 * (debugfs removal waits for its writers). Now writers are serialised and
 * a write waits at most a tenth of a second (EAGAIN: write again).
 */
#define BUSY_LEN	(16u << 20)

struct busy {
	struct t_q q;
	uint8_t *src, *dst;
	volatile int stop;
	int id;
	volatile pid_t a_tid;
	volatile int a_ret;
	volatile bool a_done;
};

static void *busy_load(void *arg)
{
	struct busy *b = arg;

	while (!b->stop) {
		uint32_t tail = t_q_hdr_cq_tail(&b->q);

		b->q.cq_head = tail;
		__atomic_store_n(&b->q.mmio->cq_head, tail, __ATOMIC_RELEASE);
		while (b->q.sq_tail - b->q.cq_head < 4) {
			struct wd_soft_sqe s = t_sqe_copy(&b->q, b->src, b->dst,
							  BUSY_LEN, BUSY_LEN);

			t_q_push(&b->q, &s);
		}
		t_q_publish(&b->q);
		t_msleep(1);
	}
	return NULL;
}

static int hold_write(int id, const char *v)
{
	char p[96];

	snprintf(p, sizeof(p), "/sys/kernel/debug/wd_soft/wd_soft%d/hold", id);
	return t_write_file(p, v);
}

static void *hold_writer(void *arg)
{
	struct busy *b = arg;

	b->a_tid = t_gettid();
	b->a_ret = hold_write(b->id, "1");
	__atomic_store_n(&b->a_done, true, __ATOMIC_RELEASE);
	return NULL;
}

T_TEST_TMO(hold_writer_never_stranded, 180)
{
	struct t_inst in = t_inst_create("engines=1");
	struct busy b = { .id = in.id };
	pthread_t lt, at;
	char id[16];

	b.src = malloc(BUSY_LEN);
	b.dst = malloc(BUSY_LEN);
	T_ASSERT(b.src && b.dst);
	memset(b.src, 1, BUSY_LEN);	/* present: no page request */
	memset(b.dst, 2, BUSY_LEN);
	t_q_setup(&b.q, in.ua);
	T_OK(pthread_create(&lt, NULL, busy_load, &b));
	T_WAIT_UNTIL(t_q_hdr_cq_tail(&b.q) >= 1, "no COPY completed");

	T_OK(pthread_create(&at, NULL, hold_writer, &b));
	while (!b.a_tid)
		;
	/* B lifts the hold while A waits (or once A returned) */
	while (t_task_state(b.a_tid) != 'D' &&
	       !__atomic_load_n(&b.a_done, __ATOMIC_ACQUIRE))
		;
	T_EQ(hold_write(in.id, "0"), 0);
	T_WAIT_UNTIL(__atomic_load_n(&b.a_done, __ATOMIC_ACQUIRE),
		     "hold writer A still waits (state %c) after B lifted the "
		     "hold, the engine busy", t_task_state(b.a_tid));
	pthread_join(at, NULL);
	T_ASSERT_MSG(b.a_ret == 0 || b.a_ret == -EAGAIN, "A's write: %s",
		     t_errname(-b.a_ret));
	T_EQ(hold_write(in.id, "0"), 0);

	/* the owner's long requests (four still in flight) delay no removal */
	b.stop = 1;
	pthread_join(lt, NULL);
	snprintf(id, sizeof(id), "%d", in.id);
	T_EQ(t_inst_del_raw(id), 0);
	t_q_close(&b.q);
	free(b.src);
	free(b.dst);
}

/* ---- registration unwinds under allocation failures -------------------- */

static int fail_setup(void)
{
	static const char *const attr[] = { "failslab", "fail_page_alloc" };
	char p[128];

	if (!t_exists("/proc/self/fail-nth") ||
	    !t_exists("/sys/kernel/debug/failslab"))
		return -1;
	for (int i = 0; i < 2; i++) {
		snprintf(p, sizeof(p), "/sys/kernel/debug/%s/ignore-gfp-wait",
			 attr[i]);
		T_EQ(t_write_file(p, "N"), 0);
		snprintf(p, sizeof(p), "/sys/kernel/debug/%s/verbose", attr[i]);
		T_EQ(t_write_file(p, "0"), 0);
	}
	return 0;
}

/*
 * new_device with its n-th allocation failing, for every n until one
 * succeeds with no failure left to inject: each failure leaves nothing
 * (no instance, no uaN, no id), and each success is a working device.
 * KASAN, refcount and kmemleak (debug kernel) see the unwinding.
 */
T_TEST_TMO(new_device_under_fault_injection, 600)
{
	int id = t_free_id(), fd, n, failed = 0;
	char s[16], nth[16], buf[16];

	if (fail_setup())
		t_skip("no fault injection (CONFIG_FAULT_INJECTION, failslab)");
	snprintf(s, sizeof(s), "%d", id);
	fd = T_OK(open("/proc/thread-self/fail-nth", O_RDWR));
	for (n = 1; n < 5000; n++) {
		int r, len = snprintf(nth, sizeof(nth), "%d", n);

		T_EQ(pwrite(fd, nth, len, 0), len);
		r = t_inst_new_raw(s);
		/* how many calls were left before the failure: 0 if it came */
		len = (int)pread(fd, buf, sizeof(buf) - 1, 0);
		T_ASSERT(len > 0);
		buf[len] = 0;
		T_EQ(pwrite(fd, "0", 1, 0), 1);
		if (r) {
			failed++;
			T_ASSERT_MSG(!t_inst_exists(id), "failure %d (%s) left "
				     "wd_soft%d behind", n, t_errname(-r), id);
			continue;
		}
		int ua = t_inst_ua(id);
		struct t_q q;
		struct wd_soft_sqe sqe = t_sqe_nop(n);

		T_ASSERT(ua >= 0);
		t_q_setup(&q, ua);
		T_EQ(t_q_run(&q, &sqe).status, WD_SOFT_S_OK);
		t_q_close(&q);
		T_EQ(t_inst_del_raw(s), 0);
		/* fail-nth was not reached: every allocation has been failed */
		if (atoi(buf))
			break;
	}
	t_note("%d allocations failed in turn, %d refused cleanly", n - 1,
	       failed);
	T_ASSERT_MSG(failed > 10, "only %d injected failures", failed);
	close(fd);
}
