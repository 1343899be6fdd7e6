// bootstrip.js - the boot as a filmstrip, for the TLB view: one frame per
// boot stage (GET .../events?type=boot_stage), per secondary CPU turning
// paging on in the trampoline (paging_enable), per CR3 move to a table of
// no mm while paging is on (kexec's relocate_kernel), and per triple fault.
// Each frame shows, at its seq (?at=), CR0.PG, the table CR3 points at
// (GET .../pagetable/tree?pid=cr3:N), that table's PGD with entry 0 (the
// identity map) and the kernel's high entries, and RIP on a small virtual
// ruler, low half left and high half right, so the jump from the physical
// address to __START_KERNEL_map is seen. A triple fault's frame shows the
// failing instruction fetch (the translate event before it) and its walk.
import { sessionApi } from './api.js';
import { el } from './format.js';

const SVG = 'http://www.w3.org/2000/svg';
const W = 132;			// frame drawing width, px
const HALF = 2n ** 47n;		// a 4-level canonical half

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs))
    node.setAttribute(k, String(v));
  node.append(...children);
  return node;
}

// Where on a ruler of width @w address @a falls: the low half on the left,
// the high half on the right (each half linear).
export function rulerX(a, w) {
  const v = BigInt(a);
  const mid = w / 2;
  if (v < HALF)
    return 2 + (Number((v * 1000n) / HALF) / 1000) * (mid - 4);
  const off = v - (2n ** 64n - HALF);
  const f = off < 0n ? 0 : Number((off * 1000n) / HALF) / 1000;
  return mid + 2 + f * (mid - 4);
}

// The PGD as 512 slots: present entries as ticks, entry 0 and the high half coloured.
function pgdBar(f) {
  const g = svg('g', { class: 'pgd' });
  const x = (i) => 2 + (i * (W - 4)) / 512;
  g.append(svg('rect', { x: 1, y: 0, width: W - 2, height: 10, class: 'pgd-box' }));
  for (const i of f.present)
    g.append(svg('rect', { x: x(i) - (i === 0 ? 0 : 1), y: 1, width: i === 0 ? 5 : 2, height: 8,
                           class: i === 0 ? 'pgd-identity' : i >= 256 ? 'pgd-high' : 'pgd-low',
                           'data-index': i }));
  g.append(svg('line', { x1: W / 2, x2: W / 2, y1: 0, y2: 10, class: 'pgd-mid' }));
  return g;
}

// The virtual ruler with RIP, and an arrow from the previous RIP when it jumped halves.
function ripRuler(f, prev) {
  const g = svg('g', { class: 'ruler', transform: 'translate(0,14)' });
  g.append(svg('line', { x1: 1, x2: W - 1, y1: 6, y2: 6, class: 'ruler-axis' }),
           svg('line', { x1: W / 2, x2: W / 2, y1: 2, y2: 10, class: 'ruler-mid' }),
           svg('text', { x: 2, y: 18, class: 'ruler-label' }, 'low'),
           svg('text', { x: W - 2, y: 18, class: 'ruler-label', 'text-anchor': 'end' }, 'high'));
  const x = rulerX(f.rip, W);
  if (prev && f.jumped) {
    const px = rulerX(prev.rip, W);
    g.append(svg('path', { d: `M${px},5 Q${(px + x) / 2},-6 ${x - 3},4`, class: 'ruler-jump' }));
  }
  g.append(svg('circle', { cx: x, cy: 6, r: 3, class: 'ruler-rip', 'data-x': x.toFixed(1) }));
  return g;
}

function frameText(f) {
  if (!f.pg)
    return `PG 0: physical`;
  return `PG 1: CR3 \u2192 ${f.rootName ?? '?'}`;
}

