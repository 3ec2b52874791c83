// SPDX-License-Identifier: GPL-2.0
/*
 * wd_soft: the WarpDrive software accelerator, module load and unload.
 *
 * Loading creates nr_devs instances (IDs 0..nr_devs-1) in SVA mode, then
 * those the devices parameter describes (new_device strings, so that
 * modprobe.d can make any instance at boot); more come and go through
 * /sys/bus/wd_soft/new_device and del_device.
 * Unloading removes every instance, open queues or not (the module
 * cannot be unloaded while a crypto API tfm of ours exists: each holds a
 * reference on it).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "wd_soft.h"

struct dentry *wd_soft_debugfs;

static unsigned int nr_devs = 1;
module_param(nr_devs, uint, 0444);
MODULE_PARM_DESC(nr_devs, "instances created at load, IDs 0..nr_devs-1 (default 1)");

static char *devices;
module_param(devices, charp, 0444);
MODULE_PARM_DESC(devices, "more instances at load: new_device strings separated by ';', e.g. \"8 mode=pasid queues=8;9 mode=noiommu\"");

/* the seed's uacce_mode: which frameworks the instances register with */
unsigned int wd_soft_uacce_mode = WD_SOFT_UACCE_MODE_BOTH;
module_param_named(uacce_mode, wd_soft_uacce_mode, uint, 0444);
MODULE_PARM_DESC(uacce_mode, "0: crypto API only, 1: uacce and the crypto API (default), 2: uacce only");

/* 0: below every CPU implementation of sha256 and crc32c (docs/crypto.md) */
unsigned int wd_soft_crypto_priority;
module_param_named(crypto_priority, wd_soft_crypto_priority, uint, 0444);
MODULE_PARM_DESC(crypto_priority, "crypto API priority of sha256-wd_soft, crc32c-wd_soft, deflate-wd_soft (default 0)");

/* the instances of the devices parameter, in order; the first error stops */
static int __init wd_soft_add_devices(void)
{
	struct wd_soft_config cfg;
	char *str, *s, *one;
	int ret = 0;

	if (!devices)
		return 0;
	str = kstrdup(devices, GFP_KERNEL);
	if (!str)
		return -ENOMEM;
	s = str;
	while (!ret && (one = strsep(&s, ";"))) {
		one = strim(one);
		if (!*one)
			continue;
		ret = wd_soft_parse_new(one, strlen(one), &cfg);
		if (!ret)
			ret = wd_soft_bus_add(&cfg);
		if (ret)
			pr_err("devices: cannot create \"%s\": %d\n", one, ret);
	}
	kfree(str);
	return ret;
}

static int __init wd_soft_init(void)
{
	struct wd_soft_config cfg;
	unsigned int i;
	int ret;

	if (nr_devs > WD_SOFT_MAX_ID + 1 ||
	    wd_soft_uacce_mode > WD_SOFT_UACCE_MODE_UACCE ||
	    wd_soft_crypto_priority > INT_MAX)
		return -EINVAL;

	ret = wd_soft_kq_init();
	if (ret)
		return ret;
	/* optional: the instances do without it */
	wd_soft_debugfs = debugfs_create_dir(KBUILD_MODNAME, NULL);
	ret = wd_soft_bus_init();
	if (ret)
		goto err_debugfs;

	for (i = 0; i < nr_devs; i++) {
		wd_soft_config_default(&cfg, i);
		ret = wd_soft_bus_add(&cfg);
		if (ret) {
			pr_err("cannot create instance %u: %d\n",
			       i, ret);
			wd_soft_bus_exit();
			goto err_debugfs;
		}
	}
	ret = wd_soft_add_devices();
	if (ret) {
		wd_soft_bus_exit();
		goto err_debugfs;
	}
	wd_soft_bus_crypto_start();
	return 0;

err_debugfs:
	debugfs_remove_recursive(wd_soft_debugfs);
	wd_soft_kq_exit();
	return ret;
}

static void __exit wd_soft_exit(void)
{
	/* the last instance to go unregisters the algorithms */
	wd_soft_bus_exit();
	debugfs_remove_recursive(wd_soft_debugfs);
	wd_soft_kq_exit();
}

module_init(wd_soft_init);
module_exit(wd_soft_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("WarpDrive developers");
/* the crypto API loads crc32c on demand; modprobe can load it first */
MODULE_SOFTDEP("pre: crc32c");
MODULE_DESCRIPTION("WarpDrive software accelerator (uacce driver, wd_soft_v3)");
