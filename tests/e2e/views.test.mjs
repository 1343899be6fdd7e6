// views.test.mjs - the dashboard's scenarios, workload and event-type controls,
// and its slab, vmalloc, page-table and TLB views, in Debian's chromium
// against a real daemon: what they show must be what the REST API says, at
// the present and at a past seq of the timeline.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium, openSessionPage } from './lib/browser.mjs';
import { checkBarEnds, pointsDrawn } from './lib/pixels.mjs';
import { startDaemon, getJson, postJson, apiOf } from './lib/daemon.mjs';

let d, browser, session;

const { api, get } = apiOf(() => d.url);
const apply = async (id, list) => {
  const r = await postJson(api(`/sessions/${id}/ops`), list);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
};

before(async () => {
  d = await startDaemon();
  browser = await launchChromium();
  session = (await get('/sessions')).sessions.find((s) => s.name === 'default').id;
});

after(async () => {
  await browser?.close();
  await d?.stop();
});

// The dashboard on a session, recording requests and console errors.
const openDashboard = (hash = '', id = session) => openSessionPage(browser, d.url, hash, id);

// Drag the timeline slider to @seq.
async function seek(page, seq) {
  await page.locator('#tb-slider').evaluate((el, v) => {
    el.value = String(v);
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }, seq);
  await page.waitForSelector(`#timebar[data-seq="${seq}"]`);
}

// Apply one op through the ops panel's form; resolves the log entry's text.
async function applyForm(page, op, fields) {
  const before = await page.locator('#ops-log li').count();
  await page.selectOption('#ops-form select[name="op"]', op);
  for (const [name, value] of Object.entries(fields)) {
    const tag = await page.$eval(`#ops-form [name="${name}"]`, (e) => e.tagName);
    if (tag === 'SELECT')
      await page.selectOption(`#ops-form select[name="${name}"]`, String(value));
    else
      await page.fill(`#ops-form input[name="${name}"]`, String(value));
  }
  await page.click('#ops-form button[type="submit"]');
  await page.waitForFunction((n) => document.querySelectorAll('#ops-log li').length > n, before);
  return page.locator('#ops-log li').first().textContent();
}

// Every number of a figure by its path ("zones.0.unusable_index.3").
function numbersOf(v, path = '', out = {}) {
  if (typeof v === 'number')
    out[path] = v;
  else if (v !== null && typeof v === 'object')
    for (const [k, x] of Object.entries(v))
      numbersOf(x, path === '' ? k : `${path}.${k}`, out);
  return out;
}

test('the scenarios view lists every scenario of the API', async () => {
  const { page, done } = await openDashboard('#scenarios');
  await page.waitForSelector('#scenario-list[data-ready="true"]', { timeout: 10000 });
  const want = (await get('/scenarios')).scenarios;
  assert.ok(want.length >= 2, 'zones and fragmentation');
  const shown = await page.$$eval('#scenario-list article', (as) => as.map((a) => ({
    name: a.dataset.name, title: a.querySelector('h3').textContent,
    question: a.querySelector('.question').textContent,
    claim: a.querySelector('.claim').textContent.replace(/^Claim: /, ''),
  })));
  assert.deepEqual(shown, want.map((s) => ({ name: s.name, title: s.title, question: s.question, claim: s.claim })));
  await done();
});

