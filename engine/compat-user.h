/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * compat-user.h: the kernel primitives the wd_soft engine core uses, for a
 * user-space host (gcc or clang, -std=c11 or later, Linux).
 *
 * The core is written in kernel style (u32, READ_ONCE(), smp_load_acquire(),
 * ...). Here they map to the C11 memory model through the compiler's
 * __atomic builtins: the ring indices are plain __u32 fields of the ABI
 * structures (include/uapi/misc/uacce/wd_soft.h), which cannot be declared
 * _Atomic, and the builtins are the C11 atomic operations on such objects.
 *
 *   READ_ONCE / WRITE_ONCE    relaxed atomic load / store
 *   smp_load_acquire          acquire load
 *   smp_store_release         release store
 *   smp_mb                    sequentially consistent fence
 *   smp_rmb / smp_wmb         acquire / release fences
 *   cmpxchg                   strong compare-exchange, seq_cst, returns
 *                             the old value
 *   array_index_nospec        the index itself: the in-process device runs
 *                             in its submitter's own process, no boundary
 *                             for a speculative read to cross
 *   struct list_head, list_*  the kernel's circular doubly linked list
 *                             (the subset the scheduler uses)
 *   wd_soft_core_lock_t       the core's short critical sections: a
 *                             pthread mutex (the kernel's is a spinlock)
 *
 * Included by wd_soft_core.h when __KERNEL__ is not defined.
 */
#ifndef _WD_SOFT_COMPAT_USER_H
#define _WD_SOFT_COMPAT_USER_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int32_t s32;
typedef int64_t s64;

#ifndef U32_MAX
#define U32_MAX		((u32)~0U)
#endif
#ifndef S32_MAX
#define S32_MAX		((s32)(U32_MAX >> 1))
#endif

#define SZ_64K		0x00010000
#define SZ_1M		0x00100000
#define SZ_64M		0x04000000

#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define smp_load_acquire(p)	__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define smp_store_release(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define smp_mb()		__atomic_thread_fence(__ATOMIC_SEQ_CST)
#define smp_rmb()		__atomic_thread_fence(__ATOMIC_ACQUIRE)
#define smp_wmb()		__atomic_thread_fence(__ATOMIC_RELEASE)
#define barrier()		__asm__ __volatile__("" ::: "memory")

#define cmpxchg(p, o, n) __extension__ ({				\
	__typeof__(*(p)) __old = (o);					\
	__atomic_compare_exchange_n((p), &__old, (n), false,		\
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);\
	__old;								\
})

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)

#define min(a, b)	((a) < (b) ? (a) : (b))
#define max(a, b)	((a) > (b) ? (a) : (b))
#define min_t(t, a, b)	((t)(a) < (t)(b) ? (t)(a) : (t)(b))
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define BUILD_BUG_ON(c)	_Static_assert(!(c), #c)
/* the condition's value; user space prints nothing */
#define WARN_ON_ONCE(c)	__builtin_expect(!!(c), 0)
#define check_add_overflow(a, b, d)	__builtin_add_overflow(a, b, d)
#define fallthrough	__attribute__((__fallthrough__))
#define array_index_nospec(i, n)	(i)

#define wd_soft_core_lock_t		pthread_mutex_t
#define wd_soft_core_lock_init(l)	pthread_mutex_init((l), NULL)
#define wd_soft_core_lock(l)		pthread_mutex_lock(l)
#define wd_soft_core_unlock(l)		pthread_mutex_unlock(l)
/* sparse's lock-context annotations: nothing in user space */
#define __acquires(x)
#define __releases(x)
#define __acquire(x)			((void)0)
#define __release(x)			((void)0)

#define wd_soft_core_zalloc(n)	calloc(1, (n))
#define wd_soft_core_free(p)	free(p)

#ifndef container_of
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))
#endif

struct list_head {
	struct list_head *next, *prev;
};

static inline void INIT_LIST_HEAD(struct list_head *l)
{
	l->next = l;
	l->prev = l;
}

static inline bool list_empty(const struct list_head *l)
{
	return l->next == l;
}

static inline void list_add_tail(struct list_head *n, struct list_head *h)
{
	n->prev = h->prev;
	n->next = h;
	h->prev->next = n;
	h->prev = n;
}

static inline void list_del_init(struct list_head *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	INIT_LIST_HEAD(n);
}

static inline void list_move_tail(struct list_head *n, struct list_head *h)
{
	list_del_init(n);
	list_add_tail(n, h);
}

#define list_first_entry(h, type, member) container_of((h)->next, type, member)

static inline u16 get_unaligned_le16(const void *p)
{
	const u8 *b = p;

	return (u16)(b[0] | b[1] << 8);
}

static inline u32 get_unaligned_le32(const void *p)
{
	const u8 *b = p;

	return (u32)b[0] | (u32)b[1] << 8 | (u32)b[2] << 16 | (u32)b[3] << 24;
}

static inline u32 get_unaligned_be32(const void *p)
{
	const u8 *b = p;

	return (u32)b[0] << 24 | (u32)b[1] << 16 | (u32)b[2] << 8 | b[3];
}

static inline void put_unaligned_be32(u32 v, void *p)
{
	u8 *b = p;

	b[0] = v >> 24;
	b[1] = v >> 16;
	b[2] = v >> 8;
	b[3] = v;
}

static inline void put_unaligned_le32(u32 v, void *p)
{
	u8 *b = p;

	b[0] = (u8)v;
	b[1] = (u8)(v >> 8);
	b[2] = (u8)(v >> 16);
	b[3] = (u8)(v >> 24);
}

#endif /* _WD_SOFT_COMPAT_USER_H */
