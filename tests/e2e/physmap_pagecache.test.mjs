// physmap_pagecache.test.mjs - the physical map tells page-cache, dirty
// page-cache and anonymous frames apart, each in the colour its legend
// gives, at the frames the API names; clicking a dirty frame shows its
// struct page with its LRU list and its file. An anonymous page read back
// from swap while a forked child still names its slot stays in the swap
// cache, and is drawn as user_swapcache.
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

const rgb = (c) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16));

// The [r, g, b] the map's canvas has in the middle of frame @pfn, and where that is on screen.
async function framePixel(page, pfn) {
  const w = await page.$eval('#physmap-canvas', (c) =>
    Object.fromEntries(Object.entries(c.dataset).filter(([, v]) => /^\d+$/.test(v)).map(([k, v]) => [k, Number(v)])));
  assert.ok(pfn >= w.start && pfn < w.start + w.count, `pfn ${pfn} drawn in ${JSON.stringify(w)}`);
  const i = pfn - w.start, row = Math.floor(i / w.framesPerRow), col = i % w.framesPerRow;
  const x = col * w.scale, y = row * w.scale;
  const px = await page.$eval('#physmap-canvas', (c, [x, y]) => [...c.getContext('2d').getImageData(x, y, 1, 1).data].slice(0, 3), [x, y]);
  const box = await page.locator('#physmap-canvas').boundingBox();
  return { px, x: box.x + x, y: box.y + y, cx: x, cy: y };
}

test('page-cache, dirty and anonymous frames drawn apart in their legend colours; a dirty frame\'s struct page', async () => {
  const id = await createSession(d.url, { mem_mib: 256 }, 'physmap-pagecache');
  const ops = (list) => applyOps(d.url, id, list);
  await ops([{ op: 'create_file', name: 'data', size: 2 << 20 },
             { op: 'read_file', name: 'data', length: 2 << 20 },
             { op: 'write_file', name: 'data', offset: 0, length: 256 << 10 },
             { op: 'spawn', name: 'p' }]);
  const addr = (await ops([{ op: 'mmap', pid: 1, length: 1 << 20 }])).results[0].addr;
  await ops([{ op: 'touch', pid: 1, addr, length: 1 << 20, access: 'write' }]);
  const added = (await get(`/sessions/${id}/events?type=mm_filemap_add_to_page_cache&limit=1000`)).events.map((e) => e.pfn);
  const dirty = (await get(`/sessions/${id}/events?type=writeback_dirty_folio&limit=1000`)).events.map((e) => e.pfn);
  assert.equal(added.length, 512);
  assert.equal(dirty.length, 64);
  const clean = added.find((p) => !dirty.includes(p));
  const anon = parseInt((await applyOps(d.url, id, [{ op: 'translate', pid: 1, vaddr: addr }])).results[0].paddr, 16) >> 12;
  const legend = await get(`/sessions/${id}/physmap/legend`);
  const color = Object.fromEntries(legend.codes.map((c) => [c.name, rgb(c.color)]));
  assert.ok(color.pagecache && color.pagecache_dirty && color.user);
  assert.notDeepEqual(color.pagecache, color.pagecache_dirty);
  for (const [width, height] of [[1280, 800], [800, 600]]) {
    const view = await openSessionPage(browser, d.url, '#physmap', id, { width, height });
    const { page } = view;
    await page.waitForSelector('#physmap-canvas[data-ready="true"]', { timeout: 10000 });
    for (const name of ['pagecache', 'pagecache_dirty', 'user'])
      assert.equal(await page.isVisible(`#physmap-legend .swatch[data-owner="${name}"]`), true, name);
    assert.deepEqual((await framePixel(page, dirty[5])).px, color.pagecache_dirty, 'a dirty page-cache frame');
    assert.deepEqual((await framePixel(page, clean)).px, color.pagecache, 'a clean page-cache frame');
    assert.deepEqual((await framePixel(page, anon)).px, color.user, 'an anonymous frame');
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no sideways scrolling');
    if (width === 1280) {
      // The pointer over the frame names it and its state; a click opens its struct page.
      // (Pointer events land on whole pixels: the first whole one inside the frame.)
      await page.locator('#physmap-canvas').scrollIntoViewIfNeeded();
      const at = await framePixel(page, dirty[5]);
      const x = Math.ceil(at.x), y = Math.ceil(at.y);
      await page.mouse.move(x, y);
      await page.waitForFunction((pfn) => document.getElementById('physmap-hover').textContent.includes(`(${pfn})`),
                                 dirty[5], { timeout: 5000 });
      assert.match(await page.textContent('#physmap-hover'), /: pagecache_dirty$/);
      await page.mouse.click(x, y);
      await page.waitForSelector(`#physmap-page table[data-pfn="${dirty[5]}"]`, { timeout: 10000 });
      const shown = await page.$$eval('#physmap-page tr', (rows) =>
        Object.fromEntries(rows.map((r) => [r.dataset.field, r.cells[1].textContent])));
      const struct = await get(`/sessions/${id}/pages/${dirty[5]}`);
      assert.equal(shown['lru.list'], struct.lru.list);
      assert.equal(shown['mapping.file'], 'data');
      assert.equal(shown.index, String(struct.index));
      assert.match(await page.textContent('#physmap-page [data-note="folio"]'), /the page cache of file data/);
    }
    await view.done();
  }
});

