import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import type { AppConfig } from '../domain/config';
import { redactUri } from '../domain/config';
import {
  launchMongoWire,
  launchTemporalDevServer,
  mongoAnswers,
  temporalAnswers,
  type Launched,
} from './launch';
import { cacheDir as resolveCacheDir, cachePaths } from './paths';
import { freePort, isAlive, stopPid } from './proc';
import { provisionMongoWire, provisionTemporalCli, settleAll, type Progress } from './provision';

/** Where the two servers are and what they are, for printing beside test and demo output. */
export interface Endpoints {
  temporal: { address: string; uiUrl: string | undefined; description: string };
  mongo: { uri: string; description: string };
}

/** Throwaway servers' endpoints, with the process id of each one this program started (for CPU figures). */
interface EphemeralEndpoints {
  temporal: Endpoints['temporal'] & { pid?: number };
  mongo: Endpoints['mongo'] & { pid?: number };
}

/** Endpoints plus the processes this program started, which `stop()` ends (and nothing else). */
export interface Services extends Endpoints {
  stop(): Promise<void>;
}

const StateSchema = z.object({
  temporal: z
    .object({ pid: z.number().int(), address: z.string(), uiUrl: z.string(), description: z.string() })
    .optional(),
  mongo: z.object({ pid: z.number().int(), uri: z.string(), description: z.string() }).optional(),
});
type State = z.infer<typeof StateSchema>;

async function readState(cache: string): Promise<State> {
  try {
    return StateSchema.parse(JSON.parse(await fs.readFile(cachePaths(cache).stateFile, 'utf8')));
  } catch {
    return {};
  }
}

async function writeState(cache: string, state: State): Promise<void> {
  const file = cachePaths(cache).stateFile;
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, `${JSON.stringify(state, null, 2)}\n`);
}

/**
 * Throwaway servers for a test run: free ports, a temp data dir, history in memory, attached to this process.
 * Skips what the caller does not need, and what TEMPORAL_ADDRESS / MONGODB_URI already supply.
 */
