// main.js - the dashboard shell: navigation, the chosen session, the current
// seq that every view shows (the present, or a moment of the past), and the
// one refresh loop that updates the visible view. The page URL (url.js) holds
// the view, the session and the seq, so a reload or a shared link restores them.
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
import { createAddrspace } from './addrspace.js';
import { createPressure } from './pressure.js';
import * as url from './url.js';

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
  vmalloc: createVmalloc(physmap, () => url.set({ view: 'physmap' })),
  pagetables: createPagetables(),
  tlb: createTlb(cursor, () => updates.now()),
  addrspace: createAddrspace(() => updates.now()),
  pressure: createPressure(),
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
  url.set({ at: st.following ? null : st.seq });
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
  name ||= 'overview';
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

// The URL's seq is kept when it names this session (a reload, a shared link).
function chooseSession(id, live) {
  session = sessionApi(id);
  for (const v of Object.values(views))
    v.reset();
  url.set({ session: id, at: url.get('session') === String(id) ? url.get('at') : null });
  chosen = cursor.choose(sessionApi(id), live).then(() => {
    const at = url.get('session') === String(id) ? url.get('at') : null;
    if (at !== null && session?.id === id)
      cursor.seek(Number(at));
  }).catch(showError);
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
// The nav links keep the session and seq, and leave the selection behind.
function linkViews() {
  for (const a of document.querySelectorAll('nav a[data-view]'))
    a.href = url.href({ view: a.dataset.view, pfn: null, addr: null, sel: null });
}

// The URL changed (a link, back or forward, the address bar, or a view's
// own selection): the page follows what differs from what it shows.
function onUrl(st, changed) {
  linkViews();
  if (changed.includes('view'))
    showView(st.view);
  if (st.session === undefined && session) {
    url.set({ session: session.id });	// a link without one: the session shown
  } else if (st.session !== undefined && String(session?.id) !== st.session) {
    picker.load(Number(st.session));
    return;
  }
  const c = cursor.state();
  if (!changed.includes('at') || !session || !c.timeline)
    return;
  if (st.at === undefined) {
    if (!c.following)
      cursor.goLive();
  } else if (c.following || c.seq !== Number(st.at))
    cursor.seek(Number(st.at));
}

url.onchange(onUrl);
linkViews();
showView(url.get('view'));
showVersion();
await picker.load(url.get('session') ?? undefined);
