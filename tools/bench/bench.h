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
	char kind[16];		/* wd, wdsync, afalg, syscall, uring, eventfd, cacheline, cpu */
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
	bool ok, sc_ok;
	char note[96];
};

struct target {
	char name[96];
	double value, goal;
	bool higher_better, known;
	char detail[160];
};

/* a ratio of two rows of this run: a figure, not held to any goal */
struct ratio {
	char name[96];
	double value;
	bool known;		/* both rows measured */
	char detail[160];
};

struct comp_row {
	char name[64];
	double secs, mib_s;
	uint64_t in;		/* the bytes its MiB/s counts (uncompressed) */
	uint64_t out;
	bool ok;
	char note[96];
};

/* options (main.c) */
extern double opt_time;		/* seconds per point */
extern int opt_repeat;		/* runs per point, the best kept */
extern bool opt_trace;		/* count system calls with strace */
extern const char *opt_run;	/* this run's name in the JSON: native, vm */
extern char self_exe[PATH_MAX];	/* wd-bench, for the traced worker */
extern char wd_exe[PATH_MAX];	/* wd, for the compression rows */

/* what was measured (report.c) */
#define MAX_RESULTS	256
#define MAX_TARGETS	20
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
void header(const char *title);

/* suites.c */
void native_suite(const char *dev, bool quick, bool rt_only);
void kernel_suite(bool quick);
void target(const char *name, double value, double goal, bool higher,
	    bool known, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* cryptoapi.c */
void cryptoapi_suite(bool have_kernel, bool quick);

/* comp.c */
void comp_suite(const char *corpus, const char *dev, const char *dev2, bool quick);

/* report.c */
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
