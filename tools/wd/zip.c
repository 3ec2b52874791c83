// SPDX-License-Identifier: MIT
/*
 * wd zip / wd unzip: gzip-compatible compression through an accelerator,
 * with the device's streams (wd_stream_open(3)).
 *
 * Compression (pigz's method): the input is cut into chunks (1 MiB by
 * default), many in flight over several queues (chunk k on queue k % n,
 * each queue completing in order, so the output order is the input
 * order). Each slot of the pipeline has its own raw "deflate" compression
 * stream, reset for each chunk; a chunk after the first is preceded on its
 * stream by the last 32 KiB of input before it as a preset dictionary
 * (WD_STREAM_DICT), so matches reach back across chunks as in one stream.
 * Chunks end with WD_SYNC_FLUSH (byte aligned, no final block), the last
 * with WD_FINISH, so their outputs concatenate into one raw deflate stream:
 * one gzip member, whose header this tool writes and whose trailer it
 * computes: the chunks' CRC-32s (zlib's crc32(), read as they are read)
 * joined in order with crc32_combine(), and ISIZE, the length mod 2^32.
 *
 * On the in-process device (every queue "local"), each chunk is instead a
 * gzip member of its own, one request without a stream ("gzip"): there,
 * such a request in reserved memory runs libdeflate in one call, about
 * twice as fast as zlib's stream, and the members' lack of a dictionary
 * costs less than libdeflate saves (docs/wd.md). gzip, zlib and wd unzip
 * read the members as one file.
 *
 * Decompression: one "gzip" decompression stream per file on one queue,
 * fed the input as it is read; the device goes from member to member by
 * itself. Memory is bounded: two input and two output buffers of fixed
 * size in the queue's reserved memory (every mode), whatever the file's
 * size. One request is in flight (the next request's input depends on how
 * much of this one the device took) while the previous output is written
 * and the next input read. After the last member, zero bytes are ignored
 * and anything else is trailing garbage, ignored with a warning (exit 2),
 * as gzip does; a next "member" that is not one is corrupt input. Corrupt
 * or truncated input is reported with the file's name and the byte offset
 * of the request that failed; nothing runs in-process.
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
#include <unistd.h>
#include <zlib.h>

#include "zip.h"

#define WIN		32768u		/* deflate's window: the dictionary */
#define UIN		(256u << 10)	/* unzip: an input buffer */
#define UOUT		(1u << 20)	/* unzip: an output buffer */

/* a chunk in flight: a slot of the pipeline (wdt_pipe) */
struct slot {
	struct wd_comp_req creq;	/* members: the chunk */
	struct wd_stream_req req;	/* the chunk */
	struct wd_stream_req dreq;	/* its dictionary, before it */
	struct wd_stream *s;
	uint8_t *dict, *in, *out;	/* reserved memory */
	size_t len;			/* input bytes of the chunk */
	uint32_t crc;			/* their CRC-32 */
	int pending;			/* requests not received yet */
	bool last;
};

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

static int unzip_setup(struct zctx *z)
{
	struct wd_queue *q = &z->p.qs.q[0];
	size_t per = 2 * ((size_t)UIN + UOUT);
	uint8_t *mem;
	int ret;

	if (per > q->ss_max) {
		wdt_err("%s: %zu bytes of device memory needed, the queue has %zu",
			q->dev_path, per, q->ss_max);
		return -ENOMEM;
	}
	mem = wd_reserve_memory(q, per);
	if (!mem) {
		ret = -errno;
		wdt_err("%s: cannot reserve device memory: %s", q->dev_path,
			wdt_memerr(errno));
		return ret;
	}
	z->uin[0] = mem;
	z->uin[1] = mem + UIN;
	z->uout[0] = mem + 2 * UIN;
	z->uout[1] = mem + 2 * UIN + UOUT;
	ret = wd_stream_open(q, WD_DECOMPRESS, 0, &z->us);
	if (ret) {
		wdt_err("%s: cannot open a decompression stream: %s", q->dev_path,
			strerror(-ret));
		return ret;
	}
	wdt_info("a gzip decompression stream on %s (%s mode), %u KiB in and %u KiB out buffers, two each",
		 q->dev_path, wdt_mode_name(q->dev_flags), UIN >> 10, UOUT >> 10);
	return 0;
}

