// SPDX-License-Identifier: GPL-2.0
/*
 * st_isolation: a request can never make the device read or write memory
 * the queue's owner could not (docs/reliability.md, "Isolation").
 *
 * What tests/vm already shows is not repeated here (t_ring: unmapped,
 * NULL, PROT_NONE, a kernel direct-map address, wrapping and top-of-user
 * ranges, guard pages, a read-only page and the program text as
 * destinations, DKO in SVA; PASID ranges outside or across the SS and the
 * DUS; NOIOMMU outside the SS; t_owner: a fork child or a process that
 * received the descriptor gets EPERM and no mapping). This adds:
 *
 *  - another process's addresses, both ways (SVA);
 *  - kernel text, module text and the vsyscall page (SVA);
 *  - read-only file mappings, shared and private, and a sealed memfd: the
 *    write fails and the file is unchanged (no forced copy-on-write);
 *  - the zero page: readable, never writable;
 *  - another queue's SS in PASID mode, of the same process (same device
 *    and another device) and of another process;
 *  - NOIOMMU: another queue's bus addresses and the physical pages right
 *    before and after the own SS;
 *  - an SS region after the owner unmapped it, also through a queue it
 *    was shared to (SHARE_SVAS): the pages must be out of reach even when
 *    the process maps other memory at those addresses (regression test of
 *    uacce keeping the region's address after munmap).
 */
#include "t.h"

#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>


#define SECRET	0x5e
#define FILLER	0x11

static void *anon(size_t len, int prot)
{
	void *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	T_ASSERT(p != MAP_FAILED);
	return p;
}

static struct wd_soft_cqe run(struct t_q *q, struct wd_soft_sqe s)
{
	static uint64_t ud = 1;

	s.user_data = ud++;
	return t_q_run(q, &s);
}

static struct wd_soft_sqe copy_sqe(uint64_t src, uint64_t dst, uint32_t len)
{
	struct wd_soft_sqe s = t_sqe_nop(0);

	s.op = WD_SOFT_OP_COPY;
	s.src = src;
	s.dst = dst;
	s.src_len = s.dst_len = len;
	return s;
}

/* A COPY that must fail with BAD_ADDR. */
static void expect_bad(struct t_q *q, uint64_t src, uint64_t dst, uint32_t len,
		       const char *what)
{
	struct wd_soft_cqe c = run(q, copy_sqe(src, dst, len));

	T_ASSERT_MSG(c.status == WD_SOFT_S_BAD_ADDR,
		     "%s: status %u out_len %u, expected BAD_ADDR", what, c.status,
		     c.out_len);
}

/* A digest must not be computable over memory out of reach either. */
static void expect_bad_digest(struct t_q *q, uint64_t src, uint64_t dst,
			      const char *what)
{
	struct wd_soft_sqe s = t_sqe_nop(0);
	struct wd_soft_cqe c;

	s.op = WD_SOFT_OP_CRC32C;
	s.src = src;
	s.src_len = 4096;
	s.dst = dst;
	s.dst_len = 4;
	c = run(q, s);
	T_ASSERT_MSG(c.status == WD_SOFT_S_BAD_ADDR, "%s: CRC32C status %u", what,
		     c.status);
}

static void all_bytes(const uint8_t *p, size_t n, uint8_t v, const char *what)
{
	for (size_t i = 0; i < n; i++)
		T_ASSERT_MSG(p[i] == v, "%s: byte %zu is %#x, expected %#x", what, i,
			     p[i], v);
}

