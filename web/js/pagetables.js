// pagetables.js - the page-table view. The walk of one address (GET
// .../pagetable?vaddr=&access=, with the TLB lookup a CPU would make first),
// drawn step by step as the MMU does it: the address cut into its index
// fields, the TLB arrays probed, then CR3 and each 512-slot table with the
// slot used lit, down to the page or to the #PF/#GP; animated, or a level at
// a time with Step. Below it the tree of the kernel's or a process's tables
// from CR3 (GET .../pagetable/tree), expanded one table at a time, runs of
// empty or alike entries folded, each upper entry named by the layout region
// it covers, and the walked path lit. Entry bits carry the names
// arch/x86/mm/dump_pagetables.c prints (pgtable_types.h's _PAGE_BIT_*).
// Besides init_mm and the processes, the address space can be "CR3 of CPU
// n" (pid=cr3:N): whatever table that CPU uses, during the boot, in the
// trampoline or after kexec.
import { el, hex } from './format.js';
import * as url from './url.js';

// The x86-64 entry bits, low to high, with ptdump's names (bit 7 is PSE above
// the PTE level and PAT in a PTE).
const BITS = [[0, 'P', 'present'], [1, 'RW', 'writable (read-only when clear)'], [2, 'USR', 'user may access'],
              [3, 'PWT', 'write-through'], [4, 'PCD', 'cache disabled'], [5, 'A', 'accessed'],
              [6, 'D', 'dirty (written)'], [7, 'PSE', 'page size: a 2 MiB or 1 GiB leaf (PAT in a PTE)'],
              [8, 'GLB', 'global: kept in the TLB across CR3 writes'], [63, 'NX', 'no execute']];
// The #PF error code bits (arch/x86/include/asm/trap_pf.h).
const PF_BITS = [[0, 'P', 'protection (0: not present)'], [1, 'W/R', 'write (0: read)'],
                 [2, 'U/S', 'user mode (0: kernel)'], [3, 'RSVD', 'reserved bit set'],
                 [4, 'I/D', 'instruction fetch'], [5, 'PK', 'protection key'], [6, 'SS', 'shadow stack']];
const ADDR_MASK = 0x000ffffffffff000n;
const SIZES = { 3: '1 GiB', 2: '2 MiB', 1: '4 KiB' };
const STEP_MS = 700;		// one stage of the animation
const COLS = 32, CELL = 5;	// a table of 512 slots as 16 rows of 32

// The references a walk counts: one per level read, an upper bound, since a
// CPU's paging-structure caches (PML4E, PDPTE, PDE) may spare those of the
// upper levels (Intel SDM 4.10.3).
export function refsText(n) {
  return `at most ${n} memory reference(s)`;
}
const REFS_NOTE = 'paging-structure caches may skip the upper levels';
// The boot stages before init_mem_mapping(): no init_mm tree yet (engine/boot.c).
const EARLY_STAGES = new Set(['poweron', 'startup_32', 'extract_kernel', 'startup_64', '__startup_64',
                              'common_startup_64', 'reset_early_page_tables']);

function levelName(level, levels) {
  return { 5: 'pgd', 4: levels === 5 ? 'p4d' : 'pgd', 3: 'pud', 2: 'pmd', 1: 'pte' }[level];
}

// An entry's set bits by name, and the frame it points at.
export function decodeEntry(text, level) {
  const v = BigInt(text);
  const bits = BITS.filter(([b]) => (v >> BigInt(b)) & 1n).map(([b, name]) => (b === 7 && level === 1 ? 'PAT' : name));
  return { bits, frame: `0x${(v & ADDR_MASK).toString(16)}` };
}

// The address given by a link to the view: the URL's addr (#pagetables?addr=0x...).
export function linkedAddress() {
  return url.get('addr');
}

// The index fields of @vaddr on @levels-level paging, top first, and the offset.
export function addressFields(vaddr, levels) {
  const v = BigInt(vaddr);
  const fields = [];
  for (let level = levels; level >= 1; level--) {
    const lo = 12 + 9 * (level - 1);
    fields.push({ level, name: levelName(level, levels), hi: lo + 8, lo, value: Number((v >> BigInt(lo)) & 511n) });
  }
  fields.push({ level: 0, name: 'offset', hi: 11, lo: 0, value: Number(v & 4095n) });
  return fields;
}

/*** The walk, drawn ***/

