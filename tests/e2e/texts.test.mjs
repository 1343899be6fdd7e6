// texts.test.mjs - what the scenarios, the tutorial and the page's captions
// teach must be Linux 6.18: every kernel name they use is one that 6.18 has
// (tests/data/kernel-names-6.18.txt, each entry checked against the 6.18
// tree), and the zones scenario's claim about lowmem_reserve holds on its own
// machine (__zone_watermark_ok() in mm/page_alloc.c adds
// z->lowmem_reserve[highest_zoneidx] to the mark).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, createSession, applyOps, getJson, top } from './lib/daemon.mjs';

const read = (...p) => readFileSync(join(top, ...p), 'utf8');

// Every string of a JSON value.
function* strings(v) {
  if (typeof v === 'string') yield v;
  else if (Array.isArray(v)) for (const x of v) yield* strings(x);
  else if (v && typeof v === 'object') for (const x of Object.values(v)) yield* strings(x);
}

// The texts a person reads: file -> text (for scripts, their string literals only).
function texts() {
  const out = {};
  for (const f of readdirSync(join(top, 'scenarios')).filter((f) => f.endsWith('.json')))
    out[`scenarios/${f}`] = [...strings(JSON.parse(read('scenarios', f)))].join(' ');
  out['docs/tutorial.md'] = read('docs', 'tutorial.md');
  out['web/index.html'] = read('web', 'index.html');
  for (const f of readdirSync(join(top, 'web', 'js')).filter((f) => f.endsWith('.js')))
    out[`web/js/${f}`] = (read('web', 'js', f).match(/'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`|"(?:[^"\\\n]|\\.)*"/g) || []).join(' ');
  return out;
}

// The kernel-looking names of a text: name() and __name.
// A method of a script (x.toUpperCase()) is no kernel name.
const NAME = /(?<![.A-Za-z0-9_])([A-Za-z_][A-Za-z0-9_]*)\(\)|(?<![A-Za-z0-9_])(__[a-z][a-z0-9_]+)/g;

const allowed = new Set(read('tests', 'data', 'kernel-names-6.18.txt').split('\n')
  .filter((l) => l && !l.startsWith('#')).map((l) => l.split('\t')[0]));

test('the texts name only functions that exist in Linux 6.18', () => {
  assert.ok(!allowed.has('__rmqueue_fallback'), 'gone since 6.15: __rmqueue_claim/__rmqueue_steal');
  const unknown = [];
  let seen = 0;
  for (const [file, text] of Object.entries(texts()))
    for (const m of text.matchAll(NAME)) {
      seen++;
      const name = m[1] || m[2];
      if (!allowed.has(name)) unknown.push(`${file}: ${name}`);
    }
  assert.ok(seen > 10, 'the scan finds the names the texts use');
  assert.deepEqual(unknown, [], 'names not checked against 6.18 (tests/data/kernel-names-6.18.txt)');
});

test('the scan catches a name 6.18 does not have', () => {
  const found = [...'when a type runs out, __rmqueue_fallback steals; then free_unref_page() frees'
    .matchAll(NAME)].map((m) => m[1] || m[2]);
  assert.deepEqual(found, ['__rmqueue_fallback', 'free_unref_page']);
  assert.ok(found.every((n) => !allowed.has(n)));
});

let d;
before(async () => { d = await startDaemon(); });
after(async () => { await d?.stop(); });

test('zones scenario: on its machine lowmem_reserve keeps GFP_KERNEL out of ZONE_DMA', async () => {
  const scenario = JSON.parse(read('scenarios', 'zones.json'));
  const id = await createSession(d.url, scenario.machine, 'zones-proof');
  const zones = async () => (await getJson(`${d.url}/api/v1/sessions/${id}/zones`)).body.zones;
  const [dma] = await zones();
  assert.equal(dma.name, 'DMA');
  // The numbers the explanation quotes are the machine's.
  assert.match(scenario.explanation,
               new RegExp(`ZONE_DMA has ${dma.managed} managed pages and a reserve of ${dma.lowmem_reserve[2]} pages against Normal`));
  assert.match(scenario.explanation, new RegExp(`against DMA32 requests the reserve is ${dma.lowmem_reserve[1]} pages`));
  assert.ok(dma.lowmem_reserve[2] + dma.watermarks.min > dma.managed, 'a Normal request can never pass');
  assert.doesNotMatch(scenario.explanation, /GFP_KERNEL prefers Normal but may take DMA32 or DMA/);
  // Take every page GFP_KERNEL can get: none of them comes from ZONE_DMA.
  const { results } = await applyOps(d.url, id, [
    { op: 'workload', kind: 'exhaust', gfp: 'GFP_KERNEL', order: 10, count: 100000 },
    { op: 'workload', kind: 'exhaust', gfp: 'GFP_KERNEL', order: 0, count: 1000000 }]);
  assert.equal(results[1].exhausted, true);
  const after = await zones();
  assert.equal(after[0].free, dma.managed, 'ZONE_DMA untouched');
  assert.ok(after[1].free < after[1].watermarks.min + after[1].lowmem_reserve[2] + 1, 'DMA32 is at its floor');
  // GFP_DMA32 may take DMA pages, down to its own reserve above the mark.
  const r = await applyOps(d.url, id, [{ op: 'workload', kind: 'exhaust', gfp: 'GFP_DMA32', order: 0, count: 100000 }]);
  assert.ok(r.results[0].blocks_taken > 0);
  const dma2 = (await zones())[0];
  assert.ok(dma2.free < dma.managed && dma2.free <= dma.lowmem_reserve[1] + dma.watermarks.low + 1, JSON.stringify(dma2.free));
});
