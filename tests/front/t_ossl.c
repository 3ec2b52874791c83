// SPDX-License-Identifier: MIT
/*
 * t_ossl: the OpenSSL provider "wd" (front/openssl, docs/openssl.md)
 * driven through EVP, natively on the in-process device. Every digest is
 * checked against OpenSSL's default provider; the counters (provider
 * parameters) say which side did the work. Each test runs in its own
 * process (tests/vm/t.c) and sets its environment before it loads the
 * provider, into a library context of its own:
 *  - splits: random update sizes across the threshold, 0-length updates;
 *    the bytes counted on each side are exactly the threshold rule's;
 *  - big: an update above 64 MiB goes as two requests; the default
 *    threshold;
 *  - copy: EVP_MD_CTX_copy_ex mid-digest (after device and software
 *    updates), both continued differently;
 *  - threads: threads with contexts of their own, and one context handed
 *    from thread to thread; (VM) a thread's queue released when it exits;
 *  - fork: a child continues a digest on a queue of its own (fallback
 *    fail: the parent's queue would fail it), its counters its own;
 *  - no device (WD_DEV_PATH=/dev/ua_nonexistent): software gives the
 *    right digests, fail fails the update and the digest;
 *  - device lost mid-digest (the test build's hook deletes the in-process
 *    instance while a request is in flight; in the VM the test deletes a
 *    wd_soft instance whose engines it holds): software continues
 *    exactly, fail fails;
 *  - parameters: identity, digest sizes, threshold, bad settings refused;
 *  - stats: WD_OSSL_STATS's line at exit, appended, nothing on
 *    stdout/stderr.
 * t_ossl loads build/front/ossl-modules/wd.so (the hook tests: ossl-test/),
 * t_ossl-asan the sanitized build (ossl-asan/) for all of them. In the VM
 * (built without T_NATIVE into build/vm/bin, dynamic) the same tests run on
 * the kernel's wd_soft (any device: WD_DEV_PATH unset) with the module in
 * ossl-modules/ beside the program; the lost-device tests, which need the
 * in-process device's hook, are skipped there.
 */
#include "t.h"

#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/provider.h>

#ifndef T_OSSL_DIR
#define T_OSSL_DIR	"ossl-modules"
#endif
#ifndef T_OSSL_TEST_DIR
#define T_OSSL_TEST_DIR	"ossl-test"
#endif

static OSSL_LIB_CTX *g_lc;
static OSSL_PROVIDER *g_prov;
static EVP_MD *g_md;		/* wd's SHA-256 */

/*
 * build/front/<sub>, from where this program is (build/native/bin); in the
 * VM <sub> beside the program
 */
static void mod_dir(const char *sub, char *dir, size_t len)
{
	char exe[PATH_MAX];
	ssize_t l = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	T_ASSERT(l > 0);
	exe[l] = 0;
	*strrchr(exe, '/') = 0;
#ifdef T_NATIVE
	T_ASSERT((size_t)snprintf(dir, len, "%s/../../front/%s", exe, sub) < len);
#else
	T_ASSERT((size_t)snprintf(dir, len, "%s/%s", exe, sub) < len);
#endif
}

/* the device of the tests: the in-process one, or in the VM any */
static void use_dev(void)
{
#ifdef T_NATIVE
	setenv("WD_DEV_PATH", "local", 1);
#else
	unsetenv("WD_DEV_PATH");
#endif
}

/* the provider from build/front/<sub> into a new library context, or NULL */
static OSSL_PROVIDER *try_load(const char *sub)
{
	char dir[PATH_MAX + 64];

	mod_dir(sub, dir, sizeof(dir));
	g_lc = OSSL_LIB_CTX_new();
	T_ASSERT(g_lc);
	T_ASSERT(OSSL_PROVIDER_set_default_search_path(g_lc, dir));
	return OSSL_PROVIDER_load(g_lc, "wd");
}

