// SPDX-License-Identifier: MIT
/*
 * discover.c: finding the device for a queue, and the user driver registry.
 *
 * A device's attributes are read through its transport (attr_get), by
 * the names of uacce's sysfs files, on either host. With no path, every
 * /sys/class/uacce/uaN that offers the algorithm (its "algorithms"),
 * whose "api" has a user driver that can drive the algorithm and whose
 * memory mode the caller accepts is a device that offers it. Of those,
 * isolated ones, ones with no free queue and (without CAP_SYS_RAWIO)
 * NOIOMMU ones are skipped; the rest are tried in order of numa_distance,
 * then available_instances (most first), then id.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "uapi/misc/uacce/uacce.h"
#include "wd_priv.h"

#define WD_SYSFS_CLASS	"/sys/class/uacce"

/* ---- user driver registry, keyed by the device's "api" ---- */

static const struct wd_driver *const wd_drivers[] = {
	&wd_drv_wd_soft,
};

const struct wd_driver *wd_driver_find(const char *api)
{
	for (size_t i = 0; i < sizeof(wd_drivers) / sizeof(wd_drivers[0]); i++)
		if (!strcmp(wd_drivers[i]->api, api))
			return wd_drivers[i];
	return NULL;
}

/* ---- a device's attributes, through its transport ---- */

/* "/dev/uaN", "local", "local:MODE" or "local/ID" */
const struct wd_transport *wd_tp_of(const char *path)
{
	size_t n = strlen(WD_DEV_LOCAL_PATH);
	unsigned int id;
	int len = 0;

	if (!strncmp(path, WD_DEV_LOCAL_PATH, n)) {
		const char *m = path + n;

		if (!*m || !strcmp(m, ":sva") || !strcmp(m, ":pasid") ||
		    !strcmp(m, ":noiommu"))
			return &wd_tp_local;
		if (*m == '/' && sscanf(m + 1, "%u%n", &id, &len) == 1 &&
		    !m[1 + len] && m[1] >= '0' && m[1] <= '9' && id <= 9999)
			return &wd_tp_local;
		return NULL;
	}
	if (sscanf(path, "/dev/ua%u%n", &id, &len) == 1 && !path[len] &&
	    path[7] >= '0' && path[7] <= '9' && id <= 9999)
		return &wd_tp_uacce;
	return NULL;
}

static long long wd_attr_ll(const struct wd_dev *d, const char *name,
			    long long def)
{
	char buf[32], *end;
	long long v;

	if (d->tp->attr_get(d->path, name, buf, sizeof(buf)) < 0)
		return def;
	errno = 0;
	v = strtoll(buf, &end, 10);
	return errno || end == buf ? def : v;
}

static bool wd_has_alg(const char *algs, const char *alg)
{
	size_t n = strlen(alg);

	for (const char *s = algs; *s; ) {
		const char *e = strchrnul(s, '\n');

		if ((size_t)(e - s) == n && !memcmp(s, alg, n))
			return true;
		s = *e ? e + 1 : e;
	}
	return false;
}

static uint32_t wd_mode_of(unsigned long flags)
{
	if (flags & UACCE_DEV_NOIOMMU)
		return WD_DEV_NOIOMMU;
	if ((flags & UACCE_DEV_SVA) == UACCE_DEV_SVA)
		return WD_DEV_SVA;
	if (flags & UACCE_DEV_PASID)
		return WD_DEV_PASID;
	return 0;
}

/*
 * The device at @path (transport @tp) as discovery sees it, read from its
 * attributes: 0, -ENOENT (none), -EPROTONOSUPPORT (no driver for its api),
 * or the error of the first read. "local" is the device "local:sva".
 */
static int wd_dev_read(const struct wd_transport *tp, const char *path,
		       struct wd_dev *d)
{
	int ret;

	memset(d, 0, sizeof(*d));
	snprintf(d->path, sizeof(d->path), "%s",
		 strcmp(path, WD_DEV_LOCAL_PATH) ? path : WD_DEV_LOCAL_PATH ":sva");
	d->tp = tp;
	ret = tp->attr_get(d->path, "api", d->api, sizeof(d->api));
	if (ret < 0)
		return ret;
	if (tp->attr_get(d->path, "algorithms", d->algs, sizeof(d->algs)) < 0)
		d->algs[0] = 0;
	d->id = (int)wd_attr_ll(d, "id", -1);
	d->mode = wd_mode_of((unsigned long)wd_attr_ll(d, "flags", 0));
	d->node = (int)wd_attr_ll(d, "node_id", -1);
	d->distance = (int)wd_attr_ll(d, "numa_distance", 10);
	d->avail = (int)wd_attr_ll(d, "available_instances", 0);
	d->isolated = wd_attr_ll(d, "isolate", 0) != 0;
	d->ss_max = (size_t)wd_attr_ll(d, "region_ss_max_size", 0);
	d->drv = wd_driver_find(d->api);
	return d->drv ? 0 : -EPROTONOSUPPORT;
}

static bool wd_have_rawio(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return false;
	return d[CAP_SYS_RAWIO / 32].effective & (1u << (CAP_SYS_RAWIO % 32));
}

/* does @d offer @alg in a mode the caller accepts? */
static bool wd_offers(const struct wd_dev *d, const struct wd_queue *q)
{
	enum wd_class cls;

	if (!wd_has_alg(d->algs, q->capa.alg) || !d->mode)
		return false;
	if (q->capa.flags && !(q->capa.flags & d->mode))
		return false;
	return !d->drv->alg(q->capa.alg, &cls);
}

