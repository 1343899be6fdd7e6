// api.js - every request the dashboard makes goes through here, and so does
// the clock that tells the views to refresh.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function request(path, { method = 'GET', body } = {}) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(`/api/v1${path}`, init);
  if (res.ok)
    return res;
  const type = res.headers.get('Content-Type') || '';
  const data = type.startsWith('application/json') ? await res.json() : await res.text();
  const err = data && data.error ? data.error : { code: 'EIO', message: String(data) };
  throw new ApiError(res.status, err.code, err.message);
}

// GET or POST a JSON (or text) resource of the daemon; errors become ApiError.
export async function api(path, options) {
  const res = await request(path, options);
  const type = res.headers.get('Content-Type') || '';
  return type.startsWith('application/json') ? res.json() : res.text();
}

// GET a binary resource (the physical map) as bytes.
export async function apiBytes(path) {
  const res = await request(path);
  return new Uint8Array(await res.arrayBuffer());
}

// The resources of one session, by name.
export function sessionApi(id) {
  const base = `/sessions/${id}`;
  return {
    id,
    info: () => api(base),
    zones: () => api(`${base}/zones`),
    page: (pfn) => api(`${base}/pages/${pfn}`),
    physmap: (start, count) => apiBytes(`${base}/physmap?start=${start}&count=${count}`),
    legend: () => api(`${base}/physmap/legend`),
    proc: (name) => api(`${base}/proc/${name}`),
    ops: (list) => api(`${base}/ops`, { method: 'POST', body: list }),
  };
}

export const listSessions = () => api('/sessions');
export const createSession = (body) => api('/sessions', { method: 'POST', body });
export const health = () => api('/health');

const POLL_MS = 1000;

// Call @refresh now and then every second while the page is visible; never
// two at once. Returns now(), which asks for a refresh at once (after an op).
// This is the one place that decides when views update: a push stream from
// the daemon can replace the timer here without touching the views.
export function startUpdates(refresh) {
  let running = null, again = false;

  async function run() {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await refresh();
      } while (again);
    })();
    try {
      await running;
    } finally {
      running = null;
    }
  }
  setInterval(() => { if (document.visibilityState === 'visible') run(); }, POLL_MS);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') run();
  });
  run();
  return { now: run };
}
