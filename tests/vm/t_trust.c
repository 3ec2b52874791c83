// SPDX-License-Identifier: GPL-2.0
/*
 * t_trust: what a queue owner may do to others and what it is charged for
 * (docs/security.md): NOIOMMU queues need CAP_SYS_RAWIO, a non-owner learns
 * nothing from mmap, the device leaves the owner's [vvar] alone, and SS
 * memory counts against RLIMIT_MEMLOCK and the opener's memory cgroup.
 * What the device does for an owner stays bounded: t_trust_dev.
 */
#include "t.h"

#include <fcntl.h>
#include <grp.h>
#include <limits.h>
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
#include <time.h>
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
	T_NEED_KERNEL("capabilities are the kernel's: the in-process bus is "
		      "fake, its addresses reveal nothing (docs/soft-local.md)");
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
	struct t_inst sva = { 0 }, pasid = { 0 };
	pid_t pid;

	/*
	 * In-process, a device serves only the process that created it: the
	 * unprivileged process creates its own (and uses them unprivileged).
	 */
	if (!t_host_local) {
		sva = t_inst_create("mode=sva");
		pasid = t_inst_create("mode=pasid");
		dev_mode(sva.ua, 0666);
		dev_mode(pasid.ua, 0666);
	}
	pid = t_fork();
	if (pid == 0) {
		struct t_q q;
		struct wd_soft_sqe s = t_sqe_nop(7);

		become_user();
		if (t_host_local) {
			sva = t_inst_create("mode=sva");
			pasid = t_inst_create("mode=pasid");
		}
		t_q_setup(&q, sva.ua);
		T_EQ(t_q_run(&q, &s).status, WD_SOFT_S_OK);
		t_q_close(&q);
		t_q_setup(&q, pasid.ua);
		T_EQ(t_q_run(&q, &s).status, WD_SOFT_S_OK);
		_exit(0);
	}
	t_wait_ok(pid, 30000);
	if (!t_host_local) {
		dev_mode(sva.ua, 0600);
		dev_mode(pasid.ua, 0600);
	}
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
	T_CMD_ERR(&c, UACCE_CMD_SHARE_SVAS, a.fd, EINVAL);
	T_CMD_ERR(&c, UACCE_CMD_SHARE_SVAS, b.fd, EINVAL);
	/* c can still have its own */
	t_q_map_ss(&c, 16 * t_page);

	/* NOIOMMU to NOIOMMU and NOIOMMU to PASID: allowed */
	t_q_open(&d, no2.ua);
	T_CMD_OK(&d, UACCE_CMD_SHARE_SVAS, c.fd);
	t_q_open(&e, pasid.ua);
	T_CMD_OK(&e, UACCE_CMD_SHARE_SVAS, c.fd);

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
	T_NEED_KERNEL("the kernel ABI itself: mmap of /dev/uaN at any offset "
		      "(in-process, a non-owner's calls: t_owner)");
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
	t_wait_ok(pid, T_HANG_MS);
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
	T_NEED_KERNEL("the kernel's fault path and log: in-process the "
		      "engine is a thread of the owner, inside its context");
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

/* ---- what an owner is charged for --------------------------------------- */

#define NEED_KERNEL_PINNED() T_NEED_KERNEL("SS pages are pinned and charged " \
	"by the kernel at mmap: in-process, SS is the process's ordinary memory")

/*
 * SS pages are pinned: an unprivileged owner may map no more than
 * RLIMIT_MEMLOCK allows (ENOMEM beyond, and nothing changes); the region
 * shows in VmPin while it exists.
 */
TEST(ss_counts_against_memlock)
{
	NEED_KERNEL_PINNED();
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
			T_CMD_OK(&b, UACCE_CMD_SHARE_SVAS, a.fd);
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
	NEED_KERNEL_PINNED();
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
	NEED_KERNEL_PINNED();
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


/*
 * The fault thread checks the vma on every try of a fault, not only the
 * first: a fault that lets mmap_lock go (here a userfaultfd) and retries
 * must not find [vvar] moved onto the address meanwhile and fault it from
 * outside. The request targets [vvar]'s last page (timens: never mapped
 * outside a time namespace, so its handler runs and warns when remote).
 * The child never calls the vDSO after the move (its [vvar] is elsewhere).
 */
T_TEST_TMO(vvar_moved_in_during_a_fault, 120)
{
	T_NEED_KERNEL("the kernel's fault path");
	struct t_inst in = t_inst_create("queues=4");
	int kmsg = kmsg_from_now(), sv[2], ws;
	uint32_t st = ~0u;
	const char *rec;
	pid_t pid;

	T_OK(pipe(sv));
	pid = t_fork();
	if (pid == 0) {
		static char dst[64];
		unsigned long lo = 0, hi = 0;
		char line[256];
		uint64_t fa;
		struct t_q q;
		FILE *f;
		void *r;
		int uffd;

		close(sv[0]);
		t_q_setup(&q, in.ua);
		f = fopen("/proc/self/maps", "r");
		while (f && fgets(line, sizeof(line), f))
			if (strstr(line, "[vvar]"))
				T_ASSERT(sscanf(line, "%lx-%lx", &lo, &hi) == 2);
		T_ASSERT_MSG(lo && hi - lo >= t_page, "no [vvar]");
		fclose(f);
		uffd = t_uffd_region(&r, hi - lo);
		if (uffd < 0)
			_exit(77);
		memset(dst, 1, sizeof(dst));
		t_q_push(&q, &(struct wd_soft_sqe){ .user_data = 1,
			.op = WD_SOFT_OP_COPY,
			.src = (uintptr_t)r + (hi - lo) - t_page,
			.dst = (uintptr_t)dst, .src_len = sizeof(dst),
			.dst_len = sizeof(dst) });
		t_q_publish(&q);
		/* the fault thread waits on the uffd, mmap_lock let go */
		T_ASSERT(t_uffd_wait_fault(uffd, 30000, &fa) == 1);
		T_ASSERT(mremap((void *)lo, hi - lo, hi - lo,
				MREMAP_MAYMOVE | MREMAP_FIXED, r) == r);
		T_OK(ioctl(uffd, UFFDIO_WAKE,
			   &(struct uffdio_range){ (uintptr_t)r, hi - lo }));
		/* a bound, not a verdict on speed: 60 s (no vDSO clock) */
		for (int i = 0; t_q_hdr_cq_tail(&q) != 1 && i < 60000; i++)
			nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
		if (t_q_hdr_cq_tail(&q) == 1)
			st = q.cq[0].status;
		T_EQ(write(sv[1], &st, sizeof(st)), (ssize_t)sizeof(st));
		_exit(0);
	}
	close(sv[1]);
	ws = t_wait(pid, 90000);
	if (WIFEXITED(ws) && WEXITSTATUS(ws) == 77)
		t_skip("userfaultfd unavailable");
	T_ASSERT_MSG(WIFEXITED(ws) && WEXITSTATUS(ws) == 0,
		     "child: wait status %#x", ws);
	T_EQ(read(sv[0], &st, sizeof(st)), (ssize_t)sizeof(st));
	close(sv[0]);
	rec = kmsg_find(kmsg, "WARNING");
	T_ASSERT_MSG(!rec, "kernel log: %s", rec);
	T_ASSERT_MSG(st == WD_SOFT_S_BAD_ADDR, "COPY from the moved [vvar]: %s%u",
		     st == ~0u ? "no completion " : "status ", st);
	close(kmsg);
}
