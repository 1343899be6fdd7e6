// url.js - the page URL holds what the dashboard shows, so that a reload or a
// shared link shows it again: the view, the session, the moment (seq) and
// the object selected in the view.
//
// Shape:   /#VIEW?KEY=VALUE&KEY=VALUE
// Example: /#physmap?session=2&at=120&pfn=0x1234
//   view     the part before '?': a view's name (nav a[data-view]); none: overview
//   session  the session id
//   at       the seq shown (time travel); absent: live, following the present
//   pfn      a page frame selected (hex), e.g. the physical map's struct page
//   addr     a virtual address selected (hex): a vmalloc area's start, the
//            address walked in the page tables, a kmalloc object
//   sel      a view's own selection when neither fits (e.g. "vmalloc:0x...")
// Views may add keys of their own; values are strings.
// Keys given as a query of the page itself (/?session=2&at=120#buddy) are
// moved into the hash when the page loads.
//
// API (all of it):
//   get(key)                 the key's value (a string), or null; get('view') too
//   get()                    every key: { view, session, at, ... }
//   set({ key: value }, { push })
//                            change keys (null, undefined or '' removes one);
//                            a change of view adds a history entry (back
//                            returns), other changes replace the current
//                            entry unless push is true
//   onchange(fn)             fn(state, changed) after every change, by set() or
//                            by navigation (back, forward, a link, the address
//                            bar); changed is the list of keys that changed
//   href({ key: value })     the link to the current state with these changes

const FIRST = ['session', 'at'];	// written first, in this order
const listeners = [];
let state = parse(location.hash);

function parse(hash) {
  const text = hash.replace(/^#/, '');
  const q = text.indexOf('?');
  const st = { view: (q < 0 ? text : text.slice(0, q)) || null };
  for (const [k, v] of new URLSearchParams(q < 0 ? '' : text.slice(q + 1)))
    if (k !== 'view' && v !== '')
      st[k] = v;
  return st;
}

// A value as it is when it needs no escaping in a query (a zone is "0/DMA").
const keep = (v) => /^[\w.:,/-]*$/.test(v) ? v : encodeURIComponent(v);

function format(st) {
  const keys = Object.keys(st).filter((k) => k !== 'view' && st[k] !== null);
  keys.sort((a, b) => (FIRST.indexOf(a) + 1 || 99) - (FIRST.indexOf(b) + 1 || 99));
  const query = keys.map((k) => `${encodeURIComponent(k)}=${keep(String(st[k]))}`).join('&');
  return `#${st.view || ''}${query ? `?${query}` : ''}`;
}

function apply(changes) {
  const next = { ...state };
  for (const [k, v] of Object.entries(changes)) {
    if (v === null || v === undefined || v === '')
      delete next[k];
    else
      next[k] = String(v);
  }
  if (!next.view)
    next.view = null;
  return next;
}

function changedKeys(a, b) {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => (a[k] ?? null) !== (b[k] ?? null));
}

function notify(changed) {
  if (!changed.length)
    return;
  for (const fn of listeners)
    fn({ ...state }, changed);
}

export function get(key) {
  if (key === undefined)
    return { ...state };
  return state[key] ?? null;
}

export function set(changes, { push = false } = {}) {
  const next = apply(changes);
  const changed = changedKeys(state, next);
  if (!changed.length)
    return;
  const url = `${location.pathname}${format(next)}`;
  if (push || changed.includes('view'))
    history.pushState(null, '', url);
  else
    history.replaceState(null, '', url);
  state = next;
  notify(changed);
}

export function onchange(fn) {
  listeners.push(fn);
}

export function href(changes = {}) {
  return format(apply(changes));
}

// Navigation: the URL is the truth; say what changed.
function navigated() {
  const next = parse(location.hash);
  const changed = changedKeys(state, next);
  state = next;
  notify(changed);
}

// Keys of the page's own query (/?at=120) join the hash, once.
if (location.search) {
  const fromQuery = Object.fromEntries(new URLSearchParams(location.search));
  const { view, ...keys } = parse(location.hash);
  state = apply({ ...fromQuery, ...keys, view: view || fromQuery.view });
  history.replaceState(null, '', `${location.pathname}${format(state)}`);
}
window.addEventListener('hashchange', navigated);
window.addEventListener('popstate', navigated);