test('running "fragmentation" switches to its new session and shows its claim and measured figure', async () => {
  const { page, done } = await openDashboard('#scenarios');
  await page.waitForSelector('#scenario-list[data-ready="true"]', { timeout: 10000 });
  await page.click('#scenario-list article[data-name="fragmentation"] button[data-action="new"]');
  await page.waitForSelector('#scenario-panel[data-scenario="fragmentation"]', { timeout: 60000 });
  const id = Number(await page.getAttribute('#scenario-panel', 'data-session'));
  assert.notEqual(id, session);
  await page.waitForFunction((id) => document.getElementById('session').value === String(id), id);
  const info = await get(`/sessions/${id}`);
  assert.equal(info.machine.mem_mib, 128, 'the scenario\'s machine');
  const run = info.scenario_runs.at(-1);
  assert.equal(run.name, 'fragmentation');
  const sc = (await get('/scenarios')).scenarios.find((s) => s.name === 'fragmentation');
  assert.equal(await page.textContent('#scenario-panel .claim'), sc.claim);
  assert.equal(await page.textContent('#scenario-panel .question'), sc.question);

  const shown = await page.$$eval('#scenario-figure [data-value]', (xs) =>
    Object.fromEntries(xs.map((x) => [x.dataset.path, Number(x.dataset.value)])));
  const want = numbersOf(run.figure);
  assert.ok(Object.keys(want).length > 10);
  assert.deepEqual(shown, want);
  // Each value of a list under the header of its own column: its order (or position),
  // the last part of its path, read where the table puts the two.
  const columns = await page.$$eval('#scenario-figure table.figure.list', (ts) => ts.flatMap((t) =>
    [...t.rows[1].cells].slice(1).map((td) => {
      const th = [...t.rows[0].cells].find((h) => Math.abs(h.getBoundingClientRect().left - td.getBoundingClientRect().left) < 1);
      return { head: th?.textContent, path: td.querySelector('[data-path]').dataset.path };
    })));
  assert.ok(columns.length >= 11, `${columns.length} values in lists`);
  for (const c of columns)
    assert.equal(c.head, c.path.split('.').at(-1), `the column of ${c.path}`);
  assert.match(await page.textContent('#scenario-figure [data-path="free_percent"]'), / %$/);
  assert.match(await page.textContent('#scenario-figure [data-path="free_pages"]'), / pages$/);

  // The panel stays beside the other views, which show the new session.
  await page.click('nav a[data-view="overview"]');
  await page.waitForFunction((id) => document.getElementById('overview-summary').textContent.includes(`(#${id})`), id);
  assert.equal(await page.isVisible('#scenario-panel'), true);
  // "start of the run" moves the timeline to the run's first seq.
  await page.click(`#scenario-panel button[data-seq="${run.first_seq}"]`);
  await page.waitForSelector(`#timebar[data-seq="${run.first_seq}"]`);
  await done();
});

test('a scenario runs on the chosen live session too', async () => {
  const created = await postJson(api('/sessions'), { name: 'zones-here', machine: { mem_mib: 8192, pcp: false } });
  const id = created.body.id;
  const { page, done } = await openDashboard('#scenarios', id);
  await page.waitForSelector('#scenario-list[data-ready="true"]', { timeout: 10000 });
  await page.click('#scenario-list article[data-name="zones"] button[data-action="here"]');
  await page.waitForSelector(`#scenario-panel[data-scenario="zones"][data-session="${id}"]`, { timeout: 30000 });
  const run = (await get(`/sessions/${id}`)).scenario_runs.at(-1);
  const shown = await page.$$eval('#scenario-figure [data-path]', (xs) =>
    Object.fromEntries(xs.map((x) => [x.dataset.path, x.textContent])));
  assert.equal(shown['by_gfp.GFP_DMA.zones.DMA'], String(run.figure.by_gfp.GFP_DMA.zones.DMA));
  assert.equal(shown.gfp_dma_only_from_zone_dma, run.figure.gfp_dma_only_from_zone_dma ? 'yes' : 'no');
  await page.waitForSelector(`#timebar[data-last-seq="${run.last_seq}"]`);
  await done();
});

