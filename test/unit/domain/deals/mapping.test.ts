import { toBooksDealDocument, type DealDocumentInput } from '../../../../domain/deals/mapping';
import { BOOKS_ORG } from '../finance/books-org';

const INPUT: DealDocumentInput = {
  kind: 'invoice',
  booksId: 'b1',
  number: 'INV-D1',
  status: 'draft',
  deal: {
    id: 'd1',
    Deal_Name: 'Ten licences',
    Description: 'Annual plan',
    Amount: 1234.5,
    Owner: { id: 'u1', name: 'Ann Owner' },
  },
  customer: {
    booksId: 'c1',
    name: 'Acme',
    crm: {
      module: 'Accounts',
      data: { id: 'a1', Account_Name: 'Acme', Billing_City: 'Lyon', Billing_Street: '1 rue' },
    },
  },
  org: BOOKS_ORG,
  today: '2026-12-07',
};

describe('toBooksDealDocument (S5.4)', () => {
  it('maps customer, address, sales person, item name, description and rate; links the deal', () => {
    const result = toBooksDealDocument(INPUT);
    expect(result).toEqual({
      ok: true,
      books: expect.objectContaining({
        invoice_id: 'b1',
        invoice_number: 'INV-D1',
        status: 'draft',
        customer_id: 'c1',
        customer_name: 'Acme',
        billing_address: { address: '1 rue', city: 'Lyon' },
        salesperson_name: 'Ann Owner',
        line_items: [{ name: 'Ten licences', description: 'Annual plan', rate: 1234.5, quantity: 1 }],
        zcrm_potential_id: 'd1',
        zcrm_potential_name: 'Ten licences',
        total: 1234.5,
        balance: 1234.5,
        payment_made: 0,
      }),
    });
  });

  it('takes a contact mailing address and makes an estimate', () => {
    const result = toBooksDealDocument({
      ...INPUT,
      kind: 'estimate',
      customer: {
        ...INPUT.customer,
        crm: { module: 'Contacts', data: { id: 'c9', Last_Name: 'Doe', Mailing_Zip: '69001' } },
      },
    });
    expect(result.ok && result.books).toEqual(
      expect.objectContaining({
        estimate_id: 'b1',
        estimate_number: 'INV-D1',
        billing_address: { zip: '69001' },
      }),
    );
    expect(result.ok && result.books.balance).toBeUndefined();
  });

  it.each([
    ['no amount', { deal: { ...INPUT.deal, Amount: null } }, 'Amount'],
    ['a currency the org lacks', { deal: { ...INPUT.deal, Currency: 'GBP' } }, 'currency_code'],
  ])('refuses %s', (_name, patch, field) => {
    const result = toBooksDealDocument({ ...INPUT, ...patch });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems.map((p) => p.field)).toContain(field);
  });
});
