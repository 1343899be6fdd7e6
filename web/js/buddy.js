// buddy.js - the buddy view: each zone's free blocks per order (buddyinfo) and
// per order and migratetype (pagetypeinfo), with what the last change split
// or merged highlighted, and the kernel's own texts beside them. In the past
// (a seq chosen on the timeline) the highlight is exactly what the event at
// that seq did, so stepping event by event shows a split cascade.
import { el, hex } from './format.js';

const HOLD_MS = 4000;		// how long a change stays highlighted
const BASE = '#457b9d', MORE = '#2b9348', FEWER = '#d00000';
const MIGRATETYPE_COLOURS = {
  Unmovable: '#e76f51', Movable: '#457b9d', Reclaimable: '#2a9d8f',
  HighAtomic: '#ffb703', Isolate: '#6c757d',
};

const zoneKey = (z) => `${z.node}/${z.name}`;
const PICTURE_WIDTH = 1000, PICTURE_HEIGHT = 28;

// Colours of free blocks by order: small blocks warm, big blocks cool.
function orderColour(order, maxOrder) {
  const hue = Math.round(10 + 200 * (order / Math.max(1, maxOrder)));
  return `hsl(${hue} 70% 50%)`;
}

// The zone along its pfns, left to right: each free block of the buddy lists
// drawn where it lies and as wide as it is; what is not free stays grey.
function drawBlocks(canvas, z, blocks, maxOrder) {
  const ctx = canvas.getContext('2d');
  const scale = PICTURE_WIDTH / z.spanned;
  ctx.fillStyle = '#d9d9d4';
  ctx.fillRect(0, 0, PICTURE_WIDTH, PICTURE_HEIGHT);
  for (const [pfn, order] of blocks) {
    const x = (pfn - z.start_pfn) * scale, w = Math.max(1, 2 ** order * scale);
    ctx.fillStyle = orderColour(order, maxOrder);
    ctx.fillRect(x, 0, w, PICTURE_HEIGHT);
    if (w >= 4) {		// a seam, so that neighbouring blocks stay two blocks
      ctx.fillStyle = '#ffffff';
      ctx.fillRect(x, 0, 1, PICTURE_HEIGHT);
    }
  }
  canvas.dataset.blocks = String(blocks.length);
}
const orderLabels = (maxOrder) => Array.from({ length: maxOrder + 1 }, (_, o) => String(o));

function barOptions(stacked, yTitle) {
  return {
    animation: false, maintainAspectRatio: false,
    scales: {
      x: { stacked, title: { display: true, text: 'order' } },
      y: { stacked, beginAtZero: true, title: { display: true, text: yTitle } },
    },
    plugins: { legend: { display: stacked } },
  };
}

function ordersChart(canvas, maxOrder) {
  return new Chart(canvas, {
    type: 'bar',
    data: { labels: orderLabels(maxOrder),
            datasets: [{ label: 'free blocks', data: [], backgroundColor: [], borderWidth: 0 }] },
    options: barOptions(false, 'free blocks (nr_free)'),
  });
}

function migratetypeChart(canvas, zone, maxOrder) {
  const datasets = Object.keys(zone.nr_free_by_migratetype).map((mt) => ({
    label: mt, data: [], backgroundColor: MIGRATETYPE_COLOURS[mt] || '#8d99ae',
  }));
  return new Chart(canvas, {
    type: 'bar',
    data: { labels: orderLabels(maxOrder), datasets },
    options: barOptions(true, 'free blocks by migratetype'),
  });
}

// The orders whose count moved since @before, as {order, from, to}.
function changes(before, after) {
  if (!before)
    return [];
  return after.map((n, o) => ({ order: o, from: before[o], to: n })).filter((c) => c.from !== c.to);
}

function changeText(list) {
  return list.map((c) => `order ${c.order}: ${c.from} \u2192 ${c.to}`).join(', ');
}

// What an event did to the free lists, in a word.
const EVENT_VERBS = {
  buddy_split: 'split', buddy_merge: 'merge', mm_page_alloc: 'alloc', mm_page_free: 'free',
  pcp_refill: 'pcp refill', pcp_drain: 'pcp drain', mm_page_alloc_extfrag: 'fallback claim/steal',
  mm_page_alloc_zone_locked: 'block off the free lists', mm_page_pcpu_drain: 'pcp block back',
  mm_page_free_batched: 'batched free to pcp',
};

function eventText(ev) {
  const what = [`seq ${ev.seq}: ${EVENT_VERBS[ev.type] || ev.type} (${ev.type})`];
  if (ev.order !== undefined)
    what.push(`order ${ev.order}`);
  if (ev.pfn !== undefined)
    what.push(`pfn ${hex(ev.pfn)}`);
  if (ev.migratetype)
    what.push(ev.migratetype);
  return what.join(', ');
}

// The state before @seq and the event at it: what the step to @seq did.
async function stepBefore(s) {
  if (s.at === null || s.at < 2)
    return null;
  const [view, log] = await Promise.all([s.zones(s.at - 1), s.events({ since: s.at - 1, limit: 1 })]);
  return { zones: new Map(view.zones.map((z) => [zoneKey(z), z])), event: log.events[0] };
}

