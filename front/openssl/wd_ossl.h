/* SPDX-License-Identifier: MIT */
/*
 * wd_ossl.h: the OpenSSL 3 provider "wd" (docs/openssl.md), what its files
 * share:
 *   wd_prov.c    the provider: entry point, configuration, parameters,
 *                counters and the statistics line at exit, errors
 *   wd_digest.c  SHA-256: the digest context (a struct wd_sha256_state),
 *                updates to the device or to software on the same state
 *   wd_queue.c   the device side: one libwd queue per thread, opened
 *                lazily, renewed after fork() and after a failure
 * libwd is linked in statically (libwd.a); only OSSL_provider_init is
 * exported (wd.map).
 */
#ifndef WD_OSSL_H
#define WD_OSSL_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/core.h>
#include <openssl/core_dispatch.h>

#include "wd.h"

/* the device's largest source per request (wd.h: 64 MiB) */
#define WD_OSSL_MAX_REQ		(64u << 20)
/*
 * Updates of at least this many bytes go to the device by default. From
 * the crossover measured on the in-process device (docs/openssl.md): below
 * it a request's round trip costs more than hashing the bytes here.
 */
#define WD_OSSL_DEF_THRESHOLD	(256u << 10)

/* no device, or the device lost: WD_OSSL_FALLBACK */
enum wd_ossl_fallback {
	WD_OSSL_FB_SOFTWARE,	/* continue in software (default) */
	WD_OSSL_FB_FAIL,	/* fail the update, and the digest */
};

/* error reasons of the provider (wd_ossl_err()) */
enum wd_ossl_reason {
	WD_OSSL_R_DEVICE = 1,	/* the device could not take an update */
	WD_OSSL_R_FAILED,	/* the digest failed before: no result */
	WD_OSSL_R_BAD_ARG,	/* a caller's argument */
	WD_OSSL_R_NOMEM,	/* no memory for the gathered input */
};

/**
 * struct wd_ossl_prov - the provider context, one per load into a library
 *	context
 * @handle: the core's handle of this load
 * @threshold: updates of at least this many bytes go to the device
 * @fallback: what to do without a device
 * @new_error: the core's error functions (NULL when not offered)
 * @set_error_debug: ...
 * @vset_error: ...
 */
struct wd_ossl_prov {
	const OSSL_CORE_HANDLE *handle;
	size_t threshold;
	enum wd_ossl_fallback fallback;
	OSSL_FUNC_core_new_error_fn *new_error;
	OSSL_FUNC_core_set_error_debug_fn *set_error_debug;
	OSSL_FUNC_core_vset_error_fn *vset_error;
};

/*
 * The counters of the process (docs/openssl.md, "Counters"); a fork child
 * starts from zero. Requests: device requests (one per 64 MiB or less)
 * and software updates (one per update, or per the part of one left to
 * software). fallbacks: updates (or their rest) meant for the device that
 * software did; errors: queues that could not be opened and device
 * requests that failed.
 */
struct wd_ossl_stats {
	atomic_uint_least64_t offloaded_reqs;
	atomic_uint_least64_t offloaded_bytes;
	atomic_uint_least64_t software_reqs;
	atomic_uint_least64_t software_bytes;
	atomic_uint_least64_t fallbacks;
	atomic_uint_least64_t errors;
};
extern struct wd_ossl_stats wd_ossl_stats;

/* add @n to counter @c (relaxed: counters order nothing) */
#define WD_OSSL_COUNT(c, n) \
	atomic_fetch_add_explicit(&wd_ossl_stats.c, (n), memory_order_relaxed)

/**
 * wd_ossl_err() - raise an error in the caller's OpenSSL error queue
 * @p: the provider context
 * @reason: enum wd_ossl_reason
 * @fmt: printf-like details
 */
void wd_ossl_err(const struct wd_ossl_prov *p, int reason, const char *fmt,
		 ...) __attribute__((format(printf, 3, 4)));

/* wd_digest.c: the SHA-256 implementation's dispatch table */
extern const OSSL_DISPATCH wd_ossl_sha256_functions[];

/**
 * wd_ossl_dev_update() - add data to a SHA-256 state on this thread's queue
 * @st: the state; on return it holds exactly the bytes reported in @done
 * @data: the data
 * @len: its length, any size (sent in requests of at most 64 MiB)
 * @done: set to how many bytes of @data were added
 *
 * The state changes only by what the device is believed to have done: it
 * works on a copy, taken back after each request that completed OK. On
 * any failure the thread's queue is released (the next call opens a new
 * one; after a failed open, not before a second has passed).
 *
 * Context: any thread; @st not used by another at the same time.
 * Return: 0 (all added), or a negative errno (no queue, or a request
 * failed: the rest is the caller's).
 */
int wd_ossl_dev_update(struct wd_sha256_state *st, const uint8_t *data,
		       size_t len, size_t *done);

/**
 * wd_ossl_queue_init() - once per process: the thread key, the fork handler
 *
 * Return: 0 or a negative errno.
 */
int wd_ossl_queue_init(void);

/* wd_ossl_fork_gen: bumped in every fork child (wd_queue.c) */
extern atomic_ulong wd_ossl_fork_gen;

#ifdef WD_OSSL_TEST
/*
 * Test hooks, only in the test builds (build/front/ossl-test, ossl-asan):
 * WD_OSSL_TEST_LOCAL_ID=N creates the in-process instance "local/N" at
 * load, WD_OSSL_TEST_LOSE_AT=K deletes it while the K-th device request of
 * the process is in flight (sent, not yet received): a device lost
 * mid-digest, deterministically.
 */
void wd_ossl_test_init(void);
void wd_ossl_test_after_send(void);
#endif

#endif /* WD_OSSL_H */
