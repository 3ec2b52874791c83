// SPDX-License-Identifier: MIT
/*
 * fz_libwd: libFuzzer target for libwd's user driver (lib/drv_wd_soft.c),
 * the user-space side that parses what a device writes: the fuzzer is the
 * device. "The device is not trusted" (docs/libwd.md): whatever it puts in
 * the DUS header and the completion ring, libwd must hand back only
 * requests it was given, each once and in order, never touch memory beyond
 * what the request named, and break the queue (-EIO) rather than believe
 * a completion that cannot be.
 *
 * The queue runs over a transport of this file whose regions are plain
 * buffers the fuzzer writes. The input is a list of actions, 3 bytes each
 * (op, a, b): send a request (its destination a heap block of exactly
 * dst_len bytes, so that ASan sees any write past it), send a batch of up
 * to 8 (wd_send_many()'s loop of wd_ring.h sends), flush, post a CQE with its phase
 * (wd_soft_v3; honest, or with a forged user_data, status, out_len, or
 * for an index never sent), store any phase in any CQE slot (a lying
 * phase, a stale one, one for a slot ahead) or move the header's cq_tail
 * anywhere (v3 does not read it), set the BROKEN status, receive one,
 * receive up to 1..8 at once (wd_ring.h's receive, as
 * wd_recv_many() and wd_ring_recv_many() run it), arm, disarm. The
 * first byte picks the algorithm; with its top bit the DUS header itself
 * is the fuzzer's (wds_init() must refuse what is not the wd_soft_v3
 * layout).
 *
 * On a "sha256" queue, a send with b's bit 6 set is a SHA-256 step with
 * the caller's state (the driver's state_send: wd_digest_state_send()),
 * update or finish, and a forged CQE may carry in_len and cflags (which
 * such a completion must never have).
 *
 * Oracles: every received request is the oldest one sent and not yet
 * received; a request comes back once; a batch receive returns at most
 * what it was asked for; after -EIO nothing else comes back; a request
 * completed OK never reports more output than its destination holds (a
 * state step: in_len its source, out_len 0 or the digest's 32 bytes, END
 * exactly on a finish; failed: nothing consumed, no flags); a
 * batch send queues a prefix of its batch, and the rest fails when sent
 * again; every request accepted is published (its SQE carries its phase,
 * stored last) and nothing beyond; ASan and UBSan for the rest. A CQE
 * whose phase says posted but that cannot be (an index never sent, a
 * user_data not its index) breaks the queue: -EIO, never a wrong request.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uapi/misc/uacce/uacce.h"
#include "uapi/misc/uacce/wd_soft.h"
#include "wd_priv.h"

#define CHECK(c, ...) do {						\
	if (!(c)) {							\
		fprintf(stderr, "fz_libwd: %s:%d: %s: ", __FILE__, __LINE__, #c); \
		fprintf(stderr, __VA_ARGS__);				\
		fprintf(stderr, "\n");					\
		abort();						\
	}								\
} while (0)

static uint8_t mmio_page[WD_SOFT_MMIO_SIZE] __attribute__((aligned(4096)));
static uint8_t dus[WD_SOFT_DUS_SIZE] __attribute__((aligned(4096)));

static int tp_region(struct wd_q *q, int qfrt, size_t size, void **addr)
{
	(void)q;
	(void)size;
	*addr = qfrt == UACCE_QFRT_MMIO ? (void *)mmio_page : (void *)dus;
	return 0;
}

static int tp_ok(struct wd_q *q)
{
	(void)q;
	return 0;
}

/* the library stops a queue it found broken before handing requests back */
static int tp_stops;

static int tp_stop(struct wd_q *q)
{
	(void)q;
	tp_stops++;
	return 0;
}

static int tp_wait(struct wd_q *q, int timeout_ms)
{
	(void)q;
	(void)timeout_ms;
	return 1;
}

static void tp_close(struct wd_q *q)
{
	(void)q;
}

