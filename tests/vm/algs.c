// SPDX-License-Identifier: GPL-2.0
/*
 * algs.c: the shared part of t_algs and t_algs_comp (algs.h).
 */
#include "algs.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

const char *const mode_opt[] = { "mode=sva", "mode=pasid", "mode=noiommu" };
const char *const mode_name[] = { "sva", "pasid", "noiommu" };

/* ---- data, files, programs ---- */

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		T_FAIL("out of memory (%zu bytes)", n);
	return p;
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* text-like data, compresses 4:1 or so */
static void fill_text(void *buf, size_t len, uint64_t seed)
{
	static const char *const words[] = {
		"the ", "queue ", "engine ", "ring ", "accelerator ",
		"warpdrive ", "uacce ", "of ", "and ", "device ", "memory ",
		"request ", "completion ", "kernel ", "process ", "zlib ",
		"page ", "fault ", "doorbell ", "shared ", "virtual ",
		"address ", "a ", "to ", "in ", "is ", "\n", "that ", "with ",
		"buffer ", "SQE ", "CQE ",
	};
	uint64_t s = seed * 0x9e3779b97f4a7c15ull + 1;
	uint8_t *p = buf;

	while (len) {
		uint64_t r = rnd(&s);
		const char *w = words[r % (sizeof(words) / sizeof(words[0]))];
		size_t n;

		if ((r >> 8) % 16 == 0) {
			*p++ = (uint8_t)(r >> 16);
			len--;
			continue;
		}
		n = strlen(w);
		if (n > len)
			n = len;
		memcpy(p, w, n);
		p += n;
		len -= n;
	}
}

uint8_t *gen(size_t n, bool random, uint64_t seed)
{
	uint8_t *p = xmalloc(n + 1);

	if (random)
		t_fill_random(p, n, seed);
	else
		fill_text(p, n, seed);
	return p;
}

void tmp_path(char *buf, size_t len, const char *what)
{
	snprintf(buf, len, "/tmp/t_algs.%d.%s", (int)getpid(), what);
}

void write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	const uint8_t *p = data;

	if (fd < 0)
		T_FAIL("creating %s: %s", path, t_errname(errno));
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n <= 0)
			T_FAIL("writing %s: %s", path, t_errname(errno));
		p += n;
		len -= n;
	}
	close(fd);
}

void *read_whole(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	uint8_t *p;
	size_t got = 0;

	if (fd < 0)
		T_FAIL("opening %s: %s", path, t_errname(errno));
	T_OK(fstat(fd, &st));
	p = xmalloc(st.st_size + 1);
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, p + got, st.st_size - got);

		if (n <= 0)
			T_FAIL("reading %s: %s", path, t_errname(errno));
		got += n;
	}
	close(fd);
	*len = got;
	return p;
}

int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	fflush(stdout);
	st = system(cmd);
	if (st == -1)
		T_FAIL("system(%s): %s", cmd, t_errname(errno));
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* ---- zlib, the reference of raw deflate and zlib streams ---- */

/* zlib's inflate: windowBits -15 (raw), 15 (zlib) or 31 (gzip); the stream
 * must end exactly at the end of the input. 0 or -1 */
int ref_inflate(const void *in, size_t in_len, void *out, size_t cap,
		size_t *out_len, int wbits)
{
	z_stream s;
	int ret;

	memset(&s, 0, sizeof(s));
	if (inflateInit2(&s, wbits) != Z_OK)
		T_FAIL("inflateInit2");
	s.next_in = (Bytef *)in;
	s.avail_in = (uInt)in_len;
	s.next_out = out;
	s.avail_out = (uInt)cap;
	ret = inflate(&s, Z_FINISH);
	*out_len = s.total_out;
	if (ret == Z_STREAM_END && s.avail_in)
		ret = Z_DATA_ERROR;
	inflateEnd(&s);
	return ret == Z_STREAM_END ? 0 : -1;
}

