import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { startSandboxModules, type SandboxModulesStart } from '../client';
import {
  copyRefusal,
  describeRefusals,
  financeModuleRefusal,
  pairingRefusals,
  productRefusals,
  sandboxCreationRefusals,
  sandboxMarkOf,
  sandboxOrgDoc,
  type SandboxRefusal,
  type SandboxSide,
  type ZohoProduct,
} from '../domain/sandbox';
import { KeyPartSchema, type Environment } from '../domain/sync-state-schemas';
import type { BooksStore } from '../stores/books-store';
import type { CrmStore } from '../stores/crm-store';
import type { SandboxSlots } from '../stores/sandbox-slots';
import type { Route } from './http';
import { integrationPath, integrationRefOf } from './route-paths';
import {
  IntegrationRefSchema,
  OperationError,
  operationGroup,
  parseRequest,
  type IntegrationRef,
} from './types';

/*
 * The sandbox (S8) as operations: create a CRM or Books sandbox of a production org (one per Books org), the
 * refusals of enabling across environments or with other products, the scheduled job a sandbox enable starts,
 * and the deployment that does not exist. The rules are domain/sandbox.ts; the same operations back the HTTP
 * routes below, the CLI (`crm-books-sync sandboxes …`) and the typed client.
 */

export const CreateSandboxInputSchema = z.strictObject({
  side: z.enum(['crm', 'books']),
  /** The production org the sandbox is made from. */
  parentOrgId: KeyPartSchema,
  /** The sandbox's own org id: a separate org, so its records are never production's. */
  sandboxOrgId: KeyPartSchema,
});
export type CreateSandboxInput = z.input<typeof CreateSandboxInputSchema>;

export interface CreateSandboxResult {
  side: SandboxSide;
  parentOrgId: string;
  sandboxOrgId: string;
  /** False when this very sandbox existed already (creating it again is idempotent). */
  created: boolean;
}

export interface SandboxOperations {
  createSandbox(input: CreateSandboxInput): Promise<CreateSandboxResult>;
  /** S8.4 / S8.5: always refused (409) with the reason; nothing is written, no deployment log. */
  deploy(ref: IntegrationRef): Promise<never>;
}

export interface SandboxOperationsDeps {
  crm: CrmStore;
  books: BooksStore;
  slots: SandboxSlots;
}

/** S8 refusals are conflicts with the orgs' environments: 409 over HTTP, exit status 2 from the CLI. */
function refused(refusals: readonly SandboxRefusal[]): OperationError {
  return new OperationError(
    'conflict',
    describeRefusals(refusals),
    refusals.map((r) => `${r.field}: ${r.reason}`),
  );
}

/**
 * The S8 checks of an enable, before any workflow starts: the orgs' environments match the integration's
 * (S8.2) and a sandbox asks for Books only (S8.6). Throws a `conflict` OperationError naming every problem.
 */
export function refuseSandboxEnable(input: {
  environment: Environment;
  crmOrgId: string;
  crmOrg: Record<string, unknown>;
  booksOrgId: string;
  booksOrg: Record<string, unknown>;
  products: readonly ZohoProduct[];
}): void {
  const refusals = [...pairingRefusals(input), ...productRefusals(input.environment, input.products)];
  if (refusals.length > 0) throw refused(refusals);
}

/** S8.3: a record goes into a CRM sandbox's finance module only once the scheduled job has created it. */
export async function refuseFinanceModuleWrite(
  crm: Pick<CrmStore, 'getOrg'>,
  crmOrgId: string,
  module: string,
): Promise<void> {
  const crmOrg = await crm.getOrg(crmOrgId);
  const refusal = crmOrg && financeModuleRefusal(crmOrgId, crmOrg, module);
  if (refusal) throw refused([refusal]);
}

/** S8.3: a sandbox enable starts the CRM sandbox's scheduled job (none for production). */
export async function scheduleSandboxModules(
  temporal: Client,
  taskQueue: string,
  enabled: { integrationId: string; crmOrgId: string; booksOrgId: string; environment: Environment },
  delayMs: number | undefined,
): Promise<SandboxModulesStart | undefined> {
  if (enabled.environment !== 'sandbox') return undefined;
  return startSandboxModules(temporal, taskQueue, {
    crmOrgId: enabled.crmOrgId,
    booksOrgId: enabled.booksOrgId,
    integrationId: enabled.integrationId,
    ...(delayMs !== undefined && { delayMs }),
  });
}

export function createSandboxOperations(deps: SandboxOperationsDeps): SandboxOperations {
  const orgOf = async (side: SandboxSide, id: string): Promise<Record<string, unknown> | undefined> =>
    side === 'crm' ? deps.crm.getOrg(id) : deps.books.getOrganization(id);
  const saveOrg = (side: SandboxSide, doc: Record<string, unknown>) =>
    side === 'crm' ? deps.crm.saveOrg(doc as never) : deps.books.saveOrganization(doc as never);

  return {
    /**
     * Creates the sandbox org: the parent's settings under the sandbox's id, marked, with no records and no
     * integration (S8.5). A Books org's one slot is claimed first, so of two concurrent creations one is
     * refused (S8.1). Idempotent for the same sandbox.
     */
    async createSandbox(raw) {
      const input = parseRequest(CreateSandboxInputSchema, raw, 'sandbox');
      const [parentOrg, existingOrg, takenBy] = await Promise.all([
        orgOf(input.side, input.parentOrgId),
        orgOf(input.side, input.sandboxOrgId),
        input.side === 'books' ? deps.slots.holderOf(input.parentOrgId) : undefined,
      ]);
      const creation = { ...input, parentOrg, existingOrg, takenBy };
      const refusals = sandboxCreationRefusals(creation);
      if (refusals.length > 0) throw refused(refusals);
      if (input.side === 'books') {
        const holder = await deps.slots.claim(input.parentOrgId, input.sandboxOrgId);
        const lost = sandboxCreationRefusals({ ...creation, takenBy: holder });
        if (lost.length > 0) throw refused(lost);
      }
      const created = !(existingOrg && sandboxMarkOf(existingOrg));
      if (created)
        await saveOrg(
          input.side,
          sandboxOrgDoc(input.side, parentOrg!, input.parentOrgId, input.sandboxOrgId),
        );
      return { ...input, created };
    },

    deploy: refuseDeploy,
  };
}

/**
 * S8.4 / S8.5: copying an integration to the other environment, refused with the reason whatever the
 * integration; it reads and writes nothing, so no deployment log can exist.
 */
export async function refuseDeploy(raw: IntegrationRef): Promise<never> {
  const ref = parseRequest(IntegrationRefSchema, raw, 'integration');
  throw refused([copyRefusal(ref.environment)]);
}

/** The sandbox operations of `ops`; refused as unavailable where the composition root did not provide them. */
export function sandboxOf(ops: { sandbox?: SandboxOperations | undefined }): SandboxOperations {
  return operationGroup(ops, 'sandbox', 'sandbox');
}

/** The routes of the sandbox operations (README "Sandbox"). */
export const SANDBOX_ROUTES: readonly Route[] = [
  {
    method: 'POST',
    path: ['sandboxes'],
    body: 'object',
    query: [],
    status: 201,
    handle: (ops, { body }) => sandboxOf(ops).createSandbox(body as CreateSandboxInput),
  },
  {
    method: 'POST',
    path: integrationPath('deploy'),
    body: 'optional',
    query: [],
    // Refused even where the sandbox operations are not configured: there is no deployment anywhere.
    handle: (_ops, { params }) => refuseDeploy(integrationRefOf(params)),
  },
];
