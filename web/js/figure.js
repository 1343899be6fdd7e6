// figure.js - a scenario's measured figure (daemon/scenarios.c, one measure
// function per scenario) as tables a person reads: every value with its unit
// from its key (bytes, pages, %, a pfn or an address in hex, a page size for
// the keys of page_sizes), a record of like records as one table, a list of
// records as one table, a list of per-order numbers as a row under its
// orders, a seq as a button that moves the timeline there. Each number keeps
// its exact value and its path in the figure (data-value, data-path).
import { el, hex } from './format.js';

const words = (key) => String(key).replace(/_/g, ' ');
const isRecord = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const isScalar = (v) => v === null || typeof v !== 'object';
const join = (path, key) => (path === '' ? String(key) : `${path}.${key}`);

// 65536 -> "64 KiB", 1073741824 -> "1 GiB"; exact below 1 KiB.
export function bytesText(n) {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n, u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u ? Number(v.toFixed(v < 10 ? 2 : 1)) : v} ${units[u]}`;
}

// A fraction with @digits decimals, or 3 significant digits when smaller.
function decimals(v, digits) {
  if (Number.isInteger(v))
    return String(v);
  return Math.abs(v) < 10 ** -(digits - 1) ? String(Number(v.toPrecision(3))) : String(Number(v.toFixed(digits)));
}

// How a number reads, from its key: [text, title (the exact value) or ''].
const NUMBER_KINDS = [
  [/percent/, (v) => [`${decimals(v, 2)} %`, '']],
  [/^(pfn|compound_head)$|_pfn$/, (v) => [hex(v), `pfn ${v}`]],
  [/pages$|^pages_/, (v) => [`${v} pages`, `${bytesText(v * 4096)}`]],
  [/bytes|^size$|^length$|_size$/, (v) => [bytesText(v), `${v} bytes`]],
  [/_index$/, (v) => (v < 0 ? ['\u2014', 'no failure would be for fragmentation (-1)'] : [decimals(v, 3), ''])],
];

function numberText(key, v) {
  const kind = NUMBER_KINDS.find(([re]) => re.test(key));
  return kind ? kind[1](v) : [decimals(v, 3), ''];
}

// One scalar of the figure, with its path and (numbers) its exact value.
function leaf(key, v, path, ctx) {
  if (key === 'seq' && typeof v === 'number' && ctx.seek) {
    const b = el('button', { type: 'button', className: 'leaf seq', title: 'move the timeline here',
                             dataset: { path, value: String(v), seq: String(v) } }, `seq ${v}`);
    b.addEventListener('click', () => ctx.seek(v));
    return b;
  }
  if (typeof v === 'number') {
    const [text, title] = numberText(key, v);
    return el('span', { className: 'leaf', title, dataset: { path, value: String(v) } }, text);
  }
  const attrs = { className: 'leaf', dataset: { path } };
  if (typeof v === 'boolean')
    return el('span', { ...attrs, className: `leaf ${v ? 'yes' : 'no'}` }, v ? 'yes' : 'no');
  if (typeof v === 'string' && /^0x[0-9a-f]+$/i.test(v))
    return el('code', attrs, v);
  return el('span', attrs, v === null ? '\u2014' : String(v));
}

// Consecutive pfns as runs: "0x10-0x1f, 0x40" and how many runs.
function pfnRuns(pfns) {
  const runs = [];
  for (const p of pfns) {
    const last = runs.at(-1);
    if (last && last[1] + 1 === p)
      last[1] = p;
    else
      runs.push([p, p]);
  }
  return runs;
}

function pfnList(list, path) {
  const runs = pfnRuns(list);
  return el('span', { className: 'pfns', dataset: { path, pfns: list.join(',') } },
            `${list.length} frames in ${runs.length} run(s): `,
            el('code', {}, runs.map(([a, b]) => (a === b ? hex(a) : `${hex(a)}\u2013${hex(b)}`)).join(', ')));
}

// A list of scalars: per order (an _index list) or by position.
function listTable(key, list, path, ctx) {
  const byOrder = /_index$|per_order|by_order/.test(key);
  return el('table', { className: 'figure list' },
            el('tr', {}, el('th', {}, byOrder ? 'order' : '#'), ...list.map((_, i) => el('th', {}, String(i)))),
            el('tr', {}, el('th', {}, words(key)), ...list.map((v, i) => el('td', {}, leaf(key, v, join(path, i), ctx)))));
}

// A record whose keys are numbers (page_sizes: size -> count): "1 GiB: 4096".
function numberKeyed(key, rec, path, ctx) {
  const label = (k) => (/size/.test(key) ? bytesText(Number(k)) : k);
  return el('span', { className: 'kvs' }, ...Object.entries(rec).flatMap(([k, v], i) => [i ? ', ' : '',
    el('span', { className: 'kv' }, `${label(k)}: `, leaf(key === 'page_sizes' ? 'accesses' : k, v, join(path, k), ctx))]));
}

const numericKeys = (rec) => Object.keys(rec).length > 0 && Object.keys(rec).every((k) => /^\d+$/.test(k));

// A small record inside a cell: "DMA: 3806, DMA32: 3".
function inlineRecord(rec, path, ctx) {
  return el('span', { className: 'kvs' }, ...Object.entries(rec).flatMap(([k, v], i) => [i ? ', ' : '',
    el('span', { className: 'kv' }, `${words(k)}: `, node(k, v, join(path, k), ctx))]));
}

// A list of records: one row each, a column per key; a few records of many
// keys (struct pages) turn: one column each, a row per key.
function rowsTable(list, path, ctx, rowLabel) {
  const cols = [...new Set(list.flatMap((r) => Object.keys(r)))];
  if (cols.length > 6 && list.length < cols.length)
    return columnsTable(list, cols, path, ctx, rowLabel);
  return el('table', { className: 'figure rows' },
            el('tr', {}, ...(rowLabel ? [el('th', {}, '')] : []), ...cols.map((c) => el('th', {}, words(c)))),
            ...list.map((r, i) => el('tr', {},
              ...(rowLabel ? [el('th', { className: 'row' }, rowLabel[i])] : []),
              ...cols.map((c) => el('td', { dataset: { col: c } }, r[c] === undefined ? ''
                : cell(c, r[c], join(join(path, rowLabel ? rowLabel[i] : i), c), ctx))))));
}

function columnsTable(list, keys, path, ctx, label) {
  return el('table', { className: 'figure columns' },
            el('tr', {}, el('th', {}, ''), ...list.map((r, i) => el('th', {}, label ? label[i] : `#${i}`))),
            ...keys.map((k) => el('tr', {}, el('th', { className: 'row' }, words(k)),
              ...list.map((r, i) => el('td', { dataset: { col: k } }, r[k] === undefined ? ''
                : cell(k, r[k], join(join(path, label ? label[i] : i), k), ctx))))));
}

