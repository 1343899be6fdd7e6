#!/bin/sh
# run.sh [--ci] [NAME...] - the mutant suite: each tests/mutants/*.mut is a
# small deliberate bug (a file, an old text, the new text that replaces it)
# and the tests that must catch it. Each mutant is applied to a scratch copy
# of the built tree (build-mutants/tree, never the working tree), only what
# the killing tests need is rebuilt, and those tests are run: a mutant whose
# tests still pass has SURVIVED, and the run fails. So does a mutant whose old
# text is no longer in its file exactly once (STALE: the code moved on, the
# mutant must follow it), and so does one that no longer compiles (DOES NOT
# BUILD: a mutant the compiler rejects tests nothing, so it is never counted
# killed).
#
#   run.sh          every mutant (make mutants)
#   run.sh --ci     a share of the mutants killed by unit tests
#                   ($MMLAB_MUTANTS_UNIT_PER_RUN, 10) and of the browser and
#                   API ones ($MMLAB_MUTANTS_E2E_PER_RUN, 2), both turning
#                   with the day, so that every mutant runs within about two weeks of
#                   CI (tests/run-all.sh); no baseline run, as the suites have
#                   just passed
#   run.sh NAME...  only those mutants (NAME is the file name without .mut)
#   run.sh --build-only [NAME...]
#                   each mutant applied and what its tests need built, no
#                   test run: that every mutant still builds, quickly
#
# Run from a configured and built tree (make check has run). A line per
# mutant, then "mutants: N killed, N survived, N stale, N do not build".
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
dir=tests/mutants
work=${MMLAB_MUTANTS_DIR:-$top/build-mutants}
tree=$work/tree
unit_share=${MMLAB_MUTANTS_UNIT_PER_RUN:-10}
share=${MMLAB_MUTANTS_E2E_PER_RUN:-2}

ci=0 build_only=0
[ "${1:-}" = --ci ] && { ci=1; shift; }
[ "${1:-}" = --build-only ] && { build_only=1; shift; }

# field MUT NAME: the value of a "NAME: value" header line.
field() { sed -n "/^old:\$/q; s/^$2: *//p" "$1" | head -1; }

# part MUT old|new: the text after "old:" up to "new:", or after "new:".
part() {
	awk -v want="$2" '
		/^old:$/ && !seen_old { seen_old = 1; in_part = (want == "old"); next }
		/^new:$/ && seen_old && !seen_new { seen_new = 1; in_part = (want == "new"); next }
		in_part { printf "%s%s", (n++ ? "\n" : ""), $0 }' "$1"
}

# replace FILE OLDFILE NEWFILE: OLD must occur exactly once in FILE.
replace() {
	awk -v oldf="$2" -v newf="$3" '
		function slurp(f,   line, s, n) {
			while ((getline line < f) > 0) s = s (n++ ? "\n" : "") line
			close(f)
			return s
		}
		BEGIN { old = slurp(oldf); new = slurp(newf) }
		{ text = text (NR > 1 ? "\n" : "") $0 }
		END {
			i = index(text, old)
			if (old == "" || i == 0) exit 3
			if (index(substr(text, i + length(old)), old)) exit 4
			printf "%s%s%s\n", substr(text, 1, i - 1), new, substr(text, i + length(old))
		}' "$1"
}

# A fresh copy of the built tree: timestamps kept, so make rebuilds only
# what a mutant touches.
make_tree() {
	rm -rf "$tree" && mkdir -p "$tree" || return 1
	tar -C "$top" --exclude=./.git --exclude=./build-asan --exclude=./build-fuzz --exclude=./build-mutants --exclude=./node_modules \
		--exclude=./tests/e2e/artifacts --exclude='*.db' --exclude='*.db-wal' \
		--exclude='*.db-shm' --exclude='./mmlab-*' -cf - . | tar -C "$tree" -xf - || return 1
	ln -s "$top/node_modules" "$tree/node_modules"
	# mmlabd finds its web root and scenarios beside the build it was made
	# in: built again here, it knows this one (see mk below).
	rm -f "$tree/daemon/mmlabd-main.o"
}

# make in the copy, with the copy's own absolute paths.
mk() { make -j2 abs_top_builddir="$tree" abs_top_srcdir="$tree" "$@"; }

# build_tests KILLS LOG: build in the scratch tree what each test of KILLS
# ("unit:test_x" or "e2e:file.test.mjs", space separated) runs: the unit
# test's program, or the daemon; status 0 when all of it builds.
build_tests() {
	for t in $1; do
		case $t in
		unit:*) (cd "$tree" && mk "tests/unit/${t#unit:}") >>"$2" 2>&1 || return 1 ;;
		e2e:*) (cd "$tree" && mk daemon/mmlabd) >>"$2" 2>&1 || return 1 ;;
		*) echo "unknown test kind: $t" >>"$2"; return 1 ;;
		esac
	done
	return 0
}

