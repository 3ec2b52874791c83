/* SPDX-License-Identifier: GPL-2.0 */
/*
 * uacce: the register API for accelerator drivers.
 *
 * A driver allocates a struct uacce_device with uacce_alloc(), fills in what
 * the device offers (api, algorithms, region sizes, SS limit), registers it
 * with uacce_register() and removes it with uacce_remove(). uacce then owns
 * the character device, the queues' lifetime, their DKO, DUS and SS memory
 * and the user mappings; the driver provides the hardware side through
 * struct uacce_ops. See docs/uacce.md.
 */
#ifndef _WARPDRIVE_UACCE_H
#define _WARPDRIVE_UACCE_H

#include <linux/atomic.h>
#include <linux/cdev.h>
#include <linux/cred.h>
#include <linux/device.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/wait.h>

#include "../../../include/uapi/misc/uacce/uacce.h"

struct uacce_device;
struct uacce_queue;
struct uacce_pf_req;

/**
 * struct uacce_range - a range of the owner's addresses, for
 * uacce_page_request()
 * @addr: first byte
 * @len: bytes
 */
struct uacce_range {
	unsigned long addr;
	size_t len;
};

/* largest argument of a driver's ioctl command (struct uacce_ops.ioctl) */
#define UACCE_IOCTL_MAX_ARG	64

/* most ranges one page request looks at */
#define UACCE_PF_MAX_RANGES	8192

/**
 * struct uacce_qfr - memory of one queue file region owned by uacce
 * @type: which region (DKO, DUS or SS)
 * @nr_pages: size in pages
 * @pages: the pages, each with its own reference
 * @kaddr: kernel virtual address of the whole region (contiguous view)
 * @uaddr: SS only: user address where the owner mapped it (0 if not mapped)
 * @dma: SS of a NOIOMMU device only: bus address of the (physically
 *	contiguous) region
 * @ref: SS only: references (the mapping queue, queues it is shared to and
 *	drivers holding it through uacce_ss_get())
 * @pin_mm: SS only: the mm whose pinned_vm shows the region, grabbed
 *	until the region is freed
 * @pin_user: SS only: the user whose locked_vm counts the region against
 *	RLIMIT_MEMLOCK, referenced until it is freed; NULL with CAP_IPC_LOCK
 *
 * DKO and DUS are allocated when the queue is created and live as long as
 * the queue. SS is allocated when it is mapped and lives while referenced.
 */
struct uacce_qfr {
	enum uacce_qfrt type;
	unsigned long nr_pages;
	struct page **pages;
	void *kaddr;
	unsigned long uaddr;
	dma_addr_t dma;
	refcount_t ref;
	struct mm_struct *pin_mm;
	struct user_struct *pin_user;
};

/**
 * struct uacce_ops - what an accelerator driver provides
 * @get_available_instances: number of queues that can still be created
 * @get_queue: set up hardware resources for a new queue; q's DKO and DUS
 *	regions are already allocated. Return 0 or -errno.
 * @put_queue: release what get_queue() set up. The queue is stopped.
 * @start_queue: start serving the queue (INIT -> STARTED). 0 or -errno.
 * @stop_queue: stop serving the queue: complete or fail every request in
 *	flight and return only when the device no longer touches the queue's
 *	memory (STARTED -> INIT).
 * @poll: EPOLLIN | EPOLLRDNORM when the queue has a completion for user
 *	space to collect, EPOLLERR when the device stopped it for an error
 *	of the process (both may be set), else 0. Called from poll().
 * @mmio_pfn: page frame number of page @pgoff of the queue's MMIO region.
 *	uacce maps every region itself, page by page on first access, and only
 *	while the queue is alive; the pfn must stay valid until put_queue().
 *	Called under the owner's mmap_lock: must not sleep on the device.
 * @ioctl_cmds: the driver's ioctl commands, 0-terminated: uacce answers
 *	ENOTTY to any other command it does not know itself, without calling
 *	@ioctl or touching the argument. Each argument at most
 *	%UACCE_IOCTL_MAX_ARG bytes (else uacce_register() fails).
 * @ioctl: device-specific commands, called for those of @ioctl_cmds,
 *	only for the owning process and a live device.
 *	@data is uacce's kernel copy of the command's argument (_IOC_SIZE()
 *	bytes, at most %UACCE_IOCTL_MAX_ARG; NULL for a command without one):
 *	copied from user space before the call (_IOC_WRITE; zeroed
 *	otherwise) and back after a 0 return (_IOC_READ), both outside the
 *	queue's mutex. The call is made under that mutex, which removal
 *	takes: it must not touch user memory (its pages may never come).
 * @ioctl_undo: optional: @ioctl returned 0 but its answer could not be
 *	copied back (the caller gets -EFAULT). Undo what @ioctl created
 *	that the caller cannot name without the answer; @data as @ioctl
 *	returned it. Called under the queue's mutex, and only while the
 *	queue is alive: a removal in between has called put_queue() instead.
 * @reset: optional; called when user space clears isolation by writing
 *	isolate_strategy.
 * @page_response: devices that fault (UACCE_DEV_FAULT_FROM_DEV): the page
 *	request the driver made with uacce_page_request() is done: 0 when its
 *	first page is there now, else -errno (-EFAULT: the owner cannot
 *	access it). Called from the queue's fault thread under the queue's
 *	pf_lock: must not sleep, nor take a lock the driver holds while it
 *	calls uacce_page_request(). Only while the queue is started: never
 *	after stop_queue() has begun.
 *
 * All callbacks run in process context. get_queue, put_queue, start_queue,
 * stop_queue, ioctl and ioctl_undo of one queue are serialised by the queue's mutex and
 * may sleep; poll, mmio_pfn and page_response may run beside them. No
 * callback is made after uacce_remove() returns. No callback may wait for
 * something user space controls (a page of the owner, a signal): the
 * callers hold locks that other processes need.
 */
