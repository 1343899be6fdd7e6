// scenarios.js - the built-in experiments: the daemon's list of scenarios,
// "run" (in a new session with the scenario's machine, or on the chosen
// session), and the panel above the views that keeps a run's question,
// explanation, claim and measured figure (figure.js) in sight while the
// learner explores. A run opens the view where its claim shows, with its
// object selected, through the page URL (url.js).
import { api, listScenarios, runScenario } from './api.js';
import { el } from './format.js';
import { renderFigure } from './figure.js';
import * as url from './url.js';

// Where each scenario's claim can be seen: the URL keys to set, from the
// run's figure, best first; the first whose view the page has is opened. A
// scenario file may name its own ("view", and "select": URL keys).
const TARGETS = {
  'kmalloc-vs-vmalloc': (f) => {
    const area = f.vmalloc?.[0]?.addr, object = f.kmalloc?.[0]?.addr;
    return [{ view: 'addrspace', addr: area, sel: [object && `kmalloc:${object}`, area && `vmalloc:${area}`].filter(Boolean).join(',') },
            { view: 'vmalloc', addr: area }];
  },
  fragmentation: () => [{ view: 'buddy' }],
  // the zone GFP_DMA exhausts
  zones: () => [{ view: 'overview', sel: 'zone:0/DMA' }],
  // the struct page of the user page the run faulted in: its fields name its owner
  'struct-page': (f) => [{ view: 'physmap', pfn: (f.pages?.find((p) => p.owner === 'user') ?? f.pages?.[0])?.pfn },
                         { view: 'overview' }],
  // the first of the two caches between the powers of two
  internal_fragmentation: () => [{ view: 'slabs', sel: 'cache:kmalloc-96' }],
  'linear-map': (f) => [{ view: 'pagetables', addr: f.conversions?.find((c) => c.ok)?.vaddr }],
  paging: (f) => [{ view: 'tlb', at: f.triple_faults?.[0]?.seq }],
  // the region of 4 KiB pages, that misses on every page
  'tlb-scan': () => [{ view: 'tlb', sel: 'region:vmalloc' }],
  'tlb-scan-no-gbpages': () => [{ view: 'tlb', sel: 'region:vmalloc' }],
  'page-cache': () => [{ view: 'overview' }],
  'fork-cow': () => [{ view: 'overview' }],
  'memory-runs-low': () => [{ view: 'pressure' }],
  'direct-reclaim': () => [{ view: 'pressure' }],
  'swap-and-major-faults': () => [{ view: 'pressure' }],
  'oom-killer': () => [{ view: 'pressure' }],
  'memcg-limit': () => [{ view: 'pressure' }],
  // the physical map at the end of the run: its last compaction, moves and block
  // (at the request's seq: kcompactd may compact again after it)
  'movable-fragmentation-compacted': (f) => [{ view: 'physmap', pfn: f.request?.pfn, at: f.request?.seq }],
  'unmovable-fragmentation': () => [{ view: 'physmap' }],
  'proactive-compaction-kcompactd': () => [{ view: 'physmap' }],
};

const hasView = (name) => Boolean(document.getElementById(`view-${name}`));

// The URL keys that show run @r of scenario @sc, or null.
export function targetOf(sc, r) {
  const list = sc.view ? [{ view: sc.view, ...(sc.select || {}) }] : TARGETS[sc.name]?.(r.figure || {}) || [];
  const t = list.find((x) => hasView(x.view));
  if (!t)
    return null;
  const keys = { view: t.view, pfn: null, addr: null, sel: null };
  for (const [k, v] of Object.entries(t))
    if (v !== undefined && v !== null && v !== '')
      keys[k] = k === 'pfn' ? `0x${Number(v).toString(16)}` : v;
  return keys;
}

const viewTitle = (name) => document.querySelector(`nav a[data-view="${name}"]`)?.textContent || name;

// Open the view of run @r of @sc on its session, its object selected.
function openTarget(sc, r) {
  const t = targetOf(sc, r);
  if (t)
    url.set({ ...t, session: r.session }, { push: true });
}