test('the workload form applies a workload and the views follow', async () => {
  const created = await postJson(api('/sessions'), { name: 'wl', machine: { mem_mib: 256 } });
  const id = created.body.id;
  const { page, done } = await openDashboard('#overview', id);
  await page.waitForSelector('#overview-zones[data-ready="true"]', { timeout: 10000 });
  const text = await applyForm(page, 'workload', { kind: 'random', count: 500, seed: 7, order: '' });
  const after = await get(`/sessions/${id}/timeline`);
  const op = after.ops.at(-1);
  assert.deepEqual(op.args, { op: 'workload', kind: 'random', count: 500, seed: 7, gfp: 'GFP_KERNEL' });
  assert.match(text, /^workload\(kind=random, count=500, seed=7, gfp=GFP_KERNEL\) \u2192 ok: ops 500, succeeded \d+/);
  const zones = await get(`/sessions/${id}/zones`);
  assert.equal(zones.seq, after.last_seq);
  await page.waitForFunction((seq) => document.getElementById('overview-zones').dataset.seq === String(seq),
                             after.last_seq, { timeout: 5000 });
  const totals = await page.$$eval('#overview-totals tr[data-owner]', (rows) =>
    Object.fromEntries(rows.map((r) => [r.dataset.owner, Number(r.cells[1].textContent)])));
  assert.equal(totals.free, zones.owners.free);
  // A refused workload shows the API's message.
  assert.match(await applyForm(page, 'workload', { kind: 'random', count: 'many' }), /\u2192 EINVAL: .*count/);
  await done();
});

test('the event log\'s type filter lists the API\'s event types by family', async () => {
  const { page, done } = await openDashboard('#timeline');
  await page.waitForSelector('#eventlog-filter select[data-ready="true"]', { timeout: 10000 });
  const types = (await get('/event-types')).event_types;
  const shown = await page.$$eval('#eventlog-filter select[name="type"] optgroup', (gs) =>
    gs.flatMap((g) => [...g.querySelectorAll('option')].map((o) => ({ name: o.value, family: g.label }))));
  // One group per family, in the order the families first appear; each
  // family's types in the API's order.
  const families = [...new Set(types.map((t) => t.family))];
  const want = families.flatMap((f) => types.filter((t) => t.family === f).map((t) => ({ name: t.name, family: f })));
  assert.deepEqual(shown, want);
  assert.equal(shown.length, types.length);
  await seek(page, 1);
  await page.selectOption('#eventlog-filter select[name="type"]', 'zone_online');
  await page.waitForFunction(() => document.querySelector('#eventlog tr[data-type]')?.dataset.type === 'zone_online');
  const rows = await page.$$eval('#eventlog tr[data-type]', (rs) => rs.map((r) => r.dataset.type));
  assert.ok(rows.length > 0 && rows.every((t) => t === 'zone_online'));
  await done();
});

const SLAB_COLUMNS = ['name', 'objsize', 'objperslab', 'pagesperslab', 'active_objs', 'num_objs',
                      'active_slabs', 'num_slabs', 'partial'];

// The slab table's rows as the API's objects (numbers as numbers).
function slabRows(page) {
  return page.$$eval('#slabs-table tr[data-name]', (rows) => rows.map((r) => Object.fromEntries(
    [...r.cells].map((c) => [c.dataset.col, c.dataset.col === 'name' ? c.textContent : Number(c.textContent)]))));
}

const slabsOf = (view) => view.caches.map((c) => Object.fromEntries(SLAB_COLUMNS.map((k) => [k, c[k]])));
const byName = (a, b) => a.name.localeCompare(b.name);

