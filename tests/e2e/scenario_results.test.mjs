// scenario_results.test.mjs - every scenario of the API run from the page: its
// figure drawn as tables with units (no JSON, no raw byte counts as labels),
// every number of the API's figure on the page, the panel as wide as the
// page at 1280x800 and 800x600, and the view where its claim shows opened on
// the run's session with its object selected.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium, painted, saveScreenshot } from './lib/browser.mjs';
import { startDaemon, apiOf } from './lib/daemon.mjs';

let d, browser;
const { api, get } = apiOf(() => d.url);

before(async () => {
  d = await startDaemon();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await d?.stop();
});

// The view each scenario opens, and what must be selected there.
const OPENS = {
  fragmentation: { view: 'buddy', check: checkFragmentation },
  'movable-fragmentation-compacted': { view: 'physmap', check: checkMovable },
  'unmovable-fragmentation': { view: 'physmap', check: checkUnmovable },
  'proactive-compaction-kcompactd': { view: 'physmap', check: checkKcompactd },
  zones: { view: 'overview', check: checkZone },
  'struct-page': { view: 'physmap', check: checkStructPage },
  internal_fragmentation: { view: 'slabs', check: checkCache },
  'linear-map': { view: 'pagetables', check: checkWalk },
  paging: { view: 'tlb', check: checkTripleFault },
  'tlb-scan': { view: 'tlb', check: checkRegion },
  'tlb-scan-no-gbpages': { view: 'tlb', check: checkRegion },
  'kmalloc-vs-vmalloc': { view: 'addrspace', check: checkArea },
  'page-cache': { view: 'overview', check: checkPageCache },
  'fork-cow': { view: 'overview', check: checkForkCow },
  'memory-runs-low': { view: 'pressure', check: checkPressure },
  'direct-reclaim': { view: 'pressure', check: checkPressure },
  'swap-and-major-faults': { view: 'pressure', check: checkPressure },
  'oom-killer': { view: 'pressure', check: checkPressure },
  'memcg-limit': { view: 'pressure', check: checkPressure },
};

// The session a run opened on.
const sessionOf = (page) => page.url().match(/session=(\d+)/)[1];

// zones: the DMA zone that GFP_DMA exhausted is selected, its figures the API's.
async function checkZone(page, f) {
  assert.match(await page.evaluate(() => location.hash), /sel=zone:0\/DMA/);
  const box = page.locator(`#overview-zones[data-session="${sessionOf(page)}"] div.zone.current[aria-selected="true"]`);
  await box.waitFor({ timeout: 10000 });
  assert.equal(await box.getAttribute('data-zone'), '0/DMA');
  assert.equal(await page.$$eval('#overview-zones div.zone.current', (xs) => xs.length), 1);
  const z = (await get(`/sessions/${sessionOf(page)}/zones`)).zones.find((x) => x.node === 0 && x.name === 'DMA');
  const facts = await box.locator('.facts').textContent();
  const w = z.watermarks;
  assert.match(facts, new RegExp(`free ${z.free}, .*watermarks min ${w.min}, low ${w.low}, high ${w.high}`));
  assert.ok(f.by_gfp.GFP_DMA.failed > 0 && f.by_gfp.GFP_DMA.fail_reason === 'watermark', 'GFP_DMA exhausted it');
  assert.deepEqual(Object.keys(f.by_gfp.GFP_DMA.zones), ['DMA']);
}

// struct-page: the struct page of the run's user page, opened on the physical map.
async function checkStructPage(page, f) {
  const want = f.pages.find((p) => p.owner === 'user');
  await page.waitForSelector(`#physmap-page table[data-pfn="${want.pfn}"]`, { timeout: 10000 });
  assert.match(await page.evaluate(() => location.hash), new RegExp(`pfn=0x${want.pfn.toString(16)}\\b`));
  const api = await get(`/sessions/${sessionOf(page)}/pages/${want.pfn}`);
  assert.equal(api.owner, want.owner);
  assert.equal(await page.textContent('#physmap-page tr[data-field="flags"] td'), want.flags);
  assert.equal(await page.textContent('#physmap-page tr[data-field="flags"] td'), api.flags);
}

