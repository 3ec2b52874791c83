// SPDX-License-Identifier: MIT
/*
 * wd-bench: what a run measured, as the ratios and targets tables on
 * stdout, CSV, JSON (for scripts: tools/bench/bench.sh merges the native
 * and the VM run's into build/bench/results.json) and a plot.
 */
#define _GNU_SOURCE
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

bool target_met(const struct target *t)
{
	return t->known && (t->higher_better ? t->value >= t->goal : t->value <= t->goal);
}

void print_targets(void)
{
	printf("\n== targets (ratios measured in this run)\n");
	for (int i = 0; i < ntargets; i++) {
		struct target *t = &targets[i];
		char v[16] = "n/a";

		if (t->known)
			snprintf(v, sizeof(v), "%.3f", t->value);
		printf("  %-62s %8s  (target %s %.2f)  %-9s %s\n", t->name, v,
		       t->higher_better ? ">=" : "<=", t->goal,
		       !t->known ? "UNKNOWN" : target_met(t) ? "met" : "NOT MET", t->detail);
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
 * measured), "goal" the value it is held to, "better" which side of it
 * meets it, "met" a boolean (false when not measured).
 */
static void json_target(FILE *f, const struct target *t)
{
	json_kv(f, "{", "name", t->name);
	json_num(f, "ratio", t->known, "%.4f", t->value);
	fprintf(f, ", \"goal\": %.2f, \"better\": \"%s\", \"met\": %s",
		t->goal, t->higher_better ? "higher" : "lower",
		target_met(t) && isfinite(t->value) ? "true" : "false");
	json_kv(f, ", ", "run", opt_run);
	json_kv(f, ", ", "detail", t->detail);
	fputc('}', f);
}

void write_json(FILE *f)
{
	json_kv(f, "{\n  ", "run", opt_run);
	fprintf(f, ",\n  \"cpus\": %ld, \"seconds_per_point\": %.3f, \"runs_per_point\": %d, "
		"\"syscalls_counted\": %s,\n  \"results\": [", sysconf(_SC_NPROCESSORS_ONLN),
		opt_time, opt_repeat, opt_trace ? "true" : "false");
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