test('the slab view is the API\'s caches, sortable, follows the timeline; a kmalloc shows on the map', async () => {
  const created = await postJson(api('/sessions'), { name: 'slab', machine: { mem_mib: 512 } });
  const id = created.body.id;
  await apply(id, [{ op: 'kmem_cache_create', name: 'lab_obj', size: 200 }, { op: 'kmem_cache_alloc', cache: 'lab_obj' }]);
  const { page, done } = await openDashboard('#slabs', id);
  await page.waitForSelector('#slabs-table[data-ready="true"]', { timeout: 10000 });
  const before = await get(`/sessions/${id}/slabs`);
  await page.waitForSelector(`#slabs-table[data-seq="${before.seq}"]`);
  assert.deepEqual((await slabRows(page)).sort(byName), slabsOf(before).sort(byName));
  assert.equal(await page.textContent('#slabs-slabinfo'), (await getJson(api(`/sessions/${id}/proc/slabinfo`))).body);
  // Sorted by objects, most first; a click on "name" sorts by name.
  const objs = (await slabRows(page)).map((r) => r.num_objs);
  assert.deepEqual(objs, [...objs].sort((a, b) => b - a));
  await page.click('#slabs-table th[data-col="name"]');
  const names = (await slabRows(page)).map((r) => r.name);
  assert.deepEqual(names, [...names].sort((a, b) => a.localeCompare(b)));
  // The charts as drawn: the twelve caches with the most objects (slabs), each with a bar of
  // its active and of all its objects (slabs) ending at the API's numbers.
  const checkCharts = async (view) => {
    const top = (key) => Object.fromEntries(view.caches.filter((c) => c[key] > 0)
      .sort((a, b) => b[key] - a[key]).slice(0, 12).map((c) => [c.name, [c[`active_${key.slice(4)}`], c[key]]]));
    assert.ok('lab_obj' in top('num_objs'));
    return await checkBarEnds(page, '#slabs-objects', 'x', top('num_objs')) +
      await checkBarEnds(page, '#slabs-slabs', 'x', top('num_slabs'));
  };
  assert.ok(await checkCharts(before) >= 2, 'lab_obj\'s bars');
  // kmalloc from the ops panel: its frame is outlined on the physical map.
  const text = await applyForm(page, 'kmalloc', { size: 3000, gfp: 'GFP_KERNEL' });
  const m = /^kmalloc\(size=3000, gfp=GFP_KERNEL\) \u2192 ok: addr (0x[0-9a-f]+), cache kmalloc-4k, pfn (\d+)/.exec(text);
  assert.ok(m, text);
  const after = await get(`/sessions/${id}/slabs`);
  await page.waitForSelector(`#slabs-table[data-seq="${after.seq}"]`);
  assert.deepEqual((await slabRows(page)).sort(byName), slabsOf(after).sort(byName));
  assert.ok(after.caches.find((c) => c.name === 'kmalloc-4k').active_objs >
            before.caches.find((c) => c.name === 'kmalloc-4k').active_objs);
  // Drawn again: kmalloc-4k's bars beside lab_obj's.
  assert.ok(await checkCharts(after) >= 4, 'lab_obj\'s and kmalloc-4k\'s bars');
  await page.click('nav a[data-view="physmap"]');
  await page.waitForSelector(`#physmap-canvas[data-highlight="${m[2]}+1"]`, { timeout: 5000 });

  // In the past, the table is the API's at that seq.
  await page.click('nav a[data-view="slabs"]');
  await seek(page, before.seq);
  await page.waitForSelector(`#slabs-table[data-seq="${before.seq}"]`);
  assert.deepEqual((await slabRows(page)).sort(byName), slabsOf(await get(`/sessions/${id}/slabs?at=${before.seq}`)).sort(byName));
  assert.equal(await page.textContent('#slabs-slabinfo'),
               (await getJson(api(`/sessions/${id}/proc/slabinfo?at=${before.seq}`))).body);
  await done();
});

// The overlay's [r, g, b, a] at a frame of the physical map.
function overlayPixel(page, pfn) {
  return page.evaluate((pfn) => {
    const c = document.getElementById('physmap-canvas'), o = document.getElementById('physmap-overlay');
    const i = pfn - Number(c.dataset.start), fpr = Number(c.dataset.framesPerRow), scale = Number(c.dataset.scale);
    return [...o.getContext('2d').getImageData((i % fpr) * scale, Math.floor(i / fpr) * scale, 1, 1).data];
  }, pfn);
}

