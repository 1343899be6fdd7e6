// browser.mjs - Debian's chromium, driven by playwright-core, as every browser
// test and tools/screenshot.mjs start it. Never a downloaded browser.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { getJson, top } from './daemon.mjs';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
                              '--disable-background-networking', '--disable-component-update',
                              '--disable-sync'];

export function launchChromium() {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

// Resolves once @page has painted @n frames after whatever was asked of it
// (a viewport change: ResizeObserver callbacks, and the charts' redraws they
// throttle to the next frame, have then run), instead of sleeping a while.
export function painted(page, n = 3) {
  return page.evaluate((left) => new Promise((resolve) => {
    const frame = () => (--left > 0 ? requestAnimationFrame(frame) : resolve());
    requestAnimationFrame(frame);
  }), n);
}

// Where the browser tests leave a screenshot of each view they end on (test
// artifacts, never committed): MMLAB_ARTIFACTS, or tests/e2e/artifacts.
export const ARTIFACTS = process.env.MMLAB_ARTIFACTS || join(top, 'tests', 'e2e', 'artifacts');
let shots = 0;

// A full-page screenshot of @page named after the view of @hash.
export async function saveScreenshot(page, hash) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const view = (hash || '').replace(/^#/, '') || 'overview';
  const file = join(ARTIFACTS, `${String(++shots).padStart(2, '0')}-${view}-${process.pid}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

// The dashboard of the daemon at @url on session @id, once its timeline has
// caught up with the session; its requests and console errors are recorded,
// and done() checks that nothing went to another host and nothing failed.
export async function openSessionPage(browser, url, hash, id, viewport = { width: 1600, height: 1000 }) {
  const page = await browser.newPage({ viewport });
  const requests = [], errors = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(`${url}/${hash}`);
  await page.waitForSelector(`#session option[value="${id}"]`, { state: 'attached', timeout: 10000 });
  await page.selectOption('#session', String(id));
  const last = (await getJson(`${url}/api/v1/sessions/${id}`)).body.last_seq;
  await page.waitForSelector(`#timebar[data-last-seq="${last}"]`, { timeout: 10000 });
  return {
    page, requests,
    async done() {
      for (const u of requests)
        assert.ok(u.startsWith(`${url}/`), `request to another host: ${u}`);
      assert.deepEqual(errors, []);
      await saveScreenshot(page, hash);
      await page.close();
    },
  };
}
