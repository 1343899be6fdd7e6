// replay.test.mjs - the recorder and time travel: every view at every past
// seq, verify, fork, export/import, and a kill -9 in the middle of a workload.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, getJson, postJson, createSession } from './lib/daemon.mjs';

let d;
before(async () => { d = await startDaemon(); });
after(async () => { await d.stop(); });

const PROCS = ['buddyinfo', 'pagetypeinfo', 'zoneinfo', 'meminfo', 'slabinfo', 'vmallocinfo'];

// A deterministic pseudo-random generator, so a failure can be replayed.
function prng(seed) {
  let x = seed >>> 0;
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x / 2 ** 32; };
}

async function text(url) {
  const r = await fetch(url);
  assert.equal(r.status, 200, url);
  return r.text();
}

const newSession = (base, machine, name = 'replay') => createSession(base, machine, name);

// One random op over the blocks and objects held so far: pages, kmalloc
// objects (slab and large), vmalloc areas.
function randomOp(rand, held, objects = null) {
  const gfps = ['GFP_KERNEL', 'GFP_ATOMIC', 'GFP_DMA32', 'GFP_HIGHUSER_MOVABLE',
                'GFP_KERNEL|__GFP_RECLAIMABLE', 'GFP_DMA', 'GFP_NOWAIT|__GFP_ZERO'];
  const r = rand();
  if (objects && r < 0.35) {
    if (objects.length && rand() < 0.45) {
      const [o] = objects.splice(Math.floor(rand() * objects.length), 1);
      return { op: o.vmalloc ? 'vfree' : 'kfree', addr: o.addr };
    }
    const pick = rand();
    if (pick < 0.15) return { op: 'vmalloc', size: 4096 * (1 + Math.floor(rand() * 8)) };
    const size = pick < 0.3 ? 8193 + Math.floor(rand() * 40000) : 1 + Math.floor(rand() * 3000);
    return { op: 'kmalloc', size, gfp: rand() < 0.2 ? 'GFP_DMA' : 'GFP_KERNEL', cpu: Math.floor(rand() * 2) };
  }
  if (held.length && rand() < 0.45) {
    const [b] = held.splice(Math.floor(rand() * held.length), 1);
    return { op: 'free_pages', pfn: b.pfn, order: b.order, cpu: Math.floor(rand() * 2) };
  }
  return { op: 'alloc_pages', gfp: gfps[Math.floor(rand() * gfps.length)],
           order: Math.floor(rand() ** 2 * 11), cpu: Math.floor(rand() * 2) };
}

test('time travel over pages, kmalloc and vmalloc: every view at every recorded point equals what was live then', async () => {
  const seed = 20261125;
  const rand = prng(seed);
  const base = `${d.url}/api/v1/sessions`;
  const id = await newSession(d.url, { mem_mib: 256 });
  const held = [], objects = [];
  const snapshots = [];
  for (let i = 0; i < 80; i++) {
    const op = randomOp(rand, held, objects);
    const r = await postJson(`${base}/${id}/ops`, op);
    assert.equal(r.status, 200);
    const res = r.body.results[0];
    if (op.op === 'alloc_pages' && res.ok) held.push({ pfn: res.pfn, order: res.order });
    if ((op.op === 'kmalloc' || op.op === 'vmalloc') && res.ok)
      objects.push({ addr: res.addr, vmalloc: op.op === 'vmalloc' });
    if ((op.op === 'kfree' || op.op === 'vfree'))
      assert.equal(res.ok, true, JSON.stringify(res));
    const live = {};
    for (const p of PROCS) live[p] = await text(`${base}/${id}/proc/${p}`);
    live.zones = (await getJson(`${base}/${id}/zones`)).body;
    snapshots.push({ seq: r.body.last_seq, live });
  }
  // Walk back in time in a scrambled order, so the replay cache is exercised both ways.
  const order = snapshots.map((_, i) => i).sort(() => rand() - 0.5);
  for (const i of order) {
    const { seq, live } = snapshots[i];
    for (const p of PROCS)
      assert.equal(await text(`${base}/${id}/proc/${p}?at=${seq}`), live[p], `seed ${seed}: ${p} at ${seq}`);
    const zones = (await getJson(`${base}/${id}/zones?at=${seq}`)).body;
    assert.deepEqual(zones, live.zones, `seed ${seed}: zones at ${seq}`);
  }
  // A seq inside an op answers too, as the machine was at that event.
  const tl = (await getJson(`${base}/${id}/timeline`)).body;
  const multi = tl.ops.find((o) => o.first_seq !== undefined && o.last_seq > o.first_seq);
  assert.ok(multi, 'some op emitted several events');
  const mid = await getJson(`${base}/${id}/zones?at=${multi.first_seq}`);
  assert.equal(mid.status, 200);
  assert.equal(mid.body.seq, multi.first_seq);
  const beyond = await getJson(`${base}/${id}/zones?at=${tl.last_seq + 1000}`);
  assert.equal(beyond.status, 400);
  assert.equal(beyond.body.error.code, 'ERANGE');
  const verify = await getJson(`${base}/${id}/verify`);
  assert.deepEqual({ ok: verify.body.ok }, { ok: true }, JSON.stringify(verify.body));
  assert.equal(verify.body.events, tl.last_seq);
});

