/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * compat-kernel.h: what the wd_soft engine core needs from the kernel.
 * Included by wd_soft_core.h when __KERNEL__ is defined; the user-space
 * equivalents are in compat-user.h.
 */
#ifndef _WD_SOFT_COMPAT_KERNEL_H
#define _WD_SOFT_COMPAT_KERNEL_H

#include <linux/atomic.h>
#include <linux/build_bug.h>
#include <linux/compiler.h>
#include <linux/container_of.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/minmax.h>
#include <linux/nospec.h>
#include <linux/overflow.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/types.h>
#include <asm/barrier.h>
#include <asm/unaligned.h>

/* the core's few short critical sections (stream contexts): a spinlock */
#define wd_soft_core_lock_t		spinlock_t
#define wd_soft_core_lock_init(l)	spin_lock_init(l)
#define wd_soft_core_lock(l)		spin_lock(l)
#define wd_soft_core_unlock(l)		spin_unlock(l)

/* a stream context's core state: the opener's memory, charged to it */
#define wd_soft_core_zalloc(n)	kvzalloc((n), GFP_KERNEL_ACCOUNT | __GFP_NOWARN)
#define wd_soft_core_free(p)	kvfree(p)

#endif /* _WD_SOFT_COMPAT_KERNEL_H */
