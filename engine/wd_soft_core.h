/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * wd_soft_core.h: the portable engine core of the wd_soft device, and the
 * interface between it and the host that runs it.
 *
 * The core (wd_soft_core.c, wd_soft_buf.c, wd_soft_ops.c; sources.mk)
 * executes the wd_soft_v3 protocol (include/uapi/misc/uacce/wd_soft.h):
 * rings, checks, operations, completions. It is compiled into wd_soft.ko
 * and into the in-process device, and has no threads, locks, allocations or clock: the host owns
 * the objects below, runs the engines with the shared scheduler
 * (wd_soft_sched.h) and defines the wd_soft_host_*() functions at the end
 * of this file. docs/soft-device.md, "One engine, two hosts", explains it.
 *
 * Threading: an engine runs one request at a time. A queue is served by
 * at most one engine at a time unless it is @shared: then its owner
 * (wd_soft_core_serve()) and helpers (wd_soft_core_help()) serve it at
 * once, taking SQEs in ring order under the queue's @lock; CQEs are posted
 * in ring order all the same (see wd_soft_core_serve()). Reset and cancel
 * run only while no engine serves the queue. Safe at any time:
 * wd_soft_core_queue_updated(), wd_soft_core_queue_broken(),
 * wd_soft_core_queue_helpable(), and writes of
 * struct wd_soft_core_queue.stopping and struct wd_soft_core_dev.fail_next.
 */
#ifndef _WD_SOFT_CORE_H
#define _WD_SOFT_CORE_H

#ifdef __KERNEL__
#include "compat-kernel.h"
#else
#include "compat-user.h"
#endif

#include "../include/uapi/misc/uacce/wd_soft.h"

/* each of an engine's two bounce buffers, in bytes; also the largest len
 * the core passes to wd_soft_host_copy()
 */
#define WD_SOFT_CORE_CHUNK	SZ_64K
/* most entries of one scatter-gather list */
#define WD_SOFT_CORE_MAX_SGE	4096
/*
 * largest source the one-shot deflate takes (wd_soft_host_zoneshot()): it
 * runs without a yield, so this bounds how long a stop waits for it
 */
#define WD_SOFT_CORE_ONESHOT_MAX	(4u << 20)
/* largest source of one request, in bytes (larger: WD_SOFT_S_INVAL) */
#define WD_SOFT_CORE_MAX_SRC	SZ_64M
/* size of a SHA-256 digest and of a CRC32C result, in bytes */
#define WD_SOFT_CORE_SHA256_SIZE	32
#define WD_SOFT_CORE_CRC32C_SIZE	4
/* idle looks at a queue per clock read (wd_soft_core_queue_turn()) */
#define WD_SOFT_CORE_IDLE_LOOKS	32
/* compression level used for params 0 */
#define WD_SOFT_CORE_DEF_LEVEL	6
/* default of struct wd_soft_core_dev.max_ctx_bytes */
#define WD_SOFT_CORE_DEF_CTX_BYTES	SZ_64M

/* bit of an operation in struct wd_soft_core_dev.ops */
#define WD_SOFT_CORE_OP(op)	(1u << (op))
#define WD_SOFT_CORE_OPS_ALL	(WD_SOFT_CORE_OP(WD_SOFT_OP_MAX) - 1)
/* operations that need a backend, per backend */
#define WD_SOFT_CORE_OPS_CRC32C	WD_SOFT_CORE_OP(WD_SOFT_OP_CRC32C)
#define WD_SOFT_CORE_OPS_SHA256	WD_SOFT_CORE_OP(WD_SOFT_OP_SHA256)
#define WD_SOFT_CORE_OPS_ZLIB	(WD_SOFT_CORE_OP(WD_SOFT_OP_DEFLATE) |	\
				 WD_SOFT_CORE_OP(WD_SOFT_OP_INFLATE) |	\
				 WD_SOFT_CORE_OP(WD_SOFT_OP_ZLIB_COMP) |	\
				 WD_SOFT_CORE_OP(WD_SOFT_OP_ZLIB_DECOMP) |	\
				 WD_SOFT_CORE_OP(WD_SOFT_OP_GZIP_COMP) |	\
				 WD_SOFT_CORE_OP(WD_SOFT_OP_GZIP_DECOMP))

/**
 * struct wd_soft_core_dev - what the core keeps per device (instance)
 * @ops: WD_SOFT_CORE_OP() bits of the operations this device executes:
 *	the host clears those whose backend it lacks; the others complete
 *	with WD_SOFT_S_BAD_OP. Set before the first queue starts.
 * @fail_next: fault injection: this many of the next requests taken from
 *	any queue of the device complete with WD_SOFT_S_DEV_ERR. Accessed
 *	atomically; see wd_soft_core_set_fail_next().
 * @oneshot: the host has a one-shot deflate (wd_soft_host_zoneshot()):
 *	only then does the core map a compression's buffers whole for it.
 *	False after wd_soft_core_dev_init(); the host sets it before the
 *	first queue starts.
 * @max_ctx_bytes: most bytes all stream contexts of the device may hold
 *	(WD_SOFT_CORE_DEF_CTX_BYTES unless the host sets it after init)
 * @ctx_bytes: what they hold now, under @lock
 * @lock: @ctx_bytes
 * @stall_next: test hook: this many of the next requests taken stall their
 *	engine before they execute (see wd_soft_core_set_stall()); atomic
 * @stall_on: stalled engines wait while this is set (WRITE_ONCE)
 * @stalled: engines waiting in a stall now; atomic
 */
