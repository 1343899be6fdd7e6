// timebar.js - the timeline bar under the header, on every view: where the
// views stand (the present of a live machine, or a past seq of it), a slider
// over the session's seqs with its markers, step, play and pause, and "live".
import { el } from './format.js';

const SPEEDS = [['events', 1], ['events', 5], ['events', 10], ['events', 25],
                ['ops', 1], ['ops', 2], ['ops', 5]];
const DEFAULT_SPEED = 'events:5';

function opText(op) {
  if (!op)
    return 'no op';
  return op.op_no === 0 ? 'op 0: boot' : `op ${op.op_no}: ${op.op}`;
}

// "at seq N of M (op K: alloc_pages)", the sentence that says past or present.
export function whereText(st) {
  const op = st.timeline?.state === 'trace' ? 'a real kernel\u2019s trace' : opText(st.op);
  if (!st.following)
    return `at seq ${st.seq} of ${st.lastSeq} (${op}): the past; "live" returns to the present`;
  return st.live ? `live: seq ${st.lastSeq} (${op})` : `stored session: seq ${st.lastSeq} (${op}), its end`;
}

function markerButton(m, first, last, seek) {
  const left = last > first ? (100 * (m.seq - first)) / (last - first) : 0;
  const b = el('button', { type: 'button', className: 'marker', title: `seq ${m.seq}: ${m.type}` +
                           (m.detail ? ` (${m.detail})` : ''), dataset: { type: m.type, seq: String(m.seq) },
                           style: `left:${left}%`, 'aria-label': `${m.type} at seq ${m.seq}` });
  b.addEventListener('click', () => seek(m.seq));
  return b;
}

export function createTimebar(cursor) {
  const bar = document.getElementById('timebar');
  const slider = document.getElementById('tb-slider');
  const markers = document.getElementById('tb-markers');
  const where = document.getElementById('tb-where');
  const play = document.getElementById('tb-play');
  const speed = document.getElementById('tb-speed');
  const liveButton = document.getElementById('tb-live');
  let drawn = '';		// the markers on the track, by session, range and count

  speed.replaceChildren(...SPEEDS.map(([unit, rate]) => new Option(`${rate} ${unit}/s`, `${unit}:${rate}`)));
  speed.value = DEFAULT_SPEED;

  function drawMarkers(st) {
    const list = st.timeline ? st.timeline.markers : [];
    const key = `${st.session?.id}:${st.firstSeq}:${st.lastSeq}:${list.length}`;
    if (key === drawn)
      return;
    drawn = key;
    markers.replaceChildren(...list.map((m) => markerButton(m, st.firstSeq, st.lastSeq, cursor.seek)));
  }

  function render(st) {
    slider.min = String(st.firstSeq);
    slider.max = String(st.lastSeq);
    if (document.activeElement !== slider || st.playing)
      slider.value = String(st.seq);
    where.textContent = whereText(st);
    bar.dataset.mode = st.following ? (st.live ? 'live' : 'end') : 'past';
    bar.dataset.seq = String(st.seq);
    bar.dataset.lastSeq = String(st.lastSeq);
    bar.dataset.op = String(st.op ? st.op.op_no : '');
    play.textContent = st.playing ? '\u23f8 pause' : '\u25b6 play';
    play.dataset.playing = String(st.playing);
    liveButton.textContent = st.live ? 'live' : 'end';
    liveButton.disabled = st.following;
    drawMarkers(st);
  }

  function togglePlay() {
    if (cursor.state().playing) {
      cursor.pause();
      return;
    }
    const [unit, rate] = speed.value.split(':');
    cursor.play(unit, Number(rate));
  }

  slider.addEventListener('input', () => cursor.seek(Number(slider.value)));
  play.addEventListener('click', togglePlay);
  speed.addEventListener('change', () => { if (cursor.state().playing) { cursor.pause(); togglePlay(); } });
  document.getElementById('tb-back').addEventListener('click', () => cursor.stepEvent(-1));
  document.getElementById('tb-forward').addEventListener('click', () => cursor.stepEvent(1));
  document.getElementById('tb-op-back').addEventListener('click', () => cursor.stepOp(-1));
  document.getElementById('tb-op-forward').addEventListener('click', () => cursor.stepOp(1));
  liveButton.addEventListener('click', cursor.goLive);
  return { render };
}
