// buddy.test.mjs - sessions, the buddy allocator's ops and the physical-memory
// views through the REST API.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, getJson, postJson, createSession, applyOps } from './lib/daemon.mjs';

let d;
before(async () => { d = await startDaemon(); });
after(async () => { await d.stop(); });

const api = (path) => `${d.url}/api/v1${path}`;

const newSession = (machine, name = 'test') => createSession(d.url, machine, name);

const ops = (id, list) => applyOps(d.url, id, list);

async function check(id) {
  const r = await ops(id, { op: 'check' });
  assert.deepEqual(r.results[0], { ok: true }, JSON.stringify(r.results[0]));
}

test('the daemon starts with a live default session of the default machine', async () => {
  const list = await getJson(api('/sessions'));
  assert.equal(list.status, 200);
  const def = list.body.sessions.find((s) => s.name === 'default');
  assert.ok(def, 'a session named default');
  assert.equal(def.state, 'live');
  assert.ok(def.last_seq > 0, 'booting emitted events');
  const one = await getJson(api(`/sessions/${def.id}`));
  assert.equal(one.body.machine.mem_mib, 4096);
  assert.equal(one.body.memory.struct_page_size, 64);
  // 64 bytes of struct page per 4 KiB frame: 1.5625 % of the RAM it describes.
  assert.ok(Math.abs(one.body.memory.overhead_percent - 1.5625) < 1e-9, one.body.memory.overhead_percent);
  assert.equal(one.body.memory.mem_map_bytes, one.body.memory.present_pages * 64);
});