struct uacce_ops {
	int (*get_available_instances)(struct uacce_device *uacce);
	int (*get_queue)(struct uacce_device *uacce, struct uacce_queue *q);
	void (*put_queue)(struct uacce_queue *q);
	int (*start_queue)(struct uacce_queue *q);
	void (*stop_queue)(struct uacce_queue *q);
	__poll_t (*poll)(struct uacce_queue *q);
	unsigned long (*mmio_pfn)(struct uacce_queue *q, unsigned long pgoff);
	const unsigned int *ioctl_cmds;
	long (*ioctl)(struct uacce_queue *q, unsigned int cmd, void *data);
	void (*ioctl_undo)(struct uacce_queue *q, unsigned int cmd,
			   void *data);
	void (*reset)(struct uacce_device *uacce);
	void (*page_response)(struct uacce_queue *q, int err);
};

/**
 * struct uacce_interface - what uacce_alloc() needs to know
 * @flags: UACCE_DEV_* memory model of the device
 * @ops: the driver's callbacks; must outlive the registration
 */
struct uacce_interface {
	unsigned int flags;
	const struct uacce_ops *ops;
};

enum uacce_q_state {
	UACCE_Q_INIT,
	UACCE_Q_STARTED,
	UACCE_Q_ZOMBIE,		/* device removed; only close() is left */
};

/*
 * Errors are counted per minute over the last hour; isolate_strategy is
 * the number of errors per hour that isolates the device.
 */
#define UACCE_ERR_BUCKETS	60
#define UACCE_MAX_ERR_THRESHOLD	65535

/**
 * struct uacce_device - an accelerator registered with uacce
 * @api: protocol name and version of the user driver, e.g. "wd_soft_v3"
 * @algs: algorithm names, one per line (no trailing newline needed)
 * @qf_pg_num: pages of MMIO, DKO and DUS (0: region absent)
 * @ss_max_size: largest SS region in bytes (0: no SS region)
 * @flags: UACCE_DEV_*
 * @ops: driver callbacks
 * @priv: driver private data
 * @dev: the class device /sys/class/uacce/uaN
 * @cdev: the character device /dev/uaN
 * @dev_id: N
 * @node: NUMA node of the device, NUMA_NO_NODE if none
 * @mutex: protects @queues, @removed and @registered; serialises the
 *	driver's get_queue and put_queue with removal. Taken before any
 *	queue's mutex. Never held across stop_queue() of a queue other than
 *	by removal, which stops every queue.
 * @queues: every queue the driver has (get_queue done, put_queue not yet)
 * @nr_queues: entries in @queues
 * @removed: uacce_remove() has run
 * @registered: uacce_register() succeeded
 * @nr_lingering: queues closed while their fault thread still waits for a
 *	page (usually for a moment: its wait is aborted). The device takes
 *	no new queue while there are as many of them as it has queues, so
 *	that nobody can pile up waiting threads
 * @err_lock: protects the error counters and @isolated
 * @err_count: errors in each of the last %UACCE_ERR_BUCKETS minutes
 * @err_minute: which minute (since boot) each bucket counts
 * @isolate_strategy: errors per hour that isolate; 0 never isolates
 * @isolated: too many errors; new queues are refused with EIO
 *
 * Fields up to @priv are set by the driver between uacce_alloc() and
 * uacce_register() and must not change afterwards.
 */
struct uacce_device {
	const char *api;
	const char *algs;
	unsigned long qf_pg_num[UACCE_QFRT_MAX];
	size_t ss_max_size;
	unsigned int flags;
	const struct uacce_ops *ops;
	void *priv;

	struct device dev;
	struct cdev *cdev;
	int dev_id;
	int node;
	struct mutex mutex;		/* @queues, @removed, get/put_queue */
	struct list_head queues;
	int nr_queues;
	bool removed;
	bool registered;
	atomic_t nr_lingering;

	spinlock_t err_lock;		/* error counters, @isolated */
	unsigned int err_count[UACCE_ERR_BUCKETS];
	unsigned long err_minute[UACCE_ERR_BUCKETS];
	unsigned int isolate_strategy;
	bool isolated;
};

