// SPDX-License-Identifier: MIT
/*
 * wd_prov.c: the provider "wd" (docs/openssl.md): OSSL_provider_init, the
 * configuration (environment over the provider's openssl.cnf section over
 * the defaults), the provider's parameters (its identity and the
 * counters), and the statistics line appended at exit (WD_OSSL_STATS),
 * never to stdout or stderr.
 *
 * Environment, read with secure_getenv() (a setuid program's caller
 * chooses none of it): WD_OSSL_THRESHOLD (bytes: decimal digits), also the
 * config key "threshold"; WD_OSSL_FALLBACK (software|fail); WD_OSSL_STATS
 * (a path); WD_DEV_PATH (libwd's). A value the provider cannot use makes
 * its load fail, rather than run with a setting nobody asked for.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/opensslv.h>
#include <openssl/params.h>

#include "wd_ossl.h"

#define WD_OSSL_NAME		"WarpDrive provider (wd)"
#define WD_OSSL_STR(x)		#x
#define WD_OSSL_XSTR(x)		WD_OSSL_STR(x)
#define WD_OSSL_VERSION		WD_OSSL_XSTR(WD_VERSION_MAJOR) "." \
				WD_OSSL_XSTR(WD_VERSION_MINOR) ".0"
#define WD_OSSL_BUILDINFO	"libwd " WD_OSSL_VERSION " (static), " \
				"built with " OPENSSL_VERSION_TEXT

struct wd_ossl_stats wd_ossl_stats;

/* ---- the statistics line ---- */

static pthread_once_t wd_ossl_global_once = PTHREAD_ONCE_INIT;
static char *wd_ossl_stats_path;

/* at exit: one line, appended with a single write() */
static void wd_ossl_stats_write(void)
{
	char line[512];
	int fd, n;

	if (!wd_ossl_stats_path)
		return;
	n = snprintf(line, sizeof(line),
		     "wd-ossl pid=%ld offloaded_reqs=%llu offloaded_bytes=%llu "
		     "software_reqs=%llu software_bytes=%llu fallbacks=%llu "
		     "errors=%llu\n", (long)getpid(),
		     (unsigned long long)atomic_load(&wd_ossl_stats.offloaded_reqs),
		     (unsigned long long)atomic_load(&wd_ossl_stats.offloaded_bytes),
		     (unsigned long long)atomic_load(&wd_ossl_stats.software_reqs),
		     (unsigned long long)atomic_load(&wd_ossl_stats.software_bytes),
		     (unsigned long long)atomic_load(&wd_ossl_stats.fallbacks),
		     (unsigned long long)atomic_load(&wd_ossl_stats.errors));
	if (n <= 0 || (size_t)n >= sizeof(line))
		return;
	fd = open(wd_ossl_stats_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
		  0644);
	if (fd < 0)
		return;		/* nowhere to say it: stderr is the caller's */
	if (write(fd, line, (size_t)n) != n) {
		/* nothing to do about a short append at exit */
	}
	close(fd);
}

/* once per process, at the first load (the .so is never unloaded: -z
 * nodelete, so the handlers stay valid) */
static void wd_ossl_global_init(void)
{
	const char *s = secure_getenv("WD_OSSL_STATS");

	if (s && s[0])
		wd_ossl_stats_path = strdup(s);
	atexit(wd_ossl_stats_write);
#ifdef WD_OSSL_TEST
	wd_ossl_test_init();
#endif
}

/* ---- configuration ---- */

/* decimal digits only, no sign, no overflow: 0 or -EINVAL */
static int wd_ossl_parse_size(const char *s, size_t *v)
{
	unsigned long long x = 0;

	if (!s || !*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || x > (ULLONG_MAX - 9) / 10)
			return -EINVAL;
		x = x * 10 + (unsigned int)(*s - '0');
	}
	if (x > SIZE_MAX)
		return -EINVAL;
	*v = (size_t)x;
	return 0;
}

/* the provider's section of openssl.cnf: the key "threshold", if any */
static int wd_ossl_conf(struct wd_ossl_prov *p,
			OSSL_FUNC_core_get_params_fn *get_params)
{
	char *thr = NULL;
	OSSL_PARAM params[] = {
		OSSL_PARAM_utf8_ptr("threshold", &thr, 0),
		OSSL_PARAM_END
	};

	if (!get_params || !get_params(p->handle, params))
		return 0;
	if (thr && wd_ossl_parse_size(thr, &p->threshold))
		return -EINVAL;
	return 0;
}