/* Fresh memory at a chosen address (where the other process has none). */
static uint8_t *anon_at(uint64_t at, size_t len)
{
	void *p = mmap((void *)(uintptr_t)at, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	T_ASSERT_MSG(p != MAP_FAILED, "mmap at %#llx: %s", (unsigned long long)at,
		     t_errname(errno));
	return p;
}

/* Is [p, p + len) unmapped in this process? */
static bool unmapped(void *p, size_t len)
{
	return msync(p, len, MS_ASYNC) && errno == ENOMEM;
}

/*
 * Another process's memory: a child maps a secret and a target at
 * addresses where the parent has nothing; the parent's SVA queue can
 * neither read the one nor write the other. Then the other way round.
 */
TEST(sva_other_process_addresses)
{
	struct t_inst in = t_inst_create("mode=sva");
	int to_child[2], to_parent[2];
	uint8_t *buf = anon(t_page, PROT_READ | PROT_WRITE);
	uint64_t addr[2];
	struct t_q q;
	pid_t pid;
	char c;

	/*
	 * Queues first: mappings made after the fork land where the other
	 * process's later mappings are (same layout), so a queue set up late
	 * could sit exactly at the address under test.
	 */
	t_q_setup(&q, in.ua);
	T_OK(pipe(to_child));
	T_OK(pipe(to_parent));
	pid = t_fork();
	if (pid == 0) {
		struct t_q cq;
		uint8_t *secret, *target;
		uint64_t a[2];

		t_q_setup(&cq, in.ua);
		/* mapped after the fork: the parent has no such pages */
		secret = anon_at(0x3e0000000000ull, t_page);
		target = anon_at(0x3e0000000000ull + 2 * t_page, t_page);
		a[0] = (uintptr_t)secret;
		a[1] = (uintptr_t)target;
		memset(secret, SECRET, t_page);
		memset(target, FILLER, t_page);
		T_ASSERT(write(to_parent[1], a, sizeof(a)) == sizeof(a));
		T_ASSERT(read(to_child[0], &c, 1) == 1);
		all_bytes(secret, t_page, SECRET, "child's secret");
		all_bytes(target, t_page, FILLER, "child's target");
		/* the child's own queue cannot reach the parent's later memory */
		T_ASSERT(read(to_child[0], a, sizeof(a)) == sizeof(a));
		T_ASSERT(unmapped((void *)(uintptr_t)a[0], t_page) &&
			 unmapped((void *)(uintptr_t)a[1], t_page));
		memset(target, 0, t_page);
		expect_bad(&cq, a[0], (uintptr_t)target, 64, "child reads the parent's memory");
		expect_bad(&cq, (uintptr_t)secret, a[1], 64, "child writes the parent's memory");
		all_bytes(target, 64, 0, "child's buffer after a refused read");
		T_ASSERT(write(to_parent[1], "k", 1) == 1);
		_exit(0);
	}
	T_ASSERT(read(to_parent[0], addr, sizeof(addr)) == sizeof(addr));
	if (!unmapped((void *)(uintptr_t)addr[0], t_page) ||
	    !unmapped((void *)(uintptr_t)addr[1], t_page))
		T_FAIL("the child's pages are mapped in the parent too");
	memset(buf, 0, t_page);
	expect_bad(&q, addr[0], (uintptr_t)buf, t_page, "read another process's page");
	all_bytes(buf, t_page, 0, "parent's buffer after a refused read");
	expect_bad_digest(&q, addr[0], (uintptr_t)buf, "digest of another process's page");
	memset(buf, 0x77, t_page);
	expect_bad(&q, (uintptr_t)buf, addr[1], t_page, "write another process's page");
	T_ASSERT(write(to_child[1], "g", 1) == 1);
	{
		/* the parent's memory mapped after the fork, for the child's try */
		uint8_t *mine = anon_at(0x3f0000000000ull, t_page);
		uint8_t *mine2 = anon_at(0x3f0000000000ull + 2 * t_page, t_page);
		uint64_t a[2] = { (uintptr_t)mine, (uintptr_t)mine2 };

		memset(mine, SECRET, t_page);
		memset(mine2, FILLER, t_page);
		T_ASSERT(write(to_child[1], a, sizeof(a)) == sizeof(a));
		T_ASSERT(read(to_parent[0], &c, 1) == 1);
		all_bytes(mine2, t_page, FILLER, "parent's page after the child's try");
	}
	t_wait_ok(pid, 30000);
}

/* Kernel text, module text, the vsyscall page: never, either way. */
TEST(sva_kernel_and_vsyscall)
{
	struct t_inst in = t_inst_create("mode=sva");
	uint8_t *buf = anon(t_page, PROT_READ | PROT_WRITE);
	char line[256], txt[64];
	uint64_t addrs[4] = { 0xffffffffff600000ull };	/* vsyscall */
	int n = 1;
	FILE *f;
	struct t_q q;

	f = fopen("/proc/kallsyms", "r");
	while (f && fgets(line, sizeof(line), f) && n < 3) {
		unsigned long long a;
		char type, name[128];

		if (sscanf(line, "%llx %c %127s", &a, &type, name) == 3 && a &&
		    (!strcmp(name, "_text") || !strcmp(name, "init_task")))
			addrs[n++] = a;
	}
	if (f)
		fclose(f);
	if (t_read_file("/sys/module/uacce/sections/.text", txt, sizeof(txt)) > 0)
		addrs[n++] = strtoull(txt, NULL, 16);
	t_q_setup(&q, in.ua);
	for (int i = 0; i < n; i++) {
		char what[96];

		if (!addrs[i])
			continue;
		snprintf(what, sizeof(what), "kernel address %#llx as source",
			 (unsigned long long)addrs[i]);
		memset(buf, 0, t_page);
		expect_bad(&q, addrs[i], (uintptr_t)buf, 256, what);
		all_bytes(buf, 256, 0, what);
		expect_bad_digest(&q, addrs[i], (uintptr_t)buf, what);
		if (i == 0)	/* the vsyscall page: not a destination either */
			expect_bad(&q, (uintptr_t)buf, addrs[i], 256, "vsyscall page as destination");
	}
	t_note("%d kernel addresses tried (vsyscall, kallsyms, uacce .text)", n);
}

/*
 * Read-only file mappings: a device write fails, the file keeps its bytes
 * (SVA writes never force a copy-on-write, unlike ptrace/GUP with FOLL_FORCE).
 */
TEST(sva_read_only_files)
{
	struct t_inst in = t_inst_create("mode=sva");
	uint8_t *src = anon(t_page, PROT_READ | PROT_WRITE), back[4096];
	const char *path = "/tmp/st_isolation.ro";
	struct t_q q;
	int fd, mfd;
	uint8_t *shared, *priv, *sealed;

	fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0644);
	T_ASSERT(fd >= 0);
	memset(back, FILLER, sizeof(back));
	T_ASSERT(write(fd, back, t_page) == (ssize_t)t_page);
	close(fd);
	fd = open(path, O_RDONLY);
	T_ASSERT(fd >= 0);
	shared = mmap(NULL, t_page, PROT_READ, MAP_SHARED, fd, 0);
	priv = mmap(NULL, t_page, PROT_READ, MAP_PRIVATE, fd, 0);
	T_ASSERT(shared != MAP_FAILED && priv != MAP_FAILED);

	mfd = memfd_create("st_isolation", MFD_ALLOW_SEALING);
	T_ASSERT(mfd >= 0);
	T_ASSERT(write(mfd, back, t_page) == (ssize_t)t_page);
	T_OK(fcntl(mfd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW));
	sealed = mmap(NULL, t_page, PROT_READ, MAP_SHARED, mfd, 0);
	T_ASSERT(sealed != MAP_FAILED);

	t_q_setup(&q, in.ua);
	memset(src, 0xee, t_page);
	expect_bad(&q, (uintptr_t)src, (uintptr_t)shared, t_page, "shared read-only file");
	expect_bad(&q, (uintptr_t)src, (uintptr_t)priv, t_page, "private read-only file");
	expect_bad(&q, (uintptr_t)src, (uintptr_t)sealed, t_page, "sealed memfd");
	all_bytes(shared, t_page, FILLER, "shared mapping");
	all_bytes(priv, t_page, FILLER, "private mapping");
	all_bytes(sealed, t_page, FILLER, "sealed memfd");
	T_ASSERT(pread(fd, back, t_page, 0) == (ssize_t)t_page);
	all_bytes(back, t_page, FILLER, "the file");
	/* reading them is fine */
	{
		struct wd_soft_cqe c = run(&q, copy_sqe((uintptr_t)shared, (uintptr_t)src,
							t_page));

		T_EQ(c.status, WD_SOFT_S_OK);
		all_bytes(src, t_page, FILLER, "copy of the read-only file");
	}
	close(fd);
	close(mfd);
	unlink(path);
}

