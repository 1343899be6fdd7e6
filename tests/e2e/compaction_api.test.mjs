// compaction_api.test.mjs - compaction and migration through the REST API:
// the ops compact_memory, migrate_pages, alloc_contig_range,
// free_contig_range and sysctl, their refusals, the /proc/vmstat counters
// they move, their tracepoint events (directions of the two scanners, moves
// upward) and debugfs extfrag_index before and after (as /proc/buddyinfo
// gives it).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, createSession, applyOps, apiOf, getJson } from './lib/daemon.mjs';

let d;
before(async () => { d = await startDaemon(); });
after(async () => { await d.stop(); });

const { api, get } = apiOf(() => d.url);
const ops = (id, list) => applyOps(d.url, id, list);

async function vmstat(id) {
  const r = await fetch(api(`/sessions/${id}/proc/vmstat`));
  assert.equal(r.status, 200);
  return Object.fromEntries((await r.text()).trim().split('\n').map((l) => l.split(' '))
    .map(([k, v]) => [k, Number(v)]));
}

// Every event of @type, page by page (next_since).
async function events(id, type) {
  const all = [];
  for (let since = 0; ;) {
    const page = await get(`/sessions/${id}/events?type=${type}&since=${since}&limit=10000`);
    all.push(...page.events);
    if (!page.events.length || page.next_since <= since)
      return all;
    since = page.next_since;
  }
}

async function zoneLine(id, path, zone) {
  const r = await fetch(api(`/sessions/${id}${path}`));
  assert.equal(r.status, 200);
  const line = (await r.text()).split('\n').find((l) => l.includes(`zone ${zone.padStart(8)}`));
  assert.ok(line, `${path}: ${zone}`);
  return line.trim().split(/\s+/).slice(4).map(Number);
}

// debugfs extfrag_index of @zone, each order checked against
// __fragmentation_index() computed from the same zone's /proc/buddyinfo.
async function extfrag(id, zone) {
  const index = await zoneLine(id, '/debug/extfrag/extfrag_index', zone);
  const free = await zoneLine(id, '/proc/buddyinfo', zone);
  const pages = free.reduce((n, c, o) => n + c * 2 ** o, 0);
  const blocks = free.reduce((n, c) => n + c, 0);
  free.forEach((_, order) => {
    const suitable = free.slice(order).some((c) => c > 0);
    const want = !blocks ? 0 : suitable ? -1000 :
      1000 - Math.floor((1000 + Math.floor(pages * 1000 / 2 ** order)) / blocks);
    assert.equal(Math.round(index[order] * 1000), want, `${zone} order ${order}`);
  });
  return index;
}

// A process maps and touches 8192 pages, then every other page is unmapped:
// free memory in single pages among movable anonymous pages.
async function fragmented() {
  const id = await createSession(d.url, { mem_mib: 128 }, 'compaction');
  const setup = await ops(id, [
    { op: 'sysctl', name: 'vm.compaction_proactiveness', value: 0 },
    { op: 'spawn', name: 'frag' },
  ]);
  assert.deepEqual(setup.results[0], { ok: true, name: 'vm.compaction_proactiveness', value: 0, old_value: 20 });
  const pid = setup.results[1].pid;
  const pages = 20000;
  const map = await ops(id, [{ op: 'mmap', pid, length: pages * 4096, prot: 'rw-' }]);
  const addr = BigInt(map.results[0].addr);
  const touch = await ops(id, [{ op: 'touch', pid, addr: map.results[0].addr, length: pages * 4096, access: 'write' }]);
  assert.equal(touch.results[0].ok, true, JSON.stringify(touch.results[0]));
  const holes = [];
  for (let i = 1; i < pages; i += 2)
    holes.push({ op: 'munmap', pid, addr: `0x${(addr + BigInt(i) * 4096n).toString(16)}`, length: 4096 });
  const r = await ops(id, holes);
  assert.ok(r.results.every((x) => x.ok), 'every hole punched');
  return { id, pid, addr };
}

