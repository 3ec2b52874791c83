/* SPDX-License-Identifier: MIT */
/*
 * wd-bench, the project's benchmark harness (docs/performance.md): each
 * WarpDrive path measured beside its comparisons in the same run, system
 * calls counted by strace, the project's targets, the report. Not part of
 * the product: the wd tool's own `wd bench` measures one algorithm only.
 *
 *   main.c     options, the suites chosen, the traced worker's entry
 *   paths.c    what is measured: the device (tools/wd/speed.c), AF_ALG,
 *              the null syscall, io_uring NOP, eventfd, the cache line, CPU
 *   measure.c  one point: best of N untimed runs, then strace's count
 *   suites.c   the native and kernel suites and their targets
 *   ring.c     the bench's own loops over libwd: the in-process round trip
 *              and batch rows (one switch to libwd 1.4's inline ring
 *              calls), the kernel rows that sleep in poll() per batch with
 *              the submitting thread's CPU time, the scale rows (1 .. 256
 *              active queues on one device: threads, or processes)
 *   cryptoapi.c  one engine three ways: AF_ALG to wd_soft's crypto API
 *              driver, AF_ALG to the CPU's own driver, the uacce ring
 *   comp.c     compression against zlib, libdeflate and pigz
 *   report.c   the targets table, CSV, JSON, the plot
 */
#ifndef WD_BENCH_H
#define WD_BENCH_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "wdtool.h"

/* a point: what runs (kind), on what, how; its text form is the worker's argument */
struct spec {
	char kind[16];		/* wd, wdsync, ring, wdpoll, afalg, syscall, uring,
				 * eventfd, cacheline, cpu */
	char alg[16];
	uint32_t size;
	int batch, depth;
	char dev[WD_DEV_PATH_MAX];	/* wd, wdsync: the device ("": discovery);
					 * afalg: the driver to bind ("": alg) */
};

struct result {
	struct spec s;
	char group[24];
	char label[48];
	double ops_s, mib_s, p50_ns, p99_ns, sc;
	double cpu_ns;		/* the calling thread's CPU time per request */
	int queues;		/* scale rows: active queues (0: not a scale row) */
	double cost_ns;		/* scale rows: window x CPUs / requests */
	bool ok, sc_ok, cpu_ok;
	/* why it has no figure, then the census's note (cryptoapi.c's
	 * static assertion: room for both, or the count would be cut)
	 */
	char note[256];
};

/* which side of the goal meets a target */
enum better { BETTER_HIGHER, BETTER_LOWER, BETTER_BAND };

struct target {
	char name[96];
	double value, goal, goal_hi;	/* band: goal .. goal_hi */
	enum better better;
	bool known;
	double others;		/* others' runnable tasks while its rows ran (load.c) */
	bool loaded;		/* others > LOADED_ABOVE */
	char detail[200];
};

/* a ratio of two rows of this run: a figure, not held to any goal */
struct ratio {
	char name[96];
	double value;
	bool known;		/* both rows measured */
	char detail[16 + sizeof(((struct result *)0)->note)];	/* "not measured: " + a note */
};

struct comp_row {
	char name[64];
	double secs, mib_s;
	uint64_t in;		/* the bytes its MiB/s counts (uncompressed) */
	uint64_t out;
	bool ok;
	char note[96];
};

/* the names of the targets (docs/performance.md; fixed by the lead) */
#define T_RT	"in-process round trip / cache-line round trip (p50)"
#define T_BATCH	"in-process batched null requests / io_uring NOP (batch 32)"
#define T_K64	"kernel sha256 64 B / AF_ALG (VM)"
#define T_CPU4K	"kernel submitter CPU per request / AF_ALG, sha256 4 KiB (VM)"
#define T_CPU64K "kernel submitter CPU per request / AF_ALG, sha256 64 KiB (VM)"
#define T_SC	"system calls per request while the engine has work (worst point)"
#define T_ZIP	"wd zip (in-process, 2 engines) / pigz -p 2 -6 throughput"
#define T_ZIPSZ	"wd zip size / pigz -p 2 -6 size"
#define T_SCALE	"cost per request, 256 / 1 active queues"

