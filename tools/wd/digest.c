// SPDX-License-Identifier: MIT
/*
 * wd digest --alg sha256|crc32c [FILE]...: checksums computed by an
 * accelerator, printed as sha256sum prints them ("HEX  NAME"), so that
 * `sha256sum -c` accepts the sha256 output.
 *
 * Each file is one digest stream of the device (wd_stream_open(3)): its
 * chunks go to the stream in order, several in flight, the last with
 * WD_FINISH, which returns the digest. Any size and every memory mode run
 * on the device; nothing is hashed in-process. Files are spread over the
 * queues (file k on queue k % n) and their sums printed in the order given.
 *
 * Where the device reads from: on an SVA queue a regular file is mapped
 * and handed over in pieces where it lies (no copy); otherwise (a pipe, a
 * PASID or NOIOMMU queue) chunks are read into the queue's reserved memory
 * (wd_reserve_memory()), one buffer per request in flight. A mapping read
 * past a truncation fails the device's request (-EFAULT), never this
 * process. A regular file found shorter than it was when opened is an error
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

#include "wdtool.h"

#define MAP_PIECE	(16u << 20)	/* SVA: bytes of the mapping per request */
#define READ_CHUNK	(4u << 20)	/* reserved memory per request, at most */
#define RES_ROOM	64u		/* the result, after a slot's buffer */
#define MAX_SPQ		32		/* in flight per queue (streams: 64 per queue) */

struct file {
	const char *name;	/* as given; NULL: stdin */
	int fd;
	uint8_t *map;		/* mapping of a regular file (SVA), or NULL */
	uint64_t size;		/* regular files: the size when opened */
	uint64_t sent;		/* bytes sent to the stream */
	bool regular, failed, done;
	int qi;			/* its queue */
	struct wd_stream *s;
	uint64_t reqs, inflight;	/* requests sent, not yet received */
	uint8_t sum[32];
	struct file *next;	/* the print order */
};

/* a request in flight: its slot on the queue */
struct dslot {
	struct wd_stream_req req;
	uint8_t *buf;		/* reserved memory: the input read */
	uint8_t *res;		/* reserved memory: the result (WD_FINISH) */
	struct file *f;
	bool last;
};

struct dq {
	struct wd_queue *q;
	struct dslot *slots;	/* spq of them, a ring */
	uint64_t sub, done;
};

struct dctx {
	bool sha;
	struct wdt_queues qs;
	struct dq dq[WDT_MAX_QUEUES];
	int spq;
	size_t buf_cap;
	int next_q;
	struct file *head, *tail;	/* files not printed yet, in order */
	int status;
};

static const char *fname(const struct file *f)
{
	return f->name ? f->name : "-";
}

/*
 * sha256sum's line (coreutils 9.1): a name holding a backslash, newline or
 * carriage return is escaped and the line starts with a backslash, so that
 * `sha256sum -c` reads back the same name.
 */
