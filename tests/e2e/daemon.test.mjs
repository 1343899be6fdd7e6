// daemon.test.mjs - mmlabd as a server: options, API errors, static files,
// security of the web root, migrations and a clean stop.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, runMmlabd, getJson, postJson, top } from './lib/daemon.mjs';

let d;
before(async () => { d = await startDaemon(); });
after(async () => { await d.stop(); });

// Send @request as raw bytes (no URL normalisation by a client library).
function rawRequest(port, request) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1', () => sock.end(request));
    let data = '';
    sock.on('data', (c) => { data += c; });
    sock.on('end', () => resolve(data));
    sock.on('error', reject);
  });
}

test('health answers with status and versions', async () => {
  const r = await getJson(`${d.url}/api/v1/health`);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'application/json');
  assert.equal(r.body.status, 'ok');
  assert.match(r.body.version, /^\d+\.\d+\.\d+$/);
  assert.equal(r.body.schema_version, Math.max(...readdirSync(join(top, 'schema'))
    .filter((f) => /^\d+_.*\.sql$/.test(f)).map((f) => parseInt(f, 10))), 'the last migration in schema/');
});

test('an unknown API route is a JSON 404', async () => {
  const r = await getJson(`${d.url}/api/v1/no/such/route`);
  assert.equal(r.status, 404);
  assert.equal(r.body.error.code, 'ENOENT');
  assert.match(r.body.error.message, /no such route/);
});

test('a wrong method is a JSON 405 with Allow', async () => {
  const r = await postJson(`${d.url}/api/v1/health`, {});
  assert.equal(r.status, 405);
  assert.equal(r.body.error.code, 'EMETHOD');
  assert.match(r.headers.get('allow'), /GET/);
  const del = await getJson(`${d.url}/index.html`, { method: 'DELETE' });
  assert.equal(del.status, 405);
  assert.equal(del.body.error.code, 'EMETHOD');
});

test('static files have their content types and Chart.js is served by the daemon', async () => {
  const index = await fetch(`${d.url}/`);
  assert.equal(index.status, 200);
  assert.match(index.headers.get('content-type'), /^text\/html/);
  const html = await index.text();
  assert.match(html, /<script src="vendor\/chart\.umd\.min\.js"><\/script>/);
  assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//, 'nothing from another host');
  const js = await fetch(`${d.url}/js/main.js`);
  assert.match(js.headers.get('content-type'), /^text\/javascript/);
  const chart = await fetch(`${d.url}/vendor/chart.umd.min.js`);
  assert.equal(chart.status, 200);
  assert.match(chart.headers.get('content-type'), /^text\/javascript/);
  assert.match(await chart.text(), /Chart\.js v4\./);
  const css = await fetch(`${d.url}/css/mmlab.css`);
  assert.match(css.headers.get('content-type'), /^text\/css/);
  const missing = await getJson(`${d.url}/no-such-file.html`);
  assert.equal(missing.status, 404);
  assert.equal(missing.body.error.code, 'ENOENT');
});

test('a cached static file is revalidated with its ETag', async () => {
  const first = await fetch(`${d.url}/js/api.js`);
  const etag = first.headers.get('etag');
  assert.ok(etag);
  const again = await fetch(`${d.url}/js/api.js`, { headers: { 'If-None-Match': etag } });
  assert.equal(again.status, 304);
});

test('no path traversal out of the web root', async () => {
  for (const path of ['/../../../../etc/passwd', '/js/../../../etc/passwd',
                      '/%2e%2e/%2e%2e/%2e%2e/etc/passwd', '/..%2f..%2f..%2fetc%2fpasswd',
                      '/js/..%5c..%5cetc%5cpasswd']) {
    const reply = await rawRequest(d.port, `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${d.port}\r\nConnection: close\r\n\r\n`);
    assert.match(reply, /^HTTP\/1\.1 (404|400)/, `${path} -> ${reply.split('\r\n')[0]}`);
    assert.doesNotMatch(reply, /root:/);
  }
});

