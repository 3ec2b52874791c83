/* SPDX-License-Identifier: MIT */
/*
 * wd_ctl.h: device operations and raw queues for the tests and fuzzers,
 * one vocabulary for both hosts: the kernel's wd_soft and uacce (sysfs,
 * debugfs, /dev/uaN) and the in-process device (lib/soft). Thin calls to
 * libwd's transports (wd_priv.h); internal: not installed, and hidden in
 * libwd.so (the static archives libwd.a, libwd-asan.a, libwd-vm.a have it).
 *
 * Device paths: "/dev/uaN" (kernel), "local/ID" (an in-process instance),
 * "local[:MODE]" (the in-process default devices, docs/libwd.md).
 * Every function returns 0 or a negative errno unless it says otherwise.
 * In a fork child the parent's in-process instances give -EPERM to every
 * call (wd_ctl_dev_path() still names them).
 */
#ifndef WD_CTL_H
#define WD_CTL_H

#include <stddef.h>
#include <stdint.h>

enum wd_ctl_host {
	WD_CTL_KERNEL,		/* /sys/bus/wd_soft, /dev/uaN */
	WD_CTL_LOCAL,		/* in-process; -ENODEV in libwd-vm.a */
};

/*
 * Create instance ID: the syntax of /sys/bus/wd_soft/new_device, "ID
 * [mode=sva|pasid|noiommu] [node=N] [queues=N] [engines=N]
 * [max_ctx_bytes=N]". In-process
 * also spin_ns=NS, ops=MASK (WDL_OP bits) and sva_copy=kernel|signal,
 * which the kernel rejects (-EINVAL). -EEXIST: ID taken.
 */
int wd_ctl_new_device(enum wd_ctl_host h, const char *spec);
/* delete instance @id, queues open or not (they become dead): -ENODEV */
int wd_ctl_del_device(enum wd_ctl_host h, int id);
/* instance @id's device path into @buf: -ENODEV when there is none */
int wd_ctl_dev_path(enum wd_ctl_host h, int id, char *buf, size_t len);

/*
 * Attribute @name of the device at @dev, by the kernel's file names:
 * sysfs (api, flags, algorithms, available_instances, isolate,
 * isolate_strategy, region_*_size, node_id, numa_distance, id, ...) and
 * debugfs (hold, fail_next, ctx_bytes, stall, engine_stats, bytes_mapped and
 * bytes_copied: the request bytes the engines reached in place and copied;
 * page_requests:
 * kernel only). In-process only:
 * errors (device errors of the last hour), stats (the engines' counters),
 * backends. get: the value's length, without the trailing newline;
 * -ENOENT no such attribute. set: -EACCES read-only.
 */
int wd_ctl_attr_get(const char *dev, const char *name, char *buf, size_t len);
int wd_ctl_attr_set(const char *dev, const char *name, const char *val);

/*
 * A raw queue: the uacce queue ABI (open, mmap, ioctl, poll) by calls.
 * Nothing is checked beyond what the device checks.
 */
struct wd_ctl_q;
int wd_ctl_q_open(const char *dev, struct wd_ctl_q **qp);	/* open() */
/* mmap of region @qfrt (UACCE_QFRT_MMIO, _DUS) of @size bytes */
int wd_ctl_q_region(struct wd_ctl_q *q, int qfrt, size_t size, void **addr);
int wd_ctl_q_start(struct wd_ctl_q *q);		/* UACCE_CMD_START_Q */
int wd_ctl_q_stop(struct wd_ctl_q *q);		/* UACCE_CMD_PUT_Q */
int wd_ctl_q_kick(struct wd_ctl_q *q);		/* WD_SOFT_CMD_KICK */
/* ioctl(fd, cmd, arg): a command of the device's own (WD_SOFT_CMD_CTX
 * with a struct wd_soft_ctx_cmd *); -ENOTTY unknown */
int wd_ctl_q_cmd(struct wd_ctl_q *q, unsigned long cmd, void *arg);
/* poll(POLLIN): 1 readable, 0 timeout, -ENODEV device gone */
int wd_ctl_q_wait(struct wd_ctl_q *q, int timeout_ms);
/* mmap of the SS region; undo with wd_ctl_q_ss_unmap() (in-process: it
 * stays until every queue using it is closed) */
int wd_ctl_q_ss_map(struct wd_ctl_q *q, size_t size, void **addr);
void wd_ctl_q_ss_unmap(struct wd_ctl_q *q, void *addr, size_t size);
int wd_ctl_q_ss_dma(struct wd_ctl_q *q, uint64_t *dma); /* GET_SS_DMA */
/* UACCE_CMD_SHARE_SVAS: @target's device reaches @owner's SS */
int wd_ctl_q_share_ss(struct wd_ctl_q *owner, struct wd_ctl_q *target);
/* close(): unmaps the regions of wd_ctl_q_region() */
void wd_ctl_q_close(struct wd_ctl_q *q);

#endif /* WD_CTL_H */
