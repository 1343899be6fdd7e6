// pagefidelity.test.mjs - what 6.18 does, as the dashboard shows it: the
// struct page panel names a page's type (PGTY_*, in page_type's top byte)
// apart from its PG_ flags, and the shared zero page a read fault maps; the
// vmalloc view shows the ranges vfree() left on the lazy list until the
// purge. In Debian's chromium against a real daemon, checked against the API.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium, openSessionPage, painted, saveScreenshot } from './lib/browser.mjs';
import { startDaemon, getJson, postJson, apiOf } from './lib/daemon.mjs';

let d, browser;

const { api, get } = apiOf(() => d.url);
const apply = async (id, list) => {
  const r = await postJson(api(`/sessions/${id}/ops`), list);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
};

before(async () => {
  d = await startDaemon();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await d?.stop();
});

// Screenshots of the view at the two sizes the dashboard must fit.
async function shoot(page, hash) {
  for (const [width, height] of [[1280, 800], [800, 600]]) {
    await page.setViewportSize({ width, height });
    await painted(page);
    const wide = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
    assert.equal(wide, false, `no horizontal scrolling at ${width}px`);
    await saveScreenshot(page, `${hash}-${width}`);
  }
}

// The point of the physical map's canvas that shows @pfn, in page pixels.
async function framePoint(page, pfn) {
  const box = await page.locator('#physmap-canvas').boundingBox();
  const c = await page.$eval('#physmap-canvas', (el) => ({ w: el.width, ...el.dataset }));
  const i = pfn - Number(c.start || 0), fpr = Number(c.framesPerRow), scale = Number(c.scale);
  const k = box.width / c.w;
  // the mouse moves by whole pixels: the first whole pixel inside the frame
  return { x: Math.ceil(box.x + (i % fpr) * scale * k), y: Math.ceil(box.y + Math.floor(i / fpr) * scale * k) };
}

async function clickFrame(page, pfn) {
  await page.locator('#physmap-canvas').scrollIntoViewIfNeeded();
  const c = await page.$eval('#physmap-canvas', (el) => ({ ...el.dataset }));
  const i = pfn - Number(c.start || 0), fpr = Number(c.framesPerRow), scale = Number(c.scale);
  // bring the frame into the scroller's view, as a user would scroll to it
  await page.locator('.physmap-scroll').evaluate((el, [x, y]) => {
    el.scrollLeft = Math.max(0, x - el.clientWidth / 2);
    el.scrollTop = Math.max(0, y - el.clientHeight / 2);
  }, [(i % fpr) * scale, Math.floor(i / fpr) * scale]);
  const at = await framePoint(page, pfn);
  await page.mouse.move(at.x, at.y);
  const hover = await page.textContent('#physmap-hover');
  assert.match(hover, new RegExp(`^pfn 0x${pfn.toString(16)} `), `${JSON.stringify(at)} ${hover}`);
  await page.mouse.click(at.x, at.y);
  await page.waitForSelector(`#physmap-page table[data-pfn="${pfn}"]`, { timeout: 5000 });
}

const note = (page, which) => page.textContent(`#physmap-page [data-note="${which}"]`);

test('the struct page panel: the zero page a read fault maps, and a slab page\'s type apart from its flags', async () => {
  const id = (await postJson(api('/sessions'), { name: 'zero', machine: { mem_mib: 512 } })).body.id;
  const [spawn] = (await apply(id, { op: 'spawn', name: 'reader' })).results;
  const [m] = (await apply(id, { op: 'mmap', pid: spawn.pid, length: 8192 })).results;
  const [rd] = (await apply(id, { op: 'translate', pid: spawn.pid, vaddr: m.addr, access: 'read' })).results;
  const [km] = (await apply(id, { op: 'kmalloc', size: 256, gfp: 'GFP_KERNEL' })).results;
  const zpfn = Number(BigInt(rd.paddr) >> 12n);
  const zero = await get(`/sessions/${id}/pages/${zpfn}`);
  assert.equal(zero.zero_page, true);
  assert.equal(zero.owner, 'kernel');
  assert.equal(zero._mapcount, -1);
  assert.match(zero.kpageflags, /zero_page/);
  const proc = (await get(`/sessions/${id}/processes`)).processes[0];
  assert.equal(proc.rss_anon, 0, 'a read fault allocates nothing');
  assert.equal(proc.zero_ptes, 1);

  const { page, done } = await openSessionPage(browser, d.url, '#physmap', id);
  await page.waitForSelector('#physmap-canvas[data-ready="true"]', { timeout: 10000 });
  await clickFrame(page, zpfn);
  assert.match(await note(page, 'zero'), /shared zero page/);
  assert.match(await note(page, 'type'), /no page type.*_mapcount = -1, mapped by no page table/);
  assert.equal(await page.textContent('#physmap-page tr[data-field="page_type"] td'), '-');

  const slab = await get(`/sessions/${id}/pages/${km.pfn}`);
  assert.equal(slab.page_type, 'slab');
  await clickFrame(page, km.pfn);
  assert.match(await note(page, 'type'), new RegExp(`page type: slab \\(PGTY_slab, word ${slab.page_type_word}\\)`));
  assert.equal(await page.textContent('#physmap-page tr[data-field="page_type"] td'), 'slab');
  assert.equal(await page.textContent('#physmap-page tr[data-field="flags"] td'), slab.flags);
  assert.doesNotMatch(slab.flags, /slab/);
  assert.match(await note(page, 'kpageflags'), /slab/);
  assert.ok((await page.locator('#physmap-page [data-note="type"]').boundingBox()).height > 0);
  await shoot(page, '#physmap-structpage');
  await done();
});

