// SPDX-License-Identifier: MIT
/*
 * wd digest --alg sha256|crc32c [FILE]...: checksums through an
 * accelerator, printed as sha256sum prints them ("HEX  NAME"), so that
 * `sha256sum -c` accepts the sha256 output.
 *
 * Files are requests in flight over several queues, completed in order.
 * On an SVA device a regular file is mapped and handed to the device where
 * it lies (no copy); otherwise (a pipe, or a PASID/NOIOMMU device) it is
 * read into the queue's reserved memory.
 *   sha256: one request per file (the device cannot continue a SHA-256
 *     across requests: wd.h), so at most 64 MiB, the device's limit; a
 *     larger file, or one that does not fit the reserved buffer on a
 *     non-SVA device, is read and hashed in-process with OpenSSL (-v says
 *     so): never from a mapping on this thread, where a file truncated
 *     meanwhile would raise SIGBUS. The device's engines survive such a
 *     fault and fail the request instead.
 *   crc32c: pieces of up to 16 MiB (mapped) or of the buffer, all in
 *     flight with seed 0, joined with crc32c_combine(): any size.
 * A regular file found shorter than it was when opened is an error
 * ("file shrank while it was read"), whichever path read it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>

#include "wdtool.h"

#define DEV_MAX_SRC	(64u << 20)
#define MAP_PIECE	(16u << 20)

/* ---- CRC-32C combination (zlib's crc32_combine, Castagnoli polynomial) ---- */

static uint32_t gf2_times(const uint32_t *mat, uint32_t vec)
{
	uint32_t sum = 0;

	for (; vec; vec >>= 1, mat++)
		if (vec & 1)
			sum ^= *mat;
	return sum;
}

static void gf2_square(uint32_t *sq, const uint32_t *mat)
{
	for (int n = 0; n < 32; n++)
		sq[n] = gf2_times(mat, mat[n]);
}

/* crc32c(A B) from crc32c(A), crc32c(B) and the length of B */
static uint32_t crc32c_combine(uint32_t crc1, uint32_t crc2, uint64_t len2)
{
	uint32_t even[32], odd[32], row = 1;

	if (!len2)
		return crc1;
	odd[0] = 0x82f63b78u;
	for (int n = 1; n < 32; n++) {
		odd[n] = row;
		row <<= 1;
	}
	gf2_square(even, odd);	/* 2 zero bits */
	gf2_square(odd, even);	/* 4 zero bits */
	do {
		gf2_square(even, odd);
		if (len2 & 1)
			crc1 = gf2_times(even, crc1);
		len2 >>= 1;
		if (!len2)
			break;
		gf2_square(odd, even);
		if (len2 & 1)
			crc1 = gf2_times(odd, crc1);
		len2 >>= 1;
	} while (len2);
	return crc1 ^ crc2;
}

/* ---- state ---- */

struct file {
	const char *name;	/* as given; NULL: stdin */
	int fd;
	uint8_t *map;		/* mapping of a regular file (SVA), or NULL */
	uint8_t *heap;		/* sha256 of a stream (SVA): the whole input */
	uint64_t size;		/* regular files: the size when opened */
	bool regular, failed;
	uint32_t crc;
	uint64_t pieces_out;	/* requests sent and not received */
	uint8_t sha[32];
};

/* a request of the pipeline (wdt_pipe): its request first */
struct dslot {
	struct wd_digest_req req;
	uint8_t *buf;		/* reserved memory, non-SVA */
	uint8_t *res;		/* the result: res_sva, or reserved memory */
	uint8_t res_sva[32];
	struct file *f;
	bool last;		/* the file's last piece */
};
_Static_assert(offsetof(struct dslot, req) == 0, "wdt_pipe: the request first");

struct dctx {
	bool sha;
	struct wdt_pipe p;	/* its slots: struct dslot */
	size_t buf_cap;
	bool sva;
	int status;
};

/*
 * sha256sum's line (coreutils 9.1): a name holding a backslash, newline or
 * carriage return is escaped and the line starts with a backslash, so that
 * `sha256sum -c` reads back the same name.
 */
static void print_sum(struct dctx *d, struct file *f)
{
	const char *name = f->name ? f->name : "-";

	if (strpbrk(name, "\\\n\r"))
		putchar('\\');
	if (d->sha)
		for (int i = 0; i < 32; i++)
			printf("%02x", f->sha[i]);
	else
		printf("%08x", f->crc);
	fputs("  ", stdout);
	for (const char *p = name; *p; p++) {
		switch (*p) {
		case '\\': fputs("\\\\", stdout); break;
		case '\n': fputs("\\n", stdout); break;
		case '\r': fputs("\\r", stdout); break;
		default: putchar(*p);
		}
	}
	putchar('\n');
}