struct wd_soft_core_dev {
	u32 ops;
	int fail_next;
	bool oneshot;
	u64 max_ctx_bytes;
	u64 ctx_bytes;
	wd_soft_core_lock_t lock;
	int stall_next;
	bool stall_on;
	int stalled;
};

struct wd_soft_core_stream;
struct wd_soft_host_alg;

/**
 * struct wd_soft_core_queue - the device side of one queue
 * @dev: the device
 * @mmio: the queue's MMIO page (cq_head, cq_notify, status)
 * @hdr: the DUS header page
 * @sq: the submission ring (WD_SOFT_DEPTH entries)
 * @cq: the completion ring (WD_SOFT_DEPTH entries)
 * @sq_head: SQEs consumed: the device's own copy, the only one trusted
 * @cq_tail: CQEs posted: the device's own copy; read by
 *	wd_soft_core_queue_updated() at any time
 * @cq_head: the process's cq_head as last read and checked: the device
 *	reads MMIO cq_head again only when this shows the CQ full
 * @status: WD_SOFT_ST_* as published in MMIO (the device's own copy)
 * @stopping: set by the host (WRITE_ONCE) when it takes the queue away from
 *	its engine; the core then finishes the batch after the current
 *	request and ends a long request at its next chunk (CANCELED)
 * @idle_since: wd_soft_host_now_ns() since when the queue had nothing to
 *	take, 0 while it had work at the last look; see
 *	wd_soft_core_queue_turn()
 * @idle_looks: looks at the queue since @idle_since
 * @held: a request taken from the ring that waits for a page (see
 *	WD_SOFT_CORE_S_HELD): the device's private copy, executed again from
 *	its start when the queue is served next, before any new SQE
 * @has_held: @held is valid
 * @held_in: a held stream request's progress: source bytes consumed
 * @held_out: and destination bytes written, skipped when it runs again
 *	(a stream's state cannot run a request twice)
 * @ctx_lock: @ctx, @ctx_gen and the contexts' reference counts (held for
 *	a few instructions; never across a request or an allocation)
 * @ctx: the open stream contexts, by slot (sqe.ctx's low byte - 1)
 * @ctx_gen: the generation given to the next context opened, so that a
 *	closed context's number never names a newer one
 * @shared: several engines may serve the queue at once (an owner and
 *	helpers, wd_soft_core_help()); set by the host while no engine serves
 *	it. Then @lock is taken as its comment says; else it is never taken
 *	and the queue costs what one engine's costs.
 * @lock: a shared queue's taking and posting: @sq_head, @cq_tail,
 *	@cq_head, @status (every change), @held, @has_held, @held_idx and
 *	@done. Held for a few instructions: a ring slot's load or store,
 *	never a request's execution, request memory or a wait.
 * @held_idx: @held's ring index (its CQE's)
 * @done: the reorder buffer's flags, a bit per CQ slot: the request of
 *	that ring index was executed and its CQE written into the slot, but
 *	an older one is still executing, so its phase is not stored yet.
 *	Private: the process cannot forge one.
 *
 * The core dereferences the four ring pointers directly (the host maps the
 * regions for itself); request data only through wd_soft_host_map() (in
 * place, where the host can) and wd_soft_host_copy().
 *
 * Ring order: the request of ring index i is taken i-th and its CQE is
 * CQ slot i (every SQE taken gets exactly one CQE, in order); an SQE is
 * taken only while its CQ slot is free (the process's cq_head is above
 * i - WD_SOFT_DEPTH), so a request finished before an older one writes its
 * CQE into that slot at once, without the phase, which the engine that
 * finishes the oldest missing one stores for it (wd_soft_core_serve()).
 */
struct wd_soft_core_queue {
	struct wd_soft_core_dev *dev;
	struct wd_soft_mmio *mmio;
	struct wd_soft_dus_hdr *hdr;
	struct wd_soft_sqe *sq;
	struct wd_soft_cqe *cq;
	u32 sq_head;
	u32 cq_tail;
	u32 cq_head;
	u32 status;
	bool stopping;
	u64 idle_since;
	u32 idle_looks;
	struct wd_soft_sqe held;
	bool has_held;
	u64 held_in;
	u64 held_out;
	wd_soft_core_lock_t ctx_lock;
	struct wd_soft_core_stream *ctx[WD_SOFT_MAX_CTX];
	u32 ctx_gen;
	bool shared;
	wd_soft_core_lock_t lock;	/* see @lock above */
	u32 held_idx;
	u64 done[WD_SOFT_DEPTH / 64];
};

/**
 * struct wd_soft_core_engine - an engine's working memory
 * @in: WD_SOFT_CORE_CHUNK bytes: source data
 * @out: WD_SOFT_CORE_CHUNK bytes: output of the algorithms
 * @sgl: 2 * WD_SOFT_CORE_MAX_SGE entries: private copies of a request's
 *	source and destination scatter-gather lists
 * @alg: the backends' state for requests without a context
 *	(wd_soft_host_alg_alloc(WD_SOFT_ALG_ENGINE))
 * @mapped: request bytes the engine reached in place (wd_soft_host_map())
 * @copied: request bytes it copied (wd_soft_host_copy(): data, SGL arrays,
 *	F_STATE states)
 *
 * One per engine, allocated by the host. The counters are the engine's
 * (plain stores); a host may sum them at any time with READ_ONCE().
 */
