/* SPDX-License-Identifier: GPL-2.0 */
/*
 * wd_soft: the WarpDrive software accelerator, internal definitions.
 *
 * wd_soft registers with uacce exactly as a hardware driver would; its
 * "hardware" is a set of kernel threads (engines) that serve the queues'
 * rings (protocol wd_soft_v1, include/uapi/misc/uacce/wd_soft.h).
 *
 *  main.c    module parameters, load and unload
 *  bus.c     the wd_soft bus: new_device / del_device, the instance list
 *  dev.c     one instance: uacce registration and struct uacce_ops
 *  engine.c  engine threads: scheduling, ring consumption, wake-up
 *  mem.c     how an engine reaches request buffers in each memory model
 *  ops.c     the operations (NOP, COPY)
 *
 * Locks, outermost first: wd_soft_devs_lock (bus.c) > uacce->mutex >
 * uacce_queue->mutex > wd_soft_engine.lock (innermost, a spinlock).
 * An engine thread holds none of the first three and never waits for
 * them; it may wait for the owner's mmap_lock while copy_*_user() faults
 * pages in, with no lock of ours held. uacce never takes a queue's mutex
 * under mmap_lock, so stop_queue() may wait for the engine.
 */
#ifndef _WD_SOFT_H
#define _WD_SOFT_H

#include <linux/atomic.h>
#include <linux/device.h>
#include <linux/list.h>
#include <linux/sizes.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>

#include <warpdrive/uacce.h>
#include "../../include/uapi/misc/uacce/wd_soft.h"

#define WD_SOFT_MAX_ID		1023
#define WD_SOFT_DEF_QUEUES	64
#define WD_SOFT_MAX_QUEUES	1024
#define WD_SOFT_DEF_ENGINES	1
#define WD_SOFT_MAX_ENGINES	16

/* largest src_len of one request (bytes) */
#define WD_SOFT_MAX_REQ_LEN	SZ_64M
/* an engine moves data through its bounce buffer in chunks of this size */
#define WD_SOFT_CHUNK		SZ_64K
/* most entries of one scatter-gather list (WD_SOFT_SQE_F_*_SGL) */
#define WD_SOFT_MAX_SGE		4096
/* most SQEs and bytes an engine takes from one queue before the next one */
#define WD_SOFT_BATCH		16
#define WD_SOFT_BATCH_BYTES	SZ_1M
/* how long an engine polls its rings after going idle before it sleeps */
#define WD_SOFT_SPIN_NS		(50 * NSEC_PER_USEC)

#define WD_SOFT_RING_MASK	(WD_SOFT_DEPTH - 1)

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
 */
struct wd_soft_config {
	unsigned int id;
	enum wd_soft_mode mode;
	int node;
	unsigned int nr_queues;
	unsigned int nr_engines;
};

struct wd_soft_dev;
struct wd_soft_queue;

/**
 * struct wd_soft_engine - one engine thread and the queues it serves
 * @wdev: the instance
 * @task: the thread
 * @bounce: WD_SOFT_CHUNK bytes through which requests move their data;
 *	used by the thread only
 * @sgl: room for the source and the destination SGL of one request
 *	(2 x WD_SOFT_MAX_SGE entries); used by the thread only
 * @lock: protects @queues, @nr_queues and @cur. A spinlock, innermost:
 *	never held while touching user memory or sleeping.
 * @queues: started queues, served round-robin from the head
 * @nr_queues: entries in @queues
 * @cur: the queue the thread is serving outside @lock, or NULL; see
 *	wd_soft_engine_detach()
 * @idle_wq: wd_soft_engine_detach() waits here for @cur to move on
 * @kick_wq: the thread sleeps here when idle
 * @kicked: set by wd_soft_engine_kick(), consumed by the thread
 */
struct wd_soft_engine {
	struct wd_soft_dev *wdev;
	struct task_struct *task;
	void *bounce;
	struct wd_soft_sge *sgl;

	spinlock_t lock;	/* see @lock above */
	struct list_head queues;
	unsigned int nr_queues;
	struct wd_soft_queue *cur;

	wait_queue_head_t idle_wq;
	wait_queue_head_t kick_wq;
	atomic_t kicked;
};

/**
 * struct wd_soft_queue - the device side of one uacce queue
 * @wdev: the instance
 * @uq: the uacce queue
 * @mmio_page: the MMIO page (doorbells and status)
 * @mmio: its kernel address
 * @hdr: DUS header page
 * @sq: submission ring in DUS
 * @cq: completion ring in DUS
 * @engine: serving engine while started, else NULL; written by the control
 *	path only (start/stop, serialised by uacce)
 * @node: entry in @engine->queues, under @engine->lock
 * @stopping: stop_queue() is taking the queue away; written under
 *	@engine->lock, read by the engine between requests and chunks
 * @sq_head: SQEs consumed (private copy, the only one trusted)
 * @cq_tail: CQEs posted (private copy); also read by is_q_updated()
 * @status: WD_SOFT_ST_* (private copy of what MMIO shows)
 *
 * @sq_head, @cq_tail, @status and the rings belong to the engine while the
 * queue is on its list, and to the control path (start_queue/stop_queue)
 * otherwise; wd_soft_engine_detach() is the hand-over.
 */
