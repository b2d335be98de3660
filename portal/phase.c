/*
 * phase.c -- the publish's phase times (portal_int.h), a measuring aid:
 * with KUERI_PUBLISH_TIMES set (and not "0"), the writer prints one
 * stderr line per phase of a publish with the CPU it took, the part
 * spent committing pieces, and the read and write system calls it made.
 * docs/bench.md ("Linear at ten million") reads them: on a shared machine
 * the CPU figures move with the others' load, the call counts do not.
 * Unset, nothing is read or printed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "portal_int.h"

void
portal_phase_init(portal_phase *ph)
{
	const char *t = getenv("KUERI_PUBLISH_TIMES");

	memset(ph, 0, sizeof *ph);
	ph->on = t != NULL && *t != '\0' && strcmp(t, "0") != 0;
}

/* This process's CPU (user + system) so far, in seconds. */
double
portal_phase_cpu(double *user, double *sys)
{
	struct rusage ru;
	double u, s;

	getrusage(RUSAGE_SELF, &ru);
	u = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
	s = (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	if (user)
		*user = u;
	if (sys)
		*sys = s;
	return u + s;
}

/* This process's read and write system calls and their bytes so far
 * (Linux's /proc/self/io: syscr, syscw, rchar, wchar); zeros elsewhere. */
static void
io_now(long long io[4])
{
	static const char *const key[4] = { "syscr", "syscw", "rchar",
	                                    "wchar" };
	char line[128];
	FILE *f = fopen("/proc/self/io", "r");
	int i;

	memset(io, 0, 4 * sizeof *io);
	if (f == NULL)
		return;
	while (fgets(line, sizeof line, f))
		for (i = 0; i < 4; i++) {
			size_t n = strlen(key[i]);

			if (strncmp(line, key[i], n) == 0 && line[n] == ':')
				io[i] = strtoll(line + n + 1, NULL, 10);
		}
	fclose(f);
}

/* The first mark counts from the process's start, so the writer's
 * "load" includes reading the descriptor, verify and the INSERTs. */
void
portal_phase_mark(portal_phase *ph, const char *name)
{
	double u, sy, now;
	long long io[4];

	if (!ph->on)
		return;
	now = portal_phase_cpu(&u, &sy);
	io_now(io);
	fprintf(stderr, "kueri: phase %-12s %7.2f s CPU (piece commits %.2f s;"
	        " process %.2f user + %.2f sys; %lld reads %lld writes, %lld +"
	        " %lld MB)\n", name, now - ph->mark, ph->piece, u, sy,
	        io[0] - ph->io[0], io[1] - ph->io[1],
	        (io[2] - ph->io[2]) >> 20, (io[3] - ph->io[3]) >> 20);
	ph->mark = now;
	ph->piece = 0;
	memcpy(ph->io, io, sizeof io);
}
