import type { AccountReceivables, AgingBucket } from '../../finance/receivables';
import { minorToNumber } from '../../money';
import type { BooksOrgSettings } from '../../finance/posting-checks';
import { currencyOf } from '../../finance/posting-checks';
import type { Data } from './spec';

/*
 * The fields of a CRM account that show its Books receivables (issue 16, item 6; S10.1), as a CRM user reads
 * them on the account: amounts in the Books org's base currency, named with it. Books owns them: they are
 * written whenever one of the account's invoices changes in Books, never synced to the Books customer.
 */

/** The CRM field of each aging bucket. */
export const AGING_FIELDS: Readonly<Record<AgingBucket, string>> = {
  current: 'Receivables_Current',
  days_1_30: 'Receivables_1_30_Days',
  days_31_60: 'Receivables_31_60_Days',
  days_61_90: 'Receivables_61_90_Days',
  days_over_90: 'Receivables_Over_90_Days',
};

/** Every CRM account field these figures write. */
export const ACCOUNT_FIGURE_FIELDS: readonly string[] = [
  'Sales_Total',
  'Outstanding_Receivables',
  'Receivables_Currency',
  ...Object.values(AGING_FIELDS),
];

/** The CRM account fields of a customer's receivables, amounts as numbers in the org's base currency. Pure. */
export function accountFigureFields(figures: AccountReceivables, org: BooksOrgSettings): Data {
  const currency = currencyOf(org, figures.currency) ?? figures.currency;
  const amount = (minor: number) => minorToNumber(minor, currency);
  return {
    Sales_Total: amount(figures.sales_total),
    Outstanding_Receivables: amount(figures.outstanding),
    Receivables_Currency: figures.currency,
    ...Object.fromEntries(
      Object.entries(AGING_FIELDS).map(([bucket, field]) => [
        field,
        amount(figures.aging[bucket as AgingBucket]),
      ]),
    ),
  };
}

/** Invoice statuses that count in no receivables: none yet, or a draft (void ones did count before). */
const NEVER_OWED = [undefined, 'draft'];

/**
 * Whether an invoice copy's change moves its account's figures: its status, total or balance changed while
 * it was or is owed. A draft pushed or edited moves nothing, and costs no read of the customer's invoices.
 */
export function changesReceivables(before: Data, after: Data): boolean {
  const owed = (copy: Data) => !NEVER_OWED.includes(copy.Status as string | undefined);
  if (!owed(before) && !owed(after)) return false;
  return ['Status', 'Grand_Total', 'Balance'].some((field) => before[field] !== after[field]);
}
