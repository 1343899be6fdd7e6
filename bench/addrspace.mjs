// addrspace.mjs - the dashboard's "Address spaces" view in Debian's chromium
// against a real mmlabd: how long one redraw of the two rulers takes with a
// vmalloc fan (and a kmalloc band) drawn, on the default 4 GiB machine after
// some churn, for a fan of 64 and of 1024 pages. Two redraws are timed with
// performance.now() in the page, each up to a forced layout of the new SVG:
// warm (the physical ruler's owner colours kept, as on a resize or a mark)
// and cold (the colours computed again from the 1.25 M-frame physmap, as
// after a move of the timeline), and the time to the second animation frame
// after a cold redraw. Baselines measured in the same page: the same SVG
// nodes put back as clones (the DOM's share alone) and a canvas of the
// rulers' size filled one pixel row at a time. Target: one frame, 16 ms.
// The least of the runs is printed too: on a loaded machine it is the
// closest to the view's own cost. Figures only, no target is enforced.
//   node bench/addrspace.mjs
import { launchChromium, openSessionPage } from '../tests/e2e/lib/browser.mjs';
import { startDaemon, getJson, postJson } from '../tests/e2e/lib/daemon.mjs';

const REDRAWS = 30;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const f2 = (x) => x.toFixed(2);
const stats = (xs) => `min ${f2(Math.min(...xs))}, median ${f2(median(xs))}, max ${f2(Math.max(...xs))} ms`;

async function call(promise, what) {
  const r = await promise;
  if (r.status !== 200 && r.status !== 201)
    throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
  return r.body;
}

// In the page: @n redraws of each kind and the baselines.
async function timeRedraws(n) {
  const m = await import('/js/addrspace.js');
  const svg = document.getElementById('addrspace-svg');
  const layout = () => svg.getBoundingClientRect().height + document.body.offsetHeight;
  const timed = (f) => {
    const t = performance.now();
    f();
    layout();
    return performance.now() - t;
  };
  const frame = () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
  const out = { warm: [], cold: [], toFrame: [], clones: [], canvas: [] };
  for (let i = 0; i < n; i++) {
    out.warm.push(timed(() => m.redraw(false)));
    out.cold.push(timed(() => m.redraw(true)));
    const t = performance.now();
    m.redraw(true);
    await frame();
    out.toFrame.push(performance.now() - t);
    const nodes = [...svg.childNodes];
    out.clones.push(timed(() => svg.replaceChildren(...nodes.map((x) => x.cloneNode(true)))));
    const c = document.createElement('canvas');
    c.width = svg.clientWidth;
    c.height = svg.clientHeight;
    const ctx = c.getContext('2d');
    out.canvas.push(timed(() => {
      for (let y = 0; y < c.height; y++) {
        ctx.fillStyle = y & 1 ? '#e8e3f3' : '#dbe9f6';
        ctx.fillRect(0, y, c.width, 1);
      }
      ctx.getImageData(0, 0, 1, 1);
    }));
  }
  m.redraw(false);
  out.elements = svg.querySelectorAll('*').length;
  out.lines = svg.querySelector('path.as-fan.as-vmalloc')?.dataset.pfns.split(',').length ?? 0;
  out.size = `${svg.clientWidth}x${svg.clientHeight}`;
  return out;
}

const d = await startDaemon();
try {
  const url = d.url;
  const id = (await call(getJson(`${url}/api/v1/sessions`), 'sessions')).sessions.find((s) => s.name === 'default').id;
  await call(postJson(`${url}/api/v1/sessions/${id}/ops`, [{ op: 'workload', kind: 'random', count: 2000, seed: 1 },
                                                           { op: 'kmalloc', size: 65536 }]), 'churn');
  const browser = await launchChromium();
  try {
    for (const pages of [64, 1024]) {
      const r = await call(postJson(`${url}/api/v1/sessions/${id}/ops`,
                                    [{ op: 'vmalloc', size: pages * 4096 }]), 'vmalloc');
      const area = r.results[0];
      const view = await openSessionPage(browser, url, '#addrspace', id);
      await view.page.setViewportSize({ width: 1280, height: 800 });
      await view.page.waitForSelector(`#addrspace-svg[data-seq="${r.last_seq}"]`, { timeout: 30000 });
      const runs = new Set(area.pfns.filter((p, i) => i === 0 || p !== area.pfns[i - 1] + 1).map(String)).size;
      const t = await view.page.evaluate(timeRedraws, REDRAWS);
      console.log(`4 GiB machine, a vmalloc fan of ${t.lines} lines (${runs} runs of frames) and a kmalloc band; ` +
                  `SVG ${t.size}, ${t.elements} elements; ${REDRAWS} redraws of each kind`);
      console.log(`  redraw, owner colours kept     ${stats(t.warm)}  (target 16 ms)`);
      console.log(`  redraw, owner colours computed ${stats(t.cold)}  (target 16 ms)`);
      console.log(`  cold redraw to the 2nd animation frame after it: ${stats(t.toFrame)}`);
      console.log(`  baseline: the same SVG nodes put back as clones ${stats(t.clones)}; ` +
                  `ratio warm/clones ${f2(median(t.warm) / median(t.clones))}`);
      console.log(`  baseline: a ${t.size} canvas filled row by row ${stats(t.canvas)}; ` +
                  `ratio cold/canvas ${f2(median(t.cold) / median(t.canvas))}`);
      await view.done();
    }
  } finally {
    await browser.close();
  }
} finally {
  await d.stop();
}
