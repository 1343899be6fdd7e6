// addrspace.js - the "Address spaces" view: two rulers side by side, the
// x86-64 virtual layout (GET .../vmlayout: user space, the non-canonical hole,
// the direct map, vmalloc, vmemmap, ... the fixmap) on the left and physical
// memory (zones, their 16 MiB and 4 GiB boundaries, holes, and frames coloured
// by owner from .../zones and .../physmap) on the right, with the mapping of
// the chosen objects drawn between them:
//  - a kmalloc object: one straight band from the direct map to one run of frames;
//  - a vmalloc area: a fan of lines, one per page, to frames scattered anywhere;
//  - a user VMA: one line per demand-paged page to its frame (the walk of each page);
//  - a page-table page: its aliases (direct map, kernel image, identity map)
//    to its frame, for init_mm's tables and for the boot's, those a CPU's CR3
//    points at (decompressor, early_top_pgt, trampoline_pgd, kexec).
// Both rulers are segmented: every region or zone gets a band of the height, a
// lens around each chosen object widens its few pages, so that a 4 KiB page
// and a 64 TiB region are both visible: each page of a lens of up to five
// pages is at least MIN_PX high (the rulers grow to make room). Scales:
// d3-scale, vendored from npm.
// Objects come from the session's views and events at the timeline's seq, so
// any session at any moment works, scenario runs included.
import { el, hex } from './format.js';
import * as url from './url.js';

const d3 = globalThis.d3;
const SVGNS = 'http://www.w3.org/2000/svg';
const PAGE = 4096n;
const MAX_VMA_PAGES = 64;	// pages of a VMA walked for its frames
export const MIN_PX = 15;	// the least height of a ruler's segment, and of a page in a small lens
const LENS_WEIGHT = 9;		// a lens's weight beside a region's (1..~8)
const LENS_FLOOR_PAGES = 5;	// a lens of up to this many pages draws each at least MIN_PX high
const COLOURS = { kmalloc: '#d100d1', vmalloc: '#0096c7', vma: '#f77f00', pgtable: '#2b9348' };
const REGION_FILL = { user: '#dbe9f6', kernel: '#e8e3f3', hole: '#f1f1ee', gap: '#f7f7f5' };

const big = (h) => BigInt(h);
const hexOf = (b) => `0x${b.toString(16)}`;

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs))
    node.setAttribute(k, String(v));
  node.append(...children);
  return node;
}

const threeDigits = d3.format('.3~r');

// Bytes as the kernel's documentation writes sizes: 4 KiB, 64 TiB, 16 EiB.
export function sizeText(bytes) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  const b = BigInt(bytes);
  let u = 0;
  while (u < units.length - 1 && b >= 1n << BigInt(10 * (u + 1)))
    u++;
  const v = Number(b >> BigInt(Math.max(10 * u - 20, 0))) / 2 ** Math.min(10 * u, 20);
  return `${threeDigits(v)} ${units[u]}`;
}

// Segments [start, end) of one ruler cut at the lenses' bounds; the pieces
// inside a lens are marked so. @lenses: sorted, disjoint [lo, hi) pairs.
function cutLenses(segments, lenses) {
  const out = [];
  for (const s of segments) {
    const cuts = [s.start];
    for (const [lo, hi] of lenses)
      for (const c of [lo, hi])
        if (c > s.start && c < s.end)
          cuts.push(c);
    cuts.push(s.end);
    cuts.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (let i = 0; i + 1 < cuts.length; i++) {
      if (cuts[i] === cuts[i + 1])
        continue;
      const lens = lenses.some(([lo, hi]) => cuts[i] >= lo && cuts[i + 1] <= hi);
      out.push({ ...s, start: cuts[i], end: cuts[i + 1], lens });
    }
  }
  return out;
}

// Intervals [lo, hi) widened by a quarter of their size each side (at least
// @pad), kept within [min, max), sorted and merged; at most MAX_LENSES of
// them, joined across the smallest gaps when there are more.
const MAX_LENSES = 12;
function lensesOf(intervals, pad, min, max) {
  const w = intervals.map(([lo, hi]) => {
    const p = (hi - lo) / 4n > pad ? (hi - lo) / 4n : pad;
    return [lo - p < min ? min : lo - p, hi + p > max ? max : hi + p];
  }).sort((a, b) => (a[0] < b[0] ? -1 : 1));
  let out = [];
  for (const x of w) {
    const last = out.at(-1);
    if (last && x[0] <= last[1])
      last[1] = x[1] > last[1] ? x[1] : last[1];
    else
      out.push([...x]);
  }
  if (out.length > MAX_LENSES) {
    const gaps = out.slice(1).map((x, i) => ({ i, gap: x[0] - out[i][1] }))
      .sort((a, b) => (a.gap > b.gap ? -1 : a.gap < b.gap ? 1 : 0)).slice(0, MAX_LENSES - 1)
      .map((x) => x.i).sort((a, b) => a - b);
    let from = 0;
    const joined = [];
    for (const i of [...gaps, out.length - 1]) {
      joined.push([out[from][0], out[i][1]]);
      from = i + 1;
    }
    out = joined;
  }
  return out;
}

const bySegmentStart = d3.bisector((s) => s.start);

// The least height of a lens's piece of @pages pages (or frames): MIN_PX a
// page, so that one 4 KiB page is as visible as a 64 TiB region; a larger
// lens gets that of LENS_FLOOR_PAGES pages, its pages thinner.
function lensFloor(pages) {
  return MIN_PX * Math.min(pages, LENS_FLOOR_PAGES);
}