/* options (main.c) */
extern double opt_time;		/* seconds per point */
extern int opt_repeat;		/* runs per point, the best kept */
extern bool opt_trace;		/* count system calls with strace */
extern const char *opt_run;	/* this run's name in the JSON: native, vm */
extern char self_exe[PATH_MAX];	/* wd-bench, for the traced worker */
extern char wd_exe[PATH_MAX];	/* wd, for the compression rows */

/*
 * The CPU time per operation of the calling thread (CLOCK_THREAD_CPUTIME_ID)
 * over a run's measured window, set by the runners that measure it (AF_ALG,
 * wdpoll), NAN otherwise; measure.c resets it before each run.
 */
extern double run_cpu_ns;
void cpu_window_tick(struct wdt_run *r);	/* after each wdt_run_tick() */
void cpu_window_end(struct wdt_run *r);	/* after wdt_run_end() */

/* what was measured (report.c) */
#define MAX_RESULTS	256
#define MAX_TARGETS	24
#define MAX_COMP	24
#define MAX_RATIOS	32
extern struct result results[MAX_RESULTS];
extern int nresults;
extern struct target targets[MAX_TARGETS];
extern int ntargets;
extern struct ratio ratios[MAX_RATIOS];
extern int nratios;
extern struct comp_row comp_rows[MAX_COMP];
extern int ncomp;
extern uint64_t corpus_size;

/*
 * load (report.c): other processes' runnable tasks, sampled between rows
 * (procs_running less this process's running threads); a target whose rows
 * saw more than LOADED_ABOVE on average is "loaded"; the 1-minute load
 * average at the run's start and end is recorded too.
 */
#define LOADED_ABOVE	1.5
void load_sample(void);
void load_run_start(void);
void load_run_end(void);

/* paths.c */
int run_spec(const struct spec *s, struct wdt_run *r);
void spec_str(const struct spec *s, char *buf, size_t len);
int spec_parse(const char *str, struct spec *s);
int bench_worker(int argc, char **argv);

/* measure.c */
struct result *pt(const char *group, const char *label, const char *kind,
		  const char *alg, uint32_t size, int batch, int depth,
		  const char *dev);
/* a row of the same shape that is not measured, with why (a skip) */
struct result *pt_skip(const char *group, const char *label, const char *kind,
		       const char *alg, uint32_t size, int batch, int depth,
		       const char *dev, const char *why);
/* a row of the same shape, not measured: its caller fills it in (scale rows) */
struct result *pt_new(const char *group, const char *label, const char *kind,
		      const char *alg, uint32_t size, int batch, int depth,
		      const char *dev);
void header(const char *title);

/* suites.c */
void native_suite(const char *dev, bool quick, bool rt_only);
void kernel_suite(bool quick);
void target(const char *name, double value, double goal, bool higher,
	    bool known, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* a band target: met when @lo <= @value <= @hi */
void target_band(const char *name, double value, double lo, double hi,
		 bool known, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* the targets this run should have and has not: not measured, with why */
void targets_missing(bool have_local, bool have_kernel, const char *suite);

/* ring.c */
int run_ring(const struct spec *s, struct wdt_run *r);
int run_wdpoll(const struct spec *s, struct wdt_run *r);
void scale_suite(bool kernel, bool quick);

/* cryptoapi.c */
void cryptoapi_suite(bool have_kernel, bool quick);

/* comp.c */
void comp_suite(const char *corpus, const char *dev, const char *dev2, bool quick);

/* report.c */
struct target *target_new(void);	/* a zeroed target, its load recorded */
bool target_met(const struct target *t);
void print_targets(void);
void add_ratio(const char *name, const struct result *num,
	       const struct result *den, const char *meaning);
void print_ratios(void);
int write_file(const char *path, void (*fn)(FILE *f));
void write_csv(FILE *f);
void write_json(FILE *f);
int plot(const char *png);

#endif
