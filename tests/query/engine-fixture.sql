-- The plain, hand-typed tables the expected answers of tests/query/engine.txt
-- (and tests/unit/test_query.c) are computed from: the same rows as
-- tests/data/engine-fixture/, typed by hand from its datapackage.json, with
-- the property names as columns and rowid in CSV order.  kq_fixture.h loads
-- this into a plain SQLite file; no expected answer comes from the engine or
-- from the portal's physical layout.
CREATE TABLE villages(id TEXT, name TEXT, provinsi TEXT, pop INTEGER, area REAL,
 coastal INTEGER, founded TEXT, updated TEXT, opens TEXT, loc TEXT, year INTEGER);
INSERT INTO villages VALUES
('v01','Kuta','BALI',1000,12.5,1,'2020-01-15','2020-01-15T10:00:00+08:00','08:30:00','115.17,-8.72',2020),
('v02','Ubud','BALI',500,8.25,0,'2019-06-30','2020-01-15T02:00:00Z','09:00:00','115.26,-8.5',2019),
('v03','Bandung','JAWA BARAT',2500000,167.3,0,'2000-02-29','2021-03-01T00:00:00-05:00','13:52:00','107.61,-6.91',2000),
('v04','O''Neil 50%_x','JAWA BARAT',NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL),
('v05','kuta','bali',-7,-2.5,1,'2024-02-29','2024-02-29T23:59:59.5Z','23:59:59.5','115.2,-8.7',2024),
('v06','Mataram','NUSA TENGGARA BARAT',400000,61.3,1,'1993-08-31','2010-12-31T23:00:00+07:00','00:00:00','116.1,-8.58',1993),
('v07','Ñandú ünïcode','ACEH',42,0.5,0,'2001-01-01','2001-01-01T00:00:00Z','12:00:00','95.32,5.55',2001);
-- nums: the rule kq_fixture.h writes nums.csv by (n = 1..10000).
CREATE TABLE nums(n INTEGER, grp INTEGER, label TEXT, big INTEGER);
WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 10000)
 INSERT INTO nums SELECT i, CASE WHEN i % 11 = 0 THEN NULL ELSE i % 7 END,
 'L' || (i % 13), 9223372036854775807 - i FROM r;
CREATE TABLE plain(a TEXT, b REAL);
INSERT INTO plain VALUES('x', 1.5), ('y', NULL);
CREATE TABLE odd("Harga Kemarin" REAL, "1st" TEXT);
INSERT INTO odd VALUES(1.25, 'a'), (2.5, 'b');