function splitBlock(w, levels) {
  // Bits 63..48 (63..57) must copy the top index bit: all 0 or all 1.
  const top = levels === 5 ? 57 : 48, v = BigInt(w.vaddr);
  const hi = v >> BigInt(top), want = (v >> BigInt(top - 1)) & 1n ? (1n << BigInt(64 - top)) - 1n : 0n;
  const sign = el('div', { className: `pt-field sign${hi === want ? '' : ' bad'}` }, el('small', {}, `63-${top}`),
                  el('b', {}, 'sign'), el('span', {}, hi === want ? (want ? 'all 1' : 'all 0')
                    : `0x${hi.toString(16)}: not bit ${top - 1}`));
  return el('div', { className: 'pt-split', dataset: { stage: '0' } }, sign,
            ...addressFields(w.vaddr, levels).map((f) => el('div', {
              className: 'pt-field', dataset: { level: String(f.level), value: String(f.value) } },
            el('small', {}, `${f.hi}-${f.lo}`), el('b', {}, f.name),
            el('span', {}, f.level ? String(f.value) : hex(f.value)))));
}

function tlbBlock(w) {
  const t = w.tlb;
  const say = { l1_hit: 'hit in L1: no walk', stlb_hit: 'hit in the STLB (L1 refilled): no walk',
                miss: 'miss: the MMU walks the tables', off: 'paging is off on this CPU: no TLB' }[t.result];
  return el('div', { className: `pt-tlb ${t.result}`, dataset: { stage: '1', result: t.result } },
            el('b', {}, `TLB of CPU ${t.cpu}: `), say,
            el('ul', {}, ...t.probes.map((p) => el('li', {
              className: p.hit ? 'hit' : p.refused ? 'refused' : 'miss', dataset: { array: p.array } },
            `${p.array} (${SIZES[{ 4096: 1, 2097152: 2, 1073741824: 3 }[p.page_size]]} tags), set ${p.set}: `,
            p.hit ? 'hit' : p.refused ? 'there, but it cannot serve this access' : 'miss'))),
            t.same_mm ? '' : el('p', { className: 'note' }, 'Another address space is in CR3: the switch ' +
                                 'drops every entry but the global ones first.'));
}

// The 512 slots of one table: the present ones shaded, @index lit.
function slotGrid(present, index) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  const rect = (i, cls) => {
    const r = document.createElementNS(ns, 'rect');
    r.setAttribute('x', String((i % COLS) * CELL));
    r.setAttribute('y', String(Math.floor(i / COLS) * CELL));
    r.setAttribute('width', String(CELL - 1));
    r.setAttribute('height', String(CELL - 1));
    r.setAttribute('class', cls);
    r.dataset.index = String(i);
    return r;
  };
  svg.setAttribute('width', String(COLS * CELL));
  svg.setAttribute('height', String((512 / COLS) * CELL));
  svg.setAttribute('viewBox', `0 0 ${COLS * CELL} ${(512 / COLS) * CELL}`);
  svg.setAttribute('role', 'img');
  const ring = document.createElementNS(ns, 'circle');	// the lit slot is small: a ring finds it
  ring.setAttribute('cx', String((index % COLS) * CELL + CELL / 2 - 0.5));
  ring.setAttribute('cy', String(Math.floor(index / COLS) * CELL + CELL / 2 - 0.5));
  ring.setAttribute('r', '6');
  ring.setAttribute('class', 'ring');
  svg.append(...[...present].filter((i) => i !== index).map((i) => rect(i, 'present')), rect(index, 'lit'), ring);
  return svg;
}

function tableCard(l, i, w, levels, present) {
  const name = levelName(l.level, levels).toUpperCase();
  const { bits, frame } = decodeEntry(l.entry, l.level);
  const leaf = bits.includes('P') && (l.level === 1 || (l.level <= 3 && bits.includes('PSE')));
  const next = !bits.includes('P') ? 'not present' : leaf ? `${SIZES[l.level]} page at ${frame}`
    : `${levelName(l.level - 1, levels).toUpperCase()} table at ${frame}`;
  return el('div', { className: `pt-card table${leaf ? ' leaf' : ''}${bits.includes('P') ? '' : ' absent'}`,
                     dataset: { stage: String(3 + i), level: String(l.level), index: String(l.index),
                                table: String(l.table_pfn) } },
            el('div', { className: 'pt-card-head' }, el('b', {}, `${name}[${l.index}]`),
               ` table pfn ${hex(l.table_pfn)}`),
            slotGrid(present, l.index),
            el('div', { className: 'pt-card-entry' }, el('code', {}, l.entry)),
            el('div', { className: 'pt-bits' }, bits.length ? bits.join(' ') : 'P clear'),
            el('div', { className: 'pt-next' }, `\u2192 ${next}`),
            el('div', { className: 'pt-refs' }, `memory reference ${i + 1}`));
}

