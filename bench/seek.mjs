// seek.mjs - time travel in a big session: a real mmlabd records a session of
// SEEK_EVENTS events (default 10 million) made of workload ops (random,
// SEEK_WORKLOAD_COUNT steps each, default 2000: about 16 000 events) on the
// default 4 GiB machine, then GET .../zones?at=SEQ is timed at random seqs: the first
// seek (from a snapshot the live session stored while it recorded), the
// following ones (from stored snapshots and the machines kept at op
// boundaries), 20 more, and the same again after a restart (from the
// snapshots stored in the database). The baseline is the re-execution of the
// whole session, measured in the same run (verify). Then pages of events by
// type, page and address are timed in the same session.
//   node bench/seek.mjs            (make bench runs it)
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
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

// GET .../events with a filter, a page of up to 1000: by type (a frequent one
// and the rarest) from a random seq on, by page and by address (those of a
// random event) from the session's start; read through event_keys.
async function filterRound(url, id, last) {
  const rand = prng(4242);
  const base = `${url}/api/v1/sessions/${id}/events`;
  const types = new Map();
  for (let i = 0; i < 20; i++) {
    const e = (await getJson(`${base}?since=${Math.floor(rand() * last)}&limit=200`)).body.events;
    for (const x of e) types.set(x.type, (types.get(x.type) ?? 0) + 1);
  }
  const byCount = [...types].sort((a, b) => b[1] - a[1]).map(([t]) => t);
  const since = () => `since=${Math.floor(rand() * last)}`;
  const filters = [[`type ${byCount[0]}, from a random seq`, () => `type=${byCount[0]}&${since()}`],
                   [`type ${byCount.at(-1)}, from a random seq`, () => `type=${byCount.at(-1)}&${since()}`]];
  for (const field of ['pfn', 'vaddr']) {
    filters.push([`${field} of a random event, from the start`, async () => {
      for (;;) {
        const e = (await getJson(`${base}?${since()}&limit=50`)).body.events
          .find((x) => x[field] !== undefined && x[field] !== null);
        if (e) return `${field}=${e[field]}&since=0`;
      }
    }]);
  }
  for (const [label, query] of filters) {
    const times = [];
    let found = 0;
    for (let i = 0; i < 10; i++) {
      const q = await query();
      const [ms, r] = await timed(() => getJson(`${base}?${q}&limit=1000`));
      if (r.status !== 200) throw new Error(`events?${q}: ${r.status}`);
      found += r.body.events.length;
      times.push(ms);
    }
    console.log(`events by ${label}, a page of up to 1000: median ${pct(times, 0.5).toFixed(0)} ms, ` +
                `max ${Math.max(...times).toFixed(0)} ms (${(found / 10).toFixed(0)} events a page)`);
  }
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
  const bytes = [d.db, `${d.db}-wal`].reduce((n, f) => n + (existsSync(f) ? statSync(f).size : 0), 0);
  console.log(`session: ${last} events in ${ops} ops, recorded in ${(recordMs / 1000).toFixed(1)} s ` +
              `(${(last / recordMs * 1000).toFixed(0)} events/s through the API); database ` +
              `${(bytes / 2 ** 20).toFixed(0)} MiB (${(bytes / last).toFixed(1)} bytes an event)`);
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
  await filterRound(d.url, id, last);
} finally {
  await d.stop();
  rmSync(dir, { recursive: true, force: true });
}
