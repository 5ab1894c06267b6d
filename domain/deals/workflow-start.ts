import { dealAutomationWorkflowId } from '../ids';

/*
 * How a deal change reaches its workflow: one signal-with-start, the same from the service's API
 * (api/deals.ts), the CRM webhook (api/operations.ts) and the poller's activity (activities/deals-poll.ts),
 * which reach Temporal by names only (activities import no workflow code).
 */

export const DEAL_AUTOMATION_WORKFLOW = 'dealAutomationWorkflow';
export const DEAL_CHANGED_SIGNAL = 'dealChanged';

/** The CRM module names a deal notification may carry: `Potentials` is the API's older name of Deals. */
export const DEAL_MODULES: readonly string[] = ['Deals', 'Potentials'];

/** Where a deal change was noticed. */
export interface DealChange {
  source: 'api' | 'poller' | 'webhook';
  /**
   * The deal's `modifiedTime` (ISO) the sender saw, when it knows it (the poller does). A workflow that has
   * read this version or a later one lets the signal go: deciding the same version again only records "not
   * fired", and under a backlog every deal the poller finds still undecided would be decided twice.
   */
  version?: string;
}

type IntegrationNames = { _id: string; crmOrgId: string; booksOrgId: string; environment: string };

export interface DealStart {
  workflowId: string;
  args: [{ integrationId: string; dealId: string }];
  /** What the Temporal UI filters the deal workflows on (domain/search-attributes.ts). */
  searchAttributes: Record<string, string[]>;
}

/** The signal-with-start of one deal of an integration. */
export function dealStart(integration: IntegrationNames, dealId: string): DealStart {
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

/** The options of signalWithStart(DEAL_AUTOMATION_WORKFLOW, …) for a change of the deal seen at `source`. */
export function dealSignalWithStart(
  integration: IntegrationNames,
  dealId: string,
  source: DealChange['source'],
  taskQueue: string,
  version?: string,
) {
  const start = dealStart(integration, dealId);
  return {
    workflowId: start.workflowId,
    taskQueue,
    args: start.args,
    signal: DEAL_CHANGED_SIGNAL,
    signalArgs: [{ source, ...(version && { version }) }] as [DealChange],
    searchAttributes: start.searchAttributes,
  };
}
