import {
  finishedDetails,
  groupDigits,
  runningDetails,
  stepActivitySummary,
  stepLabel,
} from '../../../../domain/sync/labels';
import type { SyncStep } from '../../../../domain/sync/plan';

describe('what the Temporal UI shows of a sync run', () => {
  const steps: SyncStep[] = [
    { kind: 'account', direction: 'crm_to_books' },
    { kind: 'contact', direction: 'crm_to_books', orphansOnly: true },
    { kind: 'item', direction: 'books_to_crm', ids: ['i1', 'i2', 'i3'] },
  ];

  it.each([
    [steps[0]!, 'accounts CRM → Books'],
    [steps[1]!, 'contacts without an account CRM → Books'],
    [steps[2]!, 'items Books → CRM (3 records)'],
    [
      { kind: 'contact_person', direction: 'books_to_crm', ids: ['p'] } as SyncStep,
      'contact persons Books → CRM (1 record)',
    ],
  ])('names the step %#', (step, label) => {
    expect(stepLabel(step)).toBe(label);
  });

  it('groups digits without Intl', () => {
    expect([0, 999, 1000, 12345, 1234567].map(groupDigits)).toEqual([
      '0',
      '999',
      '1,000',
      '12,345',
      '1,234,567',
    ]);
  });

  it("an activity's summary names its step and where in it the activity starts", () => {
    expect(stepActivitySummary(steps[0]!, 3, 10_000)).toBe(
      'accounts CRM → Books · part 3 · from record 10,001 of the step',
    );
  });

  it('running details say which step of how many, and how far', () => {
    const text = runningDetails({ stepIndex: 1, steps, records: 12_500, stepRecords: 2_500 });
    expect(text).toContain('step 2 of 3: contacts without an account CRM → Books');
    expect(text).toContain('2,500 records of this step handled, 12,500 in the run');
    expect(text).toContain('✓ accounts CRM → Books, ▶ contacts without an account CRM → Books, · items');
  });

  it('finished details give the status, the counts and the first failures with their reasons', () => {
    const text = finishedDetails({
      status: 'completed_with_failures',
      counts: { customers: { crm_to_books: { added: 2, updated: 1, unchanged: 0, skipped: 0, failed: 3 } } },
      failureCount: 3,
      failures: [
        {
          module: 'customers',
          direction: 'crm_to_books',
          recordId: 'a9',
          field: 'Currency',
          reason: 'GBP is not enabled in Books',
        },
      ],
    });
    expect(text).toContain('**completed_with_failures**');
    expect(text).toContain(
      'customers CRM → Books: 2 added, 0 matched to an existing record, 1 updated, 0 unchanged (already in sync), 0 skipped, 3 failed, 0 deleted at the source',
    );
    expect(text).toContain('3 failure(s), the first 1:');
    expect(text).toContain('customers CRM → Books a9 Currency: GBP is not enabled in Books');
  });

  it('a failed run says why', () => {
    expect(
      finishedDetails({
        status: 'failed',
        reason: 'the CRM edition is FREE',
        counts: {},
        failureCount: 0,
        failures: [],
      }),
    ).toBe('**failed**: the CRM edition is FREE');
  });
});
