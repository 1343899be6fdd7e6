// pressure.test.mjs - the Memory pressure view, in Debian's chromium against a
// real daemon, at 1280x800 and 800x600: a session that reads a file larger
// than its memory (kswapd's sawtooth) and squeezes anonymous memory into
// swap; the free-pages line is drawn through the API's points, below low
// somewhere and back above high after it, the watermark lines stand at the
// API's values, the swap line ends at the API's swap use, the scan and steal
// rate lines are the API's counters' per-sample increases, drawn at their
// pixels in their colours, the controls redraw (zone scope, sample count),
// and nothing scrolls sideways. A second session runs out of memory: each
// sample where the OOM killer killed is a dashed marker drawn on every chart,
// at the sample's x, and nowhere else.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium, openSessionPage, saveScreenshot, painted } from './lib/browser.mjs';
import { startDaemon, getJson, postJson, createSession } from './lib/daemon.mjs';

let d, browser, id;

before(async () => {
  d = await startDaemon();
  browser = await launchChromium();
  id = await createSession(d.url, { mem_mib: 128, swap_mib: 32 }, 'pressure');
  const base = `${d.url}/api/v1/sessions/${id}`;
  const post = async (ops) => {
    const r = await postJson(`${base}/ops`, ops);
    assert.equal(r.status, 200, JSON.stringify(r.body).slice(0, 300));
    return r.body.results;
  };
  const [{ pid }] = await post({ op: 'spawn', name: 'worker' });
  const [{ addr }] = await post({ op: 'mmap', pid, length: 40 << 20, prot: 'rw-' });
  await post({ op: 'create_file', name: 'data', size: 192 << 20 });
  const ops = [];
  for (let i = 0; i < 40; i++)
    ops.push({ op: 'touch', pid, addr: `0x${(Number(addr) + i * (1 << 20)).toString(16)}`, length: 1 << 20,
               access: 'write' });
  for (let off = 0; off < 192 << 20; off += 1 << 20)
    ops.push({ op: 'read_file', name: 'data', offset: off, length: 1 << 20 });
  for (const r of await post(ops))
    assert.equal(r.ok, true, JSON.stringify(r));
  // Kernel pages that reclaim cannot take: the page cache goes, then anonymous pages to swap.
  for (let k = 0; k < 4; k++)
    await post(Array.from({ length: 4000 }, () => ({ op: 'alloc_pages', order: 0 })));
});

after(async () => {
  await browser?.close();
  await d?.stop();
});

// What each chart drew: its datasets' points in pixels and values, and the chart area.
function drawn(page) {
  return page.evaluate(() => Object.fromEntries(['free', 'lru', 'rates'].map((k) => {
    const c = window.Chart.getChart(document.getElementById(`pressure-${k}`));
    return [k, {
      area: { ...c.chartArea },
      sets: c.data.datasets.map((ds, i) => ({
        label: ds.label,
        hidden: !c.isDatasetVisible(i),
        pts: c.getDatasetMeta(i).data.map((p, j) => ({ x: p.x, y: p.y, vx: ds.data[j].x, vy: ds.data[j].y })),
      })),
    }];
  })));
}

function pixelOf(page, chart, axis, value) {
  return page.evaluate(([chart, axis, value]) => {
    const c = window.Chart.getChart(document.getElementById(`pressure-${chart}`));
    return c.scales[axis].getPixelForValue(value);
  }, [chart, axis, value]);
}

// Per-sample increases of a cumulative counter, as the view computes them.
const deltas = (v) => v.map((x, i) => (i ? x - v[i - 1] : 0));

// The canvas colour around (x, y) (CSS pixels) nearest to @rgb: its distance.
function nearestColour(page, chart, x, y, rgb) {
  return page.evaluate(([chart, x, y, rgb]) => {
    const c = document.getElementById(`pressure-${chart}`);
    const scale = c.width / c.clientWidth;
    const cx = Math.round(x * scale), cy = Math.round(y * scale), r = Math.ceil(2 * scale);
    const px = c.getContext('2d').getImageData(cx - r, cy - r, 2 * r + 1, 2 * r + 1).data;
    let best = Infinity;
    for (let i = 0; i < px.length; i += 4)
      best = Math.min(best, Math.hypot(px[i] - rgb[0], px[i + 1] - rgb[1], px[i + 2] - rgb[2]));
    return best;
  }, [chart, x, y, rgb]);
}

