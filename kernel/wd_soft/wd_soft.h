/* SPDX-License-Identifier: GPL-2.0 */
/*
 * wd_soft: the WarpDrive software accelerator, internal definitions.
 *
 * wd_soft registers with uacce exactly as a hardware driver would; its
 * "hardware" is a set of kernel threads (engines) that serve the queues'
 * rings (protocol wd_soft_v3, include/uapi/misc/uacce/wd_soft.h). What an
 * engine does with a queue (ring consumption, checks, the operations) is
 * the portable engine core, engine/ (sources.mk), shared with the
 * user-space host; this module is its kernel host.
 *
 *  main.c    module parameters, load and unload
 *  bus.c     the wd_soft bus: new_device / del_device, the instance list
 *  dev.c     one instance: uacce registration, struct uacce_ops, debugfs
 *  engine.c  engine threads: scheduling, parking, kicks, stop
 *  mem.c     how an engine reaches request buffers in each memory model
 *  algs.c    the algorithm backends: crypto API hashes, kernel zlib
 *  kq.c      kernel-owned queues: the same rings and engines, for kernel
 *            requests
 *  crypto.c  the crypto API front door (uacce_mode 0 and 1): ahash sha256
 *            and crc32c, acomp deflate, served through kernel queues
 *  engine/   the portable engine core and scheduler, compiled in through
 *            the link kernel/wd_soft/engine (Kbuild, engine/sources.mk)
 *
 * Locks, outermost first: wd_soft_devs_lock (bus.c) > wd_soft_crypto_lock
 * (crypto.c) > uacce->mutex >
 * uacce_queue->mutex > uacce_queue->pf_lock > wd_soft_engine.lock (a
 * spinlock) > the core's spinlocks, struct wd_soft_core_queue.lock (a
 * shared queue's taking and posting; an engine takes it under its own or
 * a sibling's wd_soft_engine.lock only in wd_soft_core_queue_turn()),
 * struct wd_soft_core_queue.ctx_lock and struct wd_soft_core_dev.lock
 * (innermost, never held while sleeping or allocating; how they nest in
 * each other is the core's: the queue's lock holds no other). The control
 * path (start/stop/put_queue, the ioctls) runs under uacce_queue->mutex,
 * so a context command never meets the queue's stop or release; it meets
 * the engine serving the queue only through the core's ctx_lock and
 * references. An engine thread holds none of them while it
 * serves a queue and never waits for the owner's memory: it touches
 * request buffers with page faults disabled and leaves a missing page to
 * uacce's fault thread (mem.c), so stop_queue() waits for one chunk of
 * work at most.
 */
#ifndef _WD_SOFT_H
#define _WD_SOFT_H

#include <linux/atomic.h>
#include <linux/device.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/sizes.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/zlib.h>

#include <warpdrive/uacce.h>
#include "../../engine/wd_soft_core.h"
#include "../../engine/wd_soft_sched.h"

#define WD_SOFT_MAX_ID		1023
#define WD_SOFT_DEF_QUEUES	64
#define WD_SOFT_MAX_QUEUES	1024
#define WD_SOFT_DEF_ENGINES	1
#define WD_SOFT_MAX_ENGINES	16

/* most SQEs and bytes an engine takes from one queue before the next one */
#define WD_SOFT_BATCH		16
#define WD_SOFT_BATCH_BYTES	SZ_1M
/* how long a queue must have had nothing to do before it is parked */
#define WD_SOFT_SPIN_NS		(50 * NSEC_PER_USEC)
/* longest a debugfs hold waits for an engine's batch (then -EAGAIN) */
#define WD_SOFT_HOLD_WAIT	(HZ / 10)

/* SS region limits: physically contiguous for NOIOMMU */
#define WD_SOFT_SS_MAX_NOIOMMU	SZ_4M
#define WD_SOFT_SS_MAX		SZ_64M

