// scenarios_reclaim.test.mjs - the memory-pressure scenarios: each run's
// figure, measured from its own events, supports its claim, and the run
// replays exactly. The OOM killer's and the memory cgroup's figures are
// checked against the run's session too (its events, /proc, dmesg, memcgs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, getJson, postJson } from './lib/daemon.mjs';

let d;
before(async () => { d = await startDaemon(); });
after(async () => { await d.stop(); });

const api = (p) => `${d.url}/api/v1${p}`;

// The run of scenario @name; @failing: the indexes of the ops that must fail.
async function runBody(name, failing = []) {
  const r = await postJson(api(`/scenarios/${name}/run`), {});
  assert.equal(r.status, 201, JSON.stringify(r.body).slice(0, 400));
  const failed = r.body.results.flatMap((x, i) => (x.ok ? [] : [i]));
  assert.deepEqual(failed, failing, JSON.stringify(r.body.results.filter((x) => !x.ok)).slice(0, 400));
  assert.equal(r.body.ops_failed, failing.length);
  const v = await getJson(api(`/sessions/${r.body.session}/verify`));
  assert.equal(v.status, 200);
  assert.equal(v.body.ok, true, JSON.stringify(v.body));
  return r.body;
}

async function run(name) {
  return (await runBody(name)).figure;
}

async function text(path) {
  const r = await fetch(api(path));
  assert.equal(r.status, 200, path);
  return r.text();
}

// Every event of @type in session @id, page by page.
async function events(id, type) {
  const all = [];
  for (let since = 0; ;) {
    const page = (await getJson(api(`/sessions/${id}/events?type=${type}&since=${since}&limit=10000`))).body;
    all.push(...page.events);
    if (!page.events.length || page.next_since <= since)
      return all;
    since = page.next_since;
  }
}

const kb = (status, key) => Number(status.match(new RegExp(`^${key}:\\s+(\\d+) kB$`, 'm'))[1]);

test('what happens when memory runs low: kswapd wakes below low, sleeps above high, nobody stalls', async () => {
  const f = await run('memory-runs-low');
  assert.ok(f.wakeups >= 10, JSON.stringify(f));
  assert.equal(f.woken_only_below_low, true);
  assert.equal(f.slept_only_above_high, true);
  assert.ok(f.kswapd_reclaimed > 50000, 'kswapd took back most of the read');
  assert.equal(f.direct_reclaim_rounds, 0);
});

test('direct reclaim: every round starts at priority 12 and only goes down', async () => {
  const f = await run('direct-reclaim');
  assert.ok(f.rounds > 100, JSON.stringify(f));
  assert.equal(f.rounds_starting_at_12, f.rounds);
  assert.equal(f.priorities_only_descend, true);
  assert.ok(Object.keys(f.rounds_by_lowest_priority).some((p) => Number(p) < 12), 'some round went deeper');
  assert.ok(f.pages_reclaimed >= 32 * f.rounds_that_reclaimed);
});

test('swap and major faults: every swapped page comes back on a major fault, intact', async () => {
  const f = await run('swap-and-major-faults');
  assert.ok(f.pages_swapped_out > 1000, JSON.stringify(f));
  assert.equal(f.every_page_came_back_intact, true);
  assert.equal(f.content_differs, 0);
  assert.ok(f.major_faults >= f.pages_swapped_in);
});

