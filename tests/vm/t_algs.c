// SPDX-License-Identifier: GPL-2.0
/*
 * t_algs: every memory mode x every algorithm of the kernel host (wd_soft)
 * against references independent of the kernel's backends:
 *
 *  COPY       memcmp
 *  CRC32C     a bitwise CRC-32C written here from the definition (reflected
 *             polynomial 0x82f63b78), itself checked on the RFC 3720 vectors;
 *             the device's convention is the raw register update,
 *             result = crc32c(seed, data), no inversion (docs/soft-device.md)
 *  SHA256     the sha256sum program (busybox), and FIPS 180's "abc"
 *  DEFLATE,   the device's output inflated by user-space zlib (linked in
 *  ZLIB_COMP  statically); data made by zlib's deflate at levels 1, 6, 9
 *             decompressed by the device
 *  GZIP_COMP  the device's output decompressed by the gzip program
 *             (busybox: its own inflate, not zlib), and its header
 *             checked against the datasheet; data made by the gzip program
 *             (busybox's has one level, its default) and by zlib's gzip
 *             writer (levels 1, 6, 9; every header field; several members)
 *             decompressed by the device
 *
 * Compressed bytes are not a contract (the kernel's zlib is not user
 * space's): compression is checked by decoding, never byte for byte, and
 * also by a round trip through the device's own decompressor.
 *
 * Sizes 0, 1, 4095, 64 KiB - 1, 64 KiB, 64 KiB + 1, 1 MiB (text; random
 * too in sva) and one multi-MiB case per mode: 5 MiB in sva and pasid,
 * 3 MiB (hashes) / 2 MiB (compression) / 2 MiB - 8 KiB (copy) in noiommu,
 * whose SS region (where every buffer of a noiommu request must be) holds
 * at most 4 MiB. The device compresses at levels 1, 6, 9 and 0 (the
 * default) up to 64 KiB + 1 in every mode and up to 1 MiB in sva, at 1 and
 * 0 above that; zlib's data to decompress is made at 1, 6, 9 on the same
 * terms, else at 6. Level 9 of 5 MiB of text takes about 9 s under TCG per
 * format and mode and tests nothing the 1 MiB case does not (the engine
 * streams through 64 KiB chunks either way); the memory mode changes how
 * the engine reaches the buffers, not what the algorithms do with them.
 * Scatter-gather lists on the source, the destination or both (pieces in
 * shuffled order with gaps and empty entries) for every operation up to
 * 1 MiB. T_ALGS_TIMES=1 prints how long each compression step takes.
 */
#include "ref.h"
#include "t.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>


enum mode { SVA, PASID, NOIOMMU };
static const char *const mode_opt[] = { "mode=sva", "mode=pasid", "mode=noiommu" };
static const char *const mode_name[] = { "sva", "pasid", "noiommu" };

#define MiB (1u << 20)
/* the SS region of pasid queues (noiommu: the device's limit, 4 MiB) */
#define SS_PASID (16 * MiB)
/* SGL variants up to this size; larger buffers are flat only */
#define SGL_MAX MiB

/* ---- data, files, programs ---- */

static void *xmalloc(size_t n)
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

/* data of size n: random when @random, else text */
static uint8_t *gen(size_t n, bool random, uint64_t seed)
{
	uint8_t *p = xmalloc(n + 1);

	if (random)
		t_fill_random(p, n, seed);
	else
		fill_text(p, n, seed);
	return p;
}

static void tmp_path(char *buf, size_t len, const char *what)
{
	snprintf(buf, len, "/tmp/t_algs.%d.%s", (int)getpid(), what);
}

static void write_file(const char *path, const void *data, size_t len)
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

/* a whole file into a new buffer */
static void *read_whole(const char *path, size_t *len)
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

/* a shell command (busybox sh); its exit status */
static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
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

/* ---- references ---- */

/* CRC-32C: ref_crc32c_raw() and ref_crc32c(), tests/lib/ref.c */

