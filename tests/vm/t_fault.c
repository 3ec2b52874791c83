// SPDX-License-Identifier: GPL-2.0
/*
 * t_fault: an SVA device needs a page of the queue owner's memory that does
 * not come.
 *
 * Any owner can arrange that: root with a userfaultfd range it does not
 * serve, anyone with a mapping of a FUSE file whose daemon does not answer
 * (fuse-hold, built beside this program, holds its READs until told). The
 * rules (docs/security.md, "Delay anyone else"; docs/interfaces.md, 1;
 * issue 9, items 1 and 2):
 *
 *  - the engine does not wait for the page: the request waits aside while
 *    the page is faulted in elsewhere, and the engine's other queues go on;
 *  - PUT_Q of the stuck queue returns at once, the stuck request completed
 *    first with CANCELED (exactly one CQE); close returns at once;
 *  - nobody else waits on it: another process's open, close, sysfs reads,
 *    poll and requests, del_device, rmmod wd_soft (rmmod uacce may be
 *    refused until the page comes or never can);
 *  - once the page comes, or never can (the owner killed with its uffd, the
 *    FUSE daemon killed), nothing is left: queues, threads, module references;
 *  - the page is faulted in with the owner's credentials: a FUSE daemon sees
 *    the owner's uid.
 *
 * This program: PUT_Q, nobody else waits, removal, the owner's credentials;
 * t_fault_left: nothing is left. The stuck page and its synchronisation:
 * fault.h.
 */
#include "fault.h"

#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

/* PUT_Q returned with the stuck request's one completion, CANCELED */
static void check_put_q(struct stuck *s, int q, const struct reply *r)
{
	if (r->ret)
		T_FAIL("PUT_Q of the stuck queue failed: %s",
		       t_errname(r->err));
	if (r->ncqe != 1)
		T_FAIL("PUT_Q of the stuck queue returned with %d completions "
		       "in the ring, expected 1 (the stuck COPY, CANCELED)",
		       r->ncqe);
	T_EQ_HEX(r->user_data, s->o->h.ud[q]);
	if (r->status != WD_SOFT_S_CANCELED)
		T_FAIL("the stuck COPY completed with status %u at PUT_Q, "
		       "expected CANCELED (%u)", r->status, WD_SOFT_S_CANCELED);
}

/*
 * The owner stops its queue while its COPY waits for the page: PUT_Q
 * returns at once with the COPY canceled, the queue starts again and works
 * at once; when the page comes later, the canceled COPY does not come back
 * to life (no second completion, its destination untouched).
 */
static void put_q_while_stuck(enum src src, bool user)
{
	struct t_inst in = t_inst_create("queues=4 engines=1");
	struct stuck s = { 0 };
	struct owner o;
	struct reply r;
	struct fh fh;

	stuck_start(&s, &o, &fh, in.ua, src, 1, user);

	owner_cmd(&o, 'P', 0);
	r = must_reply(&s, "PUT_Q of the queue whose COPY waits for a page");
	check_put_q(&s, 0, &r);
	owner_cmd(&o, 'N', 0);
	r = must_reply(&s, "START_Q and a NOP after that PUT_Q");
	T_ASSERT_MSG(r.ncqe == 1 && r.status == WD_SOFT_S_OK,
		     "NOP after PUT_Q and START_Q: %d completions, status %u",
		     r.ncqe, r.status);

	stuck_give(&s);
	owner_cmd(&o, 'D', 0);
	T_ASSERT_MSG(owner_reply(&o, &r, LATE_MS),
		     "no answer from the owner after the page came");
	T_ASSERT_MSG(r.extra == 0, "%d completions appeared once the page "
		     "came: the canceled COPY ran again", r.extra);
	T_ASSERT_MSG(!r.dst_bad, "the canceled COPY wrote its destination "
		     "(byte %ld) once the page came", r.dst_bad - 1);
	T_ASSERT_MSG(r.ncqe == 1 && r.status == WD_SOFT_S_OK && !r.bad,
		     "COPY of the page once it came: %d completions, status "
		     "%u, first wrong byte %ld", r.ncqe, r.status, r.bad - 1);

	owner_cmd(&o, 'C', 0);
	T_ASSERT(owner_reply(&o, &r, T_HANG_MS) && r.ret == 0);
	owner_exit(&o);
	available_back(in.ua, NQ);
	if (src != SRC_UFFD)
		fh_kill(&fh);
}

/* root, a userfaultfd range */
T_TEST_TMO(uffd_put_q_cancels_at_once, 120)
{
	NEED_KERNEL_STUCK();
	put_q_while_stuck(SRC_UFFD, false);
}

/* an unprivileged owner, a FUSE file whose daemon does not answer */
T_TEST_TMO(fuse_user_put_q_cancels_at_once, 120)
{
	NEED_KERNEL_STUCK();
	put_q_while_stuck(SRC_FUSE_SHARED, true);
}