function walkTable(f) {
  if (!f.walk)
    return el('p', { className: 'walk-note' }, f.walkNote || '');
  return el('table', { className: 'tf-walk' },
            ...f.walk.levels.map((l, i) => el('tr', {
              className: i === f.walk.levels.length - 1 && f.walk.fault ? 'missing' : '',
              dataset: { level: String(l.level), index: String(l.index) } },
            el('td', {}, l.name), el('td', {}, `[${l.index}]`),
            el('td', {}, (BigInt(l.entry) & 1n) ? 'present' : 'not present'))));
}

// One frame: a button that moves the timeline to its seq.
function frame(f, prev, current, onPick) {
  if (f.pg === null)
    return stateless(f, current, onPick);
  const pic = svg('svg', { width: W, height: 34, viewBox: `0 -2 ${W} 36`, class: 'frame-pic' });
  if (f.pg)
    pic.append(pgdBar(f));
  else
    pic.append(svg('text', { x: 2, y: 9, class: 'ruler-label' }, 'no page table in use'));
  pic.append(ripRuler(f, prev));
  const b = el('button', {
    type: 'button', className: `frame ${f.kind}${current ? ' current' : ''}${f.jumped ? ' jump' : ''}`,
    title: `seq ${f.seq}: RIP ${f.rip}`,
    dataset: { seq: String(f.seq), stage: f.label, kind: f.kind, cpu: String(f.cpu), pg: f.pg ? '1' : '0',
               cr3: f.cr3, root: f.rootPfn === null ? '' : String(f.rootPfn), rootName: f.rootName ?? '',
               pgd0: f.pg ? (f.present.includes(0) ? '1' : '0') : '',
               high: String(f.present.filter((i) => i >= 256).length), rip: f.rip },
  }, el('span', { className: 'name' }, f.label),
  el('span', { className: 'regs' }, f.cpu ? `CPU ${f.cpu} ` : '', frameText(f)),
  pic,
  el('span', { className: 'pgd0' }, !f.pg ? '' : f.present.includes(0) ? 'PGD 0: identity map' : 'PGD 0: none'));
  if (f.kind === 'triple')
    b.append(el('span', { className: 'tf' }, `fetch at ${f.rip}`), walkTable(f));
  b.addEventListener('click', () => onPick(f.seq));
  return b;
}

// A session's past does not change: frames are kept by session, seq and CPU.
const cache = new Map();
const CACHE_MAX = 400;

function cached(key, make) {
  if (!cache.has(key)) {
    if (cache.size >= CACHE_MAX)
      cache.delete(cache.keys().next().value);
    cache.set(key, make().catch((e) => { cache.delete(key); throw e; }));
  }
  return cache.get(key);
}

// A stage that ran while the machine was created: its name only.
function stateless(f, current, onPick) {
  const b = el('button', { type: 'button', className: `frame ${f.kind} created${current ? ' current' : ''}`,
                           title: `seq ${f.seq}`, dataset: { seq: String(f.seq), stage: f.label, kind: f.kind,
                                                             cpu: '0', pg: '' } },
               el('span', { className: 'name' }, f.label),
               el('span', { className: 'regs' }, 'ran at machine creation'));
  b.addEventListener('click', () => onPick(f.seq));
  return b;
}

// The state a frame shows: CPU @cpu at @seq, and the PGD its CR3 points at.
function frameAt(id, seq, cpu, kind, label) {
  return cached(`${id}/${seq}/${cpu}/${kind}`, () => readFrame(id, seq, cpu, kind, label))
    .then((f) => ({ ...f }));
}

async function readFrame(id, seq, cpu, kind, label) {
  const at = sessionApi(id, seq);
  const c = (await at.cpus()).cpus[cpu];
  const f = { seq, cpu, kind, label, pg: c.cr0.pg, cr3: c.cr3, rip: c.rip, rootName: null,
              rootPfn: null, present: [] };
  if (f.pg) {
    const t = await at.pagetableTree(`cr3:${cpu}`);
    Object.assign(f, { rootName: t.root_name, rootPfn: t.root_pfn, present: t.entries.map((e) => e.index) });
  }
  return f;
}