enum wd_soft_mode {
	WD_SOFT_MODE_SVA,
	WD_SOFT_MODE_PASID,
	WD_SOFT_MODE_NOIOMMU,
};

/**
 * struct wd_soft_config - what new_device asked for
 * @id: instance number, the N of wd_softN
 * @mode: memory model
 * @node: NUMA node of the instance, NUMA_NO_NODE for none
 * @nr_queues: most queues open at once
 * @nr_engines: engine threads
 * @max_ctx_bytes: most bytes the stream contexts of all queues may hold
 *	(struct wd_soft_core_dev.max_ctx_bytes)
 */
struct wd_soft_config {
	unsigned int id;
	enum wd_soft_mode mode;
	int node;
	unsigned int nr_queues;
	unsigned int nr_engines;
	u64 max_ctx_bytes;
};

struct wd_soft_dev;
struct wd_soft_queue;
struct crypto_shash;
struct shash_desc;
struct dentry;

/**
 * struct wd_soft_host_alg - the kernel host's backend state (algs.c)
 * @kind: what it serves (enum wd_soft_alg_kind)
 * @sha256: ENGINE, SHA256: a descriptor of the instance's "sha256" tfm
 * @crc32c: ENGINE: a descriptor of its "crc32c" tfm, or NULL (the
 *	library's __crc32c_le() then)
 * @zs: ENGINE, DEFLATE, INFLATE: the zlib stream. Its workspace
 *	(kvmalloc'ed, @ws_size bytes) fits what the kind runs: an engine's
 *	deflate or inflate, one stream at a time; a context's its own
 *	direction with a 32 KiB window (deflate: memLevel 8)
 * @zdir: what @zs was last initialised for
 * @ws_size: bytes of @zs.workspace, 0 for none
 *
 * Used by one thread at a time (engine/wd_soft_core.h): its engine, or
 * the opener of a context in WD_SOFT_CMD_CTX.
 */
struct wd_soft_host_alg {
	enum wd_soft_alg_kind kind;
	struct shash_desc *sha256;
	struct shash_desc *crc32c;
	struct z_stream_s zs;
	enum wd_soft_zdir zdir;
	size_t ws_size;
};

/**
 * struct wd_soft_engine - one engine thread and the queues it serves
 * @wdev: the instance
 * @task: the thread
 * @core: the core's working memory: bounce buffers, SGL room, and the
 *	backends' state for requests without a context (@core.alg, an
 *	ENGINE struct wd_soft_host_alg; thread only)
 * @pf: room for a page request's ranges: the missing page's piece and the
 *	pieces after it (WD_SOFT_CORE_MAX_SGE + 1; thread only)
 * @pins: SVA: the pages pinned for the request being executed, read-only
 *	[0] and written [1] (WD_SOFT_PIN_MAX each; thread only, mem.c)
 * @nr_pins: how many of each
 * @lock: the scheduler's engine lock (@sched and the queues' @sq, their
 *	fault fields too). A spinlock, innermost: never held while touching
 *	user memory or sleeping.
 * @sched: the scheduler's state (engine/wd_soft_sched.h)
 * @idle_wq: WD_SOFT_SCHED_IDLE: detach and hold wait here for the thread
 * @kick_wq: WD_SOFT_SCHED_KICK: the thread sleeps here
 */
struct wd_soft_engine {
	struct wd_soft_dev *wdev;
	struct task_struct *task;
	struct wd_soft_core_engine core;
	struct uacce_range *pf;
	struct page **pins[2];
	unsigned int nr_pins[2];

	spinlock_t lock;	/* see @lock above */
	struct wd_soft_sched sched;
	wait_queue_head_t idle_wq;
	wait_queue_head_t kick_wq;
};