// The OOM killer: the victims in oom_badness() order (the editor's adj of 500
// first though it is small), init and the database (-1000) survive, and the
// session's own /proc/vmstat, dmesg and process list say the same.
test('the OOM killer picks its victims by oom_badness(), init and the -1000 database survive', async () => {
  const body = await runBody('oom-killer');
  const f = body.figure;
  const id = body.session;
  assert.equal(f.oom_kills, 3, JSON.stringify(f));
  assert.deepEqual(f.victims_in_kill_order.map((v) => v.comm), ['editor', 'browser', 'shell']);
  assert.deepEqual(f.survivors.map((v) => v.comm).sort(), ['database', 'init']);
  // oom_badness(): RSS + page tables + adj thousandths of the RAM (no swap here)
  const totalpages = kb(await text(`/sessions/${id}/proc/meminfo`), 'MemTotal') / 4;
  const badness = f.victims_in_kill_order.map((v) =>
    v.rss_and_pgtables_pages + v.oom_score_adj * Math.floor(totalpages / 1000));
  for (let i = 1; i < badness.length; i++)
    assert.ok(badness[i - 1] > badness[i], `kill ${i} before kill ${i + 1}: ${badness}`);
  const [editor, browser] = f.victims_in_kill_order;
  assert.equal(editor.oom_score_adj, 500);
  assert.ok(editor.rss_and_pgtables_pages < browser.rss_and_pgtables_pages, 'the editor is smaller');
  assert.equal(f.oom_score_adj_changed_the_order, true);
  // the exhaust stopped with nobody left to kill
  const last = body.results.at(-1);
  assert.equal(last.exhausted, true);
  assert.match(last.stopped_by.message, /no killable process/);
  // the session itself: the figure's victims are its mark_victim events and its kills
  const marks = await events(id, 'mark_victim');
  assert.deepEqual(marks.map((e) => e.value), f.victims_in_kill_order.map((v) => v.pid));
  const vmstat = await text(`/sessions/${id}/proc/vmstat`);
  assert.match(vmstat, /^oom_kill 3$/m);
  const dmesg = await text(`/sessions/${id}/dmesg`);
  const killed = [...dmesg.matchAll(/Out of memory: Killed process (\d+) \((\S+)\)/g)].map((m) => m[2]);
  assert.deepEqual(killed, ['editor', 'browser', 'shell']);
  const procs = (await getJson(api(`/sessions/${id}/processes`))).body;
  const alive = (procs.processes ?? procs).map((p) => p.comm ?? p.name).sort();
  assert.deepEqual(alive, ['database', 'init']);
});

// A memory cgroup at its limit: the group's page cache (the dataset) is all
// reclaimed before the first kill, the rounds just before it reclaim nothing
// (MAX_RECLAIM_RETRIES more tries after the first empty one), the app is the
// one victim, and the host database outside keeps every page.
test('memcg-limit: the container reclaims its own cache, then kills the app; the host is untouched', async () => {
  const body = await runBody('memcg-limit', [13]);
  const f = body.figure;
  const id = body.session;
  assert.match(body.results[13].message, /out of memory/);
  assert.deepEqual(f.victims.map((v) => v.comm), ['app'], JSON.stringify(f));
  assert.deepEqual(f.survivors.map((v) => v.comm).sort(), ['host-db', 'init', 'sidecar']);
  const datasetPages = 50331648 / 4096;
  assert.equal(f.pages_reclaimed_before_the_first_kill, datasetPages, 'all of the dataset went first');
  assert.ok(f.reclaim_rounds_before_the_first_kill > 16);
  // the same from the run's events
  const ends = await events(id, 'mm_vmscan_memcg_reclaim_end');
  const kill = (await events(id, 'mark_victim'))[0];
  assert.equal(kill.value, f.victims[0].pid);
  const before = ends.filter((e) => e.seq < kill.seq);
  assert.equal(before.length, f.reclaim_rounds_before_the_first_kill);
  assert.equal(before.reduce((n, e) => n + e.value, 0), f.pages_reclaimed_before_the_first_kill);
  assert.deepEqual(before.slice(-17).map((e) => e.value), new Array(17).fill(0),
    'one round and MAX_RECLAIM_RETRIES more reclaimed nothing before the group OOM');
  // the group's files: one OOM, one kill, no page cache left; the host's RSS whole
  const events_ = await text(`/sessions/${id}/memcgs/container/memory.events`);
  assert.match(events_, /^oom 1$/m);
  assert.match(events_, /^oom_kill 1$/m);
  assert.match(await text(`/sessions/${id}/memcgs/container/memory.stat`), /^file 0$/m);
  const host = await text(`/sessions/${id}/proc/2/status`);
  assert.match(host, /^Name:\s+host-db$/m);
  assert.equal(kb(host, 'VmRSS'), 32768);
  assert.match(await text(`/sessions/${id}/proc/vmstat`), /^oom_kill 1$/m);
});
