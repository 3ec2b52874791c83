// SPDX-License-Identifier: GPL-2.0
/*
 * wd_soft: the WarpDrive software accelerator, module load and unload.
 *
 * Loading creates nr_devs instances (IDs 0..nr_devs-1) in SVA mode; more
 * come and go through /sys/bus/wd_soft/new_device and del_device.
 * Unloading removes every instance, open queues or not.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

#include "wd_soft.h"

struct dentry *wd_soft_debugfs;

static unsigned int nr_devs = 1;
module_param(nr_devs, uint, 0444);
MODULE_PARM_DESC(nr_devs, "instances created at load, IDs 0..nr_devs-1 (default 1)");

static int __init wd_soft_init(void)
{
	struct wd_soft_config cfg;
	unsigned int i;
	int ret;

	if (nr_devs > WD_SOFT_MAX_ID + 1)
		return -EINVAL;

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
	return 0;

err_debugfs:
	debugfs_remove_recursive(wd_soft_debugfs);
	return ret;
}

static void __exit wd_soft_exit(void)
{
	wd_soft_bus_exit();
	debugfs_remove_recursive(wd_soft_debugfs);
}

module_init(wd_soft_init);
module_exit(wd_soft_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("WarpDrive developers");
/* the crypto API loads crc32c on demand; modprobe can load it first */
MODULE_SOFTDEP("pre: crc32c");
MODULE_DESCRIPTION("WarpDrive software accelerator (uacce driver, wd_soft_v2)");
