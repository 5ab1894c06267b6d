#!/usr/bin/env node
import { Command } from 'commander';
import { describeConfig, ENV_DOC } from '../domain/config';
import { ConfigError } from '../domain/errors';
import { ProvisionError } from '../scripts/provision';
import { loadConfig } from '../workers/config';
import { createLogger } from '../workers/logging';
import { registerDataCommands } from './data/commands';
import { registerDealCommands } from './deals-commands';
import { registerDocumentCommands } from './documents-commands';
import { registerSubscriptionCommands } from './subscriptions-commands';
import { registerIntegrationCommands } from './integration-commands';
import { registerSandboxCommands } from './sandbox-commands';
import { registerVerifyCommand } from './verify-command';
import { registerUserCommands } from '../cli/users-commands';
import type { DemoSummary } from './demo';
import { table } from './format';

/** Exit statuses, documented in the README. */
export const EXIT = { ok: 0, failed: 1, config: 2, provision: 3 } as const;

const progress = (line: string) => process.stderr.write(`${line}\n`);

/*
 * The servers, the worker, the HTTP API and the demo are loaded when their command runs: the Temporal worker
 * package alone takes seconds to load, and every other command (integrations, users, data) needs none of it.
 */
const localServers = () => import('../scripts/services');

async function printDemo(summary: DemoSummary): Promise<void> {
  const { formatDemoSummary } = await import('./demo');
  process.stdout.write(`${formatDemoSummary(summary)}\n`);
}

async function main(argv: string[]): Promise<void> {
  const program = new Command()
    .name('crm-books-sync')
    .description('Keeps a CRM and Books in step with durable Temporal workflows over MongoDB.')
    .showHelpAfterError();

  program
    .command('config')
    .description('print the configuration this process would use (secrets hidden), or every problem in it')
    .option('--json', 'print as JSON')
    .action((opts: { json?: boolean }) => {
      const { app } = loadConfig();
      if (opts.json) process.stdout.write(`${JSON.stringify(describeConfig(app))}\n`);
      else {
        process.stdout.write(`${JSON.stringify(describeConfig(app), null, 2)}\n\nEnvironment variables:\n`);
        process.stdout.write(
          `${table(Object.entries(ENV_DOC).map(([name, meaning]) => ({ name, meaning })))}\n`,
        );
      }
    });

  const services = program
    .command('services')
    .description('the local Temporal dev server and Mongo-wire server');
  services
    .command('up')
    .description('provision (first time) and start both servers in the background; reuses running ones')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      const endpoints = await (await localServers()).servicesUp(loadConfig().app, progress);
      if (opts.json) process.stdout.write(`${JSON.stringify(endpoints)}\n`);
      else
        process.stdout.write(
          `Temporal  ${endpoints.temporal.address}  ${endpoints.temporal.description}\n` +
            `Web UI    ${endpoints.temporal.uiUrl ?? '(external)'}\n` +
            `MongoDB   ${endpoints.mongo.uri}  ${endpoints.mongo.description}\n`,
        );
    });
  services
    .command('down')
    .description('stop the servers started by `services up`')
    .action(async () => {
      const stopped = await (await localServers()).servicesDown(loadConfig().app);
      process.stdout.write(stopped.length ? `stopped ${stopped.join(', ')}\n` : 'nothing was running\n');
    });
  services
    .command('status')
    .description('health of the configured or local servers')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      const status = await (await localServers()).servicesStatus(loadConfig().app);
      process.stdout.write(
        opts.json ? `${JSON.stringify(status)}\n` : `${table(status.map((s) => ({ ...s })))}\n`,
      );
    });

  program
    .command('start')
    .description(
      'run the service: servers (embedded unless configured), the worker and the HTTP API; Ctrl-C drains and stops',
    )
    .action(async () => {
      const config = loadConfig();
      const logger = createLogger(config.app.logLevel);
      const [{ attachOrStartServices }, { startWorker }, { startApi }] = await Promise.all([
        localServers(),
        import('../workers/service'),
        import('../workers/api-server'),
      ]);
      const servers = await attachOrStartServices(config.app, progress);
      let running;
      let api;
      try {
        progress('Starting the worker (bundling the workflow code takes a few seconds)…');
        running = await startWorker(config, servers, logger);
        api = await startApi(config, servers, running, logger);
      } catch (err) {
        await running?.shutdown();
        await servers.stop();
        throw err;
      }
      progress(`Temporal     ${servers.temporal.address} (${servers.temporal.description})`);
      progress(`Temporal UI  ${servers.temporal.uiUrl ?? '(external server: use its UI)'}`);
      progress(`MongoDB      ${servers.mongo.description}`);
      progress(
        `HTTP API     ${api.url}${config.app.http.webhookToken ? '' : ' (webhook off: CBS_WEBHOOK_TOKEN is unset)'}`,
      );
      progress(`Worker ready: polling task queue "${config.app.temporal.taskQueue}". Ctrl-C to stop.`);
      const worker = running;
      const httpApi = api;
      const stop = (signal: string) => {
        progress(`${signal}: closing the HTTP API, draining the worker…`);
        void httpApi.close().finally(() => worker.shutdown());
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
      try {
        await worker.done;
      } finally {
        await httpApi.close();
        await servers.stop();
        progress('Stopped.');
      }
    });

  program
    .command('demo')
    .description(
      'the one-shot main job: servers, worker, a seeded integration synced, changed, paused, resumed',
    )
    .option('--json', 'print the summary as one JSON object on the last line')
    .option('--stop-services', 'stop the local servers afterwards instead of leaving them up for inspection')
    .action(async (opts: { json?: boolean; stopServices?: boolean }) => {
      const config = loadConfig();
      const logger = createLogger(config.app.logLevel === 'info' ? 'warn' : config.app.logLevel);
      const { runDemo } = await import('./demo');
      const summary = await runDemo(config, { stopServices: Boolean(opts.stopServices), progress, logger });
      if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
      else await printDemo(summary);
      if (!summary.ok) process.exitCode = EXIT.failed;
    });

  registerDataCommands(program);
  registerIntegrationCommands(program);
  registerVerifyCommand(program);
  registerUserCommands(program);
  registerDocumentCommands(program);
  registerSubscriptionCommands(program);
  registerSandboxCommands(program);
  registerDealCommands(program);

  await program.parseAsync(argv);
}

main(process.argv).catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\nRun \`crm-books-sync config\` to see every variable.\n`);
    process.exitCode = EXIT.config;
  } else if (err instanceof ProvisionError) {
    process.stderr.write(`${err.message}\n`);
    process.exitCode = EXIT.provision;
  } else {
    process.stderr.write(`crm-books-sync: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = EXIT.failed;
  }
});
