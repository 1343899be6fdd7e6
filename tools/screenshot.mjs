// screenshot.mjs - the README's picture of the dashboard: a fresh daemon, the
// kmalloc-versus-vmalloc experiment, and the physical map with both buffers.
//   node tools/screenshot.mjs [OUT.png]
import { launchChromium } from '../tests/e2e/lib/browser.mjs';
import { startDaemon, postJson } from '../tests/e2e/lib/daemon.mjs';

const out = process.argv[2] || 'docs/screenshot.png';
const d = await startDaemon();
try {
  const run = await postJson(`${d.url}/api/v1/scenarios/kmalloc-vs-vmalloc/run`, {});
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(`${d.url}/#overview`);
  await page.waitForSelector(`#session option[value="${run.body.session}"]`, { state: 'attached' });
  await page.selectOption('#session', String(run.body.session));
  await page.waitForTimeout(1500);
  await page.screenshot({ path: out });
  await browser.close();
  console.log(`wrote ${out}`);
} finally {
  await d.stop();
}