function errorBits(code) {
  return el('table', { className: 'pt-pfbits' },
            el('tr', {}, ...PF_BITS.map(([, n]) => el('th', {}, n))),
            el('tr', {}, ...PF_BITS.map(([b, , say]) => el('td', { title: say, className: (code >> b) & 1 ? 'set' : '' },
                                                             String((code >> b) & 1)))));
}

function endCard(w, stage) {
  if (w.fault?.vector === '#GP')
    return el('div', { className: 'pt-card fault', dataset: { stage: String(stage), vector: '#GP' } },
              el('b', {}, '#GP: general protection'),
              el('p', {}, `${w.vaddr} is not canonical: its top bits are not all copies of the highest index bit. ` +
                 'The CPU refuses it before any TLB lookup or walk: no memory reference.'));
  if (w.fault)
    return el('div', { className: 'pt-card fault', dataset: { stage: String(stage), vector: '#PF',
                                                               code: String(w.fault.error_code) } },
              el('b', {}, `#PF at the ${w.levels.at(-1).name.toUpperCase()}, error code ${w.fault.error_code}` +
                 ` (${w.fault.error_bits})`),
              errorBits(w.fault.error_code),
              el('p', {}, w.fault.outcome === 'protection' ? 'The page is there, but its rights refuse this access.'
                : 'The entry is not present: the walk stops here.'),
              el('p', { className: 'pt-refs-total' }, `${refsText(w.walk_refs)}: ${REFS_NOTE}.`));
  return el('div', { className: 'pt-card page', dataset: { stage: String(stage), size: String(w.page_size) } },
            el('b', {}, `${w.page_size >= 2 ** 20 ? `${w.page_size / 2 ** 20} MiB` : '4 KiB'} page`),
            el('p', {}, `${w.vaddr} \u2192 ${w.paddr}`),
            el('p', { className: 'pt-refs-total' }, `${refsText(w.walk_refs)}: ${REFS_NOTE}`),
            w.tlb.result === 'l1_hit' || w.tlb.result === 'stlb_hit'
              ? el('p', { className: 'note' }, 'The TLB held it: this access reads no table; the walk above ' +
                   'is what a miss would read.') : '');
}

// Every stage of the walk of @w, the later ones pending; @present[i]: the
// present slots of the i-th table.
function walkDrawing(w, levels, present) {
  const cards = [el('div', { className: 'pt-card cr3', dataset: { stage: '2' } }, el('b', {}, 'CR3'),
                    el('p', {}, w.levels.length ? `\u2192 ${levelName(levels, levels).toUpperCase()} at pfn ` +
                       `${hex(w.levels[0].table_pfn)}` : ''))];
  w.levels.forEach((l, i) => cards.push(tableCard(l, i, w, levels, present[i])));
  const gp = w.fault?.vector === '#GP';
  const stages = gp ? 2 : 4 + w.levels.length;
  const parts = [splitBlock(w, levels)];
  if (!gp)
    parts.push(tlbBlock(w), el('div', { className: 'pt-chain' }, ...cards, endCard(w, stages - 1)));
  else
    parts.push(el('div', { className: 'pt-chain' }, endCard(w, 1)));
  return { parts, stages };
}

/*** The view ***/

