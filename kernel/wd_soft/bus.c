// SPDX-License-Identifier: GPL-2.0
/*
 * wd_soft: the wd_soft bus, netdevsim style.
 *
 *   echo "ID [mode=sva|pasid|noiommu] [node=N] [queues=N] [engines=N]
 *	[max_ctx_bytes=N]" > /sys/bus/wd_soft/new_device
 *   echo ID > /sys/bus/wd_soft/del_device
 *
 * del_device of an instance that crypto API users are bound to fails with
 * EBUSY (docs/crypto.md).
 * Instance ID is /sys/bus/wd_soft/devices/wd_softID; its uacce device is
 * the child uacce/uaN. max_ctx_bytes: most bytes the stream contexts of
 * all its queues may hold (decimal; 0: no context can be opened; default
 * WD_SOFT_CORE_DEF_CTX_BYTES, 64 MiB); an OPEN beyond it fails (ENOSPC).
 */
#include <linux/ctype.h>
#include <linux/mutex.h>
#include <linux/nodemask.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "wd_soft.h"

/*
 * wd_soft_devs_lock: protects wd_soft_devs and wd_soft_bus_enabled and is
 * held across creating and destroying an instance, so that an ID is never
 * half there. Outermost lock of the module; may sleep (uacce removal waits
 * for the engines).
 */
static DEFINE_MUTEX(wd_soft_devs_lock);
static LIST_HEAD(wd_soft_devs);
static bool wd_soft_bus_enabled;

static const char * const wd_soft_mode_names[] = {
	[WD_SOFT_MODE_SVA]	= "sva",
	[WD_SOFT_MODE_PASID]	= "pasid",
	[WD_SOFT_MODE_NOIOMMU]	= "noiommu",
};

enum {
	WD_SOFT_KEY_MODE,
	WD_SOFT_KEY_NODE,
	WD_SOFT_KEY_QUEUES,
	WD_SOFT_KEY_ENGINES,
	WD_SOFT_KEY_MAX_CTX_BYTES,
};

static const char * const wd_soft_keys[] = {
	[WD_SOFT_KEY_MODE]	= "mode",
	[WD_SOFT_KEY_NODE]	= "node",
	[WD_SOFT_KEY_QUEUES]	= "queues",
	[WD_SOFT_KEY_ENGINES]	= "engines",
	[WD_SOFT_KEY_MAX_CTX_BYTES] = "max_ctx_bytes",
};

/**
 * wd_soft_config_default() - the configuration of a plain "ID"
 * @cfg: filled in
 * @id: instance number
 */
void wd_soft_config_default(struct wd_soft_config *cfg, unsigned int id)
{
	cfg->id = id;
	cfg->mode = WD_SOFT_MODE_SVA;
	cfg->node = NUMA_NO_NODE;
	cfg->nr_queues = WD_SOFT_DEF_QUEUES;
	cfg->nr_engines = WD_SOFT_DEF_ENGINES;
	cfg->max_ctx_bytes = WD_SOFT_CORE_DEF_CTX_BYTES;
}

/* A decimal number in [min, max]: digits with an optional '-', nothing else. */
static int wd_soft_parse_int(const char *s, int min, int max, int *val)
{
	int v;

	if (!isdigit(s[s[0] == '-']))
		return -EINVAL;
	if (kstrtoint(s, 10, &v) || v < min || v > max)
		return -EINVAL;
	*val = v;
	return 0;
}

/* A decimal number of bytes: digits only (no sign), nothing else. */
static int wd_soft_parse_u64(const char *s, u64 *val)
{
	if (!isdigit(s[0]))
		return -EINVAL;
	return kstrtou64(s, 10, val) ? -EINVAL : 0;
}

static int wd_soft_parse_option(struct wd_soft_config *cfg, char *tok,
				unsigned long *seen)
{
	char *val = strchr(tok, '=');
	int key, v;

	if (!val)
		return -EINVAL;
	*val++ = '\0';
	key = match_string(wd_soft_keys, ARRAY_SIZE(wd_soft_keys), tok);
	if (key < 0 || __test_and_set_bit(key, seen))
		return -EINVAL;

	switch (key) {
	case WD_SOFT_KEY_MODE:
		v = match_string(wd_soft_mode_names,
				 ARRAY_SIZE(wd_soft_mode_names), val);
		if (v < 0)
			return -EINVAL;
		cfg->mode = v;
		return 0;
	case WD_SOFT_KEY_NODE:
		if (wd_soft_parse_int(val, NUMA_NO_NODE, MAX_NUMNODES - 1, &v))
			return -EINVAL;
		if (v != NUMA_NO_NODE && !node_online(v))
			return -EINVAL;
		cfg->node = v;
		return 0;
	case WD_SOFT_KEY_QUEUES:
		if (wd_soft_parse_int(val, 1, WD_SOFT_MAX_QUEUES, &v))
			return -EINVAL;
		cfg->nr_queues = v;
		return 0;
	case WD_SOFT_KEY_MAX_CTX_BYTES:
		return wd_soft_parse_u64(val, &cfg->max_ctx_bytes);
	default:
		if (wd_soft_parse_int(val, 1, WD_SOFT_MAX_ENGINES, &v))
			return -EINVAL;
		cfg->nr_engines = v;
		return 0;
	}
}

/*
 * "ID [key=value]..." separated by blanks (a trailing newline is a blank).
 * Each key at most once; anything else is -EINVAL.
 */
