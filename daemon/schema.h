/*
 * schema.h - the SQL migrations of schema/, compiled in (daemon/schema_sql.c
 * is generated from them by schema/embed.sh).
 */
#ifndef MMLAB_SCHEMA_H
#define MMLAB_SCHEMA_H

struct schema_migration {
	int version;		/* NNN of schema/NNN_name.sql */
	const char *name;
	const char *sql;
};

extern const struct schema_migration schema_migrations[];
extern const unsigned int schema_nr_migrations;

#endif
