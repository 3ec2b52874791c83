// SPDX-License-Identifier: MIT
/*
 * wd bench: how fast one algorithm runs on the device a user chose, in the
 * same terms as the other commands (--device, WD_DEV_PATH, the fallback to
 * the in-process device). Requests per second, MiB/s and latency; nothing
 * else. The project's benchmark, with its comparisons and targets, is the
 * harness in tools/bench (wd-bench, make bench; docs/performance.md).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wdtool.h"

struct bench_opts {
	struct wdt_load l;
	const char *dev;
	double secs;
	bool json;
};

struct bench_res {
	double ops_s, mib_s, p50_ns, p99_ns, secs;
};

static void bench_usage(FILE *f)
{
	fputs("usage: wd bench [OPTION]...\n"
	      "Requests of one algorithm on one device for a while: requests per second,\n"
	      "MiB/s and latency (p50, p99).\n"
	      "  --alg ALG         nop, copy, crc32c, sha256, gzip, zlib, deflate (default sha256)\n"
	      "  --size SIZE       bytes per request (default 4k; 64, 4k, 1M, ...)\n"
	      "  --batch N         requests per submission (default 16)\n"
	      "  --depth N         requests in flight (default 64; at most the queue's)\n"
	      "  --time SECS       how long to measure (default 1; at most 60)\n"
	      "  --device DEV      /dev/uaN or local[:mode] (default: as for zip)\n"
	      "  --json            the result as one JSON object\n"
	      "The project's benchmark with its comparisons is wd-bench (make bench).\n", f);
}

/* 0, 1: a usage error (message given), 2: --help */
static int bench_parse(int argc, char **argv, struct bench_opts *o)
{
	enum { OPT_ALG = 256, OPT_SIZE, OPT_BATCH, OPT_DEPTH, OPT_TIME, OPT_DEVICE, OPT_JSON };
	static const struct option opts[] = {
		{ "alg", required_argument, NULL, OPT_ALG },
		{ "size", required_argument, NULL, OPT_SIZE },
		{ "batch", required_argument, NULL, OPT_BATCH },
		{ "depth", required_argument, NULL, OPT_DEPTH },
		{ "time", required_argument, NULL, OPT_TIME },
		{ "device", required_argument, NULL, OPT_DEVICE },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	uint64_t size;
	int opt;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case OPT_ALG: o->l.alg = optarg; break;
		case OPT_SIZE:
			if (wdt_parse_size(optarg, &size) || size > (64u << 20)) {
				wdt_err("bench: --size: invalid value '%s' (at most 64M)", optarg);
				return 1;
			}
			o->l.size = (uint32_t)size;
			break;
		case OPT_BATCH:
			if (wdt_opt_int("bench: ", "batch", optarg, 1, 4096, &o->l.batch))
				return 1;
			break;
		case OPT_DEPTH:
			if (wdt_opt_int("bench: ", "depth", optarg, 1, 4096, &o->l.depth))
				return 1;
			break;
		case OPT_TIME:
			if (wdt_opt_secs("bench: ", "time", optarg, 60, &o->secs))
				return 1;
			break;
		case OPT_DEVICE: o->dev = optarg; break;
		case OPT_JSON: o->json = true; break;
		case 'h': bench_usage(stdout); return 2;
		default: bench_usage(stderr); return 1;
		}
	}
	return wdt_opt_no_operands("bench: ", argc, argv);
}

/* a warm-up, then requests for o->secs: 0 or -errno (message given) */
static int bench_measure(struct wd_queue *q, struct bench_opts *o, struct bench_res *res)
{
	struct wdt_lat lat = { .ns = malloc(WDT_LAT_MAX * sizeof(uint32_t)) };
	struct wdt_run r = { .n = UINT64_MAX / 4, .lat = &lat,
			     .warm_ns = (uint64_t)(o->secs * 1e8) };
	int ret;

	if (!lat.ns) {
		wdt_err("bench: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	r.deadline = wdt_now_ns() + (uint64_t)(o->secs * 1.1e9);
	ret = wdt_run_queue(q, &o->l, &r);
	if (ret) {
		wdt_err("bench: %s on %s: %s", o->l.alg, q->dev_path, r.err);
	} else if (!r.done || r.t_end <= r.t_start) {
		wdt_err("bench: %s on %s: no request completed in the time", o->l.alg,
			q->dev_path);
		ret = -ETIME;
	} else {
		res->secs = (double)(r.t_end - r.t_start) / 1e9;
		res->ops_s = (double)r.done / res->secs;
		res->mib_s = res->ops_s * o->l.size / (1 << 20);
		wdt_lat_pcts(&lat, &res->p50_ns, &res->p99_ns);
	}
	free(lat.ns);
	return ret;
}

static void bench_print(const struct wd_queue *q, const struct bench_opts *o,
			const struct bench_res *res)
{
	const char *mode = wdt_mode_name(q->dev_flags);

	if (!o->json) {
		printf("%s on %s (%s mode), %u bytes per request, batch %d, %d in flight, %.2f s\n"
		       "  %.0f requests/s  %.1f MiB/s  latency p50 %.2f us, p99 %.2f us\n",
		       o->l.alg, q->dev_path, mode, o->l.size, o->l.batch, o->l.depth,
		       res->secs, res->ops_s, res->mib_s, res->p50_ns / 1e3, res->p99_ns / 1e3);
		return;
	}
	printf("{\"alg\": ");
	wdt_json_str(stdout, o->l.alg);
	printf(", \"device\": ");
	wdt_json_str(stdout, q->dev_path);
	printf(", \"mode\": \"%s\", \"bytes\": %u, \"batch\": %d, \"depth\": %d, "
	       "\"seconds\": %.3f, \"ops_per_s\": %.1f, \"mib_per_s\": %.3f, "
	       "\"p50_ns\": %.0f, \"p99_ns\": %.0f}\n", mode, o->l.size, o->l.batch,
	       o->l.depth, res->secs, res->ops_s, res->mib_s, res->p50_ns, res->p99_ns);
}

int cmd_bench(int argc, char **argv)
{
	struct bench_opts o = {
		.l = { .alg = "sha256", .size = 4096, .batch = 16, .depth = 64 },
		.secs = 1,
	};
	struct bench_res res = { 0 };
	struct wdt_queues qs;
	int ret = bench_parse(argc, argv, &o);

	if (ret)
		return ret == 2 ? 0 : 1;
	ret = wdt_queues_open(&qs, o.l.alg, o.dev, 1);
	if (ret) {
		wdt_err("bench: %s on %s: %s", o.l.alg, o.dev && *o.dev ? o.dev : "any device",
			wdt_qerr(ret));
		return 1;
	}
	ret = bench_measure(&qs.q[0], &o, &res);
	if (!ret)
		bench_print(&qs.q[0], &o, &res);
	wdt_queues_close(&qs);
	return ret ? 1 : 0;
}
