// SPDX-License-Identifier: MIT
/*
 * t_libwd: the tests of libwd (include/wd.h), one source for every device.
 *
 * Built natively (T_NATIVE: on the in-process device, "local:MODE"; also
 * with ASan and UBSan) and statically for the VM (on wd_soft instances the
 * test creates, "/dev/uaN"). Tests named NAME.sva, NAME.pasid and
 * NAME.noiommu run once per memory mode; the discovery tests need the VM's
 * sysfs. Results are checked against independent references: zlib for the
 * compression formats, ref.c for SHA-256 and CRC-32C.
 *
 * The runner is the VM suite's (tests/vm/t.c): each test in its own child,
 * PASS:/FAIL:/SKIP: lines.
 */
#include "t.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "ref.h"
#include "wd.h"
#ifdef T_NATIVE
/* the in-process device behind a queue, for its hold */
#include "soft/wd_soft_local.h"
#include "wd_priv.h"
#endif


/* ---- memory modes ---- */

static char g_dev[WD_DEV_PATH_MAX];	/* the device of this test */
static int g_id = -1;			/* VM: its wd_soft instance */
static uint32_t g_mode;			/* its WD_DEV_* mode */
static const char *g_mode_name;

/* a second device of the same mode ("" natively: the same device) */
static void other_dev(char *buf)
{
#ifdef T_NATIVE
	strcpy(buf, g_dev);
#else
	char opts[32];

	snprintf(opts, sizeof(opts), "mode=%s", g_mode_name);
	t_dev_path(t_inst_create(opts).ua, buf);
#endif
}

static void use_mode(const char *name, uint32_t mode)
{
	g_mode = mode;
	g_mode_name = name;
#ifdef T_NATIVE
	snprintf(g_dev, sizeof(g_dev), "local:%s", name);
#else
	char opts[32];
	struct t_inst in;

	snprintf(opts, sizeof(opts), "mode=%s", name);
	in = t_inst_create(opts);
	g_id = in.id;
	t_dev_path(in.ua, g_dev);
#endif
}

/* a test run once per memory mode */
#define MTEST(name)							\
	static void name(void);						\
	static void name##__sva(void) { use_mode("sva", WD_DEV_SVA); name(); } \
	static void name##__pasid(void) { use_mode("pasid", WD_DEV_PASID); name(); } \
	static void name##__noiommu(void) { use_mode("noiommu", WD_DEV_NOIOMMU); name(); } \
	__attribute__((constructor)) static void name##__reg(void)	\
	{								\
		t_register(#name ".sva", name##__sva, 120);		\
		t_register(#name ".pasid", name##__pasid, 120);	\
		t_register(#name ".noiommu", name##__noiommu, 120);	\
	}								\
	static void name(void)

static void vm_only(void)
{
#ifdef T_NATIVE
	t_skip("needs wd_soft devices in sysfs (VM)");
#endif
}

/* ---- helpers ---- */

/*
 * Hold the engines of @q's device (VM: of instance @id): they take no
 * request until released, so that "not done yet" is a certainty.
 */
static void dev_hold(struct wd_queue *q, int id, bool on)
{
#ifdef T_NATIVE
	struct wd_q *p = q->priv;

	(void)id;
	T_EQ(wdl_dev_set_hold(wdl_queue_dev(p->tp_priv), on), 0);
#else
	(void)q;
	t_hold(id, on);
#endif
}

/* what a thread sleeping in wd_recv_sync() sleeps in */
#ifdef T_NATIVE
#define WAIT_NR1	SYS_futex	/* wdl_queue_wait() */
#define WAIT_NR2	SYS_futex
#else
#define WAIT_NR1	SYS_poll
#define WAIT_NR2	SYS_ppoll
#endif

static int q_try(struct wd_queue *q, const char *alg, const char *dev)
{
	memset(q, 0, sizeof(*q));
	q->capa.alg = alg;
	snprintf(q->dev_path, sizeof(q->dev_path), "%s", dev);
	return wd_request_queue(q);
}

static void q_open_on(struct wd_queue *q, const char *alg, const char *dev)
{
	int r = q_try(q, alg, dev);

	if (r)
		T_FAIL("wd_request_queue(%s on \"%s\"): %s", alg, dev,
		       t_errname(-r));
}

static void q_open(struct wd_queue *q, const char *alg)
{
	q_open_on(q, alg, g_dev);
}

static void *q_mem(struct wd_queue *q, size_t size)
{
	void *p = wd_reserve_memory(q, size);

	if (!p)
		T_FAIL("wd_reserve_memory(%zu): %s", size, t_errname(errno));
	return p;
}

/* send, then wait for the same request back */
static void run(struct wd_queue *q, void *req)
{
	void *r = NULL;
	int ret;

	ret = wd_send(q, req);
	if (ret)
		T_FAIL("wd_send: %s", t_errname(-ret));
	ret = wd_recv_wait(q, &r, 30000);
	if (ret != 1)
		T_FAIL("wd_recv_wait: %d (%s)", ret, t_errname(-ret));
	T_ASSERT(r == req);
}

/* text-like data that compresses */
static void fill_text(void *buf, size_t len, uint64_t seed)
{
	static const char *const words[] = {
		"warp ", "drive ", "queue ", "accelerator ", "ring ",
		"doorbell ", "engine ", "deflate ", "the ", "a ", "\n",
	};
	char *p = buf;
	size_t i = 0;

	while (i < len) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		const char *w = words[(seed >> 33) % 11];

		for (; *w && i < len; w++)
			p[i++] = *w;
	}
}

/* zlib reference: inflate @len bytes in format @alg, 0 or a zlib error */
static int ref_inflate(const char *alg, const void *in, size_t len, void *out,
		       size_t room, size_t *out_len)
{
	int wbits = !strcmp(alg, "deflate") ? -15 : !strcmp(alg, "zlib") ? 15 : 31;
	z_stream zs = { 0 };
	int r;

	if (inflateInit2(&zs, wbits) != Z_OK)
		return Z_MEM_ERROR;
	zs.next_in = (void *)in;
	zs.avail_in = len;
	zs.next_out = out;
	zs.avail_out = room;
	r = inflate(&zs, Z_FINISH);
	*out_len = zs.total_out;
	if (r == Z_STREAM_END && zs.avail_in)
		r = Z_DATA_ERROR;	/* trailing garbage */
	inflateEnd(&zs);
	return r == Z_STREAM_END ? 0 : r;
}

static size_t ref_deflate(const char *alg, int level, const void *in,
			  size_t len, void *out, size_t room)
{
	int wbits = !strcmp(alg, "deflate") ? -15 : !strcmp(alg, "zlib") ? 15 : 31;
	z_stream zs = { 0 };

	T_ASSERT(deflateInit2(&zs, level, Z_DEFLATED, wbits, 8,
			      Z_DEFAULT_STRATEGY) == Z_OK);
	zs.next_in = (void *)in;
	zs.avail_in = len;
	zs.next_out = out;
	zs.avail_out = room;
	T_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
	deflateEnd(&zs);
	return zs.total_out;
}

static uint32_t le32(const void *p)
{
	const uint8_t *b = p;

	return b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
}

/* ---- the references themselves ---- */

TEST(reference_vectors)
{
	static const uint8_t abc[32] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
		0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
		0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
	};
	static const uint8_t empty[4] = { 0xe3, 0xb0, 0xc4, 0x42 };
	uint8_t d[32];

	ref_sha256("abc", 3, d);
	T_ASSERT(!memcmp(d, abc, 32));
	ref_sha256("", 0, d);
	T_ASSERT(!memcmp(d, empty, 4));
	T_EQ_HEX(ref_crc32c(0, "123456789", 9), 0xe3069283);
	T_EQ_HEX(ref_crc32c(ref_crc32c(0, "1234", 4), "56789", 5), 0xe3069283);
}

/* ---- queues ---- */

MTEST(queue_info)
{
	struct wd_queue q;

	q_open(&q, "copy");
	T_ASSERT(q.priv);
	T_EQ_HEX(q.dev_flags & WD_DEV_MODES, g_mode);
	T_STREQ(q.dev_path, g_dev);
#ifdef T_NATIVE
	T_ASSERT(q.dev_flags & WD_DEV_LOCAL);
#else
	T_ASSERT(!(q.dev_flags & WD_DEV_LOCAL));
#endif
	T_EQ(q.depth, 1024);
	T_ASSERT(q.ss_max >= (4u << 20));
	wd_release_queue(&q);
	T_ASSERT(!q.priv);
}

MTEST(request_errors)
{
	struct wd_queue q;

	T_EQ(wd_request_queue(NULL), -EINVAL);
	T_EQ(q_try(&q, NULL, g_dev), -EINVAL);
	T_EQ(q_try(&q, "", g_dev), -EINVAL);
	T_EQ(q_try(&q, "md5", g_dev), -ENODEV);		/* unknown algorithm */
	T_EQ(q_try(&q, "copy", "bogus"), -EINVAL);
	T_EQ(q_try(&q, "copy", "local:fast"), -EINVAL);
	T_EQ(q_try(&q, "copy", "/dev/ua9999"), -ENOENT);
	T_EQ(q_try(&q, "copy", "/dev/ua1x"), -EINVAL);

	memset(&q, 0, sizeof(q));
	q.capa.alg = "copy";
	strcpy(q.dev_path, g_dev);
	q.capa.flags = 1u << 5;				/* unknown mode bit */
	T_EQ(wd_request_queue(&q), -EINVAL);
	q.capa.flags = WD_DEV_MODES & ~g_mode;		/* not this device */
	T_EQ(wd_request_queue(&q), -ENODEV);
	q.capa.flags = g_mode;
	q.priv = &q;					/* not zeroed */
	T_EQ(wd_request_queue(&q), -EINVAL);
	q.priv = NULL;
	memset(q.dev_path, 'a', sizeof(q.dev_path));	/* no NUL */
	T_EQ(wd_request_queue(&q), -EINVAL);
	strcpy(q.dev_path, g_dev);
	T_EQ(wd_request_queue(&q), 0);
	T_EQ(wd_request_queue(&q), -EINVAL);		/* already requested */
	wd_release_queue(&q);
}

MTEST(nop)
{
	struct wd_copy_req req;
	struct wd_queue q;

	q_open(&q, "nop");
	wd_prep_copy(&req, NULL, NULL, 0);
	req.status = 12345;
	req.out_len = 99;
	req.user_data = &q;
	run(&q, &req);
	T_EQ(req.status, 0);
	T_EQ(req.out_len, 0);
	T_ASSERT(req.user_data == &q);
	wd_release_queue(&q);
}

MTEST(copy_sizes)
{
	static const uint32_t sizes[] = { 0, 1, 63, 4096, 65537, 1 << 20 };
	struct wd_copy_req req;
	struct wd_queue q;
	uint8_t *mem, *src, *dst;

	q_open(&q, "copy");
	mem = q_mem(&q, 4 << 20);
	src = mem;
	dst = mem + (2 << 20);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint32_t n = sizes[i];

		t_fill_random(src, n, n + 1);
		memset(dst, 0xa5, n + 16);
		wd_prep_copy(&req, dst, src, n);
		run(&q, &req);
		T_EQ(req.status, 0);
		T_EQ(req.out_len, n);
		T_ASSERT_MSG(!memcmp(src, dst, n), "copy of %u bytes differs", n);
		T_EQ(dst[n], 0xa5);
	}
	/* too little room: nothing written, the size needed */
	memset(dst, 0xa5, 4096);
	wd_prep_copy(&req, dst, src, 4096);
	req.dst_len = 4095;
	run(&q, &req);
	T_EQ(req.status, -ENOSPC);
	T_EQ(req.out_len, 4096);
	T_EQ(dst[0], 0xa5);
	wd_release_queue(&q);
}

/* a full ring: -EBUSY, nothing visible before wd_flush(), then recovery */
MTEST(full_queue)
{
	enum { SZ = 256 };
	struct wd_copy_req *reqs, extra;
	struct wd_queue q;
	uint8_t *mem;
	uint32_t depth;
	void *r;

	q_open(&q, "copy");
	depth = q.depth;
	reqs = calloc(depth + 1, sizeof(*reqs));
	T_ASSERT(reqs);
	mem = q_mem(&q, 2 * (depth + 1) * SZ);
	t_fill_random(mem, (depth + 1) * SZ, 7);
	for (uint32_t i = 0; i < depth; i++) {
		wd_prep_copy(&reqs[i], mem + (depth + 1 + i) * SZ, mem + i * SZ, SZ);
		T_EQ(wd_send(&q, &reqs[i]), 0);
	}
	wd_prep_copy(&extra, mem + (2 * depth + 1) * SZ, mem + depth * SZ, SZ);
	T_EQ(wd_send(&q, &extra), -EBUSY);
	t_msleep(20);
	T_EQ(wd_recv(&q, &r), 0);	/* not flushed: the device saw nothing */
	wd_flush(&q);
	/* recovery: one back, one more in */
	T_EQ(wd_recv_wait(&q, &r, 30000), 1);
	T_ASSERT(r == &reqs[0]);
	T_EQ(wd_send(&q, &extra), 0);
	T_EQ(wd_send(&q, &reqs[0]), -EBUSY);
	for (uint32_t i = 1; i <= depth; i++) {
		struct wd_copy_req *want = i < depth ? &reqs[i] : &extra;

		T_EQ(wd_recv_sync(&q, &r), 1);
		T_ASSERT_MSG(r == want, "request %u out of order", i);
		T_EQ(want->status, 0);
		T_EQ(want->out_len, SZ);
	}
	T_ASSERT(!memcmp(mem, mem + (depth + 1) * SZ, (depth + 1) * SZ));
	T_EQ(wd_recv(&q, &r), 0);
	T_EQ(wd_recv_wait(&q, &r, 1000), -ENOMSG);	/* nothing in flight */
	wd_release_queue(&q);
	free(reqs);
}

/* ---- digests ---- */

MTEST(crc32c)
{
	static const uint32_t sizes[] = { 0, 1, 4096, 100003, 300000 };
	struct wd_digest_req req;
	struct wd_queue q;
	uint8_t *mem, *data, *out;
	uint32_t crc;

	q_open(&q, "crc32c");
	mem = q_mem(&q, 1 << 20);
	data = mem;
	out = mem + (1 << 20) - 64;

	memcpy(data, "123456789", 9);
	wd_prep_digest(&req, out, WD_CRC32C_SIZE, data, 9, 0);
	run(&q, &req);
	T_EQ(req.status, 0);
	T_EQ(req.out_len, 4);
	T_EQ_HEX(req.crc, 0xe3069283);
	T_EQ_HEX(le32(out), 0xe3069283);

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint32_t n = sizes[i];

		t_fill_random(data, n, n * 3 + 1);
		wd_prep_digest(&req, out, 8, data, n, 0);
		run(&q, &req);
		T_EQ(req.status, 0);
		T_EQ_HEX(req.crc, ref_crc32c(0, data, n));
		T_EQ_HEX(le32(out), req.crc);
	}
	/* in two pieces: the second seeded with the first's CRC */
	wd_prep_digest(&req, out, 4, data, 1000, 0);
	run(&q, &req);
	crc = req.crc;
	wd_prep_digest(&req, out, 4, data + 1000, 299000, crc);
	run(&q, &req);
	T_EQ(req.status, 0);
	T_EQ_HEX(req.crc, ref_crc32c(0, data, 300000));
	/* too little room */
	wd_prep_digest(&req, out, 3, data, 100, 0);
	run(&q, &req);
	T_EQ(req.status, -ENOSPC);
	T_EQ(req.out_len, 4);
	wd_release_queue(&q);
}

