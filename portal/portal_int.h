/*
 * portal_int.h -- what the portal module shares with the publisher
 * (publish/load.c) and nothing else: the meta-table DDL, the physical
 * name check, the Table Schema type parser.
 */
#ifndef KUERI_PORTAL_INT_H
#define KUERI_PORTAL_INT_H

#include "portal.h"

/* CREATE TABLE IF NOT EXISTS for kueri_package, kueri_resource, kueri_meta. */
extern const char portal_ddl[];

/* 1 if `s` is "t<digits>" followed by exactly `suffix` ("" or "_fts"). */
int portal_name_ok(const char *s, const char *suffix);

/* Table Schema type name → kp_type; 0 ok, -1 unknown. */
int kp_type_parse(const char *name, kp_type *out);

/* Reload the catalog unconditionally (after this connection's own write,
 * which PRAGMA data_version does not count). */
int portal_reload(kportal *p, kueri_err *err);

#endif
