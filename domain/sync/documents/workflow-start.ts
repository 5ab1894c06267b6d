import { documentPollerWorkflowId, documentSyncWorkflowId } from '../../ids';
import type { CrmFinanceModule } from './spec';

/*
 * How a change of a finance document reaches its workflow: one signal-with-start, the same from the API and
 * the CRM webhook (api/documents.ts) and from the poller's activity (activities/documents/poll.ts), which
 * reach Temporal by names only (activities import no workflow code). The poller is started the same way.
 */

export const DOCUMENT_SYNC_WORKFLOW = 'documentSyncWorkflow';
export const DOCUMENT_CHANGED_SIGNAL = 'documentChanged';
export const DOCUMENT_POLLER_WORKFLOW = 'documentPollerWorkflow';
export const DOCUMENT_POLLER_WAKE_SIGNAL = 'documentPollerWake';

/** Where a change was seen (workflows/document-messages.ts DocumentChange). */
export type DocumentChangeSource = 'api' | 'poller' | 'webhook' | 'books';

type IntegrationNames = { _id: string; crmOrgId: string; booksOrgId: string; environment: string };

export interface DocumentStart {
  workflowId: string;
  args: [
    {
      integrationId: string;
      crmModule: CrmFinanceModule;
      crmId: string;
      /** A start for a Books change: read the Books document back, push nothing. */
      wokenBy?: 'books';
      booksId?: string;
    },
  ];
  /** What the Temporal UI filters the document workflows on (domain/search-attributes.ts). */
  searchAttributes: Record<string, string[]>;
}

/** The signal-with-start of one document of an integration. */
export function documentStart(
  integration: IntegrationNames,
  crmModule: CrmFinanceModule,
  crmId: string,
): DocumentStart {
  return {
    workflowId: documentSyncWorkflowId(integration.crmOrgId, crmModule, crmId),
    args: [{ integrationId: integration._id, crmModule, crmId }],
    searchAttributes: {
      CrmOrg: [integration.crmOrgId],
      BooksOrg: [integration.booksOrgId],
      SyncEnv: [integration.environment],
      SyncModule: [crmModule],
      SyncStatus: ['pushing'],
    },
  };
}

/**
 * The options of signalWithStart(DOCUMENT_SYNC_WORKFLOW, …) for a change seen at `source`. A Books change
 * names its Books document, so a workflow it starts reads it back instead of pushing.
 */
export function documentSignalWithStart(
  integration: IntegrationNames,
  crmModule: CrmFinanceModule,
  crmId: string,
  source: DocumentChangeSource,
  taskQueue: string,
  booksId?: string,
  /** The CRM record's modifiedTime (ISO) the change is of, when known: a workflow that pushed it lets it go. */
  version?: string,
) {
  const start = documentStart(integration, crmModule, crmId);
  const [args] = start.args;
  return {
    workflowId: start.workflowId,
    taskQueue,
    args: [
      source === 'books' && booksId !== undefined ? { ...args, wokenBy: 'books' as const, booksId } : args,
    ],
    signal: DOCUMENT_CHANGED_SIGNAL,
    signalArgs: [{ source, ...(version !== undefined && { version }) }],
    searchAttributes: start.searchAttributes,
  };
}

/** The options of signalWithStart(DOCUMENT_POLLER_WORKFLOW, …): starts the poller, or wakes the one running. */
export function pollerSignalWithStart(integration: IntegrationNames, taskQueue: string) {
  return {
    workflowId: documentPollerWorkflowId(integration._id),
    taskQueue,
    args: [{ integrationId: integration._id }],
    signal: DOCUMENT_POLLER_WAKE_SIGNAL,
    signalArgs: [] as [],
    searchAttributes: { CrmOrg: [integration.crmOrgId], BooksOrg: [integration.booksOrgId] },
  };
}