MTEST(sha256)
{
	static const uint32_t sizes[] = { 0, 3, 55, 56, 64, 65537, 1 << 20 };
	struct wd_digest_req req;
	struct wd_queue q;
	uint8_t *mem, *data, *out, want[32];

	q_open(&q, "sha256");
	mem = q_mem(&q, 2 << 20);
	data = mem;
	out = mem + (2 << 20) - 64;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint32_t n = sizes[i];

		if (n == 3)
			memcpy(data, "abc", 3);
		else
			t_fill_random(data, n, n + 5);
		memset(out, 0, 64);
		wd_prep_digest(&req, out, 64, data, n, 0);
		run(&q, &req);
		T_EQ(req.status, 0);
		T_EQ(req.out_len, WD_SHA256_SIZE);
		ref_sha256(data, n, want);
		T_ASSERT_MSG(!memcmp(out, want, 32), "sha256 of %u bytes", n);
		T_EQ(out[32], 0);
	}
	wd_prep_digest(&req, out, 31, data, 10, 0);
	run(&q, &req);
	T_EQ(req.status, -ENOSPC);
	T_EQ(req.out_len, 32);
	wd_prep_digest(&req, out, 32, data, 10, 1);	/* a seed: crc32c only */
	T_EQ(wd_send(&q, &req), -EINVAL);
	wd_release_queue(&q);
}

/* ---- compression ---- */

static const char *const comp_algs[] = { "deflate", "zlib", "gzip" };

MTEST(compress_formats)
{
	enum { N = 200000 };
	static const uint32_t levels[] = { 0, 1, 9 };

	for (int a = 0; a < 3; a++) {
		struct wd_comp_req req;
		struct wd_queue q;
		uint8_t *mem, *src, *dst, *back;
		size_t got;

		q_open(&q, comp_algs[a]);
		mem = q_mem(&q, 1 << 20);
		src = mem;
		dst = mem + 256 * 1024;
		back = malloc(N);
		T_ASSERT(back);
		fill_text(src, N, a);
		for (int l = 0; l < 3; l++) {
			wd_prep_comp(&req, WD_COMPRESS, levels[l], dst,
				     512 * 1024, src, N);
			run(&q, &req);
			T_EQ(req.status, 0);
			T_ASSERT(req.out_len > 0 && req.out_len < N / 2);
			T_EQ(ref_inflate(comp_algs[a], dst, req.out_len, back,
					 N, &got), 0);
			T_EQ(got, N);
			T_ASSERT(!memcmp(back, src, N));
			if (a == 2)
				T_ASSERT(dst[0] == 0x1f && dst[1] == 0x8b);
		}
		/* output does not fit */
		wd_prep_comp(&req, WD_COMPRESS, 1, dst, 100, src, N);
		run(&q, &req);
		T_EQ(req.status, -ENOSPC);
		/* what only the library checks */
		wd_prep_comp(&req, WD_COMPRESS, 10, dst, 1000, src, 100);
		T_EQ(wd_send(&q, &req), -EINVAL);
		wd_prep_comp(&req, WD_DECOMPRESS, 1, dst, 1000, src, 100);
		T_EQ(wd_send(&q, &req), -EINVAL);
		wd_prep_comp(&req, 2, 0, dst, 1000, src, 100);
		T_EQ(wd_send(&q, &req), -EINVAL);
		free(back);
		wd_release_queue(&q);
	}
}

MTEST(decompress_formats)
{
	enum { N = 300000 };

	for (int a = 0; a < 3; a++) {
		struct wd_comp_req req;
		struct wd_queue q;
		uint8_t *mem, *orig, *comp, *out;
		size_t clen;

		q_open(&q, comp_algs[a]);
		mem = q_mem(&q, 2 << 20);
		comp = mem;
		out = mem + (1 << 20);
		orig = malloc(N);
		T_ASSERT(orig);
		fill_text(orig, N, 10 + a);
		clen = ref_deflate(comp_algs[a], 6, orig, N, comp, 1 << 20);

		wd_prep_comp(&req, WD_DECOMPRESS, 0, out, 1 << 20, comp, clen);
		run(&q, &req);
		T_EQ(req.status, 0);
		T_EQ(req.out_len, N);
		T_ASSERT(!memcmp(out, orig, N));

		/* too little room */
		wd_prep_comp(&req, WD_DECOMPRESS, 0, out, N - 1, comp, clen);
		run(&q, &req);
		T_EQ(req.status, -ENOSPC);

		/* not compressed data: a reserved block type (deflate) or a
		 * bad header (zlib, gzip) */
		memcpy(comp, a == 0 ? "\x07\0\0\0" : "\x55\x55\x55\x55", 4);
		wd_prep_comp(&req, WD_DECOMPRESS, 0, out, 1 << 20, comp, clen);
		run(&q, &req);
		T_EQ(req.status, -EBADMSG);
		free(orig);
		wd_release_queue(&q);
	}
}

/*
 * Chaining without copies: compress into reserved memory on one queue,
 * checksum that same buffer on a second queue (another device in the VM)
 * that shares the memory.
 */
MTEST(chain_shared)
{
	enum { N = 256 * 1024 };
	struct wd_queue qc, qd;
	struct wd_comp_req creq;
	struct wd_digest_req dreq;
	uint8_t *mem, *src, *comp, *crc_out, *back;
	char dev2[WD_DEV_PATH_MAX];
	size_t got;

	other_dev(dev2);
	q_open(&qc, "gzip");
	q_open_on(&qd, "crc32c", dev2);
	mem = q_mem(&qc, 2 << 20);
	T_EQ(wd_share_reserved_memory(&qc, &qd), 0);
	src = mem;
	comp = mem + N;
	crc_out = mem + (2 << 20) - 64;
	fill_text(src, N, 42);

	wd_prep_comp(&creq, WD_COMPRESS, 6, comp, 1 << 20, src, N);
	run(&qc, &creq);
	T_EQ(creq.status, 0);
	wd_prep_digest(&dreq, crc_out, 4, comp, creq.out_len, 0);
	run(&qd, &dreq);
	T_EQ(dreq.status, 0);
	T_EQ_HEX(dreq.crc, ref_crc32c(0, comp, creq.out_len));
	T_EQ_HEX(le32(crc_out), dreq.crc);
	back = malloc(N);
	T_ASSERT(back);
	T_EQ(ref_inflate("gzip", comp, creq.out_len, back, N, &got), 0);
	T_EQ(got, N);
	T_ASSERT(!memcmp(back, src, N));

	/* one reservation per queue, shared or own */
	errno = 0;
	T_ASSERT(!wd_reserve_memory(&qd, 4096));
	T_EQ(errno, EEXIST);
	T_EQ(wd_share_reserved_memory(&qc, &qd), -EEXIST);

	/* the memory outlives the queue that reserved it */
	wd_release_queue(&qc);
	memset(crc_out, 0, 4);
	wd_prep_digest(&dreq, crc_out, 4, comp, creq.out_len, 0);
	run(&qd, &dreq);
	T_EQ(dreq.status, 0);
	T_EQ_HEX(dreq.crc, ref_crc32c(0, comp, creq.out_len));
	wd_release_queue(&qd);
	free(back);
}

/* ---- bad input ---- */

MTEST(bad_input)
{
	struct wd_queue q, q2;
	struct wd_copy_req req;
	uint8_t *mem, *heap;
	void *r, *gone;

	q_open(&q, "copy");
	mem = q_mem(&q, 64 * 1024);
	wd_prep_copy(&req, mem + 4096, mem, 16);

	T_EQ(wd_send(NULL, &req), -EINVAL);
	T_EQ(wd_send(&q, NULL), -EINVAL);
	T_EQ(wd_recv(NULL, &r), -EINVAL);
	T_EQ(wd_recv(&q, NULL), -EINVAL);
	T_EQ(wd_recv_sync(NULL, &r), -EINVAL);
	T_EQ(wd_recv_sync(&q, NULL), -EINVAL);
	T_EQ(wd_recv_wait(&q, &r, -2), -EINVAL);
	wd_flush(NULL);
	T_EQ(wd_recv(&q, &r), 0);
	T_EQ(wd_recv_wait(&q, &r, 100), -ENOMSG);

	/* NULL buffers of non-zero length */
	wd_prep_copy(&req, mem, NULL, 16);
	T_EQ(wd_send(&q, &req), -EINVAL);
	wd_prep_copy(&req, NULL, mem, 16);
	T_EQ(wd_send(&q, &req), -EINVAL);

	/* wrong pointers: a page the process cannot touch (kept reserved, so
	 * that no allocation lands there meanwhile) */
	gone = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	T_ASSERT(gone != MAP_FAILED);
	heap = malloc(4096);
	T_ASSERT(heap);
	wd_prep_copy(&req, mem, gone, 16);
	if (g_mode == WD_DEV_SVA) {
		/* the device finds out: the request fails, the queue lives */
		run(&q, &req);
		T_EQ(req.status, -EFAULT);
		wd_prep_copy(&req, gone, mem, 16);
		run(&q, &req);
		T_EQ(req.status, -EFAULT);
	} else {
		/* only reserved memory is reachable: the library refuses */
		T_EQ(wd_send(&q, &req), -EFAULT);
		wd_prep_copy(&req, mem, heap, 16);
		T_EQ(wd_send(&q, &req), -EFAULT);
		/* straddling the end of the reservation */
		wd_prep_copy(&req, mem, mem + 64 * 1024 - 8, 16);
		T_EQ(wd_send(&q, &req), -EFAULT);
	}
	/* the queue still works */
	wd_prep_copy(&req, mem + 4096, mem, 16);
	run(&q, &req);
	T_EQ(req.status, 0);

	/* memory */
	errno = 0;
	T_ASSERT(!wd_reserve_memory(&q, 4096));
	T_EQ(errno, EEXIST);
	T_EQ(wd_share_reserved_memory(&q, &q), -EINVAL);
	T_EQ(wd_share_reserved_memory(&q, NULL), -EINVAL);
	T_EQ(wd_share_reserved_memory(NULL, &q), -EINVAL);
	q_open(&q2, "copy");
	T_EQ(wd_share_reserved_memory(&q2, &q), -EINVAL);  /* q2 has none */
	errno = 0;
	T_ASSERT(!wd_reserve_memory(&q2, 0));
	T_EQ(errno, EINVAL);
	errno = 0;
	T_ASSERT(!wd_reserve_memory(&q2, q2.ss_max + 1));
	T_EQ(errno, ENOMEM);
	errno = 0;
	T_ASSERT(!wd_reserve_memory(NULL, 4096));
	T_EQ(errno, EINVAL);
	wd_release_queue(&q2);
	free(heap);
	munmap(gone, 4096);
	wd_release_queue(&q);
}

MTEST(use_after_release)
{
	struct wd_copy_req req;
	struct wd_queue q;
	uint8_t *mem;
	void *r;

	q_open(&q, "copy");
	mem = q_mem(&q, 8192);
	wd_prep_copy(&req, mem + 4096, mem, 100);
	run(&q, &req);
	wd_release_queue(&q);
	T_ASSERT(!q.priv);
	T_EQ(wd_send(&q, &req), -EINVAL);
	T_EQ(wd_recv(&q, &r), -EINVAL);
	T_EQ(wd_recv_sync(&q, &r), -EINVAL);
	r = &req;
	T_EQ(wd_send_many(&q, &r, 1), -EINVAL);
	T_EQ(wd_recv_many(&q, &r, 1), -EINVAL);
	wd_flush(&q);
	errno = 0;
	T_ASSERT(!wd_reserve_memory(&q, 4096));
	T_EQ(errno, EINVAL);
	T_EQ(wd_share_reserved_memory(&q, &q), -EINVAL);
	wd_release_queue(&q);		/* twice: nothing happens */
	/* the same structure can be requested again */
	T_EQ(wd_request_queue(&q), 0);
	mem = q_mem(&q, 8192);
	t_fill_random(mem, 100, 1);
	wd_prep_copy(&req, mem + 4096, mem, 100);
	run(&q, &req);
	T_EQ(req.status, 0);
	T_ASSERT(!memcmp(mem, mem + 4096, 100));
	wd_release_queue(&q);
}

/* release with requests in flight: stopped, not written, no crash */
MTEST(release_inflight)
{
	enum { NR = 12, SZ = 128 * 1024 };
	struct wd_copy_req reqs[NR];
	struct wd_queue q;
	uint8_t *mem;

	for (int round = 0; round < 3; round++) {
		q_open(&q, "copy");
		mem = q_mem(&q, 2 * NR * SZ);
		for (int i = 0; i < NR; i++) {
			wd_prep_copy(&reqs[i], mem + (NR + i) * SZ, mem + i * SZ, SZ);
			reqs[i].status = 777;
			T_EQ(wd_send(&q, &reqs[i]), 0);
		}
		if (round)
			wd_flush(&q);	/* round 0: never made visible */
		wd_release_queue(&q);
		for (int i = 0; i < NR; i++)
			T_EQ(reqs[i].status, 777);
	}
	if (g_mode == WD_DEV_SVA) {
		/* ordinary memory, freed as soon as the queue is released */
		uint8_t *src = malloc(NR * SZ), *dst = malloc(NR * SZ);

		T_ASSERT(src && dst);
		q_open(&q, "copy");
		for (int i = 0; i < NR; i++) {
			wd_prep_copy(&reqs[i], dst + i * SZ, src + i * SZ, SZ);
			T_EQ(wd_send(&q, &reqs[i]), 0);
		}
		wd_flush(&q);
		wd_release_queue(&q);
		free(src);
		free(dst);
	}
	/* the device is fine */
	q_open(&q, "nop");
	wd_prep_copy(&reqs[0], NULL, NULL, 0);
	run(&q, &reqs[0]);
	T_EQ(reqs[0].status, 0);
	wd_release_queue(&q);
}

/* fork: the child gets -EPERM from the inherited queue, opens its own */
MTEST(fork_child)
{
	struct wd_copy_req req;
	struct wd_queue q;
	uint8_t *mem;
	pid_t pid;

	q_open(&q, "copy");
	mem = q_mem(&q, 8192);
	t_fill_random(mem, 100, 3);
	wd_prep_copy(&req, mem + 4096, mem, 100);
	run(&q, &req);

	pid = t_fork();
	if (!pid) {
		struct wd_queue own;
		void *r;

		T_EQ(wd_send(&q, &req), -EPERM);
		T_EQ(wd_recv(&q, &r), -EPERM);
		T_EQ(wd_recv_sync(&q, &r), -EPERM);
		T_EQ(wd_recv_wait(&q, &r, 10), -EPERM);
		r = &req;
		T_EQ(wd_send_many(&q, &r, 0), -EPERM);
		T_EQ(wd_send_many(&q, &r, 1), -EPERM);
		T_EQ(wd_recv_many(&q, &r, 0), -EPERM);
		T_EQ(wd_recv_many(&q, &r, 1), -EPERM);
		wd_flush(&q);
		errno = 0;
		T_ASSERT(!wd_reserve_memory(&q, 4096));
		T_EQ(errno, EPERM);
		T_EQ(wd_share_reserved_memory(&q, &q), -EPERM);
		wd_release_queue(&q);
		T_ASSERT(!q.priv);

		q_open(&own, "copy");
		mem = q_mem(&own, 8192);
		t_fill_random(mem, 100, 4);
		wd_prep_copy(&req, mem + 4096, mem, 100);
		run(&own, &req);
		T_EQ(req.status, 0);
		T_ASSERT(!memcmp(mem, mem + 4096, 100));
		wd_release_queue(&own);
		_exit(0);
	}
	t_wait_ok(pid, 30000);
	/* the parent's queue is untouched */
	t_fill_random(mem, 100, 5);
	wd_prep_copy(&req, mem + 4096, mem, 100);
	run(&q, &req);
	T_EQ(req.status, 0);
	T_ASSERT(!memcmp(mem, mem + 4096, 100));
	wd_release_queue(&q);
}