test('compact_memory: the scanners meet, pages move up, vmstat counts it, extfrag_index follows', async () => {
  const { id } = await fragmented();
  const before = await vmstat(id);
  await extfrag(id, 'DMA32');
  const last = (await get(`/sessions/${id}`)).last_seq;
  const r = await ops(id, [{ op: 'compact_memory' }, { op: 'check' }]);
  assert.deepEqual(r.results, [{ ok: true }, { ok: true }]);
  const after = await vmstat(id);
  for (const k of ['compact_migrate_scanned', 'compact_free_scanned', 'compact_isolated', 'pgmigrate_success'])
    assert.ok(after[k] > before[k], `${k}: ${before[k]} -> ${after[k]}`);
  assert.equal(after.compact_stall, before.compact_stall, 'compact_memory is not a stall');
  const moves = (await events(id, 'migrate_folio_move')).filter((e) => e.seq > last);
  assert.equal(moves.length, after.pgmigrate_success - before.pgmigrate_success);
  for (const e of moves) {
    assert.ok(e.value > e.pfn, `moved up: ${e.detail}`);
    assert.match(e.detail, /^src_pfn=0x[0-9a-f]+ dst_pfn=0x[0-9a-f]+ order=0 reason=compaction$/);
  }
  // Per zone: begin, the migrate scanner's ranges going up, the free
  // scanner's coming down a pageblock at a time, end where they met.
  const begins = (await events(id, 'mm_compaction_begin')).filter((e) => e.seq > last);
  const ends = (await events(id, 'mm_compaction_end')).filter((e) => e.seq > last);
  assert.equal(begins.length, ends.length);
  assert.ok(begins.length >= 2);
  const mig = (await events(id, 'mm_compaction_isolate_migratepages')).filter((e) => e.seq > last);
  const fre = (await events(id, 'mm_compaction_isolate_freepages')).filter((e) => e.seq > last);
  for (let z = 0; z < begins.length; z++) {
    const [b, e] = [begins[z], ends[z]];
    assert.match(b.detail, /^zone_start=0x[0-9a-f]+ migrate_pfn=0x[0-9a-f]+ free_pfn=0x[0-9a-f]+ zone_end=0x[0-9a-f]+, mode=sync$/);
    assert.match(e.detail, /mode=sync status=complete$/);
    const m = mig.filter((x) => x.seq > b.seq && x.seq < e.seq).map((x) => x.pfn);
    const f = fre.filter((x) => x.seq > b.seq && x.seq < e.seq).map((x) => x.pfn >> 9);
    assert.deepEqual(m, [...m].sort((x, y) => x - y), 'the migrate scanner goes up');
    assert.deepEqual(f, [...f].sort((x, y) => y - x), 'the free scanner comes down, block by block');
    assert.ok((e.value >> 9) <= (e.pfn >> 9), `they met: ${e.detail}`);
  }
  const frag = await extfrag(id, 'DMA32');
  assert.equal(frag[10], -1, 'an order-10 block is free after');
});

test('migrate_pages: one page moves with its PTE; refusals name the kernel reason', async () => {
  const { id, pid, addr } = await fragmented();
  const t = await ops(id, [{ op: 'translate', pid, vaddr: `0x${addr.toString(16)}`, access: 'read' }]);
  const pfn = Number(BigInt(t.results[0].paddr) >> 12n);
  const last = (await get(`/sessions/${id}`)).last_seq;
  const r = await ops(id, [{ op: 'migrate_pages', pfn }]);
  assert.equal(r.results[0].ok, true, JSON.stringify(r.results[0]));
  assert.equal(r.results[0].old_pfn, pfn);
  const moved = r.results[0].new_pfn;
  assert.notEqual(moved, pfn);
  const again = await ops(id, [{ op: 'translate', pid, vaddr: `0x${addr.toString(16)}`, access: 'read' }]);
  assert.equal(Number(BigInt(again.results[0].paddr) >> 12n), moved);
  const set = (await events(id, 'set_migration_pte')).filter((e) => e.seq > last);
  const rem = (await events(id, 'remove_migration_pte')).filter((e) => e.seq > last);
  assert.equal(set.length, 1);
  assert.equal(rem.length, 1);
  assert.equal(set[0].pfn, pfn);
  assert.equal(rem[0].pfn, moved);
  assert.match(set[0].detail, new RegExp(`^addr=${addr.toString(16)}, pte=[0-9a-f]+ order=0$`));
  const mp = (await events(id, 'mm_migrate_pages')).filter((e) => e.seq > last);
  assert.match(mp[0].detail, /^nr_succeeded=1 nr_failed=0 .* mode=MIGRATE_SYNC reason=syscall_or_cpuset$/);
  // A free frame, a kernel page, bad fields.
  const k = await ops(id, [{ op: 'alloc_pages', gfp: 'GFP_KERNEL', order: 0 }]);
  const bad = await ops(id, [
    { op: 'migrate_pages', pfn: pfn },
    { op: 'migrate_pages', pfn: k.results[0].pfn },
    { op: 'migrate_pages', pfn: 2 ** 31 },
    { op: 'migrate_pages' },
    { op: 'migrate_pages', pfn: 1, colour: 'red' },
  ]);
  assert.equal(bad.results[0].errno, 'ENOENT');
  assert.match(bad.results[0].message, /free/);
  assert.equal(bad.results[1].errno, 'EBUSY');
  assert.match(bad.results[1].message, /unmovable kernel page: not on an LRU list/);
  for (const x of bad.results.slice(2))
    assert.equal(x.errno, 'EINVAL', JSON.stringify(x));
  assert.deepEqual((await ops(id, [{ op: 'check' }])).results[0], { ok: true });
});

