/* SPDX-License-Identifier: MIT */
/*
 * wd.h: libwd, the WarpDrive user library.
 *
 * An application talks to an accelerator through a queue: it sends requests
 * and receives them back completed, with no system call on the data path
 * (only to wake a sleeping engine, or to sleep while waiting). The API of
 * the WarpDrive design (wd_request_queue ... wd_share_reserved_memory) is
 * kept as the design gives it; the rest is libwd's own. docs/libwd.md
 * describes the library's design (transports, user drivers, memory modes).
 *
 * Quick start:
 *
 *	struct wd_queue q = { .capa.alg = "copy" };	// zero everything else
 *	struct wd_copy_req req;
 *	void *r;
 *
 *	if (wd_request_queue(&q))		// any device offering "copy"
 *		...;
 *	char *buf = wd_reserve_memory(&q, 1 << 20);	// works in every mode
 *	wd_prep_copy(&req, buf + 4096, buf, 4096);
 *	wd_send(&q, &req);
 *	wd_recv_sync(&q, &r);			// r == &req, req.status == 0
 *	wd_release_queue(&q);
 *
 * Errors are negative errno values (functions returning int) or NULL with
 * errno set (wd_reserve_memory). A request's own outcome is in its status
 * field, also a negative errno (see "Request status" below).
 *
 * Contracts
 *
 * Threads. Different queues are independent: any number of threads may use
 * different queues at the same time with no coordination. One queue may be
 * shared by threads too: wd_send() and wd_flush() are serialised among
 * themselves by the queue, and so are wd_recv(), wd_recv_sync() and
 * wd_recv_wait(); wd_send_many() is a sender and wd_recv_many() a
 * receiver. A sender and a receiver run in parallel without taking each
 * other's lock (the ring is single-producer, single-consumer), except that
 * wd_recv_sync()/wd_recv_wait() flush first. wd_request_queue(),
 * wd_release_queue(), wd_reserve_memory() and wd_share_reserved_memory() on
 * a queue must not run concurrently with any other call on that same queue
 * (or, for sharing, on the target queue). A request belongs to the library
 * from a successful wd_send() (or a wd_send_many() that counted it) until
 * wd_recv*() hands it back: the caller must not touch it or its buffers in
 * between. The library keeps no global state besides a driver table
 * (constant), a fork counter (atomic) and the in-process device (created
 * once, under a lock).
 *
 * Fork. A queue belongs to the process that requested it. In a child of
 * fork() every call on an inherited queue fails with -EPERM (wd_reserve_memory:
 * NULL, errno EPERM) without touching the device or the parent's queue; the
 * queue's mappings are not inherited either (the kernel does not copy them).
 * wd_release_queue() in the child only frees the child's copy of the
 * library's state. The child may request queues of its own, whatever the
 * parent's other threads were doing: fork() waits for a thread that is
 * creating the in-process device or starting a queue on it (pthread_atfork).
 * Queue file descriptors are opened with O_CLOEXEC.
 *
 * Signals. The in-process device (WD_DEV_LOCAL) installs no signal handler
 * and its engine threads block every signal: the kernel copies SVA request
 * data for them, a bad address fails that request (-EFAULT), and signals
 * reach the application as without libwd. WD_LOCAL_SVA_COPY=signal, read
 * when the SVA device is created, makes small requests faster with a
 * SIGSEGV/SIGBUS handler in place of the application's action, chaining to
 * it (docs/soft-local.md: what that means next to JVMs, sanitizers, crash
 * reporters); unset, empty or "kernel" is the default, anything else
 * -EINVAL. Where seccomp refuses process_vm_readv/writev, "local:sva"
 * fails with that error.
 *
 * Every request comes back once. A request wd_send() took is handed back
 * by exactly one wd_recv*() call, unless the queue is released first. When
 * the queue breaks (-EIO) the library stops it, so that the device lets go
 * of the buffers, and hands the requests still in flight back with status
 * -EIO, oldest first, before the receive calls return -EIO; when the device
 * goes away, with status -ECANCELED, before they return -ENODEV.
 *
 * Devices going away. When a device is removed, the kernel unmaps the
 * queue's regions: a call that touches the ring then gets SIGBUS, exactly as
 * with hardware that disappears. A wd_recv_sync()/wd_recv_wait() asleep in
 * poll() learns it without touching the ring: from then on the receive
 * calls hand back the requests still in flight, each with status
 * -ECANCELED (the device may or may not have run it; it no longer touches
 * its buffers), then return -ENODEV, as every other call does.
 */
