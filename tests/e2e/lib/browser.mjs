// browser.mjs - Debian's chromium, driven by playwright-core, as every browser
// test and tools/screenshot.mjs start it. Never a downloaded browser.
import { chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
                              '--disable-background-networking', '--disable-component-update',
                              '--disable-sync'];

export function launchChromium() {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}
