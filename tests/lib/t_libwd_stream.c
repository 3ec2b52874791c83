// SPDX-License-Identifier: MIT
/*
 * t_libwd: streams (wd_stream_*, libwd 1.2; docs/streams.md) through
 * wd_stream_open/send/reset/close and wd_recv_sync(), on both hosts and in
 * every memory mode (buffers in wd_reserve_memory() memory), against
 * independent references: OpenSSL's EVP SHA-256 updated with the same
 * splits (and ref.c's one-shot SHA-256), ref.c's CRC-32C, and zlib
 * (deflate/inflate with the same flushes, dictionaries, levels, gzip
 * members). Splits, output room and flushes are pseudo-random from a seed
 * (WD_TEST_SEED overrides it) that every failure message names. The ring
 * level (statuses, bounds, hostile SQEs): tests/vm/t_stream_ring.c. One of
 * the files of t_libwd (t_libwd.h).
 */
#include "t_libwd.h"
#include "wd_ctl.h"

#include <openssl/evp.h>

/* ---- the seed, and checks that name it ---- */

static uint64_t g_seed, g_rnd;

static void seed_init(uint64_t salt)
{
	const char *e = getenv("WD_TEST_SEED");

	g_seed = e && *e ? strtoull(e, NULL, 0) : 0x5eed0000u + salt;
	g_rnd = g_seed * 0x9e3779b97f4a7c15ull + 1;
}

static uint64_t rnd(void)
{
	g_rnd ^= g_rnd << 13;
	g_rnd ^= g_rnd >> 7;
	g_rnd ^= g_rnd << 17;
	return g_rnd;
}

/* 0 .. n - 1 */
static uint32_t rnd_below(uint32_t n)
{
	return n ? (uint32_t)(rnd() % n) : 0;
}

/* "seed N: " once a test drew from the generator (its failures name it) */
static const char *seed_str(void)
{
	static char b[40];

	if (!g_seed)
		return "";
	snprintf(b, sizeof(b), "seed %#llx: ", (unsigned long long)g_seed);
	return b;
}

#define CHK(c, fmt, ...) do {						\
	if (!(c))							\
		T_FAIL("%s%s: " fmt, seed_str(), #c, ##__VA_ARGS__);	\
} while (0)
#define CEQ(a, b, fmt, ...) do {					\
	long long _a = (long long)(a), _b = (long long)(b);		\
	if (_a != _b)							\
		T_FAIL("%s%s is %lld, expected %lld: " fmt, seed_str(),	\
		       #a, _a, _b, ##__VA_ARGS__);			\
} while (0)

/* the same, with nothing more to say */
#define CEQ_(a, b) CEQ(a, b, "")
#define CHK_(c) CHK(c, "")

/* ---- helpers ---- */

/* one step of @s: sent, then collected with wd_recv_sync() */
static void srun(struct wd_queue *q, struct wd_stream *s,
		 struct wd_stream_req *r)
{
	void *got = NULL;
	int ret = wd_stream_send(s, r);

	CHK(!ret, "wd_stream_send: %s", t_errname(-ret));
	ret = wd_recv_sync(q, &got);
	CHK(ret == 1, "wd_recv_sync: %d (%s)", ret, t_errname(-ret));
	CHK(got == r, "another request came back");
}

static struct wd_stream *sopen(struct wd_queue *q, uint32_t op, uint32_t lv)
{
	struct wd_stream *s = NULL;
	int ret = wd_stream_open(q, op, lv, &s);

	if (ret)
		T_FAIL("wd_stream_open(%s, op %u, level %u): %s", q->capa.alg,
		       op, lv, t_errname(-ret));
	return s;
}

/* what the stream contexts of the test's device hold (debugfs ctx_bytes) */
static long long ctx_bytes(void)
{
#ifdef T_NATIVE
	char b[32];

	CHK_(wd_ctl_attr_get(g_dev, "ctx_bytes", b, sizeof(b)) > 0);
	return strtoll(b, NULL, 10);
#else
	return t_debugfs_ll(g_id, "ctx_bytes");
#endif
}

static int wbits_of(const char *alg)
{
	return !strcmp(alg, "deflate") ? -15 : !strcmp(alg, "zlib") ? 15 : 31;
}

/* test data: runs of text and of random bytes */
static void fill_mixed(uint8_t *p, size_t n)
{
	for (size_t at = 0; at < n; ) {
		size_t k = 1 + rnd_below(8000);

		if (k > n - at)
			k = n - at;
		if (rnd_below(4))
			fill_text(p + at, k, rnd());
		else
			t_fill_random(p + at, k, rnd());
		at += k;
	}
}

/* output room for one request: mostly a few KiB, now and then a few bytes */
static uint32_t rnd_room(void)
{
	return rnd_below(8) ? 64 + rnd_below(6000) : 1 + rnd_below(16);
}

/* ---- digests ---- */

/*
 * sha256 and crc32c: random updates (empty ones included, some with the
 * FINISH), OpenSSL's EVP_DigestUpdate() with the same splits, two digests
 * in a row on one stream (FINISH starts the next), a FINISH without room
 * (-ENOSPC, nothing consumed, the digest goes on).
 */
MTEST(stream_digest_splits)
{
	enum { MAXN = 300000 };
	struct wd_queue qs, qc;
	struct wd_stream *ss, *sc;
	struct wd_stream_req r;
	uint8_t *ms, *mc, *ds, *dc, *outs, *outc, want[32];
	unsigned int wlen;

	seed_init(1 + g_mode);
	q_open(&qs, "sha256");
	q_open(&qc, "crc32c");
	ms = q_mem(&qs, 1 << 20);
	mc = q_mem(&qc, 1 << 20);
	ds = ms, outs = ms + MAXN + 64;
	dc = mc, outc = mc + MAXN + 64;
	ss = sopen(&qs, 0, 0);
	sc = sopen(&qc, 0, 0);
	for (int round = 0; round < 3; round++) {
		size_t n = round == 2 ? 0 : 1 + rnd_below(MAXN);
		EVP_MD_CTX *md = EVP_MD_CTX_new();
		uint32_t crc = 0;
		int pieces = 0;

		CHK_(md && EVP_DigestInit_ex(md, EVP_sha256(), NULL));
		fill_mixed(ds, n);
		memcpy(dc, ds, n);
		for (size_t at = 0;; pieces++) {
			uint32_t k = rnd_below(3) ? rnd_below(70000) : 0;
			bool fin;

			if (k > n - at)
				k = (uint32_t)(n - at);
			/* the last data may come with the FINISH */
			fin = at + k == n && (rnd_below(2) || !k);
			wd_prep_stream(&r, fin ? outs : NULL, fin ? 32 : 0,
				       k ? ds + at : NULL, k,
				       fin ? WD_FINISH : WD_NO_FLUSH);
			if (fin && rnd_below(3) == 0) {
				/* no room for the digest: nothing happens */
				r.dst_len = 31;
				srun(&qs, ss, &r);
				CEQ(r.status, -ENOSPC, "sha256 FINISH in 31 bytes");
				CEQ(r.in_len, 0, "sha256 FINISH refused");
				r.dst_len = 32;
			}
			srun(&qs, ss, &r);
			CEQ(r.status, 0, "sha256 update %d of %u bytes", pieces, k);
			CEQ(r.in_len, k, "sha256 update %d", pieces);
			CHK_(EVP_DigestUpdate(md, ds + at, k));
			wd_prep_stream(&r, fin ? outc : NULL, fin ? 4 : 0,
				       k ? dc + at : NULL, k,
				       fin ? WD_FINISH : WD_NO_FLUSH);
			srun(&qc, sc, &r);
			CEQ(r.status, 0, "crc32c update %d of %u bytes", pieces, k);
			CEQ(r.in_len, k, "crc32c update %d", pieces);
			crc = ref_crc32c(crc, dc + at, k);
			at += k;
			if (fin) {
				CEQ(r.out_len, 4, "crc32c FINISH");
				CHK(r.flags & WD_STREAM_END, "crc32c FINISH");
				break;
			}
			CEQ(r.out_len, 0, "crc32c update");
		}
		CHK_(EVP_DigestFinal_ex(md, want, &wlen) && wlen == 32);
		EVP_MD_CTX_free(md);
		CHK(!memcmp(outs, want, 32),
		    "sha256 of %zu bytes in %d updates differs from OpenSSL's",
		    n, pieces);
		ref_sha256(ds, n, want);
		CHK(!memcmp(outs, want, 32), "sha256 differs from ref.c's");
		CEQ(le32(outc), ref_crc32c(0, dc, n),
		    "crc32c of %zu bytes in %d updates", n, pieces);
	}
	wd_stream_close(ss);
	wd_stream_close(sc);
	wd_release_queue(&qs);
	wd_release_queue(&qc);
}

