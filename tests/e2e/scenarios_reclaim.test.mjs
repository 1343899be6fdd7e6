// scenarios_reclaim.test.mjs - the memory-pressure scenarios: each run's
// figure, measured from its own events, supports its claim, and the run
// replays exactly.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, getJson, postJson } from './lib/daemon.mjs';

let d;
before(async () => { d = await startDaemon(); });
after(async () => { await d.stop(); });

const api = (p) => `${d.url}/api/v1${p}`;

async function run(name) {
  const r = await postJson(api(`/scenarios/${name}/run`), {});
  assert.equal(r.status, 201, JSON.stringify(r.body).slice(0, 400));
  assert.equal(r.body.ops_failed, 0, JSON.stringify(r.body.results.filter((x) => !x.ok)).slice(0, 400));
  const v = await getJson(api(`/sessions/${r.body.session}/verify`));
  assert.equal(v.body.ok, true, JSON.stringify(v.body));
  return r.body.figure;
}

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