test('events: seqs from 1 without gaps, filters by type, limits', async () => {
  const base = `${d.url}/api/v1/sessions`;
  const id = await newSession(d.url, { mem_mib: 128 });
  await postJson(`${base}/${id}/ops`, [{ op: 'alloc_pages', order: 3 }, { op: 'alloc_pages', order: 0 }]);
  let since = 0, n = 0;
  for (;;) {
    const r = await getJson(`${base}/${id}/events?since=${since}&limit=500`);
    assert.equal(r.status, 200);
    if (!r.body.events.length) break;
    for (const ev of r.body.events) assert.equal(ev.seq, ++n);
    since = r.body.next_since;
  }
  const info = (await getJson(`${base}/${id}`)).body;
  assert.equal(n, info.last_seq);
  const allocs = (await getJson(`${base}/${id}/events?type=mm_page_alloc&limit=10000`)).body.events;
  assert.ok(allocs.length >= 2);
  for (const ev of allocs) {
    assert.equal(ev.type, 'mm_page_alloc');
    assert.match(ev.zone, /^(DMA|DMA32|Normal)$/);
  }
  assert.equal((await getJson(`${base}/${id}/events?limit=10001`)).status, 400);
  assert.equal((await getJson(`${base}/${id}/events?type=bogus`)).status, 400);
  assert.equal((await getJson(`${base}/999999/events`)).status, 404);
});

test('fork starts a live session in the past state', async () => {
  const base = `${d.url}/api/v1/sessions`;
  const id = await newSession(d.url, { mem_mib: 128 });
  const a = (await postJson(`${base}/${id}/ops`, [{ op: 'alloc_pages', order: 4 }, { op: 'alloc_pages', order: 2 }])).body;
  const then = await text(`${base}/${id}/proc/buddyinfo`);
  await postJson(`${base}/${id}/ops`, [{ op: 'alloc_pages', order: 6 }, { op: 'free_pages', pfn: a.results[0].pfn, order: 4 }]);
  const f = await postJson(`${base}/${id}/fork`, { at: a.last_seq, name: 'what-if' });
  assert.equal(f.status, 201, JSON.stringify(f.body));
  assert.equal(f.body.at, a.last_seq);
  assert.equal(await text(`${base}/${f.body.id}/proc/buddyinfo`), then);
  const info = (await getJson(`${base}/${f.body.id}`)).body;
  assert.equal(info.state, 'live');
  assert.equal(info.name, 'what-if');
  // The fork goes its own way.
  const r = await postJson(`${base}/${f.body.id}/ops`, { op: 'alloc_pages', order: 1 });
  assert.equal(r.body.results[0].ok, true);
  assert.equal((await postJson(`${base}/${id}/fork`, { at: 10 ** 12 })).status, 400);
  assert.equal((await postJson(`${base}/999999/fork`, { at: 1 })).status, 404);
});

