// compaction.js - compaction runs read from their events, and a chart of one
// run: where the migrate scanner and the free scanner of compact_zone()
// (mm/compaction.c) stood over time, each step's pfn range as a bar (the
// mm_compaction_isolate_migratepages and _isolate_freepages lines), the
// zone's ends, and the run's begin and end with its mode and status.
//
// The events are the kernel's tracepoints, from a live session or an
// imported trace alike: their detail is the kernel's text of the fields,
// read by ktext.js. A run opens at mm_compaction_begin and closes at
// mm_compaction_end; the events between are given to the open run whose
// task (a trace's pid) and zone (the range's pfns) they match.
import { api } from './api.js';
import { el } from './format.js';
import { parseFields } from './ktext.js';

export const COMPACTION_TYPES = ['mm_compaction_begin', 'mm_compaction_end',
  'mm_compaction_isolate_migratepages', 'mm_compaction_isolate_freepages',
  'mm_compaction_fast_isolate_freepages', 'mm_compaction_migratepages', 'mm_compaction_finished'];

const MIGRATE = '#e76f51', FREE = '#2a9d8f';
const PER_TYPE = 50000;	// events of one type read for the chart

const hex = (n) => `0x${Math.round(n).toString(16)}`;

// Events of @types up to seq @at (all when null), in seq order; a type the
// daemon does not know counts as none (ask only for types the session has).
export async function loadEvents(sessionId, at, types = COMPACTION_TYPES) {
  let cut = false;
  const lists = await Promise.all(types.map(async (type) => {
    const out = [];
    let since = 0;
    for (;;) {
      let r;
      try {
        r = await api(`/sessions/${sessionId}/events?type=${type}&since=${since}&limit=10000`);
      } catch (e) {
        if (e.status === 400) return out;	// no event of that type in this session
        throw e;
      }
      for (const ev of r.events)
        if (at === null || at === undefined || ev.seq <= at) out.push(ev);
      const last = r.events.at(-1);
      if (r.events.length < 10000 || (at !== null && at !== undefined && last.seq > at))
        return out;
      if (out.length >= PER_TYPE) {
        cut = true;
        return out;
      }
      since = last.seq;
    }
  }));
  const events = lists.flat().sort((a, b) => a.seq - b.seq);
  events.cut = cut;
  return events;
}

// The runs in @events (seq order): see the header.
export function compactionRuns(events) {
  const runs = [], open = [];
  const timed = events.some((e) => e.ts_ns !== undefined);
  const xOf = (e) => (timed ? (e.ts_ns ?? 0) / 1e6 : e.seq);
  const find = (e, pfn) => {
    let c = open;
    if (e.pid !== undefined) c = c.filter((r) => r.pid === e.pid);
    if (pfn !== undefined) c = c.filter((r) => pfn >= r.zone_start && pfn < r.zone_end);
    return c.at(-1);
  };
  for (const e of events) {
    const f = parseFields(e.detail);
    if (e.type === 'mm_compaction_begin') {
      const run = { pid: e.pid, task: e.task, zone: e.zone ?? null, zone_start: f.zone_start,
        zone_end: f.zone_end, mode: f.mode, begin: { seq: e.seq, x: xOf(e), migrate_pfn: f.migrate_pfn,
          free_pfn: f.free_pfn }, end: null, migrate: [], free: [], migrated: 0, failed: 0, batches: 0, timed };
      runs.push(run);
      open.push(run);
      continue;
    }
    const pfn = Array.isArray(f.range) ? f.range[0] : undefined;
    const run = find(e, pfn);
    if (!run) continue;
    if (e.type === 'mm_compaction_isolate_migratepages' || e.type.endsWith('isolate_freepages')) {
      const step = { seq: e.seq, x: xOf(e), from: f.range[0], to: f.range[1], scanned: f.nr_scanned,
        taken: f.nr_taken, fast: e.type.startsWith('mm_compaction_fast') };
      (e.type === 'mm_compaction_isolate_migratepages' ? run.migrate : run.free).push(step);
    } else if (e.type === 'mm_compaction_migratepages') {
      run.migrated += f.nr_migrated ?? 0;
      run.failed += f.nr_failed ?? 0;
      run.batches++;
    } else if (e.type === 'mm_compaction_finished') {
      run.zone = run.zone ?? f.zone ?? null;
    } else if (e.type === 'mm_compaction_end') {
      run.end = { seq: e.seq, x: xOf(e), status: f.status, migrate_pfn: f.migrate_pfn, free_pfn: f.free_pfn };
      open.splice(open.indexOf(run), 1);
    }
  }
  return runs;
}

