// SPDX-License-Identifier: GPL-2.0
/*
 * t_algs: every memory mode x the hashes, COPY and NOP of the kernel host
 * (wd_soft), and the algorithms every instance offers, against references
 * independent of the kernel's backends (compression: t_algs_comp):
 *
 *  COPY       memcmp
 *  CRC32C     a bitwise CRC-32C written here from the definition (reflected
 *             polynomial 0x82f63b78), itself checked on the RFC 3720 vectors;
 *             the device's convention is the raw register update,
 *             result = crc32c(seed, data), no inversion (docs/soft-device.md)
 *  SHA256     the sha256sum program (busybox), and FIPS 180's "abc"
 *
 * The sizes and SGL variants of every test: algs.h.
 */
#include "algs.h"
#include "ref.h"

#include <stdlib.h>
#include <unistd.h>

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
