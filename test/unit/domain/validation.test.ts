import { z } from 'zod';
import { BooksContactDocSchema } from '../../../domain/books-schemas';
import { CrmContactDocSchema } from '../../../domain/crm-schemas';
import {
  findUnsafeKey,
  findUnsafeKeys,
  MAX_DOCUMENT_DEPTH,
  safeKeys,
  splitDollarKeys,
  unsafeKeyReason,
} from '../../../domain/safe-keys';
import {
  CurrencyCodeSchema,
  EmailSchema,
  IsoDateSchema,
  ListResponseError,
  parseListPage,
  parseListResponse,
  RecordIdSchema,
  recordId,
  TimestampSchema,
  validateRecords,
} from '../../../domain/validation';
import crmAccounts from '../../fixtures/crm-accounts-response.json';
import crmContacts from '../../fixtures/crm-contacts-response.json';
import booksContacts from '../../fixtures/books-contacts-response.json';
import booksInvoices from '../../fixtures/books-invoices-response.json';
import booksItems from '../../fixtures/books-items-response.json';

describe('field formats', () => {
  it.each<[string, z.ZodType, unknown, boolean]>([
    ['a Zoho id', RecordIdSchema, '4150868000000224005', true],
    ['an ObjectId-like id', RecordIdSchema, '665f1c2ab7e4a1d2c3b4a5f6', true],
    ['an id with a colon', RecordIdSchema, 'crm:1', true],
    ['an empty id', RecordIdSchema, '', false],
    ['an id with a space', RecordIdSchema, 'a b', false],
    ['an id with $', RecordIdSchema, '$where', false],
    ['a 129-character id', RecordIdSchema, 'x'.repeat(129), false],
    ['a date', IsoDateSchema, '2024-06-30', true],
    ['a leap day', IsoDateSchema, '2024-02-29', true],
    ['a leap day in a common year', IsoDateSchema, '2023-02-29', false],
    ['month 13', IsoDateSchema, '2024-13-01', false],
    ['a timestamp as a date', IsoDateSchema, '2024-06-30T00:00:00Z', false],
    ['a CRM timestamp', TimestampSchema, '2019-05-03T11:58:57+05:30', true],
    ['a Books timestamp', TimestampSchema, '2013-11-18T02:17:40-0800', true],
    ['a UTC timestamp with milliseconds', TimestampSchema, '2024-06-02T17:40:05.123Z', true],
    ['a timestamp without zone', TimestampSchema, '2024-06-02T17:40:05', false],
    ['a timestamp with a space', TimestampSchema, '2024-06-02 17:40:05Z', false],
    ['hour 24', TimestampSchema, '2024-06-02T24:00:00Z', false],
    ['February 30th', TimestampSchema, '2024-02-30T10:00:00Z', false],
    ['a currency code', CurrencyCodeSchema, 'KWD', true],
    ['a lower-case code', CurrencyCodeSchema, 'kwd', false],
    ['a currency symbol', CurrencyCodeSchema, '$', false],
    ['an email', EmailSchema, 'amelia.burrows+crm@zylker.example', true],
    ['an email without domain dot', EmailSchema, 'root@localhost', false],
    ['an email with a space', EmailSchema, 'a b@c.de', false],
  ])('%s: %j -> %s', (_name, schema, value, ok) => {
    expect(schema.safeParse(value).success).toBe(ok);
  });
});

