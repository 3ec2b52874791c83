// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * selftest: the engine core in user space, with a minimal host.
 *
 * A reference for a user-space host (flat memory: a device address is a
 * pointer of this process; zlib; OpenSSL's libcrypto; a table CRC-32C) and a
 * quick check of the core's operations and framing without a VM. Prints
 * "PASS: engine.NAME" / "FAIL: engine.NAME: why" lines (tests/run.sh counts
 * them) and exits 1 if anything failed.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <zlib.h>

#include "wd_soft_core.h"
#include "zlib-user.h"

/* ---- the host ---- */

struct host_engine {
	struct wd_soft_core_engine core;
	EVP_MD_CTX *sha;
	struct wd_soft_zlib z;
};

static struct host_engine *host_eng(struct wd_soft_core_ctx *ctx)
{
	return container_of(ctx->eng, struct host_engine, core);
}

static int wakes, errors_reported;

/* addresses below 64 KiB are "unmapped" */
long wd_soft_host_copy(struct wd_soft_core_ctx *ctx, void *buf, u64 addr,
		       u32 len, bool write)
{
	void *p = (void *)(uintptr_t)addr;

	(void)ctx;
	if (addr < 65536)
		return -EFAULT;
	if (write)
		memcpy(p, buf, len);
	else
		memcpy(buf, p, len);
	return len;
}

void wd_soft_host_yield(struct wd_soft_core_ctx *ctx)
{
	(void)ctx;
}

void wd_soft_host_wake(struct wd_soft_core_queue *q)
{
	(void)q;
	wakes++;
}

void wd_soft_host_report_error(struct wd_soft_core_queue *q)
{
	(void)q;
	errors_reported++;
}

u64 wd_soft_host_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (u64)t.tv_sec * 1000000000u + (u64)t.tv_nsec + 1;
}

u32 wd_soft_host_crc32(u32 crc, const void *data, u32 len)
{
	return (u32)crc32(crc, data, len);
}

int wd_soft_host_crc32c(struct wd_soft_core_ctx *ctx, u32 *crc,
			const void *data, u32 len)
{
	static u32 table[256];
	const u8 *p = data;
	u32 c = *crc, i, k;

	(void)ctx;
	if (!table[1]) {
		for (i = 0; i < 256; i++) {
			c = i;
			for (k = 0; k < 8; k++)
				c = c & 1 ? (c >> 1) ^ 0x82f63b78 : c >> 1;
			table[i] = c;
		}
		c = *crc;
	}
	while (len--)
		c = table[(c ^ *p++) & 0xff] ^ (c >> 8);
	*crc = c;
	return 0;
}

int wd_soft_host_sha256_init(struct wd_soft_core_ctx *ctx)
{
	struct host_engine *e = host_eng(ctx);

	if (!e->sha)
		e->sha = EVP_MD_CTX_new();
	return e->sha && EVP_DigestInit_ex(e->sha, EVP_sha256(), NULL) == 1 ?
	       0 : -EIO;
}

int wd_soft_host_sha256_update(struct wd_soft_core_ctx *ctx, const void *data,
			       u32 len)
{
	return EVP_DigestUpdate(host_eng(ctx)->sha, data, len) == 1 ? 0 : -EIO;
}

int wd_soft_host_sha256_final(struct wd_soft_core_ctx *ctx, u8 *digest)
{
	return EVP_DigestFinal_ex(host_eng(ctx)->sha, digest, NULL) == 1 ?
	       0 : -EIO;
}

int wd_soft_host_zinit(struct wd_soft_core_ctx *ctx, enum wd_soft_zdir dir,
		       enum wd_soft_zwrap wrap, int level)
{
	return wd_soft_zlib_init(&host_eng(ctx)->z, dir, wrap, level, NULL,
				 NULL, NULL);
}

int wd_soft_host_zrun(struct wd_soft_core_ctx *ctx, struct wd_soft_zstream *zs,
		      bool finish)
{
	return wd_soft_zlib_run(&host_eng(ctx)->z, zs, finish);
}

void wd_soft_host_zend(struct wd_soft_core_ctx *ctx)
{
	wd_soft_zlib_end(&host_eng(ctx)->z);
}

/* ---- the tests ---- */

static struct wd_soft_core_dev dev;
static struct wd_soft_core_queue q;
static struct host_engine eng;
static int failed;

#define CHECK(name, cond, ...) do {					\
	if (cond) {							\
		printf("PASS: engine.%s\n", name);			\
	} else {							\
		printf("FAIL: engine.%s: ", name);			\
		printf(__VA_ARGS__);					\
		printf("\n");						\
		failed++;						\
	}								\
} while (0)

