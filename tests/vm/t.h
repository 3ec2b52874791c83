/* SPDX-License-Identifier: GPL-2.0 */
/*
 * t.h: the test harness of the uacce/wd_soft semantics tests (tests/vm),
 * for both hosts: built statically for the VM (the kernel's wd_soft, its
 * ABI used directly) and natively with -DT_NATIVE (the in-process device,
 * through lib/wd_ctl.h; also under ASan+UBSan). t.c is the runner and the
 * host-neutral helpers; t-sys.c (instances, attributes, hold, fail_next)
 * and t-queue.c (struct t_q) are where the hosts differ. tests/vm/harness.mk
 * lists the sources.
 *
 * Every test runs in its own forked child, in its own process group, with a
 * timeout. A test passes when its child exits 0 and nothing reported a
 * failure; a signal, a timeout, or T_FAIL() anywhere in the test's process
 * tree fails it. Output, one line per test:
 *
 *	PASS: <prog>.<test>
 *	FAIL: <prog>.<test>: reason (file:line)
 *	SKIP: <prog>.<test>: reason
 *
 * Usage: <prog> [-l] [test ...]   (no names: every test; -l: list them)
 *
 * Each program gets T_NR_IDS consecutive wd_soft instance IDs from the
 * harness when it starts (t_id_base()): no other program running holds
 * them. t_inst_create() takes a free one and the runner deletes every
 * instance of the range after each test, so tests don't leak devices.
 */
#ifndef WD_TESTS_VM_T_H
#define WD_TESTS_VM_T_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

/* our ABI, by a path system headers cannot shadow */
#include "uapi/misc/uacce/uacce.h"
#include "uapi/misc/uacce/wd_soft.h"

/* ---- registration ---- */

typedef void (*t_fn)(void);
void t_register(const char *name, t_fn fn, int timeout_s);

#define T_TEST_TMO(name, tmo)						\
	static void name(void);						\
	__attribute__((constructor)) static void name##__reg(void)	\
	{ t_register(#name, name, tmo); }				\
	static void name(void)
#define TEST(name) T_TEST_TMO(name, 60)

/* the first of this program's T_NR_IDS wd_soft instance IDs */
int t_id_base(void);
#define T_NR_IDS 10

/* optional: run by the runner (in its own process) after each test */
extern void (*t_after_test)(void);

/* ---- failing, skipping ---- */

void t_fail_at(const char *file, int line, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 3, 4)));
void t_skip(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));
void t_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *t_errname(int err);

#define T_FAIL(...) t_fail_at(__FILE__, __LINE__, __VA_ARGS__)
#define T_ASSERT(c) do { if (!(c)) T_FAIL("assertion failed: %s", #c); } while (0)
#define T_ASSERT_MSG(c, ...) do { if (!(c)) T_FAIL(__VA_ARGS__); } while (0)
#define T_EQ(a, b) do {							\
	long long _a = (long long)(a), _b = (long long)(b);		\
	if (_a != _b)							\
		T_FAIL("%s is %lld, expected %lld (%s)", #a, _a, _b, #b); \
} while (0)
#define T_EQ_HEX(a, b) do {						\
	unsigned long long _a = (unsigned long long)(a),		\
			   _b = (unsigned long long)(b);		\
	if (_a != _b)							\
		T_FAIL("%s is %#llx, expected %#llx (%s)", #a, _a, _b, #b); \
} while (0)
#define T_STREQ(a, b) do {						\
	const char *_a = (a), *_b = (b);				\
	if (strcmp(_a, _b))						\
		T_FAIL("%s is \"%s\", expected \"%s\"", #a, _a, _b);	\
} while (0)
/* a call that must succeed (not -1 / MAP_FAILED); yields its value */
#define T_OK(e) ({							\
	errno = 0;							\
	long _r = (long)(e);						\
	if (_r == -1)							\
		T_FAIL("%s failed: %s", #e, t_errname(errno));		\
	_r;								\
})
/* a call that must fail with -1 / MAP_FAILED and errno err */
#define T_ERR(e, err) do {						\
	errno = 0;							\
	long _r = (long)(e);						\
	int _e = errno;							\
	if (_r != -1)							\
		T_FAIL("%s returned %ld, expected failure %s", #e, _r,	\
		       t_errname(err));					\
	if (_e != (err))						\
		T_FAIL("%s failed with %s, expected %s", #e,		\
		       t_errname(_e), t_errname(err));			\
} while (0)
/* must fail with one of two errnos */
#define T_ERR2(e, err1, err2) do {					\
	errno = 0;							\
	long _r = (long)(e);						\
	int _e = errno;							\
	if (_r != -1)							\
		T_FAIL("%s returned %ld, expected failure %s or %s", #e, \
		       _r, t_errname(err1), t_errname(err2));		\
	if (_e != (err1) && _e != (err2))				\
		T_FAIL("%s failed with %s, expected %s or %s", #e,	\
		       t_errname(_e), t_errname(err1), t_errname(err2)); \
} while (0)

