// trace_session.test.mjs - a real kernel's trace as a session: a capture
// bundle imported with its zoneinfo, what the views reconstruct from the
// trace's events (physmap, per-zone and per-order requests, slab caches,
// kmalloc call sites, tasks, reclaim) checked against the file's own lines,
// the machine views refused, and the requests replayed through the model.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync, copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, getJson, createSession, applyOps, top } from './lib/daemon.mjs';

let d;
before(async () => { d = await startDaemon(); });
after(async () => { await d.stop(); });

const DATA = join(top, 'tests', 'data', 'ftrace');
const api = (p) => `${d.url}/api/v1${p}`;

async function importTrace(body, query = '', type = 'text/plain') {
  const r = await fetch(api(`/sessions/import-trace${query}`), { method: 'POST', body, headers: { 'Content-Type': type } });
  return { status: r.status, body: await r.json() };
}

// The capture of a compile, with the /proc files taken before it, as mmlab-capture bundles them.
function bundle() {
  const dir = mkdtempSync(join(tmpdir(), 'mmlab-bundle-'));
  copyFileSync(join(DATA, 'compile-kmem.trace'), join(dir, 'trace'));
  for (const f of ['zoneinfo', 'buddyinfo', 'pagetypeinfo']) copyFileSync(join(DATA, 'compile-proc', f), join(dir, f));
  execFileSync('tar', ['-C', dir, '-cf', join(dir, 'b.tar'), 'trace', 'zoneinfo', 'buddyinfo', 'pagetypeinfo']);
  const data = readFileSync(join(dir, 'b.tar'));
  rmSync(dir, { recursive: true, force: true });
  return data;
}

// The event lines of a trace: { type, fields, task }.
function lines(text) {
  return text.split('\n').filter((l) => l.trim() && !l.trimStart().startsWith('#')).map((l) => {
    const m = /^\s*(.+)-(\d+)\s+\[\d+\]\s+\S+\s+\d+\.\d+: ([a-z_0-9]+): (.*)$/.exec(l);
    const fields = {};
    for (const [, k, v] of m[4].matchAll(/([a-z_]+)=(\S+)/g)) fields[k] = v;
    return { task: m[1], type: m[3], fields };
  });
}

const ZONES = [['DMA', 1, 4096], ['DMA32', 4096, 1048576], ['Normal', 1048576, 6553600]];

let id, evs;
test('a capture bundle imports with its zoneinfo, and the zones come from it', async () => {
  const r = await importTrace(bundle(), '?name=compile', 'application/x-tar');
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal(r.body.summary.form, 'bundle');
  assert.equal(r.body.summary.zoneinfo, true);
  id = r.body.id;
  evs = lines(readFileSync(join(DATA, 'compile-kmem.trace'), 'utf8'));
  const s = (await getJson(api(`/sessions/${id}`))).body;
  assert.equal(s.state, 'trace');
  const t = (await getJson(api(`/sessions/${id}/trace`))).body;
  assert.equal(t.zones_from, 'zoneinfo');
  assert.deepEqual(t.zones.map((z) => [z.name, z.start_pfn, z.end_pfn]), ZONES);
  // requests per zone and order, counted from the file
  for (const [name, lo, hi] of ZONES) {
    const z = t.zones.find((x) => x.name === name);
    const inZone = (e, type) => e.type === type && parseInt(e.fields.pfn, 16) >= lo && parseInt(e.fields.pfn, 16) < hi;
    const allocs = Array(11).fill(0), frees = Array(11).fill(0);
    evs.filter((e) => inZone(e, 'mm_page_alloc')).forEach((e) => allocs[Number(e.fields.order)]++);
    evs.filter((e) => inZone(e, 'mm_page_free')).forEach((e) => frees[Number(e.fields.order)]++);
    assert.deepEqual(z.allocs_by_order, allocs, name);
    assert.deepEqual(z.frees_by_order, frees, name);
    assert.equal(z.alloc_pages, allocs.reduce((a, n, o) => a + (n << o), 0));
  }
  assert.ok(t.not_known.length >= 2);
  // the free blocks of each order when the trace began: the bundle's buddyinfo
  for (const line of readFileSync(join(DATA, 'compile-proc', 'buddyinfo'), 'utf8').trim().split('\n')) {
    const [, zone, counts] = /zone\s+(\S+)\s+(.*)$/.exec(line);
    assert.deepEqual(t.zones.find((z) => z.name === zone).buddyinfo_before, counts.trim().split(/\s+/).map(Number), zone);
  }
});

