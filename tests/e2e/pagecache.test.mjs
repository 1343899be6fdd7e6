// pagecache.test.mjs - files, the page cache, fork and copy-on-write through
// the REST API: the ops and their results, the /proc texts they change
// (meminfo, vmstat, PID/status), the files view, a page's LRU list and
// mapping, refusals as results, bad input as HTTP errors, and a session of
// all of it that replays exactly (verify) and forks in the past.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, postJson, apiOf, createSession, applyOps } from './lib/daemon.mjs';

let d;
const { api, get } = apiOf(() => d.url);
before(async () => { d = await startDaemon(); });
after(async () => { await d.stop(); });

const op = async (id, o) => (await applyOps(d.url, id, [o])).results[0];

async function text(path) {
  const r = await fetch(api(path));
  assert.equal(r.status, 200, path);
  return r.text();
}

// "Key:   123 kB" or "key 123" of a /proc text.
function field(t, key) {
  const m = t.match(new RegExp(`^${key.replace(/[()]/g, '\\$&')}:?\\s+(\\d+)`, 'm'));
  assert.ok(m, `${key} in\n${t}`);
  return Number(m[1]);
}

test('reads fill the page cache with readahead, writes dirty it, fsync and drop_caches empty it', async () => {
  const id = await createSession(d.url, { mem_mib: 256 }, 'files');
  assert.deepEqual(await op(id, { op: 'create_file', name: 'log', size: 1 << 20 }),
                   { ok: true, name: 'log', size: 1 << 20 });
  const r = await op(id, { op: 'read_file', name: 'log', offset: 0, length: 4096 });
  assert.deepEqual(r, { ok: true, bytes: 4096, pages: 1, pages_read: 4 });
  let files = (await get(`/sessions/${id}/files`)).files;
  assert.equal(files[0].nrpages, 4);
  assert.deepEqual(files[0].ra, { start: 0, size: 4, async_size: 3 });
  assert.equal(files[0].dentry, true);
  assert.equal(field(await text(`/sessions/${id}/proc/meminfo`), 'Cached'), 16);
  assert.equal(field(await text(`/sessions/${id}/proc/meminfo`), 'Inactive(file)'), 16);
  const w = await op(id, { op: 'write_file', name: 'log', offset: 8192, length: 3 * 4096 });
  assert.equal(w.pages, 3);
  let meminfo = await text(`/sessions/${id}/proc/meminfo`);
  assert.equal(field(meminfo, 'Dirty'), 12);
  const vmstat = await text(`/sessions/${id}/proc/vmstat`);
  assert.equal(field(vmstat, 'nr_dirty'), 3);
  assert.equal(field(vmstat, 'nr_file_pages'), 5);
  assert.equal(field(vmstat, 'pgpgin'), 16);
  // a page's struct page: its LRU list, its mapping, its index
  const events = (await get(`/sessions/${id}/events?type=mm_filemap_add_to_page_cache`)).events;
  assert.equal(events.length, 5);
  const page = await get(`/sessions/${id}/pages/${events[0].pfn}`);
  assert.equal(page.owner, 'pagecache');
  assert.equal(page.lru.list, 'inactive_file');
  assert.deepEqual({ kind: page.mapping.kind, file: page.mapping.file }, { kind: 'file', file: 'log' });
  assert.equal(page.index, 0);
  assert.equal(page._mapcount, -1);
  assert.equal((await op(id, { op: 'fsync', name: 'log' })).written, 3);
  assert.equal(field(await text(`/sessions/${id}/proc/meminfo`), 'Dirty'), 0);
  // the pages, then the dentry; the inode it held is free to go at the next pass
  assert.deepEqual(await op(id, { op: 'drop_caches', mode: 3 }), { ok: true, pages: 5, objects: 1 });
  meminfo = await text(`/sessions/${id}/proc/meminfo`);
  assert.equal(field(meminfo, 'Cached'), 0);
  files = (await get(`/sessions/${id}/files`)).files;
  assert.equal(files[0].nrpages, 0);
  assert.equal(files[0].dentry, false);
  assert.equal(files[0].inode, true);
  assert.deepEqual(await op(id, { op: 'drop_caches', mode: 2 }), { ok: true, pages: 0, objects: 1 });
  assert.equal((await get(`/sessions/${id}/files`)).files[0].inode, false);
  assert.deepEqual(await op(id, { op: 'check' }), { ok: true });
});

