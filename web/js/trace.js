// trace.js - the view of a trace session (a real kernel's trace, imported):
// what the import found, the page requests by zone and order up to the
// current seq (allocations above the axis, frees below), the slab caches,
// kmalloc call sites and tasks, the reclaim / compaction / OOM events, the
// compaction runs' scanners (compaction.js), and the trace's requests replayed through the model (POST .../resimulate).
// Everything here is counted from the trace's own lines; what a trace cannot
// tell is said under the figures.
import { api } from './api.js';
import { COMPACTION_TYPES, compactionRuns, loadEvents, runFigure } from './compaction.js';
import { el } from './format.js';

const SVG = 'http://www.w3.org/2000/svg';
const ALLOC = '#e76f51', FREE = '#2a9d8f';
const ORDERS = 11;

function svg(name, attrs, ...children) {
  const n = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs))
    n.setAttribute(k, String(v));
  n.append(...children);
  return n;
}

const secs = (ns) => (ns / 1e9).toFixed(6);
const pct = (x) => (x === null || x === undefined ? 'not known' : `${(100 * x).toFixed(1)} %`);

// One zone's requests by order: a bar up for the allocations, down for the frees.
function zoneChart(z, max) {
  const W = 330, H = 150, left = 34, mid = H / 2, bw = (W - left - 6) / ORDERS;
  const scale = (n) => (n ? Math.max(1, (mid - 14) * n / max) : 0);
  const bars = [];
  for (let o = 0; o < ORDERS; o++) {
    const x = left + o * bw + 2, a = z.allocs_by_order[o], f = z.frees_by_order[o];
    bars.push(svg('rect', { x, y: mid - scale(a), width: bw - 4, height: scale(a), fill: ALLOC,
                            'data-order': o, 'data-kind': 'alloc', 'data-count': a },
                  svg('title', {}, `order ${o}: ${a} allocations`)));
    bars.push(svg('rect', { x, y: mid, width: bw - 4, height: scale(f), fill: FREE,
                            'data-order': o, 'data-kind': 'free', 'data-count': f },
                  svg('title', {}, `order ${o}: ${f} frees`)));
    bars.push(svg('text', { x: x + (bw - 4) / 2, y: H - 2, 'text-anchor': 'middle', 'font-size': 10 }, String(o)));
  }
  return el('figure', { className: 'trace-zone', dataset: { zone: z.name } },
    el('figcaption', {}, `${z.name}: ${z.alloc_pages} pages allocated, ${z.free_pages} freed`,
       z.buddyinfo_before ? el('br') : '',
       z.buddyinfo_before ? `free blocks by order before the trace: ${z.buddyinfo_before.join(' ')}` : ''),
    svg('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img',
                 'aria-label': `${z.name}: requests by order` },
        svg('line', { x1: left, x2: W, y1: mid, y2: mid, stroke: '#6c757d' }),
        svg('text', { x: 0, y: 12, 'font-size': 10 }, `${max}`),
        svg('text', { x: 0, y: mid + 4, 'font-size': 10 }, 'order'),
        ...bars));
}

function table(id, head, rows) {
  const t = document.getElementById(id);
  t.replaceChildren(el('tr', {}, ...head.map((h) => el('th', {}, h))),
    ...rows.map((r) => el('tr', {}, ...r.map((c) => el('td', {}, String(c))))));
  return t;
}

// The model's free lists against the real machine's at each point where the
// real buddyinfo is known (POST .../resimulate's buddyinfo_distance): the
// distance (solid) and the distance of the changes since the first point
// (dashed), 0 to 1, over the trace's time.
const DIST = '#7b2cbf', CHANGE = '#f77f00';

