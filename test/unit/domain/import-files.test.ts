import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BOOKS_ID_KEYS, BOOKS_MODULES, BOOKS_RECORD_KEYS } from '../../../domain/books-schemas';
import { CRM_MODULES } from '../../../domain/crm-schemas';
import { idsAsText, readImportFile, shapesLookedFor, type ImportShape } from '../../../domain/import-files';
import { ListResponseError, validateRecords } from '../../../domain/validation';

const SHAPES = path.join(__dirname, '..', '..', 'fixtures', 'shapes');
const FIXTURES = path.join(__dirname, '..', '..', 'fixtures');
const text = (file: string) => readFileSync(file, 'utf8');

const books = (module: 'contacts' | 'items' | 'invoices'): ImportShape => ({
  system: 'books',
  module,
  listKey: module,
  recordKey: BOOKS_RECORD_KEYS[module],
  idKey: BOOKS_ID_KEYS[module],
});
const crm = (module: string): ImportShape => ({ system: 'crm', module, idKey: 'id' });

describe('readImportFile: every response shape of a module', () => {
  it.each<[string, string, ImportShape, string, number]>([
    ['a Books list', path.join(FIXTURES, 'books-invoices-response.json'), books('invoices'), 'books', 3],
    ['a Books list summary', path.join(SHAPES, 'books-invoices-summary.json'), books('invoices'), 'books', 2],
    [
      'a Books single contact',
      path.join(SHAPES, 'books-contact-single.json'),
      books('contacts'),
      'books_record',
      1,
    ],
    [
      'a Books single invoice',
      path.join(SHAPES, 'books-invoice-single.json'),
      books('invoices'),
      'books_record',
      1,
    ],
    ['a Books single item', path.join(SHAPES, 'books-item-single.json'), books('items'), 'books_record', 1],
    ['a bare pretty-printed item', path.join(SHAPES, 'books-item-bare.json'), books('items'), 'object', 1],
    ['a CRM list', path.join(FIXTURES, 'crm-accounts-response.json'), crm('Accounts'), 'crm', 3],
    ['a CRM single record', path.join(SHAPES, 'crm-product-single.json'), crm('Products'), 'crm', 1],
    ['a bare CRM record', path.join(SHAPES, 'crm-vendor-bare.json'), crm('Vendors'), 'object', 1],
    ['NDJSON', path.join(FIXTURES, 'import-crm-contacts.ndjson'), crm('Contacts'), 'ndjson', 6],
    [
      'pretty-printed records one after another',
      path.join(SHAPES, 'crm-contacts-pretty.ndjson'),
      crm('Contacts'),
      'ndjson',
      2,
    ],
    ['an array', path.join(SHAPES, 'books-contacts-numeric-ids.json'), books('contacts'), 'array', 3],
  ])('reads %s', (_name, file, shape, format, count) => {
    const read = readImportFile(text(file), shape);
    expect(read.format).toBe(format);
    expect(read.records).toHaveLength(count);
  });

  it.each<[string, string, ImportShape, string]>([
    ['a Books list without its code', '{"items": [{"item_id": "1"}]}', books('items'), 'books'],
    [
      'a Books record without its code',
      '{"invoice": {"invoice_id": "1"}}',
      books('invoices'),
      'books_record',
    ],
    ['one NDJSON line', '{"id":"1","Last_Name":"A"}\n', crm('Contacts'), 'object'],
    ['a CRM list of one, pretty-printed', '{\n  "data": [\n    {"id": "1"}\n  ]\n}', crm('Contacts'), 'crm'],
  ])('reads %s', (_name, body, shape, format) => {
    expect(readImportFile(body, shape)).toMatchObject({ format, records: [expect.any(Object)] });
  });

  it('keeps the record of a single response as it is, and says whether more pages follow', () => {
    const read = readImportFile(text(path.join(SHAPES, 'books-invoice-single.json')), books('invoices'));
    expect(read.records[0]).toMatchObject({ invoice_number: 'INV-00003', line_items: [{}, {}] });
    expect(read.hasMore).toBe(false);
    const page = readImportFile('{"data": [{"id": "1"}], "info": {"more_records": true}}', crm('Deals'));
    expect(page.hasMore).toBe(true);
  });

  it('reads a stream whose strings hold braces, quotes and escapes', () => {
    const read = readImportFile(text(path.join(SHAPES, 'crm-contacts-pretty.ndjson')), crm('Contacts'));
    expect(read.records[0]).toMatchObject({
      Description: 'Prefers calls {before noon}, "never" on Fridays.',
    });
  });

  it('finds no records in an empty file or an empty list', () => {
    expect(readImportFile('  \n', crm('Contacts')).records).toEqual([]);
    expect(readImportFile('{"data": []}', crm('Contacts')).records).toEqual([]);
    expect(readImportFile('{"code": 0, "contacts": []}', books('contacts')).records).toEqual([]);
  });

  it.each<[string, string, ImportShape, RegExp]>([
    [
      'a CRM response into Books',
      '{"data": [{"id": "1"}]}',
      books('contacts'),
      /a CRM response .*not a Books/,
    ],
    [
      'a Books response into the CRM',
      '{"code": 0, "contacts": []}',
      crm('Contacts'),
      /a Books response .*not a CRM/,
    ],
    [
      'another Books module',
      text(path.join(FIXTURES, 'books-contacts-response.json')),
      books('items'),
      /no "items" array and no "item" object \(it holds "contacts", "page_context"\)/,
    ],
    [
      'another module without its code',
      '{"contacts": [{"contact_id": "1"}]}',
      books('items'),
      /no items response nor one items record \(no "item_id"\) \(it holds "contacts"\)/,
    ],
    [
      'a Books error',
      '{"code": 57, "message": "You are not authorized"}',
      books('items'),
      /Books API error 57/,
    ],
    [
      'a CRM error',
      '{"code": "INVALID_TOKEN", "status": "error", "message": "bad"}',
      crm('Accounts'),
      /CRM API error/,
    ],
    ['a CRM data that is no array', '{"data": {"id": "1"}}', crm('Accounts'), /"data" must be an array/],
    ['a number', '42', crm('Accounts'), /holds a number/],
    ['a broken NDJSON line', '{"id":"1"}\n{"id":\n', crm('Accounts'), /line 2 is not JSON/],
    ['an NDJSON line that is no object', '{"id":"1"}\n[1,2]\n', crm('Accounts'), /NDJSON line 2 is an array/],
    ['CSV', 'id,name\n1,Zylker', crm('Accounts'), /line 1 is not JSON/],
    [
      'a pretty-printed object that is no record',
      '{\n  "records": []\n}',
      crm('Accounts'),
      /no Accounts response nor one Accounts record \(no "id"\)/,
    ],
  ])('refuses %s, naming what it found', (_name, body, shape, message) => {
    expect(() => readImportFile(body, shape)).toThrow(ListResponseError);
    expect(() => readImportFile(body, shape)).toThrow(message);
  });

  it('names the shapes it looked for', () => {
    expect(() => readImportFile('id,name', books('invoices'))).toThrow(shapesLookedFor(books('invoices')));
    expect(shapesLookedFor(books('invoices'))).toBe(
      'a Books list {"code": 0, "invoices": [...]}, a Books single-record response {"code": 0, "invoice": {...}}, ' +
        'one record object with its "invoice_id", a JSON array of records, ' +
        'NDJSON (one record per line, or pretty-printed records one after another)',
    );
    expect(shapesLookedFor(crm('Contacts'))).toMatch(/^a CRM response \{"data": \[\.\.\.\]\}/);
  });
});

