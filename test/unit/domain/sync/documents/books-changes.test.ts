import {
  BOOKS_CHANGE_MODULES,
  documentsConcerned,
  type BooksChangeModule,
} from '../../../../../domain/sync/documents/books-changes';
import { crmSideHash } from '../../../../../domain/sync/documents/mapping';

describe('which synced documents a Books change concerns', () => {
  it('reads the four document modules, payments and credit notes', () => {
    expect([...BOOKS_CHANGE_MODULES].sort()).toEqual(
      ['creditnotes', 'customerpayments', 'estimates', 'invoices', 'purchaseorders', 'salesorders'].sort(),
    );
  });

  it.each<[string, BooksChangeModule, Record<string, unknown>, unknown[]]>([
    [
      'an estimate concerns itself',
      'estimates',
      { status: 'sent' },
      [{ kind: 'estimate', booksId: 'r1', itself: true }],
    ],
    ['an invoice concerns itself', 'invoices', {}, [{ kind: 'invoice', booksId: 'r1', itself: true }]],
    [
      'a purchase order concerns itself',
      'purchaseorders',
      {},
      [{ kind: 'purchaseorder', booksId: 'r1', itself: true }],
    ],
    [
      'a payment concerns the invoices it is applied to, each once',
      'customerpayments',
      { invoices: [{ invoice_id: 'i1' }, { invoice_id: 'i2' }, { invoice_id: 'i1' }] },
      [
        { kind: 'invoice', booksId: 'i1', itself: false },
        { kind: 'invoice', booksId: 'i2', itself: false },
      ],
    ],
    ['a payment applied to nothing concerns none', 'customerpayments', { invoices: [] }, []],
    [
      'a credit note concerns its invoice and those it credits',
      'creditnotes',
      { invoice_id: 'i1', invoices_credited: [{ invoice_id: 'i3' }, { nothing: true }] },
      [
        { kind: 'invoice', booksId: 'i1', itself: false },
        { kind: 'invoice', booksId: 'i3', itself: false },
      ],
    ],
  ])('%s', (_, module, data, expected) => {
    expect(documentsConcerned(module, 'r1', data)).toEqual(expected);
  });
});

describe("the CRM side's hash", () => {
  const quote = { id: 'q1', Subject: 'Q-1', Quoted_Items: [{ Quantity: 1 }] };

  it('ignores the Books figures and the modified time: the pull-back write is no CRM change', () => {
    expect(
      crmSideHash({
        ...quote,
        Status: 'sent',
        Grand_Total: 10,
        Books_Id: 'b1',
        Modified_Time: '2026-12-07T10:00:00+00:00',
      }),
    ).toBe(crmSideHash(quote));
  });

  it('sees any other change', () => {
    expect(crmSideHash({ ...quote, Subject: 'Q-1b' })).not.toBe(crmSideHash(quote));
    expect(crmSideHash({ ...quote, Quoted_Items: [{ Quantity: 2 }] })).not.toBe(crmSideHash(quote));
  });
});
