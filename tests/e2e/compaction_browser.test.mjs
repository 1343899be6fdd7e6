// compaction_browser.test.mjs - compaction as a person sees it in the
// dashboard: a real compact_memory trace opened from the page draws each
// zone's run with the migrate scanner walking up and the free scanner
// walking down; moving the timeline back shows the runs as they stood then;
// the capture of compact_memory gives each zone its run, the timeline its
// marks and the reclaim list its lines.
// Screenshots at 1280x800 and 800x600, no sideways scrolling.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { startDaemon, getJson, createSession, applyOps, top } from './lib/daemon.mjs';
import { launchChromium, saveScreenshot, openSessionPage, ARTIFACTS, painted } from './lib/browser.mjs';
import { parseFields } from '../../web/js/ktext.js';

let d, browser;
before(async () => { d = await startDaemon(); browser = await launchChromium(); });
after(async () => { await browser?.close(); await d.stop(); });

const TRACE = join(top, 'tests', 'data', 'ftrace', 'compact-fragmented.trace');
const api = (p) => `${d.url}/api/v1${p}`;

// The runs as drawn: one figure each, with what it says of its scanners. One
// evaluation finds and reads them: $$eval queries first and reads in a second
// step, and a refresh in between would leave it measuring figures already
// replaced (out of the page, so 0 px high).
const drawn = (page) => page.evaluate(() => [...document.querySelectorAll('#trace-compaction figure')].map((f) => ({
  ...f.dataset, caption: f.querySelector('figcaption').textContent,
  canvas: f.querySelector('canvas').getBoundingClientRect().height, nbands: f.querySelectorAll('canvas').length })));

// The runs of the trace file itself, counted from its lines.
function runsOfFile(text, upTo = Infinity) {
  const runs = [];
  let n = 0;
  for (const line of text.split('\n')) {
    const m = /: (mm_compaction_\w+): (.*)$/.exec(line);
    if (!m || line.startsWith('#')) continue;
    if (++n > upTo) break;
    const f = parseFields(m[2]);
    if (m[1] === 'mm_compaction_begin') runs.push({ migrate: [], free: [], status: 'running', zone_start: f.zone_start });
    const r = runs.at(-1);
    if (m[1] === 'mm_compaction_isolate_migratepages') r.migrate.push(f.range);
    if (m[1] === 'mm_compaction_isolate_freepages') r.free.push(f.range);
    if (m[1] === 'mm_compaction_end') r.status = f.status;
    if (m[1] === 'mm_compaction_migratepages') r.migrated = (r.migrated ?? 0) + f.nr_migrated;
  }
  return runs;
}

test('the kernel text parser reads ranges, hex, names and negative numbers', () => {
  assert.deepEqual(parseFields('range=(0x100000 ~ 0x100200) nr_scanned=512 nr_taken=0'),
    { range: [0x100000, 0x100200], nr_scanned: 512, nr_taken: 0 });
  assert.deepEqual(parseFields('zone_start=0x1 migrate_pfn=0xe00 free_pfn=0xe00 zone_end=0x1000, mode=sync status=complete'),
    { zone_start: 1, migrate_pfn: 0xe00, free_pfn: 0xe00, zone_end: 0x1000, mode: 'sync', status: 'complete' });
  assert.deepEqual(parseFields('node=0 zone=Normal   order=-1 ret=continue'),
    { node: 0, zone: 'Normal', order: -1, ret: 'continue' });
  assert.deepEqual(parseFields('addr=7fe918a8b000, pte=e7ffffffdfc7c000 order=0'),
    { addr: '7fe918a8b000', pte: 'e7ffffffdfc7c000', order: 0 });
});

