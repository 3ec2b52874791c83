// SPDX-License-Identifier: MIT
/*
 * wd bench: each WarpDrive path measured beside its comparisons, in the
 * same run (docs/performance.md).
 *
 *   natively: the in-process device against the two-thread cache-line
 *     round trip (the floor), an eventfd handoff between two threads and
 *     io_uring NOP (liburing); sizes 64 B .. 1 MiB against the same work
 *     done by the CPU in-process; compression against zlib and libdeflate
 *     in-process and pigz -p 2 on a corpus.
 *   in the VM (a kernel device present): the uacce path against AF_ALG with
 *     the same kernel algorithm and against a syscall per request (waiting
 *     in poll() for each request, and the bare null syscall).
 *
 * Throughput and latency come from an untraced run in this process. System
 * calls per request are counted from outside: the same point runs twice in
 * a child under `strace -f -c` (N and 2N requests) and the difference is
 * divided by N, which cancels start-up and warm-up.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/if_alg.h>
#include <openssl/evp.h>
#include <zlib.h>
#ifdef WDT_HAVE_URING
#include <liburing.h>
#endif
#ifdef WDT_HAVE_DEFLATE
#include <libdeflate.h>
#endif

#include "wdtool.h"

#ifndef AF_ALG
#define AF_ALG 38
#endif

/* ---- points and results ---- */

struct spec {
	char kind[16];		/* wd, wdsync, afalg, syscall, uring, eventfd, cacheline, cpu */
	char alg[16];
	uint32_t size;
	int batch, depth;
	char dev[WD_DEV_PATH_MAX];
};

struct result {
	struct spec s;
	char group[24];
	char label[48];
	double ops_s, mib_s, p50_ns, p99_ns, sc;
	bool ok, sc_ok;
	char note[96];
};

/* fixed storage: measure() hands out pointers that must stay valid */
#define MAX_RESULTS 256
static struct result results[MAX_RESULTS];
static int nresults;
static double opt_time = 0.3;
/*
 * The traced worker reads no clock: in a guest without a vDSO clock
 * (QEMU/TCG), clock_gettime() is a system call and would be counted.
 */
static bool timing = true;
static bool opt_trace = true;
static int opt_repeat = 3;
static char self_exe[PATH_MAX];

#define LAT_MAX (1u << 20)

struct lat {
	uint32_t *ns;
	size_t n;
};

