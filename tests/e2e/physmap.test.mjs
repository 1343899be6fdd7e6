// physmap.test.mjs - the physical map view in Debian's chromium against a
// real daemon: it fits the window's width (no horizontal scrolling, whole
// rows), its rulers name the pfns and addresses of the rows drawn, its zone
// and hole marks sit where the API's zones and physmap say, the zoom keeps
// the frame looked at, and the keyboard moves a frame cursor and opens the
// struct page of exactly the frame under it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium, openSessionPage } from './lib/browser.mjs';
import { startDaemon, apiOf } from './lib/daemon.mjs';

const WIDTHS = [800, 1024, 1280];
const BOUNDARY = [0xff, 0x4d, 0x00];	// web/js/physmap-draw.js BOUNDARY_LINE
const HOLE = [0x5a, 0x18, 0x9a];	// and HOLE_LINE
let d, browser, session;

const { api, get } = apiOf(() => d.url);
const hex = (n) => `0x${n.toString(16)}`;

before(async () => {
  d = await startDaemon();
  browser = await launchChromium();
  session = (await get('/sessions')).sessions.find((s) => s.name === 'default').id;
});

after(async () => {
  await browser?.close();
  await d?.stop();
});

// The map view at @width x @height, scrolled so that its whole box is on the screen.
async function openMap(width = 1280, height = 800) {
  const view = await openSessionPage(browser, d.url, '#physmap', session, { width, height });
  await view.page.waitForSelector('#physmap-canvas[data-ready="true"]', { timeout: 10000 });
  await view.page.locator('.physmap-scroll').evaluate((e) => e.scrollIntoView({ block: 'end' }));
  return view;
}

// The window the map draws (data-* of its canvas, as numbers).
const mapWindow = (page) => page.$eval('#physmap-canvas', (c) =>
  Object.fromEntries(Object.entries(c.dataset).filter(([, v]) => /^\d+$/.test(v)).map(([k, v]) => [k, Number(v)])));

// The [r, g, b, a] of overlay pixel (x, y).
const overlayPixel = (page, x, y) => page.$eval('#physmap-overlay', (o, [x, y]) =>
  [...o.getContext('2d').getImageData(x, y, 1, 1).data], [x, y]);

// Where frame @pfn's square lies in the viewport, and its row and column.
async function frameBox(page, pfn) {
  const w = await mapWindow(page);
  const r = await page.locator('#physmap-canvas').boundingBox();
  const i = pfn - w.start, row = Math.floor(i / w.framesPerRow), col = i % w.framesPerRow;
  return { row, col, x: r.x + col * w.scale, y: r.y + row * w.scale, size: w.scale };
}

// The visible part of the map: the scroll box less the sticky column ruler.
const visibleMap = (page) => page.evaluate(() => {
  const s = document.querySelector('.physmap-scroll').getBoundingClientRect();
  const ruler = document.getElementById('physmap-cols').offsetHeight;
  return { top: s.top + ruler + 1, bottom: s.bottom - 1 };
});

// The frame drawn at viewport point (x, y).
async function pfnAt(page, x, y) {
  const w = await mapWindow(page);
  const r = await page.locator('#physmap-canvas').boundingBox();
  return w.start + Math.floor((y - r.y) / w.scale) * w.framesPerRow + Math.floor((x - r.x) / w.scale);
}