// The columns (CSS pixels, centres of runs) where the middle of a chart's
// area is drawn in the OOM marker's colour (#9d0208) in a good share of rows.
function markerColumns(page, chart) {
  return page.evaluate((chart) => {
    const canvas = document.getElementById(`pressure-${chart}`);
    const c = window.Chart.getChart(canvas);
    const scale = canvas.width / canvas.clientWidth, a = c.chartArea;
    const x0 = Math.floor(a.left * scale), x1 = Math.ceil(a.right * scale);
    const y0 = Math.floor((a.top + a.height * 0.3) * scale), y1 = Math.ceil((a.top + a.height * 0.7) * scale);
    const px = canvas.getContext('2d').getImageData(x0, y0, x1 - x0, y1 - y0).data;
    const w = x1 - x0, h = y1 - y0, runs = [];
    let start = -1;
    for (let x = 0; x <= w; x++) {
      let n = 0;
      for (let y = 0; x < w && y < h; y++) {
        const i = (y * w + x) * 4;
        n += Math.abs(px[i] - 157) < 30 && px[i + 1] < 40 && px[i + 2] < 45;
      }
      const hit = x < w && n > h * 0.4;
      if (hit && start < 0)
        start = x;
      if (!hit && start >= 0) {
        runs.push((x0 + (start + x - 1) / 2) / scale);
        start = -1;
      }
    }
    return runs;
  }, chart);
}

