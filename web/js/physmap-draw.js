// physmap-draw.js - the geometry and the pixels of the physical map: how many
// frames a row holds for the width the page gives it, which frames a window
// of the canvas shows, the frames themselves (ImageData), and what the
// overlay draws over them: the highlights, the frame cursor, the zone and
// hole boundaries, and compaction's scanners, moves and block. The zone limits are those arch/x86/mm/init.c
// zone_sizes_init() hands to free_area_init(): MAX_DMA_PFN (16 MiB) for
// ZONE_DMA, MAX_DMA32_PFN (4 GiB) for ZONE_DMA32, ZONE_NORMAL above; the
// holes are the e820 gaps, frames without a struct page. The daemon says
// where each zone starts (GET .../zones): the map draws what it says.
import { hex, PAGE_SIZE } from './format.js';

export const MAX_HEIGHT = 16384;	// canvas pixels; beyond it the map shows a window from start
export const SCALES = [1, 2, 4, 8, 16];	// pixels per frame the zoom steps through
export const BOUNDARY_LINE = '#ff4d00';	// a zone's first frame
export const HOLE_LINE = '#5a189a';	// the edges of a hole
const HIGHLIGHT_FILL = 'rgba(255, 0, 255, 0.35)';
const HIGHLIGHT_LINE = '#ff00ff';
const FRAMES_FILL = 'rgba(0, 180, 216, 0.6)';
const FRAMES_LINE = '#0077b6';
const MIN_HOLE = 64;		// frames: shorter runs of the hole colour are not labelled

// "#rrggbb" as a pixel of a little-endian Uint32Array view of ImageData.
export function pixel(colour) {
  const n = parseInt(colour.slice(1), 16);
  return (0xff << 24 | (n & 0xff) << 16 | (n & 0xff00) | n >> 16) >>> 0;
}

// Frames per row for @width pixels at @scale pixels a frame: as many as fit,
// rounded down to a multiple of 32 pixels (of 32 / scale frames), so row
// starts stay round numbers.
export function fitRow(width, scale) {
  const step = Math.max(1, 32 / scale);
  const fit = Math.floor(width / scale);
  return Math.max(step, fit - fit % step);
}

// The frames the canvas shows from @start at @scale, @framesPerRow a row.
export function windowOf(start, scale, framesPerRow, maxPfn) {
  const from = Math.max(0, Math.min(start, maxPfn - 1));
  const rows = Math.min(Math.ceil((maxPfn - from) / framesPerRow), Math.floor(MAX_HEIGHT / scale));
  return { start: from, scale, framesPerRow, rows, width: framesPerRow * scale,
           count: Math.min(rows * framesPerRow, maxPfn - from) };
}

export const inWindow = (win, pfn) => pfn >= win.start && pfn < win.start + win.count;

// The canvas pixel of frame @pfn's top left corner, with its row and column.
export function framePos(win, pfn) {
  const i = pfn - win.start, row = Math.floor(i / win.framesPerRow), col = i % win.framesPerRow;
  return { row, col, x: col * win.scale, y: row * win.scale };
}

