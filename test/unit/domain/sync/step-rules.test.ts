import { emptyRunCounts } from '../../../../domain/sync/counts';
import { newPageResult, type RecordDecision } from '../../../../domain/sync/decide';
import { kindSpecOf } from '../../../../domain/sync/kinds';
import { MAX_NAME_LENGTH } from '../../../../domain/sync/names';
import type { SyncStep } from '../../../../domain/sync/plan';
import {
  belongsToStepOf,
  embedsKindOf,
  orphanField,
  overwritesHere,
  pageCounts,
  parentsToFollow,
  refuseWrites,
  splitLongNames,
  staleSources,
  withEmbeddedTargets,
  writesIntoParent,
} from '../../../../domain/sync/step-rules';
import type { IntegrationConfig } from '../../../../domain/sync-state-schemas';

type Module = 'accounts' | 'contacts' | 'accounts_and_contacts';
const config = (module: Module, both: { customers?: boolean; vendors?: boolean; items?: boolean } = {}) =>
  ({
    customers: {
      module,
      includeOrphanContacts: true,
      extent: both.customers ? 'both_ways' : 'fetch_from_crm',
    },
    vendors: { extent: both.vendors ? 'both_ways' : 'fetch_from_crm' },
    items: { extent: both.items ? 'both_ways' : 'fetch_from_crm' },
  }) as unknown as IntegrationConfig;

const toBooks = (kind: SyncStep['kind'], extra: Partial<SyncStep> = {}): SyncStep => ({
  kind,
  direction: 'crm_to_books',
  ...extra,
});
const toCrm = (kind: SyncStep['kind']): SyncStep => ({ kind, direction: 'books_to_crm' });

describe('overwritesHere: a duplicate is overwritten only in the first direction (S2.3)', () => {
  it.each([
    ['accounts, fetch only, CRM → Books', config('accounts'), toBooks('account'), true],
    ['accounts both ways, CRM → Books', config('accounts', { customers: true }), toBooks('account'), true],
    ['accounts both ways, Books → CRM', config('accounts', { customers: true }), toCrm('account'), false],
    ['vendors both ways, CRM → Books', config('accounts', { vendors: true }), toBooks('vendor'), true],
    ['vendors both ways, Books → CRM', config('accounts', { vendors: true }), toCrm('vendor'), false],
    ['items fetch only, CRM → Books', config('accounts'), toBooks('item'), true],
    ['items both ways, Books → CRM first', config('accounts', { items: true }), toCrm('item'), true],
    ['items both ways, CRM → Books second', config('accounts', { items: true }), toBooks('item'), false],
  ])('%s', (_name, cfg, step, expected) => {
    expect(overwritesHere(cfg, step)).toBe(expected);
  });
});

describe('the orphan rule (S2.1)', () => {
  it('reads only contacts with an empty account field in the orphans step, CRM → Books', () => {
    const step = toBooks('contact', { orphansOnly: true });
    expect(orphanField(step)).toBe('Account_Name');
    const belongs = belongsToStepOf(step)!;
    expect(belongs({ Last_Name: 'Solo' })).toBe(true);
    expect(belongs({ Last_Name: 'Solo', Account_Name: null })).toBe(true);
    expect(belongs({ Last_Name: 'Held', Account_Name: { id: 'a1' } })).toBe(false);
  });

  it.each([
    ['a plain contact step', toBooks('contact')],
    ['an orphans step the other way', { ...toCrm('contact'), orphansOnly: true }],
    ['an account step', toBooks('account')],
  ])('owns every record in %s', (_name, step) => {
    expect(orphanField(step)).toBeUndefined();
    expect(belongsToStepOf(step)).toBeUndefined();
  });
});

describe('embedded kinds: contact persons ride in new Business customers', () => {
  it.each([
    [
      'accounts and their contacts, the account step',
      config('accounts_and_contacts'),
      toBooks('account'),
      'contact_person',
    ],
    ['accounts only: nothing embedded', config('accounts'), toBooks('account'), undefined],
    [
      'the way back never embeds',
      config('accounts_and_contacts', { customers: true }),
      toCrm('account'),
      undefined,
    ],
    ['vendors never embed', config('accounts_and_contacts'), toBooks('vendor'), undefined],
  ])('%s', (_name, cfg, step, expected) => {
    expect(embedsKindOf(cfg, step)).toBe(expected);
  });

  it('follows a fetched account to its contacts, and adds them as a contact-person target', () => {
    const cfg = config('accounts_and_contacts');
    const targets = [
      { kind: 'account' as const, direction: 'crm_to_books' as const, ids: ['a1', 'a2'] },
      { kind: 'vendor' as const, direction: 'crm_to_books' as const, ids: ['v1'] },
    ];
    expect(parentsToFollow(cfg, targets)).toEqual(['a1', 'a2']);
    expect(withEmbeddedTargets(cfg, targets, ['c1', 'c2'])).toEqual([
      ...targets,
      { kind: 'contact_person', direction: 'crm_to_books', ids: ['c1', 'c2'] },
    ]);
    expect(withEmbeddedTargets(cfg, targets, [])).toEqual(targets);
    expect(parentsToFollow(config('accounts'), targets)).toEqual([]);
  });

  it.each([
    [toBooks('contact_person'), true],
    [toCrm('contact_person'), false],
    [toBooks('account'), false],
  ])('writesIntoParent(%o) is %s', (step, expected) => {
    expect(writesIntoParent(step)).toBe(expected);
  });
});

