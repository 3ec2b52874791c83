// SPDX-License-Identifier: MIT
/*
 * wd list: every uacce accelerator (/sys/class/uacce/uaN) with all its
 * attributes, and the in-process device when the tool has it (its engine
 * count is what WD_LOCAL_ENGINES made it: libwd's documented rule).
 *
 * WD_UACCE_SYSFS (default /sys/class/uacce) names the directory to read,
 * for tests. Like libwd, a setuid or setgid wd does not take it from its
 * caller (secure_getenv()).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "wdtool.h"

/* the uapi's attributes, in its order; any other readable file follows */
static const char *const known[] = {
	"id", "api", "flags", "available_instances", "algorithms",
	"qfrs_offset", "region_mmio_size", "region_dko_size",
	"region_dus_size", "numa_distance", "node_id", "isolate",
	"isolate_strategy",
};
#define NKNOWN (sizeof(known) / sizeof(known[0]))
static const char *const skip[] = { "uevent", "dev", "power", "subsystem",
				    "device" };

static const char *const algs[] = { "nop", "copy", "crc32c", "sha256",
				    "deflate", "zlib", "gzip" };
#define NALGS (sizeof(algs) / sizeof(algs[0]))

struct attr {
	char name[64];
	char val[1024];		/* newlines turned into spaces, trimmed */
};

struct dev {
	int id;
	char name[64];
	int nattr;
	struct attr attr[48];
};

