// ops_batch.test.mjs - a batch read by the one-pass scanner (daemon/ops_batch.c)
// and the same batch read by Jansson (a body the scanner leaves to it) give
// the same results, the same op log text and the same events, and both
// sessions verify exactly.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startDaemon, getJson, postJson, createSession } from './lib/daemon.mjs';

let d;
before(async () => { d = await startDaemon(); });
after(async () => { await d.stop(); });

const ops = [
  { op: 'alloc_pages', gfp: 'GFP_KERNEL', order: 0 },
  { op: 'alloc_pages', gfp: 'GFP_KERNEL', order: 0 },
  { op: 'kmalloc', size: 192 },
  { op: 'kfree', addr: '$2.addr' },
  { op: 'free_pages', pfn: '$0.pfn', order: 0 },
  { op: 'alloc_pages', order: 3, node: 0, cpu: 1 },
  { op: 'no_such_op' },
  { op: 'free_pages', pfn: 1, order: 0, typo: true },
  { op: 'check' },
];

// The scanner's shape, spread over lines as a person writes it.
const scanned = `[\n${ops.map((o) => '  ' + JSON.stringify(o, null, 1).replace(/\n\s*/g, ' ')).join(',\n')}\n]\n`;
// The same ops with one escaped letter ("\u0047FP_KERNEL" is "GFP_KERNEL"): Jansson's path.
const general = JSON.stringify(ops).replace('"GFP_KERNEL"', '"\\u0047FP_KERNEL"');

const sql = (q) => execFileSync('sqlite3', ['-cmd', '.timeout 5000', d.db, q]).toString().trim();

test('both readings of a batch apply, record and answer the same', async () => {
  assert.notEqual(scanned, general);
  const machine = { mem_mib: 256, cpus: 2, seed: 5 };
  const a = await createSession(d.url, machine, 'scanned');
  const b = await createSession(d.url, machine, 'general');
  const ra = await postJson(`${d.url}/api/v1/sessions/${a}/ops`, scanned);
  const rb = await postJson(`${d.url}/api/v1/sessions/${b}/ops`, general);
  assert.equal(ra.status, 200, JSON.stringify(ra.body));
  assert.equal(rb.status, 200, JSON.stringify(rb.body));
  assert.deepEqual(ra.body, rb.body);
  assert.equal(ra.body.results.length, ops.length);
  assert.equal(ra.body.results[3].ok, true, 'kfree found its $2.addr');
  assert.equal(ra.body.results[4].ok, true, 'free_pages found its $0.pfn');
  assert.equal(ra.body.results[6].errno, 'EINVAL');
  assert.match(ra.body.results[7].message, /unknown field "typo"/);
  // The op log: compact JSON, references resolved, the same text either way.
  const log = (id) => sql(`SELECT op FROM ops WHERE session_id = ${id} ORDER BY op_no`).split('\n');
  await getJson(`${d.url}/api/v1/sessions/${a}/verify`);	// waits for the recorder
  const la = log(a);
  assert.deepEqual(la, log(b));
  assert.equal(la[0], '{"op":"alloc_pages","gfp":"GFP_KERNEL","order":0}');
  assert.equal(la[4], `{"op":"free_pages","pfn":${ra.body.results[0].pfn},"order":0}`);
  assert.equal(la[3], `{"op":"kfree","addr":"${ra.body.results[2].addr}"}`);
  for (const id of [a, b]) {
    const v = (await getJson(`${d.url}/api/v1/sessions/${id}/verify`)).body;
    assert.equal(v.ok, true, JSON.stringify(v));
  }
  const events = async (id) => (await getJson(`${d.url}/api/v1/sessions/${id}/events?limit=10000`)).body.events;
  assert.deepEqual(await events(a), await events(b));
});

test('bodies the scanner leaves alone get the same errors as before', async () => {
  const id = await createSession(d.url, { mem_mib: 64 });
  const post = (body) => postJson(`${d.url}/api/v1/sessions/${id}/ops`, body);
  assert.equal((await post('[{"op":"check"},]')).status, 400);
  assert.match((await post('[{"op":"check","op":"check"}]')).body.error.message, /malformed JSON/);
  assert.match((await post('[{"order":1}]')).body.error.message, /op 0: each op needs a string field "op"/);
  assert.equal((await post(`[${Array.from({ length: 10001 }, () => '{"op":"check"}').join(',')}]`)).status, 413);
  assert.equal((await postJson(`${d.url}/api/v1/sessions/999999/ops`, '[{"op":"check"}]')).status, 404);
});
