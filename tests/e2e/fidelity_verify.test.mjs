// fidelity_verify.test.mjs - the state 6.18 fidelity added replays exactly: a
// swiotlb bounce (swiotlb_tbl_map_single() / swiotlb_tbl_unmap_single(),
// kernel/dma/swiotlb.c), a cache merged into another (find_mergeable(),
// mm/slab_common.c) and a read fault on the shared zero page followed by a
// write that copies it (do_anonymous_page() then wp_page_copy(), mm/memory.c).
// For each: verify re-executes the session to the same events, every view at a
// past seq is what it was live, and a fork at that seq goes on as the original did.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, getJson, postJson, apiOf, createSession, applyOps } from './lib/daemon.mjs';

let d;
const { api, get } = apiOf(() => d.url);

before(async () => { d = await startDaemon(); });
after(async () => { await d.stop(); });

const VIEWS = ['/proc/meminfo', '/proc/vmstat', '/proc/slabinfo', '/proc/buddyinfo', '/slabs', '/processes', '/zones'];

async function views(id, at) {
  const out = {};
  for (const v of VIEWS) {
    const r = await getJson(api(`/sessions/${id}${v}${at === undefined ? '' : `?at=${at}`}`));
    assert.equal(r.status, 200, `${v}: ${JSON.stringify(r.body)}`);
    out[v] = r.body;
  }
  return out;
}

async function allEvents(id, since) {
  const out = [];
  for (;;) {
    const r = await get(`/sessions/${id}/events?since=${since}&limit=10000`);
    if (!r.events.length) return out;
    out.push(...r.events);
    since = r.next_since;
  }
}

// Apply @first, then @rest (or what @rest(results of @first) gives), to a new
// session of @machine. Checks that verify
// is exact, that the views at the seq between the two are what they were
// live, and that a fork at that seq, given @rest again, answers the same
// results and events and ends in the same views. Returns both halves' results.
async function replaysExactly(machine, name, first, rest) {
  const id = await createSession(d.url, machine, name);
  const a = await applyOps(d.url, id, first);
  const mid = a.last_seq;
  const liveMid = await views(id);
  if (typeof rest === 'function')
    rest = rest(a.results);
  const b = await applyOps(d.url, id, rest);
  const liveEnd = await views(id);

  const v = await get(`/sessions/${id}/verify`);
  assert.deepEqual(v, { ok: true, events: b.last_seq, ops: first.length + rest.length }, `${name}: verify`);
  assert.deepEqual(await views(id, mid), liveMid, `${name}: the views at seq ${mid}`);

  const f = await postJson(api(`/sessions/${id}/fork`), { at: mid, name: `${name}-fork` });
  assert.equal(f.status, 201, JSON.stringify(f.body));
  assert.equal(f.body.at, mid);
  const fork = f.body.id;
  assert.deepEqual(await views(fork), liveMid, `${name}: the fork at seq ${mid}`);
  const again = await applyOps(d.url, fork, rest);
  assert.deepEqual(again.results, b.results, `${name}: the fork's results`);
  assert.equal(again.last_seq, b.last_seq);
  assert.deepEqual(await allEvents(fork, mid), await allEvents(id, mid), `${name}: the fork's events`);
  assert.deepEqual(await views(fork), liveEnd, `${name}: the fork's views`);
  assert.deepEqual(await applyOps(d.url, fork, { op: 'check' }), await applyOps(d.url, id, { op: 'check' }));
  assert.equal((await get(`/sessions/${fork}/verify`)).ok, true);
  return { id, fork, a: a.results, b: b.results };
}

