// ptwalk.mjs - one step of the page-table view's walk animation in Debian's
// chromium against a real mmlabd, on the default 4 GiB machine: the walk of
// a vmalloc address (CR3, four tables of 512 slots, the page) is drawn, then
// stepped through with the Step button again and again. A step is timed from
// the click to the end of the style and layout it causes (the drawing's
// getBoundingClientRect), and to the next animation frame. The baseline, in
// the same page: the same click and layout when the step changes nothing
// (a click on a hidden button of the same form). Target: a step within one
// frame (16 ms).
//   node bench/ptwalk.mjs
import { launchChromium, openSessionPage } from '../tests/e2e/lib/browser.mjs';
import { startDaemon, postJson } from '../tests/e2e/lib/daemon.mjs';

const ROUNDS = 40;
const FRAME_MS = 16;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const f2 = (x) => x.toFixed(2);
const stats = (xs) => `median ${f2(median(xs))} ms, max ${f2(Math.max(...xs))} ms (${xs.length})`;

// In the page: @rounds passes over every stage of the walk with Step; each
// click timed to its layout and to the next frame. @target: the button.
async function steps({ rounds, selector }) {
  const draw = document.getElementById('pt-walk-draw');
  const button = document.querySelector(selector);
  const stages = Number(draw.dataset.stages);
  const work = [], frame = [];
  const nextFrame = () => new Promise((resolve) => requestAnimationFrame(() => resolve(performance.now())));
  for (let r = 0; r < rounds; r++)
    for (let k = 0; k < stages; k++) {
      await nextFrame();
      const t0 = performance.now();
      button.click();
      draw.getBoundingClientRect();
      const t1 = performance.now();
      work.push(t1 - t0);
      frame.push((await nextFrame()) - t0);
    }
  return { work, frame, stages };
}

const d = await startDaemon();
try {
  const created = await postJson(`${d.url}/api/v1/sessions`, { name: 'ptwalk-bench' });
  const { id } = created.body;
  const r = await postJson(`${d.url}/api/v1/sessions/${id}/ops`, [{ op: 'vmalloc', size: 4 * 4096 },
    { op: 'workload', kind: 'random', count: 2000, seed: 1 }]);
  const va = r.body.results[0].addr;
  const info = await (await fetch(`${d.url}/api/v1/sessions/${id}`)).json();
  const browser = await launchChromium();
  try {
    const view = await openSessionPage(browser, d.url, `#pagetables?addr=${va}`, id);
    const { page } = view;
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.waitForFunction((v) => {
      const el = document.getElementById('pt-walk-draw');
      return el.dataset.vaddr === v && el.dataset.stage === String(Number(el.dataset.stages) - 1);
    }, va, { timeout: 30000 });
    // A button that does nothing, beside Step: the baseline's click.
    await page.evaluate(() => {
      const b = document.createElement('button');
      b.type = 'button';
      b.id = 'bench-noop';
      b.hidden = true;
      document.getElementById('pt-step').after(b);
    });
    const step = await page.evaluate(steps, { rounds: ROUNDS, selector: '#pt-step' });
    const base = await page.evaluate(steps, { rounds: ROUNDS, selector: '#bench-noop' });
    console.log(`walk of ${va} on a ${info.machine.mem_mib} MiB machine (session ${id}): ` +
                `${step.stages} stages (address, TLB, CR3, 4 tables, page), chromium at 1280x800`);
    console.log(`  one Step (click -> style and layout done): ${stats(step.work)}  (target <= ${FRAME_MS} ms)`);
    console.log(`  one Step to the next animation frame:      ${stats(step.frame)}`);
    console.log(`  baseline, a click that changes nothing:    ${stats(base.work)}; ` +
                `to the next frame ${stats(base.frame)}`);
    console.log(`  ratio step / baseline (click -> layout, medians): ${f2(median(step.work) / median(base.work))}`);
    console.log(`  within one frame: ${median(step.work) <= FRAME_MS ? 'yes' : 'no'} ` +
                `(max ${f2(Math.max(...step.work))} ms)`);
    await view.done();
  } finally {
    await browser.close();
  }
} finally {
  await d.stop();
}
