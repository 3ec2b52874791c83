// SPDX-License-Identifier: MIT
/*
 * wd-bench: the harness's own loops over libwd (the other device rows run
 * the wd tool's loop, tools/wd/speed.c):
 *
 *   ring     requests spinning on the completions: the in-process round
 *            trip and batch rows. The calls it makes are the RING_* ones
 *            below: libwd 1.4's inline ring calls replace the exported ones
 *            by setting BENCH_RING_API to 1.
 *   wdpoll   batches, the thread sleeping in poll() (wd_recv_sync()) when
 *            nothing has completed, at most about once per batch: the
 *            submitting thread's CPU time per request (the kernel rows that
 *            AF_ALG's send+read is compared with).
 *   scale    1, 16, 64, 256 active queues on one device, each sending null
 *            requests in batches: threads on the in-process device, or
 *            processes on a kernel one; the cost per request.
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
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <wd_ring.h>

#include "bench.h"
#include "wd_ctl.h"

/*
 * The one line to change: 0, libwd 1.3's exported calls (wd_send_many(),
 * wd_recv_many(): one lock per batch); 1, libwd 1.4's inline ring calls
 * (perf-iface.txt section 4: wd_ring_send_copy()/_digest(), wd_ring_flush(),
 * wd_ring_recv(), wd_ring_recv_many(), the caller serialising them, as
 * this loop does: one thread per queue).
 */
#define BENCH_RING_API	1

union req {
	struct wd_copy_req c;
	struct wd_digest_req d;
};

/* a queue and its requests, one slot per request in flight */
struct rset {
	struct wd_queue q;
	bool digest;		/* sha256, crc32c; else nop, copy */
	bool cpu;		/* the thread's CPU time measured (wdpoll) */
	uint32_t size;
	int batch, depth, inflight;
	size_t per;		/* a slot's bytes */
	uint8_t *mem;
	union req *reqs;
	void **vec;
	uint64_t *t_sub, sent;
};

static int rset_open(struct rset *rs, const char *dev, const char *alg, uint32_t size,
		     int batch, int depth, char *err, size_t elen)
{
	int ret;

	memset(rs, 0, sizeof(*rs));
	rs->q.capa.alg = alg;	/* kept: the caller's string outlives the queue */
	snprintf(rs->q.dev_path, sizeof(rs->q.dev_path), "%s", dev ? dev : "");
	ret = wd_request_queue(&rs->q);
	if (ret) {
		snprintf(err, elen, "%s on %s: %s", alg, dev && *dev ? dev : "any device",
			 wdt_qerr(ret));
		rs->q.dev_path[0] = 0;
		return ret;
	}
	rs->digest = !strcmp(alg, "sha256") || !strcmp(alg, "crc32c");
	rs->size = size;
	rs->per = ((size_t)size + 64 + 63) & ~(size_t)63;
	rs->depth = depth < 1 ? 1 : depth > (int)rs->q.depth ? (int)rs->q.depth : depth;
	while (rs->depth > 1 && rs->per * (size_t)rs->depth > rs->q.ss_max)
		rs->depth--;
	rs->batch = batch < 1 ? 1 : batch > rs->depth ? rs->depth : batch;
	rs->mem = wd_reserve_memory(&rs->q, rs->per * (size_t)rs->depth);
	rs->reqs = calloc((size_t)rs->depth, sizeof(*rs->reqs));
	rs->vec = calloc((size_t)rs->depth, sizeof(*rs->vec));
	rs->t_sub = calloc((size_t)rs->depth, sizeof(*rs->t_sub));
	if (!rs->mem || !rs->reqs || !rs->vec || !rs->t_sub) {
		snprintf(err, elen, "memory: %s", strerror(errno ? errno : ENOMEM));
		return -ENOMEM;
	}
	for (size_t i = 0; i < rs->per * (size_t)rs->depth; i++)
		rs->mem[i] = (uint8_t)(i * 7 + (i >> 9) * 13);
	return 0;
}

