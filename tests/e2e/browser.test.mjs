// browser.test.mjs - the dashboard in Debian's chromium, driven by playwright-core
// (which gives each launch a fresh temporary profile).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium } from './lib/browser.mjs';
import { startDaemon } from './lib/daemon.mjs';

let d, browser;

before(async () => {
  d = await startDaemon();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await d?.stop();
});

// A page whose every request and console error is recorded.
async function openDashboard(path = '/') {
  const page = await browser.newPage();
  const requests = [], errors = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(`${d.url}${path}`);
  return { page, requests, errors };
}

test('the dashboard loads Chart.js from the daemon and draws its charts', async () => {
  const { page, requests, errors } = await openDashboard();
  await page.waitForSelector('#overview-zones[data-ready="true"]', { timeout: 10000 });
  assert.equal(await page.evaluate(() => typeof window.Chart), 'function');
  assert.match(await page.evaluate(() => window.Chart.version), /^4\./);
  // Each zone's chart instance exists on its canvas and has drawn pixels.
  const drawn = await page.evaluate(() => [...document.querySelectorAll('#overview-zones canvas')].map((c) => {
    const chart = window.Chart.getChart(c);
    const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let ink = 0;
    for (let i = 3; i < px.length; i += 4) if (px[i]) ink++;
    return { datasets: chart.data.datasets.length, ink };
  }));
  assert.ok(drawn.length >= 1, 'at least one zone chart');
  for (const c of drawn) {
    assert.ok(c.datasets >= 1, 'owners from the API');
    assert.ok(c.ink > 100, 'the canvas holds a drawing');
  }
  assert.ok(requests.length > 0);
  for (const url of requests)
    assert.ok(url.startsWith(d.url), `request to another host: ${url}`);
  assert.ok(requests.some((u) => u.endsWith('/vendor/chart.umd.min.js')));
  assert.ok(requests.some((u) => u.endsWith('/vendor/chartjs-plugin-annotation.min.js')));
  assert.ok(requests.some((u) => u.includes('/api/v1/')));
  assert.deepEqual(errors, []);
  await page.close();
});

test('the navigation lists the views and switches between them', async () => {
  const { page, errors } = await openDashboard();
  const views = await page.$$eval('nav a', (as) => as.map((a) => a.dataset.view));
  const built = ['overview', 'buddy', 'physmap', 'slabs', 'vmalloc', 'pagetables', 'tlb', 'timeline'];
  for (const v of built)
    assert.ok(views.includes(v), v);
  assert.equal(await page.isVisible('#view-overview'), true, 'the overview comes first');
  // Each click shows a view that was hidden, hides the others and marks its link;
  // the last one goes back to the overview, which was hidden by then.
  for (const v of [...built.slice(1), 'overview']) {
    assert.equal(await page.isVisible(`#view-${v}`), false, `${v} is hidden before its click`);
    await page.click(`nav a[data-view="${v}"]`);
    await page.waitForSelector(`#view-${v}`, { state: 'visible', timeout: 5000 });
    const shown = await page.$$eval('section.view',
      (ss) => [...new Set(ss.filter((s) => !s.hidden).map((s) => s.id))]);
    assert.deepEqual(shown, [`view-${v}`], `after the click on ${v}`);
    assert.deepEqual(await page.$$eval('nav a.active', (as) => as.map((a) => a.dataset.view)), [v]);
  }
  assert.deepEqual(errors, []);
  await page.close();
});
