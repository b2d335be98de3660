/*
 * kq_fixture.h -- a small portal built by hand for the query engine's
 * tests (the physical layout of portal.h: t<N> tables, c<i> columns, an
 * external-content FTS5 table).  Rows are chosen for the traps: nulls,
 * case twins (Kuta/kuta), LIKE wildcards in text, leap days, datetimes in
 * different offsets, non-ASCII text.
 */
#ifndef KQ_FIXTURE_H
#define KQ_FIXTURE_H

#include <sqlite3.h>
#include <stdio.h>
#include <unistd.h>

static const char kq_fixture_sql[] =
	"CREATE TABLE kueri_package(name TEXT PRIMARY KEY, title TEXT,"
	" publisher TEXT NOT NULL, classification TEXT NOT NULL,"
	" update_frequency TEXT, version INTEGER NOT NULL,"
	" published_at INTEGER NOT NULL, descriptor TEXT NOT NULL,"
	" fingerprint TEXT NOT NULL);"
	"CREATE TABLE kueri_resource(name TEXT PRIMARY KEY, package TEXT NOT NULL,"
	" title TEXT, tbl TEXT NOT NULL, fts TEXT NOT NULL DEFAULT '',"
	" rows INTEGER NOT NULL, fields TEXT NOT NULL, keys TEXT NOT NULL,"
	" sha256 TEXT NOT NULL);"
	"CREATE TABLE kueri_meta(key TEXT PRIMARY KEY, value);"
	"INSERT INTO kueri_package VALUES('demo','Demo','BPS','public','daily',3,"
	" 1700000000,'{}','fp');"
	"INSERT INTO kueri_resource VALUES('villages','demo','Villages','t1',"
	" 't1_fts',7,'["
	"{\"name\":\"id\",\"type\":\"string\",\"nullable\":false,\"searchable\":false},"
	"{\"name\":\"name\",\"type\":\"string\",\"nullable\":true,\"searchable\":true},"
	"{\"name\":\"provinsi\",\"type\":\"string\",\"nullable\":true,\"searchable\":true},"
	"{\"name\":\"pop\",\"type\":\"integer\",\"nullable\":true},"
	"{\"name\":\"area\",\"type\":\"number\",\"nullable\":true},"
	"{\"name\":\"coastal\",\"type\":\"boolean\",\"nullable\":true},"
	"{\"name\":\"founded\",\"type\":\"date\",\"nullable\":true},"
	"{\"name\":\"updated\",\"type\":\"datetime\",\"nullable\":true},"
	"{\"name\":\"opens\",\"type\":\"time\",\"nullable\":true},"
	"{\"name\":\"loc\",\"type\":\"geopoint\",\"nullable\":true},"
	"{\"name\":\"year\",\"type\":\"year\",\"nullable\":true}"
	"]','[0]','x');"
	"CREATE TABLE t1(c0 TEXT, c1 TEXT, c2 TEXT, c3 INTEGER, c4 REAL,"
	" c5 INTEGER, c6 TEXT, c7 TEXT, c8 TEXT, c9 TEXT, c10 INTEGER);"
	"CREATE UNIQUE INDEX t1_pk ON t1(c0);"
	"CREATE INDEX t1_c2 ON t1(c2);"
	"INSERT INTO t1 VALUES"
	"('v01','Kuta','BALI',1000,12.5,1,'2020-01-15','2020-01-15T10:00:00+08:00','08:30:00','-8.72,115.17',2020),"
	"('v02','Ubud','BALI',500,8.25,0,'2019-06-30','2020-01-15T02:00:00Z','09:00:00','-8.5,115.26',2019),"
	"('v03','Bandung','JAWA BARAT',2500000,167.3,0,'2000-02-29','2021-03-01T00:00:00-05:00','13:52:00','-6.91,107.61',2000),"
	"('v04','O''Neil 50%_x','JAWA BARAT',NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL),"
	"('v05','kuta','bali',-7,-2.5,1,'2024-02-29','2024-02-29T23:59:59.5Z','23:59:59.5','-8.7,115.2',2024),"
	"('v06','Mataram','NUSA TENGGARA BARAT',400000,61.3,1,'1993-08-31','2010-12-31T23:00:00+07:00','00:00:00','-8.58,116.1',1993),"
	"('v07','\xc3\x91" "and\xc3\xba \xc3\xbcn\xc3\xaf" "code','ACEH',42,0.5,0,'2001-01-01','2001-01-01T00:00:00Z','12:00:00','5.55,95.32',2001);"
	"CREATE VIRTUAL TABLE t1_fts USING fts5(c1, c2, content='t1',"
	" content_rowid='rowid', tokenize='unicode61 remove_diacritics 2');"
	"INSERT INTO t1_fts(t1_fts) VALUES('rebuild');"
	/* 10 000 rows, a non-unique grp with nulls, no FTS, integer key */
	"INSERT INTO kueri_resource VALUES('nums','demo',NULL,'t2','',10000,'["
	"{\"name\":\"n\",\"type\":\"integer\",\"nullable\":false},"
	"{\"name\":\"grp\",\"type\":\"integer\",\"nullable\":true},"
	"{\"name\":\"label\",\"type\":\"string\",\"nullable\":true},"
	"{\"name\":\"big\",\"type\":\"integer\",\"nullable\":true}"
	"]','[0]','x');"
	"CREATE TABLE t2(c0 INTEGER, c1 INTEGER, c2 TEXT, c3 INTEGER);"
	"CREATE UNIQUE INDEX t2_pk ON t2(c0);"
	"WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 10000)"
	" INSERT INTO t2 SELECT i, CASE WHEN i % 11 = 0 THEN NULL ELSE i % 7 END,"
	" 'L' || (i % 13), 9223372036854775807 - i FROM r;"
	/* no key, no FTS */
	"INSERT INTO kueri_resource VALUES('plain','demo',NULL,'t3','',2,'["
	"{\"name\":\"a\",\"type\":\"string\",\"nullable\":true},"
	"{\"name\":\"b\",\"type\":\"number\",\"nullable\":true,\"decimal\":true}"
	"]','[]','x');"
	"CREATE TABLE t3(c0 TEXT, c1 REAL);"
	"INSERT INTO t3 VALUES('x', 1.5), ('y', NULL);"
	/* free-text CSV headers: OData names Harga_Kemarin and _1st */
	"INSERT INTO kueri_resource VALUES('odd','demo',NULL,'t4','',2,'["
	"{\"name\":\"Harga Kemarin\",\"type\":\"number\",\"nullable\":true},"
	"{\"name\":\"1st\",\"type\":\"string\",\"nullable\":true}"
	"]','[]','x');"
	"CREATE TABLE t4(c0 REAL, c1 TEXT);"
	"INSERT INTO t4 VALUES(1.25, 'a'), (2.5, 'b');"
	/* a table no set points at: must never be readable */
	"CREATE TABLE t9(c0 TEXT); INSERT INTO t9 VALUES('secret');";

/* Write the fixture portal to `path` (replaced).  0 or -1. */
static int
kq_fixture_make(const char *path)
{
	sqlite3 *db;
	char    *msg = NULL;
	int      rc;

	unlink(path);
	if (sqlite3_open(path, &db) != SQLITE_OK)
		return -1;
	rc = sqlite3_exec(db, kq_fixture_sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK)
		fprintf(stderr, "fixture: %s\n", msg ? msg : "?");
	sqlite3_free(msg);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

#endif
