/* SPDX-License-Identifier: MIT */
/*
 * wd_priv.h: libwd's internals. Three layers (docs/libwd.md):
 *
 *  - the queue API (wd.c, mem.c): argument checks, fork check, locks,
 *    reserved memory and address translation;
 *  - user drivers (drv_*.c), one per device "api", which speak the device's
 *    ring protocol on the regions a transport gives them;
 *  - transports (transport_*.c), the one way to reach a device: a queue's
 *    regions and control operations, and the device operations (instances,
 *    attributes, fault injection) by the kernel's sysfs and debugfs names;
 *    the kernel's uacce and wd_soft, or the in-process device (lib/soft).
 *    wd_ctl.h gives them to the tests.
 */
#ifndef WD_PRIV_H
#define WD_PRIV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wd.h"
#include "wd_ring.h"

#define WD_EXPORT __attribute__((visibility("default")))

struct wd_q;

/* One candidate device, as discovery found it. */
struct wd_dev {
	char path[WD_DEV_PATH_MAX];	/* "/dev/uaN", "local:MODE", "local/ID" */
	int id;				/* its "id" attribute */
	char api[32];
	char algs[256];			/* one name per line */
	uint32_t mode;			/* WD_DEV_SVA/PASID/NOIOMMU */
	int node;
	int distance;
	int avail;
	bool isolated;
	size_t ss_max;
	const struct wd_transport *tp;
	const struct wd_driver *drv;
};

/*
 * Transport: how a queue's regions and control operations are reached.
 * Every function returns 0 or a negative errno unless it says otherwise.
 */
struct wd_transport {
	const char *name;
	/* create the queue (state INIT) on @dev; fills q->tp */
	int (*open)(struct wd_q *q, const struct wd_dev *dev);
	/* the whole MMIO or DUS region (UACCE_QFRT_*) of @size bytes */
	int (*region)(struct wd_q *q, int qfrt, size_t size, void **addr);
	int (*start)(struct wd_q *q);
	/* stop: every request in flight completes or is cancelled */
	int (*stop)(struct wd_q *q);
	/* wake the device's engine (wd_soft: WD_SOFT_CMD_KICK) */
	int (*kick)(struct wd_q *q);
	/*
	 * a command of the device's own on the queue (wd_soft:
	 * WD_SOFT_CMD_CTX with a struct wd_soft_ctx_cmd): the kernel's
	 * ioctl(fd, cmd, arg); -EPERM not the owner, -ENODEV device gone,
	 * -ENOTTY unknown @cmd, else the command's own errors
	 */
	int (*dev_cmd)(struct wd_q *q, unsigned long cmd, void *arg);
	/* sleep until a completion (or a BROKEN queue) may be there: 1, 0
	 * on timeout, -errno (-ENODEV device gone, -EINTR) */
	int (*wait)(struct wd_q *q, int timeout_ms);
	/* map @size bytes of SS; *dma is its bus address (0 when unused) */
	int (*ss_map)(struct wd_q *q, size_t size, void **addr, uint64_t *dma);
	void (*ss_unmap)(void *addr, size_t size);
	/* UACCE_CMD_GET_SS_DMA: the bus address of the queue's SS */
	int (*ss_dma)(struct wd_q *q, uint64_t *dma);
	/* let @target's device reach @owner's SS */
	int (*share_ss)(struct wd_q *owner, struct wd_q *target);
	/* unmap the regions and free the queue (stopped or not) */
	void (*close)(struct wd_q *q);
	/* fork child: free what the child has without touching the device */
	void (*abandon)(struct wd_q *q);

	/*
	 * Device operations, in the kernel's vocabulary (docs/libwd.md).
	 * new_device: the syntax of /sys/bus/wd_soft/new_device, "ID
	 * [mode=sva|pasid|noiommu] [node=N] [queues=N] [engines=N]
	 * [max_ctx_bytes=N]" (the in-process device also takes spin_ns=,
	 * ops= and sva_copy=);
	 * -EEXIST when ID is taken. In-process, a fork child gets -EPERM
	 * from del_device, attr_get, attr_set and open on its parent's
	 * instances (dev_path still names them).
	 */
	int (*new_device)(const char *spec);
	int (*del_device)(int id);		/* -ENODEV: no such ID */
	/* the queue device path of instance @id ("/dev/uaN", "local/ID") */
	int (*dev_path)(int id, char *buf, size_t len);
	/*
	 * Attribute @name (sysfs: api, flags, ...; debugfs: hold,
	 * fail_next, ctx_bytes) of the device at path @dev: its length, the value in
	 * @buf without the trailing newline; -ENOENT: no such attribute
	 */
	int (*attr_get)(const char *dev, const char *name, char *buf,
			size_t len);
	/* write @val: 0 or -errno (-EACCES: read-only) */
	int (*attr_set)(const char *dev, const char *name, const char *val);
};

/* Algorithm classes: which request structure a queue takes. */
enum wd_class {
	WD_CLASS_COPY = __WD_RING_COPY,		/* struct wd_copy_req */
	WD_CLASS_DIGEST = __WD_RING_DIGEST,	/* struct wd_digest_req */
	WD_CLASS_COMP = __WD_RING_COMP,		/* struct wd_comp_req */
};

/*
 * A stream (wd.h): one context of the device on one queue. wd.c keeps
 * the handles on their queue's list; the driver fills in the rest.
 */
