// physmap.mjs - the dashboard's "Physical map" view in Debian's chromium
// against a real mmlabd: how long a full redraw of the physical memory of a
// 4 GiB and of a 64 GiB machine takes (the view's own redraw, triggered by
// the pixels-per-frame control's 'change': GET .../physmap/legend, GET
// .../physmap bytes, the ImageData filled and put on the canvas, the overlay
// and the legend counts; over when the canvas gets data-ready="true" again,
// and shown at the second animation frame after it), then whether live
// updates keep up: op batches posted every 100 ms for 5 s on the 4 GiB
// machine, which the page hears over SSE and redraws. The map canvas holds at
// most 16384 rows of as many frames as the page's width holds (the page is
// 1600 pixels wide here): a bigger machine is drawn as a window from
// the start pfn, and each window is timed as drawn. Timed with
// performance.now() in the page; the baseline is putImageData of a blank
// ImageData of the canvas's size in the same page. Figures only, no target
// is enforced.
//   node bench/physmap.mjs
import { launchChromium, openSessionPage } from '../tests/e2e/lib/browser.mjs';
import { startDaemon, postJson } from '../tests/e2e/lib/daemon.mjs';

const REDRAWS = 10;
const LIVE_MS = 5000;
const PERIOD_MS = 100;		// 10 Hz
const KEEP_UP_MS = 3 * PERIOD_MS;	// every batch on the map within this of its post
const MACHINES = [{ label: '4 GiB', mem_mib: 4096, target: '<= 50 ms for 4 GiB' },
                  { label: '64 GiB', mem_mib: 65536, target: null }];

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : '-');
const stats = (xs) => (xs.length ? `median ${f1(median(xs))} ms, max ${f1(Math.max(...xs))} ms` : 'none');
const epochNow = () => performance.timeOrigin + performance.now();

async function call(promise, what) {
  const r = await promise;
  if (r.status !== 200 && r.status !== 201)
    throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
  return r.body;
}

// In the page: records the view's requests (start, body read), the map
// canvas's putImageData calls, each finished drawing (data-ready set) with
// its second animation frame, and each seq the timebar heard of.
function installProbe() {
  const b = window.__physmapBench = { fetches: [], puts: [], draws: [], heard: [], waiter: null };
  const canvas = document.getElementById('physmap-canvas');
  const bar = document.getElementById('timebar');
  const realFetch = window.fetch;
  window.fetch = async function (input, init) {
    const rec = { url: String(input), t0: performance.now() };
    b.fetches.push(rec);
    const res = await realFetch.call(this, input, init);
    for (const m of ['json', 'arrayBuffer']) {
      const real = res[m].bind(res);
      res[m] = async () => {
        const v = await real();
        rec.t1 = performance.now();
        rec.size = v.byteLength;
        return v;
      };
    }
    return res;
  };
  const realPut = CanvasRenderingContext2D.prototype.putImageData;
  CanvasRenderingContext2D.prototype.putImageData = function (...args) {
    const t0 = performance.now();
    realPut.apply(this, args);
    if (this.canvas === canvas)
      b.puts.push({ t0, t1: performance.now() });
  };
  new MutationObserver(() => {
    if (canvas.dataset.ready !== 'true')
      return;
    const ds = canvas.dataset;
    // Which requests and putImageData calls came before it: the next refresh
    // may start within the same tick of the (coarse) clock.
    const d = { t: performance.now(), nFetches: b.fetches.length, nPuts: b.puts.length,
                seq: Number(ds.seq), start: Number(ds.start), count: Number(ds.count), maxPfn: Number(ds.maxPfn),
                scale: Number(ds.scale), w: canvas.width, h: canvas.height };
    b.draws.push(d);
    requestAnimationFrame(() => requestAnimationFrame(() => {
      d.tFrame = performance.now();
      const w = b.waiter;
      b.waiter = null;
      w?.(d);
    }));
  }).observe(canvas, { attributes: true, attributeFilter: ['data-ready'] });
  new MutationObserver(() => b.heard.push({ t: performance.now(), seq: Number(bar.dataset.lastSeq) }))
    .observe(bar, { attributes: true, attributeFilter: ['data-last-seq'] });
}

