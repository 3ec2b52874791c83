/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * nt.h: the native tests of the in-process wd_soft host (lib/soft).
 *
 * A small framework in the style of tests/vm/t.h: every test runs in its
 * own forked child (own process group) with a timeout; a test passes when
 * its child exits 0. Output, one line per test:
 *
 *	PASS: <prog>.<test>
 *	FAIL: <prog>.<test>: reason (file:line)
 *	SKIP: <prog>.<test>: reason
 *
 * Usage: <prog> [-l] [test ...]   (no names: every test; -l: list them)
 * Exit status 0 when no test failed. <prog> is the program's name, so the
 * sanitizer builds (suffix -asan) report under their own names.
 *
 * Plus a minimal wd_soft_v1 ring driver over wd_soft_local.h (struct nq),
 * data generators, and references independent of the device's backends
 * (ref.c).
 */
#ifndef WD_TESTS_NATIVE_NT_H
#define WD_TESTS_NATIVE_NT_H

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

#include "ref.h"

#include "wd_soft_local.h"

/* ---- registration ---- */

typedef void (*nt_fn)(void);
void nt_register(const char *name, nt_fn fn, int timeout_s);

#define NT_TEST_TMO(name, tmo)						\
	static void name(void);						\
	__attribute__((constructor)) static void name##__reg(void)	\
	{ nt_register(#name, name, tmo); }				\
	static void name(void)
#define TEST(name) NT_TEST_TMO(name, 60)

/* ---- failing, skipping ---- */

void nt_fail_at(const char *file, int line, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 3, 4)));
void nt_skip(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));
/* an informational line (printed as "# ...", not counted) */
void nt_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *nt_errname(int err);
/* running under the sanitizers (ASan builds are slower: scale loads) */
extern const bool nt_sanitized;

#define FAIL(...) nt_fail_at(__FILE__, __LINE__, __VA_ARGS__)
#define ASSERT(c) do { if (!(c)) FAIL("assertion failed: %s", #c); } while (0)
#define ASSERT_MSG(c, ...) do { if (!(c)) FAIL(__VA_ARGS__); } while (0)
#define EQ(a, b) do {							\
	long long _a = (long long)(a), _b = (long long)(b);		\
	if (_a != _b)							\
		FAIL("%s is %lld, expected %lld (%s)", #a, _a, _b, #b);	\
} while (0)
#define EQ_HEX(a, b) do {						\
	unsigned long long _a = (unsigned long long)(a),		\
			   _b = (unsigned long long)(b);		\
	if (_a != _b)							\
		FAIL("%s is %#llx, expected %#llx (%s)", #a, _a, _b, #b); \
} while (0)
/* a wdl_* call returning 0 or -errno that must succeed */
#define OK(e) do {							\
	int _r = (int)(e);						\
	if (_r)								\
		FAIL("%s failed: %d (%s)", #e, _r, nt_errname(-_r));	\
} while (0)
/* a wdl_* call that must return -err */
#define ERR(e, err) do {						\
	int _r = (int)(e);						\
	if (_r != -(err))						\
		FAIL("%s returned %d (%s), expected -%s", #e, _r,	\
		     _r < 0 ? nt_errname(-_r) : "ok", nt_errname(err));	\
} while (0)
/* status of a CQE */
#define ST(c, s) do {							\
	unsigned int _s = (c).status;					\
	if (_s != (unsigned int)(s))					\
		FAIL("status %s, expected %s (%s)", nt_stname(_s),	\
		     nt_stname(s), #c);					\
} while (0)

const char *nt_stname(unsigned int status);

/* ---- misc ---- */

uint64_t nt_now_ns(void);
void nt_usleep(unsigned int us);

/*
 * Waiting for a state instead of sleeping "long enough". NT_HANG_MS only
 * tells a hang from a slow machine: a condition that must come comes
 * within it on any load.
 */