// internal_fragmentation: the kmalloc-96 cache, between two powers of two, selected among the slabs.
async function checkCache(page) {
  assert.match(await page.evaluate(() => location.hash), /sel=cache:kmalloc-96/);
  const row = page.locator(`#slabs-table[data-session="${sessionOf(page)}"] tr.current[data-name="kmalloc-96"]`);
  await row.waitFor({ timeout: 10000 });
  assert.equal(await row.getAttribute('aria-selected'), 'true');
  assert.equal(await page.$$eval('#slabs-table tr.current', (xs) => xs.length), 1);
  const c = (await get(`/sessions/${sessionOf(page)}/slabs`)).caches.find((x) => x.name === 'kmalloc-96');
  assert.ok(c.active_objs > 0, 'the run used it');
  assert.equal(Number(await row.locator('td[data-col="active_objs"]').textContent()), c.active_objs);
  assert.ok(await row.isVisible());
}

// tlb-scan: the vmalloc region, that misses on every 4 KiB page, selected in the TLB view.
async function checkRegion(page, f) {
  assert.match(await page.evaluate(() => location.hash), /sel=region:vmalloc/);
  const row = page.locator(`#tlb-regions[data-session="${sessionOf(page)}"] tr.current[data-region="vmalloc"]`);
  await row.waitFor({ timeout: 10000 });
  assert.equal(await page.$$eval('#tlb-regions tr.current', (xs) => xs.length), 1);
  const cpu = await page.getAttribute('#tlb-regions', 'data-cpu');
  const r = (await get(`/sessions/${sessionOf(page)}/tlb?cpu=${cpu}`)).regions.vmalloc;
  assert.equal(Number(await row.locator('td[data-counter="misses"]').textContent()), r.misses);
  assert.ok(r.misses >= f.by_region.vmalloc.misses, `${r.misses} misses, the scan's ${f.by_region.vmalloc.misses} among them`);
}

// The overview's pages of @owner, as drawn.
const ownerPages = async (page, owner) => {
  await page.waitForSelector(`#overview-zones[data-ready="true"][data-session="${sessionOf(page)}"]`, { timeout: 10000 });
  return Number(await page.$eval(`tr[data-owner="${owner}"] td`, (e) => e.textContent));
};

// page-cache (no object of its own: a file has no view): the overview's page
// cache is what the figure says is left, filled less given back.
async function checkPageCache(page, f) {
  const left = f.page_cache_filled_pages - f.given_back_pages;
  assert.equal(await ownerPages(page, 'pagecache'), left);
  assert.equal((await get(`/sessions/${sessionOf(page)}/zones`)).owners.pagecache, left);
}

// fork-cow (no process view): the overview's user pages are the parent's 4 MiB and one copy per copied page.
async function checkForkCow(page, f) {
  const user = await ownerPages(page, 'user');
  assert.equal(user, (4 << 20) / 4096 + f.copied_pages);
  assert.equal((await get(`/sessions/${sessionOf(page)}/zones`)).owners.user, user);
}

// The pressure scenarios (their claims are of the whole machine, no one
// object): the view's summary gives the figure's counts.
async function checkPressure(page, f) {
  await page.waitForSelector(`#view-pressure[data-ready="true"][data-session="${sessionOf(page)}"]`, { timeout: 10000 });
  const text = await page.textContent('#pressure-summary');
  const num = (re) => Number(re.exec(text)?.[1]);
  const kswapdRuns = num(/balance_pgdat\(\) (\d+) time/), kswapdStole = num(/time[s]? and stole (\d+) pages/);
  const stalls = num(/stalled (\d+) allocation/), directStole = num(/allocations? and stole (\d+)\./);
  const out = num(/(\d+) pages went to swap/), back = num(/and (\d+) came back/), major = num(/\((\d+) major faults\)/);
  const kills = num(/killed (\d+) time/) || 0;
  if ('kswapd_runs' in f)
    assert.deepEqual([kswapdRuns, kswapdStole, stalls], [f.kswapd_runs, f.kswapd_reclaimed, f.direct_reclaim_rounds], text);
  if ('rounds' in f)
    assert.deepEqual([stalls, directStole], [f.rounds, f.pages_reclaimed], text);
  if ('pages_swapped_out' in f)
    assert.deepEqual([out, back, major], [f.pages_swapped_out, f.pages_swapped_in, f.major_faults], text);
  if ('oom_kills' in f)
    assert.equal(kills, f.oom_kills, text);
  if ('victims' in f)
    assert.equal(kills, f.victims.length, text);
  assert.ok(['kswapd_runs', 'rounds', 'pages_swapped_out', 'oom_kills', 'victims'].some((k) => k in f), 'a figure the view shows');
}

