/*
 * serve.c -- `kueri serve`: a pre-forked pool of workers on one listening
 * socket, speaking FastCGI through record.c.
 *
 * Why pre-forked processes: SQLite connections are cheapest when each
 * process owns one, and a process that goes wrong is contained.  Each
 * worker opens the portal read-only once, then per request: kr_read (the
 * whole request, under one read deadline) → portal_begin (one read
 * transaction held for the whole request; inside it portal_refresh -- one
 * PRAGMA data_version, so a publish is visible to the next request -- and
 * a check that the portal path still names the file we have open) →
 * kh_handle → COMMIT → kr_finish.  A request in flight finishes on the
 * snapshot it started on, and its catalog and rows always come from the
 * same version of the same file.
 *
 * Accepting.  The listening socket is non-blocking and each worker waits
 * for it with epoll_pwait() (EPOLLEXCLUSIVE: one idle worker woken per
 * connection) or ppoll(), the only place SIGTERM is unblocked:
 * an idle worker stops at once, a busy one finishes its request first
 * (drain), and no signal can be lost between the check and the wait.
 * When several workers wake for one connection, the losers get EAGAIN
 * from accept4 and go back to waiting.
 *
 * Nobody can pin the pool.  A request must be whole within read_timeout
 * (3 s) of being accepted, however slowly it trickles in; connections are
 * closed after each request (FCGI_KEEP_CONN is not honoured); a write that
 * makes no progress for io_timeout fails.  A request that has used
 * heavy_ms of CPU is demoted (nice 19, its own session) so cheap requests
 * on other workers keep the CPU, its place in the pool is refilled at once
 * and its worker retires afterwards.  There are more workers than cores.
 * An alarm is a last-resort hang guard for the whole answer.
 *
 * The parent only forks, reaps, replaces workers (with a growing pause
 * when they die young, so a persistent fault cannot make it spin), moves
 * demoted workers out of the pool's lane (SIG_HEAVY) and on
 * SIGTERM/SIGINT forwards SIGTERM, waits up to `drain` seconds, then
 * SIGKILLs what is left.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "kutil.h"
#include "record.h"
#include "service.h"

void
ks_conf_default(ks_conf *c)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	memset(c, 0, sizeof *c);
	/* Workers spend much of their time waiting (on the socket, on a
	 * client, on the disk), and expensive requests are demoted rather
	 * than queued: more workers than cores keeps one free for a cheap
	 * request. */
	c->workers = n > 0 ? (int)n * 4 : 8;
	if (c->workers < 8)
		c->workers = 8;
	c->max_age = 0; /* fresh after every publish; see --max-age */
	c->root = "/odata/";
	c->io_timeout = 30;
	c->read_timeout = 3;
	/* A cheap query takes ~1 ms of CPU (a few under ASan).  Until it is
	 * demoted an expensive request competes at full weight with them, so
	 * the threshold is low: 20 ms (50 before).  In interleaved runs of
	 * test_pool a cheap query's p99 was 43 and 58 ms at 20 ms, 67, 96
	 * and 137 ms at 50 ms (few runs on a noisy machine, measured with an
	 * earlier form of the demotion). */
	c->heavy_ms = 20;
	/* Under valgrind every request looks heavy (20 ms of CPU there is
	 * well under 1 ms natively) and its worker would retire after each one:
	 * bench/callgrind.sh raises the threshold through the environment. */
	if (getenv("KUERI_HEAVY_MS") != NULL)
		c->heavy_ms = atoi(getenv("KUERI_HEAVY_MS"));
	/* One expensive sort or aggregation per core: more at once only
	 * share the cores, so that a burst of them (a popular expensive URL
	 * nginx does not hold yet) all ran past their budget, answered 503
	 * and never reached the cache -- for as long as the burst went on
	 * (docs/serving.md, "Caching").  The excess gets 503 and Retry-After
	 * at once, and the ones admitted finish. */
	c->max_heavy = n > 0 ? (int)n : 2;
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
static volatile sig_atomic_t demoted;
static volatile sig_atomic_t worker_busy;  /* between accept and answer */
static volatile sig_atomic_t heavy_ticks;  /* SIGPROF ticks in this request */

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
	/* The alarm stays armed between requests (see the loop): idle, it
	 * means nothing; the next request re-arms it. */
	if (!worker_busy)
		return;
	w = write(2, msg, sizeof msg - 1);
	(void)w;
	_exit(75);
}