test('the vmalloc view is the API\'s areas; an area\'s scattered frames show on the map beside a kmalloc block', async () => {
  const created = await postJson(api('/sessions'), { name: 'vm', machine: { mem_mib: 512 } });
  const id = created.body.id;
  const first = await apply(id, { op: 'vmalloc', size: 40000 });
  const r = await apply(id, [{ op: 'kmalloc', size: 16384, gfp: 'GFP_KERNEL' }, { op: 'vmalloc', size: 5000 }]);
  const { page, done } = await openDashboard('#vmalloc', id);
  const view = await get(`/sessions/${id}/vmalloc`);
  await page.waitForSelector(`#vmalloc-table[data-seq="${view.seq}"]`, { timeout: 10000 });
  const rows = await page.$$eval('#vmalloc-table tr[data-addr]', (trs) => trs.map((tr) =>
    Object.fromEntries([...tr.querySelectorAll('td[data-col]')].map((td) => [td.dataset.col, td.textContent]))));
  assert.deepEqual(rows, view.areas.map((a) => ({ addr: a.addr, end: a.end, size: String(a.size),
                                                  caller: a.caller, nr_pages: String(a.nr_pages) })));
  assert.equal(await page.textContent('#vmalloc-info'), (await getJson(api(`/sessions/${id}/proc/vmallocinfo`))).body);

  // The kmalloc block from the ops panel, then the first area chosen.
  const kmalloc = r.results[0];
  await applyForm(page, 'kmalloc', { size: 16384, gfp: 'GFP_KERNEL' });
  // the table redrawn after the kmalloc, so that the click lands on a row that stays
  const after = await get(`/sessions/${id}/vmalloc`);
  await page.waitForSelector(`#vmalloc-table[data-seq="${after.seq}"]`, { timeout: 10000 });
  const area = view.areas.find((a) => a.addr === first.results[0].addr);
  assert.equal(area.nr_pages, 10);
  await page.click(`#vmalloc-table tr[data-addr="${area.addr}"]`);
  assert.equal(await page.getAttribute('#vmalloc-area', 'data-pfns'), area.pfns.join(','));
  await page.click('#vmalloc-area button');
  await page.waitForSelector(`#physmap-canvas[data-frames="${area.pfns.length}"]`, { timeout: 5000 });
  const block = await page.getAttribute('#physmap-canvas', 'data-highlight');
  const [pfn, count] = block.split('+').map(Number);
  assert.equal(count, 4, 'kmalloc_large of 16 KiB: four contiguous frames');
  assert.notEqual(pfn, kmalloc.pfn, 'the form\'s kmalloc, not the earlier one');
  const cyan = await Promise.all(area.pfns.map((p) => overlayPixel(page, p)));
  for (const px of cyan)
    assert.ok(px[2] > px[0] && px[3] > 0, `an area frame in cyan: ${px}`);
  const magenta = await overlayPixel(page, pfn);
  assert.ok(magenta[0] > magenta[1] && magenta[3] > 0, `the block in magenta: ${magenta}`);

  // In the past, before the vmalloc ops, the area is gone and the map shows none of it.
  await page.click('nav a[data-view="vmalloc"]');
  const timeline = await get(`/sessions/${id}/timeline`);
  const before = timeline.ops[0].first_seq - 1;
  await seek(page, before);
  await page.waitForSelector(`#vmalloc-table[data-seq="${before}"]`);
  const past = await get(`/sessions/${id}/vmalloc?at=${before}`);
  assert.equal(await page.locator('#vmalloc-table tr[data-addr]').count(), past.areas.length);
  assert.equal(await page.isVisible('#vmalloc-area'), false);
  assert.ok(!past.areas.some((a) => a.addr === area.addr), 'the area did not exist then');
  // The map marks none of its frames any more: no overlay pixel on them.
  await page.waitForSelector('#physmap-canvas[data-frames="0"]', { state: 'attached', timeout: 5000 });
  for (const p of area.pfns)
    assert.equal((await overlayPixel(page, p))[3], 0, `frame ${p} unmarked in the past`);
  await done();
});

