// SPDX-License-Identifier: MIT
/*
 * transport_local.c: queues of the in-process device, the wd_soft engine
 * hosted in threads of this process (lib/soft/wd_soft_local.h). The same
 * regions and ring protocol as /dev/uaN, reached by function calls instead
 * of mmap/ioctl/poll; the wd_soft_v3 user driver runs unchanged on top.
 *
 * The device is chosen only by name, in dev_path or WD_DEV_PATH:
 * "local[:mode]", one default device per memory mode, created on first use
 * and kept for the life of the process, or "local/ID", an instance that
 * new_device made (wd_ctl.h: the tests' devices), numbered as the kernel's
 * wd_soft instances. A fork child cannot use its parent's devices (their
 * engine threads did not come along): it gets default devices of its own,
 * and its parent's instances refuse it every operation (-EPERM), as
 * lib/soft's devices do. Device operations and attributes use the
 * kernel's names (new_device, del_device, sysfs, debugfs; docs/libwd.md).
 * WD_LOCAL_ENGINES sizes a device when it is created (wd_local_engines());
 * WD_LOCAL_SVA_COPY=signal makes the SVA device's engines copy with the
 * signal guard instead of the kernel (wd_local_sva_copy()).
 *
 * Built without the in-process device (WD_HAVE_LOCAL undefined, as in the
 * static programs for the VM), "local" fails with -ENODEV: it is never
 * replaced by something else.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wd_priv.h"

/*
 * The engine threads of an in-process device about to be created: the
 * WD_LOCAL_ENGINES environment variable, decimal digits only, 1 to
 * WD_LOCAL_ENGINES_MAX; unset or empty: 1 (WDL_DEF_ENGINES). Anything else
 * (0, a sign, too big, not a number, trailing junk, spaces) is -EINVAL,
 * which the caller returns as it is: a mistake in the environment is
 * reported, not replaced by a default. A program running with more
 * privilege than its caller (setuid, setgid, file capabilities: AT_SECURE)
 * does not see the variable at all (secure_getenv()): whoever runs it must
 * not size, or break, its device.
 */
WD_EXPORT int wd_local_engines(void)
{
	const char *s = secure_getenv("WD_LOCAL_ENGINES");
	unsigned int n = 0;

	if (!s || !*s)
		return 1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		n = n * 10 + (unsigned int)(*s - '0');
		if (n > WD_LOCAL_ENGINES_MAX)
			return -EINVAL;
	}
	return n ? (int)n : -EINVAL;
}

#ifdef WD_HAVE_LOCAL

#include "soft/wd_soft_local.h"

/*
 * The process's in-process devices: one default device per mode, and the
 * instances new_device made ("local/ID"). wd_local_lock is held while a
 * device is created or destroyed (so there is only one), around every
 * device operation (so that del_device cannot free a device in use) and
 * around fork() (pthread_atfork), so that a fork child never inherits it
 * held by a thread that did not come along.
 */
#define WD_LOCAL_MAX_ID	1023	/* wd_soft's */
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

struct wd_linst {
	struct wdl_dev *dev;
	unsigned long fork_gen;	/* wd_fork_gen when created */
	int id;			/* -1: a default device */
	int node;		/* node_id */
	bool hold;		/* debugfs hold, as last written */
};

static pthread_mutex_t wd_local_lock = PTHREAD_MUTEX_INITIALIZER;
static struct wd_linst wd_local[3];
static struct wd_linst wd_linst[WD_LOCAL_MAX_ID + 1];

static void wd_local_prepare(void)
{
	pthread_mutex_lock(&wd_local_lock);
}

static void wd_local_release(void)
{
	pthread_mutex_unlock(&wd_local_lock);
}

/*
 * Take wd_local_lock, libwd's fork handlers installed first (wd_fork_init()):
 * every device is made under the lock, so none exists before the child
 * handler that bumps wd_fork_gen, and a child tells its parent's devices
 * from its own by the generation alone, whether or not a queue was ever
 * requested. (Comparing getpid() instead would cost a system call per
 * operation and mistake a grandchild that got the creator's recycled pid
 * for the creator.) The same handlers make fork() wait for this lock.
 * 0 (locked) or -errno.
 */