test('alloc_contig_range, free_contig_range and sysctl over HTTP', async () => {
  const { id } = await fragmented();
  const r = await ops(id, [{ op: 'alloc_contig_range', nr_pages: 1024 }, { op: 'check' }]);
  assert.equal(r.results[0].ok, true, JSON.stringify(r.results[0]));
  assert.equal(r.results[0].start_pfn % 1024, 0);
  assert.deepEqual(r.results[1], { ok: true });
  const contig = (await events(id, 'mm_migrate_pages')).at(-1);
  assert.match(contig.detail, /reason=contig_range$/);
  const back = await ops(id, [
    { op: 'free_contig_range', start_pfn: r.results[0].start_pfn, nr_pages: 1024 },
    { op: 'free_contig_range', start_pfn: r.results[0].start_pfn, nr_pages: 1024 },
    { op: 'alloc_contig_range', nr_pages: 0 },
    { op: 'check' },
  ]);
  assert.equal(back.results[0].ok, true);
  assert.equal(back.results[1].errno, 'EINVAL', 'freed twice');
  assert.equal(back.results[2].errno, 'EINVAL');
  assert.deepEqual(back.results[3], { ok: true });
  const s = await ops(id, [
    { op: 'sysctl', name: 'vm.extfrag_threshold' },
    { op: 'sysctl', name: 'vm.extfrag_threshold', value: 1001 },
    { op: 'sysctl', name: 'vm.overcommit_memory', value: 1 },
    { op: 'sysctl', name: 'vm.compaction_proactiveness', value: 'high' },
  ]);
  assert.deepEqual(s.results[0], { ok: true, name: 'vm.extfrag_threshold', value: 500 });
  assert.equal(s.results[1].errno, 'EINVAL');
  assert.equal(s.results[2].errno, 'EINVAL');
  assert.match(s.results[2].message, /vm\.swappiness/, 'the refusal lists the sysctls there are');
  assert.equal(s.results[3].errno, 'EINVAL');
  // A bad batch is a 200 with per-op refusals; a body that is no op list is a 400.
  const raw = await getJson(api(`/sessions/${id}/ops`), { method: 'POST', body: '{"op":',
    headers: { 'Content-Type': 'application/json' } });
  assert.equal(raw.status, 400);
  assert.ok(raw.body.error.code);
});

