// SPDX-License-Identifier: MIT
/*
 * wd-example: gzip a file through an accelerator with libwd.
 *
 *   wd-example [-d DEVICE] [-l LEVEL] INPUT OUTPUT.gz
 *
 * The input goes through a "gzip" queue one MiB at a time (each piece a gzip
 * member: `gzip -d` reads the concatenation); a second queue, "crc32c",
 * computes the CRC-32C of the compressed output in the same memory, without
 * a copy, by sharing the first queue's reserved memory. DEVICE is a
 * /dev/uaN, "local" (the in-process device), or empty for any device
 * (WD_DEV_PATH works too). Build it with pkg-config:
 *
 *   cc -o wd-example wd-example.c $(pkg-config --cflags --libs libwd)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <wd.h>

#define CHUNK		(1u << 20)
#define OUT_ROOM	(CHUNK + CHUNK / 8 + 1024)

static int die(const char *what, int err)
{
	fprintf(stderr, "wd-example: %s: %s\n", what, strerror(err));
	return 1;
}

/* a queue refused: libwd says which device and what grants access */
static int die_queue(const char *what, int ret)
{
	fprintf(stderr, "wd-example: %s: %s\n", what, wd_strerror(ret));
	return 1;
}

static int open_queue(struct wd_queue *q, const char *alg, const char *dev)
{
	int ret;

	memset(q, 0, sizeof(*q));
	q->capa.alg = alg;
	snprintf(q->dev_path, sizeof(q->dev_path), "%s", dev);
	ret = wd_request_queue(q);
	if (ret)
		return ret;
	printf("%s: %s (%s%s memory mode)\n", alg, q->dev_path,
	       q->dev_flags & WD_DEV_LOCAL ? "in-process device, " : "",
	       q->dev_flags & WD_DEV_SVA ? "SVA" :
	       q->dev_flags & WD_DEV_PASID ? "PASID" : "NOIOMMU");
	return 0;
}

/* send one request and wait for it: its status, or a queue error */
static int run(struct wd_queue *q, void *req, int *status)
{
	void *done;
	int ret = wd_send(q, req);

	if (!ret)
		ret = wd_recv_sync(q, &done);
	if (ret < 0)
		return ret;
	return *status;
}

int main(int argc, char **argv)
{
	const char *dev = "";
	struct wd_queue zq, cq;
	struct wd_comp_req creq;
	struct wd_digest_req dreq;
	unsigned long long in_total = 0, out_total = 0;
	unsigned int level = 0;
	uint8_t *mem, *in, *out, *crc_out;
	uint32_t crc = 0;
	FILE *fin, *fout;
	size_t n;
	int opt, ret;

	while ((opt = getopt(argc, argv, "d:l:")) != -1) {
		if (opt == 'd')
			dev = optarg;
		else if (opt == 'l')
			level = (unsigned int)atoi(optarg);
		else
			return 2;
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: wd-example [-d DEVICE] [-l LEVEL] INPUT OUTPUT.gz\n");
		return 2;
	}
	fin = fopen(argv[optind], "rb");
	if (!fin)
		return die(argv[optind], errno);
	fout = fopen(argv[optind + 1], "wb");
	if (!fout)
		return die(argv[optind + 1], errno);

	ret = open_queue(&zq, "gzip", dev);
	if (ret)
		return die_queue("gzip queue", ret);
	/* the CRC queue on the same device, so that sharing works everywhere */
	ret = open_queue(&cq, "crc32c", zq.dev_path);
	if (ret)
		return die_queue("crc32c queue", ret);

	/* buffers every memory mode lets the device reach */
	mem = wd_reserve_memory(&zq, CHUNK + OUT_ROOM + 64);
	if (!mem)
		return die("wd_reserve_memory", errno);
	ret = wd_share_reserved_memory(&zq, &cq);
	if (ret)
		return die("wd_share_reserved_memory", -ret);
	in = mem;
	out = mem + CHUNK;
	crc_out = out + OUT_ROOM;

	while ((n = fread(in, 1, CHUNK, fin)) > 0) {
		wd_prep_comp(&creq, WD_COMPRESS, level, out, OUT_ROOM, in, n);
		ret = run(&zq, &creq, &creq.status);
		if (ret)
			return die("compress", -ret);
		/* checksum the compressed bytes where they are */
		wd_prep_digest(&dreq, crc_out, WD_CRC32C_SIZE, out,
			       creq.out_len, crc);
		ret = run(&cq, &dreq, &dreq.status);
		if (ret)
			return die("crc32c", -ret);
		crc = dreq.crc;
		if (fwrite(out, 1, creq.out_len, fout) != creq.out_len)
			return die(argv[optind + 1], errno);
		in_total += n;
		out_total += creq.out_len;
	}
	if (ferror(fin))
		return die(argv[optind], errno);
	if (fclose(fout))
		return die(argv[optind + 1], errno);
	fclose(fin);
	printf("%llu bytes in, %llu bytes out, crc32c of the output %08x\n",
	       in_total, out_total, crc);
	wd_release_queue(&cq);
	wd_release_queue(&zq);
	return 0;
}
