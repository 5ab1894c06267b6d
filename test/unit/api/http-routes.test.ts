import http from 'node:http';
import pino from 'pino';
import { Writable } from 'node:stream';
import { matchRoute, startHttpServer } from '../../../api/http';
import { OperationError, type SyncOperations } from '../../../api/types';
import { createSyncClient, kindOfStatus } from '../../../client/sync-client';

/** The HTTP API's routing, body and error handling over a stub of the operations, and the client against it. */

type Call = { op: string; args: unknown[] };

function stubOperations(calls: Call[], fail?: () => unknown): SyncOperations {
  const ops = [
    'enable',
    'configure',
    'get',
    'list',
    'pause',
    'resume',
    'disable',
    'syncNow',
    'history',
    'run',
    'failures',
    'reprocess',
    'fetchRecord',
    'searchCrm',
    'importRecord',
    'booksFromCrm',
    'audit',
    'webhook',
  ];
  return Object.fromEntries(
    ops.map((op) => [
      op,
      async (...args: unknown[]) => {
        calls.push({ op, args });
        const err = fail?.();
        if (err) throw err;
        return { op };
      },
    ]),
  ) as unknown as SyncOperations;
}

describe('HTTP API routing (stub operations)', () => {
  const calls: Call[] = [];
  let failWith: unknown;
  const lines: Record<string, unknown>[] = [];
  let server: { url: string; close(): Promise<void> };
  const logger = pino(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    }),
  );

  beforeAll(async () => {
    server = await startHttpServer({
      operations: stubOperations(calls, () => failWith),
      port: 0,
      host: '127.0.0.1',
      logger,
      maxBodyBytes: 1000,
    });
  });
  afterAll(() => server.close());
  beforeEach(() => {
    calls.length = 0;
    failWith = undefined;
  });

  const req = (method: string, path: string, body?: string, type = 'application/json') =>
    fetch(`${server.url}${path}`, {
      method,
      ...(body !== undefined && { body, headers: { 'content-type': type } }),
    });
  const errorOf = async (res: Response) =>
    ((await res.json()) as { error: { kind: string; message: string; issues: string[] } }).error;

  const I = '/integrations/crm-1/books-1/production';
  const ref = { crmOrgId: 'crm-1', booksOrgId: 'books-1', environment: 'production' };

  it.each([
    ['GET', '/health', undefined, 200, null, []],
    ['POST', '/integrations', '{"a":1}', 201, 'enable', [{ a: 1 }]],
    ['GET', '/integrations?crmOrgId=crm-1', undefined, 200, 'list', ['crm-1']],
    ['GET', I, undefined, 200, 'get', [ref]],
    ['PUT', `${I}/config`, '{"config":{}}', 200, 'configure', [ref, { config: {} }]],
    ['POST', `${I}/pause`, undefined, 200, 'pause', [ref, undefined]],
    ['POST', `${I}/resume`, '{"actor":{"id":"u"}}', 200, 'resume', [ref, { actor: { id: 'u' } }]],
    ['POST', `${I}/disable`, '', 200, 'disable', [ref, undefined]],
    ['POST', `${I}/sync`, '{}', 202, 'syncNow', [ref, {}]],
    ['GET', `${I}/runs?limit=5&before=9`, undefined, 200, 'history', [ref, { limit: '5', before: '9' }]],
    ['GET', `${I}/runs/7`, undefined, 200, 'run', [ref, 7]],
    ['GET', `${I}/failures?status=open`, undefined, 200, 'failures', [ref, { status: 'open' }]],
    ['POST', `${I}/failures/reprocess`, '{"all":true}', 200, 'reprocess', [ref, { all: true }]],
    ['POST', `${I}/fetch`, '{"crmId":"1"}', 200, 'fetchRecord', [ref, { crmId: '1' }]],
    ['GET', `${I}/crm-search?q=Ac%20me`, undefined, 200, 'searchCrm', [ref, { q: 'Ac me' }]],
    ['POST', `${I}/import`, '{"crmId":"1"}', 200, 'importRecord', [ref, { crmId: '1' }]],
    ['GET', `${I}/books-contacts?limit=3`, undefined, 200, 'booksFromCrm', [ref, { limit: '3' }]],
    ['GET', `${I}/audit?action=x`, undefined, 200, 'audit', [ref, { action: 'x' }]],
    ['GET', '/audit', undefined, 200, 'audit', [null, {}]],
    ['POST', '/webhooks/crm/crm-1', '{"token":"t"}', 202, 'webhook', ['crm-1', { token: 't' }]],
  ] as const)('%s %s', async (method, path, body, status, op, args) => {
    const res = await req(method, path, body);
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    if (op === null) {
      expect(await res.json()).toEqual({ ok: true });
      expect(calls).toEqual([]);
    } else {
      expect(await res.json()).toEqual({ op });
      expect(calls).toEqual([{ op, args }]);
    }
  });

  it('passes URL-decoded path segments to the operations, which validate them', async () => {
    await req('GET', '/integrations/%7B%22%24ne%22%3Anull%7D/b%2Fc/sandbox');
    expect(calls[0]!.args[0]).toEqual({
      crmOrgId: '{"$ne":null}',
      booksOrgId: 'b/c',
      environment: 'sandbox',
    });
  });

  it('maps OperationError kinds to statuses with the kind, message and issues', async () => {
    for (const [kind, status] of [
      ['invalid', 400],
      ['unauthorized', 401],
      ['forbidden', 403],
      ['not_found', 404],
      ['conflict', 409],
      ['unavailable', 503],
    ] as const) {
      failWith = new OperationError(kind, `it is ${kind}`, ['a: b']);
      const res = await req('GET', I);
      expect(res.status).toBe(status);
      expect(await errorOf(res)).toEqual({ kind, message: `it is ${kind}`, issues: ['a: b'] });
    }
  });

  it('answers any other error with a generic 500 and logs the real one', async () => {
    failWith = new Error('secret database detail');
    lines.length = 0;
    const res = await req('GET', I);
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toMatch(/secret|at /);
    expect(JSON.parse(text)).toEqual({
      error: { kind: 'internal', message: 'internal error; see the service log', issues: [] },
    });
    expect(
      lines.some((l) => (l.err as { message?: string } | undefined)?.message === 'secret database detail'),
    ).toBe(true);
  });

  it.each([
    ['malformed JSON', 'POST', '/integrations', '{"a":', 'application/json', 400, /^malformed JSON: /],
    ['a JSON array', 'POST', '/integrations', '[1]', 'application/json', 400, /JSON object, not an array/],
    ['JSON null', 'POST', `${I}/pause`, 'null', 'application/json', 400, /JSON object, not null/],
    ['a JSON string', 'POST', '/webhooks/crm/x', '"x"', 'application/json', 400, /JSON object, not a string/],
    ['no body where one is required', 'POST', `${I}/fetch`, undefined, '', 400, /body is required/],
    ['a text body', 'POST', '/integrations', '{}', 'text/plain', 415, /application\/json/],
    ['a form body', 'POST', `${I}/sync`, 'a=1', 'application/x-www-form-urlencoded', 415, /json/],
    [
      'a body over the limit',
      'POST',
      '/integrations',
      `{"a":"${'x'.repeat(2000)}"}`,
      'application/json',
      413,
      /larger/,
    ],
    ['an unknown route', 'GET', '/nope', undefined, '', 404, /no route GET \/nope/],
    ['an unknown integration sub-route', 'GET', `${I}/nope`, undefined, '', 404, /no route/],
    [
      'duplicate query keys',
      'GET',
      `${I}/runs?limit=1&limit=2`,
      undefined,
      '',
      400,
      /duplicate query parameter "limit"/,
    ],
    ['an unknown query key', 'GET', `${I}?x=1`, undefined, '', 400, /unknown query parameter "x"/],
    ['a list without its org', 'GET', '/integrations', undefined, '', 400, /crmOrgId is required/],
    ['a run number that is not one', 'GET', `${I}/runs/1e3`, undefined, '', 400, /run number/],
    [
      'bad percent-encoding',
      'GET',
      '/integrations/%E0%A4%A/b/production',
      undefined,
      '',
      400,
      /percent-encoding/,
    ],
  ] as const)('refuses %s', async (_what, method, path, body, type, status, message) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      ...(body !== undefined && { body, headers: type ? { 'content-type': type } : {} }),
    });
    expect(res.status).toBe(status);
    const error = await errorOf(res);
    expect(error.message).toMatch(message);
    expect(error.kind).toBe(status === 404 ? 'not_found' : 'invalid');
    expect(calls).toEqual([]);
  });

  it('answers a known path with the wrong method 405 and an Allow header', async () => {
    const res = await req('DELETE', '/integrations');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST, GET');
    const pause = await req('GET', `${I}/pause`);
    expect(pause.status).toBe(405);
    expect(pause.headers.get('allow')).toBe('POST');
    expect((await errorOf(pause)).message).toMatch(/GET is not allowed/);
    expect(calls).toEqual([]);
  });

  it('refuses a declared Content-Length over the limit without reading the body', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const r = http.request(
        `${server.url}/integrations`,
        { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '5000000' } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      r.on('error', reject);
      r.write('{"a":');
    });
    expect(status).toBe(413);
  });

  it('logs one line per request without the query or the body', async () => {
    lines.length = 0;
    await req('POST', '/webhooks/crm/crm-1?x=secret-q', '{"token":"the-secret-token"}');
    await req('GET', '/health?probe=1');
    await new Promise((r) => setTimeout(r, 20));
    const logged = JSON.stringify(lines);
    expect(logged).not.toMatch(/the-secret-token|secret-q/);
    expect(lines).toEqual([
      expect.objectContaining({
        method: 'POST',
        path: '/webhooks/crm/crm-1',
        status: 400,
        ms: expect.any(Number),
      }),
      expect.objectContaining({ method: 'GET', path: '/health', status: 400 }),
    ]);
  });

  it('matchRoute finds routes, parameters and allowed methods', () => {
    expect(matchRoute('GET', '/integrations/a/b/sandbox/runs/3')).toMatchObject({
      params: { crmOrgId: 'a', booksOrgId: 'b', environment: 'sandbox', runNumber: '3' },
    });
    expect(matchRoute('PATCH', '/integrations/a/b/c/config')).toEqual({ route: null, allowed: ['PUT'] });
    expect(matchRoute('GET', '/integrations/a/b')).toEqual({ route: null, allowed: null });
    expect(matchRoute('GET', 'health')).toEqual({ route: null, allowed: null });
  });

  describe('the client', () => {
    it('calls every route with the same arguments the operations get', async () => {
      const client = createSyncClient(`${server.url}/`);
      await client.enable({ crmOrgId: 'a', booksOrgId: 'b', config: {} as never });
      await client.list('crm 1');
      await client.get(ref as never);
      await client.configure(ref as never, { config: {} as never });
      await client.pause(ref as never);
      await client.resume(ref as never, { actor: { id: 'me' } });
      await client.disable(ref as never);
      await client.syncNow({ crmOrgId: 'a/b', booksOrgId: 'c' });
      await client.history(ref as never, { limit: 5 });
      await client.run(ref as never, 4);
      await client.failures(ref as never, { status: 'open', module: undefined });
      await client.reprocess(ref as never, { all: true });
      await client.fetchRecord(ref as never, { module: 'customers', crmId: '1' });
      await client.searchCrm(ref as never, { q: 'a&b=c' });
      await client.importRecord(ref as never, { crmModule: 'Accounts', crmId: '1' });
      await client.booksFromCrm(ref as never);
      await client.audit(null, { from: '2024-01-01T00:00:00Z' });
      await client.audit(ref as never);
      await client.webhook('crm-1', { token: 't' });
      expect(calls).toEqual([
        { op: 'enable', args: [{ crmOrgId: 'a', booksOrgId: 'b', config: {} }] },
        { op: 'list', args: ['crm 1'] },
        { op: 'get', args: [ref] },
        { op: 'configure', args: [ref, { config: {} }] },
        { op: 'pause', args: [ref, {}] },
        { op: 'resume', args: [ref, { actor: { id: 'me' } }] },
        { op: 'disable', args: [ref, {}] },
        { op: 'syncNow', args: [{ crmOrgId: 'a/b', booksOrgId: 'c', environment: 'production' }, {}] },
        { op: 'history', args: [ref, { limit: '5' }] },
        { op: 'run', args: [ref, 4] },
        { op: 'failures', args: [ref, { status: 'open' }] },
        { op: 'reprocess', args: [ref, { all: true }] },
        { op: 'fetchRecord', args: [ref, { module: 'customers', crmId: '1' }] },
        { op: 'searchCrm', args: [ref, { q: 'a&b=c' }] },
        { op: 'importRecord', args: [ref, { crmModule: 'Accounts', crmId: '1' }] },
        { op: 'booksFromCrm', args: [ref, {}] },
        { op: 'audit', args: [null, { from: '2024-01-01T00:00:00Z' }] },
        { op: 'audit', args: [ref, {}] },
        { op: 'webhook', args: ['crm-1', { token: 't' }] },
      ]);
    });

    it('throws the server’s OperationError, and refuses a non-string id before sending', async () => {
      const client = createSyncClient(server.url);
      failWith = new OperationError('conflict', 'cannot sync now: the integration is paused', []);
      await expect(client.syncNow(ref as never)).rejects.toMatchObject({
        name: 'OperationError',
        kind: 'conflict',
        message: 'cannot sync now: the integration is paused',
      });
      failWith = new Error('boom');
      await expect(client.get(ref as never)).rejects.toMatchObject({ kind: 'internal' });
      failWith = undefined;
      calls.length = 0;
      await expect(client.get({ ...ref, crmOrgId: { $ne: null } } as never)).rejects.toMatchObject({
        kind: 'invalid',
        message: 'invalid crmOrgId: expected a string',
      });
      expect(calls).toEqual([]);
    });

    it('maps a foreign answer by its status, and no answer to unavailable', async () => {
      const fake = (status: number, body: string) =>
        createSyncClient('http://x', { fetch: async () => new Response(body, { status }) });
      await expect(fake(404, '<html>').get(ref as never)).rejects.toMatchObject({
        kind: 'not_found',
        message: 'GET /integrations/crm-1/books-1/production: the service answered 404',
      });
      await expect(fake(502, 'bad gateway').list('a')).rejects.toMatchObject({ kind: 'unavailable' });
      await expect(fake(200, 'not json').list('a')).rejects.toMatchObject({ kind: 'unavailable' });
      const closed = await new Promise<number>((resolve) => {
        const probe = http.createServer().listen(0, '127.0.0.1', () => {
          const { port } = probe.address() as { port: number };
          probe.close(() => resolve(port));
        });
      });
      const down = createSyncClient(`http://127.0.0.1:${closed}`);
      await expect(down.list('a')).rejects.toMatchObject({
        kind: 'unavailable',
        message: expect.stringMatching(/^GET \/integrations: fetch failed: .*ECONNREFUSED/),
      });
      const slow = createSyncClient('http://x', {
        timeoutMs: 20,
        fetch: (_u, init) =>
          new Promise((_resolve, reject) =>
            init?.signal?.addEventListener('abort', () => reject(init.signal!.reason as Error)),
          ),
      });
      await expect(slow.list('a')).rejects.toMatchObject({
        kind: 'unavailable',
        message: 'GET /integrations: no answer within 20 ms',
      });
      expect([400, 401, 403, 404, 405, 409, 413, 429, 500, 503].map(kindOfStatus)).toEqual([
        'invalid',
        'unauthorized',
        'forbidden',
        'not_found',
        'invalid',
        'conflict',
        'invalid',
        'unavailable',
        'internal',
        'unavailable',
      ]);
    });
  });
});
