// mmu.test.mjs - address spaces, page tables, the MMU and TLB, processes and
// the boot path through the REST API (engine.md sections 6 and 7).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, getJson, createSession, applyOps } from './lib/daemon.mjs';

let d;
before(async () => { d = await startDaemon(); });
after(async () => { await d.stop(); });

const api = (path) => `${d.url}/api/v1${path}`;

const newSession = (machine, name = 'mmu') => createSession(d.url, machine, name);

const ops = (id, list) => applyOps(d.url, id, list);

async function op(id, o) {
  return (await ops(id, o)).results[0];
}

async function text(path) {
  const r = await fetch(api(path));
  return { status: r.status, body: await r.text() };
}

async function check(id) {
  assert.deepEqual(await op(id, { op: 'check' }), { ok: true });
}

test('translate: direct map walk, then an L1 hit; 1 GiB and 2 MiB pages', async () => {
  const id = await newSession({ mem_mib: 4096 });
  const miss = await op(id, { op: 'translate', vaddr: '0xffff888040000123' });
  assert.equal(miss.ok, true);
  assert.equal(miss.paddr, '0x40000123');
  assert.equal(miss.page_size, 1 << 30);
  assert.equal(miss.tlb, 'miss');
  assert.equal(miss.walk_refs, 2);
  assert.equal(miss.levels.length, 2);
  const hit = await op(id, { op: 'translate', vaddr: '0xffff888040000456' });
  assert.equal(hit.tlb, 'l1_hit');
  assert.equal(hit.walk_refs, 0);
  const two = await op(id, { op: 'translate', vaddr: '0xffff888000200000', access: 'write' });
  assert.equal(two.page_size, 2 << 20);
  assert.equal(two.walk_refs, 3);
  const four = await op(id, { op: 'translate', vaddr: '0xffff888000001000' });
  assert.equal(four.page_size, 4096);
  assert.equal(four.walk_refs, 4);
  await check(id);
});

test('translate faults: #GP for a non-canonical address, #PF codes, bad input', async () => {
  const id = await newSession({ mem_mib: 1024 });
  const gp = await op(id, { op: 'translate', vaddr: '0x0000800000000000' });
  assert.equal(gp.ok, true);
  assert.equal(gp.fault.vector, '#GP');
  const nx = await op(id, { op: 'translate', vaddr: '0xffff888000200000', access: 'exec' });
  assert.equal(nx.fault.vector, '#PF');
  assert.equal(nx.fault.error_code, 0x11);
  const hole = await op(id, { op: 'translate', vaddr: '0xffff8880c0000000' });
  assert.equal(hole.fault.error_code, 0);
  assert.equal(hole.fault.outcome, 'oops');
  for (const [o, re] of [
    [{ op: 'translate', vaddr: 'ffff' }, /hex string/],
    [{ op: 'translate', vaddr: '0x1000', cpu: 99 }, /cpu must be 0\.\.1/],
    [{ op: 'translate', vaddr: '0x1000', pid: 4242 }, /no process with pid 4242/],
    [{ op: 'translate', vaddr: '0x1000', access: 'jump' }, /access must be/],
    [{ op: 'translate' }, /vaddr is required/],
    [{ op: 'translate', vaddr: '0x1000', colour: 1 }, /unknown field/],
  ]) {
    const r = await op(id, o);
    assert.equal(r.ok, false, JSON.stringify(o));
    assert.match(r.message, re);
  }
});

