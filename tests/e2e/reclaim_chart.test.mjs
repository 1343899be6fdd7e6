// reclaim_chart.test.mjs - the reclaim rounds of a session, GET .../reclaim
// and their chart in the trace view: a real 6.18 trace of memory-cgroup
// reclaim (each round's mm_vmscan_lru_shrink_inactive steps counted from the
// file's own lines) and a simulated machine under pressure (kswapd and direct
// rounds from its events), the chart's round menu and kind boxes driven as a
// user would, every drawn step checked against the API. Screenshots at
// 1280x800 and 800x600.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, getJson, createSession, applyOps, top } from './lib/daemon.mjs';
import { launchChromium, openSessionPage, saveScreenshot, painted } from './lib/browser.mjs';

let d, browser;
before(async () => { d = await startDaemon(); browser = await launchChromium(); });
after(async () => { await browser?.close(); await d.stop(); });

const api = (p) => `${d.url}/api/v1${p}`;
const TRACE = join(top, 'tests', 'data', 'ftrace', 'memcg-reclaim.trace');

// The file's rounds, read here line by line: pid, steps [priority, nr_scanned, nr_reclaimed], nr_reclaimed.
function fileRounds(text) {
  const open = new Map(), rounds = [];
  for (const l of text.split('\n')) {
    const m = /^\s*(.+)-(\d+)\s+\[\d+\]\s+\S+\s+(\d+)\.(\d+): (mm_vmscan_[a-z_]+): (.*)$/.exec(l);
    if (!m) continue;
    const pid = Number(m[2]), f = Object.fromEntries([...m[6].matchAll(/(\w+)=(\S+)/g)].map((x) => [x[1], x[2]]));
    if (m[5] === 'mm_vmscan_memcg_reclaim_begin') {
      const r = { pid, steps: [], nr_reclaimed: null };
      rounds.push(r);
      open.set(pid, r);
    } else if (m[5] === 'mm_vmscan_memcg_reclaim_end') {
      open.get(pid).nr_reclaimed = Number(f.nr_reclaimed);
      open.delete(pid);
    } else if (m[5] === 'mm_vmscan_lru_shrink_inactive') {
      open.get(pid).steps.push([Number(f.priority), Number(f.nr_scanned), Number(f.nr_reclaimed)]);
    }
  }
  return rounds;
}

let traceId;
test('GET .../reclaim: a real trace\'s memcg rounds, with the priority, nr_scanned and nr_reclaimed of every step', async () => {
  const text = readFileSync(TRACE, 'utf8');
  const imp = await fetch(api('/sessions/import-trace?name=memcg%20reclaim'), { method: 'POST', body: text });
  assert.equal(imp.status, 201);
  traceId = (await imp.json()).id;
  const r = (await getJson(api(`/sessions/${traceId}/reclaim`))).body;
  assert.equal(r.source, 'trace');
  assert.equal(r.time, 'ts_ns');
  const want = fileRounds(text);
  assert.ok(want.length > 50 && want.some((x) => x.steps.length > 5));
  assert.deepEqual(r.rounds.map((x) => ({ pid: x.pid, steps: x.steps.map((s) => [s.priority, s.nr_scanned, s.nr_reclaimed]), nr_reclaimed: x.nr_reclaimed })), want);
  assert.ok(r.rounds.every((x) => x.kind === 'memcg' && x.task === 'dd' && x.end_seq > x.start_seq));
  // ?at= cuts the rounds: the first round's end is not reached one event before it
  const first = r.rounds[0];
  const cut = (await getJson(api(`/sessions/${traceId}/reclaim?at=${first.end_seq - 1}`))).body;
  assert.equal(cut.rounds.length, 1);
  assert.equal(cut.rounds[0].end_seq, null);
  assert.equal((await getJson(api(`/sessions/${traceId}/reclaim?at=x`))).status, 400);
  assert.equal((await getJson(api('/sessions/99999/reclaim'))).status, 404);
});

