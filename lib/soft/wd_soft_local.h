/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * wd_soft_local.h: the wd_soft device hosted in the calling process.
 *
 * The same engine core as the kernel module wd_soft.ko (engine/'s
 * WD_SOFT_CORE_SRCS) runs here in threads of the process, so a program
 * (libwd, the tests, the tools) can drive a wd_soft_v3 device with exactly
 * the ring code it uses for /dev/uaN, on any Linux machine, without the
 * kernel module. What uacce and wd_soft give a process through the
 * kernel, this API gives in-process:
 *
 *   kernel (uacce + wd_soft)              in-process (this header)
 *   new_device "ID mode= queues= engines=" wdl_dev_create()
 *   del_device (queues open or not)        wdl_dev_destroy()
 *   sysfs algorithms, flags, api, ...      wdl_dev_algorithms(), ...
 *   sysfs isolate, isolate_strategy        wdl_dev_isolated(), ..._strategy()
 *   debugfs fail_next                      wdl_dev_set_fail_next()
 *   debugfs hold                           wdl_dev_set_hold()
 *   open("/dev/uaN")                       wdl_queue_open()
 *   close(fd)                              wdl_queue_close()
 *   UACCE_CMD_START_Q / UACCE_CMD_PUT_Q    wdl_queue_start() / wdl_queue_stop()
 *   mmap MMIO / DUS                        wdl_queue_mmio() / wdl_queue_dus()
 *   mmap SS                                wdl_queue_ss_alloc()
 *   UACCE_CMD_GET_SS_DMA                   wdl_queue_ss_dma()
 *   UACCE_CMD_SHARE_SVAS                   wdl_queue_share_ss()
 *   WD_SOFT_CMD_KICK                       wdl_queue_kick()
 *   ioctl(fd, cmd, arg) (KICK, CTX)        wdl_queue_cmd()
 *   debugfs ctx_bytes                      wdl_dev_ctx_bytes()
 *   poll(POLLIN)                           wdl_queue_wait()
 *
 * The regions have the layouts of include/uapi/misc/uacce/wd_soft.h
 * (struct wd_soft_mmio; struct wd_soft_dus_hdr, then the rings at sq_off
 * and cq_off) and the device behaves as docs/soft-device.md describes; the
 * differences of the in-process host (memory models, limits) are in
 * docs/soft-local.md.
 *
 * Errors are negative errno values. Every function is thread-safe, except
 * that a queue must not be used (by any thread) once wdl_queue_close() has
 * been called on it, nor a device once wdl_dev_destroy() has been called
 * (its queues stay usable handles: see wdl_dev_destroy()).
 *
 * Link with the archive build/native/libwd_soft_local.a and the libraries
 * lib/soft/libs.mk lists in WDL_LDLIBS (zlib, libcrypto, pthread and, when
 * it was found at build time, ISA-L).
 */
#ifndef WD_SOFT_LOCAL_H
#define WD_SOFT_LOCAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../include/uapi/misc/uacce/uacce.h"
#include "../../include/uapi/misc/uacce/wd_soft.h"