test('a symlink inside the web root cannot lead outside it', async () => {
  const root = mkdtempSync(join(tmpdir(), 'mmlab-web-'));
  cpSync(join(top, 'web'), root, { recursive: true });
  const secret = mkdtempSync(join(tmpdir(), 'mmlab-secret-'));
  writeFileSync(join(secret, 'secret.txt'), 'top secret');
  symlinkSync(join(secret, 'secret.txt'), join(root, 'leak.txt'));
  symlinkSync(secret, join(root, 'leakdir'));
  writeFileSync(join(root, 'inside.txt'), 'fine');
  const s = await startDaemon({ args: ['--web-root', root] });
  try {
    assert.equal((await fetch(`${s.url}/inside.txt`)).status, 200);
    for (const p of ['/leak.txt', '/leakdir/secret.txt']) {
      const r = await fetch(`${s.url}${p}`);
      assert.equal(r.status, 404, p);
      assert.doesNotMatch(await r.text(), /top secret/);
    }
  } finally {
    await s.stop();
    rmSync(root, { recursive: true, force: true });
    rmSync(secret, { recursive: true, force: true });
  }
});

test('refuses to listen beyond loopback without a token', async () => {
  const r = await runMmlabd(['--listen', '0.0.0.0:0', '--db', join(d.dir, 'x.db')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /refusing to listen on 0\.0\.0\.0:0 without a token/);
  assert.equal(existsSync(join(d.dir, 'x.db')), false, 'nothing created');
});

test('with a token, mutating requests need it and reads do not', async () => {
  const token = 'test-token-0123456789abcdef';
  const s = await startDaemon({ args: ['--token', token] });
  try {
    assert.equal((await getJson(`${s.url}/api/v1/health`)).status, 200);
    const no = await postJson(`${s.url}/api/v1/health`, {});
    assert.equal(no.status, 401);
    assert.equal(no.body.error.code, 'EACCES');
    const auth = (v) => ({ headers: { Authorization: v } });
    const bearer = (t) => auth(`Bearer ${t}`);
    const created = await postJson(`${s.url}/api/v1/sessions`, { name: 'target', machine: { mem_mib: 64 } },
                                   bearer(token));
    assert.equal(created.status, 201);
    const id = created.body.id;
    const state = async () => {
      const list = (await getJson(`${s.url}/api/v1/sessions`)).body.sessions;
      return JSON.stringify(list.map((x) => [x.id, x.state, x.last_seq]));
    };
    const before = await state();
    // Near misses, on every kind of mutating route: each refused, nothing changed.
    const wrong = [undefined, auth(''), auth(token), auth(`Basic ${token}`), bearer(''), bearer('nope'),
                   bearer(token.slice(0, -1)), bearer(`${token}x`), bearer(`${token.slice(0, -1)}F`),
                   bearer(token.toUpperCase()), bearer(` ${token}`)];
    const routes = [
      ['POST', '/api/v1/sessions', { name: 'intruder' }],
      ['POST', `/api/v1/sessions/${id}/ops`, { op: 'alloc_pages', order: 0 }],
      ['POST', `/api/v1/sessions/${id}/fork`, { name: 'fork' }],
      ['POST', `/api/v1/sessions/${id}/scenarios/fragmentation`, {}],
      ['DELETE', `/api/v1/sessions/${id}`, undefined],
    ];
    for (const [method, path, body] of routes)
      for (const w of wrong) {
        const r = await getJson(`${s.url}${path}`, { method, ...(w || {}),
          ...(body ? { body: JSON.stringify(body) } : {}),
          headers: { ...(w?.headers || {}), 'Content-Type': 'application/json' } });
        assert.equal(r.status, 401, `${method} ${path} with ${JSON.stringify(w?.headers)}`);
        assert.equal(r.body.error.code, 'EACCES');
      }
    assert.equal(await state(), before, 'no wrong token changed anything');
    const right = await postJson(`${s.url}/api/v1/health`, {}, bearer(token));
    assert.equal(right.status, 405, 'past the token check, the route decides');
    const op = await postJson(`${s.url}/api/v1/sessions/${id}/ops`, { op: 'alloc_pages', order: 0 }, bearer(token));
    assert.equal(op.status, 200);
    const del = await getJson(`${s.url}/api/v1/sessions/${id}`, { method: 'DELETE', ...bearer(token) });
    assert.equal(del.status < 300, true, `DELETE with the token: ${del.status}`);
  } finally {
    await s.stop();
  }
});

test('command line: --help, --version, bad options', async () => {
  const help = await runMmlabd(['--help']);
  assert.equal(help.code, 0);
  for (const opt of ['--listen', '--db', '--web-root', '--token', '--token-file', '--log-level', '--version'])
    assert.ok(help.stdout.includes(opt), opt);
  const version = await runMmlabd(['--version']);
  assert.equal(version.code, 0);
  assert.match(version.stdout, /^mmlabd \d+\.\d+\.\d+/);
  for (const bad of [['--listen', 'nonsense'], ['--log-level', 'loud'], ['--bogus'],
                     ['--token', 'short'], ['--token-file', '/nonexistent/token']]) {
    const r = await runMmlabd(bad);
    assert.equal(r.code, 2, bad.join(' '));
    assert.match(r.stderr, /mmlabd: |Usage|unrecognized/);
  }
});

test('a database from a newer mmlabd is refused with a clear message', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mmlab-newer-'));
  const db = join(dir, 'newer.db');
  execFileSync('sqlite3', [db, 'PRAGMA user_version = 999; CREATE TABLE t(x);']);
  const r = await runMmlabd(['--listen', '127.0.0.1:0', '--db', db]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /schema version 999, newer than this mmlabd knows/);
  rmSync(dir, { recursive: true, force: true });
});