test('the physical map of a trace: frames allocated and freed, as the file has them, at any seq', async () => {
  const legend = (await getJson(api(`/sessions/${id}/physmap/legend`))).body;
  assert.equal(legend.trace, true);
  assert.equal(legend.max_pfn, 6553600);
  const code = Object.fromEntries(legend.codes.map((c) => [c.name, c.code]));
  for (const at of [200, evs.length]) {
    const r = await fetch(api(`/sessions/${id}/physmap?at=${at}`));
    const map = new Uint8Array(await r.arrayBuffer());
    assert.equal(map.length, 6553600);
    const want = new Map();
    evs.slice(0, at).forEach((e) => {
      if (e.type !== 'mm_page_alloc' && e.type !== 'mm_page_free') return;
      const pfn = parseInt(e.fields.pfn, 16);
      for (let i = 0; i < 1 << Number(e.fields.order); i++)
        want.set(pfn + i, e.type === 'mm_page_alloc' ? code['allocated in the trace'] : code['freed in the trace']);
    });
    assert.ok(want.size > 10);
    assert.equal(map[0], code.hole, 'pfn 0 is in no zone');
    for (const [pfn, c] of want) assert.equal(map[pfn], c, `pfn ${pfn} at ${at}`);
    let drawn = 0;
    for (let i = 0; i < map.length; i++) if (map[i] && map[i] !== code.hole) drawn++;
    assert.equal(drawn, want.size, `at ${at}: only the frames of the trace are drawn`);
  }
});

test('slab caches, kmalloc call sites and tasks are counted from the trace', async () => {
  const a = (await getJson(api(`/sessions/${id}/trace/activity`))).body;
  const cache = {};
  evs.filter((e) => e.type === 'kmem_cache_alloc').forEach((e) => { cache[e.fields.name] = (cache[e.fields.name] || 0) + 1; });
  for (const c of a.slab_caches) assert.equal(c.count, cache[c.cache] || 0, c.cache);
  assert.equal(a.slab_caches.reduce((s, c) => s + c.count, 0), Object.values(cache).reduce((s, n) => s + n, 0));
  const sites = {};
  evs.filter((e) => e.type === 'kmalloc').forEach((e) => { sites[e.fields.call_site] = (sites[e.fields.call_site] || 0) + Number(e.fields.bytes_alloc); });
  const top = Object.entries(sites).sort((x, y) => y[1] - x[1])[0];
  assert.deepEqual([a.kmalloc_sites_by_bytes[0].call_site, a.kmalloc_sites_by_bytes[0].bytes], top);
  // by count: each site's kmalloc lines, the most frequent first
  const calls = {};
  evs.filter((e) => e.type === 'kmalloc').forEach((e) => { calls[e.fields.call_site] = (calls[e.fields.call_site] || 0) + 1; });
  const byCount = a.kmalloc_sites_by_count;
  assert.equal(byCount.length, Math.min(20, Object.keys(calls).length));
  for (const s of byCount) assert.equal(s.count, calls[s.call_site], s.call_site);
  assert.ok(byCount.every((s, i) => i === 0 || s.count <= byCount[i - 1].count), 'ranked by count');
  assert.equal(byCount[0].count, Math.max(...Object.values(calls)));
  assert.notEqual(byCount[0].call_site, a.kmalloc_sites_by_bytes[0].call_site, 'the two rankings differ in this trace');
  const gcc = evs.filter((e) => e.type === 'mm_page_alloc' && e.task === 'gcc').length;
  assert.equal(a.tasks.find((t) => t.task === 'gcc').count, gcc);
});