static const struct wd_transport fz_tp = {
	.name = "fuzz",
	.region = tp_region,
	.start = tp_ok,
	.stop = tp_stop,
	.kick = tp_ok,
	.wait = tp_wait,
	.close = tp_close,
	.abandon = tp_close,
};

/* mem.c's public functions look queues up through wd.c: not used here */
struct wd_q *wd_q_get(struct wd_queue *q, int *err)
{
	(void)q;
	*err = -EINVAL;
	return NULL;
}

/* wd.c's, which is not linked: the fork generation (never bumped here) */
unsigned long __wd_ring_fork_gen;

/*
 * What wd_send_many() does under its lock: wd_ring.h's send of each
 * request, stopping at the first refused; how many, or the error.
 */
static int ring_send_many(struct wd_q *q, void *const *reqs, int n)
{
	int i, ret = 0;

	for (i = 0; i < n; i++) {
		ret = reqs[i] ? __wd_ring_send_one(&q->ring, reqs[i]) : -EINVAL;
		if (ret)
			break;
	}
	return i ? i : ret;
}

static const char *const algs[] = { "nop", "copy", "crc32c", "sha256",
				    "deflate", "zlib", "gzip" };

#define MAXREQ	64

union req {
	struct wd_copy_req c;
	struct wd_digest_req d;
	struct wd_comp_req z;
	struct wd_stream_req s;		/* a state step (struct slot.state) */
};

struct slot {
	union req r;
	void *dst;
	uint32_t dst_len;
	bool used;
	bool state;			/* r.s, with st */
	_Alignas(WD_SHA256_STATE_ALIGN) struct wd_sha256_state st;
};

static struct slot slots[MAXREQ];
static uint8_t src_buf[64];

/* the requests sent and not received, oldest first */
static int fifo[1 << 16];
static unsigned int f_head, f_tail;

static uint32_t dst_len_of(enum wd_class cls, const union req *r)
{
	return cls == WD_CLASS_COPY ? r->c.dst_len :
	       cls == WD_CLASS_DIGEST ? r->d.dst_len : r->z.dst_len;
}

static uint32_t out_len_of(enum wd_class cls, const union req *r)
{
	return cls == WD_CLASS_COPY ? r->c.out_len :
	       cls == WD_CLASS_DIGEST ? r->d.out_len : r->z.out_len;
}

static int status_of(enum wd_class cls, const union req *r)
{
	return cls == WD_CLASS_COPY ? r->c.status :
	       cls == WD_CLASS_DIGEST ? r->d.status : r->z.status;
}

/* a request in slot @i with a destination of @dl bytes (a heap block of
 * exactly that size) */
static void prep_slot(enum wd_class cls, int i, uint32_t dl, uint8_t b)
{
	struct slot *s = &slots[i];

	memset(&s->r, 0, sizeof(s->r));
	s->dst = dl ? malloc(dl) : NULL;
	s->dst_len = dl;
	if (dl)
		memset(s->dst, 0, dl);
	if (cls == WD_CLASS_COPY) {
		s->r.c.src = src_buf;
		s->r.c.dst = s->dst;
		s->r.c.src_len = dl;
		s->r.c.dst_len = dl;
	} else if (cls == WD_CLASS_DIGEST) {
		s->r.d.src = src_buf;
		s->r.d.src_len = sizeof(src_buf);
		s->r.d.dst = s->dst;
		s->r.d.dst_len = dl;
	} else {
		s->r.z.src = src_buf;
		s->r.z.src_len = sizeof(src_buf);
		s->r.z.dst = s->dst;
		s->r.z.dst_len = dl;
		s->r.z.op = b & 1 ? WD_DECOMPRESS : WD_COMPRESS;
	}
}