function distanceChart(d, t0) {
  const W = 620, H = 200, left = 40, right = 10, top = 10, bottom = 30;
  const pts = d.points;
  const ts = pts.map((p) => p.ts_ns), lo = Math.min(...ts), hi = Math.max(...ts);
  const x = (ns) => left + (hi > lo ? (ns - lo) / (hi - lo) : 0.5) * (W - left - right);
  const y = (v) => top + (1 - v) * (H - top - bottom);
  const line = (key, color, dash) => svg('polyline', {
    points: pts.map((p) => `${x(p.ts_ns).toFixed(2)},${y(p[key]).toFixed(2)}`).join(' '),
    fill: 'none', stroke: color, 'stroke-width': 2, 'stroke-dasharray': dash, 'data-series': key });
  const dots = pts.flatMap((p, i) => [['distance', DIST], ['change_distance', CHANGE]].map(([key, color]) =>
    svg('circle', { cx: x(p.ts_ns), cy: y(p[key]), r: 3.5, fill: color, 'data-series': key, 'data-i': i,
                    'data-value': p[key], 'data-source': p.source },
        svg('title', {}, `${p.source} at ${secs(p.ts_ns)} s (seq ${p.seq}): ${key === 'distance' ? 'distance' : 'change distance'} ${p[key].toFixed(3)}` +
          `\n${p.zones.map((z) => `${z.zone}: ${z.distance === null ? 'not in the model' : z.distance.toFixed(3)}`).join(', ')}`))));
  const grid = [0, 0.25, 0.5, 0.75, 1].flatMap((v) => [
    svg('line', { x1: left, x2: W - right, y1: y(v), y2: y(v), stroke: '#dee2e6' }),
    svg('text', { x: left - 4, y: y(v) + 3, 'text-anchor': 'end', 'font-size': 10 }, v.toFixed(2))]);
  const span = (hi - lo) / 1e9;
  return svg('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'data-points': pts.length,
                      'aria-label': 'Distance between the model\'s and the real free lists over the trace' },
    ...grid,
    svg('text', { x: left, y: H - 8, 'font-size': 10 }, `${((lo - t0) / 1e9).toFixed(3)} s`),
    svg('text', { x: W - right, y: H - 8, 'font-size': 10, 'text-anchor': 'end' }, `${((hi - t0) / 1e9).toFixed(3)} s (${span.toFixed(3)} s span)`),
    line('distance', DIST, ''), line('change_distance', CHANGE, '5 3'), ...dots);
}

function renderDistance(d, t0) {
  const box = document.getElementById('trace-resim-distance');
  const note = document.getElementById('trace-resim-distance-note');
  const chart = document.getElementById('trace-resim-distance-chart');
  box.hidden = false;
  if (!d.points.length) {
    chart.replaceChildren();
    note.textContent = 'Free lists compared: nowhere. The real buddyinfo is not known at any point of this ' +
      'trace (a bundle of mmlab-capture carries it before and after; --sample adds points during the trace).';
    box.dataset.ready = 'true';
    return;
  }
  const last = d.points.at(-1);
  note.replaceChildren(
    el('span', { className: 'trace-swatch', style: `background:${DIST}` }), ` distance of the free lists, `,
    el('span', { className: 'trace-swatch', style: `background:${CHANGE}` }), ` distance of their changes since the first point, at ${d.points.length} point(s) where the real buddyinfo is known ` +
    `(${[...new Set(d.points.map((p) => p.source))].join(', ')}); at the last, ${last.distance.toFixed(3)} and ${last.change_distance.toFixed(3)}. ` +
    `0 is the same, 1 nothing in common. Distance: ${d.definition}.`);
  chart.replaceChildren(distanceChart(d, t0));
  box.dataset.ready = 'true';
}

// Reclaim rounds (GET .../reclaim), of a trace or a simulated session alike:
// the priority of each mm_vmscan_lru_shrink_inactive step above, its
// nr_scanned and nr_reclaimed below, over time (the trace's seconds, or the
// simulated session's seq), all rounds or one, by kind.
const SCANNED = '#9ecae1', RECLAIMED = '#08519c';
const KIND_COLOUR = { kswapd: '#2a9d8f', direct: '#e76f51', memcg: '#7b2cbf' };