// The physical map's compaction panel once drawn: its data attributes.
async function compactionDrawn(page) {
  const id = await page.getAttribute('#scenario-panel', 'data-session');
  await page.waitForSelector(`#physmap-compaction[data-session="${id}"][data-run]:not([hidden])`, { timeout: 120000 });
  await page.waitForSelector('#physmap-canvas[data-ready="true"]');
  return page.$eval('#physmap-compaction', (e) => ({ ...e.dataset,
    drawnMoves: Number(document.getElementById('physmap-canvas').dataset.moves) }));
}

// Unmovable pages in between: direct compaction ran and moved nothing.
async function checkFragmentation(page, f) {
  assert.ok(f.compaction.direct_compaction_calls >= 1, 'the order-10 request compacted directly');
  assert.equal(f.compaction.pages_migrated, 0);
  assert.ok(f.compaction.pages_scanned_by_migrate_scanner > 0);
}

// The events of @type in run @run of session @id, in seq order.
async function runEvents(id, run, type) {
  const out = [];
  for (let since = run.first_seq - 1; ;) {
    const r = await get(`/sessions/${id}/events?type=${type}&since=${since}&limit=10000`);
    out.push(...r.events.filter((e) => e.seq <= run.last_seq));
    if (!r.events.length || r.events.at(-1).seq >= run.last_seq)
      return out;
    since = r.next_since;
  }
}

// Movable pages in between: async compaction in vain, then sync light moves pages and the request succeeds.
async function checkMovable(page, f, id, run) {
  assert.equal(f.request.order, 10);
  assert.equal(f.request.succeeded, true);
  // The stall, from the run's own events: each direct compaction is one
  // try_to_compact_pages() (mm/compaction.c) of __alloc_pages_direct_compact(),
  // and the stall lasts from the first of them to the order-10 allocation.
  const tries = await runEvents(id, run, 'mm_compaction_try_to_compact_pages');
  const got = (await runEvents(id, run, 'mm_page_alloc')).find((e) => e.order === 10 && e.seq > tries[0].seq);
  assert.equal(f.request.direct_compaction_calls, tries.length);
  assert.equal(f.direct_compaction_calls, tries.length);
  assert.equal(f.request.seq, got.seq);
  assert.equal(f.request.pfn, got.pfn);
  assert.equal(f.request.events_of_the_stall, got.seq - tries[0].seq);
  assert.ok(f.request.events_of_the_stall > f.pages_migrated, 'the stall spans the migrations');
  assert.equal((await runEvents(id, run, 'migrate_folio_move')).length, f.folios_moved);
  assert.deepEqual(f.direct_compaction_priorities, [2, 1], 'COMPACT_PRIO_ASYNC, then SYNC_LIGHT');
  assert.ok(f.pages_migrated > 0 && f.pages_migrated === f.folios_moved, `${f.pages_migrated} migrated`);
  assert.ok(f.request.seq > 0);
  assert.ok(f.runs_direct >= 2, 'an asynchronous and a synchronous direct run');
  const last = f.run_list.filter((r) => r.started_by === 'direct').at(-1);
  assert.equal(last.status, 'success');
  assert.equal(last.pages_failed_to_migrate, 0);
  assert.ok(last.migrate_scanner_to_pfn > last.migrate_scanner_from_pfn, 'the migrate scanner went up');
  assert.ok(last.free_scanner_to_pfn < last.free_scanner_from_pfn, 'the free scanner came down');
  const d = await compactionDrawn(page);
  assert.equal(d.status, 'success');
  assert.equal(d.block, `${f.request.pfn}+1024`, 'the block the request got is outlined');
  assert.equal(Number(d.moves), last.pages_migrated, 'one arrow a page moved');
  assert.ok(d.drawnMoves > 0, 'moves drawn on the map');
  assert.equal(Number(d.migratePfn), last.migrate_scanner_to_pfn);
  assert.equal(Number(d.freePfn), last.free_scanner_to_pfn);
}

