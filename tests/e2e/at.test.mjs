// at.test.mjs - the past through the state views: ?at=SEQ on pages, physmap,
// buddy/blocks, the extfrag indexes and vtop gives exactly what the same view
// said live at SEQ, after the machine has moved on; and a seq inside an op
// gives the machine part-way through that op, not at its end.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, apiOf, createSession, applyOps } from './lib/daemon.mjs';

let d;
const { api, get } = apiOf(() => d.url);

before(async () => { d = await startDaemon(); });
after(async () => { await d?.stop(); });

async function raw(path) {
  const r = await fetch(api(path));
  assert.equal(r.status, 200, `${path}: ${r.status}`);
  const type = r.headers.get('content-type');
  return type.includes('json') ? JSON.stringify(await r.json())
    : type.includes('octet-stream') ? Buffer.from(await r.arrayBuffer()).toString('hex') : await r.text();
}

const withAt = (path, seq) => `${path}${path.includes('?') ? '&' : '?'}at=${seq}`;

test('?at= on pages, physmap, buddy/blocks, extfrag and vtop gives the state of that seq', async () => {
  const id = await createSession(d.url, { mem_mib: 256 }, 'at-views');
  const first = (await applyOps(d.url, id, [
    { op: 'alloc_pages', gfp: 'GFP_DMA32', order: 3 },
    { op: 'vmalloc', size: 3 * 4096 },
  ])).results;
  assert.ok(first.every((r) => r.ok), JSON.stringify(first));
  const [block, area] = first;
  const seq = (await get(`/sessions/${id}`)).last_seq;
  const paths = [
    `/sessions/${id}/pages/${block.pfn}`,
    `/sessions/${id}/pages?start=${block.pfn}&count=16`,
    `/sessions/${id}/physmap?start=${block.pfn - 64}&count=256`,
    `/sessions/${id}/buddy/blocks?zone=DMA32&node=0`,
    `/sessions/${id}/debug/extfrag/unusable_index`,
    `/sessions/${id}/debug/extfrag/extfrag_index`,
    `/sessions/${id}/debug/vtop?vaddr=0x${(BigInt(area.addr) + 4096n).toString(16)}`,
  ];
  const then = {};
  for (const p of paths)
    then[p] = await raw(p);
  // The machine moves on: the block and the area go, a workload churns.
  const later = (await applyOps(d.url, id, [
    { op: 'free_pages', pfn: block.pfn, order: 3 },
    { op: 'vfree', addr: area.addr },
    { op: 'workload', kind: 'random', count: 300, seed: 5 },
  ])).results;
  assert.ok(later.every((r) => r.ok), JSON.stringify(later));
  // A replay to the end of a later op first: the boundary it leaves is after
  // seq, and a seek to seq must not start from it.
  const ops = (await get(`/sessions/${id}/timeline`)).ops;
  const laterEnd = ops.at(-2).last_seq;
  assert.ok(laterEnd > seq);
  await raw(withAt(paths[3], laterEnd));
  let changed = 0;
  for (const p of paths) {
    const now = await raw(p);
    changed += now !== then[p];
    assert.equal(await raw(withAt(p, seq)), then[p], `${p} at ${seq}`);
  }
  assert.ok(changed >= 5, `${changed} of ${paths.length} views changed since, or the test proves little`);
  // A seq beyond the session's end is refused.
  const bad = await fetch(api(withAt(paths[0], seq + 1e9)));
  assert.equal(bad.status, 400);
  assert.equal((await bad.json()).error.code, 'ERANGE');
});

test('a seq inside an op shows the machine part-way through it', async () => {
  const id = await createSession(d.url, { mem_mib: 256, pcp: false }, 'at-mid-op');
  const r = await applyOps(d.url, id, { op: 'alloc_pages', gfp: 'GFP_DMA32', order: 0 });
  assert.equal(r.results[0].ok, true);
  const pfn = r.results[0].pfn;
  const { events } = await get(`/sessions/${id}/events?since=${r.first_seq}&limit=1000`);
  const inOp = events.filter((e) => e.seq >= r.first_seq && e.seq <= r.last_seq);
  const alloc = inOp.find((e) => e.type === 'mm_page_alloc');
  assert.ok(alloc, JSON.stringify(inOp.map((e) => e.type)));
  const splits = inOp.filter((e) => e.type === 'buddy_split');
  assert.ok(splits.length > 0 && splits.every((e) => e.seq < alloc.seq),
    `the block is split before it is handed out: ${JSON.stringify(inOp.map((e) => [e.seq, e.type]))}`);
  // Just before mm_page_alloc the page is still free; at it, it is allocated.
  const before = await get(`/sessions/${id}/pages/${pfn}?at=${alloc.seq - 1}`);
  const at = await get(`/sessions/${id}/pages/${pfn}?at=${alloc.seq}`);
  assert.equal(before.owner, 'free', JSON.stringify(before));
  assert.notEqual(at.owner, 'free', JSON.stringify(at));
  // After the first split, the zone has one more free block of the split's order than before the op.
  const o = splits[0].order;
  const zonesBefore = await get(`/sessions/${id}/zones?at=${r.first_seq - 1}`);
  const zonesMid = await get(`/sessions/${id}/zones?at=${splits[0].seq}`);
  const dma32 = (v) => v.zones.find((z) => z.name === 'DMA32');
  assert.equal(dma32(zonesMid).nr_free[o], dma32(zonesBefore).nr_free[o] + 1, `order ${o} after the first split`);
});