/* ---- compression ---- */

/*
 * zlib's view of a compressed stream as it grows: every byte the device
 * wrote goes into one inflate; at each sync or full flush what it decoded
 * so far must be exactly the input so far. From a full flush on, the
 * output must also decode without what came before: a fresh raw inflate
 * from that point to the next flush.
 */
struct zview {
	z_stream inc;
	uint8_t *dec;		/* what @inc decoded */
	size_t cap;
	size_t fed;		/* output bytes given to @inc */
	bool full;		/* a full flush point is recorded */
	size_t full_c, full_i;	/* its offsets: output, input */
	int ended;
	const uint8_t *dict;	/* the preset dictionary, or NULL */
	size_t dlen;
	bool dict_asked;	/* zlib: Z_NEED_DICT came */
};

static void zview_init(struct zview *v, const char *alg, size_t n,
		       const uint8_t *dict, size_t dlen)
{
	memset(v, 0, sizeof(*v));
	CHK_(inflateInit2(&v->inc, wbits_of(alg)) == Z_OK);
	v->cap = n + 1;
	v->dec = malloc(v->cap);
	CHK_(v->dec);
	v->dict = dict;
	v->dlen = dlen;
	if (dict && wbits_of(alg) < 0)
		CHK_(inflateSetDictionary(&v->inc, dict, (uInt)dlen) == Z_OK);
}

static void zview_feed(struct zview *v, const uint8_t *out, size_t olen)
{
	int ret;

	v->inc.next_in = (uint8_t *)out + v->fed;
	v->inc.avail_in = (uInt)(olen - v->fed);
	v->inc.next_out = v->dec + v->inc.total_out;
	v->inc.avail_out = (uInt)(v->cap - v->inc.total_out);
	ret = inflate(&v->inc, Z_SYNC_FLUSH);
	if (ret == Z_NEED_DICT) {
		CHK(v->dict && !v->dict_asked, "zlib's inflate asks for a "
		    "dictionary (Adler-32 %#lx)", v->inc.adler);
		CEQ(v->inc.adler, adler32(1, v->dict, (uInt)v->dlen),
		    "the stream's DICTID");
		CHK_(inflateSetDictionary(&v->inc, v->dict,
					      (uInt)v->dlen) == Z_OK);
		v->dict_asked = true;
		ret = inflate(&v->inc, Z_SYNC_FLUSH);
	}
	CHK(ret == Z_OK || ret == Z_STREAM_END || ret == Z_BUF_ERROR,
	    "zlib's inflate rejects the device's output at byte %lu: %d (%s)",
	    v->inc.total_in, ret, v->inc.msg ? v->inc.msg : "");
	if (ret == Z_STREAM_END)
		v->ended = 1;
	v->fed = olen - v->inc.avail_in;
}

/* a flush completed: output [0, olen) holds all of input [0, at) */
static void zview_flushed(struct zview *v, const uint8_t *in, size_t at,
			  const uint8_t *out, size_t olen, uint32_t flush)
{
	zview_feed(v, out, olen);
	CEQ(v->inc.total_out, at, "zlib decodes the output so far (%zu "
	    "bytes, flush %u) to %lu bytes, not the input so far", olen,
	    flush, v->inc.total_out);
	CHK(!memcmp(v->dec, in, at), "the output so far decodes to other data");
	if (v->full) {
		z_stream f = { 0 };
		size_t want = at - v->full_i;
		uint8_t *d = malloc(want + 1);
		int ret;

		CHK_(d && inflateInit2(&f, -15) == Z_OK);
		f.next_in = (uint8_t *)out + v->full_c;
		f.avail_in = (uInt)(olen - v->full_c);
		f.next_out = d;
		f.avail_out = (uInt)want + 1;
		ret = inflate(&f, Z_SYNC_FLUSH);
		CHK((ret == Z_OK || ret == Z_STREAM_END || ret == Z_BUF_ERROR) &&
		    f.total_out == want && !memcmp(d, in + v->full_i, want),
		    "after a full flush at output byte %zu, a fresh inflate "
		    "of the rest gives %lu bytes of %zu (%d, %s)", v->full_c,
		    f.total_out, want, ret, f.msg ? f.msg : "");
		inflateEnd(&f);
		free(d);
		v->full = false;
	}
	if (flush == WD_FULL_FLUSH) {
		v->full = true;
		v->full_c = olen;
		v->full_i = at;
	}
}

static void zview_end(struct zview *v)
{
	inflateEnd(&v->inc);
	free(v->dec);
}

/* zlib's own first header bytes for @alg at @level (its reference) */
static void zlib_header(const char *alg, int level, uint8_t *h)
{
	uint8_t out[64];

	ref_deflate(alg, level ? level : 6, "", 0, out, sizeof(out));
	memcpy(h, out, 10);
}

/*
 * One compression stream of @n bytes at @in: random pieces (empty ones
 * too), each with a random flush, the last with FINISH (or an empty FINISH
 * after it), random room with the MORE loop. Returns the output length.
 */
