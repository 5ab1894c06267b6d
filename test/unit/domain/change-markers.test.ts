import { mustScan, trustedToken, type ChangeMarker } from '../../../domain/change-markers';

const QUIET_MS = 60_000;
const readAt = new Date('2026-01-01T10:00:00.000Z');
const marker = (token: string, msBeforeRead: number): ChangeMarker => ({
  token,
  changedAt: new Date(readAt.getTime() - msBeforeRead),
});

describe('trustedToken: a read vouches only for a marker quiet long enough', () => {
  it.each([
    ['no marker (nothing written since markers exist)', undefined, undefined],
    ['set just now: a write it announces may still be in flight', marker('t1', 0), undefined],
    ['set a millisecond short of the quiet time', marker('t1', QUIET_MS - 1), undefined],
    ['set exactly the quiet time before the read', marker('t1', QUIET_MS), 't1'],
    ['set long before the read', marker('t1', 3_600_000), 't1'],
    ['set "after" the read (a writer clock ahead)', marker('t1', -5_000), undefined],
  ])('%s', (_case, given, expected) => {
    expect(trustedToken(given, readAt, QUIET_MS)).toBe(expected);
  });
});

describe('mustScan: a step skips only when the marker holds the token its last read to the end saved', () => {
  it.each([
    ['nothing saved (first run, or a read that did not vouch)', undefined, marker('t1', QUIET_MS), true],
    ['no marker', 't1', undefined, true],
    ['the marker moved since', 't1', marker('t2', QUIET_MS), true],
    ['the marker moved just now', 't1', marker('t2', 0), true],
    ['the same token', 't1', marker('t1', QUIET_MS), false],
    // Once vouched for, the token alone decides: its age then says nothing new.
    ['the same token, however recent its time reads', 't1', marker('t1', 0), false],
  ])('%s', (_case, saved, current, expected) => {
    expect(mustScan(saved, current)).toBe(expected);
  });
});