test('export then import round-trips a session', async () => {
  const base = `${d.url}/api/v1/sessions`;
  const id = await newSession(d.url, { mem_mib: 128 }, 'to-export');
  await postJson(`${base}/${id}/ops`, [{ op: 'alloc_pages', order: 5 }, { op: 'alloc_pages', gfp: 'GFP_DMA' }]);
  const file = await fetch(`${base}/${id}/export`);
  assert.equal(file.status, 200);
  assert.equal(file.headers.get('content-type'), 'application/vnd.sqlite3');
  const bytes = Buffer.from(await file.arrayBuffer());
  assert.equal(bytes.subarray(0, 15).toString(), 'SQLite format 3');
  const imp = await fetch(`${base}/import`, { method: 'POST', body: bytes,
    headers: { 'Content-Type': 'application/vnd.sqlite3' } });
  assert.equal(imp.status, 201);
  const [newId] = (await imp.json()).ids;
  const orig = (await getJson(`${base}/${id}/events?limit=10000`)).body.events;
  const copy = (await getJson(`${base}/${newId}/events?limit=10000`)).body.events;
  assert.deepEqual(copy, orig);
  // The imported session's events are found by type and page as the original's.
  for (const q of ['type=mm_page_alloc', `pfn=${orig.find((e) => e.pfn != null).pfn}`]) {
    const want = (await getJson(`${base}/${id}/events?${q}`)).body.events;
    assert.ok(want.length > 0, q);
    assert.deepEqual((await getJson(`${base}/${newId}/events?${q}`)).body.events, want, q);
  }
  assert.equal(await text(`${base}/${newId}/proc/buddyinfo`), await text(`${base}/${id}/proc/buddyinfo`));
  assert.equal((await getJson(`${base}/${newId}/verify`)).body.ok, true);
  const junk = await fetch(`${base}/import`, { method: 'POST', body: 'not a database at all'.repeat(10) });
  assert.equal(junk.status, 400);
});

