# Built-in scenarios: plain files of ops, listed by GET /api/v1/scenarios.
scenariosdir = $(pkgdatadir)/scenarios
dist_scenarios_DATA = \
	scenarios/zones.json \
	scenarios/fragmentation.json \
	scenarios/paging.json \
	scenarios/internal_fragmentation.json \
	scenarios/linear-map.json \
	scenarios/tlb-scan.json \
	scenarios/tlb-scan-no-gbpages.json \
	scenarios/kmalloc-vs-vmalloc.json \
	scenarios/struct-page.json \
	scenarios/page-cache.json \
	scenarios/fork-cow.json \
	scenarios/memory-runs-low.json \
	scenarios/direct-reclaim.json \
	scenarios/swap-and-major-faults.json \
	scenarios/oom-killer.json \
	scenarios/memcg-limit.json \
	scenarios/movable-fragmentation-compacted.json \
	scenarios/unmovable-fragmentation.json \
	scenarios/proactive-compaction-kcompactd.json