#ifndef WD_H
#define WD_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WD_VERSION_MAJOR	1
#define WD_VERSION_MINOR	1	/* 1: wd_send_many(), wd_recv_many() */

/* ------------------------------------------------------------------ */
/* Queues                                                               */
/* ------------------------------------------------------------------ */

/* Size of struct wd_queue.dev_path, NUL included. */
#define WD_DEV_PATH_MAX		64

/*
 * dev_path value selecting the in-process device: the same device and ring
 * protocol, run by threads of this process instead of the kernel ("local",
 * "local:sva", "local:pasid" or "local:noiommu" for its memory mode; plain
 * "local" is SVA). It is never chosen unless named here or in the
 * WD_DEV_PATH environment variable, and a queue on it always has
 * WD_DEV_LOCAL in dev_flags and "local..." in dev_path.
 *
 * The device of each mode is created by the first wd_request_queue() that
 * names it (in a child of fork(), by the child's first one) and lives as
 * long as the process. Its engine threads, which do the work of all its
 * queues (each started queue goes to the least loaded one), number the
 * value of the WD_LOCAL_ENGINES environment variable at that moment: 1 to
 * WD_LOCAL_ENGINES_MAX, decimal digits only; unset or empty means 1.
 * Queues requested later share the device as it is, whatever the variable
 * says then. Any other value (0, a sign, too large, not a number, trailing
 * characters) makes that wd_request_queue() fail with -EINVAL, creating
 * nothing; the next request naming the device reads the variable again.
 *
 * libwd reads WD_DEV_PATH, WD_LOCAL_ENGINES and WD_LOCAL_SVA_COPY with
 * secure_getenv(): in a program running with more privilege than its
 * caller (setuid, setgid, file capabilities) they count as unset.
 */
#define WD_DEV_LOCAL_PATH	"local"
#define WD_LOCAL_ENGINES_MAX	16

/**
 * wd_local_engines() - the engine count an in-process device made now gets
 *
 * Reads WD_LOCAL_ENGINES by the rule above, so that a program can show the
 * figure, or name the variable when wd_request_queue() refused it.
 *
 * Return: 1..WD_LOCAL_ENGINES_MAX, or -EINVAL if the variable's value is
 * invalid. Since libwd 1.1.
 */
int wd_local_engines(void);

/*
 * Memory modes and other device properties (struct wd_queue.dev_flags; the
 * mode bits are also struct wd_capa.flags). Exactly one mode bit is set on a
 * requested queue.
 *
 * WD_DEV_SVA: the device works on the process's own addresses and reaches
 *	any memory the process can (heap, stack, files): no registration.
 * WD_DEV_PASID: the device reaches only memory from wd_reserve_memory() on
 *	this queue or shared to it (wd_share_reserved_memory()), at the
 *	addresses the process sees.
 * WD_DEV_NOIOMMU: as PASID, but the device works on bus addresses, which
 *	libwd computes: callers still pass their own pointers. Needs
 *	CAP_SYS_RAWIO on a kernel device, and taints the kernel.
 * WD_DEV_LOCAL: the in-process device (never a kernel device).
 *
 * Code that puts every buffer it hands the device in wd_reserve_memory()
 * memory works unchanged in all three modes.
 */
#define WD_DEV_SVA		(1u << 0)
#define WD_DEV_PASID		(1u << 1)
#define WD_DEV_NOIOMMU		(1u << 2)
#define WD_DEV_MODES		(WD_DEV_SVA | WD_DEV_PASID | WD_DEV_NOIOMMU)
#define WD_DEV_LOCAL		(1u << 8)

/**
 * struct wd_capa - what the caller needs from the device
 * @alg: the algorithm: "nop", "copy", "crc32c", "sha256", "deflate", "zlib"
 *	or "gzip" (the names in the devices' sysfs "algorithms"). Its request
 *	structure: struct wd_copy_req (nop, copy), struct wd_digest_req (crc32c,
 *	sha256), struct wd_comp_req (deflate, zlib, gzip).
 * @flags: the acceptable memory modes, WD_DEV_SVA | WD_DEV_PASID |
 *	WD_DEV_NOIOMMU; 0 accepts every mode. WD_DEV_SVA alone is for callers
 *	that hand the device ordinary (malloc'ed) memory.
 */
struct wd_capa {
	const char *alg;
	uint32_t flags;
};

