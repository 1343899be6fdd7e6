// eventlog.js - the event log of the timeline view: the stored events around
// the current seq, a page at a time, filtered by type (the daemon's types, by
// family; the API filters) and by pfn (here: the events whose block holds
// that frame); a click on a row moves the current seq there, and the row of
// the current seq is highlighted.
import { eventTypes } from './api.js';
import { el, hex, parseNumber } from './format.js';

const PAGE = 50;		// rows shown
const BEFORE = 10;		// of them, events before the current seq
const SCAN = 10000;		// events read per request when filtering by pfn (the API's limit)

// vaddr and level: the address and page-table level of translate, walk, fault
// and page-table events (1 = pte .. 5 = pgd), as the daemon stores them.
const COLUMNS = ['seq', 'op', 'type', 'zone', 'order', 'migratetype', 'pfn', 'vaddr', 'level', 'detail'];

// The type filter's options: the daemon's event types, grouped by family.
async function fillTypes(select) {
  const families = new Map();
  for (const t of (await eventTypes()).event_types)
    families.set(t.family, [...(families.get(t.family) || []), t.name]);
  select.replaceChildren(new Option('all types', ''), ...[...families].map(([family, names]) =>
    el('optgroup', { label: family }, ...names.map((n) => new Option(n)))));
  select.dataset.ready = 'true';
}

// Does event @e touch frame @pfn (its block of 2^order frames holds it)?
function touches(e, pfn) {
  return e.pfn !== undefined && pfn >= e.pfn && pfn < e.pfn + 2 ** (e.order ?? 0);
}

function cell(e, key) {
  const v = e[key];
  if (v === undefined)
    return '';
  if (key === 'pfn')
    return hex(v);
  if (key === 'op' && e.task !== undefined)	/* a trace's event: its task */
    return `${e.task}-${e.pid}`;
  if (key === 'detail' && e.value !== undefined)
    return v ? `${v} (value ${e.value})` : `value ${e.value}`;
  return String(v);
}

export function createEventLog(onPick) {
  const form = document.getElementById('eventlog-filter');
  const typeSelect = form.elements.type;
  const pfnInput = form.elements.pfn;
  const table = document.getElementById('eventlog');
  const note = document.getElementById('eventlog-note');
  let page = null;		// { s, since, rows, type, pfn } shown
  let filter = { type: '', pfn: NaN };

  fillTypes(typeSelect).catch((e) => { note.textContent = `event types: ${e.message}`; });

  // Up to PAGE events after seq @since that pass filter @f, and the seq
  // where the next page starts.
  async function read(s, since, f) {
    const pfnSet = Number.isInteger(f.pfn);
    const r = await s.events({ since, limit: pfnSet ? SCAN : PAGE, type: f.type });
    const rows = pfnSet ? r.events.filter((e) => touches(e, f.pfn)).slice(0, PAGE) : r.events;
    return { rows, next: rows.length === PAGE ? rows[PAGE - 1].seq : r.next_since };
  }

  // Is @seq inside the page shown (so the page stays where it is)?
  function holds(s, seq) {
    return page && page.s.id === s.id && page.type === filter.type && Object.is(page.pfn, filter.pfn) &&
      page.rows.length && seq > page.since && seq <= page.rows.at(-1).seq;
  }

  function draw(seq) {
    const head = el('tr', {}, ...COLUMNS.map((c) => el('th', {}, c)));
    const rows = page.rows.map((e) => {
      const tr = el('tr', { dataset: { seq: String(e.seq), type: e.type }, tabIndex: 0,
                            className: e.seq === seq ? 'current' : '' },
                    ...COLUMNS.map((c) => el('td', { dataset: { col: c } }, cell(e, c))));
      if (e.seq === seq)
        tr.setAttribute('aria-current', 'true');
      return tr;
    });
    table.replaceChildren(head, ...rows);
    table.dataset.since = String(page.since);
    note.textContent = page.rows.length ? `events ${page.rows[0].seq}\u2013${page.rows.at(-1).seq}` +
      ` of the session${filter.type ? `, type ${filter.type}` : ''}` +
      `${Number.isInteger(filter.pfn) ? `, touching pfn ${hex(filter.pfn)}` : ''}`
      : `no such events after seq ${page.since}`;
  }

  // A load that started before the filter changed is dropped: its rows
  // would be drawn under the new filter's note.
  async function load(s, since, seq, fresh) {
    const f = filter;
    const { rows, next } = await read(s, since, f);
    if (!fresh() || f !== filter)
      return;
    page = { s, since, rows, next, type: f.type, pfn: f.pfn };
    draw(seq);
    table.dataset.ready = 'true';
  }

  // Show the page around @seq (the current seq) of session @s.
  async function refresh(s, seq, fresh) {
    if (holds(s, seq)) {
      draw(seq);
      return;
    }
    const filtered = filter.type || Number.isInteger(filter.pfn);
    await load(s, Math.max(0, seq - (filtered ? 1 : BEFORE + 1)), seq, fresh);
  }

  // The page before the one shown: without a filter simply PAGE seqs back;
  // with one, the last PAGE matches of the SCAN seqs before it.
  async function older(seq) {
    if (!page || page.since === 0)
      return;
    const s = page.s;
    if (!filter.type && !Number.isInteger(filter.pfn))
      return load(s, Math.max(0, page.since - PAGE), seq, () => page.s === s);
    const from = Math.max(0, page.since - SCAN);
    const r = await s.events({ since: from, limit: SCAN, type: filter.type });
    const before = r.events.filter((e) => e.seq <= page.since &&
                                     (!Number.isInteger(filter.pfn) || touches(e, filter.pfn))).slice(-PAGE);
    return load(s, before.length ? before[0].seq - 1 : from, seq, () => page.s === s);
  }

  async function newer(seq) {
    if (page && page.rows.length)
      await load(page.s, page.next, seq, () => true);
  }

  function readFilter() {
    filter = { type: typeSelect.value, pfn: parseNumber(pfnInput.value) };
    page = null;
  }

  table.addEventListener('click', (ev) => {
    const tr = ev.target.closest('tr[data-seq]');
    if (tr)
      onPick(Number(tr.dataset.seq));
  });
  table.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && ev.target.dataset.seq)
      onPick(Number(ev.target.dataset.seq));
  });
  return { refresh, older, newer, readFilter, form };
}