static void lat_add(struct lat *l, uint64_t ns)
{
	if (l && l->ns && l->n < LAT_MAX)
		l->ns[l->n++] = ns > UINT32_MAX ? UINT32_MAX : (uint32_t)ns;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/*
 * Run state: WARM operations first (not measured), then n more, or until
 * the deadline (0: none). The runners call run_more() before an operation
 * and run_tick() after each one completes.
 */
/*
 * Warm-up: WARM operations, or 10% of the time per point when timing,
 * whichever ends first (a slow point, 1 MiB under TCG, would take long);
 * the traced worker warms up with WARM_TRACED (the N/2N difference
 * cancels it anyway).
 */
#define WARM		200
#define WARM_TRACED	20

struct run {
	uint64_t n, deadline, done;	/* done counts the warm-up too */
	uint64_t t_begin, t_start, t_end; /* run start; the measured part */
	uint64_t warm_done;		/* operations in the warm-up */
	uint64_t calls;			/* run_more() calls, paces the clock */
	bool over;			/* the deadline has passed */
	struct lat *lat;
	bool rec;
	char err[96];
};

/* a clock reading, or 0 when not timing */
static uint64_t bnow(void)
{
	return timing ? wdt_now_ns() : 0;
}

static bool run_more(struct run *r)
{
	if (!r->t_begin)
		r->t_begin = timing ? wdt_now_ns() : 1;
	if (r->rec && r->done >= r->n + r->warm_done)
		return false;
	/*
	 * The clock is read at every 16th call, not at every 16th operation,
	 * and its verdict sticks: a runner that calls this twice per request,
	 * or with done at a fixed phase (batch 8: done % 16 may never be 0),
	 * once kept a 20 ms point running for many minutes.
	 */
	if (r->deadline && r->rec && !r->over && (++r->calls & 15) == 0 &&
	    bnow() >= r->deadline)
		r->over = true;
	return !r->over;
}

/* latency is sampled on one operation in 8: the clock costs too */
static uint64_t t_sample(struct run *r)
{
	return timing && (r->done & 7) == 0 ? wdt_now_ns() : 0;
}

static void run_tick(struct run *r, uint64_t t0)
{
	if (r->rec && t0)
		lat_add(r->lat, wdt_now_ns() - t0);
	++r->done;
	if (!r->rec && (r->done >= (timing ? WARM : WARM_TRACED) ||
			(timing && r->deadline && (r->done & 3) == 0 &&
			 wdt_now_ns() - r->t_begin > (uint64_t)(opt_time * 1e8)))) {
		r->rec = true;
		r->warm_done = r->done;
		r->t_start = bnow();
	}
}

static void run_end(struct run *r)
{
	r->t_end = bnow();
	r->done = r->rec ? r->done - r->warm_done : 0;
}

/* ---- libwd queue (the device paths) ---- */

union anyreq {
	struct wd_copy_req c;
	struct wd_digest_req d;
	struct wd_comp_req z;
};

static int alg_class(const char *alg)
{
	if (!strcmp(alg, "nop") || !strcmp(alg, "copy"))
		return 0;
	if (!strcmp(alg, "crc32c") || !strcmp(alg, "sha256"))
		return 1;
	return 2;
}

static int req_status(int cls, union anyreq *rq)
{
	return cls == 0 ? rq->c.status : cls == 1 ? rq->d.status : rq->z.status;
}

/*
 * Keep up to depth requests in flight, submitted batch at a time (one
 * doorbell per batch); collect completions by polling (no system call), or
 * with wd_recv_sync() for each (sync: sleeps in poll()). Batches of more
 * than one request go through the batch calls, as a program that has a
 * batch would use them: wd_send_many() (one lock, one doorbell) and, when
 * polling, wd_recv_many() (one lock, one CQ head store per call). Batch 1
 * is the one-at-a-time path: wd_send(), wd_flush(), wd_recv().
 */
static int run_wd(const struct spec *s, struct run *r, bool sync)
{
	struct wd_queue q = { .capa.alg = s->alg };
	int depth = s->depth, batch = s->batch, cls = alg_class(s->alg);
	size_t dst_room = cls == 1 ? 64 : s->size + s->size / 8 + 1024;
	size_t per = ((size_t)s->size + dst_room + 63) & ~(size_t)63;
	union anyreq *reqs = NULL;
	uint64_t *t_sub = NULL, sent = 0;
	void **vec = NULL;
	uint8_t *mem;
	int ret, inflight = 0;
	bool many;

	snprintf(q.dev_path, sizeof(q.dev_path), "%s", s->dev);
	ret = wd_request_queue(&q);
	if (ret) {
		snprintf(r->err, sizeof(r->err), "%s on %s: %s", s->alg,
			 *s->dev ? s->dev : "any device", wdt_qerr(ret));
		return ret;
	}
	if (depth < 1)
		depth = 1;
	if ((uint32_t)depth > q.depth)
		depth = (int)q.depth;
	while (depth > 1 && per * (size_t)depth > q.ss_max)
		depth--;
	if (batch < 1)
		batch = 1;
	if (batch > depth)
		batch = depth;
	many = batch > 1;
	mem = wd_reserve_memory(&q, per * (size_t)depth);
	reqs = calloc((size_t)depth, sizeof(*reqs));
	t_sub = calloc((size_t)depth, sizeof(*t_sub));
	vec = calloc((size_t)depth, sizeof(*vec));
	if (!mem || !reqs || !t_sub || !vec) {
		snprintf(r->err, sizeof(r->err), "memory: %s", strerror(errno));
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < per * (size_t)depth; i++)
		mem[i] = (uint8_t)(i * 7 + (i >> 9) * 13);
	for (;;) {
		bool more = run_more(r);

		/* whole batches while there is room */
		while (more && inflight + batch <= depth) {
			uint64_t now = timing && ((sent / (uint64_t)batch) & 7) == 0 ?
				       wdt_now_ns() : 0;

			for (int b = 0; b < batch; b++) {
				int slot = (int)((sent + (uint64_t)b) % (uint64_t)depth);
				uint8_t *src = mem + per * (size_t)slot;
				uint8_t *dst = src + s->size;
				union anyreq *rq = &reqs[slot];

				if (cls == 0)
					wd_prep_copy(&rq->c, dst, src, s->size);
				else if (cls == 1)
					wd_prep_digest(&rq->d, dst, 32, src, s->size, 0);
				else
					wd_prep_comp(&rq->z, WD_COMPRESS, 1, dst,
						     (uint32_t)dst_room, src, s->size);
				t_sub[slot] = now;
				vec[b] = rq;
			}
			if (many) {
				/* there is room for all of them: all or an error */
				ret = wd_send_many(&q, vec, batch);
				if (ret != batch) {
					snprintf(r->err, sizeof(r->err), "send: %s",
						 ret < 0 ? strerror(-ret) : "short batch");
					ret = ret < 0 ? ret : -EIO;
					goto out;
				}
			} else {
				ret = wd_send(&q, vec[0]);
				if (ret) {
					snprintf(r->err, sizeof(r->err), "send: %s", strerror(-ret));
					goto out;
				}
				wd_flush(&q);
			}
			sent += (uint64_t)batch;
			inflight += batch;
			more = run_more(r);
		}
		if (!inflight)
			break;
		/* at least one completion, then what else is there */
		for (int got = 0; inflight;) {
			int n;

			if (many && !sync)
				n = wd_recv_many(&q, vec, inflight);
			else
				n = sync ? wd_recv_sync(&q, &vec[0]) : wd_recv(&q, &vec[0]);
			if (n < 0) {
				ret = n;
				snprintf(r->err, sizeof(r->err), "recv: %s", strerror(-ret));
				goto out;
			}
			if (!n) {
				if (got && inflight + batch <= depth && more)
					break;
				continue;
			}
			for (int i = 0; i < n; i++) {
				union anyreq *rq = vec[i];

				if (req_status(cls, rq)) {
					ret = req_status(cls, rq);
					snprintf(r->err, sizeof(r->err), "request: %s",
						 strerror(-ret));
					goto out;
				}
				inflight--;
				got++;
				run_tick(r, t_sub[rq - reqs]);
			}
			/* a batch call took what there was: room for a batch? */
			if (inflight + batch <= depth && more && (sync || many))
				break;
		}
	}
	run_end(r);
	ret = 0;
out:
	wd_release_queue(&q);
	free(reqs);
	free(t_sub);
	free(vec);
	return ret;
}

/* ---- AF_ALG: the same kernel algorithm through a socket, one op at a time ---- */

static int run_afalg(const struct spec *s, struct run *r)
{
	struct sockaddr_alg sa = { .salg_family = AF_ALG };
	uint8_t *buf = malloc(s->size ? s->size : 1), out[64];
	int fd, op = -1, ret = 0;
	size_t dlen = !strcmp(s->alg, "crc32c") ? 4 : 32;

	snprintf((char *)sa.salg_type, sizeof(sa.salg_type), "hash");
	snprintf((char *)sa.salg_name, sizeof(sa.salg_name), "%s", s->alg);
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
		snprintf(r->err, sizeof(r->err), "AF_ALG hash %s: %s", s->alg, strerror(errno));
		goto out;
	}
	memset(buf, 0x5a, s->size ? s->size : 1);
	while (run_more(r)) {
		uint64_t t0 = t_sample(r);

		if (send(op, buf, s->size, 0) != (ssize_t)s->size ||
		    read(op, out, dlen) != (ssize_t)dlen) {
			snprintf(r->err, sizeof(r->err), "AF_ALG op: %s", strerror(errno));
			ret = -EIO;
			goto out;
		}
		run_tick(r, t0);
	}
	run_end(r);
out:
	if (op >= 0)
		close(op);
	close(fd);
	free(buf);
	return ret;
}

/* ---- the bare system call: the floor of any syscall-per-request path ---- */

static int run_syscall(const struct spec *s, struct run *r)
{
	(void)s;
	while (run_more(r)) {
		uint64_t t0 = t_sample(r);

		syscall(SYS_getppid);
		run_tick(r, t0);
	}
	run_end(r);
	return 0;
}

/* ---- io_uring NOP ---- */

