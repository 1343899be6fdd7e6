// oom.test.mjs - the OOM killer through the REST API: processes with
// oom_score_adj (spawn's field and set_oom_score_adj), /proc/PID/oom_score
// against oom_badness() computed from the processes view, a workload that
// runs the machine out of memory killing the processes in badness order
// (never init, never oom_score_adj -1000), the mark_victim events with the
// tracepoint's fields, the kernel log, refusals of bad input, and a session
// that replays exactly (verify) and forks.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, createSession, applyOps, apiOf, getJson, postJson } from './lib/daemon.mjs';

let d;
const { api, get } = apiOf(() => d.url);

before(async () => { d = await startDaemon(); });
after(async () => { await d?.stop(); });

async function text(path) {
  const r = await fetch(api(path));
  const body = await r.text();
  assert.equal(r.status, 200, `${path}: ${body}`);
  return body;
}

async function spawn(id, name, pages, extra) {
  const [s] = (await applyOps(d.url, id, [{ op: 'spawn', name, ...extra }])).results;
  assert.equal(s.ok, true, JSON.stringify(s));
  if (pages) {
    const r = (await applyOps(d.url, id, [
      { op: 'mmap', pid: s.pid, length: pages * 4096 },
      { op: 'touch', pid: s.pid, addr: '$0.addr', length: pages * 4096, access: 'write', cpu: 1 },
    ])).results;
    assert.ok(r.every((x) => x.ok), JSON.stringify(r));
  }
  return s.pid;
}

test('the OOM killer kills by oom_badness, reports it, and the session replays exactly', async () => {
  const id = await createSession(d.url, { mem_mib: 256, cpus: 2 }, 'oom');
  const init = await spawn(id, 'init', 4);
  const big = await spawn(id, 'big', 3000);
  const prot = await spawn(id, 'protected', 6000, { oom_score_adj: -1000 });
  const small = await spawn(id, 'small', 500);
  const boosted = await spawn(id, 'boosted', 200);
  const [adj] = (await applyOps(d.url, id, [{ op: 'set_oom_score_adj', pid: boosted, oom_score_adj: 300 }])).results;
  assert.equal(adj.ok, true);
  assert.equal(await text(`/sessions/${id}/proc/${boosted}/oom_score_adj`), '300\n');
  assert.equal(await text(`/sessions/${id}/proc/${prot}/oom_score_adj`), '-1000\n');

  // oom_score as proc_oom_score() computes it from oom_badness(): RSS + page tables
  // (PGD excluded) + oom_score_adj * totalpages / 1000, scaled to 0..2000.
  const meminfo = await text(`/sessions/${id}/proc/meminfo`);
  const total = Number(/MemTotal:\s+(\d+) kB/.exec(meminfo)[1]) / 4;
  const { processes } = await get(`/sessions/${id}/processes`);
  const badness = {};
  for (const p of processes) {
    const b = p.rss + p.pgtables_pages - 1 + p.oom_score_adj * Math.floor(total / 1000);
    const unkillable = p.pid === 1 || p.oom_score_adj === -1000;
    badness[p.pid] = unkillable ? null : b;
    const want = unkillable ? 0 : Math.trunc((1000 + Math.trunc(b * 1000 / total)) * 2 / 3);
    assert.equal(await text(`/sessions/${id}/proc/${p.pid}/oom_score`), `${want}\n`, p.name);
    assert.equal(p.oom_score, want, `${p.name}: the processes view`);
  }
  const order = Object.entries(badness).filter(([, b]) => b !== null)
    .sort((a, b) => b[1] - a[1] || b[0] - a[0]).map(([pid]) => Number(pid));
  assert.deepEqual(order, [boosted, big, small]);

  // Kernel allocations until the machine refuses: each OOM kills the worst left.
  const before = (await get(`/sessions/${id}`)).last_seq;
  const [w] = (await applyOps(d.url, id, [{ op: 'workload', kind: 'exhaust', count: 200000 }])).results;
  assert.equal(w.ok, true);
  assert.equal(w.stopped_by.errno, 'ENOMEM');
  assert.match(w.stopped_by.message, /no killable process/);
  const events = (await get(`/sessions/${id}/events?type=mark_victim&since=${before}`)).events;
  assert.deepEqual(events.map((e) => e.value), order);
  const first = processes.find((p) => p.pid === boosted);
  assert.equal(events[0].detail, `pid=${boosted} comm=boosted total-vm=${first.vmas.reduce((n, v) =>
    n + (parseInt(v.end, 16) - parseInt(v.start, 16)) / 1024, 0)}kB anon-rss=${first.rss_anon * 4}kB ` +
    `file-rss:0kB shmem-rss:0kB uid=0 pgtables=${(first.pgtables_pages - 1) * 4}kB oom_score_adj=300`);
  // __oom_kill_process() counted each kill in /proc/vmstat
  assert.match(await text(`/sessions/${id}/proc/vmstat`), /^oom_kill 3$/m);
  assert.match(await text(`/sessions/${id}/proc/vmstat?at=${before}`), /^oom_kill 0$/m);
  const left = (await get(`/sessions/${id}/processes`)).processes.map((p) => p.pid);
  assert.deepEqual(left, [init, prot]);
  const log = await text(`/sessions/${id}/dmesg`);
  assert.match(log, new RegExp(`Out of memory: Killed process ${big} \\(big\\) total-vm:\\d+kB, ` +
                               'anon-rss:12000kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:\\d+kB oom_score_adj:0'));
  assert.match(log, /oom-kill:constraint=CONSTRAINT_NONE,nodemask=\(null\),cpuset=\/,mems_allowed=0,global_oom,task_memcg=\/,task=boosted/);
  assert.match(log, /Out of memory and no killable processes\.\.\./);
  // The log as it was before the kills: empty.
  assert.equal(await text(`/sessions/${id}/dmesg?at=${before}`), '');

  // The session replays to the same events, and a fork from before the kills runs them again.
  const verify = await get(`/sessions/${id}/verify`);
  assert.equal(verify.ok, true, JSON.stringify(verify));
  const fork = await postJson(api(`/sessions/${id}/fork`), { at: before });
  assert.equal(fork.status, 201, JSON.stringify(fork.body));
  const [again] = (await applyOps(d.url, fork.body.id, [{ op: 'workload', kind: 'exhaust', count: 200000 }])).results;
  assert.equal(again.blocks_taken, w.blocks_taken);
  const forked = (await get(`/sessions/${fork.body.id}/events?type=mark_victim`)).events;
  assert.deepEqual(forked.slice(-3).map((e) => e.value), order);
});