static void load_from(const char *sub)
{
	g_prov = try_load(sub);
	if (!g_prov)
		T_FAIL("OSSL_PROVIDER_load(wd) from build/front/%s failed", sub);
	g_md = EVP_MD_fetch(g_lc, "SHA256", "provider=wd");
	T_ASSERT(g_md);
}

static void load(void)
{
	load_from(T_OSSL_DIR);
}

static uint64_t counter(const char *name)
{
	uint64_t v = ~0ull;
	OSSL_PARAM p[] = { OSSL_PARAM_uint64(name, &v), OSSL_PARAM_END };

	T_ASSERT(OSSL_PROVIDER_get_params(g_prov, p));
	T_ASSERT_MSG(OSSL_PARAM_modified(p), "no parameter %s", name);
	return v;
}

/* the reference: the default provider's one-shot SHA-256 */
static void ref_sha(const void *p, size_t n, unsigned char md[32])
{
	unsigned int len = 0;
	EVP_MD *d = EVP_MD_fetch(NULL, "SHA256", "provider=default");

	T_ASSERT(d);
	T_ASSERT(EVP_Digest(p, n, md, &len, d, NULL) == 1 && len == 32);
	EVP_MD_free(d);
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static unsigned char *data(size_t n, uint64_t seed)
{
	unsigned char *p = malloc(n ? n : 1);

	T_ASSERT(p);
	t_fill_random(p, n, seed);
	return p;
}

static EVP_MD_CTX *start(void)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	T_ASSERT(c && EVP_DigestInit_ex(c, g_md, NULL) == 1);
	return c;
}

static void upd(EVP_MD_CTX *c, const void *p, size_t n)
{
	if (EVP_DigestUpdate(c, p, n) != 1)
		T_FAIL("EVP_DigestUpdate(%zu bytes) failed", n);
}

/* finish @c, compare with the reference of @p's @n bytes; frees @c */
static void check(EVP_MD_CTX *c, const void *p, size_t n, const char *what)
{
	unsigned char got[32], want[32];
	unsigned int len = 0;

	T_ASSERT_MSG(EVP_DigestFinal_ex(c, got, &len) == 1 && len == 32,
		     "%s: final failed", what);
	EVP_MD_CTX_free(c);
	ref_sha(p, n, want);
	T_ASSERT_MSG(!memcmp(got, want, 32), "%s: wrong digest of %zu bytes",
		     what, n);
}

/* ---- the threshold rule ---- */

TEST(splits)
{
	enum { THR = 10000, N = 300000 };
	unsigned char *d = data(N, 1);
	uint64_t seed = 42, dev = 0, soft = 0, dev_reqs = 0, soft_reqs = 0;

	use_dev();
	setenv("WD_OSSL_THRESHOLD", "10000", 1);
	load();
	T_EQ(counter("threshold"), THR);
	for (int round = 0; round < 30; round++) {
		size_t n = rnd(&seed) % N, at = 0, held = 0;
		EVP_MD_CTX *c = start();

		while (at < n) {
			/* 0-length, just below, at and above the threshold */
			static const size_t edge[] = { 0, 1, THR - 1, THR, THR + 1 };
			uint64_t r = rnd(&seed);
			size_t k = r % 4 ? (r >> 8) % (3 * THR) : edge[(r >> 8) % 5];

			if (k > n - at)
				k = n - at;
			upd(c, d + at, k);
			at += k;
			/* the rule: gathered input tops up to a request of
			 * THR; an update of THR or more goes as it is; less is
			 * gathered; what is gathered at the end, software */
			if (held && k) {
				size_t take = THR - held < k ? THR - held : k;

				held += take;
				k -= take;
				if (held == THR)
					dev += THR, dev_reqs++, held = 0;
			}
			if (k >= THR)
				dev += k, dev_reqs++;
			else if (k)
				held = k;
		}
		if (held)
			soft += held, soft_reqs++;
		check(c, d, n, "random splits");
	}
	T_ASSERT(dev_reqs > 0 && soft_reqs > 0);
	T_EQ(counter("offloaded-bytes"), dev);
	T_EQ(counter("offloaded-requests"), dev_reqs);
	T_EQ(counter("software-bytes"), soft);
	T_EQ(counter("software-requests"), soft_reqs);
	T_EQ(counter("fallbacks"), 0);
	T_EQ(counter("errors"), 0);
	free(d);
}