// The height the segments need: their floors (MIN_PX, or a lens's) and a
// quarter more to share by weight; at least @base.
function neededHeight(segments, base) {
  return Math.max(base, Math.ceil(d3.sum(segments, (s) => s.floor ?? MIN_PX) * 1.25));
}

// A segmented scale over [y0, y0 + height): each segment's height its floor
// (MIN_PX unless it has one) and a share of the rest in proportion to its
// weight, linear within it (d3.scaleLinear over the offset from its start).
// y(a) of a BigInt; invert(y) a BigInt.
export function segmentedScale(segments, y0, height) {
  const total = d3.sum(segments, (s) => s.weight);
  const minPx = Math.min(MIN_PX, height * 0.5 / segments.length);
  const floors = d3.sum(segments, (s) => s.floor ?? minPx);
  const squeeze = Math.min(1, height / floors);	// floors never overflow the height
  const spare = Math.max(height - floors * squeeze, 0);
  let y = y0;
  for (const s of segments) {
    const h = (s.floor ?? minPx) * squeeze + spare * s.weight / total;
    s.y0 = y;
    s.y1 = y + h;
    s.scale = d3.scaleLinear().domain([0, Number(s.end - s.start)]).range([s.y0, s.y1]);
    y = s.y1;
  }
  const find = (a) => segments[Math.max(bySegmentStart.right(segments, a) - 1, 0)];
  return {
    segments,
    y: (a) => {
      const s = find(a);
      return s.scale(Number((a < s.start ? s.start : a > s.end ? s.end : a) - s.start));
    },
    invert: (py) => {
      const s = segments.find((x) => py >= x.y0 && py < x.y1) || segments.at(-1);
      return s.start + BigInt(Math.max(0, Math.round(s.scale.invert(py))));
    },
  };
}

// The virtual ruler's segments: the regions and the unnamed gaps between them.
function virtualSegments(layout) {
  const out = [];
  let at = 0n;
  const weight = (kind, size) => (kind === 'hole' || kind === 'gap' ? 0.6 :
    1 + Math.log2(Number(size / PAGE) || 1) / 6);
  for (const r of layout.regions) {
    const start = big(r.start), end = big(r.end);
    if (start > at)
      out.push({ kind: 'gap', name: 'unused', label: 'unused hole', start: at, end: start,
                 weight: weight('gap') });
    out.push({ kind: r.kind, name: r.name, label: r.label, start, end, region: r,
               weight: weight(r.kind, end - start) });
    at = end;
  }
  const top = 1n << 64n;
  if (at < top)
    out.push({ kind: 'gap', name: 'unused', label: 'unused hole', start: at, end: top, weight: 0.6 });
  return out;
}

// Runs of one owner code in @bytes of at least @min frames.
function runsOf(bytes, code, min) {
  const out = [];
  for (let i = 0; i < bytes.length;) {
    if (bytes[i] !== code) {
      i++;
      continue;
    }
    let j = i;
    while (j < bytes.length && bytes[j] === code)
      j++;
    if (j - i >= min)
      out.push([i, j]);
    i = j;
  }
  return out;
}

// The physical ruler's segments (in pfns): each zone's span, less the holes
// of at least 1 MiB inside it, which get a thin band of their own.
function physicalSegments(zones, bytes, holes) {
  const out = [];
  const sorted = zones.zones.filter((z) => z.spanned > 0).sort((a, b) => a.start_pfn - b.start_pfn);
  let at = 0;
  const push = (kind, name, s, e, zone = null) => {
    if (e > s)
      out.push({ kind, name, zone, start: BigInt(s), end: BigInt(e),
                 weight: kind === 'hole' ? 0.6 : 1 + Math.log2(e - s) / 4 });
  };
  for (const z of sorted) {
    const end = z.start_pfn + z.spanned;
    z.label = zones.nodes > 1 ? `${z.name} (node ${z.node})` : z.name;
    if (z.start_pfn > at)
      push('hole', 'hole', at, z.start_pfn);
    let s = Math.max(z.start_pfn, at);
    for (const [hs, he] of holes) {
      if (he <= s || hs >= end)
        continue;
      push('zone', z.name, s, hs, z);
      push('hole', 'hole', Math.max(hs, s), Math.min(he, end));
      s = Math.min(he, end);
    }
    push('zone', z.name, s, end, z);
    at = Math.max(at, end);
  }
  if (bytes.length > at)
    push('hole', 'hole', at, bytes.length);
  return out;
}

// @bytes (one owner code a frame) as runs of one code: their first frames and codes.
function ownerRuns(bytes) {
  let n = bytes.length ? 1 : 0;
  for (let i = 1; i < bytes.length; i++)
    if (bytes[i] !== bytes[i - 1])
      n++;
  const starts = new Uint32Array(n + 1), codes = new Uint8Array(n);
  for (let i = 0, r = 0; i < bytes.length; i++)
    if (i === 0 || bytes[i] !== bytes[i - 1]) {
      starts[r] = i;
      codes[r++] = bytes[i];
    }
  starts[n] = bytes.length;
  return { starts, codes };
}

// The code most frames of [from, to) have, from the runs.
function majority(runs, from, to, counts) {
  const { starts, codes } = runs;
  let lo = 0, hi = codes.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= from)
      lo = mid;
    else
      hi = mid - 1;
  }
  counts.fill(0);
  let best = codes[lo], n = 0;
  for (let r = lo; r < codes.length && starts[r] < to; r++) {
    const k = counts[codes[r]] += Math.min(starts[r + 1], to) - Math.max(starts[r], from);
    if (k > n) {
      n = k;
      best = codes[r];
    }
  }
  return best;
}

