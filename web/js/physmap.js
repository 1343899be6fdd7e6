// physmap.js - the physical memory map: every frame one square of pixels on a
// canvas, coloured by owner from the daemon's physmap bytes (ImageData, so
// millions of frames draw at once), as many frames a row as the page's width
// holds at the zoom; a ruler names the pfn and physical address of the rows
// and the offsets of the columns, lines mark where each zone starts and the
// holes. Hover names a frame; a click, or the arrow keys and Enter, show its
// struct page. Two highlights are drawn on an overlay canvas, so the map's
// own pixels stay true: a contiguous block (an alloc_pages or kmalloc
// buffer) in magenta, and a list of scattered frames (a vmalloc area's
// pages) in cyan, so the two kinds of buffer can be told apart at a glance.
// Compaction, up to the timeline's seq, is drawn there too: its scanners,
// the pages it moved and the block it freed (physmap-compaction.js).
import { el, hex, parseNumber, PAGE_SIZE } from './format.js';
import * as url from './url.js';
import { SCALES, MAX_HEIGHT, fitRow, windowOf, inWindow, framePos, drawFrames, drawOverlay,
         boundaries, rulerRows, rulerCols, pixel } from './physmap-draw.js';
import { pageNote } from './structpage.js';
import { compactionAt, compactionPanel } from './physmap-compaction.js';

const ROW_GAP = 40;	// least pixels between two labels of the pfn ruler
const COL_GAP = 64;	// and of the column ruler
const LABEL_HEIGHT = 15;	// pixels a boundary label takes

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
                                   el('td', {}, typeof v === 'number' && /pfn|head|flags_value|kpageflags_value|^lru\.(prev|next)$/.test(k)
                                     ? `${v} (${hex(v)})` : String(v))));
}

// The pfn ruler (left) and the column ruler (top) of window @win.
function drawRulers(rowsBox, colsBox, win) {
  rowsBox.style.height = `${win.rows * win.scale}px`;
  rowsBox.replaceChildren(...rulerRows(win, ROW_GAP).map((r) =>
    el('span', { className: 'tick', style: `top:${r.y}px`, dataset: { row: r.row, pfn: r.pfn } },
       el('b', {}, r.pfnText), el('br'), r.addrText)));
  colsBox.style.width = `${win.width}px`;
  colsBox.replaceChildren(...rulerCols(win, COL_GAP).map((c) =>
    el('span', { className: 'tick', style: `left:${c.x}px`, dataset: { col: c.col } }, c.text)));
}

// The labels of the boundaries, at the right end of their rows, pushed down
// when two would overlap.
function drawLabels(box, win, marks) {
  let below = -Infinity;
  box.replaceChildren(...marks.map((b) => {
    const { row, col, y } = framePos(win, b.pfn);
    const top = Math.max(y, below);
    below = top + LABEL_HEIGHT;
    return el('span', { className: `mark ${b.kind}`, style: `top:${top}px`,
                        dataset: { kind: b.kind, name: b.name, pfn: b.pfn, row, col } },
              `${b.text} (pfn ${hex(b.pfn)})`);
  }));
}

