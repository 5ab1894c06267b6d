import { promises as fs } from 'node:fs';
import path from 'node:path';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { MongoClient } from 'mongodb';
import { connectClient, startWiringCheck, wiringCheckProgress } from '../../client/temporal';
import { loadConfig } from '../../workers/config';
import { createLogger } from '../../workers/logging';
import { startWorker, type RunningWorker } from '../../workers/service';
import { integrationEndpoints, unique } from '../helpers';

/** The production wiring (config, deps, worker, client) against the real dev server and Mongo-wire server. */
describe('wiring check on the real servers', () => {
  const { temporalAddress, mongoUri } = integrationEndpoints();
  const syncDb = unique('sync').replace(/-/g, '_');
  const config = loadConfig({
    ...process.env,
    CBS_SYNC_DB: syncDb,
    CBS_TASK_QUEUE: unique('tq'),
    TEMPORAL_ADDRESS: '',
  });
  const endpoints = {
    temporal: { address: temporalAddress, uiUrl: undefined, description: 'test' },
    mongo: { uri: mongoUri, description: 'test' },
  };
  let running: RunningWorker;
  let client: Client;
  let mongo: MongoClient;

  beforeAll(async () => {
    running = await startWorker(config, endpoints, createLogger('warn'));
    client = await connectClient({
      connect: config.temporalConnect,
      address: temporalAddress,
      namespace: 'default',
    });
    mongo = await MongoClient.connect(mongoUri);
  }, 120_000);

  afterAll(async () => {
    await client?.connection.close();
    await running?.shutdown();
    await mongo?.db(syncDb).dropDatabase();
    await mongo?.close();
  });

  it('writes and reads MongoDB through a workflow activity, once per round', async () => {
    const checkId = unique('it');
    const handle = await startWiringCheck(client, config.app.temporal.taskQueue, {
      checkId,
      rounds: 2,
      interval: '1s',
    });
    const result = await handle.result();

    expect(result.workflowId).toBe(`wiring-check/${checkId}`);
    expect(result.rounds.map((r) => r.round)).toEqual([1, 2]);
    const docs = await mongo
      .db(syncDb)
      .collection('wiring_checks')
      .find({ checkId })
      .sort({ round: 1 })
      .toArray();
    expect(docs.map((d) => [d._id, d.round, d.workflowId])).toEqual([
      [`${checkId}#1`, 1, result.workflowId],
      [`${checkId}#2`, 2, result.workflowId],
    ]);
    expect(docs.map((d) => (d.writtenAt as Date).toISOString())).toEqual(
      result.rounds.map((r) => r.writtenAt),
    );
    expect(await wiringCheckProgress(client, checkId)).toEqual({
      roundsDone: 2,
      roundsTotal: 2,
      nextRoundAt: null,
    });

    if (process.env.CBS_RECORD_HISTORIES === '1') {
      const history = await handle.fetchHistory();
      const file = path.join(__dirname, '..', 'replay', 'histories', 'wiring-check.json');
      await fs.writeFile(file, JSON.stringify({ workflowId: handle.workflowId, history }, null, 1));
    }
  });

  it('refuses a second run of a completed check and writes nothing more', async () => {
    const checkId = unique('it');
    await (await startWiringCheck(client, config.app.temporal.taskQueue, { checkId })).result();
    await expect(startWiringCheck(client, config.app.temporal.taskQueue, { checkId })).rejects.toBeInstanceOf(
      WorkflowExecutionAlreadyStartedError,
    );
    expect(await mongo.db(syncDb).collection('wiring_checks').countDocuments({ checkId })).toBe(1);
  });

  it('stores each round idempotently when an activity is retried', async () => {
    const checkId = unique('it');
    const before = new Date();
    await running.deps.diagnostics.recordWiringCheck({ checkId, round: 1, workflowId: 'w' });
    const first = await running.deps.diagnostics.findWiringCheck(checkId, 1);
    await running.deps.diagnostics.recordWiringCheck({ checkId, round: 1, workflowId: 'w' });
    const second = await running.deps.diagnostics.findWiringCheck(checkId, 1);
    expect(await running.deps.diagnostics.countWiringChecks(checkId)).toBe(1);
    expect(second?.writtenAt).toEqual(first?.writtenAt);
    expect(second!.modifiedTime.getTime()).toBeGreaterThanOrEqual(before.getTime());
  });

  it('has created its indexes before serving', async () => {
    const indexes = await mongo.db(syncDb).collection('wiring_checks').indexes();
    expect(indexes.find((i) => i.name === 'checkId_round')).toMatchObject({
      key: { checkId: 1, round: 1 },
      unique: true,
    });
  });
});
