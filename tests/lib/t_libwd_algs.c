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

/* ---- the in-process device's one-shot deflate (libdeflate) ---- */

#ifdef T_NATIVE
#include <dirent.h>
#include "wd_ctl.h"

/*
 * A corpus of @len bytes: the headers of /usr/include, concatenated in name
 * order (repeated if they are fewer); real text, not a generator's.
 */
static void fill_corpus(uint8_t *buf, size_t len)
{
	struct dirent **ents;
	size_t got = 0;
	int n = scandir("/usr/include", &ents, NULL, alphasort);

	T_ASSERT(n > 0);
	while (got < len) {
		size_t before = got;

		for (int i = 0; i < n && got < len; i++) {
			char path[512];
			size_t l = strlen(ents[i]->d_name);
			FILE *f;

			if (l < 3 || strcmp(ents[i]->d_name + l - 2, ".h"))
				continue;
			snprintf(path, sizeof(path), "/usr/include/%s",
				 ents[i]->d_name);
			f = fopen(path, "rb");
			if (!f)
				continue;
			got += fread(buf + got, 1, len - got, f);
			fclose(f);
		}
		T_ASSERT(got > before);
	}
	for (int i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
}

/* requests the device's engines compressed with libdeflate so far */
static unsigned long long oneshots(void)
{
	char buf[512];
	const char *p;

	T_ASSERT(wd_ctl_attr_get(g_dev, "stats", buf, sizeof(buf)) > 0);
	p = strstr(buf, "oneshots ");
	T_ASSERT_MSG(p, "no oneshots in \"%s\"", buf);
	return strtoull(p + 9, NULL, 10);
}

/* compress @n bytes at @src into @dst, inflate with zlib, compare */
static uint32_t oneshot_round(struct wd_queue *q, int a, uint32_t level,
			      const uint8_t *src, uint32_t n, uint8_t *dst,
			      uint32_t room, uint8_t *back)
{
	struct wd_comp_req req;
	size_t got;

	wd_prep_comp(&req, WD_COMPRESS, level, dst, room, src, n);
	run(q, &req);
	T_ASSERT_MSG(!req.status, "%s level %u, %u bytes: %s", comp_algs[a],
		     level, n, t_errname(-req.status));
	T_ASSERT_MSG(!ref_inflate(comp_algs[a], dst, req.out_len, back, n + 1,
				  &got) && got == n && !memcmp(back, src, n),
		     "%s level %u, %u bytes: zlib does not get the input back",
		     comp_algs[a], level, n);
	return req.out_len;
}

/*
 * Requests without a context whose buffers are in reserved memory go to
 * libdeflate in one call (counted in the "stats" attribute's oneshots):
 * raw, zlib and gzip at every level, several sizes of real text, each
 * inflated by zlib back to its input; in plain memory (SVA), zlib's stream
 * does it, as before. A destination too small: DST_SMALL with the size
 * needed, as before. At level 6 libdeflate is not larger than zlib.
 */
MTEST(oneshot_deflate)
{
	enum { N = 1 << 20, ROOM = N + N / 8 + 4096 };
	static const uint32_t sizes[] = { 1, 4096, 100003, N };
	struct wd_comp_req req;
	struct wd_queue q;
	uint8_t *mem, *src, *dst, *back = malloc(N + 1), *ref = malloc(ROOM);
	unsigned long long before;
	size_t zl;
	uint32_t len;

	T_ASSERT(back && ref);
	for (int a = 0; a < 3; a++) {
		q_open(&q, comp_algs[a]);
		mem = q_mem(&q, N + ROOM);
		src = mem;
		dst = mem + N;
		fill_corpus(src, N);
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			for (uint32_t l = 1; l <= 9; l++) {
				before = oneshots();
				oneshot_round(&q, a, l, src, sizes[i], dst,
					      ROOM, back);
				/* level 7: libdeflate's as small is slower */
				T_ASSERT_MSG(oneshots() == before + (l != 7),
					     "%s level %u: %llu one-shot",
					     comp_algs[a], l, oneshots() - before);
			}
		}
		/* level 6: not larger than zlib's */
		len = oneshot_round(&q, a, 6, src, N, dst, ROOM, back);
		zl = ref_deflate(comp_algs[a], 6, src, N, ref, ROOM);
		t_note("%s level 6 on %u bytes of /usr/include: libdeflate %u, zlib %zu (%.3f)",
		       comp_algs[a], N, len, zl, (double)len / (double)zl);
		T_ASSERT_MSG(len <= zl, "libdeflate %u > zlib %zu", len, zl);
		/* too small: DST_SMALL and the size needed (zlib's stream's) */
		before = oneshots();
		wd_prep_comp(&req, WD_COMPRESS, 6, dst, len / 2, src, N);
		run(&q, &req);
		T_EQ(req.status, -ENOSPC);
		T_EQ(req.out_len, zl);
		T_EQ(oneshots(), before);
		/* the size it said is enough */
		wd_prep_comp(&req, WD_COMPRESS, 6, dst, (uint32_t)zl, src, N);
		run(&q, &req);
		T_EQ(req.status, 0);
		if (g_mode == WD_DEV_SVA) {
			/* plain memory: the stream path, no one-shot */
			uint8_t *psrc = malloc(N), *pdst = malloc(ROOM);

			T_ASSERT(psrc && pdst);
			memcpy(psrc, src, N);
			before = oneshots();
			for (uint32_t l = 1; l <= 9; l += 4) {
				len = oneshot_round(&q, a, l, psrc, 100003,
						    pdst, ROOM, back);
				T_EQ(len, ref_deflate(comp_algs[a], (int)l,
						      psrc, 100003, ref, ROOM));
			}
			T_EQ(oneshots(), before);
			free(psrc);
			free(pdst);
		}
		wd_release_queue(&q);
	}
	free(back);
	free(ref);
}
#endif /* T_NATIVE */