#define NT_HANG_MS	30000
#define NT_WAIT_UNTIL(cond, ...) do {					\
	uint64_t _end = nt_now_ns() + NT_HANG_MS * 1000000ull;		\
									\
	while (!(cond)) {						\
		if (nt_now_ns() > _end)					\
			FAIL(__VA_ARGS__);				\
		nt_usleep(200);						\
	}								\
} while (0)
pid_t nt_gettid(void);
/* is thread @tid of this process asleep (state S) in system call @nr? */
bool nt_task_asleep_in(pid_t tid, long nr);
/* wait until it is (FAIL after NT_HANG_MS, naming @what) */
void nt_wait_asleep_in(pid_t tid, long nr, const char *what);
/* the engine threads of @dev ("wdlD/E", lib/soft/engine.c): their tids */
int nt_engine_tids(struct wdl_dev *dev, pid_t *tids, int max);
/* every engine thread of @dev asleep in futex() (nothing to do, or held) */
bool nt_engines_asleep(struct wdl_dev *dev);

/*
 * userfaultfd: a hole of missing pages in the process's memory, which
 * arrive only when the test supplies them. An engine that touches one
 * (sva mode) waits in the fault, in the middle of its request, for as
 * long as the test wants: a state to act in, not a race.
 *
 * The hole catches the kernel's accesses too (the engines' default copy,
 * WDL_SVA_COPY_KERNEL) where this process may have such a userfaultfd
 * (privilege, or vm.unprivileged_userfaultfd = 1); else only user-mode
 * faults (UFFD_USER_MODE_ONLY), which only the signal mode's own copy
 * makes: nt_uffd_sva_copy() says which mode waits in it.
 */
struct nt_uffd {
	int fd;
	uint8_t *addr;
	size_t len;
	bool user_only;
};

/* make [addr, addr + len) (page aligned, private anonymous) a hole */
void nt_uffd_hole(struct nt_uffd *u, void *addr, size_t len);
/* wait for the next fault in the hole (FAIL after NT_HANG_MS): its address */
uint64_t nt_uffd_fault(struct nt_uffd *u);
/* supply the whole hole, every byte @c; the faulting thread goes on */
void nt_uffd_fill(struct nt_uffd *u, uint8_t c);
void nt_uffd_close(struct nt_uffd *u);
/* the sva_copy whose engines wait in @u's hole (and do not fail BAD_ADDR) */
enum wdl_sva_copy nt_uffd_sva_copy(const struct nt_uffd *u);
void *nt_xmalloc(size_t n);
void *nt_xzalloc(size_t n);
/* deterministic generators */
uint64_t nt_rand(uint64_t *state);
void nt_fill_random(void *buf, size_t len, uint64_t seed);
/* text-like data that compresses about 3:1 */
void nt_fill_text(void *buf, size_t len, uint64_t seed);
/* a temporary file holding data (unlinked at exit of the test): its path */
const char *nt_tmpfile(const void *data, size_t len, char *path, size_t size);
/* run a shell command with data on stdin; its stdout into a new buffer */
int nt_pipe_cmd(const char *cmd, const void *in, size_t in_len, void **out,
		size_t *out_len);

/* ---- devices and the ring ---- */

struct wdl_dev *nt_dev(enum wdl_mode mode, unsigned int queues,
		       unsigned int engines);
const char *nt_mode_name(enum wdl_mode mode);

struct nq {
	struct wdl_dev *dev;
	struct wdl_queue *q;
	enum wdl_mode mode;
	volatile struct wd_soft_mmio *mmio;
	volatile struct wd_soft_dus_hdr *hdr;
	struct wd_soft_sqe *sq;
	volatile struct wd_soft_cqe *cq;
	uint32_t sq_tail, cq_head;
	bool notify;			/* use WD_SOFT_CQN_* when waiting */
	uint64_t kicks, waits;		/* syscalls made (KICK, sleeps) */
	/* buffers: the SS region (all modes); sva also takes heap buffers */
	uint8_t *ss;
	size_t ss_size, ss_used;
	uint64_t ss_dma;
};