test('virt_to_phys and phys_to_virt: __pa() is arithmetic, wrong outside the linear maps', async () => {
  const id = await newSession({ mem_mib: 1024 });
  assert.deepEqual(await op(id, { op: 'virt_to_phys', addr: '0xffff888000100000' }),
                   { ok: true, paddr: '0x100000', pfn: 256 });
  const img = await op(id, { op: 'virt_to_phys', addr: '0xffffffff81000000' });
  assert.equal(img.paddr, '0x1000000');
  // __phys_addr_nodebug(): x - PAGE_OFFSET below __START_KERNEL_map, whatever x is.
  for (const a of ['0xffffc90000000000', '0x400000']) {
    const r = await op(id, { op: 'virt_to_phys', addr: a });
    assert.equal(r.ok, true);
    assert.equal(r.wrong, true);
    assert.equal(BigInt.asUintN(64, BigInt(a) - BigInt(r.paddr)), 0xffff888000000000n);
    assert.match(r.why, /x - PAGE_OFFSET/);
  }
  const hole = await op(id, { op: 'virt_to_phys', addr: '0xffff8880000a0000' });
  assert.deepEqual([hole.paddr, hole.wrong], ['0xa0000', false]);
  assert.match(hole.why, /^no RAM/);
  // With CONFIG_DEBUG_VIRTUAL, __phys_addr() BUG()s instead (arch/x86/mm/physaddr.c).
  const dbg = await newSession({ mem_mib: 1024, debug_virtual: true });
  const bug = await op(dbg, { op: 'virt_to_phys', addr: '0xffffc90000000000' });
  assert.equal(bug.ok, false);
  assert.match(bug.message, /^kernel BUG at arch\/x86\/mm\/physaddr\.c:28!/);
  const oops = await getJson(api(`/sessions/${dbg}/events?type=oops`));
  assert.equal(oops.body.events.length, 1);
  assert.deepEqual(await op(id, { op: 'phys_to_virt', paddr: '0x1000' }),
                   { ok: true, addr: '0xffff888000001000' });
  assert.equal((await op(id, { op: 'phys_to_virt', paddr: '0x100000000000' })).errno, 'ERANGE');
});

test('processes: spawn, mmap, demand paging, SIGSEGV, brk, munmap, exit', async () => {
  const id = await newSession({ mem_mib: 512 });
  const before = await getJson(api(`/sessions/${id}/zones`));
  const { pid } = await op(id, { op: 'spawn', name: 'sh' });
  assert.ok(pid > 0);
  const m = await op(id, { op: 'mmap', pid, length: 65536, prot: 'rw-' });
  assert.match(m.addr, /^0x7f/);
  const t = await op(id, { op: 'touch', pid, addr: m.addr, length: 65536 });
  assert.deepEqual(t, { ok: true, pages: 16, demand_paged: 16 });
  const w = await op(id, { op: 'translate', pid, vaddr: m.addr, access: 'write' });
  assert.equal(w.tlb, 'l1_hit');
  const segv = await op(id, { op: 'translate', pid, vaddr: '0x1000' });
  assert.equal(segv.ok, true);
  assert.equal(segv.signal, 'SIGSEGV');
  assert.equal(segv.fault.error_code, 4);
  const ro = await op(id, { op: 'mmap', pid, length: 4096, prot: 'r--' });
  const wr = await op(id, { op: 'touch', pid, addr: ro.addr, access: 'write' });
  assert.equal(wr.signal, 'SIGSEGV');
  assert.equal(wr.fault.error_code, 6);
  const b0 = await op(id, { op: 'brk', pid });
  const b1 = await op(id, { op: 'brk', pid, addr: '0x555555579000' });
  assert.equal(b1.brk, '0x555555579000');
  assert.equal(b0.brk, '0x555555559000');
  await op(id, { op: 'touch', pid, addr: '0x555555559000', length: 8192 });
  const maps = await text(`/sessions/${id}/proc/${pid}/maps`);
  assert.equal(maps.status, 200);
  assert.match(maps.body, /^555555559000-555555579000 rw-p 00000000 00:00 0 {26}\[heap\]$/m);
  assert.match(maps.body, /^7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0 {26}\[stack\]$/m);
  const procs = (await getJson(api(`/sessions/${id}/processes`))).body.processes;
  assert.equal(procs.length, 1);
  assert.equal(procs[0].rss, 18);
  assert.ok((await op(id, { op: 'munmap', pid, addr: m.addr, length: 65536 })).ok);
  await check(id);
  assert.ok((await op(id, { op: 'exit', pid })).ok);
  await check(id);
  const afterZ = await getJson(api(`/sessions/${id}/zones`));
  assert.deepEqual(afterZ.body.owners.user, 0);
  assert.equal(afterZ.body.owners.pagetable, before.body.owners.pagetable);
  for (const [o, re] of [
    [{ op: 'exit', pid: 9999 }, /no process/],
    [{ op: 'mmap', pid: 9999, length: 4096 }, /no process/],
    [{ op: 'mmap', pid: 'x', length: 4096 }, /pid must be/],
    [{ op: 'spawn', name: 'a-very-long-process-name' }, /at most 15/],
  ]) {
    const r = await op(id, o);
    assert.equal(r.ok, false);
    assert.match(r.message, re);
  }
});