test('the page-table tree and the walk of a typed address are the API\'s, and follow the timeline', async () => {
  const created = await postJson(api('/sessions'), { name: 'pt', machine: { mem_mib: 512 } });
  const id = created.body.id;
  const { page, done } = await openDashboard('#pagetables', id);
  const root = await get(`/sessions/${id}/pagetable/tree?pid=kernel`);
  await page.waitForSelector(`#pt-tree[data-seq="${root.seq}"]`, { timeout: 10000 });
  const entries = (sel) => page.$$eval(sel, (lis) => lis.map((li) => ({
    index: Number(li.dataset.index), entry: li.dataset.entry, target_pfn: Number(li.dataset.target),
    huge: li.dataset.huge === 'true' })));
  const pick = (list) => list.map((e) => ({ index: e.index, entry: e.entry, target_pfn: e.target_pfn, huge: e.huge }));
  assert.deepEqual(await entries('#pt-tree > ul > li[data-index]'), pick(root.entries));
  // Open the direct map: its PUD holds 1 GiB leaves, and its first PMD 2 MiB ones.
  const dm = root.entries.find((e) => e.vaddr === '0xffff888000000000');
  await page.click(`#pt-tree li[data-path="${dm.index}"] > button.toggle`);
  const pud = await get(`/sessions/${id}/pagetable/tree?pid=kernel&table=${dm.target_pfn}`);
  await page.waitForSelector(`#pt-tree ul[data-table="${dm.target_pfn}"]`);
  assert.deepEqual(await entries(`#pt-tree ul[data-table="${dm.target_pfn}"] > li[data-index]`), pick(pud.entries));
  const pmdEntry = pud.entries.find((e) => !e.leaf);
  await page.click(`#pt-tree li[data-path="${dm.index}/${pmdEntry.index}"] > button.toggle`);
  const pmd = await get(`/sessions/${id}/pagetable/tree?pid=kernel&table=${pmdEntry.target_pfn}`);
  await page.waitForSelector(`#pt-tree ul[data-table="${pmdEntry.target_pfn}"]`);
  const shownPmd = await entries(`#pt-tree ul[data-table="${pmdEntry.target_pfn}"] > li[data-index]`);
  assert.deepEqual(shownPmd, pick(pmd.entries));
  assert.ok(shownPmd.some((e) => e.huge), 'the direct map has 2 MiB leaves');
  assert.ok(await page.locator(`#pt-tree ul[data-table="${pmdEntry.target_pfn}"] .badge`).count() > 0);

  // A walk, level by level, with the entry bits decoded.
  const vaddr = '0xffff888000100000';
  await page.fill('#pt-walk input[name="vaddr"]', vaddr);
  await page.click('#pt-walk button[type="submit"]');
  const walk = await get(`/sessions/${id}/pagetable?pid=kernel&vaddr=${vaddr}`);
  await page.waitForSelector(`#pt-walk-table[data-vaddr="${vaddr}"]`, { state: 'attached' });	// in its <details>
  const levels = await page.$$eval('#pt-walk-table tr[data-level]', (trs) => trs.map((tr) => ({
    name: tr.cells[0].textContent, level: Number(tr.cells[1].textContent), table_pfn: Number(tr.cells[2].textContent),
    index: Number(tr.cells[3].textContent), entry: tr.cells[4].textContent, bits: tr.cells[5].textContent })));
  assert.deepEqual(levels.map(({ bits, ...l }) => l), walk.levels);
  assert.match(levels.at(-1).bits, /^P RW A D GLB NX \u2192 0x100000$/);
  assert.match(await page.textContent('#pt-walk-result'), new RegExp(`\u2192 ${walk.paddr} \\(4 KiB page\\), at most ${walk.walk_refs} memory reference`));

  // A vmalloc area maps new tables: in the past, before it, the tree is the API's then.
  const before = (await get(`/sessions/${id}`)).last_seq;
  await apply(id, { op: 'vmalloc', size: 8192 });
  const now = await get(`/sessions/${id}/pagetable/tree?pid=kernel`);
  await page.waitForSelector(`#pt-tree[data-seq="${now.seq}"]`);
  await seek(page, before);
  await page.waitForSelector(`#pt-tree[data-seq="${before}"]`);
  const then = await get(`/sessions/${id}/pagetable/tree?pid=kernel&at=${before}`);
  assert.deepEqual(await entries('#pt-tree > ul > li[data-index]'), pick(then.entries));
  await page.waitForSelector(`#pt-walk-table[data-seq="${before}"]`, { state: 'attached' });
  await done();
});

