// SPDX-License-Identifier: GPL-2.0
/*
 * wd-crypto: the small programs t_crypto.sh needs besides kcapi-dgst (not a
 * test program: no t_ prefix). Static; one subcommand per run:
 *
 *   wd-crypto digest ALG FILE [KEYHEX]
 *       FILE's digest through an AF_ALG hash socket bound to ALG (a driver
 *       or algorithm name), with the key KEYHEX if given, in lowercase hex.
 *   wd-crypto hold ALG FILE
 *       binds ALG (the kernel allocates the tfm), accept()s an operation
 *       socket, prints FILE's digest through it, then "ready"; then, for each
 *       line "digest" on stdin, FILE's digest again through the same socket.
 *       Holds both sockets (and so the tfm) until stdin ends or a signal.
 *   wd-crypto write PATH TEXT
 *       writes TEXT to PATH (sysfs, debugfs) in one write(); prints "ok" or
 *       the errno's name, then the milliseconds the write took.
 *   wd-crypto finit MODULE.ko [PARAMS]
 *       loads the module with one finit_module() and prints "ok" or the
 *       errno's name: tcrypt runs its tests in its init and always fails
 *       (EAGAIN), and busybox's insmod/modprobe then try init_module() too,
 *       running them twice.
 *   wd-crypto zswap-fill PAGES
 *       fills PAGES anonymous pages with a pattern that deflate compresses
 *       well but that is not one repeated word (zswap keeps same-filled
 *       pages without compressing them), prints "filled PAGES"; then, for
 *       each line "check" on stdin, reads every page back and prints
 *       "intact PAGES" or "corrupt page N word W". Exits at the end of stdin.
 *
 * Exit status 0 on success, 1 on a failure (reported on stderr or stdout),
 * 2 on a usage error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if_alg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef SOL_ALG
#define SOL_ALG 279
#endif

/* the largest digest read back (SHA-512's) */
#define MAX_DIGEST 64

static int usage(void)
{
	fprintf(stderr, "usage: wd-crypto digest ALG FILE [KEYHEX] | hold ALG FILE |\n"
		"       write PATH TEXT | finit MODULE.ko [PARAMS] | zswap-fill PAGES\n");
	return 2;
}

/* the transform socket of the hash ALG (its tfm), or -1 */
static int alg_bind(const char *alg, const char *keyhex)
{
	struct sockaddr_alg sa = { .salg_family = AF_ALG, .salg_type = "hash" };
	unsigned char key[64];
	size_t klen = 0;
	int fd;

	if (strlen(alg) >= sizeof(sa.salg_name)) {
		fprintf(stderr, "wd-crypto: algorithm name too long\n");
		return -1;
	}
	strcpy((char *)sa.salg_name, alg);
	fd = socket(AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "wd-crypto: socket(AF_ALG): %s\n", strerror(errno));
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "wd-crypto: bind %s: %s\n", alg, strerror(errno));
		close(fd);
		return -1;
	}
	if (keyhex) {
		for (; keyhex[2 * klen] && keyhex[2 * klen + 1] && klen < sizeof(key); klen++)
			if (sscanf(keyhex + 2 * klen, "%2hhx", &key[klen]) != 1)
				break;
		if (setsockopt(fd, SOL_ALG, ALG_SET_KEY, key, (socklen_t)klen)) {
			fprintf(stderr, "wd-crypto: setkey (%zu bytes): %s\n", klen,
				strerror(errno));
			close(fd);
			return -1;
		}
	}
	return fd;
}

/*
 * FILE's digest through the operation socket op, printed in hex on stdout.
 * Sends the file in 64 KiB pieces with MSG_MORE (one update each), then
 * reads the digest (the final). Returns 0 or -1.
 */
static int digest_file(int op, const char *file)
{
	static char buf[65536];
	unsigned char md[MAX_DIGEST];
	ssize_t n;
	int fd = open(file, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "wd-crypto: %s: %s\n", file, strerror(errno));
		return -1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (send(op, buf, (size_t)n, MSG_MORE) != n) {
			fprintf(stderr, "wd-crypto: send: %s\n", strerror(errno));
			close(fd);
			return -1;
		}
	}
	close(fd);
	if (n < 0) {
		fprintf(stderr, "wd-crypto: read %s: %s\n", file, strerror(errno));
		return -1;
	}
	/* an empty send without MSG_MORE ends the message: read gives final */
	if (send(op, buf, 0, 0) < 0) {
		fprintf(stderr, "wd-crypto: send (end): %s\n", strerror(errno));
		return -1;
	}
	n = read(op, md, sizeof(md));
	if (n <= 0) {
		fprintf(stderr, "wd-crypto: reading the digest: %s\n",
			n ? strerror(errno) : "nothing");
		return -1;
	}
	for (ssize_t i = 0; i < n; i++)
		printf("%02x", md[i]);
	printf("\n");
	fflush(stdout);
	return 0;
}

