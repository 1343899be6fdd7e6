// main.js - the dashboard shell: navigation, the chosen session, the current
// seq that every view shows (the present, or a moment of the past), and the
// one refresh loop that updates the visible view.
import { health, sessionApi, startUpdates } from './api.js';
import { createSessionPicker } from './sessions.js';
import { createCursor } from './cursor.js';
import { createTimebar } from './timebar.js';
import { createOverview } from './overview.js';
import { createBuddy } from './buddy.js';
import { createPhysmap } from './physmap.js';
import { createTimeline } from './timeline.js';
import { createOps } from './ops.js';
import { createScenarios } from './scenarios.js';
import { createSlabs } from './slabs.js';
import { createVmalloc } from './vmalloc.js';
import { createPagetables } from './pagetables.js';
import { createTlb } from './tlb.js';

const CONNECTION_TEXT = {
  stream: 'live, streamed', reconnecting: 'reconnecting\u2026', stored: 'stored', ended: 'stopped',
};
const status = document.getElementById('status');
let connection = 'connecting\u2026';	// what startUpdates last said about the stream
let session = null;		// sessionApi() of the chosen session at the current seq
let chosen = Promise.resolve();	// the cursor's loading of the chosen session

const cursor = createCursor(onCursor);
const timebar = createTimebar(cursor);
const picker = createSessionPicker(chooseSession);
const physmap = createPhysmap();
const views = {
  overview: createOverview(),
  buddy: createBuddy(),
  physmap,
  slabs: createSlabs(),
  vmalloc: createVmalloc(physmap, () => { location.hash = '#physmap'; }),
  pagetables: createPagetables(),
  tlb: createTlb(cursor, () => updates.now()),
  timeline: createTimeline(cursor, (id) => picker.load(id)),
  scenarios: createScenarios({
    getSession: () => session && sessionApi(session.id),
    choose: (id) => picker.load(id),
    seek: showSeq,
    onApplied: () => applied(),
  }),
};
let current = 'overview';
const updates = startUpdates(refresh, {
  onSeq: (seq) => {
    cursor.grow(seq);
    return cursor.state().following;
  },
  onState: onConnection,
});

// The cursor moved (a seek, a step, "live") or the timeline grew: the bar
// follows, and a move points the views at the new seq.
function onCursor(st, moved) {
  timebar.render(st);
  if (!moved || !session)
    return;
  session = sessionApi(session.id, st.following ? null : st.seq);
  updates.now();
}

function onConnection(state) {
  connection = CONNECTION_TEXT[state];
  if (state === 'ended' && session) {
    picker.load();
    cursor.choose(sessionApi(session.id), false).catch(showError);
  }
}

function showError(e) {
  status.textContent = `session ${session?.id}: ${e.code ? `${e.code}: ` : ''}${e.message}`;
  status.classList.add('error');
}

function showView(name) {
  const built = name in views;
  current = built ? name : null;
  for (const v of Object.keys(views))
    document.getElementById(`view-${v}`).hidden = v !== name;
  document.getElementById('view-other').hidden = built;
  if (!built) {
    const link = document.querySelector(`nav a[data-view="${name}"]`);
    document.getElementById('other-title').textContent = link ? link.textContent : name;
  }
  for (const a of document.querySelectorAll('nav a'))
    a.classList.toggle('active', a.dataset.view === name);
  updates.now();
}

// Refresh the visible view of the chosen session; a session switched or a
// seq moved during the requests makes their answers stale, so the views drop them.
async function refresh() {
  if (!session || !current)
    return;
  const s = session;
  try {
    await views[current].refresh(s, () => s === session);
    status.textContent = `session ${s.id}: ${connection}`;
    status.classList.remove('error');
  } catch (e) {
    showError(e);
  }
}

function chooseSession(id, live) {
  session = sessionApi(id);
  for (const v of Object.values(views))
    v.reset();
  chosen = cursor.choose(sessionApi(id), live).catch(showError);
  updates.follow(id, live);
  views.scenarios.sessionChosen(id).catch(showError);
}

// Session @id just after event @seq (a scenario run's start or end).
async function showSeq(id, seq) {
  if (session?.id !== id) {
    await picker.load(id);
    await chosen;
  }
  cursor.seek(seq);
}

// An op changed the present: the views return to it to show what it did.
async function applied() {
  if (!cursor.state().following)
    cursor.goLive();
  await updates.now();
}

async function showVersion() {
  try {
    const h = await health();
    document.getElementById('version').textContent = `mmlab ${h.version}, engine ${h.engine_version}`;
  } catch (e) {
    status.textContent = `disconnected: ${e.message}`;
  }
}

// The frames an allocation took: a block of pages, or those a kmalloc
// object lies in (its slab's order for kmalloc_large).
function framesOf(op, r) {
  if (op.op === 'alloc_pages' || r.cache === 'kmalloc_large')
    return 2 ** r.order;
  return Math.ceil(((parseInt(r.addr.slice(-3), 16) % 4096) + r.bytes_alloc) / 4096);
}

createOps(() => session && sessionApi(session.id), async (result, op) => {
  if ((op.op === 'alloc_pages' || op.op === 'kmalloc') && result.ok)
    physmap.highlight(result.pfn, framesOf(op, result));
  if (op.op === 'vmalloc' && result.ok)
    physmap.highlightFrames(result.pfns);
  await applied();
});
// The view named by the page's hash; what follows a '?' is the view's own (#pagetables?addr=).
const hashView = () => location.hash.slice(1).split('?')[0] || 'overview';
window.addEventListener('hashchange', () => showView(hashView()));
showView(hashView());
showVersion();
await picker.load();