#ifdef __cplusplus
extern "C" {
#endif

/* the memory model of a device (docs/soft-local.md, "Memory models") */
enum wdl_mode {
	WDL_MODE_SVA = 0,	/* requests carry the process's own addresses */
	WDL_MODE_PASID,		/* only the queue's SS region, at its addresses */
	WDL_MODE_NOIOMMU,	/* fake bus addresses inside the SS region */
};

/* limits and defaults, as the kernel's wd_soft */
#define WDL_DEF_QUEUES		64
#define WDL_MAX_QUEUES		1024
#define WDL_DEF_ENGINES		1
#define WDL_MAX_ENGINES		16
#define WDL_MAX_ISOLATE		65535		/* isolate_strategy */
#define WDL_SS_MAX		(64u << 20)	/* SS limit, sva and pasid */
#define WDL_SS_MAX_NOIOMMU	(4u << 20)	/* SS limit, noiommu */
#define WDL_DEF_SPIN_NS		50000		/* idle spin before parking */
/* noiommu: where the fake bus address space of the devices starts */
#define WDL_BUS_BASE		0x1000000000ull

/* bit of operation op (enum wd_soft_op) in struct wdl_config.op_mask */
#define WDL_OP(op)		(1u << (op))

/*
 * How the engines of an sva device reach request data (docs/soft-local.md,
 * "How bad SVA addresses are caught"); pasid and noiommu ignore it.
 */
enum wdl_sva_copy {
	/*
	 * The default: the kernel copies (process_vm_readv/writev on the
	 * process itself, a system call per 64 KiB chunk) and reports a bad
	 * address as a short copy. No signal handler is installed.
	 */
	WDL_SVA_COPY_KERNEL = 0,
	/*
	 * Opt-in: the engine copies itself and catches a bad address with a
	 * process-wide SIGSEGV/SIGBUS handler, which takes the place of the
	 * application's action. No system call, but sigaction() shows it.
	 */
	WDL_SVA_COPY_SIGNAL,
};

/**
 * struct wdl_config - what wdl_dev_create() makes
 * @mode: enum wdl_mode
 * @nr_queues: most queues open at once, 1..WDL_MAX_QUEUES; 0: WDL_DEF_QUEUES
 * @nr_engines: engine threads, 1..WDL_MAX_ENGINES; 0: WDL_DEF_ENGINES
 * @isolate_strategy: device errors per hour that isolate the device, 0 (the
 *	default) never, at most WDL_MAX_ISOLATE (uacce's isolate_strategy)
 * @spin_ns: how long an engine keeps looking at a queue that has nothing
 *	to do before it parks it (NEED_WAKEUP); 0: WDL_DEF_SPIN_NS
 * @op_mask: WDL_OP() bits of the operations to offer (the others complete
 *	with WD_SOFT_S_BAD_OP and their algorithm is not listed); 0: all the
 *	backends offer
 * @sva_copy: enum wdl_sva_copy; 0: WDL_SVA_COPY_KERNEL
 * @max_ctx_bytes: most bytes the stream contexts of all the device's
 *	queues may hold (new_device max_ctx_bytes=); 0: the core's default,
 *	WD_SOFT_CORE_DEF_CTX_BYTES (64 MiB), unless @max_ctx_bytes_set
 * @max_ctx_bytes_set: take @max_ctx_bytes as it is, 0 included (then no
 *	context can be opened: WD_SOFT_CMD_CTX OPEN fails with -ENOSPC)
 *
 * Zero-initialise the structure and set what you need.
 */
struct wdl_config {
	enum wdl_mode mode;
	unsigned int nr_queues;
	unsigned int nr_engines;
	unsigned int isolate_strategy;
	unsigned int spin_ns;
	uint32_t op_mask;
	enum wdl_sva_copy sva_copy;
	uint64_t max_ctx_bytes;
	bool max_ctx_bytes_set;
};

struct wdl_dev;
struct wdl_queue;

/* ---- devices ---------------------------------------------------------- */

/**
 * wdl_dev_create() - create an in-process wd_soft device and its engines
 * @cfg: the configuration
 * @devp: set to the new device
 *
 * Starts cfg->nr_engines engine threads (they sleep until a queue is
 * started). An sva device with WDL_SVA_COPY_SIGNAL also installs the
 * SIGSEGV/SIGBUS handler that catches its bad addresses, the first time
 * (docs/soft-local.md); nothing else touches the process's signal actions.
 * A fork() meanwhile waits for it to finish, so a child can always create
 * devices of its own.
 *
 * Return: 0, -EINVAL (a field out of range), -ENOMEM, the error of
 * pthread_create() (negative), or, for an sva device with
 * WDL_SVA_COPY_KERNEL, the error of process_vm_readv()/process_vm_writev()
 * where they are refused (a seccomp filter: -EPERM, -ENOSYS).
 */
int wdl_dev_create(const struct wdl_config *cfg, struct wdl_dev **devp);

/**
 * wdl_dev_destroy() - remove a device, open queues or not
 * @dev: the device; the caller must not use it afterwards
 *
 * As the removal of a wd_soft instance: every open queue becomes dead
 * (stopped first: requests in flight complete or are CANCELED; its stream
 * contexts are closed), its
 * pollers are woken (wdl_queue_wait() returns -ENODEV), and every further
 * call on it fails with -ENODEV (pointer getters return NULL), except
 * wdl_queue_close(), which must still be called and frees it. A dead
 * queue's regions stay mapped until then, but no engine looks at them any
 * more. The engine threads are joined before this returns; the device's
 * memory goes with its last queue.
 */
void wdl_dev_destroy(struct wdl_dev *dev);

/**
 * wdl_dev_id() - the device's number
 * @dev: the device
 *
 * Return: a number unique among the devices this process created (0, 1,
 * ...), also the index of its fake bus address range in noiommu mode.
 */
int wdl_dev_id(const struct wdl_dev *dev);

/**
 * wdl_dev_mode() - the device's memory model
 * @dev: the device
 *
 * Return: enum wdl_mode.
 */
enum wdl_mode wdl_dev_mode(const struct wdl_dev *dev);

/**
 * wdl_dev_flags() - what sysfs "flags" shows
 * @dev: the device
 *
 * Return: UACCE_DEV_SVA, UACCE_DEV_PASID or UACCE_DEV_NOIOMMU, by mode.
 */
unsigned int wdl_dev_flags(const struct wdl_dev *dev);

/**
 * wdl_dev_api() - what sysfs "api" shows
 * @dev: the device
 *
 * Return: WD_SOFT_API ("wd_soft_v3").
 */
const char *wdl_dev_api(const struct wdl_dev *dev);

/**
 * wdl_dev_algorithms() - what sysfs "algorithms" shows
 * @dev: the device
 *
 * Return: the algorithm names, one per line, no newline after the last
 * ("nop\ncopy\ncrc32c\nsha256\ndeflate\nzlib\ngzip" with every backend);
 * valid while the device or one of its queues exists.
 */
const char *wdl_dev_algorithms(const struct wdl_dev *dev);

/**
 * wdl_dev_has_algorithm() - is one algorithm offered?
 * @dev: the device
 * @name: an algorithm name ("gzip", ...)
 *
 * Return: true when @name is a line of wdl_dev_algorithms().
 */
bool wdl_dev_has_algorithm(const struct wdl_dev *dev, const char *name);

/**
 * wdl_dev_available_instances() - queues that can still be opened
 * @dev: the device
 *
 * Return: nr_queues minus the queues open, -ENODEV after destroy, -EPERM
 * (a parent's device, in a fork child).
 */
int wdl_dev_available_instances(struct wdl_dev *dev);

/**
 * wdl_dev_ss_max_size() - the SS region limit (region_ss_max_size)
 * @dev: the device
 *
 * Return: WDL_SS_MAX_NOIOMMU in noiommu mode, else WDL_SS_MAX.
 */
size_t wdl_dev_ss_max_size(const struct wdl_dev *dev);

/**
 * wdl_dev_set_fail_next() - fault injection (debugfs fail_next)
 * @dev: the device
 * @n: this many of the next requests taken from any queue complete with
 *	WD_SOFT_S_DEV_ERR, each counted as a device error; replaces what was
 *	left, 0 cancels, negative is taken as 0
 */
void wdl_dev_set_fail_next(struct wdl_dev *dev, int n);

/**
 * wdl_dev_get_fail_next() - injected failures still to come
 * @dev: the device
 *
 * Return: how many of the next requests will fail (>= 0).
 */
int wdl_dev_get_fail_next(struct wdl_dev *dev);

/**
 * wdl_dev_set_hold() - debugfs hold: the engines take no request
 * @dev: the device
 * @hold: true: no engine takes an SQE from any queue (each finishes the
 *	batch it is serving and sleeps; this returns when all sleep) until
 *	it is called with false
 *
 * For tests: a request that must not be done yet, or a snapshot of the
 * rings that must not move, is then a certainty instead of a race with
 * the engines. Published SQEs simply wait; kicks, stop (which cancels
 * them), close and destroy work as usual.
 *
 * Return: 0, -ENODEV (destroyed), -EPERM (fork child).
 */
int wdl_dev_set_hold(struct wdl_dev *dev, bool hold);

/**
 * wdl_dev_isolated() - sysfs "isolate"
 * @dev: the device
 *
 * Return: true when the device errors of the last hour reached
 * isolate_strategy: wdl_queue_open() fails with -EIO (queues already open
 * keep working) until wdl_dev_set_isolate_strategy() is called; false for a
 * parent's device in a fork child.
 */
bool wdl_dev_isolated(struct wdl_dev *dev);

/**
 * wdl_dev_get_isolate_strategy() - sysfs "isolate_strategy" (read)
 * @dev: the device
 *
 * Return: device errors per hour that isolate the device, 0 for never (and
 * for a parent's device in a fork child).
 */
unsigned int wdl_dev_get_isolate_strategy(struct wdl_dev *dev);

/**
 * wdl_dev_set_isolate_strategy() - sysfs "isolate_strategy" (write)
 * @dev: the device
 * @n: errors per hour that isolate the device, 0 for never
 *
 * As writing the sysfs attribute: the error count restarts from 0, the
 * isolation is lifted and the device is reset (no injected failure is
 * left).
 *
 * Return: 0, -EINVAL when @n > WDL_MAX_ISOLATE (nothing changes), -EPERM (a
 * parent's device, in a fork child).
 */
int wdl_dev_set_isolate_strategy(struct wdl_dev *dev, unsigned int n);

/**
 * wdl_dev_errors() - device errors counted in the last hour
 * @dev: the device
 *
 * Return: the count isolate_strategy is compared with (0 for a parent's
 * device in a fork child).
 */
unsigned int wdl_dev_errors(struct wdl_dev *dev);

/**
 * wdl_dev_ctx_bytes() - debugfs ctx_bytes: what stream contexts hold
 * @dev: the device
 *
 * Return: the bytes the open stream contexts of all its queues hold now,
 * as counted against max_ctx_bytes (0 for a parent's device in a fork
 * child).
 */
uint64_t wdl_dev_ctx_bytes(struct wdl_dev *dev);

/**
 * struct wdl_stats - what the engines of a device have done, summed
 * @rounds: rounds (one look at every active queue each)
 * @looks: looks at a queue (wd_soft_core_queue_turn())
 * @batches: batches served (wd_soft_core_serve())
 * @requests: SQEs consumed by those batches
 * @parks: queues parked (NEED_WAKEUP published)
 * @kicks: kicks that put a parked queue back
 * @sleeps: times an engine went to sleep (every queue parked)
 * @oneshots: compression requests done in one call of the one-shot
 *	backend (libdeflate), not by zlib's stream
 * @mapped: request bytes reached in place (the SS region: wd_soft_host_map())
 * @copied: request bytes copied (wd_soft_host_copy(): data, SGL arrays,
 *	SHA-256 states)
 *
 * For tests and tuning: the engines count with plain stores, the sum is
 * read without stopping them.
 */
struct wdl_stats {
	uint64_t rounds;
	uint64_t looks;
	uint64_t batches;
	uint64_t requests;
	uint64_t parks;
	uint64_t kicks;
	uint64_t sleeps;
	uint64_t oneshots;
	uint64_t mapped;
	uint64_t copied;
};

/**
 * wdl_dev_stats() - the engines' counters
 * @dev: the device (not destroyed)
 * @st: filled with the sums over its engines since it was created
 */
void wdl_dev_stats(struct wdl_dev *dev, struct wdl_stats *st);

/**
 * wdl_dev_engine_stats() - one engine's counters (debugfs engine_stats)
 * @dev: the device (not destroyed)
 * @i: the engine, 0..nr_engines - 1
 * @requests: set to the requests it executed
 * @helped: set to how many of them were a sibling's queue's (sharing)
 *
 * Return: 0, or -EINVAL for no such engine.
 */
int wdl_dev_engine_stats(struct wdl_dev *dev, unsigned int i,
			 uint64_t *requests, uint64_t *helped);

/**
 * wdl_dev_set_stall() - debugfs stall: stall engines inside requests (tests)
 * @dev: the device
 * @n: as wd_soft_core_set_stall(): > 0, the next @n requests taken make
 *	their engine wait before executing them until called with 0 (or
 *	their queue stops); 0 releases them
 */
void wdl_dev_set_stall(struct wdl_dev *dev, int n);

/**
 * wdl_dev_get_stall() - engines waiting in a stall now
 * @dev: the device
 *
 * Return: how many.
 */
int wdl_dev_get_stall(struct wdl_dev *dev);

/* ---- queues ----------------------------------------------------------- */

/**
 * wdl_queue_open() - open a queue (open("/dev/uaN"))
 * @dev: the device
 * @qp: set to the new queue, in state INIT, its regions allocated and the
 *	DUS header written
 *
 * Return: 0, -ENODEV (device destroyed), -EIO (isolated), -EBUSY (nr_queues
 * open already), -EPERM (called in a child of fork(); see
 * docs/soft-local.md), -ENOMEM.
 */
int wdl_queue_open(struct wdl_dev *dev, struct wdl_queue **qp);

/**
 * wdl_queue_close() - release a queue (close(fd))
 * @q: the queue, which the caller must not use afterwards
 *
 * Stops it first if it is started (as wdl_queue_stop()), closes its stream
 * contexts, then frees its regions; its SS region lives on while a queue it is shared to is open.
 * Works on a dead queue.
 */
void wdl_queue_close(struct wdl_queue *q);

/**
 * wdl_queue_start() - UACCE_CMD_START_Q
 * @q: a queue in INIT
 *
 * Resets the rings (every index, cq_head and cq_notify included, becomes
 * 0; both rings are zeroed; status and error 0) and gives the queue to the
 * least loaded engine. The process must not publish SQEs before this
 * returns.
 *
 * Return: 0, -EINVAL (not in INIT), -ENODEV (dead), -EPERM (fork child).
 */
int wdl_queue_start(struct wdl_queue *q);

/**
 * wdl_queue_stop() - UACCE_CMD_PUT_Q
 * @q: a started queue
 *
 * Takes the queue away from its engine: the request being executed
 * completes, or ends at its next 64 KiB chunk with WD_SOFT_S_CANCELED;
 * every SQE published and not consumed completes with WD_SOFT_S_CANCELED
 * (as far as the completion ring has room); pollers are woken. Every
 * stream context of the queue is closed. The queue is back in INIT; the
 * CQEs stay readable until the next start.
 *
 * Return: 0, -EINVAL (not started), -ENODEV (dead), -EPERM (fork child).
 */
int wdl_queue_stop(struct wdl_queue *q);

/**
 * wdl_queue_mmio() - the MMIO region (mmap of UACCE_QFRT_MMIO)
 * @q: the queue
 *
 * Return: the queue's MMIO page, WD_SOFT_MMIO_SIZE bytes, page
 * aligned, valid until wdl_queue_close(); NULL and errno: ENODEV when the
 * queue is dead, EPERM in a fork child (as the kernel's mmap by a
 * non-owner).
 */
struct wd_soft_mmio *wdl_queue_mmio(struct wdl_queue *q);

/**
 * wdl_queue_dus() - the DUS region (mmap of UACCE_QFRT_DUS)
 * @q: the queue
 *
 * Return: WD_SOFT_DUS_SIZE bytes, page aligned, valid until
 * wdl_queue_close(): struct wd_soft_dus_hdr, then the rings at its sq_off
 * and cq_off; NULL and errno as for wdl_queue_mmio().
 */
void *wdl_queue_dus(struct wdl_queue *q);

/**
 * wdl_queue_ss_alloc() - map the queue's SS region (mmap of UACCE_QFRT_SS)
 * @q: the queue
 * @size: bytes, rounded up to the page size; 1 to wdl_dev_ss_max_size()
 * @addr: set to the region: page aligned, zeroed, valid until the queue
 *	(and every queue it was shared to) is closed. Never munmap() it.
 *
 * In pasid mode the region is all the engine can reach for this queue (at
 * these addresses); in noiommu mode requests address it by the bus address
 * wdl_queue_ss_dma() gives; in sva mode it is ordinary memory.
 *
 * Return: 0, -EINVAL (@size 0), -ENOMEM (over the limit, or no memory),
 * -EEXIST (the queue has an SS region already, its own or a shared one),
 * -ENODEV (dead), -EPERM (fork child).
 */
int wdl_queue_ss_alloc(struct wdl_queue *q, size_t size, void **addr);

/**
 * wdl_queue_ss_dma() - UACCE_CMD_GET_SS_DMA
 * @q: a queue of a noiommu device
 * @dma: set to the bus address of its SS region (own or shared)
 *
 * The bus address space is fake: a range per device from WDL_BUS_BASE,
 * which only the device translates. Needs no privilege.
 *
 * Return: 0, -EINVAL (not noiommu), -ENXIO (no SS region), -ENODEV (dead),
 * -EPERM (fork child).
 */
int wdl_queue_ss_dma(struct wdl_queue *q, uint64_t *dma);

/**
 * wdl_queue_share_ss() - UACCE_CMD_SHARE_SVAS
 * @q: queue A, which has an SS region
 * @target: queue B, of any device, which has none
 *
 * From now on @target's device reaches @q's SS region for @target's
 * requests, at the same addresses (bus address in noiommu mode), as if it
 * were @target's own: it is, for wdl_queue_ss_alloc() (-EEXIST) and
 * wdl_queue_ss_dma(). The region lives until both queues are closed.
 *
 * Return: 0, -EINVAL (@target is @q, or @q has no SS region), -EEXIST
 * (@target has an SS region), -ENODEV (either is dead; before -EINVAL for
 * @target is @q, as the kernel checks a removal first), -EPERM (fork
 * child).
 */
int wdl_queue_share_ss(struct wdl_queue *q, struct wdl_queue *target);

/**
 * wdl_queue_kick() - WD_SOFT_CMD_KICK
 * @q: a started queue
 *
 * Makes the engine look at the queue again after the process saw
 * WD_SOFT_ST_NEED_WAKEUP (the submission protocol of wd_soft.h): a parked
 * queue goes back to its engine, which is woken if it sleeps (one futex
 * wake: the one system call per sleep). Harmless when the queue is not
 * parked (a mutex, no system call).
 *
 * Return: 0, -EINVAL (not started), -ENODEV (dead), -EPERM (fork child).
 */
int wdl_queue_kick(struct wdl_queue *q);

/**
 * wdl_queue_cmd() - ioctl(fd, cmd, arg): a command of wd_soft's own
 * @q: the queue
 * @cmd: WD_SOFT_CMD_KICK (@arg unused: as wdl_queue_kick()) or
 *	WD_SOFT_CMD_CTX (@arg: struct wd_soft_ctx_cmd, read, and written
 *	back when OPEN succeeds)
 * @arg: the command's argument
 *
 * Checked as the kernel's ioctl: the queue first (-EPERM fork child,
 * -ENODEV dead), then @cmd (-ENOTTY unknown), then the command's own
 * errors (WD_SOFT_CMD_CTX: those of include/uapi/misc/uacce/wd_soft.h;
 * -EFAULT for a NULL @arg). Contexts can be opened in any state but dead;
 * stop, close and destroy close them all.
 *
 * Return: 0 or a negative errno.
 */
int wdl_queue_cmd(struct wdl_queue *q, unsigned long cmd, void *arg);

/**
 * wdl_queue_updated() - poll() without sleeping
 * @q: the queue
 *
 * Return: true when a posted CQE has not been consumed (the device's
 * cq_tail differs from MMIO cq_head) or the queue is BROKEN.
 */
bool wdl_queue_updated(struct wdl_queue *q);

/**
 * wdl_queue_wait() - poll(POLLIN): sleep until the queue is updated
 * @q: the queue
 * @timeout_ms: the longest wait, 0 for none, negative for no limit
 *
 * Returns at once when wdl_queue_updated() is true, else sleeps on a futex
 * until the device wakes the queue's pollers (after posting completions,
 * when the queue breaks or stops, or when the device is destroyed). Like
 * poll(), it does not touch cq_notify: a process that set
 * WD_SOFT_CQN_ENABLE is woken only while it has WD_SOFT_CQN_ARMED set, so
 * it arms before calling (set ARMED, full barrier, look at the next CQE's
 * phase once more) and disarms afterwards, exactly as before poll() on /dev/uaN. No
 * wake-up is lost either way. Signals do not interrupt the wait.
 *
 * Return: 1 (updated), 0 (timeout), -ENODEV (dead: the device was
 * destroyed), -EPERM (fork child).
 */
int wdl_queue_wait(struct wdl_queue *q, int timeout_ms);

/**
 * wdl_queue_dev() - the device of a queue
 * @q: the queue
 *
 * Return: its device (also after destroy: only the getters that never
 * fail, wdl_dev_id(), wdl_dev_mode(), wdl_dev_flags(), wdl_dev_api(),
 * wdl_dev_algorithms(), wdl_dev_has_algorithm(), wdl_dev_ss_max_size(),
 * may be used on a destroyed device).
 */
struct wdl_dev *wdl_queue_dev(struct wdl_queue *q);

/* ---- the library ------------------------------------------------------ */

/**
 * wdl_init() - set up the process-wide state (the fork handlers) now
 *
 * wdl_dev_create() does it the first time it is called. A library that
 * calls wdl_dev_create() under a lock of its own, and takes that lock
 * around fork() with pthread_atfork(), calls this first: prepare handlers
 * run in the reverse order of registration, so its lock is then taken
 * before ours at fork(), in the order the two are taken otherwise.
 *
 * Return: 0, or the error of pthread_atfork() (negative).
 */
int wdl_init(void);

/**
 * wdl_backends() - which implementations the algorithms use
 *
 * Return: a static string such as "zlib 1.2.13, OpenSSL 3.0.x (sha256),
 * crc32c isa-l", for logs and test reports.
 */
const char *wdl_backends(void);

#ifdef __cplusplus
}
#endif

#endif /* WD_SOFT_LOCAL_H */