function reclaimChart(rounds, time) {
  const W = 680, left = 48, right = 10, top = 18, PH = 120, gap = 30, BH = 130, bottom = 26;
  const H = top + PH + gap + BH + bottom;
  const steps = rounds.flatMap((r) => r.steps.map((st, j) => ({ ...st, r, j })));
  const ts = rounds.flatMap((r) => [r.start_t, r.end_t ?? r.start_t, ...r.steps.map((st) => st.t)]);
  const lo = Math.min(...ts), hi = Math.max(...ts);
  const plotW = W - left - right;
  const x = (t) => left + (hi > lo ? (t - lo) / (hi - lo) : 0.5) * plotW;
  const yP = (p) => top + (12 - Math.max(0, Math.min(12, p))) / 12 * PH;
  const maxScan = Math.max(1, ...steps.map((st) => st.nr_scanned));
  const base = top + PH + gap + BH;
  const yB = (n) => base - n / maxScan * BH;
  const bw = Math.max(1, Math.min(14, plotW / Math.max(1, steps.length) * 0.8));
  const unit = time === 'ts_ns' ? (t) => `${((t - lo) / 1e9).toFixed(3)} s` : (t) => `seq ${t}`;
  const kids = [];
  for (const p of [12, 8, 4, 0])
    kids.push(svg('line', { x1: left, x2: W - right, y1: yP(p), y2: yP(p), stroke: '#dee2e6', 'data-priority-axis': p }),
              svg('text', { x: left - 4, y: yP(p) + 3, 'text-anchor': 'end', 'font-size': 10 }, String(p)));
  kids.push(svg('text', { x: left, y: top - 6, 'font-size': 10 }, 'priority (12: the first pass, lower: more pressure)'));
  for (const f of [0, 0.5, 1])
    kids.push(svg('line', { x1: left, x2: W - right, y1: yB(f * maxScan), y2: yB(f * maxScan), stroke: '#dee2e6' }),
              svg('text', { x: left - 4, y: yB(f * maxScan) + 3, 'text-anchor': 'end', 'font-size': 10 }, String(Math.round(f * maxScan))));
  kids.push(svg('text', { x: left, y: base - BH - 6, 'font-size': 10 }, 'pages per step: nr_scanned, nr_reclaimed'));
  for (const r of rounds) {	// the round's span, and its priority steps joined
    const c = KIND_COLOUR[r.kind];
    kids.push(svg('rect', { x: x(r.start_t), y: top, width: Math.max(1, x(r.end_t ?? r.steps.at(-1)?.t ?? r.start_t) - x(r.start_t)),
                            height: PH, fill: c, 'fill-opacity': 0.08 }));
    if (r.steps.length > 1)
      kids.push(svg('polyline', { points: r.steps.map((st) => `${x(st.t).toFixed(2)},${yP(st.priority).toFixed(2)}`).join(' '),
                                  fill: 'none', stroke: c, 'stroke-width': 1.5 }));
  }
  for (const st of steps) {
    const cx = x(st.t), title = `${st.r.kind} round${st.r.task ? ` of ${st.r.task}-${st.r.pid}` : ''}, step ${st.j + 1} at ${unit(st.t)}: ` +
      `priority ${st.priority}, nr_scanned ${st.nr_scanned}, nr_reclaimed ${st.nr_reclaimed}`;
    const data = { 'data-seq': st.seq, 'data-priority': st.priority, 'data-scanned': st.nr_scanned, 'data-reclaimed': st.nr_reclaimed };
    kids.push(svg('circle', { cx, cy: yP(st.priority), r: 3, fill: KIND_COLOUR[st.r.kind], class: 'step-priority', ...data },
                  svg('title', {}, title)));
    kids.push(svg('rect', { x: cx - bw / 2, y: yB(st.nr_scanned), width: bw, height: base - yB(st.nr_scanned), fill: SCANNED,
                            class: 'step-scanned', ...data }, svg('title', {}, title)));
    kids.push(svg('rect', { x: cx - bw / 2, y: yB(st.nr_reclaimed), width: bw, height: base - yB(st.nr_reclaimed), fill: RECLAIMED,
                            class: 'step-reclaimed', ...data }, svg('title', {}, title)));
  }
  kids.push(svg('text', { x: left, y: H - 6, 'font-size': 10 }, unit(lo)),
            svg('text', { x: W - right, y: H - 6, 'font-size': 10, 'text-anchor': 'end' }, unit(hi)));
  return svg('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'data-max-scanned': maxScan,
                      'aria-label': 'Reclaim steps: priority, pages scanned and reclaimed over time' }, ...kids);
}