/* small updates gathered into requests of the threshold (openssl dgst's
 * 8 KiB reads), at the default threshold */
TEST(gather)
{
	enum { K = 8192, N = (1 << 20) + 12345 };
	unsigned char *d = data(N, 7);
	EVP_MD_CTX *c;
	size_t at;

	use_dev();
	unsetenv("WD_OSSL_THRESHOLD");
	load();
	c = start();
	for (at = 0; at < N; at += K)
		upd(c, d + at, N - at < K ? N - at : K);
	check(c, d, N, "8 KiB updates");
	T_EQ(counter("offloaded-requests"), N / (256 << 10));
	T_EQ(counter("offloaded-bytes"), (N / (256 << 10)) * (256 << 10));
	T_EQ(counter("software-bytes"), N % (256 << 10));
	T_EQ(counter("software-requests"), 1);
	free(d);
}

T_TEST_TMO(big, 120)
{
	const size_t n = (64u << 20) + 1000;
	unsigned char *d = data(n, 2);
	EVP_MD_CTX *c;

	use_dev();
	unsetenv("WD_OSSL_THRESHOLD");
	load();
	T_EQ(counter("threshold"), 256 << 10);	/* the documented default */
	c = start();
	upd(c, d, n - 3);			/* two requests: 64 MiB and the rest */
	upd(c, d + n - 3, 3);			/* gathered, software at the end */
	check(c, d, n, "64 MiB + 1000");
	T_EQ(counter("offloaded-requests"), 2);
	T_EQ(counter("offloaded-bytes"), n - 3);
	T_EQ(counter("software-bytes"), 3);
	free(d);
}

/* ---- EVP_MD_CTX_copy_ex ---- */

TEST(copy)
{
	enum { N = 400000, CUT = 150001 };
	unsigned char *a = data(N, 3), *b = malloc(N);
	EVP_MD_CTX *ca, *cb;

	T_ASSERT(b);
	memcpy(b, a, CUT);
	t_fill_random(b + CUT, N - CUT, 4);
	use_dev();
	setenv("WD_OSSL_THRESHOLD", "65536", 1);
	load();
	/* copied after a device update, then holding gathered input */
	for (int k = 0; k < 2; k++) {
		ca = start();
		upd(ca, a, 100000);		/* device */
		if (k)
			upd(ca, a + 100000, CUT - 100000); /* gathered */
		cb = EVP_MD_CTX_new();
		T_ASSERT(cb && EVP_MD_CTX_copy_ex(cb, ca) == 1);
		if (!k) {
			upd(ca, a + 100000, N - 100000);
			upd(cb, b + 100000, 100);
			upd(cb, b + 100100, N - 100100);
		} else {
			upd(ca, a + CUT, 7);
			upd(ca, a + CUT + 7, N - CUT - 7);
			upd(cb, b + CUT, N - CUT);
		}
		check(ca, a, N, "the original");
		check(cb, b, N, "the copy");
	}
	/* (the gathered input was copied, or the copy's digest is wrong) */
	T_ASSERT(counter("offloaded-requests") >= 6);
	free(a);
	free(b);
}

/* ---- threads ---- */

enum { TN = 4, TLEN = 1 << 20 };
static unsigned char *t_data;

static void *digest_thread(void *arg)
{
	uint64_t seed = (uintptr_t)arg + 1;

	for (int round = 0; round < 8; round++) {
		size_t n = rnd(&seed) % TLEN, at = 0;
		EVP_MD_CTX *c = start();

		while (at < n) {
			size_t k = rnd(&seed) % 200000;

			if (k > n - at)
				k = n - at;
			upd(c, t_data + at, k);
			at += k;
		}
		check(c, t_data, n, "thread");
	}
	return NULL;
}