export async function startEphemeralServices(opts: {
  config: AppConfig;
  need: { temporal: boolean; mongo: boolean };
  progress?: Progress;
}): Promise<Partial<EphemeralEndpoints> & { stop(): Promise<void> }> {
  const cache = resolveCacheDir(opts.config.local.cacheDir);
  const progress = opts.progress ?? (() => {});
  const dataRoot = await fs.mkdtemp(path.join(tmpdir(), 'cbs-test-'));
  const logDir = path.join(dataRoot, 'logs');
  const started: Launched[] = [];
  const stop = async () => {
    await Promise.all(started.map((s) => s.stop()));
    await fs.rm(dataRoot, { recursive: true, force: true });
  };
  try {
    const [temporal, mongo] = await settleAll<
      [EphemeralEndpoints['temporal'] | undefined, EphemeralEndpoints['mongo'] | undefined]
    >([
      opts.need.temporal
        ? ephemeralTemporal(opts.config, cache, logDir, started, progress)
        : Promise.resolve(undefined),
      opts.need.mongo
        ? ephemeralMongo(opts.config, cache, dataRoot, logDir, started, progress)
        : Promise.resolve(undefined),
    ]);
    return { ...(temporal && { temporal }), ...(mongo && { mongo }), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function ephemeralTemporal(
  config: AppConfig,
  cache: string,
  logDir: string,
  started: Launched[],
  progress: Progress,
): Promise<EphemeralEndpoints['temporal']> {
  if (config.temporal.address) {
    return {
      address: config.temporal.address,
      uiUrl: undefined,
      description: `external Temporal at ${config.temporal.address}`,
    };
  }
  const binary = await provisionTemporalCli(cache, progress);
  const t0 = Date.now();
  const s = await launchTemporalDevServer({
    binary,
    port: await freePort(),
    uiPort: await freePort(),
    logDir,
    detached: false,
  });
  started.push(s);
  return {
    address: s.address,
    uiUrl: s.uiUrl,
    pid: s.pid,
    description: `Temporal CLI ${binary.version} dev server (${binary.path}, from ${binary.source}), up in ${Date.now() - t0} ms`,
  };
}

async function ephemeralMongo(
  config: AppConfig,
  cache: string,
  dataRoot: string,
  logDir: string,
  started: Launched[],
  progress: Progress,
): Promise<EphemeralEndpoints['mongo']> {
  if (config.mongo.uri) {
    const version = await mongoAnswers(config.mongo.uri);
    return {
      uri: config.mongo.uri,
      description: `external ${version ?? 'MongoDB'} at ${redactUri(config.mongo.uri)}`,
    };
  }
  const binary = await provisionMongoWire(cache, progress);
  const t0 = Date.now();
  const s = await launchMongoWire({
    binary,
    port: await freePort(),
    dataDir: path.join(dataRoot, 'mongo'),
    logDir,
    detached: false,
  });
  started.push(s);
  return {
    uri: s.uri,
    pid: s.pid,
    description: `${binary.kind} ${binary.version} (${binary.path}, from ${binary.source}) speaking ${s.serverVersion}, up in ${Date.now() - t0} ms`,
  };
}

/**
 * The local servers on their configured ports, persisted under the cache dir (a restart keeps Temporal
 * history). What TEMPORAL_ADDRESS / MONGODB_URI supply, or what `services up` already runs healthily, is
 * reused; the rest is started, detached or attached to this process, and recorded in `started`.
 */
async function ensureLocalServers(
  config: AppConfig,
  state: State,
  opts: { detached: boolean; started: Launched[]; progress: Progress },
): Promise<Endpoints> {
  const cache = resolveCacheDir(config.local.cacheDir);
  const paths = cachePaths(cache);
  const temporal = async (): Promise<Endpoints['temporal']> => {
    if (config.temporal.address) {
      return {
        address: config.temporal.address,
        uiUrl: undefined,
        description: `external Temporal at ${config.temporal.address}`,
      };
    }
    if (state.temporal && isAlive(state.temporal.pid) && (await temporalAnswers(state.temporal.address)))
      return state.temporal;
    const binary = await provisionTemporalCli(cache, opts.progress);
    const dbFile = path.join(paths.data, 'temporal.db');
    const s = await launchTemporalDevServer({
      binary,
      port: config.local.temporalPort,
      uiPort: config.local.temporalUiPort,
      dbFile,
      logDir: paths.logs,
      detached: opts.detached,
    });
    opts.started.push(s);
    const description = `Temporal CLI ${binary.version} dev server (${binary.path}), history in ${dbFile}`;
    state.temporal = { pid: s.pid, address: s.address, uiUrl: s.uiUrl, description };
    return state.temporal;
  };
  const mongo = async (): Promise<Endpoints['mongo']> => {
    if (config.mongo.uri)
      return { uri: config.mongo.uri, description: `external MongoDB at ${redactUri(config.mongo.uri)}` };
    if (state.mongo && isAlive(state.mongo.pid) && (await mongoAnswers(state.mongo.uri))) return state.mongo;
    const binary = await provisionMongoWire(cache, opts.progress);
    const dataDir = path.join(paths.data, binary.kind);
    const s = await launchMongoWire({
      binary,
      port: config.local.mongoPort,
      dataDir,
      logDir: paths.logs,
      detached: opts.detached,
    });
    opts.started.push(s);
    const description = `${binary.kind} ${binary.version} (${binary.path}) speaking ${s.serverVersion}, data in ${dataDir}`;
    state.mongo = { pid: s.pid, uri: s.uri, description };
    return state.mongo;
  };
  try {
    const [t, m] = await settleAll<[Endpoints['temporal'], Endpoints['mongo']]>([temporal(), mongo()]);
    return { temporal: t, mongo: m };
  } catch (err) {
    await Promise.all(opts.started.map((s) => s.stop()));
    throw err;
  }
}

/**
 * `services up`: the local servers, detached so they outlive this command, recorded in the state file for
 * `services down|status` and for later commands to reuse. Idempotent.
 */
export async function servicesUp(config: AppConfig, progress: Progress = () => {}): Promise<Endpoints> {
  const cache = resolveCacheDir(config.local.cacheDir);
  const state = await readState(cache);
  const endpoints = await ensureLocalServers(config, state, { detached: true, started: [], progress });
  await writeState(cache, state);
  return endpoints;
}

/**
 * For `start`: reuse what is configured or already up; otherwise start the missing servers attached to this
 * process. `stop()` ends only what this call started.
 */
export async function attachOrStartServices(
  config: AppConfig,
  progress: Progress = () => {},
): Promise<Services> {
  const state = await readState(resolveCacheDir(config.local.cacheDir));
  const started: Launched[] = [];
  const endpoints = await ensureLocalServers(config, state, { detached: false, started, progress });
  return { ...endpoints, stop: async () => void (await Promise.all(started.map((s) => s.stop()))) };
}

/** `services down`: stops the servers `services up` started. Idempotent. */
export async function servicesDown(config: AppConfig): Promise<string[]> {
  const cache = resolveCacheDir(config.local.cacheDir);
  const state = await readState(cache);
  const stopped: string[] = [];
  for (const [name, entry] of Object.entries(state)) {
    if (entry && isAlive(entry.pid)) {
      await stopPid(entry.pid);
      stopped.push(`${name} (pid ${entry.pid})`);
    }
  }
  await fs.rm(cachePaths(cache).stateFile, { force: true });
  return stopped;
}

export interface ServiceStatus {
  name: 'temporal' | 'mongo';
  state: 'external' | 'running' | 'unhealthy' | 'stopped';
  endpoint: string | undefined;
  detail: string;
}

/** `services status`: what is configured or running, each with a live health check. */
export async function servicesStatus(config: AppConfig): Promise<ServiceStatus[]> {
  const state = await readState(resolveCacheDir(config.local.cacheDir));
  const temporal: ServiceStatus = config.temporal.address
    ? {
        name: 'temporal',
        state: (await temporalAnswers(config.temporal.address)) ? 'external' : 'unhealthy',
        endpoint: config.temporal.address,
        detail: 'TEMPORAL_ADDRESS',
      }
    : !state.temporal || !isAlive(state.temporal.pid)
      ? {
          name: 'temporal',
          state: 'stopped',
          endpoint: undefined,
          detail: 'run `crm-books-sync services up`',
        }
      : {
          name: 'temporal',
          state: (await temporalAnswers(state.temporal.address)) ? 'running' : 'unhealthy',
          endpoint: state.temporal.address,
          detail: `${state.temporal.description}; Web UI ${state.temporal.uiUrl}; pid ${state.temporal.pid}`,
        };
  const mongo: ServiceStatus = config.mongo.uri
    ? {
        name: 'mongo',
        state: (await mongoAnswers(config.mongo.uri)) ? 'external' : 'unhealthy',
        endpoint: redactUri(config.mongo.uri),
        detail: 'MONGODB_URI',
      }
    : !state.mongo || !isAlive(state.mongo.pid)
      ? { name: 'mongo', state: 'stopped', endpoint: undefined, detail: 'run `crm-books-sync services up`' }
      : {
          name: 'mongo',
          state: (await mongoAnswers(state.mongo.uri)) ? 'running' : 'unhealthy',
          endpoint: state.mongo.uri,
          detail: `${state.mongo.description}; pid ${state.mongo.pid}`,
        };
  return [temporal, mongo];
}