test('bad OOM input is refused, and requests the OOM killer does not serve fail without a kill', async () => {
  const id = await createSession(d.url, { mem_mib: 256, cpus: 2 }, 'oom-refusals');
  await spawn(id, 'init', 4);
  const victim = await spawn(id, 'victim', 1000);
  const bad = (await applyOps(d.url, id, [
    { op: 'set_oom_score_adj', pid: victim, oom_score_adj: 1001 },
    { op: 'set_oom_score_adj', pid: victim },
    { op: 'set_oom_score_adj', pid: 999, oom_score_adj: 0 },
    { op: 'spawn', name: 'x', oom_score_adj: 'high' },
  ])).results;
  assert.deepEqual(bad.map((r) => r.errno), ['EINVAL', 'EINVAL', 'ESRCH', 'EINVAL']);
  assert.equal((await getJson(api(`/sessions/${id}/proc/abc/oom_score`))).status, 400);
  assert.equal((await getJson(api(`/sessions/${id}/proc/999/oom_score`))).status, 404);
  // Costly orders, __GFP_NORETRY, __GFP_RETRY_MAYFAIL and the low zones run out without a kill.
  for (const [gfp, order] of [['GFP_KERNEL', 4], ['GFP_KERNEL|__GFP_NORETRY', 0],
                              ['GFP_KERNEL|__GFP_RETRY_MAYFAIL', 0], ['GFP_KERNEL|__GFP_DMA32', 0]]) {
    const [w] = (await applyOps(d.url, id, [{ op: 'workload', kind: 'exhaust', count: 200000, gfp, order }])).results;
    assert.equal(w.stopped_by.errno, 'ENOMEM', gfp);
    assert.deepEqual((await get(`/sessions/${id}/events?type=mark_victim`)).events, [], `${gfp} order ${order}`);
  }
  const [w] = (await applyOps(d.url, id, [{ op: 'alloc_pages', gfp: 'GFP_KERNEL' }])).results;
  assert.equal(w.ok, true, JSON.stringify(w));
  assert.deepEqual((await get(`/sessions/${id}/events?type=mark_victim`)).events.map((e) => e.value), [victim]);
});

