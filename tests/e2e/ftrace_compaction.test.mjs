// ftrace_compaction.test.mjs - every compaction and migrate tracepoint in the
// trace text of one session: movable fragmentation compacted by direct
// compaction (pages migrated), kcompactd woken through kswapd and asleep
// again, a failed compaction deferred and the next request deferred. Each
// tracepoint of tests/data/ftrace/formats/compaction_* and migrate_* must
// appear in the ?format=ftrace export, every line of them must follow its
// real 6.18 print format, and its fields must be the event's detail.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, getJson, createSession, applyOps } from './lib/daemon.mjs';
import { formatsOfGroup, layoutOf, traceLines } from './lib/ftrace.mjs';

let d;
before(async () => { d = await startDaemon(); });
after(async () => { await d.stop(); });

const api = (p) => `${d.url}/api/v1${p}`;

// Every event of @type, in seq order.
async function events(id, type) {
  const out = [];
  for (let since = 0; ;) {
    const r = await getJson(api(`/sessions/${id}/events?type=${type}&since=${since}&limit=10000`));
    assert.equal(r.status, 200, JSON.stringify(r.body));
    out.push(...r.body.events);
    if (r.body.events.length < 10000) return out;
    since = r.body.events.at(-1).seq;
  }
}

const field = (fields, k) => (new RegExp(`(?:^|[ ,(])${k}=([^ ,)]+)`).exec(fields) || [])[1];

test('a movable-fragmentation session exports every compaction and migrate tracepoint in its 6.18 print format', async () => {
  const id = await createSession(d.url, { mem_mib: 128, pcp: false }, 'ftrace-compaction');
  const r = await applyOps(d.url, id, [
    { op: 'sysctl', name: 'vm.compaction_proactiveness', value: 0 },
    // movable fragmentation, then an order-10 GFP_KERNEL request: direct compaction moves pages
    { op: 'workload', kind: 'fragment_user', count: 21000, gfp: 'GFP_KERNEL', order: 10 },
    // a request that may not sleep: kswapd is woken and hands the order to kcompactd
    { op: 'workload', kind: 'fragment_user', count: 4000, gfp: 'GFP_NOWAIT|__GFP_NOWARN', order: 10 },
    // unmovable fragmentation: a sync compaction fails and defers the zone, the next is deferred
    { op: 'workload', kind: 'fragment', count: 8000, gfp: 'GFP_KERNEL', order: 10 },
    { op: 'alloc_pages', gfp: 'GFP_KERNEL', order: 10 },
    { op: 'alloc_pages', gfp: 'GFP_KERNEL', order: 10 },
  ]);
  assert.ok(r.results.every((x) => x.ok), JSON.stringify(r.results));

  const table = (await getJson(api('/ftrace/tracepoints'))).body.tracepoints;
  const layout = {}, group = {};
  for (const g of ['compaction', 'migrate'])
    for (const name of formatsOfGroup(g)) {
      const tp = table.find((t) => t.name === name);
      assert.equal(tp?.group, g, `${name} is in the table, group ${g}`);
      assert.equal(tp.engine, name, `${name} is written from the engine's event of that name`);
      layout[name] = layoutOf(g, name);
      group[name] = g;
    }
  const required = Object.keys(layout);
  assert.ok(required.length >= 19, `the compaction and migrate format files: ${required}`);
  for (const t of table)
    if (t.group === 'compaction' || t.group === 'migrate')
      assert.ok(layout[t.name], `${t.name} of the table has a format file`);

  const text = await (await fetch(api(`/sessions/${id}/export?format=ftrace`))).text();
  const lines = traceLines(text).filter((l) => layout[l.name]);
  const seen = new Set(lines.map((l) => l.name));
  for (const name of required) assert.ok(seen.has(name), `the export has ${name} lines`);

  // Every line follows its print format and is its event's detail, in seq order.
  for (const name of required) {
    const mine = lines.filter((l) => l.name === name);
    const sim = await events(id, name);
    assert.equal(mine.length, sim.length, `${name}: one line an event`);
    for (let i = 0; i < sim.length; i++) {
      assert.match(mine[i].fields, layout[name], `${name} seq ${sim[i].seq} follows the 6.18 print fmt`);
      assert.equal(mine[i].fields, sim[i].detail, `${name} seq ${sim[i].seq}: the fields are the detail`);
    }
  }

  // The story the lines tell: a direct compaction that migrated pages, kcompactd woken and
  // asleep, a deferral after a failed sync run.
  const at = (name, from = 0) => lines.findIndex((l, i) => i >= from && l.name === name);
  const direct = at('mm_compaction_try_to_compact_pages');
  const moved = lines.findIndex((l, i) => i > direct && l.name === 'mm_compaction_migratepages' &&
    Number(field(l.fields, 'nr_migrated')) > 0);
  assert.ok(direct >= 0 && moved > direct, 'direct compaction migrated pages');
  assert.ok(lines.some((l) => l.name === 'mm_migrate_pages' && Number(field(l.fields, 'nr_succeeded')) > 0 &&
    field(l.fields, 'reason') === 'compaction'));
  const set = at('set_migration_pte'), rem = at('remove_migration_pte', set);
  assert.ok(set >= 0 && rem > set, 'a migration entry set, then removed');
  const wake = at('mm_compaction_wakeup_kcompactd');
  assert.ok(wake >= 0 && at('mm_compaction_kcompactd_wake', wake) > wake &&
    at('mm_compaction_kcompactd_sleep', wake) > at('mm_compaction_kcompactd_wake', wake), 'kcompactd woken, then asleep');
  const defer = at('mm_compaction_defer_compaction');
  const deferred = at('mm_compaction_deferred', defer);
  assert.ok(defer >= 0 && deferred > defer, 'a failed compaction defers, the next request is deferred');
  assert.equal(field(lines[deferred].fields, 'order'), '10');
  assert.equal(field(lines[deferred].fields, 'consider'), '1');
  assert.equal(field(lines[deferred].fields, 'limit'), '2');
  const begin = lines[at('mm_compaction_begin')];
  assert.match(begin.fields, /mode=(async|sync)$/);
  assert.ok(lines.some((l) => l.name === 'mm_compaction_end' && / status=success$/.test(l.fields)));
});