describe('validateRecords', () => {
  it('splits a batch into parsed records and failures with index, id and every problem of each record', () => {
    const batch: unknown[] = [
      { id: '1', Last_Name: 'Burrows', Custom_Tier: 'Gold' },
      { id: '2', First_Name: 'No last name' },
      { First_Name: 'No id either' },
      { id: '4', Last_Name: 'Okafor', Email: 'bad', Account_Name: 'not a lookup' },
      'not a record',
      { id: '6', Last_Name: 'Watanabe', Owner: { id: '9', $gt: 1 } },
      { id: '7', Last_Name: 'Ok' },
    ];
    const { valid, invalid } = validateRecords(CrmContactDocSchema, batch);
    expect(valid.map((r) => r.id)).toEqual(['1', '7']);
    expect(valid[0]?.Custom_Tier).toBe('Gold');
    const dollar = 'key "$gt" starts with "$" (reserved for MongoDB operators)';
    const failure = (index: number, id: string | undefined, ...problems: [string, string][]) => ({
      index,
      ...(id !== undefined && { id }),
      field: problems[0]![0],
      reason: problems[0]![1],
      problems: problems.map(([field, reason]) => ({ field, reason })),
    });
    expect(invalid).toEqual([
      failure(1, '2', ['Last_Name', 'required']),
      failure(2, undefined, ['Last_Name', 'required'], ['id', 'required']),
      failure(3, '4', ['Email', 'must be an email address'], ['Account_Name', 'expected object, got string']),
      failure(4, undefined, ['(record)', 'expected object, got string']),
      failure(5, '6', ['Owner.$gt', dollar]),
    ]);
  });

  it('reports the fields of a record with an unsafe key too, not only the key', () => {
    const record = { id: '8', Email: 'bad', Owner: { id: '9', $gt: 1 }, Phone: 5 };
    expect(validateRecords(CrmContactDocSchema, [record]).invalid[0]?.problems).toEqual([
      { field: 'Owner.$gt', reason: 'key "$gt" starts with "$" (reserved for MongoDB operators)' },
      { field: 'Last_Name', reason: 'required' },
      { field: 'Email', reason: 'must be an email address' },
      { field: 'Phone', reason: 'expected string, got number' },
    ]);
  });

  it('reads Books ids from the module id key', () => {
    const { invalid } = validateRecords(
      BooksContactDocSchema,
      [{ contact_id: '46', contact_type: 'customer' }],
      {
        idKey: 'contact_id',
      },
    );
    expect(invalid).toEqual([
      {
        index: 0,
        id: '46',
        field: 'contact_name',
        reason: 'required',
        problems: [{ field: 'contact_name', reason: 'required' }],
      },
    ]);
  });

  it('accepts an empty batch', () => {
    expect(validateRecords(CrmContactDocSchema, [])).toEqual({ valid: [], invalid: [] });
  });

  it('works with any schema, reporting bounds and nested paths', () => {
    const schema = safeKeys(
      z.object({ lines: z.array(z.object({ qty: z.number().gt(0), sku: z.string().max(3) })).max(2) }),
    );
    const cases: [unknown, string, string][] = [
      [{ lines: [{ qty: 1, sku: 'abcd' }] }, 'lines.0.sku', 'must be at most 3 characters'],
      [
        {
          lines: [
            { qty: 1, sku: 'a' },
            { qty: 0, sku: 'b' },
          ],
        },
        'lines.1.qty',
        'must be > 0, got 0',
      ],
      [
        {
          lines: [
            { qty: 1, sku: 'a' },
            { qty: 1, sku: 'b' },
            { qty: 1, sku: 'c' },
          ],
        },
        'lines',
        'must have at most 2 item(s)',
      ],
      [{ lines: [{ qty: 1 }] }, 'lines.0.sku', 'required'],
    ];
    for (const [record, field, reason] of cases) {
      expect(validateRecords(schema, [record]).invalid).toEqual([
        { index: 0, field, reason, problems: [{ field, reason }] },
      ]);
    }
  });

  it.each([
    [{ id: 'a1' }, 'id', 'a1'],
    [{ id: 42 }, 'id', '42'],
    [{ id: '' }, 'id', undefined],
    [{ id: null }, 'id', undefined],
    [{ invoice_id: 'i1' }, 'invoice_id', 'i1'],
    [{ invoice_id: 'i1' }, 'id', undefined],
    ['x', 'id', undefined],
  ])('recordId(%j, %s) is %j', (record, key, id) => {
    expect(recordId(record, key)).toBe(id);
  });
});

describe('parseListPage', () => {
  const crm = {
    data: [{ id: '1' }, { id: '2' }],
    info: { per_page: 2, count: 2, page: 3, more_records: true },
  };
  const books = {
    code: 0,
    message: 'success',
    invoices: [{ invoice_id: '1' }],
    page_context: { page: 2, per_page: 200, has_more_page: true },
  };

  it.each<[string, unknown, object]>([
    ['a CRM page', crm, { format: 'crm', records: crm.data, hasMore: true, page: 3 }],
    ['a CRM page without info', { data: [] }, { format: 'crm', records: [], hasMore: false }],
    ['a Books page', books, { format: 'books', records: books.invoices, hasMore: true, page: 2 }],
    ['a CRM page as text', JSON.stringify(crm, null, 2), { format: 'crm', records: crm.data, hasMore: true }],
    ['a Books page as text', JSON.stringify(books), { format: 'books', records: books.invoices }],
    ['a bare array', [{ id: '1' }], { format: 'array', records: [{ id: '1' }], hasMore: false }],
    ['a bare array as text', '[{"id":"1"}]', { format: 'array', records: [{ id: '1' }] }],
    [
      'NDJSON',
      '{"id":"1"}\n\n{"id":"2"}\r\n{"id":"3"}\n',
      { format: 'ndjson', records: [{ id: '1' }, { id: '2' }, { id: '3' }] },
    ],
    [
      'one NDJSON line',
      '{"id":"1","Last_Name":"A"}',
      { format: 'ndjson', records: [{ id: '1', Last_Name: 'A' }] },
    ],
    ['empty text (HTTP 204)', '  \n', { format: 'ndjson', records: [], hasMore: false }],
  ])('reads %s', (_name, body, page) => {
    expect(parseListPage(body)).toMatchObject(page);
  });

  it('takes the Books list key when a response holds several arrays', () => {
    const body = { code: 0, message: 'success', contacts: [{ contact_id: '1' }], warnings: [] };
    expect(() => parseListPage(body)).toThrow('several arrays (contacts, warnings): say which with booksKey');
    expect(parseListResponse(body, { booksKey: 'contacts' })).toEqual([{ contact_id: '1' }]);
    expect(() => parseListPage(body, { booksKey: 'items' })).toThrow('no "items" array');
  });

  it.each<[string, unknown, string]>([
    [
      'a Books error',
      { code: 57, message: 'You are not authorized to perform this operation' },
      'Books API error 57: You are not authorized',
    ],
    [
      'a CRM error',
      { code: 'INVALID_TOKEN', status: 'error', message: 'invalid oauth token' },
      'CRM API error "INVALID_TOKEN": invalid oauth token',
    ],
    ['a CRM error as text', '{"code":"INVALID_TOKEN","status":"error","message":"bad"}', 'CRM API error'],
    ['a CRM page whose data is not an array', { data: { id: '1' } }, '"data" must be an array, got object'],
    [
      'a Books page without records',
      { code: 0, message: 'success', page_context: {} },
      'holds no array of records',
    ],
    ['an object of neither shape', { records: [] }, 'not a list response'],
    ['a number', 42, 'not a list response'],
    ['null', null, 'not a list response'],
    ['pretty-printed JSON of neither shape', '{\n  "records": []\n}', 'line 1 is not JSON'],
    ['a broken NDJSON line', '{"id":"1"}\n{"id":\n', 'line 2 is not JSON'],
    ['an NDJSON line that is not an object', '{"id":"1"}\n[1,2]\n', 'NDJSON line 2 is array'],
    ['plain text', 'id,name\n1,Zylker', 'line 1 is not JSON'],
  ])('refuses %s', (_name, body, message) => {
    expect(() => parseListPage(body)).toThrow(ListResponseError);
    expect(() => parseListPage(body)).toThrow(message);
  });

  it.each([
    ['crm-accounts-response', crmAccounts, 3],
    ['crm-contacts-response', crmContacts, 3],
    ['books-contacts-response', booksContacts, 3],
    ['books-items-response', booksItems, 3],
    ['books-invoices-response', booksInvoices, 3],
  ])('reads the %s fixture', (_name, body, count) => {
    expect(parseListResponse(body)).toHaveLength(count);
    expect(parseListResponse(JSON.stringify(body))).toHaveLength(count);
  });
});

