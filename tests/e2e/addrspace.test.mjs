// addrspace.test.mjs - the Address spaces view in Debian's chromium against a
// real daemon: the regions drawn are the vmlayout API's; a vmalloc area is a
// fan with one line per page ending at the API's pfns, a kmalloc object one
// band from its direct-map address to its physical run (virt - PAGE_OFFSET),
// a VMA's lines end at the frames its walks find, a page-table page's lines at
// its frame; the physical ruler's zones, their 16 MiB and 4 GiB boundaries,
// its holes and each pixel row's owner colour are the zones and physmap APIs';
// all of it for a scenario run, at a past seq, at 1280 and 800 px.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium, openSessionPage, painted, saveScreenshot } from './lib/browser.mjs';
import { startDaemon, getJson, postJson, apiOf } from './lib/daemon.mjs';

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
  // Opened at its size: a resize afterwards redraws the view a frame later,
  // and a read between the rulers and the fans would then mix two layouts.
  const s = await openSessionPage(browser, d.url, '#addrspace', id, { width, height });
  await s.page.waitForSelector(`#addrspace-svg[data-seq="${seq}"]`);
  await painted(s.page);
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

// The physical map at @seq as the API serves it: one owner code a frame.
async function physmapBytes(id, seq) {
  const res = await fetch(api(`/sessions/${id}/physmap?at=${seq}`));
  assert.equal(res.status, 200);
  return new Uint8Array(await res.arrayBuffer());
}

// The rectangles of an owner path: "M x,y0 h w V y1 h-w z" each.
function ownerRects(d) {
  const rects = [...d.matchAll(/M[\d.]+,([\d.]+)h[\d.]+V([\d.]+)h-[\d.]+z/g)];
  assert.equal(rects.map((x) => x[0]).join(''), d, 'the path is rectangles only');
  return rects.map(([, y0, y1]) => ({ y0: Number(y0), y1: Number(y1) }));
}