/* one step of the handed context: an update of the next 300000 bytes */
static EVP_MD_CTX *t_handed;
static size_t t_handed_at;

static void *handed_step(void *arg)
{
	(void)arg;
	upd(t_handed, t_data + t_handed_at, 300000);
	t_handed_at += 300000;
	return NULL;
}

TEST(threads)
{
	pthread_t th[TN];

	t_data = data(TLEN, 5);
	use_dev();
	setenv("WD_OSSL_THRESHOLD", "50000", 1);
	load();
	for (uintptr_t i = 0; i < TN; i++)
		T_EQ(pthread_create(&th[i], NULL, digest_thread, (void *)i), 0);
	for (int i = 0; i < TN; i++)
		T_EQ(pthread_join(th[i], NULL), 0);
	/* one context, three threads (each with its queue), one after the
	 * other; the first thread has exited (its queue released) before
	 * the next updates */
	t_handed = start();
	for (int i = 0; i < 3; i++) {
		pthread_t t;

		T_EQ(pthread_create(&t, NULL, handed_step, NULL), 0);
		T_EQ(pthread_join(t, NULL), 0);
	}
	upd(t_handed, t_data + t_handed_at, 1000);	/* this thread, software */
	check(t_handed, t_data, t_handed_at + 1000, "handed between threads");
	T_ASSERT(counter("offloaded-requests") >= 3);
	T_EQ(counter("errors"), 0);
	T_EQ(counter("fallbacks"), 0);
	free(t_data);
}

/*
 * VM: a thread's queue is the thread's, released when it exits (the
 * device's free queues say so: available_instances)
 */
static pthread_barrier_t q_bar;
static unsigned char *q_data;

static void *queue_thread(void *arg)
{
	EVP_MD_CTX *c = start();

	(void)arg;
	upd(c, q_data, 100000);		/* this thread's queue opens */
	check(c, q_data, 100000, "thread");
	pthread_barrier_wait(&q_bar);	/* the main thread counts */
	pthread_barrier_wait(&q_bar);
	return NULL;
}

TEST(thread_exit_releases)
{
	struct t_inst in;
	char path[32];
	long long n0;
	pthread_t th;

	T_NEED_KERNEL("counts the device's free queues (available_instances)");
	in = t_inst_create("mode=sva");
	q_data = data(100000, 13);
	setenv("WD_DEV_PATH", t_dev_path(in.ua, path), 1);
	setenv("WD_OSSL_THRESHOLD", "1000", 1);
	load();
	n0 = t_attr_ll(in.ua, "available_instances");
	T_EQ(pthread_barrier_init(&q_bar, NULL, 2), 0);
	T_EQ(pthread_create(&th, NULL, queue_thread, NULL), 0);
	pthread_barrier_wait(&q_bar);
	T_EQ(t_attr_ll(in.ua, "available_instances"), n0 - 1);
	pthread_barrier_wait(&q_bar);
	T_EQ(pthread_join(th, NULL), 0);
	T_WAIT_UNTIL(t_attr_ll(in.ua, "available_instances") == n0,
		     "the exited thread's queue is still taken");
	free(q_data);
}

/* ---- fork ---- */

