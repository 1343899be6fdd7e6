// slab.test.mjs - the kernel allocators through the REST API: kmalloc, kfree,
// kmem_cache_*, vmalloc, vfree, dma_map, their views and /proc texts, ?at=
// time travel, and the contrast between kmalloc and vmalloc memory.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, getJson, createSession, applyOps } from './lib/daemon.mjs';

let d;
before(async () => { d = await startDaemon(); });
after(async () => { await d.stop(); });

const api = (path) => `${d.url}/api/v1${path}`;

const newSession = (machine = { mem_mib: 256 }, name = 'slab') => createSession(d.url, machine, name);

const ops = (id, list) => applyOps(d.url, id, list);

async function one(id, op) {
  return (await ops(id, op)).results[0];
}

async function check(id) {
  assert.deepEqual(await one(id, { op: 'check' }), { ok: true });
}

async function text(id, path) {
  const r = await fetch(api(`/sessions/${id}${path}`));
  assert.equal(r.status, 200, path);
  assert.match(r.headers.get('content-type'), /^text\/plain/);
  return r.text();
}

const cache = (view, name) => view.caches.find((c) => c.name === name);

test('kmalloc and kfree: caches by size and GFP, direct-map addresses, clear refusals', async () => {
  const id = await newSession();
  const r = (await ops(id, [
    { op: 'kmalloc', size: 64 },
    { op: 'kmalloc', size: 65, gfp: 'GFP_KERNEL' },
    { op: 'kmalloc', size: 100, gfp: 'GFP_KERNEL|GFP_DMA' },
    { op: 'kmalloc', size: 100, gfp: 'GFP_KERNEL|__GFP_RECLAIMABLE', cpu: 1 },
    { op: 'kmalloc', size: 8192 },
    { op: 'kmalloc', size: 8193 },
    { op: 'kmalloc', size: 0 },
  ])).results;
  for (const x of r) assert.equal(x.ok, true, JSON.stringify(x));
  assert.deepEqual(r.map((x) => x.cache), ['kmalloc-64', 'kmalloc-96', 'dma-kmalloc-128',
    'kmalloc-rcl-128', 'kmalloc-8k', 'kmalloc_large', 'ZERO_SIZE_PTR']);
  for (const x of r.slice(0, 6)) {
    assert.match(x.addr, /^0xffff888[0-9a-f]+$/);
    // A direct-map address: PAGE_OFFSET + the physical address.
    assert.equal(BigInt(x.addr) - 0xffff888000000000n, BigInt(x.paddr));
    assert.equal(BigInt(x.paddr) >> 12n, BigInt(x.pfn));
  }
  assert.equal(r[2].zone, 'DMA');
  assert.equal(r[5].order, 2);
  assert.equal(r[5].bytes_alloc, 16384);
  const page = await getJson(api(`/sessions/${id}/pages/${r[5].pfn}`));
  assert.equal(page.body.owner, 'kmalloc_large');
  const slabPage = await getJson(api(`/sessions/${id}/pages/${r[0].pfn}`));
  assert.equal(slabPage.body.owner, 'slab');
  assert.equal(slabPage.body.page_type, 'slab');
  assert.match(slabPage.body.kpageflags, /slab/);
  assert.equal(page.body.page_type, 'large_kmalloc');
  assert.deepEqual(await one(id, { op: 'ksize', addr: r[1].addr }), { ok: true, size: 96 });

  const bad = (await ops(id, [
    { op: 'kfree', addr: '0x1234' },
    { op: 'kfree', addr: '0xffffc90000000000' },
    { op: 'kfree', addr: `0x${(BigInt(r[0].addr) + 8n).toString(16)}` },
    { op: 'kfree', addr: `0x${(BigInt(r[5].addr) + 4096n).toString(16)}` },
    { op: 'kfree', addr: 'nonsense' },
    { op: 'kfree' },
    { op: 'kmalloc', size: -1 },
    { op: 'kmalloc', size: 10, gfp: 'GFP_BOGUS' },
    { op: 'kmalloc', size: 10, colour: 'red' },
    { op: 'kmalloc', size: 5 * 1024 * 1024 },
  ])).results;
  for (const x of bad) assert.equal(x.ok, false, JSON.stringify(x));
  assert.match(bad[0].message, /not a direct-map address/);
  assert.match(bad[1].message, /vmalloc address/);
  assert.match(bad[2].message, /not at its start/);
  assert.match(bad[3].message, /not its start/);
  assert.match(bad[4].message, /hex/);
  assert.match(bad[5].message, /addr is required/);
  assert.equal(bad[6].errno, 'EINVAL');
  assert.match(bad[7].message, /GFP_BOGUS/);
  assert.match(bad[8].message, /unknown field "colour"/);
  assert.equal(bad[9].errno, 'ENOMEM');
  await check(id);

  const freed = (await ops(id, r.map((x) => ({ op: 'kfree', addr: x.addr })))).results;
  for (const x of freed) assert.deepEqual(x, { ok: true });
  const again = await one(id, { op: 'kfree', addr: r[0].addr });
  assert.equal(again.ok, false);
  assert.equal(again.errno, 'EINVAL');
  assert.match(again.message, /double free/);
  await check(id);
});

