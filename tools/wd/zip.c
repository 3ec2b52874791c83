// SPDX-License-Identifier: MIT
/*
 * wd zip / wd unzip: gzip-compatible compression through an accelerator.
 *
 * Compression: the input is cut into chunks (1 MiB by default), each
 * compressed by the device as an independent gzip member; members are
 * written in order, so the output is the concatenation gzip -d reads. Many
 * chunks are in flight over several queues (round robin; each queue
 * completes in order, so the output order is the submission order). The
 * member header carries an extra field (FEXTRA, subfield "WD", 4 bytes:
 * the member's total length, little-endian), which gzip ignores and which
 * lets wd unzip cut its own files into members without inflating them.
 *
 * Decompression: members with the "WD" field go to the device as
 * independent requests, many in flight; one over this run's buffers (made
 * with a larger --chunk, or claiming a large size) is inflated in-process
 * with zlib, alone and in order. Any other gzip data (from gzip,
 * pigz, ...: one member whose length is unknown until it is inflated)
 * goes to the device as one request holding the rest of the input, when
 * that fits its 64 MiB limit and the queue is in SVA mode; otherwise, or
 * when the device refuses it, it is inflated in-process with zlib, which
 * also gives the exact diagnosis (corrupt, truncated, trailing garbage).
 * -v says which path each file took.
 *
 * The files, their names and the options: zipfile.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include "zip.h"

#define WD_XFIELD_LEN	10		/* XLEN(2) 'W' 'D' LEN(2) member length(4) */
#define DEV_MAX_SRC	(64u << 20)	/* wd_soft's source limit (wd.h) */
#define ONESHOT_MAX_OUT	(256u << 20)

/* a request of the pipeline (wdt_pipe): its request first */
struct slot {
	struct wd_comp_req req;
	uint8_t *in, *out;
	size_t len;		/* input bytes (compression: of the chunk) */
};
_Static_assert(offsetof(struct slot, req) == 0, "wdt_pipe: the request first");

void zip_warn(struct zctx *z, const char *fmt, ...)
{
	va_list ap;

	z->status = STATUS_WARN;
	if (z->o->quiet)
		return;
	va_start(ap, fmt);
	wdt_vmsg(fmt, ap);
	va_end(ap);
}

int zip_setup(struct zctx *z, struct zopt *o)
{
	size_t per;
	int ret;

	memset(z, 0, sizeof(*z));
	z->o = o;
	ret = wdt_pipe_open(&z->p, "gzip", o->device, o->queues);
	if (ret)
		return ret;
	z->in_cap = o->chunk + o->chunk / 8 + 4096;
	z->out_cap = z->in_cap;
	per = z->in_cap + z->out_cap;
	for (int i = 0; i < z->p.qs.n; i++) {
		if (per > z->p.qs.q[i].ss_max) {
			wdt_err("%s: chunk of %llu bytes too large for the device's memory (%zu bytes)",
				z->p.qs.q[i].dev_path, (unsigned long long)o->chunk,
				z->p.qs.q[i].ss_max);
			return -ENOMEM;
		}
	}
	ret = wdt_pipe_slots(&z->p, o->depth, sizeof(struct slot), per);
	if (ret)
		return ret;
	for (int i = 0; i < wdt_pipe_nslots(&z->p); i++) {
		struct slot *sl = wdt_pipe_slot(&z->p, (uint64_t)i);

		sl->in = wdt_pipe_mem(&z->p, (uint64_t)i);
		sl->out = sl->in + z->in_cap;
	}
	wdt_info("%d queue(s) x %d requests in flight, chunks of %llu bytes",
		 z->p.qs.n, z->p.spq, (unsigned long long)o->chunk);
	return 0;
}

static int out_write(struct zctx *z, const void *p, size_t len)
{
	int ret;

	z->out_bytes += len;
	if (z->o->test)
		return 0;
	ret = wdt_out_write(z->out, p, len);
	if (ret)
		wdt_err("%s: %s", z->out->is_stdout ? "stdout" : z->out->path,
			strerror(-ret));
	return ret;
}

static const char *status_msg(int st)
{
	switch (st) {
	case -EBADMSG: return "corrupt input (invalid compressed data)";
	case -ENOSPC: return "output larger than the device buffer";
	case -EINVAL: return "request refused by the device (over its limits)";
	default: return strerror(-st);
	}
}

