import { z } from 'zod';
import { checkConfigInput, configChanges, describeConfigChanges } from '../../../domain/config-input';
import { closestKey, describeUnknownKey, editDistance, findUnknownKeys } from '../../../domain/unknown-keys';

const CONFIG = {
  customers: { module: 'accounts', extent: 'both_ways', duplicatePolicy: 'skip' },
  vendors: { extent: 'fetch_from_crm', duplicatePolicy: 'clone' },
  items: { extent: 'both_ways', duplicatePolicy: 'overwrite' },
};

describe('editDistance', () => {
  it.each<[string, string, number]>([
    ['', '', 0],
    ['abc', '', 3],
    ['', 'abc', 3],
    ['same', 'same', 0],
    ['kitten', 'sitting', 3],
    ['periodicSyncMinute', 'periodicSyncMinutes', 1],
    ['a swap of neighbours', 'a sawp of neighbours', 1],
    ['extnet', 'extent', 1],
  ])('%j → %j: %d', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });
});

describe('closestKey', () => {
  const KNOWN = ['customers', 'vendors', 'items', 'transactionSync', 'ownerUserId', 'periodicSyncMinutes'];
  it.each<[string, string | undefined]>([
    ['periodicSyncMinute', 'periodicSyncMinutes'],
    ['periodic_sync_minutes', 'periodicSyncMinutes'],
    ['PeriodicSyncMinutes', 'periodicSyncMinutes'],
    ['periodicSyncMins', 'periodicSyncMinutes'],
    ['customer', 'customers'],
    ['vendor', 'vendors'],
    ['item', 'items'],
    ['transactionsync', 'transactionSync'],
    ['ownerId', undefined],
    ['colour', undefined],
    ['x', undefined],
    ['', undefined],
  ])('%j → %j', (typed, expected) => {
    expect(closestKey(typed, KNOWN)).toBe(expected);
  });

  it('prefers the nearer of two candidates, then the first', () => {
    expect(closestKey('abcd', ['abxy', 'abcx'])).toBe('abcx');
    expect(closestKey('abcd', ['abcx', 'abcy'])).toBe('abcx');
  });
});

describe('findUnknownKeys', () => {
  const Schema = z.object({
    name: z.string(),
    nested: z.object({ inner: z.number().optional() }).optional(),
    list: z.array(z.object({ field: z.string() })).default([]),
    strict: z.strictObject({ on: z.boolean() }).optional(),
    loose: z.looseObject({ a: z.string() }).optional(),
    free: z.record(z.string(), z.unknown()).optional(),
    refined: z
      .object({ only: z.string() })
      .superRefine(() => undefined)
      .optional(),
  });

  it.each<[string, unknown, string[]]>([
    ['a clean value', { name: 'n', nested: { inner: 1 }, list: [{ field: 'f' }] }, []],
    ['a top-level typo', { name: 'n', nmae: 'x' }, ['nmae: unknown key; did you mean name?']],
    ['a nested typo', { name: 'n', nested: { iner: 1 } }, ['nested.iner: unknown key; did you mean inner?']],
    [
      'a typo inside a list',
      { name: 'n', list: [{ field: 'f' }, { feild: 'g' }] },
      ['list.1.feild: unknown key; did you mean field?'],
    ],
    ['a strict object', { name: 'n', strict: { of: true } }, ['strict.of: unknown key; did you mean on?']],
    [
      'a refined object',
      { name: 'n', refined: { onyl: 'x' } },
      ['refined.onyl: unknown key; did you mean only?'],
    ],
    [
      'no close key: the known ones',
      { name: 'n', zzzzzzzz: 1 },
      ['zzzzzzzz: unknown key; expected one of name, nested, list, strict, loose, free, refined'],
    ],
    ['a loose object takes anything', { name: 'n', loose: { a: 'x', b: 'y' } }, []],
    ['a record takes anything', { name: 'n', free: { anything: 1 } }, []],
    ['a value of the wrong type is left to the schema', { name: 'n', nested: 'text', list: 'no' }, []],
    ['not an object at all', 'text', []],
  ])('%s', (_what, value, messages) => {
    expect(findUnknownKeys(Schema, value).map(describeUnknownKey)).toEqual(messages);
  });

  it('stops at the limit', () => {
    const value = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, i]));
    expect(findUnknownKeys(Schema, value, 3)).toHaveLength(3);
  });
});

