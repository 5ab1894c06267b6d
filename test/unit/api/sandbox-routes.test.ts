import pino from 'pino';
import { startHttpServer } from '../../../api/http';
import { createOperations } from '../../../api/operations';
import { createSandboxOperations } from '../../../api/sandbox';
import { OperationError, type SyncOperations } from '../../../api/types';
import { createSyncClient } from '../../../client/sync-client';
import { exitCodeOf, INTEGRATION_EXIT } from '../../../cli/integration-commands';
import type { BooksStore } from '../../../stores/books-store';
import type { CrmStore } from '../../../stores/crm-store';
import type { SandboxSlots } from '../../../stores/sandbox-slots';

/*
 * The S8 refusals as an operator meets them: the real operations over in-memory orgs, behind the real HTTP
 * API, called through the typed client. Every refusal is a 409 `conflict` naming the field and the reason,
 * the CLI's exit status 2, and happens before anything reaches Temporal (whose client here is a stub that
 * fails the test if touched).
 */

type Data = Record<string, unknown>;

function memoryOrgs() {
  const crm = new Map<string, Data>([['c1', { id: 'c1', company_name: 'Acme', edition: 'Enterprise' }]]);
  const books = new Map<string, Data>([['b1', { organization_id: 'b1', name: 'Acme Books' }]]);
  const slots = new Map<string, string>();
  return {
    crm: {
      getOrg: async (id: string) => crm.get(id),
      saveOrg: async (doc: Data) => void crm.set(String(doc.id), doc),
    } as unknown as CrmStore,
    books: {
      getOrganization: async (id: string) => books.get(id),
      saveOrganization: async (doc: Data) => void books.set(String(doc.organization_id), doc),
    } as unknown as BooksStore,
    slots: {
      holderOf: async (id: string) => slots.get(id),
      async claim(id: string, sandbox: string) {
        if (!slots.has(id)) slots.set(id, sandbox);
        return slots.get(id)!;
      },
    } as unknown as SandboxSlots,
  };
}

const untouchable = new Proxy(
  {},
  {
    get: () => {
      throw new Error('a refused request reached Temporal');
    },
  },
) as never;

describe('sandbox refusals through the HTTP API and the typed client', () => {
  let server: { url: string; close(): Promise<void> };
  let client: SyncOperations;
  const orgs = memoryOrgs();

  beforeAll(async () => {
    const operations = createOperations({
      temporal: untouchable,
      taskQueue: 'unused',
      syncState: {} as never,
      crm: orgs.crm,
      books: orgs.books,
    });
    server = await startHttpServer({
      operations: { ...operations, sandbox: createSandboxOperations(orgs) },
      port: 0,
      host: '127.0.0.1',
      logger: pino({ level: 'silent' }),
    });
    client = createSyncClient(server.url);
  });
  afterAll(() => server.close());

  /** The refusal of `call`, checked to be a conflict with the CLI's "refused" exit status. */
  async function refusalOf(call: Promise<unknown>): Promise<OperationError> {
    const err = await call.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(OperationError);
    const refusal = err as OperationError;
    expect(refusal.kind).toBe('conflict');
    expect(exitCodeOf(refusal)).toBe(INTEGRATION_EXIT.refused);
    return refusal;
  }

  it('creates one Books sandbox per Books org (S8.1); the same one again is idempotent', async () => {
    const sandbox = client.sandbox!;
    await expect(
      sandbox.createSandbox({ side: 'books', parentOrgId: 'b1', sandboxOrgId: 'b1s' }),
    ).resolves.toEqual({
      side: 'books',
      parentOrgId: 'b1',
      sandboxOrgId: 'b1s',
      created: true,
    });
    await expect(
      sandbox.createSandbox({ side: 'books', parentOrgId: 'b1', sandboxOrgId: 'b1s' }),
    ).resolves.toMatchObject({
      created: false,
    });
    const second = await refusalOf(
      sandbox.createSandbox({ side: 'books', parentOrgId: 'b1', sandboxOrgId: 'b1t' }),
    );
    expect(second.issues).toEqual([
      'parentOrgId: Books org b1 already has a sandbox, b1s: one Books sandbox per Books org, a second is refused (S8.1)',
    ]);
    await expect(
      sandbox.createSandbox({ side: 'crm', parentOrgId: 'c1', sandboxOrgId: 'c1s' }),
    ).resolves.toMatchObject({
      created: true,
    });
  });

  const config = {
    customers: { module: 'accounts', extent: 'fetch_from_crm', duplicatePolicy: 'skip' },
    vendors: { extent: 'fetch_from_crm', duplicatePolicy: 'skip' },
    items: { extent: 'fetch_from_crm', duplicatePolicy: 'skip' },
  } as const;

  it.each([
    [
      'a CRM sandbox with production Books (S8.2)',
      'c1s',
      'b1',
      'sandbox',
      ['books'],
      /^booksOrgId: Books org b1 is a production org/,
    ],
    [
      'production CRM with the Books sandbox (S8.2)',
      'c1',
      'b1s',
      'sandbox',
      ['books'],
      /^crmOrgId: CRM org c1 is a production org/,
    ],
    [
      'a CRM sandbox as production (S8.2)',
      'c1s',
      'b1s',
      'production',
      ['books'],
      /^crmOrgId: CRM org c1s is a sandbox/,
    ],
    [
      'Inventory in a sandbox (S8.6)',
      'c1s',
      'b1s',
      'sandbox',
      ['books', 'inventory'],
      /^products\.1: Zoho Inventory is not supported in a sandbox/,
    ],
  ] as const)('refuses enabling %s', async (_what, crmOrgId, booksOrgId, environment, products, reason) => {
    const refusal = await refusalOf(
      client.enable({ crmOrgId, booksOrgId, environment, products: [...products], config }),
    );
    expect(refusal.issues.some((issue) => reason.test(issue))).toBe(true);
    expect(refusal.message).toMatch(reason);
  });

  it.each([
    ['sandbox', /cannot be deployed to production and leaves no deployment log.*\(S8\.4\)/],
    ['production', /is not copied into the sandbox.*\(S8\.5\)/],
  ] as const)('refuses copying a %s integration to the other environment', async (environment, reason) => {
    const refusal = await refusalOf(
      client.sandbox!.deploy({ crmOrgId: 'c1s', booksOrgId: 'b1s', environment }),
    );
    expect(refusal.message).toMatch(/^environment: /);
    expect(refusal.message).toMatch(reason);
  });

  it('answers 409 with the reason to a plain POST .../deploy', async () => {
    const res = await fetch(`${server.url}/integrations/c1s/b1s/sandbox/deploy`, { method: 'POST' });
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({
      error: { kind: 'conflict', message: expect.stringMatching(/S8\.4/) },
    });
  });
});