test('a memory cgroup at its limit reclaims inside itself, then kills inside itself (REST)', async () => {
  const id = await createSession(d.url, { mem_mib: 256, cpus: 2 }, 'memcg');
  const made = (await applyOps(d.url, id, [
    { op: 'memcg_create', name: 'box', max: 1000 * 4096 },
    { op: 'memcg_create', name: 'box' },
    { op: 'memcg_create', name: 'bad/name' },
    { op: 'memcg_create', name: 'other', max: 'lots' },
    { op: 'spawn', name: 'x', memcg: 'nope' },
  ])).results;
  assert.deepEqual(made.map((r) => r.ok ? 'ok' : r.errno), ['ok', 'EEXIST', 'EINVAL', 'EINVAL', 'ENOENT']);
  await spawn(id, 'init', 4);
  const outside = await spawn(id, 'outside', 1000);
  const a = await spawn(id, 'a', 0, { memcg: 'box' });
  const io = (await applyOps(d.url, id, [
    { op: 'create_file', name: 'mine', size: 600 * 4096 },
    { op: 'read_file', pid: a, name: 'mine', offset: 0, length: 600 * 4096 },
  ])).results;
  assert.ok(io.every((r) => r.ok), JSON.stringify(io));
  let box = (await get(`/sessions/${id}/memcgs`)).memcgs.find((g) => g.name === 'box');
  assert.deepEqual([box.current, box.file, box.anon, box.max, box.nr_procs], [600, 600, 0, 1000, 1]);
  assert.equal(await text(`/sessions/${id}/memcgs/box/memory.current`), `${600 * 4096}\n`);
  assert.equal(await text(`/sessions/${id}/memcgs/box/memory.max`), `${1000 * 4096}\n`);
  assert.equal(await text(`/sessions/${id}/memcgs/box/cgroup.procs`), `${a}\n`);
  assert.equal((await getJson(api(`/sessions/${id}/memcgs/box/memory.nope`))).status, 404);
  const procs = (await get(`/sessions/${id}/processes`)).processes;
  assert.equal(procs.find((p) => p.pid === a).memcg, 'box');
  assert.equal(procs.find((p) => p.pid === outside).memcg, '/');

  // 800 anonymous pages: the group's page cache goes, nobody dies.
  const seq = (await get(`/sessions/${id}`)).last_seq;
  let r = (await applyOps(d.url, id, [{ op: 'mmap', pid: a, length: 1300 * 4096 },
    { op: 'touch', pid: a, addr: '$0.addr', length: 800 * 4096, access: 'write', cpu: 1 }])).results;
  assert.ok(r.every((x) => x.ok), JSON.stringify(r));
  const ends = (await get(`/sessions/${id}/events?type=mm_vmscan_memcg_reclaim_end&since=${seq}`)).events;
  assert.ok(ends.length > 0 && ends.reduce((n, e) => n + e.value, 0) >= 400, JSON.stringify(ends));
  assert.match(ends[0].detail, /^nr_reclaimed=\d+$/);
  box = (await get(`/sessions/${id}/memcgs`)).memcgs.find((g) => g.name === 'box');
  assert.equal(box.anon, 800);
  assert.ok(box.current <= 1000);
  assert.deepEqual((await get(`/sessions/${id}/events?type=mark_victim`)).events, []);

  // 500 more, nothing left to reclaim: the group OOM kills a, and only a.
  r = (await applyOps(d.url, id, [{ op: 'touch', pid: a, addr: r[0].addr, length: 1300 * 4096,
                                    access: 'write', cpu: 1 }])).results;
  assert.equal(r[0].ok, false);
  assert.deepEqual((await get(`/sessions/${id}/events?type=mark_victim`)).events.map((e) => e.value), [a]);
  const events = await text(`/sessions/${id}/memcgs/box/memory.events`);
  assert.match(events, /^low 0\nhigh 0\nmax \d+\noom 1\noom_kill 1\noom_group_kill 0\nsock_throttled 0\n$/);
  assert.match(await text(`/sessions/${id}/dmesg`), /oom-kill:constraint=CONSTRAINT_MEMCG,.*,oom_memcg=\/box,task_memcg=\/box,task=a,/);
  const left = (await get(`/sessions/${id}/processes`)).processes;
  assert.deepEqual(left.map((p) => p.pid), [1, outside]);
  assert.equal(left[1].rss_anon, 1000);
  assert.equal((await get(`/sessions/${id}/memcgs`)).memcgs.find((g) => g.name === 'box').anon, 0);
  assert.equal(await text(`/sessions/${id}/memcgs/box/memory.current?at=${seq}`), `${600 * 4096}\n`);
  const verify = await get(`/sessions/${id}/verify`);
  assert.equal(verify.ok, true, JSON.stringify(verify));
});
