import {
  HTTP_STATUS,
  OperationError,
  type IntegrationRef,
  type OperationErrorKind,
  type SyncOperations,
} from '../api/types';
import { createDealsClient } from './deals-client';
import { createDocumentsClient } from './documents-client';
import { createSubscriptionsClient } from './subscriptions-client';
import { createSandboxClient } from './sandbox-client';
import { createUsersClient } from './users-client';

/**
 * The service's operations over its HTTP API (api/http.ts), for other services: the same `SyncOperations`
 * interface as the in-process implementation. A refusal (4xx/5xx) throws an OperationError with the server's
 * kind, message and issues; no answer (network error, timeout) throws an `unavailable` OperationError.
 */

const KINDS: readonly OperationErrorKind[] = Object.keys(HTTP_STATUS) as OperationErrorKind[];

/** The kind of an answer whose body is not the API's error shape (a proxy's, say). */
export function kindOfStatus(status: number): OperationErrorKind {
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 409) return 'conflict';
  if (status >= 400 && status < 500 && status !== 408 && status !== 429) return 'invalid';
  return status === 500 ? 'internal' : 'unavailable';
}

type QueryValue = string | number | boolean | Date | null | undefined;

export function createSyncClient(
  baseUrl: string,
  opts: { fetch?: typeof fetch; timeoutMs?: number } = {},
): SyncOperations {
  const doFetch = opts.fetch ?? fetch;
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const root = baseUrl.replace(/\/+$/, '');

  /** Ids are strings; anything else (e.g. `{"$ne": null}`) is refused before it is sent. */
  const text = (value: unknown, what: string): string => {
    if (typeof value !== 'string')
      throw new OperationError('invalid', `invalid ${what}: expected a string`, [
        `${what}: expected a string`,
      ]);
    return value;
  };
  const segment = (value: unknown, what: string) => encodeURIComponent(text(value, what));
  const base = (ref: IntegrationRef) =>
    `/integrations/${segment(ref.crmOrgId, 'crmOrgId')}/${segment(ref.booksOrgId, 'booksOrgId')}/${segment(
      ref.environment ?? 'production',
      'environment',
    )}`;

  async function call<T>(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    options: { query?: object | undefined; body?: unknown } = {},
  ): Promise<T> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(options.query ?? {}) as [string, QueryValue][]) {
      if (value === undefined || value === null) continue;
      params.append(key, value instanceof Date ? value.toISOString() : String(value));
    }
    const search = params.toString() === '' ? '' : `?${params.toString()}`;
    // A GET or DELETE names what it reads or removes in its path; only writes send a body.
    const hasBody = method !== 'GET' && method !== 'DELETE';
    let res: Response;
    try {
      res = await doFetch(`${root}${path}${search}`, {
        method,
        headers: {
          accept: 'application/json',
          ...(hasBody && { 'content-type': 'application/json' }),
        },
        ...(hasBody && { body: JSON.stringify(options.body ?? {}) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      // Not `instanceof Error`: the DOMException of an aborted signal may come from another realm.
      const e = (err ?? {}) as { name?: unknown; message?: unknown; cause?: { message?: unknown } };
      // undici says only "fetch failed"; the reason (ECONNREFUSED, …) is its cause.
      const why = [e.message, e.cause?.message].filter((m) => typeof m === 'string').join(': ');
      const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError';
      throw new OperationError(
        'unavailable',
        timedOut
          ? `${method} ${path}: no answer within ${timeoutMs} ms`
          : `${method} ${path}: ${why || String(err)}`,
      );
    }
    const text = await res.text().catch(() => '');
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (!res.ok) throw errorOf(res.status, json, `${method} ${path}`);
    if (json === undefined)
      throw new OperationError(
        'unavailable',
        `${method} ${path}: answered ${res.status} without a JSON body`,
      );
    return json as T;
  }

  return {
    enable: async (input) => call('POST', '/integrations', { body: input }),
    configure: async (ref, input) => call('PUT', `${base(ref)}/config`, { body: input }),
    get: async (ref) => call('GET', base(ref)),
    list: async (crmOrgId) =>
      call('GET', '/integrations', { query: { crmOrgId: text(crmOrgId, 'crmOrgId') } }),
    pause: async (ref, input) => call('POST', `${base(ref)}/pause`, { body: input }),
    resume: async (ref, input) => call('POST', `${base(ref)}/resume`, { body: input }),
    disable: async (ref, input) => call('POST', `${base(ref)}/disable`, { body: input }),
    syncNow: async (ref, input) => call('POST', `${base(ref)}/sync`, { body: input }),
    history: async (ref, query) => call('GET', `${base(ref)}/runs`, { query }),
    run: async (ref, runNumber) => call('GET', `${base(ref)}/runs/${encodeURIComponent(String(runNumber))}`),
    failures: async (ref, query) => call('GET', `${base(ref)}/failures`, { query }),
    reprocess: async (ref, input) => call('POST', `${base(ref)}/failures/reprocess`, { body: input }),
    fetchRecord: async (ref, input) => call('POST', `${base(ref)}/fetch`, { body: input }),
    searchCrm: async (ref, query) => call('GET', `${base(ref)}/crm-search`, { query }),
    importRecord: async (ref, input) => call('POST', `${base(ref)}/import`, { body: input }),
    booksFromCrm: async (ref, query) => call('GET', `${base(ref)}/books-contacts`, { query }),
    audit: async (ref, query) => call('GET', ref ? `${base(ref)}/audit` : '/audit', { query }),
    webhook: async (crmOrgId, notification) =>
      call('POST', `/webhooks/crm/${segment(crmOrgId, 'crmOrgId')}`, { body: notification }),
    verify: async (ref) => call('GET', `${base(ref)}/verify`),
    users: createUsersClient(call, base),
    documents: createDocumentsClient(call, base),
    subscriptions: createSubscriptionsClient(call, base),
    sandbox: createSandboxClient(call, base),
    deals: createDealsClient(call, base),
  };
}

/** The OperationError of a refusal: the API's own `{error: {kind, message, issues}}`, else from the status. */
function errorOf(status: number, body: unknown, what: string): OperationError {
  const error =
    body !== null && typeof body === 'object' && 'error' in body
      ? (body as { error: unknown }).error
      : undefined;
  if (error !== null && typeof error === 'object') {
    const e = error as { kind?: unknown; message?: unknown; issues?: unknown };
    if (typeof e.message === 'string') {
      const kind = KINDS.includes(e.kind as OperationErrorKind)
        ? (e.kind as OperationErrorKind)
        : kindOfStatus(status);
      const issues = Array.isArray(e.issues)
        ? e.issues.filter((i): i is string => typeof i === 'string')
        : [];
      return new OperationError(kind, e.message, issues);
    }
  }
  return new OperationError(kindOfStatus(status), `${what}: the service answered ${status}`);
}
