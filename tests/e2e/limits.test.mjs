// limits.test.mjs - every limit of api.md answers with its documented status
// and error object: body size (413), ops per request (413), live sessions
// beyond the memory budget (429), stream clients (429), events per query (400), and a client that
// stops sending mid-request is cut off by the connection timeout (30 s).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startDaemon, getJson, postJson } from './lib/daemon.mjs';

let d, stalled;
// A request whose headers never end: the daemon must hang up after its 10 s
// header timeout. Started first so the wait overlaps the other tests.
function stallRequest(port) {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const sock = net.connect(port, '127.0.0.1', () => sock.write(`GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`));
    sock.on('data', () => {});
    sock.on('close', () => resolve((Date.now() - t0) / 1000));
    sock.on('error', reject);
    setTimeout(() => { sock.destroy(); reject(new Error('still open after 60 s')); }, 60000).unref();
  });
}

before(async () => {
  d = await startDaemon({ args: ['--max-streams', '128'] });
  stalled = stallRequest(d.port);
  stalled.catch(() => {});
});
after(async () => { await d?.stop(); });

const ops = (id) => `${d.url}/api/v1/sessions/${id}/ops`;
function assertError(r, status, code) {
  assert.equal(r.status, status, JSON.stringify(r.body).slice(0, 300));
  assert.equal(r.headers.get('content-type'), 'application/json');
  assert.equal(r.body.error.code, code);
  assert.equal(typeof r.body.error.message, 'string');
}

test('a body over 32 MiB is 413 E2BIG, and the daemon goes on serving', async () => {
  const big = '[' + ' '.repeat(32 * 1024 * 1024) + ']';
  const r = await postJson(ops(1), big);
  assertError(r, 413, 'E2BIG');
  assert.match(r.body.error.message, /larger than 33554432 bytes/);
  assert.equal((await getJson(`${d.url}/api/v1/health`)).status, 200);
});

test('10000 ops per request pass, 10001 are 413 E2BIG and change nothing', async () => {
  const { id } = (await postJson(`${d.url}/api/v1/sessions`, { name: 'limits', machine: { mem_mib: 64 } })).body;
  const bad = { op: 'alloc_pages', no_such_field: 1 };	// an EINVAL result, quick to give
  const at = (await getJson(`${d.url}/api/v1/sessions/${id}`)).body;
  const many = await postJson(ops(id), Array(10001).fill(bad));
  assertError(many, 413, 'E2BIG');
  assert.match(many.body.error.message, /at most 10000 ops/);
  assert.equal((await getJson(`${d.url}/api/v1/sessions/${id}`)).body.ops, at.ops, 'no op was applied');
  const ok = await postJson(ops(id), Array(10000).fill(bad));
  assert.equal(ok.status, 200);
  assert.equal(ok.body.results.length, 10000);
  assert.equal(ok.body.results[9999].errno, 'EINVAL');
  assert.equal((await getJson(`${d.url}/api/v1/sessions/${id}`, { method: 'DELETE' })).status, 200);
});

test('live sessions are limited by --max-memory, not by a count: idle ones hibernate; with every resident one pinned the next is 429 EBUSY until one is unpinned', async () => {
  // 64 MiB machines take 1 MiB of struct pages: 16 MiB holds about 15 of them.
  const m = await startDaemon({ args: ['--max-memory', '16M'] });
  const metric = async (name) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(await (await fetch(`${m.url}/metrics`)).text())[1]);
  try {
    const made = [];
    for (let i = 0; i < 24; i++) {
      const r = await postJson(`${m.url}/api/v1/sessions`, { name: `s${i}`, machine: { mem_mib: 64 } });
      assert.equal(r.status, 201, `session ${i}: ${JSON.stringify(r.body)}`);
      made.push(r.body.id);
    }
    const list = (await getJson(`${m.url}/api/v1/sessions`)).body.sessions;
    const resident = list.filter((s) => s.state === 'live');
    assert.ok(list.filter((s) => s.state === 'hibernated').length >= 9, 'the least recently used hibernated');
    assert.ok(resident.length >= 1 && resident.length <= 16);
    assert.equal(list.find((s) => s.id === made[0]).state, 'hibernated', 'the oldest went first');
    assert.equal(list.find((s) => s.id === made[23]).state, 'live', 'the newest stays');
    assert.ok(await metric('mmlab_sessions_resident_bytes') <= 16 << 20);
    for (const s of resident)
      assert.equal((await postJson(`${m.url}/api/v1/sessions/${s.id}/pin`, {})).status, 200);
    const refused = await postJson(`${m.url}/api/v1/sessions`, { name: 'no room', machine: { mem_mib: 64 } });
    assertError(refused, 429, 'EBUSY');
    assert.match(refused.body.error.message, /--max-memory/);
    const freed = resident[0].id;
    const unpinned = await getJson(`${m.url}/api/v1/sessions/${freed}/pin`, { method: 'DELETE' });
    assert.equal(unpinned.status, 200);
    assert.equal(unpinned.body.pinned, false);
    const again = await postJson(`${m.url}/api/v1/sessions`, { name: 'again', machine: { mem_mib: 64 } });
    assert.equal(again.status, 201, 'room again once one is unpinned');
    const after = (await getJson(`${m.url}/api/v1/sessions`)).body.sessions;
    assert.equal(after.find((s) => s.id === freed).state, 'hibernated', 'the unpinned one made the room');
    assert.ok(after.filter((s) => s.pinned).every((s) => s.state === 'live'), 'pinned ones never hibernate');
    // A hibernated session is still live: it wakes for its next op.
    const op = await postJson(ops(made[0]).replace(d.url, m.url), [{ op: 'alloc_pages', order: 0 }]);
    assert.equal(op.status, 200);
    assert.equal(op.body.results[0].ok, true);
  } finally {
    await m.stop();
  }
});

