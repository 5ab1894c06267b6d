#!/usr/bin/env node
import { MongoClient } from 'mongodb';
import { TEMPORAL_SQLITE_PRAGMAS } from '../scripts/launch';
import { startEphemeralServices } from '../scripts/services';
import { loadConfig } from '../workers/config';
import { createLogger } from '../workers/logging';
import { startWorker } from '../workers/service';
import { connectClient, startWiringCheck } from '../client/temporal';

/**
 * Benchmark runner: `npm run bench -- <scenario> [--json] [--n N]`. Every scenario measures our path and a
 * baseline on the same servers in the same run, and prints both with their ratio and the server settings.
 */

interface Figures {
  scenario: string;
  n: number;
  ours: { wallMs: number; perSecond: number };
  baseline: { name: string; wallMs: number; perSecond: number };
  ratio: number;
  servers: { temporal: string; mongo: string; temporalSqlitePragmas: string[] };
}

type Scenario = (ctx: {
  n: number;
  temporal: string;
  mongoUri: string;
}) => Promise<Omit<Figures, 'servers' | 'scenario'>>;

const perSecond = (n: number, ms: number) => Math.round((n / ms) * 1000 * 10) / 10;

const scenarios: Record<string, { describe: string; defaultN: number; run: Scenario }> = {
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
      const endpoints = {
        temporal: { address: temporal, uiUrl: undefined, description: '' },
        mongo: { uri: mongoUri, description: '' },
      };
      const running = await startWorker(config, endpoints, createLogger('warn'));
      const client = await connectClient({
        connect: config.temporalConnect,
        address: temporal,
        namespace: 'default',
      });
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
          ratio: Math.round((oursMs / baseMs) * 100) / 100,
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
  const nIndex = args.indexOf('--n');
  const name = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--n');
  const scenario = name ? scenarios[name] : undefined;
  if (!name || !scenario) {
    process.stderr.write(
      `usage: npm run bench -- <scenario> [--n N] [--json]\nscenarios:\n${Object.entries(scenarios)
        .map(([k, v]) => `  ${k}  ${v.describe} (default N=${v.defaultN})`)
        .join('\n')}\n`,
    );
    process.exitCode = 2;
    return;
  }
  const n = nIndex >= 0 ? Number(args[nIndex + 1]) : scenario.defaultN;
  const { app } = loadConfig();
  const services = await startEphemeralServices({
    config: app,
    need: { temporal: true, mongo: true },
    progress: (l) => process.stderr.write(`${l}\n`),
  });
  try {
    const figures: Figures = {
      scenario: name,
      ...(await scenario.run({ n, temporal: services.temporal!.address, mongoUri: services.mongo!.uri })),
      servers: {
        temporal: services.temporal!.description,
        mongo: services.mongo!.description,
        temporalSqlitePragmas: TEMPORAL_SQLITE_PRAGMAS,
      },
    };
    if (json) process.stdout.write(`${JSON.stringify(figures)}\n`);
    else
      process.stdout.write(
        `${name}: N=${figures.n}\n` +
          `  ours      ${figures.ours.wallMs} ms  ${figures.ours.perSecond}/s\n` +
          `  baseline  ${figures.baseline.wallMs} ms  ${figures.baseline.perSecond}/s  (${figures.baseline.name})\n` +
          `  ratio     ${figures.ratio}× the baseline's wall time\n` +
          `  servers   ${figures.servers.temporal}; ${figures.servers.mongo}; SQLite ${figures.servers.temporalSqlitePragmas.join(', ')}\n`,
      );
  } finally {
    await services.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
