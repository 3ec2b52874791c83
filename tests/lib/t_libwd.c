// SPDX-License-Identifier: MIT
/*
 * t_libwd: the tests of libwd (include/wd.h), one source for every device.
 *
 * Built natively (T_NATIVE: on the in-process device, "local:MODE"; also
 * with ASan and UBSan) and statically for the VM (on wd_soft instances the
 * test creates, "/dev/uaN"). Tests named NAME.sva, NAME.pasid and
 * NAME.noiommu run once per memory mode; the discovery tests need the VM's
 * sysfs. Results are checked against independent references: zlib for the
 * compression formats, ref.c for SHA-256 and CRC-32C.
 *
 * The runner is the VM suite's (tests/vm/t.c): each test in its own child,
 * PASS:/FAIL:/SKIP: lines. This file holds the memory modes, the helpers
 * and the references' own test; each t_libwd_*.c one theme's tests
 * (t_libwd.h, tests/lib/Makefile).
 */
#include "t_libwd.h"

#ifdef T_NATIVE
/* the device operations of the in-process device behind a queue */
#include "wd_ctl.h"
#endif

/* ---- memory modes ---- */

char g_dev[WD_DEV_PATH_MAX];
int g_id = -1;
uint32_t g_mode;
const char *g_mode_name;

/* a second device of the same mode ("" natively: the same device) */
void other_dev(char *buf)
{
#ifdef T_NATIVE
	strcpy(buf, g_dev);
#else
	char opts[32];

	snprintf(opts, sizeof(opts), "mode=%s", g_mode_name);
	t_dev_path(t_inst_create(opts).ua, buf);
#endif
}

void use_mode(const char *name, uint32_t mode)
{
	g_mode = mode;
	g_mode_name = name;
#ifdef T_NATIVE
	snprintf(g_dev, sizeof(g_dev), "local:%s", name);
#else
	char opts[32];
	struct t_inst in;

	snprintf(opts, sizeof(opts), "mode=%s", name);
	in = t_inst_create(opts);
	g_id = in.id;
	t_dev_path(in.ua, g_dev);
#endif
}

void vm_only(void)
{
#ifdef T_NATIVE
	t_skip("needs wd_soft devices in sysfs (VM)");
#endif
}

void native_only(void)
{
#ifndef T_NATIVE
	t_skip("the in-process device: native build only");
#endif
}

/* ---- helpers ---- */

/*
 * Hold the engines of @q's device (VM: of instance @id): they take no
 * request until released, so that "not done yet" is a certainty.
 */
void dev_hold(struct wd_queue *q, int id, bool on)
{
#ifdef T_NATIVE
	(void)id;
	T_EQ(wd_ctl_attr_set(q->dev_path, "hold", on ? "1" : "0"), 0);
#else
	(void)q;
	t_hold(id, on);
#endif
}

#ifndef T_NATIVE
/* the engine threads of instance @id (kthreads "wd_soft<id>/<n>"): how
 * many, and how many of them sleep into *@asleep */
static int vm_engines(int id, int *asleep)
{
	char pre[32], path[64], comm[64];
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0, len;

	T_ASSERT(d);
	snprintf(pre, sizeof(pre), "wd_soft%d/", id);
	*asleep = 0;
	while ((e = readdir(d))) {
		int pid = atoi(e->d_name);

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/comm", pid);
		len = t_read_file(path, comm, sizeof(comm) - 1);
		if (len <= 0)
			continue;
		comm[len] = 0;
		if (strncmp(comm, pre, strlen(pre)))
			continue;
		n++;
		*asleep += t_task_state(pid) == 'S';
	}
	closedir(d);
	return n;
}
#endif

/*
 * Wait until every engine of the device (VM: of instance @id; natively:
 * of this process) sleeps. An engine sleeps only when it is held or when
 * none of its queues has anything to take: it looked at each after its
 * last doorbell, served what was there and parked it. So once a request
 * was flushed (its doorbell wakes the engine), engines seen asleep have
 * either taken it or are held: what is not done then is not done because
 * of the hold, with no interval to guess.
 */
void dev_engines_asleep(int id)
{
#ifdef T_NATIVE
	(void)id;
	engines_asleep();
#else
	int n, asleep;

	T_WAIT_UNTIL((n = vm_engines(id, &asleep)) > 0 && asleep == n,
		     "wd_soft%d: %d of %d engine threads asleep after %d s",
		     id, asleep, n, T_HANG_MS / 1000);
#endif
}

int q_try(struct wd_queue *q, const char *alg, const char *dev)
{
	memset(q, 0, sizeof(*q));
	q->capa.alg = alg;
	snprintf(q->dev_path, sizeof(q->dev_path), "%s", dev);
	return wd_request_queue(q);
}