struct wd_soft_core_engine {
	u8 *in;
	u8 *out;
	struct wd_soft_sge *sgl;
	struct wd_soft_host_alg *alg;
	u64 mapped;
	u64 copied;
};

/**
 * struct wd_soft_core_ctx - one engine serving one queue (a batch)
 * @q: the queue
 * @eng: the engine
 * @bytes: request data read and written so far in this batch
 * @extent: set before each wd_soft_host_copy(): the bytes of the current
 *	buffer piece (flat buffer, SGL entry or the SGL) from that call's
 *	address on, at least its @len: how far a host may bring pages in
 *	ahead
 * @ahead: the buffer's pieces after that one (the engine's copy of its
 *	SGL), or NULL
 * @nr_ahead: entries of @ahead
 * @mapped: wd_soft_host_map() reached something in place since the last
 *	wd_soft_host_unmap(): one is due at the next yield, fallback or end
 *
 * Embedded in the host's own context, which the wd_soft_host_*() functions
 * find with container_of().
 */
struct wd_soft_core_ctx {
	struct wd_soft_core_queue *q;
	struct wd_soft_core_engine *eng;
	u64 bytes;
	u64 extent;
	const struct wd_soft_sge *ahead;
	u32 nr_ahead;
	bool mapped;
};

/*
 * Not a completion status, never posted: the request waits for a page the
 * host is bringing in (its memory access returned -EAGAIN). It stays in
 * the queue (@held); the host serves the queue again once the page is there.
 */
#define WD_SOFT_CORE_S_HELD	0x100

/**
 * enum wd_soft_core_turn - what wd_soft_core_queue_turn() found
 * @WD_SOFT_TURN_SERVE: SQEs can be taken: call wd_soft_core_serve()
 * @WD_SOFT_TURN_IDLE: nothing now; keep looking at the queue
 * @WD_SOFT_TURN_PARK: nothing for the spin time, NEED_WAKEUP published:
 *	do not look at the queue again until the process kicks it
 *	(WD_SOFT_CMD_KICK). Also for a BROKEN queue (without NEED_WAKEUP).
 */
enum wd_soft_core_turn {
	WD_SOFT_TURN_SERVE,
	WD_SOFT_TURN_IDLE,
	WD_SOFT_TURN_PARK,
};

/* Backend selectors for wd_soft_host_zinit() */
enum wd_soft_zdir {
	WD_SOFT_ZDEFLATE,	/* compress */
	WD_SOFT_ZINFLATE,	/* decompress */
};

/*
 * The flushes of deflate(), numbered as user space's zlib numbers them;
 * the kernel's zlib numbers them differently (it has Z_PACKET_FLUSH at 2):
 * its host translates.
 */
enum wd_soft_zflush {
	WD_SOFT_Z_NO_FLUSH	= 0,
	WD_SOFT_Z_SYNC_FLUSH	= 2,
	WD_SOFT_Z_FULL_FLUSH	= 3,
	WD_SOFT_Z_FINISH	= 4,
};

/*
 * What a backend state (struct wd_soft_host_alg, the host's) serves:
 * an engine's serves every algorithm, one stream at a time, initialised
 * per request; a context's serves one stream for its whole life.
 */
enum wd_soft_alg_kind {
	WD_SOFT_ALG_ENGINE,	/* sha256, crc32c, deflate and inflate (zinit per request) */
	WD_SOFT_ALG_SHA256,	/* a SHA-256 context */
	WD_SOFT_ALG_DEFLATE,	/* a compression context: raw deflate, 32 KiB window, memLevel 8 */
	WD_SOFT_ALG_INFLATE,	/* a decompression context: raw inflate, 32 KiB window */
};

/**
 * struct wd_soft_zstream - one call of wd_soft_host_zrun()
 * @next_in: input bytes
 * @avail_in: how many; the backend advances @next_in and lowers @avail_in
 *	by what it consumed
 * @next_out: room for output
 * @avail_out: how much; the backend advances @next_out and lowers
 *	@avail_out by what it produced
 *
 * As zlib's z_stream, over the core's bounce buffers (never request memory).
 */
struct wd_soft_zstream {
	const u8 *next_in;
	u32 avail_in;
	u8 *next_out;
	u32 avail_out;
};

/* ---------------------------------------------------------------------- */
/* What the core provides                                                  */
/* ---------------------------------------------------------------------- */

/**
 * wd_soft_core_dev_init() - set up a device
 * @dev: the device
 * @ops: WD_SOFT_CORE_OP() bits of the operations it executes; normally
 *	WD_SOFT_CORE_OPS_ALL minus the WD_SOFT_CORE_OPS_* of every backend the
 *	host lacks
 */
void wd_soft_core_dev_init(struct wd_soft_core_dev *dev, u32 ops);

/**
 * wd_soft_core_algs() - the device's algorithm names (uacce "algorithms")
 * @ops: the device's operations (struct wd_soft_core_dev.ops)
 * @buf: where to write the names, one per line, no newline after the last
 * @size: bytes at @buf; 64 is enough for every name
 *
 * An algorithm is listed when all its operations are in @ops: "nop",
 * "copy", "crc32c", "sha256", "deflate" (DEFLATE, INFLATE), "zlib"
 * (ZLIB_COMP, ZLIB_DECOMP), "gzip" (GZIP_COMP, GZIP_DECOMP).
 *
 * Return: the length of the string written (always NUL-terminated; names
 * that do not fit are left out).
 */
size_t wd_soft_core_algs(u32 ops, char *buf, size_t size);

