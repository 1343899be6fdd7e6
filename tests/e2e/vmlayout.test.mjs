// vmlayout.test.mjs - GET /api/v1/sessions/{id}/vmlayout: the x86-64 layout's
// regions for 4- and 5-level machines, and the page sizes that map each, as
// other views of the same machine count them (meminfo's DirectMap lines,
// the vmalloc areas' pages, a process's resident pages), now and at ?at=.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, getJson, postJson, apiOf } from './lib/daemon.mjs';

let d;
const { api, get } = apiOf(() => d.url);
const apply = async (id, list) => {
  const r = await postJson(api(`/sessions/${id}/ops`), list);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  for (const x of r.body.results) assert.equal(x.ok, true, JSON.stringify(x));
  return r.body;
};
const create = async (machine) => {
  const r = await postJson(api('/sessions'), { name: `vm${Math.random()}`, machine });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.id;
};
const region = (layout, name) => layout.regions.find((r) => r.name === name);
const meminfoKb = (text, key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)[1]);

before(async () => { d = await startDaemon(); });
after(async () => { await d?.stop(); });

const NAMES = ['user', 'non_canonical', 'hypervisor_hole', 'ldt_remap', 'direct_map', 'vmalloc',
  'vmemmap', 'cpu_entry_area', 'espfix', 'efi', 'kernel_text', 'modules', 'fixmap'];

test('4-level layout: the regions of mm.rst, in order, disjoint, at their bases', async () => {
  const l = await get('/sessions/1/vmlayout');
  assert.equal(l.paging_levels, 4);
  assert.deepEqual(l.regions.map((r) => r.name), NAMES);
  for (let i = 0; i < l.regions.length; i++) {
    const r = l.regions[i];
    assert.ok(BigInt(r.start) < BigInt(r.end), r.name);
    if (i) assert.ok(BigInt(l.regions[i - 1].end) <= BigInt(r.start), `${r.name} overlaps`);
  }
  const at = (n) => [region(l, n).start, region(l, n).end];
  assert.deepEqual(at('user'), ['0x0', '0x7ffffffff000']);
  assert.deepEqual(at('non_canonical'), ['0x800000000000', '0xffff800000000000']);
  assert.deepEqual(at('direct_map'), ['0xffff888000000000', '0xffffc88000000000']);
  assert.deepEqual(at('vmalloc'), ['0xffffc90000000000', '0xffffe90000000000']);
  assert.deepEqual(at('vmemmap'), ['0xffffea0000000000', '0xffffeb0000000000']);
  assert.deepEqual(at('cpu_entry_area'), ['0xfffffe0000000000', '0xfffffe8000000000']);
  assert.equal(region(l, 'kernel_text').start, '0xffffffff80000000');
  assert.equal(region(l, 'fixmap').end, '0xffffffffff7ff000');
});

test('the direct map is mapped by the page sizes meminfo counts, the kernel image by 2M', async () => {
  const l = await get('/sessions/1/vmlayout');
  const mi = await (await fetch(api('/sessions/1/proc/meminfo'))).text();
  const dm = region(l, 'direct_map');
  assert.deepEqual(dm.page_sizes, ['4K', '2M', '1G']);
  assert.equal(dm.mapped_bytes['4K'], meminfoKb(mi, 'DirectMap4k') * 1024);
  assert.equal(dm.mapped_bytes['2M'], meminfoKb(mi, 'DirectMap2M') * 1024);
  assert.equal(dm.mapped_bytes['1G'], meminfoKb(mi, 'DirectMap1G') * 1024);
  assert.deepEqual(region(l, 'kernel_text').page_sizes, ['2M']);
  assert.deepEqual(region(l, 'user').page_sizes, []);
  assert.deepEqual(region(l, 'non_canonical').page_sizes, []);
});

test('without gbpages the direct map has no 1G leaf', async () => {
  const id = await create({ mem_mib: 4096, gbpages: false });
  const dm = region(await get(`/sessions/${id}/vmlayout`), 'direct_map');
  assert.ok(!dm.page_sizes.includes('1G'), JSON.stringify(dm));
  assert.ok(dm.page_sizes.includes('2M'));
});

test('vmalloc and user pages appear as 4K leaves, and ?at= shows the layout before them', async () => {
  const id = await create({ mem_mib: 512 });
  const before = (await get(`/sessions/${id}`)).last_seq;
  assert.deepEqual(region(await get(`/sessions/${id}/vmlayout`), 'vmalloc').page_sizes, []);
  const pid = (await apply(id, [{ op: 'spawn', name: 'a' }])).results[0].pid;
  const addr = (await apply(id, [{ op: 'mmap', pid, length: 65536 }])).results[0].addr;
  await apply(id, [{ op: 'vmalloc', size: 40000 }, { op: 'vmalloc', size: 5000 },
    { op: 'touch', pid, addr, length: 12288 }]);
  const l = await get(`/sessions/${id}/vmlayout`);
  const areas = (await get(`/sessions/${id}/vmalloc`)).areas;
  const pages = areas.reduce((n, a) => n + a.nr_pages, 0);
  assert.ok(pages >= 12);
  assert.deepEqual(region(l, 'vmalloc').page_sizes, ['4K']);
  assert.equal(region(l, 'vmalloc').mapped_bytes['4K'], pages * 4096);
  const proc = (await get(`/sessions/${id}/processes`)).processes.find((p) => p.pid === pid);
  assert.equal(proc.rss, 3);
  assert.deepEqual(region(l, 'user').page_sizes, ['4K']);
  assert.equal(region(l, 'user').mapped_bytes['4K'], proc.rss * 4096);
  const past = await get(`/sessions/${id}/vmlayout?at=${before}`);
  assert.equal(past.seq, before);
  assert.deepEqual(region(past, 'vmalloc').page_sizes, []);
  assert.deepEqual(region(past, 'user').page_sizes, []);
});

test('5-level layout: 56-bit user space and the kernel regions moved down', async () => {
  const id = await create({ mem_mib: 256, paging_levels: 5 });
  const l = await get(`/sessions/${id}/vmlayout`);
  assert.equal(l.paging_levels, 5);
  assert.deepEqual(l.regions.map((r) => r.name), NAMES);
  assert.equal(region(l, 'user').end, '0xfffffffffff000');
  assert.deepEqual([region(l, 'non_canonical').start, region(l, 'non_canonical').end],
    ['0x100000000000000', '0xff00000000000000']);
  assert.deepEqual([region(l, 'direct_map').start, region(l, 'direct_map').end],
    ['0xff11000000000000', '0xff91000000000000']);
  assert.equal(region(l, 'vmalloc').start, '0xffa0000000000000');
  assert.equal(region(l, 'vmemmap').start, '0xffd4000000000000');
  assert.ok(region(l, 'direct_map').page_sizes.length > 0);
  assert.equal(region(l, 'cpu_entry_area').start, '0xfffffe0000000000');
});

test('bad requests: an unknown session, a malformed ?at=', async () => {
  const r = await getJson(api('/sessions/999/vmlayout'));
  assert.equal(r.status, 404);
  assert.ok(r.body.error.code);
  const b = await getJson(api('/sessions/1/vmlayout?at=x'));
  assert.equal(b.status, 400);
  assert.equal(b.body.error.code, 'EINVAL');
});