static void rset_close(struct rset *rs)
{
	if (rs->q.dev_path[0])
		wd_release_queue(&rs->q);
	free(rs->reqs);
	free(rs->vec);
	free(rs->t_sub);
	rs->reqs = NULL;
	rs->vec = NULL;
	rs->t_sub = NULL;
}

/* ---- the calls: exported (locked) or inline (BENCH_RING_API) ---- */

#if BENCH_RING_API
static int ring_send(struct rset *rs, int n)
{
	for (int i = 0; i < n; i++) {
		int ret = rs->digest ?
			  wd_ring_send_digest(&rs->q, (struct wd_digest_req *)rs->vec[i]) :
			  wd_ring_send_copy(&rs->q, (struct wd_copy_req *)rs->vec[i]);

		if (ret)
			return i ? i : ret;
	}
	wd_ring_flush(&rs->q);
	return n;
}

static int ring_recv(struct rset *rs, int max)
{
	return max > 1 ? wd_ring_recv_many(&rs->q, rs->vec, max) :
	       wd_ring_recv(&rs->q, &rs->vec[0]);
}
#else
static int ring_send(struct rset *rs, int n)
{
	int ret;

	if (n > 1)
		return wd_send_many(&rs->q, rs->vec, n);
	ret = wd_send(&rs->q, rs->vec[0]);
	if (ret)
		return ret;
	wd_flush(&rs->q);
	return 1;
}

static int ring_recv(struct rset *rs, int max)
{
	return max > 1 ? wd_recv_many(&rs->q, rs->vec, max) : wd_recv(&rs->q, &rs->vec[0]);
}
#endif

/* a batch into its slots and to the device; @now its submission time or 0 */
static int rset_submit(struct rset *rs, uint64_t now, char *err, size_t elen)
{
	int ret;

	for (int b = 0; b < rs->batch; b++) {
		int slot = (int)((rs->sent + (uint64_t)b) % (uint64_t)rs->depth);
		uint8_t *src = rs->mem + rs->per * (size_t)slot, *dst = src + rs->size;
		union req *rq = &rs->reqs[slot];

		if (rs->digest)
			wd_prep_digest(&rq->d, dst, 32, src, rs->size, 0);
		else
			wd_prep_copy(&rq->c, dst, src, rs->size);
		rs->t_sub[slot] = now;
		rs->vec[b] = rq;
	}
	ret = ring_send(rs, rs->batch);
	if (ret != rs->batch) {
		snprintf(err, elen, "send: %s", ret < 0 ? strerror(-ret) : "short batch");
		return ret < 0 ? ret : -EIO;
	}
	rs->sent += (uint64_t)rs->batch;
	rs->inflight += rs->batch;
	return 0;
}

/* @n completions in rs->vec: checked, counted (@r: ticked) */
static int rset_done(struct rset *rs, int n, struct wdt_run *r, char *err, size_t elen)
{
	for (int i = 0; i < n; i++) {
		union req *rq = rs->vec[i];
		int st = rs->digest ? rq->d.status : rq->c.status;

		if (st) {
			snprintf(err, elen, "request: %s", strerror(st < 0 ? -st : st));
			return st < 0 ? st : -EIO;
		}
		rs->inflight--;
		if (r) {
			wdt_run_tick(r, rs->t_sub[rq - rs->reqs]);
			if (rs->cpu)
				cpu_window_tick(r);
		}
	}
	return 0;
}

/*
 * Completions until there is room for a batch (@more) or none is in
 * flight; when nothing has completed, spin (@sleep false) or sleep in
 * poll() for the next one (wd_recv_sync(), which flushes first).
 * Returns how many were collected, or -errno.
 */
static int rset_collect(struct rset *rs, struct wdt_run *r, bool more, bool sleep,
			char *err, size_t elen)
{
	int got = 0;

	while (rs->inflight) {
		int n = ring_recv(rs, rs->inflight), ret;

		if (n == 0 && sleep) {
			n = wd_recv_sync(&rs->q, &rs->vec[0]);
			if (n == 0)
				continue;
		}
		if (n < 0) {
			snprintf(err, elen, "recv: %s", strerror(-n));
			return n;
		}
		ret = rset_done(rs, n, r, err, elen);
		if (ret)
			return ret;
		got += n;
		if (more && got && rs->inflight + rs->batch <= rs->depth)
			break;
	}
	return got;
}

