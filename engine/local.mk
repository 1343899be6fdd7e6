# The simulated machine: a library that mmlabd, the tests and the benchmarks link.
noinst_LIBRARIES += engine/libengine.a
engine_libengine_a_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
ENGINE_SOURCES = \
	engine/mmlab.h \
	engine/internal.h \
	engine/layout.h \
	engine/pgtable.h \
	engine/error.c \
	engine/events.c \
	engine/config.c \
	engine/gfp.c \
	engine/mm_init.c \
	engine/timer.c \
	engine/memblock.c \
	engine/page_alloc.c \
	engine/compaction.h \
	engine/compaction.c \
	engine/migrate.c \
	engine/page_isolation.c \
	engine/slowpath.c \
	engine/check.c \
	engine/proc.c \
	engine/textbuf.c \
	engine/slab.h \
	engine/slub.c \
	engine/vmalloc.c \
	engine/dma.c \
	engine/swiotlb.h \
	engine/swiotlb.c \
	engine/physaddr.c \
	engine/pgtable.c \
	engine/mmu.c \
	engine/boot.c \
	engine/mm.c \
	engine/ptdump.c \
	engine/vmlayout.c \
	engine/snapshot.c \
	engine/vmstat.c \
	engine/lru.h \
	engine/swap.c \
	engine/rmap.c \
	engine/filemap.c \
	engine/page_writeback.c \
	engine/lru_check.c \
	engine/lru_proc.c \
	engine/swap.h \
	engine/swapfile.c \
	engine/swap_state.c \
	engine/vmscan.h \
	engine/vmscan.c \
	engine/workingset.c \
	engine/oom.h \
	engine/oom_kill.c \
	engine/memcontrol.h \
	engine/memcontrol.c
engine_libengine_a_SOURCES = $(ENGINE_SOURCES)
nodist_engine_libengine_a_SOURCES = engine/build_id.h

# A snapshot names the engine build that wrote it: a checksum of the engine's
# sources, so that a changed engine never reads an older build's snapshots.
BUILT_SOURCES += engine/build_id.h
CLEANFILES += engine/build_id.h
engine/build_id.h: $(ENGINE_SOURCES)
	$(AM_V_GEN)$(MKDIR_P) engine && \
	sum=`cd $(srcdir) && cat $(ENGINE_SOURCES) | cksum | tr ' ' '-'` && \
	printf '#define MMLAB_ENGINE_BUILD "%s-%s"\n' '$(PACKAGE_VERSION)' "$$sum" > $@.tmp && \
	mv $@.tmp $@

ENGINE_LIBS = engine/libengine.a $(JANSSON_LIBS) -lm
