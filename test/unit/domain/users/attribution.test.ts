import { actorIdOf, attributed, booksAttributionOf } from '../../../../domain/users/attribution';

const ana = { id: 'u1', name: 'Ana Lima', email: 'ana@example.test', books_user_id: 'iu-u1' };
const bo = { id: 'u2', name: 'Bo Chen', email: 'bo@example.test', books_user_id: 'bu-2' };

describe('attribution of finance documents', () => {
  it.each([
    ['who modified it', { id: 'q1', Modified_By: { id: 'u1' }, Created_By: { id: 'u2' } }, 'u1'],
    ['else who created it', { id: 'q1', Created_By: { id: 'u2' } }, 'u2'],
    ['nobody named', { id: 'q1' }, undefined],
    ['a malformed user field names nobody', { id: 'q1', Modified_By: 'u1' }, undefined],
  ])('the acting user is %s', (_name, record, expected) => {
    expect(actorIdOf(record)).toBe(expected);
  });

  it('a new record is created and modified by the actor; an existing one keeps its creator', () => {
    expect(attributed({ id: 'q1' }, ana, undefined)).toEqual({ id: 'q1', Created_By: ana, Modified_By: ana });
    expect(attributed({ id: 'q1', Created_By: ana }, bo, { id: 'q1', Created_By: ana })).toEqual({
      id: 'q1',
      Created_By: ana,
      Modified_By: bo,
    });
  });

  it("the Books document names the users' Books ids and names", () => {
    expect(booksAttributionOf({ Created_By: ana, Modified_By: bo })).toEqual({
      created_by_id: 'iu-u1',
      created_by_name: 'Ana Lima',
      last_modified_by_id: 'bu-2',
      last_modified_by_name: 'Bo Chen',
    });
    expect(booksAttributionOf({ Subject: 'no users' })).toEqual({});
  });
});
