// SPDX-License-Identifier: MIT
/*
 * t_libwd: a smoke test of the stream API (wd_stream_*, libwd 1.2) against
 * the references (ref.h, zlib): one digest, one CRC-32C, one compressed and
 * one decompressed stream in pieces, and the library's own refusals. The
 * streams' full tests are elsewhere (tests/vm). One of the files of t_libwd
 * (t_libwd.h).
 */
#include "t_libwd.h"
#include "wd_ctl.h"

#ifdef T_NATIVE
/* debugfs ctx_bytes of the test's device (natively: this process's own) */
static unsigned long long ctx_bytes(void)
{
	char b[32];

	T_ASSERT(wd_ctl_attr_get(g_dev, "ctx_bytes", b, sizeof(b)) > 0);
	return strtoull(b, NULL, 10);
}
#endif

/* one step of @s, sent and received (a stream's requests come back alone) */
static void srun(struct wd_queue *q, struct wd_stream *s,
		 struct wd_stream_req *r)
{
	void *got = NULL;
	int ret;

	ret = wd_stream_send(s, r);
	if (ret)
		T_FAIL("wd_stream_send: %s", t_errname(-ret));
	ret = wd_recv_wait(q, &got, 30000);
	if (ret != 1)
		T_FAIL("wd_recv_wait: %d (%s)", ret, t_errname(-ret));
	T_ASSERT(got == r);
}

MTEST(stream_smoke_digests)
{
	enum { N = 300000 };
	struct wd_stream_req r;
	struct wd_stream *s;
	struct wd_queue q, qc;
	uint8_t *mem, *data, *out, want[32];
	size_t at;

	q_open(&q, "sha256");
	mem = q_mem(&q, 1 << 20);
	data = mem;
	out = mem + (1 << 20) - 64;
	t_fill_random(data, N, 7);
	T_EQ(wd_stream_open(&q, 1, 0, &s), -EINVAL);	/* digests: op 0 */
	T_EQ(wd_stream_open(&q, 0, 0, &s), 0);
	/* twice: FINISH starts the next digest */
	for (int round = 0; round < 2; round++) {
		for (at = 0; at < N; ) {
			uint32_t n = (uint32_t)(at * 7 + 1) % 70000;

			if (n > N - at)
				n = (uint32_t)(N - at);
			wd_prep_stream(&r, NULL, 0, data + at, n, WD_NO_FLUSH);
			srun(&q, s, &r);
			T_EQ(r.status, 0);
			T_EQ(r.in_len, n);
			T_EQ(r.out_len, 0);
			at += n;
		}
		memset(out, 0, 64);
		wd_prep_stream(&r, out, 64, NULL, 0, WD_FINISH);
		srun(&q, s, &r);
		T_EQ(r.status, 0);
		T_EQ(r.out_len, 32);
		ref_sha256(data, N, want);
		T_ASSERT_MSG(!memcmp(out, want, 32), "sha256 stream, round %d",
			     round);
	}
	/* flushes a digest has no use for, a dictionary */
	wd_prep_stream(&r, out, 64, data, 1, WD_SYNC_FLUSH);
	T_EQ(wd_stream_send(s, &r), -EINVAL);
	wd_prep_stream(&r, out, 64, data, 1, WD_NO_FLUSH | WD_STREAM_DICT);
	T_EQ(wd_stream_send(s, &r), -EINVAL);
	wd_prep_stream(&r, out, 64, data, 1, 4);
	T_EQ(wd_stream_send(s, &r), -EINVAL);
	wd_stream_close(s);

	q_open(&qc, "crc32c");
	mem = q_mem(&qc, 1 << 20);
	memcpy(mem, data, N);
	out = mem + (1 << 20) - 64;
	T_EQ(wd_stream_open(&qc, 0, 0, &s), 0);
	wd_prep_stream(&r, NULL, 0, mem, 1000, WD_NO_FLUSH);
	srun(&qc, s, &r);
	T_EQ(r.status, 0);
	wd_prep_stream(&r, out, 4, mem + 1000, N - 1000, WD_FINISH);
	srun(&qc, s, &r);
	T_EQ(r.status, 0);
	T_EQ(r.out_len, 4);
	T_EQ_HEX(le32(out), ref_crc32c(0, mem, N));
	/* left open: wd_release_queue() frees it */
	wd_release_queue(&qc);
	wd_release_queue(&q);
}