/* zlib's deflate: windowBits -15, 15 or 31 (gzip, with @hdr if given) */
void ref_deflate(const void *in, size_t in_len, int level, int wbits,
		 gz_header *hdr, void **out, size_t *out_len)
{
	z_stream s;
	uint8_t *buf;
	size_t cap;

	memset(&s, 0, sizeof(s));
	if (deflateInit2(&s, level, Z_DEFLATED, wbits, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		T_FAIL("deflateInit2");
	if (hdr && deflateSetHeader(&s, hdr) != Z_OK)
		T_FAIL("deflateSetHeader");
	cap = deflateBound(&s, in_len) + 1024;
	buf = xmalloc(cap);
	s.next_in = (Bytef *)in;
	s.avail_in = (uInt)in_len;
	s.next_out = buf;
	s.avail_out = (uInt)cap;
	if (deflate(&s, Z_FINISH) != Z_STREAM_END)
		T_FAIL("deflate did not finish");
	*out = buf;
	*out_len = s.total_out;
	deflateEnd(&s);
}

/* ---- a queue in one mode, and request buffers ---- */

void ctx_init(struct ctx *c, enum mode m)
{
	ctx_init_opts(c, m, "");
}

void ctx_init_opts(struct ctx *c, enum mode m, const char *more)
{
	char opts[128];

	memset(c, 0, sizeof(*c));
	c->mode = m;
	c->t0 = t_now_ms();
	snprintf(opts, sizeof(opts), "%s%s%s", mode_opt[m], *more ? " " : "",
		 more);
	c->in = t_inst_create(opts);
	t_q_setup(&c->q, c->in.ua);
	if (m != SVA) {
		long long max = t_ss_max(c->in.ua);
		size_t ss = m == NOIOMMU ? 4 * MiB : SS_PASID;

		if (max > 0 && (long long)ss > max)
			ss = max;
		t_q_map_ss(&c->q, ss);
	}
}

void ctx_fini(struct ctx *c, const char *what)
{
	t_note("%s %s: %.1f s", mode_name[c->mode], what,
	       (t_now_ms() - c->t0) / 1000.0);
	t_q_close(&c->q);
	t_inst_delete(&c->in);
}

/* the multi-MiB size of this mode */
static size_t big_size(const struct ctx *c, enum big_kind k)
{
	if (c->mode != NOIOMMU)
		return 5 * MiB;
	/* src and dst (and the SGL arrays) share the 4 MiB SS region */
	return k == BIG_HASH ? 3 * MiB : k == BIG_COMP ? 2 * MiB :
	       2 * MiB - 8192;
}

struct size_set sizes(const struct ctx *c, enum big_kind k)
{
	struct size_set s = {
		{ 0, 1, 4095, 65535, 65536, 65537, MiB, big_size(c, k), MiB },
		{ false, true, false, true, false, true, false, false, true },
		c->mode == SVA ? 9 : 8,
	};

	return s;
}

/*
 * A request buffer in memory the device may use (the heap in sva, the SS
 * region otherwise), flat or described by an SGL whose pieces lie in
 * memory in a shuffled order with gaps, plus empty entries.
 */
struct tbuf {
	uint8_t *mem;
	size_t size;		/* logical bytes */
	bool sgl, heap;
	struct wd_soft_sge *sge;
	uint32_t nents;
	size_t off[32];		/* offset in mem of each entry */
};

static void *tb_mem(struct ctx *c, bool heap, size_t n)
{
	void *p = heap ? xmalloc(n) : t_q_ss_alloc(&c->q, n ? n : 1);

	if (!p)
		T_FAIL("no room for %zu bytes in SS (%zu of %zu used)", n,
		       c->q.ss_used, c->q.ss_size);
	return p;
}

static void tb_alloc(struct ctx *c, struct tbuf *b, size_t size, bool sgl,
		     uint64_t seed)
{
	size_t len[32], pos;
	uint32_t perm[32], k, extra, i, j;

	memset(b, 0, sizeof(*b));
	b->size = size;
	b->sgl = sgl;
	b->heap = c->mode == SVA;
	if (!sgl) {
		b->mem = tb_mem(c, b->heap, size);
		return;
	}
	seed = seed * 0x9e3779b97f4a7c15ull + 7;
	/* k pieces of random lengths (at least 1 byte each), up to 3 empty */
	k = size ? 1 + rnd(&seed) % 16 : 0;
	if (k > size)
		k = size;
	extra = rnd(&seed) % 4;
	pos = 0;
	for (i = 0; i < k; i++) {
		size_t left = size - pos, room = left - (k - 1 - i);

		len[i] = i == k - 1 ? left : 1 + rnd(&seed) % room;
		if (len[i] > room)
			len[i] = room;
		pos += len[i];
	}
	for (i = 0; i < extra; i++) {
		j = rnd(&seed) % (k + i + 1);
		memmove(len + j + 1, len + j, (k + i - j) * sizeof(len[0]));
		len[j] = 0;
	}
	b->nents = k + extra;
	for (i = 0; i < b->nents; i++)
		perm[i] = i;
	for (i = b->nents; i > 1; i--) {
		uint32_t t;

		j = rnd(&seed) % i;
		t = perm[i - 1];
		perm[i - 1] = perm[j];
		perm[j] = t;
	}
	pos = 0;
	for (i = 0; i < b->nents; i++) {
		b->off[perm[i]] = pos;
		pos += len[perm[i]] + rnd(&seed) % 65;
	}
	b->mem = tb_mem(c, b->heap, pos);
	b->sge = tb_mem(c, b->heap, (b->nents ? b->nents : 1) * sizeof(*b->sge));
	for (i = 0; i < b->nents; i++)
		b->sge[i] = (struct wd_soft_sge){
			t_q_addr(&c->q, b->mem + b->off[i]), (uint32_t)len[i], 0 };
}

static void tb_free(struct tbuf *b)
{
	if (b->heap) {
		free(b->mem);
		free(b->sge);
	}
}

/* logical content in / out */
static void tb_put(struct tbuf *b, const uint8_t *data, size_t n)
{
	if (!b->sgl) {
		memcpy(b->mem, data, n);
		return;
	}
	for (uint32_t i = 0; i < b->nents && n; i++) {
		size_t l = b->sge[i].len < n ? b->sge[i].len : n;

		memcpy(b->mem + b->off[i], data, l);
		data += l;
		n -= l;
	}
}

static void tb_get(const struct tbuf *b, uint8_t *out, size_t n)
{
	if (!b->sgl) {
		memcpy(out, b->mem, n);
		return;
	}
	for (uint32_t i = 0; i < b->nents && n; i++) {
		size_t l = b->sge[i].len < n ? b->sge[i].len : n;

		memcpy(out, b->mem + b->off[i], l);
		out += l;
		n -= l;
	}
}

/* @b as the SQE's source (@src) or destination: address, length, SGL flag */
static void tb_sqe(struct ctx *c, const struct tbuf *b, bool src,
		   struct wd_soft_sqe *sqe)
{
	uint64_t addr = b->sgl ? t_q_addr(&c->q, b->sge) : t_q_addr(&c->q, b->mem);
	uint32_t len = b->sgl ? b->nents : (uint32_t)b->size;

	if (b->sgl)
		sqe->flags |= src ? WD_SOFT_SQE_F_SRC_SGL : WD_SOFT_SQE_F_DST_SGL;
	if (src) {
		sqe->src = addr;
		sqe->src_len = len;
	} else {
		sqe->dst = addr;
		sqe->dst_len = len;
	}
}

const char *const var_name[] = {
	"flat", "SGL source", "SGL destination", "SGL both" };

int nr_variants(size_t n)
{
	return n <= SGL_MAX ? 4 : 1;
}

struct wd_soft_cqe run(struct ctx *c, uint16_t op, uint32_t params,
		       const void *src, size_t n, size_t cap, int var,
		       void **out)
{
	struct tbuf s, d;
	struct wd_soft_sqe sqe = { .user_data = ++c->ud, .op = op,
				   .params = params };
	struct wd_soft_cqe cqe;
	uint8_t *o = NULL;

	c->q.ss_used = 0;
	tb_alloc(c, &s, n, var & 1, c->ud * 7 + 1);
	tb_alloc(c, &d, cap, var & 2, c->ud * 13 + 5);
	tb_put(&s, src, n);
	/* a destination the device must overwrite */
	if (d.sgl) {
		for (uint32_t i = 0; i < d.nents; i++)
			memset(d.mem + d.off[i], 0xa5, d.sge[i].len);
	} else {
		memset(d.mem, 0xa5, cap);
	}
	tb_sqe(c, &s, true, &sqe);
	tb_sqe(c, &d, false, &sqe);
	cqe = t_q_run(&c->q, &sqe);
	if (cqe.status == WD_SOFT_S_OK) {
		if (cqe.out_len > cap)
			T_FAIL("out_len %u > destination of %zu bytes",
			       cqe.out_len, cap);
		o = xmalloc(cqe.out_len + 1);
		tb_get(&d, o, cqe.out_len);
	}
	if (out)
		*out = o;
	else
		free(o);
	tb_free(&s);
	tb_free(&d);
	return cqe;
}

const char *stname(uint32_t st)
{
	static const char *const n[] = { "OK", "BAD_OP", "BAD_ADDR",
		"DST_SMALL", "CORRUPT", "DEV_ERR", "CANCELED", "INVAL" };

	return st < 8 ? n[st] : "?";
}
