// hibernate.test.mjs - many sessions on one daemon within a small --max-memory:
// idle ones hibernate (their machine stored as a snapshot plus the ops after
// it) and wake on their next view, op or stream as the same machine: the
// struct page digest, the /proc texts and the results of the next op equal
// those of a pinned reference session that never hibernated; replay, verify
// and the stream stay exact across hibernation; a hibernated session outlives
// a restart and a kill -9 as a resident one does (closed, crashed, replayable).
//
// MMLAB_HIBERNATE_SESSIONS sets how many 4 GiB sessions (default 40: each
// creation and each wake costs a hibernation of another machine, about 0.3 s
// each on a quiet 2-core host; `make bench` runs 200).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, getJson, postJson, createSession, applyOps } from './lib/daemon.mjs';

const N = Number(process.env.MMLAB_HIBERNATE_SESSIONS || 40);
const MACHINE = { mem_mib: 4096 };
// 4 GiB machines take 64 MiB of struct pages: 200 MiB holds three of them.
const ARGS = ['--max-memory', '200M'];
const FIRST = [{ op: 'alloc_pages', order: 3 }, { op: 'kmalloc', size: 100 }, { op: 'alloc_pages', order: 0 }];
const NEXT = [{ op: 'alloc_pages', order: 2 }, { op: 'kmalloc', size: 512 }];

const dir = mkdtempSync(join(tmpdir(), 'mmlab-hibernate-'));
let d, ref, refState, refBuddy, refNext, refNextState;
const ids = [];
before(async () => { d = await startDaemon({ args: ARGS, dbDir: dir }); });
after(async () => { await d?.stop(); rmSync(dir, { recursive: true, force: true }); });

const url = (path) => `${d.url}/api/v1${path}`;
async function get(path) {
  const r = await getJson(url(path));
  assert.equal(r.status, 200, `${path}: ${JSON.stringify(r.body).slice(0, 300)}`);
  return r.body;
}
async function text(path) {
  const r = await fetch(url(path));
  assert.equal(r.status, 200, path);
  return r.text();
}
async function metric(name) {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(await (await fetch(`${d.url}/metrics`)).text());
  return m ? Number(m[1]) : undefined;
}
const states = async () => new Map((await get('/sessions')).sessions.map((s) => [s.id, s]));
const strip = (results) => results.map((r) => JSON.stringify(r));