static void print_sum(struct dctx *d, struct file *f)
{
	const char *name = fname(f);

	if (strpbrk(name, "\\\n\r"))
		putchar('\\');
	if (d->sha)
		for (int i = 0; i < 32; i++)
			printf("%02x", f->sum[i]);
	else	/* the device's CRC-32C: little-endian */
		printf("%08x", f->sum[0] | f->sum[1] << 8 | f->sum[2] << 16 |
		       (uint32_t)f->sum[3] << 24);
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

/* the file is done with: its stream, mapping, fd and itself */
static void drop_file(struct file *f)
{
	wd_stream_close(f->s);
	if (f->map)
		munmap(f->map, f->size);
	if (f->fd > STDIN_FILENO)
		close(f->fd);
	free(f);
}

/* print (or skip, when failed) the finished files at the head of the order */
static void print_ready(struct dctx *d)
{
	while (d->head && d->head->done) {
		struct file *f = d->head;

		d->head = f->next;
		if (!d->head)
			d->tail = NULL;
		if (!f->failed)
			print_sum(d, f);
		drop_file(f);
	}
}

static void file_error(struct dctx *d, struct file *f, const char *msg)
{
	if (!f->failed)
		wdt_err("%s: %s", fname(f), msg);
	f->failed = true;
	d->status = 1;
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
	file_error(d, f, "file shrank while it was read");
	return true;
}

/* why the device failed a request: a mapping cut short by a truncation? */
static void device_failed(struct dctx *d, struct file *f, int status)
{
	struct stat st;
	char msg[96];

	if (f->failed)
		return;	/* the requests after a failure fail too (-EBADF) */
	if (status == -EFAULT && f->map && !fstat(f->fd, &st) &&
	    shrank(d, f, (uint64_t)st.st_size))
		return;
	snprintf(msg, sizeof(msg), "the device failed: %s", strerror(-status));
	file_error(d, f, msg);
}

/* receive the oldest request of queue @qi */
static void recv_one(struct dctx *d, int qi)
{
	struct dq *q = &d->dq[qi];
	struct dslot *s = &q->slots[q->done % (uint64_t)d->spq];
	struct file *f;
	void *r;
	int ret;

	wd_flush(q->q);
	ret = wd_recv_sync(q->q, &r);
	if (ret < 0 || r != &s->req) {
		wdt_err("device queue failed: %s",
			ret < 0 ? strerror(-ret) : "request out of order");
		exit(1);
	}
	q->done++;
	f = s->f;
	f->inflight--;
	if (s->req.status)
		device_failed(d, f, s->req.status);
	if (!s->last)
		return;
	if (!f->failed && !(s->req.flags & WD_STREAM_END))
		file_error(d, f, "the device did not end the digest");
	if (!f->failed)
		memcpy(f->sum, s->res, d->sha ? 32 : 4);
	f->done = true;
	wdt_info("%s: %llu bytes hashed on %s (%s mode), one stream of %llu request(s)",
		 fname(f), (unsigned long long)f->sent, q->q->dev_path,
		 wdt_mode_name(q->q->dev_flags), (unsigned long long)f->reqs);
	print_ready(d);
}

static void drain(struct dctx *d)
{
	for (int i = 0; i < d->qs.n; i++)
		while (d->dq[i].done < d->dq[i].sub)
			recv_one(d, i);
}

/* a free slot of the file's queue */
static struct dslot *next_slot(struct dctx *d, struct file *f)
{
	struct dq *q = &d->dq[f->qi];

	if (q->sub - q->done == (uint64_t)d->spq)
		recv_one(d, f->qi);
	return &q->slots[q->sub % (uint64_t)d->spq];
}

/* send @len bytes at @src on the file's stream (@last: WD_FINISH) */
static void send_piece(struct dctx *d, struct dslot *s, struct file *f,
		       const void *src, size_t len, bool last)
{
	struct dq *q = &d->dq[f->qi];
	int ret;

	s->f = f;
	s->last = last;
	wd_prep_stream(&s->req, s->res, RES_ROOM, src, (uint32_t)len,
		       last ? WD_FINISH : WD_NO_FLUSH);
	ret = wd_stream_send(f->s, &s->req);
	if (ret) {
		wdt_err("%s: send: %s", fname(f), strerror(-ret));
		exit(1);
	}
	q->sub++;
	f->inflight++;
	f->reqs++;
	f->sent += len;
	wd_flush(q->q);
}

/* the file's stream, on its queue: 0 or -errno */
static int open_stream(struct dctx *d, struct file *f)
{
	struct dq *q = &d->dq[f->qi];
	int ret;

	/* too many streams open: wait for files in flight on the queue to end */
	while ((ret = wd_stream_open(q->q, 0, 0, &f->s)) == -ENOSPC &&
	       q->done < q->sub)
		recv_one(d, f->qi);
	return ret;
}

/* the file's chunks: pieces of the mapping, or read into reserved memory */
static void stream_file(struct dctx *d, struct file *f)
{
	if (f->map) {
		uint64_t off = 0;

		do {
			size_t len = f->size - off > MAP_PIECE ? MAP_PIECE :
				     (size_t)(f->size - off);

			send_piece(d, next_slot(d, f), f, f->map + off, len,
				   off + len == f->size);
			off += len;
		} while (off < f->size);
		return;
	}
	for (;;) {
		struct dslot *s = next_slot(d, f);
		ssize_t n = f->failed ? 0 : wdt_read_full(f->fd, s->buf, d->buf_cap);

		if (n < 0) {
			file_error(d, f, strerror((int)-n));
			n = 0;
		}
		/* a short read is the end: the last request, maybe empty */
		if ((size_t)n < d->buf_cap) {
			shrank(d, f, f->sent + (uint64_t)n);
			send_piece(d, s, f, s->buf, (size_t)n, true);
			return;
		}
		send_piece(d, s, f, s->buf, (size_t)n, false);
	}
}

static void fail_open(struct dctx *d, struct file *f, int err)
{
	wdt_err("%s: %s", fname(f), strerror(err));
	d->status = 1;
	if (f->fd > STDIN_FILENO)
		close(f->fd);
	free(f);
}

static void do_file(struct dctx *d, const char *name)
{
	struct file *f = calloc(1, sizeof(*f));
	struct stat st;
	int ret;

	if (!f) {
		wdt_err("%s", strerror(ENOMEM));
		exit(1);
	}
	f->name = name && strcmp(name, "-") ? name : NULL;
	f->fd = STDIN_FILENO;
	if (f->name) {
		f->fd = open(f->name, O_RDONLY | O_CLOEXEC);
		if (f->fd < 0)
			return fail_open(d, f, errno);
	}
	if (fstat(f->fd, &st))
		return fail_open(d, f, errno);
	if (S_ISDIR(st.st_mode))
		return fail_open(d, f, EISDIR);
	f->regular = S_ISREG(st.st_mode);
	f->size = (uint64_t)st.st_size;
	f->qi = d->next_q++ % d->qs.n;
	ret = open_stream(d, f);
	if (ret) {
		wdt_err("%s: cannot open a stream on %s: %s", fname(f),
			d->dq[f->qi].q->dev_path, strerror(-ret));
		exit(1);
	}
	/* on SVA the device reads a mapping; nothing else touches it */
	if ((d->dq[f->qi].q->dev_flags & WD_DEV_SVA) && f->regular && f->size) {
		f->map = mmap(NULL, f->size, PROT_READ, MAP_SHARED, f->fd, 0);
		if (f->map == MAP_FAILED)
			f->map = NULL;
	}
	if (d->tail)
		d->tail->next = f;
	else
		d->head = f;
	d->tail = f;
	stream_file(d, f);
}

static void digest_usage(FILE *f)
{
	fputs("usage: wd digest --alg sha256|crc32c [OPTION]... [FILE]...\n"
	      "Print checksums computed by an accelerator, in sha256sum's format\n"
	      "(`sha256sum -c` accepts the sha256 output). No FILE or '-': standard input.\n"
	      "Each file is one digest stream on the device: any size, every memory mode.\n"
	      "  -a, --alg ALG     sha256 (default) or crc32c (CRC-32C, as 8 hex digits)\n"
	      "      --device DEV[,DEV...]   /dev/uaN or local[:mode]\n"
	      "      --queues N    queues (default 2)   --depth N  requests in flight per queue (default 8)\n"
	      "  -v, --verbose     say which device and mode hashed each file\n", f);
}

/*
 * Requests in flight per queue (@depth, within every queue's depth, its
 * memory and its streams) and their buffers in each queue's reserved
 * memory. 0, or 1 (message given).
 */
static int digest_setup(struct dctx *d, int depth)
{
	size_t per;

	d->spq = depth > MAX_SPQ ? MAX_SPQ : depth;
	d->buf_cap = READ_CHUNK;
	for (int i = 0; i < d->qs.n; i++) {
		struct wd_queue *q = &d->qs.q[i];

		if ((uint32_t)d->spq > q->depth)
			d->spq = (int)q->depth;
		/* at least two buffers: one is filled while the other is hashed */
		if (d->buf_cap > q->ss_max / 2 - 4096)
			d->buf_cap = q->ss_max / 2 - 4096;
	}
	per = d->buf_cap + 4096;	/* the result after the buffer, page aligned */
	for (int i = 0; i < d->qs.n; i++)
		while (d->spq > 1 && per * (size_t)d->spq > d->qs.q[i].ss_max)
			d->spq--;
	for (int i = 0; i < d->qs.n; i++) {
		struct dq *q = &d->dq[i];
		uint8_t *mem;

		q->q = &d->qs.q[i];
		mem = wdt_reserve(q->q, per, &d->spq);
		q->slots = calloc((size_t)d->spq, sizeof(*q->slots));
		if (!q->slots || !mem) {
			wdt_err("%s: cannot reserve device memory: %s", q->q->dev_path,
				wdt_memerr(q->slots ? errno : ENOMEM));
			return 1;
		}
		for (int j = 0; j < d->spq; j++) {
			q->slots[j].buf = mem + per * (size_t)j;
			q->slots[j].res = q->slots[j].buf + d->buf_cap;
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
	int queues = 2, depth = 8, opt, ret;
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
	ret = wdt_queues_open(&d.qs, alg, device, queues);
	if (ret) {
		wdt_err("%s: %s%s", alg, wdt_qerr(ret),
			ret == -ENODEV ? " (modprobe wd_soft, or --device local)" : "");
		return 1;
	}
	if (digest_setup(&d, depth)) {
		for (int i = 0; i < d.qs.n; i++)
			free(d.dq[i].slots);
		wdt_queues_close(&d.qs);
		return 1;
	}
	if (optind == argc)
		do_file(&d, NULL);
	for (int i = optind; i < argc; i++)
		do_file(&d, argv[i]);
	drain(&d);	/* stdout's write errors: main() */
	print_ready(&d);
	for (int i = 0; i < d.qs.n; i++)
		free(d.dq[i].slots);
	wdt_queues_close(&d.qs);
	return d.status;
}