static int wd_local_lock_init(void)
{
	int ret = wd_fork_init();

	if (!ret)
		pthread_mutex_lock(&wd_local_lock);
	return ret;
}

/* made by this process, not inherited from a parent (under the lock) */
static bool wd_local_ours(const struct wd_linst *li)
{
	return li->fork_gen == wd_fork_gen();
}

int wd_local_init(void)
{
	/*
	 * lib/soft's handlers first: prepare handlers run in the reverse
	 * order, so fork() takes wd_local_lock before wdl_lock, as
	 * wd_local_default() and new_device do (around wdl_dev_create()).
	 */
	int ret = wdl_init();

	if (ret)
		return ret;
	return -pthread_atfork(wd_local_prepare, wd_local_release,
			       wd_local_release);
}

/*
 * How the SVA device about to be created reaches request data: the
 * WD_LOCAL_SVA_COPY environment variable, "kernel" (the default: no signal
 * handler) or "signal" (a process-wide SIGSEGV/SIGBUS handler, no system
 * call per request; docs/soft-local.md); unset or empty: "kernel".
 * Anything else is -EINVAL, as for WD_LOCAL_ENGINES; in a program with
 * more privilege than its caller it counts as unset (secure_getenv()).
 */
static int wd_local_sva_copy(enum wdl_sva_copy *how)
{
	const char *s = secure_getenv("WD_LOCAL_SVA_COPY");

	if (!s || !*s || !strcmp(s, "kernel"))
		*how = WDL_SVA_COPY_KERNEL;
	else if (!strcmp(s, "signal"))
		*how = WDL_SVA_COPY_SIGNAL;
	else
		return -EINVAL;
	return 0;
}

_Static_assert(WD_LOCAL_ENGINES_MAX == WDL_MAX_ENGINES && WDL_DEF_ENGINES == 1,
	       "wd.h's limit and default are the in-process device's");

/* one of the default devices ("local[:mode]"), under wd_local_lock */
static int wd_local_parse_id(const char *s);

static int wd_local_default(enum wdl_mode m, struct wd_linst **lip)
{
	unsigned long gen = wd_fork_gen();
	struct wd_linst *li = &wd_local[m];
	int ret = 0;

	if (!li->dev || !wd_local_ours(li)) {
		/* a parent's device is left alone: its threads are not here */
		struct wdl_config cfg = { .mode = m };
		int engines = wd_local_engines();

		*li = (struct wd_linst){ .fork_gen = gen, .node = -1, .id = -1 };
		if (engines < 0)
			/* nothing created; the next request reads it again */
			return engines;
		cfg.nr_engines = (unsigned int)engines;
		/* WD_LOCAL_SVA_COPY: as above, -EINVAL creates nothing */
		if (m == WDL_MODE_SVA)
			ret = wd_local_sva_copy(&cfg.sva_copy);
		if (!ret) {
			ret = wdl_dev_create(&cfg, &li->dev);
			/* our own configuration refused: no device */
			if (ret == -EINVAL)
				ret = -ENODEV;
		}
		if (ret)
			return ret;
	}
	*lip = li;
	return 0;
}

/*
 * Instance @id, under wd_local_lock: 0, -EINVAL (no such ID), -ENODEV.
 * A parent's, in a fork child, is found: it exists, but is not ours.
 */
static int wd_local_inst(int id, struct wd_linst **lip)
{
	if (id < 0 || id > WD_LOCAL_MAX_ID)
		return -EINVAL;
	if (!wd_linst[id].dev)
		return -ENODEV;
	*lip = &wd_linst[id];
	return 0;
}

/*
 * The device @path names, under wd_local_lock: "local", "local:MODE" (a
 * default device, created on first use) or "local/ID" (an instance made
 * by new_device). 0, -ENODEV (no such instance), -EPERM (a parent's, in
 * a fork child), -EINVAL (not a local path).
 */