static size_t comp_stream(struct wd_queue *q, struct wd_stream *s,
			  const char *alg, const uint8_t *in, size_t n,
			  uint8_t *out, size_t cap, const uint8_t *dict,
			  size_t dlen)
{
	struct wd_stream_req r;
	struct zview v;
	size_t at = 0, olen = 0;
	bool ended = false;
	int reqs = 0;

	zview_init(&v, alg, n, dict, dlen);
	while (!ended) {
		uint32_t k = rnd_below(6) ? 1 + rnd_below(20000) : 0, flush;
		size_t end;

		if (k > n - at)
			k = (uint32_t)(n - at);
		end = at + k;
		if (end == n && (at == n || rnd_below(2)))
			flush = WD_FINISH;
		else
			flush = (uint32_t[]){ WD_NO_FLUSH, WD_NO_FLUSH,
					      WD_SYNC_FLUSH, WD_FULL_FLUSH }
					    [rnd_below(4)];
		for (;;) {
			uint32_t room = rnd_room();

			CHK(olen + room <= cap, "test bug: %zu bytes of room", cap);
			wd_prep_stream(&r, out + olen, room,
				       end > at ? in + at : NULL,
				       (uint32_t)(end - at), flush);
			srun(q, s, &r);
			reqs++;
			CEQ(r.status, 0, "%s request %d (flush %u)", alg, reqs,
			    flush);
			CHK(r.in_len <= end - at && r.out_len <= room,
			    "request %d: in %u of %zu, out %u of %u", reqs,
			    r.in_len, end - at, r.out_len, room);
			CHK(!(r.flags & ~(WD_STREAM_MORE | WD_STREAM_END)),
			    "request %d: flags %#x", reqs, r.flags);
			at += r.in_len;
			olen += r.out_len;
			if (!(r.flags & WD_STREAM_MORE))
				break;
			/* MORE: the room was used up */
			CEQ(r.out_len, room, "request %d: MORE", reqs);
		}
		/* without MORE, every byte of the piece was taken */
		CEQ(at, end, "request %d: input left without MORE", reqs);
		ended = r.flags & WD_STREAM_END;
		CEQ(ended, flush == WD_FINISH, "request %d: END", reqs);
		if (flush != WD_NO_FLUSH)
			zview_flushed(&v, in, at, out, olen, flush);
		else
			zview_feed(&v, out, olen);
		/* the output never runs ahead of the input */
		CHK(v.inc.total_out <= at, "decoded ahead of the input");
	}
	CHK(v.ended && v.fed == olen,
	    "%s stream: zlib's inflate ends at byte %zu of %zu", alg, v.fed,
	    olen);
	CHK(!dict || wbits_of(alg) < 0 || v.dict_asked,
	    "zlib stream with a dictionary: no FDICT/DICTID in its header");
	zview_end(&v);
	return olen;
}

/*
 * deflate, zlib and gzip at every level (a mode takes four of 0..9 in
 * turn), each a stream of random pieces, flushes and room; zlib's header
 * bytes that tell the level (zlib's FLEVEL, gzip's XFL) as zlib writes
 * them.
 */
MTEST(stream_comp_flushes)
{
	static const char *const algs[] = { "deflate", "zlib", "gzip" };
	static const int levels[3][4] = {
		{ 0, 1, 2, 3 }, { 4, 5, 6, 7 }, { 8, 9, 1, 6 },
	};
	int mi = g_mode == WD_DEV_SVA ? 0 : g_mode == WD_DEV_PASID ? 1 : 2;
	enum { MAXN = 90000, CAP = 2 * MAXN + 65536 };

	seed_init(100 + g_mode);
	for (int a = 0; a < 3; a++) {
		struct wd_queue q;
		uint8_t *mem, *in, *out, h[10];

		q_open(&q, algs[a]);
		mem = q_mem(&q, 1 << 20);
		in = mem;
		out = mem + MAXN;
		for (int l = 0; l < 4; l++) {
			int level = levels[mi][l];
			size_t n = 1 + rnd_below(MAXN), olen;
			struct wd_stream *s = sopen(&q, WD_COMPRESS, level);

			fill_mixed(in, n);
			olen = comp_stream(&q, s, algs[a], in, n, out, CAP,
					   NULL, 0);
			zlib_header(algs[a], level, h);
			if (a == 1)
				CEQ(out[0] << 8 | out[1], h[0] << 8 | h[1],
				    "zlib header at level %d", level);
			if (a == 2)
				CEQ(out[8], h[8], "gzip XFL at level %d", level);
			/* the stream again after a reset: the same input
			 * gives a stream zlib takes (checked inside) */
			wd_stream_reset(s);
			olen = comp_stream(&q, s, algs[a], in, n, out, CAP,
					   NULL, 0);
			(void)olen;
			wd_stream_close(s);
		}
		wd_release_queue(&q);
	}
}

/*
 * Empty inputs: a FINISH of nothing is a whole empty stream (zlib decodes
 * it to nothing), also after empty sync flushes; the device's own
 * decompression of it ends at its last byte. Digests of nothing.
 */
MTEST(stream_empty)
{
	static const char *const algs[] = { "deflate", "zlib", "gzip" };
	struct wd_stream_req r;
	uint8_t got[8];
	size_t glen;

	for (int a = 0; a < 3; a++) {
		struct wd_queue q;
		struct wd_stream *c, *d;
		uint8_t *mem = NULL, *out;
		size_t olen = 0;

		q_open(&q, algs[a]);
		mem = q_mem(&q, 1 << 16);
		out = mem;
		c = sopen(&q, WD_COMPRESS, 0);
		d = sopen(&q, WD_DECOMPRESS, 0);
		for (int round = 0; round < 2; round++) {
			olen = 0;
			if (round) {
				wd_prep_stream(&r, out, 100, NULL, 0, WD_SYNC_FLUSH);
				srun(&q, c, &r);
				CEQ_(r.status, 0);
				CEQ_(r.in_len, 0);
				CHK_(!(r.flags & WD_STREAM_END));
				olen = r.out_len;
			}
			wd_prep_stream(&r, out + olen, 100, NULL, 0, WD_FINISH);
			srun(&q, c, &r);
			CEQ_(r.status, 0);
			CEQ_(r.flags, WD_STREAM_END);
			olen += r.out_len;
			CEQ_(ref_inflate(algs[a], out, olen, got, sizeof(got),
					 &glen), 0);
			CEQ_(glen, 0);
			/* and back through the device */
			wd_prep_stream(&r, out + 1000, 100, out, (uint32_t)olen,
				       WD_NO_FLUSH);
			srun(&q, d, &r);
			CEQ_(r.status, 0);
			CEQ_(r.flags, WD_STREAM_END);
			CEQ_(r.in_len, olen);
			CEQ_(r.out_len, 0);
			wd_stream_reset(c);
			wd_stream_reset(d);
		}
		wd_stream_close(c);
		wd_stream_close(d);
		wd_release_queue(&q);
	}
	for (int a = 0; a < 2; a++) {
		struct wd_queue q;
		struct wd_stream *s;
		uint8_t *mem, want[32];

		q_open(&q, a ? "crc32c" : "sha256");
		mem = q_mem(&q, 1 << 16);
		s = sopen(&q, 0, 0);
		wd_prep_stream(&r, mem, 32, NULL, 0, WD_FINISH);
		srun(&q, s, &r);
		CEQ_(r.status, 0);
		CEQ_(r.out_len, a ? 4 : 32);
		if (a) {
			CEQ_(le32(mem), ref_crc32c(0, "", 0));
		} else {
			ref_sha256("", 0, want);
			CHK_(!memcmp(mem, want, 32));
		}
		wd_stream_close(s);
		wd_release_queue(&q);
	}
}

