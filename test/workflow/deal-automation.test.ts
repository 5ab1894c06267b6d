import type { Activities } from '../../activities';
import type { ApplyDealActionInput, LoadDealFactsResult } from '../../activities/deals';
import type { DealDecisionInput } from '../../domain/deals/records';
import { DealRuleSchema, type DealDocumentFact, type DealRule } from '../../domain/deals/rules';
import { DEAL_AUTOMATION_WORKFLOW, DEAL_CHANGED_SIGNAL } from '../../domain/deals/workflow-start';
import { dealAutomationWorkflow } from '../../workflows';
import { dealChangedSignal, dealProgressQuery, type DealProgress } from '../../workflows/deal-automation';
import { unique, useTimeSkippingEnv } from '../helpers';

const suite = useTimeSkippingEnv();

type DealActivities = Pick<
  Activities,
  'loadDealFacts' | 'applyDealAction' | 'recordDealDecision' | 'prepareSyncRun' | 'syncStep' | 'finishSyncRun'
>;

/** Custom stage names: only the probabilities say won and lost. */
const PROBABILITY: Record<string, number> = {
  Sprout: 10,
  'Offer out': 60,
  Handshake: 90,
  Harvest: 100,
  Withered: 0,
};

/** The stores as the fake activities see them: one deal, its Books documents, the decisions written. */
interface World {
  stage: string;
  /** The deal's modifiedTime (ISO): what a poller's signal names. */
  version: string;
  rules: DealRule[];
  customerInBooks: boolean;
  quoteToInvoice: boolean;
  /** Books documents by business key (rule|kind): the one-per-deal-and-rule guarantee of the real store. */
  books: Map<string, DealDocumentFact>;
  decisions: DealDecisionInput[];
  calls: string[];
}

function world(patch: Partial<World> = {}): World {
  return {
    stage: 'Sprout',
    version: '2026-12-07T10:00:00.000Z',
    rules: [DealRuleSchema.parse({ id: 'r1', mode: 'invoice' })],
    customerInBooks: true,
    quoteToInvoice: true,
    books: new Map(),
    decisions: [],
    calls: [],
    ...patch,
  };
}

const STATUS_OF: Record<string, string> = {
  approve_quote: 'accepted',
  decline_quote: 'declined',
  void_invoice: 'void',
};

function fakeActivities(w: World): DealActivities {
  const docsOf = (ruleId: string) => ({
    ...(w.books.has(`${ruleId}|estimate`) && { quote: w.books.get(`${ruleId}|estimate`)! }),
    ...(w.books.has(`${ruleId}|invoice`) && { invoice: w.books.get(`${ruleId}|invoice`)! }),
  });
  return {
    async loadDealFacts(): Promise<LoadDealFactsResult> {
      w.calls.push(`load ${w.stage}`);
      return {
        ok: true,
        crmOrgId: 'crm1',
        deal: {
          dealId: 'd1',
          dealName: 'Big deal',
          stage: w.stage,
          probability: PROBABILITY[w.stage] ?? null,
          amount: 500,
          accountId: 'a1',
          contactId: null,
          customerModule: 'accounts',
          customer: { booksId: w.customerInBooks ? 'cust1' : null },
          quoteToInvoice: w.quoteToInvoice,
        },
        dealModifiedTime: w.version,
        rules: w.rules,
        documents: Object.fromEntries(w.rules.map((r) => [r.id, docsOf(r.id)])),
        customerTargets: w.customerInBooks
          ? []
          : [{ kind: 'account', direction: 'crm_to_books', ids: ['a1'] }],
      };
    },
    async applyDealAction(input: ApplyDealActionInput) {
      w.calls.push(input.action);
      const kind = input.action.endsWith('quote') ? 'estimate' : 'invoice';
      const key = `${input.ruleId}|${kind}`;
      const existing = w.books.get(key);
      const status = STATUS_OF[input.action];
      if (status === undefined) {
        const doc = existing ?? {
          booksId: `b-${key}`,
          number: kind === 'estimate' ? 'QT-1' : 'INV-1',
          status: 'draft',
        };
        w.books.set(key, doc);
        return { ok: true, document: { kind, ...doc }, created: !existing };
      }
      if (!existing) return { ok: false, reason: 'no document' };
      w.books.set(key, { ...existing, status });
      return { ok: true, document: { kind, ...existing, status }, created: false };
    },
    async recordDealDecision(input) {
      if (!w.decisions.some((d) => d._id === input._id)) w.decisions.push(input);
      return { recorded: true };
    },
    async prepareSyncRun(input) {
      w.calls.push(`sync ${input.targets?.map((t) => t.ids.join(',')).join(' ')}`);
      w.customerInBooks = true;
      return { ok: true, steps: [{ kind: 'account', direction: 'crm_to_books', ids: ['a1'] }] };
    },
    async syncStep() {
      return { next: null, counts: {}, records: 1 } as unknown as Awaited<ReturnType<Activities['syncStep']>>;
    },
    async finishSyncRun() {
      return { status: 'completed', counts: {}, failureCount: 0 };
    },
  };
}