function createReclaim() {
  const box = document.getElementById('trace-reclaim');
  const form = document.getElementById('trace-reclaim-controls');
  const select = document.getElementById('trace-reclaim-round');
  const note = document.getElementById('trace-reclaim-note');
  const chart = document.getElementById('trace-reclaim-chart');
  let data = null;

  const label = (r, i) => `#${i + 1} ${r.kind}${r.task ? ` ${r.task}-${r.pid}` : ''}${r.node !== null ? ` node ${r.node}` : ''}` +
    `${r.order !== null ? ` order ${r.order}` : ''}: ${r.steps.length} step(s)` +
    (r.nr_reclaimed !== null ? `, ${r.nr_reclaimed} reclaimed` : '') + (r.began_before ? ' (began before the trace)' : '') +
    (r.end_seq === null ? ' (still running)' : '');

  function draw() {
    const kinds = new Set(['kswapd', 'direct', 'memcg'].filter((k) => form.elements[k].checked));
    const one = select.value === '' ? null : Number(select.value);
    const rounds = one === null ? data.rounds.filter((r) => kinds.has(r.kind)) : [data.rounds[one]];
    const count = (k) => data.rounds.filter((r) => r.kind === k).length;
    const nsteps = rounds.reduce((n, r) => n + r.steps.length, 0);
    note.textContent = `${data.rounds.length} round(s) up to this seq: ${count('kswapd')} kswapd, ${count('direct')} direct, ` +
      `${count('memcg')} memcg${data.truncated ? ' (the first ones only: there are more)' : ''}. Shown: ` +
      (one === null ? `${rounds.length} round(s) of the kinds ticked` : label(data.rounds[one], one)) +
      `, ${nsteps} shrink step(s)` + (data.time === 'seq' ? ', over the simulated session\u2019s seq.' : ', over the trace\u2019s seconds.');
    chart.replaceChildren(rounds.length ? reclaimChart(rounds, data.time) : '');
    chart.dataset.rounds = String(rounds.length);
    chart.dataset.steps = String(nsteps);
    box.dataset.ready = 'true';
  }

  form.addEventListener('change', (e) => {
    if (e.target !== select)
      select.value = '';
    if (data)
      draw();
  });

  async function refresh(s, fresh) {
    const at = s.at === null ? '' : `?at=${s.at}`;
    const r = await api(`/sessions/${s.id}/reclaim${at}`);
    if (!fresh())
      return;
    box.dataset.ready = 'false';
    const keep = select.value;
    data = r;
    box.hidden = false;
    select.replaceChildren(el('option', { value: '' }, `all rounds (${r.rounds.length})`),
      ...r.rounds.map((x, i) => el('option', { value: String(i) }, label(x, i))));
    select.value = keep !== '' && Number(keep) < r.rounds.length ? keep : '';
    draw();
  }
  return { refresh, reset: () => { data = null; box.hidden = true; select.value = ''; } };
}