// Where each scanner stood after each step, from the begin's pfns to the
// end's: the migrate scanner at the end of its last range (it walks up); the
// free scanner at the pageblock of its last range's start: it walks down a
// pageblock at a time, but scans each block upwards and, stopped inside one
// with enough free pages taken, resumes there (isolate_freepages()).
export const PAGEBLOCK_NR_PAGES = 512;	// x86-64: pageblock_order 9
const block = (pfn) => pfn - (pfn % PAGEBLOCK_NR_PAGES);

export function scannerPath(run, which) {
  const up = which === 'migrate';
  const pts = [{ x: run.begin.x, y: up ? run.begin.migrate_pfn : block(run.begin.free_pfn) }];
  for (const s of up ? run.migrate : run.free)
    pts.push({ x: s.x, y: up ? s.to : block(s.from) });
  if (run.end)
    pts.push({ x: run.end.x, y: up ? run.end.migrate_pfn : block(run.end.free_pfn) });
  return pts;
}

// Steps as vertical bars: pairs of points with a gap between them.
function bars(steps) {
  const pts = [];
  for (const s of steps)
    pts.push({ x: s.x, y: s.from }, { x: s.x, y: s.to }, { x: s.x, y: null });
  return pts;
}

// Which way a path went: 'up', 'down', 'still' or 'both'.
export function direction(pts) {
  let up = false, down = false;
  for (let i = 1; i < pts.length; i++) {
    if (pts[i].y > pts[i - 1].y) up = true;
    if (pts[i].y < pts[i - 1].y) down = true;
  }
  return up && down ? 'both' : up ? 'up' : down ? 'down' : 'still';
}

function describe(run) {
  const zone = run.zone ? `${run.zone} ` : '';
  const span = `${zone}(${hex(run.zone_start)}\u2013${hex(run.zone_end)}), mode=${run.mode}`;
  const work = `${run.migrate.length} migrate-scanner steps, ${run.free.length} free-scanner steps, ` +
    `${run.batches} migration batch(es): ${run.migrated} pages migrated, ${run.failed} failed`;
  if (!run.end)
    return `${span}: ${work}; still running at this point.`;
  const met = run.end.migrate_pfn >= run.end.free_pfn;
  return `${span}: ${work}; ended status=${run.end.status} with the migrate scanner at ` +
    `${hex(run.end.migrate_pfn)} and the free scanner at ${hex(run.end.free_pfn)}` +
    (met ? ' (they met).' : ' (they had not met).');
}

// The pfn bands to draw: the whole zone, or, when neither scanner came near
// the middle of a large zone, the free scanner's top part above the migrate
// scanner's bottom part (the middle left out), so that their steps show.
export function bands(run) {
  const mig = scannerPath(run, 'migrate').map((p) => p.y).concat(run.migrate.map((s) => s.to));
  const free = scannerPath(run, 'free').map((p) => p.y).concat(run.free.map((s) => s.from));
  const span = run.zone_end - run.zone_start;
  const high = Math.max(run.zone_start, ...mig), low = Math.min(run.zone_end, ...free);
  if (low - high <= span / 2)
    return [{ min: run.zone_start, max: run.zone_end }];
  const pad = (n) => Math.max(PAGEBLOCK_NR_PAGES, Math.round(n * 0.15));
  const up = (pfn) => Math.ceil(pfn / PAGEBLOCK_NR_PAGES) * PAGEBLOCK_NR_PAGES;
  return [{ min: Math.max(run.zone_start, block(low - pad(run.zone_end - low))), max: run.zone_end, part: 'top' },
    { min: run.zone_start, max: Math.min(run.zone_end, up(high + pad(high - run.zone_start))), part: 'bottom' }];
}

