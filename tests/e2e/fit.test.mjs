// fit.test.mjs - panels that must not hide part of what they show behind a
// sideways scroll, in Debian's chromium against a real daemon, at 1280x800
// and 800x600: the event log (its detail column) and the struct page beside
// the physical map (long values such as kpageflags).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium, openSessionPage } from './lib/browser.mjs';
import { startDaemon, getJson, postJson } from './lib/daemon.mjs';

let d, browser, id, slabPfn;

before(async () => {
  d = await startDaemon();
  browser = await launchChromium();
  const r = await postJson(`${d.url}/api/v1/sessions`, { name: 'fit' });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  id = r.body.id;
  const [spawned] = (await postJson(`${d.url}/api/v1/sessions/${id}/ops`, [{ op: 'spawn', name: 'sh' }])).body.results;
  const [m] = (await postJson(`${d.url}/api/v1/sessions/${id}/ops`,
                              [{ op: 'mmap', pid: spawned.pid, length: 65536, prot: 'rw-' }])).body.results;
  // Translations and TLB fills: the events with the longest details.
  const ops = await postJson(`${d.url}/api/v1/sessions/${id}/ops`, [
    { op: 'touch', pid: spawned.pid, addr: m.addr, length: 16384 },
    { op: 'translate', pid: spawned.pid, vaddr: m.addr, access: 'read' }]);
  assert.equal(ops.status, 200, JSON.stringify(ops.body));
  const [k] = (await postJson(`${d.url}/api/v1/sessions/${id}/ops`, [{ op: 'kmalloc', size: 3000 }])).body.results;
  slabPfn = Number(BigInt(k.paddr ?? k.phys) / 4096n);
});

after(async () => {
  await browser?.close();
  await d?.stop();
});

// How far the content of @sel runs past its box, in pixels.
const overflow = (page, sel) => page.$eval(sel, (e) => e.scrollWidth - e.clientWidth);

for (const [width, height] of [[1280, 800], [800, 600]]) {
  test(`at ${width}x${height} the event log and the struct page show all of their text`, async () => {
    const { page, done } = await openSessionPage(browser, d.url, '#timeline', id, { width, height });
    await page.waitForSelector('#eventlog[data-ready="true"] tr[data-seq]');
    const details = await page.$$eval('#eventlog tr[data-seq] td:last-child', (tds) => tds.map((t) => t.textContent));
    assert.ok(details.some((t) => t.length > 20), 'long details shown');
    assert.ok(await overflow(page, '#eventlog') <= 0, `the event log scrolls sideways by ${await overflow(page, '#eventlog')} px`);
    // The struct page of the kmalloc buffer's slab (a compound head: long
    // kpageflags), opened by its link as a shared URL would.
    await page.goto(`${d.url}/#physmap?session=${id}&pfn=0x${slabPfn.toString(16)}`);
    await page.waitForSelector(`#physmap-page table[data-pfn="${slabPfn}"]`);
    const pfn = slabPfn;
    const page1 = (await getJson(`${d.url}/api/v1/sessions/${id}/pages/${pfn}`)).body;
    const text = await page.textContent('#physmap-page');
    assert.ok(text.includes(page1.kpageflags), `its kpageflags ${page1.kpageflags} shown`);
    assert.ok(page1.kpageflags.length > 12, 'long flags');
    assert.ok(await overflow(page, '#physmap-page') <= 0, `the struct page scrolls sideways by ${await overflow(page, '#physmap-page')} px`);
    await done();
  });
}
