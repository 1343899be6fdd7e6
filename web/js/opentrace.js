// opentrace.js - "Open a trace": a real kernel's trace (the text of
// /sys/kernel/tracing/trace, trace_pipe, trace-cmd report, perf script) or a
// tools/mmlab-capture bundle, uploaded with a progress bar to
// POST /api/v1/sessions/import-trace, which reads it as it arrives; the new
// trace session is then chosen.
export function createOpenTrace(onOpened) {
  const form = document.getElementById('open-trace');
  const progress = document.getElementById('open-trace-progress');
  const error = document.getElementById('open-trace-error');
  const details = form.closest('details');

  function upload(file, query) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', `/api/v1/sessions/import-trace?${query}`);
      xhr.setRequestHeader('Content-Type', file.name.endsWith('.tar') ? 'application/x-tar' : 'text/plain');
      xhr.upload.addEventListener('progress', (ev) => {
        if (ev.lengthComputable)
          progress.value = ev.loaded / ev.total;
      });
      xhr.addEventListener('load', () => {
        let body = null;
        try { body = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
        if (xhr.status === 201)
          resolve(body);
        else
          reject(new Error(body?.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${xhr.status}`));
      });
      xhr.addEventListener('error', () => reject(new Error('the upload failed')));
      xhr.send(file);
    });
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const file = form.elements.file.files[0];
    error.textContent = '';
    if (!file) {
      error.textContent = 'choose a trace file first';
      return;
    }
    const q = new URLSearchParams({ name: form.elements.name.value.trim() || file.name.replace(/\.[a-z]+$/, '') });
    if (form.elements.lenient.checked)
      q.set('lenient', '1');
    progress.hidden = false;
    progress.value = 0;
    form.elements.open.disabled = true;
    try {
      const created = await upload(file, q);
      progress.value = 1;
      details.open = false;
      form.reset();
      await onOpened(created.id);
    } catch (e) {
      error.textContent = e.message;
    } finally {
      form.elements.open.disabled = false;
      progress.hidden = true;
    }
  });
}
