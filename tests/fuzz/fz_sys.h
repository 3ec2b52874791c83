/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fz_sys.h: what the system-call fuzzer's two files share: fz_sys.c (the
 * workers, fork and kill, the controller, main) and fz_sys_ops.c (the
 * operations a worker does on its descriptors).
 */
#ifndef WD_TESTS_FUZZ_FZ_SYS_H
#define WD_TESTS_FUZZ_FZ_SYS_H

#include "t.h"

#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fz_vm.h"

#define NSLOT		3	/* controller devices: IDs t_id_base() + 0..2 */
#define MAX_WORKERS	16
#define NFD		12

/* shared between the controller and the workers (MAP_SHARED) */
struct shared {
	volatile int ua[NSLOT];		/* current /dev/uaN of each slot, -1 */
	volatile int stop;
	volatile unsigned long ops, unexpected, sigs, forks, kills, passed;
	volatile unsigned long opens, maps, ioctls_ok, removals, isolations;
	char first[512];		/* the first unexpected result */
};
extern struct shared *S;

/* ---- fz_sys.c ---- */

void unexpected(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void expect_errno(const char *what, int err, const int *ok);

/* guarded memory access: SIGSEGV/SIGBUS become a return value */
extern sigjmp_buf guard_env;
extern volatile sig_atomic_t in_guard;

#define CNT(x)	__atomic_fetch_add(&S->x, 1, __ATOMIC_RELAXED)

#define GUARDED(...) ({							\
	int __sig = sigsetjmp(guard_env, 1);				\
	if (!__sig) {							\
		in_guard = 1;						\
		__VA_ARGS__;						\
		in_guard = 0;						\
	} else {							\
		CNT(sigs);						\
	}								\
	__sig;								\
})

/* ---- a worker's table of descriptors ---- */

struct ent {
	int fd;
	bool mine;		/* opened by this process (it owns the queue) */
	pid_t owner;		/* the process that opened it */
	void *map[UACCE_QFRT_MAX];
	size_t len[UACCE_QFRT_MAX];
	uint32_t sq_tail;
};

extern struct ent E[NFD];
extern int my_sock, peer_socks[MAX_WORKERS], nworkers, me;
extern pid_t kids[8];

/* ---- fz_sys_ops.c ---- */

struct ent *pick(void);		/* a random open entry, or NULL */
void ent_drop(struct ent *e);	/* unmap and close it, make it free */
/* one random operation of each kind */
void do_open(void);
void do_mmap(void);
void do_munmap(void);
void do_mprotect(void);
void do_mremap(void);
void do_madvise(void);
void do_touch(void);
void do_ring(void);
void do_ioctl(void);
void do_poll(void);
void do_dup(void);
void do_close(void);
void do_sysfs(void);
void do_pass(void);		/* a descriptor to another worker */
void do_receive(void);		/* ... and from one */

#endif
