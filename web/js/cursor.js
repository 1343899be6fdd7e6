// cursor.js - the dashboard's one current seq: which moment of the chosen
// session every view shows (null: the present, following a live machine),
// the session's timeline of ops and markers to move over, and the player
// that moves the cursor by events or by ops at a chosen speed.

const TIMELINE_GAP_MS = 2000;	// a live session's ops list is fetched at most this often

// The op whose events hold @seq; op 0 is the session's boot.
export function opAt(timeline, seq) {
  if (!timeline || seq <= timeline.boot_last_seq)
    return { op_no: 0, op: 'boot', first_seq: timeline ? timeline.first_seq : 0,
             last_seq: timeline ? timeline.boot_last_seq : 0 };
  const ops = timeline.ops;
  let lo = 0, hi = ops.length - 1, found = null;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (ops[mid].first_seq === undefined || ops[mid].first_seq <= seq) {
      found = ops[mid].first_seq === undefined ? found : ops[mid];
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

// The seqs just after each op: where "step by op" stops.
function opEnds(timeline) {
  const ends = [timeline.boot_last_seq];
  for (const o of timeline.ops)
    if (o.last_seq !== undefined && o.last_seq !== null)
      ends.push(o.last_seq);
  return ends;
}

export function createCursor(onChange) {
  let s = null;			// sessionApi() of the chosen session
  let timeline = null;		// its GET .../timeline
  let live = false;		// is the session a live machine?
  let lastSeq = 0;		// the newest seq known
  let seq = null;		// the seq shown; null follows the newest
  let player = null;		// { unit, rate, timer } while playing
  let fetchedAt = 0, pending = null;

  const state = () => ({
    session: s, timeline, live, lastSeq, firstSeq: timeline ? timeline.first_seq : 0,
    seq: seq ?? lastSeq, following: seq === null, playing: player !== null,
    op: opAt(timeline, seq ?? lastSeq),
  });
  const changed = (moved) => onChange(state(), moved);

  async function loadTimeline() {
    const which = s;
    fetchedAt = Date.now();
    const t = await which.timeline();
    if (which !== s)
      return;
    timeline = t;
    lastSeq = Math.max(lastSeq, t.last_seq);
    changed(false);
  }

  // Another session: its timeline, shown from the present.
  async function choose(session, isLive) {
    pause();
    s = session;
    live = isLive;
    timeline = null;
    seq = null;
    lastSeq = 0;
    await loadTimeline();
  }

  // The live machine reached @newSeq: the slider grows, and the list of
  // ops follows, at most every TIMELINE_GAP_MS.
  function grow(newSeq) {
    lastSeq = Math.max(lastSeq, newSeq);
    changed(false);
    if (pending || !timeline || timeline.last_seq >= lastSeq)
      return;
    const wait = Math.max(0, fetchedAt + TIMELINE_GAP_MS - Date.now());
    pending = setTimeout(() => {
      pending = null;
      loadTimeline().catch(() => {});
    }, wait);
  }

  function seek(to) {
    const first = timeline ? timeline.first_seq : 0;
    seq = Math.min(Math.max(Math.round(to), first), lastSeq);
    changed(true);
  }

  // Follow the present again.
  function goLive() {
    pause();
    seq = null;
    changed(true);
  }

  // @delta events on; false when already at that end.
  function stepEvent(delta) {
    const from = seq ?? lastSeq;
    seek(from + delta);
    return seq !== from;
  }

  // To the end of the next op (delta 1) or of the one before (delta -1).
  function stepOp(delta) {
    const at = seq ?? lastSeq, ends = timeline ? opEnds(timeline) : [];
    const to = delta > 0 ? ends.find((e) => e > at) : ends.findLast((e) => e < at);
    if (to !== undefined)
      seek(to);
    return to !== undefined;
  }

  // The state just after op @n (0: the boot).
  function jumpOp(n) {
    const o = n === 0 ? opAt(timeline, 0) : timeline?.ops.find((x) => x.op_no === n);
    if (!o || o.last_seq === undefined || o.last_seq === null)
      return false;
    seek(o.last_seq);
    return true;
  }

  function tick() {
    if (!(player.unit === 'ops' ? stepOp(1) : stepEvent(1)))
      pause();
  }

  // Move forward @rate events (or ops) a second until paused or at the end.
  function play(unit, rate) {
    pause();
    if (seq === null || seq >= lastSeq)
      seek(timeline ? timeline.first_seq : 0);
    player = { unit, rate, timer: setInterval(tick, 1000 / rate) };
    changed(false);
  }

  function pause() {
    if (!player)
      return;
    clearInterval(player.timer);
    player = null;
    changed(false);
  }

  return { choose, grow, seek, goLive, stepEvent, stepOp, jumpOp, play, pause, state,
           reload: loadTimeline };
}
