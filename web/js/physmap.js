// physmap.js - the physical memory map: every frame one square of pixels on a
// canvas, coloured by owner from the daemon's physmap bytes (ImageData, so
// millions of frames draw at once); hover names a frame, a click shows its
// struct page. Two highlights are drawn on an overlay canvas, so the map's
// own pixels stay true: a contiguous block (an alloc_pages or kmalloc
// buffer) in magenta, and a list of scattered frames (a vmalloc area's
// pages) in cyan, so the two kinds of buffer can be told apart at a glance.
import { el, hex, parseNumber, PAGE_SIZE } from './format.js';
import { pageNote } from './structpage.js';

const WIDTH = 1024;		// canvas pixels per row
const MAX_HEIGHT = 16384;	// canvas pixels; beyond it the map shows a window from start
const HIGHLIGHT_FILL = 'rgba(255, 0, 255, 0.35)';
const HIGHLIGHT_LINE = '#ff00ff';
const FRAMES_FILL = 'rgba(0, 180, 216, 0.6)';
const FRAMES_LINE = '#0077b6';

// "#rrggbb" as a pixel of a little-endian Uint32Array view of ImageData.
function pixel(colour) {
  const n = parseInt(colour.slice(1), 16);
  return (0xff << 24 | (n & 0xff) << 16 | (n & 0xff00) | n >> 16) >>> 0;
}

// The frames the canvas shows for a start pfn and a zoom.
function windowOf(start, scale, maxPfn) {
  const framesPerRow = WIDTH / scale;
  const from = Math.min(start, maxPfn);
  const rows = Math.min(Math.ceil((maxPfn - from) / framesPerRow), Math.floor(MAX_HEIGHT / scale));
  return { start: from, scale, framesPerRow, rows,
           count: Math.min(rows * framesPerRow, maxPfn - from) };
}

// One 32-bit pixel per frame through a lookup table; a zoomed row is drawn
// once and copied down (millions of frames: no call per pixel).
function drawFrames(canvas, win, bytes, palette) {
  const height = Math.max(win.rows * win.scale, 1);
  if (canvas.width !== WIDTH)
    canvas.width = WIDTH;
  if (canvas.height !== height)
    canvas.height = height;
  const ctx = canvas.getContext('2d');
  const img = ctx.createImageData(WIDTH, height);
  const px = new Uint32Array(img.data.buffer);
  const lut = Uint32Array.from(palette);
  const { scale, framesPerRow } = win;
  const n = bytes.length;
  if (scale === 1) {
    for (let i = 0; i < n; i++)
      px[i] = lut[bytes[i]];
  } else {
    for (let first = 0, base = 0; first < n; first += framesPerRow, base += scale * WIDTH) {
      const end = Math.min(first + framesPerRow, n);
      for (let i = first, x = base; i < end; i++, x += scale) {
        const c = lut[bytes[i]];
        for (let k = 0; k < scale; k++)
          px[x + k] = c;
      }
      for (let dy = 1; dy < scale; dy++)
        px.copyWithin(base + dy * WIDTH, base, base + WIDTH);
    }
  }
  ctx.putImageData(img, 0, 0);
}

// The row segments, in canvas pixels, of frames [pfn, pfn + count) in @win.
function segments(win, pfn, count) {
  const first = Math.max(pfn, win.start) - win.start;
  const last = Math.min(pfn + count, win.start + win.count) - win.start - 1;
  const out = [];
  for (let i = first; i <= last; i = (Math.floor(i / win.framesPerRow) + 1) * win.framesPerRow) {
    const rowEnd = Math.min(last, (Math.floor(i / win.framesPerRow) + 1) * win.framesPerRow - 1);
    const x = (i % win.framesPerRow) * win.scale, y = Math.floor(i / win.framesPerRow) * win.scale;
    out.push({ x, y, w: (rowEnd - i + 1) * win.scale, h: win.scale });
  }
  return out;
}

// The contiguous block @range; returns the top of its outline, or null.
function drawBlock(ctx, win, range) {
  const segs = range ? segments(win, range.pfn, range.count) : [];
  if (!segs.length)
    return null;
  ctx.fillStyle = HIGHLIGHT_FILL;
  for (const s of segs)
    ctx.fillRect(s.x, s.y, s.w, s.h);
  const x0 = Math.min(...segs.map((s) => s.x)), x1 = Math.max(...segs.map((s) => s.x + s.w));
  const y0 = segs[0].y, y1 = segs[segs.length - 1].y + win.scale;
  ctx.strokeStyle = HIGHLIGHT_LINE;
  ctx.lineWidth = 2;
  ctx.strokeRect(x0 - 3, y0 - 3, x1 - x0 + 6, y1 - y0 + 6);
  return y0;
}

