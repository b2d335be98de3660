/*
 * test_fcgi_raw.c -- bad FastCGI straight to `kueri serve`'s socket,
 * bypassing any web server: truncated headers, huge name/value lengths
 * (the CVE-2025-23016 class), unknown record types, params that never end,
 * garbage, a 64 KiB URL.  After each, a well-formed request must still be
 * answered promptly: a worker survives or is replaced, the pool never
 * hangs.  Issue 11's regressions: lengths 0x40000000 in a whole request
 * and a flood of them (no worker may die), the management records,
 * split brain (the portal file replaced, then deleted, while serving) and
 * slow peers against the default configuration (1 byte/s trickles and
 * FCGI_KEEP_CONN connections left open).  Runs $KUERI (the binary under
 * test) on portals written through the portal writer (portal_fixture.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "portal_fixture.h"
#include "tap.h"

static char dir[64], sock[100], dbp[100], logp[100];
static pid_t server;

/* The test portal's one set "s" (integer key "k"), written through the
 * portal's writer API (portal_fixture.h), not by hand. */
static const kp_field s_fields[] = {
	{ .name = "k", .type = KP_INTEGER, .nullable = 0 },
};
static const int s_key[] = { 0 };
static const kp_package_def p_pkg = { "P", "X", "public", NULL, "{}", "fp" };

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
connect_sock(void)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, sock, strlen(sock) + 1);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
send_all(int fd, const void *p, size_t n)
{
	const char *b = p;

	while (n > 0) {
		ssize_t w = send(fd, b, n, MSG_NOSIGNAL);

		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

/* One record header + content (content ≤ 65535). */
static int
record(int fd, int type, const void *content, size_t len)
{
	unsigned char h[8] = { 1, (unsigned char)type, 0, 1,
	                       (unsigned char)(len >> 8), (unsigned char)len,
	                       0, 0 };

	if (send_all(fd, h, 8))
		return -1;
	return len ? send_all(fd, content, len) : 0;
}

/* Append a name-value pair in FastCGI encoding. */
static size_t
nv(unsigned char *out, const char *name, const char *value, size_t vlen)
{
	size_t nlen = strlen(name), n = 0;

	out[n++] = (unsigned char)nlen;
	if (vlen < 128) {
		out[n++] = (unsigned char)vlen;
	} else {
		out[n++] = (unsigned char)(0x80 | (vlen >> 24));
		out[n++] = (unsigned char)(vlen >> 16);
		out[n++] = (unsigned char)(vlen >> 8);
		out[n++] = (unsigned char)vlen;
	}
	memcpy(out + n, name, nlen);
	n += nlen;
	memcpy(out + n, value, vlen);
	return n + vlen;
}

static const unsigned char begin[8] = { 0, 1, 0, 0, 0, 0, 0, 0 };

/*
 * Send a GET for `uri` and read the reply until END_REQUEST or timeout.
 * Returns the HTTP status from "Status:", 0 when the connection closed
 * without one, -1 on timeout/connect failure.
 */
static int request_ex(const char *uri, int timeout_ms, int flags,
                      char *body, size_t blen);

static int
request(const char *uri, int timeout_ms)
{
	return request_ex(uri, timeout_ms, 0, NULL, 0);
}

/* The head of the last request_ex answer, from "Status:" to the blank line. */
static char last_head[2048];

/* request() with BEGIN_REQUEST flags (1: FCGI_KEEP_CONN) and the body of
 * the answer (from its first STDOUT record, up to blen - 1 bytes) copied
 * into `body` when not NULL. */
static int
request_ex(const char *uri, int timeout_ms, int flags, char *body,
           size_t blen)
{
	size_t ulen = strlen(uri), plen = 0, off;
	unsigned char *params = malloc(ulen + 256);
	char reply[8192];
	unsigned char beg[8] = { 0, 1, (unsigned char)flags, 0, 0, 0, 0, 0 };
	size_t got = 0;
	long long deadline = now_ms() + timeout_ms;
	int fd = connect_sock(), status = 0;
	char *st;

	if (fd < 0 || params == NULL) {
		free(params);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	plen += nv(params + plen, "REQUEST_METHOD", "GET", 3);
	plen += nv(params + plen, "REQUEST_URI", uri, ulen);
	plen += nv(params + plen, "HTTP_HOST", "t", 1);
	record(fd, 1, beg, 8);
	for (off = 0; off < plen; off += 65535)
		record(fd, 4, params + off, plen - off > 65535 ? 65535
		                                               : plen - off);
	record(fd, 4, NULL, 0);
	record(fd, 5, NULL, 0);
	free(params);
	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		long long left = deadline - now_ms();
		ssize_t r;

		if (left <= 0) {
			close(fd);
			return -1;
		}
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		if (got >= sizeof reply - 1)
			break;      /* enough to see the status */
		r = recv(fd, reply + got, sizeof reply - 1 - got, 0);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	reply[got] = '\0';
	close(fd);
	/* The record headers contain NULs; search past them. */
	for (st = reply; st < reply + got; st++)
		if (strncmp(st, "Status: ", 8) == 0) {
			status = atoi(st + 8);
			snprintf(last_head, sizeof last_head, "%.*s",
			         (int)(reply + got - st), st);
			if (strstr(last_head, "\r\n\r\n") != NULL)
				*strstr(last_head, "\r\n\r\n") = '\0';
			break;
		}
	if (body != NULL && blen > 0) {
		char *b = memmem(reply, got, "\r\n\r\n", 4);
		size_t n = 0;

		/* The body up to the next record header (version byte 1
		 * followed by type 6, STDOUT) or the end. */
		if (b != NULL)
			for (b += 4; b + n < reply + got && n < blen - 1 &&
			     !(b[n] == 1 && b + n + 1 < reply + got &&
			       (b[n + 1] == 6 || b[n + 1] == 3)); n++)
				body[n] = b[n];
		body[n] = '\0';
	}
	return status;
}

/* small: 2 workers and short timeouts, so the hang cases run fast;
 * otherwise the default configuration. */
static void
start_server(const char *kueri, int small)
{
	struct stat sb;
	int i;

	unlink(sock);
	server = fork();
	if (server == 0) {
		FILE *f = freopen(logp, "a", stderr);

		(void)f;
		if (small)
			execl(kueri, kueri, "serve", "--db", dbp, "--socket",
			      sock, "--workers", "2", "--io-timeout", "2",
			      "--drain", "5", (char *)NULL);
		else
			execl(kueri, kueri, "serve", "--db", dbp, "--socket",
			      sock, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 100 && stat(sock, &sb) != 0; i++)
		usleep(50000);
}

/* SIGTERM the server; 1 when it exited 0 within 10 s. */
static int
stop_server(void)
{
	int i, status = -1;

	kill(server, SIGTERM);
	for (i = 0; i < 100; i++) {
		if (waitpid(server, &status, WNOHANG) == server)
			break;
		usleep(100000);
	}
	if (i == 100) {
		kill(server, SIGKILL);
		waitpid(server, &status, 0);
		return 0;
	}
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Lines of the server log that say a worker died ("...; replacing it"). */
static int
deaths(void)
{
	char line[512];
	int n = 0;
	FILE *f = fopen(logp, "r");

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof line, f))
		if (strstr(line, "replacing it"))
			n++;
	fclose(f);
	return n;
}

/* A whole, well-framed request whose one PARAMS pair claims
 * nameLength = valueLength = 0x40000000 (issue 11: libfcgi asked Malloc
 * for 2^31 + 2 bytes and the worker died).  Returns the fd (caller
 * closes) or -1. */
static int
send_poison(void)
{
	static const unsigned char pair[10] = { 0xc0, 0, 0, 0, 0xc0, 0, 0, 0,
	                                        'A', 'B' };
	int fd = connect_sock();

	if (fd < 0)
		return -1;
	record(fd, 1, begin, 8);
	record(fd, 4, pair, sizeof pair);
	record(fd, 4, NULL, 0);
	record(fd, 5, NULL, 0);
	return fd;
}

/* Wait up to ms for the peer to close fd; 1 if it did (EOF or reset). */
static int
closed_within(int fd, int ms)
{
	long long deadline = now_ms() + ms;
	char b[4096];

	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		long long left = deadline - now_ms();
		ssize_t r;

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			return 0;
		r = recv(fd, b, sizeof b, 0);
		if (r <= 0)
			return 1;
	}
}

/* A portal at `path` whose set "s" has `rows` (at most 64) rows, k =
 * 0..rows-1; the writer stores the row count, as for any publish ($count
 * of the whole set answers it without a scan). */
static int
make_portal(const char *path, int rows)
{
	kp_value cells[64];
	pf_set   set = { "s", NULL, 1, s_fields, 1, s_key, rows, cells };
	int      i;

	if (rows < 0 || rows > 64)
		return 0;
	memset(cells, 0, sizeof(cells));
	for (i = 0; i < rows; i++)
		cells[i].i = i;
	return pf_make(path, "p", &p_pkg, &set, 1) == 0;
}

/* make_portal() in rollback-journal mode, as `kueri snapshot` writes
 * the files replicas serve (a reader of one checks the file header on
 * every transaction; a WAL reader may not look at it at all). */
static int
make_portal_rb(const char *path, int rows)
{
	sqlite3 *db;
	int ok_ = make_portal(path, rows);

	if (ok_ && sqlite3_open(path, &db) == SQLITE_OK)
		ok_ = sqlite3_exec(db, "PRAGMA journal_mode=DELETE", NULL, NULL,
		                   NULL) == SQLITE_OK;
	else
		ok_ = 0;
	sqlite3_close(db);
	return ok_;
}

static int
cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

static int
pool_ok(const char *what)
{
	long long t0 = now_ms();
	int st = request("/odata/", 20000);

	ok(st == 200, "after %s: a good request is answered (%d, %lld ms)",
	   what, st, now_ms() - t0);
	return st == 200;
}

int
main(void)
{
	const char *kueri = getenv("KUERI");
	int i, fd, holders[4], status;
	struct stat sb;

	signal(SIGPIPE, SIG_IGN);
	if (kueri == NULL) {
		ok(0, "KUERI names the binary under test");
		return tap_done();
	}
	/* Unix socket paths are short (108 bytes): stay in /tmp. */
	snprintf(dir, sizeof dir, "/tmp/kueri-raw.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		ok(0, "temp dir");
		return tap_done();
	}
	snprintf(sock, sizeof sock, "%s/s.sock", dir);
	snprintf(dbp, sizeof dbp, "%s/p.db", dir);
	snprintf(logp, sizeof logp, "%s/log", dir);
	ok(make_portal(dbp, 0), "test portal written through the portal writer");

	start_server(kueri, 1);
	ok(stat(sock, &sb) == 0, "kueri serve listens on its socket");
	pool_ok("start");

	/* 1. A truncated record header, then close. */
	if ((fd = connect_sock()) >= 0) {
		send_all(fd, "\x01\x01\x00", 3);
		close(fd);
	}
	pool_ok("a truncated record header");

	/* 2. A params record claiming a 2 GiB value (CVE-2025-23016 class). */
	if ((fd = connect_sock()) >= 0) {
		unsigned char p[16] = { 0x8f, 0xff, 0xff, 0xff,
		                        0x7f, 0xff, 0xff, 0xff, 'A', 'B' };

		record(fd, 1, begin, 8);
		record(fd, 4, p, 10);
		record(fd, 4, NULL, 0);
		close(fd);
	}
	pool_ok("a name/value with 2 GiB lengths");

	/* 3. An unknown record type and a bad version byte. */
	if ((fd = connect_sock()) >= 0) {
		unsigned char h[8] = { 1, 200, 0, 1, 0, 0, 0, 0 };
		unsigned char v[8] = { 9, 1, 0, 1, 0, 8, 0, 0 };

		send_all(fd, h, 8);
		send_all(fd, v, 8);
		send_all(fd, begin, 8);
		close(fd);
	}
	pool_ok("an unknown record type and a bad version");

	/* 4. Garbage. */
	if ((fd = connect_sock()) >= 0) {
		char g[4096];

		for (i = 0; i < (int)sizeof g; i++)
			g[i] = (char)(i * 131 + 7);
		send_all(fd, g, sizeof g);
		close(fd);
	}
	pool_ok("4 KiB of garbage");

	/* 5. Params that never end, on as many connections as there are
	 * workers, held open: the io timeout must free the pool. */
	for (i = 0; i < 4; i++) {
		holders[i] = connect_sock();
		if (holders[i] >= 0) {
			record(holders[i], 1, begin, 8);
			send_all(holders[i], "\x01\x04\x00\x01\x00\x40\x00\x00"
			         "\x0e\x03REQ", 13);
		}
	}
	pool_ok("params that never end, on every worker at once");
	for (i = 0; i < 4; i++)
		if (holders[i] >= 0)
			close(holders[i]);

	/* 6. A 64 KiB URL straight to the socket. */
	{
		char *u = malloc(65536 + 1);

		memcpy(u, "/odata/s?$filter=", 17);
		memset(u + 17, 'x', 65536 - 17);
		u[65536] = '\0';
		is_int(request(u, 20000), 414, "a 64 KiB URL sent directly gets"
		       " 414 from kueri itself");
		free(u);
	}
	pool_ok("a 64 KiB URL");

	/* 7. Issue 11: lengths 0x40000000 in a complete request. */
	{
		int d0 = deaths(), closed;

		fd = send_poison();
		closed = fd >= 0 && closed_within(fd, 5000);
		if (fd >= 0)
			close(fd);
		ok(closed, "a params pair with nameLength = valueLength ="
		   " 0x40000000 is refused: the connection is closed");
		pool_ok("lengths 0x40000000");
		is_int(deaths() - d0, 0, "no worker died on it");
	}

	/* 8. A flood of such records, then a valid request: it is answered
	 * promptly (a worker that died per record, replaced once a second,
	 * made it wait minutes). */
	{
		int d0 = deaths(), sent = 0;
		long long t0;

		for (i = 0; i < 300; i++)
			if ((fd = send_poison()) >= 0) {
				sent++;
				close(fd);
			}
		t0 = now_ms();
		status = request("/odata/", 20000);
		ok(sent == 300 && status == 200 && now_ms() - t0 < 5000,
		   "after a flood of %d poison requests a valid request is"
		   " answered in %lld ms (%d; bound 5000)", sent,
		   now_ms() - t0, status);
		is_int(deaths() - d0, 0, "no worker died in the flood");
	}

	/* 9. FastCGI management records: GET_VALUES is answered, an
	 * unknown type gets UNKNOWN_TYPE, a second BEGIN_REQUEST on the
	 * same connection gets CANT_MPX_CONN. */
	if ((fd = connect_sock()) >= 0) {
		unsigned char gv[18] = { 14, 0, 'F', 'C', 'G', 'I', '_', 'M',
		                         'A', 'X', '_', 'C', 'O', 'N', 'N', 'S' };
		unsigned char h[8] = { 1, 9, 0, 0, 0, 16, 0, 0 };
		unsigned char u[8] = { 1, 77, 0, 0, 0, 0, 0, 0 };
		unsigned char b2[8] = { 0, 1, 0, 0, 0, 0, 0, 0 };
		unsigned char hb[8] = { 1, 1, 0, 2, 0, 8, 0, 0 };
		unsigned char rep[512];
		size_t got = 0;
		long long dl = now_ms() + 5000;

		send_all(fd, h, 8);
		send_all(fd, gv, 16);
		send_all(fd, u, 8);
		record(fd, 1, begin, 8);
		send_all(fd, hb, 8);     /* BEGIN_REQUEST for id 2 */
		send_all(fd, b2, 8);
		while (got < 8 + 18 + 8 + 8 + 8 + 8 && now_ms() < dl) {
			struct pollfd pfd = { fd, POLLIN, 0 };
			ssize_t r;

			if (poll(&pfd, 1, 200) <= 0)
				continue;
			if ((r = recv(fd, rep + got, sizeof rep - got, 0)) <= 0)
				break;
			got += (size_t)r;
		}
		close(fd);
		/* Walk the records: type, id, first content byte. */
		{
			size_t o = 0;
			int seen_gv = 0, seen_unk = 0, seen_mpx = 0;

			while (o + 8 <= got) {
				size_t len = (size_t)rep[o + 4] << 8 | rep[o + 5];
				const unsigned char *c = rep + o + 8;

				if (o + 8 + len > got)
					break;
				if (rep[o + 1] == 10 && len > 16 && c[0] == 14 &&
				    memcmp(c + 2, "FCGI_MAX_CONNS", 14) == 0 &&
				    c[16] == '2')
					seen_gv = 1;
				if (rep[o + 1] == 11 && len == 8 && c[0] == 77)
					seen_unk = 1;
				if (rep[o + 1] == 3 && rep[o + 3] == 2 && len == 8 &&
				    c[4] == 1)
					seen_mpx = 1;
				o += 8 + len + rep[o + 6];
			}
			ok(seen_gv, "GET_VALUES is answered: FCGI_MAX_CONNS is"
			   " the pool size (2)");
			ok(seen_unk, "an unknown record type gets UNKNOWN_TYPE"
			   " naming it");
			ok(seen_mpx, "a second request on the connection gets"
			   " END_REQUEST with CANT_MPX_CONN");
		}
	}

	/* 10. Split brain: replace the portal file while serving, then
	 * delete it.  Every answer after the swap comes from the new file;
	 * after the delete every answer is a clean 503. */
	{
		char next[120], body[64];
		int n_new = 0, n_503 = 0, n = 20;

		snprintf(next, sizeof next, "%s.next", dbp);
		is_int(request_ex("/odata/s/$count", 5000, 0, body,
		                  sizeof body), 200, "count before the swap");
		is_str(body, "0", "the first portal has 0 rows");
		/* Every worker has the old file open now. */
		for (i = 0; i < 4; i++)
			request("/odata/", 5000);
		ok(make_portal(next, 7) && rename(next, dbp) == 0,
		   "a new portal file (7 rows) renamed over the served one");
		for (i = 0; i < n; i++)
			if (request_ex("/odata/s/$count", 5000, 0, body,
			               sizeof body) == 200 &&
			    strcmp(body, "7") == 0)
				n_new++;
		is_int(n_new, n, "after the swap, every answer comes from the"
		       " new file (%d of %d)", n_new, n);
		unlink(dbp);
		for (i = 0; i < n; i++)
			if (request_ex("/odata/s/$count", 5000, 0, body,
			               sizeof body) == 503)
				n_503++;
		is_int(n_503, n, "after the file is deleted, every request is"
		       " refused with 503 (%d of %d), none answered from the"
		       " deleted file", n_503, n);
		ok(strstr(last_head, "\r\nRetry-After: 5\r\n") != NULL &&
		   strstr(last_head, "\r\nAccess-Control-Expose-Headers: "
		          "OData-Version, Retry-After\r\n") != NULL,
		   "... with Retry-After, exposed to scripts on other origins");
		ok(make_portal(next, 3) && rename(next, dbp) == 0,
		   "a portal file put back (3 rows)");
		is_int(request_ex("/odata/s/$count", 5000, 0, body,
		                  sizeof body), 200, "served again");
		is_str(body, "3", "from the file put back");

		/* 10b. The replaced file zeroed before an idle worker looks
		 * again (what `kueri replicate` does after its grace): the
		 * worker must reopen the path, not answer 503 from the
		 * unreadable old file forever. */
		{
			static const char zeros[4096];
			struct stat ob;
			int ofd, z = 1;
			off_t off;

			static const char u[] = "/odata/s/$count";
			unsigned char beg[8] = { 0, 1, 0, 0, 0, 0, 0, 0 };
			unsigned char prm[128];
			size_t pl = 0;
			char rep[4096];
			int h = connect_sock(), both = 0;

			ok(make_portal_rb(next, 3) && rename(next, dbp) == 0,
			   "a rollback-journal portal file (3 rows) put in place");
			ofd = open(dbp, O_RDWR);
			/* Both workers on the 3-row file: one is held by a
			 * request that has only begun while the other answers
			 * one; then the held one is completed and answered. */
			n_new = 0;
			if (h >= 0 && record(h, 1, beg, 8) == 0) {
				ssize_t r;
				size_t got = 0;

				usleep(200000);
				both = request("/odata/s/$count", 5000) == 200;
				pl += nv(prm + pl, "REQUEST_METHOD", "GET", 3);
				pl += nv(prm + pl, "REQUEST_URI", u, strlen(u));
				pl += nv(prm + pl, "HTTP_HOST", "t", 1);
				record(h, 4, prm, pl);
				record(h, 4, NULL, 0);
				record(h, 5, NULL, 0);
				for (;;) {
					struct pollfd pfd = { h, POLLIN, 0 };

					if (got >= sizeof rep - 1 ||
					    poll(&pfd, 1, 5000) <= 0 ||
					    (r = recv(h, rep + got,
					              sizeof rep - 1 - got, 0)) <= 0)
						break;
					got += (size_t)r;
				}
				rep[got] = '\0';
				both = both && memmem(rep, got, "Status: 200", 11) != NULL;
			}
			if (h >= 0)
				close(h);
			ok(both, "both workers answered from the 3-row file");
			ok(ofd >= 0 && fstat(ofd, &ob) == 0 &&
			   make_portal_rb(next, 5) && rename(next, dbp) == 0,
			   "a new portal file (5 rows) renamed over the served one");
			for (off = 0; ofd >= 0 && off < ob.st_size;
			     off += (off_t)sizeof zeros)
				if (pwrite(ofd, zeros, sizeof zeros, off) < 0)
					z = 0;
			ok(ofd >= 0 && z && fsync(ofd) == 0 && close(ofd) == 0,
			   "the replaced file is zeroed before any worker looks");
			for (i = 0; i < n; i++)
				if (request_ex("/odata/s/$count", 5000, 0, body,
				               sizeof body) == 200 &&
				    strcmp(body, "5") == 0)
					n_new++;
			is_int(n_new, n, "after the swap and the zeroing, every"
			       " answer comes from the new file (%d of %d)",
			       n_new, n);
		}
	}

	/* SIGTERM: drains and exits 0. */
	ok(stop_server(), "SIGTERM: kueri serve exits 0");
	ok(stat(sock, &sb) != 0, "the socket is gone");

	/* 11. Slow peers against the default configuration: four peers
	 * trickling a request at 1 byte/s (reconnecting when cut off) and
	 * two FCGI_KEEP_CONN connections left open, while a cheap request
	 * is probed for 7 s.  Before, as many slow peers as workers stalled
	 * every request for the whole io timeout (30 s). */
	{
		int slow[4], keep[2], nprobe = 0, bad = 0, kept_closed = 0;
		long long lat[400], t0, next_byte = 0, end;
		static const unsigned char trickle[] =
			"\x01\x01\x00\x01\x00\x08\x00\x00"
			"\x00\x01\x00\x00\x00\x00\x00\x00"
			"\x01\x04\x00\x01\x01\x00\x00\x00";
		size_t pos[4] = { 0, 0, 0, 0 };

		start_server(kueri, 0);
		ok(stat(sock, &sb) == 0, "kueri serve (default configuration)"
		   " listens");
		for (i = 0; i < 4; i++)
			slow[i] = connect_sock();
		for (i = 0; i < 2; i++) {
			keep[i] = connect_sock();
			if (keep[i] >= 0) {
				unsigned char kb[8] = { 0, 1, 1, 0, 0, 0, 0, 0 };
				unsigned char pv[64];
				size_t pl = nv(pv, "REQUEST_URI", "/health", 7);

				record(keep[i], 1, kb, 8);
				record(keep[i], 4, pv, pl);
				record(keep[i], 4, NULL, 0);
				record(keep[i], 5, NULL, 0);
				kept_closed += closed_within(keep[i], 3000);
			}
		}
		is_int(kept_closed, 2, "a FCGI_KEEP_CONN connection is closed"
		       " by kueri after its request (it cannot hold a worker)");
		end = now_ms() + 7000;
		while (now_ms() < end && nprobe < 400) {
			if (now_ms() >= next_byte) {
				for (i = 0; i < 4; i++) {
					if (slow[i] < 0 || send(slow[i],
					    trickle + pos[i] % (sizeof trickle - 1),
					    1, MSG_NOSIGNAL) != 1) {
						if (slow[i] >= 0)
							close(slow[i]);
						slow[i] = connect_sock();
						pos[i] = 0;
						continue;
					}
					pos[i]++;
				}
				next_byte = now_ms() + 1000;
			}
			t0 = now_ms();
			if (request("/health", 10000) != 200)
				bad++;
			lat[nprobe++] = now_ms() - t0;
			usleep(20000);
		}
		for (i = 0; i < 4; i++)
			if (slow[i] >= 0)
				close(slow[i]);
		for (i = 0; i < 2; i++)
			if (keep[i] >= 0)
				close(keep[i]);
		qsort(lat, (size_t)nprobe, sizeof lat[0], cmp_ll);
		ok(nprobe > 20 && bad == 0 && lat[nprobe - 1] < 1000,
		   "with 4 slowloris peers (1 byte/s) and 2 kept connections, %d"
		   " probes all answered: p50 %lld ms, p99 %lld ms, max %lld ms"
		   " (bound on max: 1000)", nprobe, lat[nprobe / 2],
		   lat[(nprobe * 99) / 100], lat[nprobe - 1]);
		ok(stop_server(), "SIGTERM: kueri serve exits 0");
	}
	{
		char cmd[600];

		snprintf(cmd, sizeof cmd, "grep -Eq 'Sanitizer|runtime error'"
		         " %s", logp);
		ok(system(cmd) != 0, "no sanitizer report from any kueri serve"
		   " process");
		printf("# server log:\n");
		fflush(stdout);
		snprintf(cmd, sizeof cmd, "sed 's/^/#   /' %s | tail -12", logp);
		if (system(cmd) != 0)
			printf("# (no log)\n");
		snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", dir);
	}
	return tap_done();
}
