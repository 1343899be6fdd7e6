// ftrace.test.mjs - sessions and the kernel's trace text: the tracepoint table
// against the real 6.18 format files, export as /sys/kernel/tracing/trace and
// import back (the same events in the same order), the real captures of
// tests/data/ftrace/ imported (counts per tracepoint equal the file's lines,
// fields parsed), and malformed input.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { startDaemon, getJson, createSession, applyOps, top } from './lib/daemon.mjs';

let d;
before(async () => { d = await startDaemon(); });
after(async () => { await d.stop(); });

const DATA = join(top, 'tests', 'data', 'ftrace');
const api = (p) => `${d.url}/api/v1${p}`;

async function importTrace(body, query = '') {
  const r = await fetch(api(`/sessions/import-trace${query}`), { method: 'POST', body,
    headers: { 'Content-Type': 'text/plain' } });
  const text = await r.text();
  let json = text;
  try { json = JSON.parse(text); } catch { /* kept as text */ }
  return { status: r.status, body: json };
}

// The first string of a format file's "print fmt:" line.
function printFmt(text) {
  const m = /^print fmt: "((?:[^"\\]|\\.)*)"/m.exec(text);
  assert.ok(m, 'a print fmt line');
  return m[1];
}

// Lines of a trace text that are events: name -> count.
function countLines(text) {
  const counts = {};
  for (const line of text.split('\n')) {
    if (!line.trim() || line.trimStart().startsWith('#')) continue;
    const m = /\]\s+\S+\s+\d+\.\d+: ([a-z_0-9]+): /.exec(line);
    assert.ok(m, `an event line: ${line}`);
    counts[m[1]] = (counts[m[1]] || 0) + 1;
  }
  return counts;
}

async function events(id, type) {
  const out = [];
  let since = 0;
  for (;;) {
    const r = await getJson(api(`/sessions/${id}/events?since=${since}&limit=10000${type ? `&type=${type}` : ''}`));
    assert.equal(r.status, 200, JSON.stringify(r.body));
    out.push(...r.body.events);
    if (r.body.events.length < 10000) return out;
    since = r.body.events.at(-1).seq;
  }
}

test('every tracepoint of the table has the print format of the real 6.18 format file', async () => {
  const r = await getJson(api('/ftrace/tracepoints'));
  assert.equal(r.status, 200);
  const files = new Set(readdirSync(join(DATA, 'formats')));
  assert.ok(r.body.tracepoints.length >= 30);
  for (const tp of r.body.tracepoints) {
    const file = `${tp.group}_${tp.name}.format`;
    assert.ok(files.has(file), `tests/data/ftrace/formats/${file} exists`);
    const fmt = printFmt(readFileSync(join(DATA, 'formats', file), 'utf8'));
    assert.equal(tp.fmt, fmt, `${tp.name}: the kernel's print fmt`);
    const convs = fmt.match(/%[-0-9]*[lhz]*[duxsp]S?/g) || [];
    assert.equal(tp.args.split(' ').length, convs.length, `${tp.name}: one arg per conversion`);
  }
  for (const name of ['mm_page_alloc', 'mm_page_free', 'mm_page_free_batched', 'mm_page_pcpu_drain',
    'mm_page_alloc_zone_locked', 'mm_page_alloc_extfrag', 'kmalloc', 'kfree', 'kmem_cache_alloc',
    'kmem_cache_free', 'tlb_flush', 'mm_vmscan_memcg_reclaim_begin', 'mm_compaction_begin',
    'mark_victim', 'mm_migrate_pages'])
    assert.ok(r.body.tracepoints.some((t) => t.name === name), name);
});

