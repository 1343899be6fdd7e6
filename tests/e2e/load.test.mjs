// load.test.mjs - many clients at once: 4 sessions x 4 concurrent clients x 20
// op batches each, allocating and freeing pages. Afterwards every session
// replays to the very same events (verify), its events are numbered 1..last
// without a gap, and the daemon answered health checks all along.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, getJson, postJson } from './lib/daemon.mjs';

const SESSIONS = 4, CLIENTS = 4, BATCHES = 20, BATCH = 250;

let d;
before(async () => { d = await startDaemon(); });
after(async () => { await d?.stop(); });

// A deterministic generator, so a failure can be replayed.
function prng(seed) {
  let x = seed >>> 0 || 1;
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x / 2 ** 32; };
}

async function client(id, seed) {
  const rand = prng(seed);
  const held = [];
  for (let b = 0; b < BATCHES; b++) {
    const batch = [];
    for (let i = 0; i < BATCH; i++) {
      if (held.length && rand() < 0.45) {
        const [p] = held.splice(Math.floor(rand() * held.length), 1);
        batch.push({ op: 'free_pages', pfn: p.pfn, order: p.order });
      } else {
        batch.push({ op: 'alloc_pages', gfp: rand() < 0.5 ? 'GFP_KERNEL' : 'GFP_HIGHUSER_MOVABLE', order: Math.floor(rand() * 4) });
      }
    }
    const r = await postJson(`${d.url}/api/v1/sessions/${id}/ops`, batch);
    assert.equal(r.status, 200, JSON.stringify(r.body).slice(0, 300));
    assert.equal(r.body.results.length, BATCH);
    r.body.results.forEach((res, i) => {
      if (batch[i].op === 'alloc_pages' && res.ok) held.push({ pfn: res.pfn, order: res.order });
      if (batch[i].op === 'free_pages') assert.ok(res.ok, `free of an allocated block: ${JSON.stringify(res)}`);
    });
    assert.ok(r.body.last_seq >= r.body.first_seq);
  }
}

// All events of session @id, in pages of 10000.
async function allSeqs(id) {
  const seqs = [];
  let since = 0;
  for (;;) {
    const r = await getJson(`${d.url}/api/v1/sessions/${id}/events?since=${since}&limit=10000`);
    assert.equal(r.status, 200);
    if (!r.body.events.length) return seqs;
    for (const ev of r.body.events) seqs.push(ev.seq);
    since = r.body.next_since;
  }
}

test(`${SESSIONS} sessions x ${CLIENTS} clients x ${BATCHES} batches: consistent, gap-free, responsive`, async () => {
  const ids = [];
  for (let s = 0; s < SESSIONS; s++) {
    const r = await postJson(`${d.url}/api/v1/sessions`, { name: `load${s}`, machine: { mem_mib: 256, cpus: 2 } });
    assert.equal(r.status, 201);
    ids.push(r.body.id);
  }
  // Health is answered while the clients' batches run, not after them: probes
  // complete with clients still busy (how fast is bench/'s business, not a test's).
  let done = false, busy = 0;
  let probes = 0, probesWhileBusy = 0;
  const prober = (async () => {
    while (!done) {
      assert.equal((await getJson(`${d.url}/api/v1/health`)).status, 200);
      probes++;
      if (busy > 0) probesWhileBusy++;
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const clients = [];
  ids.forEach((id, s) => {
    for (let c = 0; c < CLIENTS; c++) {
      busy++;
      clients.push(client(id, 1000 * s + c + 1).finally(() => { busy--; }));
    }
  });
  try {
    await Promise.all(clients);
  } finally {
    done = true;
    await prober;
  }
  assert.ok(probes > 0);
  assert.ok(probesWhileBusy >= 2, `health answered while the clients ran (${probesWhileBusy} of ${probes} probes)`);
  for (const id of ids) {
    const info = (await getJson(`${d.url}/api/v1/sessions/${id}`)).body;
    assert.equal(info.ops, CLIENTS * BATCHES * BATCH, `session ${id}: every op logged`);
    const seqs = await allSeqs(id);
    assert.equal(seqs.length, info.last_seq, `session ${id}: as many events as last_seq`);
    seqs.forEach((seq, i) => { if (seq !== i + 1) assert.fail(`session ${id}: event ${i + 1} is seq ${seq}`); });
    const check = await postJson(`${d.url}/api/v1/sessions/${id}/ops`, { op: 'check' });
    assert.deepEqual(check.body.results[0], { ok: true }, `session ${id}: invariants`);
    const v = await getJson(`${d.url}/api/v1/sessions/${id}/verify`);
    assert.equal(v.status, 200);
    assert.equal(v.body.ok, true, `session ${id}: ${JSON.stringify(v.body)}`);
  }
});

// wrk for a few seconds: every answer 200, no socket error, and the daemon
// still answers and changes state afterwards. (Figures: make bench.)
test('wrk against zones and health while ops run: no errors, no non-2xx', async (t) => {
  const { execFile } = await import('node:child_process');
  const run = (args) => new Promise((resolve) => execFile('wrk', args, { timeout: 30000 },
    (err, stdout, stderr) => resolve({ err, out: stdout + stderr })));
  const probe = await run(['--version']);
  if (probe.err && /ENOENT/.test(String(probe.err.code)))
    return t.skip('wrk is not installed (tools/dev test installs it)');
  const id = (await postJson(`${d.url}/api/v1/sessions`, { machine: { mem_mib: 256 } })).body.id;
  const writer = (async () => {
    for (let i = 0; i < 20; i++)
      await postJson(`${d.url}/api/v1/sessions/${id}/ops`, { op: 'workload', kind: 'random', count: 500, seed: i + 1 });
  })();
  for (const path of [`/api/v1/sessions/${id}/zones`, '/api/v1/health']) {
    const { out } = await run(['-c16', '-t2', '-d2s', `${d.url}${path}`]);
    assert.match(out, /Requests\/sec:/, out);
    assert.doesNotMatch(out, /Non-2xx or 3xx responses/, out);
    assert.doesNotMatch(out, /Socket errors/, out);
  }
  await writer;
  const check = await postJson(`${d.url}/api/v1/sessions/${id}/ops`, { op: 'check' });
  assert.deepEqual(check.body.results[0], { ok: true });
  assert.equal((await getJson(`${d.url}/api/v1/sessions/${id}/verify`)).body.ok, true);
});
