// SPDX-License-Identifier: MIT
/*
 * wd-ring-example: copy a file through an accelerator's "copy" queue with
 * libwd's inline fast path (<wd_ring.h>, libwd 1.4): up to 16 blocks in
 * flight, sent with wd_ring_send_copy(), collected in order with
 * wd_ring_recv_many(), with no call into the library per block. One
 * thread owns the queue, which is the fast path's rule.
 *
 *   wd-ring-example IN OUT      (WD_DEV_PATH=local: the in-process device)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wd_ring.h>

#define BLK	65536
#define NBLK	16

static int fail(const char *what, int err)
{
	fprintf(stderr, "wd-ring-example: %s: %s\n", what, wd_strerror(err));
	return 1;
}

int main(int argc, char **argv)
{
	struct wd_queue q = { .capa.alg = "copy" };
	struct wd_copy_req reqs[NBLK];
	size_t len[NBLK];
	FILE *in, *out;
	char *mem;
	int ret, sent = 0, done = 0, eof = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: wd-ring-example IN OUT\n");
		return 2;
	}
	in = fopen(argv[1], "rb");
	out = fopen(argv[2], "wb");
	if (!in || !out) {
		perror("wd-ring-example");
		return 1;
	}
	ret = wd_request_queue(&q);
	if (ret)
		return fail("wd_request_queue", ret);
	printf("copying on %s\n", q.dev_path);
	/* sources then destinations: reachable in every memory mode */
	mem = wd_reserve_memory(&q, 2 * NBLK * BLK);
	if (!mem)
		return fail("wd_reserve_memory", -errno);
	while (!eof || done < sent) {
		void *got[NBLK];
		int n;

		/* fill the free slots; slot i of block b is b % NBLK */
		while (!eof && sent - done < NBLK) {
			int s = sent % NBLK;

			len[s] = fread(mem + s * BLK, 1, BLK, in);
			if (!len[s]) {
				eof = 1;
				break;
			}
			wd_prep_copy(&reqs[s], mem + (NBLK + s) * BLK,
				     mem + s * BLK, (uint32_t)len[s]);
			ret = wd_ring_send_copy(&q, &reqs[s]);
			if (ret)
				return fail("wd_ring_send_copy", ret);
			sent++;
		}
		wd_ring_flush(&q);	/* wakes the engine only if it sleeps */
		n = wd_ring_recv_many(&q, got, NBLK);
		if (n < 0)
			return fail("wd_ring_recv_many", n);
		for (int i = 0; i < n; i++, done++) {
			int s = done % NBLK;

			/* requests come back in the order sent */
			if (got[i] != &reqs[s] || reqs[s].status)
				return fail("copy", reqs[s].status ?
					    reqs[s].status : -EPROTO);
			fwrite(mem + (NBLK + s) * BLK, 1, reqs[s].out_len, out);
		}
	}
	wd_release_queue(&q);
	fclose(in);
	return fclose(out) ? 1 : 0;
}
