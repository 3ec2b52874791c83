// SPDX-License-Identifier: GPL-2.0
/* t_mmap: mapping the queue file regions (docs/uacce.md, "Regions and mmap") */
#include "t.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>


static const char *const rname[] = { "MMIO", "DKO", "DUS", "SS" };
static const char *const modes[] = { "mode=sva", "mode=pasid", "mode=noiommu" };

/* qfrs_offset as numbers */
static void qfrs_offset(int ua, long long off[UACCE_QFRT_MAX])
{
	char buf[256];

	T_ASSERT(t_attr_str(ua, "qfrs_offset", buf, sizeof(buf)) > 0);
	T_EQ(sscanf(buf, "%lld %lld %lld %lld", &off[0], &off[1], &off[2],
		    &off[3]), 4);
}

static bool has_region(int ua, int qfrt)
{
	long long off[UACCE_QFRT_MAX];

	qfrs_offset(ua, off);
	return off[qfrt] != -1;
}

static size_t q_sq_bytes(void)
{
	return WD_SOFT_DEPTH * sizeof(struct wd_soft_sqe);
}

static void *map(int fd, int qfrt, size_t len)
{
	return t_mmap_region(fd, qfrt, len, PROT_READ | PROT_WRITE);
}

/* region @qfrt of @q, @len bytes, on either host: MAP_FAILED and errno */
static void *q_map_prot(struct t_q *q, int qfrt, size_t len, int prot)
{
	void *p;
	int r = t_q_mmap(q, qfrt, len, prot, &p);

	if (r) {
		errno = -r;
		return MAP_FAILED;
	}
	return p;
}

static void *q_map(struct t_q *q, int qfrt, size_t len)
{
	return q_map_prot(q, qfrt, len, PROT_READ | PROT_WRITE);
}

#define T_NEED_VMA() T_NEED_KERNEL("the kernel ABI itself: the mapping of " \
				   "/dev/uaN (in-process regions are the " \
				   "queue's memory)")
/* in-process regions go with the queue: unmapping one is the kernel's */
#define T_NEED_UNMAP() T_NEED_KERNEL("in-process regions stay until the " \
				     "queue is closed (wd_ctl.h): unmapping " \
				     "one is the kernel's only")

/* in a child: touch @addr and exit 0, or die of the fault with no handler
 * (a sanitizer's would make it an exit 1) */
static void __attribute__((noreturn)) child_touch(void *addr, bool write)
{
	signal(SIGSEGV, SIG_DFL);
	signal(SIGBUS, SIG_DFL);
	if (write)
		*(volatile char *)addr = 1;
	else
		(void)*(volatile char *)addr;
	_exit(0);
}

static void nop_works(struct t_q *q)
{
	struct wd_soft_sqe sqe = t_sqe_nop(77);

	T_EQ(t_q_run(q, &sqe).status, WD_SOFT_S_OK);
}

/* a fixed-size region: only its exact size maps */
static void fixed_size(int qfrt)
{
	struct t_inst in = t_inst_create("");
	struct t_q q;
	size_t sz;
	void *p;

	t_q_open(&q, in.ua);
	if (!has_region(in.ua, qfrt))
		t_skip("wd_soft has no %s region", rname[qfrt]);
	sz = t_region_size(in.ua, qfrt);
	T_ASSERT(sz > 0 && sz % t_page == 0);
	T_ERR(q_map(&q, qfrt, sz + t_page), EINVAL);
	T_ERR(q_map(&q, qfrt, 2 * sz), EINVAL);
	if (sz > t_page) {
		T_ERR(q_map(&q, qfrt, sz - t_page), EINVAL);
		T_ERR(q_map(&q, qfrt, t_page), EINVAL);
	}
	/* none of those left a mapping behind: the whole region maps now */
	p = qfrt == UACCE_QFRT_DKO ?
		q_map_prot(&q, qfrt, sz, PROT_NONE) : q_map(&q, qfrt, sz);
	T_ASSERT_MSG(p != MAP_FAILED, "mmap %s of %zu bytes: %s", rname[qfrt],
		     sz, t_errname(errno));
}

