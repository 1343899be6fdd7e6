# Benchmarks: `make bench` builds and runs them. They print figures and ratios
# against a baseline measured in the same run; they never pass or fail on time.
bench_programs = bench/bench_page_alloc
EXTRA_PROGRAMS = $(bench_programs)
CLEANFILES += $(bench_programs)

bench_bench_page_alloc_LDADD = $(ENGINE_LIBS)

bench: $(bench_programs)
	@for b in $(bench_programs); do echo "== $$b"; ./$$b || exit 1; done
.PHONY: bench