test('TLB: flushes, load_cr3 keeps global entries, the tlb view and access_range', async () => {
  const id = await newSession({ mem_mib: 512 });
  await op(id, { op: 'translate', vaddr: '0xffff888000200000' });
  const { pid } = await op(id, { op: 'spawn' });
  assert.ok((await op(id, { op: 'load_cr3', cpu: 0, pid })).ok);
  assert.equal((await op(id, { op: 'translate', vaddr: '0xffff888000200000' })).tlb, 'l1_hit');
  await op(id, { op: 'tlb_flush', cpu: 0, scope: 'page', addr: '0xffff888000200000' });
  assert.equal((await op(id, { op: 'translate', vaddr: '0xffff888000200000' })).tlb, 'miss');
  assert.ok((await op(id, { op: 'load_cr3', cpu: 0, pid: 'kernel' })).ok);
  const r = await op(id, { op: 'access_range', start: '0xffff888000000000', length: 1 << 22,
                           stride: 4096, count: 2048 });
  assert.equal(r.accesses, 2048);
  assert.equal(r.hits + r.misses + r.faults, 2048);
  const tlb = await getJson(api(`/sessions/${id}/tlb?cpu=0`));
  assert.equal(tlb.status, 200);
  assert.equal(tlb.body.policy, 'lru');
  assert.deepEqual(tlb.body.arrays.map((a) => [a.name, a.entries, a.ways]),
                   [['l1_4k', 64, 4], ['l1_2m', 32, 4], ['l1_1g', 4, 4], ['stlb', 1536, 12]]);
  assert.ok(tlb.body.regions.direct_map.accesses >= 2048);
  assert.equal((await getJson(api(`/sessions/${id}/tlb?cpu=7`))).status, 400);
  for (const [o, re] of [
    [{ op: 'tlb_flush', scope: 'some' }, /scope must be/],
    [{ op: 'tlb_flush', scope: 'page' }, /addr is required/],
    [{ op: 'tlb_flush', scope: 'page', addr: '0x0000900000000000' }, /not canonical/],
    [{ op: 'load_cr3', cpu: 5, pid: 'kernel' }, /cpu must be/],
    [{ op: 'load_cr3', cpu: 0, pid: 77 }, /no process/],
  ]) {
    const res = await op(id, o);
    assert.equal(res.ok, false, JSON.stringify(o));
    assert.match(res.message, re);
  }
  await check(id);
});

