#!/bin/sh
# vendor.sh SRCDIR - copy the browser libraries that npm ci put in node_modules
# into web/vendor, the only place the dashboard loads them from, with their
# versions and licences beside them.
set -eu
src=$1
nm="$src/node_modules"
out="$src/web/vendor"
for f in chart.js/dist/chart.umd.min.js \
	 chartjs-plugin-annotation/dist/chartjs-plugin-annotation.min.js; do
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
ver() { sed -n 's/^  "version": "\(.*\)",$/\1/p' "$nm/$1/package.json"; }
{
	echo "chart.js $(ver chart.js) (MIT), from the npm registry"
	echo "chartjs-plugin-annotation $(ver chartjs-plugin-annotation) (MIT), from the npm registry"
} > "$out/VERSIONS"