async function zoomTo(page, scale) {
  await page.selectOption('#physmap-scale', String(scale));
  await page.waitForSelector(`#physmap-canvas[data-scale="${scale}"][data-ready="true"]`);
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

for (const width of WIDTHS) {
  test(`at ${width} px the map takes the width: no horizontal scrolling, whole rows in view`, async () => {
    const { page, done } = await openMap(width, 800);
    const m = await page.evaluate(() => {
      const doc = document.documentElement, scroll = document.querySelector('.physmap-scroll');
      const canvas = document.getElementById('physmap-canvas');
      const rect = (e) => e.getBoundingClientRect().toJSON();
      return { doc: [doc.scrollWidth, doc.clientWidth], scroll: [scroll.scrollWidth, scroll.clientWidth],
               box: rect(scroll), canvas: rect(canvas), width: canvas.width, panel: rect(document.getElementById('physmap-page')),
               room: scroll.clientWidth - document.getElementById('physmap-rows').offsetWidth };
    });
    const w = await mapWindow(page);
    assert.ok(m.doc[0] <= m.doc[1], `document ${m.doc}`);
    assert.ok(m.scroll[0] <= m.scroll[1], `map ${m.scroll}`);
    assert.equal(m.width, w.framesPerRow * w.scale);
    assert.equal(m.canvas.width, m.width, 'one canvas pixel a screen pixel');
    assert.ok(m.canvas.left >= m.box.left && m.canvas.right <= m.box.left + m.scroll[1], 'the whole row in the box');
    assert.ok(m.canvas.right <= width, 'the whole row on the screen');
    // As many frames a row as fit (rounded down to 32 pixels).
    assert.ok(m.width <= m.room && m.width > m.room - 32, `${m.width} pixels a row for ${m.room}`);
    // The struct page panel beside or below the map, never over it, on the screen.
    assert.ok(m.panel.left >= m.box.right || m.panel.top >= m.box.bottom, JSON.stringify(m.panel));
    assert.ok(m.panel.right <= width);
    await done();
  });
}

test('the map follows a change of the window\'s width, keeping the frame in the middle', async () => {
  const { page, done } = await openMap(1280, 800);
  await zoomTo(page, 4);
  await page.locator('.physmap-scroll').evaluate((el) => { el.scrollTop = 3000; });
  const before = await mapWindow(page);
  const middle = async () => {
    const v = await visibleMap(page), c = await page.locator('#physmap-canvas').boundingBox();
    const y = (v.top + v.bottom) / 2;
    return { y, pfn: await pfnAt(page, c.x + c.width / 2, y) };
  };
  const mid = await middle();
  await page.setViewportSize({ width: 900, height: 800 });
  await page.waitForFunction((fpr) => {
    const c = document.getElementById('physmap-canvas');
    return c.dataset.ready === 'true' && Number(c.dataset.framesPerRow) !== fpr;
  }, before.framesPerRow);
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const doc = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
  assert.ok(doc[0] <= doc[1], `document ${doc}`);
  const m = await page.evaluate(() => {
    const s = document.querySelector('.physmap-scroll'), c = document.getElementById('physmap-canvas');
    return { room: s.clientWidth - document.getElementById('physmap-rows').offsetWidth, width: c.width };
  });
  assert.ok(m.width <= m.room && m.width > m.room - 32, `${m.width} pixels a row for ${m.room}`);
  const box = await frameBox(page, mid.pfn), now = await middle();
  assert.ok(Math.abs(box.y + box.size / 2 - now.y) <= box.size + 1, `frame ${mid.pfn} at ${box.y}, the middle at ${now.y}`);
  await done();
});

test('the rulers name the pfn and physical address of the rows drawn and the offsets of the columns', async () => {
  const { page, done } = await openMap(1280, 800);
  for (const scale of [1, 8]) {
    if (scale !== 1)
      await zoomTo(page, scale);
    const w = await mapWindow(page);
    const canvas = await page.locator('#physmap-canvas').boundingBox();
    const rows = await page.$$eval('#physmap-rows .tick', (ts) => ts.map((t) => ({
      row: Number(t.dataset.row), pfn: Number(t.dataset.pfn), text: t.innerText.split('\n'), top: t.getBoundingClientRect().top })));
    assert.ok(rows.length >= 3, `${rows.length} row labels`);
    assert.equal(rows[0].row, 0);
    for (const [i, r] of rows.entries()) {
      const pfn = w.start + r.row * w.framesPerRow;
      assert.equal(r.pfn, pfn, `row ${r.row}`);
      assert.deepEqual(r.text, [hex(pfn), hex(pfn * 4096)]);
      assert.ok(Math.abs(r.top - (canvas.y + r.row * w.scale)) <= 1, `row ${r.row} label at ${r.top}`);
      if (i > 0)
        assert.ok((r.row - rows[i - 1].row) * w.scale >= 40, 'labels at least 40 pixels apart');
    }
    const cols = await page.$$eval('#physmap-cols .tick', (ts) => ts.map((t) => ({
      col: Number(t.dataset.col), text: t.textContent, left: t.getBoundingClientRect().left })));
    assert.ok(cols.length >= 3);
    for (const c of cols) {
      assert.ok(c.col < w.framesPerRow);
      assert.equal(c.text, `+${hex(c.col)}`);
      assert.ok(Math.abs(c.left - (canvas.x + c.col * w.scale)) <= 1, `column ${c.col} label at ${c.left}`);
    }
  }
  await done();
});

test('zone starts and holes are marked where the API puts them', async () => {
  const { page, done } = await openMap(1280, 800);
  const w = await mapWindow(page);
  assert.equal(w.count, w.maxPfn, 'the whole 4 GiB machine at one pixel a frame');
  const zones = (await get(`/sessions/${session}/zones`)).zones.filter((z) => z.spanned > 0);
  assert.deepEqual(zones.map((z) => z.name), ['DMA', 'DMA32', 'Normal']);
  for (const z of zones) {
    const mark = await page.$eval(`#physmap-marks .mark[data-kind="zone"][data-name="${z.name}"]`,
                                  (m) => ({ ...m.dataset, text: m.textContent }));
    const i = z.start_pfn - w.start, row = Math.floor(i / w.framesPerRow), col = i % w.framesPerRow;
    assert.equal(Number(mark.pfn), z.start_pfn, z.name);
    assert.equal(Number(mark.row), row, z.name);
    assert.equal(Number(mark.col), col, z.name);
    assert.ok(mark.text.startsWith(`${z.name} from `) && mark.text.includes(`(pfn ${hex(z.start_pfn)})`), mark.text);
    // The line: the first frame's left edge and the top of the rest of its row.
    const [x0, y0] = [col * w.scale, row * w.scale];
    assert.deepEqual(await overlayPixel(page, x0, y0), [...BOUNDARY, 255], `${z.name} corner`);
    if (row > 0 && col >= 2) {	// the corner's exact column: the line 2 pixels wide turns at x0
      assert.deepEqual(await overlayPixel(page, x0 - 1, y0 - 1), [...BOUNDARY, 255], `${z.name} corner, above`);
      assert.equal((await overlayPixel(page, x0 - 2, y0 - 1))[3], 0, `${z.name}: nothing left of the corner`);
    }
    const x = Math.min(w.framesPerRow - 1, col + 20) * w.scale;
    assert.deepEqual(await overlayPixel(page, x, row * w.scale), [...BOUNDARY, 255], `${z.name} top`);
    assert.equal((await overlayPixel(page, col * w.scale, (row + 3) * w.scale))[3], 0, `${z.name}: nothing below`);
  }
  const texts = await page.$$eval('#physmap-marks .mark[data-kind="zone"]', (ms) => ms.map((m) => m.textContent));
  assert.ok(texts.some((t) => t.startsWith('DMA32 from 16 MiB')), texts.join());
  assert.ok(texts.some((t) => t.startsWith('Normal from 4 GiB')), texts.join());

  // The MMIO hole of the physmap bytes: its start and its end, dashed.
  const legend = await get(`/sessions/${session}/physmap/legend`);
  const hole = legend.codes.find((c) => c.name === 'hole').code;
  const bytes = new Uint8Array(await (await fetch(api(`/sessions/${session}/physmap`))).arrayBuffer());
  const from = bytes.indexOf(hole);
  let to = from;
  while (to < bytes.length && bytes[to] === hole)
    to++;
  assert.ok(from > 0 && to - from >= 64, `a hole ${from}..${to}`);
  // Its end is where ZONE_NORMAL starts: that zone's mark says it.
  assert.equal(await page.$$eval(`#physmap-marks .mark[data-pfn="${to}"]`, (ms) => ms.map((m) => m.dataset.kind).join()),
               zones.some((z) => z.start_pfn === to) ? 'zone' : 'hole-end');
  for (const [kind, pfn] of [['hole', from], ['hole-end', to]]) {
    const mark = await page.$eval(`#physmap-marks .mark[data-pfn="${pfn}"]`, (m) => m.textContent);
    assert.match(mark, kind === 'hole' ? /^hole 3 GiB to 4 GiB/ : /from 4 GiB/);
    const i = pfn - w.start, row = Math.floor(i / w.framesPerRow), col = i % w.framesPerRow;
    const line = await page.$eval('#physmap-overlay', (o, [y, x0]) =>
      [...o.getContext('2d').getImageData(x0, y, o.width - x0, 1).data], [row * w.scale, col * w.scale]);
    const ink = kind === 'hole' || !zones.some((z) => z.start_pfn === pfn) ? HOLE : BOUNDARY;
    let inked = 0;
    for (let k = 0; k < line.length; k += 4)
      inked += line[k] === ink[0] && line[k + 1] === ink[1] && line[k + 2] === ink[2] && line[k + 3] === 255;
    assert.ok(inked >= (w.framesPerRow - col) / 3, `${kind}: ${inked} pixels of the line over row ${row}`);
  }
  await done();
});

test('zooming with the select keeps the cursor\'s frame, or the frame in the middle, in place', async () => {
  const { page, done } = await openMap(1280, 800);
  // Scroll to the start of ZONE_NORMAL, click a frame 60 rows below it: the cursor.
  const normal = (await get(`/sessions/${session}/zones`)).zones.find((z) => z.name === 'Normal').start_pfn;
  let w = await mapWindow(page);
  await page.locator('.physmap-scroll').evaluate((el, y) => { el.scrollTop = y; },
                                                  Math.floor(normal / w.framesPerRow) - 100);
  const picked = normal + 60 * w.framesPerRow + 100;
  let box = await frameBox(page, picked);
  await page.mouse.click(Math.ceil(box.x), Math.ceil(box.y));
  await page.waitForSelector(`#physmap-canvas[data-cursor="${picked}"]`);
  for (const scale of [4, 16, 2]) {
    const b0 = await frameBox(page, picked), y0 = b0.y + b0.size / 2;
    await zoomTo(page, scale);
    box = await frameBox(page, picked);
    const y = box.y + box.size / 2;
    assert.ok(Math.abs(y - y0) <= scale, `${scale} pixels a frame: frame's middle at ${y}, was at ${y0}`);
  }
  // No cursor on screen: the frame in the middle stays in the middle's row.
  await page.locator('.physmap-scroll').evaluate((el) => { el.scrollTop += 5000; });
  const v = await visibleMap(page);
  const midY = (v.top + v.bottom) / 2;
  const canvas = await page.locator('#physmap-canvas').boundingBox();
  const mid = await pfnAt(page, canvas.x + canvas.width / 2, midY);
  assert.ok(mid > picked, 'the cursor is off the screen');
  await zoomTo(page, 8);
  w = await mapWindow(page);
  box = await frameBox(page, mid);
  assert.ok(Math.abs(box.y + w.scale / 2 - midY) <= w.scale + 1, `middle frame at ${box.y}, the middle at ${midY}`);
  assert.ok(w.start <= mid && mid < w.start + w.count);
  await done();
});

test('ctrl + wheel zooms about the frame under the mouse', async () => {
  const { page, done } = await openMap(1024, 800);
  const v = await visibleMap(page);
  const canvas = await page.locator('#physmap-canvas').boundingBox();
  const at = { x: Math.floor(canvas.x + canvas.width * 0.7), y: Math.floor(v.top + 200) };
  for (const scale of [2, 4, 8]) {
    const pfn = await pfnAt(page, at.x, at.y);
    await page.mouse.move(at.x, at.y);
    await page.keyboard.down('Control');
    await page.mouse.wheel(0, -100);
    await page.keyboard.up('Control');
    await page.waitForSelector(`#physmap-canvas[data-scale="${scale}"][data-ready="true"]`);
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const box = await frameBox(page, pfn);
    assert.ok(at.y >= box.y - scale && at.y < box.y + 2 * scale, `${scale}: frame ${pfn}'s row at ${box.y}, mouse at ${at.y}`);
  }
  await done();
});

test('arrow keys move a drawn frame cursor; Enter opens the struct page of that frame', async () => {
  const { page, done } = await openMap(1280, 800);
  await zoomTo(page, 4);
  const w = await mapWindow(page);
  const v = await visibleMap(page);
  const start = await pfnAt(page, (await page.locator('#physmap-canvas').boundingBox()).x + 40, v.bottom - 10);
  let box = await frameBox(page, start);
  await page.mouse.click(Math.ceil(box.x + 1), Math.ceil(box.y + 1));
  await page.waitForSelector(`#physmap-canvas[data-cursor="${start}"]`);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'physmap-canvas', 'a click focuses the map');
  let pfn = start;
  for (const [key, step] of [['ArrowRight', 1], ['ArrowRight', 1], ['ArrowDown', w.framesPerRow],
                             ['ArrowDown', w.framesPerRow], ['ArrowDown', w.framesPerRow], ['ArrowLeft', -1],
                             ['ArrowUp', -w.framesPerRow]]) {
    await page.keyboard.press(key);
    pfn += step;
    await page.waitForSelector(`#physmap-canvas[data-cursor="${pfn}"]`);
    // Drawn: a dark box around the frame, and the frame in view.
    box = await frameBox(page, pfn);
    const inView = await visibleMap(page);
    assert.ok(box.y >= inView.top - 1 && box.y + box.size <= inView.bottom + 1, `${key}: frame at ${box.y}, view ${JSON.stringify(inView)}`);
    const px = w.scale;
    assert.deepEqual(await overlayPixel(page, box.col * px - 2, box.row * px + 1), [0, 0, 0, 255], `${key}: the cursor's left edge`);
    assert.deepEqual(await overlayPixel(page, box.col * px + px + 1, box.row * px + 1), [0, 0, 0, 255], `${key}: its right edge`);
  }
  await page.keyboard.press('Enter');
  await page.waitForSelector(`#physmap-page table[data-pfn="${pfn}"]`);
  const shown = await page.$$eval('#physmap-page tr', (rows) =>
    Object.fromEntries(rows.map((r) => [r.dataset.field, r.cells[1].textContent])));
  const struct = await get(`/sessions/${session}/pages/${pfn}`);
  assert.equal(shown.pfn, `${pfn} (${hex(pfn)})`);
  for (const field of ['owner', 'zone', 'flags', 'refcount', 'mapcount', 'migratetype', 'node'])
    assert.equal(shown[field], String(struct[field]), field);
  assert.equal(await page.textContent('#physmap-page h3'), `struct page of pfn ${hex(pfn)}`);
  await done();
});
