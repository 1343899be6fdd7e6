// hibernate_browser.test.mjs - a hibernated session from the dashboard, as a
// learner meets one in a crowded daemon: the session menu says it is
// hibernated, choosing it wakes it as the same machine (its views are the
// API's, its struct page digest the one it had before it slept), the menu
// then says live; while the page streams it, it cannot be sent to sleep;
// once the page has moved on it can, and choosing it again and applying an
// op from the Operations form wakes it, with the op's result in the log.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium, saveScreenshot } from './lib/browser.mjs';
import { startDaemon, getJson, postJson, createSession, applyOps } from './lib/daemon.mjs';

// 64 MiB machines have 1 MiB of struct pages: a 4 MiB budget keeps a few resident.
const MACHINE = { mem_mib: 64 };
let d, browser;
before(async () => {
  d = await startDaemon({ args: ['--max-memory', '4M'] });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await d?.stop();
});

const url = (path) => `${d.url}/api/v1${path}`;
async function get(path) {
  const r = await getJson(url(path));
  assert.equal(r.status, 200, `${path}: ${JSON.stringify(r.body).slice(0, 300)}`);
  return r.body;
}
// The list does not wake anyone: it is how the states are read here.
const stateOf = async (id) => (await get('/sessions')).sessions.find((s) => s.id === id)?.state;
const optionText = (page, id) => page.textContent(`#session option[value="${id}"]`);

test('a hibernated session: the menu says so, choosing it wakes the same machine, a viewed one stays awake, an op from the form applies after a wake', async () => {
  // The daemon's default session (a 4 GiB machine, 64 MiB of struct pages) goes to sleep
  // first, and the page never asks for it: the budget is the small machines'.
  assert.equal((await postJson(url('/sessions/1/hibernate'), {})).status, 200);
  const sleeper = await createSession(d.url, MACHINE, 'sleeper');
  await applyOps(d.url, sleeper, [{ op: 'alloc_pages', order: 3 }, { op: 'kmalloc', size: 100 },
    { op: 'alloc_pages', order: 0 }]);
  const asItWas = await get(`/sessions/${sleeper}/state`);
  // Others come and use the budget: the least recently used, the sleeper, goes first.
  for (let i = 0; i < 6 && (await stateOf(sleeper)) !== 'hibernated'; i++) {
    const id = await createSession(d.url, MACHINE, `learner ${i}`);
    await applyOps(d.url, id, [{ op: 'alloc_pages', order: 1 }]);
  }
  assert.equal(await stateOf(sleeper), 'hibernated');

  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  // A link to it (as a teacher shares one): the menu, filled before the page asks for the
  // machine, says it sleeps; the overview then draws it, which wakes it.
  await page.goto(`${d.url}/#overview?session=${sleeper}`);
  await page.waitForSelector(`#session option[value="${sleeper}"]`, { state: 'attached', timeout: 10000 });
  assert.match(await optionText(page, sleeper), new RegExp(`^sleeper \\(#${sleeper}, hibernated\\)$`));
  await page.waitForFunction((seq) => document.getElementById('overview-zones').dataset.seq === seq,
    String(asItWas.seq), { timeout: 20000 });
  assert.equal(await stateOf(sleeper), 'live', 'the view woke it');
  const awake = await get(`/sessions/${sleeper}/state`);
  assert.equal(awake.mem_map_fnv1a64, asItWas.mem_map_fnv1a64, 'the same struct pages as before it slept');
  assert.equal(awake.seq, asItWas.seq);
  // What the page draws is the woken machine's: the totals by owner are the API's.
  const zones = await get(`/sessions/${sleeper}/zones`);
  const want = {};
  for (const z of zones.zones.filter((x) => x.populated))
    for (const [owner, n] of Object.entries(z.owners)) want[owner] = (want[owner] ?? 0) + n;
  const shown = await page.$$eval('#overview-totals tr', (rows) => Object.fromEntries(rows.slice(1)
    .map((r) => [r.cells[0].textContent, Number(r.cells[1].textContent.replace(/\D/g, ''))])));
  const owners = Object.keys(shown).filter((o) => o in want);	/* the last row is the total */
  for (const owner of owners)
    assert.equal(shown[owner], want[owner], `${owner} pages`);
  assert.ok(owners.length >= 2, JSON.stringify(shown));
  assert.match(await page.textContent('#overview-summary'), new RegExp(`sleeper \\(#${sleeper}\\): 64 MiB`));
  // The menu, read again (as when it takes the focus), says live.
  await page.locator('#session').blur();
  await page.focus('#session');
  await page.waitForFunction(([id]) => /, live\)$/.test(document.querySelector(`#session option[value="${id}"]`).textContent),
    [sleeper], { timeout: 10000 });
  await saveScreenshot(page, '#overview-woken');

  // While the page streams it, it cannot be sent to sleep: the stream holds it.
  const held = await postJson(url(`/sessions/${sleeper}/hibernate`), {});
  assert.equal(held.status, 409);
  assert.match(held.body.error.message, /in use \(a request or a stream\)/);
  // The page moves to another session: now it can, and the menu says so.
  const other = (await get('/sessions')).sessions.find((x) => x.name === 'learner 0').id;
  await page.selectOption('#session', String(other));
  await page.waitForFunction((name) => document.getElementById('overview-summary').textContent.startsWith(name),
    'learner 0', { timeout: 20000 });
  let slept;
  for (let i = 0; i < 50 && (slept = await postJson(url(`/sessions/${sleeper}/hibernate`), {})).status === 409; i++)
    await new Promise((r) => setTimeout(r, 100));	/* the stream's end reaches the daemon */
  assert.equal(slept.status, 200, JSON.stringify(slept.body));
  assert.equal(await stateOf(sleeper), 'hibernated');
  await page.locator('#session').blur();	/* the menu is read again when it takes the focus */
  await page.focus('#session');
  await page.waitForFunction(([id]) => /, hibernated\)$/.test(document.querySelector(`#session option[value="${id}"]`).textContent),
    [sleeper], { timeout: 10000 });
  // Back to it, and an op from the Operations form: it wakes and applies.
  await page.selectOption('#session', String(sleeper));
  await page.waitForFunction((seq) => document.getElementById('overview-zones').dataset.seq === seq,
    String(asItWas.seq), { timeout: 20000 });
  await page.selectOption('#ops-form select[name="op"]', 'alloc_pages');
  await page.fill('#ops-form input[name="gfp"]', 'GFP_KERNEL');
  await page.fill('#ops-form input[name="order"]', '2');
  await page.click('#ops-form button[type="submit"]');
  const entry = page.locator('#ops-log li').first();
  await entry.waitFor({ timeout: 20000 });
  assert.equal(await entry.getAttribute('data-ok'), 'true', await entry.textContent());
  assert.match(await entry.textContent(), /alloc_pages\(gfp=GFP_KERNEL, order=2\) \u2192 ok: pfn 0x[0-9a-f]+ order 2/);
  assert.equal(await stateOf(sleeper), 'live');
  const info = await get(`/sessions/${sleeper}`);
  assert.ok(info.last_seq > asItWas.seq, 'the op was recorded after the woken machine');
  await page.waitForFunction((seq) => document.getElementById('overview-zones').dataset.seq === seq,
    String(info.last_seq), { timeout: 10000 });
  assert.deepEqual(errors, []);
  await saveScreenshot(page, '#overview-op-after-wake');
  await page.close();
});
