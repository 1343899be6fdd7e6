// trace_browser.test.mjs - a real kernel's trace in the dashboard, as a user
// opens it: "Open a trace" uploads the capture, the trace view draws the
// page requests by zone and order (bars against GET .../trace), the timeline
// moves the view to an earlier seq, the physical map colours a frame the
// trace allocated, and "Replay through the model" shows the agreement
// figures; a capture bundle uploaded through the page, its progress bar
// moving and put away, and the list of what the view reconstructs.
// Screenshots at 1280x800 and 800x600, no sideways scrolling.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdtempSync, writeFileSync, rmSync, readFileSync, copyFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { startDaemon, getJson, createSession, applyOps, top } from './lib/daemon.mjs';
import { launchChromium, saveScreenshot, painted } from './lib/browser.mjs';

let d, browser;
before(async () => { d = await startDaemon(); browser = await launchChromium(); });
after(async () => { await browser?.close(); await d.stop(); });

const TRACE = join(top, 'tests', 'data', 'ftrace', 'memcg-oom.trace');
const api = (p) => `${d.url}/api/v1${p}`;

// The bars of zone @zone as drawn: order, kind, count, height.
const bars = (page, zone) => page.$$eval(`#trace-zones figure[data-zone="${zone}"] rect`, (rs) =>
  rs.map((r) => ({ order: Number(r.dataset.order), kind: r.dataset.kind, count: Number(r.dataset.count),
                   height: r.getBoundingClientRect().height })));

// Each bar's count is the API's, and its height follows the count.
async function checkBars(page, trace) {
  const max = Number(await page.$eval('#trace-zones', (z) => z.dataset.max));
  assert.equal(max, Math.max(...trace.zones.flatMap((z) => [...z.allocs_by_order, ...z.frees_by_order])));
  for (const z of trace.zones) {
    const drawn = await bars(page, z.name);
    assert.equal(drawn.length, 22, z.name);
    const unit = await page.$eval(`#trace-zones figure[data-zone="${z.name}"] svg`, (s) =>
      s.getBoundingClientRect().height / s.viewBox.baseVal.height);
    for (const b of drawn) {
      const want = (b.kind === 'alloc' ? z.allocs_by_order : z.frees_by_order)[b.order];
      assert.equal(b.count, want, `${z.name} order ${b.order} ${b.kind}`);
      const h = want ? Math.max(1, 61 * want / max) * unit : 0;
      assert.ok(Math.abs(b.height - h) < 0.6, `${z.name} order ${b.order} ${b.kind}: ${b.height} px for ${want}`);
    }
  }
}

