// SPDX-License-Identifier: MIT
/*
 * wd zip / wd unzip: the files and the options (the streams: zip.c).
 *
 * Output to a file is atomic: a temporary file in the same directory,
 * renamed to the target only when all went well (over an existing file
 * only with -f), unlinked on any error or fatal signal.
 *
 * Files are taken, refused and reported by gzip 1.12's rules: which inputs
 * (open_input), the output's name (output_name) and attributes
 * (wdt_out_attrs), warnings and exit statuses (zip_warn); docs/wd.md has the
 * table.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "zip.h"

static bool has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n > m && !strcmp(s + n - m, suf);
}

/* a file refused or failed: its status, for do_one() to return */
static bool fail(struct zctx *z, int status)
{
	z->status = status;
	return false;
}

/*
 * Why gzip leaves a file alone rather than replace it with its (de)compressed
 * form, or NULL: only a regular file, never a set-user-ID or set-group-ID
 * one, and without -f none with the sticky bit or other links.
 */
static const char *refusal(const struct stat *st, bool force, char *buf,
			   size_t len)
{
	if (!S_ISREG(st->st_mode))
		return "not a directory or a regular file";
	if (st->st_mode & S_ISUID)
		return "is set-user-ID on execution";
	if (st->st_mode & S_ISGID)
		return "is set-group-ID on execution";
	if (force)
		return NULL;
	if (st->st_mode & S_ISVTX)
		return "has the sticky bit set";
	if (st->st_nlink > 1) {
		snprintf(buf, len, "has %ju other link%s", (uintmax_t)st->st_nlink - 1,
			 st->st_nlink > 2 ? "s" : "");
		return buf;
	}
	return NULL;
}

/*
 * Open a named input by gzip's rules, in one open(): no symbolic link is
 * followed without -c or -f (O_NOFOLLOW: nothing to swap between a check
 * and the open), and a FIFO or device that is to be refused is not waited
 * for (O_NONBLOCK). -c and -t read any file but a directory; a FIFO then
 * waits for its writer. True, or false with the file's status set.
 */
static bool open_input(struct zctx *z, const char *path, int *fd,
		       struct stat *st)
{
	struct zopt *o = z->o;
	bool to_stdout = o->to_stdout || o->test;
	int flags = O_RDONLY | O_NOCTTY | O_CLOEXEC;
	const char *why;
	char buf[64];

	if (!to_stdout)
		flags |= O_NONBLOCK | (o->force ? 0 : O_NOFOLLOW);
	*fd = open(path, flags);
	if (*fd < 0) {
		int e = errno;

		if (e == ELOOP && !lstat(path, st) && S_ISLNK(st->st_mode))
			wdt_err("%s: is a symbolic link -- ignored (use -f or -c)", path);
		else
			wdt_err("%s: %s", path, strerror(e));
		return fail(z, STATUS_ERR);
	}
	if (fstat(*fd, st)) {
		wdt_err("%s: %s", path, strerror(errno));
		close(*fd);
		return fail(z, STATUS_ERR);
	}
	if (S_ISDIR(st->st_mode)) {
		zip_warn(z, "%s: is a directory -- ignored", path);
	} else if (!to_stdout && (why = refusal(st, o->force, buf, sizeof(buf)))) {
		zip_warn(z, "%s: %s -- ignored", path, why);
	} else if ((flags & O_NONBLOCK) && fcntl(*fd, F_SETFL, 0)) {
		/* (F_SETFL 0: reads from here on wait for data, as anyone's) */
		wdt_err("%s: %s", path, strerror(errno));
		z->status = STATUS_ERR;
	} else {
		return true;
	}
	close(*fd);
	return false;
}

/* the output's name for @path: true, or false with the file's status set */
static bool output_name(struct zctx *z, const char *path, char **target)
{
	struct zopt *o = z->o;
	const char *suf = has_suffix(path, ".gz") ? ".gz" :
			  has_suffix(path, ".tgz") ? ".tgz" : NULL;
	int ret;

	if (!o->decompress) {
		if (suf && !o->force) {
			/* gzip: said, but not a warning */
			if (!o->quiet)
				wdt_err("%s: already has %s suffix -- unchanged", path, suf);
			return false;
		}
		ret = asprintf(target, "%s.gz", path);
	} else if (!suf) {
		/* gzip: a warning, or nothing at all with -q */
		if (!o->quiet)
			zip_warn(z, "%s: unknown suffix -- ignored", path);
		return false;
	} else if (!strcmp(suf, ".gz")) {
		*target = strndup(path, strlen(path) - 3);
		ret = *target ? 0 : -1;
	} else {
		ret = asprintf(target, "%.*s.tar", (int)(strlen(path) - 4), path);
	}
	if (ret < 0) {
		*target = NULL;
		wdt_err("%s: %s", path, strerror(ENOMEM));
		return fail(z, STATUS_ERR);
	}
	return true;
}

