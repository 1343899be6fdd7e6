// ftrace.test.mjs - sessions and the kernel's trace text: the tracepoint table
// against the real 6.18 format files, export as /sys/kernel/tracing/trace and
// import back (the same events in the same order), the real captures of
// tests/data/ftrace/ imported (counts per tracepoint equal the file's lines,
// fields parsed), malformed input, and tools/mmlab-capture (its refusals, and
// as root a real capture whose bundle imports).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync, statSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { startDaemon, getJson, createSession, applyOps, top } from './lib/daemon.mjs';
import { printFmt, layoutOf } from './lib/ftrace.mjs';

let d;
before(async () => { d = await startDaemon(); });
after(async () => { await d.stop(); });

const DATA = join(top, 'tests', 'data', 'ftrace');
const api = (p) => `${d.url}/api/v1${p}`;

async function importTrace(body, query = '') {
  const r = await fetch(api(`/sessions/import-trace${query}`), { method: 'POST', body,
    headers: { 'Content-Type': 'text/plain' } });
  const text = await r.text();
  let json = text;
  try { json = JSON.parse(text); } catch { /* kept as text */ }
  return { status: r.status, body: json };
}

// Lines of a trace text that are events: name -> count.
function countLines(text) {
  const counts = {};
  for (const line of text.split('\n')) {
    if (!line.trim() || line.trimStart().startsWith('#')) continue;
    const m = /\]\s+\S+\s+\d+\.\d+: ([a-z_0-9]+): /.exec(line);
    assert.ok(m, `an event line: ${line}`);
    counts[m[1]] = (counts[m[1]] || 0) + 1;
  }
  return counts;
}

async function events(id, type) {
  const out = [];
  let since = 0;
  for (;;) {
    const r = await getJson(api(`/sessions/${id}/events?since=${since}&limit=10000${type ? `&type=${type}` : ''}`));
    assert.equal(r.status, 200, JSON.stringify(r.body));
    out.push(...r.body.events);
    if (r.body.events.length < 10000) return out;
    since = r.body.events.at(-1).seq;
  }
}

// The events of each of @types, each in seq order: ?type= reads only those, where a session
// under pressure has a million events of other types.
async function eventsOfTypes(id, types) {
  const out = {};
  for (const t of types) out[t] = await events(id, t);
  return out;
}

test('every tracepoint of the table has the print format of the real 6.18 format file', async () => {
  const r = await getJson(api('/ftrace/tracepoints'));
  assert.equal(r.status, 200);
  const files = new Set(readdirSync(join(DATA, 'formats')));
  assert.ok(r.body.tracepoints.length >= 30);
  for (const tp of r.body.tracepoints) {
    const file = `${tp.group}_${tp.name}.format`;
    assert.ok(files.has(file), `tests/data/ftrace/formats/${file} exists`);
    const fmt = printFmt(readFileSync(join(DATA, 'formats', file), 'utf8'));
    assert.equal(tp.fmt, fmt, `${tp.name}: the kernel's print fmt`);
    const convs = fmt.match(/%[-0-9]*[lhz]*[duxsp]S?/g) || [];
    assert.equal(tp.args.split(' ').length, convs.length, `${tp.name}: one arg per conversion`);
  }
  for (const name of ['mm_page_alloc', 'mm_page_free', 'mm_page_free_batched', 'mm_page_pcpu_drain',
    'mm_page_alloc_zone_locked', 'mm_page_alloc_extfrag', 'kmalloc', 'kfree', 'kmem_cache_alloc',
    'kmem_cache_free', 'tlb_flush', 'mm_vmscan_memcg_reclaim_begin', 'mm_compaction_begin',
    'mark_victim', 'mm_migrate_pages'])
    assert.ok(r.body.tracepoints.some((t) => t.name === name), name);
});

