// deeplinks.test.mjs - the page URL holds the session, the view, the seq and
// the selection (web/js/url.js): a reload and a link opened in a fresh page
// show them again, the nav links and time travel write them, back returns.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium, saveScreenshot } from './lib/browser.mjs';
import { startDaemon, postJson, apiOf } from './lib/daemon.mjs';

let d, browser;
const { api, get } = apiOf(() => d.url);

before(async () => {
  d = await startDaemon();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await d?.stop();
});

// A fresh page at @path, recording console errors.
async function open(path, viewport = { width: 1280, height: 800 }) {
  const page = await browser.newPage({ viewport });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(`${d.url}${path}`);
  return { page, errors };
}

const hashOf = (page) => page.evaluate(() => location.hash);
const params = async (page) => Object.fromEntries(new URLSearchParams((await hashOf(page)).split('?')[1] || ''));

// A session with two vmalloc areas, the second made after seq @mid.
async function session() {
  const id = (await postJson(api('/sessions'), { name: 'links', machine: { mem_mib: 256 } })).body.id;
  const first = (await postJson(api(`/sessions/${id}/ops`), [{ op: 'vmalloc', size: 20000 }])).body;
  await postJson(api(`/sessions/${id}/ops`), [{ op: 'alloc_pages', order: 2 }, { op: 'vmalloc', size: 9000 }]);
  return { id, mid: first.last_seq, addr: first.results[0].addr };
}

async function assertVmallocShown(page, id, seq, addr) {
  await page.waitForSelector(`#timebar[data-seq="${seq}"][data-mode="past"]`, { timeout: 10000 });
  assert.equal(await page.inputValue('#session'), String(id));
  assert.equal(await page.getAttribute('nav a.active', 'data-view'), 'vmalloc');
  assert.equal(await page.isVisible('#view-vmalloc'), true);
  await page.waitForSelector(`#vmalloc-table[data-seq="${seq}"] tr.current[data-addr="${addr}"]`, { timeout: 10000 });
  const area = (await get(`/sessions/${id}/vmalloc?at=${seq}`)).areas.find((a) => a.addr === addr);
  assert.equal(await page.getAttribute('#vmalloc-area', 'data-pfns'), area.pfns.join(','));
  // At that seq the second area does not exist yet.
  assert.equal(await page.locator('#vmalloc-table tr[data-addr]').count(),
               (await get(`/sessions/${id}/vmalloc?at=${seq}`)).areas.length);
}

test('a shared link opens session, view, seq and area; a reload keeps them', async () => {
  const { id, mid, addr } = await session();
  const { page, errors } = await open(`/#vmalloc?session=${id}&at=${mid}&addr=${addr}`);
  await assertVmallocShown(page, id, mid, addr);
  await page.reload();
  await assertVmallocShown(page, id, mid, addr);
  assert.deepEqual(await params(page), { session: String(id), at: String(mid), addr });
  await saveScreenshot(page, '#deeplink-vmalloc');
  assert.deepEqual(errors, []);
  await page.close();
});

