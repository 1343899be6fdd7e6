// main.js - the dashboard shell: navigation, the chosen session, and the one
// refresh loop that updates the visible view.
import { health, sessionApi, startUpdates } from './api.js';
import { createSessionPicker } from './sessions.js';
import { createOverview } from './overview.js';
import { createBuddy } from './buddy.js';
import { createPhysmap } from './physmap.js';
import { createOps } from './ops.js';

const status = document.getElementById('status');
const views = {
  overview: createOverview(),
  buddy: createBuddy(),
  physmap: createPhysmap(),
};
let current = 'overview';
let session = null;		// sessionApi() of the chosen session
let updates = null;

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
  updates?.now();
}

// Refresh the visible view of the chosen session; a session switched during
// the requests makes their answers stale, so they are dropped by the views.
async function refresh() {
  if (!session || !current)
    return;
  const s = session;
  try {
    await views[current].refresh(s, () => s === session);
    status.textContent = `session ${s.id}: live`;
    status.classList.remove('error');
  } catch (e) {
    status.textContent = `session ${s.id}: ${e.code ? `${e.code}: ` : ''}${e.message}`;
    status.classList.add('error');
  }
}

function chooseSession(id) {
  session = sessionApi(id);
  for (const v of Object.values(views))
    v.reset();
  updates?.now();
}

async function showVersion() {
  try {
    const h = await health();
    document.getElementById('version').textContent = `mmlab ${h.version}, engine ${h.engine_version}`;
  } catch (e) {
    status.textContent = `disconnected: ${e.message}`;
  }
}

const picker = createSessionPicker(chooseSession);
createOps(() => session, async (result, op) => {
  if (op.op === 'alloc_pages' && result.ok)
    views.physmap.highlight(result.pfn, 2 ** result.order);
  await updates?.now();
});
window.addEventListener('hashchange', () => showView(location.hash.slice(1) || 'overview'));
showView(location.hash.slice(1) || 'overview');
showVersion();
await picker.load();
updates = startUpdates(refresh);
