/* SPDX-License-Identifier: GPL-2.0 */
/* user-space stand-in for what the kernel's zlib uses of <linux/kernel.h> (fz_kcore) */
#ifndef FZ_KZ_KERNEL_H
#define FZ_KZ_KERNEL_H
#include <stddef.h>
#include <stdint.h>
#include <limits.h>
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
#define PAGE_SIZE 4096UL
#define __ALIGN_MASK(x, m) (((x) + (m)) & ~(m))
#define ALIGN(x, a) __ALIGN_MASK(x, (__typeof__(x))(a) - 1)
#define PTR_ALIGN(p, a) ((__typeof__(p))ALIGN((unsigned long)(p), (a)))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define EXPORT_SYMBOL(s)
#define BUG_ON(c) do { if (c) __builtin_trap(); } while (0)
#define MODULE_LICENSE(s)
#define MODULE_DESCRIPTION(s)
/* x86: the kernel's inflate takes the unaligned 16-bit path */
#define IS_ENABLED(option) 1
#define fallthrough __attribute__((__fallthrough__))
#define min(a, b) ((a) < (b) ? (a) : (b))
#define max(a, b) ((a) > (b) ? (a) : (b))
#endif