test('a real compaction trace: each zone\'s run, the scanners\' directions, and the timeline', async () => {
  const text = readFileSync(TRACE, 'utf8');
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(`${d.url}/#overview`);
  await page.waitForSelector('#session option', { state: 'attached' });
  await page.click('.open-trace summary');
  await page.setInputFiles('#open-trace input[name=file]', TRACE);
  await page.fill('#open-trace input[name=name]', 'compact memory');
  await page.click('#open-trace button[name=open]');
  const s = await (async () => {
    for (let i = 0; i < 600; i++) {
      const found = (await getJson(api('/sessions'))).body.sessions.find((x) => x.name === 'compact memory');
      if (found) return found;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`no session named "compact memory": ${JSON.stringify((await getJson(api('/sessions'))).body.sessions.map((x) => x.name))}`);
  })();
  await page.waitForSelector(`#trace-compaction[data-seq="${s.last_seq}"]`, { timeout: 15000 });
  // Chart.js sizes each canvas from its box once the box is laid out (a ResizeObserver).
  await page.waitForFunction(() => [...document.querySelectorAll('#trace-compaction figure canvas')]
    .every((c) => c.getBoundingClientRect().height > 100), null, { timeout: 10000 }).catch(() => {});
  const want = runsOfFile(text);
  let runs = await drawn(page);
  assert.equal(runs.length, want.length);
  assert.deepEqual(runs.map((r) => r.zone), ['DMA', 'DMA32', 'Normal']);
  for (let i = 0; i < want.length; i++) {
    assert.equal(Number(runs[i].migrateSteps), want[i].migrate.length, runs[i].zone);
    assert.equal(Number(runs[i].freeSteps), want[i].free.length, runs[i].zone);
    assert.equal(runs[i].status, want[i].status, runs[i].zone);
    assert.ok(runs[i].canvas > 100, 'the chart has room');
  }
  // The migrate scanner walks up and the free scanner down (DMA's never moved: nothing to migrate).
  assert.equal(runs[2].migrateDirection, 'up');
  assert.equal(runs[2].freeDirection, 'down');
  assert.equal(runs[0].migrateDirection, 'up');
  assert.equal(runs[0].freeDirection, 'still');
  assert.equal(Number(runs[2].migrated), 3275);
  assert.match(runs[2].caption, /ended status=contended with the migrate scanner at 0x103a00 and the free scanner at 0x1b4a82 \(they had not met\)/);
  assert.match(runs[0].caption, /ended status=complete .* \(they met\)/);
  await saveScreenshot(page, '#trace-compaction-1280x800');
  await page.locator('#trace-compaction').screenshot({ path: join(ARTIFACTS, `compaction-runs-1280-${process.pid}.png`) });
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth));

  // The timeline back to the middle of zone Normal's run: it is still running, with fewer steps.
  const mid = text.split('\n').filter((l) => l.trim() && !l.startsWith('#')).findIndex((l) => l.includes('nr_migrated=475')) + 1;
  await page.locator('#tb-slider').evaluate((el, v) => {
    el.value = String(v);
    el.dispatchEvent(new Event('input', { bubbles: true }));
    el.dispatchEvent(new Event('change', { bubbles: true }));
  }, mid);
  await page.waitForSelector(`#trace-compaction[data-seq="${mid}"]`, { timeout: 15000 });
  runs = await drawn(page);
  assert.equal(runs[2].status, 'running');
  assert.ok(Number(runs[2].migrateSteps) < want[2].migrate.length);
  assert.ok(Number(runs[2].migrateSteps) > 0);
  assert.match(runs[2].caption, /still running/);
  assert.equal(runs[2].migrateDirection, 'up');
  assert.equal(runs[2].freeDirection, 'down');

  // The physical map at that seq: the scanners where the trace's last steps left them.
  const lastMig = want[2].migrate.filter((r, i) => i < Number(runs[2].migrateSteps)).at(-1);
  await page.click('nav a[data-view="physmap"]');
  await page.waitForSelector(`#physmap-compaction[data-run]:not([hidden])`, { timeout: 15000 });
  await page.waitForSelector('#physmap-canvas[data-ready="true"]');
  assert.equal(await page.getAttribute('#physmap-compaction', 'data-status'), 'running');
  assert.equal(Number(await page.getAttribute('#physmap-compaction', 'data-migrate-pfn')), lastMig[1]);
  assert.match(await page.textContent('#physmap-compaction h3'), /Compaction of Normal, sync, running at this seq/);
  await page.locator('#physmap-compaction').screenshot({ path: join(ARTIFACTS, `physmap-compaction-${process.pid}.png`) });
  // The button takes the map to the free scanner: its label is drawn there.
  await page.click('#physmap-compaction button.go-free');
  await page.waitForSelector('#physmap-marks .mark.free-scanner', { timeout: 15000 });
  const freePfn = Number(await page.getAttribute('#physmap-compaction', 'data-free-pfn'));
  assert.equal(Number(await page.getAttribute('#physmap-marks .mark.free-scanner', 'data-pfn')), freePfn);
  assert.equal(Number(await page.getAttribute('#physmap-canvas', 'data-cursor')), freePfn);

  await saveScreenshot(page, '#physmap-compaction-1280x800');

  await page.setViewportSize({ width: 800, height: 600 });
  await painted(page);
  await saveScreenshot(page, '#physmap-compaction-800x600');
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth));
  await page.click('nav a[data-view="trace"]');
  await page.waitForSelector('#trace-compaction figure');
  await saveScreenshot(page, '#trace-compaction-800x600');
  await page.locator('#trace-compaction').screenshot({ path: join(ARTIFACTS, `compaction-runs-800-${process.pid}.png`) });
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth));
  assert.deepEqual(errors, []);
  await page.close();
});

