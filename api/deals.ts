import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { z, ZodError } from 'zod';
import type { CrmDeal } from '../domain/crm-schemas';
import type { DealDecisionDoc, DealDocumentLinkDoc } from '../domain/deals/records';
import type { DealRule } from '../domain/deals/rules';
import {
  DEAL_AUTOMATION_WORKFLOW,
  DEAL_MODULES,
  dealSignalWithStart,
  dealStart,
  type DealChange,
} from '../domain/deals/workflow-start';
import { DOCUMENT_POLLER_WORKFLOW, pollerSignalWithStart } from '../domain/sync/documents/workflow-start';
import type { IntegrationDoc } from '../domain/sync-state-schemas';
import type { CrmStore } from '../stores/crm-store';
import type { DealStore } from '../stores/deal-store';
import { InvalidRecordsError } from '../stores/record-collection';
import type { SyncStateStore } from '../stores/sync-state-store';
import type { DealProgress } from '../workflows/deal-automation';
import {
  createDealAssociationOperations,
  type DealAssociationDeps,
  type DealAssociationOperations,
} from './deal-associations';
import type { Route } from './http';
import { integrationPath, integrationRefOf } from './route-paths';
import {
  IdSchema,
  OperationError,
  operationGroup,
  requestedIntegration,
  parseRequest,
  type IntegrationRef,
} from './types';
import { signalEachNamed } from './workflow-calls';

/*
 * Deal automation as operations (issue 17): an integration's rules, deals written and edited through the
 * service (each write signals-with-start the deal's workflow), and what a deal's automation did — its
 * documents (S5.7) and its decision records (S5.6). The same operations back the HTTP routes below, the CLI
 * (`crm-books-sync deals …`) and the typed client.
 */

const LookupSchema = z.strictObject({ id: IdSchema, name: z.string().min(1).max(200).optional() });

export const WriteDealInputSchema = z.strictObject({
  /** The deal in the CRM API's shape, its `id` included. */
  record: z.looseObject({ id: IdSchema }),
});
export type WriteDealInput = z.input<typeof WriteDealInputSchema>;

/** An edit of a deal: what a salesperson changes (S5.5: the stage moves the probability). */
export const EditDealInputSchema = z
  .strictObject({
    stage: z.string().min(1).max(200).optional(),
    amount: z.number().min(0).optional(),
    owner: LookupSchema.optional(),
    account: LookupSchema.optional(),
    contact: LookupSchema.optional(),
  })
  .refine((e) => Object.keys(e).length > 0, { message: 'name at least one change' });
export type EditDealInput = z.input<typeof EditDealInputSchema>;

const DecisionsQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

export interface DealWriteResult {
  dealId: string;
  /** The deal workflow signalled (started when none ran). */
  workflowId: string;
  written: 'inserted' | 'updated' | 'unchanged';
}

export interface DealView {
  dealId: string;
  workflowId: string;
  deal: Pick<CrmDeal, 'Deal_Name' | 'Stage' | 'Amount' | 'Owner' | 'Account_Name' | 'Contact_Name'>;
  /** The Books documents its rules created (S5.7), associated for good (S4.3). */
  documents: DealDocumentLinkDoc[];
  /** Its decision records, newest first. */
  decisions: DealDecisionDoc[];
  /** The workflow's progress while it runs; null once it completed. */
  workflow: DealProgress | null;
}

/** Deal automation's operations, and associating deals with Books documents (S4.3, api/deal-associations.ts). */
export interface DealOperations extends DealAssociationOperations {
  rules(ref: IntegrationRef): Promise<{ rules: DealRule[] }>;
  setRules(ref: IntegrationRef, input: unknown): Promise<{ rules: DealRule[]; version: number }>;
  writeDeal(ref: IntegrationRef, input: WriteDealInput): Promise<DealWriteResult>;
  editDeal(ref: IntegrationRef, dealId: string, input: EditDealInput): Promise<DealWriteResult>;
  deal(ref: IntegrationRef, dealId: string): Promise<DealView>;
  decisions(ref: IntegrationRef, query?: { limit?: number | string }): Promise<DealDecisionDoc[]>;
}

export interface DealOperationsDeps extends DealAssociationDeps {
  temporal: Client;
  taskQueue: string;
  syncState: SyncStateStore;
  crm: CrmStore;
  dealStore: DealStore;
}

