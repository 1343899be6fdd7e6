// rebinding.test.mjs - DNS rebinding: a request naming another host in Host,
// or a mutating one from a page of another origin, is refused (403 EPERM,
// before it does anything); localhost, 127.0.0.1 and [::1] with the daemon's
// port, and names given with --allow-host, are served.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startDaemon, runMmlabd } from './lib/daemon.mjs';

let d;
before(async () => { d = await startDaemon({ args: ['--allow-host', 'lab.example', '--allow-host', 'Board.Example:8443'] }); });
after(async () => { await d?.stop(); });

// One request with the headers exactly as given (fetch may not set Host).
function request(method, path, headers, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: d.port, method, path, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode, type: res.headers['content-type'], text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
const json = { 'Content-Type': 'application/json' };
const newSession = (headers) => request('POST', '/api/v1/sessions', { ...json, ...headers },
  JSON.stringify({ name: 'rebind', machine: { mem_mib: 64 } }));
async function sessionCount() {
  return (await (await fetch(`${d.url}/api/v1/sessions`)).json()).sessions.length;
}
function assertRefused(r, what) {
  assert.equal(r.status, 403, `${what}: ${r.text}`);
  assert.equal(r.type, 'application/json');
  const body = JSON.parse(r.text);
  assert.equal(body.error.code, 'EPERM', what);
  assert.equal(typeof body.error.message, 'string');
}

test('a foreign Host is refused, on reads and writes, and the write is not done', async () => {
  const before = await sessionCount();
  for (const host of [`evil.example:${d.port}`, 'evil.example', `localhost.evil.example:${d.port}`,
    `127.0.0.1.nip.io:${d.port}`, `localhost:${d.port + 1}`, `[::1]:${d.port + 1}`, 'localhost',
    `lab.example.evil:${d.port}`, `board.example:${d.port}`, `bad host:${d.port}`])
    assertRefused(await request('GET', '/api/v1/health', { Host: host }), host);
  assertRefused(await request('GET', '/', { Host: `evil.example:${d.port}` }), 'the dashboard');
  assertRefused(await newSession({ Host: `evil.example:${d.port}`, Origin: `http://evil.example:${d.port}` }),
    'a rebound page creating a session');
  assert.equal(await sessionCount(), before);
});

test('a mutating request from a foreign Origin is refused; reads and non-browser clients are served', async () => {
  const before = await sessionCount();
  const host = `127.0.0.1:${d.port}`;
  for (const origin of ['http://evil.example', `http://evil.example:${d.port}`, 'null',
    `https://127.0.0.1:${d.port}.evil.example`, `ftp://127.0.0.1:${d.port}`, `http://localhost:${d.port + 1}`])
    assertRefused(await newSession({ Host: host, Origin: origin }), origin);
  assertRefused(await request('DELETE', '/api/v1/sessions/1', { Host: host, Origin: 'http://evil.example' }),
    'DELETE from a foreign page');
  assert.equal(await sessionCount(), before);
  const read = await request('GET', '/api/v1/health', { Host: host, Origin: 'http://evil.example' });
  assert.equal(read.status, 200, 'a GET is not refused for its Origin (the browser keeps the reply from the page)');
  const noOrigin = await newSession({ Host: host });
  assert.equal(noOrigin.status, 201, noOrigin.text);
  assert.equal(await sessionCount(), before + 1);
});

test('loopback names with the port, and the names of --allow-host, are served', async () => {
  for (const host of [`localhost:${d.port}`, `LOCALHOST:${d.port}`, `127.0.0.1:${d.port}`, `[::1]:${d.port}`,
    'lab.example', `lab.example:${d.port}`, 'lab.example:443', 'board.example:8443'])
    assert.equal((await request('GET', '/api/v1/health', { Host: host })).status, 200, host);
  for (const origin of [`http://localhost:${d.port}`, `http://127.0.0.1:${d.port}`, `http://[::1]:${d.port}`,
    'https://lab.example', 'http://lab.example:8080', 'https://board.example:8443']) {
    const r = await newSession({ Host: `127.0.0.1:${d.port}`, Origin: origin });
    assert.equal(r.status, 201, `${origin}: ${r.text}`);
  }
});

test('the refusals are counted in /metrics', async () => {
  const text = await (await fetch(`${d.url}/metrics`)).text();
  const count = (reason) => Number(new RegExp(`^mmlab_http_refused_total\\{reason="${reason}"\\} (\\d+)$`, 'm').exec(text)?.[1]);
  assert.ok(count('host') >= 12, text.slice(-600));
  assert.ok(count('origin') >= 7);
});

test('--allow-host takes NAME or NAME:PORT, and nothing else', async () => {
  for (const bad of ['', 'a b', 'x:0', 'x:65536', 'x:80:80', 'x/y', 'x'.repeat(300)]) {
    const r = await runMmlabd(['--allow-host', bad, '--listen', '127.0.0.1:0', '--db', '/nonexistent/x.db']);
    assert.equal(r.code, 2, `--allow-host '${bad}': ${r.stderr}`);
    assert.match(r.stderr, /--allow-host/);
  }
});