int zip_setup(struct zctx *z, struct zopt *o)
{
	size_t per;
	int ret;

	memset(z, 0, sizeof(*z));
	z->o = o;
	/* decompression is one stream: one queue */
	ret = wdt_pipe_open(&z->p, o->decompress ? "gzip" : "deflate", o->device,
			    o->decompress ? 1 : o->queues);
	if (ret)
		return ret;
	if (o->decompress)
		return unzip_setup(z);
	z->members = true;
	for (int i = 0; i < z->p.qs.n; i++)
		z->members &= !!(z->p.qs.q[i].dev_flags & WD_DEV_LOCAL);
	if (z->members) {
		/* the same device, gzip queues: a member per request */
		wdt_pipe_close(&z->p);
		ret = wdt_pipe_open(&z->p, "gzip", o->device, o->queues);
		if (ret)
			return ret;
	}
	z->in_cap = o->chunk;
	/* deflate's bound, a sync flush's marker and room to spare: never full */
	z->out_cap = o->chunk + o->chunk / 8 + 4096;
	per = WIN + z->in_cap + z->out_cap;
	per = (per + 4095) & ~(size_t)4095;
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

		sl->dict = wdt_pipe_mem(&z->p, (uint64_t)i);
		sl->in = sl->dict + WIN;
		sl->out = sl->in + z->in_cap;
		if (z->members)
			continue;
		ret = wd_stream_open(wdt_pipe_queue(&z->p, (uint64_t)i), WD_COMPRESS,
				     o->level, &sl->s);
		if (ret) {
			wdt_err("%s: cannot open compression stream %d: %s",
				wdt_pipe_queue(&z->p, (uint64_t)i)->dev_path, i,
				strerror(-ret));
			return ret;
		}
	}
	for (int i = 0; i < z->p.qs.n; i++)
		wdt_info("%s on %s (%s mode)",
			 z->members ? "gzip requests" : "deflate streams",
			 z->p.qs.q[i].dev_path,
			 wdt_mode_name(z->p.qs.q[i].dev_flags));
	wdt_info("%d queue(s) x %d chunks in flight, chunks of %llu bytes, %s",
		 z->p.qs.n, z->p.spq, (unsigned long long)o->chunk,
		 z->members ? "a gzip member each" : "a 32 KiB dictionary each");
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
	case -EINVAL: return "request refused by the device (over its limits)";
	default: return strerror(-st);
	}
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* ---- compression ---- */

/* receive one request of the oldest slot in flight: it, or NULL (said) */
static void *zrecv(struct zctx *z, struct slot *s)
{
	void *r;
	int ret = wd_recv_sync(wdt_pipe_queue(&z->p, z->p.done), &r);

	if (ret < 0 || r != (s->pending == 2 ? &s->dreq : &s->req)) {
		wdt_err("%s: device queue failed: %s", z->name,
			ret < 0 ? strerror(-ret) : "request out of order");
		return NULL;
	}
	s->pending--;
	return r;
}

/* after a failure: collect what is still in flight, start again at 0 */
static void zdrain(struct zctx *z)
{
	wdt_pipe_flush(&z->p);
	for (; z->p.done < z->p.sub; z->p.done++) {
		struct slot *s = wdt_pipe_slot(&z->p, z->p.done);
		void *r;

		while (s->pending > 0 &&
		       wd_recv_sync(wdt_pipe_queue(&z->p, z->p.done), &r) >= 0)
			s->pending--;
		s->pending = 0;
	}
	z->p.done = z->p.sub = 0;
}

/* the gzip header: no name, no time (as gzip -n), XFL by level, OS Unix */
static int put_header(struct zctx *z)
{
	uint8_t h[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3 };

	h[8] = z->o->level == 9 ? 2 : z->o->level == 1 ? 4 : 0;
	return out_write(z, h, sizeof(h));
}

