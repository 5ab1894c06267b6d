import {
  DealRuleSchema,
  DealRulesSchema,
  decideDeal,
  dealOutcome,
  stageProbability,
  type DealAction,
  type DealDocumentFact,
  type DealFacts,
  type DealRule,
  type DecideDealInput,
} from '../../../../domain/deals/rules';

/** A pipeline with custom stage names: only the probabilities say won and lost (S5.5). */
const PIPELINE = [
  { display_value: 'Sprout', probability: 10 },
  { display_value: 'Offer out', probability: 60 },
  { display_value: 'Handshake', probability: 90 },
  { display_value: 'Harvest', actual_value: 'Closed Won', probability: 100 },
  { display_value: 'Withered', probability: 0 },
];

const INVOICE_RULE: DealRule = DealRuleSchema.parse({ id: 'r1', mode: 'invoice' });
const QUOTE_RULE: DealRule = DealRuleSchema.parse({
  id: 'q1',
  mode: 'quote',
  createQuoteStage: 'Offer out',
  approveQuoteStage: 'Handshake',
});

function deal(stage: string, patch: Partial<DealFacts> = {}): DealFacts {
  return {
    dealId: 'd1',
    dealName: 'Big deal',
    stage,
    probability: stageProbability(PIPELINE, stage),
    amount: 1200,
    accountId: 'acc1',
    contactId: null,
    customerModule: 'accounts',
    customer: { booksId: 'cust1' },
    quoteToInvoice: true,
    ...patch,
  };
}

const doc = (number: string, status: string): DealDocumentFact => ({
  booksId: `b-${number}`,
  number,
  status,
});
const INV = (status: string) => doc('INV-00042', status);
const QT = (status: string) => doc('QT-00007', status);