// Each frame of @pfns in the window, boxed so a single pixel shows; returns
// the frames drawn and the top of the first.
function drawScattered(ctx, win, pfns) {
  let drawn = 0, top = null;
  ctx.fillStyle = FRAMES_FILL;
  ctx.strokeStyle = FRAMES_LINE;
  ctx.lineWidth = 1;
  for (const pfn of pfns || []) {
    const [seg] = segments(win, pfn, 1);
    if (!seg)
      continue;
    ctx.fillRect(seg.x, seg.y, seg.w, seg.h);
    ctx.strokeRect(seg.x - 2.5, seg.y - 2.5, seg.w + 5, seg.h + 5);
    top ??= seg.y;
    drawn++;
  }
  return { drawn, top };
}

function drawHighlight(overlay, win, marks) {
  const height = Math.max(win.rows * win.scale, 1);
  const ctx = overlay.getContext('2d');
  if (overlay.width !== WIDTH || overlay.height !== height) {
    overlay.width = WIDTH;	/* a resize clears it too */
    overlay.height = height;
  } else {
    ctx.clearRect(0, 0, WIDTH, height);
  }
  const frames = drawScattered(ctx, win, marks.frames);
  const y = drawBlock(ctx, win, marks.block);
  return { y: y ?? frames.top, frames: frames.drawn, block: y !== null };
}

function pageRows(page) {
  const rows = [];
  for (const [k, v] of Object.entries(page)) {
    if (v !== null && typeof v === 'object') {
      for (const [k2, v2] of Object.entries(v))
        rows.push([`${k}.${k2}`, v2]);
    } else {
      rows.push([k, v === null ? '-' : v]);
    }
  }
  return rows.map(([k, v]) => el('tr', { dataset: { field: k } }, el('th', {}, k),
                                   el('td', {}, typeof v === 'number' && /pfn|head|flags_value|kpageflags_value/.test(k)
                                     ? `${v} (${hex(v)})` : String(v))));
}