/* ---- waiting ---- */

/*
 * wd_recv_sync() sleeps (poll), it does not spin: with the engines held,
 * so that nothing can complete, the waiting thread is seen asleep in the
 * wait and uses (almost) no CPU over a while; released, the requests come
 * back in order and right.
 */
struct cpu_watch {
	struct wd_queue *q;
	pthread_t waiter;
	pid_t tid;
	double cpu;		/* the waiter's CPU time in the window */
};

static double thread_cpu_s(pthread_t th)
{
	struct timespec ts;
	clockid_t clk;

	T_EQ(pthread_getcpuclockid(th, &clk), 0);
	T_OK(clock_gettime(clk, &ts));
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *cpu_watch_fn(void *arg)
{
	struct cpu_watch *w = arg;
	double cpu;

	t_wait_asleep_in(w->tid, WAIT_NR1, WAIT_NR2, "wd_recv_sync()");
	cpu = thread_cpu_s(w->waiter);
	t_msleep(200);
	w->cpu = thread_cpu_s(w->waiter) - cpu;
	dev_hold(w->q, g_id, false);
	return NULL;
}

TEST(recv_sync_sleeps)
{
	enum { NR = 4, SZ = 8 << 20 };
	struct wd_digest_req reqs[NR];
	uint8_t out[NR][32], want[32], *buf;
	struct cpu_watch w;
	struct wd_queue q;
	pthread_t th;
	void *r;

	use_mode("sva", WD_DEV_SVA);
	q_open(&q, "sha256");
	buf = malloc(SZ);
	T_ASSERT(buf);
	t_fill_random(buf, SZ, 77);
	dev_hold(&q, g_id, true);
	for (int i = 0; i < NR; i++) {
		wd_prep_digest(&reqs[i], out[i], 32, buf, SZ, 0);
		T_EQ(wd_send(&q, &reqs[i]), 0);
	}
	/* flushes, does not wait: held, nothing can be done */
	T_EQ(wd_recv_wait(&q, &r, 0), -ETIMEDOUT);
	w = (struct cpu_watch){ .q = &q, .waiter = pthread_self(),
				.tid = t_gettid() };
	T_EQ(pthread_create(&th, NULL, cpu_watch_fn, &w), 0);
	for (int i = 0; i < NR; i++) {
		T_EQ(wd_recv_sync(&q, &r), 1);
		T_ASSERT(r == &reqs[i]);
		T_EQ(reqs[i].status, 0);
	}
	T_EQ(pthread_join(th, NULL), 0);
	t_note("the waiter used %.4f s of CPU in 0.2 s of nothing to collect",
	       w.cpu);
	T_ASSERT_MSG(w.cpu < 0.05, "waiting used %.3f s of CPU in 0.2 s",
		     w.cpu);
	ref_sha256(buf, SZ, want);
	for (int i = 0; i < NR; i++)
		T_ASSERT(!memcmp(out[i], want, 32));
	free(buf);
	wd_release_queue(&q);
}

/* every request handed back once, in order; the receive call's end */
struct rm_waiter {
	struct wd_queue *q;
	pid_t tid;
	int n;
	void *got[64];
	int ret;
};

static void *rm_wait(void *arg)
{
	struct rm_waiter *w = arg;
	void *r;

	__atomic_store_n(&w->tid, t_gettid(), __ATOMIC_SEQ_CST);
	while ((w->ret = wd_recv_sync(w->q, &r)) == 1)
		if (w->n < 64)
			w->got[w->n++] = r;
	return NULL;
}

/*
 * The device goes away under a sleeping wd_recv_sync(): the requests in
 * flight come back once each with -ECANCELED, then -ENODEV, and the queue
 * is dead without the ring being touched again. The engines are held, so
 * the requests are still in flight and the waiter asleep (seen in poll)
 * when the device goes.
 */
TEST(device_removed)
{
	enum { NR = 8, SZ = 1 << 20 };
	struct wd_digest_req reqs[NR];
	uint8_t out[NR][32], *buf;
	struct rm_waiter w;
	struct wd_queue q;
	struct t_inst a;
	char s[16];
	pthread_t th;
	void *r;

	vm_only();
	a = t_inst_create("mode=sva");
	t_dev_path(a.ua, g_dev);
	q_open(&q, "sha256");
	buf = malloc(SZ);
	T_ASSERT(buf);
	t_fill_random(buf, SZ, 1);
	t_hold(a.id, true);
	for (int i = 0; i < NR; i++) {
		wd_prep_digest(&reqs[i], out[i], 32, buf, SZ, 0);
		reqs[i].status = 1;
		T_EQ(wd_send(&q, &reqs[i]), 0);
	}
	w = (struct rm_waiter){ .q = &q };
	T_EQ(pthread_create(&th, NULL, rm_wait, &w), 0);
	T_WAIT_UNTIL(__atomic_load_n(&w.tid, __ATOMIC_SEQ_CST),
		     "the waiter never ran");
	t_wait_asleep_in(w.tid, SYS_poll, SYS_ppoll, "wd_recv_sync()");
	snprintf(s, sizeof(s), "%d", a.id);
	T_EQ(t_inst_del_raw(s), 0);
	pthread_join(th, NULL);
	T_EQ(w.ret, -ENODEV);
	T_EQ(w.n, NR);
	for (int i = 0; i < NR; i++) {
		T_ASSERT_MSG(w.got[i] == &reqs[i], "request %d came back as "
			     "another one (or twice)", i);
		T_EQ(reqs[i].status, -ECANCELED);
	}
	T_EQ(wd_send(&q, &reqs[0]), -ENODEV);
	T_EQ(wd_recv(&q, &r), -ENODEV);
	r = &reqs[0];
	T_EQ(wd_send_many(&q, &r, 1), -ENODEV);
	T_EQ(wd_recv_many(&q, &r, 1), -ENODEV);
	T_EQ(wd_recv_sync(&q, &r), -ENODEV);
	wd_flush(&q);
	errno = 0;
	T_ASSERT(!wd_reserve_memory(&q, 4096));
	T_EQ(errno, ENODEV);
	wd_release_queue(&q);
	T_EQ(q_try(&q, "sha256", g_dev), -ENOENT);
	free(buf);
}

/* the MMIO page of /dev/uaN as this process mapped it (libwd's) */
static volatile struct wd_soft_mmio *mmio_of(int ua)
{
	char line[512], dev[32];
	FILE *f = fopen("/proc/self/maps", "r");
	unsigned long lo = 0, off;

	T_ASSERT(f);
	t_dev_path(ua, dev);
	while (fgets(line, sizeof(line), f)) {
		char *path = strchr(line, '/');

		if (path && !strncmp(path, dev, strlen(dev)) &&
		    path[strlen(dev)] == '\n' &&
		    sscanf(line, "%lx-%*x %*s %lx", &lo, &off) == 2 && !off)
			break;
		lo = 0;
	}
	fclose(f);
	T_ASSERT_MSG(lo, "no MMIO mapping of %s", dev);
	return (volatile struct wd_soft_mmio *)lo;
}

/*
 * The device breaks the queue (a doorbell more than a ring ahead, as
 * memory corruption would write): the library stops it and hands every
 * request in flight back once with -EIO, then -EIO.
 */
TEST(broken_hands_back)
{
	enum { NR = 4 };
	struct wd_copy_req reqs[NR];
	char src[NR][64], dst[NR][64];
	struct wd_queue q;
	struct t_inst a;
	void *r;
	int n = 0, ret;

	vm_only();
	a = t_inst_create("mode=sva engines=1");
	t_dev_path(a.ua, g_dev);
	q_open(&q, "copy");
	t_hold(a.id, true);
	for (int i = 0; i < NR; i++) {
		memset(src[i], 'a' + i, sizeof(src[i]));
		memset(dst[i], 0, sizeof(dst[i]));
		wd_prep_copy(&reqs[i], dst[i], src[i], sizeof(src[i]));
		T_EQ(wd_send(&q, &reqs[i]), 0);
	}
	wd_flush(&q);
	volatile struct wd_soft_mmio *m = mmio_of(a.ua);

	m->sq_tail = m->sq_tail + 5000;
	t_hold(a.id, false);
	while ((ret = wd_recv_sync(&q, &r)) == 1) {
		T_ASSERT(n < NR);
		T_ASSERT_MSG(r == &reqs[n], "request %d came back out of order "
			     "or twice", n);
		T_EQ(reqs[n].status, -EIO);
		n++;
	}
	T_EQ(ret, -EIO);
	T_EQ(n, NR);
	/* stopped before they were handed back: the device never ran them */
	for (int i = 0; i < NR; i++)
		for (int j = 0; j < 64; j++)
			T_EQ(dst[i][j], 0);
	T_EQ(wd_send(&q, &reqs[0]), -EIO);
	T_EQ(wd_recv(&q, &r), -EIO);
	wd_release_queue(&q);
}

/* ---- threads ---- */

enum { TH_N = 20000, TH_SLOTS = 1024, TH_SZ = 64 };

struct th {
	struct wd_queue *q;
	struct wd_copy_req *reqs;
	uint8_t *mem;
};

static void *th_send(void *arg)
{
	struct th *t = arg;

	for (int i = 0; i < TH_N; i++) {
		int s = i % TH_SLOTS, r;

		wd_prep_copy(&t->reqs[i], t->mem + (TH_SLOTS + s) * TH_SZ,
			     t->mem + s * TH_SZ, TH_SZ);
		while ((r = wd_send(t->q, &t->reqs[i])) == -EBUSY) {
			wd_flush(t->q);
			sched_yield();
		}
		if (r)
			T_FAIL("wd_send: %s", t_errname(-r));
		if (i % 64 == 63)
			wd_flush(t->q);
	}
	wd_flush(t->q);
	return NULL;
}

static void *th_recv(void *arg)
{
	struct th *t = arg;

	for (int got = 0; got < TH_N; ) {
		void *r;
		int ret = wd_recv_wait(t->q, &r, 30000);

		if (ret == -ENOMSG) {	/* the sender is behind */
			sched_yield();
			continue;
		}
		if (ret != 1)
			T_FAIL("wd_recv_wait: %s", t_errname(-ret));
		if (r != &t->reqs[got])
			T_FAIL("request %d out of order", got);
		T_EQ(t->reqs[got].status, 0);
		int s = got % TH_SLOTS;

		if (memcmp(t->mem + s * TH_SZ, t->mem + (TH_SLOTS + s) * TH_SZ,
			   TH_SZ))
			T_FAIL("request %d: wrong data", got);
		got++;
	}
	return NULL;
}

static void *th_own_queue(void *arg)
{
	struct wd_copy_req req;
	struct wd_queue q;

	(void)arg;
	q_open(&q, "nop");
	for (int i = 0; i < 2000; i++) {
		wd_prep_copy(&req, NULL, NULL, 0);
		run(&q, &req);
		T_EQ(req.status, 0);
	}
	wd_release_queue(&q);
	return NULL;
}

/* a copy queue for a sender and a receiver thread, sources filled from @seed */
static void th_setup(struct wd_queue *q, struct th *t, unsigned int seed)
{
	q_open(q, "copy");
	t->q = q;
	t->reqs = calloc(TH_N, sizeof(*t->reqs));
	T_ASSERT(t->reqs);
	t->mem = q_mem(q, 2 * TH_SLOTS * TH_SZ);
	t_fill_random(t->mem, TH_SLOTS * TH_SZ, seed);
}

/* one queue shared by a sender and a receiver thread; queues per thread */
MTEST(threads)
{
	pthread_t snd, rcv, own[3];
	struct wd_queue q;
	struct th t;

	th_setup(&q, &t, 9);
	for (int i = 0; i < 3; i++)
		T_EQ(pthread_create(&own[i], NULL, th_own_queue, NULL), 0);
	T_EQ(pthread_create(&rcv, NULL, th_recv, &t), 0);
	T_EQ(pthread_create(&snd, NULL, th_send, &t), 0);
	pthread_join(snd, NULL);
	pthread_join(rcv, NULL);
	for (int i = 0; i < 3; i++)
		pthread_join(own[i], NULL);
	wd_release_queue(&q);
	free(t.reqs);
}

/* ---- batches: wd_send_many(), wd_recv_many() ---- */

/*
 * Collect @want completions into @out with wd_recv_many(), polling, at most
 * @max per call (fewer for the last ones), each call checked to return no
 * more than it was asked for and to write nothing past that; fails after
 * 30 s. Returns the most one call returned.
 */
static int recv_n(struct wd_queue *q, void **out, int want, int max)
{
	uint64_t end = t_now_ms() + 30000;
	void **v = calloc((size_t)max + 1, sizeof(*v));
	int got = 0, most = 0;

	T_ASSERT(v);
	while (got < want) {
		int m = max < want - got ? max : want - got, n;

		v[m] = v;			/* canary */
		n = wd_recv_many(q, v, m);
		if (n < 0)
			T_FAIL("wd_recv_many: %s", t_errname(-n));
		T_ASSERT_MSG(n <= m, "wd_recv_many(max %d) returned %d", m, n);
		T_ASSERT_MSG(v[m] == v, "wd_recv_many wrote past max %d", m);
		memcpy(out + got, v, (size_t)n * sizeof(*v));
		got += n;
		most = n > most ? n : most;
		if (!n) {
			if (t_now_ms() > end)
				T_FAIL("%d of %d completions after 30 s", got, want);
			sched_yield();
		}
	}
	free(v);
	return most;
}

static void batch_args(struct wd_queue *q, void **v)
{
	T_EQ(wd_send_many(NULL, v, 1), -EINVAL);
	T_EQ(wd_send_many(q, NULL, 1), -EINVAL);
	T_EQ(wd_send_many(q, v, -1), -EINVAL);
	T_EQ(wd_send_many(q, NULL, 0), 0);
	T_EQ(wd_send_many(q, v, 0), 0);
	T_EQ(wd_recv_many(NULL, v, 1), -EINVAL);
	T_EQ(wd_recv_many(q, NULL, 1), -EINVAL);
	T_EQ(wd_recv_many(q, v, -1), -EINVAL);
	T_EQ(wd_recv_many(q, NULL, 0), 0);
	T_EQ(wd_recv_many(q, v, 0), 0);
}

/*
 * Batches of every size from 1 up, never wd_flush(): wd_send_many() rings
 * the doorbell; received in batches of several sizes, in order, each copy
 * compared with its source; wd_recv_many() returns no more than asked.
 */
MTEST(batch_copy)
{
	enum { N = 600, SZ = 1024 };
	struct wd_copy_req *reqs;
	struct wd_queue q;
	void **v, **out;
	uint8_t *mem;
	int sent = 0, got = 0, k = 1, most;
	static const int maxes[] = { 1, 3, 64, N };

	q_open(&q, "copy");
	reqs = calloc(N, sizeof(*reqs));
	v = calloc(N, sizeof(*v));
	out = calloc(N, sizeof(*out));
	T_ASSERT(reqs && v && out);
	mem = q_mem(&q, 2 * N * SZ);
	t_fill_random(mem, N * SZ, 11);
	memset(mem + N * SZ, 0xa5, N * SZ);
	batch_args(&q, v);
	T_EQ(wd_recv_many(&q, v, 8), 0);		/* nothing in flight */

	for (int i = 0; i < N; i++) {
		uint32_t len = 1 + (uint32_t)(i * 37) % SZ;

		wd_prep_copy(&reqs[i], mem + (N + i) * SZ, mem + i * SZ, len);
		reqs[i].status = 777;
		v[i] = &reqs[i];
	}
	/* batches of 1, 2, 3 ... (N < depth: they all fit) */
	T_ASSERT(N <= q.depth);
	for (int round = 0; sent < N; round++) {
		int n = k < N - sent ? k : N - sent;

		T_EQ(wd_send_many(&q, v + sent, n), n);
		sent += n;
		k++;
		/* receive part of what is in flight, in batches of a size
		 * that changes */
		if (round % 3 == 2) {
			int want = (sent - got) / 2;

			recv_n(&q, out + got, want, maxes[round % 4]);
			got += want;
		}
	}
	recv_n(&q, out + got, N - got, 7);
	for (int i = 0; i < N; i++) {
		uint32_t len = 1 + (uint32_t)(i * 37) % SZ;

		T_ASSERT_MSG(out[i] == &reqs[i], "completion %d is request %ld",
			     i, (long)((struct wd_copy_req *)out[i] - reqs));
		T_EQ(reqs[i].status, 0);
		T_EQ(reqs[i].out_len, len);
		T_ASSERT_MSG(!memcmp(mem + i * SZ, mem + (N + i) * SZ, len),
			     "copy %d differs", i);
		if (len < SZ)
			T_EQ(mem[(N + i) * SZ + len], 0xa5);
	}
	T_EQ(wd_recv_many(&q, v, N), 0);

	/* no more than max per call, even with more completed */
	memset(mem + N * SZ, 0xa5, 10 * SZ);
	T_EQ(wd_send_many(&q, v, 10), 10);
	/* the last one's data is there: wait a little more for its CQE */
	for (int t = 0; t < 30000 && memcmp(mem + 9 * SZ, mem + (N + 9) * SZ,
					    reqs[9].src_len); t++)
		t_msleep(1);
	t_msleep(50);
	most = recv_n(&q, out, 10, 4);
	T_EQ(most, 4);		/* all 10 were done: the first call took 4 */
	for (int i = 0; i < 10; i++)
		T_ASSERT(out[i] == &reqs[i] && !reqs[i].status);

	/* n 0 rings the doorbell for earlier wd_send()s */
	for (int i = 0; i < 3; i++)
		T_EQ(wd_send(&q, &reqs[i]), 0);
	t_msleep(20);
	T_EQ(wd_recv_many(&q, out, 3), 0);	/* not visible yet */
	T_EQ(wd_send_many(&q, NULL, 0), 0);
	recv_n(&q, out, 3, 3);
	for (int i = 0; i < 3; i++)
		T_ASSERT(out[i] == &reqs[i]);
	free(reqs);
	free(v);
	free(out);
	wd_release_queue(&q);
}

/*
 * A batch larger than the room left: the requests that fit are queued (a
 * short count), the rest is refused with -EBUSY and nothing queued, until
 * completions are received; order and data across the whole.
 */
MTEST(batch_full)
{
	enum { SZ = 64, EXTRA = 20 };
	struct wd_copy_req *reqs;
	struct wd_queue q;
	void **v, **out;
	uint8_t *mem;
	int d;

	q_open(&q, "copy");
	d = (int)q.depth;
	reqs = calloc(d + EXTRA, sizeof(*reqs));
	v = calloc(d + EXTRA, sizeof(*v));
	out = calloc(d + EXTRA, sizeof(*out));
	T_ASSERT(reqs && v && out);
	mem = q_mem(&q, 2 * (d + EXTRA) * SZ);
	t_fill_random(mem, (d + EXTRA) * SZ, 12);
	for (int i = 0; i < d + EXTRA; i++) {
		wd_prep_copy(&reqs[i], mem + (d + EXTRA + i) * SZ, mem + i * SZ, SZ);
		reqs[i].status = 777;
		v[i] = &reqs[i];
	}
	T_EQ(wd_send_many(&q, v, d - 10), d - 10);
	T_EQ(wd_send_many(&q, v + d - 10, EXTRA), 10);	/* ring full */
	T_EQ(wd_send_many(&q, v + d, EXTRA), -EBUSY);	/* nothing fits */
	T_EQ(wd_send(&q, v[d]), -EBUSY);
	/* five back: room for five more, not six */
	recv_n(&q, out, 5, 5);
	for (int i = 0; i < 5; i++)
		T_ASSERT(out[i] == &reqs[i]);
	T_EQ(wd_send_many(&q, v + d, EXTRA), 5);
	T_EQ(wd_send_many(&q, v + d + 5, EXTRA - 5), -EBUSY);
	for (int i = d + 5; i < d + EXTRA; i++)
		T_EQ(reqs[i].status, 777);		/* never queued */
	recv_n(&q, out + 5, d, d);
	for (int i = 0; i < d + 5; i++) {
		T_ASSERT_MSG(out[i] == &reqs[i], "completion %d out of order", i);
		T_EQ(reqs[i].status, 0);
		T_EQ(reqs[i].out_len, SZ);
	}
	T_ASSERT(!memcmp(mem, mem + (d + EXTRA) * SZ, (d + 5) * SZ));
	T_EQ(wd_recv_many(&q, out, d), 0);
	T_EQ(wd_recv_wait(&q, out, 100), -ENOMSG);	/* nothing in flight */
	free(reqs);
	free(v);
	free(out);
	wd_release_queue(&q);
}

/*
 * A refused request in the middle of a batch: the ones before it are
 * queued and counted; sending again from it returns its error with nothing
 * queued; the ones after it go in with the next call. A NULL element is a
 * refused request too.
 */
MTEST(batch_bad_request)
{
	enum { NR = 9, SZ = 256 };
	struct wd_copy_req reqs[NR];
	struct wd_queue q;
	void *v[NR], *out[NR];
	uint8_t *mem, *heap;
	int bad_err = g_mode == WD_DEV_SVA ? -EINVAL : -EFAULT;
	static const int queued[] = { 0, 1, 3, 4, 6, 8 };

	q_open(&q, "copy");
	mem = q_mem(&q, 2 * NR * SZ);
	heap = malloc(SZ);
	T_ASSERT(heap);
	t_fill_random(mem, NR * SZ, 13);
	for (int i = 0; i < NR; i++) {
		wd_prep_copy(&reqs[i], mem + (NR + i) * SZ, mem + i * SZ, SZ);
		reqs[i].status = 777;
		v[i] = &reqs[i];
	}
	reqs[2].src = NULL;			/* NULL buffer, length SZ */
	if (g_mode == WD_DEV_SVA)
		reqs[5].dst = NULL;
	else
		reqs[5].src = heap;		/* not reserved memory */
	v[7] = NULL;

	T_EQ(wd_send_many(&q, v, NR), 2);		/* 0, 1 */
	T_EQ(wd_send_many(&q, v + 2, NR - 2), -EINVAL);	/* 2 alone */
	T_EQ(wd_send_many(&q, v + 3, NR - 3), 2);	/* 3, 4 */
	T_EQ(wd_send_many(&q, v + 5, NR - 5), bad_err);
	T_EQ(wd_send_many(&q, v + 6, NR - 6), 1);	/* 6 */
	T_EQ(wd_send_many(&q, v + 7, NR - 7), -EINVAL);	/* NULL */
	T_EQ(wd_send_many(&q, v + 8, NR - 8), 1);	/* 8 */
	recv_n(&q, out, 6, NR);
	for (int i = 0; i < 6; i++) {
		int r = queued[i];

		T_ASSERT_MSG(out[i] == &reqs[r], "completion %d: not request %d", i, r);
		T_EQ(reqs[r].status, 0);
		T_ASSERT(!memcmp(mem + r * SZ, mem + (NR + r) * SZ, SZ));
	}
	T_EQ(reqs[2].status, 777);
	T_EQ(reqs[5].status, 777);
	T_EQ(wd_recv_many(&q, out, NR), 0);
	free(heap);
	wd_release_queue(&q);
}

/* crc32c (seeded) and sha256 in batches, against the references */
MTEST(batch_digests)
{
	enum { NR = 64, MAXLEN = 70000 };
	struct wd_digest_req reqs[NR];
	struct wd_queue qc, qs;
	void *v[NR], *out[NR];
	uint8_t *mem, *data, *dst, want[32];

	q_open(&qc, "crc32c");
	mem = q_mem(&qc, MAXLEN + NR * 64);
	data = mem;
	dst = mem + MAXLEN;
	t_fill_random(data, MAXLEN, 14);
	for (int i = 0; i < NR; i++) {
		uint32_t off = (uint32_t)(i * 31) % 1000;
		uint32_t len = (uint32_t)(i * 997) % (MAXLEN - 1000);

		wd_prep_digest(&reqs[i], dst + i * 64, 4, data + off, len,
			       (uint32_t)i * 0x9e3779b9u);
		v[i] = &reqs[i];
	}
	T_EQ(wd_send_many(&qc, v, NR), NR);
	recv_n(&qc, out, NR, NR);
	for (int i = 0; i < NR; i++) {
		uint32_t crc = ref_crc32c(reqs[i].seed, reqs[i].src,
					  reqs[i].src_len);

		T_ASSERT(out[i] == &reqs[i]);
		T_EQ(reqs[i].status, 0);
		T_EQ(reqs[i].out_len, 4);
		T_EQ_HEX(reqs[i].crc, crc);
		T_EQ_HEX(le32(dst + i * 64), crc);
	}
	wd_release_queue(&qc);

	q_open(&qs, "sha256");
	mem = q_mem(&qs, MAXLEN + NR * 64);
	data = mem;
	dst = mem + MAXLEN;
	t_fill_random(data, MAXLEN, 15);
	for (int i = 0; i < 16; i++) {
		wd_prep_digest(&reqs[i], dst + i * 64, 32, data, (uint32_t)i * 4321, 0);
		v[i] = &reqs[i];
	}
	T_EQ(wd_send_many(&qs, v, 16), 16);
	recv_n(&qs, out, 16, 5);
	for (int i = 0; i < 16; i++) {
		T_ASSERT(out[i] == &reqs[i]);
		T_EQ(reqs[i].status, 0);
		ref_sha256(data, reqs[i].src_len, want);
		T_ASSERT_MSG(!memcmp(dst + i * 64, want, 32), "sha256 %d", i);
	}
	wd_release_queue(&qs);
}

/* a sender thread with wd_send_many() (short counts and -EBUSY taken in
 * stride), a receiver thread with wd_recv_many(): in order, right data */
static void *thb_send(void *arg)
{
	struct th *t = arg;
	void **v = calloc(64, sizeof(*v));

	T_ASSERT(v);
	for (int i = 0; i < TH_N; ) {
		int k = 1 + (i * 7) % 64, r;

		if (k > TH_N - i)
			k = TH_N - i;
		for (int j = 0; j < k; j++) {
			int s = (i + j) % TH_SLOTS;

			wd_prep_copy(&t->reqs[i + j], t->mem + (TH_SLOTS + s) * TH_SZ,
				     t->mem + s * TH_SZ, TH_SZ);
			v[j] = &t->reqs[i + j];
		}
		r = wd_send_many(t->q, v, k);
		if (r == -EBUSY) {
			sched_yield();
			continue;
		}
		if (r < 1 || r > k)
			T_FAIL("wd_send_many(%d): %d", k, r);
		i += r;
	}
	free(v);
	return NULL;
}

static void *thb_recv(void *arg)
{
	struct th *t = arg;
	uint64_t end = t_now_ms() + 60000;
	void *v[100];

	for (int got = 0; got < TH_N; ) {
		int n = wd_recv_many(t->q, v, 1 + got % 100);

		if (n < 0)
			T_FAIL("wd_recv_many: %s", t_errname(-n));
		if (!n) {
			if (t_now_ms() > end)
				T_FAIL("%d of %d after 60 s", got, TH_N);
			sched_yield();
			continue;
		}
		for (int i = 0; i < n; i++, got++) {
			int s = got % TH_SLOTS;

			if (v[i] != &t->reqs[got])
				T_FAIL("request %d out of order", got);
			T_EQ(t->reqs[got].status, 0);
			if (memcmp(t->mem + s * TH_SZ,
				   t->mem + (TH_SLOTS + s) * TH_SZ, TH_SZ))
				T_FAIL("request %d: wrong data", got);
		}
	}
	return NULL;
}

MTEST(batch_threads)
{
	pthread_t snd, rcv;
	struct wd_queue q;
	struct th t;

	th_setup(&q, &t, 16);
	T_EQ(pthread_create(&rcv, NULL, thb_recv, &t), 0);
	T_EQ(pthread_create(&snd, NULL, thb_send, &t), 0);
	pthread_join(snd, NULL);
	pthread_join(rcv, NULL);
	wd_release_queue(&q);
	free(t.reqs);
}

/* ---- choosing the device ---- */

/* "local" only when named; never instead of a missing device */
TEST(local_explicit)
{
	struct wd_queue q;

	unsetenv("WD_DEV_PATH");
#ifdef T_NATIVE
	if (t_exists("/sys/class/uacce"))
		t_skip("this machine has uacce devices");
	T_EQ(q_try(&q, "copy", ""), -ENODEV);
	T_EQ(q_try(&q, "copy", "local"), 0);
	T_EQ(q.dev_flags, WD_DEV_LOCAL | WD_DEV_SVA);
	T_STREQ(q.dev_path, "local:sva");
	wd_release_queue(&q);
	setenv("WD_DEV_PATH", "local:pasid", 1);
	T_EQ(q_try(&q, "copy", ""), 0);
	T_EQ(q.dev_flags, WD_DEV_LOCAL | WD_DEV_PASID);
	T_STREQ(q.dev_path, "local:pasid");
	wd_release_queue(&q);
#else
	/* the static VM programs have no in-process device */
	T_EQ(q_try(&q, "copy", "local"), -ENODEV);
	setenv("WD_DEV_PATH", "local", 1);
	T_EQ(q_try(&q, "copy", ""), -ENODEV);
	unsetenv("WD_DEV_PATH");
	T_EQ(q_try(&q, "copy", ""), 0);
	T_ASSERT(!strncmp(q.dev_path, "/dev/ua", 7));
	T_ASSERT(!(q.dev_flags & WD_DEV_LOCAL));
	wd_release_queue(&q);
#endif
}

/* ---- the in-process device's engines (WD_LOCAL_ENGINES) ---- */

#ifdef T_NATIVE
/* the engine threads of this process ("wdlD/E", lib/soft/engine.c) */
struct eng_thread {
	int tid;
	unsigned int dev, idx;
	uint64_t cpu_ns;		/* time on a CPU so far */
};

static uint64_t task_cpu_ns(int tid)
{
	char path[64], buf[512];
	unsigned long long run = 0, ut = 0, st = 0;
	const char *p;
	int n;

	/* schedstat: ns on the CPU; else utime + stime of stat, in ticks */
	snprintf(path, sizeof(path), "/proc/self/task/%d/schedstat", tid);
	if (t_read_file(path, buf, sizeof(buf)) > 0 &&
	    sscanf(buf, "%llu", &run) == 1)
		return run;
	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	n = t_read_file(path, buf, sizeof(buf) - 1);
	T_ASSERT(n > 0);
	buf[n] = 0;
	p = strrchr(buf, ')');
	T_ASSERT(p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
			     &ut, &st) == 2);
	return (ut + st) * (1000000000ull / (uint64_t)sysconf(_SC_CLK_TCK));
}

