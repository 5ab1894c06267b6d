import { kindOfCrmModule, planSyncSteps, targetSteps, type SyncStep } from '../../../../domain/sync/plan';

const config = (
  customers: { module: 'accounts' | 'contacts' | 'accounts_and_contacts'; orphans?: boolean; both?: boolean },
  vendorsBoth = false,
  itemsBoth = false,
) => ({
  customers: {
    module: customers.module,
    includeOrphanContacts: customers.orphans ?? false,
    extent: customers.both ? ('both_ways' as const) : ('fetch_from_crm' as const),
  },
  vendors: { extent: vendorsBoth ? ('both_ways' as const) : ('fetch_from_crm' as const) },
  items: { extent: itemsBoth ? ('both_ways' as const) : ('fetch_from_crm' as const) },
});

const show = (steps: SyncStep[]) =>
  steps.map(
    (s) => `${s.kind} ${s.direction === 'crm_to_books' ? '→' : '←'}${s.orphansOnly ? ' orphans' : ''}`,
  );

describe("planSyncSteps (S2.1, S2.2: the seeds' order)", () => {
  it.each([
    ['Accounts, fetch only', config({ module: 'accounts' }), ['account →', 'vendor →', 'item →']],
    [
      'Contacts both ways',
      config({ module: 'contacts', both: true }),
      ['contact →', 'contact ←', 'vendor →', 'item →'],
    ],
    [
      'Accounts and their Contacts, fetch only',
      config({ module: 'accounts_and_contacts' }),
      ['account →', 'contact_person →', 'vendor →', 'item →'],
    ],
    [
      'Accounts and their Contacts with orphans, everything both ways',
      config({ module: 'accounts_and_contacts', orphans: true, both: true }, true, true),
      [
        'account →',
        'contact_person →',
        'contact → orphans',
        'account ←',
        'contact_person ←',
        'contact ← orphans',
        'vendor →',
        'vendor ←',
        // Items push the Books side first.
        'item ←',
        'item →',
      ],
    ],
  ])('%s', (_label, cfg, expected) => {
    expect(show(planSyncSteps(cfg))).toEqual(expected);
  });
});

describe('targetSteps', () => {
  const planned = planSyncSteps(config({ module: 'accounts_and_contacts', both: true }));

  it('keeps the planned order and merges the ids of one kind and direction', () => {
    const { steps, unmatched } = targetSteps(planned, [
      { kind: 'contact_person', direction: 'crm_to_books', ids: ['c1'] },
      { kind: 'account', direction: 'crm_to_books', ids: ['a1', 'a2'] },
      { kind: 'account', direction: 'crm_to_books', ids: ['a2', 'a3'] },
    ]);
    expect(steps).toEqual([
      { kind: 'account', direction: 'crm_to_books', ids: ['a1', 'a2', 'a3'] },
      { kind: 'contact_person', direction: 'crm_to_books', ids: ['c1'] },
    ]);
    expect(unmatched).toEqual([]);
  });

  it('returns what the configuration does not sync as unmatched', () => {
    const { steps, unmatched } = targetSteps(planned, [
      { kind: 'contact', direction: 'crm_to_books', ids: ['c1'] },
    ]);
    expect(steps).toEqual([]);
    expect(unmatched).toEqual([{ kind: 'contact', direction: 'crm_to_books', ids: ['c1'] }]);
  });
});

describe('kindOfCrmModule: what a fetched or imported CRM record moves as', () => {
  it.each([
    ['Accounts', config({ module: 'accounts' }), 'account'],
    ['Contacts', config({ module: 'accounts' }), null],
    ['Accounts', config({ module: 'contacts' }), null],
    ['Contacts', config({ module: 'contacts' }), 'contact'],
    ['Accounts', config({ module: 'accounts_and_contacts' }), 'account'],
    ['Contacts', config({ module: 'accounts_and_contacts' }), null],
    ['Contacts', config({ module: 'accounts_and_contacts', orphans: true }), 'contact'],
    ['Vendors', config({ module: 'contacts' }), 'vendor'],
    ['Products', config({ module: 'accounts' }), 'item'],
  ] as const)('%s under %o → %s', (crmModule, cfg, expected) => {
    expect(kindOfCrmModule(cfg, crmModule)).toBe(expected);
  });
});