test('kmem_cache_create / alloc / free / destroy, and the slabs view', async () => {
  const id = await newSession();
  const made = await one(id, { op: 'kmem_cache_create', name: 'lab_cache', size: 100 });
  assert.deepEqual(made, { ok: true, name: 'lab_cache', objsize: 104, object_size: 100, align: 8,
    objperslab: 39, pagesperslab: 1 });
  assert.equal((await one(id, { op: 'kmem_cache_create', name: 'lab_cache', size: 8 })).errno, 'EEXIST');
  assert.equal((await one(id, { op: 'kmem_cache_create', name: 'x', size: 8, align: 3 })).errno, 'EINVAL');
  assert.equal((await one(id, { op: 'kmem_cache_create', size: 8 })).errno, 'EINVAL');
  const objs = (await ops(id, Array.from({ length: 40 }, () => ({ op: 'kmem_cache_alloc', cache: 'lab_cache' })))).results;
  for (const o of objs) assert.equal(o.cache, 'lab_cache');
  assert.equal((await one(id, { op: 'kmem_cache_alloc', cache: 'nope' })).errno, 'ENOENT');

  const view = await getJson(api(`/sessions/${id}/slabs`));
  assert.equal(view.status, 200);
  assert.equal(view.body.caches[0].name, 'lab_cache', 'newest first, as /proc/slabinfo');
  const lc = cache(view.body, 'lab_cache');
  assert.equal(lc.num_slabs, 2);
  assert.equal(lc.num_objs, 78);
  assert.equal(lc.inuse, 40);
  for (const k of ['objsize', 'objperslab', 'pagesperslab', 'active_objs', 'num_objs', 'active_slabs', 'num_slabs', 'partial'])
    assert.equal(typeof lc[k], 'number', k);
  // The 2-CPU geometry of a real Linux 6.x.
  assert.deepEqual(['kmalloc-512', 'kmalloc-1k', 'kmalloc-8k'].map((n) => {
    const c = cache(view.body, n);
    return [c.objperslab, c.pagesperslab];
  }), [[16, 2], [16, 4], [4, 8]]);

  const busy = await one(id, { op: 'kmem_cache_destroy', cache: 'lab_cache' });
  assert.equal(busy.errno, 'EBUSY');
  assert.match(busy.message, /still has objects/);
  assert.equal((await one(id, { op: 'kmem_cache_destroy', cache: 'kmalloc-64' })).errno, 'EPERM');
  const wrongCache = await one(id, { op: 'kmem_cache_free', cache: 'kmalloc-64', addr: objs[0].addr });
  assert.equal(wrongCache.ok, false);
  assert.equal(wrongCache.errno, 'EINVAL');
  assert.match(wrongCache.message, /belongs to lab_cache, not to kmalloc-64/);
  const freed = (await ops(id, objs.map((o) => ({ op: 'kmem_cache_free', cache: 'lab_cache', addr: o.addr })))).results;
  for (const x of freed) assert.deepEqual(x, { ok: true });
  assert.deepEqual(await one(id, { op: 'kmem_cache_destroy', cache: 'lab_cache' }), { ok: true });
  assert.equal(cache((await getJson(api(`/sessions/${id}/slabs`))).body, 'lab_cache'), undefined);
  await check(id);
});

