// pixels.test.mjs - what the overview and the buddy view draw, read back from
// their canvases (getImageData) and held against the API's numbers: the
// colour of each owner's stretch of a zone's bar, before and after a change
// (a chart that is not redrawn keeps its old picture), and the colour of every
// pixel column of the buddy picture (each free block in its order's colour,
// grey where nothing is free), never the chart library's data arrays.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium, openSessionPage } from './lib/browser.mjs';
import { startDaemon, apiOf, createSession, applyOps } from './lib/daemon.mjs';

let d, browser;
const { get } = apiOf(() => d.url);

before(async () => {
  d = await startDaemon();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await d?.stop();
});

const zoneKey = (z) => `${z.node}/${z.name}`;
const GREY = [0xd9, 0xd9, 0xd4];
const near = (a, b, tol = 3) => a.every((v, i) => Math.abs(v - b[i]) <= tol);
const rgb = (text) => text.match(/\d+/g).slice(0, 3).map(Number);

// Wait until the view at @sel has drawn seq @seq.
async function drawn(page, sel, seq) {
  await page.waitForSelector(`${sel}[data-seq="${seq}"]`, { timeout: 15000 });
}

// One zone's bar on the overview: the row of pixels through the bar's middle,
// where each value of the x axis lands, and the watermarks' marks to keep away from.
function overviewRow(page, key) {
  return page.evaluate((key) => {
    const c = document.querySelector(`#overview-zones canvas[data-zone="${key}"]`);
    const chart = window.Chart.getChart(c);
    const ratio = c.width / c.clientWidth;
    const y = Math.round(chart.scales.y.getPixelForValue(0) * ratio);
    const row = [...c.getContext('2d').getImageData(0, y, c.width, 1).data];
    const marks = (chart.$watermarkLabels || []).map((b) => [b.x * ratio, b.x2 * ratio]);
    return { row, ratio, marks, left: chart.chartArea.left, right: chart.chartArea.right };
  }, key);
}

// The owners' colours of the legend as [r, g, b], as the browser reads them.
async function cssColours(page, legend) {
  const css = await page.evaluate((codes) => codes.map((c) => {
    const e = document.createElement('i');
    e.style.color = c.color;
    document.body.append(e);
    const v = getComputedStyle(e).color;
    e.remove();
    return v;
  }), legend.codes);
  return Object.fromEntries(legend.codes.map((c, i) => [c.name, rgb(css[i])]));
}

// Where owner @owner's stretch of zone @z begins, in pages.
const stretchStart = (z, owner) => {
  let n = 0;
  for (const [o, pages] of Object.entries(z.owners)) {
    if (o === owner)
      return n;
    if (o !== 'hole')
      n += pages;
  }
  return -1;
};

// The pixel x of value @v of zone @z on a bar [left, right] that spans 0..present.
const xOf = (bar, z, v) => (bar.left + (bar.right - bar.left) * v / z.present) * bar.ratio;

// Each owner's stretch of each zone's bar has the owner's colour where the
// stretch is wide enough to hold a clean pixel; returns how many were checked.
async function checkOverview(page, id) {
  const zones = (await get(`/sessions/${id}/zones`)).zones.filter((z) => z.populated);
  const legend = await get(`/sessions/${id}/physmap/legend`);
  const colour = await cssColours(page, legend);
  let checked = 0;
  for (const z of zones) {
    const bar = await overviewRow(page, zoneKey(z));
    const wm = Object.values(z.watermarks).map((v) => xOf(bar, z, v));
    let from = 0;
    for (const [owner, pages] of Object.entries(z.owners)) {
      if (owner === 'hole' || !pages)
        continue;
      const x0 = xOf(bar, z, from), x1 = xOf(bar, z, from + pages);
      from += pages;
      const x = Math.floor((x0 + x1) / 2);
      if (x1 - x0 < 8 || wm.some((w) => Math.abs(w - x) < 6) ||
          bar.marks.some(([a, b]) => x >= a - 2 && x <= b + 2))
        continue;
      const px = bar.row.slice(4 * x, 4 * x + 3);
      assert.ok(near(px, colour[owner]), `${zoneKey(z)} ${owner} (${pages} pages) at x ${x}: ` +
        `${px} is not ${colour[owner]}`);
      checked++;
    }
  }
  return checked;
}