describe('staleSources: what is decided again after a target changed under the write', () => {
  const decisions: RecordDecision[] = [
    { recordId: 's1', outcome: 'added', targetId: 't1' },
    { recordId: 's2', outcome: 'updated', targetId: 't2' },
    { recordId: 's3', outcome: 'unchanged', targetId: 't3' },
    { recordId: 's4', outcome: 'failed' },
  ];
  it('redoes the records whose own target went stale', () => {
    expect([...staleSources({ decisions }, new Set(['t2', 't3']), toBooks('account'))]).toEqual(['s2', 's3']);
  });
  it('redoes every writing record of a step that writes into parents (a parent holds many)', () => {
    expect([...staleSources({ decisions }, new Set(['t9']), toBooks('contact_person'))]).toEqual([
      's1',
      's2',
    ]);
  });
});

describe('refuseWrites: a write the other system refused fails its source record', () => {
  it('turns the refused decisions into failures with field and reason, recounts and drops their links', () => {
    const { result, decide } = newPageResult();
    decide({ recordId: 's1', outcome: 'added', targetId: 't1' });
    decide({ recordId: 's2', outcome: 'updated', targetId: 't2' });
    decide({ recordId: 's3', outcome: 'failed', detail: 'Currency: not enabled' });
    result.links = [
      { crmId: 's1', booksId: 't1' },
      { crmId: 's2', booksId: 't2' },
    ] as typeof result.links;
    refuseWrites(
      result,
      new Map([['t1', { field: 'email', reason: 'not an address' }]]),
      'Books',
      new Map([['s1', { Email: 'x' }]]),
    );
    expect(result.decisions[0]).toMatchObject({
      outcome: 'failed',
      detail: 'Books refused the record: email: not an address',
    });
    expect(result.counts).toMatchObject({ added: 0, updated: 1, failed: 2 });
    expect(result.failures).toEqual([
      {
        recordId: 's1',
        field: 'email',
        reason: 'Books refused the record: not an address',
        payload: { Email: 'x' },
      },
    ]);
    expect(result.links.map((l) => l.crmId)).toEqual(['s2']);
  });
});

describe('pageCounts: records a previous run read are not counted twice', () => {
  const decisions: RecordDecision[] = [
    { recordId: 'old-unchanged', outcome: 'unchanged' },
    { recordId: 'old-skipped', outcome: 'skipped' },
    { recordId: 'old-updated', outcome: 'updated' },
    { recordId: 'old-failed-again', outcome: 'failed' },
    { recordId: 'old-failed-new', outcome: 'failed' },
    { recordId: 'new-unchanged', outcome: 'unchanged' },
    { recordId: 'new-added', outcome: 'added' },
  ];
  it('counts new records whatever their outcome, old ones only when something happened', () => {
    const counts = pageCounts(decisions, (id) => id.startsWith('old-'), new Set(['old-failed-again']));
    expect(counts).toEqual({ ...emptyRunCounts(), unchanged: 1, updated: 1, failed: 1, added: 1 });
  });
  it('counts everything when nothing was read before', () => {
    const counts = pageCounts(decisions, () => false, new Set());
    expect(counts).toEqual({
      ...emptyRunCounts(),
      unchanged: 2,
      skipped: 1,
      updated: 1,
      failed: 2,
      added: 1,
    });
  });
});

describe('splitLongNames: a name too long to look up fails alone', () => {
  it('fails the long-named records with the name field and its length, and keeps the rest', () => {
    const long = 'x'.repeat(MAX_NAME_LENGTH + 1);
    const records = [
      { id: 'a', data: { Account_Name: 'Short Ltd' } },
      { id: 'b', data: { Account_Name: long } },
    ];
    const { fit, refused } = splitLongNames(kindSpecOf('account'), 'crm_to_books', records);
    expect(fit.map((r) => r.id)).toEqual(['a']);
    expect(refused.failures).toEqual([
      {
        recordId: 'b',
        field: 'Account_Name',
        reason: `the name is ${MAX_NAME_LENGTH + 1} characters long; at most ${MAX_NAME_LENGTH} can be synced`,
        payload: { Account_Name: long },
      },
    ]);
    expect(refused.counts.failed).toBe(1);
  });
  it('reads the Books name field on the way back', () => {
    const { fit, refused } = splitLongNames(kindSpecOf('item'), 'books_to_crm', [
      { id: 'i', data: { name: 'y'.repeat(MAX_NAME_LENGTH + 5) } },
    ]);
    expect(fit).toEqual([]);
    expect(refused.failures[0]?.field).toBe('name');
  });
});
