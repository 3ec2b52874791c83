// SPDX-License-Identifier: GPL-2.0
/*
 * wd-demo: a queue at work, over the raw uacce ABI and the wd_soft_v3 rings.
 *
 * Opens a queue on a wd_soft device, maps its doorbell page and rings,
 * starts it and copies a buffer through the device in many requests kept in
 * flight, then checks the result with memcmp. It counts the system calls it
 * needed: one KICK only when the engine had gone to sleep, one poll only when
 * it had to wait. This is what libwd's user driver does, spelled out.
 *
 * wd_soft_v3 in short: an entry of index i is valid when its phase is
 * WD_SOFT_PHASE(i) (1 on the ring's first lap, 0 on the next, ...). The
 * process writes an SQE, then its phase (release): the device takes it. The
 * device writes a CQE, then its phase (release): the process reads it. The
 * process tells the device how far it consumed with cq_head, read only when
 * the device finds the completion ring full.
 *
 * Usage: wd-demo [/dev/uaN] [total MiB] [request KiB]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "uapi/misc/uacce/uacce.h"
#include "uapi/misc/uacce/wd_soft.h"

struct ring {
	int fd;
	struct wd_soft_mmio *mmio;
	struct wd_soft_dus_hdr *hdr;
	struct wd_soft_sqe *sq;
	struct wd_soft_cqe *cq;
	uint32_t depth, sq_tail, cq_head;
	unsigned long kicks, polls;
};

static void die(const char *what)
{
	fprintf(stderr, "wd-demo: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void ring_open(struct ring *r, const char *path)
{
	long pg = sysconf(_SC_PAGESIZE);
	void *dus;

	r->fd = open(path, O_RDWR | O_CLOEXEC);
	if (r->fd < 0)
		die(path);
	r->mmio = mmap(NULL, WD_SOFT_MMIO_SIZE, PROT_READ | PROT_WRITE,
		       MAP_SHARED, r->fd, UACCE_QFRT_MMIO * pg);
	if (r->mmio == MAP_FAILED)
		die("mmap MMIO");
	dus = mmap(NULL, WD_SOFT_DUS_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		   r->fd, UACCE_QFRT_DUS * pg);
	if (dus == MAP_FAILED)
		die("mmap DUS");
	if (ioctl(r->fd, UACCE_CMD_START_Q))
		die("UACCE_CMD_START_Q");
	r->hdr = dus;
	if (r->hdr->magic != WD_SOFT_MAGIC) {
		fprintf(stderr, "wd-demo: %s does not speak %s\n", path,
			WD_SOFT_API);
		exit(1);
	}
	r->depth = r->hdr->depth;
	r->sq = (void *)((char *)dus + r->hdr->sq_off);
	r->cq = (void *)((char *)dus + r->hdr->cq_off);
}

/* The phase entry i carries once valid (SQE and CQE alike). */
static uint32_t phase(const struct ring *r, uint32_t i)
{
	return WD_SOFT_PHASE(i, r->depth);
}

/* Fill the next SQE, then its phase (release): the device may take it now. */
static void ring_push(struct ring *r, const struct wd_soft_sqe *sqe)
{
	struct wd_soft_sqe *slot = &r->sq[r->sq_tail & (r->depth - 1)];

	memcpy(slot, sqe, offsetof(struct wd_soft_sqe, phase));
	atomic_store_explicit((_Atomic uint32_t *)&slot->phase,
			      phase(r, r->sq_tail), memory_order_release);
	r->sq_tail++;
}

/* Is the CQE at cq_head posted? (acquire: its fields are read after) */
static int ring_cqe_ready(const struct ring *r)
{
	struct wd_soft_cqe *c = &r->cq[r->cq_head & (r->depth - 1)];

	return atomic_load_explicit((_Atomic uint32_t *)&c->phase,
				    memory_order_acquire) == phase(r, r->cq_head);
}

/*
 * After publishing SQEs (their phases) or consuming CQEs: store cq_head
 * (the CQ room freed), full barrier, KICK only if the engine is asleep.
 */
