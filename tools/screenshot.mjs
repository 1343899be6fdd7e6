// screenshot.mjs - the README's two pictures of the dashboard: a fresh daemon
// runs the kmalloc-versus-vmalloc experiment; the first picture is the
// Address spaces view of that run (the x86-64 virtual layout beside physical
// memory by zone: the run's largest kmalloc object one straight band from the
// direct map to one run of frames, its vmalloc area a fan of lines to frames
// scattered in two runs, where RIP executes), opened by the link the run
// gives; the second the physical map with its pfn and address ruler, the
// marks where ZONE_DMA and ZONE_DMA32 start, and the slab of the run's
// GFP_DMA kmalloc buffer (magenta) in ZONE_DMA, the buffer's frame under the
// frame cursor, its struct page beside.
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
  // The view the run opens ("show in the Address spaces view"): its largest
  // kmalloc object and its vmalloc area chosen, from the heading down to the
  // rulers' foot.
  const page = await browser.newPage({ viewport: { width: 1200, height: 1400 } });
  const figure = (await getJson(`${d.url}/api/v1/sessions/${id}`)).body.scenario_runs.at(-1).figure;
  const last = (await getJson(`${d.url}/api/v1/sessions/${id}`)).body.last_seq;
  const sel = `kmalloc:${figure.kmalloc[0].addr},vmalloc:${figure.vmalloc[0].addr}`;
  await page.goto(`${d.url}/#addrspace?session=${id}&sel=${encodeURIComponent(sel)}`);
  await page.waitForSelector(`#addrspace-svg[data-seq="${last}"] polygon.as-band`);
  await page.waitForSelector('#addrspace-svg path.as-fan.as-vmalloc');
  await page.waitForTimeout(300);
  const box = await page.evaluate(() => {
    const top = document.querySelector('#view-addrspace h2').getBoundingClientRect();
    const rulers = document.getElementById('addrspace-rulers').getBoundingClientRect();
    return { x: 0, y: top.top + scrollY - 12, width: Math.ceil(rulers.right) + 10, height: rulers.bottom - top.top + 24 };
  });
  await page.screenshot({ path: join(dir, 'screenshot.png'), clip: box, fullPage: true });
  await page.setViewportSize({ width: 1400, height: 900 });

  // The physical map from pfn 0, 4 pixels a frame: ZONE_DMA and the start of
  // ZONE_DMA32 at 16 MiB (the kernel image) with their marks and the ruler;
  // the slab of the run's GFP_DMA kmalloc buffer, the one a 24-bit device
  // can reach, highlighted in ZONE_DMA, the buffer's struct page beside.
  const dma = figure.kmalloc.find((k) => k.cache.startsWith('dma-'));
  await page.click('nav a[data-view="physmap"]');
  await page.waitForSelector('#physmap-canvas[data-ready="true"]');
  await page.selectOption('#physmap-scale', '4');
  await page.waitForSelector('#physmap-canvas[data-scale="4"][data-ready="true"]');
  await page.fill('#physmap-hl-pfn', String(dma.pfn));
  const slab = (await getJson(`${d.url}/api/v1/sessions/${id}/pages/${dma.pfn}`)).body;
  await page.fill('#physmap-hl-count', String(2 ** slab.order));	// the buffer's slab
  await page.click('#physmap-highlight button[type="submit"]');
  await page.waitForSelector(`#physmap-canvas[data-highlight^="${dma.pfn}+"]`);
  // The run's panel folded to its title, so that the map is on the screen.
  if (await page.isVisible('#scenario-panel button.fold'))
    await page.click('#scenario-panel button.fold');
  await page.setViewportSize({ width: 1400, height: 1100 });
  await page.waitForTimeout(800);	// the map fits its rows to the new width
  await page.waitForSelector('#physmap-canvas[data-ready="true"]');
  await page.locator('.physmap-scroll').evaluate((e) => { e.scrollTop = 0; });
  const at = await page.evaluate((pfn) => {
    const c = document.getElementById('physmap-canvas'), r = c.getBoundingClientRect();
    const i = pfn - Number(c.dataset.start), fpr = Number(c.dataset.framesPerRow), s = Number(c.dataset.scale);
    return { x: Math.ceil(r.left + (i % fpr) * s + 1), y: Math.ceil(r.top + Math.floor(i / fpr) * s + 1) };
  }, dma.pfn);
  await page.mouse.click(at.x, at.y);
  await page.waitForSelector(`#physmap-page table[data-pfn="${dma.pfn}"]`);
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(dir, 'screenshot-physmap.png') });
  await browser.close();
  console.log(`wrote ${join(dir, 'screenshot.png')} and ${join(dir, 'screenshot-physmap.png')}`);
} finally {
  await d.stop();
}
