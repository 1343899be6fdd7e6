// nginx.test.mjs - two mmlabd behind Debian's nginx, configured as
// docs/deploy.md says: sessions are created and listed through whichever
// daemon nginx picks, and everything under /api/v1/sessions/{id}/, the stream
// included, reaches the daemon whose --instance the id names. Through nginx:
// sessions on both daemons, ops, a live stream, the Host and Origin checks,
// and a session moved from one daemon to the other as its SQLite file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, getJson, postJson } from './lib/daemon.mjs';
import { launchChromium, openSessionPage } from './lib/browser.mjs';

const nginxPath = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));
const SPAN = 10 ** 12;	// session ids of instance N start at N * SPAN + 1 (daemon/session.h)
const INSTANCES = [0, 1];

let dir, nginx, nginxLog = '', url, nport;
const daemons = [];

const freePort = () => new Promise((resolve, reject) => {
  const s = createServer();
  s.on('error', reject);
  s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
});

// The configuration of docs/deploy.md, on loopback ports, with every path in @dir.
function nginxConf(ports) {
  const upstreams = INSTANCES.map((n, i) =>
    `  upstream mmlab_${n} { server 127.0.0.1:${ports[i]}; keepalive 8; }`).join('\n');
  return `daemon off;
${process.getuid() === 0 ? 'user root;' : ''}
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
${upstreams}
  map $cookie_mmlab_client $mmlab_client { "" $request_id; default $cookie_mmlab_client; }
  upstream mmlab_any { hash $mmlab_client consistent; ${ports.map((p) => `server 127.0.0.1:${p};`).join(' ')} keepalive 8; }
  map $uri $mmlab_backend {
    "~^/api/v1/sessions/1[0-9]{12}(/|$)"   mmlab_1;
    "~^/api/v1/sessions/[0-9]{1,12}(/|$)"  mmlab_0;
    default                              mmlab_any;
  }
  server {
    listen 127.0.0.1:${nport};
    client_max_body_size 1g;
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header Host $http_host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_request_buffering off;
    proxy_buffering off;
    proxy_read_timeout 1h;
    proxy_send_timeout 1h;
    location / {
      proxy_pass http://$mmlab_backend;
      add_header Set-Cookie "mmlab_client=$mmlab_client; Path=/; HttpOnly; SameSite=Lax" always;
    }
${INSTANCES.map((n) => `    location /instances/${n}/ { proxy_pass http://mmlab_${n}/; }`).join('\n')}
    location = /api/v1/site/sessions {
      ssi on;
      ssi_types *;
      default_type application/json;
      alias ${dir}/mmlab-site-sessions.json;
    }
${INSTANCES.map((n) => `    location = /site-sessions/${n} {
      internal;
      proxy_pass http://mmlab_${n}/api/v1/sessions;
      proxy_intercept_errors on;
      error_page 500 502 503 504 =200 @site_sessions_down_${n};
    }
    location @site_sessions_down_${n} {
      default_type application/json;
      return 200 '{"instance":${n},"error":{"code":"EHOSTDOWN","message":"did not answer"}}';
    }`).join('\n')}
  }
}
`;
}

// The server side include nginx answers GET /api/v1/site/sessions with.
const siteSessions = () =>
  `{"daemons":[${INSTANCES.map((n) => `<!--# include virtual="/site-sessions/${n}" -->`).join(',')}]}\n`;

before(async () => {
  assert.ok(nginxPath, 'nginx is installed (Debian package nginx)');
  dir = mkdtempSync(join(tmpdir(), 'mmlab-nginx-'));
  nport = await freePort();
  url = `http://127.0.0.1:${nport}`;
  for (const n of INSTANCES)
    daemons.push(await startDaemon({ args: ['--instance', String(n), '--allow-host', `127.0.0.1:${nport}`,
                                            '--snapshot-events', '2000'] }));
  writeFileSync(join(dir, 'nginx.conf'), nginxConf(daemons.map((d) => d.port)));
  writeFileSync(join(dir, 'mmlab-site-sessions.json'), siteSessions());
  nginx = spawn(nginxPath, ['-p', dir, '-e', join(dir, 'error.log'), '-c', join(dir, 'nginx.conf')],
                { stdio: ['ignore', 'pipe', 'pipe'] });
  nginx.stderr.on('data', (d) => { nginxLog += d; });
  process.on('exit', () => nginx.kill('SIGKILL'));
  // Up when it answers on its port.
  const t0 = Date.now();
  for (;;) {
    const up = await new Promise((resolve) => {
      const s = connect(nport, '127.0.0.1', () => { s.destroy(); resolve(true); });
      s.on('error', () => resolve(false));
    });
    if (up) break;
    if (nginx.exitCode !== null || Date.now() - t0 > 10000)
      throw new Error(`nginx did not start: ${nginxLog}${existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log')) : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
});

after(async () => {
  if (nginx && nginx.exitCode === null) {
    const gone = new Promise((r) => nginx.on('exit', r));
    nginx.kill('SIGTERM');
    await gone;
  }
  for (const d of daemons) await d.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const instanceOf = (id) => Math.floor(id / SPAN);
const api = (path) => `${url}/api/v1${path}`;

// An SSE client over fetch: its "hello" and the "events" messages' events.
function sse(path) {
  const controller = new AbortController();
  const events = [];
  const got = { hello: null };
  let closing = false;
  const done = (async () => {
    const res = await fetch(api(path), { signal: controller.signal });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/event-stream/);
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body) {
        buffer += decoder.decode(chunk, { stream: true });
        let i;
        while ((i = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, i);
          buffer = buffer.slice(i + 2);
          const ev = /^event: (.*)$/m.exec(block), data = /^data: (.*)$/m.exec(block);
          if (ev && data && ev[1] === 'hello') got.hello = JSON.parse(data[1]);
          if (ev && data && ev[1] === 'events') events.push(...JSON.parse(data[1]).events);
        }
      }
    } catch (e) {
      if (!closing) throw e;
    }
  })();
  done.catch(() => {});
  return { events, got, close: () => { closing = true; controller.abort(); return done.catch(() => {}); } };
}

const until = async (cond, what, ms = 10000) => {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

const made = new Map();	// instance -> a session created through nginx

test('creation through nginx lands on both daemons, with ids of their instance', async () => {
  // No cookie: each creation may go to either daemon.
  for (let i = 0; i < 24 && made.size < INSTANCES.length; i++) {
    const r = await postJson(api('/sessions'), { name: `via-nginx-${i}`, machine: { mem_mib: 256 } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    made.set(instanceOf(r.body.id), r.body.id);
  }
  assert.deepEqual([...made.keys()].sort(), INSTANCES, 'round robin reached both daemons');
  // Each daemon lists its own sessions, every id in its range.
  for (const n of INSTANCES) {
    const list = (await getJson(`${url}/instances/${n}/api/v1/sessions`)).body.sessions;
    assert.ok(list.length >= 2, `instance ${n} has its default session and one made here`);
    for (const s of list) assert.equal(instanceOf(s.id), n, `id ${s.id} on instance ${n}`);
  }
  // A browser keeps the cookie nginx gives it, and with it one daemon for
  // the list and for what it creates.
  const first = await fetch(api('/sessions'));
  const cookie = /mmlab_client=[^;]+/.exec(first.headers.get('set-cookie'))?.[0];
  assert.ok(cookie, 'nginx hands out the client cookie');
  const home = instanceOf((await first.json()).sessions[0].id);
  for (let i = 0; i < 6; i++) {
    const list = (await getJson(api('/sessions'), { headers: { Cookie: cookie } })).body.sessions;
    assert.deepEqual([...new Set(list.map((s) => instanceOf(s.id)))], [home], 'the same daemon\'s list each time');
    const r = await postJson(api('/sessions'), { name: `sticky-${i}`, machine: { mem_mib: 64 } }, { headers: { Cookie: cookie } });
    assert.equal(instanceOf(r.body.id), home, 'created on that daemon');
  }
});

test('ops and reads of a session reach its daemon, whichever nginx would pick', async () => {
  for (const [n, id] of made) {
    for (let k = 0; k < 3; k++) {	// more requests than daemons: round robin would miss
      const r = await postJson(api(`/sessions/${id}/ops`), [{ op: 'alloc_pages', order: 2 }, { op: 'free_pages', pfn: '$0.pfn', order: 2 }]);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.results[0].ok, true);
      assert.equal(r.body.results[1].ok, true);
    }
    const info = (await getJson(api(`/sessions/${id}`))).body;
    assert.equal(info.id, id);
    assert.equal(info.ops, 6, `session ${id} on instance ${n} got every op`);
    assert.equal((await getJson(api(`/sessions/${id}/verify`))).body.ok, true);
  }
});

test('the stream goes through nginx as the events happen', async () => {
  const id = made.get(1);
  const c = sse(`/sessions/${id}/stream`);
  await until(() => c.got.hello, 'the stream\'s hello');	// nginx passes it on at once
  const r = await postJson(api(`/sessions/${id}/ops`), Array.from({ length: 20 }, () => ({ op: 'alloc_pages' })));
  assert.equal(r.status, 200);
  await until(() => c.events.some((e) => e.seq === r.body.last_seq), 'the last event on the stream');
  assert.equal(r.body.first_seq, c.got.hello.seq + 1);
  assert.deepEqual(c.events.map((e) => e.seq), Array.from({ length: r.body.last_seq - r.body.first_seq + 1 }, (_, i) => r.body.first_seq + i),
                   'every event of the batch, in order, none twice');
  await c.close();
});

test('the daemons still refuse a foreign Host or Origin that nginx passes on', async () => {
  const id = made.get(0);
  const body = '{"op":"vmstat_update"}';
  const raw = (headers) => new Promise((resolve, reject) => {
    const s = connect(nport, '127.0.0.1', () => {
      s.write(`POST /api/v1/sessions/${id}/ops HTTP/1.1\r\n${headers}Content-Type: application/json\r\n` +
              `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
    });
    let out = '';
    s.on('data', (d) => { out += d; });
    s.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d+)/.exec(out)?.[1])));
    s.on('error', reject);
  });
  assert.equal(await raw(`Host: 127.0.0.1:${nport}\r\nOrigin: http://127.0.0.1:${nport}\r\n`), 200,
               'the name and port clients use for nginx (--allow-host)');
  assert.equal(await raw(`Host: evil.example:${nport}\r\n`), 403, 'a rebound name');
  assert.equal(await raw(`Host: 127.0.0.1:${nport}\r\nOrigin: http://evil.example:${nport}\r\n`), 403, 'a foreign page');
});

