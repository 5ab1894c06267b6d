import { contentHash, stableStringify } from '../../../domain/hash';
import { DISPLAY_NAME_OF } from '../../../domain/sync/kinds';
import { crmContactFullName, normalizeName } from '../../../domain/sync/names';

describe('stableStringify', () => {
  it.each<[string, unknown, string]>([
    ['null', null, 'null'],
    ['undefined', undefined, 'null'],
    ['a string', 'a"b', '"a\\"b"'],
    ['a number', 1.5, '1.5'],
    ['NaN', NaN, 'null'],
    ['Infinity', Infinity, 'null'],
    ['a boolean', false, 'false'],
    ['an array', [1, 'a', null], '[1,"a",null]'],
    ['undefined in an array', [undefined], '[null]'],
    ['sorted keys', { b: 1, a: 2 }, '{"a":2,"b":1}'],
    ['nested sorted keys', { z: { y: 1, x: [{ d: 1, c: 2 }] } }, '{"z":{"x":[{"c":2,"d":1}],"y":1}}'],
    ['undefined properties dropped', { a: undefined, b: 1 }, '{"b":1}'],
    ['a function', () => 1, 'null'],
  ])('%s', (_what, value, text) => {
    expect(stableStringify(value)).toBe(text);
  });

  it('matches JSON.stringify on already sorted plain data', () => {
    const value = { a: [1, { b: 'x', c: null }], d: true, e: 'é' };
    expect(stableStringify(value)).toBe(JSON.stringify(value));
  });
});

describe('contentHash', () => {
  it('is 16 hex characters and deterministic', () => {
    const h = contentHash({ Account_Name: 'Zylker', Phone: '555' });
    expect(h).toMatch(/^[0-9a-f]{16}$/);
    expect(contentHash({ Account_Name: 'Zylker', Phone: '555' })).toBe(h);
  });

  it('does not depend on key order, at any depth', () => {
    expect(contentHash({ a: 1, b: { c: 2, d: 3 } })).toBe(contentHash({ b: { d: 3, c: 2 }, a: 1 }));
  });

  it('treats an undefined property as absent', () => {
    expect(contentHash({ a: 1, b: undefined })).toBe(contentHash({ a: 1 }));
  });

  it.each<[string, unknown, unknown]>([
    ['array order', [1, 2], [2, 1]],
    ['array order of objects', [{ a: 1 }, { a: 2 }], [{ a: 2 }, { a: 1 }]],
    ['a value', { a: 1 }, { a: 2 }],
    ['a key', { a: 1 }, { b: 1 }],
    ['null vs absent key', { a: null }, {}],
    ['text vs number', { a: '1' }, { a: 1 }],
    ['true vs "true"', { a: true }, { a: 'true' }],
    ['empty text vs null', { a: '' }, { a: null }],
    ['nesting', { a: { b: 1 } }, { 'a.b': 1 }],
    ['one character', 'Zylker Traders', 'Zylker Tradert'],
    ['case', 'acme', 'Acme'],
  ])('tells apart %s', (_what, a, b) => {
    expect(contentHash(a)).not.toBe(contentHash(b));
  });

  it('has no collision over many similar records', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20000; i++)
      seen.add(contentHash({ Account_Name: `Account ${i}`, Phone: `${i % 97}` }));
    expect(seen.size).toBe(20000);
  });
});

