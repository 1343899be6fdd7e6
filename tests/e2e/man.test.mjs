// man.test.mjs - docs/mmlabd.8 documents exactly the options of `mmlabd --help`,
// and docs/mmlabd.service is a sound, hardened unit that runs this mmlabd.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMmlabd, mmlabdPath, top } from './lib/daemon.mjs';

const man = readFileSync(join(top, 'docs', 'mmlabd.8'), 'utf8');
const unit = readFileSync(join(top, 'docs', 'mmlabd.service'), 'utf8');
// roff writes "-" as "\-" in option names.
const manText = man.replace(/\\-/g, '-');

test('the manual page lists every option of --help, and no other', async () => {
  const help = await runMmlabd(['--help']);
  assert.equal(help.code, 0);
  const options = new Set([...help.stdout.matchAll(/^\s+(--[a-z-]+)/gm)].map((m) => m[1]));
  assert.ok(options.size >= 8, `--help lists options: ${[...options]}`);
  const documented = new Set([...manText.matchAll(/^\.(?:TP\n)?\.BI? (--[a-z-]+)/gm)].map((m) => m[1]));
  for (const opt of options) assert.ok(documented.has(opt), `${opt} has an entry in OPTIONS`);
  for (const opt of documented) assert.ok(options.has(opt), `${opt} is documented but mmlabd --help does not list it`);
  for (const section of ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'OPTIONS', 'FILES', 'SIGNALS', 'EXIT STATUS', 'SECURITY', 'EXAMPLES'])
    assert.match(man, new RegExp(`^\\.SH "?${section}"?$`, 'm'), section);
});

test('the manual page renders without roff warnings', (t) => {
  const r = spawnSync('groff', ['-man', '-Tutf8', '-ww', '-z', join(top, 'docs', 'mmlabd.8')], { encoding: 'utf8' });
  if (r.error) { t.skip('groff is not installed'); return; }
  assert.equal(r.status, 0);
  assert.equal(r.stderr, '');
});

test('the exit statuses of the manual page are those of --help', async () => {
  const help = await runMmlabd(['--help']);
  for (const status of [...help.stdout.matchAll(/(\d) (?:after|when|for)/g)].map((m) => m[1]))
    assert.match(man, new RegExp(`^\\.B ${status}$`, 'm'), `exit status ${status}`);
});

test('the systemd unit is hardened, runs mmlabd on loopback and keeps its state in /var/lib/mmlab', (t) => {
  const keys = {};
  for (const line of unit.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m) (keys[m[1]] ||= []).push(m[2]);
  }
  assert.deepEqual(keys.Type, ['simple']);
  assert.match(keys.ExecStart[0], /^\/\S+\/mmlabd --listen 127\.0\.0\.1:8080 --db \/var\/lib\/mmlab\/\S+$/);
  assert.deepEqual(keys.StateDirectory, ['mmlab']);
  for (const [k, v] of Object.entries({ DynamicUser: 'yes', NoNewPrivileges: 'yes', ProtectSystem: 'strict',
    ProtectHome: 'yes', PrivateTmp: 'yes', PrivateDevices: 'yes', MemoryDenyWriteExecute: 'yes',
    RestrictAddressFamilies: 'AF_INET AF_INET6 AF_UNIX' }))
    assert.deepEqual(keys[k], [v], k);
  assert.ok(keys.SystemCallFilter.includes('@system-service'));
  const v = spawnSync('systemd-analyze', ['--version']);
  if (v.error) { t.skip('systemd-analyze is not installed'); return; }
  // Verify a copy that runs the mmlabd under test (the installed path may not exist here).
  const dir = mkdtempSync(join(tmpdir(), 'mmlab-unit-'));
  try {
    writeFileSync(join(dir, 'mmlabd.service'), unit.replace(/^ExecStart=\S+/m, `ExecStart=${mmlabdPath}`));
    const r = spawnSync('systemd-analyze', ['verify', '--man=no', join(dir, 'mmlabd.service')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr.trim(), '', 'no warnings');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
