// sessions.mjs - many sessions on one mmlabd within --max-memory, in figures:
// 200 sessions of 4 GiB machines created (most hibernate), then a random
// hibernated one woken by a view (time to first byte, median and p99, beside
// the same view of a resident session); 50 live streams on 50 sessions with
// ops at 10 batches a second each (do they keep up?); the daemon's RSS before,
// at its peak and after closing them; a 256 GiB machine's creation time and
// RSS beside a 64 GiB one's. Never fails on time.
//
//   MMLABD=daemon/mmlabd [BENCH_SESSIONS=200] [BENCH_PARTS=big] node bench/sessions.mjs
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';

const N = Number(process.env.BENCH_SESSIONS || 200);
// BENCH_PARTS=sessions,streams,big (the default: all three) picks the parts to run.
const PARTS = new Set((process.env.BENCH_PARTS || 'sessions,streams,big').split(','));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function start(args = []) {
  const dir = mkdtempSync(join(tmpdir(), 'mmlab-bench-'));
  const child = spawn(process.env.MMLABD || 'daemon/mmlabd',
                      ['--listen', '127.0.0.1:0', '--db', join(dir, 'mmlab.db'), ...args],
                      { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const port = await new Promise((resolve, reject) => {
    child.stderr.on('data', (d) => {
      log += d;
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(log);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', () => reject(new Error(`mmlabd exited:\n${log}`)));
  });
  return {
    port, pid: child.pid, url: `http://127.0.0.1:${port}/api/v1`,
    async stop() { child.kill('SIGTERM'); await new Promise((r) => child.once('exit', r)); rmSync(dir, { recursive: true, force: true }); },
  };
}

// Resident and peak resident set of @pid, in MiB (the kernel's own figures).
function rss(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)[1]);
  return { now: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}
const post = async (url, body) => {
  const r = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const j = await r.json();
  if (!r.ok) throw new Error(`${url}: ${r.status} ${JSON.stringify(j)}`);
  return j;
};
// Milliseconds to the first byte of a GET.
function ttfb(url) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    http.get(url, (res) => {
      let first = 0;
      res.once('data', () => { first = performance.now() - t0; });
      res.on('data', () => {});
      res.on('end', () => (res.statusCode === 200 ? resolve(first) : reject(new Error(`${url}: ${res.statusCode}`))));
    }).on('error', reject);
  });
}
function pct(xs, p) { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; }
const f = (x, d = 0) => x.toFixed(d);
const sessions = async (d) => (await (await fetch(`${d.url}/sessions`)).json()).sessions;

// --- 200 sessions, then wakes
if (PARTS.has('sessions')) {
  const d = await start(['--max-memory', '512M']);
  const before = rss(d.pid).now;
  const create = [];
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    const { id } = await post(`${d.url}/sessions`, { name: `s${i}`, machine: { mem_mib: 4096 } });
    await post(`${d.url}/sessions/${id}/ops`, [{ op: 'alloc_pages', order: 3 }, { op: 'kmalloc', size: 100 }]);
    create.push(performance.now() - t0);
  }
  const list = await sessions(d);
  const live = list.filter((s) => s.state === 'live'), hib = list.filter((s) => s.state === 'hibernated');
  const peak = rss(d.pid).peak;
  console.log(`${N} sessions of 4 GiB within --max-memory 512M: create + op ${f(pct(create, 0.5))} ms median, ` +
              `${f(pct(create, 0.99))} ms p99; ${live.length} resident, ${hib.length} hibernated`);
  const base = [];
  for (let i = 0; i < 30; i++) base.push(await ttfb(`${d.url}/sessions/${live[live.length - 1].id}/proc/buddyinfo`));
  const wake = [];
  let seed = 12345;
  for (let i = 0; i < 30; i++) {
    const hibNow = (await sessions(d)).filter((s) => s.state === 'hibernated');
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    wake.push(await ttfb(`${d.url}/sessions/${hibNow[seed % hibNow.length].id}/proc/buddyinfo`));
  }
  console.log(`wake a random hibernated session (view, first byte): ${f(pct(wake, 0.5))} ms median, ` +
              `${f(pct(wake, 0.99))} ms p99; the same view of a resident one: ${f(pct(base, 0.5), 1)} ms median ` +
              `(x${f(pct(wake, 0.5) / pct(base, 0.5))})`);
  const metrics = await (await fetch(`http://127.0.0.1:${d.port}/metrics`)).text();
  const m = (k) => Number(new RegExp(`^${k} (\\S+)$`, 'm').exec(metrics)[1]);
  console.log(`daemon's own wake latency: ${f(1000 * m('mmlab_sessions_wake_seconds_sum') / m('mmlab_sessions_wake_seconds_count'))} ms mean over ${m('mmlab_sessions_wake_seconds_count')}`);
  const during = rss(d.pid);
  for (const s of await sessions(d))
    if (s.state === 'live' || s.state === 'hibernated')
      await fetch(`${d.url}/sessions/${s.id}`, { method: 'DELETE' });
  const after = rss(d.pid).now;
  console.log(`RSS: ${f(before)} MiB before, ${f(Math.max(peak, during.peak))} MiB at peak, ${f(during.now)} MiB ` +
              `with ${live.length} resident, ${f(after)} MiB after closing all (${f(100 * after / during.now)} %)`);
  await d.stop();
}