TEST(mmio_whole_only)
{
	fixed_size(UACCE_QFRT_MMIO);
}

TEST(dus_whole_only)
{
	fixed_size(UACCE_QFRT_DUS);
}

TEST(dko_whole_only)
{
	fixed_size(UACCE_QFRT_DKO);
}

/* a region the device lacks: EINVAL; checks every mode of wd_soft */
TEST(absent_region_einval)
{
	int checked = 0;

	for (unsigned int m = 0; m < 3; m++) {
		struct t_inst in = t_inst_create(modes[m]);
		long long off[UACCE_QFRT_MAX];
		struct t_q q;

		t_q_open(&q, in.ua);
		qfrs_offset(in.ua, off);
		for (int r = 0; r < UACCE_QFRT_MAX; r++) {
			if (off[r] != -1)
				continue;
			T_ERR(q_map_prot(&q, r, t_page, PROT_NONE), EINVAL);
			T_ERR(q_map(&q, r, t_page), EINVAL);
			checked++;
		}
		t_q_close(&q);
		t_inst_delete(&in);
	}
	if (!checked)
		t_skip("every mode of wd_soft has every region");
}

static struct t_inst ss_inst(void)
{
	struct t_inst in = t_inst_create("mode=pasid");

	T_ASSERT_MSG(has_region(in.ua, UACCE_QFRT_SS),
		     "a PASID device without an SS region");
	return in;
}

TEST(ss_page_multiples)
{
	struct t_inst in = ss_inst();
	long long max = t_ss_max(in.ua);
	size_t sizes[] = { 1, 2, 3, 16, 64 };

	for (unsigned int i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t len = sizes[i] * t_page;
		struct t_q q;
		unsigned char *p;

		if (max >= 0 && (long long)len > max)
			break;
		t_q_open(&q, in.ua);
		t_dirty_free_memory(32);
		p = q_map(&q, UACCE_QFRT_SS, len);
		T_ASSERT_MSG(p != MAP_FAILED, "SS of %zu pages: %s", sizes[i],
			     t_errname(errno));
		/* fresh memory: zero (no leak of old kernel data), writable */
		for (size_t o = 0; o < len; o++)
			if (p[o])
				T_FAIL("new SS region: byte %zu is %#x, not 0",
				       o, p[o]);
		memset(p, 0x5a, len);
		/* unmapped and closed */
		q.ss = p;
		q.ss_size = len;
		t_q_close(&q);
	}
}

static void ss_limit(const char *mode, long long doc_max)
{
	struct t_inst in = t_inst_create(mode);
	long long max = t_ss_max(in.ua);
	struct t_q q;
	unsigned char *p;

	if (max < 0)
		t_skip("no region_ss_max_size attribute: the limit is unknown");
	T_ASSERT_MSG(max >= (long long)t_page && max % t_page == 0,
		     "region_ss_max_size %lld", max);
	t_q_open(&q, in.ua);
	T_ERR(q_map(&q, UACCE_QFRT_SS, max + t_page), ENOMEM);
	T_ERR(q_map(&q, UACCE_QFRT_SS, 2 * max), ENOMEM);
	p = q_map(&q, UACCE_QFRT_SS, max);
	T_ASSERT_MSG(p != MAP_FAILED, "SS of region_ss_max_size %lld: %s",
		     max, t_errname(errno));
	T_EQ(t_touch(p, true), 0);
	T_EQ(t_touch(p + max - 1, true), 0);
	/* docs/soft-device.md */
	T_EQ(max, doc_max);
}

TEST(ss_limit_sva)
{
	ss_limit("mode=sva", 64 << 20);
}

TEST(ss_limit_pasid)
{
	ss_limit("mode=pasid", 64 << 20);
}

TEST(ss_limit_noiommu)
{
	ss_limit("mode=noiommu", 4 << 20);
}