static int unhex(char c)
{
	return c >= '0' && c <= '9' ? c - '0' :
	       c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* SHA-256 of data by the sha256sum program */
static void ref_sha256sum(const void *data, size_t len, uint8_t digest[32])
{
	char in[128], out[128], *txt;
	size_t n;

	tmp_path(in, sizeof(in), "sha.in");
	tmp_path(out, sizeof(out), "sha.out");
	write_file(in, data, len);
	if (sh("sha256sum %s >%s", in, out))
		T_FAIL("sha256sum failed");
	txt = read_whole(out, &n);
	T_ASSERT_MSG(n >= 64, "sha256sum printed %zu bytes", n);
	for (int i = 0; i < 32; i++) {
		int hi = unhex(txt[2 * i]), lo = unhex(txt[2 * i + 1]);

		if (hi < 0 || lo < 0)
			T_FAIL("sha256sum printed \"%.64s\"", txt);
		digest[i] = (uint8_t)(hi << 4 | lo);
	}
	free(txt);
	unlink(in);
	unlink(out);
}

/* gzip -dc of data: 0 and the output (new buffer), or the exit status */
static int ref_gunzip(const void *data, size_t len, void **out, size_t *out_len)
{
	char in[128], o[128];
	int st;

	tmp_path(in, sizeof(in), "gz");
	tmp_path(o, sizeof(o), "gunzip");
	write_file(in, data, len);
	st = sh("gzip -dc %s >%s 2>/dev/null", in, o);
	*out = st ? NULL : read_whole(o, out_len);
	unlink(in);
	unlink(o);
	return st;
}

/* the gzip program's output at level @level (0: its default) */
static void ref_gzip_prog(const void *data, size_t len, int level, void **out,
			  size_t *out_len)
{
	char in[128], o[128], lv[8] = "";

	tmp_path(in, sizeof(in), "plain");
	tmp_path(o, sizeof(o), "plain.gz");
	write_file(in, data, len);
	if (level)
		snprintf(lv, sizeof(lv), "-%d", level);
	if (sh("gzip %s -c %s >%s", lv, in, o))
		T_FAIL("gzip %s failed", lv);
	*out = read_whole(o, out_len);
	unlink(in);
	unlink(o);
}

/* zlib's inflate: windowBits -15 (raw), 15 (zlib) or 31 (gzip); the stream
 * must end exactly at the end of the input. 0 or -1 */
static int ref_inflate(const void *in, size_t in_len, void *out, size_t cap,
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
static void ref_deflate(const void *in, size_t in_len, int level, int wbits,
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

struct ctx {
	struct t_inst in;
	struct t_q q;
	enum mode mode;
	uint64_t ud;
	uint64_t t0;
};

static void ctx_init(struct ctx *c, enum mode m)
{
	memset(c, 0, sizeof(*c));
	c->mode = m;
	c->t0 = t_now_ms();
	c->in = t_inst_create(mode_opt[m]);
	t_q_setup(&c->q, c->in.ua);
	if (m != SVA) {
		long long max = t_ss_max(c->in.ua);
		size_t ss = m == NOIOMMU ? 4 * MiB : SS_PASID;

		if (max > 0 && (long long)ss > max)
			ss = max;
		t_q_map_ss(&c->q, ss);
	}
}

static void ctx_fini(struct ctx *c, const char *what)
{
	t_note("%s %s: %.1f s", mode_name[c->mode], what,
	       (t_now_ms() - c->t0) / 1000.0);
	t_q_close(&c->q);
	t_inst_delete(&c->in);
}

/* the multi-MiB size of this mode (for hashes, compression, copy) */
enum big_kind { BIG_HASH, BIG_COMP, BIG_COPY };

static size_t big_size(const struct ctx *c, enum big_kind k)
{
	if (c->mode != NOIOMMU)
		return 5 * MiB;
	/* src and dst (and the SGL arrays) share the 4 MiB SS region */
	return k == BIG_HASH ? 3 * MiB : k == BIG_COMP ? 2 * MiB :
	       2 * MiB - 8192;
}

/*
 * The sizes of a test: n[i], and whether that data is random (else text).
 * 1 MiB of random data in sva only: the memory mode changes how the engine
 * reaches the buffers, not what the algorithms do with them.
 */
struct size_set {
	size_t n[9];
	bool random[9];
	unsigned int nr;
};

static struct size_set sizes(const struct ctx *c, enum big_kind k)
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

/* variants: 0 flat/flat, 1 SGL source, 2 SGL destination, 3 both */
static const char *const var_name[] = {
	"flat", "SGL source", "SGL destination", "SGL both" };

static int nr_variants(size_t n)
{
	return n <= SGL_MAX ? 4 : 1;
}

/*
 * One request: n bytes of src in, a destination of cap bytes. Returns the
 * CQE; with OK, the out_len bytes of output in a new buffer *out.
 */
static struct wd_soft_cqe run(struct ctx *c, uint16_t op, uint32_t params,
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
	if (s.sgl) {
		sqe.flags |= WD_SOFT_SQE_F_SRC_SGL;
		sqe.src = t_q_addr(&c->q, s.sge);
		sqe.src_len = s.nents;
	} else {
		sqe.src = t_q_addr(&c->q, s.mem);
		sqe.src_len = n;
	}
	if (d.sgl) {
		sqe.flags |= WD_SOFT_SQE_F_DST_SGL;
		sqe.dst = t_q_addr(&c->q, d.sge);
		sqe.dst_len = d.nents;
	} else {
		sqe.dst = t_q_addr(&c->q, d.mem);
		sqe.dst_len = cap;
	}
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

static const char *stname(uint32_t st)
{
	static const char *const n[] = { "OK", "BAD_OP", "BAD_ADDR",
		"DST_SMALL", "CORRUPT", "DEV_ERR", "CANCELED", "INVAL" };

	return st < 8 ? n[st] : "?";
}

#define ST_OK(cqe, ...) do {						\
	if ((cqe).status != WD_SOFT_S_OK) {				\
		char _w[256];						\
		snprintf(_w, sizeof(_w), __VA_ARGS__);			\
		T_FAIL("%s: status %s", _w, stname((cqe).status));	\
	}								\
} while (0)

/* ---- copy ---- */

static void t_copy(enum mode m)
{
	struct ctx c;

	ctx_init(&c, m);
	struct size_set ss = sizes(&c, BIG_COPY);

	for (unsigned int i = 0; i < ss.nr; i++) {
		size_t n = ss.n[i];
		uint8_t *src = gen(n, ss.random[i], n + i);

		for (int v = 0; v < nr_variants(n); v++) {
			void *out;
			struct wd_soft_cqe cqe = run(&c, WD_SOFT_OP_COPY, 0, src, n,
						     n, v, &out);

			ST_OK(cqe, "COPY of %zu bytes, %s", n, var_name[v]);
			T_EQ(cqe.out_len, n);
			T_ASSERT_MSG(!memcmp(out, src, n),
				     "COPY of %zu bytes (%s): output differs",
				     n, var_name[v]);
			free(out);
		}
		free(src);
	}
	ctx_fini(&c, "copy");
}

T_TEST_TMO(sva_copy, 120) { t_copy(SVA); }
T_TEST_TMO(pasid_copy, 120) { t_copy(PASID); }
T_TEST_TMO(noiommu_copy, 120) { t_copy(NOIOMMU); }

/* ---- crc32c ---- */

static uint32_t dev_crc(struct ctx *c, uint32_t seed, const void *src,
			size_t n, int var)
{
	void *out;
	struct wd_soft_cqe cqe = run(c, WD_SOFT_OP_CRC32C, seed, src, n,
				     4 + var, var, &out);
	uint8_t *o = out;
	uint32_t v;

	ST_OK(cqe, "CRC32C of %zu bytes, %s", n, var_name[var]);
	T_EQ(cqe.out_len, 4);
	/* little-endian */
	v = o[0] | o[1] << 8 | o[2] << 16 | (uint32_t)o[3] << 24;
	free(out);
	return v;
}

/* RFC 3720 B.4: 32 bytes of 0, of 0xff, incrementing, decrementing */
static const uint32_t rfc3720[4] = {
	0x8a9136aa, 0x62a8ab43, 0x46dd794e, 0x113fdb5c,
};

static void rfc3720_data(int kind, uint8_t buf[32])
{
	for (int k = 0; k < 32; k++)
		buf[k] = kind == 0 ? 0 : kind == 1 ? 0xff :
			 kind == 2 ? (uint8_t)k : (uint8_t)(31 - k);
}

static void t_crc32c(enum mode m)
{
	uint8_t buf[32];
	struct ctx c;

	/* the reference itself, on the published check values */
	for (int k = 0; k < 4; k++) {
		rfc3720_data(k, buf);
		T_EQ_HEX(ref_crc32c(0, buf, 32), rfc3720[k]);
	}
	T_EQ_HEX(ref_crc32c(0, "123456789", 9), 0xe3069283);
	T_EQ_HEX(ref_crc32c_raw(~0u, "123456789", 9), 0x1cf96d7c);

	ctx_init(&c, m);
	/* the device: raw register, so the standard CRC is ~dev(~0, data) */
	for (int k = 0; k < 4; k++) {
		rfc3720_data(k, buf);
		T_EQ_HEX(~dev_crc(&c, ~0u, buf, 32, k), rfc3720[k]);
	}
	/* the datasheet's example: seed ~0 over "123456789", no inversion */
	T_EQ_HEX(dev_crc(&c, ~0u, "123456789", 9, 0), 0x1cf96d7c);
	T_EQ_HEX(dev_crc(&c, 0, "", 0, 0), 0);
	T_EQ_HEX(dev_crc(&c, 0x12345678, "", 0, 3), 0x12345678);

	struct size_set ss = sizes(&c, BIG_HASH);

	for (unsigned int i = 0; i < ss.nr; i++) {
		size_t n = ss.n[i];
		uint8_t *src = gen(n, ss.random[i], 3 * n + i);

		for (int v = 0; v < nr_variants(n); v++) {
			uint32_t seed = v == 0 ? 0 : v == 1 ? ~0u :
					0x9e3779b9u * (uint32_t)v;

			T_EQ_HEX(dev_crc(&c, seed, src, n, v),
				 ref_crc32c_raw(seed, src, n));
		}
		/* chaining through params: crc(crc(s, a), b) = crc(s, a|b) */
		if (n > 2) {
			uint32_t r = dev_crc(&c, ~0u, src, n / 3, 0);

			r = dev_crc(&c, r, src + n / 3, n - n / 3, 0);
			T_EQ_HEX(~r, ref_crc32c(0, src, n));
		}
		free(src);
	}
	ctx_fini(&c, "crc32c");
}

T_TEST_TMO(sva_crc32c, 120) { t_crc32c(SVA); }
T_TEST_TMO(pasid_crc32c, 120) { t_crc32c(PASID); }
T_TEST_TMO(noiommu_crc32c, 120) { t_crc32c(NOIOMMU); }

/* ---- sha256 ---- */

static void t_sha256(enum mode m)
{
	static const uint8_t abc[32] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
		0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
		0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
	};
	struct wd_soft_cqe cqe;
	uint8_t ref[32];
	struct ctx c;
	void *out;

	ctx_init(&c, m);
	cqe = run(&c, WD_SOFT_OP_SHA256, 0, "abc", 3, 32, 0, &out);
	ST_OK(cqe, "SHA256 of \"abc\"");
	T_EQ(cqe.out_len, 32);
	T_ASSERT_MSG(!memcmp(out, abc, 32), "SHA-256(\"abc\") is wrong");
	free(out);

	struct size_set ss = sizes(&c, BIG_HASH);

	for (unsigned int i = 0; i < ss.nr; i++) {
		size_t n = ss.n[i];
		uint8_t *src = gen(n, ss.random[i], 5 * n + i);

		ref_sha256sum(src, n, ref);
		for (int v = 0; v < nr_variants(n); v++) {
			/* a destination larger than 32 bytes is fine */
			cqe = run(&c, WD_SOFT_OP_SHA256, 0, src, n, 32 + v, v,
				  &out);
			ST_OK(cqe, "SHA256 of %zu bytes, %s", n, var_name[v]);
			T_EQ(cqe.out_len, 32);
			T_ASSERT_MSG(!memcmp(out, ref, 32),
				     "SHA-256 of %zu bytes (%s) differs from "
				     "sha256sum's", n, var_name[v]);
			free(out);
		}
		free(src);
	}
	ctx_fini(&c, "sha256");
}

T_TEST_TMO(sva_sha256, 120) { t_sha256(SVA); }
T_TEST_TMO(pasid_sha256, 120) { t_sha256(PASID); }
T_TEST_TMO(noiommu_sha256, 120) { t_sha256(NOIOMMU); }

/* ---- compression ---- */

enum fmt { RAW, ZLIB, GZIP };

static const uint16_t comp_op[] = {
	WD_SOFT_OP_DEFLATE, WD_SOFT_OP_ZLIB_COMP, WD_SOFT_OP_GZIP_COMP,
};
static const uint16_t decomp_op[] = {
	WD_SOFT_OP_INFLATE, WD_SOFT_OP_ZLIB_DECOMP, WD_SOFT_OP_GZIP_DECOMP,
};
static const char *const fmt_name[] = { "deflate", "zlib", "gzip" };
static const int fmt_wbits[] = { -15, 15, 31 };

/* room for the compressed stream; noiommu's big text case fits in half */
static size_t comp_cap(const struct ctx *c, size_t n)
{
	if (c->mode == NOIOMMU && n > MiB)
		return n / 2;
	return n + n / 8 + 1024;
}

/*
 * The device's compressed output must decode to src by the reference:
 * the gzip program for gzip (plus its header as the datasheet gives it),
 * zlib's inflate for raw deflate and zlib streams.
 */
static void check_comp(enum fmt f, int level, const uint8_t *comp, size_t clen,
		       const void *src, size_t n, const char *what)
{
	size_t got = 0;
	void *dec;

	if (f == GZIP) {
		T_ASSERT_MSG(clen >= 18 && comp[0] == 0x1f && comp[1] == 0x8b &&
			     comp[2] == 8, "%s: not a gzip member", what);
		/* FLG 0, MTIME 0, XFL 2 (level 9) / 4 (level 1) / 0, OS 3 */
		T_ASSERT_MSG(comp[3] == 0 && !comp[4] && !comp[5] && !comp[6] &&
			     !comp[7] && comp[9] == 3,
			     "%s: gzip header %02x %02x%02x%02x%02x %02x %02x",
			     what, comp[3], comp[4], comp[5], comp[6], comp[7],
			     comp[8], comp[9]);
		T_ASSERT_MSG(comp[8] == (level == 9 ? 2 : level == 1 ? 4 : 0),
			     "%s: XFL %u at level %d", what, comp[8], level);
		int st = ref_gunzip(comp, clen, &dec, &got);

		if (st)
			T_FAIL("%s: gzip -d rejects the device's output "
			       "(status %d)", what, st);
	} else {
		dec = xmalloc(n + 1);
		if (ref_inflate(comp, clen, dec, n + 1, &got, fmt_wbits[f]))
			T_FAIL("%s: zlib's inflate rejects the device's output",
			       what);
	}
	T_ASSERT_MSG(got == n, "%s: decodes to %zu bytes, not %zu", what, got,
		     n);
	T_ASSERT_MSG(!memcmp(dec, src, n), "%s: decodes to other data", what);
	free(dec);
}

/* decompression by the device must give back exactly src */
static void dev_decomp(struct ctx *c, enum fmt f, const void *comp,
		       size_t clen, const void *src, size_t n, int var,
		       const char *what)
{
	void *out;
	struct wd_soft_cqe cqe = run(c, decomp_op[f], 0, comp, clen, n, var,
				     &out);

	ST_OK(cqe, "%s, decompressed by the device (%s)", what, var_name[var]);
	T_ASSERT_MSG(cqe.out_len == n, "%s, decompressed by the device (%s): "
		     "out_len %u, not %zu", what, var_name[var], cqe.out_len, n);
	T_ASSERT_MSG(!memcmp(out, src, n), "%s, decompressed by the device "
		     "(%s): other data", what, var_name[var]);
	free(out);
}

/* T_ALGS_TIMES=1: how long each step takes (to keep the program's time in check) */
static void step(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void step(const char *fmt, ...)
{
	static uint64_t last;
	uint64_t now = t_now_ms();
	char buf[256];
	va_list ap;

	if (!getenv("T_ALGS_TIMES"))
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (last)
		t_note("%5llu ms  %s", (unsigned long long)(now - last), buf);
	last = now;
}

/*
 * Levels the device compresses at: all of 1, 6, 9 and 0 (the default) up
 * to 64 KiB + 1 in every mode and at 1 MiB in sva; 1 and 0 otherwise.
 * Levels of the reference's data: 1, 6, 9 up to 64 KiB + 1 in every mode
 * and at 1 MiB in sva; 6 otherwise. (Level 9 of 5 MiB of text alone takes
 * about 9 s under TCG, per format and mode.)
 */
static bool dev_level(const struct ctx *c, size_t n, int level)
{
	return n <= 65537 || (c->mode == SVA && n <= MiB) ||
	       level == 1 || level == 0;
}

static bool ref_level(const struct ctx *c, size_t n, int level)
{
	return n <= 65537 || (c->mode == SVA && n <= MiB) || level == 6;
}

static void t_fmt(enum mode m, enum fmt f)
{
	static const int levels[] = { 1, 6, 9, 0 };
	struct wd_soft_cqe cqe;
	char what[160];
	struct ctx c;

	ctx_init(&c, m);
	struct size_set ss = sizes(&c, BIG_COMP);

	step("start");
	for (unsigned int i = 0; i < ss.nr; i++) {
		size_t n = ss.n[i], rlen;
		uint8_t *src = gen(n, ss.random[i], 11 * n + i);
		const char *kind = ss.random[i] ? "random" : "text";
		void *out, *ref;
		int var = 0;

		/* the device compresses; the SGL variants take turns */
		for (unsigned int l = 0; l < 4; l++) {
			if (!dev_level(&c, n, levels[l]))
				continue;
			var = (var + 1) % nr_variants(n);
			snprintf(what, sizeof(what), "%s %s level %d of %zu %s "
				 "bytes, %s", mode_name[m], fmt_name[f],
				 levels[l], n, kind, var_name[var]);
			cqe = run(&c, comp_op[f], levels[l], src, n,
				  comp_cap(&c, n), var, &out);
			ST_OK(cqe, "%s", what);
			step("%s: compressed to %u", what, cqe.out_len);
			check_comp(f, levels[l], out, cqe.out_len, src, n, what);
			step("%s: checked by the reference", what);
			/* and back through the device, other SGL sides */
			dev_decomp(&c, f, out, cqe.out_len, src, n,
				   (var ^ 3) % nr_variants(n), what);
			step("%s: decompressed by the device", what);
			free(out);
		}
		/* data made by zlib */
		for (unsigned int l = 0; l < 3; l++) {
			if (!ref_level(&c, n, levels[l]))
				continue;
			ref_deflate(src, n, levels[l], fmt_wbits[f], NULL, &ref,
				    &rlen);
			snprintf(what, sizeof(what), "%s %s made by zlib at level "
				 "%d, %zu %s bytes", mode_name[m], fmt_name[f],
				 levels[l], n, kind);
			step("%s: made", what);
			for (int v = 0; v < nr_variants(n); v++)
				if (v == 0 || n <= 65537 || v == (int)l + 1)
					dev_decomp(&c, f, ref, rlen, src, n, v,
						   what);
			step("%s: decompressed by the device", what);
			free(ref);
		}
		/* the gzip program's (busybox's has one level, its default) */
		if (f == GZIP) {
			ref_gzip_prog(src, n, 0, &ref, &rlen);
			snprintf(what, sizeof(what), "%s gzip made by the gzip "
				 "program, %zu %s bytes", mode_name[m], n, kind);
			step("%s: made", what);
			dev_decomp(&c, f, ref, rlen, src, n,
				   n <= SGL_MAX ? (int)(i % 4) : 0, what);
			step("%s: decompressed by the device", what);
			free(ref);
		}
		free(src);
	}
	ctx_fini(&c, fmt_name[f]);
}

T_TEST_TMO(sva_deflate, 240) { t_fmt(SVA, RAW); }
T_TEST_TMO(sva_zlib, 240) { t_fmt(SVA, ZLIB); }
T_TEST_TMO(sva_gzip, 240) { t_fmt(SVA, GZIP); }
T_TEST_TMO(pasid_deflate, 240) { t_fmt(PASID, RAW); }
T_TEST_TMO(pasid_zlib, 240) { t_fmt(PASID, ZLIB); }
T_TEST_TMO(pasid_gzip, 240) { t_fmt(PASID, GZIP); }
T_TEST_TMO(noiommu_deflate, 240) { t_fmt(NOIOMMU, RAW); }
T_TEST_TMO(noiommu_zlib, 240) { t_fmt(NOIOMMU, ZLIB); }
T_TEST_TMO(noiommu_gzip, 240) { t_fmt(NOIOMMU, GZIP); }

/*
 * gzip as other writers make it: header fields (FNAME, FCOMMENT, FEXTRA,
 * FHCRC, an MTIME) by zlib's gzip writer, several members back to back
 * (one of them empty), the empty input's member; and the device's members
 * concatenated decode with the gzip program as one file.
 */
static void t_gzip_members(enum mode m)
{
	static char name[] = "file.txt", comment[] = "a comment";
	static unsigned char extra[] = { 'W', 'D', 4, 0, 1, 2, 3, 4 };
	gz_header h = { .text = 1, .time = 1700000000, .os = 3,
			.extra = extra, .extra_len = sizeof(extra),
			.name = (Bytef *)name, .comment = (Bytef *)comment,
			.hcrc = 1 };
	size_t n1 = 70000, n2 = 3000, l1, l2, le, ld1, ld2, got;
	uint8_t *a = gen(n1, false, 1), *b = gen(n2, true, 2), *cat, *both;
	void *g1, *g2, *ge, *d1, *d2, *out;
	struct wd_soft_cqe cqe;
	struct ctx c;

	ctx_init(&c, m);
	ref_deflate(a, n1, 9, 31, &h, &g1, &l1);
	ref_deflate(b, n2, 1, 31, NULL, &g2, &l2);
	ref_deflate("", 0, 6, 31, NULL, &ge, &le);
	/* FTEXT, FHCRC, FEXTRA, FNAME, FCOMMENT */
	T_EQ_HEX(((uint8_t *)g1)[3], 0x1f);
	cat = xmalloc(l1 + l2 + le);
	memcpy(cat, g1, l1);
	memcpy(cat + l1, ge, le);
	memcpy(cat + l1 + le, g2, l2);
	both = xmalloc(n1 + n2);
	memcpy(both, a, n1);
	memcpy(both + n1, b, n2);
	for (int v = 0; v < 4; v++)
		dev_decomp(&c, GZIP, cat, l1 + le + l2, both, n1 + n2, v,
			   "three members, the first with every header field");
	dev_decomp(&c, GZIP, ge, le, "", 0, 0, "the empty input's member");

	/* the device's members, concatenated, are one gzip file */
	cqe = run(&c, WD_SOFT_OP_GZIP_COMP, 9, a, n1, n1 + 1024, 1, &d1);
	ST_OK(cqe, "GZIP_COMP");
	ld1 = cqe.out_len;
	cqe = run(&c, WD_SOFT_OP_GZIP_COMP, 1, b, n2, n2 + 1024, 2, &d2);
	ST_OK(cqe, "GZIP_COMP");
	ld2 = cqe.out_len;
	free(cat);
	cat = xmalloc(ld1 + ld2);
	memcpy(cat, d1, ld1);
	memcpy(cat + ld1, d2, ld2);
	T_EQ(ref_gunzip(cat, ld1 + ld2, &out, &got), 0);
	T_EQ(got, n1 + n2);
	T_ASSERT(!memcmp(out, both, n1 + n2));
	free(out);
	dev_decomp(&c, GZIP, cat, ld1 + ld2, both, n1 + n2, 3,
		   "the device's two members");
	free(a);
	free(b);
	free(cat);
	free(both);
	free(g1);
	free(g2);
	free(ge);
	free(d1);
	free(d2);
	ctx_fini(&c, "gzip members");
}

TEST(sva_gzip_members) { t_gzip_members(SVA); }
TEST(pasid_gzip_members) { t_gzip_members(PASID); }
TEST(noiommu_gzip_members) { t_gzip_members(NOIOMMU); }

/* NOP in every mode: OK, out_len 0, whatever the addresses say */
static void t_nop(enum mode m)
{
	struct wd_soft_sqe sqe = {
		.user_data = 0x1234567890abcdefull, .op = WD_SOFT_OP_NOP,
		.flags = WD_SOFT_SQE_F_SRC_SGL | WD_SOFT_SQE_F_DST_SGL,
		.src = 0xdead0000, .src_len = 123, .dst = 0xbeef0000,
		.dst_len = 456,
	};
	struct wd_soft_cqe cqe;
	struct ctx c;

	ctx_init(&c, m);
	cqe = t_q_run(&c.q, &sqe);
	T_EQ(cqe.status, WD_SOFT_S_OK);
	T_EQ(cqe.out_len, 0);
	ctx_fini(&c, "nop");
}

TEST(sva_nop) { t_nop(SVA); }
TEST(pasid_nop) { t_nop(PASID); }
TEST(noiommu_nop) { t_nop(NOIOMMU); }

/* what every instance offers */
TEST(algorithms)
{
	char buf[256];
	struct t_inst in;

	for (int m = SVA; m <= NOIOMMU; m++) {
		in = t_inst_create(mode_opt[m]);
		T_ASSERT(t_attr_str(in.ua, "algorithms", buf, sizeof(buf)) > 0);
		T_STREQ(buf, "nop\ncopy\ncrc32c\nsha256\ndeflate\nzlib\ngzip");
		t_inst_delete(&in);
	}
}