describe('normalizeName (S2.3 duplicate matching)', () => {
  it.each<[string, string | null | undefined, string]>([
    ['case', 'ACME Corp', 'acme corp'],
    ['runs of spaces', 'Acme   Corp', 'acme corp'],
    ['tabs and new lines', 'Acme\t\nCorp', 'acme corp'],
    ['leading and trailing space', '  Acme Corp  ', 'acme corp'],
    ['a no-break space', 'Acme\u00a0Corp', 'acme corp'],
    ['an ideographic space', 'Acme\u3000Corp', 'acme corp'],
    ['full-width letters (NFKC)', 'ＡＣＭＥ', 'acme'],
    ['a ligature (NFKC)', 'ﬁne foods', 'fine foods'],
    ['composed and decomposed accents', 'Cafe\u0301 Zoe\u0308', 'caf\u00e9 zo\u00eb'],
    ['accents kept', 'Café', 'café'],
    ['punctuation kept', 'Acme, Inc.', 'acme, inc.'],
    ['null', null, ''],
    ['undefined', undefined, ''],
    ['blank', '   ', ''],
  ])('%s', (_what, input, expected) => {
    expect(normalizeName(input)).toBe(expected);
  });

  it.each<[string, string]>([
    ['ACME  Corp', 'Acme Corp'],
    ['Café', 'Cafe\u0301'],
    ['ＺＹＬＫＥＲ traders', 'zylker TRADERS'],
  ])('%j matches %j', (a, b) => {
    expect(normalizeName(a)).toBe(normalizeName(b));
  });

  it.each<[string, string]>([
    ['Acme, Inc.', 'Acme Inc'],
    ['Acme Corp', 'AcmeCorp'],
    ['Café', 'Cafe'],
  ])('%j does not match %j', (a, b) => {
    expect(normalizeName(a)).not.toBe(normalizeName(b));
  });

  it('is idempotent', () => {
    for (const name of ['  ＡＣＭＥ\u00a0 Corp ', 'Cafe\u0301', 'İstanbul Ltd']) {
      expect(normalizeName(normalizeName(name))).toBe(normalizeName(name));
    }
  });
});

describe('crmContactFullName', () => {
  it.each<[string, Parameters<typeof crmContactFullName>[0], string]>([
    ['first then last', { First_Name: 'Jane', Last_Name: 'Doe' }, 'Jane Doe'],
    ['last only', { Last_Name: 'Doe' }, 'Doe'],
    ['first only', { First_Name: 'Jane' }, 'Jane'],
    ['trimmed parts', { First_Name: '  Jane ', Last_Name: ' Doe  ' }, 'Jane Doe'],
    ['blank first name', { First_Name: '   ', Last_Name: 'Doe' }, 'Doe'],
    ['nulls', { First_Name: null, Last_Name: 'Doe', Full_Name: null }, 'Doe'],
    ['parts beat Full_Name', { First_Name: 'Jane', Last_Name: 'Doe', Full_Name: 'Dr. Jane Doe' }, 'Jane Doe'],
    ['Full_Name when no part', { First_Name: null, Last_Name: '', Full_Name: ' Jane Doe ' }, 'Jane Doe'],
    ['nothing', {}, ''],
  ])('%s', (_what, contact, expected) => {
    expect(crmContactFullName(contact)).toBe(expected);
  });
});

describe('DISPLAY_NAME_OF', () => {
  it.each<[keyof typeof DISPLAY_NAME_OF, Record<string, unknown>, string]>([
    ['Accounts', { Account_Name: 'Zylker Traders' }, 'Zylker Traders'],
    ['Accounts', { Account_Name: null }, ''],
    ['Contacts', { First_Name: 'Jane', Last_Name: 'Doe' }, 'Jane Doe'],
    ['Contacts', { First_Name: 7, Last_Name: 'Doe' }, 'Doe'],
    ['Contacts', { Full_Name: 'Jane Doe' }, 'Jane Doe'],
    ['Vendors', { Vendor_Name: 'Acme Supplies' }, 'Acme Supplies'],
    ['Products', { Product_Name: 'Office Chair' }, 'Office Chair'],
    ['Products', { Product_Name: 12 }, ''],
    ['contacts', { contact_name: 'Zylker Traders', company_name: 'Other' }, 'Zylker Traders'],
    ['items', { name: 'Office Chair' }, 'Office Chair'],
  ])('%s %o → %j', (module, record, expected) => {
    expect(DISPLAY_NAME_OF[module](record)).toBe(expected);
  });
});
