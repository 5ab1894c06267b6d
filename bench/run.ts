#!/usr/bin/env node
import { MongoClient } from 'mongodb';
import { TEMPORAL_SQLITE_PRAGMAS } from '../scripts/launch';
import { startEphemeralServices } from '../scripts/services';
import { loadConfig } from '../workers/config';
import { startWiringCheck } from '../client';
import {
  benchConfig,
  dropBenchDatabases,
  figuresText,
  perSecond,
  ratioOf,
  startBenchWorker,
  type Figures,
  type ScenarioEntry,
} from './harness';
import { syncScenarios } from './sync-scenarios';
import { dealToInvoiceScenario } from './deal-to-invoice';
import { transactionsScenario } from './transactions';
import { userMigrationScenario } from './user-migration';

/**
 * Benchmark runner: `npm run bench -- <scenario> [--json] [--n N]`. Every scenario measures our path and a
 * baseline on the same servers in the same run, and prints both with their ratio and the server settings.
 */

const scenarios: Record<string, ScenarioEntry> = {
  'user-migration': userMigrationScenario({ benchConfig, startBenchWorker, dropBenchDatabases }),
  transactions: transactionsScenario({ benchConfig, startBenchWorker, dropBenchDatabases }),
  'deal-to-invoice': dealToInvoiceScenario({ benchConfig, startBenchWorker, dropBenchDatabases }),
  ...syncScenarios(),
  'wiring-check': {
    describe:
      'N wiring-check workflows (one MongoDB write+read activity each), 50 at a time, vs N direct driver upserts',
    defaultN: 500,
    async run({ n, temporal, mongoUri }) {
      const db = `bench_${Date.now()}`;
      const config = loadConfig({
        ...process.env,
        CBS_SYNC_DB: db,
        CBS_TASK_QUEUE: `bench-${Date.now()}`,
        TEMPORAL_ADDRESS: '',
      });
      const { running, client } = await startBenchWorker(config, temporal, mongoUri);
      const mongo = await MongoClient.connect(mongoUri);
      try {
        const t0 = Date.now();
        for (let i = 0; i < n; i += 50) {
          const batch = Array.from({ length: Math.min(50, n - i) }, (_, j) =>
            startWiringCheck(client, config.app.temporal.taskQueue, { checkId: `b${t0}-${i + j}` }).then(
              (h) => h.result(),
            ),
          );
          await Promise.all(batch);
        }
        const oursMs = Date.now() - t0;

        const coll = mongo.db(db).collection<{ _id: string }>('baseline');
        const b0 = Date.now();
        for (let i = 0; i < n; i += 50) {
          await Promise.all(
            Array.from({ length: Math.min(50, n - i) }, (_, j) =>
              coll
                .updateOne({ _id: `b${i + j}` }, { $set: { at: new Date() } }, { upsert: true })
                .then(() => coll.findOne({ _id: `b${i + j}` })),
            ),
          );
        }
        const baseMs = Date.now() - b0;
        return {
          n,
          ours: { wallMs: oursMs, perSecond: perSecond(n, oursMs) },
          baseline: {
            name: 'direct driver upsert+read, 50 concurrent',
            wallMs: baseMs,
            perSecond: perSecond(n, baseMs),
          },
          ratio: ratioOf(oursMs, baseMs),
        };
      } finally {
        await client.connection.close();
        await running.shutdown();
        await mongo.db(db).dropDatabase();
        await mongo.close();
      }
    },
  },
};

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const commands = args.includes('--commands');
  const valueOf = (flag: string) => {
    const i = args.indexOf(flag);
    return i >= 0 ? Number(args[i + 1]) : undefined;
  };
  const valued = new Set(['--n', '--chunk', '--per-activity']);
  const name = args.find((a, i) => !a.startsWith('--') && !valued.has(args[i - 1] ?? ''));
  const scenario = name ? scenarios[name] : undefined;
  if (!name || !scenario) {
    process.stderr.write(
      `usage: npm run bench -- <scenario> [--n N] [--chunk N] [--per-activity N] [--commands] [--json]\nscenarios:\n${Object.entries(
        scenarios,
      )
        .map(([k, v]) => `  ${k}  ${v.describe} (default N=${v.defaultN})`)
        .join('\n')}\n`,
    );
    process.exitCode = 2;
    return;
  }
  const n = valueOf('--n') ?? scenario.defaultN;
  const chunkSize = valueOf('--chunk');
  const maxRecordsPerActivity = valueOf('--per-activity');
  const tuning = {
    ...(chunkSize !== undefined && { chunkSize }),
    ...(maxRecordsPerActivity !== undefined && { maxRecordsPerActivity }),
  };
  const { app } = loadConfig();
  const services = await startEphemeralServices({
    config: app,
    need: { temporal: true, mongo: true },
    progress: (l) => process.stderr.write(`${l}\n`),
  });
  try {
    const figures: Figures = {
      scenario: name,
      ...(await scenario.run({
        n,
        temporal: services.temporal!.address,
        mongoUri: services.mongo!.uri,
        tuning,
        commands,
        pids: { temporal: services.temporal!.pid, mongo: services.mongo!.pid },
      })),
      servers: {
        temporal: services.temporal!.description,
        mongo: services.mongo!.description,
        temporalSqlitePragmas: TEMPORAL_SQLITE_PRAGMAS,
      },
    };
    process.stdout.write(json ? `${JSON.stringify(figures)}\n` : figuresText(figures));
  } finally {
    await services.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
