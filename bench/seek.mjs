// seek.mjs - time travel in a big session: a real mmlabd records a session of
// SEEK_EVENTS events (default 10 million) made of workload ops (random,
// SEEK_WORKLOAD_COUNT steps each, default 2000: about 16 000 events) on the
// default 4 GiB machine, then GET .../zones?at=SEQ is timed at random seqs: the first
// seek (from a snapshot the live session stored while it recorded), the
// following ones (from stored snapshots and the machines kept at op
// boundaries), 20 more, and the same again after a restart (from the
// snapshots stored in the database). The baseline is the re-execution of the
// whole session, measured in the same run (verify).
//   node bench/seek.mjs            (make bench runs it)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, postJson, getJson } from '../tests/e2e/lib/daemon.mjs';

const want = Number(process.env.SEEK_EVENTS || 10_000_000);
const seeks = 20;
const perOp = Number(process.env.SEEK_WORKLOAD_COUNT || 2000);	// workload steps per op
const dir = mkdtempSync(join(tmpdir(), 'mmlab-seek-'));

function prng(seed) {
  let x = seed >>> 0;
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x / 2 ** 32; };
}

async function timed(f) {
  const t = performance.now();
  const r = await f();
  return [performance.now() - t, r];
}

const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];

async function seekRound(url, id, last, label, seed = label.length) {
  const rand = prng(seed * 7919);
  const times = [];
  for (let i = 0; i < seeks; i++) {
    const at = 1 + Math.floor(rand() * last);
    const [ms, r] = await timed(() => getJson(`${url}/api/v1/sessions/${id}/zones?at=${at}`));
    if (r.status !== 200 || r.body.seq !== at) throw new Error(`seek to ${at}: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
    times.push(ms);
  }
  const rest = times.slice(1);
  console.log(`${label}: first ${times[0].toFixed(0)} ms; then median ${pct(rest, 0.5).toFixed(0)} ms, ` +
              `p90 ${pct(rest, 0.9).toFixed(0)} ms, max ${Math.max(...rest).toFixed(0)} ms (target <= 300 ms)`);
}

let d = await startDaemon({ dbDir: dir });
try {
  const id = (await postJson(`${d.url}/api/v1/sessions`, { name: 'seek', machine: {} })).body.id;
  let last = 0;
  let ops = 0;
  const [recordMs] = await timed(async () => {
    for (let seed = 1; last < want; seed++) {
      const r = await postJson(`${d.url}/api/v1/sessions/${id}/ops`,
                               { op: 'workload', kind: 'random', count: perOp, seed });
      if (r.status !== 200) throw new Error(`ops: ${r.status} ${JSON.stringify(r.body)}`);
      last = r.body.last_seq;
      ops++;
    }
  });
  console.log(`session: ${last} events in ${ops} ops, recorded in ${(recordMs / 1000).toFixed(1)} s ` +
              `(${(last / recordMs * 1000).toFixed(0)} events/s through the API)`);
  const [verifyMs, v] = await timed(() => getJson(`${d.url}/api/v1/sessions/${id}/verify`));
  if (!v.body.ok) throw new Error(`verify: ${JSON.stringify(v.body)}`);
  console.log(`baseline: re-executing the whole session (verify) ${verifyMs.toFixed(0)} ms`);
  await seekRound(d.url, id, last, 'seek, this daemon');
  // Other targets, once the daemon's heap holds its replay cache: while it
  // grows, each new machine faults in fresh memory (slow in a VM).
  await seekRound(d.url, id, last, 'seek, this daemon, next 20', 99);
  await d.stop({ keep: true });
  d = await startDaemon({ dbDir: dir });
  const stored = await getJson(`${d.url}/metrics`);
  await seekRound(d.url, id, last, 'seek after a restart');
  const m = /^mmlab_snapshots_loaded_total (\d+)$/m.exec((await (await fetch(`${d.url}/metrics`)).text()));
  console.log(`  (${m ? m[1] : '?'} of those replays started from a stored snapshot; ${stored.status === 200 ? 'metrics ok' : ''})`);
} finally {
  await d.stop();
  rmSync(dir, { recursive: true, force: true });
}
