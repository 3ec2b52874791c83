/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fault.h: what t_fault and t_fault_left share (fault.c, fault-owner.c): an
 * SVA queue owner whose COPY waits for a page that does not come, from a
 * userfaultfd range nobody serves or a FUSE file whose daemon (fuse-hold)
 * does not answer; calls that may hang, run in threads and judged against
 * a bound; the modules unloaded and back.
 *
 * Synchronisation is by events, never by sleeping: the device waits on the
 * page once the uffd has a fault message for its address, or once the FUSE
 * daemon has got the READ. Times are bounds only, turning a hang into a
 * failure: when a bound expires the test supplies the page (or releases the
 * daemon), so that a kernel that still waits on it ends the test with FAIL,
 * saying what returned once the page came, instead of hanging the suite or
 * tripping the 30 s hung-task panic.
 *
 * The bounds are for a loaded host too (TCG vCPUs lose 100-300 ms at a time
 * to a CPU hog beside the VM). Once the page came, or never can, whatever
 * is still to end has T_HANG_MS. While the page is missing, what must not
 * wait for it gets WAIT_MS: shorter, since a task that does wait for it
 * may sleep in D state (a FUSE READ taken, a mutex), and the page must
 * come before the hung-task panic (tools/vm/init: 30 s) would end the run
 * without saying what waited. A waiter seen asleep on the page itself (in
 * handle_userfault or request_wait_answer: on_page()) fails at once.
 */
#ifndef WD_TESTS_VM_FAULT_H
#define WD_TESTS_VM_FAULT_H

#include "t.h"
#include "fuse-hold.h"

#include <pthread.h>
#include <stdatomic.h>

#define WAIT_MS		20000	/* "did not wait for the missing page" */
#define STUCK_MS	10000	/* the page stays missing at least this long */
#define FAULT_MS	T_HANG_MS /* for the device to ask for the page */
#define LATE_MS		20000	/* for what hung, once the page came */
#define NQ		4	/* queues of every instance */
#define USER		1000	/* the unprivileged owner's uid and gid */
#define SRC_PAGE	3	/* FUSE: the page of file 0 the COPY reads */
#define MNT		"/tmp/t_fault.fuse"
#define KO_DIR		T_KO_DIR
#define MAXQ		2

/*
 * The hosts: every test here has an owner in a process of its own (as
 * root, or an unprivileged user) whose page the device waits on or faults
 * in. In-process devices serve only the process that created them, and an
 * in-process engine is a thread of the owner: blocked on a page that never
 * comes, it stays blocked, and so does a stop of its queue
 * (docs/soft-local.md, "Limits"). Such a test's first line says so.
 */
#define NEED_KERNEL_STUCK() T_NEED_KERNEL("a page of another process that " \
	"never comes: in-process devices serve only their own process, and an " \
	"in-process engine blocked on a missing page stays blocked, with a " \
	"stop of its queue (docs/soft-local.md, Limits)")
/*
 * Only fuse_read_as_owner_* run on both hosts: in-process, the owner
 * creates its device itself (OWNER_INST, ua -1 passed to owner_start()).
 */
#define OWNER_INST "queues=4 engines=1"

/* ---- modules (as t_module); back after each test, with no FUSE mount ---- */

int mod_remove(const char *m);		/* 0 or -errno, never waits */
bool have_modules(void);
/* the suite expects both loaded, with default parameters */
void modules_back(void);
/* rmmod @m, retrying while busy (references are dropped asynchronously,
 * once the page came or never can), within T_HANG_MS: 0 or -errno */
int rmmod_within(const char *m);

/* ---- calls that may hang: in a thread, judged against a bound ---- */

struct job {
	const char *what;
	void (*fn)(struct job *);
	int ua, id;		/* arguments, by fn */
	struct t_q *q;
	const char *mod;
	int ret;		/* 0 or -errno */
	pid_t tid;		/* its thread, for on_page() */
	bool on_page;		/* seen asleep on the missing page */
	char err[160];		/* what went wrong, "" if nothing */
	uint64_t start, end;	/* t_now_ms() */
	bool late;		/* not done within its bound */
	atomic_bool done;
	pthread_t th;
};

/* wait until all @n jobs are done or t_now_ms() passes @until */
bool jobs_wait(struct job *j, int n, uint64_t until);
/* where task @tid sleeps (/proc/<tid>/wchan; "" if unknown) into @buf */
void task_wchan(pid_t tid, char *buf, size_t len);
/* is task @tid asleep waiting for a page (uffd's or FUSE's answer)? */
bool on_page(pid_t tid);
/*
 * With the page missing: run @n jobs at once; mark those not done WAIT_MS
 * later, or seen asleep on the page before (then stop waiting): true if none
 */
bool jobs_run(struct job *j, int n);
void job_rmmod(struct job *j);		/* rmmod j->mod */

/* ---- the stuck page, first kind: a userfaultfd range nobody serves ---- */

void need_uffd(void);			/* else the test is a SKIP */
/* what the test puts in the uffd region's pages, @off from its start */
uint8_t uffd_byte(uint64_t off);

