/*
 * bench_snapshot.c - what a stored replay snapshot costs: machine_save() and
 * machine_load() of a default 4 GiB machine with work on it, raw and through
 * zstd (level 1) as mmlabd stores them, against machine_clone() (the in-memory cache's
 * copy) measured in the same run.
 */
#include <stdio.h>
#include <string.h>

#include <zstd.h>

#include "bench.h"

/* The machine after a mixed workload: pages, slab objects, vmalloc areas. */
static struct machine *busy_machine(void)
{
	struct machine_config cfg;
	struct machine *m;
	gfp_t gfp;

	machine_config_defaults(&cfg);
	m = bench_machine(&cfg, NULL, NULL);
	gfp_parse("GFP_KERNEL", &gfp, NULL);
	for (unsigned int i = 0; i < 20000; i++) {
		struct alloc_pages_result r;
		struct kmalloc_result k;
		uint64_t addr;

		mm_alloc_pages(m, gfp, i % 4, -1, (int)(i % 2), &r, NULL);
		mm_kmalloc(m, 16 + (i * 37) % 4000, gfp, (int)(i % 2), &k, NULL);
		if (i % 20 == 0)
			mm_vmalloc(m, 4096 * (1 + i % 16), 0, NULL, &addr, NULL);
	}
	return m;
}

int main(void)
{
	struct machine *m = busy_machine(), *c;
	struct { unsigned char *p; size_t len; } raw = { 0 };
	struct mm_error e = { 0 };
	void *p;
	unsigned char *z;
	size_t zlen;
	double t0, clone_s, save_s, load_s, zip_s, unzip_s;
	const int rounds = 5;

	t0 = mono_seconds();
	for (int i = 0; i < rounds; i++)
		machine_destroy(machine_clone(m));
	clone_s = (mono_seconds() - t0) / rounds;

	t0 = mono_seconds();
	for (int i = 0; i < rounds; i++) {
		free(raw.p);
		if (machine_save_mem(m, &p, &raw.len, &e)) {
			fprintf(stderr, "machine_save: %s\n", e.message);
			return 1;
		}
		raw.p = p;
	}
	save_s = (mono_seconds() - t0) / rounds;

	t0 = mono_seconds();
	for (int i = 0; i < rounds; i++) {
		c = machine_load_mem(raw.p, raw.len, &e);
		if (!c) {
			fprintf(stderr, "machine_load: %s\n", e.message);
			return 1;
		}
		machine_destroy(c);
	}
	load_s = (mono_seconds() - t0) / rounds;

	zlen = ZSTD_compressBound(raw.len);
	z = malloc(zlen);
	if (!z)
		return 1;
	t0 = mono_seconds();
	zlen = ZSTD_compress(z, zlen, raw.p, raw.len, 1);
	if (ZSTD_isError(zlen))
		return 1;
	zip_s = mono_seconds() - t0;
	t0 = mono_seconds();
	if (ZSTD_decompress(raw.p, raw.len, z, zlen) != raw.len)
		return 1;
	unzip_s = mono_seconds() - t0;

	printf("machine: %.0f MiB, %llu frames, struct page array %.1f MiB\n",
	       (double)machine_get_config(m)->mem_mib, (unsigned long long)machine_max_pfn(m),
	       (double)machine_mem_map_bytes(m) / (1 << 20));
	printf("baseline: machine_clone (in-memory snapshot): %8.1f ms\n", clone_s * 1e3);
	printf("machine_save, raw:            %8.1f ms  %8.1f MiB  %5.2fx clone\n", save_s * 1e3,
	       (double)raw.len / (1 << 20), save_s / clone_s);
	printf("machine_load, raw:            %8.1f ms            %5.2fx clone\n", load_s * 1e3,
	       load_s / clone_s);
	printf("zstd level 1 (as stored):     %8.1f ms  %8.2f MiB  ratio %.0f:1\n", zip_s * 1e3,
	       (double)zlen / (1 << 20), (double)raw.len / (double)zlen);
	printf("decompress:                   %8.1f ms\n", unzip_s * 1e3);
	printf("stored snapshot to machine:   %8.1f ms            %5.2fx clone\n",
	       (unzip_s + load_s) * 1e3, (unzip_s + load_s) / clone_s);
	free(z);
	free(raw.p);
	machine_destroy(m);
	return 0;
}