MTEST(stream_smoke_deflate)
{
	enum { N = 400000, ROOM = 3000, PIECE = 50000 };
	struct wd_stream_req r;
	struct wd_stream *c, *d;
	struct wd_queue q, qn;
	uint8_t *mem, *data, *z, *back;
	size_t at = 0, zlen = 0, blen = 0, got;
	uint32_t flush;
	bool end = false;
#ifdef T_NATIVE
	unsigned long long bytes;
#endif

	q_open(&q, "gzip");
	mem = q_mem(&q, 4 << 20);
	data = mem;
	z = mem + N;
	back = mem + 2 * N;
	fill_text(data, N, 11);
	T_EQ(wd_stream_open(&q, WD_COMPRESS, 10, &c), -EINVAL);
	T_EQ(wd_stream_open(&q, WD_DECOMPRESS, 1, &c), -EINVAL);
	T_EQ(wd_stream_open(&q, WD_COMPRESS, 6, &c), 0);
	T_EQ(wd_stream_open(&q, WD_DECOMPRESS, 0, &d), 0);
#ifdef T_NATIVE
	/* zlib's workspaces: deflate's 256 KiB and inflate's 32 KiB at least */
	T_ASSERT(ctx_bytes() >= (256 + 32) << 10);
#endif
	wd_prep_stream(&r, z, ROOM, data, 10, WD_NO_FLUSH | WD_STREAM_DICT);
	T_EQ(wd_stream_send(c, &r), -EINVAL);	/* no dictionary for gzip */

	/* compress in pieces with small output room: MORE, then the rest of
	 * the piece (possibly nothing) with the same flush, until all is out */
	for (size_t p0 = 0, piece = 0; !end; p0 += PIECE, piece++) {
		size_t p1 = p0 + PIECE < N ? p0 + PIECE : N;

		flush = p1 == N ? WD_FINISH :
			piece % 3 ? WD_NO_FLUSH : WD_SYNC_FLUSH;
		do {
			wd_prep_stream(&r, z + zlen, ROOM, data + at,
				       (uint32_t)(p1 - at), flush);
			srun(&q, c, &r);
			T_EQ(r.status, 0);
			T_ASSERT(r.in_len <= p1 - at && r.out_len <= ROOM);
			at += r.in_len;
			zlen += r.out_len;
			T_ASSERT(zlen + ROOM <= N);
			end = r.flags & WD_STREAM_END;
		} while (!end && (r.flags & WD_STREAM_MORE || at < p1));
		T_EQ(at, p1);
	}
	T_EQ(at, N);
	T_EQ(ref_inflate("gzip", z, zlen, back, N, &got), 0);
	T_EQ(got, N);
	T_ASSERT(!memcmp(back, data, N));

	/* and back through the device, in pieces, with small output room */
	memset(back, 0, N);
	for (at = 0; ; ) {
		uint32_t n = (uint32_t)(zlen - at < 777 ? zlen - at : 777);

		wd_prep_stream(&r, back + blen, ROOM, z + at, n, WD_NO_FLUSH);
		srun(&q, d, &r);
		T_EQ(r.status, 0);
		at += r.in_len;
		blen += r.out_len;
		if (r.flags & WD_STREAM_END)
			break;
		T_ASSERT(blen <= N && (r.in_len || r.out_len));
	}
	T_EQ(at, zlen);
	T_EQ(blen, N);
	T_ASSERT(!memcmp(back, data, N));
	wd_prep_stream(&r, back, ROOM, z, 1, WD_SYNC_FLUSH);
	T_EQ(wd_stream_send(d, &r), -EINVAL);	/* decompression: NO_FLUSH */

	/* reset: the same stream compresses anew */
	wd_stream_reset(c);
	wd_prep_stream(&r, z, N, data, 1000, WD_FINISH);
	srun(&q, c, &r);
	T_EQ(r.status, 0);
	T_ASSERT(r.flags & WD_STREAM_END);
	T_EQ(ref_inflate("gzip", z, r.out_len, back, N, &got), 0);
	T_EQ(got, 1000);
	T_ASSERT(!memcmp(back, data, 1000));

	/* streams only for the algorithms that have them */
	q_open(&qn, "copy");
	T_EQ(wd_stream_open(&qn, 0, 0, &c), -EINVAL);
	wd_release_queue(&qn);

	/* a request sent, not flushed, then its stream closed: the device
	 * sees a closed context (-EBADF) */
	wd_prep_stream(&r, z, N, data, 1000, WD_FINISH);
	T_EQ(wd_stream_send(c, &r), 0);
#ifdef T_NATIVE
	bytes = ctx_bytes();
#endif
	wd_stream_close(c);
	wd_stream_close(NULL);
#ifdef T_NATIVE
	T_ASSERT(ctx_bytes() <= bytes - (256 << 10));
#endif
	{
		void *got_r = NULL;

		T_EQ(wd_recv_wait(&q, &got_r, 30000), 1);
		T_ASSERT(got_r == &r);
		T_EQ(r.status, -EBADF);
		T_EQ(r.in_len, 0);
		T_EQ(r.out_len, 0);
	}
	/* d left open: wd_release_queue() frees it */
	wd_release_queue(&q);
}

/* in a fork child a stream of the parent's queue is not the child's */
MTEST(stream_smoke_fork)
{
	struct wd_stream_req r;
	struct wd_stream *s;
	struct wd_queue q;
	uint8_t *mem;
	pid_t pid;

	q_open(&q, "sha256");
	mem = q_mem(&q, 1 << 16);
	T_EQ(wd_stream_open(&q, 0, 0, &s), 0);
	pid = fork();
	T_ASSERT(pid >= 0);
	if (!pid) {
		struct wd_stream *s2;

		wd_prep_stream(&r, NULL, 0, mem, 10, WD_NO_FLUSH);
		if (wd_stream_send(s, &r) != -EPERM ||
		    wd_stream_open(&q, 0, 0, &s2) != -EPERM)
			_exit(1);
		wd_stream_reset(s);
		wd_stream_close(s);
		wd_release_queue(&q);
		_exit(0);
	}
	wait_exit0(pid, 30000, "fork child");
	/* the parent's stream is untouched */
	wd_prep_stream(&r, mem + 100, 32, mem, 10, WD_FINISH);
	srun(&q, s, &r);
	T_EQ(r.status, 0);
	wd_stream_close(s);
	wd_release_queue(&q);
}
