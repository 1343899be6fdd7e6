#!/bin/sh
# run-all.sh - every test of mmlab: the C unit tests (make check), the API and
# browser tests (node's test runner), and make distcheck. Run from the top of a
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

echo "== unit tests (make check)"
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

echo "== API and browser tests (node --test)"
node --test --test-concurrency=1 --test-reporter=spec --test-reporter-destination=stdout \
	--test-reporter=tap --test-reporter-destination="$logdir/e2e.tap" \
	tests/e2e/*.test.mjs
p=$(sed -n 's/^# pass //p' "$logdir/e2e.tap")
f=$(sed -n 's/^# fail //p' "$logdir/e2e.tap")
c=$(sed -n 's/^# cancelled //p' "$logdir/e2e.tap")
if [ -z "$p" ]; then count 0 1; else count "$p" $((${f:-0} + ${c:-0})); fi

if [ "${MMLAB_SKIP_DISTCHECK:-}" != 1 ]; then
	echo "== make distcheck"
	if make -j"$(nproc)" distcheck DISTCHECK_CONFIGURE_FLAGS=--enable-werror >"$logdir/distcheck.out" 2>&1; then
		echo "PASS: make distcheck"
		count 1 0
	else
		tail -40 "$logdir/distcheck.out"
		echo "FAIL: make distcheck"
		count 0 1
	fi
fi

rm -rf "$logdir"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