export function createPhysmap() {
  const canvas = document.getElementById('physmap-canvas');
  const overlay = document.getElementById('physmap-overlay');
  const scroller = canvas.closest('.physmap-scroll');
  const rowsBox = document.getElementById('physmap-rows');
  const colsBox = document.getElementById('physmap-cols');
  const marksBox = document.getElementById('physmap-marks');
  const scaleInput = document.getElementById('physmap-scale');
  const startInput = document.getElementById('physmap-start');
  const hover = document.getElementById('physmap-hover');
  const legendBox = document.getElementById('physmap-legend');
  const panel = document.getElementById('physmap-page');
  const hlForm = document.getElementById('physmap-highlight');
  const compactionBox = document.getElementById('physmap-compaction');
  let shown = null;	// { key, win, bytes, legend, marks } of the drawing on the canvas
  let range = null;	// { pfn, count }: the contiguous block highlighted
  let frames = null;	// [pfn, ...]: the scattered frames highlighted
  let cursor = null;	// the frame cursor's pfn
  let reveal = false;	// scroll the highlight into view at the next drawing
  let anchor = null;	// { pfn, offset }: keep frame pfn @offset pixels below the map's visible top (null: the middle)
  let opening = null;	// the pfn whose struct page the next drawing opens (selectPfn() before one)
  let last = null;	// { s, fresh } of the last refresh, for the controls
  let width = 1024;	// the map's pixels a row, as last measured
  let opened = null;	// the pfn whose struct page the panel shows (the URL's pfn)

  function reset() {
    shown = null;
    range = null;
    frames = null;
    cursor = null;
    anchor = null;
    opening = null;
    opened = null;
    panel.replaceChildren(el('p', {}, 'Click a frame, or move the cursor with the arrow keys and press ' +
                                      'Enter, to see its struct page.'));
    hover.textContent = '';
  }

  // The pixels a row may take: the scroll box less the pfn ruler (the last
  // width when the view is hidden).
  function mapWidth() {
    const w = scroller.clientWidth - rowsBox.offsetWidth;
    if (w > 0)
      width = w;
    return width;
  }

  // The map's pixels hidden under the sticky column ruler, and those visible.
  const rulerHeight = () => colsBox.offsetHeight;
  const viewHeight = () => Math.max(scroller.clientHeight - rulerHeight(), 1);

  function showLegend(legend, bytes) {
    const counts = new Uint32Array(256);
    for (let i = 0; i < bytes.length; i++)
      counts[bytes[i]]++;
    legendBox.replaceChildren(...legend.codes.map((c) =>
      el('span', { className: 'swatch', dataset: { owner: c.name } },
         el('i', { style: `background:${c.color}` }), `${c.name} ${counts[c.code]}`)));
  }

  function paintOverlay() {
    const { y, frames: drawn, block, moves } = drawOverlay(overlay, shown.win,
      { block: range, frames, cursor, boundaries: shown.marks, compaction: shown.compaction });
    canvas.dataset.moves = String(moves);
    canvas.dataset.highlight = block ? `${range.pfn}+${range.count}` : '';
    canvas.dataset.frames = String(drawn);
    canvas.dataset.cursor = cursor === null ? '' : String(cursor);
    if (reveal && y !== null && !scroller.closest('[hidden]')) {
      scroller.scrollTop = Math.max(0, y - viewHeight() / 2);
      reveal = false;
    }
  }

  // A start for a window that holds @pfn: its row, with room above it.
  function startFor(pfn, fpr, scale) {
    const back = Math.min(Math.floor(MAX_HEIGHT / scale / 2), Math.ceil(viewHeight() / scale) + 4);
    return Math.max(0, pfn - pfn % fpr - back * fpr);
  }

  // Whether window @win shows anchor @a where it wants it: the anchor in it,
  // with room to scroll it @a.offset pixels below the visible top.
  function holds(win, a, maxPfn) {
    if (!inWindow(win, a.pfn))
      return false;
    const { y } = framePos(win, a.pfn), offset = a.offset ?? viewHeight() / 2;
    return (win.start === 0 || y >= offset) &&
      (win.start + win.count >= maxPfn || y - offset + viewHeight() <= win.rows * win.scale);
  }

  // The window to show: the user's start, moved when a frame to keep (the
  // zoom's anchor, a highlight to reveal) lies outside it; pfn 0 when the
  // window from it holds the frame.
  function wantedWindow(maxPfn) {
    const scale = Number(scaleInput.value);
    const fpr = fitRow(mapWidth(), scale);
    const at = (start) => windowOf(start, scale, fpr, maxPfn);
    let win = at(parseNumber(startInput.value) || 0);
    const first = range ? range.pfn : frames?.length ? Math.min(...frames) : null;
    const keep = anchor ?? (reveal && first !== null ? { pfn: first, offset: viewHeight() / 2 } : null);
    if (keep && keep.pfn < maxPfn && !holds(win, keep, maxPfn)) {
      win = holds(at(0), keep, maxPfn) ? at(0) : at(startFor(keep.pfn, fpr, scale));
      startInput.value = hex(win.start);
    }
    return win;
  }

  // Scroll so that the zoom's anchor frame is where it was on the screen.
  function keepAnchor() {
    if (!anchor || !inWindow(shown.win, anchor.pfn))
      return;
    const { y } = framePos(shown.win, anchor.pfn);
    scroller.scrollTop = Math.max(0, y + shown.win.scale / 2 - (anchor.offset ?? viewHeight() / 2));
    anchor = null;
  }

  async function refresh(s, fresh) {
    last = { s, fresh };
    const wanted = parseNumber(url.get('pfn') ?? '');
    if (Number.isInteger(wanted) && wanted !== opened)
      selectPfn(wanted);
    const legend = await s.legend();
    const win = wantedWindow(legend.max_pfn);
    const key = `${s.id}:${legend.seq}:${win.start}:${win.scale}:${win.framesPerRow}`;
    if (!fresh())
      return;
    if (shown && shown.key === key) {
      paintOverlay();
      keepAnchor();
      return;
    }
    // The frames are drawn even when the zones cannot be had (then unmarked).
    const [bytes, zones, compaction] = await Promise.all([s.physmap(win.start, win.count),
                                                          s.zones().catch(() => ({ zones: [] })),
                                                          compactionAt(s)]);
    if (!fresh())
      return;
    drawFrames(canvas, win, bytes, legend.codes.map((c) => pixel(c.color)));
    const hole = legend.codes.find((c) => c.name === 'hole')?.code;
    const marks = boundaries(win, zones.zones, bytes, hole);
    if (compaction)	// the scanners' labels, among the boundaries'
      for (const [kind, pfn, what] of [['migrate-scanner', compaction.migrate_pfn, 'migrate scanner'],
                                       ['free-scanner', compaction.free_pfn, 'free scanner']])
        if (inWindow(win, pfn))
          marks.push({ kind, name: what, pfn, text: what });
    marks.sort((a, b) => a.pfn - b.pfn);
    shown = { key, win, bytes, legend, marks, compaction };
    await compactionPanel(compactionBox, s, compaction, (pfn) => moveCursor(pfn),
                          (pfn) => zoom(4, pfn, viewHeight() / 2));
    if (!fresh())
      return;
    drawRulers(rowsBox, colsBox, win);
    drawLabels(marksBox, win, shown.marks);
    paintOverlay();
    keepAnchor();
    // the session and seq the compaction panel and overlay now show
    Object.assign(compactionBox.dataset, { session: String(s.id), at: s.at === null ? 'now' : String(s.at) });
    if (opening !== null) {
      openPage(opening);
      opening = null;
    }
    showLegend(legend, bytes);
    Object.assign(canvas.dataset, { start: win.start, scale: win.scale, framesPerRow: win.framesPerRow,
                                    rows: win.rows, count: win.count, maxPfn: legend.max_pfn, seq: legend.seq,
                                    ready: 'true' });
  }

  // The pfn at viewport point (@x, @y), or -1 outside the frames shown.
  function pfnAtPoint(x, y) {
    if (!shown)
      return -1;
    const r = canvas.getBoundingClientRect();
    const col = Math.floor((x - r.left) / shown.win.scale);
    const row = Math.floor((y - r.top) / shown.win.scale);
    const i = row * shown.win.framesPerRow + col;
    return col >= 0 && col < shown.win.framesPerRow && i >= 0 && i < shown.win.count ? shown.win.start + i : -1;
  }

  const pfnAt = (ev) => pfnAtPoint(ev.clientX, ev.clientY);

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

  // The struct page of @pfn in the panel.
  async function openPage(pfn) {
    if (!last)
      return;
    opened = pfn;
    if (url.get('view') === 'physmap')
      url.set({ pfn: hex(pfn) });
    panel.replaceChildren(el('h3', {}, `struct page of pfn ${hex(pfn)}`));
    try {
      const page = await last.s.page(pfn);
      if (cursor === pfn)
        panel.append(el('table', { dataset: { pfn: String(pfn) } },
                        ...pageRows(page.trace ? Object.fromEntries(Object.entries(page).filter(([k]) => k !== 'note')) : page)),
                     page.trace ? el('p', { className: 'summary' }, page.note) : pageNote(page));
    } catch (e) {
      panel.append(el('p', { className: 'error' }, e.message));
    }
    // Below the map (a narrow page) and off the screen: brought into view.
    const top = panel.getBoundingClientRect().top;
    if (top >= scroller.getBoundingClientRect().bottom && top > window.innerHeight)
      panel.scrollIntoView({ block: 'nearest' });
  }

  // Move the cursor to @pfn and scroll its row into view; a pfn outside the
  // window moves the window.
  function moveCursor(pfn) {
    cursor = pfn;
    if (!shown)
      return;
    if (!inWindow(shown.win, pfn)) {
      anchor = { pfn, offset: viewHeight() / 2 };
      redraw();
      return;
    }
    paintOverlay();
    const { y } = framePos(shown.win, pfn), s = shown.win.scale;
    if (y < scroller.scrollTop)
      scroller.scrollTop = Math.max(0, y - s);
    else if (y + s > scroller.scrollTop + viewHeight())
      scroller.scrollTop = y + 2 * s - viewHeight();
  }

  // The frame in the middle of the map's visible part.
  function centrePfn() {
    const { win } = shown;
    const row = Math.min(Math.floor((scroller.scrollTop + viewHeight() / 2) / win.scale), win.rows - 1);
    return Math.min(win.start + row * win.framesPerRow + (win.framesPerRow >> 1), win.start + win.count - 1);
  }

  // Zoom to @scale, keeping frame @pfn @offset pixels below the visible top.
  function zoom(scale, pfn, offset) {
    scaleInput.value = String(scale);
    anchor = { pfn, offset };
    redraw();
  }

  // The select changed the zoom: keep the cursor, if on screen, else the
  // centre (a start pfn typed since the last drawing wins).
  function onScaleChange() {
    if (!shown || parseNumber(startInput.value) !== shown.win.start)
      return redraw();
    const { win } = shown;
    let pfn = centrePfn(), offset = viewHeight() / 2;
    if (cursor !== null && inWindow(win, cursor)) {
      const at = framePos(win, cursor).y + win.scale / 2 - scroller.scrollTop;
      if (at >= 0 && at <= viewHeight())
        [pfn, offset] = [cursor, at];
    }
    zoom(Number(scaleInput.value), pfn, offset);
  }

  // Ctrl + wheel zooms in or out by one step about the frame under the mouse.
  function onWheel(ev) {
    if (!ev.ctrlKey || !shown)
      return;
    ev.preventDefault();
    const pfn = pfnAt(ev);
    const i = SCALES.indexOf(shown.win.scale) + (ev.deltaY < 0 ? 1 : -1);
    if (pfn < 0 || i < 0 || i >= SCALES.length)
      return;
    zoom(SCALES[i], pfn, ev.clientY - canvas.getBoundingClientRect().top - scroller.scrollTop);
  }

  function onKey(ev) {
    if (!shown)
      return;
    const fpr = shown.win.framesPerRow, max = shown.legend.max_pfn;
    const step = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -fpr, ArrowDown: fpr }[ev.key];
    if (ev.key === 'Enter' && cursor !== null) {
      ev.preventDefault();
      openPage(cursor);
    } else if (step !== undefined) {
      ev.preventDefault();
      const from = cursor ?? shown.win.start + Math.floor(scroller.scrollTop / shown.win.scale) * fpr;
      const to = cursor === null ? from : from + step;
      if (to >= 0 && to < max)
        moveCursor(to);
    }
  }

  function onClick(ev) {
    const pfn = pfnAt(ev);
    if (pfn < 0)
      return;
    moveCursor(pfn);
    openPage(pfn);
  }

  // Outline frames [pfn, pfn + count) on the map and bring them into view.
  function highlight(pfn, count) {
    range = { pfn, count };
    reveal = true;
    document.getElementById('physmap-hl-pfn').value = hex(pfn);
    document.getElementById('physmap-hl-count').value = String(count);
    if (shown)
      paintOverlay();
  }

  // Mark the scattered frames @pfns (null: none) and bring them into view.
  function highlightFrames(pfns) {
    frames = pfns;
    reveal = Boolean(pfns);
    if (shown)
      paintOverlay();
  }

  function redraw() {
    shown = shown && { ...shown, key: null };
    if (last)
      refresh(last.s, last.fresh).catch((e) => { hover.textContent = e.message; });
  }

  // Select frame @pfn, as a click would: the cursor on it, in view, its
  // struct page in the panel. For a deep link.
  function selectPfn(pfn) {
    if (!shown || !last) {	// before the first drawing: it will show and open it
      cursor = opening = pfn;
      anchor = { pfn, offset: null };	// the middle, measured once shown
      return;
    }
    moveCursor(pfn);
    openPage(pfn);
  }

  // The frame cursor's pfn, or null.
  const currentPfn = () => cursor;

  // A new width of the page: as many frames a row as now fit, the centre kept.
  new ResizeObserver(() => {
    if (!shown || scroller.closest('[hidden]') || fitRow(mapWidth(), shown.win.scale) === shown.win.framesPerRow)
      return;
    anchor = { pfn: centrePfn(), offset: viewHeight() / 2 };
    redraw();
  }).observe(scroller);
  canvas.addEventListener('mousemove', onHover);
  canvas.addEventListener('mouseleave', () => { hover.textContent = ''; });
  canvas.addEventListener('click', onClick);
  canvas.addEventListener('keydown', onKey);
  canvas.addEventListener('wheel', onWheel, { passive: false });
  scaleInput.addEventListener('change', onScaleChange);
  startInput.addEventListener('change', () => {
    const pfn = parseNumber(startInput.value);
    anchor = Number.isInteger(pfn) && pfn >= 0 ? { pfn, offset: Number(scaleInput.value) / 2 } : null;
    redraw();
  });
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
      paintOverlay();
  });
  reset();
  return { refresh, reset, highlight, highlightFrames, selectPfn, currentPfn };
}
