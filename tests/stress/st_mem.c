// SPDX-License-Identifier: GPL-2.0
/*
 * st_mem: SVA requests that fault pages in while memory runs out
 * (docs/reliability.md). Meant for a small VM (tests/run.sh boots one with
 * 320 MiB): a hog process fills memory until little is left and keeps
 * churning (freeing and taking chunks back), while the test submits
 * copies whose destinations are fresh, never touched pages, so that the
 * engine, borrowing the owner's address space, allocates every one of
 * them in its page faults, and sources that were dropped with
 * MADV_DONTNEED (read back as zero pages) or live in a tmpfs file.
 *
 * Checks: every request completes; OK means the right bytes (the kernel may
 * also fail a fault it cannot satisfy: BAD_ADDR, counted, never wrong data);
 * the OOM killer, if it comes, takes the hog (oom_score_adj 1000) and not
 * the queue's owner (-1000); the kernel log stays clean and the device
 * keeps working afterwards. ST_SECONDS (default 8) is the pressure phase.
 */
#include "t.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>


static long env_long(const char *name, long def)
{
	const char *v = getenv(name);

	return v && *v ? strtol(v, NULL, 0) : def;
}

static long mem_available_kb(void)
{
	char buf[4096], *p;

	if (t_read_file("/proc/meminfo", buf, sizeof(buf) - 1) <= 0)
		return -1;
	buf[sizeof(buf) - 1] = 0;
	p = strstr(buf, "MemAvailable:");
	return p ? strtol(p + 13, NULL, 10) : -1;
}

static void oom_adj(const char *v)
{
	t_write_file("/proc/self/oom_score_adj", v);
}

/* Fill memory down to ~12 MiB available, then churn until killed. */
static void hog(void)
{
	enum { CHUNK = 4 << 20, MAXC = 512 };
	uint8_t *c[MAXC] = { 0 };
	int n = 0;
	uint64_t x = 1;

	oom_adj("1000");
	for (;;) {
		long avail = mem_available_kb();

		if (avail > 12 * 1024 && n < MAXC) {
			c[n] = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (c[n] == MAP_FAILED) {
				c[n] = NULL;
				t_msleep(5);
				continue;
			}
			memset(c[n], (int)n | 1, CHUNK);
			n++;
			continue;
		}
		/* at the limit: give a chunk back now and then, take it again */
		x = x * 6364136223846793005ull + 1;
		if (n) {
			int k = (int)((x >> 33) % (uint64_t)n);

			munmap(c[k], CHUNK);
			c[k] = c[--n];
			c[n] = NULL;
		}
		t_msleep(2);
	}
}

T_TEST_TMO(sva_faults_under_pressure, 1800)
{
	struct t_inst in = t_inst_create("mode=sva engines=2");
	long secs = env_long("ST_SECONDS", 8);
	size_t len = 2 << 20;
	uint64_t t0, end;
	unsigned long ok = 0, bad = 0, bytes = 0;
	long low = -1;
	int fd, st;
	uint8_t *file;
	struct t_q q;
	pid_t hp;

	oom_adj("-1000");
	t_q_setup(&q, in.ua);
	/* a tmpfs file as a second kind of source */
	fd = open("/tmp/st_mem.src", O_CREAT | O_TRUNC | O_RDWR, 0600);
	T_ASSERT(fd >= 0);
	T_OK(ftruncate(fd, (off_t)len));
	file = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	T_ASSERT(file != MAP_FAILED);
	t_fill_random(file, len, 9);

	hp = t_fork();
	if (hp == 0)
		hog();
	/* wait for the pressure */
	for (int i = 0; i < 3000 && mem_available_kb() > 24 * 1024; i++)
		t_msleep(10);
	t0 = t_now_ms();
	end = t0 + (uint64_t)secs * 1000;
	/* past the end until one copy got through: on a loaded host every
	 * round so far may have been refused, or the first one outlasted the
	 * end; that is no failure within T_HANG_MS more */
	for (uint64_t round = 0; t_now_ms() < end ||
	     (!ok && t_now_ms() < end + T_HANG_MS); round++) {
		uint8_t *src = mmap(NULL, len, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		uint8_t *dst = mmap(NULL, len, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		const uint8_t *from;
		struct wd_soft_sqe e;
		struct wd_soft_cqe c;
		bool zero = round % 3 == 1;
		long avail;

		if (src == MAP_FAILED || dst == MAP_FAILED)
			T_FAIL("mmap under pressure: %s", t_errname(errno));
		if (round % 3 == 0) {
			t_fill_random(src, len, round);
			from = src;
		} else if (zero) {
			/* dropped: the device reads zero pages back */
			memset(src, 0x77, len);
			T_OK(madvise(src, len, MADV_DONTNEED));
			from = src;
		} else {
			from = file;
		}
		/* dst never touched: every page is allocated by the device's faults */
		e = t_sqe_copy(&q, from, dst, (uint32_t)len, (uint32_t)len);
		e.user_data = round;
		c = t_q_run(&q, &e);
		if (c.status == WD_SOFT_S_OK) {
			T_EQ(c.out_len, len);
			if (zero) {
				for (size_t k = 0; k < len; k++)
					T_ASSERT_MSG(!dst[k], "round %llu: zero page copied wrong",
						     (unsigned long long)round);
			} else {
				T_ASSERT_MSG(!memcmp(dst, from, len), "round %llu: wrong copy",
					     (unsigned long long)round);
			}
			ok++;
			bytes += len;
		} else {
			T_ASSERT_MSG(c.status == WD_SOFT_S_BAD_ADDR,
				     "round %llu: status %u under pressure",
				     (unsigned long long)round, c.status);
			bad++;
		}
		avail = mem_available_kb();
		if (low < 0 || avail < low)
			low = avail;
		munmap(src, len);
		munmap(dst, len);
	}
	kill(hp, SIGKILL);
	st = t_wait(hp, 60000);
	T_ASSERT_MSG(WIFSIGNALED(st), "the hog ended with %#x", st);
	T_ASSERT_MSG(ok > 0, "no request succeeded under pressure in %.1f s "
		     "(%lu refused with BAD_ADDR)", (t_now_ms() - t0) / 1000.0,
		     bad);
	/* afterwards the device works as before */
	{
		uint8_t *a = mmap(NULL, 2 * t_page, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		t_fill_random(a, t_page, 3);
		t_q_copy_check(&q, a, a + t_page, t_page);
	}
	t_note("%.1f s under pressure (MemAvailable down to %ld KiB): %lu copies of 2 MiB OK (%.0f MiB faulted in by the device), %lu refused with BAD_ADDR",
	       (t_now_ms() - t0) / 1000.0, low, ok, bytes / 1048576.0, bad);
	unlink("/tmp/st_mem.src");
}