/*
 * The host under test: the kernel's wd_soft in the VM, or the in-process
 * device (a native build, -DT_NATIVE). A test that needs one host says so
 * first thing with T_NEED_KERNEL()/T_NEED_LOCAL(), naming why: the one place
 * where the hosts differ. On the other host the test is a SKIP.
 */
#ifdef T_NATIVE
#define t_host_local	true
#else
#define t_host_local	false
#endif
#define T_NEED_KERNEL(why) do {						\
	if (t_host_local)						\
		t_skip("needs the kernel device: %s", why);		\
} while (0)
#define T_NEED_LOCAL(why) do {						\
	if (!t_host_local)						\
		t_skip("needs the in-process device: %s", why);		\
} while (0)

/* ---- processes ---- */

extern size_t t_page;
pid_t t_fork(void);			/* fork; the child must end in _exit() */
int t_wait(pid_t pid, int timeout_ms);	/* wait status; T_FAIL on timeout */
/* wait status, or -1 on timeout (the child is killed and reaped then) */
int t_wait_bounded(pid_t pid, int timeout_ms);
void t_wait_ok(pid_t pid, int timeout_ms);	/* child must exit 0 */
void t_wait_sig(pid_t pid, int sig, int timeout_ms); /* child must die of sig */
/* touch one byte (write: store 0 after reading); 0 or the signal it raised */
int t_touch(volatile void *addr, bool write);
void t_drop_cap(int cap);
/* pass an fd over a UNIX socket (SCM_RIGHTS) */
void t_send_fd(int sock, int fd);
int t_recv_fd(int sock);		/* from effective and permitted sets */
uint64_t t_now_ms(void);
void t_msleep(int ms);

/*
 * Waiting for a state instead of sleeping "long enough". T_HANG_MS only
 * tells a hang from a slow machine (TCG on a loaded host): a condition
 * that must come comes within it.
 */
#define T_HANG_MS	30000
#define T_WAIT_UNTIL(cond, ...) do {					\
	uint64_t _end = t_now_ms() + T_HANG_MS;				\
									\
	while (!(cond)) {						\
		if (t_now_ms() > _end)					\
			T_FAIL(__VA_ARGS__);				\
		t_msleep(1);						\
	}								\
} while (0)
pid_t t_gettid(void);
/* is thread @tid (of any process) asleep (state S) in system call nr1 or nr2? */
bool t_task_asleep_in(pid_t tid, long nr1, long nr2);
/* wait until it is (T_FAIL after T_HANG_MS, naming @what) */
void t_wait_asleep_in(pid_t tid, long nr1, long nr2, const char *what);
void t_fill_random(void *buf, size_t len, uint64_t seed);
/* fill and free mb MiB of memory, so that the next kernel allocations
 * likely get recycled, non-zero pages */
void t_dirty_free_memory(size_t mb);

/* ---- userfaultfd ---- */

/* an anonymous region of len bytes whose missing pages wait on the returned
 * uffd (non-blocking): the uffd, or -errno */
int t_uffd_region(void **out, size_t len);
/* wait up to timeout_ms for a page fault on the uffd: 1 and its address, or
 * 0 on timeout */
int t_uffd_wait_fault(int uffd, int timeout_ms, uint64_t *addr);

/* ---- sysfs (native: the in-process device's attributes, same names) ---- */

