import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { z } from 'zod';
import { documentPollerWorkflowId } from '../domain/ids';
import { DOCUMENT_MODULES, type CrmFinanceModule } from '../domain/sync/documents';
import { documentStart } from '../domain/sync/documents/workflow-start';
import { integrationIdOf, type IntegrationDoc } from '../domain/sync-state-schemas';
import type { CrmStore } from '../stores/crm-store';
import { InvalidRecordsError } from '../stores/record-collection';
import type { SyncStateStore } from '../stores/sync-state-store';
import type { documentPollerWorkflow } from '../workflows/document-poller';
import type { documentSyncWorkflow } from '../workflows/document-sync';
import {
  documentChangedSignal,
  documentProgressQuery,
  type DocumentChange,
  type DocumentProgress,
} from '../workflows/messages';
import type { Route } from './http';
import { integrationPath, integrationRefOf } from './route-paths';
import { refuseFinanceModuleWrite } from './sandbox';
import { IntegrationRefSchema, OperationError, parseRequest, type IntegrationRef } from './types';

/*
 * CRM finance documents as operations (issue 16): write one through the CRM store and signal its workflow at
 * once (signal-with-start), read where it stands, and start the integration's poller, which catches the
 * documents written into the store by other means. The same operations back the HTTP routes below, the CLI
 * (`crm-books-sync documents …`) and the typed client.
 */

const ModuleSchema = z.enum(DOCUMENT_MODULES as [CrmFinanceModule, ...CrmFinanceModule[]]);
const IdSchema = z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, "letters, digits, '.', '_', ':' or '-'");

export const WriteDocumentInputSchema = z.strictObject({
  module: ModuleSchema,
  /** The document in the CRM API's shape, its `id` included. */
  record: z.looseObject({ id: IdSchema }),
});
export type WriteDocumentInput = z.input<typeof WriteDocumentInputSchema>;

export interface WriteDocumentResult {
  crmId: string;
  module: CrmFinanceModule;
  /** The document workflow signalled (started when none ran). */
  workflowId: string;
  written: 'inserted' | 'updated' | 'unchanged';
}

export interface DocumentView {
  crmId: string;
  module: CrmFinanceModule;
  workflowId: string;
  /** What the CRM copy shows of Books (S9.3). */
  crm: {
    Status?: unknown;
    Books_Id?: unknown;
    Grand_Total?: unknown;
    Balance?: unknown;
    Payment_Made?: unknown;
  };
  /** The Books document it is linked to, once pushed. */
  booksId: string | null;
  /** The workflow's progress while it runs; null once it completed. */
  workflow: DocumentProgress | null;
}

export interface DocumentOperations {
  writeDocument(ref: IntegrationRef, input: WriteDocumentInput): Promise<WriteDocumentResult>;
  document(ref: IntegrationRef, module: string, crmId: string): Promise<DocumentView>;
  startPoller(ref: IntegrationRef): Promise<{ workflowId: string; started: boolean }>;
}

export interface DocumentOperationsDeps {
  temporal: Client;
  taskQueue: string;
  syncState: SyncStateStore;
  crm: CrmStore;
}

