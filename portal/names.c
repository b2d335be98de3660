/*
 * names.c -- the rule that turns a published name into an OData name.
 *
 * CSDL requires SimpleIdentifiers ([_A-Za-z][_A-Za-z0-9]*, at most 128
 * characters, for the ASCII subset we emit) for properties; CSV headers
 * are free text ("Harga Kemarin").  The portal applies this mapping once,
 * when it loads a set, so every consumer -- name resolution in $filter,
 * JSON keys, CSV headers, $metadata -- sees the same identifier and a
 * client that reads $metadata can use every name it finds there.
 *
 * The rule: identity for names that are already identifiers; otherwise
 * every run of other characters becomes one '_', a leading digit gets a
 * '_' prefix, and a clash with an earlier result (or with a later name
 * that is already an identifier) gets "_2", "_3", ...  A name that needed
 * no mapping always keeps its spelling, so adding an odd column never
 * renames the others.
 */
#include <stdio.h>
#include <string.h>

#include "portal.h"

static int
is_ident_start(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int
is_ident_char(unsigned char c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9');
}

int
kp_is_odata_name(const char *s)
{
	size_t n;

	if (s == NULL || !is_ident_start((unsigned char)s[0]))
		return 0;
	for (n = 1; s[n]; n++)
		if (!is_ident_char((unsigned char)s[n]))
			return 0;
	return n <= KP_NAME_MAX - 8;
}

/* The identifier for `name` alone, before clash handling. */
static void
ident_base(const char *name, char out[KP_NAME_MAX])
{
	const unsigned char *s = (const unsigned char *)(name ? name : "");
	size_t n = 0, max = KP_NAME_MAX - 8; /* room for a "_NNNNN" suffix */
	int gap = 0;

	if (*s >= '0' && *s <= '9')
		out[n++] = '_';
	for (; *s && n < max; s++) {
		if (is_ident_char(*s)) {
			if (gap && (n == 0 || out[n - 1] != '_'))
				out[n++] = '_';
			gap = 0;
			if (n < max)
				out[n++] = (char)*s;
		} else if ((*s & 0xC0) != 0x80) {
			/* start of a non-identifier character (a UTF-8
			 * continuation byte belongs to the same character) */
			gap = 1;
		}
	}
	if (gap && (n == 0 || out[n - 1] != '_') && n < max)
		out[n++] = '_';
	if (n == 0)
		out[n++] = '_';
	out[n] = '\0';
}

void
kp_odata_names(const char *const *names, int n, char (*out)[KP_NAME_MAX])
{
	int i, j, k, clash, suffix;

	for (i = 0; i < n; i++) {
		suffix = 1;
		ident_base(names[i], out[i]);
		for (;;) {
			clash = 0;
			for (j = 0; j < i && !clash; j++)
				clash = strcmp(out[j], out[i]) == 0;
			for (j = i + 1; j < n && !clash; j++)
				clash = strcmp(names[j], out[i]) == 0 &&
				        strcmp(names[i], out[i]) != 0;
			if (!clash)
				break;
			suffix++;
			ident_base(names[i], out[i]);
			k = (int)strlen(out[i]);
			snprintf(out[i] + k, KP_NAME_MAX - (size_t)k, "_%d",
			         suffix);
		}
	}
}