/* the threads of this process (all of them in *all), engines into e[] */
static int eng_threads(struct eng_thread *e, int max, int *all)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	int n = 0, total = 0;

	T_ASSERT(d);
	while ((de = readdir(d))) {
		char path[64], comm[32];
		unsigned int dev, idx;
		int tid = atoi(de->d_name);

		if (tid <= 0)
			continue;
		total++;
		snprintf(path, sizeof(path), "/proc/self/task/%d/comm", tid);
		if (t_read_file(path, comm, sizeof(comm)) <= 0 ||
		    sscanf(comm, "wdl%u/%u", &dev, &idx) != 2)
			continue;
		if (e && n < max)
			e[n] = (struct eng_thread){ tid, dev, idx,
						    task_cpu_ns(tid) };
		n++;
	}
	closedir(d);
	if (all)
		*all = total;
	return n;
}

static int nr_engines(void)
{
	return eng_threads(NULL, 0, NULL);
}

static int nr_threads(void)
{
	int all;

	eng_threads(NULL, 0, &all);
	return all;
}

/*
 * Wait (up to 10 s) until every engine thread sleeps: a thread inside
 * malloc() at fork() leaves the child's allocator locked. glibc's malloc
 * guards against that; GCC 12's ASan allocator does not, and a freshly
 * started engine thread is still in its start-up allocations.
 */
