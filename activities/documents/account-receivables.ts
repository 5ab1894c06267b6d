import { stableStringify } from '../../domain/hash';
import { customerReceivables, type CustomerPayments } from '../../domain/finance/ledger';
import type { BooksOrgSettings } from '../../domain/finance/posting-checks';
import { accountFigureFields } from '../../domain/sync/documents/account-figures';
import type { IntegrationDoc } from '../../domain/sync-state-schemas';
import { todayOf } from './load';
import type { DocumentDeps } from './types';

export interface AccountReceivablesInput {
  integration: IntegrationDoc;
  /** The CRM account the invoice names, and the Books customer it is linked to. */
  accountId: string;
  customerId: string;
  /** The customer's payments, already read for the invoice's own settlement. */
  paid: CustomerPayments;
  org: BooksOrgSettings;
}

export type AccountReceivablesResult = 'written' | 'unchanged' | 'no_account' | 'refused';

/**
 * Writes a CRM account's sales total, outstanding receivables and aging (S10.1), worked out from every
 * Books invoice of its customer: one read of those invoices, one point write of the account, to the version
 * read (a stale one throws, retryable, and the retry reads again). An invoice the org cannot count (a
 * currency it has not enabled) leaves the figures as they were: a wrong total is worse than a late one.
 * Idempotent: nothing is written when the figures are unchanged.
 */
export async function updateAccountReceivables(
  deps: DocumentDeps,
  input: AccountReceivablesInput,
): Promise<AccountReceivablesResult> {
  const { integration, accountId, org } = input;
  const accounts = deps.crm.records('Accounts');
  const [account] = await accounts.findByIds(integration.crmOrgId, [accountId]);
  if (!account || account.deleted) return 'no_account';
  const invoices = await deps.financeBooks.invoicesOf(integration.booksOrgId, input.customerId);
  const figures = customerReceivables({ invoices, paid: input.paid, org, asOf: todayOf(deps) });
  if (!figures.ok) return 'refused';
  const data = { ...account.data, ...accountFigureFields(figures, org) };
  if (stableStringify(data) === stableStringify(account.data)) return 'unchanged';
  const written = await accounts.patchMany(integration.crmOrgId, [
    { id: account.id, expectedModifiedTime: account.modifiedTime, base: account.data, data },
  ]);
  if (written.stale.length > 0)
    throw new Error(`the CRM account ${account.id} changed while its receivables were written`);
  return 'written';
}