test('a session moves from one daemon to the other as its SQLite file', async () => {
  const from = made.get(0);
  // Enough events for replay snapshots (--snapshot-events 2000), and a mix of ops.
  for (let k = 0; k < 4; k++) {
    const r = await postJson(api(`/sessions/${from}/ops`), [
      ...Array.from({ length: 600 }, (_, i) => ({ op: 'alloc_pages', order: i % 3 })),
      { op: 'kmalloc', size: 192 }, { op: 'kfree', addr: '$600.addr' }]);
    assert.equal(r.status, 200, JSON.stringify(r.body));
  }
  const orig = (await getJson(api(`/sessions/${from}`))).body;
  const file = await fetch(api(`/sessions/${from}/export`));
  assert.equal(file.status, 200);
  const bytes = Buffer.from(await file.arrayBuffer());
  const exported = join(dir, 'moved.db');
  writeFileSync(exported, bytes);
  const sql = (db, q) => execFileSync('sqlite3', ['-cmd', '.timeout 5000', db, q]).toString().trim();
  const snapshots = Number(sql(exported, `SELECT count(*) FROM snapshots WHERE session_id = ${from}`));
  assert.ok(snapshots > 0, 'the file carries the replay snapshots');

  // Into the other daemon, by its own path on nginx.
  const imp = await fetch(`${url}/instances/1/api/v1/sessions/import`, { method: 'POST', body: bytes,
    headers: { 'Content-Type': 'application/vnd.sqlite3' } });
  assert.equal(imp.status, 201, await imp.clone().text());
  const [to] = (await imp.json()).ids;
  assert.equal(instanceOf(to), 1, `imported as ${to}, an id of instance 1`);
  assert.equal(Number(sql(daemons[1].db, `SELECT count(*) FROM snapshots WHERE session_id = ${to}`)), snapshots);

  // Through nginx again, the id alone finds it: same events, same op log, verified exact.
  const moved = (await getJson(api(`/sessions/${to}`))).body;
  assert.equal(moved.last_seq, orig.last_seq);
  assert.equal(moved.ops, orig.ops);
  const page = (id) => getJson(api(`/sessions/${id}/events?limit=10000&since=${orig.last_seq - 5000}`)).then((r) => r.body.events);
  assert.deepEqual(await page(to), await page(from));
  const v = (await getJson(api(`/sessions/${to}/verify`))).body;
  assert.equal(v.ok, true, JSON.stringify(v));
  assert.equal(v.events, orig.last_seq);

  // It goes on living there (a fork at its last event), and the original stops.
  const f = await postJson(api(`/sessions/${to}/fork`), { at: orig.last_seq, name: 'moved' });
  assert.equal(f.status, 201, JSON.stringify(f.body));
  assert.equal(instanceOf(f.body.id), 1);
  const r = await postJson(api(`/sessions/${f.body.id}/ops`), { op: 'alloc_pages', order: 4 });
  assert.equal(r.body.results[0].ok, true);
  assert.equal((await fetch(api(`/sessions/${from}`), { method: 'DELETE' })).status, 200);
  assert.equal((await getJson(api(`/sessions/${from}`))).body.state, 'closed');
});

