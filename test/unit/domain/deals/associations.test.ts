import {
  associationKey,
  customerPartyOf,
  decideAssociation,
  decideDissociation,
  listingOrder,
  searchOffer,
  type AssociationFacts,
  type DealParties,
} from '../../../../domain/deals/associations';

const DEAL: DealParties = { id: 'd1', deleted: false, accountId: 'a1', contactId: 'p1' };

const FACTS: AssociationFacts = {
  deal: DEAL,
  customerModule: 'accounts',
  dealCustomerId: 'c1',
  kind: 'invoice',
  document: { customerId: 'c1' },
};

describe('decideAssociation (S4.3)', () => {
  it.each(['estimate', 'salesorder', 'invoice'])('accepts a %s of the deal’s customer', (kind) => {
    expect(decideAssociation({ ...FACTS, kind })).toEqual({ ok: true });
  });

  it('accepts through the contact when the customer module is contacts', () => {
    expect(
      decideAssociation({ ...FACTS, customerModule: 'contacts', deal: { ...DEAL, accountId: null } }),
    ).toEqual({ ok: true });
  });

  it.each<[string, Partial<AssociationFacts>, { refusal: string; field: string; reason: RegExp }]>([
    [
      'another customer’s document',
      { document: { customerId: 'c2' } },
      {
        refusal: 'invalid',
        field: 'booksId',
        reason: /belongs to another customer \(c2\), not the deal's \(c1\)/,
      },
    ],
    [
      'an expense not billed to a customer',
      { kind: 'expense', document: { customerId: null } },
      { refusal: 'invalid', field: 'booksId', reason: /the expense is not billed to a customer/ },
    ],
    [
      'a deal without an account',
      { deal: { ...DEAL, accountId: null } },
      { refusal: 'invalid', field: 'Account_Name', reason: /the deal has no account/ },
    ],
    [
      'a deal without a contact under the contacts module',
      { customerModule: 'contacts', deal: { ...DEAL, contactId: null } },
      { refusal: 'invalid', field: 'Contact_Name', reason: /the deal has no contact/ },
    ],
    [
      'a deal whose account is not linked to a Books customer',
      { dealCustomerId: null },
      { refusal: 'invalid', field: 'Account_Name', reason: /account a1 is not linked to a Books customer/ },
    ],
    [
      'a document not found',
      { document: null },
      { refusal: 'not_found', field: 'booksId', reason: /no such Books invoice/ },
    ],
    [
      'a deal not found',
      { deal: null },
      { refusal: 'not_found', field: 'dealId', reason: /no such CRM deal/ },
    ],
    [
      'a deleted deal',
      { deal: { ...DEAL, deleted: true } },
      { refusal: 'invalid', field: 'dealId', reason: /the deal is deleted/ },
    ],
    [
      'an unknown kind',
      { kind: 'purchaseorder' },
      { refusal: 'invalid', field: 'kind', reason: /unknown document kind "purchaseorder"/ },
    ],
  ])('refuses %s', (_, change, refusal) => {
    expect(decideAssociation({ ...FACTS, ...change })).toEqual({
      ok: false,
      refusal: refusal.refusal,
      field: refusal.field,
      reason: expect.stringMatching(refusal.reason),
    });
  });
});

describe('decideDissociation (S4.3)', () => {
  it.each<[string, 'user' | 'trigger' | null, boolean]>([
    ['a user’s association', 'user', true],
    ['no association (dissociating twice is fine)', null, true],
    ['a trigger’s association', 'trigger', false],
  ])('%s', (_, madeBy, allowed) => {
    const decision = decideDissociation(madeBy);
    expect(decision.ok).toBe(allowed);
    if (!decision.ok)
      expect(decision).toMatchObject({
        refusal: 'conflict',
        field: 'booksId',
        reason: /made by a deal trigger/,
      });
  });
});

describe('associationKey', () => {
  it('is org, deal, kind and document', () => {
    expect(associationKey('org1', 'd1', 'estimate', 'e1')).toBe('org1|d1|estimate|e1');
  });

  it.each([
    ['an unknown kind', ['org1', 'd1', 'bill', 'e1']],
    ['a part with a separator', ['org1', 'd|1', 'invoice', 'e1']],
  ])('refuses %s', (_, parts) => {
    expect(() => associationKey(...(parts as [string, string, string, string]))).toThrow();
  });
});

describe('customerPartyOf', () => {
  it.each([
    ['accounts', 'a1'],
    ['accounts_and_contacts', 'a1'],
    ['contacts', 'p1'],
  ] as const)('under %s: %s', (module, party) => {
    expect(customerPartyOf(module, DEAL)).toBe(party);
  });
});

describe('deal listings (S4.3)', () => {
  const deals = [
    { dealId: 'd3', name: 'Beta', deleted: true },
    { dealId: 'd2', name: 'Beta', deleted: false },
    { dealId: 'd1', name: 'Alpha', deleted: true },
    { dealId: 'd4', name: 'Alpha', deleted: false },
  ];

  it('lists by name, deleted deals last', () => {
    expect(listingOrder(deals).map((d) => d.dealId)).toEqual(['d4', 'd2', 'd1', 'd3']);
  });

  it('offers no deleted deal in a search, up to the limit', () => {
    expect(searchOffer(deals, 10).map((d) => d.dealId)).toEqual(['d4', 'd2']);
    expect(searchOffer(deals, 1).map((d) => d.dealId)).toEqual(['d4']);
  });
});
