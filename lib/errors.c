// SPDX-License-Identifier: MIT
/*
 * errors.c: wd_strerror(), the errors of wd_request_queue() in words.
 *
 * A library does not print. What it can do is say, when asked, why the
 * caller was refused: discovery notes, per thread, the first device whose
 * open() failed with EACCES (the node's permissions) and the first NOIOMMU
 * device refused for want of CAP_SYS_RAWIO; wd_strerror() then names the
 * device, the group that owns its node and what to do (docs/install.md).
 * The group is read from /etc/group, not through NSS: the guest's static
 * programs have no NSS modules to load.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wd_priv.h"

/* the group the WarpDrive udev rule gives the nodes to */
#define WD_GROUP	"uacce"

static _Thread_local struct {
	char eacces[WD_DEV_PATH_MAX];	/* first device refused by its mode */
	char eperm[WD_DEV_PATH_MAX];	/* first NOIOMMU device refused */
	char msg[400];
} wd_why;

void wd_refused_clear(void)
{
	wd_why.eacces[0] = 0;
	wd_why.eperm[0] = 0;
}

/* is @path's node open to a group (which the caller could join)? */
static bool wd_group_open(const char *path)
{
	struct stat st;

	return !stat(path, &st) && st.st_gid != 0 && (st.st_mode & 0060) == 0060;
}

void wd_refused_note(int err, const char *path)
{
	char *slot = err == -EACCES ? wd_why.eacces :
		     err == -EPERM ? wd_why.eperm : NULL;

	/* the first, but a node a group may open beats a root-only one:
	 * joining that group is what helps */
	if (slot && (!slot[0] || (err == -EACCES && !wd_group_open(slot) &&
				   wd_group_open(path))))
		snprintf(slot, WD_DEV_PATH_MAX, "%s", path);
}

/*
 * The first @n ':'-separated fields of @line into @fld (the last one holds
 * the rest, NULL when missing); how many there are. Empty fields count:
 * an empty password field is valid in /etc/passwd and /etc/group.
 */
static int wd_fields(char *line, char **fld, int n)
{
	int i;

	for (i = 0; i < n - 1 && line; i++)
		fld[i] = strsep(&line, ":");
	if (i == n - 1 && line)
		fld[i++] = line;
	for (int j = i; j < n; j++)
		fld[j] = NULL;
	return i;
}

/* @s is the decimal ID @id, nothing else (errno as it was) */
static bool wd_id_is(const char *s, unsigned long id)
{
	int saved = errno;
	char *end;
	bool is;

	errno = 0;
	is = s[0] >= '0' && s[0] <= '9' && strtoul(s, &end, 10) == id &&
	     !*end && !errno;
	errno = saved;
	return is;
}

/*
 * /etc/group's entry for @gid: its name into @name, and whether @user is
 * listed as a member. false if there is none.
 */
static bool wd_group_of(gid_t gid, char *name, size_t size, const char *user,
			bool *member)
{
	FILE *f = fopen("/etc/group", "re");
	char *line = NULL;
	size_t cap = 0;
	bool found = false;

	*member = false;
	if (!f)
		return false;
	while (!found && getline(&line, &cap, f) > 0) {
		char *fld[4], *members, *m;

		/* name:password:GID:members */
		line[strcspn(line, "\n")] = 0;
		if (wd_fields(line, fld, 4) < 3 || !wd_id_is(fld[2], gid))
			continue;
		found = true;
		snprintf(name, size, "%s", fld[0]);
		members = fld[3];
		while (user && (m = strsep(&members, ",")))
			if (!strcmp(m, user))
				*member = true;
	}
	free(line);
	fclose(f);
	return found;
}

/* the caller's user name from /etc/passwd (no NSS either), or NULL */
static const char *wd_user_name(char *buf, size_t size)
{
	FILE *f = fopen("/etc/passwd", "re");
	char *line = NULL, *fld[4];
	size_t cap = 0;
	const char *ret = NULL;

	if (!f)
		return NULL;
	/* name:password:UID:... */
	while (!ret && getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\n")] = 0;
		if (wd_fields(line, fld, 4) >= 3 && wd_id_is(fld[2], getuid())) {
			snprintf(buf, size, "%s", fld[0]);
			ret = buf;
		}
	}
	free(line);
	fclose(f);
	return ret;
}

/* EACCES on @path: who may open it, and how the caller becomes one of them */
static const char *wd_eacces(const char *path)
{
	char group[64], user[64];
	const char *who;
	bool member;
	struct stat st;

	if (stat(path, &st)) {
		snprintf(wd_why.msg, sizeof(wd_why.msg),
			 "permission denied on %s: join the group '" WD_GROUP
			 "' that the WarpDrive udev rule gives it to", path);
		return wd_why.msg;
	}
	who = wd_user_name(user, sizeof(user));
	if (st.st_gid != 0 && (st.st_mode & 0060) == 0060) {
		if (!wd_group_of(st.st_gid, group, sizeof(group), who, &member))
			snprintf(group, sizeof(group), "%u", (unsigned int)st.st_gid);
		if (member)
			snprintf(wd_why.msg, sizeof(wd_why.msg),
				 "permission denied on %s (group '%s'): this user is in group '%s' but this session is not; log in again (or run newgrp %s)",
				 path, group, group, group);
		else
			snprintf(wd_why.msg, sizeof(wd_why.msg),
				 "permission denied on %s: join the group '%s' (adduser %s %s, then log in again)",
				 path, group, who ? who : "USER", group);
		return wd_why.msg;
	}
	snprintf(wd_why.msg, sizeof(wd_why.msg),
		 "permission denied on %s (mode %04o, uid %u gid %u): only root may open it; the WarpDrive udev rule gives it to the group '"
		 WD_GROUP "', then join that group (docs/install.md)",
		 path, (unsigned int)(st.st_mode & 07777), (unsigned int)st.st_uid,
		 (unsigned int)st.st_gid);
	return wd_why.msg;
}

WD_EXPORT const char *wd_strerror(int err)
{
	switch (err) {
	case 0: return "success";
	case -ENODEV: return "no device offers it";
	case -ENOENT: return "no such device";
	case -EBUSY: return "no free queue on the devices that offer it";
	case -EIO: return "the devices that offer it are isolated";
	case -EACCES:
		if (wd_why.eacces[0])
			return wd_eacces(wd_why.eacces);
		return "permission denied on the devices that offer it: join the group '"
		       WD_GROUP "' (docs/install.md)";
	case -EPERM:
		if (wd_why.eperm[0]) {
			snprintf(wd_why.msg, sizeof(wd_why.msg),
				 "%s is a NOIOMMU device: a queue on it needs CAP_SYS_RAWIO (root), group membership is not enough",
				 wd_why.eperm);
			return wd_why.msg;
		}
		return "operation not permitted (a NOIOMMU device needs CAP_SYS_RAWIO; a queue inherited across fork() is the parent's)";
	case -EPROTONOSUPPORT: return "the device's api has no libwd driver";
	case -EINVAL: return "invalid argument";
	default:
		if (err < 0 && err > -4096)
			return strerrordesc_np(-err) ? strerrordesc_np(-err) :
			       "unknown error";
		return "not a libwd error value";
	}
}