// The history adds up, stretch by stretch, to the counters of the tlb view,
// at the end and at any earlier seq; the vmalloc scan misses where the direct
// map's huge pages hit.
test('TLB history: per-region translations in seq stretches add up to the tlb view', async () => {
  const id = await newSession({ mem_mib: 512, cpus: 2 });
  const res = await ops(id, [
    { op: 'vmalloc', size: 1 << 20 },
    { op: 'access_range', start: '0xffff888001000000', length: 1 << 24, cpu: 0 },
    { op: 'access_range', start: '$0.addr', length: 1 << 20, cpu: 0 },
    { op: 'access_range', start: '$0.addr', length: 1 << 20, cpu: 1 },
  ]);
  const COUNTERS = ['accesses', 'hits', 'misses', 'walk_refs', 'faults'];
  const sums = (h) => {
    const out = {};
    for (const b of h.buckets)
      for (const [r, c] of Object.entries(b.regions))
        for (const k of COUNTERS) out[r] = { ...out[r], [k]: (out[r]?.[k] || 0) + c[k] };
    return out;
  };
  const counters = (t) => Object.fromEntries(Object.entries(t.regions).filter(([, c]) => c.accesses)
    .map(([r, c]) => [r, Object.fromEntries(COUNTERS.map((k) => [k, c[k]]))]));
  const mid = Math.floor((res.first_seq + res.last_seq) / 2);
  for (const [cpu, at] of [[0, ''], [1, ''], [0, `&at=${mid}`]]) {
    const h = (await getJson(api(`/sessions/${id}/tlb/history?cpu=${cpu}&buckets=16${at}`))).body;
    const t = (await getJson(api(`/sessions/${id}/tlb?cpu=${cpu}${at}`))).body;
    assert.equal(h.seq, t.seq);
    assert.equal(h.buckets.length, 16);
    assert.equal(h.buckets[0].from_seq, 0);
    assert.equal(h.buckets.at(-1).to_seq, h.seq);
    h.buckets.slice(1).forEach((b, i) => assert.equal(b.from_seq, h.buckets[i].to_seq));
    assert.deepEqual(sums(h), counters(t), `cpu ${cpu}${at}`);
  }
  const end = sums((await getJson(api(`/sessions/${id}/tlb/history?cpu=0`))).body);
  assert.ok(end.direct_map.hits / end.direct_map.accesses > 0.9, JSON.stringify(end));
  assert.ok(end.vmalloc.hits / end.vmalloc.accesses < 0.6, JSON.stringify(end));
  for (const q of ['cpu=2', 'cpu=x', 'buckets=0', 'buckets=501', 'buckets=3x']) {
    const r = await getJson(api(`/sessions/${id}/tlb/history?${q}`));
    assert.equal(r.status, 400, q);
    assert.equal(r.body.error.code, 'EINVAL');
  }
  assert.equal((await getJson(api('/sessions/9999/tlb/history'))).status, 404);
});

