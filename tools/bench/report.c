// SPDX-License-Identifier: MIT
/*
 * wd-bench: what a run measured, as the ratios and targets tables on
 * stdout, CSV, JSON (for scripts: tools/bench/bench.sh merges the native
 * and the VM run's into build/bench/results.json) and a plot.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

struct result results[MAX_RESULTS];
int nresults;
struct target targets[MAX_TARGETS];
int ntargets;
struct ratio ratios[MAX_RATIOS];
int nratios;
struct comp_row comp_rows[MAX_COMP];
int ncomp;
uint64_t corpus_size;

/* ---- load: is anyone else running? ---- */

static double load_sum, run_load_sum;
static int load_n, run_load_n;
static double loadavg_start = NAN, loadavg_end = NAN;

/* the 1-minute load average, NAN when unknown */
static double loadavg1(void)
{
	FILE *f = fopen("/proc/loadavg", "r");
	double v = NAN;

	if (f) {
		if (fscanf(f, "%lf", &v) != 1)
			v = NAN;
		fclose(f);
	}
	return v;
}

/* this process's threads in state R (the caller, at least) */
static int own_running(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d))) {
		char path[64], buf[256], *p;
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%.20s/stat", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) && p[1] == ' ' &&
		    p[2] == 'R')
			n++;
		fclose(f);
	}
	if (d)
		closedir(d);
	return n;
}

/* runnable tasks on the machine (/proc/stat procs_running), -1: unknown */
static int procs_running(void)
{
	FILE *f = fopen("/proc/stat", "r");
	char line[256];
	int n = -1;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "procs_running %d", &n) == 1)
			break;
	if (f)
		fclose(f);
	return n;
}

/*
 * Other processes' runnable tasks now, sampled between rows, when this
 * process runs only the calling thread (an engine may still spin: it is
 * this process's and not counted). The 1-minute load average would count
 * the bench's own spinning threads (about 2 on this machine's rows).
 */
void load_sample(void)
{
	for (int i = 0; i < 4; i++) {
		int all = procs_running(), own = own_running();

		if (all < 0)
			return;
		load_sum += all > own ? all - own : 0;
		run_load_sum += all > own ? all - own : 0;
		load_n++;
		run_load_n++;
		if (i < 3)
			usleep(500);
	}
}

void load_run_start(void)
{
	loadavg_start = loadavg1();
	load_sample();
}

void load_run_end(void)
{
	loadavg_end = loadavg1();
	printf("\n== load: 1-minute load average %.2f at the start, %.2f at the end (the bench's own"
	       " threads included); other processes' runnable tasks between rows: %.2f on average"
	       " (a target above %.1f is marked loaded)\n", loadavg_start, loadavg_end,
	       run_load_n ? run_load_sum / run_load_n : NAN, LOADED_ABOVE);
}

/* a new target: its load is the mean of the samples since the previous one */
struct target *target_new(void)
{
	struct target *t;

	if (ntargets == MAX_TARGETS) {
		wdt_err("too many targets");
		exit(1);
	}
	t = &targets[ntargets++];
	memset(t, 0, sizeof(*t));
	t->others = load_n ? load_sum / load_n : run_load_n ? run_load_sum / run_load_n : NAN;
	t->loaded = isfinite(t->others) && t->others > LOADED_ABOVE;
	load_sum = 0;
	load_n = 0;
	return t;
}

bool target_met(const struct target *t)
{
	if (!t->known || !isfinite(t->value))
		return false;
	switch (t->better) {
	case BETTER_HIGHER:
		return t->value >= t->goal;
	case BETTER_LOWER:
		return t->value <= t->goal;
	default:
		return t->value >= t->goal && t->value <= t->goal_hi;
	}
}

void print_targets(void)
{
	printf("\n== targets (ratios measured in this run)\n");
	for (int i = 0; i < ntargets; i++) {
		struct target *t = &targets[i];
		char v[16] = "n/a", goal[32];

		if (t->known)
			snprintf(v, sizeof(v), "%.3f", t->value);
		if (t->better == BETTER_BAND)
			snprintf(goal, sizeof(goal), "in %.2f..%.2f", t->goal, t->goal_hi);
		else
			snprintf(goal, sizeof(goal), "%s %.2f",
				 t->better == BETTER_HIGHER ? ">=" : "<=", t->goal);
		printf("  %-66s %8s  (target %s)  %-7s%s %s\n", t->name, v, goal,
		       !t->known ? "UNKNOWN" : target_met(t) ? "met" : "NOT MET",
		       t->loaded ? " loaded" : "", t->detail);
	}
}

