// pixels.test.mjs - what the overview, the buddy, the pressure and the
// physical-map views draw, read back from their canvases (getImageData) and
// held against the API's numbers: the colour of each owner's stretch of a
// zone's bar, before and after a change (a chart that is not redrawn keeps
// its old picture), the colour of every pixel column of the buddy picture
// (each free block in its order's colour, grey where nothing is free), the
// free-pages line through each sample, and a dot on the new frame of each
// page compaction moved; never the chart library's data arrays.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium, openSessionPage } from './lib/browser.mjs';
import { startDaemon, apiOf, createSession, applyOps } from './lib/daemon.mjs';
import { pointsDrawn, overviewRow } from './lib/pixels.mjs';

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

// The pressure view's free-pages line through each of the API's samples:
// free pages fall by the same step at every op, so a line drawn a sample off
// misses them.
test('the pressure view draws free pages through each sample of the API', async () => {
  const id = await createSession(d.url, { mem_mib: 256 }, 'pixels-pressure');
  for (let k = 0; k < 16; k++) {
    const { results } = await applyOps(d.url, id, [{ op: 'alloc_pages', order: 10 }, { op: 'alloc_pages', order: 10 }]);
    assert.ok(results.every((r) => r.ok), JSON.stringify(results.find((r) => !r.ok)));
  }
  const { page, done } = await openSessionPage(browser, d.url, '#pressure', id, { width: 1280, height: 800 });
  await page.waitForSelector('#view-pressure[data-ready="true"]', { timeout: 15000 });
  const points = await page.getAttribute('#view-pressure', 'data-points');
  const p = await get(`/sessions/${id}/pressure?points=${points}`);
  const s = p.series;
  assert.ok(s.seq.length >= 16, `${s.seq.length} samples`);
  // The view opens on the largest zone, where the allocations came from.
  assert.equal(await page.inputValue('#pressure-scope'), 'zone');
  const free = s.seq.map((x, i) => ({ x, y: s.zone_free[i] }));
  assert.equal(new Set(s.zone_free.slice(-16)).size, 16, 'free pages move at every op');
  for (const pt of await pointsDrawn(page, '#pressure-free', { [`free pages (${p.zone})`]: free }))
    assert.ok(pt.found && pt.hit, `free pages of ${p.zone}: no line through seq ${pt.x}, ${pt.y} pages`);
  await done();
});

// The pixel of the physical map's overlay at the centre of frame @pfn, as [r, g, b, a],
// or null when the frame is not in the map's window.
function overlayAt(page, pfn) {
  return page.evaluate((pfn) => {
    const c = document.getElementById('physmap-canvas'), o = document.getElementById('physmap-overlay');
    const i = pfn - Number(c.dataset.start), fpr = Number(c.dataset.framesPerRow), scale = Number(c.dataset.scale);
    if (i < 0 || i >= Number(c.dataset.count))
      return null;
    const x = Math.floor((i % fpr) * scale + scale / 2), y = Math.floor(Math.floor(i / fpr) * scale + scale / 2);
    return [...o.getContext('2d').getImageData(x, y, 1, 1).data];
  }, pfn);
}

// Compaction on the physical map: each page the last run moved is a dot of
// the moves' colour on its new frame.
test('the physical map marks the new frame of every page the last compaction run moved', async () => {
  const id = await createSession(d.url, { mem_mib: 128 }, 'pixels-compaction');
  const [, { pid }] = (await applyOps(d.url, id, [{ op: 'sysctl', name: 'vm.compaction_proactiveness', value: 0 },
                                                  { op: 'spawn', name: 'frag' }])).results;
  const pages = 8192;
  const [{ addr }] = (await applyOps(d.url, id, { op: 'mmap', pid, length: pages * 4096, prot: 'rw-' })).results;
  assert.ok((await applyOps(d.url, id, { op: 'touch', pid, addr, length: pages * 4096, access: 'write' })).results[0].ok);
  const holes = [];
  for (let i = 1; i < pages; i += 2)
    holes.push({ op: 'munmap', pid, addr: `0x${(BigInt(addr) + BigInt(i) * 4096n).toString(16)}`, length: 4096 });
  assert.ok((await applyOps(d.url, id, holes)).results.every((r) => r.ok));
  const r = await applyOps(d.url, id, { op: 'compact_memory' });
  assert.ok(r.results[0].ok, JSON.stringify(r.results[0]));
  const events = async (type) => (await get(`/sessions/${id}/events?type=${type}&limit=10000`)).events;
  const begin = (await events('mm_compaction_begin')).at(-1);
  const end = (await events('mm_compaction_end')).find((e) => e.seq > begin.seq);
  const moves = (await events('migrate_folio_move')).filter((e) => e.seq > begin.seq && e.seq <= end.seq);
  assert.ok(moves.length >= 50, `${moves.length} pages moved by the last run`);

  const { page, done } = await openSessionPage(browser, d.url, '#physmap', id, { width: 1280, height: 800 });
  await page.waitForSelector(`#physmap-compaction[data-session="${id}"][data-run="${begin.seq}"]`, { timeout: 30000 });
  await page.waitForSelector(`#physmap-canvas[data-seq="${r.last_seq}"]`, { timeout: 30000 });
  assert.equal(Number(await page.getAttribute('#physmap-compaction', 'data-moves')), moves.length);
  const purple = [0x72, 0x09, 0xb7];
  let shown = 0, marked = 0;
  for (const m of moves) {
    const px = await overlayAt(page, m.value);
    if (!px)
      continue;
    shown++;
    if (px[3] > 200 && near(px.slice(0, 3), purple, 12))
      marked++;
  }
  assert.ok(shown >= 50, `${shown} new frames in the map's window`);
  assert.ok(marked >= shown * 0.9, `${marked} of ${shown} new frames marked in the moves' colour`);
  await done();
});
