/* SPDX-License-Identifier: MIT */
/*
 * t_libwd.h: what the files of the t_libwd program share (one program, one
 * test list; tests/lib/Makefile names its sources). t_libwd.c says what the
 * program is and holds the memory modes and the request helpers; each
 * t_libwd_*.c holds one theme's tests.
 */
#ifndef WD_TESTS_LIB_T_LIBWD_H
#define WD_TESTS_LIB_T_LIBWD_H

#include "t.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "engines.h"
#include "ref.h"
#include "wd.h"

/* ---- memory modes (t_libwd.c) ---- */

extern char g_dev[WD_DEV_PATH_MAX];	/* the device of this test */
extern int g_id;			/* VM: its wd_soft instance */
extern uint32_t g_mode;			/* its WD_DEV_* mode */
extern const char *g_mode_name;

void other_dev(char *buf);
void use_mode(const char *name, uint32_t mode);

/* a test run once per memory mode */
#define MTEST(name)							\
	static void name(void);						\
	static void name##__sva(void) { use_mode("sva", WD_DEV_SVA); name(); } \
	static void name##__pasid(void) { use_mode("pasid", WD_DEV_PASID); name(); } \
	static void name##__noiommu(void) { use_mode("noiommu", WD_DEV_NOIOMMU); name(); } \
	__attribute__((constructor)) static void name##__reg(void)	\
	{								\
		t_register(#name ".sva", name##__sva, 120);		\
		t_register(#name ".pasid", name##__pasid, 120);	\
		t_register(#name ".noiommu", name##__noiommu, 120);	\
	}								\
	static void name(void)

void vm_only(void);
void native_only(void);

/* ---- helpers (t_libwd.c) ---- */

void dev_hold(struct wd_queue *q, int id, bool on);
void dev_engines_asleep(int id);

/* what a thread sleeping in wd_recv_sync() sleeps in */
#ifdef T_NATIVE
#define WAIT_NR1	SYS_futex	/* the in-process device's queue wait */
#define WAIT_NR2	SYS_futex
#else
#define WAIT_NR1	SYS_poll
#define WAIT_NR2	SYS_ppoll
#endif

int q_try(struct wd_queue *q, const char *alg, const char *dev);
void q_open_on(struct wd_queue *q, const char *alg, const char *dev);
void q_open(struct wd_queue *q, const char *alg);
void *q_mem(struct wd_queue *q, size_t size);
void run(struct wd_queue *q, void *req);
void fill_text(void *buf, size_t len, uint64_t seed);
int ref_inflate(const char *alg, const void *in, size_t len, void *out,
		size_t room, size_t *out_len);
size_t ref_deflate(const char *alg, int level, const void *in, size_t len,
		   void *out, size_t room);
uint32_t le32(const void *p);
void wait_exit0(pid_t pid, int ms, const char *what);

/* ---- the in-process device's engines (t_libwd_local.c) ---- */

#ifdef T_NATIVE
/* the engine threads of this process (engines.h) */
struct eng_thread {
	int tid;
	unsigned int dev, idx;
};

int eng_threads(struct eng_thread *e, int max, int *all);
int nr_engines(void);
void engines_asleep(void);
void local_copy_works(struct wd_queue *q);

/* ---- the application's signals (t_libwd_signal.c) ---- */

/* what the application's handler saw, one record per delivery */
struct sig_rec {
	int sig, code, pid, value;
	void *addr;
	bool reset;		/* the action was SIG_DFL while it ran */
	int act_flags;		/* ... and its flags */
	bool act_usr1;		/* ... and SIGUSR1 in its sa_mask */
	bool usr1, usr2, self;	/* blocked while it ran */
	bool altstack;		/* it ran on the alternate stack */
};

extern volatile int *volatile sig_bad_ptr;
extern int sig_rec_fd;
extern sigjmp_buf sig_env;
extern volatile sig_atomic_t sig_jump;

void sig_act(int sig, int flags, int masked);
void sig_bad_addrs(struct wd_queue *q);
unsigned long long proc_status_hex(pid_t tid, const char *name);

#define SIGBIT(s)	(1ull << ((s) - 1))
#endif

#endif