/**
 * struct wd_queue - a queue, the caller's handle
 * @capa: in: what the queue must do
 * @dev_path: in: "" (any device; the WD_DEV_PATH environment variable, if
 *	set and not empty, is used instead), "/dev/uaN" (that device only) or
 *	"local[:mode]" (the in-process device, see WD_DEV_LOCAL_PATH).
 *	out: the device the queue is on.
 * @dev_flags: out: WD_DEV_* of the device (its memory mode, WD_DEV_LOCAL)
 * @node: out: the device's NUMA node, -1 for none
 * @depth: out: how many requests can be in flight (sent, not yet received)
 * @ss_max: out: the most wd_reserve_memory() may map, in bytes
 * @priv: the library's; NULL when the queue is not requested
 *
 * Zero the structure, set @capa (and @dev_path) and call
 * wd_request_queue(). The structure must stay at the same address until
 * wd_release_queue().
 */
struct wd_queue {
	struct wd_capa capa;
	char dev_path[WD_DEV_PATH_MAX];
	uint32_t dev_flags;
	int node;
	uint32_t depth;
	size_t ss_max;
	void *priv;
};

/**
 * wd_request_queue() - get a queue on a device that offers q->capa.alg
 * @q: zeroed except for @capa and @dev_path (see struct wd_queue)
 *
 * With an empty dev_path, every accelerator in /sys/class/uacce is
 * considered that offers the algorithm, has a user driver for its "api",
 * a memory mode in capa.flags, is not isolated and has a free queue; NOIOMMU
 * devices only for a process with CAP_SYS_RAWIO. Of those the one with the
 * smallest numa_distance (as seen from the calling thread's CPU) is
 * preferred, then the one with the most available_instances; if opening it
 * loses a race, the next one is tried. The queue is started and ready for
 * wd_send() on return.
 *
 * Return: 0, or
 *	-EINVAL: @q or capa.alg NULL, alg empty, dev_path not "", "/dev/uaN"
 *		 or "local[:sva|pasid|noiommu]", capa.flags has unknown bits,
 *		 or q->priv is not NULL (already requested, or not zeroed);
 *		 or the in-process device was named, had to be created and
 *		 WD_LOCAL_ENGINES holds an invalid value (see
 *		 WD_DEV_LOCAL_PATH);
 *	-ENODEV: no device offers the algorithm (in an accepted mode): the
 *		 algorithm is unknown everywhere, or the named device does not
 *		 offer it, or the in-process device is not built in;
 *	-ENOENT: the named /dev/uaN does not exist;
 *	-EPROTONOSUPPORT: the named device's api has no libwd user driver;
 *	-EBUSY: devices offer it but none has a free queue;
 *	-EIO: the devices that offer it are isolated (too many errors);
 *	-EACCES: the caller may not open the devices that offer it (file
 *		 permissions);
 *	-EPERM: the only devices offering it are NOIOMMU and the caller lacks
 *		 CAP_SYS_RAWIO;
 *	-ENOMEM, -EMFILE, ...: resources.
 *	When several devices fail for different reasons, the error is the
 *	first of EBUSY, EIO, EACCES, EPERM that occurred.
 */
int wd_request_queue(struct wd_queue *q);

/**
 * wd_release_queue() - stop and free a queue
 * @q: a requested queue (NULL or a released queue: nothing happens)
 *
 * Requests still in flight are stopped by the device (completed or
 * cancelled) and are not handed back; the library does not write to them
 * any more and the device no longer touches their buffers once this
 * returns, so the caller may free them. Memory reserved on the queue stays mapped while a queue it was
 * shared with is still requested, and is unmapped with the last one.
 * Afterwards q->priv is NULL and other calls on @q fail with -EINVAL.
 */
void wd_release_queue(struct wd_queue *q);

/**
 * wd_send() - queue one request
 * @q: the queue
 * @req: the request structure of the queue's algorithm class, prepared
 *	(wd_prep_*()); it must stay valid until wd_recv*() hands it back
 *
 * The request is not visible to the device until wd_flush() (or
 * wd_recv_sync()/wd_recv_wait(), which flush first): several sends can
 * share one doorbell.
 *
 * Return: 0, or
 *	-EBUSY: q->depth requests are already in flight: receive some first;
 *	-EINVAL: @q or @req NULL, @q not requested, or a malformed request (an
 *		 unknown op or level, a seed on sha256, a NULL buffer of
 *		 non-zero length);
 *	-EFAULT: PASID and NOIOMMU modes: a buffer is not entirely inside
 *		 memory reserved on or shared to this queue;
 *	-EPERM: @q was inherited across fork();
 *	-EIO: the device broke the queue (it found the ring's indices
 *		 inconsistent or returned a completion out of order, or
 *		 an OK one with more output than the destination holds);
 *	-ENODEV: the device is gone.
 *	Nothing is queued on error.
 */