test('vfree through the ops form leaves the range on the lazy list, drawn as such, until the purge', async () => {
  const id = (await postJson(api('/sessions'), { name: 'lazy', machine: { mem_mib: 512 } })).body.id;
  const [a] = (await apply(id, { op: 'vmalloc', size: 40000 })).results;
  const { page, done } = await openSessionPage(browser, d.url, '#vmalloc', id);
  await page.waitForSelector('#vmalloc-table[data-ready="true"]', { timeout: 10000 });
  await page.selectOption('#ops-form select[name="op"]', 'vfree');
  await page.fill('#ops-form input[name="addr"]', a.addr);
  await page.click('#ops-form button[type="submit"]');
  await page.waitForSelector(`#vmalloc-table tr.lazy[data-lazy="${a.addr}"]`, { timeout: 10000 });
  const view = await get(`/sessions/${id}/vmalloc`);
  await page.waitForSelector(`#vmalloc-table[data-seq="${view.seq}"]`, { timeout: 10000 });
  assert.equal(view.areas.length, 0);
  assert.equal(view.lazy.areas.length, 1);
  assert.equal(view.lazy.vmap_lazy_nr, 11, '10 pages and the guard page');
  const rows = await page.$$eval('#vmalloc-table tr.lazy', (trs) => trs.map((tr) =>
    Object.fromEntries([...tr.querySelectorAll('td[data-col]')].map((td) => [td.dataset.col, td.textContent]))));
  assert.deepEqual(rows.map((r) => [r.addr, r.end, r.size]),
    view.lazy.areas.map((l) => [l.addr, l.end, String(l.size)]));
  // One evaluation: a live refresh may replace the row between a query and a
  // second call, and a detached row has no box and no computed style.
  const row = await page.evaluate((addr) => {
    const tr = document.querySelector(`#vmalloc-table tr.lazy[data-lazy="${addr}"]`);
    const box = tr.getBoundingClientRect();
    return { height: box.height, width: box.width, colour: getComputedStyle(tr.querySelector('td')).color };
  }, a.addr);
  assert.ok(row.height > 0 && row.width > 0, 'the lazy row is drawn');
  assert.equal(row.colour, 'rgb(119, 119, 119)', 'greyed');
  assert.match(await page.textContent('#vmalloc-summary'),
    new RegExp(`1 range\\(s\\) lazily freed, 11 of ${view.lazy.lazy_max_pages} pages`));
  const info = (await getJson(api(`/sessions/${id}/proc/vmallocinfo`))).body;
  assert.match(info, /^0xffffc90000000000-0xffffc9000000b000 {3}45056 unpurged vm_area$/m);
  assert.equal(await page.textContent('#vmalloc-info'), info);
  // the events: the tracepoint's name, no TLB flush yet
  const ev = await get(`/sessions/${id}/events?since=${view.seq - 40}&limit=100`);
  const names = (ev.events ?? []).map((e) => e.type);
  assert.ok(names.includes('free_vmap_area_noflush'), names.join(','));
  assert.ok(!names.includes('tlb_flush'), 'no flush before the purge');
  await shoot(page, '#vmalloc-lazy');
  await done();
});