test('the page\'s own ?session=&at= query is read and moved into the hash', async () => {
  const { id, mid } = await session();
  const { page, errors } = await open(`/?session=${id}&at=${mid}#buddy`);
  await page.waitForSelector(`#timebar[data-seq="${mid}"][data-mode="past"]`, { timeout: 10000 });
  assert.equal(await page.inputValue('#session'), String(id));
  assert.equal(await page.isVisible('#view-buddy'), true);
  await page.waitForSelector(`#buddy-zones[data-seq="${mid}"]`, { timeout: 10000 });
  assert.equal(await page.evaluate(() => location.search), '');
  assert.equal(await hashOf(page), `#buddy?session=${id}&at=${mid}`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('time travel, the session picker, a frame clicked and the nav links write the URL; back returns', async () => {
  const { id, mid } = await session();
  const last = (await get(`/sessions/${id}`)).last_seq;
  const { page, errors } = await open(`/#overview?session=${id}`, { width: 800, height: 600 });
  await page.waitForSelector(`#timebar[data-last-seq="${last}"][data-mode="live"]`, { timeout: 10000 });
  assert.equal((await params(page)).at, undefined, 'live: no at');
  await page.click('#tb-back');
  await page.waitForSelector(`#timebar[data-seq="${last - 1}"]`);
  assert.equal((await params(page)).at, String(last - 1));
  await page.click('#tb-live');
  await page.waitForFunction(() => !location.hash.includes('at='));
  // The nav link to the physical map carries session and seq.
  await page.locator('#tb-slider').evaluate((el, v) => {
    el.value = String(v);
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }, mid);
  await page.waitForSelector(`#timebar[data-seq="${mid}"]`);
  assert.equal(await page.getAttribute('nav a[data-view="physmap"]', 'href'), `#physmap?session=${id}&at=${mid}`);
  await page.click('nav a[data-view="physmap"]');
  await page.waitForSelector(`#physmap-canvas[data-ready="true"][data-seq="${mid}"]`, { timeout: 10000 });
  // A frame clicked: its pfn joins the URL, and a reload opens its struct page again.
  await page.locator('#physmap-canvas').click({ position: { x: 40.5, y: 3.5 } });
  await page.waitForFunction(() => location.hash.includes('pfn='));
  const pfn = Number((await params(page)).pfn);
  const shown = Number(await page.getAttribute('#physmap-hover', 'data-pfn'));
  assert.equal(pfn, shown);
  await page.reload();
  await page.waitForSelector(`#physmap-page table[data-pfn="${pfn}"]`, { timeout: 10000 });
  await page.waitForSelector(`#timebar[data-seq="${mid}"][data-mode="past"]`);
  const api1 = await get(`/sessions/${id}/pages/${pfn}?at=${mid}`);
  for (const [k, v] of Object.entries(api1).filter(([, x]) => typeof x !== 'object'))
    assert.ok((await page.textContent(`#physmap-page tr[data-field="${k}"] td`)).startsWith(String(v)), k);
  await saveScreenshot(page, '#deeplink-physmap-800');
  // Back: to the overview, live; forward: the map again.
  await page.goBack();
  await page.waitForFunction(() => location.hash.startsWith('#overview'));
  assert.equal(await page.isVisible('#view-overview'), true);
  await page.goForward();
  await page.waitForFunction(() => location.hash.startsWith('#physmap'));
  assert.equal(await page.isVisible('#view-physmap'), true);
  // Another session picked: the URL follows and drops the seq.
  const other = (await get('/sessions')).sessions.find((s) => s.name === 'default').id;
  await page.selectOption('#session', String(other));
  await page.waitForFunction((o) => location.hash.includes(`session=${o}`) && !location.hash.includes('at='), other);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the walked address is the URL\'s addr; a link without a session keeps the one shown', async () => {
  const { id } = await session();
  const vaddr = '0xffff888000200000';
  const { page, errors } = await open(`/#pagetables?session=${id}&addr=${vaddr}`);
  await page.waitForSelector(`#pt-walk-table[data-vaddr="${vaddr}"]`, { state: 'attached', timeout: 10000 });
  const walk = await get(`/sessions/${id}/pagetable?pid=kernel&vaddr=${vaddr}`);
  const rows = await page.$$eval('#pt-walk-table tr[data-level]', (trs) => trs.map((tr) => Number(tr.dataset.level)));
  assert.deepEqual(rows, walk.levels.map((l) => l.level));
  // Another address walked from the form: the URL follows, a reload walks it again.
  await page.fill('#pt-walk input[name="vaddr"]', '0xffff888000300000');
  await page.click('#pt-walk button[type="submit"]');
  await page.waitForSelector('#pt-walk-table[data-vaddr="0xffff888000300000"]', { state: 'attached' });
  assert.equal((await params(page)).addr, '0xffff888000300000');
  await page.reload();
  await page.waitForSelector('#pt-walk-table[data-vaddr="0xffff888000300000"]', { state: 'attached', timeout: 10000 });
  // A half-typed address survives the live refreshes.
  await page.fill('#pt-walk input[name="vaddr"]', '0xffff8880004');
  await postJson(api(`/sessions/${id}/ops`), [{ op: 'alloc_pages', order: 0 }]);
  const grown = (await get(`/sessions/${id}`)).last_seq;
  await page.waitForSelector(`#timebar[data-last-seq="${grown}"]`);
  // the walk refreshed at the new seq: the live refresh has come and gone
  await page.waitForSelector(`#pt-walk-table[data-seq="${grown}"]`, { state: 'attached' });
  assert.equal(await page.inputValue('#pt-walk input[name="vaddr"]'), '0xffff8880004');
  // A typed link to a view alone keeps the session shown.
  await page.evaluate(() => { location.hash = '#buddy'; });
  await page.waitForFunction((i) => location.hash === `#buddy?session=${i}`, id);
  assert.equal(await page.inputValue('#session'), String(id));
  assert.deepEqual(errors, []);
  await page.close();
});
