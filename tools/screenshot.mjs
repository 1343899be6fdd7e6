// screenshot.mjs - the README's two pictures of the dashboard: a fresh daemon
// runs the kmalloc-versus-vmalloc experiment; the first picture is the
// overview (zones by owner, watermarks, the scenario's claim and figure), the
// second the physical map with the vmalloc area's scattered frames (cyan)
// beside the kmalloc block (magenta).
//   node tools/screenshot.mjs [DIR]      (default docs/)
import { join } from 'node:path';
import { launchChromium } from '../tests/e2e/lib/browser.mjs';
import { startDaemon, postJson, getJson } from '../tests/e2e/lib/daemon.mjs';

const dir = process.argv[2] || 'docs';
const d = await startDaemon();
try {
  const run = await postJson(`${d.url}/api/v1/scenarios/kmalloc-vs-vmalloc/run`, {});
  const id = run.body.session;
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(`${d.url}/#overview`);
  await page.waitForSelector(`#session option[value="${id}"]`, { state: 'attached' });
  await page.selectOption('#session', String(id));
  await page.waitForTimeout(1500);
  await page.screenshot({ path: join(dir, 'screenshot.png') });

  const area = (await getJson(`${d.url}/api/v1/sessions/${id}/vmalloc`)).body.areas[0];
  await page.click('nav a[data-view="vmalloc"]');
  await page.click(`#vmalloc-table tr[data-addr="${area.addr}"]`);
  await page.click('#vmalloc-area button');
  await page.waitForSelector(`#physmap-canvas[data-frames="${area.pfns.length}"]`);
  // Zoom in (8 pixels a frame, 128 frames a row) on the rows around the area's frames.
  const first = Math.min(...area.pfns);
  await page.selectOption('#physmap-scale', '8');
  await page.fill("#physmap-start", `0x${(Math.max(0, first - 128 * 2) & ~127).toString(16)}`);
  await page.dispatchEvent('#physmap-start', 'change');
  await page.waitForSelector('#physmap-canvas[data-scale="8"][data-ready="true"]');
  await page.waitForTimeout(500);
  await page.evaluate(() => {	// the map's first rows hold both buffers
    for (let e = document.getElementById('physmap-canvas'); e; e = e.parentElement)
      e.scrollTop = 0;
  });
  await page.screenshot({ path: join(dir, 'screenshot-physmap.png') });
  await browser.close();
  console.log(`wrote ${join(dir, 'screenshot.png')} and ${join(dir, 'screenshot-physmap.png')}`);
} finally {
  await d.stop();
}