describe('safe keys', () => {
  it.each<[string, string | undefined]>([
    ['Account_Name', undefined],
    ['a$b', undefined],
    ['dotted.key', undefined],
    ['', undefined],
    ['$set', 'key "$set" starts with "$" (reserved for MongoDB operators)'],
    ['$', 'key "$" starts with "$" (reserved for MongoDB operators)'],
    ['a\0b', 'key "a\\u0000b" contains a NUL character'],
    ['__proto__', 'key "__proto__" is not allowed'],
  ])('%j -> %j', (key, reason) => {
    expect(unsafeKeyReason(key)).toBe(reason);
  });

  it('finds every unsafe key depth-first, with its path', () => {
    const value = { a: { $x: 1, b: [{ c: 1 }, { $y: 2 }] }, $z: 3, ok: [1, 'two', null] };
    expect(findUnsafeKeys(value).map((u) => u.path)).toEqual([['a', '$x'], ['a', 'b', 1, '$y'], ['$z']]);
    expect(findUnsafeKeys(value, 2)).toHaveLength(2);
    expect(findUnsafeKey(value)?.path).toEqual(['a', '$x']);
    expect(findUnsafeKey({ a: [1, { b: 'c' }] })).toBeUndefined();
    expect(findUnsafeKey('scalar')).toBeUndefined();
  });

  it('refuses nesting deeper than BSON allows', () => {
    let deep: unknown = {};
    for (let i = 0; i < MAX_DOCUMENT_DEPTH + 5; i++) deep = { n: deep };
    const found = findUnsafeKey(deep);
    expect(found?.reason).toBe(`nested deeper than ${MAX_DOCUMENT_DEPTH} levels`);
    expect(found?.path).toHaveLength(MAX_DOCUMENT_DEPTH);
  });

  it('refuses circular references', () => {
    const loop: Record<string, unknown> = { a: 1 };
    loop.self = { back: loop };
    expect(findUnsafeKey(loop)).toEqual({ path: ['self', 'back'], reason: 'circular reference' });
    const shared = { x: 1 };
    expect(findUnsafeKey({ a: shared, b: shared })).toBeUndefined();
  });

  it('reports the unsafe key before anything else the schema would say', () => {
    const schema = safeKeys(z.object({ name: z.string() }));
    const result = schema.safeParse({ name: 5, nested: { $where: 'x' } });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path)).toEqual([['nested', '$where']]);
    expect(schema.parse({ name: 'ok' })).toEqual({ name: 'ok' });
  });

  it('splits top-level $ metadata off a record without losing other keys', () => {
    const record = JSON.parse(
      '{"id":"1","$approved":true,"$":1,"$__proto__":{"x":1},"__proto__":2,"Owner":{"$k":1}}',
    );
    const { record: clean, meta } = splitDollarKeys(record);
    expect(Object.keys(clean)).toEqual(['id', '$', '__proto__', 'Owner']);
    expect(Object.keys(meta)).toEqual(['approved', '__proto__']);
    expect(Object.getPrototypeOf(meta)).toBe(Object.prototype);
    expect(findUnsafeKeys(clean).map((u) => u.path.join('.'))).toEqual(['$', '__proto__', 'Owner.$k']);
  });
});
