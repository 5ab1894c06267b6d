import {
  changedOf,
  configured,
  crmChangeNoted,
  enableWaitOver,
  enabled,
  expiredReason,
  fullRunChosen,
  initialState,
  instantSyncQueued,
  integrationIdOf,
  isAlreadyIn,
  isExpired,
  isRunDue,
  isWaiting,
  mergeTargets,
  nextExecutionInput,
  nextPeriodicAt,
  noTargetsRefusal,
  otherIntegrationRefusal,
  refusalOf,
  runStarted,
  shouldContinueAsNew,
  statusChanged,
  targetedResultOf,
  targetedRunOf,
  windowProblem,
  type CarriedState,
  type IntegrationRequest,
  type IntegrationStatusName,
  type RunSummary,
  type TargetedRequest,
} from '../../../domain/integration-state';

const HOUR = 3_600_000;
const T0 = Date.parse('2024-05-01T10:00:00.000Z');

function state(over: Partial<CarriedState> = {}): CarriedState {
  return { ...initialState(), ...over };
}

const active = (over: Partial<CarriedState> = {}) =>
  state({ status: 'active', direction: 'two_way', ...over });

describe('which request the integration accepts in which state', () => {
  const STATES: IntegrationStatusName[] = ['new', 'active', 'paused', 'disabled'];
  // accept: the request changes something; already: a status change to the status held, answered with it;
  // refuse: refused with the state's reason.
  const TABLE: Record<IntegrationRequest, ('accept' | 'already' | 'refuse')[]> = {
    //            new        active     paused     disabled
    enable: ['accept', 'refuse', 'refuse', 'accept'],
    configure: ['refuse', 'accept', 'accept', 'refuse'],
    pause: ['refuse', 'accept', 'already', 'refuse'],
    resume: ['refuse', 'already', 'accept', 'refuse'],
    disable: ['refuse', 'accept', 'accept', 'already'],
    'sync now': ['refuse', 'accept', 'refuse', 'refuse'],
    fetch: ['refuse', 'accept', 'refuse', 'refuse'],
    import: ['refuse', 'accept', 'refuse', 'refuse'],
    reprocess: ['refuse', 'accept', 'refuse', 'refuse'],
  };
  const WHY: Record<IntegrationStatusName, string> = {
    new: 'the integration is not enabled yet',
    active: 'the integration is active',
    paused: 'the integration is paused; resume it first',
    disabled: 'the integration is disabled; enable it again first',
  };
  const rows = Object.entries(TABLE).flatMap(([request, outcomes]) =>
    outcomes.map((outcome, i) => [request as IntegrationRequest, STATES[i]!, outcome] as const),
  );

  it('covers every request in every state', () => {
    expect(rows).toHaveLength(9 * 4);
  });

  it.each(rows)('%s while %s: %s', (request, status, outcome) => {
    expect(refusalOf(request, status)).toBe(
      outcome === 'refuse' ? `cannot ${request}: ${WHY[status]}` : null,
    );
    expect(isAlreadyIn(request, status)).toBe(outcome === 'already');
  });

  it.each([
    [{ crmOrgId: 'c1', booksOrgId: 'b1', environment: 'production' }, null],
    [
      { crmOrgId: 'c2', booksOrgId: 'b1', environment: 'production' },
      'this workflow is the integration c1/b1/production',
    ],
    [
      { crmOrgId: 'c1', booksOrgId: 'b2', environment: 'production' },
      'this workflow is the integration c1/b1/production',
    ],
    [
      { crmOrgId: 'c1', booksOrgId: 'b1', environment: 'sandbox' },
      'this workflow is the integration c1/b1/production',
    ],
  ])('an enable naming %j is refused when it is another integration', (asked, refusal) => {
    const own = { crmOrgId: 'c1', booksOrgId: 'b1', environment: 'production' };
    expect(integrationIdOf(own)).toBe('c1/b1/production');
    expect(otherIntegrationRefusal(own, asked)).toBe(refusal);
  });

  it.each([
    [[], 'fetch: no records given'],
    [[{ kind: 'account', direction: 'crm_to_books', ids: [] }], 'fetch: no records given'],
    [[{ kind: 'account', direction: 'crm_to_books', ids: ['a1'] }], null],
    [
      [
        { kind: 'account', direction: 'crm_to_books', ids: [] },
        { kind: 'item', direction: 'books_to_crm', ids: ['i1'] },
      ],
      null,
    ],
  ] as const)('a targeted run over %j: %s', (targets, refusal) => {
    expect(
      noTargetsRefusal(
        'fetch',
        targets.map((t) => ({ ...t, ids: [...t.ids] })),
      ),
    ).toBe(refusal);
  });
});

