// crowds.test.mjs - the daemon under crowds and slow clients: idle
// connections by the thousand, one address that opens far too many, clients
// that send their headers a byte a second, a thousand live streams, and a
// long batch of ops. What is asserted is behaviour (served, refused, cut,
// every event in order, threads bounded), never a speed: figures are for
// bench/load.sh. The waits are guards against a hang, not time limits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { startDaemon, createSession, postJson } from './lib/daemon.mjs';
import { launchChromium, saveScreenshot } from './lib/browser.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(cond, what, ms = 90000) {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error(`still waiting for ${what}`);
    await sleep(50);
  }
}

// The daemon's threads and resident memory, from /proc.
function procStatus(pid) {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  return { threads: Number(/^Threads:\s+(\d+)/m.exec(s)[1]), rssKiB: Number(/^VmRSS:\s+(\d+)/m.exec(s)[1]) };
}

// GET @path from the local address @from (127.0.0.0/8 is all loopback).
function get(d, path, from = '127.0.0.2') {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: d.port, path, localAddress: from, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', reject);
  });
}
async function metric(d, name) {
  const { body } = await get(d, '/metrics');
  const m = new RegExp(`^${name.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(body);
  return m ? Number(m[1]) : NaN;
}

// A TCP connection from @from that sends @first and then nothing, or a byte
// of @drip every second; .closed resolves when the daemon closes it.
function idle(d, from, first = '', drip = '') {
  const sock = net.connect({ port: d.port, host: '127.0.0.1', localAddress: from });
  let timer, i = 0;
  const c = { sock, closedByPeer: false, connected: false };
  c.settled = new Promise((resolve) => {
    sock.on('connect', () => {
      c.connected = true;
      if (first) sock.write(first);
      if (drip) timer = setInterval(() => sock.write(drip[i++ % drip.length]), 1000);
      resolve();
    });
    sock.on('error', () => resolve());
  });
  c.closed = new Promise((resolve) => sock.on('close', () => { clearInterval(timer); c.closedByPeer = !c.destroyed; resolve(); }));
  sock.on('data', () => {});
  sock.on('error', () => {});
  c.destroy = () => { c.destroyed = true; clearInterval(timer); sock.destroy(); };
  return c;
}

test('1,200 idle connections from 8 addresses are all held, health answers, and no thread is added', async (t) => {
  const d = await startDaemon({ args: ['--header-timeout', '600'] });
  const conns = [];
  try {
    const before = procStatus(d.child.pid);
    for (let a = 2; a < 10; a++)
      for (let i = 0; i < 150; i++) conns.push(idle(d, `127.0.0.${a}`));
    await Promise.all(conns.map((c) => c.settled));
    await until(async () => (await metric(d, 'mmlab_connections_open')) >= 1200, '1,200 open connections');
    const health = await get(d, '/api/v1/health', '127.0.0.1');
    assert.equal(health.status, 200);
    assert.equal(JSON.parse(health.body).status, 'ok');
    const during = procStatus(d.child.pid);
    assert.ok(during.threads <= before.threads, `threads ${before.threads} -> ${during.threads}`);
    assert.equal(conns.filter((c) => c.closedByPeer).length, 0, 'none was closed by the daemon');
    t.diagnostic(`1200 idle: threads ${before.threads} -> ${during.threads}, VmRSS ${before.rssKiB} -> ${during.rssKiB} KiB`);
  } finally {
    for (const c of conns) c.destroy();
    await d.stop();
  }
});

test('10,000 connections from one address: beyond --max-per-ip they are refused and counted; another address is served', async (t) => {
  // the held ones never send headers: a header timeout longer than the test keeps them held
  const d = await startDaemon({ args: ['--max-per-ip', '256', '--header-timeout', '600'] });
  const conns = [];
  try {
    for (let batch = 0; batch < 20; batch++) {
      const some = Array.from({ length: 500 }, () => idle(d, '127.0.0.1'));
      conns.push(...some);
      await Promise.all(some.map((c) => c.settled));
    }
    // Those the host let connect (a loaded host may run out of local ports or drop a SYN
    // past its backlog: the client then never reaches the daemon), and the metrics request.
    const connected = conns.filter((c) => c.connected).length;
    assert.ok(connected >= 9000, `${connected} of 10000 connected`);
    if (connected < 10000) t.diagnostic(`${10000 - connected} of 10000 never connected`);
    await until(async () => (await metric(d, 'mmlab_connections_refused_total{reason="per_ip"}')) +
                            (await metric(d, 'mmlab_connections_open')) >= connected + 1, 'every connection accepted or refused');
    const health = await get(d, '/api/v1/health', '127.0.0.2');
    assert.equal(health.status, 200, 'a second address is served');
    const refused = await metric(d, 'mmlab_connections_refused_total{reason="per_ip"}');
    await until(() => conns.filter((c) => c.closedByPeer).length >= refused, 'the refused connections to be closed');
    const held = conns.filter((c) => !c.closedByPeer).length;
    assert.ok(held >= 256 && held <= 256 + 16, `held ${held} of 10000 (--max-per-ip 256, give or take a thread each)`);
    assert.ok(refused >= connected - held, `refused ${refused}`);
    await assert.rejects(get(d, '/api/v1/health', '127.0.0.1'), 'the address that has its share is refused');
  } finally {
    for (const c of conns) c.destroy();
    await d.stop();
  }
});

test('500 clients sending headers a byte a second: the dashboard loads meanwhile, and they are cut at --header-timeout', async (t) => {
  const d = await startDaemon({ args: ['--header-timeout', '15'] });
  const conns = [];
  let browser;
  try {
    for (let i = 0; i < 500; i++)
      conns.push(idle(d, `127.0.0.${3 + (i % 2)}`, `GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1:${d.port}\r\n`,
        'X-Slow: abcdefghijklmnopqrstuvwxyz\r\n'));
    await Promise.all(conns.map((c) => c.settled));
    await until(async () => (await metric(d, 'mmlab_connections_open')) >= 500, '500 slow clients connected');
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    await page.goto(`${d.url}/`);
    await page.waitForSelector('#session option', { state: 'attached', timeout: 60000 });
    await page.waitForSelector('#overview-zones canvas[data-zone]', { timeout: 60000 });
    assert.deepEqual(errors, []);
    const stillDripping = conns.filter((c) => !c.sock.destroyed).length;
    await saveScreenshot(page, '#slowloris');
    await page.close();
    t.diagnostic(`the dashboard loaded with ${stillDripping} slow clients still connected`);
    await until(() => conns.every((c) => c.closedByPeer), 'the daemon to cut every slow client', 120000);
    assert.ok(await metric(d, 'mmlab_connections_refused_total{reason="header_timeout"}') >= 500);
  } finally {
    await browser?.close();
    for (const c of conns) c.destroy();
    await d.stop();
  }
});

// An SSE client from @from: every message, parsed.
function stream(d, path, from) {
  const s = { messages: [], res: null };
  s.req = http.get({ host: '127.0.0.1', port: d.port, path, localAddress: from, agent: false }, (res) => {
    s.status = res.statusCode;
    let buf = '';
    res.setEncoding('utf8');
    res.on('data', (chunk) => {
      buf += chunk;
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const ev = /^event: (.*)$/m.exec(block), data = /^data: (.*)$/m.exec(block);
        if (ev && data) s.messages.push({ event: ev[1], data: JSON.parse(data[1]) });
      }
    });
  });
  s.req.on('error', () => {});
  s.seqs = () => s.messages.filter((m) => m.event === 'events').flatMap((m) => m.data.events.map((e) => e.seq));
  return s;
}

const STREAMS = 1000;	// the classroom: a thousand dashboards on one session

test('1,000 streams on one session, ops at 10 batches a second: each stream gets every event in order, threads stay few', async (t) => {
  const d = await startDaemon();
  const streams = [];
  try {
    const id = await createSession(d.url, { mem_mib: 256 });
    const before = procStatus(d.child.pid);
    for (let i = 0; i < STREAMS; i++) streams.push(stream(d, `/api/v1/sessions/${id}/stream`, `127.0.0.${5 + (i % 4)}`));
    await until(() => streams.every((s) => s.messages.some((m) => m.event === 'hello')), 'every stream\'s hello');
    assert.ok(streams.every((s) => s.status === 200));
    const hello = streams[0].messages[0].data.seq;
    assert.ok(streams.every((s) => s.messages[0].data.seq === hello));
    let peak = procStatus(d.child.pid);
    let first, last;
    for (let b = 0; b < 20; b++) {
      const r = (await postJson(`${d.url}/api/v1/sessions/${id}/ops`,
        [{ op: 'alloc_pages', order: b % 4 }, { op: 'kmalloc', size: 64 + b }])).body;
      first ??= r.first_seq;
      last = r.last_seq;
      const now = procStatus(d.child.pid);
      if (now.threads > peak.threads || now.rssKiB > peak.rssKiB) peak = now;
      await sleep(100);
    }
    assert.equal(first, hello + 1);
    await until(() => streams.every((s) => s.seqs().at(-1) === last), 'every stream to get the last event');
    const expected = Array.from({ length: last - hello }, (_, i) => hello + 1 + i);
    for (const [i, s] of streams.entries()) {
      assert.deepEqual(s.seqs(), expected, `stream ${i}`);
      assert.ok(!s.messages.some((m) => m.event === 'resync'), `stream ${i} was never resynced`);
    }
    assert.equal(await metric(d, 'mmlab_stream_clients'), STREAMS);
    assert.ok(peak.threads <= before.threads, `threads ${before.threads} -> ${peak.threads} with ${STREAMS} streams`);
    t.diagnostic(`${STREAMS} streams: threads ${before.threads} -> ${peak.threads}, VmRSS ${before.rssKiB} -> ${peak.rssKiB} KiB`);
  } finally {
    for (const s of streams) s.req.destroy();
    await d.stop();
  }
});

test('a long batch of ops runs apart from the polling threads: with one of them, health answers while it runs', async () => {
  const d = await startDaemon({ args: ['--threads', '1'] });
  try {
    const id = await createSession(d.url, { mem_mib: 4096 });
    let done = false;
    const long = postJson(`${d.url}/api/v1/sessions/${id}/ops`,
      [{ op: 'workload', kind: 'random', count: 60000, seed: 7 }]).then((r) => { done = true; return r; });
    await until(async () => (await metric(d, 'mmlab_handler_jobs')) >= 1 || done, 'the batch to start');
    const health = await get(d, '/api/v1/health', '127.0.0.1');
    const zones = await get(d, `/api/v1/sessions/1/zones`, '127.0.0.1');
    assert.equal(health.status, 200);
    assert.equal(zones.status, 200, 'a view of another session too');
    assert.equal(done, false, 'health and the other session answered before the batch was over');
    assert.equal((await long).status, 200);
  } finally {
    await d.stop();
  }
});