static int read_attr(const char *dir, const char *name, char *buf, size_t len)
{
	char path[4096];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	n = fread(buf, 1, len - 1, f);
	if (ferror(f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	buf[n] = 0;
	for (size_t i = 0; i < n; i++)
		if (buf[i] == '\n')
			buf[i] = ' ';
	while (n && buf[n - 1] == ' ')
		buf[--n] = 0;
	return 0;
}

static const char *get(const struct dev *d, const char *name)
{
	for (int i = 0; i < d->nattr; i++)
		if (!strcmp(d->attr[i].name, name))
			return d->attr[i].val;
	return NULL;
}

static void add_attr(struct dev *d, const char *dir, const char *name)
{
	struct attr *a;

	if (d->nattr >= (int)(sizeof(d->attr) / sizeof(d->attr[0])) || get(d, name))
		return;
	a = &d->attr[d->nattr];
	snprintf(a->name, sizeof(a->name), "%s", name);
	if (read_attr(dir, name, a->val, sizeof(a->val)))
		return;
	d->nattr++;
}

static int load_dev(const char *root, const char *name, struct dev *d)
{
	char dir[4096];
	DIR *dp;
	struct dirent *e;

	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name);
	snprintf(dir, sizeof(dir), "%s/%s", root, name);
	for (size_t i = 0; i < NKNOWN; i++)
		add_attr(d, dir, known[i]);
	dp = opendir(dir);
	if (!dp)
		return -errno;
	while ((e = readdir(dp))) {
		char p[8192];
		struct stat st;
		bool s = e->d_name[0] == '.';

		for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
			s |= !strcmp(e->d_name, skip[i]);
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (s || stat(p, &st) || !S_ISREG(st.st_mode) ||
		    !(st.st_mode & 0444))
			continue;
		add_attr(d, dir, e->d_name);
	}
	closedir(dp);
	d->id = get(d, "id") ? atoi(get(d, "id")) : atoi(name + strcspn(name, "0123456789"));
	return 0;
}

static int cmp_dev(const void *a, const void *b)
{
	const struct dev *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

static const char *flags_mode(const char *flags)
{
	unsigned long f = flags ? strtoul(flags, NULL, 0) : 0;

	if (f & 1)
		return "noiommu";
	if ((f & 6) == 6)
		return "sva";
	if (f & 2)
		return "pasid";
	return "unknown";
}

/* an integer as JSON writes one (sysfs may hold +7 or 007, which it does not) */
static bool json_int(const char *v)
{
	const char *p = v + (*v == '-');

	if (*p == '0')
		return !p[1];
	if (!*p)
		return false;
	for (; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	return true;
}

/* an integer as a number, anything else as a string */
static void json_scalar(const char *v)
{
	if (json_int(v))
		fputs(v, stdout);
	else
		wdt_json_str(stdout, v);
}

/* a value: a list for the two list attributes, else a scalar */
static void json_val(const char *name, const char *v)
{
	if (!strcmp(name, "algorithms") || !strcmp(name, "qfrs_offset")) {
		char buf[1024], *save, *t;
		bool first = true;
		bool num = !strcmp(name, "qfrs_offset");

		snprintf(buf, sizeof(buf), "%s", v);
		putchar('[');
		for (t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
			printf("%s", first ? "" : ", ");
			if (num)
				json_scalar(t);
			else
				wdt_json_str(stdout, t);
			first = false;
		}
		putchar(']');
		return;
	}
	json_scalar(v);
}

struct local_info {
	bool present;
	int err;		/* why not, when not present */
	int engines;		/* engine threads (WD_LOCAL_ENGINES) */
	char algs[256];
	char modes[64];
	uint32_t depth;
	size_t ss_max[3];
};

static void probe_local(struct local_info *li)
{
	static const char *const modes[] = { "sva", "pasid", "noiommu" };
	int ret;

	memset(li, 0, sizeof(*li));
	if (!wdt_have_local())
		return;
	for (size_t i = 0; i < NALGS; i++) {
		struct wd_queue q = { .capa.alg = algs[i] };

		snprintf(q.dev_path, sizeof(q.dev_path), "%s", WD_DEV_LOCAL_PATH);
		ret = wd_request_queue(&q);
		if (ret) {
			if (!li->err)
				li->err = ret;
			continue;
		}
		li->present = true;
		li->depth = q.depth;
		snprintf(li->algs + strlen(li->algs), sizeof(li->algs) - strlen(li->algs),
			 "%s%s", *li->algs ? " " : "", algs[i]);
		wd_release_queue(&q);
	}
	for (int m = 0; m < 3 && li->present; m++) {
		struct wd_queue q = { .capa.alg = "nop" };

		snprintf(q.dev_path, sizeof(q.dev_path), "local:%s", modes[m]);
		if (wd_request_queue(&q))
			continue;
		li->ss_max[m] = q.ss_max;
		snprintf(li->modes + strlen(li->modes), sizeof(li->modes) - strlen(li->modes),
			 "%s%s", *li->modes ? " " : "", modes[m]);
		wd_release_queue(&q);
	}
	if (li->present) {
		/* libwd made the device with what the environment says */
		li->engines = wd_local_engines();
		li->err = 0;
	}
}

static void list_usage(FILE *f)
{
	fputs("usage: wd list [--json] [--kernel]\n"
	      "  --json     machine-readable output\n"
	      "  --kernel   only the kernel's accelerators (/dev/uaN), not the in-process device\n"
	      "Exit status 1 when no accelerator is found.\n", f);
}

/* the devices under @root, sorted by name: their count, or -1 (message given) */
static int load_devs(const char *root, struct dev **devsp)
{
	struct dev *devs = NULL;
	struct dirent *e;
	DIR *dp = opendir(root);
	int n = 0;

	if (!dp)
		return 0;
	while ((e = readdir(dp))) {
		struct dev *nd;

		if (e->d_name[0] == '.')
			continue;
		nd = realloc(devs, sizeof(*devs) * (size_t)(n + 1));
		if (!nd) {
			wdt_err("list: %s", strerror(ENOMEM));
			free(devs);
			closedir(dp);
			return -1;
		}
		devs = nd;
		if (!load_dev(root, e->d_name, &devs[n]))
			n++;
	}
	closedir(dp);
	qsort(devs, (size_t)n, sizeof(*devs), cmp_dev);
	*devsp = devs;
	return n;
}

static void print_json(const struct dev *devs, int n, const struct local_info *li)
{
	printf("{\n  \"devices\": [");
	for (int i = 0; i < n; i++) {
		const struct dev *d = &devs[i];
		char path[sizeof(d->name) + 8];

		printf("%s\n    {\"name\": ", i ? "," : "");
		wdt_json_str(stdout, d->name);
		snprintf(path, sizeof(path), "/dev/%s", d->name);
		printf(", \"path\": ");
		wdt_json_str(stdout, path);
		printf(", \"mode\": \"%s\"", flags_mode(get(d, "flags")));
		for (int a = 0; a < d->nattr; a++) {
			printf(", ");
			wdt_json_str(stdout, d->attr[a].name);
			printf(": ");
			json_val(d->attr[a].name, d->attr[a].val);
		}
		printf("}");
	}
	printf("%s],\n  \"local\": ", n ? "\n  " : "");
	if (li->present) {
		printf("{\"path\": \"local\", \"in_process\": true, \"modes\": ");
		json_val("algorithms", li->modes);
		printf(", \"algorithms\": ");
		json_val("algorithms", li->algs);
		printf(", \"engines\": %d", li->engines);
		printf(", \"depth\": %u, \"ss_max\": {\"sva\": %zu, \"pasid\": %zu, \"noiommu\": %zu}}",
		       li->depth, li->ss_max[0], li->ss_max[1], li->ss_max[2]);
	} else {
		printf("null");
	}
	printf("\n}\n");
}

static void print_text(const struct dev *devs, int n, const struct local_info *li)
{
	for (int i = 0; i < n; i++) {
		const struct dev *d = &devs[i];
		const char *free_q = get(d, "available_instances");
		const char *node = get(d, "node_id");

		printf("%s  /dev/%s  %s  mode %s  free queues %s  node %s%s\n",
		       d->name, d->name, get(d, "api") ? get(d, "api") : "?",
		       flags_mode(get(d, "flags")), free_q ? free_q : "?",
		       node ? node : "?",
		       get(d, "isolate") && atoi(get(d, "isolate")) ? "  ISOLATED" : "");
		for (int a = 0; a < d->nattr; a++)
			printf("    %-20s %s\n", d->attr[a].name, d->attr[a].val);
	}
	if (!li->present)
		return;
	printf("local  (in-process device: the wd_soft engine in threads of this process)\n");
	printf("    %-20s %s\n", "modes", li->modes);
	printf("    %-20s %s\n", "algorithms", li->algs);
	printf("    %-20s %d (%s)\n", "engines", li->engines,
	       secure_getenv("WD_LOCAL_ENGINES") &&
	       *secure_getenv("WD_LOCAL_ENGINES") ?
	       "WD_LOCAL_ENGINES" : "the default; WD_LOCAL_ENGINES=N for more");
	printf("    %-20s %u\n", "depth", li->depth);
	printf("    %-20s %zu MiB (sva, pasid), %zu MiB (noiommu)\n", "ss_max",
	       li->ss_max[0] >> 20, li->ss_max[2] >> 20);
	printf("    %-20s %s\n", "select with", "--device local[:sva|pasid|noiommu] or WD_DEV_PATH=local");
}

int cmd_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "kernel", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *root = secure_getenv("WD_UACCE_SYSFS");
	bool json = false, kernel_only = false;
	struct dev *devs = NULL;
	struct local_info li;
	int n, opt;

	while ((opt = getopt_long(argc, argv, "jkh", opts, NULL)) != -1) {
		switch (opt) {
		case 'j': json = true; break;
		case 'k': kernel_only = true; break;
		case 'h': list_usage(stdout); return 0;
		default: list_usage(stderr); return 1;
		}
	}
	if (optind < argc) {
		list_usage(stderr);
		return 1;
	}
	if (!root || !*root)
		root = "/sys/class/uacce";
	n = load_devs(root, &devs);
	if (n < 0)
		return 1;
	if (!kernel_only)
		probe_local(&li);
	else
		memset(&li, 0, sizeof(li));
	if (json)
		print_json(devs, n, &li);
	else
		print_text(devs, n, &li);
	free(devs);
	/* "no device" is said below; anything else is worth saying */
	if (li.err && li.err != -ENODEV)
		wdt_err("in-process device: %s", wdt_qerr(li.err));
	if (!n && !li.present) {
		wdt_err("no accelerators found: %s has no device (load the modules: modprobe wd_soft)%s",
			root, kernel_only || !wdt_have_local() ? "" :
			li.err && li.err != -ENODEV ? ", and the in-process device failed (above)" :
			", and no in-process device");
		return 1;
	}
	if (!n && !json)
		wdt_err("no kernel accelerator in %s; only the in-process device", root);
	return 0;
}
