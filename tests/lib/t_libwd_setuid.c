// SPDX-License-Identifier: MIT
/*
 * t_libwd_setuid: what libwd makes of its environment, for t_libwd's
 * setuid_env test, which runs a setuid-root copy of this program as an
 * unprivileged user with WD_DEV_PATH and WD_LOCAL_ENGINES set to values
 * libwd refuses. It takes no arguments, reads no input and prints:
 *
 *	uid U euid E at_secure 0|1
 *	local_engines N			wd_local_engines()
 *	request_default R		wd_request_queue(), dev_path ""
 *	request_local R engines N	dev_path "local", its engine threads
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "engines.h"
#include "wd.h"

static int request(struct wd_queue *q, const char *dev)
{
	memset(q, 0, sizeof(*q));
	q->capa.alg = "copy";
	snprintf(q->dev_path, sizeof(q->dev_path), "%s", dev);
	return wd_request_queue(q);
}

int main(void)
{
	struct wd_queue q;
	int r;

	printf("uid %d euid %d at_secure %lu\n", (int)getuid(), (int)geteuid(),
	       getauxval(AT_SECURE));
	printf("local_engines %d\n", wd_local_engines());
	r = request(&q, "");
	printf("request_default %d\n", r);
	if (!r)
		wd_release_queue(&q);
	r = request(&q, "local");
	printf("request_local %d engines %d\n", r, r ? 0 : eng_tids(NULL, 0, NULL));
	if (!r)
		wd_release_queue(&q);
	return 0;
}