/*
 * @num's op/s over @den's, both rows of this run; unknown when either was
 * not measured. @meaning says what the ratio isolates.
 */
void add_ratio(const char *name, const struct result *num,
	       const struct result *den, const char *meaning)
{
	struct ratio *q;

	if (nratios == MAX_RATIOS) {
		wdt_err("too many ratios");
		exit(1);
	}
	q = &ratios[nratios++];
	snprintf(q->name, sizeof(q->name), "%s", name);
	q->known = num && den && num->ok && den->ok && den->ops_s > 0;
	q->value = q->known ? num->ops_s / den->ops_s : NAN;
	if (q->known)
		snprintf(q->detail, sizeof(q->detail), "%.0f op/s / %.0f op/s: %s",
			 num->ops_s, den->ops_s, meaning);
	else
		snprintf(q->detail, sizeof(q->detail), "not measured: %s",
			 num && !num->ok ? num->note : den && !den->ok ? den->note : "no row");
}

void print_ratios(void)
{
	if (!nratios)
		return;
	printf("\n== ratios (measured in this run; figures, not targets)\n");
	for (int i = 0; i < nratios; i++) {
		struct ratio *q = &ratios[i];
		char v[16] = "n/a";

		if (q->known)
			snprintf(v, sizeof(v), "%.3f", q->value);
		printf("  %-62s %8s  %s\n", q->name, v, q->detail);
	}
}

/* @fn's output into @path: 0, or 1 (message given) */
int write_file(const char *path, void (*fn)(FILE *f))
{
	FILE *f = fopen(path, "w");

	if (!f) {
		wdt_err("%s: %s", path, strerror(errno));
		return 1;
	}
	fn(f);
	if (ferror(f) | fclose(f)) {
		wdt_err("%s: write error", path);
		return 1;
	}
	return 0;
}

void write_csv(FILE *f)
{
	fprintf(f, "group,path,kind,alg,bytes,batch,depth,ops_per_s,mib_per_s,p50_ns,p99_ns,syscalls_per_req,cpu_ns_per_req,note\n");
	for (int i = 0; i < nresults; i++) {
		struct result *r = &results[i];

		char sc[24] = "", cpu[24] = "";

		if (r->sc_ok)
			snprintf(sc, sizeof(sc), "%.4f", r->sc);
		if (r->cpu_ok)
			snprintf(cpu, sizeof(cpu), "%.0f", r->cpu_ns);
		fprintf(f, "%s,\"%s\",%s,%s,%u,%d,%d,%.1f,%.3f,%.0f,%.0f,%s,%s,\"%s\"\n",
			r->group, r->label, r->s.kind, r->s.alg, r->s.size, r->s.batch,
			r->s.depth, r->ops_s, r->mib_s, r->p50_ns, r->p99_ns, sc, cpu, r->note);
	}
}

/* a number, or null where there is none (not measured, not finite) */
static void json_num(FILE *f, const char *key, bool have, const char *fmt, double v)
{
	fprintf(f, ", \"%s\": ", key);
	if (have && isfinite(v))
		fprintf(f, fmt, v);
	else
		fputs("null", f);
}

/* "key": "string", after a "{" or a ", " */
static void json_kv(FILE *f, const char *sep, const char *key, const char *v)
{
	fprintf(f, "%s\"%s\": ", sep, key);
	wdt_json_str(f, v);
}

static void json_result(FILE *f, const struct result *r)
{
	json_kv(f, "{", "run", opt_run);
	json_kv(f, ", ", "group", r->group);
	json_kv(f, ", ", "path", r->label);
	fprintf(f, ", \"kind\": \"%s\", \"alg\": \"%s\", \"bytes\": %u, \"batch\": %d, "
		"\"depth\": %d, \"ok\": %s", r->s.kind, r->s.alg, r->s.size, r->s.batch,
		r->s.depth, r->ok ? "true" : "false");
	json_num(f, "ops_per_s", r->ok, "%.1f", r->ops_s);
	json_num(f, "mib_per_s", r->ok, "%.3f", r->mib_s);
	json_num(f, "p50_ns", r->ok, "%.0f", r->p50_ns);
	json_num(f, "p99_ns", r->ok, "%.0f", r->p99_ns);
	json_num(f, "syscalls_per_req", r->sc_ok, "%.4f", r->sc);
	json_num(f, "cpu_ns_per_req", r->cpu_ok, "%.0f", r->cpu_ns);
	json_num(f, "queues", r->queues > 0, "%.0f", r->queues);
	json_num(f, "ns_per_req", r->queues > 0 && r->ok, "%.1f", r->cost_ns);
	json_kv(f, ", ", "note", r->note);
	fputc('}', f);
}

