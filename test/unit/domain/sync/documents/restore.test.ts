import {
  booksIdsToCheck,
  copiesToRestore,
  type RestoreLink,
  type RestoreRecord,
} from '../../../../../domain/sync/documents/restore';

const link = (n: number, extra: Partial<RestoreLink> = {}): RestoreLink => ({
  crmId: `q${n}`,
  booksId: `b${n}`,
  ...extra,
});
const crm = (n: number, deleted: boolean): RestoreRecord => ({
  id: `q${n}`,
  deleted,
  data: { id: `q${n}`, Status: 'sent', Grand_Total: n },
  syncKey: `key-${n}`,
});
const books = (n: number, deleted = false): RestoreRecord => ({ id: `b${n}`, deleted, data: {} });

describe('copiesToRestore', () => {
  it.each<[string, RestoreLink[], RestoreRecord[], RestoreRecord[], string[], Record<string, number>]>([
    ['a deleted copy of a live link comes back', [link(1)], [crm(1, true)], [books(1)], ['q1'], {}],
    ['a live copy is left alone (a second re-enable writes nothing)', [link(1)], [crm(1, false)], [], [], {}],
    [
      'a Books document deleted since keeps its copy away',
      [link(1), link(2)],
      [crm(1, true), crm(2, true)],
      [books(1, true)],
      [],
      { books_deleted: 2 },
    ],
    [
      'a link marked deleted keeps its copy away',
      [link(1, { deletedIn: 'crm' })],
      [crm(1, true)],
      [books(1)],
      [],
      { link_deleted: 1 },
    ],
    [
      'a CRM record gone altogether has nothing to restore from',
      [link(1)],
      [],
      [books(1)],
      [],
      { no_crm_record: 1 },
    ],
  ])('%s', (_name, links, crmRecords, booksRecords, restored, leftOut) => {
    const decided = copiesToRestore(links, crmRecords, booksRecords);
    expect(decided.restore.map((r) => r.id)).toEqual(restored);
    expect(decided.leftOut).toEqual(leftOut);
  });

  it('writes a copy back with the data and sync key it had', () => {
    expect(copiesToRestore([link(1)], [crm(1, true)], [books(1)]).restore).toEqual([
      { id: 'q1', data: { id: 'q1', Status: 'sent', Grand_Total: 1 }, syncKey: 'key-1' },
    ]);
  });
});

describe('booksIdsToCheck', () => {
  it('names the Books documents of the links whose copy is not live, and none when all are', () => {
    expect(booksIdsToCheck([link(1), link(2), link(3)], [crm(1, false), crm(2, true)])).toEqual(['b2', 'b3']);
    expect(booksIdsToCheck([link(1)], [crm(1, false)])).toEqual([]);
  });
});