// Anonymous pages squeezed out to swap by kernel allocations, a fork (the
// child's PTEs name the same slots), then the parent's read faults: the
// page read back stays in the swap cache while the child's swap entry
// holds the slot, so its frame is user_swapcache, in that colour, while an
// anonymous page never swapped is user.
test('an anonymous page read back from swap is drawn in the swap cache colour', async () => {
  const id = await createSession(d.url, { mem_mib: 128, swap_mib: 32 }, 'physmap-swapcache');
  const ops = async (list) => (await applyOps(d.url, id, list)).results;
  const [{ pid }] = await ops([{ op: 'spawn', name: 'p' }]);
  const [{ addr }] = await ops([{ op: 'mmap', pid, length: 16 << 20 }]);
  assert.equal((await ops([{ op: 'touch', pid, addr, length: 16 << 20, access: 'write' }]))[0].ok, true);
  let out = 0;
  for (let k = 0; k < 12 && out < 100; k++) {
    await ops(Array.from({ length: 4000 }, () => ({ op: 'alloc_pages', order: 0 })));
    const vmstat = await (await fetch(`${d.url}/api/v1/sessions/${id}/proc/vmstat`)).text();
    out = Number(vmstat.match(/^pswpout (\d+)$/m)[1]);
  }
  assert.ok(out >= 100, `pswpout ${out}`);
  const [fork] = await ops([{ op: 'fork', pid }]);
  assert.equal(fork.ok, true, JSON.stringify(fork));
  const last = (await get(`/sessions/${id}`)).last_seq;
  const base = BigInt(addr);
  // the oldest 1024 pages (reclaim took those first) and the newest 64
  const pages = [...Array.from({ length: 1024 }, (_, i) => i), ...Array.from({ length: 64 }, (_, i) => 4032 + i)];
  const reads = await ops(pages.map((i) =>
    ({ op: 'translate', pid, vaddr: `0x${(base + BigInt(i) * 4096n).toString(16)}` })));
  assert.ok(reads.every((r) => r.ok && r.paddr), 'every page read');
  const swapins = (await get(`/sessions/${id}/events?type=swap_readpage&since=${last}&limit=2000`)).events.map((e) => e.pfn);
  assert.ok(swapins.length > 0, 'some read was a swap-in');
  const inCache = swapins.at(-1);
  const struct = await get(`/sessions/${id}/pages/${inCache}`);
  // PG_swapcache is PG_owner_priv_1 in the flags; /proc/kpageflags names it
  assert.match(struct.flags, /(^|\|)owner_priv_1(\||$)/, struct.flags);
  assert.match(struct.kpageflags, /(^|\|)swapcache(\||$)/, struct.kpageflags);
  assert.equal(struct.owner, 'user');
  const paddrs = new Set(reads.map((r) => parseInt(r.paddr, 16) / 4096));
  const resident = [...paddrs].find((p) => !swapins.includes(p));
  assert.ok(resident !== undefined, 'a page that never left');
  assert.doesNotMatch((await get(`/sessions/${id}/pages/${resident}`)).kpageflags, /swapcache/);
  const legend = await get(`/sessions/${id}/physmap/legend`);
  const color = Object.fromEntries(legend.codes.map((c) => [c.name, rgb(c.color)]));
  assert.ok(color.user_swapcache);
  assert.notDeepEqual(color.user_swapcache, color.user);
  const view = await openSessionPage(browser, d.url, '#physmap', id, { width: 1280, height: 800 });
  const { page } = view;
  await page.waitForSelector('#physmap-canvas[data-ready="true"]', { timeout: 10000 });
  assert.equal(await page.isVisible('#physmap-legend .swatch[data-owner="user_swapcache"]'), true);
  assert.deepEqual((await framePixel(page, inCache)).px, color.user_swapcache, 'a page in the swap cache');
  assert.deepEqual((await framePixel(page, resident)).px, color.user, 'an anonymous page never swapped');
  await view.done();
});