// A simulated machine under pressure: an anonymous task, then kernel pages squeeze it out.
async function pressed() {
  const id = await createSession(d.url, { mem_mib: 64, swap_mib: 32 }, 'pressed');
  const pid = (await applyOps(d.url, id, [{ op: 'spawn', name: 'anon' }])).results[0].pid;
  const addr = (await applyOps(d.url, id, [{ op: 'mmap', pid, length: 24 << 20, prot: 'rw-' }])).results[0].addr;
  await applyOps(d.url, id, [{ op: 'touch', pid, addr, length: 24 << 20, access: 'write' }]);
  for (let k = 0; k < 12; k++) {
    const b = await applyOps(d.url, id, Array.from({ length: 1000 }, () => ({ op: 'alloc_pages', order: 0 })));
    if (b.results.some((x) => !x.ok)) break;
  }
  return id;
}

let liveId;
test('GET .../reclaim: a simulated session\'s kswapd and direct rounds, step for step its shrink events', async () => {
  liveId = await pressed();
  const r = (await getJson(api(`/sessions/${liveId}/reclaim`))).body;
  assert.equal(r.source, 'simulated');
  assert.equal(r.time, 'seq');
  const kinds = new Set(r.rounds.map((x) => x.kind));
  assert.ok(kinds.has('kswapd') && kinds.has('direct'), JSON.stringify([...kinds]));
  // every mm_vmscan_lru_shrink_inactive event is one step, with its priority and counts
  const evs = [];
  for (let since = 0; ;) {
    const b = (await getJson(api(`/sessions/${liveId}/events?type=mm_vmscan_lru_shrink_inactive&since=${since}&limit=5000`))).body.events;
    if (!b.length) break;
    evs.push(...b);
    since = b.at(-1).seq;
  }
  const steps = r.rounds.flatMap((x) => x.steps).sort((a, b) => a.seq - b.seq);
  assert.equal(steps.length, evs.length);
  steps.forEach((s, i) => assert.deepEqual([s.seq, s.priority, s.nr_scanned, s.nr_reclaimed],
    [evs[i].seq, evs[i].level, evs[i].size, evs[i].value]));
  // a direct round's steps are the shrink events between its begin and end, all of them
  const directRounds = r.rounds.filter((y) => y.kind === 'direct' && y.end_seq !== null);
  assert.ok(directRounds.some((x) => x.steps.length > 0));
  for (const x of directRounds)
    assert.deepEqual(x.steps.map((s) => s.seq), evs.filter((e) => e.seq > x.start_seq && e.seq < x.end_seq).map((e) => e.seq));
});

// The drawn steps: one circle and two bars per step, each the API's, at the height its value gives.
async function checkDrawn(page, rounds) {
  const steps = rounds.flatMap((x) => x.steps);
  const drawn = await page.$$eval('#trace-reclaim-chart .step-priority', (cs) => cs.map((c) =>
    ({ seq: Number(c.dataset.seq), p: Number(c.dataset.priority), cy: c.cy.baseVal.value })));
  assert.equal(drawn.length, steps.length);
  const axis = Object.fromEntries(await page.$$eval('#trace-reclaim-chart line[data-priority-axis]', (ls) =>
    ls.map((l) => [l.dataset.priorityAxis, l.y1.baseVal.value])));
  const perPrio = (axis[0] - axis[12]) / 12;
  drawn.forEach((c, i) => {
    assert.equal(c.seq, steps[i].seq);
    assert.equal(c.p, steps[i].priority);
    assert.ok(Math.abs(c.cy - (axis[0] - steps[i].priority * perPrio)) < 0.01, `priority ${c.p} drawn at ${c.cy}`);
  });
  const max = Number(await page.$eval('#trace-reclaim-chart svg', (s) => s.dataset.maxScanned));
  assert.equal(max, Math.max(1, ...steps.map((s) => s.nr_scanned)));
  const bars = await page.$$eval('#trace-reclaim-chart .step-scanned, #trace-reclaim-chart .step-reclaimed', (rs) =>
    rs.map((r) => ({ cls: r.getAttribute('class'), seq: Number(r.dataset.seq), h: r.height.baseVal.value })));
  const bySeq = new Map(steps.map((s) => [s.seq, s]));
  for (const b of bars) {
    const s = bySeq.get(b.seq), v = b.cls === 'step-scanned' ? s.nr_scanned : s.nr_reclaimed;
    assert.ok(Math.abs(b.h - v / max * 130) < 0.01, `${b.cls} seq ${b.seq}: ${b.h} for ${v}`);
  }
}

