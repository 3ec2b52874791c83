// SPDX-License-Identifier: MIT
/*
 * stream.c: the stream API (wd.h, docs/streams.md). A stream is a context
 * of the device on one queue: the driver opens and closes it with the
 * device's own command and sends its requests on the queue's ring; this
 * file checks arguments and the fork rule and keeps each queue's list of
 * handles, so that wd_release_queue() frees them (the device closes the
 * contexts itself when the queue stops).
 *
 * Also SHA-256 with the caller's state (libwd 1.3): no context at all,
 * one request at a time through the queue's sender.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "wd_priv.h"

/* the queue of a stream, if this process may use it: 0, -EPERM, -ENODEV */
static int wd_stream_check(const struct wd_stream *s)
{
	const struct wd_q *p = s->q;

	if (p->ring.fork_gen != wd_fork_gen())
		return -EPERM;
	if (wd_q_dead(p))
		return -ENODEV;
	return 0;
}

static void wd_stream_unlink(struct wd_q *p, struct wd_stream *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		p->streams = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->prev = s->next = NULL;
}

WD_EXPORT int wd_stream_open(struct wd_queue *q, uint32_t op, uint32_t level,
			     struct wd_stream **sp)
{
	struct wd_stream *s;
	struct wd_q *p;
	int ret;

	p = wd_q_get(q, &ret);
	if (!p)
		return ret;
	if (!sp)
		return -EINVAL;
	if (!p->drv->stream_open || !p->tp->dev_cmd)
		return -EOPNOTSUPP;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->q = p;
	ret = p->drv->stream_open(p, s, op, level);
	if (ret) {
		free(s);
		return ret;
	}
	pthread_mutex_lock(&p->stream_lock);
	s->next = p->streams;
	if (s->next)
		s->next->prev = s;
	p->streams = s;
	pthread_mutex_unlock(&p->stream_lock);
	*sp = s;
	return 0;
}

WD_EXPORT int wd_stream_send(struct wd_stream *s, struct wd_stream_req *req)
{
	struct wd_q *p;
	int ret;

	if (!s)
		return -EINVAL;
	ret = wd_stream_check(s);
	if (ret)
		return ret;
	if (!req)
		return -EINVAL;
	p = s->q;
	pthread_mutex_lock(&p->send_lock);
	ret = p->drv->stream_send(p, s, req);
	pthread_mutex_unlock(&p->send_lock);
	return ret;
}

WD_EXPORT void wd_stream_reset(struct wd_stream *s)
{
	if (!s || wd_stream_check(s))
		return;
	/* a sender's flag: the next request sent carries it */
	pthread_mutex_lock(&s->q->send_lock);
	s->reset = true;
	pthread_mutex_unlock(&s->q->send_lock);
}

WD_EXPORT void wd_stream_close(struct wd_stream *s)
{
	struct wd_q *p;
	int ret;

	if (!s)
		return;
	p = s->q;
	ret = wd_stream_check(s);
	if (ret == -EPERM) {
		/* fork child: the parent's context is not ours to close, and
		 * the list's lock may have been held by a thread that did not
		 * come along; the list is this process's copy */
		wd_stream_unlink(p, s);
		free(s);
		return;
	}
	pthread_mutex_lock(&p->stream_lock);
	wd_stream_unlink(p, s);
	pthread_mutex_unlock(&p->stream_lock);
	if (!ret)
		p->drv->stream_close(p, s);
	free(s);
}

/*
 * wd_release_queue(): free every handle of @p. The device closed the
 * contexts (PUT_Q, close) or never will for a fork child's copy.
 */
void wd_streams_free(struct wd_q *p)
{
	struct wd_stream *s, *next;

	for (s = p->streams; s; s = next) {
		next = s->next;
		free(s);
	}
	p->streams = NULL;
}

/* FIPS 180-4, 5.3.3: H(0) of SHA-256 */
static const uint32_t wd_sha256_h0[8] = {
	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

WD_EXPORT void wd_sha256_state_init(struct wd_sha256_state *st)
{
	if (!st)
		return;
	memset(st, 0, sizeof(*st));
	memcpy(st->h, wd_sha256_h0, sizeof(st->h));
}

WD_EXPORT int wd_digest_state_send(struct wd_queue *q,
				   struct wd_stream_req *req,
				   struct wd_sha256_state *st)
{
	struct wd_q *p;
	int ret;

	p = wd_q_get(q, &ret);
	if (!p)
		return ret;
	if (!req || !st || ((uintptr_t)st & (WD_SHA256_STATE_ALIGN - 1)) ||
	    (req->flush != WD_NO_FLUSH && req->flush != WD_FINISH))
		return -EINVAL;
	if (!p->drv->state_send)
		return -EINVAL;		/* no driver but wd_soft's has it */
	pthread_mutex_lock(&p->send_lock);
	ret = p->drv->state_send(p, req, st);
	pthread_mutex_unlock(&p->send_lock);
	return ret;
}