describe('what an accepted request changes', () => {
  const saved = { direction: 'one_way' as const, configVersion: 4, periodicSyncMinutes: 30 };

  it.each([
    ['new', true],
    ['new', false],
    ['disabled', true],
    ['disabled', false],
  ] as const)(
    'an enable from %s with sync now %s makes it active with the saved settings',
    (from, syncNow) => {
      const after = enabled(state({ status: from, configVersion: 3 }), saved, syncNow, T0);
      expect(after).toEqual(
        state({
          status: 'active',
          direction: 'one_way',
          configVersion: 4,
          periodicSyncMinutes: 30,
          // "Sync now" queues a sync; "sync later" counts the periodic schedule from now.
          pendingInstant: syncNow,
          scheduleFrom: syncNow ? null : T0,
        }),
      );
    },
  );

  it.each([
    ['active', true, true],
    ['active', false, false],
    // Paused: the new settings apply from the next run after resume; no sync is queued.
    ['paused', true, false],
    ['paused', false, false],
  ] as const)('a configure while %s with sync now %s queues a sync: %s', (status, syncNow, queued) => {
    const { state: after, syncQueued } = configured(state({ status }), saved, syncNow);
    expect(syncQueued).toBe(queued);
    expect(after).toEqual(
      state({ status, configVersion: 4, periodicSyncMinutes: 30, pendingInstant: queued }),
    );
  });

  it.each([
    ['paused', 'the integration was paused before this request ran'],
    ['disabled', 'the integration was disabled before this request ran'],
  ] as const)('a change to %s drops the queue', (to, dropped) => {
    const change = statusChanged(active({ pendingInstant: true }), to);
    expect(change).toEqual({ state: active({ status: to, pendingInstant: false }), dropped });
  });

  it('a resume keeps the queue (nothing was queued while paused but a carried instant sync)', () => {
    const change = statusChanged(active({ status: 'paused', pendingInstant: true }), 'active');
    expect(change).toEqual({ state: active({ pendingInstant: true }), dropped: null });
  });

  it('leaves the state it was given alone', () => {
    const before = active({ pendingInstant: true });
    const copy = structuredClone(before);
    statusChanged(before, 'paused');
    configured(before, saved, true);
    enabled(before, saved, true, T0);
    crmChangeNoted(before);
    expect(before).toEqual(copy);
  });
});