test('the reclaim chart of a real trace: all rounds, one round from the menu, a kind unticked', async () => {
  const { page, done } = await openSessionPage(browser, d.url, '#trace', traceId, { width: 1280, height: 800 });
  await page.waitForSelector('#trace-reclaim[data-ready="true"]');
  const r = (await getJson(api(`/sessions/${traceId}/reclaim`))).body;
  await checkDrawn(page, r.rounds);
  assert.match(await page.textContent('#trace-reclaim-note'), new RegExp(`^${r.rounds.length} round\\(s\\) up to this seq: 0 kswapd, 0 direct, ${r.rounds.length} memcg`));
  // the round with the most steps, from the menu
  const i = r.rounds.reduce((b, x, k) => (x.steps.length > r.rounds[b].steps.length ? k : b), 0);
  await page.selectOption('#trace-reclaim-round', String(i));
  await page.waitForFunction((n) => document.getElementById('trace-reclaim-chart').dataset.steps === String(n), r.rounds[i].steps.length);
  await checkDrawn(page, [r.rounds[i]]);
  assert.match(await page.textContent('#trace-reclaim-note'), new RegExp(`Shown: #${i + 1} memcg dd-${r.rounds[i].pid}`));
  await page.locator('#trace-reclaim').scrollIntoViewIfNeeded();
  await saveScreenshot(page, '#trace-reclaim-round-1280x800');
  // memcg unticked: nothing of this trace is left
  await page.uncheck('#trace-reclaim-controls input[name=memcg]');
  await page.waitForFunction(() => document.getElementById('trace-reclaim-chart').dataset.rounds === '0');
  assert.equal(await page.$$eval('#trace-reclaim-chart circle', (c) => c.length), 0);
  assert.equal(await page.$eval('#trace-reclaim-round', (s) => s.value), '');
  await page.check('#trace-reclaim-controls input[name=memcg]');
  await page.waitForFunction((n) => document.getElementById('trace-reclaim-chart').dataset.rounds === String(n), r.rounds.length);
  // the timeline: back to the first round's end, the chart follows
  await page.locator('#tb-slider').evaluate((el, v) => {
    el.value = String(v);
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }, r.rounds[0].end_seq);
  await page.waitForFunction(() => document.getElementById('trace-reclaim-chart').dataset.rounds === '1');
  await checkDrawn(page, [r.rounds[0]]);
  await page.setViewportSize({ width: 800, height: 600 });
  await painted(page);
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth));
  await page.locator('#trace-reclaim').scrollIntoViewIfNeeded();
  await saveScreenshot(page, '#trace-reclaim-800x600');
  await done();
});

test('the reclaim chart of a simulated session: kswapd and direct rounds, direct alone, one direct round', async () => {
  const { page, done } = await openSessionPage(browser, d.url, '#trace', liveId, { width: 1280, height: 800 });
  await page.waitForSelector('#trace-reclaim[data-ready="true"]');
  const r = (await getJson(api(`/sessions/${liveId}/reclaim`))).body;
  await checkDrawn(page, r.rounds);
  await page.locator('#trace-reclaim').scrollIntoViewIfNeeded();
  await saveScreenshot(page, '#trace-reclaim-live-1280x800');
  await page.uncheck('#trace-reclaim-controls input[name=kswapd]');
  const direct = r.rounds.filter((x) => x.kind === 'direct');
  await page.waitForFunction((n) => document.getElementById('trace-reclaim-chart').dataset.rounds === String(n), direct.length);
  await checkDrawn(page, direct);
  const i = r.rounds.findIndex((x) => x.kind === 'direct' && x.steps.length > 1);
  await page.selectOption('#trace-reclaim-round', String(i));
  await page.waitForFunction((n) => document.getElementById('trace-reclaim-chart').dataset.steps === String(n), r.rounds[i].steps.length);
  await checkDrawn(page, [r.rounds[i]]);
  assert.match(await page.textContent('#trace-reclaim-note'), /over the simulated session.s seq/);
  await page.setViewportSize({ width: 800, height: 600 });
  await painted(page);
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth));
  await page.locator('#trace-reclaim').scrollIntoViewIfNeeded();
  await saveScreenshot(page, '#trace-reclaim-live-800x600');
  await done();
});