/**
 * wd_soft_core_set_fail_next() - fault injection: fail the next requests
 * @dev: the device
 * @n: how many of the next requests (any queue, any operation, checked or
 *	not) complete with WD_SOFT_S_DEV_ERR without being executed; each is
 *	reported with wd_soft_host_report_error(). Replaces what was left;
 *	0 cancels. Negative values are taken as 0.
 *
 * May be called at any time, from any thread.
 */
void wd_soft_core_set_fail_next(struct wd_soft_core_dev *dev, int n);

/**
 * wd_soft_core_get_fail_next() - requests still to be failed
 * @dev: the device
 *
 * Return: how many of the next requests will fail (>= 0).
 */
int wd_soft_core_get_fail_next(struct wd_soft_core_dev *dev);

/**
 * wd_soft_core_set_stall() - test hook: stall engines inside requests
 * @dev: the device
 * @n: > 0: the next @n requests taken (any queue, in ring order of each)
 *	make the engine that took them wait, after taking and before
 *	executing, until called with 0 or their queue stops (then they run
 *	as any request of a stopping queue); 0: release them and disarm
 *
 * "Not done yet" as a state tests can create: the engine that took the
 * oldest request is busy while the others go on. The wait holds no lock;
 * the engine polls (wd_soft_host_yield()), so it is for tests only.
 * May be called at any time, from any thread.
 */
void wd_soft_core_set_stall(struct wd_soft_core_dev *dev, int n);

/**
 * wd_soft_core_get_stall() - engines stalled now
 * @dev: the device
 *
 * Return: how many engines wait in a stall of wd_soft_core_set_stall().
 */
int wd_soft_core_get_stall(struct wd_soft_core_dev *dev);

/**
 * wd_soft_core_ctx_cmd() - open or close a stream context (WD_SOFT_CMD_CTX)
 * @q: the queue, owned by the caller (the host checked ownership)
 * @cmd: the command, copied out of the caller's memory; OPEN writes ctx
 *
 * Runs in the caller's context: OPEN allocates with
 * wd_soft_host_alg_alloc() (charged to the caller) and initialises the
 * stream there. May sleep. Safe while an engine serves @q: a context in
 * use is freed when its request ends. The rules and errors are those of
 * WD_SOFT_CMD_CTX (include/uapi/misc/uacce/wd_soft.h).
 *
 * Return: 0 or a negative errno.
 */
int wd_soft_core_ctx_cmd(struct wd_soft_core_queue *q,
			 struct wd_soft_ctx_cmd *cmd);

/**
 * wd_soft_core_ctx_free_all() - close every context of a queue
 * @q: the queue, no engine serving it (PUT_Q, release, device removal)
 *
 * Sleeps (frees). Their numbers then fail with WD_SOFT_S_BAD_CTX.
 */
void wd_soft_core_ctx_free_all(struct wd_soft_core_queue *q);

/**
 * wd_soft_core_queue_init() - attach a queue to its rings
 * @q: the queue
 * @dev: its device
 * @mmio: the queue's MMIO page (WD_SOFT_MMIO_SIZE bytes), as the host reaches it
 * @dus: the queue's DUS region (WD_SOFT_DUS_SIZE bytes), as the host reaches it
 *
 * Writes the DUS header's geometry (magic, depth, sizes, offsets),
 * sets up the context table (no context) and resets the queue
 * (wd_soft_core_queue_reset()). Called once, when the queue is created;
 * wd_soft_core_ctx_free_all() before it is freed.
 */
void wd_soft_core_queue_init(struct wd_soft_core_queue *q,
			     struct wd_soft_core_dev *dev, void *mmio,
			     void *dus);

/**
 * wd_soft_core_queue_reset() - put a queue in its start state (START_Q)
 * @q: a queue no engine serves
 *
 * Every index becomes 0, the process's cq_head and cq_notify included;
 * both rings are zeroed (no entry keeps a valid phase); status and error
 * become 0; @q->stopping is cleared.
 */
void wd_soft_core_queue_reset(struct wd_soft_core_queue *q);

/**
 * wd_soft_core_queue_ready() - can the next SQE be taken now?
 * @q: the queue, served by the caller (or by no engine); a shared queue's
 *	@lock held
 *
 * The SQE at sq_head carries its valid phase (loaded with acquire: the
 * caller may copy it afterwards) and its CQ slot is free: the completion
 * ring has room for its CQE and for those of every request taken before
 * it and not posted yet (held, executing, or in the reorder buffer). The
 * process's cq_head is loaded only when
 * the device's cached copy shows the ring full, and checked against the
 * device's own indices: out of range makes the queue BROKEN
 * (WD_SOFT_ST_BROKEN, error WD_SOFT_QERR_CQ_HEAD, pollers woken), after
 * which it is never ready again until reset.
 *
 * Return: 1 when the next SQE can be taken, else 0 (always for a BROKEN
 * queue).
 */
u32 wd_soft_core_queue_ready(struct wd_soft_core_queue *q);

/**
 * wd_soft_core_queue_helpable() - would a helper find work @n SQEs on?
 * @q: the queue; may be served at the same time (a hint, read racily)
 * @n: 1..WD_SOFT_DEPTH
 *
 * Return: true when the SQE @n - 1 places after sq_head carries its valid
 * phase (the process publishes in order, so the ones before it do too)
 * and is plain (no context, no WD_SOFT_SQE_F_STATE). For the scheduler:
 * work for more than one engine (@n 2: beyond the one its owner takes).
 */
