// ops_form.test.mjs - every op of the daemon's op tables (daemon/ops*.c) is
// applied through the Operations form, as a user would: choose the op, fill
// its fields, click Apply. The request the form sent, the log entry drawn and
// the views it changes are checked against the API; a refusal, an HTTP error
// and an exception of the page show beside the form and in the log.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { launchChromium, saveScreenshot } from './lib/browser.mjs';
import { startDaemon, postJson, top, apiOf } from './lib/daemon.mjs';

let d, browser;
const { api, get } = apiOf(() => d.url);

before(async () => {
  d = await startDaemon();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await d?.stop();
});

// The daemon's ops and their fields, read from its op tables.
function daemonOps() {
  const ops = {};
  for (const f of readdirSync(join(top, 'daemon')).filter((n) => /^ops.*\.c$/.test(n))) {
    const src = readFileSync(join(top, 'daemon', f), 'utf8');
    const lists = {};
    for (const m of src.matchAll(/const char \*const (\w+)\[\] = \{([^}]*)\}/g))
      lists[m[1]] = [...m[2].matchAll(/"(\w+)"/g)].map((x) => x[1]);
    for (const m of src.matchAll(/\{ "(\w+)", (\w+), op_\w+ \}/g))
      ops[m[1]] = lists[m[2]];
  }
  return ops;
}

