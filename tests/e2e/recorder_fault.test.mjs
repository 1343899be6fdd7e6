// recorder_fault.test.mjs - a database that refuses writes: a clear error on
// the API and in the log, the machine keeps its state, nothing committed is
// lost, and recording resumes when the database accepts writes again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, getJson, postJson } from './lib/daemon.mjs';

async function metric(url, name) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

async function waitFor(cond, ms = 10000) {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('a database that refuses writes pauses ops with a clear error and loses nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mmlab-fault-'));
  const d = await startDaemon({ dbDir: dir });
  const sql = (q) => execFileSync('sqlite3', ['-cmd', '.timeout 5000', d.db, q]).toString().trim();
  try {
    const id = (await postJson(`${d.url}/api/v1/sessions`, { machine: { mem_mib: 128 } })).body.id;
    const ops = (list) => postJson(`${d.url}/api/v1/sessions/${id}/ops`, list);
    assert.equal((await ops([{ op: 'alloc_pages', order: 2 }])).status, 200);
    const before = (await getJson(`${d.url}/api/v1/sessions/${id}/proc/buddyinfo`)).body;

    // The disk "fills up": every insert into events fails from now on.
    sql(`CREATE TABLE block (x); INSERT INTO block VALUES (1);
         CREATE TRIGGER refuse BEFORE INSERT ON events WHEN EXISTS (SELECT 1 FROM block)
         BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;`);
    const r = await ops([{ op: 'alloc_pages', order: 1 }]);
    assert.equal(r.status, 200, 'the op itself was applied');
    const applied = r.body.last_seq;
    await waitFor(async () => (await metric(d.url, 'mmlab_recorder_failed')) === 1);
    const refused = await ops([{ op: 'alloc_pages', order: 0 }]);
    assert.equal(refused.status, 503);
    assert.equal(refused.body.error.code, 'EIO');
    assert.match(refused.body.error.message, /recording is failing \(database or disk is full\)/);
    assert.match(d.stderr(), /recorder: cannot write to the database: database or disk is full/);
    // The daemon and the live machine carry on.
    assert.equal((await getJson(`${d.url}/api/v1/health`)).status, 200);
    const live = await getJson(`${d.url}/api/v1/sessions/${id}`);
    assert.equal(live.body.last_seq, applied);
    assert.notEqual((await getJson(`${d.url}/api/v1/sessions/${id}/proc/buddyinfo`)).body, before);

    // Space comes back: the queued events are written, ops are accepted again.
    sql('DELETE FROM block;');
    await waitFor(async () => (await metric(d.url, 'mmlab_recorder_failed')) === 0);
    assert.equal((await ops([{ op: 'alloc_pages', order: 0 }])).status, 200);
    const verify = await getJson(`${d.url}/api/v1/sessions/${id}/verify`);
    assert.equal(verify.body.ok, true, JSON.stringify(verify.body));
    const [count, max] = sql(`SELECT count(*), max(seq) FROM events WHERE session_id = ${id}`).split('|').map(Number);
    assert.equal(count, max, 'gap-free');
  } finally {
    await d.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
