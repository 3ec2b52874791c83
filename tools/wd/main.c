// SPDX-License-Identifier: MIT
/*
 * wd: the WarpDrive command-line tool (docs/wd.md).
 *
 *   wd list [--json] [--kernel]           the accelerators and their attributes
 *   wd zip [OPTION]... [FILE]...          gzip-compatible compression
 *   wd unzip [OPTION]... [FILE]...        and decompression (= wd zip -d)
 *   wd digest --alg sha256|crc32c [FILE]...   sha256sum-style checksums
 *   wd bench [OPTION]...                  one algorithm's speed on a device
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "wdtool.h"

static void usage(FILE *f)
{
	fputs("usage: wd [-v] COMMAND [ARG]...\n"
	      "\n"
	      "commands:\n"
	      "  list [--json] [--kernel]        accelerators: attributes, mode, free queues,\n"
	      "                                  node, algorithms; and the in-process device\n"
	      "  zip [-cdkfqvt1-9] [FILE]...     compress to FILE.gz (gzip format)\n"
	      "  unzip [-cfkqvt] [FILE.gz]...    decompress (same as zip -d)\n"
	      "  digest --alg sha256|crc32c [FILE]...\n"
	      "                                  checksums in sha256sum's format\n"
	      "  bench [--alg ALG] [--size SIZE] [--time SECS] ...\n"
	      "                                  requests/s, MiB/s, latency of one algorithm\n"
	      "  help                            this text; wd COMMAND --help for more\n"
	      "\n"
	      "Device: --device DEV[,DEV...] on each command (/dev/uaN, local[:mode]);\n"
	      "default WD_DEV_PATH, else a kernel device, else the in-process device.\n"
	      "WD_LOCAL_ENGINES=N (1-16, default 1): engine threads of the in-process device.\n"
	      "See docs/wd.md.\n", f);
}

static int run(int argc, char **argv)
{
	if (!strcmp(argv[0], "list"))
		return cmd_list(argc, argv);
	if (!strcmp(argv[0], "zip") || !strcmp(argv[0], "compress"))
		return cmd_zip(argc, argv, false);
	if (!strcmp(argv[0], "unzip") || !strcmp(argv[0], "decompress"))
		return cmd_zip(argc, argv, true);
	if (!strcmp(argv[0], "digest"))
		return cmd_digest(argc, argv);
	if (!strcmp(argv[0], "bench"))
		return cmd_bench(argc, argv);
	if (!strcmp(argv[0], "help") || !strcmp(argv[0], "--help") ||
	    !strcmp(argv[0], "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[0], "--version")) {
		printf("wd (WarpDrive) libwd %d.%d\n", WD_VERSION_MAJOR,
		       WD_VERSION_MINOR);
		return 0;
	}
	wdt_err("unknown command '%s' (try 'wd help')", argv[0]);
	return 1;
}

int main(int argc, char **argv)
{
	int i = 1;

	wdt_std_fds();	/* before anything opens a file */
	while (i < argc && (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose"))) {
		wdt_verbose++;
		i++;
	}
	if (i >= argc) {
		usage(stderr);
		return 1;	/* a usage error is 1 in every command, as gzip's */
	}
	return wdt_stdout_close(run(argc - i, argv + i));
}