// Unmovable pages in between: the scanners meet, nothing migrated, the request fails.
async function checkUnmovable(page, f) {
  assert.equal(f.request.succeeded, false);
  assert.ok(f.direct_compaction_calls >= 2);
  assert.equal(f.pages_migrated, 0);
  assert.ok(f.pages_scanned_by_migrate_scanner > 0);
  assert.ok(f.run_list.every((r) => r.status === 'complete' && r.pages_migrated === 0));
  const d = await compactionDrawn(page);
  assert.equal(d.status, 'complete');
  assert.equal(Number(d.moves), 0);
  assert.equal(d.block, '');
}

// kcompactd: the request that may not sleep fails, proactive compaction runs, the request then succeeds.
async function checkKcompactd(page, f) {
  assert.deepEqual(f.high_order_requests.map((r) => r.succeeded), [false, true]);
  assert.equal(f.direct_compaction_calls, 0);
  assert.ok(f.kcompactd_wakes >= 1 && f.runs_by_kcompactd >= 1, 'kcompactd woken through kswapd compacted');
  assert.ok(f.runs_proactive_woken_by_sysctl >= 1, 'proactive compaction ran when the sysctl was written');
  assert.ok(f.runs_proactive > f.runs_proactive_woken_by_sysctl, 'and on kcompactd\'s timer');
  assert.ok(f.pages_migrated > 0);
  const d = await compactionDrawn(page);
  assert.equal(d.status, f.run_list.at(-1).status);
}

// The swiotlb bounce on the page, against the run's events: the 32-bit
// device's map stood, at an address in the pool below 4 GiB
// (swiotlb_tbl_map_single()), and its unmap copied the buffer back
// (swiotlb_tbl_unmap_single(), kernel/dma/swiotlb.c).
async function checkBounce(page, f, id, run) {
  const shown = async (path) => page.textContent(`#scenario-figure [data-path="swiotlb.${path}"]`);
  const value = async (path) => Number(await page.getAttribute(`#scenario-figure [data-path="swiotlb.${path}"]`, 'data-value'));
  const hexOf = (n) => `0x${BigInt(n).toString(16)}`;
  const bounced = await runEvents(id, run, 'swiotlb_bounced');
  const maps = await runEvents(id, run, 'dma_map');
  const unmaps = await runEvents(id, run, 'dma_unmap');
  assert.equal(bounced.length, f.swiotlb.bounces.length);
  const stood = maps.find((m) => m.level === 32 && m.value === 0);
  assert.equal(stood.detail, 'bounced through swiotlb');
  const i = bounced.findIndex((b) => b.op === stood.op);
  assert.ok(i >= 0, 'the 32-bit map bounced');
  assert.equal(await shown(`bounces.${i}.dma_addr`), stood.paddr, 'the address the device was given');
  assert.equal(await shown(`bounces.${i}.dma_addr`), hexOf(bounced[i].value));
  assert.equal(await shown(`bounces.${i}.paddr`), bounced[i].paddr);
  for (const yes of ['mapped', 'in_the_swiotlb_pool', 'below_4_gib'])
    assert.equal(await shown(`bounces.${i}.${yes}`), 'yes', yes);
  const pool = [BigInt(await shown('pool_start')), BigInt(await shown('pool_end'))];
  assert.ok(pool[0] <= BigInt(stood.paddr) && BigInt(stood.paddr) < pool[1] && pool[1] <= 1n << 32n,
            `${stood.paddr} in the pool ${pool.map(hexOf)}`);
  assert.equal(pool[1] - pool[0], 64n << 20n, 'the 64 MiB x86-64 reserves');
  const back = unmaps.find((u) => u.paddr === bounced[i].paddr);
  assert.equal(await value(`bounces.${i}.copied_back_bytes`), back.value);
  assert.equal(await shown(`bounces.${i}.copied_back_bytes`), '4 KiB');
  // The 24-bit device's bounce did not stand: the pool is out of its reach too.
  const refused = bounced.findIndex((b) => b.level === 24);
  assert.equal(await shown(`bounces.${refused}.mapped`), 'no');
}