static int wd_local_find(const char *path, struct wd_linst **lip)
{
	size_t n = strlen(WD_DEV_LOCAL_PATH);
	const char *m = path + n;
	int id, ret;

	if (strncmp(path, WD_DEV_LOCAL_PATH, n))
		return -EINVAL;
	if (*m == '/') {
		id = wd_local_parse_id(m + 1);
		ret = id < 0 ? -EINVAL : wd_local_inst(id, lip);
		/* lib/soft's rule for its devices, for every attribute too */
		return !ret && !wd_local_ours(*lip) ? -EPERM : ret;
	}
	if (!*m || !strcmp(m, ":sva"))
		return wd_local_default(WDL_MODE_SVA, lip);
	if (!strcmp(m, ":pasid"))
		return wd_local_default(WDL_MODE_PASID, lip);
	if (!strcmp(m, ":noiommu"))
		return wd_local_default(WDL_MODE_NOIOMMU, lip);
	return -EINVAL;
}

/*
 * The instance at @path, or with ID @id when @path is NULL: locked
 * (wd_local_put()), or NULL and *err, unlocked.
 */
static struct wd_linst *wd_local_lookup(const char *path, int id, int *err)
{
	struct wd_linst *li = NULL;

	*err = wd_local_lock_init();
	if (*err)
		return NULL;
	*err = path ? wd_local_find(path, &li) : wd_local_inst(id, &li);
	if (*err) {
		pthread_mutex_unlock(&wd_local_lock);
		return NULL;
	}
	return li;
}

static struct wd_linst *wd_local_get_id(int id, int *err)
{
	return wd_local_lookup(NULL, id, err);
}

static struct wd_linst *wd_local_get(const char *path, int *err)
{
	return wd_local_lookup(path, 0, err);
}

static void wd_local_put(void)
{
	pthread_mutex_unlock(&wd_local_lock);
}

/* ---- new_device, del_device: the kernel's syntax (docs/libwd.md) ---- */

/* "-?[0-9]+" in [min, max]: 0, or -EINVAL */
static int wd_local_int(const char *s, long min, long max, long *v)
{
	char *end;

	if (!isdigit((unsigned char)s[s[0] == '-']))
		return -EINVAL;
	errno = 0;
	*v = strtol(s, &end, 10);
	return errno || *end || *v < min || *v > max ? -EINVAL : 0;
}

static int wd_local_parse_id(const char *s)
{
	long id;

	return wd_local_int(s, 0, WD_LOCAL_MAX_ID, &id) ? -EINVAL : (int)id;
}

static const char *const wd_local_modes[] = {
	[WDL_MODE_SVA] = "sva",
	[WDL_MODE_PASID] = "pasid",
	[WDL_MODE_NOIOMMU] = "noiommu",
};

static const char *const wd_local_keys[] = {
	"mode", "node", "queues", "engines",
	/* the in-process device's own knobs, which the kernel rejects */
	"spin_ns", "ops", "sva_copy",
	/* the kernel's too */
	"max_ctx_bytes",
};

/* what kstrtouint()/kstrtoull() take: digits, one newline at most */
static int wd_local_uint(const char *s, unsigned long long max,
			 unsigned long long *v);

