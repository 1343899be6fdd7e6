// trace_import.mjs - import of a big kernel trace: TRACE_LINES lines (default
// 1 million) of the kmem tracepoints, made by repeating the real capture
// tests/data/ftrace/compile-kmem.trace (its lines, pfns shifted each round so
// frames differ, timestamps kept rising), streamed to a real mmlabd's
// POST /api/v1/sessions/import-trace. Reports lines/s (target >= 300 000),
// the daemon's peak RSS against the upload's size (memory bounded), then
// POST .../resimulate's requests/s on the same session. The baseline, in the
// same run, is the daemon reading the same upload as comment lines (the
// parse-free cost of the HTTP body alone).
//   node bench/trace_import.mjs        (make bench runs it)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, getJson, top } from '../tests/e2e/lib/daemon.mjs';

const want = Number(process.env.TRACE_LINES || 1_000_000);
const src = readFileSync(join(top, 'tests', 'data', 'ftrace', 'compile-kmem.trace'), 'utf8')
  .split('\n').filter((l) => l.trim() && !l.startsWith('#'));

// Round @r of the capture, as text: pfns and timestamps moved on.
function round(r, comment) {
  const out = [];
  for (const l of src) {
    let line = l.replace(/pfn=0x([0-9a-f]+)/, (_, p) => `pfn=0x${((parseInt(p, 16) + r * 4096) % 0x280000).toString(16)}`)
      .replace(/ (\d+)\.(\d{6}): /, (_, s, u) => ` ${Number(s) + r}.${u}: `);
    out.push(comment ? `#${line}` : line);
  }
  return `${out.join('\n')}\n`;
}

// The upload, made before the clock starts (on a shared machine, making it
// as it is sent measured this script's regular expressions as much as the daemon).
function chunks(comment) {
  const out = [];
  for (let r = 0, sent = 0; sent < want; r++, sent += src.length)
    out.push(new TextEncoder().encode(round(r, comment)));
  return out;
}

function body(list) {
  let i = 0;
  return new ReadableStream({
    pull(ctl) {
      if (i >= list.length) { ctl.close(); return; }
      ctl.enqueue(list[i++]);
    },
  });
}

// The daemon's CPU seconds (user + system): the machine may be shared, the wall clock not ours alone.
const cpu = (pid) => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return (Number(f[11]) + Number(f[12])) / 100; };
const hwm = (pid) => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);

const d = await startDaemon();
try {
  let upload = chunks(true);
  let t = performance.now();
  let r = await fetch(`${d.url}/api/v1/sessions/import-trace`, { method: 'POST', body: body(upload), duplex: 'half' });
  const base = (performance.now() - t) / 1000;
  if (r.status !== 400) throw new Error(`baseline: ${r.status} ${await r.text()}`);
  upload = chunks(false);
  t = performance.now();
  const c0 = cpu(d.child.pid);
  r = await fetch(`${d.url}/api/v1/sessions/import-trace?name=bench`, { method: 'POST', duplex: 'half', body: body(upload) });
  const secs = (performance.now() - t) / 1000;
  const res = await r.json();
  upload = null;
  const cpuSecs = cpu(d.child.pid) - c0;
  if (r.status !== 201) throw new Error(`import: ${r.status} ${JSON.stringify(res)}`);
  const lines = res.summary.lines, bytes = res.summary.bytes;
  console.log(`import-trace: ${lines} lines (${(bytes / 2 ** 20).toFixed(0)} MiB) in ${secs.toFixed(2)} s: ` +
              `${Math.round(lines / secs)} lines/s, ${Math.round(lines / cpuSecs)} lines per CPU second of mmlabd ` +
              `(target >= 300000); the body alone, read and dropped: ` +
              `${Math.round(lines / base)} lines/s (ratio ${(base / secs).toFixed(2)})`);
  console.log(`mmlabd peak RSS ${(hwm(d.child.pid) / 1024).toFixed(0)} MiB for a ${(bytes / 2 ** 20).toFixed(0)} MiB upload`);
  t = performance.now();
  const f = (await getJson(`${d.url}/api/v1/sessions/${res.id}/resimulate`, { method: 'POST' })).body;
  console.log(`resimulate: ${f.requests} requests in ${f.seconds.toFixed(2)} s of replay: ${Math.round(f.requests_per_s)} ` +
              `requests/s (the whole request ${((performance.now() - t) / 1000).toFixed(2)} s); page allocations: ` +
              `both ok ${(100 * f.page_allocs.share_both_ok).toFixed(1)} %, same migratetype ` +
              `${(100 * f.page_allocs.share_same_migratetype).toFixed(1)} %`);
} finally {
  await d.stop();
}
