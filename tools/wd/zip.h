/* SPDX-License-Identifier: MIT */
/*
 * zip.h: what wd zip's two halves share: zip.c (the streams through the
 * device's pipeline) and zipfile.c (the files by gzip's rules, the options).
 */
#ifndef WD_ZIP_H
#define WD_ZIP_H

#include "wdtool.h"

/* exit statuses, gzip's: a warning does not hide an error */
#define STATUS_ERR	1
#define STATUS_WARN	2

struct zopt {
	bool decompress, to_stdout, keep, force, quiet, test, sync;
	int progress;		/* -1 auto, 0 off */
	unsigned int level;
	uint64_t chunk;
	int queues, depth;
	const char *device;
};

struct zctx {
	struct zopt *o;
	/*
	 * zip: the pipeline, its slots struct slot, each with its own
	 * compression stream; unzip: one queue (p.qs.q[0]), one decompression
	 * stream and fixed buffers in the queue's reserved memory
	 */
	struct wdt_pipe p;
	size_t in_cap, out_cap;
	bool members;			/* zip: a gzip member per chunk, no streams */
	struct wd_stream *us;		/* unzip's stream */
	uint8_t *uin[2], *uout[2];	/* unzip's buffers */
	uint8_t win[32768];		/* zip: the last 32 KiB of input */
	size_t win_len;
	/* the current file */
	const char *name;	/* for messages */
	struct wdt_out *out;
	struct wdt_progress prog;
	uint64_t in_bytes, out_bytes;
	int status;		/* the file's: 0, STATUS_WARN or STATUS_ERR */
};

/* gzip's WARN(): a message unless -q, and exit status 2 */
__attribute__((format(printf, 2, 3)))
void zip_warn(struct zctx *z, const char *fmt, ...);
/* zeroes @z, opens the queues and the pipeline's slots: 0 or -errno (message given) */
int zip_setup(struct zctx *z, struct zopt *o);
/* compress / decompress @fd to z->out: 0 or -errno (message given) */
int zip_stream(struct zctx *z, int fd);
int unzip_stream(struct zctx *z, int fd);

#endif
