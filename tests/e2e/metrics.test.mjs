// metrics.test.mjs - the /metrics that only move when the daemon is under
// strain, each held to what it counts: the recorder's queue, its age, the
// waits for room and the transactions (with the database made to refuse
// writes, so that records wait), the live-session limit (by filling it), and
// the replay snapshots stored and loaded (against the snapshots table, and
// across a restart), the connections accepted (one a connection), the
// resident bytes' average, and a wake that fails (a stored record made to
// end early). coverage.test.mjs holds the others to a session's ops,
// requests and stream clients.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, getJson, postJson, createSession, applyOps } from './lib/daemon.mjs';

// The metrics as { 'name{labels}': value }.
async function metrics(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Object.fromEntries(text.split('\n').filter((l) => l && !l.startsWith('#'))
    .map((l) => { const i = l.lastIndexOf(' '); return [l.slice(0, i), Number(l.slice(i + 1))]; }));
}

// Poll until @fn's value satisfies @ok; returns that value (a condition, not a time limit
// on the daemon: the bound only stops a test that would never end).
async function until(fn, ok, what) {
  for (let i = 0; i < 2400; i++) {
    const v = await fn();
    if (ok(v))
      return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`never: ${what}`);
}

const lastSeq = async (url, id) => (await getJson(`${url}/api/v1/sessions/${id}`)).body.last_seq;