const CASES: [string, DecideDealInput, DealAction, RegExp][] = [
  // invoice mode (S5.3)
  [
    'won creates the invoice',
    { deal: deal('Harvest'), rule: INVOICE_RULE, documents: {} },
    'create_invoice',
    /won at stage "Harvest" \(probability 100%\)/,
  ],
  [
    'won by actual value',
    { deal: deal('Closed Won'), rule: INVOICE_RULE, documents: {} },
    'create_invoice',
    /won/,
  ],
  [
    'won again: one invoice per deal and rule',
    { deal: deal('Harvest'), rule: INVOICE_RULE, documents: { invoice: INV('draft') } },
    'none',
    /not fired: the invoice INV-00042 was already created \(draft\)/,
  ],
  [
    'won after a void: no second invoice',
    { deal: deal('Harvest'), rule: INVOICE_RULE, documents: { invoice: INV('void') } },
    'none',
    /already created \(void\)/,
  ],
  [
    'lost voids a draft invoice',
    { deal: deal('Withered'), rule: INVOICE_RULE, documents: { invoice: INV('draft') } },
    'void_invoice',
    /lost at stage "Withered" \(probability 0%\)/,
  ],
  [
    'lost with no invoice',
    { deal: deal('Withered'), rule: INVOICE_RULE, documents: {} },
    'none',
    /not fired: .*no invoice to void/,
  ],
  [
    'lost, invoice already void',
    { deal: deal('Withered'), rule: INVOICE_RULE, documents: { invoice: INV('void') } },
    'none',
    /already void/,
  ],
  [
    'lost, invoice sent (S5.6)',
    { deal: deal('Withered'), rule: INVOICE_RULE, documents: { invoice: INV('sent') } },
    'none',
    /not fired: the invoice INV-00042 was already sent \(sent\).*S5\.6/,
  ],
  [
    'lost, invoice viewed is sent too',
    { deal: deal('Withered'), rule: INVOICE_RULE, documents: { invoice: INV('viewed') } },
    'none',
    /already sent \(viewed\)/,
  ],
  [
    'open stage',
    { deal: deal('Handshake'), rule: INVOICE_RULE, documents: {} },
    'none',
    /not fired: stage "Handshake" \(probability 90%\) is neither won nor lost/,
  ],
  // S5.5: the name says nothing, the probability decides
  [
    'a stage named "Closed Lost" at 100% is won',
    { deal: deal('Closed Lost', { probability: 100 }), rule: INVOICE_RULE, documents: {} },
    'create_invoice',
    /won/,
  ],
  [
    'a stage the pipeline does not map',
    { deal: deal('Nowhere'), rule: INVOICE_RULE, documents: {} },
    'none',
    /not fired: stage "Nowhere" has no probability/,
  ],
  // S5.1 prerequisites, per customer module
  [
    'Accounts: no account',
    { deal: deal('Harvest', { accountId: null, contactId: 'c1' }), rule: INVOICE_RULE, documents: {} },
    'none',
    /no account, which the Accounts customer module needs \(S5\.1\)/,
  ],
  [
    'Accounts and Contacts: no account',
    {
      deal: deal('Harvest', { accountId: null, customerModule: 'accounts_and_contacts' }),
      rule: INVOICE_RULE,
      documents: {},
    },
    'none',
    /no account/,
  ],
  [
    'Contacts: no contact',
    { deal: deal('Harvest', { customerModule: 'contacts' }), rule: INVOICE_RULE, documents: {} },
    'none',
    /no contact, which the Contacts customer module needs/,
  ],
  [
    'Contacts: a contact is enough',
    {
      deal: deal('Harvest', { customerModule: 'contacts', accountId: null, contactId: 'c1' }),
      rule: INVOICE_RULE,
      documents: {},
    },
    'create_invoice',
    /won/,
  ],
  [
    'customer could not be synced',
    {
      deal: deal('Harvest', { customer: { booksId: null, problem: 'Account_Name: too long' } }),
      rule: INVOICE_RULE,
      documents: {},
    },
    'none',
    /needs the deal's customer in Books: Account_Name: too long/,
  ],
  [
    'disabled rule',
    { deal: deal('Harvest'), rule: { ...INVOICE_RULE, enabled: false }, documents: {} },
    'none',
    /rule r1 is disabled/,
  ],
  // quote mode (S5.2)
  [
    'create stage creates the quote',
    { deal: deal('Offer out'), rule: QUOTE_RULE, documents: {} },
    'create_quote',
    /reached stage "Offer out"/,
  ],
  [
    'create stage again',
    { deal: deal('Offer out'), rule: QUOTE_RULE, documents: { quote: QT('draft') } },
    'none',
    /quote QT-00007 was already created/,
  ],
  [
    'another open stage',
    { deal: deal('Sprout'), rule: QUOTE_RULE, documents: {} },
    'none',
    /not a stage of rule q1/,
  ],
  [
    'approve stage approves the draft',
    { deal: deal('Handshake'), rule: QUOTE_RULE, documents: { quote: QT('draft') } },
    'approve_quote',
    /reached stage "Handshake"/,
  ],
  [
    'approve stage with no quote creates it first',
    { deal: deal('Handshake'), rule: QUOTE_RULE, documents: {} },
    'create_quote',
    /approve stage, with no quote yet/,
  ],
  [
    'accepted quote is invoiced per the preference',
    { deal: deal('Handshake'), rule: QUOTE_RULE, documents: { quote: QT('accepted') } },
    'create_invoice',
    /accepted and the Books org invoices accepted quotes/,
  ],
  [
    'accepted quote, preference off',
    {
      deal: deal('Handshake', { quoteToInvoice: false }),
      rule: QUOTE_RULE,
      documents: { quote: QT('accepted') },
    },
    'none',
    /does not invoice accepted quotes/,
  ],
  [
    'invoiced quote with its invoice',
    { deal: deal('Harvest'), rule: QUOTE_RULE, documents: { quote: QT('invoiced'), invoice: INV('draft') } },
    'none',
    /invoice INV-00042 was already created/,
  ],
  [
    'won without an approve stage approves',
    {
      deal: deal('Harvest'),
      rule: { ...QUOTE_RULE, approveQuoteStage: undefined },
      documents: { quote: QT('draft') },
    },
    'approve_quote',
    /Harvest/,
  ],
  [
    'approve a sent quote (S5.6)',
    { deal: deal('Handshake'), rule: QUOTE_RULE, documents: { quote: QT('sent') } },
    'none',
    /quote QT-00007 was already sent/,
  ],
  [
    'lost declines the draft quote',
    { deal: deal('Withered'), rule: QUOTE_RULE, documents: { quote: QT('draft') } },
    'decline_quote',
    /lost/,
  ],
  [
    'lost, quote sent (S5.6)',
    { deal: deal('Withered'), rule: QUOTE_RULE, documents: { quote: QT('viewed') } },
    'none',
    /already sent/,
  ],
  [
    'lost, quote declined',
    { deal: deal('Withered'), rule: QUOTE_RULE, documents: { quote: QT('declined') } },
    'none',
    /already declined/,
  ],
  [
    'lost with no quote',
    { deal: deal('Withered'), rule: QUOTE_RULE, documents: {} },
    'none',
    /no quote to decline/,
  ],
  [
    'quote expired',
    { deal: deal('Handshake'), rule: QUOTE_RULE, documents: { quote: QT('expired') } },
    'none',
    /quote QT-00007 is expired/,
  ],
  [
    'quote needs the customer',
    { deal: deal('Offer out', { customer: { booksId: null } }), rule: QUOTE_RULE, documents: {} },
    'none',
    /quote needs the deal's customer in Books: it is not synced/,
  ],
];