static const char *fname(const struct file *f)
{
	return f->name ? f->name : "-";
}

/* the file is done with: its mapping, buffer, fd and itself */
static void drop_file(struct file *f)
{
	if (f->map)
		munmap(f->map, f->size);
	free(f->heap);
	if (f->fd > STDIN_FILENO)
		close(f->fd);
	free(f);
}

/*
 * A regular file read to its end with fewer bytes than it had when opened
 * was truncated meanwhile (logrotate's copytruncate): its checksum would
 * describe no content the file ever had, so it is an error.
 */
static bool shrank(struct dctx *d, struct file *f, uint64_t got)
{
	if (!f->regular || got >= f->size)
		return false;
	wdt_err("%s: file shrank while it was read", fname(f));
	f->failed = true;
	d->status = 1;
	return true;
}

/* why the device failed a piece: a mapping cut short by a truncation? */
static void device_failed(struct dctx *d, struct file *f, int status)
{
	struct stat st;

	if (status == -EFAULT && f->map && !fstat(f->fd, &st) &&
	    shrank(d, f, (uint64_t)st.st_size))
		return;
	wdt_err("%s: the device failed: %s", fname(f), strerror(-status));
	f->failed = true;
	d->status = 1;
}

/* receive the oldest request; prints a file's sum when its last piece is in */
static int recv_one(struct dctx *d)
{
	struct dslot *s;
	struct file *f;

	wd_flush(wdt_pipe_queue(&d->p, d->p.done));
	s = wdt_pipe_recv(&d->p, NULL);
	if (!s)
		exit(1);
	f = s->f;
	f->pieces_out--;
	if (s->req.status && !f->failed)
		device_failed(d, f, s->req.status);
	if (!f->failed) {
		if (d->sha)
			memcpy(f->sha, s->res, 32);
		else
			f->crc = crc32c_combine(f->crc, s->req.crc, s->req.src_len);
	}
	if (s->last) {
		if (!f->failed)
			print_sum(d, f);
		drop_file(f);
	}
	return 0;
}

static void drain(struct dctx *d)
{
	while (d->p.done < d->p.sub)
		recv_one(d);
}

static struct dslot *next_slot(struct dctx *d)
{
	if (wdt_pipe_full(&d->p))
		recv_one(d);
	return wdt_pipe_slot(&d->p, d->p.sub);
}

static int send_piece(struct dctx *d, struct dslot *s, struct file *f,
		      const void *src, size_t len, bool last)
{
	int ret;

	s->f = f;
	s->last = last;
	wd_prep_digest(&s->req, s->res, d->sha ? WD_SHA256_SIZE : WD_CRC32C_SIZE,
		       src, (uint32_t)len, 0);
	ret = wdt_pipe_send(&d->p);
	if (ret) {
		wdt_err("%s: send: %s", fname(f), strerror(-ret));
		exit(1);
	}
	f->pieces_out++;
	if (d->p.sub % (uint64_t)d->p.qs.n == 0 || last)
		wdt_pipe_flush(&d->p);
	return 0;
}

/*
 * SHA-256 in-process (OpenSSL) of @pre (already read) and the rest of the
 * file, read with read(): a file truncated meanwhile ends early, where a
 * mapping would raise SIGBUS. Bytes hashed, or -errno.
 */
static int64_t sha_cpu(struct file *f, const uint8_t *pre, size_t pre_len)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	uint8_t *buf = malloc(1 << 20);
	unsigned int len = 32;
	int64_t total = (int64_t)pre_len;
	ssize_t n = 0;

	if (!c || !buf || !EVP_DigestInit_ex(c, EVP_sha256(), NULL)) {
		total = -ENOMEM;
		goto out;
	}
	EVP_DigestUpdate(c, pre, pre_len);
	while ((n = wdt_read_full(f->fd, buf, 1 << 20)) > 0) {
		EVP_DigestUpdate(c, buf, (size_t)n);
		total += n;
	}
	if (n < 0)
		total = n;
	else
		EVP_DigestFinal_ex(c, f->sha, &len);
out:
	EVP_MD_CTX_free(c);
	free(buf);
	return total;
}

static void fail_file(struct dctx *d, struct file *f, int err)
{
	wdt_err("%s: %s", fname(f), strerror(-err));
	d->status = 1;
	drop_file(f);
}

