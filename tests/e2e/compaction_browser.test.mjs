// compaction_browser.test.mjs - compaction as a person sees it in the
// dashboard: a real compact_memory trace opened from the page draws each
// zone's run with the migrate scanner walking up and the free scanner
// walking down; moving the timeline back shows the runs as they stood then.
// Screenshots at 1280x800 and 800x600, no sideways scrolling.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { startDaemon, getJson, top } from './lib/daemon.mjs';
import { launchChromium, saveScreenshot, ARTIFACTS } from './lib/browser.mjs';
import { parseFields } from '../../web/js/ktext.js';

let d, browser;
before(async () => { d = await startDaemon(); browser = await launchChromium(); });
after(async () => { await browser?.close(); await d.stop(); });

const TRACE = join(top, 'tests', 'data', 'ftrace', 'compact-fragmented.trace');
const api = (p) => `${d.url}/api/v1${p}`;

// The runs as drawn: one figure each, with what it says of its scanners.
const drawn = (page) => page.$$eval('#trace-compaction figure', (fs) => fs.map((f) => ({
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
    for (;;) {
      const found = (await getJson(api('/sessions'))).body.sessions.find((x) => x.name === 'compact memory');
      if (found) return found;
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  await page.waitForSelector(`#trace-compaction[data-seq="${s.last_seq}"]`, { timeout: 15000 });
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
  await page.waitForTimeout(300);
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