/* ---- decompression ---- */

/* zlib makes a stream of @in with random flushes at @level: its length */
static size_t zlib_make(const char *alg, int level, const uint8_t *in,
			size_t n, uint8_t *out, size_t cap, gz_header *hdr,
			const uint8_t *dict, size_t dlen, size_t *mid)
{
	z_stream z = { 0 };
	size_t at = 0;
	int ret;

	CHK_(deflateInit2(&z, level, Z_DEFLATED, wbits_of(alg), 8,
			      Z_DEFAULT_STRATEGY) == Z_OK);
	if (hdr)
		CHK_(deflateSetHeader(&z, hdr) == Z_OK);
	if (dict)
		CHK_(deflateSetDictionary(&z, dict, (uInt)dlen) == Z_OK);
	z.next_out = out;
	z.avail_out = (uInt)cap;
	do {
		size_t k = 1 + rnd_below(30000);
		int flush;

		if (k >= n - at) {
			k = n - at;
			flush = Z_FINISH;
		} else {
			flush = (int[]){ Z_NO_FLUSH, Z_NO_FLUSH, Z_SYNC_FLUSH,
					 Z_FULL_FLUSH }[rnd_below(4)];
			/* @mid: a full flush's output offset, once, a
			 * third of the way in or later */
			if (mid && !*mid && at + k >= n / 3)
				flush = Z_FULL_FLUSH;
		}
		z.next_in = (uint8_t *)in + at;
		z.avail_in = (uInt)k;
		ret = deflate(&z, flush);
		CHK_(ret == Z_OK || ret == Z_STREAM_END);
		CHK_(!z.avail_in && z.avail_out);
		at += k;
		if (mid && !*mid && flush == Z_FULL_FLUSH)
			*mid = z.total_out;
	} while (at < n);
	CEQ_(ret, Z_STREAM_END);
	deflateEnd(&z);
	return z.total_out;
}

/*
 * The device decompresses @zlen bytes (and @extra after them, not the
 * stream's) with random pieces and room: END exactly at byte @zlen, the
 * output exactly @want. With @dict (zlib: NEED_DICT asked first; raw
 * deflate: sent first), a wrong dictionary is refused first.
 */
static void decomp_stream(struct wd_queue *q, struct wd_stream *s,
			  const char *alg, const uint8_t *z, size_t zlen,
			  size_t extra, const uint8_t *want, size_t n,
			  uint8_t *out, const uint8_t *dict, size_t dlen)
{
	struct wd_stream_req r;
	size_t at = 0, olen = 0;
	int reqs = 0, idle = 0;
	bool is_zlib = !strcmp(alg, "zlib"), dict_sent = false;

	if (dict && !is_zlib) {
		wd_prep_stream(&r, out, 16, dict, (uint32_t)dlen,
			       WD_NO_FLUSH | WD_STREAM_DICT);
		srun(q, s, &r);
		CEQ(r.status, 0, "raw deflate dictionary of %zu bytes", dlen);
		dict_sent = true;
	}
	for (;;) {
		uint32_t k = rnd_below(6) ? 1 + rnd_below(9000) : 0;
		uint32_t room = rnd_room();

		if (k > zlen + extra - at)
			k = (uint32_t)(zlen + extra - at);
		CHK(olen + room <= n + 65536, "test bug: room");
		wd_prep_stream(&r, out + olen, room, k ? z + at : NULL, k,
			       WD_NO_FLUSH);
		srun(q, s, &r);
		reqs++;
		CEQ(r.status, 0, "%s decompression request %d at input byte "
		    "%zu", alg, reqs, at);
		CHK(r.in_len <= k && r.out_len <= room, "request %d", reqs);
		at += r.in_len;
		olen += r.out_len;
		CHK(olen <= n, "%zu bytes out, more than the %zu put in", olen, n);
		if (r.flags & WD_STREAM_NEED_DICT) {
			CHK(dict && is_zlib && !dict_sent,
			    "NEED_DICT asked at input byte %zu", at);
			CEQ(r.dict_id, adler32(1, dict, (uInt)dlen),
			    "NEED_DICT's dict_id");
			/* a wrong dictionary is refused and changes nothing */
			wd_prep_stream(&r, out, 16, dict + 1,
				       (uint32_t)dlen - 1,
				       WD_NO_FLUSH | WD_STREAM_DICT);
			srun(q, s, &r);
			CEQ(r.status, -EINVAL, "a dictionary of another Adler-32");
			wd_prep_stream(&r, out, 16, dict, (uint32_t)dlen,
				       WD_NO_FLUSH | WD_STREAM_DICT);
			srun(q, s, &r);
			CEQ(r.status, 0, "zlib dictionary of %zu bytes", dlen);
			CEQ(r.in_len, dlen, "the dictionary consumed");
			dict_sent = true;
			continue;
		}
		if (r.flags & WD_STREAM_END)
			break;
		if (!(r.flags & WD_STREAM_MORE))
			CEQ(r.in_len, k, "request %d: input left without MORE "
			    "or END", reqs);
		else
			CEQ(r.out_len, room, "request %d: MORE", reqs);
		idle = r.in_len || r.out_len || !k ? 0 : idle + 1;
		CHK(idle < 3 && reqs < 1000000, "no progress at byte %zu", at);
		CHK(at < zlen + extra || (r.flags & WD_STREAM_MORE),
		    "request %d: the whole input (%zu bytes), no END nor "
		    "MORE, %zu bytes out", reqs, at, olen);
	}
	CEQ(at, zlen, "END's position (%zu bytes after the stream)", extra);
	CEQ(olen, n, "decompressed length");
	CHK(!memcmp(out, want, n), "decompressed data differs");
	CHK(!dict || dict_sent, "the dictionary was not asked for");
}

/*
 * Streams zlib made (levels 1, 6, 9, with zlib's own sync and full
 * flushes), with bytes after them: END with in_len at the first byte
 * after the stream, then the same stream again after a reset.
 */
MTEST(stream_decomp_splits)
{
	static const char *const algs[] = { "deflate", "zlib", "gzip" };
	static const int levels[] = { 1, 6, 9 };
	enum { MAXN = 120000 };

	seed_init(200 + g_mode);
	for (int a = 0; a < 3; a++) {
		struct wd_queue q;
		struct wd_stream *s;
		uint8_t *mem, *in, *z, *out;

		q_open(&q, algs[a]);
		mem = q_mem(&q, 1 << 20);
		in = mem;
		z = mem + MAXN;
		out = mem + 3 * MAXN;
		s = sopen(&q, WD_DECOMPRESS, 0);
		for (int l = 0; l < 3; l++) {
			size_t n = 1 + rnd_below(MAXN), zlen;
			size_t extra = rnd_below(3) ? rnd_below(100) : 0;

			fill_mixed(in, n);
			zlen = zlib_make(algs[a], levels[l], in, n, z,
					 2 * MAXN - 100, NULL, NULL, 0, NULL);
			t_fill_random(z + zlen, extra, rnd());
			/* not the start of a gzip member */
			if (extra && z[zlen] == 0x1f)
				z[zlen] = 0;
			decomp_stream(&q, s, algs[a], z, zlen, extra, in, n,
				      out, NULL, 0);
			/* a finished stream starts again only after a reset */
			wd_stream_reset(s);
			decomp_stream(&q, s, algs[a], z, zlen, extra, in, n,
				      out, NULL, 0);
			wd_stream_reset(s);
		}
		wd_stream_close(s);
		wd_release_queue(&q);
	}
}