TEST(fork_child)
{
	enum { N = 600000 };
	unsigned char *d = data(N, 6);
	EVP_MD_CTX *c;
	pid_t pid;

	use_dev();
	setenv("WD_OSSL_THRESHOLD", "100000", 1);
	/* no device, or a device refusing us, fails the update */
	setenv("WD_OSSL_FALLBACK", "fail", 1);
	load();
	c = start();
	upd(c, d, 200000);		/* the parent's queue opens */
	T_EQ(counter("offloaded-requests"), 1);
	pid = fork();
	T_ASSERT(pid >= 0);
	if (!pid) {
		/* the child: counters of its own, a queue of its own */
		T_EQ(counter("offloaded-requests"), 0);
		upd(c, d + 200000, 200000);
		upd(c, d + 400000, N - 400000);
		T_EQ(counter("offloaded-requests"), 2);
		T_EQ(counter("errors"), 0);
		check(c, d, N, "the fork child's");
		_exit(0);
	}
	t_wait_ok(pid, 30000);
	/* the parent's queue is still its own */
	upd(c, d + 200000, N - 200000);
	T_EQ(counter("offloaded-requests"), 2);
	check(c, d, N, "the parent's");
	free(d);
}

/* ---- no device ---- */

TEST(no_device_software)
{
	enum { N = 500000 };
	unsigned char *d = data(N, 7);
	EVP_MD_CTX *c;

	setenv("WD_DEV_PATH", "/dev/ua_nonexistent", 1);
	setenv("WD_OSSL_THRESHOLD", "1000", 1);
	unsetenv("WD_OSSL_FALLBACK");
	load();
	for (int i = 0; i < 3; i++) {
		c = start();
		upd(c, d, 5000);
		upd(c, d + 5000, 10);
		upd(c, d + 5010, N - 5010);
		check(c, d, N, "no device, software");
	}
	/* three requests a round: 5000, the 10 gathered and topped up to
	 * 1000, the rest */
	T_EQ(counter("offloaded-requests"), 0);
	T_EQ(counter("fallbacks"), 9);
	T_EQ(counter("software-bytes"), 3 * N);
	T_ASSERT(counter("errors") >= 1);	/* the opens that failed */
	free(d);
}

TEST(no_device_fail)
{
	enum { N = 50000 };
	unsigned char *d = data(N, 8), md[32];
	unsigned int len;
	EVP_MD_CTX *c;

	setenv("WD_DEV_PATH", "/dev/ua_nonexistent", 1);
	setenv("WD_OSSL_THRESHOLD", "1000", 1);
	setenv("WD_OSSL_FALLBACK", "fail", 1);
	load();
	c = start();
	upd(c, d, 999);			/* below the threshold: gathered */
	ERR_clear_error();
	T_EQ(EVP_DigestUpdate(c, d + 999, N - 999), 0);
	T_ASSERT(ERR_peek_error() != 0);
	/* and no digest at all from it, not a wrong one */
	T_EQ(EVP_DigestUpdate(c, d, 10), 0);
	T_EQ(EVP_DigestFinal_ex(c, md, &len), 0);
	/* a new digest of less than the threshold in all works */
	T_EQ(EVP_DigestInit_ex(c, g_md, NULL), 1);
	upd(c, d, 500);
	upd(c, d + 500, 499);
	check(c, d, 999, "small updates, fail mode");
	T_EQ(counter("offloaded-requests"), 0);
	T_EQ(counter("fallbacks"), 0);
	free(d);
}

/* ---- the device lost mid-digest (the test build's hook) ---- */

/* instance 7 of the provider's own in-process device, deleted while its
 * @at-th request is in flight */
static void lose_at(const char *at, const char *fallback)
{
	T_NEED_LOCAL("the test hook deletes an in-process device");
	setenv("WD_OSSL_TEST_LOCAL_ID", "7", 1);
	setenv("WD_DEV_PATH", "local/7", 1);
	setenv("WD_OSSL_TEST_LOSE_AT", at, 1);
	setenv("WD_OSSL_THRESHOLD", "1000", 1);
	setenv("WD_OSSL_FALLBACK", fallback, 1);
	load_from(T_OSSL_TEST_DIR);
}

