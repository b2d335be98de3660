/*
 * serve.c -- `kueri serve`: a pre-forked pool of libfcgi workers on one
 * listening socket.
 *
 * Why pre-forked processes: libfcgi is single-threaded per process, and
 * SQLite connections are cheapest when each process owns one.  Each worker
 * opens the portal read-only once, then per request: snapshot_begin
 * (one read transaction held for the whole request, and inside it
 * portal_refresh -- one PRAGMA data_version, so a publish becomes visible
 * to the next request without a restart) → kh_handle → COMMIT →
 * FCGX_Finish_r.  A
 * request in flight finishes on the snapshot it started on, and its
 * catalog and rows always come from the same version.
 *
 * Accepting.  The listening socket is non-blocking and each worker waits
 * for it with ppoll(), which is also the only place SIGTERM is unblocked:
 * an idle worker stops at once, a busy one finishes its request first
 * (drain), and no signal can be lost between the check and the wait.
 * When several workers wake for one connection, the losers get EAGAIN
 * from FCGX_Accept_r and go back to waiting.
 *
 * Hangs.  Between accepting and having the whole request, libfcgi reads
 * blocking; a peer that sends half a record would hold the worker
 * forever.  An alarm (io_timeout) covers that phase and the whole answer;
 * when it fires the worker _exit()s and the parent replaces it.  Writes
 * to a peer that stops reading time out (SO_SNDTIMEO) the same way.
 *
 * The parent only forks, reaps, replaces crashed workers (with a pause
 * when they die young, so a broken portal cannot make it spin) and on
 * SIGTERM/SIGINT forwards SIGTERM, waits up to `drain` seconds, then
 * SIGKILLs what is left.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <sqlite3.h>

#include "service.h"

void
ks_conf_default(ks_conf *c)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	memset(c, 0, sizeof *c);
	c->workers = n > 0 ? (int)n : 1;
	c->max_age = 0; /* fresh after every publish; see --max-age */
	c->root = "/odata/";
	c->io_timeout = 30;
	c->drain = 30;
	kq_limits_default(&c->lim);
}

/* ---- the listening socket ---------------------------------------------- */

static int
listen_unix(const char *path)
{
	struct sockaddr_un sa;
	struct stat sb;
	int fd;

	if (strlen(path) >= sizeof sa.sun_path) {
		fprintf(stderr, "kueri serve: socket path too long: %s\n", path);
		return -1;
	}
	/* Remove a stale socket from an earlier run, but never a file that
	 * is not a socket. */
	if (lstat(path, &sb) == 0) {
		if (!S_ISSOCK(sb.st_mode)) {
			fprintf(stderr, "kueri serve: %s exists and is not a"
			        " socket\n", path);
			return -1;
		}
		unlink(path);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    listen(fd, 1024) < 0) {
		fprintf(stderr, "kueri serve: %s: %s\n", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int
listen_tcp(const char *hostport)
{
	char host[256];
	const char *colon = strrchr(hostport, ':');
	struct addrinfo hints, *ai = NULL, *a;
	int fd = -1, one = 1, rc;
	size_t hlen;

	if (colon == NULL || colon == hostport ||
	    (hlen = (size_t)(colon - hostport)) >= sizeof host) {
		fprintf(stderr, "kueri serve: --listen wants HOST:PORT\n");
		return -1;
	}
	memcpy(host, hostport, hlen);
	host[hlen] = '\0';
	if (host[0] == '[' && hlen > 2 && host[hlen - 1] == ']') {
		memmove(host, host + 1, hlen - 2);
		host[hlen - 2] = '\0';
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, colon + 1, &hints, &ai)) != 0) {
		fprintf(stderr, "kueri serve: %s: %s\n", hostport,
		        gai_strerror(rc));
		return -1;
	}
	for (a = ai; a != NULL; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC,
		            a->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (bind(fd, a->ai_addr, a->ai_addrlen) == 0 &&
		    listen(fd, 1024) == 0)
			break;
		close(fd);
		fd = -1;
	}
	if (fd < 0)
		fprintf(stderr, "kueri serve: cannot listen on %s: %s\n",
		        hostport, strerror(errno));
	freeaddrinfo(ai);
	return fd;
}

/* 1 if fd is a socket in the listening state. */
static int
is_listening(int fd)
{
	int v = 0;
	socklen_t len = sizeof v;

	return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) == 0 && v;
}

