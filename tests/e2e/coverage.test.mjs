// coverage.test.mjs - what no other test reached, through the API, each
// asserted by what it does: the tlb_flush scopes, access_range's patterns,
// tlb.policy fifo and random, a machine of two nodes, the daemon's metrics
// (those that move with a session's ops, requests and streams; the recorder,
// the session limit and the snapshots are metrics.test.mjs's), and --listen
// on the IPv6 loopback.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, apiOf, createSession, applyOps, mmlabdPath } from './lib/daemon.mjs';

let d;
const { get } = apiOf(() => d.url);

before(async () => { d = await startDaemon(); });
after(async () => { await d?.stop(); });

async function ok(id, list) {
  const r = await applyOps(d.url, id, list);
  for (const [i, x] of r.results.entries())
    assert.equal(x.ok, true, `${JSON.stringify([list].flat()[i])}: ${JSON.stringify(x)}`);
  return r.results;
}

const hit = (t) => t.tlb !== 'miss';
const hex = (n) => `0x${BigInt(n).toString(16)}`;

test('tlb_flush: page, range, nonglobal and all each drop what they name and nothing else', async () => {
  const id = await createSession(d.url, { mem_mib: 256 }, 'flush-scopes');
  const [{ pid }] = await ok(id, { op: 'spawn', name: 'p' });
  const [{ addr }] = await ok(id, { op: 'mmap', pid, length: 8 * 4096, prot: 'rw-' });
  await ok(id, [{ op: 'touch', pid, addr, length: 8 * 4096, access: 'write' },
                { op: 'load_cr3', cpu: 0, pid }]);
  const user = Array.from({ length: 8 }, (_, i) => hex(BigInt(addr) + BigInt(i * 4096)));
  const kernel = '0xffff888000100000';	// the direct map: global entries
  const warm = () => ok(id, [...user, kernel].map((vaddr) => ({ op: 'translate', vaddr, cpu: 0 })));
  const hits = async () => (await warm()).map(hit);
  await warm();
  assert.deepEqual(await hits(), Array(9).fill(true), 'all cached');
  await ok(id, { op: 'tlb_flush', cpu: 0, scope: 'page', addr: user[2] });
  assert.deepEqual(await hits(), [true, true, false, true, true, true, true, true, true], 'page: one');
  await ok(id, { op: 'tlb_flush', cpu: 0, scope: 'range', addr: user[4], length: 3 * 4096 });
  assert.deepEqual(await hits(), [true, true, true, true, false, false, false, true, true], 'range: three');
  await ok(id, { op: 'tlb_flush', cpu: 0, scope: 'nonglobal' });
  assert.deepEqual(await hits(), [...Array(8).fill(false), true], 'nonglobal: the user pages, not the direct map');
  await ok(id, { op: 'tlb_flush', cpu: 0, scope: 'all' });
  assert.deepEqual(await hits(), Array(9).fill(false), 'all: everything');
  const bad = await applyOps(d.url, id, { op: 'tlb_flush', cpu: 0, scope: 'some' });
  assert.equal(bad.results[0].ok, false);
  assert.match(bad.results[0].message, /scope/);
});

test('access_range: seq walks the range in order and wraps, random stays inside it on stride', async () => {
  const id = await createSession(d.url, { mem_mib: 256 }, 'access-patterns');
  const [area] = await ok(id, { op: 'vmalloc', size: 8 * 4096 });
  await ok(id, { op: 'tlb_flush', cpu: 0, scope: 'all' });
  const seq = await applyOps(d.url, id, { op: 'access_range', start: area.addr, length: 8 * 4096,
                                          stride: 4096, pattern: 'seq', count: 16 });
  assert.deepEqual([seq.results[0].accesses, seq.results[0].misses, seq.results[0].hits], [16, 8, 8],
    'the first lap misses, the second hits');
  const evs = (await get(`/sessions/${id}/events?since=${seq.first_seq - 1}&limit=1000&type=translate`)).events
    .filter((e) => e.seq <= seq.last_seq);
  assert.equal(evs.length, 16);
  const base = BigInt(area.addr);
  assert.deepEqual(evs.map((e) => Number((BigInt(e.vaddr ?? e.addr) - base) / 4096n)),
    [0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7]);
  const rnd = await applyOps(d.url, id, { op: 'access_range', start: area.addr, length: 8 * 4096,
                                          stride: 4096, pattern: 'random', count: 64 });
  assert.equal(rnd.results[0].accesses, 64);
  const pages = (await get(`/sessions/${id}/events?since=${rnd.first_seq - 1}&limit=1000&type=translate`)).events
    .filter((e) => e.seq <= rnd.last_seq).map((e) => BigInt(e.vaddr ?? e.addr) - base);
  assert.equal(pages.length, 64);
  assert.ok(pages.every((o) => o >= 0n && o < 8n * 4096n && o % 4096n === 0n), 'inside, on stride');
  const order = pages.map((o) => Number(o / 4096n));
  assert.notDeepEqual(order, Array.from({ length: 64 }, (_, i) => i % 8), 'not the sequential walk');
  assert.ok(new Set(order).size >= 6, `most pages visited: ${order}`);
  const bad = await applyOps(d.url, id, { op: 'access_range', start: area.addr, length: 4096, pattern: 'zigzag' });
  assert.equal(bad.results[0].ok, false);
  assert.equal(bad.results[0].errno, 'EINVAL');
  assert.match(bad.results[0].message, /pattern .*seq or random.*zigzag/);
});

