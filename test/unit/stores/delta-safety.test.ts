import {
  compareCursors,
  isLateWrite,
  settledBoundary,
  settledCursor,
  WRITE_SETTLE_MS,
} from '../../../stores/delta';
import { changedPaths } from '../../../stores/record-collection';
import { countDecisions, mergeRedone, type RecordDecision } from '../../../domain/sync/decide';

const at = (iso: string, id = 'r1') => ({ modifiedTime: iso, id });

describe('settledCursor: a saved cursor never passes the settled boundary', () => {
  const bound = new Date('2026-01-01T10:00:00.000Z');

  it('keeps a position older than the boundary', () => {
    expect(settledCursor(at('2026-01-01T09:59:59.999Z', 'z'), bound)).toEqual(
      at('2026-01-01T09:59:59.999Z', 'z'),
    );
  });

  it('stops just before the boundary when the read went past it, so what is newer is read again', () => {
    const saved = settledCursor(at('2026-01-01T10:05:00.000Z'), bound)!;
    expect(saved).toEqual({ modifiedTime: '2026-01-01T09:59:59.999Z', id: '~' });
    // Every record stamped at the boundary or later lies after it, whatever its id; one before it does not.
    expect(compareCursors(at('2026-01-01T10:00:00.000Z', '0'), saved)).toBeGreaterThan(0);
    expect(compareCursors(at('2026-01-01T09:59:59.999Z', 'zzzz'), saved)).toBeLessThan(0);
  });

  it('a position exactly at the boundary is not settled', () => {
    expect(settledCursor(at('2026-01-01T10:00:00.000Z'), bound)).toEqual({
      modifiedTime: '2026-01-01T09:59:59.999Z',
      id: '~',
    });
  });

  it('never goes back behind where the reading started, and stays null when nothing was read', () => {
    const from = at('2026-01-01T10:01:00.000Z');
    expect(settledCursor(at('2026-01-01T10:02:00.000Z'), bound, from)).toEqual(from);
    expect(settledCursor(null, bound)).toBeNull();
    expect(settledCursor(null, bound, from)).toEqual(from);
  });

  it('the boundary is the settle margin before the read', () => {
    const start = new Date('2026-01-01T10:00:00.000Z');
    expect(settledBoundary(start).getTime()).toBe(start.getTime() - WRITE_SETTLE_MS);
  });
});

describe('isLateWrite', () => {
  const stamp = new Date('2026-01-01T10:00:00.000Z');
  it('a command acknowledged within half the margin is on time, later is late', () => {
    expect(isLateWrite(stamp, new Date(stamp.getTime() + WRITE_SETTLE_MS / 2))).toBe(false);
    expect(isLateWrite(stamp, new Date(stamp.getTime() + WRITE_SETTLE_MS / 2 + 1))).toBe(true);
  });
});

describe('changedPaths: a per-field write sets only what differs from the version read', () => {
  const skip = new Set(['last_modified_time']);
  it.each([
    ['a changed scalar', { a: 1, b: 2 }, { a: 1, b: 3 }, { 'data.b': 3 }, []],
    [
      'a nested field, not its siblings',
      { addr: { city: 'X', street: 'S' } },
      { addr: { city: 'Y', street: 'S' } },
      { 'data.addr.city': 'Y' },
      [],
    ],
    ['an array whole', { list: [1, 2] }, { list: [1, 2, 3] }, { 'data.list': [1, 2, 3] }, []],
    [
      'an object replacing a null',
      { addr: null },
      { addr: { city: 'Y' } },
      { 'data.addr': { city: 'Y' } },
      [],
    ],
    ['a field added', { a: 1 }, { a: 1, b: 'new' }, { 'data.b': 'new' }, []],
    ['a field removed', { a: 1, b: 2 }, { a: 1 }, {}, ['data.b']],
    [
      'nothing but the modified time',
      { a: 1, last_modified_time: 'x' },
      { a: 1, last_modified_time: 'y' },
      {},
      [],
    ],
    [
      'equal objects in another key order',
      { o: { x: 1, y: [{ p: 1, q: 2 }] } },
      { o: { y: [{ q: 2, p: 1 }], x: 1 } },
      {},
      [],
    ],
  ])('%s', (_name, base, data, set, unset) => {
    expect(changedPaths(base, data, 'data', skip)).toEqual({ set, unset });
  });
});

describe('mergeRedone: records decided again after their target changed', () => {
  const d = (recordId: string, outcome: RecordDecision['outcome'], targetId?: string): RecordDecision => ({
    recordId,
    outcome,
    ...(targetId && { targetId }),
  });

  it('replaces the redone records, keeps the others', () => {
    const earlier = [d('a', 'updated', 'A'), d('b', 'updated', 'B'), d('c', 'unchanged', 'C')];
    const merged = mergeRedone(earlier, new Set(['b']), [d('b', 'updated', 'B')]);
    expect(countDecisions(merged)).toMatchObject({ updated: 2, unchanged: 1 });
  });

  it('a write that had landed is not counted unchanged when decided again', () => {
    // Contact persons: one customer record, two persons; the first person's contact was written, the second's
    // was stale. Decided again, the first is unchanged (its write landed) and still counts as updated.
    const earlier = [d('cust', 'updated', 'P1'), d('cust', 'updated', 'P2')];
    const again = [d('cust', 'unchanged', 'P1'), d('cust', 'updated', 'P2')];
    const merged = mergeRedone(earlier, new Set(['cust']), again);
    expect(countDecisions(merged)).toMatchObject({ updated: 2, unchanged: 0 });
  });

  it('takes the new outcome when the fresh record changes the decision', () => {
    const merged = mergeRedone([d('a', 'updated', 'A')], new Set(['a']), [d('a', 'failed')]);
    expect(countDecisions(merged)).toMatchObject({ updated: 0, failed: 1 });
  });
});
