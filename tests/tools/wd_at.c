// SPDX-License-Identifier: MIT
/*
 * wd_at: run a program and act at a known point of its run, for t_wd's
 * races (a file that grows, shrinks or is swapped while the tool works on
 * it) without sleeping and hoping.
 *
 *   wd_at [-a] [-n N] -s SYSCALL[,SYSCALL...] (-f PATTERN | -p PATTERN)
 *         -c CMD -- PROG [ARG]...
 *
 * PROG's first thread is traced with ptrace (the threads it creates are
 * not). At the exit of the Nth call (default 1; -a: every call) of one of
 * the SYSCALLs on a file whose absolute path matches PATTERN (fnmatch),
 * `sh -c CMD` runs while PROG is still stopped there. -f matches a call
 * that names its file by descriptor (read, fstat, fchmod, mmap, ...);
 * -p one that names it by path (openat, newfstatat, ...), resolved against
 * PROG's working directory or directory descriptor as the kernel would.
 * CMD's environment has WD_AT_PID, WD_AT_SYSCALL, WD_AT_RET, WD_AT_COUNT
 * and WD_AT_FILE (a name of the file at that moment: /proc/PID/fd/N while
 * PROG has it open, else the path). After the last action PROG runs on
 * untraced.
 *
 * Exit status: PROG's, 128 + the signal that killed it (as a shell
 * reports it); 125 when wd_at itself fails; 77 when ptrace cannot be used
 * here (the test is then skipped).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

/* a system call the tests may name: which argument is a descriptor, a path */
struct sc {
	const char *name;
	long nr;
	int fd_arg, path_arg;	/* -1: none */
};

static const struct sc scs[] = {
	{ "read", SYS_read, 0, -1 },
	{ "write", SYS_write, 0, -1 },
	{ "pread64", SYS_pread64, 0, -1 },
	{ "pwrite64", SYS_pwrite64, 0, -1 },
	{ "readv", SYS_readv, 0, -1 },
	{ "writev", SYS_writev, 0, -1 },
	{ "close", SYS_close, 0, -1 },
	{ "lseek", SYS_lseek, 0, -1 },
	{ "mmap", SYS_mmap, 4, -1 },
	{ "fstat", SYS_fstat, 0, -1 },
	{ "newfstatat", SYS_newfstatat, 0, 1 },
	{ "statx", SYS_statx, 0, 1 },
	{ "fchmod", SYS_fchmod, 0, -1 },
	{ "fchown", SYS_fchown, 0, -1 },
	{ "fsync", SYS_fsync, 0, -1 },
	{ "fdatasync", SYS_fdatasync, 0, -1 },
	{ "ftruncate", SYS_ftruncate, 0, -1 },
	{ "utimensat", SYS_utimensat, 0, 1 },
	{ "openat", SYS_openat, 0, 1 },
	{ "unlinkat", SYS_unlinkat, 0, 1 },
	{ "renameat2", SYS_renameat2, 0, 1 },
	{ "linkat", SYS_linkat, 0, 1 },
#ifdef SYS_open
	{ "open", SYS_open, -1, 0 },
	{ "stat", SYS_stat, -1, 0 },
	{ "lstat", SYS_lstat, -1, 0 },
	{ "rename", SYS_rename, -1, 0 },
	{ "unlink", SYS_unlink, -1, 0 },
	{ "link", SYS_link, -1, 0 },
#endif
};
#define NSCS (sizeof(scs) / sizeof(scs[0]))

static bool want[NSCS];
static const char *pattern, *cmd;
static bool by_fd, every;
static long nth = 1;

static void die(const char *what)
{
	fprintf(stderr, "wd_at: %s: %s\n", what, strerror(errno));
	exit(125);
}

static int usage(void)
{
	fputs("usage: wd_at [-a] [-n N] -s SYSCALL[,SYSCALL...] (-f|-p) PATTERN -c CMD -- PROG [ARG]...\n",
	      stderr);
	return 125;
}