test('the pressure view draws the sawtooth, the LRU, reclaim and swap from the API, and its controls redraw it', async () => {
  const api = (await getJson(`${d.url}/api/v1/sessions/${id}/pressure?points=120`)).body;
  const s = api.series;
  assert.ok(s.seq.length > 50, 'enough samples');
  // Spread over the events (not over the ops, which are mostly the short
  // allocations at the end): no gap between samples many times an even share.
  const gaps = s.seq.slice(1).map((x, i) => x - s.seq[i]);
  assert.ok(Math.max(...gaps) < 5 * s.seq.at(-1) / 119, `gaps ${Math.max(...gaps)}`);
  assert.ok(s.pgsteal_kswapd.at(-1) > 0 && s.pswpout.at(-1) > 0, JSON.stringify(s.pswpout.slice(-3)));
  // The sawtooth in the API's numbers: below low at the end of some op, then above high later.
  const dip = s.zone_free.findIndex((f, i) => f < s.zone_low[i]);
  const idle = s.zone_free.findIndex((f, i) => f > s.zone_high[i]);
  assert.ok(idle >= 0, 'above high at some point');

  const { page, done } = await openSessionPage(browser, d.url, '#pressure', id);
  for (const [width, height] of [[1280, 800], [800, 600]]) {
    await page.setViewportSize({ width, height });
    await page.waitForSelector('#view-pressure[data-ready="true"]');
    await painted(page);
    const g = await drawn(page);
    // The free-pages line goes through the API's points, at their pixels.
    const free = g.free.sets[0];
    assert.match(free.label, new RegExp(api.zone));
    assert.equal(free.pts.length, s.seq.length);
    for (const i of [0, Math.floor(s.seq.length / 2), s.seq.length - 1]) {
      assert.equal(free.pts[i].vy, s.zone_free[i]);
      const py = await pixelOf(page, 'free', 'y', s.zone_free[i]);
      const px = await pixelOf(page, 'free', 'x', s.seq[i]);
      assert.ok(Math.abs(free.pts[i].y - py) < 0.5 && Math.abs(free.pts[i].x - px) < 0.5, `point ${i}`);
      assert.ok(free.pts[i].y >= g.free.area.top - 0.5 && free.pts[i].y <= g.free.area.bottom + 0.5);
    }
    // The watermark lines at the API's values; high above low above min on screen.
    const [, min, low, high] = g.free.sets;
    assert.deepEqual([min.label, low.label, high.label], ['min', 'low', 'high']);
    const last = s.seq.length - 1;
    assert.equal(high.pts[last].vy, s.zone_high[last]);
    assert.ok(high.pts[last].y < low.pts[last].y && low.pts[last].y < min.pts[last].y);
    // Where free pages were below low, the line is drawn below the low line.
    if (dip >= 0)
      assert.ok(free.pts[dip].y > low.pts[dip].y, 'the dip is drawn below low');
    assert.ok(free.pts[idle].y < high.pts[idle].y, 'the recovery is drawn above high');
    // The LRU stack's top is drawn at the sum of the lists; swap used ends at the API's.
    const sum = ['inactive_file', 'active_file', 'inactive_anon', 'active_anon', 'unevictable']
      .reduce((n, k) => n + s[k][last], 0);
    assert.ok(Math.abs(g.lru.sets.at(-1).pts[last].y - await pixelOf(page, 'lru', 'y', sum)) < 0.5);
    // The rate lines: each counter's increase per sample, at its pixels; the
    // visible ones drawn in their colours where they peak (the scans are
    // hidden until their legend entry is clicked).
    const RATES = { 'scanned by kswapd': ['pgscan_kswapd', null], 'stolen by kswapd': ['pgsteal_kswapd', [0x2b, 0x93, 0x48]],
      'scanned by direct reclaim': ['pgscan_direct', null], 'stolen by direct reclaim': ['pgsteal_direct', [0xe7, 0x6f, 0x51]],
      'swapped out': ['pswpout', [0x72, 0x09, 0xb7]], 'swapped in': ['pswpin', [0xb5, 0x17, 0x9e]] };
    for (const [label, [key, rgb]] of Object.entries(RATES)) {
      const set = g.rates.sets.find((x) => x.label === label);
      assert.ok(set, label);
      assert.equal(set.hidden, rgb === null, `${label} hidden`);
      const want = deltas(s[key]);
      assert.deepEqual(set.pts.map((p) => p.vy), want, label);
      if (!rgb)
        continue;
      const peak = want.indexOf(Math.max(...want));
      for (const i of [peak, Math.floor(s.seq.length / 3)]) {
        const py = await pixelOf(page, 'rates', 'y', want[i]);
        assert.ok(Math.abs(set.pts[i].y - py) < 0.5, `${label} at ${i}`);
      }
      if (want[peak] > 0) {
        const others = g.rates.sets.filter((x) => !x.hidden && x.label !== label && x.label !== 'swap used');
        if (others.every((o) => Math.abs(o.pts[peak].y - set.pts[peak].y) > 6))
          assert.ok(await nearestColour(page, 'rates', set.pts[peak].x, set.pts[peak].y, rgb) < 60,
            `${label} drawn at its peak in its colour`);
      }
    }
    assert.ok(deltas(s.pgsteal_kswapd).some((x) => x > 0) && deltas(s.pswpout).some((x) => x > 0));
    const swap = g.rates.sets.find((x) => x.label === 'swap used');
    assert.equal(swap.pts[last].vy, s.swap_used[last]);
    const summary = await page.textContent('#pressure-summary');
    assert.ok(summary.includes(`${s.pswpout[last]} pages went to swap`), summary);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `no horizontal scrolling at ${width}px`);
    await saveScreenshot(page, `#pressure-${width}`);
  }
  // Scope: all zones summed.
  await page.selectOption('#pressure-scope', 'all');
  await page.waitForFunction(() => window.Chart.getChart(document.getElementById('pressure-free')).data.datasets[0].label.includes('all zones'));
  const all = await drawn(page);
  assert.equal(all.free.sets[0].pts.at(-1).vy, s.free.at(-1));
  assert.equal(all.free.sets[3].pts.at(-1).vy, s.high.at(-1));
  // Zoom: the y axis ends at three times the highest high watermark.
  await page.check('#pressure-zoom');
  const ymax = await page.evaluate(() => window.Chart.getChart(document.getElementById('pressure-free')).scales.y.max);
  assert.equal(ymax, Math.max(...s.high) * 3);
  await saveScreenshot(page, '#pressure-zoomed');
  // Samples: 60 points.
  const sixty = (await getJson(`${d.url}/api/v1/sessions/${id}/pressure?points=60`)).body;
  assert.ok(sixty.points <= 60 && sixty.points < s.seq.length);
  await page.selectOption('#pressure-points', '60');
  await page.waitForFunction((n) => document.getElementById('view-pressure').dataset.points === String(n),
                             sixty.points);
  const fewer = await drawn(page);
  assert.deepEqual(fewer.free.sets[0].pts.map((p) => p.vx), sixty.series.seq);
  await done();
});

