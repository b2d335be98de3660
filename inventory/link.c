/*
 * link.c -- the inventory and publishing: the check before `kueri
 * publish` (publisher and classification must agree with the entry) and
 * the delivery recorded after it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "inventory.h"
#include "ki_int.h"
#include "publish.h"

/* ---- the publish link ------------------------------------------------ */

/* The current entry for `name`: publisher and classification (owned
 * copies) and the inventory version.  1 found, 0 none, 2 no inventory,
 * -1 error. */
static int
entry_for(sqlite3 *db, const char *name, char **publisher, char **cls,
          long long *version)
{
	sqlite3_stmt *st;
	int have = ki_has_tables(db), rc;

	if (have <= 0)
		return have < 0 ? -1 : 2;
	if (sqlite3_prepare_v2(db, "SELECT v.version, i.publisher,"
	        " i.classification FROM (SELECT max(version) AS version FROM"
	        " kueri_inventory_version) v LEFT JOIN kueri_inventory i"
	        " ON i.version = v.version AND i.name = ?1", -1, &st,
	        NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW || sqlite3_column_type(st, 0) == SQLITE_NULL) {
		sqlite3_finalize(st);
		return rc == SQLITE_ROW ? 2 : -1;
	}
	*version = sqlite3_column_int64(st, 0);
	if (sqlite3_column_type(st, 1) == SQLITE_NULL) {
		sqlite3_finalize(st);
		return 0;
	}
	*publisher = ki_col_dup(st, 1);
	*cls = ki_col_dup(st, 2);
	sqlite3_finalize(st);
	return *publisher && *cls ? 1 : -1;
}

int
ki_publish_check(const char *db_path, const char *package_path,
                 const kueri_sink *warn, kueri_err *err)
{
	kv_package *pkg;
	kportal *p = NULL;
	char *pub = NULL, *cls = NULL;
	long long v = 0;
	int rc = -1, found;

	if (access(db_path, F_OK) != 0)
		return 0; /* a new portal: no inventory yet */
	pkg = kv_package_load(package_path, err);
	if (pkg == NULL)
		return 0; /* kv_publish reports it the same way */
	if (pkg->publisher == NULL || pkg->classification == NULL) {
		rc = 0;
		goto out;
	}
	p = portal_open_ro(db_path, err);
	if (p == NULL)
		goto out;
	found = entry_for(portal_db(p), pkg->name, &pub, &cls, &v);
	if (found < 0) {
		ki_db_err(portal_db(p), err);
		goto out;
	}
	rc = 0;
	if (found == 0 && warn)
		kueri_sink_printf(warn, "kueri publish: warning: package '%s' has"
		                  " no entry in the inventory (version %lld)\n",
		                  pkg->name, v);
	if (found != 1)
		goto out;
	if (strcmp(pub, pkg->publisher) != 0) {
		kueri_err_set(err, KUERI_EINVALID, -1, "package '%s' comes from"
		              " '%s', but the inventory (version %lld) assigns it"
		              " to '%s': data from the wrong unit is refused",
		              pkg->name, pkg->publisher, v, pub);
		rc = 1;
	} else if (strcmp(cls, "private") == 0 &&
	           strcmp(pkg->classification, "public") == 0) {
		kueri_err_set(err, KUERI_EPRIVATE, -1, "package '%s' is"
		              " registered private in the inventory (version"
		              " %lld): it is not published", pkg->name, v);
		rc = 1;
	} else if (strcmp(cls, pkg->classification) != 0 && warn) {
		/* Public entry, private package: kv_publish refuses it anyway
		 * (and removes an earlier version); say why they differ. */
		kueri_sink_printf(warn, "kueri publish: warning: package '%s' is"
		                  " classified '%s' but its inventory entry says"
		                  " '%s'\n", pkg->name, pkg->classification, cls);
	}
out:
	free(pub);
	free(cls);
	portal_close(p);
	kv_package_free(pkg);
	return rc;
}

int
ki_publish_record(const char *db_path, const char *package_path,
                  int unchanged, kueri_err *err)
{
	kv_package *pkg;
	kportal *p = NULL;
	sqlite3_stmt *st = NULL;
	int rc = -1;

	pkg = kv_package_load(package_path, err);
	if (pkg == NULL)
		return -1;
	p = portal_open_rw(db_path, err);
	if (p == NULL)
		goto out;
	/* Only a package with an inventory entry gets a history: without
	 * one there is no deadline to be on time for, and unpublishing such
	 * a package must leave no byte of its name behind. */
	{
		char *pub = NULL, *cls = NULL;
		long long v = 0;
		int found = entry_for(portal_db(p), pkg->name, &pub, &cls, &v);

		free(pub);
		free(cls);
		if (found < 0) {
			ki_db_err(portal_db(p), err);
			goto out;
		}
		if (found != 1) {
			rc = 0;
			goto out;
		}
	}
	if (sqlite3_prepare_v2(portal_db(p), "SELECT version, published_at,"
	        " publisher FROM kueri_package WHERE name = ?1", -1, &st,
	        NULL) != SQLITE_OK) {
		ki_db_err(portal_db(p), err);
		goto out;
	}
	sqlite3_bind_text(st, 1, pkg->name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = 0; /* refused or removed: nothing delivered */
		goto out;
	}
	{
		long long now = (long long)time(NULL);

		/* An unchanged re-publish still confirms the data is current:
		 * it is a delivery today, of the version already there. */
		if (ki_history_add(portal_db(p), now, ki_day_today(), "publish",
		        pkg->name, (const char *)sqlite3_column_text(st, 2),
		        sqlite3_column_int64(st, 0),
		        unchanged ? "unchanged" : "published", err))
			goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	rc = ki_record_statuses(p, ki_day_today(), err) < 0 ? -1 : 0;
out:
	sqlite3_finalize(st);
	portal_close(p);
	kv_package_free(pkg);
	return rc;
}
