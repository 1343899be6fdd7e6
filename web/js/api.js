// api.js - every request the dashboard makes goes through here.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// GET or POST a JSON resource of the daemon; errors become ApiError.
export async function api(path, { method = 'GET', body } = {}) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(`/api/v1${path}`, init);
  const type = res.headers.get('Content-Type') || '';
  const data = type.startsWith('application/json') ? await res.json() : await res.text();
  if (!res.ok) {
    const err = data && data.error ? data.error : { code: 'EIO', message: String(data) };
    throw new ApiError(res.status, err.code, err.message);
  }
  return data;
}