/**
 * struct wd_soft_queue - the device side of one uacce queue
 * @core: the core's view: rings, the device's indices and status. Belongs
 *	to the engine while the queue is on one of its lists, and to the
 *	control path (start_queue/stop_queue) otherwise;
 *	wd_soft_sched_detach() is the hand-over.
 * @wdev: the instance
 * @uq: the uacce queue, NULL for a kernel queue (kq.c)
 * @mmio_page: the MMIO page (cq_head, cq_notify, status)
 * @engine: serving engine while started, else NULL; written by the control
 *	path only (start/stop, serialised by uacce)
 * @sq: the scheduler's view, under @engine->lock: @sq.faulting, a page
 *	request is outstanding (the queue waits parked; a KICK does not bring
 *	it back, the answer does); @sq.fault_failed, the answer was an error:
 *	a held request that misses @fault_page again fails (BAD_ADDR)
 * @fault_page: the page that request must bring in
 * @fault_req: the request the counts below are for: the core's sq_head
 *	after taking it (a held request keeps it); the serving engine's
 * @nr_faults: page requests made for that request so far (the read-ahead
 *	window grows with them); the serving engine's
 * @fault_tries: page requests in a row for @fault_page; the serving
 *	engine's
 */
struct wd_soft_queue {
	struct wd_soft_core_queue core;
	struct wd_soft_dev *wdev;
	struct uacce_queue *uq;
	struct page *mmio_page;

	struct wd_soft_engine *engine;
	struct wd_soft_sched_queue sq;
	unsigned long fault_page;
	u32 fault_req;
	unsigned int nr_faults;
	unsigned int fault_tries;
};

struct crypto_async_request;
struct wd_soft_kreq;

/**
 * typedef wd_soft_kreq_done_t - a kernel request's completion
 * @kr: the request
 * @cqe: its completion: the device's, or CANCELED/DEV_ERR made up by the
 *	kernel queue when the instance goes away first
 *
 * Called once per request, from a work item with BH disabled (as a
 * hardware driver's completion tasklet would).
 */
typedef void (*wd_soft_kreq_done_t)(struct wd_soft_kreq *kr,
				    const struct wd_soft_cqe *cqe);

/**
 * struct wd_soft_kreq - one request of a kernel user on a kernel queue
 * @sqe: what to run, filled in by the user; the kernel queue sets
 *	user_data. Addresses are kernel virtual addresses (linear map).
 * @done: its completion
 * @base: the crypto API request, told -EINPROGRESS when it leaves the
 *	backlog for the ring
 * @node: entry in the kernel queue's backlog
 */
struct wd_soft_kreq {
	struct wd_soft_sqe sqe;
	wd_soft_kreq_done_t done;
	struct crypto_async_request *base;
	struct list_head node;
};

/**
 * struct wd_soft_kq - a kernel-owned queue (kq.c)
 * @q: the device side, as for a uacce queue (@q.uq is NULL): the engines
 *	serve it with the same core, checks and scheduler
 * @dus: its rings, kernel memory no process maps
 * @lock: @sq_tail, @cq_head, @backlog, @dead and the ring slots between
 *	them. Taken with BH disabled (requests come from process or softirq
 *	context); innermost, apart from the core's: no other lock is taken
 *	under it (the engine's lock in particular is not BH-safe).
 * @sq_tail: the driver's submission index (its SQEs' phases publish it)
 * @cq_head: the driver's completion index (likewise)
 * @backlog: requests waiting for ring room (CRYPTO_TFM_REQ_MAY_BACKLOG)
 * @dead: the instance goes away: no new request
 * @done_work: reaps completions (the device's wake-up queues it)
 * @kick_work: kicks the engine for a submitter that may not take its lock
 */
struct wd_soft_kq {
	struct wd_soft_queue q;
	void *dus;
	spinlock_t lock;	/* see @lock above */
	u32 sq_tail;
	u32 cq_head;
	struct list_head backlog;
	bool dead;
	struct work_struct done_work;
	struct work_struct kick_work;
};

/**
 * struct wd_soft_crypto_stats - debugfs "crypto": what kernel users did
 * @sha256: SHA-256 requests completed by the engines
 * @crc32c: CRC-32C requests completed by the engines
 * @compress: deflate compressions completed
 * @decompress: deflate decompressions completed
 * @backlogged: requests that waited in a backlog
 * @errors: requests completed with an error
 */