static int wd_cmp(const void *a, const void *b)
{
	const struct wd_dev *x = a, *y = b;

	if (x->distance != y->distance)
		return x->distance < y->distance ? -1 : 1;
	if (x->avail != y->avail)
		return x->avail > y->avail ? -1 : 1;
	return (x->id > y->id) - (x->id < y->id);
}

/*
 * Remember why a device was passed over: *err keeps the first of EBUSY,
 * EIO, EACCES, EPERM (in that order of preference) seen so far.
 */
static void wd_note(int *err, int e)
{
	static const int order[] = { EBUSY, EIO, EACCES, EPERM };
	int rank_e = 4, rank_old = 4;

	for (int i = 0; i < 4; i++) {
		if (order[i] == -e)
			rank_e = i;
		if (order[i] == -*err)
			rank_old = i;
	}
	if (!*err || rank_e < rank_old)
		*err = e;
}

static int wd_discover_all(struct wd_queue *q, struct wd_dev **devs, int *nr)
{
	struct wd_dev *list = NULL, d;
	int n = 0, cap = 0, err = 0;
	bool offered = false;
	struct dirent *de;
	DIR *dir;

	dir = opendir(WD_SYSFS_CLASS);
	if (!dir)
		return -ENODEV;
	while ((de = readdir(dir))) {
		char path[WD_DEV_PATH_MAX];

		if (strncmp(de->d_name, "ua", 2) || strlen(de->d_name) > 8)
			continue;
		snprintf(path, sizeof(path), "/dev/%.8s", de->d_name);
		if (!wd_tp_of(path) || wd_dev_read(&wd_tp_uacce, path, &d))
			continue;
		if (!wd_offers(&d, q))
			continue;
		offered = true;
		if (d.isolated) {
			wd_note(&err, -EIO);
			continue;
		}
		if (d.avail <= 0) {
			wd_note(&err, -EBUSY);
			continue;
		}
		if (d.mode == WD_DEV_NOIOMMU && !wd_have_rawio()) {
			wd_note(&err, -EPERM);
			wd_refused_note(-EPERM, d.path);
			continue;
		}
		if (n == cap) {
			struct wd_dev *nl;

			cap = cap ? cap * 2 : 8;
			nl = realloc(list, cap * sizeof(*list));
			if (!nl) {
				free(list);
				closedir(dir);
				return -ENOMEM;
			}
			list = nl;
		}
		list[n++] = d;
	}
	closedir(dir);
	if (!n) {
		free(list);
		return offered ? err : -ENODEV;
	}
	qsort(list, n, sizeof(*list), wd_cmp);
	*devs = list;
	*nr = n;
	return 0;
}

static int wd_discover_one(struct wd_queue *q, const char *path,
			   struct wd_dev *d)
{
	const struct wd_transport *tp = wd_tp_of(path);
	int ret;

	if (!tp)
		return -EINVAL;
	ret = wd_dev_read(tp, path, d);
	if (ret)
		return ret;
	if (!wd_offers(d, q))
		return -ENODEV;
	if (d->mode == WD_DEV_NOIOMMU && tp != &wd_tp_local && !wd_have_rawio()) {
		wd_refused_note(-EPERM, d->path);
		return -EPERM;
	}
	return 0;
}

/*
 * The devices to try for @q, best first, in *devs (malloc'ed) and *nr, or
 * -errno saying why there is none.
 */
int wd_discover(struct wd_queue *q, const char *path, struct wd_dev **devs,
		int *nr)
{
	struct wd_dev *d;
	int ret;

	if (!path[0])
		return wd_discover_all(q, devs, nr);
	d = malloc(sizeof(*d));
	if (!d)
		return -ENOMEM;
	ret = wd_discover_one(q, path, d);
	if (ret) {
		free(d);
		return ret;
	}
	*devs = d;
	*nr = 1;
	return 0;
}

/* Open a queue on the first of @devs that gives one: 0, or the error. */
int wd_open_on(struct wd_q *p, struct wd_dev *devs, int nr, int *err)
{
	struct wd_queue *q = p->pub;

	for (int i = 0; i < nr; i++) {
		struct wd_dev *d = &devs[i];
		int ret;

		p->tp = d->tp;
		p->drv = d->drv;
		p->mode = d->mode;
		if (p->drv->alg(p->alg, &p->cls))
			continue;
		ret = p->tp->open(p, d);
		if (ret == -EBUSY || ret == -EIO || ret == -EACCES ||
		    ret == -EPERM || ret == -ENOENT || ret == -ENXIO ||
		    ret == -ENODEV) {
			/* lost a race, isolated since, gone since, or not
			 * ours to open: the next one may do */
			if (ret != -ENOENT && ret != -ENXIO && ret != -ENODEV)
				wd_note(err, ret);
			/* the node's mode, or the kernel's CAP_SYS_RAWIO
			 * check: wd_strerror() names the device */
			if (d->tp == &wd_tp_uacce)
				wd_refused_note(ret, d->path);
			continue;
		}
		if (ret)
			return ret;
		ret = p->drv->init(p);
		if (ret) {
			p->tp->close(p);
			return ret;
		}
		snprintf(q->dev_path, sizeof(q->dev_path), "%s", d->path);
		q->dev_flags = d->mode | (d->tp == &wd_tp_local ? WD_DEV_LOCAL : 0);
		q->node = d->node;
		q->ss_max = d->ss_max;
		return 0;
	}
	return *err ? *err : -ENODEV;
}