describe('coalescing of sync requests', () => {
  it.each([
    [false, null, 0, { queued: true, coalesced: false, runNumber: 8, message: 'queued: starts now' }],
    [
      false,
      'sync-run/c/b/production/7',
      0,
      {
        queued: true,
        coalesced: false,
        runNumber: 8,
        message: 'queued: starts when sync-run/c/b/production/7 finishes',
      },
    ],
    // The waiting targeted requests' run goes first.
    [false, null, 2, { queued: true, coalesced: false, runNumber: 9, message: 'queued: starts now' }],
    [
      true,
      'sync-run/c/b/production/7',
      0,
      {
        queued: false,
        coalesced: true,
        runNumber: 8,
        message: 'a sync was already requested; this request joins it',
      },
    ],
  ])(
    'an instant sync with one already queued %s, running %s, %s targeted waiting',
    (pendingInstant, runningRunId, targetedWaiting, answer) => {
      const queued = instantSyncQueued(active({ runsStarted: 7, pendingInstant }), {
        runningRunId,
        targetedWaiting,
      });
      expect(queued.answer).toEqual(answer);
      expect(queued.state).toEqual(active({ runsStarted: 7, pendingInstant: true }));
    },
  );

  it.each([
    ['new', false, { received: 1, queuedSync: 0 }, false],
    ['active', false, { received: 1, queuedSync: 1 }, true],
    // Joins the sync already queued: counted as received, not as queuing one.
    ['active', true, { received: 1, queuedSync: 0 }, true],
    ['paused', false, { received: 1, queuedSync: 0 }, false],
    ['disabled', false, { received: 1, queuedSync: 0 }, false],
  ] as const)(
    'a CRM change notification while %s (sync queued %s) counts %j and queues a sync: %s',
    (status, pendingInstant, notifications, queues) => {
      const noted = crmChangeNoted(state({ status, pendingInstant }));
      expect(noted.queues).toBe(queues);
      expect(noted.state).toEqual(state({ status, pendingInstant: pendingInstant || queues, notifications }));
    },
  );

  const request = (
    reason: TargetedRequest['reason'],
    ids: string[],
    over: Partial<TargetedRequest> = {},
  ) => ({
    requestId: 1,
    reason,
    targets: [{ kind: 'account' as const, direction: 'crm_to_books' as const, ids }],
    ...over,
  });

  it.each([
    [{}, true],
    [{ started: true }, false],
    [{ error: 'the integration was paused before this request ran' }, false],
    [{ result: { runId: 'r', status: 'completed', failureCount: 0, changed: 1 } }, false],
  ])('a targeted request %j waits for a run: %s', (over, waiting) => {
    expect(isWaiting(request('fetch', ['a'], over))).toBe(waiting);
  });

  it.each([
    [['fetch', 'import'], 'fetch', ['a0', 'shared', 'a1']],
    [['import', 'fetch'], 'import', ['a0', 'shared', 'a1']],
    [['fetch', 'reprocess', 'import'], 'reprocess', ['a0', 'shared', 'a1', 'a2']],
  ] as const)('the requests %j run as one run named %s', (reasons, trigger, ids) => {
    const run = targetedRunOf(reasons.map((r, i) => request(r, [`a${i}`, 'shared'])));
    expect(run).toEqual({ trigger, targets: [{ kind: 'account', direction: 'crm_to_books', ids }] });
  });

  it('merges targets by kind and direction, each id once, in first-seen order', () => {
    expect(
      mergeTargets([
        { kind: 'account', direction: 'crm_to_books', ids: ['a1', 'a2'] },
        { kind: 'item', direction: 'books_to_crm', ids: ['i1'] },
        { kind: 'account', direction: 'crm_to_books', ids: ['a2', 'a3'] },
        { kind: 'account', direction: 'books_to_crm', ids: ['a1'] },
      ]),
    ).toEqual([
      { kind: 'account', direction: 'crm_to_books', ids: ['a1', 'a2', 'a3'] },
      { kind: 'item', direction: 'books_to_crm', ids: ['i1'] },
      { kind: 'account', direction: 'books_to_crm', ids: ['a1'] },
    ]);
  });

  const summary: RunSummary = {
    runId: 'sync-run/c/b/production/3',
    runNumber: 3,
    trigger: 'fetch',
    status: 'completed_with_failures',
    reason: 'one record failed',
    startedAt: '2024-05-01T10:00:00.000Z',
    finishedAt: '2024-05-01T10:00:05.000Z',
    failureCount: 1,
    changed: 2,
  };

  it("answers each targeted request with its run's outcome", () => {
    expect(targetedResultOf(summary)).toEqual({
      runId: 'sync-run/c/b/production/3',
      status: 'completed_with_failures',
      reason: 'one record failed',
      failureCount: 1,
      changed: 2,
    });
    const noReason: RunSummary = { ...summary };
    delete noReason.reason;
    expect(targetedResultOf(noReason)).not.toHaveProperty('reason');
  });

  it('counts the records a run changed: added, matched and updated, over every module and direction', () => {
    expect(
      changedOf({
        customers: { crm_to_books: { added: 2, updated: 1, unchanged: 9 }, books_to_crm: { updated: 4 } },
        items: { crm_to_books: { added: 1, matched: 2, failed: 3, skipped: 2 } },
      }),
    ).toBe(10);
  });
});

