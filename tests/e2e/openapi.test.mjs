// openapi.test.mjs - docs/openapi.json against the code: every route and method
// of daemon/api.c's route table is documented and nothing else is, every $ref
// resolves, and a live daemon answers every documented GET with a status and
// content type the document lists for it ({id}: the default session, {pfn}: a
// present page, {name}: the first scenario, {pid}: 1), and a JSON body that
// the documented schema of components.schemas accepts (the subset of JSON
// Schema the document uses: type, nullable, enum, minimum, pattern, min/max
// length, properties, required, additionalProperties, items, $ref). Errors
// too: every session route's 404 for a session that does not exist, every
// GET's 400 for an ?at= that is no seq, every route's 405 for a method it
// lacks, each the status asked for and the error object alone with its code
// and words; and the bodies of POST and DELETE answers (a session made, ops
// applied and refused, pinned, forked, stopped) against their schemas.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, getJson, top } from './lib/daemon.mjs';

const doc = JSON.parse(readFileSync(join(top, 'docs', 'openapi.json'), 'utf8'));
const METHODS = ['get', 'post', 'delete', 'put', 'patch', 'head', 'options'];

// The route table of daemon/api.c: [{ pattern, methods: Set }].
function routeTable() {
  const src = readFileSync(join(top, 'daemon', 'api.c'), 'utf8');
  const table = /api_route routes\[\]\s*=\s*\{([\s\S]*?)\n\};/.exec(src);
  assert.ok(table, 'daemon/api.c has a routes[] table');
  const routes = [];
  for (const m of table[1].matchAll(/\{\s*"([^"]+)"\s*,([^}]*)\}/g)) {
    const methods = new Set([...m[2].matchAll(/\.(get|post|delete)\s*=/g)].map((x) => x[1]));
    routes.push({ pattern: m[1], methods });
  }
  return routes;
}

function documented() {
  const ops = new Set();
  for (const [path, item] of Object.entries(doc.paths))
    for (const method of METHODS) if (item[method]) ops.add(`${method.toUpperCase()} ${path}`);
  return ops;
}

test('the document is OpenAPI 3.0 with info, paths and the error object', () => {
  assert.match(doc.openapi, /^3\.0\.\d+$/);
  assert.ok(doc.info.title && doc.info.version);
  const err = doc.components.schemas.Error;
  assert.deepEqual(err.required, ['error']);
  assert.deepEqual(err.properties.error.required, ['code', 'message']);
  for (const status of ['400', '404', '405', '409', '413', '415', '429', '503']) {
    const used = Object.values(doc.paths).some((item) => METHODS.some((m) => item[m]?.responses[status]));
    assert.ok(used, `status ${status} is documented somewhere`);
  }
});

