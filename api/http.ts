import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type pino from 'pino';
import {
  HTTP_STATUS,
  OperationError,
  type ActorInput,
  type AuditQueryInput,
  type BooksFromCrmQuery,
  type ConfigureInput,
  type CrmSearchQuery,
  type EnableInput,
  type FailuresQuery,
  type FetchInput,
  type HistoryQuery,
  type ImportInput,
  type IntegrationRef,
  type ReprocessInput,
  type SyncOperations,
} from './types';
import { serveDashboardPage } from './dashboards-page';
import { DEAL_ASSOCIATION_ROUTES } from './deal-associations';
import { DEAL_ROUTES } from './deals';
import { DOCUMENT_ROUTES } from './documents';
import { SUBSCRIPTION_ROUTES } from './subscriptions';
import { SANDBOX_ROUTES } from './sandbox';
import { USER_ROUTES } from './users';

/**
 * The HTTP API over the service's operations (ISSUE 5 §2): JSON in, JSON out, node's `http` only. Every
 * request is validated by the operations themselves (api/types.ts); this layer routes, reads bounded JSON
 * bodies, and maps OperationError kinds to statuses. Bodies are never logged (a CRM notification carries the
 * webhook's secret token).
 */

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
type Params = Record<string, string>;
type Query = Record<string, string>;

interface RouteContext {
  params: Params;
  query: Query;
  body: unknown;
}

/** What a route's body must be: none, a JSON object, or an optional JSON object (`{actor}`). */
type BodyRule = 'none' | 'object' | 'optional';

export interface Route {
  method: Method;
  /** Path segments; `:name` matches one segment, URL-decoded, passed on as a string. */
  path: readonly string[];
  body: BodyRule;
  /**
   * Query parameters the route reads: a list (anything else is refused), or 'schema' when the whole query is
   * handed to an operation whose strict schema refuses unknown keys itself.
   */
  query: readonly string[] | 'schema';
  /** Status of a success (default 200). */
  status?: number;
  handle(ops: SyncOperations, ctx: RouteContext): Promise<unknown>;
}

const INTEGRATION = ['integrations', ':crmOrgId', ':booksOrgId', ':environment'] as const;
const at = (...rest: string[]): readonly string[] => [...INTEGRATION, ...rest];

const refOf = (p: Params): IntegrationRef => ({
  crmOrgId: p.crmOrgId!,
  booksOrgId: p.booksOrgId!,
  environment: p.environment as IntegrationRef['environment'],
});

/** The route table (README "HTTP API"). */
export const ROUTES: readonly Route[] = [
  { method: 'GET', path: ['health'], body: 'none', query: [], handle: async () => ({ ok: true }) },
  {
    method: 'POST',
    path: ['integrations'],
    body: 'object',
    query: [],
    status: 201,
    handle: (ops, { body }) => ops.enable(body as EnableInput),
  },
  {
    method: 'GET',
    path: ['integrations'],
    body: 'none',
    query: ['crmOrgId'],
    handle: (ops, { query }) => {
      if (query.crmOrgId === undefined)
        throw new OperationError('invalid', 'query parameter crmOrgId is required', ['crmOrgId: required']);
      return ops.list(query.crmOrgId);
    },
  },
  { method: 'GET', path: at(), body: 'none', query: [], handle: (ops, { params }) => ops.get(refOf(params)) },
  {
    method: 'PUT',
    path: at('config'),
    body: 'object',
    query: [],
    handle: (ops, { params, body }) => ops.configure(refOf(params), body as ConfigureInput),
  },
  ...(['pause', 'resume', 'disable'] as const).map((action): Route => ({
    method: 'POST',
    path: at(action),
    body: 'optional',
    query: [],
    handle: (ops, { params, body }) => ops[action](refOf(params), body as ActorInput | undefined),
  })),
  {
    method: 'POST',
    path: at('sync'),
    body: 'optional',
    query: [],
    status: 202,
    handle: (ops, { params, body }) => ops.syncNow(refOf(params), body as ActorInput | undefined),
  },
  {
    method: 'GET',
    path: at('runs'),
    body: 'none',
    query: 'schema',
    handle: (ops, { params, query }) => ops.history(refOf(params), query as HistoryQuery),
  },
  {
    method: 'GET',
    path: at('runs', ':runNumber'),
    body: 'none',
    query: [],
    handle: (ops, { params }) => {
      const raw = params.runNumber!;
      if (!/^[0-9]{1,15}$/.test(raw))
        throw new OperationError('invalid', `invalid run number "${raw}": must be a positive integer`, [
          'runNumber: must be a positive integer',
        ]);
      return ops.run(refOf(params), Number(raw));
    },
  },
  {
    method: 'GET',
    path: at('failures'),
    body: 'none',
    query: 'schema',
    handle: (ops, { params, query }) => ops.failures(refOf(params), query as FailuresQuery),
  },
  {
    method: 'POST',
    path: at('failures', 'reprocess'),
    body: 'object',
    query: [],
    handle: (ops, { params, body }) => ops.reprocess(refOf(params), body as ReprocessInput),
  },
  {
    method: 'POST',
    path: at('fetch'),
    body: 'object',
    query: [],
    handle: (ops, { params, body }) => ops.fetchRecord(refOf(params), body as FetchInput),
  },
  {
    method: 'GET',
    path: at('crm-search'),
    body: 'none',
    query: 'schema',
    handle: (ops, { params, query }) => ops.searchCrm(refOf(params), query as CrmSearchQuery),
  },
  {
    method: 'POST',
    path: at('import'),
    body: 'object',
    query: [],
    handle: (ops, { params, body }) => ops.importRecord(refOf(params), body as ImportInput),
  },
  {
    method: 'GET',
    path: at('books-contacts'),
    body: 'none',
    query: 'schema',
    handle: (ops, { params, query }) => ops.booksFromCrm(refOf(params), query as BooksFromCrmQuery),
  },
  {
    method: 'GET',
    path: at('audit'),
    body: 'none',
    query: 'schema',
    handle: (ops, { params, query }) => ops.audit(refOf(params), query as AuditQueryInput),
  },
  {
    method: 'GET',
    path: at('verify'),
    body: 'none',
    query: [],
    handle: (ops, { params }) => ops.verify(refOf(params)),
  },
  {
    method: 'GET',
    path: ['audit'],
    body: 'none',
    query: 'schema',
    handle: (ops, { query }) => ops.audit(null, query as AuditQueryInput),
  },
  {
    method: 'POST',
    path: ['webhooks', 'crm', ':crmOrgId'],
    body: 'object',
    query: [],
    status: 202,
    handle: (ops, { params, body }) => ops.webhook(params.crmOrgId!, body),
  },
  ...USER_ROUTES,
  ...DOCUMENT_ROUTES,
  ...SUBSCRIPTION_ROUTES,
  ...SANDBOX_ROUTES,
  ...DEAL_ASSOCIATION_ROUTES,
  ...DEAL_ROUTES,
];

