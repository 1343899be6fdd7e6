// pagetables.js - the page-table view: the tree of the kernel's or a
// process's tables from CR3 down (GET .../pagetable/tree), expanded one table
// at a time, huge leaves marked; and the walk of one typed address (GET
// .../pagetable?vaddr=), level by level, with each entry's bits decoded.
// Besides init_mm and the processes, the address space can be "CR3 of CPU
// n" (pid=cr3:N): whatever table that CPU uses, during the boot, in the
// trampoline or after kexec.
import { el, hex } from './format.js';

// The x86-64 entry bits, low to high (bit 7 is PS above the PTE level).
const BITS = [[0, 'P'], [1, 'RW'], [2, 'US'], [3, 'PWT'], [4, 'PCD'], [5, 'A'], [6, 'D'], [7, 'PS'],
              [8, 'G'], [63, 'NX']];
const ADDR_MASK = 0x000ffffffffff000n;
const HUGE = { 3: '1 GiB', 2: '2 MiB' };
// The boot stages before init_mem_mapping(): no init_mm tree yet (engine/boot.c).
const EARLY_STAGES = new Set(['poweron', 'startup_32', 'extract_kernel', 'startup_64', '__startup_64',
                              'common_startup_64', 'reset_early_page_tables']);

function levelName(level, levels) {
  return { 5: 'pgd', 4: levels === 5 ? 'p4d' : 'pgd', 3: 'pud', 2: 'pmd', 1: 'pte' }[level];
}

// An entry's bits by name, and the frame it points at.
function decodeEntry(text, level) {
  const v = BigInt(text);
  const bits = BITS.filter(([b, name]) => (v >> BigInt(b)) & 1n && !(name === 'PS' && level === 1))
    .map(([, name]) => name);
  return { bits, frame: `0x${(v & ADDR_MASK).toString(16)}` };
}

function entryLine(e, levels) {
  const huge = e.huge ? el('span', { className: 'badge' }, HUGE[e.level] || 'huge') : '';
  return el('span', { className: 'entry' },
            el('span', { className: 'lvl' }, `${levelName(e.level, levels)}[${e.index}]`), ` ${e.vaddr} `,
            el('code', {}, e.entry), ` ${e.flags} \u2192 pfn ${hex(e.target_pfn)} `, huge,
            e.leaf ? el('span', { className: 'leaf' }, e.huge ? 'leaf' : '4 KiB page') : ` ${e.child_present} present`);
}

export function createPagetables() {
  const tree = document.getElementById('pt-tree');
  const pidSelect = document.getElementById('pt-pid');
  const summary = document.getElementById('pt-summary');
  const walkForm = document.getElementById('pt-walk');
  const walkTable = document.getElementById('pt-walk-table');
  const walkResult = document.getElementById('pt-walk-result');
  let expanded = new Set();	// paths of open entries ("273/0")
  let last = null;		// { s, fresh } of the last refresh
  let chosen = false;		// the user picked an address space

  function reset() {
    expanded = new Set();
    chosen = false;
    pidSelect.value = 'kernel';
    walkTable.replaceChildren();
    walkResult.textContent = '';
  }

  // The <ul> of one table's entries, the open ones with their children.
  async function tableList(s, pid, table, path) {
    const t = await s.pagetableTree(pid, table);
    const items = await Promise.all(t.entries.map(async (e) => {
      const key = path ? `${path}/${e.index}` : String(e.index);
      const open = expanded.has(key) && !e.leaf;
      const li = el('li', { dataset: { index: String(e.index), entry: e.entry, target: String(e.target_pfn),
                                       level: String(e.level), huge: String(e.huge), path: key } });
      if (!e.leaf && e.child_present > 0) {
        const toggle = el('button', { type: 'button', className: 'toggle', 'aria-expanded': String(open) },
                          open ? '\u25be' : '\u25b8');
        li.append(toggle);
      }
      li.append(entryLine(e, t.levels));
      if (open)
        li.append((await tableList(s, pid, e.target_pfn, key)).list);
      return li;
    }));
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
      built = await tableList(s, pid, null, '');
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
    const who = pid === 'kernel' ? 'the kernel' : pid.startsWith('cr3:') ? `CR3 of CPU ${pid.slice(4)}` : `pid ${pid}`;
    summary.textContent = `${who}: CR3 \u2192 ${t.root_name ?? levelName(t.levels, t.levels)} ` +
      `at pfn ${hex(t.root_pfn)}, ${t.levels} levels, ${t.entries.length} present entries; seq ${t.seq}.`;
    tree.replaceChildren(list);
    Object.assign(tree.dataset, { seq: String(t.seq), pid, root: String(t.root_pfn), rootName: t.root_name ?? '',
                                  ready: 'true' });
  }

  function bitsCell(l) {
    const { bits, frame } = decodeEntry(l.entry, l.level);
    return el('td', { className: 'bits' }, bits.length ? `${bits.join(' ')} \u2192 ${frame}` : 'not present');
  }

  async function drawWalk(s, fresh, view) {
    const vaddr = walkForm.elements.vaddr.value.trim();
    if (!vaddr || effectivePid(view).off !== null)
      return;
    let w;
    try {
      w = await s.pagetableWalk(pidSelect.value, vaddr);
    } catch (e) {
      if (fresh())
        walkResult.textContent = e.message;
      return;
    }
    if (!fresh())
      return;
    walkTable.replaceChildren(
      el('tr', {}, ...['level', '', 'table pfn', 'index', 'entry', 'bits \u2192 frame'].map((h) => el('th', {}, h))),
      ...w.levels.map((l) => el('tr', { dataset: { level: String(l.level) } },
                                el('td', {}, l.name), el('td', {}, String(l.level)),
                                el('td', {}, hex(l.table_pfn)), el('td', {}, String(l.index)),
                                el('td', {}, el('code', {}, l.entry)), bitsCell(l))));
    walkResult.textContent = w.fault ? `${w.vaddr}: ${w.fault.vector} ${w.fault.outcome} after ${w.walk_refs} reference(s)`
      : `${w.vaddr} \u2192 ${w.paddr} (${w.page_size / 1024} KiB page), ${w.walk_refs} memory reference(s)`;
    walkTable.dataset.seq = String(w.seq);
    walkTable.dataset.vaddr = w.vaddr;
  }

  async function refresh(s, fresh) {
    last = { s, fresh };
    const view = await processes(s);
    if (fresh())
      await Promise.all([drawTree(s, fresh, view), drawWalk(s, fresh, view)]);
  }

  function again() {
    if (last)
      refresh(last.s, last.fresh).catch((e) => { summary.textContent = e.message; });
  }

  tree.addEventListener('click', (ev) => {
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
    chosen = true;
    again();
  });
  walkForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    again();
  });
  return { refresh, reset };
}