describe('when a run starts, and which', () => {
  it.each([
    ['new', { lastFullRunAt: T0 }, null],
    ['paused', { lastFullRunAt: T0 }, null],
    ['disabled', { lastFullRunAt: T0 }, null],
    // Active but neither run nor scheduled ("sync now" enable whose run has not ended).
    ['active', {}, null],
    ['active', { lastFullRunAt: T0 }, T0 + 2 * HOUR],
    ['active', { scheduleFrom: T0 }, T0 + 2 * HOUR],
    // Whichever is later.
    ['active', { lastFullRunAt: T0, scheduleFrom: T0 + HOUR }, T0 + 3 * HOUR],
    ['active', { lastFullRunAt: T0 + HOUR, scheduleFrom: T0 }, T0 + 3 * HOUR],
    ['active', { lastFullRunAt: T0, periodicSyncMinutes: 15 }, T0 + HOUR / 4],
  ] as const)('the next periodic sync while %s with %j is at %s', (status, over, at) => {
    expect(nextPeriodicAt(state({ status, ...over }))).toBe(at);
  });

  const idle = { runningRunId: null, targetedWaiting: 0 };
  const running = { runningRunId: 'sync-run/c/b/production/1', targetedWaiting: 1 };
  it.each([
    ['nothing asked, before the periodic time', false, active({ lastFullRunAt: T0 }), idle, T0 + HOUR],
    ['the periodic time reached', true, active({ lastFullRunAt: T0 }), idle, T0 + 2 * HOUR],
    ['an instant sync queued', true, active({ pendingInstant: true }), idle, T0],
    ['a targeted request waiting', true, active(), { ...idle, targetedWaiting: 1 }, T0],
    ['a run in progress', false, active({ pendingInstant: true }), running, T0 + 9 * HOUR],
    [
      'paused',
      false,
      state({ status: 'paused', pendingInstant: true, lastFullRunAt: T0 }),
      idle,
      T0 + 9 * HOUR,
    ],
    [
      'disabled',
      false,
      state({ status: 'disabled', lastFullRunAt: T0 }),
      { ...idle, targetedWaiting: 1 },
      T0,
    ],
    ['new', false, state({ pendingInstant: true }), idle, T0],
  ])('a run is due with %s: %s', (_why, due, s, queue, now) => {
    expect(isRunDue(s, queue, now)).toBe(due);
  });

  it.each([
    [{ lastFullRunAt: null, pendingInstant: true }, 'initial'],
    [{ lastFullRunAt: null, pendingInstant: false }, 'initial'],
    [{ lastFullRunAt: T0, pendingInstant: true }, 'instant'],
    [{ lastFullRunAt: T0, pendingInstant: false }, 'periodic'],
  ])('a full run with %j is the %s run, and takes the queued instant sync', (over, trigger) => {
    const chosen = fullRunChosen(active(over));
    expect(chosen.trigger).toBe(trigger);
    expect(chosen.state).toEqual(active({ ...over, pendingInstant: false }));
  });

  it('numbers runs from 1 over the life of the integration', () => {
    const first = runStarted(active());
    expect(first.runNumber).toBe(1);
    expect(runStarted(first.state).runNumber).toBe(2);
    expect(runStarted(active({ runsStarted: 41 }))).toEqual({
      state: active({ runsStarted: 42 }),
      runNumber: 42,
    });
  });
});

