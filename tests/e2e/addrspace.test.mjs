// addrspace.test.mjs - the Address spaces view in Debian's chromium against a
// real daemon: the regions drawn are the vmlayout API's; a vmalloc area is a
// fan with one line per page ending at the API's pfns, a kmalloc object one
// band from its direct-map address to its physical run (virt - PAGE_OFFSET),
// a VMA's lines end at the frames its walks find, a page-table page's lines at
// its frame; all of it for a scenario run, at a past seq, at 1280 and 800 px.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium, openSessionPage, saveScreenshot } from './lib/browser.mjs';
import { startDaemon, postJson, apiOf } from './lib/daemon.mjs';

let d, browser, run;

const { api, get } = apiOf(() => d.url);
const apply = async (id, list) => {
  const r = await postJson(api(`/sessions/${id}/ops`), list);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  for (const x of r.body.results) assert.equal(x.ok, true, JSON.stringify(x));
  return r.body.results;
};

before(async () => {
  d = await startDaemon();
  browser = await launchChromium();
  const r = await postJson(api('/scenarios/kmalloc-vs-vmalloc/run'), {});
  assert.equal(r.status, 201, `${r.status}: ${r.body.error?.message}`);
  run = r.body.session;
});

after(async () => {
  await browser?.close();
  await d?.stop();
});

// The view drawn for session @id at @seq (its data-seq), at @width x @height.
async function openView(id, seq, [width, height] = [1280, 800]) {
  const s = await openSessionPage(browser, d.url, '#addrspace', id);
  await s.page.setViewportSize({ width, height });
  await s.page.waitForSelector(`#addrspace-svg[data-seq="${seq}"]`);
  return s;
}

// The geometry of both rulers, read from the SVG: each segment's bounds and box.
async function rulers(page) {
  return page.evaluate(() => {
    const box = (r) => ({ y: Number(r.getAttribute('y')), h: Number(r.getAttribute('height')),
                          x: Number(r.getAttribute('x')), w: Number(r.getAttribute('width')) });
    return {
      virt: [...document.querySelectorAll('#addrspace-svg rect.as-seg')].map((r) => ({
        name: r.dataset.name, start: r.dataset.start, end: r.dataset.end, ...box(r) })),
      phys: [...document.querySelectorAll('#addrspace-svg rect.as-pseg')].map((r) => ({
        name: r.dataset.name, start: r.dataset.startPfn, end: r.dataset.endPfn, ...box(r) })),
    };
  });
}

// Where a ruler puts @at (a BigInt address or pfn, fractions as @frac of one unit).
function yOf(segs, at, frac = 0) {
  const s = segs.find((x) => BigInt(x.start) <= at && at < BigInt(x.end)) ||
    segs.find((x) => BigInt(x.end) === at);
  assert.ok(s, `no segment holds ${at.toString(16)}`);
  const span = Number(BigInt(s.end) - BigInt(s.start));
  return s.y + s.h * (Number(at - BigInt(s.start)) + frac) / span;
}

const near = (a, b, what) => assert.ok(Math.abs(a - b) < 0.05, `${what}: ${a} != ${b}`);

async function liveKmallocs(id, seq) {
  const events = [];
  for (const type of ['kmalloc', 'kmalloc_large', 'kfree'])
    events.push(...(await get(`/sessions/${id}/events?type=${type}&limit=10000`)).events);
  const live = new Map();
  for (const e of events.filter((x) => x.seq <= seq).sort((a, b) => a.seq - b.seq))
    if (e.type === 'kfree') live.delete(e.vaddr);
    else live.set(e.vaddr, e);
  return [...live.values()];
}

// The lines of the fans of @kind: each path's "M x1,y1 L x2,y2" segments with
// the page and frame its data-vaddrs and data-pfns give them, in order.
async function fanLines(page, kind) {
  const paths = await page.$$eval(`#addrspace-svg path.as-fan.as-${kind}`, (ps) => ps.map((p) => ({
    d: p.getAttribute('d'), pfns: p.dataset.pfns, vaddrs: p.dataset.vaddrs })));
  return paths.flatMap((p) => {
    const segs = [...p.d.matchAll(/M([\d.]+),([\d.]+)L([\d.]+),([\d.]+)/g)];
    assert.equal(segs.map((x) => x[0]).join(''), p.d, 'the path is lines only');
    const pfns = p.pfns ? p.pfns.split(',').map(Number) : [];
    const vaddrs = p.vaddrs ? p.vaddrs.split(',') : [];
    assert.equal(pfns.length, segs.length);
    assert.equal(vaddrs.length, segs.length);
    return segs.map(([, x1, y1, x2, y2], i) => ({ pfn: pfns[i], vaddr: vaddrs[i], x1: Number(x1),
                                                  y1: Number(y1), x2: Number(x2), y2: Number(y2) }));
  });
}