/* ---- the worker ---------------------------------------------------------- */

static volatile sig_atomic_t worker_stop;

static void
on_worker_term(int sig)
{
	(void)sig;
	worker_stop = 1;
}

static void
on_worker_alarm(int sig)
{
	static const char msg[] =
		"kueri serve: worker timed out on a request; replacing it\n";
	ssize_t w;

	(void)sig;
	w = write(2, msg, sizeof msg - 1);
	(void)w;
	_exit(75);
}

/* FCGX_GetParam, minus a strncmp call for every parameter nginx sends
 * (~25) on each of a request's ~15 lookups: compare the first byte
 * inline first. */
static const char *
fcgx_param(void *ctx, const char *name)
{
	FCGX_Request *r = ctx;
	size_t n;
	char **e;

	if (name == NULL || r->envp == NULL)
		return NULL;
	n = strlen(name);
	for (e = r->envp; *e != NULL; e++)
		if ((*e)[0] == name[0] && strncmp(*e, name, n) == 0 &&
		    (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

static int
fcgx_write(void *ctx, const char *buf, size_t len)
{
	FCGX_Stream *out = ctx;

	while (len > 0) {
		int n = len > 65536 ? 65536 : (int)len;

		if (FCGX_PutStr(buf, n, out) != n)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- one snapshot per request ----------------------------------------- */

/* The statements run around every request, prepared once per worker (the
 * connection lives as long as the worker): the per-request cost is a few
 * steps, no parsing. */
enum { SQ_BEGIN, SQ_PIN, SQ_COMMIT, SQ__MAX };
static const char *const sq_text[SQ__MAX] = {
	"BEGIN", "SELECT 1 FROM sqlite_schema LIMIT 1", "COMMIT",
};
static sqlite3_stmt *sq[SQ__MAX];

/* Step statement i once.  SQLite result code. */
static int
sq_run(sqlite3 *db, int i)
{
	int rc;

	if (sq[i] == NULL &&
	    sqlite3_prepare_v3(db, sq_text[i], -1, SQLITE_PREPARE_PERSISTENT,
	                       &sq[i], NULL) != SQLITE_OK)
		return SQLITE_ERROR;
	rc = sqlite3_step(sq[i]);
	sqlite3_reset(sq[i]);
	return rc;
}

static void
sq_free(void)
{
	int i;

	for (i = 0; i < SQ__MAX; i++) {
		sqlite3_finalize(sq[i]);
		sq[i] = NULL;
	}
}

/*
 * Hold one read transaction for the whole request and bring the portal's
 * catalog up to date inside it, so the catalog (set → physical table) and
 * the rows come from the same committed version.  Without it a publish
 * committed between portal_refresh and the query's first read could drop
 * the table the catalog still names.  portal_refresh (PRAGMA
 * data_version, and the catalog reload when it moved) joins the open
 * transaction rather than running its own, so this is one read
 * transaction per request -- one WAL read-lock round trip, where a
 * refresh before BEGIN plus a re-check after took three.  Returns 0 with
 * a transaction open, -1 on error (none open).
 */
static int
snapshot_begin(kportal *p, kueri_err *err)
{
	sqlite3 *db = portal_db(p);
	int rc;

	if (sq_run(db, SQ_BEGIN) != SQLITE_DONE)
		goto dberr;
	/* Any read pins the snapshot until COMMIT. */
	rc = sq_run(db, SQ_PIN);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		goto dberr;
	if (portal_refresh(p, err) < 0) {
		sq_run(db, SQ_COMMIT);
		return -1;
	}
	return 0;
dberr:
	kueri_err_set(err, KUERI_EDB, -1, "portal: %s", sqlite3_errmsg(db));
	if (!sqlite3_get_autocommit(db))
		sq_run(db, SQ_COMMIT);
	return -1;
}

static void
snapshot_end(kportal *p)
{
	sqlite3 *db = portal_db(p);

	if (!sqlite3_get_autocommit(db))
		sq_run(db, SQ_COMMIT);
}

/* Answer when the portal cannot be read at all (e.g. refresh failed). */
static void
answer_unavailable(FCGX_Request *r, kh_stats *st)
{
	static const char body[] =
		"{\"error\":{\"code\":\"ServiceUnavailable\","
		"\"message\":\"the portal cannot be read right now\"}}";

	FCGX_FPrintF(r->out, "Status: 503 Service Unavailable\r\n"
	             "Content-Type: application/json;odata.metadata=minimal\r\n"
	             "OData-Version: 4.0\r\nAccess-Control-Allow-Origin: *\r\n"
	             "Cache-Control: no-store\r\n\r\n%s", body);
	st->status = 503;
	st->bytes = (long long)sizeof body - 1;
}

static int
worker_main(const ks_conf *c, int lfd)
{
	FCGX_Request req;
	kportal *p;
	kueri_err err;
	sigset_t block, waitmask;
	struct sigaction sa;
	struct timeval tv = { c->io_timeout, 0 };

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_worker_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_worker_alarm;
	sigaction(SIGALRM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);

	/* SIGTERM is delivered only inside ppoll (see the top). */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &waitmask);
	sigdelset(&waitmask, SIGTERM);
	sigdelset(&waitmask, SIGINT);
	if (getppid() == 1)
		return 0;

	kueri_err_clear(&err);
	if ((p = portal_open_ro(c->db, &err)) == NULL) {
		fprintf(stderr, "kueri serve: worker: %s\n", err.msg);
		return 3;
	}
	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, lfd, 0) != 0) {
		portal_close(p);
		return 3;
	}
	while (!worker_stop) {
		struct pollfd pfd = { lfd, POLLIN, 0 };
		kh_stats st;
		long long t0;
		int rc;

		rc = ppoll(&pfd, 1, NULL, &waitmask);
		if (rc < 0 && errno != EINTR)
			break;
		if (rc <= 0 || worker_stop)
			continue;
		alarm((unsigned)c->io_timeout);
		rc = FCGX_Accept_r(&req);
		if (rc < 0) {
			alarm(0);
			/* EAGAIN: another worker won the race.  Anything else
			 * (EMFILE, ENOBUFS...) would spin: back off a little. */
			if (rc != -EAGAIN && rc != -EWOULDBLOCK && rc != -EINTR &&
			    rc != -ECONNABORTED)
				ppoll(NULL, 0, &(struct timespec){ 0, 20000000 },
				      &waitmask);
			continue;
		}
		t0 = now_ms();
		setsockopt(req.ipcFd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
		/* A last-resort hang guard for the whole answer: the engine
		 * has its own time budget and writes time out on their own,
		 * so this only fires on a bug; it is generous so that a big
		 * CSV export to a slow client still completes. */
		alarm((unsigned)(c->io_timeout * 20 + c->lim.time_ms / 1000));
		kueri_err_clear(&err);
		if (snapshot_begin(p, &err) < 0) {
			memset(&st, 0, sizeof st);
			snprintf(st.path, sizeof st.path, "-");
			snprintf(st.method, sizeof st.method, "-");
			answer_unavailable(&req, &st);
			fprintf(stderr, "kueri serve: portal: %s\n", err.msg);
		} else {
			kueri_sink out = { fcgx_write, req.out };

			kh_handle(p, c, fcgx_param, &req, &out, &st);
			snapshot_end(p);
		}
		FCGX_Finish_r(&req);
		alarm(0);
		fprintf(stderr, "%s %s %d rows=%lld bytes=%lld ms=%lld\n",
		        st.method, st.path, st.status, st.rows, st.bytes,
		        now_ms() - t0);
	}
	FCGX_Free(&req, 1);
	sq_free();
	portal_close(p);
	return 0;
}

/* ---- the parent ---------------------------------------------------------- */

typedef struct slot {
	pid_t     pid;     /* 0: empty                          */
	long long born;    /* now_ms() at fork                  */
	long long due;     /* respawn not before this (ms)      */
} slot;

static pid_t
spawn(const ks_conf *c, int lfd, const sigset_t *oldmask)
{
	pid_t pid = fork();

	if (pid == 0) {
		sigprocmask(SIG_SETMASK, oldmask, NULL);
		_exit(worker_main(c, lfd));
	}
	if (pid < 0)
		fprintf(stderr, "kueri serve: fork: %s\n", strerror(errno));
	return pid;
}

int
ks_serve(const ks_conf *c)
{
	kportal *probe;
	kueri_err err;
	slot *slots;
	sigset_t set, oldmask;
	int lfd, i, alive, stopping = 0;
	long long deadline = 0;

	/* Fail fast (and once) when the portal cannot be opened, instead of
	 * respawning workers that die at birth. */
	kueri_err_clear(&err);
	if ((probe = portal_open_ro(c->db, &err)) == NULL) {
		fprintf(stderr, "kueri serve: %s\n", err.msg);
		return 2;
	}
	portal_close(probe);

	if (c->socket_path)
		lfd = listen_unix(c->socket_path);
	else if (c->listen)
		lfd = listen_tcp(c->listen);
	else
		lfd = 0;        /* spawn-fcgi, mod_fcgid, lighttpd */
	if (lfd < 0)
		return 2;
	if (!is_listening(lfd) ||
	    fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) | O_NONBLOCK) < 0) {
		fprintf(stderr, "kueri serve: fd %d is not a listening socket"
		        " (use --socket or --listen)\n", lfd);
		return 2;
	}
	if ((slots = calloc((size_t)c->workers, sizeof *slots)) == NULL)
		return 2;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, &oldmask);

	for (i = 0; i < c->workers; i++) {
		slots[i].pid = spawn(c, lfd, &oldmask);
		slots[i].born = now_ms();
	}
	fprintf(stderr, "kueri serve: %d workers on %s, root %s\n",
	        c->workers, c->socket_path ? c->socket_path :
	        c->listen ? c->listen : "fd 0", c->root);

	for (;;) {
		siginfo_t si;
		struct timespec ts = { 0, 200 * 1000000L };
		pid_t pid;
		int status, sig;
		long long t;

		sig = sigtimedwait(&set, &si, &ts);
		if ((sig == SIGTERM || sig == SIGINT) && !stopping) {
			stopping = 1;
			deadline = now_ms() + (long long)c->drain * 1000;
			for (i = 0; i < c->workers; i++)
				if (slots[i].pid > 0)
					kill(slots[i].pid, SIGTERM);
		}
		/* Reap everything that ended. */
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			for (i = 0; i < c->workers; i++)
				if (slots[i].pid == pid)
					break;
			if (i == c->workers)
				continue;
			t = now_ms();
			slots[i].pid = 0;
			if (!stopping && (WIFSIGNALED(status) ||
			                  WEXITSTATUS(status) != 0))
				fprintf(stderr, "kueri serve: worker %d %s %d;"
				        " replacing it\n", (int)pid,
				        WIFSIGNALED(status) ? "killed by signal"
				                            : "exited with",
				        WIFSIGNALED(status) ? WTERMSIG(status)
				                            : WEXITSTATUS(status));
			/* A worker that dies young waits a second before its
			 * replacement: no fork storm on a persistent fault. */
			slots[i].due = t - slots[i].born < 1000 ? t + 1000 : t;
		}
		t = now_ms();
		alive = 0;
		for (i = 0; i < c->workers; i++) {
			if (!stopping && slots[i].pid == 0 && t >= slots[i].due) {
				slots[i].pid = spawn(c, lfd, &oldmask);
				slots[i].born = t;
			}
			if (slots[i].pid > 0)
				alive++;
		}
		if (stopping) {
			if (alive == 0)
				break;
			if (t >= deadline) {
				for (i = 0; i < c->workers; i++)
					if (slots[i].pid > 0)
						kill(slots[i].pid, SIGKILL);
				deadline = t + 60 * 1000;
			}
		}
	}
	free(slots);
	if (c->socket_path)
		unlink(c->socket_path);
	fprintf(stderr, "kueri serve: stopped\n");
	return 0;
}
