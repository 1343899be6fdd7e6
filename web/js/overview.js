// overview.js - the overview view: every zone's pages by owner as a stacked
// bar with its watermarks, the totals, and what struct page costs.
import { markSelected, onSelectionChange } from './selected.js';
import { el, hex, mib, ownerColours } from './format.js';

const HIDDEN_OWNERS = new Set(['hole']);	// not RAM: shown as spanned - present
const WATERMARKS = [
  { name: 'min', colour: '#d00000', position: 'start' },
  { name: 'low', colour: '#f77f00', position: 'center' },
  { name: 'high', colour: '#2b9348', position: 'end' },
];

Chart.register(window['chartjs-plugin-annotation']);

const zoneKey = (z) => `${z.node}/${z.name}`;

function ownerNames(zone) {
  return Object.keys(zone.owners).filter((o) => !HIDDEN_OWNERS.has(o));
}

function watermarkAnnotations(zone) {
  const annotations = {};
  for (const w of WATERMARKS) {
    const x = zone.watermarks[w.name];
    annotations[w.name] = { type: 'line', xMin: x, xMax: x, borderColor: w.colour, borderWidth: 2 };
  }
  return annotations;
}

// The watermarks' labels, drawn after the chart. They sit on their lines, at
// three heights, when the lines are far enough apart; in a small zone (ZONE_DMA's
// few thousand pages) or whenever the lines are a few pixels apart, such labels
// would cover each other and the other lines, so they go in one row just right
// of the highest line (left of the lowest when there is no room), in the lines'
// order, each in its line's colour. The boxes drawn are kept on the chart
// ($watermarkLabels) for tests to read.
const LABEL_FONT = 'bold 10px sans-serif';
const LABEL_PAD = 3, LABEL_H = 14, LABEL_GAP = 4;

function labelBoxes(chart, zone) {
  const { ctx, chartArea: area } = chart;
  ctx.save();
  ctx.font = LABEL_FONT;
  const marks = WATERMARKS.map((w) => {
    const text = `${w.name} ${zone.watermarks[w.name]}`;
    return { ...w, text, px: chart.scales.x.getPixelForValue(zone.watermarks[w.name]),
             width: Math.ceil(ctx.measureText(text).width) + 2 * LABEL_PAD };
  });
  ctx.restore();
  const crowded = marks.some((m, i) => i > 0 &&
    m.px - marks[i - 1].px < (m.width + marks[i - 1].width) / 2 + LABEL_GAP);
  const mid = (area.top + area.bottom) / 2;
  if (!crowded)
    return marks.map((m, i) => {
      const x = Math.min(Math.max(m.px - m.width / 2, area.left), area.right - m.width);
      const y = [area.top + 1, mid - LABEL_H / 2, area.bottom - LABEL_H - 1][i];
      return { ...m, x, y, x2: x + m.width, y2: y + LABEL_H };
    });
  const row = marks.reduce((n, m) => n + m.width + LABEL_GAP, -LABEL_GAP);
  let x = Math.max(...marks.map((m) => m.px)) + LABEL_GAP;
  if (x + row > area.right)
    x = Math.min(...marks.map((m) => m.px)) - LABEL_GAP - row;
  return marks.map((m) => {
    const box = { ...m, x, y: mid - LABEL_H / 2, x2: x + m.width, y2: mid + LABEL_H / 2 };
    x += m.width + LABEL_GAP;
    return box;
  });
}

function watermarkLabels(zone) {
  return {
    id: 'watermarkLabels',
    afterDraw(chart) {
      const { ctx } = chart;
      const boxes = labelBoxes(chart, zone.current);
      ctx.save();
      ctx.font = LABEL_FONT;
      ctx.textBaseline = 'middle';
      for (const b of boxes) {
        ctx.fillStyle = b.colour;
        ctx.beginPath();
        ctx.roundRect(b.x, b.y, b.width, LABEL_H, 3);
        ctx.fill();
        ctx.fillStyle = '#ffffff';
        ctx.fillText(b.text, b.x + LABEL_PAD, b.y + LABEL_H / 2 + 0.5);
      }
      ctx.restore();
      chart.$watermarkLabels = boxes.map(({ name, text, colour, x, y, x2, y2 }) => ({ name, text, colour, x, y, x2, y2 }));
    },
  };
}

function zoneDatasets(zone, colours) {
  return ownerNames(zone).map((o) => ({
    label: o, data: [zone.owners[o]], backgroundColor: colours[o] || '#999999',
    borderColor: '#ffffff', borderWidth: 0.5, barPercentage: 1, categoryPercentage: 0.9,
  }));
}