test('open a real trace, read its figures, move in time, see its frames and replay it through the model', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(`${d.url}/#overview`);
  await page.waitForSelector('#session option', { state: 'attached' });
  // Open a trace, as a user: the menu, the file, the button.
  await page.click('.open-trace summary');
  await page.setInputFiles('#open-trace input[name=file]', TRACE);
  await page.fill('#open-trace input[name=name]', 'memcg oom');
  await page.click('#open-trace button[name=open]');
  await page.waitForSelector('#trace-zones[data-ready="true"]', { timeout: 15000 });
  const sessions = (await getJson(api('/sessions'))).body.sessions;
  const s = sessions.find((x) => x.name === 'memcg oom');
  assert.equal(s.state, 'trace');
  assert.equal(await page.$eval('#session', (e) => e.value), String(s.id));
  assert.match(page.url(), /#trace/);
  assert.equal(await page.isVisible('#session-badge'), true);
  for (const v of ['overview', 'buddy', 'slabs', 'tlb'])
    assert.equal(await page.isVisible(`nav a[data-view="${v}"]`), false, `${v} hidden for a trace`);
  assert.equal(await page.isVisible('nav a[data-view="physmap"]'), true);

  // The figures at the end of the trace.
  await page.waitForSelector(`#trace-zones[data-seq="${s.last_seq}"]`);
  const full = (await getJson(api(`/sessions/${s.id}/trace`))).body;
  await checkBars(page, full);
  assert.match(await page.textContent('#trace-summary'), new RegExp(`${full.events} events in ${full.lines} lines`));
  assert.match(await page.textContent('#trace-pressure-note'), /^99 reclaim/);
  assert.match(await page.textContent('#trace-pressure-note'), /The OOM killer chose tail \(pid 12733, 32384 kB anonymous\)/);
  assert.match(await page.textContent('#trace-pressure'), /mm_vmscan_memcg_reclaim_end/);
  const rows = await page.$$eval('#trace-tracepoints tr', (trs) => trs.slice(1).map((tr) => tr.textContent));
  assert.equal(rows.length, Object.keys(full.tracepoints).length);
  await saveScreenshot(page, '#trace-1280x800');
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth));

  // The timeline: to seq 100, then one event back with the button.
  await page.locator('#tb-slider').evaluate((el) => {
    el.value = '100';
    el.dispatchEvent(new Event('input', { bubbles: true }));
  });
  await page.waitForSelector('#trace-zones[data-seq="100"]');
  await checkBars(page, (await getJson(api(`/sessions/${s.id}/trace?at=100`))).body);
  await page.click('#tb-back');
  await page.waitForSelector('#trace-zones[data-seq="99"]');
  const at99 = (await getJson(api(`/sessions/${s.id}/trace?at=99`))).body;
  await checkBars(page, at99);
  const ev99 = (await getJson(api(`/sessions/${s.id}/events?since=98&limit=1`))).body.events[0];
  assert.match(await page.textContent('#trace-summary'), new RegExp(`seq 99 is ${ev99.type} .* by ${ev99.task}-${ev99.pid}`));

  // The physical map at seq 99: a frame allocated by then is drawn in the legend's colour.
  const alloc = (await getJson(api(`/sessions/${s.id}/events?type=mm_page_alloc&limit=1`))).body.events[0];
  assert.ok(alloc.seq <= 99);
  await page.click('nav a[data-view="physmap"]');
  await page.evaluate((pfn) => { location.hash = location.hash.replace(/pfn=[^&]*&?/, '') + `&pfn=0x${pfn.toString(16)}`; }, alloc.pfn);
  await page.waitForSelector('#physmap-canvas[data-ready="true"][data-seq="99"]');
  await page.waitForFunction((pfn) => {
    const c = document.getElementById('physmap-canvas');
    return Number(c.dataset.start) <= pfn && pfn < Number(c.dataset.start) + Number(c.dataset.count);
  }, alloc.pfn);
  const legend = (await getJson(api(`/sessions/${s.id}/physmap/legend`))).body;
  const color = legend.codes.find((c) => c.name === 'allocated in the trace').color;
  const px = await page.evaluate((pfn) => {
    const c = document.getElementById('physmap-canvas');
    const { start, scale, framesPerRow } = Object.fromEntries(Object.entries(c.dataset).map(([k, v]) => [k, Number(v)]));
    const i = pfn - start;
    return [...c.getContext('2d').getImageData((i % framesPerRow) * scale, Math.floor(i / framesPerRow) * scale, 1, 1).data.slice(0, 3)];
  }, alloc.pfn);
  assert.deepEqual(px, [1, 3, 5].map((k) => parseInt(color.slice(k, k + 2), 16)));
  await page.waitForSelector('#physmap-page table[data-pfn]');
  assert.match(await page.textContent('#physmap-page'), /allocated/);
  await saveScreenshot(page, '#trace-physmap');

  // Replay through the model: the figures shown are the API's.
  await page.click('nav a[data-view="trace"]');
  await page.click('#trace-resim');
  await page.waitForSelector('#trace-resim-figures[data-ready="true"]');
  const f = (await getJson(api(`/sessions/${s.id}/resimulate`), { method: 'POST' })).body;
  const shown = Object.fromEntries(await page.$$eval('#trace-resim-figures tr', (trs) =>
    trs.slice(1).map((tr) => [...tr.children].map((td) => td.textContent))));
  assert.equal(shown['page allocations replayed'], String(f.page_allocs.total));
  assert.equal(shown['same migratetype'], `${(100 * f.page_allocs.share_same_migratetype).toFixed(1)} %`);
  assert.equal(shown['both succeeded'], `${(100 * f.page_allocs.share_both_ok).toFixed(1)} %`);

  // 800 x 600: the same view fits without sideways scrolling.
  await page.setViewportSize({ width: 800, height: 600 });
  await painted(page);
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth),
            'no horizontal scrolling at 800 px');
  await saveScreenshot(page, '#trace-800x600');
  assert.deepEqual(errors, []);
  await page.close();
});

// What the view says it reconstructs: its first line names where the zones come
// from, the others are the API's not_known, word for word.
async function checkNotKnown(page, trace, zonesLine) {
  const items = await page.$$eval('#trace-not-known li', (lis) => lis.map((li) => li.textContent));
  assert.deepEqual(items, [zonesLine, ...trace.not_known]);
  assert.ok(trace.not_known.some((n) => /only those the trace allocates or frees are drawn/.test(n)));
  assert.ok(trace.not_known.some((n) => /struct page, slabs, page tables, TLBs and processes: a trace carries none/.test(n)));
}