test('SIGTERM stops the daemon cleanly and leaves a sound database', async () => {
  const s = await startDaemon();
  await getJson(`${s.url}/api/v1/health`);
  const { code } = await s.stop({ keep: true });
  assert.equal(code, 0);
  assert.match(s.stderr(), /stopped cleanly/);
  const out = execFileSync('sqlite3', [s.db, 'PRAGMA integrity_check; PRAGMA user_version; PRAGMA journal_mode;']).toString();
  const latest = Math.max(...readdirSync(join(top, 'schema')).filter((f) => /^\d+_.*\.sql$/.test(f)).map((f) => parseInt(f, 10)));
  assert.deepEqual(out.trim().split('\n'), ['ok', String(latest), 'wal']);
  assert.ok(!existsSync(`${s.db}-wal`) || statSync(`${s.db}-wal`).size === 0, 'WAL folded back');
  rmSync(s.dir, { recursive: true, force: true });
});

test('bytes that are not UTF-8 in a path or header still get a clear JSON error', async () => {
  for (const [path, status] of [['/api/v1/%ff', 404], ['/api/v1/sessions/%ff/zones', 404],
                                ['/api/v1/sessions/%c3/zones', 404],
                                ['/api/v1/sessions/%f4%ad%ad%ad1/zones', 404],
                                ['/api/v1/sessions/%ed%a0%80/zones', 404],
                                ['/api/v1/sessions/%c0%af/zones', 404]]) {
    const reply = await rawRequest(d.port, `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${d.port}\r\nConnection: close\r\n\r\n`);
    assert.match(reply, new RegExp(`^HTTP/1\\.1 ${status}`), path);
    const body = JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4));
    assert.equal(body.error.code, 'ENOENT');
  }
  const req = Buffer.concat([Buffer.from(`POST /api/v1/sessions HTTP/1.1\r\nHost: 127.0.0.1:${d.port}\r\nConnection: close\r\nContent-Type: text/x`),
                             Buffer.from([0xff]), Buffer.from('\r\nContent-Length: 2\r\n\r\n{}')]);
  const reply = await rawRequest(d.port, req);
  assert.match(reply, /^HTTP\/1\.1 415/);
  assert.match(reply, /"code":"EMEDIATYPE"/);
});

test('the database keeps the names sessions and imported traces were given', async () => {
  const s = await startDaemon();
  try {
    const a = await postJson(`${s.url}/api/v1/sessions`, { name: 'lab-a', machine: { mem_mib: 64 } });
    const b = await postJson(`${s.url}/api/v1/sessions`, { name: 'lab-b', machine: { mem_mib: 64 } });
    assert.equal(a.status, 201);
    assert.equal(b.status, 201);
    const trace = readFileSync(join(top, 'tests/data/ftrace/compact-memory.trace'), 'utf8').split('\n').slice(0, 60).join('\n') + '\n';
    const t = await fetch(`${s.url}/api/v1/sessions/import-trace?name=a%20trace`,
      { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: trace });
    assert.equal(t.status, 201);
    const tid = (await t.json()).id;
    const rows = execFileSync('sqlite3', [s.db, `SELECT id, name FROM sessions WHERE id IN (${a.body.id}, ${b.body.id}, ${tid}) ORDER BY id`])
      .toString().trim().split('\n');
    assert.deepEqual(rows, [`${a.body.id}|lab-a`, `${b.body.id}|lab-b`, `${tid}|a trace`]);
    assert.ok(a.body.id < b.body.id && b.body.id < tid, 'ids in order of creation');
    const listed = (await getJson(`${s.url}/api/v1/sessions`)).body.sessions.find((x) => x.id === tid);
    assert.equal(listed.name, 'a trace');
  } finally {
    await s.stop();
  }
});
