// physmap-compaction.js - what the physical map draws of compaction at the
// timeline's seq: the last compaction run up to it (compaction.js), where
// its migrate scanner and free scanner stand and the ranges of their last
// steps, the folios it moved so far as arrows from the old frame to the new
// (migrate_folio_move, mm/migrate.c's migrate_folio_move()), and, when the
// run ended in success, the high-order block the request then got (the
// first mm_page_alloc after mm_compaction_end) outlined. Beside the map, the
// zone's free blocks by order (/proc/buddyinfo) before the run and after it.
import { api } from './api.js';
import { COMPACTION_TYPES, PAGEBLOCK_NR_PAGES, compactionRuns, loadEvents } from './compaction.js';
import { el, hex } from './format.js';
import { MAX_ARROWS } from './physmap-draw.js';

const MAX_MOVES = 2000;		// arrows drawn (the run's last ones)

// Types every session can be asked for (engine event types; a trace's
// fast_isolate_freepages is not one).
const TYPES = COMPACTION_TYPES.filter((t) => t !== 'mm_compaction_fast_isolate_freepages')
  .concat(['migrate_folio_move']);

// The moves of the run's last migration batch: those after the last
// isolate_migratepages step (each batch follows one).
function lastBatch(events, run, moves) {
  const step = run.migrate.at(-1);
  return step ? moves.filter((m) => m.seq > step.seq).length : moves.length;
}

// The compaction state of session @s at its seq: null when no run began yet.
export async function compactionAt(s) {
  const events = await loadEvents(s.id, s.at, TYPES);
  const runs = compactionRuns(events.filter((e) => e.type !== 'migrate_folio_move'));
  const run = runs.at(-1);
  if (!run)
    return null;
  const until = run.end?.seq ?? Infinity;
  const moves = events.filter((e) => e.type === 'migrate_folio_move' && e.seq > run.begin.seq && e.seq <= until)
    .map((e) => ({ seq: e.seq, from: e.pfn, to: e.value, pages: 2 ** (e.order ?? 0) }));
  const last = (steps) => steps.at(-1) ?? null;
  const state = {
    run, runs: runs.length,
    migrate_pfn: run.end ? run.end.migrate_pfn : last(run.migrate)?.to ?? run.begin.migrate_pfn,
    // the free scanner's pageblock: it walks down by blocks, each scanned upwards
    free_pfn: run.end ? run.end.free_pfn
      : last(run.free) ? last(run.free).from - (last(run.free).from % PAGEBLOCK_NR_PAGES) : run.begin.free_pfn,
    migrateRange: last(run.migrate), freeRange: last(run.free),
    moves: moves.slice(-MAX_MOVES), movesTotal: moves.length, block: null,
    batch: lastBatch(events, run, moves),
  };
  if (run.end?.status === 'success') {
    const r = await api(`/sessions/${s.id}/events?type=mm_page_alloc&since=${run.end.seq}&limit=1`);
    const a = r.events[0];
    if (a && (s.at === null || a.seq <= s.at))
      state.block = { pfn: a.pfn, count: 2 ** (a.order ?? 0), seq: a.seq, order: a.order ?? 0 };
  }
  return state;
}

// /proc/buddyinfo's line of @zone: the free blocks by order, or null.
function buddyLine(text, zone) {
  for (const line of String(text).split('\n')) {
    const m = /^Node\s+(\d+), zone\s+(\S+)\s+(.*)$/.exec(line);
    if (m && m[2] === zone)
      return m[3].trim().split(/\s+/).map(Number);
  }
  return null;
}

// The panel beside the map: the run in words, and buddyinfo before and after.
export async function compactionPanel(box, s, c, goTo, zoomIn) {
  if (!c) {
    box.hidden = true;
    box.dataset.run = '';
    return;
  }
  const { run } = c;
  const zone = run.zone ?? 'the zone';
  const when = run.end ? `ended ${run.end.status}` : 'running at this seq';
  const sid = s.id;
  // a trace session (its events timed) has no machine to print /proc/buddyinfo at a seq
  const proc = (seq) => (run.timed ? null
    : api(`/sessions/${sid}/proc/buddyinfo${seq === null || seq === undefined ? '' : `?at=${seq}`}`));
  const before = run.begin.seq > 1 ? await proc(run.begin.seq - 1) : null;
  const after = await proc(c.block?.seq ?? run.end?.seq ?? s.at);
  const b = before && buddyLine(before, run.zone), a = after && buddyLine(after, run.zone);
  const rows = [];
  if (b) rows.push(['before the run', b]);
  if (a) rows.push([c.block ? 'after the allocation' : run.end ? 'after the run' : 'now', a]);
  const orders = (b ?? a ?? []).map((_, o) => o);
  box.hidden = false;
  Object.assign(box.dataset, { run: String(run.begin.seq), status: run.end?.status ?? 'running',
    migratePfn: String(c.migrate_pfn), freePfn: String(c.free_pfn), moves: String(c.moves.length),
    block: c.block ? `${c.block.pfn}+${c.block.count}` : '' });
  box.replaceChildren(
    el('h3', {}, `Compaction of ${zone}, ${run.mode}, ${when}`),
    el('p', { className: 'summary' },
      `The migrate scanner (orange line) has walked up from the zone's start to ${hex(c.migrate_pfn)}, ` +
      `taking movable pages; the free scanner (green line) has walked down from its end to ${hex(c.free_pfn)}, ` +
      `taking free pages to move them into. ${run.migrated} page(s) migrated so far` +
      (c.movesTotal ? `: a purple frame is one a page moved to, and the arrows go from pages of the last ` +
        `batch (${c.batch} pages, at most ${MAX_ARROWS} arrows) to their new frames` +
        (c.movesTotal > c.moves.length ? ` (the last ${c.moves.length} of ${c.movesTotal} drawn)` : '') : '') + '. ' +
      (c.block ? `The request then got the order-${c.block.order} block at ${hex(c.block.pfn)} (outlined in gold): ` +
        'the pages that stood in its way were movable, so compaction moved them out.' : '')),
    el('p', {}, el('button', { type: 'button', className: 'go-migrate', onclick: () => goTo(c.migrate_pfn) },
      'show the migrate scanner'), ' ',
    el('button', { type: 'button', className: 'go-free', onclick: () => goTo(c.free_pfn) }, 'show the free scanner'),
    ' ', el('button', { type: 'button', className: 'zoom-in', onclick: () => zoomIn(c.migrate_pfn) },
      'zoom in (4 pixels a frame)')),
    rows.length ? el('table', { className: 'compaction-buddy' },
      el('tr', {}, el('th', {}, `${zone}: free blocks of order`), ...orders.map((o) => el('th', {}, String(o)))),
      ...rows.map(([label, v]) => el('tr', { dataset: { when: label } }, el('th', {}, label),
        ...v.map((n) => el('td', {}, String(n))))))
      : el('p', { className: 'summary' }, run.timed ? 'A trace does not say how many blocks of each order ' +
        'were free at each of its points: only the buddyinfo of its bundle, taken before it, is known.' : ''));
}