/* read the next chunk into the next slot and send it: 0 or -errno */
static int send_chunk(struct zctx *z, int fd, bool *eof)
{
	struct slot *s = wdt_pipe_slot(&z->p, z->p.sub);
	struct wd_queue *q = wdt_pipe_queue(&z->p, z->p.sub);
	ssize_t n = wdt_read_full(fd, s->in, z->o->chunk);
	size_t len, keep;
	int ret;

	if (n < 0) {
		wdt_err("%s: %s", z->name, strerror((int)-n));
		return (int)n;
	}
	len = (size_t)n;
	*eof = len < z->o->chunk;
	s->len = len;
	s->last = *eof;
	if (z->members && !len && z->p.sub) {
		/* the input ended with a chunk: no empty member after it */
		return 0;
	}
	if (z->members) {
		/* the device computes the member's CRC-32 */
		wd_prep_comp(&s->creq, WD_COMPRESS, z->o->level, s->out,
			     (uint32_t)z->out_cap, s->in, (uint32_t)len);
		ret = wd_send(q, &s->creq);
		if (ret)
			goto fail;
		s->pending = 1;
		z->p.sub++;
		wd_flush(q);
		return 0;
	}
	s->crc = (uint32_t)crc32(0, s->in, (uInt)len);
	s->pending = 0;
	wd_stream_reset(s->s);
	if (z->win_len && len) {
		/* the 32 KiB before the chunk: matches reach back into them */
		memcpy(s->dict, z->win, z->win_len);
		wd_prep_stream(&s->dreq, s->out, 0, s->dict, (uint32_t)z->win_len,
			       WD_NO_FLUSH | WD_STREAM_DICT);
		ret = wd_stream_send(s->s, &s->dreq);
		if (ret)
			goto fail;
		s->pending++;
	}
	wd_prep_stream(&s->req, s->out, (uint32_t)z->out_cap, s->in, (uint32_t)len,
		       s->last ? WD_FINISH : WD_SYNC_FLUSH);
	ret = wd_stream_send(s->s, &s->req);
	if (ret)
		goto fail;
	s->pending++;
	z->p.sub++;
	/* the window after this chunk */
	if (len >= WIN) {
		memcpy(z->win, s->in + len - WIN, WIN);
		z->win_len = WIN;
	} else {
		keep = z->win_len + len > WIN ? WIN - len : z->win_len;
		memmove(z->win, z->win + z->win_len - keep, keep);
		memcpy(z->win + keep, s->in, len);
		z->win_len = keep + len;
	}
	wd_flush(q);
	return 0;
fail:
	wdt_err("%s: send: %s", z->name, strerror(-ret));
	if (s->pending) {
		/* the dictionary went: the slot counts, zdrain() collects it */
		z->p.sub++;
	}
	return ret;
}

/* members: the oldest chunk's gzip member, written: 0 or -errno */
static int recv_member(struct zctx *z, struct slot *s)
{
	void *r;
	int ret = wd_recv_sync(wdt_pipe_queue(&z->p, z->p.done), &r);

	if (ret < 0 || r != &s->creq) {
		wdt_err("%s: device queue failed: %s", z->name,
			ret < 0 ? strerror(-ret) : "request out of order");
		return -EIO;
	}
	s->pending = 0;
	if (s->creq.status) {
		wdt_err("%s: compression failed: %s", z->name,
			status_msg(s->creq.status));
		return s->creq.status;
	}
	z->p.done++;
	z->in_bytes += s->len;
	wdt_progress_add(&z->prog, s->len);
	return out_write(z, s->out, s->creq.out_len);
}

/* the oldest chunk's output, written: 0 or -errno */
static int recv_chunk(struct zctx *z, uint32_t *crc, uint64_t *total)
{
	struct slot *s = wdt_pipe_slot(&z->p, z->p.done);
	struct wd_stream_req *r;

	if (z->members)
		return recv_member(z, s);
	if (s->pending == 2) {
		r = zrecv(z, s);
		if (!r)
			return -EIO;
		if (r->status) {
			wdt_err("%s: compression failed (dictionary): %s", z->name,
				status_msg(r->status));
			return r->status;
		}
	}
	r = zrecv(z, s);
	if (!r)
		return -EIO;
	if (r->status) {
		wdt_err("%s: compression failed: %s", z->name, status_msg(r->status));
		return r->status;
	}
	if (r->in_len != s->len || (r->flags & WD_STREAM_MORE) ||
	    (s->last && !(r->flags & WD_STREAM_END))) {
		wdt_err("%s: the device left a chunk unfinished (%u of %zu bytes taken%s)",
			z->name, r->in_len, s->len,
			r->flags & WD_STREAM_MORE ? ", output over its bound" : "");
		return -EPROTO;
	}
	z->p.done++;
	*crc = (uint32_t)crc32_combine(*crc, s->crc, (z_off_t)s->len);
	*total += s->len;
	z->in_bytes += s->len;
	wdt_progress_add(&z->prog, s->len);
	return out_write(z, s->out, r->out_len);
}

int zip_stream(struct zctx *z, int fd)
{
	uint8_t trailer[8];
	uint64_t total = 0;
	uint32_t crc = 0;
	bool eof = false;
	int ret;

	z->p.sub = z->p.done = 0;
	z->win_len = 0;
	ret = z->members ? 0 : put_header(z);
	while (!ret && (!eof || z->p.done < z->p.sub)) {
		while (!ret && !eof && !wdt_pipe_full(&z->p))
			ret = send_chunk(z, fd, &eof);
		if (!ret && z->p.done < z->p.sub) {
			wd_flush(wdt_pipe_queue(&z->p, z->p.done));
			ret = recv_chunk(z, &crc, &total);
		}
	}
	if (ret) {
		zdrain(z);
		return ret;
	}
	if (z->members)
		return 0;
	put_le32(trailer, crc);
	put_le32(trailer + 4, (uint32_t)total);	/* ISIZE: mod 2^32 */
	return out_write(z, trailer, sizeof(trailer));
}