async function checkArea(page, f, id, run) {
  await checkBounce(page, f, id, run);
  // The "Address spaces" view when the page has one; the vmalloc view until then.
  if (await page.$('#view-addrspace')) {
    await page.waitForFunction(() => location.hash.startsWith('#addrspace'));
    assert.match(await page.evaluate(() => location.hash), new RegExp(`sel=kmalloc:${f.kmalloc[0].addr},vmalloc:${f.vmalloc[0].addr}`));
    // Both mappings drawn, of the objects the run measured: the band of its
    // kmalloc buffer, and a fan with a line to each frame of its vmalloc area.
    await page.waitForSelector(`#addrspace-svg polygon.as-band[data-vaddr="${f.kmalloc[0].addr}"]`, { timeout: 10000 });
    assert.equal(await page.inputValue('#addrspace-kmalloc'), f.kmalloc[0].addr);
    assert.equal(await page.inputValue('#addrspace-vmalloc'), f.vmalloc[0].addr);
    const pfns = (await page.$$eval('#addrspace-svg path.as-fan.as-vmalloc', (ps) => ps.map((p) => p.dataset.pfns)))
      .join(',').split(',').map(Number);
    const area = (await get(`/sessions/${page.url().match(/session=(\d+)/)[1]}/vmalloc`)).areas
      .find((a) => a.addr === f.vmalloc[0].addr);
    assert.deepEqual(pfns, area.pfns);
    return;
  }
  const area = f.vmalloc[0];
  await page.waitForSelector(`#vmalloc-table tr.current[data-addr="${area.addr}"]`, { timeout: 10000 });
  assert.equal(await page.getAttribute('#vmalloc-area', 'data-pfns'), area.pfns.join(','));
}

async function checkWalk(page, f) {
  const vaddr = f.conversions.find((c) => c.ok).vaddr;
  await page.waitForSelector(`#pt-walk-table[data-vaddr="${vaddr}"]`, { state: 'attached', timeout: 10000 });
  assert.equal(await page.inputValue('#pt-walk input[name="vaddr"]'), vaddr);
}