bool wd_soft_core_queue_helpable(struct wd_soft_core_queue *q, u32 n);

/**
 * wd_soft_core_queue_turn() - look at a queue: serve, poll on, or park?
 * @q: the queue (takes its @lock if shared)
 * @spin_ns: how long a queue must have had nothing to take before it is
 *	parked
 *
 * Clears NEED_WAKEUP. SERVE when a held request waits or SQEs can be taken
 * (without reading the clock); IDLE when the queue has had nothing for
 * less than @spin_ns (the clock read once every WD_SOFT_CORE_IDLE_LOOKS
 * idle looks, so a queue parks up to that many looks late; with @spin_ns
 * 0, at the second idle look); else the device's half of the need-wakeup handshake
 * (store NEED_WAKEUP, smp_mb(), one more look): SERVE if work arrived,
 * else PARK.
 *
 * The host must make PARK and a kick of the same queue mutually exclusive
 * (call this under the lock its KICK takes) and, after PARK, not look at
 * the queue until a kick; then no submission is left unseen
 * (docs/soft-device.md, "Need-wakeup, parking and KICK").
 *
 * Return: enum wd_soft_core_turn.
 */
enum wd_soft_core_turn wd_soft_core_queue_turn(struct wd_soft_core_queue *q,
					       u64 spin_ns);

/**
 * wd_soft_core_queue_unpark() - a kick puts a parked queue back
 * @q: a queue wd_soft_core_queue_turn() parked, no engine serving it
 *
 * Clears NEED_WAKEUP: the queue is looked at again, so the process need not
 * kick for what it publishes from now on. Call under the same host lock as
 * the turn that parked the queue, when the kick moves it back. Takes the
 * queue's @lock if shared (a helper may still finish a request).
 */
void wd_soft_core_queue_unpark(struct wd_soft_core_queue *q);

/**
 * wd_soft_core_serve() - execute one batch of a queue's requests (its owner)
 * @ctx: the engine and the queue, @ctx->bytes set to 0 by the host
 * @max_sqes: most SQEs to take
 * @max_bytes: stop taking SQEs once the batch has moved this much data
 *	(a request is never split: one large request may exceed it)
 *
 * The held request first, then SQEs as wd_soft_core_queue_ready() allows,
 * one at a time, each copied out of the ring, executed
 * (wd_soft_core_exec()) and completed. Stops early when @ctx->q->stopping
 * is set, or when a request must wait for a page (kept in @ctx->q->held,
 * no CQE). Then wakes pollers once if the process asked (WD_SOFT_CQN_*)
 * and this batch posted a CQE. May sleep in the host's functions.
 *
 * Completion is in ring order: a request's CQE is posted (its phase
 * stored, cq_tail advanced) once every older request's is. On a shared
 * queue a request finished while an older one still executes on another
 * engine leaves its CQE in the reorder buffer (struct wd_soft_core_queue
 * @done); the engine that finishes the oldest posts it with the others
 * that follow. No engine waits for another.
 *
 * Return: requests executed (held ones excepted): each has its CQE, or
 * will have it as soon as the older ones have theirs.
 */
u32 wd_soft_core_serve(struct wd_soft_core_ctx *ctx, u32 max_sqes,
		       u64 max_bytes);

/**
 * wd_soft_core_help() - execute one batch of a shared queue's requests (a
 *	helper, not its owner)
 * @ctx: the helping engine and the queue, @ctx->bytes set to 0
 * @max_sqes: as wd_soft_core_serve()
 * @max_bytes: as wd_soft_core_serve()
 *
 * As wd_soft_core_serve(), with @ctx->q's owner and other helpers serving
 * it at the same time, but takes only plain requests: it stops at the
 * first SQE with a stream context or WD_SOFT_SQE_F_STATE (left to the
 * owner, which takes them one at a time, so they keep their ring order
 * among themselves) and never takes the held request. Plain requests of
 * one queue may therefore execute at once; their CQEs are still posted in
 * ring order.
 *
 * Return: requests executed.
 */
u32 wd_soft_core_help(struct wd_soft_core_ctx *ctx, u32 max_sqes,
		      u64 max_bytes);

/**
 * wd_soft_core_exec() - execute one request
 * @ctx: the batch's context
 * @sqe: the request, a private copy
 * @res: set to the CQE but its user_data (status, out_len and, for a
 *	request on a context, in_len, cflags, dict_id)
 *
 * Checks in this order: fault injection (WD_SOFT_S_DEV_ERR), unknown flags,
 * non-zero rsvd, sflags without ctx or F_STATE, a state without F_STATE,
 * F_STATE's own rules (all WD_SOFT_S_INVAL, before the op is looked at), an
 * operation the device lacks (WD_SOFT_S_BAD_OP), the context (wd_soft_stream.c) or the
 * operation's own. Every WD_SOFT_S_DEV_ERR is reported with
 * wd_soft_host_report_error().
 *
 * Return: the completion status, WD_SOFT_S_*, or WD_SOFT_CORE_S_HELD.
 */
u32 wd_soft_core_exec(struct wd_soft_core_ctx *ctx,
		      const struct wd_soft_sqe *sqe, struct wd_soft_cqe *res);

/**
 * wd_soft_core_cancel() - end what a stopped queue has in flight
 * @q: a queue just taken away from its engine
 *
 * The held request, if any, completes with WD_SOFT_S_CANCELED, so every SQE
 * the device took has one CQE; SQEs not taken never run and get none
 * (docs/soft-device.md, "Stop"). Clears NEED_WAKEUP and wakes pollers
 * whatever cq_notify says.
 */