static int wd_ossl_env(struct wd_ossl_prov *p)
{
	const char *s = secure_getenv("WD_OSSL_THRESHOLD");

	if (s && wd_ossl_parse_size(s, &p->threshold))
		return -EINVAL;
	s = secure_getenv("WD_OSSL_FALLBACK");
	if (!s || !strcmp(s, "software"))
		p->fallback = WD_OSSL_FB_SOFTWARE;
	else if (!strcmp(s, "fail"))
		p->fallback = WD_OSSL_FB_FAIL;
	else
		return -EINVAL;
	return 0;
}

/* ---- errors ---- */

void wd_ossl_err(const struct wd_ossl_prov *p, int reason, const char *fmt,
		 ...)
{
	va_list ap;

	if (!p || !p->new_error || !p->vset_error)
		return;
	p->new_error(p->handle);
	if (p->set_error_debug)
		p->set_error_debug(p->handle, OPENSSL_FILE, OPENSSL_LINE,
				   OPENSSL_FUNC);
	va_start(ap, fmt);
	p->vset_error(p->handle, (uint32_t)reason, fmt, ap);
	va_end(ap);
}

static const OSSL_ITEM wd_ossl_reasons[] = {
	{ WD_OSSL_R_DEVICE, "WarpDrive device failed (WD_OSSL_FALLBACK=fail)" },
	{ WD_OSSL_R_FAILED, "digest failed earlier" },
	{ WD_OSSL_R_BAD_ARG, "bad argument" },
	{ WD_OSSL_R_NOMEM, "out of memory" },
	{ 0, NULL }
};

static const OSSL_ITEM *wd_ossl_get_reason_strings(void *provctx)
{
	(void)provctx;
	return wd_ossl_reasons;
}

/* ---- algorithms, parameters ---- */

static const OSSL_ALGORITHM wd_ossl_digests[] = {
	{ "SHA2-256:SHA-256:SHA256:2.16.840.1.101.3.4.2.1", "provider=wd",
	  wd_ossl_sha256_functions, "SHA-256 on WarpDrive queues" },
	{ NULL, NULL, NULL, NULL }
};

static const OSSL_ALGORITHM *wd_ossl_query(void *provctx, int op,
					   int *no_cache)
{
	(void)provctx;
	*no_cache = 0;
	return op == OSSL_OP_DIGEST ? wd_ossl_digests : NULL;
}

static const OSSL_PARAM wd_ossl_param_types[] = {
	OSSL_PARAM_DEFN(OSSL_PROV_PARAM_NAME, OSSL_PARAM_UTF8_PTR, NULL, 0),
	OSSL_PARAM_DEFN(OSSL_PROV_PARAM_VERSION, OSSL_PARAM_UTF8_PTR, NULL, 0),
	OSSL_PARAM_DEFN(OSSL_PROV_PARAM_BUILDINFO, OSSL_PARAM_UTF8_PTR, NULL, 0),
	OSSL_PARAM_DEFN(OSSL_PROV_PARAM_STATUS, OSSL_PARAM_INTEGER, NULL, 0),
	OSSL_PARAM_DEFN("offloaded-requests", OSSL_PARAM_UNSIGNED_INTEGER, NULL, 0),
	OSSL_PARAM_DEFN("offloaded-bytes", OSSL_PARAM_UNSIGNED_INTEGER, NULL, 0),
	OSSL_PARAM_DEFN("software-requests", OSSL_PARAM_UNSIGNED_INTEGER, NULL, 0),
	OSSL_PARAM_DEFN("software-bytes", OSSL_PARAM_UNSIGNED_INTEGER, NULL, 0),
	OSSL_PARAM_DEFN("fallbacks", OSSL_PARAM_UNSIGNED_INTEGER, NULL, 0),
	OSSL_PARAM_DEFN("errors", OSSL_PARAM_UNSIGNED_INTEGER, NULL, 0),
	OSSL_PARAM_DEFN("threshold", OSSL_PARAM_UNSIGNED_INTEGER, NULL, 0),
	OSSL_PARAM_END
};

static const OSSL_PARAM *wd_ossl_gettable_params(void *provctx)
{
	(void)provctx;
	return wd_ossl_param_types;
}

static int wd_ossl_set_u64(OSSL_PARAM params[], const char *name,
			   uint64_t v)
{
	OSSL_PARAM *p = OSSL_PARAM_locate(params, name);

	return !p || OSSL_PARAM_set_uint64(p, v);
}

#define WD_OSSL_GET(c)	atomic_load_explicit(&wd_ossl_stats.c, \
					     memory_order_relaxed)