test('the recorder queue, its lag, its waits and its transactions follow the records', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mmlab-metrics-'));
  // No live snapshot of its own: the queue holds exactly the ops' records.
  const d = await startDaemon({ dbDir: dir, args: ['--snapshot-events', '100000000'] });
  const sql = (q) => execFileSync('sqlite3', ['-cmd', '.timeout 5000', d.db, q]).toString().trim();
  const block = () => sql('INSERT INTO block VALUES (1);');
  const unblock = () => sql('DELETE FROM block;');
  let big;
  try {
    // Both tables refuse: a writer that takes the op's own record alone, before its events
    // are queued, must not commit it either.
    sql(`CREATE TABLE block (x);
         CREATE TRIGGER refuse BEFORE INSERT ON events WHEN EXISTS (SELECT 1 FROM block)
         BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;
         CREATE TRIGGER refuse_op BEFORE INSERT ON ops WHEN EXISTS (SELECT 1 FROM block)
         BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;`);
    const id = await createSession(d.url, { mem_mib: 512 }, 'recorder');
    const [{ pid }] = (await applyOps(d.url, id, { op: 'spawn', name: 'p' })).results;
    const pages = 16384;
    const [{ addr }] = (await applyOps(d.url, id, { op: 'mmap', pid, length: pages * 4096, prot: 'rw-' })).results;
    const idle = await until(() => metrics(d.url), (m) => m.mmlab_recorder_queue_depth === 0, 'an idle queue');
    assert.equal(idle.mmlab_recorder_lag_seconds, 0, 'nothing waits: no age');

    // One op while the database refuses: its records wait, the op's own and its end around its events.
    block();
    const s0 = await lastSeq(d.url, id);
    const r = await applyOps(d.url, id, { op: 'alloc_pages', order: 1 });
    assert.equal(r.results[0].ok, true);
    const events = r.last_seq - s0;
    assert.ok(events > 0);
    const stuck = await until(() => metrics(d.url), (m) => m.mmlab_recorder_failed === 1, 'the write to fail');
    assert.equal(stuck.mmlab_recorder_queue_depth, events + 2);
    await until(() => metrics(d.url), (m) => m.mmlab_recorder_lag_seconds > 0, 'the records to age');
    assert.equal(stuck.mmlab_events_recorded_total, idle.mmlab_events_recorded_total);
    assert.equal(stuck.mmlab_recorder_transactions_total, idle.mmlab_recorder_transactions_total);
    unblock();
    const after = await until(() => metrics(d.url),
      (m) => m.mmlab_recorder_queue_depth === 0 && m.mmlab_recorder_failed === 0, 'the queue to drain');
    assert.equal(after.mmlab_recorder_lag_seconds, 0);
    assert.equal(after.mmlab_events_recorded_total, idle.mmlab_events_recorded_total + events);
    // The batch the writer kept retrying, and what it had not taken yet: one or two commits.
    const commits = after.mmlab_recorder_transactions_total - idle.mmlab_recorder_transactions_total;
    assert.ok(commits === 1 || commits === 2, `${commits} transactions for one op`);
    assert.equal(after.mmlab_recorder_waits_total, idle.mmlab_recorder_waits_total, 'room all along');

    // An op of more records than the queue holds, while the database refuses: the queue fills to
    // its capacity and the op waits there, once, until the writer makes room. The writer's
    // batch (taken out of the queue, retried) is held beside it: at most 3 * 16384 records.
    block();
    const s1 = await lastSeq(d.url, id);
    big = applyOps(d.url, id, { op: 'access_range', pid, start: addr, length: pages * 4096, access: 'write' });
    const full = await until(() => metrics(d.url),
      (m) => m.mmlab_recorder_queue_depth >= m.mmlab_recorder_queue_capacity, 'the queue to fill');
    assert.ok(full.mmlab_recorder_queue_depth <= full.mmlab_recorder_queue_capacity + 3 * 16384,
      `${full.mmlab_recorder_queue_depth} records held`);
    assert.equal(full.mmlab_recorder_waits_total, idle.mmlab_recorder_waits_total + 1);
    assert.equal(full.mmlab_recorder_failed, 1);
    assert.ok(full.mmlab_recorder_lag_seconds > 0);
    unblock();
    const done = await big;
    assert.equal(done.results[0].ok, true);
    const k = done.last_seq - s1;
    assert.ok(k + 2 > full.mmlab_recorder_queue_capacity, `${k} events fill the queue`);
    const end = await until(() => metrics(d.url),
      (m) => m.mmlab_recorder_queue_depth === 0 && m.mmlab_events_recorded_total === after.mmlab_events_recorded_total + k,
      'the big op committed');
    assert.ok(end.mmlab_recorder_waits_total > full.mmlab_recorder_waits_total - 1);
    // A commit holds at most 16384 events, and a writer taking one event a commit would take k.
    const bigCommits = end.mmlab_recorder_transactions_total - after.mmlab_recorder_transactions_total;
    assert.ok(bigCommits >= Math.ceil(k / 16384) && bigCommits < k / 100, `${bigCommits} commits for ${k} events`);
    assert.equal(Number(sql(`SELECT count(*) FROM events WHERE session_id = ${id}`)), done.last_seq);
  } finally {
    // A failed assertion leaves the writer refused and the big op waiting: let both finish.
    try { unblock(); } catch { /* the daemon is gone */ }
    await big?.catch(() => {});
    await d.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the session metrics follow the memory budget: resident within it, the rest hibernated, pinned counted', async () => {
  // A 64 MiB machine's struct page array is 16384 * 64 B = 1 MiB: a 4 MiB budget holds
  // at most four of them, and every session created past that hibernates an idle one.
  const d = await startDaemon({ args: ['--max-memory', '4M'] });
  try {
    const before = await metrics(d.url);
    assert.equal(before.mmlab_sessions_max_memory_bytes, 4 << 20);
    const ids = [];
    for (let i = 0; i < 8; i++) {
      const res = await postJson(`${d.url}/api/v1/sessions`, { name: `s${i}`, machine: { mem_mib: 64 } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      ids.push(res.body.id);
    }
    const m = await metrics(d.url);
    assert.equal(m.mmlab_sessions_live, before.mmlab_sessions_live + ids.length);
    assert.equal(m.mmlab_sessions_resident + m.mmlab_sessions_hibernated, m.mmlab_sessions_live);
    assert.ok(m.mmlab_sessions_resident_bytes <= m.mmlab_sessions_max_memory_bytes,
      `${m.mmlab_sessions_resident_bytes} resident bytes within the budget`);
    assert.ok(m.mmlab_sessions_hibernated >= ids.length - 4, `${m.mmlab_sessions_hibernated} hibernated`);
    assert.ok(m.mmlab_sessions_hibernations_total >= m.mmlab_sessions_hibernated);
    // The average is the resident bytes shared by the resident sessions: a 1 MiB struct page
    // array each, where before the default session's larger machine was alone.
    assert.equal(before.mmlab_sessions_resident_bytes_avg,
                 Math.floor(before.mmlab_sessions_resident_bytes / before.mmlab_sessions_resident));
    assert.equal(m.mmlab_sessions_resident_bytes_avg,
                 Math.floor(m.mmlab_sessions_resident_bytes / m.mmlab_sessions_resident));
    assert.ok(m.mmlab_sessions_resident_bytes_avg < before.mmlab_sessions_resident_bytes_avg,
      `${m.mmlab_sessions_resident_bytes_avg} bytes each, ${before.mmlab_sessions_resident_bytes_avg} before`);
    assert.equal((await fetch(`${d.url}/api/v1/sessions/${ids.at(-1)}/pin`, { method: 'POST' })).status, 200);
    assert.equal((await metrics(d.url)).mmlab_sessions_pinned, before.mmlab_sessions_pinned + 1);
  } finally {
    await d.stop();
  }
});

test('snapshots stored are the snapshots table\'s rows; one is loaded by the first seek after a restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mmlab-metrics-'));
  const args = ['--snapshot-interval', '4', '--snapshot-events', '100000000'];
  let d = await startDaemon({ dbDir: dir, args });
  const rows = () => Number(execFileSync('sqlite3', ['-cmd', '.timeout 5000', d.db,
    'SELECT count(*) FROM snapshots']).toString().trim());
  try {
    const id = await createSession(d.url, { mem_mib: 64 }, 'snap');
    const seqs = [];
    for (let i = 0; i < 12; i++)
      seqs.push((await applyOps(d.url, id, { op: 'alloc_pages', order: 0 })).last_seq);
    const m0 = await metrics(d.url);
    assert.equal(m0.mmlab_snapshots_stored_total, 0, 'none before a seek');
    // A seek into op 11 replays it from the start: ops 4 and 8 are offered to the table.
    assert.equal((await fetch(`${d.url}/api/v1/sessions/${id}/proc/buddyinfo?at=${seqs[10]}`)).status, 200);
    // Both rows first, then the count (it follows each commit): exactly one a row.
    await until(rows, (n) => n >= 2, 'two snapshot rows');
    const m1 = await until(() => metrics(d.url), (m) => m.mmlab_snapshots_stored_total >= 2, 'two snapshots stored');
    assert.equal(rows(), 2, 'ops 4 and 8');
    assert.equal(m1.mmlab_snapshots_stored_total, 2);
    assert.equal(m1.mmlab_snapshots_loaded_total, 0, 'the live machine replays from memory, not the table');
    await d.stop({ keep: true });
    d = await startDaemon({ dbDir: dir, args });
    // Before the first snapshot: nothing to load, the replay starts from the beginning.
    assert.equal((await fetch(`${d.url}/api/v1/sessions/${id}/proc/buddyinfo?at=${seqs[1]}`)).status, 200);
    assert.equal((await metrics(d.url)).mmlab_snapshots_loaded_total, 0);
    // Past op 8: the snapshot of op 8 is loaded from the table, once; none is stored again.
    assert.equal((await fetch(`${d.url}/api/v1/sessions/${id}/proc/buddyinfo?at=${seqs[9]}`)).status, 200);
    const m2 = await metrics(d.url);
    assert.equal(m2.mmlab_snapshots_loaded_total, 1);
    assert.equal(m2.mmlab_snapshots_stored_total, 0);
    assert.equal(rows(), m1.mmlab_snapshots_stored_total);
  } finally {
    await d.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

// GET @path of the daemon at @url on a connection of its own, closed after the answer.
function getOnNewConnection(url, path) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const sock = connect(Number(port), hostname);
    let text = '';
    sock.on('connect', () => sock.write(`GET ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nConnection: close\r\n\r\n`));
    sock.on('data', (b) => { text += b; });
    sock.on('end', () => resolve(text));
    sock.on('error', reject);
  });
}