static int run_uring(const struct spec *s, struct run *r)
{
#ifdef WDT_HAVE_URING
	struct io_uring ring;
	int ret = io_uring_queue_init((unsigned int)(s->batch < 8 ? 8 : s->batch), &ring, 0);

	if (ret) {
		snprintf(r->err, sizeof(r->err), "io_uring: %s", strerror(-ret));
		return ret;
	}
	while (run_more(r)) {
		uint64_t t0 = t_sample(r);
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
			run_tick(r, t0);
		}
		io_uring_cq_advance(&ring, seen);
	}
	run_end(r);
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

static int run_pingpong(const struct spec *s, struct run *r, bool line)
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
	while (run_more(r)) {
		uint64_t t0 = t_sample(r);

		if (line) {
			atomic_store_explicit(&p->line, mine, memory_order_release);
			while (atomic_load_explicit(&p->line, memory_order_acquire) != mine + 1)
				;
			mine += 2;
		} else if (write(p->efd[0], &one, 8) != 8 || read(p->efd[1], &v, 8) != 8) {
			break;
		}
		run_tick(r, t0);
	}
	run_end(r);
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

static int run_cpu(const struct spec *s, struct run *r)
{
	uint8_t *src = malloc(s->size + 1), *dst = malloc(s->size + 64);
	volatile uint32_t sink = 0;

	if (!src || !dst) {
		free(src);
		free(dst);
		return -ENOMEM;
	}
	memset(src, 0x5a, s->size + 1);
	while (run_more(r)) {
		uint64_t t0 = t_sample(r);
		unsigned int len;

		if (!strcmp(s->alg, "copy"))
			memcpy(dst, src, s->size);
		else if (!strcmp(s->alg, "sha256"))
			EVP_Digest(src, s->size, dst, &len, EVP_sha256(), NULL);
		else if (!strcmp(s->alg, "crc32c"))
			sink ^= crc32c_cpu(0, src, s->size);
		__asm__ volatile("" ::: "memory");
		run_tick(r, t0);
	}
	run_end(r);
	(void)sink;
	free(src);
	free(dst);
	return 0;
}

