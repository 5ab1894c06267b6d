import {
  accountFigureFields,
  changesReceivables,
} from '../../../../../domain/sync/documents/account-figures';
import { BOOKS_ORG } from '../../finance/books-org';

describe('accountFigureFields: what a CRM user sees on the account', () => {
  it('writes every figure in the base currency, aging bucket by bucket', () => {
    const figures = {
      currency: 'USD',
      sales_total: 123456,
      outstanding: 2501,
      aging: { current: 1, days_1_30: 2000, days_31_60: 0, days_61_90: 500, days_over_90: 0 },
    };
    expect(accountFigureFields(figures, BOOKS_ORG)).toEqual({
      Sales_Total: 1234.56,
      Outstanding_Receivables: 25.01,
      Receivables_Currency: 'USD',
      Receivables_Current: 0.01,
      Receivables_1_30_Days: 20,
      Receivables_31_60_Days: 0,
      Receivables_61_90_Days: 5,
      Receivables_Over_90_Days: 0,
    });
  });
});

describe('changesReceivables: which copy changes move the account', () => {
  it.each([
    ['a draft pushed', {}, { Status: 'draft', Grand_Total: 10, Balance: 10 }, false],
    ['a draft edited', { Status: 'draft', Grand_Total: 10 }, { Status: 'draft', Grand_Total: 12 }, false],
    ['a draft sent', { Status: 'draft', Balance: 10 }, { Status: 'sent', Balance: 10 }, true],
    ['a payment', { Status: 'sent', Balance: 10 }, { Status: 'partially_paid', Balance: 4 }, true],
    ['a sent invoice voided', { Status: 'sent', Balance: 10 }, { Status: 'void', Balance: 10 }, true],
    [
      'its Books id alone',
      { Status: 'sent', Balance: 10 },
      { Status: 'sent', Balance: 10, Books_Id: 'b' },
      false,
    ],
  ])('%s -> %s', (_name, before, after, moves) => {
    expect(changesReceivables(before, after)).toBe(moves);
  });
});
