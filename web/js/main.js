// main.js - the dashboard shell: navigation between views and the refresh loop.
import { api } from './api.js';
import { createOverview } from './overview.js';

const status = document.getElementById('status');
const overview = createOverview(api);

function showView(name) {
  const known = name === 'overview';
  document.getElementById('view-overview').hidden = !known;
  document.getElementById('view-other').hidden = known;
  if (!known) {
    const link = document.querySelector(`nav a[data-view="${name}"]`);
    document.getElementById('other-title').textContent = link ? link.textContent : name;
  }
  for (const a of document.querySelectorAll('nav a'))
    a.classList.toggle('active', a.dataset.view === name);
}

async function tick() {
  try {
    const health = await overview.refresh();
    status.textContent = `connected: ${health.status}`;
    document.getElementById('version').textContent = `mmlab ${health.version}`;
  } catch (e) {
    status.textContent = `disconnected: ${e.message}`;
  }
}

window.addEventListener('hashchange', () => showView(location.hash.slice(1) || 'overview'));
showView(location.hash.slice(1) || 'overview');
tick();
setInterval(tick, 2000);