export function createDealOperations(deps: DealOperationsDeps): DealOperations {
  const deals = () => deps.crm.module('Deals');

  const integrationOf = (raw: IntegrationRef) => requestedIntegration(deps.syncState, raw);

  /** Runs a store write, turning a refused record into the operation's `invalid` refusal. */
  async function writing<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (err instanceof InvalidRecordsError)
        throw new OperationError(
          'invalid',
          err.message,
          err.failures.map((f) => `${f.field}: ${f.reason}`),
        );
      throw err;
    }
  }

  async function progressOf(workflowId: string): Promise<DealProgress | null> {
    try {
      const handle = deps.temporal.workflow.getHandle(workflowId);
      const { status } = await handle.describe();
      return status.name === 'RUNNING' ? await handle.query<DealProgress>('dealProgress') : null;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return null;
      throw err;
    }
  }

  return {
    ...createDealAssociationOperations(deps),

    /** The integration's rules. Read-only. */
    async rules(raw) {
      return { rules: await deps.dealStore.getRules((await integrationOf(raw))._id) };
    },

    /** Replaces the integration's rules; refused with every problem when invalid. Idempotent. */
    async setRules(raw, body) {
      const integration = await integrationOf(raw);
      try {
        const saved = await deps.dealStore.setRules(integration._id, body);
        // Deals written straight into the CRM store are noticed by the poller, which must run from now on.
        if (saved.rules.some((rule) => rule.enabled))
          await deps.temporal.workflow.signalWithStart(
            DOCUMENT_POLLER_WORKFLOW,
            pollerSignalWithStart(integration, deps.taskQueue),
          );
        return { rules: saved.rules, version: saved.version };
      } catch (err) {
        if (err instanceof ZodError)
          throw new OperationError(
            'invalid',
            'invalid deal rules',
            err.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
          );
        throw err;
      }
    },

    /** Writes a deal into the CRM store (validated) and signals its workflow. Idempotent. */
    async writeDeal(raw, body) {
      const integration = await integrationOf(raw);
      const input = parseRequest(WriteDealInputSchema, body, 'deal');
      const result = await writing(() =>
        deals().upsertMany(integration.crmOrgId, [{ id: input.record.id, data: input.record as never }]),
      );
      const written = result.inserted > 0 ? 'inserted' : result.updated > 0 ? 'updated' : 'unchanged';
      return {
        dealId: input.record.id,
        workflowId: await signalDeal(deps, integration, input.record.id, 'api'),
        written,
      };
    },

    /**
     * Changes a deal's stage, amount, owner, account or contact — only those fields, on the version read —
     * and signals its workflow. A deal changed meanwhile is read again and the edit applied to it.
     */
    async editDeal(raw, dealId, body) {
      const integration = await integrationOf(raw);
      const id = parseRequest(IdSchema, dealId, 'deal id');
      const edit = parseRequest(EditDealInputSchema, body, 'deal edit');
      for (let attempt = 0; ; attempt++) {
        const [record] = await deals().findByIds(integration.crmOrgId, [id]);
        if (!record || record.deleted) throw new OperationError('not_found', `no CRM deal ${id}`);
        const data: CrmDeal = {
          ...record.data,
          ...(edit.stage !== undefined && { Stage: edit.stage }),
          ...(edit.amount !== undefined && { Amount: edit.amount }),
          ...(edit.owner && { Owner: edit.owner }),
          ...(edit.account && { Account_Name: edit.account }),
          ...(edit.contact && { Contact_Name: edit.contact }),
        };
        const patched = await writing(() =>
          deals().patchMany(integration.crmOrgId, [
            { id, expectedModifiedTime: record.modifiedTime, base: record.data, data },
          ]),
        );
        if (patched.stale.length > 0 && attempt < 3) continue;
        if (patched.stale.length > 0)
          throw new OperationError('conflict', `deal ${id} keeps changing; try again`);
        const written = patched.updated > 0 ? 'updated' : 'unchanged';
        return { dealId: id, workflowId: await signalDeal(deps, integration, id, 'api'), written };
      }
    },

    /** A deal with its documents, decisions and running workflow. Read-only. */
    async deal(raw, dealId) {
      const integration = await integrationOf(raw);
      const id = parseRequest(IdSchema, dealId, 'deal id');
      const [record] = await deals().findByIds(integration.crmOrgId, [id]);
      if (!record) throw new OperationError('not_found', `no CRM deal ${id}`);
      const { Deal_Name, Stage, Amount, Owner, Account_Name, Contact_Name } = record.data;
      const workflowId = dealStart(integration, id).workflowId;
      const [documents, decisions, workflow] = await Promise.all([
        deps.dealStore.documentsOfDeal(integration.crmOrgId, id),
        deps.dealStore.listDealDecisions(integration.crmOrgId, id),
        progressOf(workflowId),
      ]);
      return {
        dealId: id,
        workflowId,
        deal: { Deal_Name, Stage, Amount, Owner, Account_Name, Contact_Name },
        documents,
        decisions,
        workflow,
      };
    },

    /** The integration's decision records, newest first. Read-only. */
    async decisions(raw, query = {}) {
      const integration = await integrationOf(raw);
      const { limit } = parseRequest(DecisionsQuerySchema, query, 'query');
      return deps.dealStore.listIntegrationDecisions(integration._id, limit);
    },
  };
}