/* digest ALG FILE [KEYHEX]: one digest on a fresh tfm */

/*
 * A tfm of the hash ALG (keyed with KEYHEX if not NULL) and one operation
 * socket on it: 0, or -1 with a message.
 */
static int alg_open(const char *alg, const char *keyhex, int *tfm, int *op)
{
	*tfm = alg_bind(alg, keyhex);
	if (*tfm < 0)
		return -1;
	*op = accept(*tfm, NULL, NULL);
	if (*op < 0) {
		fprintf(stderr, "wd-crypto: accept: %s\n", strerror(errno));
		close(*tfm);
		return -1;
	}
	return 0;
}
static int cmd_digest(int argc, char **argv)
{
	int tfm, op, r;

	if (argc < 4 || argc > 5)
		return usage();
	if (alg_open(argv[2], argc == 5 ? argv[4] : NULL, &tfm, &op))
		return 1;
	r = digest_file(op, argv[3]);
	close(op);
	close(tfm);
	return r ? 1 : 0;
}

/* hold ALG FILE: a tfm kept until stdin ends, digests on demand */
static int cmd_hold(int argc, char **argv)
{
	char line[64];
	int tfm, op;

	if (argc != 4)
		return usage();
	if (alg_open(argv[2], NULL, &tfm, &op))
		return 1;
	if (digest_file(op, argv[3]))
		return 1;
	printf("ready\n");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin))
		if (!strcmp(line, "digest\n") && digest_file(op, argv[3]))
			return 1;
	close(op);
	close(tfm);
	return 0;
}

/* CLOCK_MONOTONIC in milliseconds */
static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* write PATH TEXT: one write(), its errno and duration */
static int cmd_write(int argc, char **argv)
{
	size_t len;
	long t0;
	int fd, err = 0;

	if (argc != 4)
		return usage();
	fd = open(argv[2], O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		printf("%s 0\n", strerrorname_np(errno) ?: "?");
		return 1;
	}
	len = strlen(argv[3]);
	t0 = now_ms();
	if (write(fd, argv[3], len) != (ssize_t)len)
		err = errno ?: EIO;
	printf("%s %ld\n", err ? (strerrorname_np(err) ?: "?") : "ok", now_ms() - t0);
	close(fd);
	return err ? 1 : 0;
}

/* finit MODULE.ko [PARAMS]: one finit_module() (see the file's comment) */
static int cmd_finit(int argc, char **argv)
{
	int fd, err = 0;

	if (argc < 3 || argc > 4)
		return usage();
	fd = open(argv[2], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "wd-crypto: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	if (syscall(SYS_finit_module, fd, argc == 4 ? argv[3] : "", 0))
		err = errno;
	close(fd);
	printf("%s\n", err ? (strerrorname_np(err) ?: "?") : "ok");
	return err ? 1 : 0;
}

/* word w of page p: differs across each page's words and across pages */
static uint64_t pattern(size_t p, size_t w)
{
	return (uint64_t)p * 0x9e3779b97f4a7c15ull ^ (w % 16) * 0x0101010101010101ull;
}

/* zswap-fill PAGES: patterned anonymous pages, checked on demand */
static int cmd_zswap_fill(int argc, char **argv)
{
	size_t pages, pg = (size_t)getpagesize(), words = pg / sizeof(uint64_t);
	char line[64];
	uint64_t *m;
	char *end;

	if (argc != 3)
		return usage();
	pages = strtoul(argv[2], &end, 10);
	if (!pages || *end)
		return usage();
	m = mmap(NULL, pages * pg, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		fprintf(stderr, "wd-crypto: mmap: %s\n", strerror(errno));
		return 1;
	}
	for (size_t p = 0; p < pages; p++)
		for (size_t w = 0; w < words; w++)
			m[p * words + w] = pattern(p, w);
	printf("filled %zu\n", pages);
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		size_t bad = pages, badw = 0;

		if (strcmp(line, "check\n"))
			continue;
		for (size_t p = 0; p < pages && bad == pages; p++)
			for (size_t w = 0; w < words; w++)
				if (m[p * words + w] != pattern(p, w)) {
					bad = p;
					badw = w;
					break;
				}
		if (bad == pages)
			printf("intact %zu\n", pages);
		else
			printf("corrupt page %zu word %zu\n", bad, badw);
		fflush(stdout);
	}
	return 0;
}

/* the subcommand named by argv[1] */
int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "digest"))
		return cmd_digest(argc, argv);
	if (!strcmp(argv[1], "hold"))
		return cmd_hold(argc, argv);
	if (!strcmp(argv[1], "write"))
		return cmd_write(argc, argv);
	if (!strcmp(argv[1], "finit"))
		return cmd_finit(argc, argv);
	if (!strcmp(argv[1], "zswap-fill"))
		return cmd_zswap_fill(argc, argv);
	return usage();
}