describe('decideDeal', () => {
  it.each(CASES)('%s', (_name, input, action, reason) => {
    const decision = decideDeal(input);
    expect(decision.action).toBe(action);
    expect(decision.fired).toBe(action !== 'none');
    expect(decision.reason).toMatch(reason);
    if (action === 'none') expect(decision.reason).toMatch(/^not fired: /);
  });

  it('names the document that stopped it', () => {
    const decision = decideDeal({
      deal: deal('Withered'),
      rule: INVOICE_RULE,
      documents: { invoice: INV('sent') },
    });
    expect(decision.document).toEqual({ kind: 'invoice', booksId: 'b-INV-00042', number: 'INV-00042' });
  });
});

describe('dealOutcome and stageProbability', () => {
  it.each([
    [100, 'won'],
    [0, 'lost'],
    [50, 'open'],
    [null, 'open'],
  ] as const)('%p is %s', (probability, outcome) => expect(dealOutcome(probability)).toBe(outcome));

  it('reads a stage by display or actual value', () => {
    expect(stageProbability(PIPELINE, 'Closed Won')).toBe(100);
    expect(stageProbability(PIPELINE, 'Withered')).toBe(0);
    expect(stageProbability(PIPELINE, 'Unknown')).toBeNull();
  });
});

describe('DealRulesSchema', () => {
  it.each([
    ['quote mode without its create stage', { rules: [{ id: 'q', mode: 'quote' }] }, 'createQuoteStage'],
    [
      'duplicate ids',
      {
        rules: [
          { id: 'a', mode: 'invoice' },
          { id: 'a', mode: 'invoice' },
        ],
      },
      'rules',
    ],
    ['an unknown field', { rules: [{ id: 'a', mode: 'invoice', stage: 'x' }] }, 'rules'],
    ['a bad id', { rules: [{ id: 'a b', mode: 'invoice' }] }, 'id'],
  ])('refuses %s', (_name, input, path) => {
    const parsed = DealRulesSchema.safeParse(input);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.path.join('.')).join(' ')).toContain(path);
  });

  it('defaults a rule to enabled', () => {
    expect(DealRulesSchema.parse({ rules: [{ id: 'a', mode: 'invoice' }] }).rules[0]?.enabled).toBe(true);
  });
});
