# SQL migrations, compiled into mmlabd so an installed daemon carries them.
SCHEMA_MIGRATIONS = \
	schema/001_initial.sql \
	schema/002_scenario_runs.sql \
	schema/003_leaner_event_indexes.sql \
	schema/004_event_keys.sql \
	schema/005_trace_sessions.sql \
	schema/006_trace_buddyinfo_after.sql

EXTRA_DIST += $(SCHEMA_MIGRATIONS) schema/embed.sh
BUILT_SOURCES += daemon/schema_sql.c
CLEANFILES += daemon/schema_sql.c

daemon/schema_sql.c: $(SCHEMA_MIGRATIONS) $(srcdir)/schema/embed.sh
	$(AM_V_GEN)$(MKDIR_P) daemon && \
	$(SHELL) $(srcdir)/schema/embed.sh $(srcdir) $(SCHEMA_MIGRATIONS) > $@.tmp && mv $@.tmp $@