export function createPhysmap() {
  const canvas = document.getElementById('physmap-canvas');
  const overlay = document.getElementById('physmap-overlay');
  const scroller = canvas.closest('.physmap-scroll');
  const scaleInput = document.getElementById('physmap-scale');
  const startInput = document.getElementById('physmap-start');
  const hover = document.getElementById('physmap-hover');
  const legendBox = document.getElementById('physmap-legend');
  const panel = document.getElementById('physmap-page');
  const hlForm = document.getElementById('physmap-highlight');
  let shown = null;	// { key, win, bytes, legend } of the drawing on the canvas
  let range = null;	// { pfn, count }: the contiguous block highlighted
  let frames = null;	// [pfn, ...]: the scattered frames highlighted
  let reveal = false;	// scroll the highlight into view at the next drawing
  let last = null;	// { s, fresh } of the last refresh, for the controls

  function reset() {
    shown = null;
    range = null;
    frames = null;
    panel.replaceChildren(el('p', {}, 'Click a frame to see its struct page.'));
    hover.textContent = '';
  }

  function showLegend(legend, bytes) {
    const counts = new Uint32Array(256);
    for (let i = 0; i < bytes.length; i++)
      counts[bytes[i]]++;
    legendBox.replaceChildren(...legend.codes.map((c) =>
      el('span', { className: 'swatch', dataset: { owner: c.name } },
         el('i', { style: `background:${c.color}` }), `${c.name} ${counts[c.code]}`)));
  }

  function paintHighlight() {
    const { y, frames: drawn, block } = drawHighlight(overlay, shown.win, { block: range, frames });
    canvas.dataset.highlight = block ? `${range.pfn}+${range.count}` : '';
    canvas.dataset.frames = String(drawn);
    if (reveal && y !== null && !scroller.closest('[hidden]')) {
      scroller.scrollTop = Math.max(0, y - scroller.clientHeight / 2);
      reveal = false;
    }
  }

  // The window to show: the user's start, moved back when a highlight to
  // reveal lies outside it.
  function wantedWindow(maxPfn) {
    const scale = Number(scaleInput.value);
    let start = parseNumber(startInput.value) || 0;
    let win = windowOf(start, scale, maxPfn);
    const first = range ? range.pfn : frames?.length ? Math.min(...frames) : null;
    if (reveal && first !== null && (first < win.start || first >= win.start + win.count)) {
      start = Math.max(0, first - (first % win.framesPerRow) - 4 * win.framesPerRow);
      startInput.value = hex(start);
      win = windowOf(start, scale, maxPfn);
    }
    return win;
  }

  async function refresh(s, fresh) {
    last = { s, fresh };
    const legend = await s.legend();
    const win = wantedWindow(legend.max_pfn);
    const key = `${s.id}:${legend.seq}:${win.start}:${win.scale}`;
    if (!fresh())
      return;
    if (shown && shown.key === key) {
      paintHighlight();
      return;
    }
    const bytes = await s.physmap(win.start, win.count);
    if (!fresh())
      return;
    drawFrames(canvas, win, bytes, legend.codes.map((c) => pixel(c.color)));
    shown = { key, win, bytes, legend };
    paintHighlight();
    showLegend(legend, bytes);
    Object.assign(canvas.dataset, { start: win.start, scale: win.scale, framesPerRow: win.framesPerRow,
                                    count: win.count, maxPfn: legend.max_pfn, seq: legend.seq, ready: 'true' });
  }

  // The pfn under a mouse event, or -1 outside the frames shown.
  function pfnAt(ev) {
    if (!shown)
      return -1;
    const r = canvas.getBoundingClientRect();
    const x = Math.floor((ev.clientX - r.left) * canvas.width / r.width / shown.win.scale);
    const y = Math.floor((ev.clientY - r.top) * canvas.height / r.height / shown.win.scale);
    const i = y * shown.win.framesPerRow + x;
    return x >= 0 && x < shown.win.framesPerRow && i >= 0 && i < shown.win.count ? shown.win.start + i : -1;
  }

  function onHover(ev) {
    const pfn = pfnAt(ev);
    if (pfn < 0) {
      hover.textContent = '';
      return;
    }
    const owner = shown.legend.codes[shown.bytes[pfn - shown.win.start]].name;
    hover.textContent = `pfn ${hex(pfn)} (${pfn}), physical ${hex(pfn * PAGE_SIZE)}: ${owner}`;
    hover.dataset.pfn = String(pfn);
  }

  async function onClick(ev) {
    const pfn = pfnAt(ev);
    if (pfn < 0 || !last)
      return;
    panel.replaceChildren(el('h3', {}, `struct page of pfn ${hex(pfn)}`));
    try {
      const page = await last.s.page(pfn);
      panel.append(el('table', { dataset: { pfn: String(pfn) } }, ...pageRows(page)),
                   pageNote(page));
    } catch (e) {
      panel.append(el('p', { className: 'error' }, e.message));
    }
  }

  // Outline frames [pfn, pfn + count) on the map and bring them into view.
  function highlight(pfn, count) {
    range = { pfn, count };
    reveal = true;
    document.getElementById('physmap-hl-pfn').value = hex(pfn);
    document.getElementById('physmap-hl-count').value = String(count);
    if (shown)
      paintHighlight();
  }

  // Mark the scattered frames @pfns (null: none) and bring them into view.
  function highlightFrames(pfns) {
    frames = pfns;
    reveal = Boolean(pfns);
    if (shown)
      paintHighlight();
  }

  function redraw() {
    shown = null;
    if (last)
      refresh(last.s, last.fresh).catch((e) => { hover.textContent = e.message; });
  }

  canvas.addEventListener('mousemove', onHover);
  canvas.addEventListener('mouseleave', () => { hover.textContent = ''; });
  canvas.addEventListener('click', onClick);
  scaleInput.addEventListener('change', redraw);
  startInput.addEventListener('change', redraw);
  document.getElementById('physmap-controls').addEventListener('submit', (ev) => {
    ev.preventDefault();
    redraw();
  });
  hlForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const pfn = parseNumber(hlForm.elements.pfn.value), count = parseNumber(hlForm.elements.count.value);
    if (Number.isInteger(pfn) && Number.isInteger(count) && count > 0)
      highlight(pfn, count);
    redraw();
  });
  hlForm.addEventListener('reset', () => {
    range = null;
    frames = null;
    if (shown)
      paintHighlight();
  });
  reset();
  return { refresh, reset, highlight, highlightFrames };
}
