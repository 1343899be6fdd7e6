#!/bin/sh
# vendor.sh SRCDIR - copy the browser libraries that npm ci put in node_modules
# into web/vendor, the only place the dashboard loads them from, with their
# versions and licences beside them.
set -eu
src=$1
nm="$src/node_modules"
out="$src/web/vendor"
# d3-scale and the packages it needs, in the order their UMD files attach to
# the global d3: one file, web/vendor/d3-scale.bundle.min.js.
D3="internmap d3-array d3-color d3-interpolate d3-format d3-time d3-time-format d3-scale"
for f in chart.js/dist/chart.umd.min.js \
	 chartjs-plugin-annotation/dist/chartjs-plugin-annotation.min.js \
	 $(for p in $D3; do echo "$p/dist/$p.min.js"; done); do
	if [ ! -f "$nm/$f" ]; then
		echo "error: $nm/$f is missing: run 'npm ci' in $src first" >&2
		exit 1
	fi
done
mkdir -p "$out"
cp "$nm/chart.js/dist/chart.umd.min.js" "$out/"
cp "$nm/chart.js/LICENSE.md" "$out/chart.js.LICENSE.md"
cp "$nm/chartjs-plugin-annotation/dist/chartjs-plugin-annotation.min.js" "$out/"
cp "$nm/chartjs-plugin-annotation/LICENSE.md" "$out/chartjs-plugin-annotation.LICENSE.md"
for p in $D3; do cat "$nm/$p/dist/$p.min.js"; echo; done > "$out/d3-scale.bundle.min.js.tmp"
mv "$out/d3-scale.bundle.min.js.tmp" "$out/d3-scale.bundle.min.js"
for p in $D3; do
	echo "== $p"
	cat "$nm/$p/LICENSE"
done > "$out/d3-scale.LICENSE"
ver() { sed -n 's/^  "version": "\(.*\)",$/\1/p' "$nm/$1/package.json"; }
{
	echo "chart.js $(ver chart.js) (MIT), from the npm registry"
	echo "chartjs-plugin-annotation $(ver chartjs-plugin-annotation) (MIT), from the npm registry"
	for p in $D3; do echo "$p $(ver $p) (ISC), from the npm registry"; done
} > "$out/VERSIONS"