TEST(bad_offsets_einval)
{
	T_NEED_KERNEL("the kernel ABI itself: mmap offsets of /dev/uaN");
	struct t_inst in = t_inst_create("");
	int fd = t_open_raw(in.ua);

	T_ASSERT(fd >= 0);
	T_ERR(mmap(NULL, t_page, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   4 * t_page), EINVAL);
	T_ERR(mmap(NULL, t_page, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   5 * t_page), EINVAL);
	T_ERR(mmap(NULL, t_page, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   100 * t_page), EINVAL);
	T_ERR(mmap(NULL, t_page, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   (off_t)1 << 40), EINVAL);
	T_ERR(mmap(NULL, t_page, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   1), EINVAL);
	T_ERR(mmap(NULL, t_page, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   2 * t_page + 64), EINVAL);
	/* MMIO offset but spanning into the next region */
	T_ERR(mmap(NULL, 2 * t_page, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   0), EINVAL);
	/* nothing was mapped by the failures: each region maps once now */
	struct t_q q = { .fd = fd, .ua = in.ua, .flags = 6 };

	t_q_map(&q);
}

TEST(map_private_einval)
{
	T_NEED_KERNEL("the kernel ABI itself: MAP_PRIVATE of /dev/uaN");
	struct t_inst in = ss_inst();
	int fd = t_open_raw(in.ua);
	long long off[UACCE_QFRT_MAX];

	T_ASSERT(fd >= 0);
	qfrs_offset(in.ua, off);
	for (int r = 0; r < UACCE_QFRT_MAX; r++) {
		size_t len;

		if (off[r] == -1 || r == UACCE_QFRT_DKO)
			continue;
		len = r == UACCE_QFRT_SS ? t_page : t_region_size(in.ua, r);
		T_ERR(mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd,
			   r * t_page), EINVAL);
		T_ERR(mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, r * t_page),
		      EINVAL);
		/* and it did not count as the region's one mapping */
		void *p = map(fd, r, len);

		T_ASSERT_MSG(p != MAP_FAILED, "%s after MAP_PRIVATE: %s",
			     rname[r], t_errname(errno));
	}
}

static size_t region_len(int ua, int r)
{
	return r == UACCE_QFRT_SS ? 2 * t_page : t_region_size(ua, r);
}

static int region_prot(int r)
{
	return r == UACCE_QFRT_DKO ? PROT_NONE : PROT_READ | PROT_WRITE;
}

TEST(second_map_eexist)
{
	struct t_inst in = ss_inst();
	struct t_q q;
	long long off[UACCE_QFRT_MAX];
	int done = 0;

	t_q_open(&q, in.ua);
	qfrs_offset(in.ua, off);
	for (int r = 0; r < UACCE_QFRT_MAX; r++) {
		size_t len;
		void *p, *p2;

		if (off[r] == -1)
			continue;
		len = region_len(in.ua, r);
		p = q_map_prot(&q, r, len, region_prot(r));
		T_ASSERT_MSG(p != MAP_FAILED, "%s: %s", rname[r],
			     t_errname(errno));
		T_ERR(q_map_prot(&q, r, len, region_prot(r)), EEXIST);
		if (r == UACCE_QFRT_SS) /* any size: still EEXIST */
			T_ERR(q_map_prot(&q, r, t_page, region_prot(r)),
			      EEXIST);
		done++;
		/* in-process regions go with the queue (wd_ctl.h):
		 * unmapping one is the kernel's only */
		if (t_host_local)
			continue;
		/* unmapped, it maps again */
		T_OK(munmap(p, len));
		p2 = q_map_prot(&q, r, len, region_prot(r));
		T_ASSERT_MSG(p2 != MAP_FAILED, "%s after munmap: %s", rname[r],
			     t_errname(errno));
		T_ERR(q_map_prot(&q, r, len, region_prot(r)), EEXIST);
	}
	T_ASSERT(done >= 3);
}