/* a measured run: whole batches while there is room, then completions */
static int rset_run(const struct spec *s, struct wdt_run *r, bool sleep)
{
	struct rset rs;
	int ret = rset_open(&rs, s->dev, s->alg, s->size, s->batch, s->depth, r->err,
			    sizeof(r->err));
	uint64_t batches = 0;

	rs.cpu = sleep;
	while (!ret) {
		bool more = wdt_run_more(r);

		while (!ret && more && rs.inflight + rs.batch <= rs.depth) {
			/* latency sampled on one batch in eight */
			uint64_t now = !r->untimed && (batches++ & 7) == 0 ? wdt_now_ns() : 0;

			ret = rset_submit(&rs, now, r->err, sizeof(r->err));
			more = wdt_run_more(r);
		}
		if (ret || !rs.inflight)
			break;
		ret = rset_collect(&rs, r, more, sleep, r->err, sizeof(r->err));
		ret = ret < 0 ? ret : 0;
	}
	if (!ret) {
		wdt_run_end(r);
		cpu_window_end(r);
	}
	rset_close(&rs);
	return ret;
}

int run_ring(const struct spec *s, struct wdt_run *r)
{
	return rset_run(s, r, false);
}

int run_wdpoll(const struct spec *s, struct wdt_run *r)
{
	return rset_run(s, r, true);
}

/* ---- scale: N active queues on one device ---- */

#define SCALE_MAX	256
#define SCALE_BATCH	16
#define SCALE_DEPTH	32
#define SCALE_SPIN_NS	50000	/* polling an empty CQ before sleeping in poll(),
				 * as long as an engine spins before it parks */

struct scale_shm {
	_Atomic int ready, failed, go, stop;
	char err[96];
	struct {
		_Alignas(64) _Atomic uint64_t done;
	} q[SCALE_MAX];
};

struct scale_arg {
	struct scale_shm *m;
	const char *dev;
	int i;
};

/*
 * One queue: null requests in batches of SCALE_BATCH, SCALE_DEPTH in
 * flight, its count published after each collection; an empty CQ is
 * polled for SCALE_SPIN_NS (the clock read every 256 polls: in a TCG
 * guest it is a system call), then the thread sleeps in poll() (10 ms at
 * most: it looks at stop), as a program with more threads than CPUs would.
 */
static void scale_queue(struct scale_shm *m, const char *dev, int i)
{
	struct rset rs;
	char err[96];
	uint64_t done = 0;
	int ret = rset_open(&rs, dev, "nop", 0, SCALE_BATCH, SCALE_DEPTH, err, sizeof(err));

	if (ret) {
		if (atomic_fetch_add(&m->failed, 1) == 0)
			snprintf(m->err, sizeof(m->err), "queue %d: %.70s", i + 1, err);
		rset_close(&rs);
		return;
	}
	atomic_fetch_add(&m->ready, 1);
	while (!atomic_load(&m->go))
		usleep(200);
	while (!ret && !atomic_load_explicit(&m->stop, memory_order_relaxed)) {
		int spins = 0, got = 0;
		uint64_t t_spin = 0;

		while (!ret && rs.inflight + rs.batch <= rs.depth)
			ret = rset_submit(&rs, 0, err, sizeof(err));
		while (!ret && !got) {
			int n = ring_recv(&rs, rs.inflight);

			if (n == 0 && (++spins & 255) == 0 && !t_spin)
				t_spin = wdt_now_ns();
			if (n == 0 && t_spin && (spins & 255) == 0 &&
			    wdt_now_ns() - t_spin > SCALE_SPIN_NS) {
				n = wd_recv_wait(&rs.q, &rs.vec[0], 10);
				if (n == -ETIMEDOUT) {
					if (atomic_load_explicit(&m->stop, memory_order_relaxed))
						break;
					continue;
				}
			}
			ret = n < 0 ? n : rset_done(&rs, n, NULL, err, sizeof(err));
			got = n > 0 ? n : 0;
		}
		done += (uint64_t)got;
		atomic_store_explicit(&m->q[i].done, done, memory_order_relaxed);
	}
	while (!ret && rs.inflight) {
		int n = wd_recv_wait(&rs.q, &rs.vec[0], 1000);

		ret = n < 0 ? n : rset_done(&rs, n, NULL, err, sizeof(err));
	}
	if (ret && atomic_fetch_add(&m->failed, 1) == 0)
		snprintf(m->err, sizeof(m->err), "queue %d: %.70s", i + 1, err);
	rset_close(&rs);
}