void wd_soft_core_cancel(struct wd_soft_core_queue *q);

/**
 * wd_soft_core_queue_updated() - is there a completion to collect?
 * @q: the queue; may be served by an engine at the same time
 *
 * Return: true when a posted CQE has not been consumed: the device's
 * cq_tail differs from the process's cq_head (poll()'s POLLIN).
 */
bool wd_soft_core_queue_updated(struct wd_soft_core_queue *q);

/**
 * wd_soft_core_queue_broken() - has the queue been stopped for bad indices?
 * @q: the queue; may be served by an engine at the same time
 *
 * Return: true once WD_SOFT_ST_BROKEN is set (poll()'s POLLERR).
 */
bool wd_soft_core_queue_broken(struct wd_soft_core_queue *q);

/**
 * wd_soft_core_ctx_init() - begin a batch
 * @ctx: the context
 * @q: the queue to serve
 * @eng: the engine serving it
 */
static inline void wd_soft_core_ctx_init(struct wd_soft_core_ctx *ctx,
					 struct wd_soft_core_queue *q,
					 struct wd_soft_core_engine *eng)
{
	ctx->q = q;
	ctx->eng = eng;
	ctx->bytes = 0;
	ctx->extent = 0;
	ctx->ahead = NULL;
	ctx->nr_ahead = 0;
	ctx->mapped = false;
}

/**
 * wd_soft_core_region_copy() - wd_soft_host_copy() inside one region
 * @kaddr: where the host reaches the region's first byte
 * @base: the device address of that byte
 * @size: the region's size in bytes
 * @buf: the core's side, as wd_soft_host_copy()'s
 * @addr: the device address of the range
 * @len: its bytes
 * @write: as wd_soft_host_copy()'s
 *
 * For hosts that reach request data through one region (the SS region in
 * the PASID and NOIOMMU models), so that each does not check it again.
 *
 * Return: @len, or -EFAULT when any of the range is outside the region.
 */
long wd_soft_core_region_copy(void *kaddr, u64 base, u64 size, void *buf,
			      u64 addr, u32 len, bool write);

/**
 * wd_soft_core_region_map() - wd_soft_host_map() inside one region
 * @kaddr: where the host reaches the region's first byte
 * @base: the device address of that byte
 * @size: the region's size in bytes
 * @addr: the device address of the range
 * @len: its bytes
 * @p: set to where the host reaches @addr
 *
 * The same range check as wd_soft_core_region_copy()'s.
 *
 * Return: @len, or 0 when any of the range is outside the region.
 */
long wd_soft_core_region_map(void *kaddr, u64 base, u64 size, u64 addr,
			     u64 len, void **p);

/* ---------------------------------------------------------------------- */
/* What the host provides                                                  */
/* ---------------------------------------------------------------------- */

/*
 * Functions the host defines (link-time, no function pointers), called by
 * the engine thread serving @ctx, never concurrently for one engine, or
 * (the backends' alloc, free, init and end) by wd_soft_core_ctx_cmd() in
 * the caller's context. A backend state (struct wd_soft_host_alg) is used
 * by one thread at a time. Errors are negative errno values; the core
 * turns them into statuses.
 */

/**
 * wd_soft_host_copy() - move request data to or from a device address
 * @ctx: the batch's context (the queue gives the memory model)
 * @buf: the core's side (a bounce buffer), at least @len bytes
 * @addr: the device address, as the request gives it; the core has checked
 *	that @addr + @len does not wrap around
 * @len: bytes, 1 to WD_SOFT_CORE_CHUNK
 * @write: true: @buf to @addr (results); false: @addr to @buf (sources)
 *
 * In the queue's memory model: @addr is not directly addressable. May
 * sleep. The core walks buffers and scatter-gather lists; the host only
 * copies one piece.
 *
 * Return: @len when everything was copied; fewer bytes, or -EFAULT, when
 * part of the range cannot be reached (WD_SOFT_S_BAD_ADDR);
 * -EAGAIN when a page is not there yet and the host has set about
 * bringing it in without waiting for it (the request is held:
 * WD_SOFT_CORE_S_HELD, and executed again later from its start);
 * -ECANCELED when the queue is stopping (WD_SOFT_S_CANCELED); -EIO for a
 * device failure (WD_SOFT_S_DEV_ERR).
 */
long wd_soft_host_copy(struct wd_soft_core_ctx *ctx, void *buf, u64 addr,
		       u32 len, bool write);

/**
 * wd_soft_host_map() - reach request data in place, without a copy
 * @ctx: the batch's context
 * @addr: the device address; the core has checked that @addr + @len does
 *	not wrap around
 * @len: bytes wanted (>= 1)
 * @write: the engine writes there (the host must only map what the owner
 *	may write)
 * @kaddr: set to where the engine reaches @addr
 *
 * As a device's DMA would: the engine reads or writes the memory itself
 * while the request runs (the process may change it meanwhile: the result
 * is then undefined, never unsafe). Must not wait for a page. The core
 * maps at most WD_SOFT_CORE_CHUNK bytes of work between two yields (but
 * for the one-shot deflate, up to WD_SOFT_CORE_ONESHOT_MAX, on hosts that
 * have one), unmaps everything at each yield and before a fallback that
 * reaches the same bytes by copy, and falls back on wd_soft_host_copy()
 * for a piece the host does not map.
 *
 * Return: n in 1..@len: bytes reachable contiguously at *@kaddr, valid
 * until wd_soft_host_unmap(); 0: not in place here (the core copies this
 * piece with wd_soft_host_copy(), which then decides: a page request,
 * BAD_ADDR, ...); negative: as wd_soft_host_copy() (-EFAULT, -ECANCELED,
 * -EIO; never -EAGAIN: return 0 instead).
 */
