// sessions.js - the session picker in the header and the form that creates
// a new session from machine config keys (engine.md section 1).
import { listSiteSessions, createSession } from './api.js';

const NUMBER_KEYS = ['mem_mib', 'nodes', 'cpus', 'max_order', 'paging_levels'];
const BOOLEAN_KEYS = ['pcp', 'gbpages', 'debug_virtual'];
const TEXT_KEYS = ['start'];

function optionLabel(s) {
  return `${s.name} (#${s.id}, ${s.state})`;
}

// The machine object of the form: only the keys the user set, so the others
// keep the engine's defaults.
function machineFromForm(form) {
  const machine = {};
  for (const key of NUMBER_KEYS) {
    const text = form.elements[key].value.trim();
    if (text !== '')
      machine[key] = Number(text);
  }
  for (const key of BOOLEAN_KEYS) {
    const v = form.elements[key].value;
    if (v !== '')
      machine[key] = v === 'true';
  }
  for (const key of TEXT_KEYS) {
    const v = form.elements[key].value;
    if (v !== '')
      machine[key] = v;
  }
  return machine;
}

// @onChoose(id, live, state) hears the session chosen, whether it is a live
// machine, and its state ("live", "hibernated": live, its machine stored until
// its next request, "closed", "crashed", or "trace": a real kernel's trace).
export function createSessionPicker(onChoose) {
  const select = document.getElementById('session');
  let states = new Map();	// id -> "live", "hibernated", "closed" or "crashed"
  const isLive = (state) => state === 'live' || state === 'hibernated';
  const chooseSelected = () => onChoose(Number(select.value), isLive(states.get(Number(select.value))),
                                        states.get(Number(select.value)));
  const form = document.getElementById('new-session');
  const error = document.getElementById('new-session-error');
  const details = form.closest('details');

  // Fill the list with the sessions of every daemon of the site (one group a
  // daemon when there are several, as behind nginx); keep the chosen session,
  // or take "default" the first time.
  async function load(choose) {
    let daemons;
    try {
      daemons = (await listSiteSessions()).daemons;
    } catch (e) {
      document.getElementById('status').textContent = `disconnected: ${e.message}`;
      return;
    }
    const sessions = daemons.flatMap((d) => d.sessions || []);
    const previous = select.value;
    states = new Map(sessions.map((s) => [s.id, s.state]));
    const options = (list) => list.map((s) => new Option(optionLabel(s), String(s.id)));
    select.replaceChildren(...(daemons.length === 1 ? options(sessions) : daemons.map((d) => {
      const group = document.createElement('optgroup');
      group.label = d.error ? `instance ${d.instance}: ${d.error.message}` : `instance ${d.instance}`;
      group.dataset.instance = String(d.instance);
      group.disabled = Boolean(d.error);
      group.append(...options(d.sessions || []));
      return group;
    })));
    const live = sessions.find((s) => s.name === 'default' && isLive(s.state)) ||
                 sessions.find((s) => isLive(s.state));
    const known = (w) => w !== undefined && w !== null && sessions.some((s) => String(s.id) === String(w));
    const wanted = [choose, previous || undefined, live && live.id].find(known);
    if (wanted !== undefined)
      select.value = String(wanted);
    if (select.value && select.value !== previous)
      chooseSelected();
  }

  async function submit(ev) {
    ev.preventDefault();
    error.textContent = '';
    const body = { machine: machineFromForm(form) };
    const name = form.elements.name.value.trim();
    if (name)
      body.name = name;
    try {
      const created = await createSession(body);
      details.open = false;
      form.reset();
      await load(created.id);
    } catch (e) {
      error.textContent = e.message;
    }
  }

  select.addEventListener('change', chooseSelected);
  select.addEventListener('focus', () => load());
  form.addEventListener('submit', submit);
  return { load };
}
