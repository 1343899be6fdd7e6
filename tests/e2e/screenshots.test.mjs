// screenshots.test.mjs - every view of the dashboard's navigation (read from
// the page, so a new view is included as soon as it has a link), at 1280x800
// and at 800x600, on a session with some activity: blocks of pages, kmalloc
// and vmalloc buffers, a slab cache, a process with touched pages. Each view
// is saved as tests/e2e/artifacts/<view>-<width>x<height>.png (the whole
// page) for people to look at, and must fit: no horizontal scrolling of the
// document, its heading on the screen, no console error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launchChromium, openSessionPage, ARTIFACTS } from './lib/browser.mjs';
import { startDaemon, postJson } from './lib/daemon.mjs';

const SIZES = [{ width: 1280, height: 800 }, { width: 800, height: 600 }];
const IDLE_FRAMES = 3;		// frames painted with no fetch of the page under way: the view is drawn
let d, browser, session;

const api = (path) => `${d.url}/api/v1${path}`;

async function apply(id, list) {
  const r = await postJson(api(`/sessions/${id}/ops`), list);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  for (const x of r.body.results)
    assert.equal(x.ok, true, JSON.stringify(x));
  return r.body.results;
}

before(async () => {
  d = await startDaemon();
  browser = await launchChromium();
  const created = await postJson(api('/sessions'), { name: 'screenshots' });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  session = created.body.id;
  await apply(session, [{ op: 'alloc_pages', order: 0 }, { op: 'alloc_pages', order: 3 },
                        { op: 'alloc_pages', order: 5 }, { op: 'kmalloc', size: 3000 },
                        { op: 'kmalloc', size: 96 }, { op: 'vmalloc', size: 65536 },
                        { op: 'kmem_cache_create', name: 'lab_obj', size: 200 },
                        { op: 'kmem_cache_alloc', cache: 'lab_obj' }]);
  const [{ pid }] = await apply(session, [{ op: 'spawn', name: 'sh' }]);
  const [m] = await apply(session, [{ op: 'mmap', pid, length: 65536, prot: 'rw-' }]);
  await apply(session, [{ op: 'touch', pid, addr: m.addr, length: 32768 },
                        { op: 'translate', pid, vaddr: m.addr, access: 'read' }]);
});

after(async () => {
  await browser?.close();
  await d?.stop();
});

// A browser whose pages count their fetches under way, each until its whole
// body has come (the event stream is an EventSource, not a fetch).
const counting = {
  async newPage(options) {
    const page = await browser.newPage(options);
    await page.addInitScript(() => {
      const fetch = window.fetch;
      let busy = 0;
      window.fetch = async (...args) => {
        busy++;
        try {
          const r = await fetch(...args);
          await r.clone().arrayBuffer();
          return r;
        } finally {
          busy--;
        }
      };
      Object.defineProperty(window, 'mmlabFetching', { get: () => busy });
    });
    return page;
  },
};

// Resolves once the page has painted IDLE_FRAMES frames in a row with no
// fetch under way: what it asked for has come and been drawn, and nothing
// it drew asked for more.
function settled(page) {
  return page.evaluate((want) => new Promise((resolve) => {
    let idle = 0;
    const frame = () => {
      idle = window.mmlabFetching ? 0 : idle + 1;
      if (idle >= want)
        resolve();
      else
        requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  }), IDLE_FRAMES);
}

for (const size of SIZES) {
  test(`every view at ${size.width}x${size.height}: saved, no horizontal scrolling, heading shown, no console error`,
       async () => {
    const { page, done } = await openSessionPage(counting, d.url, '#overview', session, size);
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    const views = await page.$$eval('nav#views a[data-view]', (as) => as.map((a) => a.dataset.view));
    assert.ok(views.length >= 9, views.join());
    mkdirSync(ARTIFACTS, { recursive: true });
    for (const view of views) {
      await page.click(`nav#views a[data-view="${view}"]`);
      const section = await page.$(`#view-${view}`) ? `#view-${view}` : '#view-other';
      await page.waitForSelector(`${section}:not([hidden])`);
      await settled(page);
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: join(ARTIFACTS, `${view}-${size.width}x${size.height}.png`), fullPage: true });
      const fit = await page.evaluate((section) => {
        const doc = document.documentElement;
        const h = document.querySelector(`${section} h2`);
        const r = h.getBoundingClientRect();
        return { scroll: doc.scrollWidth, client: doc.clientWidth, heading: h.textContent,
                 box: [r.left, r.top, r.right, r.bottom], shown: h.checkVisibility() };
      }, section);
      assert.ok(fit.scroll <= fit.client, `${view}: the document is ${fit.scroll} px wide in ${fit.client}`);
      assert.ok(fit.shown && fit.heading.trim() !== '', `${view}: heading "${fit.heading}"`);
      const [left, top, right, bottom] = fit.box;
      assert.ok(left >= 0 && right <= size.width && top >= 0 && bottom <= size.height,
                `${view}: heading at ${fit.box} on a ${size.width}x${size.height} screen`);
      assert.deepEqual(errors, [], `${view}: console errors`);
    }
    await done();
  });
}