static int run_spec(const struct spec *s, struct run *r)
{
	if (!strcmp(s->kind, "wd"))
		return run_wd(s, r, false);
	if (!strcmp(s->kind, "wdsync"))
		return run_wd(s, r, true);
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

static void spec_str(const struct spec *s, char *buf, size_t len)
{
	snprintf(buf, len, "%s:%s:%u:%d:%d:%s", s->kind, s->alg, s->size, s->batch,
		 s->depth, s->dev);
}

static int spec_parse(const char *str, struct spec *s)
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

/* wd __bench-worker SPEC N: run N requests of SPEC (for the tracer) */
int cmd_bench_worker(int argc, char **argv)
{
	struct spec s;
	struct run r = { 0 };

	if (argc != 3 || spec_parse(argv[1], &s))
		return 2;
	timing = false;
	r.n = strtoull(argv[2], NULL, 10);
	if (run_spec(&s, &r)) {
		fprintf(stderr, "wd: bench worker: %s\n", r.err);
		return 1;
	}
	return 0;
}

/* ---- syscall counting from outside ---- */

static long strace_calls(const struct spec *s, uint64_t n, char *err, size_t elen)
{
	char spec[160], num[32], out[] = "/tmp/wd-bench-strace.XXXXXX";
	int fd = mkstemp(out), st;
	pid_t pid;
	long calls = -1;
	FILE *f;
	char line[256];

	if (fd < 0) {
		snprintf(err, elen, "mkstemp: %s", strerror(errno));
		return -1;
	}
	close(fd);
	spec_str(s, spec, sizeof(spec));
	snprintf(num, sizeof(num), "%llu", (unsigned long long)n);
	pid = fork();
	if (pid == 0) {
		int dn = open("/dev/null", O_RDWR);

		dup2(dn, 0);
		dup2(dn, 1);
		dup2(dn, 2);
		execlp("strace", "strace", "-f", "-c", "-o", out, self_exe,
		       "__bench-worker", spec, num, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0) {
		snprintf(err, elen, "fork: %s", strerror(errno));
		unlink(out);
		return -1;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		snprintf(err, elen, WIFEXITED(st) && WEXITSTATUS(st) == 127 ?
			 "no strace" : "traced run failed (ptrace not permitted?)");
		unlink(out);
		return -1;
	}
	f = fopen(out, "r");
	while (f && fgets(line, sizeof(line), f)) {
		char tok[6][32];
		int nt = sscanf(line, "%31s %31s %31s %31s %31s %31s", tok[0], tok[1],
				tok[2], tok[3], tok[4], tok[5]);

		if (nt >= 5 && (!strcmp(tok[nt - 1], "total")))
			calls = atol(tok[3]);
	}
	if (f)
		fclose(f);
	unlink(out);
	if (calls < 0)
		snprintf(err, elen, "no strace summary");
	return calls;
}


/* ---- measuring one point ---- */

static struct result *measure(const char *group, const char *label,
			      const struct spec *s)
{
	struct result *res;
	struct lat lat = { .ns = malloc(LAT_MAX * sizeof(uint32_t)) };
	char sc[32] = "n/a";
	int ret;

	if (nresults == MAX_RESULTS || !lat.ns) {
		wdt_err("bench: %s", strerror(ENOMEM));
		exit(1);
	}
	res = &results[nresults++];
	memset(res, 0, sizeof(*res));
	res->s = *s;
	snprintf(res->group, sizeof(res->group), "%s", group);
	snprintf(res->label, sizeof(res->label), "%s", label);

	/*
	 * The best of opt_repeat runs (highest rate, with its latencies), for
	 * every row alike: on a shared machine a run can lose its CPU to
	 * someone else's work, which says nothing about either path.
	 */
	for (int rep = 0; rep < opt_repeat; rep++) {
		struct lat l2 = { .ns = rep ? malloc(LAT_MAX * sizeof(uint32_t)) : NULL };
		struct run r2 = { .n = UINT64_MAX / 4, .lat = rep ? &l2 : &lat };
		double rate;

		r2.deadline = wdt_now_ns() + (uint64_t)(opt_time * 1.1e9);
		ret = run_spec(s, &r2);
		if (ret || !r2.done || r2.t_end <= r2.t_start) {
			free(l2.ns);
			if (rep)
				break;
			snprintf(res->note, sizeof(res->note), "%s", ret ? r2.err : "no measurement");
			free(lat.ns);
			printf("  %-30s %-7s %s\n", label, s->alg, res->note);
			fflush(stdout);
			return res;
		}
		rate = (double)r2.done / ((double)(r2.t_end - r2.t_start) / 1e9);
		/*
		 * A window much shorter than asked for (the warm-up of a slow
		 * point ate the time) would count requests that completed
		 * before it: such a run does not count.
		 */
		if ((double)(r2.t_end - r2.t_start) < opt_time * 0.5e9)
			rate = 0;
		if (rate > res->ops_s) {
			res->ops_s = rate;
			if (rep) {
				free(lat.ns);
				lat = l2;
				l2.ns = NULL;
			}
		} else if (!rep) {
			lat.n = 0;	/* the first run's latencies go with it */
		}
		free(l2.ns);
	}
	if (res->ops_s <= 0) {
		snprintf(res->note, sizeof(res->note),
			 "too slow for --time %.2f: no full measuring window", opt_time);
		free(lat.ns);
		printf("  %-30s %-7s %s\n", label, s->alg, res->note);
		fflush(stdout);
		return res;
	}
	res->mib_s = res->ops_s * s->size / (1 << 20);
	if (lat.n) {
		qsort(lat.ns, lat.n, sizeof(uint32_t), cmp_u32);
		res->p50_ns = lat.ns[lat.n / 2];
		res->p99_ns = lat.ns[(size_t)((double)lat.n * 0.99)];
	}
	free(lat.ns);
	res->ok = true;

	if (opt_trace) {
		/*
		 * Calls per request = (calls(2N) - calls(N)) / N, which cancels
		 * start-up and warm-up. A first pair with a small N shows
		 * whether the path makes system calls at all (each traced call
		 * is slow, under TCG very slow); only a path that makes
		 * (almost) none gets bigger pairs, the least of up to three
		 * kept: a busy engine makes no system call, it parks (futex)
		 * only after 50 us with nothing to do, which on a shared
		 * machine happens when the submitting thread was taken off the
		 * CPU. A path whose cost is a system call shows the same count
		 * every time.
		 */
		uint64_t n1 = (uint64_t)(res->ops_s * 0.2), big = (uint64_t)(res->ops_s * 0.05);
		char err[96] = "";
		long c1, c2;

		if (n1 > 200)
			n1 = 200;
		if (n1 < 20)
			n1 = 20;
		if (big > 200000)
			big = 200000;
		for (int tries = 0; tries < 4; tries++) {
			double v;

			c1 = strace_calls(s, n1, err, sizeof(err));
			c2 = c1 >= 0 ? strace_calls(s, 2 * n1, err, sizeof(err)) : -1;
			if (c1 < 0 || c2 < 0)
				break;
			v = c2 > c1 ? (double)(c2 - c1) / (double)n1 : 0;
			if (!res->sc_ok || v < res->sc)
				res->sc = v;
			res->sc_ok = true;
			if (res->sc < 0.0005)
				break;
			/*
			 * Many calls: confirm once with a pair of up to 5000,
			 * then stop. Not with the same small pair: under the
			 * tracer a KICK can take longer than the engine's 50 us
			 * idle spin, so the first few hundred requests one at a
			 * time each find the engine parked and KICK it again,
			 * a cycle the untraced path never enters (a small pair
			 * measured 1.000 call per request there, 20000 requests
			 * 0.065). A path whose cost is a system call shows the
			 * same count at any N.
			 */
			if (v > 0.25) {
				uint64_t conf = big < 5000 ? big : 5000;

				if (tries >= 1 || conf <= n1)
					break;
				n1 = conf;
				continue;
			}
			if (big <= n1)
				break;
			n1 = big;
		}
		if (res->sc_ok)
			snprintf(sc, sizeof(sc), "%.3f", res->sc);
		else
			snprintf(res->note, sizeof(res->note), "syscalls: %s", err);
	}
	printf("  %-30s %-7s %8u %5d %5d %12.0f %10.1f %10.2f %10.2f %8s\n",
	       label, s->alg, s->size, s->batch, s->depth, res->ops_s, res->mib_s,
	       res->p50_ns / 1e3, res->p99_ns / 1e3, sc);
	fflush(stdout);
	return res;
}

static struct result *pt(const char *group, const char *label, const char *kind,
			 const char *alg, uint32_t size, int batch, int depth,
			 const char *dev)
{
	struct spec s = { 0 };

	snprintf(s.kind, sizeof(s.kind), "%s", kind);
	snprintf(s.alg, sizeof(s.alg), "%s", alg);
	s.size = size;
	s.batch = batch;
	s.depth = depth;
	snprintf(s.dev, sizeof(s.dev), "%s", dev ? dev : "");
	return measure(group, label, &s);
}

static void header(const char *title)
{
	printf("\n== %s\n  %-30s %-7s %8s %5s %5s %12s %10s %10s %10s %8s\n", title,
	       "path", "alg", "bytes", "batch", "depth", "op/s", "MiB/s",
	       "p50 us", "p99 us", "sc/req");
}

/* ---- targets ---- */

struct target {
	char name[96];
	double value, limit;
	bool higher_better, known;
	char detail[160];
};

static struct target targets[16];
static int ntargets;

static void target(const char *name, double value, double limit, bool higher,
		   bool known, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static void target(const char *name, double value, double limit, bool higher,
		   bool known, const char *fmt, ...)
{
	struct target *t = &targets[ntargets++];
	va_list ap;

	snprintf(t->name, sizeof(t->name), "%s", name);
	t->value = value;
	t->limit = limit;
	t->higher_better = higher;
	t->known = known;
	va_start(ap, fmt);
	vsnprintf(t->detail, sizeof(t->detail), fmt, ap);
	va_end(ap);
}

static double p50(struct result *r)
{
	return r && r->ok ? r->p50_ns : NAN;
}

static double ops(struct result *r)
{
	return r && r->ok ? r->ops_s : NAN;
}

/* ---- suites ---- */

static const uint32_t sizes[] = { 64, 4096, 65536, 1 << 20 };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

static void native_suite(const char *dev, bool quick, bool rt_only)
{
	struct result *line, *efd, *loc1, *ur1, *l32 = NULL, *u32 = NULL;
	static const int batches[] = { 1, 8, 32, 128 };
	double worst_sc = 0;
	bool sc_known = true;

	header("one request at a time (round trip)");
	line = pt("roundtrip", "cache line, 2 threads (floor)", "cacheline", "-", 0, 1, 1, NULL);
	loc1 = pt("roundtrip", "in-process device", "wd", "nop", 0, 1, 1, dev);
	efd = pt("roundtrip", "eventfd, 2 threads", "eventfd", "-", 0, 1, 1, NULL);
	ur1 = pt("roundtrip", "io_uring NOP", "uring", "nop", 0, 1, 1, NULL);
	(void)efd;
	(void)ur1;
	target("in-process round trip / cache-line round trip (p50)",
	       p50(loc1) / p50(line), 1.5, false, !isnan(p50(loc1) / p50(line)),
	       "%.0f ns / %.0f ns", p50(loc1), p50(line));

	if (rt_only)
		return;
	header("null requests: batches (in flight: 2 x batch)");
	for (size_t i = 0; i < sizeof(batches) / sizeof(batches[0]); i++) {
		int b = batches[i];
		struct result *l, *u;

		if (quick && b == 128)
			continue;
		l = pt("batch", "in-process device", "wd", "nop", 0, b, 2 * b, dev);
		u = pt("batch", "io_uring NOP", "uring", "nop", 0, b, b, NULL);
		if (b == 32) {
			l32 = l;
			u32 = u;
		}
		/* busy: at least 16 requests queued (batch 8 and up) */
		if (b >= 8 && l->sc_ok && l->sc > worst_sc)
			worst_sc = l->sc;
		if (b >= 8)
			sc_known &= l->sc_ok;
	}
	target("in-process batched nop / io_uring NOP, batch 32 (op/s)",
	       ops(l32) / ops(u32), 3, true, !isnan(ops(l32) / ops(u32)),
	       "%.0f op/s / %.0f op/s", ops(l32), ops(u32));

	header("sizes: the device (batch 16, 64 in flight; 1 MiB: 8, 16) and the CPU in-process");
	for (size_t i = 0; i < NSIZES; i++) {
		static const char *const algs[] = { "copy", "crc32c", "sha256" };

		if (quick && sizes[i] == 65536)
			continue;
		for (size_t a = 0; a < 3; a++) {
			struct result *l = pt("sizes", "in-process device", "wd", algs[a],
					      sizes[i], sizes[i] >= (1 << 20) ? 8 : 16,
					      sizes[i] >= (1 << 20) ? 16 : 64, dev);

			pt("sizes", "CPU in-process", "cpu", algs[a], sizes[i], 1, 1, NULL);
			if (l->sc_ok && l->sc > worst_sc)
				worst_sc = l->sc;
			sc_known &= l->sc_ok;
		}
	}
	target("in-process device: syscalls per request while busy (worst point)",
	       worst_sc, 0, false, sc_known, "nop in batches of 8 and more, every size above");
}

static void kernel_suite(bool quick)
{
	struct result *k64 = NULL, *a64 = NULL, *k4k = NULL, *a4k = NULL;
	double worst_sc = 0;
	bool sc_known = true, afalg_missing = false;

	header("kernel path: null requests");
	pt("kroundtrip", "uacce, one at a time (spin)", "wd", "nop", 0, 1, 1, NULL);
	pt("kroundtrip", "uacce, one at a time (poll)", "wdsync", "nop", 0, 1, 1, NULL);
	pt("kroundtrip", "null syscall (getppid)", "syscall", "-", 0, 1, 1, NULL);
	{
		struct result *b = pt("kbatch", "uacce, batch 32", "wd", "nop", 0, 32, 64, NULL);

		if (b->sc_ok && b->sc > worst_sc)
			worst_sc = b->sc;
		sc_known &= b->sc_ok;
	}

	header("kernel path against AF_ALG and a syscall per request");
	for (size_t i = 0; i < NSIZES; i++) {
		static const char *const algs[] = { "sha256", "crc32c" };

		if (quick && sizes[i] > 4096)
			continue;
		for (size_t a = 0; a < 2; a++) {
			struct result *k, *f;

			if (!strcmp(algs[a], "crc32c") && (sizes[i] > 4096 || quick))
				continue;
			k = pt("kernel", "uacce (batch 16, 64 in flight)", "wd", algs[a],
			       sizes[i], sizes[i] >= (1 << 20) ? 8 : 16,
			       sizes[i] >= (1 << 20) ? 16 : 64, NULL);
			f = pt("kernel", "AF_ALG (send+read per op)", "afalg", algs[a],
			       sizes[i], 1, 1, NULL);
			pt("kernel", "uacce, one at a time (poll)", "wdsync", algs[a],
			   sizes[i], 1, 1, NULL);
			if (!f->ok)
				afalg_missing = true;
			if (k->sc_ok && k->sc > worst_sc)
				worst_sc = k->sc;
			sc_known &= k->sc_ok;
			if (!strcmp(algs[a], "sha256") && sizes[i] == 64) {
				k64 = k;
				a64 = f;
			}
			if (!strcmp(algs[a], "sha256") && sizes[i] == 4096) {
				k4k = k;
				a4k = f;
			}
		}
	}
	if (afalg_missing)
		printf("  note: AF_ALG is missing or refused on this kernel (see above): no comparison\n");
	target("kernel path sha256 64 B / AF_ALG (op/s)", ops(k64) / ops(a64), 5, true,
	       !isnan(ops(k64) / ops(a64)), "%.0f op/s / %.0f op/s", ops(k64), ops(a64));
	target("kernel path sha256 4 KiB / AF_ALG (op/s)", ops(k4k) / ops(a4k), 1.5, true,
	       !isnan(ops(k4k) / ops(a4k)), "%.0f op/s / %.0f op/s", ops(k4k), ops(a4k));
	target("kernel path: syscalls per request while busy (worst point)",
	       worst_sc, 0, false, sc_known, "batched nop, sha256 and crc32c above");
}

/* ---- compression ---- */

struct comp_row {
	char name[64];
	double secs, mib_s;
	uint64_t out;
	bool ok;
	char note[96];
};

static struct comp_row comp_rows[16];
static int ncomp;
static uint64_t corpus_size;

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* run argv with stdout into a pipe; the bytes it wrote and the wall time */
static int run_cmd(char *const argv[], uint64_t *out, double *secs)
{
	int p[2], st;
	pid_t pid;
	uint64_t t0 = wdt_now_ns(), n = 0;
	static char buf[1 << 16];
	ssize_t k;

	if (pipe(p))
		return -errno;
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	while ((k = read(p[0], buf, sizeof(buf))) > 0)
		n += (uint64_t)k;
	close(p[0]);
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return -ECHILD;
	*secs = (double)(wdt_now_ns() - t0) / 1e9;
	*out = n;
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		return WIFEXITED(st) && WEXITSTATUS(st) == 127 ? -ENOENT : -EIO;
	return 0;
}

/*
 * @engines: WD_LOCAL_ENGINES for the command (wd zip), NULL: left as it is.
 * It is set in our environment, which the child inherits, while the
 * command runs, and put back afterwards.
 */
static struct comp_row *comp_cmd(const char *name, char *const argv[],
				 const char *engines, int reps)
{
	struct comp_row *c = &comp_rows[ncomp++];
	const char *old = getenv("WD_LOCAL_ENGINES");
	char *saved = engines && old ? strdup(old) : NULL;
	double t[5];
	int ret = engines && old && !saved ? -ENOMEM : 0;

	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	if (engines && !ret && setenv("WD_LOCAL_ENGINES", engines, 1))
		ret = -ENOMEM;
	for (int i = 0; i < reps && !ret; i++)
		ret = run_cmd(argv, &c->out, &t[i]);
	if (engines) {
		if (saved)
			setenv("WD_LOCAL_ENGINES", saved, 1);
		else
			unsetenv("WD_LOCAL_ENGINES");
	}
	free(saved);
	if (ret) {
		snprintf(c->note, sizeof(c->note), "%s: %s", argv[0],
			 ret == -ENOENT ? "not installed" :
			 ret == -ENOMEM ? "no memory" : "failed");
	} else {
		qsort(t, (size_t)reps, sizeof(double), cmp_dbl);
		c->secs = t[reps / 2];
		c->mib_s = (double)corpus_size / c->secs / (1 << 20);
		c->ok = true;
	}
	printf("  %-44s %10.1f MiB/s %12llu bytes (%.3f of input)%s%s\n", c->name,
	       c->mib_s, (unsigned long long)c->out,
	       corpus_size ? (double)c->out / (double)corpus_size : 0,
	       c->ok ? "" : "  ", c->note);
	fflush(stdout);
	return c;
}

static struct comp_row *comp_inproc(const char *name, int which, const uint8_t *in,
				    size_t len, int reps)
{
	struct comp_row *c = &comp_rows[ncomp++];
	size_t cap = len + len / 8 + (1 << 20);
	uint8_t *out = malloc(cap);
	double t[5];

	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	if (!out) {
		snprintf(c->note, sizeof(c->note), "no memory");
		return c;
	}
	for (int i = 0; i < reps; i++) {
		uint64_t t0 = wdt_now_ns();

		c->out = 0;
		if (which == 0) {
			z_stream zs = { 0 };

			deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
			zs.next_in = (uint8_t *)in;
			zs.avail_in = (uInt)len;
			zs.next_out = out;
			zs.avail_out = (uInt)cap;
			deflate(&zs, Z_FINISH);
			c->out = zs.total_out;
			deflateEnd(&zs);
		} else {
#ifdef WDT_HAVE_DEFLATE
			struct libdeflate_compressor *d = libdeflate_alloc_compressor(6);

			for (size_t off = 0; off < len; off += 1 << 20) {
				size_t n = len - off > (1 << 20) ? 1 << 20 : len - off;

				c->out += libdeflate_gzip_compress(d, in + off, n, out,
								   cap);
			}
			libdeflate_free_compressor(d);
#else
			snprintf(c->note, sizeof(c->note), "built without libdeflate");
			free(out);
			return c;
#endif
		}
		t[i] = (double)(wdt_now_ns() - t0) / 1e9;
	}
	qsort(t, (size_t)reps, sizeof(double), cmp_dbl);
	c->secs = t[reps / 2];
	c->mib_s = (double)len / c->secs / (1 << 20);
	c->ok = true;
	free(out);
	printf("  %-44s %10.1f MiB/s %12llu bytes (%.3f of input)\n", c->name, c->mib_s,
	       (unsigned long long)c->out, (double)c->out / (double)len);
	fflush(stdout);
	return c;
}

static void comp_suite(const char *corpus, const char *dev, const char *dev2,
		       bool quick)
{
	int fd = open(corpus, O_RDONLY | O_CLOEXEC);
	struct stat st;
	uint8_t *in;
	int reps = quick ? 1 : 3;
	struct comp_row *pigz, *wd1, *wd2, *wde2;

	printf("\n== compression, level 6, corpus %s\n", corpus);
	if (fd < 0 || fstat(fd, &st) || !st.st_size) {
		printf("  no corpus (%s): skipped (make bench makes build/bench/corpus)\n",
		       strerror(errno ? errno : ENOENT));
		if (fd >= 0)
			close(fd);
		return;
	}
	corpus_size = (uint64_t)st.st_size;
	in = malloc(corpus_size);
	if (!in || wdt_read_full(fd, in, corpus_size) != (ssize_t)corpus_size) {
		printf("  cannot read the corpus\n");
		free(in);
		close(fd);
		return;
	}
	close(fd);
	printf("  %llu bytes; median of %d runs; commands write into a pipe\n",
	       (unsigned long long)corpus_size, reps);
	comp_inproc("zlib -6 in-process, 1 thread, one stream", 0, in, corpus_size, reps);
	comp_inproc("libdeflate -6 in-process, 1 thread, 1 MiB", 1, in, corpus_size, reps);
	free(in);
	{
		char *pa[] = { "pigz", "-p", "2", "-6", "-c", (char *)corpus, NULL };

		pigz = comp_cmd("pigz -p 2 -6", pa, NULL, reps);
	}
	{
		char d1[80], d2[160];
		char *wa[] = { self_exe, "zip", "-c", "-6", "--device", d1, (char *)corpus, NULL };
		char *wb[] = { self_exe, "zip", "-c", "-6", "--device", d2, (char *)corpus, NULL };

		snprintf(d1, sizeof(d1), "%s", dev);
		snprintf(d2, sizeof(d2), "%s", dev2);
		/* each device's engines set, whatever our environment says */
		wd1 = comp_cmd("wd zip -6, in-process device (1 engine)", wa, "1", reps);
		wd2 = comp_cmd("wd zip -6, 2 in-process devices (2 engines)", wb, "1", reps);
		wde2 = comp_cmd("wd zip -6, in-process device (2 engines)", wa, "2", reps);
	}
	target("wd zip (in-process, 1 engine) / pigz -p 2 -6 (MiB/s)",
	       wd1->mib_s / pigz->mib_s, 1.5, true, wd1->ok && pigz->ok,
	       "%.1f / %.1f MiB/s; size %.4f of pigz's", wd1->mib_s, pigz->mib_s,
	       pigz->out ? (double)wd1->out / (double)pigz->out : 0);
	target("wd zip (2 in-process devices) / pigz -p 2 -6 (MiB/s)",
	       wd2->mib_s / pigz->mib_s, 1.5, true, wd2->ok && pigz->ok,
	       "%.1f / %.1f MiB/s; size %.4f of pigz's", wd2->mib_s, pigz->mib_s,
	       pigz->out ? (double)wd2->out / (double)pigz->out : 0);
	target("wd zip (in-process, 2 engines) / pigz -p 2 -6 (MiB/s)",
	       wde2->mib_s / pigz->mib_s, 1.5, true, wde2->ok && pigz->ok,
	       "%.1f / %.1f MiB/s; size %.4f of pigz's", wde2->mib_s, pigz->mib_s,
	       pigz->out ? (double)wde2->out / (double)pigz->out : 0);
	target("wd zip output size / pigz -p 2 -6 output size", pigz->out ?
	       (double)wd1->out / (double)pigz->out : NAN, 1.0, false,
	       wd1->ok && pigz->ok, "%llu / %llu bytes",
	       (unsigned long long)wd1->out, (unsigned long long)pigz->out);
}

/* ---- output ---- */

static void print_targets(void)
{
	printf("\n== targets (ratios measured in this run)\n");
	for (int i = 0; i < ntargets; i++) {
		struct target *t = &targets[i];
		bool met = t->known && (t->higher_better ? t->value >= t->limit :
					t->value <= t->limit);

		char v[16] = "n/a";

		if (t->known)
			snprintf(v, sizeof(v), "%.3f", t->value);
		printf("  %-62s %8s  (target %s %.2f)  %-9s %s\n", t->name, v,
		       t->higher_better ? ">=" : "<=", t->limit,
		       !t->known ? "UNKNOWN" : met ? "met" : "NOT MET", t->detail);
	}
}

static void write_csv(FILE *f)
{
	fprintf(f, "group,path,kind,alg,bytes,batch,depth,ops_per_s,mib_per_s,p50_ns,p99_ns,syscalls_per_req,note\n");
	for (int i = 0; i < nresults; i++) {
		struct result *r = &results[i];

		char sc[24] = "";

		if (r->sc_ok)
			snprintf(sc, sizeof(sc), "%.4f", r->sc);
		fprintf(f, "%s,\"%s\",%s,%s,%u,%d,%d,%.1f,%.3f,%.0f,%.0f,%s,\"%s\"\n",
			r->group, r->label, r->s.kind, r->s.alg, r->s.size, r->s.batch,
			r->s.depth, r->ops_s, r->mib_s, r->p50_ns, r->p99_ns, sc, r->note);
	}
}

static void json_s(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if ((unsigned char)*s >= 0x20)
			fputc(*s, f);
	}
	fputc('"', f);
}

static void write_json(FILE *f)
{
	fprintf(f, "{\n  \"results\": [");
	for (int i = 0; i < nresults; i++) {
		struct result *r = &results[i];

		fprintf(f, "%s\n    {\"group\": ", i ? "," : "");
		json_s(f, r->group);
		fprintf(f, ", \"path\": ");
		json_s(f, r->label);
		fprintf(f, ", \"kind\": \"%s\", \"alg\": \"%s\", \"bytes\": %u, \"batch\": %d, \"depth\": %d, ",
			r->s.kind, r->s.alg, r->s.size, r->s.batch, r->s.depth);
		if (r->ok)
			fprintf(f, "\"ops_per_s\": %.1f, \"mib_per_s\": %.3f, \"p50_ns\": %.0f, \"p99_ns\": %.0f, ",
				r->ops_s, r->mib_s, r->p50_ns, r->p99_ns);
		if (r->sc_ok)
			fprintf(f, "\"syscalls_per_req\": %.4f, ", r->sc);
		fprintf(f, "\"note\": ");
		json_s(f, r->note);
		fprintf(f, "}");
	}
	fprintf(f, "\n  ],\n  \"compression\": [");
	for (int i = 0; i < ncomp; i++) {
		fprintf(f, "%s\n    {\"name\": ", i ? "," : "");
		json_s(f, comp_rows[i].name);
		fprintf(f, ", \"ok\": %s, \"mib_per_s\": %.2f, \"out_bytes\": %llu, \"in_bytes\": %llu}",
			comp_rows[i].ok ? "true" : "false", comp_rows[i].mib_s,
			(unsigned long long)comp_rows[i].out, (unsigned long long)corpus_size);
	}
	fprintf(f, "\n  ],\n  \"targets\": [");
	for (int i = 0; i < ntargets; i++) {
		struct target *t = &targets[i];
		bool met = t->known && (t->higher_better ? t->value >= t->limit :
					t->value <= t->limit);

		fprintf(f, "%s\n    {\"name\": ", i ? "," : "");
		json_s(f, t->name);
		if (t->known)
			fprintf(f, ", \"value\": %.4f", t->value);
		fprintf(f, ", \"target\": \"%s %.2f\", \"met\": %s, \"detail\": ",
			t->higher_better ? ">=" : "<=", t->limit,
			!t->known ? "null" : met ? "true" : "false");
		json_s(f, t->detail);
		fprintf(f, "}");
	}
	fprintf(f, "\n  ]\n}\n");
}

/* op/s against size per path, log-log, with gnuplot */
static int plot(const char *png)
{
	char dat[] = "/tmp/wd-bench-plot.XXXXXX";
	int fd = mkstemp(dat), nser = 0;
	FILE *f, *g;
	char titles[16][96];

	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	for (int i = 0; i < nresults && nser < 16; i++) {
		struct result *r = &results[i];
		char key[96];
		bool seen = false;

		if (strcmp(r->group, "sizes") && strcmp(r->group, "kernel"))
			continue;
		snprintf(key, sizeof(key), "%s: %s", r->s.alg, r->label);
		for (int k = 0; k < nser; k++)
			seen |= !strcmp(titles[k], key);
		if (seen)
			continue;
		snprintf(titles[nser], sizeof(titles[nser]), "%s", key);
		for (int j = i; j < nresults; j++) {
			struct result *q = &results[j];
			char k2[96];

			snprintf(k2, sizeof(k2), "%s: %s", q->s.alg, q->label);
			if (q->ok && !strcmp(k2, key) && !strcmp(q->group, r->group))
				fprintf(f, "%u %.1f\n", q->s.size, q->ops_s);
		}
		fprintf(f, "\n\n");
		nser++;
	}
	fclose(f);
	if (!nser) {
		unlink(dat);
		return -ENODATA;
	}
	g = popen("gnuplot", "w");
	if (!g) {
		unlink(dat);
		return -errno;
	}
	fprintf(g, "set terminal png size 1100,700\nset output '%s'\n"
		   "set logscale xy\nset xlabel 'request size (bytes)'\n"
		   "set ylabel 'requests per second'\nset key outside right\n"
		   "set title 'wd bench: operations per second by size'\nplot ", png);
	for (int k = 0; k < nser; k++)
		fprintf(g, "%s'%s' index %d with linespoints title '%s'", k ? ", " : "",
			dat, k, titles[k]);
	fprintf(g, "\n");
	{
		int st = pclose(g);

		unlink(dat);
		return st ? -EIO : 0;
	}
}

static void bench_usage(FILE *f)
{
	fputs("usage: wd bench [OPTION]...\n"
	      "Measure each WarpDrive path beside its comparisons, in one run:\n"
	      "  natively: the in-process device vs the cache-line round trip, eventfd,\n"
	      "    io_uring NOP, the CPU; compression vs zlib, libdeflate, pigz -p 2\n"
	      "  with a kernel device (/dev/uaN): uacce vs AF_ALG and a syscall per request\n"
	      "  --suite LIST     native,kernel,comp (default: native,comp natively,\n"
	      "                   kernel where a kernel device exists); roundtrip: the\n"
	      "                   first native group only\n"
	      "  --device DEV     the in-process device to use (default local)\n"
	      "  --corpus FILE    compression input (default build/bench/corpus)\n"
	      "  --time SECS      per measurement (default 0.3)\n"
	      "  --quick          fewer points, shorter runs, one run per point and compression\n"
	      "  --no-trace       no syscall counting (strace)\n"
	      "  --csv FILE, --json FILE   all results; --plot FILE.png (gnuplot)\n", f);
}

int cmd_bench(int argc, char **argv)
{
	enum { OPT_SUITE = 256, OPT_DEVICE, OPT_CORPUS, OPT_TIME, OPT_QUICK, OPT_NOTRACE, OPT_CSV,
	       OPT_JSON, OPT_PLOT };
	static const struct option opts[] = {
		{ "suite", required_argument, NULL, OPT_SUITE },
		{ "device", required_argument, NULL, OPT_DEVICE },
		{ "corpus", required_argument, NULL, OPT_CORPUS },
		{ "time", required_argument, NULL, OPT_TIME },
		{ "quick", no_argument, NULL, OPT_QUICK },
		{ "no-trace", no_argument, NULL, OPT_NOTRACE },
		{ "csv", required_argument, NULL, OPT_CSV },
		{ "json", required_argument, NULL, OPT_JSON },
		{ "plot", required_argument, NULL, OPT_PLOT },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *suite = NULL, *dev = "local", *corpus = "build/bench/corpus";
	const char *csv = NULL, *json = NULL, *png = NULL;
	bool quick = false, have_kernel;
	int opt, status = 0;
	ssize_t n;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case OPT_SUITE: suite = optarg; break;
		case OPT_DEVICE: dev = optarg; break;
		case OPT_CORPUS: corpus = optarg; break;
		case OPT_TIME:
			opt_time = atof(optarg);
			if (!(opt_time > 0 && opt_time <= 60)) {
				wdt_err("bench: --time: invalid value '%s' (0 < SECS <= 60)", optarg);
				return 1;
			}
			break;
		case OPT_QUICK: quick = true; break;
		case OPT_NOTRACE: opt_trace = false; break;
		case OPT_CSV: csv = optarg; break;
		case OPT_JSON: json = optarg; break;
		case OPT_PLOT: png = optarg; break;
		case 'h': bench_usage(stdout); return 0;
		default: bench_usage(stderr); return 1;
		}
	}
	if (quick && opt_time == 0.3)
		opt_time = 0.1;
	if (quick)
		opt_repeat = 1;
	n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
	if (n <= 0) {
		wdt_err("bench: /proc/self/exe: %s", strerror(errno));
		return 1;
	}
	self_exe[n] = 0;
	{
		struct wd_queue q = { .capa.alg = "nop" };

		have_kernel = !wd_request_queue(&q);
		if (have_kernel)
			have_kernel = !(q.dev_flags & WD_DEV_LOCAL);
		wd_release_queue(&q);
	}
	if (!suite)
		suite = have_kernel ? (wdt_have_local() ? "kernel,native,comp" : "kernel")
				    : "native,comp";
	printf("wd bench: %ld CPUs, best of %d runs of %.2f s per point, syscalls %s\n",
	       sysconf(_SC_NPROCESSORS_ONLN), opt_repeat, opt_time,
	       opt_trace ? "counted by strace -f -c from outside (N and 2N requests)" : "not counted");
	if (strstr(suite, "kernel")) {
		if (!have_kernel)
			printf("\n== kernel path: no uacce device offers nop here: skipped\n");
		else
			kernel_suite(quick);
	}
	if (strstr(suite, "native") || strstr(suite, "roundtrip")) {
		if (!wdt_have_local())
			printf("\n== in-process device: not in this build: skipped\n");
		else
			native_suite(dev, quick, !strstr(suite, "native"));
	}
	if (strstr(suite, "comp")) {
		if (!wdt_have_local())
			printf("\n== compression: natively only (in-process device): skipped\n");
		else
			comp_suite(corpus, dev, "local:sva,local:pasid", quick);
	}
	print_targets();
	if (csv) {
		FILE *f = fopen(csv, "w");

		if (!f) {
			wdt_err("%s: %s", csv, strerror(errno));
			status = 1;
		} else {
			write_csv(f);
			if (fclose(f))
				status = 1;
		}
	}
	if (json) {
		FILE *f = fopen(json, "w");

		if (!f) {
			wdt_err("%s: %s", json, strerror(errno));
			status = 1;
		} else {
			write_json(f);
			if (fclose(f))
				status = 1;
		}
	}
	if (png) {
		int ret = plot(png);

		if (ret) {
			wdt_err("%s: plot failed (gnuplot: %s)", png, strerror(-ret));
			status = 1;
		}
	}
	return status;
}
