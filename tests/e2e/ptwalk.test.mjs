// ptwalk.test.mjs - the page-table view's walk as drawn in Debian's chromium
// against a real mmlabd: the index fields and the lit slot of every table
// are the address's bits (computed here from the address), a direct-map
// address stops at the leaf the API names, a vmalloc one reaches its PTE, a
// hole shows the #PF and its error code, a non-canonical address the #GP,
// Step shows one more level, the tree folds runs and names regions, and a
// link #pagetables?addr= walks that address. Screenshots at 1280x800 and
// 800x600.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium, openSessionPage, saveScreenshot } from './lib/browser.mjs';
import { startDaemon, getJson, postJson } from './lib/daemon.mjs';

let d, browser, id, area;
const api = (path) => `${d.url}/api/v1${path}`;
const get = async (path) => {
  const r = await getJson(api(path));
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
};

before(async () => {
  d = await startDaemon();
  browser = await launchChromium();
  const created = await postJson(api('/sessions'), { name: 'ptwalk', machine: { mem_mib: 4096 } });
  id = created.body.id;
  const r = await postJson(api(`/sessions/${id}/ops`), [{ op: 'vmalloc', size: 3 * 4096 }]);
  area = BigInt(r.body.results[0].addr);
});

after(async () => {
  await browser?.close();
  await d?.stop();
});

// The index of each level for @vaddr, top level first, from its bits.
const indices = (vaddr, levels) => Array.from({ length: levels }, (_, k) =>
  Number((BigInt(vaddr) >> BigInt(12 + 9 * (levels - 1 - k))) & 511n));

// What the drawing shows once every stage is out: the fields, and per table
// card its level and the index of its lit slot read back from the SVG geometry.
function drawnInPage() {
  window.__ptDrawn = () => {
    const draw = document.getElementById('pt-walk-draw');
    const fields = [...draw.querySelectorAll('.pt-field[data-level]')].filter((f) => f.dataset.level !== '0')
      .map((f) => Number(f.dataset.value));
    const tables = [...draw.querySelectorAll('.pt-card.table')].map((c) => {
      const lit = c.querySelector('rect.lit');
      const svg = c.querySelector('svg').getBoundingClientRect(), r = lit.getBoundingClientRect();
      const cell = svg.width / 32;
      return { level: Number(c.dataset.level), shown: !c.classList.contains('pending'),
               slot: Math.round((r.y - svg.y) / cell) * 32 + Math.round((r.x - svg.x) / cell) };
    });
    const end = draw.querySelector('.pt-card.page, .pt-card.fault');
    return { fields, tables, stage: Number(draw.dataset.stage), stages: Number(draw.dataset.stages),
             end: end && { cls: end.className, vector: end.dataset.vector, code: end.dataset.code,
                           size: end.dataset.size, text: end.textContent, shown: !end.classList.contains('pending') },
             tlb: draw.querySelector('.pt-tlb')?.dataset.result,
             probes: [...draw.querySelectorAll('.pt-tlb [data-array]')].map((li) => ({
               array: li.dataset.array, outcome: li.className, text: li.textContent })),
             refs: draw.querySelector('.pt-refs-total')?.textContent,
             result: document.getElementById('pt-walk-result').textContent };
  };
}

// The TLB arrays the API's walk @w probed, as the view must list them: the
// array, hit, refused or miss, and its tag size and set.
function apiProbes(w) {
  const size = { 4096: '4 KiB', 2097152: '2 MiB', 1073741824: '1 GiB' };
  return w.tlb.probes.map((p) => {
    const outcome = p.hit ? 'hit' : p.refused ? 'refused' : 'miss';
    return { array: p.array, outcome, text: `${p.array} (${size[p.page_size]} tags), set ${p.set}: ` +
             (p.hit ? 'hit' : p.refused ? 'there, but it cannot serve this access' : 'miss') };
  });
}

// The walk's count of memory references, said to be an upper bound.
function checkRefs(w, api) {
  assert.match(w.refs, new RegExp(`^at most ${api.walk_refs} memory reference\\(s\\): paging-structure caches may skip the upper levels`));
  assert.match(w.result, new RegExp(`at most ${api.walk_refs} memory reference\\(s\\)$`));
}