test('export as ftrace follows the real formats and imports back to the same events', async () => {
  const id = await createSession(d.url, { mem_mib: 256, cpus: 2 }, 'export');
  await applyOps(d.url, id, [
    { op: 'alloc_pages', gfp: 'GFP_KERNEL|__GFP_ZERO', order: 3 },
    { op: 'alloc_pages', gfp: 'GFP_HIGHUSER_MOVABLE', order: 0, cpu: 1 },
    { op: 'kmalloc', size: 100 }, { op: 'kmalloc', size: 20000, gfp: 'GFP_KERNEL_ACCOUNT' },
    { op: 'kfree', addr: '$2.addr' }, { op: 'kfree', addr: '$3.addr' },
    { op: 'kmem_cache_create', name: 'lab_cache', size: 200 },
    { op: 'kmem_cache_alloc', cache: 'lab_cache' }, { op: 'kmem_cache_free', cache: 'lab_cache', addr: '$7.addr' },
    { op: 'tlb_flush', scope: 'all' }, { op: 'free_pages', pfn: '$0.pfn', order: 3 },
    { op: 'free_pages', pfn: '$1.pfn', order: 0 },
  ]);
  const r = await fetch(api(`/sessions/${id}/export?format=ftrace`));
  assert.equal(r.status, 200);
  const text = await r.text();
  const lines = text.split('\n').filter((l) => l && !l.startsWith('#'));
  assert.match(text, /^# tracer: nop\n/);
  assert.match(text, new RegExp(`entries-in-buffer/entries-written: ${lines.length}/${lines.length} +#P:2`));
  // Every line: TASK-PID [CPU] flags TIMESTAMP: name: fields, the fields matching the real print fmt.
  const table = (await getJson(api('/ftrace/tracepoints'))).body.tracepoints;
  for (const line of lines) {
    const m = /^ *(.+)-(\d+) +\[(\d{3})\] \.{5} +(\d+\.\d{6}): ([a-z_0-9]+): (.*)$/.exec(line);
    assert.ok(m, `a trace line: ${line}`);
    assert.match(m[6], layoutOf(table.find((t) => t.name === m[5]).group, m[5]), `${m[5]} fields follow its format`);
  }
  const sim = (await events(id)).filter((e) => ['mm_page_alloc', 'mm_page_free', 'kmalloc', 'kmalloc_large', 'kfree',
    'kmem_cache_alloc', 'kmem_cache_free', 'mm_page_alloc_extfrag', 'tlb_flush', ...PCP_TPS].includes(e.type));
  assert.equal(sim.length, lines.length);
  assert.ok(sim.some((e) => e.type === 'kmalloc_large'));
  const imp = await importTrace(text, '?name=roundtrip');
  assert.equal(imp.status, 201, JSON.stringify(imp.body));
  assert.equal(imp.body.state, 'trace');
  const back = await events(imp.body.id);
  assert.equal(back.length, sim.length);
  for (let i = 0; i < sim.length; i++) {
    const a = sim[i], b = back[i], where = `event ${i}: ${a.type} seq ${a.seq}`;
    assert.equal(b.type, a.type === 'kmalloc_large' ? 'kmalloc' : a.type, where);
    const page = ['mm_page_alloc', 'mm_page_free', 'mm_page_alloc_extfrag'].includes(a.type);
    if (page) assert.equal(b.pfn, a.pfn, `${where}: pfn`);
    if (page) assert.equal(b.order, a.order, `${where}: order`);
    if (a.type === 'mm_page_alloc' || a.type === 'mm_page_alloc_extfrag')
      assert.equal(b.migratetype, a.migratetype, `${where}: migratetype`);
    if (a.type.startsWith('kmalloc') || a.type === 'kmem_cache_alloc' || a.type === 'mm_page_alloc')
      assert.equal(b.gfp, a.gfp, `${where}: gfp`);
    assert.equal(b.cpu ?? 0, a.cpu ?? 0, `${where}: cpu`);
    if (['kmalloc', 'kmalloc_large', 'kmem_cache_alloc'].includes(a.type)) {
      assert.equal(b.size, a.size, `${where}: bytes_req`);
      assert.equal(b.value, a.value, `${where}: bytes_alloc`);
    }
    if (['kmalloc', 'kmalloc_large', 'kfree', 'kmem_cache_alloc', 'kmem_cache_free'].includes(a.type))
      assert.equal(b.vaddr, a.vaddr, `${where}: ptr`);
    if (a.type === 'tlb_flush' && a.detail === 'range') assert.equal(b.size, a.size, `${where}: pages`);
  }
});

const MT = ['Unmovable', 'Movable', 'Reclaimable', 'HighAtomic', 'CMA', 'Isolate'];

// The per-block tracepoints of the per-CPU lists and the batched free.
const PCP_TPS = ['mm_page_alloc_zone_locked', 'mm_page_pcpu_drain', 'mm_page_free_batched'];

test('per-CPU refills, drains and batched frees export one line a block in the 6.18 layout and import back', async () => {
  const id = await createSession(d.url, { mem_mib: 128, cpus: 2 }, 'pcp');
  // order-0 requests refill CPU 1's list a batch at a time; freeing them all drains it
  // past its high mark; an order-4 request takes its block from the buddy straight
  const allocs = await applyOps(d.url, id, [...Array(2500)].map(() =>
    ({ op: 'alloc_pages', gfp: 'GFP_HIGHUSER_MOVABLE', order: 0, cpu: 1 })));
  await applyOps(d.url, id, [{ op: 'alloc_pages', gfp: 'GFP_HIGHUSER_MOVABLE', order: 4 },
    ...allocs.results.map((r) => ({ op: 'free_pages', pfn: r.pfn, order: 0, cpu: 1 }))]);
  // an unmap frees its folios as a batch (mmu_gather): mm_page_free, then mm_page_free_batched
  const [{ pid }] = (await applyOps(d.url, id, [{ op: 'spawn', name: 'batch' }])).results;
  const [{ addr }] = (await applyOps(d.url, id, [{ op: 'mmap', pid, length: 32 * 4096, prot: 'rw-' }])).results;
  await applyOps(d.url, id, [{ op: 'touch', pid, addr, length: 32 * 4096, access: 'write' },
    { op: 'munmap', pid, addr, length: 32 * 4096 }]);
  const text = await (await fetch(api(`/sessions/${id}/export?format=ftrace`))).text();
  const table = (await getJson(api('/ftrace/tracepoints'))).body.tracepoints;
  const layout = {};
  for (const name of PCP_TPS) {
    const tp = table.find((t) => t.name === name);
    assert.equal(tp?.engine, name, `${name} is written from the engine's event`);
    layout[name] = layoutOf(tp.group, name);
  }
  const lines = text.split('\n').map((l) => /^ *.+-\d+ +\[(\d{3})\] \.{5} +\d+\.\d{6}: ([a-z_0-9]+): (.*)$/.exec(l))
    .filter((m) => m && layout[m[2]]);
  const all = await events(id);
  const sim = all.filter((e) => layout[e.type]);
  const count = (list, t) => list.filter((e) => e.type === t).length;
  // one line a block: a refill's blocks add up to the pages pcp_refill counts, a drain's to pcp_drain's
  const pages = (t) => all.filter((e) => e.type === t).reduce((n, e) => n + (t.startsWith('pcp_') ? e.value : 2 ** e.order), 0);
  assert.ok(count(all, 'pcp_refill') >= 2 && count(all, 'pcp_drain') >= 1, `the session refills (${count(all, 'pcp_refill')}) and drains (${count(all, 'pcp_drain')})`);
  assert.equal(pages('mm_page_pcpu_drain'), pages('pcp_drain'), 'one pcpu_drain line a drained block');
  assert.ok(sim.some((e) => e.type === 'mm_page_alloc_zone_locked' && e.order === 4 && e.value === 0),
    'the order-4 request\'s block, percpu_refill=0');
  assert.ok(count(sim, 'mm_page_alloc_zone_locked') > count(all, 'pcp_refill'), 'a refill is one line a block');
  assert.equal(count(sim, 'mm_page_free_batched'), 32, 'one mm_page_free_batched a folio unmapped');
  for (const t of PCP_TPS) assert.ok(count(sim, t) > 0, `the session has ${t} events`);
  assert.equal(lines.length, sim.length, 'one line an event of these tracepoints');
  for (let i = 0; i < sim.length; i++) {
    const e = sim[i], [, cpu, name, fields] = lines[i], where = `${e.type} seq ${e.seq}`;
    assert.equal(name, e.type, where);
    assert.match(fields, layout[name], `${where} follows the 6.18 print fmt`);
    const f = Object.fromEntries(fields.split(' ').map((kv) => kv.split('=')));
    assert.equal(Number(f.pfn), e.pfn, `${where}: pfn`);
    assert.equal(Number(cpu), e.cpu, `${where}: CPU`);
    if (name !== 'mm_page_free_batched') {
      assert.equal(Number(f.order), e.order, `${where}: order`);
      assert.equal(MT[Number(f.migratetype)], e.migratetype, `${where}: migratetype`);
    }
    if (name === 'mm_page_alloc_zone_locked') assert.equal(Number(f.percpu_refill), e.value, `${where}: percpu_refill`);
  }
  const imp = await importTrace(text, '?name=pcp-roundtrip');
  assert.equal(imp.status, 201, JSON.stringify(imp.body));
  assert.equal(imp.body.summary.bad_lines, 0, JSON.stringify(imp.body.summary));
  const back = (await events(imp.body.id)).filter((e) => layout[e.type]);
  assert.equal(back.length, sim.length);
  for (let i = 0; i < sim.length; i++) {
    const a = sim[i], b = back[i], where = `${a.type} seq ${a.seq}`;
    assert.equal(b.type, a.type, where);
    for (const k of ['pfn', 'order', 'cpu'])
      assert.equal(b[k], a[k], `${where}: ${k}`);
    if (a.type !== 'mm_page_free_batched') assert.equal(b.migratetype, a.migratetype, `${where}: migratetype`);
    if (a.type === 'mm_page_alloc_zone_locked') assert.equal(b.value, a.value, `${where}: percpu_refill`);
  }
});

const CAPTURES = ['compile-kmem.trace', 'compact-memory.trace', 'memcg-oom.trace', 'compact-fragmented.trace',
  'memcg-reclaim.trace'];
const ZONE_NAMES = ['DMA', 'DMA32', 'Normal', 'Movable'];
const RESULTS = ['not_suitable_zone', 'skipped', 'deferred', 'no_suitable_page', 'continue', 'complete',
  'partial_skipped', 'contended', 'success'];

for (const file of CAPTURES) {
  test(`the real capture ${file} imports: one event a line, every field parsed`, async () => {
    const text = readFileSync(join(DATA, file), 'utf8');
    const r = await importTrace(text, `?name=${file}`);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const s = r.body.summary;
    const counts = countLines(text);
    assert.deepEqual(s.tracepoints, counts);
    assert.equal(s.events, Object.values(counts).reduce((a, b) => a + b, 0));
    assert.equal(s.bad_lines, 0);
    assert.equal(s.cpus, 2);
    // Fields, checked against the line they came from.
    const all = await events(r.body.id);
    const lines = text.split('\n').filter((l) => l.trim() && !l.trimStart().startsWith('#'));
    assert.equal(all.length, lines.length);
    for (let i = 0; i < lines.length; i++) {
      const e = all[i], l = lines[i];
      assert.ok(l.includes(`: ${e.type}: `), `line ${i}: ${e.type}`);
      const field = (k) => (new RegExp(`[ :]${k}=(\\S+)`).exec(l) || [])[1];
      if (e.type === 'mm_page_alloc' || e.type === 'mm_page_free') {
        assert.equal(e.pfn, parseInt(field('pfn'), 16), l);
        assert.equal(e.order, Number(field('order')), l);
      }
      if (e.type === 'mm_page_alloc') {
        assert.equal(e.migratetype, MT[Number(field('migratetype'))], l);
        assert.ok(e.gfp && e.gfp !== '0x0', l);
      }
      if (e.type === 'kmalloc' || e.type === 'kmem_cache_alloc') {
        assert.equal(e.size, Number(field('bytes_req')), l);
        assert.equal(e.value, Number(field('bytes_alloc')), l);
        assert.equal(e.vaddr, `0x${field('ptr').replace(/^0+/, '') || '0'}`, l);
        assert.match(e.detail, new RegExp(`call_site=${field('call_site').replace(/[+.]/g, '\\$&')}`), l);
      }
      if (e.type === 'kmem_cache_alloc' || e.type === 'kmem_cache_free')
        assert.match(e.detail, new RegExp(`name=${field('name')}( |$)`), l);
      if (e.type === 'mark_victim') assert.match(e.detail, /comm=tail/);
      if (e.type === 'mm_vmscan_memcg_reclaim_end') assert.equal(e.value, Number(field('nr_reclaimed')));
      if (e.type === 'mm_vmscan_memcg_reclaim_begin') assert.equal(e.order, Number(field('order')), l);
      if (e.type === 'mm_vmscan_lru_isolate') {
        assert.equal(e.order, Number(field('order')), l);
        assert.equal(e.size ?? 0, Number(field('nr_scanned')), l);
        assert.equal(e.value ?? 0, Number(field('nr_taken')), l);
      }
      if (e.type === 'mm_vmscan_lru_shrink_inactive') {
        assert.equal(e.size ?? 0, Number(field('nr_scanned')), l);
        assert.equal(e.value ?? 0, Number(field('nr_reclaimed')), l);
        assert.equal(e.level, Number(field('priority')), l);
      }
      // a tracepoint the table has not (mm_vmscan_throttled): its fields' text as it came
      if (e.type === 'mm_vmscan_throttled')
        assert.equal(e.detail, l.slice(l.indexOf(`: ${e.type}: `) + e.type.length + 4).trimEnd(), l);
      // compaction and migrate: the detail is the fields' text, the columns the contract's
      if (/^mm_compaction_|^mm_migrate_pages|_migration_pte$/.test(e.type))
        assert.equal(e.detail, l.slice(l.indexOf(`: ${e.type}: `) + e.type.length + 4).trimEnd(), l);
      const range = /range=\((0x[0-9a-f]+) ~ (0x[0-9a-f]+)\)/.exec(l);
      if (range) {
        assert.equal(e.pfn, parseInt(range[1], 16), l);
        assert.equal(e.size, parseInt(range[2], 16) - parseInt(range[1], 16), l);
        assert.equal(e.value ?? 0, Number(field('nr_taken')), l);
      }
      if (e.type === 'mm_compaction_begin' || e.type === 'mm_compaction_end') {
        assert.equal(e.pfn, parseInt(field('migrate_pfn'), 16), l);
        assert.equal(e.value, parseInt(field('free_pfn'), 16), l);
        assert.equal(e.size, parseInt(field('zone_end'), 16) - parseInt(field('zone_start'), 16), l);
      }
      if (e.type === 'mm_compaction_finished' || e.type === 'mm_compaction_suitable') {
        assert.equal(e.zone, ZONE_NAMES[ZONE_NAMES.indexOf(field('zone'))], l);
        assert.equal(e.value ?? 0, RESULTS.indexOf(field('ret')), l);
      }
      if (e.type === 'mm_compaction_migratepages') {
        assert.equal(e.value ?? 0, Number(field('nr_migrated')), l);
        assert.equal(e.size ?? 0, Number(field('nr_failed')), l);
      }
      if (e.type === 'mm_migrate_pages') assert.equal(e.value ?? 0, Number(field('nr_succeeded')), l);
      if (e.type === 'set_migration_pte') assert.equal(e.vaddr, `0x${/addr=([0-9a-f]+),/.exec(l)[1]}`, l);
    }
  });
}

test('the capture of a compile says the ring buffer overwrote older events', async () => {
  const r = await importTrace(readFileSync(join(DATA, 'compile-kmem.trace')));
  assert.equal(r.status, 201);
  assert.equal(r.body.summary.lost.overwritten, 34951 - 21452);
});

test('unknown tracepoints are kept and listed; LOST lines are counted', async () => {
  const text = '# tracer: nop\n' +
    '          <idle>-0       [001] d..2. 100.000001: sched_switch: prev_comm=swapper/1 prev_pid=0 ==> next_comm=cc1 next_pid=7\n' +
    'CPU:1 [LOST 42 EVENTS]\n' +
    '             cc1-7       [001] ..... 100.000002: mm_page_alloc: page=0000000012345678 pfn=0x1234 order=2 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE|__GFP_COMP\n';
  const r = await importTrace(text);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.deepEqual(r.body.summary.unknown, ['sched_switch']);
  assert.deepEqual(r.body.summary.lost, { lines: 1, events: 42, overwritten: 0 });
  const ev = await events(r.body.id);
  assert.equal(ev[0].type, 'sched_switch');
  assert.match(ev[0].detail, /prev_comm=swapper\/1/);
  assert.equal(ev[1].pfn, 0x1234);
});

test('tracepoints first met deep in a long trace: every line an event, in order, with its fields', async () => {
  // Lines are parsed in one thread and written in batches by another; a new
  // tracepoint's type is named in the database between two batches or within one.
  const kmem = readFileSync(join(DATA, 'compile-kmem.trace'), 'utf8').split('\n')
    .filter((l) => l.trim() && !l.startsWith('#'));
  const lines = [];
  const fresh = new Set([100, 1023, 1024, 1500, 3071, 3072, 4097]);
  for (let i = 0; lines.length < 5000; i++) {
    if (fresh.has(lines.length)) lines.push(`             cc1-${lines.length}       [001] ..... 200.${String(lines.length).padStart(6, '0')}: mystery_${lines.length}: n=${lines.length}`);
    else lines.push(kmem[i % kmem.length]);
  }
  let r = await importTrace(lines.join('\n'));
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal(r.body.summary.events, 5000);
  assert.deepEqual(r.body.summary.unknown.sort(), [...fresh].map((n) => `mystery_${n}`).sort());
  const ev = await events(r.body.id);
  assert.equal(ev.length, 5000);
  ev.forEach((e, i) => {
    const m = /^\s*(\S+)-(\d+)\s+\[\d+\] \S+ (\d+)\.(\d+): ([a-z_0-9]+): /.exec(lines[i]);
    assert.deepEqual([e.seq, e.type, e.task, e.pid, e.ts_ns], [i + 1, m[5], m[1], Number(m[2]), Number(m[3]) * 1e9 + Number(m[4]) * 1e3], lines[i]);
    if (fresh.has(i)) assert.equal(e.detail, `n=${i}`);
  });
  // a malformed line after them is told with its own number
  r = await importTrace([...lines.slice(0, 4500), 'not a trace line', ...lines.slice(4500)].join('\n'));
  assert.equal(r.status, 400);
  assert.match(r.body.error.message, /^line 4501: /);
});

test('a long import keeps the WAL short: it is checkpointed as the rows are written', async () => {
  // 500 000 lines (the compile's capture again and again, pfns and times moved on) make
  // about 60 MiB of rows: written and never checkpointed, the WAL would hold them all.
  // A daemon of its own: the others' peak RSS is measured below.
  const w = await startDaemon();
  try {
    const kmem = readFileSync(join(DATA, 'compile-kmem.trace'), 'utf8').split('\n')
      .filter((l) => l.trim() && !l.startsWith('#'));
    const parts = [];
    for (let r = 0, n = 0; n < 500000; r++, n += kmem.length)
      parts.push(kmem.map((l) => l.replace(/pfn=0x([0-9a-f]+)/, (_, p) => `pfn=0x${(parseInt(p, 16) + r * 4096).toString(16)}`)
        .replace(/ (\d+)\.(\d{6}): /, (_, sec, us) => ` ${Number(sec) + r}.${us}: `)).join('\n'));
    let biggest = 0;
    const watch = setInterval(() => {
      try { biggest = Math.max(biggest, statSync(`${w.db}-wal`).size); } catch { /* not there yet */ }
    }, 20);
    const res = await fetch(`${w.url}/api/v1/sessions/import-trace`, { method: 'POST', body: parts.join('\n') });
    const r = { status: res.status, body: await res.json() };
    clearInterval(watch);
    biggest = Math.max(biggest, statSync(`${w.db}-wal`).size);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.ok(r.body.summary.events >= 500000);
    assert.ok(biggest < 32 * 2 ** 20, `the WAL grew to ${(biggest / 2 ** 20).toFixed(1)} MiB`);
    const n = spawnSync('sqlite3', [w.db, `SELECT count(*) FROM events WHERE session_id = ${r.body.id}`], { encoding: 'utf8' });
    assert.equal(Number(n.stdout), r.body.summary.events);
  } finally {
    await w.stop();
  }
});

test('trace-cmd report, perf script and record-tgid lines are read too', async () => {
  const text = [
    '             gcc-12368 [000] 11551.479064: mm_page_alloc:        page=0xffffea0007f32b00 pfn=0x1fccac order=0 migratetype=0 gfp_flags=GFP_KERNEL',
    '             gcc 12368 [000] 11551.479065: kmem:mm_page_free: page=0xffffea0007f32b00 pfn=0x1fccac order=0',
    '    kworker/u4:2-123   (    123) [001] d..1. 11551.479066: kfree: call_site=foo+0x1/0x2 ptr=00000000deadbeef',
  ].join('\n');
  const r = await importTrace(text);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const ev = await events(r.body.id);
  assert.deepEqual(ev.map((e) => [e.type, e.task, e.pid, e.cpu ?? 0, e.pfn, e.ts_ns]), [
    ['mm_page_alloc', 'gcc', 12368, 0, 0x1fccac, 11551479064000],
    ['mm_page_free', 'gcc', 12368, 0, 0x1fccac, 11551479065000],
    ['kfree', 'kworker/u4:2', 123, 1, undefined, 11551479066000]]);
  assert.equal(ev[0].gfp, '0xcc0');
  assert.equal(ev[2].vaddr, '0xdeadbeef');
});

test('mmlab-capture refuses clearly when not root', { skip: !existsSync('/usr/sbin/runuser') && 'no runuser' }, () => {
  const r = spawnSync('/usr/sbin/runuser', ['-u', 'nobody', '--', 'sh', join(top, 'tools', 'mmlab-capture'), '--', 'true'],
                      { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /must run as root/);
});

const CAPTURE = join(top, 'tools', 'mmlab-capture');
const root = process.getuid?.() === 0;

test('mmlab-capture refuses clearly when the kernel has no tracefs, or it cannot be mounted', { skip: !root && 'not root' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'mmlab-capture-'));
  try {
    // a kernel without tracefs: /proc/filesystems does not list it
    writeFileSync(join(dir, 'filesystems'), 'nodev\tsysfs\nnodev\tproc\n\text4\n');
    const out = join(dir, 'b.tar');
    const env = { ...process.env, MMLAB_TRACEFS: join(dir, 'absent'), MMLAB_FILESYSTEMS: join(dir, 'filesystems') };
    const r = spawnSync('sh', [CAPTURE, '-o', out, '--', 'true'], { encoding: 'utf8', env });
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stderr, 'mmlab-capture: this kernel has no tracefs (CONFIG_TRACING is off)\n');
    assert.equal(existsSync(out), false, 'no bundle');
    // tracefs known, but where it should be mounted there is nothing to mount it on
    const m = spawnSync('sh', [CAPTURE, '-o', out, '--', 'true'], { encoding: 'utf8',
      env: { ...process.env, MMLAB_TRACEFS: join(dir, 'absent') } });
    assert.equal(m.status, 1, m.stderr);
    assert.match(m.stderr, new RegExp(`mmlab-capture: cannot mount tracefs on ${join(dir, 'absent')}\\n$`));
    assert.equal(existsSync(out), false, 'no bundle');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// tracefs where the kernel has it, mounted or mountable (CI runs as root on a real kernel)
const tracefs = root && (existsSync('/sys/kernel/tracing/events') ||
  /\btracefs\b/.test(readFileSync('/proc/filesystems', 'utf8')));
test('mmlab-capture records a real capture bundle that imports, and leaves tracing as it was', { skip: !tracefs && (root ? 'no tracefs in this kernel' : 'not root') }, async () => {
  const T = '/sys/kernel/tracing';
  const state = () => existsSync(`${T}/events`) ? ['tracing_on', 'buffer_size_kb', 'events/kmem/enable']
    .map((f) => readFileSync(join(T, f), 'utf8')) : null;
  const was = state();
  const dir = mkdtempSync(join(tmpdir(), 'mmlab-capture-'));
  try {
    const out = join(dir, 'b.tar');
    // a command that allocates and frees page cache and anonymous memory
    const r = spawnSync('sh', [CAPTURE, '--buffer-kb', '1024', '-o', out, '--', 'sh', '-c',
      `head -c 4194304 /dev/zero > ${dir}/f && cat ${dir}/f > /dev/null && rm ${dir}/f`], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /^mmlab-capture: \d+ events in .*b\.tar \(command status 0\)\n$/);
    assert.deepEqual(state(), was, 'tracing_on, the buffer size and the kmem events as they were');
    const names = spawnSync('tar', ['-tf', out], { encoding: 'utf8' }).stdout.trim().split('\n').sort();
    assert.deepEqual(names, ['buddyinfo', 'buddyinfo.after', 'pagetypeinfo', 'pagetypeinfo.after', 'slabinfo',
      'slabinfo.after', 'trace', 'uname', 'zoneinfo', 'zoneinfo.after']);
    const trace = spawnSync('tar', ['-xOf', out, 'trace'], { encoding: 'utf8', maxBuffer: 1 << 28 }).stdout;
    assert.match(trace, /^# tracer: nop\n/);
    const imp = await importTrace(readFileSync(out), '?name=captured');
    assert.equal(imp.status, 201, JSON.stringify(imp.body));
    const s = imp.body.summary;
    assert.equal(s.form, 'bundle');
    assert.equal(s.zoneinfo, true);
    assert.equal(s.buddyinfo_after, true);
    assert.equal(s.bad_lines, 0, JSON.stringify(s.bad));
    const counts = countLines(trace);
    assert.deepEqual(s.tracepoints, counts);
    assert.ok(counts.mm_page_alloc > 0 && counts.mm_page_free > 0, JSON.stringify(counts));
    const t = (await getJson(api(`/sessions/${imp.body.id}/trace`))).body;
    assert.equal(t.zones_from, 'zoneinfo');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('malformed input: a clear error with the line number, or counted when lenient', async () => {
  const good = readFileSync(join(DATA, 'memcg-oom.trace'), 'utf8').split('\n');
  const truncated = [...good.slice(0, 20), good[20].slice(0, 60), ...good.slice(21)].join('\n');
  let r = await importTrace(truncated);
  assert.equal(r.status, 400);
  assert.equal(r.body.error.code, 'EINVAL');
  assert.match(r.body.error.message, /^line 21: /);
  r = await importTrace(truncated, '?lenient=1');
  assert.equal(r.status, 201);
  assert.equal(r.body.summary.bad_lines, 1);
  assert.equal(r.body.summary.bad[0].line, 21);
  // a field that does not follow its tracepoint's format
  r = await importTrace(good.slice(0, 13).join('\n').replace(/pfn=0x[0-9a-f]+/, 'pfn=0xZZ'));
  assert.equal(r.status, 400);
  assert.match(r.body.error.message, /line 13: .*pfn/);
  // binary garbage
  const bin = Buffer.alloc(4096);
  for (let i = 0; i < bin.length; i++) bin[i] = (i * 7919 + 13) & 0xff;
  r = await importTrace(bin);
  assert.equal(r.status, 400);
  assert.match(r.body.error.message, /^line \d+: /);
  r = await importTrace('');
  assert.equal(r.status, 400);
  // nothing of the failed imports is left
  const list = (await getJson(api('/sessions'))).body.sessions;
  assert.ok(!list.some((s) => s.last_seq === 0 && s.name === 'trace'), JSON.stringify(list));
  assert.equal((await getJson(api('/health'))).status, 200);
});

test('a trace larger than the bound is refused with 413, never held in memory, and the daemon stays up', async () => {
  // 1 GiB + 1 byte of comment lines, streamed: read and dropped as they come.
  const line = Buffer.from(`#${'-'.repeat(4094)}\n`);
  const total = (1 << 30) + 1;
  let sent = 0;
  const chunk = Buffer.concat(Array(256).fill(line));
  const body = new ReadableStream({
    pull(ctl) {
      if (sent >= total) { ctl.close(); return; }
      const n = Math.min(chunk.length, total - sent);
      ctl.enqueue(chunk.subarray(0, n));
      sent += n;
    },
  });
  const r = await fetch(api('/sessions/import-trace'), { method: 'POST', body, duplex: 'half' });
  assert.equal(r.status, 413);
  assert.equal((await r.json()).error.code, 'E2BIG');
  assert.equal((await getJson(api('/health'))).status, 200);
  const rss = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${d.child.pid}/status`, 'utf8'))[1]);
  assert.ok(rss < 512 * 1024, `the daemon's peak RSS ${rss} KiB stayed well below the upload's 1 GiB`);
});

test('the export streams a large session: the daemon does not hold the whole text', async () => {
  // Under the sanitizer, where the RSS bound is not held (below), a third of it.
  const sanitizer = Boolean(process.env.ASAN_OPTIONS), passes = sanitizer ? 2 : 6;
  const id = await createSession(d.url, { mem_mib: 1024 }, 'large');
  for (let i = 0; i < passes; i++)
    await applyOps(d.url, id, [{ op: 'workload', kind: 'random', count: 50000, seed: i + 1 }]);
  const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${d.child.pid}/status`, 'utf8'))[1]);
  const r = await fetch(api(`/sessions/${id}/export?format=ftrace`));
  assert.equal(r.status, 200);
  const reader = r.body.getReader();
  let bytes = 0, lines = 0, peak = 0, first = null;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.length;
    for (let i = value.indexOf(10); i >= 0; i = value.indexOf(10, i + 1)) lines++;
    if (first === null) first = rss();
    peak = Math.max(peak, rss());
    // a slow reader: the daemon must wait for it, not run ahead into memory
    if (bytes < 4 << 20) await new Promise((res) => setTimeout(res, 1));
  }
  peak = Math.max(peak, rss());
  const header = 12 + 1;	/* the kernel's header and the machine comment */
  const counted = Number(/entries-written: (\d+)/.exec(await (await fetch(api(`/sessions/${id}/export?format=ftrace`))).text())[1]);
  assert.equal(lines - header, counted);
  assert.ok(bytes > (passes * 8 / 3) * (1 << 20), `a large export: ${bytes} bytes`);
  // A sanitizer build keeps freed chunks in its quarantine (256 MiB by default), so its
  // RSS grows with everything the export ever freed: the bound holds for the plain build.
  if (!sanitizer)
    assert.ok((peak - first) * 1024 < bytes / 4, `RSS grew ${peak - first} KiB while ${bytes >> 10} KiB were sent`);
});

for (const file of CAPTURES) {
  test(`the real capture ${file} written back is the same trace, line for line`, async () => {
    const text = readFileSync(join(DATA, file), 'utf8');
    const r = await importTrace(text);
    assert.equal(r.status, 201);
    const out = await (await fetch(api(`/sessions/${r.body.id}/export?format=ftrace`))).text();
    const body = (t) => t.split('\n').filter((l) => l.trim() && !l.startsWith('#'));
    const a = body(text), b = body(out);
    assert.equal(b.length, a.length);
    // page=%p is the kernel's hashed pointer, which a trace session does not keep
    const norm = (l) => l.replace(/page=[0-9a-f]{16}/, 'page=P').replace(/^\s*/, '');
    for (let i = 0; i < a.length; i++)
      assert.equal(norm(b[i]), norm(a[i]), `line ${i + 13}`);
    assert.match(out, new RegExp(`entries-in-buffer/entries-written: ${a.length}/${a.length}`));
  });
}

// The memory-pressure tracepoints the engine writes, and where each field of
// their 6.18 print format comes from in the event (a column, or detail KEY=VALUE;
// a key left out of the detail is 0).
const PRESSURE = {
  mm_filemap_add_to_page_cache: (e) => [0, 0, e.value, e.pfn, e.size, e.order],
  mm_filemap_delete_from_page_cache: (e) => [0, 0, e.value, e.pfn, e.size, e.order],
  mm_vmscan_wakeup_kswapd: (e) => [e.node, e.order, gfp(e)],
  mm_vmscan_kswapd_wake: (e) => [e.node, e.order],
  mm_vmscan_kswapd_sleep: (e) => [e.node],
  mm_vmscan_direct_reclaim_begin: (e) => [e.order, gfp(e)],
  mm_vmscan_direct_reclaim_end: (e) => [e.value],
  mm_vmscan_memcg_reclaim_begin: (e) => [e.order, gfp(e)],
  mm_vmscan_memcg_reclaim_end: (e) => [e.value],
  mm_vmscan_lru_isolate: (e) => [ZONES.indexOf(e.zone), e.order, kv(e, 'nr_requested'), e.size,
    kv(e, 'nr_skipped'), e.value, kv(e, 'lru')],
  mm_vmscan_lru_shrink_inactive: (e) => [e.node, e.size, e.value, kv(e, 'nr_dirty'),
    kv(e, 'nr_writeback'), kv(e, 'nr_congested'), kv(e, 'nr_immediate'), kv(e, 'nr_activate_anon'),
    kv(e, 'nr_activate_file'), kv(e, 'nr_ref_keep'), kv(e, 'nr_unmap_fail'), e.level, wb(e)],
  mm_vmscan_lru_shrink_active: (e) => [e.node, e.size, kv(e, 'nr_active'), e.value,
    kv(e, 'nr_referenced'), e.level, wb(e)],
  mm_vmscan_write_folio: (e) => [null, e.pfn, wb(e)],
  mm_shrink_slab_start: (e) => [`${kv(e, 'scan')}+0x0/0x0`, null, e.node, 0, gfp(e), e.size,
    kv(e, 'delta'), e.value, kv(e, 'priority')],
  mm_shrink_slab_end: (e) => [`${kv(e, 'scan')}+0x0/0x0`, null, e.node, 0, 0, e.size, e.value],
};
// gfp_t bits of 6.18 (include/linux/gfp_types.h) and the names __print_flags() uses
const GFP_BITS = { __GFP_DMA: 0, __GFP_HIGHMEM: 1, __GFP_DMA32: 2, __GFP_MOVABLE: 3, __GFP_RECLAIMABLE: 4,
  __GFP_HIGH: 5, __GFP_IO: 6, __GFP_FS: 7, __GFP_ZERO: 8, __GFP_DIRECT_RECLAIM: 10,
  __GFP_KSWAPD_RECLAIM: 11, __GFP_WRITE: 12, __GFP_NOWARN: 13, __GFP_RETRY_MAYFAIL: 14, __GFP_NOFAIL: 15,
  __GFP_NORETRY: 16, __GFP_MEMALLOC: 17, __GFP_COMP: 18, __GFP_NOMEMALLOC: 19, __GFP_HARDWALL: 20,
  __GFP_THISNODE: 21, __GFP_ACCOUNT: 22, __GFP_ZEROTAGS: 23 };
const GFP_SETS = { GFP_KERNEL: 0xcc0, GFP_KERNEL_ACCOUNT: 0x400cc0, GFP_NOFS: 0xc40, GFP_NOIO: 0xc00,
  GFP_ATOMIC: 0x820, GFP_NOWAIT: 0x2800, GFP_USER: 0x100cc0, GFP_HIGHUSER: 0x100cc2,
  GFP_HIGHUSER_MOVABLE: 0x100cca, __GFP_RECLAIM: 0xc00 };
function gfpMask(names) {
  if (names === 'none') return 0;
  return names.split('|').reduce((m, n) => {
    assert.ok(n in GFP_SETS || n in GFP_BITS, `a gfp name: ${n}`);
    return m | (GFP_SETS[n] ?? (1 << GFP_BITS[n]));
  }, 0);
}
const gfp = (e) => ({ gfp: Number(e.gfp ?? 0) });
const ZONES = ['DMA', 'DMA32', 'Normal', 'Movable', 'Device'];	/* enum zone_type of x86-64 (CONFIG_ZONE_DEVICE) */
function kv(e, key) {
  const m = new RegExp(`(?:^| )${key}=(\\S+)`).exec(e.detail || '');
  return m ? (/^\d+$/.test(m[1]) ? Number(m[1]) : m[1]) : 0;
}
// vmscan.h's show_reclaim_flags() of the detail's flags number
function wb(e) {
  const f = kv(e, 'flags');
  const names = [[1, 'RECLAIM_WB_ANON'], [2, 'RECLAIM_WB_FILE'], [16, 'RECLAIM_WB_MIXED'],
    [4, 'RECLAIM_WB_SYNC'], [8, 'RECLAIM_WB_ASYNC']].filter(([b]) => f & b).map(([, n]) => n);
  return names.join('|') || 'RECLAIM_WB_NONE';
}

test('a session under memory pressure exports every reclaim and page-cache tracepoint in its 6.18 layout and imports back', async () => {
  const id = await createSession(d.url, { mem_mib: 256, swap_mib: 32 }, 'pressure');
  const pid = (await applyOps(d.url, id, [{ op: 'spawn', name: 'anon' }])).results[0].pid;
  const ops = [{ op: 'mmap', pid, length: 64 << 20, prot: 'rw-' }];
  for (let i = 0; i < 4; i++) ops.push({ op: 'create_file', name: `hot${i}`, size: 8 << 20 });
  for (let i = 0; i < 28; i++) ops.push({ op: 'create_file', name: `cold${i}`, size: 8 << 20 });
  const mm = (await applyOps(d.url, id, ops)).results[0];
  await applyOps(d.url, id, [{ op: 'touch', pid, addr: mm.addr, length: 64 << 20, access: 'write' }]);
  // a 16 MiB memory cgroup reads a 32 MiB file: it reclaims inside itself
  await applyOps(d.url, id, [{ op: 'memcg_create', name: 'box', max: 16 << 20 }]);
  const boxed = (await applyOps(d.url, id, [{ op: 'spawn', name: 'boxed', memcg: 'box' },
    { op: 'create_file', name: 'boxed', size: 32 << 20 }])).results[0].pid;
  await applyOps(d.url, id, [{ op: 'read_file', pid: boxed, name: 'boxed', offset: 0, length: 32 << 20 }]);
  // the hot files are read three times (active), then the cold ones push them out
  for (let pass = 0; pass < 3; pass++)
    await applyOps(d.url, id, Array.from({ length: 4 }, (_, i) => ({ op: 'read_file', name: `hot${i}`, offset: 0, length: 8 << 20 })));
  for (let i = 0; i < 28; i += 4)
    await applyOps(d.url, id, Array.from({ length: 4 }, (_, j) => ({ op: 'read_file', name: `cold${i + j}`, offset: 0, length: 8 << 20 })));
  // anonymous memory beyond what is left goes to swap, then kernel pages reclaim directly
  const mm2 = (await applyOps(d.url, id, [{ op: 'mmap', pid, length: 160 << 20, prot: 'rw-' }])).results[0];
  await applyOps(d.url, id, [{ op: 'touch', pid, addr: mm2.addr, length: 160 << 20, access: 'write' }]);
  await applyOps(d.url, id, Array.from({ length: 4000 }, () => ({ op: 'alloc_pages', order: 0 })));

  const text = await (await fetch(api(`/sessions/${id}/export?format=ftrace`))).text();
  const table = (await getJson(api('/ftrace/tracepoints'))).body.tracepoints;
  const conv = { d: '-?\\d+', u: '\\d+', x: '[0-9a-f]+', s: '.*?', p: '[0-9a-f]{16}', pS: '\\S+' };
  const layout = {};
  for (const name of Object.keys(PRESSURE)) {
    const tp = table.find((t) => t.name === name);
    assert.ok(tp, `${name} has a row`);
    assert.equal(tp.engine, name, `${name} is written from the engine's event`);
    const fmt = printFmt(readFileSync(join(DATA, 'formats', `${tp.group}_${name}.format`), 'utf8'));
    const kinds = [];
    const re = fmt.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
      .replace(/%[-0-9]*[lhz]*([duxsp])(S?)/g, (_, c, s) => { kinds.push(s ? 'pS' : c); return `(${s ? conv.pS : conv[c]})`; });
    layout[name] = { re: new RegExp(`^${re}$`), kinds };
  }
  const lines = {};
  for (const line of text.split('\n')) {
    const m = /^ *.+-\d+ +\[\d{3}\] \.{5} +\d+\.(\d{6}): ([a-z_0-9]+): (.*)$/.exec(line);
    if (m && PRESSURE[m[2]]) (lines[m[2]] ??= []).push({ seq: Number(m[1]), fields: m[3], line });
  }
  const byType = (sid) => eventsOfTypes(sid, Object.keys(PRESSURE));
  const simAll = await byType(id);
  for (const [name, expect] of Object.entries(PRESSURE)) {
    const sim = simAll[name] || [];
    assert.ok(sim.length > 0, `the session has ${name} events`);
    assert.equal((lines[name] || []).length, sim.length, `${name}: one line an event`);
    for (let i = 0; i < sim.length; i++) {
      const { fields } = lines[name][i], where = `${name} seq ${sim[i].seq}: ${fields}`;
      const m = layout[name].re.exec(fields);
      assert.ok(m, `${where} follows the 6.18 print fmt`);
      const want = expect(sim[i]);
      layout[name].kinds.forEach((k, j) => {
        if (want[j] === null) return;	/* a pointer */
        let got = k === 'x' ? parseInt(m[j + 1], 16) : k === 'd' || k === 'u' ? Number(m[j + 1]) : m[j + 1];
        let w = want[j] ?? 0;
        if (typeof w === 'object') {	/* a gfp_t, in names */
          got = gfpMask(got);
          w = w.gfp;
        }
        assert.equal(got, w, `${where}: field ${j + 1}`);
      });
    }
  }
  // anonymous pages were written out, the scans saw both lists and priorities fell
  assert.ok(lines.mm_vmscan_write_folio.some((l) => l.fields.endsWith('RECLAIM_WB_ANON|RECLAIM_WB_ASYNC')));
  assert.ok(lines.mm_vmscan_lru_isolate.some((l) => l.fields.endsWith('lru=active_file')));
  assert.ok(lines.mm_vmscan_lru_shrink_inactive.some((l) => !/ priority=12 /.test(l.fields)));

  // Imported back, then written again: every pressure line is the same, field for field.
  const imp = await importTrace(text, '?name=pressure-roundtrip');
  assert.equal(imp.status, 201, JSON.stringify(imp.body));
  const backAll = await byType(imp.body.id);
  for (const name of Object.keys(PRESSURE)) {
    const sim = simAll[name], back = backAll[name] || [];
    assert.equal(imp.body.summary.tracepoints[name], sim.length, `${name}: lines read`);
    // and found by type too (a frame key equal to the type's id once hid some blocks)
    assert.equal((await events(imp.body.id, name)).length, sim.length, `${name}: ?type=`);
    const cols = table.find((t) => t.name === name).args.split(' ')
      .filter((c) => ['node', 'order', 'zone', 'level', 'gfp', 'pfn', 'size', 'value'].includes(c));
    assert.equal(back.length, sim.length, name);
    for (let i = 0; i < sim.length; i++) {
      const a = sim[i], b = back[i], where = `${name} ${i}`;
      assert.equal(b.type, name, where);
      for (const col of cols) assert.equal(b[col] ?? null, a[col] ?? null, `${where}: ${col}`);
    }
  }
  const again = await (await fetch(api(`/sessions/${imp.body.id}/export?format=ftrace`))).text();
  const pick = (t) => t.split('\n').filter((l) => /: (mm_vmscan_|mm_shrink_slab|mm_filemap_)/.test(l))
    .map((l) => l.replace(/^.*?\d+\.\d{6}: /, ''));
  const a = pick(text), b = pick(again);
  assert.equal(b.length, a.length);
  for (let i = 0; i < a.length; i++) assert.equal(b[i], a[i], `pressure line ${i}`);
});

// The compaction and migrate tracepoints the engine reports, each line's
// fields its detail as it is, read back into the same columns.
const COMPACTION_TPS = ['mm_compaction_begin', 'mm_compaction_end', 'mm_compaction_isolate_migratepages',
  'mm_compaction_isolate_freepages', 'mm_compaction_migratepages', 'mm_compaction_finished',
  'mm_compaction_suitable', 'mm_compaction_try_to_compact_pages', 'mm_compaction_deferred',
  'mm_compaction_defer_compaction', 'mm_compaction_defer_reset', 'mm_compaction_wakeup_kcompactd',
  'mm_compaction_kcompactd_wake', 'mm_compaction_kcompactd_sleep', 'mm_migrate_pages_start', 'mm_migrate_pages',
  'set_migration_pte', 'remove_migration_pte'];

test('a session that compacts exports its compaction tracepoints in the 6.18 layout and imports back', async () => {
  const id = await createSession(d.url, { mem_mib: 64, pcp: false }, 'compacts');
  // unmovable fragmentation: the order-10 request tries direct compaction (skipped: too
  // little free above the watermark), then a second passes and kcompactd compacts
  // proactively, in vain
  await applyOps(d.url, id, [{ op: 'workload', kind: 'fragment', count: 20000, gfp: 'GFP_KERNEL', order: 10 },
    { op: 'idle', ms: 1000 }]);
  // and a user page moved: migrate_pages() unmaps it, copies it and maps the copy
  const [{ pid }] = (await applyOps(d.url, id, [{ op: 'spawn', name: 'mover' }])).results;
  const [{ addr }] = (await applyOps(d.url, id, [{ op: 'mmap', pid, length: 4096, prot: 'rw-' }])).results;
  const [, where] = (await applyOps(d.url, id, [{ op: 'touch', pid, addr, length: 4096, access: 'write' },
    { op: 'translate', pid, vaddr: addr }])).results;
  const moved = await applyOps(d.url, id, [{ op: 'migrate_pages', pfn: Number(BigInt(where.paddr) >> 12n) }]);
  assert.equal(moved.results[0].ok, true, JSON.stringify(moved.results[0]));
  const text = await (await fetch(api(`/sessions/${id}/export?format=ftrace`))).text();
  const table = (await getJson(api('/ftrace/tracepoints'))).body.tracepoints;
  const layout = {};
  for (const name of COMPACTION_TPS) {
    const tp = table.find((t) => t.name === name);
    assert.equal(tp?.engine, name, `${name} is written from the engine's event`);
    layout[name] = layoutOf(tp.group, name);
  }
  const lines = text.split('\n').map((l) => /^ *.+-\d+ +\[\d{3}\] \.{5} +\d+\.\d{6}: ([a-z_0-9]+): (.*)$/.exec(l))
    .filter((m) => m && layout[m[1]]);
  const sim = (await events(id)).filter((e) => layout[e.type]);
  const kinds = new Set(sim.map((e) => e.type));
  for (const t of ['mm_compaction_begin', 'mm_compaction_end', 'mm_compaction_isolate_migratepages',
    'mm_compaction_finished', 'mm_compaction_suitable', 'mm_compaction_try_to_compact_pages',
    'mm_migrate_pages_start', 'mm_migrate_pages', 'set_migration_pte', 'remove_migration_pte'])
    assert.ok(kinds.has(t), `the session has ${t} events`);
  assert.match(text, /: mm_migrate_pages: nr_succeeded=1 nr_failed=0 /, 'the export has the move');
  assert.equal(lines.length, sim.length, 'one line a compaction or migrate event');
  for (let i = 0; i < sim.length; i++) {
    assert.equal(lines[i][1], sim[i].type);
    assert.equal(lines[i][2], sim[i].detail, `${sim[i].type} seq ${sim[i].seq}: the detail is the line's fields`);
    assert.match(lines[i][2], layout[sim[i].type], `${sim[i].type} seq ${sim[i].seq} follows the 6.18 print fmt`);
  }
  const imp = await importTrace(text, '?name=compaction-roundtrip');
  assert.equal(imp.status, 201, JSON.stringify(imp.body));
  const back = (await events(imp.body.id)).filter((e) => layout[e.type]);
  assert.equal(back.length, sim.length);
  for (let i = 0; i < sim.length; i++) {
    const a = sim[i], b = back[i], where = `${a.type} seq ${a.seq}`;
    assert.equal(b.type, a.type, where);
    assert.equal(b.detail, a.detail, where);
    // the columns the line carries (a migration PTE's line has its address, not its pfn)
    const cols = table.find((t) => t.name === a.type).args.split(' ');
    for (const k of ['pfn', 'size', 'value', 'order', 'vaddr'])
      if (a[k] !== undefined && cols.includes(k)) assert.equal(b[k], a[k], `${where}: ${k}`);
    if (/finished|suitable|defer/.test(a.type)) assert.equal(b.zone, a.zone, `${where}: zone`);
  }
});

// The tracepoints written from the engine's LRU, writeback, file-fault and OOM events.
const MORE = ['mm_lru_insertion', 'mm_lru_activate', 'writeback_dirty_folio', 'global_dirty_state',
  'writeback_single_inode', 'mm_filemap_fault', 'mark_victim'];
test('LRU, writeback, file faults and the OOM kill export in their 6.18 layout and import back to the same events', async () => {
  const id = await createSession(d.url, { mem_mib: 256, cpus: 2 }, 'lru-writeback-oom');
  // a file read twice (activated), written under the background threshold, three seconds
  // later past it (dirty, then written back by the flusher: its inode dirtied 3 s before),
  // mapped and faulted; then an anonymous hog the OOM killer takes
  const ops = [{ op: 'create_file', name: 'data', size: 48 << 20 }];
  for (let i = 0; i < 2; i++) ops.push({ op: 'read_file', name: 'data', offset: 0, length: 4 << 20 });
  ops.push({ op: 'write_file', name: 'data', offset: 0, length: 4 << 20 }, { op: 'idle', ms: 3000 },
    { op: 'write_file', name: 'data', offset: 4 << 20, length: 36 << 20 }, { op: 'spawn', name: 'mapper' });
  const res = (await applyOps(d.url, id, ops)).results;
  const mapper = res.at(-1).pid;
  const map = (await applyOps(d.url, id, [{ op: 'mmap', pid: mapper, length: 1 << 20, file: 'data', offset: 44 << 20, prot: 'r--' }])).results[0];
  await applyOps(d.url, id, [{ op: 'touch', pid: mapper, addr: map.addr, length: 1 << 20, access: 'read' }]);
  const hog = (await applyOps(d.url, id, [{ op: 'spawn', name: 'hog' }])).results[0].pid;
  await applyOps(d.url, id, [{ op: 'mmap', pid: hog, length: 200 << 20 },
    { op: 'touch', pid: hog, addr: '$0.addr', length: 200 << 20, access: 'write' }]);
  await applyOps(d.url, id, [{ op: 'workload', kind: 'exhaust', count: 200000 }]);

  const text = await (await fetch(api(`/sessions/${id}/export?format=ftrace`))).text();
  const table = (await getJson(api('/ftrace/tracepoints'))).body.tracepoints;
  const lines = {};
  for (const line of text.split('\n')) {
    const m = /^ *.+-\d+ +\[\d{3}\] \.{5} +\d+\.\d{6}: ([a-z_0-9]+): (.*)$/.exec(line);
    if (m && MORE.includes(m[1])) (lines[m[1]] ??= []).push(m[2]);
  }
  const sim = await eventsOfTypes(id, MORE);
  for (const name of MORE) {
    const tp = table.find((t) => t.name === name);
    assert.equal(tp?.engine, name, `${name} is written from the engine's event`);
    const re = layoutOf(tp.group, name);
    assert.ok(sim[name]?.length > 0, `the session has ${name} events`);
    assert.equal(lines[name]?.length, sim[name].length, `${name}: one line an event`);
    lines[name].forEach((l, i) => assert.match(l, re, `${name} ${i} follows the 6.18 print fmt`));
  }
  // the fields are the events': pfn, lru, pagemap flags, ino, index, the dirty figures, the victim
  const hex = (n) => n.toString(16);
  sim.mm_lru_insertion.forEach((e, i) => {
    const f = Number(/flags=(\d+)/.exec(e.detail)[1]);
    const flags = `${f & 1 ? 'M' : ' '}${f & 2 ? 'a' : 'f'}${f & 8 ? 's' : ' '}${f & 16 ? 'b' : ' '}${f & 32 ? 'd' : ' '}${f & 64 ? 'B' : ' '}`;
    assert.match(lines.mm_lru_insertion[i], new RegExp(`^folio=[0-9a-f]{16} pfn=0x${hex(e.pfn)} lru=${e.value} flags=${flags.replace(/ /g, ' ')}$`));
  });
  const anonInserted = lines.mm_lru_insertion.filter((l) => / lru=[01] flags=[M ]a/.test(l)).length;
  assert.ok(anonInserted > 0 && lines.mm_lru_insertion.some((l) => / lru=2 flags= f/.test(l)));
  sim.mm_lru_activate.forEach((e, i) => assert.match(lines.mm_lru_activate[i], new RegExp(`^folio=[0-9a-f]{16} pfn=0x${hex(e.pfn)}$`)));
  sim.writeback_dirty_folio.forEach((e, i) =>
    assert.equal(lines.writeback_dirty_folio[i], `bdi 0:0: ino=${e.value} index=${e.size}`));
  sim.global_dirty_state.forEach((e, i) => assert.equal(lines.global_dirty_state[i], e.detail));
  sim.mm_filemap_fault.forEach((e, i) => assert.equal(lines.mm_filemap_fault[i], `dev=0:0 ino=${hex(e.value)} ofs=${e.size}`));
  // the flusher's turns: what the kernel prints, the inode dirtied at the first write's
  // jiffies (INITIAL_JIFFIES at HZ 250), 3 s before; each turn writes what it was asked
  // (cyclic: the index after its last page) and the inode stays dirty until the last
  sim.writeback_single_inode.forEach((e, i) => assert.equal(lines.writeback_single_inode[i], e.detail));
  const wb = lines.writeback_single_inode.map((l) => /^bdi 0:0: ino=(\d+) state=(\S+) dirtied_when=(\d+) age=(\d+) index=(\d+) to_write=(\d+) wrote=(\d+) cgroup_ino=1$/.exec(l));
  assert.ok(wb.length >= 1 && wb.every(Boolean), lines.writeback_single_inode.join('\n'));
  for (const [, ino, state, when, age, index, toWrite, wrote] of wb) {
    assert.equal(Number(ino), sim.writeback_dirty_folio[0].value);
    assert.equal(when, '4294892296');
    assert.equal(age, '3');
    assert.ok(Number(wrote) > 0 && Number(wrote) <= Number(toWrite));
    assert.equal(state, Number(index) ? 'I_DIRTY_PAGES|I_SYNC' : state);
  }
  assert.equal(wb[0][5], wb[0][7], 'the first turn writes from index 0: it leaves the index after its pages');
  // the victim: the engine keeps what the kernel prints, and the export writes just that
  sim.mark_victim.forEach((e, i) => assert.equal(lines.mark_victim[i], e.detail));
  assert.match(lines.mark_victim[0], /^pid=\d+ comm=hog total-vm=\d+kB anon-rss=[1-9]\d*kB /);

  // Imported back: the same events, field for field, and written again the same lines.
  const imp = await importTrace(text, '?name=lru-writeback-oom-roundtrip');
  assert.equal(imp.status, 201, JSON.stringify(imp.body));
  const back = await eventsOfTypes(imp.body.id, MORE);
  for (const name of MORE) {
    assert.equal(back[name]?.length, sim[name].length, name);
    // the columns the tracepoint's fields carry (table args), each the same
    const cols = table.find((t) => t.name === name).args.split(' ')
      .filter((c) => ['node', 'order', 'zone', 'level', 'gfp', 'pfn', 'size', 'value'].includes(c));
    sim[name].forEach((a, i) => {
      const b = back[name][i];
      for (const col of cols) assert.equal(b[col] ?? null, a[col] ?? null, `${name} ${i}: ${col}`);
    });
  }
  back.mark_victim.forEach((b, i) => assert.equal(b.value, sim.mark_victim[i].value));
  assert.match(back.mark_victim[0].detail, /comm=hog /);
  back.mm_lru_insertion.forEach((b, i) => assert.equal(Number(/flags=(\d+)/.exec(b.detail)?.[1] ?? 0),
    Number(/flags=(\d+)/.exec(sim.mm_lru_insertion[i].detail)[1]), `mm_lru_insertion ${i}: flags`));
  const again = await (await fetch(api(`/sessions/${imp.body.id}/export?format=ftrace`))).text();
  const pick = (t) => t.split('\n').filter((l) => new RegExp(`: (${MORE.join('|')}): `).test(l)).map((l) => l.replace(/^.*?\d+\.\d{6}: /, ''));
  const a = pick(text), b = pick(again);
  assert.equal(b.length, a.length);
  for (let i = 0; i < a.length; i++) assert.equal(b[i], a[i], `line ${i}`);
});

test('a field too long to keep is a malformed line, never a line stored without it', async () => {
  const ok = '             cat-12574   [001] ..... 11558.721486: tlb_flush: pages:1 reason:remote shootdown (1)';
  const long = `             cat-12574   [001] ..... 11558.721487: tlb_flush: pages:1 reason:${'x'.repeat(600)} (6)`;
  const r = await importTrace(`${ok}\n${long}\n`);
  assert.equal(r.status, 400);
  assert.match(r.body.error.message, /^line 2: tlb_flush: bad value "x+" for tlbreason/);
  const l = await importTrace(`${ok}\n${long}\n`, '?lenient=1');
  assert.equal(l.status, 201);
  assert.equal(l.body.summary.events, 1);
  assert.equal(l.body.summary.bad_lines, 1);
  assert.equal(l.body.summary.bad[0].line, 2);
});
