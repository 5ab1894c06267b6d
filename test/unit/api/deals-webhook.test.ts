import { signalNotifiedDeals, type DealOperationsDeps } from '../../../api/deals';
import { dealAutomationWorkflowId } from '../../../domain/ids';
import type { IntegrationDoc } from '../../../domain/sync-state-schemas';

/* The CRM webhook's part for deals: which notifications signal which deal workflows, each once. */

const integration = {
  _id: 'crm1|books1|production',
  crmOrgId: 'crm1',
  booksOrgId: 'books1',
  environment: 'production',
} as IntegrationDoc;

async function signalledBy(note: { module: string; operation: string; ids: string[] }) {
  const sent: { workflowId: string; signalArgs: unknown[] }[] = [];
  const temporal = {
    workflow: {
      signalWithStart: async (_type: string, options: (typeof sent)[number]) => sent.push(options),
    },
  } as unknown as DealOperationsDeps['temporal'];
  const count = await signalNotifiedDeals({ temporal, taskQueue: 'q' }, integration, note);
  return { count, workflowIds: sent.map((s) => s.workflowId), sources: sent.map((s) => s.signalArgs[0]) };
}

describe('signalNotifiedDeals', () => {
  it.each([
    [
      'Deals update, a deal named twice',
      { module: 'Deals', operation: 'update', ids: ['d1', 'd1', 'd2'] },
      ['d1', 'd2'],
    ],
    [
      'Potentials insert (the older module name)',
      { module: 'Potentials', operation: 'insert', ids: ['d1'] },
      ['d1'],
    ],
    ['Deals delete: ignored', { module: 'Deals', operation: 'delete', ids: ['d1'] }, []],
    ['another module: ignored', { module: 'Accounts', operation: 'update', ids: ['a1'] }, []],
    ['an id that is no id: left out', { module: 'Deals', operation: 'all', ids: ['d1', '$bad'] }, ['d1']],
  ])('%s', async (_name, note, deals) => {
    const { count, workflowIds, sources } = await signalledBy(note);
    expect(count).toBe(deals.length);
    expect(workflowIds).toEqual(deals.map((id) => dealAutomationWorkflowId('crm1', id)));
    expect(sources.every((s) => (s as { source: string }).source === 'webhook')).toBe(true);
  });
});
