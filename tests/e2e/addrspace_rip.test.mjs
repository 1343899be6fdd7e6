// addrspace_rip.test.mjs - RIP on the virtual ruler of the Address spaces
// view, in Debian's chromium against a real daemon: a machine from power-on
// is booted stage by stage, the timeline is moved through the page, and at
// each stage the mark of CPU 0's RIP must sit where the ruler puts the API's
// rip: low (the identity-mapped physical address, in the lower half) up to
// __startup_64, high (in the kernel text mapping) from common_startup_64 on.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ARTIFACTS, launchChromium, openSessionPage, painted } from './lib/browser.mjs';
import { startDaemon, getJson, postJson } from './lib/daemon.mjs';

const STAGES = ['startup_32', 'extract_kernel', 'startup_64', '__startup_64', 'common_startup_64',
                'reset_early_page_tables'];

let d, browser, id;
const stageSeq = {};

const api = (path) => `${d.url}/api/v1${path}`;
const get = async (path) => {
  const r = await getJson(api(path));
  assert.equal(r.status, 200, `${path}: ${JSON.stringify(r.body)}`);
  return r.body;
};

before(async () => {
  d = await startDaemon();
  browser = await launchChromium();
  const created = await postJson(api('/sessions'), { name: 'rip', machine: { mem_mib: 512, cpus: 2, start: 'poweron' } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  id = created.body.id;
  for (const until of STAGES) {
    const r = await postJson(api(`/sessions/${id}/ops`), { op: 'boot', until });
    assert.deepEqual(r.body.results[0], { ok: true, stage: until });
  }
  for (const e of (await get(`/sessions/${id}/events?type=boot_stage&limit=100`)).events)
    stageSeq[e.detail] = e.seq;
});

after(async () => {
  await browser?.close();
  await d?.stop();
});

// The timeline moved to @seq with its slider, as a user drags it.
async function seek(page, seq) {
  await page.locator('#tb-slider').evaluate((el, v) => {
    el.value = String(v);
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }, seq);
  await page.waitForSelector(`#addrspace-svg[data-seq="${seq}"]`);
}

// The virtual ruler's segments and the RIP marks, from the SVG.
async function drawn(page) {
  return page.evaluate(() => ({
    virt: [...document.querySelectorAll('#addrspace-svg rect.as-seg')].map((r) => ({
      name: r.dataset.name, start: r.dataset.start, end: r.dataset.end,
      y: Number(r.getAttribute('y')), h: Number(r.getAttribute('height')) })),
    rips: [...document.querySelectorAll('#addrspace-svg path.as-rip')].map((m) => ({
      addr: m.dataset.addr, label: m.dataset.label, y: Number(/,([\d.]+)/.exec(m.getAttribute('d'))[1]) })),
    labels: [...document.querySelectorAll('#addrspace-svg text.as-rip-label')].map((t) => t.textContent),
  }));
}

// Where the ruler puts @at: the segment holding it, linear within it.
function yOf(segs, at) {
  const s = segs.find((x) => BigInt(x.start) <= at && at < BigInt(x.end));
  assert.ok(s, `no segment holds ${at.toString(16)}`);
  return { seg: s, y: s.y + s.h * Number(at - BigInt(s.start)) / Number(BigInt(s.end) - BigInt(s.start)) };
}

// The region (its parts joined) of the ruler named @name: its top and bottom.
function regionBox(segs, name) {
  const parts = segs.filter((s) => s.name === name);
  assert.ok(parts.length, `region ${name} drawn`);
  return { top: Math.min(...parts.map((s) => s.y)), bottom: Math.max(...parts.map((s) => s.y + s.h)) };
}

async function shots(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  for (const [width, height] of [[1280, 800], [800, 600]]) {
    await page.setViewportSize({ width, height });
    await painted(page);
    await page.screenshot({ path: join(ARTIFACTS, `addrspace-${name}-${width}x${height}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 800 });
  await painted(page);
}

// CPU 0's RIP mark at @stage: at the API's rip, inside region @region.
async function checkRip(page, stage, region) {
  const seq = stageSeq[stage];
  await seek(page, seq);
  const cpu0 = (await get(`/sessions/${id}/cpus?at=${seq}`)).cpus[0];
  const g = await drawn(page);
  const mark = g.rips.find((m) => /^RIP CPU 0\b/.test(m.label));
  assert.ok(mark, `${stage}: a mark for CPU 0 in ${JSON.stringify(g.rips)}`);
  assert.equal(mark.addr, cpu0.rip, `${stage}: the mark is at the API's rip`);
  const at = yOf(g.virt, BigInt(cpu0.rip));
  assert.ok(Math.abs(mark.y - at.y) < 0.05, `${stage}: mark at y ${mark.y}, the ruler puts ${cpu0.rip} at ${at.y}`);
  const box = regionBox(g.virt, region);
  assert.ok(mark.y >= box.top && mark.y <= box.bottom, `${stage}: y ${mark.y} inside ${region} ${JSON.stringify(box)}`);
  assert.ok(g.labels.some((t) => t.startsWith('RIP CPU 0') && t.includes(cpu0.rip)), `${stage}: labelled ${g.labels}`);
  return { cpu0, mark, g };
}

test('RIP on the virtual ruler: low on the identity map until common_startup_64 jumps high', async () => {
  const { page, done } = await openSessionPage(browser, d.url, '#addrspace', id, { width: 1280, height: 800 });
  const low = await checkRip(page, 'startup_64', 'user');
  assert.ok(BigInt(low.cpu0.rip) < 1n << 47n, 'startup_64 runs at a low address');
  assert.equal(low.cpu0.cr0.pg, true, 'paging is on at startup_64 (an identity map)');
  await shots(page, 'rip-startup_64');
  await checkRip(page, '__startup_64', 'user');
  const high = await checkRip(page, 'common_startup_64', 'kernel_text');
  assert.ok(BigInt(high.cpu0.rip) >= 0xffffffff80000000n, 'common_startup_64 runs at __START_KERNEL_map');
  assert.ok(high.mark.y > low.mark.y, 'the mark moved down the ruler, to the high half');
  await shots(page, 'rip-common_startup_64');
  // Before paging, RIP is a physical address, named so; a secondary CPU
  // not yet started (INIT, waiting for its SIPI) is not marked.
  const early = await checkRip(page, 'startup_32', 'user');
  assert.equal(early.cpu0.cr0.pg, false);
  assert.ok(early.g.labels.some((t) => /paging off/.test(t)), `${early.g.labels}`);
  assert.ok(!early.g.rips.some((m) => /CPU 1/.test(m.label)), 'CPU 1 has not started');
  await done();
});
