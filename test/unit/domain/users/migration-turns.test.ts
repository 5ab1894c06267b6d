import {
  NO_TURNS,
  promoted,
  released,
  requested,
  type TurnsState,
} from '../../../../domain/users/migration-turns';

const a1 = { workflowId: 'a', turn: 1 };
const a2 = { workflowId: 'a', turn: 2 };
const b1 = { workflowId: 'b', turn: 1 };
const c1 = { workflowId: 'c', turn: 1 };

describe('migration turns of one Books org', () => {
  it.each<[string, TurnsState, TurnsState]>([
    ['the first request waits in line', requested(NO_TURNS, a1), { holder: null, waiting: [a1] }],
    ['in line, it holds the org once free', promoted(requested(NO_TURNS, a1)), { holder: a1, waiting: [] }],
    [
      'others wait in the order they asked',
      requested(requested(promoted(requested(NO_TURNS, a1)), c1), b1),
      { holder: a1, waiting: [c1, b1] },
    ],
    [
      'a repeated request keeps its place',
      requested(requested({ holder: a1, waiting: [b1, c1] }, b1), b1),
      { holder: a1, waiting: [b1, c1] },
    ],
    [
      'the holder asking again holds its new turn',
      requested({ holder: a1, waiting: [] }, a2),
      { holder: a2, waiting: [] },
    ],
    [
      'the holder gives the org back',
      released({ holder: a1, waiting: [b1] }, 'a'),
      { holder: null, waiting: [b1] },
    ],
    [
      'a waiting batch withdraws',
      released({ holder: a1, waiting: [b1, c1] }, 'b'),
      { holder: a1, waiting: [c1] },
    ],
    ['releasing twice changes nothing', released(released({ holder: a1, waiting: [] }, 'a'), 'a'), NO_TURNS],
    ['nobody holds or waits', promoted(NO_TURNS), NO_TURNS],
  ])('%s', (_name, state, expected) => {
    expect(state).toEqual(expected);
  });
});
