/*
 * floor_fcgi.c -- the FastCGI floor for `make bench`: the least work a
 * libfcgi program can do per request (accept, read the params, write a
 * fixed body), run behind the same nginx config as `kueri serve`.  kueri's
 * throughput is reported as a fraction of this.
 *
 *   usage: floor_fcgi [--socket PATH] [--workers N] [--size BYTES]
 *
 * With --socket it listens on that unix socket, otherwise it accepts on
 * fd 0 (spawn-fcgi style).  N pre-forked workers (default 1) accept on the
 * one socket, as `kueri serve` does.  The body is BYTES long (default
 * 2048), or `size=N` from the query string, so one floor serves every
 * answer size the harness needs; it looks like a JSON string so content
 * types and gzip behave as for a real answer.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcgiapp.h>

#define MAX_BODY (64L * 1024 * 1024)

static char *body;          /* `cap` bytes of 'x', grown on demand      */
static long  cap;
static volatile sig_atomic_t stopping;

static void
on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

/* size=N anywhere in the query string, else `dflt`; clamped. */
static long
body_size(const char *qs, long dflt)
{
	const char *s = qs ? strstr(qs, "size=") : NULL;
	long n = s ? strtol(s + 5, NULL, 10) : dflt;

	if (n < 2)
		n = 2;
	if (n > MAX_BODY)
		n = MAX_BODY;
	return n;
}

static int
serve(int sock, long dflt)
{
	FCGX_Request req;

	if (FCGX_InitRequest(&req, sock, 0) != 0)
		return 1;
	while (FCGX_Accept_r(&req) >= 0) {
		long n = body_size(FCGX_GetParam("QUERY_STRING", req.envp), dflt);

		if (n > cap) {           /* once per new largest size */
			char *nb = realloc(body, (size_t)n);

			if (nb == NULL)
				return 1;
			memset(nb + cap, 'x', (size_t)(n - cap));
			body = nb;
			cap = n;
		}

		FCGX_FPrintF(req.out, "Status: 200 OK\r\n"
		             "Content-Type: application/json;odata.metadata=minimal\r\n"
		             "OData-Version: 4.0\r\n\r\n");
		/* the body: a quote, n-2 bytes of x, a quote */
		FCGX_PutChar('"', req.out);
		FCGX_PutStr(body, (int)n - 2, req.out);
		FCGX_PutChar('"', req.out);
		FCGX_Finish_r(&req);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	const char *sockpath = NULL;
	int workers = 1, sock = 0, i, status;
	long dflt = 2048;
	pid_t *kids;
	struct sigaction sa;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc)
			sockpath = argv[++i];
		else if (strcmp(argv[i], "--workers") == 0 && i + 1 < argc)
			workers = atoi(argv[++i]);
		else if (strcmp(argv[i], "--size") == 0 && i + 1 < argc)
			dflt = atol(argv[++i]);
		else {
			fprintf(stderr, "usage: floor_fcgi [--socket PATH] "
			                "[--workers N] [--size BYTES]\n");
			return 2;
		}
	}
	if (workers < 1 || workers > 256)
		workers = 1;
	if (FCGX_Init() != 0)
		return 1;
	if (sockpath != NULL) {
		unlink(sockpath);
		sock = FCGX_OpenSocket(sockpath, 1024);
		if (sock < 0) {
			fprintf(stderr, "floor_fcgi: cannot listen on %s\n", sockpath);
			return 1;
		}
	}
	kids = calloc((size_t)workers, sizeof *kids);
	if (kids == NULL)
		return 1;
	for (i = 0; i < workers; i++) {
		kids[i] = fork();
		if (kids[i] < 0)
			return 1;
		if (kids[i] == 0) {
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			return serve(sock, dflt);
		}
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	while (!stopping && wait(&status) > 0)
		;
	for (i = 0; i < workers; i++)
		kill(kids[i], SIGTERM);
	while (wait(&status) > 0)
		;
	if (sockpath != NULL)
		unlink(sockpath);
	return 0;
}