test('kmem_cache_create of a compatible size aliases an existing cache (find_mergeable(), mm/slab_common.c)', async () => {
  const id = await newSession();
  assert.equal((await one(id, { op: 'kmem_cache_create', name: 'lab_a', size: 100 })).name, 'lab_a');
  const b = await one(id, { op: 'kmem_cache_create', name: 'lab_b', size: 104 });
  assert.equal(b.name, 'lab_b');
  assert.equal(b.merged_into, 'lab_a');
  assert.equal(b.object_size, 104);
  // Hardened usercopy keeps the kmalloc caches out of it: 64 bytes get a cache of their own.
  const c = await one(id, { op: 'kmem_cache_create', name: 'lab_c', size: 64 });
  assert.equal(c.merged_into, undefined);
  const o = await one(id, { op: 'kmem_cache_alloc', cache: 'lab_b' });
  assert.equal(o.cache, 'lab_a');
  const view = (await getJson(api(`/sessions/${id}/slabs`))).body;
  assert.deepEqual([cache(view, 'lab_a').aliases, cache(view, 'lab_a').refcount], [['lab_b'], 2]);
  assert.deepEqual(cache(view, 'kmalloc-64').aliases, []);
  // CONFIG_SLUB_CPU_PARTIAL: set_cpu_partial() gives small objects 120, as slabs half full
  assert.deepEqual([cache(view, 'kmalloc-64').cpu_partial, cache(view, 'kmalloc-64').cpu_partial_slabs], [0, 4]);
  assert.equal(cache(view, 'lab_b'), undefined, 'an alias is no cache of its own');
  assert.deepEqual(await one(id, { op: 'kmem_cache_free', cache: 'lab_b', addr: o.addr }), { ok: true });
  assert.deepEqual(await one(id, { op: 'kmem_cache_destroy', cache: 'lab_a' }), { ok: true });
  assert.equal(cache((await getJson(api(`/sessions/${id}/slabs`))).body, 'lab_a').refcount, 1);
  assert.deepEqual(await one(id, { op: 'kmem_cache_destroy', cache: 'lab_b' }), { ok: true });
  assert.equal(cache((await getJson(api(`/sessions/${id}/slabs`))).body, 'lab_a'), undefined);
  // __GFP_ACCOUNT: kmalloc_caches[KMALLOC_CGROUP] (kmalloc_type(), include/linux/slab.h)
  assert.equal((await one(id, { op: 'kmalloc', size: 50, gfp: 'GFP_KERNEL_ACCOUNT' })).cache, 'kmalloc-cg-64');
  await check(id);
});

test('/proc/slabinfo is slabtop-readable, and ?at= shows the past', async () => {
  const id = await newSession();
  const first = await ops(id, Array.from({ length: 100 }, () => ({ op: 'kmalloc', size: 32 })));
  const mid = first.last_seq;
  await ops(id, Array.from({ length: 200 }, () => ({ op: 'kmalloc', size: 32 })));
  const now = await text(id, '/proc/slabinfo');
  const lines = now.trimEnd().split('\n');
  assert.equal(lines[0], 'slabinfo - version: 2.1');
  assert.equal(lines[1], '# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>');
  const re = /^(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+) : tunables\s+0\s+0\s+0 : slabdata\s+(\d+)\s+(\d+)\s+0$/;
  const rows = Object.fromEntries(lines.slice(2).map((l) => {
    const m = re.exec(l);
    assert.ok(m, l);
    return [m[1], m.slice(2).map(Number)];
  }));
  assert.deepEqual(rows['kmalloc-32'], [384, 384, 32, 128, 1, 3, 3]);
  assert.equal(lines.at(-1).split(/\s+/)[0], 'kmalloc-8', 'the oldest cache last');
  const past = await text(id, `/proc/slabinfo?at=${mid}`);
  assert.match(past, /\nkmalloc-32\s+128\s+128\s+32\s+128\s+1 /);
  const pastView = await getJson(api(`/sessions/${id}/slabs?at=${mid}`));
  assert.equal(pastView.body.seq, mid);
  assert.equal(cache(pastView.body, 'kmalloc-32').inuse, 100);
  assert.equal((await getJson(api(`/sessions/${id}/slabs?at=zz`))).status, 400);
  assert.equal((await getJson(api(`/sessions/${id}/slabs?at=99999999`))).status, 400);
  assert.equal((await getJson(api('/sessions/424242/slabs'))).status, 404);
  assert.equal((await getJson(api(`/sessions/${id}/slabs`), { method: 'POST', body: '{}' })).status, 405);
  const verify = await getJson(api(`/sessions/${id}/verify`));
  assert.equal(verify.body.ok, true, JSON.stringify(verify.body));
});