test('fork shares pages, a write copies one, and the process counters follow', async () => {
  const id = await createSession(d.url, { mem_mib: 256 }, 'fork');
  const pid = (await op(id, { op: 'spawn', name: 'parent' })).pid;
  await op(id, { op: 'create_file', name: 'lib', size: 65536 });
  const anon = (await op(id, { op: 'mmap', pid, length: 4 * 4096 })).addr;
  const file = (await op(id, { op: 'mmap', pid, length: 4 * 4096, prot: 'r--', file: 'lib', flags: 'MAP_SHARED' })).addr;
  assert.equal((await op(id, { op: 'touch', pid, addr: anon, length: 4 * 4096, access: 'write' })).ok, true);
  assert.equal((await op(id, { op: 'touch', pid, addr: file, length: 2 * 4096, access: 'read' })).ok, true);
  let status = await text(`/sessions/${id}/proc/${pid}/status`);
  assert.equal(field(status, 'RssAnon'), 16);
  assert.equal(field(status, 'RssFile'), 8);
  assert.equal(field(status, 'VmRSS'), 24);
  const child = (await op(id, { op: 'fork', pid })).pid;
  assert.ok(child > pid);
  status = await text(`/sessions/${id}/proc/${child}/status`);
  assert.equal(field(status, 'RssAnon'), 16);
  assert.equal(field(status, 'RssFile'), 0);	// a shared file VMA is not copied: it faults again
  const before = (await get(`/sessions/${id}/zones`)).owners.user;
  const t = await op(id, { op: 'translate', pid: child, vaddr: anon });
  const shared = await get(`/sessions/${id}/pages/${parseInt(t.paddr, 16) >> 12}`);
  assert.equal(shared._mapcount, 1);
  assert.equal(shared.refcount, 2);
  assert.equal(shared.mapping.kind, 'anon');
  assert.equal(shared.lru.list, 'inactive_anon');
  await op(id, { op: 'touch', pid: child, addr: anon, length: 4096, access: 'write' });
  assert.equal((await get(`/sessions/${id}/zones`)).owners.user, before + 1);
  const copies = (await get(`/sessions/${id}/events?type=wp_page_copy`)).events;
  assert.equal(copies.length, 1);
  assert.equal(field(await text(`/sessions/${id}/proc/vmstat`), 'pgfault') > 0, true);
  assert.equal((await op(id, { op: 'exit', pid })).ok, true);
  assert.equal((await op(id, { op: 'exit', pid: child })).ok, true);
  assert.deepEqual(await op(id, { op: 'check' }), { ok: true });
  assert.equal((await get(`/sessions/${id}/zones`)).owners.user, 0);
});

test('refusals are results, bad fields EINVAL results, bad routes HTTP errors', async () => {
  const id = await createSession(d.url, { mem_mib: 256 }, 'refusals');
  const dup = await op(id, { op: 'create_file', name: 'x' });
  assert.equal(dup.ok, true);
  const again = await op(id, { op: 'create_file', name: 'x' });
  assert.equal(again.ok, false);
  assert.equal(again.errno, 'EEXIST');
  assert.equal((await op(id, { op: 'read_file', name: 'nope', length: 10 })).errno, 'ENOENT');
  assert.equal((await op(id, { op: 'fork', pid: 99 })).errno, 'ESRCH');
  assert.equal((await op(id, { op: 'drop_caches', mode: 4 })).errno, 'EINVAL');
  assert.equal((await op(id, { op: 'mmap', pid: 1, length: 4096, flags: 'MAP_SHARED' })).errno, 'EINVAL');
  const bad = await fetch(api(`/sessions/${id}/proc/abc/status`));
  assert.equal(bad.status, 400);
  assert.equal((await bad.json()).error.code, 'EINVAL');
  const none = await fetch(api(`/sessions/${id}/proc/77/status`));
  assert.equal(none.status, 404);
});

test('a session of files, fork and copy-on-write replays exactly and forks in the past', async () => {
  const id = await createSession(d.url, { mem_mib: 256, cpus: 2 }, 'replay');
  const pid = (await op(id, { op: 'spawn' })).pid;
  await op(id, { op: 'create_file', name: 'data', size: 256 * 1024 });
  const a = (await op(id, { op: 'mmap', pid, length: 32 * 4096, file: 'data', flags: 'MAP_PRIVATE' })).addr;
  await op(id, { op: 'touch', pid, addr: a, length: 16 * 4096, access: 'read' });
  await op(id, { op: 'touch', pid, addr: a, length: 4 * 4096, access: 'write' });
  const child = (await op(id, { op: 'fork', pid })).pid;
  await op(id, { op: 'write_file', pid: child, name: 'data', offset: 4096, length: 40000 });
  const mid = (await get(`/sessions/${id}`)).last_seq;
  await op(id, { op: 'touch', pid: child, addr: a, length: 8 * 4096, access: 'write' });
  await op(id, { op: 'read_file', name: 'data', length: 256 * 1024 });
  await op(id, { op: 'drop_caches', mode: 1 });
  await op(id, { op: 'exit', pid });
  const v = await get(`/sessions/${id}/verify`);
  assert.equal(v.ok, true, JSON.stringify(v));
  const past = await get(`/sessions/${id}/files?at=${mid}`);
  assert.equal(past.files[0].nr_dirty > 0, true);
  const f = await postJson(api(`/sessions/${id}/fork`), { at: mid, name: 'what-if' });
  assert.equal(f.status, 201, JSON.stringify(f.body));
  assert.deepEqual((await get(`/sessions/${f.body.id}/files`)).files, past.files.map((x) => x));
  assert.deepEqual(await op(f.body.id, { op: 'check' }), { ok: true });
  assert.equal((await op(f.body.id, { op: 'fsync', name: 'data' })).written, past.files[0].nr_dirty);
});
