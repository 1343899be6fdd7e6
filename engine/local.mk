# The simulated machine: a library that mmlabd, the tests and the benchmarks link.
noinst_LIBRARIES += engine/libengine.a
engine_libengine_a_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
engine_libengine_a_SOURCES = \
	engine/mmlab.h \
	engine/internal.h \
	engine/layout.h \
	engine/pgtable.h \
	engine/error.c \
	engine/events.c \
	engine/config.c \
	engine/gfp.c \
	engine/mm_init.c \
	engine/memblock.c \
	engine/page_alloc.c \
	engine/check.c \
	engine/proc.c \
	engine/slab.h \
	engine/slub.c \
	engine/vmalloc.c \
	engine/dma.c \
	engine/pgtable.c \
	engine/mmu.c \
	engine/boot.c \
	engine/mm.c \
	engine/ptdump.c \
	engine/vmstat.c

ENGINE_LIBS = engine/libengine.a $(JANSSON_LIBS) -lm