// "16 MiB", "4 GiB", "3.5 GiB" for a byte count (4 KiB and up).
export function size(bytes) {
  for (const [unit, n] of [['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 2 ** 10]]) {
    if (bytes >= n && (bytes % n === 0 || bytes / n >= 10 || unit === 'KiB'))
      return `${Number((bytes / n).toFixed(1))} ${unit}`;
  }
  return `${bytes} B`;
}

// One 32-bit pixel per frame through a lookup table; a zoomed row is drawn
// once and copied down (millions of frames: no call per pixel).
export function drawFrames(canvas, win, bytes, palette) {
  const width = win.width, height = Math.max(win.rows * win.scale, 1);
  if (canvas.width !== width)
    canvas.width = width;
  if (canvas.height !== height)
    canvas.height = height;
  const ctx = canvas.getContext('2d');
  const img = ctx.createImageData(width, height);
  const px = new Uint32Array(img.data.buffer);
  const lut = Uint32Array.from(palette);
  const { scale, framesPerRow } = win;
  const n = bytes.length;
  for (let first = 0, base = 0; first < n; first += framesPerRow, base += scale * width) {
    const end = Math.min(first + framesPerRow, n);
    for (let i = first, x = base; i < end; i++, x += scale) {
      const c = lut[bytes[i]];
      for (let k = 0; k < scale; k++)
        px[x + k] = c;
    }
    for (let dy = 1; dy < scale; dy++)
      px.copyWithin(base + dy * width, base, base + width);
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

// The boundary before frame @pfn, which follows the grid: under the frames
// left of it in its row, up its left edge, over the rest of its row.
function drawBoundary(ctx, win, pfn) {
  const { x, y } = framePos(win, pfn);
  const s = win.scale;
  ctx.beginPath();
  if (x > 0) {
    ctx.moveTo(0, y + s);
    ctx.lineTo(x, y + s);
  } else {
    ctx.moveTo(x, y + s);
  }
  ctx.lineTo(x, y);
  ctx.lineTo(win.width, y);
  ctx.stroke();
}

// The frame cursor: a dark box with a light rim around frame @pfn.
function drawCursor(ctx, win, pfn) {
  if (pfn === null || !inWindow(win, pfn))
    return;
  const { x, y } = framePos(win, pfn), s = win.scale;
  ctx.lineWidth = 3;
  ctx.strokeStyle = '#000';
  ctx.strokeRect(x - 2.5, y - 2.5, s + 5, s + 5);
  ctx.lineWidth = 1;
  ctx.strokeStyle = '#fff';
  ctx.strokeRect(x - 4.5, y - 4.5, s + 9, s + 9);
}

// The zone starts and hole edges in @win: [{ kind, pfn, text }], from the
// zones of GET .../zones and the runs of the hole code in the window's bytes.
export function boundaries(win, zones, bytes, holeCode) {
  const out = [];
  const nodes = new Set(zones.map((z) => z.node)).size;
  for (const z of zones) {
    if (z.spanned > 0 && inWindow(win, z.start_pfn))
      out.push({ kind: 'zone', name: z.name, node: z.node, pfn: z.start_pfn,
                 text: `${nodes > 1 ? `node ${z.node} ` : ''}${z.name} from ${size(z.start_pfn * PAGE_SIZE)}` });
  }
  for (let i = bytes.indexOf(holeCode), j = i; i >= 0; i = bytes.indexOf(holeCode, j)) {
    j = i + 1;
    while (j < bytes.length && bytes[j] === holeCode)
      j++;
    if (j - i >= MIN_HOLE) {
      const from = win.start + i, to = win.start + j;
      out.push({ kind: 'hole', name: 'hole', pfn: from,
                 text: `hole ${size(from * PAGE_SIZE)} to ${size(to * PAGE_SIZE)}, no struct page` });
      if (to < win.start + win.count && !zones.some((z) => z.spanned > 0 && z.start_pfn === to))
        out.push({ kind: 'hole-end', name: 'hole', pfn: to, text: `memory again from ${size(to * PAGE_SIZE)}` });
    }
  }
  return out.sort((a, b) => a.pfn - b.pfn);
}

// Compaction (physmap-compaction.js): the scanners' last ranges shaded,
// each scanner's position a thick line before its frame, a dot on each
// moved page's new frame and, for some of the last batch, an arrow from the
// old frame's centre to the new one's, the block the request got outlined
// in gold. Returns the arrows drawn (both ends in the window).
export const MAX_ARROWS = 16;
export const MIGRATE_LINE = '#e76f51', FREE_LINE = '#2a9d8f', MOVE_LINE = '#7209b7', BLOCK_LINE = '#e9c46a';

function drawCompaction(ctx, win, c) {
  const centre = (pfn) => {
    const { x, y } = framePos(win, pfn);
    return [x + win.scale / 2, y + win.scale / 2];
  };
  for (const [r, fill] of [[c.migrateRange, 'rgba(231, 111, 81, 0.35)'], [c.freeRange, 'rgba(42, 157, 143, 0.35)']]) {
    if (!r)
      continue;
    ctx.fillStyle = fill;
    for (const sg of segments(win, r.from, r.to - r.from))
      ctx.fillRect(sg.x, sg.y, sg.w, sg.h);
  }
  ctx.lineWidth = 4;
  for (const [pfn, colour] of [[c.migrate_pfn, MIGRATE_LINE], [c.free_pfn, FREE_LINE]]) {
    if (!inWindow(win, pfn))
      continue;
    ctx.strokeStyle = colour;
    drawBoundary(ctx, win, pfn);
  }
  let moves = 0;
  // a dot on each moved page's new frame; arrows for at most MAX_ARROWS of
  // the last batch, evenly spread over it (more would hide the map)
  const recent = c.moves.length - Math.min(c.moves.length, c.batch ?? 32);
  const last = c.moves.slice(recent), every = Math.max(1, Math.ceil(last.length / MAX_ARROWS));
  ctx.fillStyle = MOVE_LINE;
  for (const m of c.moves) {
    if (!inWindow(win, m.to))
      continue;
    const { x, y } = framePos(win, m.to);
    ctx.fillRect(x, y, win.scale, win.scale);
  }
  ctx.strokeStyle = MOVE_LINE;
  ctx.lineWidth = 1.5;
  ctx.globalAlpha = 0.85;
  for (const m of last.filter((_, i) => i % every === 0)) {
    if (!inWindow(win, m.from) || !inWindow(win, m.to))
      continue;
    const [x0, y0] = centre(m.from), [x1, y1] = centre(m.to);
    ctx.beginPath();
    ctx.moveTo(x0, y0);
    ctx.lineTo(x1, y1);
    ctx.stroke();
    const a = Math.atan2(y1 - y0, x1 - x0), head = Math.max(4, win.scale * 1.5);
    ctx.beginPath();
    ctx.moveTo(x1, y1);
    ctx.lineTo(x1 - head * Math.cos(a - 0.4), y1 - head * Math.sin(a - 0.4));
    ctx.lineTo(x1 - head * Math.cos(a + 0.4), y1 - head * Math.sin(a + 0.4));
    ctx.closePath();
    ctx.fill();
    moves++;
  }
  ctx.globalAlpha = 1;
  if (c.block) {
    const segs = segments(win, c.block.pfn, c.block.count);
    if (segs.length) {
      const x0 = Math.min(...segs.map((sg) => sg.x)), x1 = Math.max(...segs.map((sg) => sg.x + sg.w));
      const y0 = segs[0].y, y1 = segs[segs.length - 1].y + win.scale;
      ctx.strokeStyle = BLOCK_LINE;
      ctx.lineWidth = 3;
      ctx.strokeRect(x0 - 2, y0 - 2, x1 - x0 + 4, y1 - y0 + 4);
    }
  }
  return moves;
}

// The overlay: boundaries, the scattered frames, the block, the cursor.
// Returns the top of the highlight (or null), the scattered frames drawn and
// whether the block is in the window.
export function drawOverlay(overlay, win, marks) {
  const height = Math.max(win.rows * win.scale, 1);
  const ctx = overlay.getContext('2d');
  if (overlay.width !== win.width || overlay.height !== height) {
    overlay.width = win.width;	/* a resize clears it too */
    overlay.height = height;
  } else {
    ctx.clearRect(0, 0, win.width, height);
  }
  ctx.lineWidth = 2;
  for (const b of marks.boundaries) {
    if (b.kind.endsWith('-scanner'))	/* drawn with compaction */
      continue;
    ctx.strokeStyle = b.kind === 'zone' ? BOUNDARY_LINE : HOLE_LINE;
    ctx.setLineDash(b.kind === 'zone' ? [] : [4, 3]);
    drawBoundary(ctx, win, b.pfn);
  }
  ctx.setLineDash([]);
  const moves = marks.compaction ? drawCompaction(ctx, win, marks.compaction) : 0;
  const frames = drawScattered(ctx, win, marks.frames);
  const y = drawBlock(ctx, win, marks.block);
  drawCursor(ctx, win, marks.cursor);
  return { y: y ?? frames.top, frames: frames.drawn, block: y !== null, moves };
}

// Rows of the left ruler: every @step rows, at least @gap pixels apart,
// a step that is a power of two.
export function rulerRows(win, gap) {
  let step = 1;
  while (step * win.scale < gap)
    step *= 2;
  const out = [];
  for (let row = 0; row < win.rows; row += step) {
    const pfn = win.start + row * win.framesPerRow;
    out.push({ row, pfn, y: row * win.scale, pfnText: hex(pfn), addrText: hex(pfn * PAGE_SIZE) });
  }
  return out;
}

// Columns of the top ruler: frame offsets within a row, @gap pixels apart.
export function rulerCols(win, gap) {
  let step = 1;
  while (step * win.scale < gap)
    step *= 2;
  const out = [];
  for (let col = 0; col < win.framesPerRow; col += step)
    out.push({ col, x: col * win.scale, text: `+${hex(col)}` });
  return out;
}