/*
 * gzip: several members (one empty, one with every optional header field)
 * in one input, then padding: the output of all, END at the end of the
 * last. Then members sent one at a time: the context takes the next
 * member after END.
 */
MTEST(stream_gzip_members)
{
	enum { MAXN = 60000 };
	struct wd_queue q;
	struct wd_stream *s;
	struct wd_stream_req r;
	uint8_t *mem, *in, *z, *out, extra[7] = "xtra\0\1";
	size_t n[3], zlen[3], at = 0, tot = 0, ztot = 0;
	gz_header h = { 0 };

	seed_init(300 + g_mode);
	h.name = (Bytef *)"member.txt";
	h.comment = (Bytef *)"the second member";
	h.extra = extra;
	h.extra_len = sizeof(extra);
	h.hcrc = 1;
	h.time = 1234567;
	q_open(&q, "gzip");
	mem = q_mem(&q, 1 << 20);
	in = mem;
	z = mem + 3 * MAXN;
	out = mem + 6 * MAXN;
	for (int m = 0; m < 3; m++) {
		n[m] = m == 2 ? 0 : 1 + rnd_below(MAXN);
		fill_mixed(in + tot, n[m]);
		zlen[m] = zlib_make("gzip", m == 0 ? 1 : m == 1 ? 9 : 6,
				    in + tot, n[m], z + ztot, 2 * MAXN,
				    m == 1 ? &h : NULL, NULL, 0, NULL);
		tot += n[m];
		ztot += zlen[m];
	}
	memset(z + ztot, 0, 3);		/* padding, as tar leaves */
	s = sopen(&q, WD_DECOMPRESS, 0);
	decomp_stream(&q, s, "gzip", z, ztot, 3, in, tot, out, NULL, 0);

	/* one member per input: END after each, and the next goes on */
	wd_stream_reset(s);
	tot = 0;
	for (int m = 0; m < 3; m++) {
		wd_prep_stream(&r, out + tot, (uint32_t)(n[m] + 100), z + at,
			       (uint32_t)zlen[m], WD_NO_FLUSH);
		srun(&q, s, &r);
		CEQ(r.status, 0, "member %d alone", m);
		CEQ(r.flags, WD_STREAM_END, "member %d alone", m);
		CEQ(r.in_len, zlen[m], "member %d alone", m);
		CEQ(r.out_len, n[m], "member %d alone", m);
		at += zlen[m];
		tot += n[m];
	}
	CHK(!memcmp(out, in, tot), "members one at a time");
	wd_stream_close(s);
	wd_release_queue(&q);
}

/* ---- preset dictionaries ---- */

/*
 * Both directions, raw deflate and zlib, dictionaries of 1 byte to more
 * than the 32 KiB window: ours (WD_STREAM_DICT first) decoded by zlib
 * after inflateSetDictionary() (zlib: Z_NEED_DICT with the dictionary's
 * Adler-32 first), and the data really refers into the dictionary (zlib
 * without it fails); zlib's deflateSetDictionary() streams decoded by the
 * device (zlib: NEED_DICT with dict_id, a wrong one refused, then DICT).
 */
MTEST(stream_dict)
{
	static const char *const algs[] = { "deflate", "zlib" };
	enum { MAXN = 50000, MAXD = 40000 };

	seed_init(400 + g_mode);
	for (int a = 0; a < 2; a++) {
		struct wd_queue q;
		struct wd_stream *c, *d;
		struct wd_stream_req r;
		uint8_t *mem, *dict, *in, *z, *out, *back;

		q_open(&q, algs[a]);
		mem = q_mem(&q, 1 << 20);
		dict = mem;
		in = dict + MAXD;
		z = in + MAXN;
		out = z + 2 * MAXN;
		back = malloc(MAXN + 1);
		CHK_(back);
		c = sopen(&q, WD_COMPRESS, 0);
		d = sopen(&q, WD_DECOMPRESS, 0);
		for (int round = 0; round < 3; round++) {
			size_t dlen = round == 0 ? 1 : round == 1 ? MAXD :
				      2 + rnd_below(MAXD - 2);
			size_t n = 2000 + rnd_below(MAXN - 2000), zlen = 0;
			size_t k = dlen < 1000 ? dlen : 1000;
			z_stream zs = { 0 };
			int ret;

			fill_text(dict, dlen, rnd());
			fill_mixed(in, n);
			/* the data starts with the dictionary's last bytes */
			memcpy(in, dict + dlen - k, k);

			/* ours, decoded by zlib */
			wd_prep_stream(&r, out, 64, dict, (uint32_t)dlen,
				       WD_NO_FLUSH | WD_STREAM_DICT);
			srun(&q, c, &r);
			CEQ(r.status, 0, "%s dictionary of %zu bytes", algs[a],
			    dlen);
			CEQ(r.in_len, dlen, "dictionary consumed");
			CEQ(r.out_len, 0, "a dictionary makes no output");
			zlen = comp_stream(&q, c, algs[a], in, n, z, 2 * MAXN,
					   dict, dlen);
			if (a == 0 && k == 1000) {
				/* the dictionary is used: the data, in one
				 * request, refers into it (zlib fails
				 * without it) */
				wd_stream_reset(c);
				wd_prep_stream(&r, out, 64, dict, (uint32_t)dlen,
					       WD_NO_FLUSH | WD_STREAM_DICT);
				srun(&q, c, &r);
				CEQ(r.status, 0, "dictionary after a reset");
				wd_prep_stream(&r, z, 2 * MAXN, in, (uint32_t)n,
					       WD_FINISH);
				srun(&q, c, &r);
				CEQ(r.status, 0, "one FINISH");
				CEQ(r.flags, WD_STREAM_END, "one FINISH");
				zlen = r.out_len;
				zs.next_in = z;
				zs.avail_in = (uInt)zlen;
				zs.next_out = back;
				zs.avail_out = MAXN + 1;
				CHK_(inflateInit2(&zs, -15) == Z_OK);
				ret = inflate(&zs, Z_FINISH);
				inflateEnd(&zs);
				CEQ(ret, Z_DATA_ERROR, "the stream decoded "
				    "without its dictionary");
				memset(&zs, 0, sizeof(zs));
				CHK_(inflateInit2(&zs, -15) == Z_OK);
				CHK_(inflateSetDictionary(&zs, dict,
							      (uInt)dlen) == Z_OK);
				zs.next_in = z;
				zs.avail_in = (uInt)zlen;
				zs.next_out = back;
				zs.avail_out = MAXN + 1;
				ret = inflate(&zs, Z_FINISH);
				inflateEnd(&zs);
				CHK(ret == Z_STREAM_END && zs.total_out == n &&
				    !memcmp(back, in, n), "one FINISH with "
				    "the dictionary: %d, %lu bytes", ret,
				    zs.total_out);
				memset(&zs, 0, sizeof(zs));
			}

			/* zlib's, decoded by the device */
			zlen = zlib_make(algs[a], 1 + rnd_below(9), in, n, z,
					 2 * MAXN, NULL, dict, dlen, NULL);
			decomp_stream(&q, d, algs[a], z, zlen, 0, in, n, out,
				      dict, dlen);
			wd_stream_reset(c);
			wd_stream_reset(d);
		}
		free(back);
		wd_stream_close(c);
		wd_stream_close(d);
		wd_release_queue(&q);
	}
}