int wd_send(struct wd_queue *q, void *req);

/**
 * wd_send_many() - queue a batch of requests and ring the doorbell once
 * @q: the queue
 * @reqs: @n requests, each as wd_send()'s @req (the array itself is not
 *	kept: it may be reused as soon as the call returns)
 * @n: how many; 0 queues nothing
 *
 * The requests are queued in order under one lock, as @n wd_send() calls
 * would queue them, until one does not fit (q->depth requests in flight)
 * or is refused (a NULL or malformed request, a buffer out of reach); that
 * one and the ones after it are not queued. Then, unlike wd_send(), it
 * rings the doorbell: every request sent so far on @q, by this call or by
 * earlier wd_send() calls, becomes visible to the device, as with
 * wd_flush(). It does so whatever it queued (@n 0 and -EBUSY included),
 * unless the queue or the arguments are refused (-EINVAL for @q, @reqs or
 * @n; -EPERM; -ENODEV).
 *
 * A short count says that reqs[ret] stopped the batch, not why: calling
 * again with @reqs + ret and @n - ret gives the reason, since its first
 * request then fails with nothing queued (-EBUSY until some are received,
 * or that request's own error). Nothing is remembered between calls.
 *
 * Return: how many were queued, reqs[0] .. reqs[ret - 1] (1 .. @n; 0 only
 *	for @n 0), or, when not even reqs[0] was, a negative errno as
 *	wd_send() returns it: -EBUSY (q->depth requests already in flight),
 *	-EINVAL (@q NULL or not requested, @n negative, @reqs NULL with @n
 *	above 0, reqs[0] NULL or malformed), -EFAULT, -EPERM, -EIO, -ENODEV.
 */
int wd_send_many(struct wd_queue *q, void *const *reqs, int n);

/**
 * wd_recv() - collect one completed request, without waiting
 * @q: the queue
 * @req: set to the completed request: the very pointer wd_send() took,
 *	with status and out_len (and the class's other results) filled in.
 *	Requests complete in the order they were sent.
 *
 * Return: 1 (*@req set), 0 (none completed yet), or -EINVAL (@q or @req
 *	NULL, @q not requested), -EPERM (fork child), -EIO (queue broken,
 *	no request left in flight), -ENODEV (device gone, no request left in
 *	flight). On a broken queue or a gone device it returns 1 for each
 *	request still in flight first (see "Every request comes back once").
 */
int wd_recv(struct wd_queue *q, void **req);

/**
 * wd_recv_many() - collect the completed requests there are, without waiting
 * @q: the queue
 * @reqs: room for @max pointers: set to the completed requests, oldest
 *	first, each as wd_recv() hands it back (the order they were sent)
 * @max: the most to collect; 0 collects nothing
 *
 * As up to @max wd_recv() calls under one lock, but the device is told
 * once per call, not once per request, that their slots are free (one
 * store to the doorbell page instead of one per request: a cache line the
 * device reads). Like wd_recv() it neither flushes nor waits: a caller
 * polling with it rings the doorbell with wd_flush() or wd_send_many().
 *
 * Every completion is checked as wd_recv() checks it (its index, that its
 * request was sent, its output length): when one cannot be right the queue
 * breaks, and the completions before it are still handed back by this
 * call; the next call returns -EIO.
 *
 * Return: how many were collected, reqs[0] .. reqs[ret - 1] (0 when none
 *	had completed, or @max 0), or -EINVAL (@q NULL or not requested, @max
 *	negative, @reqs NULL with @max above 0), -EPERM (fork child), -EIO
 *	(queue broken), -ENODEV (device gone): these two once no request is
 *	left in flight, as wd_recv().
 */
int wd_recv_many(struct wd_queue *q, void **reqs, int max);

/**
 * wd_recv_sync() - collect one completed request, waiting for it
 * @q: the queue
 * @req: as wd_recv()
 *
 * wd_flush(), then wd_recv() until it has a request, sleeping in poll()
 * (no busy wait) while there is none. Same as wd_recv_wait(q, req, -1).
 *
 * Return: 1, or as wd_recv_wait() (never 0 or -ETIMEDOUT).
 */
int wd_recv_sync(struct wd_queue *q, void **req);