// The fan of @area: one line a page, from its page to its frame.
async function checkFan(page, area) {
  const g = await rulers(page);
  const lines = await fanLines(page, 'vmalloc');
  assert.equal(lines.length, area.nr_pages);
  assert.deepEqual(lines.map((l) => l.pfn), area.pfns);
  lines.forEach((l, i) => {
    const va = BigInt(area.addr) + BigInt(i) * 4096n;
    assert.equal(l.vaddr, `0x${va.toString(16)}`);
    near(l.y1, yOf(g.virt, va + 2048n), `line ${i} start`);
    near(l.y2, yOf(g.phys, BigInt(l.pfn), 0.5), `line ${i} end at pfn ${l.pfn}`);
    near(l.x2, g.phys[0].x, `line ${i} reaches the physical ruler`);
  });
}

// The band of kmalloc object @obj: its direct-map range to its frames.
async function checkBand(page, obj, pageOffset) {
  const g = await rulers(page);
  const bands = await page.$$eval('#addrspace-svg polygon.as-band', (ps) => ps.map((p) => ({
    vaddr: p.dataset.vaddr, paddr: p.dataset.paddr, size: Number(p.dataset.size),
    points: p.getAttribute('points').split(' ').map((xy) => xy.split(',').map(Number)) })));
  assert.equal(bands.length, 1, 'one straight band');
  const [b] = bands;
  const va = BigInt(obj.vaddr), pa = va - pageOffset;
  assert.equal(b.vaddr, obj.vaddr);
  assert.equal(b.paddr, `0x${pa.toString(16)}`);
  assert.equal(BigInt(obj.paddr), pa, 'the API puts the object at virt - PAGE_OFFSET');
  assert.equal(b.size, obj.value);
  const [[vx, vy0], [px, py0], [, py1], [, vy1]] = b.points;
  near(vy0, yOf(g.virt, va), 'band starts at the object\'s direct-map address');
  near(vx, g.virt[0].x + g.virt[0].w, 'band leaves the virtual ruler');
  near(px, g.phys[0].x, 'band reaches the physical ruler');
  const pfn = pa / 4096n, endPfn = (pa + BigInt(obj.value) + 4095n) / 4096n;
  near(py0, yOf(g.phys, pfn, Number(pa % 4096n) / 4096), 'band starts at the physical address');
  near(py1, Math.max(yOf(g.phys, endPfn), py0 + 2), 'band ends at the run\'s last frame');
  assert.ok(vy1 > vy0);
}

// Regions drawn (their parts joined) against the API's.
async function checkRegions(page, layout) {
  const g = await rulers(page);
  const drawn = [];
  for (const s of g.virt.filter((x) => x.name !== 'unused')) {
    const last = drawn.at(-1);
    if (last && last.name === s.name) last.end = s.end;
    else drawn.push({ name: s.name, start: s.start, end: s.end });
  }
  assert.deepEqual(drawn, layout.regions.map((r) => ({ name: r.name, start: r.start, end: r.end })));
  const labels = await page.$$eval('#addrspace-svg text.as-label[data-name]', (ts) => ts.map((t) => t.dataset.name));
  for (const r of layout.regions) assert.ok(labels.includes(r.name), `region ${r.name} is named`);
}

async function noHorizontalScroll(page) {
  const [sw, cw] = await page.evaluate(() => [document.documentElement.scrollWidth,
                                              document.documentElement.clientWidth]);
  assert.ok(sw <= cw, `horizontal scroll: ${sw} > ${cw}`);
}

test('a scenario run: the kmalloc object one band, the vmalloc area a fan to its frames', async () => {
  const info = await get(`/sessions/${run}`);
  const layout = await get(`/sessions/${run}/vmlayout`);
  const pageOffset = BigInt(layout.regions.find((r) => r.name === 'direct_map').start);
  const { areas } = await get(`/sessions/${run}/vmalloc`);
  const area = areas.reduce((b, a) => (a.nr_pages >= b.nr_pages ? a : b));
  const objs = await liveKmallocs(run, info.last_seq);
  const obj = objs.reduce((b, o) => (o.value >= b.value ? o : b));
  for (const size of [[1280, 800], [800, 600]]) {
    const s = await openView(run, info.last_seq, size);
    await checkRegions(s.page, layout);
    await checkFan(s.page, area);
    await checkBand(s.page, obj, pageOffset);
    assert.match(await s.page.textContent('#addrspace-summary'), /one band.*fan out/);
    await noHorizontalScroll(s.page);
    await s.done();
  }
});