/*
 * The request has used heavy_ms of CPU: it is an expensive one.  Lower
 * this worker's priority so that the cheap requests other workers answer
 * get the CPU first; the expensive request still runs (within its time
 * budget) on what is left.  An unprivileged process cannot raise its
 * priority again, so the worker retires after this request.
 *
 * nice alone is not enough where the kernel groups tasks by session
 * (CONFIG_SCHED_AUTOGROUP, on by default in Debian's kernels, for tasks
 * outside a cpu cgroup): nice then only orders the tasks *inside* one
 * session, and the session as a whole gets one share of the CPU against
 * every other session.  An expensive request at nice 10 still spent the
 * share of the session nginx and the cheap workers run in, and when a
 * cheap request arrived that session had used its turn and waited behind
 * the other sessions (measured: p99 82 ms for a cached answer, 54 ms for
 * nginx alone, with 4 expensive requests on a loaded 2-core machine).  So
 * the demoted worker also leaves the session (setsid: its own autogroup).
 * Its group keeps the default weight: at a lower one (autogroup nice 19
 * was tried) a busy machine starves it and even moderately expensive
 * queries run out of their time budget.  Under a cpu cgroup (a systemd
 * service) setsid changes nothing and nice 19 orders it after the cheap
 * workers of the same service.
 *
 * And the worker hands its place in the pool back (SIG_HEAVY): the parent
 * forks a fresh worker for cheap requests now, not when this one is done
 * (see ks_serve).  setpriority, setsid, getppid and kill are plain system
 * calls, safe in a handler.
 */

/* A worker tells the parent it was demoted.  A real-time signal: each one
 * is queued with the sender's pid, none is lost when two workers are
 * demoted at once. */
#define SIG_HEAVY (SIGRTMIN + 1)

/*
 * How a request's CPU time is measured without a system call per request.
 * Arming a one-shot ITIMER_PROF of heavy_ms per request and disarming it
 * after was two setitimer calls per answer (of ~15).  Instead one
 * periodic profiling timer runs for the worker's whole life, expiring
 * every heavy_ms / HEAVY_SLICES of the process's CPU time (user + system,
 * as before; an idle worker uses none, so it does not tick).  The handler
 * counts the expiries that land while a request is being answered
 * (worker_busy; the count restarts with each request).  The k-th of a
 * request comes after more than (k - 1) slices of its CPU and at most k
 * -- the first may include CPU spent before the request -- so the request
 * is demoted at the (HEAVY_SLICES + 1)-th: after more than heavy_ms and
 * at most heavy_ms * (1 + 1 / HEAVY_SLICES) of CPU, plus the kernel's
 * lag in noticing an expiry (one scheduler tick, 4 ms at HZ=250; the
 * one-shot timer had that lag too): 20 to 25 (+4) ms by default.  A
 * slice must stay longer than a tick: expiries closer together than the
 * kernel checks them are merged and the count would run slow.  The cost
 * is one signal per 5 ms of CPU whatever the number of requests: about
 * one per hundred cheap ones.
 */
#define HEAVY_SLICES 4

static void
on_worker_heavy(int sig)
{
	int e = errno;

	(void)sig;
	if (!worker_busy || ++heavy_ticks <= HEAVY_SLICES)
		return;
	if (!demoted) {
		demoted = 1;
		setpriority(PRIO_PROCESS, 0, 19);
		setsid();
		kill(getppid(), SIG_HEAVY);
	}
	errno = e;
}

static long long
now_ms(void)
{
	return kr_now_ms();
}

/* ---- admission of expensive queries ------------------------------------ */