// Each op as applied through the form, in an order where each finds what it
// needs: the fields typed (select or input), and the request the form must
// send, from the results before it (R: op -> its last result).
const CASES = [
  ['boot', { until: 'startup_64' }, () => ({ until: 'startup_64' })],
  ['boot', {}, () => ({})],
  ['paging', { cpu: 1, enable: 'false' }, () => ({ cpu: 1, enable: false })],
  ['boot_cpu', { cpu: 1 }, () => ({ cpu: 1 })],
  ['alloc_pages', { order: 2, gfp: 'GFP_KERNEL' }, () => ({ gfp: 'GFP_KERNEL', order: 2 })],
  ['free_pages', {}, (R) => ({ pfn: R.alloc_pages.pfn, order: 2 })],
  ['workload', { kind: 'random', count: 40, seed: 3, order: '' }, () => ({ kind: 'random', count: 40, seed: 3, gfp: 'GFP_KERNEL' })],
  ['vmstat_update', { cpu: 0 }, () => ({ cpu: 0 })],
  ['idle', { ms: 1000 }, () => ({ ms: 1000 })],
  ['check', {}, () => ({})],
  ['kmalloc', { size: 200 }, () => ({ size: 200, gfp: 'GFP_KERNEL' })],
  ['ksize', {}, (R) => ({ addr: R.kmalloc.addr })],
  ['virt_to_phys', {}, (R) => ({ addr: R.kmalloc.addr })],
  ['dma_map', { length: 200, device_mask_bits: 32 }, (R) => ({ addr: R.kmalloc.addr, length: 200, device_mask_bits: 32 })],
  ['dma_unmap', {}, (R) => ({ dma_addr: R.dma_map.dma_addr, length: 200 })],
  ['kfree', {}, (R) => ({ addr: R.kmalloc.addr })],
  ['kmem_cache_create', { name: 'formcache', size: 96 }, () => ({ name: 'formcache', size: 96 })],
  ['kmem_cache_alloc', {}, () => ({ cache: 'formcache', gfp: 'GFP_KERNEL' })],
  ['kmem_cache_free', {}, (R) => ({ cache: 'formcache', addr: R.kmem_cache_alloc.addr })],
  ['kmem_cache_destroy', {}, () => ({ cache: 'formcache' })],
  ['translate', { vaddr: '0xffff888000100000', access: 'read' }, () => ({ vaddr: '0xffff888000100000', access: 'read' })],
  ['access_range', { start: '0xffff888000000000', length: 65536, stride: 8192, pattern: 'seq' },
   () => ({ start: '0xffff888000000000', length: 65536, stride: 8192, pattern: 'seq' })],
  ['tlb_flush', { cpu: 0, scope: 'range', addr: '0xffff888000000000', length: 65536 },
   () => ({ cpu: 0, scope: 'range', addr: '0xffff888000000000', length: 65536 })],
  ['vmalloc', { size: 20000 }, () => ({ size: 20000 })],
  ['vmalloc_to_page', {}, (R) => ({ addr: R.vmalloc.addr })],
  ['vfree', {}, (R) => ({ addr: R.vmalloc.addr })],
  ['phys_to_virt', { paddr: '0x100000' }, () => ({ paddr: '0x100000' })],
  ['spawn', { name: 'formproc' }, () => ({ name: 'formproc' })],
  ['set_oom_score_adj', { oom_score_adj: -500 }, (R) => ({ pid: R.spawn.pid, oom_score_adj: -500 })],
  ['memcg_create', { name: 'formbox', max: 8388608 }, () => ({ name: 'formbox', max: 8388608 })],
  ['memcg_attach', { memcg: 'formbox' }, (R) => ({ pid: R.spawn.pid, memcg: 'formbox' })],
  ['load_cr3', { cpu: 0 }, (R) => ({ cpu: 0, pid: R.spawn.pid })],
  ['mmap', { length: 16384, prot: 'rw-' }, (R) => ({ pid: R.spawn.pid, length: 16384, prot: 'rw-' })],
  ['touch', { length: 8192, access: 'write' }, (R) => ({ pid: R.spawn.pid, addr: R.mmap.addr, length: 8192, access: 'write' })],
  ['translate', { access: 'read' }, (R) => ({ pid: R.spawn.pid, vaddr: R.mmap.addr, access: 'read' })],
  ['migrate_pages', {}, (R) => ({ pfn: Number(BigInt(R.translate.paddr) >> 12n) })],
  ['brk', {}, (R) => ({ pid: R.spawn.pid })],
  ['munmap', {}, (R) => ({ pid: R.spawn.pid, addr: R.mmap.addr, length: 16384 })],
  ['exit', {}, (R) => ({ pid: R.spawn.pid })],
  ['create_file', { name: 'formfile', size: 65536 }, () => ({ name: 'formfile', size: 65536 })],
  ['write_file', { length: 8192 }, () => ({ name: 'formfile', length: 8192 })],
  ['read_file', { offset: 16384, length: 16384 }, () => ({ name: 'formfile', offset: 16384, length: 16384 })],
  ['fsync', {}, () => ({ name: 'formfile' })],
  ['spawn', { name: 'formproc2' }, () => ({ name: 'formproc2' })],
  ['mmap', { length: 16384, prot: 'rw-', flags: 'MAP_SHARED' },
   (R) => ({ pid: R.spawn.pid, length: 16384, prot: 'rw-', flags: 'MAP_SHARED', file: 'formfile' })],
  ['touch', { length: 8192, access: 'write' }, (R) => ({ pid: R.spawn.pid, addr: R.mmap.addr, length: 8192, access: 'write' })],
  ['fork', {}, (R) => ({ pid: R.spawn.pid })],
  ['drop_caches', { mode: 3 }, () => ({ mode: 3 })],
  ['sysctl', { name: 'vm.extfrag_threshold', value: 400 }, () => ({ name: 'vm.extfrag_threshold', value: 400 })],
  ['compact_memory', {}, () => ({})],
  ['alloc_contig_range', { nr_pages: 512 }, () => ({ nr_pages: 512 })],
  ['free_contig_range', {}, (R) => ({ start_pfn: R.alloc_contig_range.start_pfn, nr_pages: 512 })],
];

async function open(hash, id, viewport = { width: 1280, height: 800 }) {
  const page = await browser.newPage({ viewport });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(`${d.url}/${hash}?session=${id}`);
  await page.waitForSelector(`#timebar[data-last-seq="${(await get(`/sessions/${id}`)).last_seq}"]`, { timeout: 10000 });
  return { page, errors };
}

// Choose @op, check its fields are the daemon's, fill @fields, Apply: the
// request sent, its answer, and the log entry drawn.
async function applyForm(page, id, op, fields) {
  // The log keeps its last 50 entries: the new one is the first not marked seen.
  await page.evaluate(() => document.querySelectorAll('#ops-log li').forEach((li) => { li.dataset.seen = '1'; }));
  await page.selectOption('#ops-form select[name="op"]', op);
  const shown = await page.$$eval('#ops-form .fields label', (ls) => ls.filter((l) => !l.hidden).map((l) => l.dataset.field));
  for (const [name, value] of Object.entries(fields)) {
    const sel = `#ops-form .fields [name="${name}"]`;
    if (await page.$eval(sel, (e) => e.tagName) === 'SELECT')
      await page.selectOption(sel, String(value));
    else
      await page.fill(sel, String(value));
  }
  const answer = page.waitForResponse((r) => r.url() === api(`/sessions/${id}/ops`) && r.request().method() === 'POST');
  await page.click('#ops-form button[type="submit"]');
  const res = await answer;
  await page.waitForFunction(() => {
    const li = document.querySelector('#ops-log li');
    return li && !li.dataset.seen;
  });
  const li = page.locator('#ops-log li').first();
  return { shown, sent: res.request().postDataJSON(), status: res.status(), body: await res.json().catch(() => null),
           text: await li.textContent(), ok: await li.getAttribute('data-ok'),
           error: await page.textContent('#ops-error') };
}