/* a SHA-256 over the device's limit: in-process, in order with the others */
static void sha_in_process(struct dctx *d, struct file *f, const uint8_t *pre,
			   size_t pre_len)
{
	int64_t got;

	drain(d);
	wdt_info("%s: over the device's 64 MiB limit for one SHA-256: hashed in-process",
		 fname(f));
	got = sha_cpu(f, pre, pre_len);
	if (got < 0)
		return fail_file(d, f, (int)got);
	if (!shrank(d, f, (uint64_t)got))
		print_sum(d, f);
	drop_file(f);
}

/* SHA-256: one request, from the mapping or from what was read */
static void sha_file(struct dctx *d, struct file *f)
{
	size_t cap = d->sva ? DEV_MAX_SRC : d->buf_cap;
	struct dslot *s = NULL;
	uint8_t *buf, more;
	ssize_t n, extra;

	if (f->regular && f->size > DEV_MAX_SRC)
		return sha_in_process(d, f, NULL, 0);
	if (f->map)
		return (void)send_piece(d, next_slot(d), f, f->map, f->size, true);
	/* read the input: into the heap (SVA) or a slot's reserved memory */
	if (d->sva) {
		buf = f->heap = malloc(cap);
		if (!buf)
			return fail_file(d, f, -ENOMEM);
	} else {
		s = next_slot(d);
		buf = s->buf;
	}
	n = wdt_read_full(f->fd, buf, cap);
	extra = n == (ssize_t)cap ? wdt_read_full(f->fd, &more, 1) : 0;
	if (n < 0 || extra < 0)
		return fail_file(d, f, (int)(n < 0 ? n : extra));
	if (extra) {
		/* more than one request holds */
		uint8_t *pre = malloc(cap + 1);

		if (!pre)
			return fail_file(d, f, -ENOMEM);
		memcpy(pre, buf, cap);
		pre[cap] = more;
		sha_in_process(d, f, pre, cap + 1);
		free(pre);
		return;
	}
	if (shrank(d, f, (uint64_t)n))
		return drop_file(f);
	send_piece(d, s ? s : next_slot(d), f, buf, (size_t)n, true);
}

/* CRC-32C: pieces of the mapping, or of what is read, all in flight */
static void crc_file(struct dctx *d, struct file *f)
{
	uint64_t off = 0;

	if (f->map) {
		do {
			size_t len = f->size - off > MAP_PIECE ? MAP_PIECE : (size_t)(f->size - off);

			send_piece(d, next_slot(d), f, f->map + off, len,
				   off + len == f->size);
			off += len;
		} while (off < f->size);
		return;
	}
	for (;;) {
		struct dslot *s = next_slot(d);
		uint8_t *buf = s->buf;
		ssize_t n;

		if (!buf) {
			/* SVA with an unmappable input: a heap buffer per slot */
			buf = s->buf = malloc(d->buf_cap);
			if (!buf)
				return fail_file(d, f, -ENOMEM);
		}
		n = wdt_read_full(f->fd, buf, d->buf_cap);
		if (n < 0) {
			wdt_err("%s: %s", fname(f), strerror((int)-n));
			f->failed = true;
			d->status = 1;
		}
		/* pieces in flight keep f alive: a last piece (maybe empty) ends it */
		if (n < 0 || (size_t)n < d->buf_cap) {
			if (n >= 0)
				shrank(d, f, off + (uint64_t)n);
			send_piece(d, s, f, buf, n < 0 ? 0 : (size_t)n, true);
			return;
		}
		send_piece(d, s, f, buf, (size_t)n, false);
		off += (uint64_t)n;
	}
}

static void do_file(struct dctx *d, const char *name)
{
	struct file *f = calloc(1, sizeof(*f));
	struct stat st;

	if (!f) {
		wdt_err("%s", strerror(ENOMEM));
		exit(1);
	}
	f->name = name && strcmp(name, "-") ? name : NULL;
	f->fd = STDIN_FILENO;
	if (f->name) {
		f->fd = open(f->name, O_RDONLY | O_CLOEXEC);
		if (f->fd < 0)
			return fail_file(d, f, -errno);
	}
	if (fstat(f->fd, &st))
		return fail_file(d, f, -errno);
	if (S_ISDIR(st.st_mode))
		return fail_file(d, f, -EISDIR);
	f->regular = S_ISREG(st.st_mode);
	f->size = (uint64_t)st.st_size;

	/* on SVA the device reads a mapping; nothing else touches it */
	if (d->sva && f->regular && f->size && (!d->sha || f->size <= DEV_MAX_SRC)) {
		f->map = mmap(NULL, f->size, PROT_READ, MAP_SHARED, f->fd, 0);
		if (f->map == MAP_FAILED)
			f->map = NULL;
	}
	if (d->sha)
		sha_file(d, f);
	else
		crc_file(d, f);
}