struct wd_soft_crypto_stats {
	atomic64_t sha256;
	atomic64_t crc32c;
	atomic64_t compress;
	atomic64_t decompress;
	atomic64_t backlogged;
	atomic64_t errors;
};

/**
 * struct wd_soft_dev - one instance, /sys/bus/wd_soft/devices/wd_softN
 * @dev: the bus device, parent of the uacce device
 * @cfg: its configuration
 * @uacce: the registered uacce device, NULL with uacce_mode 0
 * @list: entry in the bus's instance list, under wd_soft_devs_lock
 * @nr_open: queues open (get_queue done, put_queue not yet)
 * @core: the core's view: operations offered, fault injection, what the
 *	stream contexts hold and may hold
 * @sha256: the "sha256" hash of the crypto API
 * @crc32c: the "crc32c" hash of the crypto API, or NULL when it cannot be
 *	had (the engines then use the library's __crc32c_le())
 * @algs: the uacce "algorithms" string
 * @debugfs: /sys/kernel/debug/wd_soft/wd_softN, or NULL/an error pointer
 * @page_requests: debugfs "page_requests": page requests made so far
 * @hold_lock: serialises debugfs "hold" writers (wd_soft_engines_hold())
 * @kqs: @cfg.nr_engines kernel queues, or NULL (uacce_mode 2)
 * @kq_limit: debugfs "kq_limit": most requests in flight per kernel queue
 * @crypto_node: entry in crypto.c's instance list, under
 *	wd_soft_crypto_lock; empty while not on it
 * @crypto_tfms: crypto API transforms bound to the instance, under
 *	wd_soft_crypto_lock (read without it to wait for 0)
 * @crypto_stats: debugfs "crypto"
 * @engines: @cfg.nr_engines engines
 */
struct wd_soft_dev {
	struct device dev;
	struct wd_soft_config cfg;
	struct uacce_device *uacce;
	struct list_head list;
	atomic_t nr_open;
	struct wd_soft_core_dev core;
	struct crypto_shash *sha256;
	struct crypto_shash *crc32c;
	char algs[64];
	struct dentry *debugfs;
	atomic64_t page_requests;
	struct mutex hold_lock;		/* see @hold_lock above */
	struct wd_soft_kq *kqs;
	u32 kq_limit;
	struct list_head crypto_node;
	unsigned int crypto_tfms;
	struct wd_soft_crypto_stats crypto_stats;
	struct wd_soft_engine engines[];
};

/**
 * struct wd_soft_ctx - the kernel host's side of one batch
 * @core: the core's context (queue, engine, bytes moved)
 * @q: the queue
 * @eng: the engine
 * @ss: PASID, NOIOMMU: the SS region, referenced until the batch ends
 * @mm_state: SVA: whether the owner's mm is borrowed
 */
struct wd_soft_ctx {
	struct wd_soft_core_ctx core;
	struct wd_soft_queue *q;
	struct wd_soft_engine *eng;
	struct uacce_qfr *ss;
	enum {
		WD_SOFT_MM_IDLE,	/* not tried yet */
		WD_SOFT_MM_BORROWED,	/* mmget + kthread_use_mm done */
		WD_SOFT_MM_GONE,	/* the owner is exiting */
	} mm_state;
};

static inline struct wd_soft_ctx *to_wd_soft_ctx(struct wd_soft_core_ctx *c)
{
	return container_of(c, struct wd_soft_ctx, core);
}

static inline struct wd_soft_queue *to_wd_soft_queue(struct wd_soft_core_queue *c)
{
	return container_of(c, struct wd_soft_queue, core);
}

extern struct bus_type wd_soft_bus;

/* main.c: /sys/kernel/debug/wd_soft, or NULL/an error pointer */
extern struct dentry *wd_soft_debugfs;
/* main.c: module parameters (read-only after load) */
extern unsigned int wd_soft_uacce_mode;
extern unsigned int wd_soft_crypto_priority;