test('the capture of a compact_memory run: its three zones\' runs, the timeline\'s marks and the reclaim list', async () => {
  const file = join(top, 'tests', 'data', 'ftrace', 'compact-memory.trace');
  const text = readFileSync(file, 'utf8');
  const r = await fetch(api('/sessions/import-trace?name=compact-memory'), { method: 'POST', body: text,
    headers: { 'Content-Type': 'text/plain' } });
  assert.equal(r.status, 201);
  const { id } = await r.json();
  const last = (await getJson(api(`/sessions/${id}`))).body.last_seq;
  const { page, done } = await openSessionPage(browser, d.url, '#trace', id, { width: 1280, height: 800 });
  await page.waitForSelector(`#trace-compaction[data-seq="${last}"]`, { timeout: 15000 });
  const want = runsOfFile(text);
  const runs = await drawn(page);
  assert.deepEqual(runs.map((x) => x.zone), ['DMA', 'DMA32', 'Normal']);
  assert.equal(runs.length, want.length);
  for (let i = 0; i < want.length; i++) {
    assert.equal(Number(runs[i].migrateSteps), want[i].migrate.length, runs[i].zone);
    assert.equal(Number(runs[i].freeSteps), want[i].free.length, runs[i].zone);
    assert.equal(runs[i].status, want[i].status, runs[i].zone);
    assert.equal(Number(runs[i].migrated), want[i].migrated ?? 0, `${runs[i].zone}: pages migrated`);
  }
  assert.deepEqual(want.map((x) => x.status), ['complete', 'complete', 'contended']);
  // the timeline marks each run's end, at the seq of its line
  const lines = text.split('\n').filter((l) => l.trim() && !l.startsWith('#'));
  const ends = lines.map((l, i) => [i + 1, l]).filter(([, l]) => / mm_compaction_end: /.test(l));
  const t = (await getJson(api(`/sessions/${id}/timeline`))).body;
  assert.deepEqual(t.markers.map((m) => m.seq), ends.map(([seq]) => seq));
  assert.deepEqual(t.markers.map((m) => m.detail), ends.map(([, l]) => l.replace(/^.*mm_compaction_end: /, '')));
  // the reclaim and compaction list: every compaction and migrate line, in time order
  const a = (await getJson(api(`/sessions/${id}/trace/activity`))).body;
  assert.equal(a.pressure_events, lines.filter((l) => /: (mm_compaction_|mm_migrate_pages)/.test(l)).length);
  assert.ok(a.pressure.every((p, i) => i === 0 || p.ts_ns >= a.pressure[i - 1].ts_ns));
  // the page lists the latest of them, the last one the Normal run's end
  const rows = await page.$$eval('#trace-pressure tr', (trs) => trs.slice(1).map((tr) => [...tr.children].map((td) => td.textContent)));
  const tail = lines.filter((l) => /: (mm_compaction_|mm_migrate_pages)/.test(l)).slice(-rows.length)
    .map((l) => /: ([a-z_]+): (.*)$/.exec(l).slice(1));
  assert.ok(rows.length >= 10, `${rows.length} rows`);
  assert.deepEqual(rows.map((x) => x.slice(1)), tail);
  assert.match(rows.at(-1).join(' '), /mm_compaction_end .*status=contended/);
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth));
  await done();
});

// The scanners and moves as drawn at the timeline's seq.
const physmapState = (page) => page.$eval('#physmap-compaction', (e) => ({
  status: e.dataset.status, migrate: Number(e.dataset.migratePfn), free: Number(e.dataset.freePfn),
  moves: Number(e.dataset.moves), block: e.dataset.block, seq: e.dataset.run,
  drawn: Number(document.getElementById('physmap-canvas').dataset.moves),
  mapSeq: Number(document.getElementById('physmap-canvas').dataset.seq) }));

async function seek(page, seq) {
  await page.locator('#tb-slider').evaluate((el, v) => {
    el.value = String(v);
    el.dispatchEvent(new Event('input', { bubbles: true }));
    el.dispatchEvent(new Event('change', { bubbles: true }));
  }, seq);
  await page.waitForSelector(`#physmap-compaction[data-at="${seq}"]`, { timeout: 120000 });
}