// A figure with the chart of @run (drawn by its draw() once in the page); @cursor an
// x to mark (the timeline's seq), if any.
export function runFigure(run, cursor) {
  const migratePath = scannerPath(run, 'migrate'), freePath = scannerPath(run, 'free');
  const parts = bands(run);
  const canvases = parts.map((b) => el('canvas', { 'aria-label': `compaction scanners of ${run.zone ?? 'a zone'}` +
    (b.part ? `, pfns ${hex(b.min)} to ${hex(b.max)}` : '') }));
  const caption = describe(run) + (parts.length > 1 ? ` Neither scanner came near the middle of the zone: ` +
    `${hex(parts[1].max)}\u2013${hex(parts[0].min)} is left out between the free scanner's part (above) and the ` +
    `migrate scanner's (below).` : '');
  const fig = el('figure', { className: 'compaction-run', dataset: {
    zone: run.zone ?? '', status: run.end?.status ?? 'running', migrateSteps: String(run.migrate.length),
    freeSteps: String(run.free.length), migrated: String(run.migrated), bands: String(parts.length),
    migrateDirection: direction(migratePath), freeDirection: direction(freePath) } },
  el('figcaption', {}, caption),
  ...canvases.map((c, i) => el('div', { className: `chart-box compaction-box${parts.length > 1 ? ' half' : ''}`,
    dataset: { part: parts[i].part ?? 'zone' } }, c)));
  const x0 = run.timed ? run.begin.x : 0;
  const shift = (pts) => pts.map((p) => ({ x: p.x - x0, y: p.y }));
  const xMax = Math.max(...migratePath.map((p) => p.x), ...freePath.map((p) => p.x)) - x0;
  const annotationsFor = (b, last) => {
    const a = {
      begin: { type: 'line', xMin: run.begin.x - x0, xMax: run.begin.x - x0, borderColor: '#343a40', borderDash: [4, 3],
        label: { display: b.part !== 'bottom', content: 'begin', position: 'center', font: { size: 10 } } },
    };
    if (b.min <= run.zone_start)
      a.zoneStart = { type: 'line', yMin: run.zone_start, yMax: run.zone_start, borderColor: '#6c757d', borderWidth: 1,
        label: { display: true, content: `zone start ${hex(run.zone_start)}`, position: 'start', font: { size: 10 } } };
    if (b.max >= run.zone_end)
      a.zoneEnd = { type: 'line', yMin: run.zone_end, yMax: run.zone_end, borderColor: '#6c757d', borderWidth: 1,
        label: { display: true, content: `zone end ${hex(run.zone_end)}`, position: 'start', font: { size: 10 } } };
    if (run.end)
      a.end = { type: 'line', xMin: run.end.x - x0, xMax: run.end.x - x0, borderColor: '#343a40',
        borderDash: [4, 3], label: { display: last, content: `end: ${run.end.status}`, position: 'center',
          font: { size: 10 } } };
    if (cursor !== undefined && cursor !== null)
      a.cursor = { type: 'line', xMin: cursor - x0, xMax: cursor - x0, borderColor: '#9d0208', borderWidth: 1 };
    return a;
  };
  // drawn once the figure is in the page (Chart.js sizes the canvas from its box)
  fig.draw = () => { fig.charts = canvases.map((canvas, i) => new Chart(canvas, {
    type: 'line',
    data: { datasets: [
      { label: 'migrate scanner: range scanned', data: shift(bars(run.migrate)), borderColor: MIGRATE,
        backgroundColor: MIGRATE, borderWidth: 5, pointRadius: 0, spanGaps: false },
      { label: 'free scanner: range scanned', data: shift(bars(run.free)), borderColor: FREE,
        backgroundColor: FREE, borderWidth: 5, pointRadius: 0, spanGaps: false },
      { label: 'migrate scanner (walks up)', data: shift(migratePath), borderColor: MIGRATE, backgroundColor: MIGRATE,
        borderWidth: 1.5, borderDash: [5, 3], stepped: 'before', pointRadius: 0 },
      { label: 'free scanner (walks down)', data: shift(freePath), borderColor: FREE, backgroundColor: FREE,
        borderWidth: 1.5, borderDash: [5, 3], stepped: 'before', pointRadius: 0 },
    ] },
    options: {
      animation: false, maintainAspectRatio: false, parsing: false, normalized: true,
      scales: {
        x: { type: 'linear', min: 0, max: xMax > 0 ? xMax : undefined,
          title: { display: i === canvases.length - 1, text: run.timed ? 'ms since the run began' : 'event seq' } },
        y: { type: 'linear', min: parts[i].min, max: parts[i].max, title: { display: true, text: 'pfn' },
          ticks: { callback: (v) => hex(v), maxTicksLimit: parts.length > 1 ? 5 : 8 } },
      },
      plugins: {
        legend: { display: i === canvases.length - 1, position: 'bottom', labels: { boxWidth: 12, font: { size: 11 } } },
        annotation: { annotations: annotationsFor(parts[i], i === canvases.length - 1) },
        tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${hex(c.parsed.y)}` } },
      },
    },
  })); };
  return fig;
}