// The physical ruler against the zones and physmap APIs: the zones drawn in
// pfn order with their names, a boundary line at each zone's end (16 MiB and
// 4 GiB among them, with those words), the frames with no memory (pfns
// outside every zone, and runs of at least 1 MiB of the "hole" owner inside
// one) as hole bands, and each pixel row coloured by the owner most of its
// frames have.
async function checkPhysical(page, id, seq) {
  const { zones } = await get(`/sessions/${id}/zones?at=${seq}`);
  const legend = await get(`/sessions/${id}/physmap/legend?at=${seq}`);
  const bytes = await physmapBytes(id, seq);
  assert.equal(bytes.length, legend.max_pfn);
  const holeCode = legend.codes.find((c) => c.name === 'hole').code;
  const g = await rulers(page);
  const phys = g.phys.map((s) => ({ ...s, start: Number(s.start), end: Number(s.end) }));
  // The segments tile pfn 0 to max_pfn, top to bottom.
  assert.equal(phys[0].start, 0);
  assert.equal(phys.at(-1).end, legend.max_pfn);
  phys.forEach((s, i) => {
    if (i) {
      assert.equal(s.start, phys[i - 1].end, `segment ${i} follows the one above`);
      near(s.y, phys[i - 1].y + phys[i - 1].h, `segment ${i} drawn below the one above`);
    }
  });
  const spanned = zones.filter((z) => z.spanned > 0);
  const zoneOf = (pfn) => spanned.find((z) => pfn >= z.start_pfn && pfn < z.start_pfn + z.spanned);
  // Holes: every pfn of a hole band has no memory; every frame of no memory
  // outside a zone, or in a run of 256 or more, is in a hole band.
  const holes = phys.filter((s) => s.name === 'hole');
  assert.ok(holes.length >= 1);
  for (const h of holes)
    for (let p = h.start; p < h.end; p++)
      assert.ok(!zoneOf(p) || bytes[p] === holeCode, `pfn ${p} in a hole band has memory`);
  const inHole = (p) => holes.some((h) => p >= h.start && p < h.end);
  for (let p = 0; p < bytes.length;) {
    let q = p;
    while (q < bytes.length && bytes[q] === holeCode) q++;
    for (const x of q > p ? [p, Math.floor((p + q) / 2), q - 1] : [p])
      if (!zoneOf(x) || q - p >= 256)
        assert.ok(inHole(x), `pfn ${x} (no memory from ${p} to ${q}) is drawn as a hole`);
    p = q > p ? q : p + 1;
  }
  const holeLabels = await page.$$eval('#addrspace-svg .as-physical text.as-label-hole', (ts) => ts.length);
  assert.ok(holeLabels >= 1, 'a hole is named');
  // Zones: each segment inside its zone, the zones in pfn order, each named beside its part.
  for (const s of phys.filter((x) => x.name !== 'hole')) {
    const z = zoneOf(s.start);
    assert.equal(z?.name, s.name, `pfn ${s.start} is in zone ${s.name}`);
    assert.ok(s.end <= z.start_pfn + z.spanned, `segment ${s.name} ends inside its zone`);
  }
  assert.deepEqual([...new Set(phys.filter((x) => x.name !== 'hole').map((x) => x.name))],
                   [...spanned].sort((a, b) => a.start_pfn - b.start_pfn).map((z) => z.name));
  const labels = await page.$$eval('#addrspace-svg .as-physical text.as-label:not(.as-label-hole)', (ts) =>
    ts.map((t) => ({ text: t.textContent, y: Number(t.getAttribute('y')) })));
  for (const z of spanned) {
    const l = labels.find((x) => x.text.split(' ')[0] === z.name);
    assert.ok(l, `zone ${z.name} is named`);
    assert.ok(phys.some((s) => s.name === z.name && l.y - 4 >= s.y && l.y - 4 <= s.y + s.h),
              `the name ${z.name} sits beside its zone`);
  }
  // A boundary at each zone's end, where the ruler puts that pfn, with its address as text.
  const bounds = await page.$$eval('#addrspace-svg line.as-zone-bound', (ls) => ls.map((l) => ({
    pfn: Number(l.dataset.pfn), y1: Number(l.getAttribute('y1')), y2: Number(l.getAttribute('y2')) })));
  const boundText = await page.$$eval('#addrspace-svg text.as-bound', (ts) => ts.map((t) => ({
    text: t.textContent, y: Number(t.getAttribute('y')) })));
  assert.deepEqual(bounds.map((b) => b.pfn), spanned.map((z) => z.start_pfn + z.spanned));
  bounds.forEach((b, i) => {
    const y = yOf(g.phys, BigInt(b.pfn));
    near(b.y1, y, `the boundary at pfn ${b.pfn}`);
    near(b.y2, y, `the boundary at pfn ${b.pfn} is level`);
    near(boundText[i].y, y + 4, `the boundary's address at pfn ${b.pfn}`);
  });
  const at = (name) => boundText[spanned.findIndex((z) => z.name === name)].text;
  const dma = spanned.find((z) => z.name === 'DMA'), dma32 = spanned.find((z) => z.name === 'DMA32');
  assert.equal((dma.start_pfn + dma.spanned) * 4096, 16 * 2 ** 20);
  assert.equal(at('DMA'), '16 MiB');
  assert.equal((dma32.start_pfn + dma32.spanned) * 4096, 4 * 2 ** 30);
  assert.equal(at('DMA32'), '4 GiB');
  // Owners: each path in its owner's colour; each pixel row of a zone in the
  // colour of the owner most of its frames have; no colour in a hole band.
  const owners = await page.$$eval('#addrspace-svg path.as-owner', (ps) => ps.map((p) => ({
    owner: p.dataset.owner, fill: p.getAttribute('fill'), d: p.getAttribute('d') })));
  assert.equal(new Set(owners.map((o) => o.owner)).size, owners.length, 'one path an owner');
  const counts = new Float64Array(256);
  let covered = 0;
  for (const o of owners) {
    const code = legend.codes.find((c) => c.name === o.owner);
    assert.ok(code, `owner ${o.owner} is the legend's`);
    assert.equal(o.fill, code.color, `${o.owner} in its colour`);
    for (const r of ownerRects(o.d)) {
      covered += r.y1 - r.y0;
      // The rectangle cut at whole pixels and at segment bounds: one pixel row of one segment each.
      const cuts = [r.y0, r.y1];
      for (let y = Math.ceil(r.y0); y < r.y1; y++) cuts.push(y);
      for (const s of phys) if (s.y > r.y0 && s.y < r.y1) cuts.push(s.y);
      cuts.sort((a, b) => a - b);
      for (let i = 0; i + 1 < cuts.length; i++) {
        if (cuts[i + 1] - cuts[i] < 0.02) continue;
        const mid = (cuts[i] + cuts[i + 1]) / 2;
        const s = phys.find((x) => mid >= x.y && mid < x.y + x.h);
        assert.notEqual(s.name, 'hole', `${o.owner} drawn in a hole at y ${mid}`);
        const y0 = Math.max(Math.floor(mid), s.y), y1 = Math.min(Math.floor(mid) + 1, s.y + s.h);
        const span = s.end - s.start;
        const a = Math.min(s.start + Math.floor((y0 - s.y) / s.h * span), s.end - 1);
        const b = Math.min(Math.max(s.start + Math.ceil((y1 - s.y) / s.h * span), a + 1), s.end);
        counts.fill(0);
        for (let p = a; p < b; p++) counts[bytes[p]]++;
        assert.equal(counts[code.code], Math.max(...counts),
                     `row at y ${mid.toFixed(2)} (pfns ${a}-${b}): ${o.owner} is not the most frequent owner`);
      }
    }
  }
  const zoneHeight = phys.filter((s) => s.name !== 'hole').reduce((n, s) => n + s.h, 0);
  assert.ok(Math.abs(covered - zoneHeight) < 0.05 * owners.length + 0.5, `owners cover the zones: ${covered} of ${zoneHeight} px`);
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
    await checkPhysical(s.page, run, info.last_seq);
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

test('the scale: a 4 KiB page of a one-page object is at least MIN_PX high, beside the 64 TiB direct map', async () => {
  const r = await postJson(api('/sessions'), { name: 'scale', machine: { mem_mib: 4096 } });
  assert.equal(r.status, 201);
  const id = r.body.id;
  const [k, v] = await apply(id, [{ op: 'kmalloc', size: 64, gfp: 'GFP_KERNEL' }, { op: 'vmalloc', size: 4096 }]);
  assert.equal(v.nr_pages, 1);
  const layout = await get(`/sessions/${id}/vmlayout`);
  const dm = layout.regions.find((x) => x.name === 'direct_map');
  assert.equal(BigInt(dm.end) - BigInt(dm.start), 64n << 40n, 'the direct map is 64 TiB');
  for (const size of [[1280, 800], [800, 600]]) {
    const s = await openView(id, (await get(`/sessions/${id}`)).last_seq, size);
    await s.page.selectOption('#addrspace-kmalloc', k.addr);
    await s.page.waitForSelector(`#addrspace-svg polygon.as-band[data-vaddr="${k.addr}"]`);
    await s.page.selectOption('#addrspace-vmalloc', v.addr);
    await s.page.waitForSelector(`#addrspace-svg path.as-fan.as-vmalloc[data-vaddrs="${v.addr}"]`);
    const minPx = await s.page.evaluate(async () => (await import('/js/addrspace.js')).MIN_PX);
    assert.ok(minPx >= 10, `MIN_PX ${minPx}`);
    const g = await rulers(s.page);
    const ticks = await s.page.$$eval('#addrspace-svg path.as-ticks', (ps) => ps.flatMap((p) =>
      [...p.getAttribute('d').matchAll(/M[\d.]+,([\d.]+)h/g)].map((m) => Number(m[1]))));
    for (const [what, addr] of [['kmalloc', k.addr], ['vmalloc', v.addr]]) {
      const page = BigInt(addr) / 4096n * 4096n;
      const seg = g.virt.find((x) => BigInt(x.start) <= page && page < BigInt(x.end));
      assert.ok(seg.w > 0 && /as-lens/.test(await s.page.getAttribute(
        `#addrspace-svg rect.as-seg[data-start="${seg.start}"]`, 'class')), `the ${what} page is in a lens`);
      const top = yOf(g.virt, page), bottom = yOf(g.virt, page + 4096n);
      assert.ok(bottom - top >= minPx - 1e-6, `the ${what} page ${addr} is ${bottom - top} px high, less than ${minPx}`);
      // Its bounds are drawn: a tick at each.
      for (const y of [top, bottom])
        assert.ok(ticks.some((t) => Math.abs(t - y) < 0.01), `a tick at ${y} bounds the ${what} page`);
    }
    // In the same view, the direct map: every part drawn, named with its size.
    const parts = g.virt.filter((x) => x.name === 'direct_map');
    assert.equal(parts[0].start, dm.start);
    assert.equal(parts.at(-1).end, dm.end);
    assert.ok(parts.reduce((n, x) => n + x.h, 0) >= minPx);
    assert.match(await s.page.textContent('#addrspace-svg text.as-label[data-name="direct_map"]'), /64 TiB/);
    await s.done();
  }
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

test('boot page tables: the decompressor\'s, early_top_pgt, trampoline_pgd and kexec\'s can be chosen while a CR3 points at them', async () => {
  const r = await postJson(api('/sessions'), { name: 'boot tables', machine: { mem_mib: 512, cpus: 2, start: 'poweron' } });
  assert.equal(r.status, 201);
  const id = r.body.id;
  for (const until of ['extract_kernel', '__startup_64', 'done'])
    assert.deepEqual((await apply(id, [{ op: 'boot', until }]))[0], { ok: true, stage: until });
  await apply(id, [{ op: 'paging', cpu: 1, enable: true, kexec: true }]);
  const stages = Object.fromEntries((await get(`/sessions/${id}/events?type=boot_stage&limit=100`)).events
    .map((e) => [e.detail, e.seq]));
  const pgOn = (await get(`/sessions/${id}/events?type=paging_enable&limit=10`)).events.find((e) => e.cpu === 1);
  const last = (await get(`/sessions/${id}`)).last_seq;
  const s = await openView(id, last);
  for (const [seq, cpu, name] of [[stages.extract_kernel, 0, /^top_level_pgt \(decompressor\)$/],
                                  [stages.__startup_64, 0, /^early_top_pgt$/],
                                  [pgOn.seq, 1, /^trampoline_pgd$/], [last, 1, /^kexec/]]) {
    await s.page.locator('#tb-slider').evaluate((el, v) => {
      el.value = String(v);
      el.dispatchEvent(new Event('input', { bubbles: true }));
    }, seq);
    await s.page.waitForSelector(`#addrspace-svg[data-seq="${seq}"]`);
    const t = await get(`/sessions/${id}/pagetable/tree?pid=cr3:${cpu}&at=${seq}`);
    assert.match(t.root_name, name);
    // Offered: the table CR3 points at, named, and the tables under it.
    const offered = await s.page.$$eval('#addrspace-pgtable option', (os) => os.map((o) => [o.value, o.textContent]));
    const root = offered.find(([v]) => v === String(t.root_pfn));
    assert.ok(root, `${t.root_name} (pfn ${t.root_pfn}) is offered at seq ${seq}: ${JSON.stringify(offered)}`);
    assert.ok(root[1].startsWith(`${t.root_name} (CR3 of CPU ${cpu}`), root[1]);
    for (const e of t.entries.filter((x) => !x.leaf))
      assert.ok(offered.some(([v]) => v === String(e.target_pfn)), `the table under ${t.root_name}[${e.index}] is offered`);
    // Chosen: lines from its aliases, the addresses whose walk in its own
    // tables reaches its frame, and once init_mm's tables are built, its
    // direct-map address there.
    await s.page.selectOption('#addrspace-pgtable', String(t.root_pfn));
    // The summary and the SVG are drawn together: once it names the table at this seq, the lines are there.
    await s.page.waitForFunction(([at, table]) => {
      const text = document.getElementById('addrspace-summary').textContent;
      return text.startsWith(`seq ${at},`) && text.includes(table);
    }, [seq, `page table pfn 0x${t.root_pfn.toString(16)} (`]);
    const layout = await get(`/sessions/${id}/vmlayout?at=${seq}`);
    const pa = BigInt(t.root_pfn) * 4096n;
    const base = (n) => BigInt(layout.regions.find((x) => x.name === n).start);
    const expected = [];
    const initMm = (await getJson(api(`/sessions/${id}/pagetable/tree?pid=kernel&at=${seq}`))).status === 200;
    for (const va of [pa, base('direct_map') + pa, base('kernel_text') + pa]) {
      const w = await get(`/sessions/${id}/pagetable?pid=cr3:${cpu}&vaddr=0x${va.toString(16)}&at=${seq}`);
      const k = initMm && va === base('direct_map') + pa &&
        await get(`/sessions/${id}/pagetable?pid=kernel&vaddr=0x${va.toString(16)}&at=${seq}`);
      if ((!w.fault && BigInt(w.paddr) === pa) || (k && !k.fault && BigInt(k.paddr) === pa))
        expected.push(`0x${va.toString(16)}`);
    }
    assert.ok(expected.length >= 1, `${t.root_name} maps itself`);
    const lines = await fanLines(s.page, 'pgtable');
    assert.deepEqual(lines.map((l) => [l.vaddr, l.pfn]), expected.map((va) => [va, t.root_pfn]));
    const g = await rulers(s.page);
    for (const l of lines) {
      near(l.y1, yOf(g.virt, BigInt(l.vaddr) + 2048n), `${t.root_name} alias ${l.vaddr}`);
      near(l.y2, yOf(g.phys, BigInt(l.pfn), 0.5), `${t.root_name} frame ${l.pfn}`);
    }
    assert.match(await s.page.textContent('#addrspace-summary'),
                 new RegExp(`'s tree, CR3 of CPU ${cpu}\\): ${expected.length} virtual alias`));
  }
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
