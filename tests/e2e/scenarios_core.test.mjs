// scenarios_core.test.mjs - the page-cache and fork scenarios: their figures
// come from their own runs' events and support their claims, and the runs
// replay exactly.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, getJson, postJson } from './lib/daemon.mjs';

let d;
before(async () => { d = await startDaemon(); });
after(async () => { await d.stop(); });
const api = (p) => `${d.url}/api/v1${p}`;

const byOp = (f) => Object.fromEntries(f.ops.map((o) => [o.op_no, o]));

test('page cache: a 64 MiB read fills 16384 pages; drop_caches gives back the clean ones, the dirty ones after fsync', async () => {
  const r = await postJson(api('/scenarios/page-cache/run'), {});
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const f = r.body.figure, ops = byOp(f);
  assert.equal(ops[2].op, 'read_file');
  assert.equal(ops[2].added_pages, 16384);
  assert.equal(ops[3].dirtied_pages, 1024);
  assert.equal(ops[4].op, 'drop_caches');
  assert.equal(ops[4].dropped_pages, 16384 - 1024, 'the dirty pages stay');
  assert.equal(ops[5].written_pages, 1024);
  assert.equal(ops[6].dropped_pages, 1024, 'written, they go too');
  assert.equal(ops[6].slab_objects_freed + ops[7].slab_objects_freed, 2, 'the dentry, then the inode');
  assert.equal(f.given_back_percent, 100);
  assert.ok(r.body.results.every((x) => x.ok), JSON.stringify(r.body.results));
  assert.equal((await getJson(api(`/sessions/${r.body.session}/verify`))).body.ok, true);
});

test('fork and copy-on-write: fork allocates page tables only, reads copy nothing, each write copies once', async () => {
  const r = await postJson(api('/scenarios/fork-cow/run'), {});
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const f = r.body.figure, ops = byOp(f);
  assert.equal(ops[4].op, 'fork');
  assert.equal(ops[4].forks, 1);
  assert.equal(ops[4].allocated_pages, ops[4].page_table_pages, 'fork allocates page tables only');
  assert.equal(ops[5].allocated_pages + ops[5].copied_pages, 0, 'the child reads: nothing copied');
  assert.equal(ops[6].copied_pages, 256, 'the child writes 1 MiB: 256 copies');
  assert.equal(ops[6].allocated_pages, 256);
  assert.equal(ops[7].reused_pages, 256, 'the parent writes the pages the child copied away: reused');
  assert.equal(ops[7].copied_pages, 0);
  assert.equal(ops[8].copied_pages, 256, 'the parent writes pages still shared: copies');
  assert.ok(r.body.results.every((x) => x.ok), JSON.stringify(r.body.results));
  assert.equal((await getJson(api(`/sessions/${r.body.session}/verify`))).body.ok, true);
});
