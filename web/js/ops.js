// ops.js - the ops panel: every op of the API by family, a form whose fields
// are those of the chosen op (made again when the op changes, so no value of
// another op stays behind), and each op's result (ok and its fields, or errno
// and message) in a log. Whatever goes wrong (a refusal by the simulated
// kernel, an HTTP error, an exception of the page) shows beside the form too.
import { el, hex, parseNumber } from './format.js';

const MAX_LOG = 50;

// The ops offered, by family, each with its fields in the order shown: those
// of the daemon's op tables (daemon/ops*.c).
export const OPS = [
  ['pages', {
    alloc_pages: ['gfp', 'order', 'node', 'cpu'],
    free_pages: ['pfn', 'order', 'cpu'],
    workload: ['kind', 'count', 'seed', 'order', 'gfp', 'min', 'max', 'free'],
    vmstat_update: ['cpu'],
    idle: ['ms'],
    check: [],
  }],
  ['slab', {
    kmalloc: ['size', 'gfp', 'cpu'],
    kfree: ['addr', 'cpu'],
    ksize: ['addr'],
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
    dma_map: ['addr', 'length', 'device_mask_bits', 'dir', 'cpu'],
    dma_unmap: ['dma_addr', 'length', 'dir'],
    virt_to_phys: ['addr'],
    phys_to_virt: ['paddr'],
  }],
  ['processes', {
    spawn: ['name', 'oom_score_adj', 'memcg'],
    mmap: ['pid', 'length', 'prot', 'addr', 'flags', 'file', 'offset'],
    munmap: ['pid', 'addr', 'length'],
    brk: ['pid', 'addr'],
    touch: ['pid', 'addr', 'length', 'cpu', 'access'],
    exit: ['pid'],
    fork: ['pid'],
    set_oom_score_adj: ['pid', 'oom_score_adj'],
  }],
  ['memory cgroups', {
    memcg_create: ['name', 'max'],
    memcg_attach: ['pid', 'memcg'],
  }],
  ['files and page cache', {
    create_file: ['name', 'size'],
    read_file: ['pid', 'name', 'offset', 'length'],
    write_file: ['pid', 'name', 'offset', 'length'],
    fsync: ['name'],
    drop_caches: ['mode'],
  }],
  ['compaction and migration', {
    compact_memory: ['node', 'cpu'],
    migrate_pages: ['pfn', 'cpu'],
    alloc_contig_range: ['start_pfn', 'nr_pages', 'node', 'cpu'],
    free_contig_range: ['start_pfn', 'nr_pages', 'cpu'],
    sysctl: ['name', 'value'],
  }],
  ['boot and paging', {
    boot: ['until', 'without_identity'],
    paging: ['cpu', 'enable', 'kexec'],
    boot_cpu: ['cpu'],
  }],
];

const BOOT_STAGES = ['startup_32', 'extract_kernel', 'startup_64', '__startup_64', 'common_startup_64',
                     'reset_early_page_tables', 'init_mem_mapping', 'mm_core_init', 'done'];

// How each field is entered and sent: a number (sent as typed when it does
// not parse, for the API to refuse), a boolean, or text; a select offers
// @options, whose '' keeps the API's default.
const FIELDS = {
  gfp: { value: 'GFP_KERNEL' },
  order: { number: true, value: '0' },
  node: { number: true, placeholder: 'local' },
  cpu: { number: true, placeholder: '0' },
  pfn: { number: true },
  start_pfn: { number: true, placeholder: 'search' },
  nr_pages: { number: true, placeholder: '512' },
  ms: { number: true, value: '500' },
  value: { number: true, placeholder: 'read only' },
  kind: { options: ['random', 'fragment', 'fragment_user', 'exhaust', 'kmalloc_sizes'] },
  count: { number: true, placeholder: 'default' },
  seed: { number: true, placeholder: '1' },
  min: { number: true, placeholder: '8' },
  max: { number: true, placeholder: '8192' },
  free: { number: true, options: ['', '0', '1'] },
  value: { number: true, placeholder: '20' },
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
  dir: { options: ['', 'DMA_BIDIRECTIONAL', 'DMA_TO_DEVICE', 'DMA_FROM_DEVICE'] },
  dma_addr: { placeholder: '0x...' },
  prot: { placeholder: 'rw-' },
  flags: { options: ['', 'MAP_FIXED', 'MAP_FIXED_NOREPLACE', 'MAP_SHARED', 'MAP_PRIVATE'] },
  file: { placeholder: 'anonymous' },
  offset: { number: true, placeholder: '0' },
  mode: { number: true, options: ['1', '2', '3'] },
  until: { options: ['', ...BOOT_STAGES] },
  enable: { boolean: true, options: ['true', 'false'] },
  kexec: { boolean: true, options: ['', 'false', 'true'] },
  without_identity: { boolean: true, options: ['', 'false', 'true'] },
  oom_score_adj: { number: true, placeholder: '0' },
  memcg: { placeholder: '/' },
  max: { number: true, placeholder: 'max (bytes)' },
};

export const opFields = (name) => OPS.map(([, ops]) => ops[name]).find(Boolean) || [];

function fieldInput(name, spec) {
  if (!spec.options)
    return el('input', { name, value: spec.value || '', placeholder: spec.placeholder || '', size: 14 });
  return el('select', { name }, ...spec.options.map((o) => new Option(o === '' ? 'default' : o, o)));
}

