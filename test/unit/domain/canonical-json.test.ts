import { canonicalJson } from '../../../domain/canonical-json';
import { contentHash, stableStringify } from '../../../domain/hash';
import { contentHashOf } from '../../../stores/content-hash';

describe('canonicalJson', () => {
  it.each<[string, unknown, string]>([
    ['a Date as its ISO text', new Date('2024-05-01T10:00:00.000Z'), '"2024-05-01T10:00:00.000Z"'],
    ['a Date inside an object', { at: new Date(0) }, '{"at":"1970-01-01T00:00:00.000Z"}'],
    ['an invalid Date', new Date(NaN), 'null'],
    ['integer-like keys in text order', { '10': 1, '9': 2, a: 3 }, '{"10":1,"9":2,"a":3}'],
    ['undefined members dropped at depth', { a: { b: undefined, c: 1 } }, '{"a":{"c":1}}'],
    ['a key needing escapes', { 'a"b': 1 }, '{"a\\"b":1}'],
  ])('%s', (_what, value, text) => {
    expect(canonicalJson(value)).toBe(text);
  });

  it('tells two instants apart (a Date is not an empty object)', () => {
    expect(canonicalJson({ at: new Date(0) })).not.toBe(canonicalJson({ at: new Date(1) }));
  });

  it('is the function domain/hash.ts compares with', () => {
    expect(stableStringify).toBe(canonicalJson);
  });
});

describe('the content hashes keep the values already stored', () => {
  // Computed by the implementations before the canonical form was shared: a change here re-writes every
  // stored record once (their SHA-256) or breaks derived ids and link hashes (the 64-bit hash).
  it('domain contentHash (links, derived ids)', () => {
    expect(contentHash(['crm1|books1|production', 'customer', '4150868000000224001'])).toBe(
      '921c2a37298d27d7',
    );
    expect(contentHash({ Account_Name: 'Zylker', Phone: '555', Tags: ['a', 'b'], n: 1.5, z: null })).toBe(
      '24b3312990e30d37',
    );
  });

  it('stores contentHashOf (records, settings)', () => {
    const record = {
      id: '4150868000000224001',
      Account_Name: 'Zylker Traders',
      Modified_Time: '2024-05-01T10:00:00+00:00',
      Owner: { name: 'Ann', id: '1' },
      Tag: [{ name: 'b' }, { name: 'a' }],
      Employees: 12,
      Description: null,
      Notes: undefined,
    };
    expect(contentHashOf(record, 'Modified_Time')).toBe(
      'a21ca4c1d5d1e524e7b27c49c9416afc36f469a13b2c435a894204e0f8c0d1e3',
    );
    expect(contentHashOf({ scope: undefined, data: { id: '7', name: 'x' } }, '')).toBe(
      '42dc0030cc2c0d28ca95c0a7d1a57f6f5b8ca13f0fe7710d75ec4a4c4232cd5f',
    );
  });

  it('ignores the modified-time field the store stamps itself', () => {
    const a = { id: '1', name: 'x', Modified_Time: '2024-01-01T00:00:00+00:00' };
    expect(contentHashOf(a, 'Modified_Time')).toBe(
      contentHashOf({ ...a, Modified_Time: '2025-01-01T00:00:00+00:00' }, 'Modified_Time'),
    );
  });
});
