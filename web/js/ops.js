// ops.js - the ops panel: every op of the API by family, a form whose fields
// follow the chosen op, and each op's result (ok and its fields, or errno and
// message) in a log.
import { el, hex, parseNumber } from './format.js';

const MAX_LOG = 50;

// The ops offered, by family, each with its fields in the order shown.
const OPS = [
  ['pages', {
    alloc_pages: ['gfp', 'order', 'node', 'cpu'],
    free_pages: ['pfn', 'order', 'cpu'],
    workload: ['kind', 'count', 'seed', 'order', 'gfp', 'min', 'max', 'free'],
    check: [],
  }],
  ['slab', {
    kmalloc: ['size', 'gfp', 'cpu'],
    kfree: ['addr', 'cpu'],
    kmem_cache_create: ['name', 'size', 'align'],
    kmem_cache_alloc: ['cache', 'gfp', 'cpu'],
    kmem_cache_free: ['cache', 'addr', 'cpu'],
    kmem_cache_destroy: ['cache'],
  }],
  ['MMU and TLB', {
    translate: ['vaddr', 'access', 'cpu', 'pid', 'user'],
    access_range: ['start', 'length', 'stride', 'access', 'cpu', 'pid', 'pattern', 'count'],
    tlb_flush: ['cpu', 'scope', 'addr', 'length'],
    load_cr3: ['cpu', 'pid'],
  }],
  ['vmalloc and addresses', {
    vmalloc: ['size', 'caller', 'cpu'],
    vfree: ['addr', 'cpu'],
    vmalloc_to_page: ['addr'],
    dma_map: ['addr', 'length', 'device_mask_bits'],
    virt_to_phys: ['addr'],
    phys_to_virt: ['paddr'],
  }],
  ['processes', {
    spawn: ['name'],
    mmap: ['pid', 'length', 'prot', 'addr'],
    munmap: ['pid', 'addr', 'length'],
    brk: ['pid', 'addr'],
    touch: ['pid', 'addr', 'length', 'cpu', 'access'],
    exit: ['pid'],
  }],
  ['boot and paging', {
    boot: ['until'],
    paging: ['cpu', 'enable', 'kexec'],
    boot_cpu: ['cpu'],
  }],
];

const BOOT_STAGES = ['protected', 'early_tables', 'paging_on', 'high_jump', 'direct_map',
                     'identity_dropped', 'buddy', 'done'];

// How each field is entered and sent: a number (sent as typed when it does
// not parse, for the API to refuse), a boolean, or text; a select offers
// @options, whose '' keeps the API's default.
const FIELDS = {
  gfp: { value: 'GFP_KERNEL' },
  order: { number: true, value: '0' },
  node: { number: true, placeholder: 'local' },
  cpu: { number: true, placeholder: '0' },
  pfn: { number: true },
  kind: { options: ['random', 'fragment', 'exhaust', 'kmalloc_sizes'] },
  count: { number: true, placeholder: 'default' },
  seed: { number: true, placeholder: '1' },
  min: { number: true, placeholder: '8' },
  max: { number: true, placeholder: '8192' },
  free: { number: true, options: ['', '0', '1'] },
  vaddr: { placeholder: '0xffff888000100000' },
  start: { placeholder: '0xffff888000000000' },
  addr: { placeholder: '0x...' },
  paddr: { placeholder: '0x100000' },
  access: { options: ['', 'read', 'write', 'exec'] },
  user: { boolean: true, options: ['', 'false', 'true'] },
  pid: { number: true, placeholder: 'current' },
  length: { number: true, placeholder: '4096' },
  stride: { number: true, placeholder: '4096' },
  pattern: { options: ['', 'seq', 'random'] },
  scope: { options: ['', 'all', 'nonglobal', 'page', 'range'] },
  name: { placeholder: 'unnamed' },
  size: { number: true, placeholder: '64' },
  align: { number: true, placeholder: '8' },
  cache: { placeholder: 'kmalloc-64' },
  caller: { placeholder: 'mmlab_vmalloc_op' },
  device_mask_bits: { number: true, placeholder: '64' },
  prot: { placeholder: 'rw-' },
  until: { options: ['', ...BOOT_STAGES] },
  enable: { boolean: true, options: ['true', 'false'] },
  kexec: { boolean: true, options: ['', 'false', 'true'] },
};

