import type { CrmAccount, CrmContact, CrmDeal } from '../crm-schemas';
import { checkBeforePosting, type BooksOrgSettings } from '../finance/posting-checks';
import { minorToNumber } from '../money';
import { documentSpecOf } from '../sync/documents';
import type { Data } from '../sync/documents/spec';
import type { FieldProblem } from '../validation';
import type { DealDocumentKind } from './rules';

/*
 * The Books quote or invoice a deal's trigger creates (S5.4): customer ← the deal's account or contact,
 * address ← its address, sales person ← the deal owner, one line whose item name is the deal name, its
 * description the deal description and its rate the deal amount. Pure; totals are computed exactly by the
 * org's settings (finance/posting-checks.ts), and what the org cannot take is refused with its field.
 */

export interface DealDocumentInput {
  kind: DealDocumentKind;
  booksId: string;
  number: string;
  /** `draft`, or `sent` for an invoice made from a quote when the org's preference sends it (S5.2). */
  status: string;
  deal: Pick<CrmDeal, 'id' | 'Deal_Name' | 'Description' | 'Amount' | 'Owner' | 'Currency'>;
  /** The customer in Books and the CRM record it comes from (its address). */
  customer: { booksId: string; name: string; crm: CustomerRecord };
  /** The quote an invoice is made from. */
  fromQuote?: string;
  org: BooksOrgSettings;
  /** YYYY-MM-DD */
  today: string;
}

/** The CRM record a deal's customer comes from (S5.1): its account, or its contact. */
export type CustomerRecord =
  { module: 'Accounts'; data: CrmAccount } | { module: 'Contacts'; data: CrmContact };

export type DealDocumentResult = { ok: true; books: Data } | { ok: false; problems: FieldProblem[] };

/** The Books document for a deal, or every reason it cannot be made. */
export function toBooksDealDocument(input: DealDocumentInput): DealDocumentResult {
  const spec = documentSpecOf(input.kind);
  const { deal } = input;
  if (typeof deal.Amount !== 'number' || deal.Amount < 0)
    return {
      ok: false,
      problems: [{ field: 'Amount', reason: 'the deal has no amount to put on the line' }],
    };
  const books: Data = withoutEmpty({
    [spec.booksIdKey]: input.booksId,
    [spec.booksNumberKey]: input.number,
    status: input.status,
    customer_id: input.customer.booksId,
    customer_name: input.customer.name,
    date: input.today,
    currency_code: deal.Currency ?? undefined,
    line_items: [
      withoutEmpty({ name: deal.Deal_Name, description: deal.Description, rate: deal.Amount, quantity: 1 }),
    ],
    salesperson_name: deal.Owner?.name,
    billing_address: addressOf(input.customer.crm),
    reference_number: deal.Deal_Name,
    ...(input.fromQuote !== undefined && { estimate_id: input.fromQuote }),
    // S5.7: the document names the deal it came from, which shows it on the deal.
    zcrm_potential_id: deal.id,
    zcrm_potential_name: deal.Deal_Name,
  });
  const checked = checkBeforePosting(books, input.org);
  if (!checked.ok) return checked;
  const currency = checked.settings.currency;
  const total = minorToNumber(checked.totals.total, currency);
  return {
    ok: true,
    books: {
      ...books,
      sub_total: minorToNumber(checked.totals.sub_total, currency),
      tax_total: minorToNumber(checked.totals.tax_total, currency),
      total,
      ...(input.kind === 'invoice' && { balance: total, payment_made: 0 }),
    },
  };
}

/** An account's billing address or a contact's mailing address, in Books' shape. */
export function addressOf(crm: CustomerRecord): Data | undefined {
  const address =
    crm.module === 'Accounts'
      ? {
          address: crm.data.Billing_Street,
          city: crm.data.Billing_City,
          state: crm.data.Billing_State,
          zip: crm.data.Billing_Code,
          country: crm.data.Billing_Country,
        }
      : {
          address: crm.data.Mailing_Street,
          city: crm.data.Mailing_City,
          state: crm.data.Mailing_State,
          zip: crm.data.Mailing_Zip,
          country: crm.data.Mailing_Country,
        };
  const kept = withoutEmpty(address);
  return Object.keys(kept).length === 0 ? undefined : kept;
}

function withoutEmpty(data: Data): Data {
  return Object.fromEntries(
    Object.entries(data).filter(([, v]) => v !== undefined && v !== null && v !== ''),
  );
}