test('without zoneinfo the layout is inferred: one span over the pfns the trace has', async () => {
  const text = readFileSync(join(DATA, 'memcg-oom.trace'), 'utf8');
  const r = await importTrace(text, '?name=no-zoneinfo');
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal(r.body.summary.zoneinfo, false);
  const t = (await getJson(api(`/sessions/${r.body.id}/trace`))).body;
  assert.equal(t.zones_from, 'the pfns seen');
  const file = lines(text);
  const pfns = file.filter((e) => e.fields.pfn).map((e) => parseInt(e.fields.pfn, 16));
  assert.ok(pfns.length > 10);
  const max = Math.max(...pfns);
  assert.equal(t.max_pfn, max);
  assert.equal(t.zones.length, 1);
  const [z] = t.zones;
  assert.deepEqual([z.name, z.start_pfn, z.end_pfn], ['(pfns seen)', 0, max + 1], 'from pfn 0 to the highest pfn seen');
  const allocs = file.filter((e) => e.type === 'mm_page_alloc');
  assert.equal(z.alloc_pages, allocs.reduce((n, e) => n + 2 ** Number(e.fields.order), 0));
  assert.equal(z.buddyinfo_before, undefined);
  // the physical map spans the same pfns
  const legend = (await getJson(api(`/sessions/${r.body.id}/physmap/legend`))).body;
  assert.equal(legend.max_pfn, max + 1);
});