test('kill -9 in the middle of a workload leaves a sound, replayable database', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mmlab-kill-'));
  const s = await startDaemon({ dbDir: dir });
  const base = `${s.url}/api/v1/sessions`;
  const id = await newSession(s.url, { mem_mib: 512 }, 'doomed');
  const rand = prng(7);
  const held = [];
  for (let i = 0; i < 5; i++) {
    const batch = Array.from({ length: 2000 }, () => randomOp(rand, held));
    const r = await postJson(`${base}/${id}/ops`, batch);
    r.body.results.forEach((res, j) => {
      if (batch[j].op === 'alloc_pages' && res.ok) held.push({ pfn: res.pfn, order: res.order });
    });
  }
  // One more big batch, killed while it runs: once the recorder has committed
  // some of its events (the database says so), and before its answer comes.
  const lastBefore = (await getJson(`${base}/${id}`)).body.last_seq;
  const stored = () => Number(execFileSync('sqlite3', [s.db,
    `SELECT coalesce(max(seq), 0) FROM events WHERE session_id = ${id}`]).toString().trim());
  let answered = false;
  // (workloads of 3000 allocations and frees each: long enough that the
  // recorder's backlog is written well before the batch could end)
  const pending = postJson(`${base}/${id}/ops`, Array.from({ length: 100 }, (_, i) =>
    ({ op: 'workload', kind: 'random', count: 3000, seed: 1000 + i })))
    .then(() => { answered = true; }, () => null);
  while (stored() <= lastBefore && !answered)
    await new Promise((r) => setTimeout(r, 5));
  s.child.kill('SIGKILL');
  await s.exited;
  await pending;
  assert.equal(answered, false, 'the kill landed before the batch was answered');
  assert.equal(execFileSync('sqlite3', [s.db, 'PRAGMA integrity_check']).toString().trim(), 'ok');
  const gaps = execFileSync('sqlite3', [s.db,
    `SELECT count(*), coalesce(max(seq), 0) FROM events WHERE session_id = ${id}`]).toString().trim();
  const [count, maxSeq] = gaps.split('|').map(Number);
  assert.equal(count, maxSeq, 'a gap-free prefix');
  assert.ok(maxSeq > lastBefore, `part of the killed batch was stored (${maxSeq} > ${lastBefore})`);
  const s2 = await startDaemon({ dbDir: dir });
  try {
    const list = (await getJson(`${s2.url}/api/v1/sessions`)).body.sessions;
    const doomed = list.find((x) => x.id === id);
    assert.equal(doomed.state, 'crashed');
    assert.equal(doomed.last_seq, maxSeq);
    const v = await getJson(`${s2.url}/api/v1/sessions/${id}/verify`);
    assert.equal(v.body.ok, true, JSON.stringify(v.body));
    const z = await getJson(`${s2.url}/api/v1/sessions/${id}/zones`);
    assert.equal(z.status, 200);
    assert.equal(z.body.seq, maxSeq, 'replays up to the last committed event');
    assert.equal(list.filter((x) => x.name === 'default' && x.state === 'live').length, 1);
  } finally {
    await s2.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

// The shape a crash leaves when a batch boundary falls inside an op: the op's
// row is stored without its seq range (its end never was) and only part of
// its events. Built by hand so that it does not depend on the kill's timing.
test('a crashed session whose last op never ended replays to its last stored event', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mmlab-cut-'));
  const ops = [
    { op: 'alloc_pages', order: 3, gfp: 'GFP_KERNEL' },
    { op: 'check' },
    { op: 'kfree', addr: '0x1' },
    { op: 'workload', kind: 'random', count: 300, seed: 5 },
  ];
  const s = await startDaemon({ dbDir: dir });
  const base = `${s.url}/api/v1/sessions`;
  const ids = [];
  for (const name of ['intact', 'cut']) {
    const id = await newSession(s.url, { mem_mib: 256 }, name);
    await postJson(`${base}/${id}/ops`, ops);
    ids.push(id);
  }
  await s.stop({ keep: true });
  const [intact, cut] = ids;
  const q = (sql) => execFileSync('sqlite3', [s.db, sql]).toString().trim();
  const [first, last] = q(`SELECT first_seq, last_seq FROM ops WHERE session_id = ${cut}
                           ORDER BY op_no DESC LIMIT 1`).split('|').map(Number);
  assert.ok(last - first > 10, 'the workload op holds many events');
  const empty = q(`SELECT count(*) FROM ops WHERE session_id = ${cut} AND last_seq IS NULL`);
  assert.ok(Number(empty) >= 1, 'some op produced no event');
  const mid = first + Math.floor((last - first) / 2);
  q(`UPDATE ops SET first_seq = NULL, last_seq = NULL WHERE session_id = ${cut} AND first_seq = ${first};
     DELETE FROM events WHERE session_id = ${cut} AND seq > ${mid};
     UPDATE sessions SET state = 'crashed', last_seq = ${mid} WHERE id = ${cut};`);
  const s2 = await startDaemon({ dbDir: dir });
  try {
    const b2 = `${s2.url}/api/v1/sessions`;
    const z = await getJson(`${b2}/${cut}/zones`);
    assert.equal(z.status, 200);
    assert.equal(z.body.seq, mid, 'replays up to the last stored event, inside the op');
    for (const p of PROCS) {
      assert.equal(await text(`${b2}/${cut}/proc/${p}`), await text(`${b2}/${intact}/proc/${p}?at=${mid}`), p);
    }
    // A target before the empty ops and the cut op, then one between them.
    const early = Number(q(`SELECT last_seq FROM ops WHERE session_id = ${cut} AND op_no = 1`));
    assert.equal(await text(`${b2}/${cut}/proc/buddyinfo?at=${early}`),
                 await text(`${b2}/${intact}/proc/buddyinfo?at=${early}`));
    const v = await getJson(`${b2}/${cut}/verify`);
    assert.equal(v.body.ok, true, JSON.stringify(v.body));
    assert.equal(v.body.events, mid);
  } finally {
    await s2.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

// Stored snapshots: a replay offers the machine every --snapshot-interval ops
// to the database, and after a restart a seek starts from the nearest one. A
// snapshot of another engine build, or a damaged one, is skipped: the views
// stay exactly what re-execution from the first op gives.
test('replay snapshots outlive the daemon; foreign or damaged ones are skipped', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mmlab-snap-'));
  const args = ['--snapshot-interval', '4'];
  const metric = async (url, name) =>
    Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(await text(`${url}/metrics`))[1]);
  const ops = [];
  for (let i = 0; i < 8; i++) {
    const b = ops.length;
    ops.push({ op: 'alloc_pages', order: i % 4, gfp: 'GFP_KERNEL' },
             { op: 'kmalloc', size: 100 + 300 * i, gfp: 'GFP_KERNEL' },
             { op: 'vmalloc', size: 4096 * (3 + i) },
             { op: 'workload', kind: 'random', count: 40, seed: i + 1 });
    if (i % 2) ops.push({ op: 'kfree', addr: `$${b + 1}.addr` }, { op: 'vfree', addr: `$${b + 2}.addr` });
  }
  let s = await startDaemon({ dbDir: dir, args });
  const id = await newSession(s.url, { mem_mib: 1024, cpus: 2 }, 'snap');
  const res = await postJson(`${s.url}/api/v1/sessions/${id}/ops`, ops);
  assert.equal(res.status, 200);
  const last = res.body.last_seq;
  const seqs = [Math.floor(last / 3), Math.floor(last / 2), last - 7];
  const views = async (url) => {
    const out = [];
    for (const at of seqs) {
      for (const p of ['buddyinfo', 'zoneinfo', 'slabinfo', 'vmallocinfo']) {
        out.push(await text(`${url}/api/v1/sessions/${id}/proc/${p}?at=${at}`));
      }
    }
    return out;
  };
  const before = await views(s.url);
  const q = (sql) => execFileSync('sqlite3', [s.db, sql]).toString().trim();
  for (let i = 0; i < 100 && await metric(s.url, 'mmlab_snapshots_stored_total') < 3; i++) {
    await views(s.url);		// each replay offers what is not stored yet
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(await metric(s.url, 'mmlab_snapshots_stored_total') >= 3);
  assert.ok(Number(q(`SELECT count(*) FROM snapshots WHERE session_id = ${id}`)) >= 3);
  // Compressed: far smaller than the 1 GiB machine's 16 MiB of struct pages.
  assert.ok(Number(q(`SELECT max(length(state)) FROM snapshots`)) < 4 << 20);
  await s.stop({ keep: true });
  try {
    s = await startDaemon({ dbDir: dir, args });
    assert.deepEqual(await views(s.url), before, 'the same views from stored snapshots');
    assert.ok(await metric(s.url, 'mmlab_snapshots_loaded_total') >= 1);
    assert.equal((await getJson(`${s.url}/api/v1/sessions/${id}/verify`)).body.ok, true);
    await s.stop({ keep: true });

    // Another build's snapshots: never loaded, and replaced as replays pass them.
    // (|| gives text: cast back, so that the bytes stay a blob)
    q(`UPDATE snapshots SET state = CAST(CAST('0.0.0-other' AS BLOB) || substr(state, instr(state, X'0a')) AS BLOB)`);
    s = await startDaemon({ dbDir: dir, args });
    assert.deepEqual(await views(s.url), before);
    assert.equal(await metric(s.url, 'mmlab_snapshots_loaded_total'), 0);
    for (let i = 0; i < 100 && await metric(s.url, 'mmlab_snapshots_stored_total') < 1; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(await metric(s.url, 'mmlab_snapshots_stored_total') >= 1, 'stored again by this build');
    await s.stop({ keep: true });

    // Damaged after the build line: skipped with a warning, dropped, views unchanged.
    const rows = Number(q(`SELECT count(*) FROM snapshots WHERE substr(state, 1, 5) = CAST('0.0.0' AS BLOB)`));
    q(`DELETE FROM snapshots WHERE substr(state, 1, 5) = CAST('0.0.0' AS BLOB);
       UPDATE snapshots SET state = CAST(substr(state, 1, length(state) - 64) || zeroblob(64) AS BLOB)`);
    const damaged = Number(q('SELECT count(*) FROM snapshots WHERE substr(state, -64) = zeroblob(64)'));
    assert.ok(damaged >= 1, `${rows} foreign rows were left`);
    s = await startDaemon({ dbDir: dir, args });
    assert.deepEqual(await views(s.url), before);
    assert.equal(await metric(s.url, 'mmlab_snapshots_loaded_total'), 0);
    assert.match(s.stderr(), /snapshot at seq \d+ is not usable/);
    const zeroTail = 'SELECT count(*) FROM snapshots WHERE substr(state, -64) = zeroblob(64)';
    assert.ok(Number(q(zeroTail)) < damaged, 'a damaged one is dropped (or stored again, whole)');
  } finally {
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

// A live session offers its machine to the snapshots table while it records
// (every --snapshot-events events, within a budget), so that the first seek
// in the daemon recording it starts near its target instead of at the first
// op; the views from those snapshots are exactly what was live.
test('a live session stores snapshots as it records; seeks in the same daemon start from them', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mmlab-livesnap-'));
  const metric = async (url, name) =>
    Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(await text(`${url}/metrics`))[1]);
  const s = await startDaemon({ dbDir: dir, args: ['--snapshot-events', '1500'] });
  try {
    const id = await newSession(s.url, { mem_mib: 256, cpus: 2 }, 'live-snap');
    const base = `${s.url}/api/v1/sessions/${id}`;
    const points = [];
    // Ops until three are stored: an offer also waits until the ops since the
    // last took ten times that offer's clone.
    for (let i = 0; i < 80 && (i < 8 || await metric(s.url, 'mmlab_snapshots_stored_total') < 3); i++) {
      const r = await postJson(`${base}/ops`, [
        { op: 'workload', kind: 'random', count: 300, seed: 100 + i },
        { op: 'vmalloc', size: 4096 * (2 + i) },
        { op: 'access_range', start: '$1.addr', length: 4096 * (2 + i), count: 1500 },
      ]);
      assert.equal(r.status, 200);
      const views = [];
      for (const p of ['buddyinfo', 'zoneinfo', 'slabinfo', 'vmallocinfo']) views.push(await text(`${base}/proc/${p}`));
      points.push({ seq: r.body.last_seq, views });
    }
    const last = points.at(-1).seq;
    assert.ok(last > 6 * 1500, `${last} events: several snapshot intervals`);
    for (let i = 0; i < 100 && await metric(s.url, 'mmlab_snapshots_stored_total') < 3; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const q = (sql) => execFileSync('sqlite3', [s.db, sql]).toString().trim();
    const stored = q(`SELECT seq FROM snapshots WHERE session_id = ${id} ORDER BY seq`).split('\n').map(Number);
    assert.ok(stored.length >= 3, `stored while recording, before any seek: ${stored}`);
    assert.ok(stored.every((seq) => seq > 0 && seq <= last));
    assert.equal(await metric(s.url, 'mmlab_snapshots_loaded_total'), 0);
    // Latest first: the first seek finds nothing in memory, only the stored ones.
    for (const { seq, views } of [...points].reverse()) {
      const got = [];
      for (const p of ['buddyinfo', 'zoneinfo', 'slabinfo', 'vmallocinfo']) got.push(await text(`${base}/proc/${p}?at=${seq}`));
      assert.deepEqual(got, views, `the views at seq ${seq}`);
    }
    assert.ok(await metric(s.url, 'mmlab_snapshots_loaded_total') >= 1, 'a seek started from a live snapshot');
    assert.equal((await getJson(`${base}/verify`)).body.ok, true);
  } finally {
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('event types are listed by family; the timeline carries each op', async () => {
  const types = (await getJson(`${d.url}/api/v1/event-types`)).body.event_types;
  const byName = Object.fromEntries(types.map((t) => [t.name, t]));
  assert.equal(byName.mm_page_alloc.family, 'buddy');
  assert.equal(byName.triple_fault.family, 'cpu');
  assert.equal(byName.kmalloc.family, 'slab');
  assert.equal(new Set(types.map((t) => t.id)).size, types.length);
  const id = await newSession(d.url, { mem_mib: 64 });
  // An op whose JSON is longer than the daemon's stack buffer for it is logged whole too.
  const long = { op: 'alloc_pages', gfp: `GFP_KERNEL${'|__GFP_ZERO'.repeat(40)}`, order: 0 };
  await postJson(`${d.url}/api/v1/sessions/${id}/ops`, [{ op: 'alloc_pages', gfp: 'GFP_DMA', order: 1 }, long]);
  const tl = (await getJson(`${d.url}/api/v1/sessions/${id}/timeline`)).body;
  assert.deepEqual(tl.ops[0].args, { op: 'alloc_pages', gfp: 'GFP_DMA', order: 1 });
  assert.equal(tl.ops[0].op, 'alloc_pages');
  assert.ok(JSON.stringify(long).length > 400);
  assert.deepEqual(tl.ops[1].args, long);
});

test('events by frame and by address', async () => {
  const base = `${d.url}/api/v1/sessions`;
  const id = await newSession(d.url, { mem_mib: 128 });
  const r = (await postJson(`${base}/${id}/ops`, [{ op: 'alloc_pages', order: 2 }, { op: 'kmalloc', size: 64 },
                                                   { op: 'free_pages', pfn: '$0.pfn', order: 2 }])).body;
  const pfn = r.results[0].pfn;
  const byPfn = (await getJson(`${base}/${id}/events?pfn=${pfn}&limit=10000`)).body.events;
  assert.ok(byPfn.some((e) => e.type === 'mm_page_alloc'));
  assert.ok(byPfn.some((e) => e.type === 'mm_page_free'));
  for (const e of byPfn) assert.equal(e.pfn, pfn);
  const addr = r.results[1].addr;
  const byAddr = (await getJson(`${base}/${id}/events?vaddr=${addr}&type=kmalloc`)).body.events;
  assert.equal(byAddr.length, 1);
  assert.equal(byAddr[0].vaddr, addr);
  assert.equal((await getJson(`${base}/${id}/events?vaddr=nothex`)).status, 400);
  assert.equal((await getJson(`${base}/${id}/events?pfn=-1`)).status, 400);
});

test('filtered events are exactly the matching ones, page after page, across blocks', async () => {
  const base = `${d.url}/api/v1/sessions`;
  const id = await newSession(d.url, { mem_mib: 128 });
  const ops = [];
  for (let i = 0; i < 700; i++) {
    ops.push({ op: 'alloc_pages', order: i % 3 }, { op: 'kmalloc', size: 32 << (i % 6) });
    // Free every fourth allocation, so that its frames come back in later blocks of events.
    if (i % 4 === 3) ops.push({ op: 'free_pages', pfn: `$${ops.length - 2}.pfn`, order: i % 3 });
  }
  ops.push({ op: 'vmalloc', size: 1 << 20 });
  assert.equal((await postJson(`${base}/${id}/ops`, ops)).status, 200);
  const pages = async (query, limit) => {
    const out = [];
    for (let since = 0; ;) {
      const page = (await getJson(`${base}/${id}/events?since=${since}&limit=${limit}${query}`)).body;
      if (!page.events.length) return out;
      out.push(...page.events);
      since = page.next_since;
    }
  };
  const all = await pages('', 1000);
  assert.ok(all.length > 4 * 1024, `${all.length} events`);
  assert.deepEqual(all.map((e) => e.seq), all.map((_, i) => i + 1));
  const seqs = (pred) => all.filter(pred).map((e) => e.seq);
  const common = (field) => {
    const n = new Map();
    for (const e of all) if (e[field] !== undefined && e[field] !== null) n.set(e[field], (n.get(e[field]) ?? 0) + 1);
    return [...n].sort((a, b) => b[1] - a[1]).map(([v]) => v);
  };
  const pfns = common('pfn');
  const addrs = common('vaddr');
  const last = all.findLast((e) => e.pfn !== undefined && e.pfn !== null);
  const cases = [
    ...pfns.slice(0, 3).map((p) => [`&pfn=${p}`, (e) => e.pfn === p]),
    [`&pfn=${last.pfn}`, (e) => e.pfn === last.pfn],
    [`&pfn=${pfns.at(-1)}`, (e) => e.pfn === pfns.at(-1)],
    ['&pfn=999999999', () => false],
    ...addrs.slice(0, 2).map((a) => [`&vaddr=${a}`, (e) => e.vaddr === a]),
    ...[...new Set(all.map((e) => e.type))].map((t) => [`&type=${t}`, (e) => e.type === t]),
    [`&type=mm_page_free&pfn=${pfns[0]}`, (e) => e.type === 'mm_page_free' && e.pfn === pfns[0]],
  ];
  for (const [query, pred] of cases) {
    const want = seqs(pred);
    assert.deepEqual((await pages(query, 7)).map((e) => e.seq), want, query);
    const first = (await getJson(`${base}/${id}/events?limit=3${query}`)).body.events;
    assert.deepEqual(first.map((e) => e.seq), want.slice(0, 3), `${query}, first page`);
  }
});

test('export as Chrome trace-event JSON: every event, every op', async () => {
  const base = `${d.url}/api/v1/sessions`;
  const id = await newSession(d.url, { mem_mib: 64 });
  await postJson(`${base}/${id}/ops`, [{ op: 'alloc_pages', order: 1 }, { op: 'kmalloc', size: 100 }]);
  const r = await fetch(`${base}/${id}/export?format=chrome`);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'application/json');
  const trace = await r.json();
  const info = (await getJson(`${base}/${id}`)).body;
  const instants = trace.traceEvents.filter((e) => e.ph === 'i');
  assert.equal(instants.length, info.last_seq);
  assert.deepEqual(instants.map((e) => e.ts), Array.from({ length: info.last_seq }, (_, i) => i + 1));
  const ops = trace.traceEvents.filter((e) => e.ph === 'X');
  assert.deepEqual(ops.map((e) => e.name), ['alloc_pages', 'kmalloc']);
  const kmalloc = instants.find((e) => e.name === 'kmalloc');
  assert.match(kmalloc.args.vaddr, /^0xffff888/);
  assert.equal(kmalloc.args.detail, 'kmalloc-128');
  assert.equal((await fetch(`${base}/${id}/export?format=pdf`)).status, 400);
});
