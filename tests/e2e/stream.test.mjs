// stream.test.mjs - the live stream (Server-Sent Events): event batches and
// summaries, many clients at once, a slow client resynced without stalling
// anything, and clean disconnects.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startDaemon, getJson, postJson, createSession } from './lib/daemon.mjs';

let d;
before(async () => { d = await startDaemon(); });
after(async () => { await d.stop(); });

// An SSE client over fetch: collects parsed messages until closed.
function sse(url) {
  const controller = new AbortController();
  const messages = [];
  let closing = false;
  let buffer = '';
  const done = (async () => {
    const res = await fetch(url, { signal: controller.signal });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/event-stream/);
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body) {
        buffer += decoder.decode(chunk, { stream: true });
        let i;
        while ((i = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, i);
          buffer = buffer.slice(i + 2);
          const ev = /^event: (.*)$/m.exec(block);
          const data = /^data: (.*)$/m.exec(block);
          if (ev && data) messages.push({ event: ev[1], data: JSON.parse(data[1]) });
        }
      }
    } catch (e) {
      if (!closing) throw e;
    }
  })();
  done.catch(() => {});
  return { messages, done, close: () => { closing = true; controller.abort(); return done.catch(() => {}); } };
}

const until = async (cond, ms = 5000) => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
};

const newSession = (machine) => createSession(d.url, machine);

async function metric(name) {
  const text = await (await fetch(`${d.url}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

test('a client gets hello, the events of each op in order, and summaries', async () => {
  const id = await newSession({ mem_mib: 128 });
  const c = sse(`${d.url}/api/v1/sessions/${id}/stream`);
  await until(() => c.messages.some((m) => m.event === 'hello'));
  const hello = c.messages.find((m) => m.event === 'hello').data;
  const r = (await postJson(`${d.url}/api/v1/sessions/${id}/ops`,
    [{ op: 'alloc_pages', order: 3 }, { op: 'alloc_pages', order: 0 }])).body;
  assert.equal(r.first_seq, hello.seq + 1);
  await until(() => c.messages.filter((m) => m.event === 'events')
    .flatMap((m) => m.data.events).some((e) => e.seq === r.last_seq));
  const events = c.messages.filter((m) => m.event === 'events').flatMap((m) => m.data.events);
  assert.deepEqual(events.map((e) => e.seq),
    Array.from({ length: r.last_seq - r.first_seq + 1 }, (_, i) => r.first_seq + i));
  const stored = (await getJson(`${d.url}/api/v1/sessions/${id}/events?since=${hello.seq}`)).body.events;
  assert.deepEqual(events.map((e) => e.type), stored.map((e) => e.type));
  assert.ok(events.some((e) => e.type === 'mm_page_alloc' && e.order === 3));
  await until(() => c.messages.some((m) => m.event === 'summary' && m.data.seq === r.last_seq));
  await c.close();
});

// Wait for a gauge to reach @value (a closed client is noticed within ~100 ms).
async function metricBecomes(name, value, ms = 5000) {
  const t0 = Date.now();
  while ((await metric(name)) !== value && Date.now() - t0 < ms)
    await new Promise((r) => setTimeout(r, 50));
  return metric(name);
}

test('50 clients at once while a workload runs; all see it, the daemon stays quick', async () => {
  assert.equal(await metricBecomes('mmlab_stream_clients', 0), 0, 'earlier clients are gone');
  const id = await newSession({ mem_mib: 256 });
  const clients = Array.from({ length: 50 }, () => sse(`${d.url}/api/v1/sessions/${id}/stream`));
  await until(() => clients.every((c) => c.messages.some((m) => m.event === 'hello')));
  assert.equal(await metric('mmlab_stream_clients'), 50);
  let last = 0;
  for (let i = 0; i < 10; i++) {
    const batch = Array.from({ length: 200 }, (_, j) => ({ op: 'alloc_pages', order: j % 4 }));
    const r = (await postJson(`${d.url}/api/v1/sessions/${id}/ops`, batch)).body;
    last = r.last_seq;
    assert.equal((await getJson(`${d.url}/api/v1/health`)).status, 200);
    assert.equal(await metric('mmlab_stream_clients'), 50, 'health answers while the 50 streams stay connected');
  }
  await until(() => clients.every((c) => c.messages.some((m) =>
    (m.event === 'events' && m.data.events.some((e) => e.seq === last)) ||
    (m.event === 'resync' && m.data.seq >= last))), 10000);
  await Promise.all(clients.map((c) => c.close()));
  assert.equal(await metricBecomes('mmlab_stream_clients', 0), 0, 'disconnected clients are gone');
});

test('a client that does not read is resynced and never stalls the engine', async () => {
  const id = await newSession({ mem_mib: 512, pcp: false });
  // A raw connection that sends the request and then reads nothing for a while.
  const sock = net.connect(d.port, '127.0.0.1');
  await new Promise((r) => sock.on('connect', r));
  sock.pause();
  sock.write(`GET /api/v1/sessions/${id}/stream HTTP/1.1\r\nHost: 127.0.0.1:${d.port}\r\n\r\n`);
  await new Promise((r) => setTimeout(r, 200));
  // Far more events than the stream keeps: alloc and free order-0 pages.
  // The engine goes on while the client reads nothing: every batch is answered in full.
  let pfns = [];
  for (let round = 0; round < 8; round++) {
    const a = await postJson(`${d.url}/api/v1/sessions/${id}/ops`,
      Array.from({ length: 5000 }, () => ({ op: 'alloc_pages', order: 0 })));
    assert.equal(a.status, 200);
    pfns = a.body.results.filter((x) => x.ok).map((x) => x.pfn);
    assert.equal(pfns.length, 5000, `round ${round}: every allocation answered`);
    const f = await postJson(`${d.url}/api/v1/sessions/${id}/ops`, pfns.map((pfn) => ({ op: 'free_pages', pfn })));
    assert.equal(f.status, 200);
    assert.ok(f.body.results.every((x) => x.ok));
  }
  let text = '';
  sock.on('data', (c) => { text += c; });
  sock.resume();
  await until(() => /event: resync/.test(text), 10000);
  sock.destroy();
});

test('streaming a session that is not live is a 404', async () => {
  const r = await getJson(`${d.url}/api/v1/sessions/999999/stream`);
  assert.equal(r.status, 404);
});

test('stopping a session ends its streams with an "ended" message', async () => {
  const id = await newSession({ mem_mib: 64 });
  const c = sse(`${d.url}/api/v1/sessions/${id}/stream`);
  await until(() => c.messages.some((m) => m.event === 'summary'));
  const del = await fetch(`${d.url}/api/v1/sessions/${id}`, { method: 'DELETE' });
  assert.equal(del.status, 200);
  await until(() => c.messages.some((m) => m.event === 'ended'));
  const ended = c.messages.find((m) => m.event === 'ended').data;
  assert.match(ended.reason, /stopped/);
  await c.done;
  await c.close();
});
