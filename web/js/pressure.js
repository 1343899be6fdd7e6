// pressure.js - the memory-pressure view: free pages against the min, low
// and high watermarks over the session (kswapd's sawtooth), the LRU lists,
// what reclaim scanned and stole between samples, swap use, and OOM kills
// as markers. The series come from GET .../pressure, the machine sampled at
// the end of ops spread over the session; the cursor's seq is a vertical line.
import { mib } from './format.js';

const MARKS = [
  { key: 'min', colour: '#d00000' },
  { key: 'low', colour: '#f77f00' },
  { key: 'high', colour: '#2b9348' },
];
const LRUS = [
  { key: 'inactive_file', label: 'inactive file', colour: '#8ecae6' },
  { key: 'active_file', label: 'active file', colour: '#219ebc' },
  { key: 'inactive_anon', label: 'inactive anon', colour: '#ffb703' },
  { key: 'active_anon', label: 'active anon', colour: '#fb8500' },
  { key: 'unevictable', label: 'unevictable', colour: '#6c757d' },
];
const RATES = [
  { key: 'pgscan_kswapd', label: 'scanned by kswapd', colour: '#90be6d', dash: [4, 3], hidden: true },
  { key: 'pgsteal_kswapd', label: 'stolen by kswapd', colour: '#2b9348' },
  { key: 'pgscan_direct', label: 'scanned by direct reclaim', colour: '#f4a261', dash: [4, 3], hidden: true },
  { key: 'pgsteal_direct', label: 'stolen by direct reclaim', colour: '#e76f51' },
  { key: 'pswpout', label: 'swapped out', colour: '#7209b7' },
  { key: 'pswpin', label: 'swapped in', colour: '#b5179e', dash: [2, 2] },
];

// Per-sample increases of a cumulative counter.
const deltas = (v) => v.map((x, i) => (i ? x - v[i - 1] : 0));

function lineChart(canvas, yTitle, stacked = false) {
  return new Chart(canvas, {
    type: 'line',
    data: { labels: [], datasets: [] },
    options: {
      animation: false, maintainAspectRatio: false, parsing: false, normalized: true,
      interaction: { mode: 'nearest', axis: 'x', intersect: false },
      elements: { point: { radius: 0 }, line: { borderWidth: 1.5 } },
      scales: {
        x: { type: 'linear', title: { display: true, text: 'event seq (end of op)' } },
        y: { stacked, min: 0, title: { display: true, text: yTitle } },
      },
      plugins: {
        legend: { position: 'bottom', labels: { boxWidth: 12, font: { size: 11 } } },
        annotation: { annotations: {} },
      },
    },
  });
}

function points(seq, values) {
  return seq.map((x, i) => ({ x, y: values[i] }));
}

// Vertical lines: the cursor's seq, and each sample where the OOM killer killed.
function markers(seq, s, at) {
  const a = {};
  const oom = deltas(s.oom_kill);
  oom.forEach((n, i) => {
    if (n > 0)
      a[`oom${i}`] = { type: 'line', xMin: seq[i], xMax: seq[i], borderColor: '#9d0208', borderWidth: 2,
        borderDash: [6, 3], label: { display: true, content: `OOM kill${n > 1 ? ` \u00d7${n}` : ''}`,
          position: 'start', backgroundColor: '#9d0208', font: { size: 10 } } };
  });
  if (at !== null && at !== undefined)
    a.cursor = { type: 'line', xMin: at, xMax: at, borderColor: '#343a40', borderWidth: 1 };
  return a;
}