/* compressed data is neither written to nor read from a terminal */
static bool terminal_ok(struct zctx *z, bool is_stdin)
{
	struct zopt *o = z->o;
	const char *what = NULL;

	if (o->force)
		return true;
	if (!o->decompress && !o->test && isatty(STDOUT_FILENO))
		what = "written to";
	else if (is_stdin && o->decompress && isatty(STDIN_FILENO))
		what = "read from";
	if (!what)
		return true;
	if (!o->quiet)
		wdt_err("compressed data not %s a terminal (use -f to force)", what);
	return fail(z, STATUS_ERR);
}

/* the output is complete: its attributes, its name, the input removed */
static bool finish_output(struct zctx *z, struct wdt_out *out, const char *path,
			  const struct stat *st)
{
	int ret = wdt_out_attrs(out, st);

	if (ret)
		zip_warn(z, "%s: %s", out->path, strerror(-ret));
	ret = wdt_out_commit(out);
	if (ret)
		return fail(z, ret == -EEXIST ? STATUS_WARN : STATUS_ERR);
	if (!z->o->keep && unlink(path))
		zip_warn(z, "%s: cannot remove: %s", path, strerror(errno));
	return true;
}

/* one input: 0, STATUS_ERR or STATUS_WARN */
static int do_one(struct zctx *z, const char *path)
{
	struct zopt *o = z->o;
	bool is_stdin = !path || !strcmp(path, "-");
	const char *name = is_stdin ? "stdin" : path;
	struct wdt_out out;
	struct stat st = { 0 };
	char *target = NULL;
	int fd = STDIN_FILENO, ret;

	z->name = name;
	z->in_bytes = z->out_bytes = 0;
	z->status = 0;
	if (!is_stdin) {
		if (!open_input(z, path, &fd, &st))
			return z->status;
		if (!o->to_stdout && !o->test && !output_name(z, path, &target)) {
			close(fd);
			return z->status;
		}
	}
	if (!target && !terminal_ok(z, is_stdin)) {
		if (fd != STDIN_FILENO)
			close(fd);
		return z->status;
	}
	if (target) {
		ret = wdt_out_open(&out, target, o->force, o->sync);
		if (ret) {
			free(target);
			close(fd);
			return ret == -EEXIST ? STATUS_WARN : STATUS_ERR;
		}
	} else {
		wdt_out_stdout(&out);
	}
	z->out = &out;
	wdt_progress_start(&z->prog, name, is_stdin ? 0 : (uint64_t)st.st_size,
			   o->progress != 0 && !o->quiet);
	ret = o->decompress ? unzip_stream(z, fd) : zip_stream(z, fd);
	wdt_progress_end(&z->prog);
	if (fd != STDIN_FILENO)
		close(fd);
	if (ret) {
		wdt_out_abort(&out);
		free(target);
		return STATUS_ERR;
	}
	if (target && !finish_output(z, &out, path, &st)) {
		free(target);
		return z->status;
	}
	if (wdt_verbose && !o->quiet)
		fprintf(stderr, "%s: %llu -> %llu bytes%s%s\n", name,
			(unsigned long long)z->in_bytes,
			(unsigned long long)z->out_bytes,
			target ? ", replaced with " : "", target ? target : "");
	free(target);
	return z->status;
}

static void zip_usage(FILE *f, bool d)
{
	fprintf(f, "usage: wd %s [OPTION]... [FILE]...\n", d ? "unzip" : "zip");
	fputs("Compress FILEs to FILE.gz (or decompress FILE.gz) through an accelerator,\n"
	      "gzip-compatible; no FILE or '-': standard input to standard output.\n"
	      "  -c, --stdout       write to standard output, keep the input\n"
	      "  -d, --decompress   decompress (wd unzip)\n"
	      "  -k, --keep         keep the input files\n"
	      "  -f, --force        overwrite outputs, compress .gz files, write to a terminal\n"
	      "  -t, --test         decompress and check, write nothing\n"
	      "  -1 .. -9           compression level (--fast = -1, --best = -9; default 6)\n"
	      "  -q, --quiet        no warnings;  -v, --verbose: paths taken and sizes\n"
	      "      --device DEV[,DEV...]  /dev/uaN or local[:sva|pasid|noiommu]\n"
	      "      --queues N     zip: queues (default 2)   --depth N  chunks in flight per queue (default 4)\n"
	      "      --chunk SIZE   zip: bytes per chunk (default 1M, at most 16M); unzip: one stream,\n"
	      "                     fixed buffers, whatever these say\n"
	      "      --sync         fsync the output before renaming it into place\n"
	      "      --progress / --no-progress   progress bar on stderr (default: a terminal, input >= 64 MiB)\n"
	      "Exit status (gzip's): 0 ok, 1 error or usage error, 2 warning (a file\n"
	      "ignored, trailing garbage, the input not removed).\n", f);
}