struct wd_stream {
	struct wd_q *q;
	struct wd_stream *prev, *next;	/* q->streams, under q->stream_lock */
	uint32_t ctx;			/* the device's context number */
	uint32_t op;			/* the driver's: the device's operation */
	uint32_t kind;			/* the driver's: what requests it takes */
	bool reset;			/* under send_lock: the next request
					 * starts the stream anew */
};

/* A user driver: speaks one device "api". */
struct wd_driver {
	const char *api;
	/* can it drive @alg: 0 and *cls, or -ENODEV */
	int (*alg)(const char *alg, enum wd_class *cls);
	/* map the regions, start the queue */
	int (*init)(struct wd_q *q);
	/* stop the queue (requests in flight end; not when the device is
	 * gone) and free the driver's state */
	void (*fini)(struct wd_q *q);
	/* the ring (q->ring, wd_ring.h) is the wd_soft_v3 protocol's: init
	 * fills it in; the sends and receives are wd_ring.h's, under
	 * send_lock and recv_lock in the exported calls */
	/* arm the completion wake-up: 1 if a completion is already there
	 * (not armed), 0 armed; disarm after waking */
	int (*arm)(struct wd_q *q);
	void (*disarm)(struct wd_q *q);
	/* requests sent and not yet received (any lock, approximate) */
	uint32_t (*inflight)(struct wd_q *q);
	/* streams: open a context for (@op, @level) of the queue's
	 * algorithm on the device, filling @s's ctx, op, kind; -EINVAL
	 * for arguments the algorithm does not take */
	int (*stream_open)(struct wd_q *q, struct wd_stream *s, uint32_t op,
			   uint32_t level);
	/* close @s's context on the device (errors are not reported) */
	void (*stream_close)(struct wd_q *q, struct wd_stream *s);
	/* under send_lock: queue one request of @s, as wd_ring.h's sends;
	 * 0 or -errno. No doorbell. */
	int (*stream_send)(struct wd_q *q, struct wd_stream *s,
			   struct wd_stream_req *req);
	/* under send_lock: queue one SHA-256 step with its state at @st
	 * (wd_digest_state_send(), arguments checked but the queue's
	 * algorithm: -EINVAL for another), as the stream's; 0 or -errno */
	int (*state_send)(struct wd_q *q, struct wd_stream_req *req,
			  struct wd_sha256_state *st);
};

/* Memory reserved on a queue, shared by the queues that use it. */
struct wd_ss {
	void *va;
	size_t size;
	uint64_t dma;			/* NOIOMMU: bus address of va */
	const struct wd_transport *tp;
	atomic_int refs;		/* queues using it */
};

/*
 * struct wd_queue.priv. The ring comes first: wd_ring.h's inline code
 * reaches it as q->priv. Its fork_gen is the queue's (__wd_ring_fork_gen
 * when requested), its dead flag the device's (gone: -ENODEV, ring
 * untouched); the driver fills in the rest.
 */
struct wd_q {
	struct wd_ring ring;
	struct wd_queue *pub;
	const struct wd_transport *tp;
	const struct wd_driver *drv;
	enum wd_class cls;
	const char *alg;		/* copy of capa.alg's name */
	uint32_t mode;			/* WD_DEV_SVA/PASID/NOIOMMU */
	struct wd_ss *ss;		/* reserved or shared memory, or NULL */
	pthread_mutex_t send_lock;
	pthread_mutex_t recv_lock;
	pthread_mutex_t stream_lock;	/* @streams */
	struct wd_stream *streams;	/* open streams, newest first */
	void *tp_priv;			/* the transport's */
	void *drv_priv;			/* the driver's */
	char alg_name[32];
};

/* wd.c */
/* the fork generation now (__wd_ring_fork_gen, bumped in every child) */
static inline unsigned long wd_fork_gen(void)
{
	return __atomic_load_n(&__wd_ring_fork_gen, __ATOMIC_RELAXED);
}

/* the queue's device is gone (any thread) */
static inline bool wd_q_dead(const struct wd_q *q)
{
	return __wd_ring_flag(&q->ring.dead);
}

static inline void wd_q_set_dead(struct wd_q *q)
{
	__wd_ring_set_flag(&q->ring.dead);
}

int wd_fork_init(void);
struct wd_q *wd_q_get(struct wd_queue *q, int *err);

/* stream.c: free the handles of @p's streams (wd_release_queue()) */
void wd_streams_free(struct wd_q *p);

/* discover.c */
int wd_discover(struct wd_queue *q, const char *path, struct wd_dev **devs,
		int *nr);
int wd_open_on(struct wd_q *q, struct wd_dev *devs, int nr, int *err);

/* errors.c: this thread's wd_request_queue() was refused @path with @err
 * (-EACCES, -EPERM; the first of each is kept until the next clear), for
 * wd_strerror() */
void wd_refused_clear(void);
void wd_refused_note(int err, const char *path);

/* drivers and transports */
extern const struct wd_driver wd_drv_wd_soft;
extern const struct wd_transport wd_tp_uacce;
extern const struct wd_transport wd_tp_local;
const struct wd_driver *wd_driver_find(const char *api);
/* the transport of device path @path, NULL if it names none */
const struct wd_transport *wd_tp_of(const char *path);
/* in-process device: its fork handlers (once, before libwd's own): 0 or
 * -errno */
int wd_local_init(void);

/* mem.c */
void wd_ss_put(struct wd_ss *ss);

#endif /* WD_PRIV_H */