test('vmalloc and vfree: guard pages, scattered frames, the vmalloc view and /proc/vmallocinfo', async () => {
  const id = await newSession();
  // Ragged free memory: every other page of a run goes back first.
  const held = (await ops(id, Array.from({ length: 8 }, () => ({ op: 'alloc_pages', order: 0 })))).results;
  await ops(id, held.filter((_, i) => i % 2 === 0).map((p) => ({ op: 'free_pages', pfn: p.pfn })));
  const before = cache((await getJson(api(`/sessions/${id}/slabs`))).body, 'kmalloc-96').inuse;
  const a = await one(id, { op: 'vmalloc', size: 5 * 4096 });
  const b = await one(id, { op: 'vmalloc', size: 1, caller: 'lab_driver_probe+0x2a/0x90' });
  assert.equal(a.ok, true, JSON.stringify(a));
  assert.equal(a.addr, '0xffffc90000000000');
  assert.equal(a.nr_pages, 5);
  assert.equal(a.size, 6 * 4096, 'five pages and the guard page');
  assert.equal(b.addr, '0xffffc90000006000', 'the lowest free range after the guard page');
  assert.equal(a.pfns.length, 5);
  assert.ok(a.pfns.some((p, i) => i && p !== a.pfns[i - 1] + 1), `scattered: ${a.pfns}`);
  assert.equal(cache((await getJson(api(`/sessions/${id}/slabs`))).body, 'kmalloc-96').inuse, before + 2,
    'each vm_struct (72 bytes) is a kmalloc-96 object');
  const walked = await one(id, { op: 'vmalloc_to_page', addr: '0xffffc90000002010' });
  assert.deepEqual(walked, { ok: true, pfn: a.pfns[2], paddr: `0x${(a.pfns[2] * 4096 + 16).toString(16)}` });
  assert.equal((await one(id, { op: 'vmalloc_to_page', addr: '0xffffc90000005000' })).errno, 'EFAULT', 'guard page');

  const view = await getJson(api(`/sessions/${id}/vmalloc`));
  assert.equal(view.status, 200);
  assert.deepEqual(view.body.areas.map((x) => [x.addr, x.size, x.nr_pages]),
    [['0xffffc90000000000', 24576, 5], ['0xffffc90000006000', 8192, 1]]);
  assert.deepEqual(view.body.areas[0].pfns, a.pfns);
  assert.equal(view.body.areas[1].caller, 'lab_driver_probe+0x2a/0x90');
  const info = await text(id, '/proc/vmallocinfo');
  // CONFIG_NUMA (as distributions build): the pages each node gave, show_numa_info()
  assert.match(info, /^0xffffc90000000000-0xffffc90000006000   24576 \S+ pages=5 vmalloc N0=5\n0xffffc90000006000-0xffffc90000008000    8192 lab_driver_probe\+0x2a\/0x90 pages=1 vmalloc N0=1\n$/);
  const seqWithBoth = (await ops(id, { op: 'check' })).last_seq;

  const bad = (await ops(id, [
    { op: 'vfree', addr: '0xffffc90000001000' },
    { op: 'vfree', addr: '0xffffc90000100000' },
    { op: 'vmalloc', size: 0 },
    { op: 'vmalloc', size: 4096, caller: 'has spaces' },
    { op: 'vmalloc' },
  ])).results;
  for (const x of bad) assert.equal(x.ok, false, JSON.stringify(x));
  assert.match(bad[0].message, /not its start/);
  assert.match(bad[1].message, /nonexistent vm area/);

  assert.deepEqual(await one(id, { op: 'vfree', addr: a.addr }), { ok: true });
  for (const pfn of a.pfns) {
    const p = await getJson(api(`/sessions/${id}/pages/${pfn}`));
    assert.ok(['free', 'pcp'].includes(p.body.owner), `${pfn} is ${p.body.owner}`);
  }
  const after = await getJson(api(`/sessions/${id}/vmalloc`));
  assert.equal(after.body.areas.length, 1);
  // vfree is lazy: the range stays, unpurged, after the live areas
  assert.match(await text(id, '/proc/vmallocinfo'),
    /^0xffffc90000006000-\S+ +8192 .*\n0xffffc90000000000-0xffffc90000006000   24576 unpurged vm_area\n$/);
  assert.deepEqual(after.body.lazy.areas.map((l) => [l.addr, l.size]), [['0xffffc90000000000', 24576]]);
  assert.equal(after.body.lazy.vmap_lazy_nr, 6);
  const past = await getJson(api(`/sessions/${id}/vmalloc?at=${seqWithBoth}`));
  assert.equal(past.body.areas.length, 2);
  assert.match(await text(id, `/proc/vmallocinfo?at=${seqWithBoth}`), /pages=5 vmalloc/);
  await check(id);
  const events = await getJson(api(`/sessions/${id}/events?type=vmap_page&limit=100`));
  assert.equal(events.status, 200);
  const verify = await getJson(api(`/sessions/${id}/verify`));
  assert.equal(verify.body.ok, true, JSON.stringify(verify.body));
});

