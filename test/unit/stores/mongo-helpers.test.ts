import { MongoServerError, MongoNetworkError } from 'mongodb';
import { chunks, defined, isDuplicateKey } from '../../../stores/mongo-helpers';

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