test('"Movable fragmentation is compacted" from the page: the timeline steps the scanners and the moves on the map', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(`${d.url}/#scenarios`);
  await page.waitForSelector('#scenario-list[data-ready="true"]', { timeout: 10000 });
  await page.click('#scenario-list article[data-name="movable-fragmentation-compacted"] button[data-action="new"]');
  await page.waitForSelector('#scenario-panel[data-scenario="movable-fragmentation-compacted"]', { timeout: 120000 });
  await page.waitForFunction(() => location.hash.startsWith('#physmap'));
  const id = Number(await page.getAttribute('#scenario-panel', 'data-session'));
  const f = (await getJson(api(`/sessions/${id}`))).body.scenario_runs.at(-1).figure;
  await page.waitForSelector(`#physmap-compaction[data-session="${id}"][data-status="success"]`, { timeout: 120000 });
  const end = await physmapState(page);
  assert.equal(end.block, `${f.request.pfn}+1024`);
  // Its buddyinfo rows: before the run (its first seq) and after the allocation the run made room for.
  {
    const runSeq = Number(end.seq);
    const runEnd = (await getJson(api(`/sessions/${id}/events?type=mm_compaction_end&since=${runSeq}&limit=1`))).body.events[0];
    const alloc = (await getJson(api(`/sessions/${id}/events?type=mm_page_alloc&since=${runEnd.seq}&limit=1`))).body.events[0];
    assert.equal(alloc.pfn, f.request.pfn);
    const zone = /zone=(\S+)/.exec((await getJson(api(`/sessions/${id}/events?type=mm_compaction_finished&since=${runSeq}&limit=1`))).body.events[0].detail)[1];
    const rows = await page.$$eval('#physmap-compaction table.compaction-buddy tr[data-when]', (trs) =>
      trs.map((tr) => ({ when: tr.dataset.when, counts: [...tr.querySelectorAll('td')].map((td) => Number(td.textContent)) })));
    assert.deepEqual(rows.map((x) => x.when), ['before the run', 'after the allocation']);
    assert.deepEqual(rows[0].counts, await buddyinfoAt(id, zone, runSeq));
    assert.deepEqual(rows[1].counts, await buddyinfoAt(id, zone, alloc.seq));
  }
  assert.ok(end.drawn > 0 && end.drawn < end.moves, `${end.drawn} of ${end.moves} moves drawn as arrows (the last batch)`);
  await saveScreenshot(page, '#physmap-movable-1280x800');
  await page.locator('.physmap').screenshot({ path: join(ARTIFACTS, `physmap-moves-${process.pid}.png`) });

  // Step the timeline through the synchronous run: the migrate scanner only goes up, the free scanner
  // only down, and the moves drawn only grow.
  const ev = async (type) => (await getJson(api(`/sessions/${id}/events?type=${type}&limit=10000`))).body.events;
  // the direct synchronous run: the first sync one (kcompactd's, later, are sync too)
  const begins = await ev('mm_compaction_begin'), sync = begins.filter((b) => /mode=sync/.test(b.detail))[0];
  const ends = (await ev('mm_compaction_end')).filter((e) => e.seq > sync.seq);
  const batches = (await ev('mm_compaction_migratepages')).filter((m) => m.seq > sync.seq && m.seq < ends[0].seq);
  assert.ok(batches.length >= 2, `${batches.length} migration batches in the run`);
  let before = null;
  for (const b of batches) {
    await seek(page, b.seq);
    const now = await physmapState(page);
    assert.equal(now.status, 'running', `seq ${b.seq}`);
    assert.equal(now.block, '');
    if (before) {
      assert.ok(now.migrate >= before.migrate, `the migrate scanner goes up: ${now.migrate} after ${before.migrate}`);
      assert.ok(now.free <= before.free, `the free scanner comes down: ${now.free} after ${before.free}`);
      assert.ok(now.moves > before.moves, 'more pages moved');
    }
    assert.ok(now.drawn > 0, `the batch that just moved is drawn as arrows at seq ${b.seq}`);
    assert.ok(now.migrate < now.free, 'they have not met');
    before = now;
  }
  assert.ok(before.migrate > Number(sync.pfn), 'the migrate scanner moved from its start');
  assert.ok(before.free < Number(sync.value), 'the free scanner moved from its start');
  // The arrows point from the migrate scanner's side to the free scanner's: old frames low, new ones high.
  const moves = (await ev('migrate_folio_move')).filter((m) => m.seq > sync.seq && m.seq < ends[0].seq);
  assert.ok(moves.every((m) => m.pfn < before.migrate + 512 && m.value > m.pfn), 'each page moved up the zone');
  // Zoomed in, as the panel's button does: the arrows of the last batch are drawn, bigger.
  await page.click('#physmap-compaction button.zoom-in');
  await page.waitForSelector('#physmap-canvas[data-scale="4"]', { timeout: 120000 });
  assert.ok(Number(await page.getAttribute('#physmap-canvas', 'data-moves')) > 0, 'arrows drawn zoomed in');
  await page.locator('.physmap').screenshot({ path: join(ARTIFACTS, `physmap-moves-zoomed-${process.pid}.png`) });
  await saveScreenshot(page, '#physmap-movable-midrun-1280x800');
  await page.setViewportSize({ width: 800, height: 600 });
  await painted(page);
  await saveScreenshot(page, '#physmap-movable-midrun-800x600');
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth));
  assert.deepEqual(errors, []);
  await page.close();
});

