// SPDX-License-Identifier: MIT
/*
 * wd_zlib.c: zlib's stream API over libwd devices (README-dev).
 *
 * Every z_stream made here has our state (struct wz) in strm->state; it
 * runs in one of these modes:
 *   UNDECIDED  nothing decided yet: deflate stages its input (up to the
 *              threshold), inflate has not been called
 *   SOFTWARE   an inner z_stream on the private zlib (wdz_real_*, renamed
 *              at build time), the caller's fields copied in and out
 *   DEVICE     a libwd "deflate" stream (raw deflate both ways): we write
 *              and parse the zlib and gzip wrappers and keep the checks
 *   MIGRATED   deflate only: was DEVICE, continues as a raw inner deflate
 *              (deflateParams, deflateCopy, a device failing at the start)
 *              with our wrapper around it
 *   FAILED     the device failed mid-stream: every call Z_STREAM_ERROR
 * Return codes follow zlib 1.2.13's rules (Z_BUF_ERROR when no progress
 * is possible, repeated Z_FINISH, Z_STREAM_ERROR after a finish with
 * another flush...). Output is a valid stream, not zlib's bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>
#include <wd.h>
#include "wd_zlib.h"

#define WZ_EXPORT __attribute__((visibility("default")))

/* the private zlib (zengine.o: libz.a's engine, stream functions renamed) */
int wdz_real_deflateInit2_(z_streamp, int, int, int, int, int, const char *, int);
int wdz_real_deflate(z_streamp, int);
int wdz_real_deflateEnd(z_streamp);
int wdz_real_deflateSetDictionary(z_streamp, const Bytef *, uInt);
int wdz_real_deflateGetDictionary(z_streamp, Bytef *, uInt *);
int wdz_real_deflateCopy(z_streamp, z_streamp);
int wdz_real_deflateReset(z_streamp);
int wdz_real_deflateParams(z_streamp, int, int);
int wdz_real_deflateTune(z_streamp, int, int, int, int);
uLong wdz_real_deflateBound(z_streamp, uLong);
int wdz_real_deflatePending(z_streamp, unsigned *, int *);
int wdz_real_deflatePrime(z_streamp, int, int);
int wdz_real_deflateSetHeader(z_streamp, gz_headerp);
int wdz_real_inflateInit2_(z_streamp, int, const char *, int);
int wdz_real_inflate(z_streamp, int);
int wdz_real_inflateEnd(z_streamp);
int wdz_real_inflateSetDictionary(z_streamp, const Bytef *, uInt);
int wdz_real_inflateGetDictionary(z_streamp, Bytef *, uInt *);
int wdz_real_inflateSync(z_streamp);
int wdz_real_inflateSyncPoint(z_streamp);
int wdz_real_inflateCopy(z_streamp, z_streamp);
int wdz_real_inflatePrime(z_streamp, int, int);
long wdz_real_inflateMark(z_streamp);
int wdz_real_inflateGetHeader(z_streamp, gz_headerp);
int wdz_real_inflateUndermine(z_streamp, int);
int wdz_real_inflateValidate(z_streamp, int);
unsigned long wdz_real_inflateCodesUsed(z_streamp);

/* ------------------------------------------------------------------ */
/* Configuration and counters                                           */
/* ------------------------------------------------------------------ */

#define WZ_DEF_THRESHOLD	8192		/* bytes, WD_ZLIB_THRESHOLD */
#define WZ_AGG			(64u << 10)	/* DEVICE: small inputs gathered */
#define WZ_REQ_IN_MAX		(16u << 20)	/* per request (wd_soft: 64 MiB) */
#define WZ_REQ_OUT_MAX		(1u << 30)
#define WZ_PEND_STEP		(64u << 10)
#define WZ_HIST_MAX		(64u << 10)	/* inflate replay, per stream */

static size_t wz_threshold = WZ_DEF_THRESHOLD;
static bool wz_fallback_fail;			/* WD_ZLIB_FALLBACK=fail */
static char *wz_stats_path;			/* WD_ZLIB_STATS */

static _Atomic uint64_t wz_st_ddev, wz_st_dsw, wz_st_idev, wz_st_isw,
	wz_st_dev_in, wz_st_sw_in, wz_st_dev_out, wz_st_sw_out,
	wz_st_fallbacks, wz_st_errors;

WZ_EXPORT void wd_zlib_get_stats(struct wd_zlib_stats *st)
{
	st->deflate_dev = atomic_load(&wz_st_ddev);
	st->deflate_sw = atomic_load(&wz_st_dsw);
	st->inflate_dev = atomic_load(&wz_st_idev);
	st->inflate_sw = atomic_load(&wz_st_isw);
	st->dev_in_bytes = atomic_load(&wz_st_dev_in);
	st->sw_in_bytes = atomic_load(&wz_st_sw_in);
	st->dev_out_bytes = atomic_load(&wz_st_dev_out);
	st->sw_out_bytes = atomic_load(&wz_st_sw_out);
	st->fallbacks = atomic_load(&wz_st_fallbacks);
	st->errors = atomic_load(&wz_st_errors);
}

#ifdef WD_ZLIB_TEST
/*
 * The tests' build only (WD_ZLIB_TEST, version node WD_ZLIB_PRIVATE, not in
 * wd_zlib.h; the installed library has no such hook): create
 * (@spec, "ID mode=...") or delete (@del_id >= 0) an in-process device
 * instance of this library's own libwd, so that a test can take the device
 * away from under a stream deterministically. 0 or a negative errno.
 */
#include "wd_ctl.h"
WZ_EXPORT int wd_zlib_test_device(const char *spec, int del_id)
{
	if (spec)
		return wd_ctl_new_device(WD_CTL_LOCAL, spec);
	return wd_ctl_del_device(WD_CTL_LOCAL, del_id);
}
#endif

/* ------------------------------------------------------------------ */
/* Queues: one per thread, shared by reference with the streams on it   */
/* ------------------------------------------------------------------ */

/**
 * struct wz_q - a thread's queue
 * @q: libwd's queue ("deflate", SVA: the callers' buffers in place)
 * @lock: held across each request's send and receive, stream open/close
 * @refs: the thread (until it exits) and each stream opened on it
 * @gen: wz_fork_gen when requested (another value: inherited by fork)
 */
struct wz_q {
	struct wd_queue q;
	pthread_mutex_t lock;
	atomic_int refs;
	unsigned long gen;
};

static atomic_ulong wz_fork_gen;
static _Thread_local struct wz_q *wz_tq;
static pthread_key_t wz_key;

static bool wz_q_inherited(const struct wz_q *q)
{
	return q->gen != atomic_load(&wz_fork_gen);
}

static void wz_q_put(struct wz_q *q)
{
	if (atomic_fetch_sub(&q->refs, 1) != 1)
		return;
	/* in a fork child this frees the child's copy only */
	wd_release_queue(&q->q);
	if (!wz_q_inherited(q))
		pthread_mutex_destroy(&q->lock);
	free(q);
}

static void wz_key_dtor(void *p)
{
	/* zlib used later in this thread's exit (another key's destructor)
	 * takes a new queue, never this one */
	wz_tq = NULL;
	wz_q_put(p);
}

/* the calling thread's queue, with a reference for the caller; NULL: *err */
static struct wz_q *wz_q_get(int *err)
{
	struct wz_q *q = wz_tq;

	if (q && wz_q_inherited(q)) {
		/* the child's copy of its parent's queue is of no use */
		wz_tq = NULL;
		pthread_setspecific(wz_key, NULL);
		wz_q_put(q);
		q = NULL;
	}
	if (!q) {
		q = calloc(1, sizeof(*q));
		if (!q) {
			*err = -ENOMEM;
			return NULL;
		}
		q->q.capa.alg = "deflate";
		q->q.capa.flags = WD_DEV_SVA;
		*err = wd_request_queue(&q->q);
		if (*err) {
			free(q);
			return NULL;
		}
		pthread_mutex_init(&q->lock, NULL);
		atomic_init(&q->refs, 1);
		q->gen = atomic_load(&wz_fork_gen);
		wz_tq = q;
		pthread_setspecific(wz_key, q);
	}
	atomic_fetch_add(&q->refs, 1);
	return q;
}

static void wz_atfork_child(void)
{
	atomic_fetch_add(&wz_fork_gen, 1);
}

static size_t wz_env_size(const char *name, size_t def)
{
	const char *v = secure_getenv(name);
	char *end;
	unsigned long long n;

	if (!v || !*v)
		return def;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || *end || *v == '-')
		return def;
	return n > SIZE_MAX / 2 ? SIZE_MAX / 2 : (size_t)n;
}

__attribute__((constructor)) static void wz_init(void)
{
	const char *v;

	wz_threshold = wz_env_size("WD_ZLIB_THRESHOLD", WZ_DEF_THRESHOLD);
	v = secure_getenv("WD_ZLIB_FALLBACK");
	wz_fallback_fail = v && !strcmp(v, "fail");
	v = secure_getenv("WD_ZLIB_STATS");
	if (v && *v)
		wz_stats_path = strdup(v);
	pthread_key_create(&wz_key, wz_key_dtor);
	pthread_atfork(NULL, NULL, wz_atfork_child);
}