describe('idsAsText: ids printed as numbers', () => {
  it('takes safe integers at any depth as their decimal strings and leaves other numbers alone', () => {
    const { record, problems } = idsAsText({
      contact_id: 460000000026049,
      rate: 120,
      contact_persons: [{ contact_person_id: 460000000026051, phone: 1234 }],
      Owner: { id: 42, name: 'A' },
      Books_Id: 7,
      paid: 3,
    });
    expect(problems).toEqual([]);
    expect(record).toEqual({
      contact_id: '460000000026049',
      rate: 120,
      contact_persons: [{ contact_person_id: '460000000026051', phone: 1234 }],
      Owner: { id: '42', name: 'A' },
      Books_Id: '7',
      paid: 3,
    });
  });

  it('refuses a number beyond 2^53 and a fraction, with the reason, and keeps them as they are', () => {
    // As a file holds them: JSON text, read by JSON.parse (a literal here would lose the digits already).
    const { record, problems } = idsAsText(
      JSON.parse(
        '{"id": 4150868000000301002, "Account_Name": {"id": 9007199254740993, "name": "A"}, ' +
          '"line_items": [{"item_id": 1.5}]}',
      ) as Record<string, unknown>,
    );
    expect(problems).toEqual([
      {
        field: 'id',
        reason: expect.stringMatching(
          /^the id is a JSON number beyond 2\^53 \(read as 4150868000000301000\)/,
        ),
      },
      { field: 'Account_Name.id', reason: expect.stringMatching(/beyond 2\^53.*give the id as a string/) },
      { field: 'line_items.0.item_id', reason: 'the id 1.5 is not a whole number' },
    ]);
    expect(record.id).toBe(Number('4150868000000301002'));
  });

  it('turns the documentation examples into records the schemas accept', () => {
    for (const [file, module] of [
      ['books-contact-single.json', 'contacts'],
      ['books-invoice-single.json', 'invoices'],
      ['books-item-single.json', 'items'],
    ] as const) {
      const [raw] = readImportFile(text(path.join(SHAPES, file)), books(module)).records;
      const { record, problems } = idsAsText(raw as Record<string, unknown>);
      expect(problems).toEqual([]);
      expect(validateRecords(BOOKS_MODULES[module], [record]).invalid).toEqual([]);
    }
    const [product] = readImportFile(
      text(path.join(SHAPES, 'crm-product-single.json')),
      crm('Products'),
    ).records;
    const { $approved, $currency_symbol, $editable, $state, ...rest } = product as Record<string, unknown>;
    expect([$approved, $currency_symbol, $editable, $state]).toEqual([true, '$', true, 'save']);
    expect(validateRecords(CRM_MODULES.Products, [rest]).invalid).toEqual([]);
  });
});
