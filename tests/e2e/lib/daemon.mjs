// daemon.mjs - start mmlabd for a test: a free loopback port, a temporary
// database, stopped (SIGTERM, then SIGKILL) when the test is over or the test
// process exits.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const top = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const mmlabdPath = process.env.MMLABD || join(top, 'daemon', 'mmlabd');
// The dashboard files, for an mmlabd built outside the source tree (MMLABD).
const webRootArgs = process.env.MMLAB_WEB_ROOT ? ['--web-root', process.env.MMLAB_WEB_ROOT] : [];
// What AddressSanitizer, LeakSanitizer and UBSan print when they find something.
export const sanitizerReport = /ERROR: (AddressSanitizer|LeakSanitizer)|runtime error: /;

const running = new Set();
process.on('exit', () => { for (const c of running) c.kill('SIGKILL'); });

// Run mmlabd with @args until it exits; resolves { code, stderr }.
export function runMmlabd(args, { timeoutMs = 10000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(mmlabdPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`mmlabd ${args} did not exit: ${stderr}`)); }, timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      if (sanitizerReport.test(stderr)) process.stderr.write(`mmlabd ${args.join(' ')}:\n${stderr}\n`);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

// Start a daemon; resolves { url, port, dir, db, child, stderr(), stop() }.
export async function startDaemon({ args = [], dbDir } = {}) {
  const dir = dbDir || mkdtempSync(join(tmpdir(), 'mmlab-test-'));
  const db = join(dir, 'mmlab.db');
  const child = spawn(mmlabdPath, ['--listen', '127.0.0.1:0', '--db', db, ...webRootArgs, ...args],
                      { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let log = '';
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => {
    running.delete(child);
    if (sanitizerReport.test(log)) process.stderr.write(`mmlabd (pid ${child.pid}):\n${log}\n`);
    resolve({ code, signal });
  }));
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`mmlabd did not start:\n${log}`)), 15000);
    child.stderr.on('data', (d) => {
      log += d;
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(log);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    });
    exited.then(({ code }) => { clearTimeout(timer); reject(new Error(`mmlabd exited (${code}):\n${log}`)); });
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    url, port, dir, db, child, exited,
    stderr: () => log,
    // Stop with SIGTERM; a daemon that then fails to exit cleanly (a sanitizer
    // report, an abort, a non-zero status) fails the test, with its stderr.
    async stop({ keep = false } = {}) {
      let killed = false;
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => { killed = true; child.kill('SIGKILL'); }, 10000);
        await exited;
        clearTimeout(t);
      }
      if (!keep && !dbDir) rmSync(dir, { recursive: true, force: true });
      const r = await exited;
      if (killed) throw new Error(`mmlabd ignored SIGTERM for 10 s:\n${log}`);
      const unclean = (r.signal && r.signal !== 'SIGKILL') || (r.code !== null && r.code !== 0);
      if (unclean || sanitizerReport.test(log))
        throw new Error(`mmlabd did not stop cleanly (${r.code ?? r.signal}):\n${log}`);
      return r;
    },
  };
}

// fetch + JSON; resolves { status, headers, body }.
export async function getJson(url, init = {}) {
  const res = await fetch(url, init);
  const text = await res.text();
  let body = text;
  try { body = JSON.parse(text); } catch { /* not JSON: keep the text */ }
  return { status: res.status, headers: res.headers, body };
}

export async function postJson(url, body, init = {}) {
  return getJson(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...(init.headers || {}) },
                        body: typeof body === 'string' ? body : JSON.stringify(body) });
}

// A new session of the daemon at @url; the test fails unless it is created.
// api(path), the URL of an API path, and get(path), its JSON body (failing
// the test on any status but 200), for the daemon at @url().
export function apiOf(url) {
  const api = (path) => `${url()}/api/v1${path}`;
  const get = async (path) => {
    const r = await getJson(api(path));
    assert.equal(r.status, 200, `${path}: ${JSON.stringify(r.body)}`);
    return r.body;
  };
  return { api, get };
}

export async function createSession(url, machine, name) {
  const r = await postJson(`${url}/api/v1/sessions`, { name, machine });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.id;
}

// Ops applied to session @id; the test fails unless the batch is accepted.
export async function applyOps(url, id, list) {
  const r = await postJson(`${url}/api/v1/sessions/${id}/ops`, list);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}