/* ---- nobody else waits on the stuck queue ---- */

/* a NOP on queue j->q, its completion seen by poll() */
static void job_nop_poll(struct job *j)
{
	struct wd_soft_sqe s = t_sqe_nop(0x6e6f70);
	struct pollfd p = { .fd = j->q->fd, .events = POLLIN };
	uint64_t end = t_now_ms() + WAIT_MS + LATE_MS;
	struct wd_soft_cqe c;

	t_q_push(j->q, &s);
	t_q_publish(j->q);
	while (!(p.revents & POLLIN) && t_now_ms() < end)
		poll(&p, 1, 100);
	if (!(p.revents & POLLIN))
		snprintf(j->err, sizeof(j->err), "poll() never gave POLLIN");
	else if (t_q_reap(j->q, &c, 0) != 1 || c.status != WD_SOFT_S_OK)
		snprintf(j->err, sizeof(j->err), "POLLIN but no good "
			 "completion");
}

static void job_open_close(struct job *j)
{
	int fd = t_open_raw(j->ua);

	if (fd < 0)
		snprintf(j->err, sizeof(j->err), "open: %s", t_errname(-fd));
	else if (close(fd))
		snprintf(j->err, sizeof(j->err), "close: %s", t_errname(errno));
}

/* every attribute of /sys/class/uacce/uaN/ */
static void job_sysfs(struct job *j)
{
	char dir[64], p[320], buf[4096];
	struct dirent *e;
	DIR *d;

	snprintf(dir, sizeof(dir), "/sys/class/uacce/ua%d", j->ua);
	d = opendir(dir);
	if (!d) {
		snprintf(j->err, sizeof(j->err), "opendir %s", dir);
		return;
	}
	while ((e = readdir(d))) {
		int n;

		if (e->d_type != DT_REG)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		n = t_read_file(p, buf, sizeof(buf));
		if (n < 0 && !j->err[0])
			snprintf(j->err, sizeof(j->err), "reading %.64s: %s",
				 e->d_name, t_errname(-n));
	}
	closedir(d);
}

/* append to @msg what went wrong with the jobs run @when */
static void judge(const struct stuck *s, struct job *j, int n,
		  const char *when, char *msg, size_t len)
{
	for (int i = 0; i < n; i++) {
		size_t l = strlen(msg);
		uint64_t after = j[i].end > s->given_at ?
				 j[i].end - s->given_at : 0;

		if (j[i].on_page)
			snprintf(msg + l, len - l, "; %s: %s seen asleep "
				 "waiting for the missing page", when,
				 j[i].what);
		else if (j[i].late && atomic_load(&j[i].done))
			snprintf(msg + l, len - l, "; %s: %s not done within "
				 "%d ms (done %llu ms after %s)", when,
				 j[i].what, WAIT_MS, (unsigned long long)after,
				 s->given);
		else if (j[i].late)
			snprintf(msg + l, len - l, "; %s: %s not done even "
				 "%d ms after %s", when, j[i].what, LATE_MS,
				 s->given);
		else if (j[i].err[0])
			snprintf(msg + l, len - l, "; %s: %s: %s", when,
				 j[i].what, j[i].err);
	}
}

static bool jobs_ok(const struct job *j, int n)
{
	for (int i = 0; i < n; i++)
		if (j[i].late || j[i].on_page || j[i].err[0])
			return false;
	return true;
}

/*
 * Process A (unprivileged, its FUSE page held) has a COPY waiting for its
 * page on an instance with one engine. Process B, the test, uses the same
 * instance: its requests on that engine complete, seen by poll(), and its
 * open, close and sysfs reads return, both while A's COPY waits and while
 * A closes its queue. The page stays missing STUCK_MS at least while B's
 * requests keep completing: passing never depends on the page.
 */