/** A refusal of the HTTP layer itself (not of an operation): its status, kind and headers. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly kind: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export type RouteMatch =
  { route: Route; params: Params } | { route: null; allowed: Method[] } | { route: null; allowed: null };

/**
 * The route for a method and a raw path (no query): the route and its URL-decoded parameters; the allowed
 * methods when the path is known but the method is not; neither when nothing matches. Throws an `invalid`
 * HttpError for a path segment that is not valid percent-encoding.
 */
export function matchRoute(method: string, rawPath: string): RouteMatch {
  if (!rawPath.startsWith('/')) return { route: null, allowed: null };
  const raw = rawPath.slice(1).split('/');
  const allowed: Method[] = [];
  let decoded: string[] | undefined;
  for (const route of ROUTES) {
    if (route.path.length !== raw.length) continue;
    if (!route.path.every((p, i) => p.startsWith(':') || p === raw[i])) continue;
    decoded ??= raw.map(decodeSegment);
    if (route.method !== method) {
      if (!allowed.includes(route.method)) allowed.push(route.method);
      continue;
    }
    const params: Params = {};
    route.path.forEach((p, i) => {
      if (p.startsWith(':')) params[p.slice(1)] = decoded![i]!;
    });
    return { route, params };
  }
  return allowed.length > 0 ? { route: null, allowed } : { route: null, allowed: null };
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, 'invalid', 'malformed path: a segment is not valid percent-encoding');
  }
}

function parseQuery(search: string, route: Route): Query {
  const query: Query = {};
  for (const [key, value] of new URLSearchParams(search)) {
    if (Object.hasOwn(query, key))
      throw new HttpError(400, 'invalid', `duplicate query parameter "${clip(key)}"`);
    if (route.query !== 'schema' && !route.query.includes(key))
      throw new HttpError(
        400,
        'invalid',
        route.query.length === 0
          ? `unknown query parameter "${clip(key)}": this route takes none`
          : `unknown query parameter "${clip(key)}": this route takes ${route.query.join(', ')}`,
      );
    query[key] = value;
  }
  return query;
}

const clip = (s: string) => (s.length > 100 ? `${s.slice(0, 100)}…` : s);