enum { OPT_DEVICE = 256, OPT_QUEUES, OPT_DEPTH, OPT_CHUNK, OPT_SYNC, OPT_PROG, OPT_NOPROG,
       OPT_FAST, OPT_BEST };
static const struct option zip_opts[] = {
	{ "stdout", no_argument, NULL, 'c' },
	{ "to-stdout", no_argument, NULL, 'c' },
	{ "decompress", no_argument, NULL, 'd' },
	{ "uncompress", no_argument, NULL, 'd' },
	{ "keep", no_argument, NULL, 'k' },
	{ "force", no_argument, NULL, 'f' },
	{ "test", no_argument, NULL, 't' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "device", required_argument, NULL, OPT_DEVICE },
	{ "queues", required_argument, NULL, OPT_QUEUES },
	{ "depth", required_argument, NULL, OPT_DEPTH },
	{ "chunk", required_argument, NULL, OPT_CHUNK },
	{ "sync", no_argument, NULL, OPT_SYNC },
	{ "progress", no_argument, NULL, OPT_PROG },
	{ "no-progress", no_argument, NULL, OPT_NOPROG },
	{ "fast", no_argument, NULL, OPT_FAST },
	{ "best", no_argument, NULL, OPT_BEST },
	{ 0 }
};

/* the options into @o: -1 to go on, else the exit status (--help: 0) */
static int zip_parse(int argc, char **argv, struct zopt *o, bool decompress)
{
	int opt;

	while ((opt = getopt_long(argc, argv, "cdkftqvh123456789", zip_opts, NULL)) != -1) {
		switch (opt) {
		case 'c': o->to_stdout = true; break;
		case 'd': o->decompress = true; break;
		case 'k': o->keep = true; break;
		case 'f': o->force = true; break;
		case 't': o->test = o->decompress = true; break;
		case 'q': o->quiet = true; break;
		case 'v': wdt_verbose++; break;
		case 'h': zip_usage(stdout, decompress); return 0;
		case OPT_DEVICE: o->device = optarg; break;
		case OPT_QUEUES:
			if (wdt_opt_int("", "queues", optarg, 1, WDT_MAX_QUEUES, &o->queues))
				return STATUS_ERR;
			break;
		case OPT_DEPTH:
			if (wdt_opt_int("", "depth", optarg, 1, 256, &o->depth))
				return STATUS_ERR;
			break;
		case OPT_CHUNK:
			if (wdt_parse_size(optarg, &o->chunk) || o->chunk < 4096 ||
			    o->chunk > (16u << 20)) {
				wdt_err("--chunk: invalid size '%s' (4K to 16M)", optarg);
				return STATUS_ERR;
			}
			break;
		case OPT_SYNC: o->sync = true; break;
		case OPT_PROG: o->progress = 1; break;
		case OPT_NOPROG: o->progress = 0; break;
		case OPT_FAST: o->level = 1; break;
		case OPT_BEST: o->level = 9; break;
		default:
			if (opt >= '1' && opt <= '9') {
				o->level = (unsigned int)(opt - '0');
				break;
			}
			zip_usage(stderr, decompress);
			return STATUS_ERR;	/* gzip's usage status */
		}
	}
	return -1;
}

int cmd_zip(int argc, char **argv, bool decompress)
{
	struct zopt o = { .decompress = decompress, .progress = -1, .level = 6,
			  .chunk = 1 << 20, .queues = 2, .depth = 4 };
	struct zctx z;
	int status = zip_parse(argc, argv, &o, decompress);

	if (status >= 0)
		return status;
	status = 0;
	/* gzip -q: a pipe closed early is a warning, not a death */
	wdt_signals_init(o.quiet ? STATUS_WARN : 0);
	if (zip_setup(&z, &o)) {
		wdt_pipe_close(&z.p);
		return STATUS_ERR;
	}
	if (optind == argc) {
		status = do_one(&z, NULL);
	} else {
		for (int i = optind; i < argc; i++) {
			int st = do_one(&z, argv[i]);

			if (st == STATUS_ERR || (st && !status))
				status = st;
		}
	}
	wdt_pipe_close(&z.p);
	return status;
}