export function createDocumentOperations(deps: DocumentOperationsDeps): DocumentOperations {
  async function integrationOf(raw: IntegrationRef): Promise<IntegrationDoc> {
    const ref = parseRequest(IntegrationRefSchema, raw, 'integration');
    const id = integrationIdOf(ref.crmOrgId, ref.booksOrgId, ref.environment);
    const doc = await deps.syncState.getIntegration(id);
    if (!doc) throw new OperationError('not_found', `no integration ${id}`);
    if (!doc.config.transactionSync)
      throw new OperationError('conflict', `transaction sync is off on integration ${id} (S4.1)`);
    return doc;
  }

  async function startPoller(integration: IntegrationDoc) {
    const workflowId = documentPollerWorkflowId(integration._id);
    try {
      await deps.temporal.workflow.start<typeof documentPollerWorkflow>('documentPollerWorkflow', {
        taskQueue: deps.taskQueue,
        workflowId,
        args: [{ integrationId: integration._id }],
        searchAttributes: { CrmOrg: [integration.crmOrgId], BooksOrg: [integration.booksOrgId] },
      });
      return { workflowId, started: true };
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return { workflowId, started: false };
      throw err;
    }
  }

  return {
    /**
     * Writes the document into the CRM store (validated: an invalid record is refused with its fields and
     * nothing is written) and signals-with-start its workflow. Idempotent: the same record again writes
     * nothing, and its push is a no-op.
     */
    async writeDocument(raw, body) {
      const integration = await integrationOf(raw);
      const input = parseRequest(WriteDocumentInputSchema, body, 'document');
      await refuseFinanceModuleWrite(deps.crm, integration.crmOrgId, input.module);
      let written: WriteDocumentResult['written'];
      try {
        const result = await deps.crm
          .module(input.module)
          .upsertMany(integration.crmOrgId, [{ id: input.record.id, data: input.record as never }]);
        written = result.inserted > 0 ? 'inserted' : result.updated > 0 ? 'updated' : 'unchanged';
      } catch (err) {
        if (err instanceof InvalidRecordsError)
          throw new OperationError(
            'invalid',
            err.message,
            err.failures.map((f) => `${f.field}: ${f.reason}`),
          );
        throw err;
      }
      const start = documentStart(integration, input.module, input.record.id);
      await deps.temporal.workflow.signalWithStart<typeof documentSyncWorkflow, [DocumentChange]>(
        'documentSyncWorkflow',
        {
          taskQueue: deps.taskQueue,
          workflowId: start.workflowId,
          args: start.args,
          signal: documentChangedSignal,
          signalArgs: [{ source: 'api' }],
          searchAttributes: start.searchAttributes,
        },
      );
      return { crmId: input.record.id, module: input.module, workflowId: start.workflowId, written };
    },

    /** Where a document stands: its CRM copy's Books figures, its link, and its workflow if running. */
    async document(raw, module, crmId) {
      const integration = await integrationOf(raw);
      const crmModule = parseRequest(ModuleSchema, module, 'module');
      const id = parseRequest(IdSchema, crmId, 'document id');
      const [record] = await deps.crm.module(crmModule).findByIds(integration.crmOrgId, [id]);
      if (!record) throw new OperationError('not_found', `no CRM ${crmModule} record ${id}`);
      const start = documentStart(integration, crmModule, id);
      const data = record.data as Record<string, unknown>;
      const entity = DOCUMENT_ENTITY[crmModule];
      const [link] = await deps.syncState.findLinksByCrmIds(integration._id, entity, [id]);
      return {
        crmId: id,
        module: crmModule,
        workflowId: start.workflowId,
        crm: {
          Status: data.Status,
          Books_Id: data.Books_Id,
          Grand_Total: data.Grand_Total,
          Balance: data.Balance,
          Payment_Made: data.Payment_Made,
        },
        booksId: link?.booksId ?? null,
        workflow: await progressOf(start.workflowId),
      };
    },

    /** Starts the integration's poller unless it runs. Idempotent. */
    async startPoller(raw) {
      return startPoller(await integrationOf(raw));
    },
  };

  async function progressOf(workflowId: string): Promise<DocumentProgress | null> {
    try {
      const handle = deps.temporal.workflow.getHandle(workflowId);
      const { status } = await handle.describe();
      return status.name === 'RUNNING' ? await handle.query(documentProgressQuery) : null;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return null;
      throw err;
    }
  }
}

const DOCUMENT_ENTITY = {
  Quotes: 'estimate',
  Sales_Orders: 'salesorder',
  Invoices: 'invoice',
  Purchase_Orders: 'purchaseorder',
} as const satisfies Record<CrmFinanceModule, string>;

/** The document operations of `ops`; refused as unavailable where the composition root did not provide them. */
export function documentsOf(ops: { documents?: DocumentOperations | undefined }): DocumentOperations {
  if (!ops.documents)
    throw new OperationError('unavailable', 'the document operations are not configured here');
  return ops.documents;
}

/** The routes of the document operations (README "HTTP API"). */
export const DOCUMENT_ROUTES: readonly Route[] = [
  {
    method: 'POST',
    path: integrationPath('documents'),
    body: 'object',
    query: [],
    status: 202,
    handle: (ops, { params, body }) =>
      documentsOf(ops).writeDocument(integrationRefOf(params), body as WriteDocumentInput),
  },
  {
    method: 'GET',
    path: integrationPath('documents', ':module', ':crmId'),
    body: 'none',
    query: [],
    handle: (ops, { params }) =>
      documentsOf(ops).document(integrationRefOf(params), params.module!, params.crmId!),
  },
  {
    method: 'POST',
    path: integrationPath('documents', 'poller'),
    body: 'optional',
    query: [],
    handle: (ops, { params }) => documentsOf(ops).startPoller(integrationRefOf(params)),
  },
];
