/* SPDX-License-Identifier: MIT */
/*
 * wd_zlib.h: libwd_zlib's own addition to zlib's API (zlib.h is the rest).
 *
 * libwd_zlib exports zlib 1.2.13's API and ABI and runs deflate and inflate
 * streams on a WarpDrive device where it can (front/zlib/README-dev, docs/
 * zlib.md). wd_zlib_get_stats() tells a program whether it really runs over
 * libwd_zlib and how much went to the device.
 */
#ifndef WD_ZLIB_H
#define WD_ZLIB_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * struct wd_zlib_stats - the process's counters since it started
 * @deflate_dev: deflate streams ended or reset that used the device
 * @deflate_sw: deflate streams ended or reset that ran in software only
 * @inflate_dev: the same for inflate streams
 * @inflate_sw: ...
 * @dev_in_bytes: stream input bytes the device handled (deflate: the
 *	caller's data; inflate: compressed data)
 * @sw_in_bytes: stream input bytes software handled
 * @dev_out_bytes: stream output bytes the device made (wrappers included)
 * @sw_out_bytes: stream output bytes software made
 * @fallbacks: streams that wanted the device and got none (no device, no
 *	queue, no stream context), so ran in software
 * @errors: device failures seen by a stream (it then failed: zlib's
 *	Z_STREAM_ERROR or Z_DATA_ERROR with msg "wd_zlib: ...")
 *
 * Streams are counted when they end (deflateEnd(), inflateEnd()) or are
 * reset; bytes as the streams handle them.
 */
struct wd_zlib_stats {
	uint64_t deflate_dev;
	uint64_t deflate_sw;
	uint64_t inflate_dev;
	uint64_t inflate_sw;
	uint64_t dev_in_bytes;
	uint64_t sw_in_bytes;
	uint64_t dev_out_bytes;
	uint64_t sw_out_bytes;
	uint64_t fallbacks;
	uint64_t errors;
};

/**
 * wd_zlib_get_stats() - read the counters
 * @st: filled in
 *
 * Context: any thread.
 */
void wd_zlib_get_stats(struct wd_zlib_stats *st);

#ifdef __cplusplus
}
#endif

#endif /* WD_ZLIB_H */