/* ---- decompression ---- */

struct ubuf {
	uint8_t *p;
	size_t len, pos;
	uint64_t off;		/* the input's offset of p[0] */
};

struct ustate {
	struct zctx *z;
	int fd;
	struct ubuf cur, next;	/* the input being sent, the one read ahead */
	bool next_ready, eof;
};

/* read the next input buffer, if there is more: 0 or -errno (said) */
static int read_next(struct ustate *u)
{
	ssize_t n;

	if (u->next_ready || u->eof)
		return 0;
	n = wdt_read_full(u->fd, u->next.p, UIN);
	if (n < 0) {
		wdt_err("%s: %s", u->z->name, strerror((int)-n));
		return (int)n;
	}
	u->next.len = (size_t)n;
	u->next.pos = 0;
	u->next.off = u->cur.off + u->cur.len;
	u->eof = (size_t)n < UIN;
	u->next_ready = n > 0;
	return 0;
}

/* the current buffer used up: the next one, if any (true) */
static bool advance(struct ustate *u)
{
	struct ubuf t;

	if (u->cur.pos < u->cur.len || !u->next_ready)
		return u->cur.pos < u->cur.len;
	t = u->cur;
	u->cur = u->next;
	u->next = t;
	u->next.len = u->next.pos = 0;
	u->next_ready = false;
	return true;
}

/* the byte @k after the current position, or -1 (the input ends first) */
static int peek(struct ustate *u, size_t k, int *err)
{
	size_t left = u->cur.len - u->cur.pos;

	if (k < left)
		return u->cur.p[u->cur.pos + k];
	*err = read_next(u);
	if (*err || !u->next_ready || k - left >= u->next.len)
		return -1;
	return u->next.p[k - left];
}

/*
 * After the last member: zero bytes to the end (tar, tapes) are ignored
 * silently, anything else with a warning, as gzip 1.12 does. 0 or -errno.
 */
static int trailing(struct ustate *u)
{
	struct zctx *z = u->z;
	int ret;

	for (;;) {
		while (u->cur.pos < u->cur.len && !u->cur.p[u->cur.pos])
			u->cur.pos++;
		if (u->cur.pos < u->cur.len) {
			zip_warn(z, "%s: decompression OK, trailing garbage ignored", z->name);
			return 0;
		}
		ret = read_next(u);
		if (ret)
			return ret;
		if (!advance(u))
			break;
	}
	if (wdt_verbose)
		zip_warn(z, "%s: decompression OK, trailing zero bytes ignored", z->name);
	return 0;
}

/*
 * One step of a replay: @len bytes at @buf through the stream, output
 * dropped. 0, 1 (the device failed it), or -1 (not as the first run went).
 */
static int replay_step(struct zctx *z, const uint8_t *buf, size_t len)
{
	struct wd_queue *q = &z->p.qs.q[0];
	struct wd_stream_req req;
	size_t done = 0;
	void *r;

	do {
		wd_prep_stream(&req, z->uout[0], UOUT, buf + done,
			       (uint32_t)(len - done), WD_NO_FLUSH);
		if (wd_stream_send(z->us, &req))
			return -1;
		wd_flush(q);
		if (wd_recv_sync(q, &r) < 0 || r != &req)
			return -1;
		if (req.status)
			return 1;
		done += req.in_len;
		/* a member's end before all was taken: not the first run's path */
		if (done < len && !(req.flags & WD_STREAM_MORE))
			return -1;
	} while (req.flags & WD_STREAM_MORE || done < len);
	return 0;
}

/*
 * Replay the file's stream from its start (a seekable input: pread()) up
 * to @lo in large steps, then [@lo, @hi) in @step-byte steps: *@at, the
 * start of the step that failed. 0, or -1 (not seekable, or no failure).
 */
