// timeline.test.mjs - time travel and live updates in the dashboard, in
// Debian's chromium against a real daemon: the stream instead of a timer,
// the slider and its steps showing exactly what the API says at that seq,
// the event log, fork from the past, and the way back to the present.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium, openSessionPage } from './lib/browser.mjs';
import { checkBarEnds, legendColours, overviewStretches } from './lib/pixels.mjs';
import { startDaemon, getJson, postJson, apiOf } from './lib/daemon.mjs';

let d, browser, session, ops;

const { api, get } = apiOf(() => d.url);
const apply = async (id, list) => {
  const r = await postJson(api(`/sessions/${id}/ops`), list);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
};

before(async () => {
  d = await startDaemon();
  browser = await launchChromium();
  // Without per-cpu lists every alloc and free goes to the buddy lists: op 1
  // takes an order-3 block (a split cascade), op 2 one page (more splits),
  // op 3 gives that page back (merges).
  const created = await postJson(api('/sessions'), { name: 'tl', machine: { pcp: false } });
  assert.equal(created.status, 201);
  session = created.body.id;
  const r = await apply(session, [{ op: 'alloc_pages', gfp: 'GFP_KERNEL', order: 3 },
                                  { op: 'alloc_pages', gfp: 'GFP_KERNEL', order: 0 }]);
  await apply(session, { op: 'free_pages', pfn: r.results[1].pfn, order: 0 });
  ops = (await get(`/sessions/${session}/timeline`)).ops;
  ops[1].pfn = r.results[1].pfn;
});

after(async () => {
  await browser?.close();
  await d?.stop();
});

// The dashboard on a session, recording requests and console errors.
const openDashboard = (hash = '', id = session) => openSessionPage(browser, d.url, hash, id);

const zoneKey = (z) => `${z.node}/${z.name}`;

// Drag the slider to @seq (as the input events of a drag do).
async function seek(page, seq) {
  await page.locator('#tb-slider').evaluate((el, v) => {
    el.value = String(v);
    el.dispatchEvent(new Event('input', { bubbles: true }));
    el.dispatchEvent(new Event('change', { bubbles: true }));
  }, seq);
  await page.waitForSelector(`#timebar[data-seq="${seq}"]`);
}

const barSeq = async (page) => Number(await page.getAttribute('#timebar', 'data-seq'));

// The overview as drawn matches @view (GET .../zones): each owner's stretch of
// each zone's bar in the owner's colour, read from the canvases.
async function checkOverviewDrawn(page, id, view) {
  const colours = await legendColours(page, await get(`/sessions/${id}/physmap/legend`));
  let checked = 0;
  for (const z of view.zones.filter((x) => x.populated))
    for (const s of await overviewStretches(page, z, colours)) {
      assert.ok(s.ok, `${zoneKey(z)}: ${s.owner} (${s.pages} pages) at x ${s.x} is ${s.px}, not ${colours[s.owner]}`);
      checked++;
    }
  assert.ok(checked >= 3, `${checked} stretches checked`);
}

// The buddy view's free-blocks chart of each zone of @view as drawn: each
// order's bar ends at its nr_free.
async function checkBuddyOrdersDrawn(page, view) {
  let checked = 0;
  for (const z of view.zones.filter((x) => x.populated))
    checked += await checkBarEnds(page, `#buddy-zones canvas[data-kind="orders"][data-zone="${zoneKey(z)}"]`, 'y',
                                  Object.fromEntries(z.nr_free.map((n, o) => [String(o), [n]])));
  assert.ok(checked >= 4, `${checked} bars checked`);
}

// A browser whose pages run on a clock the test moves (page.clock): the
// dashboard's timers fire when the test says, so "nothing happens for a
// minute" needs no minute of waiting.
const onClock = {
  async newPage(options) {
    const page = await browser.newPage(options);
    await page.clock.install();
    return page;
  },
};

const waitForView = (page, view, seq) =>
  page.waitForSelector(`#${view}-zones[data-ready="true"][data-seq="${seq}"]`, { timeout: 10000 });

