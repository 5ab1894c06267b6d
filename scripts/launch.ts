import { spawn } from 'node:child_process';
import { openSync, closeSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { MongoClient } from 'mongodb';
import { SEARCH_ATTRIBUTES } from '../domain/search-attributes';
import { isAlive, sleep, stopPid, tail } from './proc';
import type { ServerBinary } from './provision';

/** A server process this program started. */
export interface Launched {
  pid: number;
  logFile: string;
  /** Stops the process (SIGTERM, then SIGKILL). Idempotent. */
  stop(): Promise<void>;
}

/**
 * SQLite settings of the dev server: its throughput moves about tenfold with them (ARCHITECTURE §3).
 * WAL + synchronous=normal keeps a persisted history safe across a process crash; tests run in memory.
 */
export const TEMPORAL_SQLITE_PRAGMAS = ['journal_mode=wal', 'synchronous=normal'];

/** Servers started attached to this process, killed when it exits or is told to terminate. */
const attached = new Set<number>();
let reaperInstalled = false;

function installReaper(): void {
  if (reaperInstalled) return;
  reaperInstalled = true;
  const reap = () => {
    for (const pid of attached) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  };
  process.once('exit', reap);
  // Node exits on SIGTERM/SIGHUP without an 'exit' event; unless a command handles the signal itself
  // (`start` drains its worker first), reap the servers and exit as the signal would have.
  for (const [signal, code] of [
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const) {
    const onSignal = () => {
      if (process.listenerCount(signal) > 1) return;
      reap();
      process.exit(code);
    };
    process.on(signal, onSignal);
  }
}

function launch(bin: string, args: string[], logFile: string, detached: boolean): Launched {
  const fd = openSync(logFile, 'a');
  const child = spawn(bin, args, { stdio: ['ignore', fd, fd], detached });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`could not start ${bin}`);
  const pid = child.pid;
  if (detached) child.unref();
  else {
    // An attached server must not outlive us, even if we exit without stopping it.
    attached.add(pid);
    child.once('exit', () => attached.delete(pid));
    installReaper();
  }
  child.on('error', () => undefined);
  return { pid, logFile, stop: () => stopPid(pid) };
}

async function waitUntil(
  what: string,
  launched: Launched,
  probe: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(launched.pid)) {
      throw new Error(
        `${what} exited during start-up. Last lines of ${launched.logFile}:\n${await tail(launched.logFile)}`,
      );
    }
    if (await probe()) return;
    await sleep(250);
  }
  await launched.stop();
  throw new Error(
    `${what} did not answer within ${timeoutMs / 1000}s. Last lines of ${launched.logFile}:\n${await tail(launched.logFile)}`,
  );
}

/** True when a Temporal frontend answers a health check at `address`. Never throws. */
export async function temporalAnswers(address: string): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: '2s' });
    const res = await connection.healthService.check({});
    return res.status === 1; // SERVING
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

/** The server's version string when a Mongo-wire server answers `ping` at `uri`; undefined otherwise. */
export async function mongoAnswers(uri: string): Promise<string | undefined> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 1500, connectTimeoutMS: 1500 });
  try {
    await client.connect();
    await client.db('admin').command({ ping: 1 });
    const info = await client.db('admin').command({ buildInfo: 1 });
    const ferret = typeof info.ferretdbVersion === 'string' ? ` (FerretDB ${info.ferretdbVersion})` : '';
    return `MongoDB wire ${String(info.version)}${ferret}`;
  } catch {
    return undefined;
  } finally {
    await client.close().catch(() => undefined);
  }
}

export interface TemporalLaunchOptions {
  binary: ServerBinary;
  port: number;
  uiPort: number;
  /** Persist history to this SQLite file; undefined keeps it in memory. */
  dbFile?: string | undefined;
  logDir: string;
  detached: boolean;
  timeoutMs?: number;
}

/** Starts `temporal server start-dev` with its Web UI and our search attributes; resolves once it is healthy. */
export async function launchTemporalDevServer(
  opts: TemporalLaunchOptions,
): Promise<Launched & { address: string; uiUrl: string }> {
  await fs.mkdir(opts.logDir, { recursive: true });
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(opts.port),
    '--ui-port',
    String(opts.uiPort),
    '--log-level',
    'warn',
    '--ui-disable-news-fetch',
    ...TEMPORAL_SQLITE_PRAGMAS.flatMap((p) => ['--sqlite-pragma', p]),
    ...Object.entries(SEARCH_ATTRIBUTES).flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`]),
  ];
  if (opts.dbFile) {
    await fs.mkdir(path.dirname(opts.dbFile), { recursive: true });
    args.push('--db-filename', opts.dbFile);
  }
  const logFile = path.join(opts.logDir, `temporal-${opts.port}.log`);
  const launched = launch(opts.binary.path, args, logFile, opts.detached);
  const address = `127.0.0.1:${opts.port}`;
  await waitUntil(
    'The Temporal dev server',
    launched,
    () => temporalAnswers(address),
    opts.timeoutMs ?? 90_000,
  );
  return { ...launched, address, uiUrl: `http://127.0.0.1:${opts.uiPort}` };
}

export interface MongoLaunchOptions {
  binary: ServerBinary & { kind: 'mongod' | 'ferretdb' };
  port: number;
  dataDir: string;
  logDir: string;
  detached: boolean;
  timeoutMs?: number;
}

/** Starts mongod or FerretDB (SQLite backend) on 127.0.0.1; resolves once it answers `ping`. */
export async function launchMongoWire(
  opts: MongoLaunchOptions,
): Promise<Launched & { uri: string; serverVersion: string }> {
  await fs.mkdir(opts.dataDir, { recursive: true });
  await fs.mkdir(opts.logDir, { recursive: true });
  const args =
    opts.binary.kind === 'mongod'
      ? ['--bind_ip', '127.0.0.1', '--port', String(opts.port), '--dbpath', opts.dataDir]
      : [
          '--handler=sqlite',
          `--sqlite-url=file:${opts.dataDir}/`,
          `--listen-addr=127.0.0.1:${opts.port}`,
          '--debug-addr=-',
          '--telemetry=disable',
          '--log-level=warn',
          `--state-dir=${opts.dataDir}`,
          // Hand dotted paths to the backend too: our build answers them from their indexes (ferretdb-patches).
          '--test-enable-nested-pushdown',
        ];
  const logFile = path.join(opts.logDir, `${opts.binary.kind}-${opts.port}.log`);
  const launched = launch(opts.binary.path, args, logFile, opts.detached);
  const uri = `mongodb://127.0.0.1:${opts.port}/`;
  let serverVersion = '';
  await waitUntil(
    opts.binary.kind === 'mongod' ? 'mongod' : 'FerretDB',
    launched,
    async () => {
      serverVersion = (await mongoAnswers(uri)) ?? '';
      return serverVersion !== '';
    },
    opts.timeoutMs ?? 60_000,
  );
  return { ...launched, uri, serverVersion };
}