describe('continue-as-new', () => {
  const short = {
    continueAsNewSuggested: false,
    historyLength: 100,
    runsThisExecution: 3,
    runsPerExecution: undefined,
    maxHistoryEvents: undefined,
  };
  const nothing = { busy: false, targetedRequests: 0, allHandlersFinished: true };

  const long = { ...short, runsThisExecution: 100 };
  it.each([
    ['a short execution', false, short, nothing],
    ['the server suggesting it', true, { ...short, continueAsNewSuggested: true }, nothing],
    ['past 2,000 events by default', true, { ...short, historyLength: 2_001 }, nothing],
    ['2,000 events', false, { ...short, historyLength: 2_000 }, nothing],
    ['past the events given', true, { ...short, historyLength: 51, maxHistoryEvents: 50 }, nothing],
    ['100 runs by default', true, long, nothing],
    ['99 runs', false, { ...short, runsThisExecution: 99 }, nothing],
    ['the runs given', true, { ...short, runsThisExecution: 3, runsPerExecution: 3 }, nothing],
    ['a long one whose handler holds the document', false, long, { ...nothing, busy: true }],
    ['a long one with a targeted request unanswered', false, long, { ...nothing, targetedRequests: 1 }],
    ['a long one with a handler not finished', false, long, { ...nothing, allHandlersFinished: false }],
  ])('continues as new with %s: %s', (_why, expected, length, inFlight) => {
    expect(shouldContinueAsNew(length, inFlight)).toBe(expected);
  });

  it('carries the whole state, and keeps the input and its options', () => {
    const input = {
      crmOrgId: 'c',
      booksOrgId: 'b',
      environment: 'production' as const,
      runsPerExecution: 5,
      carried: state(),
    };
    const s = active({ runsStarted: 5, lastFullRunAt: T0, notifications: { received: 3, queuedSync: 1 } });
    const next = nextExecutionInput(input, s);
    expect(next).toEqual({ ...input, carried: s });
    // Plain JSON: it survives the payload converter as it is.
    expect(JSON.parse(JSON.stringify(next))).toEqual(next);
  });
});

describe('the enable wait and the update deadline', () => {
  it.each([
    ['new', 0, false, false],
    ['new', 1, true, false],
    ['new', 1, false, true],
    ['active', 0, false, true],
    ['active', 0, true, true],
  ] as const)(
    'while %s, %s enables refused, busy %s: the wait is over %s',
    (status, failures, busy, over) => {
      expect(enableWaitOver(state({ status }), failures, busy)).toBe(over);
    },
  );

  it.each([
    [{}, null],
    [{ requestedAt: '2024-05-01T10:00:00.000Z', deadline: '2024-05-01T10:00:30.000Z' }, null],
    [{ requestedAt: 'yesterday' }, 'invalid request: requestedAt must be an ISO time'],
    [{ deadline: 'soon' }, 'invalid request: deadline must be an ISO time'],
    [{ deadline: 42 as unknown as string }, 'invalid request: deadline must be an ISO time'],
  ])('a request window %j: %s', (window, problem) => {
    expect(windowProblem(window)).toBe(problem);
  });

  const window = { requestedAt: '2024-05-01T10:00:00.000Z', deadline: '2024-05-01T10:00:30.000Z' };
  it.each([
    [{}, T0 + 9 * HOUR, false],
    [window, T0 + 30_000, false],
    [window, T0 + 30_001, true],
  ])('a request %j received at %s is expired: %s', (req, now, expired) => {
    expect(isExpired(req, now)).toBe(expired);
  });

  it('says when a late request was sent, when it arrived and its deadline', () => {
    expect(expiredReason('pause', window, T0 + 60_000)).toBe(
      'the pause request sent at 2024-05-01T10:00:00.000Z arrived at 2024-05-01T10:01:00.000Z, after its ' +
        'deadline 2024-05-01T10:00:30.000Z: its caller had stopped waiting, so it was not applied',
    );
    expect(expiredReason('fetch', { deadline: window.deadline }, T0 + 60_000)).toContain(
      'the fetch request sent at (unknown time)',
    );
  });
});