test('live updates come through the event stream, not a timer', async () => {
  const { page, requests, done } = await openSessionPage(onClock, d.url, '#overview', session);
  const last = (await get(`/sessions/${session}`)).last_seq;
  await waitForView(page, 'overview', last);
  assert.ok(requests.some((u) => u === api(`/sessions/${session}/stream`)), 'an EventSource on /stream');
  assert.equal(await page.getAttribute('#timebar', 'data-mode'), 'live');
  assert.match(await page.textContent('#tb-where'), new RegExp(`^live: seq ${last} \\(op 3: free_pages\\)`));
  // An idle machine: no polling.
  const zonesAsked = () => requests.filter((u) => u.includes(`/sessions/${session}/zones`)).length;
  const idle = zonesAsked();
  // A minute of the page's time: every timer it set is due, and fires.
  await page.clock.runFor(60000);
  assert.equal(zonesAsked(), idle, 'no requests while nothing happens');
  // An op from elsewhere shows up without a reload.
  const r = await apply(session, { op: 'alloc_pages', gfp: 'GFP_KERNEL', order: 2 });
  await waitForView(page, 'overview', r.last_seq);
  await checkOverviewDrawn(page, session, await get(`/sessions/${session}/zones`));
  await page.waitForSelector(`#timebar[data-last-seq="${r.last_seq}"]`);
  await apply(session, { op: 'free_pages', pfn: r.results[0].pfn, order: 2 });
  await done();
});

test('a past seq on the slider: overview and buddy show the API\'s state at that seq', async () => {
  const { page, done } = await openDashboard('#overview');
  const past = ops[1].last_seq;
  const last = (await get(`/sessions/${session}`)).last_seq;
  await seek(page, past);
  assert.equal(await page.getAttribute('#timebar', 'data-mode'), 'past');
  assert.match(await page.textContent('#tb-where'), new RegExp(`^at seq ${past} of ${last} \\(op 2: alloc_pages\\)`));
  await waitForView(page, 'overview', past);
  const then = await get(`/sessions/${session}/zones?at=${past}`);
  const now = await get(`/sessions/${session}/zones`);
  await checkOverviewDrawn(page, session, then);
  assert.notDeepEqual(then.zones.map((z) => z.nr_free), now.zones.map((z) => z.nr_free), 'the past differs');

  await page.click('nav a[data-view="buddy"]');
  await waitForView(page, 'buddy', past);
  await checkBuddyOrdersDrawn(page, then);
  assert.equal(await page.textContent('#buddy-buddyinfo'), (await getJson(api(`/sessions/${session}/proc/buddyinfo?at=${past}`))).body);
  await done();
});

test('one event forward: the buddy view shows what the split did, the log highlights it', async () => {
  const { page, done } = await openDashboard('#buddy');
  const split = (await get(`/sessions/${session}/events?since=${ops[1].first_seq - 1}&limit=1`)).events[0];
  assert.equal(split.type, 'buddy_split', 'op 2 starts with a split');
  await seek(page, split.seq - 1);
  await waitForView(page, 'buddy', split.seq - 1);
  await page.click('#tb-forward');
  await waitForView(page, 'buddy', split.seq);
  assert.equal(await barSeq(page), split.seq);
  assert.equal(await page.getAttribute('#buddy-zones', 'data-event'), `${split.seq}:buddy_split`);
  const before = await get(`/sessions/${session}/zones?at=${split.seq - 1}`);
  const after = await get(`/sessions/${session}/zones?at=${split.seq}`);
  const zone = after.zones.find((z) => z.name === split.zone && z.node === split.node);
  const old = before.zones.find((z) => z.name === split.zone && z.node === split.node).nr_free;
  const moved = zone.nr_free.map((n, o) => (n !== old[o] ? o : -1)).filter((o) => o >= 0);
  assert.ok(moved.includes(split.order), 'the split left a block of its order');
  const block = page.locator(`#buddy-zones .zone[data-zone="${zoneKey(zone)}"]`);
  assert.equal(await block.getAttribute('data-changed'), moved.join(','));
  assert.equal(await block.getAttribute('data-event'), 'split');
  assert.match(await block.locator('.buddy-event').textContent(), new RegExp(`^seq ${split.seq}: split \\(buddy_split\\), order ${split.order}`));

  await page.click('nav a[data-view="timeline"]');
  await page.waitForSelector(`#eventlog tr.current[data-seq="${split.seq}"]`);
  await page.click('#tb-forward');
  await page.waitForSelector(`#eventlog tr.current[data-seq="${split.seq + 1}"]`);
  assert.equal(await page.locator('#eventlog tr.current').count(), 1);
  // A click on a row moves the slider there.
  await page.click(`#eventlog tr[data-seq="${split.seq - 1}"]`);
  await page.waitForSelector(`#timebar[data-seq="${split.seq - 1}"]`);
  assert.equal(await page.inputValue('#tb-slider'), String(split.seq - 1));
  await done();
});