// Live kmalloc objects at a seq, from the session's kmalloc, kmalloc_large
// and kfree events (fetched once and then only the new ones).
function createObjectLog() {
  let cache = { id: null, since: {}, events: [] };
  const TYPES = ['kmalloc', 'kmalloc_large', 'kfree'];

  async function load(s) {
    if (cache.id !== s.id)
      cache = { id: s.id, since: Object.fromEntries(TYPES.map((t) => [t, 0])), events: [] };
    const c = cache;
    await Promise.all(TYPES.map(async (type) => {
      for (let page = 0; page < 100; page++) {
        const r = await s.events({ since: c.since[type], limit: 10000, type });
        c.events.push(...r.events);
        c.since[type] = r.next_since;
        if (r.events.length < 10000)
          break;
      }
    }));
    c.events.sort((a, b) => a.seq - b.seq);
    return c;
  }

  // The objects alive just after event @seq (null: now), newest last.
  function liveAt(c, seq) {
    const live = new Map();
    for (const e of c.events) {
      if (seq !== null && e.seq > seq)
        break;
      if (e.type === 'kfree')
        live.delete(e.vaddr);
      else
        live.set(e.vaddr, e);
    }
    return [...live.values()];
  }
  return { load, liveAt };
}

// The link that opens the page-table walk of @addr in this session, at this seq.
export function pageTablesLink(addr) {
  return url.href({ view: 'pagetables', addr, pfn: null, sel: null });
}

// The marks of the CPUs' instruction pointers: where each running CPU
// fetches (CPU 0 always, a secondary once started), CPUs at one address
// sharing a mark. With paging off RIP is a physical address; the boot's jump
// from the identity map (low) to __START_KERNEL_map (high) in
// common_startup_64 (arch/x86/kernel/head_64.S) shows as the mark moving.
function ripMarks(cpus) {
  const at = new Map();
  for (const c of cpus.filter((x) => x.cpu === 0 || x.online || x.mode !== 'real')) {
    const m = at.get(c.rip) || { addr: big(c.rip), cpus: [], pg: c.cr0.pg, rip: true };
    m.cpus.push(c.cpu);
    at.set(c.rip, m);
  }
  return [...at.values()].map((m) => ({ ...m, label: `RIP CPU ${m.cpus.join(', ')}` +
    (m.pg ? '' : ' (paging off: physical)') }));
}

let instance = null;

// Mark @addr (a hex string or BigInt) on the virtual ruler with @label; for
// other views (the boot filmstrip draws RIP's jump from low to high with two).
export function markAddress(addr, label = '') {
  instance?.markAddress(addr, label);
}

export function clearMarks() {
  instance?.clearMarks();
}

// Draw the rulers again from the data they hold (a benchmark times this);
// @cold: the physical ruler's owner colour of each pixel row is computed
// again too (from the runs of owners a refresh found), as after a seq moved.
export function redraw(cold = false) {
  instance?.draw(cold);
}

