// overview_watermarks.test.mjs - the Overview's watermark labels, in Debian's
// chromium against a real daemon, at 1280x800 and 800x600: in every zone,
// ZONE_DMA's few thousand pages included, the min, low and high labels as
// drawn (the annotation plugin's elements) do not overlap each other, no
// other watermark's line crosses a label, each stays inside the chart, and
// each line stands at the API's watermark.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ARTIFACTS, launchChromium, openSessionPage } from './lib/browser.mjs';
import { startDaemon, getJson, postJson } from './lib/daemon.mjs';

let d, browser, id;

before(async () => {
  d = await startDaemon();
  browser = await launchChromium();
  const r = await postJson(`${d.url}/api/v1/sessions`, { name: 'watermarks', machine: { mem_mib: 4096 } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  id = r.body.id;
});

after(async () => {
  await browser?.close();
  await d?.stop();
});

// Resolves once every zone chart has been drawn again at the size its box
// now has (Chart.js follows its container through a ResizeObserver), and
// the browser has painted that frame.
async function drawnAtSize(page) {
  await page.waitForFunction(() => [...document.querySelectorAll('#overview-zones canvas[data-zone]')].every((c) => {
    const chart = window.Chart.getChart(c), box = c.parentElement, cs = getComputedStyle(box);
    const inner = box.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
    return chart && Math.abs(chart.width - inner) < 1 && Math.abs(c.width - chart.width * devicePixelRatio) < 1;
  }), null, { polling: 'raf' });
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

// Each zone chart's watermark lines (the annotation plugin's elements) and
// their labels' boxes, with the colour of the canvas's pixels at each box's
// left edge and at the middle of its first letters.
function drawn(page) {
  return page.evaluate(() => [...document.querySelectorAll('#overview-zones canvas[data-zone]')].map((c) => {
    const chart = window.Chart.getChart(c);
    const plugin = window.Chart.registry.getPlugin('annotation');
    const scale = c.width / c.clientWidth;
    const px = (x, y) => [...c.getContext('2d').getImageData(Math.round(x * scale), Math.round(y * scale), 1, 1).data];
    const boxes = chart.$watermarkLabels || [];
    const lines = plugin.getAnnotations(chart).filter((e) => e.options.type === 'line').map((e) => {
      const b = boxes.find((x) => x.name === e.options.id);
      return { name: e.options.id, value: e.options.xMin, x: e.x, scaleX: chart.scales.x.getPixelForValue(e.options.xMin),
               label: b && { ...b, edge: px(b.x + 1.5, (b.y + b.y2) / 2) } };
    });
    return { zone: c.dataset.zone, area: { ...chart.chartArea }, lines };
  }));
}

const rgb = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));

const overlap = (a, b) => a.x < b.x2 && b.x < a.x2 && a.y < b.y2 && b.y < a.y2;

test('the watermark labels of every zone are readable at 1280x800 and 800x600', async () => {
  const zones = (await getJson(`${d.url}/api/v1/sessions/${id}/zones`)).body.zones.filter((z) => z.populated);
  const { page, done } = await openSessionPage(browser, d.url, '#overview', id);
  await page.waitForSelector('#overview-zones[data-ready="true"]');
  mkdirSync(ARTIFACTS, { recursive: true });
  for (const [width, height] of [[1280, 800], [800, 600]]) {
    await page.setViewportSize({ width, height });
    await drawnAtSize(page);
    await page.screenshot({ path: join(ARTIFACTS, `overview-watermarks-${width}x${height}.png`), fullPage: true });
    const charts = await drawn(page);
    assert.equal(charts.length, zones.length);
    for (const c of charts) {
      const z = zones.find((x) => `${x.node}/${x.name}` === c.zone);
      const what = `${c.zone} at ${width}`;
      assert.deepEqual(c.lines.map((l) => l.name), ['min', 'low', 'high'], what);
      for (const l of c.lines) {
        assert.equal(l.value, z.watermarks[l.name], `${what}: ${l.name} line at the API's value`);
        assert.ok(Math.abs(l.x - l.scaleX) < 0.5, `${what}: ${l.name} line drawn at its value`);
        assert.ok(l.label, `${what}: ${l.name} labelled`);
        assert.equal(l.label.text, `${l.name} ${z.watermarks[l.name]}`);
        assert.deepEqual(l.label.edge.slice(0, 3), rgb(l.label.colour), `${what}: ${l.name} label painted`);
        assert.ok(l.label.x >= c.area.left - 1 && l.label.x2 <= c.area.right + 1 &&
                  l.label.y >= c.area.top - 1 && l.label.y2 <= c.area.bottom + 1,
                  `${what}: ${l.name} label ${JSON.stringify(l.label)} inside ${JSON.stringify(c.area)}`);
        for (const o of c.lines.filter((x) => x !== l)) {
          assert.ok(!overlap(l.label, o.label), `${what}: labels ${l.name} and ${o.name} overlap`);
          assert.ok(!(o.x > l.label.x && o.x < l.label.x2), `${what}: the ${o.name} line crosses the ${l.name} label`);
        }
      }
      // In the order of the lines, left to right or top to bottom.
      const [a, b, e] = c.lines.map((l) => l.label);
      assert.ok((a.x2 <= b.x && b.x2 <= e.x) || (a.y >= b.y2 && b.y >= e.y2) || (a.y2 <= b.y && b.y2 <= e.y),
                `${what}: labels in the lines' order`);
    }
  }
  await done();
});