/* a dup'ed fd is the same queue: still one mapping per region */
TEST(second_map_via_dup_eexist)
{
	T_NEED_KERNEL("dup() of a /dev/uaN descriptor is the kernel's: "
		      "natively a queue's fd only names it");
	struct t_inst in = t_inst_create("");
	int fd = t_open_raw(in.ua), fd2;
	size_t sz = t_region_size(in.ua, UACCE_QFRT_DUS);

	T_ASSERT(fd >= 0);
	fd2 = T_OK(dup(fd));
	T_ASSERT(map(fd, UACCE_QFRT_DUS, sz) != MAP_FAILED);
	T_ERR(map(fd2, UACCE_QFRT_DUS, sz), EEXIST);
}

/* regions of different queues are independent */
TEST(two_queues_map_independently)
{
	struct t_inst in = t_inst_create("");
	struct t_q a, b;

	t_q_setup(&a, in.ua);
	t_q_setup(&b, in.ua);
	T_ASSERT(a.dus_map != b.dus_map);
	nop_works(&a);
	nop_works(&b);
	/* a's ring indices moved, b's did not see it */
	T_EQ(t_q_hdr_cq_tail(&a), a.cq_head);
	T_EQ(t_q_hdr_cq_tail(&b), b.cq_head);
	struct wd_soft_sqe s = t_sqe_nop(1);
	uint32_t b_before = t_q_hdr_cq_tail(&b);

	t_q_run(&a, &s);
	t_q_run(&a, &s);
	T_EQ(t_q_hdr_cq_tail(&b), b_before);
}

/* ---- DKO ---- */

static struct t_inst dko_inst(void)
{
	for (unsigned int m = 0; m < 3; m++) {
		struct t_inst in = t_inst_create(modes[m]);

		if (has_region(in.ua, UACCE_QFRT_DKO))
			return in;
		t_inst_delete(&in);
	}
	t_skip("no mode of wd_soft has a DKO region");
}

TEST(dko_read_or_write_eperm)
{
	struct t_inst in = dko_inst();
	int fd = t_open_raw(in.ua);
	size_t sz = t_region_size(in.ua, UACCE_QFRT_DKO);

	T_ASSERT(fd >= 0);
	T_ERR(t_mmap_region(fd, UACCE_QFRT_DKO, sz, PROT_READ), EPERM);
	T_ERR(t_mmap_region(fd, UACCE_QFRT_DKO, sz, PROT_WRITE), EPERM);
	T_ERR(t_mmap_region(fd, UACCE_QFRT_DKO, sz, PROT_READ | PROT_WRITE),
	      EPERM);
	T_ERR(t_mmap_region(fd, UACCE_QFRT_DKO, sz, PROT_EXEC), EPERM);
	T_ASSERT(t_mmap_region(fd, UACCE_QFRT_DKO, sz, PROT_NONE) != MAP_FAILED);
}

/* a queue's DKO region, mapped PROT_NONE (the only way it maps): @sz bytes */
static char *dko_map(size_t *sz)
{
	struct t_inst in = dko_inst();
	int fd = t_open_raw(in.ua);
	char *p;

	T_ASSERT(fd >= 0);
	*sz = t_region_size(in.ua, UACCE_QFRT_DKO);
	p = t_mmap_region(fd, UACCE_QFRT_DKO, *sz, PROT_NONE);
	T_ASSERT(p != MAP_FAILED);
	return p;
}

TEST(dko_mprotect_eacces)
{
	size_t sz;
	char *p = dko_map(&sz);

	T_ERR(mprotect(p, sz, PROT_READ), EACCES);
	T_ERR(mprotect(p, sz, PROT_WRITE), EACCES);
	T_ERR(mprotect(p, t_page, PROT_READ | PROT_WRITE), EACCES);
	T_EQ(t_touch(p, false), SIGSEGV);
}

TEST(dko_touch_sigsegv)
{
	size_t sz;
	char *p = dko_map(&sz);

	T_EQ(t_touch(p, false), SIGSEGV);
	T_EQ(t_touch(p + sz - 1, true), SIGSEGV);
	/* and really dies of it without a handler */
	pid_t pid = t_fork();

	if (pid == 0)
		child_touch(p, false);
	/* the child has no DKO mapping at all (not inherited): SIGSEGV too */
	t_wait_sig(pid, SIGSEGV, T_HANG_MS);
}