/* Submit one SQE through the ring and serve it; returns the CQE. */
static struct wd_soft_cqe run(u16 op, u32 params, const void *src, u32 slen,
			      void *dst, u32 dlen)
{
	struct wd_soft_sqe s = {
		.user_data = 0x55, .op = op, .params = params,
		.src = (uintptr_t)src, .dst = (uintptr_t)dst,
		.src_len = slen, .dst_len = dlen,
	};
	struct wd_soft_core_ctx ctx;
	u32 t = q.mmio->sq_tail;

	q.sq[t & (WD_SOFT_DEPTH - 1)] = s;
	__atomic_store_n(&q.mmio->sq_tail, t + 1, __ATOMIC_RELEASE);
	wd_soft_core_ctx_init(&ctx, &q, &eng.core);
	if (wd_soft_core_serve(&ctx, 16, SZ_1M) != 1)
		return (struct wd_soft_cqe){ .status = 0xdead };
	__atomic_store_n(&q.mmio->cq_head, q.cq_tail, __ATOMIC_RELEASE);
	return q.cq[(q.cq_tail - 1) & (WD_SOFT_DEPTH - 1)];
}

static void test_data(const char *name, const u8 *data, u32 len)
{
	u32 cap = len + len / 8 + 1024;
	u8 *c = malloc(cap), *d = malloc(len + 1), digest[32];
	struct wd_soft_cqe e;
	char n[128];
	uLongf dl;
	int lvl;

	e = run(WD_SOFT_OP_SHA256, 0, data, len, digest, 32);
	EVP_Digest(data, len, c, NULL, EVP_sha256(), NULL);
	snprintf(n, sizeof(n), "sha256.%s", name);
	CHECK(n, !e.status && e.out_len == 32 && !memcmp(c, digest, 32),
	      "status %u", e.status);

	for (lvl = 0; lvl <= 9; lvl += 3) {
		z_stream zs = { 0 };

		e = run(WD_SOFT_OP_GZIP_COMP, lvl, data, len, c, cap);
		inflateInit2(&zs, 31);
		zs.next_in = c;
		zs.avail_in = e.out_len;
		zs.next_out = d;
		zs.avail_out = len + 1;
		snprintf(n, sizeof(n), "gzip%d.%s", lvl, name);
		CHECK(n, !e.status && inflate(&zs, Z_FINISH) == Z_STREAM_END &&
		      zs.total_out == len && !memcmp(d, data, len) &&
		      !zs.avail_in, "status %u", e.status);
		inflateEnd(&zs);
		e = run(WD_SOFT_OP_GZIP_DECOMP, 0, c, e.out_len, d, len);
		snprintf(n, sizeof(n), "gunzip%d.%s", lvl, name);
		CHECK(n, !e.status && e.out_len == len && !memcmp(d, data, len),
		      "status %u out_len %u", e.status, e.out_len);
	}
	e = run(WD_SOFT_OP_ZLIB_COMP, 9, data, len, c, cap);
	dl = len + 1;
	snprintf(n, sizeof(n), "zlib.%s", name);
	CHECK(n, !e.status && uncompress(d, &dl, c, e.out_len) == Z_OK &&
	      dl == len && !memcmp(d, data, len), "status %u", e.status);
	dl = cap;
	compress2(c, &dl, data, len, 6);
	e = run(WD_SOFT_OP_ZLIB_DECOMP, 0, c, (u32)dl, d, len);
	snprintf(n, sizeof(n), "unzlib.%s", name);
	CHECK(n, !e.status && e.out_len == len && !memcmp(d, data, len),
	      "status %u", e.status);
	/* trailing garbage, truncation */
	c[dl] = 0;
	e = run(WD_SOFT_OP_ZLIB_DECOMP, 0, c, (u32)dl + 1, d, len);
	snprintf(n, sizeof(n), "unzlib_garbage.%s", name);
	CHECK(n, e.status == WD_SOFT_S_CORRUPT, "status %u", e.status);
	e = run(WD_SOFT_OP_ZLIB_DECOMP, 0, c, (u32)dl - 1, d, len);
	snprintf(n, sizeof(n), "unzlib_truncated.%s", name);
	CHECK(n, e.status == WD_SOFT_S_CORRUPT, "status %u", e.status);
	free(c);
	free(d);
}

