// SPDX-License-Identifier: MIT
/*
 * wd-bench: the project's benchmark harness (bench.h, docs/performance.md).
 * `make bench` runs it natively and in the VM through tools/bench/bench.sh.
 *
 *   wd-bench [OPTION]...          the suites, the targets, the report
 *   wd-bench __worker SPEC N      N requests of one point, for strace
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

double opt_time = 0.3;
int opt_repeat = 3;
bool opt_trace = true;
const char *opt_run = "native";
char self_exe[PATH_MAX];
char wd_exe[PATH_MAX];

struct opts {
	const char *suite, *dev, *corpus, *csv, *json, *png;
	bool quick;
};

static void usage(FILE *f)
{
	fputs("usage: wd-bench [OPTION]...\n"
	      "Measure each WarpDrive path beside its comparisons, in one run:\n"
	      "  natively: the in-process device vs the cache-line round trip, eventfd,\n"
	      "    io_uring NOP, the CPU; compression vs zlib, libdeflate, pigz -p 2\n"
	      "  with a kernel device (/dev/uaN): uacce vs AF_ALG and a syscall per request;\n"
	      "    one engine three ways: AF_ALG to wd_soft's crypto API driver, AF_ALG to\n"
	      "    the CPU's own driver, the uacce ring\n"
	      "then the project's targets as measured ratios.\n"
	      "  --suite LIST     native,kernel,comp,scale (default: native,comp,scale\n"
	      "                   natively, kernel,scale where a kernel device exists);\n"
	      "                   roundtrip: the first native group only; cryptoapi:\n"
	      "                   the last kernel group only (three ways to one engine);\n"
	      "                   scale: 1, 16, 64, 256 active queues on one device\n"
	      "  --device DEV     the in-process device to use (default local)\n"
	      "  --corpus FILE    compression input (default build/bench/corpus)\n"
	      "  --wd PATH        the wd tool for the compression rows (default: the wd\n"
	      "                   beside this program)\n"
	      "  --time SECS      per measurement (default 0.3)\n"
	      "  --quick          fewer points, shorter runs, one run per point and compression\n"
	      "  --no-trace       no syscall counting (strace)\n"
	      "  --run NAME       this run's name in the JSON rows (default native)\n"
	      "  --csv FILE, --json FILE   all results; --plot FILE.png (gnuplot)\n", f);
}

/* 0, 1: a usage error (message given), 2: --help */
static int parse(int argc, char **argv, struct opts *o)
{
	enum { OPT_SUITE = 256, OPT_DEVICE, OPT_CORPUS, OPT_WD, OPT_TIME, OPT_QUICK,
	       OPT_NOTRACE, OPT_RUN, OPT_CSV, OPT_JSON, OPT_PLOT };
	static const struct option opts[] = {
		{ "suite", required_argument, NULL, OPT_SUITE },
		{ "device", required_argument, NULL, OPT_DEVICE },
		{ "corpus", required_argument, NULL, OPT_CORPUS },
		{ "wd", required_argument, NULL, OPT_WD },
		{ "time", required_argument, NULL, OPT_TIME },
		{ "quick", no_argument, NULL, OPT_QUICK },
		{ "no-trace", no_argument, NULL, OPT_NOTRACE },
		{ "run", required_argument, NULL, OPT_RUN },
		{ "csv", required_argument, NULL, OPT_CSV },
		{ "json", required_argument, NULL, OPT_JSON },
		{ "plot", required_argument, NULL, OPT_PLOT },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case OPT_SUITE: o->suite = optarg; break;
		case OPT_DEVICE: o->dev = optarg; break;
		case OPT_CORPUS: o->corpus = optarg; break;
		case OPT_WD: snprintf(wd_exe, sizeof(wd_exe), "%s", optarg); break;
		case OPT_TIME:
			if (wdt_opt_secs("", "time", optarg, 60, &opt_time))
				return 1;
			break;
		case OPT_QUICK: o->quick = true; break;
		case OPT_NOTRACE: opt_trace = false; break;
		case OPT_RUN: opt_run = optarg; break;
		case OPT_CSV: o->csv = optarg; break;
		case OPT_JSON: o->json = optarg; break;
		case OPT_PLOT: o->png = optarg; break;
		case 'h': usage(stdout); return 2;
		default: usage(stderr); return 1;
		}
	}
	return wdt_opt_no_operands("", argc, argv);
}