/* A never-touched read-only anonymous page: reads give zeros, writes fail. */
TEST(sva_zero_page)
{
	struct t_inst in = t_inst_create("mode=sva");
	uint8_t *zero = anon(4 * t_page, PROT_READ);
	uint8_t *buf = anon(4 * t_page, PROT_READ | PROT_WRITE);
	struct wd_soft_cqe c;
	struct t_q q;

	t_q_setup(&q, in.ua);
	memset(buf, 0xab, 4 * t_page);
	c = run(&q, copy_sqe((uintptr_t)zero, (uintptr_t)buf, 4 * t_page));
	T_EQ(c.status, WD_SOFT_S_OK);
	all_bytes(buf, 4 * t_page, 0, "copy of the zero page");
	memset(buf, 0xab, 4 * t_page);
	expect_bad(&q, (uintptr_t)buf, (uintptr_t)zero, 4 * t_page, "zero page as destination");
	all_bytes(zero, 4 * t_page, 0, "the zero page");
}

/* PASID: another queue's SS is out of reach, whoever's it is. */
TEST(pasid_other_queues_ss)
{
	struct t_inst in = t_inst_create("mode=pasid"), in2 = t_inst_create("mode=pasid");
	struct t_q a, b, other_dev;
	uint8_t *a_ss, *b_ss, *o_ss;
	int pfd[2], done[2];
	pid_t pid;

	t_q_setup(&a, in.ua);
	t_q_setup(&b, in.ua);
	t_q_setup(&other_dev, in2.ua);
	a_ss = t_q_map_ss(&a, 4 * t_page);
	b_ss = t_q_map_ss(&b, 4 * t_page);
	o_ss = t_q_map_ss(&other_dev, 4 * t_page);
	memset(a_ss, SECRET, 4 * t_page);
	memset(b_ss, 0, 4 * t_page);
	memset(o_ss, 0, 4 * t_page);
	expect_bad(&b, (uintptr_t)a_ss, (uintptr_t)b_ss, t_page, "B reads A's SS");
	expect_bad(&b, (uintptr_t)b_ss, (uintptr_t)a_ss, t_page, "B writes A's SS");
	expect_bad_digest(&b, (uintptr_t)a_ss, (uintptr_t)b_ss, "B digests A's SS");
	expect_bad(&other_dev, (uintptr_t)a_ss, (uintptr_t)o_ss, t_page,
		   "a queue of another device reads A's SS");
	expect_bad(&other_dev, (uintptr_t)o_ss, (uintptr_t)a_ss + t_page, t_page,
		   "a queue of another device writes A's SS");
	all_bytes(a_ss, 4 * t_page, SECRET, "A's SS");
	all_bytes(b_ss, t_page, 0, "B's SS after refused reads");

	/* another process's queue: its SS addresses mean nothing here */
	T_OK(pipe(pfd));
	T_OK(pipe(done));
	pid = t_fork();
	if (pid == 0) {
		struct t_q c;
		uint64_t at;
		uint8_t *c_ss;

		t_q_setup(&c, in.ua);
		c_ss = t_q_map_ss(&c, 4 * t_page);
		memset(c_ss, SECRET, 4 * t_page);
		at = (uintptr_t)c_ss;
		T_ASSERT(write(pfd[1], &at, sizeof(at)) == sizeof(at));
		/* and the parent's SS addresses mean nothing to the child's queue */
		expect_bad(&c, (uintptr_t)b_ss, (uintptr_t)c_ss, t_page,
			   "child's queue at the parent's SS address");
		/* the parent's attempts are over (not: a while has passed) */
		T_ASSERT(read(done[0], &at, 1) == 1);
		all_bytes(c_ss, 4 * t_page, SECRET, "child's SS");
		_exit(0);
	}
	{
		uint64_t at;

		T_ASSERT(read(pfd[0], &at, sizeof(at)) == sizeof(at));
		expect_bad(&b, at, (uintptr_t)b_ss, t_page, "B reads the child's SS address");
		expect_bad(&b, (uintptr_t)b_ss, at, t_page, "B writes the child's SS address");
		all_bytes(b_ss, t_page, 0, "B's SS after refused reads");
		T_ASSERT(write(done[1], "d", 1) == 1);
	}
	t_wait_ok(pid, 30000);
}