static void *scale_thread(void *arg)
{
	struct scale_arg *a = arg;

	scale_queue(a->m, a->dev, a->i);
	return NULL;
}

static uint64_t scale_sum(struct scale_shm *m, int n)
{
	uint64_t sum = 0;

	for (int i = 0; i < n; i++)
		sum += atomic_load_explicit(&m->q[i].done, memory_order_relaxed);
	return sum;
}

/*
 * @n queues on @dev, threads of this process or child processes (@procs);
 * the best of opt_repeat windows of opt_time after a warm-up: requests
 * completed on all queues per second. 0 or -errno (@why says).
 */
static int scale_point(const char *dev, int n, bool procs, double *ops, char *why, size_t wlen)
{
	struct scale_shm *m = mmap(NULL, sizeof(*m), PROT_READ | PROT_WRITE,
				   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pthread_t *th = calloc((size_t)n, sizeof(*th));
	struct scale_arg *args = calloc((size_t)n, sizeof(*args));
	pid_t *pids = calloc((size_t)n, sizeof(*pids));
	int started = 0, ret = 0;
	uint64_t t_wait;

	*ops = 0;
	if (m == MAP_FAILED || !th || !args || !pids) {
		snprintf(why, wlen, "memory: %s", strerror(errno));
		ret = -ENOMEM;
		goto out;
	}
	memset(m, 0, sizeof(*m));
	fflush(stdout);
	for (; started < n; started++) {
		args[started] = (struct scale_arg){ .m = m, .dev = dev, .i = started };
		if (procs) {
			pid_t pid = fork();

			if (pid == 0) {
				scale_queue(m, dev, started);
				_exit(0);
			}
			if (pid < 0)
				break;
			pids[started] = pid;
		} else if (pthread_create(&th[started], NULL, scale_thread, &args[started])) {
			break;
		}
	}
	if (started < n) {
		snprintf(why, wlen, "%s %d of %d: %s", procs ? "fork" : "thread", started + 1, n,
			 strerror(errno ? errno : EAGAIN));
		ret = -EAGAIN;
	}
	/* every queue open (or failed), 120 s at most */
	t_wait = wdt_now_ns();
	while (!ret && atomic_load(&m->ready) + atomic_load(&m->failed) < n &&
	       wdt_now_ns() - t_wait < 120000000000ull)
		usleep(1000);
	if (!ret && atomic_load(&m->ready) < n) {
		snprintf(why, wlen, "%.90s", atomic_load(&m->failed) ? m->err : "queues not ready in 120 s");
		ret = -EIO;
	}
	if (!ret) {
		atomic_store(&m->go, 1);
		usleep((useconds_t)(opt_time * 0.3e6));
		for (int rep = 0; rep < opt_repeat; rep++) {
			uint64_t s0 = scale_sum(m, n), t0 = wdt_now_ns(), s1, t1;

			usleep((useconds_t)(opt_time * 1e6));
			s1 = scale_sum(m, n);
			t1 = wdt_now_ns();
			if (t1 > t0 && (double)(s1 - s0) * 1e9 / (double)(t1 - t0) > *ops)
				*ops = (double)(s1 - s0) * 1e9 / (double)(t1 - t0);
		}
	}
	atomic_store(&m->stop, 1);
	atomic_store(&m->go, 1);
	for (int i = 0; i < started; i++) {
		if (procs)
			waitpid(pids[i], NULL, 0);
		else
			pthread_join(th[i], NULL);
	}
	if (!ret && atomic_load(&m->failed)) {
		snprintf(why, wlen, "%s", m->err);
		ret = -EIO;
	}
	if (!ret && *ops <= 0) {
		snprintf(why, wlen, "no request completed in the window");
		ret = -EIO;
	}
out:
	if (m != MAP_FAILED)
		munmap(m, sizeof(*m));
	free(th);
	free(args);
	free(pids);
	return ret;
}

/*
 * An instance with room for SCALE_MAX queues (the defaults have 64): the
 * first free ID from 1000 down, its path into @dev; -errno (no privilege
 * for the kernel's bus, no bus) and the caller uses the default device.
 */
static int scale_instance(enum wd_ctl_host h, int *id, char *dev, size_t len)
{
	int ret = -EEXIST;

	for (*id = 1000; *id > 990 && ret == -EEXIST; --*id) {
		char spec[64];

		snprintf(spec, sizeof(spec), "%d queues=%d", *id, SCALE_MAX);
		ret = wd_ctl_new_device(h, spec);
		if (!ret)
			return wd_ctl_dev_path(h, *id, dev, len);
	}
	return ret;
}

void scale_suite(bool kernel, bool quick)
{
	static const int points[] = { 1, 16, 64, 256 };
	enum wd_ctl_host h = kernel ? WD_CTL_KERNEL : WD_CTL_LOCAL;
	char dev[WD_DEV_PATH_MAX] = "", why[96], label[48], inst[64] = "";
	struct result *rows[4] = { 0 };
	int id = -1, ret;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	(void)quick;	/* every point: the target needs 1 and 256 */
	ret = scale_instance(h, &id, dev, sizeof(dev));
	if (ret) {
		snprintf(dev, sizeof(dev), "%s", kernel ? "" : "local");
		snprintf(inst, sizeof(inst), "; no instance with %d queues (%s): the default device",
			 SCALE_MAX, strerror(-ret));
		id = -1;
	}
	printf("\n== scale: 1 .. %d active queues on one device (%s, %s each), null requests in"
	       " batches of %d, %d in flight per queue\n   cost per request = window x %ld CPUs /"
	       " requests completed on all queues%s\n",
	       SCALE_MAX, *dev ? dev : "the kernel device", kernel ? "a process" : "a thread",
	       SCALE_BATCH, SCALE_DEPTH, cpus, inst);
	printf("  %-30s %12s %12s\n", "queues", "op/s", "ns/req");
	for (size_t i = 0; i < 4; i++) {
		double ops;
		struct result *r;

		load_sample();
		snprintf(label, sizeof(label), "%d queues (%s)", points[i],
			 kernel ? "processes" : "threads");
		r = rows[i] = pt_new("scale", label, "scale", "nop", 0, SCALE_BATCH, SCALE_DEPTH,
				     dev);
		r->queues = points[i];
		ret = scale_point(dev, points[i], kernel, &ops, why, sizeof(why));
		if (ret) {
			snprintf(r->note, sizeof(r->note), "%s", why);
			printf("  %-30s %s\n", label, why);
			continue;
		}
		r->ok = true;
		r->ops_s = ops;
		r->cost_ns = (double)cpus * 1e9 / ops;
		snprintf(r->note, sizeof(r->note), "syscalls not counted (many queues)");
		printf("  %-30s %12.0f %12.1f\n", label, ops, r->cost_ns);
		fflush(stdout);
	}
	if (id >= 0)
		wd_ctl_del_device(h, id);
	if (rows[0]->ok && rows[3]->ok)
		target_band(T_SCALE, rows[3]->cost_ns / rows[0]->cost_ns, 0.9, 1.1, true,
			    "%.1f / %.1f ns per request (%s; window x CPUs / requests)",
			    rows[3]->cost_ns, rows[0]->cost_ns, kernel ? "processes" : "threads");
	else
		target_band(T_SCALE, NAN, 0.9, 1.1, false, "not measured: %s",
			    !rows[0]->ok ? rows[0]->note : rows[3]->note);
}