static void json_comp(FILE *f, const struct comp_row *c)
{
	json_kv(f, "{", "run", opt_run);
	json_kv(f, ", ", "name", c->name);
	fprintf(f, ", \"ok\": %s", c->ok ? "true" : "false");
	json_num(f, "mib_per_s", c->ok, "%.2f", c->mib_s);
	json_num(f, "seconds", c->ok, "%.4f", c->secs);
	fprintf(f, ", \"out_bytes\": %llu, \"in_bytes\": %llu",
		(unsigned long long)c->out, (unsigned long long)c->in);
	json_kv(f, ", ", "note", c->note);
	fputc('}', f);
}

/* A ratio: "ratio" the measured value (null when a row was not measured) */
static void json_ratio(FILE *f, const struct ratio *q)
{
	json_kv(f, "{", "name", q->name);
	json_num(f, "ratio", q->known, "%.4f", q->value);
	json_kv(f, ", ", "run", opt_run);
	json_kv(f, ", ", "detail", q->detail);
	fputc('}', f);
}

/*
 * A target: "ratio" the measured value (null when a side was not
 * measured), "goal" the value it is held to ([low, high] for a band),
 * "better" which side of it meets it ("higher", "lower"; "band": inside,
 * bounds included), "met" a boolean (false when not measured), "loaded"
 * (other processes' runnable tasks above LOADED_ABOVE while its rows ran,
 * "others_running" that mean).
 */
static void json_target(FILE *f, const struct target *t)
{
	static const char *const better[] = { "higher", "lower", "band" };

	json_kv(f, "{", "name", t->name);
	json_num(f, "ratio", t->known, "%.4f", t->value);
	if (t->better == BETTER_BAND)
		fprintf(f, ", \"goal\": [%.2f, %.2f]", t->goal, t->goal_hi);
	else
		fprintf(f, ", \"goal\": %.2f", t->goal);
	fprintf(f, ", \"better\": \"%s\", \"met\": %s, \"loaded\": %s", better[t->better],
		target_met(t) ? "true" : "false", t->loaded ? "true" : "false");
	json_num(f, "others_running", isfinite(t->others), "%.2f", t->others);
	json_kv(f, ", ", "run", opt_run);
	json_kv(f, ", ", "detail", t->detail);
	fputc('}', f);
}

void write_json(FILE *f)
{
	json_kv(f, "{\n  ", "run", opt_run);
	fprintf(f, ",\n  \"cpus\": %ld, \"seconds_per_point\": %.3f, \"runs_per_point\": %d, "
		"\"syscalls_counted\": %s", sysconf(_SC_NPROCESSORS_ONLN),
		opt_time, opt_repeat, opt_trace ? "true" : "false");
	json_num(f, "load_avg_start", true, "%.2f", loadavg_start);
	json_num(f, "load_avg_end", true, "%.2f", loadavg_end);
	json_num(f, "others_running", run_load_n > 0, "%.2f",
		 run_load_n ? run_load_sum / run_load_n : NAN);
	fprintf(f, ",\n  \"results\": [");
	for (int i = 0; i < nresults; i++) {
		fprintf(f, "%s\n    ", i ? "," : "");
		json_result(f, &results[i]);
	}
	fprintf(f, "\n  ],\n  \"compression\": [");
	for (int i = 0; i < ncomp; i++) {
		fprintf(f, "%s\n    ", i ? "," : "");
		json_comp(f, &comp_rows[i]);
	}
	fprintf(f, "\n  ],\n  \"ratios\": [");
	for (int i = 0; i < nratios; i++) {
		fprintf(f, "%s\n    ", i ? "," : "");
		json_ratio(f, &ratios[i]);
	}
	fprintf(f, "\n  ],\n  \"targets\": [");
	for (int i = 0; i < ntargets; i++) {
		fprintf(f, "%s\n    ", i ? "," : "");
		json_target(f, &targets[i]);
	}
	fprintf(f, "\n  ]\n}\n");
}

/* op/s against size per path, log-log, with gnuplot */
int plot(const char *png)
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
		   "set title 'wd-bench: operations per second by size'\nplot ", png);
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