static int sc_index(long nr)
{
	for (size_t i = 0; i < NSCS; i++)
		if (scs[i].nr == nr)
			return (int)i;
	return -1;
}

static int parse_syscalls(char *list)
{
	for (char *t = strtok(list, ","); t; t = strtok(NULL, ",")) {
		size_t i;

		for (i = 0; i < NSCS && strcmp(scs[i].name, t); i++)
			;
		if (i == NSCS) {
			fprintf(stderr, "wd_at: unknown system call '%s'\n", t);
			return -1;
		}
		want[i] = true;
	}
	return 0;
}

/* the NUL-terminated string at @addr in the tracee, page by page */
static int peek_string(pid_t pid, uint64_t addr, char *buf, size_t len)
{
	size_t got = 0;

	while (got < len - 1) {
		size_t room = 4096 - ((addr + got) & 4095);
		struct iovec l, r;
		ssize_t n;

		if (room > len - 1 - got)
			room = len - 1 - got;
		l.iov_base = buf + got;
		l.iov_len = room;
		r.iov_base = (void *)(uintptr_t)(addr + got);
		r.iov_len = room;
		n = process_vm_readv(pid, &l, 1, &r, 1, 0);
		if (n <= 0)
			return -1;
		if (memchr(buf + got, 0, (size_t)n))
			return 0;
		got += (size_t)n;
	}
	buf[len - 1] = 0;
	return 0;
}

static int fd_path(pid_t pid, long fd, char *buf, size_t len)
{
	char link[64];
	ssize_t n;

	if (fd == AT_FDCWD)
		snprintf(link, sizeof(link), "/proc/%d/cwd", pid);
	else if (fd >= 0 && fd < INT_MAX)
		snprintf(link, sizeof(link), "/proc/%d/fd/%ld", pid, fd);
	else
		return -1;
	n = readlink(link, buf, len - 1);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return 0;
}

/* the file a call names (at its entry), matched: its path in @file */
static bool call_matches(pid_t pid, const struct __ptrace_syscall_info *si,
			 const struct sc *s, char *file, size_t len, long *fd)
{
	char rel[PATH_MAX] = "";

	*fd = -1;
	if (s->path_arg >= 0 && si->entry.args[s->path_arg])
		peek_string(pid, si->entry.args[s->path_arg], rel, sizeof(rel));
	if (by_fd) {
		if (*rel || s->fd_arg < 0)
			return false;
		*fd = (long)si->entry.args[s->fd_arg];
		if (fd_path(pid, *fd, file, len))
			return false;
	} else {
		if (!*rel)
			return false;
		if (rel[0] == '/') {
			snprintf(file, len, "%s", rel);
		} else {
			char dir[PATH_MAX];
			long dfd = s->fd_arg >= 0 ? (long)(int)si->entry.args[s->fd_arg] :
				   AT_FDCWD;

			if (fd_path(pid, dfd, dir, sizeof(dir)))
				return false;
			if (snprintf(file, len, "%s/%s", dir, rel) >= (int)len)
				return false;
		}
	}
	return !fnmatch(pattern, file, 0);
}