test('every $ref resolves and every operation has responses', () => {
  const resolve = (ref) => ref.replace(/^#\//, '').split('/').reduce((o, k) => o?.[k], doc);
  const walk = (node, where) => {
    if (Array.isArray(node)) { node.forEach((n, i) => walk(n, `${where}[${i}]`)); return; }
    if (!node || typeof node !== 'object') return;
    if (typeof node.$ref === 'string') assert.ok(resolve(node.$ref), `${where}: ${node.$ref} resolves`);
    for (const [k, v] of Object.entries(node)) walk(v, `${where}/${k}`);
  };
  walk(doc, '#');
  for (const [path, item] of Object.entries(doc.paths)) {
    const params = new Set((item.parameters || []).map((p) => (p.$ref ? resolve(p.$ref) : p))
      .filter((p) => p.in === 'path').map((p) => p.name));
    for (const name of path.matchAll(/\{(\w+)\}/g)) assert.ok(params.has(name[1]), `${path} declares {${name[1]}}`);
    for (const m of METHODS) if (item[m]) assert.ok(Object.keys(item[m].responses).length, `${m} ${path} has responses`);
  }
});

test('every route of daemon/api.c is documented, and only those', () => {
  const code = new Set();
  for (const r of routeTable()) for (const m of r.methods) code.add(`${m.toUpperCase()} ${r.pattern}`);
  assert.ok(code.size >= 2, 'the route table parsed');
  const docs = documented();
  assert.deepEqual([...code].filter((x) => !docs.has(x)), [], 'routes missing from docs/openapi.json');
  assert.deepEqual([...docs].filter((x) => !code.has(x)), [], 'documented routes that daemon/api.c does not have');
});

// The ways @value breaks @schema, as "where: what" strings.
function schemaErrors(schema, value, where = '$') {
  if (schema.$ref)
    return schemaErrors(schema.$ref.replace(/^#\//, '').split('/').reduce((o, k) => o[k], doc), value, where);
  if (value === null)
    return schema.nullable || !schema.type ? [] : [`${where}: null`];
  const errors = [];
  const type = Array.isArray(value) ? 'array' : Number.isInteger(value) ? 'integer' : typeof value;
  if (schema.type && schema.type !== type && !(schema.type === 'number' && type === 'integer'))
    return [`${where}: ${type}, not ${schema.type}`];
  if (schema.enum && !schema.enum.includes(value)) errors.push(`${where}: ${value} not in ${schema.enum}`);
  if (schema.minimum !== undefined && value < schema.minimum) errors.push(`${where}: ${value} < ${schema.minimum}`);
  if (schema.maximum !== undefined && value > schema.maximum) errors.push(`${where}: ${value} > ${schema.maximum}`);
  if (schema.pattern && !new RegExp(schema.pattern).test(value)) errors.push(`${where}: ${value} !~ ${schema.pattern}`);
  if (schema.minLength !== undefined && value.length < schema.minLength) errors.push(`${where}: too short`);
  if (schema.maxLength !== undefined && value.length > schema.maxLength) errors.push(`${where}: too long`);
  if (type === 'array' && schema.items)
    value.slice(0, 200).forEach((v, i) => errors.push(...schemaErrors(schema.items, v, `${where}[${i}]`)));
  if (type === 'object') {
    for (const k of schema.required || [])
      if (!(k in value)) errors.push(`${where}: no ${k}`);
    for (const [k, v] of Object.entries(value)) {
      if (schema.properties?.[k])
        errors.push(...schemaErrors(schema.properties[k], v, `${where}.${k}`));
      else if (schema.additionalProperties === false)
        errors.push(`${where}: ${k} is not documented`);
      else if (typeof schema.additionalProperties === 'object')
        errors.push(...schemaErrors(schema.additionalProperties, v, `${where}.${k}`));
    }
  }
  return errors;
}

test('the schema check itself refuses what breaks a schema', () => {
  const page = { $ref: '#/components/schemas/Page' };
  assert.deepEqual(schemaErrors(page, { pfn: 1, node: 0 }), []);
  assert.ok(schemaErrors(page, { node: 0 }).length, 'a required field missing');
  assert.ok(schemaErrors(page, { pfn: -1 }).length, 'below the minimum');
  assert.ok(schemaErrors(page, { pfn: 'one' }).length, 'the wrong type');
  assert.ok(schemaErrors({ $ref: '#/components/schemas/Error' }, { error: { code: 1, message: 'x' } }).length);
});

let d;
before(async () => { d = await startDaemon(); });
after(async () => { await d?.stop(); });

// GET @url and give back { status, type } without waiting for an endless body.
async function probe(url) {
  const ctl = new AbortController();
  const res = await fetch(url, { signal: ctl.signal });
  const type = res.headers.get('content-type') || '';
  const body = type.startsWith('text/event-stream') ? null : await res.text();
  ctl.abort();
  return { status: res.status, type, body };
}

test('a live daemon answers every documented GET as documented', async () => {
  const sessions = (await getJson(`${d.url}/api/v1/sessions`)).body.sessions;
  const live = sessions.find((s) => s.name === 'default' && s.state === 'live');
  assert.ok(live, 'the default session is live');
  const zones = (await getJson(`${d.url}/api/v1/sessions/${live.id}/zones`)).body.zones;
  const pfn = zones.find((z) => z.present > 0).start_pfn;
  const scenarios = (await getJson(`${d.url}/api/v1/scenarios`)).body.scenarios || [];
  const name = scenarios.length ? scenarios[0].name : 'none';
  let probed = 0, validated = 0;
  for (const [path, item] of Object.entries(doc.paths)) {
    if (!item.get) continue;
    const url = d.url + path.replace('{id}', live.id).replace('{pfn}', pfn).replace('{name}', name).replace('{pid}', 1);
    const r = await probe(url);
    const listed = item.get.responses[String(r.status)];
    assert.ok(listed, `GET ${path} answered ${r.status}, which the document does not list`);
    const content = listed.$ref
      ? doc.components.responses[listed.$ref.split('/').pop()].content : listed.content;
    if (content) {
      const types = Object.keys(content);
      assert.ok(types.some((t) => r.type.startsWith(t)), `GET ${path}: ${r.type} is not one of ${types}`);
    }
    if (r.status >= 400) assert.ok(JSON.parse(r.body).error.code, `GET ${path}: an error object`);
    const schema = content?.['application/json']?.schema;
    if (schema && r.type.startsWith('application/json')) {
      const errors = schemaErrors(schema, JSON.parse(r.body));
      assert.deepEqual(errors.slice(0, 5), [], `GET ${path} (${r.status}): the body is not as documented`);
      validated++;
    }
    probed++;
  }
  assert.ok(probed >= 10);
  assert.ok(validated >= 10, `${validated} bodies checked against their schemas`);
});

test('documented errors come as documented: 404, 405 and 400 with the error object', async () => {
  const checks = [
    ['/api/v1/sessions/999999', 'GET', 404],
    ['/api/v1/health', 'DELETE', 405],
    ['/api/v1/sessions/1/events?limit=10001', 'GET', 400],
    ['/api/v1/sessions/1/zones?at=x', 'GET', 400],
  ];
  for (const [path, method, status] of checks) {
    const r = await getJson(d.url + path, { method });
    assert.equal(r.status, status, `${method} ${path}`);
    const item = doc.paths[path.split('?')[0].replace(/\/sessions\/\d+/, '/sessions/{id}')];
    // A method the route lacks has no operation of its own: its 405 is listed on the others.
    const op = item[method.toLowerCase()] || item.get;
    assert.ok(op.responses[String(status)], `${path} documents ${status}`);
    assert.equal(typeof r.body.error.message, 'string');
    assert.deepEqual(schemaErrors({ $ref: '#/components/schemas/Error' }, r.body), [], `${method} ${path}`);
  }
});

// The documented answer of @method @path for @status: its content, with the
// responses' $refs followed; fails when the document does not list it.
function documentedAnswer(method, path, status) {
  const op = doc.paths[path][method.toLowerCase()];
  const listed = op?.responses[String(status)];
  assert.ok(listed, `${method} ${path} answered ${status}, which the document does not list`);
  return listed.$ref ? doc.components.responses[listed.$ref.split('/').pop()] : listed;
}

// An answer @r ({ status, body, headers? }) of @method @path held to the
// document: a listed status, and a body its schema accepts; an error status
// has the error object, with the @code given.
function checkAnswer(method, path, r, code) {
  const schema = documentedAnswer(method, path, r.status).content?.['application/json']?.schema;
  assert.ok(schema, `${method} ${path} ${r.status}: a JSON body is documented`);
  assert.deepEqual(schemaErrors(schema, r.body).slice(0, 5), [], `${method} ${path} (${r.status}): the body is not as documented`);
  if (r.status >= 400) {
    assert.deepEqual(Object.keys(r.body), ['error'], `${method} ${path}: the error object alone`);
    assert.match(r.body.error.message, /\S/, `${method} ${path}: words in the message`);
    if (code)
      assert.equal(r.body.error.code, code, `${method} ${path}`);
  }
}

const resolveParam = (p) => (p.$ref ? doc.components.parameters[p.$ref.split('/').pop()] : p);
const params = (path, method) => [...(doc.paths[path].parameters || []), ...(doc.paths[path][method].parameters || [])]
  .map(resolveParam);

// A value of each required query parameter of the document.
const REQUIRED_QUERY = { zone: 'DMA32', vaddr: '0xffff888000100000' };

test('each documented 404 of a session\'s routes: a session that does not exist, the error object', async () => {
  let n = 0;
  for (const [path, item] of Object.entries(doc.paths)) {
    if (!path.includes('{id}'))
      continue;
    for (const method of ['get', 'post', 'delete']) {
      if (!item[method]?.responses['404'])
        continue;
      // the required query parameters, so that only the session is wrong
      const query = params(path, method).filter((p) => p.in === 'query' && p.required)
        .map((p) => `${p.name}=${REQUIRED_QUERY[p.name]}`).join('&');
      const url = d.url + path.replace('{id}', 999999).replace('{pfn}', 4096).replace('{name}', 'zones')
        .replace('{pid}', 1).replace('{file}', 'memory.current') + (query ? `?${query}` : '');
      const init = { method: method.toUpperCase() };
      if (item[method].requestBody) {
        init.headers = { 'content-type': 'application/json' };
        init.body = path.endsWith('/ops') ? '{"op":"check"}' : '{}';
      }
      const r = await getJson(url, init);
      assert.equal(r.status, 404, `${method.toUpperCase()} ${path}: ${JSON.stringify(r.body)}`);
      checkAnswer(method.toUpperCase(), path, r, 'ENOENT');
      assert.match(r.body.error.message, /999999/, `${method.toUpperCase()} ${path}: the message names the session`);
      n++;
    }
  }
  assert.ok(n >= 40, `${n} routes asked`);
});

test('each documented 400 of a GET that takes ?at=: a seq that is not one, the error object naming it', async () => {
  const live = (await getJson(`${d.url}/api/v1/sessions`)).body.sessions.find((s) => s.name === 'default');
  let n = 0;
  for (const [path, item] of Object.entries(doc.paths)) {
    if (!item.get?.responses['400'] || !params(path, 'get').some((p) => p.name === 'at' && p.in === 'query'))
      continue;
    const url = d.url + path.replace('{id}', live.id).replace('{pfn}', 4096).replace('{pid}', 1);
    // (a route for another kind of session, a trace's, refuses the default session whatever its ?at=)
    if ((await probe(url)).status !== 200)
      continue;
    const r = await getJson(`${url}${url.includes('?') ? '&' : '?'}at=yesterday`);
    assert.equal(r.status, 400, `GET ${path}?at=yesterday: ${JSON.stringify(r.body)}`);
    checkAnswer('GET', path, r, 'EINVAL');
    assert.match(r.body.error.message, /\bat\b/, `GET ${path}: the message names the parameter`);
    n++;
  }
  assert.ok(n >= 20, `${n} routes asked`);
});

test('each route answers a method it does not have with its documented 405 and the error object', async () => {
  const live = (await getJson(`${d.url}/api/v1/sessions`)).body.sessions.find((s) => s.name === 'default');
  let n = 0;
  for (const [path, item] of Object.entries(doc.paths)) {
    if (path === '/metrics')
      continue;
    const has = ['get', 'post', 'delete'].filter((m) => item[m]);
    const missing = ['get', 'post', 'delete'].find((m) => !item[m]);
    if (!missing || !has.every((m) => item[m].responses['405']))
      continue;
    const url = d.url + path.replace('{id}', live.id).replace('{pfn}', 4096).replace('{name}', 'zones')
      .replace('{pid}', 1).replace('{file}', 'memory.current');
    const r = await getJson(url, { method: missing.toUpperCase() });
    assert.equal(r.status, 405, `${missing.toUpperCase()} ${path}`);
    // A method the route lacks has no operation of its own: its 405 is listed on the others.
    checkAnswer(has[0].toUpperCase(), path, r, 'EMETHOD');
    n++;
  }
  assert.ok(n >= 40, `${n} routes asked`);
});

test('POST and DELETE bodies as documented: a session made, ops applied, pinned, forked, refused, stopped', async () => {
  const post = (path, body, type = 'application/json') => getJson(d.url + path, {
    method: 'POST', headers: { 'content-type': type }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const made = await post('/api/v1/sessions', { name: 'openapi', machine: { mem_mib: 64 } });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  checkAnswer('POST', '/api/v1/sessions', made);
  const id = made.body.id;
  const ops = await post(`/api/v1/sessions/${id}/ops`, [{ op: 'alloc_pages', order: 1 }, { op: 'free_pages', pfn: 0, order: 9 }]);
  assert.equal(ops.status, 200);
  checkAnswer('POST', '/api/v1/sessions/{id}/ops', ops);
  assert.equal(ops.body.results[1].ok, false, 'a refused op is a result, not an error');
  for (const [body, type, status] of [['[{"op":', 'application/json', 400], ['{"op":"check"}', 'text/plain', 415],
                                      [{ op: 'no_such_op' }, 'application/json', 400]]) {
    const r = await post(`/api/v1/sessions/${id}/ops`, body, type);
    if (r.status === 200) {
      // an unknown op is refused in its result
      assert.equal(r.body.results[0].errno, 'EINVAL');
      continue;
    }
    assert.equal(r.status, status, `${type} ${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
    checkAnswer('POST', '/api/v1/sessions/{id}/ops', r, status === 415 ? undefined : 'EINVAL');
  }
  const pin = await post(`/api/v1/sessions/${id}/pin`, '');
  assert.equal(pin.status, 200, JSON.stringify(pin.body));
  checkAnswer('POST', '/api/v1/sessions/{id}/pin', pin);
  const unpin = await getJson(`${d.url}/api/v1/sessions/${id}/pin`, { method: 'DELETE' });
  assert.equal(unpin.status, 200);
  checkAnswer('DELETE', '/api/v1/sessions/{id}/pin', unpin);
  const fork = await post(`/api/v1/sessions/${id}/fork`, { at: ops.body.first_seq, name: 'openapi-fork' });
  assert.equal(fork.status, 201, JSON.stringify(fork.body));
  checkAnswer('POST', '/api/v1/sessions/{id}/fork', fork);
  const badFork = await post(`/api/v1/sessions/${id}/fork`, { at: 1e12 });
  assert.equal(badFork.status, 400, JSON.stringify(badFork.body));
  checkAnswer('POST', '/api/v1/sessions/{id}/fork', badFork);
  for (const s of [fork.body.id, id]) {
    const del = await getJson(`${d.url}/api/v1/sessions/${s}`, { method: 'DELETE' });
    assert.equal(del.status, 200, JSON.stringify(del.body));
    checkAnswer('DELETE', '/api/v1/sessions/{id}', del);
  }
});