test('at a past seq: before the vmalloc, the band alone; any object can be chosen', async () => {
  const info = await get(`/sessions/${run}`);
  const vmallocs = (await get(`/sessions/${run}/events?type=vmap_area_alloc`)).events;
  const seq = vmallocs[0].seq - 1;
  const s = await openView(run, info.last_seq);
  await s.page.locator('#tb-slider').evaluate((el, v) => {
    el.value = String(v);
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }, seq);
  await s.page.waitForSelector(`#addrspace-svg[data-seq="${seq}"]`);
  assert.equal((await fanLines(s.page, 'vmalloc')).length, 0);
  const objs = await liveKmallocs(run, seq);
  assert.ok(objs.length >= 1);
  const layout = await get(`/sessions/${run}/vmlayout?at=${seq}`);
  const pageOffset = BigInt(layout.regions.find((r) => r.name === 'direct_map').start);
  await checkBand(s.page, objs.reduce((b, o) => (o.value >= b.value ? o : b)), pageOffset);
  // Every live object is offered; choosing the smallest draws it.
  const offered = await s.page.$$eval('#addrspace-kmalloc option', (os) => os.map((o) => o.value));
  assert.deepEqual(offered.filter((v) => v.startsWith('0x')).sort(), objs.map((o) => o.vaddr).sort());
  const small = objs.reduce((b, o) => (o.value < b.value ? o : b));
  await s.page.selectOption('#addrspace-kmalloc', small.vaddr);
  await s.page.waitForSelector(`#addrspace-svg polygon.as-band[data-vaddr="${small.vaddr}"]`);
  await checkBand(s.page, small, pageOffset);
  await s.done();
});

test('a user VMA: lines to its demand-paged frames; a page table: its aliases to its frame', async () => {
  const r = await postJson(api('/sessions'), { name: 'vma', machine: { mem_mib: 4096 } });
  assert.equal(r.status, 201);
  const id = r.body.id;
  const [{ pid }] = await apply(id, [{ op: 'spawn', name: 'learner' }]);
  const [{ addr }] = await apply(id, [{ op: 'mmap', pid, length: 16 * 4096 }]);
  const touched = [0, 3, 7, 8];
  await apply(id, touched.map((i) => ({ op: 'touch', pid, addr: `0x${(BigInt(addr) + BigInt(i) * 4096n).toString(16)}` })));
  const info = await get(`/sessions/${id}`);
  const s = await openView(id, info.last_seq);
  await s.page.selectOption('#addrspace-vma', `${pid}:${addr}`);
  await s.page.waitForSelector('#addrspace-svg path.as-fan.as-vma');
  const lines = await fanLines(s.page, 'vma');
  const g = await rulers(s.page);
  const expected = [];
  for (let i = 0; i < 16; i++) {
    const va = BigInt(addr) + BigInt(i) * 4096n;
    const w = await get(`/sessions/${id}/pagetable?pid=${pid}&vaddr=0x${va.toString(16)}`);
    if (!w.fault) expected.push({ vaddr: `0x${va.toString(16)}`, pfn: Number(BigInt(w.paddr) / 4096n) });
  }
  assert.equal(expected.length, touched.length);
  assert.deepEqual(lines.map((l) => ({ vaddr: l.vaddr, pfn: l.pfn })), expected);
  for (const l of lines) {
    near(l.y2, yOf(g.phys, BigInt(l.pfn), 0.5), `VMA line to pfn ${l.pfn}`);
    near(l.y1, yOf(g.virt, BigInt(l.vaddr) + 2048n), `VMA line from ${l.vaddr}`);
  }
  // The kernel's PGD: its direct-map alias (and the kernel image's, when it is there) to one frame.
  const tree = await get(`/sessions/${id}/pagetable/tree?pid=kernel`);
  await s.page.selectOption('#addrspace-pgtable', String(tree.root_pfn));
  await s.page.waitForSelector('#addrspace-svg path.as-fan.as-pgtable');
  const pt = await fanLines(s.page, 'pgtable');
  const layout = await get(`/sessions/${id}/vmlayout`);
  const direct = BigInt(layout.regions.find((x) => x.name === 'direct_map').start) + BigInt(tree.root_pfn) * 4096n;
  assert.ok(pt.every((l) => l.pfn === tree.root_pfn));
  assert.ok(pt.some((l) => l.vaddr === `0x${direct.toString(16)}`));
  for (const l of pt) {
    const w = await get(`/sessions/${id}/pagetable?pid=kernel&vaddr=${l.vaddr}`);
    assert.equal(BigInt(w.paddr), BigInt(tree.root_pfn) * 4096n, `${l.vaddr} maps the PGD's frame`);
  }
  await s.done();
});