test('kmalloc memory is physically contiguous, vmalloc memory only virtually: __pa and dma_map tell them apart', async () => {
  const id = await newSession({ mem_mib: 256 });
  await ops(id, Array.from({ length: 6 }, () => ({ op: 'alloc_pages', order: 0 })));
  const held = (await ops(id, Array.from({ length: 6 }, () => ({ op: 'alloc_pages', order: 0 })))).results;
  await ops(id, held.filter((_, i) => i % 2 === 0).map((p) => ({ op: 'free_pages', pfn: p.pfn })));
  const k = await one(id, { op: 'kmalloc', size: 16384 });	// kmalloc_large: four frames in a row
  const v = await one(id, { op: 'vmalloc', size: 16384 });
  const low = await one(id, { op: 'kmalloc', size: 512, gfp: 'GFP_KERNEL|GFP_DMA' });
  const normal = await one(id, { op: 'kmalloc', size: 512 });

  // __pa() works on the direct map and is the kmalloc result's paddr.
  const pa = await one(id, { op: 'virt_to_phys', addr: k.addr });
  assert.equal(pa.ok, true, JSON.stringify(pa));
  assert.equal(BigInt(pa.paddr), BigInt(k.paddr));
  // ... and a wrong number on a vmalloc address (no CONFIG_DEBUG_VIRTUAL), which says so.
  const vpa = await one(id, { op: 'virt_to_phys', addr: v.addr });
  assert.equal(vpa.ok, true);
  assert.equal(vpa.wrong, true);
  assert.equal(BigInt(v.addr) - BigInt(vpa.paddr), 0xffff888000000000n);
  assert.match(vpa.why, /vmalloc address, not in the direct map/);
  // The vmalloc pages are not neighbours in physical memory.
  assert.ok(v.pfns.some((p, i) => i && p !== v.pfns[i - 1] + 1), `${v.pfns}`);

  const maps = (await ops(id, [
    { op: 'dma_map', addr: k.addr, length: 16384 },
    { op: 'dma_map', addr: v.addr, length: 16384 },
    { op: 'dma_map', addr: normal.addr, length: 512, device_mask_bits: 24 },
    { op: 'dma_map', addr: low.addr, length: 512, device_mask_bits: 24 },
    { op: 'dma_map', addr: '0x1000', length: 16 },
    { op: 'dma_map', addr: k.addr, length: 0 },
    { op: 'dma_map', addr: k.addr, length: 16, device_mask_bits: 65 },
  ])).results;
  assert.deepEqual(maps[0], { ok: true, dma_addr: k.paddr, device_mask_bits: 64, paddr: k.paddr,
                              bounced: false, dir: 'DMA_BIDIRECTIONAL' });
  // dma_map_single_attrs() refuses every vmalloc address.
  assert.equal(maps[1].errno, 'EINVAL');
  assert.match(maps[1].message, /rejecting DMA map of vmalloc memory/);
  assert.equal(maps[2].errno, 'EIO');
  assert.match(maps[2].message, /GFP_DMA/);
  assert.deepEqual(maps[3], { ok: true, dma_addr: low.paddr, device_mask_bits: 24, paddr: low.paddr,
                              bounced: false, dir: 'DMA_BIDIRECTIONAL' });
  assert.ok(BigInt(low.paddr) < 16n << 20n);
  assert.equal(maps[4].errno, 'EFAULT');
  assert.equal(maps[5].errno, 'EINVAL');
  assert.equal(maps[6].errno, 'EINVAL');
  const ev = await getJson(api(`/sessions/${id}/events?type=dma_map&limit=10`));
  assert.equal(ev.status, 200);
  const details = ev.body.events.map((e) => e.detail);
  assert.deepEqual(details.slice(0, 5), ['accepted', 'vmalloc memory', 'above the DMA mask', 'accepted', 'not mapped']);
  await check(id);
});