test('poweron: the boot op stage by stage, triple fault, boot_cpu, kexec', async () => {
  const id = await newSession({ mem_mib: 512, start: 'poweron' });
  let cpus = (await getJson(api(`/sessions/${id}/cpus`))).body;
  assert.equal(cpus.cpus[0].mode, 'real');
  assert.equal(cpus.boot_stage, 'poweron');
  for (const s of ['startup_32', 'extract_kernel', 'startup_64', '__startup_64', 'common_startup_64',
                   'reset_early_page_tables', 'init_mem_mapping', 'mm_core_init', 'done']) {
    assert.deepEqual(await op(id, { op: 'boot', until: s }), { ok: true, stage: s });
  }
  const again = await op(id, { op: 'boot' });
  assert.equal(again.errno, 'EALREADY');
  assert.match((await op(id, { op: 'boot', until: 'nowhere' })).message, /unknown boot stage/);
  cpus = (await getJson(api(`/sessions/${id}/cpus`))).body;
  assert.deepEqual(cpus.cpus.map((c) => [c.mode, c.cr0.pg, c.online]),
                   [['long', true, true], ['long', true, true]]);
  const stages = await getJson(api(`/sessions/${id}/events?type=boot_stage&limit=100`));
  assert.equal(stages.body.events.length, 9);
  // Paging off from the kernel's high address: nothing identity-maps it.
  assert.deepEqual(await op(id, { op: 'paging', cpu: 1, enable: false }),
                   { ok: true, paging: false, triple_fault: true });
  cpus = (await getJson(api(`/sessions/${id}/cpus`))).body;
  assert.equal(cpus.cpus[1].mode, 'real');
  assert.ok((await op(id, { op: 'boot_cpu', cpu: 1 })).ok);
  assert.equal((await op(id, { op: 'boot_cpu', cpu: 1 })).errno, 'EBUSY');
  // kexec keeps paging on (relocate_kernel_64.S); then off by hand from its identity map,
  // on again, off, and on without identity.
  assert.equal((await op(id, { op: 'paging', cpu: 1, enable: false, kexec: true })).errno, 'EINVAL');
  assert.deepEqual(await op(id, { op: 'paging', cpu: 1, enable: true, kexec: true }),
                   { ok: true, paging: true, triple_fault: false });
  assert.deepEqual(await op(id, { op: 'paging', cpu: 1, enable: false }),
                   { ok: true, paging: false, triple_fault: false });
  assert.deepEqual(await op(id, { op: 'paging', cpu: 1, enable: true }),
                   { ok: true, paging: true, triple_fault: false });
  await op(id, { op: 'paging', cpu: 1, enable: false });
  await op(id, { op: 'load_cr3', cpu: 1, pid: 'kernel' });
  assert.deepEqual(await op(id, { op: 'paging', cpu: 1, enable: true }),
                   { ok: true, paging: false, triple_fault: true });
  const tf = await getJson(api(`/sessions/${id}/events?type=triple_fault&limit=10`));
  assert.equal(tf.body.events.length, 2);
  assert.equal((await op(id, { op: 'paging', cpu: 1, enable: true })).errno, 'EINVAL');
  const badCpu = await op(id, { op: 'paging', cpu: 9, enable: true });
  assert.equal(badCpu.ok, false);
  assert.equal(badCpu.errno, 'EINVAL');
  assert.match(badCpu.message, /cpu must be 0\.\.1 \(got 9\)/);
  await check(id);
});

