import { documentSyncWorkflowId } from '../../ids';
import type { CrmFinanceModule } from './spec';

/*
 * How a change of a CRM finance document reaches its workflow: one signal-with-start, the same from the API
 * (api/documents.ts) and from the poller's activity (activities/documents/poll.ts), which reaches Temporal by
 * names only (activities import no workflow code).
 */

export const DOCUMENT_SYNC_WORKFLOW = 'documentSyncWorkflow';
export const DOCUMENT_CHANGED_SIGNAL = 'documentChanged';
export const DOCUMENT_POLLER_WORKFLOW = 'documentPollerWorkflow';
export const DOCUMENT_POLLER_WAKE_SIGNAL = 'documentPollerWake';

export interface DocumentStart {
  workflowId: string;
  args: [{ integrationId: string; crmModule: CrmFinanceModule; crmId: string }];
  /** What the Temporal UI filters the document workflows on (domain/search-attributes.ts). */
  searchAttributes: Record<string, string[]>;
}

/** The signal-with-start of one document of an integration. */
export function documentStart(
  integration: { _id: string; crmOrgId: string; booksOrgId: string; environment: string },
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