static void engines_asleep(void)
{
	struct eng_thread e[WD_LOCAL_ENGINES_MAX * 3];

	for (int i = 0; i < 10000; i++) {
		int n = eng_threads(e, (int)(sizeof(e) / sizeof(e[0])), NULL), awake = 0;

		for (int k = 0; k < n; k++) {
			char path[64], buf[512], *p;
			int len;

			snprintf(path, sizeof(path), "/proc/self/task/%d/stat", e[k].tid);
			len = t_read_file(path, buf, sizeof(buf) - 1);
			if (len <= 0)
				continue;
			buf[len] = 0;
			p = strrchr(buf, ')');
			awake += !p || p[2] != 'S';
		}
		if (!awake)
			return;
		t_msleep(1);
	}
	T_FAIL("engine threads still running after 10 s with nothing to do");
}

/* @pid must end within @ms: its wait status, or -1 (then it is killed) */
static int wait_bounded(pid_t pid, int ms)
{
	uint64_t end = t_now_ms() + ms;
	int st;

	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			return st;
		T_ASSERT(r == 0);
		if (t_now_ms() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return -1;
		}
		t_msleep(5);
	}
}

/* a queue on the in-process device must work: one copy through it */
static void local_copy_works(struct wd_queue *q)
{
	struct wd_copy_req req;
	uint8_t *mem = q_mem(q, 64 * 1024);

	fill_text(mem, 4096, 7);
	wd_prep_copy(&req, mem + 8192, mem, 4096);
	run(q, &req);
	T_EQ(req.status, 0);
	T_ASSERT(!memcmp(mem + 8192, mem, 4096));
}
#endif

static void native_only(void)
{
#ifndef T_NATIVE
	t_skip("the in-process device: native build only");
#endif
}

/* unset or empty: one engine; the variable counts only at creation */
TEST(local_engines_default)
{
	native_only();
#ifdef T_NATIVE
	struct wd_queue q, q2, q3;

	unsetenv("WD_LOCAL_ENGINES");
	T_EQ(nr_engines(), 0);
	q_open_on(&q, "copy", "local");
	T_EQ(nr_engines(), 1);
	local_copy_works(&q);

	setenv("WD_LOCAL_ENGINES", "", 1);	/* empty: as unset */
	q_open_on(&q2, "copy", "local:pasid");
	T_EQ(nr_engines(), 2);

	/* the devices exist: the variable is not read again */
	setenv("WD_LOCAL_ENGINES", "4", 1);
	q_open_on(&q3, "copy", "local:sva");
	T_EQ(nr_engines(), 2);
	wd_release_queue(&q3);
	setenv("WD_LOCAL_ENGINES", "abc", 1);
	q_open_on(&q3, "copy", "local:pasid");
	local_copy_works(&q3);
	T_EQ(nr_engines(), 2);
	wd_release_queue(&q3);
	wd_release_queue(&q2);
	wd_release_queue(&q);
	unsetenv("WD_LOCAL_ENGINES");
#endif
}

/*
 * WD_LOCAL_ENGINES=2: two engine threads, four queues spread over both
 * (each engine spends CPU time on compression), every request right:
 * inflated by zlib to its input, and the same chunk compressed to the same
 * bytes on either engine.
 */
MTEST(local_engines_two)
{
	native_only();
#ifdef T_NATIVE
	enum { NQ = 4, NR = 6, CH = 256 * 1024, ROOM = CH + CH / 8 + 4096 };
	struct wd_queue q[NQ];
	static struct wd_comp_req req[NQ][NR];
	struct eng_thread e0[4], e1[4];
	uint8_t *src[NQ], *dst[NQ], *back = malloc(CH);
	uint64_t used[2], total;
	size_t got;

	T_ASSERT(back);
	setenv("WD_LOCAL_ENGINES", "2", 1);
	for (int i = 0; i < NQ; i++) {
		uint8_t *mem;

		q_open(&q[i], "gzip");
		T_ASSERT(q[i].dev_flags & WD_DEV_LOCAL);
		mem = q_mem(&q[i], (size_t)NR * (CH + ROOM));
		src[i] = mem;
		dst[i] = mem + (size_t)NR * CH;
		/* chunk r of every queue holds the same text */
		for (int r = 0; r < NR; r++)
			fill_text(src[i] + (size_t)r * CH, CH, 100 + r);
	}
	unsetenv("WD_LOCAL_ENGINES");
	T_EQ(eng_threads(e0, 4, NULL), 2);
	T_ASSERT(e0[0].dev == e0[1].dev && e0[0].idx != e0[1].idx);

	/* all in flight at once, on every queue */
	for (int i = 0; i < NQ; i++) {
		for (int r = 0; r < NR; r++) {
			wd_prep_comp(&req[i][r], WD_COMPRESS, 6,
				     dst[i] + (size_t)r * ROOM, ROOM,
				     src[i] + (size_t)r * CH, CH);
			T_EQ(wd_send(&q[i], &req[i][r]), 0);
		}
		wd_flush(&q[i]);
	}
	for (int i = 0; i < NQ; i++) {
		for (int r = 0; r < NR; r++) {
			void *done = NULL;

			T_EQ(wd_recv_wait(&q[i], &done, 60000), 1);
			T_ASSERT(done == &req[i][r]);
			T_EQ(req[i][r].status, 0);
			T_EQ(ref_inflate("gzip", dst[i] + (size_t)r * ROOM,
					 req[i][r].out_len, back, CH, &got), 0);
			T_EQ(got, CH);
			T_ASSERT(!memcmp(back, src[i] + (size_t)r * CH, CH));
			T_EQ(req[i][r].out_len, req[0][r].out_len);
			T_ASSERT(!memcmp(dst[i] + (size_t)r * ROOM,
					 dst[0] + (size_t)r * ROOM,
					 req[i][r].out_len));
		}
	}

	/*
	 * Both engines worked: each compressed its queues' 3 MiB of text,
	 * at least 10 ms of CPU on any machine (about 100 ms here), while
	 * an engine without queues sleeps. An absolute floor, not a share:
	 * CPU time for given work only grows on a loaded machine, but the
	 * ratio of two threads' times is skewed by it (time stolen from a
	 * vCPU counts to whichever thread ran there).
	 */
	T_EQ(eng_threads(e1, 4, NULL), 2);
	for (int k = 0; k < 2; k++) {
		T_EQ(e1[k].tid, e0[k].tid);
		used[k] = e1[k].cpu_ns - e0[k].cpu_ns;
	}
	total = used[0] + used[1];
	t_note("engine CPU time: %.1f ms and %.1f ms",
	       (double)used[0] / 1e6, (double)used[1] / 1e6);
	T_ASSERT_MSG(total >= 20000000, "the engines used %.1f ms in all",
		     (double)total / 1e6);
	T_ASSERT_MSG(used[0] >= 10000000 && used[1] >= 10000000,
		     "queues not spread: %.1f ms and %.1f ms",
		     (double)used[0] / 1e6, (double)used[1] / 1e6);
	for (int i = 0; i < NQ; i++)
		wd_release_queue(&q[i]);
	free(back);
	T_EQ(nr_engines(), 2);		/* the device lives on */
#endif
}

#if defined(T_NATIVE) && defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

/* invalid values: -EINVAL, no thread, no memory left behind; then a fix */
TEST(local_engines_invalid)
{
	native_only();
#ifdef T_NATIVE
	static const char *const bad[] = {
		"0", "00", "-1", "+2", "17", "100", "4294967298",
		"99999999999999999999", "abc", "2x", "2 ", " 2", "0x2", "1.5",
		"\t1",
	};
	static const char *const devs[] = { "local", "local:pasid",
					    "local:noiommu" };
	struct wd_queue q;
	int threads = nr_threads();

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv("WD_LOCAL_ENGINES", bad[i], 1);
		T_EQ(wd_local_engines(), -EINVAL);
		for (int d = 0; d < 3; d++) {
			int r = q_try(&q, "copy", devs[d]);

			T_ASSERT_MSG(r == -EINVAL,
				     "WD_LOCAL_ENGINES=\"%s\" on %s: %s, expected EINVAL",
				     bad[i], devs[d], t_errname(-r));
			T_ASSERT(!q.priv);
		}
		T_EQ(nr_engines(), 0);
	}
	/* WD_DEV_PATH's device is created with the same rule */
	setenv("WD_DEV_PATH", "local:noiommu", 1);
	T_EQ(q_try(&q, "copy", ""), -EINVAL);
	unsetenv("WD_DEV_PATH");
	T_EQ(nr_threads(), threads);
	T_EQ(nr_engines(), 0);
#ifdef __SANITIZE_ADDRESS__
	T_ASSERT_MSG(!__lsan_do_recoverable_leak_check(),
		     "memory leaked by the refused requests (report above)");
#endif
	/* nothing was remembered: a valid value works at once */
	setenv("WD_LOCAL_ENGINES", "3", 1);
	T_EQ(wd_local_engines(), 3);
	q_open_on(&q, "copy", "local");
	T_EQ(nr_engines(), 3);
	local_copy_works(&q);
	wd_release_queue(&q);
	setenv("WD_LOCAL_ENGINES", "016", 1);	/* leading zeros: 16 */
	T_EQ(wd_local_engines(), 16);
	q_open_on(&q, "copy", "local:pasid");
	T_EQ(nr_engines(), 3 + 16);
	wd_release_queue(&q);
	unsetenv("WD_LOCAL_ENGINES");
	T_EQ(wd_local_engines(), 1);
	setenv("WD_LOCAL_ENGINES", "", 1);
	T_EQ(wd_local_engines(), 1);
	unsetenv("WD_LOCAL_ENGINES");
#endif
}

/* a fork child makes its own device, with the variable as it finds it */
TEST(local_engines_fork)
{
	native_only();
#ifdef T_NATIVE
	struct wd_queue q;
	pid_t pid;

	setenv("WD_LOCAL_ENGINES", "2", 1);
	q_open_on(&q, "copy", "local");
	T_EQ(nr_engines(), 2);
	engines_asleep();
	pid = t_fork();
	if (!pid) {
		struct wd_queue c;

		T_EQ(nr_engines(), 0);		/* threads do not fork */
		setenv("WD_LOCAL_ENGINES", "x", 1);
		T_EQ(q_try(&c, "copy", "local"), -EINVAL);
		setenv("WD_LOCAL_ENGINES", "3", 1);
		q_open_on(&c, "copy", "local");
		T_EQ(nr_engines(), 3);
		local_copy_works(&c);
		wd_release_queue(&c);
		_exit(0);
	}
	t_wait_ok(pid, 30000);
	T_EQ(nr_engines(), 2);
	local_copy_works(&q);
	wd_release_queue(&q);
	unsetenv("WD_LOCAL_ENGINES");
#endif
}

/* ---- the in-process device and the application's signals ---- */

/*
 * The in-process SVA device reaches request data through the kernel by
 * default (process_vm_readv/writev: no signal handler at all), or, with
 * WD_LOCAL_SVA_COPY=signal, copies itself and catches the faults of its
 * engine threads on bad addresses with a SIGSEGV/SIGBUS handler
 * (lib/soft/mem.c). Either way, bad addresses fail their request with
 * -EFAULT and everything else must reach the application as if libwd were
 * not there: its own faults and the signals sent to it, with its action's
 * flags and mask, its SA_RESETHAND, its SIG_DFL (death, core dump) and its
 * SIG_IGN. Each test runs the application in a child, which has a queue on
 * local:sva, and runs twice: NAME.kernel with the variable unset (the
 * default) and NAME.signal.
 */
static bool g_sig_mode;		/* this run is NAME.signal */

#define STEST(name)							\
	static void name(void);						\
	static void name##__kernel(void)				\
	{								\
		g_sig_mode = false;					\
		unsetenv("WD_LOCAL_SVA_COPY");				\
		name();							\
	}								\
	static void name##__signal(void)				\
	{								\
		g_sig_mode = true;					\
		setenv("WD_LOCAL_SVA_COPY", "signal", 1);		\
		name();							\
	}								\
	__attribute__((constructor)) static void name##__reg(void)	\
	{								\
		t_register(#name ".kernel", name##__kernel, 60);	\
		t_register(#name ".signal", name##__signal, 60);	\
	}								\
	static void name(void)

#ifdef T_NATIVE
/* an address nothing is mapped at, hidden from the compiler */
static volatile int *volatile sig_bad_ptr = (volatile int *)(uintptr_t)16;

/* what the application's handler saw, one record per delivery */
struct sig_rec {
	int sig, code, pid, value;
	void *addr;
	bool reset;		/* the action was SIG_DFL while it ran */
	int act_flags;		/* ... and its flags */
	bool act_usr1;		/* ... and SIGUSR1 in its sa_mask */
	bool usr1, usr2, self;	/* blocked while it ran */
	bool altstack;		/* it ran on the alternate stack */
};

static int sig_rec_fd = -1;
static stack_t sig_alt;
static sigjmp_buf sig_env;
static volatile sig_atomic_t sig_jump;

static void sig_record(int sig, siginfo_t *si, void *uc)
{
	struct sig_rec r = {
		.sig = sig, .code = si->si_code, .pid = si->si_pid,
		.value = si->si_value.sival_int, .addr = si->si_addr,
	};
	struct sigaction cur;
	sigset_t m;
	char here;

	(void)uc;
	sigaction(sig, NULL, &cur);
	/* SA_RESETHAND: the kernel makes the handler SIG_DFL, flags stay */
	r.reset = cur.sa_handler == SIG_DFL;
	r.act_flags = cur.sa_flags;
	r.act_usr1 = sigismember(&cur.sa_mask, SIGUSR1);
	pthread_sigmask(SIG_SETMASK, NULL, &m);
	r.usr1 = sigismember(&m, SIGUSR1);
	r.usr2 = sigismember(&m, SIGUSR2);
	r.self = sigismember(&m, sig);
	r.altstack = sig_alt.ss_sp && &here >= (char *)sig_alt.ss_sp &&
		     &here < (char *)sig_alt.ss_sp + sig_alt.ss_size;
	if (write(sig_rec_fd, &r, sizeof(r)) < 0)
		(void)0;	/* full: a fault loop, which the test reports */
	if (sig_jump) {
		sig_jump = 0;
		siglongjmp(sig_env, 1);
	}
}

static void sig_act(int sig, int flags, int masked)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sig_record;
	sa.sa_flags = SA_SIGINFO | flags;
	sigemptyset(&sa.sa_mask);
	if (masked)
		sigaddset(&sa.sa_mask, masked);
	T_OK(sigaction(sig, &sa, NULL));
}

static void sig_disp(int sig, void (*h)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = h;
	sigemptyset(&sa.sa_mask);
	T_OK(sigaction(sig, &sa, NULL));
}

/* one copy on @q: its status */
static int copy_status(struct wd_queue *q, void *dst, const void *src,
		       uint32_t len)
{
	struct wd_copy_req req;

	wd_prep_copy(&req, dst, src, len);
	run(q, &req);
	return req.status;
}

/* the child's queue on the in-process SVA device, and a copy through it */
static void sig_queue(struct wd_queue *q)
{
	static char a[4096], b[4096];

	q_open_on(q, "copy", "local:sva");
	fill_text(a, sizeof(a), 11);
	T_EQ(copy_status(q, b, a, sizeof(a)), 0);
	T_ASSERT(!memcmp(a, b, sizeof(a)));
}

/* bad SVA addresses fail their request with -EFAULT; good ones still work */
static void sig_bad_addrs(struct wd_queue *q)
{
	long pg = sysconf(_SC_PAGESIZE);
	char path[] = "/tmp/t_libwd.XXXXXX", *ok = malloc(2 * pg);
	uint8_t *none, *ro, *fm;
	int fd;

	T_ASSERT(ok);
	none = mmap(NULL, pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ro = mmap(NULL, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	T_ASSERT(none != MAP_FAILED && ro != MAP_FAILED);
	fd = T_OK(mkstemp(path));
	T_OK(unlink(path));
	T_OK(write(fd, "x", 1));
	fm = mmap(NULL, 2 * pg, PROT_READ, MAP_SHARED, fd, 0);
	T_ASSERT(fm != MAP_FAILED);
	close(fd);
	memset(ok, 5, 2 * pg);

	T_EQ(copy_status(q, ok, (void *)sig_bad_ptr, 100), -EFAULT);	/* NULL page */
	T_EQ(copy_status(q, ok, none, 100), -EFAULT);			/* PROT_NONE */
	T_EQ(copy_status(q, ro, ok, 100), -EFAULT);			/* read-only */
	T_EQ(copy_status(q, ok, fm + pg, 100), -EFAULT);		/* past EOF: SIGBUS */
	T_EQ(copy_status(q, ok + pg, ok, pg), 0);
	munmap(fm, 2 * pg);
	munmap(ro, pg);
	munmap(none, pg);
	free(ok);
}

/*
 * A core dump shows that the default action ran. Seen when core_pattern
 * names a file in the working directory and not under ASan (whose shadow
 * would make the core enormous; it turns core dumps off anyway).
 */
static bool core_dir(char *dir, size_t len)
{
#ifdef __SANITIZE_ADDRESS__
	(void)dir;
	(void)len;
	return false;
#else
	char pat[256];
	int n = t_read_file("/proc/sys/kernel/core_pattern", pat, sizeof(pat));

	if (n <= 0)
		return false;
	pat[n] = 0;
	if (pat[0] == '|' || strchr(pat, '/'))
		return false;
	snprintf(dir, len, "/tmp/t_libwd_core.XXXXXX");
	return mkdtemp(dir) != NULL;
#endif
}

/* in the child: cores into @dir (NULL: none) */
static void core_child(const char *dir)
{
	struct rlimit rl = { 0, 0 };

	if (dir) {
		rl.rlim_cur = rl.rlim_max = RLIM_INFINITY;
		T_OK(chdir(dir));
	}
	if (setrlimit(RLIMIT_CORE, &rl) && dir)
		T_FAIL("RLIMIT_CORE: %s", t_errname(errno));
}

static void core_clean(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char p[512];

	if (!d)
		return;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.') {
			snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
			unlink(p);
		}
	closedir(d);
	rmdir(dir);
}

/* @pid has not ended (a status that says otherwise fails the test) */
static bool still_alive(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, WNOHANG) != pid)
		return true;
	T_FAIL("the child ended early: status %#x (killed by %s)", st,
	       WIFSIGNALED(st) ? sigabbrev_np(WTERMSIG(st)) : "-");
}

