// scenarios.test.mjs - built-in scenarios and workload generators: listed,
// run on new or existing sessions, measured from the run's events, replayable.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, getJson, postJson } from './lib/daemon.mjs';

let d;
before(async () => { d = await startDaemon(); });
after(async () => { await d.stop(); });
const api = (p) => `${d.url}/api/v1${p}`;

test('scenarios are listed with their question and claim, and readable as ops', async () => {
  const list = (await getJson(api('/scenarios'))).body.scenarios;
  const names = list.map((s) => s.name);
  for (const n of ['zones', 'fragmentation']) assert.ok(names.includes(n), n);
  for (const s of list) {
    assert.ok(s.title && s.question && s.claim && s.explanation, s.name);
    assert.ok(s.ops > 0);
  }
  const one = (await getJson(api('/scenarios/zones'))).body;
  assert.ok(Array.isArray(one.ops) && one.ops.every((o) => typeof o.op === 'string'));
  assert.equal((await getJson(api('/scenarios/nope'))).status, 404);
  assert.equal((await getJson(api('/scenarios/..%2F..%2Fetc%2Fpasswd'))).status, 404);
  assert.equal((await postJson(api('/scenarios/nope/run'), {})).status, 404);
});

test('zones: the figure comes from the events and supports the claim', async () => {
  const r = await postJson(api('/scenarios/zones/run'), {});
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const { figure, results, session } = r.body;
  const listed = (await getJson(api('/scenarios/zones'))).body;
  for (const k of ['title', 'question', 'explanation', 'claim']) assert.equal(r.body[k], listed[k], k);
  assert.equal(figure.gfp_dma_only_from_zone_dma, true);
  assert.equal(figure.gfp_dma32_below_4gib, true);
  assert.deepEqual(Object.keys(figure.by_gfp.GFP_DMA.zones), ['DMA']);
  assert.ok(figure.by_gfp.GFP_DMA.zones.DMA > 1000, 'ZONE_DMA was used up');
  assert.ok(figure.by_gfp.GFP_DMA.failed >= 1);
  assert.deepEqual(Object.keys(figure.by_gfp.GFP_DMA32.zones), ['DMA32']);
  // After ZONE_DMA is exhausted: GFP_DMA fails, GFP_KERNEL and GFP_DMA32 still succeed.
  const tail = results.slice(-3);
  assert.equal(tail[0].ok, false);
  assert.equal(tail[0].errno, 'ENOMEM');
  assert.equal(tail[1].ok, true);
  assert.equal(tail[2].ok, true);
  // The run is an ordinary recorded session, and it remembers its experiment.
  assert.equal((await getJson(api(`/sessions/${session}/verify`))).body.ok, true);
  const info = (await getJson(api(`/sessions/${session}`))).body;
  assert.equal(info.scenario_runs.length, 1);
  assert.equal(info.scenario_runs[0].name, 'zones');
  assert.deepEqual(info.scenario_runs[0].figure, figure);
  assert.equal(info.scenario_runs[0].last_seq, r.body.last_seq);
  // An exported and imported copy still knows it.
  const file = Buffer.from(await (await fetch(api(`/sessions/${session}/export`))).arrayBuffer());
  const imp = await fetch(api('/sessions/import'), { method: 'POST', body: file });
  const [copy] = (await imp.json()).ids;
  assert.deepEqual((await getJson(api(`/sessions/${copy}`))).body.scenario_runs, info.scenario_runs);
});

test('fragmentation: half the memory free, yet order 10 fails for fragmentation', async () => {
  const r = await postJson(api('/scenarios/fragmentation/run'), {});
  assert.equal(r.status, 201);
  const f = r.body.figure;
  assert.ok(f.free_percent > 40, `free ${f.free_percent}%`);
  const fail10 = f.alloc_failures.find((a) => a.order === 10);
  assert.ok(fail10 && fail10.count >= 1, JSON.stringify(f.alloc_failures));
  for (const z of f.zones) {
    assert.equal(z.unusable_index.length, 11);
    assert.ok(z.extfrag_index[10] > 0.9, `${z.zone}: ${z.extfrag_index[10]}`);
    assert.ok(z.unusable_index[1] > 0.5, `${z.zone}: most free memory in single pages`);
  }
  assert.ok(f.fallback_steals > 0, 'unmovable pages stole from movable pageblocks');
  const text = await (await fetch(api(`/sessions/${r.body.session}/debug/extfrag/extfrag_index`))).text();
  assert.match(text, /zone    DMA32/);
});