static int wd_local_option(char *tok, struct wdl_config *cfg, int *node,
			   unsigned int *seen)
{
	char *val = strchr(tok, '=');
	unsigned int key;
	long v;

	if (!val)
		return -EINVAL;
	*val++ = 0;
	for (key = 0; key < ARRAY_SIZE(wd_local_keys); key++)
		if (!strcmp(tok, wd_local_keys[key]))
			break;
	if (key == ARRAY_SIZE(wd_local_keys) || (*seen & (1u << key)))
		return -EINVAL;
	*seen |= 1u << key;
	switch (key) {
	case 0:
		for (v = 0; v < (long)ARRAY_SIZE(wd_local_modes); v++)
			if (!strcmp(val, wd_local_modes[v]))
				break;
		if (v == (long)ARRAY_SIZE(wd_local_modes))
			return -EINVAL;
		cfg->mode = (enum wdl_mode)v;
		return 0;
	case 1:
		/* one node, as in the VM: -1 (none) or 0 */
		if (wd_local_int(val, -1, 0, &v))
			return -EINVAL;
		*node = (int)v;
		return 0;
	case 2:
		if (wd_local_int(val, 1, WDL_MAX_QUEUES, &v))
			return -EINVAL;
		cfg->nr_queues = (unsigned int)v;
		return 0;
	case 3:
		if (wd_local_int(val, 1, WDL_MAX_ENGINES, &v))
			return -EINVAL;
		cfg->nr_engines = (unsigned int)v;
		return 0;
	case 4:
		/* what struct wdl_config holds: up to ~4.3 s */
		if (wd_local_int(val, 1, UINT_MAX, &v))
			return -EINVAL;
		cfg->spin_ns = (unsigned int)v;
		return 0;
	case 5: {
		char *end;
		unsigned long m;

		errno = 0;
		m = strtoul(val, &end, 0);
		if (errno || !*val || *end || !m || m > UINT32_MAX)
			return -EINVAL;
		cfg->op_mask = (uint32_t)m;
		return 0;
	}
	case 6:
		if (!strcmp(val, "kernel"))
			cfg->sva_copy = WDL_SVA_COPY_KERNEL;
		else if (!strcmp(val, "signal"))
			cfg->sva_copy = WDL_SVA_COPY_SIGNAL;
		else
			return -EINVAL;
		return 0;
	default: {
		/* bytes, 0 allowing no context (the kernel's kstrtoull) */
		unsigned long long b;

		if (wd_local_uint(val, UINT64_MAX, &b))
			return -EINVAL;
		cfg->max_ctx_bytes = b;
		cfg->max_ctx_bytes_set = true;
		return 0;
	}
	}
}

static int wd_l_new_device(const char *spec)
{
	struct wdl_config cfg = { .mode = WDL_MODE_SVA };
	char buf[256], *s = buf, *tok;
	unsigned int seen = 0;
	int id = -1, node = -1, ret = 0;

	if (strlen(spec) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, spec);
	while (!ret && (tok = strsep(&s, " \t\n"))) {
		if (!*tok)
			continue;
		if (id < 0) {
			id = wd_local_parse_id(tok);
			ret = id < 0 ? -EINVAL : 0;
		} else {
			ret = wd_local_option(tok, &cfg, &node, &seen);
		}
	}
	if (!ret && id < 0)
		ret = -EINVAL;
	if (ret)
		return ret;

	ret = wd_local_lock_init();
	if (ret)
		return ret;
	if (wd_linst[id].dev) {
		ret = -EEXIST;
	} else {
		ret = wdl_dev_create(&cfg, &wd_linst[id].dev);
		if (!ret)
			wd_linst[id] = (struct wd_linst){
				.dev = wd_linst[id].dev, .id = id, .node = node,
				.fork_gen = wd_fork_gen() };
	}
	pthread_mutex_unlock(&wd_local_lock);
	return ret;
}

static int wd_l_del_device(int id)
{
	int ret;
	struct wd_linst *li = wd_local_get_id(id, &ret);

	if (!li)
		return ret;
	if (!wd_local_ours(li)) {
		ret = -EPERM;	/* a parent's: its engines are not here */
	} else {
		/* open queues become dead, as after the kernel's removal */
		wdl_dev_destroy(li->dev);
		li->dev = NULL;
	}
	wd_local_put();
	return ret;
}