test('play moves on by itself, pause stops it; step by op and jump to an op', async () => {
  const { page, done } = await openSessionPage(onClock, d.url, '#timeline', session);
  const start = ops[0].first_seq;
  await seek(page, start);
  await page.selectOption('#tb-speed', 'events:5');
  await page.click('#tb-play');
  await page.waitForFunction((s) => Number(document.getElementById('timebar').dataset.seq) >= s + 3, start);
  await page.click('#tb-play');
  assert.equal(await page.getAttribute('#tb-play', 'data-playing'), 'false');
  const paused = await barSeq(page);
  // Ten seconds of the page's time, fifty steps at 5 events/s were it playing.
  await page.clock.runFor(10000);
  assert.equal(await barSeq(page), paused, 'paused stays put');

  // Op by op: to the end of the op after the current seq, and back.
  const ends = ops.map((o) => o.last_seq);
  const next = ends.findIndex((e) => e > paused);
  await page.click('#tb-op-forward');
  await page.waitForSelector(`#timebar[data-seq="${ends[next]}"]`);
  await page.click('#tb-op-forward');
  await page.waitForSelector(`#timebar[data-seq="${ends[next + 1]}"]`);
  await page.click('#tb-op-back');
  await page.waitForSelector(`#timebar[data-seq="${ends[next]}"]`);
  await page.fill('#timeline-jump input[name="op"]', '3');
  await page.click('#timeline-jump button[type="submit"]');
  await page.waitForSelector(`#timebar[data-seq="${ops[2].last_seq}"][data-op="3"]`);
  assert.match(await page.textContent('#tb-where'), new RegExp(`^at seq ${ops[2].last_seq} of \\d+ \\(op 3: free_pages\\)`));
  await done();
});

test('the event log filters by type and by pfn', async () => {
  const { page, done } = await openDashboard('#timeline');
  await seek(page, ops[1].last_seq);
  await page.selectOption('#eventlog-filter select[name="type"]', 'buddy_merge');
  const want = (await get(`/sessions/${session}/events?since=${ops[1].last_seq - 1}&type=buddy_merge&limit=50`)).events;
  assert.ok(want.length > 0, 'freeing the page merged');
  await page.waitForFunction((n) => document.querySelectorAll('#eventlog tr[data-type="buddy_merge"]').length === n &&
                             document.querySelectorAll('#eventlog tr[data-type]').length === n, want.length);
  const rows = await page.$$eval('#eventlog tr[data-seq]', (trs) => trs.map((tr) =>
    ({ seq: Number(tr.dataset.seq), type: tr.dataset.type, order: tr.querySelector('[data-col="order"]').textContent,
       pfn: tr.querySelector('[data-col="pfn"]').textContent })));
  assert.deepEqual(rows, want.map((e) => ({ seq: e.seq, type: 'buddy_merge', order: String(e.order),
                                            pfn: `0x${e.pfn.toString(16)}` })));

  await page.selectOption('#eventlog-filter select[name="type"]', '');
  await seek(page, 1);
  await page.fill('#eventlog-filter input[name="pfn"]', `0x${ops[1].pfn.toString(16)}`);
  await page.click('#eventlog-filter button[type="submit"]');
  await page.waitForFunction(() => document.getElementById('eventlog-note').textContent.includes('touching pfn'));
  const touching = await page.$$eval('#eventlog tr[data-seq]', (trs) => trs.map((tr) => Number(tr.dataset.seq)));
  const all = (await get(`/sessions/${session}/events?since=0&limit=10000`)).events;
  const expected = all.filter((e) => e.pfn !== undefined && ops[1].pfn >= e.pfn &&
                                     ops[1].pfn < e.pfn + 2 ** (e.order ?? 0)).map((e) => e.seq).slice(0, 50);
  assert.deepEqual(touching, expected);
  assert.ok(expected.length >= 3, 'the page was split off, allocated, freed and merged');
  await done();
});