export function createPagetables() {
  const tree = document.getElementById('pt-tree');
  const pidSelect = document.getElementById('pt-pid');
  const summary = document.getElementById('pt-summary');
  const walkForm = document.getElementById('pt-walk');
  const walkTable = document.getElementById('pt-walk-table');
  const walkResult = document.getElementById('pt-walk-result');
  const draw = document.getElementById('pt-walk-draw');
  const stepButton = document.getElementById('pt-step');
  let expanded = new Set();	// paths of open entries ("273/0")
  let unfolded = new Set();	// folded runs opened ("273/5")
  let last = null;		// { s, fresh } of the last refresh
  let walked = null;		// { key, indices } of the walk drawn
  let levels = 4;
  let stage = 0, stages = 0, timer = null, animate = false, linked = null;
  let askedAccess = walkForm.elements.access.value;

  function stop() {
    clearInterval(timer);
    timer = null;
  }
  let chosen = false;		// the user picked an address space

  function reset() {
    stop();
    expanded = new Set();
    unfolded = new Set();
    walked = null;
    chosen = false;
    pidSelect.value = 'kernel';
    walkTable.replaceChildren();
    walkResult.textContent = '';
    draw.replaceChildren();
  }

  // Stage @n of the walk: every part of stage <= n shown.
  function showStage(n) {
    stage = Math.min(n, stages - 1);
    for (const e of draw.querySelectorAll('[data-stage]'))
      e.classList.toggle('pending', Number(e.dataset.stage) > stage);
    draw.dataset.stage = String(stage);
    walkResult.classList.toggle('pending', stage < stages - 1);	// the answer comes last
  }

  function step() {
    showStage(stage + 1);
    if (stage >= stages - 1)
      stop();
  }

  /*** The tree ***/

  const alike = (a, b) => a.flags === b.flags && a.leaf === b.leaf && a.huge === b.huge && a.region === b.region &&
    a.index === b.index - 1 && (a.leaf ? true : a.child_present === 0 && b.child_present === 0);

  // Runs of 3 or more alike entries, none on the walked path.
  function runs(entries, onPath) {
    const out = [];
    for (let i = 0; i < entries.length;) {
      let j = i + 1;
      while (j < entries.length && alike(entries[j - 1], entries[j]) && !onPath(entries[j]) && !onPath(entries[i]))
        j++;
      out.push(entries.slice(i, j));
      i = j;
    }
    return out;
  }

  function entryLine(e, lv) {
    const { bits, frame } = decodeEntry(e.entry, e.level);
    const huge = e.huge ? el('span', { className: 'badge' }, SIZES[e.level] || 'huge') : '';
    return el('span', { className: 'entry' },
              el('span', { className: 'lvl' }, `${levelName(e.level, lv)}[${e.index}]`), ` ${e.vaddr} `,
              e.level > 1 && e.region ? el('span', { className: 'region' }, e.region) : '', ' ',
              el('span', { className: 'bits' }, bits.join(' ')), ` \u2192 ${e.leaf ? 'frame' : 'table'} ${frame} `, huge,
              e.leaf ? el('span', { className: 'leaf' }, e.huge ? 'leaf' : '4 KiB page')
                : ` ${e.child_present} present`);
  }

  function emptyRow(from, to) {
    return el('li', { className: 'fold empty', dataset: { from: String(from), to: String(to) } },
              to > from ? `entries ${from}-${to}: empty (${to - from + 1})` : `entry ${from}: empty`);
  }

  function foldRow(run, key, open, lv) {
    const a = run[0], b = run.at(-1), n = run.length;
    const what = a.leaf ? `${a.huge ? SIZES[a.level] : '4 KiB'} leaves, frames ${decodeEntry(a.entry, a.level).frame}` +
      `..${decodeEntry(b.entry, b.level).frame}` : 'entries, each to an empty table';
    return el('li', { className: 'fold same', dataset: { from: String(a.index), to: String(b.index), key } },
              el('button', { type: 'button', className: 'unfold', 'aria-expanded': String(open) }, open ? '\u25be' : '\u25b8'),
              `entries ${a.index}-${b.index}: ${n} ${a.region ? `${a.region} ` : ''}${levelName(a.level, lv).toUpperCase()} ` +
              `${what}, ${decodeEntry(a.entry, a.level).bits.join(' ')}`);
  }

  // The <ul> of one table's entries, the open ones with their children.
  async function tableList(s, pid, table, path, depth) {
    const t = await s.pagetableTree(pid, table);
    const onPath = (e) => walked?.indices[depth] === e.index && walked.path(depth) === path;
    const items = [];
    let next = 0;
    for (const run of runs(t.entries, onPath)) {
      if (run[0].index > next)
        items.push(emptyRow(next, run[0].index - 1));
      next = run.at(-1).index + 1;
      const runKey = `${path}/${run[0].index}`;
      const folded = run.length >= 3 && !unfolded.has(runKey);
      if (run.length >= 3)
        items.push(foldRow(run, runKey, !folded, t.levels));
      for (const e of run) {
        const key = path ? `${path}/${e.index}` : String(e.index);
        const open = expanded.has(key) && !e.leaf;
        const li = el('li', { dataset: { index: String(e.index), entry: e.entry, target: String(e.target_pfn),
                                         level: String(e.level), huge: String(e.huge), path: key, region: e.region } });
        li.hidden = folded;
        if (onPath(e))
          li.classList.add('walked');
        if (!e.leaf && e.child_present > 0)
          li.append(el('button', { type: 'button', className: 'toggle', 'aria-expanded': String(open) },
                       open ? '\u25be' : '\u25b8'));
        li.append(entryLine(e, t.levels));
        if (open)
          li.append((await tableList(s, pid, e.target_pfn, key, depth + 1)).list);
        items.push(li);
      }
    }
    if (next < 512)
      items.push(emptyRow(next, 511));
    return { t, list: el('ul', { dataset: { table: String(t.table_pfn) } }, ...items) };
  }

  async function processes(s) {
    const want = pidSelect.value;
    const [list, view] = await Promise.all([s.processes().then((r) => r.processes), s.cpus()]);
    pidSelect.replaceChildren(new Option('kernel (init_mm)', 'kernel'),
                              ...view.cpus.map((c) => new Option(`CR3 of CPU ${c.cpu}${c.cr0.pg ? '' : ' (paging off)'}`,
                                                                 `cr3:${c.cpu}`)),
                              ...list.map((p) => new Option(`pid ${p.pid}${p.name ? ` ${p.name}` : ''}`, String(p.pid))));
    pidSelect.value = [...pidSelect.options].some((o) => o.value === want) ? want : 'kernel';
    return view;
  }

  // Before init_mem_mapping() there is no init_mm tree: unless the user chose
  // it, the view follows CR3 of CPU 0, which paging uses all along. A CPU
  // with paging off has no tree: said without asking.
  function effectivePid(view) {
    let pid = pidSelect.value;
    if (pid === 'kernel' && !chosen && EARLY_STAGES.has(view.boot_stage))
      pidSelect.value = pid = 'cr3:0';
    const cpu = pid.startsWith('cr3:') ? view.cpus[Number(pid.slice(4))] : null;
    return { pid, off: cpu && !cpu.cr0.pg ? cpu.cpu : null };
  }

  async function drawTree(s, fresh, view) {
    const { pid, off } = effectivePid(view);
    let built;
    if (off !== null) {
      tree.replaceChildren(el('p', { className: 'summary' }, `CPU ${off} has paging off (CR0.PG clear): its ` +
                              'addresses are physical, no table translates them.'));
      summary.textContent = '';
      Object.assign(tree.dataset, { seq: String(view.seq), pid, root: '', rootName: '', ready: 'true' });
      return;
    }
    try {
      built = await tableList(s, pid, null, '', 0);
    } catch (e) {
      if (!fresh())
        return;
      tree.replaceChildren(el('p', { className: 'error' }, e.message));
      tree.dataset.seq = '';
      return;
    }
    if (!fresh())
      return;
    const { t, list } = built;
    levels = t.levels;
    const who = pid === 'kernel' ? 'the kernel' : pid.startsWith('cr3:') ? `CR3 of CPU ${pid.slice(4)}` : `pid ${pid}`;
    summary.textContent = `${who}: CR3 \u2192 ${t.root_name ?? levelName(t.levels, t.levels)} ` +
      `at pfn ${hex(t.root_pfn)}, ${t.levels} levels, ${t.entries.length} present entries; seq ${t.seq}.`;
    tree.replaceChildren(list);
    Object.assign(tree.dataset, { seq: String(t.seq), pid, root: String(t.root_pfn), rootName: t.root_name ?? '',
                                  ready: 'true', walked: walked ? walked.key : '' });
  }

  /*** The walk ***/

  function walkTableRows(w) {
    walkTable.replaceChildren(
      el('tr', {}, ...['level', '', 'table pfn', 'index', 'entry', 'bits \u2192 frame'].map((h) => el('th', {}, h))),
      ...w.levels.map((l) => {
        const { bits, frame } = decodeEntry(l.entry, l.level);
        return el('tr', { dataset: { level: String(l.level) } },
                  el('td', {}, l.name), el('td', {}, String(l.level)),
                  el('td', {}, hex(l.table_pfn)), el('td', {}, String(l.index)),
                  el('td', {}, el('code', {}, l.entry)),
                  el('td', { className: 'bits' }, bits.includes('P') ? `${bits.join(' ')} \u2192 ${frame}` : 'not present'));
      }));
  }

  // The present slots of each table the walk read.
  async function presentSlots(s, pid, w) {
    return Promise.all(w.levels.map(async (l) =>
      new Set((await s.pagetableTree(pid, l.table_pfn)).entries.map((e) => e.index))));
  }

  async function drawWalk(s, fresh, view) {
    // The address asked for (Apply or a link), not what is being typed: a
    // live refresh must not walk a half-typed address.
    const vaddr = (linked ?? walkForm.elements.vaddr.defaultValue).trim();
    const access = askedAccess;
    if (!vaddr || effectivePid(view).off !== null)
      return;
    const pid = pidSelect.value;
    let w, present;
    try {
      w = await s.pagetableWalk(pid, vaddr, access);
      present = await presentSlots(s, pid, w);
    } catch (e) {
      if (fresh()) {		// no tables to walk (not built yet, no such process)
        stop();
        walked = null;
        draw.replaceChildren();
        walkTable.replaceChildren();
        walkResult.classList.remove('pending');
        walkResult.textContent = e.message;
      }
      return;
    }
    if (!fresh())
      return;
    const lv = w.levels.length ? w.levels[0].level : levels;
    const key = `${pid} ${w.vaddr} ${access}`;
    const again = walked?.key === key && !animate;
    walked = { key, indices: w.levels.map((l) => l.index),
               path: (depth) => w.levels.slice(0, depth).map((l) => l.index).join('/') };
    for (let d = 1; d < w.levels.length; d++)
      expanded.add(walked.path(d));
    walkTableRows(w);
    const d = walkDrawing(w, lv, present);
    draw.replaceChildren(...d.parts);
    stages = d.stages;
    Object.assign(draw.dataset, { vaddr: w.vaddr, seq: String(w.seq), stages: String(stages),
                                  result: w.fault ? w.fault.vector : 'page', levels: String(lv) });
    if (animate) {		// asked for: from the address on
      animate = false;
      stop();
      showStage(0);
      timer = setInterval(step, STEP_MS);
    } else if (again) {		// redrawn (a new seq): where it was, still moving if it was
      showStage(stage);
    } else {
      stop();
      showStage(stages - 1);
    }
    walkResult.textContent = w.fault?.vector === '#GP' ? `${w.vaddr}: #GP, not canonical, no memory reference`
      : w.fault ? `${w.vaddr}: ${w.fault.vector} (error code ${w.fault.error_code}, ${w.fault.error_bits}) at the ` +
        `${w.levels.at(-1).name.toUpperCase()} after ${refsText(w.walk_refs)}`
        : `${w.vaddr} \u2192 ${w.paddr} (${w.page_size / 1024} KiB page), ${refsText(w.walk_refs)}`;
    walkTable.dataset.seq = String(w.seq);
    walkTable.dataset.vaddr = w.vaddr;
  }

  // A refresh started before a later one (a click opened an entry meanwhile)
  // would draw the older state over it: only the latest one draws.
  let generation = 0;

  async function refresh(s, sessionFresh) {
    last = { s, fresh: sessionFresh };
    const mine = ++generation;
    const fresh = () => sessionFresh() && mine === generation;
    const link = linkedAddress();
    if (link && link !== linked) {
      linked = link;
      walkForm.elements.vaddr.value = link;
      animate = true;
    }
    const view = await processes(s);
    if (!fresh())
      return;
    await drawWalk(s, fresh, view);	// first: the tree lights the walked path
    if (fresh())
      await drawTree(s, fresh, view);
  }

  function again() {
    if (last)
      refresh(last.s, last.fresh).catch((e) => { summary.textContent = e.message; });
  }

  tree.addEventListener('click', (ev) => {
    const fold = ev.target.closest('button.unfold');
    if (fold) {
      const key = fold.closest('li').dataset.key;
      if (!unfolded.delete(key))
        unfolded.add(key);
      again();
      return;
    }
    const button = ev.target.closest('button.toggle');
    if (!button)
      return;
    const key = button.closest('li').dataset.path;
    if (!expanded.delete(key))
      expanded.add(key);
    again();
  });
  pidSelect.addEventListener('change', () => {
    expanded = new Set();
    unfolded = new Set();
    chosen = true;
    again();
  });
  walkForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    animate = true;
    linked = walkForm.elements.vaddr.value.trim();
    askedAccess = walkForm.elements.access.value;
    url.set({ addr: linked });
    again();
  });
  stepButton.addEventListener('click', () => {	// after the last stage: from the start again
    stop();
    if (stage >= stages - 1)
      showStage(0);
    else
      step();
  });
  url.onchange((st, changed) => {
    if (changed.includes('addr') && linkedAddress() && linkedAddress() !== linked)
      again();
  });
  document.getElementById('pt-legend').replaceChildren(
    el('b', {}, 'Entry bits: '), ...BITS.map(([b, n, say]) => el('span', { title: say }, el('code', {}, n), ` ${say} (bit ${b}); `)));
  return { refresh, reset, step, showStage };
}
