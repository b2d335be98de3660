/*
 * test_fcgi_raw.c -- bad FastCGI straight to `kueri serve`'s socket,
 * bypassing any web server: truncated headers, huge name/value lengths
 * (the CVE-2025-23016 class), unknown record types, params that never end,
 * garbage, a 64 KiB URL.  After each, a well-formed request must still be
 * answered promptly: a worker survives or is replaced, the pool never
 * hangs.  Runs $KUERI (the binary under test) on a hand-made portal.
 */
#include <errno.h>
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

#include "tap.h"

static char dir[64], sock[100], dbp[100], logp[100];
static pid_t server;

static const char layout[] =
	"PRAGMA journal_mode=WAL;"
	"CREATE TABLE kueri_package(name TEXT PRIMARY KEY, title TEXT,"
	" publisher TEXT NOT NULL, classification TEXT NOT NULL,"
	" update_frequency TEXT, version INTEGER NOT NULL,"
	" published_at INTEGER NOT NULL, descriptor TEXT NOT NULL,"
	" fingerprint TEXT NOT NULL);"
	"CREATE TABLE kueri_resource(name TEXT PRIMARY KEY, package TEXT NOT NULL,"
	" title TEXT, tbl TEXT NOT NULL, fts TEXT NOT NULL DEFAULT '',"
	" rows INTEGER NOT NULL, fields TEXT NOT NULL, keys TEXT NOT NULL,"
	" sha256 TEXT NOT NULL);"
	"INSERT INTO kueri_package VALUES('p','P','X','public',NULL,1,"
	" 1700000000,'{}','fp');"
	"INSERT INTO kueri_resource VALUES('s','p',NULL,'t1','',0,"
	" '[{\"name\":\"k\",\"type\":\"integer\",\"nullable\":false}]',"
	" '[0]','x');"
	"CREATE TABLE t1(c0 INTEGER);";

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
static int
request(const char *uri, int timeout_ms)
{
	size_t ulen = strlen(uri), plen = 0, off;
	unsigned char *params = malloc(ulen + 256);
	char reply[8192];
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
	record(fd, 1, begin, 8);
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
			break;
		}
	return status;
}

static void
start_server(const char *kueri)
{
	server = fork();
	if (server == 0) {
		FILE *f = freopen(logp, "a", stderr);

		(void)f;
		execl(kueri, kueri, "serve", "--db", dbp, "--socket", sock,
		      "--workers", "2", "--io-timeout", "2", "--drain", "5",
		      (char *)NULL);
		_exit(127);
	}
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
	sqlite3 *db;
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
	ok(sqlite3_open(dbp, &db) == SQLITE_OK &&
	   sqlite3_exec(db, layout, NULL, NULL, NULL) == SQLITE_OK,
	   "hand-made portal");
	sqlite3_close(db);

	start_server(kueri);
	for (i = 0; i < 100 && stat(sock, &sb) != 0; i++)
		usleep(50000);
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

	/* SIGTERM: drains and exits 0. */
	kill(server, SIGTERM);
	status = -1;
	for (i = 0; i < 100; i++) {
		if (waitpid(server, &status, WNOHANG) == server)
			break;
		usleep(100000);
	}
	ok(i < 100 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "SIGTERM: kueri serve exits 0");
	if (i == 100) {
		kill(server, SIGKILL);
		waitpid(server, &status, 0);
	}
	ok(stat(sock, &sb) != 0, "the socket is gone");
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