int main(void)
{
	static u8 mmio[WD_SOFT_MMIO_SIZE], dus[WD_SOFT_DUS_SIZE];
	u32 len = 3 << 20, i, crc;
	u8 *data = malloc(len), out[64];
	struct wd_soft_cqe e;
	char algs[64];

	for (i = 0; i < len; i++)
		data[i] = (u8)("WarpDrive "[i % 10] + (i / 4096 % 3) * (i % 7 == 0));
	eng.core.in = malloc(WD_SOFT_CORE_CHUNK);
	eng.core.out = malloc(WD_SOFT_CORE_CHUNK);
	eng.core.sgl = malloc(2 * WD_SOFT_CORE_MAX_SGE * sizeof(*eng.core.sgl));
	wd_soft_core_dev_init(&dev, WD_SOFT_CORE_OPS_ALL);
	wd_soft_core_queue_init(&q, &dev, mmio, dus);

	wd_soft_core_algs(dev.ops, algs, sizeof(algs));
	CHECK("algorithms", !strcmp(algs, "nop\ncopy\ncrc32c\nsha256\ndeflate\nzlib\ngzip"),
	      "%s", algs);
	e = run(WD_SOFT_OP_CRC32C, 0xffffffff, "123456789", 9, out, 4);
	crc = get_unaligned_le32(out);
	CHECK("crc32c_check_value", !e.status && e.out_len == 4 &&
	      crc == 0x1cf96d7c, "status %u crc %#x", e.status, crc);
	e = run(WD_SOFT_OP_CRC32C, 0, "123456789", 9, out, 3);
	CHECK("crc32c_dst_small", e.status == WD_SOFT_S_DST_SMALL &&
	      e.out_len == 4, "status %u", e.status);
	e = run(WD_SOFT_OP_SHA256, 0, data, 10, out, 31);
	CHECK("sha256_dst_small", e.status == WD_SOFT_S_DST_SMALL &&
	      e.out_len == 32, "status %u", e.status);
	e = run(WD_SOFT_OP_GZIP_COMP, 10, data, 10, out, 64);
	CHECK("level_10_inval", e.status == WD_SOFT_S_INVAL, "status %u", e.status);
	e = run(WD_SOFT_OP_GZIP_DECOMP, 0, "not gzip", 8, out, 64);
	CHECK("gunzip_garbage", e.status == WD_SOFT_S_CORRUPT, "status %u", e.status);
	e = run(WD_SOFT_OP_INFLATE, 0, data, 0, out, 64);
	CHECK("inflate_empty", e.status == WD_SOFT_S_CORRUPT, "status %u", e.status);
	e = run(WD_SOFT_OP_SHA256, 0, (void *)16, 10, out, 32);
	CHECK("bad_addr", e.status == WD_SOFT_S_BAD_ADDR, "status %u", e.status);
	wd_soft_core_set_fail_next(&dev, 2);
	e = run(WD_SOFT_OP_NOP, 0, NULL, 0, NULL, 0);
	CHECK("fail_next_1", e.status == WD_SOFT_S_DEV_ERR, "status %u", e.status);
	e = run(WD_SOFT_OP_NOP, 0, NULL, 0, NULL, 0);
	CHECK("fail_next_2", e.status == WD_SOFT_S_DEV_ERR && errors_reported == 2,
	      "status %u", e.status);
	e = run(WD_SOFT_OP_NOP, 0, NULL, 0, NULL, 0);
	CHECK("fail_next_done", !e.status && !wd_soft_core_get_fail_next(&dev),
	      "status %u", e.status);

	test_data("empty", data, 0);
	test_data("short", data, 100);
	test_data("3M", data, len);

	/* cq_notify: ENABLE without ARMED wakes nobody, ARMED does */
	wakes = 0;
	q.mmio->cq_notify = WD_SOFT_CQN_ENABLE;
	run(WD_SOFT_OP_NOP, 0, NULL, 0, NULL, 0);
	CHECK("cq_notify_not_armed", wakes == 0, "%d wakes", wakes);
	q.mmio->cq_notify = WD_SOFT_CQN_ENABLE | WD_SOFT_CQN_ARMED;
	run(WD_SOFT_OP_NOP, 0, NULL, 0, NULL, 0);
	CHECK("cq_notify_armed", wakes == 1, "%d wakes", wakes);
	q.mmio->cq_notify = 0;
	run(WD_SOFT_OP_NOP, 0, NULL, 0, NULL, 0);
	CHECK("cq_notify_legacy", wakes == 2, "%d wakes", wakes);

	/* parking: idle for spin_ns -> PARK with NEED_WAKEUP */
	CHECK("turn_idle", wd_soft_core_queue_turn(&q, 1000000000) == WD_SOFT_TURN_IDLE, "not idle");
	CHECK("turn_park", wd_soft_core_queue_turn(&q, 0) == WD_SOFT_TURN_PARK &&
	      (q.mmio->status & WD_SOFT_ST_NEED_WAKEUP), "status %#x", q.mmio->status);
	q.sq[q.sq_head & (WD_SOFT_DEPTH - 1)] = (struct wd_soft_sqe){ .op = 0 };
	q.mmio->sq_tail = q.sq_head + 1;
	CHECK("turn_serve_after_kick", wd_soft_core_queue_turn(&q, 0) == WD_SOFT_TURN_SERVE &&
	      !(q.mmio->status & WD_SOFT_ST_NEED_WAKEUP), "status %#x", q.mmio->status);
	return failed ? 1 : 0;
}