export function createPressure() {
  const root = document.getElementById('view-pressure');
  const summary = document.getElementById('pressure-summary');
  const scope = document.getElementById('pressure-scope');
  const density = document.getElementById('pressure-points');
  const zoom = document.getElementById('pressure-zoom');
  let charts = null, last = null, refreshNow = null;

  function build() {
    charts = {
      free: lineChart(document.getElementById('pressure-free'), 'pages'),
      lru: lineChart(document.getElementById('pressure-lru'), 'pages', true),
      rates: lineChart(document.getElementById('pressure-rates'), 'pages per sample'),
    };
    charts.rates.options.scales.swap = { position: 'right', min: 0, grid: { drawOnChartArea: false },
      title: { display: true, text: 'swap used (pages)' } };
  }

  function drawFree(p, at) {
    const s = p.series, zone = scope.value === 'zone';
    const pick = (k) => s[zone ? `zone_${k}` : k];
    const c = charts.free;
    c.data.datasets = [
      { label: zone ? `free pages (${p.zone})` : 'free pages (all zones)', data: points(s.seq, pick('free')),
        borderColor: '#1d3557', backgroundColor: 'rgba(29,53,87,0.12)', fill: 'origin', borderWidth: 2 },
      ...MARKS.map((w) => ({ label: w.key, data: points(s.seq, pick(w.key)), borderColor: w.colour,
        borderDash: [5, 3], borderWidth: 1.5 })),
    ];
    c.options.plugins.annotation.annotations = markers(s.seq, s, at);
    /* zoomed: the band around the watermarks, where the sawtooth is */
    c.options.scales.y.max = zoom.checked ? Math.max(...pick('high')) * 3 : undefined;
    c.update();
  }

  function drawLru(p, at) {
    const s = p.series, c = charts.lru;
    c.data.datasets = LRUS.map((l, i) => ({ label: l.label, data: points(s.seq, s[l.key]),
      borderColor: l.colour, backgroundColor: l.colour, fill: i ? '-1' : 'origin' }));
    c.options.plugins.annotation.annotations = markers(s.seq, s, at);
    c.update();
  }

  function drawRates(p, at) {
    const s = p.series, c = charts.rates;
    c.data.datasets = [
      ...RATES.map((r) => ({ label: r.label, data: points(s.seq, deltas(s[r.key])), borderColor: r.colour,
        borderDash: r.dash || [], yAxisID: 'y', hidden: !!r.hidden })),
      { label: 'swap used', data: points(s.seq, s.swap_used), borderColor: '#3a0ca3', borderWidth: 2.5,
        yAxisID: 'swap' },
    ];
    c.options.scales.swap.display = p.swap_total > 0;
    c.options.scales.swap.max = p.swap_total || undefined;
    c.options.plugins.annotation.annotations = markers(s.seq, s, at);
    c.update();
  }

  function describe(p) {
    const s = p.series, n = s.seq.length - 1;
    if (n < 0)
      return 'No op has run in this session yet.';
    const sum = (k) => s[k][n];
    const wakes = sum('pageoutrun'), stalls = sum('allocstall');
    const below = s.zone_free.filter((f, i) => f < s.zone_low[i]).length;
    return `${p.zone} holds ${s.zone_free[n]} free pages (${mib(s.zone_free[n])}) against min ` +
      `${s.zone_min[n]}, low ${s.zone_low[n]} and high ${s.zone_high[n]}; ` +
      `${below} of ${n + 1} samples were below low. kswapd ran balance_pgdat() ${wakes} time${wakes === 1 ? '' : 's'} ` +
      `and stole ${sum('pgsteal_kswapd')} pages; direct reclaim stalled ${stalls} allocation${stalls === 1 ? '' : 's'} ` +
      `and stole ${sum('pgsteal_direct')}. ${sum('pswpout')} pages went to swap and ${sum('pswpin')} came back ` +
      `(${sum('pgmajfault')} major faults); ${sum('swap_used')} of ${p.swap_total} swap slots are in use` +
      `${sum('oom_kill') ? `; the OOM killer killed ${sum('oom_kill')} time${sum('oom_kill') === 1 ? '' : 's'}` : ''}.`;
  }

  function draw(p, at) {
    if (!charts)
      build();
    drawFree(p, at);
    drawLru(p, at);
    drawRates(p, at);
    summary.textContent = describe(p);
    root.dataset.points = String(p.points);
    root.dataset.ready = 'true';
  }

  scope.addEventListener('change', () => last && draw(last.p, last.at));
  zoom.addEventListener('change', () => last && draw(last.p, last.at));
  density.addEventListener('change', () => refreshNow && refreshNow());

  return {
    reset() {
      last = null;
      root.dataset.ready = 'false';
    },
    async refresh(session, current) {
      refreshNow = () => this.refresh(session, current);
      const p = await session.pressure(Number(density.value));
      if (!current())
        return;
      last = { p, at: session.at };
      draw(p, session.at);
      root.dataset.session = String(session.id);
    },
  };
}