test('a capture bundle uploaded through the page: the progress bar moves and ends, the zones are its zoneinfo\'s', async () => {
  // compile-kmem.trace with its /proc files, as mmlab-capture bundles them; comment lines
  // after the trace make the upload long enough to be seen in steps
  const dir = mkdtempSync(join(tmpdir(), 'mmlab-bundle-page-'));
  const DATA = join(top, 'tests', 'data', 'ftrace');
  const pad = `#${'-'.repeat(1022)}\n`.repeat(24 * 1024);
  writeFileSync(join(dir, 'trace'), readFileSync(join(DATA, 'compile-kmem.trace'), 'utf8') + pad);
  for (const f of ['zoneinfo', 'buddyinfo', 'pagetypeinfo']) copyFileSync(join(DATA, 'compile-proc', f), join(dir, f));
  execFileSync('tar', ['-C', dir, '-cf', join(dir, 'compile.tar'), 'trace', 'zoneinfo', 'buddyinfo', 'pagetypeinfo']);
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  // every value the progress bar is given, in order, and whether it was shown then
  await page.addInitScript(() => {
    const desc = Object.getOwnPropertyDescriptor(HTMLProgressElement.prototype, 'value');
    window.progressSeen = [];
    Object.defineProperty(HTMLProgressElement.prototype, 'value', {
      get() { return desc.get.call(this); },
      set(v) {
        if (this.id === 'open-trace-progress') window.progressSeen.push({ value: Number(v), hidden: this.hidden });
        desc.set.call(this, v);
      },
    });
  });
  // a slow link, so that the upload reports its progress more than once
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0,
    downloadThroughput: -1, uploadThroughput: 8 * 1024 * 1024 });
  await page.goto(`${d.url}/#overview`);
  await page.waitForSelector('#session option', { state: 'attached' });
  await page.click('.open-trace summary');
  await page.setInputFiles('#open-trace input[name=file]', join(dir, 'compile.tar'));
  await page.fill('#open-trace input[name=name]', 'compile bundle');
  await page.click('#open-trace button[name=open]');
  await page.waitForSelector('#trace-zones[data-ready="true"]', { timeout: 30000 });
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0,
    downloadThroughput: -1, uploadThroughput: -1 });
  rmSync(dir, { recursive: true, force: true });
  const seen = await page.evaluate(() => window.progressSeen);
  assert.equal(seen[0].value, 0, 'the bar starts empty');
  assert.ok(seen.every((p) => !p.hidden), 'shown while it moves');
  assert.ok(seen.some((p) => p.value > 0 && p.value < 1), `it moved through the upload: ${JSON.stringify(seen)}`);
  assert.ok(seen.every((p, i) => i === 0 || p.value >= seen[i - 1].value), 'it never goes back');
  assert.equal(seen.at(-1).value, 1, 'it ends full');
  assert.equal(await page.$eval('#open-trace-progress', (p) => p.hidden), true, 'and is put away once the trace is open');
  // the bundle was read as one: its zoneinfo gives the zones
  const s = (await getJson(api('/sessions'))).body.sessions.find((x) => x.name === 'compile bundle');
  assert.equal(s.state, 'trace');
  const t = (await getJson(api(`/sessions/${s.id}/trace`))).body;
  assert.equal(t.form, 'bundle');
  assert.equal(t.zoneinfo, true);
  assert.equal(t.zones_from, 'zoneinfo');
  await page.waitForSelector(`#trace-zones[data-seq="${s.last_seq}"]`);
  await checkBars(page, t);
  await checkNotKnown(page, t, 'the zones are those of the zoneinfo taken before the trace');
  // a trace without zoneinfo says its zones are one span over the pfns it names
  const plain = await fetch(api('/sessions/import-trace?name=plain'), { method: 'POST', body: readFileSync(TRACE),
    headers: { 'Content-Type': 'text/plain' } });
  const p = await plain.json();
  await page.evaluate((id) => { location.hash = `#trace?session=${id}`; }, p.id);
  await page.waitForSelector(`#session option[value="${p.id}"]`, { state: 'attached' });
  await page.selectOption('#session', String(p.id));
  await page.waitForSelector(`#trace-zones[data-ready="true"][data-seq="${p.last_seq ?? (await getJson(api(`/sessions/${p.id}`))).body.last_seq}"]`);
  await checkNotKnown(page, (await getJson(api(`/sessions/${p.id}/trace`))).body,
    'the zones: the trace came without a zoneinfo, so one span over the pfns it names is shown');
  await saveScreenshot(page, '#trace-bundle');
  assert.deepEqual(errors, []);
  await page.close();
});