TEST(lost_software)
{
	enum { N = 500000 };
	unsigned char *d = data(N, 9);
	EVP_MD_CTX *c;

	lose_at("3", "software");
	c = start();
	for (int i = 0; i < 5; i++)	/* the third is lost in flight */
		upd(c, d + i * 100000, 100000);
	check(c, d, N, "device lost mid-digest, software");
	T_EQ(counter("offloaded-requests"), 2);
	T_EQ(counter("offloaded-bytes"), 200000);
	T_EQ(counter("software-bytes"), 300000);
	T_EQ(counter("fallbacks"), 3);
	T_ASSERT(counter("errors") >= 2);	/* the request, the reopen */
	free(d);
}

TEST(lost_fail)
{
	enum { N = 500000 };
	unsigned char *d = data(N, 10), md[32];
	unsigned int len;
	EVP_MD_CTX *c;

	lose_at("2", "fail");
	c = start();
	upd(c, d, 100000);
	T_EQ(EVP_DigestUpdate(c, d + 100000, 100000), 0);
	T_EQ(EVP_DigestFinal_ex(c, md, &len), 0);
	EVP_MD_CTX_free(c);
	T_EQ(counter("offloaded-requests"), 1);
	T_EQ(counter("fallbacks"), 0);
	free(d);
}

/*
 * The same on the kernel's wd_soft (VM), with no hook: an instance of our
 * own, its engines held so that the update's request stays in flight, the
 * instance deleted once the updating thread sleeps waiting for it.
 */
struct lk {
	EVP_MD_CTX *c;
	const unsigned char *p;
	_Atomic pid_t tid;
	int ret;
};

static void *lk_update(void *arg)
{
	struct lk *l = arg;

	atomic_store(&l->tid, t_gettid());
	l->ret = EVP_DigestUpdate(l->c, l->p, 100000);
	return NULL;
}

static void lost_kernel(const char *fallback)
{
	enum { N = 400000 };
	unsigned char *d = data(N, 12), md[32];
	struct lk l = { 0 };
	struct t_inst in;
	unsigned int len;
	char path[32];
	pthread_t th;

	T_NEED_KERNEL("deletes a wd_soft instance with a request in flight");
	in = t_inst_create("mode=sva");
	setenv("WD_DEV_PATH", t_dev_path(in.ua, path), 1);
	setenv("WD_OSSL_THRESHOLD", "1000", 1);
	setenv("WD_OSSL_FALLBACK", fallback, 1);
	load();
	l.c = start();
	upd(l.c, d, 100000);			/* on the device */
	t_hold(in.id, true);
	l.p = d + 100000;
	T_EQ(pthread_create(&th, NULL, lk_update, &l), 0);
	T_WAIT_UNTIL(atomic_load(&l.tid), "the updating thread did not start");
	t_wait_asleep_in(atomic_load(&l.tid), SYS_poll, SYS_ppoll,
			 "the update on the held device");
	t_inst_delete(&in);			/* the device goes */
	T_EQ(pthread_join(th, NULL), 0);
	T_EQ(counter("offloaded-requests"), 1);
	if (!strcmp(fallback, "software")) {
		T_EQ(l.ret, 1);
		upd(l.c, d + 200000, N - 200000);
		check(l.c, d, N, "device deleted mid-digest, software");
		T_ASSERT(counter("fallbacks") >= 2);
	} else {
		T_EQ(l.ret, 0);
		T_EQ(EVP_DigestFinal_ex(l.c, md, &len), 0);
		EVP_MD_CTX_free(l.c);
		T_EQ(counter("fallbacks"), 0);
	}
	T_ASSERT(counter("errors") >= 1);
	free(d);
}

TEST(lost_kernel_software)
{
	lost_kernel("software");
}

TEST(lost_kernel_fail)
{
	lost_kernel("fail");
}

/* ---- parameters ---- */