long wd_soft_host_map(struct wd_soft_core_ctx *ctx, u64 addr, u64 len,
		      bool write, void **kaddr);

/**
 * wd_soft_host_unmap() - the core is done with every mapping of a request
 * @ctx: the batch's context
 *
 * Called whenever the core is done with what it mapped (@ctx->mapped): at
 * each yield, before a fallback that reaches the same bytes by copy (the
 * one-shot deflate's), and at the end of every request that mapped
 * anything, whatever its outcome (held requests included), before its
 * CQE is posted. So possibly several times per request. Must tolerate a
 * call when nothing is mapped.
 */
void wd_soft_host_unmap(struct wd_soft_core_ctx *ctx);

/**
 * wd_soft_host_yield() - between two chunks of a long request
 * @ctx: the batch's context
 *
 * A chance to give the CPU away (kernel: cond_resched()). The core checks
 * @ctx->q->stopping right after it.
 */
void wd_soft_host_yield(struct wd_soft_core_ctx *ctx);

/**
 * wd_soft_host_wake() - wake the queue's pollers
 * @q: the queue
 *
 * Called after completions when the process asked for it (WD_SOFT_CQN_*),
 * and always when the queue becomes BROKEN or is cancelled. Cheap when
 * nobody sleeps; loses no wake-up against a poller that checks
 * wd_soft_core_queue_updated() after queueing itself; does not sleep (it
 * may be called under the host's engine lock).
 */
void wd_soft_host_wake(struct wd_soft_core_queue *q);

/**
 * wd_soft_host_report_error() - a request failed with WD_SOFT_S_DEV_ERR
 * @q: the queue it came from
 *
 * Counts a device error, which may isolate the device.
 */
void wd_soft_host_report_error(struct wd_soft_core_queue *q);

/**
 * wd_soft_host_now_ns() - a monotonic clock
 *
 * Read only for a queue that has nothing to take.
 *
 * Return: nanoseconds since an arbitrary origin; never 0.
 */
u64 wd_soft_host_now_ns(void);

/**
 * wd_soft_host_crc32() - CRC-32 (IEEE 802.3, the gzip/zlib one)
 * @crc: the CRC of the data so far, 0 for none
 * @data: more data
 * @len: its length
 *
 * zlib's crc32() convention, inversions included:
 * crc32(crc32(0, a), b) == crc32(0, a || b).
 *
 * Return: the CRC of the data so far and @data.
 */
u32 wd_soft_host_crc32(u32 crc, const void *data, u32 len);

/**
 * wd_soft_host_alg_alloc() - a backend state
 * @dev: the device
 * @kind: what it serves (enum wd_soft_alg_kind)
 * @bytes: set to the memory it holds, which the core counts against
 *	@dev->max_ctx_bytes for a context
 *
 * For a context, called by wd_soft_core_ctx_cmd() in the opener's
 * context: the kernel charges the memory to it (GFP_KERNEL_ACCOUNT). The
 * core then calls wd_soft_host_sha256_init() or wd_soft_host_zinit() once
 * and keeps the state initialised for the context's life. May sleep.
 *
 * Return: the state, or NULL (no memory).
 */
struct wd_soft_host_alg *wd_soft_host_alg_alloc(struct wd_soft_core_dev *dev,
						enum wd_soft_alg_kind kind,
						size_t *bytes);

/**
 * wd_soft_host_alg_free() - free a backend state
 * @a: from wd_soft_host_alg_alloc(), or NULL; zend() done if zinit() was
 *
 * May sleep.
 */
void wd_soft_host_alg_free(struct wd_soft_host_alg *a);

/**
 * wd_soft_host_crc32c() - CRC-32C (Castagnoli) register update
 * @a: an ENGINE backend state
 * @crc: in: the register; out: the register after @data
 * @data: the data
 * @len: its length
 *
 * The kernel's crc32c(crc, data, len): no pre- or post-inversion.
 *
 * Return: 0, or a negative errno (WD_SOFT_S_DEV_ERR).
 */
int wd_soft_host_crc32c(struct wd_soft_host_alg *a, u32 *crc,
			const void *data, u32 len);

/**
 * wd_soft_host_sha256_init() - start a SHA-256 digest
 * @a: an ENGINE or SHA256 backend state
 *
 * Return: 0, or a negative errno (WD_SOFT_S_DEV_ERR).
 */
int wd_soft_host_sha256_init(struct wd_soft_host_alg *a);

/**
 * wd_soft_host_sha256_update() - add data to the digest
 * @a: the state
 * @data: the data
 * @len: its length, at most WD_SOFT_CORE_CHUNK
 *
 * Return: 0, or a negative errno (WD_SOFT_S_DEV_ERR).
 */
int wd_soft_host_sha256_update(struct wd_soft_host_alg *a, const void *data,
			       u32 len);

/**
 * wd_soft_host_sha256_final() - finish the digest
 * @a: the state; wd_soft_host_sha256_init() before its next update
 * @digest: WD_SOFT_CORE_SHA256_SIZE bytes, the standard big-endian digest
 *
 * Return: 0, or a negative errno (WD_SOFT_S_DEV_ERR).
 */