// A trace whose real buddyinfo is known during it: a simulated session's
// export, with trace_marker buddyinfo lines (as mmlab-capture --sample writes
// them) after its allocations and at its end, the second changed by a known amount.
async function sampledTrace() {
  const sim = await createSession(d.url, { mem_mib: 128, cpus: 2 }, 'machine sampled');
  const proc = async () => (await (await fetch(api(`/sessions/${sim}/proc/buddyinfo`))).text()).trim().split('\n');
  const res = await applyOps(d.url, sim, Array.from({ length: 16 }, (_, i) =>
    ({ op: 'alloc_pages', gfp: 'GFP_KERNEL', order: i % 3, cpu: 0 })));
  const b1 = await proc();
  await applyOps(d.url, sim, res.results.map((x) => ({ op: 'free_pages', pfn: x.pfn, order: x.order, cpu: 0 })));
  const b2 = (await proc()).map((l, i) => (i ? l : l.replace(/^(Node 0, zone\s+\S+\s+)(\d+)/, (_, h, n) => h + (Number(n) + 7))));
  const lines = (await (await fetch(api(`/sessions/${sim}/export?format=ftrace`))).text()).trimEnd().split('\n');
  const firstFree = lines.findIndex((l) => / mm_page_free: /.test(l));
  const mark = (ts, b) => b.map((l) => `           <...>-1       [000] .....  ${ts}: tracing_mark_write: buddyinfo ${l}`);
  const ts = (l) => /(\d+\.\d+): /.exec(l)[1];
  return [...lines.slice(0, firstFree), ...mark(ts(lines[firstFree - 1]), b1), ...lines.slice(firstFree),
          ...mark(ts(lines.at(-1)), b2)].join('\n') + '\n';
}

test('replaying a sampled trace draws the distance of the free lists over time, point by point', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mmlab-sampled-'));
  const file = join(dir, 'sampled.trace');
  writeFileSync(file, await sampledTrace());
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(`${d.url}/#overview`);
  await page.waitForSelector('#session option', { state: 'attached' });
  await page.click('.open-trace summary');
  await page.setInputFiles('#open-trace input[name=file]', file);
  await page.fill('#open-trace input[name=name]', 'sampled');
  await page.click('#open-trace button[name=open]');
  await page.waitForSelector('#trace-zones[data-ready="true"]', { timeout: 15000 });
  rmSync(dir, { recursive: true, force: true });
  assert.equal(await page.isVisible('#trace-resim-distance'), false);
  await page.click('#trace-resim');
  await page.waitForSelector('#trace-resim-distance[data-ready="true"]');
  const s = (await getJson(api('/sessions'))).body.sessions.find((x) => x.name === 'sampled');
  const rs = await getJson(api(`/sessions/${s.id}/resimulate`), { method: "POST" });
  assert.equal(rs.status, 200, JSON.stringify(rs.body));
  const dist = rs.body.buddyinfo_distance;
  assert.deepEqual(dist.points.map((p) => p.source), ['marker', 'marker']);
  assert.equal(dist.points[0].distance, 0);	// the first sample is the model's own state
  assert.ok(dist.points[1].distance > 0 && dist.points[1].change_distance > 0);
  // each dot is the API's value, at the height the 0..1 axis gives it
  const dots = await page.$$eval('#trace-resim-distance-chart circle', (cs) => cs.map((c) =>
    ({ series: c.dataset.series, i: Number(c.dataset.i), value: Number(c.dataset.value), cy: c.cy.baseVal.value })));
  assert.equal(dots.length, 2 * dist.points.length);
  const axis = await page.$$eval('#trace-resim-distance-chart line', (ls) => ls.map((l) => l.y1.baseVal.value));
  const [y1, y0] = [Math.min(...axis), Math.max(...axis)];
  for (const dot of dots) {
    const want = dist.points[dot.i][dot.series];
    assert.ok(Math.abs(dot.value - want) < 1e-12, `${dot.series} ${dot.i}`);
    assert.ok(Math.abs(dot.cy - (y0 - want * (y0 - y1))) < 0.01, `${dot.series} ${dot.i}: y ${dot.cy} for ${want}`);
  }
  assert.match(await page.textContent('#trace-resim-distance-note'), /at 2 point\(s\) where the real buddyinfo is known \(marker\)/);
  await page.locator('#trace-resim-distance').scrollIntoViewIfNeeded();
  await saveScreenshot(page, '#trace-distance-1280x800');
  await page.setViewportSize({ width: 800, height: 600 });
  await painted(page);
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth));
  await page.locator('#trace-resim-distance').scrollIntoViewIfNeeded();
  await saveScreenshot(page, '#trace-distance-800x600');
  assert.deepEqual(errors, []);
  await page.close();
});
