import { promises as fs } from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';

/**
 * Committed histories of real runs, replayed against the current workflow code: a change that would break
 * running workflows (a reordered command, a removed activity) fails here with a determinism error.
 * Record new ones with `CBS_RECORD_HISTORIES=1 npm run test:integration`.
 */
const dir = path.join(__dirname, 'histories');

describe('replay of committed histories', () => {
  it('has histories to replay', async () => {
    expect((await fs.readdir(dir)).filter((f) => f.endsWith('.json')).length).toBeGreaterThan(0);
  });

  it('replays every history without a determinism error', async () => {
    const files = (await fs.readdir(dir)).filter((f) => f.endsWith('.json')).sort();
    const histories = await Promise.all(
      files.map(async (f) => {
        const parsed = JSON.parse(await fs.readFile(path.join(dir, f), 'utf8')) as {
          workflowId: string;
          history: unknown;
        };
        // fromObject (not the SDK's JSON path) because protobufjs' JSON reader trips over jest's module registry.
        const history = temporal.api.history.v1.History.fromObject(parsed.history as Record<string, unknown>);
        return { workflowId: parsed.workflowId, history };
      }),
    );
    const results = [];
    for await (const result of Worker.runReplayHistories(
      { workflowsPath: require.resolve('../../workflows') },
      histories,
    )) {
      results.push(result);
    }
    expect(results.map((r) => [r.workflowId, r.error?.message])).toEqual(
      histories.map((h) => [h.workflowId, undefined]),
    );
  }, 120_000);
});
