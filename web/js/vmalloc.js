// vmalloc.js - the vmalloc view: the areas of the vmalloc range (GET
// .../vmalloc) and /proc/vmallocinfo; choosing an area lists its frames, in
// runs of consecutive pfns, and marks them on the physical map, where they
// lie scattered beside a kmalloc buffer's one contiguous block. Ranges that
// vfree() left on the lazy list (mm/vmalloc.c free_vmap_area_noflush()) are
// rows of their own, greyed, until the purge (__purge_vmap_area_lazy()).
import { el, hex } from './format.js';
import * as url from './url.js';

const COLUMNS = ['addr', 'end', 'size', 'caller', 'nr_pages'];

// Consecutive pfns grouped: [[first, count], ...].
function runs(pfns) {
  const out = [];
  for (const pfn of pfns) {
    const last = out.at(-1);
    if (last && last[0] + last[1] === pfn)
      last[1]++;
    else
      out.push([pfn, 1]);
  }
  return out;
}

function runText([pfn, count]) {
  return count === 1 ? hex(pfn) : `${hex(pfn)}\u2013${hex(pfn + count - 1)}`;
}

// @physmap marks the chosen area's frames; @show() opens the physical map.
export function createVmalloc(physmap, show) {
  const table = document.getElementById('vmalloc-table');
  const summary = document.getElementById('vmalloc-summary');
  const info = document.getElementById('vmalloc-info');
  const detail = document.getElementById('vmalloc-area');
  let chosen = null;		// addr of the chosen area
  let areas = [];
  let lazy = { areas: [], vmap_lazy_nr: 0, lazy_max_pages: 0 };

  function reset() {
    chosen = null;
    areas = [];
    detail.hidden = true;
  }

  function showArea(a) {
    const list = runs(a.pfns);
    const button = el('button', { type: 'button' }, 'show on the physical map');
    button.addEventListener('click', show);
    detail.replaceChildren(
      el('h3', {}, `${a.addr}: ${a.nr_pages} page(s), ${a.size} bytes with the guard page`),
      el('p', {}, `Virtually contiguous, physically in ${list.length} run(s) of frames: `,
         el('span', { className: 'pfns' }, list.map(runText).join(', '))),
      button);
    detail.dataset.addr = a.addr;
    detail.dataset.pfns = a.pfns.join(',');
    detail.hidden = false;
  }

  // The chosen area is the URL's addr, so a link or a reload opens it again.
  function choose(addr) {
    chosen = addr;
    url.set({ addr });
    const a = areas.find((x) => x.addr === addr);
    physmap.highlightFrames(a ? a.pfns : null);
    if (a)
      showArea(a);
    else
      detail.hidden = true;
    draw();
  }

  // A lazily freed range: unmapped, its pages freed, its addresses not yet reusable.
  function lazyRow(l) {
    const cells = { addr: l.addr, end: l.end, size: l.size,
                    caller: 'unpurged vm_area: freed, waiting for the purge', nr_pages: 0 };
    return el('tr', { dataset: { lazy: l.addr }, className: 'lazy',
                      title: 'vfree()d: unmapped and its pages freed; the TLB flush and the '
                             + 'range wait for the purge' },
              ...COLUMNS.map((c) => el('td', { dataset: { col: c } }, String(cells[c]))),
              el('td', {}, '-'));
  }

  function draw() {
    table.replaceChildren(el('tr', {}, ...COLUMNS.map((c) => el('th', {}, c.replace('_', ' '))), el('th', {}, 'runs')),
      ...areas.map((a) => el('tr', { dataset: { addr: a.addr }, tabIndex: 0,
                                     className: a.addr === chosen ? 'current' : '' },
                             ...COLUMNS.map((c) => el('td', { dataset: { col: c } }, String(a[c]))),
                             el('td', {}, String(runs(a.pfns).length)))),
      ...lazy.areas.map(lazyRow));
  }

  async function refresh(s, fresh) {
    const [view, text] = await Promise.all([s.vmalloc(), s.proc('vmallocinfo')]);
    if (!fresh())
      return;
    areas = view.areas;
    const wanted = url.get('addr');
    if (wanted !== chosen && areas.some((a) => a.addr === wanted))
      choose(wanted);
    lazy = view.lazy ?? lazy;
    const pages = areas.reduce((n, a) => n + a.nr_pages, 0);
    summary.textContent = `${areas.length} area(s), ${pages} page(s); `
      + `${lazy.areas.length} range(s) lazily freed, ${lazy.vmap_lazy_nr} of `
      + `${lazy.lazy_max_pages} pages (lazy_max_pages) gathered before one purge flushes `
      + `the TLBs over them all; seq ${view.seq}.`;
    info.textContent = text;
    if (chosen && !areas.some((a) => a.addr === chosen))
      choose(null);
    else if (chosen)
      showArea(areas.find((a) => a.addr === chosen));
    draw();
    table.dataset.seq = String(view.seq);
    table.dataset.ready = 'true';
  }

  table.addEventListener('click', (ev) => {
    const tr = ev.target.closest('tr[data-addr]');
    if (tr)
      choose(tr.dataset.addr);
  });
  table.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && ev.target.dataset.addr)
      choose(ev.target.dataset.addr);
  });
  return { refresh, reset, choose };
}
