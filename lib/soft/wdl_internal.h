/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * wdl_internal.h: the in-process wd_soft host, internal definitions.
 *
 *  dev.c     devices and queues: the uacce side (open/close, states,
 *            regions, SS sharing, isolation, fork rule)
 *  engine.c  engine threads (engine/wd_soft_sched.c schedules them), pollers
 *  mem.c     request memory in each model: SVA's kernel copy (the default)
 *            and its opt-in guarded copy with the SIGSEGV/SIGBUS handler
 *  algs.c    algorithm backends: zlib, OpenSSL libcrypto, crc32c
 *  crc32c.c  the built-in CRC-32C (used when ISA-L is not available)
 *  the core and the scheduler, engine/wd_soft_{core,sched}.c, are compiled
 *  in unchanged.
 *
 * Locks, outermost first: dev->lock > q->lock > eng->lock > dev->err_lock,
 * and q->lock > wdl_lock (a signal-mode SVA queue's start installs the
 * signal handler again), and q->lock > the core's locks (q->core.lock,
 * a shared queue's taking and posting, also taken under eng->lock by
 * wd_soft_core_queue_turn(); q->core.ctx_lock, dev->core.lock: innermost,
 * nothing taken under them). An engine thread takes only eng->lock (its
 * own or, to help, a sibling's, one at a time), dev->err_lock and the
 * core's locks, and never holds eng->lock while it touches request memory
 * or runs an algorithm.
 *
 * fork(): wdl_lock is the only lock a child needs (to create its own
 * device); pthread_atfork() takes it around fork(). The child never takes
 * the locks of its parent's devices and queues: every entry point that
 * would looks at wdl_fork_gen first (-EPERM). The pthread_once() flags are
 * glibc's, which restarts one that a fork interrupted.
 */
#ifndef WDL_INTERNAL_H
#define WDL_INTERNAL_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

#include "wd_soft_core.h"
#include "wd_soft_sched.h"
#include "zlib-user.h"
#include "wd_soft_local.h"

/* as the kernel's wd_soft: batch per turn */
#define WDL_BATCH		16
#define WDL_BATCH_BYTES		SZ_1M
#define WDL_ERR_BUCKETS		60	/* minutes, as uacce */
#define WDL_ZCACHE		12	/* zlib blocks kept per engine */

/**
 * struct wdl_ss - an SS region, referenced by its queue and the queues it
 * is shared to
 * @refs: references (atomic)
 * @addr: where it is mapped (the addresses the process and pasid use)
 * @size: bytes mapped, a page multiple
 * @dma: noiommu: its fake bus address; else 0
 */
struct wdl_ss {
	atomic_int refs;
	void *addr;
	size_t size;
	uint64_t dma;
};

/* a zlib allocation kept for the next stream (see algs.c) */
struct wdl_zblock {
	void *p;
	size_t size;
};

struct libdeflate_compressor;

/**
 * struct wd_soft_host_alg - a backend state (engine/wd_soft_core.h)
 * @kind: enum wd_soft_alg_kind
 * @dev: the device (its digest method)
 * @sha: the OpenSSL digest context (EVP_MD_CTX): ENGINE and SHA256
 * @sha_st: ENGINE only: the digest of a request that carries its state
 *	(WD_SOFT_SQE_F_STATE; struct wd_soft_sha256_user, engine/sha256-user.h:
 *	EVP cannot take a state), used instead of @sha from an import to the
 *	next init
 * @sha_st_live: @sha_st is the digest in progress
 * @z: the zlib stream: ENGINE (one per request), DEFLATE and INFLATE (the
 *	context's, for its life)
 * @zcache: ENGINE only: zlib allocations kept between streams, so that a
 *	request costs no malloc() (and no system call) once the engine is
 *	warm; a context's stream lives as long as the context and takes
 *	plain malloc() once
 * @ld: ENGINE only: libdeflate's compressor per level (index 1..9), made
 *	at its first one-shot request (wd_soft_host_zoneshot())
 * @oneshots: ENGINE only: requests compressed by @ld (struct wdl_stats)
 */
struct wd_soft_host_alg {
	enum wd_soft_alg_kind kind;
	struct wdl_dev *dev;
	void *sha;
	struct wd_soft_sha256_user *sha_st;
	bool sha_st_live;
	struct wd_soft_zlib z;
	struct wdl_zblock zcache[WDL_ZCACHE];
	struct libdeflate_compressor *ld[10];
	uint64_t oneshots;
};

/**
 * struct wdl_engine - one engine thread and the queues it serves
 * @dev: the device
 * @thread: the thread
 * @running: the thread was created (and must be joined)
 * @core: the core's working memory (bounce buffers, SGL room) and the
 *	engine's backend state (core.alg, thread only)
 * @lock: the scheduler's engine lock (@sched and the queues' @sq)
 * @kick_cv: WD_SOFT_SCHED_KICK: the thread sleeps here
 * @idle_cv: WD_SOFT_SCHED_IDLE: detach and hold wait here for the thread
 * @sched: the scheduler's state (engine/wd_soft_sched.h)
 */
struct wdl_engine {
	struct wdl_dev *dev;
	pthread_t thread;
	bool running;
	struct wd_soft_core_engine core;

	pthread_mutex_t lock;
	pthread_cond_t kick_cv;
	pthread_cond_t idle_cv;
	struct wd_soft_sched sched;
};

enum wdl_qstate {
	WDL_Q_INIT,
	WDL_Q_STARTED,
	WDL_Q_DEAD,		/* the device was destroyed */
};

/**
 * struct wdl_queue - one queue
 * @core: the core's view (rings, the device's indices, status); belongs
 *	to the engine while the queue is on an engine list, else to the
 *	control path; wdl_engine_detach() hands it over
 * @dev: the device (referenced)
 * @lock: the control path of this queue (the uacce q->mutex)
 * @state: enum wdl_qstate; written under @lock, read anywhere (atomic)
 * @mmio: the MMIO page
 * @dus: the DUS region
 * @dus_size: its mapped size
 * @ss: the SS region (own or shared) or NULL; set once under @lock with
 *	a release store, read by the engine with an acquire load, put at
 *	close
 * @sq: the scheduler's view: its engine while started (sq.eng), list entry
 * @dev_node: entry in the device's queue list, under dev->lock
 * @wake_seq: futex word of the pollers: bumped by each wake-up
 * @waiters: pollers sleeping or about to (atomic)
 */
struct wdl_queue {
	struct wd_soft_core_queue core;
	struct wdl_dev *dev;
	pthread_mutex_t lock;
	_Atomic int state;
	struct wd_soft_mmio *mmio;
	void *dus;
	size_t dus_size;
	struct wdl_ss *_Atomic ss;

	struct wd_soft_sched_queue sq;
	struct list_head dev_node;

	_Atomic uint32_t wake_seq;
	atomic_uint waiters;
};

/**
 * struct wdl_dev - one device
 * @core: the core's view: operations offered, fault injection
 * @cfg: the configuration, defaults applied
 * @id: the device's number
 * @refs: the creator's reference and one per open queue (atomic)
 * @fork_gen: wdl_fork_gen when the device was created
 * @lock: open/close/destroy, @queues, @nr_open, @removed, @bus_next
 * @queues: the open queues
 * @nr_open: how many
 * @removed: wdl_dev_destroy() was called
 * @algs: the algorithms string
 * @sha256: the OpenSSL digest method (EVP_MD), or NULL without one
 * @err_lock: the error counters and isolation (innermost)
 * @isolate_strategy: errors per hour that isolate, 0 never
 * @isolated: isolated
 * @err_count: errors in each of the last WDL_ERR_BUCKETS minutes
 * @err_minute: the minute each bucket counts
 * @bus_next: noiommu: offset of the next SS region in the bus range
 * @nr_engines: entries in @engines
 * @engines: the engines
 */
struct wdl_dev {
	struct wd_soft_core_dev core;
	struct wdl_config cfg;
	int id;
	atomic_int refs;
	unsigned int fork_gen;

	pthread_mutex_t lock;
	struct list_head queues;
	unsigned int nr_open;
	bool removed;
	char algs[64];
	void *sha256;

	pthread_mutex_t err_lock;
	unsigned int isolate_strategy;
	bool isolated;
	unsigned int err_count[WDL_ERR_BUCKETS];
	uint64_t err_minute[WDL_ERR_BUCKETS];

	uint64_t bus_next;

	unsigned int nr_engines;
	struct wdl_engine engines[];
};

/**
 * struct wdl_ctx - the host's side of one batch
 * @core: the core's context
 * @q: the queue
 * @eng: the engine
 */
struct wdl_ctx {
	struct wd_soft_core_ctx core;
	struct wdl_queue *q;
	struct wdl_engine *eng;
};

static inline struct wdl_ctx *to_wdl_ctx(struct wd_soft_core_ctx *c)
{
	return container_of(c, struct wdl_ctx, core);
}

static inline struct wdl_queue *to_wdl_queue(struct wd_soft_core_queue *c)
{
	return container_of(c, struct wdl_queue, core);
}

/* fork(): bumped in the child (dev.c) */
extern atomic_uint wdl_fork_gen;
/* device creation and the signal handler; held across fork() (dev.c) */
extern pthread_mutex_t wdl_lock;

/* dev.c */
void wdl_dev_put(struct wdl_dev *dev);
uint64_t wdl_now_ns(void);

/* engine.c */
int wdl_engines_start(struct wdl_dev *dev);
void wdl_engines_stop(struct wdl_dev *dev);
void wdl_engine_attach(struct wdl_queue *q);
void wdl_engine_detach(struct wdl_queue *q);
void wdl_engine_kick(struct wdl_queue *q);
void wdl_engines_hold(struct wdl_dev *dev, bool hold);
void wdl_queue_wake_all(struct wdl_queue *q);

/* an SVA device whose engines copy with the signal guard (opt-in) */
static inline bool wdl_sva_signal(const struct wdl_config *cfg)
{
	return cfg->mode == WDL_MODE_SVA &&
	       cfg->sva_copy == WDL_SVA_COPY_SIGNAL;
}

/* mem.c */
int wdl_mem_init(const struct wdl_config *cfg);	/* wdl_lock held */
/* the mask @dev's engine threads are created with */
void wdl_engine_sigmask(const struct wdl_dev *dev, sigset_t *set);
/* first thing an engine thread of @dev does */
void wdl_mem_engine_thread(const struct wdl_dev *dev);
/* before each batch an engine serves */
void wdl_mem_undefer(void);

/* algs.c */
int wdl_algs_init(struct wdl_dev *dev);
void wdl_algs_exit(struct wdl_dev *dev);
int wdl_engine_algs_init(struct wdl_engine *eng);
void wdl_engine_algs_exit(struct wdl_engine *eng);

/* crc32c.c: the register update without inversions, as the core wants */
uint32_t wdl_crc32c_sw(uint32_t crc, const void *data, size_t len);

#endif /* WDL_INTERNAL_H */
