// pressure.test.mjs - the Memory pressure view, in Debian's chromium against a
// real daemon, at 1280x800 and 800x600: a session that reads a file larger
// than its memory (kswapd's sawtooth) and squeezes anonymous memory into
// swap; the free-pages line is drawn through the API's points, below low
// somewhere and back above high after it, the watermark lines stand at the
// API's values, the swap line ends at the API's swap use, the controls
// redraw (zone scope, sample count), and nothing scrolls sideways.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium, openSessionPage, saveScreenshot } from './lib/browser.mjs';
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
    await page.waitForTimeout(300);
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