// The log entry holds the API's result: each scalar field (hex for pfns of
// alloc_pages), a list's length, or the errno and message of a refusal.
function assertDrawn(text, op, r) {
  if (!r.ok) {
    assert.ok(text.includes(`${r.errno}: ${r.message}`), text);
    return;
  }
  assert.match(text, new RegExp(`^${op}\\(.*\\) \u2192 ok`));
  for (const [k, v] of Object.entries(r).filter(([x]) => x !== 'ok')) {
    if (op === 'alloc_pages')
      assert.ok(text.includes(k === 'pfn' ? `pfn 0x${v.toString(16)}` : String(v)), `${k}: ${text}`);
    else if (Array.isArray(v))
      assert.ok(text.includes(`${k} [${v.length}`), `${k}: ${text}`);
    else
      assert.ok(text.includes(`${k} ${typeof v === 'object' && v !== null ? JSON.stringify(v) : v}`), `${k}: ${text}`);
  }
}

test('the form offers every op of the daemon with its fields, and each has a form test here', async () => {
  const ops = daemonOps();
  assert.ok(Object.keys(ops).length >= 30, JSON.stringify(ops));
  const id = (await postJson(api('/sessions'), { machine: { mem_mib: 256 } })).body.id;
  const { page, errors } = await open('#overview', id);
  const form = await page.evaluate(async () => {
    const m = await import('/js/ops.js');
    return Object.fromEntries(m.OPS.flatMap(([, o]) => Object.entries(o)));
  });
  const offered = await page.$$eval('#ops-form select[name="op"] option', (os) => os.map((o) => o.value));
  assert.deepEqual([...offered].sort(), Object.keys(ops).sort(), 'the form offers the daemon\'s ops');
  for (const [op, fields] of Object.entries(ops))
    assert.deepEqual([...form[op]].sort(), [...fields].sort(), `${op}: the form's fields are the daemon's`);
  assert.deepEqual([...new Set(CASES.map(([op]) => op))].sort(), Object.keys(ops).sort(),
                   'each op of the daemon is applied through the form below');
  // Fields follow the op: nothing typed for one op stays for another.
  await page.selectOption('#ops-form select[name="op"]', 'mmap');
  await page.fill('#ops-form .fields [name="length"]', '99999');
  await page.selectOption('#ops-form select[name="op"]', 'tlb_flush');
  assert.equal(await page.inputValue('#ops-form .fields [name="length"]'), '');
  await page.selectOption('#ops-form select[name="op"]', 'mmap');
  assert.equal(await page.inputValue('#ops-form .fields [name="length"]'), '');
  assert.deepEqual(errors, []);
  await page.close();
});