T_TEST_TMO(stuck_queue_delays_nobody, 120)
{
	NEED_KERNEL_STUCK();
	struct t_inst in = t_inst_create("queues=4 engines=1");
	struct stuck s = { 0 };
	struct t_q qb[2];
	struct job jobs[2][3];
	struct owner o;
	struct reply r;
	struct fh fh;
	char msg[1000] = "";
	bool a_closed;

	for (int i = 0; i < 2; i++) {
		struct wd_soft_sqe nop = t_sqe_nop(i);

		t_q_setup(&qb[i], in.ua);
		T_EQ(t_q_run(&qb[i], &nop).status, WD_SOFT_S_OK);
	}
	stuck_start(&s, &o, &fh, in.ua, SRC_FUSE_SHARED, 1, true);

	/* B's checks, once per phase; a phase's NOP has a queue of its own
	 * in case the previous one's is still stuck */
	for (int ph = 0; ph < 2; ph++) {
		jobs[ph][0] = (struct job){ .what = "B's NOP on the same engine",
					    .fn = job_nop_poll, .q = &qb[ph] };
		jobs[ph][1] = (struct job){ .what = "B's open() and close()",
					    .fn = job_open_close, .ua = in.ua };
		jobs[ph][2] = (struct job){ .what = "B's read of every sysfs "
					    "attribute", .fn = job_sysfs,
					    .ua = in.ua };
	}
	/* phase 1: A's COPY waits for its page */
	jobs_run(jobs[0], 3);
	/* phase 2: A closes its queue; B's checks once A is done or in it */
	owner_cmd(&o, 'C', 0);
	replied_or_blocked(&o);
	jobs_run(jobs[1], 3);
	a_closed = read_until(o.sock, &r, sizeof(r), o.sent + WAIT_MS);

	if (!a_closed || !jobs_ok(jobs[0], 3) || !jobs_ok(jobs[1], 3)) {
		stuck_give(&s);
		jobs_wait(jobs[0], 3, t_now_ms() + LATE_MS);
		jobs_wait(jobs[1], 3, t_now_ms() + LATE_MS);
		if (!a_closed) {
			a_closed = owner_reply(&o, &r, LATE_MS);
			snprintf(msg, sizeof(msg), "; A's close() of its queue "
				 "not done within %d ms (%s %llu ms after %s)",
				 WAIT_MS, a_closed ? "done" : "not even",
				 (unsigned long long)(t_now_ms() - s.given_at),
				 s.given);
		}
		judge(&s, jobs[0], 3, "A's COPY waits", msg, sizeof(msg));
		judge(&s, jobs[1], 3, "A closes", msg, sizeof(msg));
		T_FAIL("%s", msg + 2);
	}
	T_ASSERT_MSG(r.ret == 0, "A's close: %s", t_errname(r.err));

	/* the page stays missing; B's requests keep completing */
	while (t_now_ms() - s.since < STUCK_MS) {
		struct job *j = &jobs[0][0];

		pthread_join(j->th, NULL);
		if (!jobs_run(j, 1) || j->err[0]) {
			stuck_give(&s);
			jobs_wait(j, 1, t_now_ms() + LATE_MS);
			judge(&s, j, 1, "later", msg, sizeof(msg));
			T_FAIL("%s", msg + 2);
		}
		t_msleep(100);	/* pace, not synchronisation */
	}
	stuck_give(&s);
	owner_exit(&o);
	t_q_close(&qb[0]);
	t_q_close(&qb[1]);
	available_back(in.ua, NQ);
	fh_kill(&fh);
}

/* ---- removal while the page is missing ---- */

static void job_del_device(struct job *j)
{
	char id[16];

	snprintf(id, sizeof(id), "%d", j->id);
	j->ret = t_inst_del_raw(id);
	if (j->ret)
		snprintf(j->err, sizeof(j->err), "%s", t_errname(-j->ret));
}

/*
 * Root's owner has two queues on two engines, each with a COPY waiting for
 * its userfaultfd page, and is in PUT_Q of the second (or done with it):
 * the case where del_device slept on the queue's mutex. Removing
 * the device (del_device, or rmmod wd_soft) returns at once and turns both
 * queues into zombies; close works; rmmod uacce may wait until the pages
 * come, and then works.
 */
