# mmlabd: the HTTP server, sessions, recorder and replay. Everything but main.c
# is a library so the unit tests can link it.
sbin_PROGRAMS += daemon/mmlabd
noinst_LIBRARIES += daemon/libdaemon.a

DAEMON_CFLAGS = $(AM_CFLAGS) $(MHD_CFLAGS) $(JANSSON_CFLAGS) $(SQLITE_CFLAGS) $(ZSTD_CFLAGS)
DAEMON_LIBS = daemon/libdaemon.a $(ENGINE_LIBS) $(MHD_LIBS) $(JANSSON_LIBS) $(SQLITE_LIBS) $(ZSTD_LIBS)

daemon_libdaemon_a_CFLAGS = $(DAEMON_CFLAGS)
daemon_libdaemon_a_SOURCES = \
	daemon/api.c daemon/api.h \
	daemon/clock.h \
	daemon/api_replay.c \
	daemon/api_sessions.c \
	daemon/api_views.c \
	daemon/api_pressure.c \
	daemon/api_reclaim.c \
	daemon/ops.c daemon/ops.h \
	daemon/ops_batch.c daemon/ops_batch.h \
	daemon/origin.c daemon/origin.h \
	daemon/ops_slab.c \
	daemon/api_slab.c \
	daemon/ops_mmu.c \
	daemon/ops_pagecache.c \
	daemon/api_pagecache.c \
	daemon/scenarios_core.c daemon/scenarios_core.h \
	daemon/scenarios_oom.c daemon/scenarios_oom.h \
	daemon/scenarios_compaction.c daemon/scenarios_compaction.h \
	daemon/api_mmu.c \
	daemon/ops_workload.c \
	daemon/ops_oom.c \
	daemon/ops_compaction.c \
	daemon/api_oom.c \
	daemon/recorder.c daemon/recorder.h \
	daemon/replay.c daemon/replay.h \
	daemon/session.c daemon/session.h \
	daemon/conns.c daemon/conns.h \
	daemon/db.c daemon/db.h \
	daemon/http.c daemon/http.h \
	daemon/jobs.c daemon/jobs.h \
	daemon/populate.c daemon/populate.h \
	daemon/log.c daemon/log.h \
	daemon/metrics.c daemon/metrics.h \
	daemon/scenarios.c daemon/scenarios.h \
	daemon/schema.h \
	daemon/server.h \
	daemon/snapshots.c daemon/snapshots.h \
	daemon/static.c \
	daemon/stream.c daemon/stream.h \
	daemon/ftrace.c daemon/ftrace.h \
	daemon/trace_import.c daemon/trace_import.h \
	daemon/trace_resim.c daemon/trace_resim.h \
	daemon/wal_checkpoint.c daemon/wal_checkpoint.h \
	daemon/api_trace.c
nodist_daemon_libdaemon_a_SOURCES = daemon/schema_sql.c

daemon_mmlabd_CFLAGS = $(DAEMON_CFLAGS)
daemon_mmlabd_CPPFLAGS = $(AM_CPPFLAGS) \
	-DMMLAB_WEBDIR='"$(webdir)"' \
	-DMMLAB_SCENARIOSDIR='"$(scenariosdir)"' \
	-DMMLAB_SRCDIR='"$(abs_top_srcdir)"' \
	-DMMLAB_BUILDDIR='"$(abs_top_builddir)"'
daemon_mmlabd_SOURCES = daemon/main.c
daemon_mmlabd_LDADD = $(DAEMON_LIBS)

# Records a real kernel's tracepoints into a bundle import-trace accepts.
dist_sbin_SCRIPTS = tools/mmlab-capture
