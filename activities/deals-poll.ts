import { Context } from '@temporalio/activity';
import { DEAL_AUTOMATION_WORKFLOW, dealSignalWithStart } from '../domain/deals/workflow-start';
import type { DeltaCursor, IntegrationDoc } from '../domain/sync-state-schemas';
import type { RecordCollection, StoredRecord } from '../stores/record-store';
import type { DealDeps } from './deals';
import { signalAll, walkDelta } from './documents/poll';

/*
 * The poller's part for deals (issue 17): a deal written straight into the CRM store — by no API call and no
 * webhook — reaches its workflow at most a poll interval late. It walks the Deals delta as the document poll
 * walks the finance modules (same cursors, same settle rule), and leaves out a deal whose version a decision
 * already read: a deal edited through the API was signalled then, and deciding it again would only add a
 * "not fired" record.
 */

type Data = Record<string, unknown>;

export interface PollDealChangesInput {
  integrationId: string;
  /** Deals read per poll at most; the rest wait for the next poll. */
  limit?: number;
}

export interface PollDealChangesResult {
  /** Whether deals are polled at all: the integration exists, is not disabled and has an enabled rule. */
  polling: boolean;
  /** Deal workflows signalled. */
  signalled: number;
  /** Deals changed whose version was decided on already. */
  decided?: number;
}

const DEFAULT_LIMIT = 10_000;

/** Signals (with start) the workflow of every deal changed since the last poll and not decided on. */
export async function pollDealChanges(
  deps: DealDeps,
  input: PollDealChangesInput,
): Promise<PollDealChangesResult> {
  const integration = await deps.syncState.getIntegration(input.integrationId);
  const rules = await deps.dealStore.getRulesDoc(input.integrationId);
  if (!integration || integration.status === 'disabled' || !rules?.rules.some((r) => r.enabled))
    return { polling: false, signalled: 0 };
  // Paused: the cursor stays where it is, so what changes meanwhile is signalled on resume.
  if (integration.status !== 'active') return { polling: true, signalled: 0 };
  const tally = { signalled: 0, decided: 0 };
  await walkDelta(
    deps,
    integration,
    'deals',
    'crm_to_books',
    deps.crmStore.module('Deals') as unknown as RecordCollection<Data>,
    input.limit ?? DEFAULT_LIMIT,
    (page) => signalUndecided(deps, integration, page, tally),
    rulesSetAt(rules.updatedTime),
  );
  return { polling: true, signalled: tally.signalled, ...(tally.decided > 0 && { decided: tally.decided }) };
}

/**
 * Where the first poll of an integration's deals starts: when its rules were set. A deal last changed
 * before holds no change the rules were there to see; reading from the beginning would invoice every deal
 * ever won the moment an invoice rule is set.
 */
function rulesSetAt(time: Date): DeltaCursor {
  // " " sorts before every id (stores/delta.ts START_CURSOR): every deal stamped at `time` is read.
  return { modifiedTime: time.toISOString(), id: ' ' };
}

async function signalUndecided(
  deps: DealDeps,
  integration: IntegrationDoc,
  page: StoredRecord<Data>[],
  tally: { signalled: number; decided: number },
): Promise<void> {
  if (page.length === 0) return;
  const decided = await deps.dealStore.decidedVersions(
    integration.crmOrgId,
    page.map((r) => r.id),
  );
  const changed = page.filter((r) => (decided.get(r.id) ?? '') < r.modifiedTime.toISOString());
  tally.decided += page.length - changed.length;
  const ctx = Context.current();
  await signalAll(changed, async (deal) => {
    await ctx.client.workflow.signalWithStart(
      DEAL_AUTOMATION_WORKFLOW,
      dealSignalWithStart(
        integration,
        deal.id,
        'poller',
        ctx.info.taskQueue,
        deal.modifiedTime.toISOString(),
      ),
    );
  });
  tally.signalled += changed.length;
}
