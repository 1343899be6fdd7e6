// boot.test.mjs - the boot as a filmstrip, in Debian's chromium against a
// real daemon: a machine from power-on stepped with the boot op, a secondary
// CPU through the trampoline, kexec and a triple fault. The TLB view's frames,
// the Page tables view under "CR3 of CPU n" and the event log's vaddr and
// level columns must show what the REST API says at each seq.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ARTIFACTS, launchChromium, openSessionPage, painted } from './lib/browser.mjs';
import { startDaemon, postJson, apiOf } from './lib/daemon.mjs';

const STAGES = ['startup_32', 'extract_kernel', 'startup_64', '__startup_64', 'common_startup_64',
                'reset_early_page_tables', 'init_mem_mapping', 'mm_core_init', 'done'];

let d, browser, id;
const stageSeq = {};

const { api, get } = apiOf(() => d.url);
const apply = async (list) => {
  const r = await postJson(api(`/sessions/${id}/ops`), list);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
};

before(async () => {
  d = await startDaemon();
  browser = await launchChromium();
  const created = await postJson(api('/sessions'), { name: 'boot', machine: { mem_mib: 512, cpus: 2, start: 'poweron' } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  id = created.body.id;
  for (const until of STAGES) {
    const r = await apply({ op: 'boot', until });
    assert.deepEqual(r.results[0], { ok: true, stage: until });
  }
  for (const e of (await get(`/sessions/${id}/events?type=boot_stage&limit=100`)).events)
    stageSeq[e.detail] = e.seq;
  // kexec on CPU 1 (paging stays on), then off by hand from its identity map,
  // and on again through init_top_pgt, which does not map that instruction.
  const k = await apply({ op: 'paging', cpu: 1, enable: true, kexec: true });
  assert.deepEqual(k.results[0], { ok: true, paging: true, triple_fault: false });
  await apply([{ op: 'paging', cpu: 1, enable: false }, { op: 'load_cr3', cpu: 1, pid: 'kernel' }]);
  const tf = await apply({ op: 'paging', cpu: 1, enable: true });
  assert.equal(tf.results[0].triple_fault, true);
  // Replayed from its ops, the session makes the very same events and state.
  const v = await get(`/sessions/${id}/verify`);
  assert.equal(v.ok, true, JSON.stringify(v));
});

after(async () => {
  await browser?.close();
  await d?.stop();
});

async function seek(page, seq) {
  await page.locator('#tb-slider').evaluate((el, v) => {
    el.value = String(v);
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }, seq);
  await page.waitForSelector(`#timebar[data-seq="${seq}"]`);
}

// Screenshots at both sizes, and no horizontal scrolling at either.
async function shots(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  for (const [width, height] of [[1280, 800], [800, 600]]) {
    await page.setViewportSize({ width, height });
    await painted(page);
    await page.screenshot({ path: join(ARTIFACTS, `boot-${name}-${width}x${height}.png`), fullPage: true });
    const over = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    if (over > 0)
      console.log(await page.evaluate(() => [...document.querySelectorAll('body *')]
        .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 5)
        .map((e) => `${e.tagName}#${e.id}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`).join(' | ')));
    assert.ok(over <= 0, `${name} scrolls sideways by ${over} px at ${width}`);
  }
  await page.setViewportSize({ width: 1600, height: 1000 });
}

// The API's view of CPU @cpu at @seq: PG, and the PGD CR3 points at.
async function cr3At(seq, cpu) {
  const c = (await get(`/sessions/${id}/cpus?at=${seq}`)).cpus[cpu];
  if (!c.cr0.pg)
    return { pg: false };
  const t = await get(`/sessions/${id}/pagetable/tree?pid=cr3:${cpu}&at=${seq}`);
  return { pg: true, c, t, pgd0: t.entries.find((e) => e.index === 0), high: t.entries.filter((e) => e.index >= 256).length };
}

test('the filmstrip: one frame per stage with CR0.PG, CR3\'s table, PGD 0 and RIP as the API reports', async () => {
  const { page, done } = await openSessionPage(browser, d.url, '#tlb', id);
  await page.waitForSelector(`#tlb-boot[data-session="${id}"] button.frame.stage`, { timeout: 20000 });
  assert.equal(await page.locator('#tlb-boot button.frame.stage').count(), STAGES.length);
  const frames = await page.$$eval('#tlb-boot button.frame', (bs) => bs.map((b) => ({
    ...b.dataset, identity: !!b.querySelector('rect.pgd-identity'), jump: !!b.querySelector('path.ruler-jump'),
    ripX: Number(b.querySelector('circle.ruler-rip').getAttribute('cx')), width: b.querySelector('svg').width.baseVal.value,
    walk: [...b.querySelectorAll('.tf-walk tr')].map((tr) => [Number(tr.dataset.level), Number(tr.dataset.index), tr.className]),
  })));
  const stages = frames.filter((f) => f.kind === 'stage');
  assert.deepEqual(stages.map((f) => f.stage), STAGES);
  for (const f of stages) {
    const want = await cr3At(Number(f.seq), 0);
    assert.equal(f.pg, want.pg ? '1' : '0', f.stage);
    if (!want.pg)
      continue;
    assert.equal(f.root, String(want.t.root_pfn), f.stage);
    assert.equal(f.rootName, want.t.root_name, f.stage);
    assert.equal(f.pgd0, want.pgd0 ? '1' : '0', f.stage);
    assert.equal(f.identity, !!want.pgd0, `${f.stage}: the drawn PGD 0`);
    assert.equal(f.high, String(want.high), f.stage);
    assert.equal(f.rip, want.c.rip, f.stage);
  }
  const by = Object.fromEntries(stages.map((f) => [f.stage, f]));
  // Paging is on from the decompressor on; the kernel's startup_64 starts on an identity map.
  assert.equal(by.startup_32.pg, '0');
  assert.equal(by.extract_kernel.pg, '1');
  assert.equal(by.startup_64.pgd0, '1');
  assert.equal(by.__startup_64.rootName, 'early_top_pgt');
  assert.equal(by.__startup_64.pgd0, '1');
  assert.equal(by.reset_early_page_tables.pgd0, '0');
  assert.equal(by.init_mem_mapping.rootName, 'init_top_pgt');
  // RIP: low until common_startup_64 jumps high, an arc drawn on that frame only.
  assert.ok(by.startup_64.ripX < by.startup_64.width / 2);
  assert.ok(by.common_startup_64.ripX > by.common_startup_64.width / 2);
  assert.deepEqual(stages.filter((f) => f.jump).map((f) => f.stage), ['common_startup_64']);
  // The trampoline and kexec frames of CPU 1.
  const tramp = frames.find((f) => f.kind === 'trampoline' && f.cpu === '1');
  assert.equal(tramp.rootName, 'trampoline_pgd');
  assert.equal(tramp.root, String((await cr3At(Number(tramp.seq), 1)).t.root_pfn));
  assert.equal(tramp.pgd0, '1');
  const kexec = frames.find((f) => f.kind === 'cr3' && f.rootName.startsWith('kexec'));
  assert.ok(kexec, 'a frame for kexec\'s tables');
  assert.equal(kexec.pg, '1');
  // The triple fault: the failing fetch and its walk, as the API walks it just before.
  const tf = (await get(`/sessions/${id}/events?type=triple_fault&limit=10`)).events.at(-1);
  const tframe = frames.find((f) => f.kind === 'triple' && Number(f.seq) === tf.seq);
  assert.equal(tframe.rip, tf.vaddr);
  const fetch = (await get(`/sessions/${id}/events?type=translate&since=${tf.seq - 40}&limit=40`)).events
    .filter((e) => e.seq < tf.seq && e.cpu === 1).at(-1);
  assert.equal(fetch.vaddr, tf.vaddr);
  const walk = await get(`/sessions/${id}/pagetable?pid=cr3:1&vaddr=${fetch.vaddr}&at=${fetch.seq}`);
  assert.ok(walk.fault);
  assert.deepEqual(tframe.walk, walk.levels.map((l, i) => [l.level, l.index, i === walk.levels.length - 1 ? 'missing' : '']));
  // A click on a frame moves the timeline to it.
  await page.click(`#tlb-boot button.stage[data-stage="startup_64"]`);
  await page.waitForSelector(`#tlb-boot[data-seq="${stageSeq.startup_64}"]`);
  assert.equal(await page.getAttribute('#tlb-boot button.current', 'data-stage'), 'startup_64');
  await shots(page, 'filmstrip');
  await done();
});

test('the Page tables view walks whatever CR3 points at: identity entry there from extract_kernel, gone after reset_early_page_tables', async () => {
  const top = async (p) => p.$$eval('#pt-tree > ul > li[data-index]', (ls) => ls.map((l) => [Number(l.dataset.index), Number(l.dataset.target)]));
  // Every stage with paging on: the decompressor's tables, then the kernel's
  // early ones; each in a page of its own, so that what the view shows at one
  // stage does not follow from what it chose at the one before.
  const roots = { extract_kernel: /^top_level_pgt/, startup_64: /^top_level_pgt/, __startup_64: /^early_top_pgt$/,
                  common_startup_64: /^early_top_pgt$/, reset_early_page_tables: /^early_top_pgt$/ };
  for (const stage of Object.keys(roots)) {
    const seq = stageSeq[stage];
    const { page, done } = await openSessionPage(browser, d.url, '#pagetables', id);
    await seek(page, seq);
    await page.waitForSelector(`#pt-tree[data-seq="${seq}"]`);
    assert.equal(await page.inputValue('#pt-pid'), 'cr3:0', 'no init_mm tree yet: the view follows CPU 0');
    const want = await cr3At(seq, 0);
    assert.ok(want.pg, `${stage}: paging is on`);
    assert.match(want.t.root_name, roots[stage], stage);
    assert.equal(await page.getAttribute('#pt-tree', 'data-root'), String(want.t.root_pfn));
    assert.equal(await page.getAttribute('#pt-tree', 'data-root-name'), want.t.root_name);
    assert.deepEqual(await top(page), want.t.entries.map((e) => [e.index, e.target_pfn]));
    const drawn0 = (await top(page)).find(([i]) => i === 0);
    if (stage === 'reset_early_page_tables') {
      assert.equal(drawn0, undefined);
      assert.equal(want.pgd0, undefined);
    } else {
      assert.deepEqual(drawn0, [0, want.pgd0.target_pfn]);
    }
    assert.match(await page.textContent('#pt-summary'), new RegExp(`CR3 of CPU 0: CR3 \\u2192 ${want.t.root_name.split(' ')[0]}`));
    if (stage === 'startup_64')
      await shots(page, 'pagetables-startup_64');
    await done();
  }
  const { page, done } = await openSessionPage(browser, d.url, '#pagetables', id);
  // Paging off at startup_32: said, not asked.
  await seek(page, stageSeq.startup_32);
  await page.waitForSelector(`#pt-tree[data-seq="${stageSeq.startup_32}"]`);
  assert.match(await page.textContent('#pt-tree'), /paging off/);
  // The trampoline's tables, browsed: CPU 1 at the moment it set CR0.PG.
  const pgOn = (await get(`/sessions/${id}/events?type=paging_enable&limit=10`)).events.find((e) => e.cpu === 1);
  await seek(page, pgOn.seq);
  await page.selectOption('#pt-pid', 'cr3:1');
  await page.waitForFunction((s) => document.querySelector('#pt-tree').dataset.pid === 'cr3:1' &&
                                    document.querySelector('#pt-tree').dataset.seq === s, String(pgOn.seq));
  const tramp = await cr3At(pgOn.seq, 1);
  assert.equal(tramp.t.root_name, 'trampoline_pgd');
  assert.equal(await page.getAttribute('#pt-tree', 'data-root-name'), 'trampoline_pgd');
  assert.deepEqual(await top(page), tramp.t.entries.map((e) => [e.index, e.target_pfn]));
  await page.click('#pt-tree > ul > li[data-index="0"] > button.toggle');
  await page.waitForSelector('#pt-tree > ul > li[data-index="0"] > ul');
  const child = await get(`/sessions/${id}/pagetable/tree?pid=cr3:1&table=${tramp.pgd0.target_pfn}&at=${pgOn.seq}`);
  assert.deepEqual(await page.$$eval('#pt-tree > ul > li[data-index="0"] > ul > li[data-index]', (ls) => ls.map((l) => Number(l.dataset.index))),
                   child.entries.map((e) => e.index));
  // kexec's tables: CPU 1 after relocate_kernel, paging still on.
  const cr3 = (await get(`/sessions/${id}/events?type=cr3_write&limit=200`)).events.filter((e) => e.cpu === 1 && e.detail === 'other');
  const kseq = cr3.at(-1).seq;
  await seek(page, kseq);
  await page.waitForFunction((s) => document.querySelector('#pt-tree').dataset.seq === s, String(kseq));
  const k = await cr3At(kseq, 1);
  assert.match(k.t.root_name, /^kexec/);
  assert.deepEqual(await top(page), k.t.entries.map((e) => [e.index, e.target_pfn]));
  assert.ok(k.pgd0, 'kexec identity-maps low memory');
  await shots(page, 'pagetables-kexec');
  await done();
});

test('the event log has vaddr and level columns with the API\'s values', async () => {
  const { page, done } = await openSessionPage(browser, d.url, '#timeline', id);
  await page.waitForSelector('#eventlog-filter select[name="type"][data-ready="true"]');
  await seek(page, stageSeq.startup_64);	// __startup_64's entries follow
  await page.selectOption('#eventlog-filter select[name="type"]', 'pte_set');
  await page.waitForFunction(() => document.querySelectorAll('#eventlog tr[data-type="pte_set"]').length > 3);
  const heads = await page.$$eval('#eventlog th', (ths) => ths.map((t) => t.textContent));
  assert.ok(heads.includes('vaddr') && heads.includes('level'));
  const read = () => page.$$eval('#eventlog tr[data-seq]', (trs) => trs.map((tr) => ({
    seq: Number(tr.dataset.seq), vaddr: tr.querySelector('td[data-col="vaddr"]').textContent,
    level: tr.querySelector('td[data-col="level"]').textContent })));
  const apiRows = async (rows) => (await get(`/sessions/${id}/events?type=pte_set&since=${rows[0].seq - 1}&limit=${rows.length}`))
    .events.map((e) => ({ seq: e.seq, vaddr: e.vaddr ?? '', level: e.level === undefined ? '' : String(e.level) }));
  // The page settles once the seek's refresh and the filter's have both drawn.
  let rows = await read(), want = await apiRows(rows);
  for (let i = 0; i < 20 && JSON.stringify(rows) !== JSON.stringify(want); i++) {
    await page.waitForTimeout(250);
    rows = await read();
    want = await apiRows(rows);
  }
  assert.deepEqual(rows, want);
  assert.ok(rows.some((r) => r.level === '2') && rows.some((r) => r.vaddr === '0x1000000'),
            'the identity map\'s 2 MiB entries are among them');
  await shots(page, 'eventlog');
  await done();
});

test('a session created booted: its stages are named, with no tables claimed for them', async () => {
  const def = (await get('/sessions')).sessions.find((s) => s.name === 'default').id;
  const { page, done } = await openSessionPage(browser, d.url, '#tlb', def);
  await page.waitForSelector(`#tlb-boot[data-session="${def}"] button.frame`, { timeout: 20000 });
  const stages = (await get(`/sessions/${def}/events?type=boot_stage&limit=100`)).events;
  assert.ok(stages.every((e) => e.op === 0), 'the boot ran while the machine was created');
  assert.deepEqual(await page.$$eval('#tlb-boot button.frame.stage', (bs) => bs.map((b) => [b.dataset.stage, b.dataset.pg,
    !!b.querySelector('svg')])), stages.map((e) => [e.detail, '', false]));
  assert.match(await page.textContent('#tlb-boot .summary'), /machine was created/);
  await shots(page, 'filmstrip-booted');
  await done();
});

test('without the identity map, startup_64 triple-faults at its CR3 write: the strip draws the failing fetch and its walk', async () => {
  const created = await postJson(api('/sessions'), { name: 'no-identity', machine: { mem_mib: 512, start: 'poweron' } });
  const sid = created.body.id;
  const run = async (body) => (await postJson(api(`/sessions/${sid}/ops`), body)).body.results[0];
  assert.deepEqual(await run({ op: 'boot', until: 'startup_64' }), { ok: true, stage: 'startup_64' });
  const { page, done } = await openSessionPage(browser, d.url, '#tlb', sid);
  await page.waitForSelector(`#tlb-boot[data-session="${sid}"] button.frame`, { timeout: 20000 });
  // Through the ops form, as a user would ask it.
  assert.equal(await page.inputValue('#session'), String(sid));
  await page.selectOption('#ops-form select[name="op"]', 'boot');
  await page.selectOption('#ops-form select[name="until"]', 'common_startup_64');
  await page.selectOption('#ops-form select[name="without_identity"]', 'true');
  await page.click('#ops-form button[type="submit"]');
  await page.waitForSelector('#ops-log li');
  // The op the form sent, and the engine's answer: the CPU stopped at startup_64.
  const logged = await page.textContent('#ops-log li');
  assert.match(logged, /^boot\(until=common_startup_64, without_identity=true\) \u2192 /, logged);
  const tf = (await get(`/sessions/${sid}/events?type=triple_fault&limit=5`)).events;
  assert.equal(tf.length, 1);
  assert.equal(tf[0].vaddr, '0x1000000');
  const stages = (await get(`/sessions/${sid}/events?type=boot_stage&limit=20`)).events.map((e) => e.detail);
  assert.deepEqual(stages, ['startup_32', 'extract_kernel', 'startup_64', 'poweron']);
  await page.waitForSelector(`#tlb-boot[data-session="${sid}"] button.frame.triple`, { timeout: 20000 });
  const fetch = (await get(`/sessions/${sid}/events?type=translate&since=${tf[0].seq - 40}&limit=40`)).events
    .filter((e) => e.seq < tf[0].seq).at(-1);
  const walk = await get(`/sessions/${sid}/pagetable?pid=cr3:0&vaddr=${fetch.vaddr}&at=${fetch.seq}`);
  assert.equal(walk.root_name, 'early_top_pgt');
  assert.ok(walk.fault);
  assert.deepEqual(walk.levels.map((l) => [l.level, l.index]), [[4, 0]]);
  const drawn = await page.$eval('#tlb-boot button.frame.triple', (b) => ({
    name: b.querySelector('.name').textContent, root: b.dataset.rootName, pgd0: b.dataset.pgd0, rip: b.dataset.rip,
    rows: [...b.querySelectorAll('.tf-walk tr')].map((tr) => [Number(tr.dataset.level), Number(tr.dataset.index), tr.className,
                                                              tr.lastElementChild.textContent]) }));
  assert.deepEqual(drawn, { name: 'triple fault, CPU 0', root: 'early_top_pgt', pgd0: '0', rip: '0x1000000', rows: [[4, 0, 'missing', 'not present']] });
  assert.equal(await page.locator('#tlb-boot button.frame.stage[data-stage="poweron"]').count(), 1);
  await shots(page, 'filmstrip-triple');
  // The boot starts again and goes through.
  assert.deepEqual(await run({ op: 'boot' }), { ok: true, stage: 'done' });
  assert.equal((await get(`/sessions/${sid}/verify`)).ok, true);
  await done();
});