/*
 * The places for expensive first steps (kq_limits.admit): max_heavy pids
 * in memory shared by the whole pool, 0 when free, mapped by the parent
 * before it forks.  A worker takes a place when its query asks (the
 * request has been demoted while the query sorts or aggregates) and gives
 * it back when that step ends; the parent frees the place of a worker
 * that died holding one.
 *
 * A herd of requests for one URL all pass the engine's first question
 * ("is this answer being computed?") before any of them has used enough
 * CPU to ask for a place, so the claim asks it again: a place is refused
 * (-2) when another holds the same key.  Claims are made under one lock
 * word so that two workers cannot both see "not running" and both take a
 * place for the same answer: two copies on two cores were both past
 * their budget in a CI run, nothing was answered, nothing cached.  The
 * lock is held for a scan of max_heavy entries; the parent frees it if
 * its holder dies.
 */
struct place {
	pid_t              pid;    /* 0: free                        */
	unsigned long long key;    /* the answer it computes (ETag)  */
};
struct places {
	pid_t              lock;   /* the worker claiming; 0: none   */
	struct place       p[];
};
static struct places *places;
static int            nplaces;
static int            my_place = -1;

/* kq_limits.admit: claim 0 -- is this answer being computed by an
 * admitted query? -- or claim 1 -- take a place for it: -1 when every
 * place is taken, -2 when another holds the same answer. */
