// SPDX-License-Identifier: GPL-2.0
/*
 * fault.c: t_fault's and t_fault_left's modules, jobs, userfaultfd and FUSE
 * daemon (fault.h).
 */
#include "fault.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- modules (as t_module) ---- */

int mod_remove(const char *m)
{
	return syscall(SYS_delete_module, m, O_NONBLOCK) ? -errno : 0;
}

bool have_modules(void)
{
	return t_exists(KO_DIR "/uacce.ko") && t_exists(KO_DIR "/wd_soft.ko");
}

/* the suite expects both loaded, with default parameters */
void modules_back(void)
{
	if (!have_modules())
		return;
	if (!t_mod_loaded("uacce"))
		t_insmod("uacce", "");
	if (!t_mod_loaded("wd_soft"))
		t_insmod("wd_soft", "");
}

/* after each test, in the runner: modules loaded, no FUSE mount left */
static void restore(void)
{
	umount2(MNT, MNT_DETACH);
	modules_back();
}

__attribute__((constructor)) static void set_hook(void)
{
	t_after_test = restore;
}

/* ---- calls that may hang: in a thread, judged against a bound ---- */

static void *job_thread(void *arg)
{
	struct job *j = arg;

	__atomic_store_n(&j->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_SEQ_CST);
	j->fn(j);
	j->end = t_now_ms();
	atomic_store(&j->done, true);
	return NULL;
}

static void job_start(struct job *j)
{
	j->err[0] = 0;
	j->ret = 0;
	j->late = false;
	j->on_page = false;
	j->tid = 0;
	atomic_store(&j->done, false);
	j->start = t_now_ms();
	if (pthread_create(&j->th, NULL, job_thread, j))
		T_FAIL("pthread_create failed");
}

/* wait until all @n jobs are done or t_now_ms() passes @until */
bool jobs_wait(struct job *j, int n, uint64_t until)
{
	for (;;) {
		int i = 0;

		while (i < n && atomic_load(&j[i].done))
			i++;
		if (i == n)
			return true;
		if (t_now_ms() >= until)
			return false;
		t_msleep(5);
	}
}

void task_wchan(pid_t tid, char *buf, size_t len)
{
	char p[64];
	int n;

	snprintf(p, sizeof(p), "/proc/%d/wchan", tid);
	n = t_read_file(p, buf, len - 1);
	buf[n > 0 ? n : 0] = 0;
}

/* is task @tid asleep waiting for a page (uffd's or FUSE's answer)? */
bool on_page(pid_t tid)
{
	char wchan[64];

	task_wchan(tid, wchan, sizeof(wchan));
	return strstr(wchan, "handle_userfault") ||
	       strstr(wchan, "request_wait_answer");
}

/*
 * With the page missing: run @n jobs at once; mark those not done WAIT_MS
 * later, or seen asleep on the page before (then stop waiting): true if none
 */
bool jobs_run(struct job *j, int n)
{
	uint64_t end;
	bool ok, seen = false;

	for (int i = 0; i < n; i++)
		job_start(&j[i]);
	end = t_now_ms() + WAIT_MS;
	while (!(ok = jobs_wait(j, n, t_now_ms() + 10)) && !seen &&
	       t_now_ms() < end) {
		for (int i = 0; i < n; i++) {
			pid_t tid = __atomic_load_n(&j[i].tid, __ATOMIC_SEQ_CST);

			if (tid && !atomic_load(&j[i].done) && on_page(tid))
				seen = j[i].on_page = true;
		}
	}
	for (int i = 0; i < n; i++)
		j[i].late = !atomic_load(&j[i].done);
	return ok && !seen;
}

void job_rmmod(struct job *j)
{
	j->ret = mod_remove(j->mod);
	if (j->ret)
		snprintf(j->err, sizeof(j->err), "rmmod %s: %s", j->mod,
			 t_errname(-j->ret));
}

/* rmmod @m, retrying while busy (references are dropped asynchronously,
 * once the page came or never can), within T_HANG_MS: 0 or -errno */
int rmmod_within(const char *m)
{
	uint64_t end = t_now_ms() + T_HANG_MS;
	struct job j = { .what = "rmmod", .fn = job_rmmod, .mod = m };

	for (;;) {
		job_start(&j);
		if (!jobs_wait(&j, 1, end + LATE_MS))
			T_FAIL("rmmod %s hung", m);
		pthread_join(j.th, NULL);
		if ((j.ret != -EBUSY && j.ret != -EAGAIN) || t_now_ms() > end)
			return j.ret;
		t_msleep(20);	/* references are dropped asynchronously */
	}
}

/* ---- the stuck page, first kind: a userfaultfd range nobody serves ---- */

void need_uffd(void)
{
	void *p;
	int uffd = t_uffd_region(&p, t_page);

	if (uffd < 0)
		t_skip("userfaultfd: %s", t_errname(-uffd));
	close(uffd);
	munmap(p, t_page);
}

/* what the test puts in the uffd region's pages, @off from its start */
uint8_t uffd_byte(uint64_t off)
{
	return (uint8_t)(off * 3 + (off >> 12) + 0x40);
}

