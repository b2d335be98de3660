-- The plain, hand-typed SQLite tables the expected answers of
-- tests/query/cases.txt are computed from.  The runner loads every CSV of
-- tests/data/query-fixture/ verbatim into csv_<resource> (all TEXT, every
-- cell as written, '' for an empty cell); the typing below is written by
-- hand from datapackage.json, so no expected answer comes from the engine.
--
-- Declared type BOOLEAN tells the runner the JSON value must be true/false.

-- items: default missingValues [""] -> an empty cell is null in every type.
CREATE TABLE items(
	id    INTEGER PRIMARY KEY,
	name  TEXT,
	city  TEXT,
	n     INTEGER,
	big   INTEGER,
	x     REAL,
	flag  BOOLEAN,
	day   TEXT,   -- yyyy-mm-dd
	ts    TEXT,   -- as published, offset kept: compare with julianday()
	t     TEXT,   -- hh:mm:ss[.f]
	descr TEXT
);
INSERT INTO items
SELECT CAST(id AS INTEGER),
       NULLIF(name, ''),
       NULLIF(city, ''),
       CAST(NULLIF(n, '') AS INTEGER),
       CAST(NULLIF(big, '') AS INTEGER),
       CAST(NULLIF(x, '') AS REAL),
       CASE flag WHEN 'true' THEN 1 WHEN 'false' THEN 0 END,
       NULLIF(day, ''),
       NULLIF(ts, ''),
       NULLIF(t, ''),
       NULLIF(descr, '')
FROM csv_items;

-- texts: missingValues ["NA"] -> an empty cell is the empty string.
CREATE TABLE texts(id INTEGER PRIMARY KEY, s TEXT, k TEXT);
INSERT INTO texts
SELECT CAST(id AS INTEGER), NULLIF(s, 'NA'), NULLIF(k, 'NA') FROM csv_texts;

-- codes: a string primary key.
CREATE TABLE codes(code TEXT PRIMARY KEY, label TEXT, rank INTEGER);
INSERT INTO codes
SELECT code, NULLIF(label, ''), CAST(NULLIF(rank, '') AS INTEGER) FROM csv_codes;

-- $search emulation for hand-written expectations: every string field of
-- a row, lower-cased, space-separated and space-padded, so a whole word w
-- is `w LIKE '% w %'` (the search words used in cases.txt are plain
-- ASCII/CJK words delimited by spaces in the data).
CREATE VIEW items_words AS
SELECT id, ' ' || lower(coalesce(name, '') || ' ' || coalesce(city, '') || ' ' ||
                        coalesce(descr, '')) || ' ' AS w
FROM items;

-- kinds: the other Table Schema types (year, yearmonth, duration,
-- geopoint "lon, lat") and non-finite numbers.  SQLite has no NaN, so the
-- plain table holds NULL there; NaN is checked through JSON fragments.
CREATE TABLE kinds(id INTEGER PRIMARY KEY, yr INTEGER, ym TEXT, dur TEXT,
                   geo TEXT, num REAL);
INSERT INTO kinds
SELECT CAST(id AS INTEGER),
       CAST(NULLIF(yr, '') AS INTEGER),
       NULLIF(ym, ''),
       NULLIF(dur, ''),
       NULLIF(geo, ''),
       CASE num WHEN 'INF' THEN 9e999 WHEN '-INF' THEN -9e999 WHEN 'NaN' THEN NULL
                WHEN '' THEN NULL ELSE CAST(num AS REAL) END
FROM csv_kinds;