const opFields = (name) => OPS.map(([, ops]) => ops[name]).find(Boolean) || [];

function fieldInput(name, spec) {
  if (!spec.options)
    return el('input', { name, value: spec.value || '', placeholder: spec.placeholder || '', size: 14 });
  return el('select', { name }, ...spec.options.map((o) => new Option(o === '' ? 'default' : o, o)));
}

// One label per field name, shared by the ops that take it.
function buildFields(form) {
  const users = new Map();
  for (const [, ops] of OPS)
    for (const [op, fields] of Object.entries(ops))
      for (const f of fields)
        users.set(f, [...(users.get(f) || []), op]);
  const select = form.elements.op;
  select.replaceChildren(...OPS.map(([family, ops]) =>
    el('optgroup', { label: family }, ...Object.keys(ops).map((op) => new Option(op)))));
  form.querySelector('.fields').replaceChildren(...[...users].map(([f, ops]) =>
    el('label', { dataset: { ops: ops.join(' ') } }, `${f} `, fieldInput(f, FIELDS[f] || {}))));
}

function fieldValue(name, text) {
  const spec = FIELDS[name] || {};
  if (spec.boolean)
    return text === 'true';
  const n = parseNumber(text);
  return spec.number && Number.isInteger(n) ? n : text;
}

// The op object of the form: the fields its op takes that the user filled.
function opFromForm(form) {
  const op = { op: form.elements.op.value };
  for (const f of opFields(op.op)) {
    const text = form.elements[f].value.trim();
    if (text !== '')
      op[f] = fieldValue(f, text);
  }
  return op;
}

function describe(op) {
  const args = Object.entries(op).filter(([k]) => k !== 'op')
    .map(([k, v]) => `${k}=${k === 'pfn' && typeof v === 'number' ? hex(v) : v}`);
  return `${op.op}(${args.join(', ')})`;
}

// A result's fields in one line; a list shows its length and first items.
function fieldsText(r) {
  return Object.entries(r).filter(([k]) => k !== 'ok').map(([k, v]) => {
    if (Array.isArray(v))
      return `${k} [${v.length}${v.length && typeof v[0] !== 'object' ? `: ${v.slice(0, 4).join(' ')}` : ''}` +
        `${v.length > 4 ? ' \u2026' : ''}]`;
    return `${k} ${v !== null && typeof v === 'object' ? JSON.stringify(v) : v}`;
  }).join(', ');
}

// A refusal: errno and message, the broken invariants of a check, and for a
// refused allocation what the kernel's slow path would have done instead.
function failureText(r) {
  return `${r.errno}: ${r.message}` + (r.violations ? ` (${r.violations.join('; ')})` : '') +
    (r.would ? ` \u2014 ${r.kernel_fails ? '' : 'Linux would not fail this: '}${r.would}` +
      (r.slowpath.length ? ` [${r.slowpath.join(' \u2192 ')}]` : '') : '');
}

function resultText(op, r) {
  if (!r.ok)
    return failureText(r);
  if (op.op === 'alloc_pages')
    return `ok: pfn ${hex(r.pfn)} order ${r.order}, zone ${r.zone}, node ${r.node}, ${r.migratetype}`;
  const rest = fieldsText(r);
  return rest ? `ok: ${rest}` : 'ok';
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

  // After a successful allocation, the form is ready to give it back.
  function prefillFree(op, r) {
    if (op.op === 'alloc_pages') {
      form.elements.pfn.value = hex(r.pfn);
      form.elements.order.value = String(r.order);
    } else if (r.addr) {
      form.elements.addr.value = r.addr;
    }
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
    if (r.ok)
      prefillFree(op, r);
    await onApplied(r, op);
  }

  buildFields(form);
  form.elements.op.addEventListener('change', showFields);
  form.addEventListener('submit', submit);
  showFields();
}
