/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * uacce: the user-space interface of the Unified/User-space-access-intended
 * Accelerator Framework (WarpDrive).
 *
 * Each registered accelerator is a character device /dev/uaN. Every open()
 * creates one queue owned by the opening process; the file descriptor is the
 * queue handle. The queue's regions are mapped with
 * mmap(fd, qfrt * page size, length).
 *
 * See docs/uacce.md for the full rules (states, errors, ownership, removal).
 */
#ifndef _UAPI_MISC_UACCE_UACCE_H
#define _UAPI_MISC_UACCE_UACCE_H

#include <linux/types.h>
#include <linux/ioctl.h>

/* Move the queue from INIT to STARTED. */
#define UACCE_CMD_START_Q	_IO('W', 0)
/* Stop the queue (in-flight requests completed or failed) and go to INIT. */
#define UACCE_CMD_PUT_Q		_IO('W', 1)
/* arg: fd of another queue of the same process whose SS region to reach */
#define UACCE_CMD_SHARE_SVAS	_IO('W', 2)
/* NOIOMMU devices: DMA address of the SS region */
#define UACCE_CMD_GET_SS_DMA	_IOR('W', 3, __u64)

/* Device flags, shown in sysfs "flags" */
#define UACCE_DEV_NOIOMMU		(1 << 0)
#define UACCE_DEV_PASID			(1 << 1)
#define UACCE_DEV_FAULT_FROM_DEV	(1 << 2)
#define UACCE_DEV_SVA		(UACCE_DEV_PASID | UACCE_DEV_FAULT_FROM_DEV)

/* Queue file regions; region T is mapped at offset T * page size */
enum uacce_qfrt {
	UACCE_QFRT_MMIO = 0,	/* device mmio region (doorbell) */
	UACCE_QFRT_DKO  = 1,	/* device kernel-only region */
	UACCE_QFRT_DUS  = 2,	/* device user share region */
	UACCE_QFRT_SS   = 3,	/* static shared memory */
	UACCE_QFRT_MAX,
};

#endif /* _UAPI_MISC_UACCE_UACCE_H */
