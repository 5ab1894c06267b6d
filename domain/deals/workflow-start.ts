import { dealAutomationWorkflowId } from '../ids';

/*
 * How a deal change reaches its workflow: one signal-with-start, the same from the service's API
 * (api/deals.ts) and, once wired, from the CRM webhook and the poller, which reach Temporal by names only.
 */

export const DEAL_AUTOMATION_WORKFLOW = 'dealAutomationWorkflow';
export const DEAL_CHANGED_SIGNAL = 'dealChanged';

/** Where a deal change was noticed. */
export interface DealChange {
  source: 'api' | 'poller' | 'webhook';
}

export interface DealStart {
  workflowId: string;
  args: [{ integrationId: string; dealId: string }];
  /** What the Temporal UI filters the deal workflows on (domain/search-attributes.ts). */
  searchAttributes: Record<string, string[]>;
}

/** The signal-with-start of one deal of an integration. */
export function dealStart(
  integration: { _id: string; crmOrgId: string; booksOrgId: string; environment: string },
  dealId: string,
): DealStart {
  return {
    workflowId: dealAutomationWorkflowId(integration.crmOrgId, dealId),
    args: [{ integrationId: integration._id, dealId }],
    searchAttributes: {
      CrmOrg: [integration.crmOrgId],
      BooksOrg: [integration.booksOrgId],
      SyncEnv: [integration.environment],
      SyncModule: ['Deals'],
      SyncStatus: ['deciding'],
    },
  };
}