function createPanel(seek) {
  const panel = document.getElementById('scenario-panel');
  let run = null;		// { scenario, session, first_seq, last_seq } shown

  function show(sc, r) {
    run = { scenario: sc.name, session: r.session, first_seq: r.first_seq, last_seq: r.last_seq };
    const close = el('button', { type: 'button', className: 'close', title: 'Close' }, '\u00d7');
    close.addEventListener('click', hide);
    const jump = (label, seq) => {
      const b = el('button', { type: 'button', dataset: { seq: String(seq) } }, label);
      b.addEventListener('click', () => seek(r.session, seq));
      return b;
    };
    const fold = el('button', { type: 'button', className: 'fold', title: 'Fold or unfold the run' }, '\u2013');
    fold.addEventListener('click', () => {
      panel.classList.toggle('folded');
      fold.textContent = panel.classList.contains('folded') ? '+' : '\u2013';
    });
    const target = targetOf(sc, r);
    const open = el('button', { type: 'button', className: 'open', dataset: { view: target?.view || '' } },
                    `show in the ${target ? viewTitle(target.view) : ''} view`);
    open.hidden = !target;
    open.addEventListener('click', () => openTarget(sc, r));
    panel.replaceChildren(
      close, fold, el('h2', {}, sc.title),
      el('div', { className: 'scenario-run' },
         el('div', { className: 'scenario-text' },
            el('p', { className: 'summary' }, `Scenario "${sc.name}", run on session #${r.session}, ` +
               `events ${r.first_seq}\u2013${r.last_seq}` +
               (r.ops_ok !== undefined ? `, ${r.ops_ok} op(s) ok, ${r.ops_failed} refused.` : '.')),
            el('div', { className: 'controls' }, jump('start of the run', r.first_seq), jump('its end', r.last_seq), open),
            el('h3', { className: 'question-title' }, 'Question'), el('p', { className: 'question' }, sc.question || ''),
            el('h3', { className: 'claim-title' }, 'Claim'), el('p', { className: 'claim' }, sc.claim || ''),
            el('details', {}, el('summary', {}, 'Explanation'), el('p', {}, sc.explanation || ''))),
         el('div', { className: 'scenario-measured' }, el('h3', {}, 'Measured'),
            el('div', { id: 'scenario-figure' }, renderFigure(r.figure, { seek: (seq) => seek(r.session, seq) })))));
    panel.classList.remove('folded');
    panel.dataset.scenario = sc.name;
    panel.dataset.session = String(r.session);
    panel.hidden = false;
  }

  function hide() {
    run = null;
    panel.hidden = true;
  }

  return { show, hide, shown: () => run };
}

// @getSession() is the chosen session, @choose(id) switches to a session,
// @seek(id, seq) shows session @id at @seq, @onApplied() follows a run on
// the chosen session.
export function createScenarios({ getSession, choose, seek, onApplied }) {
  const list = document.getElementById('scenario-list');
  const error = document.getElementById('scenario-error');
  const panel = createPanel(seek);
  let scenarios = null;		// GET /scenarios, loaded once

  async function load() {
    scenarios ??= (await listScenarios()).scenarios;
    return scenarios;
  }

  async function runNew(sc) {
    const r = await runScenario(sc.name);
    panel.show(sc, r);
    await choose(r.session);
    openTarget(sc, r);
  }

  async function runHere(sc) {
    const s = getSession();
    const r = await s.runScenario(sc.name);
    panel.show(sc, { ...r, session: s.id });
    await onApplied();
    openTarget(sc, { ...r, session: s.id });
  }

  function button(label, action, sc) {
    const b = el('button', { type: 'button', dataset: { action } }, label);
    b.addEventListener('click', async () => {
      error.textContent = '';
      b.disabled = true;
      try {
        await (action === 'new' ? runNew : runHere)(sc);
      } catch (e) {
        error.textContent = `${sc.name}: ${e.message}`;
      } finally {
        b.disabled = false;
      }
    });
    return b;
  }

  function card(sc) {
    const machine = Object.entries(sc.machine || {}).map(([k, v]) => `${k} ${v}`).join(', ') || 'default';
    return el('article', { className: 'scenario', dataset: { name: sc.name } },
              el('h3', {}, sc.title),
              el('p', { className: 'question' }, sc.question || ''),
              el('p', { className: 'claim' }, el('strong', {}, 'Claim: '), sc.claim || ''),
              el('details', {}, el('summary', {}, 'Explanation'), el('p', {}, sc.explanation || '')),
              el('p', { className: 'summary' }, `${sc.ops} op(s) on a machine with ${machine}.`),
              el('div', { className: 'controls' }, button('Run in a new session', 'new', sc),
                 button('Run on the chosen session', 'here', sc)));
  }

  async function refresh() {
    if (list.dataset.ready)
      return;
    list.replaceChildren(...(await load()).map(card));
    list.dataset.ready = 'true';
  }

  // A session chosen: the panel shows its last scenario run, if it has one
  // and no other run is shown.
  async function sessionChosen(id) {
    const shown = panel.shown();
    if (shown && shown.session === id)
      return;
    const info = await api(`/sessions/${id}`);
    const r = info.scenario_runs?.at(-1);
    const sc = r && (await load()).find((x) => x.name === r.name);
    if (sc && !shown)
      panel.show(sc, { ...r, session: id });
  }

  return { refresh, reset: () => {}, sessionChosen };
}