test('fork from a past seq: a new live session with the past state, selected and streamed', async () => {
  const { page, requests, done } = await openDashboard('#timeline');
  const closed = [];
  page.on('requestfailed', (r) => closed.push(r.url()));
  const at = ops[0].last_seq;
  await seek(page, at);
  await page.fill('#timeline-fork input[name="name"]', 'what-if');
  await page.click('#timeline-fork button[type="submit"]');
  await page.waitForFunction(() => /^what-if \(#\d+, live\)$/.test(document.querySelector('#session option:checked')?.textContent));
  const id = Number(await page.inputValue('#session'));
  assert.notEqual(id, session);
  await page.waitForSelector(`#timebar[data-mode="live"][data-seq="${at}"]`);
  const info = await get(`/sessions/${id}`);
  assert.equal(info.state, 'live');
  assert.equal(info.last_seq, at);
  assert.equal((await getJson(api(`/sessions/${id}/proc/buddyinfo`))).body,
               (await getJson(api(`/sessions/${session}/proc/buddyinfo?at=${at}`))).body);
  assert.ok(requests.includes(api(`/sessions/${id}/stream`)), 'the fork is followed live');
  assert.ok(closed.includes(api(`/sessions/${session}/stream`)), 'the old stream is closed');
  await page.click('nav a[data-view="buddy"]');
  await waitForView(page, 'buddy', at);
  assert.equal(await page.textContent('#buddy-buddyinfo'), (await getJson(api(`/sessions/${id}/proc/buddyinfo`))).body);
  await done();
});

test('"live" returns from the past to the present, which goes on moving', async () => {
  const { page, done } = await openDashboard('#overview');
  await seek(page, ops[0].first_seq);
  await waitForView(page, 'overview', ops[0].first_seq);
  await page.click('#tb-live');
  const last = (await get(`/sessions/${session}`)).last_seq;
  await page.waitForSelector('#timebar[data-mode="live"]');
  assert.match(await page.textContent('#tb-where'), new RegExp(`^live: seq ${last} `));
  await waitForView(page, 'overview', last);
  const r = await apply(session, { op: 'alloc_pages', gfp: 'GFP_KERNEL', order: 1 });
  await waitForView(page, 'overview', r.last_seq);
  assert.equal(await barSeq(page), r.last_seq);
  await done();
});

// Each marker of session @id's timeline drawn on the track where its seq
// falls between the session's first and last seq (its centre within a pixel).
async function checkMarkersDrawn(page, id) {
  const t = await get(`/sessions/${id}/timeline`);
  const last = (await get(`/sessions/${id}`)).last_seq;
  const { track, drawn } = await page.evaluate(() => ({
    track: document.getElementById('tb-markers').getBoundingClientRect().toJSON(),
    drawn: [...document.querySelectorAll('#tb-markers .marker')].map((b) => {
      const r = b.getBoundingClientRect();
      return { seq: Number(b.dataset.seq), x: r.left + r.width / 2 };
    }),
  }));
  assert.deepEqual(drawn.map((m) => m.seq), t.markers.map((m) => m.seq));
  for (const m of drawn) {
    const want = track.left + track.width * (m.seq - t.first_seq) / (last - t.first_seq);
    assert.ok(Math.abs(m.x - want) < 1, `the marker of seq ${m.seq} at x ${m.x}, not ${want} (seqs ${t.first_seq}..${last})`);
  }
}

test('markers on the track: failed allocations of a full machine, each a click away', async () => {
  const created = await postJson(api('/sessions'), { name: 'full', machine: { mem_mib: 1024, pcp: false } });
  assert.equal(created.status, 201);
  const id = created.body.id;
  const { results } = await apply(id, Array.from({ length: 300 }, () => ({ op: 'alloc_pages', gfp: 'GFP_KERNEL', order: 10 })));
  const markers = (await get(`/sessions/${id}/timeline`)).markers;
  const fails = markers.filter((m) => m.type === 'alloc_fail');
  assert.ok(fails.length > 0, 'the machine ran out of order-10 blocks');
  const { page, done } = await openDashboard('#overview', id);
  await page.waitForFunction((n) => document.querySelectorAll('#tb-markers .marker').length === n, markers.length);
  assert.equal(await page.locator('#tb-markers .marker[data-type="alloc_fail"]').count(), fails.length);
  await checkMarkersDrawn(page, id);
  // Ops that fail nothing: no marker more, a longer track, each marker drawn again nearer its start.
  const freed = await apply(id, results.filter((r) => r.ok).slice(0, 40).map((r) => ({ op: 'free_pages', pfn: r.pfn, order: 10 })));
  await page.waitForSelector(`#timebar[data-last-seq="${freed.last_seq}"]`);
  assert.equal((await get(`/sessions/${id}/timeline`)).markers.length, markers.length);
  await checkMarkersDrawn(page, id);
  // (Markers a few seqs apart overlap on the track: the click goes to the button itself.)
  await page.locator(`#tb-markers .marker[data-seq="${fails[0].seq}"]`).dispatchEvent('click');
  await page.waitForSelector(`#timebar[data-mode="past"][data-seq="${fails[0].seq}"]`);
  await waitForView(page, 'overview', fails[0].seq);
  await done();
});