#define WD_SOFT_UACCE_MODE_CRYPTO	0	/* crypto API only */
#define WD_SOFT_UACCE_MODE_BOTH		1
#define WD_SOFT_UACCE_MODE_UACCE	2	/* uacce only */

static inline bool wd_soft_has_uacce(void)
{
	return wd_soft_uacce_mode != WD_SOFT_UACCE_MODE_CRYPTO;
}

static inline bool wd_soft_has_crypto(void)
{
	return wd_soft_uacce_mode != WD_SOFT_UACCE_MODE_UACCE;
}

/* bus.c */
int wd_soft_bus_init(void);
void wd_soft_bus_exit(void);
int wd_soft_bus_add(const struct wd_soft_config *cfg);
/* a new_device string: 0 and *cfg, or -EINVAL/-ENOMEM */
int wd_soft_parse_new(const char *buf, size_t count,
		      struct wd_soft_config *cfg);
void wd_soft_config_default(struct wd_soft_config *cfg, unsigned int id);
void wd_soft_bus_crypto_start(void);

/* dev.c */
struct wd_soft_dev *wd_soft_dev_create(const struct wd_soft_config *cfg);
void wd_soft_dev_destroy(struct wd_soft_dev *wdev);

/* engine.c */
int wd_soft_engines_start(struct wd_soft_dev *wdev);
void wd_soft_engines_stop(struct wd_soft_dev *wdev);
void wd_soft_engine_attach(struct wd_soft_queue *q);
void wd_soft_engine_detach(struct wd_soft_queue *q);
void wd_soft_engine_kick(struct wd_soft_queue *q);
void wd_soft_engine_page_done(struct wd_soft_queue *q, int err);
int wd_soft_engines_hold(struct wd_soft_dev *wdev, bool hold);

/*
 * mem.c. SVA: how far ahead of a missing page the first page request of a
 * request brings the buffer in; each further one of the same request
 * fetches four times as far (up to 256 times). A request whose pages do
 * not stay (a page answered there that is missing again, more than
 * WD_SOFT_FAULT_TRIES times in a row; more than WD_SOFT_FAULT_MAX page
 * requests in all) fails with BAD_ADDR rather than run again for ever.
 */
#define WD_SOFT_FAULT_AHEAD	SZ_256K
/*
 * mem.c. SVA: most pages one request keeps pinned in each direction (its
 * bytes beyond them are copied): 2 MiB of 4 KiB pages, 4 KiB of pointers.
 */
#define WD_SOFT_PIN_MAX		512
#define WD_SOFT_FAULT_TRIES	3
#define WD_SOFT_FAULT_MAX	64

void wd_soft_ctx_init(struct wd_soft_ctx *ctx, struct wd_soft_queue *q,
		      struct wd_soft_engine *eng);
void wd_soft_ctx_fini(struct wd_soft_ctx *ctx);

/* algs.c */
int wd_soft_algs_init(struct wd_soft_dev *wdev);
void wd_soft_algs_exit(struct wd_soft_dev *wdev);

/* kq.c */
int wd_soft_kq_init(void);
void wd_soft_kq_exit(void);
int wd_soft_kqs_create(struct wd_soft_dev *wdev);
void wd_soft_kqs_destroy(struct wd_soft_dev *wdev);
int wd_soft_kq_submit(struct wd_soft_dev *wdev, struct wd_soft_kreq *kr,
		      u32 req_flags);
void wd_soft_kq_wake(struct wd_soft_queue *q);

static inline bool wd_soft_queue_is_kernel(const struct wd_soft_queue *q)
{
	return !q->uq;
}

/* crypto.c */
void wd_soft_crypto_add(struct wd_soft_dev *wdev);
void wd_soft_crypto_start(void);
int wd_soft_crypto_del(struct wd_soft_dev *wdev);

#endif /* _WD_SOFT_H */