/* ---- compression ---- */

static int put_member(struct zctx *z, struct slot *s)
{
	uint8_t *m = s->out;	/* the device wrote at out + WD_XFIELD_LEN */
	uint32_t len = s->req.out_len + WD_XFIELD_LEN;
	uint8_t hdr[10];

	if (s->req.out_len < 18 || m[10] != 0x1f || m[11] != 0x8b || m[13]) {
		wdt_err("%s: unexpected member header from the device", z->name);
		return -EPROTO;
	}
	memcpy(hdr, m + WD_XFIELD_LEN, 10);
	memcpy(m, hdr, 10);
	m[3] = 0x04;		/* FEXTRA */
	m[10] = 8;		/* XLEN */
	m[11] = 0;
	m[12] = 'W';
	m[13] = 'D';
	m[14] = 4;
	m[15] = 0;
	m[16] = (uint8_t)len;
	m[17] = (uint8_t)(len >> 8);
	m[18] = (uint8_t)(len >> 16);
	m[19] = (uint8_t)(len >> 24);
	return out_write(z, m, len);
}

int zip_stream(struct zctx *z, int fd)
{
	bool eof = false;
	int ret;

	z->p.sub = z->p.done = 0;
	while (!eof || z->p.done < z->p.sub) {
		struct slot *s;

		while (!eof && !wdt_pipe_full(&z->p)) {
			ssize_t n;

			s = wdt_pipe_slot(&z->p, z->p.sub);
			n = wdt_read_full(fd, s->in, z->o->chunk);
			if (n < 0) {
				wdt_err("%s: %s", z->name, strerror((int)-n));
				wdt_pipe_drain(&z->p);
				return (int)n;
			}
			if ((size_t)n < z->o->chunk)
				eof = true;
			if (n == 0 && z->p.sub > 0)
				break;
			s->len = (size_t)n;
			wd_prep_comp(&s->req, WD_COMPRESS, z->o->level,
				     s->out + WD_XFIELD_LEN,
				     (uint32_t)(z->out_cap - WD_XFIELD_LEN), s->in,
				     (uint32_t)n);
			ret = wdt_pipe_send(&z->p);
			if (ret) {
				wdt_err("%s: send: %s", z->name, strerror(-ret));
				wdt_pipe_drain(&z->p);
				return ret;
			}
		}
		wdt_pipe_flush(&z->p);
		if (z->p.done == z->p.sub)
			break;
		s = wdt_pipe_recv(&z->p, z->name);
		if (!s) {
			wdt_pipe_drain(&z->p);
			return -EIO;
		}
		if (s->req.status) {
			wdt_err("%s: compression failed: %s", z->name,
				status_msg(s->req.status));
			wdt_pipe_drain(&z->p);
			return s->req.status;
		}
		z->in_bytes += s->len;
		wdt_progress_add(&z->prog, s->len);
		ret = put_member(z, s);
		if (ret) {
			wdt_pipe_drain(&z->p);
			return ret;
		}
	}
	return 0;
}

/* ---- decompression ---- */

struct ibuf {
	int fd;
	uint8_t *buf;
	size_t start, end, cap;
	bool eof;
	int err;
};

static size_t ib_avail(struct ibuf *b)
{
	return b->end - b->start;
}