const ARGS = { integrationId: 'crm1/books1/production', dealId: 'd1', quietPeriodMs: 3600_000 };

async function change(workflowId: string, taskQueue: string, version?: string) {
  return suite.env.client.workflow.signalWithStart(dealAutomationWorkflow, {
    workflowId,
    taskQueue,
    args: [ARGS],
    signal: dealChangedSignal,
    signalArgs: [version ? { source: 'poller', version } : { source: 'api' }],
  });
}

const fired = (w: World) => w.decisions.filter((d) => d.fired).map((d) => d.action);

describe('dealAutomationWorkflow (time-skipping)', () => {
  it('is signalled-with-start by the names the API uses', () => {
    expect(dealAutomationWorkflow.name).toBe(DEAL_AUTOMATION_WORKFLOW);
    expect(dealChangedSignal.name).toBe(DEAL_CHANGED_SIGNAL);
  });

  it('won -> invoice (customer synced first) and completes; lost later starts it again and voids it', async () => {
    const w = world({ stage: 'Harvest', customerInBooks: false });
    const taskQueue = unique('tq');
    const worker = await suite.worker({ taskQueue, activities: fakeActivities(w) });
    const workflowId = unique('deal');
    await worker.runUntil(async () => {
      expect(await (await change(workflowId, taskQueue)).result()).toMatchObject({ ended: 'closed' });
      expect(w.calls.slice(0, 3)).toEqual(['load Harvest', 'sync a1', 'load Harvest']);
      expect(w.books.get('r1|invoice')?.status).toBe('draft');
      w.stage = 'Withered';
      expect(await (await change(workflowId, taskQueue)).result()).toMatchObject({ ended: 'closed' });
    });
    expect(fired(w)).toEqual(['create_invoice', 'void_invoice']);
    expect(w.books.get('r1|invoice')?.status).toBe('void');
    expect(w.decisions.at(-1)?.reason).toMatch(/lost at stage "Withered"/);
  });

  it('quote mode: created at stage A, approved at stage B, invoiced per the preference', async () => {
    const rules = [
      DealRuleSchema.parse({
        id: 'q',
        mode: 'quote',
        createQuoteStage: 'Offer out',
        approveQuoteStage: 'Handshake',
      }),
    ];
    const w = world({ stage: 'Offer out', rules });
    const taskQueue = unique('tq');
    const worker = await suite.worker({ taskQueue, activities: fakeActivities(w) });
    const workflowId = unique('deal');
    await worker.runUntil(async () => {
      const handle = await change(workflowId, taskQueue);
      await suite.env.sleep(5_000);
      expect(w.books.get('q|estimate')?.status).toBe('draft');
      w.stage = 'Handshake';
      await change(workflowId, taskQueue);
      await suite.env.sleep(5_000);
      expect(await handle.query(dealProgressQuery)).toMatchObject({ stage: 'Handshake', evaluations: 2 });
      w.stage = 'Harvest';
      await change(workflowId, taskQueue);
      expect(await handle.result()).toMatchObject({ ended: 'closed' });
    });
    expect(fired(w)).toEqual(['create_quote', 'approve_quote', 'create_invoice']);
    expect([...w.books.keys()].sort()).toEqual(['q|estimate', 'q|invoice']);
    expect(w.decisions.at(-1)?.reason).toMatch(/not fired: the invoice INV-1 was already created/);
  });

  it('duplicated and reordered events (won -> lost -> won at once, then the same again) yield one invoice', async () => {
    const w = world({ stage: 'Handshake' });
    const taskQueue = unique('tq');
    const worker = await suite.worker({ taskQueue, activities: fakeActivities(w) });
    const workflowId = unique('deal');
    await worker.runUntil(async () => {
      const handle = await change(workflowId, taskQueue);
      for (const stage of ['Harvest', 'Withered', 'Harvest']) {
        w.stage = stage;
        await change(workflowId, taskQueue);
      }
      await change(workflowId, taskQueue);
      expect(await handle.result()).toMatchObject({ ended: 'closed' });
    });
    expect(fired(w)).toEqual(['create_invoice']);
    expect(w.books.size).toBe(1);
    expect(w.books.get('r1|invoice')?.status).toBe('draft');
  });

  it('completes when idle and a later change starts it again; every evaluation is recorded', async () => {
    const w = world({ stage: 'Sprout' });
    const taskQueue = unique('tq');
    const worker = await suite.worker({ taskQueue, activities: fakeActivities(w) });
    const workflowId = unique('deal');
    await worker.runUntil(async () => {
      const first = await change(workflowId, taskQueue);
      expect(await first.result()).toMatchObject({ ended: 'idle' });
      w.stage = 'Harvest';
      const second = await change(workflowId, taskQueue);
      expect(second.signaledRunId).not.toBe(first.signaledRunId);
      expect(await second.result()).toMatchObject({ ended: 'closed' });
    });
    expect(w.decisions.map((d) => `${d.action}:${d.fired}`)).toEqual(['none:false', 'create_invoice:true']);
    expect(w.decisions[0]?.reason).toMatch(
      /not fired: stage "Sprout" \(probability 10%\) is neither won nor lost/,
    );
  });

  it('lets go a signal naming a version it read already, and decides one naming a later version', async () => {
    const w = world({ stage: 'Sprout' });
    const taskQueue = unique('tq');
    const worker = await suite.worker({ taskQueue, activities: fakeActivities(w) });
    const workflowId = unique('deal');
    await worker.runUntil(async () => {
      const handle = await change(workflowId, taskQueue);
      await waitFor(handle, (p) => p.evaluations === 1 && p.phase === 'waiting');
      // The poller found the deal before its decision was recorded: the same version, nothing new.
      await change(workflowId, taskQueue, w.version);
      await change(workflowId, taskQueue, '2026-12-07T09:00:00.000Z');
      w.stage = 'Harvest';
      w.version = '2026-12-07T10:05:00.000Z';
      await change(workflowId, taskQueue, w.version);
      expect(await handle.result()).toMatchObject({ ended: 'closed' });
      expect(await handle.query(dealProgressQuery)).toMatchObject({ evaluations: 2, staleChanges: 2 });
    });
    expect(w.calls.filter((c) => c.startsWith('load'))).toEqual([
      'load Sprout',
      'load Harvest',
      'load Harvest',
    ]);
    expect(fired(w)).toEqual(['create_invoice']);
  });
});

/** Queries the deal's workflow until its progress passes `done`. */
async function waitFor(handle: Awaited<ReturnType<typeof change>>, done: (p: DealProgress) => boolean) {
  for (;;) {
    if (done(await handle.query(dealProgressQuery))) return;
    await suite.env.sleep(100);
  }
}
