// tlb.js - the TLB and MMU view: each CPU's mode and control registers (GET
// .../cpus), one CPU's TLB counters per address region (GET .../tlb?cpu=N)
// with their hit rate over the session up to the timeline's seq (GET
// .../tlb/history: one point per stretch of events that had translations),
// the entries its arrays hold, and the boot path as a filmstrip
// (bootstrip.js) whose frames move the timeline to their seq.
import { markSelected, onSelectionChange } from './selected.js';
import { bootFrames, drawFilmstrip } from './bootstrip.js';
import { el } from './format.js';

const COUNTERS = ['accesses', 'hits', 'l1_hits', 'stlb_hits', 'misses', 'walk_refs', 'faults'];
const REGION_COLOURS = { direct_map: '#1d3557', vmalloc: '#2a9d8f', kernel_image: '#e76f51',
                         user: '#f4a261', other: '#6c757d' };
// The rights an entry keeps, by the names of the page-table view and ptdump (RW/ro USR D GLB NX).
const ENTRY_COLUMNS = ['vaddr', 'paddr', 'page_size', 'flags'];

const rate = (r) => (r.accesses ? (100 * r.hits) / r.accesses : null);
const yes = (b) => (b ? '1' : '0');

function rateChart(canvas) {
  return new Chart(canvas, {
    type: 'line',
    data: { datasets: [] },
    options: {
      animation: false, maintainAspectRatio: false, parsing: false,
      scales: { x: { type: 'linear', title: { display: true, text: 'seq' } },
                y: { min: 0, max: 100, title: { display: true, text: 'TLB hit rate (%)' } } },
    },
  });
}

function cpuRow(c) {
  return el('tr', { dataset: { cpu: String(c.cpu) } },
            ...[c.cpu, c.mode, yes(c.online), c.cr0.value, yes(c.cr0.pe), yes(c.cr0.pg), c.cr3, c.cr4.value,
                yes(c.cr4.pae), yes(c.cr4.la57), c.efer.value, yes(c.efer.lme), yes(c.efer.lma), c.rip, c.mm ?? '-']
              .map((v) => el('td', {}, String(v))));
}

const CPU_HEAD = ['cpu', 'mode', 'online', 'CR0', 'PE', 'PG', 'CR3', 'CR4', 'PAE', 'LA57', 'EFER', 'LME', 'LMA',
                  'RIP', 'mm'];

function regionRows(regions) {
  return Object.entries(regions).map(([name, r]) =>
    el('tr', { dataset: { region: name } }, el('th', {}, name),
       ...COUNTERS.map((k) => el('td', { dataset: { counter: k } }, String(r[k]))),
       el('td', {}, r.accesses ? `${rate(r).toFixed(1)} %` : '-')));
}

// Arrays with more valid entries than this show them folded (an STLB holds 1536).
const OPEN_ENTRIES = 16;

function entriesBlock(tlb) {
  return tlb.arrays.map((a) => {
    const list = tlb.entries[a.name] || [];
    const table = el('table', {}, el('tr', {}, ...ENTRY_COLUMNS.map((c) => el('th', {}, c))),
                     ...list.map((e) => el('tr', {}, ...ENTRY_COLUMNS.map((c) =>
                       el('td', {}, typeof e[c] === 'boolean' ? yes(e[c]) : String(e[c]))))));
    return el('div', { className: 'tlb-array', dataset: { array: a.name } },
              el('h4', {}, `${a.name}: ${a.valid} of ${a.entries} entries valid (${a.ways}-way, ${a.sets} sets)`),
              !list.length ? ''
                : list.length <= OPEN_ENTRIES ? table
                  : el('details', {}, el('summary', {}, `the ${list.length} entries`), table));
  });
}

// @cursor moves the timeline to a boot stage; @again() refreshes the view.
export function createTlb(cursor, again) {
  const cpuSelect = document.getElementById('tlb-cpu');
  const cpus = document.getElementById('tlb-cpus');
  const regions = document.getElementById('tlb-regions');
  const entries = document.getElementById('tlb-entries');
  const boot = document.getElementById('tlb-boot');
  let chart = null;

  function reset() {
    cpuSelect.value = '0';
  }

  // Each region's hit rate in every bucket of events that had its translations.
  function drawChart(names, history) {
    chart ??= rateChart(document.getElementById('tlb-chart'));
    chart.data.datasets = names.map((n) => ({
      label: n, borderColor: REGION_COLOURS[n] || '#999999', backgroundColor: REGION_COLOURS[n] || '#999999',
      data: history.buckets.filter((b) => b.regions[n])
        .map((b) => ({ x: b.to_seq, y: rate(b.regions[n]) })),
      pointRadius: 2, spanGaps: true,
    }));
    chart.update('none');
  }

  function drawCpus(view) {
    const want = cpuSelect.value || '0';
    cpuSelect.replaceChildren(...view.cpus.map((c) => new Option(`CPU ${c.cpu}`, String(c.cpu))));
    cpuSelect.value = view.cpus.some((c) => String(c.cpu) === want) ? want : '0';
    cpus.replaceChildren(el('tr', {}, ...CPU_HEAD.map((h) => el('th', {}, h))), ...view.cpus.map(cpuRow));
    cpus.dataset.bootStage = view.boot_stage;
  }

  // The boot's frames, the one reached at the current seq marked.
  function drawBoot(frames, seq) {
    drawFilmstrip(boot, frames, seq, (at) => cursor.seek(at));
    if (!frames.some((f) => f.kind === 'stage'))
      boot.append(el('span', { className: 'summary' }, 'This session started booted: no boot stages recorded.'));
    else if (frames.some((f) => f.pg === null))
      boot.append(el('span', { className: 'summary' }, 'This session started booted: its boot ran while the ' +
                     'machine was created, so the stages have no tables of their own to show. A session that ' +
                     'starts at power-on steps through them with the boot op.'));
    boot.dataset.seq = String(seq);
  }

  async function refresh(s, fresh) {
    const view = await s.cpus();
    if (!fresh())
      return;
    drawCpus(view);
    const cpu = Number(cpuSelect.value);
    const [tlb, history, frames] = await Promise.all([s.tlb(cpu), s.tlbHistory(cpu), bootFrames(s)]);
    if (!fresh() || Number(cpuSelect.value) !== cpu)
      return;
    drawChart(Object.keys(tlb.regions), history);
    regions.replaceChildren(el('tr', {}, el('th', {}, 'region'), ...COUNTERS.map((k) => el('th', {}, k)),
                               el('th', {}, 'hit rate')), ...regionRows(tlb.regions));
    markSelected(regions, 'tr[data-region]', 'region', 'region');
    entries.replaceChildren(...entriesBlock(tlb));
    drawBoot(frames, view.seq);
    boot.dataset.session = String(s.id);
    Object.assign(regions.dataset, { seq: String(tlb.seq), cpu: String(cpu), session: String(s.id), ready: 'true' });
  }

  cpuSelect.addEventListener('change', () => again());
  onSelectionChange(() => markSelected(regions, 'tr[data-region]', 'region', 'region'));
  return { refresh, reset };
}