// A value inside a table cell: kept on one line where it can.
function cell(key, v, path, ctx) {
  if (isRecord(v))
    return numericKeys(v) ? numberKeyed(key, v, path, ctx) : inlineRecord(v, path, ctx);
  return node(key, v, path, ctx);
}

// A record whose values are records of the same kind (by_gfp, by_region):
// one row per key.
const likeRecords = (v) => isRecord(v) && Object.keys(v).length > 1 && Object.values(v).every(isRecord) &&
  Object.values(v).every((r) => Object.values(r).every((x) => isScalar(x) || isRecord(x)));

// A record as label/value rows; a nested table goes under its label.
function recordTable(rec, path, ctx) {
  return el('table', { className: 'figure record' }, ...Object.entries(rec).flatMap(([k, x]) => {
    const p = join(path, k);
    const inner = node(k, x, p, ctx);
    if (isScalar(x) || (Array.isArray(x) && x.every(isScalar) && !listLike(k, x)))
      return [el('tr', {}, el('th', {}, words(k)), el('td', {}, inner))];
    return [el('tr', {}, el('th', { colSpan: 2, className: 'group' }, words(k))),
            el('tr', {}, el('td', { colSpan: 2, className: 'nested' }, inner))];
  }));
}

// Lists shown as a table rather than inline text.
const listLike = (key, list) => list.length > 1 && list.every((x) => typeof x === 'number') && !/^pfns$/.test(key);

// A record that fits one table row: no long list of numbers in it.
const flatRecord = (r) => Object.entries(r).every(([k, x]) => isScalar(x) || isRecord(x) ||
  (x.every(isScalar) && !listLike(k, x)));

// Records too rich for a row (per-order lists): a titled table each.
function recordsList(list, path, ctx) {
  return el('div', { className: 'records' }, ...list.map((r, i) => el('div', { className: 'record' },
    el('h4', {}, r.zone ? `${r.node !== undefined ? `node ${r.node}, ` : ''}zone ${r.zone}` : `#${i}`),
    recordTable(r, join(path, i), ctx))));
}

// Any value of a figure.
function node(key, v, path, ctx) {
  if (Array.isArray(v)) {
    if (key === 'pfns' && v.every(Number.isInteger))
      return pfnList(v, path);
    if (v.length && v.every(isRecord))
      return v.every(flatRecord) ? rowsTable(v, path, ctx) : recordsList(v, path, ctx);
    if (listLike(key, v))
      return listTable(key, v, path, ctx);
    return el('span', { className: 'inline-list' }, ...v.flatMap((x, i) => [i ? ', ' : '', leaf(key, x, join(path, i), ctx)]));
  }
  if (isRecord(v)) {
    if (numericKeys(v))
      return numberKeyed(key, v, path, ctx);
    if (likeRecords(v))
      return rowsTable(Object.values(v), path, ctx, Object.keys(v));
    return recordTable(v, path, ctx);
  }
  return leaf(key, v, path, ctx);
}

// The figure as a DOM tree; @seek(seq), when given, makes seqs buttons.
export function renderFigure(figure, { seek } = {}) {
  return node('figure', figure, '', { seek });
}
