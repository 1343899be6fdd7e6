#!/bin/sh
# run-all.sh - every test of mmlab: the C unit tests (make check), the API and
# browser tests (node's test runner), the mutant suite's CI share (ten unit
# mutants and two browser or API ones a day: make mutants runs them all), the
# unit and API tests against a sanitizer build, the fuzz targets for a while, and make
# distcheck. Run from the top of a
# configured and built tree (tools/dev test does that). The last line is
# "N passed, N failed"; the exit status is 0 only when nothing failed.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
passed=0
failed=0
logdir=$(mktemp -d)

count() { # count PASSED FAILED
	passed=$((passed + $1))
	failed=$((failed + $2))
}

# stage TITLE: print how long the previous stage took, then the new stage's title,
# so a slow CI shows where its time went.
stage_start=$(date +%s)
stage() {
	now=$(date +%s)
	[ -n "${stage_title:-}" ] && echo "   ($stage_title: $((now - stage_start)) s)"
	stage_start=$now
	stage_title=$1
	[ -n "$1" ] && echo "== $1"
}

stage "unit tests (make check)"
make -j"$(nproc)" check >"$logdir/check.out" 2>&1
rc=$?
grep -E '^(PASS|FAIL|ERROR|SKIP|XPASS|XFAIL):' "$logdir/check.out"
p=$(sed -n 's/^# PASS: *//p' "$logdir/check.out")
f=$(sed -n 's/^# FAIL: *//p' "$logdir/check.out")
e=$(sed -n 's/^# ERROR: *//p' "$logdir/check.out")
if [ -z "$p" ]; then
	# make check did not even get to run the tests: show why.
	tail -40 "$logdir/check.out"
	count 0 1