function fieldValue(name, text) {
  const spec = FIELDS[name] || {};
  if (spec.boolean)
    return text === 'true';
  const n = parseNumber(text);
  return spec.number && Number.isInteger(n) ? n : text;
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

// What a successful op leaves for the ops that use its result: the fields
// each of them starts with (op -> { field: value }).
function suggestions(op, r) {
  const addr = r.addr && { addr: r.addr };
  switch (op.op) {
  case 'alloc_pages': return { free_pages: { pfn: hex(r.pfn), order: String(r.order) } };
  case 'kmalloc': return { kfree: addr, ksize: addr, virt_to_phys: addr, dma_map: addr };
  case 'kmem_cache_create': return { kmem_cache_alloc: { cache: op.name }, kmem_cache_destroy: { cache: op.name } };
  case 'kmem_cache_alloc': return { kmem_cache_free: { cache: op.cache, ...addr } };
  case 'vmalloc': return { vfree: addr, vmalloc_to_page: addr, dma_map: addr };
  case 'dma_map': return { dma_unmap: { dma_addr: r.dma_addr, length: String(op.length ?? ''), dir: op.dir ?? '' } };
  case 'spawn':
  case 'fork':
    return Object.fromEntries(['mmap', 'munmap', 'brk', 'touch', 'exit', 'load_cr3', 'translate', 'fork',
      'set_oom_score_adj', 'memcg_attach']
      .map((o) => [o, { pid: String(r.pid) }]));
  case 'create_file':
    return Object.fromEntries(['read_file', 'write_file', 'fsync'].map((o) => [o, { name: op.name }])
      .concat([['mmap', { file: op.name }]]));
  case 'mmap': {
    const area = { pid: op.pid === undefined ? '' : String(op.pid), ...addr, length: String(op.length ?? '') };
    return { touch: area, munmap: area, access_range: { start: r.addr, length: area.length, pid: area.pid },
             translate: { pid: area.pid, vaddr: r.addr } };
  }
  case 'translate':
    return r.paddr ? { migrate_pages: { pfn: hex(Number(BigInt(r.paddr) >> 12n)) } } : {};
  case 'alloc_contig_range':
    return { free_contig_range: { start_pfn: String(r.start_pfn), nr_pages: String(r.nr_pages) } };
  default: return {};
  }
}

// @getSession() is the chosen session (or null), @onApplied(result, op) is
// told of each op applied.
export function createOps(getSession, onApplied) {
  const form = document.getElementById('ops-form');
  const log = document.getElementById('ops-log');
  const box = form.querySelector('.fields');
  const select = form.elements.namedItem('op');
  const error = el('p', { id: 'ops-error', className: 'error', role: 'alert' });
  let inputs = new Map();	// field name -> the input of the chosen op
  let next = {};		// op -> fields suggested by the last results

  // The chosen op's fields, made anew: its defaults, or what an earlier
  // result suggests for it.
  function showFields() {
    const op = select.value;
    inputs = new Map(opFields(op).map((f) => [f, fieldInput(f, FIELDS[f] || {})]));
    for (const [f, v] of Object.entries(next[op] || {}))
      if (inputs.has(f) && v !== undefined)
        inputs.get(f).value = v;
    box.replaceChildren(...[...inputs].map(([f, input]) => el('label', { dataset: { field: f } }, `${f} `, input)));
    form.dataset.op = op;
  }

  // The op object of the form: the fields its op takes that the user filled.
  function opFromForm() {
    const op = { op: select.value };
    for (const [f, input] of inputs) {
      const text = input.value.trim();
      if (text !== '')
        op[f] = fieldValue(f, text);
    }
    return op;
  }

  function append(text, ok, errno) {
    log.prepend(el('li', { className: ok ? 'ok' : 'fail', dataset: { ok: String(ok), errno: errno || '' } }, text));
    while (log.children.length > MAX_LOG)
      log.lastChild.remove();
  }

  function fail(text, errno) {
    append(text, false, errno);
    error.textContent = text;
    error.dataset.errno = errno || '';
  }

  async function apply(op) {
    const s = getSession();
    if (!s) {
      fail(`${describe(op)} \u2192 no session chosen`, 'ENOSESSION');
      return;
    }
    let r;
    try {
      r = (await s.ops(op)).results[0];
    } catch (e) {
      if (e.status === undefined)
        throw e;
      fail(`${describe(op)} \u2192 HTTP ${e.status} ${e.code}: ${e.message}`, e.code);
      return;
    }
    const text = `${describe(op)} \u2192 ${resultText(op, r)}`;
    if (!r.ok) {
      fail(text, r.errno);
    } else {
      append(text, true);
      for (const [o, f] of Object.entries(suggestions(op, r)))
        next[o] = { ...next[o], ...f };
    }
    await onApplied(r, op);
  }

  async function submit(ev) {
    ev.preventDefault();
    error.textContent = '';
    const op = opFromForm();
    try {
      await apply(op);
    } catch (e) {
      fail(`${describe(op)} \u2192 ${e.name}: ${e.message}`, e.name);
    }
  }

  form.querySelector('button[type="submit"]').after(error);
  select.replaceChildren(...OPS.map(([family, ops]) =>
    el('optgroup', { label: family }, ...Object.keys(ops).map((op) => new Option(op)))));
  select.addEventListener('change', () => {
    error.textContent = '';
    showFields();
  });
  form.addEventListener('submit', submit);
  showFields();
}