static void digest_usage(FILE *f)
{
	fputs("usage: wd digest --alg sha256|crc32c [OPTION]... [FILE]...\n"
	      "Print checksums computed by an accelerator, in sha256sum's format\n"
	      "(`sha256sum -c` accepts the sha256 output). No FILE or '-': standard input.\n"
	      "  -a, --alg ALG     sha256 (default) or crc32c (CRC-32C, as 8 hex digits)\n"
	      "      --device DEV[,DEV...]   /dev/uaN or local[:mode]\n"
	      "      --queues N    queues (default 2)   --depth N  requests in flight per queue (default 8)\n"
	      "  -v, --verbose     say which device, and when a file is hashed in-process\n", f);
}

/*
 * Requests in flight per queue (@depth, within every queue's depth and
 * memory) and their buffers: the caller's own pages where every queue is
 * SVA, else device memory. 0, or 1 (message given).
 */
static int digest_setup(struct dctx *d, int depth)
{
	struct wdt_pipe *p = &d->p;

	d->sva = true;
	for (int i = 0; i < p->qs.n; i++)
		d->sva &= !!(p->qs.q[i].dev_flags & WD_DEV_SVA);
	d->buf_cap = d->sha ? 4u << 20 : 1u << 20;
	for (int i = 0; i < p->qs.n && !d->sva; i++)
		if (d->buf_cap > p->qs.q[i].ss_max / 2 - 4096)
			d->buf_cap = p->qs.q[i].ss_max / 2 - 4096;
	if (wdt_pipe_slots(p, depth, sizeof(struct dslot),
			   d->sva ? 0 : d->buf_cap + 64))
		return 1;
	for (int i = 0; i < wdt_pipe_nslots(p); i++) {
		struct dslot *s = wdt_pipe_slot(p, (uint64_t)i);

		s->res = s->res_sva;
		if (!d->sva) {
			s->buf = wdt_pipe_mem(p, (uint64_t)i);
			s->res = s->buf + d->buf_cap;
		}
	}
	return 0;
}

int cmd_digest(int argc, char **argv)
{
	enum { OPT_DEVICE = 256, OPT_QUEUES, OPT_DEPTH };
	static const struct option opts[] = {
		{ "alg", required_argument, NULL, 'a' },
		{ "device", required_argument, NULL, OPT_DEVICE },
		{ "queues", required_argument, NULL, OPT_QUEUES },
		{ "depth", required_argument, NULL, OPT_DEPTH },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *alg = "sha256", *device = NULL;
	int queues = 2, depth = 8, opt;
	struct dctx d = { 0 };

	while ((opt = getopt_long(argc, argv, "a:vh", opts, NULL)) != -1) {
		switch (opt) {
		case 'a': alg = optarg; break;
		case OPT_DEVICE: device = optarg; break;
		case OPT_QUEUES:
			if (wdt_opt_int("digest: ", "queues", optarg, 1, WDT_MAX_QUEUES,
					&queues))
				return 1;
			break;
		case OPT_DEPTH:
			if (wdt_opt_int("digest: ", "depth", optarg, 1, 256, &depth))
				return 1;
			break;
		case 'v': wdt_verbose++; break;
		case 'h': digest_usage(stdout); return 0;
		default: digest_usage(stderr); return 1;	/* sha256sum's */
		}
	}
	if (strcmp(alg, "sha256") && strcmp(alg, "crc32c")) {
		wdt_err("digest: unknown algorithm '%s' (sha256 or crc32c)", alg);
		return 1;
	}
	d.sha = !strcmp(alg, "sha256");
	if (wdt_pipe_open(&d.p, alg, device, queues))
		return 1;
	if (digest_setup(&d, depth))
		return 1;
	if (optind == argc)
		do_file(&d, NULL);
	for (int i = optind; i < argc; i++)
		do_file(&d, argv[i]);
	drain(&d);	/* stdout's write errors: main() */
	if (d.sva)
		for (int i = 0; i < wdt_pipe_nslots(&d.p); i++)
			free(((struct dslot *)wdt_pipe_slot(&d.p, (uint64_t)i))->buf);
	wdt_pipe_close(&d.p);
	return d.status;
}
