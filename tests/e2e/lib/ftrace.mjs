// ftrace.mjs - reading the kernel's trace text in the e2e tests: the print
// format of a tracepoint's real 6.18 format file (tests/data/ftrace/formats/)
// as a regular expression a line's fields must match, and the lines of an
// exported /sys/kernel/tracing/trace.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { top } from './daemon.mjs';

export const FORMATS = join(top, 'tests', 'data', 'ftrace', 'formats');

// The names of the format files of tracepoint group @group (compaction, migrate, ...).
export function formatsOfGroup(group) {
  return readdirSync(FORMATS).filter((f) => f.startsWith(`${group}_`) && f.endsWith('.format'))
    .map((f) => f.slice(group.length + 1, -'.format'.length));
}

// The first string of a format file's "print fmt:" line.
export function printFmt(text) {
  const m = /^print fmt: "((?:[^"\\]|\\.)*)"/m.exec(text);
  assert.ok(m, 'a print fmt line');
  return m[1];
}

const conv = { d: '-?\\d+', u: '\\d+', x: '[0-9a-f]+', s: '.*?', p: '[0-9a-f]{16}', pS: '\\S+' };

// A regular expression of the whole fields text of @group's tracepoint @name, from its print fmt.
export function layoutOf(group, name) {
  const fmt = printFmt(readFileSync(join(FORMATS, `${group}_${name}.format`), 'utf8'));
  return new RegExp(`^${fmt.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    .replace(/%[-0-9]*[lhz]*([duxsp])(S?)/g, (_, c, s) => `(${s ? conv.pS : conv[c]})`)}$`);
}

// The event lines of a trace text: { task, pid, cpu, ts, name, fields }.
export function traceLines(text) {
  const out = [];
  for (const l of text.split('\n')) {
    if (!l || l.startsWith('#')) continue;
    const m = /^ *(.+)-(\d+) +\[(\d{3})\] \.{5} +(\d+\.\d{6}): ([a-z_0-9]+): (.*)$/.exec(l);
    assert.ok(m, `a trace line: ${l}`);
    out.push({ task: m[1], pid: Number(m[2]), cpu: Number(m[3]), ts: m[4], name: m[5], fields: m[6] });
  }
  return out;
}