// The clock: kcompactd's proactive check runs on its 500 ms timer, in idle ops only; a
// session of them replays exactly (verify), and a fork made between two idle ops runs
// the next one as the original did (the fork's clock and kcompactd's timeout are the
// original's at that seq).
test('idle: kcompactd compacts on its timer, and a session of idle ops verifies and forks', async () => {
  const id = await createSession(d.url, { mem_mib: 128, pcp: false }, 'clock');
  const r = await ops(id, [
    { op: 'sysctl', name: 'vm.compaction_proactiveness', value: 100 },
    { op: 'workload', kind: 'fragment_user', count: 20000, gfp: 'GFP_KERNEL', order: 0 },
  ]);
  assert.ok(r.results.every((x) => x.ok), JSON.stringify(r.results));
  const beforeIdle = await vmstat(id);
  const lastBefore = (await get(`/sessions/${id}`)).last_seq;
  const t = await ops(id, [{ op: 'idle', ms: 496 }]);
  assert.equal(t.results[0].ok, true);
  assert.equal((await vmstat(id)).compact_daemon_migrate_scanned, beforeIdle.compact_daemon_migrate_scanned,
    'nothing compacted before the 125th jiffy');
  const mid = (await get(`/sessions/${id}`)).last_seq;
  const t2 = await ops(id, [{ op: 'idle', ms: 4 }]);
  assert.equal(t2.results[0].jiffies, t.results[0].jiffies + 1);
  const after = await vmstat(id);
  assert.ok(after.compact_daemon_migrate_scanned > beforeIdle.compact_daemon_migrate_scanned,
    'the timed-out check compacted');
  assert.ok(after.pgmigrate_success > beforeIdle.pgmigrate_success);
  const begins = (await events(id, 'mm_compaction_begin')).filter((e) => e.seq > lastBefore);
  assert.ok(begins.length > 0 && begins.every((e) => e.seq > mid), 'every run came with the second idle op');
  assert.deepEqual((await ops(id, [{ op: 'idle', ms: 3600001 }])).results[0].errno, 'EINVAL');
  assert.deepEqual((await ops(id, [{ op: 'check' }])).results[0], { ok: true });

  const v = await get(`/sessions/${id}/verify`);
  assert.equal(v.ok, true, JSON.stringify(v));
  const f = await fetch(api(`/sessions/${id}/fork`), {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ at: mid, name: 'clock-fork' }),
  });
  assert.equal(f.status, 201);
  const fork = (await f.json()).id;
  const t3 = await ops(fork, [{ op: 'idle', ms: 4 }]);
  assert.equal(t3.results[0].jiffies, t2.results[0].jiffies);
  assert.deepEqual(await vmstat(fork), after);
});

// vm.swappiness through the sysctl op: read, written, refused out of 0..200, and
// get_scan_count()'s balance follows it: the same workload steals page cache at 0
// and anonymous pages at 200. Each session verifies (the write replays as an op).
test('sysctl vm.swappiness: 0 reclaims page cache, 200 swaps anonymous memory, and both verify', async () => {
  const steal = {};
  for (const swappiness of [0, 200]) {
    const id = await createSession(d.url, { mem_mib: 128, swap_mib: 64 }, `swappiness-${swappiness}`);
    const set = await ops(id, [
      { op: 'sysctl', name: 'vm.swappiness' },
      { op: 'sysctl', name: 'vm.swappiness', value: swappiness },
      { op: 'sysctl', name: 'vm.swappiness', value: 201 },
      { op: 'sysctl', name: 'vm.swappiness' },
      { op: 'spawn', name: 'worker' },
      { op: 'create_file', name: 'data', size: 32 * 1048576 },
    ]);
    assert.deepEqual(set.results[0], { ok: true, name: 'vm.swappiness', value: 60 });
    assert.deepEqual(set.results[1], { ok: true, name: 'vm.swappiness', value: swappiness, old_value: 60 });
    assert.equal(set.results[2].errno, 'EINVAL');
    assert.deepEqual(set.results[3], { ok: true, name: 'vm.swappiness', value: swappiness });
    const pid = set.results[4].pid;
    const map = await ops(id, [{ op: 'mmap', pid, length: 32 * 1048576, prot: 'rw-' }]);
    const addr = map.results[0].addr;
    const use = [];
    for (let pass = 0; pass < 2; pass++) {
      use.push({ op: 'touch', pid, addr, length: 32 * 1048576, access: 'write' });
      use.push({ op: 'read_file', pid, name: 'data', offset: 0, length: 32 * 1048576 });
    }
    const u = await ops(id, use);
    assert.ok(u.results.every((x) => x.ok), JSON.stringify(u.results));
    // a second process's anonymous memory makes the pressure
    const p2 = await ops(id, [{ op: 'spawn', name: 'hog' }]);
    const hog = p2.results[0].pid;
    const m2 = await ops(id, [{ op: 'mmap', pid: hog, length: 48 * 1048576, prot: 'rw-' }]);
    const t = await ops(id, [{ op: 'touch', pid: hog, addr: m2.results[0].addr, length: 48 * 1048576, access: 'write' },
      { op: 'check' }]);
    assert.equal(t.results[0].ok, true, JSON.stringify(t.results[0]));
    assert.deepEqual(t.results[1], { ok: true });
    const vm = await vmstat(id);
    steal[swappiness] = { anon: vm.pgsteal_anon, file: vm.pgsteal_file };
    const v = await get(`/sessions/${id}/verify`);
    assert.equal(v.ok, true, JSON.stringify(v));
  }
  assert.equal(steal[0].anon, 0, JSON.stringify(steal));
  assert.ok(steal[0].file > 0, JSON.stringify(steal));
  assert.ok(steal[200].anon > steal[200].file, JSON.stringify(steal));
});
