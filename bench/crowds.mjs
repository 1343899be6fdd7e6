// crowds.mjs - mmlabd under crowds, in figures: health latency idle, under a
// flood of idle connections and slow-header clients, and while a long batch
// of ops runs; 1,000 live streams on one session with ops at 10 batches a
// second (every event delivered? how late? threads and memory). Each figure
// is printed with its ratio to the idle baseline of the same run; with
// MMLABD_BASELINE (another mmlabd, e.g. the previous build) the same
// measures run against it too, side by side. Never fails on time.
//
//   MMLABD=daemon/mmlabd [MMLABD_BASELINE=/path/to/old/mmlabd] node bench/crowds.mjs
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import net from 'node:net';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function start(bin, args = []) {
  const dir = mkdtempSync(join(tmpdir(), 'mmlab-bench-'));
  const child = spawn(bin, ['--listen', '127.0.0.1:0', '--db', join(dir, 'mmlab.db'), ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const port = await new Promise((resolve, reject) => {
    child.stderr.on('data', (d) => {
      log += d;
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(log);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', () => reject(new Error(`${bin} exited:\n${log}`)));
  });
  return {
    port, pid: child.pid,
    async stop() { child.kill('SIGTERM'); await new Promise((r) => child.once('exit', r)); rmSync(dir, { recursive: true, force: true }); },
  };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
function get(d, path, { from = '127.0.0.2', keep = false, timeoutMs = 5000 } = {}) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const req = http.get({ host: '127.0.0.1', port: d.port, path, localAddress: from, agent: keep ? agent : false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ ok: res.statusCode === 200, ms: performance.now() - t0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ ok: false, ms: performance.now() - t0 }));
  });
}
const post = (d, path, body) => fetch(`http://127.0.0.1:${d.port}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.json());

function pct(xs, p) { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; }
// @n health requests, one after the other on new connections: p50, p99, failures.
async function healthLatency(d, n = 200) {
  const ms = [];
  let failed = 0;
  for (let i = 0; i < n; i++) {
    const r = await get(d, '/api/v1/health');
    if (r.ok) ms.push(r.ms); else failed++;
  }
  return { p50: ms.length ? pct(ms, 0.5) : NaN, p99: ms.length ? pct(ms, 0.99) : NaN, failed, n };
}
const fmt = (l) => `p50 ${l.p50.toFixed(2)} ms, p99 ${l.p99.toFixed(2)} ms, ${l.failed}/${l.n} failed`;
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? (a / b).toFixed(2) : 'n/a');
function proc(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    return { threads: Number(/^Threads:\s+(\d+)/m.exec(s)[1]), rssMiB: Number(/^VmRSS:\s+(\d+)/m.exec(s)[1]) / 1024 };
  } catch { return { threads: NaN, rssMiB: NaN }; }
}

// Idle connections spread over 127.0.0.10.. (100 per address) and slow-header
// clients (a byte a second); returns a function that closes them.
async function flood(d, idle, slow) {
  const socks = [];
  const open = (i, first, drip) => new Promise((resolve) => {
    const s = net.connect({ port: d.port, host: '127.0.0.1', localAddress: `127.0.0.${10 + Math.floor(i / 100)}` });
    socks.push(s);
    s.on('error', () => resolve());
    s.on('data', () => {});
    s.on('connect', () => {
      if (first) s.write(first);
      if (drip) s.timer = setInterval(() => s.write('a'), 1000);
      resolve();
    });
  });
  for (let i = 0; i < idle; i += 500)
    await Promise.all(Array.from({ length: Math.min(500, idle - i) }, (_, k) => open(i + k)));
  await Promise.all(Array.from({ length: slow }, (_, k) =>
    open(idle + k, `GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1:${d.port}\r\nX-Slow: `, true)));
  await sleep(500);
  return () => { for (const s of socks) { clearInterval(s.timer); s.destroy(); } };
}

async function latencyFigures(name, bin, args) {
  const d = await start(bin, args);
  try {
    await healthLatency(d, 50);	// warm up
    const idle = await healthLatency(d);
    const before = proc(d.pid);
    const close = await flood(d, 2000, 300);
    const flooded = await healthLatency(d);
    const during = proc(d.pid);
    close();
    await sleep(300);
    console.log(`${name}: health idle: ${fmt(idle)}`);
    console.log(`${name}: health with 2000 idle connections + 300 slow-header clients: ${fmt(flooded)}; ` +
                `p50 ratio flood/idle ${ratio(flooded.p50, idle.p50)}; threads ${before.threads} -> ${during.threads}, ` +
                `VmRSS ${before.rssMiB.toFixed(0)} -> ${during.rssMiB.toFixed(0)} MiB`);
    // A long batch of ops (a random workload of 200000 ops) on a new session.
    const { id } = await post(d, '/api/v1/sessions', { name: 'long', machine: { mem_mib: 4096 } });
    let done = false;
    const t0 = performance.now();
    const long = post(d, `/api/v1/sessions/${id}/ops`, [{ op: 'workload', kind: 'random', count: 200000, seed: 3 }]).then(() => { done = true; });
    const during_long = [];
    let failed = 0;
    while (!done) {
      const r = await get(d, '/api/v1/health');
      if (done) break;
      if (r.ok) during_long.push(r.ms); else failed++;
    }
    await long;
    const l = { p50: during_long.length ? pct(during_long, 0.5) : NaN, p99: during_long.length ? pct(during_long, 0.99) : NaN, failed, n: during_long.length + failed };
    console.log(`${name}: health while a batch of 200000 ops runs (${((performance.now() - t0) / 1000).toFixed(1)} s): ${fmt(l)}; ` +
                `p50 ratio long-op/idle ${ratio(l.p50, idle.p50)}`);
  } finally {
    await d.stop();
  }
}

// 1,000 SSE clients on one session; ops at 10 batches a second for @secs s.
async function streamFigures(bin, nStreams = 1000, secs = 5) {
  const d = await start(bin, ['--max-streams', String(nStreams)]);
  const clients = [];
  try {
    const { id } = await post(d, '/api/v1/sessions', { name: 'streams', machine: { mem_mib: 1024 } });
    const before = proc(d.pid);
    for (let i = 0; i < nStreams; i++) {
      const c = { last: 0, count: 0, seen: new Map(), inOrder: true, resyncs: 0, ok: false };
      c.req = http.get({ host: '127.0.0.1', port: d.port, path: `/api/v1/sessions/${id}/stream`, localAddress: `127.0.0.${20 + (i % 50)}`, agent: false }, (res) => {
        c.ok = res.statusCode === 200;
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          buf += chunk;
          let k;
          while ((k = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, k);
            buf = buf.slice(k + 2);
            if (block.startsWith('event: resync')) c.resyncs++;
            if (!block.startsWith('event: events')) continue;
            const now = performance.now();
            for (const e of JSON.parse(block.slice(block.indexOf('data: ') + 6)).events) {
              if (c.last && e.seq !== c.last + 1) c.inOrder = false;
              c.last = e.seq;
              c.count++;
              c.seen.set(e.seq, now);
            }
          }
        });
      });
      c.req.on('error', () => {});
      clients.push(c);
    }
    while (clients.filter((c) => c.ok).length < nStreams) await sleep(50);
    let peak = proc(d.pid);
    const batches = [];
    const t0 = performance.now();
    while (performance.now() - t0 < secs * 1000) {
      const sent = performance.now();
      const r = await post(d, `/api/v1/sessions/${id}/ops`, [{ op: 'alloc_pages', order: 0 }, { op: 'kmalloc', size: 128 }]);
      batches.push({ ...r, sent });
      const p = proc(d.pid);
      if (p.threads > peak.threads || p.rssMiB > peak.rssMiB) peak = p;
      await sleep(Math.max(0, 100 - (performance.now() - sent)));
    }
    const last = batches.at(-1).last_seq, first = batches[0].first_seq;
    const wait0 = performance.now();
    while (clients.some((c) => c.last < last) && performance.now() - wait0 < 30000) await sleep(50);
    const expected = last - first + 1;
    const complete = clients.filter((c) => c.count === expected && c.inOrder && !c.resyncs).length;
    const lags = [];
    for (const b of batches) for (const c of clients) { const t = c.seen.get(b.last_seq); if (t) lags.push(t - b.sent); }
    console.log(`streams: ${nStreams} clients on one session, ${batches.length} batches at 10/s (${expected} events): ` +
                `${complete}/${nStreams} got every event in order; delivery after the batch was sent p50 ${pct(lags, 0.5).toFixed(1)} ms, ` +
                `p99 ${pct(lags, 0.99).toFixed(1)} ms; threads ${before.threads} -> ${peak.threads}, VmRSS ${before.rssMiB.toFixed(0)} -> ${peak.rssMiB.toFixed(0)} MiB`);
  } finally {
    for (const c of clients) c.req.destroy();
    await d.stop();
  }
}

const bin = process.env.MMLABD || 'daemon/mmlabd';
await latencyFigures('this build', bin, ['--max-streams', '2000']);
if (process.env.MMLABD_BASELINE) {
  try {
    await latencyFigures('baseline', process.env.MMLABD_BASELINE, []);
  } catch (e) {
    console.log(`baseline: ${e.message.split('\n')[0]}`);
  }
}
await streamFigures(bin);
agent.destroy();