function zoneChart(canvas, zone, colours) {
  const labels = { current: zone };
  const chart = new Chart(canvas, {
    plugins: [watermarkLabels(labels)],
    type: 'bar',
    data: { labels: [zone.name], datasets: zoneDatasets(zone, colours) },
    options: {
      indexAxis: 'y', animation: false, maintainAspectRatio: false,
      scales: {
        x: { stacked: true, min: 0, max: zone.present, title: { display: true, text: 'pages' } },
        y: { stacked: true },
      },
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${c.raw} pages (${mib(c.raw)})` } },
        annotation: { annotations: watermarkAnnotations(zone) },
      },
    },
  });
  chart.$zone = labels;
  return chart;
}

function updateZoneChart(chart, zone) {
  for (const ds of chart.data.datasets)
    ds.data[0] = zone.owners[ds.label];
  chart.options.scales.x.max = zone.present;
  chart.options.plugins.annotation.annotations = watermarkAnnotations(zone);
  chart.$zone.current = zone;
  chart.update('none');
}

function zoneFacts(z) {
  const w = z.watermarks;
  return `pfn ${hex(z.start_pfn)}-${hex(z.start_pfn + z.spanned)}: spanned ${z.spanned}, ` +
    `present ${z.present} (${mib(z.present)}), managed ${z.managed}, free ${z.free}, ` +
    `pcp ${z.pcp}; watermarks min ${w.min}, low ${w.low}, high ${w.high}` +
    (z.spanned > z.present ? `; ${z.spanned - z.present} pages of hole` : '');
}

function totalsRows(owners, present) {
  const rows = Object.entries(owners).filter(([o]) => !HIDDEN_OWNERS.has(o)).map(([o, n]) =>
    el('tr', { dataset: { owner: o } }, el('th', {}, o), el('td', {}, String(n)),
       el('td', {}, mib(n)), el('td', {}, `${(100 * n / present).toFixed(2)} %`)));
  rows.push(el('tr', { className: 'total' }, el('th', {}, 'present'), el('td', {}, String(present)),
               el('td', {}, mib(present)), el('td', {}, '100 %')));
  return rows;
}

function structPageText(info) {
  const m = info.memory;
  if (!m)
    return `struct page: session ${info.id} (${info.state}) reports no memory figures.`;
  return `struct page: ${m.struct_page_size} bytes per frame, ${m.present_pages} frames present; ` +
    `mem_map takes ${(m.mem_map_bytes / 2 ** 20).toFixed(2)} MiB = ` +
    `${m.overhead_percent.toFixed(4)} % of the RAM it describes.`;
}

export function createOverview() {
  const summary = document.getElementById('overview-summary');
  const structPage = document.getElementById('overview-struct-page');
  const box = document.getElementById('overview-zones');
  const legendBox = document.getElementById('overview-legend');
  const totals = document.getElementById('overview-totals');
  let charts = new Map();	// zoneKey -> Chart

  function reset() {
    for (const c of charts.values())
      c.destroy();
    charts = new Map();
    box.replaceChildren();
  }

  function build(zones, colours) {
    reset();
    let node = -1;
    for (const z of zones) {
      if (z.node !== node) {
        node = z.node;
        box.append(el('h3', {}, `Node ${node}`));
      }
      const canvas = el('canvas', { dataset: { zone: zoneKey(z) },
                                    'aria-label': `Node ${z.node} zone ${z.name} pages by owner` });
      box.append(el('div', { className: 'zone', dataset: { zone: zoneKey(z) } },
                    el('h4', {}, `${z.name}`, el('span', { className: 'facts' }, zoneFacts(z))),
                    el('div', { className: 'chart-box bar' }, canvas)));
      charts.set(zoneKey(z), zoneChart(canvas, z, colours));
    }
  }

  function render(info, view, legend) {
    const colours = ownerColours(legend);
    const zones = view.zones.filter((z) => z.populated);
    const keys = zones.map(zoneKey).join(',');
    if (keys !== [...charts.keys()].join(','))
      build(zones, colours);
    for (const z of zones) {
      updateZoneChart(charts.get(zoneKey(z)), z);
      box.querySelector(`canvas[data-zone="${zoneKey(z)}"]`).closest('.zone')
        .querySelector('.facts').textContent = zoneFacts(z);
    }
    legendBox.replaceChildren(...ownerNames(zones[0] || { owners: view.owners }).map((o) =>
      el('span', { className: 'swatch' }, el('i', { style: `background:${colours[o]}` }), o)));
    totals.replaceChildren(el('tr', {}, el('th', {}, 'owner'), el('th', {}, 'pages'),
                              el('th', {}, 'size'), el('th', {}, 'of present')),
                           ...totalsRows(view.owners, zones.reduce((n, z) => n + z.present, 0)));
    summary.textContent = `${info.name} (#${info.id}): ${info.machine.mem_mib} MiB ` +
      `machine, ${view.nodes} node(s), ${info.machine.cpus} CPU(s), ` +
      `max_order ${view.max_order}, seq ${view.seq}.`;
    structPage.textContent = structPageText(info);
    markSelected(box, 'div.zone', 'zone', 'zone');
    box.dataset.seq = String(view.seq);
    box.dataset.ready = 'true';
  }

  async function refresh(s, fresh) {
    const [info, view, legend] = await Promise.all([s.info(), s.zones(), s.legend()]);
    if (fresh()) {
      render(info, view, legend);
      box.dataset.session = String(s.id);
    }
  }

  onSelectionChange(() => markSelected(box, 'div.zone', 'zone', 'zone'));
  return { refresh, reset };
}
