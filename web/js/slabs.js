// slabs.js - the slab view, like slabtop: every cache's geometry and
// counters (GET .../slabs) in a sortable table, the caches holding the most
// objects and slabs as charts, and the kernel's own /proc/slabinfo.
import { markSelected, onSelectionChange } from './selected.js';
import { el, mib } from './format.js';

const COLUMNS = ['name', 'objsize', 'objperslab', 'pagesperslab', 'active_objs', 'num_objs',
                 'active_slabs', 'num_slabs', 'partial'];
const TOP_N = 12;
const ACTIVE = '#1d3557', TOTAL = '#a8dadc';

const pagesOf = (c) => c.num_slabs * c.pagesperslab;

function barChart(canvas, title) {
  return new Chart(canvas, {
    type: 'bar',
    data: { labels: [], datasets: [
      { label: `active ${title}`, data: [], backgroundColor: ACTIVE },
      { label: `all ${title}`, data: [], backgroundColor: TOTAL },
    ] },
    options: {
      indexAxis: 'y', animation: false, maintainAspectRatio: false,
      scales: { x: { beginAtZero: true, title: { display: true, text: title } } },
    },
  });
}

// The top caches by @total, active beside all of them.
function updateChart(chart, caches, active, total) {
  const top = caches.filter((c) => c[total] > 0).sort((a, b) => b[total] - a[total]).slice(0, TOP_N);
  chart.data.labels = top.map((c) => c.name);
  chart.data.datasets[0].data = top.map((c) => c[active]);
  chart.data.datasets[1].data = top.map((c) => c[total]);
  chart.update('none');
}

function compare(key, dir) {
  return (a, b) => dir * (key === 'name' ? a.name.localeCompare(b.name) : a[key] - b[key]);
}

export function createSlabs() {
  const table = document.getElementById('slabs-table');
  const summary = document.getElementById('slabs-summary');
  const slabinfo = document.getElementById('slabs-slabinfo');
  const inUse = document.getElementById('slabs-in-use');
  let charts = null;		// { objects, slabs }
  let sort = { key: 'num_objs', dir: -1 };
  let shown = null;		// the last GET .../slabs answer

  function ensureCharts() {
    charts ??= { objects: barChart(document.getElementById('slabs-objects'), 'objects'),
                 slabs: barChart(document.getElementById('slabs-slabs'), 'slabs') };
  }

  function reset() {
    shown = null;
  }

  function header() {
    return el('tr', {}, ...COLUMNS.map((c) => {
      const th = el('th', { dataset: { col: c }, tabIndex: 0, title: `sort by ${c}`,
                            className: sort.key === c ? (sort.dir > 0 ? 'sorted up' : 'sorted down') : '' }, c);
      th.setAttribute('aria-sort', sort.key === c ? (sort.dir > 0 ? 'ascending' : 'descending') : 'none');
      return th;
    }));
  }

  function drawTable() {
    const list = shown.caches.filter((c) => !inUse.checked || c.num_objs > 0).sort(compare(sort.key, sort.dir));
    table.replaceChildren(header(), ...list.map((c) =>
      el('tr', { dataset: { name: c.name } }, ...COLUMNS.map((k) => el('td', { dataset: { col: k } }, String(c[k]))))));
    markSelected(table, 'tr[data-name]', 'name', 'cache');
    table.dataset.seq = String(shown.seq);
    table.dataset.sort = `${sort.key}:${sort.dir > 0 ? 'asc' : 'desc'}`;
  }

  function render(view, text) {
    shown = view;
    ensureCharts();
    drawTable();
    updateChart(charts.objects, view.caches, 'active_objs', 'num_objs');
    updateChart(charts.slabs, view.caches, 'active_slabs', 'num_slabs');
    const pages = view.caches.reduce((n, c) => n + pagesOf(c), 0);
    const objs = view.caches.reduce((n, c) => n + c.active_objs, 0);
    summary.textContent = `${view.caches.length} caches, ${objs} active objects, ` +
      `${view.caches.reduce((n, c) => n + c.num_slabs, 0)} slabs in ${pages} pages (${mib(pages)}); seq ${view.seq}.`;
    slabinfo.textContent = text;
    table.dataset.ready = 'true';
  }

  async function refresh(s, fresh) {
    const [view, text] = await Promise.all([s.slabs(), s.proc('slabinfo')]);
    if (fresh()) {
      render(view, text);
      table.dataset.session = String(s.id);
    }
  }

  function sortBy(key) {
    sort = { key, dir: sort.key === key ? -sort.dir : (key === 'name' ? 1 : -1) };
    if (shown)
      drawTable();
  }

  table.addEventListener('click', (ev) => {
    const th = ev.target.closest('th[data-col]');
    if (th)
      sortBy(th.dataset.col);
  });
  table.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && ev.target.dataset.col)
      sortBy(ev.target.dataset.col);
  });
  inUse.addEventListener('change', () => { if (shown) drawTable(); });
  onSelectionChange(() => markSelected(table, 'tr[data-name]', 'name', 'cache'));
  return { refresh, reset };
}