export function createBuddy() {
  const box = document.getElementById('buddy-zones');
  const buddyinfo = document.getElementById('buddy-buddyinfo');
  const pagetypeinfo = document.getElementById('buddy-pagetypeinfo');
  let zones = new Map();	// zoneKey -> { orders, types, facts, last, changed, until }
  let texts = {};		// name -> { lines, until }: the last text and its marks

  function reset() {
    for (const z of zones.values()) {
      z.orders.destroy();
      z.types.destroy();
    }
    zones = new Map();
    texts = {};
    box.replaceChildren();
  }

  function build(list, maxOrder) {
    reset();
    for (const z of list) {
      const key = zoneKey(z);
      const orders = el('canvas', { dataset: { zone: key, kind: 'orders' } });
      const types = el('canvas', { dataset: { zone: key, kind: 'migratetypes' } });
      const facts = el('p', { className: 'changes' });
      const picture = el('canvas', { className: 'blocks-picture', width: PICTURE_WIDTH,
                                     height: PICTURE_HEIGHT, dataset: { zone: key, kind: 'blocks' },
                                     title: 'free blocks along the zone, coloured by order' });
      const legend = el('p', { className: 'blocks-legend' }, 'free blocks along the zone, by order: ',
                        ...Array.from({ length: maxOrder + 1 }, (_, o) =>
                          el('span', { style: `color:${orderColour(o, maxOrder)}` }, `■${o} `)));
      const block = el('div', { className: 'zone', dataset: { zone: key } },
                       el('h3', {}, `Node ${z.node}, zone ${z.name}`), facts, picture, legend,
                       el('div', { className: 'pair' },
                          el('div', { className: 'chart-box' }, orders),
                          el('div', { className: 'chart-box' }, types)));
      box.append(block);
      zones.set(key, { block, facts, picture, orders: ordersChart(orders, maxOrder),
                       types: migratetypeChart(types, z, maxOrder), last: null, changed: [], until: 0 });
    }
  }

  // The changed orders: since the last refresh, held for HOLD_MS (the
  // present), or exactly those of one event (@step, in the past).
  function markChanges(state, z, now, step) {
    if (step) {
      state.changed = changes(step.zones.get(zoneKey(z))?.nr_free, z.nr_free);
      state.until = 0;
      return;
    }
    const moved = changes(state.last, z.nr_free);
    if (moved.length) {
      state.changed = moved;
      state.until = now + HOLD_MS;
    } else if (now > state.until) {
      state.changed = [];
    }
  }

  function updateZone(state, z, now, step) {
    markChanges(state, z, now, step);
    state.last = z.nr_free.slice();
    const colour = new Map(state.changed.map((c) => [c.order, c.to > c.from ? MORE : FEWER]));
    const ds = state.orders.data.datasets[0];
    ds.data = z.nr_free.slice();
    ds.backgroundColor = z.nr_free.map((_, o) => colour.get(o) || BASE);
    state.orders.update('none');
    for (const t of state.types.data.datasets)
      t.data = z.nr_free_by_migratetype[t.label].slice();
    state.types.update('none');
    const free = z.nr_free.reduce((sum, n, o) => sum + n * 2 ** o, 0);
    const ev = step && state.changed.length ? step.event : null;
    state.facts.replaceChildren(`${free} free pages in the buddy lists`,
      ...(ev ? ['; ', el('span', { className: 'buddy-event' }, eventText(ev))] : []),
      state.changed.length ? `; changed: ${changeText(state.changed)}` : '');
    state.block.classList.toggle('changed', state.changed.length > 0);
    state.block.dataset.changed = state.changed.map((c) => c.order).join(',');
    state.block.dataset.event = ev ? EVENT_VERBS[ev.type] || ev.type : '';
  }

  // The text with each line that changed in the last HOLD_MS in a <mark>.
  function showText(pre, name, text, now) {
    const before = texts[name];
    const lines = text.split('\n');
    const until = lines.map((line, i) =>
      before && before.lines[i] !== line ? now + HOLD_MS : (before?.until[i] ?? 0));
    texts[name] = { lines, until };
    pre.replaceChildren(...lines.flatMap((line, i) =>
      [until[i] > now ? el('mark', {}, line) : line, i < lines.length - 1 ? '\n' : '']));
  }

  async function refresh(s, fresh) {
    const [view, bi, pti, step] = await Promise.all([s.zones(), s.proc('buddyinfo'),
                                                      s.proc('pagetypeinfo'), stepBefore(s)]);
    if (!fresh())
      return;
    const list = view.zones.filter((z) => z.populated);
    const pictures = await Promise.all(list.map((z) => s.freeBlocks(z.node, z.name)));
    if (!fresh())
      return;
    if (list.map(zoneKey).join(',') !== [...zones.keys()].join(','))
      build(list, view.max_order);
    list.forEach((z, i) => drawBlocks(zones.get(zoneKey(z)).picture, z, pictures[i].blocks, view.max_order));
    const now = Date.now();
    for (const z of list)
      updateZone(zones.get(zoneKey(z)), z, now, step);
    showText(buddyinfo, 'buddyinfo', bi, now);
    showText(pagetypeinfo, 'pagetypeinfo', pti, now);
    box.dataset.seq = String(view.seq);
    box.dataset.event = step?.event ? `${step.event.seq}:${step.event.type}` : '';
    box.dataset.ready = 'true';
  }

  return { refresh, reset };
}