/* ---- fork, mremap, munmap ---- */

TEST(not_inherited_on_fork)
{
	struct t_inst in = ss_inst();
	struct t_q q;
	void *addrs[3];
	pid_t pid;

	t_q_setup(&q, in.ua);
	t_q_map_ss(&q, 2 * t_page);
	addrs[0] = q.mmio_map;
	addrs[1] = q.dus_map;
	addrs[2] = q.ss;
	for (int i = 0; i < 3; i++) {
		pid = t_fork();
		if (pid == 0)
			child_touch(addrs[i], false);
		t_wait_sig(pid, SIGSEGV, T_HANG_MS);
		/* a child writing there dies the same way */
		pid = t_fork();
		if (pid == 0)
			child_touch(addrs[i], true);
		t_wait_sig(pid, SIGSEGV, T_HANG_MS);
	}
	/* the parent's mappings are intact and work */
	for (int i = 0; i < 3; i++)
		T_EQ(t_touch(addrs[i], false), 0);
	nop_works(&q);
	char *src = t_q_ss_alloc(&q, 100), *dst = t_q_ss_alloc(&q, 100);

	t_q_copy_check(&q, src, dst, 100);
}

static void check_mremap_fails(void *p, size_t len, const char *what)
{
	void *r, *hole;

	r = mremap(p, len, len + t_page, 0);
	T_ASSERT_MSG(r == MAP_FAILED, "%s: mremap grow in place worked", what);
	r = mremap(p, len, len + t_page, MREMAP_MAYMOVE);
	T_ASSERT_MSG(r == MAP_FAILED, "%s: mremap grow+move worked", what);
	hole = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	T_ASSERT(hole != MAP_FAILED);
	r = mremap(p, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, hole);
	T_ASSERT_MSG(r == MAP_FAILED, "%s: mremap move worked", what);
	/* still there and usable */
	T_EQ(t_touch(p, false), 0);
	T_EQ(t_touch((char *)p + len - 1, false), 0);
}

TEST(mremap_fails)
{
	T_NEED_VMA();
	struct t_inst in = ss_inst();
	struct t_q q;

	t_q_setup(&q, in.ua);
	t_q_map_ss(&q, 4 * t_page);
	check_mremap_fails(q.mmio_map, q.mmio_size, "MMIO");
	check_mremap_fails(q.dus_map, q.dus_size, "DUS");
	check_mremap_fails(q.ss, q.ss_size, "SS");
	nop_works(&q);
	char *src = t_q_ss_alloc(&q, 3000), *dst = t_q_ss_alloc(&q, 3000);

	t_q_copy_check(&q, src, dst, 3000);
}

static void partial_munmap_fails(void *p, size_t len, const char *what)
{
	errno = 0;
	T_ASSERT_MSG(munmap((char *)p + t_page, t_page) == -1 && errno == EINVAL,
		     "%s: munmap of a middle page: %s", what,
		     errno ? t_errname(errno) : "succeeded");
	T_ASSERT_MSG(munmap(p, t_page) == -1 && errno == EINVAL,
		     "%s: munmap of the first page: %s", what,
		     errno ? t_errname(errno) : "succeeded");
	T_ASSERT_MSG(munmap((char *)p + len - t_page, t_page) == -1 &&
		     errno == EINVAL, "%s: munmap of the last page: %s", what,
		     errno ? t_errname(errno) : "succeeded");
	for (size_t o = 0; o < len; o += t_page)
		T_ASSERT_MSG(t_touch((char *)p + o, false) == 0,
			     "%s: page %zu gone after a failed partial munmap",
			     what, o / t_page);
}

TEST(partial_munmap_einval)
{
	T_NEED_VMA();
	struct t_inst in = ss_inst();
	struct t_q q;

	t_q_setup(&q, in.ua);
	t_q_map_ss(&q, 4 * t_page);
	T_ASSERT(q.dus_size >= 3 * t_page);
	partial_munmap_fails(q.dus_map, q.dus_size, "DUS");
	partial_munmap_fails(q.ss, q.ss_size, "SS");
	nop_works(&q);
	/* the whole region unmaps */
	T_OK(munmap(q.ss, q.ss_size));
	q.ss = NULL;
}