test('the overview bars are drawn in the owners\' colours, and drawn again after a change', async () => {
  const id = await createSession(d.url, { mem_mib: 512 }, 'pixels-overview');
  const { page, done } = await openSessionPage(browser, d.url, '#overview', id, { width: 1280, height: 800 });
  let seq = (await get(`/sessions/${id}`)).last_seq;
  await drawn(page, '#overview-zones', seq);
  assert.ok(await checkOverview(page, id) >= 3, 'free and the kernel\'s stretches at least');
  // 128 MiB change hands: the free stretch shrinks, "other" grows over it. The
  // middle of what was allocated is drawn free before and "other" after.
  const legend = await cssColours(page, await get(`/sessions/${id}/physmap/legend`));
  const before = (await get(`/sessions/${id}/zones`)).zones.find((z) => z.name === 'DMA32');
  const oldBar = await overviewRow(page, '0/DMA32');	// read before the view can hear of the change
  const { results } = await applyOps(d.url, id,
    Array.from({ length: 32 }, () => ({ op: 'alloc_pages', gfp: 'GFP_DMA32', order: 10 })));
  assert.ok(results.every((r) => r.ok), JSON.stringify(results.find((r) => !r.ok)));
  const after = (await get(`/sessions/${id}/zones`)).zones.find((z) => z.name === 'DMA32');
  assert.ok(after.owners.other >= before.owners.other + 32 * 1024);
  const x = Math.floor(xOf(oldBar, after, stretchStart(after, 'other') + after.owners.other - 16 * 1024));
  assert.ok(near(oldBar.row.slice(4 * x, 4 * x + 3), legend.free), `column ${x} is free before`);
  seq = (await get(`/sessions/${id}`)).last_seq;
  await drawn(page, '#overview-zones', seq);
  assert.ok(await checkOverview(page, id) >= 3);
  const newBar = await overviewRow(page, '0/DMA32');
  assert.ok(near(newBar.row.slice(4 * x, 4 * x + 3), legend.other),
    `column ${x}: ${newBar.row.slice(4 * x, 4 * x + 3)} is the colour of "other" after`);
  await done();
});

// The buddy picture of zone @z against its free blocks: every pixel column
// wholly inside one block has that block's order colour (bar the white seam at
// its left edge), every column with no free page in it is grey.
async function checkBuddyPicture(page, id, z, maxOrder) {
  const { blocks } = await get(`/sessions/${id}/buddy/blocks?zone=${z.name}&node=${z.node}`);
  const sel = `#buddy-zones canvas[data-kind="blocks"][data-zone="${zoneKey(z)}"]`;
  const { row, width, legend } = await page.evaluate((sel) => {
    const c = document.querySelector(sel);
    const spans = [...c.closest('.zone').querySelectorAll('.blocks-legend span')];
    return { row: [...c.getContext('2d').getImageData(0, 14, c.width, 1).data], width: c.width,
             legend: spans.map((s) => getComputedStyle(s).color) };
  }, sel);
  assert.equal(legend.length, maxOrder + 1);
  const orderColour = legend.map(rgb);
  const scale = width / z.spanned;
  const free = new Uint8Array(width);	// 1: some free page in the column
  const checked = new Set();
  for (const [pfn, order] of blocks) {
    // at least a pixel wide, however small
    const x0 = (pfn - z.start_pfn) * scale, x1 = x0 + Math.max(1, 2 ** order * scale);
    for (let x = Math.floor(x0); x < Math.min(width, Math.ceil(x1)); x++)
      free[x] = 1;
    for (let x = Math.floor(x0) + 2; x <= Math.ceil(x1) - 2 && x < width; x++) {
      const px = row.slice(4 * x, 4 * x + 3);
      assert.ok(near(px, orderColour[order]), `${zoneKey(z)}: order-${order} block at pfn ${pfn}, ` +
        `column ${x}: ${px} is not ${orderColour[order]}`);
      checked.add(order);
    }
  }
  let grey = 0;
  for (let x = 0; x < width; x++)
    if (!free[x]) {
      assert.deepEqual(row.slice(4 * x, 4 * x + 3), GREY, `${zoneKey(z)}: column ${x} has no free page`);
      grey++;
    }
  return { orders: checked, grey };
}

test('the buddy picture: each free block in its order\'s colour, grey where nothing is free', async () => {
  const id = await createSession(d.url, { mem_mib: 256 }, 'pixels-buddy');
  // Blocks of many orders, and allocated stretches between them.
  const { results } = await applyOps(d.url, id, [
    ...Array.from({ length: 20 }, (_, i) => ({ op: 'alloc_pages', gfp: 'GFP_DMA32', order: i % 8 })),
    { op: 'workload', kind: 'random', count: 400, seed: 3 },
  ]);
  assert.ok(results.every((r) => r.ok), JSON.stringify(results.find((r) => !r.ok)));
  for (const viewport of [{ width: 1280, height: 800 }, { width: 800, height: 600 }]) {
    const { page, done } = await openSessionPage(browser, d.url, '#buddy', id, viewport);
    const seq = (await get(`/sessions/${id}`)).last_seq;
    await drawn(page, '#buddy-zones', seq);
    const view = await get(`/sessions/${id}/zones`);
    const orders = new Set();
    let grey = 0;
    for (const z of view.zones.filter((z) => z.populated)) {
      const r = await checkBuddyPicture(page, id, z, view.max_order);
      r.orders.forEach((o) => orders.add(o));
      grey += r.grey;
    }
    assert.ok(orders.size >= 4, `blocks of ${[...orders]} checked: the picture shows several orders`);
    assert.ok(grey > 0, 'allocated memory shows grey');
    await done();
  }
});