async function drawn(page) {
  await page.evaluate(drawnInPage);
  return page.evaluate(() => window.__ptDrawn());
}

// Walk @vaddr from the form and wait for the drawing to reach its last stage.
async function walk(page, vaddr, access = 'read') {
  // The drawing already there may be of the same address (the form starts
  // with one): the walk asked for is a drawing made after the click.
  await page.evaluate(() => { document.getElementById('pt-walk-draw').firstChild?.classList.add('before-walk'); });
  await page.fill('#pt-walk input[name="vaddr"]', vaddr);
  await page.selectOption('#pt-walk select[name="access"]', access);
  await page.click('#pt-walk button[type="submit"]');
  // The last stage, and every part of it out: a live refresh may redraw the
  // walk in between (a slow sanitizer build saw one mid-check).
  // Read in the same evaluation that saw it complete: a live refresh may
  // redraw it between two evaluations.
  await page.evaluate(drawnInPage);
  const done = await page.waitForFunction((v) => {
    const el = document.getElementById('pt-walk-draw');
    const complete = !el.querySelector('.before-walk') &&
      el.dataset.vaddr === v && el.dataset.stage === String(Number(el.dataset.stages) - 1) &&
      ![...el.querySelectorAll('[data-stage]')].some((e) => e.classList.contains('pending'));
    return complete && window.__ptDrawn();
  }, `0x${BigInt(vaddr).toString(16)}`, { timeout: 20000 });
  return done.jsonValue();
}