TEST(partial_mprotect_einval)
{
	T_NEED_VMA();
	struct t_inst in = ss_inst();
	struct t_q q;

	t_q_setup(&q, in.ua);
	t_q_map_ss(&q, 4 * t_page);
	T_ERR(mprotect((char *)q.dus_map + t_page, t_page, PROT_READ), EINVAL);
	T_ERR(mprotect(q.ss, t_page, PROT_READ), EINVAL);
	/* still writable everywhere */
	T_EQ(t_touch((char *)q.dus_map + t_page, true), 0);
	T_EQ(t_touch(q.ss, true), 0);
	nop_works(&q);
}

/* MADV_DOFORK cannot undo VM_DONTCOPY */
TEST(madv_dofork_refused)
{
	T_NEED_VMA();
	struct t_inst in = ss_inst();
	struct t_q q;
	void *addrs[3];
	size_t lens[3];

	t_q_setup(&q, in.ua);
	t_q_map_ss(&q, 2 * t_page);
	addrs[0] = q.mmio_map, lens[0] = q.mmio_size;
	addrs[1] = q.dus_map, lens[1] = q.dus_size;
	addrs[2] = q.ss, lens[2] = q.ss_size;
	for (int i = 0; i < 3; i++) {
		pid_t pid;

		errno = 0;
		int r = madvise(addrs[i], lens[i], MADV_DOFORK);

		T_ASSERT_MSG(r == -1, "madvise(MADV_DOFORK) on region %d "
			     "accepted", i);
		pid = t_fork();
		if (pid == 0)
			child_touch(addrs[i], false);
		t_wait_sig(pid, SIGSEGV, T_HANG_MS);
	}
}

/* the vma flags: not copied, not expanded, not dumped (docs/uacce.md) */
TEST(vma_flags)
{
	T_NEED_VMA();
	struct t_inst in = ss_inst();
	struct t_q q;
	FILE *f;
	char line[512];
	unsigned long lo = 0, hi = 0;
	int checked = 0;
	void *want[3];

	t_q_setup(&q, in.ua);
	t_q_map_ss(&q, 2 * t_page);
	want[0] = q.mmio_map;
	want[1] = q.dus_map;
	want[2] = q.ss;
	f = fopen("/proc/self/smaps", "r");
	T_ASSERT(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long a, b;

		if (sscanf(line, "%lx-%lx ", &a, &b) == 2 && strchr(line, ' ') &&
		    line[strspn(line, "0123456789abcdef")] == '-') {
			lo = a;
			hi = b;
			continue;
		}
		if (strncmp(line, "VmFlags:", 8))
			continue;
		for (int i = 0; i < 3; i++) {
			if ((uintptr_t)want[i] < lo || (uintptr_t)want[i] >= hi)
				continue;
			T_ASSERT_MSG(strstr(line, " dc"), "region %d: no dc in %s",
				     i, line);
			T_ASSERT_MSG(strstr(line, " de"), "region %d: no de in %s",
				     i, line);
			T_ASSERT_MSG(strstr(line, " dd"), "region %d: no dd in %s",
				     i, line);
			checked++;
		}
	}
	fclose(f);
	T_EQ(checked, 3);
}

/* SS mapped again after munmap is fresh, zeroed memory (docs/uacce.md) */
TEST(ss_remap_fresh)
{
	T_NEED_UNMAP();
	struct t_inst in = ss_inst();
	int fd = t_open_raw(in.ua);
	unsigned char *p;

	T_ASSERT(fd >= 0);
	p = map(fd, UACCE_QFRT_SS, 4 * t_page);
	T_ASSERT(p != MAP_FAILED);
	memset(p, 0xc3, 4 * t_page);
	T_OK(munmap(p, 4 * t_page));
	t_dirty_free_memory(32);
	p = map(fd, UACCE_QFRT_SS, 4 * t_page);
	T_ASSERT(p != MAP_FAILED);
	for (size_t i = 0; i < 4 * t_page; i++)
		if (p[i])
			T_FAIL("SS mapped again: byte %zu is %#x, not 0", i, p[i]);
}