export function createTrace() {
  const summary = document.getElementById('trace-summary');
  const warn = document.getElementById('trace-warn');
  const zonesBox = document.getElementById('trace-zones');
  const notKnown = document.getElementById('trace-not-known');
  const resimButton = document.getElementById('trace-resim');
  const resimNote = document.getElementById('trace-resim-note');
  const body = document.getElementById('trace-body');
  const compactionBox = document.getElementById('trace-compaction');
  const compactionNote = document.getElementById('trace-compaction-note');
  const MAX_RUNS = 8;
  let last = null, lastTrace = null, figures = [];
  const reclaim = createReclaim();

  // The compaction runs up to this seq: the last MAX_RUNS that did something.
  function renderCompaction(events) {
    for (const f of figures)
      for (const c of f.charts ?? [])
        c.destroy();
    const runs = compactionRuns(events);
    const shown = runs.filter((r) => r.migrate.length || r.free.length || r.end).slice(-MAX_RUNS);
    figures = shown.map((r) => runFigure(r));
    compactionBox.replaceChildren(...figures);
    for (const f of figures)
      f.draw();
    compactionNote.textContent = runs.length
      ? `${runs.length} compaction run(s) up to this seq${runs.length > shown.length ? `; the last ${shown.length} are drawn` : ''}` +
        `${events.cut ? ' (only the first 50000 events of each compaction tracepoint are read)' : ''}.`
      : 'No compaction run (mm_compaction_begin) up to this seq.';
    compactionBox.dataset.runs = String(runs.length);
  }

  function renderSummary(t, now) {
    const span = (t.last_ts_ns - t.first_ts_ns) / 1e9;
    summary.textContent = `A real kernel's trace: ${t.events} events in ${t.lines} lines, ` +
      `${span.toFixed(3)} s of ${t.cpus} CPU(s), from ${secs(t.first_ts_ns)} to ${secs(t.last_ts_ns)}` +
      (now ? `; seq ${now.seq} is ${now.type} at ${secs(now.ts_ns)} by ${now.task}-${now.pid} on CPU ${now.cpu ?? 0}.` : '.');
    const w = [];
    if (t.lost.overwritten)
      w.push(`the ring buffer overwrote ${t.lost.overwritten} older events before it was read`);
    if (t.lost.events)
      w.push(`${t.lost.events} events were lost (${t.lost.lines} LOST line(s))`);
    if (t.bad_lines)
      w.push(`${t.bad_lines} line(s) could not be read (first: line ${t.bad[0].line}, ${t.bad[0].error})`);
    if (t.unknown.length)
      w.push(`tracepoints kept but not interpreted: ${t.unknown.join(', ')}`);
    warn.textContent = w.length ? `Note: ${w.join('; ')}.` : 'Nothing was lost or skipped.';
    table('trace-tracepoints', ['tracepoint', 'events'],
          Object.entries(t.tracepoints).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, v]));
  }

  function renderZones(t) {
    const zones = t.zones.filter((z) => z.alloc_pages || z.free_pages || t.zones_from === 'zoneinfo');
    const max = Math.max(1, ...zones.flatMap((z) => [...z.allocs_by_order, ...z.frees_by_order]));
    zonesBox.replaceChildren(...zones.map((z) => zoneChart(z, max)));
    zonesBox.dataset.max = String(max);
    notKnown.replaceChildren(el('li', {}, t.zones_from === 'zoneinfo'
      ? 'the zones are those of the zoneinfo taken before the trace'
      : 'the zones: the trace came without a zoneinfo, so one span over the pfns it names is shown'),
    ...t.not_known.map((n) => el('li', {}, n)));
  }

  function renderActivity(a) {
    table('trace-caches', ['cache', 'allocs', 'frees', 'bytes'],
          a.slab_caches.slice(0, 12).map((c) => [c.cache, c.count, c.frees, c.bytes]));
    table('trace-sites', ['kmalloc call site', 'bytes', 'calls'],
          a.kmalloc_sites_by_bytes.slice(0, 10).map((c) => [c.call_site, c.bytes, c.count]));
    table('trace-tasks', ['task', 'page allocations', 'bytes', 'frees'],
          a.tasks.slice(0, 10).map((c) => [c.task, c.count, c.bytes, c.frees]));
    table('trace-pressure', ['time (s)', 'event', 'fields'],
          a.pressure.slice(-12).map((p) => [secs(p.ts_ns), p.type, p.fields ?? p.detail ?? '']));
    const kills = a.pressure.filter((p) => p.type === 'mark_victim').map((p) => {
      const f = Object.fromEntries((p.detail ?? '').split(' ').map((kv) => kv.split('=')));
      return `${f.comm} (pid ${p.value}, ${f.anon_rss_kb} kB anonymous) at ${secs(p.ts_ns)} s`;
    });
    document.getElementById('trace-pressure-note').textContent = (a.pressure_events
      ? `${a.pressure_events} reclaim, compaction, migration and OOM events up to this seq; the last 12 below.`
      : 'No reclaim, compaction, migration or OOM event up to this seq.') +
      (kills.length ? ` The OOM killer chose ${kills.join(', ')}.` : '');
  }

  function renderResim(f) {
    if (!f)
      return;
    const p = f.page_allocs;
    table('trace-resim-figures', ['measure', 'model vs kernel'], [
      ['page allocations replayed', p.total],
      ['both succeeded', pct(p.share_both_ok)],
      ['same zone', pct(p.share_same_zone)],
      ['same migratetype', pct(p.share_same_migratetype)],
      ['same pfn', pct(p.share_same_pfn)],
      ['same migratetype fallback (or none)', `${pct(p.share_same_fallback)} (kernel fell back ${p.kernel_fallbacks}, model ${p.model_fallbacks})`],
      ['kmalloc: same bytes_alloc', pct(f.kmallocs.share_same_bytes_alloc)],
      ['frees of blocks from before the trace (not replayable)', f.page_frees.allocated_before_trace],
      ['requests per second', Math.round(f.requests_per_s)],
    ]).dataset.ready = 'true';
    resimNote.textContent = f.not_known.join(' ');
  }

  async function refresh(s, fresh) {
    last = s;
    let info;
    try {
      info = await s.info();
    } catch (e) {
      if (fresh()) throw e;
      return;
    }
    await reclaim.refresh(s, fresh);
    if (info.state !== 'trace') {
      if (fresh()) {
        body.hidden = true;
        summary.textContent = 'This session is a simulated machine. "Open a trace" (above) imports a real ' +
          'kernel\u2019s trace (the text of /sys/kernel/tracing/trace, or a bundle of tools/mmlab-capture).';
        warn.textContent = '';
      }
      return;
    }
    const at = s.at === null ? '' : `?at=${s.at}`;
    const [t, a, now] = await Promise.all([
      api(`/sessions/${s.id}/trace${at}`), api(`/sessions/${s.id}/trace/activity${at}`),
      api(`/sessions/${s.id}/events?since=${Math.max(0, (s.at ?? info.last_seq) - 1)}&limit=1`)]);
    if (!fresh())
      return;
    // only the tracepoints this trace has (another is an unknown type to ask for)
    const compaction = await loadEvents(s.id, s.at, COMPACTION_TYPES.filter((x) => t.tracepoints[x]));
    if (!fresh())
      return;
    body.hidden = false;
    lastTrace = t;
    renderSummary(t, now.events[0]);
    renderZones(t);
    renderActivity(a);
    renderCompaction(compaction);
    compactionBox.dataset.seq = String(s.at ?? info.last_seq);
    zonesBox.dataset.seq = String(s.at ?? info.last_seq);
    zonesBox.dataset.ready = 'true';
  }

  resimButton.addEventListener('click', async () => {
    if (!last)
      return;
    resimButton.disabled = true;
    resimNote.textContent = 'replaying\u2026';
    try {
      const f = await api(`/sessions/${last.id}/resimulate`, { method: 'POST' });
      renderResim(f);
      renderDistance(f.buddyinfo_distance, lastTrace?.first_ts_ns ?? 0);
    } catch (e) {
      resimNote.textContent = e.message;
    } finally {
      resimButton.disabled = false;
    }
  });
  return { refresh, reset: () => { last = null; document.getElementById('trace-resim-distance').hidden = true; reclaim.reset(); } };
}
