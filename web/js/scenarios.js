// scenarios.js - the built-in experiments: the daemon's list of scenarios,
// "run" (in a new session with the scenario's machine, or on the chosen
// session), and the side panel that keeps a run's question, explanation,
// claim and measured figure beside the other views while the learner explores.
import { api, listScenarios, runScenario } from './api.js';
import { el } from './format.js';

// Units of a figure's numbers, from the end of their key.
const UNITS = [[/_percent$/, ' %'], [/_pages$|^pages_/, ' pages'], [/_bytes$|^bytes_/, ' bytes'],
               [/_mib$/, ' MiB'], [/_kib$/, ' KiB']];

const words = (key) => String(key).replace(/_/g, ' ');

function numberText(key, v) {
  const unit = UNITS.find(([re]) => re.test(key));
  const digits = unit && unit[1] === ' %' ? 2 : 3;
  const text = Number.isInteger(v) ? String(v) : String(Number(v.toFixed(digits)));
  return unit ? `${text}${unit[1]}` : text;
}

// A scalar of the figure, with its path and (numbers) its exact value.
function leaf(key, v, path) {
  const attrs = { className: 'leaf', dataset: { path } };
  if (typeof v === 'number')
    return el('span', { ...attrs, dataset: { path, value: String(v) } }, numberText(key, v));
  if (typeof v === 'boolean')
    return el('span', attrs, v ? 'yes' : 'no');
  return el('span', attrs, v === null ? '\u2014' : String(v));
}

const isRecord = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const isScalar = (v) => v === null || typeof v !== 'object';

// A list of records as one table, a column per key.
function recordsTable(list, key, path) {
  const cols = [...new Set(list.flatMap((r) => Object.keys(r)))];
  return el('table', { className: 'figure' },
            el('tr', {}, ...cols.map((c) => el('th', {}, words(c)))),
            ...list.map((r, i) => el('tr', {}, ...cols.map((c) =>
              el('td', {}, r[c] === undefined ? '' : figureNode(c, r[c], `${path}.${i}.${c}`))))));
}

// A list of scalars (per order, per zone...) as a row under its indices.
function listTable(list, key, path) {
  return el('table', { className: 'figure list' },
            el('tr', {}, ...list.map((_, i) => el('th', {}, String(i)))),
            el('tr', {}, ...list.map((v, i) => el('td', {}, leaf(key, v, `${path}.${i}`)))));
}

// Any value of a figure, readable: records as key/value tables, lists of
// flat records as one table, lists of numbers as a row under their indices.
function figureNode(key, v, path) {
  if (Array.isArray(v) && v.length && v.every(isRecord))
    return v.every((r) => Object.values(r).every(isScalar)) ? recordsTable(v, key, path) : recordsList(v, path);
  if (Array.isArray(v))
    return listTable(v, key, path);
  return isRecord(v) ? recordTable(v, path) : leaf(key, v, path);
}

// A record as key/value rows; a nested value goes under its key.
function recordTable(v, path) {
  return el('table', { className: 'figure' }, ...Object.entries(v).flatMap(([k, x]) => {
    const node = figureNode(k, x, path ? `${path}.${k}` : k);
    if (isScalar(x))
      return [el('tr', {}, el('th', {}, words(k)), el('td', {}, node))];
    return [el('tr', {}, el('th', { colSpan: 2 }, words(k))),
            el('tr', {}, el('td', { colSpan: 2, className: 'nested' }, el('div', {}, node)))];
  }));
}

// Records holding lists or records: one table each, numbered.
function recordsList(list, path) {
  return el('div', {}, ...list.map((r, i) =>
    el('div', { className: 'record' }, el('span', { className: 'index' }, `#${i}`),
       recordTable(r, `${path}.${i}`))));
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
    panel.replaceChildren(
      close, el('h2', {}, sc.title),
      el('p', { className: 'summary' }, `Scenario "${sc.name}", run on session #${r.session}, ` +
         `events ${r.first_seq}\u2013${r.last_seq}` +
         (r.ops_ok !== undefined ? `, ${r.ops_ok} op(s) ok, ${r.ops_failed} refused.` : '.')),
      el('div', { className: 'controls' }, jump('start of the run', r.first_seq), jump('its end', r.last_seq)),
      el('h3', {}, 'Question'), el('p', { className: 'question' }, sc.question || ''),
      el('h3', {}, 'Claim'), el('p', { className: 'claim' }, sc.claim || ''),
      el('h3', {}, 'Measured'), el('div', { id: 'scenario-figure' }, figureNode('figure', r.figure, '')),
      el('details', {}, el('summary', {}, 'Explanation'), el('p', {}, sc.explanation || '')));
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
  }

  async function runHere(sc) {
    const s = getSession();
    const r = await s.runScenario(sc.name);
    panel.show(sc, { ...r, session: s.id });
    await onApplied();
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
