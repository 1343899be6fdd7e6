// pixels.mjs - what a Chart.js chart has drawn, read back from its canvas
// (getImageData) at the places the API's values fall on its axes: the
// browser tests hold the picture, not the chart library's data arrays, to the
// API. The chart is asked only where its axes put a value (its scales), and
// where each category's bar sits across them.
import assert from 'node:assert/strict';

// The colour a CSS colour text reads as in the browser, as [r, g, b].
export async function rgbOf(page, css) {
  const text = await page.evaluate((c) => {
    const e = document.createElement('i');
    e.style.color = c;
    document.body.append(e);
    const v = getComputedStyle(e).color;
    e.remove();
    return v;
  }, css);
  return text.match(/\d+/g).slice(0, 3).map(Number);
}

export const near = (a, b, tol = 3) => a.every((v, i) => Math.abs(v - b[i]) <= tol);

// The bars of the chart on canvas @sel whose value axis is @axis ('x' for
// horizontal bars, 'y' for upright ones), for @values: { category label:
// [value of dataset 0, value of dataset 1, ...] or { dataset label: value } }
// (a stacked bar's value is where its segment ends: the sum up to it). For each bar, the pixel a
// little inside its end (at the API's value) and a little past it, with the
// dataset's colour.
export function barEnds(page, sel, axis, values) {
  return page.evaluate(({ sel, axis, values }) => {
    const c = document.querySelector(sel);
    const chart = window.Chart.getChart(c);
    const ratio = c.width / c.clientWidth;
    const ctx = c.getContext('2d');
    const px = (x, y) => [...ctx.getImageData(Math.round(x * ratio), Math.round(y * ratio), 1, 1).data.slice(0, 3)];
    const scale = chart.scales[axis], across = axis === 'x' ? 'y' : 'x';
    const out = [];
    for (const [label, list] of Object.entries(values)) {
      const index = chart.data.labels.indexOf(label);
      // by dataset index, or { dataset label: value }; null: not held to anything
      const byIndex = Array.isArray(list) ? list
        : chart.data.datasets.map((d) => (d.label in list ? list[d.label] : null));
      byIndex.forEach((v, ds) => {
        if (v === null)
          return;
        const bar = index < 0 ? null : chart.getDatasetMeta(ds).data[index];
        if (!bar) {
          out.push({ label, ds, value: v, found: false });
          return;
        }
        const mid = bar[across], end = scale.getPixelForValue(v), base = scale.getPixelForValue(0);
        const dir = Math.sign(end - base) || 1;
        const at = (d) => (axis === 'x' ? px(end + d * dir, mid) : px(mid, end + d * dir));
        const bg = chart.data.datasets[ds].backgroundColor;
        out.push({ label, ds, value: v, colour: Array.isArray(bg) ? bg[index] : bg,
                   found: true, long: Math.abs(end - base), inside: at(-2), past: at(3) });
      });
    }
    return out;
  }, { sel, axis, values });
}

// Each bar of barEnds() ends where its value is: its colour just inside,
// not just past. Bars shorter than 4 px are not held to it.
export async function checkBarEnds(page, sel, axis, values) {
  const bars = await barEnds(page, sel, axis, values);
  let checked = 0;
  for (const b of bars) {
    assert.ok(b.found, `${sel}: no bar for ${b.label}`);
    if (b.long < 4)
      continue;
    const rgb = await rgbOf(page, b.colour);
    assert.ok(near(b.inside, rgb), `${sel}: ${b.label} (dataset ${b.ds}) at ${b.value}: ` +
      `${b.inside} just inside the end is not ${rgb}`);
    assert.ok(!near(b.past, rgb), `${sel}: ${b.label} (dataset ${b.ds}) at ${b.value}: ` +
      `the bar goes on past its value (${b.past})`);
    checked++;
  }
  return checked;
}

// Whether the line chart on canvas @sel has drawn each point of @points
// ({ dataset label: [{ x, y }, ...] }, the API's values): a pixel of the
// dataset's colour within 2 px of where its axes put the point.
export function pointsDrawn(page, sel, points) {
  return page.evaluate(({ sel, points }) => {
    const c = document.querySelector(sel);
    const chart = window.Chart.getChart(c);
    const ratio = c.width / c.clientWidth;
    const ctx = c.getContext('2d');
    const out = [];
    for (const [label, list] of Object.entries(points)) {
      const ds = chart.data.datasets.find((d) => d.label === label);
      const probe = document.createElement('i');
      probe.style.color = ds ? ds.borderColor : 'transparent';
      document.body.append(probe);
      const want = getComputedStyle(probe).color.match(/\d+/g).slice(0, 3).map(Number);
      probe.remove();
      for (const p of list) {
        const x = chart.scales.x.getPixelForValue(p.x), y = chart.scales.y.getPixelForValue(p.y);
        const r = Math.round(2 * ratio);
        const box = ctx.getImageData(Math.round(x * ratio) - r, Math.round(y * ratio) - r, 2 * r + 1, 2 * r + 1).data;
        let hit = false;
        for (let i = 0; i < box.length && !hit; i += 4)
          hit = [0, 1, 2].every((k) => Math.abs(box[i + k] - want[k]) <= 24);
        out.push({ label, x: p.x, y: p.y, found: !!ds, hit });
      }
    }
    return out;
  }, { sel, points });
}

// One zone's bar on the overview: the row of pixels through the bar's middle,
// where each value of the x axis lands, and the watermarks' marks to keep away from.
export function overviewRow(page, key) {
  return page.evaluate((key) => {
    const c = document.querySelector(`#overview-zones canvas[data-zone="${key}"]`);
    const chart = window.Chart.getChart(c);
    const ratio = c.width / c.clientWidth;
    const y = Math.round(chart.scales.y.getPixelForValue(0) * ratio);
    const row = [...c.getContext('2d').getImageData(0, y, c.width, 1).data];
    const marks = (chart.$watermarkLabels || []).map((b) => [b.x * ratio, b.x2 * ratio]);
    return { row, ratio, marks, left: chart.chartArea.left, right: chart.chartArea.right };
  }, key);
}

// The overview's bar of zone @z (GET .../zones) as drawn on its canvas: the
// colour at the middle of each owner's stretch (owners in the API's order,
// "hole" left out), for the stretches wide enough to hold a clean pixel away
// from the watermarks' lines and labels. @colours: owner -> [r, g, b].
export async function overviewStretches(page, z, colours) {
  const key = `${z.node}/${z.name}`;
  const bar = await overviewRow(page, key);
  const xOf = (v) => (bar.left + (bar.right - bar.left) * v / z.present) * bar.ratio;
  const wm = Object.values(z.watermarks).map(xOf);
  const out = [];
  let from = 0;
  for (const [owner, pages] of Object.entries(z.owners)) {
    if (owner === 'hole' || !pages)
      continue;
    const x0 = xOf(from), x1 = xOf(from + pages);
    from += pages;
    const x = Math.floor((x0 + x1) / 2);
    if (x1 - x0 < 8 || wm.some((w) => Math.abs(w - x) < 6) || bar.marks.some(([a, b]) => x >= a - 2 && x <= b + 2))
      continue;
    const px = bar.row.slice(4 * x, 4 * x + 3);
    out.push({ owner, pages, x, px, ok: near(px, colours[owner]) });
  }
  return out;
}

// The owners' colours of GET .../physmap/legend as [r, g, b], as the browser reads them.
export async function legendColours(page, legend) {
  const out = {};
  for (const c of legend.codes)
    out[c.name] = await rgbOf(page, c.color);
  return out;
}