// A triple fault: the translate (instruction fetch) just before it on that CPU, and its walk.
async function tripleFrame(s, tf) {
  const f = { seq: tf.seq, cpu: tf.cpu, kind: 'triple', label: 'triple fault', pg: false, cr3: '',
              rip: tf.vaddr ?? '0x0', rootName: null, rootPfn: null, present: [], walkNote: tf.detail };
  const before = await s.events({ since: Math.max(0, tf.seq - 40), limit: 40, type: 'translate' });
  const fetch = before.events.filter((e) => e.seq < tf.seq && e.cpu === tf.cpu).at(-1);
  if (!fetch || fetch.vaddr !== tf.vaddr) {
    f.walkNote = `${tf.detail}: no walk (paging was off for that fetch)`;
    return f;
  }
  const on = await frameAt(s.id, fetch.seq, tf.cpu, 'triple', 'triple fault');
  const walk = await sessionApi(s.id, fetch.seq).pagetableWalk(`cr3:${tf.cpu}`, fetch.vaddr);
  return { ...on, seq: tf.seq, rip: tf.vaddr, walk, walkNote: tf.detail };
}

// Every frame of session @s, in seq order.
export async function bootFrames(s) {
  const [stages, pgOn, cr3s, tfs] = await Promise.all(['boot_stage', 'paging_enable', 'cr3_write', 'triple_fault']
    .map((type) => s.events({ since: 0, limit: 200, type })));
  // Events of op 0 ran while the machine was created ("booted"): the past
  // views replay from after that, so such stages get a name and no state.
  const byOp = (e) => e.op > 0;
  const wanted = [
    ...stages.events.filter(byOp).map((e) => [e.seq, 0, 'stage', e.detail]),
    ...pgOn.events.filter((e) => byOp(e) && e.cpu !== 0).map((e) => [e.seq, e.cpu, 'trampoline', 'paging on']),
    ...cr3s.events.filter((e) => byOp(e) && e.cpu !== 0 && e.detail === 'other')
      .map((e) => [e.seq, e.cpu, 'cr3', 'CR3 moved']),
  ];
  const frames = await Promise.all(wanted.map(([seq, cpu, kind, label]) => frameAt(s.id, seq, cpu, kind, label)));
  const kept = [...stages.events.filter((e) => !byOp(e)).map((e) => ({
    seq: e.seq, cpu: 0, kind: 'stage', label: e.detail, pg: null, cr3: '', rip: '0x0', rootName: null,
    rootPfn: null, present: [] })), ...frames.filter((f) => f.kind === 'stage' || f.pg)];
  const triples = await Promise.all(tfs.events.slice(0, 8)
    .map((e) => cached(`${s.id}/${e.seq}/tf`, () => tripleFrame(s, e)).then((f) => ({ ...f }))));
  const all = [...kept, ...triples].sort((a, b) => a.seq - b.seq);
  for (const f of all)
    if (f.kind === 'triple')
      f.label = `triple fault, CPU ${f.cpu}`;
    else if (f.kind !== 'stage' && f.rootName)
      f.label = `CPU ${f.cpu}: ${f.rootName.split(' ')[0]}`;
  let last = null;
  for (const f of all.filter((x) => x.cpu === 0 && x.pg !== null)) {
    f.jumped = last !== null && (BigInt(last.rip) < HALF) !== (BigInt(f.rip) < HALF);
    last = f;
  }
  return all;
}

// Draw @frames into @box; the frame at or before @seq is current.
export function drawFilmstrip(box, frames, seq, onPick) {
  const reached = frames.filter((f) => f.seq <= seq).at(-1);
  let prev = null;
  box.replaceChildren(...frames.map((f) => {
    const b = frame(f, f.cpu === 0 ? prev : null, f === reached, onPick);
    if (f.cpu === 0)
      prev = f;
    return b;
  }));
}