test('each op applied through the form: sent as filled, its result drawn in the log, the views follow', async () => {
  const id = (await postJson(api('/sessions'), { name: 'form', machine: { mem_mib: 256, start: 'poweron' } })).body.id;
  const ops = daemonOps();
  const { page, errors } = await open('#overview', id);
  const R = {};
  for (const [op, fields, want] of CASES) {
    const r = await applyForm(page, id, op, fields);
    assert.deepEqual([...r.shown].sort(), [...ops[op]].sort(), `${op}: the fields shown`);
    assert.equal(r.status, 200, `${op}: ${JSON.stringify(r.body)}`);
    assert.deepEqual(r.sent, { op, ...want(R) }, `${op}: the request`);
    const result = r.body.results[0];
    assert.equal(result.ok, true, `${op}: ${JSON.stringify(result)}`);
    assert.equal(r.ok, 'true');
    assertDrawn(r.text, op, result);
    assert.equal(r.error, '', `${op}: nothing beside the form`);
    const timeline = await get(`/sessions/${id}/timeline`);
    assert.deepEqual(timeline.ops.at(-1).args, r.sent, `${op}: recorded as sent`);
    R[op] = result;
    if (op === 'alloc_pages') {
      // The overview's totals are the API's after the op.
      const zones = await get(`/sessions/${id}/zones`);
      await page.waitForSelector(`#overview-zones[data-seq="${zones.seq}"]`, { timeout: 5000 });
      const totals = await page.$$eval('#overview-totals tr[data-owner]', (rows) =>
        Object.fromEntries(rows.map((row) => [row.dataset.owner, Number(row.cells[1].textContent)])));
      assert.ok(Object.keys(totals).length > 3);
      for (const [owner, pages] of Object.entries(totals))
        assert.equal(pages, zones.owners[owner], `overview total of ${owner}`);
    }
    if (op === 'vmalloc') {
      // The vmalloc view lists the new area with the API's frames.
      await page.click('nav a[data-view="vmalloc"]');
      const view = await get(`/sessions/${id}/vmalloc`);
      await page.waitForSelector(`#vmalloc-table[data-seq="${view.seq}"] tr[data-addr="${result.addr}"]`, { timeout: 5000 });
      await page.click(`#vmalloc-table tr[data-addr="${result.addr}"]`);
      await page.waitForSelector(`#vmalloc-area[data-addr="${result.addr}"]`);
      assert.equal(await page.getAttribute('#vmalloc-area', 'data-pfns'), result.pfns.join(','));
      await saveScreenshot(page, '#ops-form-vmalloc');
      await page.click('nav a[data-view="overview"]');
    }
    if (op === 'kmem_cache_alloc') {
      await page.click('nav a[data-view="slabs"]');
      const slabs = await get(`/sessions/${id}/slabs`);
      await page.waitForSelector(`#slabs-table[data-seq="${slabs.seq}"] tr[data-name="formcache"]`, { timeout: 5000 });
      const cache = slabs.caches.find((c) => c.name === 'formcache');
      assert.equal(await page.textContent('#slabs-table tr[data-name="formcache"] td[data-col="active_objs"]'),
                   String(cache.active_objs));
      await page.click('nav a[data-view="overview"]');
    }
  }
  await saveScreenshot(page, '#ops-form');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a refusal, an HTTP error and an exception of the page show beside the form and in the log', async () => {
  const id = (await postJson(api('/sessions'), { machine: { mem_mib: 256 } })).body.id;
  const { page, errors } = await open('#overview', id, { width: 800, height: 600 });
  // Refused by the simulated kernel: errno and message.
  const r = await applyForm(page, id, 'ksize', { addr: '0x1' });
  const result = r.body.results[0];
  assert.equal(result.ok, false);
  assert.equal(r.ok, 'false');
  assert.equal(r.text, `ksize(addr=0x1) \u2192 ${result.errno}: ${result.message}`);
  assert.equal(r.error, r.text);
  assert.equal(await page.getAttribute('#ops-error', 'data-errno'), result.errno);
  assert.equal(await page.isVisible('#ops-error'), true);
  await saveScreenshot(page, '#ops-form-refused-800');
  // A stored session takes no ops: HTTP 409 and the API's message.
  const file = Buffer.from(await (await fetch(api(`/sessions/${id}/export`))).arrayBuffer());
  const [stored] = (await (await fetch(api('/sessions/import'), { method: 'POST', body: file })).json()).ids;
  const expected = await postJson(api(`/sessions/${stored}/ops`), { op: 'check' });
  assert.equal(expected.status, 409);
  await page.goto(`${d.url}/#overview?session=${stored}`);
  await page.waitForSelector(`#timebar[data-last-seq="${(await get(`/sessions/${stored}`)).last_seq}"]`, { timeout: 10000 });
  const h = await applyForm(page, stored, 'check', {});
  assert.equal(h.status, 409);
  assert.equal(h.text, `check() \u2192 HTTP 409 ${expected.body.error.code}: ${expected.body.error.message}`);
  assert.equal(h.error, h.text);
  // An answer the page cannot read: the exception is shown, not lost.
  await page.route(api(`/sessions/${stored}/ops`), (route) =>
    route.fulfill({ status: 200, contentType: 'application/json', body: '{"results": [' }));
  const x = await applyForm(page, stored, 'check', {});
  assert.equal(x.ok, 'false');
  assert.match(x.text, /^check\(\) \u2192 SyntaxError: /);
  assert.equal(x.error, x.text);
  // The browser itself reports the refused request; nothing else went wrong.
  assert.deepEqual(errors, ['Failed to load resource: the server responded with a status of 409 (Conflict)']);
  await page.close();
});