/* died of @sig by its default action (with a core dump when @core) */
static void expect_default_death(int st, int sig, bool core, const char *dir)
{
	if (WIFEXITED(st))
		T_FAIL("child exited %d, expected death by SIG%s", WEXITSTATUS(st),
		       sigabbrev_np(sig));
	T_ASSERT_MSG(WIFSIGNALED(st) && WTERMSIG(st) == sig,
		     "child killed by SIG%s, expected SIG%s",
		     sigabbrev_np(WTERMSIG(st)), sigabbrev_np(sig));
	if (core) {
		T_ASSERT_MSG(WCOREDUMP(st), "killed by SIG%s without a core dump",
			     sigabbrev_np(sig));
		core_clean(dir);
	}
}

/* /proc/PID/status field @name (hex masks): its value */
static unsigned long long proc_status_hex(pid_t tid, const char *name)
{
	char path[64], buf[4096], *p;
	int n;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	n = t_read_file(path, buf, sizeof(buf));
	T_ASSERT(n > 0);
	buf[n] = 0;
	p = strstr(buf, name);
	T_ASSERT(p);
	return strtoull(p + strlen(name), NULL, 16);
}

#define SIGBIT(s)	(1ull << ((s) - 1))
#endif

/*
 * A one-shot handler (SA_RESETHAND) that returns: the application's own
 * NULL write runs it once, with its action reset to SIG_DFL and its
 * sa_mask blocked, then kills the process by SIGSEGV's default action (a
 * core dump), as without libwd; never a fault loop. The reset is the
 * kernel's: the handler becomes SIG_DFL, the action's flags and sa_mask
 * stay as they were.
 */
STEST(signal_resethand_fault)
{
	native_only();
#ifdef T_NATIVE
	int pfd[2], st, n = 0;
	struct sig_rec r, x;
	char dir[64];
	bool core = core_dir(dir, sizeof(dir));
	pid_t pid;

	T_OK(pipe2(pfd, O_NONBLOCK));
	pid = t_fork();
	if (!pid) {
		struct wd_queue q;

		close(pfd[0]);
		sig_rec_fd = pfd[1];
		core_child(core ? dir : NULL);
		sig_act(SIGSEGV, SA_RESETHAND, SIGUSR1);
		sig_queue(&q);
		*sig_bad_ptr = 1;
		_exit(0);
	}
	close(pfd[1]);
	st = wait_bounded(pid, 10000);
	if (read(pfd[0], &r, sizeof(r)) == sizeof(r))
		n++;
	while (read(pfd[0], &x, sizeof(x)) == sizeof(x))
		n++;
	close(pfd[0]);
	if (st == -1) {
		if (core)
			core_clean(dir);
		T_FAIL("10 s after its NULL write the child still ran: its one-shot "
		       "handler ran %d%s times (a fault loop)",
		       n, n * (int)sizeof(r) >= 65536 ? " or more" : "");
	}
	expect_default_death(st, SIGSEGV, core, dir);
	T_EQ(n, 1);
	T_EQ(r.sig, SIGSEGV);
	T_EQ(r.code, SEGV_MAPERR);
	T_ASSERT(r.addr == (void *)sig_bad_ptr);
	T_ASSERT_MSG(r.reset, "SA_RESETHAND: the action was not SIG_DFL in the handler");
	T_ASSERT_MSG((r.act_flags & (SA_SIGINFO | SA_RESETHAND)) ==
		     (SA_SIGINFO | SA_RESETHAND) && r.act_usr1,
		     "SA_RESETHAND: the reset action's flags %#x and sa_mask "
		     "(SIGUSR1 %d) are not the application's, as the kernel keeps "
		     "them", r.act_flags, r.act_usr1);
	T_ASSERT_MSG(r.usr1, "the handler's sa_mask (SIGUSR1) was not blocked");
	T_ASSERT_MSG(r.self, "SIGSEGV was not blocked in its handler (no SA_NODEFER)");
#endif
}

/* kill -SEGV / -BUS with SIG_DFL: death by the default action (a core) */
STEST(signal_kill_default)
{
	native_only();
#ifdef T_NATIVE
	static const int sigs[] = { SIGSEGV, SIGBUS };

	for (int i = 0; i < 2; i++) {
		int ready[2], ctl[2], st;
		char dir[64], c;
		bool core = core_dir(dir, sizeof(dir));
		pid_t pid;

		T_OK(pipe(ready));
		T_OK(pipe(ctl));
		pid = t_fork();
		if (!pid) {
			struct wd_queue q;

			core_child(core ? dir : NULL);
			sig_disp(SIGSEGV, SIG_DFL);
			sig_disp(SIGBUS, SIG_DFL);
			sig_queue(&q);
			T_OK(write(ready[1], "r", 1));
			while (read(ctl[0], &c, 1) < 0 && errno == EINTR)
				;
			_exit(0);
		}
		T_EQ(read(ready[0], &c, 1), 1);
		T_OK(kill(pid, sigs[i]));
		st = wait_bounded(pid, 10000);
		T_ASSERT_MSG(st != -1, "SIG%s sent, the child still ran after 10 s",
			     sigabbrev_np(sigs[i]));
		expect_default_death(st, sigs[i], core, dir);
		close(ready[0]);
		close(ready[1]);
		close(ctl[0]);
		close(ctl[1]);
	}
#endif
}

/*
 * kill -BUS / -SEGV with SIG_IGN: ignored. The process lives on, its
 * blocking read() is not cut short, its queue works.
 */
STEST(signal_kill_ignored)
{
	native_only();
#ifdef T_NATIVE
	static const int sigs[] = { SIGBUS, SIGSEGV, SIGBUS };
	int ready[2], ctl[2], st;
	pid_t pid;
	char c;

	T_OK(pipe(ready));
	T_OK(pipe(ctl));
	pid = t_fork();
	if (!pid) {
		struct wd_queue q;
		ssize_t n;

		sig_disp(SIGBUS, SIG_IGN);
		sig_disp(SIGSEGV, SIG_IGN);
		sig_queue(&q);
		T_OK(write(ready[1], "r", 1));
		n = read(ctl[0], &c, 1);
		if (n != 1)
			T_FAIL("read() while ignored signals came: %zd (%s)", n,
			       t_errname(errno));
		sig_bad_addrs(&q);
		wd_release_queue(&q);
		_exit(0);
	}
	T_EQ(read(ready[0], &c, 1), 1);
	for (int i = 0; i < 3; i++) {
		t_wait_asleep_in(pid, SYS_read, SYS_read, "the child's read()");
		T_OK(kill(pid, sigs[i]));
		/* taken (or discarded), and the child back in its read() */
		T_WAIT_UNTIL(still_alive(pid) &&
			     !(proc_status_hex(pid, "ShdPnd:") & SIGBIT(sigs[i])) &&
			     t_task_asleep_in(pid, SYS_read, SYS_read),
			     "SIG%s never taken", sigabbrev_np(sigs[i]));
	}
	T_OK(write(ctl[1], "c", 1));
	st = wait_bounded(pid, 30000);
	T_ASSERT_MSG(st != -1, "child still running after 30 s");
	T_ASSERT_MSG(WIFEXITED(st) && !WEXITSTATUS(st),
		     "child status %#x (killed by %s)", st,
		     WIFSIGNALED(st) ? sigabbrev_np(WTERMSIG(st)) : "-");
#endif
}

/*
 * The application's handlers get their signals with their own flags and
 * mask: sa_mask and the signal itself blocked (or not, SA_NODEFER), the
 * alternate stack only with SA_ONSTACK, SA_RESTART or EINTR, and the
 * siginfo as sent (a fault's address; kill's and sigqueue's sender and
 * value). The engines' faults stay the device's (-EFAULT).
 */
STEST(signal_handler_flags)
{
	native_only();
#ifdef T_NATIVE
	struct sig_rec r[4];
	int recs[2], ready[2], ctl[2], st, n;
	union sigval v = { .sival_int = 42 };
	pid_t pid;
	char c;

	T_OK(pipe(recs));
	T_OK(pipe(ready));
	T_OK(pipe(ctl));
	pid = t_fork();
	if (!pid) {
		struct wd_queue q;
		int eintr = 0;

		close(recs[0]);
		sig_rec_fd = recs[1];
		sig_alt.ss_size = 1 << 16;
		sig_alt.ss_sp = malloc(sig_alt.ss_size);
		T_ASSERT(sig_alt.ss_sp);
		T_OK(sigaltstack(&sig_alt, NULL));
		sig_act(SIGSEGV, 0, SIGUSR1);
		sig_act(SIGBUS, SA_NODEFER | SA_ONSTACK | SA_RESTART, SIGUSR2);
		sig_queue(&q);
		/* its own fault */
		if (!sigsetjmp(sig_env, 1)) {
			sig_jump = 1;
			*sig_bad_ptr = 1;
		}
		/* the parent's signals, each while we sleep in read() */
		T_OK(write(ready[1], "r", 1));
		while (read(ctl[0], &c, 1) < 0) {
			T_EQ(errno, EINTR);
			eintr++;
		}
		sig_bad_addrs(&q);
		wd_release_queue(&q);
		/* how many signals cut read() short: the parent checks */
		_exit(eintr);
	}
	close(recs[1]);
	T_EQ(read(ready[0], &c, 1), 1);
	for (int i = 0; i < 3; i++) {
		t_wait_asleep_in(pid, SYS_read, SYS_read, "the child's read()");
		if (i == 0)
			T_OK(kill(pid, SIGSEGV));
		else if (i == 1)
			T_OK(kill(pid, SIGBUS));
		else
			T_OK(sigqueue(pid, SIGBUS, v));
		/* its record: the handler ran */
		T_WAIT_UNTIL(still_alive(pid) &&
			     proc_status_hex(pid, "ShdPnd:") == 0,
			     "signal %d not taken", i);
		t_wait_asleep_in(pid, SYS_read, SYS_read, "the child's read()");
	}
	T_OK(write(ctl[1], "c", 1));
	st = wait_bounded(pid, 30000);
	n = 0;
	while (n < 4 && read(recs[0], &r[n], sizeof(r[n])) == sizeof(r[n]))
		n++;
	T_ASSERT_MSG(st != -1, "child still running after 30 s");
	T_ASSERT_MSG(WIFEXITED(st), "child status %#x", st);
	T_EQ(n, 4);
	/* no more: the engine's faults are not the application's */
	T_EQ(read(recs[0], &c, 1), 0);
	/* its own NULL write */
	T_EQ(r[0].sig, SIGSEGV);
	T_EQ(r[0].code, SEGV_MAPERR);
	T_ASSERT(r[0].addr == (void *)sig_bad_ptr);
	/* kill -SEGV: sa_mask and the signal blocked, the normal stack */
	T_EQ(r[1].sig, SIGSEGV);
	T_EQ(r[1].code, SI_USER);
	T_EQ(r[1].pid, getpid());
	for (int i = 0; i < 2; i++) {
		T_ASSERT_MSG(r[i].usr1 && !r[i].usr2,
			     "SIGSEGV handler %d: sa_mask {SIGUSR1} not what was blocked", i);
		T_ASSERT_MSG(r[i].self,
			     "SIGSEGV handler %d: SIGSEGV not blocked (no SA_NODEFER)", i);
		T_ASSERT_MSG(!r[i].altstack,
			     "SIGSEGV handler %d: on the alternate stack without SA_ONSTACK", i);
		T_ASSERT(!r[i].reset);
	}
	/* kill -BUS and sigqueue: SA_NODEFER, SA_ONSTACK */
	T_EQ(r[2].code, SI_USER);
	T_EQ(r[3].code, SI_QUEUE);
	T_EQ(r[3].value, 42);
	for (int i = 2; i < 4; i++) {
		T_EQ(r[i].sig, SIGBUS);
		T_EQ(r[i].pid, getpid());
		T_ASSERT_MSG(r[i].usr2 && !r[i].usr1,
			     "SIGBUS handler: sa_mask {SIGUSR2} not what was blocked");
		T_ASSERT_MSG(!r[i].self, "SIGBUS blocked in its handler despite SA_NODEFER");
		T_ASSERT_MSG(r[i].altstack,
			     "SIGBUS handler not on the alternate stack (SA_ONSTACK)");
	}
	/* SIGSEGV's action has no SA_RESTART, SIGBUS's has: one EINTR */
	T_ASSERT_MSG(WEXITSTATUS(st) == 1,
		     "read() cut short by %d signals, expected 1 (SIGSEGV's)",
		     WEXITSTATUS(st));
#endif
}