// In the page: one redraw as the controls ask for it; resolves with its records.
async function redrawOnce(timeoutMs) {
  const b = window.__physmapBench;
  const drawn = new Promise((resolve) => { b.waiter = resolve; });
  const nFetches = b.fetches.length, nPuts = b.puts.length;
  const t0 = performance.now();
  document.getElementById('physmap-scale').dispatchEvent(new Event('change'));
  const d = await Promise.race([drawn, new Promise((_, reject) =>
    setTimeout(() => reject(new Error(`no redraw in ${timeoutMs} ms`)), timeoutMs))]);
  return { t0, d, fetches: b.fetches.slice(nFetches, d.nFetches), puts: b.puts.slice(nPuts, d.nPuts) };
}

// The phases of the drawing @d that started at @t0, from the records of its refresh.
function phases(t0, d, fetches, puts) {
  const legend = fetches.find((f) => f.url.includes('/physmap/legend'));
  const bytes = fetches.find((f) => /\/physmap\?/.test(f.url));
  const put = puts.at(-1);
  if (!legend || !bytes || !put)
    throw new Error(`a redraw without its legend, bytes or putImageData (seq ${d.seq})`);
  return { total: d.t - t0, frame: d.tFrame - t0, legend: legend.t1 - legend.t0, bytes: bytes.t1 - bytes.t0,
           size: bytes.size, fill: put.t0 - bytes.t1, put: put.t1 - put.t0, after: d.t - put.t1 };
}

function printPhases(runs, target) {
  const col = (k) => runs.map((r) => r[k]);
  console.log(`  full redraw (${runs.length}): ${stats(col('total'))}${target ? `  (target ${target})` : ''}`);
  console.log(`    GET physmap/legend              ${stats(col('legend'))}`);
  const bytes = `GET physmap bytes (${(runs[0].size / 2 ** 20).toFixed(1)} MiB)`;
  console.log(`    ${bytes.padEnd(32)}${stats(col('bytes'))}`);
  console.log(`    canvas resize + ImageData fill  ${stats(col('fill'))}`);
  console.log(`    putImageData                    ${stats(col('put'))}`);
  console.log(`    overlay + legend counts         ${stats(col('after'))}`);
  console.log(`  to the 2nd animation frame after it: ${stats(col('frame'))}`);
}

// The start pfn control's value, without its 'change' (redrawOnce draws).
const setStart = (page, pfn) => page.$eval('#physmap-start', (el, v) => { el.value = v; }, `0x${pfn.toString(16)}`);

async function measureRedraws(page, n) {
  const runs = [];
  for (let i = 0; i < n; i++) {
    const r = await page.evaluate(redrawOnce, 30000);
    runs.push(phases(r.t0, r.d, r.fetches, r.puts));
  }
  return runs;
}

// In the page: putImageData of a blank ImageData of the map canvas's size,
// on a canvas of that size outside the document.
function blankPuts(n) {
  const c = document.getElementById('physmap-canvas');
  const off = document.createElement('canvas');
  off.width = c.width;
  off.height = c.height;
  const ctx = off.getContext('2d');
  const create = [], put = [];
  for (let i = 0; i < n; i++) {
    let t = performance.now();
    const img = ctx.createImageData(off.width, off.height);
    create.push(performance.now() - t);
    t = performance.now();
    ctx.putImageData(img, 0, 0);
    put.push(performance.now() - t);
  }
  return { create, put };
}

async function newSession(url, m) {
  const body = { name: `physmap-${m.mem_mib}`, machine: { mem_mib: m.mem_mib } };
  const { id } = await call(postJson(`${url}/api/v1/sessions`, body), 'create session');
  // Some churn, so the map is not a few solid areas.
  const r = await call(postJson(`${url}/api/v1/sessions/${id}/ops`,
                                [{ op: 'workload', kind: 'random', count: 2000, seed: 1 }]), 'workload');
  return { id, last: r.last_seq };
}

