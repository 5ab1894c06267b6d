import type { Activities } from '../../activities';
import type { RecordWiringCheckInput } from '../../activities/wiring';
import { wiringCheckProgressQuery } from '../../workflows/messages';
import { wiringCheckWorkflow } from '../../workflows';
import { unique, useTimeSkippingEnv } from '../helpers';

const suite = useTimeSkippingEnv();

/** Activities that record the time (server time, skipped) at which each round ran. */
function recordingActivities(
  calls: { input: RecordWiringCheckInput; at: number }[],
): Pick<Activities, 'recordWiringCheck'> {
  return {
    async recordWiringCheck(input) {
      calls.push({ input, at: Date.now() });
      return { ...input, writtenAt: new Date().toISOString(), roundTripMs: 1, serverVersion: 'fake' };
    },
  };
}

describe('wiringCheckWorkflow (time-skipping)', () => {
  it('sleeps its 2-hour durable timer between rounds and finishes at once in wall time', async () => {
    const taskQueue = unique('tq');
    const calls: { input: RecordWiringCheckInput; at: number }[] = [];
    const worker = await suite.worker({
      taskQueue,
      activities: recordingActivities(calls),
    });
    const wallStart = Date.now();
    const skippedStart = (await suite.env.currentTimeMs()) as number;
    const result = await worker.runUntil(
      suite.env.client.workflow.execute(wiringCheckWorkflow, {
        taskQueue,
        workflowId: unique('wiring-check'),
        args: [{ checkId: 'c1', rounds: 3 }],
      }),
    );
    const skipped = Number(await suite.env.currentTimeMs()) - skippedStart;

    expect(result.rounds.map((r) => r.round)).toEqual([1, 2, 3]);
    expect(calls.map((c) => c.input)).toEqual([1, 2, 3].map((round) => ({ checkId: 'c1', round })));
    // Two 2-hour timers passed in server time…
    expect(skipped).toBeGreaterThanOrEqual(4 * 3_600_000);
    // …while the test itself took seconds.
    expect(Date.now() - wallStart).toBeLessThan(60_000);
  });

  it('answers its progress query while waiting on the timer', async () => {
    const taskQueue = unique('tq');
    const calls: { input: RecordWiringCheckInput; at: number }[] = [];
    const worker = await suite.worker({
      taskQueue,
      activities: recordingActivities(calls),
    });
    await worker.runUntil(async () => {
      const handle = await suite.env.client.workflow.start(wiringCheckWorkflow, {
        taskQueue,
        workflowId: unique('wiring-check'),
        args: [{ checkId: 'c2', rounds: 2, interval: '2h' }],
      });
      // Let the first round run without skipping past the timer.
      let progress = await handle.query(wiringCheckProgressQuery);
      while (progress.roundsDone < 1) progress = await handle.query(wiringCheckProgressQuery);
      expect(progress).toMatchObject({ roundsDone: 1, roundsTotal: 2 });
      expect(progress.nextRoundAt).toEqual(expect.any(String));
      await suite.env.sleep('2h');
      const result = await handle.result();
      expect(result.rounds).toHaveLength(2);
      expect(await handle.query(wiringCheckProgressQuery)).toMatchObject({
        roundsDone: 2,
        nextRoundAt: null,
      });
    });
  });

  it('retries a failing activity and converges on one record per round', async () => {
    const taskQueue = unique('tq');
    let attempts = 0;
    const worker = await suite.worker({
      taskQueue,
      activities: {
        async recordWiringCheck(input: RecordWiringCheckInput) {
          attempts++;
          if (attempts < 3) throw new Error('connection reset');
          return { ...input, writtenAt: new Date().toISOString(), roundTripMs: 1, serverVersion: 'fake' };
        },
      } satisfies Pick<Activities, 'recordWiringCheck'>,
    });
    const result = await worker.runUntil(
      suite.env.client.workflow.execute(wiringCheckWorkflow, {
        taskQueue,
        workflowId: unique('wiring-check'),
        args: [{ checkId: 'c3' }],
      }),
    );
    expect(attempts).toBe(3);
    expect(result.rounds).toHaveLength(1);
  });
});