int wd_soft_parse_new(const char *buf, size_t count,
		      struct wd_soft_config *cfg)
{
	unsigned long seen = 0;
	bool have_id = false;
	char *str, *s, *tok;
	int ret = 0, id;

	str = kmemdup_nul(buf, count, GFP_KERNEL);
	if (!str)
		return -ENOMEM;

	s = str;
	while (!ret && (tok = strsep(&s, " \t\n"))) {
		if (!*tok)
			continue;
		if (have_id) {
			ret = wd_soft_parse_option(cfg, tok, &seen);
			continue;
		}
		ret = wd_soft_parse_int(tok, 0, WD_SOFT_MAX_ID, &id);
		if (!ret)
			wd_soft_config_default(cfg, id);
		have_id = true;
	}
	if (!have_id)
		ret = -EINVAL;
	kfree(str);
	return ret;
}

/* wd_soft_devs_lock held */
static struct wd_soft_dev *wd_soft_find(unsigned int id)
{
	struct wd_soft_dev *wdev;

	lockdep_assert_held(&wd_soft_devs_lock);
	list_for_each_entry(wdev, &wd_soft_devs, list)
		if (wdev->cfg.id == id)
			return wdev;
	return NULL;
}

/**
 * wd_soft_bus_add() - create an instance
 * @cfg: its configuration, already validated
 *
 * Return: 0, -EEXIST if the ID is taken, -ENODEV while the module goes
 * away, or the error of creating it.
 */
int wd_soft_bus_add(const struct wd_soft_config *cfg)
{
	struct wd_soft_dev *wdev;
	int ret = 0;

	mutex_lock(&wd_soft_devs_lock);
	if (!wd_soft_bus_enabled) {
		ret = -ENODEV;
		goto out;
	}
	if (wd_soft_find(cfg->id)) {
		ret = -EEXIST;
		goto out;
	}
	wdev = wd_soft_dev_create(cfg);
	if (IS_ERR(wdev)) {
		ret = PTR_ERR(wdev);
		goto out;
	}
	list_add_tail(&wdev->list, &wd_soft_devs);
out:
	mutex_unlock(&wd_soft_devs_lock);
	return ret;
}

/**
 * wd_soft_bus_crypto_start() - module load done: register with the crypto API
 *
 * The instances made at load are all there (wd_soft_crypto_start()).
 */
void wd_soft_bus_crypto_start(void)
{
	mutex_lock(&wd_soft_devs_lock);
	wd_soft_crypto_start();
	mutex_unlock(&wd_soft_devs_lock);
}

static ssize_t new_device_store(struct bus_type *bus, const char *buf,
				size_t count)
{
	struct wd_soft_config cfg;
	int ret;

	ret = wd_soft_parse_new(buf, count, &cfg);
	if (!ret)
		ret = wd_soft_bus_add(&cfg);
	return ret ? ret : count;
}
static BUS_ATTR_WO(new_device);

static ssize_t del_device_store(struct bus_type *bus, const char *buf,
				size_t count)
{
	struct wd_soft_dev *wdev;
	char *str, *s, *tok;
	int id, ret = 0;

	/* exactly one token, the ID */
	str = kmemdup_nul(buf, count, GFP_KERNEL);
	if (!str)
		return -ENOMEM;
	s = strim(str);
	tok = strsep(&s, " \t\n");
	if (s || wd_soft_parse_int(tok, 0, WD_SOFT_MAX_ID, &id))
		ret = -EINVAL;
	kfree(str);
	if (ret)
		return ret;

	mutex_lock(&wd_soft_devs_lock);
	wdev = wd_soft_bus_enabled ? wd_soft_find(id) : NULL;
	/* crypto API users bound to it: EBUSY, the instance stays whole */
	ret = wdev ? wd_soft_crypto_del(wdev) : -ENODEV;
	if (!ret) {
		list_del(&wdev->list);
		wd_soft_dev_destroy(wdev);
	}
	mutex_unlock(&wd_soft_devs_lock);
	return ret ? ret : count;
}
static BUS_ATTR_WO(del_device);

static struct attribute *wd_soft_bus_attrs[] = {
	&bus_attr_new_device.attr,
	&bus_attr_del_device.attr,
	NULL,
};
ATTRIBUTE_GROUPS(wd_soft_bus);

struct bus_type wd_soft_bus = {
	.name		= "wd_soft",
	.bus_groups	= wd_soft_bus_groups,
};

/**
 * wd_soft_bus_init() - register the bus and accept new instances
 *
 * Return: 0 or -errno.
 */
int wd_soft_bus_init(void)
{
	int ret;

	ret = bus_register(&wd_soft_bus);
	if (ret)
		return ret;
	mutex_lock(&wd_soft_devs_lock);
	wd_soft_bus_enabled = true;
	mutex_unlock(&wd_soft_devs_lock);
	return 0;
}

/**
 * wd_soft_bus_exit() - remove every instance and unregister the bus
 *
 * Writes to new_device and del_device that come later fail with -ENODEV
 * until the bus (and with it the files) is gone.
 */
void wd_soft_bus_exit(void)
{
	struct wd_soft_dev *wdev, *next;

	mutex_lock(&wd_soft_devs_lock);
	wd_soft_bus_enabled = false;
	list_for_each_entry_safe(wdev, next, &wd_soft_devs, list) {
		/* no tfm exists: each holds a reference on the module */
		WARN_ON(wd_soft_crypto_del(wdev));
		list_del(&wdev->list);
		wd_soft_dev_destroy(wdev);
	}
	mutex_unlock(&wd_soft_devs_lock);
	bus_unregister(&wd_soft_bus);
}