/*
 * The application blocks SIGSEGV and SIGBUS in every thread it has and
 * takes them with sigwaitinfo(); a kill -BUS and a sigqueue SIGSEGV must
 * reach sigwaitinfo(), not kill the process, and bad addresses still fail
 * with -EFAULT. .kernel: the engine blocks every signal from the start, so
 * neither ever lands on it, and the kill's sender is the sender. .signal:
 * the engine cannot block them (a blocked fault kills), so they land on it
 * and it hands them on (the kill's sender becomes the process itself);
 * meanwhile it copies without faulting, and goes back to normal after.
 */
STEST(signal_blocked_sigwait)
{
	native_only();
#ifdef T_NATIVE
	union sigval v = { .sival_int = 7 };
	int ready[2], st;
	pid_t pid;
	char c;

	T_OK(pipe(ready));
	pid = t_fork();
	if (!pid) {
		struct timespec tmo = { 10, 0 };
		struct eng_thread e[1];
		struct wd_queue q;
		siginfo_t si[2];
		uint8_t a[256], b[256];
		sigset_t set;

		close(ready[0]);
		sigemptyset(&set);
		sigaddset(&set, SIGSEGV);
		sigaddset(&set, SIGBUS);
		T_EQ(pthread_sigmask(SIG_BLOCK, &set, NULL), 0);
		unsetenv("WD_LOCAL_ENGINES");
		sig_queue(&q);
		T_EQ(eng_threads(e, 1, NULL), 1);
		if (!g_sig_mode)
			T_EQ(proc_status_hex(e[0].tid, "SigBlk:") &
			     (SIGBIT(SIGSEGV) | SIGBIT(SIGBUS)),
			     SIGBIT(SIGSEGV) | SIGBIT(SIGBUS));
		T_OK(write(ready[1], "r", 1));
		if (g_sig_mode)
			/* the engine took both and handed them on: it blocks them now */
			T_WAIT_UNTIL((proc_status_hex(e[0].tid, "SigBlk:") &
				      (SIGBIT(SIGSEGV) | SIGBIT(SIGBUS))) ==
				     (SIGBIT(SIGSEGV) | SIGBIT(SIGBUS)),
				     "the engine thread never blocked the signals it took");
		else
			/* pending for the process, as without libwd */
			T_WAIT_UNTIL((proc_status_hex(getpid(), "ShdPnd:") &
				      (SIGBIT(SIGSEGV) | SIGBIT(SIGBUS))) ==
				     (SIGBIT(SIGSEGV) | SIGBIT(SIGBUS)),
				     "the signals sent never became pending");
		/* which it does without faulting */
		T_EQ(copy_status(&q, b, (void *)sig_bad_ptr, 100), -EFAULT);
		t_fill_random(a, sizeof(a), 3);
		T_EQ(copy_status(&q, b, a, sizeof(a)), 0);
		T_ASSERT(!memcmp(a, b, sizeof(a)));
		/* sigwaitinfo() gets them, as sent */
		for (int i = 0; i < 2; i++)
			T_ASSERT_MSG(sigtimedwait(&set, &si[i], &tmo) > 0,
				     "sigtimedwait: %s", t_errname(errno));
		if (si[0].si_signo == SIGSEGV) {
			siginfo_t x = si[0];

			si[0] = si[1];
			si[1] = x;
		}
		T_EQ(si[0].si_signo, SIGBUS);
		T_EQ(si[0].si_code, SI_USER);
		/* handed on, a kill's sender is the process; else the sender */
		T_EQ(si[0].si_pid, g_sig_mode ? getpid() : getppid());
		T_EQ(si[1].si_signo, SIGSEGV);
		T_EQ(si[1].si_code, SI_QUEUE);
		T_EQ(si[1].si_value.sival_int, 7);
		T_EQ(si[1].si_pid, getppid());
		/* taken: the engine unblocks them at its next copy (.signal) */
		T_EQ(copy_status(&q, b, a, sizeof(a)), 0);
		T_EQ(proc_status_hex(e[0].tid, "SigBlk:") &
		     (SIGBIT(SIGSEGV) | SIGBIT(SIGBUS)),
		     g_sig_mode ? 0 : SIGBIT(SIGSEGV) | SIGBIT(SIGBUS));
		sig_bad_addrs(&q);
		wd_release_queue(&q);
		_exit(0);
	}
	/* a child that failed before it was ready: read() gives 0 */
	close(ready[1]);
	T_EQ(read(ready[0], &c, 1), 1);
	T_OK(kill(pid, SIGBUS));
	T_OK(sigqueue(pid, SIGSEGV, v));
	st = wait_bounded(pid, 60000);
	T_ASSERT_MSG(st != -1, "child still running after 60 s");
	T_ASSERT_MSG(WIFEXITED(st) && !WEXITSTATUS(st),
		     "child status %#x (killed by %s)", st,
		     WIFSIGNALED(st) ? sigabbrev_np(WTERMSIG(st)) : "-");
#endif
}

/*
 * Bad SVA addresses complete with -EFAULT whatever the application's
 * actions for SIGSEGV and SIGBUS (a one-shot handler, installed before the
 * device or after it; SIG_IGN; SIG_DFL), and the application never sees
 * the engine's faults.
 */
STEST(signal_bad_sva_addr)
{
	native_only();
#ifdef T_NATIVE
	for (int mode = 0; mode < 4; mode++) {
		int recs[2], st;
		pid_t pid;
		char c;

		T_OK(pipe(recs));
		pid = t_fork();
		if (!pid) {
			struct wd_queue q, q2;

			close(recs[0]);
			sig_rec_fd = recs[1];
			if (mode == 0) {
				sig_act(SIGSEGV, SA_RESETHAND, 0);
				sig_act(SIGBUS, SA_RESETHAND, 0);
			} else {
				sig_disp(SIGSEGV, mode == 2 ? SIG_IGN : SIG_DFL);
				sig_disp(SIGBUS, mode == 2 ? SIG_IGN : SIG_DFL);
			}
			sig_queue(&q);
			if (mode == 3) {
				/* after the device: the next queue start puts ours back */
				sig_act(SIGSEGV, SA_RESETHAND, 0);
				sig_act(SIGBUS, SA_RESETHAND, 0);
				q_open_on(&q2, "copy", "local:sva");
			}
			sig_bad_addrs(&q);
			if (mode == 3) {
				sig_bad_addrs(&q2);
				wd_release_queue(&q2);
			}
			wd_release_queue(&q);
			_exit(0);
		}
		close(recs[1]);
		st = wait_bounded(pid, 60000);
		T_ASSERT_MSG(st != -1, "child still running after 60 s");
		T_ASSERT_MSG(WIFEXITED(st) && !WEXITSTATUS(st),
			     "mode %d: child status %#x (killed by %s)", mode, st,
			     WIFSIGNALED(st) ? sigabbrev_np(WTERMSIG(st)) : "-");
		T_ASSERT_MSG(read(recs[0], &c, 1) == 0,
			     "mode %d: the application's handler ran for an engine's fault", mode);
		close(recs[0]);
	}
#endif
}

#ifdef T_NATIVE
/* every signal's action, as sigaction() reports it */
static void sig_snapshot(struct sigaction *sa)
{
	for (int i = 1; i < NSIG; i++) {
		memset(&sa[i], 0, sizeof(sa[i]));
		sigaction(i, NULL, &sa[i]);	/* glibc's own two: EINVAL */
	}
}

/* the signals (SIGBIT) whose action differs from @was: handler, flags, mask */
static unsigned long long sig_changed(const struct sigaction *was)
{
	struct sigaction now[NSIG];
	unsigned long long m = 0;

	sig_snapshot(now);
	for (int i = 1; i < NSIG && i <= 64; i++) {
		if (now[i].sa_handler != was[i].sa_handler ||
		    now[i].sa_flags != was[i].sa_flags)
			m |= SIGBIT(i);
		for (int s = 1; s < NSIG; s++)
			if (sigismember(&now[i].sa_mask, s) !=
			    sigismember(&was[i].sa_mask, s))
				m |= SIGBIT(i);
	}
	return m;
}

/* 1..31 but SIGKILL and SIGSTOP: what a thread that blocks all blocks */
#define SIG_STD_ALL	(0x7fffffffull & ~SIGBIT(SIGKILL) & ~SIGBIT(SIGSTOP))
#endif

/*
 * The default (WD_LOCAL_SVA_COPY unset) installs no signal handler. An
 * application with a crash reporter's SIGSEGV handler (SA_SIGINFO,
 * SA_ONSTACK, SA_NODEFER, a mask) and SIGBUS as it found it requests
 * queues in two modes and sends bad SVA addresses, which fail with
 * -EFAULT. Afterwards every signal's action is exactly its own (handler,
 * flags, mask), its handler never ran for the engine's bad addresses, its
 * own fault still reaches it with its siginfo, and every engine thread
 * blocks every signal, so that none sent to the process lands on one.
 */
TEST(sva_no_handler)
{
	native_only();
#ifdef T_NATIVE
	struct sigaction before[NSIG];
	struct eng_thread e[2];
	struct wd_queue q, qp;
	unsigned long long changed;
	struct sig_rec r;
	int recs[2];

	unsetenv("WD_LOCAL_SVA_COPY");
	unsetenv("WD_LOCAL_ENGINES");
	T_OK(pipe2(recs, O_NONBLOCK));
	sig_rec_fd = recs[1];
	sig_act(SIGSEGV, SA_ONSTACK | SA_NODEFER, SIGUSR1);
	sig_snapshot(before);
	q_open_on(&q, "copy", "local:sva");
	q_open_on(&qp, "copy", "local:pasid");
	local_copy_works(&q);
	local_copy_works(&qp);
	sig_bad_addrs(&q);
	changed = sig_changed(before);
	T_ASSERT_MSG(!changed, "signal actions changed: %#llx (SIGBIT)", changed);
	T_ASSERT_MSG(read(recs[0], &r, sizeof(r)) < 0,
		     "the application's handler ran for an engine's bad address");
	T_EQ(eng_threads(e, 2, NULL), 2);
	for (int i = 0; i < 2; i++)
		T_EQ_HEX(proc_status_hex(e[i].tid, "SigBlk:") & SIG_STD_ALL,
			 SIG_STD_ALL);
	/* its own fault: its handler, with its siginfo */
	if (!sigsetjmp(sig_env, 1)) {
		sig_jump = 1;
		*sig_bad_ptr = 1;
	}
	T_EQ(read(recs[0], &r, sizeof(r)), sizeof(r));
	T_EQ(r.sig, SIGSEGV);
	T_EQ(r.code, SEGV_MAPERR);
	T_ASSERT(r.addr == (void *)sig_bad_ptr);
	T_ASSERT(!r.self && r.usr1);
	wd_release_queue(&qp);
	wd_release_queue(&q);
	close(recs[0]);
	close(recs[1]);
#endif
}

/*
 * WD_LOCAL_SVA_COPY, read when the SVA device is created: unset, empty
 * and "kernel" leave every signal action alone; "signal" installs the
 * SIGSEGV/SIGBUS handler; anything else fails the SVA request with
 * -EINVAL and creates nothing (the other modes never read it). Bad
 * addresses fail with -EFAULT under every valid value.
 */
TEST(local_sva_copy_env)
{
	native_only();
#ifdef T_NATIVE
	static const char *const bad[] = {
		"x", "Signal", "KERNEL", "signal ", " kernel", "1", "0",
		"signals", "kernel\n",
	};
	static const char *const good[] = { NULL, "", "kernel", "signal" };
	struct wd_queue q, qp;
	int engines;

	unsetenv("WD_LOCAL_ENGINES");
	setenv("WD_LOCAL_SVA_COPY", "x", 1);
	q_open_on(&qp, "copy", "local:pasid");
	local_copy_works(&qp);
	engines = nr_engines();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r;

		setenv("WD_LOCAL_SVA_COPY", bad[i], 1);
		r = q_try(&q, "copy", "local:sva");
		T_ASSERT_MSG(r == -EINVAL,
			     "WD_LOCAL_SVA_COPY=\"%s\": %s, expected EINVAL",
			     bad[i], t_errname(-r));
		T_ASSERT(!q.priv);
		T_EQ(nr_engines(), engines);
	}
	wd_release_queue(&qp);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		pid_t pid = t_fork();
		int st;

		if (!pid) {
			struct sigaction before[NSIG];
			unsigned long long changed;

			if (good[i])
				setenv("WD_LOCAL_SVA_COPY", good[i], 1);
			else
				unsetenv("WD_LOCAL_SVA_COPY");
			sig_snapshot(before);
			q_open_on(&q, "copy", "local:sva");
			local_copy_works(&q);
			sig_bad_addrs(&q);
			changed = sig_changed(before);
			T_ASSERT_MSG(changed == (i == 3 ? SIGBIT(SIGSEGV) |
						 SIGBIT(SIGBUS) : 0),
				     "\"%s\": the actions that changed: %#llx (SIGBIT)",
				     good[i] ? good[i] : "(unset)", changed);
			wd_release_queue(&q);
			_exit(0);
		}
		st = wait_bounded(pid, 30000);
		T_ASSERT_MSG(st != -1, "child still running after 30 s");
		T_ASSERT_MSG(WIFEXITED(st) && !WEXITSTATUS(st),
			     "WD_LOCAL_SVA_COPY=%s: child status %#x",
			     good[i] ? good[i] : "(unset)", st);
	}
#endif
}

/* ---- fork() while another thread is inside libwd ---- */

/*
 * wd.h promises that a fork child may request queues of its own. So fork()
 * at a moment when another thread is inside the in-process device's
 * critical sections (creating the device; starting an SVA queue) must
 * leave the child every lock it needs. The moment is made, not hoped for:
 * the native test programs (only) are linked with --wrap=sigaction and
 * --wrap=wd_soft_core_queue_reset (tests/lib/Makefile), so a thread that
 * armed itself stops in the first sigaction() the device makes, which it
 * makes under its lock, and parks again at the queue reset that follows
 * the lock in queue start. A watcher lets it go on once the forking thread
 * sleeps in fork() (waiting in a prepare handler for that lock); without
 * such a handler fork() does not wait, and the child inherits the lock
 * held. The devices copy with the signal guard (WD_LOCAL_SVA_COPY=signal):
 * only that mode calls sigaction(), and only it takes the lock at a
 * queue's start; device creation holds the same lock in either mode.
 */
#ifdef T_NATIVE
int __real_sigaction(int sig, const struct sigaction *act,
		     struct sigaction *old);
void __real_wd_soft_core_queue_reset(void *q);

static __thread bool fk_stop, fk_park;
static sem_t fk_inside, fk_go, fk_forked_t, fk_forked_w;
static atomic_bool fk_done, fk_released;

static void fk_sem_wait(sem_t *s, const char *what)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += T_HANG_MS / 1000;
	while (sem_timedwait(s, &ts))
		if (errno != EINTR)
			T_FAIL("waiting for %s: %s", what, t_errname(errno));
}

int __wrap_sigaction(int sig, const struct sigaction *act,
		     struct sigaction *old)
{
	if (fk_stop) {
		fk_stop = false;
		sem_post(&fk_inside);
		fk_sem_wait(&fk_go, "the fork");
	}
	return __real_sigaction(sig, act, old);
}

void __wrap_wd_soft_core_queue_reset(void *q)
{
	if (fk_park) {
		/* out of the lock: wait here, away from malloc (ASan's
		 * allocator is not fork-safe), until the fork is done */
		fk_park = false;
		fk_sem_wait(&fk_forked_t, "the fork to end");
	}
	__real_wd_soft_core_queue_reset(q);
}

