import {
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { LoadDealFactsResult } from '../activities/deals';
import type { DealDecisionInput } from '../domain/deals/records';
import { dealOutcome, decideDeal, type DealDecision, type DealRule } from '../domain/deals/rules';
import { DEAL_CHANGED_SIGNAL, type DealChange } from '../domain/deals/workflow-start';
import { dependencyRunId } from '../domain/sync/documents/dependency-runs';
import { SMALL_STEP } from './activity-options';
import { syncDependencies } from './document-sync';

/** The deal changed (in the API, the CRM webhook or the store): decide again. */
export const dealChangedSignal = defineSignal<[DealChange]>(DEAL_CHANGED_SIGNAL);

/** The last decision of each rule: what the Temporal UI and `deals show` tell of the workflow. */
export interface DealRuleOutcome {
  ruleId: string;
  action: DealDecision['action'];
  fired: boolean;
  reason: string;
}

export interface DealProgress {
  phase: 'deciding' | 'syncing_customer' | 'waiting' | 'finished';
  stage: string | null;
  probability: number | null;
  evaluations: number;
  changes: number;
  /** Signals let go because the deal's version they named had been read already (DealChange.version). */
  staleChanges?: number;
  /** Why no rule could be evaluated (no rules, the deal deleted, the integration paused), else null. */
  unavailable: string | null;
  last: DealRuleOutcome[];
}

export const dealProgressQuery = defineQuery<DealProgress>('dealProgress');

export interface DealAutomationInput {
  integrationId: string;
  dealId: string;
  /** Completes after this long with no change (default 1 day); a later change starts it again. */
  quietPeriodMs?: number;
  /**
   * How long a burst of changes is let settle before deciding (default 250 ms): won → lost → won is one. The
   * first change of a run is decided at once (its latency is the user's wait); only later ones settle.
   */
  settleMs?: number;
  /** Set by continue-as-new. */
  carried?: { pending: boolean; lastChangeAt: number; progress: DealProgress; readVersion?: string };
}

export interface DealAutomationResult {
  /** `closed`: the deal is won or lost and nothing is pending; `idle`: the quiet period passed. */
  ended: 'closed' | 'idle';
  progress: DealProgress;
}

const DEFAULT_QUIET_MS = 24 * 3600_000;
const DEFAULT_SETTLE_MS = 250;
/** Decide → act rounds per evaluation: a quote created, approved, then invoiced is three. */
const MAX_PASSES = 6;
const LOOPS_PER_EXECUTION = 100;

/**
 * The deal's activities are a few point reads and writes each, so they run as local activities: in the
 * worker that runs the workflow task, recorded as markers, without a task queue round trip through the
 * server per step. At 5 won deals a second that round trip, not the work, was what queued deals up. A
 * local activity that outlives its timeout is retried by the worker like any other; every one of them is
 * idempotent (reads, a business-key claim, a decision keyed by the evaluation). Histories from before
 * scheduled them as activities, and keep doing so.
 */
function activity<K extends keyof Activities>(name: K, summary: string): Activities[K] {
  if (patched('deal-local-activities'))
    return proxyLocalActivities<Activities>({ ...SMALL_STEP, summary })[name];
  return proxyActivities<Activities>({ ...SMALL_STEP, summary })[name];
}

/** Keeps SyncStatus current when the starter registered it (as the API does). */
function label(status: string): void {
  if (workflowInfo().searchAttributes?.SyncStatus === undefined) return;
  upsertSearchAttributes({ SyncStatus: [status] });
}

/**
 * One CRM deal's automation (issue 17, S5), id `deal/{crmOrg}/{dealId}`: started or signalled with
 * signal-with-start on every change of the deal. Each change is decided by domain/deals/rules.ts on facts read
 * fresh from the stores, acted on in Books, and recorded (fired or not). Completes when the deal is won or
 * lost with nothing left to do, or after a quiet period. Deterministic.
 */
export async function dealAutomationWorkflow(input: DealAutomationInput): Promise<DealAutomationResult> {
  const ref = { integrationId: input.integrationId, dealId: input.dealId };
  const { workflowId, runId } = workflowInfo();
  const quietMs = input.quietPeriodMs ?? DEFAULT_QUIET_MS;
  const settleMs = input.settleMs ?? DEFAULT_SETTLE_MS;
  let pending = input.carried?.pending ?? true;
  let lastChangeAt = input.carried?.lastChangeAt ?? Date.now();
  let dependencyRuns = 0;
  // A continued run decided already: its next change is a later one.
  let settleNext = input.carried !== undefined;
  const progress: DealProgress = input.carried?.progress ?? {
    phase: 'deciding',
    stage: null,
    probability: null,
    evaluations: 0,
    changes: 0,
    unavailable: null,
    last: [],
  };
  // The deal's latest version an evaluation read (its modifiedTime, ISO): a signal naming it or an older one
  // brings nothing new. Histories from before decide on every signal.
  let readVersion = input.carried?.readVersion;
  const versioned = patched('deal-signal-versions');
  setHandler(dealProgressQuery, () => progress);
  setHandler(dealChangedSignal, (change) => {
    if (versioned && isReadAlready(change, readVersion)) {
      progress.staleChanges = (progress.staleChanges ?? 0) + 1;
      return;
    }
    pending = true;
    progress.changes++;
  });
  const show = () => setCurrentDetails(dealDetails(input.dealId, progress));

  for (let loops = 0; ; loops++) {
    let closed = false;
    if (pending) {
      // Correctness never rested on the settle (each decision reads fresh facts, the business key dedupes):
      // it only saves evaluations, so the first change goes without it. Histories from before settle first.
      if (settleNext || !patched('deal-decide-at-once')) await settle();
      settleNext = true;
      pending = false;
      lastChangeAt = Date.now();
      closed = await evaluate();
      progress.phase = 'waiting';
      show();
    }
    if (closed || Date.now() - lastChangeAt >= quietMs) {
      // A change arriving while it ends is decided, not dropped.
      await condition(allHandlersFinished);
      if (!pending) return finish(closed ? 'closed' : 'idle');
      continue;
    }
    if (loops >= LOOPS_PER_EXECUTION || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof dealAutomationWorkflow>({
        ...input,
        carried: { pending, lastChangeAt, progress, ...(readVersion && { readVersion }) },
      });
    }
    await condition(() => pending, Math.max(1, quietMs - (Date.now() - lastChangeAt)));
  }

  /** Waits until no change arrived for settleMs, so a burst is decided once on its last state. */
  async function settle(): Promise<void> {
    if (settleMs <= 0) return;
    for (;;) {
      pending = false;
      if (!(await condition(() => pending, settleMs))) return;
    }
  }

  /** Decides and acts until no rule fires; whether the deal is closed with nothing left to do. */
  async function evaluate(): Promise<boolean> {
    progress.evaluations++;
    progress.phase = 'deciding';
    label('deciding');
    show();
    let customerSynced = false;
    for (let pass = 0; pass < MAX_PASSES; pass++) {
      const facts = await activity(
        'loadDealFacts',
        `Read deal ${input.dealId}, its pipeline and documents`,
      )(ref);
      if (!facts.ok) {
        progress.unavailable = facts.reason;
        label('unavailable');
        return true;
      }
      progress.unavailable = null;
      if (facts.dealModifiedTime && !isReadAlready({ version: facts.dealModifiedTime }, readVersion))
        readVersion = facts.dealModifiedTime;
      progress.stage = facts.deal.stage;
      progress.probability = facts.deal.probability;
      if (!customerSynced && facts.customerTargets.length > 0 && wouldCreate(facts)) {
        customerSynced = true;
        await syncCustomer(facts);
        continue;
      }
      const fired = await decideAll(facts, pass);
      if (!fired) return dealOutcome(facts.deal.probability) !== 'open';
    }
    return false;
  }

  /** Brings the deal's customer to Books by a targeted sync run, as the document workflow does (S9.2). */
  async function syncCustomer(facts: Extract<LoadDealFactsResult, { ok: true }>): Promise<void> {
    progress.phase = 'syncing_customer';
    show();
    dependencyRuns++;
    await syncDependencies(
      input.integrationId,
      facts.customerTargets,
      dependencyRunId(workflowId, runId, dependencyRuns),
    );
  }

  /** Each rule's decision, acted on and recorded; whether any fired. */
  async function decideAll(
    facts: Extract<LoadDealFactsResult, { ok: true }>,
    pass: number,
  ): Promise<boolean> {
    let anyFired = false;
    const outcomes: DealRuleOutcome[] = [];
    for (const rule of facts.rules) {
      const decided = decideDeal({ deal: facts.deal, rule, documents: facts.documents[rule.id] ?? {} });
      const decision = decided.fired ? await act(rule, decided) : decided;
      anyFired ||= decision.fired;
      outcomes.push({
        ruleId: rule.id,
        action: decision.action,
        fired: decision.fired,
        reason: decision.reason,
      });
      // The first pass records every rule; later passes are the same change's follow-ups, recorded when they act.
      if (pass === 0 || decision.fired) await record(facts, rule, decision, pass);
    }
    progress.last = outcomes;
    label(anyFired ? 'fired' : 'not_fired');
    return anyFired;
  }

  async function act(rule: DealRule, decision: DealDecision): Promise<DealDecision> {
    if (decision.action === 'none') return decision;
    const done = await activity(
      'applyDealAction',
      `${decision.action.replace('_', ' ')} for deal ${input.dealId} (rule ${rule.id})`,
    )({ ...ref, ruleId: rule.id, action: decision.action });
    if (!done.ok) return { ...decision, fired: false, reason: `not fired: ${done.reason}` };
    const { kind, booksId, number } = done.document;
    return { ...decision, document: { kind, booksId, number } };
  }

  async function record(
    facts: Extract<LoadDealFactsResult, { ok: true }>,
    rule: DealRule,
    decision: DealDecision,
    pass: number,
  ): Promise<void> {
    const docs = facts.documents[rule.id] ?? {};
    const seen = [
      docs.quote && `quote ${docs.quote.number} ${docs.quote.status}`,
      docs.invoice && `invoice ${docs.invoice.number} ${docs.invoice.status}`,
    ].filter((s): s is string => typeof s === 'string');
    const record: DealDecisionInput = {
      _id: `${workflowId}|${runId}|${progress.evaluations}.${pass}|${rule.id}`,
      integrationId: input.integrationId,
      crmOrgId: facts.crmOrgId,
      dealId: input.dealId,
      ruleId: rule.id,
      decidedTime: new Date(Date.now()).toISOString(),
      inputs: {
        stage: facts.deal.stage,
        probability: facts.deal.probability,
        amount: facts.deal.amount,
        accountId: facts.deal.accountId,
        contactId: facts.deal.contactId,
        documents: seen.length > 0 ? seen.join(', ') : null,
        ...(facts.dealModifiedTime && { modifiedTime: facts.dealModifiedTime }),
      },
      action: decision.action,
      fired: decision.fired,
      reason: decision.reason,
      ...(decision.document && { document: decision.document }),
    };
    await activity(
      'recordDealDecision',
      `Record rule ${rule.id}: ${decision.fired ? decision.action : 'not fired'}`,
    )(record);
  }

  function finish(ended: DealAutomationResult['ended']): DealAutomationResult {
    progress.phase = 'finished';
    show();
    return { ended, progress };
  }
}

/** Whether some rule would create a document now: only then is the customer worth a sync run. */
function wouldCreate(facts: Extract<LoadDealFactsResult, { ok: true }>): boolean {
  return facts.rules.some((rule) => {
    const decision = decideDeal({
      deal: { ...facts.deal, customer: { booksId: 'pending-sync' } },
      rule,
      documents: facts.documents[rule.id] ?? {},
    });
    return decision.action === 'create_quote' || decision.action === 'create_invoice';
  });
}

/** What the Temporal UI shows of the deal (its current details): the stage and each rule's last decision. */
function dealDetails(dealId: string, p: DealProgress): string {
  const lines = [
    `**Deal ${dealId}** at ${p.stage ?? '—'} (probability ${p.probability ?? '—'}%)`,
    `Phase: ${p.phase}; evaluations ${p.evaluations}, changes ${p.changes}`,
    ...(p.unavailable ? [`- not evaluated: ${p.unavailable}`] : []),
    ...p.last.map((o) => `- rule ${o.ruleId}: ${o.fired ? `**${o.action}**` : 'not fired'} — ${o.reason}`),
  ];
  return lines.join('\n\n');
}

/** Whether a change names a version of the deal no later than the one read already (ISO times sort). */
function isReadAlready(
  change: Pick<DealChange, 'version'> | undefined,
  readVersion: string | undefined,
): boolean {
  return change?.version !== undefined && readVersion !== undefined && change.version <= readVersion;
}