test('the site\'s session list: nginx gathers every daemon\'s, and a daemon alone lists its own', async () => {
  const own = await Promise.all(INSTANCES.map(async (n) => (await getJson(`${url}/instances/${n}/api/v1/sessions`)).body));
  own.forEach((list, i) => assert.equal(list.instance, INSTANCES[i], 'a daemon names its instance in its list'));
  const site = await getJson(api('/site/sessions'));
  assert.equal(site.status, 200);
  assert.match(site.headers.get('content-type'), /^application\/json/);
  assert.deepEqual(site.body.daemons.map((d) => d.instance), INSTANCES, 'one entry a daemon, in order');
  site.body.daemons.forEach((d, i) =>
    assert.deepEqual(d.sessions.map((s) => s.id), own[i].sessions.map((s) => s.id), `instance ${d.instance}'s sessions`));
  for (const [n, id] of made)
    assert.ok(site.body.daemons[n].sessions.some((s) => s.id === id), `session ${id} listed under instance ${n}`);
  // Without nginx, the same route is the daemon's own list as the only entry.
  const alone = (await getJson(`${daemons[1].url}/api/v1/site/sessions`)).body;
  assert.deepEqual(alone.daemons.map((d) => d.instance), [1]);
  assert.deepEqual(alone.daemons[0].sessions.map((s) => s.id), own[1].sessions.map((s) => s.id));
});