test('a swiotlb bounce replays exactly: the slots it holds at a past seq, and the copy back at unmap', async () => {
  // 4 GiB of RAM reaches above 4 GiB (the PCI hole), so a 32-bit device
  // bounces a GFP_KERNEL buffer from ZONE_NORMAL through the pool below 4 GiB.
  const first = [
    { op: 'kmalloc', size: 4096, gfp: 'GFP_KERNEL' },
    { op: 'dma_map', addr: '$0.addr', length: 4096, device_mask_bits: 32, dir: 'DMA_FROM_DEVICE' },
  ];
  const { a, b } = await replaysExactly({ mem_mib: 4096 }, 'bounce', first, (a) => [
    // the first mapping still holds its slots (the fork's unmap of it finds them)
    { op: 'kmalloc', size: 4096, gfp: 'GFP_KERNEL' },
    { op: 'dma_map', addr: '$0.addr', length: 4096, device_mask_bits: 32, dir: 'DMA_BIDIRECTIONAL' },
    { op: 'dma_unmap', dma_addr: a[1].dma_addr, length: 4096, dir: 'DMA_FROM_DEVICE' },
    { op: 'dma_unmap', dma_addr: '$1.dma_addr', length: 4096, dir: 'DMA_BIDIRECTIONAL' },
  ]);
  assert.equal(a[1].bounced, true, JSON.stringify(a[1]));
  assert.ok(BigInt(a[0].paddr) >= 1n << 32n, 'the buffer lies above the device\'s reach');
  assert.ok(BigInt(a[1].dma_addr) < 1n << 32n, 'the bounce buffer lies below 4 GiB');
  assert.equal(b[1].bounced, true);
  assert.equal(b[1].swiotlb_slots.first, a[1].swiotlb_slots.first + a[1].swiotlb_slots.count,
               'the area\'s cursor stands past the slots the first mapping took');
  assert.deepEqual([b[2].bounced, b[2].copied_back], [true, 4096]);
  assert.deepEqual([b[3].bounced, b[3].copied_back], [true, 4096]);
});

test('a merged cache replays exactly: the alias, its objects served by the cache it aliases', async () => {
  const { id, b } = await replaysExactly({ mem_mib: 256 }, 'merge', [
    { op: 'kmem_cache_create', name: 'lab_a', size: 100 },
    { op: 'kmem_cache_create', name: 'lab_b', size: 104 },
  ], [
    { op: 'kmem_cache_alloc', cache: 'lab_b' },
    { op: 'kmem_cache_alloc', cache: 'lab_a' },
    { op: 'kmem_cache_free', cache: 'lab_b', addr: '$0.addr' },
    { op: 'kmem_cache_destroy', cache: 'lab_a' },
    { op: 'kmem_cache_alloc', cache: 'lab_b' },
  ]);
  assert.equal(b[0].cache, 'lab_a', JSON.stringify(b[0]));
  // An alias made and dropped has an event of its own, or a view at its seq would not know it.
  const slab = (await allEvents(id, 0)).filter((e) => e.op > 0 && /^cache_/.test(e.type))
    .map((e) => [e.type, e.detail]);
  assert.deepEqual(slab, [['cache_create', 'lab_a'], ['cache_create', 'lab_b (alias of lab_a)'],
                          ['cache_destroy', 'lab_a (its aliases keep it)']]);
  assert.equal(b[4].cache, 'lab_a', 'the alias keeps the merged cache alive');
});

test('a read fault on the zero page and the write that copies it replay exactly', async () => {
  const first = [
    { op: 'spawn', name: 'reader' },
    { op: 'mmap', pid: '$0.pid', length: 4 * 4096, prot: 'rw-' },
    { op: 'touch', pid: '$0.pid', addr: '$1.addr', length: 4 * 4096, access: 'read' },
  ];
  const { id } = await replaysExactly({ mem_mib: 256 }, 'zero', first, (a) => [
    { op: 'touch', pid: a[0].pid, addr: a[1].addr, length: 2 * 4096, access: 'write' },
    { op: 'translate', pid: a[0].pid, vaddr: a[1].addr, access: 'read' },
  ]);
  const at = async (seq) => (await get(`/sessions/${id}/processes?at=${seq}`)).processes[0];
  const tl = (await get(`/sessions/${id}/timeline`)).ops;
  const read = await at(tl[2].last_seq), written = await at(tl[3].last_seq);
  assert.deepEqual([read.rss_anon, read.zero_ptes], [0, 4], 'a read fault maps the zero page, allocates nothing');
  assert.deepEqual([written.rss_anon, written.zero_ptes], [2, 2], 'a write copies it');
});