/* this program, for the tracer; the wd beside it unless --wd said */
static int find_exes(void)
{
	ssize_t n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
	char *slash;

	if (n <= 0) {
		wdt_err("/proc/self/exe: %s", strerror(errno));
		return 1;
	}
	self_exe[n] = 0;
	if (!*wd_exe) {
		snprintf(wd_exe, sizeof(wd_exe), "%s", self_exe);
		slash = strrchr(wd_exe, '/');
		snprintf(slash ? slash + 1 : wd_exe,
			 sizeof(wd_exe) - (size_t)(slash ? slash + 1 - wd_exe : 0), "wd");
	}
	return 0;
}

/* a kernel device offers nop (libwd's discovery found one not in-process) */
static bool have_kernel_dev(void)
{
	struct wd_queue q = { .capa.alg = "nop" };
	bool have = !wd_request_queue(&q);

	if (have)
		have = !(q.dev_flags & WD_DEV_LOCAL);
	wd_release_queue(&q);
	return have;
}

static void run_suites(const struct opts *o)
{
	bool have_kernel = have_kernel_dev();
	const char *suite = o->suite;

	if (!suite)
		suite = have_kernel ? (wdt_have_local() ? "kernel,native,comp,scale" : "kernel,scale")
				    : "native,comp,scale";
	printf("wd-bench: %ld CPUs, best of %d runs of %.2f s per point, syscalls %s\n",
	       sysconf(_SC_NPROCESSORS_ONLN), opt_repeat, opt_time,
	       opt_trace ? "counted by strace -f -c from outside (N and 2N requests)" : "not counted");
	if (strstr(suite, "kernel")) {
		if (!have_kernel)
			printf("\n== kernel path: no uacce device offers nop here: skipped\n");
		else
			kernel_suite(o->quick);
	}
	/* the crypto API's rows need no uacce device (uacce_mode=0) */
	if (strstr(suite, "kernel") || strstr(suite, "cryptoapi"))
		cryptoapi_suite(have_kernel, o->quick);
	if (strstr(suite, "native") || strstr(suite, "roundtrip")) {
		if (!wdt_have_local())
			printf("\n== in-process device: not in this build: skipped\n");
		else
			native_suite(o->dev, o->quick, !strstr(suite, "native"));
	}
	if (strstr(suite, "comp")) {
		if (!wdt_have_local())
			printf("\n== compression: natively only (in-process device): skipped\n");
		else
			comp_suite(o->corpus, o->dev, "local:sva,local:pasid", o->quick);
	}
	/* threads on the in-process device; processes on a kernel device */
	if (strstr(suite, "scale")) {
		if (!have_kernel && !wdt_have_local())
			printf("\n== scale: no device: skipped\n");
		else
			scale_suite(have_kernel, o->quick);
	}
	targets_missing(wdt_have_local(), have_kernel, suite);
}

static int bench(int argc, char **argv)
{
	struct opts o = { .dev = "local", .corpus = "build/bench/corpus" };
	int status = parse(argc, argv, &o);

	if (status)
		return status == 2 ? 0 : 1;
	if (o.quick && opt_time == 0.3)
		opt_time = 0.1;
	if (o.quick)
		opt_repeat = 1;
	if (find_exes())
		return 1;
	load_run_start();
	run_suites(&o);
	load_run_end();
	print_ratios();
	print_targets();
	if (o.csv)
		status |= write_file(o.csv, write_csv);
	if (o.json)
		status |= write_file(o.json, write_json);
	if (o.png) {
		int ret = plot(o.png);

		if (ret) {
			wdt_err("%s: plot failed (gnuplot: %s)", o.png, strerror(-ret));
			status = 1;
		}
	}
	return status;
}

int main(int argc, char **argv)
{
	wdt_prog = "wd-bench";
	wdt_std_fds();
	if (argc > 1 && !strcmp(argv[1], "__worker"))
		return bench_worker(argc - 1, argv + 1);
	return wdt_stdout_close(bench(argc, argv));
}