/* raw: bytes read (trailing newline kept) or -errno */
int t_read_file(const char *path, char *buf, size_t len);
/* write all of s in one write(): 0 or -errno */
int t_write_file(const char *path, const char *s);
bool t_exists(const char *path);
/* /sys/class/uacce/uaN/attr; t_attr_str strips the trailing newline */
int t_attr_str(int ua, const char *attr, char *buf, size_t len);
long long t_attr_ll(int ua, const char *attr);	/* T_FAIL if absent/garbage */
bool t_attr_exists(int ua, const char *attr);
int t_attr_write(int ua, const char *attr, const char *s);

/* ---- wd_soft instances ---- */

#define T_BUS "/sys/bus/wd_soft"
struct t_inst {
	int id;		/* wd_soft ID */
	int ua;		/* N of /dev/uaN */
};
/*
 * create an instance with a free ID of this program, opts like
 * "mode=pasid" (new_device's keys; natively also the in-process device's
 * spin_ns=, ops=, sva_copy=, which the kernel rejects). Natively ua is the
 * ID, and t_dev_path() is "local/ID".
 */
struct t_inst t_inst_create(const char *opts);
int t_inst_new_raw(const char *s);	/* write new_device: 0 or -errno */
int t_inst_del_raw(const char *s);	/* write del_device: 0 or -errno */
void t_inst_delete(struct t_inst *in);
int t_inst_ua(int id);			/* uaN of instance id, -1 if none */
/*
 * debugfs hold of instance @id: while on, its engines take no SQE from any
 * queue (the request executing finishes); T_FAIL when the file is missing
 */
void t_hold(int id, bool on);
/* one write of @val ("0", "1") to that hold file, as is: 0 or -errno */
int t_hold_write(int id, const char *val);
int t_free_id(void);			/* a free ID of this program */
bool t_inst_exists(int id);
int t_count_dir(const char *path);	/* entries, -1 if absent */
/* modules: /sys/module/NAME exists; insmod of /lib/modules/wd/NAME.ko */
#define T_KO_DIR "/lib/modules/wd"
bool t_mod_loaded(const char *name);
/* tasks (processes, kernel threads) named @comm: how many, and the first's
 * pid in *pid when not NULL (0 if none) */
int t_tasks_named(const char *comm, int *pid);
int t_insmod(const char *name, const char *params);	/* 0 or -errno */
/* debugfs fail_next of instance @id: the next n requests fail (DEV_ERR) */
void t_fail_next(int id, int n);
long long t_get_fail_next(int id);	/* injected failures still to come */
/* debugfs file @name of instance @id as a number ("ctx_bytes"; natively
 * the in-process device's file of that name); T_FAIL if absent/garbage */
long long t_debugfs_ll(int id, const char *name);
/* one write of @val to that fail_next file, as is: 0 or -errno */
int t_fail_next_write(int id, const char *val);
bool t_wd_soft_loaded(void);
/* the state letter of task (or thread) @tid in /proc (R, S, D, ...), '?' if gone */
char t_task_state(pid_t tid);

/* ---- queues and the wd_soft_v3 ring ---- */

struct t_q {
	int fd;
	int ua;
	unsigned int flags;		/* sysfs flags of the device */
	void *mmio_map, *dus_map;
	size_t mmio_size, dus_size;
	volatile struct wd_soft_mmio *mmio;
	volatile struct wd_soft_dus_hdr *hdr;
	struct wd_soft_sqe *sq;
	volatile struct wd_soft_cqe *cq;
	uint32_t depth;
	uint32_t sq_tail;		/* SQEs written (t_q_push) */
	uint32_t sq_pub;		/* of which phase-published */
	uint32_t cq_head;
	void *ss;
	size_t ss_size, ss_used;
	uint64_t ss_dma;		/* NOIOMMU */
};

char *t_dev_path(int ua, char *buf);	/* "/dev/uaN" (buf: 32 bytes) */
/*
 * A queue's fd or -errno. Natively the fd is a descriptor of /dev/null
 * that names the in-process queue: close() (wrapped at link time) closes
 * the queue, t_q_cmd()/t_q_poll() work on it; mmap, ioctl and poll of the
 * fd itself are the kernel's only (T_NEED_KERNEL).
 */
