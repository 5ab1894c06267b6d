import type { IntegrationConfig } from '../../sync-state-schemas';

/*
 * When transaction sync may be switched on (S4.1): once customers, vendors and items sync, since every
 * document names a customer or vendor and items, and those are synced just in time through the same
 * configured modules (S9.2). Checked where every configuration is checked (sync-state-schemas.ts
 * checkIntegrationConfig), so the workflow's validators, its activities and the CLI refuse alike.
 */

type ModulesConfig = Pick<IntegrationConfig, 'customers' | 'transactionSync'>;

/** Why transaction sync cannot be on with this configuration (`path: reason`), or null when it can. */
export function transactionSyncRefusal(config: ModulesConfig): string | null {
  if (!config.transactionSync) return null;
  // Quotes, sales orders and invoices name their customer by the CRM account (Account_Name): with customers
  // synced from Contacts only, no document could find its customer in Books.
  if (config.customers.module === 'contacts')
    return (
      'transactionSync: transaction sync needs customers synced from CRM Accounts (customers.module ' +
      '"accounts" or "accounts_and_contacts"): finance documents name their customer by account'
    );
  return null;
}