test('a click on the virtual ruler picks an address to walk; other views can mark one', async () => {
  const info = await get(`/sessions/${run}`);
  const layout = await get(`/sessions/${run}/vmlayout`);
  const dm = layout.regions.find((r) => r.name === 'direct_map');
  const s = await openView(run, info.last_seq);
  const g = await rulers(s.page);
  const seg = g.virt.filter((x) => x.name === 'direct_map').reduce((b, x) => (x.h > b.h ? x : b));
  // A click that lands while the view is still being redrawn (a live update) is not seen:
  // click until the view has taken one.
  for (let tries = 0; tries < 5; tries++) {
    await s.page.locator('#addrspace-svg').click({ position: { x: seg.x + seg.w / 2, y: seg.y + seg.h / 2 } });
    if (await s.page.waitForSelector('#addrspace-address[data-addr]', { state: 'attached', timeout: 2000 })
      .then(() => true, () => false)) break;
  }
  const a = await s.page.getAttribute('#addrspace-address', 'data-addr');
  assert.ok(BigInt(a) >= BigInt(seg.start) && BigInt(a) < BigInt(seg.end), `${a} in the segment clicked`);
  assert.ok(BigInt(a) >= BigInt(dm.start) && BigInt(a) < BigInt(dm.end));
  assert.equal(BigInt(a) % 4096n, 0n);
  assert.match(await s.page.textContent('#addrspace-address'), /direct mapping/);
  const mark = await s.page.$eval(`#addrspace-svg .as-mark[data-addr="${a}"]`, (m) => m.getAttribute('d'));
  near(Number(/,([\d.]+)/.exec(mark)[1]), yOf(g.virt, BigInt(a)), 'the mark sits at the address');
  // Marks for the boot filmstrip: RIP low, then high.
  await s.page.evaluate(async () => {
    const m = await import('/js/addrspace.js');
    m.markAddress('0x1000000', 'RIP before the jump');
    m.markAddress('0xffffffff81000000', 'RIP after');
  });
  const marks = await s.page.$$eval('#addrspace-svg .as-mark', (ms) => ms.map((m) => m.dataset.addr));
  assert.deepEqual(marks.slice(-2), ['0x1000000', '0xffffffff81000000']);
  await saveScreenshot(s.page, '#addrspace-marks');
  const href = await s.page.getAttribute('#addrspace-address a.as-walk', 'href');
  const linkTo = (h) => ({ view: h.slice(1).split('?')[0], addr: new URLSearchParams(h.split('?')[1]).get('addr') });
  assert.deepEqual(linkTo(href), { view: 'pagetables', addr: a });
  assert.match(href, /[?&]session=\d+/, 'the link keeps the session');
  await s.page.click('#addrspace-address a.as-walk');
  await s.page.waitForSelector('#view-pagetables:not([hidden])');
  assert.deepEqual(linkTo(await s.page.evaluate(() => location.hash)), { view: 'pagetables', addr: a });
  await s.done();
});

test('a machine at power-on: the layout drawn, nothing mapped, no table asked for', async () => {
  const r = await postJson(api('/sessions'), { name: 'poweron', machine: { mem_mib: 256, start: 'poweron' } });
  assert.equal(r.status, 201);
  const id = r.body.id;
  const layout = await get(`/sessions/${id}/vmlayout`);
  assert.ok(layout.regions.every((x) => x.page_sizes.length === 0));
  const s = await openView(id, (await get(`/sessions/${id}`)).last_seq);
  await checkRegions(s.page, layout);
  assert.deepEqual(await s.page.$$eval('#addrspace-pgtable option', (os) => os.map((o) => o.value)), ['']);
  assert.ok(!s.requests.some((u) => u.includes(`/sessions/${id}/pagetable/tree`)), 'no tree before the tables exist');
  await s.done();
});
