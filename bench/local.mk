# Benchmarks: `make bench` builds and runs them. They print figures and ratios
# against a baseline measured in the same run; they never pass or fail on time.
bench_programs =
EXTRA_PROGRAMS = $(bench_programs)
CLEANFILES += $(bench_programs)

bench: $(bench_programs)
	@for b in $(bench_programs); do echo "== $$b"; ./$$b || exit 1; done
.PHONY: bench
