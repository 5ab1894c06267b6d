import { MongoServerError, MongoNetworkError } from 'mongodb';
import { chunks, defined, isDuplicateKey } from '../../stores/mongo-helpers';
import {
  FERRETDB_CAPABILITIES,
  MONGODB_CAPABILITIES,
  capabilitiesFor,
} from '../../stores/server-capabilities';
import type { Db } from 'mongodb';

describe('isDuplicateKey', () => {
  it.each<[string, unknown, boolean]>([
    ['MongoDB E11000', new MongoServerError({ message: 'E11000 duplicate key', code: 11000 }), true],
    [
      "FerretDB's refused update (InternalError, UNIQUE constraint failed)",
      new MongoServerError({ message: 'UNIQUE constraint failed: links.booksId', code: 1 }),
      true,
    ],
    ['another InternalError', new MongoServerError({ message: 'disk I/O error', code: 1 }), false],
    ['another server error', new MongoServerError({ message: 'not primary', code: 10107 }), false],
    ['a network error', new MongoNetworkError('connection reset'), false],
    ['a plain Error saying E11000', new Error('E11000 duplicate key'), false],
  ])('%s', (_what, error, expected) => {
    expect(isDuplicateKey(error)).toBe(expected);
  });
});

describe('chunks', () => {
  it.each<[string, number[], number, number[][]]>([
    ['none', [], 3, []],
    ['fewer than a chunk', [1, 2], 3, [[1, 2]]],
    [
      'exact chunks',
      [1, 2, 3, 4],
      2,
      [
        [1, 2],
        [3, 4],
      ],
    ],
    ['a short last chunk', [1, 2, 3], 2, [[1, 2], [3]]],
    ['no limit', [1, 2, 3], Number.POSITIVE_INFINITY, [[1, 2, 3]]],
  ])('%s', (_what, items, size, expected) => {
    expect(chunks(items, size)).toEqual(expected);
  });
});

describe('defined', () => {
  it('drops undefined members and keeps null', () => {
    expect(defined({ a: undefined, b: null, c: 0 })).toEqual({ b: null, c: 0 });
  });
});

describe('capabilitiesFor', () => {
  it('uses the given capabilities without asking the server', async () => {
    const db = {
      admin: () => {
        throw new Error('probed');
      },
    } as unknown as Db;
    await expect(capabilitiesFor(db, FERRETDB_CAPABILITIES)()).resolves.toBe(FERRETDB_CAPABILITIES);
  });

  it('probes a Db once when none are given, and again after a failed probe', async () => {
    const answers: (() => Promise<object>)[] = [
      () => Promise.reject(new Error('unreachable')),
      () => Promise.resolve({ version: '7.0.0', ferretdbVersion: 'v1.24.2' }),
    ];
    let asked = 0;
    const db = { admin: () => ({ command: () => answers[asked++]!() }) } as unknown as Db;
    const capabilities = capabilitiesFor(db, undefined);
    await expect(capabilities()).rejects.toThrow('unreachable');
    await expect(capabilities()).resolves.toBe(FERRETDB_CAPABILITIES);
    await expect(capabilities()).resolves.toBe(FERRETDB_CAPABILITIES);
    expect(asked).toBe(2);
  });

  it('takes a server without a FerretDB version for MongoDB', async () => {
    const db = { admin: () => ({ command: () => Promise.resolve({ version: '7.0.0' }) }) } as unknown as Db;
    await expect(capabilitiesFor(db, undefined)()).resolves.toBe(MONGODB_CAPABILITIES);
  });
});