test('a scenario runs on an existing session too, and its ops work as a plain op list', async () => {
  const id = (await postJson(api('/sessions'), { machine: { mem_mib: 8192, pcp: false } })).body.id;
  const run = await postJson(api(`/sessions/${id}/scenarios/zones`), {});
  assert.equal(run.status, 200);
  assert.equal(run.body.session, id);
  const id2 = (await postJson(api('/sessions'), { machine: { mem_mib: 8192, pcp: false } })).body.id;
  const { ops } = (await getJson(api('/scenarios/zones'))).body;
  const plain = await postJson(api(`/sessions/${id2}/ops`), ops);
  assert.deepEqual(plain.body.results.map((x) => x.ok), run.body.results.map((x) => x.ok));
  assert.equal(await (await fetch(api(`/sessions/${id2}/proc/buddyinfo`))).text(),
               await (await fetch(api(`/sessions/${id}/proc/buddyinfo`))).text());
});

test('workloads are deterministic from their seed and validate their fields', async () => {
  const mk = async () => (await postJson(api('/sessions'), { machine: { mem_mib: 256 } })).body.id;
  const [a, b, c] = [await mk(), await mk(), await mk()];
  const w = { op: 'workload', kind: 'random', count: 3000, seed: 42 };
  const ra = (await postJson(api(`/sessions/${a}/ops`), w)).body;
  const rb = (await postJson(api(`/sessions/${b}/ops`), w)).body;
  const rc = (await postJson(api(`/sessions/${c}/ops`), { ...w, seed: 43 })).body;
  assert.deepEqual(ra.results, rb.results);
  assert.equal(ra.last_seq - ra.first_seq, rb.last_seq - rb.first_seq);
  assert.notDeepEqual(ra.results, rc.results);
  assert.equal(ra.results[0].ops, 3000);
  const buddy = async (id) => (await fetch(api(`/sessions/${id}/proc/buddyinfo`))).text();
  assert.equal(await buddy(a), await buddy(b));
  assert.equal((await getJson(api(`/sessions/${a}/verify`))).body.ok, true);
  const bad = (await postJson(api(`/sessions/${a}/ops`), [
    { op: 'workload', kind: 'tornado' },
    { op: 'workload' },
    { op: 'workload', kind: 'random', count: 2000000 },
    { op: 'workload', kind: 'kmalloc_sizes', min: 100, max: 10 },
  ])).body.results;
  assert.match(bad[0].message, /unknown workload kind "tornado"/);
  assert.match(bad[1].message, /kind is required/);
  assert.match(bad[2].message, /count/);
  assert.match(bad[3].message, /min <= max/);
  const check = (await postJson(api(`/sessions/${a}/ops`), { op: 'check' })).body.results[0];
  assert.deepEqual(check, { ok: true });
});

test('paging: every identity-mapped switch survived, the careless one triple-faulted', async () => {
  const r = await postJson(api('/scenarios/paging/run'), {});
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const f = r.body.figure;
  assert.deepEqual(f.boot_stages.map((x) => x.stage),
    ['startup_32', 'extract_kernel', 'startup_64', '__startup_64', 'common_startup_64', 'reset_early_page_tables',
     'init_mem_mapping', 'mm_core_init', 'done']);
  const seqs = f.boot_stages.map((x) => x.seq);
  assert.deepEqual([...seqs].sort((a, b) => a - b), seqs, 'stages in order');
  assert.ok(f.switches_survived >= 4);
  assert.equal(f.triple_faults_count, 1);
  assert.match(f.triple_faults[0].why, /no identity mapping/);
  const fatal = f.paging_switches.filter((x) => !x.survived);
  assert.equal(fatal.length, 1);
  assert.equal(fatal[0].paging, 'on');
  assert.ok(fatal[0].seq < f.triple_faults[0].seq);
  // The stages are markers on the timeline, for stepping through the boot.
  const tl = (await getJson(api(`/sessions/${r.body.session}/timeline`))).body;
  assert.ok(tl.markers.filter((m) => m.type === 'boot_stage').length >= 8);
  assert.ok(tl.markers.some((m) => m.type === 'triple_fault'));
});

