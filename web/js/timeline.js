// timeline.js - the timeline view: jump to an op, fork a new live session
// from the current seq ("what if I had done something else here?"), the
// markers of the session, and the event log around the current seq.
import { createEventLog } from './eventlog.js';

export function createTimeline(cursor, onFork) {
  const jumpForm = document.getElementById('timeline-jump');
  const forkForm = document.getElementById('timeline-fork');
  const forkError = document.getElementById('timeline-fork-error');
  const opsNote = document.getElementById('timeline-ops');
  const log = createEventLog((seq) => cursor.seek(seq));
  const seq = () => cursor.state().seq;
  let last = null;		// { s, fresh } of the last refresh, for the filters

  function describeOps(st) {
    const t = st.timeline;
    if (!t)
      return '';
    const op = st.op;
    return `${t.ops.length} op(s) after the boot (events 1\u2013${t.boot_last_seq}); ` +
      `seq ${st.seq} belongs to ${op.op_no ? `op ${op.op_no}, ${op.op}` : 'the boot'}, ` +
      `events ${op.first_seq}\u2013${op.last_seq}; ${t.markers.length} marker(s).`;
  }

  async function refresh(s, fresh) {
    last = { s, fresh };
    const st = cursor.state();
    opsNote.textContent = describeOps(st);
    jumpForm.elements.op.max = String(st.timeline ? st.timeline.ops.length : 0);
    await log.refresh(s, st.seq, fresh);
  }

  function jump(ev) {
    ev.preventDefault();
    const n = Number(jumpForm.elements.op.value);
    jumpForm.elements.op.setCustomValidity(Number.isInteger(n) && cursor.jumpOp(n) ? '' : `no op ${n} with events`);
    jumpForm.reportValidity();
  }

  async function fork(ev) {
    ev.preventDefault();
    forkError.textContent = '';
    const st = cursor.state();
    const name = forkForm.elements.name.value.trim() || undefined;
    try {
      const created = await st.session.fork(st.seq, name);
      forkForm.reset();
      await onFork(created.id);
    } catch (e) {
      forkError.textContent = e.message;
    }
  }

  function refilter(ev) {
    ev.preventDefault();
    log.readFilter();
    if (last)
      refresh(last.s, last.fresh).catch((e) => { forkError.textContent = e.message; });
  }

  jumpForm.addEventListener('submit', jump);
  jumpForm.elements.op.addEventListener('input', () => jumpForm.elements.op.setCustomValidity(''));
  forkForm.addEventListener('submit', fork);
  log.form.addEventListener('submit', refilter);
  log.form.elements.type.addEventListener('change', refilter);
  document.getElementById('eventlog-older').addEventListener('click', () => log.older(seq()));
  document.getElementById('eventlog-newer').addEventListener('click', () => log.newer(seq()));
  return { refresh, reset: () => { last = null; } };
}
