// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pinit-bench: libpinit micro-benchmarks.
 *
 *  1. copy_to_iter / copy_from_iter throughput over IOVEC and BVEC iterators
 *     against plain memcpy, for 4 KiB, 64 KiB and 1 MiB copies, in a hot
 *     working set (the same buffers every time: cache-resident) and a cold one
 *     (copies walk 256 MiB regions, far beyond the last-level cache). BVEC is
 *     measured as one multi-page bvec (what fs/ builds) and as one bvec per
 *     page (what the kernel's bio_vecs usually are). The methods are run
 *     interleaved, round after round, and each figure is the median of the
 *     rounds; the ratio is method / memcpy for the same size, working set and
 *     direction.
 *  2. pin + unpin operations per second (pin_user_pages_fast + unpin_user_page
 *     of one page) with 1 and 2 threads, each thread on its own page: arena
 *     pages and plain (non-arena) pages with FOLL_WRITE, and arena pages
 *     pinned as a source in check mode (which write-protects them: two
 *     mprotect() calls per operation).
 *
 * Usage: pinit-bench [--smoke] [--rounds N] [--csv FILE]
 *   --smoke  tiny run that checks every figure is a positive number (CI)
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <pinit/pinit.h>

#define KIB 1024UL
#define MIB (1024UL * KIB)
#define COLD_REGION (256 * MIB)
#define MAX_ROUNDS 99

static bool smoke;
static int rounds = 11;
static FILE *csv;
static unsigned int failures;

static double clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static double now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

/*
 * Copies are timed in thread CPU time, so that time the benchmark spends
 * preempted (a shared, loaded machine) does not count against whichever
 * method happened to be running.
 */
static double cpu_ns(void)
{
	return clock_ns(CLOCK_THREAD_CPUTIME_ID);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void *map_region(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	memset(p, 0x5a, len);	/* populated, and not the shared zero page */
	return p;
}

/* A figure is usable if it is a positive finite number; smoke mode insists. */
static void check_figure(const char *what, double v)
{
	if (!(v > 0) || !isfinite(v)) {
		fprintf(stderr, "pinit-bench: bad figure for %s: %g\n", what, v);
		failures++;
	}
}

/* ---- copy throughput ---- */

enum method {
	M_MEMCPY_TO,	/* baseline for the copy_to_iter rows: plain -> user buffer */
	M_MEMCPY_FROM,	/* baseline for the copy_from_iter rows: user buffer -> plain */
	M_TO_IOVEC,
	M_FROM_IOVEC,
	M_TO_BVEC,
	M_FROM_BVEC,
	M_TO_BVEC_PAGES,
	M_FROM_BVEC_PAGES,
	NR_METHODS
};

/* @iter is the table's "iterator" column (the direction, for the memcpy baselines). */
static const struct {
	const char *op, *iter;
	bool to;
} methods[NR_METHODS] = {
	[M_MEMCPY_TO] = { "memcpy", "to", true },
	[M_MEMCPY_FROM] = { "memcpy", "from", false },
	[M_TO_IOVEC] = { "copy_to_iter", "IOVEC", true },
	[M_FROM_IOVEC] = { "copy_from_iter", "IOVEC", false },
	[M_TO_BVEC] = { "copy_to_iter", "BVEC", true },
	[M_FROM_BVEC] = { "copy_from_iter", "BVEC", false },
	[M_TO_BVEC_PAGES] = { "copy_to_iter", "BVEC/page", true },
	[M_FROM_BVEC_PAGES] = { "copy_from_iter", "BVEC/page", false },
};

struct copy_env {
	char *plain;		/* the "kernel" side of every copy */
	char *user;		/* IOVEC memory */
	struct arena *arena;	/* BVEC memory */
	char *abase;
	struct bio_vec *bv;	/* one bvec per arena page, built once */
	size_t region;		/* bytes usable in each of the three regions */
};

/* One copy of @size bytes at @off in each region with @m. Returns the bytes copied. */
static size_t copy_once(struct copy_env *e, enum method m, size_t off, size_t size)
{
	char *plain = e->plain + off;
	struct iov_iter it;
	struct iovec iov;
	struct bio_vec bv;
	size_t npages = size / PAGE_SIZE;

	switch (m) {
	case M_MEMCPY_TO:
		memcpy(e->user + off, plain, size);
		return size;
	case M_MEMCPY_FROM:
		memcpy(plain, e->user + off, size);
		return size;
	case M_TO_IOVEC:
	case M_FROM_IOVEC:
		iov = (struct iovec){ e->user + off, size };
		iov_iter_init(&it, m == M_TO_IOVEC ? ITER_DEST : ITER_SOURCE, &iov, 1, size);
		return m == M_TO_IOVEC ? copy_to_iter(plain, size, &it)
				       : copy_from_iter(plain, size, &it);
	case M_TO_BVEC:
	case M_FROM_BVEC:
		bv = (struct bio_vec){ arena_page(e->arena, e->abase + off), size, 0 };
		iov_iter_bvec(&it, m == M_TO_BVEC ? ITER_DEST : ITER_SOURCE, &bv, 1, size);
		return m == M_TO_BVEC ? copy_to_iter(plain, size, &it)
				      : copy_from_iter(plain, size, &it);
	case M_TO_BVEC_PAGES:
	case M_FROM_BVEC_PAGES:
		iov_iter_bvec(&it, m == M_TO_BVEC_PAGES ? ITER_DEST : ITER_SOURCE,
			      &e->bv[off / PAGE_SIZE], npages, size);
		return m == M_TO_BVEC_PAGES ? copy_to_iter(plain, size, &it)
					    : copy_from_iter(plain, size, &it);
	case NR_METHODS:
		break;
	}
	return 0;
}

static const char *size_name(size_t size)
{
	static char buf[4][16];
	static int n;
	char *s = buf[n++ % 4];

	if (size >= MIB)
		snprintf(s, 16, "%zuM", size / MIB);
	else
		snprintf(s, 16, "%zuK", size / KIB);
	return s;
}

/* Throughput (GB/s) of each method for one size and working set: medians over rounds. */
static void measure_copies(struct copy_env *e, size_t size, bool cold, double *gbps)
{
	double samples[NR_METHODS][MAX_ROUNDS];
	size_t span = cold ? e->region : size;	/* bytes walked per region */
	size_t per_round = smoke ? 4 * MIB : (cold ? COLD_REGION : 32 * MIB);
	size_t iters = per_round / size ? per_round / size : 1;

	for (int r = 0; r < rounds; r++) {
		for (int k = 0; k < NR_METHODS; k++) {
			/* rotate the order each round so no method always runs first */
			enum method m = (enum method)((k + r) % NR_METHODS);
			size_t off = 0, bytes = 0;
			double t0, t1;

			copy_once(e, m, 0, size);	/* warm the code path */
			t0 = cpu_ns();
			for (size_t n = 0; n < iters; n++) {
				bytes += copy_once(e, m, off, size);
				off += size;
				if (off + size > span)
					off = 0;
			}
			t1 = cpu_ns();
			if (bytes != iters * size) {
				fprintf(stderr, "pinit-bench: %s %s copied %zu of %zu bytes\n",
					methods[m].op, methods[m].iter, bytes, iters * size);
				failures++;
			}
			samples[m][r] = bytes / (t1 - t0);
		}
	}
	for (int m = 0; m < NR_METHODS; m++)
		gbps[m] = median(samples[m], rounds);
}

/* One table row and CSV line per method, for one size and working set. */
static void report_copies(size_t size, bool cold, const double *gbps)
{
	const char *sz = size_name(size), *set = cold ? "cold" : "hot";

	for (int m = 0; m < NR_METHODS; m++) {
		double ratio = gbps[m] / gbps[methods[m].to ? M_MEMCPY_TO : M_MEMCPY_FROM];
		char what[96];

		snprintf(what, sizeof(what), "%s %s %s %s", methods[m].op, methods[m].iter, sz,
			 set);
		check_figure(what, gbps[m]);
		printf("%-8s %-6s %-15s %-10s %8.2f %7.3f\n", sz, set, methods[m].op,
		       methods[m].iter, gbps[m], ratio);
		if (csv)
			fprintf(csv, "copy,%s,%s,%zu,%s,1,%.4f,GB/s,%.4f\n", methods[m].op,
				methods[m].iter, size, set, gbps[m], ratio);
	}
}

static void run_copy_bench(void)
{
	static const size_t sizes[] = { 4 * KIB, 64 * KIB, MIB };
	size_t region = smoke ? 4 * MIB : COLD_REGION;
	struct copy_env e;

	e.plain = map_region(region);
	e.user = map_region(region);
	e.arena = arena_create(region / PAGE_SIZE, 0);
	if (!e.arena) {
		perror("arena_create");
		exit(2);
	}
	e.abase = arena_base(e.arena);
	e.bv = calloc(region / PAGE_SIZE, sizeof(*e.bv));
	for (size_t k = 0; k < region / PAGE_SIZE; k++)
		e.bv[k] = (struct bio_vec){ arena_page(e.arena, e.abase + k * PAGE_SIZE), PAGE_SIZE,
					    0 };
	e.region = region;

	printf("copy throughput: GB/s (10^9 bytes per CPU second), median of %d interleaved "
	       "rounds; ratio = / memcpy\n",
	       rounds);
	printf("%-8s %-6s %-15s %-10s %8s %7s\n", "size", "set", "op", "iterator", "GB/s",
	       "ratio");
	for (unsigned int s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		for (int cold = 0; cold < 2; cold++) {
			double gbps[NR_METHODS];

			measure_copies(&e, sizes[s], cold, gbps);
			report_copies(sizes[s], cold, gbps);
		}
	}
	free(e.bv);
	arena_destroy(e.arena);
	munmap(e.plain, region);
	munmap(e.user, region);
}

/* ---- pin + unpin ---- */

enum pin_kind { PIN_ARENA, PIN_PLAIN, PIN_ARENA_SOURCE, NR_PIN_KINDS };

static const char *const pin_kind_name[NR_PIN_KINDS] = {
	[PIN_ARENA] = "arena page, FOLL_WRITE",
	[PIN_PLAIN] = "plain page, FOLL_WRITE",
	[PIN_ARENA_SOURCE] = "arena page, source pin (check mode)",
};

static const char *const pin_kind_csv[NR_PIN_KINDS] = {
	[PIN_ARENA] = "arena",
	[PIN_PLAIN] = "plain",
	[PIN_ARENA_SOURCE] = "arena-source",
};

struct pin_thread {
	pthread_barrier_t *start;
	atomic_bool *stop;
	char *page;
	unsigned int gup_flags;
	uint64_t ops;
	bool failed;
};

static void *pin_loop(void *arg)
{
	struct pin_thread *t = arg;
	uint64_t ops = 0;

	pthread_barrier_wait(t->start);
	while (!atomic_load_explicit(t->stop, memory_order_relaxed)) {
		for (int k = 0; k < 64; k++) {
			struct page *page;

			long got = pin_user_pages_fast((unsigned long)t->page, 1, t->gup_flags,
						       &page);

			if (got != 1) {
				t->failed = true;
				return NULL;
			}
			unpin_user_page(page);
		}
		ops += 64;
	}
	t->ops = ops;
	return NULL;
}

/* Operations per second of @nthreads threads for @duration_ms. */
static double pin_rate(char **pages, int nthreads, unsigned int gup_flags, int duration_ms)
{
	struct pin_thread t[2];
	pthread_barrier_t start;
	pthread_t tid[2];
	atomic_bool stop = false;
	struct timespec d = { duration_ms / 1000, (duration_ms % 1000) * 1000000L };
	double t0, t1;
	uint64_t ops = 0;

	pthread_barrier_init(&start, NULL, nthreads + 1);
	for (int k = 0; k < nthreads; k++) {
		t[k] = (struct pin_thread){ &start, &stop, pages[k], gup_flags, 0, false };
		pthread_create(&tid[k], NULL, pin_loop, &t[k]);
	}
	pthread_barrier_wait(&start);
	t0 = now_ns();
	nanosleep(&d, NULL);
	atomic_store(&stop, true);
	for (int k = 0; k < nthreads; k++) {
		pthread_join(tid[k], NULL);
		ops += t[k].ops;
		if (t[k].failed)
			failures++;
	}
	t1 = now_ns();
	pthread_barrier_destroy(&start);
	return ops / ((t1 - t0) / 1e9);
}

static void run_pin_bench(void)
{
	struct arena *a = arena_create(2, 0);
	char *plain = map_region(2 * PAGE_SIZE);
	int duration = smoke ? 20 : 300, reps = smoke ? 1 : 5;

	printf("\npin + unpin of one page per thread: operations/s, median of %d runs of %d ms\n",
	       reps, duration);
	printf("%-38s %8s %14s\n", "pages", "threads", "ops/s");
	for (int kind = 0; kind < NR_PIN_KINDS; kind++) {
		char *base = kind == PIN_PLAIN ? plain : arena_base(a);
		char *pages[2] = { base, base + PAGE_SIZE };
		unsigned int flags = kind == PIN_ARENA_SOURCE ? 0 : FOLL_WRITE;

		for (int threads = 1; threads <= 2; threads++) {
			double v[MAX_ROUNDS], rate;
			char what[96];

			for (int r = 0; r < reps; r++)
				v[r] = pin_rate(pages, threads, flags, duration);
			rate = median(v, reps);
			snprintf(what, sizeof(what), "pin+unpin %s x%d", pin_kind_csv[kind],
				 threads);
			check_figure(what, rate);
			printf("%-38s %8d %14.0f\n", pin_kind_name[kind], threads, rate);
			if (csv)
				fprintf(csv, "pin,pin+unpin,%s,4096,-,%d,%.0f,ops/s,\n",
					pin_kind_csv[kind], threads, rate);
		}
	}
	if (ledger_check_leaks() || arena_destroy(a))
		failures++;
	munmap(plain, 2 * PAGE_SIZE);
}

static void usage(const char *argv0)
{
	fprintf(stderr, "usage: %s [--smoke] [--rounds N] [--csv FILE]\n", argv0);
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "smoke", no_argument, NULL, 's' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "csv", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *csv_path = NULL;
	struct ledger_stats st;
	int c;

	while ((c = getopt_long(argc, argv, "sr:c:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			smoke = true;
			rounds = 3;
			break;
		case 'r':
			rounds = atoi(optarg);
			if (rounds < 1 || rounds > MAX_ROUNDS)
				usage(argv[0]);
			break;
		case 'c':
			csv_path = optarg;
			break;
		default:
			usage(argv[0]);
		}
	}
	if (csv_path) {
		csv = fopen(csv_path, "w");
		if (!csv) {
			fprintf(stderr, "pinit-bench: %s: %s\n", csv_path, strerror(errno));
			return 2;
		}
		fprintf(csv, "section,op,iterator,size,working_set,threads,value,unit,ratio\n");
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	run_copy_bench();
	run_pin_bench();
	ledger_stats(&st);
	if (ledger_violation_total(&st) || pinit_warn_count()) {
		fprintf(stderr, "pinit-bench: %llu ledger violations, %llu warnings\n",
			(unsigned long long)ledger_violation_total(&st),
			(unsigned long long)pinit_warn_count());
		failures++;
	}
	if (csv && fclose(csv)) {
		perror(csv_path);
		failures++;
	}
	if (failures)
		fprintf(stderr, "pinit-bench: %u failures\n", failures);
	return failures ? 1 : 0;
}