static int wd_l_dev_path(int id, char *buf, size_t len)
{
	int ret;

	if (!wd_local_get_id(id, &ret))
		return ret;
	wd_local_put();
	if ((size_t)snprintf(buf, len, WD_DEV_LOCAL_PATH "/%d", id) >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* ---- attributes, by the kernel's sysfs and debugfs names ---- */

static int wd_l_attr_read(struct wd_linst *li, const char *name, char *b,
			  size_t len)
{
	struct wdl_dev *d = li->dev;
	int n;

	if (!strcmp(name, "api"))
		return snprintf(b, len, "%s", wdl_dev_api(d));
	if (!strcmp(name, "flags"))
		return snprintf(b, len, "%u", wdl_dev_flags(d));
	if (!strcmp(name, "algorithms"))
		return snprintf(b, len, "%s", wdl_dev_algorithms(d));
	if (!strcmp(name, "available_instances")) {
		n = wdl_dev_available_instances(d);
		return n < 0 ? n : snprintf(b, len, "%d", n);
	}
	if (!strcmp(name, "isolate"))
		return snprintf(b, len, "%d", wdl_dev_isolated(d));
	if (!strcmp(name, "isolate_strategy"))
		return snprintf(b, len, "%u", wdl_dev_get_isolate_strategy(d));
	if (!strcmp(name, "id"))
		return snprintf(b, len, "%d", li->id);
	if (!strcmp(name, "node_id"))
		return snprintf(b, len, "%d", li->node);
	if (!strcmp(name, "numa_distance"))
		return snprintf(b, len, "%d", 10);
	if (!strcmp(name, "qfrs_offset")) {
		long pg = sysconf(_SC_PAGESIZE);

		/* uacce's: region type * page size, -1 when absent (DKO) */
		return snprintf(b, len, "0 -1 %ld %ld", 2 * pg, 3 * pg);
	}
	if (!strcmp(name, "region_mmio_size"))
		return snprintf(b, len, "%d", WD_SOFT_MMIO_SIZE);
	/* no DKO region in-process (the kernel's is a page of its own) */
	if (!strcmp(name, "region_dko_size"))
		return snprintf(b, len, "0");
	if (!strcmp(name, "region_dus_size"))
		return snprintf(b, len, "%d", WD_SOFT_DUS_SIZE);
	if (!strcmp(name, "region_ss_max_size"))
		return snprintf(b, len, "%zu", wdl_dev_ss_max_size(d));
	if (!strcmp(name, "fail_next"))
		return snprintf(b, len, "%d", wdl_dev_get_fail_next(d));
	if (!strcmp(name, "hold"))
		return snprintf(b, len, "%d", li->hold);
	if (!strcmp(name, "stall"))
		return snprintf(b, len, "%d", wdl_dev_get_stall(d));
	if (!strcmp(name, "engine_stats")) {
		uint64_t r, h;
		size_t off = 0;

		/* "requests helped" of each engine, as the kernel's debugfs */
		for (unsigned int i = 0; !wdl_dev_engine_stats(d, i, &r, &h);
		     i++)
			off += (size_t)snprintf(b + (off < len ? off : len),
					      off < len ? len - off : 0,
					      "%s%llu %llu", i ? " " : "",
					      (unsigned long long)r,
					      (unsigned long long)h);
		return (int)off;
	}
	if (!strcmp(name, "ctx_bytes"))
		return snprintf(b, len, "%llu",
				(unsigned long long)wdl_dev_ctx_bytes(d));
	/* in-process only */
	if (!strcmp(name, "errors"))
		return snprintf(b, len, "%u", wdl_dev_errors(d));
	if (!strcmp(name, "stats")) {
		struct wdl_stats st;

		wdl_dev_stats(d, &st);
		return snprintf(b, len, "rounds %llu looks %llu batches %llu "
				"requests %llu parks %llu kicks %llu sleeps %llu "
				"oneshots %llu",
				(unsigned long long)st.rounds,
				(unsigned long long)st.looks,
				(unsigned long long)st.batches,
				(unsigned long long)st.requests,
				(unsigned long long)st.parks,
				(unsigned long long)st.kicks,
				(unsigned long long)st.sleeps,
				(unsigned long long)st.oneshots);
	}
	if (!strcmp(name, "bytes_mapped") || !strcmp(name, "bytes_copied")) {
		struct wdl_stats st;

		wdl_dev_stats(d, &st);
		return snprintf(b, len, "%llu", (unsigned long long)
				(name[6] == 'm' ? st.mapped : st.copied));
	}
	if (!strcmp(name, "backends"))
		return snprintf(b, len, "%s", wdl_backends());
	return -ENOENT;
}

static int wd_l_attr_get(const char *dev, const char *name, char *buf,
			 size_t len)
{
	int ret;
	struct wd_linst *li = wd_local_get(dev, &ret);

	if (!li)
		return ret;
	ret = wd_l_attr_read(li, name, buf, len);
	wd_local_put();
	if (ret >= 0 && (size_t)ret >= len)
		ret = -EOVERFLOW;
	return ret;
}

/* what kstrtouint()/kstrtoull() take: digits, one newline at most */
static int wd_local_uint(const char *s, unsigned long long max,
			 unsigned long long *v)
{
	char *end;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, &end, 10);
	if (*end == '\n')
		end++;
	return errno || *end || *v > max ? -EINVAL : 0;
}

static int wd_l_attr_write(struct wd_linst *li, const char *name,
			   const char *val)
{
	unsigned long long v;
	int ret;

	if (!strcmp(name, "isolate_strategy")) {
		if (wd_local_uint(val, WDL_MAX_ISOLATE, &v))
			return -EINVAL;
		return wdl_dev_set_isolate_strategy(li->dev, (unsigned int)v);
	}
	if (!strcmp(name, "fail_next")) {
		if (wd_local_uint(val, INT_MAX, &v))
			return -EINVAL;
		wdl_dev_set_fail_next(li->dev, (int)v);
		return 0;
	}
	if (!strcmp(name, "stall")) {
		if (wd_local_uint(val, INT_MAX, &v))
			return -EINVAL;
		wdl_dev_set_stall(li->dev, (int)v);
		return 0;
	}
	if (!strcmp(name, "hold")) {
		if (wd_local_uint(val, 1, &v))
			return -EINVAL;
		ret = wdl_dev_set_hold(li->dev, v);
		if (!ret)
			li->hold = v;
		return ret;
	}
	/* read-only (EACCES, as the kernel's open() for writing) or none */
	char tmp[512];

	return wd_l_attr_read(li, name, tmp, sizeof(tmp)) == -ENOENT ?
	       -ENOENT : -EACCES;
}

static int wd_l_attr_set(const char *dev, const char *name, const char *val)
{
	int ret;
	struct wd_linst *li = wd_local_get(dev, &ret);

	if (!li)
		return ret;
	ret = wd_l_attr_write(li, name, val);
	wd_local_put();
	return ret;
}

/* a queue: the device's, and which of its regions were "mapped" */
struct wd_lq {
	struct wdl_queue *wq;
	atomic_uint mapped;	/* 1 << UACCE_QFRT_MMIO, _DUS */
};

static struct wdl_queue *lq(struct wd_q *q)
{
	return ((struct wd_lq *)q->tp_priv)->wq;
}

static int wd_l_open(struct wd_q *q, const struct wd_dev *dev)
{
	struct wd_lq *l = calloc(1, sizeof(*l));
	int ret;
	struct wd_linst *li;

	if (!l)
		return -ENOMEM;
	li = wd_local_get(dev->path, &ret);
	if (li) {
		ret = wdl_queue_open(li->dev, &l->wq);
		wd_local_put();
	}
	if (!li || ret) {
		free(l);
		return ret;
	}
	q->tp_priv = l;
	return 0;
}

static int wd_l_region(struct wd_q *q, int qfrt, size_t size, void **addr)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE), want;
	struct wd_lq *l = q->tp_priv;
	void *p;

	if (qfrt == UACCE_QFRT_MMIO) {
		p = wdl_queue_mmio(lq(q));
		want = WD_SOFT_MMIO_SIZE;
	} else if (qfrt == UACCE_QFRT_DUS) {
		p = wdl_queue_dus(lq(q));
		want = WD_SOFT_DUS_SIZE;
	} else {
		return -EINVAL;
	}
	if (!p)
		return -errno;	/* -ENODEV dead, -EPERM fork child */
	/* uacce's: each region maps once per queue (never unmapped here) */
	if (atomic_load(&l->mapped) & (1u << qfrt))
		return -EEXIST;
	/* uacce's: the whole region or nothing (in pages, as mmap) */
	if (!size || (size + pg - 1) / pg != (want + pg - 1) / pg)
		return -EINVAL;
	if (atomic_fetch_or(&l->mapped, 1u << qfrt) & (1u << qfrt))
		return -EEXIST;
	*addr = p;
	return 0;
}

