# Benchmarks: `make bench` builds and runs them. They print figures and ratios
# against a baseline measured in the same run; they never pass or fail on time.
bench_programs = bench/bench_page_alloc bench/bench_mmu bench/bench_recorder bench/bench_slub \
	bench/bench_snapshot bench/bench_reclaim bench/bench_compaction
EXTRA_PROGRAMS = $(bench_programs)
CLEANFILES += $(bench_programs)

bench_bench_page_alloc_LDADD = $(ENGINE_LIBS)
bench_bench_slub_LDADD = $(ENGINE_LIBS)
bench_bench_mmu_LDADD = $(ENGINE_LIBS)
bench_bench_compaction_LDADD = $(ENGINE_LIBS)
bench_bench_snapshot_CFLAGS = $(AM_CFLAGS) $(ZSTD_CFLAGS)
bench_bench_snapshot_LDADD = $(ENGINE_LIBS) $(ZSTD_LIBS)
bench_bench_reclaim_CFLAGS = $(DAEMON_CFLAGS)
bench_bench_reclaim_LDADD = $(DAEMON_LIBS)
bench_bench_recorder_CFLAGS = $(DAEMON_CFLAGS)
bench_bench_recorder_LDADD = $(DAEMON_LIBS)

# bench/load.sh drives a running mmlabd with wrk and with op batches, in rounds next to
# nginx and the recorder's ceiling (bench_recorder); bench/seek.mjs times ?at=SEQ in a
# 10-million-event session; bench/physmap.mjs times the physical map's redraw
# in chromium (4 GiB and 64 GiB machines, live updates at 10 Hz); bench/addrspace.mjs
# times the Address spaces view's redraw with a vmalloc fan in chromium; bench/ptwalk.mjs
# one step of the page-table walk animation; bench/trace_import.mjs a
# 1-million-line kernel trace imported, and its requests re-simulated;
# bench/crowds.mjs health latency under connection floods and a long batch,
# and 1,000 live streams; bench/sessions.mjs 200 sessions of 4 GiB machines in
# a small --max-memory (wake-ups, 50 streams on 50 sessions, RSS, a 256 GiB
# machine). Give MMLABD_BASELINE=/path/to/mmlabd to load.sh and
# crowds.mjs to measure a previous build beside this one.
EXTRA_DIST += bench/load.sh bench/latency.lua bench/bench.h bench/seek.mjs bench/physmap.mjs \
	bench/addrspace.mjs bench/ptwalk.mjs bench/trace_import.mjs bench/crowds.mjs \
	bench/sessions.mjs

bench: $(bench_programs) daemon/mmlabd
	@for b in $(bench_programs); do echo "== $$b"; ./$$b || exit 1; done
	@echo "== bench/load.sh"
	@MMLABD=daemon/mmlabd BENCH_RECORDER=bench/bench_recorder $(SHELL) $(srcdir)/bench/load.sh
	@echo "== bench/crowds.mjs"
	@MMLABD=$(abs_builddir)/daemon/mmlabd node $(srcdir)/bench/crowds.mjs
	@echo "== bench/sessions.mjs"
	@MMLABD=$(abs_builddir)/daemon/mmlabd node $(srcdir)/bench/sessions.mjs
	@echo "== bench/seek.mjs"
	@MMLABD=$(abs_builddir)/daemon/mmlabd node $(srcdir)/bench/seek.mjs
	@echo "== bench/physmap.mjs"
	@MMLABD=$(abs_builddir)/daemon/mmlabd node $(srcdir)/bench/physmap.mjs
	@echo "== bench/addrspace.mjs"
	@MMLABD=$(abs_builddir)/daemon/mmlabd node $(srcdir)/bench/addrspace.mjs
	@echo "== bench/ptwalk.mjs"
	@MMLABD=$(abs_builddir)/daemon/mmlabd node $(srcdir)/bench/ptwalk.mjs
	@echo "== bench/trace_import.mjs"
	@MMLABD=$(abs_builddir)/daemon/mmlabd node $(srcdir)/bench/trace_import.mjs
.PHONY: bench