int wd_soft_host_sha256_final(struct wd_soft_host_alg *a, u8 *digest);

/**
 * wd_soft_host_sha256_import() - continue a digest from a saved state
 * @a: an ENGINE backend state
 * @st: the state, the core's copy (WD_SOFT_SQE_F_STATE); any value
 *
 * Replaces the digest in @a, as wd_soft_host_sha256_init() does; updates
 * and final follow.
 *
 * Return: 0, or a negative errno (WD_SOFT_S_DEV_ERR).
 */
int wd_soft_host_sha256_import(struct wd_soft_host_alg *a,
			       const struct wd_soft_sha256_state *st);

/**
 * wd_soft_host_sha256_export() - save the digest in progress
 * @a: an ENGINE backend state, after import and updates
 * @st: filled in (every byte: no stale device memory leaves it)
 *
 * Return: 0, or a negative errno (WD_SOFT_S_DEV_ERR).
 */
int wd_soft_host_sha256_export(struct wd_soft_host_alg *a,
			       struct wd_soft_sha256_state *st);

/**
 * wd_soft_host_zinit() - start a deflate or inflate stream
 * @a: an ENGINE state, or a DEFLATE or INFLATE one for @dir
 * @dir: WD_SOFT_ZDEFLATE or WD_SOFT_ZINFLATE
 * The stream is raw deflate (zlib's windowBits -15): the core frames
 * zlib and gzip itself.
 * @level: deflate: 1..9 (the core has applied the default); inflate: 0
 *
 * Deflate uses the 32 KiB window, memLevel 8 and the default strategy.
 * After a successful init, the core calls wd_soft_host_zend() exactly once.
 *
 * Return: 0, or a negative errno (WD_SOFT_S_DEV_ERR; no zend() then).
 */
int wd_soft_host_zinit(struct wd_soft_host_alg *a, enum wd_soft_zdir dir,
		       int level);

/**
 * wd_soft_host_zrun() - run the stream over bounded buffers
 * @a: the state
 * @zs: input and output windows, advanced by what was consumed and produced
 * @flush: deflate: as zlib's deflate() takes it; inflate: ignored
 *
 * Runs until the input is used up, the output window is full or the
 * stream ends. Making no progress is not an error (the core decides).
 *
 * Return: 0 (not ended), 1 (stream end: deflate has produced everything;
 * inflate has seen the end of the last block; input after that is left in
 * @zs), -EBADMSG (inflate: invalid data: WD_SOFT_S_CORRUPT), or another
 * negative errno (WD_SOFT_S_DEV_ERR).
 */
int wd_soft_host_zrun(struct wd_soft_host_alg *a, struct wd_soft_zstream *zs,
		      enum wd_soft_zflush flush);

/**
 * wd_soft_host_zreset() - start the stream of wd_soft_host_zinit() anew
 * @a: an initialised state: same direction and level
 *
 * As zlib's deflateReset()/inflateReset(): no allocation.
 *
 * Return: 0, or a negative errno (WD_SOFT_S_DEV_ERR).
 */
int wd_soft_host_zreset(struct wd_soft_host_alg *a);

/*
 * zlib's return codes, numbered alike by the kernel's lib/zlib_* and by
 * zlib itself; each host checks them against its own zlib.h at build time.
 */
enum wd_soft_zret {
	WD_SOFT_Z_OK		= 0,
	WD_SOFT_Z_STREAM_END	= 1,
	WD_SOFT_Z_NEED_DICT	= 2,
	WD_SOFT_Z_DATA_ERROR	= -3,
	WD_SOFT_Z_BUF_ERROR	= -5,
};

/**
 * wd_soft_core_zret() - wd_soft_host_zrun()'s answer for a zlib return code
 * @zret: what deflate()/inflate() (zlib_deflate()/zlib_inflate()) returned
 *
 * Return: 0 for Z_OK and Z_BUF_ERROR (no progress possible: the core
 * decides), 1 for Z_STREAM_END, -EBADMSG for Z_DATA_ERROR and Z_NEED_DICT
 * (a raw stream never asks for one: the core handles dictionaries), -EIO
 * for anything else.
 */
int wd_soft_core_zret(int zret);

/**
 * wd_soft_host_zoneshot() - a whole raw deflate stream in one call, if the
 * host has a faster one
 * @a: an ENGINE backend state
 * @level: 1..9
 * @src: the source, in place (from wd_soft_host_map(), whole)
 * @slen: its bytes
 * @dst: room for the raw deflate stream, in place
 * @dlen: its bytes
 *
 * For requests without a context whose source and destination are flat
 * and mappable whole; the core writes the zlib or gzip framing around it.
 * The output is any valid raw deflate stream at about @level's ratio, not
 * necessarily zlib's bytes.
 *
 * Return: bytes of raw deflate written (> 0); 0: not done (no one-shot
 * backend, or @dlen too small): the core compresses with the stream
 * backend; negative errno: WD_SOFT_S_DEV_ERR.
 */
long wd_soft_host_zoneshot(struct wd_soft_host_alg *a, int level,
			   const void *src, u32 slen, void *dst, u32 dlen);

/**
 * wd_soft_host_zend() - release the stream started by wd_soft_host_zinit()
 * @a: the state
 */
void wd_soft_host_zend(struct wd_soft_host_alg *a);

#endif /* _WD_SOFT_CORE_H */