static int wd_l_start(struct wd_q *q)
{
	return wdl_queue_start(lq(q));
}

static int wd_l_stop(struct wd_q *q)
{
	return wdl_queue_stop(lq(q));
}

static int wd_l_kick(struct wd_q *q)
{
	return wdl_queue_kick(lq(q));
}

/* the device's ioctl: checked and run by lib/soft (wdl_queue_cmd()) */
static int wd_l_dev_cmd(struct wd_q *q, unsigned long cmd, void *arg)
{
	return wdl_queue_cmd(lq(q), cmd, arg);
}

static int wd_l_wait(struct wd_q *q, int timeout_ms)
{
	return wdl_queue_wait(lq(q), timeout_ms);
}

static int wd_l_ss_dma(struct wd_q *q, uint64_t *dma)
{
	return wdl_queue_ss_dma(lq(q), dma);
}

static int wd_l_ss_map(struct wd_q *q, size_t size, void **addr, uint64_t *dma)
{
	int ret = wdl_queue_ss_alloc(lq(q), size, addr);

	*dma = 0;
	if (ret || q->mode != WD_DEV_NOIOMMU)
		return ret;
	/* the region stays the queue's until it is closed: nothing to undo */
	return wd_l_ss_dma(q, dma);
}

/* the region goes with the last queue that uses it (wdl_queue_close()) */
static void wd_l_ss_unmap(void *addr, size_t size)
{
	(void)addr;
	(void)size;
}