/**
 * Signals-with-start the workflow of one deal changed: it reads the deal as it is then, so duplicated or
 * reordered notices converge on the latest state. Idempotent.
 */
async function signalDeal(
  deps: Pick<DealOperationsDeps, 'temporal' | 'taskQueue'>,
  integration: IntegrationDoc,
  dealId: string,
  source: DealChange['source'],
): Promise<string> {
  const options = dealSignalWithStart(integration, dealId, source, deps.taskQueue);
  await deps.temporal.workflow.signalWithStart(DEAL_AUTOMATION_WORKFLOW, options);
  return options.workflowId;
}

/**
 * The CRM webhook's part for deals (S5): a notification of inserts or updates of Deals (or Potentials, the
 * API's older name) signals each deal's workflow once, however often the notification names it. Deletes
 * trigger nothing. Returns how many deals were signalled (0 for any other module). Idempotent.
 */
export async function signalNotifiedDeals(
  deps: Pick<DealOperationsDeps, 'temporal' | 'taskQueue'>,
  integration: IntegrationDoc,
  note: { module: string; operation: string; ids: readonly string[] },
): Promise<number> {
  if (!DEAL_MODULES.includes(note.module) || note.operation === 'delete') return 0;
  return signalEachNamed(note.ids, (id) => signalDeal(deps, integration, id, 'webhook'));
}

/** The deal operations of `ops`; refused as unavailable where the composition root did not provide them. */
export function dealsOf(ops: { deals?: DealOperations | undefined }): DealOperations {
  return operationGroup(ops, 'deals', 'deal');
}

/** The routes of the deal operations (README "HTTP API"). */
export const DEAL_ROUTES: readonly Route[] = [
  {
    method: 'GET',
    path: integrationPath('deals', 'rules'),
    body: 'none',
    query: [],
    handle: (ops, { params }) => dealsOf(ops).rules(integrationRefOf(params)),
  },
  {
    method: 'PUT',
    path: integrationPath('deals', 'rules'),
    body: 'object',
    query: [],
    handle: (ops, { params, body }) => dealsOf(ops).setRules(integrationRefOf(params), body),
  },
  {
    method: 'GET',
    path: integrationPath('deals', 'decisions'),
    body: 'none',
    query: ['limit'],
    handle: (ops, { params, query }) => dealsOf(ops).decisions(integrationRefOf(params), query),
  },
  {
    method: 'POST',
    path: integrationPath('deals'),
    body: 'object',
    query: [],
    status: 202,
    handle: (ops, { params, body }) =>
      dealsOf(ops).writeDeal(integrationRefOf(params), body as WriteDealInput),
  },
  {
    method: 'POST',
    path: integrationPath('deals', ':dealId', 'changes'),
    body: 'object',
    query: [],
    status: 202,
    handle: (ops, { params, body }) =>
      dealsOf(ops).editDeal(integrationRefOf(params), params.dealId!, body as EditDealInput),
  },
  {
    method: 'GET',
    path: integrationPath('deals', ':dealId'),
    body: 'none',
    query: [],
    handle: (ops, { params }) => dealsOf(ops).deal(integrationRefOf(params), params.dealId!),
  },
];