/**
 * wd_recv_wait() - collect one completed request, waiting at most a while
 * @q: the queue
 * @req: as wd_recv()
 * @timeout_ms: how long to wait; -1 for ever, 0 not at all (but flush)
 *
 * Return: 1, or -ETIMEDOUT (nothing within @timeout_ms), -ENOMSG (no request
 *	in flight: nothing to wait for), -EINTR (a signal interrupted the
 *	wait in poll()), -EINVAL (@timeout_ms below -1), or as wd_recv().
 */
int wd_recv_wait(struct wd_queue *q, void **req, int timeout_ms);

/**
 * wd_flush() - make every request sent so far visible to the device
 * @q: the queue (NULL, released, inherited: nothing happens)
 *
 * One store to the doorbell; a system call only when the device's engine
 * went to sleep (the need-wakeup protocol).
 */
void wd_flush(struct wd_queue *q);

/**
 * wd_reserve_memory() - map memory the device can reach (the SS region)
 * @q: the queue
 * @size: bytes, rounded up to the page size; at most q->ss_max
 *
 * The memory is zeroed, page aligned, and shared with the device in every
 * memory mode; buffers inside it are passed to requests as ordinary
 * pointers. One reservation per queue; other queues may use it through
 * wd_share_reserved_memory(). It is unmapped by wd_release_queue() (of the
 * last queue using it).
 *
 * Return: the memory, or NULL with errno EINVAL (@q NULL or not requested,
 *	@size 0), EEXIST (the queue already has reserved or shared memory),
 *	ENOMEM (@size above q->ss_max, or no memory), EPERM (fork child; or a
 *	NOIOMMU kernel device and no CAP_SYS_RAWIO), ENODEV (device gone).
 */
void *wd_reserve_memory(struct wd_queue *q, size_t size);

/**
 * wd_share_reserved_memory() - let another queue's device reach @q's memory
 * @q: a queue with memory from wd_reserve_memory()
 * @target_q: a queue of the same process without reserved or shared memory
 *
 * Afterwards @target_q's requests may point into that memory, at the same
 * addresses: one buffer can be written by a request on @q and read by a
 * request on @target_q with no copy. Both queues must be on kernel devices,
 * or both on the in-process device.
 *
 * Return: 0, or -EINVAL (NULL or unrequested queue, @q without reserved
 *	memory, @q == @target_q, queues on different kinds of device), -EEXIST
 *	(@target_q already has reserved or shared memory), -EPERM (fork
 *	child), -ENODEV (device gone).
 */
int wd_share_reserved_memory(struct wd_queue *q, struct wd_queue *target_q);

/* ------------------------------------------------------------------ */
/* Requests                                                             */
/* ------------------------------------------------------------------ */

/*
 * One structure per algorithm class. The caller owns them; wd_send() takes a
 * pointer to one, wd_recv*() gives that pointer back. Fields marked "in"
 * are read by wd_send(); "out" fields are written when the request is
 * handed back. Buffers are the caller's pointers in every memory mode;
 * lengths are bytes, at most the device's limit (wd_soft: 64 MiB of
 * source, larger gives status -EINVAL).
 *
 * Request status (the status field, "out"): 0 done, or
 *	-ENOSPC: dst_len is too small; out_len is the size needed (0 if the
 *		 device cannot tell, e.g. compression);
 *	-EFAULT: the device could not reach a buffer (dst may be partly
 *		 written);
 *	-EBADMSG: decompression: the input is not valid compressed data;
 *	-EINVAL: the device refused the request (a length over its limit);
 *	-EOPNOTSUPP: the device does not implement the operation;
 *	-EIO: device error;
 *	-ECANCELED: the queue was stopped before or while it ran, or its
 *		 device went away while it was in flight;
 *	-EPROTO: the device returned a status libwd does not know.
 */

/**
 * struct wd_copy_req - "copy" and "nop"
 * @src: in: source ("nop": ignored)
 * @dst: in: destination, may not overlap @src ("nop": ignored)
 * @src_len: in: bytes to copy
 * @dst_len: in: room at @dst (>= @src_len, else status -ENOSPC)
 * @status: out: 0 or a negative errno (see "Request status")
 * @out_len: out: bytes written (@src_len; "nop": 0)
 * @user_data: the caller's, never touched
 */
struct wd_copy_req {
	const void *src;
	void *dst;
	uint32_t src_len;
	uint32_t dst_len;
	int status;
	uint32_t out_len;
	void *user_data;
};