static void *fk_requester(void *arg)
{
	struct wd_queue q;

	(void)arg;
	fk_stop = true;
	fk_park = true;
	q_open_on(&q, "copy", "local:sva");
	local_copy_works(&q);
	wd_release_queue(&q);
	return NULL;
}

/* release the requester once @arg (the forking thread) sleeps in fork() */
static void *fk_watcher(void *arg)
{
	pid_t tid = *(pid_t *)arg;

	while (!atomic_load(&fk_done)) {
		if (t_task_asleep_in(tid, SYS_futex, SYS_futex)) {
			atomic_store(&fk_released, true);
			sem_post(&fk_go);
			break;
		}
		t_msleep(1);
	}
	fk_sem_wait(&fk_forked_w, "the fork to end");
	return NULL;
}

static void fork_inside(bool creating)
{
	pid_t me = t_gettid(), pid;
	pthread_t t, w;
	struct wd_queue q0;
	int st;

	unsetenv("WD_LOCAL_ENGINES");
	setenv("WD_LOCAL_SVA_COPY", "signal", 1);
	T_OK(sem_init(&fk_inside, 0, 0));
	T_OK(sem_init(&fk_go, 0, 0));
	T_OK(sem_init(&fk_forked_t, 0, 0));
	T_OK(sem_init(&fk_forked_w, 0, 0));
	if (!creating) {
		/* the device exists: the requester only starts a queue */
		q_open_on(&q0, "copy", "local:sva");
		local_copy_works(&q0);
		engines_asleep();
	}
	T_EQ(pthread_create(&t, NULL, fk_requester, NULL), 0);
	fk_sem_wait(&fk_inside, "the requester inside the device");
	T_EQ(pthread_create(&w, NULL, fk_watcher, &me), 0);
	pid = t_fork();
	if (!pid) {
		struct wd_queue c;

		/* devices of the child's own, in any mode */
		q_open_on(&c, "copy", "local:sva");
		local_copy_works(&c);
		wd_release_queue(&c);
		q_open_on(&c, "copy", "local:pasid");
		local_copy_works(&c);
		wd_release_queue(&c);
		_exit(0);
	}
	atomic_store(&fk_done, true);
	sem_post(&fk_go);
	sem_post(&fk_forked_t);
	sem_post(&fk_forked_w);
	st = wait_bounded(pid, 10000);
	T_ASSERT_MSG(st != -1,
		     "the child of a fork() made while another thread was inside %s "
		     "hung in wd_request_queue() for 10 s",
		     creating ? "the device's creation" : "a queue's start");
	T_ASSERT_MSG(WIFEXITED(st) && !WEXITSTATUS(st), "child status %#x", st);
	/* the condition was made: fork() waited for the lock */
	T_ASSERT_MSG(atomic_load(&fk_released),
		     "fork() did not wait for the thread inside the device");
	pthread_join(w, NULL);
	pthread_join(t, NULL);
	if (!creating)
		wd_release_queue(&q0);
}
#endif

/* fork() while another thread creates the in-process device */
TEST(fork_while_creating)
{
	native_only();
#ifdef __SANITIZE_ADDRESS__
	/* the new engine threads start up (malloc) while fork() copies */
	t_skip("ASan's allocator is not fork-safe: needs the glibc allocator");
#endif
#ifdef T_NATIVE
	fork_inside(true);
#endif
}

/* fork() while another thread starts a queue on the existing device */
TEST(fork_while_starting)
{
	native_only();
#ifdef T_NATIVE
	fork_inside(false);
#endif
}

/* ---- setuid programs ---- */

#ifdef T_NATIVE
/*
 * Run @path with WD_DEV_PATH, WD_LOCAL_ENGINES and WD_LOCAL_SVA_COPY set
 * to values libwd refuses, as uid/gid 65534 when @drop: its output into
 * @out.
 */
static void suid_run(const char *path, bool drop, char *out, size_t len)
{
	char *const argv[] = { (char *)path, NULL };
	char *const envp[] = { "WD_DEV_PATH=/dev/ua-bad", "WD_LOCAL_ENGINES=x",
			       "WD_LOCAL_SVA_COPY=x", "PATH=/usr/bin:/bin",
			       NULL };
	int p[2], st;
	size_t n = 0;
	ssize_t r;
	pid_t pid;

	T_OK(pipe(p));
	pid = t_fork();
	if (!pid) {
		close(p[0]);
		if (dup2(p[1], 1) < 0)
			_exit(126);
		if (drop && (setgroups(0, NULL) || setgid(65534) || setuid(65534)))
			_exit(126);
		execve(path, argv, envp);
		_exit(127);
	}
	close(p[1]);
	while (n < len - 1 && (r = read(p[0], out + n, len - 1 - n)) > 0)
		n += r;
	out[n] = 0;
	close(p[0]);
	st = wait_bounded(pid, 30000);
	T_ASSERT_MSG(st != -1, "%s: still running after 30 s", path);
	T_ASSERT_MSG(WIFEXITED(st) && !WEXITSTATUS(st), "%s: status %#x", path, st);
}

/* the value after @key in the helper's output */
static long suid_val(const char *out, const char *key)
{
	const char *p = strstr(out, key);

	T_ASSERT_MSG(p, "no \"%s\" in the helper's output: %s", key, out);
	return strtol(p + strlen(key), NULL, 10);
}
#endif

/*
 * A setuid program does not take libwd's environment variables from its
 * caller (secure_getenv()): a setuid-root copy of t_libwd_setuid, run by
 * an unprivileged user with WD_DEV_PATH, WD_LOCAL_ENGINES and
 * WD_LOCAL_SVA_COPY set to bad values, uses the defaults; the same program
 * without the setuid bit is refused them (-EINVAL), which shows the values
 * are honoured otherwise (WD_LOCAL_SVA_COPY's: local_sva_copy_env).
 */
TEST(setuid_env)
{
	native_only();
#ifdef T_NATIVE
	char exe[PATH_MAX], helper[PATH_MAX + 32], dir[] = "/tmp/t_libwd_suid.XXXXXX";
	char copy[sizeof(dir) + 32], out[1024], *slash;
	struct statvfs sv;
	ssize_t n;
	int in, fd;

	if (geteuid() != 0)
		t_skip("needs root to make a setuid-root copy of its helper");
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	T_ASSERT(n > 0);
	exe[n] = 0;
	slash = strrchr(exe, '/');
	T_ASSERT(slash);
	*slash = 0;
	snprintf(helper, sizeof(helper), "%s/../libexec/t_libwd_setuid", exe);
	T_ASSERT_MSG(!access(helper, X_OK), "no helper %s", helper);
	T_ASSERT(mkdtemp(dir));
	T_OK(chmod(dir, 0711));
	T_OK(statvfs(dir, &sv));
	snprintf(copy, sizeof(copy), "%s/helper", dir);
	in = T_OK(open(helper, O_RDONLY | O_CLOEXEC));
	fd = T_OK(open(copy, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0700));
	while ((n = read(in, out, sizeof(out))) > 0)
		T_EQ(write(fd, out, n), n);
	close(in);
	close(fd);

	/* not setuid: the bad values are refused */
	suid_run(copy, false, out, sizeof(out));
	T_EQ(suid_val(out, "at_secure "), 0);
	T_EQ(suid_val(out, "local_engines "), -EINVAL);
	T_EQ(suid_val(out, "request_default "), -EINVAL);
	T_EQ(suid_val(out, "request_local "), -EINVAL);

	/* setuid root, run by nobody: they are not even read */
	T_OK(chown(copy, 0, 0));
	T_OK(chmod(copy, 04755));
	suid_run(copy, true, out, sizeof(out));
	unlink(copy);
	rmdir(dir);
	if (sv.f_flag & ST_NOSUID || !suid_val(out, "at_secure "))
		t_skip("%s: no setuid execution here (nosuid mount?)", dir);
	T_ASSERT_MSG(suid_val(out, "euid ") == 0 && suid_val(out, "uid ") == 65534,
		     "the helper did not run setuid: %s", out);
	T_ASSERT_MSG(suid_val(out, "local_engines ") == 1,
		     "setuid: wd_local_engines() read WD_LOCAL_ENGINES=x: %s", out);
	T_ASSERT_MSG(suid_val(out, "request_default ") != -EINVAL,
		     "setuid: wd_request_queue() read WD_DEV_PATH=/dev/ua-bad: %s", out);
	T_ASSERT_MSG(suid_val(out, "request_local ") == 0,
		     "setuid: \"local\" refused (WD_LOCAL_ENGINES=x or "
		     "WD_LOCAL_SVA_COPY=x read?): %s", out);
	T_EQ(suid_val(out, " engines "), 1);
#endif
}

static int ua_of(const struct wd_queue *q)
{
	int n = -1;

	sscanf(q->dev_path, "/dev/ua%d", &n);
	return n;
}

static void fail_next(int id, int n)
{
	char p[128], s[16];

	snprintf(p, sizeof(p), "/sys/kernel/debug/wd_soft/wd_soft%d/fail_next", id);
	snprintf(s, sizeof(s), "%d", n);
	if (t_write_file(p, s))
		t_skip("no %s", p);
}

TEST(discover_busy)
{
	struct wd_queue q1, q2;
	struct t_inst a;
	char path[32];

	vm_only();
	unsetenv("WD_DEV_PATH");
	a = t_inst_create("mode=pasid queues=1");
	t_dev_path(a.ua, path);
	memset(&q1, 0, sizeof(q1));
	q1.capa.alg = "copy";
	q1.capa.flags = WD_DEV_PASID;	/* the only pasid device */
	T_EQ(wd_request_queue(&q1), 0);
	T_EQ(ua_of(&q1), a.ua);
	q2 = (struct wd_queue){ .capa = q1.capa };
	T_EQ(wd_request_queue(&q2), -EBUSY);
	T_EQ(q_try(&q2, "copy", path), -EBUSY);
	wd_release_queue(&q1);
	q2 = (struct wd_queue){ .capa = q1.capa };
	T_EQ(wd_request_queue(&q2), 0);
	wd_release_queue(&q2);
}

TEST(discover_isolated)
{
	struct wd_queue q, q2;
	struct wd_copy_req req;
	struct t_inst a, b;
	char path[32];

	vm_only();
	unsetenv("WD_DEV_PATH");
	a = t_inst_create("mode=pasid queues=4");
	t_dev_path(a.ua, path);
	T_EQ(t_attr_write(a.ua, "isolate_strategy", "1"), 0);
	q_open_on(&q, "nop", path);
	fail_next(a.id, 1);
	wd_prep_copy(&req, NULL, NULL, 0);
	run(&q, &req);
	T_EQ(req.status, -EIO);
	T_EQ(t_attr_ll(a.ua, "isolate"), 1);
	/* the queue it has keeps working */
	run(&q, &req);
	T_EQ(req.status, 0);

	T_EQ(q_try(&q2, "copy", path), -EIO);
	q2 = (struct wd_queue){ .capa = { "copy", WD_DEV_PASID } };
	T_EQ(wd_request_queue(&q2), -EIO);
	b = t_inst_create("mode=pasid queues=4");
	q2 = (struct wd_queue){ .capa = { "copy", WD_DEV_PASID } };
	T_EQ(wd_request_queue(&q2), 0);
	T_EQ(ua_of(&q2), b.ua);
	wd_release_queue(&q2);
	T_EQ(t_attr_write(a.ua, "isolate_strategy", "0"), 0);
	T_EQ(q_try(&q2, "copy", path), 0);
	wd_release_queue(&q2);
	wd_release_queue(&q);
}

TEST(discover_most_available)
{
	struct wd_queue q, hold[4];
	struct t_inst a, b;

	vm_only();
	unsetenv("WD_DEV_PATH");
	a = t_inst_create("mode=pasid queues=4");
	b = t_inst_create("mode=pasid queues=8");
	q = (struct wd_queue){ .capa = { "copy", WD_DEV_PASID } };
	T_EQ(wd_request_queue(&q), 0);
	T_EQ(ua_of(&q), b.ua);		/* 8 free against 4 */
	for (int i = 0; i < 4; i++) {	/* b: 3 left */
		char path[32];

		q_open_on(&hold[i], "copy", t_dev_path(b.ua, path));
	}
	wd_release_queue(&q);		/* b: 4 left, a: 4: by id */
	q = (struct wd_queue){ .capa = { "copy", WD_DEV_PASID } };
	T_EQ(wd_request_queue(&q), 0);
	T_EQ(ua_of(&q), a.ua < b.ua ? a.ua : b.ua);
	wd_release_queue(&q);
	wd_release_queue(&hold[0]);	/* b: 5 */
	q = (struct wd_queue){ .capa = { "copy", WD_DEV_PASID } };
	T_EQ(wd_request_queue(&q), 0);
	T_EQ(ua_of(&q), b.ua);
	wd_release_queue(&q);
	for (int i = 1; i < 4; i++)
		wd_release_queue(&hold[i]);
}

TEST(discover_permission)
{
	struct t_inst a, c;
	char path[32], cpath[32];
	struct stat st;
	pid_t pid;

	vm_only();
	unsetenv("WD_DEV_PATH");
	a = t_inst_create("mode=sva");
	c = t_inst_create("mode=noiommu");
	t_dev_path(a.ua, path);
	t_dev_path(c.ua, cpath);
	T_OK(stat(path, &st));
	if (st.st_mode & 0006)
		t_skip("%s is open to everyone", path);

	/* no CAP_SYS_RAWIO: NOIOMMU devices are out of reach */
	pid = t_fork();
	if (!pid) {
		struct wd_queue q;

		t_drop_cap(CAP_SYS_RAWIO);
		T_EQ(q_try(&q, "copy", cpath), -EPERM);
		q = (struct wd_queue){ .capa = { "copy", WD_DEV_NOIOMMU } };
		T_EQ(wd_request_queue(&q), -EPERM);
		/* others still are */
		T_EQ(q_try(&q, "copy", path), 0);
		wd_release_queue(&q);
		_exit(0);
	}
	t_wait_ok(pid, 30000);

	/* an unprivileged user may not open the devices at all */
	pid = t_fork();
	if (!pid) {
		struct wd_queue q;

		T_OK(setgid(65534));
		T_OK(setuid(65534));
		T_EQ(q_try(&q, "copy", path), -EACCES);
		T_EQ(q_try(&q, "copy", ""), -EACCES);
		T_EQ(q_try(&q, "md5", ""), -ENODEV);
		_exit(0);
	}
	t_wait_ok(pid, 30000);
}

/* two NUMA nodes (wd-vm --numa): the queue comes from the caller's node */
TEST(discover_numa)
{
	char buf[64];
	struct t_inst n0, n1;

	vm_only();
	unsetenv("WD_DEV_PATH");
	if (t_read_file("/sys/devices/system/node/online", buf, sizeof(buf)) < 0 ||
	    strncmp(buf, "0-1", 3))
		t_skip("needs two NUMA nodes (wd-vm --numa)");
	n0 = t_inst_create("mode=sva node=0 queues=1024");
	n1 = t_inst_create("mode=sva node=1 queues=1024");
	for (int node = 0; node < 2; node++) {
		char p[64], cpus[32];
		cpu_set_t set;
		struct wd_queue q;
		int cpu;

		snprintf(p, sizeof(p), "/sys/devices/system/node/node%d/cpulist",
			 node);
		T_ASSERT(t_read_file(p, cpus, sizeof(cpus)) > 0);
		cpu = atoi(cpus);
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		T_OK(sched_setaffinity(0, sizeof(set), &set));
		q = (struct wd_queue){ .capa = { "copy", 0 } };
		T_EQ(wd_request_queue(&q), 0);
		T_EQ(q.node, node);
		T_EQ(ua_of(&q), node ? n1.ua : n0.ua);
		wd_release_queue(&q);
	}
}