static int replay(struct zctx *z, int fd, uint64_t lo, uint64_t hi,
		  size_t step, uint64_t *at)
{
	uint64_t off = 0;

	wd_stream_reset(z->us);
	while (off < hi) {
		size_t n = off < lo ? (lo - off > UIN ? UIN : (size_t)(lo - off)) :
			   (hi - off > step ? step : (size_t)(hi - off));
		ssize_t got = pread(fd, z->uin[0], n, (off_t)off);
		int ret;

		if (got != (ssize_t)n)
			return -1;
		ret = replay_step(z, z->uin[0], n);
		if (ret < 0 || (ret > 0 && off < lo))
			return -1;
		if (ret > 0) {
			*at = off;
			return 0;
		}
		off += n;
	}
	return -1;
}

/*
 * Corrupt input: the message names the file and where the device found
 * the damage. A failed request reports no progress, so the device is asked
 * again, on the stream replayed from a seekable input's start: in 4 KiB,
 * then 1-byte steps over the failed request's @len bytes from @off. A pipe
 * is not read again: the message names the range.
 */
static void corrupt(struct zctx *z, int fd, int status, uint64_t off, size_t len)
{
	uint64_t at = off;
	bool found = len == 1;

	if (!found && (len <= 4096 || !replay(z, fd, off, off + len, 4096, &at)))
		found = !replay(z, fd, at, at + 4096 < off + len ? at + 4096 : off + len,
				1, &at);
	if (found)
		wdt_err("%s: %s at byte offset %llu", z->name, status_msg(status),
			(unsigned long long)at);
	else
		wdt_err("%s: %s at byte offset %llu to %llu", z->name,
			status_msg(status), (unsigned long long)off,
			(unsigned long long)(off + len - 1));
}

int unzip_stream(struct zctx *z, int fd)
{
	struct wd_queue *q = &z->p.qs.q[0];
	struct ustate u = { .z = z, .fd = fd };
	struct wd_stream_req req;
	size_t prev_out = 0;
	uint64_t reqs = 0;
	int oc = 0, ret, err = 0;
	bool ended = false;

	u.cur.p = z->uin[0];
	u.next.p = z->uin[1];
	wd_stream_reset(z->us);
	ret = read_next(&u);
	if (ret)
		return ret;
	advance(&u);
	if (!u.cur.len) {
		wdt_err("%s: unexpected end of input (empty)", z->name);
		return -EPIPE;
	}
	if (u.cur.p[0] != 0x1f || (u.cur.len > 1 && u.cur.p[1] != 0x8b)) {
		wdt_err("%s: not in gzip format", z->name);
		return -EINVAL;
	}
	for (;;) {
		void *r;

		wd_prep_stream(&req, z->uout[oc], UOUT, u.cur.p + u.cur.pos,
			       (uint32_t)(u.cur.len - u.cur.pos), WD_NO_FLUSH);
		ret = wd_stream_send(z->us, &req);
		if (ret) {
			wdt_err("%s: send: %s", z->name, strerror(-ret));
			break;
		}
		wd_flush(q);
		reqs++;
		/* while the device works: the previous output out, the next input in */
		if (prev_out)
			ret = out_write(z, z->uout[oc ^ 1], prev_out);
		prev_out = 0;
		if (!ret)
			ret = read_next(&u);
		if (wd_recv_sync(q, &r) < 0 || r != &req) {
			wdt_err("%s: device queue failed", z->name);
			return -EIO;	/* the queue is lost: nothing to drain */
		}
		if (ret)
			break;
		if (req.status) {
			corrupt(z, fd, req.status, u.cur.off + u.cur.pos,
				u.cur.len - u.cur.pos);
			ret = req.status;
			break;
		}
		u.cur.pos += req.in_len;
		z->in_bytes += req.in_len;
		wdt_progress_add(&z->prog, req.in_len);
		prev_out = req.out_len;
		oc ^= 1;
		if (req.flags & WD_STREAM_MORE)
			continue;	/* the rest of the output, the input on */
		ended = req.flags & WD_STREAM_END;
		if (!advance(&u)) {
			if (ended)
				break;	/* the last member ended with the input */
			wdt_err("%s: unexpected end of input (truncated at byte offset %llu)",
				z->name, (unsigned long long)(u.cur.off + u.cur.len));
			ret = -EPIPE;
			break;
		}
		/* more input after a member's end: a member (the device goes on), or not */
		if (ended && (peek(&u, 0, &err) != 0x1f || peek(&u, 1, &err) != 0x8b)) {
			ret = err ? err : trailing(&u);
			break;
		}
	}
	if (!ret && prev_out)
		ret = out_write(z, z->uout[oc ^ 1], prev_out);
	if (!ret)
		wdt_info("%s: decompressed on %s (%s mode), one stream of %llu request(s)",
			 z->name, q->dev_path, wdt_mode_name(q->dev_flags),
			 (unsigned long long)reqs);
	return ret;
}