# run_tests KILLS LOG: run each test of KILLS, built by build_tests, in the
# scratch tree; status 0 when all pass.
run_tests() {
	for t in $1; do
		case $t in
		unit:*)
			p=tests/unit/${t#unit:}
			(cd "$tree" && timeout 90 "./$p") >>"$2" 2>&1 || return 1 ;;
		e2e:*)
			(cd "$tree" &&
			 MMLABD="$tree/daemon/mmlabd" MMLAB_WEB_ROOT="$tree/web" \
				timeout 900 node --test --test-concurrency=1 --test-reporter=dot \
				"tests/e2e/${t#e2e:}") >>"$2" 2>&1 || return 1 ;;
		*)
			echo "unknown test kind: $t" >>"$2"; return 1 ;;
		esac
	done
	return 0
}

# The mutants of this run.
all=$(ls "$dir"/*.mut | sort)
if [ $# -gt 0 ]; then
	list=""
	for n in "$@"; do
		[ -f "$dir/$n.mut" ] || { echo "mutants: no $dir/$n.mut" >&2; exit 2; }
		list="$list $dir/$n.mut"
	done
elif [ $ci = 1 ]; then
	# Of each kind, its share a run, turning with the day: day d runs the
	# mutants d*share .. d*share+share-1 of the kind (modulo their number).
	list="" units="" others=""
	for m in $all; do
		case " $(field "$m" kills)" in
		*" e2e:"*) others="$others $m" ;;
		*) units="$units $m" ;;
		esac
	done
	day=$(( $(date -u +%s) / 86400 ))
	# take SHARE MUTANT...: the day's share of the mutants given, added to $list.
	take() {
		want=$1
		shift
		i=0
		while [ $i -lt "$want" ] && [ $i -lt $# ]; do
			k=$(( (day * want + i) % $# + 1 ))
			eval "list=\"\$list \${$k}\""
			i=$((i + 1))
		done
	}
	take "$unit_share" $units
	take "$share" $others
else
	list=$all
fi

mkdir -p "$work/logs"
make_tree || { echo "mutants: cannot copy the tree to $tree" >&2; exit 2; }

# The tests must pass on the unmutated tree, or a "kill" means nothing.
# (In CI they have just passed: run-all.sh ran them before the mutants.)
baseline=""
[ $ci = 1 ] || [ $build_only = 1 ] || for m in $list; do
	for t in $(field "$m" kills); do
		case " $baseline " in *" $t "*) ;; *) baseline="$baseline $t" ;; esac
	done
done
for t in $baseline; do
	log="$work/logs/baseline-$(echo "$t" | tr ':/' '__').log"
	: >"$log"
	if ! build_tests "$t" "$log" || ! run_tests "$t" "$log"; then
		tail -30 "$log"
		echo "mutants: $t fails without any mutant (log: $log)"
		exit 1
	fi
done

killed=0 survived=0 stale=0 unbuilt=0 built=0
for m in $list; do
	name=$(basename "$m" .mut)
	file=$(field "$m" file)
	kills=$(field "$m" kills)
	log="$work/logs/$name.log"
	part "$m" old >"$work/old" && part "$m" new >"$work/new"
	cp -p "$tree/$file" "$work/orig" 2>/dev/null || { echo "STALE: $name: no file $file"; stale=$((stale + 1)); continue; }
	replace "$tree/$file" "$work/old" "$work/new" >"$work/mutated"
	case $? in
	0) ;;
	3) echo "STALE: $name: the old text is not in $file"; stale=$((stale + 1)); continue ;;
	*) echo "STALE: $name: the old text is in $file more than once"; stale=$((stale + 1)); continue ;;
	esac
	cat "$work/mutated" >"$tree/$file"	# a new mtime: make rebuilds it
	: >"$log"
	if ! build_tests "$kills" "$log"; then
		echo "DOES NOT BUILD: $name ($file; log: $log)"
		unbuilt=$((unbuilt + 1))
	elif [ $build_only = 1 ]; then
		echo "builds: $name"
		built=$((built + 1))
	elif run_tests "$kills" "$log"; then
		echo "SURVIVED: $name ($file; $kills pass; log: $log)"
		survived=$((survived + 1))
	else
		echo "killed: $name by $kills"
		killed=$((killed + 1))
	fi
	cat "$work/orig" >"$tree/$file"	# back, newer than the mutant's objects
done
if [ $build_only = 1 ]; then
	echo "mutants: $built build, $unbuilt do not build, $stale stale"
else
	echo "mutants: $killed killed, $survived survived, $stale stale, $unbuilt do not build"
fi
[ $survived -eq 0 ] && [ $stale -eq 0 ] && [ $unbuilt -eq 0 ]