int t_open_raw(int ua);
void t_q_open(struct t_q *q, int ua);	/* open /dev/uaN */
void t_q_map(struct t_q *q);		/* map MMIO + DUS, check the header */
void *t_q_map_ss(struct t_q *q, size_t size); /* NOIOMMU: also GET_SS_DMA */
void t_q_start(struct t_q *q);
void t_q_setup(struct t_q *q, int ua);	/* open + map + start */
void t_q_unmap(struct t_q *q);
void t_q_close(struct t_q *q);		/* unmap + close */
/* bump-allocate len bytes (64-aligned) from SS; NULL if it doesn't fit */
void *t_q_ss_alloc(struct t_q *q, size_t len);
/* address the device takes for p: VA, or DMA inside SS for NOIOMMU */
uint64_t t_q_addr(struct t_q *q, const void *p);
/* WD_SOFT_PHASE(i) for the queue's depth */
uint32_t t_q_phase(struct t_q *q, uint32_t i);
/* write SQE @i, every field but its phase (the device cannot take it) */
void t_q_sqe_write(struct t_q *q, uint32_t i, const struct wd_soft_sqe *sqe);
/* store @phase in SQE @i (release): any value, hostile tests' too */
void t_q_sqe_phase(struct t_q *q, uint32_t i, uint32_t phase);
/* CQE @i carries its valid phase (acquire: read it after this) */
bool t_q_cqe_ready(struct t_q *q, uint32_t i);
/* copy CQE @i, every field (the phase too) */
void t_q_cqe_read(struct t_q *q, uint32_t i, struct wd_soft_cqe *cqe);
/* write the next SQE without its phase (sq_tail++): not yet published */
void t_q_push(struct t_q *q, const struct wd_soft_sqe *sqe);
/* t_q_push() without the check that the CQ has room (hostile tests) */
void t_q_push_over(struct t_q *q, const struct wd_soft_sqe *sqe);
/* push NOPs up to depth in flight, publish, wait until all are posted:
 * the CQ is full, nothing consumed (the device's next take reads cq_head) */
void t_q_fill_cq(struct t_q *q);
/*
 * Make the queue BROKEN (WD_SOFT_QERR_CQ_HEAD) with no CQE left to
 * collect: t_q_fill_cq(), take every CQE, store a cq_head beyond cq_tail,
 * publish one more NOP: the device's cached cq_head says the CQ is full,
 * so it reads cq_head before taking it. Waits until BROKEN.
 */
void t_q_break_cq_head(struct t_q *q);
/* store the phases of the pushed SQEs, in order (release), no KICK */
void t_q_publish_phases(struct t_q *q);
/* t_q_publish_phases(), full barrier, KICK if NEED_WAKEUP */
void t_q_publish(struct t_q *q);
void t_q_kick(struct t_q *q);
/*
 * A queue ioctl on either host: UACCE_CMD_START_Q, UACCE_CMD_PUT_Q,
 * UACCE_CMD_GET_SS_DMA (arg: a uint64_t pointer), UACCE_CMD_SHARE_SVAS
 * (arg: the owner queue's fd, on both hosts; or t_q_share()),
 * WD_SOFT_CMD_KICK: 0 or -errno
 */
int t_q_cmd(struct t_q *q, unsigned long cmd, unsigned long arg);
/* t_q_cmd() must succeed, or fail with -err */
#define T_CMD_OK(q, cmd, arg) do {					\
	int _r = t_q_cmd(q, cmd, (unsigned long)(arg));			\
	if (_r)								\
		T_FAIL("%s on %s failed: %s", #cmd, #q, t_errname(-_r)); \
} while (0)
#define T_CMD_ERR(q, cmd, arg, err) do {				\
	int _r = t_q_cmd(q, cmd, (unsigned long)(arg));			\
	if (_r != -(err))						\
		T_FAIL("%s on %s: %s, expected %s", #cmd, #q,		\
		       _r ? t_errname(-_r) : "success", t_errname(err)); \
} while (0)
/* UACCE_CMD_SHARE_SVAS: @q's device reaches @owner's SS: 0 or -errno */
int t_q_share(struct t_q *q, struct t_q *owner);
/*
 * mmap of region @qfrt (UACCE_QFRT_*) of the queue, @size bytes, @prot, on
 * either host: 0 and the address in *addr, or -errno. Natively through
 * wd_ctl.h: the in-process regions are read-write memory whatever @prot
 * says, and they go with the queue (unmapping them is the kernel's only).
 */