test('the TLB view shows the API\'s counters and entries, the CPUs, and the boot path as steps', async () => {
  const created = await postJson(api('/sessions'), { name: 'tlb', machine: { mem_mib: 512, start: 'poweron' } });
  const id = created.body.id;
  await apply(id, { op: 'boot' });
  await apply(id, [{ op: 'access_range', start: '0xffff888000000000', length: 1 << 22, cpu: 0 },
                   { op: 'access_range', start: '0xffff888000000000', length: 1 << 22, cpu: 0 }]);
  const { page, done } = await openDashboard('#tlb', id);
  const tlb = await get(`/sessions/${id}/tlb?cpu=0`);
  await page.waitForSelector(`#tlb-regions[data-seq="${tlb.seq}"]`, { timeout: 10000 });
  const counters = await page.$$eval('#tlb-regions tr[data-region]', (trs) => Object.fromEntries(trs.map((tr) =>
    [tr.dataset.region, Object.fromEntries([...tr.querySelectorAll('td[data-counter]')].map((td) =>
      [td.dataset.counter, Number(td.textContent)]))])));
  const want = Object.fromEntries(Object.entries(tlb.regions).map(([r, c]) =>
    [r, Object.fromEntries(['accesses', 'hits', 'l1_hits', 'stlb_hits', 'misses', 'walk_refs', 'faults'].map((k) => [k, c[k]]))]));
  assert.deepEqual(counters, want);
  assert.ok(tlb.regions.direct_map.hits > 0);
  const valid = await page.$$eval('#tlb-entries .tlb-array', (ds) => Object.fromEntries(ds.map((d) =>
    [d.dataset.array, d.querySelectorAll('tr').length ? d.querySelectorAll('tr').length - 1 : 0])));
  for (const a of tlb.arrays)
    assert.equal(valid[a.name], tlb.entries[a.name].length, a.name);
  // The chart: each region's hit rate in each stretch of events of .../tlb/history.
  const history = await get(`/sessions/${id}/tlb/history?cpu=0`);
  // Drawn: each region's point of each stretch, at its end seq and its hit rate, in its colour.
  const points = {};
  for (const b of history.buckets)
    for (const [region, r] of Object.entries(b.regions))
      (points[region] ??= []).push({ x: b.to_seq, y: 100 * r.hits / r.accesses });
  assert.ok(points.direct_map.length >= 2, 'the scans span several stretches');
  assert.ok(points.direct_map.some((p) => p.y > 50), 'the second scan hits');
  for (const p of await pointsDrawn(page, '#tlb-chart', points))
    assert.ok(p.found && p.hit, `${p.label}: no point drawn at seq ${p.x}, ${p.y} %`);
  const cpus = await get(`/sessions/${id}/cpus`);
  const rows = await page.$$eval('#tlb-cpus tr[data-cpu]', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
  assert.deepEqual(rows.map((r) => [Number(r[0]), r[1], r[3], r[6]]),
                   cpus.cpus.map((c) => [c.cpu, c.mode, c.cr0.value, c.cr3]));

  // The boot strip: one step per boot_stage event; a click moves the timeline there.
  const stages = (await get(`/sessions/${id}/events?type=boot_stage&limit=100`)).events;
  await page.waitForSelector('#tlb-boot button.frame.stage');
  assert.deepEqual(await page.$$eval('#tlb-boot button.stage', (bs) => bs.map((b) => [Number(b.dataset.seq),
                                                                                    b.querySelector('.name').textContent])),
                   stages.map((e) => [e.seq, e.detail]));
  const early = stages.find((e) => e.detail === 'startup_32');
  await page.click(`#tlb-boot button.stage[data-stage="startup_32"]`);
  await page.waitForSelector(`#timebar[data-seq="${early.seq}"]`);
  await page.waitForSelector(`#tlb-regions[data-seq="${early.seq}"]`);
  await page.waitForSelector(`#tlb-boot[data-seq="${early.seq}"]`);
  assert.equal(await page.getAttribute('#tlb-boot button.current', 'data-stage'), 'startup_32');
  const past = await get(`/sessions/${id}/cpus?at=${early.seq}`);
  assert.equal(await page.getAttribute('#tlb-cpus', 'data-boot-stage'), past.boot_stage);
  const mode = await page.$eval('#tlb-cpus tr[data-cpu="0"]', (tr) => tr.cells[1].textContent);
  assert.equal(mode, past.cpus[0].mode);
  assert.notEqual(mode, 'long');
  await done();
});
