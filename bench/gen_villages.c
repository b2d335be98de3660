/*
 * gen_villages.c -- deterministic synthetic "village statistics" CSV for
 * the benchmark, shaped like Indonesian regional open data.  A C port of
 * ../shared/tools/gen_villages.py (same columns, same nesting of
 * provinsi → kabupaten → kecamatan → desa, same value distributions) with
 * its own PRNG, so the bench needs no Python and is byte-identical across
 * machines for a given ROWS and SEED.
 *
 *   usage: gen_villages ROWS [SEED] > villages.csv
 *
 * Columns: kode_desa, provinsi, kabupaten, kecamatan, desa,
 * jumlah_penduduk, luas_km2, persentase_miskin (~5% empty),
 * akses_internet (true/false, ~70% true), tanggal_pemutakhiran (date).
 * ~3% of kecamatan names carry `, "Lama"` so the CSV has quoted fields
 * with a delimiter and doubled quotes inside.
 *
 * kode_desa is the primary key, so it must be unique.  The Python script
 * builds it as PP KK CC DDDD with DDDD = d + 1000 * (p / 89) mod 10000,
 * which is unique only while p < 890 (about 1.6M rows); past that it
 * repeats.  This port keeps exactly that formula up to there and then
 * shifts the kabupaten and kecamatan digits by whole blocks (k < 20 and
 * c < 15 always), which keeps every code unique up to p < 26,700
 * (~48M rows); beyond that it refuses rather than emit duplicates.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const provinsi[] = {
	"Aceh", "Sumatera Utara", "Sumatera Barat", "Riau", "Jambi",
	"Sumatera Selatan", "Bengkulu", "Lampung", "Kepulauan Bangka Belitung",
	"Kepulauan Riau", "DKI Jakarta", "Jawa Barat", "Jawa Tengah",
	"Daerah Istimewa Yogyakarta", "Jawa Timur", "Banten", "Bali",
	"Nusa Tenggara Barat", "Nusa Tenggara Timur", "Kalimantan Barat",
	"Kalimantan Tengah", "Kalimantan Selatan", "Kalimantan Timur",
	"Kalimantan Utara", "Sulawesi Utara", "Sulawesi Tengah",
	"Sulawesi Selatan", "Sulawesi Tenggara", "Gorontalo", "Sulawesi Barat",
	"Maluku", "Maluku Utara", "Papua", "Papua Barat", "Papua Selatan",
	"Papua Tengah", "Papua Pegunungan", "Papua Barat Daya",
};
#define NPROV (sizeof(provinsi) / sizeof(provinsi[0]))

static const char *const syl[] = {
	"ka", "ra", "ma", "su", "ngan", "ja", "wi", "to", "lo", "ba", "di",
	"sa", "ri", "go", "pa", "tu", "ne", "ge", "mba", "lu", "si", "ha",
};
#define NSYL (sizeof(syl) / sizeof(syl[0]))

/* splitmix64: tiny, fast, and good enough for synthetic data. */
static uint64_t rng_state;

static uint64_t
rng_next(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static double
rng_random(void)
{
	return (double)(rng_next() >> 11) * (1.0 / 9007199254740992.0);
}

/* Uniform integer in [a, b], like Python's randint. */
static int
rng_randint(int a, int b)
{
	return a + (int)(((rng_next() >> 32) * (uint64_t)(b - a + 1)) >> 32);
}

/* Lognormal via Box-Muller (the second normal is discarded: simpler, and
 * the stream stays a pure function of the call sequence). */
static double
rng_lognorm(double mu, double sigma)
{
	double u1 = 1.0 - rng_random(), u2 = rng_random();
	double n = sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);

	return exp(mu + sigma * n);
}

/* n random syllables, first letter capitalised (all syllables are
 * lowercase ASCII).  Returns the length written into buf. */
static size_t
make_name(char *buf, int n)
{
	size_t len = 0;
	int i;

	for (i = 0; i < n; i++) {
		const char *s = syl[rng_randint(0, NSYL - 1)];
		size_t l = strlen(s);

		memcpy(buf + len, s, l);
		len += l;
	}
	buf[len] = '\0';
	buf[0] = (char)(buf[0] - 'a' + 'A');
	return len;
}