test('at most --max-streams stream clients (128 here): the next is 429 EBUSY, and a freed place is taken again', async () => {
  const streams = [];
  const open = async () => {
    const ctl = new AbortController();
    const res = await fetch(`${d.url}/api/v1/sessions/1/stream`, { signal: ctl.signal });
    streams.push(ctl);
    return res;
  };
  try {
    for (let i = 0; i < 128; i++) assert.equal((await open()).status, 200, `stream ${i}`);
    const res = await open();
    assert.equal(res.status, 429);
    assert.equal((await res.json()).error.code, 'EBUSY');
    assert.equal((await getJson(`${d.url}/api/v1/health`)).status, 200, 'other requests still served');
    streams.shift().abort();
    let status;
    for (let i = 0; i < 50 && status !== 200; i++) {	// the daemon notices the hang-up
      await new Promise((r) => setTimeout(r, 100));
      status = (await open()).status;
    }
    assert.equal(status, 200);
  } finally {
    for (const ctl of streams) ctl.abort();
  }
});

test('a body larger than its route takes is 413 E2BIG: 1 MiB for a new session, and nothing is made', async () => {
  const before = (await getJson(`${d.url}/api/v1/sessions`)).body.sessions.length;
  const r = await postJson(`${d.url}/api/v1/sessions`, { name: 'big', pad: 'x'.repeat(1 << 20), machine: { mem_mib: 64 } });
  assertError(r, 413, 'E2BIG');
  assert.match(r.body.error.message, /1048576 bytes/);
  assert.equal((await getJson(`${d.url}/api/v1/sessions`)).body.sessions.length, before);
  assert.equal((await getJson(`${d.url}/api/v1/health`)).status, 200);
});

test('a body declared far beyond its route\'s limit is refused before a byte of it is sent', async () => {
  const reply = await new Promise((resolve, reject) => {
    const sock = net.connect(d.port, '127.0.0.1', () => sock.write(
      `POST /api/v1/sessions/1/ops HTTP/1.1\r\nHost: 127.0.0.1:${d.port}\r\n` +
      'Content-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n'));
    let data = '';
    sock.on('data', (c) => { data += c; if (data.includes('}}')) { sock.destroy(); resolve(data); } });
    sock.on('close', () => resolve(data));
    sock.on('error', reject);
    setTimeout(() => { sock.destroy(); resolve(data); }, 20000).unref();
  });
  assert.match(reply, /^HTTP\/1\.1 413/);
  assert.match(reply, /"code":"E2BIG"/);
});

test('JSON nested 100000 deep is 400 EINVAL, and the daemon goes on serving', async () => {
  const deep = '['.repeat(100000) + ']'.repeat(100000);
  const r = await postJson(ops(1), deep);
  assertError(r, 400, 'EINVAL');
  const o = await postJson(`${d.url}/api/v1/sessions`, '{"name":' + '{"a":'.repeat(50000) + '1' + '}'.repeat(50000) + '}');
  assertError(o, 400, 'EINVAL');
  assert.equal((await getJson(`${d.url}/api/v1/health`)).status, 200);
});

test('at most 10000 events per query: limit=10001 is 400 EINVAL', async () => {
  assert.equal((await getJson(`${d.url}/api/v1/sessions/1/events?limit=10000`)).status, 200);
  for (const q of ['limit=10001', 'limit=-1', 'limit=x', 'since=-5']) {
    const r = await getJson(`${d.url}/api/v1/sessions/1/events?${q}`);
    assertError(r, 400, 'EINVAL');
  }
});

test('a client that stops sending its headers is cut off by the 10 s header timeout', async () => {
  const secs = await stalled;
  assert.ok(secs >= 9 && secs < 25, `closed after ${secs} s`);
});
