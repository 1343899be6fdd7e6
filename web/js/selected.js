// selected.js - the object a view shows selected, from the page URL's sel key
// ("KIND:NAME", url.js): a slab cache ("cache:kmalloc-96"), a TLB region
// ("region:vmalloc"), a zone ("zone:0/DMA", node 0's DMA). The view's element for it is
// marked (class "current", aria-selected) and scrolled into view, so a
// scenario's run opens on the object of its claim, and a reload keeps it.
import * as url from './url.js';

// The NAME of sel when its KIND is @kind, or null.
export function selectedName(kind) {
  const sel = url.get('sel') ?? '';
  return sel.startsWith(`${kind}:`) ? sel.slice(kind.length + 1) : null;
}

const scrolledTo = new WeakMap();	// root -> the name last scrolled into view

// Mark, among @root's elements matching @selector, the one whose
// data-@attr is the selected @kind's name; unmark the others. It is scrolled
// into view once per selection, not on every redraw of a live view.
export function markSelected(root, selector, attr, kind) {
  const name = selectedName(kind);
  let first = null;
  for (const e of root.querySelectorAll(selector)) {
    const on = name !== null && e.dataset[attr] === name;
    e.classList.toggle('current', on);
    if (on)
      e.setAttribute('aria-selected', 'true');
    else
      e.removeAttribute('aria-selected');
    first ??= on ? e : null;
  }
  if (first && scrolledTo.get(root) !== name) {
    first.scrollIntoView({ block: 'nearest' });
    scrolledTo.set(root, name);
  }
  return first;
}

// Call @mark again whenever sel changes.
export function onSelectionChange(mark) {
  url.onchange((st, changed) => {
    if (changed.includes('sel'))
      mark();
  });
}