const metricOf = (text, name) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1]);

test('connections accepted: one a connection, whatever it asks', async () => {
  const d = await startDaemon();
  try {
    const name = 'mmlab_connections_accepted_total';
    const first = metricOf(await getOnNewConnection(d.url, '/metrics'), name);
    assert.ok(first >= 1, 'the connection that asks is counted');
    for (const path of ['/api/v1/health', '/api/v1/sessions', '/nowhere'])
      assert.match(await getOnNewConnection(d.url, path), /^HTTP\/1\.1 \d{3} /);
    // Three connections, then this one.
    assert.equal(metricOf(await getOnNewConnection(d.url, '/metrics'), name), first + 4);
  } finally {
    await d.stop();
  }
});

test('a wake that fails is counted, and is not a wake', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mmlab-metrics-'));
  // Room for two 64 MiB machines (1 MiB of struct pages each): the third session hibernates one.
  const d = await startDaemon({ dbDir: dir, args: ['--max-memory', '2M'] });
  const sql = (q) => execFileSync('sqlite3', ['-cmd', '.timeout 5000', d.db, q]).toString().trim();
  try {
    const ids = [];
    for (let i = 0; i < 3; i++) {
      const id = await createSession(d.url, { mem_mib: 64 }, `w${i}`);
      await applyOps(d.url, id, [{ op: 'alloc_pages', order: 2 }, { op: 'alloc_pages', order: 0 }]);
      ids.push(id);
    }
    const m0 = await until(() => metrics(d.url), (m) => m.mmlab_sessions_hibernated >= 1, 'a session hibernated');
    assert.equal(m0.mmlab_sessions_wake_failures_total, 0);
    const asleep = ids.find((id) => m0[`mmlab_session_bytes{session="${id}",state="hibernated"}`] !== undefined);
    assert.ok(asleep, 'one of the three is stored');
    // Its stored record loses its ops and snapshots: replayed, it ends at the boot, not at its
    // last op, and the wake fails.
    sql(`DELETE FROM snapshots WHERE session_id = ${asleep}; DELETE FROM ops WHERE session_id = ${asleep};
         DELETE FROM events WHERE session_id = ${asleep} AND op_no > 0;`);
    const r = await postJson(`${d.url}/api/v1/sessions/${asleep}/ops`, { op: 'alloc_pages', order: 0 });
    assert.ok(r.status >= 500, `${r.status} ${JSON.stringify(r.body)}`);
    assert.match(r.body.error.message, /stored record ends at op 0/);
    const m1 = await metrics(d.url);
    assert.equal(m1.mmlab_sessions_wake_failures_total, 1);
    assert.equal(m1.mmlab_sessions_wake_seconds_count, m0.mmlab_sessions_wake_seconds_count, 'no wake counted');
    // A session that can wake does, and the failures stay as they were.
    const other = ids.find((id) => id !== asleep && m1[`mmlab_session_bytes{session="${id}",state="hibernated"}`] !== undefined)
      ?? 1;
    assert.equal((await postJson(`${d.url}/api/v1/sessions/${other}/ops`, { op: 'alloc_pages', order: 0 })).status, 200);
    const m2 = await metrics(d.url);
    assert.equal(m2.mmlab_sessions_wake_seconds_count, m1.mmlab_sessions_wake_seconds_count + 1);
    assert.equal(m2.mmlab_sessions_wake_failures_total, 1);
  } finally {
    await d.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