/* open (+ map), optionally SS of ss_size bytes, and start */
void nq_open(struct nq *q, struct wdl_dev *dev, size_t ss_size);
void nq_close(struct nq *q);
void nq_start(struct nq *q);		/* START_Q, indices back to 0 */
void nq_stop(struct nq *q);		/* PUT_Q */
/* len bytes (64-aligned) from SS; NULL when it does not fit */
void *nq_ss_alloc(struct nq *q, size_t len);
void nq_ss_reset(struct nq *q);
/* the device address of p (bus address inside SS for noiommu) */
uint64_t nq_addr(const struct nq *q, const void *p);
void nq_push(struct nq *q, const struct wd_soft_sqe *sqe);
void nq_publish(struct nq *q);		/* store sq_tail, KICK if NEED_WAKEUP */
/* 1: got a CQE; 0: timeout; -EIO: BROKEN; -ENODEV: dead */
int nq_reap(struct nq *q, struct wd_soft_cqe *cqe, int timeout_ms);
/* a CQE without sleeping: 1 or 0 */
int nq_try_reap(struct nq *q, struct wd_soft_cqe *cqe);
struct wd_soft_cqe nq_wait(struct nq *q);	/* FAIL after 20 s */
struct wd_soft_cqe nq_run(struct nq *q, const struct wd_soft_sqe *sqe);
uint32_t nq_status(const struct nq *q);
uint32_t nq_inflight(const struct nq *q);

struct wd_soft_sqe nq_sqe(uint16_t op, uint32_t params, uint64_t src,
			  uint32_t src_len, uint64_t dst, uint32_t dst_len);

/*
 * A request buffer in device-reachable memory (the heap in sva mode, else
 * the queue's SS region), flat or described by a scatter-gather list whose
 * pieces lie in memory in a shuffled order with gaps, plus zero-length
 * entries: tb_put()/tb_get() write and read its logical content.
 */
struct tbuf {
	struct nq *q;
	uint8_t *mem;
	size_t mem_size;
	size_t size;			/* logical bytes */
	bool sgl;
	struct wd_soft_sge *sge;	/* the list, in reachable memory */
	uint32_t nents;
	size_t *off;			/* offset in mem of each entry */
	bool heap;
};

void tb_alloc(struct nq *q, struct tbuf *b, size_t size, bool sgl,
	      uint64_t seed);
void tb_free(struct tbuf *b);
void tb_put(struct tbuf *b, const void *data, size_t n);
void tb_get(const struct tbuf *b, void *out, size_t n);
/* src / dst fields (and SGL flag) of an SQE */
void tb_src(const struct tbuf *b, struct wd_soft_sqe *sqe);
void tb_dst(const struct tbuf *b, struct wd_soft_sqe *sqe);

/* ---- references (ref.c), independent of the device's backends ---- */

/* CRC-32C: ref_crc32c() and ref_crc32c_raw(), tests/lib/ref.h */
/* SHA-256 by the sha256sum program */
void ref_sha256sum(const void *data, size_t len, uint8_t digest[32]);
/* gzip -dc on data: 0 and the output (malloc'd), or -1 */
int ref_gunzip(const void *data, size_t len, void **out, size_t *out_len);
/* gzip -N -c (a file with a name: FNAME set), output malloc'd */
void ref_gzip(const void *data, size_t len, int level, bool named, void **out,
	      size_t *out_len);
/* zlib: inflate a raw (-15) or zlib (15) stream into out (cap bytes) */
int ref_inflate(const void *in, size_t in_len, void *out, size_t cap,
		size_t *out_len, bool zlib_wrap);
/* zlib: deflate raw or zlib-wrapped at a level; output malloc'd */
void ref_deflate(const void *in, size_t in_len, int level, bool zlib_wrap,
		 void **out, size_t *out_len);

#endif
