import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { z } from 'zod';
import { documentPollerWorkflowId } from '../domain/ids';
import { DOCUMENT_MODULES, documentSpecOfModule, type CrmFinanceModule } from '../domain/sync/documents';
import type { DocumentHistoryEntry } from '../domain/sync/documents/history';
import {
  DOCUMENT_SYNC_WORKFLOW,
  documentSignalWithStart,
  documentStart,
} from '../domain/sync/documents/workflow-start';
import type { IntegrationDoc } from '../domain/sync-state-schemas';
import type { CrmStore } from '../stores/crm-store';
import { InvalidRecordsError } from '../stores/record-collection';
import type { SyncStateStore } from '../stores/sync-state-store';
import type { documentPollerWorkflow } from '../workflows/document-poller';
import { documentProgressQuery, type DocumentProgress } from '../workflows/messages';
import type { Route } from './http';
import { integrationPath, integrationRefOf } from './route-paths';
import { refuseFinanceModuleWrite } from './sandbox';
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
 * CRM finance documents as operations (issue 16): write one through the CRM store and signal its workflow at
 * once (signal-with-start), read where it stands, and start the integration's poller, which catches the
 * documents written into the store by other means. The same operations back the HTTP routes below, the CLI
 * (`crm-books-sync documents …`) and the typed client.
 */

const ModuleSchema = z.enum(DOCUMENT_MODULES as [CrmFinanceModule, ...CrmFinanceModule[]]);

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
  /**
   * Its sync history, newest last: pushes, dependency runs (by run id: they are not in the integration's
   * numbered history) and reads of Books, from the running workflow or, once it ended, from its memo.
   */
  history: DocumentHistoryEntry[];
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
    const doc = await requestedIntegration(deps.syncState, raw);
    if (!doc.config.transactionSync)
      throw new OperationError('conflict', `transaction sync is off on integration ${doc._id} (S4.1)`);
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
      const { workflowId } = await signalDocument(deps, integration, input.module, input.record.id, 'api');
      return { crmId: input.record.id, module: input.module, workflowId, written };
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
      const run = await workflowOf(start.workflowId);
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
        ...run,
      };
    },

    /** Starts the integration's poller unless it runs. Idempotent. */
    async startPoller(raw) {
      return startPoller(await integrationOf(raw));
    },
  };

  /** The document workflow's progress while it runs, and its history (kept in its memo once it ended). */
  async function workflowOf(
    workflowId: string,
  ): Promise<{ workflow: DocumentProgress | null; history: DocumentHistoryEntry[] }> {
    try {
      const handle = deps.temporal.workflow.getHandle(workflowId);
      const { status, memo } = await handle.describe();
      if (status.name !== 'RUNNING') return { workflow: null, history: historyOf(memo?.history) };
      const workflow = await handle.query(documentProgressQuery);
      return { workflow, history: workflow.history ?? [] };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return { workflow: null, history: [] };
      throw err;
    }
  }
}

/** The history a workflow wrote into its memo (plain JSON it wrote itself; anything else reads as none). */
function historyOf(memo: unknown): DocumentHistoryEntry[] {
  return Array.isArray(memo) ? (memo as DocumentHistoryEntry[]) : [];
}

/**
 * Signals-with-start the workflow of one CRM document changed (its push reads the record as it is then, so
 * duplicated or reordered notifications converge on the latest state). Idempotent.
 */
async function signalDocument(
  deps: Pick<DocumentOperationsDeps, 'temporal' | 'taskQueue'>,
  integration: IntegrationDoc,
  module: CrmFinanceModule,
  crmId: string,
  source: 'api' | 'webhook',
): Promise<{ workflowId: string }> {
  const options = documentSignalWithStart(integration, module, crmId, source, deps.taskQueue);
  await deps.temporal.workflow.signalWithStart(DOCUMENT_SYNC_WORKFLOW, options);
  return { workflowId: options.workflowId };
}

/**
 * The CRM webhook's part for finance documents (S4.1): a notification of inserts or updates in a finance
 * module of an integration with transaction sync on signals each document's workflow. Deletes are not
 * propagated (S3.8). Returns how many were signalled (0 for any other module). Idempotent.
 */
export async function signalNotifiedDocuments(
  deps: Pick<DocumentOperationsDeps, 'temporal' | 'taskQueue'>,
  integration: IntegrationDoc,
  note: { module: string; operation: string; ids: readonly string[] },
): Promise<number> {
  const spec = documentSpecOfModule(note.module);
  if (!spec || !integration.config.transactionSync || note.operation === 'delete') return 0;
  return signalEachNamed(note.ids, (id) => signalDocument(deps, integration, spec.crmModule, id, 'webhook'));
}

const DOCUMENT_ENTITY = {
  Quotes: 'estimate',
  Sales_Orders: 'salesorder',
  Invoices: 'invoice',
  Purchase_Orders: 'purchaseorder',
} as const satisfies Record<CrmFinanceModule, string>;

/** The document operations of `ops`; refused as unavailable where the composition root did not provide them. */
export function documentsOf(ops: { documents?: DocumentOperations | undefined }): DocumentOperations {
  return operationGroup(ops, 'documents', 'document');
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
