# cmocka unit tests, one per engine or daemon unit.
UNIT_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(JANSSON_CFLAGS) \
	-DMMLAB_TEST_DATA='"$(abs_top_srcdir)/tests/data"'

check_PROGRAMS += tests/unit/test_config
tests_unit_test_config_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_config_LDADD = $(ENGINE_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test_db
tests_unit_test_db_CFLAGS = $(UNIT_CFLAGS) $(SQLITE_CFLAGS)
tests_unit_test_db_LDADD = $(DAEMON_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test_recorder
tests_unit_test_recorder_CFLAGS = $(UNIT_CFLAGS) $(SQLITE_CFLAGS)
tests_unit_test_recorder_LDADD = $(DAEMON_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test_ops_batch
tests_unit_test_ops_batch_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_ops_batch_LDADD = $(DAEMON_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test_gfp
tests_unit_test_gfp_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_gfp_LDADD = $(ENGINE_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test_mm_init
tests_unit_test_mm_init_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_mm_init_LDADD = $(ENGINE_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test_page_alloc
tests_unit_test_page_alloc_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_page_alloc_LDADD = $(ENGINE_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test_proc
tests_unit_test_proc_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_proc_LDADD = $(ENGINE_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test_buddy_random
tests_unit_test_buddy_random_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_buddy_random_LDADD = $(ENGINE_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test_pgtable
tests_unit_test_pgtable_SOURCES = tests/unit/test_pgtable.c tests/unit/paging_test.h
tests_unit_test_pgtable_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_pgtable_LDADD = $(ENGINE_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test_mmu
tests_unit_test_mmu_SOURCES = tests/unit/test_mmu.c tests/unit/paging_test.h
tests_unit_test_mmu_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_mmu_LDADD = $(ENGINE_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test_boot
tests_unit_test_boot_SOURCES = tests/unit/test_boot.c tests/unit/paging_test.h
tests_unit_test_boot_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_boot_LDADD = $(ENGINE_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test_mm
tests_unit_test_mm_SOURCES = tests/unit/test_mm.c tests/unit/paging_test.h
tests_unit_test_mm_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_mm_LDADD = $(ENGINE_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test_slub
tests_unit_test_slub_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_slub_LDADD = $(ENGINE_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test_vmalloc
tests_unit_test_vmalloc_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_vmalloc_LDADD = $(ENGINE_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test_snapshot
tests_unit_test_snapshot_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_snapshot_LDADD = $(ENGINE_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test_dma
tests_unit_test_dma_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_dma_LDADD = $(ENGINE_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test_vmlayout
tests_unit_test_vmlayout_SOURCES = tests/unit/test_vmlayout.c tests/unit/machine_test.h
tests_unit_test_vmlayout_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_vmlayout_LDADD = $(ENGINE_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test_page_types
tests_unit_test_page_types_SOURCES = tests/unit/test_page_types.c tests/unit/paging_test.h
tests_unit_test_page_types_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_page_types_LDADD = $(ENGINE_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test_slowpath
tests_unit_test_slowpath_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_slowpath_LDADD = $(ENGINE_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test_pcp_thp
tests_unit_test_pcp_thp_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_pcp_thp_LDADD = $(ENGINE_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test_slub_distro
tests_unit_test_slub_distro_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_slub_distro_LDADD = $(ENGINE_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test_filemap
tests_unit_test_filemap_SOURCES = tests/unit/test_filemap.c tests/unit/paging_test.h
tests_unit_test_filemap_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_filemap_LDADD = $(ENGINE_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test_rmap
tests_unit_test_rmap_SOURCES = tests/unit/test_rmap.c tests/unit/paging_test.h
tests_unit_test_rmap_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_rmap_LDADD = $(ENGINE_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test_compaction
tests_unit_test_compaction_SOURCES = tests/unit/test_compaction.c tests/unit/paging_test.h
tests_unit_test_compaction_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_compaction_LDADD = $(ENGINE_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test_compaction_random
tests_unit_test_compaction_random_SOURCES = tests/unit/test_compaction_random.c tests/unit/paging_test.h
tests_unit_test_compaction_random_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_compaction_random_LDADD = $(ENGINE_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test_swap
tests_unit_test_swap_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_swap_LDADD = $(ENGINE_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test_vmscan
tests_unit_test_vmscan_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_vmscan_LDADD = $(ENGINE_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test_ftrace
tests_unit_test_ftrace_CFLAGS = $(UNIT_CFLAGS) $(SQLITE_CFLAGS)
tests_unit_test_ftrace_LDADD = $(DAEMON_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test_check
tests_unit_test_check_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_check_LDADD = $(ENGINE_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test_tlb_policy
tests_unit_test_tlb_policy_SOURCES = tests/unit/test_tlb_policy.c tests/unit/paging_test.h
tests_unit_test_tlb_policy_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_tlb_policy_LDADD = $(ENGINE_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test_oom_kill
tests_unit_test_oom_kill_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_oom_kill_LDADD = $(ENGINE_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test_memcontrol
tests_unit_test_memcontrol_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_memcontrol_LDADD = $(ENGINE_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test_session_lru
tests_unit_test_session_lru_CFLAGS = $(UNIT_CFLAGS) $(SQLITE_CFLAGS) $(MHD_CFLAGS)
tests_unit_test_session_lru_LDADD = $(DAEMON_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test_populate
tests_unit_test_populate_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_populate_LDADD = $(DAEMON_LIBS) $(CMOCKA_LIBS)
