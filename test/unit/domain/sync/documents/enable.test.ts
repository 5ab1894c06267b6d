import { checkIntegrationConfig } from '../../../../../domain/sync-state-schemas';

const config = (module: string, transactionSync: boolean) => ({
  customers: { module, extent: 'fetch_from_crm', duplicatePolicy: 'clone' },
  vendors: { extent: 'fetch_from_crm', duplicatePolicy: 'clone' },
  items: { extent: 'fetch_from_crm', duplicatePolicy: 'clone' },
  transactionSync,
});

describe('transaction sync switch (S4.1)', () => {
  it.each([
    ['accounts', true, true],
    ['accounts_and_contacts', true, true],
    ['contacts', true, false],
    ['contacts', false, true],
  ])('customers from %s, transaction sync %s: accepted %s', (module, on, accepted) => {
    expect(checkIntegrationConfig(config(module, on)).ok).toBe(accepted);
  });

  it('is refused with a reason when customers are synced from Contacts only', () => {
    const checked = checkIntegrationConfig(config('contacts', true));
    expect(checked).toEqual({
      ok: false,
      issues: [
        expect.stringMatching(/^transactionSync: transaction sync needs customers synced from CRM Accounts/),
      ],
    });
  });
});