/* DUS unmapped and mapped again while started: the same ring goes on */
TEST(dus_remap_while_started)
{
	T_NEED_UNMAP();
	struct t_inst in = t_inst_create("");
	struct t_q q;

	t_q_setup(&q, in.ua);
	nop_works(&q);
	nop_works(&q);
	T_OK(munmap(q.dus_map, q.dus_size));
	T_OK(munmap(q.mmio_map, q.mmio_size));
	q.dus_map = map(q.fd, UACCE_QFRT_DUS, q.dus_size);
	q.mmio_map = map(q.fd, UACCE_QFRT_MMIO, q.mmio_size);
	T_ASSERT(q.dus_map != MAP_FAILED && q.mmio_map != MAP_FAILED);
	q.mmio = q.mmio_map;
	q.hdr = q.dus_map;
	q.sq = (struct wd_soft_sqe *)((char *)q.dus_map + q.hdr->sq_off);
	q.cq = (volatile struct wd_soft_cqe *)((char *)q.dus_map +
						q.hdr->cq_off);
	/* the device's indices and ours still agree */
	T_EQ(t_q_hdr_sq_head(&q), q.sq_tail);
	T_EQ(t_q_hdr_cq_tail(&q), q.cq_head);
	/* and the remapped rings hold what was posted: the last CQE's phase */
	T_ASSERT(q.cq_head && t_q_cqe_ready(&q, q.cq_head - 1));
	nop_works(&q);
}

/* a new queue's regions hold no old data (kernel or another queue's) */
TEST(fresh_regions_zeroed)
{
	for (unsigned int m = 0; m < 3; m++) {
		struct t_inst in = t_inst_create(modes[m]);
		/* a queue that leaves data behind in its rings and SS */
		struct t_q old;

		t_q_setup(&old, in.ua);
		memset(old.sq, 0x5c, q_sq_bytes());
		t_q_map_ss(&old, 64 * t_page);
		memset(old.ss, 0x3e, 64 * t_page);
		t_q_close(&old);
		t_dirty_free_memory(32);

		struct t_q q;

		t_q_open(&q, in.ua);
		t_q_map(&q);
		const unsigned char *sq = (const void *)q.sq;
		const unsigned char *cq = (const void *)q.cq;

		for (size_t i = 0; i < q_sq_bytes(); i++)
			if (sq[i])
				T_FAIL("%s: new queue's SQ byte %zu is %#x",
				       modes[m], i, sq[i]);
		for (size_t i = 0; i < WD_SOFT_DEPTH * sizeof(struct wd_soft_cqe);
		     i++)
			if (cq[i])
				T_FAIL("%s: new queue's CQ byte %zu is %#x",
				       modes[m], i, cq[i]);
		unsigned char *ss = t_q_map_ss(&q, 64 * t_page);

		for (size_t i = 0; i < 64 * t_page; i++)
			if (ss[i])
				T_FAIL("%s: new SS byte %zu is %#x", modes[m], i,
				       ss[i]);
		t_q_close(&q);
		t_inst_delete(&in);
	}
}

/* mapping DUS shows the ring header, SQ and CQ the device uses */
TEST(dus_layout)
{
	struct t_inst in = t_inst_create("");
	struct t_q q;

	t_q_open(&q, in.ua);
	t_q_map(&q);	/* checks magic, depth, sizes, offsets */
	T_EQ(t_region_size(in.ua, UACCE_QFRT_MMIO), WD_SOFT_MMIO_SIZE);
	T_EQ(q.dus_size, (WD_SOFT_DUS_SIZE + t_page - 1) & ~(t_page - 1));
	T_EQ(q.hdr->sq_head, q.hdr->cq_tail);
	T_EQ(q.mmio->status & WD_SOFT_ST_BROKEN, 0);
}