// @refreshNow() asks for the view's data again (a choice changed).
export function createAddrspace(refreshNow) {
  const root = document.getElementById('addrspace-svg');
  const box = document.getElementById('addrspace-rulers');
  const summary = document.getElementById('addrspace-summary');
  const clicked = document.getElementById('addrspace-address');
  const legend = document.getElementById('addrspace-legend');
  const pick = {
    kmalloc: document.getElementById('addrspace-kmalloc'),
    vmalloc: document.getElementById('addrspace-vmalloc'),
    vma: document.getElementById('addrspace-vma'),
    pgtable: document.getElementById('addrspace-pgtable'),
  };
  const objects = createObjectLog();
  let data = null;		// what the last refresh read
  let marks = [];		// [{ addr: BigInt, label }]
  let strip = null;		// the owner colours of the physical ruler, by key
  const choice = { kmalloc: 'auto', vmalloc: 'auto', vma: '', pgtable: '' };
  let linked = null;		// the URL's sel last applied to the pickers

  // The URL's sel ("kmalloc:0x...,vmalloc:0x...,vma:PID:0x...,pgtable:PFN")
  // chooses the objects drawn; a changed picker writes it back.
  function takeLink() {
    const sel = url.get('sel');
    if (!sel || sel === linked)
      return;
    linked = sel;
    for (const part of sel.split(',')) {
      const i = part.indexOf(':');
      if (i > 0 && part.slice(0, i) in choice)
        choice[part.slice(0, i)] = part.slice(i + 1);
    }
  }

  function writeLink() {
    linked = Object.entries(choice).filter(([, v]) => v && v !== 'auto').map(([k, v]) => `${k}:${v}`).join(',');
    url.set({ sel: linked || null });
  }

  function reset() {
    data = null;
    strip = null;
    choice.kmalloc = choice.vmalloc = 'auto';
    choice.vma = choice.pgtable = '';
    linked = null;
    for (const k of Object.keys(pick))
      pick[k].replaceChildren();
  }

  // The options of one picker; keeps the choice when it still exists.
  function fillPicker(kind, items, autoText) {
    const sel = pick[kind];
    const opts = [el('option', { value: '' }, 'none')];
    if (autoText)
      opts.push(el('option', { value: 'auto' }, autoText));
    for (const it of items)
      opts.push(el('option', { value: it.key }, it.text));
    sel.replaceChildren(...opts);
    if (choice[kind] && choice[kind] !== 'auto' && !items.some((it) => it.key === choice[kind]))
      choice[kind] = autoText ? 'auto' : '';
    sel.value = choice[kind];
  }

  // The chosen object of a kind, resolving "auto" to the largest (newest of equals).
  function chosen(kind, items, size) {
    if (choice[kind] === 'auto')
      return items.reduce((b, x) => (!b || size(x) >= size(b) ? x : b), null);
    return items.find((x) => x.key === choice[kind]) || null;
  }

  async function vmaFrames(s, pid, vma) {
    const start = big(vma.start), end = big(vma.end);
    const n = Math.min(Number((end - start) / PAGE), MAX_VMA_PAGES);
    const walks = await Promise.all(Array.from({ length: n }, (_, i) =>
      s.pagetableWalk(pid, hexOf(start + BigInt(i) * PAGE)).catch(() => null)));
    return walks.map((w, i) => ({ vaddr: start + BigInt(i) * PAGE,
                                  pfn: w && !w.fault && w.paddr ? Number(big(w.paddr) / PAGE) : null }));
  }

  // A page-table page's virtual aliases, lowest first. Once init_mm's
  // tables are built (@built), its direct map maps every frame, so that
  // alias always; the others (the identity map, the direct map before that,
  // the kernel image's mapping: __START_KERNEL_map + its physical address,
  // phys_base 0) when the walk of that address in the table's own tree
  // (@table.space: init_mm, or the CR3 of a CPU for a boot table) reaches
  // the same frame.
  async function tableAliases(s, layout, table, built) {
    const base = (name) => big(layout.regions.find((r) => r.name === name).start);
    const pa = BigInt(table.pfn) * PAGE, direct = base('direct_map') + pa, high = base('kernel_text') + pa;
    const asked = (table.space === 'kernel' ? [high] : [pa, direct, high]).filter((va) => !built || va !== direct);
    const walks = await Promise.all(asked.map((va) => s.pagetableWalk(table.space, hexOf(va)).catch(() => null)));
    const found = asked.filter((va, i) => walks[i] && !walks[i].fault && walks[i].paddr && big(walks[i].paddr) === pa);
    return (built ? [direct, ...found] : found).sort((a, b) => (a < b ? -1 : 1));
  }

  // The tables the CPUs' CR3 point at that are neither init_mm's nor a
  // process's: the decompressor's and the early ones during the boot,
  // trampoline_pgd while a secondary CPU comes up, kexec's tables. Each
  // with the CPUs using it.
  async function bootTables(s, cpus, initRoot) {
    const byRoot = new Map();
    for (const c of cpus.filter((x) => x.cr0.pg)) {
      const pfn = Number(big(c.cr3) >> 12n);
      if (pfn !== initRoot)
        byRoot.set(pfn, [...(byRoot.get(pfn) || []), c.cpu]);
    }
    const trees = await Promise.all([...byRoot.values()].map((list) =>
      s.pagetableTree(`cr3:${list[0]}`).catch(() => null)));
    return trees.map((t, i) => t && { tree: t, cpus: [...byRoot.values()][i] })
      .filter((x) => x && x.tree.root_name !== 'mm->pgd');
  }

  // The upper tables of one tree: its root and the tables its entries point at.
  // @where: the tree, as the summary names it ('' for init_mm's).
  function tablesOf(tree, space, rootText, name, where = '') {
    return [{ key: String(tree.root_pfn), pfn: tree.root_pfn, space, where, text: rootText },
      ...tree.entries.filter((e) => !e.leaf).map((e) => ({ key: String(e.target_pfn), pfn: e.target_pfn, space, where,
        text: `table under ${name}[${e.index}] (${e.vaddr}), pfn ${hex(e.target_pfn)}` }))];
  }

  // What can be chosen: live kmalloc objects, vmalloc areas, VMAs, the
  // kernel's upper tables and those of the boot tables in CR3 (a table
  // shared by two trees listed once, under the first).
  function listObjects(s, vm, procs, tree, boot, log) {
    const tables = tree ? tablesOf(tree, 'kernel', `PGD (CR3 of init_mm), pfn ${hex(tree.root_pfn)}`, 'PGD') : [];
    for (const b of boot) {
      const name = (b.tree.root_name || 'CR3').replace(/ \(.*\)$/, '');
      const cr3 = `CR3 of CPU ${b.cpus.join(', ')}`;
      tables.push(...tablesOf(b.tree, `cr3:${b.cpus[0]}`, `${b.tree.root_name} (${cr3}), pfn ${hex(b.tree.root_pfn)}`,
                              name, ` (${name}'s tree, ${cr3})`));
    }
    return {
      kmalloc: objects.liveAt(log, s.at).map((e) => ({
        key: e.vaddr, vaddr: big(e.vaddr), paddr: big(e.paddr), size: e.value,
        text: `${e.vaddr} ${e.detail} ${sizeText(e.value)} (seq ${e.seq})` })),
      vmalloc: vm.areas.map((a) => ({ key: a.addr, ...a, text: `${a.addr} ${a.nr_pages} page(s) ${a.caller}` })),
      vma: procs.processes.flatMap((p) => p.vmas.map((v) => ({
        key: `${p.pid}:${v.start}`, pid: p.pid, ...v,
        text: `pid ${p.pid} ${p.name}: ${v.start}-${v.end} ${v.prot} ${v.name}` }))),
      pgtable: tables.filter((t, i) => tables.findIndex((x) => x.key === t.key) === i),
    };
  }

  // The pickers filled and the objects they choose.
  function choose(lists) {
    fillPicker('kmalloc', lists.kmalloc, 'the largest live object');
    fillPicker('vmalloc', lists.vmalloc, 'the largest area');
    fillPicker('vma', lists.vma, null);
    fillPicker('pgtable', lists.pgtable, null);
    return {
      kmalloc: chosen('kmalloc', lists.kmalloc, (x) => x.size),
      vmalloc: chosen('vmalloc', lists.vmalloc, (x) => x.nr_pages),
      vma: chosen('vma', lists.vma, () => 0),
      pgtable: chosen('pgtable', lists.pgtable, () => 0),
    };
  }

  async function refresh(s, fresh) {
    const [layout, zones, legendData, bytes, vm, procs, log, cpus] = await Promise.all([
      s.vmlayout(), s.zones(), s.legend(), s.physmap(), s.vmalloc(), s.processes(), objects.load(s),
      s.cpus()]);
    // The kernel's tables, once built (the upper half maps something).
    const built = layout.regions.some((r) => r.kind === 'kernel' && r.page_sizes.length);
    const tree = built ? await s.pagetableTree('kernel') : null;
    const boot = await bootTables(s, cpus.cpus, tree ? tree.root_pfn : null);
    if (!fresh())
      return;
    takeLink();
    const chose = choose(listObjects(s, vm, procs, tree, boot, log));
    const [vmaPages, aliases] = await Promise.all([
      chose.vma ? vmaFrames(s, chose.vma.pid, chose.vma) : null,
      chose.pgtable ? tableAliases(s, layout, chose.pgtable, tree !== null) : null]);
    if (!fresh())
      return;
    const holeCode = legendData.codes.find((c) => c.name === 'hole')?.code ?? 0;
    strip = null;
    data = { seq: layout.seq, layout, zones, legend: legendData, bytes, chose, vmaPages, aliases,
             rips: ripMarks(cpus.cpus),
             maps: mappings({ chose, vmaPages, aliases }),
             holes: runsOf(bytes, holeCode, 256), runs: ownerRuns(bytes) };
    draw();
    root.dataset.seq = String(layout.seq);
    root.dataset.ready = 'true';
  }

  // The virtual intervals and frame ranges of the chosen objects.
  function mappings({ chose, vmaPages, aliases }) {
    const out = [];
    if (chose.kmalloc) {
      const k = chose.kmalloc;
      out.push({ kind: 'kmalloc', v: [k.vaddr, k.vaddr + BigInt(k.size)],
                 p: [k.paddr, k.paddr + BigInt(k.size)], obj: k });
    }
    if (chose.vmalloc) {
      const a = chose.vmalloc, start = big(a.addr);
      out.push({ kind: 'vmalloc', v: [start, start + BigInt(a.nr_pages) * PAGE], obj: a,
                 lines: a.pfns.map((pfn, i) => ({ vaddr: start + BigInt(i) * PAGE, pfn })) });
    }
    if (chose.vma && vmaPages) {
      const present = vmaPages.filter((x) => x.pfn !== null);
      out.push({ kind: 'vma', v: [big(chose.vma.start), big(chose.vma.start) + BigInt(vmaPages.length) * PAGE],
                 obj: chose.vma, lines: present });
    }
    if (chose.pgtable && aliases)
      for (const va of aliases)
        out.push({ kind: 'pgtable', v: [va, va + PAGE], obj: chose.pgtable,
                   lines: [{ vaddr: va, pfn: chose.pgtable.pfn }] });
    return out;
  }

  function geometry(width) {
    const narrow = width < 560;
    const label = narrow ? Math.round(width * 0.27) : Math.min(Math.round(width * 0.24), 230);
    const bar = narrow ? 14 : 22;
    return { narrow, width, label, bar, vx: label + 6, px: width - label - 6 - bar,
             top: 34, height: narrow ? 620 : 680 };
  }

  function draw(cold = false) {
    if (!data || !box.clientWidth)
      return;
    if (cold)
      strip = null;
    const width = Math.max(box.clientWidth, 320);
    const g = geometry(width);
    const maps = data.maps;
    const pfnOf = (b) => b / PAGE;
    // The pages RIP is in are magnified too, so that its mark sits clearly inside a region.
    const ripPages = (data.rips || []).map((m) => [m.addr / PAGE * PAGE, m.addr / PAGE * PAGE + PAGE]);
    const vLens = lensesOf([...maps.map((m) => m.v), ...ripPages], PAGE * 2n, 0n, 1n << 64n);
    const pIntervals = maps.flatMap((m) => (m.p ? [[pfnOf(m.p[0]), pfnOf(m.p[1] + PAGE - 1n)]] :
      m.lines.map((l) => [BigInt(l.pfn), BigInt(l.pfn) + 1n])));
    const pLens = lensesOf(pIntervals, 3n, 0n, BigInt(data.bytes.length));
    const vSegs = cutLenses(virtualSegments(data.layout), vLens);
    const pSegs = cutLenses(physicalSegments(data.zones, data.bytes, data.holes), pLens);
    for (const s of [...vSegs, ...pSegs])
      if (s.lens)
        s.weight = LENS_WEIGHT;
    for (const s of vSegs.filter((x) => x.lens))
      s.floor = lensFloor(Number(s.end - s.start) / Number(PAGE));
    for (const s of pSegs.filter((x) => x.lens))
      s.floor = lensFloor(Number(s.end - s.start));
    g.height = Math.max(neededHeight(vSegs, g.height), neededHeight(pSegs, g.height));
    const vs = segmentedScale(vSegs, g.top, g.height);
    const ps = segmentedScale(pSegs, g.top, g.height);
    const svgHeight = g.top + g.height + 24;
    const nodes = [
      svg('text', { x: g.vx + g.bar / 2, y: 14, 'text-anchor': 'middle', class: 'as-title' }, 'virtual'),
      svg('text', { x: g.px + g.bar / 2, y: 14, 'text-anchor': 'middle', class: 'as-title' }, 'physical'),
      drawVirtual(vs, g), drawPhysical(ps, g), drawMappings(maps, vs, ps, g), drawMarks(vs, g),
    ];
    root.setAttribute('viewBox', `0 0 ${width} ${svgHeight}`);
    root.setAttribute('width', width);
    root.setAttribute('height', svgHeight);
    root.replaceChildren(...nodes);
    root.__scales = { vs, ps };
    writeSummary(maps);
  }

  function segmentText(s, g) {
    const name = s.kind === 'gap' ? 'unused' : s.name.replace('_', ' ');
    const size = s.region ? big(s.region.end) - big(s.region.start) : s.end - s.start;
    return g.narrow ? name : `${name} ${sizeText(size)}`;
  }

  // The part of a region cut by lenses that carries its label: the tallest.
  function labelled(segments) {
    const best = new Map();
    for (const s of segments) {
      const k = s.region ? s.name : s.zone ? s.zone : `${s.start}`;
      if (!s.lens && (!best.has(k) || s.y1 - s.y0 > best.get(k).y1 - best.get(k).y0))
        best.set(k, s);
    }
    return new Set(best.values());
  }

  function drawVirtual(vs, g) {
    const group = svg('g', { class: 'as-virtual' });
    const withLabel = labelled(vs.segments);
    for (const s of vs.segments) {
      const h = s.y1 - s.y0;
      const rect = svg('rect', { x: g.vx, y: s.y0, width: g.bar, height: h,
        fill: REGION_FILL[s.kind], stroke: s.lens ? '#1d3557' : '#9aa0a6', 'stroke-width': 0.5,
        class: `as-seg as-${s.kind}${s.lens ? ' as-lens' : ''}`, 'data-name': s.name,
        'data-start': hexOf(s.start), 'data-end': hexOf(s.end) });
      rect.append(svg('title', {}, `${s.label || s.name}: ${hexOf(s.start)}-${hexOf(s.end)} ` +
        `(${sizeText(s.end - s.start)})${s.region?.page_sizes.length ? `, mapped by ${s.region.page_sizes.join(', ')} pages` : ''}`));
      group.append(rect);
      if (s.lens) {
        let ticks = '';
        for (let a = s.start - s.start % PAGE; a < s.end && (s.end - s.start) / PAGE <= 256n; a += PAGE)
          ticks += `M${g.vx},${vs.y(a).toFixed(2)}h${g.bar}`;
        if (ticks)
          group.append(svg('path', { d: ticks, stroke: '#c8c8c8', 'stroke-width': 0.5, class: 'as-ticks' }));
        continue;
      }
      if (!withLabel.has(s))
        continue;
      const cy = (s.y0 + s.y1) / 2;
      group.append(svg('text', { x: g.vx - 4, y: cy + 4, 'text-anchor': 'end',
        class: `as-label as-label-${s.kind}`, 'data-name': s.name }, segmentText(s, g)));
    }
    const starts = vs.segments.filter((s) => s.region && s.start === big(s.region.start) &&
      ['direct_map', 'vmalloc', 'kernel_text', 'user'].includes(s.name));
    const objects = data.maps.map((m) => vs.y(m.v[0]));
    for (const s of g.narrow ? [] : starts.filter((x) => x.y1 - x.y0 >= 28 &&
                                                  objects.every((y) => Math.abs(y - x.y0) > 14)))
      group.append(svg('text', { x: g.vx - 4, y: s.y0 + 9, 'text-anchor': 'end', class: 'as-addr' },
                       s.region.start));
    return group;
  }

  function drawPhysical(ps, g) {
    const group = svg('g', { class: 'as-physical' });
    const colours = data.legend.codes.map((c) => c.color);
    const key = `${data.seq}:${ps.segments.map((s) => `${s.start}-${s.end}:${s.y0.toFixed(1)}`).join(',')}`;
    if (!strip || strip.key !== key)
      strip = { key, rects: ownerStrip(ps) };
    // One path per owner: its rows' rectangles.
    const paths = new Map();
    for (const r of strip.rects)
      paths.set(r.code, `${paths.get(r.code) || ''}M${g.px},${r.y0.toFixed(2)}h${g.bar}V${r.y1.toFixed(2)}h-${g.bar}z`);
    for (const [code, d] of paths)
      group.append(svg('path', { d, fill: colours[code], class: 'as-owner', 'data-owner': data.legend.codes[code].name }));
    const withLabel = labelled(ps.segments.filter((x) => x.kind === 'zone'));
    for (const s of ps.segments) {
      group.append(svg('rect', { x: g.px, y: s.y0, width: g.bar, height: s.y1 - s.y0, fill: 'none',
        stroke: '#555', 'stroke-width': s.kind === 'hole' ? 0.5 : 0.8,
        class: `as-pseg as-${s.kind}${s.lens ? ' as-lens' : ''}`, 'data-name': s.name,
        'data-start-pfn': String(s.start), 'data-end-pfn': String(s.end) },
        svg('title', {}, `${s.name}: pfn ${hexOf(s.start)}-${hexOf(s.end)} (${sizeText((s.end - s.start) * PAGE)})`)));
      if (s.lens)
        group.append(svg('rect', { x: g.px - 2, y: s.y0, width: g.bar + 4, height: s.y1 - s.y0, fill: 'none',
                                   stroke: '#1d3557', 'stroke-dasharray': '3 2', class: 'as-plens' }),
                     svg('text', { x: g.px + g.bar + 4, y: s.y0 + 9, class: 'as-addr' },
                         `${hexOf(s.start * PAGE)}`));
      else if (withLabel.has(s))
        group.append(svg('text', { x: g.px + g.bar + 4, y: (s.y0 + s.y1) / 2 + 4, class: 'as-label' },
                         `${s.zone.label}${g.narrow ? '' : ` ${sizeText(BigInt(s.zone.spanned) * PAGE)}`}`));
      else if (s.kind === 'hole' && !g.narrow)
        group.append(svg('text', { x: g.px + g.bar + 4, y: (s.y0 + s.y1) / 2 + 4, class: 'as-label as-label-hole' }, 'hole'));
    }
    for (const z of data.zones.zones.filter((x) => x.spanned > 0)) {
      const y = ps.y(BigInt(z.start_pfn + z.spanned));
      group.append(svg('line', { x1: g.px - 6, x2: g.px + g.bar + 6, y1: y, y2: y, stroke: '#1d3557',
                                 'stroke-width': 1.5, class: 'as-zone-bound', 'data-pfn': z.start_pfn + z.spanned }));
      group.append(svg('text', { x: g.px - 8, y: y + 4, 'text-anchor': 'end', class: 'as-bound' },
                       sizeText(BigInt(z.start_pfn + z.spanned) * PAGE)));
    }
    return group;
  }

  // The owner colour of each pixel row of the physical ruler (the most
  // frequent among the frames the row covers), runs of one colour merged.
  function ownerStrip(ps) {
    const rects = [];
    const counts = new Float64Array(256);
    const runs = data.runs;
    for (const s of ps.segments) {
      if (s.kind === 'hole')
        continue;
      const first = Number(s.start), span = Number(s.end - s.start), h = s.y1 - s.y0;
      for (let y = Math.floor(s.y0); y < s.y1; y++) {
        const y0 = Math.max(y, s.y0), y1 = Math.min(y + 1, s.y1);
        const a = first + Math.floor((y0 - s.y0) / h * span);
        const b = Math.max(first + Math.ceil((y1 - s.y0) / h * span), a + 1);
        const code = majority(runs, Math.min(a, first + span - 1), Math.min(b, first + span), counts);
        const last = rects.at(-1);
        if (last && last.code === code && Math.abs(last.y1 - y0) < 1e-6)
          last.y1 = y1;
        else
          rects.push({ y0, y1, code });
      }
    }
    return rects;
  }

  function drawMappings(maps, vs, ps, g) {
    const group = svg('g', { class: 'as-mappings' });
    const x1 = g.vx + g.bar, x2 = g.px;
    for (const m of maps) {
      const colour = COLOURS[m.kind];
      if (m.kind === 'kmalloc') {
        const yv0 = vs.y(m.v[0]), yv1 = Math.max(vs.y(m.v[1]), yv0 + 2);
        const yp0 = ps.y(m.p[0] / PAGE) + (ps.y(m.p[0] / PAGE + 1n) - ps.y(m.p[0] / PAGE)) * Number(m.p[0] % PAGE) / 4096;
        const pEnd = (m.p[1] + PAGE - 1n) / PAGE;
        const yp1 = Math.max(ps.y(pEnd), yp0 + 2);
        group.append(svg('polygon', { points: `${x1},${yv0} ${x2},${yp0} ${x2},${yp1} ${x1},${yv1}`,
          fill: colour, 'fill-opacity': 0.45, stroke: colour, class: 'as-band',
          'data-vaddr': hexOf(m.v[0]), 'data-paddr': hexOf(m.p[0]), 'data-size': String(m.obj.size),
          'data-pfn': String(m.p[0] / PAGE), 'data-pfn-end': String(pEnd) },
          svg('title', {}, `kmalloc ${hexOf(m.v[0])} (${sizeText(m.obj.size)}) -> phys ${hexOf(m.p[0])}: one contiguous run`)));
      } else {
        // One path of one line a page, its pages and frames beside it in data-*.
        let d = '';
        for (const l of m.lines) {
          const yv = vs.y(l.vaddr + PAGE / 2n);
          const y0 = ps.y(BigInt(l.pfn)), yp = y0 + (ps.y(BigInt(l.pfn) + 1n) - y0) / 2;
          d += `M${x1},${yv.toFixed(3)}L${x2},${yp.toFixed(3)}`;
        }
        group.append(svg('path', { d, stroke: colour, fill: 'none', 'stroke-width': 1.2, 'stroke-opacity': 0.85,
          class: `as-fan as-${m.kind}`, 'data-vaddrs': m.lines.map((l) => hexOf(l.vaddr)).join(','),
          'data-pfns': m.lines.map((l) => l.pfn).join(',') }));
      }
      const yv0 = vs.y(m.v[0]), yv1 = vs.y(m.v[1]);
      group.append(svg('rect', { x: g.vx - 3, y: yv0, width: 3, height: Math.max(yv1 - yv0, 2),
                                 fill: colour, class: `as-vrange as-vrange-${m.kind}` }));
      if (!g.narrow)
        group.append(svg('text', { x: g.vx - 6, y: (yv0 + yv1) / 2 + 4, 'text-anchor': 'end', style: `fill:${colour}`,
                                   class: 'as-addr as-obj-addr' }, hexOf(m.v[0])));
    }
    return group;
  }

  // Each mark an arrow at its address; labels that would overlap are moved
  // down (a leader line from the arrow) so that every one stays readable.
  function drawMarks(vs, g) {
    const group = svg('g', { class: 'as-marks' });
    const all = [...(data.rips || []), ...marks].map((m) => ({ ...m, y: vs.y(m.addr) }));
    let free = -Infinity;
    for (const m of [...all].sort((p, q) => p.y - q.y)) {
      m.ly = Math.max(m.y, free);
      free = m.ly + 13;
    }
    for (const m of all) {
      const ly = m.ly;
      const x = g.vx + g.bar;
      group.append(svg('path', { d: `M${x},${m.y} l8,-5 v10 z`, fill: m.rip ? '#6a040f' : '#b00020',
                                 class: `as-mark${m.rip ? ' as-rip' : ''}`, 'data-addr': hexOf(m.addr),
                                 'data-label': m.label }));
      if (ly - m.y > 1)
        group.append(svg('path', { d: `M${x + 8},${m.y}L${x + 12},${ly}`, stroke: '#6a040f',
                                   'stroke-width': 0.8, class: 'as-mark-leader' }));
      group.append(svg('text', { x: x + 12, y: ly + 4, class: `as-mark-label${m.rip ? ' as-rip-label' : ''}` },
                       g.narrow ? m.label.replace(' (paging off: physical)', ' (phys)') :
                         m.rip ? `${m.label.replace(' (', ` ${hexOf(m.addr)} (`)}${m.pg ? ` ${hexOf(m.addr)}` : ''}` : m.label,
                       svg('title', {}, `${m.label} at ${hexOf(m.addr)}`)));
    }
    return group;
  }

  function writeSummary(maps) {
    const parts = maps.filter((m, i) => maps.findIndex((x) => x.kind === m.kind) === i).map((m) => {
      if (m.kind === 'kmalloc')
        return `kmalloc ${hexOf(m.v[0])} (${sizeText(m.obj.size)}): one band, the direct map's address less PAGE_OFFSET is its physical address ${hexOf(m.p[0])}, one contiguous run`;
      if (m.kind === 'vmalloc')
        return `vmalloc ${m.obj.addr}: ${m.obj.nr_pages} page(s) contiguous in vmalloc space fan out to frames in ${runCount(m.obj.pfns)} run(s)`;
      if (m.kind === 'vma') {
        const pages = Number((big(m.obj.end) - big(m.obj.start)) / PAGE);
        return `VMA ${m.obj.start}: ${m.lines.length} of ${data.vmaPages.length} page(s) faulted in` +
          (pages > data.vmaPages.length ? ` (the first ${data.vmaPages.length} of ${pages} walked)` : '');
      }
      return `page table pfn ${hex(m.obj.pfn)}${m.obj.where}: ${data.aliases.length} virtual alias(es) of one frame`;
    });
    const table = data.chose.pgtable;
    if (table && !maps.some((m) => m.kind === 'pgtable'))
      parts.push(`page table pfn ${hex(table.pfn)}${table.where}: no address of its own tables reaches its frame`);
    summary.textContent = `seq ${data.seq}, ${data.layout.paging_levels}-level paging. ` +
      (parts.length ? `${parts.join('; ')}.` : 'Choose an object to see its mapping.') + ripText();
  }

  // Where the CPUs execute: each RIP, grouped by the region it is in.
  function ripText() {
    const groups = new Map();
    for (const m of data.rips || []) {
      const r = data.layout.regions.find((x) => m.addr >= big(x.start) && m.addr < big(x.end));
      const where = m.pg ? `in the ${r ? r.label : 'an unused hole'}` : 'with paging off, a physical address';
      groups.set(where, [...(groups.get(where) || []), `CPU ${m.cpus.join(', ')} ${hexOf(m.addr)}`]);
    }
    return [...groups].map(([where, list]) => ` RIP: ${list.join(', ')}, ${where}.`).join('');
  }

  function runCount(pfns) {
    return pfns.filter((p, i) => i === 0 || p !== pfns[i - 1] + 1).length;
  }

  function showAddress(addr) {
    const r = data.layout.regions.find((x) => addr >= big(x.start) && addr < big(x.end));
    const a = hexOf(addr);
    clicked.replaceChildren(`${a}: ${r ? r.label : 'an unused hole'} `,
      el('a', { href: pageTablesLink(a), className: 'as-walk' }, 'walk it in Page tables \u2192'));
    clicked.dataset.addr = a;
  }

  function markAddress(addr, label) {
    marks.push({ addr: typeof addr === 'bigint' ? addr : big(addr), label });
    draw();
  }

  function clearMarks() {
    marks = [];
    draw();
  }

  root.addEventListener('click', (ev) => {
    if (!root.__scales)
      return;
    const g = geometry(Math.max(box.clientWidth, 320));
    const pt = root.getBoundingClientRect();
    const x = ev.clientX - pt.left, y = ev.clientY - pt.top;
    if (x < g.vx - 8 || x > g.vx + g.bar + 8)
      return;
    const addr = root.__scales.vs.invert(y) / PAGE * PAGE;
    marks = marks.filter((m) => m.label !== 'clicked');
    marks.push({ addr, label: 'clicked' });
    showAddress(addr);
    draw();
  });
  for (const [kind, sel] of Object.entries(pick))
    sel.addEventListener('change', () => {
      choice[kind] = sel.value;
      writeLink();
      refreshNow();
    });
  new ResizeObserver(() => { if (box.clientWidth) draw(); }).observe(box);
  legend.replaceChildren(...Object.entries(COLOURS).map(([k, c]) => el('span', { className: 'swatch' },
    el('i', { style: `background:${c}` }), { kmalloc: 'kmalloc object: one band', vmalloc: 'vmalloc area: a fan',
      vma: 'user VMA: its faulted pages', pgtable: 'page-table page: its aliases' }[k])));
  instance = { refresh, reset, draw, markAddress, clearMarks };
  return instance;
}