async function benchMachine(browser, url, m) {
  const { id, last } = await newSession(url, m);
  const view = await openSessionPage(browser, url, '#physmap', id);
  const { page } = view;
  await page.waitForSelector(`#physmap-canvas[data-ready="true"][data-seq="${last}"]`, { timeout: 30000 });
  await page.evaluate(installProbe);
  const first = await measureRedraws(page, REDRAWS);
  const d = await page.evaluate(() => window.__physmapBench.draws.at(-1));
  const whole = d.start === 0 && d.count === d.maxPfn;
  console.log(`${m.label} machine (session ${id}, seq ${last}): max_pfn ${d.maxPfn}, ${d.scale} pixel per frame, ` +
              `canvas ${d.w}x${d.h}`);
  console.log(whole
    ? `  the view draws the whole machine: pfns 0..${d.maxPfn - 1}`
    : `  the view draws pfns ${d.start}..${d.start + d.count - 1} only (${(100 * d.count / d.maxPfn).toFixed(1)}% of ` +
      `the machine: the canvas stops at ${d.h} rows); the rest needs another start pfn`);
  printPhases(first, m.target);
  const base = await page.evaluate(blankPuts, REDRAWS);
  console.log(`  baseline: putImageData of a blank ${d.w}x${d.h} ImageData ${stats(base.put)} ` +
              `(createImageData ${stats(base.create)})`);

  let total = median(first.map((r) => r.total));
  for (let start = d.start + d.count; start < d.maxPfn;) {
    await setStart(page, start);
    await page.evaluate(redrawOnce, 30000);	// the new window's first drawing
    const runs = await measureRedraws(page, REDRAWS);
    const w = await page.evaluate(() => window.__physmapBench.draws.at(-1));
    console.log(`  next window, start pfn 0x${start.toString(16)}: pfns ${w.start}..${w.start + w.count - 1}, ` +
                `canvas ${w.w}x${w.h}`);
    printPhases(runs, null);
    total += median(runs.map((r) => r.total));
    start = w.start + w.count;
  }
  if (!whole)
    console.log(`  the whole machine, window after window: ${f1(total)} ms (sum of the medians)`);
  await setStart(page, 0);
  await page.evaluate(redrawOnce, 30000);
  return { id, view };
}