static int
heavy_admit(unsigned long long key, int claim)
{
	pid_t me = getpid();
	int   i, rc = -1;

	if (!claim) {
		for (i = 0; i < nplaces; i++)
			if (key != 0 &&
			    __atomic_load_n(&places->p[i].key, __ATOMIC_ACQUIRE) == key &&
			    __atomic_load_n(&places->p[i].pid, __ATOMIC_ACQUIRE) != 0)
				return -1;
		return 0;
	}
	for (;;) {
		pid_t none = 0;

		if (__atomic_compare_exchange_n(&places->lock, &none, me, 0,
		                                __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			break;
		sched_yield();
	}
	for (i = 0; key != 0 && i < nplaces; i++)
		if (__atomic_load_n(&places->p[i].pid, __ATOMIC_ACQUIRE) != 0 &&
		    __atomic_load_n(&places->p[i].key, __ATOMIC_ACQUIRE) == key) {
			rc = -2;
			goto out;
		}
	for (i = 0; i < nplaces; i++) {
		pid_t free_pid = 0;

		/* a CAS still: the parent frees places without the lock */
		if (__atomic_compare_exchange_n(&places->p[i].pid, &free_pid, me,
		                                0, __ATOMIC_ACQ_REL,
		                                __ATOMIC_ACQUIRE)) {
			__atomic_store_n(&places->p[i].key, key, __ATOMIC_RELEASE);
			my_place = i;
			rc = 0;
			break;
		}
	}
out:
	__atomic_store_n(&places->lock, 0, __ATOMIC_RELEASE);
	return rc;
}

static void
heavy_done(void)
{
	if (my_place >= 0) {
		__atomic_store_n(&places->p[my_place].key, 0, __ATOMIC_RELEASE);
		__atomic_store_n(&places->p[my_place].pid, 0, __ATOMIC_RELEASE);
	}
	my_place = -1;
}

/* The parent: a worker that ended while holding a place or the lock. */
static void
heavy_reap(pid_t pid)
{
	int i;

	if (places == NULL)
		return;
	for (i = 0; i < nplaces; i++)
		if (__atomic_load_n(&places->p[i].pid, __ATOMIC_ACQUIRE) == pid) {
			__atomic_store_n(&places->p[i].key, 0, __ATOMIC_RELEASE);
			__atomic_store_n(&places->p[i].pid, 0, __ATOMIC_RELEASE);
		}
	__atomic_compare_exchange_n(&places->lock, &pid, 0, 0,
	                            __ATOMIC_RELEASE, __ATOMIC_RELAXED);
}

/* ---- one snapshot per request ----------------------------------------- */

/* The statements run around every request, prepared once per worker (the
 * connection lives as long as the worker): the per-request cost is a few
 * steps, no parsing. */
enum { SQ_BEGIN, SQ_COMMIT, SQ__MAX };
static const char *const sq_text[SQ__MAX] = { "BEGIN", "COMMIT" };
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
 * refresh before BEGIN plus a re-check after took three.  BEGIN is
 * deferred: the snapshot is taken by the first read after it, which is
 * portal_refresh's PRAGMA data_version (its program starts with
 * OP_Transaction, a read), and held until COMMIT.  (A separate
 * "SELECT 1 FROM sqlite_schema" used to take it first: one statement
 * more per request, ~1,400 instructions, for the same snapshot.)
 * Returns 0 with a transaction open, -1 on error (none open).
 */
static int
snapshot_begin(kportal *p, kueri_err *err)
{
	sqlite3 *db = portal_db(p);

	if (sq_run(db, SQ_BEGIN) != SQLITE_DONE)
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

/* Answer when the portal cannot be read at all (removed, refresh failed). */
static void
answer_unavailable(kr_req *r, kh_stats *st, const char *why)
{
	char body[256];
	int n = snprintf(body, sizeof body,
	                 "{\"error\":{\"code\":\"ServiceUnavailable\","
	                 "\"message\":\"%s\"}}", why);
	kueri_sink out = { kr_write, r };

	kueri_sink_printf(&out, "Status: 503 Service Unavailable\r\n"
	        "Content-Type: application/json;odata.metadata=minimal\r\n"
	        "OData-Version: 4.0\r\nAccess-Control-Allow-Origin: *\r\n"
	        "Access-Control-Expose-Headers: OData-Version, Retry-After\r\n"
	        "Retry-After: 5\r\nCache-Control: no-store\r\n\r\n%s", body);
	st->status = 503;
	st->bytes = n;
}

/* ---- one portal file, one truth ------------------------------------------ */

/*
 * The portal this worker has open, and the file (device, inode) it was
 * when opened.  Before each request the path is stat()ed again: when the
 * file was replaced (a new inode) or removed, the worker opens the path
 * anew, then closes the old file, or answers 503 while there is nothing
 * to open.  So after a swap every answer comes from the new file, and a
 * deleted file is never answered from; a request already in flight
 * finishes on the file it started on.
 *
 * The old file may already be unreadable when the worker next looks at
 * it: `kueri replicate` zeroes a replaced file after its grace, and an
 * idle worker sleeps through that.  So a failure to begin reading is
 * never final until the path is checked: only when the path still names
 * the file we have open is the failure the file's own (503).
 */
static kportal *portal;
static dev_t    portal_dev;
static ino_t    portal_ino;

/* Open c->db, recording which file was opened in *dev and *ino: the path is
 * stat()ed before and after the open and must name the same file both
 * times (otherwise it was swapped during the open: try again).  The open
 * portal (caller closes), or NULL with err set. */
static kportal *
portal_open_named(const ks_conf *c, dev_t *dev, ino_t *ino, kueri_err *err)
{
	int tries;

	for (tries = 0; tries < 3; tries++) {
		struct stat a, b;
		kportal *p;

		if (stat(c->db, &a) != 0) {
			kueri_err_set(err, KUERI_EDB, -1, "the portal file %s"
			              " is gone", c->db);
			return NULL;
		}
		if ((p = portal_open_ro(c->db, err)) == NULL)
			return NULL;
		if (stat(c->db, &b) == 0 && a.st_dev == b.st_dev &&
		    a.st_ino == b.st_ino) {
			*dev = a.st_dev;
			*ino = a.st_ino;
			return p;
		}
		portal_close(p);
	}
	kueri_err_set(err, KUERI_EDB, -1, "the portal file %s keeps changing",
	              c->db);
	return NULL;
}

static void
portal_detach(void)
{
	if (portal != NULL) {
		sq_free();      /* statements belong to the connection */
		portal_close(portal);
		portal = NULL;
	}
}

/* Make the file the path names now this worker's portal: the new file is
 * opened first, then the old one (if any) closed -- also when the open
 * failed: a replaced or removed file is never answered from.  0 or -1
 * (then `portal` is NULL). */
static int
portal_attach(const ks_conf *c, kueri_err *err)
{
	dev_t dev = 0;
	ino_t ino = 0;
	kportal *p = portal_open_named(c, &dev, &ino, err);

	portal_detach();
	if (p == NULL)
		return -1;
	portal = p;
	portal_dev = dev;
	portal_ino = ino;
	return 0;
}

/* 1 when the path still names the file we have open. */
static int
portal_same(const ks_conf *c)
{
	struct stat sb;

	return stat(c->db, &sb) == 0 && sb.st_dev == portal_dev &&
	       sb.st_ino == portal_ino;
}

/* Begin the request's snapshot on the file the path names now.  0 with a
 * transaction open on `portal`, or -1 with err set (no transaction). */
static int
portal_begin(const ks_conf *c, kueri_err *err)
{
	int tries;

	for (tries = 0; tries < 3; tries++) {
		if (portal == NULL && portal_attach(c, err) < 0)
			return -1;
		if (snapshot_begin(portal, err) == 0) {
			/* Checked with the snapshot pinned: a swap after
			 * this point is one the request may legitimately
			 * not see.  stat() only when a directory on the
			 * path changed since the last look (watch.c). */
			if (!kw_moved() || portal_same(c))
				return 0;
			snapshot_end(portal);
		} else if (portal_same(c))
			return -1;      /* the live file itself fails */
		/* else the old file failed because it was replaced (and
		 * zeroed): not an error of the file the path names now. */
		fprintf(stderr, "kueri serve: the portal file %s was replaced"
		        " or removed; reopening\n", c->db);
		kueri_err_clear(err);
		if (portal_attach(c, err) < 0)
			return -1;
	}
	kueri_err_set(err, KUERI_EDB, -1, "the portal file %s keeps changing",
	              c->db);
	return -1;
}

/* Append a decimal number to the log line at *o. */
static char *
log_num(char *o, const char *label, long long v)
{
	char  tmp[32], *d = ku_fmt_lld(tmp, v);
	size_t n = strlen(label);

	memcpy(o, label, n);
	o += n;
	memcpy(o, d, (size_t)(tmp + 32 - d));
	return o + (tmp + 32 - d);
}

/* The access log line, "GET /odata/x 200 rows=2 bytes=219 ms=1[ heavy]",
 * in one write(2) to stderr as fprintf did, without fprintf's ~3,000
 * instructions: it is written after every request. */
static void
log_line(const kh_stats *st, long long ms, int heavy)
{
	char    line[sizeof st->method + sizeof st->path + 128], *o = line;
	size_t  n;
	ssize_t w;

	n = strnlen(st->method, sizeof st->method);
	memcpy(o, st->method, n);
	o += n;
	*o++ = ' ';
	n = strnlen(st->path, sizeof st->path);
	memcpy(o, st->path, n);
	o += n;
	o = log_num(o, " ", st->status);
	o = log_num(o, " rows=", st->rows);
	o = log_num(o, " bytes=", st->bytes);
	o = log_num(o, " ms=", ms);
	if (heavy) {
		memcpy(o, " heavy", 6);
		o += 6;
	}
	*o++ = '\n';
	w = write(2, line, (size_t)(o - line));
	(void)w;
}

static int
worker_main(const ks_conf *conf, int lfd)
{
	ks_conf wc = *conf, *c = &wc;
	kr_req req;
	kueri_err err;
	long long guard_ms, alarm_set = 0;  /* hang guard; when last armed */
	sigset_t block, waitmask;
	struct sigaction sa;
	int retire = 0, efd, lfd_unix;

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_worker_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_worker_alarm;
	sigaction(SIGALRM, &sa, NULL);
	/* SA_RESTART: the demotion signal may land in any system call
	 * (SQLite's reads, our polls); it must not make one fail. */
	sa.sa_handler = on_worker_heavy;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGPROF, &sa, NULL);
	sa.sa_flags = 0;
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

	/* Watched before the first open, so no swap can fall between the
	 * open's own check and the watch. */
	(void)kw_watch(c->db);
	/* A portal that cannot be opened now (removed, being replaced) is
	 * not fatal: requests get 503 until it is back. */
	kueri_err_clear(&err);
	if (portal_attach(c, &err) < 0)
		fprintf(stderr, "kueri serve: worker: %s\n", err.msg);
	memset(&req, 0, sizeof req);
	req.fd = -1;
	/* One idle worker woken per connection, not all of them: with
	 * ppoll every idle worker wakes for each connection and all but one
	 * find EAGAIN -- on a busy machine that is a handful of context
	 * switches per request, taken from the CPU the cheap requests need.
	 * EPOLLEXCLUSIVE (Linux 4.5) wakes one waiter; without it, ppoll. */
	efd = epoll_create1(EPOLL_CLOEXEC);
	if (efd >= 0) {
		struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE };

		if (epoll_ctl(efd, EPOLL_CTL_ADD, lfd, &ev) < 0) {
			close(efd);
			efd = -1;
		}
	}
	guard_ms = 1000LL * (c->io_timeout * 20 + c->lim.time_ms / 1000);
	if (places != NULL) {
		c->lim.heavy = (const volatile int *)&demoted;
		c->lim.admit = heavy_admit;
		c->lim.admit_done = heavy_done;
		c->lim.max_heavy = nplaces;
	}
	{
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;

		lfd_unix = getsockname(lfd, (struct sockaddr *)&ss, &sl) == 0 &&
		           ss.ss_family == AF_UNIX;
	}
	if (c->heavy_ms > 0) {
		long long us = (long long)c->heavy_ms * 1000 / HEAVY_SLICES;
		struct itimerval tick;

		tick.it_interval.tv_sec = (time_t)(us / 1000000);
		tick.it_interval.tv_usec = (suseconds_t)(us % 1000000);
		if (us < 1)
			tick.it_interval.tv_usec = 1;
		tick.it_value = tick.it_interval;
		setitimer(ITIMER_PROF, &tick, NULL);
	}
	while (!worker_stop && !retire) {
		struct pollfd pfd = { lfd, POLLIN, 0 };
		kh_stats st;
		long long t0;
		enum kr_err e;
		int rc, fd;

		if (efd >= 0) {
			struct epoll_event ev;

			rc = epoll_pwait(efd, &ev, 1, -1, &waitmask);
		} else
			rc = ppoll(&pfd, 1, NULL, &waitmask);
		if (rc < 0 && errno != EINTR)
			break;
		if (rc <= 0 || worker_stop)
			continue;
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			/* EAGAIN: another worker won the race.  Anything else
			 * (EMFILE, ENOBUFS...) would spin: back off a little. */
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				ppoll(NULL, 0, &(struct timespec){ 0, 20000000 },
				      &waitmask);
			continue;
		}
		t0 = now_ms();
		e = kr_read(&req, fd, t0 + (long long)c->read_timeout * 1000,
		            c->workers, c->io_timeout * 1000);
		if (e != KR_OK) {
			/* A request that never became whole: nothing to
			 * answer.  Closed peers are not worth a log line. */
			if (e != KR_CLOSED)
				fprintf(stderr, "- - - fastcgi: %s ms=%lld\n",
				        kr_strerror(e), now_ms() - t0);
			kr_close(&req);
			continue;
		}
		/* A last-resort hang guard for the whole answer: the engine
		 * has its own time budget and a write that makes no progress
		 * for io_timeout fails, so this only fires on a bug; it is
		 * generous so that a big CSV export to a slow client still
		 * completes. */
		/* Armed lazily, not per request (two system calls of ~20 per
		 * answer): re-armed only when half of it has run out, so every
		 * request still has at least half of it. */
		if (alarm_set == 0 || t0 - alarm_set >= guard_ms / 2) {
			alarm((unsigned)(guard_ms / 1000));
			alarm_set = t0;
		}
		heavy_ticks = 0;
		demoted = 0;
		worker_busy = 1;
		req.unix_peer = lfd_unix;
		kueri_err_clear(&err);
		if (portal_begin(c, &err) < 0) {
			memset(&st, 0, sizeof st);
			snprintf(st.path, sizeof st.path, "-");
			snprintf(st.method, sizeof st.method, "-");
			answer_unavailable(&req, &st, portal == NULL ?
			                   "the portal is not available right now" :
			                   "the portal cannot be read right now");
			fprintf(stderr, "kueri serve: portal: %s\n", err.msg);
		} else {
			kueri_sink out = { kr_write, &req };

			kh_handle(portal, c, kr_param, &req, &out, &st);
			snapshot_end(portal);
		}
		if (st.broken)
			kr_abort(&req);
		kr_finish(&req);
		worker_busy = 0;
		retire = demoted;
		log_line(&st, now_ms() - t0, retire);
	}
	kr_close(&req);
	if (efd >= 0)
		close(efd);
	portal_detach();
	return 0;
}

