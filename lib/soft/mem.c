// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * mem.c: how an engine reaches the buffers a request names.
 *
 *  sva      addresses are the process's own, reached in one of two ways
 *           (struct wdl_config.sva_copy):
 *
 *           kernel  (the default) the kernel copies: process_vm_writev()
 *                   or process_vm_readv() on the process itself, with the
 *                   request's memory on the "local" side, which the kernel
 *                   reads or writes as this thread would (copy_from_user,
 *                   copy_to_user) and the engine's bounce buffer on the
 *                   pinned "remote" side. An access the process itself
 *                   could not make (unmapped, PROT_NONE, a read-only
 *                   destination, beyond the end of a mapped file, kernel,
 *                   non-canonical) is a short copy, never a signal: the
 *                   request fails with WD_SOFT_S_BAD_ADDR. One system call
 *                   per chunk (up to 64 KiB). No signal handler; the
 *                   engine threads block every signal.
 *           signal  (opt-in) a guarded copy: an access the process could
 *                   not make raises SIGSEGV or SIGBUS in the engine
 *                   thread; our handler sees that the thread is inside a
 *                   guarded copy and siglongjmp()s out, and the request
 *                   fails with WD_SOFT_S_BAD_ADDR. No system call per
 *                   access: the guard is a thread-local pointer and
 *                   sigsetjmp() does not save the mask (the rare jump puts
 *                   the engine's mask back itself).
 *  pasid    only the queue's SS region (its own or the one shared to it),
 *           at the addresses where it is mapped: a range check, then
 *           memcpy().
 *  noiommu  fake bus addresses: the SS region's bus range
 *           [dma, dma + size), range-checked, then memcpy() at the
 *           matching offset of the region.
 *
 * Anything else fails the request with WD_SOFT_S_BAD_ADDR; no other
 * memory is touched.
 *
 * In place (wd_soft_host_map(), as DMA would): in every mode, a range
 * entirely inside the queue's SS region (its own or the one shared to it;
 * the same range check as the copy's) is handed to the core as it is
 * mapped here, and the core copies, hashes or writes there directly. The
 * region is the library's mapping, referenced by the queue until it is
 * closed (after its engine let go), so it stays valid for the request.
 * Anything else is left to the copy (map answers 0): sva memory outside
 * SS may be unmapped or protected by another thread at any moment, which
 * only the kernel's copy survives, and the signal guard covers the guarded
 * copy's own instructions, not the core's use of a pointer afterwards.
 * Nothing to undo at unmap. The engines count the bytes of each path
 * (struct wd_soft_core_engine mapped, copied: the attributes bytes_mapped
 * and bytes_copied).
 *
 * The rest of this comment is about the signal mode only; nothing below
 * runs for the other devices, whose engines block every signal.
 *
 * The signals. Our handler takes the place of the application's action
 * for SIGSEGV and SIGBUS (the first signal-mode device's creation; again
 * at its SVA queues' start if the application replaced it since), and
 * everything that is not an engine's fault must reach the application as
 * if we were not there. So the action we install is the application's
 * own, flags and mask (with SA_SIGINFO, and SA_RESETHAND left to us): the
 * kernel delivers on the stack, with the mask and the system call restarts
 * the application's action would have had. Then, the application's action
 * kept aside:
 *
 *  - a fault in an engine thread's guarded copy: back to the copy, the
 *    request fails;
 *  - SIG_IGN: a sent signal is dropped; a fault is not ignorable (the
 *    kernel kills for it), so it is SIG_DFL's;
 *  - SIG_DFL: the action becomes SIG_DFL for real and the signal happens
 *    again under it: a fault by returning (the instruction runs again), a
 *    sent signal re-queued to this thread with its siginfo. The process
 *    dies (and dumps core) as it would have;
 *  - a handler: called as the kernel would (mask and stack are already the
 *    action's); SA_RESETHAND makes the action SIG_DFL first, once: a
 *    delivery already on its way meanwhile is SIG_DFL's.
 *
 * A sent signal (kill(), sigqueue(): si_code <= 0) is never taken for a
 * fault. Signal-mode engine threads block every asynchronous signal but
 * cannot block SIGSEGV and SIGBUS (a blocked fault kills), so one sent to
 * the process lands on such an engine when the application's threads all
 * block it (a sigwaitinfo() design). The engine hands it on: it blocks the
 * signal itself and sends it to the process again (rt_sigqueueinfo()
 * keeps a sigqueue()'s siginfo; a kill()'s sender becomes the process, as
 * the kernel lets only the sender itself claim SI_USER). While it blocks
 * one, a fault on it would kill, so its copies are the kernel's (above)
 * until the signal was taken; then it unblocks it.
 *
 * What the application can still tell: sigaction() shows our handler; an
 * ignored signal sent to it interrupts a system call that is never
 * restarted (poll(), nanosleep(), ...) with EINTR; an action the
 * application sets after the device exists replaces ours until the next
 * SVA queue start (so does the SIG_DFL an SA_RESETHAND leaves); exec()
 * resets our handler to SIG_DFL where the application had SIG_IGN.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <ucontext.h>
#include <unistd.h>

#include "wdl_internal.h"

/*
 * Thread-local, initial-exec (async-signal-safe to read): the current
 * engine thread's guard, or NULL outside a guarded copy; whether this is
 * a signal-mode engine thread; the signals (WDL_SIGBIT) it blocks since it
 * handed them on; the process ID, for the kernel's copy (engine threads
 * only: getpid() is a system call).
 */
static __thread sigjmp_buf *volatile wdl_guard
	__attribute__((tls_model("initial-exec")));
static __thread bool wdl_is_engine
	__attribute__((tls_model("initial-exec")));
static __thread int wdl_deferred
	__attribute__((tls_model("initial-exec")));
static __thread pid_t wdl_pid
	__attribute__((tls_model("initial-exec")));

#define WDL_SIGBIT(sig)	((sig) == SIGSEGV ? 1 : 2)

/*
 * The application's action for SIGSEGV and SIGBUS, as it was when ours
 * took its place: published with a release store before ours is
 * installed, never changed (but @fired) nor freed, so that the handler
 * reads it without a lock. Each is made under wdl_lock and kept on a list
 * (for LeakSanitizer); a new one only when the application changed its
 * action.
 */
struct wdl_app_action {
	struct sigaction sa;
	atomic_bool fired;		/* SA_RESETHAND: its one delivery */
	struct wdl_app_action *next;
};

static struct wdl_app_action *_Atomic wdl_app[2];	/* SIGSEGV, SIGBUS */
static struct wdl_app_action *wdl_app_all;

static void wdl_fault(int sig, siginfo_t *si, void *uc);

static int wdl_sigidx(int sig)
{
	return sig == SIGBUS;
}

static struct wdl_app_action *wdl_app_action(int sig)
{
	return atomic_load_explicit(&wdl_app[wdl_sigidx(sig)],
				    memory_order_acquire);
}

/* a signal-mode engine's mask */
static void wdl_signal_engine_mask(sigset_t *set)
{
	/*
	 * Engines take no process-directed signal; the synchronous ones stay
	 * open (a blocked SIGSEGV from a fault would kill the process
	 * instead of reaching the guarded copy).
	 */
	sigfillset(set);
	sigdelset(set, SIGSEGV);
	sigdelset(set, SIGBUS);
	sigdelset(set, SIGFPE);
	sigdelset(set, SIGILL);
	sigdelset(set, SIGTRAP);
}

void wdl_engine_sigmask(const struct wdl_dev *dev, sigset_t *set)
{
	/*
	 * The others never fault on request data, so they block every
	 * signal, SIGSEGV and SIGBUS included: a signal sent to the process
	 * is never delivered to one (it waits for the application's
	 * threads, as without us). A fault in an engine's own code (a bug)
	 * then kills the process by the default action, past any handler.
	 */
	if (wdl_sva_signal(&dev->cfg))
		wdl_signal_engine_mask(set);
	else
		sigfillset(set);
}

void wdl_mem_engine_thread(const struct wdl_dev *dev)
{
	wdl_pid = getpid();
	wdl_is_engine = wdl_sva_signal(&dev->cfg);
}

/* the engine's mask again, after a jump out of a handler that changed it */
static void wdl_engine_remask(void)
{
	int d = __atomic_load_n(&wdl_deferred, __ATOMIC_RELAXED);
	sigset_t m;

	wdl_signal_engine_mask(&m);
	if (d & WDL_SIGBIT(SIGSEGV))
		sigaddset(&m, SIGSEGV);
	if (d & WDL_SIGBIT(SIGBUS))
		sigaddset(&m, SIGBUS);
	pthread_sigmask(SIG_SETMASK, &m, NULL);
}

/* raised by the faulting instruction, which runs again if we return */
static bool wdl_is_fault(int sig, const siginfo_t *si)
{
	/* BUS_MCEERR_AO: memory lost elsewhere, reported asynchronously */
	return si->si_code > 0 &&
	       !(sig == SIGBUS && si->si_code == BUS_MCEERR_AO);
}

/*
 * The application's action @a with SIG_DFL for its handler, as the kernel
 * leaves it after SA_RESETHAND or a fault it could not deliver: the
 * handler goes, the flags and the mask stay.
 */
static void wdl_set_default(int sig, const struct wdl_app_action *a)
{
	struct sigaction sa;

	if (a) {
		sa = a->sa;
	} else {
		memset(&sa, 0, sizeof(sa));
		sigemptyset(&sa.sa_mask);
	}
	sa.sa_handler = SIG_DFL;
	sigaction(sig, &sa, NULL);
}

/* The application's action is (or became) SIG_DFL: carry it out. */
static void wdl_default(int sig, siginfo_t *si, bool fault,
			const struct wdl_app_action *a)
{
	wdl_set_default(sig, a);
	if (fault)
		return;
	/*
	 * As it came, to this very thread (the only target the kernel
	 * accepts any siginfo for): delivered under SIG_DFL as we return,
	 * or at once under SA_NODEFER.
	 */
	if (syscall(SYS_rt_tgsigqueueinfo, getpid(), gettid(), sig, si))
		syscall(SYS_tgkill, getpid(), gettid(), sig);
}

/* Not an engine's fault: the application's action, as the kernel would. */
static void wdl_chain(int sig, siginfo_t *si, void *uc, int err)
{
	struct wdl_app_action *a = wdl_app_action(sig);
	bool fault = wdl_is_fault(sig, si);

	if (a && a->sa.sa_handler == SIG_IGN && !fault)
		return;
	if (!a || a->sa.sa_handler == SIG_DFL || a->sa.sa_handler == SIG_IGN ||
	    ((a->sa.sa_flags & SA_RESETHAND) &&
	     atomic_exchange(&a->fired, true))) {
		wdl_default(sig, si, fault, a);
		errno = err;
		return;
	}
	if (a->sa.sa_flags & SA_RESETHAND)
		wdl_set_default(sig, a);
	/* the application's handler sees what the code it interrupted saw */
	errno = err;
	if (a->sa.sa_flags & SA_SIGINFO)
		a->sa.sa_sigaction(sig, si, uc);
	else
		a->sa.sa_handler(sig);
}

/*
 * A signal sent to the process landed on this engine thread: block it
 * here, now and after we return, and send it to the process again, where
 * the application's threads take it when they unblock it or wait for it.
 * @env: the guarded copy it interrupted, which then starts again.
 */
static void wdl_hand_on(int sig, siginfo_t *si, void *ucv, sigjmp_buf *env)
{
	struct wdl_app_action *a = wdl_app_action(sig);
	ucontext_t *uc = ucv;
	sigset_t one;

	/* ignored: the kernel would not even have queued it */
	if (a && a->sa.sa_handler == SIG_IGN)
		return;
	sigemptyset(&one);
	sigaddset(&one, sig);
	pthread_sigmask(SIG_BLOCK, &one, NULL);
	sigaddset(&uc->uc_sigmask, sig);
	__atomic_fetch_or(&wdl_deferred, WDL_SIGBIT(sig), __ATOMIC_RELAXED);
	if (si->si_code >= 0 || si->si_code == SI_TKILL ||
	    syscall(SYS_rt_sigqueueinfo, getpid(), sig, si))
		kill(getpid(), sig);
	if (env) {
		wdl_guard = NULL;
		wdl_engine_remask();
		siglongjmp(*env, 2);
	}
}

static void wdl_fault(int sig, siginfo_t *si, void *uc)
{
	sigjmp_buf *env = wdl_guard;
	bool fault = wdl_is_fault(sig, si);
	int err = errno;

	if (env && fault) {
		/* the engine's own: the delivery may have masked signals */
		wdl_guard = NULL;
		wdl_engine_remask();
		siglongjmp(*env, 1);
	}
	if (wdl_is_engine && !fault) {
		wdl_hand_on(sig, si, uc, env);
		errno = err;
	} else {
		wdl_chain(sig, si, uc, err);
	}
}

static bool wdl_is_ours(const struct sigaction *sa)
{
	return (sa->sa_flags & SA_SIGINFO) && sa->sa_sigaction == wdl_fault;
}

static bool wdl_same_action(const struct sigaction *a,
			    const struct sigaction *b)
{
	if (a->sa_handler != b->sa_handler || a->sa_flags != b->sa_flags)
		return false;
	for (int s = 1; s < NSIG; s++)
		if (sigismember(&a->sa_mask, s) != sigismember(&b->sa_mask, s))
			return false;
	return true;
}

/* ours, for the application's action @app */
static void wdl_ours_for(const struct sigaction *app, struct sigaction *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sa_sigaction = wdl_fault;
	if (app->sa_handler == SIG_DFL || app->sa_handler == SIG_IGN) {
		/* no code of the application's runs: restart what we cut */
		sigemptyset(&sa->sa_mask);
		sa->sa_flags = SA_SIGINFO | SA_RESTART;
		return;
	}
	sa->sa_mask = app->sa_mask;
	sa->sa_flags = (app->sa_flags & ~SA_RESETHAND) | SA_SIGINFO;
}

static int wdl_install(int sig)
{
	struct wdl_app_action *_Atomic *slot = &wdl_app[wdl_sigidx(sig)];
	struct sigaction cur, prev, sa;
	struct wdl_app_action *a;

	memset(&cur, 0, sizeof(cur));
	if (sigaction(sig, NULL, &cur))
		return -errno;
	while (!wdl_is_ours(&cur)) {
		a = atomic_load_explicit(slot, memory_order_relaxed);
		if (!a || !wdl_same_action(&a->sa, &cur) ||
		    atomic_load(&a->fired)) {
			a = calloc(1, sizeof(*a));
			if (!a)
				return -ENOMEM;
			a->sa = cur;
			a->next = wdl_app_all;
			wdl_app_all = a;
			/* before ours can run */
			atomic_store_explicit(slot, a, memory_order_release);
		}
		wdl_ours_for(&cur, &sa);
		memset(&prev, 0, sizeof(prev));
		if (sigaction(sig, &sa, &prev))
			return -errno;
		if (wdl_same_action(&prev, &cur))
			break;
		/* changed between the two calls: stand in for the new one */
		cur = prev;
	}
	return 0;
}

/*
 * The kernel's copy of @len bytes between the request's memory @app and
 * the engine's buffer @buf (to @app when @write), by process @pid: @app
 * is the "local" side, which the kernel reads (process_vm_writev) or
 * writes (process_vm_readv) as the calling thread would, reporting an
 * address it could not read (or write) by a short count instead of a
 * signal; @buf is the "remote" side, which it pins. The system call
 * itself: libc's wrapper is intercepted by the sanitizers, which would
 * judge the addresses.
 *
 * Return: bytes copied, or -errno.
 */
static long wdl_vm_copy(pid_t pid, void *app, void *buf, size_t len,
			bool write)
{
	struct iovec a = { app, len }, b = { buf, len };
	long n = syscall(write ? SYS_process_vm_readv : SYS_process_vm_writev,
			 (long)pid, &a, 1ul, &b, 1ul, 0ul);

	return n < 0 ? -errno : n;
}

/* in an engine thread: 0, or -EFAULT (part of a destination may be written) */
static int wdl_kernel_copy(void *app, void *buf, size_t len, bool write)
{
	return wdl_vm_copy(wdl_pid, app, buf, len, write) == (long)len ?
	       0 : -EFAULT;
}

/**
 * wdl_mem_init() - what a new device (or an SVA queue's start) needs
 * @cfg: the device's configuration
 *
 * Signal mode: install the fault handler (again, if it was replaced).
 * Kernel mode: check that the kernel's copy is allowed here (a seccomp
 * filter may refuse process_vm_readv/writev), so that the device is
 * refused at once instead of failing every request with BAD_ADDR.
 * Nothing for the other modes. Called with wdl_lock held.
 *
 * Return: 0 or -errno.
 */
int wdl_mem_init(const struct wdl_config *cfg)
{
	char a = 1, b = 0;
	long n;
	int ret;

	if (cfg->mode != WDL_MODE_SVA)
		return 0;
	if (cfg->sva_copy == WDL_SVA_COPY_KERNEL) {
		n = wdl_vm_copy(getpid(), &a, &b, 1, false);
		if (n == 1)
			n = wdl_vm_copy(getpid(), &a, &b, 1, true);
		return n == 1 ? 0 : n < 0 ? (int)n : -EFAULT;
	}
	ret = wdl_install(SIGSEGV);
	if (!ret)
		ret = wdl_install(SIGBUS);
	return ret;
}

/*
 * The copy itself: not instrumented by the sanitizers (an SVA request may
 * name any address of the process, which is for the fault to judge, not
 * for ASan), and one instruction on x86-64.
 */
__attribute__((noinline, no_sanitize_address, no_sanitize("undefined")))
static void wdl_copy_raw(void *dst, const void *src, size_t len)
{
#if defined(__x86_64__)
	__asm__ __volatile__("rep movsb"
			     : "+D"(dst), "+S"(src), "+c"(len)
			     :
			     : "memory");
#else
	volatile unsigned char *d = dst;
	const volatile unsigned char *s = src;

	while (len--)
		*d++ = *s++;
#endif
}

/*
 * Before each batch: unblock the signals this engine handed on that the
 * process took since (one sigpending() per batch, only while it blocks
 * one).
 */
void wdl_mem_undefer(void)
{
	int d = __atomic_load_n(&wdl_deferred, __ATOMIC_RELAXED), done = 0;
	sigset_t pend, un;

	if (!d)
		return;
	sigpending(&pend);
	sigemptyset(&un);
	if ((d & WDL_SIGBIT(SIGSEGV)) && !sigismember(&pend, SIGSEGV)) {
		done |= WDL_SIGBIT(SIGSEGV);
		sigaddset(&un, SIGSEGV);
	}
	if ((d & WDL_SIGBIT(SIGBUS)) && !sigismember(&pend, SIGBUS)) {
		done |= WDL_SIGBIT(SIGBUS);
		sigaddset(&un, SIGBUS);
	}
	if (done) {
		/* cleared first: once unblocked, it may be handed on again */
		__atomic_fetch_and(&wdl_deferred, ~done, __ATOMIC_RELAXED);
		pthread_sigmask(SIG_UNBLOCK, &un, NULL);
	}
}

/*
 * Signal mode: the copy in the engine thread, surviving a bad address;
 * arguments and result as wdl_kernel_copy(), whose copy it falls back on
 * while the engine blocks a signal it handed on (a fault would kill).
 */
static int wdl_guarded_copy(void *app, void *buf, size_t len, bool write)
{
	sigjmp_buf env;
	int r;

	if (__atomic_load_n(&wdl_deferred, __ATOMIC_RELAXED))
		return wdl_kernel_copy(app, buf, len, write);
	r = sigsetjmp(env, 0);
	if (r) {
		atomic_signal_fence(memory_order_seq_cst);
		/* 2: a signal handed on cut the copy short; again, safely */
		return r == 1 ? -EFAULT : wdl_kernel_copy(app, buf, len, write);
	}
	wdl_guard = &env;
	atomic_signal_fence(memory_order_seq_cst);
	if (write)
		wdl_copy_raw(app, buf, len);
	else
		wdl_copy_raw(buf, app, len);
	atomic_signal_fence(memory_order_seq_cst);
	wdl_guard = NULL;
	return 0;
}

/* Host interface: between two chunks of a long request. */
void wd_soft_host_yield(struct wd_soft_core_ctx *ctx)
{
	/* preemption does this for us; sched_yield() would be a syscall */
	(void)ctx;
}

static long wdl_ss_access(struct wdl_ctx *ctx, void *buf, u64 addr, u32 len,
			  bool write)
{
	struct wdl_ss *ss = atomic_load_explicit(&ctx->q->ss,
						 memory_order_acquire);
	u64 base;

	if (!ss)
		return -EFAULT;
	base = ctx->q->dev->cfg.mode == WDL_MODE_NOIOMMU ?
	       ss->dma : (u64)(uintptr_t)ss->addr;
	return wd_soft_core_region_copy(ss->addr, base, ss->size, buf, addr,
					len, write);
}

/* Host interface: one piece of request data, in the queue's memory model. */
long wd_soft_host_copy(struct wd_soft_core_ctx *core, void *buf, u64 addr,
		       u32 len, bool write)
{
	struct wdl_ctx *ctx = to_wdl_ctx(core);
	void *p;

	if (ctx->q->dev->cfg.mode != WDL_MODE_SVA)
		return wdl_ss_access(ctx, buf, addr, len, write);

	/* an address this host cannot even name */
	if (addr > UINTPTR_MAX || len > UINTPTR_MAX - addr)
		return -EFAULT;
	p = (void *)(uintptr_t)addr;
	if (wdl_sva_signal(&ctx->q->dev->cfg) ?
	    wdl_guarded_copy(p, buf, len, write) :
	    wdl_kernel_copy(p, buf, len, write))
		return -EFAULT;
	return len;
}

/*
 * Host interface: in place, inside the SS region only (see the top of this
 * file); 0 leaves the range to wd_soft_host_copy(), whose checks decide.
 */
long wd_soft_host_map(struct wd_soft_core_ctx *core, u64 addr, u64 len,
		      bool write, void **kaddr)
{
	struct wdl_ctx *ctx = to_wdl_ctx(core);
	struct wdl_ss *ss = atomic_load_explicit(&ctx->q->ss,
						 memory_order_acquire);
	u64 base;

	/* the region is read-write for every queue that may name it */
	(void)write;
	if (!ss)
		return 0;
	base = ctx->q->dev->cfg.mode == WDL_MODE_NOIOMMU ?
	       ss->dma : (u64)(uintptr_t)ss->addr;
	return wd_soft_core_region_map(ss->addr, base, ss->size, addr, len,
				       kaddr);
}

/* Host interface: nothing was pinned or mapped for the request. */
void wd_soft_host_unmap(struct wd_soft_core_ctx *core)
{
	(void)core;
}