test('export as ftrace follows the real formats and imports back to the same events', async () => {
  const id = await createSession(d.url, { mem_mib: 256, cpus: 2 }, 'export');
  await applyOps(d.url, id, [
    { op: 'alloc_pages', gfp: 'GFP_KERNEL|__GFP_ZERO', order: 3 },
    { op: 'alloc_pages', gfp: 'GFP_HIGHUSER_MOVABLE', order: 0, cpu: 1 },
    { op: 'kmalloc', size: 100 }, { op: 'kmalloc', size: 20000, gfp: 'GFP_KERNEL_ACCOUNT' },
    { op: 'kfree', addr: '$2.addr' }, { op: 'kfree', addr: '$3.addr' },
    { op: 'kmem_cache_create', name: 'lab_cache', size: 200 },
    { op: 'kmem_cache_alloc', cache: 'lab_cache' }, { op: 'kmem_cache_free', cache: 'lab_cache', addr: '$7.addr' },
    { op: 'tlb_flush', scope: 'all' }, { op: 'free_pages', pfn: '$0.pfn', order: 3 },
    { op: 'free_pages', pfn: '$1.pfn', order: 0 },
  ]);
  const r = await fetch(api(`/sessions/${id}/export?format=ftrace`));
  assert.equal(r.status, 200);
  const text = await r.text();
  const lines = text.split('\n').filter((l) => l && !l.startsWith('#'));
  assert.match(text, /^# tracer: nop\n/);
  assert.match(text, new RegExp(`entries-in-buffer/entries-written: ${lines.length}/${lines.length} +#P:2`));
  // Every line: TASK-PID [CPU] flags TIMESTAMP: name: fields, the fields matching the real print fmt.
  const table = (await getJson(api('/ftrace/tracepoints'))).body.tracepoints;
  const conv = { d: '-?\\d+', u: '\\d+', x: '[0-9a-f]+', s: '.*?', p: '[0-9a-f]{16}', pS: '\\S+' };
  for (const line of lines) {
    const m = /^ *(.+)-(\d+) +\[(\d{3})\] \.{5} +(\d+\.\d{6}): ([a-z_0-9]+): (.*)$/.exec(line);
    assert.ok(m, `a trace line: ${line}`);
    const fmt = printFmt(readFileSync(join(DATA, 'formats',
      `${table.find((t) => t.name === m[5]).group}_${m[5]}.format`), 'utf8'));
    const re = fmt.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
      .replace(/%[-0-9]*[lhz]*([duxsp])(S?)/g, (_, c, s) => `(${s ? conv.pS : conv[c]})`);
    assert.match(m[6], new RegExp(`^${re}$`), `${m[5]} fields follow its format`);
  }
  const sim = (await events(id)).filter((e) => ['mm_page_alloc', 'mm_page_free', 'kmalloc', 'kmalloc_large', 'kfree',
    'kmem_cache_alloc', 'kmem_cache_free', 'mm_page_alloc_extfrag', 'tlb_flush'].includes(e.type));
  assert.equal(sim.length, lines.length);
  assert.ok(sim.some((e) => e.type === 'kmalloc_large'));
  const imp = await importTrace(text, '?name=roundtrip');
  assert.equal(imp.status, 201, JSON.stringify(imp.body));
  assert.equal(imp.body.state, 'trace');
  const back = await events(imp.body.id);
  assert.equal(back.length, sim.length);
  for (let i = 0; i < sim.length; i++) {
    const a = sim[i], b = back[i], where = `event ${i}: ${a.type} seq ${a.seq}`;
    assert.equal(b.type, a.type === 'kmalloc_large' ? 'kmalloc' : a.type, where);
    const page = ['mm_page_alloc', 'mm_page_free', 'mm_page_alloc_extfrag'].includes(a.type);
    if (page) assert.equal(b.pfn, a.pfn, `${where}: pfn`);
    if (page) assert.equal(b.order, a.order, `${where}: order`);
    if (a.type === 'mm_page_alloc' || a.type === 'mm_page_alloc_extfrag')
      assert.equal(b.migratetype, a.migratetype, `${where}: migratetype`);
    if (a.type.startsWith('kmalloc') || a.type === 'kmem_cache_alloc' || a.type === 'mm_page_alloc')
      assert.equal(b.gfp, a.gfp, `${where}: gfp`);
    assert.equal(b.cpu ?? 0, a.cpu ?? 0, `${where}: cpu`);
    if (['kmalloc', 'kmalloc_large', 'kmem_cache_alloc'].includes(a.type)) {
      assert.equal(b.size, a.size, `${where}: bytes_req`);
      assert.equal(b.value, a.value, `${where}: bytes_alloc`);
    }
    if (['kmalloc', 'kmalloc_large', 'kfree', 'kmem_cache_alloc', 'kmem_cache_free'].includes(a.type))
      assert.equal(b.vaddr, a.vaddr, `${where}: ptr`);
    if (a.type === 'tlb_flush' && a.detail === 'range') assert.equal(b.size, a.size, `${where}: pages`);
  }
});

const MT = ['Unmovable', 'Movable', 'Reclaimable', 'HighAtomic', 'CMA', 'Isolate'];
const CAPTURES = ['compile-kmem.trace', 'compact-memory.trace', 'memcg-oom.trace'];

for (const file of CAPTURES) {
  test(`the real capture ${file} imports: one event a line, every field parsed`, async () => {
    const text = readFileSync(join(DATA, file), 'utf8');
    const r = await importTrace(text, `?name=${file}`);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const s = r.body.summary;
    const counts = countLines(text);
    assert.deepEqual(s.tracepoints, counts);
    assert.equal(s.events, Object.values(counts).reduce((a, b) => a + b, 0));
    assert.equal(s.bad_lines, 0);
    assert.equal(s.cpus, 2);
    // Fields, checked against the line they came from.
    const all = await events(r.body.id);
    const lines = text.split('\n').filter((l) => l.trim() && !l.trimStart().startsWith('#'));
    assert.equal(all.length, lines.length);
    for (let i = 0; i < lines.length; i++) {
      const e = all[i], l = lines[i];
      assert.ok(l.includes(`: ${e.type}: `), `line ${i}: ${e.type}`);
      const field = (k) => (new RegExp(`[ :]${k}=(\\S+)`).exec(l) || [])[1];
      if (e.type === 'mm_page_alloc' || e.type === 'mm_page_free') {
        assert.equal(e.pfn, parseInt(field('pfn'), 16), l);
        assert.equal(e.order, Number(field('order')), l);
      }
      if (e.type === 'mm_page_alloc') {
        assert.equal(e.migratetype, MT[Number(field('migratetype'))], l);
        assert.ok(e.gfp && e.gfp !== '0x0', l);
      }
      if (e.type === 'kmalloc' || e.type === 'kmem_cache_alloc') {
        assert.equal(e.size, Number(field('bytes_req')), l);
        assert.equal(e.value, Number(field('bytes_alloc')), l);
        assert.equal(e.vaddr, `0x${field('ptr').replace(/^0+/, '') || '0'}`, l);
        assert.match(e.detail, new RegExp(`call_site=${field('call_site').replace(/[+.]/g, '\\$&')}`), l);
      }
      if (e.type === 'kmem_cache_alloc' || e.type === 'kmem_cache_free')
        assert.match(e.detail, new RegExp(`name=${field('name')}( |$)`), l);
      if (e.type === 'mark_victim') assert.match(e.detail, /comm=tail/);
      if (e.type === 'mm_vmscan_memcg_reclaim_end') assert.equal(e.value, Number(field('nr_reclaimed')));
    }
  });
}

test('the capture of a compile says the ring buffer overwrote older events', async () => {
  const r = await importTrace(readFileSync(join(DATA, 'compile-kmem.trace')));
  assert.equal(r.status, 201);
  assert.equal(r.body.summary.lost.overwritten, 34951 - 21452);
});

test('unknown tracepoints are kept and listed; LOST lines are counted', async () => {
  const text = '# tracer: nop\n' +
    '          <idle>-0       [001] d..2. 100.000001: sched_switch: prev_comm=swapper/1 prev_pid=0 ==> next_comm=cc1 next_pid=7\n' +
    'CPU:1 [LOST 42 EVENTS]\n' +
    '             cc1-7       [001] ..... 100.000002: mm_page_alloc: page=0000000012345678 pfn=0x1234 order=2 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE|__GFP_COMP\n';
  const r = await importTrace(text);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.deepEqual(r.body.summary.unknown, ['sched_switch']);
  assert.deepEqual(r.body.summary.lost, { lines: 1, events: 42, overwritten: 0 });
  const ev = await events(r.body.id);
  assert.equal(ev[0].type, 'sched_switch');
  assert.match(ev[0].detail, /prev_comm=swapper\/1/);
  assert.equal(ev[1].pfn, 0x1234);
});

test('trace-cmd report, perf script and record-tgid lines are read too', async () => {
  const text = [
    '             gcc-12368 [000] 11551.479064: mm_page_alloc:        page=0xffffea0007f32b00 pfn=0x1fccac order=0 migratetype=0 gfp_flags=GFP_KERNEL',
    '             gcc 12368 [000] 11551.479065: kmem:mm_page_free: page=0xffffea0007f32b00 pfn=0x1fccac order=0',
    '    kworker/u4:2-123   (    123) [001] d..1. 11551.479066: kfree: call_site=foo+0x1/0x2 ptr=00000000deadbeef',
  ].join('\n');
  const r = await importTrace(text);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const ev = await events(r.body.id);
  assert.deepEqual(ev.map((e) => [e.type, e.task, e.pid, e.cpu ?? 0, e.pfn, e.ts_ns]), [
    ['mm_page_alloc', 'gcc', 12368, 0, 0x1fccac, 11551479064000],
    ['mm_page_free', 'gcc', 12368, 0, 0x1fccac, 11551479065000],
    ['kfree', 'kworker/u4:2', 123, 1, undefined, 11551479066000]]);
  assert.equal(ev[0].gfp, '0xcc0');
  assert.equal(ev[2].vaddr, '0xdeadbeef');
});

test('mmlab-capture refuses clearly when not root', { skip: !existsSync('/usr/sbin/runuser') && 'no runuser' }, () => {
  const r = spawnSync('/usr/sbin/runuser', ['-u', 'nobody', '--', 'sh', join(top, 'tools', 'mmlab-capture'), '--', 'true'],
                      { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /must run as root/);
});

test('malformed input: a clear error with the line number, or counted when lenient', async () => {
  const good = readFileSync(join(DATA, 'memcg-oom.trace'), 'utf8').split('\n');
  const truncated = [...good.slice(0, 20), good[20].slice(0, 60), ...good.slice(21)].join('\n');
  let r = await importTrace(truncated);
  assert.equal(r.status, 400);
  assert.equal(r.body.error.code, 'EINVAL');
  assert.match(r.body.error.message, /^line 21: /);
  r = await importTrace(truncated, '?lenient=1');
  assert.equal(r.status, 201);
  assert.equal(r.body.summary.bad_lines, 1);
  assert.equal(r.body.summary.bad[0].line, 21);
  // a field that does not follow its tracepoint's format
  r = await importTrace(good.slice(0, 13).join('\n').replace(/pfn=0x[0-9a-f]+/, 'pfn=0xZZ'));
  assert.equal(r.status, 400);
  assert.match(r.body.error.message, /line 13: .*pfn/);
  // binary garbage
  const bin = Buffer.alloc(4096);
  for (let i = 0; i < bin.length; i++) bin[i] = (i * 7919 + 13) & 0xff;
  r = await importTrace(bin);
  assert.equal(r.status, 400);
  assert.match(r.body.error.message, /^line \d+: /);
  r = await importTrace('');
  assert.equal(r.status, 400);
  // nothing of the failed imports is left
  const list = (await getJson(api('/sessions'))).body.sessions;
  assert.ok(!list.some((s) => s.last_seq === 0 && s.name === 'trace'), JSON.stringify(list));
  assert.equal((await getJson(api('/health'))).status, 200);
});

test('a trace larger than the bound is refused with 413, never held in memory, and the daemon stays up', async () => {
  // 1 GiB + 1 byte of comment lines, streamed: read and dropped as they come.
  const line = Buffer.from(`#${'-'.repeat(4094)}\n`);
  const total = (1 << 30) + 1;
  let sent = 0;
  const chunk = Buffer.concat(Array(256).fill(line));
  const body = new ReadableStream({
    pull(ctl) {
      if (sent >= total) { ctl.close(); return; }
      const n = Math.min(chunk.length, total - sent);
      ctl.enqueue(chunk.subarray(0, n));
      sent += n;
    },
  });
  const r = await fetch(api('/sessions/import-trace'), { method: 'POST', body, duplex: 'half' });
  assert.equal(r.status, 413);
  assert.equal((await r.json()).error.code, 'E2BIG');
  assert.equal((await getJson(api('/health'))).status, 200);
  const rss = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${d.child.pid}/status`, 'utf8'))[1]);
  assert.ok(rss < 512 * 1024, `the daemon's peak RSS ${rss} KiB stayed well below the upload's 1 GiB`);
});

test('the export streams a large session: the daemon does not hold the whole text', async () => {
  const id = await createSession(d.url, { mem_mib: 1024 }, 'large');
  for (let i = 0; i < 6; i++)
    await applyOps(d.url, id, [{ op: 'workload', kind: 'random', count: 50000, seed: i + 1 }]);
  const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${d.child.pid}/status`, 'utf8'))[1]);
  const r = await fetch(api(`/sessions/${id}/export?format=ftrace`));
  assert.equal(r.status, 200);
  const reader = r.body.getReader();
  let bytes = 0, lines = 0, peak = 0, first = null;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.length;
    for (const b of value) if (b === 10) lines++;
    if (first === null) first = rss();
    if (lines % 50 === 0) peak = Math.max(peak, rss());
    // a slow reader: the daemon must wait for it, not run ahead into memory
    if (bytes < 4 << 20) await new Promise((res) => setTimeout(res, 1));
  }
  peak = Math.max(peak, rss());
  const header = 12 + 1;	/* the kernel's header and the machine comment */
  const counted = Number(/entries-written: (\d+)/.exec(await (await fetch(api(`/sessions/${id}/export?format=ftrace`))).text())[1]);
  assert.equal(lines - header, counted);
  assert.ok(bytes > 16 << 20, `a large export: ${bytes} bytes`);
  assert.ok((peak - first) * 1024 < bytes / 4, `RSS grew ${peak - first} KiB while ${bytes >> 10} KiB were sent`);
});

for (const file of CAPTURES) {
  test(`the real capture ${file} written back is the same trace, line for line`, async () => {
    const text = readFileSync(join(DATA, file), 'utf8');
    const r = await importTrace(text);
    assert.equal(r.status, 201);
    const out = await (await fetch(api(`/sessions/${r.body.id}/export?format=ftrace`))).text();
    const body = (t) => t.split('\n').filter((l) => l.trim() && !l.startsWith('#'));
    const a = body(text), b = body(out);
    assert.equal(b.length, a.length);
    // page=%p is the kernel's hashed pointer, which a trace session does not keep
    const norm = (l) => l.replace(/page=[0-9a-f]{16}/, 'page=P').replace(/^\s*/, '');
    for (let i = 0; i < a.length; i++)
      assert.equal(norm(b[i]), norm(a[i]), `line ${i + 13}`);
    assert.match(out, new RegExp(`entries-in-buffer/entries-written: ${a.length}/${a.length}`));
  });
}