async function checkTripleFault(page, f) {
  await page.waitForSelector(`#timebar[data-seq="${f.triple_faults[0].seq}"]`, { timeout: 10000 });
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

test('each scenario\'s figure reads as tables with units, and its run opens the view of its claim', async () => {
  const list = (await get('/scenarios')).scenarios;
  assert.deepEqual(list.map((s) => s.name).sort(), Object.keys(OPENS).sort(), 'each scenario has its case here');
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(`${d.url}/#scenarios`);
  for (const sc of list) {
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.click('nav a[data-view="scenarios"]');
    await page.waitForSelector('#scenario-list[data-ready="true"]', { timeout: 10000 });
    await page.click(`#scenario-list article[data-name="${sc.name}"] button[data-action="new"]`);
    await page.waitForSelector(`#scenario-panel[data-scenario="${sc.name}"]`, { timeout: 60000 });
    const id = Number(await page.getAttribute('#scenario-panel', 'data-session'));
    const run = (await get(`/sessions/${id}`)).scenario_runs.at(-1);
    assert.ok(run, `${sc.name}: the run is stored with its session`);
    const f = run.figure;
    // The view of the claim, on the run's session.
    const want = OPENS[sc.name];
    await page.waitForFunction((v) => location.hash.startsWith(`#${v}`) || location.hash.startsWith('#addrspace'), want.view);
    assert.match(await page.evaluate(() => location.hash), new RegExp(`session=${id}\\b`));
    if (!await page.$('#view-addrspace') || sc.name !== 'kmalloc-vs-vmalloc')
      assert.equal(await page.isVisible(`#view-${want.view}`), true, sc.name);
    await want.check?.(page, f, id, run);
    // Every number of the API's figure is on the page, at its path.
    const shown = await page.$$eval('#scenario-figure [data-value]', (xs) =>
      Object.fromEntries(xs.map((x) => [x.dataset.path, Number(x.dataset.value)])));
    const pfns = await page.$$eval('#scenario-figure [data-pfns]', (xs) =>
      Object.fromEntries(xs.map((x) => [x.dataset.path, x.dataset.pfns])));
    const numbers = numbersOf(f);
    for (const [path, v] of Object.entries(numbers)) {
      const list = path.replace(/\.\d+$/, '');
      if (list in pfns)
        assert.ok(pfns[list].split(',').map(Number).includes(v), `${sc.name}: ${path}`);
      else
        assert.equal(shown[path], v, `${sc.name}: ${path}`);
    }
    // Readable: no JSON, no raw byte count as a label, units on the values.
    const text = await page.textContent('#scenario-figure');
    assert.doesNotMatch(text, /[{}"]/, `${sc.name}: no JSON`);
    const labels = await page.$$eval('#scenario-figure th, #scenario-figure .kv', (xs) => xs.map((x) => x.textContent.trim()));
    for (const l of labels)
      assert.doesNotMatch(l, /^\d{4,}:?$|^\d{4,}:/, `${sc.name}: label ${l}`);
    const leaves = await page.$$eval('#scenario-figure [data-value]', (xs) => xs.map((x) => [x.dataset.path, x.textContent]));
    for (const [path, t] of leaves) {
      const key = path.split('.').at(-1);
      if (/percent/.test(key))
        assert.match(t, / %$/, `${sc.name}: ${path}`);
      else if (/bytes|^size$|^length$/.test(key))
        assert.match(t, /\d (bytes|KiB|MiB|GiB)$/, `${sc.name}: ${path} ${t}`);
      else if (/^pfn$/.test(key))
        assert.equal(t, `0x${numbers[path].toString(16)}`, `${sc.name}: ${path}`);
      else if (/pages$/.test(key))
        assert.match(t, / pages$/, `${sc.name}: ${path}`);
    }
    if (f.by_region)
      for (const [region, r] of Object.entries(f.by_region))
        for (const size of Object.keys(r.page_sizes)) {
          const name = { 4096: '4 KiB', 2097152: '2 MiB', 1073741824: '1 GiB' }[size];
          assert.ok(labels.some((l) => l.startsWith(`${name}: `)), `${sc.name}: ${region} ${name}`);
        }
    // The panel spans the page, and neither it nor its figure scrolls sideways.
    for (const [width, height] of [[1280, 800], [800, 600]]) {
      await page.setViewportSize({ width, height });
      await painted(page);
      const box = await page.locator('#scenario-panel').boundingBox();
      assert.ok(box.width > width * 0.9, `${sc.name}: the panel is ${box.width} px wide at ${width}`);
      assert.ok(box.x + box.width <= width, `${sc.name}: the panel ends at ${box.x + box.width} px at ${width}`);
      const panelOverflow = await page.$eval('#scenario-panel', (e) => e.scrollWidth - e.clientWidth);
      assert.ok(panelOverflow <= 0, `${sc.name}: the panel scrolls ${panelOverflow} px sideways at ${width}`);
      const figureOverflow = await page.$eval('#scenario-figure', (e) => e.scrollWidth - e.clientWidth);
      assert.ok(figureOverflow <= 0, `${sc.name}: the figure scrolls ${figureOverflow} px sideways at ${width}`);
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: (await saveScreenshot(page, `#scenario-${sc.name}-${width}`)), fullPage: false });
    }
    // Each run made a live session; more scenarios than the daemon keeps live
    // at once: stop each but the last, which the reload below shows again.
    if (sc !== list.at(-1))
      assert.equal((await fetch(`${d.url}/api/v1/sessions/${id}`, { method: 'DELETE' })).status < 300, true);
  }
  // A reload shows the session's last run again, from GET /sessions/{id}.
  const id = Number(await page.getAttribute('#scenario-panel', 'data-session'));
  await page.reload();
  await page.waitForSelector(`#scenario-panel[data-session="${id}"]:not([hidden])`, { timeout: 10000 });
  const run = (await get(`/sessions/${id}`)).scenario_runs.at(-1);
  assert.equal(await page.getAttribute('#scenario-panel', 'data-scenario'), run.name);
  const again = await page.$$eval('#scenario-figure [data-value]', (xs) =>
    Object.fromEntries(xs.map((x) => [x.dataset.path, Number(x.dataset.value)])));
  assert.deepEqual(again, numbersOf(run.figure));
  assert.deepEqual(errors, []);
  await page.close();
});
