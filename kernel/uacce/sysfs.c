// SPDX-License-Identifier: GPL-2.0
/*
 * uacce: device errors and isolation, and the sysfs attributes of
 * /sys/class/uacce/uaN (docs/uacce.md).
 */
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/topology.h>

#include "internal.h"

/* ---- errors and isolation --------------------------------------------- */

bool uacce_isolated(struct uacce_device *uacce)
{
	bool isolated;

	spin_lock_irq(&uacce->err_lock);
	isolated = uacce->isolated;
	spin_unlock_irq(&uacce->err_lock);
	return isolated;
}

/* errors counted in the last hour; err_lock held */
static unsigned int uacce_errors_last_hour(struct uacce_device *uacce,
					   unsigned long minute)
{
	unsigned int i, sum = 0;

	lockdep_assert_held(&uacce->err_lock);
	for (i = 0; i < UACCE_ERR_BUCKETS; i++)
		if (minute - uacce->err_minute[i] < UACCE_ERR_BUCKETS)
			sum += uacce->err_count[i];
	return sum;
}

/**
 * uacce_report_error() - count a device error
 * @uacce: the device
 *
 * When the errors of the last hour reach isolate_strategy (if not 0) the
 * device is isolated: it refuses new queues with EIO until user space
 * writes isolate_strategy again. Callable from any context.
 */
void uacce_report_error(struct uacce_device *uacce)
{
	unsigned long minute = jiffies / (60 * HZ);
	unsigned int b = minute % UACCE_ERR_BUCKETS;
	unsigned long flags;
	bool isolate;

	spin_lock_irqsave(&uacce->err_lock, flags);
	if (uacce->err_minute[b] != minute || !uacce->err_count[b]) {
		uacce->err_minute[b] = minute;
		uacce->err_count[b] = 0;
	}
	if (uacce->err_count[b] < UINT_MAX)
		uacce->err_count[b]++;
	isolate = !uacce->isolated && uacce->isolate_strategy &&
		  uacce_errors_last_hour(uacce, minute) >=
		  uacce->isolate_strategy;
	if (isolate)
		uacce->isolated = true;
	spin_unlock_irqrestore(&uacce->err_lock, flags);

	if (isolate)
		dev_err(&uacce->dev, "too many errors: device isolated\n");
}
EXPORT_SYMBOL_GPL(uacce_report_error);

/* ---- sysfs ------------------------------------------------------------ */

static ssize_t id_show(struct device *dev, struct device_attribute *attr,
		       char *buf)
{
	return sysfs_emit(buf, "%d\n", to_uacce(dev)->dev_id);
}

static ssize_t api_show(struct device *dev, struct device_attribute *attr,
			char *buf)
{
	return sysfs_emit(buf, "%s\n", to_uacce(dev)->api);
}

static ssize_t flags_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%u\n", to_uacce(dev)->flags);
}

static ssize_t available_instances_show(struct device *dev,
					struct device_attribute *attr,
					char *buf)
{
	struct uacce_device *uacce = to_uacce(dev);
	int n;

	/* sysfs removal waits for us, so the driver is still there */
	mutex_lock(&uacce->mutex);
	n = uacce_available(uacce);
	mutex_unlock(&uacce->mutex);
	return sysfs_emit(buf, "%d\n", n);
}

static ssize_t algorithms_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", to_uacce(dev)->algs);
}

static long uacce_region_offset(struct uacce_device *uacce,
				enum uacce_qfrt type)
{
	bool present = type == UACCE_QFRT_SS ? uacce->ss_max_size :
					       uacce->qf_pg_num[type];

	return present ? (long)type * PAGE_SIZE : -1;
}

static ssize_t qfrs_offset_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	struct uacce_device *uacce = to_uacce(dev);

	return sysfs_emit(buf, "%ld %ld %ld %ld\n",
			  uacce_region_offset(uacce, UACCE_QFRT_MMIO),
			  uacce_region_offset(uacce, UACCE_QFRT_DKO),
			  uacce_region_offset(uacce, UACCE_QFRT_DUS),
			  uacce_region_offset(uacce, UACCE_QFRT_SS));
}