/*
 * Requests of two compression streams and a decompression stream of one
 * queue, all in flight at once, interleaved: they come back in the order
 * sent, and each stream is what it would be alone (zlib decodes the
 * compressed ones, the decompressed one is exact).
 */
MTEST(stream_pipelined)
{
	enum { N = 40000, P = 8 };
	struct wd_queue q;
	struct wd_stream *c[2], *d;
	struct wd_stream_req r[3][P];
	void *got;
	uint8_t *mem, *in[2], *out[2], *z, *back;
	size_t bound, zlen, cut[P + 1], zcut[P + 1], olen[2] = { 0 }, dlen = 0;
	z_stream zs = { 0 };

	seed_init(800 + g_mode);
	q_open(&q, "gzip");
	CHK_(q.depth >= 3 * P);
	T_ASSERT(deflateInit2(&zs, 6, Z_DEFLATED, 31, 8,
			      Z_DEFAULT_STRATEGY) == Z_OK);
	bound = deflateBound(&zs, N) + 64 * P;
	deflateEnd(&zs);
	mem = q_mem(&q, 2 * N + 2 * P * bound + 2 * bound + (P + 2) * N);
	in[0] = mem;
	in[1] = mem + N;
	out[0] = in[1] + N;
	out[1] = out[0] + P * bound;
	z = out[1] + P * bound;
	back = z + 2 * bound;
	fill_mixed(in[0], 2 * N);
	zlen = zlib_make("gzip", 6, in[0], N, z, 2 * bound, NULL, NULL, 0,
			 NULL);
	/* random cuts of the inputs, the same for both compressions */
	cut[0] = zcut[0] = 0;
	for (int k = 1; k < P; k++) {
		cut[k] = cut[k - 1] + rnd_below((uint32_t)(N - cut[k - 1]) / 2);
		zcut[k] = zcut[k - 1] + rnd_below((uint32_t)(zlen - zcut[k - 1]) / 2);
	}
	cut[P] = N;
	zcut[P] = zlen;
	c[0] = sopen(&q, WD_COMPRESS, 1);
	c[1] = sopen(&q, WD_COMPRESS, 9);
	d = sopen(&q, WD_DECOMPRESS, 0);
	for (int k = 0; k < P; k++) {
		for (int j = 0; j < 2; j++) {
			wd_prep_stream(&r[j][k], out[j] + k * bound, (uint32_t)bound,
				       in[j] + cut[k], (uint32_t)(cut[k + 1] - cut[k]),
				       k == P - 1 ? WD_FINISH :
				       k % 3 == 1 ? WD_SYNC_FLUSH : WD_NO_FLUSH);
			CEQ(wd_stream_send(c[j], &r[j][k]), 0, "");
		}
		/* each piece's output to a room of its own */
		wd_prep_stream(&r[2][k], back + (k + 2) * N, N, z + zcut[k],
			       (uint32_t)(zcut[k + 1] - zcut[k]), WD_NO_FLUSH);
		CEQ(wd_stream_send(d, &r[2][k]), 0, "");
	}
	for (int k = 0; k < P; k++)
		for (int j = 0; j < 3; j++) {
			CEQ(wd_recv_sync(&q, &got), 1, "");
			CHK(got == &r[j][k], "request %d of stream %d came back "
			    "out of order", k, j);
			CEQ(r[j][k].status, 0, "request %d of stream %d", k, j);
			CEQ(r[j][k].in_len, r[j][k].src_len, "request %d of "
			    "stream %d", k, j);
			CHK(!(r[j][k].flags & WD_STREAM_MORE), "");
		}
	/* each output piece went to its own room: put them together */
	for (int j = 0; j < 2; j++) {
		size_t got_len;

		for (int k = 0; k < P; k++) {
			memmove(out[j] + olen[j], out[j] + k * bound,
				r[j][k].out_len);
			olen[j] += r[j][k].out_len;
		}
		CEQ(r[j][P - 1].flags, WD_STREAM_END, "");
		CEQ(ref_inflate("gzip", out[j], olen[j], back + N, N + 1,
				&got_len), 0, "stream %d", j);
		CEQ(got_len, N, "");
		CHK(!memcmp(back + N, in[j], N), "stream %d", j);
	}
	for (int k = 0; k < P; k++) {
		memmove(back + dlen, back + (k + 2) * N, r[2][k].out_len);
		dlen += r[2][k].out_len;
		CHK(dlen <= N, "");
	}
	CEQ(dlen, N, "");
	CHK(!memcmp(back, in[0], N), "the decompressed stream");
	CEQ(r[2][P - 1].flags, WD_STREAM_END, "");
	wd_stream_close(c[0]);
	wd_stream_close(c[1]);
	wd_stream_close(d);
	wd_release_queue(&q);
}

/* ---- failures ---- */

/* the whole of @z (@zlen bytes) through @s at once: the device's output */
static void decomp_whole(struct wd_queue *q, struct wd_stream *s,
			 const uint8_t *z, size_t zlen, const uint8_t *want,
			 size_t n, uint8_t *out, const char *what)
{
	struct wd_stream_req r;

	wd_prep_stream(&r, out, (uint32_t)n + 64, z, (uint32_t)zlen,
		       WD_NO_FLUSH);
	srun(q, s, &r);
	CEQ(r.status, 0, "%s", what);
	CEQ(r.flags, WD_STREAM_END, "%s", what);
	CEQ(r.in_len, zlen, "%s", what);
	CEQ(r.out_len, n, "%s", what);
	CHK(!memcmp(out, want, n), "%s: other data", what);
}

/*
 * Corrupt input mid-stream fails that stream only: -EBADMSG, then -EBADF
 * for every request until wd_stream_reset(), which recovers it. Another
 * stream of the same queue (in progress across the failure), a
 * compression stream, a plain request and a stream of another queue go on
 * unaffected. Then a gzip trailer with a wrong CRC: -EBADMSG at the end.
 */