static int wd_ossl_get_params(void *provctx, OSSL_PARAM params[])
{
	const struct wd_ossl_prov *prov = provctx;
	OSSL_PARAM *p;

	p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_NAME);
	if (p && !OSSL_PARAM_set_utf8_ptr(p, WD_OSSL_NAME))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_VERSION);
	if (p && !OSSL_PARAM_set_utf8_ptr(p, WD_OSSL_VERSION))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_BUILDINFO);
	if (p && !OSSL_PARAM_set_utf8_ptr(p, WD_OSSL_BUILDINFO))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_STATUS);
	if (p && !OSSL_PARAM_set_int(p, 1))
		return 0;
	return wd_ossl_set_u64(params, "offloaded-requests",
			       WD_OSSL_GET(offloaded_reqs)) &&
	       wd_ossl_set_u64(params, "offloaded-bytes",
			       WD_OSSL_GET(offloaded_bytes)) &&
	       wd_ossl_set_u64(params, "software-requests",
			       WD_OSSL_GET(software_reqs)) &&
	       wd_ossl_set_u64(params, "software-bytes",
			       WD_OSSL_GET(software_bytes)) &&
	       wd_ossl_set_u64(params, "fallbacks", WD_OSSL_GET(fallbacks)) &&
	       wd_ossl_set_u64(params, "errors", WD_OSSL_GET(errors)) &&
	       wd_ossl_set_u64(params, "threshold", prov->threshold);
}

static void wd_ossl_teardown(void *provctx)
{
	/* the threads' queues are the threads' (released when they exit):
	 * another load of the provider uses them too */
	free(provctx);
}

#define WD_PFN(id, f) { OSSL_FUNC_PROVIDER_##id, (void (*)(void))(f) }
static const OSSL_DISPATCH wd_ossl_prov_functions[] = {
	WD_PFN(TEARDOWN, wd_ossl_teardown),
	WD_PFN(GETTABLE_PARAMS, wd_ossl_gettable_params),
	WD_PFN(GET_PARAMS, wd_ossl_get_params),
	WD_PFN(QUERY_OPERATION, wd_ossl_query),
	WD_PFN(GET_REASON_STRINGS, wd_ossl_get_reason_strings),
	{ 0, NULL }
};

__attribute__((visibility("default")))
int OSSL_provider_init(const OSSL_CORE_HANDLE *handle,
		       const OSSL_DISPATCH *in, const OSSL_DISPATCH **out,
		       void **provctx);

int OSSL_provider_init(const OSSL_CORE_HANDLE *handle,
		       const OSSL_DISPATCH *in, const OSSL_DISPATCH **out,
		       void **provctx)
{
	OSSL_FUNC_core_get_params_fn *get_params = NULL;
	struct wd_ossl_prov *p;

	pthread_once(&wd_ossl_global_once, wd_ossl_global_init);
	if (wd_ossl_queue_init())
		return 0;
	p = calloc(1, sizeof(*p));
	if (!p)
		return 0;
	p->handle = handle;
	p->threshold = WD_OSSL_DEF_THRESHOLD;
	for (; in && in->function_id; in++) {
		switch (in->function_id) {
		case OSSL_FUNC_CORE_GET_PARAMS:
			get_params = OSSL_FUNC_core_get_params(in);
			break;
		case OSSL_FUNC_CORE_NEW_ERROR:
			p->new_error = OSSL_FUNC_core_new_error(in);
			break;
		case OSSL_FUNC_CORE_SET_ERROR_DEBUG:
			p->set_error_debug = OSSL_FUNC_core_set_error_debug(in);
			break;
		case OSSL_FUNC_CORE_VSET_ERROR:
			p->vset_error = OSSL_FUNC_core_vset_error(in);
			break;
		default:
			break;
		}
	}
	/* the environment has the last word */
	if (wd_ossl_conf(p, get_params) || wd_ossl_env(p)) {
		free(p);
		return 0;
	}
	*out = wd_ossl_prov_functions;
	*provctx = p;
	return 1;
}

/* ---- test hooks (test builds only: wd_ossl.h) ---- */

#ifdef WD_OSSL_TEST
#include "wd_ctl.h"

static int wd_ossl_test_id = -1;
static long wd_ossl_test_lose_at;
static atomic_long wd_ossl_test_sent;

void wd_ossl_test_init(void)
{
	const char *id = getenv("WD_OSSL_TEST_LOCAL_ID");
	const char *at = getenv("WD_OSSL_TEST_LOSE_AT");
	char spec[32];

	if (id && *id) {
		wd_ossl_test_id = atoi(id);
		snprintf(spec, sizeof(spec), "%d mode=sva engines=1",
			 wd_ossl_test_id);
		if (wd_ctl_new_device(WD_CTL_LOCAL, spec))
			wd_ossl_test_id = -1;
	}
	if (at && *at)
		wd_ossl_test_lose_at = atol(at);
}

void wd_ossl_test_after_send(void)
{
	long n = atomic_fetch_add(&wd_ossl_test_sent, 1) + 1;

	if (wd_ossl_test_id >= 0 && n == wd_ossl_test_lose_at)
		wd_ctl_del_device(WD_CTL_LOCAL, wd_ossl_test_id);
}
#endif