test('an op, a fork and a scenario on a trace session are refused: a trace is read-only', async () => {
  const tries = [['ops', { op: 'alloc_pages', order: 0 }, 'an op'], ['fork', { name: 'f' }, 'a fork'],
    ['scenarios/linear-map', {}, 'a scenario']];
  const before = (await getJson(api(`/sessions/${id}`))).body;
  assert.ok(before.last_seq > 0);
  for (const [path, body, what] of tries) {
    const r = await getJson(api(`/sessions/${id}/${path}`), { method: 'POST', body: JSON.stringify(body),
      headers: { 'Content-Type': 'application/json' } });
    assert.equal(r.status, 409, `${path}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.error.code, 'EROFS', path);
    assert.match(r.body.error.message, new RegExp(`is a trace of a real kernel, read-only: ${what} needs a simulated machine`), path);
    assert.match(r.body.error.message, /resimulate/, path);
  }
  const s = (await getJson(api(`/sessions/${id}`))).body;
  assert.equal(s.state, 'trace');
  assert.deepEqual(s, before, 'nothing was added');
  assert.ok(!(await getJson(api('/sessions'))).body.sessions.some((x) => x.name === 'f'), 'no fork was made');
});

test('a failed oversize import leaves the other sessions as they were', async () => {
  const sim = await createSession(d.url, { mem_mib: 64 }, 'kept');
  await applyOps(d.url, sim, [{ op: 'alloc_pages', gfp: 'GFP_KERNEL', order: 2 }, { op: 'kmalloc', size: 64 }]);
  const snapshot = async () => {
    const list = (await getJson(api('/sessions'))).body.sessions;
    const out = { ids: list.map((s) => s.id).sort((a, b) => a - b) };
    for (const s of [sim, id]) {
      out[s] = { info: list.find((x) => x.id === s), events: [] };
      for (let since = 0; ;) {
        const e = (await getJson(api(`/sessions/${s}/events?since=${since}&limit=10000`))).body.events;
        out[s].events.push(...e);
        if (e.length < 10000) break;
        since = e.at(-1).seq;
      }
    }
    return out;
  };
  const was = await snapshot();
  assert.ok(was[sim].events.length > 0 && was[id].events.length > 0);
  // real event lines first (rows are written), then comment lines past the 1 GiB bound
  const head = Buffer.from(readFileSync(join(DATA, 'compile-kmem.trace'), 'utf8'));
  const pad = Buffer.concat(Array(256).fill(Buffer.from(`#${'-'.repeat(4094)}\n`)));
  const total = (1 << 30) + 1;
  let sent = 0;
  const body = new ReadableStream({
    pull(ctl) {
      if (sent >= total) { ctl.close(); return; }
      const src = sent === 0 ? head : pad;
      const n = Math.min(src.length, total - sent);
      ctl.enqueue(src.subarray(0, n));
      sent += n;
    },
  });
  const r = await fetch(api('/sessions/import-trace?name=oversize'), { method: 'POST', body, duplex: 'half' });
  assert.equal(r.status, 413);
  assert.equal((await r.json()).error.code, 'E2BIG');
  const now = await snapshot();
  assert.deepEqual(now, was, 'the sessions, their events and the list are unchanged');
  assert.ok(!(await getJson(api('/sessions'))).body.sessions.some((x) => x.name === 'oversize'));
});

test('a trace being imported is not listed until it is whole: never as an empty session', async () => {
  // A first part of more events than one transaction of the import holds
  // (IMPORT_BATCH, 50,000), so that some are committed while the upload is
  // held open; the list is read meanwhile. Then the compile trace ends it.
  const first = [];
  for (let i = 0; i < 30000; i++) {
    const ts = (100 + i / 1e5).toFixed(6), pfn = (0x100000 + i).toString(16);
    first.push(`  cc1-1 [000] ..... ${ts}: mm_page_alloc: page=0000000000000000 pfn=0x${pfn} order=0 migratetype=0 gfp_flags=GFP_KERNEL`,
               `  cc1-1 [000] ..... ${ts}: mm_page_free: page=0000000000000000 pfn=0x${pfn} order=0`);
  }
  const text = readFileSync(join(DATA, 'compile-kmem.trace'), 'utf8');
  const parts = [Buffer.from(first.join('\n') + '\n'), Buffer.from(text)];
  let release, part = 0;
  const held = new Promise((r) => { release = r; });
  const body = new ReadableStream({
    async pull(ctl) {
      part++;
      if (part === 1) ctl.enqueue(parts[0]);
      else if (part === 2) { await held; ctl.enqueue(parts[1]); }
      else ctl.close();
    },
  });
  const before = (await getJson(api('/sessions'))).body.sessions;
  const next = Math.max(0, ...before.map((x) => x.id)) + 1;
  const upload = fetch(api('/sessions/import-trace?name=held'), { method: 'POST', body, duplex: 'half' });
  // Until the first transaction is committed (the session's row is then in
  // the database), and once more after it.
  let committed = false;
  for (let i = 0; i < 1000; i++) {
    const list = (await getJson(api('/sessions'))).body.sessions;
    assert.deepEqual(list.filter((x) => x.name === 'held' || x.id === next), [],
                     `a session being imported is listed (after ${part} parts)`);
    if (committed) break;
    committed = (await getJson(api(`/sessions/${next}`))).status === 200;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.ok(committed, 'the first 50,000 events were committed while the upload was held');
  assert.equal(part, 2, 'the first part was taken and the upload is held');
  release();
  const r = await upload;
  assert.equal(r.status, 201);
  const done = await r.json();
  assert.equal(done.id, next);
  const listed = (await getJson(api('/sessions'))).body.sessions.find((x) => x.name === 'held');
  assert.ok(listed, 'the whole trace is listed');
  assert.equal(listed.id, done.id);
  assert.equal(listed.last_seq, 60000 + lines(text).length);
});

test('reclaim and the OOM kill of a memcg capture are listed over time', async () => {
  const r = await importTrace(readFileSync(join(DATA, 'memcg-oom.trace')));
  const a = (await getJson(api(`/sessions/${r.body.id}/trace/activity`))).body;
  const file = lines(readFileSync(join(DATA, 'memcg-oom.trace'), 'utf8'));
  assert.equal(a.pressure_events, file.filter((e) => /^mm_vmscan_|^mark_victim$/.test(e.type)).length);
  assert.ok(a.pressure.some((p) => p.type === 'mark_victim' && /comm=tail/.test(p.detail)));
  assert.ok(a.pressure.every((p, i) => i === 0 || p.ts_ns >= a.pressure[i - 1].ts_ns));
});

test('views of a simulated machine are refused on a trace session, with a reason', async () => {
  const z = (await getJson(api(`/sessions/${id}/zones`))).body;
  assert.equal(z.trace, true);
  assert.deepEqual(z.zones.map((x) => [x.name, x.start_pfn, x.start_pfn + x.spanned]), ZONES);
  const page = (await getJson(api(`/sessions/${id}/pages/${parseInt(evs.find((e) => e.type === 'mm_page_alloc').fields.pfn, 16)}`))).body;
  assert.equal(page.trace, 'allocated');
  assert.equal(page.task, evs.find((e) => e.type === 'mm_page_alloc').task);
  for (const p of ['pages?start=0&count=4', 'slabs', 'proc/buddyinfo', 'verify', 'cpus']) {
    const r = await getJson(api(`/sessions/${id}/${p}`));
    assert.equal(r.status, 409, p);
    assert.match(r.body.error.message, /trace of a real kernel/);
  }
  const e = (await getJson(api(`/sessions/${id}/events?limit=3`))).body.events;
  assert.equal(e[0].task, evs[0].task);
  assert.ok(e[1].ts_ns >= e[0].ts_ns && e[0].ts_ns > 0);
});

test('resimulate: a real trace replayed through the model, with figures that add up', async () => {
  const r = await getJson(api(`/sessions/${id}/resimulate`), { method: 'POST' });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const f = r.body;
  const n = (t) => evs.filter((e) => e.type === t).length;
  assert.equal(f.page_allocs.total, n('mm_page_alloc'));
  assert.equal(f.page_frees.total, n('mm_page_free'));
  assert.equal(f.kmallocs.total, n('kmalloc'));
  assert.equal(f.kfrees.total, n('kfree'));
  // kmalloc's size classes: the model's bytes_alloc for each bytes_req against the kernel's
  const CLASSES = [8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192];
  const model = (req) => CLASSES.find((c) => c >= req) ?? 4096 * 2 ** Math.ceil(Math.log2(Math.ceil(req / 4096)));
  const km = evs.filter((e) => e.type === 'kmalloc');
  const same = km.filter((e) => model(Number(e.fields.bytes_req)) === Number(e.fields.bytes_alloc)).length;
  assert.ok(km.length > 10);
  assert.equal(f.kmallocs.same_bytes_alloc, same);
  assert.equal(f.kmallocs.share_same_bytes_alloc, same / km.length);
  assert.equal(f.page_frees.replayed + f.page_frees.allocated_before_trace, f.page_frees.total);
  assert.equal(f.page_allocs.zone_known, f.page_allocs.both_ok);
  assert.ok(f.page_allocs.same_zone <= f.page_allocs.both_ok);
  assert.ok(f.requests_per_s > 0);
  assert.equal((await getJson(api(`/sessions/1/resimulate`), { method: 'POST' })).status, 409);
});

test('resimulate: the model replaying its own exported session agrees with itself on every pfn', async () => {
  const sim = await createSession(d.url, { mem_mib: 256, cpus: 2 }, 'self');
  const ops = [];
  for (let i = 0; i < 40; i++)
    ops.push({ op: 'alloc_pages', gfp: ['GFP_KERNEL', 'GFP_HIGHUSER_MOVABLE', 'GFP_KERNEL|__GFP_RECLAIMABLE', 'GFP_DMA'][i % 4], order: i % 5, cpu: i % 2 });
  const res = await applyOps(d.url, sim, ops);
  await applyOps(d.url, sim, res.results.filter((_, i) => i % 3 === 0)
    .map((x) => ({ op: 'free_pages', pfn: x.pfn, order: x.order })));
  await applyOps(d.url, sim, [{ op: 'alloc_pages', gfp: 'GFP_KERNEL', order: 2 }]);
  const text = await (await fetch(api(`/sessions/${sim}/export?format=ftrace`))).text();
  const imp = await importTrace(text);
  assert.equal(imp.status, 201);
  const f = (await getJson(api(`/sessions/${imp.body.id}/resimulate`), { method: 'POST' })).body;
  assert.equal(f.page_allocs.total, 41);
  assert.equal(f.page_allocs.both_ok, 41);
  assert.equal(f.page_allocs.same_pfn, 41);
  assert.equal(f.page_allocs.same_migratetype, 41);
  // the migratetype fallbacks: the same requests fell back in the export and in the replay
  const fallbacks = (text.match(/: mm_page_alloc_extfrag: /g) || []).length;
  assert.ok(fallbacks > 0);
  assert.equal(f.page_allocs.kernel_fallbacks, f.page_allocs.model_fallbacks);
  assert.equal(f.page_allocs.both_fallback, f.page_allocs.kernel_fallbacks);
  assert.equal(f.page_allocs.same_fallback, 41);
  assert.equal(f.page_frees.replayed, 14);
});

// A /proc/buddyinfo text as { "node zone": [counts] } and back.
function buddy(text) {
  const out = {};
  for (const l of text.split('\n')) {
    const m = /^Node (\d+), zone\s+(\S+)\s+(.*)$/.exec(l);
    if (m) out[`${m[1]} ${m[2]}`] = m[3].trim().split(/\s+/).map(Number);
  }
  return out;
}
const buddyLines = (b) => Object.entries(b).map(([k, v]) => {
  const [node, zone] = k.split(' ');
  return `Node ${node}, zone ${zone.padStart(8)} ${v.map((n) => String(n).padStart(6)).join(' ')}`;
});

// The distance as the API defines it, worked out here from the two machines' counts.
function distance(sim, real) {
  let diff = 0, sum = 0;
  for (const k of Object.keys(real))
    real[k].forEach((r, o) => { diff += Math.abs(sim[k][o] - r); sum += sim[k][o] + r; });
  return sum ? diff / sum : 0;
}
function change(sim, real, sim0, real0) {
  let diff = 0, sum = 0;
  for (const k of Object.keys(real))
    real[k].forEach((r, o) => {
      const ds = sim[k][o] - sim0[k][o], dr = r - real0[k][o];
      diff += Math.abs(ds - dr);
      sum += Math.abs(ds) + Math.abs(dr);
    });
  return sum ? diff / sum : 0;
}

test('resimulate: the distance between the model\'s and the real free lists, at every point the trace knows them', async () => {
  // A simulated session stands in for the real machine: its own /proc/buddyinfo
  // after each step is the "real" one, changed by known amounts.
  const sim = await createSession(d.url, { mem_mib: 128, cpus: 2 }, 'free lists');
  const proc = async () => buddy(await (await fetch(api(`/sessions/${sim}/proc/buddyinfo`))).text());
  const b0 = await proc();
  const res = await applyOps(d.url, sim, Array.from({ length: 24 }, (_, i) =>
    ({ op: 'alloc_pages', gfp: i % 2 ? 'GFP_KERNEL' : 'GFP_HIGHUSER_MOVABLE', order: i % 4, cpu: 0 })));
  const b1 = await proc();
  await applyOps(d.url, sim, res.results.filter((_, i) => i % 2 === 0)
    .map((x) => ({ op: 'free_pages', pfn: x.pfn, order: x.order, cpu: 0 })));
  const b2 = await proc();
  const text = await (await fetch(api(`/sessions/${sim}/export?format=ftrace`))).text();
  const zones = Object.keys(b0);
  assert.ok(zones.length >= 2, JSON.stringify(b0));
  // the "real" machine: b1 with 5 more order-0 blocks in the first zone and 2 more order-1
  // in the last, b2 as it is, and before the trace b0 with 1 more order-10 block
  const real0 = structuredClone(b0), real1 = structuredClone(b1), real2 = structuredClone(b2);
  real0[zones.at(-1)][10] += 1;
  real1[zones[0]][0] += 5;
  real1[zones.at(-1)][1] += 2;
  // markers go after the last line of the allocations (before the first free), as
  // mmlab-capture --sample writes them, one trace_marker line per zone
  const lines = text.split('\n');
  const firstFree = lines.findIndex((l) => / mm_page_free: /.test(l));
  const ts = /(\d+\.\d+): /.exec(lines[firstFree - 1])[1];
  const marks = buddyLines(real1).map((l) => `           <...>-1       [000] .....  ${ts}: tracing_mark_write: buddyinfo ${l}`);
  const marked = [...lines.slice(0, firstFree), ...marks, ...lines.slice(firstFree)].join('\n');
  const dir = mkdtempSync(join(tmpdir(), 'mmlab-bi-'));
  writeFileSync(join(dir, 'trace'), marked);
  writeFileSync(join(dir, 'buddyinfo'), buddyLines(real0).join('\n') + '\n');
  writeFileSync(join(dir, 'buddyinfo.after'), buddyLines(real2).join('\n') + '\n');
  execFileSync('tar', ['-C', dir, '-cf', join(dir, 'b.tar'), 'trace', 'buddyinfo', 'buddyinfo.after']);
  const imp = await importTrace(readFileSync(join(dir, 'b.tar')), '', 'application/x-tar');
  rmSync(dir, { recursive: true, force: true });
  assert.equal(imp.status, 201, JSON.stringify(imp.body));
  assert.equal(imp.body.summary.buddyinfo_after, true);
  assert.equal(imp.body.summary.tracepoints.tracing_mark_write, zones.length);
  const f = (await getJson(api(`/sessions/${imp.body.id}/resimulate`), { method: 'POST' })).body;
  assert.equal(f.page_allocs.same_pfn, 24);	// the replay is the session itself
  const pts = f.buddyinfo_distance.points;
  assert.deepEqual(pts.map((p) => p.source), ['before', 'marker', 'after']);
  assert.equal(pts[2].seq, imp.body.summary.events);
  assert.ok(pts[0].seq === 0 && pts[1].seq > 0 && pts[1].seq < pts[2].seq, JSON.stringify(pts.map((p) => p.seq)));
  const at = (p) => Object.fromEntries(p.zones.map((z) => [`${z.node} ${z.zone}`, z.real]));
  const simAt = (p) => Object.fromEntries(p.zones.map((z) => [`${z.node} ${z.zone}`, z.sim]));
  assert.deepEqual(at(pts[0]), real0);
  assert.deepEqual(at(pts[1]), real1);
  assert.deepEqual(at(pts[2]), real2);
  // the model's side is the free lists after exactly the requests before each point
  assert.deepEqual(simAt(pts[0]), b0);
  assert.deepEqual(simAt(pts[1]), b1);
  assert.deepEqual(simAt(pts[2]), b2);
  const want = [distance(b0, real0), distance(b1, real1), distance(b2, real2)];
  assert.ok(want[0] > 0 && want[1] > want[0] && want[2] === 0, JSON.stringify(want));
  pts.forEach((p, i) => assert.ok(Math.abs(p.distance - want[i]) < 1e-9, `${p.source}: ${p.distance} != ${want[i]}`));
  const wantChange = [0, change(b1, real1, b0, real0), change(b2, real2, b0, real0)];
  assert.ok(wantChange[1] > 0 && wantChange[2] > 0, JSON.stringify(wantChange));
  pts.forEach((p, i) => assert.ok(Math.abs(p.change_distance - wantChange[i]) < 1e-9,
    `${p.source}: change ${p.change_distance} != ${wantChange[i]}`));
  for (const p of pts)
    for (const z of p.zones)
      assert.ok(Math.abs(z.distance - distance({ k: z.sim }, { k: z.real })) < 1e-9);
  assert.match(f.buddyinfo_distance.definition, /nr_free_sim - nr_free_real/);
});

test('resimulate: a trace with no buddyinfo anywhere has no distance points, and says what the distance is', async () => {
  const f = (await getJson(api(`/sessions/${id}/resimulate`), { method: 'POST' })).body;
  // the compile bundle has the buddyinfo before the trace only
  assert.deepEqual(f.buddyinfo_distance.points.map((p) => p.source), ['before']);
  const text = readFileSync(join(DATA, 'memcg-oom.trace'), 'utf8');
  const r = await importTrace(text);
  const g = (await getJson(api(`/sessions/${r.body.id}/resimulate`), { method: 'POST' })).body;
  assert.deepEqual(g.buddyinfo_distance.points, []);
});

test('the timeline of a trace marks its OOM kill and the starts of reclaim', async () => {
  const text = readFileSync(join(DATA, 'memcg-oom.trace'), 'utf8');
  const r = await importTrace(text);
  const t = (await getJson(api(`/sessions/${r.body.id}/timeline`))).body;
  assert.equal(t.state, 'trace');
  const file = lines(text);
  const want = file.map((e, i) => [i + 1, e.type])
    .filter(([, type]) => type === 'mark_victim' || type === 'mm_vmscan_memcg_reclaim_begin');
  assert.deepEqual(t.markers.map((m) => [m.seq, m.type]), want);
});