static void removal_while_stuck(bool rmmod)
{
	struct t_inst in = t_inst_create("queues=4 engines=2");
	struct job rm = { .what = rmmod ? "rmmod wd_soft" : "del_device",
			  .fn = rmmod ? job_rmmod : job_del_device,
			  .mod = "wd_soft", .id = in.id };
	struct stuck s = { 0 };
	struct owner o;
	struct reply r;
	int ret;

	need_uffd();
	if (!have_modules())
		t_skip("no %s/*.ko", KO_DIR);
	owner_start(&o, in.ua, SRC_UFFD, 2, false);
	s.o = &o;
	stuck_wait(&s, 0);
	stuck_wait(&s, 1);
	owner_cmd(&o, 'P', 1);
	replied_or_blocked(&o);

	if (!jobs_run(&rm, 1)) {
		stuck_give(&s);
		jobs_wait(&rm, 1, t_now_ms() + LATE_MS);
		if (atomic_load(&rm.done))
			T_FAIL("%s did not return within %d ms while the "
			       "owner's COPYs waited for their pages (one in "
			       "PUT_Q)%s; it returned %llu ms after %s",
			       rm.what, WAIT_MS, rm.on_page ? " (asleep on "
			       "a page)" : "",
			       (unsigned long long)(rm.end - s.given_at),
			       s.given);
		T_FAIL("%s did not return within %d ms while the owner's "
		       "COPYs waited for their pages%s, nor %d ms after %s",
		       rm.what, WAIT_MS, rm.on_page ? " (asleep on a page)" :
		       "", LATE_MS, s.given);
	}
	if (rm.err[0])
		T_FAIL("%s: %s", rm.what, rm.err);
	T_ASSERT(!t_inst_exists(in.id));
	r = must_reply(&s, "PUT_Q, the device being removed");
	T_ASSERT_MSG(r.ret == 0 || r.err == ENODEV, "PUT_Q: %s",
		     t_errname(r.err));

	/* zombies: ENODEV, POLLHUP, SIGBUS on the rings; close works */
	for (int q = 0; q < 2; q++) {
		owner_cmd(&o, 'Z', q);
		r = must_reply(&s, "the checks of a removed device's queue");
		T_ASSERT_MSG(r.ret == -1 && r.err == ENODEV, "queue %d: "
			     "START_Q after removal: %d %s", q, r.ret,
			     t_errname(r.err));
		T_ASSERT_MSG(r.revents & POLLHUP, "queue %d: poll after "
			     "removal: revents %#x", q, r.revents);
		T_ASSERT_MSG(r.sig == SIGBUS, "queue %d: touching the ring "
			     "after removal: signal %d", q, r.sig);
		owner_cmd(&o, 'C', q);
		r = must_reply(&s, "close of a removed device's queue");
		T_ASSERT_MSG(r.ret == 0, "close: %s", t_errname(r.err));
	}
	if (!rmmod) {
		ret = rmmod_within("wd_soft");
		if (ret)
			T_FAIL("rmmod wd_soft while the pages are missing: "
			       "%s", t_errname(-ret));
	}
	/* uacce may still wait for its fault threads: EBUSY is allowed */
	ret = mod_remove("uacce");
	if (ret != 0 && ret != -EBUSY && ret != -EAGAIN)
		T_FAIL("rmmod uacce while the pages are missing: %s",
		       t_errname(-ret));
	t_note("rmmod uacce while the pages are missing: %s",
	       ret ? t_errname(-ret) : "done");

	stuck_give(&s);
	if (t_mod_loaded("uacce")) {
		ret = rmmod_within("uacce");
		if (ret)
			T_FAIL("rmmod uacce %d ms after the pages came: %s",
			       T_HANG_MS, t_errname(-ret));
	}
	modules_back();
	owner_exit(&o);
}

T_TEST_TMO(del_device_while_stuck, 120)
{
	NEED_KERNEL_STUCK();
	removal_while_stuck(false);
}

T_TEST_TMO(rmmod_while_stuck, 120)
{
	NEED_KERNEL_STUCK();
	removal_while_stuck(true);
}

/* ---- the owner's credentials ---- */

/*
 * An unprivileged owner copies a page of a FUSE file it mapped and never
 * touched: the daemon gets the READ the device's fault causes, and must
 * see the owner's uid and gid, not root's. (In-process the owner makes
 * its device itself: owner_main(); its engines are its own threads.)
 */
static void fuse_uid(enum src src)
{
	struct t_inst in = { .ua = -1 };
	struct fh_read rd;
	struct owner o;
	struct reply r;
	struct fh fh;
	int nread = 0, covering = 0;

	fh_start(&fh, false);
	if (!t_host_local) {
		in = t_inst_create(OWNER_INST);
		dev_chmod(in.ua, 0666);
	}
	owner_start(&o, in.ua, src, 1, true);
	owner_cmd(&o, 'W', 0);
	T_ASSERT_MSG(owner_reply(&o, &r, LATE_MS), "no answer from the owner");
	T_ASSERT_MSG(r.ncqe == 1 && r.status == WD_SOFT_S_OK,
		     "COPY from the FUSE page: %d completions, status %u",
		     r.ncqe, r.status);
	T_ASSERT_MSG(!r.bad, "COPY from the FUSE page: byte %ld wrong",
		     r.bad - 1);
	/* the daemon logged the READs before answering them */
	while (fh_next_read(&fh, &rd, t_now_ms())) {
		nread++;
		covering += fh_covers(&rd);
		if (rd.uid != USER || rd.gid != USER)
			T_FAIL("the FUSE daemon got READ(file %u, offset %lld, "
			       "%zu bytes) from uid %u gid %u pid %u: the page "
			       "was faulted in with credentials other than "
			       "the owner's (uid %d gid %d)", rd.file, rd.off,
			       rd.size, rd.uid, rd.gid, rd.pid, USER, USER);
	}
	T_ASSERT_MSG(covering, "the daemon got %d READs, none of the copied "
		     "page", nread);
	owner_exit(&o);
	fh_kill(&fh);
}

T_TEST_TMO(fuse_read_as_owner_shared, 90)
{
	fuse_uid(SRC_FUSE_SHARED);
}

T_TEST_TMO(fuse_read_as_owner_private, 90)
{
	fuse_uid(SRC_FUSE_PRIVATE);
}