test('the dashboard behind nginx lists every daemon\'s sessions and opens one of another daemon', async () => {
  const browser = await launchChromium();
  try {
    const groupIds = (page) => page.$$eval('#session optgroup', (gs) => gs.map((g) => ({
      instance: Number(g.dataset.instance), disabled: g.disabled, label: g.label,
      ids: [...g.querySelectorAll('option')].map((o) => Number(o.value)) })));
    const site = (await getJson(api('/site/sessions'))).body;
    // Whichever daemon served the page, the picker holds both daemons'
    // sessions, and one of each daemon opens with its timeline caught up.
    for (const n of INSTANCES) {
      const { page, done } = await openSessionPage(browser, url, '#zones', made.get(n));
      assert.deepEqual(await groupIds(page), site.daemons.map((d) => ({
        instance: d.instance, disabled: false, label: `instance ${d.instance}`, ids: d.sessions.map((s) => s.id) })));
      await page.waitForFunction((id) => document.querySelector('#session').value === String(id), made.get(n));
      await done();
    }

    // A daemon that is down: its group says so, the other's sessions stay.
    await daemons[1].stop({ keep: true });
    const down = (await getJson(api('/site/sessions'))).body;
    assert.deepEqual(down.daemons[1], { instance: 1, error: { code: 'EHOSTDOWN', message: 'did not answer' } });
    assert.deepEqual(down.daemons[0].sessions.map((s) => s.id), site.daemons[0].sessions.map((s) => s.id));
    const { page, done } = await openSessionPage(browser, url, '#zones', made.get(0));
    assert.deepEqual((await groupIds(page)).map(({ instance, disabled, label, ids }) => ({ instance, disabled, label, ids })), [
      { instance: 0, disabled: false, label: 'instance 0', ids: site.daemons[0].sessions.map((s) => s.id) },
      { instance: 1, disabled: true, label: 'instance 1: did not answer', ids: [] }]);
    await done();
  } finally {
    await browser.close();
  }
});
