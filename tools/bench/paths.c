// SPDX-License-Identifier: MIT
/*
 * wd-bench: what each row measures. The device rows run the wd tool's own
 * loop (tools/wd/speed.c, as `wd bench` does); the comparisons are here:
 * AF_ALG (with the calling thread's CPU time), the bare system call, io_uring NOP, an eventfd handoff, the
 * cache-line round trip, the same work on the CPU. Each runner takes its
 * operations through wdt_run_more()/wdt_run_tick().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/if_alg.h>
#include <openssl/evp.h>
#ifdef WDT_HAVE_URING
#include <liburing.h>
#endif

#include "bench.h"

#ifndef AF_ALG
#define AF_ALG 38
#endif

/* ---- the calling thread's CPU time over a run's measured window ---- */

double run_cpu_ns = NAN;
static uint64_t cpu_t0;
static bool cpu_on;

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * The window starts with the first operation measured (the warm-up is
 * over) and ends with the run: two readings per run, none in an untimed
 * (traced) one, where the clock would be a counted system call.
 */
void cpu_window_tick(struct wdt_run *r)
{
	if (!r->untimed && r->rec && !cpu_on) {
		cpu_on = true;
		cpu_t0 = thread_cpu_ns();
	}
}

void cpu_window_end(struct wdt_run *r)
{
	if (cpu_on && r->done)
		run_cpu_ns = (double)(thread_cpu_ns() - cpu_t0) / (double)r->done;
	cpu_on = false;
}

/* ---- the device: a queue of s->dev ("": libwd's discovery) ---- */

static int run_wd(const struct spec *s, struct wdt_run *r, bool sync)
{
	struct wd_queue q = { .capa.alg = s->alg };
	struct wdt_load l = { .alg = s->alg, .size = s->size, .batch = s->batch,
			      .depth = s->depth, .sync = sync };
	int ret;

	snprintf(q.dev_path, sizeof(q.dev_path), "%s", s->dev);
	ret = wd_request_queue(&q);
	if (ret) {
		snprintf(r->err, sizeof(r->err), "%s on %s: %s", s->alg,
			 *s->dev ? s->dev : "any device", wdt_qerr(ret));
		return ret;
	}
	ret = wdt_run_queue(&q, &l, r);
	wd_release_queue(&q);
	return ret;
}

/*
 * ---- AF_ALG: a kernel algorithm through a socket, one op at a time ----
 * Bound to s->dev when set, a driver name (sha256-wd_soft, sha256-generic),
 * else to the algorithm's name (the crypto API's highest priority driver).
 */

static int run_afalg(const struct spec *s, struct wdt_run *r)
{
	struct sockaddr_alg sa = { .salg_family = AF_ALG };
	uint8_t *buf = malloc(s->size ? s->size : 1), out[64];
	int fd, op = -1, ret = 0;
	size_t dlen = !strcmp(s->alg, "crc32c") ? 4 : 32;
	const char *name = *s->dev ? s->dev : s->alg;

	snprintf((char *)sa.salg_type, sizeof(sa.salg_type), "hash");
	snprintf((char *)sa.salg_name, sizeof(sa.salg_name), "%s", name);
	fd = socket(AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		snprintf(r->err, sizeof(r->err), "AF_ALG unavailable on this kernel: %s",
			 strerror(errno));
		free(buf);
		return ret;
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    (op = accept4(fd, NULL, NULL, SOCK_CLOEXEC)) < 0) {
		ret = -errno;
		/* a driver that is not there (wd_soft's with uacce_mode=2): a skip */
		snprintf(r->err, sizeof(r->err), "%sAF_ALG hash %s: %s",
			 *s->dev ? "SKIP: " : "", name, strerror(errno));
		goto out;
	}
	memset(buf, 0x5a, s->size ? s->size : 1);
	while (wdt_run_more(r)) {
		uint64_t t0 = wdt_run_sample(r);

		if (send(op, buf, s->size, 0) != (ssize_t)s->size ||
		    read(op, out, dlen) != (ssize_t)dlen) {
			snprintf(r->err, sizeof(r->err), "AF_ALG op: %s", strerror(errno));
			ret = -EIO;
			goto out;
		}
		wdt_run_tick(r, t0);
		cpu_window_tick(r);
	}
	wdt_run_end(r);
	cpu_window_end(r);
out:
	if (op >= 0)
		close(op);
	close(fd);
	free(buf);
	return ret;
}

/* ---- the bare system call: the floor of any syscall-per-request path ---- */

