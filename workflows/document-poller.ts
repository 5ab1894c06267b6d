import {
  allHandlersFinished,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  documentPollerQuery,
  documentPollerWakeSignal,
  type DocumentPollerProgress,
} from './document-messages';

export interface DocumentPollerInput {
  integrationId: string;
  /** Between two polls (default 5 s): how late a document written straight into the CRM store may be. */
  intervalMs?: number;
  /** Set when continuing as new: an earlier execution restored the CRM copies, and no wake came since. */
  copiesRestored?: boolean;
}

/** Polls per execution before continuing as new: each is an activity and a timer (about 6 events). */
const POLLS_PER_EXECUTION = 250;

const { pollDocumentChanges, pollDealChanges, restoreCrmCopies } = proxyActivities<Activities>({
  // One poll reads at most 10,000 records per module and signals each: a minute is ample, and it beats.
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/**
 * The deals' part of a poll (issue 17): whether the integration's deals are polled (it has deal rules), which
 * keeps the poller running with transaction sync off. Histories from before it poll no deals.
 */
async function pollDeals(integrationId: string, progress: DocumentPollerProgress): Promise<boolean> {
  if (!patched('poll-deals')) return false;
  const polled = await pollDealChanges({ integrationId });
  progress.dealsSignalled = (progress.dealsSignalled ?? 0) + polled.signalled;
  return polled.polling;
}

/**
 * The re-enable's restore (S4.4): before its first poll, and after each wake (an enable or a resume that found
 * the poller still running), the CRM finance copies a disable deleted are written back from their links, so
 * the poll that follows finds them live. Histories from before it restore nothing.
 */
async function restoreCopies(integrationId: string, progress: DocumentPollerProgress): Promise<void> {
  if (!patched('restore-crm-copies')) return;
  const { restored } = await restoreCrmCopies({ integrationId });
  progress.restored = (progress.restored ?? 0) + restored;
}

/**
 * The poller of one integration's CRM finance modules and deals (`txn-poller/{integrationId}`): a timer loop
 * over the delta index that signals-with-start the workflow of every document (S4.1) or deal (S5) changed,
 * for writes that came by no API call and no webhook. A workflow of its own rather than part of the
 * integration workflow: it polls every few seconds, which would flood the integration's history and its
 * replay tests, and it lives only while transaction sync is on or the integration has deal rules. The
 * integration workflow starts it (signal-with-start of the wake signal) when an enable or a configuration
 * switches transaction sync on, and `deals rules set` does when it sets an enabled rule; while the
 * integration is paused it polls without signalling. Ends when the integration is disabled, or has neither
 * transaction sync nor deal rules, unless woken meanwhile (a re-enable racing its last poll); continues as
 * new to keep its history short.
 */
export async function documentPollerWorkflow(input: DocumentPollerInput): Promise<DocumentPollerProgress> {
  const progress: DocumentPollerProgress = { polls: 0, signalled: 0 };
  let woken = false;
  let restoreDue = input.copiesRestored !== true;
  setHandler(documentPollerQuery, () => progress);
  setHandler(documentPollerWakeSignal, () => {
    woken = true;
    restoreDue = true;
  });
  for (;;) {
    woken = false;
    if (restoreDue) {
      restoreDue = false;
      await restoreCopies(input.integrationId, progress);
    }
    const polled = await pollDocumentChanges({ integrationId: input.integrationId });
    progress.polls++;
    progress.signalled += polled.signalled;
    progress.booksSignalled = (progress.booksSignalled ?? 0) + (polled.booksSignalled ?? 0);
    for (const [reason, n] of Object.entries(polled.leftOut ?? {}))
      progress.leftOut = { ...progress.leftOut, [reason]: (progress.leftOut?.[reason] ?? 0) + n };
    const deals = await pollDeals(input.integrationId, progress);
    // A wake since this poll began (transaction sync switched on again) outlives what the poll read.
    if (polled.stop && !deals && !woken) return progress;
    if (progress.polls >= POLLS_PER_EXECUTION || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof documentPollerWorkflow>({ ...input, copiesRestored: !restoreDue });
    }
    await sleep(input.intervalMs ?? 5_000);
  }
}