// x86-64 boots with paging already on: the decompressor's startup_32
// (arch/x86/boot/compressed/head_64.S) sets CR0.PG before extract_kernel(),
// and the kernel's startup_64 (arch/x86/kernel/head_64.S) enters in long mode
// on the decompressor's identity map. The text says so, and that 32-bit
// kexec (relocate_kernel_32.S) is where paging does go off.
test('paging: the decompressor sets CR0.PG, startup_64 runs on its identity map, and the text says so', async () => {
  const r = await postJson(api('/scenarios/paging/run'), {});
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const f = r.body.figure, id = r.body.session;
  const stage = Object.fromEntries(f.boot_stages.map((x) => [x.stage, x.seq]));
  const on = f.paging_switches.find((x) => x.cpu === 0 && x.paging === 'on');
  assert.ok(stage.startup_32 < on.seq && on.seq < stage.extract_kernel,
            `CR0.PG at seq ${on.seq}, in the decompressor (startup_32 ${stage.startup_32}, extract_kernel ${stage.extract_kernel})`);
  assert.equal(f.paging_switches.filter((x) => x.cpu === 0).length, 1, 'the boot CPU never switches again');
  const cpu0 = (await getJson(api(`/sessions/${id}/cpus?at=${stage.startup_64}`))).body.cpus[0];
  assert.deepEqual([cpu0.mode, cpu0.cr0.pg, cpu0.efer.lma, cpu0.cr3], ['long', true, true, on.cr3]);
  const walk = (await getJson(api(`/sessions/${id}/pagetable?at=${stage.startup_64}&pid=cr3:0&vaddr=${cpu0.rip}`))).body;
  assert.equal(walk.paddr, cpu0.rip, 'startup_64 runs where virtual == physical');
  assert.match(walk.root_name, /decompressor/);
  const sc = (await getJson(api('/scenarios/paging'))).body;
  const text = sc.explanation;
  assert.match(text, /decompressor's startup_32 \(arch\/x86\/boot\/compressed\/head_64\.S\) builds an identity map, sets CR4\.PAE, CR3, EFER\.LME and CR0\.PG; extract_kernel then runs in long mode/);
  assert.match(text, /startup_64 \(arch\/x86\/kernel\/head_64\.S\) therefore starts in long mode at its physical address, on the decompressor's identity map/);
  assert.doesNotMatch(text, /startup_64[^.]*(sets|turns on)[^.]*CR0\.PG/, 'the kernel proper never sets CR0.PG on the boot CPU');
  assert.match(text, /kexec on x86-64 keeps paging on/);
  assert.match(text, /32-bit relocate_kernel_32\.S does turn paging off/);
  assert.match(sc.claim, /kexec is no switch at all: paging stays on/);
});

test('internal fragmentation: about a quarter wasted by powers of two, less with 96 and 192', async () => {
  const r = await postJson(api('/scenarios/internal_fragmentation/run'), {});
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const { slab, buddy_large: large } = r.body.figure;
  assert.equal(slab.requests, 4000);
  assert.ok(large.waste_percent > 20 && large.waste_percent < 30, `large: ${large.waste_percent}`);
  assert.ok(slab.waste_percent < slab.waste_percent_if_only_powers_of_two - 5,
            `slab ${slab.waste_percent} vs powers of two ${slab.waste_percent_if_only_powers_of_two}`);
  assert.ok(slab.waste_percent_if_only_powers_of_two > 20);
  assert.equal(slab.bytes_allocated > slab.bytes_requested, true);
});

test('linear map: one offset for the direct map, another for the kernel image, wrong numbers elsewhere, an oops with CONFIG_DEBUG_VIRTUAL', async () => {
  const r = await postJson(api('/scenarios/linear-map/run'), {});
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const f = r.body.figure;
  assert.deepEqual(f.offsets_by_region['direct map'], ['0xffff888000000000']);
  assert.deepEqual(f.offsets_by_region['kernel image'], ['0xffffffff80000000']);
  // __phys_addr_nodebug(): x - PAGE_OFFSET for anything below __START_KERNEL_map, silently.
  assert.equal(f.conversions.filter((c) => !c.ok).length, 0);
  const wrong = f.conversions.filter((c) => c.wrong);
  assert.deepEqual(wrong.map((c) => c.region).sort(), ['user', 'vmalloc']);
  for (const c of wrong) {
    assert.equal(BigInt.asUintN(64, BigInt(c.vaddr) - BigInt(c.paddr)), 0xffff888000000000n);
    assert.match(c.why, /x - PAGE_OFFSET/);
  }
  assert.ok(f.conversions.filter((c) => c.region === 'direct map').length >= 3);
  assert.equal((await getJson(api(`/sessions/${r.body.session}/events?type=oops&limit=10`))).body.events.length, 0);
  // The same run, on a machine with debug_virtual (CONFIG_DEBUG_VIRTUAL):
  // __phys_addr() (arch/x86/mm/physaddr.c) BUG()s on the same two.
  const df = f.with_debug_virtual;
  assert.ok(df.session > r.body.session, 'a session of its own');
  const other = (await getJson(api(`/sessions/${df.session}`))).body;
  assert.deepEqual([other.machine.mem_mib, other.machine.debug_virtual], [4096, true]);
  assert.equal(other.state, 'closed', 'stopped once measured, its record kept');
  assert.deepEqual(other.scenario_runs.map((x) => x.name), ['linear-map']);
  assert.deepEqual(df.offsets_by_region, f.offsets_by_region);
  assert.deepEqual(df.conversions.map((c) => c.vaddr), f.conversions.map((c) => c.vaddr), 'the same ops');
  const oopsed = df.conversions.filter((c) => !c.ok);
  assert.deepEqual(oopsed.map((c) => c.region).sort(), ['user', 'vmalloc']);
  for (const c of oopsed) assert.match(c.error, /^kernel BUG at arch\/x86\/mm\/physaddr\.c:28!/);
  const ev = await getJson(api(`/sessions/${df.session}/events?type=oops&limit=10`));
  assert.deepEqual(ev.body.events.map((e) => e.vaddr).sort(), oopsed.map((c) => c.vaddr).sort());
  assert.equal((await getJson(api(`/sessions/${df.session}/verify`))).body.ok, true);
  assert.equal((await getJson(api('/scenarios/linear-map-debug-virtual'))).status, 404, 'one scenario shows both');
  // Run on a session of another machine, the variant is that machine with debug_virtual.
  const here = await postJson(api('/sessions'), { name: 'lm-here', machine: { mem_mib: 512 } });
  const h = (await postJson(api(`/sessions/${here.body.id}/scenarios/linear-map`), {})).body.figure.with_debug_virtual;
  const hm = (await getJson(api(`/sessions/${h.session}`))).body.machine;
  assert.deepEqual([hm.mem_mib, hm.debug_virtual], [512, true]);
  assert.deepEqual(h.conversions.filter((c) => !c.ok).map((c) => c.region).sort(), ['user', 'vmalloc']);
});

for (const [name, gb] of [['tlb-scan', true], ['tlb-scan-no-gbpages', false]]) {
  test(`${name}: the direct map's big pages against vmalloc's 4 KiB pages`, async () => {
    const r = await postJson(api(`/scenarios/${name}/run`), {});
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const { by_region: byRegion, gbpages } = r.body.figure;
    // walk_refs is one reference per level for every walk: the text says it is an upper bound.
    assert.match(r.body.explanation, /upper bound/);
    assert.match(r.body.explanation, /paging-structure caches/);
    assert.equal(gbpages, gb);
    const dm = byRegion['direct map'], vm = byRegion.vmalloc;
    assert.equal(dm.accesses, vm.accesses);
    assert.deepEqual(Object.keys(vm.page_sizes), ['4096']);
    assert.deepEqual(Object.keys(dm.page_sizes), [gb ? String(2 ** 30) : String(2 ** 21)]);
    assert.ok(dm.misses <= (gb ? 2 : 8), `direct map misses ${dm.misses}`);
    assert.ok(vm.misses > vm.accesses * 0.9, `vmalloc misses ${vm.misses} of ${vm.accesses}`);
    assert.equal(vm.walk_refs / vm.misses, 4);
    assert.equal(dm.walk_refs / dm.misses, gb ? 2 : 3);
  });
}

test('kmalloc versus vmalloc: contiguous or scattered, DMA accepted or refused', async () => {
  const r = await postJson(api('/scenarios/kmalloc-vs-vmalloc/run'), {});
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const f = r.body.figure;
  const [area] = f.vmalloc;
  assert.equal(area.nr_pages, 16);
  assert.ok(area.contiguous_runs > 1, `vmalloc frames in ${area.contiguous_runs} runs`);
  assert.ok(f.vmalloc_bookkeeping_kmallocs.length >= 1, 'vm_struct and pages array are kmalloc\'d');
  const big = f.kmalloc.find((k) => k.size === 65536);
  assert.equal(big.cache, 'kmalloc_large');
  const dma = Object.fromEntries(f.dma_map.map((x) => [`${x.addr}/${x.mask_bits}`, x]));
  assert.equal(dma[`${big.addr}/64`].accepted, true);
  assert.equal(dma[`${area.addr}/64`].accepted, false);
  assert.match(dma[`${area.addr}/64`].why, /vmalloc memory/);
  const small = f.dma_map.filter((x) => x.mask_bits === 24);
  assert.deepEqual(small.map((x) => x.accepted), [false, true]);
  assert.match(small[0].why, /above the DMA mask/);
  // dma_direct_map_phys() -> swiotlb_map(): a 32-bit device is given a bounce buffer below 4 GiB.
  const [bounce] = f.dma_map.filter((x) => x.mask_bits === 32);
  assert.equal(bounce.accepted, true);
  assert.equal(bounce.why, 'bounced through swiotlb');
  assert.ok(BigInt(bounce.dma_addr) < 1n << 32n, bounce.dma_addr);
  const ops = r.body.results;
  assert.equal(ops[11].bounced, true);
  assert.equal(ops[11].dma_addr, bounce.dma_addr);
  assert.notEqual(ops[11].paddr, bounce.dma_addr);
  assert.deepEqual([ops[12].bounced, ops[12].copied_back, ops[12].paddr], [true, 4096, ops[11].paddr]);
});

test('struct page: 64 bytes per frame, 1.56 % of RAM, and the fields of each kind of page', async () => {
  const r = await postJson(api('/scenarios/struct-page/run'), {});
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const f = r.body.figure;
  assert.equal(f.struct_page_size, 64);
  assert.equal(f.mem_map_bytes, f.present_pages * 64);
  assert.ok(f.mem_map_reserved_at_boot >= f.mem_map_bytes, 'memblock reserved the whole array');
  assert.ok(Math.abs(f.overhead_percent - 1.5625) < 0.01, f.overhead_percent);
  const by = Object.fromEntries(f.pages.map((p) => [p.state, p]));
  assert.equal(by['slab (kmalloc)'].owner, 'slab');
  // 6.18: what a page is used for is a page type, not a PG_ flag
  assert.equal(by['slab (kmalloc)'].page_type, 'slab');
  assert.doesNotMatch(by['slab (kmalloc)'].flags, /slab/);
  assert.equal(by['slab (kmalloc)'].slab_cache, 'kmalloc-256');
  assert.equal(by.vmalloc.owner, 'vmalloc');
  assert.equal(by['user page (demand paging)'].owner, 'user');
  assert.equal(by['page table'].owner, 'pagetable');
  assert.equal(by['page table'].page_type, 'table');
  assert.match(by['page table'].kpageflags, /pgtable/);
  assert.match(by['compound head'].flags, /head/);
  assert.doesNotMatch(by['compound tail'].flags, /tail/);
  assert.match(by['compound tail'].kpageflags, /compound_tail/);
  assert.equal(by['user page (demand paging)'].mapcount, 1);
  assert.equal(by['compound tail'].compound_head, by['compound head'].pfn);
  assert.equal(by['freed (on a per-CPU list)'].owner, 'pcp');
  assert.equal(by['freed (on a per-CPU list)'].refcount, 0);
});

test('a scenario that switches the per-CPU lists off says that pcp:false is no kernel option', async () => {
  const list = (await getJson(api('/scenarios'))).body.scenarios;
  let seen = 0;
  for (const { name } of list) {
    const sc = (await getJson(api(`/scenarios/${name}`))).body;
    if (sc.machine?.pcp !== false)
      continue;
    seen++;
    assert.match(sc.explanation, /pcp:false, which is not a kernel option/, name);
    assert.match(sc.explanation, /free_frozen_pages\(\)/, name);
  }
  assert.ok(seen >= 2, `${seen} scenarios with pcp:false`);
});