TEST(params)
{
	char *name = NULL, *version = NULL, *info = NULL;
	int status = 0;
	OSSL_PARAM p[] = {
		OSSL_PARAM_utf8_ptr(OSSL_PROV_PARAM_NAME, &name, 0),
		OSSL_PARAM_utf8_ptr(OSSL_PROV_PARAM_VERSION, &version, 0),
		OSSL_PARAM_utf8_ptr(OSSL_PROV_PARAM_BUILDINFO, &info, 0),
		OSSL_PARAM_int(OSSL_PROV_PARAM_STATUS, &status),
		OSSL_PARAM_END
	};
	static const char *const bad[][2] = {
		{ "WD_OSSL_THRESHOLD", "" }, { "WD_OSSL_THRESHOLD", "12x" },
		{ "WD_OSSL_THRESHOLD", "-1" }, { "WD_OSSL_THRESHOLD", "+5" },
		{ "WD_OSSL_THRESHOLD", "99999999999999999999999" },
		{ "WD_OSSL_FALLBACK", "maybe" }, { "WD_OSSL_FALLBACK", "" },
	};

	setenv("WD_OSSL_THRESHOLD", "12345", 1);
	load();
	T_ASSERT(OSSL_PROVIDER_get_params(g_prov, p));
	T_ASSERT(name && strstr(name, "wd"));
	T_ASSERT(version && version[0]);
	T_ASSERT(info && strstr(info, "libwd"));
	T_EQ(status, 1);
	T_EQ(counter("threshold"), 12345);
	T_STREQ(OSSL_PROVIDER_get0_name(g_prov), "wd");
	T_EQ(EVP_MD_get_size(g_md), 32);
	T_EQ(EVP_MD_get_block_size(g_md), 64);
	T_ASSERT(EVP_MD_is_a(g_md, "SHA2-256") && EVP_MD_is_a(g_md, "SHA-256") &&
		 EVP_MD_is_a(g_md, "2.16.840.1.101.3.4.2.1"));
	/* settings the provider cannot use: it does not load */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		OSSL_PROVIDER *pr;

		unsetenv("WD_OSSL_THRESHOLD");
		unsetenv("WD_OSSL_FALLBACK");
		setenv(bad[i][0], bad[i][1], 1);
		pr = try_load(T_OSSL_DIR);
		T_ASSERT_MSG(!pr, "loaded with %s=\"%s\"", bad[i][0], bad[i][1]);
	}
	ERR_clear_error();
}

/* ---- the statistics line ---- */

TEST(stats)
{
	char path[] = "/tmp/t_ossl_statsXXXXXX", out[] = "/tmp/t_ossl_outXXXXXX";
	char buf[1024], want[512];
	int fd = mkstemp(path), ofd = mkstemp(out);
	unsigned char *d = data(400000, 11);
	ssize_t n;
	pid_t pid;

	T_ASSERT(fd >= 0 && ofd >= 0);
	T_OK(write(fd, "earlier line\n", 13));
	close(fd);
	pid = fork();
	T_ASSERT(pid >= 0);
	if (!pid) {
		EVP_MD_CTX *c;

		/* stdout and stderr into a file: nothing must go there */
		dup2(ofd, 1);
		dup2(ofd, 2);
		setenv("WD_OSSL_STATS", path, 1);
		use_dev();
		setenv("WD_OSSL_THRESHOLD", "100000", 1);
		load();
		c = start();
		upd(c, d, 300000);
		upd(c, d + 300000, 100);
		check(c, d, 300100, "stats");
		exit(0);	/* atexit: the line */
	}
	t_wait_ok(pid, 30000);
	fd = T_OK(open(path, O_RDONLY));
	n = T_OK(read(fd, buf, sizeof(buf) - 1));
	buf[n] = 0;
	close(fd);
	snprintf(want, sizeof(want),
		 "earlier line\nwd-ossl pid=%d offloaded_reqs=1 offloaded_bytes=300000 "
		 "software_reqs=1 software_bytes=100 fallbacks=0 errors=0\n",
		 (int)pid);
	T_STREQ(buf, want);
	T_EQ(lseek(ofd, 0, SEEK_END), 0);
	close(ofd);
	unlink(path);
	unlink(out);
	free(d);
}
