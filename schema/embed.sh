#!/bin/sh
# embed.sh SRCDIR FILE... - write a C file holding each migration as a string.
# Migration N is schema/NNN_name.sql; mmlabd applies them in order and records
# the highest applied number in PRAGMA user_version.
set -eu
srcdir=$1
shift
printf '/* Generated from the migrations in schema/ by schema/embed.sh: do not edit. */\n'
printf '#include "daemon/schema.h"\n\n'
printf 'const struct schema_migration schema_migrations[] = {\n'
for f in "$@"; do
	base=$(basename "$f" .sql)
	num=$(printf '%s' "$base" | sed 's/^0*\([0-9][0-9]*\)_.*/\1/')
	printf '\t{ %s, "%s",\n' "$num" "$base"
	sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/\t  "/' -e 's/$/\\n"/' "$srcdir/$f"
	printf '\t},\n'
done
printf '};\n'
printf 'const unsigned int schema_nr_migrations = sizeof(schema_migrations) / sizeof(schema_migrations[0]);\n'