void q_open_on(struct wd_queue *q, const char *alg, const char *dev)
{
	int r = q_try(q, alg, dev);

	if (r)
		T_FAIL("wd_request_queue(%s on \"%s\"): %s", alg, dev,
		       t_errname(-r));
}

void q_open(struct wd_queue *q, const char *alg)
{
	q_open_on(q, alg, g_dev);
}

void *q_mem(struct wd_queue *q, size_t size)
{
	void *p = wd_reserve_memory(q, size);

	if (!p)
		T_FAIL("wd_reserve_memory(%zu): %s", size, t_errname(errno));
	return p;
}

/* send, then wait for the same request back */
void run(struct wd_queue *q, void *req)
{
	void *r = NULL;
	int ret;

	ret = wd_send(q, req);
	if (ret)
		T_FAIL("wd_send: %s", t_errname(-ret));
	ret = wd_recv_wait(q, &r, 30000);
	if (ret != 1)
		T_FAIL("wd_recv_wait: %d (%s)", ret, t_errname(-ret));
	T_ASSERT(r == req);
}

/* text-like data that compresses */
void fill_text(void *buf, size_t len, uint64_t seed)
{
	static const char *const words[] = {
		"warp ", "drive ", "queue ", "accelerator ", "ring ",
		"doorbell ", "engine ", "deflate ", "the ", "a ", "\n",
	};
	char *p = buf;
	size_t i = 0;

	while (i < len) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		const char *w = words[(seed >> 33) % 11];

		for (; *w && i < len; w++)
			p[i++] = *w;
	}
}

/* zlib reference: inflate @len bytes in format @alg, 0 or a zlib error */
int ref_inflate(const char *alg, const void *in, size_t len, void *out,
		size_t room, size_t *out_len)
{
	int wbits = !strcmp(alg, "deflate") ? -15 : !strcmp(alg, "zlib") ? 15 : 31;
	z_stream zs = { 0 };
	int r;

	if (inflateInit2(&zs, wbits) != Z_OK)
		return Z_MEM_ERROR;
	zs.next_in = (void *)in;
	zs.avail_in = len;
	zs.next_out = out;
	zs.avail_out = room;
	r = inflate(&zs, Z_FINISH);
	*out_len = zs.total_out;
	if (r == Z_STREAM_END && zs.avail_in)
		r = Z_DATA_ERROR;	/* trailing garbage */
	inflateEnd(&zs);
	return r == Z_STREAM_END ? 0 : r;
}

size_t ref_deflate(const char *alg, int level, const void *in, size_t len,
		   void *out, size_t room)
{
	int wbits = !strcmp(alg, "deflate") ? -15 : !strcmp(alg, "zlib") ? 15 : 31;
	z_stream zs = { 0 };

	T_ASSERT(deflateInit2(&zs, level, Z_DEFLATED, wbits, 8,
			      Z_DEFAULT_STRATEGY) == Z_OK);
	zs.next_in = (void *)in;
	zs.avail_in = len;
	zs.next_out = out;
	zs.avail_out = room;
	T_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
	deflateEnd(&zs);
	return zs.total_out;
}

uint32_t le32(const void *p)
{
	const uint8_t *b = p;

	return b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
}

/* @pid, @what in a failure, must exit 0 within @ms */
void wait_exit0(pid_t pid, int ms, const char *what)
{
	int st = t_wait_bounded(pid, ms);

	T_ASSERT_MSG(st != -1, "%s: still running after %d s", what, ms / 1000);
	if (WIFSIGNALED(st))
		T_FAIL("%s: killed by SIG%s", what, sigabbrev_np(WTERMSIG(st)));
	T_ASSERT_MSG(WIFEXITED(st) && !WEXITSTATUS(st), "%s: exit status %d",
		     what, WEXITSTATUS(st));
}

/* ---- the references themselves ---- */

TEST(reference_vectors)
{
	static const uint8_t abc[32] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
		0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
		0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
	};
	static const uint8_t empty[4] = { 0xe3, 0xb0, 0xc4, 0x42 };
	uint8_t d[32];

	ref_sha256("abc", 3, d);
	T_ASSERT(!memcmp(d, abc, 32));
	ref_sha256("", 0, d);
	T_ASSERT(!memcmp(d, empty, 4));
	T_EQ_HEX(ref_crc32c(0, "123456789", 9), 0xe3069283);
	T_EQ_HEX(ref_crc32c(ref_crc32c(0, "1234", 4), "56789", 5), 0xe3069283);
}