static int run_syscall(const struct spec *s, struct wdt_run *r)
{
	(void)s;
	while (wdt_run_more(r)) {
		uint64_t t0 = wdt_run_sample(r);

		syscall(SYS_getppid);
		wdt_run_tick(r, t0);
	}
	wdt_run_end(r);
	return 0;
}

/* ---- io_uring NOP ---- */

static int run_uring(const struct spec *s, struct wdt_run *r)
{
#ifdef WDT_HAVE_URING
	struct io_uring ring;
	int ret = io_uring_queue_init((unsigned int)(s->batch < 8 ? 8 : s->batch), &ring, 0);

	if (ret) {
		snprintf(r->err, sizeof(r->err), "io_uring: %s", strerror(-ret));
		return ret;
	}
	while (wdt_run_more(r)) {
		uint64_t t0 = wdt_run_sample(r);
		struct io_uring_cqe *cqe;
		unsigned int head, seen = 0;

		for (int b = 0; b < s->batch; b++)
			io_uring_prep_nop(io_uring_get_sqe(&ring));
		ret = io_uring_submit_and_wait(&ring, (unsigned int)s->batch);
		if (ret < 0) {
			snprintf(r->err, sizeof(r->err), "io_uring_submit: %s", strerror(-ret));
			break;
		}
		ret = 0;
		io_uring_for_each_cqe(&ring, head, cqe) {
			seen++;
			wdt_run_tick(r, t0);
		}
		io_uring_cq_advance(&ring, seen);
	}
	wdt_run_end(r);
	io_uring_queue_exit(&ring);
	return ret;
#else
	(void)s;
	snprintf(r->err, sizeof(r->err), "built without liburing");
	return -ENOSYS;
#endif
}

/* ---- two threads: eventfd handoff and the cache-line round trip ---- */

struct pp {
	_Alignas(64) _Atomic uint64_t line;
	_Alignas(64) _Atomic int stop;
	int efd[2];
	int cpu;
};

static void pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0 || sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static void unpin(void)
{
	cpu_set_t all;
	long n = sysconf(_SC_NPROCESSORS_CONF);

	CPU_ZERO(&all);
	for (int c = 0; c < CPU_SETSIZE && c < n; c++)
		CPU_SET(c, &all);
	pthread_setaffinity_np(pthread_self(), sizeof(all), &all);
}

static void *efd_peer(void *arg)
{
	struct pp *p = arg;
	uint64_t v;

	pin(p->cpu);
	while (read(p->efd[0], &v, 8) == 8 && !atomic_load(&p->stop))
		if (write(p->efd[1], &v, 8) != 8)
			break;
	return NULL;
}

static void *line_peer(void *arg)
{
	struct pp *p = arg;
	uint64_t want = 1;

	pin(p->cpu);
	for (;;) {
		uint64_t v = atomic_load_explicit(&p->line, memory_order_acquire);

		if (v == UINT64_MAX)
			break;
		if (v == want) {
			atomic_store_explicit(&p->line, want + 1, memory_order_release);
			want += 2;
		}
	}
	return NULL;
}

static int run_pingpong(const struct spec *s, struct wdt_run *r, bool line)
{
	struct pp *p = aligned_alloc(64, sizeof(*p));
	pthread_t t;
	uint64_t one = 1, v, mine = 1;

	(void)s;
	if (!p)
		return -ENOMEM;
	memset(p, 0, sizeof(*p));
	p->cpu = 1;
	if (!line) {
		p->efd[0] = eventfd(0, EFD_CLOEXEC);
		p->efd[1] = eventfd(0, EFD_CLOEXEC);
	}
	if (pthread_create(&t, NULL, line ? line_peer : efd_peer, p)) {
		snprintf(r->err, sizeof(r->err), "thread: %s", strerror(errno));
		free(p);
		return -EAGAIN;
	}
	pin(0);
	while (wdt_run_more(r)) {
		uint64_t t0 = wdt_run_sample(r);

		if (line) {
			atomic_store_explicit(&p->line, mine, memory_order_release);
			while (atomic_load_explicit(&p->line, memory_order_acquire) != mine + 1)
				;
			mine += 2;
		} else if (write(p->efd[0], &one, 8) != 8 || read(p->efd[1], &v, 8) != 8) {
			break;
		}
		wdt_run_tick(r, t0);
	}
	wdt_run_end(r);
	if (line) {
		atomic_store(&p->line, UINT64_MAX);
	} else {
		atomic_store(&p->stop, 1);
		if (write(p->efd[0], &one, 8) != 8)
			(void)0;
	}
	pthread_join(t, NULL);
	unpin();
	if (!line) {
		close(p->efd[0]);
		close(p->efd[1]);
	}
	free(p);
	return 0;
}