/* a state step came back: what wd_digest_state_send(3) promises */
static void received_state(const struct wd_stream_req *r)
{
	bool fin = r->flush == WD_FINISH;

	if (r->status) {
		CHECK(!r->in_len && !r->flags, "failed with in_len %u flags %#x",
		      r->in_len, r->flags);
		return;
	}
	CHECK(r->in_len == r->src_len, "OK with in_len %u of %u", r->in_len,
	      r->src_len);
	CHECK(r->out_len == (fin ? 32u : 0u), "OK with out_len %u (%s)",
	      r->out_len, fin ? "finish" : "update");
	CHECK(r->flags == (fin ? WD_STREAM_END : 0u), "OK with flags %#x",
	      r->flags);
}

/* @got came back: it must be the oldest request in flight */
static void received(const struct wd_q *q, void *got)
{
	int i;
	struct slot *s;

	CHECK(f_head != f_tail, "a request came back that was never sent");
	i = fifo[f_head++ & 0xffff];
	s = &slots[i];
	CHECK(got == &s->r, "not the oldest request in flight");
	CHECK(s->used, "a request came back twice");
	if (s->state)
		received_state(&s->r.s);
	else if (!status_of(q->cls, &s->r))
		CHECK(out_len_of(q->cls, &s->r) <= dst_len_of(q->cls, &s->r) ||
		      !strcmp(q->alg, "nop"),
		      "OK with out_len %u for a destination of %u",
		      out_len_of(q->cls, &s->r), dst_len_of(q->cls, &s->r));
	s->used = false;
	free(s->dst);
	s->dst = NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wd_soft_dus_hdr *hdr = (struct wd_soft_dus_hdr *)dus;
	struct wd_soft_mmio *mmio = (struct wd_soft_mmio *)mmio_page;
	struct wd_queue pub = { 0 };
	struct wd_q q = { 0 };
	const struct wd_driver *drv = &wd_drv_wd_soft;
	struct wd_soft_cqe *cq;
	struct wd_soft_sqe *sq;
	bool broken = false, fuzz_hdr;
	uint32_t posted = 0;
	size_t at;
	int ret;

	if (size < 1)
		return 0;
	fuzz_hdr = data[0] & 0x80;
	memset(dus, 0, sizeof(dus));
	memset(mmio_page, 0, sizeof(mmio_page));
	hdr->magic = WD_SOFT_MAGIC;
	hdr->depth = WD_SOFT_DEPTH;
	hdr->sqe_size = sizeof(struct wd_soft_sqe);
	hdr->cqe_size = sizeof(struct wd_soft_cqe);
	hdr->sq_off = WD_SOFT_SQ_OFF;
	hdr->cq_off = WD_SOFT_CQ_OFF;
	at = 1;
	if (fuzz_hdr) {
		size_t n = size - 1 < 24 ? size - 1 : 24;

		memcpy(hdr, data + 1, n);	/* magic .. cq_off */
		at += n;
	}
	q.pub = &pub;
	pub.priv = &q;
	q.tp = &fz_tp;
	q.drv = drv;
	q.mode = WD_DEV_SVA;
	q.alg = algs[(data[0] & 0x7f) % 7];
	CHECK(!drv->alg(q.alg, &q.cls), "alg");
	pthread_mutex_init(&q.send_lock, NULL);
	pthread_mutex_init(&q.recv_lock, NULL);
	ret = drv->init(&q);
	if (ret) {
		CHECK(fuzz_hdr, "init of a good header: %d", ret);
		return 0;
	}
	cq = (struct wd_soft_cqe *)(dus + hdr->cq_off);
	sq = (struct wd_soft_sqe *)(dus + hdr->sq_off);
	f_head = f_tail = 0;
	tp_stops = 0;
	memset(slots, 0, sizeof(slots));

	for (; at + 3 <= size; at += 3) {
		uint8_t op = data[at], a = data[at + 1], b = data[at + 2];
		switch (op % 11) {
		case 0: {	/* send */
			int i = a % MAXREQ;
			void *one;

			if (slots[i].used)
				break;
			prep_slot(q.cls, i, b % 48, b);
			one = &slots[i].r;
			slots[i].state = (b & 0x40) && !strcmp(q.alg, "sha256");
			if (slots[i].state) {
				/* update, or finish into the block (room
				 * for the digest or not) */
				memset(&slots[i].st, 0, sizeof(slots[i].st));
				wd_prep_stream(&slots[i].r.s, slots[i].dst,
					       slots[i].dst_len, src_buf,
					       sizeof(src_buf),
					       b & 0x80 ? WD_FINISH : WD_NO_FLUSH);
				ret = drv->state_send(&q, &slots[i].r.s,
						      &slots[i].st);
				ret = ret ? ret : 1;
			} else {
				ret = ring_send_many(&q, &one, 1);
			}
			if (ret < 0) {
				free(slots[i].dst);
				slots[i].dst = NULL;
				break;
			}
			CHECK(ret == 1, "send of one returned %d", ret);
			CHECK(!broken, "send accepted on a broken queue");
			slots[i].used = true;
			fifo[f_tail++ & 0xffff] = i;
			break;
		}
		case 9: {	/* send a batch: free slots from a on, b % 8 + 1 */
			void *batch[8];
			int idx[8], k = 0, want = b % 8 + 1;

			for (int j = 0; j < MAXREQ && k < want; j++) {
				int i = (a + j) % MAXREQ;
				bool dup = false;

				for (int m = 0; m < k; m++)
					dup |= idx[m] == i;
				if (slots[i].used || dup)
					continue;
				/* every third one a NULL buffer of non-zero
				 * length, which the library refuses (not for
				 * nop, which takes no buffers) */
				prep_slot(q.cls, i, (uint32_t)(a + j * 7) % 48, b);
				slots[i].state = false;
				if ((a + j) % 3 == 2 && strcmp(q.alg, "nop")) {
					if (q.cls == WD_CLASS_COPY)
						slots[i].r.c.src_len = slots[i].r.c.dst_len = 1;
					if (q.cls == WD_CLASS_COPY)
						slots[i].r.c.src = NULL;
					else if (q.cls == WD_CLASS_DIGEST)
						slots[i].r.d.src = NULL;
					else
						slots[i].r.z.src = NULL;
				}
				idx[k] = i;
				batch[k++] = &slots[i].r;
			}
			if (!k)
				break;
			ret = ring_send_many(&q, batch, k);
			CHECK(ret != 0 && ret <= k, "batch of %d: %d", k, ret);
			if (ret > 0)
				CHECK(!broken, "batch accepted on a broken queue");
			for (int m = 0; m < (ret > 0 ? ret : 0); m++) {
				slots[idx[m]].used = true;
				fifo[f_tail++ & 0xffff] = idx[m];
			}
			if (ret > 0 && ret < k) {
				/* the one that stopped it fails alone */
				int r2 = ring_send_many(&q, batch + ret, k - ret);

				CHECK(r2 < 0, "the rest of a short batch: %d", r2);
			}
			for (int m = ret > 0 ? ret : 0; m < k; m++) {
				free(slots[idx[m]].dst);
				slots[idx[m]].dst = NULL;
			}
			break;
		}
		case 1: {
			uint32_t d = hdr->depth, from = f_tail > d ? f_tail - d : 0;

			__wd_ring_flush(&pub, &q.ring);
			/* every request accepted (the last ring's worth) is
			 * published with its phase, the next slot is not (a
			 * fuzzed header may overlap the rings: not then) */
			for (uint32_t i = from; i != f_tail && !fuzz_hdr; i++)
				CHECK(sq[i & (d - 1)].phase == WD_SOFT_PHASE(i, d),
				      "SQE %u: phase %u", i, sq[i & (d - 1)].phase);
			CHECK(fuzz_hdr ||
			      sq[f_tail & (d - 1)].phase != WD_SOFT_PHASE(f_tail, d),
			      "SQE %u published, %u accepted", f_tail, f_tail);
			break;
		}
		case 2:		/* the device posts a CQE: honest index or forged */
		case 3: {
			struct wd_soft_cqe *c = &cq[posted & (hdr->depth - 1)];

			c->user_data = op % 11 == 2 ? posted : (uint64_t)a << 8 | b;
			c->status = op % 11 == 2 ? (a % 9 == 8 ? 0 : a % 9) : b % 10;
			c->out_len = op % 11 == 2 ? b : (uint32_t)a * 1000;
			/* stream results: never on a state step's completion */
			c->in_len = op % 11 == 3 && (a & 0x80) ? b : 0;
			c->cflags = op % 11 == 3 && (a & 0x40) ? 1 : 0;
			/* the phase last (release); posted may run ahead of
			 * what was sent: a CQE for a request never sent */
			__atomic_store_n(&c->phase, WD_SOFT_PHASE(posted, hdr->depth),
					 __ATOMIC_RELEASE);
			posted++;
			__atomic_store_n(&hdr->cq_tail, posted, __ATOMIC_RELEASE);
			break;
		}
		case 4:		/* a phase anywhere, or the header's cq_tail */
			if (a & 1) {
				/* slot posted + b - 128: behind (stale), at
				 * posted (a lie), ahead; any value */
				uint32_t i = posted + b - 128;
				uint32_t ph = a & 2 ? WD_SOFT_PHASE(i, hdr->depth) :
					      a & 4 ? WD_SOFT_PHASE(i, hdr->depth) ^ 1 :
					      (uint32_t)a << 24 | b;

				__atomic_store_n(&cq[i & (hdr->depth - 1)].phase, ph,
						 __ATOMIC_RELEASE);
			} else {
				/* ignored in v3: the library follows phases */
				posted += (uint32_t)(int8_t)a * (b ? b : 1);
				__atomic_store_n(&hdr->cq_tail, posted, __ATOMIC_RELEASE);
			}
			break;
		case 5:
			mmio->status = a & 3;
			break;
		case 6:		/* receive one */
		case 7:
		case 10: {	/* receive up to a % 8 + 1 */
			void *got[9];
			int max = op % 11 != 10 ? 1 : a % 8 + 1;
			int r;

			got[max] = &got;	/* canary */
			uint32_t told = mmio->cq_head;

			r = __wd_ring_reap(&pub, &q.ring, got, max);
			CHECK(got[max] == &got, "wrote past max %d", max);
			if (r == -EIO) {
				/* every request came back before -EIO */
				CHECK(f_head == f_tail, "-EIO with %u requests "
				      "never handed back", f_tail - f_head);
				CHECK(tp_stops, "handed back before the stop");
				broken = true;
				break;
			}
			CHECK(r >= 0 && r <= max, "recv of %d returned %d", max, r);
			if (r && mmio->cq_head == told && told != f_head + r) {
				/* handed back from a broken queue: -EIO
				 * each, once the device was stopped */
				for (int m = 0; m < r; m++) {
					const struct slot *gs = (const void *)got[m];
					int st = gs->state ? gs->r.s.status :
						 status_of(q.cls, got[m]);

					CHECK(st == -EIO, "handed back with %d", st);
				}
				CHECK(tp_stops, "handed back before the stop");
				broken = true;
			} else if (r) {
				CHECK(!broken, "a completion read from a broken "
				      "queue");
			}
			for (int m = 0; m < r; m++)
				received(&q, got[m]);
			if (r && !broken)	/* the device was told */
				CHECK(mmio->cq_head == f_head, "cq_head %u, received %u",
				      mmio->cq_head, f_head);
			break;
		}
		default:
			if (a & 1)
				drv->disarm(&q);
			else
				(void)drv->arm(&q);
			break;
		}
	}
	drv->fini(&q);
	for (int i = 0; i < MAXREQ; i++)
		if (slots[i].used)
			free(slots[i].dst);
	pthread_mutex_destroy(&q.send_lock);
	pthread_mutex_destroy(&q.recv_lock);
	return 0;
}