// --- 50 live streams, ops at 10 batches a second on each session
async function streams(n, seconds, each) {
  const d = await start([]);
  const ids = [];
  for (let i = 0; i < n; i++)
    ids.push((await post(`${d.url}/sessions`, { name: `st${i}`, machine: { mem_mib: 1024 } })).id);
  const got = new Map(ids.map((id) => [id, 0]));
  const ctl = new AbortController();
  await Promise.all(ids.map(async (id) => {
    const res = await fetch(`${d.url}/sessions/${id}/stream`, { signal: ctl.signal });
    const dec = new TextDecoder();
    let buf = '';
    (async () => {
      try {
        for await (const chunk of res.body) {
          buf += dec.decode(chunk, { stream: true });
          for (const m of buf.matchAll(/"seq":(\d+)/g)) got.set(id, Math.max(got.get(id), Number(m[1])));
          buf = buf.slice(buf.lastIndexOf('\n'));
        }
      } catch { /* aborted */ }
    })();
  }));
  const last = new Map();
  const t0 = performance.now();
  let batches = 0, late = 0;
  for (let tick = 0; tick < seconds * 10; tick++) {
    const due = t0 + tick * 100;
    if (performance.now() > due + 100) late++;
    await Promise.all((each ? ids : [ids[tick % n]]).map(async (id) => {
      const r = await post(`${d.url}/sessions/${id}/ops`, [{ op: 'alloc_pages', order: 0 }, { op: 'kmalloc', size: 64 }]);
      last.set(id, r.last_seq);
      batches++;
    }));
    const wait = due + 100 - performance.now();
    if (wait > 0) await sleep(wait);
  }
  const elapsed = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  while ([...ids].some((id) => got.get(id) < last.get(id)) && performance.now() - t1 < 5000) await sleep(10);
  const drain = performance.now() - t1;
  const behind = ids.filter((id) => got.get(id) < last.get(id)).length;
  ctl.abort();
  await d.stop();
  return { rate: batches / elapsed / (each ? n : 1), late, drain, behind };
}
if (PARTS.has('streams')) {
  const one = await streams(1, 5, true);
  const all = await streams(50, 5, false);
  const each = await streams(50, 5, true);
  const line = (what, r) => console.log(`${what}: ${f(r.rate, 1)} batches/s kept (x${f(r.rate / one.rate, 2)} the ` +
    `single stream), ${r.late} of 50 ticks late, every stream caught up ${f(r.drain)} ms after the last batch` +
    `${r.behind ? ` (${r.behind} still behind after 5 s)` : ''}`);
  line('1 stream, 10 batches/s (baseline)', one);
  line('50 streams on 50 sessions, 10 batches/s in all', all);
  line('50 streams on 50 sessions, 10 batches/s on each (per session)', each);
}

// --- a 256 GiB machine beside a 64 GiB one, and against the host's cost of fresh memory
if (PARTS.has('big')) {
  // One daemon, machines created and closed in turn: the first 256 GiB machine gets its
  // 4 GiB of struct pages fresh from the host, the second right after the first was closed.
  const d = await start([]);
  const create = async (mib) => {
    const base = rss(d.pid).now;
    const t0 = performance.now();
    const { id } = await post(`${d.url}/sessions`, { machine: { mem_mib: mib } });
    const ms = performance.now() - t0;
    const r = rss(d.pid);
    const info = await (await fetch(`${d.url}/sessions/${id}`)).json();
    await fetch(`${d.url}/sessions/${id}`, { method: 'DELETE' });
    const after = rss(d.pid).now;
    const bound = info.memory.mem_map_bytes / 2 ** 20 * 1.05;
    return { ms, peak: r.peak - base, bound, after: after - base, bytes: info.memory.mem_map_bytes };
  };
  const small = await create(65536);
  const big = await create(262144);
  const again = await create(262144);
  await d.stop();
  // The baseline, in this process: writing as many bytes of fresh memory once, page by page.
  const touch = () => {
    const t0 = performance.now();
    const chunks = [];
    for (let left = big.bytes; left > 0; left -= 2 ** 29) {
      const b = Buffer.allocUnsafeSlow(Math.min(left, 2 ** 29));
      for (let i = 0; i < b.length; i += 4096) b[i] = 1;
      chunks.push(b);
    }
    return performance.now() - t0;
  };
  const fresh = touch();
  console.log(`64 GiB machine: created in ${f(small.ms)} ms, peak RSS +${f(small.peak)} MiB`);
  console.log(`256 GiB machine: created in ${f(big.ms)} ms (x${f(big.ms / small.ms, 1)} the 64 GiB one for x4 the pages), ` +
              `peak RSS +${f(big.peak)} MiB (64 B/page + 5 %: ${f(big.bound)} MiB), +${f(big.after)} MiB after closing`);
  console.log(`256 GiB machine again, after the first was closed: created in ${f(again.ms)} ms`);
  console.log(`baseline: writing ${f(big.bytes / 2 ** 20)} MiB of fresh memory once, page by page: ${f(fresh)} ms ` +
              `(the first 256 GiB creation is x${f(big.ms / fresh, 2)} of it, the second x${f(again.ms / fresh, 2)})`);
}
