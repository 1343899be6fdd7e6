// format.js - small helpers shared by the views: numbers as the kernel
// prints them and DOM elements built in one call.

export const PAGE_SIZE = 4096;

export const hex = (n) => `0x${Number(n).toString(16)}`;

// Pages as MiB with one decimal (4 KiB pages).
export const mib = (pages) => `${(pages * PAGE_SIZE / 2 ** 20).toFixed(1)} MiB`;

// A number typed by a user: decimal or 0x-prefixed hex; NaN when empty or bad.
export function parseNumber(text) {
  const t = String(text).trim();
  return t === '' ? NaN : Number(t);
}

// document.createElement with attributes and children.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'dataset')
      Object.assign(node.dataset, v);
    else if (k in node)
      node[k] = v;
    else
      node.setAttribute(k, v);
  }
  node.append(...children);
  return node;
}

// The owner colours of a physmap legend, by owner name.
export function ownerColours(legend) {
  return Object.fromEntries(legend.codes.map((c) => [c.name, c.color]));
}