static ssize_t region_mmio_size_show(struct device *dev,
				     struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%zu\n",
			  uacce_region_size(to_uacce(dev), UACCE_QFRT_MMIO));
}

static ssize_t region_dko_size_show(struct device *dev,
				    struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%zu\n",
			  uacce_region_size(to_uacce(dev), UACCE_QFRT_DKO));
}

static ssize_t region_dus_size_show(struct device *dev,
				    struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%zu\n",
			  uacce_region_size(to_uacce(dev), UACCE_QFRT_DUS));
}

static ssize_t region_ss_max_size_show(struct device *dev,
				       struct device_attribute *attr,
				       char *buf)
{
	return sysfs_emit(buf, "%zu\n", to_uacce(dev)->ss_max_size);
}

static ssize_t numa_distance_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	int node = to_uacce(dev)->node;

	/* a device on no node is as near to every CPU as local memory */
	return sysfs_emit(buf, "%d\n", node == NUMA_NO_NODE ? LOCAL_DISTANCE :
			  node_distance(numa_node_id(), node));
}

static ssize_t node_id_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%d\n", to_uacce(dev)->node);
}

static ssize_t isolate_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%d\n", uacce_isolated(to_uacce(dev)));
}

static ssize_t isolate_strategy_show(struct device *dev,
				     struct device_attribute *attr, char *buf)
{
	struct uacce_device *uacce = to_uacce(dev);
	unsigned int val;

	spin_lock_irq(&uacce->err_lock);
	val = uacce->isolate_strategy;
	spin_unlock_irq(&uacce->err_lock);
	return sysfs_emit(buf, "%u\n", val);
}

static ssize_t isolate_strategy_store(struct device *dev,
				      struct device_attribute *attr,
				      const char *buf, size_t count)
{
	struct uacce_device *uacce = to_uacce(dev);
	unsigned int val;

	if (kstrtouint(buf, 10, &val) || val > UACCE_MAX_ERR_THRESHOLD)
		return -EINVAL;

	/* a new strategy starts a new count and lifts isolation */
	spin_lock_irq(&uacce->err_lock);
	uacce->isolate_strategy = val;
	memset(uacce->err_count, 0, sizeof(uacce->err_count));
	uacce->isolated = false;
	spin_unlock_irq(&uacce->err_lock);

	mutex_lock(&uacce->mutex);
	if (!uacce->removed && uacce->ops->reset)
		uacce->ops->reset(uacce);
	mutex_unlock(&uacce->mutex);
	return count;
}

static DEVICE_ATTR_RO(id);
static DEVICE_ATTR_RO(api);
static DEVICE_ATTR_RO(flags);
static DEVICE_ATTR_RO(available_instances);
static DEVICE_ATTR_RO(algorithms);
static DEVICE_ATTR_RO(qfrs_offset);
static DEVICE_ATTR_RO(region_mmio_size);
static DEVICE_ATTR_RO(region_dko_size);
static DEVICE_ATTR_RO(region_dus_size);
static DEVICE_ATTR_RO(region_ss_max_size);
static DEVICE_ATTR_RO(numa_distance);
static DEVICE_ATTR_RO(node_id);
static DEVICE_ATTR_RO(isolate);
static DEVICE_ATTR_RW(isolate_strategy);

static struct attribute *uacce_dev_attrs[] = {
	&dev_attr_id.attr,
	&dev_attr_api.attr,
	&dev_attr_flags.attr,
	&dev_attr_available_instances.attr,
	&dev_attr_algorithms.attr,
	&dev_attr_qfrs_offset.attr,
	&dev_attr_region_mmio_size.attr,
	&dev_attr_region_dko_size.attr,
	&dev_attr_region_dus_size.attr,
	&dev_attr_region_ss_max_size.attr,
	&dev_attr_numa_distance.attr,
	&dev_attr_node_id.attr,
	&dev_attr_isolate.attr,
	&dev_attr_isolate_strategy.attr,
	NULL,
};

static const struct attribute_group uacce_dev_group = {
	.attrs = uacce_dev_attrs,
};

/* ATTRIBUTE_GROUPS(uacce_dev), but for uacce_alloc() in core.c */
const struct attribute_group *uacce_dev_groups[] = {
	&uacce_dev_group,
	NULL,
};
