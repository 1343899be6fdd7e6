// dashboard.test.mjs - the dashboard's views in Debian's chromium against a
// real daemon: what they draw must be what the REST API says.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium, saveScreenshot, ARTIFACTS } from './lib/browser.mjs';
import { join } from 'node:path';
import { startDaemon, getJson, postJson, apiOf } from './lib/daemon.mjs';
import { checkBarEnds, legendColours, overviewStretches } from './lib/pixels.mjs';

const KERNEL_PFN = 0x1000;		// the kernel image is loaded at 16 MiB
const HOLE_PFN = 0xc0000 + 0x1234;	// inside the 3-4 GiB MMIO hole
let d, browser, session;

const { api, get } = apiOf(() => d.url);

before(async () => {
  d = await startDaemon();
  browser = await launchChromium();
  session = (await get('/sessions')).sessions.find((s) => s.name === 'default').id;
});

after(async () => {
  await browser?.close();
  await d?.stop();
});

// A page of the dashboard whose requests and console errors are recorded;
// done() checks that nothing went to another host and nothing failed.
async function openDashboard(hash = '') {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  const requests = [], errors = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(`${d.url}/${hash}`);
  return {
    page,
    async done({ allowedErrors = [] } = {}) {
      for (const url of requests)
        assert.ok(url.startsWith(`${d.url}/`), `request to another host: ${url}`);
      assert.ok(requests.some((u) => u.includes('/api/v1/sessions/')), 'the page asked the API');
      assert.deepEqual(errors.filter((e) => !allowedErrors.some((re) => re.test(e))), []);
      await saveScreenshot(page, hash);
      await page.close();
    },
  };
}

const zoneKey = (z) => `${z.node}/${z.name}`;
const withoutHole = (owners) => Object.fromEntries(Object.entries(owners).filter(([o]) => o !== 'hole'));

// Each overview bar chart's shape and watermark lines as Chart.js holds them;
// what it draws is read from its canvas (checkOverviewDrawn).
function overviewCharts(page) {
  return page.evaluate(() => Object.fromEntries(
    [...document.querySelectorAll('#overview-zones canvas[data-zone]')].map((c) => {
      const chart = window.Chart.getChart(c);
      const notes = chart.options.plugins.annotation.annotations;
      return [c.dataset.zone, {
        bars: chart.data.labels.length,
        stacked: chart.options.scales.x.stacked && chart.options.scales.y.stacked,
        horizontal: chart.options.indexAxis === 'y',
        watermarks: Object.fromEntries(Object.entries(notes).map(([k, a]) => [k, [a.type, a.xMin, a.xMax]])),
      }];
    })));
}

// The overview as drawn matches @view (GET .../zones of session @id): each
// owner's stretch of each populated zone's bar (or of @only's) in its colour.
async function checkOverviewDrawn(page, id, view, only = null) {
  const colours = await legendColours(page, await get(`/sessions/${id}/physmap/legend`));
  let checked = 0;
  for (const z of view.zones.filter((x) => x.populated && (!only || zoneKey(x) === only)))
    for (const st of await overviewStretches(page, z, colours)) {
      assert.ok(st.ok, `${zoneKey(z)}: ${st.owner} (${st.pages} pages) at x ${st.x} is ${st.px}, not ${colours[st.owner]}`);
      checked++;
    }
  return checked;
}

// The buddy view's charts of zone @z as drawn: each order's bar of free
// blocks ends at nr_free; each order's stack of migratetypes ends at its sum,
// in the colour of the last migratetype with blocks of that order.
async function checkBuddyDrawn(page, z) {
  const key = zoneKey(z);
  let checked = await checkBarEnds(page, `#buddy-zones canvas[data-kind="orders"][data-zone="${key}"]`, 'y',
                                   Object.fromEntries(z.nr_free.map((n, o) => [String(o), [n]])));
  const types = Object.keys(z.nr_free_by_migratetype);
  const tops = {};
  z.nr_free.forEach((_, o) => {
    const top = types.findLastIndex((t) => z.nr_free_by_migratetype[t][o] > 0);
    if (top >= 0)
      tops[String(o)] = { [types[top]]: types.slice(0, top + 1).reduce((sum, u) => sum + z.nr_free_by_migratetype[u][o], 0) };
  });
  checked += await checkBarEnds(page, `#buddy-zones canvas[data-kind="migratetypes"][data-zone="${key}"]`, 'y', tops);
  return checked;
}

