/* SPDX-License-Identifier: MIT */
/*
 * wdtool.h: what the subcommands of the wd tool share (common.c, speed.c),
 * and what the benchmark harness (tools/bench) builds on: one copy of each.
 * Only libwd's public API (wd.h) is used.
 */
#ifndef WDTOOL_H
#define WDTOOL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <wd.h>

#define WDT_MAX_QUEUES	16

extern int wdt_verbose;		/* -v: say which device, fallbacks, ... */
extern const char *wdt_prog;	/* the name messages start with: "wd" */

/* messages: "wd: ..." on stderr */
void wdt_vmsg(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
void wdt_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void wdt_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* fds 0-2 closed at start are opened on /dev/null (unusable for their role) */
void wdt_std_fds(void);
/* flush and close stdout: @status, or 1 (message given) on a write error */
int wdt_stdout_close(int status);
const char *wdt_qerr(int err);	/* wd_request_queue() error, in words */
uint64_t wdt_now_ns(void);
int wdt_parse_size(const char *s, uint64_t *out);	/* 64, 4k, 1M, 1MiB */
/*
 * Options: the value of --@name (@arg) into *@out, else a message
 * "@cmd--@name: invalid value ..." (@cmd: "" or "bench: ") and 1; and 1
 * with a message when operands follow the options of a command taking none.
 */
int wdt_opt_int(const char *cmd, const char *name, const char *arg, int min,
		int max, int *out);
int wdt_opt_secs(const char *cmd, const char *name, const char *arg, double max,
		 double *out);
int wdt_opt_no_operands(const char *cmd, int argc, char **argv);
bool wdt_have_local(void);	/* the in-process device is built in */
/* a JSON string; a byte that is not UTF-8 becomes U+FFFD */
void wdt_json_str(FILE *f, const char *str);

/*
 * Queues of one algorithm over the devices of a spec: NULL or "" = the
 * environment's WD_DEV_PATH, else any kernel device offering @alg, else
 * the in-process device (when built in); or a comma-separated list of
 * dev_path values, queue i on device i % count.
 */
struct wdt_queues {
	int n;
	struct wd_queue q[WDT_MAX_QUEUES];
};
int wdt_queues_open(struct wdt_queues *qs, const char *alg, const char *spec,
		    int n);
void wdt_queues_close(struct wdt_queues *qs);
/* bytes this process may still lock at most (RLIMIT_MEMLOCK less what it
 * has pinned; the kernel counts pinned pages per user, so the user's other
 * processes may leave less), SIZE_MAX with CAP_IPC_LOCK or no limit */
size_t wdt_memlock_room(void);
/* strerror(@err), naming the locked-memory limit for ENOMEM */
const char *wdt_memerr(int err);
/* wd_reserve_memory() of @per bytes times *@n slots, halving *@n on ENOMEM
 * (down to 1): the memory, or NULL with errno */
void *wdt_reserve(struct wd_queue *q, size_t per, int *n);
const char *wdt_mode_name(uint32_t dev_flags);

/*
 * The ordered multi-queue pipeline (pipe.c) of wd zip: a ring of slots
 * indexed by a chunk's sequence number; chunk seq goes to queue seq % n,
 * and each queue completes in order, so the oldest chunk is always the next
 * to be received. A slot is the caller's structure; the caller sends its
 * requests on wdt_pipe_queue(seq) and counts chunks in @sub and @done.
 */
struct wdt_pipe {
	struct wdt_queues qs;
	int spq;		/* slots per queue */
	size_t slot_size;	/* the caller's slot structure */
	size_t per;		/* device memory per slot (0: none) */
	uint8_t *slots;		/* qs.n * spq of them, queue by queue */
	uint8_t *mem[WDT_MAX_QUEUES];	/* each queue's reserved memory */
	uint64_t sub, done;	/* chunks sent, received */
};
/* zeroes @p, opens @n queues of @alg on @spec: 0 or -errno (message given) */
int wdt_pipe_open(struct wdt_pipe *p, const char *alg, const char *spec, int n);
/*
 * Slots of @slot_size bytes, zeroed: at most @depth per queue, within each
 * queue's depth and, with @per bytes of device memory each (0: none), its
 * memory, reserved here. 0 or -errno (message given).
 */
int wdt_pipe_slots(struct wdt_pipe *p, int depth, size_t slot_size, size_t per);
/* the queues closed, the slots freed (the device memory goes with the queues) */
void wdt_pipe_close(struct wdt_pipe *p);
int wdt_pipe_nslots(const struct wdt_pipe *p);	/* requests in flight at most */
/* the slot and queue of request @seq; seq 0 .. nslots - 1 name every slot once */
void *wdt_pipe_slot(const struct wdt_pipe *p, uint64_t seq);
struct wd_queue *wdt_pipe_queue(struct wdt_pipe *p, uint64_t seq);
/* request @seq's slot's device memory, when wdt_pipe_slots() had @per > 0 */
uint8_t *wdt_pipe_mem(const struct wdt_pipe *p, uint64_t seq);
bool wdt_pipe_full(const struct wdt_pipe *p);	/* every slot in flight */
void wdt_pipe_flush(struct wdt_pipe *p);	/* wd_flush() every queue */

/*
 * Atomic output: a temporary file beside the final one (mode 0600), renamed
 * to it by wdt_out_commit(), unlinked by wdt_out_abort() or a fatal signal.
 */
struct wdt_out {
	int fd;
	bool is_stdout;
	char *path;		/* final name */
	char *tmp;		/* temporary name, NULL for stdout */
	bool sync;
	bool replace;		/* -f: an existing file of that name is replaced */
};
int wdt_out_open(struct wdt_out *o, const char *path, bool force, bool sync);
/*
 * The source's group, then its permission bits (never set-user-ID,
 * set-group-ID or sticky), then its owner, then its times: gzip's order,
 * so that the file is never open to more than it will be in the end. A
 * chown() refused is no error (a user cannot give a file away); 0 or
 * -errno.
 */
int wdt_out_attrs(struct wdt_out *o, const struct stat *st);
void wdt_out_stdout(struct wdt_out *o);
int wdt_out_write(struct wdt_out *o, const void *buf, size_t len);
/*
 * fsync (@sync), close, rename into place; an existing file is replaced
 * only with @force, even one that appeared meanwhile. 0 or -errno (message
 * given; -EEXIST: the name is taken).
 */
int wdt_out_commit(struct wdt_out *o);
void wdt_out_abort(struct wdt_out *o);
/*
 * SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGXCPU, SIGXFSZ unlink the temporary
 * file and end the process as the signal would; a non-zero @pipe_status is
 * the exit status on SIGPIPE instead (gzip -q: 2).
 */
void wdt_signals_init(int pipe_status);

/* read exactly @len bytes unless EOF: bytes read, or -errno */
ssize_t wdt_read_full(int fd, void *buf, size_t len);

/* a progress bar on stderr, when it is a terminal and @total is large */
struct wdt_progress {
	bool on;
	uint64_t total, done, last_ns, start_ns;
	const char *name;
};
void wdt_progress_start(struct wdt_progress *p, const char *name,
			uint64_t total, bool allowed);
void wdt_progress_add(struct wdt_progress *p, uint64_t n);
void wdt_progress_end(struct wdt_progress *p);

/*
 * Measuring requests (speed.c): a warm-up, then operations until @n more
 * or until @deadline (0: none). Latencies (ns) are sampled into @lat when
 * it has room; an @untimed run reads no clock at all (under a tracer in a
 * TCG guest, clock_gettime() is a counted system call).
 */
#define WDT_LAT_MAX	(1u << 20)
struct wdt_lat {
	uint32_t *ns;		/* WDT_LAT_MAX entries, or NULL: none kept */
	size_t n;
};
struct wdt_run {
	uint64_t n, deadline;
	uint64_t warm_ns;	/* the warm-up ends after this long too (0: by count) */
	bool untimed;
	struct wdt_lat *lat;
	/* results: operations measured (after wdt_run_end()) and their window */
	uint64_t done, t_start, t_end;
	char err[96];		/* why a runner failed */
	/* state */
	uint64_t t_begin, warm_done, calls;
	bool over, rec;
};
bool wdt_run_more(struct wdt_run *r);		/* before an operation */
uint64_t wdt_run_sample(const struct wdt_run *r);	/* its start time, or 0 */
void wdt_run_tick(struct wdt_run *r, uint64_t t0);	/* after it completed */
void wdt_run_end(struct wdt_run *r);
/* the median and 99th percentile of @l (sorted in place); 0 when empty */
void wdt_lat_pcts(struct wdt_lat *l, double *p50, double *p99);

/*
 * Requests of @alg (nop, copy: copies; crc32c, sha256: digests; else
 * compression at level 1) of @size bytes through an open queue, up to
 * @depth in flight, submitted @batch at a time; completions polled, or
 * waited for one by one in poll() (@sync). @depth and @batch are set to
 * what the queue's depth and memory allowed. 0 or -errno (r->err says).
 */
struct wdt_load {
	const char *alg;
	uint32_t size;
	int batch, depth;
	bool sync;
};
int wdt_run_queue(struct wd_queue *q, struct wdt_load *l, struct wdt_run *r);

/* subcommands */
int cmd_list(int argc, char **argv);
int cmd_zip(int argc, char **argv, bool decompress);
int cmd_digest(int argc, char **argv);
int cmd_bench(int argc, char **argv);

#endif