static void ring_doorbell(struct ring *r)
{
	atomic_store_explicit((_Atomic uint32_t *)&r->mmio->cq_head, r->cq_head,
			      memory_order_release);
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit((_Atomic uint32_t *)&r->mmio->status,
				 memory_order_relaxed) & WD_SOFT_ST_NEED_WAKEUP) {
		r->kicks++;
		if (ioctl(r->fd, WD_SOFT_CMD_KICK))
			die("WD_SOFT_CMD_KICK");
	}
}

/* Collect one completion, sleeping in poll() if there is none yet. */
static struct wd_soft_cqe ring_reap(struct ring *r)
{
	struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
	struct wd_soft_cqe cqe;

	for (;;) {
		if (ring_cqe_ready(r))
			break;
		if (r->mmio->status & WD_SOFT_ST_BROKEN) {
			fprintf(stderr, "wd-demo: queue broken (error %u)\n",
				r->mmio->error);
			exit(1);
		}
		/* poll() compares cq_head with the device's cq_tail */
		atomic_store_explicit((_Atomic uint32_t *)&r->mmio->cq_head,
				      r->cq_head, memory_order_release);
		r->polls++;
		if (poll(&pfd, 1, 5000) <= 0) {
			fprintf(stderr, "wd-demo: no completion in 5 s\n");
			exit(1);
		}
	}
	cqe = r->cq[r->cq_head & (r->depth - 1)];
	r->cq_head++;
	return cqe;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/dev/ua0";
	size_t total = (argc > 2 ? strtoul(argv[2], NULL, 0) : 64) << 20;
	size_t chunk = (argc > 3 ? strtoul(argv[3], NULL, 0) : 64) << 10;
	size_t nreq, sent = 0, done = 0, i;
	unsigned char *src, *dst;
	struct ring r = { 0 };
	double t0, t1;

	if (!total || !chunk || total % chunk) {
		fprintf(stderr, "wd-demo: total must be a multiple of the request size\n");
		return 2;
	}
	nreq = total / chunk;
	src = malloc(total);
	dst = malloc(total);
	if (!src || !dst)
		die("malloc");
	srand(42);
	for (i = 0; i < total; i++)
		src[i] = rand();
	memset(dst, 0, total);

	ring_open(&r, path);
	printf("queue on %s: ring depth %u, %zu COPY requests of %zu KiB\n",
	       path, r.depth, nreq, chunk >> 10);

	t0 = now();
	while (done < nreq) {
		/* keep the ring full: the engine never waits for us */
		while (sent < nreq && r.sq_tail - r.cq_head < r.depth) {
			struct wd_soft_sqe sqe = {
				.user_data = sent,
				.op = WD_SOFT_OP_COPY,
				.src = (uintptr_t)(src + sent * chunk),
				.dst = (uintptr_t)(dst + sent * chunk),
				.src_len = chunk,
				.dst_len = chunk,
			};

			ring_push(&r, &sqe);
			sent++;
		}
		ring_doorbell(&r);
		do {
			struct wd_soft_cqe cqe = ring_reap(&r);

			if (cqe.status != WD_SOFT_S_OK || cqe.out_len != chunk) {
				fprintf(stderr, "wd-demo: request %llu: status %u, %u bytes\n",
					(unsigned long long)cqe.user_data,
					cqe.status, cqe.out_len);
				return 1;
			}
			done++;
		} while (done < sent && ring_cqe_ready(&r));
	}
	t1 = now();
	ring_doorbell(&r);	/* hand back the last CQ room */

	if (memcmp(src, dst, total)) {
		fprintf(stderr, "wd-demo: destination differs from source\n");
		return 1;
	}
	printf("copied %zu MiB in %.3f s (%.1f MiB/s), verified with memcmp\n",
	       total >> 20, t1 - t0, (total >> 20) / (t1 - t0));
	printf("system calls on the data path: %lu KICK, %lu poll for %zu requests\n",
	       r.kicks, r.polls, nreq);
	if (ioctl(r.fd, UACCE_CMD_PUT_Q))
		die("UACCE_CMD_PUT_Q");
	close(r.fd);
	return 0;
}