/* Python's str(round(x, 2)): two decimals, then trailing zeros dropped
 * but at least one digit kept after the point ("7.0", "7.4", "7.45"). */
static void
fmt_round2(char *buf, size_t cap, double x)
{
	size_t len = (size_t)snprintf(buf, cap, "%.2f", x);

	if (len >= 4 && buf[len - 1] == '0' && buf[len - 3] == '.')
		buf[len - 1] = '\0';
}

int
main(int argc, char **argv)
{
	long long rows, done = 0, p = 0;
	unsigned long long seed = 2021;
	static char out[1 << 16];
	size_t fill = 0;
	char *end;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: gen_villages ROWS [SEED] > villages.csv\n");
		return 2;
	}
	rows = strtoll(argv[1], &end, 10);
	if (*end != '\0' || rows < 0) {
		fprintf(stderr, "gen_villages: ROWS must be a number >= 0\n");
		return 2;
	}
	if (argc == 3) {
		seed = strtoull(argv[2], &end, 10);
		if (*end != '\0') {
			fprintf(stderr, "gen_villages: SEED must be a number\n");
			return 2;
		}
	}
	rng_state = seed;

	fputs("kode_desa,provinsi,kabupaten,kecamatan,desa,jumlah_penduduk,"
	      "luas_km2,persentase_miskin,akses_internet,tanggal_pemutakhiran\n",
	      stdout);
	while (done < rows) {
		const char *prov = provinsi[(size_t)p % NPROV];
		int pcode = 11 + (int)(p % 89);
		long long q = p / 89;        /* how often pcode has come round */
		int kshift = (int)(20 * ((q / 10) % 5));
		int cshift = (int)(15 * ((q / 50) % 6));
		int nk = rng_randint(8, 20), k;

		if (q >= 300) {
			fprintf(stderr, "gen_villages: more than ~48M rows would "
			                "repeat kode_desa; refusing\n");
			return 1;
		}
		for (k = 1; k < nk && done < rows; k++) {
			char kab[64];
			int kota = rng_random() < 0.2;
			int nc = rng_randint(6, 15), c;

			snprintf(kab, sizeof kab, "%s", kota ? "Kota " : "Kabupaten ");
			make_name(kab + strlen(kab), 2);
			for (c = 1; c < nc && done < rows; c++) {
				char kec[64], kecq[80];
				int nd, d;

				make_name(kec, 3);
				if (rng_random() < 0.03) {
					/* the quoting edge case: comma and quotes */
					snprintf(kecq, sizeof kecq, "\"%s, \"\"Lama\"\"\"",
					         kec);
				} else {
					snprintf(kecq, sizeof kecq, "%s", kec);
				}
				nd = rng_randint(6, 25);
				for (d = 1; d < nd && done < rows; d++) {
					char desa[64], luas[32], miskin[16], date[16];
					int pen;
					const char *inet;

					make_name(desa, rng_randint(2, 4));
					pen = (int)rng_lognorm(8.0, 0.8);
					fmt_round2(luas, sizeof luas, rng_lognorm(2.0, 1.0));
					if (rng_random() < 0.05)
						miskin[0] = '\0';
					else
						snprintf(miskin, sizeof miskin, "%.2f",
						         rng_random() * 40.0);
					inet = rng_random() < 0.7 ? "true" : "false";
					{
						int y = rng_randint(19, 26);
						int m = rng_randint(1, 12);
						int dd = rng_randint(1, 28);

						snprintf(date, sizeof date, "20%02d-%02d-%02d",
						         y, m, dd);
					}
					if (sizeof out - fill < 512) {
						fwrite(out, 1, fill, stdout);
						fill = 0;
					}
					fill += (size_t)snprintf(out + fill, sizeof out - fill,
						"%02d%02d%02d%04d,%s,%s,%s,%s,%d,%s,%s,%s,%s\n",
						pcode, (k + kshift) % 100, (c + cshift) % 100,
						(int)((d + 1000 * (q % 10)) % 10000),
						prov, kab, kecq, desa, pen, luas, miskin, inet,
						date);
					done++;
				}
			}
		}
		p++;
	}
	fwrite(out, 1, fill, stdout);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("gen_villages: write");
		return 1;
	}
	return 0;
}