/** Reads the body as JSON (bounded), per the route's rule. */
async function readJsonBody(req: http.IncomingMessage, rule: BodyRule, maxBytes: number): Promise<unknown> {
  if (rule === 'none') return undefined;
  const declared = req.headers['content-length'];
  const hasBody =
    req.headers['transfer-encoding'] !== undefined || (declared !== undefined && Number(declared) > 0);
  if (!hasBody) {
    if (rule === 'object') throw new HttpError(400, 'invalid', 'a JSON object body is required');
    return undefined;
  }
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json')
    throw new HttpError(
      415,
      'invalid',
      `the body must be application/json, not ${type ? `"${clip(type)}"` : 'untyped'}`,
    );
  if (declared !== undefined && Number(declared) > maxBytes) throw tooLarge(maxBytes);

  const text = await new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        // Keep draining without keeping anything, so the answer can still be read by the client.
        req.off('data', onData);
        req.resume();
        reject(tooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.once('error', () => reject(new HttpError(400, 'invalid', 'the request body could not be read')));
    req.once('aborted', () => reject(new HttpError(400, 'invalid', 'the request was aborted')));
  });
  if (text.trim() === '') {
    if (rule === 'object') throw new HttpError(400, 'invalid', 'a JSON object body is required');
    return undefined;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new HttpError(
      400,
      'invalid',
      `malformed JSON: ${err instanceof Error ? err.message : 'unparseable'}`,
    );
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new HttpError(
      400,
      'invalid',
      `the body must be a JSON object, not ${value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`}`,
    );
  return value;
}

const tooLarge = (maxBytes: number) =>
  new HttpError(413, 'invalid', `the body is larger than ${maxBytes} bytes`, { connection: 'close' });

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  res.end(text);
}

/**
 * The request listener of the HTTP API over `ops`. Logs one line per request (method, path without its query,
 * status, duration) at info, and the real cause of a 500 at error; never a body.
 */
export function createHttpHandler(
  ops: SyncOperations,
  opts: { logger?: pino.Logger; maxBodyBytes?: number } = {},
): http.RequestListener {
  const { logger } = opts;
  const maxBodyBytes = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, path: string, search: string) {
    const method = req.method ?? 'GET';
    try {
      if (await serveDashboardPage(method, path, res)) return;
      const match = matchRoute(method, path);
      if (!match.route) {
        if (match.allowed)
          throw new HttpError(
            405,
            'invalid',
            `method ${clip(method)} is not allowed here; use ${match.allowed.join(' or ')}`,
            { allow: match.allowed.join(', ') },
          );
        throw new HttpError(404, 'not_found', `no route ${clip(method)} ${clip(path)}`);
      }
      const { route, params } = match;
      const query = parseQuery(search, route);
      const body = await readJsonBody(req, route.body, maxBodyBytes);
      const result = await route.handle(ops, { params, query, body });
      send(res, route.status ?? 200, result);
    } catch (err) {
      if (res.headersSent) {
        logger?.error({ err, method, path }, 'http request failed after its answer started');
        res.destroy();
        return;
      }
      if (err instanceof OperationError)
        send(res, HTTP_STATUS[err.kind], {
          error: { kind: err.kind, message: err.message, issues: err.issues },
        });
      else if (err instanceof HttpError)
        send(res, err.status, { error: { kind: err.kind, message: err.message, issues: [] } }, err.headers);
      else {
        logger?.error({ err, method, path }, 'http request failed');
        send(res, 500, {
          error: { kind: 'internal', message: 'internal error; see the service log', issues: [] },
        });
      }
    }
  }

  return (req, res) => {
    const started = process.hrtime.bigint();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const search = q === -1 ? '' : url.slice(q + 1);
    res.once('close', () => {
      const ms = Math.round(Number(process.hrtime.bigint() - started) / 1e4) / 100;
      logger?.info(
        {
          method: req.method,
          path: clip(path),
          status: res.statusCode,
          ms,
          ...(!res.writableFinished && { aborted: true }),
        },
        'http request',
      );
    });
    void handle(req, res, path, search);
  };
}

/** Starts the HTTP API; resolves once it listens (port 0: an ephemeral port, in `url`). */
export async function startHttpServer(opts: {
  operations: SyncOperations;
  port: number;
  host: string;
  logger: pino.Logger;
  maxBodyBytes?: number;
}): Promise<{ url: string; close(): Promise<void> }> {
  const handler = createHttpHandler(opts.operations, {
    logger: opts.logger,
    ...(opts.maxBodyBytes !== undefined && { maxBodyBytes: opts.maxBodyBytes }),
  });
  let closing = false;
  const server = http.createServer((req, res) => {
    // While closing, a connection is not kept alive after its request, so close() does not wait on it.
    if (closing) res.setHeader('connection', 'close');
    handler(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host =
    address.address === '0.0.0.0'
      ? '127.0.0.1'
      : address.address === '::'
        ? '[::1]'
        : address.family === 'IPv6'
          ? `[${address.address}]`
          : address.address;
  const url = `http://${host}:${address.port}`;
  // Debug: `npm start` says where the API listens in its own readable lines.
  opts.logger.debug({ url }, 'HTTP API listening');
  return {
    url,
    close: () =>
      new Promise<void>((resolve, reject) => {
        if (!server.listening) return resolve();
        closing = true;
        // Requests in flight finish; idle keep-alive connections close now, so this does not wait on them.
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeIdleConnections();
      }),
  };
}
