/* SPDX-License-Identifier: GPL-2.0 */
/*
 * algs.h: what t_algs and t_algs_comp share (algs.c): test data, files and
 * shell commands, a queue in one memory mode, and one request run through
 * buffers flat or described by SGLs.
 *
 * Sizes 0, 1, 4095, 64 KiB - 1, 64 KiB, 64 KiB + 1, 1 MiB (text; random
 * too in sva) and one multi-MiB case per mode: 5 MiB in sva and pasid,
 * 3 MiB (hashes) / 2 MiB (compression) / 2 MiB - 8 KiB (copy) in noiommu,
 * whose SS region (where every buffer of a noiommu request must be) holds
 * at most 4 MiB. Scatter-gather lists on the source, the destination or
 * both (pieces in shuffled order with gaps and empty entries) for every
 * operation up to 1 MiB.
 */
#ifndef WD_TESTS_VM_ALGS_H
#define WD_TESTS_VM_ALGS_H

#include "t.h"

#include <zlib.h>

enum mode { SVA, PASID, NOIOMMU };
extern const char *const mode_opt[];
extern const char *const mode_name[];

#define MiB (1u << 20)
/* the SS region of pasid queues (noiommu: the device's limit, 4 MiB) */
#define SS_PASID (16 * MiB)
/* SGL variants up to this size; larger buffers are flat only */
#define SGL_MAX MiB

/* ---- data, files, programs ---- */

void *xmalloc(size_t n);
/* data of size n: random when @random, else text */
uint8_t *gen(size_t n, bool random, uint64_t seed);
/* /tmp/t_algs.<pid>.<what> */
void tmp_path(char *buf, size_t len, const char *what);
void write_file(const char *path, const void *data, size_t len);
/* a whole file into a new buffer */
void *read_whole(const char *path, size_t *len);
/* a shell command (busybox sh); its exit status */
int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- zlib (user space, linked statically): the references ---- */

/* inflate with windowBits -15 (raw), 15 (zlib) or 31 (gzip); the stream
 * must end exactly at the end of the input. 0 or -1 */
int ref_inflate(const void *in, size_t in_len, void *out, size_t cap,
		size_t *out_len, int wbits);
/* deflate at @level, windowBits -15, 15 or 31 (gzip, with @hdr if given);
 * the output in a new buffer */
void ref_deflate(const void *in, size_t in_len, int level, int wbits,
		 gz_header *hdr, void **out, size_t *out_len);

/* ---- a queue in one mode, and requests ---- */

struct ctx {
	struct t_inst in;
	struct t_q q;
	enum mode mode;
	uint64_t ud;
	uint64_t t0;
};

void ctx_init(struct ctx *c, enum mode m);
/* the same, with more t_inst_create() options */
void ctx_init_opts(struct ctx *c, enum mode m, const char *more);
void ctx_fini(struct ctx *c, const char *what);

/* the multi-MiB size of this mode (for hashes, compression, copy) */
enum big_kind { BIG_HASH, BIG_COMP, BIG_COPY };

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

struct size_set sizes(const struct ctx *c, enum big_kind k);

/* variants: 0 flat/flat, 1 SGL source, 2 SGL destination, 3 both */
extern const char *const var_name[];
int nr_variants(size_t n);

/*
 * One request: n bytes of src in, a destination of cap bytes. Returns the
 * CQE; with OK, the out_len bytes of output in a new buffer *out.
 */
struct wd_soft_cqe run(struct ctx *c, uint16_t op, uint32_t params,
		       const void *src, size_t n, size_t cap, int var,
		       void **out);

const char *stname(uint32_t st);

#define ST_OK(cqe, ...) do {						\
	if ((cqe).status != WD_SOFT_S_OK) {				\
		char _w[256];						\
		snprintf(_w, sizeof(_w), __VA_ARGS__);			\
		T_FAIL("%s: status %s", _w, stname((cqe).status));	\
	}								\
} while (0)

#endif