static void run_cmd(pid_t pid, const struct sc *s, long ret, long fd,
		    const char *file, long count)
{
	pid_t c = fork();
	int st;

	if (c < 0)
		die("fork");
	if (c == 0) {
		char buf[PATH_MAX + 64];

		snprintf(buf, sizeof(buf), "%d", pid);
		setenv("WD_AT_PID", buf, 1);
		setenv("WD_AT_SYSCALL", s->name, 1);
		snprintf(buf, sizeof(buf), "%ld", ret);
		setenv("WD_AT_RET", buf, 1);
		snprintf(buf, sizeof(buf), "%ld", count);
		setenv("WD_AT_COUNT", buf, 1);
		/* a name that still reaches the file: its descriptor, if open */
		if (!strcmp(s->name, "openat") && ret >= 0)
			fd = ret;
		if (fd >= 0 && strcmp(s->name, "close"))
			snprintf(buf, sizeof(buf), "/proc/%d/fd/%ld", pid, fd);
		else
			snprintf(buf, sizeof(buf), "%s", file);
		setenv("WD_AT_FILE", buf, 1);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	while (waitpid(c, &st, 0) < 0)
		if (errno != EINTR)
			die("waitpid");
}

static int status_of(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int trace(pid_t pid)
{
	struct __ptrace_syscall_info si;
	char file[PATH_MAX] = "";
	const struct sc *cur = NULL;	/* the matching call in progress */
	long count = 0, fd = -1;
	int st;

	if (waitpid(pid, &st, 0) < 0)
		die("waitpid");
	if (!WIFSTOPPED(st))
		return status_of(st);	/* 77: no ptrace here */
	if (ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACESYSGOOD |
		   PTRACE_O_EXITKILL | PTRACE_O_TRACEEXEC))
		die("PTRACE_SETOPTIONS");
	if (ptrace(PTRACE_SYSCALL, pid, 0, 0))
		die("PTRACE_SYSCALL");
	for (;;) {
		int sig = 0;

		if (waitpid(pid, &st, __WALL) < 0) {
			if (errno == EINTR)
				continue;
			die("waitpid");
		}
		if (WIFEXITED(st) || WIFSIGNALED(st))
			return status_of(st);
		if (WSTOPSIG(st) == (SIGTRAP | 0x80)) {
			if (ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof(si), &si) <= 0)
				die("PTRACE_GET_SYSCALL_INFO");
			if (si.op == PTRACE_SYSCALL_INFO_ENTRY) {
				int i = sc_index((long)si.entry.nr);

				cur = i >= 0 && want[i] &&
				      call_matches(pid, &si, &scs[i], file, sizeof(file), &fd) ?
				      &scs[i] : NULL;
			} else if (si.op == PTRACE_SYSCALL_INFO_EXIT && cur) {
				const struct sc *s = cur;

				cur = NULL;
				if (++count == nth || (every && count > nth)) {
					run_cmd(pid, s, (long)si.exit.rval, fd, file, count);
					if (!every)
						break;
				}
			}
		} else if (st >> 8 != (SIGTRAP | PTRACE_EVENT_EXEC << 8)) {
			sig = WSTOPSIG(st);	/* a signal for PROG: deliver it */
		}
		if (ptrace(PTRACE_SYSCALL, pid, 0, sig))
			die("PTRACE_SYSCALL");
	}
	if (ptrace(PTRACE_DETACH, pid, 0, 0))
		die("PTRACE_DETACH");
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			die("waitpid");
	return status_of(st);
}

int main(int argc, char **argv)
{
	int opt;
	pid_t pid;

	while ((opt = getopt(argc, argv, "+an:s:f:p:c:")) != -1) {
		switch (opt) {
		case 'a': every = true; break;
		case 'n': nth = strtol(optarg, NULL, 10); break;
		case 's':
			if (parse_syscalls(optarg))
				return 125;
			break;
		case 'f': by_fd = true; pattern = optarg; break;
		case 'p': by_fd = false; pattern = optarg; break;
		case 'c': cmd = optarg; break;
		default: return usage();
		}
	}
	if (!pattern || !cmd || nth < 1 || optind >= argc)
		return usage();
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		if (ptrace(PTRACE_TRACEME, 0, 0, 0)) {
			fprintf(stderr, "wd_at: ptrace: %s\n", strerror(errno));
			_exit(77);
		}
		raise(SIGSTOP);
		execvp(argv[optind], argv + optind);
		fprintf(stderr, "wd_at: %s: %s\n", argv[optind], strerror(errno));
		_exit(127);
	}
	return trace(pid);
}