// L1 hits of a cyclic sweep over 5 pages of one 4-way set, 50 times round.
async function sweepHits(policy, seed) {
  const id = await createSession(d.url, { mem_mib: 256, seed, tlb: { policy,
    l1_4k: { entries: 4, ways: 4 }, stlb: { entries: 0, ways: 1 } } }, `policy-${policy}`);
  assert.equal((await get(`/sessions/${id}/tlb?cpu=0`)).policy, policy);
  const [area] = await ok(id, { op: 'vmalloc', size: 5 * 4096 });
  await ok(id, { op: 'tlb_flush', cpu: 0, scope: 'all' });
  const [r] = await ok(id, { op: 'access_range', start: area.addr, length: 5 * 4096, stride: 4096,
                             pattern: 'seq', count: 250 });
  await d.url && fetch(`${d.url}/api/v1/sessions/${id}`, { method: 'DELETE' });
  return r.hits;
}

test('tlb.policy: lru and fifo miss every time on a sweep one page larger than a set, random does not', async () => {
  assert.equal(await sweepHits('lru', 1), 0);
  assert.equal(await sweepHits('fifo', 1), 0);
  const random = [await sweepHits('random', 1), await sweepHits('random', 2)];
  for (const h of random)
    assert.ok(h >= 50 && h <= 225, `random: ${h} hits of 250`);
  const bad = await (await fetch(`${d.url}/api/v1/sessions`, { method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ machine: { tlb: { policy: 'clock' } } }) })).json();
  assert.match(bad.error.message, /policy/);
});

test('a machine of two nodes: zones per node, allocations on the node asked for', async () => {
  const id = await createSession(d.url, { mem_mib: 2048, nodes: 2, cpus: 2 }, 'two-nodes');
  const view = await get(`/sessions/${id}/zones`);
  assert.equal(view.nodes, 2);
  const populated = view.zones.filter((z) => z.populated);
  const nodes = new Set(populated.map((z) => z.node));
  assert.deepEqual([...nodes].sort(), [0, 1]);
  const range = (n) => {
    const zs = populated.filter((z) => z.node === n);
    return [Math.min(...zs.map((z) => z.start_pfn)), Math.max(...zs.map((z) => z.start_pfn + z.spanned))];
  };
  const [r0, r1] = await ok(id, [{ op: 'alloc_pages', gfp: 'GFP_KERNEL', order: 2, node: 0 },
                                 { op: 'alloc_pages', gfp: 'GFP_KERNEL', order: 2, node: 1 }]);
  assert.equal(r0.node, 0);
  assert.equal(r1.node, 1);
  for (const [r, n] of [[r0, 0], [r1, 1]]) {
    const [lo, hi] = range(n);
    assert.ok(r.pfn >= lo && r.pfn < hi, `node ${n}: pfn ${r.pfn} in [${lo}, ${hi})`);
    assert.equal((await get(`/sessions/${id}/pages/${r.pfn}`)).node, n);
  }
  const zoneinfo = await (await fetch(`${d.url}/api/v1/sessions/${id}/proc/zoneinfo`)).text();
  assert.match(zoneinfo, /^Node 1, zone/m);
  const bad = await applyOps(d.url, id, { op: 'alloc_pages', gfp: 'GFP_KERNEL', node: 2 });
  assert.equal(bad.results[0].ok, false);
  assert.equal(bad.results[0].errno, 'EINVAL');
  await ok(id, { op: 'check' });
});

// The metrics as { 'name{labels}': value }.
async function metrics() {
  const text = await (await fetch(`${d.url}/metrics`)).text();
  return Object.fromEntries(text.split('\n').filter((l) => l && !l.startsWith('#'))
    .map((l) => { const i = l.lastIndexOf(' '); return [l.slice(0, i), Number(l.slice(i + 1))]; }));
}

const sumOf = (m, prefix) => Object.entries(m).filter(([k]) => k.startsWith(prefix))
  .reduce((n, [, v]) => n + v, 0);

// Poll @fn until it returns true (the recorder commits in its own time).
async function until(fn, what) {
  for (let i = 0; i < 200; i++) {
    if (await fn())
      return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`never: ${what}`);
}