/* ---- the parent ---------------------------------------------------------- */

typedef struct slot {
	pid_t     pid;     /* 0: empty                          */
	long long born;    /* now_ms() at fork                  */
	long long due;     /* respawn not before this (ms)      */
	int       fails;   /* young abnormal deaths in a row    */
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
	int lfd, i, alive, stopping = 0, nslots = c->workers * 2;
	long long deadline = 0;

	/* Every process of the pool is single-threaded and owns its one
	 * connection: SQLite's per-connection mutex (taken and released in
	 * every sqlite3_step, column and bind call) guards nothing here.
	 * Multi-thread mode drops it; it must be set before SQLite is first
	 * used (it is not, before this point), else the call is refused
	 * and nothing changes. */
	(void)sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
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
	/* Two lanes.  slots[0, workers): the pool that accepts requests.
	 * slots[workers, 2 workers): workers demoted by an expensive request,
	 * finishing it.  A demoted worker moves to the second lane and its
	 * place in the first is refilled at once, so expensive requests --
	 * demoted, and starved of CPU on a busy machine -- never hold the
	 * places cheap requests need: the pool keeps `workers` workers for
	 * them however many expensive requests are running.  The second lane
	 * bounds that: with it full, a demoted worker keeps its place until
	 * it is done (at most `workers` x 2 processes in all). */
	if ((slots = calloc((size_t)nslots, sizeof *slots)) == NULL)
		return 2;
	if (c->max_heavy > 0 && c->heavy_ms > 0) {
		places = mmap(NULL, sizeof *places + (size_t)c->max_heavy *
		              sizeof places->p[0],
		              PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		              -1, 0);
		if (places == MAP_FAILED) {
			fprintf(stderr, "kueri serve: mmap: %s\n", strerror(errno));
			free(slots);
			return 2;
		}
		nplaces = c->max_heavy;
	}

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIG_HEAVY);
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
			for (i = 0; i < nslots; i++)
				if (slots[i].pid > 0)
					kill(slots[i].pid, SIGTERM);
		}
		if (sig == SIG_HEAVY && !stopping) {
			int j;

			for (i = 0; i < c->workers; i++)
				if (slots[i].pid > 0 && slots[i].pid == si.si_pid)
					break;
			for (j = c->workers; j < nslots; j++)
				if (slots[j].pid == 0)
					break;
			if (i < c->workers && j < nslots) {
				slots[j] = slots[i];
				slots[i].pid = 0;
				slots[i].fails = 0;
				slots[i].due = now_ms();
			}
		}
		/* Reap everything that ended. */
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			heavy_reap(pid);
			for (i = 0; i < nslots; i++)
				if (slots[i].pid == pid)
					break;
			if (i == nslots)
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
			/* A worker that retired (exit 0, e.g. after a heavy
			 * request) or lived a while is replaced at once.  One
			 * that died young waits 25 ms, doubling per death in a
			 * row up to 1 s: no fork storm on a persistent fault,
			 * and the other slots keep serving meanwhile. */
			if ((WIFEXITED(status) && WEXITSTATUS(status) == 0) ||
			    t - slots[i].born >= 1000) {
				slots[i].fails = 0;
				slots[i].due = t;
			} else {
				slots[i].due = t + (slots[i].fails < 6 ?
				               25LL << slots[i].fails : 1000);
				slots[i].fails++;
			}
		}
		t = now_ms();
		alive = 0;
		for (i = 0; i < nslots; i++) {
			/* Only the first lane is refilled. */
			if (!stopping && i < c->workers && slots[i].pid == 0 &&
			    t >= slots[i].due) {
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
				for (i = 0; i < nslots; i++)
					if (slots[i].pid > 0)
						kill(slots[i].pid, SIGKILL);
				deadline = t + 60 * 1000;
			}
		}
	}
	free(slots);
	if (places != NULL)
		munmap(places, sizeof *places + (size_t)nplaces *
		                sizeof places->p[0]);
	places = NULL;
	nplaces = 0;
	if (c->socket_path)
		unlink(c->socket_path);
	fprintf(stderr, "kueri serve: stopped\n");
	return 0;
}