test(`${N} sessions of 4 GiB machines within 200 MiB: most hibernate, least recently used first`, async () => {
  ref = await createSession(d.url, MACHINE, 'reference');
  assert.equal((await postJson(url(`/sessions/${ref}/pin`), {})).status, 200);
  await applyOps(d.url, ref, FIRST);
  refState = await get(`/sessions/${ref}/state`);
  refBuddy = await text(`/sessions/${ref}/proc/buddyinfo`);
  for (let i = 0; i < N; i++) {
    const id = await createSession(d.url, MACHINE, `learner ${i}`);
    await applyOps(d.url, id, FIRST);
    ids.push(id);
  }
  const list = await states();
  const hibernated = ids.filter((id) => list.get(id).state === 'hibernated');
  assert.ok(hibernated.length >= N - 2, `${hibernated.length} of ${N} hibernated`);
  assert.equal(list.get(ref).state, 'live', 'the pinned reference never hibernated');
  assert.equal(list.get(ref).pinned, true);
  assert.equal(list.get(ids[N - 1]).state, 'live', 'the last one used is resident');
  assert.equal(list.get(ids[0]).state, 'hibernated', 'the first one used went first');
  for (const id of ids) {
    assert.equal(list.get(id).bytes, refState.mem_map_bytes);
    assert.match(list.get(id).last_used, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  }
  assert.ok(await metric('mmlab_sessions_resident_bytes') <= 200 * 2 ** 20);
  assert.ok(await metric('mmlab_sessions_hibernated') >= N - 2);
  assert.ok(await metric('mmlab_sessions_hibernations_total') >= N - 2);
  const perSession = await (await fetch(`${d.url}/metrics`)).text();
  for (const id of [ref, ids[0], ids[N - 1]]) {
    const m = new RegExp(`^mmlab_session_bytes\\{session="${id}",state="(\\w+)"\\} (\\d+)$`, 'm').exec(perSession);
    assert.ok(m, `session ${id} in mmlab_session_bytes`);
    assert.equal(m[1], list.get(id).state);
    assert.equal(Number(m[2]), refState.mem_map_bytes);
  }
});

test('every session wakes for a view as the same machine, and its next op gives what the reference gives', async () => {
  const wakes0 = await metric('mmlab_sessions_wake_seconds_count');
  const next = await applyOps(d.url, ref, NEXT);
  refNext = strip(next.results);
  refNextState = await get(`/sessions/${ref}/state`);
  let woken = 0;
  for (const id of ids) {
    const before = (await states()).get(id).state;
    const st = await get(`/sessions/${id}/state`);
    assert.equal(st.mem_map_fnv1a64, refState.mem_map_fnv1a64, `session ${id} (${before}) woke as it was`);
    assert.equal(st.seq, refState.seq);
    assert.equal(await text(`/sessions/${id}/proc/buddyinfo`), refBuddy);
    const r = await applyOps(d.url, id, NEXT);
    assert.deepEqual(strip(r.results), refNext, `session ${id}: the op after waking`);
    assert.equal(r.last_seq, next.last_seq);
    assert.equal((await get(`/sessions/${id}/state`)).mem_map_fnv1a64, refNextState.mem_map_fnv1a64);
    woken += before === 'hibernated';
  }
  assert.ok(woken >= N - 2);
  assert.ok(await metric('mmlab_sessions_wake_seconds_count') >= wakes0 + woken);
  assert.ok(await metric('mmlab_sessions_wake_seconds_sum') > 0);
});

test('replay and verify are exact across hibernation, and a view of the past is the same', async () => {
  const id = ids[Math.floor(N / 2)];
  const past = refState.seq;
  await postJson(url(`/sessions/${id}/hibernate`), {});
  assert.equal((await states()).get(id).state, 'hibernated');
  const v = await get(`/sessions/${id}/verify`);
  assert.equal(v.ok, true, JSON.stringify(v));
  assert.equal(v.ops, FIRST.length + NEXT.length);
  assert.equal((await get(`/sessions/${id}/state?at=${past}`)).mem_map_fnv1a64, refState.mem_map_fnv1a64);
  assert.equal(await text(`/sessions/${id}/proc/buddyinfo?at=${past}`), refBuddy);
  // Ops after a hibernation and a wake replay too.
  await applyOps(d.url, id, [{ op: 'alloc_pages', order: 1 }]);
  await postJson(url(`/sessions/${id}/hibernate`), {});
  const last = (await states()).get(id).last_seq;
  const now = await get(`/sessions/${id}/state`);
  assert.equal((await get(`/sessions/${id}/state?at=${last}`)).mem_map_fnv1a64, now.mem_map_fnv1a64);
  assert.equal((await get(`/sessions/${id}/verify`)).ok, true);
});

// An SSE client over fetch: parsed messages until closed.
function sse(u) {
  const controller = new AbortController();
  const messages = [];
  let buffer = '';
  const done = (async () => {
    const res = await fetch(u, { signal: controller.signal });
    assert.equal(res.status, 200);
    const decoder = new TextDecoder();
    for await (const chunk of res.body) {
      buffer += decoder.decode(chunk, { stream: true });
      let i;
      while ((i = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        const ev = /^event: (.*)$/m.exec(block);
        const data = /^data: (.*)$/m.exec(block);
        if (ev && data) messages.push({ event: ev[1], data: JSON.parse(data[1]) });
      }
    }
  })();
  done.catch(() => {});
  return { messages, close: () => { controller.abort(); return done.catch(() => {}); } };
}
const until = async (cond, what, ms = 20000) => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

test('a stream wakes a hibernated session, holds it resident while open, and carries every event', async () => {
  const id = ids[1];
  await postJson(url(`/sessions/${id}/hibernate`), {});
  const { last_seq: seq0 } = (await states()).get(id);
  assert.equal((await states()).get(id).state, 'hibernated');
  const s = sse(url(`/sessions/${id}/stream`));
  try {
    await until(() => s.messages.some((m) => m.event === 'hello'), 'hello');
    assert.equal(s.messages.find((m) => m.event === 'hello').data.seq, seq0);
    assert.equal((await states()).get(id).state, 'live', 'the stream woke it');
    const busy = await postJson(url(`/sessions/${id}/hibernate`), {});
    assert.equal(busy.status, 409, 'a streamed session is not idle');
    assert.equal(busy.body.error.code, 'EBUSY');
    // Other sessions' requests need room: the streamed one keeps its place.
    for (const other of ids.slice(2, 8)) await get(`/sessions/${other}/state`);
    assert.equal((await states()).get(id).state, 'live');
    const r = await applyOps(d.url, id, [{ op: 'alloc_pages', order: 0 }, { op: 'kmalloc', size: 64 }]);
    const seqs = () => s.messages.filter((m) => m.event === 'events').flatMap((m) => m.data.events.map((e) => e.seq));
    await until(() => seqs().includes(r.last_seq), 'the events of the op');
    assert.deepEqual(seqs(), Array.from({ length: r.last_seq - seq0 }, (_, i) => seq0 + 1 + i));
  } finally {
    await s.close();
  }
  for (let i = 0; i < 50 && (await postJson(url(`/sessions/${id}/hibernate`), {})).status !== 200; i++)
    await new Promise((r) => setTimeout(r, 100));
  assert.equal((await states()).get(id).state, 'hibernated', 'idle again once the stream ended');
});

test('requests that come together for a hibernated session wait for one wake, even in a full budget', async () => {
  // Room for two 4 GiB machines (64 MiB of struct pages each, whose wake takes a while): one
  // held by its stream, the other hibernated. The first request for it reserves the room and
  // wakes it; the others wait for that wake instead of asking for its room again, which
  // nothing could free (the stream holds the other).
  const dir2 = mkdtempSync(join(tmpdir(), 'mmlab-wakes-'));
  const d2 = await startDaemon({ args: ['--max-memory', '130M'], dbDir: dir2 });
  const u2 = (path) => `${d2.url}/api/v1${path}`;
  let s;
  try {
    assert.equal((await postJson(u2('/sessions/1/hibernate'), {})).status, 200);	/* the 4 GiB default */
    const held = await createSession(d2.url, MACHINE, 'held');
    const woken = await createSession(d2.url, MACHINE, 'woken');
    await applyOps(d2.url, woken, FIRST);
    assert.equal((await postJson(u2(`/sessions/${woken}/hibernate`), {})).status, 200);
    s = sse(u2(`/sessions/${held}/stream`));
    await until(() => s.messages.some((m) => m.event === 'hello'), 'hello');
    // As a dashboard opening it: its views and its stream at once (a stream is served
    // apart from the views' queue).
    const paths = ['stream', 'zones', 'stream', 'state', 'proc/buddyinfo', 'stream', 'zones', 'slabs'];
    const aborts = paths.map(() => new AbortController());
    const replies = await Promise.all(paths.map((p, i) => fetch(u2(`/sessions/${woken}/${p}`),
      { signal: aborts[i].signal })));
    const statuses = replies.map((r) => r.status);
    const errors = await Promise.all(replies.map((r, i) => (r.status === 200 && paths[i] === 'stream' ? ''
      : r.text())));
    aborts.forEach((a, i) => { if (paths[i] === 'stream') a.abort(); });
    assert.deepEqual(statuses, paths.map(() => 200), errors.filter((t) => /error/.test(t)).join('\n').slice(0, 400));
    const list = new Map((await (await fetch(u2('/sessions'))).json()).sessions.map((x) => [x.id, x.state]));
    assert.equal(list.get(woken), 'live');
    assert.equal(list.get(held), 'live');
    const m = /^mmlab_sessions_wake_seconds_count (\S+)$/m.exec(await (await fetch(`${d2.url}/metrics`)).text());
    assert.equal(Number(m?.[1]), 1, 'one wake served them all');
  } finally {
    await s?.close();
    await d2.stop();
    rmSync(dir2, { recursive: true, force: true });
  }
});

test('the replay cache counts in the budget and is dropped before a session hibernates', async () => {
  // Room for two 4 GiB machines. A view of the past keeps the machine it rebuilt in the
  // replay cache: it takes the second machine's room. A new session then needs that room:
  // the cache forgets its machine, and the first session stays resident.
  const dir2 = mkdtempSync(join(tmpdir(), 'mmlab-replay-cache-'));
  const d2 = await startDaemon({ args: ['--max-memory', '130M'], dbDir: dir2 });
  const u2 = (path) => `${d2.url}/api/v1${path}`;
  const metric2 = async (name) => {
    const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(await (await fetch(`${d2.url}/metrics`)).text());
    return m ? Number(m[1]) : undefined;
  };
  try {
    assert.equal((await postJson(u2('/sessions/1/hibernate'), {})).status, 200);	/* the 4 GiB default */
    const a = await createSession(d2.url, MACHINE, 'seeker');
    await applyOps(d2.url, a, FIRST.slice(0, 2));
    const past = (await (await fetch(u2(`/sessions/${a}`))).json()).last_seq;
    await applyOps(d2.url, a, FIRST.slice(2));
    const bytes = Number(new RegExp(`^mmlab_session_bytes\\{session="${a}",state="live"\\} (\\S+)$`, 'm')
      .exec(await (await fetch(`${d2.url}/metrics`)).text())?.[1]);
    assert.ok(bytes > 60 * 2 ** 20, `the session's bytes: ${bytes}`);
    assert.equal(await metric2('mmlab_replay_cache_bytes'), 0);
    assert.equal((await fetch(u2(`/sessions/${a}/zones?at=${past}`))).status, 200);
    assert.equal(await metric2('mmlab_replay_cache_bytes'), bytes, 'the machine of the past view is cached');
    assert.equal(await metric2('mmlab_sessions_resident_bytes'), bytes, 'the sessions\' bytes apart');
    const hib0 = await metric2('mmlab_sessions_hibernations_total');
    const b = await createSession(d2.url, MACHINE, 'newcomer');
    assert.equal(await metric2('mmlab_replay_cache_bytes'), 0, 'the cache gave its room');
    assert.equal(await metric2('mmlab_sessions_hibernations_total'), hib0, 'no session hibernated');
    const list = new Map((await (await fetch(u2('/sessions'))).json()).sessions.map((x) => [x.id, x.state]));
    assert.equal(list.get(a), 'live');
    assert.equal(list.get(b), 'live');
    assert.equal(await metric2('mmlab_sessions_resident_bytes'), 2 * bytes);
    // a past view in the full budget: answered, and not cached (no room is taken for it)
    assert.equal((await fetch(u2(`/sessions/${a}/zones?at=${past}`))).status, 200);
    assert.equal(await metric2('mmlab_replay_cache_bytes'), 0);
    assert.equal(await metric2('mmlab_sessions_hibernations_total'), hib0);
  } finally {
    await d2.stop();
    rmSync(dir2, { recursive: true, force: true });
  }
});

test('memory is given back: closing resident sessions lowers the reported RSS', async () => {
  const resident = [...(await states()).values()].filter((s) => s.state === 'live' && !s.pinned);
  assert.ok(resident.length >= 1);
  const rss0 = await metric('mmlab_process_resident_bytes');
  for (const s of resident)
    assert.equal((await getJson(url(`/sessions/${s.id}`), { method: 'DELETE' })).status, 200);
  const rss1 = await metric('mmlab_process_resident_bytes');
  assert.ok(rss1 < rss0 - resident.length * 32 * 2 ** 20,
            `RSS ${rss0 >> 20} MiB -> ${rss1 >> 20} MiB after closing ${resident.length} machines of 64 MiB`);
});

test('hibernated sessions outlive a restart (closed) and a kill -9 (crashed), replayable as resident ones are', async () => {
  const list = await states();
  const [a, b] = ids.filter((id) => list.get(id).state === 'hibernated').slice(-2);
  const digests = {};
  for (const id of [a, b]) {
    digests[id] = (await get(`/sessions/${id}/state`)).mem_map_fnv1a64;	/* wakes it */
    assert.equal((await postJson(url(`/sessions/${id}/hibernate`), {})).status, 200);
    const s = (await states()).get(id);
    assert.equal(s.state, 'hibernated');
    digests[id] = { seq: s.last_seq, digest: digests[id] };
  }
  await d.stop({ keep: true });
  d = await startDaemon({ args: ARGS, dbDir: dir });
  let s = (await states()).get(a);
  assert.equal(s.state, 'closed', 'a clean stop closes a hibernated session as it does a resident one');
  assert.equal(s.last_seq, digests[a].seq);
  assert.equal((await get(`/sessions/${a}/verify`)).ok, true);
  assert.equal((await get(`/sessions/${a}/state`)).mem_map_fnv1a64, digests[a].digest);
  // A live one, hibernated, then killed:
  const c = await createSession(d.url, MACHINE, 'killed');
  await applyOps(d.url, c, FIRST);
  await postJson(url(`/sessions/${c}/hibernate`), {});
  assert.equal((await states()).get(c).state, 'hibernated');
  d.child.kill('SIGKILL');
  await d.exited;
  d = await startDaemon({ args: ARGS, dbDir: dir });
  s = (await states()).get(c);
  assert.equal(s.state, 'crashed', 'a kill leaves a hibernated session crashed, as a resident one');
  assert.equal((await get(`/sessions/${c}/verify`)).ok, true);
  assert.equal((await get(`/sessions/${c}/state`)).mem_map_fnv1a64, refState.mem_map_fnv1a64);
  assert.equal((await states()).get(b).state, 'closed');
});