test('views: pagetable walk and tree, ptdump, vtop, with ?at= on each', async () => {
  const id = await newSession({ mem_mib: 2048 });
  const { pid } = await op(id, { op: 'spawn' });
  const m = await op(id, { op: 'mmap', pid, length: 4096 });
  const mark = (await ops(id, { op: 'touch', pid, addr: m.addr })).last_seq;
  await op(id, { op: 'munmap', pid, addr: m.addr, length: 4096 });

  const walk = await getJson(api(`/sessions/${id}/pagetable?pid=kernel&vaddr=0xffff888000001000`));
  assert.equal(walk.status, 200);
  assert.equal(walk.body.paddr, '0x1000');
  assert.equal(walk.body.levels.length, 4);
  const gone = await getJson(api(`/sessions/${id}/pagetable?pid=${pid}&vaddr=${m.addr}`));
  assert.ok(gone.body.fault);
  const then = await getJson(api(`/sessions/${id}/pagetable?pid=${pid}&vaddr=${m.addr}&at=${mark}`));
  assert.equal(then.status, 200);
  assert.equal(then.body.levels.length, 4);
  assert.ok(!then.body.fault, JSON.stringify(then.body));

  const root = await getJson(api(`/sessions/${id}/pagetable/tree?pid=kernel`));
  assert.equal(root.status, 200);
  assert.equal(root.body.level, 4);
  const dm = root.body.entries.find((e) => e.index === 273);
  assert.ok(dm && !dm.leaf && dm.child_present > 0);
  const pud = await getJson(api(`/sessions/${id}/pagetable/tree?pid=kernel&table=${dm.target_pfn}`));
  assert.equal(pud.body.level, 3);
  assert.equal(pud.body.entries[0].vaddr, '0xffff888000000000');
  assert.equal((await getJson(api(`/sessions/${id}/pagetable/tree?table=1`))).status, 404);
  assert.equal((await getJson(api(`/sessions/${id}/pagetable/tree?pid=99`))).status, 404);
  // A non-canonical address is the #GP an access would take, not a bad request.
  const gp = await getJson(api(`/sessions/${id}/pagetable?vaddr=0x0000800000000000`));
  assert.equal(gp.status, 200);
  assert.deepEqual([gp.body.fault.vector, gp.body.levels.length, gp.body.walk_refs], ['#GP', 0, 0]);
  // The #PF of a write to the unmapped user page: not present, write, user; at the PTE.
  const pf = await getJson(api(`/sessions/${id}/pagetable?pid=${pid}&vaddr=${m.addr}&access=write`));
  assert.deepEqual([pf.body.fault.vector, pf.body.fault.error_code, pf.body.fault.error_bits, pf.body.fault.level],
                   ['#PF', 6, '!P|W|U', pf.body.levels.at(-1).level]);
  // Read-only kernel text refuses a write: a protection fault (P set) at its leaf.
  const ro = await getJson(api(`/sessions/${id}/pagetable?vaddr=0xffffffff81000000&access=write`));
  assert.deepEqual([ro.body.fault.vector, ro.body.fault.error_code, ro.body.fault.outcome], ['#PF', 3, 'protection']);
  assert.equal((await getJson(api(`/sessions/${id}/pagetable?vaddr=0x1000&access=fetch`))).status, 400);
  assert.equal((await getJson(api(`/sessions/${id}/pagetable?vaddr=0x1000&cpu=99`))).status, 400);
  assert.equal((await getJson(api(`/sessions/${id}/pagetable?vaddr=zz`))).status, 400);
  assert.equal((await getJson(api(`/sessions/${id}/pagetable`))).status, 400);
  const treeThen = await getJson(api(`/sessions/${id}/pagetable/tree?pid=${pid}&at=${mark}`));
  assert.equal(treeThen.status, 200);
  assert.equal(treeThen.body.entries.filter((e) => e.index < 256).length, 1);

  const dump = await text(`/sessions/${id}/debug/page_tables/kernel`);
  assert.equal(dump.status, 200);
  assert.match(dump.body, /^---\[ Low Kernel Mapping \]---$/m);
  assert.match(dump.body, /^0xffff888040000000-0xffff888080000000 {11}1G {5}RW {9}PSE {5}GLB NX pud$/m);
  assert.match(dump.body, /^---\[ High Kernel Mapping \]---$/m);
  const vtop = await text(`/sessions/${id}/debug/vtop?vaddr=0xffffffff81000000`);
  assert.match(vtop.body, /^ffffffff81000000  1000000/m);
  assert.match(vtop.body, /PAGE: 1000000 {2}\(2MB\)/);
  const cpusThen = await getJson(api(`/sessions/${id}/cpus?at=1`));
  assert.equal(cpusThen.status, 200);
  const procsThen = await getJson(api(`/sessions/${id}/processes?at=${mark}`));
  assert.equal(procsThen.body.processes[0].rss, 1);
  const mapsThen = await text(`/sessions/${id}/proc/${pid}/maps?at=${mark}`);
  assert.equal(mapsThen.status, 200);
  assert.equal((await text(`/sessions/${id}/proc/4242/maps`)).status, 404);
  const tlbThen = await getJson(api(`/sessions/${id}/tlb?cpu=0&at=${mark}`));
  assert.equal(tlbThen.status, 200);
  const dumpThen = await text(`/sessions/${id}/debug/page_tables/kernel?at=${mark}`);
  assert.equal(dumpThen.body, dump.body);
});

test('five-level paging: one more reference per walk', async () => {
  const id = await newSession({ mem_mib: 1024, paging_levels: 5 });
  const r = await op(id, { op: 'translate', vaddr: '0xff11000000200000' });
  assert.equal(r.paddr, '0x200000');
  assert.equal(r.walk_refs, 4);
  assert.equal(r.levels[0].name, 'pgd');
  await check(id);
});