static int wd_l_share_ss(struct wd_q *owner, struct wd_q *target)
{
	return wdl_queue_share_ss(lq(owner), lq(target));
}

static void wd_l_close(struct wd_q *q)
{
	wdl_queue_close(lq(q));
	free(q->tp_priv);
	q->tp_priv = NULL;
}

/* fork child: the parent's queue has no engine here; leave the copy be */
static void wd_l_abandon(struct wd_q *q)
{
	free(q->tp_priv);	/* this process's copy of struct wd_lq */
	q->tp_priv = NULL;
}

const struct wd_transport wd_tp_local = {
	.name = "local",
	.open = wd_l_open,
	.region = wd_l_region,
	.start = wd_l_start,
	.stop = wd_l_stop,
	.kick = wd_l_kick,
	.dev_cmd = wd_l_dev_cmd,
	.wait = wd_l_wait,
	.ss_map = wd_l_ss_map,
	.ss_unmap = wd_l_ss_unmap,
	.ss_dma = wd_l_ss_dma,
	.share_ss = wd_l_share_ss,
	.close = wd_l_close,
	.abandon = wd_l_abandon,
	.new_device = wd_l_new_device,
	.del_device = wd_l_del_device,
	.dev_path = wd_l_dev_path,
	.attr_get = wd_l_attr_get,
	.attr_set = wd_l_attr_set,
};

#else /* !WD_HAVE_LOCAL */

int wd_local_init(void)
{
	return 0;
}

static int wd_l_new_device(const char *spec)
{
	(void)spec;
	return -ENODEV;
}

static int wd_l_del_device(int id)
{
	(void)id;
	return -ENODEV;
}

static int wd_l_dev_path(int id, char *buf, size_t len)
{
	(void)id;
	(void)buf;
	(void)len;
	return -ENODEV;
}

static int wd_l_attr_get(const char *dev, const char *name, char *buf,
			 size_t len)
{
	(void)dev;
	(void)name;
	(void)buf;
	(void)len;
	return -ENODEV;
}

static int wd_l_attr_set(const char *dev, const char *name, const char *val)
{
	(void)dev;
	(void)name;
	(void)val;
	return -ENODEV;
}

/* every device operation fails: no queue is ever opened on it */
const struct wd_transport wd_tp_local = {
	.name = "local (not built in)",
	.new_device = wd_l_new_device,
	.del_device = wd_l_del_device,
	.dev_path = wd_l_dev_path,
	.attr_get = wd_l_attr_get,
	.attr_set = wd_l_attr_set,
};

#endif /* WD_HAVE_LOCAL */