// A machine that runs out of memory with no swap: kernel pages until the OOM
// killer has killed each process, in ops far enough apart that each kill
// lands in a sample of its own. Every chart draws one dashed marker per such
// sample, at the sample's x, labelled with its count, and no other.
test('the pressure view marks each OOM kill on every chart at its sample', async () => {
  const oid = await createSession(d.url, { mem_mib: 64 }, 'pressure-oom');
  const base = `${d.url}/api/v1/sessions/${oid}`;
  const post = async (ops) => (await postJson(`${base}/ops`, ops)).body.results;
  await post({ op: 'spawn', name: 'init' });
  for (const [name, size] of [['big', 16 << 20], ['mid', 12 << 20], ['small', 8 << 20]]) {
    const [{ pid }] = await post({ op: 'spawn', name });
    const [{ addr }] = await post({ op: 'mmap', pid, length: size, prot: 'rw-' });
    const [t] = await post({ op: 'touch', pid, addr, length: size, access: 'write' });
    assert.equal(t.ok, true, JSON.stringify(t));
  }
  for (let k = 0; k < 10; k++) {
    const r = await post(Array.from({ length: 2000 }, () => ({ op: 'alloc_pages', order: 0 })));
    if (r.every((x) => !x.ok))
      break;
  }
  const api = (await getJson(`${base}/pressure?points=120`)).body;
  const s = api.series;
  const kills = deltas(s.oom_kill).flatMap((n, i) => (n > 0 ? [{ i, n, seq: s.seq[i] }] : []));
  assert.equal(s.oom_kill.at(-1), 3, JSON.stringify(s.oom_kill));
  assert.ok(kills.length >= 2, `kills in ${kills.length} samples`);

  const { page, done } = await openSessionPage(browser, d.url, '#pressure', oid);
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.waitForFunction((n) => {
    const v = document.getElementById('view-pressure');
    return v.dataset.ready === 'true' && window.Chart.getChart(document.getElementById('pressure-free'))
      .data.datasets[0].data.length === n;
  }, s.seq.length);
  for (const chart of ['free', 'lru', 'rates']) {
    const marks = await page.evaluate((chart) => {
      const c = window.Chart.getChart(document.getElementById(`pressure-${chart}`));
      return Object.entries(c.options.plugins.annotation.annotations).filter(([k]) => k.startsWith('oom'))
        .map(([, a]) => ({ x: a.xMin, label: a.label.content }));
    }, chart);
    assert.deepEqual(marks, kills.map((k) => ({ x: k.seq, label: `OOM kill${k.n > 1 ? ` \u00d7${k.n}` : ''}` })), chart);
    const cols = await markerColumns(page, chart);
    assert.equal(cols.length, kills.length, `${chart}: marker columns ${cols}`);
    for (const [j, k] of kills.entries()) {
      const x = await pixelOf(page, chart, 'x', k.seq);
      assert.ok(Math.abs(cols[j] - x) < 2, `${chart}: marker ${j} drawn at ${cols[j]}, sample at ${x}`);
    }
  }
  const summary = await page.textContent('#pressure-summary');
  assert.ok(summary.includes('the OOM killer killed 3 times'), summary);
  await done();
});
