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

#endif
