// reclaim.test.mjs - a session that reclaims and swaps: kswapd and direct
// reclaim run inside its ops, anonymous pages go to swap and come back on
// major faults, and the stored session replays exactly (verify), answers
// every view at a past seq as it was live, and forks from there.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, getJson, postJson, createSession } from './lib/daemon.mjs';

let d;
before(async () => { d = await startDaemon(); });
after(async () => { await d.stop(); });

async function text(url) {
  const r = await fetch(url);
  assert.equal(r.status, 200, url);
  return r.text();
}

function field(procText, name) {
  const m = procText.match(new RegExp(`^${name.replace(/[()]/g, '\\$&')}:?\\s+(\\d+)`, 'm'));
  assert.ok(m, `${name} in ${procText.slice(0, 200)}`);
  return Number(m[1]);
}

async function ops(base, id, list) {
  const r = await postJson(`${base}/${id}/ops`, list);
  assert.equal(r.status, 200, JSON.stringify(r.body).slice(0, 300));
  return r.body;
}

const VIEWS = ['proc/meminfo', 'proc/swaps', 'proc/vmstat', 'proc/zoneinfo', 'proc/buddyinfo'];

// The last sampled value of each reclaim counter (GET .../pressure).
async function counters(base, id) {
  const p = (await getJson(`${base}/${id}/pressure?points=2`)).body;
  return Object.fromEntries(Object.entries(p.series).map(([k, v]) => [k, v.at(-1)]));
}

test('a session that reclaims and swaps replays, travels back and forks exactly', async () => {
  const base = `${d.url}/api/v1/sessions`;
  const id = await createSession(d.url, { mem_mib: 128, swap_mib: 64 }, 'swap');
  const spawn = await ops(base, id, { op: 'spawn', name: 'anon' });
  const pid = spawn.results[0].pid;
  const mm = await ops(base, id, { op: 'mmap', pid, length: 24 << 20, prot: 'rw-' });
  const addr = mm.results[0].addr;
  await ops(base, id, { op: 'touch', pid, addr, length: 24 << 20, access: 'write' });

  // Kernel pages squeeze the anonymous ones out, one op at a time.
  const held = [];
  const snaps = [];
  for (let round = 0; round < 60; round++) {
    const body = await ops(base, id, Array.from({ length: 400 }, () => ({ op: 'alloc_pages', order: 0 })));
    for (const r of body.results) if (r.ok) held.push(r.pfn);
    const live = {};
    for (const v of VIEWS) live[v] = await text(`${base}/${id}/${v}`);
    snaps.push({ seq: body.last_seq, live });
    if (body.results.some((r) => !r.ok)) break;
  }
  const swaps = await text(`${base}/${id}/proc/swaps`);
  assert.match(swaps, /^\/dev\/vdb\s+partition\t65532\t/m);
  const c = await counters(base, id);
  assert.ok(c.pswpout > 1000, JSON.stringify(c));
  assert.ok(c.pgsteal_kswapd + c.pgsteal_direct > 1000);
  // every page stolen was scanned first, by the same reclaimer
  assert.ok(c.pgscan_kswapd >= c.pgsteal_kswapd && c.pgscan_direct >= c.pgsteal_direct, JSON.stringify(c));
  const vmstat = Object.fromEntries((await text(`${base}/${id}/proc/vmstat`)).trim().split('\n')
    .map((l) => l.split(' ')).map(([k, v]) => [k, Number(v)]));
  assert.equal(vmstat.pgscan_kswapd, c.pgscan_kswapd);
  assert.equal(vmstat.pgscan_kswapd + vmstat.pgscan_direct, vmstat.pgscan_anon + vmstat.pgscan_file);
  const meminfo = await text(`${base}/${id}/proc/meminfo`);
  assert.ok(field(meminfo, 'SwapFree') < field(meminfo, 'SwapTotal'));

  // Give the memory back and read the anonymous pages again: major faults.
  for (let i = 0; i < held.length; i += 5000)
    await ops(base, id, held.slice(i, i + 5000).map((pfn) => ({ op: 'free_pages', pfn })));
  const before = (await counters(base, id)).pgmajfault;
  const t = await ops(base, id, { op: 'touch', pid, addr, length: 24 << 20, access: 'read' });
  assert.equal(t.results[0].ok, true, JSON.stringify(t.results[0]));
  const after = await counters(base, id);
  assert.ok(after.pgmajfault - before > 1000, JSON.stringify(after));
  assert.ok(after.pswpin > 1000);

  const types = new Set();
  for (let since = 0; ;) {
    const r = (await getJson(`${base}/${id}/events?since=${since}&limit=10000`)).body;
    if (!r.events.length) break;
    for (const ev of r.events) types.add(ev.type);
    since = r.next_since;
  }
  for (const type of ['mm_vmscan_wakeup_kswapd', 'mm_vmscan_kswapd_wake', 'mm_vmscan_kswapd_sleep',
                      'mm_vmscan_lru_shrink_inactive', 'swap_writepage', 'swap_readpage'])
    assert.ok(types.has(type), `an event ${type}`);

  // Every view at a past seq is what it was live.
  for (const { seq, live } of [snaps[0], snaps[Math.floor(snaps.length / 2)], snaps.at(-1)])
    for (const v of VIEWS)
      assert.equal(await text(`${base}/${id}/${v}?at=${seq}`), live[v], `${v} at ${seq}`);
  const verify = await getJson(`${base}/${id}/verify`);
  assert.equal(verify.body.ok, true, JSON.stringify(verify.body));

  // A fork from the middle of the pressure goes on from exactly there.
  const mid = snaps[Math.floor(snaps.length / 2)];
  const f = await postJson(`${base}/${id}/fork`, { at: mid.seq, name: 'swap-fork' });
  assert.equal(f.status, 201, JSON.stringify(f.body));
  for (const v of VIEWS)
    assert.equal(await text(`${base}/${f.body.id}/${v}`), mid.live[v], `fork ${v}`);
  const more = await ops(base, f.body.id, Array.from({ length: 400 }, () => ({ op: 'alloc_pages', order: 0 })));
  assert.ok(more.results.length === 400);
  const check = await ops(base, f.body.id, { op: 'check' });
  assert.equal(check.results[0].ok, true, JSON.stringify(check.results[0]));
  assert.equal((await getJson(`${base}/${f.body.id}/verify`)).body.ok, true);
});
