import { resolveFieldMaps } from '../../../../domain/sync/field-maps';
import { decidePage, type DecidePageInput, type Direction } from '../../../../domain/sync/decide';
import { KIND_SPECS, type BooksContext } from '../../../../domain/sync/kinds';

const BOOKS: BooksContext = { baseCurrency: 'USD', currencies: ['USD', 'EUR'] };
const UNENABLED = 'currency INR is not enabled in Books (enabled: EUR, USD)';

/**
 * S9.6 applies before writing in both directions: a value the CRM → Books step would refuse is refused on its
 * way into the CRM too, so it is never written there to fail every later run.
 */
describe('validation before posting, both ways', () => {
  it.each<[string, 'account' | 'contact' | 'vendor', Record<string, unknown>]>([
    ['an account', 'account', { Account_Name: 'Zylker', Currency: 'INR' }],
    ['a contact', 'contact', { Last_Name: 'Burrows', Currency: 'INR' }],
    ['a vendor', 'vendor', { Vendor_Name: 'Sakura', Currency: 'INR' }],
  ])('%s in a currency Books has not enabled fails either way, with the same reason', (_n, kind, values) => {
    const spec = KIND_SPECS[kind];
    expect(spec.validateForBooks(values as never, BOOKS)).toEqual({ field: 'Currency', reason: UNENABLED });
    expect(spec.validateForCrm(values as never, BOOKS)).toEqual({ field: 'Currency', reason: UNENABLED });
    expect(spec.validateForCrm({ ...values, Currency: 'EUR' } as never, BOOKS)).toBeUndefined();
    expect(spec.validateForCrm({ ...values, Currency: null } as never, BOOKS)).toBeUndefined();
  });

  it('an item needs a rate either way, and a name', () => {
    const spec = KIND_SPECS.item;
    expect(spec.validateForCrm({ Product_Name: 'Chair', Unit_Price: null }, BOOKS)).toEqual({
      field: 'Unit_Price',
      reason: 'Books items need a rate: the unit price is empty',
    });
    expect(spec.validateForCrm({ Product_Name: 'Chair', Unit_Price: 12 }, BOOKS)).toBeUndefined();
    expect(spec.validateForCrm({ Product_Name: null, Unit_Price: 12 }, BOOKS)).toMatchObject({
      field: 'Product_Name',
    });
  });

  const page = (direction: Direction, data: Record<string, unknown>): DecidePageInput => ({
    spec: KIND_SPECS.account,
    direction,
    integrationId: 'int-1',
    maps: resolveFieldMaps('account', [], []),
    duplicatePolicy: 'clone',
    books: BOOKS,
    records: [{ id: 'r1', data, modifiedTime: '2024-06-01T10:00:00.000Z', deleted: false }],
    inView: () => true,
    links: [],
    linkedTargets: [],
    candidates: [],
    linkedCandidateIds: new Set(),
  });

  const customer = (currency: string) => ({
    contact_id: 'b1',
    contact_name: 'Mumbai Traders',
    contact_type: 'customer',
    customer_sub_type: 'business',
    currency_code: currency,
  });

  it('a Books customer in an unenabled currency is a failure with its reason, and nothing goes to the CRM', () => {
    const books = customer('INR');
    const r = decidePage(page('books_to_crm', books));
    expect(r.writes).toEqual([]);
    expect(r.links).toEqual([]);
    expect(r.failures).toEqual([{ recordId: 'r1', field: 'Currency', reason: UNENABLED, payload: books }]);
    expect(r.counts.failed).toBe(1);
  });

  it('the same customer in an enabled currency is written to the CRM and would pass on its way back', () => {
    const books = customer('EUR');
    const r = decidePage(page('books_to_crm', books));
    expect(r.failures).toEqual([]);
    const written = r.writes[0]!.data;
    expect(written).toMatchObject({ Account_Name: 'Mumbai Traders', Currency: 'EUR' });
    const back = decidePage(page('crm_to_books', written));
    expect(back.failures).toEqual([]);
  });
});