struct wd_soft_queue {
	struct wd_soft_dev *wdev;
	struct uacce_queue *uq;
	struct page *mmio_page;
	struct wd_soft_mmio *mmio;
	struct wd_soft_dus_hdr *hdr;
	struct wd_soft_sqe *sq;
	struct wd_soft_cqe *cq;

	struct wd_soft_engine *engine;
	struct list_head node;
	bool stopping;

	u32 sq_head;
	u32 cq_tail;
	u32 status;
};

/**
 * struct wd_soft_dev - one instance, /sys/bus/wd_soft/devices/wd_softN
 * @dev: the bus device, parent of the uacce device
 * @cfg: its configuration
 * @uacce: the registered uacce device
 * @list: entry in the bus's instance list, under wd_soft_devs_lock
 * @nr_open: queues open (get_queue done, put_queue not yet)
 * @engines: @cfg.nr_engines engines
 */
struct wd_soft_dev {
	struct device dev;
	struct wd_soft_config cfg;
	struct uacce_device *uacce;
	struct list_head list;
	atomic_t nr_open;
	struct wd_soft_engine engines[];
};

/**
 * struct wd_soft_ctx - an engine's view of one batch of requests
 * @q: the queue
 * @bounce: the engine's bounce buffer (WD_SOFT_CHUNK bytes)
 * @sgl: the engine's SGL room (2 x WD_SOFT_MAX_SGE entries)
 * @ss: PASID, NOIOMMU: the SS region, referenced until the batch ends
 * @mm_state: SVA: whether the owner's mm is borrowed
 * @bytes: data read and written so far
 */
struct wd_soft_ctx {
	struct wd_soft_queue *q;
	void *bounce;
	struct wd_soft_sge *sgl;
	struct uacce_qfr *ss;
	enum {
		WD_SOFT_MM_IDLE,	/* not tried yet */
		WD_SOFT_MM_BORROWED,	/* mmget + kthread_use_mm done */
		WD_SOFT_MM_GONE,	/* the owner is exiting */
	} mm_state;
	size_t bytes;
};

/**
 * struct wd_soft_buf - a request's source or destination, flat or SGL
 * @sge: its pieces: a private copy of the SGL, or @flat
 * @flat: the one piece of a flat buffer
 * @nents: entries in @sge
 * @idx: the piece the next byte is in
 * @off: offset of the next byte in piece @idx
 * @len: total bytes
 */
struct wd_soft_buf {
	const struct wd_soft_sge *sge;
	struct wd_soft_sge flat;
	u32 nents;
	u32 idx;
	u32 off;
	u64 len;
};

enum wd_soft_buf_dir {
	WD_SOFT_BUF_SRC,
	WD_SOFT_BUF_DST,
};

extern struct bus_type wd_soft_bus;

/* bus.c */
int wd_soft_bus_init(void);
void wd_soft_bus_exit(void);
int wd_soft_bus_add(const struct wd_soft_config *cfg);
void wd_soft_config_default(struct wd_soft_config *cfg, unsigned int id);

/* dev.c */
struct wd_soft_dev *wd_soft_dev_create(const struct wd_soft_config *cfg);
void wd_soft_dev_destroy(struct wd_soft_dev *wdev);

/* engine.c */
int wd_soft_engines_start(struct wd_soft_dev *wdev);
void wd_soft_engines_stop(struct wd_soft_dev *wdev);
void wd_soft_engine_attach(struct wd_soft_queue *q);
void wd_soft_engine_detach(struct wd_soft_queue *q);
void wd_soft_engine_kick(struct wd_soft_engine *eng);
void wd_soft_queue_reset(struct wd_soft_queue *q);
void wd_soft_queue_cancel(struct wd_soft_queue *q);

/* mem.c */
void wd_soft_ctx_init(struct wd_soft_ctx *ctx, struct wd_soft_queue *q,
		      struct wd_soft_engine *eng);
void wd_soft_ctx_fini(struct wd_soft_ctx *ctx);
u32 wd_soft_mem_read(struct wd_soft_ctx *ctx, void *buf, u64 addr, u32 len);
u32 wd_soft_mem_write(struct wd_soft_ctx *ctx, u64 addr, const void *buf,
		      u32 len);
u32 wd_soft_ctx_yield(struct wd_soft_ctx *ctx);
u32 wd_soft_buf_init(struct wd_soft_ctx *ctx, struct wd_soft_buf *buf,
		     enum wd_soft_buf_dir dir, const struct wd_soft_sqe *sqe);
u32 wd_soft_buf_read(struct wd_soft_ctx *ctx, struct wd_soft_buf *buf,
		     void *data, u32 len);
u32 wd_soft_buf_write(struct wd_soft_ctx *ctx, struct wd_soft_buf *buf,
		      const void *data, u32 len);

/* ops.c; the uacce "algorithms" attribute lists what it implements */
#define WD_SOFT_ALGS		"nop\ncopy"
u32 wd_soft_exec(struct wd_soft_ctx *ctx, const struct wd_soft_sqe *sqe,
		 u32 *out_len);

#endif /* _WD_SOFT_H */