/* have at least n bytes unless EOF: 0, or -errno */
static int ib_ensure(struct ibuf *b, size_t n)
{
	if (ib_avail(b) >= n || b->eof)
		return 0;
	if (b->start) {
		memmove(b->buf, b->buf + b->start, ib_avail(b));
		b->end -= b->start;
		b->start = 0;
	}
	if (n > b->cap) {
		size_t cap = b->cap ? b->cap : 1 << 20;
		uint8_t *nb;

		while (cap < n)
			cap *= 2;
		nb = realloc(b->buf, cap);
		if (!nb)
			return -ENOMEM;
		b->buf = nb;
		b->cap = cap;
	}
	while (b->end < n && !b->eof) {
		ssize_t r = read(b->fd, b->buf + b->end, b->cap - b->end);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return b->err = -errno;
		if (r == 0)
			b->eof = true;
		b->end += (size_t)r;
	}
	return 0;
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/*
 * After the last member: zero padding to the end (tar, tapes) is ignored
 * silently, anything else with a warning, as gzip does. 0, or -errno.
 */
static int trailing(struct zctx *z, struct ibuf *b)
{
	for (;;) {
		int ret;

		while (b->start < b->end && !b->buf[b->start])
			b->start++;
		if (b->start < b->end) {
			zip_warn(z, "%s: decompression OK, trailing garbage ignored", z->name);
			return 0;
		}
		b->start = b->end = 0;
		ret = ib_ensure(b, 1);
		if (ret) {
			wdt_err("%s: %s", z->name, strerror(-ret));
			return ret;
		}
		if (!ib_avail(b))
			break;
	}
	if (wdt_verbose)
		zip_warn(z, "%s: decompression OK, trailing zero bytes ignored", z->name);
	return 0;
}

/* the "WD" member length of the header at p (n bytes available), or 0 */
static uint32_t wd_member_len(const uint8_t *p, size_t n)
{
	size_t xlen, i;

	if (n < 12 || !(p[3] & 0x04) || (p[3] & 0xe0))
		return 0;
	xlen = p[10] | (size_t)p[11] << 8;
	if (n < 12 + xlen)
		return 0;
	for (i = 12; i + 4 <= 12 + xlen;) {
		size_t sl = p[i + 2] | (size_t)p[i + 3] << 8;

		if (p[i] == 'W' && p[i + 1] == 'D' && sl == 4 && i + 8 <= 12 + xlen)
			return le32(p + i + 4);
		i += 4 + sl;
	}
	return 0;
}

#define ZOUT	(1u << 20)	/* zlib's output buffer */

static int zlib_start(struct zctx *z, z_stream *zs, uint8_t **out)
{
	memset(zs, 0, sizeof(*zs));
	*out = malloc(ZOUT);
	if (!*out || inflateInit2(zs, 15 + 16) != Z_OK) {
		free(*out);
		*out = NULL;
		wdt_err("%s: %s", z->name, strerror(ENOMEM));
		return -ENOMEM;
	}
	return 0;
}

/*
 * Inflate what @src holds (@len bytes) into the output, through @zs and
 * @out: the bytes consumed, or -errno (message given). *end: the member
 * ended there.
 */
static int64_t zlib_some(struct zctx *z, z_stream *zs, uint8_t *out,
			 const uint8_t *src, size_t len, bool *end)
{
	int zr, ret;

	zs->next_in = (Bytef *)src;
	zs->avail_in = (uInt)(len > (1u << 30) ? 1u << 30 : len);
	len = zs->avail_in;
	do {
		zs->next_out = out;
		zs->avail_out = ZOUT;
		zr = inflate(zs, Z_NO_FLUSH);
		if (zr == Z_DATA_ERROR || zr == Z_NEED_DICT || zr == Z_MEM_ERROR) {
			wdt_err("%s: corrupt input (%s)", z->name,
				zs->msg ? zs->msg : "invalid compressed data");
			return -EBADMSG;
		}
		if (ZOUT - zs->avail_out) {
			ret = out_write(z, out, ZOUT - zs->avail_out);
			if (ret)
				return ret;
		}
	} while (zs->avail_out == 0 && zr != Z_STREAM_END);
	*end = zr == Z_STREAM_END;
	len -= zs->avail_in;
	wdt_progress_add(&z->prog, len);
	z->in_bytes += len;
	return (int64_t)len;
}

/* inflate with zlib, from the buffered input on: the reference path */
static int zlib_rest(struct zctx *z, struct ibuf *b)
{
	z_stream zs;
	uint8_t *out;
	int ret = zlib_start(z, &zs, &out);
	bool member_open = false;

	while (!ret) {
		bool end = false;
		int64_t n;

		if (!ib_avail(b)) {
			b->start = b->end = 0;
			ret = ib_ensure(b, 1);
			if (ret) {
				wdt_err("%s: %s", z->name, strerror(-ret));
				break;
			}
			if (!ib_avail(b)) {
				if (member_open) {
					wdt_err("%s: unexpected end of input (truncated)", z->name);
					ret = -EPIPE;
				}
				break;
			}
		}
		if (!member_open) {
			/* a new member: gzip magic, else trailing garbage */
			ib_ensure(b, 2);
			if (ib_avail(b) < 2 || b->buf[b->start] != 0x1f ||
			    b->buf[b->start + 1] != 0x8b) {
				ret = trailing(z, b);
				break;
			}
			inflateReset(&zs);
			member_open = true;
		}
		n = zlib_some(z, &zs, out, b->buf + b->start, ib_avail(b), &end);
		if (n < 0)
			ret = (int)n;
		else
			b->start += (size_t)n;
		if (end)
			member_open = false;
	}
	if (out) {
		inflateEnd(&zs);
		free(out);
	}
	return ret;
}

/*
 * One "WD" member over this run's buffers (made with a larger --chunk, or
 * by another tool): inflated in-process with zlib, streaming, so that its
 * size does not matter. It must end exactly at its stated length.
 */
static int zlib_member(struct zctx *z, const uint8_t *src, size_t len)
{
	z_stream zs;
	uint8_t *out;
	int ret = zlib_start(z, &zs, &out);
	size_t used = 0;
	bool end = false;

	wdt_info("%s: a member of %zu bytes over this run's buffers: inflated in-process with zlib",
		 z->name, len);
	while (!ret && !end && used < len) {
		int64_t n = zlib_some(z, &zs, out, src + used, len - used, &end);

		if (n < 0)
			ret = (int)n;
		else if (n == 0 && !end)
			break;	/* no progress: corrupt, below */
		else
			used += (size_t)n;
	}
	if (!ret && (!end || used != len)) {
		wdt_err("%s: corrupt input (a member's length is not its data's)", z->name);
		ret = -EBADMSG;
	}
	if (out) {
		inflateEnd(&zs);
		free(out);
	}
	return ret;
}

/*
 * The rest of the input (foreign gzip data) as one device request, when it
 * fits: 1 done, 0 not done (use zlib; nothing was written), or -errno.
 */
static int oneshot_rest(struct zctx *z, struct ibuf *b)
{
	struct wd_queue *q = &z->p.qs.q[0];
	size_t len, cap, limit = ONESHOT_MAX_OUT;
	uint32_t isize;
	int ret;

	if (!(q->dev_flags & WD_DEV_SVA)) {
		wdt_info("%s: not made by wd zip and the device is not SVA: inflating in-process with zlib",
			 z->name);
		return 0;
	}
	ret = ib_ensure(b, (size_t)DEV_MAX_SRC + 1);
	if (ret)
		return ret;
	len = ib_avail(b);
	if (!b->eof || len > DEV_MAX_SRC) {
		wdt_info("%s: a gzip member not made by wd zip, over the device's 64 MiB input limit: inflating in-process with zlib",
			 z->name);
		return 0;
	}
	if (len < 18)
		return 0;	/* zlib says what is wrong with it */
	isize = le32(b->buf + b->end - 4);
	cap = (size_t)isize + 4096;
	if (cap < len * 4)
		cap = len * 4;
	while (cap <= limit) {
		void *dst = mmap(NULL, cap, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		struct wd_comp_req req;
		void *r;

		if (dst == MAP_FAILED)
			return 0;
		wd_prep_comp(&req, WD_DECOMPRESS, 0, dst, (uint32_t)cap,
			     b->buf + b->start, (uint32_t)len);
		ret = wd_send(q, &req);
		if (!ret)
			ret = wd_recv_sync(q, &r);
		if (ret < 0) {
			munmap(dst, cap);
			wdt_err("%s: device queue failed: %s", z->name, strerror(-ret));
			return ret;
		}
		if (req.status == -ENOSPC) {
			munmap(dst, cap);
			cap = req.out_len > cap ? req.out_len : cap * 2;
			continue;
		}
		if (req.status) {
			munmap(dst, cap);
			wdt_info("%s: the device refused the input (%s): inflating in-process with zlib for the diagnosis",
				 z->name, status_msg(req.status));
			return 0;
		}
		wdt_info("%s: not made by wd zip: decompressed as one request", z->name);
		ret = out_write(z, dst, req.out_len);
		munmap(dst, cap);
		if (ret)
			return ret;
		wdt_progress_add(&z->prog, len);
		z->in_bytes += len;
		b->start = b->end;
		return 1;
	}
	wdt_info("%s: output over %u MiB: inflating in-process with zlib", z->name,
		 ONESHOT_MAX_OUT >> 20);
	return 0;
}

static int finish_member(struct zctx *z, struct slot *s)
{
	if (s->req.status) {
		wdt_err("%s: %s", z->name, s->req.status == -ENOSPC ?
			"corrupt input (member larger than its header says)" :
			status_msg(s->req.status));
		return s->req.status;
	}
	wdt_progress_add(&z->prog, s->len);
	z->in_bytes += s->len;
	return out_write(z, s->out, s->req.out_len);
}

/* collect the members in flight, in order: 0 or -errno */
static int finish_inflight(struct zctx *z)
{
	int ret = 0;

	while (!ret && z->p.done < z->p.sub) {
		struct slot *s;

		wdt_pipe_flush(&z->p);
		s = wdt_pipe_recv(&z->p, z->name);
		ret = s ? finish_member(z, s) : -EIO;
	}
	return ret;
}

/* a "WD" member of @mlen bytes at the buffer's start, to the device */
static int send_member(struct zctx *z, struct ibuf *b, uint32_t mlen)
{
	struct slot *s;
	int ret;

	if (wdt_pipe_full(&z->p)) {
		wdt_pipe_flush(&z->p);
		s = wdt_pipe_recv(&z->p, z->name);
		ret = s ? finish_member(z, s) : -EIO;
		if (ret)
			return ret;
	}
	s = wdt_pipe_slot(&z->p, z->p.sub);
	memcpy(s->in, b->buf + b->start, mlen);
	s->len = mlen;
	wd_prep_comp(&s->req, WD_DECOMPRESS, 0, s->out, (uint32_t)z->out_cap,
		     s->in, mlen);
	ret = wdt_pipe_send(&z->p);
	if (ret) {
		wdt_err("%s: send: %s", z->name, strerror(-ret));
		return ret;
	}
	return 0;
}

int unzip_stream(struct zctx *z, int fd)
{
	struct ibuf b = { .fd = fd };
	uint64_t members = 0;
	int ret = 0;

	z->p.sub = z->p.done = 0;
	for (;;) {
		uint32_t mlen, isize;
		uint8_t *p;

		ret = ib_ensure(&b, 64);
		if (ret) {
			wdt_err("%s: %s", z->name, strerror(-ret));
			break;
		}
		if (!ib_avail(&b)) {
			if (!members) {
				wdt_err("%s: unexpected end of input (empty)", z->name);
				ret = -EPIPE;
			}
			break;
		}
		p = b.buf + b.start;
		if (ib_avail(&b) < 2 || p[0] != 0x1f || p[1] != 0x8b) {
			if (!members) {
				wdt_err("%s: not in gzip format", z->name);
				ret = -EINVAL;
			} else {
				ret = trailing(z, &b);
			}
			break;
		}
		mlen = wd_member_len(p, ib_avail(&b));
		if (!mlen || mlen < 28 || mlen > DEV_MAX_SRC) {
			/* foreign data (or a length not to buffer): after what is in flight */
			ret = finish_inflight(z);
			if (ret)
				break;
			ret = oneshot_rest(z, &b);
			if (ret == 0)
				ret = zlib_rest(z, &b);
			else if (ret == 1)
				ret = 0;
			break;
		}
		ret = ib_ensure(&b, mlen);
		if (ret) {
			wdt_err("%s: %s", z->name, strerror(-ret));
			break;
		}
		if (ib_avail(&b) < mlen) {
			wdt_err("%s: unexpected end of input (truncated)", z->name);
			ret = -EPIPE;
			break;
		}
		isize = le32(b.buf + b.start + mlen - 4);
		if (mlen > z->in_cap || isize > z->out_cap) {
			/* over this run's buffers: alone, in order */
			ret = finish_inflight(z);
			if (!ret)
				ret = zlib_member(z, b.buf + b.start, mlen);
		} else {
			ret = send_member(z, &b, mlen);
		}
		if (ret)
			break;
		members++;
		b.start += mlen;
	}
	if (!ret)
		ret = finish_inflight(z);
	if (ret)
		wdt_pipe_drain(&z->p);
	free(b.buf);
	return ret;
}