/* ---- the same work on the CPU, in-process ---- */

#if defined(__x86_64__)
__attribute__((target("sse4.2")))
static uint32_t crc32c_cpu(uint32_t crc, const uint8_t *p, size_t n)
{
	crc = ~crc;
	for (; n >= 8; n -= 8, p += 8) {
		uint64_t v;

		memcpy(&v, p, 8);
		crc = (uint32_t)__builtin_ia32_crc32di(crc, v);
	}
	for (; n; n--, p++)
		crc = __builtin_ia32_crc32qi(crc, *p);
	return ~crc;
}
#else
static uint32_t crc32c_cpu(uint32_t crc, const uint8_t *p, size_t n)
{
	crc = ~crc;
	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = crc >> 1 ^ (0x82f63b78u & -(crc & 1));
	}
	return ~crc;
}
#endif

static int run_cpu(const struct spec *s, struct wdt_run *r)
{
	uint8_t *src = malloc(s->size + 1), *dst = malloc(s->size + 64);
	volatile uint32_t sink = 0;

	if (!src || !dst) {
		free(src);
		free(dst);
		return -ENOMEM;
	}
	memset(src, 0x5a, s->size + 1);
	while (wdt_run_more(r)) {
		uint64_t t0 = wdt_run_sample(r);
		unsigned int len;

		if (!strcmp(s->alg, "copy"))
			memcpy(dst, src, s->size);
		else if (!strcmp(s->alg, "sha256"))
			EVP_Digest(src, s->size, dst, &len, EVP_sha256(), NULL);
		else if (!strcmp(s->alg, "crc32c"))
			sink ^= crc32c_cpu(0, src, s->size);
		__asm__ volatile("" ::: "memory");
		wdt_run_tick(r, t0);
	}
	wdt_run_end(r);
	(void)sink;
	free(src);
	free(dst);
	return 0;
}

int run_spec(const struct spec *s, struct wdt_run *r)
{
	if (!strcmp(s->kind, "wd"))
		return run_wd(s, r, false);
	if (!strcmp(s->kind, "wdsync"))
		return run_wd(s, r, true);
	if (!strcmp(s->kind, "ring"))
		return run_ring(s, r);
	if (!strcmp(s->kind, "wdpoll"))
		return run_wdpoll(s, r);
	if (!strcmp(s->kind, "afalg"))
		return run_afalg(s, r);
	if (!strcmp(s->kind, "syscall"))
		return run_syscall(s, r);
	if (!strcmp(s->kind, "uring"))
		return run_uring(s, r);
	if (!strcmp(s->kind, "eventfd"))
		return run_pingpong(s, r, false);
	if (!strcmp(s->kind, "cacheline"))
		return run_pingpong(s, r, true);
	if (!strcmp(s->kind, "cpu"))
		return run_cpu(s, r);
	snprintf(r->err, sizeof(r->err), "unknown kind %s", s->kind);
	return -EINVAL;
}

void spec_str(const struct spec *s, char *buf, size_t len)
{
	snprintf(buf, len, "%s:%s:%u:%d:%d:%s", s->kind, s->alg, s->size, s->batch,
		 s->depth, s->dev);
}

int spec_parse(const char *str, struct spec *s)
{
	char kind[16], alg[16], dev[WD_DEV_PATH_MAX] = "";

	memset(s, 0, sizeof(*s));
	if (sscanf(str, "%15[^:]:%15[^:]:%u:%d:%d:%63s", kind, alg, &s->size,
		   &s->batch, &s->depth, dev) < 5)
		return -EINVAL;
	snprintf(s->kind, sizeof(s->kind), "%s", kind);
	snprintf(s->alg, sizeof(s->alg), "%s", alg);
	snprintf(s->dev, sizeof(s->dev), "%s", dev);
	return 0;
}

/*
 * wd-bench __worker SPEC N: run N requests of SPEC and nothing else, for
 * the tracer (measure.c). It reads no clock: in a guest without a vDSO
 * clock (QEMU/TCG), clock_gettime() is a system call and would be counted.
 */
int bench_worker(int argc, char **argv)
{
	struct spec s;
	struct wdt_run r = { .untimed = true };

	if (argc != 3 || spec_parse(argv[1], &s))
		return 2;
	r.n = strtoull(argv[2], NULL, 10);
	if (run_spec(&s, &r)) {
		wdt_err("worker: %s", r.err);
		return 1;
	}
	return 0;
}