// /proc/buddyinfo's counts of @zone at @seq, from the API.
async function buddyinfoAt(id, zone, seq) {
  const r = await fetch(api(`/sessions/${id}/proc/buddyinfo?at=${seq}`));
  assert.equal(r.status, 200);
  const line = (await r.text()).split('\n').find((l) => new RegExp(`^Node\\s+\\d+, zone\\s+${zone}\\s`).test(l));
  assert.ok(line, `buddyinfo at ${seq} has zone ${zone}`);
  return line.replace(/^Node\s+\d+, zone\s+\S+\s+/, '').trim().split(/\s+/).map(Number);
}

test('the buddyinfo panel beside the map: before and after a compact_memory run, as /proc/buddyinfo at its first and last seq', async () => {
  const id = await createSession(d.url, { mem_mib: 128, pcp: false }, 'buddy panel');
  const ops = await applyOps(d.url, id, [{ op: 'sysctl', name: 'vm.compaction_proactiveness', value: 0 },
    { op: 'workload', kind: 'fragment_user', count: 20000, gfp: 'GFP_KERNEL', order: 0 },
    { op: 'compact_memory' }]);
  assert.ok(ops.results.every((x) => x.ok), JSON.stringify(ops.results));
  // the last run of the session: the panel shows it at the end of the timeline
  const ev = async (type) => (await getJson(api(`/sessions/${id}/events?type=${type}&limit=10000`))).body.events;
  const begin = (await ev('mm_compaction_begin')).at(-1), end = (await ev('mm_compaction_end')).at(-1);
  assert.ok(end.seq > begin.seq);
  assert.ok((await ev('migrate_folio_move')).some((m) => m.seq > begin.seq && m.seq < end.seq), 'the run moved pages');
  const zone = /zone=(\S+)/.exec((await ev('mm_compaction_finished')).at(-1).detail)[1];
  const first = await buddyinfoAt(id, zone, begin.seq), last = await buddyinfoAt(id, zone, end.seq);
  assert.notDeepEqual(first, last, 'the run changed the free lists');

  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(`${d.url}/#physmap?session=${id}`);
  await page.waitForSelector(`#physmap-compaction[data-session="${id}"][data-run="${begin.seq}"]:not([hidden])`,
    { timeout: 120000 });
  assert.equal(await page.getAttribute('#physmap-compaction', 'data-status'), 'complete');
  const rows = await page.$$eval('#physmap-compaction table.compaction-buddy tr[data-when]', (trs) =>
    trs.map((tr) => ({ when: tr.dataset.when, counts: [...tr.querySelectorAll('td')].map((td) => Number(td.textContent)) })));
  assert.deepEqual(rows.map((x) => x.when), ['before the run', 'after the run']);
  assert.deepEqual(rows[0].counts, first, `before the run: /proc/buddyinfo of ${zone} at seq ${begin.seq}`);
  assert.deepEqual(rows[1].counts, last, `after the run: /proc/buddyinfo of ${zone} at seq ${end.seq}`);
  const head = await page.$$eval('#physmap-compaction table.compaction-buddy tr:first-child th', (ths) => ths.map((t) => t.textContent));
  assert.equal(head[0], `${zone}: free blocks of order`);
  assert.deepEqual(head.slice(1).map(Number), first.map((_, o) => o));
  assert.deepEqual(errors, []);
  await page.close();
});