/* NOIOMMU: only the own SS's bus addresses, nothing around it. */
TEST(noiommu_neighbours)
{
	struct t_inst in = t_inst_create("mode=noiommu");
	struct t_q a, b;
	uint8_t *a_ss, *b_ss;
	uint64_t lo, hi, other;

	t_q_setup(&a, in.ua);
	t_q_setup(&b, in.ua);
	a_ss = t_q_map_ss(&a, 4 * t_page);
	b_ss = t_q_map_ss(&b, 4 * t_page);
	memset(a_ss, SECRET, 4 * t_page);
	memset(b_ss, 0, 4 * t_page);
	lo = b.ss_dma;
	hi = b.ss_dma + 4 * t_page;
	other = a.ss_dma;
	expect_bad(&b, other, lo, t_page, "B reads A's bus addresses");
	expect_bad(&b, lo, other, t_page, "B writes A's bus addresses");
	expect_bad(&b, lo - t_page, lo, t_page, "the physical page before B's SS");
	expect_bad(&b, hi, lo, t_page, "the physical page after B's SS");
	expect_bad(&b, lo, lo - 64, 128, "a destination straddling the start");
	expect_bad(&b, hi - 64, lo, 128, "a source straddling the end");
	expect_bad(&b, (uintptr_t)b_ss, lo, 64, "B's SS by virtual address");
	expect_bad_digest(&b, other, lo, "a digest of A's SS");
	all_bytes(a_ss, 4 * t_page, SECRET, "A's SS");
	all_bytes(b_ss, t_page, 0, "B's SS");
}

