/*
 * watch.c -- noticing that the portal path may name another file now,
 * without a stat() per request.
 *
 * Before each request a worker must know whether the path it serves
 * still names the file it has open (serve.c, "one portal file, one
 * truth"): a replacement is always a rename(2), an unlink(2) or a create
 * in a directory on the path -- of the file itself (kueri replicate,
 * a withdrawal's scrubbed copy) or of a directory above it.  stat() of the
 * path per request answers it for one system call of ~10 per answer.
 * Here the kernel tells instead: every directory from the file's up to
 * "/" is watched with dnotify (fcntl F_NOTIFY: create, delete, rename;
 * multishot), which raises SIGIO in this process from inside the very
 * rename(2), unlink(2) or creat(2) that changed the directory, before that
 * call returns to whoever made it.  The handler only sets a flag; the
 * worker then stat()s the path as before (kw_moved).  A directory with
 * other traffic (/tmp) costs a stat() after each change there, no more.
 *
 * Why that is as strict as a stat() per request: the signal is pending
 * on this process before the change's system call returns, and a pending
 * signal runs its handler on the process's next return from the kernel.
 * A request whose bytes arrived after the swap was made was read with
 * recv(2) after that, so the flag is set by the time the worker looks at
 * it.  (A request already being read while the swap happens is
 * concurrent with it; either file is a correct answer, as before.)
 *
 * It is used only when the path is plain: absolute after joining the
 * working directory, and equal to its realpath(3) -- no symlink (whose
 * target could change in a directory not on the path), no "." or "..".
 * Otherwise, or when a directory cannot be watched (no dnotify, no
 * permission), kw_moved says "look" every time: the stat() per request,
 * exactly as before.  A mount over a directory of the path raises no
 * event; kueri's own tools never do that.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "service.h"

#define KW_MAXDIRS 64

static volatile sig_atomic_t moved = 1;  /* 1: look before trusting */
static int watching;                     /* every directory is watched */

static void
on_dir_change(int sig)
{
	(void)sig;
	moved = 1;
}

/* The directory part of an absolute path p (in place): "/a/b" → "/a",
 * "/a" → "/". */
static void
parent(char *p)
{
	char *s = strrchr(p, '/');

	if (s == p)
		p[1] = '\0';
	else if (s != NULL)
		*s = '\0';
}

int
kw_watch(const char *path)
{
	static char abs[PATH_MAX], real[PATH_MAX];
	struct sigaction sa;
	int fds[KW_MAXDIRS], n = 0, i;
	size_t k;

	watching = 0;
	moved = 1;
	if (path[0] == '/') {
		if (strlen(path) >= sizeof abs)
			return 0;
		memcpy(abs, path, strlen(path) + 1);
	} else {
		if (getcwd(abs, sizeof abs) == NULL)
			return 0;
		k = strlen(abs);
		if (k + 1 + strlen(path) >= sizeof abs)
			return 0;
		if (k > 1)
			abs[k++] = '/';
		memcpy(abs + k, path, strlen(path) + 1);
	}
	if (realpath(abs, real) == NULL || strcmp(abs, real) != 0)
		return 0;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_dir_change;
	sa.sa_flags = SA_RESTART;   /* never make a system call fail */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGIO, &sa, NULL) != 0)
		return 0;
	do {
		parent(real);
		if (n == KW_MAXDIRS)
			goto fail;
		fds[n] = open(real, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fds[n] < 0)
			goto fail;
		n++;
		if (fcntl(fds[n - 1], F_NOTIFY, DN_CREATE | DN_DELETE |
		          DN_RENAME | DN_MULTISHOT) != 0)
			goto fail;
	} while (strcmp(real, "/") != 0);
	/* The descriptors stay open for the worker's life: closing one ends
	 * its watch. */
	watching = 1;
	return 1;
fail:
	for (i = 0; i < n; i++)
		close(fds[i]);
	return 0;
}

int
kw_moved(void)
{
	if (!watching)
		return 1;
	if (!moved)
		return 0;
	moved = 0;      /* cleared before the caller looks: a change after
	                   this sets it again */
	return 1;
}
