// SPDX-License-Identifier: MIT
/*
 * t_libwd: the algorithms: digests and compression against their references, and bad input.
 * One of the files of t_libwd (t_libwd.h).
 */
#include "t_libwd.h"

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