/*
 * The SS region after the owner unmapped it. In PASID mode a queue B that
 * got A's SS with SHARE_SVAS reaches it "at the addresses the process
 * sees"; once the process unmaps it and maps other memory there, B's
 * requests at those addresses must fail: the old pages are no longer
 * memory of the process, and the new ones are not B's to reach.
 */
static void ss_after_munmap(const char *mode)
{
	struct t_inst in = t_inst_create(mode);
	bool noiommu = !strcmp(mode, "mode=noiommu");
	struct t_q a, b;
	size_t len = 4 * t_page;
	uint8_t *ss, *again;
	uint64_t dev_ss, dev_own;
	struct wd_soft_cqe c;

	t_q_setup(&a, in.ua);
	t_q_setup(&b, in.ua);
	ss = t_q_map_ss(&a, len);
	T_OK(ioctl(b.fd, UACCE_CMD_SHARE_SVAS, a.fd));
	dev_ss = t_q_addr(&a, ss);
	dev_own = t_q_addr(&a, ss + t_page);
	memset(ss, SECRET, len);
	/* shared and mapped: B reaches it */
	c = run(&b, copy_sqe(dev_ss, dev_own, 64));
	T_EQ(c.status, WD_SOFT_S_OK);

	/* A unmaps its SS; other memory appears at the same addresses */
	T_OK(munmap(ss, len));
	a.ss = NULL;
	again = mmap(ss, len, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	T_ASSERT(again != MAP_FAILED);
	memset(again, FILLER, len);
	expect_bad(&b, dev_ss, dev_own, 64, "B reads the unmapped SS");
	expect_bad(&b, dev_own, dev_ss, 64, "B writes the unmapped SS");
	all_bytes(again, len, FILLER, "the memory now at the old SS addresses");
	/* A's own queue: no SS any more, nothing reachable */
	expect_bad(&a, dev_ss, dev_own, 64, "A after its munmap");
	if (noiommu)
		t_note("bus address %#llx refused after munmap", (unsigned long long)dev_ss);
	t_q_close(&b);
	t_q_close(&a);
}

TEST(pasid_ss_after_munmap) { ss_after_munmap("mode=pasid"); }
TEST(noiommu_ss_after_munmap) { ss_after_munmap("mode=noiommu"); }

/*
 * The same when the device of the queue that owns the SS goes away: its
 * mappings are zapped (the owner gets SIGBUS there), so a queue of another
 * device it was shared to must not reach the pages either, and the region
 * can no longer be shared.
 */
static sigjmp_buf bus_env;

static void on_bus(int sig)
{
	(void)sig;
	siglongjmp(bus_env, 1);
}

TEST(pasid_ss_of_removed_device)
{
	struct t_inst d1 = t_inst_create("mode=pasid"), d2 = t_inst_create("mode=pasid");
	struct t_q a, b, c, own;
	struct sigaction sa = { .sa_handler = on_bus };
	size_t len = 4 * t_page;
	uint8_t *ss, *bss;
	volatile int faulted = 0;
	char s[16];

	t_q_setup(&a, d1.ua);
	t_q_setup(&b, d2.ua);
	t_q_open(&c, d2.ua);
	t_q_setup(&own, d2.ua);
	bss = t_q_map_ss(&own, len);
	ss = t_q_map_ss(&a, len);
	memset(ss, SECRET, len);
	T_OK(ioctl(b.fd, UACCE_CMD_SHARE_SVAS, a.fd));
	{
		struct wd_soft_cqe r = run(&b, copy_sqe((uintptr_t)ss, (uintptr_t)ss + t_page, 64));

		T_EQ(r.status, WD_SOFT_S_OK);
	}
	/* A's device goes: its SS is gone for the process (SIGBUS) */
	snprintf(s, sizeof(s), "%d", d1.id);
	T_EQ(t_inst_del_raw(s), 0);
	sigaction(SIGBUS, &sa, NULL);
	if (!sigsetjmp(bus_env, 1))
		(void)*(volatile uint8_t *)ss;
	else
		faulted = 1;
	signal(SIGBUS, SIG_DFL);
	T_ASSERT_MSG(faulted, "the removed device's SS is still accessible to the process");
	/* and for the devices it was shared to */
	memset(bss, 0, len);
	expect_bad(&b, (uintptr_t)ss, (uintptr_t)ss + t_page, 64,
		   "B reads the SS of a removed device");
	/* nor can it be shared any more */
	T_ERR(ioctl(c.fd, UACCE_CMD_SHARE_SVAS, a.fd), EINVAL);
	(void)own;
}