MTEST(stream_corrupt)
{
	enum { N = 80000 };
	struct wd_queue q, q2;
	struct wd_stream *a, *b, *c, *d;
	struct wd_stream_req r, rb;
	struct wd_comp_req pr;
	uint8_t *mem, *mem2, *in, *z, *bad, *out, *outb, *cz;
	size_t zlen, mid = 0, half, olen;

	seed_init(500 + g_mode);
	q_open(&q, "gzip");
	q_open(&q2, "gzip");
	mem = q_mem(&q, 2 << 20);
	mem2 = q_mem(&q2, 1 << 20);
	in = mem;
	z = mem + N;
	bad = z + 2 * N;
	out = bad + 2 * N;
	outb = out + N + 1024;
	cz = outb + N + 1024;
	fill_mixed(in, N);
	zlen = zlib_make("gzip", 6, in, N, z, 2 * N, NULL, NULL, 0, &mid);
	CHK_(mid > 20 && mid < zlen - 20);
	/* after zlib's full flush a block starts on a byte: BFINAL 1 and the
	 * reserved BTYPE 11 there cannot decode */
	memcpy(bad, z, zlen);
	bad[mid] = 0x07;
	memcpy(mem2, z, zlen);

	a = sopen(&q, WD_DECOMPRESS, 0);
	b = sopen(&q, WD_DECOMPRESS, 0);
	c = sopen(&q, WD_COMPRESS, 1);
	d = sopen(&q2, WD_DECOMPRESS, 0);

	/* a: the good first part; b: its first half */
	wd_prep_stream(&r, out, N, bad, (uint32_t)mid, WD_NO_FLUSH);
	srun(&q, a, &r);
	CEQ_(r.status, 0);
	CEQ_(r.in_len, mid);
	half = zlen / 2;
	wd_prep_stream(&rb, outb, N + 64, z, (uint32_t)half, WD_NO_FLUSH);
	srun(&q, b, &rb);
	CEQ_(rb.status, 0);
	CEQ_(rb.in_len, half);
	olen = rb.out_len;
	/* a: the corrupt block */
	wd_prep_stream(&r, out, N, bad + mid, (uint32_t)(zlen - mid),
		       WD_NO_FLUSH);
	srun(&q, a, &r);
	CEQ_(r.status, -EBADMSG);
	/* a is broken: every request, even an empty one */
	for (int i = 0; i < 2; i++) {
		wd_prep_stream(&r, out, N, i ? NULL : z, i ? 0 : 100,
			       WD_NO_FLUSH);
		srun(&q, a, &r);
		CEQ_(r.status, -EBADF);
		CEQ_(r.in_len, 0);
		CEQ_(r.out_len, 0);
	}
	/* b: the rest, unaffected */
	wd_prep_stream(&rb, outb + olen, (uint32_t)(N + 64 - olen), z + half,
		       (uint32_t)(zlen - half), WD_NO_FLUSH);
	srun(&q, b, &rb);
	CEQ_(rb.status, 0);
	CEQ_(rb.flags, WD_STREAM_END);
	CEQ_(rb.in_len, zlen - half);
	CEQ_(olen + rb.out_len, N);
	CHK_(!memcmp(outb, in, N));
	/* c compresses, zlib takes it */
	CHK_(comp_stream(&q, c, "gzip", in, 5000 + rnd_below(20000), cz,
			     (size_t)(mem + (2 << 20) - cz), NULL, 0) > 0);
	/* a plain request on the same queue */
	wd_prep_comp(&pr, WD_DECOMPRESS, 0, outb, N + 64, z, (uint32_t)zlen);
	run(&q, &pr);
	CEQ_(pr.status, 0);
	CEQ_(pr.out_len, N);
	/* another queue's stream */
	decomp_whole(&q2, d, mem2, zlen, in, N, mem2 + 2 * N, "another queue");
	/* the reset recovers a */
	wd_stream_reset(a);
	decomp_whole(&q, a, z, zlen, in, N, out, "after wd_stream_reset()");

	/* a wrong CRC in the trailer: the last request fails */
	memcpy(bad, z, zlen);
	bad[zlen - 8] ^= 0x40;
	wd_stream_reset(a);
	wd_prep_stream(&r, out, N + 64, bad, (uint32_t)(zlen - 4), WD_NO_FLUSH);
	srun(&q, a, &r);
	CEQ_(r.status, 0);
	wd_prep_stream(&r, out, N + 64, bad + r.in_len,
		       (uint32_t)(zlen - r.in_len), WD_NO_FLUSH);
	srun(&q, a, &r);
	CEQ_(r.status, -EBADMSG);
	wd_prep_stream(&r, out, N, z, 10, WD_NO_FLUSH);
	srun(&q, a, &r);
	CEQ_(r.status, -EBADF);

	wd_stream_close(a);
	wd_stream_close(b);
	wd_stream_close(c);
	wd_stream_close(d);
	wd_release_queue(&q);
	wd_release_queue(&q2);
}

/* ---- 64-bit stream lengths ---- */

/*
 * gzip level 1 of 4 GiB + 1 MiB: a 1 MiB buffer (a 4 KiB random block
 * repeated, so that it compresses well) sent 4097 times with random room.
 * The output goes through zlib's inflate as it comes (every byte compared,
 * its CRC and ISIZE checked by zlib), and the trailer is also checked
 * directly: ISIZE is the size mod 2^32, the CRC zlib's crc32_combine() of
 * the pieces'.
 */
T_TEST_TMO(stream_past_4gib, 600)
{
	enum { BUF = 1 << 20, BLK = 4096, ROOM = 256 << 10 };
	const uint64_t total = (4ull << 30) + BUF;
	struct wd_queue q;
	struct wd_stream *s;
	struct wd_stream_req r;
	z_stream zi = { 0 };
	uint8_t *mem, *buf, *out, *dec, trailer[8];
	uint64_t sent = 0, decoded = 0, olen = 0;
	uint32_t crc_buf, crc = 0;
	size_t keep = 0;
	int ret = Z_OK;

	T_NEED_LOCAL("4 GiB through the engine takes minutes under TCG");
#ifdef __SANITIZE_ADDRESS__
	/* a test of 64-bit counters: the plain build runs it, ASan's shadow
	 * memory only makes it slow */
	t_skip("run by the build without sanitizers");
#endif
	use_mode("sva", WD_DEV_SVA);
	seed_init(600);
	q_open(&q, "gzip");
	mem = q_mem(&q, BUF + BLK + ROOM);
	buf = mem;
	out = mem + BUF + BLK;
	t_fill_random(buf, BLK, rnd());
	for (size_t i = BLK; i < BUF + BLK; i += BLK)
		memcpy(buf + i, buf, BLK);
	dec = malloc(BUF);
	CHK_(dec);
	crc_buf = (uint32_t)crc32(0, buf, BUF);
	CHK_(inflateInit2(&zi, 31) == Z_OK);
	s = sopen(&q, WD_COMPRESS, 1);
	for (bool end = false; !end; ) {
		uint32_t off = (uint32_t)(sent % BUF);
		bool last = sent + (BUF - off) >= total;

		wd_prep_stream(&r, out, ROOM - rnd_below(1000), buf + off,
			       BUF - off, last ? WD_FINISH : WD_NO_FLUSH);
		srun(&q, s, &r);
		CEQ(r.status, 0, "at byte %llu", (unsigned long long)sent);
		sent += r.in_len;
		olen += r.out_len;
		end = r.flags & WD_STREAM_END;
		/* the trailer: the last 8 bytes of the output */
		for (uint32_t i = 0; i < r.out_len; i++)
			trailer[(keep + i) % 8] = out[i];
		keep = (keep + r.out_len) % 8;
		zi.next_in = out;
		zi.avail_in = r.out_len;
		while (zi.avail_in && ret == Z_OK) {
			zi.next_out = dec;
			zi.avail_out = BUF;
			ret = inflate(&zi, Z_NO_FLUSH);
			CHK(ret == Z_OK || ret == Z_STREAM_END,
			    "zlib's inflate at output byte %llu: %d (%s)",
			    (unsigned long long)zi.total_in, ret,
			    zi.msg ? zi.msg : "");
			/* @buf repeats its first block once more past BUF */
			CHK(!memcmp(dec, buf + decoded % BLK,
				    BUF - zi.avail_out),
			    "decoded bytes from %llu differ",
			    (unsigned long long)decoded);
			decoded += BUF - zi.avail_out;
		}
	}
	CEQ(sent, total, "input consumed");
	CEQ(ret, Z_STREAM_END, "zlib's inflate of the whole stream");
	CEQ(zi.avail_in, 0, "bytes after the member");
	CEQ(decoded, total, "decoded size");
	inflateEnd(&zi);
	for (uint64_t i = 0; i < total / BUF; i++)
		crc = (uint32_t)crc32_combine(crc, crc_buf, BUF);
	/* the trailer's bytes in order, from the ring of the last 8 */
	{
		uint8_t t[8];

		for (int i = 0; i < 8; i++)
			t[i] = trailer[(keep + i) % 8];
		CEQ(le32(t), crc, "the trailer's CRC-32");
		CEQ(le32(t + 4), (uint32_t)total, "ISIZE (size mod 2^32)");
	}
	t_note("%llu bytes in, %llu out", (unsigned long long)total,
	       (unsigned long long)olen);
	free(dec);
	wd_stream_close(s);
	wd_release_queue(&q);
}