/* the stats line: at exit, appended with one write(), never to stdio */
__attribute__((destructor)) static void wz_fini(void)
{
	struct wd_zlib_stats s;
	char line[512];
	int fd, n;

	if (!wz_stats_path)
		return;
	wd_zlib_get_stats(&s);
	n = snprintf(line, sizeof(line),
		     "wd-zlib pid=%d deflate_dev=%llu deflate_sw=%llu inflate_dev=%llu inflate_sw=%llu dev_in_bytes=%llu sw_in_bytes=%llu dev_out_bytes=%llu sw_out_bytes=%llu fallbacks=%llu errors=%llu\n",
		     (int)getpid(), (unsigned long long)s.deflate_dev,
		     (unsigned long long)s.deflate_sw,
		     (unsigned long long)s.inflate_dev,
		     (unsigned long long)s.inflate_sw,
		     (unsigned long long)s.dev_in_bytes,
		     (unsigned long long)s.sw_in_bytes,
		     (unsigned long long)s.dev_out_bytes,
		     (unsigned long long)s.sw_out_bytes,
		     (unsigned long long)s.fallbacks,
		     (unsigned long long)s.errors);
	fd = open(wz_stats_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (write(fd, line, (size_t)n) < 0) {
		/* nowhere to report it */
	}
	close(fd);
}

/* ------------------------------------------------------------------ */
/* Stream state                                                         */
/* ------------------------------------------------------------------ */

enum { WZ_UNDECIDED, WZ_SOFTWARE, WZ_DEVICE, WZ_MIGRATED, WZ_FAILED };

/* wz_inflate_device(): the stream went to software, call again */
#define WZ_AGAIN	1000

#define WZ_MAGIC_D	0x57445a44u	/* "WDZD" */
#define WZ_MAGIC_I	0x57445a49u	/* "WDZI" */

/* inflate's stages in DEVICE mode (we parse the wrappers) */
enum { I_HEAD, I_GZFIX, I_XLEN, I_EXTRA, I_NAME, I_COMMENT, I_HCRC,
       I_DICTID, I_DICT, I_DATA, I_TRAIL, I_DONE, I_BAD };

#define GZ_FHCRC	0x02
#define GZ_FEXTRA	0x04
#define GZ_FNAME	0x08
#define GZ_FCOMMENT	0x10

/**
 * struct wz - our state of a z_stream (strm->state)
 * @strm: the stream it belongs to (zlib's consistency check)
 * @magic: WZ_MAGIC_D or WZ_MAGIC_I
 * @mode: WZ_*
 * @in: the inner stream on the private zlib; @in_live: initialised
 * @level, @memlevel, @strategy: deflate's parameters (level -1 made 6)
 * @wbits: the windowBits given (deflateInit2, inflateInit2/Reset2)
 * @wrap: 0 raw, 1 zlib, 2 gzip; inflate: zlib's bits (1 zlib, 2 gzip, 4
 *	check)
 * @w: the window bits without the wrapper's (inflate: 0 = header's)
 * @q, @ds, @ds_level: the device stream, its queue and level
 * @dev_sent: the device stream has taken a request (not restartable)
 * @ever_dev: the device did some of the work (stats)
 * @dev_dirty: deflate: the device holds input or output since its last
 *	completed sync or full flush (clean: software may take over)
 * @st: staging buffer; @st_len bytes, @st_off sent; @st_busy: being sent
 *	with @st_flush
 * @owed: the device flush of a request that stopped on a full output (the
 *	device holds output for it), -1 none
 * @last_flush: zlib's last_flush (for the Z_BUF_ERROR rule)
 * @done_rank: the last device flush completed with no data since, -1
 * @finish_state: Z_FINISH accepted; @dev_end: the device ended the stream
 * @head_done, @trail_done: our wrapper's header and trailer are made
 * @called: deflate() was called (deflateEnd's Z_DATA_ERROR)
 * @pend: output made but not delivered (@pend_off..@pend_len)
 * @check: Adler-32 or CRC-32 of the data; @isize its length
 * @dict: a dictionary set before the mode is decided; @dict_id: zlib's
 * @tin, @tout: bytes in and out of the stream; @sw_in, @sw_out: of them,
 *	by software
 * @ist, @hb, @hn, @flg, @xlen, @hcrc: inflate's wrapper parser
 * @dev_more: inflate: the device holds output
 * @validate: inflate checks the trailer (inflateValidate)
 * @hist: inflate on the device: the compressed input consumed so far, while
 *	it is at most WZ_HIST_MAX bytes (@hist_off: it was more), so that the
 *	private zlib can take the stream over by replaying it (wz_replay)
 */
struct wz {
	z_streamp strm;
	uint32_t magic;
	int mode;
	z_stream in;
	bool in_live;
	int level, memlevel, strategy, wbits, wrap, w;
	struct wz_q *q;
	struct wd_stream *ds;
	int ds_level;
	bool dev_sent, ever_dev, dev_dirty;
	unsigned char *st;
	size_t st_cap, st_len, st_off;
	int st_flush;
	bool st_busy;
	int owed, last_flush, done_rank;
	bool finish_state, dev_end, head_done, trail_done, called;
	unsigned char *pend;
	size_t pend_cap, pend_len, pend_off;
	uLong check, isize;
	unsigned char *dict;
	uInt dict_len;
	uLong dict_id;
	uint64_t tin, tout, sw_in, sw_out;
	int ist;
	unsigned char hb[12];
	unsigned hn, flg, xlen;
	uLong hcrc;
	bool dev_more, validate;
	unsigned char *hist;
	size_t hist_len;
	bool hist_off;
};

static const char *const wz_msg_lost =
	"wd_zlib: the device failed; the stream cannot go on";
static const char *const wz_msg_fork =
	"wd_zlib: device stream inherited across fork";
static const char *const wz_msg_unsup =
	"wd_zlib: not supported on a device stream";

static struct wz *wz_get(z_streamp s, uint32_t magic)
{
	struct wz *w;

	if (!s || !s->state || !s->zalloc || !s->zfree)
		return NULL;
	w = (struct wz *)s->state;
	if (w->strm != s || w->magic != magic)
		return NULL;
	return w;
}

static int wz_err(z_streamp s, int code)
{
	s->msg = (char *)zError(code);
	return code;
}

static voidpf wz_zcalloc(voidpf opaque, uInt items, uInt size)
{
	(void)opaque;
	return calloc(items, size);
}

static void wz_zcfree(voidpf opaque, voidpf p)
{
	(void)opaque;
	free(p);
}

static bool wz_version_ok(const char *version, int stream_size)
{
	return version && version[0] == ZLIB_VERSION[0] &&
	       stream_size == (int)sizeof(z_stream);
}

static struct wz *wz_new(z_streamp s, uint32_t magic)
{
	struct wz *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->strm = s;
	w->magic = magic;
	w->owed = -1;
	w->last_flush = -2;
	w->done_rank = -1;
	w->validate = true;
	return w;
}

/* stats of the stream so far, then zero for what follows (reset) */
static void wz_account(struct wz *w, bool defl)
{
	if (w->ever_dev) {
		atomic_fetch_add(defl ? &wz_st_ddev : &wz_st_idev, 1);
		atomic_fetch_add(&wz_st_dev_in, w->tin - w->sw_in);
		atomic_fetch_add(&wz_st_dev_out, w->tout - w->sw_out);
		atomic_fetch_add(&wz_st_sw_in, w->sw_in);
		atomic_fetch_add(&wz_st_sw_out, w->sw_out);
	} else if (w->tin || w->tout || w->mode != WZ_UNDECIDED) {
		atomic_fetch_add(defl ? &wz_st_dsw : &wz_st_isw, 1);
		atomic_fetch_add(&wz_st_sw_in, w->tin);
		atomic_fetch_add(&wz_st_sw_out, w->tout);
	}
	w->tin = w->tout = w->sw_in = w->sw_out = 0;
	w->ever_dev = false;
}

static void wz_consume(struct wz *w, size_t n)
{
	z_streamp s = w->strm;

	s->next_in += n;
	s->avail_in -= (uInt)n;
	s->total_in += n;
	w->tin += n;
}

static void wz_produce(struct wz *w, size_t n)
{
	z_streamp s = w->strm;

	s->next_out += n;
	s->avail_out -= (uInt)n;
	s->total_out += n;
	w->tout += n;
}

static int wz_reserve(unsigned char **buf, size_t *cap, size_t need)
{
	unsigned char *p;
	size_t n = *cap ? *cap : 4096;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	p = realloc(*buf, n);
	if (!p)
		return -ENOMEM;
	*buf = p;
	*cap = n;
	return 0;
}

static int wz_pend_put(struct wz *w, const void *p, size_t n)
{
	if (wz_reserve(&w->pend, &w->pend_cap, w->pend_len + n))
		return -ENOMEM;
	memcpy(w->pend + w->pend_len, p, n);
	w->pend_len += n;
	return 0;
}

/* our pending output to the caller; how many bytes went */
static size_t wz_pend_deliver(struct wz *w)
{
	z_streamp s = w->strm;
	size_t n = w->pend_len - w->pend_off;

	if (n > s->avail_out)
		n = s->avail_out;
	if (n) {
		memcpy(s->next_out, w->pend + w->pend_off, n);
		wz_produce(w, n);
		w->pend_off += n;
	}
	if (w->pend_off == w->pend_len)
		w->pend_off = w->pend_len = 0;
	return n;
}

/* the inner stream takes the caller's buffers */
static void wz_in_load(struct wz *w)
{
	z_streamp s = w->strm;

	w->in.next_in = s->next_in;
	w->in.avail_in = s->avail_in;
	w->in.next_out = s->next_out;
	w->in.avail_out = s->avail_out;
}

/*
 * strm->adler during a stream: zlib keeps its check value there for the
 * zlib and gzip wrappers only; a raw stream's is the caller's (zlib's
 * gzappend keeps its own CRC there), set at init and reset, never after.
 */
static void wz_set_adler(struct wz *w, uLong v)
{
	if (w->wrap)
		w->strm->adler = v;
}

/* and gives them back; @own_check: MIGRATED, our wrapper checks the data */
static void wz_in_store(struct wz *w, bool own_check)
{
	z_streamp s = w->strm;
	size_t used = s->avail_in - w->in.avail_in;
	size_t made = s->avail_out - w->in.avail_out;

	if (own_check && used) {
		if (w->wrap == 1)
			w->check = adler32(w->check, s->next_in, (uInt)used);
		else if (w->wrap == 2)
			w->check = crc32(w->check, s->next_in, (uInt)used);
		w->isize += used;
	}
	wz_consume(w, used);
	wz_produce(w, made);
	w->sw_in += used;
	w->sw_out += made;
	s->msg = w->in.msg;
	s->data_type = w->in.data_type;
	wz_set_adler(w, own_check ? w->check : w->in.adler);
}

/* ------------------------------------------------------------------ */
/* Device streams                                                       */
/* ------------------------------------------------------------------ */

static int wz_dev_open(struct wz *w, uint32_t op, uint32_t level)
{
	struct wz_q *q;
	int err;

	q = wz_q_get(&err);
	if (!q)
		return err;
	pthread_mutex_lock(&q->lock);
	err = wd_stream_open(&q->q, op, level, &w->ds);
	pthread_mutex_unlock(&q->lock);
	if (err) {
		w->ds = NULL;
		if ((err == -ENODEV || err == -EIO) && wz_tq == q) {
			/* the device went: the next stream asks for a new queue */
			wz_tq = NULL;
			pthread_setspecific(wz_key, NULL);
			wz_q_put(q);
		}
		wz_q_put(q);
		return err;
	}
	w->q = q;
	w->ds_level = (int)level;
	w->dev_sent = false;
	w->dev_dirty = false;
	return 0;
}

static void wz_dev_close(struct wz *w)
{
	struct wz_q *q = w->q;

	if (!w->ds)
		return;
	if (wz_q_inherited(q)) {
		/* a fork child: single threaded, the lock may be a dead thread's */
		wd_stream_close(w->ds);
	} else {
		pthread_mutex_lock(&q->lock);
		wd_stream_close(w->ds);
		pthread_mutex_unlock(&q->lock);
	}
	w->ds = NULL;
	w->q = NULL;
	wz_q_put(q);
}

/* ready for the next stream with the same parameters */
static void wz_dev_reset(struct wz *w)
{
	if (!w->ds)
		return;
	if (wz_q_inherited(w->q) || !w->dev_sent) {
		if (wz_q_inherited(w->q))
			wz_dev_close(w);
		return;
	}
	pthread_mutex_lock(&w->q->lock);
	wd_stream_reset(w->ds);
	pthread_mutex_unlock(&w->q->lock);
	w->dev_sent = false;
	w->dev_dirty = false;
}

/*
 * A fork child's stream: one that has not sent anything yet starts again
 * on the child's own queue; else the device state is the parent's: -EPERM.
 */
static int wz_dev_fork_check(struct wz *w, uint32_t op)
{
	if (!w->ds || !wz_q_inherited(w->q))
		return 0;
	if (w->dev_sent) {
		wz_dev_close(w);
		return -EPERM;
	}
	wz_dev_close(w);
	return wz_dev_open(w, op, (uint32_t)w->ds_level);
}

/* one request: 0 and @r's results, or a negative errno */
static int wz_dev_run(struct wz *w, struct wd_stream_req *r)
{
	struct wz_q *q = w->q;
	void *done = NULL;
	int ret;

	pthread_mutex_lock(&q->lock);
	ret = wd_stream_send(w->ds, r);
	if (!ret) {
		w->dev_sent = true;	/* from now on the context has seen us */
		do
			ret = wd_recv_sync(&q->q, &done);
		while (ret == -EINTR);
		if (ret == 1)
			ret = done == r ? r->status : -EPROTO;
	}
	pthread_mutex_unlock(&q->lock);
	if (!ret)
		w->ever_dev = true;
	return ret;
}

/* ------------------------------------------------------------------ */
/* deflate                                                              */
/* ------------------------------------------------------------------ */

/* zlib's order of flushes (deflate.c's RANK) */
static int wz_rank(int f)
{
	return f * 2 - (f > 4 ? 9 : 0);
}

static int wz_dflush(int flush)
{
	switch (flush) {
	case Z_NO_FLUSH:
		return WD_NO_FLUSH;
	case Z_FULL_FLUSH:
		return WD_FULL_FLUSH;
	case Z_FINISH:
		return WD_FINISH;
	default:		/* SYNC, PARTIAL, BLOCK: a sync point is valid for all */
		return WD_SYNC_FLUSH;
	}
}

/* the device does: levels 1..9, 32 KiB window, default strategy */
static bool wz_deflate_dev_ok(const struct wz *w)
{
	return w->level >= 1 && w->w == 15 && w->strategy == Z_DEFAULT_STRATEGY;
}

/* the caller's bytes enter the stream: the wrapper's check covers them */
static void wz_take(struct wz *w, size_t n)
{
	z_streamp s = w->strm;

	if (w->wrap == 1)
		w->check = adler32(w->check, s->next_in, (uInt)n);
	else if (w->wrap == 2)
		w->check = crc32(w->check, s->next_in, (uInt)n);
	w->isize += n;
	wz_consume(w, n);
	wz_set_adler(w, w->check);
}

static int wz_put_header(struct wz *w)
{
	unsigned char h[10];
	unsigned hdr, lf;

	if (w->wrap == 1) {
		hdr = (Z_DEFLATED + ((unsigned)(w->w - 8) << 4)) << 8;
		if (w->strategy >= Z_HUFFMAN_ONLY || w->level < 2)
			lf = 0;
		else if (w->level < 6)
			lf = 1;
		else if (w->level == 6)
			lf = 2;
		else
			lf = 3;
		hdr |= lf << 6;
		if (w->dict)
			hdr |= 0x20;
		hdr += 31 - hdr % 31;
		h[0] = (unsigned char)(hdr >> 8);
		h[1] = (unsigned char)hdr;
		if (wz_pend_put(w, h, 2))
			return -ENOMEM;
		if (w->dict) {
			h[0] = (unsigned char)(w->dict_id >> 24);
			h[1] = (unsigned char)(w->dict_id >> 16);
			h[2] = (unsigned char)(w->dict_id >> 8);
			h[3] = (unsigned char)w->dict_id;
			if (wz_pend_put(w, h, 4))
				return -ENOMEM;
		}
	} else if (w->wrap == 2) {
		memset(h, 0, sizeof(h));
		h[0] = 0x1f;
		h[1] = 0x8b;
		h[2] = Z_DEFLATED;
		h[8] = w->level == 9 ? 2 :
		       (w->strategy >= Z_HUFFMAN_ONLY || w->level < 2 ? 4 : 0);
		h[9] = 3;	/* Unix, as zlib's OS_CODE here */
		if (wz_pend_put(w, h, 10))
			return -ENOMEM;
	}
	w->head_done = true;
	return 0;
}

static int wz_put_trailer(struct wz *w)
{
	unsigned char t[8];
	int i;

	w->trail_done = true;
	if (w->wrap == 1) {
		for (i = 0; i < 4; i++)
			t[i] = (unsigned char)(w->check >> (24 - 8 * i));
		return wz_pend_put(w, t, 4);
	}
	if (w->wrap == 2) {
		for (i = 0; i < 4; i++) {
			t[i] = (unsigned char)(w->check >> (8 * i));
			t[4 + i] = (unsigned char)(w->isize >> (8 * i));
		}
		return wz_pend_put(w, t, 8);
	}
	return 0;
}

/*
 * One deflate request of @len bytes at @src with device flush @f, output
 * into the caller's buffer, or our pending buffer (@to_pend).
 */
static int wz_dreq(struct wz *w, const unsigned char *src, size_t len, int f,
		   bool to_pend, size_t *used, bool *more)
{
	z_streamp s = w->strm;
	struct wd_stream_req r;
	unsigned char *dst;
	size_t room;
	int ret;

	if (to_pend) {
		if (wz_reserve(&w->pend, &w->pend_cap, w->pend_len + WZ_PEND_STEP))
			return -ENOMEM;
		dst = w->pend + w->pend_len;
		room = WZ_PEND_STEP;
	} else {
		dst = s->next_out;
		room = s->avail_out < WZ_REQ_OUT_MAX ? s->avail_out : WZ_REQ_OUT_MAX;
	}
	wd_prep_stream(&r, dst, (uint32_t)room, src,
		       (uint32_t)(len < WZ_REQ_IN_MAX ? len : WZ_REQ_IN_MAX),
		       (uint32_t)f);
	ret = wz_dev_run(w, &r);
	if (ret)
		return ret;
	*used = r.in_len;
	*more = r.flags & WD_STREAM_MORE;
	if (r.in_len || *more)
		w->dev_dirty = true;
	if (!*more && r.in_len == r.src_len &&
	    (f == WD_SYNC_FLUSH || f == WD_FULL_FLUSH))
		w->dev_dirty = false;	/* all out, on a byte boundary */
	if (r.flags & WD_STREAM_END)
		w->dev_end = true;
	if (to_pend)
		w->pend_len += r.out_len;
	else
		wz_produce(w, r.out_len);
	return 0;
}

/* send the staged bytes: 0 done, 1 the caller's output is full, <0 error */
static int wz_send_staged(struct wz *w)
{
	size_t used;
	bool more;
	int ret;

	while (w->st_busy) {
		if (!w->strm->avail_out)
			return 1;
		ret = wz_dreq(w, w->st + w->st_off, w->st_len - w->st_off,
			      w->st_flush, false, &used, &more);
		if (ret)
			return ret;
		w->st_off += used;
		if (!more && w->st_off == w->st_len) {
			w->st_busy = false;
			w->st_off = w->st_len = 0;
			w->done_rank = w->st_flush ? w->st_flush : -1;
		}
	}
	return 0;
}

/* send the caller's input in place with flush @f (same returns) */
static int wz_send_input(struct wz *w, int f)
{
	z_streamp s = w->strm;
	size_t used;
	bool more;
	int ret;

	w->owed = f;
	for (;;) {
		if (!s->avail_out)
			return 1;
		ret = wz_dreq(w, s->next_in, s->avail_in, f, false, &used, &more);
		if (ret)
			return ret;
		wz_take(w, used);
		if (!more && !s->avail_in)
			break;
	}
	w->owed = -1;
	w->done_rank = f ? f : -1;
	return 0;
}

/* what an earlier call left: our output, staged bytes, a flush owed */
static int wz_pump(struct wz *w)
{
	int ret;

	wz_pend_deliver(w);
	if (w->pend_len)
		return 1;
	ret = wz_send_staged(w);
	if (ret)
		return ret;
	if (w->owed >= 0)
		return wz_send_input(w, w->owed);
	return 0;
}

/* this call's input and flush (device flush @f) */
static int wz_feed(struct wz *w, int f)
{
	z_streamp s = w->strm;
	int ret;

	if (!s->avail_in && !w->st_len) {
		if (f == WD_NO_FLUSH ||
		    (f == WD_FINISH ? w->dev_end : w->done_rank >= f))
			return 0;
		return wz_send_input(w, f);
	}
	if (w->st_len + s->avail_in <= WZ_AGG) {
		/* small: gathered, sent with a flush or when there is enough */
		if (wz_reserve(&w->st, &w->st_cap, w->st_len + s->avail_in))
			return -ENOMEM;
		memcpy(w->st + w->st_len, s->next_in, s->avail_in);
		w->st_len += s->avail_in;
		wz_take(w, s->avail_in);
		if (f == WD_NO_FLUSH)
			return 0;
		w->st_flush = f;
		w->st_busy = true;
		return wz_send_staged(w);
	}
	if (w->st_len) {
		w->st_flush = WD_NO_FLUSH;
		w->st_busy = true;
		/* the caller's input and flush follow the staged bytes: owed,
		 * so that the next call sends them even after a Z_FINISH */
		w->owed = f;
		ret = wz_send_staged(w);
		if (ret)
			return ret;
	}
	return wz_send_input(w, f);
}

static int wz_fail(struct wz *w, int err)
{
	z_streamp s = w->strm;

	atomic_fetch_add(&wz_st_errors, 1);
	if (err == -ENOMEM)
		return wz_err(s, Z_MEM_ERROR);
	w->mode = WZ_FAILED;
	s->msg = (char *)(err == -EPERM ? wz_msg_fork : wz_msg_lost);
	return Z_STREAM_ERROR;
}

static int wz_deflate_software(struct wz *w, int flush);
static int wz_deflate_go_software(struct wz *w);
static int wz_deflate_migrate(struct wz *w);

static int wz_deflate_device(struct wz *w, int flush)
{
	z_streamp s = w->strm;
	int old = w->last_flush, ret;

	ret = wz_dev_fork_check(w, WD_COMPRESS);
	if (ret)
		goto fail;
	w->last_flush = flush;
	if (w->pend_len || w->st_busy || w->owed >= 0) {
		ret = wz_pump(w);
		if (ret < 0)
			goto fail;
		if (ret) {
			w->last_flush = -1;
			return Z_OK;
		}
	} else if (!s->avail_in && wz_rank(flush) <= wz_rank(old) &&
		   flush != Z_FINISH) {
		return wz_err(s, Z_BUF_ERROR);
	}
	if (w->finish_state && s->avail_in)
		return wz_err(s, Z_BUF_ERROR);
	if (!w->head_done) {
		if (wz_put_header(w))
			return wz_err(s, Z_MEM_ERROR);
		wz_pend_deliver(w);
		if (w->pend_len) {
			w->last_flush = -1;
			return Z_OK;
		}
	}
	if (flush == Z_FINISH)
		w->finish_state = true;
	ret = wz_feed(w, wz_dflush(flush));
	if (ret < 0)
		goto fail;
	wz_set_adler(w, w->check);
	if (ret) {
		w->last_flush = -1;
		return Z_OK;
	}
	if (flush != Z_FINISH) {
		/* zlib: output full, so the caller calls again: no Z_BUF_ERROR */
		if (!s->avail_out)
			w->last_flush = -1;
		return Z_OK;
	}
	if (!w->trail_done && wz_put_trailer(w))
		return wz_err(s, Z_MEM_ERROR);
	wz_pend_deliver(w);
	return w->pend_len ? Z_OK : Z_STREAM_END;
fail:
	wz_set_adler(w, w->check);
	if ((!w->dev_sent || !w->dev_dirty) && ret != -ENOMEM) {
		/*
		 * The device went (or stayed with the parent of a fork) when
		 * the stream stood at its start or at a sync point: everything
		 * it took is out, so a raw software deflate goes on from here.
		 */
		atomic_fetch_add(&wz_st_fallbacks, 1);
		wz_dev_close(w);
		if (wz_fallback_fail)
			return wz_fail(w, ret);
		ret = wz_deflate_migrate(w);
		if (ret != Z_OK)
			return ret;
		return wz_deflate_software(w, flush);
	}
	return wz_fail(w, ret);
}

/* UNDECIDED -> DEVICE; on failure SOFTWARE (or an error: FALLBACK=fail) */
static int wz_deflate_go_device(struct wz *w)
{
	int ret = 0;

	if (w->ds && (wz_q_inherited(w->q) || w->ds_level != w->level))
		wz_dev_close(w);
	if (!w->ds)
		ret = wz_dev_open(w, WD_COMPRESS, (uint32_t)w->level);
	if (!ret && w->dict) {
		struct wd_stream_req r;
		unsigned char sink[16];
		uInt off = w->dict_len > 32768 ? w->dict_len - 32768 : 0;

		wd_prep_stream(&r, sink, sizeof(sink), w->dict + off,
			       w->dict_len - off, WD_NO_FLUSH | WD_STREAM_DICT);
		ret = wz_dev_run(w, &r);
		if (ret)
			wz_dev_close(w);
	}
	if (ret) {
		atomic_fetch_add(&wz_st_fallbacks, 1);
		if (wz_fallback_fail) {
			w->strm->msg = (char *)"wd_zlib: no device (WD_ZLIB_FALLBACK=fail)";
			w->mode = WZ_FAILED;
			return Z_STREAM_ERROR;
		}
		return wz_deflate_go_software(w);
	}
	w->mode = WZ_DEVICE;
	/* the header's check starts now (the dictionary's is in the header) */
	return Z_OK;
}

/* feed the inner deflate @len bytes with NO_FLUSH, output to pend */
static int wz_inner_to_pend(struct wz *w, const unsigned char *p, size_t len)
{
	int ret;

	w->in.next_in = (Bytef *)p;
	w->in.avail_in = (uInt)len;
	while (w->in.avail_in) {
		if (wz_reserve(&w->pend, &w->pend_cap, w->pend_len + WZ_PEND_STEP))
			return Z_MEM_ERROR;
		w->in.next_out = w->pend + w->pend_len;
		w->in.avail_out = WZ_PEND_STEP;
		ret = wdz_real_deflate(&w->in, Z_NO_FLUSH);
		w->pend_len += WZ_PEND_STEP - w->in.avail_out;
		if (ret != Z_OK && ret != Z_BUF_ERROR)
			return ret;
	}
	w->sw_in += len;
	return Z_OK;
}

static int wz_inner_deflate_init(struct wz *w, int wbits)
{
	z_streamp s = w->strm;
	int ret;

	memset(&w->in, 0, sizeof(w->in));
	w->in.zalloc = s->zalloc;
	w->in.zfree = s->zfree;
	w->in.opaque = s->opaque;
	ret = wdz_real_deflateInit2_(&w->in, w->level, Z_DEFLATED, wbits,
				     w->memlevel, w->strategy, ZLIB_VERSION,
				     (int)sizeof(z_stream));
	if (ret != Z_OK)
		return ret;
	w->in_live = true;
	return Z_OK;
}

/* UNDECIDED -> SOFTWARE: a real deflate of the same parameters, staged
 * bytes fed to it */
static int wz_deflate_go_software(struct wz *w)
{
	int ret;

	ret = wz_inner_deflate_init(w, w->wbits);
	if (ret != Z_OK)
		return wz_err(w->strm, ret);
	w->mode = WZ_SOFTWARE;
	if (w->dict) {
		ret = wdz_real_deflateSetDictionary(&w->in, w->dict, w->dict_len);
		if (ret != Z_OK)
			return ret;
	}
	if (w->st_len) {
		ret = wz_inner_to_pend(w, w->st, w->st_len);
		w->st_len = w->st_off = 0;
		if (ret != Z_OK)
			return wz_err(w->strm, ret);
	}
	return Z_OK;
}

/*
 * For a call only the software stream serves (a dictionary, bits primed):
 * an undecided stream goes to software, a device stream migrates at a
 * sync point. The caller first refuses what zlib itself would refuse.
 */
static int wz_deflate_need_software(struct wz *w)
{
	if (w->mode == WZ_UNDECIDED)
		return wz_deflate_go_software(w);
	if (w->mode == WZ_DEVICE)
		return wz_deflate_migrate(w);
	return Z_OK;
}

/*
 * DEVICE -> MIGRATED: what the device holds and the staged bytes are
 * sync-flushed into our pending output (the caller's input stays his),
 * the device stream closed, and a raw real deflate of the current
 * parameters continues behind our wrapper (its window starts empty, which
 * is valid after a sync point).
 */
static int wz_deflate_migrate(struct wz *w)
{
	z_streamp s = w->strm;
	size_t used;
	bool more;
	int ret;

	if (!w->head_done && wz_put_header(w))
		return wz_err(s, Z_MEM_ERROR);
	if (w->ds && w->dev_sent) {
		while (w->st_off < w->st_len) {
			ret = wz_dreq(w, w->st + w->st_off, w->st_len - w->st_off,
				      WD_NO_FLUSH, true, &used, &more);
			if (ret)
				return wz_fail(w, ret);
			w->st_off += used;
		}
		w->st_off = w->st_len = 0;
		do {
			ret = wz_dreq(w, NULL, 0, WD_SYNC_FLUSH, true, &used, &more);
			if (ret)
				return wz_fail(w, ret);
		} while (more);
		w->owed = -1;
	}
	w->st_busy = false;
	w->owed = -1;
	wz_dev_close(w);
	ret = wz_inner_deflate_init(w, -w->w);
	if (ret != Z_OK)
		return wz_err(s, ret);
	w->mode = WZ_MIGRATED;
	if (w->st_len) {	/* never sent: the device failed at the start */
		ret = wz_inner_to_pend(w, w->st + w->st_off, w->st_len - w->st_off);
		w->st_len = w->st_off = 0;
		if (ret != Z_OK)
			return wz_err(s, ret);
	}
	return Z_OK;
}

/* SOFTWARE and MIGRATED: our pending output first, then the inner stream */
static int wz_deflate_software(struct wz *w, int flush)
{
	z_streamp s = w->strm;
	bool mig = w->mode == WZ_MIGRATED;
	size_t gave = 0;
	int ret;

	if (w->pend_len) {
		gave = wz_pend_deliver(w);
		if (w->pend_len)
			return Z_OK;
	}
	if (!mig || !w->trail_done) {
		wz_in_load(w);
		ret = wdz_real_deflate(&w->in, flush);
		wz_in_store(w, mig);
		if (ret == Z_BUF_ERROR && gave)
			ret = Z_OK;
		if (!mig || ret != Z_STREAM_END)
			return ret;
		if (wz_put_trailer(w))
			return wz_err(s, Z_MEM_ERROR);
	} else if (flush != Z_FINISH) {
		return wz_err(s, Z_STREAM_ERROR);
	}
	wz_pend_deliver(w);
	return w->pend_len ? Z_OK : Z_STREAM_END;
}

WZ_EXPORT int deflate(z_streamp s, int flush)
{
	struct wz *w = wz_get(s, WZ_MAGIC_D);

	if (!w || flush > Z_BLOCK || flush < 0)
		return Z_STREAM_ERROR;
	w->called = true;
	if (w->mode == WZ_SOFTWARE || w->mode == WZ_MIGRATED) {
		if (w->pend_len && !s->next_out)
			return wz_err(s, Z_STREAM_ERROR);
		if (w->pend_len && !s->avail_out)
			return wz_err(s, Z_BUF_ERROR);
		return wz_deflate_software(w, flush);
	}
	if (w->mode == WZ_FAILED)
		return Z_STREAM_ERROR;
	if (!s->next_out || (s->avail_in && !s->next_in) ||
	    (w->finish_state && flush != Z_FINISH))
		return wz_err(s, Z_STREAM_ERROR);
	if (!s->avail_out)
		return wz_err(s, Z_BUF_ERROR);
	if (w->mode == WZ_UNDECIDED) {
		int old = w->last_flush, ret;

		if (w->st_len + s->avail_in >= wz_threshold) {
			ret = wz_deflate_go_device(w);
		} else if (flush != Z_NO_FLUSH) {
			ret = wz_deflate_go_software(w);
		} else {
			w->last_flush = flush;
			if (!s->avail_in && wz_rank(flush) <= wz_rank(old))
				return wz_err(s, Z_BUF_ERROR);
			if (wz_reserve(&w->st, &w->st_cap, w->st_len + s->avail_in))
				return wz_err(s, Z_MEM_ERROR);
			memcpy(w->st + w->st_len, s->next_in, s->avail_in);
			w->st_len += s->avail_in;
			wz_take(w, s->avail_in);
			return Z_OK;
		}
		if (ret != Z_OK)
			return ret;
		if (w->mode != WZ_DEVICE)
			return wz_deflate_software(w, flush);
	}
	return wz_deflate_device(w, flush);
}

WZ_EXPORT int deflateInit2_(z_streamp s, int level, int method, int windowBits,
			    int memLevel, int strategy, const char *version,
			    int stream_size)
{
	struct wz *w;
	int wrap = 1, wb = windowBits, ret;

	if (!wz_version_ok(version, stream_size))
		return Z_VERSION_ERROR;
	if (!s)
		return Z_STREAM_ERROR;
	s->msg = NULL;
	if (!s->zalloc) {
		s->zalloc = wz_zcalloc;
		s->opaque = NULL;
	}
	if (!s->zfree)
		s->zfree = wz_zcfree;
	if (level == Z_DEFAULT_COMPRESSION)
		level = 6;
	if (wb < 0) {
		wrap = 0;
		if (wb < -15)
			return Z_STREAM_ERROR;
		wb = -wb;
	} else if (wb > 15) {
		wrap = 2;
		wb -= 16;
	}
	if (memLevel < 1 || memLevel > MAX_MEM_LEVEL || method != Z_DEFLATED ||
	    wb < 8 || wb > 15 || level < 0 || level > 9 || strategy < 0 ||
	    strategy > Z_FIXED || (wb == 8 && wrap != 1))
		return Z_STREAM_ERROR;
	w = wz_new(s, WZ_MAGIC_D);
	if (!w)
		return Z_MEM_ERROR;
	w->level = level;
	w->memlevel = memLevel;
	w->strategy = strategy;
	w->wbits = windowBits;
	w->wrap = wrap;
	w->w = wb;
	w->check = wrap == 2 ? crc32(0, NULL, 0) : adler32(0, NULL, 0);
	s->state = (struct internal_state *)w;
	s->total_in = s->total_out = 0;
	s->data_type = Z_UNKNOWN;
	s->adler = w->check;
	w->mode = WZ_UNDECIDED;
	if (!wz_deflate_dev_ok(w)) {
		ret = wz_deflate_go_software(w);
		if (ret != Z_OK) {
			free(w);
			s->state = NULL;
			return ret;
		}
	}
	return Z_OK;
}

WZ_EXPORT int deflateInit_(z_streamp s, int level, const char *version,
			   int stream_size)
{
	return deflateInit2_(s, level, Z_DEFLATED, MAX_WBITS, 8,
			     Z_DEFAULT_STRATEGY, version, stream_size);
}

static void wz_free_bufs(struct wz *w)
{
	free(w->st);
	free(w->pend);
	free(w->dict);
	free(w->hist);
	w->st = w->pend = w->dict = w->hist = NULL;
	w->st_cap = w->pend_cap = 0;
	w->hist_len = 0;
}

WZ_EXPORT int deflateEnd(z_streamp s)
{
	struct wz *w = wz_get(s, WZ_MAGIC_D);
	int ret = Z_OK;

	if (!w)
		return Z_STREAM_ERROR;
	wz_account(w, true);
	if (w->in_live) {
		ret = wdz_real_deflateEnd(&w->in);
		if (w->mode == WZ_MIGRATED && ret == Z_DATA_ERROR &&
		    w->trail_done)
			ret = Z_OK;
	} else if (w->called && !w->finish_state) {
		ret = Z_DATA_ERROR;
	}
	wz_dev_close(w);
	wz_free_bufs(w);
	free(w);
	s->state = NULL;
	return ret;
}

/* back to the start with the same parameters (deflateReset, ...Keep) */
static int wz_deflate_restart(z_streamp s, struct wz *w)
{
	wz_account(w, true);
	if (w->in_live) {
		wdz_real_deflateEnd(&w->in);
		w->in_live = false;
	}
	if (w->mode == WZ_FAILED)
		wz_dev_close(w);
	wz_dev_reset(w);
	w->st_len = w->st_off = w->pend_len = w->pend_off = 0;
	w->st_busy = false;
	w->owed = -1;
	w->last_flush = -2;
	w->done_rank = -1;
	w->finish_state = w->dev_end = w->head_done = w->trail_done = false;
	w->called = false;
	free(w->dict);
	w->dict = NULL;
	w->dict_len = 0;
	w->check = w->wrap == 2 ? crc32(0, NULL, 0) : adler32(0, NULL, 0);
	w->isize = 0;
	s->total_in = s->total_out = 0;
	s->msg = NULL;
	s->data_type = Z_UNKNOWN;
	s->adler = w->check;
	w->mode = WZ_UNDECIDED;
	if (!wz_deflate_dev_ok(w))
		return wz_deflate_go_software(w);
	return Z_OK;
}

WZ_EXPORT int deflateReset(z_streamp s)
{
	struct wz *w = wz_get(s, WZ_MAGIC_D);

	return w ? wz_deflate_restart(s, w) : Z_STREAM_ERROR;
}

WZ_EXPORT int deflateResetKeep(z_streamp s)
{
	return deflateReset(s);
}

WZ_EXPORT int deflateSetDictionary(z_streamp s, const Bytef *dict, uInt len)
{
	struct wz *w = wz_get(s, WZ_MAGIC_D);
	int ret;

	if (!w || !dict)
		return Z_STREAM_ERROR;
	if (w->mode == WZ_UNDECIDED && !w->st_len && !w->called) {
		if (w->wrap == 2)
			return Z_STREAM_ERROR;
		free(w->dict);
		w->dict = malloc(len ? len : 1);
		if (!w->dict)
			return Z_MEM_ERROR;
		memcpy(w->dict, dict, len);
		w->dict_len = len;
		w->dict_id = adler32(1, dict, len);
		if (w->wrap == 1)
			s->adler = w->dict_id;
		return Z_OK;
	}
	/* zlib allows it mid-stream for raw streams only */
	if (w->mode == WZ_DEVICE && w->wrap)
		return Z_STREAM_ERROR;
	ret = wz_deflate_need_software(w);
	if (ret != Z_OK)
		return ret;
	if (w->mode == WZ_FAILED)
		return Z_STREAM_ERROR;
	if (w->mode == WZ_MIGRATED && w->wrap)
		return Z_STREAM_ERROR;
	ret = wdz_real_deflateSetDictionary(&w->in, dict, len);
	if (w->mode == WZ_SOFTWARE)
		wz_set_adler(w, w->in.adler);
	return ret;
}

WZ_EXPORT int deflateGetDictionary(z_streamp s, Bytef *dict, uInt *len)
{
	struct wz *w = wz_get(s, WZ_MAGIC_D);

	if (!w)
		return Z_STREAM_ERROR;
	if (w->mode == WZ_UNDECIDED && !w->st_len) {
		uInt n = w->dict_len > 32768 ? 32768 : w->dict_len;

		if (dict && n)
			memcpy(dict, w->dict + w->dict_len - n, n);
		if (len)
			*len = n;
		return Z_OK;
	}
	if (w->mode == WZ_UNDECIDED && wz_deflate_go_software(w) != Z_OK)
		return Z_STREAM_ERROR;
	if (!w->in_live) {
		s->msg = (char *)wz_msg_unsup;
		return Z_STREAM_ERROR;
	}
	return wdz_real_deflateGetDictionary(&w->in, dict, len);
}

WZ_EXPORT int deflateParams(z_streamp s, int level, int strategy)
{
	struct wz *w = wz_get(s, WZ_MAGIC_D);
	int ret;

	if (!w)
		return Z_STREAM_ERROR;
	if (level == Z_DEFAULT_COMPRESSION)
		level = 6;
	if (level < 0 || level > 9 || strategy < 0 || strategy > Z_FIXED)
		return Z_STREAM_ERROR;
	switch (w->mode) {
	case WZ_FAILED:
		return Z_STREAM_ERROR;
	case WZ_UNDECIDED:
		if (!w->st_len) {
			w->level = level;
			w->strategy = strategy;
			if (!wz_deflate_dev_ok(w))
				return wz_deflate_go_software(w);
			return Z_OK;
		}
		ret = wz_deflate_go_software(w);
		if (ret != Z_OK)
			return ret;
		break;
	case WZ_DEVICE:
		if (w->finish_state)
			return Z_STREAM_ERROR;
		if (level == w->level && strategy == w->strategy)
			return Z_OK;
		/* what the device has is flushed to our pending output; the
		 * caller's input is left for the software stream (taking it all
		 * here would hold its whole output in memory) */
		ret = wz_deflate_migrate(w);
		if (ret != Z_OK)
			return ret;
		break;
	default:
		break;
	}
	w->level = level;
	w->strategy = strategy;
	if (w->pend_len) {
		/* our pending output goes first, so the inner stream takes none
		 * of the caller's input now: it changes its parameters with only
		 * what it holds itself, its flush landing after ours */
		do {
			if (wz_reserve(&w->pend, &w->pend_cap,
				       w->pend_len + WZ_PEND_STEP))
				return Z_MEM_ERROR;
			w->in.next_in = s->next_in;
			w->in.avail_in = 0;
			w->in.next_out = w->pend + w->pend_len;
			w->in.avail_out = WZ_PEND_STEP;
			ret = wdz_real_deflateParams(&w->in, level, strategy);
			w->pend_len += WZ_PEND_STEP - w->in.avail_out;
		} while (ret == Z_BUF_ERROR && !w->in.avail_out);
		return ret;
	}
	wz_in_load(w);
	ret = wdz_real_deflateParams(&w->in, level, strategy);
	wz_in_store(w, w->mode == WZ_MIGRATED);
	return ret;
}

WZ_EXPORT int deflateTune(z_streamp s, int good, int lazy, int nice, int chain)
{
	struct wz *w = wz_get(s, WZ_MAGIC_D);

	if (!w || w->mode == WZ_FAILED)
		return Z_STREAM_ERROR;
	if (w->mode == WZ_UNDECIDED && wz_deflate_go_software(w) != Z_OK)
		return Z_STREAM_ERROR;
	if (!w->in_live)
		return Z_OK;	/* DEVICE: the device tunes itself */
	return wdz_real_deflateTune(&w->in, good, lazy, nice, chain);
}

WZ_EXPORT uLong deflateBound(z_streamp s, uLong len)
{
	/* zlib's bound for any parameters (no stream), our wrapper's bytes,
	 * and room for the flush markers of our staging */
	uLong b = wdz_real_deflateBound(NULL, len) + 18 + 16;
	struct wz *w = wz_get(s, WZ_MAGIC_D);

	if (w && w->in_live) {
		uLong r = wdz_real_deflateBound(&w->in, len) + 18;

		if (r > b)
			b = r;
	}
	return b;
}

WZ_EXPORT int deflatePending(z_streamp s, unsigned *pending, int *bits)
{
	struct wz *w = wz_get(s, WZ_MAGIC_D);
	unsigned p = 0;
	int b = 0, ret = Z_OK;

	if (!w)
		return Z_STREAM_ERROR;
	if (w->in_live)
		ret = wdz_real_deflatePending(&w->in, &p, &b);
	p += (unsigned)(w->pend_len - w->pend_off);
	if (w->owed >= 0 || w->st_busy)
		p++;	/* the device holds some: at least a byte */
	if (pending)
		*pending = p;
	if (bits)
		*bits = b;
	return ret;
}

WZ_EXPORT int deflatePrime(z_streamp s, int bits, int value)
{
	struct wz *w = wz_get(s, WZ_MAGIC_D);
	int ret;

	if (!w || w->mode == WZ_FAILED)
		return Z_STREAM_ERROR;
	if (w->mode == WZ_DEVICE && w->finish_state)
		return Z_STREAM_ERROR;
	ret = wz_deflate_need_software(w);
	if (ret != Z_OK)
		return ret;
	return wdz_real_deflatePrime(&w->in, bits, value);
}

WZ_EXPORT int deflateSetHeader(z_streamp s, gz_headerp head)
{
	struct wz *w = wz_get(s, WZ_MAGIC_D);

	if (!w || w->wrap != 2)
		return Z_STREAM_ERROR;
	if (w->mode == WZ_UNDECIDED && !w->called) {
		if (wz_deflate_go_software(w) != Z_OK)
			return Z_STREAM_ERROR;
	}
	if (w->mode != WZ_SOFTWARE)
		return Z_STREAM_ERROR;	/* zlib: only before the first deflate() */
	return wdz_real_deflateSetHeader(&w->in, head);
}

static struct wz *wz_clone(z_streamp dest, z_streamp source, struct wz *w)
{
	struct wz *d = malloc(sizeof(*d));

	if (!d)
		return NULL;
	*d = *w;
	d->strm = dest;
	d->in_live = false;
	d->q = NULL;
	d->ds = NULL;
	d->st = d->pend = d->dict = d->hist = NULL;
	d->st_cap = d->pend_cap = 0;
	d->hist_len = 0;
	d->tin = d->tout = d->sw_in = d->sw_out = 0;
	d->ever_dev = d->dev_sent = false;
	if (wz_reserve(&d->st, &d->st_cap, w->st_len) ||
	    wz_reserve(&d->pend, &d->pend_cap, w->pend_len) ||
	    (w->dict && !(d->dict = malloc(w->dict_len ? w->dict_len : 1)))) {
		wz_free_bufs(d);
		free(d);
		return NULL;
	}
	if (w->st_len)
		memcpy(d->st, w->st, w->st_len);
	if (w->pend_len)
		memcpy(d->pend, w->pend, w->pend_len);
	if (w->dict_len)
		memcpy(d->dict, w->dict, w->dict_len);
	memcpy(dest, source, sizeof(*dest));
	dest->state = (struct internal_state *)d;
	return d;
}

/* @dest a copy of @source (@w, in a state a copy can take): ours, and the
 * private zlib's stream with @real_copy when there is one */
static int wz_copy(z_streamp dest, z_streamp source, struct wz *w,
		   int (*real_copy)(z_streamp, z_streamp))
{
	struct wz *d = wz_clone(dest, source, w);
	int ret;

	if (!d)
		return Z_MEM_ERROR;
	if (w->in_live) {
		ret = real_copy(&d->in, &w->in);
		if (ret != Z_OK) {
			wz_free_bufs(d);
			free(d);
			dest->state = NULL;
			return ret;
		}
		d->in_live = true;
	}
	return Z_OK;
}

WZ_EXPORT int deflateCopy(z_streamp dest, z_streamp source)
{
	struct wz *w = wz_get(source, WZ_MAGIC_D);
	int ret;

	if (!w || !dest || w->mode == WZ_FAILED)
		return Z_STREAM_ERROR;
	if (w->mode == WZ_DEVICE) {
		if (w->finish_state) {
			source->msg = (char *)wz_msg_unsup;
			return Z_STREAM_ERROR;
		}
		ret = wz_deflate_migrate(w);
		if (ret != Z_OK)
			return ret;
	}
	return wz_copy(dest, source, w, wdz_real_deflateCopy);
}

/* ------------------------------------------------------------------ */
/* inflate                                                              */
/* ------------------------------------------------------------------ */

static bool wz_inflate_dev_ok(const struct wz *w)
{
	return w->wrap ? (w->w == 0 || w->w == 15) : w->w == 15;
}

static int wz_inflate_go_software(struct wz *w)
{
	z_streamp s = w->strm;
	int ret;

	memset(&w->in, 0, sizeof(w->in));
	w->in.zalloc = s->zalloc;
	w->in.zfree = s->zfree;
	w->in.opaque = s->opaque;
	ret = wdz_real_inflateInit2_(&w->in, w->wbits, ZLIB_VERSION,
				     (int)sizeof(z_stream));
	if (ret != Z_OK)
		return wz_err(s, ret);
	w->in_live = true;
	w->mode = WZ_SOFTWARE;
	if (!w->validate)
		wdz_real_inflateValidate(&w->in, 0);
	/* a wrapped stream's dictionary is given at Z_NEED_DICT (replay) */
	if (w->dict && !w->wrap) {
		ret = wdz_real_inflateSetDictionary(&w->in, w->dict, w->dict_len);
		if (ret != Z_OK)
			return ret;
	}
	return Z_OK;
}

/* a raw dictionary (given before data, or after Z_NEED_DICT) to the device */
static int wz_inflate_dev_dict(struct wz *w, const Bytef *dict, uInt len)
{
	struct wd_stream_req r;
	unsigned char sink[16];
	uInt off = len > 32768 ? len - 32768 : 0;

	wd_prep_stream(&r, sink, sizeof(sink), dict + off, len - off,
		       WD_NO_FLUSH | WD_STREAM_DICT);
	return wz_dev_run(w, &r);
}

static int wz_inflate_go_device(struct wz *w)
{
	int ret = wz_dev_fork_check(w, WD_DECOMPRESS);

	if (ret && w->ds)
		wz_dev_close(w);
	if (!w->ds)
		ret = wz_dev_open(w, WD_DECOMPRESS, 0);
	if (!ret && w->dict)
		ret = wz_inflate_dev_dict(w, w->dict, w->dict_len);
	if (ret) {
		wz_dev_close(w);
		atomic_fetch_add(&wz_st_fallbacks, 1);
		if (wz_fallback_fail) {
			w->strm->msg = (char *)"wd_zlib: no device (WD_ZLIB_FALLBACK=fail)";
			w->mode = WZ_FAILED;
			return Z_STREAM_ERROR;
		}
		return wz_inflate_go_software(w);
	}
	w->mode = WZ_DEVICE;
	w->ist = w->wrap ? I_HEAD : I_DATA;
	w->hn = 0;
	return Z_OK;
}

static int wz_bad(struct wz *w, const char *msg)
{
	w->strm->msg = (char *)msg;
	w->ist = I_BAD;
	return Z_DATA_ERROR;
}

static void wz_hist_add(struct wz *w, const Bytef *p, size_t n);

/* the next wrapper byte (there is one) */
static unsigned wz_byte(struct wz *w)
{
	unsigned b = *w->strm->next_in;

	wz_hist_add(w, w->strm->next_in, 1);
	wz_consume(w, 1);
	return b;
}

static void wz_start_data(struct wz *w, bool gzip)
{
	w->check = gzip ? crc32(0, NULL, 0) : adler32(0, NULL, 0);
	w->strm->adler = w->check;
	w->isize = 0;
	w->flg = gzip ? 0x100 | w->flg : w->flg;	/* 0x100: gzip */
	w->ist = I_DATA;
}

/* the gzip header's optional fields after @done: the next stage */
static void wz_gz_next(struct wz *w, int done)
{
	if (done < I_XLEN && (w->flg & GZ_FEXTRA)) {
		w->ist = I_XLEN;
		w->hn = 0;
	} else if (done < I_NAME && (w->flg & GZ_FNAME)) {
		w->ist = I_NAME;
	} else if (done < I_COMMENT && (w->flg & GZ_FCOMMENT)) {
		w->ist = I_COMMENT;
	} else if (done < I_HCRC && (w->flg & GZ_FHCRC)) {
		w->ist = I_HCRC;
		w->hn = 0;
	} else {
		wz_start_data(w, true);
	}
}

/* keep what the device consumed, for a replay */
static void wz_hist_add(struct wz *w, const Bytef *p, size_t n)
{
	if (w->hist_off || !n)
		return;
	if (w->hist_len + n > WZ_HIST_MAX) {
		free(w->hist);
		w->hist = NULL;
		w->hist_len = 0;
		w->hist_off = true;
		return;
	}
	if (!w->hist) {
		w->hist = malloc(WZ_HIST_MAX);
		if (!w->hist) {
			w->hist_off = true;
			return;
		}
	}
	memcpy(w->hist + w->hist_len, p, n);
	w->hist_len += n;
}

/*
 * DEVICE -> SOFTWARE for an inflate stream that has consumed at most
 * WZ_HIST_MAX bytes: the private zlib inflates them again from the start
 * (decoding is deterministic); the output the caller already has is
 * dropped, the rest (what the device still held) becomes our pending
 * output. Serves inflateCopy and the window calls, a device lost, a fork.
 * Return: Z_OK, or Z_STREAM_ERROR (too far in: the device state is needed).
 */
static int wz_inflate_replay(struct wz *w)
{
	unsigned char *scratch;
	uint64_t skip = w->tout;
	size_t hlen = w->hist_len;
	unsigned char *hist = w->hist;
	bool dict_done = false;
	int ret;

	if (w->hist_off)
		return Z_STREAM_ERROR;
	scratch = malloc(WZ_PEND_STEP);
	if (!scratch)
		return Z_MEM_ERROR;
	w->hist = NULL;
	w->hist_len = 0;
	wz_dev_close(w);
	ret = wz_inflate_go_software(w);
	if (ret != Z_OK) {
		w->mode = WZ_FAILED;	/* its inner stream never saw the data */
		goto out;
	}
	w->in.next_in = hist;
	w->in.avail_in = (uInt)hlen;
	for (;;) {
		size_t made, keep;

		w->in.next_out = scratch;
		w->in.avail_out = WZ_PEND_STEP;
		ret = wdz_real_inflate(&w->in, Z_NO_FLUSH);
		made = WZ_PEND_STEP - w->in.avail_out;
		keep = made > skip ? made - (size_t)skip : 0;
		skip -= made - keep;
		if (keep && wz_pend_put(w, scratch + made - keep, keep)) {
			ret = Z_MEM_ERROR;
			goto out;
		}
		if (ret == Z_NEED_DICT && w->dict && !dict_done) {
			dict_done = true;
			ret = wdz_real_inflateSetDictionary(&w->in, w->dict, w->dict_len);
			if (ret != Z_OK)
				break;
			continue;
		}
		if (ret != Z_OK || (!w->in.avail_in && w->in.avail_out))
			break;
	}
	/* where the device stood: the end, an error, a dictionary wanted */
	ret = Z_OK;
	wz_set_adler(w, w->in.adler);
out:
	free(hist);
	free(scratch);
	return ret;
}

static int wz_inflate_device(struct wz *w, int flush)
{
	z_streamp s = w->strm;
	size_t in0 = s->avail_in, out0 = s->avail_out;
	struct wd_stream_req r;
	unsigned b;
	int ret = Z_OK, err;

	err = wz_dev_fork_check(w, WD_DECOMPRESS);
	if (err == -EPERM && wz_inflate_replay(w) == Z_OK)
		return WZ_AGAIN;	/* a fork child's copy: software now */
	if (err)
		return wz_fail(w, err);
	for (;;) {
		switch (w->ist) {
		case I_HEAD:
			if (!s->avail_in)
				goto leave;
			w->hb[w->hn++] = (unsigned char)wz_byte(w);
			if (w->hn < 2)
				break;
			w->hn = 0;
			if ((w->wrap & 2) && w->hb[0] == 0x1f && w->hb[1] == 0x8b) {
				w->hcrc = crc32(0, w->hb, 2);
				w->ist = I_GZFIX;
				break;
			}
			if (!(w->wrap & 1) || ((w->hb[0] << 8) + w->hb[1]) % 31) {
				ret = wz_bad(w, "incorrect header check");
				goto leave;
			}
			if ((w->hb[0] & 0xf) != Z_DEFLATED) {
				ret = wz_bad(w, "unknown compression method");
				goto leave;
			}
			b = (w->hb[0] >> 4) + 8;
			if (b > 15 || (w->w && b > (unsigned)w->w)) {
				ret = wz_bad(w, "invalid window size");
				goto leave;
			}
			w->flg = 0;
			if (w->hb[1] & 0x20) {
				w->ist = I_DICTID;
				break;
			}
			wz_start_data(w, false);
			break;
		case I_GZFIX:	/* CM FLG MTIME(4) XFL OS */
			if (!s->avail_in)
				goto leave;
			w->hb[w->hn++] = (unsigned char)wz_byte(w);
			if (w->hn < 8)
				break;
			w->hcrc = crc32(w->hcrc, w->hb, 8);
			if (w->hb[0] != Z_DEFLATED) {
				ret = wz_bad(w, "unknown compression method");
				goto leave;
			}
			if (w->hb[1] & 0xe0) {
				ret = wz_bad(w, "unknown header flags set");
				goto leave;
			}
			w->flg = w->hb[1];
			wz_gz_next(w, I_GZFIX);
			break;
		case I_XLEN:
			if (!s->avail_in)
				goto leave;
			w->hb[w->hn] = (unsigned char)wz_byte(w);
			w->hcrc = crc32(w->hcrc, w->hb + w->hn, 1);
			if (++w->hn < 2)
				break;
			w->xlen = w->hb[0] | w->hb[1] << 8;
			w->ist = I_EXTRA;
			break;
		case I_EXTRA:
			b = s->avail_in < w->xlen ? s->avail_in : w->xlen;
			w->hcrc = crc32(w->hcrc, s->next_in, b);
			wz_hist_add(w, s->next_in, b);
			wz_consume(w, b);
			w->xlen -= b;
			if (w->xlen)
				goto leave;
			wz_gz_next(w, I_XLEN);
			break;
		case I_NAME:
		case I_COMMENT:
			if (!s->avail_in)
				goto leave;
			w->hcrc = crc32(w->hcrc, s->next_in, 1);
			if (!wz_byte(w))
				wz_gz_next(w, w->ist);
			break;
		case I_HCRC:
			if (!s->avail_in)
				goto leave;
			w->hb[w->hn++] = (unsigned char)wz_byte(w);
			if (w->hn < 2)
				break;
			if ((w->wrap & 4) && (unsigned)(w->hb[0] | w->hb[1] << 8) !=
			    (w->hcrc & 0xffff)) {
				ret = wz_bad(w, "header crc mismatch");
				goto leave;
			}
			wz_start_data(w, true);
			break;
		case I_DICTID:
			if (!s->avail_in)
				goto leave;
			w->hb[w->hn++] = (unsigned char)wz_byte(w);
			if (w->hn < 4)
				break;
			w->hn = 0;
			w->dict_id = (uLong)w->hb[0] << 24 | (uLong)w->hb[1] << 16 |
				     (uLong)w->hb[2] << 8 | w->hb[3];
			s->adler = w->dict_id;
			w->ist = I_DICT;
			/* fall through */
		case I_DICT:
			s->adler = w->dict_id;
			return Z_NEED_DICT;
		case I_DATA:
			if (!s->avail_out || (!s->avail_in && !w->dev_more))
				goto leave;
			wd_prep_stream(&r, s->next_out,
				       s->avail_out < WZ_REQ_OUT_MAX ? s->avail_out :
								      WZ_REQ_OUT_MAX,
				       s->next_in,
				       s->avail_in < WZ_REQ_IN_MAX ? s->avail_in :
								    WZ_REQ_IN_MAX,
				       WD_NO_FLUSH);
			err = wz_dev_run(w, &r);
			if (err == -EBADMSG) {
				ret = wz_bad(w, "invalid compressed data (device)");
				goto leave;
			}
			if (err) {
				/* the device went: software, if it can replay */
				if (wz_inflate_replay(w) == Z_OK) {
					atomic_fetch_add(&wz_st_fallbacks, 1);
					return WZ_AGAIN;
				}
				ret = wz_fail(w, err);
				goto leave;
			}
			wz_hist_add(w, s->next_in, r.in_len);
			wz_consume(w, r.in_len);
			if (w->wrap && r.out_len) {
				w->check = (w->flg & 0x100) ?
					crc32(w->check, s->next_out, r.out_len) :
					adler32(w->check, s->next_out, r.out_len);
				s->adler = w->check;
			}
			w->isize += r.out_len;
			wz_produce(w, r.out_len);
			w->dev_more = r.flags & WD_STREAM_MORE;
			if (r.flags & WD_STREAM_END) {
				w->dev_more = false;
				w->ist = w->wrap ? I_TRAIL : I_DONE;
				w->hn = 0;
				break;
			}
			if (!r.in_len && !r.out_len)
				goto leave;
			break;
		case I_TRAIL:
			if (!s->avail_in)
				goto leave;
			w->hb[w->hn++] = (unsigned char)wz_byte(w);
			if (w->flg & 0x100) {
				uLong c, n;

				if (w->hn < 8)
					break;
				c = w->hb[0] | (uLong)w->hb[1] << 8 |
				    (uLong)w->hb[2] << 16 | (uLong)w->hb[3] << 24;
				n = w->hb[4] | (uLong)w->hb[5] << 8 |
				    (uLong)w->hb[6] << 16 | (uLong)w->hb[7] << 24;
				if (w->validate && c != w->check) {
					ret = wz_bad(w, "incorrect data check");
					goto leave;
				}
				if (w->validate && n != (w->isize & 0xffffffffUL)) {
					ret = wz_bad(w, "incorrect length check");
					goto leave;
				}
			} else {
				uLong c;

				if (w->hn < 4)
					break;
				c = (uLong)w->hb[0] << 24 | (uLong)w->hb[1] << 16 |
				    (uLong)w->hb[2] << 8 | w->hb[3];
				if (w->validate && c != w->check) {
					ret = wz_bad(w, "incorrect data check");
					goto leave;
				}
			}
			w->ist = I_DONE;
			break;
		case I_DONE:
			ret = Z_STREAM_END;
			goto leave;
		default:	/* I_BAD */
			ret = Z_DATA_ERROR;
			goto leave;
		}
	}
leave:
	if (((in0 == s->avail_in && out0 == s->avail_out) || flush == Z_FINISH) &&
	    ret == Z_OK)
		ret = Z_BUF_ERROR;
	return ret;
}

WZ_EXPORT int inflate(z_streamp s, int flush)
{
	struct wz *w = wz_get(s, WZ_MAGIC_I);
	int ret;

	if (!w || !s->next_out || (!s->next_in && s->avail_in))
		return Z_STREAM_ERROR;
	if (w->mode == WZ_UNDECIDED) {
		if (flush == Z_BLOCK || flush == Z_TREES ||
		    s->avail_in < wz_threshold || !wz_inflate_dev_ok(w))
			ret = wz_inflate_go_software(w);
		else
			ret = wz_inflate_go_device(w);
		if (ret != Z_OK)
			return ret;
	}
	if (w->mode == WZ_DEVICE) {
		ret = wz_inflate_device(w, flush);
		if (ret != WZ_AGAIN)
			return ret;
	}
	if (w->mode != WZ_SOFTWARE)
		return Z_STREAM_ERROR;
	if (w->pend_len) {
		/* a replay's output the device had not given yet */
		size_t gave = s->avail_out ? wz_pend_deliver(w) : 0;

		w->sw_out += gave;
		if (w->pend_len)
			return gave ? Z_OK : Z_BUF_ERROR;
		wz_in_load(w);
		ret = wdz_real_inflate(&w->in, flush);
		wz_in_store(w, false);
		return ret == Z_BUF_ERROR && gave ? Z_OK : ret;
	}
	wz_in_load(w);
	ret = wdz_real_inflate(&w->in, flush);
	wz_in_store(w, false);
	return ret;
}

/* zlib's windowBits rules (inflateReset2): 0, or -1 bad */
static int wz_inflate_wbits(struct wz *w, int windowBits)
{
	int wrap, wb = windowBits;

	if (wb < 0) {
		if (wb < -15)
			return -1;
		wrap = 0;
		wb = -wb;
	} else {
		wrap = (wb >> 4) + 5;
		if (wb < 48)
			wb &= 15;
	}
	if (wb && (wb < 8 || wb > 15))
		return -1;
	w->wrap = wrap;
	w->w = wb;
	w->wbits = windowBits;
	w->validate = true;	/* zlib: the new wrapper bits include the check */
	return 0;
}

/* the start of a stream: mode, wrapper parser, fields */
static int wz_inflate_restart(z_streamp s, struct wz *w)
{
	wz_account(w, false);
	if (w->in_live) {
		wdz_real_inflateEnd(&w->in);
		w->in_live = false;
	}
	if (w->mode == WZ_FAILED)
		wz_dev_close(w);
	wz_dev_reset(w);
	free(w->dict);
	w->dict = NULL;
	w->dict_len = 0;
	w->hn = 0;
	w->flg = 0;
	w->dev_more = false;
	w->isize = 0;
	free(w->hist);
	w->hist = NULL;
	w->hist_len = 0;
	w->hist_off = false;
	w->pend_len = w->pend_off = 0;
	s->total_in = s->total_out = 0;
	s->msg = NULL;
	if (w->wrap)
		s->adler = w->wrap & 1;
	w->mode = WZ_UNDECIDED;
	if (!wz_inflate_dev_ok(w))
		return wz_inflate_go_software(w);
	return Z_OK;
}

WZ_EXPORT int inflateInit2_(z_streamp s, int windowBits, const char *version,
			    int stream_size)
{
	struct wz *w;
	int ret;

	if (!wz_version_ok(version, stream_size))
		return Z_VERSION_ERROR;
	if (!s)
		return Z_STREAM_ERROR;
	s->msg = NULL;
	if (!s->zalloc) {
		s->zalloc = wz_zcalloc;
		s->opaque = NULL;
	}
	if (!s->zfree)
		s->zfree = wz_zcfree;
	w = wz_new(s, WZ_MAGIC_I);
	if (!w)
		return Z_MEM_ERROR;
	if (wz_inflate_wbits(w, windowBits)) {
		free(w);
		return Z_STREAM_ERROR;
	}
	s->state = (struct internal_state *)w;
	w->mode = WZ_UNDECIDED;
	ret = wz_inflate_restart(s, w);
	if (ret != Z_OK) {
		free(w);
		s->state = NULL;
	}
	return ret;
}

WZ_EXPORT int inflateInit_(z_streamp s, const char *version, int stream_size)
{
	return inflateInit2_(s, MAX_WBITS, version, stream_size);
}

WZ_EXPORT int inflateEnd(z_streamp s)
{
	struct wz *w = wz_get(s, WZ_MAGIC_I);

	if (!w)
		return Z_STREAM_ERROR;
	wz_account(w, false);
	if (w->in_live)
		wdz_real_inflateEnd(&w->in);
	wz_dev_close(w);
	wz_free_bufs(w);
	free(w);
	s->state = NULL;
	return Z_OK;
}

WZ_EXPORT int inflateReset(z_streamp s)
{
	struct wz *w = wz_get(s, WZ_MAGIC_I);

	return w ? wz_inflate_restart(s, w) : Z_STREAM_ERROR;
}

WZ_EXPORT int inflateResetKeep(z_streamp s)
{
	return inflateReset(s);
}

WZ_EXPORT int inflateReset2(z_streamp s, int windowBits)
{
	struct wz *w = wz_get(s, WZ_MAGIC_I);

	if (!w || wz_inflate_wbits(w, windowBits))
		return Z_STREAM_ERROR;
	return wz_inflate_restart(s, w);
}

WZ_EXPORT int inflateSetDictionary(z_streamp s, const Bytef *dict, uInt len)
{
	struct wz *w = wz_get(s, WZ_MAGIC_I);
	int err;

	if (!w || (!dict && len))
		return Z_STREAM_ERROR;
	switch (w->mode) {
	case WZ_UNDECIDED:
		if (w->wrap)
			return Z_STREAM_ERROR;	/* zlib: only after Z_NEED_DICT */
		free(w->dict);
		w->dict = malloc(len ? len : 1);
		if (!w->dict)
			return Z_MEM_ERROR;
		if (len)
			memcpy(w->dict, dict, len);
		w->dict_len = len;
		return Z_OK;
	case WZ_SOFTWARE:
		return wdz_real_inflateSetDictionary(&w->in, dict, len);
	case WZ_DEVICE:
		if (w->wrap ? w->ist != I_DICT : w->dev_sent) {
			if (!w->wrap)
				s->msg = (char *)wz_msg_unsup;
			return Z_STREAM_ERROR;
		}
		if (w->wrap && adler32(1, dict, len) != w->dict_id)
			return Z_DATA_ERROR;
		if (w->wrap) {	/* a replay needs it again */
			free(w->dict);
			w->dict = malloc(len ? len : 1);
			if (!w->dict)
				return Z_MEM_ERROR;
			memcpy(w->dict, dict, len);
			w->dict_len = len;
		}
		err = wz_inflate_dev_dict(w, dict, len);
		if (err)
			return wz_fail(w, err);
		if (w->wrap)
			wz_start_data(w, false);
		return Z_OK;
	default:
		return Z_STREAM_ERROR;
	}
}

/* UNDECIDED: software from now on (the calls the device has no use for) */
static struct wz *wz_inflate_sw(z_streamp s)
{
	struct wz *w = wz_get(s, WZ_MAGIC_I);

	if (!w)
		return NULL;
	if (w->mode == WZ_UNDECIDED && wz_inflate_go_software(w) != Z_OK)
		return NULL;
	if (w->mode == WZ_DEVICE && wz_inflate_replay(w) != Z_OK)
		w->mode = WZ_FAILED;
	if (w->mode != WZ_SOFTWARE) {
		s->msg = (char *)wz_msg_unsup;
		return NULL;
	}
	return w;
}

WZ_EXPORT int inflateGetDictionary(z_streamp s, Bytef *dict, uInt *len)
{
	struct wz *w = wz_inflate_sw(s);

	return w ? wdz_real_inflateGetDictionary(&w->in, dict, len) : Z_STREAM_ERROR;
}

WZ_EXPORT int inflateSync(z_streamp s)
{
	struct wz *w = wz_inflate_sw(s);
	int ret;

	if (!w)
		return Z_STREAM_ERROR;
	wz_in_load(w);
	ret = wdz_real_inflateSync(&w->in);
	wz_in_store(w, false);
	return ret;
}

WZ_EXPORT int inflateSyncPoint(z_streamp s)
{
	struct wz *w = wz_inflate_sw(s);

	return w ? wdz_real_inflateSyncPoint(&w->in) : Z_STREAM_ERROR;
}

WZ_EXPORT int inflatePrime(z_streamp s, int bits, int value)
{
	struct wz *w = wz_inflate_sw(s);

	return w ? wdz_real_inflatePrime(&w->in, bits, value) : Z_STREAM_ERROR;
}

WZ_EXPORT long inflateMark(z_streamp s)
{
	struct wz *w = wz_inflate_sw(s);

	return w ? wdz_real_inflateMark(&w->in) : -(1L << 16);
}

WZ_EXPORT int inflateGetHeader(z_streamp s, gz_headerp head)
{
	struct wz *w = wz_inflate_sw(s);

	return w ? wdz_real_inflateGetHeader(&w->in, head) : Z_STREAM_ERROR;
}

WZ_EXPORT int inflateUndermine(z_streamp s, int subvert)
{
	struct wz *w = wz_inflate_sw(s);

	return w ? wdz_real_inflateUndermine(&w->in, subvert) : Z_STREAM_ERROR;
}

WZ_EXPORT int inflateValidate(z_streamp s, int check)
{
	struct wz *w = wz_get(s, WZ_MAGIC_I);

	if (!w || w->mode == WZ_FAILED)
		return Z_STREAM_ERROR;
	if (w->mode == WZ_SOFTWARE)
		return wdz_real_inflateValidate(&w->in, check);
	w->validate = check != 0;	/* our trailer check (and the header CRC's) */
	if (!check)
		w->wrap &= ~4;
	else if (w->wrap)
		w->wrap |= 4;
	return Z_OK;
}

WZ_EXPORT unsigned long inflateCodesUsed(z_streamp s)
{
	struct wz *w = wz_inflate_sw(s);

	return w ? wdz_real_inflateCodesUsed(&w->in) : (unsigned long)-1;
}

WZ_EXPORT int inflateCopy(z_streamp dest, z_streamp source)
{
	struct wz *w = wz_get(source, WZ_MAGIC_I);

	if (!w || !dest || w->mode == WZ_FAILED)
		return Z_STREAM_ERROR;
	if (w->mode == WZ_DEVICE && wz_inflate_replay(w) != Z_OK) {
		source->msg = (char *)wz_msg_unsup;
		return Z_STREAM_ERROR;
	}
	return wz_copy(dest, source, w, wdz_real_inflateCopy);
}

/*
 * inflateBack: zlib's callback interface (pigz -d) over a raw inflate
 * stream of our own, so that the threshold, the device, the replay and the
 * counters are inflate()'s. The caller's window is the output buffer
 * handed to out(), as zlib's is. The state's first members are struct
 * wz's (strm, magic), so inflate() on such a stream, or inflateBack() on
 * an inflate() stream, is refused by the magic.
 */
#define WZ_MAGIC_B	0x57445a42u	/* "WDZB" */

/**
 * struct wzb - an inflateBack() stream
 * @strm: the caller's stream
 * @magic: WZ_MAGIC_B
 * @in: our raw inflate stream (inflateInit2_, inflate, inflateEnd)
 * @window: the caller's window, 1 << @wbits bytes
 * @wsize: its size
 */
struct wzb {
	z_streamp strm;
	uint32_t magic;
	z_stream in;
	unsigned char *window;
	unsigned wsize;
};

static struct wzb *wzb_get(z_streamp s)
{
	struct wzb *b;

	if (!s || !s->state)
		return NULL;
	b = (struct wzb *)s->state;
	return b->strm == s && b->magic == WZ_MAGIC_B ? b : NULL;
}

WZ_EXPORT int inflateBackInit_(z_streamp s, int windowBits, unsigned char *window,
			       const char *version, int stream_size)
{
	struct wzb *b;
	int ret;

	if (!wz_version_ok(version, stream_size))
		return Z_VERSION_ERROR;
	if (!s || !window || windowBits < 8 || windowBits > 15)
		return Z_STREAM_ERROR;
	b = calloc(1, sizeof(*b));
	if (!b)
		return Z_MEM_ERROR;
	/* our own stream, the largest window: it reads every stream the
	 * caller's window could, the device's included */
	ret = inflateInit2(&b->in, -MAX_WBITS);
	if (ret != Z_OK) {
		free(b);
		return ret;
	}
	b->strm = s;
	b->magic = WZ_MAGIC_B;
	b->window = window;
	b->wsize = 1u << windowBits;
	s->msg = NULL;
	s->state = (struct internal_state *)b;
	return Z_OK;
}

WZ_EXPORT int inflateBack(z_streamp s, in_func in, void *in_desc, out_func out,
			  void *out_desc)
{
	struct wzb *b = wzb_get(s);
	z_const unsigned char *next;
	unsigned have;
	bool full = false;
	int ret;

	if (!b || !in || !out)
		return Z_STREAM_ERROR;
	s->msg = NULL;
	/* each call inflates one raw stream from its start */
	ret = inflateReset(&b->in);
	if (ret != Z_OK)
		return ret;
	next = s->next_in;
	have = next ? s->avail_in : 0;
	for (;;) {
		size_t made, took;

		/* a full window: inflate may hold more output (the device's,
		 * a pending copy) without more input: ask in() only after */
		if (!have && !full) {
			have = in(in_desc, (unsigned char **)&next);
			if (!have) {
				next = Z_NULL;	/* in() ended the input */
				ret = Z_BUF_ERROR;
				break;
			}
		}
		b->in.next_in = next;
		b->in.avail_in = have;
		b->in.next_out = b->window;
		b->in.avail_out = b->wsize;
		ret = inflate(&b->in, Z_NO_FLUSH);
		took = have - b->in.avail_in;
		next = b->in.next_in;
		have = b->in.avail_in;
		made = b->wsize - b->in.avail_out;
		full = made == b->wsize;
		if (made && out(out_desc, b->window, (unsigned)made)) {
			ret = Z_BUF_ERROR;	/* next_in stays set: out() */
			break;
		}
		if (ret == Z_STREAM_END)
			break;
		if (ret == Z_NEED_DICT) {
			/* a raw stream has none: never from zlib or the device */
			s->msg = (char *)"invalid stream";
			ret = Z_DATA_ERROR;
			break;
		}
		if (ret != Z_OK && ret != Z_BUF_ERROR) {
			s->msg = b->in.msg;
			break;
		}
		if (!took && !made && have) {
			/* input and room, and nothing moved: never loop */
			s->msg = (char *)"wd_zlib: inflate made no progress";
			ret = Z_STREAM_ERROR;
			break;
		}
		/* Z_OK, or no progress without input: more input, or room */
	}
	s->next_in = next;
	s->avail_in = next ? have : 0;
	return ret;
}

WZ_EXPORT int inflateBackEnd(z_streamp s)
{
	struct wzb *b = wzb_get(s);

	if (!b)
		return Z_STREAM_ERROR;
	inflateEnd(&b->in);
	b->magic = 0;
	free(b);
	s->state = Z_NULL;
	return Z_OK;
}