/* Digest sizes in bytes */
#define WD_CRC32C_SIZE		4
#define WD_SHA256_SIZE		32

/**
 * struct wd_digest_req - "crc32c" and "sha256"
 * @src: in: the data
 * @dst: in: where the result goes: sha256: the 32-byte digest; crc32c: the
 *	CRC as 4 bytes, little-endian (the same value as @crc)
 * @src_len: in: bytes of data
 * @dst_len: in: room at @dst: at least WD_SHA256_SIZE / WD_CRC32C_SIZE
 * @seed: in: crc32c: the CRC of the data that comes before @src (0 to
 *	start), so that a CRC can be computed in pieces:
 *	crc32c(crc32c(0, a), b) == crc32c(0, a b); sha256: must be 0
 * @status: out: 0 or a negative errno (see "Request status")
 * @out_len: out: bytes written to @dst
 * @crc: out: crc32c: the standard CRC-32C (Castagnoli; "123456789" gives
 *	0xe3069283) of the data, continuing from @seed
 * @user_data: the caller's, never touched
 */
struct wd_digest_req {
	const void *src;
	void *dst;
	uint32_t src_len;
	uint32_t dst_len;
	uint32_t seed;
	int status;
	uint32_t out_len;
	uint32_t crc;
	void *user_data;
};

/* struct wd_comp_req.op */
enum wd_comp_op {
	WD_COMPRESS = 0,
	WD_DECOMPRESS = 1,
};

/**
 * struct wd_comp_req - "deflate" (raw, RFC 1951), "zlib" (RFC 1950) and
 *	"gzip" (RFC 1952): compression and decompression
 * @src: in: the input; decompression: one complete stream (gzip: one member)
 * @dst: in: room for the output
 * @src_len: in: bytes of input
 * @dst_len: in: room at @dst (too little: status -ENOSPC)
 * @op: in: WD_COMPRESS or WD_DECOMPRESS
 * @level: in: compression level 1 (fast) .. 9 (small), 0 for the default
 *	(6); must be 0 for decompression
 * @status: out: 0 or a negative errno (see "Request status")
 * @out_len: out: bytes written to @dst
 * @user_data: the caller's, never touched
 *
 * The output is bit-compatible with the standard formats: a "gzip" result
 * decompresses with gzip -d, a "zlib" one with zlib's inflate().
 */
struct wd_comp_req {
	const void *src;
	void *dst;
	uint32_t src_len;
	uint32_t dst_len;
	uint32_t op;
	uint32_t level;
	int status;
	uint32_t out_len;
	void *user_data;
};

/* Preparing requests: inline, they only fill in the structure. */

/** wd_prep_copy() - a "copy" (or "nop") of @len bytes from @src to @dst */
static inline void wd_prep_copy(struct wd_copy_req *req, void *dst,
				const void *src, uint32_t len)
{
	memset(req, 0, sizeof(*req));
	req->src = src;
	req->dst = dst;
	req->src_len = len;
	req->dst_len = len;
}

/**
 * wd_prep_digest() - a digest of @len bytes at @src into @dst
 * @req: the request
 * @dst: room for the result (@dst_len bytes)
 * @dst_len: at least WD_SHA256_SIZE or WD_CRC32C_SIZE
 * @src: the data
 * @len: its length
 * @seed: crc32c: CRC of the preceding data (0 to start); sha256: 0
 */
static inline void wd_prep_digest(struct wd_digest_req *req, void *dst,
				  uint32_t dst_len, const void *src,
				  uint32_t len, uint32_t seed)
{
	memset(req, 0, sizeof(*req));
	req->src = src;
	req->dst = dst;
	req->src_len = len;
	req->dst_len = dst_len;
	req->seed = seed;
}

/**
 * wd_prep_comp() - compress or decompress @src_len bytes at @src into @dst
 * @req: the request
 * @op: WD_COMPRESS or WD_DECOMPRESS
 * @level: compression level 1..9, 0 for the default (and for decompression)
 * @dst: room for the output
 * @dst_len: its size
 * @src: the input
 * @src_len: its length
 */
static inline void wd_prep_comp(struct wd_comp_req *req, enum wd_comp_op op,
				uint32_t level, void *dst, uint32_t dst_len,
				const void *src, uint32_t src_len)
{
	memset(req, 0, sizeof(*req));
	req->src = src;
	req->dst = dst;
	req->src_len = src_len;
	req->dst_len = dst_len;
	req->op = op;
	req->level = level;
}

#ifdef __cplusplus
}
#endif

#endif /* WD_H */