/* ---- the stuck page, second kind: a FUSE daemon that does not answer ---- */

struct fh {
	pid_t pid;
	int ctl, log;		/* its command pipe, its log */
	char buf[4096];
	size_t len;
};

struct fh_read {
	unsigned int file, uid, gid, pid;
	long long off;
	size_t size;
};

/* the next READ the daemon logged, before @until */
bool fh_next_read(struct fh *f, struct fh_read *r, uint64_t until);
/* does READ @r bring in the page the owner's COPY reads? */
bool fh_covers(const struct fh_read *r);
/* fuse-hold (beside this program) mounted at MNT, holding READs or not */
void fh_start(struct fh *f, bool hold);
void fh_cmd(struct fh *f, char c);
/* kill it (a dead daemon fails what it held) and unmount */
void fh_kill(struct fh *f);

/* /dev/uaN's mode set to @mode (the unprivileged owner's tests); the old one */
mode_t dev_chmod(int ua, mode_t mode);
/* available_instances back to @n (queues are released asynchronously, the
 * mm last), within T_HANG_MS */
void available_back(int ua, int n);

/* ---- the queue owner (fault-owner.c): a child driven over a socket ---- */

enum src {
	SRC_UFFD,		/* root, a userfaultfd range */
	SRC_FUSE_SHARED,	/* a FUSE file, MAP_SHARED */
	SRC_FUSE_PRIVATE,	/* a FUSE file, MAP_PRIVATE */
	/*
	 * a FUSE file, MAP_SHARED, MADV_RANDOM: no readahead, so the fault
	 * reads the page itself and, once the daemon has taken the READ,
	 * waits for the answer uninterruptibly: a wait no stop can abort
	 */
	SRC_FUSE_RANDOM,
};

/* the owner's queues, each with a COPY of one page from its stuck page */
struct hello {
	uint64_t src[MAXQ];	/* the stuck page, in the owner */
	uint64_t ud[MAXQ];	/* the COPY's user_data */
};

struct cmd {
	char op;
	int q;
};

struct reply {
	int ret, err;		/* of the call */
	int ncqe;		/* completions found */
	uint32_t status;	/* the first one's */
	uint64_t user_data;
	long bad;		/* 1 + offset of the first wrong byte, 0: right */
	int extra;		/* 'D': completions nobody asked for */
	long dst_bad;		/* 'D': 1 + offset of a byte the canceled COPY wrote */
	int revents, sig;	/* 'Z': poll, touching the ring */
};

struct owner {
	pid_t pid;
	int sock;
	int uffd;		/* our copy of its userfaultfd, -1 if none */
	enum src src;
	int nq;
	struct hello h;
	uint64_t sent;		/* t_now_ms() at the last command */
};

/* read exactly @len bytes before @until; false on timeout or EOF */
bool read_until(int fd, void *buf, size_t len, uint64_t until);
/* a child opens @nq queues of /dev/uaN, a COPY from a missing page on each */
void owner_start(struct owner *o, int ua, enum src src, int nq, bool user);
/*
 * Commands: 'P' PUT_Q, 'N' START_Q again and a NOP, 'W' the COPY's
 * completion and data, 'D' a new COPY once the page came, 'C' close, 'Z'
 * the checks of a removed device's queue, 'X' exit (owner_main()).
 */
void owner_cmd(struct owner *o, char op, int q);
bool owner_reply(struct owner *o, struct reply *r, int ms);
/*
 * After a command: until the owner has answered, or sleeps uninterruptibly
 * in the kernel (in the call, then), at most WAIT_MS after the command was
 * sent. What runs next then
 * runs while the owner is in that call, if it is still in it at all.
 */
void replied_or_blocked(struct owner *o);
void owner_exit(struct owner *o);

/* ---- the device waits on the page; the page comes ---- */

struct stuck {
	struct owner *o;
	struct fh *fh;		/* the daemon holding the READ, FUSE only */
	unsigned int seen;	/* queues whose page the device asked for */
	uint64_t since;		/* when it was first seen waiting */
	const char *given;	/* how the page came, NULL: not yet */
	uint64_t given_at;	/* and when */
};

/* the page comes: filled in (uffd), answered (FUSE), or, when we have no
 * uffd (it went with the owner's), the owner dies; says which */
const char *stuck_give(struct stuck *s);
/* wait until the device waits on queue @q's page */
void stuck_wait(struct stuck *s, int q);
/*
 * An owner with @n queues (1 or 2) whose first COPY waits for its page
 * from @src: FUSE sources start @fh (an unprivileged owner), userfaultfd
 * ones need root. Returns once the device waits on queue 0's page.
 */
void stuck_start(struct stuck *s, struct owner *o, struct fh *fh, int ua,
		 enum src src, int n, bool user);
/*
 * The owner's answer to its last command, within WAIT_MS of sending it while
 * the page is still missing. Else (or as soon as the owner is seen asleep on
 * the page) the page comes, and the test fails saying whether and when the
 * call returned then.
 */
struct reply must_reply(struct stuck *s, const char *what);

#endif
