// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * mem.c: how an engine reaches the buffers a request names.
 *
 *  sva      addresses are the process's own. The engine copies with a
 *           guarded copy: an access the process itself could not make
 *           (unmapped, PROT_NONE, a read-only destination, beyond the end
 *           of a mapped file, non-canonical) raises SIGSEGV or SIGBUS in
 *           the engine thread; our handler sees that the thread is inside
 *           a guarded copy and siglongjmp()s out, and the request fails
 *           with WD_SOFT_S_BAD_ADDR. No system call per access: the guard
 *           is a thread-local pointer, sigsetjmp() does not save the mask
 *           (SA_NODEFER keeps the signal unblocked in the handler, so
 *           there is no mask to restore).
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
 * The handler is installed once (first wdl_dev_create()) for SIGSEGV and
 * SIGBUS and chains to the handler it replaced for every other fault: a
 * fault outside a guarded copy, or in a thread that is not in one, is
 * handled exactly as without us (the default action: a core dump). A
 * signal sent with kill()/tgkill() (si_code <= 0) is never taken for a
 * fault. wdl_queue_start() of an SVA queue re-installs the handler if the
 * application replaced it since (chaining to the application's).
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>

#include "wdl_internal.h"

/* the current engine thread's guard, or NULL outside a guarded copy */
static __thread sigjmp_buf *volatile wdl_guard
	__attribute__((tls_model("initial-exec")));

static struct sigaction wdl_old_segv, wdl_old_bus;

static void wdl_fault(int sig, siginfo_t *si, void *uc);

/* Hand a fault that is not ours to whoever had it before us. */
static void wdl_chain(int sig, siginfo_t *si, void *uc)
{
	const struct sigaction *old = sig == SIGSEGV ? &wdl_old_segv :
						       &wdl_old_bus;

	if ((old->sa_flags & SA_SIGINFO) && old->sa_sigaction) {
		old->sa_sigaction(sig, si, uc);
		return;
	}
	if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN) {
		old->sa_handler(sig);
		return;
	}
	/*
	 * Default action (an ignored fault cannot be ignored either): put
	 * it back; returning re-executes the faulting instruction, and a
	 * signal that was sent is raised again.
	 */
	signal(sig, SIG_DFL);
	if (si->si_code <= 0)
		raise(sig);
}

static void wdl_fault(int sig, siginfo_t *si, void *uc)
{
	sigjmp_buf *env = wdl_guard;

	if (env && si->si_code > 0) {
		wdl_guard = NULL;
		siglongjmp(*env, 1);
	}
	wdl_chain(sig, si, uc);
}

static int wdl_install(int sig, struct sigaction *old)
{
	struct sigaction sa, cur;

	if (sigaction(sig, NULL, &cur))
		return -errno;
	if ((cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == wdl_fault)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = wdl_fault;
	sigemptyset(&sa.sa_mask);
	/* NODEFER: nothing to unblock after the siglongjmp() */
	sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
	*old = cur;
	if (sigaction(sig, &sa, NULL))
		return -errno;
	return 0;
}

/**
 * wdl_mem_init() - install the fault handler (again, if it was replaced)
 *
 * Called with wdl_lock held.
 *
 * Return: 0 or -errno.
 */
int wdl_mem_init(void)
{
	int ret;

	ret = wdl_install(SIGSEGV, &wdl_old_segv);
	if (!ret)
		ret = wdl_install(SIGBUS, &wdl_old_bus);
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

/**
 * wdl_guarded_copy() - copy in the engine thread, surviving a bad address
 * @dst: destination
 * @src: source
 * @len: bytes
 *
 * Return: 0, or -EFAULT when the copy faulted (part of @dst may be
 * written).
 */
int wdl_guarded_copy(void *dst, const void *src, size_t len)
{
	sigjmp_buf env;

	if (sigsetjmp(env, 0)) {
		atomic_signal_fence(memory_order_seq_cst);
		return -EFAULT;
	}
	wdl_guard = &env;
	atomic_signal_fence(memory_order_seq_cst);
	wdl_copy_raw(dst, src, len);
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
	u64 base, off;
	u8 *p;

	if (!ss)
		return -EFAULT;
	base = ctx->q->dev->cfg.mode == WDL_MODE_NOIOMMU ?
	       ss->dma : (u64)(uintptr_t)ss->addr;
	if (addr < base)
		return -EFAULT;
	off = addr - base;
	if (off > ss->size || len > ss->size - off)
		return -EFAULT;
	p = (u8 *)ss->addr + off;
	if (write)
		memcpy(p, buf, len);
	else
		memcpy(buf, p, len);
	return len;
}

static long wdl_mem_access(struct wd_soft_core_ctx *core, void *buf, u64 addr,
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
	if (write ? wdl_guarded_copy(p, buf, len) :
		    wdl_guarded_copy(buf, p, len))
		return -EFAULT;
	return len;
}

long wd_soft_host_read(struct wd_soft_core_ctx *ctx, void *buf, u64 addr,
		       u32 len)
{
	return wdl_mem_access(ctx, buf, addr, len, false);
}

long wd_soft_host_write(struct wd_soft_core_ctx *ctx, u64 addr,
			const void *buf, u32 len)
{
	return wdl_mem_access(ctx, (void *)buf, addr, len, true);
}
