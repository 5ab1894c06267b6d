import { DealDecisionDocSchema } from '../../../../domain/deals/records';

/* A decision record as stored: what it must hold, and what it is refused for (with the field named). */

const decision = {
  _id: 'deal/crm1/d1|run1|1.0|inv',
  integrationId: 'crm1/books1/production',
  crmOrgId: 'crm1',
  dealId: 'd1',
  ruleId: 'inv',
  decidedTime: new Date('2026-05-01T10:00:00.000Z'),
  inputs: {
    stage: 'Closed Won',
    probability: 100,
    amount: 4800,
    accountId: 'a1',
    contactId: null,
    documents: null,
    modifiedTime: '2026-05-01T09:59:59.950Z',
  },
  action: 'none',
  fired: false,
  reason: 'not fired: the invoice INV-d1-inv was already sent (sent)',
};

describe('DealDecisionDocSchema', () => {
  it.each([
    ['not fired', decision],
    [
      'fired, naming its document',
      {
        ...decision,
        action: 'create_invoice',
        fired: true,
        reason: 'the deal is won',
        document: { kind: 'invoice', booksId: '555', number: 'INV-d1-inv' },
      },
    ],
    [
      'from before the deal version was kept',
      { ...decision, inputs: { ...decision.inputs, modifiedTime: undefined } },
    ],
  ])('accepts a decision %s', (_name, doc) => {
    expect(DealDecisionDocSchema.safeParse(doc).success).toBe(true);
  });

  it.each([
    [
      'a probability past 100',
      { ...decision, inputs: { ...decision.inputs, probability: 101 } },
      'inputs.probability',
    ],
    ['no action yet fired', { ...decision, fired: true }, 'fired'],
    [
      'a deal version that is no instant',
      { ...decision, inputs: { ...decision.inputs, modifiedTime: 'yesterday' } },
      'inputs.modifiedTime',
    ],
  ])('refuses %s', (_name, doc, path) => {
    const parsed = DealDecisionDocSchema.safeParse(doc);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.path.join('.'))).toContain(path);
  });
});