else
	count "$p" $((${f:-0} + ${e:-0}))
	[ "$rc" -ne 0 ] && [ $((${f:-0} + ${e:-0})) -eq 0 ] && count 0 1
	for log in tests/unit/*.log; do
		grep -q '^FAIL\|^ERROR' "${log%.log}.trs" 2>/dev/null && { echo "--- $log"; tail -30 "$log"; }
	done
fi

# Two test files at a time: each starts its own daemon on a free port and its
# own browser, and most of a browser test's time is spent waiting for the page.
stage "API and browser tests (node --test, two files at a time)"
node --test --test-concurrency=2 --test-timeout=600000 --test-reporter=spec --test-reporter-destination=stdout \
	--test-reporter=tap --test-reporter-destination="$logdir/e2e.tap" \
	tests/e2e/*.test.mjs
p=$(sed -n 's/^# pass //p' "$logdir/e2e.tap")
f=$(sed -n 's/^# fail //p' "$logdir/e2e.tap")
c=$(sed -n 's/^# cancelled //p' "$logdir/e2e.tap")
if [ -z "$p" ]; then count 0 1; else count "$p" $((${f:-0} + ${c:-0})); fi

if [ "${MMLAB_SKIP_MUTANTS:-}" != 1 ]; then
	stage "mutants (tests/mutants/run.sh --ci; make mutants runs every one)"
	if sh tests/mutants/run.sh --ci >"$logdir/mutants.out" 2>&1; then
		grep '^mutants:' "$logdir/mutants.out"
		echo "PASS: mutants"
		count 1 0
	else
		grep -E '^(SURVIVED|STALE)|^mutants' "$logdir/mutants.out"
		tail -20 "$logdir/mutants.out"
		echo "FAIL: mutants"
		count 0 1
	fi
fi

# A sanitizer tree beside the main one. The source tree is configured in place,
# which a VPATH build refuses (its objects would shadow the new ones), so
# build-asan/src is a farm of symlinks to the sources alone, rebuilt each run;
# the objects in build-asan/ survive, so later runs are incremental.
asan_tree() {
	src=build-asan/src
	rm -rf "$src" && mkdir -p "$src" || return 1
	{ git ls-files -co --exclude-standard; ls configure Makefile.in aclocal.m4 config.h.in;
	  find build-aux m4 -type f; } | grep -v '^build-asan/' | sort -u |
	while IFS= read -r f; do
		[ -f "$f" ] || continue
		mkdir -p "$src/$(dirname "$f")" && ln -s "$top/$f" "$src/$f"
	done
	ln -s "$top/web/vendor" "$src/web/vendor"
	ln -s "$top/node_modules" "$src/node_modules"
	cd build-asan || return 1
	if [ ! -f Makefile ] || [ ../configure -nt config.status ]; then
		# -O1 keeps the instrumented build quick; gcc 12's -Warray-bounds misfires
		# on instrumented loops (engine/proc.c free_pages_blocks), so it warns only.
		./src/configure --enable-sanitizers --enable-werror -q \
			CFLAGS='-g -O1 -Wno-error=array-bounds' || { cd "$top"; return 1; }
	fi
	make -j"$(nproc)" >/dev/null
	rc=$?
	cd "$top"
	return $rc
}

if [ "${MMLAB_SKIP_ASAN:-}" != 1 ]; then
	stage "sanitizer build (ASan + UBSan): make check and the API tests against it"
	asan_ok=1
	if ! asan_tree >"$logdir/asan-build.out" 2>&1; then
		tail -40 "$logdir/asan-build.out"
		asan_ok=0
	fi
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	# The randomised tests check the whole machine after every step, which costs
	# some 20 times more here: they take fewer steps (MMLAB_RANDOM_STEPS).
	if [ $asan_ok = 1 ] && ! (cd build-asan && MMLAB_RANDOM_STEPS=${MMLAB_RANDOM_STEPS:-3000} \
		make -j"$(nproc)" check) >"$logdir/asan-check.out" 2>&1; then
		grep -E '^(FAIL|ERROR):' "$logdir/asan-check.out"
		for log in build-asan/tests/unit/*.log; do
			grep -q '^FAIL\|^ERROR' "${log%.log}.trs" 2>/dev/null && { echo "--- $log"; tail -40 "$log"; }
		done
		asan_ok=0
	fi
	# lib/daemon.mjs fails a test whose daemon leaves a sanitizer report, and
	# prints the daemon's stderr. Only the API tests run here: the browser tests
	# (those that use lib/browser.mjs) mostly add the page's side, which the
	# sanitizer does not see, and they took half of this stage's time; they run
	# once, above, against the plain build.
	api_tests=$(grep -L 'lib/browser\.mjs' tests/e2e/*.test.mjs)
	if [ $asan_ok = 1 ] && ! MMLABD="$top/build-asan/daemon/mmlabd" MMLAB_WEB_ROOT="$top/web" \
		node --test --test-concurrency=2 --test-timeout=900000 --test-reporter=dot \
		$api_tests >"$logdir/asan-e2e.out" 2>&1; then
		tail -80 "$logdir/asan-e2e.out"
		asan_ok=0
	fi
	unset ASAN_OPTIONS UBSAN_OPTIONS
	if [ $asan_ok = 1 ]; then echo "PASS: sanitizer build"; count 1 0; else echo "FAIL: sanitizer build"; count 0 1; fi
fi

if [ "${MMLAB_SKIP_FUZZ:-}" != 1 ]; then
	stage "fuzzing (libFuzzer, ${MMLAB_FUZZ_SECONDS:-10} s per target)"
	if sh tests/fuzz/run.sh "${MMLAB_FUZZ_SECONDS:-10}" >"$logdir/fuzz.out" 2>&1; then
		grep '^fuzz:' "$logdir/fuzz.out"
		echo "PASS: fuzzing"
		count 1 0
	else
		tail -60 "$logdir/fuzz.out"
		echo "FAIL: fuzzing"
		count 0 1
	fi
fi

if [ "${MMLAB_SKIP_DISTCHECK:-}" != 1 ]; then
	stage "make distcheck"
	# Its make check proves the tarball holds what the tests need; the
	# randomised tests ran their full length above.
	if MMLAB_RANDOM_STEPS=${MMLAB_RANDOM_STEPS:-3000} make -j"$(nproc)" distcheck \
		DISTCHECK_CONFIGURE_FLAGS=--enable-werror >"$logdir/distcheck.out" 2>&1; then
		echo "PASS: make distcheck"
		count 1 0
	else
		tail -40 "$logdir/distcheck.out"
		echo "FAIL: make distcheck"
		count 0 1
	fi
fi

stage ""
rm -rf "$logdir"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
