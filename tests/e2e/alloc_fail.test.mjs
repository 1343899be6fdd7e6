// alloc_fail.test.mjs - a refused allocation in the ops log: besides ENOMEM
// and the engine's reason, what Linux 6.18's __alloc_pages_slowpath()
// (mm/page_alloc.c) would do next, as the API says, read from the page at
// 1280x800 and 800x600 in Debian's chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium, openSessionPage, saveScreenshot } from './lib/browser.mjs';
import { startDaemon, createSession, applyOps } from './lib/daemon.mjs';

let d, browser;

before(async () => {
  d = await startDaemon();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await d?.stop();
});

test('the ops log says what the kernel would do with a request the engine refuses', async () => {
  const id = await createSession(d.url, { mem_mib: 64 }, 'refusals');
  // Order-0 GFP_KERNEL pages until the min watermark refuses one.
  const { results } = await applyOps(d.url, id, [{ op: 'workload', kind: 'exhaust', count: 100000 }]);
  const want = results[0].stopped_by;
  assert.equal(want.errno, 'ENOMEM');
  assert.equal(want.kernel_fails, false);
  assert.equal(want.slowpath.at(-1), 'oom');

  const { page, done } = await openSessionPage(browser, d.url, '#buddy', id);
  for (const [width, height] of [[1280, 800], [800, 600]]) {
    await page.setViewportSize({ width, height });
    const before = await page.locator('#ops-log li').count();
    await page.selectOption('#ops-form select[name="op"]', 'alloc_pages');
    await page.fill('#ops-form input[name="gfp"]', 'GFP_KERNEL');
    await page.fill('#ops-form input[name="order"]', '0');
    await page.click('#ops-form button[type="submit"]');
    await page.waitForFunction((n) => document.querySelectorAll('#ops-log li').length > n, before);
    const entry = page.locator('#ops-log li').first();
    assert.equal(await entry.getAttribute('data-ok'), 'false');
    assert.equal(await entry.getAttribute('data-errno'), 'ENOMEM');
    const text = await entry.textContent();
    assert.ok(text.includes(`Linux would not fail this: ${want.would}`), text);
    assert.ok(text.includes(want.slowpath.join(' \u2192 ')), text);
    const box = await entry.boundingBox();
    assert.ok(box.width > 0 && box.height > 0, 'the entry is drawn');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `no horizontal scrolling at ${width}px`);
    await entry.scrollIntoViewIfNeeded();
    await saveScreenshot(page, `#ops-refusal-${width}`);
  }
  // GFP_NOWAIT cannot sleep: the kernel fails it too, and the entry does not claim otherwise.
  await page.fill('#ops-form input[name="gfp"]', 'GFP_NOWAIT');
  const before = await page.locator('#ops-log li').count();
  await page.click('#ops-form button[type="submit"]');
  await page.waitForFunction((n) => document.querySelectorAll('#ops-log li').length > n, before);
  const text = await page.locator('#ops-log li').first().textContent();
  assert.match(text, /ENOMEM: .* \u2014 the kernel would wake kswapd; .*returns NULL too \[wake_all_kswapds\]$/);
  await done();
});