test('the session picker starts on the live default session', async () => {
  const { page, done } = await openDashboard();
  await page.waitForSelector('#overview-zones[data-ready="true"]', { timeout: 10000 });
  assert.equal(await page.inputValue('#session'), String(session));
  assert.match(await page.textContent('#session option:checked'), /^default \(#\d+, live\)$/);
  await done();
});

test('the overview draws one stacked bar per populated zone with the API\'s owners and watermarks', async () => {
  const { page, done } = await openDashboard('#overview');
  await page.waitForSelector('#overview-zones[data-ready="true"]', { timeout: 10000 });
  const view = await get(`/sessions/${session}/zones`);
  const info = await get(`/sessions/${session}`);
  const charts = await overviewCharts(page);
  const populated = view.zones.filter((z) => z.populated);
  assert.ok(populated.length >= 3, 'DMA, DMA32 and Normal on the default machine');
  assert.deepEqual(Object.keys(charts), populated.map(zoneKey));
  for (const z of populated) {
    const c = charts[zoneKey(z)];
    assert.equal(c.bars, 1);
    assert.ok(c.stacked && c.horizontal, 'a horizontal stacked bar');
    for (const w of ['min', 'low', 'high'])
      assert.deepEqual(c.watermarks[w], ['line', z.watermarks[w], z.watermarks[w]], `${zoneKey(z)} ${w}`);
  }
  assert.ok(await checkOverviewDrawn(page, session, view) >= 3, 'the stretches of the owners');
  assert.equal(await page.evaluate(() => Boolean(window.Chart.registry.getPlugin('annotation'))), true);
  // The totals are the API's, owner by owner.
  const totals = await page.$$eval('#overview-totals tr[data-owner]', (rows) =>
    Object.fromEntries(rows.map((r) => [r.dataset.owner, Number(r.cells[1].textContent)])));
  assert.deepEqual(totals, withoutHole(view.owners));
  const text = await page.textContent('#overview-struct-page');
  assert.ok(text.includes(`${info.memory.struct_page_size} bytes per frame`), text);
  assert.ok(text.includes(`${info.memory.overhead_percent.toFixed(4)} %`), text);
  assert.ok(text.includes((info.memory.mem_map_bytes / 2 ** 20).toFixed(2)), text);
  await done();
});

test('the buddy view shows nr_free per order and per migratetype, and the /proc texts', async () => {
  const { page, done } = await openDashboard('#buddy');
  await page.waitForSelector('#buddy-zones[data-ready="true"]', { timeout: 10000 });
  const view = await get(`/sessions/${session}/zones`);
  await page.waitForSelector(`#buddy-zones[data-seq="${view.seq}"]`);
  const populated = view.zones.filter((z) => z.populated);
  assert.deepEqual(await page.$$eval('#buddy-zones canvas[data-kind="orders"]', (cs) => cs.map((c) => c.dataset.zone)),
                   populated.map(zoneKey));
  let bars = 0;
  for (const z of populated) {
    bars += await checkBuddyDrawn(page, z);
    assert.equal(z.nr_free.length, view.max_order + 1);
  }
  assert.ok(bars >= 10, `${bars} bars checked`);
  const buddyinfo = (await getJson(api(`/sessions/${session}/proc/buddyinfo`))).body;
  const pagetypeinfo = (await getJson(api(`/sessions/${session}/proc/pagetypeinfo`))).body;
  assert.equal(await page.textContent('#buddy-buddyinfo'), buddyinfo);
  assert.equal(await page.textContent('#buddy-pagetypeinfo'), pagetypeinfo);
  assert.match(buddyinfo, /^Node 0, zone\s+DMA/);
  // The picture of the blocks: one per zone, every free block of the API on it.
  for (const z of populated) {
    const blocks = (await get(`/sessions/${session}/buddy/blocks?zone=${z.name}&node=${z.node}`)).blocks;
    const sel = `#buddy-zones canvas[data-kind="blocks"][data-zone="${zoneKey(z)}"]`;
    assert.equal(await page.getAttribute(sel, 'data-blocks'), String(blocks.length), zoneKey(z));
    // The pixel at the zone's largest free block is coloured, not the grey of used memory.
    const [pfn, order] = blocks.reduce((a, b) => (b[1] > a[1] ? b : a));
    const colour = await page.evaluate(({ sel, x }) => {
      const c = document.querySelector(sel);
      return [...c.getContext('2d').getImageData(Math.floor(x), 14, 1, 1).data.slice(0, 3)];
    }, { sel, x: (pfn - z.start_pfn + 2 ** order / 2) * 1000 / z.spanned });
    assert.notDeepEqual(colour, [0xd9, 0xd9, 0xd4], `${zoneKey(z)}: order-${order} block at ${pfn}`);
  }
  await done();
});

// The [r, g, b] of a frame's pixel on the map canvas.
function framePixel(page, pfn) {
  return page.evaluate((pfn) => {
    const c = document.getElementById('physmap-canvas');
    const { start, scale, framesPerRow } = Object.fromEntries(
      Object.entries(c.dataset).map(([k, v]) => [k, Number(v)]));
    const i = pfn - start;
    const x = (i % framesPerRow) * scale, y = Math.floor(i / framesPerRow) * scale;
    return [...c.getContext('2d').getImageData(x, y, 1, 1).data.slice(0, 3)];
  }, pfn);
}

const rgb = (colour) => [1, 3, 5].map((i) => parseInt(colour.slice(i, i + 2), 16));

// A whole viewport point inside a frame's pixel (1 pixel per frame): mouse
// events carry whole coordinates, the canvas may sit at a fraction.
async function framePoint(page, pfn) {
  const box = await page.locator('#physmap-canvas').boundingBox();
  const fpr = Number(await page.getAttribute('#physmap-canvas', 'data-frames-per-row'));
  return { x: Math.ceil(box.x + (pfn % fpr)), y: Math.ceil(box.y + Math.floor(pfn / fpr)) };
}

test('the physical map draws every frame in its owner\'s legend colour', async () => {
  const { page, done } = await openDashboard('#physmap');
  await page.waitForSelector('#physmap-canvas[data-ready="true"]', { timeout: 10000 });
  const legend = await get(`/sessions/${session}/physmap/legend`);
  const colour = Object.fromEntries(legend.codes.map((c) => [c.name, c.color]));
  const size = await page.$eval('#physmap-canvas', (c) => ({ w: c.width, h: c.height, ...c.dataset }));
  assert.equal(Number(size.scale), 1);
  assert.equal(Number(size.count), legend.max_pfn);
  assert.ok(size.w * size.h >= legend.max_pfn, `${size.w}x${size.h} < ${legend.max_pfn} frames`);
  assert.ok(size.w * (size.h - 1) < legend.max_pfn, 'no more rows than the frames need');

  assert.equal((await get(`/sessions/${session}/pages/${KERNEL_PFN}`)).owner, 'kernel');
  assert.deepEqual(await framePixel(page, KERNEL_PFN), rgb(colour.kernel));
  assert.equal((await getJson(api(`/sessions/${session}/pages/${HOLE_PFN}`))).status, 404);
  assert.deepEqual(await framePixel(page, HOLE_PFN), rgb(colour.hole));
  // A sample of frames across the machine agrees with the physmap bytes.
  const bytes = new Uint8Array(await (await fetch(api(`/sessions/${session}/physmap`))).arrayBuffer());
  assert.equal(bytes.length, legend.max_pfn);
  for (let pfn = 0; pfn < legend.max_pfn; pfn += 4099)
    assert.deepEqual(await framePixel(page, pfn), rgb(legend.codes[bytes[pfn]].color), `pfn ${pfn}`);
  for (const c of legend.codes)
    assert.ok(await page.isVisible(`#physmap-legend [data-owner="${c.name}"]`), c.name);

  // Zoom: 4 pixels per frame, about a quarter of the frames per row, same colours.
  const fpr1 = Number(size.framesPerRow);
  await page.selectOption('#physmap-scale', '4');
  await page.waitForSelector('#physmap-canvas[data-scale="4"]');
  const fpr4 = Number(await page.getAttribute('#physmap-canvas', 'data-frames-per-row'));
  assert.ok(fpr4 <= fpr1 / 4 + 8 && fpr4 >= fpr1 / 4 - 8, `${fpr4} frames a row at 4 pixels, ${fpr1} at 1`);
  assert.equal(await page.$eval('#physmap-canvas', (c) => c.width), fpr4 * 4);
  assert.deepEqual(await framePixel(page, KERNEL_PFN), rgb(colour.kernel));
  await done();
});

test('hovering names a frame and clicking shows its struct page', async () => {
  const { page, done } = await openDashboard('#physmap');
  await page.waitForSelector('#physmap-canvas[data-ready="true"]', { timeout: 10000 });
  const at = await framePoint(page, KERNEL_PFN);
  await page.mouse.move(at.x, at.y);
  assert.match(await page.textContent('#physmap-hover'), /^pfn 0x1000 \(4096\), physical 0x1000000: kernel$/);
  await page.mouse.click(at.x, at.y);
  await page.waitForSelector(`#physmap-page table[data-pfn="${KERNEL_PFN}"]`);
  const shown = await page.$$eval('#physmap-page tr', (rows) =>
    Object.fromEntries(rows.map((r) => [r.dataset.field, r.cells[1].textContent])));
  const struct = await get(`/sessions/${session}/pages/${KERNEL_PFN}`);
  for (const field of ['owner', 'zone', 'flags', 'refcount', 'mapcount', 'migratetype', 'node'])
    assert.equal(shown[field], String(struct[field]), field);
  assert.equal(shown.pfn, '4096 (0x1000)');
  // A frame of the hole has no struct page: the panel says so.
  const hole = await framePoint(page, HOLE_PFN);
  const fpr = Number(await page.getAttribute('#physmap-canvas', 'data-frames-per-row'));
  await page.locator('.physmap-scroll').evaluate((el, y) => { el.scrollTop = y; }, Math.floor(HOLE_PFN / fpr) - 100);
  const moved = await framePoint(page, HOLE_PFN);
  assert.ok(moved.y < hole.y);
  await page.mouse.click(moved.x, moved.y);
  await page.waitForSelector('#physmap-page .error');
  assert.match(await page.textContent('#physmap-page .error'), /hole/);
  await done({ allowedErrors: [/status of 404/] });
});

test('alloc_pages from the ops form: its result, new numbers everywhere, its block highlighted', async () => {
  const { page, done } = await openDashboard('#buddy');
  await page.waitForSelector('#buddy-zones[data-ready="true"]', { timeout: 10000 });
  const before = await get(`/sessions/${session}/zones`);
  await page.selectOption('#ops-form select[name="op"]', 'alloc_pages');
  await page.fill('#ops-form input[name="gfp"]', 'GFP_KERNEL|__GFP_ZERO');
  await page.fill('#ops-form input[name="order"]', '5');
  await page.click('#ops-form button[type="submit"]');
  const entry = page.locator('#ops-log li').first();
  await entry.waitFor();
  assert.equal(await entry.getAttribute('data-ok'), 'true');
  const m = /alloc_pages\(gfp=GFP_KERNEL\|__GFP_ZERO, order=5\) \u2192 ok: pfn (0x[0-9a-f]+) order 5, zone (\w+)/
    .exec(await entry.textContent());
  assert.ok(m, await entry.textContent());
  const pfn = Number(m[1]);
  assert.equal(pfn % 32, 0, 'an order-5 block is aligned');

  const after = await get(`/sessions/${session}/zones`);
  const zone = after.zones.find((z) => z.name === m[2]);
  assert.notDeepEqual(zone.nr_free, before.zones.find((z) => z.name === m[2]).nr_free);
  await page.waitForSelector(`#buddy-zones[data-seq="${after.seq}"]`, { timeout: 5000 });
  assert.ok(await checkBuddyDrawn(page, zone) >= 2, 'the zone\'s bars drawn again');
  assert.notEqual(await page.getAttribute(`#buddy-zones .zone[data-zone="${zoneKey(zone)}"]`, 'data-changed'), '',
                  'the changed orders are highlighted');

  await page.click('nav a[data-view="overview"]');
  await page.waitForFunction((seq) => document.getElementById('overview-zones').dataset.seq === seq,
                             String(after.seq), { timeout: 5000 });
  assert.ok(await checkOverviewDrawn(page, session, after, zoneKey(zone)) >= 1, 'the zone\'s bar drawn again');
  assert.notDeepEqual(withoutHole(zone.owners), withoutHole(before.zones.find((z) => z.name === m[2]).owners));

  await page.click('nav a[data-view="physmap"]');
  await page.waitForSelector(`#physmap-canvas[data-highlight="${pfn}+32"]`, { timeout: 5000 });
  const ink = await page.evaluate((pfn) => {
    const c = document.getElementById('physmap-canvas'), o = document.getElementById('physmap-overlay');
    const i = pfn - Number(c.dataset.start), fpr = Number(c.dataset.framesPerRow);
    return o.getContext('2d').getImageData(i % fpr, Math.floor(i / fpr), 1, 1).data[3];
  }, pfn);
  assert.ok(ink > 0, 'the overlay marks the block');

  // The free form is ready for the same block; then the machine checks clean.
  await page.selectOption('#ops-form select[name="op"]', 'free_pages');
  assert.equal(Number(await page.inputValue('#ops-form input[name="pfn"]')), pfn);
  await page.click('#ops-form button[type="submit"]');
  await page.waitForSelector('#ops-log li:nth-child(2)');
  assert.match(await entry.textContent(), /^free_pages\(pfn=0x[0-9a-f]+, order=5\) \u2192 ok$/);
  await page.selectOption('#ops-form select[name="op"]', 'check');
  await page.click('#ops-form button[type="submit"]');
  await page.waitForSelector('#ops-log li:nth-child(3)');
  assert.equal(await entry.textContent(), 'check() \u2192 ok');
  // A refused op shows its errno and message.
  await page.selectOption('#ops-form select[name="op"]', 'alloc_pages');
  await page.fill('#ops-form input[name="gfp"]', 'GFP_NOPE');
  await page.click('#ops-form button[type="submit"]');
  await page.waitForSelector('#ops-log li:nth-child(4)');
  assert.equal(await entry.getAttribute('data-ok'), 'false');
  assert.match(await entry.textContent(), /\u2192 EINVAL: .*GFP_NOPE/);
  await done();
});

test('a new session: a bad config shows the API\'s message, a good one is chosen', async () => {
  const { page, done } = await openDashboard();
  await page.waitForSelector('#overview-zones[data-ready="true"]', { timeout: 10000 });
  const expected = await postJson(api('/sessions'), { name: 'tiny', machine: { mem_mib: 16 } });
  assert.equal(expected.status, 400);
  await page.click('.new-session summary');
  await page.fill('#new-session input[name="name"]', 'tiny');
  await page.fill('#new-session input[name="mem_mib"]', '16');
  await page.click('#new-session button[type="submit"]');
  await page.waitForFunction(() => document.getElementById('new-session-error').textContent !== '');
  assert.equal(await page.textContent('#new-session-error'), expected.body.error.message);

  await page.fill('#new-session input[name="name"]', 'small');
  await page.fill('#new-session input[name="mem_mib"]', '1024');
  await page.fill('#new-session input[name="cpus"]', '1');
  await page.selectOption('#new-session select[name="debug_virtual"]', 'true');
  for (const [width, height] of [[1280, 800], [800, 600]]) {
    await page.setViewportSize({ width, height });
    const form = await page.$('#new-session');
    const box = await form.boundingBox();
    assert.ok(box.x + box.width <= width, `the form fits ${width} px`);
    assert.ok(await page.isVisible('#new-session select[name="debug_virtual"]'));
    await page.screenshot({ path: join(ARTIFACTS, `new-session-debug-virtual-${width}.png`) });
  }
  await page.setViewportSize({ width: 1600, height: 1000 });
  await page.click('#new-session button[type="submit"]');
  await page.waitForFunction(() => /^small \(#\d+, live\)$/.test(document.querySelector('#session option:checked')?.textContent));
  const id = Number(await page.inputValue('#session'));
  const info = await get(`/sessions/${id}`);
  assert.equal(info.machine.mem_mib, 1024);
  assert.equal(info.machine.cpus, 1);
  assert.equal(info.machine.debug_virtual, true);
  await page.waitForFunction(() => /^small \(#\d+\): 1024 MiB machine/.test(document.getElementById('overview-summary').textContent));
  const view = await get(`/sessions/${id}/zones`);
  await page.waitForSelector(`#overview-zones[data-seq="${view.seq}"]`);
  assert.ok(await checkOverviewDrawn(page, id, view) >= 3, 'the new machine\'s zones drawn');

  // A machine at power-on, ready for the boot op (the form closed after the last one).
  if (!(await page.isVisible('#new-session input[name="name"]')))
    await page.click('.new-session summary');
  await page.fill('#new-session input[name="name"]', 'cold');
  await page.selectOption('#new-session select[name="start"]', 'poweron');
  await page.click('#new-session button[type="submit"]');
  await page.waitForFunction(() => /^cold \(#\d+, live\)$/.test(document.querySelector('#session option:checked')?.textContent));
  const cold = await get(`/sessions/${Number(await page.inputValue('#session'))}`);
  assert.equal(cold.machine.start, 'poweron');
  await done({ allowedErrors: [/status of 400/] });
});