// Batches of 5 alloc_pages plus the frees of the previous batch's blocks,
// posted every PERIOD_MS for LIVE_MS while the page shows the map.
async function benchLive(url, id, page) {
  await page.evaluate(() => {
    const b = window.__physmapBench;
    b.fetches.length = b.puts.length = b.draws.length = b.heard.length = 0;
  });
  const origin = await page.evaluate(() => performance.timeOrigin);
  const batches = [];
  let held = [];
  const t0 = performance.now();
  for (let i = 0; performance.now() - t0 < LIVE_MS; i++) {
    const list = [...held.map((r) => ({ op: 'free_pages', pfn: r.pfn, order: r.order })),
                  ...[0, 1, 2, 3, 0].map((order) => ({ op: 'alloc_pages', order, gfp: 'GFP_KERNEL' }))];
    const r = await call(postJson(`${url}/api/v1/sessions/${id}/ops`, list), 'ops');
    const failed = r.results.filter((x) => !x.ok);
    if (failed.length)
      throw new Error(`ops failed: ${JSON.stringify(failed[0])}`);
    held = r.results.slice(held.length);
    batches.push({ t: epochNow(), seq: r.last_seq, ops: list.length });
    await sleep(t0 + (i + 1) * PERIOD_MS - performance.now());
  }
  const lastSeq = batches.at(-1).seq, lastPost = batches.at(-1).t;
  let caught = true;
  await page.waitForSelector(`#physmap-canvas[data-seq="${lastSeq}"]`, { timeout: 5000 })
    .catch(() => { caught = false; });
  await sleep(300);	// a refresh still going
  const b = await page.evaluate(() => window.__physmapBench);
  const at = (t) => origin + t;	// page clock to epoch ms

  const isLegend = (f) => f.url.includes('/physmap/legend');
  const refreshes = b.fetches.filter(isLegend);
  const runs = b.draws.map((d) => {
    const before = b.fetches.slice(0, d.nFetches);
    const i = before.findLastIndex(isLegend);
    return phases(before[i].t0, d, before.slice(i), b.puts.slice(0, d.nPuts));
  });
  const span = (lastPost - batches[0].t) / 1000;
  console.log(`live updates on the 4 GiB machine: ${batches.length} batches of ` +
              `${batches[1]?.ops ?? batches[0].ops} ops (5 alloc_pages, 5 free_pages), one every ${PERIOD_MS} ms, ` +
              `seq ${batches[0].seq} to ${lastSeq}`);
  console.log(`  ${refreshes.length} refreshes of the view, ${b.draws.length} redraws ` +
              `(${f1(b.draws.filter((d) => at(d.t) <= lastPost).length / span)} a second while posting)`);
  const busy = runs.filter((r, i) => at(b.draws[i].t) <= lastPost).reduce((a, r) => a + r.total, 0) / (span * 1000);
  console.log(`  redraw time: mean ${f1(mean(runs.map((r) => r.total)))} ms, ${stats(runs.map((r) => r.total))} ` +
              `(redrawing ${(100 * busy).toFixed(0)}% of the time while posting)`);
  console.log(`    GET physmap bytes ${stats(runs.map((r) => r.bytes))}; ` +
              `resize + fill ${stats(runs.map((r) => r.fill))}; putImageData ${stats(runs.map((r) => r.put))}`);

  // Per batch: when the page heard of its seq (SSE) and when the map first showed it.
  const heardLag = [], drawnLag = [];
  let ownFrame = 0;
  const drawnSeqs = new Set(b.draws.map((d) => d.seq));
  for (const x of batches) {
    const h = b.heard.find((e) => e.seq >= x.seq);
    const d = b.draws.find((e) => e.seq >= x.seq);
    if (h)
      heardLag.push(at(h.t) - x.t);
    if (d)
      drawnLag.push(at(d.t) - x.t);
    if (drawnSeqs.has(x.seq))
      ownFrame++;
  }
  // Per redraw: how many seqs the session was ahead of what was drawn.
  const behind = b.draws.map((d) => {
    const now = batches.filter((x) => x.t <= at(d.t)).at(-1);
    return now ? Math.max(0, now.seq - d.seq) : 0;
  });
  const final = b.draws.find((d) => d.seq === lastSeq);
  console.log(`  post answered -> page heard the seq (SSE): ${stats(heardLag)}`);
  console.log(`  post answered -> map drawn at that seq or later: mean ${f1(mean(drawnLag))} ms, ${stats(drawnLag)} ` +
              `(${drawnLag.length} of ${batches.length} batches drawn; ${ownFrame} in a drawing of their own)`);
  if (behind.length)
    console.log(`  seqs the session was ahead of each drawing: mean ${f1(mean(behind))}, max ${Math.max(...behind)}`);
  const finalText = final ? `${f1(at(final.t) - lastPost)} ms after the last post` : 'never (5 s)';
  console.log(`  last seq ${lastSeq} drawn ${finalText}`);
  const keptUp = caught && drawnLag.length === batches.length && Math.max(...drawnLag) <= KEEP_UP_MS;
  console.log(`  kept up: ${keptUp ? 'yes' : 'no'} (every batch on the map within ${KEEP_UP_MS} ms of its post)`);
}

const d = await startDaemon();
try {
  const browser = await launchChromium();
  try {
    const views = [];
    for (const m of MACHINES)
      views.push(await benchMachine(browser, d.url, m));
    // Only the 4 GiB page stays open during the live run.
    for (const v of views.slice(1))
      await v.view.done();
    await benchLive(d.url, views[0].id, views[0].view.page);
    await views[0].view.done();
  } finally {
    await browser.close();
  }
} finally {
  await d.stop();
}