test('the metrics move with what the daemon does', async () => {
  const m0 = await metrics();
  const names = new Set(Object.keys(m0).map((k) => k.replace(/\{.*/, '').replace(/_(bucket|sum|count)$/, '')));
  for (const n of ['sessions_live', 'sessions_resident', 'sessions_hibernated', 'sessions_resident_bytes',
                   'sessions_max_memory_bytes', 'sessions_hibernations_total', 'sessions_wake_seconds', 'ops_total', 'ops_failed_total', 'http_requests_total',
                   'http_request_duration_seconds', 'stream_clients', 'events_recorded_total',
                   'recorder_queue_depth', 'recorder_queue_capacity', 'recorder_lag_seconds',
                   'recorder_waits_total', 'recorder_transactions_total', 'recorder_failed',
                   'snapshots_stored_total', 'snapshots_loaded_total'])
    assert.ok(names.has(`mmlab_${n}`), `mmlab_${n}`);
  const id = await createSession(d.url, { mem_mib: 128 }, 'metrics');
  const s0 = (await get(`/sessions/${id}`)).last_seq;
  const m1 = await metrics();
  assert.equal(m1.mmlab_sessions_live, m0.mmlab_sessions_live + 1);
  assert.ok(m1.mmlab_sessions_resident_bytes <= m1.mmlab_sessions_max_memory_bytes);
  const r = await applyOps(d.url, id, [{ op: 'alloc_pages', order: 0 }, { op: 'alloc_pages', order: 0 },
                                       { op: 'free_pages', pfn: 0, order: 0 }]);
  assert.deepEqual(r.results.map((x) => x.ok), [true, true, false]);
  const last = (await get(`/sessions/${id}`)).last_seq;
  await until(async () => (await metrics()).mmlab_events_recorded_total >= m1.mmlab_events_recorded_total + (last - s0),
              'the session\'s events committed');
  const m2 = await metrics();
  assert.equal(m2.mmlab_ops_total, m1.mmlab_ops_total + 3);
  assert.equal(m2.mmlab_ops_failed_total, m1.mmlab_ops_failed_total + 1);
  assert.ok(m2.mmlab_recorder_transactions_total > m1.mmlab_recorder_transactions_total);
  assert.equal(m2.mmlab_recorder_failed, 0);
  assert.ok(m2.mmlab_recorder_queue_depth >= 0 && m2.mmlab_recorder_queue_depth <= m2.mmlab_recorder_queue_capacity + 3 * 16384);
  assert.ok(m2.mmlab_recorder_queue_capacity > 0 && m2.mmlab_recorder_lag_seconds >= 0 &&
            m2.mmlab_recorder_waits_total >= 0);
  // Requests are counted by route and status, and timed: the histogram counts them all.
  const route = (m, status) => sumOf(m, `mmlab_http_requests_total{method="GET",route="/api/v1/sessions/{id}",status="${status}"`);
  const before404 = route(m2, 404);
  await fetch(`${d.url}/api/v1/sessions/999999`);
  const m3 = await metrics();
  assert.equal(route(m3, 404), before404 + 1);
  assert.equal(sumOf(m3, 'mmlab_http_request_duration_seconds_count'), sumOf(m3, 'mmlab_http_requests_total'));
  // A stream client is counted while it is connected.
  const ac = new AbortController();
  const stream = await fetch(`${d.url}/api/v1/sessions/${id}/stream`, { signal: ac.signal });
  assert.equal(stream.status, 200);
  await until(async () => (await metrics()).mmlab_stream_clients === m0.mmlab_stream_clients + 1, 'one stream client');
  ac.abort();
  await until(async () => (await metrics()).mmlab_stream_clients === m0.mmlab_stream_clients, 'the client gone');
  await fetch(`${d.url}/api/v1/sessions/${id}`, { method: 'DELETE' });
  assert.equal((await metrics()).mmlab_sessions_live, m0.mmlab_sessions_live);
});

// Can this host bind the IPv6 loopback?
function hasIpv6Loopback() {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(0, '::1', () => s.close(() => resolve(true)));
  });
}

test('--listen [::1] serves the API on the IPv6 loopback without a token', async (t) => {
  if (!await hasIpv6Loopback()) {
    t.skip('this host has no IPv6 loopback (::1 cannot be bound)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'mmlab-v6-'));
  const webRoot = process.env.MMLAB_WEB_ROOT ? ['--web-root', process.env.MMLAB_WEB_ROOT] : [];
  const child = spawn(mmlabdPath, ['--listen', '[::1]:0', '--db', join(dir, 'db'), ...webRoot],
                      { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let log = '';
    const port = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening line:\n${log}`)), 15000);
      child.stderr.on('data', (b) => {
        log += b;
        const m = /listening on http:\/\/\[::1\]:(\d+)\//.exec(log);
        if (m) { clearTimeout(timer); resolve(Number(m[1])); }
      });
      child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`exited ${code}:\n${log}`)); });
    });
    const health = await (await fetch(`http://[::1]:${port}/api/v1/health`)).json();
    assert.equal(health.status, 'ok');
    const created = await fetch(`http://[::1]:${port}/api/v1/sessions`, { method: 'POST',
      headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'v6' }) });
    assert.equal(created.status, 201, 'loopback: no token needed to change things');
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r() : child.on('exit', r)));
    rmSync(dir, { recursive: true, force: true });
  }
});
