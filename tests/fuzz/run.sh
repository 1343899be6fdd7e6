#!/bin/sh
# run.sh [SECONDS] - build the libFuzzer targets with clang (ASan + UBSan) and
# fuzz each for SECONDS (default 20). Exits non-zero when a target crashes,
# leaks, trips UBSan or times out; the input that did it is kept in
# build-fuzz/artifacts/ (add it to tests/fuzz/corpus/TARGET/ once understood,
# so it is replayed on every later run).
#
# fuzz_ops's dictionary and seeds are also made from the op tables of
# daemon/ops*.c on every run (gen-ops.sh), so every op is in the corpus and an
# op added later is too; the run then says how many of the tables' ops the
# fuzzer reached, and fails when one was never reached.
#
# FUZZ_TARGETS="fuzz_trace ..." runs only those.
#
# The targets link the engine and daemon sources directly: no configure, no
# autotools. Objects are kept in build-fuzz/ and rebuilt when a source or
# header is newer, and so is the corpus the fuzzer grows, so coverage carries
# over from run to run; tests/fuzz/corpus/ holds the seeds and regressions.
set -eu

secs=${1:-20}
top=$(cd "$(dirname "$0")/../.." && pwd)
work=${MMLAB_FUZZ_DIR:-$top/build-fuzz}
targets=${FUZZ_TARGETS:-"fuzz_config fuzz_ops fuzz_request fuzz_trace"}
CC=${FUZZ_CC:-clang}

command -v "$CC" >/dev/null || { echo "fuzz: $CC is missing (Debian: clang libclang-rt-14-dev)" >&2; exit 1; }
mkdir -p "$work/obj" "$work/artifacts"

# What api.c needs of config.h, and the migrations compiled in.
version=$(sed -n 's/^AC_INIT(\[mmlab\], *\[\([^]]*\)\].*/\1/p' "$top/configure.ac")
printf '#define PACKAGE_VERSION "%s"\n' "${version:-0}" >"$work/config.h.new"
cmp -s "$work/config.h.new" "$work/config.h" 2>/dev/null || mv "$work/config.h.new" "$work/config.h"
rm -f "$work/config.h.new"
mkdir -p "$work/engine"
printf '#define MMLAB_ENGINE_BUILD "%s-fuzz"\n' "${version:-0}" >"$work/engine/build_id.h.new"
cmp -s "$work/engine/build_id.h.new" "$work/engine/build_id.h" 2>/dev/null ||
	mv "$work/engine/build_id.h.new" "$work/engine/build_id.h"
rm -f "$work/engine/build_id.h.new"
(cd "$top" && sh schema/embed.sh "$top" schema/*.sql) >"$work/schema_sql.c.new"
cmp -s "$work/schema_sql.c.new" "$work/schema_sql.c" 2>/dev/null || mv "$work/schema_sql.c.new" "$work/schema_sql.c"
rm -f "$work/schema_sql.c.new"

FLAGS="-g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined"
CPPFLAGS="-I$work -I$top -I$top/engine $(pkg-config --cflags jansson libmicrohttpd sqlite3 libzstd)"
LIBS="$(pkg-config --libs jansson libmicrohttpd sqlite3 libzstd) -lm -lpthread"

# Is OBJ missing, or older than SRC or any header?
stale() {
	[ -f "$1" ] || return 0
	[ "$2" -nt "$1" ] && return 0
	for h in "$top"/engine/*.h "$top"/daemon/*.h "$work/config.h" "$work/engine/build_id.h"; do
		[ "$h" -nt "$1" ] && return 0
	done
	return 1
}

compile() { # SRC OBJ
	stale "$2" "$1" || return 0
	$CC $FLAGS $CPPFLAGS -std=gnu11 -w -c "$1" -o "$2.tmp" && mv "$2.tmp" "$2"
}

# How many of the op tables' ops fuzz_ops reached and ran to success.
ops_reached() {
	all=$(wc -l <"$work/ops/ops.list")
	reached=$(sed -n 's/^fuzz_ops: reached [0-9]*://p' "$1" | tail -1)
	ok=$(sed -n 's/^fuzz_ops: succeeded \([0-9]*\):.*/\1/p' "$1" | tail -1)
	missing=""
	for op in $(cat "$work/ops/ops.list"); do
		case " $reached " in *" $op "*) ;; *) missing="$missing $op" ;; esac
	done
	n=$(echo $reached | wc -w)
	echo "fuzz: fuzz_ops: $n of $all ops reached, ${ok:-0} of them succeeded at least once"
	[ -z "$missing" ] || { echo "fuzz: fuzz_ops: never reached:$missing"; return 1; }
}

objs=""
for src in "$top"/engine/*.c "$top"/daemon/*.c "$work/schema_sql.c"; do
	case $src in */daemon/main.c|*/daemon/schema_sql.c) continue ;; esac
	obj="$work/obj/$(basename "$(dirname "$src")")_$(basename "$src" .c).o"
	compile "$src" "$obj" &
	objs="$objs $obj"
	n=$((${n:-0} + 1))
	[ $((n % $(nproc))) -eq 0 ] && wait
done
wait
for obj in $objs; do [ -f "$obj" ] || { echo "fuzz: build failed" >&2; exit 1; }; done

sh "$top/tests/fuzz/gen-ops.sh" "$top" "$work/ops"

status=0
for t in $targets; do
	compile "$top/tests/fuzz/$t.c" "$work/obj/$t.o"
	$CC $FLAGS -fsanitize=fuzzer "$work/obj/$t.o" $objs $LIBS -o "$work/$t"
	mkdir -p "$work/corpus/$t"
	dict="" seeds=""
	[ -f "$top/tests/fuzz/$t.dict" ] && dict="-dict=$top/tests/fuzz/$t.dict"
	[ $t = fuzz_ops ] && dict="-dict=$work/ops/fuzz_ops.dict" seeds="$work/ops/seeds"
	# New inputs go to the first directory (the scratch corpus), never to the seeds.
	if ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	   "$work/$t" "$work/corpus/$t" "$top/tests/fuzz/corpus/$t" $seeds $dict \
		-max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
		-artifact_prefix="$work/artifacts/$t-" -print_final_stats=1 \
		>"$work/$t.log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t.log")
		cov=$(grep -o 'cov: [0-9]*' "$work/$t.log" | tail -1)
		echo "fuzz: $t: ok, ${runs:-?} runs in ${secs} s, $cov"
		[ $t = fuzz_ops ] && { ops_reached "$work/$t.log" || status=1; }
	else
		tail -60 "$work/$t.log"
		echo "fuzz: $t: FAILED; the input is in $work/artifacts/"
		status=1
	fi
done
exit $status
