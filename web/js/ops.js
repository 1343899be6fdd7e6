// ops.js - the ops panel: apply alloc_pages, free_pages and check to the
// chosen session and list each op's result (ok, or errno and message).
import { el, hex, parseNumber } from './format.js';

const MAX_LOG = 50;
const NUMBER_FIELDS = new Set(['order', 'node', 'cpu', 'pfn']);

// The op object of the form: the fields its op takes that the user filled.
// A number that does not parse is sent as typed, for the API to refuse.
function opFromForm(form) {
  const op = { op: form.elements.op.value };
  for (const label of form.querySelectorAll('label[data-ops]')) {
    if (!label.dataset.ops.split(' ').includes(op.op))
      continue;
    const input = label.querySelector('input');
    const text = input.value.trim();
    if (text === '')
      continue;
    const n = parseNumber(text);
    op[input.name] = NUMBER_FIELDS.has(input.name) && Number.isInteger(n) ? n : text;
  }
  return op;
}

function describe(op) {
  const args = Object.entries(op).filter(([k]) => k !== 'op')
    .map(([k, v]) => `${k}=${k === 'pfn' && typeof v === 'number' ? hex(v) : v}`);
  return `${op.op}(${args.join(', ')})`;
}

function resultText(op, r) {
  if (!r.ok)
    return `${r.errno}: ${r.message}` + (r.violations ? ` (${r.violations.join('; ')})` : '');
  if (op.op === 'alloc_pages')
    return `ok: pfn ${hex(r.pfn)} order ${r.order}, zone ${r.zone}, node ${r.node}, ${r.migratetype}`;
  return 'ok';
}

export function createOps(getSession, onApplied) {
  const form = document.getElementById('ops-form');
  const log = document.getElementById('ops-log');

  function showFields() {
    for (const label of form.querySelectorAll('label[data-ops]'))
      label.hidden = !label.dataset.ops.split(' ').includes(form.elements.op.value);
  }

  function append(text, ok, errno) {
    log.prepend(el('li', { className: ok ? 'ok' : 'fail', dataset: { ok: String(ok), errno: errno || '' } }, text));
    while (log.children.length > MAX_LOG)
      log.lastChild.remove();
  }

  // After a successful alloc, the free form is ready to give the block back.
  function prefillFree(r) {
    form.elements.pfn.value = hex(r.pfn);
    form.elements.order.value = String(r.order);
  }

  async function submit(ev) {
    ev.preventDefault();
    const s = getSession();
    if (!s)
      return;
    const op = opFromForm(form);
    let r;
    try {
      r = (await s.ops(op)).results[0];
    } catch (e) {
      append(`${describe(op)} \u2192 HTTP ${e.status} ${e.code}: ${e.message}`, false, e.code);
      return;
    }
    append(`${describe(op)} \u2192 ${resultText(op, r)}`, r.ok, r.errno);
    if (op.op === 'alloc_pages' && r.ok)
      prefillFree(r);
    await onApplied(r, op);
  }

  form.elements.op.addEventListener('change', showFields);
  form.addEventListener('submit', submit);
  showFields();
}