/* ---- the stuck page, second kind: a FUSE daemon that does not answer ---- */

static void need_fuse(void)
{
	if (!t_exists("/dev/fuse")) {
		/* Debian: CONFIG_FUSE_FS=m; devtmpfs makes the node */
		int r = system("modprobe fuse >/dev/null 2>&1");

		(void)r;
	}
	if (!t_exists("/dev/fuse"))
		t_skip("no /dev/fuse, even after modprobe fuse");
}

/* the next line of the daemon's log before t_now_ms() reaches @until */
static bool fh_line(struct fh *f, char *line, size_t max, uint64_t until)
{
	for (;;) {
		char *nl = memchr(f->buf, '\n', f->len);

		if (nl) {
			size_t n = nl - f->buf;

			snprintf(line, max, "%.*s", (int)n, f->buf);
			f->len -= n + 1;
			memmove(f->buf, nl + 1, f->len);
			return true;
		}
		uint64_t now = t_now_ms();
		struct pollfd p = { .fd = f->log, .events = POLLIN };

		if (poll(&p, 1, now < until ? (int)(until - now) : 0) <= 0)
			return false;
		ssize_t r = read(f->log, f->buf + f->len,
				 sizeof(f->buf) - 1 - f->len);

		if (r <= 0)	/* the daemon is gone */
			return false;
		f->len += r;
	}
}

/* the next READ the daemon logged, before @until */
bool fh_next_read(struct fh *f, struct fh_read *r, uint64_t until)
{
	char line[256];

	while (fh_line(f, line, sizeof(line), until))
		if (sscanf(line, "READ file=%u off=%lld size=%zu uid=%u gid=%u pid=%u",
			   &r->file, &r->off, &r->size, &r->uid, &r->gid,
			   &r->pid) == 6)
			return true;
	return false;
}

/* does READ @r bring in the page the owner's COPY reads? */
bool fh_covers(const struct fh_read *r)
{
	long long pg = SRC_PAGE * (long long)t_page;

	return r->file == 0 && r->off <= pg && r->off + (long long)r->size > pg;
}

/* fuse-hold (beside this program in the VM, in ../libexec natively: it is
 * no test) mounted at MNT, holding READs or not */
void fh_start(struct fh *f, bool hold)
{
	char exe[PATH_MAX], line[64];
	int ctl[2], log[2];
	ssize_t n;

	need_fuse();
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 16);
	T_ASSERT(n > 0);
	exe[n] = 0;
	strcpy(strrchr(exe, '/') + 1,
	       t_host_local ? "../libexec/fuse-hold" : "fuse-hold");
	if (!t_exists(exe))
		T_FAIL("no %s", exe);
	umount2(MNT, MNT_DETACH);
	if (mkdir(MNT, 0755) && errno != EEXIST)
		T_FAIL("mkdir %s: %s", MNT, t_errname(errno));
	T_OK(pipe2(ctl, O_CLOEXEC));
	T_OK(pipe2(log, O_CLOEXEC));
	f->pid = t_fork();
	if (f->pid == 0) {
		dup2(ctl[0], 10);	/* without O_CLOEXEC */
		dup2(log[1], 11);
		execl(exe, "fuse-hold", MNT, "10", "11", hold ? "hold" : NULL,
		      (char *)NULL);
		_exit(127);
	}
	close(ctl[0]);
	close(log[1]);
	f->ctl = ctl[1];
	f->log = log[0];
	f->len = 0;
	if (!fh_line(f, line, sizeof(line), t_now_ms() + FAULT_MS) ||
	    strcmp(line, "READY"))
		T_FAIL("fuse-hold did not mount %s", MNT);
}

void fh_cmd(struct fh *f, char c)
{
	T_EQ(write(f->ctl, &c, 1), 1);
}

/* kill it (a dead daemon fails what it held) and unmount */
void fh_kill(struct fh *f)
{
	if (f->pid > 0) {
		kill(f->pid, SIGKILL);
		waitpid(f->pid, NULL, 0);
		f->pid = 0;
	}
	close(f->ctl);
	close(f->log);
	T_OK(umount2(MNT, MNT_DETACH));
}

/* /dev/uaN's mode set to @mode (the unprivileged owner's tests); the old one */
mode_t dev_chmod(int ua, mode_t mode)
{
	char p[32];
	struct stat st;

	T_OK(stat(t_dev_path(ua, p), &st));
	T_OK(chmod(p, mode));
	return st.st_mode & 07777;
}

/* available_instances back to @n (queues are released asynchronously, the
 * mm last), within T_HANG_MS */
void available_back(int ua, int n)
{
	uint64_t end = t_now_ms() + T_HANG_MS;
	long long v;

	while ((v = t_attr_ll(ua, "available_instances")) != n &&
	       t_now_ms() < end)
		t_msleep(10);
	if (v != n)
		T_FAIL("available_instances is %lld %d ms after the owner let "
		       "go, expected %d: a queue was not released", v,
		       T_HANG_MS, n);
}