int t_q_mmap(struct t_q *q, int qfrt, size_t size, int prot, void **addr);
/* wait for the queue to be readable (poll POLLIN): 1, 0 on timeout,
 * -errno (-ENODEV: device removed) */
int t_q_poll(struct t_q *q, int timeout_ms);
/*
 * poll(POLLIN) of the queue with its revents: POLLIN (a CQE to collect),
 * POLLERR (BROKEN, or not the owner), POLLHUP|POLLERR (device removed);
 * 1, 0 on timeout, -errno. Natively the in-process wait, revents by the
 * kernel's rules (uacce_fops_poll, wd_soft_poll).
 */
int t_q_poll_ev(struct t_q *q, int timeout_ms, short *revents);
/* is thread @tid asleep in t_q_poll()/t_q_poll_ev()? (the kernel: in
 * poll()/ppoll(); in-process: in the queue's futex wait) */
bool t_task_asleep_in_poll(pid_t tid);
void t_wait_asleep_in_poll(pid_t tid, const char *what);	/* T_FAIL: hang */
/* region @qfrt of the queue, read-write, on either host (the kernel: mmap
 * of q->fd): MAP_FAILED and errno on failure; undone by t_q_unmap() of
 * the t_q whose mmio_map/dus_map/ss it is stored in, or by close */
void *t_q_region(struct t_q *q, int qfrt, size_t size);
/* 1: got a CQE; 0: timeout; -EIO: queue BROKEN */
/*
 * Take the next CQE (all its fields) if its phase says it is posted and
 * publish cq_head: 1, 0 if none,
 * -ERANGE if the header's cq_tail is beyond the ring. No KICK: see
 * t_q_kick_due().
 */
int t_q_take(struct t_q *q, struct wd_soft_cqe *cqe);
/* the device parked the queue (NEED_WAKEUP) with SQEs it has not taken */
bool t_q_kick_due(struct t_q *q);
int t_q_reap(struct t_q *q, struct wd_soft_cqe *cqe, int timeout_ms);
void t_q_wait(struct t_q *q, struct wd_soft_cqe *cqe);	/* T_FAIL on timeout */
/* submit one request and wait for its completion */
struct wd_soft_cqe t_q_run(struct t_q *q, const struct wd_soft_sqe *sqe);
/* resynchronise the local indices with the device's after PUT_Q/START_Q */
void t_q_resync(struct t_q *q);
/* START_Q on a queue in INIT after PUT_Q, then resync (wd_soft resets
 * every index, cq_head included, to 0 and zeroes both rings at START_Q) */
void t_q_start_again(struct t_q *q);
/* PUT_Q + t_q_start_again() */
void t_q_restart(struct t_q *q);
uint32_t t_q_hdr_sq_head(struct t_q *q);
uint32_t t_q_hdr_cq_tail(struct t_q *q);
uint32_t t_q_status(struct t_q *q);

/* a COPY of len bytes, checked against the source with memcmp */
void t_q_copy_check(struct t_q *q, void *src, void *dst, size_t len);
struct wd_soft_sqe t_sqe_copy(struct t_q *q, const void *src, const void *dst,
			      uint32_t src_len, uint32_t dst_len);
struct wd_soft_sqe t_sqe_nop(uint64_t user_data);

/* region helpers */
void *t_mmap_region(int fd, int qfrt, size_t len, int prot); /* MAP_FAILED on error */
size_t t_region_size(int ua, int qfrt);		/* from sysfs, 0: absent */
long long t_ss_max(int ua);			/* region_ss_max_size or -1 */

/* ---- the runner's (t-sys.c) ---- */

extern const char *t_prog;
void t_sys_init(void);		/* take this program's instance IDs */
void t_sys_cleanup(void);	/* delete every instance of the range */

#endif
