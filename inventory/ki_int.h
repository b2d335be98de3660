/*
 * ki_int.h -- what status.c shares with write.c (private to inventory/).
 */
#ifndef KUERI_KI_INT_H
#define KUERI_KI_INT_H

#include "inventory.h"

/* Deadline k of `e` (see status.c): 0 and *d set when it exists. */
int ki_deadline(const ki_entry *e, long long k, ki_day *d);

/* Index of the first deadline on or after day x, or -1 when none. */
long long ki_period_of(const ki_entry *e, ki_day x);

/* Shared by store.c, import.c, link.c. */
#include <sqlite3.h>

/* err = KUERI_EDB with SQLite's message; returns -1. */
int   ki_db_err(sqlite3 *db, kueri_err *err);
/* 1 when the three inventory tables exist, 0 not, -1 error. */
int   ki_has_tables(sqlite3 *db);
/* A copy of column i (NULL for NULL); caller frees. */
char *ki_col_dup(sqlite3_stmt *st, int i);
/* Append one history event; 0 or -1 + err. */
int   ki_history_add(sqlite3 *db, long long at, ki_day day, const char *event,
                     const char *name, const char *publisher,
                     long long version, const char *detail, kueri_err *err);

#endif
