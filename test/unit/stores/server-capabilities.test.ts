import type { Db } from 'mongodb';
import {
  FERRETDB_CAPABILITIES,
  MONGODB_CAPABILITIES,
  capabilitiesFor,
} from '../../../stores/server-capabilities';

describe('capabilitiesFor', () => {
  it('uses the given capabilities without asking the server', async () => {
    const db = {
      admin: () => {
        throw new Error('probed');
      },
    } as unknown as Db;
    await expect(capabilitiesFor(db, FERRETDB_CAPABILITIES)()).resolves.toBe(FERRETDB_CAPABILITIES);
  });

  it('probes a Db once when none are given, and again after a failed probe', async () => {
    const answers: (() => Promise<object>)[] = [
      () => Promise.reject(new Error('unreachable')),
      () => Promise.resolve({ version: '7.0.0', ferretdbVersion: 'v1.24.2' }),
    ];
    let asked = 0;
    const db = { admin: () => ({ command: () => answers[asked++]!() }) } as unknown as Db;
    const capabilities = capabilitiesFor(db, undefined);
    await expect(capabilities()).rejects.toThrow('unreachable');
    await expect(capabilities()).resolves.toBe(FERRETDB_CAPABILITIES);
    await expect(capabilities()).resolves.toBe(FERRETDB_CAPABILITIES);
    expect(asked).toBe(2);
  });

  it('takes a server without a FerretDB version for MongoDB', async () => {
    const db = { admin: () => ({ command: () => Promise.resolve({ version: '7.0.0' }) }) } as unknown as Db;
    await expect(capabilitiesFor(db, undefined)()).resolves.toBe(MONGODB_CAPABILITIES);
  });
});