/* ---- processes and queues ---- */

/*
 * A fork child: every stream call on the parent's queue fails with -EPERM
 * (open, send; receive), reset and close touch nothing of the parent's;
 * the parent's digest and compression go on from where they were.
 */
MTEST(stream_fork_child)
{
	enum { N = 100000 };
	struct wd_queue q, qz;
	struct wd_stream *s, *c;
	struct wd_stream_req r;
	uint8_t *mem, *memz, want[32];
	size_t zlen, got;
	long long bytes;
	pid_t pid;

	seed_init(700 + g_mode);
	q_open(&q, "sha256");
	q_open(&qz, "deflate");
	mem = q_mem(&q, 1 << 20);
	memz = q_mem(&qz, 1 << 20);
	fill_mixed(mem, N);
	memcpy(memz, mem, N);
	s = sopen(&q, 0, 0);
	c = sopen(&qz, WD_COMPRESS, 0);
	wd_prep_stream(&r, NULL, 0, mem, N / 2, WD_NO_FLUSH);
	srun(&q, s, &r);
	CEQ_(r.status, 0);
	wd_prep_stream(&r, memz + N, N, memz, N / 2, WD_NO_FLUSH);
	srun(&qz, c, &r);
	CEQ_(r.status, 0);
	zlen = r.out_len;
	bytes = ctx_bytes();
	CHK_(bytes > 0);
	pid = t_fork();
	if (!pid) {
		struct wd_stream *s2 = NULL;
		void *got_r;
		int bad = 0;

		wd_prep_stream(&r, NULL, 0, mem, 10, WD_NO_FLUSH);
		bad |= wd_stream_send(s, &r) != -EPERM;
		bad |= (wd_stream_send(c, &r) != -EPERM) << 1;
		bad |= (wd_stream_open(&q, 0, 0, &s2) != -EPERM) << 2;
		bad |= (wd_stream_open(&qz, WD_DECOMPRESS, 0, &s2) != -EPERM) << 3;
		bad |= (wd_recv_sync(&q, &got_r) != -EPERM) << 4;
		wd_stream_reset(s);
		wd_stream_reset(c);
		wd_stream_close(s);
		wd_stream_close(c);
		wd_release_queue(&q);
		wd_release_queue(&qz);
		_exit(bad);
	}
	wait_exit0(pid, 30000, "fork child (bit mask of wrong answers)");
	CEQ_(ctx_bytes(), bytes);
	/* the rest: the results of the whole, as if no child had been */
	wd_prep_stream(&r, mem + N, 32, mem + N / 2, N - N / 2, WD_FINISH);
	srun(&q, s, &r);
	CEQ_(r.status, 0);
	ref_sha256(mem, N, want);
	T_ASSERT_MSG(!memcmp(mem + N, want, 32), "the parent's digest");
	wd_prep_stream(&r, memz + N + zlen, N, memz + N / 2, N - N / 2,
		       WD_FINISH);
	srun(&qz, c, &r);
	CEQ_(r.status, 0);
	CEQ_(r.flags, WD_STREAM_END);
	zlen += r.out_len;
	CEQ_(ref_inflate("deflate", memz + N, zlen, memz + 3 * N, N + 1,
			 &got), 0);
	CEQ_(got, N);
	CHK_(!memcmp(memz + 3 * N, mem, N));
	wd_stream_close(s);
	wd_stream_close(c);
	wd_release_queue(&q);
	wd_release_queue(&qz);
}

/*
 * The device's ctx_bytes: up with each stream opened, down with each
 * closed; wd_release_queue() with streams open (one with a request in
 * flight, one mid-stream) frees them: back to what the other queue's
 * streams hold, then to 0.
 */
MTEST(stream_release_frees)
{
	struct wd_queue q, q2;
	struct wd_stream *s[6], *t;
	struct wd_stream_req r;
	uint8_t *mem;
	long long before, b2;

	q_open(&q, "zlib");
	q_open(&q2, "zlib");
	mem = q_mem(&q, 1 << 20);
	CEQ_(ctx_bytes(), 0);
	t = sopen(&q2, WD_COMPRESS, 9);
	b2 = ctx_bytes();
	CHK_(b2 > 0);
	for (int i = 0; i < 6; i++) {
		before = ctx_bytes();
		s[i] = sopen(&q, i < 3 ? WD_COMPRESS : WD_DECOMPRESS,
			     i < 3 ? 1 + 4 * i : 0);
		T_ASSERT_MSG(ctx_bytes() > before, "stream %d opened", i);
	}
	/* one closed alone */
	before = ctx_bytes();
	wd_stream_close(s[5]);
	CHK_(ctx_bytes() < before);
	/* s[0] mid-stream, s[1] with a request in flight */
	fill_text(mem, 100000, 1);
	wd_prep_stream(&r, mem + 200000, 100000, mem, 100000, WD_NO_FLUSH);
	srun(&q, s[0], &r);
	CEQ_(r.status, 0);
	wd_prep_stream(&r, mem + 300000, 100000, mem, 100000, WD_FINISH);
	CEQ_(wd_stream_send(s[1], &r), 0);
	wd_flush(&q);
	wd_release_queue(&q);
	CEQ_(ctx_bytes(), b2);
	wd_stream_close(t);
	CEQ_(ctx_bytes(), 0);
	wd_release_queue(&q2);
	CEQ_(ctx_bytes(), 0);
}