test('creating sessions: machine config errors are clear 400s', async () => {
  for (const [body, re] of [
    [{ machine: { mem_mb: 100 } }, /unknown machine key "mem_mb"/],
    [{ machine: { mem_mib: 16 } }, /mem_mib/],
    [{ machine: { mem_mib: 2 ** 40 } }, /too large for this host/],
    [{ machine: { max_order: 99 } }, /max_order/],
    [{ machine: 'big' }, /machine must be an object/],
    [{ name: '' }, /name must be/],
    [{ colour: 'red' }, /unknown field "colour"/],
  ]) {
    const r = await postJson(api('/sessions'), body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(r.body.error.code, 'EINVAL');
    assert.match(r.body.error.message, re);
  }
  const bad = await postJson(api('/sessions'), '{"name":');
  assert.equal(bad.status, 400);
  assert.match(bad.body.error.message, /malformed JSON/);
  const notJson = await getJson(api('/sessions'), { method: 'POST', body: 'name=x',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
  assert.equal(notJson.status, 415);
});

test('alloc_pages and free_pages: zones from GFP flags, aligned blocks, clear errors', async () => {
  const id = await newSession({ mem_mib: 8192 });
  const res = (await ops(id, [
    { op: 'alloc_pages', gfp: 'GFP_DMA', order: 0 },
    { op: 'alloc_pages', gfp: 'GFP_DMA32', order: 3 },
    { op: 'alloc_pages', gfp: 'GFP_KERNEL', order: 5 },
    { op: 'alloc_pages', gfp: 'GFP_KERNEL|__GFP_ZERO', order: 10 },
    { op: 'alloc_pages', gfp: 'GFP_HIGHUSER_MOVABLE' },
    { op: 'alloc_pages', gfp: 'GFP_KERNEL|__GFP_RECLAIMABLE', order: 2 },
  ])).results;
  for (const r of res) assert.equal(r.ok, true, JSON.stringify(r));
  assert.equal(res[0].zone, 'DMA');
  assert.ok(res[0].pfn < 4096);
  assert.equal(res[1].zone, 'DMA32');
  assert.ok(res[1].pfn + 8 <= 0x100000, 'GFP_DMA32 stays below 4 GiB');
  assert.equal(res[2].zone, 'Normal');
  for (const r of res) assert.equal(r.pfn % (1 << r.order), 0, `aligned: ${JSON.stringify(r)}`);
  assert.equal(res[4].migratetype, 'Movable');
  assert.equal(res[2].migratetype, 'Unmovable');
  assert.equal(res[5].migratetype, 'Reclaimable');

  const page = await getJson(api(`/sessions/${id}/pages/${res[3].pfn}`));
  assert.equal(page.status, 200);
  assert.equal(page.body.owner, 'other');
  assert.equal(page.body.order, 10);

  const errs = (await ops(id, [
    { op: 'alloc_pages', gfp: 'GFP_KERNEL|__GFP_BOGUS' },
    { op: 'alloc_pages', order: 11 },
    { op: 'alloc_pages', order: -1 },
    { op: 'alloc_pages', gfp: 'GFP_KERNEL', colour: 'red' },
    { op: 'free_pages', pfn: res[2].pfn + 1, order: 0 },
    { op: 'free_pages', pfn: res[2].pfn, order: 5 },
    { op: 'free_pages', pfn: res[2].pfn, order: 5 },
    { op: 'free_pages', pfn: 0xC0000, order: 0 },
    { op: 'free_pages' },
    { op: 'no_such_op' },
  ])).results;
  assert.match(errs[0].message, /__GFP_BOGUS/);
  assert.match(errs[1].message, /order/);
  assert.match(errs[2].message, /order/);
  assert.match(errs[3].message, /unknown field "colour"/);
  assert.equal(errs[4].ok, false);
  assert.match(errs[4].message, /inside the order-5 block at pfn/, 'a tail is not a block');
  assert.equal(errs[5].ok, true, 'the real free works');
  assert.equal(errs[6].ok, false, 'double free refused');
  assert.match(errs[6].message, /already free \(double free\)/);
  assert.equal(errs[7].ok, false, 'a hole is not allocated');
  assert.match(errs[7].message, /is a hole: no RAM behind it/);
  assert.match(errs[8].message, /pfn is required/);
  assert.match(errs[9].message, /unknown op/);
  for (const i of [0, 1, 2, 3, 4, 6, 7, 8, 9]) assert.equal(errs[i].errno, 'EINVAL', JSON.stringify(errs[i]));
  await check(id);
});

test('exhausting a 64 MiB machine gives ENOMEM results, not HTTP errors', async () => {
  const id = await newSession({ mem_mib: 64 });
  const batch = Array.from({ length: 4000 }, () => ({ op: 'alloc_pages', gfp: 'GFP_KERNEL', order: 3 }));
  const { results } = await ops(id, batch);
  const failed = results.filter((r) => !r.ok);
  assert.ok(failed.length > 0);
  for (const f of failed) assert.equal(f.errno, 'ENOMEM');
  assert.match(failed[0].message, /.+/);
  // What __alloc_pages_slowpath() (mm/page_alloc.c) would do with an order-3
  // GFP_KERNEL request: reclaim, compact, retry, then the OOM killer; it never fails it.
  assert.deepEqual(failed[0].slowpath, ['wake_all_kswapds', 'direct_compact', 'direct_reclaim',
    'direct_compact', 'should_reclaim_retry', 'oom']);
  assert.equal(failed[0].kernel_fails, false);
  assert.match(failed[0].would, /invoke the OOM killer/);
  // GFP_NOWAIT cannot sleep: the kernel fails it too, after waking kswapd.
  const [nowait] = (await ops(id, [{ op: 'alloc_pages', gfp: 'GFP_NOWAIT', order: 3 }])).results;
  assert.equal(nowait.ok, false);
  assert.deepEqual(nowait.slowpath, ['wake_all_kswapds']);
  assert.equal(nowait.kernel_fails, true);
  // The fragmentation workload's fill says the same where it stops.
  const id2 = await newSession({ mem_mib: 64 });
  const [frag] = (await ops(id2, [{ op: 'workload', kind: 'fragment', count: 20000, order: 4 }])).results;
  assert.equal(frag.fill_stopped_by.errno, 'ENOMEM');
  assert.equal(frag.fill_stopped_by.kernel_fails, false);
  assert.ok(frag.fill_stopped_by.slowpath.includes('oom'));
  if (frag.high_order_ok) assert.equal(frag.high_order_refusal, null);
  else assert.ok(Array.isArray(frag.high_order_refusal.slowpath));
  await check(id2);
  await check(id);
  // GFP_ATOMIC may still dig into the reserves below the min watermark: once
  // GFP_KERNEL order-0 pages are refused, an atomic one is still given
  // (__zone_watermark_ok() lowers the mark for ALLOC_MIN_RESERVE and
  // ALLOC_NON_BLOCK).
  const [gone] = (await ops(id, [{ op: 'workload', kind: 'exhaust', gfp: 'GFP_KERNEL', order: 0,
    count: 100000 }])).results;
  assert.equal(gone.stopped_by.errno, 'ENOMEM', JSON.stringify(gone));
  const [kernel, atomic] = (await ops(id, [{ op: 'alloc_pages', gfp: 'GFP_KERNEL', order: 0 },
    { op: 'alloc_pages', gfp: 'GFP_ATOMIC', order: 0 }])).results;
  assert.equal(kernel.ok, false);
  assert.equal(atomic.ok, true, JSON.stringify(atomic));
  await check(id);
});

test('pageblock_order, the watermark boost and vmstat_update (mm/page_alloc.c decay_pcp_high)', async () => {
  const id = await newSession({ mem_mib: 128, max_order: 6 });
  const z = (await getJson(api(`/sessions/${id}/zones`))).body.zones.find((x) => x.name === 'DMA32');
  assert.equal(z.pageblock_order, 6);	// min(HPAGE_PMD_ORDER, MAX_PAGE_ORDER)
  assert.deepEqual(z.watermark_boost, { pages: 0, cleared_by: '' });
  const { results } = await ops(id, [{ op: 'vmstat_update', cpu: 0 }, { op: 'vmstat_update', cpu: 99 }]);
  assert.equal(typeof results[0].requeue, 'boolean');
  assert.equal(results[1].errno, 'EINVAL');
  await check(id);
  // Unmovable pages claiming parts of movable pageblocks boost the marks.
  const id2 = await newSession({ mem_mib: 64 });
  await ops(id2, [{ op: 'workload', kind: 'exhaust', gfp: 'GFP_KERNEL|__GFP_DMA', count: 100000 }]);
  const dma = (await getJson(api(`/sessions/${id2}/zones`))).body.zones.find((x) => x.name === 'DMA');
  assert.equal(dma.pageblock_order, 9);
  assert.ok(dma.watermark_boost.pages > 0, 'unmovable pages claimed movable pageblocks');
  assert.match(dma.watermark_boost.cleared_by, /kswapd/);
  await check(id2);
});

test('zones view: spans, watermarks, free lists and owners that add up', async () => {
  const id = await newSession({ mem_mib: 4096, pcp: false });
  const z = (await getJson(api(`/sessions/${id}/zones`))).body;
  const names = z.zones.map((x) => x.name);
  assert.deepEqual(names.slice(0, 3), ['DMA', 'DMA32', 'Normal']);
  const [dma, dma32, normal] = z.zones;
  assert.equal(dma.start_pfn, 1);
  assert.equal(dma32.start_pfn, 4096);
  assert.equal(dma32.start_pfn + dma32.spanned, 0x100000, 'DMA32 ends at 4 GiB');
  assert.ok(dma32.present < dma32.spanned, 'the MMIO hole holds no pages');
  assert.equal(normal.start_pfn, 0x100000);
  for (const zone of z.zones.filter((x) => x.spanned)) {
    assert.ok(zone.spanned >= zone.present && zone.present >= zone.managed, zone.name);
    assert.ok(zone.watermarks.min < zone.watermarks.low && zone.watermarks.low < zone.watermarks.high);
    const inLists = zone.nr_free.reduce((a, n, o) => a + n * 2 ** o, 0);
    assert.equal(inLists, zone.free, `${zone.name}: nr_free adds up to free`);
    const owned = Object.values(zone.owners).reduce((a, b) => a + b, 0) - zone.owners.hole - zone.owners.reserved;
    assert.ok(owned <= zone.present);
  }
  assert.ok(z.owners.mem_map > 0 && z.owners.kernel > 0);
});

test('pages, physmap and its legend', async () => {
  const id = await newSession({ mem_mib: 4096 });
  const info = (await getJson(api(`/sessions/${id}`))).body;
  const legend = (await getJson(api(`/sessions/${id}/physmap/legend`))).body;
  const code = Object.fromEntries(legend.codes.map((c) => [c.name, c.code]));
  for (const n of ['hole', 'free', 'reserved', 'kernel', 'mem_map']) assert.ok(n in code, n);
  const res = await fetch(api(`/sessions/${id}/physmap`));
  assert.equal(res.headers.get('content-type'), 'application/octet-stream');
  const map = new Uint8Array(await res.arrayBuffer());
  assert.equal(map.length, info.max_pfn);
  assert.equal(map[0], code.reserved, 'pfn 0 is reserved');
  assert.equal(map[0xC0000], code.hole, '3 GiB: the MMIO hole');
  assert.equal(map[0x1000], code.kernel, 'the kernel image at 16 MiB');
  const pages = (await getJson(api(`/sessions/${id}/pages?start=4094&count=4`))).body.pages;
  assert.equal(pages.length, 4);
  assert.equal(pages[0].zone, 'DMA');
  assert.equal(pages[2].zone, 'DMA32');
  const bad = await getJson(api(`/sessions/${id}/pages?count=70000`));
  assert.equal(bad.status, 400);
  const hole = await getJson(api(`/sessions/${id}/pages/${0xC0000}`));
  assert.equal(hole.status, 404);
  assert.match(hole.body.error.message, /hole/);
  const beyond = await getJson(api(`/sessions/${id}/pages/99999999`));
  assert.equal(beyond.status, 404);
  const notNum = await getJson(api(`/sessions/${id}/pages/abc`));
  assert.equal(notNum.status, 400);
});

test('the /proc views have the kernel formats', async () => {
  const id = await newSession({ mem_mib: 4096 });
  const text = async (p) => {
    const r = await fetch(api(`/sessions/${id}/proc/${p}`));
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /^text\/plain/);
    return r.text();
  };
  const buddy = await text('buddyinfo');
  const lines = buddy.replace(/\n$/, '').split('\n');
  assert.equal(lines.length, 3);
  assert.match(lines[0], /^Node 0, zone      DMA( +\d+){11} $/);
  assert.match(lines[1], /^Node 0, zone    DMA32( +\d+){11} $/);
  assert.match(lines[2], /^Node 0, zone   Normal( +\d+){11} $/);
  const pti = await text('pagetypeinfo');
  assert.match(pti, /^Page block order: 9\nPages per block:  512\n\nFree pages count per migrate type at order {7}0 {6}1/);
  assert.match(pti, /Node    0, zone   Normal, type      Movable( +\d+){11} \n/);
  assert.match(pti, /Number of blocks type     Unmovable      Movable  Reclaimable   HighAtomic      Isolate \n/);
  const zi = await text('zoneinfo');
  assert.match(zi, /^Node 0, zone      DMA\n/);
  assert.match(zi, /\n  pages free +\d+\n        boost    0\n        min +\d+\n        low +\d+\n        high +\d+\n/);
  assert.match(zi, /\n        protection: \(0, \d+, \d+, \d+, \d+\)\n/);
  assert.match(zi, /\n  start_pfn: +4096\n/);
  const mi = await text('meminfo');
  assert.match(mi, /^MemTotal: +\d+ kB\nMemFree: +\d+ kB\nMemAvailable: +\d+ kB\n/);
  for (const key of ['Slab', 'SUnreclaim', 'PageTables', 'VmallocUsed', 'VmallocTotal'])
    assert.match(mi, new RegExp(`\\n${key}: +\\d+ kB\\n`), key);
});

test('op batches: limits, shape errors, seqs', async () => {
  const id = await newSession({ mem_mib: 64 });
  const tooMany = await postJson(api(`/sessions/${id}/ops`), Array.from({ length: 10001 }, () => ({ op: 'check' })));
  assert.equal(tooMany.status, 413);
  const notOp = await postJson(api(`/sessions/${id}/ops`), [{ op: 'check' }, 42]);
  assert.equal(notOp.status, 400);
  assert.match(notOp.body.error.message, /op 1/);
  const noSession = await postJson(api('/sessions/999999/ops'), { op: 'check' });
  assert.equal(noSession.status, 404);
  const a = await ops(id, { op: 'alloc_pages', order: 2 });
  const b = await ops(id, { op: 'free_pages', pfn: a.results[0].pfn, order: 2 });
  assert.ok(a.last_seq >= a.first_seq);
  assert.equal(b.first_seq, a.last_seq + 1, 'seqs continue without gaps');
});

test('a stopped session stays listed, is no longer live, and refuses ops', async () => {
  const id = await newSession({ mem_mib: 64 }, 'to-stop');
  const del = await getJson(api(`/sessions/${id}`), { method: 'DELETE' });
  assert.equal(del.status, 200);
  assert.equal(del.body.state, 'closed');
  const list = (await getJson(api('/sessions'))).body.sessions;
  assert.equal(list.find((s) => s.id === id).state, 'closed');
  const again = await getJson(api(`/sessions/${id}`), { method: 'DELETE' });
  assert.equal(again.status, 409);
  const op = await postJson(api(`/sessions/${id}/ops`), { op: 'check' });
  assert.equal(op.status, 409);
});

test('debugfs extfrag views agree with the free lists', async () => {
  const id = await newSession({ mem_mib: 64, pcp: false });
  // Take everything in order-0 pages, then give back every other one: plenty
  // of free memory, none of it in blocks above order 0.
  const got = [];
  for (let i = 0; i < 2; i++) {
    const { results } = await ops(id, Array.from({ length: 10000 }, () => ({ op: 'alloc_pages', gfp: 'GFP_KERNEL|__GFP_NOWARN' })));
    got.push(...results.filter((r) => r.ok));
  }
  await ops(id, got.filter((_, i) => i % 2 === 0).map((r) => ({ op: 'free_pages', pfn: r.pfn })));
  const zones = (await getJson(api(`/sessions/${id}/zones`))).body.zones.filter((z) => z.present);
  const text = async (p) => (await fetch(api(`/sessions/${id}/debug/extfrag/${p}`))).text();
  const unusable = (await text('unusable_index')).split('\n').filter(Boolean);
  const extfrag = (await text('extfrag_index')).split('\n').filter(Boolean);
  assert.equal(unusable.length, zones.length);
  zones.forEach((z, i) => {
    assert.match(unusable[i], new RegExp(`^Node ${z.node}, zone +${z.name}( \\d\\.\\d{3}){11} $`));
    assert.match(extfrag[i], new RegExp(`^Node ${z.node}, zone +${z.name}( [ -]\\d\\.\\d{3}){11} $`));
    // The kernel's formulas, recomputed from nr_free.
    const free = z.nr_free.reduce((a, n, o) => a + n * 2 ** o, 0);
    const values = unusable[i].split(' ').slice(-12, -1).map(Number);
    values.forEach((v, order) => {
      const suitable = z.nr_free.reduce((a, n, o) => a + (o >= order ? n * 2 ** (o - order) : 0), 0);
      const expect = free ? Math.floor((free - suitable * 2 ** order) * 1000 / free) : 1000;
      assert.equal(Math.round(v * 1000), expect, `${z.name} order ${order}`);
    });
    // The fragmentation index, likewise.
    const frag = extfrag[i].trim().split(/\s+/).slice(-11).map(Number);
    frag.forEach((v, order) => {
      const total = z.nr_free.reduce((a, n) => a + n, 0);
      const suitable = z.nr_free.reduce((a, n, o) => a + (o >= order ? n * 2 ** (o - order) : 0), 0);
      const expect = !total ? 0 : suitable ? -1000
        : 1000 - Math.floor((1000 + Math.floor(free * 1000 / 2 ** order)) / total);
      assert.equal(Math.round(v * 1000), expect, `${z.name} extfrag order ${order}`);
    });
  });
  // Every other page given back: much of the free memory is in order-0 pieces.
  const big = zones.reduce((a, z) => (z.free > a.free ? z : a));
  const row = unusable[zones.indexOf(big)].split(' ').slice(-12, -1).map(Number);
  assert.ok(row[1] > 0.3, `order 1: a good part of free memory unusable (${row[1]})`);
});

test('an op can use a result of an earlier op of its batch ("$N.field"), recorded resolved', async () => {
  const id = await newSession({ mem_mib: 64 });
  const r = await ops(id, [
    { op: 'alloc_pages', order: 2 },
    { op: 'free_pages', pfn: '$0.pfn', order: '$0.order' },
    { op: 'free_pages', pfn: '$0.pfn', order: 2 },
    { op: 'free_pages', pfn: '$9.pfn' },
  ]);
  assert.equal(r.results[1].ok, true, JSON.stringify(r.results[1]));
  assert.equal(r.results[2].ok, false, 'the block is free already');
  assert.equal(r.results[2].errno, 'EINVAL');
  assert.match(r.results[2].message, /already free \(double free\)/);
  assert.match(r.results[3].message, /pfn must be/);
  const tl = (await getJson(api(`/sessions/${id}/timeline`))).body;
  assert.deepEqual(tl.ops[1].args, { op: 'free_pages', pfn: r.results[0].pfn, order: 2 });
  assert.equal((await getJson(api(`/sessions/${id}/verify`))).body.ok, true);
});

test('a machine shaped like a real one: its /proc/zoneinfo as the layout', async () => {
  const { readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { top } = await import('./lib/daemon.mjs');
  const text = readFileSync(join(top, 'tests/data/proc-linux-6.18/zoneinfo'), 'utf8');
  const real = [...text.matchAll(/^Node (\d+), zone +(\w+)\n[\s\S]*?spanned +(\d+)\n +present +(\d+)\n[\s\S]*?start_pfn: +(\d+)/gm)]
    .map((m) => ({ node: +m[1], name: m[2], spanned: +m[3], present: +m[4], start_pfn: +m[5] }))
    .filter((z) => z.spanned > 0);
  assert.ok(real.length >= 3);
  const r = await postJson(api('/sessions'), { name: 'like-mine', machine: { layout: text } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const zones = (await getJson(api(`/sessions/${r.body.id}/zones`))).body.zones;
  for (const z of real) {
    const sim = zones.find((x) => x.node === z.node && x.name === z.name);
    assert.ok(sim, `${z.name} exists`);
    assert.deepEqual({ start_pfn: sim.start_pfn, spanned: sim.spanned, present: sim.present },
                     { start_pfn: z.start_pfn, spanned: z.spanned, present: z.present }, z.name);
  }
  await check(r.body.id);
  const bad = await postJson(api('/sessions'), { machine: { layout: 'not a zoneinfo' } });
  assert.equal(bad.status, 400);
});

test('the free blocks of a zone, one by one, agree with nr_free', async () => {
  const id = await newSession({ mem_mib: 256 });
  await ops(id, [{ op: 'workload', kind: 'random', count: 2000, seed: 3 }]);
  const zones = (await getJson(api(`/sessions/${id}/zones`))).body.zones.filter((z) => z.present);
  for (const z of zones) {
    const r = (await getJson(api(`/sessions/${id}/buddy/blocks?zone=${z.name}&node=${z.node}`))).body;
    assert.equal(r.truncated, false);
    const perOrder = new Array(z.nr_free.length).fill(0);
    for (const [pfn, order, mt] of r.blocks) {
      perOrder[order]++;
      assert.equal(pfn % 2 ** order, 0, 'aligned');
      assert.ok(pfn >= z.start_pfn && pfn + 2 ** order <= z.start_pfn + z.spanned, 'inside the zone');
      assert.ok(mt >= 0 && mt < 5);
    }
    assert.deepEqual(perOrder, z.nr_free, z.name);
  }
  assert.equal((await getJson(api(`/sessions/${id}/buddy/blocks?zone=Bogus`))).status, 400);
  assert.equal((await getJson(api(`/sessions/${id}/buddy/blocks?zone=DMA&node=7`))).status, 404);
});