describe('checkConfigInput', () => {
  it('accepts a valid configuration with its defaults', () => {
    const checked = checkConfigInput(CONFIG);
    expect(checked.ok && checked.config.periodicSyncMinutes).toBe(120);
  });

  it.each<[string, unknown, string[]]>([
    [
      'a misspelled top-level key',
      { ...CONFIG, periodicSyncMinute: 30 },
      ['periodicSyncMinute: unknown key; did you mean periodicSyncMinutes?'],
    ],
    [
      'a misspelled module key',
      { ...CONFIG, customers: { ...CONFIG.customers, includeOrphanContact: true } },
      ['customers.includeOrphanContact: unknown key; did you mean includeOrphanContacts?'],
    ],
    [
      'a misspelled field map key',
      {
        ...CONFIG,
        vendors: { ...CONFIG.vendors, fieldMaps: [{ crmField: 'Phone', bookField: 'phone' }] },
      },
      [
        'vendors.fieldMaps.0.bookField: unknown key; did you mean booksField?',
        'vendors.fieldMaps.0.booksField: Invalid input: expected string, received undefined',
      ],
    ],
    [
      'unknown keys and schema problems together',
      { ...CONFIG, items: { extent: 'sideways', duplicatePolicy: 'skip' }, transactionsync: true },
      [
        'transactionsync: unknown key; did you mean transactionSync?',
        'items.extent: Invalid option: expected one of "fetch_from_crm"|"both_ways"',
      ],
    ],
  ])('refuses %s', (_what, config, issues) => {
    expect(checkConfigInput(config)).toEqual({ ok: false, issues });
  });
});

describe('configChanges', () => {
  const before = {
    ...CONFIG,
    transactionSync: false,
    periodicSyncMinutes: 120,
    customers: { ...CONFIG.customers, includeOrphanContacts: false, fieldMaps: [] },
  };

  it('is empty for the same configuration', () => {
    expect(configChanges(before, structuredClone(before))).toEqual([]);
  });

  it('names each changed setting with its old and new value', () => {
    const after = {
      ...before,
      periodicSyncMinutes: 30,
      ownerUserId: 'u1',
      customers: {
        ...before.customers,
        extent: 'fetch_from_crm',
        fieldMaps: [{ crmField: 'Phone', booksField: 'phone' }],
      },
    };
    const changes = configChanges(before, after);
    expect(changes).toEqual([
      { path: 'customers.extent', before: '"both_ways"', after: '"fetch_from_crm"' },
      {
        path: 'customers.fieldMaps',
        before: '[]',
        after: '[{"crmField":"Phone","booksField":"phone"}]',
      },
      { path: 'periodicSyncMinutes', before: '120', after: '30' },
      { path: 'ownerUserId', before: '(unset)', after: '"u1"' },
    ]);
    expect(describeConfigChanges(changes)).toBe(
      'customers.extent: "both_ways" → "fetch_from_crm"; ' +
        'customers.fieldMaps: [] → [{"crmField":"Phone","booksField":"phone"}]; ' +
        'periodicSyncMinutes: 120 → 30; ownerUserId: (unset) → "u1"',
    );
  });

  it('names a removed setting and never prints a secret-looking one', () => {
    const changes = configChanges(
      { a: 1, webhook: { apiKey: 'old-secret' }, gone: true },
      { a: 1, webhook: { apiKey: 'new-secret' } },
    );
    expect(changes).toEqual([
      { path: 'webhook.apiKey', before: '***', after: '***' },
      { path: 'gone', before: 'true', after: '(unset)' },
    ]);
  });

  it('cuts a long value', () => {
    const [change] = configChanges({ list: [] }, { list: Array.from({ length: 100 }, (_, i) => i) });
    expect(change!.after).toHaveLength(200);
    expect(change!.after.endsWith('…')).toBe(true);
  });
});