/**
 * struct uacce_queue - one open() of a uacce device
 * @uacce: the device (referenced until the queue is freed)
 * @priv: driver private data, set in get_queue()
 * @mm: the owner's mm (grabbed, not pinned): the only address space the
 *	device may act for. Use mmget_not_zero() before borrowing it.
 * @cred: the opener's credentials: faults taken for the owner run with
 *	them
 * @ref: the file and the fault thread; the last put frees the queue
 * @wait: poll() sleeps here; see uacce_wake_up()
 * @qfrs: DKO and DUS (always, when the device has them) and the queue's own
 *	SS region (while mapped). The MMIO slot is unused.
 * @mutex: control path: serialises ioctls, release and removal and the
 *	driver callbacks they make; protects the INIT <-> STARTED transitions.
 *	Nests inside uacce->mutex. Its holders wait for the device (stop),
 *	which never waits for the owner's memory: a page that does not come
 *	is the fault thread's wait, which holds no lock.
 * @remove_sem: held for reading by the paths that must not overlap the
 *	device going away (mmap, page faults, poll); removal takes it for
 *	writing to set @state to ZOMBIE. Taken under mmap_lock.
 * @lock: protects @nr_vmas, @qfrs[UACCE_QFRT_SS] and @shared_ss, which the
 *	driver reads from its data path through uacce_ss_get(). Innermost.
 *	@qfrs[UACCE_QFRT_SS] is set by mmap under the owner's mmap_lock
 *	held for writing and cleared by vma close once munmap has unlinked
 *	the vma, so the owner's page faults (mmap_lock for reading) read it
 *	without @lock.
 * @shared_ss: SS region of another queue reachable through SHARE_SVAS
 * @state: enum uacce_q_state. INIT <-> STARTED is written under @mutex
 *	only; ZOMBIE (for good) under @mutex and @remove_sem (write). So
 *	@mutex keeps every state stable, while under @remove_sem alone only
 *	"ZOMBIE or not" is: those readers test for ZOMBIE only, with
 *	READ_ONCE() (a start or stop may write it meanwhile).
 * @gone: removal has stopped and released the queue (poll: POLLHUP); set
 *	after the device no longer touches the queue's memory
 * @nr_vmas: mappings of each region (0 or 1, briefly 2 inside mremap)
 * @mapping: address space of the file, zapped on device removal
 * @list: entry in uacce->queues, under uacce->mutex
 * @pf_lock: protects the fields below (the fault thread's work) and is held
 *	across the driver's page_response(). Innermost of uacce's locks.
 * @pf_task: the fault thread, created by the first page request
 * @pf_wait: the fault thread sleeps here
 * @pf_open: page requests are taken (the queue is started)
 * @pf_exit: the queue is released: the thread ends once idle
 * @pf_req: a request waiting for the thread, or NULL
 * @pf_busy: the thread works on one (a stop sends it SIGKILL)
 * @pf_lingering: released while busy: counted in uacce->nr_lingering
 * @pf_gen: bumped by each stop: a result of an older request is dropped
 *	(64 bits: it never wraps)
 */
struct uacce_queue {
	struct uacce_device *uacce;
	void *priv;
	struct mm_struct *mm;
	wait_queue_head_t wait;
	struct uacce_qfr *qfrs[UACCE_QFRT_MAX];

	struct mutex mutex;		/* control path, state changes */
	struct rw_semaphore remove_sem;	/* vs removal: mmap, fault, poll */
	spinlock_t lock;		/* nr_vmas, SS pointers */
	struct uacce_qfr *shared_ss;
	enum uacce_q_state state;
	bool gone;
	unsigned int nr_vmas[UACCE_QFRT_MAX];
	struct address_space *mapping;
	struct list_head list;
	const struct cred *cred;
	refcount_t ref;

	spinlock_t pf_lock;		/* the fault thread's work */
	struct task_struct *pf_task;
	wait_queue_head_t pf_wait;
	bool pf_open;
	bool pf_exit;
	struct uacce_pf_req *pf_req;
	bool pf_busy;
	bool pf_lingering;
	u64 pf_gen;
};

/**
 * uacce_qfr_kaddr() - kernel address of a queue's DKO or DUS region
 * @q: the queue
 * @type: UACCE_QFRT_DKO or UACCE_QFRT_DUS
 *
 * Return: the region's kernel mapping, or NULL if the device has none.
 */
static inline void *uacce_qfr_kaddr(struct uacce_queue *q,
				    enum uacce_qfrt type)
{
	return q->qfrs[type] ? q->qfrs[type]->kaddr : NULL;
}

struct uacce_device *uacce_alloc(struct device *parent,
				 const struct uacce_interface *interface);
int uacce_register(struct uacce_device *uacce);
void uacce_remove(struct uacce_device *uacce);
void uacce_wake_up(struct uacce_queue *q);
void uacce_report_error(struct uacce_device *uacce);
struct uacce_qfr *uacce_ss_get(struct uacce_queue *q);
void uacce_ss_put(struct uacce_qfr *qfr);
int uacce_page_request(struct uacce_queue *q, const struct uacce_range *r,
		       unsigned int n, bool write);

#endif /* _WARPDRIVE_UACCE_H */
