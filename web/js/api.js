// api.js - every request the dashboard makes goes through here, and so does
// the clock that tells the views to refresh: the daemon's event stream for a
// live session, a timer for a stored one.

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

// "?a=1&b=2" of the parameters that are set; "" when none is.
function query(params) {
  const set = Object.entries(params).filter(([, v]) => v !== null && v !== undefined && v !== '');
  return set.length ? `?${new URLSearchParams(set.map(([k, v]) => [k, String(v)]))}` : '';
}

// The resources of one session, by name. @at (an event seq, or null for now)
// is the moment every state view shows: the machine just after event @at.
export function sessionApi(id, at = null) {
  const base = `/sessions/${id}`;
  const view = (path, params = {}) => `${base}${path}${query({ ...params, at })}`;
  return {
    id,
    at,
    info: () => api(base),
    zones: (seq = at) => api(`${base}/zones${query({ at: seq })}`),
    page: (pfn) => api(view(`/pages/${pfn}`)),
    physmap: (start, count) => apiBytes(view('/physmap', { start, count })),
    legend: () => api(view('/physmap/legend')),
    freeBlocks: (node, zone) => api(view('/buddy/blocks', { node, zone })),
    proc: (name) => api(view(`/proc/${name}`)),
    ops: (list) => api(`${base}/ops`, { method: 'POST', body: list }),
    timeline: () => api(`${base}/timeline`),
    events: ({ since, limit, type }) => api(`${base}/events${query({ since, limit, type })}`),
    fork: (seq, name) => api(`${base}/fork`, { method: 'POST', body: { at: seq, name } }),
    runScenario: (name) => api(`${base}/scenarios/${name}`, { method: 'POST' }),
    slabs: () => api(view('/slabs')),
    vmalloc: () => api(view('/vmalloc')),
    pagetableTree: (pid, table) => api(view('/pagetable/tree', { pid, table })),
    pagetableWalk: (pid, vaddr, access) => api(view('/pagetable', { pid, vaddr, access })),
    tlb: (cpu) => api(view('/tlb', { cpu })),
    tlbHistory: (cpu) => api(view('/tlb/history', { cpu })),
    cpus: () => api(view('/cpus')),
    processes: () => api(view('/processes')),
    vmlayout: () => api(view('/vmlayout')),
    pressure: (points) => api(`${base}/pressure${query({ points })}`),
  };
}

// Every daemon's sessions, by daemon: behind nginx the proxy gathers them (docs/deploy.md).
export const listSiteSessions = () => api('/site/sessions');
export const createSession = (body) => api('/sessions', { method: 'POST', body });
export const health = () => api('/health');
export const eventTypes = () => api('/event-types');
export const listScenarios = () => api('/scenarios');
export const runScenario = (name) => api(`/scenarios/${name}/run`, { method: 'POST' });

// A stored session does not change: its timer only notices a daemon that
// went away or came back.
const POLL_MS = 5000;
const MIN_GAP_MS = 100;		// live sessions: at most ten refreshes a second
const BACKOFF_MS = [500, 1000, 2000, 5000, 10000];

// @refresh, never two at once: a call during a refresh asks for one more
// after it, however many calls came. The promise settles after that one.
function coalesced(refresh) {
  let running = null, again = false, lastStart = 0;

  async function loop() {
    do {
      again = false;
      const wait = lastStart + MIN_GAP_MS - Date.now();
      if (wait > 0)
        await new Promise((r) => setTimeout(r, wait));
      lastStart = Date.now();
      await refresh();
    } while (again);
  }
  return function run() {
    if (running) {
      again = true;
      return running;
    }
    running = loop().finally(() => { running = null; });
    return running;
  };
}

// The daemon's Server-Sent Events of live session @id: @onSeq(seq) for each
// new last seq (hello, summary, events), @onResync(seq) when the daemon says
// the page fell behind. Reconnects with growing pauses while the session is
// live, else says onState('ended'); close() ends it.
function openStream(id, { onSeq, onResync, onState }) {
  let source = null, timer = null, failures = 0, closed = false;

  function connect() {
    source = new EventSource(`/api/v1/sessions/${id}/stream`);
    const seqOf = (handler) => (msg) => {
      failures = 0;
      onState('stream');
      handler(JSON.parse(msg.data));
    };
    source.addEventListener('hello', seqOf((d) => onSeq(d.seq)));
    source.addEventListener('summary', seqOf((d) => onSeq(d.seq)));
    source.addEventListener('events', seqOf((d) => onSeq(d.events.at(-1)?.seq ?? 0)));
    source.addEventListener('resync', seqOf((d) => onResync(d.seq)));
    source.addEventListener('error', retry);
  }

  // EventSource retries by itself only on some errors: own the pauses instead.
  // An unreachable daemon may come back; a stopped session will not.
  async function retry() {
    source.close();
    if (closed)
      return;
    onState('reconnecting');
    const live = await api(`/sessions/${id}`).then((s) => s.state === 'live' || s.state === 'hibernated', () => true);
    if (closed)
      return;
    if (!live)
      onState('ended');
    else
      timer = setTimeout(connect, BACKOFF_MS[Math.min(failures++, BACKOFF_MS.length - 1)]);
  }

  connect();
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      source.close();
    },
  };
}

// The one place that decides when the views update. follow() picks the
// session: a live one is watched through its stream (@onSeq hears each new
// seq, and the views refresh when it answers true), a stored one with a timer.
// @onState hears 'stream', 'reconnecting', 'stored' and 'ended' (the live
// session stopped: it is then followed as a stored one). now() asks for a
// refresh at once (after an op, a view switch, a seek).
export function startUpdates(refresh, { onSeq, onState }) {
  const run = coalesced(refresh);
  let stream = null, poll = null, seen = -1;

  function stop() {
    stream?.close();
    clearInterval(poll);
    stream = poll = null;
  }

  // A new seq of the live machine: the views refresh if onSeq says they
  // show the present (the past they show does not change).
  function newSeq(seq) {
    if (seq === seen)
      return;
    seen = seq;
    if (onSeq(seq))
      run();
  }

  function follow(id, live) {
    stop();
    seen = -1;
    if (live) {
      stream = openStream(id, {
        onSeq: newSeq,
        onResync: (seq) => { seen = -1; newSeq(seq); },
        onState: (state) => {
          onState(state);
          if (state === 'ended')
            follow(id, false);
        },
      });
    } else {
      onState('stored');
      poll = setInterval(() => { if (document.visibilityState === 'visible') run(); }, POLL_MS);
    }
    return run();
  }

  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') run();
  });
  return { follow, now: run };
}