test('a walk lights the index fields of the address; leaves, faults and the TLB are the API\'s', async () => {
  const { page, done } = await openSessionPage(browser, d.url, '#pagetables', id);
  await page.waitForSelector('#pt-tree[data-ready="true"]');

  // The direct map: a 1 GiB leaf stops at the PUD, a 2 MiB one at the PMD (as the API says).
  for (const va of ['0xffff888100000000', '0xffff888000400000', '0xffff888000100000']) {
    const api = await get(`/sessions/${id}/pagetable?vaddr=${va}`);
    const w = await walk(page, va);
    assert.deepEqual(w.fields, indices(va, 4));
    assert.deepEqual(w.tables.map((t) => t.slot), indices(va, 4).slice(0, api.levels.length));
    assert.deepEqual(w.tables.map((t) => t.level), api.levels.map((l) => l.level));
    assert.equal(Number(w.end.size), api.page_size);
    assert.match(w.end.text, new RegExp(`${api.walk_refs} memory reference`));
    checkRefs(w, api);
    assert.ok(w.tables.every((t) => t.shown) && w.end.shown);
    assert.equal(w.tlb, api.tlb.result);
    assert.deepEqual(w.probes, apiProbes(api), `the TLB arrays probed for ${va}`);
  }
  assert.match(await page.textContent('#view-pagetables > p.summary'),
               /memory\s+references counted, one per level read, are an upper bound: a CPU's paging-structure\s+caches/);
  assert.equal((await get(`/sessions/${id}/pagetable?vaddr=0xffff888100000000`)).levels.length, 2);

  // vmalloc: down to the PTE, 4 references, the slot of each level lit.
  const va = `0x${(area + 0x1000n).toString(16)}`;
  const vm = await get(`/sessions/${id}/pagetable?vaddr=${va}`);
  let w = await walk(page, va);
  assert.deepEqual(w.tables.map((t) => t.slot), indices(va, 4));
  assert.equal(w.tables.at(-1).level, 1);
  assert.equal(vm.walk_refs, 4);
  assert.equal(w.tlb, vm.tlb.result);
  assert.deepEqual(w.probes, apiProbes(vm));
  checkRefs(w, vm);
  // Once a translation has filled the TLB, the walk of the same address finds it: the probes stop at the hit.
  const tr = await postJson(api(`/sessions/${id}/ops`), [{ op: 'translate', vaddr: va, cpu: 0 }]);
  assert.equal(tr.body.results[0].ok, true);
  await page.waitForSelector(`#timebar[data-last-seq="${tr.body.last_seq}"]`);
  const hit = await get(`/sessions/${id}/pagetable?vaddr=${va}`);
  assert.equal(hit.tlb.result, 'l1_hit');
  w = await walk(page, va);
  assert.equal(w.tlb, 'l1_hit');
  assert.deepEqual(w.probes, apiProbes(hit));
  assert.ok(w.probes.some((p) => p.outcome === 'hit'));

  // A hole of a process: #PF with the API's error code, drawn at the level where the walk stopped.
  const { pid } = (await postJson(api(`/sessions/${id}/ops`), [{ op: 'spawn' }])).body.results[0];
  await page.waitForSelector(`#pt-pid option[value="${pid}"]`, { state: 'attached' });
  await page.selectOption('#pt-pid', String(pid));
  const hole = '0x7f0000001000';
  const pf = await get(`/sessions/${id}/pagetable?pid=${pid}&vaddr=${hole}&access=write`);
  w = await walk(page, hole, 'write');
  assert.equal(w.end.vector, '#PF');
  assert.equal(Number(w.end.code), pf.fault.error_code);
  assert.equal(pf.fault.error_code, 6);	// not present, write, user
  assert.deepEqual(w.tables.map((t) => t.level), pf.levels.map((l) => l.level));
  assert.deepEqual(w.probes, apiProbes(pf));
  assert.match(w.refs, new RegExp(`^at most ${pf.walk_refs} memory reference\\(s\\): paging-structure caches`));
  const setBits = await page.$$eval('#pt-walk-draw table.pt-pfbits td', (tds) => tds.map((td) => td.classList.contains('set')));
  assert.deepEqual(setBits, [0, 1, 2, 3, 4, 5, 6].map((b) => ((pf.fault.error_code >> b) & 1) === 1));
  await page.selectOption('#pt-pid', 'kernel');

  // Non-canonical: #GP, no table read.
  w = await walk(page, '0x0000800000000000');
  assert.equal(w.end.vector, '#GP');
  assert.equal(w.tables.length, 0);
  assert.match(await page.textContent('#pt-walk-draw .pt-field.sign.bad'), /0x0: not bit 47/);
  assert.equal((await get(`/sessions/${id}/pagetable?vaddr=0x0000800000000000`)).fault.vector, '#GP');
  await done();
});

test('Step shows one level more; the tree folds runs, names regions and lights the walked path', async () => {
  const { page, done } = await openSessionPage(browser, d.url, '#pagetables', id);
  await page.waitForSelector('#pt-tree[data-ready="true"]');
  const va = `0x${area.toString(16)}`;
  await walk(page, va);
  await page.click('#pt-step');	// after the last stage: back to the address alone
  let w = await drawn(page);
  assert.equal(w.stage, 0);
  assert.ok(w.tables.every((t) => !t.shown) && !w.end.shown);
  for (let k = 1; k < w.stages; k++) {
    await page.click('#pt-step');
    w = await drawn(page);
    assert.equal(w.stage, k);
    // Stage 1 is the TLB, 2 CR3, then one table a step.
    assert.equal(w.tables.filter((t) => t.shown).length, Math.max(0, Math.min(4, k - 2)));
    if (k === 4)	// mid-walk: the PGD and PUD read, the rest still to come
      await saveScreenshot(page, '#pagetables-step-4');
  }
  assert.ok(w.end.shown);

  // The tree: the walked path lit, level by level, and opened down to it.
  const path = indices(va, 4);
  await page.waitForFunction((n) => document.querySelectorAll('#pt-tree li.walked').length === n, 4);
  const lit = await page.$$eval('#pt-tree li.walked', (lis) => lis.map((li) => Number(li.dataset.index)));
  assert.deepEqual(lit, path);
  // The root's empty stretches and its run of preallocated vmalloc PGD entries are folded rows.
  const root = await get(`/sessions/${id}/pagetable/tree?pid=kernel`);
  const vmallocRun = root.entries.filter((e) => e.region === 'vmalloc' && e.child_present === 0);
  assert.ok(vmallocRun.length >= 3);
  const folds = await page.$$eval('#pt-tree > ul > li.fold', (lis) => lis.map((li) => ({
    cls: li.className, from: Number(li.dataset.from), to: Number(li.dataset.to), text: li.textContent })));
  const same = folds.find((f) => f.cls.includes('same'));
  assert.equal(same.to - same.from + 1, vmallocRun.length);
  assert.match(same.text, new RegExp(`${vmallocRun.length} vmalloc PGD entries`));
  assert.ok(folds.some((f) => f.cls.includes('empty') && f.from === 0 && f.to === root.entries[0].index - 1));
  assert.equal(await page.locator('#pt-tree > ul > li[data-index]:visible').count(), root.entries.length - vmallocRun.length);
  // Each upper entry names its region as the API does.
  const regions = await page.$$eval('#pt-tree > ul > li[data-index]', (lis) => lis.map((li) => [
    Number(li.dataset.index), li.querySelector('.region')?.textContent]));
  assert.deepEqual(regions, root.entries.map((e) => [e.index, e.region]));
  assert.ok(regions.some(([, r]) => r === 'direct map'));
  // Unfold the run.
  await page.click('#pt-tree > ul > li.fold.same > button.unfold');
  await page.waitForFunction((n) => document.querySelectorAll('#pt-tree > ul > li[data-index]:not([hidden])').length === n,
                             root.entries.length);
  // The legend names the bits as the walk and the tree do.
  assert.match(await page.textContent('#pt-legend'), /PSE.*GLB.*NX/);
  const legend = await page.$$eval('#pt-legend code', (cs) => cs.map((c) => c.textContent));
  const shown = await page.$$eval('#pt-tree .bits, #pt-walk-draw .pt-bits', (es) => es.flatMap((e) => e.textContent.split(' ')));
  assert.deepEqual(shown.filter((b) => b && !legend.includes(b) && b !== 'PAT'), []);
  // The TLB's entries carry the same names (RW, or ro when clear).
  const tlb = await get(`/sessions/${id}/tlb?cpu=0`);
  const flags = Object.values(tlb.entries).flat().flatMap((e) => e.flags.split(' '));
  assert.ok(flags.includes('GLB'));
  assert.deepEqual(flags.filter((b) => !legend.includes(b) && b !== 'ro'), []);
  await done();
});

test('a link #pagetables?addr= walks that address; screenshots at 1280x800 and 800x600', async () => {
  const va = `0x${(area + 0x2000n).toString(16)}`;
  const { page, done } = await openSessionPage(browser, d.url, `#pagetables?addr=${va}`, id);
  await page.waitForFunction((v) => document.getElementById('pt-walk-draw').dataset.vaddr === v, va,
                             { timeout: 10000 });
  assert.equal(await page.inputValue('#pt-walk input[name="vaddr"]'), va);
  assert.ok(await page.isVisible('#view-pagetables'));
  for (const [width, height] of [[1280, 800], [800, 600]]) {
    await page.setViewportSize({ width, height });
    await page.waitForFunction(() => {
      const el = document.getElementById('pt-walk-draw');
      return el.dataset.stage === String(Number(el.dataset.stages) - 1);
    }, null, { timeout: 20000 });
    const w = await drawn(page);
    assert.deepEqual(w.tables.map((t) => t.slot), indices(va, 4));
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth),
              `no horizontal scrolling at ${width} px`);
    await saveScreenshot(page, `#pagetables-walk-${width}x${height}`);
  }
  await done();
});

test('five-level paging: the address has a 56-48 field, and the walk a P4D', async () => {
  const created = await postJson(api('/sessions'), { name: 'ptwalk5', machine: { mem_mib: 1024, paging_levels: 5 } });
  const id5 = created.body.id;
  const { page, done } = await openSessionPage(browser, d.url, '#pagetables', id5);
  await page.waitForSelector('#pt-tree[data-ready="true"]');
  const va = '0xff11000000005000';
  const w = await walk(page, va);
  const api5 = await get(`/sessions/${id5}/pagetable?vaddr=${va}`);
  assert.deepEqual(w.fields, indices(va, 5));
  assert.deepEqual(w.tables.map((t) => t.slot), indices(va, 5).slice(0, api5.levels.length));
  assert.equal(api5.levels.length, 5);
  assert.deepEqual(await page.$$eval('#pt-walk-draw .pt-field b', (bs) => bs.map((b) => b.textContent)),
                   ['sign', 'pgd', 'p4d', 'pud', 'pmd', 'pte', 'offset']);
  assert.equal(await page.textContent('#pt-walk-draw .pt-field[data-level="5"] small'), '56-48');
  await done();
});
